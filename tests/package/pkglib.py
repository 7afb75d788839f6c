"""Helpers for the install and package tests (tests/package/): run an
installed sim800emu (not the build tree's), talk to its PTY, and find the
build it came from.

No conftest.py here on purpose: tests/e2e's test modules import their own
`conftest` by name, and a second one on sys.path could shadow it."""
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "servers"))

from servers import start_tls_echo  # noqa: E402,F401  (re-exported)

TIMEOUT = 10.0
FAST_BOOT = ("-s", "boot.rdy_ms=0", "-s", "boot.cpin_ms=0",
             "-s", "boot.call_ready_ms=0", "-s", "boot.sms_ready_ms=0")
LEGACY_CIPHERS = "AES128-SHA:AES256-SHA:DES-CBC3-SHA:@SECLEVEL=0"


def build_binary():
    """The build tree's binary: $SIM800EMU_BIN, else build/emulator/sim800emu."""
    return Path(os.environ.get("SIM800EMU_BIN") or REPO / "build" / "emulator" / "sim800emu")


def build_dir():
    """The meson build directory the binary was built in."""
    d = build_binary().resolve().parents[1]
    if not (d / "meson-private").is_dir():
        raise AssertionError(f"{d} is not a meson build directory (SIM800EMU_BIN="
                             f"{os.environ.get('SIM800EMU_BIN')!r})")
    return d


def project_version():
    for line in (REPO / "meson.build").read_text().splitlines():
        line = line.strip()
        if line.startswith("version"):
            return line.split("'")[1]
    raise AssertionError("no version in meson.build")


_deb = None


def package_deb(tmp_path_factory):
    """$SIM800EMU_DEB, else the package scripts/package builds, once per
    process (the package modules share one xdist group, so one worker)."""
    global _deb
    given = os.environ.get("SIM800EMU_DEB")
    if given:
        return given
    if _deb is None:
        import pytest
        import shutil
        if not shutil.which("dpkg-buildpackage"):
            pytest.skip("dpkg-buildpackage is not installed (scripts/deps installs it)")
        out = tmp_path_factory.mktemp("deb")
        r = run([REPO / "scripts" / "package", out], timeout=600)
        assert r.returncode == 0, f"scripts/package failed:\n{r.stdout}\n{r.stderr}"
        path = r.stdout.strip().splitlines()[-1]
        assert os.path.isfile(path), r.stdout
        _deb = path
    return _deb


def run(args, cwd=None, timeout=120, env=None):
    """Run a command to completion; CompletedProcess with text output."""
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, errors="replace", timeout=timeout)


class Port:
    """The modem's PTY opened with plain open(2), as picocom does."""

    def __init__(self, path):
        self.path = str(path)
        self.fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.buf = bytearray()

    def write(self, data):
        while data:
            try:
                n = os.write(self.fd, data)
            except BlockingIOError:
                select.select([], [self.fd], [], 1.0)
                continue
            data = data[n:]

    def expect(self, data, timeout=TIMEOUT):
        """Read until `data` arrives; return everything up to it."""
        deadline = time.monotonic() + timeout
        while True:
            i = self.buf.find(data)
            if i >= 0:
                out = bytes(self.buf[:i + len(data)])
                del self.buf[:i + len(data)]
                return out
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.path}: expected {data!r} within {timeout}s; "
                                     f"received {bytes(self.buf)!r}")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    self.buf += os.read(self.fd, 65536)
                except (BlockingIOError, OSError):
                    time.sleep(0.01)

    def cmd(self, line, final=b"\r\nOK\r\n", timeout=TIMEOUT):
        """Send a command line; return the answer up to `final`."""
        self.write(line)
        return self.expect(final, timeout)

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Modem:
    """One running sim800emu process (any binary), stopped with SIGTERM."""

    def __init__(self, binary, args, cwd, stderr_path):
        self.args = [str(binary)] + [str(a) for a in FAST_BOOT] + [str(a) for a in args]
        self._err = open(stderr_path, "w+b")
        self.proc = subprocess.Popen(self.args, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._err,
                                     start_new_session=True)
        self.ports = []
        r, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        line = self.proc.stdout.readline().decode().strip() if r else ""
        if not line.startswith("/dev/"):
            self.kill()
            raise AssertionError(f"{self.args}: no PTY path printed (got {line!r}); "
                                 f"stderr: {self.stderr()!r}")
        self.path = line

    def stderr(self):
        self._err.flush()
        self._err.seek(0)
        return self._err.read().decode(errors="replace")

    def open(self, path=None):
        p = Port(path or self.path)
        self.ports.append(p)
        return p

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        """SIGTERM; returns the exit status."""
        for p in self.ports:
            p.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self.proc.stdout.close()
        return self.proc.returncode
