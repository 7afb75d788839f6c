"""Shared pieces of the benchmarks: the binaries, processes that print PTY paths,
a raw PTY client, /proc readings and the figure printer.

Benchmarks print figures and never assert timings (they do check the bytes, so a
figure is never measured on wrong data).  Every emulator figure is printed next
to a baseline measured in the same run, and the ratio between the two is what
to compare across machines.

Environment: SIM800EMU_BIN (emulator), SIM800EMU_BASELINE (pty_baseline),
default both from build-bench/ (scripts/bench makes that release build);
BENCH_SUMMARY: a file that gets one JSON line per headline figure (scripts/bench
prints them as a table at the end).
"""
import argparse
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "servers"))

from servers import payload, pki, sha256_hex, start_tls_echo  # noqa: E402,F401

BUILD = Path(os.environ.get("SIM800EMU_BENCH_BUILD") or REPO / "build-bench")
EMULATOR = Path(os.environ.get("SIM800EMU_BIN") or BUILD / "emulator" / "sim800emu")
BASELINE = Path(os.environ.get("SIM800EMU_BASELINE") or BUILD / "tests" / "bench" / "pty_baseline")

FAST_BOOT = ("-s", "boot.rdy_ms=0", "-s", "boot.cpin_ms=0",
             "-s", "boot.call_ready_ms=0", "-s", "boot.sms_ready_ms=0")
BOOT_END = b"SMS Ready\r\n"
MB = 1 << 20
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def parse_args(doc):
    p = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    return p.parse_args()


# -- processes ---------------------------------------------------------------

class Proc:
    """A process that prints `n` PTY paths on stdout (sim800emu or pty_baseline).

    .paths, .startup (seconds from spawn until the last path line arrived)."""

    def __init__(self, argv, n=1, timeout=60.0):
        self.argv = [str(a) for a in argv]
        self.n = n
        self.err = tempfile.TemporaryFile()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.err, start_new_session=True)
        out = b""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while out.count(b"\n") < n:
            left = deadline - time.monotonic()
            r, _, _ = select.select([fd], [], [], max(0.0, left))
            if not r:
                self.stop()
                raise RuntimeError(f"{self.argv[0]}: {n} paths not printed within {timeout}s")
            chunk = os.read(fd, 65536)
            if not chunk:
                self.stop()
                err = self.stderr()
                raise RuntimeError(f"{self.argv}: exited before printing its paths: {err}")
            out += chunk
        self.startup = time.perf_counter() - t0
        self.paths = out.decode().split()
        assert len(self.paths) == n and all(p.startswith("/dev/") for p in self.paths), out[:200]

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    @property
    def pid(self):
        return self.proc.pid

    def rss(self):
        """Resident set size in bytes (VmRSS)."""
        with open(f"/proc/{self.pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE

    def cpu(self):
        """User + system CPU seconds used so far."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        rc = self.stop()
        if rc not in (0, None) and exc[0] is None:
            raise RuntimeError(f"{self.argv[0]} exited with status {rc}: {self.stderr()[-2000:]}")
        return False


def emulator(*args, n=1, maps=(), ca=None):
    """sim800emu with fast boot and --only-mapped; maps: (HOST[:PORT], port) pairs
    sent to 127.0.0.1:port."""
    argv = [EMULATOR, *FAST_BOOT, "--only-mapped"]
    for src, port in maps:
        argv += ["-m", f"{src}=127.0.0.1:{port}"]
    if ca:
        argv += ["--ca-file", str(pki() / ca)]
    if n != 1:
        argv += ["-n", str(n)]
    return Proc(argv + list(args), n)


def baseline(*args, n=1):
    return Proc([BASELINE, *args], n)


def check_binaries():
    for b in (EMULATOR, BASELINE):
        if not (b.is_file() and os.access(b, os.X_OK)):
            sys.exit(f"missing {b}: run scripts/bench (it builds build-bench/), "
                     f"or set SIM800EMU_BIN / SIM800EMU_BASELINE")


# -- a PTY client --------------------------------------------------------------

class Port:
    """The slave side opened with plain open(2), as a terminal program does
    (pyserial would flush the boot URCs on open).  .buf holds unread bytes."""

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.buf = bytearray()

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def write(self, data):
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except BlockingIOError:
                select.select([], [self.fd], [], 1.0)
                continue
            view = view[n:]

    def fill(self, deadline):
        """Wait for more bytes (appended to .buf); raise on timeout."""
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                data = None
            if data:
                self.buf += data
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.path}: timed out; unread {bytes(self.buf[-300:])!r}")
            select.select([self.fd], [], [], left)

    def expect(self, data, timeout=10.0):
        """Consume up to and including `data`; return what came before it."""
        deadline = time.monotonic() + timeout
        start = 0
        while True:
            i = self.buf.find(data, start)
            if i >= 0:
                before = bytes(self.buf[:i])
                del self.buf[:i + len(data)]
                return before
            start = max(0, len(self.buf) - len(data) + 1)
            self.fill(deadline)

    def expect_exact(self, data, timeout=10.0):
        """The next bytes must be exactly `data`."""
        deadline = time.monotonic() + timeout
        while len(self.buf) < len(data):
            if not data.startswith(bytes(self.buf)):
                break
            self.fill(deadline)
        got = bytes(self.buf[:len(data)])
        if got != data:
            raise AssertionError(f"{self.path}: expected {data!r}, got {bytes(self.buf[:300])!r}")
        del self.buf[:len(data)]

    def exchange(self, send, answer, timeout=10.0):
        if self.buf:
            raise AssertionError(f"{self.path}: unread {bytes(self.buf)!r} before {send!r}")
        self.write(send)
        self.expect_exact(answer, timeout)


def boot(path, echo=True):
    """Open a modem's port, drain its boot URCs, optionally turn echo off."""
    port = Port(path)
    port.expect(BOOT_END)
    if not echo:
        port.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n")
    return port


def gprs(port, mux=0, rxget=False):
    """The bearer sequence of the SIM800 AT Command Manual V1.09 §8.2.9–8.2.11, echo off."""
    port.exchange(b"AT+CIPMUX=%d\r" % mux, b"\r\nOK\r\n")
    port.exchange(b'AT+CSTT="CMNET"\r', b"\r\nOK\r\n")
    port.exchange(b"AT+CIICR\r", b"\r\nOK\r\n", timeout=10)
    port.exchange(b"AT+CIFSR\r", b"\r\n10.78.245.128\r\n")
    if rxget:
        port.exchange(b"AT+CIPRXGET=1\r", b"\r\nOK\r\n")


# -- figures -------------------------------------------------------------------

def median(xs):
    return statistics.median(xs) if xs else float("nan")


def title(text):
    print(f"\n== {text} ==", flush=True)


def line(label, value, unit="", note=""):
    if isinstance(value, float):
        value = f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    print(f"  {label:<44} {value:>12} {unit:<8} {note}".rstrip(), flush=True)


def summary(bench, metric, emu, base, unit, ratio=None):
    """A headline figure for scripts/bench's closing table.  ratio defaults to
    emu/base (None when there is no baseline)."""
    if ratio is None and base:
        ratio = emu / base
    rec = {"bench": bench, "metric": metric, "emulator": emu, "baseline": base,
           "unit": unit, "ratio": ratio}
    path = os.environ.get("BENCH_SUMMARY")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(rec) + "\n")
