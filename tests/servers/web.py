"""nginx on loopback for the HTTP(S) tests, with the test PKI.

    with start_web() as web:            # web.http_port, web.https_port, web.root
        ...

One nginx (foreground, no master, every path under a temporary directory,
never /etc/nginx or /var) serves:
  /empty.bin, /1k.txt, /300k.bin, /1500k.bin, / (84200 bytes, as in the
  seed's example 3.5); each binary is payload(size, "web" + name)
  /redirect        302 to /1k.txt        /redirect-abs  301 to http://<host>/1k.txt
  /chunked?n=N     N payload bytes, Transfer-Encoding: chunked (via http_backend.py)
  /post            records the body's SHA-256 (JSON answer; web.posts())
  /slow?s=S        answers after S seconds
  anything else    404
The HTTPS port accepts TLS 1.0 with the classic SIM800 ciphers (OpenSSL 3 at
@SECLEVEL=0) unless tls12_only=True.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from servers import HERE, PYTHON, Server, payload, pki

SIZES = {"empty.bin": 0, "300k.bin": 300 * 1024, "1500k.bin": 1500 * 1024,
         "index.html": 84200}   # the seed's 3.5 body length

CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{http_port};
        listen 127.0.0.1:{https_port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols {protocols};
        ssl_ciphers "{ciphers}";
        root {root};
        client_max_body_size 2m;
        absolute_redirect off;   # "Location: /1k.txt": the mapped port stays hidden
        location = /redirect {{ return 302 /1k.txt; }}
        location = /redirect-abs {{ return 301 http://$host/1k.txt; }}
        location ~ ^/(chunked|post|slow)$ {{
            proxy_pass http://127.0.0.1:{backend};
            proxy_http_version 1.0;
            proxy_buffering off;
        }}
    }}
}}
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Web:
    def __init__(self, cert_name="localhost", tls12_only=False):
        self.dir = Path(tempfile.mkdtemp(prefix="sim800emu-web-"))
        self.root = self.dir / "root"
        self.root.mkdir()
        (self.root / "1k.txt").write_bytes((b"0123456789abcdef" * 64))
        for name, n in SIZES.items():
            (self.root / name).write_bytes(payload(n, "web" + name))
        self.post_log = self.dir / "posts.jsonl"
        self.backend = Server([PYTHON, str(HERE / "http_backend.py"), "--log", str(self.post_log)],
                              "http_backend")
        d = pki()
        self.proc = None
        for attempt in range(5):
            self.http_port, self.https_port = _free_port(), _free_port()
            conf = CONF.format(
                d=self.dir, http_port=self.http_port, https_port=self.https_port,
                cert=d / (cert_name + ".crt"), key=d / (cert_name + ".key"),
                protocols="TLSv1.2 TLSv1.3" if tls12_only else "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3",
                ciphers=("HIGH:!aNULL" if tls12_only
                         else "AES128-SHA:AES256-SHA:DES-CBC3-SHA:HIGH:!aNULL:@SECLEVEL=0"),
                root=self.root, backend=self.backend.port)
            (self.dir / "nginx.conf").write_text(conf)
            self.proc = subprocess.Popen(
                ["nginx", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                 "-e", str(self.dir / "error.log")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if self._wait_ready():
                return
            self.proc.kill()
            self.proc.wait()
        err = (self.dir / "error.log").read_text(errors="replace") if (self.dir / "error.log").exists() else ""
        self.stop()
        raise RuntimeError("nginx did not start:\n" + err)

    def _wait_ready(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.https_port), 0.2).close()
                socket.create_connection(("127.0.0.1", self.http_port), 0.2).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def file(self, name):
        return (self.root / name).read_bytes()

    def posts(self):
        if not self.post_log.exists():
            return []
        return [json.loads(line) for line in self.post_log.read_text().splitlines()]

    def access_log(self):
        p = self.dir / "access.log"
        return p.read_text() if p.exists() else ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.backend.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def start_web(**kw):
    return Web(**kw)
