"""Self-test of the HTTP(S) rig (tests/servers/nginx.py) with Python's own
http.client / ssl, openssl s_client and curl.

    /usr/bin/python3 -m pytest -q tests/servers/test_nginx.py
"""

import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nginx as rig  # noqa: E402
from nginx import FILES, expected, sha256_of, start_bad_server  # noqa: E402
from servers import PYTHON, HERE, payload, pki  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 client settings
# Under pytest-xdist (scripts/test) this module stays on one worker, in order:
# its tests share servers and count their log lines from a mark.
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.xdist_group("servers-nginx")]

MB = 1 << 20
GARBAGE = b"\x00\x01 this is not HTTP at all\r\n\r\n"
SCHEMES = ["http", "https"]
STARTED = []   # every rig this module started: its pid and directory, checked at the end


def start_nginx(**kw):
    w = rig.start_nginx(**kw)
    STARTED.append((w.pid, w.upstream.proc.pid, str(w.dir)))
    return w


def gone(pid):
    """True when pid no longer runs (a zombie nobody reaps counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


def pgrep(pattern):
    r = subprocess.run(["pgrep", "-f", pattern], stdout=subprocess.PIPE, text=True)
    return [int(p) for p in r.stdout.split() if int(p) != os.getpid()]


@pytest.fixture(scope="module", autouse=True)
def no_leftovers():
    yield
    for pid, upid, d in STARTED:
        deadline = time.monotonic() + 3
        while not (gone(pid) and gone(upid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(pid), "nginx %d still running: %s %s" % (pid, d, open("/proc/%d/stat" % pid).read())
        assert gone(upid), "upstream %d still running" % upid
        assert pgrep(re.escape(d)) == [], d


@pytest.fixture(scope="session")
def certs():
    return pki()


@pytest.fixture(scope="module")
def web(no_leftovers):
    with start_nginx(files={"2k.bin": 2048, "sub/hello.txt": "hello\n"}) as w:
        yield w


@pytest.fixture(scope="module")
def web12(no_leftovers):
    with start_nginx(tls12_only=True) as w:
        yield w


def verify_ctx(certs, hostname_check=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(certs / "root.crt"))
    ctx.check_hostname = hostname_check
    return ctx


def classic_ctx(certs, cipher="AES128-SHA"):
    """What a classic SIM800 offers: TLS 1.0 only, AES-CBC-SHA, RSA key exchange."""
    ctx = verify_ctx(certs)
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers(cipher + ":@SECLEVEL=0")
    return ctx


def connection(w, scheme, certs=None, ctx=None, timeout=10):
    if scheme == "http":
        return http.client.HTTPConnection(w.host, w.http_port, timeout=timeout)
    return http.client.HTTPSConnection(w.host, w.https_port, timeout=timeout,
                                       context=ctx or verify_ctx(certs))


def fetch(w, scheme, path, method="GET", certs=None, ctx=None, body=None, headers=None, timeout=10):
    c = connection(w, scheme, certs, ctx, timeout)
    try:
        c.connect()
        tls = (c.sock.version(), c.sock.cipher()[0]) if scheme == "https" else None
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, r, data, tls
    finally:
        c.close()


def raw_bytes(w, scheme, request, certs=None, ctx=None, port=None):
    """Send request bytes, read until the server closes; returns all bytes."""
    s = socket.create_connection((w.host, port or (w.https_port if scheme == "https" else w.http_port)), 10)
    if scheme == "https":
        s = (ctx or verify_ctx(certs)).wrap_socket(s, server_hostname="localhost")
    with s:
        s.sendall(request)
        got = bytearray()
        while True:
            d = s.recv(MB)
            if not d:
                break
            got += d
    return bytes(got)


def raw_exchange(w, scheme, request, certs=None, ctx=None, port=None):
    """Send request bytes, read until the server closes; returns (head, body)."""
    head, _, body = raw_bytes(w, scheme, request, certs, ctx, port).partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def dechunk(body):
    out, pos, sizes = bytearray(), 0, []
    while True:
        eol = body.index(b"\r\n", pos)
        n = int(body[pos:eol].split(b";")[0], 16)
        sizes.append(n)
        pos = eol + 2
        if n == 0:
            assert body[pos:] == b"\r\n", body[pos:pos + 100]
            return bytes(out), sizes
        out += body[pos:pos + n]
        assert body[pos + n:pos + n + 2] == b"\r\n"
        pos += n + 2


def header(head, name):
    m = re.search(r"(?im)^%s:\s*(.*?)\r?$" % re.escape(name), head)
    return m.group(1) if m else None


# --- static content ----------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", list(FILES))
def test_static_files(web, certs, scheme, name):
    status, r, data, _ = fetch(web, scheme, "/" + name, certs=certs)
    assert status == 200
    assert data == expected(name) == web.file(name)
    assert int(r.getheader("Content-Length")) == FILES[name] == len(data)
    assert hashlib.sha256(data).hexdigest() == sha256_of(name) == web.sha256(name)


def test_known_contents():
    assert expected("1k.txt").count(b"\n") == 16 and expected("1k.txt").isascii()
    assert expected("index.html").startswith(b"<!DOCTYPE html>") and expected("index.html").isascii()
    assert expected("300k.bin") == payload(307200, "300k.bin")
    assert len(expected("1500k.bin")) == 1536000 > 319488


@pytest.mark.parametrize("scheme", SCHEMES)
def test_index_extra_and_added_files(web, certs, scheme):
    assert fetch(web, scheme, "/", certs=certs)[2] == expected("index.html")
    assert fetch(web, scheme, "/2k.bin", certs=certs)[2] == payload(2048, "2k.bin")
    assert fetch(web, scheme, "/sub/hello.txt", certs=certs)[2] == b"hello\n"
    web.add_file("added-%s.bin" % scheme, 5000)
    assert fetch(web, scheme, "/added-%s.bin" % scheme, certs=certs)[2] == payload(5000, "added-%s.bin" % scheme)


def test_root_redirect(certs):
    with start_nginx(root_redirect=301) as w:
        status, r, _, _ = fetch(w, "http", "/")
        assert (status, r.getheader("Location")) == (301, "/index.html")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", ["/empty.bin", "/1k.txt", "/300k.bin", "/1500k.bin", "/", "/chunked?n=5000",
                                  "/close?n=5000", "/bytes?n=777", "/post", "/redirect/302", "/redirect?code=301",
                                  "/missing", "/status?code=500"])
def test_head(web, certs, scheme, path):
    gstatus, g, gdata, _ = fetch(web, scheme, path, certs=certs)
    hstatus, h, hdata, _ = fetch(web, scheme, path, "HEAD", certs=certs)
    assert hstatus == gstatus and hdata == b""
    assert h.getheader("Content-Type") == g.getheader("Content-Type")
    if g.getheader("Content-Length") and not path.startswith(("/post", "/missing", "/redirect?")):
        assert h.getheader("Content-Length") == g.getheader("Content-Length") == str(len(gdata))


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("rng,code,lo,hi", [
    ("bytes=100-199", 206, 100, 200),
    ("bytes=307100-", 206, 307100, 307200),
    ("bytes=-50", 206, 307150, 307200),
    ("bytes=0-0", 206, 0, 1),
    ("bytes=300000-999999", 206, 300000, 307200),
    ("bytes=400000-", 416, None, None),
])
def test_range(web, certs, scheme, rng, code, lo, hi):
    status, r, data, _ = fetch(web, scheme, "/300k.bin", certs=certs, headers={"Range": rng})
    assert status == code
    if code == 206:
        assert data == expected("300k.bin")[lo:hi]
        assert r.getheader("Content-Range") == "bytes %d-%d/307200" % (lo, hi - 1)
    else:
        assert r.getheader("Content-Range") == "bytes */307200"
    web.wait_access(r'"GET /300k.bin HTTP/1.1" %d .* "%s" ' % (code, re.escape(rng)))


def test_range_large_file(web):
    status, r, data, _ = fetch(web, "http", "/1500k.bin", headers={"Range": "bytes=319000-"})
    assert status == 206 and data == expected("1500k.bin")[319000:]


def test_throttle(web):
    t = time.monotonic()
    status, _, data, _ = fetch(web, "http", "/throttle/300k.bin?rate=1m")
    assert status == 200 and data == expected("300k.bin")
    assert time.monotonic() - t > 0.15


# --- TLS ----------------------------------------------------------------------------

@pytest.mark.parametrize("cipher", ["AES128-SHA", "AES256-SHA"])
def test_classic_tls10_client(web, certs, cipher):
    for path, name in (("/1k.txt", "1k.txt"), ("/300k.bin", "300k.bin")):
        status, _, data, tls = fetch(web, "https", path, ctx=classic_ctx(certs, cipher))
        assert status == 200 and data == expected(name)
        assert tls == ("TLSv1", cipher)
    web.wait_access(r'"GET /300k.bin HTTP/1.1" 200 307200 .* https %d "TLSv1" "%s"' % (web.https_port, cipher))


def test_classic_tls10_post_and_chunked(web, certs):
    body = payload(100000, "tls10-post")
    status, _, data, tls = fetch(web, "https", "/post", "POST", ctx=classic_ctx(certs), body=body)
    assert status == 200 and tls == ("TLSv1", "AES128-SHA")
    assert json.loads(data)["sha256"] == hashlib.sha256(body).hexdigest()
    rec = web.last_request("/post")
    assert (rec["tls_protocol"], rec["tls_cipher"], rec["scheme"]) == ("TLSv1", "AES128-SHA", "https")
    status, r, data, _ = fetch(web, "https", "/chunked?n=70000", ctx=classic_ctx(certs))
    assert r.getheader("Transfer-Encoding") == "chunked" and data == payload(70000, "chunked")


def test_openssl_s_client_tls1(web, certs):
    r = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % web.https_port, "-tls1",
         "-cipher", "AES128-SHA:@SECLEVEL=0", "-servername", "localhost",
         "-CAfile", str(certs / "root.crt"), "-verify_return_error", "-brief", "-ign_eof"],
        input=b"GET /1k.txt HTTP/1.0\r\n\r\n", stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert "Protocol version: TLSv1\n" in err and "Ciphersuite: AES128-SHA" in err and "Verification: OK" in err
    assert r.stdout.startswith(b"HTTP/1.1 200 OK\r\n") and r.stdout.endswith(expected("1k.txt"))


def test_modern_client_gets_tls13(web, certs):
    assert fetch(web, "https", "/1k.txt", certs=certs)[3][0] == "TLSv1.3"


def test_tls12_only_refuses_tls10(web12, certs):
    with pytest.raises(ssl.SSLError, match="(?i)protocol version|unsupported protocol"):
        fetch(web12, "https", "/1k.txt", ctx=classic_ctx(certs))
    r = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % web12.https_port, "-tls1",
         "-cipher", "AES128-SHA:@SECLEVEL=0", "-brief"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    assert r.returncode != 0 and b"alert protocol version" in r.stderr
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = verify_ctx(certs)
        ctx.minimum_version = ctx.maximum_version = v
        status, _, data, tls = fetch(web12, "https", "/1k.txt", ctx=ctx)
        assert status == 200 and data == expected("1k.txt") and tls[0] == v.name.replace("_", ".")
    assert fetch(web12, "http", "/1k.txt")[0] == 200


@pytest.mark.parametrize("cert_name,hostname,error", [
    ("www.gmail.com", "www.gmail.com", None),
    ("expired", "tls.example.test", "certificate has expired"),
    ("selfsigned", "tls.example.test", "self-signed certificate"),
    ("wrongname", "tls.example.test", "Hostname mismatch"),
])
def test_cert_names(certs, cert_name, hostname, error):
    with start_nginx(cert_name=cert_name) as w:
        s = socket.create_connection((w.host, w.https_port), 10)
        try:
            if error:
                with pytest.raises(ssl.SSLCertVerificationError, match=error):
                    verify_ctx(certs).wrap_socket(s, server_hostname=hostname)
                ctx = classic_ctx(certs)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE          # a non-verifying TLS 1.0 client gets in
                status, _, data, tls = fetch(w, "https", "/1k.txt", ctx=ctx)
                assert status == 200 and tls == ("TLSv1", "AES128-SHA")
            else:
                with classic_ctx(certs).wrap_socket(s, server_hostname=hostname) as t:
                    cn = dict(x[0] for x in t.getpeercert()["subject"])["commonName"]
                    assert cn == "www.gmail.com" and t.version() == "TLSv1"
        finally:
            s.close()


def test_client_certificate(certs):
    with start_nginx(client_ca=str(certs / "ca-chain.crt")) as w:
        status, _, data, _ = fetch(w, "https", "/post", certs=certs)
        assert status == 400 and b"No required SSL certificate was sent" in data
        ctx = classic_ctx(certs)
        ctx.load_cert_chain(str(certs / "client.crt"), str(certs / "client.key"))
        status, _, _, tls = fetch(w, "https", "/post", ctx=ctx)
        assert status == 200 and tls[0] == "TLSv1"
        assert "CN=sim800emu test client" in w.last_request("/post")["client_cert"]


# --- framing -------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES)
def test_chunked_is_really_chunked(web, certs, scheme):
    head, body = raw_exchange(web, scheme, b"GET /chunked?n=100000&seed=abc HTTP/1.1\r\nHost: x\r\n"
                                           b"Connection: close\r\n\r\n", certs)
    assert head.startswith("HTTP/1.1 200 ")
    assert header(head, "Transfer-Encoding") == "chunked" and header(head, "Content-Length") is None
    data, sizes = dechunk(body)
    assert data == payload(100000, "abc") and len(sizes) > 2
    status, r, data, _ = fetch(web, scheme, "/chunked?n=0", certs=certs)
    assert r.getheader("Transfer-Encoding") == "chunked" and data == b""


def test_chunked_with_curl_raw(web):
    r = subprocess.run(["curl", "-sS", "--raw", "-D", "-", web.url("/chunked?n=20000&chunk=3000")],
                       stdout=subprocess.PIPE, timeout=10, check=True)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    assert re.search(rb"(?im)^Transfer-Encoding: chunked\r$", head)
    assert dechunk(body)[0] == payload(20000, "chunked")


def test_chunked_to_http10_client_is_close_delimited(web):
    head, body = raw_exchange(web, "http", b"GET /chunked?n=30000 HTTP/1.0\r\n\r\n")
    assert header(head, "Transfer-Encoding") is None and header(head, "Content-Length") is None
    assert body == payload(30000, "chunked")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_close_delimited(web, certs, scheme):
    head, body = raw_exchange(web, scheme, b"GET /close?n=50000 HTTP/1.1\r\nHost: x\r\n"
                                           b"Connection: Keep-Alive\r\n\r\n", certs)
    assert head.startswith("HTTP/1.1 200 ")
    assert header(head, "Transfer-Encoding") is None and header(head, "Content-Length") is None
    assert header(head, "Connection") == "close"
    assert body == payload(50000, "close")


def test_direct_upstream_raw_framings(web):
    """The upstream port speaks exact bytes: chunk extensions and trailers, HTTP/1.0
    close-delimited, garbage."""
    head, body = raw_exchange(web, "http", b"GET /chunked?n=9000&chunk=1000&ext=1&trailer=1 HTTP/1.1\r\n"
                                           b"Host: x\r\nConnection: close\r\n\r\n", port=web.upstream_port)
    assert header(head, "Trailer") == "X-Checksum" and body.startswith(b"3e8;ext=v\r\n")
    data = body.replace(b";ext=v", b"").rsplit(b"0\r\nX-Checksum: ", 1)
    assert dechunk(data[0] + b"0\r\n\r\n")[0] == payload(9000, "chunked")
    assert data[1] == hashlib.sha256(payload(9000, "chunked")).hexdigest().encode() + b"\r\n\r\n"
    head, body = raw_exchange(web, "http", b"GET /close?n=100&v=1.0 HTTP/1.1\r\nHost: x\r\n\r\n",
                              port=web.upstream_port)
    assert head.startswith("HTTP/1.0 200 OK") and body == payload(100, "close")
    req = b"GET /garbage HTTP/1.1\r\nHost: x\r\n\r\n"
    assert raw_bytes(web, "http", req, port=web.upstream_port) == GARBAGE


@pytest.mark.parametrize("scheme", SCHEMES)
def test_garbage_through_nginx(web, certs, scheme):
    """nginx passes a reply without a status line on as HTTP/0.9: the client gets
    exactly the upstream's junk (over TLS too)."""
    req = b"GET /garbage HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive\r\n\r\n"
    assert raw_bytes(web, scheme, req, certs) == GARBAGE
    with pytest.raises(http.client.BadStatusLine):
        fetch(web, scheme, "/garbage", certs=certs)


# --- redirects, errors ----------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES)
def test_redirects(web, certs, scheme):
    port = web.https_port if scheme == "https" else web.http_port
    cases = [("/redirect/%d" % c, c, "/1k.txt") for c in (301, 302, 303, 307, 308)] + [
        ("/redirect/abs", 302, "%s://127.0.0.1:%d/1k.txt" % (scheme, port)),
        ("/redirect/to-https", 302, "https://127.0.0.1/1k.txt"),
        ("/redirect/to-http", 302, "http://127.0.0.1/1k.txt"),
        ("/redirect/loop", 302, "/redirect/loop"),
        ("/redirect?code=301&to=http%3A%2F%2Fweb.test%2Fa%3Fb%3D1", 301, "http://web.test/a?b=1"),
        ("/hops?n=2", 302, "/hops?n=1"),
        ("/hops?n=0", 302, "/1k.txt"),
    ]
    for path, code, location in cases:
        status, r, data, _ = fetch(web, scheme, path, certs=certs)
        assert (status, r.getheader("Location")) == (code, location), path
        assert int(r.getheader("Content-Length")) == len(data) > 0


@pytest.mark.parametrize("scheme", SCHEMES)
def test_404_and_status(web, certs, scheme):
    status, r, data, _ = fetch(web, scheme, "/missing", certs=certs)
    assert status == 404 and b"404 Not Found" in data and int(r.getheader("Content-Length")) == len(data)
    assert fetch(web, scheme, "/status?code=500", certs=certs)[::2] == (500, b"status 500\n")
    assert fetch(web, scheme, "/status?code=503&n=1000", certs=certs)[::2] == (503, payload(1000, "status"))
    status, r, data, _ = fetch(web, scheme, "/status?code=204", certs=certs)
    assert status == 204 and data == b""


# --- POST and the recorder ---------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("size", [0, 425, 64 * 1024, MB, 1536 * 1024])
def test_post_sha256_recorded(web, certs, scheme, size):
    body = payload(size, "post%d" % size)
    hdrs = {"User-Agent": "SIMCOM_MODULE", "Content-Type": "application/json", "Accept": "*/*",
            "Connection": "Keep-Alive", "X_Under_Score": "kept"}
    status, r, data, _ = fetch(web, scheme, "/post?x=1", "POST", certs=certs, body=body, headers=hdrs)
    sha = hashlib.sha256(body).hexdigest()
    assert status == 200 and r.getheader("Content-Type") == "application/json"
    answer = json.loads(data)
    assert (answer["sha256"], answer["len"], answer["method"]) == (sha, size, "POST")
    assert (answer["user_agent"], answer["content_type"]) == ("SIMCOM_MODULE", "application/json")
    rec = web.last_request("/post")
    assert rec["seq"] == answer["seq"] and rec["sha256"] == sha and rec["len"] == size
    assert rec.body() == body
    assert rec["request_line"] == "POST /post?x=1 HTTP/1.1" and rec["via"] == "nginx"
    assert rec["scheme"] == scheme and rec["query"] == "x=1"
    assert rec.header("host") == "127.0.0.1:%d" % (web.https_port if scheme == "https" else web.http_port)
    assert rec.header("Connection") == "Keep-Alive" and rec.header("Content-Length") == str(size)
    assert rec.header("X_Under_Score") == "kept" and rec.header("Accept") == "*/*"
    assert not any(k.lower().startswith("x-client-") or k.lower() == "x-nginx" for k, _ in rec["headers"])


def test_post_any_path_and_method(web):
    for method, path in (("PUT", "/post/api/contenedores"), ("GET", "/post"), ("DELETE", "/post/x")):
        status, _, data, _ = fetch(web, "http", path, method, body=b"abc" if method == "PUT" else None)
        assert status == 200 and json.loads(data)["method"] == method
        rec = web.last_request(path)
        assert rec["method"] == method and rec["request_line"] == "%s %s HTTP/1.1" % (method, path)


def test_post_direct_upstream_exact_head(web):
    req = (b"POST /post HTTP/1.1\r\nContent-Length: 5\r\nHost: 162.248.55.24\r\n"
           b"User-Agent: SIMCOM_MODULE\r\nConnection: close\r\n\r\nhello")
    head, body = raw_exchange(web, "http", req, port=web.upstream_port)
    assert head.startswith("HTTP/1.1 200 OK")
    rec = web.last_request("/post")
    assert rec["via"] == "direct" and rec["raw_head"].encode("latin-1") == req[:-5]
    assert rec["headers"][0] == ["Content-Length", "5"] and rec["sha256"] == hashlib.sha256(b"hello").hexdigest()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_echo(web, certs, scheme):
    body = payload(300000, "echo")
    status, r, data, _ = fetch(web, scheme, "/echo", "POST", certs=certs, body=body,
                               headers={"Content-Type": "application/x-test"})
    assert status == 200 and data == body and r.getheader("Content-Type") == "application/x-test"


def test_requests_wait_and_keepalive(web):
    n = len(web.requests())
    c = connection(web, "http")
    try:
        for i in range(3):
            c.request("GET", "/bytes?n=%d&seed=k" % (10 + i))
            assert c.getresponse().read() == payload(10 + i, "k")
    finally:
        c.close()
    assert [r["target"] for r in web.wait_requests(n + 3)[n:]] == ["/bytes?n=%d&seed=k" % (10 + i) for i in range(3)]
    web.wait_access(r'"GET /bytes\?n=12&seed=k HTTP/1.1" 200 12 .* \d+ 3$')   # 3rd request, same connection


# --- slow and large ---------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES)
def test_slow(web, certs, scheme):
    t = time.monotonic()
    assert fetch(web, scheme, "/slow?s=0.5", certs=certs)[::2] == (200, b"late")
    assert time.monotonic() - t >= 0.5
    with pytest.raises((socket.timeout, TimeoutError)):
        fetch(web, scheme, "/slow?s=3", certs=certs, timeout=0.3)


def test_stall(web):
    c = connection(web, "http")
    try:
        c.request("GET", "/stall?s=0.5&n=2000")
        t = time.monotonic()
        r = c.getresponse()
        assert r.getheader("Content-Length") == "2000"
        first = r.read(1000)
        rest = r.read()
        assert first + rest == payload(2000, "stall")
        # The stall is between the halves: the whole read takes its 0.5 s.
        assert time.monotonic() - t >= 0.45
    finally:
        c.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_large_bodies(web, certs, scheme):
    n = 1536 * 1024
    status, r, data, _ = fetch(web, scheme, "/bytes?n=%d&seed=big" % n, certs=certs)
    assert status == 200 and r.getheader("Content-Length") == str(n) and data == payload(n, "big")
    status, r, data, _ = fetch(web, scheme, "/chunked?n=%d&seed=big" % n, certs=certs)
    assert r.getheader("Transfer-Encoding") == "chunked" and data == payload(n, "big")


# --- bad servers (tls_echo.py) -------------------------------------------------------------------

def test_bad_plain_servers():
    with start_bad_server("garbage") as srv:
        c = http.client.HTTPConnection(*srv.addr, timeout=5)
        c.request("GET", "/")
        with pytest.raises(http.client.BadStatusLine):
            c.getresponse()
        c.close()
    with start_bad_server("status-only") as srv:
        c = http.client.HTTPConnection(*srv.addr, timeout=5)
        c.request("GET", "/")
        with pytest.raises(http.client.IncompleteRead):
            c.getresponse().read()
        c.close()
    with start_bad_server("hang") as srv:
        c = http.client.HTTPConnection(*srv.addr, timeout=0.3)
        c.request("GET", "/")
        with pytest.raises((socket.timeout, TimeoutError)):
            c.getresponse()
        c.close()
    with start_bad_server("reset-after-request") as srv:
        c = http.client.HTTPConnection(*srv.addr, timeout=5)
        c.request("GET", "/")
        with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
            c.getresponse()
        c.close()


@pytest.mark.parametrize("kind", ["close-in-handshake", "reset-in-handshake", "tls12-only"])
def test_bad_tls_handshakes(certs, kind):
    with start_bad_server(kind) as srv:
        # The reset may come before connect() has returned (a loaded
        # machine): that too is a reset in the handshake.
        with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)) as e:
            s = socket.create_connection(srv.addr, 5)
            try:
                classic_ctx(certs).wrap_socket(s, server_hostname="localhost")
            finally:
                s.close()
        if kind == "tls12-only":
            assert "protocol version" in str(e.value) or "unsupported protocol" in str(e.value)
        elif kind == "close-in-handshake":
            assert isinstance(e.value, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError)), e.value
        else:
            assert isinstance(e.value, ConnectionResetError), e.value


def test_bad_tls_after_handshake(certs):
    with start_bad_server("tls-garbage") as srv:
        c = http.client.HTTPSConnection(*srv.addr, timeout=5, context=classic_ctx(certs))
        c.request("GET", "/")
        with pytest.raises(http.client.BadStatusLine):
            c.getresponse()
        assert c.sock is None or c.sock.version() == "TLSv1"
        c.close()
    with start_bad_server("tls-alert") as srv:
        c = http.client.HTTPSConnection(*srv.addr, timeout=5, context=classic_ctx(certs))
        c.request("GET", "/")
        with pytest.raises(ssl.SSLError, match="bad record mac"):
            c.getresponse()
        c.close()


# --- lifecycle ------------------------------------------------------------------------------------

def test_teardown_when_the_test_fails():
    with pytest.raises(ZeroDivisionError):
        with start_nginx() as w:
            pid, upid, d = w.pid, w.upstream.proc.pid, w.dir
            assert not gone(pid) and pgrep(re.escape(str(d)))
            1 / 0
    assert gone(pid) and gone(upid) and not d.exists() and pgrep(re.escape(str(d))) == []


def test_port_collision_is_retried(monkeypatch):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    real, calls = rig._free_ports, []

    def fake(n):
        calls.append(n)
        return [busy.getsockname()[1]] + real(n - 1) if len(calls) == 1 else real(n)

    monkeypatch.setattr(rig, "_free_ports", fake)
    try:
        with start_nginx() as w:
            assert len(calls) == 2 and w.http_port != busy.getsockname()[1]
            assert fetch(w, "http", "/1k.txt")[2] == expected("1k.txt")
    finally:
        busy.close()


REAPER = r"""
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER: orphans come to us
b = subprocess.Popen([sys.argv[1], "-c", sys.argv[2]], stdout=subprocess.PIPE, text=True)
pids = b.stdout.readline().split()
os.kill(b.pid, 9)
b.wait()
left, t = {int(p) for p in pids[:2]}, time.monotonic()
while left and time.monotonic() - t < 5:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid:
        left.discard(pid)
    else:
        time.sleep(0.02)
print(" ".join(pids), "left:", *sorted(left), flush=True)
"""


def test_dies_with_its_parent():
    """SIGKILL the process that started the rig: nginx (PR_SET_PDEATHSIG) and the
    upstream (watch_parent) exit too.  A subreaper in between reaps them, so no
    zombie is left under a pid 1 that does not reap."""
    script = ("import sys, time; sys.path.insert(0, %r)\n"
              "from nginx import start_nginx\n"
              "w = start_nginx()\n"
              "print(w.pid, w.upstream.proc.pid, w.dir, flush=True)\n"
              "time.sleep(60)\n" % str(HERE))
    r = subprocess.run([PYTHON, "-c", REAPER, PYTHON, script], stdout=subprocess.PIPE, text=True, timeout=20)
    pid, upid, d, *left = r.stdout.split()
    assert left == ["left:"], r.stdout
    assert gone(int(pid)) and gone(int(upid))
    shutil.rmtree(d, ignore_errors=True)
