#!/usr/bin/python3
"""TCP / TLS test server for the sim800emu test suite (run as a subprocess).

    tls_echo.py [--host 127.0.0.1] [--port 0] [--tls --cert F [--key F]]
                [--min-version V] [--max-version V] [--ciphers S] [--client-ca F]
                [--mode MODE] [--greeting TEXT] [--handshake-timeout S]
                [--linger S] [--no-tickets] [--verbose]

Binds a loopback address only (127.0.0.1 by default, or ::1), prints exactly one
line "PORT <n>" on stdout (flushed) once listening, then serves any number of
connections concurrently (one thread each) until killed.  Nothing else is ever
written to stdout; errors (and, with --verbose, one line per connection event)
go to stderr.

V (TLS versions): TLSv1, TLSv1_1, TLSv1_2, TLSv1_3 (also "TLSv1.2" spelling,
MINIMUM_SUPPORTED, MAXIMUM_SUPPORTED).  When --min-version is below TLSv1_2 and
--ciphers is not given, the cipher string defaults to 'DEFAULT:@SECLEVEL=0'
(OpenSSL 3 refuses TLS 1.0/1.1 at security level 1 and above).

--greeting TEXT and reply:TEXT understand backslash escapes (\\r \\n \\xHH \\\\).
If --greeting is given it is sent right after the connection is established
(after the TLS handshake with --tls) in every mode except close-in-handshake
and hang; greet-close sends "hello SIM800" when no --greeting is given.

Every "close" below is graceful: (TLS: close_notify,) flush, shutdown(SHUT_WR),
then read and discard until the peer closes or --linger seconds (default 5)
pass, then close(), so unread input never turns the FIN into an RST.

Modes (--mode, default echo):
  echo              echo every byte back (binary safe, megabytes, never
                    deadlocks: reading continues while output is pending, up to
                    4 MB of unsent output); closes when the peer closes.
  sink-sha256       read until the peer half-closes/closes (TLS: close_notify or
                    EOF), reply "<sha256 hex> <count>\\n", close.
  sink-n:N          read exactly N bytes (anything beyond N is discarded), reply
                    "<sha256 hex of those N bytes> <N>\\n", close.
  source:N:SEED     send payload.payload(N, SEED) (see payload.py) and nothing
                    else, then close.  Input is discarded.
  greet-close       send the greeting, then close.
  reply-close:TEXT  when the first data arrives, send TEXT once, then close
                    (the server of the SSL note's examples 3.8 and 3.9).
                    --reply-delay S waits before the reply (also for reply:),
                    --close-delay S between the reply and the close, so a test
                    can fix the order in which several servers answer
                    (greet-close waits --close-delay S after its greeting too).
  reply:TEXT        when the first data arrives, send TEXT once; all input is
                    discarded; closes when the peer closes.
  alert-after:N     (needs --tls) after the handshake and N received application
                    bytes (discarded; N may be 0), make the server's OpenSSL send
                    a genuine *encrypted* fatal alert bad_record_mac(20): the
                    server feeds its own TLS engine the forged record
                        17 VV VV 00 40 || 64 x 0x5A
                    (application_data, VV VV = negotiated record version:
                    03 01 TLS1.0, 03 02 TLS1.1, 03 03 TLS1.2/1.3), which fails
                    to decrypt, so OpenSSL emits its fatal alert, encrypted under
                    the current keys, exactly like a server that really saw a
                    corrupt record.  The client sees a TLS alert mid-stream
                    (Python: ssl.SSLError "sslv3 alert bad record mac"), not a
                    clean close.  Then: shutdown(SHUT_WR), drain, close.
  alert-after:N:plain   same trigger, but write the unencrypted alert record
                        15 VV VV 00 02 02 0A  (alert, fatal, unexpected_message)
                    straight to the TCP socket.  The client cannot decrypt it
                    (it expects ciphertext) and fails with a record-layer error
                    (bad record mac / decryption failed / wrong length).
  reset-after:N     after N received bytes (discarded; N may be 0: right after
                    accept/handshake), flush pending output, then close with
                    SO_LINGER {1, 0} -> TCP RST.  With --tls, N counts decrypted
                    application bytes.
  close-in-handshake  never speaks TLS: read the client's first TLS record (the
                    ClientHello: 5-byte header + body, 10 s limit), then close
                    gracefully (FIN) without answering.
  hang              accept, never answer (no TLS handshake either); input is read
                    and discarded; the socket is closed only when the peer closes.
  starttls[:TEXT]   (needs --tls) starts in plain text: sends the greeting, then
                    echoes every line until one is STARTTLS, STLS or AUTH TLS
                    (any case), answers it with TEXT (default
                    "220 Ready to start TLS\r\n"), shakes hands as the TLS
                    server and echoes from then on, like echo.  TEXT may carry
                    extra bytes after the reply (an injection a client must
                    refuse to take for TLS).

--no-tickets makes the TLS server resume by session ID only (TLS 1.2 and
below; SSL_OP_NO_TICKET), the way of servers that keep a session cache.

--client-ca F makes the TLS server require a client certificate that verifies
against F (e.g. certs/out/ca-chain.crt or root.crt).

Verbose stderr lines (stable, for tests to grep):
  conn <id> accept <peer>
  conn <id> tls <version> <cipher> sni=<name|-> client=<subject CN|-> reused=<yes|no>
  conn <id> starttls
  conn <id> sha256 <hex> <count>   (sink-sha256, once the peer's EOF came)
  conn <id> error <text>
  conn <id> close rx=<n> tx=<n>
"""

import argparse
import codecs
import hashlib
import ipaddress
import itertools
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payload import payload  # noqa: E402
from _watch import watch_parent  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 / TLSv1_1 settings

HIGH_WATER = 4 << 20  # stop reading while this much output is unsent
RECV_SIZE = 256 << 10
VERBOSE = False
_log_lock = threading.Lock()


def log(msg):
    with _log_lock:
        sys.stderr.write("[tls_echo] %s\n" % msg)
        sys.stderr.flush()


def vlog(msg):
    if VERBOSE:
        log(msg)


class Conn:
    """An accepted socket, non-blocking, with an optional SSLObject over memory BIOs.

    All I/O goes through _io(): while waiting for anything, pending output is
    sent and input is read, so neither side can deadlock the other."""

    def __init__(self, sock, ctx, cid):
        self.sock = sock
        self.cid = cid
        sock.setblocking(False)
        self.poller = select.poll()
        self.outbuf = bytearray()  # raw bytes waiting for the socket
        self.plain_in = bytearray()  # plain mode: received, not yet consumed
        self.raw_eof = False
        self.tls = None
        self.tls_dead = False
        self.sni = None
        self.rx = self.tx = 0
        if ctx is not None:
            self.inc = ssl.MemoryBIO()
            self.out = ssl.MemoryBIO()
            self.tls = ctx.wrap_bio(self.inc, self.out, server_side=True)

    # -- low level ---------------------------------------------------------
    def _collect(self):
        if self.tls is not None:
            pending = self.out.read()
            if pending:
                self.outbuf += pending

    def _send_some(self):
        try:
            n = self.sock.send(memoryview(self.outbuf)[: 1 << 20])
        except (BlockingIOError, InterruptedError):
            return
        del self.outbuf[:n]

    def _recv_raw(self):
        try:
            data = self.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        if not data:
            self.raw_eof = True
            if self.tls is not None:
                self.inc.write_eof()
        elif self.tls is not None:
            self.inc.write(data)
        else:
            self.plain_in += data

    def _io(self, want_read, timeout):
        """Wait up to timeout (None: forever) for socket events and service them.
        Returns False on timeout or when there is nothing to wait for."""
        ev = 0
        if want_read and not self.raw_eof:
            ev |= select.POLLIN
        if self.outbuf:
            ev |= select.POLLOUT
        if not ev:
            return False
        self.poller.register(self.sock, ev)
        ms = None if timeout is None else max(0, int(timeout * 1000))
        res = self.poller.poll(ms)
        if not res:
            return False
        rev = res[0][1]
        if self.outbuf and rev & (select.POLLOUT | select.POLLERR | select.POLLHUP):
            self._send_some()
        if ev & select.POLLIN and rev & (select.POLLIN | select.POLLERR | select.POLLHUP):
            self._recv_raw()
        return True

    @staticmethod
    def _remaining(deadline):
        if deadline is None:
            return None
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        return left

    # -- TLS -----------------------------------------------------------------
    def handshake(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.tls.do_handshake()
                self._collect()
                return
            except ssl.SSLWantReadError:
                self._collect()
            except ssl.SSLError:
                self.tls_dead = True
                self._collect()  # the alert OpenSSL generated
                raise
            if self.raw_eof:
                raise ConnectionAbortedError("peer closed during handshake")
            self._io(True, self._remaining(deadline))

    def start_tls(self, ctx):
        """Switch a plain connection to TLS (starttls mode); plain bytes already
        received after the command are the client's first TLS bytes."""
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out, server_side=True)
        if self.plain_in:
            self.inc.write(bytes(self.plain_in))
            self.plain_in.clear()
        if self.raw_eof:
            self.inc.write_eof()

    def record_version(self):
        return {"TLSv1": 0x0301, "TLSv1.1": 0x0302}.get(self.tls.version(), 0x0303)

    def fatal_alert(self, plain):
        """See alert-after in the module docstring."""
        ver = self.record_version()
        before = len(self.outbuf)
        if not plain:
            forged = struct.pack("!BHH", 0x17, ver, 64) + b"\x5a" * 64
            self.inc.write(forged)
            try:
                while self.tls.read(RECV_SIZE):  # legit data queued before it
                    pass
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError:
                pass
            self.tls_dead = True
            self._collect()
        if plain or len(self.outbuf) == before:
            self.outbuf += struct.pack("!BHHBB", 0x15, ver, 2, 2, 10)
        self.tls_dead = True

    # -- application level ---------------------------------------------------
    def recv_some(self, timeout=None):
        """Next chunk of application data; b"" on EOF (FIN, close_notify or a
        ragged TLS EOF)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.tls is not None:
                try:
                    data = self.tls.read(RECV_SIZE)
                    self._collect()
                    if data:
                        self.rx += len(data)
                        return data
                    return b""
                except ssl.SSLWantReadError:
                    self._collect()
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    self._collect()
                    return b""
                except ssl.SSLError:
                    self.tls_dead = True
                    self._collect()
                    raise
                if self.raw_eof:
                    return b""
            else:
                if self.plain_in:
                    data = bytes(self.plain_in)
                    self.plain_in.clear()
                    self.rx += len(data)
                    return data
                if self.raw_eof:
                    return b""
            self._io(len(self.outbuf) < HIGH_WATER, self._remaining(deadline))

    def recv_exact_discard(self, n, hasher=None):
        """Consume n application bytes (feeding hasher); False if EOF first."""
        while n > 0:
            data = self.recv_some()
            if not data:
                return False
            if hasher is not None:
                hasher.update(data[:n])
            n -= min(n, len(data))
        return True

    def send(self, data):
        if not data:
            return
        self.tx += len(data)
        if self.tls is not None:
            view = memoryview(data)
            while view:
                n = self.tls.write(view[: 1 << 20])
                view = view[n:]
            self._collect()
        else:
            self.outbuf += data
        if self.outbuf:
            self._send_some()

    def flush(self, timeout=None, below=0):
        """Wait until at most `below` bytes of output are pending (input keeps
        being read meanwhile; plain input read here is dropped)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while len(self.outbuf) > below:
            self._io(True, self._remaining(deadline))
            self.plain_in.clear()

    def close_graceful(self, linger):
        try:
            if self.tls is not None and not self.tls_dead:
                try:
                    self.tls.unwrap()
                except ssl.SSLError:
                    pass
                self._collect()
            self.flush(timeout=30)
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            deadline = time.monotonic() + linger
            while not self.raw_eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._io(True, left)
                self.plain_in.clear()
                if self.tls is not None:
                    self.inc.read()  # drop unread ciphertext
        except (OSError, TimeoutError):
            pass
        finally:
            self.sock.close()

    def close_reset(self):
        try:
            self.flush(timeout=10)
        except (OSError, TimeoutError):
            pass
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.sock.close()


def unescape(text):
    return codecs.escape_decode(text.encode("utf-8"))[0]


def parse_mode(spec):
    name, _, rest = spec.partition(":")
    try:
        if name in ("echo", "sink-sha256", "greet-close", "close-in-handshake", "hang") and not rest:
            return (name,)
        if name in ("sink-n", "reset-after") and rest:
            n = int(rest)
            if n < 0:
                raise ValueError
            return (name, n)
        if name == "alert-after" and rest:
            n, _, variant = rest.partition(":")
            if variant not in ("", "plain") or int(n) < 0:
                raise ValueError
            return (name, int(n), variant == "plain")
        if name == "source" and rest:
            n, _, seed = rest.partition(":")
            if int(n) < 0:
                raise ValueError
            return (name, int(n), seed if seed else "0")
        if name in ("reply", "reply-close"):
            return (name, unescape(rest))
        if name == "starttls":
            return (name, unescape(rest) if rest else b"220 Ready to start TLS\r\n")
    except ValueError:
        pass
    raise argparse.ArgumentTypeError("bad --mode %r" % spec)


VERSIONS = {
    "sslv3": ssl.TLSVersion.SSLv3,
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1_0": ssl.TLSVersion.TLSv1,
    "tlsv1_1": ssl.TLSVersion.TLSv1_1,
    "tlsv1_2": ssl.TLSVersion.TLSv1_2,
    "tlsv1_3": ssl.TLSVersion.TLSv1_3,
    "minimum_supported": ssl.TLSVersion.MINIMUM_SUPPORTED,
    "maximum_supported": ssl.TLSVersion.MAXIMUM_SUPPORTED,
}


def parse_version(text):
    key = text.strip().lower().replace(".", "_")
    if key not in VERSIONS:
        raise argparse.ArgumentTypeError("unknown TLS version %r" % text)
    return VERSIONS[key]


def make_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.min_version is not None:
        ctx.minimum_version = args.min_version
    if args.max_version is not None:
        ctx.maximum_version = args.max_version
    ciphers = args.ciphers
    if ciphers is None and args.min_version is not None and args.min_version not in (
        ssl.TLSVersion.TLSv1_2,
        ssl.TLSVersion.TLSv1_3,
        ssl.TLSVersion.MAXIMUM_SUPPORTED,
    ):
        ciphers = "DEFAULT:@SECLEVEL=0"
    if ciphers:
        ctx.set_ciphers(ciphers)
    if args.no_tickets:
        ctx.options |= ssl.OP_NO_TICKET
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=args.client_ca)

    def sni(sslobj, name, _ctx):
        owner = getattr(sslobj, "_owner_conn", None)
        if owner is not None:
            owner.sni = name
        return None

    ctx.sni_callback = sni
    return ctx


def client_cn(tls):
    try:
        cert = tls.getpeercert()
    except (ValueError, ssl.SSLError):
        return None
    for rdn in (cert or {}).get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return v
    return None


def plain_until_starttls(conn, args):
    """starttls mode's plain part; False when the peer left first."""
    if args.greeting:
        conn.send(args.greeting)
    buf = bytearray()
    while True:
        nl = buf.find(b"\n")
        if nl < 0:
            data = conn.recv_some()
            if not data:
                return False
            buf += data
            continue
        line, buf = bytes(buf[: nl + 1]), buf[nl + 1 :]
        word = line.strip().upper()
        if word in (b"STARTTLS", b"STLS", b"AUTH TLS"):
            conn.send(args.mode[1])
            conn.flush(timeout=10)
            conn.plain_in[:0] = buf  # (nothing, from a well-behaved client)
            vlog("conn %d starttls" % conn.cid)
            return True
        conn.send(line)


def serve(conn, args):
    mode = args.mode
    name = mode[0]
    if name == "starttls":
        if not plain_until_starttls(conn, args):
            conn.close_graceful(args.linger)
            return
        conn.start_tls(args.starttls_ctx)
    if name == "hang":
        while not conn.raw_eof:
            conn._io(True, None)
            conn.plain_in.clear()
            if conn.tls is not None:
                conn.inc.read()
        conn.sock.close()
        return
    if name == "close-in-handshake":
        deadline = time.monotonic() + 10
        need = 5
        try:
            while len(conn.plain_in) < need and not conn.raw_eof:
                conn._io(True, Conn._remaining(deadline))
                if len(conn.plain_in) >= 5 and conn.plain_in[0] == 0x16:
                    need = 5 + struct.unpack("!H", conn.plain_in[3:5])[0]
        except TimeoutError:
            pass
        conn.close_graceful(args.linger)
        return

    if conn.tls is not None:
        conn.tls._owner_conn = conn
        try:
            conn.handshake(args.handshake_timeout)
        except (ssl.SSLError, ConnectionAbortedError, TimeoutError) as e:
            vlog("conn %d error handshake: %s" % (conn.cid, e))
            conn.close_graceful(1)
            return
        vlog(
            "conn %d tls %s %s sni=%s client=%s reused=%s"
            % (
                conn.cid,
                conn.tls.version(),
                conn.tls.cipher()[0],
                conn.sni or "-",
                (client_cn(conn.tls) or "-").replace(" ", "_"),
                "yes" if conn.tls.session_reused else "no",
            )
        )

    greeting = args.greeting if name != "starttls" else None
    if greeting is None and name == "greet-close":
        greeting = b"hello SIM800"
    if greeting:
        conn.send(greeting)

    if name in ("echo", "starttls"):
        while True:
            data = conn.recv_some()
            if not data:
                break
            conn.send(data)
    elif name == "sink-sha256":
        h, count = hashlib.sha256(), 0
        while True:
            data = conn.recv_some()
            if not data:
                break
            h.update(data)
            count += len(data)
        vlog("conn %d sha256 %s %d" % (conn.cid, h.hexdigest(), count))
        conn.send(("%s %d\n" % (h.hexdigest(), count)).encode())
    elif name == "sink-n":
        h = hashlib.sha256()
        if conn.recv_exact_discard(mode[1], h):
            conn.send(("%s %d\n" % (h.hexdigest(), mode[1])).encode())
    elif name == "source":
        data = payload(mode[1], mode[2])
        view = memoryview(data)
        for off in range(0, len(data), 256 << 10):
            conn.send(view[off : off + (256 << 10)])
            conn.flush(below=1 << 20)
    elif name == "greet-close":
        time.sleep(args.close_delay)
    elif name == "reply-close":
        if conn.recv_some():
            time.sleep(args.reply_delay)
            conn.send(mode[1])
            conn.flush()
            time.sleep(args.close_delay)
    elif name == "reply":
        if conn.recv_some():
            time.sleep(args.reply_delay)
            conn.send(mode[1])
            while conn.recv_some():
                pass
    elif name == "alert-after":
        if not conn.recv_exact_discard(mode[1]):
            conn.close_graceful(args.linger)
            return
        conn.fatal_alert(plain=mode[2])
    elif name == "reset-after":
        if conn.recv_exact_discard(mode[1]):
            conn.close_reset()
            return
    conn.close_graceful(args.linger)


def handle(sock, peer, ctx, args, cid):
    vlog("conn %d accept %s" % (cid, peer))
    conn = None
    try:
        conn = Conn(sock, None if args.mode[0] == "starttls" else ctx, cid)
        serve(conn, args)
    except (OSError, ssl.SSLError, TimeoutError) as e:
        vlog("conn %d error %s: %s" % (cid, type(e).__name__, e))
    except Exception as e:  # a bug in this server: always report
        log("conn %d error %s: %s" % (cid, type(e).__name__, e))
    finally:
        try:
            sock.close()
        except OSError:
            pass
        if conn is not None:
            vlog("conn %d close rx=%d tx=%d" % (cid, conn.rx, conn.tx))


def loopback(host):
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise argparse.ArgumentTypeError("refusing non-loopback address %r" % host)
    return host


def main(argv=None):
    global VERBOSE
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", type=loopback, default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls", action="store_true")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--min-version", type=parse_version)
    p.add_argument("--max-version", type=parse_version)
    p.add_argument("--ciphers")
    p.add_argument("--client-ca")
    p.add_argument("--mode", type=parse_mode, default=("echo",))
    p.add_argument("--greeting", type=unescape)
    p.add_argument("--handshake-timeout", type=float, default=30.0)
    p.add_argument("--linger", type=float, default=5.0)
    p.add_argument("--reply-delay", type=float, default=0.0)
    p.add_argument("--close-delay", type=float, default=0.0)
    p.add_argument("--no-tickets", action="store_true")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    VERBOSE = args.verbose
    watch_parent()

    ctx = None
    if args.tls and args.mode[0] != "close-in-handshake":
        if not args.cert:
            p.error("--tls needs --cert (and --key unless the key is in the cert file)")
        try:
            ctx = make_context(args)
        except (OSError, ssl.SSLError, ValueError) as e:
            p.error("TLS setup failed: %s" % e)
    if args.mode[0] in ("alert-after", "starttls") and not args.tls:
        p.error("%s needs --tls" % args.mode[0])
    args.starttls_ctx = ctx

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.host, args.port))
    lsock.listen(256)
    sys.stdout.write("PORT %d\n" % lsock.getsockname()[1])
    sys.stdout.flush()

    ids = itertools.count(1)
    try:
        while True:
            try:
                sock, peer = lsock.accept()
            except InterruptedError:
                continue
            except OSError as e:  # e.g. EMFILE: back off, keep serving
                log("accept: %s" % e)
                time.sleep(0.05)
                continue
            t = threading.Thread(
                target=handle,
                args=(sock, "%s:%d" % peer[:2], ctx, args, next(ids)),
                daemon=True,
            )
            t.start()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
