"""Helpers for the pytest suites: start the test servers as subprocesses.

    import sys; sys.path.insert(0, "<repo>/tests/servers")
    from servers import pki, start_tls_echo, start_dns, payload

    certs = pki()                                  # pathlib.Path of the generated PKI
    with start_tls_echo(tls=True, cert_name="tls.example.test", mode="echo") as srv:
        ...connect to 127.0.0.1:srv.port...
    with start_dns({"tls.example.test": "127.0.0.1"}) as dns:
        ...dns.port (UDP and TCP)...

Every server binds 127.0.0.1 (or ::1), runs under Debian's /usr/bin/python3, is
killed on .stop(), on context exit, at interpreter exit, and exits by itself
within 0.5 s when the process that started it dies ($SIM800EMU_WATCH_PARENT).
"""

import atexit
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
GEN_SH = REPO / "certs" / "gen.sh"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

sys.path.insert(0, str(HERE))
from payload import payload, sha256_hex  # noqa: E402,F401  (re-exported)

__all__ = ["pki", "start_tls_echo", "start_dns", "Server", "payload", "sha256_hex"]

_pki_lock = threading.Lock()
_pki_dir = None
_live = set()


def pki(outdir=None, timeout=60):
    """Run certs/gen.sh once per process and return the PKI directory (Path).

    Directory: outdir, else $SIM800EMU_PKI_DIR, else <repo>/certs/out (gitignored;
    gen.sh is idempotent and locks, so sessions share it)."""
    global _pki_dir
    with _pki_lock:
        target = Path(outdir or os.environ.get("SIM800EMU_PKI_DIR") or REPO / "certs" / "out")
        if _pki_dir is not None and _pki_dir == target.resolve():
            return _pki_dir
        r = subprocess.run(
            ["bash", str(GEN_SH), str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
        if r.returncode != 0:
            raise RuntimeError("certs/gen.sh failed:\n" + r.stdout.decode(errors="replace"))
        _pki_dir = target.resolve()
        return _pki_dir


class Server:
    """A running server subprocess.  .host, .port, .addr, .proc, .argv;
    .log() -> its stderr so far (str); .wait_log(regex, timeout) -> re.Match;
    .stop(); usable as a context manager."""

    def __init__(self, argv, name, start_timeout=10.0, host="127.0.0.1"):
        self.argv = argv
        self.name = name
        self.host = host
        self.port = None
        self._err = []
        self._err_cv = threading.Condition()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            close_fds=True,
            env=dict(os.environ, SIM800EMU_WATCH_PARENT=str(os.getpid())),
        )
        _live.add(self)
        threading.Thread(target=self._pump_stderr, daemon=True).start()
        got = []
        t = threading.Thread(target=lambda: got.append(self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(start_timeout)
        line = got[0].decode(errors="replace") if got else ""
        m = re.fullmatch(r"PORT (\d+)\n", line)
        if not m:
            self.stop()
            raise RuntimeError(
                "%s did not start (stdout %r):\n%s\nargv: %s" % (name, line, self.log(), argv)
            )
        self.port = int(m.group(1))

    @property
    def addr(self):
        return (self.host, self.port)

    def _pump_stderr(self):
        for raw in iter(self.proc.stderr.readline, b""):
            with self._err_cv:
                self._err.append(raw.decode(errors="replace"))
                self._err_cv.notify_all()

    def log(self):
        with self._err_cv:
            return "".join(self._err)

    def wait_log(self, pattern, timeout=5.0):
        """Wait until a stderr line matches regex pattern; returns the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._err_cv:
            while True:
                for line in self._err:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("%s: no log line matching %r in:\n%s" % (self.name, pattern, "".join(self._err)))
                self._err_cv.wait(left)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=3.0):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for f in (self.proc.stdout,):
            try:
                f.close()
            except Exception:
                pass
        _live.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def __repr__(self):
        return "<%s %s:%s>" % (self.name, self.host, self.port)


@atexit.register
def _stop_all():
    for s in list(_live):
        try:
            s.stop(1.0)
        except Exception:
            pass


def _ver(v):
    return v if v is None else str(v).replace("TLSVersion.", "")


def start_tls_echo(
    mode="echo",
    tls=False,
    cert=None,
    key=None,
    cert_name=None,
    min_version=None,
    max_version=None,
    ciphers=None,
    client_ca=None,
    greeting=None,
    host="127.0.0.1",
    port=0,
    handshake_timeout=None,
    linger=None,
    reply_delay=None,
    close_delay=None,
    verbose=True,
    start_timeout=10.0,
):
    """Start tests/servers/tls_echo.py; returns a Server.

    With tls=True and no cert, cert_name (default "localhost") picks
    <pki>/<cert_name>.crt + .key (leaf + intermediate chain).  Versions are
    strings ("TLSv1", "TLSv1_2", ...) or ssl.TLSVersion members.  greeting and
    reply:TEXT accept bytes or str (str may use backslash escapes)."""
    argv = [PYTHON, str(HERE / "tls_echo.py"), "--host", host, "--port", str(port), "--mode", mode]
    if tls or cert_name:
        if cert is None:
            d = pki()
            cert = d / ((cert_name or "localhost") + ".crt")
            key = d / ((cert_name or "localhost") + ".key")
        argv += ["--tls", "--cert", str(cert)]
        if key is not None:
            argv += ["--key", str(key)]
    for opt, val in (
        ("--min-version", _ver(min_version)),
        ("--max-version", _ver(max_version)),
        ("--ciphers", ciphers),
        ("--client-ca", client_ca),
        ("--handshake-timeout", handshake_timeout),
        ("--linger", linger),
        ("--reply-delay", reply_delay),
        ("--close-delay", close_delay),
    ):
        if val is not None:
            argv += [opt, str(val)]
    if greeting is not None:
        if isinstance(greeting, bytes):
            greeting = "".join("\\x%02x" % b for b in greeting)
        argv += ["--greeting", greeting]
    if verbose:
        argv.append("--verbose")
    return Server(argv, "tls_echo", start_timeout, host)


def start_dns(records=(), drop=(), servfail=(), host="127.0.0.1", port=0, ttl=None, verbose=True, start_timeout=10.0):
    """Start tests/servers/dns_server.py; returns a Server (UDP and TCP on .port).

    records: {name: ip or [ips]} or an iterable of (name, ip) pairs."""
    argv = [PYTHON, str(HERE / "dns_server.py"), "--host", host, "--port", str(port)]
    items = records.items() if isinstance(records, dict) else records
    for name, ips in items:
        for ip in [ips] if isinstance(ips, str) else ips:
            argv += ["--record", "%s=%s" % (name, ip)]
    for name in drop:
        argv += ["--drop", name]
    for name in servfail:
        argv += ["--servfail", name]
    if ttl is not None:
        argv += ["--ttl", str(ttl)]
    if verbose:
        argv.append("--verbose")
    return Server(argv, "dns_server", start_timeout, host)
