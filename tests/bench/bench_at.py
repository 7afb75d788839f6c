#!/usr/bin/python3
"""AT round trips: `AT\\r` -> `AT\\r\\r\\nOK\\r\\n` through the emulator vs a bare PTY.

One command at a time (send, wait for the whole answer, check its bytes, send
the next), for a fixed time, alternating baseline and emulator rounds so that
both see the same machine; the medians are compared.  The baseline is
pty_baseline echo: a process holding a raw PTY that answers every `\\r` with
the same ten bytes at once.  The client is the same Python loop for both.
"""
import os
import select
import time

import benchlib as B

CMD = b"AT\r"
ANSWER = b"AT\r\r\nOK\r\n"


def round_trips(port, seconds):
    """(round trips per second, number done) for `seconds` of back-to-back AT."""
    fd, n, want = port.fd, 0, len(ANSWER)
    write, read, sel = os.write, os.read, select.select
    t0 = time.perf_counter()
    end = t0 + seconds
    while True:
        write(fd, CMD)
        got = b""
        while len(got) < want:
            if not sel([fd], [], [], 5.0)[0]:
                raise TimeoutError(f"{port.path}: no answer to {CMD!r} in 5 s; got {got!r}")
            got += read(fd, 4096)
        if got != ANSWER:
            raise AssertionError(f"{port.path}: {CMD!r} answered {got!r}")
        n += 1
        if n & 63 == 0 and time.perf_counter() >= end:
            break
    return n / (time.perf_counter() - t0), n


def measure(proc, port, seconds):
    c0 = proc.cpu()
    rate, n = round_trips(port, seconds)
    return rate, (proc.cpu() - c0) / n


def main():
    args = B.parse_args(__doc__)
    B.check_binaries()
    rounds, seconds = (1, 1.0) if args.quick else (5, 2.0)
    B.title(f"AT round trips ({rounds} x {seconds:g} s per side, one command in flight)")
    with B.emulator() as emu, B.baseline("echo") as base:
        eport = B.boot(emu.paths[0])
        bport = B.Port(base.paths[0])
        round_trips(eport, 0.2)   # warm up both
        round_trips(bport, 0.2)
        e_rates, b_rates, e_cpu, b_cpu = [], [], [], []
        for _ in range(rounds):
            r, c = measure(base, bport, seconds)
            b_rates.append(r)
            b_cpu.append(c)
            r, c = measure(emu, eport, seconds)
            e_rates.append(r)
            e_cpu.append(c)
        eport.close()
        bport.close()
    e, b = B.median(e_rates), B.median(b_rates)
    B.line("raw PTY echo (pty_baseline)", b, "/s", f"{1e6 / b:.1f} us per round trip")
    B.line("sim800emu AT -> OK", e, "/s", f"{1e6 / e:.1f} us per round trip")
    B.line("ratio emulator / raw PTY", e / b, "x")
    B.line("server CPU per round trip: raw PTY", B.median(b_cpu) * 1e6, "us")
    B.line("server CPU per round trip: emulator", B.median(e_cpu) * 1e6, "us")
    B.summary("AT round trips", "commands/s", e, b, "/s")


if __name__ == "__main__":
    main()
