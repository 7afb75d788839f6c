"""./scripts/run as a newcomer runs it (README, first lines): the PTY path
alone on stdout, then on stderr how to connect, that timing is real, and how
to stop; its arguments go to sim800emu; Ctrl-C stops it with status 0."""
import os
import select
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def read_until(fd, want, timeout=120):
    out = b""
    deadline = time.monotonic() + timeout
    while want not in out:
        left = deadline - time.monotonic()
        assert left > 0, out
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 4096)
            assert chunk, out
            out += chunk
    return out


def test_run_prints_the_path_then_what_to_do(tmp_path):
    proc = subprocess.Popen([str(REPO / "scripts" / "run"), "-n", "2"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out = read_until(proc.stdout.fileno(), b"\n")
        path = out.split(b"\n")[0].decode()
        assert path.startswith("/dev/pts/"), out
        err = read_until(proc.stderr.fileno(), b"Ctrl-C\n").decode()
        assert f"sim800emu: a SIM800 answers on {path} (--timing real" in err, err
        assert f"connect: picocom -q {path}" in err, err
        assert "stop:    Ctrl-C" in err, err
        out += read_until(proc.stdout.fileno(), b"\n", 10) if out.count(b"\n") < 2 else b""
        assert len([line for line in out.split(b"\n") if line]) == 2, out   # -n 2 went through
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(fd, b"AT\r")
            assert read_until(fd, b"OK\r\n", 10).endswith(b"AT\r\r\nOK\r\n")
        finally:
            os.close(fd)
    finally:
        os.killpg(proc.pid, signal.SIGINT)   # what Ctrl-C in a terminal does
        rc = proc.wait(timeout=20)
    assert rc == 0
