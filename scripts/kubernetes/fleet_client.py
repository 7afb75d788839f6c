#!/usr/bin/env python3
"""Device clients for a fleet of emulated SIM800 modems (README "Fleets").

Drives modems served with `sim800emu --listen-raw` (modem i on TCP port
FIRST_PORT + i) in parallel, each as a device would: the identity and
signal queries, and with --url an HTTP GET through the module's own HTTP
commands (a bearer, AT+HTTPINIT, AT+HTTPACTION=0, AT+HTTPREAD), which is the
load a back end sees.  Standard library only, so that any Python 3 image
runs it (the Kubernetes Job in scripts/kubernetes/sim800emu.yaml).

Prints one JSON line: modems ok and failed, AT round trips, and their
latency percentiles; exits 1 if any modem failed.

  fleet_client.py --host sim800emu-0.sim800emu --modems 4000 [--url URL]
"""
import argparse
import asyncio
import json
import re
import sys
import time

FINAL = re.compile(rb"\r\n(OK|ERROR|\+CME ERROR: \d+)\r\n")


class Device:
    """One modem over raw TCP: commands in, answers up to their final result."""

    def __init__(self, reader, writer, timeout):
        self.reader, self.writer, self.timeout = reader, writer, timeout
        self.buf = b""
        self.latencies = []

    async def expect(self, pattern):
        while True:
            m = pattern.search(self.buf)
            if m:
                out, self.buf = self.buf[:m.end()], self.buf[m.end():]
                return out, m
            chunk = await asyncio.wait_for(self.reader.read(4096), self.timeout)
            if not chunk:
                raise ConnectionError("the modem's port closed")
            self.buf += chunk

    async def cmd(self, line, ok=True):
        start = time.monotonic()
        self.writer.write(line + b"\r")
        out, m = await self.expect(FINAL)
        self.latencies.append(time.monotonic() - start)
        if ok and m.group(1) != b"OK":
            raise RuntimeError(f"{line.decode()} -> {m.group(1).decode()}")
        return out

    async def urc(self, prefix):
        out, _ = await self.expect(re.compile(re.escape(prefix) + rb"[^\r]*\r\n"))
        return out


async def run_device(host, port, args, stats):
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), args.timeout)
    except (OSError, asyncio.TimeoutError) as e:
        stats["failed"].append(f"{port}: connect: {e}")
        return
    d = Device(reader, writer, args.timeout)
    try:
        await d.cmd(b"ATE0")  # echo off, as most drivers start
        await d.cmd(b"AT+CGSN")
        await d.cmd(b"AT+CSQ")
        await d.cmd(b"AT+CREG?")
        if args.url:
            await d.cmd(b'AT+SAPBR=3,1,"APN","%s"' % args.apn.encode())
            await d.cmd(b"AT+SAPBR=1,1")
            await d.cmd(b"AT+HTTPINIT")
            await d.cmd(b'AT+HTTPPARA="CID",1')
            await d.cmd(b'AT+HTTPPARA="URL","%s"' % args.url.encode())
            if args.url.startswith("https:"):
                await d.cmd(b"AT+HTTPSSL=1")
            await d.cmd(b"AT+HTTPACTION=0")
            line = await d.urc(b"+HTTPACTION: ")
            status, length = re.search(rb"\+HTTPACTION: 0,(\d+),(\d+)", line).groups()
            if status != b"200":
                raise RuntimeError(f"HTTP status {status.decode()}")
            if int(length):
                await d.cmd(b"AT+HTTPREAD")
            await d.cmd(b"AT+HTTPTERM")
            await d.cmd(b"AT+SAPBR=0,1")
        stats["ok"] += 1
    except (OSError, RuntimeError, ConnectionError, asyncio.TimeoutError) as e:
        stats["failed"].append(f"{port}: {e!r}")
    finally:
        stats["latencies"] += d.latencies
        writer.close()


async def main_async(args):
    stats = {"ok": 0, "failed": [], "latencies": []}
    gate = asyncio.Semaphore(args.concurrency)

    async def one(i):
        async with gate:
            await run_device(args.host, args.first_port + i, args, stats)

    start = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(args.modems)))
    elapsed = time.monotonic() - start
    lat = sorted(stats["latencies"])

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else None

    print(json.dumps({"host": args.host, "modems": args.modems, "ok": stats["ok"],
                      "failed": len(stats["failed"]), "first_failures": stats["failed"][:5],
                      "round_trips": len(lat), "seconds": round(elapsed, 2),
                      "p50_ms": pct(0.5), "p99_ms": pct(0.99)}))
    return 0 if not stats["failed"] else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--first-port", type=int, default=7000)
    ap.add_argument("--modems", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=1000,
                    help="devices driven at once (default 1000)")
    ap.add_argument("--url", help="also GET this URL through the module's HTTP commands")
    ap.add_argument("--apn", default="cmnet")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per answer")
    args = ap.parse_args()
    if args.modems < 1 or args.concurrency < 1:
        ap.error("--modems and --concurrency take a number from 1")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
