#!/usr/bin/python3
"""The dynamic part of the HTTP test server, behind nginx (proxy_pass):

  GET  /chunked?n=N&seed=S  N bytes of payload(N, S) with no Content-Length
                            (nginx passes them on to the client chunked)
  GET  /slow?s=SECONDS      answers "late" after SECONDS
  GET  /garbage             raw bytes that are no HTTP response (only when
                            reached directly, not through nginx)
  POST /post                reads the body; answers one line of JSON with its
                            sha256, length, content type, user agent, and
                            every request header; also appended to --log

Prints "PORT <n>" once listening on 127.0.0.1.
"""
import argparse
import hashlib
import json
import os
import socketserver
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payload import payload  # noqa: E402
from _watch import watch_parent  # noqa: E402

LOG = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path == "/chunked":
            n = int(q.get("n", ["1000"])[0])
            body = payload(n, q.get("seed", ["chunked"])[0])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            for off in range(0, n, 4096):
                self.wfile.write(body[off:off + 4096])
                self.wfile.flush()
        elif u.path == "/slow":
            time.sleep(float(q.get("s", ["5"])[0]))
            self.send_response(200)
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"late")
        elif u.path == "/garbage":
            self.wfile.write(b"\x00\x01 this is not HTTP at all\r\n\r\n")
        else:
            self.send_error(404)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b""
        record = {
            "sha256": hashlib.sha256(body).hexdigest(),
            "len": len(body),
            "content_type": self.headers.get("Content-Type"),
            "user_agent": self.headers.get("User-Agent"),
            "headers": [[k, v] for k, v in self.headers.items()],
            "path": self.path,
        }
        line = json.dumps(record)
        if LOG:
            with open(LOG, "a") as f:
                f.write(line + "\n")
        out = line.encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global LOG
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log")
    args = p.parse_args()
    LOG = args.log
    watch_parent()
    srv = Server(("127.0.0.1", args.port), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
