#!/usr/bin/python3
"""Minimal DNS responder for the sim800emu tests (run as a subprocess).

    dns_server.py [--host 127.0.0.1] [--port 0] [--record NAME=IP]...
                  [--drop NAME]... [--servfail NAME]... [--ttl 60] [--verbose]

Binds UDP *and* TCP (RFC 1035 2-byte length framing) on the same loopback port
(127.0.0.1 by default, or ::1), prints "PORT <n>" on stdout (flushed), then
answers until killed.  Nothing else goes to stdout.

Names are case-insensitive, a trailing dot is ignored.  --record may repeat,
also for one name (several answers, in the order given); an IP with ':' is an
AAAA record.  For a query (one question, class IN or ANY):
  name has records of the asked type (A=1, AAAA=28, ANY=255) -> NOERROR + them
  name known, no record of that type                        -> NOERROR, no answer
  name in --servfail                                         -> SERVFAIL
  name in --drop                                             -> no reply at all
  unknown name                                               -> NXDOMAIN
Responses are authoritative (AA=1), RA=1, RD copied, the question copied byte
for byte (so 0x20 case randomisation survives), answers use a pointer to the
question name; EDNS/additional records in the query are ignored.  Malformed
queries get FORMERR when the header is readable, otherwise are dropped;
opcodes other than QUERY get NOTIMP.

--verbose logs "query <udp|tcp> <name> <type> -> <RCODE> <answers>" to stderr.
"""

import argparse
import ipaddress
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _watch import watch_parent  # noqa: E402

NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP = 0, 1, 2, 3, 4
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP"}
T_A, T_AAAA, T_ANY = 1, 28, 255
VERBOSE = False


def log(msg):
    sys.stderr.write("[dns_server] %s\n" % msg)
    sys.stderr.flush()


def norm(name):
    return name.strip().rstrip(".").lower()


class Zone:
    def __init__(self, records, drop, servfail, ttl):
        self.records = {}  # name -> [(type, rdata)]
        for name, ip in records:
            addr = ipaddress.ip_address(ip)
            rtype = T_AAAA if addr.version == 6 else T_A
            self.records.setdefault(norm(name), []).append((rtype, addr.packed))
        self.drop = {norm(n) for n in drop}
        self.servfail = {norm(n) for n in servfail}
        self.ttl = ttl

    def answer(self, query, transport):
        """Response bytes for query, or None for no reply."""
        if len(query) < 12:
            return None
        qid, flags, qd, _an, _ns, _ar = struct.unpack("!6H", query[:12])
        if flags & 0x8000:  # a response, not a query
            return None
        opcode = (flags >> 11) & 0xF
        rd = flags & 0x0100

        def reply(rcode, question=b"", answers=()):
            hdr = struct.pack(
                "!6H",
                qid,
                0x8000 | (opcode << 11) | 0x0400 | rd | 0x0080 | rcode,
                1 if question else 0,
                len(answers),
                0,
                0,
            )
            out = [hdr, question]
            for rtype, rdata in answers:
                out.append(struct.pack("!HHHIH", 0xC00C, rtype, 1, self.ttl, len(rdata)) + rdata)
            return b"".join(out)

        if opcode != 0:
            return reply(NOTIMP)
        if qd != 1:
            return reply(FORMERR)
        # QNAME: uncompressed labels
        pos, labels = 12, []
        try:
            while True:
                n = query[pos]
                pos += 1
                if n == 0:
                    break
                if n & 0xC0:
                    return reply(FORMERR)
                labels.append(query[pos : pos + n])
                if len(labels[-1]) != n:
                    return reply(FORMERR)
                pos += n
            qtype, qclass = struct.unpack("!HH", query[pos : pos + 4])
        except (IndexError, struct.error):
            return reply(FORMERR)
        question = query[12 : pos + 4]
        name = norm(b".".join(labels).decode("ascii", "replace"))

        if name in self.drop:
            rcode, answers = None, []
        elif name in self.servfail:
            rcode, answers = SERVFAIL, []
        elif name in self.records and qclass in (1, 255):
            rcode = NOERROR
            answers = [r for r in self.records[name] if qtype in (r[0], T_ANY)]
        else:
            rcode, answers = NXDOMAIN, []
        if VERBOSE:
            log(
                "query %s %s %s -> %s %d"
                % (transport, name or ".", qtype, "DROP" if rcode is None else RCODES[rcode], len(answers))
            )
        if rcode is None:
            return None
        return reply(rcode, question, answers)


def serve_udp(sock, zone):
    while True:
        try:
            data, peer = sock.recvfrom(4096)
        except InterruptedError:
            continue
        except OSError as e:
            log("udp recv: %s" % e)
            continue
        try:
            resp = zone.answer(data, "udp")
            if resp is not None:
                sock.sendto(resp, peer)
        except Exception as e:
            log("udp error: %s: %s" % (type(e).__name__, e))


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def serve_tcp_conn(conn, zone):
    try:
        conn.settimeout(30)
        while True:
            hdr = recv_exact(conn, 2)
            if hdr is None:
                break
            query = recv_exact(conn, struct.unpack("!H", hdr)[0])
            if query is None:
                break
            resp = zone.answer(query, "tcp")
            if resp is not None:
                conn.sendall(struct.pack("!H", len(resp)) + resp)
    except OSError:
        pass
    except Exception as e:
        log("tcp error: %s: %s" % (type(e).__name__, e))
    finally:
        conn.close()


def serve_tcp(lsock, zone):
    while True:
        try:
            conn, _ = lsock.accept()
        except OSError:
            continue
        threading.Thread(target=serve_tcp_conn, args=(conn, zone), daemon=True).start()


def bind_pair(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((host, port))
        real = udp.getsockname()[1]
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, real))
        except OSError:
            udp.close()
            tcp.close()
            if port:
                raise
            continue
        tcp.listen(64)
        return udp, tcp, real
    raise OSError("could not bind UDP and TCP on one port")


def loopback(host):
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise argparse.ArgumentTypeError("refusing non-loopback address %r" % host)
    return host


def record(text):
    name, sep, ip = text.partition("=")
    try:
        ipaddress.ip_address(ip.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("bad --record %r (want NAME=IP)" % text)
    if not sep or not norm(name):
        raise argparse.ArgumentTypeError("bad --record %r (want NAME=IP)" % text)
    return (name, ip.strip())


def main(argv=None):
    global VERBOSE
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", type=loopback, default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--record", type=record, action="append", default=[])
    p.add_argument("--drop", action="append", default=[])
    p.add_argument("--servfail", action="append", default=[])
    p.add_argument("--ttl", type=int, default=60)
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    VERBOSE = args.verbose
    watch_parent()

    zone = Zone(args.record, args.drop, args.servfail, args.ttl)
    udp, tcp, port = bind_pair(args.host, args.port)
    threading.Thread(target=serve_tcp, args=(tcp, zone), daemon=True).start()
    sys.stdout.write("PORT %d\n" % port)
    sys.stdout.flush()
    try:
        serve_udp(udp, zone)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
