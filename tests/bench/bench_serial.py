#!/usr/bin/python3
"""AT round trips over the network (--listen, RFC 2217) vs a raw TCP ping-pong floor.

The same client loop for both sides: a TCP socket that sends `AT\\r` and
waits for the whole answer before the next.  Emulator side: modem 0 served
with --listen (RFC 2217; the client first reads the server's option offers,
then sends data as it is, since `AT\\r` holds no IAC byte).  Baseline: a TCP
server in a process of its own that answers every `\\r` with the same ten
bytes at once (a Python selector loop: the floor of one persistent process
answering on loopback).  Rounds alternate; the medians are compared.
"""
import os
import socket
import subprocess
import sys
import time

import benchlib as B

CMD = b"AT\r"
ANSWER = b"AT\r\r\nOK\r\n"

SERVER = r'''
import selectors, socket, sys
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
print(ls.getsockname()[1], flush=True)
c, _ = ls.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
while True:
    d = c.recv(4096)
    if not d:
        break
    c.sendall(b"AT\r\r\nOK\r\n" * d.count(b"\r"))
'''


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def round_trips(s, seconds):
    n, want = 0, len(ANSWER)
    t0 = time.perf_counter()
    end = t0 + seconds
    while True:
        s.sendall(CMD)
        got = b""
        while len(got) < want:
            d = s.recv(4096)
            if not d:
                raise ConnectionError("closed")
            got += d
        if got != ANSWER:
            raise AssertionError(f"{CMD!r} answered {got!r}")
        n += 1
        if n & 63 == 0 and time.perf_counter() >= end:
            break
    return n / (time.perf_counter() - t0)


def main():
    args = B.parse_args(__doc__)
    B.check_binaries()
    rounds, seconds = (1, 1.0) if args.quick else (5, 2.0)
    B.title(f"AT round trips over TCP ({rounds} x {seconds:g} s per side, one command in flight)")
    port = free_port()
    base = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        bport = int(base.stdout.readline())
        with B.emulator("--listen", str(port)) as emu:
            es = connect(port)
            # The server's Telnet offers and the boot URCs (the first client's).
            deadline = time.monotonic() + 5
            buf = b""
            while b"SMS Ready\r\n" not in buf and time.monotonic() < deadline:
                es.settimeout(0.5)
                try:
                    buf += es.recv(4096)
                except socket.timeout:
                    pass
            es.settimeout(None)
            bs = connect(bport)
            round_trips(es, 0.2)
            round_trips(bs, 0.2)
            e_rates, b_rates = [], []
            for _ in range(rounds):
                b_rates.append(round_trips(bs, seconds))
                e_rates.append(round_trips(es, seconds))
            es.close()
            bs.close()
    finally:
        base.kill()
        base.wait()
    e, b = B.median(e_rates), B.median(b_rates)
    B.line("raw TCP ping-pong (one Python process)", b, "/s", f"{1e6 / b:.1f} us per round trip")
    B.line("sim800emu over RFC 2217 (--listen)", e, "/s", f"{1e6 / e:.1f} us per round trip")
    B.line("ratio emulator / raw TCP", e / b, "x")
    B.summary("AT over RFC 2217", "commands/s", e, b, "/s")


if __name__ == "__main__":
    main()
