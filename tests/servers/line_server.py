#!/usr/bin/python3
"""A scripted line-protocol server (FTP/SMTP numeric replies, POP3) for the
linecli unit tests (run as a subprocess).

    line_server.py [--host 127.0.0.1] [--port 0] [--cert F --key F] [--pop3]

Binds a loopback address only, prints exactly one line "PORT <n>" on stdout
once listening, then serves connections (one thread each) until killed.
Greets with "220 line_server ready" ("+OK line_server ready" with --pop3), then
answers each command line (CRLF or LF) by its first word, case-insensitive:

  MULTI       250-first / 250-second / 250 last
  FTP150      an FTP multi-line reply whose middle lines do not start with the
              code, one of them "123 not the end": 150-... 150 done
  BYTES       the MULTI reply written one byte at a time (TCP_NODELAY, 2 ms apart)
  ENDLESSLINE "250-" and then 'A's without a line end, until the client leaves
  ENDLESSREPLY "250-more" lines without end, until the client leaves
  HANG        nothing at all (the connection stays open)
  TWO         two replies at once: "250 one" and "251 two" in one write
  INJECT      "220 go ahead" and, in the same write, "250 injected"
  STARTTLS / STLS   "220 Ready to start TLS" ("+OK Begin TLS"), then the TLS
              handshake as server (needs --cert); TLS? then answers "250 tls=yes"
  TLS?        "250 tls=yes" or "250 tls=no" ("+OK ..." with --pop3)
  RETR 1      +OK, then a dot-stuffed body: "line one", ".dot line",
              "..two dots", ".", "", a line with NUL and 0xFF bytes, "last";
              then ".": the client must see the unstuffed lines
  RETR 9      -ERR no such message
  BIGBODY     +OK and an endless body, until the client leaves
  QUIT        221 bye (+OK bye), then close
  anything else: "500 unknown" (-ERR unknown)
"""

import argparse
import os
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _watch import watch_parent  # noqa: E402

POP3_BODY = (
    b"line one\r\n"
    b"..dot line\r\n"
    b"...two dots\r\n"
    b"..\r\n"
    b"\r\n"
    b"nul\x00 and \xff bytes, a bare \n LF and a bare \r CR\r\n"
    b"last\r\n"
    b".\r\n"
)


def log(msg):
    sys.stderr.write("[line_server] %s\n" % msg)
    sys.stderr.flush()


def serve(sock, ctx, pop3):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ok, err = (b"+OK", b"-ERR") if pop3 else (b"250", b"500")
    sock.sendall((b"+OK" if pop3 else b"220") + b" line_server ready\r\n")
    buf = b""
    tls = False

    def endless(chunk):
        try:
            while True:
                sock.sendall(chunk)
        except OSError:
            return

    while True:
        while b"\n" not in buf:
            data = sock.recv(65536)
            if not data:
                return
            buf += data
        line, buf = buf.split(b"\n", 1)
        words = line.strip().split()
        cmd = words[0].upper() if words else b""
        arg = words[1] if len(words) > 1 else b""
        if cmd == b"MULTI":
            sock.sendall(b"250-first\r\n250-second\r\n250 last\r\n")
        elif cmd == b"FTP150":
            sock.sendall(b"150-Here it comes\r\n  indented text\r\n123 not the end\r\n150x neither\r\n150 done\r\n")
        elif cmd == b"BYTES":
            for b in b"250-first\r\n250-second\r\n250 last\r\n":
                sock.sendall(bytes([b]))
                time.sleep(0.002)
        elif cmd == b"ENDLESSLINE":
            sock.sendall(b"250-")
            return endless(b"A" * 65536)
        elif cmd == b"ENDLESSREPLY":
            return endless(b"250-more\r\n" * 6554)
        elif cmd == b"HANG":
            pass
        elif cmd == b"TWO":
            sock.sendall(b"250 one\r\n251 two\r\n")
        elif cmd == b"INJECT":
            sock.sendall(b"220 go ahead\r\n250 injected\r\n")
        elif cmd in (b"STARTTLS", b"STLS") and ctx is not None and not tls:
            sock.sendall(b"+OK Begin TLS\r\n" if pop3 else b"220 Ready to start TLS\r\n")
            if buf:
                log("bytes after STARTTLS: %r" % buf)
                return
            try:
                sock = ctx.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as e:
                log("handshake: %s" % e)
                return
            tls = True
        elif cmd == b"TLS?":
            sock.sendall(ok + (b" tls=yes\r\n" if tls else b" tls=no\r\n"))
        elif cmd == b"RETR" and arg == b"1":
            sock.sendall(b"+OK 1 message follows\r\n" + POP3_BODY)
        elif cmd == b"RETR":
            sock.sendall(b"-ERR no such message\r\n")
        elif cmd == b"BIGBODY":
            sock.sendall(b"+OK lots\r\n")
            return endless(b"0123456789" * 1000 + b"\r\n")
        elif cmd == b"QUIT":
            sock.sendall((b"+OK" if pop3 else b"221") + b" bye\r\n")
            if tls:
                try:
                    sock = sock.unwrap()
                except (ssl.SSLError, OSError):
                    pass
            return
        else:
            sock.sendall(err + b" unknown\r\n")


def handle(sock, ctx, pop3):
    try:
        serve(sock, ctx, pop3)
    except (OSError, ssl.SSLError) as e:
        log("error %s: %s" % (type(e).__name__, e))
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--pop3", action="store_true")
    args = p.parse_args()
    if args.host not in ("127.0.0.1", "::1"):
        p.error("loopback only")
    watch_parent()
    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.host, args.port))
    lsock.listen(64)
    sys.stdout.write("PORT %d\n" % lsock.getsockname()[1])
    sys.stdout.flush()
    while True:
        sock, _ = lsock.accept()
        threading.Thread(target=handle, args=(sock, ctx, args.pop3), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
