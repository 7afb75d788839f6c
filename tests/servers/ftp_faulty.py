#!/usr/bin/python3
"""A small FTP / FTPS server that misbehaves on purpose (run as a subprocess;
start it with vsftpd.start_ftp_faulty() or vsftpd.start_fault()).

    ftp_faulty.py --root DIR [--host 127.0.0.1] [--port 0]
                  [--user U] [--password P]
                  [--tls none|explicit|implicit --cert F --key F]
                  [--ciphers S] [--min-version V] [--pasv-address IP]
                  [--fault KIND]... [--drop-after N] [--pause-after N]
                  [--pause S] [--verbose]

It does what vsftpd cannot be configured to do.  Like tls_echo.py it binds a
loopback address only, prints exactly one line "PORT <n>" on stdout once
listening, serves every control connection in a thread of its own until
killed, and exits within 0.5 s when the process that started it dies
($SIM800EMU_WATCH_PARENT).

FTP it speaks (RFC 959, 2228, 2389, 3659, 4217; enough for the SIM800's
client and Python's ftplib): USER PASS AUTH(TLS|SSL) PBSZ PROT TYPE MODE STRU
SYST FEAT OPTS NOOP PWD CWD CDUP PASV EPSV PORT EPRT REST RETR STOR APPE SIZE
DELE MKD RMD LIST NLST QUIT.  Paths are confined to --root (the user's "/").
TYPE A is accepted and changes nothing (like vsftpd's default).  Data
connections: PASV/EPSV listen on an ephemeral loopback port; PORT/EPRT connect
back.  After PROT P the data connection is TLS too (the server never demands
session reuse, but it logs whether the client resumed the control session).
--tls implicit: TLS from the first byte; explicit: plain 220, then AUTH TLS.
Ciphers default to the classic set (AES128-SHA, AES256-SHA ... @SECLEVEL=0,
TLS 1.0 .. 1.3); --min-version TLSv1_2 makes it refuse TLS 1.0/1.1.

Faults (--fault, may be repeated):
  drop-data     RETR: send up to file offset min(--drop-after, size // 2) (default
                --drop-after 65536), then close the data connection abruptly
                (TCP FIN; under TLS without close_notify) and answer
                "426 Connection closed; transfer aborted.".  STOR/APPE: take at
                most --drop-after bytes, then the same (the part received is
                kept; 426 even if the client had finished).  LIST/NLST: not
                affected.
  reset-data    as drop-data, but the data connection ends with a TCP RST
                (SO_LINGER 0).
  refuse-auth   AUTH -> "534 Request denied for policy reasons." (no TLS)
  refuse-pbsz   PBSZ -> "501 PBSZ not accepted."
  refuse-prot   PROT -> "536 Requested PROT level not supported by mechanism."
  pause-data    RETR: send --pause-after bytes (default 50), wait --pause
                seconds (default 1.0), then the rest (the SSL note's example:
                50 bytes readable first, then nothing, then the rest).

Log lines on stderr (stable, for tests to grep; one per event, prefixed
"[ftp_faulty] "):
  conn <id> accept <ip>:<port>
  conn <id> tls control <version> <cipher>
  conn <id> > <command line>            (PASS shown as "PASS <password>")
  conn <id> < <reply line>
  conn <id> data <pasv|port> <ip>:<port>
  conn <id> tls data <version> <cipher> reused=<yes|no>
  conn <id> fault <kind> after <n> bytes
  conn <id> transfer <RETR|STOR|APPE|LIST|NLST> <path> bytes=<n> status=<ok|aborted>
  conn <id> error <text>
  conn <id> close
"""

import argparse
import itertools
import os
import socket
import ssl
import stat
import struct
import sys
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _watch import watch_parent  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 settings

CLASSIC_CIPHERS = "AES128-SHA:AES256-SHA:DES-CBC3-SHA:HIGH:!aNULL:@SECLEVEL=0"
TLS12_CIPHERS = "HIGH:!aNULL:!MD5"
FAULTS = ("drop-data", "reset-data", "refuse-auth", "refuse-pbsz", "refuse-prot", "pause-data")
CHUNK = 16 * 1024
_log_lock = threading.Lock()
ARGS = None


def log(msg):
    with _log_lock:
        sys.stderr.write("[ftp_faulty] %s\n" % msg)
        sys.stderr.flush()


class Closed(Exception):
    pass


class Session:
    def __init__(self, sock, peer, cid, ctx):
        self.sock = sock
        self.peer = peer
        self.cid = cid
        self.ctx = ctx
        self.rbuf = b""
        self.user = None
        self.logged_in = False
        self.tls = False
        self.pbsz = False
        self.prot_p = False
        self.cwd = "/"
        self.rest = 0
        self.pasv = None          # listening socket
        self.port_addr = None     # (ip, port) for active mode
        self.faults = set(ARGS.fault or ())

    # --- control channel -------------------------------------------------------
    def log(self, msg):
        log("conn %d %s" % (self.cid, msg))

    def reply(self, text):
        for line in text.split("\n"):
            self.log("< " + line)
        self.sock.sendall(text.replace("\n", "\r\n").encode("utf-8") + b"\r\n")

    def readline(self):
        while b"\n" not in self.rbuf:
            if len(self.rbuf) > 8192:
                raise Closed("line too long")
            try:
                data = self.sock.recv(4096)
            except (ssl.SSLError, OSError) as e:
                raise Closed(str(e))
            if not data:
                raise Closed("eof")
            self.rbuf += data
        line, _, self.rbuf = self.rbuf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def start_tls(self):
        self.sock.settimeout(30)
        self.sock = self.ctx.wrap_socket(self.sock, server_side=True)
        self.tls = True
        self.log("tls control %s %s" % (self.sock.version(), self.sock.cipher()[0]))

    def run(self):
        try:
            if ARGS.tls == "implicit":
                try:
                    self.start_tls()
                except (ssl.SSLError, OSError) as e:
                    self.log("error control handshake: %s" % e)
                    return
            self.sock.settimeout(300)
            self.reply("220 sim800emu ftp_faulty ready.")
            while True:
                line = self.readline()
                cmd, _, arg = line.partition(" ")
                cmd = cmd.upper()
                self.log("> " + ("PASS <password>" if cmd == "PASS" else line))
                handler = getattr(self, "do_" + cmd, None)
                if handler is None:
                    self.reply("500 Unknown command.")
                    continue
                if cmd not in ("USER", "PASS", "AUTH", "PBSZ", "PROT", "QUIT", "FEAT", "SYST",
                               "NOOP", "OPTS") and not self.logged_in:
                    self.reply("530 Please login with USER and PASS.")
                    continue
                if handler(arg) is False:
                    break
        except Closed as e:
            self.log("error %s" % e)
        except Exception as e:  # keep serving other connections
            self.log("error %r" % e)
        finally:
            self.close_pasv()
            try:
                self.sock.close()
            except OSError:
                pass
            self.log("close")

    # --- login and TLS -----------------------------------------------------------
    def do_USER(self, arg):
        self.user, self.logged_in = arg, False
        self.reply("331 Please specify the password.")

    def do_PASS(self, arg):
        if self.user is None:
            self.reply("503 Login with USER first.")
        elif self.user == ARGS.user and arg == ARGS.password:
            self.logged_in = True
            self.reply("230 Login successful.")
        else:
            self.reply("530 Login incorrect.")

    def do_AUTH(self, arg):
        if ARGS.tls == "none" or "refuse-auth" in self.faults:
            self.reply("534 Request denied for policy reasons.")
        elif self.tls:
            self.reply("503 Already using TLS.")
        elif arg.upper() not in ("TLS", "SSL", "TLS-C"):
            self.reply("504 Unknown AUTH type.")
        else:
            self.reply("234 Proceed with negotiation.")
            if self.rbuf:
                raise Closed("data after AUTH")
            try:
                self.start_tls()
            except (ssl.SSLError, OSError) as e:
                raise Closed("control handshake: %s" % e)
            self.sock.settimeout(300)

    def do_PBSZ(self, arg):
        if "refuse-pbsz" in self.faults:
            self.reply("501 PBSZ not accepted.")
        elif not self.tls:
            self.reply("503 PBSZ needs a secure connection.")
        else:
            self.pbsz = True
            self.reply("200 PBSZ set to 0.")

    def do_PROT(self, arg):
        if "refuse-prot" in self.faults:
            self.reply("536 Requested PROT level not supported by mechanism.")
        elif not self.tls:
            self.reply("503 PROT needs a secure connection.")
        elif arg.upper() == "P":
            self.prot_p = True
            self.reply("200 PROT now Private.")
        elif arg.upper() == "C":
            self.prot_p = False
            self.reply("200 PROT now Clear.")
        else:
            self.reply("504 PROT level not supported.")

    # --- simple commands -----------------------------------------------------------
    def do_QUIT(self, arg):
        self.reply("221 Goodbye.")
        return False

    def do_NOOP(self, arg):
        self.reply("200 NOOP ok.")

    def do_SYST(self, arg):
        self.reply("215 UNIX Type: L8")

    def do_FEAT(self, arg):
        feats = ["EPRT", "EPSV", "PASV", "REST STREAM", "SIZE", "UTF8"]
        if ARGS.tls != "none":
            feats = ["AUTH TLS", "PBSZ", "PROT"] + feats
        self.reply("211-Features:\n" + "".join(" %s\n" % f for f in feats) + "211 End")

    def do_OPTS(self, arg):
        self.reply("200 Always in UTF8 mode." if arg.upper().startswith("UTF8") else "501 Option not understood.")

    def do_TYPE(self, arg):
        t = arg.upper().split()[0] if arg.strip() else ""
        if t == "A":
            self.reply("200 Switching to ASCII mode.")
        elif t in ("I", "L"):
            self.reply("200 Switching to Binary mode.")
        else:
            self.reply("500 Unrecognised TYPE command.")

    def do_MODE(self, arg):
        self.reply("200 Mode set to S." if arg.upper() == "S" else "504 Bad MODE command.")

    def do_STRU(self, arg):
        self.reply("200 Structure set to F." if arg.upper() == "F" else "504 Bad STRU command.")

    def do_REST(self, arg):
        try:
            self.rest = int(arg)
            if self.rest < 0:
                raise ValueError
        except ValueError:
            self.reply("501 Bad REST parameter.")
            return
        self.reply("350 Restart position accepted (%d)." % self.rest)

    # --- paths ------------------------------------------------------------------------
    def ftp_path(self, arg):
        p = arg if arg.startswith("/") else self.cwd.rstrip("/") + "/" + arg
        parts = []
        for seg in p.split("/"):
            if seg in ("", "."):
                continue
            if seg == "..":
                if parts:
                    parts.pop()
            else:
                parts.append(seg)
        return "/" + "/".join(parts)

    def local(self, ftp_path):
        return os.path.join(ARGS.root, ftp_path.lstrip("/"))

    def do_PWD(self, arg):
        self.reply('257 "%s" is the current directory' % self.cwd)

    do_XPWD = do_PWD

    def do_CWD(self, arg):
        p = self.ftp_path(arg or "/")
        if os.path.isdir(self.local(p)):
            self.cwd = p
            self.reply("250 Directory successfully changed.")
        else:
            self.reply("550 Failed to change directory.")

    def do_CDUP(self, arg):
        self.do_CWD("..")

    def do_SIZE(self, arg):
        p = self.local(self.ftp_path(arg))
        if os.path.isfile(p):
            self.reply("213 %d" % os.path.getsize(p))
        else:
            self.reply("550 Could not get file size.")

    def do_DELE(self, arg):
        p = self.local(self.ftp_path(arg))
        try:
            if not os.path.isfile(p):
                raise OSError
            os.unlink(p)
            self.reply("250 Delete operation successful.")
        except OSError:
            self.reply("550 Delete operation failed.")

    def do_MKD(self, arg):
        fp = self.ftp_path(arg)
        try:
            os.mkdir(self.local(fp))
            self.reply('257 "%s" created' % fp)
        except OSError:
            self.reply("550 Create directory operation failed.")

    def do_RMD(self, arg):
        try:
            os.rmdir(self.local(self.ftp_path(arg)))
            self.reply("250 Remove directory operation successful.")
        except OSError:
            self.reply("550 Remove directory operation failed.")

    # --- data connections ----------------------------------------------------------
    def close_pasv(self):
        if self.pasv is not None:
            try:
                self.pasv.close()
            except OSError:
                pass
            self.pasv = None

    def open_pasv(self):
        self.close_pasv()
        self.port_addr = None
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((ARGS.host, 0))
        s.listen(1)
        self.pasv = s
        port = s.getsockname()[1]
        self.log("data pasv %s:%d" % (ARGS.host, port))
        return port

    def do_PASV(self, arg):
        port = self.open_pasv()
        ip = ARGS.pasv_address or ARGS.host
        self.reply("227 Entering Passive Mode (%s,%d,%d)." % (ip.replace(".", ","), port >> 8, port & 255))

    def do_EPSV(self, arg):
        if arg.upper() == "ALL":
            self.reply("200 EPSV ALL ok.")
            return
        port = self.open_pasv()
        self.reply("229 Entering Extended Passive Mode (|||%d|)" % port)

    def set_port(self, ip, port):
        if ip != self.peer[0]:
            self.reply("500 Illegal PORT command.")
            return
        self.close_pasv()
        self.port_addr = (ip, port)
        self.log("data port %s:%d" % (ip, port))
        self.reply("200 PORT command successful. Consider using PASV.")

    def do_PORT(self, arg):
        try:
            n = [int(x) for x in arg.split(",")]
            if len(n) != 6 or any(not 0 <= x <= 255 for x in n):
                raise ValueError
        except ValueError:
            self.reply("500 Illegal PORT command.")
            return
        self.set_port("%d.%d.%d.%d" % tuple(n[:4]), n[4] << 8 | n[5])

    def do_EPRT(self, arg):
        try:
            d = arg[0]
            _, proto, ip, port, _ = arg.split(d)
            if proto != "1":
                self.reply("522 Network protocol not supported, use (1).")
                return
            self.set_port(ip, int(port))
        except (ValueError, IndexError):
            self.reply("500 Bad EPRT command.")

    def data_connect(self, preliminary):
        """Open the data connection, send the 1xx reply, do the TLS handshake.
        Returns the socket or None (the error reply has been sent)."""
        if self.pasv is None and self.port_addr is None:
            self.reply("425 Use PORT or PASV first.")
            return None
        try:
            if self.pasv is not None:
                self.pasv.settimeout(30)
                conn, _ = self.pasv.accept()
                self.close_pasv()
            else:
                conn = socket.create_connection(self.port_addr, 30)
                self.port_addr = None
        except OSError as e:
            self.close_pasv()
            self.log("error data connect: %s" % e)
            self.reply("425 Failed to establish connection.")
            return None
        conn.settimeout(60)
        self.reply(preliminary)
        if self.prot_p:
            try:
                conn = self.ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError) as e:
                self.log("error data handshake: %s" % e)
                conn.close()
                self.reply("522 SSL connection failed.")
                return None
            self.log("tls data %s %s reused=%s" % (conn.version(), conn.cipher()[0],
                                                   "yes" if conn.session_reused else "no"))
        return conn

    def data_close(self, conn, abort=None):
        """Close the data connection: politely (close_notify, FIN), or abort="drop"
        (FIN, no close_notify) / "reset" (RST)."""
        try:
            if abort == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()                      # RST; an SSLSocket sends no alert here
                return
            if abort == "drop":
                conn.shutdown(socket.SHUT_RDWR)   # an SSLSocket sends no close_notify here
            elif isinstance(conn, ssl.SSLSocket):
                conn.settimeout(2)
                try:
                    conn = conn.unwrap()
                except (ssl.SSLError, OSError):
                    pass
        except OSError:
            pass
        try:
            conn.close()
        except OSError:
            pass

    def data_fault(self):
        for f in ("reset-data", "drop-data"):
            if f in self.faults:
                return f
        return None

    def do_RETR(self, arg):
        fp = self.ftp_path(arg)
        p = self.local(fp)
        rest, self.rest = self.rest, 0
        try:
            f = open(p, "rb")
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                f.close()
                raise OSError
        except OSError:
            self.close_pasv()
            self.reply("550 Failed to open file.")
            return
        with f:
            size = os.fstat(f.fileno()).st_size
            f.seek(min(rest, size))
            conn = self.data_connect("150 Opening BINARY mode data connection for %s (%d bytes)." % (fp, size))
            if conn is None:
                return
            fault = self.data_fault()
            limit = None
            if fault:
                limit = max(0, min(ARGS.drop_after, size // 2) - min(rest, size))
            pause_at = ARGS.pause_after if "pause-data" in self.faults else None
            sent = 0
            try:
                while True:
                    want = CHUNK
                    if limit is not None:
                        want = min(want, limit - sent)
                    if pause_at is not None and sent < pause_at:
                        want = min(want, pause_at - sent)
                    data = f.read(want) if want > 0 else b""
                    if not data:
                        break
                    conn.sendall(data)
                    sent += len(data)
                    if pause_at is not None and sent == pause_at:
                        self.log("fault pause-data after %d bytes" % sent)
                        time.sleep(ARGS.pause)
            except (ssl.SSLError, OSError) as e:
                self.log("error data send: %s" % e)
                self.data_close(conn, "drop")
                self.log("transfer RETR %s bytes=%d status=aborted" % (fp, sent))
                self.reply("426 Failure writing network stream.")
                return
            if fault:
                self.log("fault %s after %d bytes" % (fault, sent))
                self.data_close(conn, "reset" if fault == "reset-data" else "drop")
                self.log("transfer RETR %s bytes=%d status=aborted" % (fp, sent))
                self.reply("426 Connection closed; transfer aborted.")
                return
            self.data_close(conn)
            self.log("transfer RETR %s bytes=%d status=ok" % (fp, sent))
            self.reply("226 Transfer complete.")

    def store(self, arg, append):
        cmd = "APPE" if append else "STOR"
        fp = self.ftp_path(arg)
        p = self.local(fp)
        rest, self.rest = self.rest, 0
        if not os.path.isdir(os.path.dirname(p)) or os.path.isdir(p):
            self.close_pasv()
            self.reply("553 Could not create file.")
            return
        mode = "ab" if append else ("r+b" if rest and os.path.exists(p) else "wb")
        with open(p, mode) as f:
            if mode == "r+b":
                f.seek(rest)
                f.truncate()
            conn = self.data_connect("150 Ok to send data.")
            if conn is None:
                return
            fault = self.data_fault()
            got = 0
            try:
                while True:
                    want = CHUNK if not fault else min(CHUNK, ARGS.drop_after - got)
                    if want <= 0:
                        break
                    data = conn.recv(want)
                    if not data:
                        break
                    f.write(data)
                    got += len(data)
            except (ssl.SSLError, OSError) as e:
                self.log("error data recv: %s" % e)
                self.data_close(conn, "drop")
                self.log("transfer %s %s bytes=%d status=aborted" % (cmd, fp, got))
                self.reply("426 Failure reading network stream.")
                return
            if fault:
                self.log("fault %s after %d bytes" % (fault, got))
                self.data_close(conn, "reset" if fault == "reset-data" else "drop")
                self.log("transfer %s %s bytes=%d status=aborted" % (cmd, fp, got))
                self.reply("426 Connection closed; transfer aborted.")
                return
            self.data_close(conn)
        self.log("transfer %s %s bytes=%d status=ok" % (cmd, fp, got))
        self.reply("226 Transfer complete.")

    def do_STOR(self, arg):
        self.store(arg, False)

    def do_APPE(self, arg):
        self.store(arg, True)

    def listing(self, arg, names_only):
        args = [a for a in arg.split() if not a.startswith("-")]
        fp = self.ftp_path(args[0] if args else ".")
        p = self.local(fp)
        if os.path.isdir(p):
            entries = sorted(os.listdir(p))
            base = p
        elif os.path.exists(p):
            entries, base = [os.path.basename(p)], os.path.dirname(p)
        else:
            entries, base = [], p
        lines = []
        for name in entries:
            if names_only:
                lines.append(name)
                continue
            st = os.lstat(os.path.join(base, name))
            kind = "d" if stat.S_ISDIR(st.st_mode) else "-"
            perms = stat.filemode(st.st_mode)[1:]
            when = time.strftime("%b %d %H:%M", time.gmtime(st.st_mtime))
            lines.append("%s%s    1 ftp      ftp      %8d %s %s" % (kind, perms, st.st_size, when, name))
        body = "".join(l + "\r\n" for l in lines).encode("utf-8")
        conn = self.data_connect("150 Here comes the directory listing.")
        if conn is None:
            return
        try:
            conn.sendall(body)
        except (ssl.SSLError, OSError) as e:
            self.log("error data send: %s" % e)
        self.data_close(conn)
        self.log("transfer %s %s bytes=%d status=ok" % ("NLST" if names_only else "LIST", fp, len(body)))
        self.reply("226 Directory send OK.")

    def do_LIST(self, arg):
        self.listing(arg, False)

    def do_NLST(self, arg):
        self.listing(arg, True)


def make_ctx(args):
    if args.tls == "none":
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    minv = getattr(ssl.TLSVersion, (args.min_version or "TLSv1").replace(".", "_"))
    ctx.minimum_version = minv
    ctx.set_ciphers(args.ciphers or (TLS12_CIPHERS if minv >= ssl.TLSVersion.TLSv1_2 else CLASSIC_CIPHERS))
    return ctx


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user", default="sim.cs1")
    ap.add_argument("--password", default="******")
    ap.add_argument("--tls", choices=("none", "explicit", "implicit"), default="none")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--ciphers")
    ap.add_argument("--min-version")
    ap.add_argument("--pasv-address")
    ap.add_argument("--fault", action="append", choices=FAULTS)
    ap.add_argument("--drop-after", type=int, default=65536)
    ap.add_argument("--pause-after", type=int, default=50)
    ap.add_argument("--pause", type=float, default=1.0)
    ap.add_argument("--verbose", action="store_true")  # always logs; kept for symmetry
    ARGS = ap.parse_args()
    ARGS.root = os.path.abspath(ARGS.root)
    if ARGS.tls != "none" and not ARGS.cert:
        ap.error("--tls needs --cert")
    ctx = make_ctx(ARGS)
    watch_parent()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((ARGS.host, ARGS.port))
    lsock.listen(64)
    sys.stdout.write("PORT %d\n" % lsock.getsockname()[1])
    sys.stdout.flush()
    for cid in itertools.count(1):
        sock, peer = lsock.accept()
        log("conn %d accept %s:%d" % (cid, peer[0], peer[1]))
        sess = Session(sock, peer, cid, ctx)
        threading.Thread(target=sess.run, daemon=True).start()


if __name__ == "__main__":
    main()
