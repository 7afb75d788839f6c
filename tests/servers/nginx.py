"""The HTTP(S) test server rig: nginx on loopback with the test PKI, plus a small
Python upstream (nginx_upstream.py) for the dynamic endpoints.

    import sys; sys.path.insert(0, "<repo>/tests/servers")
    from nginx import start_nginx, start_bad_server, FILES, expected, sha256_of

    with start_nginx() as web:                       # cert_name="localhost"
        web.http_port, web.https_port, web.root, web.url("/1k.txt", https=True)
        web.requests()                               # what the recorder saw
    with start_nginx(cert_name="www.gmail.com", tls12_only=True) as web: ...

nginx runs as one foreground process (daemon off, master_process off: no fork,
no privilege drop, works for root and for unprivileged users alike) with its
configuration, pid, lock, error/access logs, temp paths and docroot all under
one temporary directory; /etc/nginx and /var are never read or written
(OPENSSL_CONF=/dev/null too, so no system OpenSSL policy changes the TLS
offer).  It listens on 127.0.0.1 only, on two free ports (retried if another
process grabs one first).  It is stopped (SIGTERM, then SIGKILL) on .stop(),
on context exit, at interpreter exit, and by the kernel (PR_SET_PDEATHSIG)
when the process that started it dies; the upstream exits by itself then too.

Same content on both ports (HTTPS uses <pki>/<cert_name>.crt/.key):

  static (nginx: Content-Length, HEAD, Range -> 206/416, ETag/Last-Modified)
    /empty.bin        0 bytes
    /1k.txt           1024 bytes of ASCII text (16 lines of 64)
    /300k.bin         307200 bytes payload(307200, "300k.bin")
    /1500k.bin        1536000 bytes payload(1536000, "1500k.bin") (> 319488 store)
    /index.html, /    84200 bytes of ASCII HTML (the SSL note's example 3.5)
                      (root_redirect=301|302: "/" answers that code to /index.html)
    /<name>           files=... given to start_nginx or web.add_file(): an int
                      size N means payload(N, name); bytes/str are used as is
    /throttle/<name>?rate=R   the same file, sent at R bytes/s (nginx limit_rate)
  redirects (nginx; body is nginx's small HTML page)
    /redirect/301 /redirect/302 /redirect/303 /redirect/307 /redirect/308
                      that code, "Location: /1k.txt" (relative)
    /redirect/abs     302 to $scheme://<Host header>/1k.txt
    /redirect/to-https, /redirect/to-http   302 to https|http://<host>/1k.txt
                      (default port: for tests with a host map on 443/80)
    /redirect/loop    302 to itself
    /redirect?code=C&to=URL   (upstream) any code, any Location
    /hops?n=N         (upstream) N 302s, then /1k.txt
  errors
    /missing (anything unknown)   404, nginx's HTML body with Content-Length
    /status?code=C[&n=N]          (upstream) status C, N payload bytes
  dynamic (upstream; see nginx_upstream.py for every parameter)
    /garbage              bytes that are no HTTP response; nginx relays them as an
                          HTTP/0.9 reply (no status line) and closes: junk over TLS too
    /chunked?n=N&seed=S   N bytes, Transfer-Encoding: chunked (nginx re-chunks)
    /close?n=N&seed=S     N bytes, no Content-Length, no chunks: ends at close
    /bytes?n=N&seed=S     N bytes with Content-Length (any size)
    /slow?s=SEC           answers after SEC seconds (body "late")
    /stall?s=SEC&n=N      headers + first half at once, the rest after SEC
    /post, /post/<any>    any method, body up to 64 MB: 200 + one JSON line
                          {seq, method, path, len, sha256, content_type, user_agent}
    /echo                 the request body back
  every upstream request is recorded: web.requests() -> [Record] with the
  client's request line, headers, body length/SHA-256/file, TLS version and
  cipher (Record.header(name) is case-insensitive).  Through nginx the header
  values are the client's, but Host/Connection/Content-Length/... come last;
  for the exact bytes of a request send it to .upstream_port (plain, direct).

TLS: the classic offer is TLSv1..TLSv1.3 with CLASSIC_CIPHERS (AES128-SHA,
AES256-SHA at @SECLEVEL=0; Debian's OpenSSL 3 has no DES-CBC3-SHA at all);
tls12_only=True answers a TLS 1.0 ClientHello with a protocol_version alert.

Bad servers (no HTTP at all) come from tls_echo.py: start_bad_server(kind),
kind in BAD_KINDS (garbage, status-only, reset, reset-after-request, hang,
close, close-in-handshake, reset-in-handshake, tls12-only, tls-garbage,
tls-alert, tls-reset).
"""
import atexit
import ctypes
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from servers import HERE, PYTHON, Server, payload, pki, start_tls_echo

__all__ = ["start_nginx", "Nginx", "Record", "start_bad_server", "BAD_KINDS", "FILES",
           "expected", "sha256_of", "CLASSIC_CIPHERS", "CLASSIC_PROTOCOLS", "NGINX"]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATE = HERE / "nginx.conf.in"

CLASSIC_PROTOCOLS = "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3"
# DES-CBC3-SHA is not built into Debian's OpenSSL 3 (OpenSSL skips unknown
# names in a list); it is kept so a build that has it offers it.
CLASSIC_CIPHERS = "AES128-SHA:AES256-SHA:DES-CBC3-SHA:HIGH:!aNULL:@SECLEVEL=0"
TLS12_PROTOCOLS = "TLSv1.2 TLSv1.3"
TLS12_CIPHERS = "HIGH:!aNULL:!MD5"


def _text_1k():
    return b"".join(("1k.txt line %02d " % i).ljust(63, ".").encode() + b"\n" for i in range(16))


def _index_html(size=84200):
    head = b"<!DOCTYPE html>\n<html><head><title>sim800emu test page</title></head><body>\n"
    tail = b"</body></html>\n"
    lines, n, i = [], len(head) + len(tail), 0
    while n < size:
        line = b"<p>%05d the quick brown fox jumps over the lazy dog</p>\n" % i
        lines.append(line)
        n += len(line)
        i += 1
    mid = b"".join(lines)[: size - len(head) - len(tail)]
    return head + mid[:-1] + b"\n" + tail


# name -> size; content is expected(name)
FILES = {"empty.bin": 0, "1k.txt": 1024, "300k.bin": 300 * 1024, "1500k.bin": 1500 * 1024,
         "index.html": 84200}

_cache = {}


def expected(name):
    """The bytes of a built-in static file (FILES), without a running server."""
    if name not in _cache:
        if name == "1k.txt":
            data = _text_1k()
        elif name == "index.html":
            data = _index_html(FILES[name])
        else:
            data = payload(FILES[name], name)
        assert len(data) == FILES[name]
        _cache[name] = data
    return _cache[name]


def sha256_of(name):
    """SHA-256 hex of a built-in static file, e.g. sha256_of("300k.bin")."""
    return hashlib.sha256(expected(name)).hexdigest()


class Record(dict):
    """One request as the upstream recorder saw it (a dict; see nginx_upstream.py)."""

    def header(self, name, default=None):
        low = name.lower()
        for k, v in self["headers"]:
            if k.lower() == low:
                return v
        return default

    def body(self):
        return Path(self["body_file"]).read_bytes()


_live = set()
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Runs in the child between fork and exec: SIGTERM when the parent dies.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass


def _free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Nginx:
    """A running nginx + upstream.  See the module docstring and start_nginx()."""

    host = "127.0.0.1"

    def __init__(self, cert_name="localhost", tls12_only=False, protocols=None, ciphers=None,
                 client_ca=None, verify_client="on", files=None, keepalive_timeout=15,
                 root_redirect=None, start_timeout=10.0, keep_dir=False):
        self.proc = None
        self.upstream = None
        self.keep_dir = keep_dir
        self.cert_name = cert_name
        self.dir = Path(tempfile.mkdtemp(prefix="sim800emu-nginx-"))
        try:
            self._start(cert_name, tls12_only, protocols, ciphers, client_ca, verify_client,
                        files, keepalive_timeout, root_redirect, start_timeout)
        except BaseException:
            self.stop()
            raise
        _live.add(self)

    # --- start ------------------------------------------------------------------------
    def _start(self, cert_name, tls12_only, protocols, ciphers, client_ca, verify_client,
               files, keepalive_timeout, root_redirect, start_timeout):
        d = self.dir
        self.root = d / "root"
        self.records_dir = d / "records"
        for sub in ("root", "records", "tmp"):
            (d / sub).mkdir()
        self.conf_path = d / "nginx.conf"
        self.error_log_path = d / "error.log"
        self.access_log_path = d / "access.log"
        self.stderr_path = d / "nginx.stderr"
        self.requests_path = self.records_dir / "requests.jsonl"
        self.log = {"error": self.error_log_path, "access": self.access_log_path,
                    "stderr": self.stderr_path, "requests": self.requests_path}
        for name in FILES:
            self.add_file(name, expected(name))
        for name, content in (files or {}).items():
            self.add_file(name, content)

        certs = pki()
        self.cert = Path(certs / (cert_name + ".crt"))
        self.key = Path(certs / (cert_name + ".key"))
        if not self.cert.exists():
            raise FileNotFoundError("no certificate %s" % self.cert)
        self.protocols = protocols or (TLS12_PROTOCOLS if tls12_only else CLASSIC_PROTOCOLS)
        self.ciphers = ciphers or (TLS12_CIPHERS if tls12_only else CLASSIC_CIPHERS)
        client_ca_conf = ""
        if client_ca:
            client_ca_conf = ("        ssl_client_certificate %s;\n        ssl_verify_client %s;\n"
                              "        ssl_verify_depth 4;\n" % (client_ca, verify_client))
        if root_redirect:
            root_loc = "        location = / { return %d /index.html; }\n" % int(root_redirect)
        else:
            root_loc = ""

        self.upstream = Server([PYTHON, str(HERE / "nginx_upstream.py"),
                                "--record-dir", str(self.records_dir)],
                               "nginx_upstream", start_timeout)
        self.upstream_port = self.upstream.port
        self.token = secrets.token_hex(8)
        template = TEMPLATE.read_text()
        deadline = time.monotonic() + start_timeout
        last_err = ""
        for attempt in range(8):
            self.http_port, self.https_port = _free_ports(2)
            values = {
                "DIR": str(d), "ROOT": str(self.root), "HTTP_PORT": self.http_port,
                "HTTPS_PORT": self.https_port, "UPSTREAM_PORT": self.upstream_port,
                "CERT": str(self.cert), "KEY": str(self.key), "PROTOCOLS": self.protocols,
                "CIPHERS": self.ciphers, "CLIENT_CA": client_ca_conf, "ROOT_LOCATION": root_loc,
                "KEEPALIVE": str(keepalive_timeout), "TOKEN": self.token,
            }
            conf = re.sub(r"@@([A-Z_]+)@@", lambda m: str(values[m.group(1)]), template)
            self.conf_path.write_text(conf)
            for p in (self.error_log_path, self.stderr_path):
                if p.exists():
                    p.unlink()
            with open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(
                    [NGINX, "-p", str(d) + "/", "-c", str(self.conf_path), "-e", str(self.error_log_path)],
                    stdin=subprocess.DEVNULL, stdout=err, stderr=err, close_fds=True,
                    env=dict(os.environ, OPENSSL_CONF="/dev/null"),
                    preexec_fn=_die_with_parent)
            self.pid = self.proc.pid
            if self._wait_ready(deadline):
                return
            last_err = self.error_text() + self.stderr_path.read_text(errors="replace")
            self._kill_nginx()
            if "Address already in use" not in last_err or time.monotonic() > deadline:
                break
        raise RuntimeError("nginx did not start:\n%s\nconfig: %s" % (last_err, self.conf_path))

    def _wait_ready(self, deadline):
        """True once GET /__ready on the HTTP port returns our token (so both
        listeners are this nginx's: it binds all of them before serving)."""
        req = b"GET /__ready HTTP/1.0\r\n\r\n"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if "Address already in use" in self.error_text():
                return False  # nginx would retry bind() for 2.5 s; try other ports now
            try:
                with socket.create_connection((self.host, self.http_port), 0.5) as s:
                    s.settimeout(1.0)
                    s.sendall(req)
                    got = b""
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                if got.startswith(b"HTTP/1.1 200") and got.endswith(self.token.encode()):
                    return self.proc.poll() is None
                return False  # someone else's server on our port
            except OSError:
                time.sleep(0.02)
        return False

    # --- content ----------------------------------------------------------------------
    def add_file(self, name, content):
        """Create /<name> under the docroot: int -> payload(n, name), bytes, or str."""
        if isinstance(content, int):
            content = payload(content, name)
        elif isinstance(content, str):
            content = content.encode()
        p = self.root / name.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".part")
        tmp.write_bytes(content)
        os.replace(tmp, p)
        return p

    def file(self, name):
        return (self.root / name.lstrip("/")).read_bytes()

    def sha256(self, name):
        return hashlib.sha256(self.file(name)).hexdigest()

    def url(self, path="/", https=False, host=None):
        return "%s://%s:%d%s" % ("https" if https else "http", host or self.host,
                                 self.https_port if https else self.http_port, path)

    # --- logs and records ---------------------------------------------------------------
    def error_text(self):
        p = self.error_log_path
        return p.read_text(errors="replace") if p.exists() else ""

    def access_log(self):
        p = self.access_log_path
        return p.read_text(errors="replace") if p.exists() else ""

    def wait_access(self, pattern, timeout=5.0):
        """Wait for an access-log line matching regex (nginx writes it just after
        the response, so a client may have the answer a moment before)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.access_log().splitlines():
                m = rx.search(line)
                if m:
                    return m
            if time.monotonic() > deadline:
                raise TimeoutError("no access-log line matching %r in:\n%s" % (pattern, self.access_log()))
            time.sleep(0.02)

    def requests(self):
        """Every request the upstream recorded (written before it answers)."""
        if not self.requests_path.exists():
            return []
        out = []
        for line in self.requests_path.read_text().splitlines():
            if line.strip():
                out.append(Record(json.loads(line)))
        return out

    def wait_requests(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.requests()
            if len(got) >= n:
                return got
            if time.monotonic() > deadline:
                raise TimeoutError("%d of %d requests recorded" % (len(got), n))
            time.sleep(0.02)

    def last_request(self, path=None):
        recs = [r for r in self.requests() if path is None or r["path"] == path]
        return recs[-1] if recs else None

    # --- stop -------------------------------------------------------------------------------
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _kill_nginx(self, timeout=5.0):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)

    def stop(self):
        try:
            self._kill_nginx()
        finally:
            if self.upstream is not None:
                self.upstream.stop()
            _live.discard(self)
            if not self.keep_dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def __repr__(self):
        return "<nginx http=%s https=%s %s>" % (getattr(self, "http_port", None),
                                                getattr(self, "https_port", None), self.cert_name)


def start_nginx(cert_name="localhost", tls12_only=False, protocols=None, ciphers=None,
                client_ca=None, verify_client="on", files=None, keepalive_timeout=15,
                root_redirect=None, start_timeout=10.0, keep_dir=False):
    """Start nginx + upstream; returns an Nginx (a context manager).

    cert_name      <pki>/<cert_name>.crt (leaf + intermediate) and .key on the
                   HTTPS port: "localhost" (default), "www.gmail.com", "expired",
                   "selfsigned", "wrongname", ...
    tls12_only     TLSv1.2/1.3 with "HIGH:!aNULL:!MD5" instead of the classic
                   TLSv1..1.3 with AES128-SHA/AES256-SHA at @SECLEVEL=0
    protocols, ciphers   override ssl_protocols / ssl_ciphers verbatim
    client_ca      PEM file: ask for a client certificate (ssl_verify_client
                   verify_client: "on" or "optional")
    files          {name: int size | bytes | str} extra static files
    keepalive_timeout    seconds nginx keeps an idle client connection (0: close
                   after every response)
    root_redirect  301/302: "/" redirects to /index.html instead of serving it
    keep_dir       leave the temporary directory (logs) behind on stop

    Attributes: host, http_port, https_port, upstream_port (the plain upstream,
    direct), root (docroot Path), dir, conf_path, error_log_path,
    access_log_path, stderr_path, requests_path, log (dict of those), pid,
    proc, cert, key, protocols, ciphers.  Methods: url(path, https), file(name),
    sha256(name), add_file(name, content), access_log(), error_text(),
    wait_access(regex), requests(), wait_requests(n), last_request(path),
    alive(), stop()."""
    return Nginx(cert_name, tls12_only, protocols, ciphers, client_ca, verify_client, files,
                 keepalive_timeout, root_redirect, start_timeout, keep_dir)


@atexit.register
def _stop_all():
    for w in list(_live):
        try:
            w.stop()
        except Exception:
            pass


# --- servers that are no HTTP server (tls_echo.py modes) ------------------------------------
GARBAGE = "\\x00\\x01 this is not HTTP at all\\r\\n\\r\\n"
BAD_KINDS = {
    # plain port
    "garbage":            dict(mode="reply-close:" + GARBAGE),          # answers junk, closes (600)
    "status-only":        dict(mode="reply-close:HTTP/1.1 200 OK\\r\\nContent-Length: 100\\r\\n\\r\\nshort"),
                                                                         # body cut short by the close
    "reset":              dict(mode="reset-after:0"),                     # RST right after accept
    "reset-after-request": dict(mode="reset-after:1"),                    # RST once the request arrives
    "hang":               dict(mode="hang"),                              # accepts, never answers
    "close":              dict(mode="greet-close", greeting=b""),         # FIN at once, no bytes
    # TLS port (cert_name=, TLS 1.0 allowed at @SECLEVEL=0 unless min_version= is given)
    "close-in-handshake": dict(mode="close-in-handshake"),                # reads ClientHello, FIN (605)
    "reset-in-handshake": dict(mode="reset-after:0"),                     # RST before any ServerHello
    "tls12-only":         dict(tls=True, mode="echo", min_version="TLSv1_2"),  # alert on a TLS 1.0 hello
    "tls-garbage":        dict(tls=True, mode="reply-close:" + GARBAGE),  # handshake OK, then junk
    "tls-alert":          dict(tls=True, mode="alert-after:1"),           # encrypted fatal alert after request
    "tls-reset":          dict(tls=True, mode="reset-after:1"),           # RST after the request
}


def start_bad_server(kind, cert_name="localhost", **kw):
    """A tls_echo.py server (servers.Server: .port, .wait_log(), .stop()) that is
    no proper HTTP(S) server; kind is a key of BAD_KINDS.  Extra keyword
    arguments go to start_tls_echo (they override the kind's)."""
    args = dict(BAD_KINDS[kind])
    if args.get("tls"):
        args.setdefault("cert_name", cert_name)
        args.setdefault("min_version", "TLSv1")
    args.update(kw)
    return start_tls_echo(**args)
