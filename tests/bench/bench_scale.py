#!/usr/bin/python3
"""Modem scale: 1, 100 and 1000 modems (-n) in one sim800emu process.

For each N: time from spawn until all N PTY paths are printed, CPU the process
burns while idle with no port open, resident memory (VmRSS from /proc) after
boot and after every port has been opened and used, and the latency of one
`AT\\r` round trip on each modem (ports opened first, boot URCs drained, then
one AT per modem in turn).  Per-modem memory is the growth over the 1-modem
process.  Baseline: pty_baseline echo N, a bare process holding N raw PTYs that
answers each `\\r` with the same bytes, through the same client code.
"""
import time

import benchlib as B

ANSWER = b"AT\r\r\nOK\r\n"


def idle_cpu(proc, seconds):
    c0, t0 = proc.cpu(), time.perf_counter()
    time.sleep(seconds)
    return (proc.cpu() - c0) / (time.perf_counter() - t0)


def one_each(proc, boot, idle_s):
    """Measure one process holding len(proc.paths) PTYs."""
    r = {"startup": proc.startup}
    time.sleep(0.2)                       # let fast boot finish
    r["idle_cpu"] = idle_cpu(proc, idle_s)
    r["rss_start"] = proc.rss()
    ports = [B.Port(p) for p in proc.paths]
    try:
        if boot:
            for p in ports:
                p.expect(B.BOOT_END)
        lat = []
        t_all = time.perf_counter()
        for p in ports:
            t0 = time.perf_counter()
            p.exchange(b"AT\r", ANSWER, timeout=10)
            lat.append(time.perf_counter() - t0)
        r["all_rt"] = time.perf_counter() - t_all
        r["rt_mean"] = sum(lat) / len(lat)
        r["rt_p50"] = B.median(lat)
        r["rt_max"] = max(lat)
        r["rss_used"] = proc.rss()
        r["idle_cpu_open"] = idle_cpu(proc, idle_s)
    finally:
        for p in ports:
            p.close()
    return r


def main():
    args = B.parse_args(__doc__)
    B.check_binaries()
    counts = (1, 100, 1000)
    idle_s = 0.5 if args.quick else 1.0
    B.title(f"Modem scale: {', '.join(map(str, counts))} modems in one process")
    res = {}
    for n in counts:
        with B.emulator(n=n) as emu:
            e = one_each(emu, True, idle_s)
        with B.baseline("echo", str(n), n=n) as base:
            b = one_each(base, False, idle_s)
        res[n] = (e, b)
    base1 = res[1][0]["rss_used"]
    for n in counts:
        e, b = res[n]
        print(f"  -- {n} modem{'s' if n > 1 else ''} --")
        B.line("paths printed after: emulator", e["startup"] * 1e3, "ms",
               f"(raw PTYs {b['startup'] * 1e3:.1f} ms)")
        B.line("RSS after boot: emulator", e["rss_start"] / 1024, "KiB",
               f"(raw PTYs {b['rss_start'] / 1024:.0f} KiB)")
        B.line("RSS after one AT on each: emulator", e["rss_used"] / 1024, "KiB",
               f"(raw PTYs {b['rss_used'] / 1024:.0f} KiB)")
        if n > 1:
            B.line("memory per modem (growth over 1 modem)",
                   (e["rss_used"] - base1) / (n - 1) / 1024, "KiB")
        B.line("idle CPU, no port open: emulator", e["idle_cpu"] * 100, "%",
               f"(raw PTYs {b['idle_cpu'] * 100:.1f} %)")
        B.line("idle CPU, every port open: emulator", e["idle_cpu_open"] * 100, "%",
               f"(raw PTYs {b['idle_cpu_open'] * 100:.1f} %)")
        B.line("AT round trip, mean over modems: emulator", e["rt_mean"] * 1e6, "us",
               f"(raw PTYs {b['rt_mean'] * 1e6:.0f} us; p50 {e['rt_p50'] * 1e6:.0f} us, "
               f"max {e['rt_max'] * 1e6:.0f} us)")
        B.line("one AT on every modem, total: emulator", e["all_rt"] * 1e3, "ms",
               f"(raw PTYs {b['all_rt'] * 1e3:.1f} ms)")
    nmax = counts[-1]
    e, b = res[nmax]
    B.summary("Modem scale", f"start {nmax} modems (ms)", e["startup"] * 1e3, b["startup"] * 1e3, "ms")
    B.summary("Modem scale", f"RSS with {nmax} modems (MiB)", e["rss_used"] / B.MB, b["rss_used"] / B.MB, "MiB")
    B.summary("Modem scale", "memory per modem (KiB)", (e["rss_used"] - base1) / (nmax - 1) / 1024,
              None, "KiB")
    B.summary("Modem scale", f"AT round trip, {nmax} modems (us)", e["rt_mean"] * 1e6,
              b["rt_mean"] * 1e6, "us")
    B.summary("Modem scale", f"idle CPU, {nmax} modems, ports closed (%)", e["idle_cpu"] * 100,
              None, "%")


if __name__ == "__main__":
    main()
