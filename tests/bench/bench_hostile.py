#!/usr/bin/python3
"""Memory of a modem whose client writes commands and does not read.

Cases (issue 11): AT+HTTPREAD of a 300 KB body written 50 and 500 times in
one go (600 / 6,000 bytes in, 15 / 150 MB of answers), and "AT\\r" written
for 20 s (3 s with --quick), all without reading.  Printed: the process's
RSS before, while the client does not read (after the writes stop being
taken, or the time is up), and after it has read everything.  Every answer is
then read and checked byte for byte (SHA-256 of the whole stream), so the
back-pressure that bounds the memory is seen to lose and reorder nothing.
Baseline: the same modem's RSS before the flood.
"""
import hashlib
import os
import sys
import threading
import time

import benchlib as B

sys.path.insert(0, str(B.REPO / "tests" / "servers"))
from nginx import start_nginx as start_web  # noqa: E402

OK = b"\r\nOK\r\n"
MIB = 1 << 20


def stalled(emu, port, data, expected_len, expected_sha, stall_s):
    """Writes data from a thread, reads nothing for stall_s, then everything."""
    before = emu.rss()
    writer = threading.Thread(target=port.write, args=(data,), daemon=True)
    writer.start()
    time.sleep(stall_s)
    during = emu.rss()
    h = hashlib.sha256()
    got = 0
    deadline = time.monotonic() + 300
    while got < expected_len:
        port.fill(deadline)
        h.update(port.buf)
        got += len(port.buf)
        del port.buf[:]
    writer.join(30)
    if got != expected_len or h.hexdigest() != expected_sha:
        raise AssertionError(f"wrong answers: {got} of {expected_len} bytes")
    return before, during, emu.rss()


def httpread_case(emu, port, body, times, stall_s):
    line = b"AT+HTTPREAD\r"
    answer = b"\r\n+HTTPREAD: %d\r\n" % len(body) + body + OK
    return stalled(emu, port, line * times, len(answer) * times,
                   hashlib.sha256(answer * times).hexdigest(), stall_s)


def flood_case(emu, port, seconds):
    """"AT\\r" for `seconds` without reading (echo off: each answer is OK)."""
    before = emu.rss()
    stop = time.monotonic() + seconds
    sent = [0]

    def flood():
        chunk = b"AT\r" * 4096
        while time.monotonic() < stop or sent[0] % 3:
            part = chunk[sent[0] % 3:] if time.monotonic() < stop else chunk[sent[0] % 3:3]
            try:
                sent[0] += os.write(port.fd, part)
            except BlockingIOError:
                time.sleep(0.002)
    writer = threading.Thread(target=flood, daemon=True)
    writer.start()
    writer.join(seconds + 30)
    during = emu.rss()
    n = sent[0] // 3
    want = n * len(OK)
    h = hashlib.sha256()
    got = 0
    deadline = time.monotonic() + 300
    while got < want:
        port.fill(deadline)
        h.update(port.buf)
        got += len(port.buf)
        del port.buf[:]
    if got != want or h.hexdigest() != hashlib.sha256(OK * n).hexdigest():
        raise AssertionError(f"flood: {got} of {want} bytes, or not all OK")
    return before, during, emu.rss(), sent[0] // 3


def report(label, before, during, after):
    print(f"  {label}", flush=True)
    B.line("  RSS before", before / MIB, "MiB")
    B.line("  RSS while the client does not read", during / MIB, "MiB")
    B.line("  RSS after it has read everything", after / MIB, "MiB")


def main():
    args = B.parse_args(__doc__)
    B.check_binaries()
    flood_s = 3 if args.quick else 20
    B.title("A client that writes and does not read: RSS (answers SHA-256 checked)")
    with start_web() as web:
        body = web.file("300k.bin")
        with B.emulator(maps=[("web.test:80", web.http_port)]) as emu:
            port = B.boot(emu.paths[0], echo=False)
            for c in (b'AT+SAPBR=3,1,"APN","CMNET"\r', b"AT+SAPBR=1,1\r", b"AT+HTTPINIT\r",
                      b'AT+HTTPPARA="URL","web.test/300k.bin"\r', b"AT+HTTPACTION=0\r"):
                port.exchange(c, OK, 10)
            port.expect(b"+HTTPACTION: 0,200,%d\r\n" % len(body), 30)
            for times in ((50,) if args.quick else (50, 500)):
                b, d, a = httpread_case(emu, port, body, times, 3.0)
                report(f"AT+HTTPREAD x{times} ({times * 12} B in)", b, d, a)
                B.summary("hostile", f"RSS, AT+HTTPREAD x{times} unread", d / MIB, b / MIB, "MiB")
            b, d, a, n = flood_case(emu, port, flood_s)
            report(f"AT<CR> for {flood_s} s ({n:,} commands)", b, d, a)
            B.summary("hostile", f"RSS, AT<CR> {flood_s} s unread", d / MIB, b / MIB, "MiB")
            port.close()


if __name__ == "__main__":
    main()
