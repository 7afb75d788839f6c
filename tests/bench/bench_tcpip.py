#!/usr/bin/python3
"""TCP/IP data through the emulator vs a bare PTY carrying the same bytes.

Download of N MB (payload.py bytes, so every byte value occurs) from a local
tls_echo source server (plain TCP), three ways:
  * AT+CIPRXGET=1 and AT+CIPRXGET=2,1460 reads, one command in flight (the
    TinyGSM / FONA way; 1460 is the most one read may return);
  * multi-connection push mode: `+RECEIVE,0,<len>:\\r\\n<data>` chunks
    (CIPHEAD etc. at their defaults);
  * single-connection push mode: the raw bytes, no header (CIPHEAD=0 default).
Upload of N MB to a tls_echo sink-n:N server through AT+CIPSEND=<len> in 1460-byte
pieces: waiting for SEND OK (CIPQSEND=0, the default) and for DATA ACCEPT:<len>
(CIPQSEND=1, TinyGSM's setting).  The server answers with the SHA-256 it saw.

Every figure is checked: the SHA-256 of what the client read (only payload
bytes, headers stripped) or of what the server received must match.  Clock:
from writing AT+CIPSTART (download) or the first AT+CIPSEND (upload) until the
last payload byte (download) or the server's digest line (upload) arrived.

Baselines, by pty_baseline (a process holding a raw PTY, no AT engine, no
network), read/written by the same Python client:
  * stream: `source FILE` writes the payload into the PTY as fast as it goes,
    `sink N` reads it and answers its SHA-256: what the kernel's PTY and this
    client can carry at most;
  * lock-step: one request in flight, as with AT commands: `source FILE 1460`
    answers each `\\r` with the next 1460 bytes, `sink N 1460` answers each
    1460 bytes with one byte.  AT+CIPRXGET reads and AT+CIPSEND are compared
    with this one too (the summary table uses it for them, and the stream
    for push mode).
"""
import hashlib
import os
import re
import select
import tempfile
import time

import benchlib as B

SEG = 1460
MAP = "116.228.221.51:8500"          # the manual's example server, sent to 127.0.0.1
START1 = b'AT+CIPSTART="TCP","116.228.221.51","8500"\r'
STARTM = b'AT+CIPSTART=0,"TCP","116.228.221.51","8500"\r'
RXGET2 = re.compile(rb"\r\n\+CIPRXGET: 2,(\d+),(\d+)\r\n")
URC = re.compile(rb"\r\n([^\r\n]*)\r\n")
RECEIVE = re.compile(rb"\r\n\+RECEIVE,0,(\d+):\r\n")
TIMEOUT = 30.0


def modem(srv_port, mux=0, rxget=False):
    emu = B.emulator(maps=[(MAP, srv_port)])
    try:
        port = B.boot(emu.paths[0], echo=False)
        B.gprs(port, mux=mux, rxget=rxget)
    except BaseException:
        emu.stop()
        raise
    return emu, port


# -- downloads: each returns (seconds, sha256 hex, emulator CPU seconds) ---------

def dl_ciprxget(srv, size):
    emu, port = modem(srv.port, rxget=True)
    with emu:
        buf = port.buf
        h, got = hashlib.sha256(), 0
        c0 = emu.cpu()
        t0 = time.perf_counter()
        port.write(START1)
        port.expect_exact(b"\r\nOK\r\n\r\nCONNECT OK\r\n", TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while got < size:
            port.write(b"AT+CIPRXGET=2,1460\r")
            while True:               # URCs may come before the reply
                m = RXGET2.match(buf)
                if m:
                    break
                u = URC.match(buf)
                if u:
                    if u.group(1) not in (b"+CIPRXGET: 1", b"CLOSED"):
                        raise AssertionError(f"unexpected {u.group(0)!r}")
                    del buf[:u.end()]
                    continue
                port.fill(deadline)
            n = int(m.group(1))
            end = m.end() + n + 6
            while len(buf) < end:
                port.fill(deadline)
            if buf[end - 6:end] != b"\r\nOK\r\n" or n > SEG:
                raise AssertionError(f"bad CIPRXGET reply {bytes(buf[:end + 20])!r}")
            h.update(memoryview(buf)[m.end():m.end() + n])
            got += n
            del buf[:end]
            if n == 0:                # drained: the next +CIPRXGET: 1 (or CLOSED)
                u = None
                while not u:
                    u = URC.match(buf)
                    if not u:
                        port.fill(deadline)
                if u.group(1) == b"CLOSED" and got < size:
                    raise AssertionError(f"CLOSED after {got} of {size} bytes")
                del buf[:u.end()]
            deadline = time.monotonic() + TIMEOUT
        dt = time.perf_counter() - t0
        cpu = emu.cpu() - c0
        port.close()
    return dt, h.hexdigest(), cpu, got


def dl_receive(srv, size):
    emu, port = modem(srv.port, mux=1)
    with emu:
        buf = port.buf
        h, got = hashlib.sha256(), 0
        c0 = emu.cpu()
        t0 = time.perf_counter()
        port.write(STARTM)
        port.expect_exact(b"\r\nOK\r\n\r\n0, CONNECT OK\r\n", TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        pos = 0
        while got < size:
            m = RECEIVE.match(buf, pos)
            if not m:
                if len(buf) - pos >= 20:     # the longest header: \r\n+RECEIVE,0,1460:\r\n
                    raise AssertionError(f"not a +RECEIVE header after {got} bytes: "
                                         f"{bytes(buf[pos:pos + 60])!r}")
                del buf[:pos]
                pos = 0
                port.fill(deadline)
                continue
            n = int(m.group(1))
            if not 0 < n <= SEG:
                raise AssertionError(f"bad chunk length in {m.group(0)!r}")
            while len(buf) < m.end() + n:
                port.fill(deadline)
            h.update(memoryview(buf)[m.end():m.end() + n])
            got += n
            pos = m.end() + n
            deadline = time.monotonic() + TIMEOUT
        dt = time.perf_counter() - t0
        cpu = emu.cpu() - c0
        del buf[:pos]
        extra = port.expect(b"\r\n0, CLOSED\r\n", TIMEOUT)
        if extra or buf:
            raise AssertionError(f"extra bytes around the close: {extra[:100]!r} {bytes(buf[:100])!r}")
        port.close()
    return dt, h.hexdigest(), cpu, got


def read_raw(port, size, deadline):
    """Exactly size raw bytes from port (hashed); what follows stays in port.buf."""
    buf, fd = port.buf, port.fd
    h, got = hashlib.sha256(), 0
    if buf:
        take = min(size, len(buf))
        h.update(buf[:take])
        got = take
        del buf[:take]
    while got < size:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            data = b""
        if not data:
            if not select.select([fd], [], [], max(0, deadline - time.monotonic()))[0]:
                raise TimeoutError(f"{got} of {size} bytes")
            continue
        take = min(size - got, len(data))
        h.update(data[:take] if take < len(data) else data)
        got += take
        if take < len(data):
            buf += data[take:]
        deadline = time.monotonic() + TIMEOUT
    return h.hexdigest(), got


def dl_push_raw(srv, size):
    emu, port = modem(srv.port, mux=0)
    with emu:
        c0 = emu.cpu()
        t0 = time.perf_counter()
        port.write(START1)
        port.expect_exact(b"\r\nOK\r\n\r\nCONNECT OK\r\n", TIMEOUT)
        digest, got = read_raw(port, size, time.monotonic() + TIMEOUT)
        dt = time.perf_counter() - t0
        cpu = emu.cpu() - c0
        port.expect_exact(b"\r\nCLOSED\r\n", TIMEOUT)
        port.close()
    return dt, digest, cpu, got


def dl_baseline(path, size, block=0):
    with B.baseline("source", path, *([str(block)] if block else [])) as base:
        port = B.Port(base.paths[0])
        c0 = base.cpu()
        t0 = time.perf_counter()
        if block:
            h, got = hashlib.sha256(), 0
            while got < size:
                port.write(b"\r")
                n = min(block, size - got)
                while len(port.buf) < n:
                    port.fill(time.monotonic() + TIMEOUT)
                h.update(port.buf)
                got += len(port.buf)
                port.buf.clear()
            digest = h.hexdigest()
        else:
            port.write(b"g")
            digest, got = read_raw(port, size, time.monotonic() + TIMEOUT)
        dt = time.perf_counter() - t0
        cpu = base.cpu() - c0
        port.close()
    return dt, digest, cpu, got


# -- uploads: each returns (seconds, server's digest, emulator CPU seconds) -------

def ul_cipsend(srv, data, quick_send):
    emu, port = modem(srv.port)
    size = len(data)
    with emu:
        if quick_send:
            port.exchange(b"AT+CIPQSEND=1\r", b"\r\nOK\r\n")
        c0 = emu.cpu()
        port.exchange(START1, b"\r\nOK\r\n\r\nCONNECT OK\r\n", TIMEOUT)
        view = memoryview(data)
        t0 = time.perf_counter()
        for off in range(0, size, SEG):
            chunk = view[off:off + SEG]
            port.exchange(b"AT+CIPSEND=%d\r" % len(chunk), b"\r\n> ", TIMEOUT)
            port.write(chunk)
            port.expect_exact(b"\r\nDATA ACCEPT:%d\r\n" % len(chunk) if quick_send
                              else b"\r\nSEND OK\r\n", TIMEOUT)
        reply = port.expect(b"\n", TIMEOUT)
        dt = time.perf_counter() - t0
        cpu = emu.cpu() - c0
        port.expect_exact(b"\r\nCLOSED\r\n", TIMEOUT)
        port.close()
    return dt, reply, cpu


def ul_baseline(data, block=0):
    with B.baseline("sink", str(len(data)), *([str(block)] if block else [])) as base:
        port = B.Port(base.paths[0])
        c0 = base.cpu()
        t0 = time.perf_counter()
        view = memoryview(data)
        step = block or 1 << 16
        for off in range(0, len(data), step):
            chunk = view[off:off + step]
            port.write(chunk)
            if block and len(chunk) == block:
                port.expect_exact(b"k", TIMEOUT)
        reply = port.expect(b"\n", TIMEOUT)
        dt = time.perf_counter() - t0
        cpu = base.cpu() - c0
        port.close()
    return dt, reply, cpu


def cpu_note(cpu, mb):
    """CPU of the serving process (emulator or pty_baseline) per MiB moved;
    /proc/PID/stat counts whole clock ticks, so small figures are bounds."""
    tick = 1 / B.TICK
    if cpu < 5 * tick:
        return f"process CPU < {5 * tick / mb * 1e3:.1f} ms/MiB"
    return f"process CPU {cpu / mb * 1e3:.1f} ms/MiB"


def report(direction, entries, results, mb):
    """entries: (key, label, fn, summary-baseline-key or None for a baseline)."""
    bases = [(k, lbl) for k, lbl, _, sb in entries if sb is None]
    dts = {k: B.median([d for d, _ in results[k]]) for k, *_ in entries}
    for key, label, _, sb in entries:
        cpu = B.median([c for _, c in results[key]])
        notes = []
        if sb is not None:   # vs the stream, and vs the lock-step baseline if it is the fair one
            notes = [f"{dts[bk] / dts[key]:.3f} x {bk}" for bk, _ in bases
                     if bk == "stream" or bk == sb]
        B.line("  " + label, mb / dts[key], "MiB/s", "; ".join(notes + [cpu_note(cpu, mb)]))
        if sb is not None:
            B.summary(f"TCP/IP {direction}", f"{label} vs {sb} (MiB/s)", mb / dts[key],
                      mb / dts[sb], "MiB/s")


def main():
    args = B.parse_args(__doc__)
    B.check_binaries()
    size = (1 if args.quick else 8) * B.MB
    rounds = 1 if args.quick else 5
    mb = size / B.MB
    B.title(f"TCP/IP data: {mb:g} MiB each way, median of {rounds} round(s), SHA-256 checked")
    data = B.payload(size, "bench")
    want = B.sha256_hex(data)
    results = {}

    with tempfile.NamedTemporaryFile(prefix="sim800-bench-") as f:
        f.write(data)
        f.flush()
        downloads = [
            ("stream", "raw PTY stream (pty_baseline source)",
             lambda s: dl_baseline(f.name, size), None),
            ("lock-step", "raw PTY lock-step, 1460 B per request",
             lambda s: dl_baseline(f.name, size, SEG), None),
            ("rxget", "AT+CIPRXGET=2,1460 reads",
             lambda s: dl_ciprxget(s, size), "lock-step"),
            ("receive", "push, +RECEIVE,0,1460: chunks (CIPMUX=1)",
             lambda s: dl_receive(s, size), "stream"),
            ("push", "push, raw bytes (CIPMUX=0, CIPHEAD=0)",
             lambda s: dl_push_raw(s, size), "stream"),
        ]
        with B.start_tls_echo(mode=f"source:{size}:bench", verbose=False) as srv:
            for _ in range(rounds):
                for key, name, fn, _ in downloads:
                    dt, digest, cpu, got = fn(srv)
                    if digest != want or got != size:
                        raise AssertionError(f"{name}: {got} bytes, SHA-256 {digest}, want {want}")
                    results.setdefault(key, []).append((dt, cpu))
    print(f"  download ({mb:g} MiB from the server to the PTY client):")
    report("download", downloads, results, mb)

    results = {}
    reply_want = f"{want} {size}".encode()
    uploads = [
        ("stream", "raw PTY stream (pty_baseline sink)", lambda s: ul_baseline(data), None),
        ("lock-step", "raw PTY lock-step, 1460 B + 1 B ack",
         lambda s: ul_baseline(data, SEG), None),
        ("send", "AT+CIPSEND=1460, SEND OK", lambda s: ul_cipsend(s, data, False), "lock-step"),
        ("qsend", "AT+CIPSEND=1460, DATA ACCEPT (CIPQSEND=1)",
         lambda s: ul_cipsend(s, data, True), "lock-step"),
    ]
    with B.start_tls_echo(mode=f"sink-n:{size}", verbose=False) as srv:
        for _ in range(rounds):
            for key, name, fn, _ in uploads:
                dt, reply, cpu = fn(srv)
                if reply != reply_want:
                    raise AssertionError(f"{name}: server saw {reply!r}, want {reply_want!r}")
                results.setdefault(key, []).append((dt, cpu))
    print(f"  upload ({mb:g} MiB from the PTY client to the server, 1460-byte AT+CIPSEND):")
    report("upload", uploads, results, mb)


if __name__ == "__main__":
    main()
