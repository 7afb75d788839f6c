#!/usr/bin/python3
"""Dynamic endpoints of the nginx test rig (tests/servers/nginx.py), behind
nginx's proxy_pass; also usable directly (plain HTTP, exact bytes on the wire).

    nginx_upstream.py --port 0 --record-dir DIR

Prints "PORT <n>" once listening on 127.0.0.1; stderr gets errors only.
Every request is recorded *before* it is answered: one JSON line appended to
DIR/requests.jsonl and its body written to DIR/body-<seq>.bin.

Endpoints (query values are decimal unless noted; payload() is payload.py's):
  /bytes?n=N&seed=S        200, Content-Length N, payload(N, S) (seed default "bytes")
  /chunked?n=N&seed=S[&chunk=K][&ext=1][&trailer=1]
                           200, payload(N, S) (seed default "chunked") with
                           Transfer-Encoding: chunked in K-byte chunks (default
                           4096); ext=1 adds ";ext=v" to each size line, trailer=1
                           a trailer field.  To an HTTP/1.0 request: close-delimited.
  /close?n=N&seed=S[&v=1.0] 200, no Content-Length, body ends when the server
                           closes (seed default "close"); v=1.0: "HTTP/1.0" status line.
  /slow?s=SEC[&n=N]        sleeps SEC (default 5) before answering; body "late"
                           or payload(N, "slow").
  /stall?s=SEC&n=N         headers (Content-Length N) and the first half of
                           payload(N, "stall") at once, the rest after SEC.
  /status?code=C[&n=N]     answers status C with N bytes of payload(N, "status")
                           (default: a short text; none for 1xx/204/304).
  /redirect?code=C&to=URL  status C (default 302), Location: URL (percent-decoded).
  /hops?n=N                302 to /hops?n=N-1 ... /hops?n=0 -> 302 to /1k.txt.
  /echo                    200 with the request body as the response body.
  /garbage                 raw bytes that are not an HTTP response, then close
                           (nginx relays them unchanged as an HTTP/0.9 reply).
  anything else (/post ...) 200, one line of JSON summarising the record
                           (seq, method, path, len, sha256, content_type, user_agent).
HEAD: the same status and headers as GET, no body.

Record fields: seq, method, target, path, query, version, request_line,
headers ([name, value] in the client's order as far as known), len, sha256,
body_file, via ("nginx" or "direct"), scheme, tls_protocol, tls_cipher, sni,
client_cert, raw_head (exact bytes received here, latin-1).  Through nginx
the client's Host/Connection/Content-Length/Transfer-Encoding/Keep-Alive/
Expect values come from X-Client-* headers that nginx adds, appended after
the other headers (so their position is not the client's); direct requests
are recorded exactly.
"""
import argparse
import hashlib
import json
import os
import socket
import socketserver
import sys
import threading
import time
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payload import payload  # noqa: E402
from _watch import watch_parent  # noqa: E402

RECORD_DIR = None
_rec_lock = threading.Lock()
_seq = [0]

REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
           301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
           307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
           401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           408: "Request Timeout", 413: "Payload Too Large", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}

# Headers nginx adds (proxy_set_header in nginx.conf.in) to pass the client's view.
CLIENT_HDRS = ["Host", "Connection", "Content-Length", "Transfer-Encoding", "Keep-Alive", "Expect"]
MAX_HEAD = 64 * 1024
MAX_BODY = 64 << 20


class BadRequest(Exception):
    pass


def log(msg):
    sys.stderr.write("[nginx_upstream] %s\n" % msg)
    sys.stderr.flush()


class Request:
    def __init__(self, raw_head, method, target, version, headers):
        self.raw_head = raw_head
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # [(name, value)] as received
        u = urlsplit(target)
        self.path = u.path
        self.query = u.query
        self.q = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        self.body = b""

    def get(self, name, default=None):
        low = name.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return default

    def qint(self, name, default):
        v = self.q.get(name, "")
        return int(v) if v.strip() else default

    def qfloat(self, name, default):
        v = self.q.get(name, "")
        return float(v) if v.strip() else default


def read_head(rfile):
    raw = bytearray()
    while True:
        line = rfile.readline(MAX_HEAD + 1)
        if not line:
            if raw:
                raise BadRequest("EOF inside the request head")
            return None
        raw += line
        if len(raw) > MAX_HEAD:
            raise BadRequest("request head too long")
        if line in (b"\r\n", b"\n"):
            if raw.strip() == b"":  # tolerate empty lines before the request line
                raw.clear()
                continue
            return bytes(raw)


def parse_head(raw):
    text = raw.decode("latin-1")
    lines = text.split("\n")
    parts = lines[0].rstrip("\r").split(" ")
    if len(parts) == 2:
        parts.append("HTTP/0.9")
    if len(parts) != 3:
        raise BadRequest("bad request line %r" % lines[0])
    headers = []
    for line in lines[1:]:
        line = line.rstrip("\r")
        if not line:
            continue
        if line[0] in " \t" and headers:  # obsolete line folding
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise BadRequest("bad header line %r" % line)
        headers.append((name.strip(), value.strip()))
    return Request(raw, parts[0], parts[1], parts[2], headers)


def read_body(req, rfile):
    te = (req.get("Transfer-Encoding") or "").lower()
    if "chunked" in te:
        out = bytearray()
        while True:
            size_line = rfile.readline(4096)
            if not size_line:
                raise BadRequest("EOF inside a chunked body")
            n = int(size_line.split(b";")[0].strip(), 16)
            if n == 0:
                while rfile.readline(4096) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            out += rfile.read(n)
            rfile.readline(4096)
            if len(out) > MAX_BODY:
                raise BadRequest("body too large")
    n = int(req.get("Content-Length") or 0)
    if n > MAX_BODY:
        raise BadRequest("body too large")
    body = rfile.read(n) if n else b""
    if len(body) != n:
        raise BadRequest("EOF inside the body (%d of %d)" % (len(body), n))
    return body


def client_view(req):
    """(request_line, version, headers) as the client sent them, as far as known."""
    via_nginx = req.get("X-Nginx") is not None
    if not via_nginx:
        line = req.raw_head.split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1")
        return line, req.version, list(req.headers), "direct"
    line = req.get("X-Client-Request") or ""
    version = line.rsplit(" ", 1)[-1] if " " in line else req.version
    skip = {h.lower() for h in CLIENT_HDRS}
    hdrs = [(k, v) for k, v in req.headers
            if k.lower() not in skip and not k.lower().startswith("x-client-") and k.lower() != "x-nginx"]
    for h in CLIENT_HDRS:
        v = req.get("X-Client-" + h)
        if v is not None:
            hdrs.append((h, v))
    return line, version, hdrs, "nginx"


def record(req):
    line, version, hdrs, via = client_view(req)
    with _rec_lock:
        _seq[0] += 1
        seq = _seq[0]
        body_file = os.path.join(RECORD_DIR, "body-%d.bin" % seq) if RECORD_DIR else None
        ctype = next((v for k, v in hdrs if k.lower() == "content-type"), None)
        ua = next((v for k, v in hdrs if k.lower() == "user-agent"), None)
        rec = {
            "seq": seq,
            "method": req.method,
            "target": req.target,
            "path": req.path,
            "query": req.query,
            "version": version,
            "request_line": line,
            "headers": [[k, v] for k, v in hdrs],
            "content_type": ctype,
            "user_agent": ua,
            "len": len(req.body),
            "sha256": hashlib.sha256(req.body).hexdigest(),
            "body_file": body_file,
            "via": via,
            "scheme": req.get("X-Client-Scheme", "http"),
            "tls_protocol": req.get("X-Client-Tls"),
            "tls_cipher": req.get("X-Client-Cipher"),
            "sni": req.get("X-Client-Sni"),
            "client_cert": req.get("X-Client-Cert"),
            "raw_head": req.raw_head.decode("latin-1"),
            "time": time.time(),
        }
        if RECORD_DIR:
            with open(body_file, "wb") as f:
                f.write(req.body)
            with open(os.path.join(RECORD_DIR, "requests.jsonl"), "a") as f:
                f.write(json.dumps(rec) + "\n")
                f.flush()
        return rec


class Handler(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self):
        try:
            while True:
                raw = read_head(self.rfile)
                if raw is None:
                    return
                req = parse_head(raw)
                if (req.get("Expect") or "").lower() == "100-continue" and req.get("X-Nginx") is None:
                    self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self.wfile.flush()
                req.body = read_body(req, self.rfile)
                rec = record(req)
                keep = self.respond(req, rec)
                conn = (req.get("Connection") or "").lower()
                if not keep or req.version != "HTTP/1.1" or "close" in conn:
                    return
        except BadRequest as e:
            log("bad request: %s" % e)
            try:
                self.wfile.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
        except (ConnectionError, BrokenPipeError, socket.timeout):
            pass
        except Exception as e:  # never let a handler thread die noisily
            log("error: %r" % e)

    # --- helpers ---------------------------------------------------------------------
    def send_head(self, req, code, headers, version="HTTP/1.1"):
        out = ["%s %d %s" % (version, code, REASONS.get(code, "Status"))]
        out += ["%s: %s" % kv for kv in headers]
        self.wfile.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))

    def simple(self, req, code, body, ctype="application/octet-stream", extra=()):
        hdrs = list(extra) + [("Content-Type", ctype), ("Content-Length", str(len(body)))]
        self.send_head(req, code, hdrs)
        if req.method != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()
        return True

    # --- endpoints ---------------------------------------------------------------------
    def respond(self, req, rec):
        p = req.path
        if p == "/bytes":
            return self.simple(req, 200, payload(req.qint("n", 1024), req.q.get("seed") or "bytes"))
        if p == "/chunked":
            return self.chunked(req)
        if p == "/close":
            body = payload(req.qint("n", 1024), req.q.get("seed") or "close")
            ver = "HTTP/1.0" if req.q.get("v") == "1.0" else "HTTP/1.1"
            self.send_head(req, 200, [("Content-Type", "application/octet-stream"), ("Connection", "close")], ver)
            if req.method != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()
            return False
        if p == "/slow":
            time.sleep(req.qfloat("s", 5.0))
            n = req.qint("n", -1)
            return self.simple(req, 200, b"late" if n < 0 else payload(n, "slow"), "text/plain")
        if p == "/stall":
            n = req.qint("n", 1024)
            body = payload(n, "stall")
            self.send_head(req, 200, [("Content-Type", "application/octet-stream"), ("Content-Length", str(n))])
            if req.method != "HEAD":
                self.wfile.write(body[:n // 2])
                self.wfile.flush()
                time.sleep(req.qfloat("s", 5.0))
                self.wfile.write(body[n // 2:])
            self.wfile.flush()
            return True
        if p == "/status":
            code = req.qint("code", 200)
            n = req.qint("n", -1)
            if code < 200 or code in (204, 304):
                self.send_head(req, code, [])
                self.wfile.flush()
                return True
            body = ("status %d\n" % code).encode() if n < 0 else payload(n, "status")
            return self.simple(req, code, body, "text/plain" if n < 0 else "application/octet-stream")
        if p == "/redirect":
            code = req.qint("code", 302)
            to = unquote(req.q.get("to") or "/1k.txt")
            return self.simple(req, code, b"redirect\n", "text/plain", [("Location", to)])
        if p == "/hops":
            n = req.qint("n", 1)
            to = "/1k.txt" if n <= 0 else "/hops?n=%d" % (n - 1)
            return self.simple(req, 302, b"hop\n", "text/plain", [("Location", to)])
        if p == "/echo":
            return self.simple(req, 200, req.body, req.get("Content-Type") or "application/octet-stream")
        if p == "/garbage":
            self.wfile.write(b"\x00\x01 this is not HTTP at all\r\n\r\n")
            self.wfile.flush()
            return False
        summary = {k: rec[k] for k in ("seq", "method", "path", "len", "sha256", "content_type", "user_agent")}
        return self.simple(req, 200, (json.dumps(summary) + "\n").encode(), "application/json")

    def chunked(self, req):
        n = req.qint("n", 1024)
        k = max(1, req.qint("chunk", 4096))
        body = payload(n, req.q.get("seed") or "chunked")
        if req.version != "HTTP/1.1":
            self.send_head(req, 200, [("Content-Type", "application/octet-stream"), ("Connection", "close")],
                           req.version if req.version == "HTTP/1.0" else "HTTP/1.1")
            if req.method != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()
            return False
        hdrs = [("Content-Type", "application/octet-stream"), ("Transfer-Encoding", "chunked")]
        if req.q.get("trailer") == "1":
            hdrs.append(("Trailer", "X-Checksum"))
        self.send_head(req, 200, hdrs)
        if req.method != "HEAD":
            ext = ";ext=v" if req.q.get("ext") == "1" else ""
            for off in range(0, n, k):
                piece = body[off:off + k]
                self.wfile.write(b"%x%s\r\n%s\r\n" % (len(piece), ext.encode(), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\n")
            if req.q.get("trailer") == "1":
                self.wfile.write(b"X-Checksum: " + hashlib.sha256(body).hexdigest().encode() + b"\r\n")
            self.wfile.write(b"\r\n")
        self.wfile.flush()
        return True


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    global RECORD_DIR
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--record-dir")
    args = p.parse_args()
    RECORD_DIR = args.record_dir
    watch_parent()
    srv = Server(("127.0.0.1", args.port), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
