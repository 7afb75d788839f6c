#!/usr/bin/python3
"""One fleet pod: 4,000 modems served over raw TCP, each driven as a device.

What a pod of scripts/kubernetes/sim800emu.yaml runs, on loopback: one
sim800emu process with --modems N --listen-raw --timing real (the image's
entrypoint), and scripts/kubernetes/fleet_client.py (the Job's client)
driving every modem through its identity and signal queries and an HTTPS
GET of 1 KB through the module's HTTP commands (a TLS 1.0 handshake each,
to nginx).  Figures: the emulator's RSS idle and at its peak, its CPU for
the whole scenario and per device, against the device clients' own CPU in
the same run (the load generator: one asyncio process), and the wall time.
"""
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import benchlib as B

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "servers"))
from nginx import start_nginx  # noqa: E402

CLIENT = Path(__file__).resolve().parents[2] / "scripts" / "kubernetes" / "fleet_client.py"


def free_range(n, start=20000):
    """n consecutive free loopback ports below the ephemeral range."""
    base = start
    while base + n < 32768:
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            base = p + 1
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {n} free ports")


def peak_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    args = B.parse_args(__doc__)
    B.check_binaries()
    n = 200 if args.quick else 4000
    B.title(f"one fleet pod: {n} modems over raw TCP, each an HTTPS GET through AT+HTTP*")
    with start_nginx(cert_name="www.gmail.com") as web:
        port = free_range(n)
        with B.emulator("--listen", str(port), "--listen-raw", "--timing", "real",
                        n=n, maps=[("www.gmail.com:443", web.https_port)]) as emu:
            started = emu.startup
            time.sleep(1.0)
            idle_rss = emu.rss()
            cpu0 = emu.cpu()
            time.sleep(3.0)
            idle_cpu = (emu.cpu() - cpu0) / 3.0
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu0 = emu.cpu()
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, str(CLIENT), "--host", "127.0.0.1",
                                "--first-port", str(port), "--modems", str(n),
                                "--concurrency", "1000", "--timeout", "120",
                                "--url", "https://www.gmail.com/1k.txt"],
                               capture_output=True, text=True, timeout=1800)
            wall = time.perf_counter() - t0
            emu_cpu = emu.cpu() - cpu0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            peak = peak_rss(emu.pid)
            if r.returncode != 0:
                raise AssertionError(f"fleet client failed: {r.stdout}{r.stderr[-2000:]}")
            print("  client:", r.stdout.strip())
    B.line("start, all modems listening", started, "s")
    B.line("RSS idle", idle_rss / 2**20, "MiB", f"{idle_rss / n / 1024:.1f} KiB per modem")
    B.line("RSS peak (the scenario)", peak / 2**20, "MiB")
    B.line("CPU idle", idle_cpu * 100, "% core")
    B.line("scenario wall time", wall, "s", f"{n} devices, 1000 at a time")
    B.line("emulator CPU for the scenario", emu_cpu, "s", f"{emu_cpu / n * 1000:.2f} ms per device,"
           f" {emu_cpu / wall:.2f} cores on average")
    B.line("device clients' CPU (asyncio, one process)", client_cpu, "s")
    B.line("ratio emulator / clients", emu_cpu / client_cpu, "x")
    B.summary("fleet pod", f"CPU s per {n} devices", emu_cpu, client_cpu, "s")
    B.summary("fleet pod", f"RSS peak MiB, {n} modems", peak / 2**20, None, "MiB")


if __name__ == "__main__":
    main()
