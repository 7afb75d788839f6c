#!/usr/bin/python3
"""HTTPS GET of a 300 KB body through the emulator vs curl to the same nginx.

Emulator: AT+HTTPACTION=0 until its +HTTPACTION URC, then one AT+HTTPREAD
through the PTY, SHA-256 checked.  Baseline: `curl` (TLS 1.0, AES128-SHA,
verifying against the same root) fetching the same URL from the same nginx,
one request at a time, alternating with the emulator.  The ratio is
emulator time / curl time (issue 6 aims at <= 1.5).
"""
import hashlib
import re
import shutil
import subprocess
import sys
import time

import benchlib as B

sys.path.insert(0, str(B.REPO / "tests" / "servers"))
from nginx import start_nginx as start_web  # noqa: E402

ACTION = re.compile(rb"\r\n\+HTTPACTION: 0,(\d+),(\d+)\r\n")
HEAD = re.compile(rb"\r\n\+HTTPREAD: (\d+)\r\n")


def emu_get(port, want_sha, size):
    t0 = time.perf_counter()
    port.write(b"AT+HTTPACTION=0\r")
    port.expect(b"\r\nOK\r\n", 30)
    deadline = time.monotonic() + 60
    while not ACTION.search(port.buf):
        port.fill(deadline)
    mt = ACTION.search(port.buf)
    if (int(mt.group(1)), int(mt.group(2))) != (200, size):
        raise AssertionError(f"unexpected {mt.group(0)!r}")
    del port.buf[:mt.end()]
    port.write(b"AT+HTTPREAD\r")
    while not HEAD.match(port.buf):
        port.fill(deadline)
    mt = HEAD.match(port.buf)
    end = mt.end() + size + 6
    while len(port.buf) < end:
        port.fill(deadline)
    body = bytes(port.buf[mt.end():mt.end() + size])
    del port.buf[:end]
    elapsed = time.perf_counter() - t0
    if hashlib.sha256(body).hexdigest() != want_sha:
        raise AssertionError("emulator: wrong body")
    return elapsed


def curl_get(url, port, want_sha):
    argv = ["curl", "-s", "--tlsv1.0", "--tls-max", "1.0", "--ciphers", "AES128-SHA:@SECLEVEL=0",
            "--cacert", str(B.pki() / "root.crt"),
            "--resolve", f"www.gmail.com:{port}:127.0.0.1", "-o", "-", url]
    t0 = time.perf_counter()
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    elapsed = time.perf_counter() - t0
    if out.returncode != 0 or hashlib.sha256(out.stdout).hexdigest() != want_sha:
        raise AssertionError(f"curl failed: {out.returncode} {out.stderr[-300:]!r}")
    return elapsed


def main():
    args = B.parse_args(__doc__)
    B.check_binaries()
    if not shutil.which("curl"):
        print("  curl not installed: no baseline (apt-get install curl)")
        return
    rounds = 3 if args.quick else 15
    B.title(f"HTTPS GET of 300 KB ({rounds} rounds, alternating with curl)")
    with start_web(cert_name="www.gmail.com") as web:
        body = web.file("300k.bin")
        sha = hashlib.sha256(body).hexdigest()
        url = f"https://www.gmail.com:{web.https_port}/300k.bin"
        with B.emulator(maps=[("www.gmail.com:443", web.https_port)], ca="root.crt") as emu:
            port = B.boot(emu.paths[0], echo=False)
            for c in (b'AT+SAPBR=3,1,"APN","CMNET"\r', b"AT+SAPBR=1,1\r", b"AT+HTTPINIT\r",
                      b'AT+HTTPPARA="URL","www.gmail.com/300k.bin"\r', b"AT+HTTPSSL=1\r"):
                port.exchange(c, b"\r\nOK\r\n", 10)
            emu_t, curl_t = [], []
            for _ in range(rounds):
                emu_t.append(emu_get(port, sha, len(body)))
                curl_t.append(curl_get(url, web.https_port, sha))
            port.close()
    e, c = B.median(emu_t), B.median(curl_t)
    B.line("emulator: HTTPACTION + HTTPREAD (median)", e * 1000, "ms")
    B.line("curl, same nginx (median)", c * 1000, "ms")
    B.line("ratio emulator / curl", e / c, "x")
    B.summary("http", "HTTPS GET 300 KB", e * 1000, c * 1000, "ms")


if __name__ == "__main__":
    main()
