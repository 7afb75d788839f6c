"""End-to-end fixtures: run the real sim800emu binary and talk to it over its PTY.

The binary is $SIM800EMU_BIN, or build/emulator/sim800emu of this source tree.
Every wait has a timeout, so a misbehaving emulator fails a test instead of
hanging the suite.  On teardown every emulator gets SIGTERM and must exit 0
without a sanitizer report on stderr.

Expected bytes come from the SIM800 AT Command Manual V1.09 (chapters 1, 2 and 19) and the README.
"""
import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import sys

import pytest
import serial

# Tests live in one folder per service (tests/README.md); the helpers next to
# this file (net.py, and this conftest's constants) are importable from all.
sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO / "build" / "emulator" / "sim800emu"

# Boot URCs all at t=0: they are written before the test opens the port and
# are delivered to the first client (manual §19.3).
FAST_BOOT = ("-s", "boot.rdy_ms=0", "-s", "boot.cpin_ms=0",
             "-s", "boot.call_ready_ms=0", "-s", "boot.sms_ready_ms=0")

# No pacing, no added network latency, whatever the profile says.
TIMING_FAST = ("--timing", "fast")

BOOT_FIXED = (b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n"
              b"\r\nCall Ready\r\n\r\nSMS Ready\r\n")

START_TIMEOUT = 10.0   # generous: the ASan build starts slower
STOP_TIMEOUT = 10.0
TIMEOUT = 3.0          # default wait for an answer

# A final result code under ATV1 ends the buffer (manual §2.2.25).
FINAL_V1 = re.compile(
    rb"\r\n(OK|ERROR|NO CARRIER|BUSY|NO ANSWER|NO DIALTONE|CONNECT[^\r\n]*"
    rb"|\+CME ERROR: [^\r\n]+|\+CMS ERROR: [^\r\n]+)\r\n\Z")

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "ERROR: UndefinedBehaviorSanitizer")


def binary_path():
    return Path(os.environ.get("SIM800EMU_BIN") or DEFAULT_BIN)


def require_binary():
    b = binary_path()
    if not (b.is_file() and os.access(b, os.X_OK)):
        pytest.fail(f"sim800emu binary not found or not executable: {b} "
                    f"(build it with `meson setup build && ninja -C build`, "
                    f"or set SIM800EMU_BIN)", pytrace=False)
    return b


def sanitizer_report(text):
    return [m for m in SANITIZER_MARKS if m in text]


class _RawFd:
    """The PTY slave opened with plain open(2).

    pyserial flushes pending input when it opens a port, which would throw away
    the boot URCs the modem wrote before the test got there; a raw open keeps
    them, as a terminal program like picocom does.  The emulator puts the
    slave in raw mode itself, so no termios setup is needed here."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.is_open = True

    def fileno(self):
        return self.fd

    def read(self, n):
        try:
            return os.read(self.fd, n)
        except BlockingIOError:
            return b""

    def write(self, data):
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except BlockingIOError:
                select.select([], [self.fd], [], 1.0)
                continue
            view = view[n:]

    def flush(self):
        pass

    def close(self):
        if self.is_open:
            os.close(self.fd)
            self.is_open = False


class Port:
    """A client of one modem PTY with an internal receive buffer.

    pyserial=True opens it through pyserial (as most modem scripts do);
    the default is a raw open that keeps bytes written before the open."""

    def __init__(self, path, pyserial=False):
        self.path = path
        self.ser = serial.Serial(path, 115200, timeout=0) if pyserial else _RawFd(path)
        self.buf = bytearray()

    # -- low level -------------------------------------------------------
    def _read_some(self, deadline):
        """Wait until bytes arrive or the deadline passes; True if any came."""
        left = deadline - time.monotonic()
        if left < 0:
            left = 0
        r, _, _ = select.select([self.ser.fileno()], [], [], left)
        if not r:
            return False
        data = self.ser.read(65536)
        self.buf += data
        return bool(data)

    def _slurp(self):
        """Append whatever is immediately available (no waiting)."""
        while self._read_some(time.monotonic() + 0.02):
            pass

    def write(self, data):
        self.ser.write(data)
        self.ser.flush()

    def close(self):
        if self.ser.is_open:
            self.ser.close()

    def take(self):
        """Everything buffered so far (and clears the buffer)."""
        out = bytes(self.buf)
        self.buf.clear()
        return out

    # -- helpers for tests ------------------------------------------------
    def read_for(self, seconds):
        """All bytes arriving within `seconds` (plus anything buffered)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read_some(deadline)
        return self.take()

    def expect(self, data, timeout=TIMEOUT):
        """Read until `data` appears; return the bytes up to and including it.

        Bytes after it stay buffered for the next call."""
        deadline = time.monotonic() + timeout
        while True:
            i = self.buf.find(data)
            if i >= 0:
                end = i + len(data)
                out = bytes(self.buf[:end])
                del self.buf[:end]
                return out
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{self.path}: expected {data!r} within {timeout}s; "
                    f"received {bytes(self.buf)!r}")
            self._read_some(deadline)

    def expect_any(self, choices, timeout=TIMEOUT):
        """Read until one of `choices` appears (the earliest wins); return the
        bytes up to and including it."""
        deadline = time.monotonic() + timeout
        while True:
            found = [(i, c) for c in choices for i in [self.buf.find(c)] if i >= 0]
            if found:
                i, c = min(found)
                end = i + len(c)
                out = bytes(self.buf[:end])
                del self.buf[:end]
                return out
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{self.path}: expected one of {choices!r} within {timeout}s; "
                    f"received {bytes(self.buf)!r}")
            self._read_some(deadline)

    def expect_exact(self, expected, timeout=TIMEOUT):
        """The next bytes must be exactly `expected`, with nothing after them
        that is already on its way."""
        deadline = time.monotonic() + timeout
        while len(self.buf) < len(expected) and time.monotonic() < deadline:
            if not expected.startswith(bytes(self.buf)):
                break   # diverged: collect a little more context, then fail
            self._read_some(deadline)
        self._slurp()
        got = self.take()
        assert got == expected, (
            f"{self.path}: expected {expected!r}\n{' ' * len(self.path)}  "
            f"received {got!r}")
        return got

    def exchange(self, send, expected, timeout=TIMEOUT):
        """Write `send`; the answer must be exactly `expected`."""
        assert not self.buf, f"unread bytes before sending {send!r}: {bytes(self.buf)!r}"
        self.write(send)
        return self.expect_exact(expected, timeout)

    def cmd(self, line, timeout=TIMEOUT, final=FINAL_V1):
        """Write a command line; return every byte up to its final result
        code (ATV1 framing), echo included."""
        assert not self.buf, f"unread bytes before sending {line!r}: {bytes(self.buf)!r}"
        self.write(line)
        deadline = time.monotonic() + timeout
        while True:
            # Skip the echo of the line itself before looking for the final.
            body = bytes(self.buf)
            if body.startswith(line):
                body = body[len(line):]
            if final.search(body):
                self._slurp()   # anything right behind the final shows up too
                return self.take()
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{self.path}: no final result code for {line!r} within "
                    f"{timeout}s; received {bytes(self.buf)!r}")
            self._read_some(deadline)

    def assert_quiet(self, seconds=0.3):
        got = self.read_for(seconds)
        assert got == b"", f"{self.path}: expected silence, received {got!r}"


class Emulator:
    """One sim800emu process."""

    def __init__(self, args, n, tmpdir):
        self.args = [str(require_binary())] + [str(a) for a in args]
        self.n = n
        self.ports = []
        self.stderr_path = Path(tmpdir) / f"stderr-{id(self)}.txt"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._stderr,
                                     start_new_session=True)
        self.returncode = None
        try:
            self.paths = self._read_paths()
        except BaseException:
            self.kill()
            raise

    def _read_paths(self):
        fd = self.proc.stdout.fileno()
        out = b""
        deadline = time.monotonic() + START_TIMEOUT
        while out.count(b"\n") < self.n:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError(
                    f"{self.args}: {self.n} PTY path line(s) not printed within "
                    f"{START_TIMEOUT}s; stdout {out!r}; stderr {self.stderr()!r}")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    rc = self.proc.wait(timeout=STOP_TIMEOUT)
                    raise AssertionError(
                        f"{self.args}: exited with {rc} before printing its PTY "
                        f"paths; stdout {out!r}; stderr {self.stderr()!r}")
                out += chunk
        lines = out.decode().splitlines()
        assert len(lines) == self.n, f"expected {self.n} path lines, got {lines!r}"
        for p in lines:
            assert p.startswith("/dev/"), f"stdout line is not a PTY path: {p!r}"
        return lines

    def stderr(self):
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def open(self, index=0, pyserial=False):
        p = Port(self.paths[index], pyserial)
        self.ports.append(p)
        return p

    def boot(self, index=0, until=b"SMS Ready\r\n", timeout=TIMEOUT):
        """Open a port and drain the boot URCs up to and including `until`."""
        p = self.open(index)
        p.expect(until, timeout)
        return p

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        for p in self.ports:
            p.close()
        if self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
                self.returncode = None
                self._stderr.close()
                return None
        self.returncode = self.proc.returncode
        self.proc.stdout.close()
        self._stderr.close()
        return self.returncode


class EmulatorFactory:
    def __init__(self, tmpdir):
        self.tmpdir = tmpdir
        self.started = []

    def start(self, *args, n=1, fast=True):
        """Start sim800emu with `args` (fast boot unless fast=False).

        Always --timing fast first (README "Timing"): the suite checks bytes
        and state; a test that wants pacing or latencies passes --timing real
        or -s timing.KEY=VALUE, which come later and win."""
        full = list(TIMING_FAST) + list(FAST_BOOT if fast else ()) + list(args)
        if n != 1:
            full += ["-n", str(n)]
        e = Emulator(full, n, self.tmpdir)
        self.started.append(e)
        return e

    def modem(self, *args, until=b"SMS Ready\r\n"):
        """Start one fast-booting modem, open its port, drain the boot URCs."""
        e = self.start(*args)
        return e, e.boot(until=until)

    def finish(self):
        problems = []
        for e in self.started:
            rc = e.stop()
            err = e.stderr()
            if rc != 0:
                problems.append(f"{e.args}: exit status {rc} after SIGTERM (expected 0); "
                                f"stderr: {err[-2000:]!r}")
            found = sanitizer_report(err)
            if found:
                problems.append(f"{e.args}: sanitizer report {found} on stderr:\n{err[-4000:]}")
        return problems


@pytest.fixture
def emulator(tmp_path):
    """Factory: emulator.start(*args, n=1, fast=True) -> Emulator;
    emulator.modem(*args) -> (Emulator, Port) with boot URCs drained."""
    require_binary()
    f = EmulatorFactory(tmp_path)
    yield f
    problems = f.finish()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def modem(emulator):
    """The default profile, fast boot, port open, drained up to SMS Ready."""
    _, port = emulator.modem()
    return port


def run_cli(*args, timeout=10.0, env=None):
    """Run sim800emu expecting it to exit by itself (bad usage, --help...).

    Returns CompletedProcess with text stdout/stderr."""
    b = require_binary()
    try:
        r = subprocess.run([str(b)] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, errors="replace",
                           timeout=timeout, start_new_session=True,
                           env=None if env is None else dict(os.environ, **env))
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"sim800emu {args} did not exit within {timeout}s "
                             f"(stdout {e.stdout!r})") from None
    # Every early exit releases what it set up: under ASan a leak or a
    # memory error on any of them fails the test that took that exit.
    found = sanitizer_report(r.stderr)
    assert not found, f"sim800emu {args}: sanitizer report {found}:\n{r.stderr[-4000:]}"
    return r


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


@pytest.fixture
def tmpfile_factory(tmp_path):
    def make(name, text):
        p = tmp_path / name
        p.write_text(text)
        return p
    return make




# The timings the client-facing tests run under: both (README "Timing"),
# unless SIM800EMU_TIMINGS names fewer; the ASan run of ./scripts/test runs
# fast only, as the plain run covers the real timing's bytes.
TIMINGS = os.environ.get("SIM800EMU_TIMINGS", "fast,real").split(",")


@pytest.fixture(params=TIMINGS)
def controlled(request, emulator, tmp_path):
    """(port, control client) of one booted modem with a control socket, under
    both timings (README "Timing"): the client-facing flows of the services
    the control socket drives (SMS, USSD, calls)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "python"))
    from sim800emu import Control
    path = tmp_path / "ctl.sock"
    emu = emulator.start("--control", path, "--timing", request.param)
    m = emu.boot()
    with Control(path) as ctl:
        yield m, ctl
