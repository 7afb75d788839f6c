"""Local TLS servers for a test to map a host name to, with the standard
library only: an HTTPS server and a TLS echo server, each on 127.0.0.1 with a
certificate of the test PKI that certs/gen.sh makes (and that the emulator is
told to trust with --ca-file).

    pki = find_pki()                          # runs gen.sh once, returns its directory
    with HTTPSServer(pki, "www.gmail.com") as web:
        emu = Emulator(args=["--only-mapped", "-m", "www.gmail.com:443=127.0.0.1:%d" % web.port,
                             "--ca-file", str(pki / "root.crt")])

The servers speak what the module's default profile speaks (TLS 1.0 up,
the classic RSA ciphers, README "TLS"); tls="modern" keeps TLS 1.2 and up."""
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .emulator import find_binary

# The default profile's TLS: the classic SIM800 (TLS 1.0, RSA key exchange).
LEGACY_CIPHERS = "AES128-SHA:AES256-SHA:DES-CBC3-SHA:@SECLEVEL=0"


def find_gen_sh():
    """certs/gen.sh: $SIM800EMU_GEN_SH, the checkout this package sits in,
    or the installed copy next to the binary's share directory."""
    env = os.environ.get("SIM800EMU_GEN_SH")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[3] / "certs" / "gen.sh")
    try:
        candidates.append(find_binary().resolve().parents[1] / "share" / "sim800emu" / "certs"
                          / "gen.sh")
    except FileNotFoundError:
        pass
    candidates.append(Path("/usr/share/sim800emu/certs/gen.sh"))
    for c in candidates:
        if c.is_file():
            return c
    raise FileNotFoundError("certs/gen.sh not found: set SIM800EMU_GEN_SH")


def find_pki(outdir=None):
    """Generates the test PKI (once: gen.sh is idempotent) into outdir, by
    default a directory under the system's temporary directory; returns it.
    root.crt is the root to trust; <name>.crt/.key the server certificates
    (localhost, www.gmail.com, smtp.gmail.com, mail.sim.com, tls.example.test)."""
    out = Path(outdir) if outdir else Path(tempfile.gettempdir()) / "sim800emu-pki-%d" % os.getuid()
    subprocess.run(["bash", str(find_gen_sh()), str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def server_context(pki, cert_name, tls="legacy"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if tls == "legacy":
        with warnings.catch_warnings():  # deprecated, and what the module speaks
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers(LEGACY_CIPHERS)
    elif tls == "modern":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    else:
        raise ValueError("tls is legacy or modern, not %r" % (tls,))
    ctx.load_cert_chain(str(Path(pki) / ("%s.crt" % cert_name)),
                        str(Path(pki) / ("%s.key" % cert_name)))
    return ctx


class HTTPSServer:
    """HTTPS on 127.0.0.1:<port>: GET of a path in `files` ({"/": bytes})
    answers 200 with it, any other path 404.  .requests lists (method, path,
    headers) as they came."""

    def __init__(self, pki, cert_name="localhost", files=None, tls="legacy"):
        self.files = dict(files or {"/": b"hello from sim800emu's test server\n"})
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                outer.requests.append(("GET", self.path, dict(self.headers)))
                body = outer.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                body = body if body is not None else b"not found\n"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # The handshake runs in the request's thread (at its first read), so
        # a client that fails it costs one thread, not the server.
        self.httpd.socket = server_context(pki, cert_name, tls).wrap_socket(
            self.httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class TLSEchoServer:
    """A TLS echo on 127.0.0.1:<port>: every byte a client sends comes back
    (AT+CIPSTART over AT+CIPSSL=1).  .received holds the bytes of all clients."""

    def __init__(self, pki, cert_name="tls.example.test", tls="legacy"):
        self.ctx = server_context(pki, cert_name, tls)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.received = bytearray()
        self._stopping = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                while True:
                    data = tls.recv(65536)
                    if not data:
                        return
                    self.received += data
                    tls.sendall(data)
        except (OSError, ssl.SSLError):
            return  # a failed handshake or a reset: the client's business

    def stop(self):
        self._stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

