"""AT+SAPBR and AT+HTTP* against nginx on loopback (SIM800 AT Command Manual V1.09 ch. 11, SIM800 SSL Application Note V1.00 example 3.5): real
requests, binary bodies checked with SHA-256 on both sides, and each module
code 600-606 produced by a real cause."""
import hashlib
import json
import re
import sys
import time
from pathlib import Path

import pytest

from net import at_ok, legacy_tls_echo, sandbox_args, start_tls_echo

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "servers"))
from nginx import start_nginx as start_web  # noqa: E402

ERROR = b"\r\nERROR\r\n"
ACTION = re.compile(rb"\r\n\+HTTPACTION: (\d),(\d+),(\d+)\r\n")


@pytest.fixture(scope="module")
def web():
    with start_web(cert_name="www.gmail.com") as w:
        yield w


def bearer_up(m):
    """The bearer the SSL note's example assumes (manual §9.2.1, SIM800 IP Application Note V1.02 §3.1)."""
    for c in (b'AT+SAPBR=3,1,"Contype","GPRS"', b'AT+SAPBR=3,1,"APN","CMNET"'):
        m.exchange(c + b"\r", at_ok(c + b"\r"))
    m.write(b"AT+SAPBR=1,1\r")
    m.expect_exact(at_ok(b"AT+SAPBR=1,1\r"), timeout=5)


def http_modem(emulator, web, *extra, maps=None):
    maps = maps if maps is not None else [("www.gmail.com:443", web.https_port),
                                           ("www.gmail.com:80", web.http_port),
                                           ("web.test:80", web.http_port),
                                           ("web.test:443", web.https_port)]
    _, m = emulator.modem(*sandbox_args(maps), *extra)
    bearer_up(m)
    return m


def action(m, method, timeout=30):
    """AT+HTTPACTION: OK first, then the URC; returns (status, length)."""
    cmd = b"AT+HTTPACTION=%d\r" % method
    assert not m.buf
    m.write(cmd)
    ok = m.expect(b"\r\nOK\r\n", timeout=5)
    assert ok in (cmd + b"\r\nOK\r\n", b"\r\nOK\r\n"), ok   # echo on or off
    got = m.expect(b"\r\n", timeout=timeout) + m.expect(b"\r\n", timeout=timeout)
    mt = ACTION.fullmatch(got)
    assert mt, got
    assert int(mt.group(1)) == method
    return int(mt.group(2)), int(mt.group(3))


def httpread(m, cmd=b"AT+HTTPREAD\r", echo=True):
    m.write(cmd)
    head = re.compile(rb"(?:%s)?\r\n\+HTTPREAD: (\d+)\r\n" % re.escape(cmd) if echo else
                      rb"\r\n\+HTTPREAD: (\d+)\r\n")
    deadline = time.monotonic() + 20
    while not head.match(m.buf):
        assert time.monotonic() < deadline, bytes(m.buf[:100])
        m._read_some(deadline)
    mt = head.match(m.buf)
    n = int(mt.group(1))
    end = mt.end() + n + 6
    while len(m.buf) < end:
        assert time.monotonic() < deadline
        m._read_some(deadline)
    data = bytes(m.buf[mt.end():mt.end() + n])
    assert m.buf[mt.end() + n:end] == b"\r\nOK\r\n"
    del m.buf[:end]
    return data


def init_http(m, url, ssl=None, extra=()):
    for c in (b"AT+HTTPINIT", b'AT+HTTPPARA="CID",1', b'AT+HTTPPARA="URL","%s"' % url, *extra):
        m.exchange(c + b"\r", at_ok(c + b"\r"))
    if ssl is not None:
        c = b"AT+HTTPSSL=%d" % ssl
        m.exchange(c + b"\r", at_ok(c + b"\r"))


def test_seed_3_5_https_get(emulator, web):
    m = http_modem(emulator, web)
    body = web.file("index.html")
    for c in (b"AT+HTTPINIT", b'AT+HTTPPARA="CID",1', b'AT+HTTPPARA="URL","www.gmail.com"',
              b'AT+HTTPPARA="REDIR",1', b"AT+HTTPSSL=1"):
        m.exchange(c + b"\r", at_ok(c + b"\r"))
    m.write(b"AT+HTTPACTION=0\r")
    assert m.expect(b"\r\nOK\r\n") == b"AT+HTTPACTION=0\r\r\nOK\r\n"
    m.expect_exact(b"\r\n+HTTPACTION: 0,200,84200\r\n", timeout=20)
    m.write(b"AT+HTTPREAD\r")
    m.expect_exact(b"AT+HTTPREAD\r\r\n+HTTPREAD: 84200\r\n" + body + b"\r\nOK\r\n", timeout=20)
    m.exchange(b"AT+HTTPTERM\r", b"AT+HTTPTERM\r\r\nOK\r\n")
    # The request nginx saw: the module's headers, SNI and Host by name.
    assert '"GET / HTTP/1.1" 200 84200' in web.access_log()
    assert '"SIMCOM_MODULE"' in web.access_log()


def test_bearer_commands(emulator):
    _, m = emulator.modem()
    m.exchange(b"AT+SAPBR=?\r", b'AT+SAPBR=?\r\r\n+SAPBR: (0-4),(1-3),"ConParamTag","ConParamValue"'
               b"\r\n\r\nOK\r\n")
    m.exchange(b"AT+SAPBR=2,1\r", b'AT+SAPBR=2,1\r\r\n+SAPBR: 1,3,"0.0.0.0"\r\n\r\nOK\r\n')
    m.exchange(b"AT+SAPBR=0,1\r", b"AT+SAPBR=0,1\r" + ERROR)            # not open
    m.exchange(b'AT+SAPBR=3,1,"APN","internet"\r', at_ok(b'AT+SAPBR=3,1,"APN","internet"\r'))
    m.exchange(b'AT+SAPBR=3,1,"BOGUS","x"\r', b'AT+SAPBR=3,1,"BOGUS","x"\r' + ERROR)
    m.exchange(b'AT+SAPBR=3,1,"APN","%s"\r' % (b"a" * 65), b'AT+SAPBR=3,1,"APN","%s"\r' % (b"a" * 65) + ERROR)
    m.exchange(b"AT+SAPBR=4,1\r", b"AT+SAPBR=4,1\r\r\n+SAPBR:\r\nCONTYPE: GPRS\r\nAPN: internet\r\n"
               b"PHONENUM: \r\nUSER: \r\nPWD: \r\nRATE: 2\r\n\r\nOK\r\n")
    m.write(b"AT+SAPBR=1,1\r")
    m.expect_exact(b"AT+SAPBR=1,1\r\r\nOK\r\n", timeout=5)
    m.exchange(b"AT+SAPBR=1,1\r", b"AT+SAPBR=1,1\r" + ERROR)            # already open
    m.exchange(b"AT+SAPBR=2,1\r", b'AT+SAPBR=2,1\r\r\n+SAPBR: 1,1,"10.78.245.128"\r\n\r\nOK\r\n')
    m.exchange(b"AT+SAPBR=2,4\r", b"AT+SAPBR=2,4\r" + ERROR)
    m.exchange(b"AT+SAPBR=0,1\r", at_ok(b"AT+SAPBR=0,1\r"))
    m.exchange(b"AT+SAPBR=2,1\r", b'AT+SAPBR=2,1\r\r\n+SAPBR: 1,3,"0.0.0.0"\r\n\r\nOK\r\n')


def test_state_rules_and_forms(emulator, web):
    m = http_modem(emulator, web)
    m.exchange(b"AT+HTTPTERM\r", b"AT+HTTPTERM\r" + ERROR)              # before init
    m.exchange(b'AT+HTTPPARA="URL","x"\r', b'AT+HTTPPARA="URL","x"\r' + ERROR)
    m.exchange(b"AT+HTTPREAD\r", b"AT+HTTPREAD\r" + ERROR)
    m.exchange(b"AT+CMEE=2\r", at_ok(b"AT+CMEE=2\r"))
    m.exchange(b"AT+HTTPINIT\r", at_ok(b"AT+HTTPINIT\r"))
    m.exchange(b"AT+HTTPINIT\r", b"AT+HTTPINIT\r\r\n+CME ERROR: operation not allowed\r\n")
    m.exchange(b"AT+CMEE=0\r", at_ok(b"AT+CMEE=0\r"))
    for c, r in [(b"AT+HTTPACTION=?", b"+HTTPACTION: (0-2)"), (b"AT+HTTPSSL=?", b"+HTTPSSL: (0-1)"),
                 (b"AT+HTTPSSL?", b"+HTTPSSL: 0"),
                 (b"AT+HTTPPARA=?", b'+HTTPPARA: "HTTPParamTag","HTTPParmValue"'),
                 (b"AT+HTTPDATA=?", b"+HTTPDATA: (1-319488),(1000-120000)"),
                 (b"AT+HTTPREAD=?", b"+HTTPREAD: (0-319488),(1-319488)"),
                 (b"AT+HTTPSTATUS?", b"+HTTPSTATUS: GET,0,0,0")]:
        m.exchange(c + b"\r", c + b"\r\r\n" + r + b"\r\n\r\nOK\r\n")
    m.exchange(b"AT+HTTPREAD\r", at_ok(b"AT+HTTPREAD\r"))               # nothing stored: bare OK
    m.exchange(b"AT+HTTPACTION=0\r", b"AT+HTTPACTION=0\r" + ERROR)      # no URL
    m.exchange(b"AT+HTTPACTION=3\r", b"AT+HTTPACTION=3\r" + ERROR)
    m.exchange(b'AT+HTTPPARA="TIMEOUT",29\r', b'AT+HTTPPARA="TIMEOUT",29\r' + ERROR)
    m.exchange(b'AT+HTTPPARA="NOPE","1"\r', b'AT+HTTPPARA="NOPE","1"\r' + ERROR)
    m.exchange(b'AT+HTTPPARA="CID","1"\r', at_ok(b'AT+HTTPPARA="CID","1"\r'))   # quoted number
    m.exchange(b"AT+HTTPPARA=URL,http://web.test/1k.txt?a=1,b=2\r",
               at_ok(b"AT+HTTPPARA=URL,http://web.test/1k.txt?a=1,b=2\r"))     # unquoted
    m.exchange(b"AT+HTTPTERM\r", at_ok(b"AT+HTTPTERM\r"))
    _, old = emulator.modem("-p", "sim800-r13.08")
    old.exchange(b"AT+HTTPSSL=?\r", b"AT+HTTPSSL=?\r" + ERROR)


def test_driver_sequence_with_lf_and_chains(emulator, web):
    """A MicroPython-style driver: "\\n" line ends, chained HTTPPARA, GET,
    POST of 64 KB binary (SHA-256 checked by the server), HEAD."""
    m = http_modem(emulator, web)
    m.exchange(b"ATE0\n", b"ATE0\n\r\nOK\r\n")
    m.exchange(b"AT+HTTPTERM\n", ERROR)
    m.exchange(b"AT+HTTPINIT\n", b"\r\nOK\r\n")
    m.exchange(b'AT+HTTPPARA="CID",1;+HTTPPARA="URL","http://web.test/1k.txt";+HTTPPARA="UA","FONA"\n',
               b"\r\nOK\r\n")
    assert action(m, 0) == (200, 1024)
    assert httpread(m, b"AT+HTTPREAD\n", echo=False) == web.file("1k.txt")
    body = bytes(range(256)) * 256                       # 64 KB with 0x00, 0x1A, 0x1B
    m.exchange(b'AT+HTTPPARA="URL","http://web.test/post";+HTTPPARA="CONTENT","application/x-bin"\n',
               b"\r\nOK\r\n")
    m.exchange(b'AT+HTTPPARA="USERDATA","X-One: 1\\r\\nX-Two: 2"\n', b"\r\nOK\r\n")
    m.exchange(b"AT+HTTPDATA=%d,10000\n" % len(body), b"\r\nDOWNLOAD\r\n")
    m.write(body + b"\r\n")                               # the driver's extra CRLF is ignored
    m.expect_exact(b"\r\nOK\r\n", timeout=10)
    status, n = action(m, 1)
    assert status == 200
    reply = json.loads(httpread(m, b"AT+HTTPREAD\n", echo=False))
    assert reply["sha256"] == hashlib.sha256(body).hexdigest() and reply["len"] == len(body)
    assert reply["content_type"] == "application/x-bin" and reply["user_agent"] == "FONA"
    seen = web.last_request("/post")
    assert seen.header("X-One") == "1" and seen.header("X-Two") == "2", seen["headers"]
    m.exchange(b'AT+HTTPPARA="URL","http://web.test/300k.bin"\n', b"\r\nOK\r\n")
    assert action(m, 2) == (200, 0)
    m.write(b"AT+HTTPHEAD\n")
    got = m.expect(b"\r\nOK\r\n", timeout=5)
    mt = re.match(rb"\r\n\+HTTPHEAD: (\d+)\r\n(HTTP/1\.1 200 OK\r\n.*\r\n\r\n)\r\nOK\r\n\Z", got, re.S)
    assert mt and int(mt.group(1)) == len(mt.group(2)), got
    assert b"Content-Length: 307200\r\n" in mt.group(2)
    m.exchange(b"AT+HTTPTERM\n", b"\r\nOK\r\n")


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_300k_binary_read_whole_and_in_ranges(emulator, web, tls):
    m = http_modem(emulator, web)
    m.exchange(b"ATE0\r", at_ok(b"ATE0\r"))
    url = b"https://www.gmail.com/300k.bin" if tls else b"http://web.test/300k.bin"
    for c in (b"AT+HTTPINIT", b'AT+HTTPPARA="URL","%s"' % url, b"AT+HTTPSSL=%d" % tls):
        m.exchange(c + b"\r", b"\r\nOK\r\n")
    want = web.file("300k.bin")
    assert action(m, 0) == (200, len(want))
    assert hashlib.sha256(httpread(m, echo=False)).digest() == hashlib.sha256(want).digest()
    parts = []
    for start in range(0, len(want), 1000):
        parts.append(httpread(m, b"AT+HTTPREAD=%d,1000\r" % start, echo=False))
    assert b"".join(parts) == want
    m.exchange(b"AT+HTTPREAD=%d,10\r" % len(want), b"\r\nOK\r\n")        # past the end
    m.exchange(b"AT+HTTPREAD=0,0\r", ERROR)


def test_chunked_redirect_404_and_break(emulator, web):
    m = http_modem(emulator, web)
    m.exchange(b"ATE0\r", at_ok(b"ATE0\r"))
    m.exchange(b"AT+HTTPINIT\r", b"\r\nOK\r\n")
    m.exchange(b'AT+HTTPPARA="URL","http://web.test/chunked?n=100000&seed=c"\r', b"\r\nOK\r\n")
    from net import payload
    assert action(m, 0) == (200, 100000)
    assert httpread(m, echo=False) == payload(100000, "c")
    m.exchange(b'AT+HTTPPARA="URL","http://web.test/redirect/302"\r', b"\r\nOK\r\n")
    status, n = action(m, 0)
    assert status == 302                                               # REDIR=0: as is
    m.exchange(b'AT+HTTPPARA="REDIR",1\r', b"\r\nOK\r\n")
    assert action(m, 0) == (200, 1024)
    m.exchange(b'AT+HTTPPARA="URL","http://web.test/nope"\r', b"\r\nOK\r\n")
    assert action(m, 0)[0] == 404
    m.exchange(b'AT+HTTPPARA="URL","http://web.test/300k.bin";+HTTPPARA="BREAK",2000\r', b"\r\nOK\r\n")
    status, n = action(m, 0)
    assert (status, n) == (206, 300 * 1024 - 2000)
    assert httpread(m, b"AT+HTTPREAD=0,100\r", echo=False) == web.file("300k.bin")[2000:2100]
    m.exchange(b'AT+HTTPPARA="BREAKEND",2999\r', b"\r\nOK\r\n")
    assert action(m, 0) == (206, 1000)


def test_601_bearer_not_open(emulator, web):
    _, m = emulator.modem(*sandbox_args([("web.test:80", web.http_port)]))
    init_http(m, b"http://web.test/1k.txt")
    assert action(m, 0) == (601, 0)
    m.exchange(b"AT+HTTPREAD\r", at_ok(b"AT+HTTPREAD\r"))


def test_601_connection_refused_and_603_dns(emulator, web):
    with start_tls_echo() as srv:
        dead = srv.port
    m = http_modem(emulator, web, maps=[("dead.test:80", dead)])
    init_http(m, b"http://dead.test/")
    assert action(m, 0) == (601, 0)
    m.exchange(b'AT+HTTPPARA="URL","http://unmapped.example.com/"\r',
               at_ok(b'AT+HTTPPARA="URL","http://unmapped.example.com/"\r'))
    assert action(m, 0) == (603, 0)
    # HTTPSSL=0 with an https:// URL: 603 at once (as real modules' logs show).
    m.exchange(b'AT+HTTPPARA="URL","https://dead.test/"\r', at_ok(b'AT+HTTPPARA="URL","https://dead.test/"\r'))
    assert action(m, 0) == (603, 0)


def test_605_server_closes_during_handshake(emulator, web):
    with start_tls_echo(mode="close-in-handshake") as srv:
        m = http_modem(emulator, web, maps=[("tls.example.test:443", srv)])
        init_http(m, b"tls.example.test", ssl=1)
        assert action(m, 0) == (605, 0)


def test_606_tls12_only_server_against_classic_profile(emulator):
    with start_web(cert_name="www.gmail.com", tls12_only=True) as w12:
        m = http_modem(emulator, w12)
        init_http(m, b"www.gmail.com", ssl=1)
        assert action(m, 0) == (606, 0)
        _, c = emulator.modem(*sandbox_args([("www.gmail.com:443", w12.https_port)]),
                              "-p", "sim800c-tls12")
        bearer_up(c)
        init_http(c, b"www.gmail.com", ssl=1)
        assert action(c, 0) == (200, 84200)


def test_606_untrusted_then_200_after_sslopt(emulator):
    with start_web(cert_name="selfsigned") as ws:
        m = http_modem(emulator, ws)
        init_http(m, b"https://www.gmail.com/1k.txt", ssl=1)
        assert action(m, 0) == (606, 0)
        m.exchange(b"AT+SSLOPT=0,1\r", at_ok(b"AT+SSLOPT=0,1\r"))
        assert action(m, 0) == (200, 1024)


def test_https_without_trust_anchor_succeeds_unless_strict(emulator):
    # A fresh module (nothing imported, no built-in store, no AT+SSLOPT) gets
    # the page from a server it cannot verify, as real modules do; the
    # operator's --tls-verify always makes that a 606.
    with start_web(cert_name="selfsigned") as ws:
        maps = [("www.gmail.com:443", ws.https_port)]
        for strict, want in ((False, (200, 1024)), (True, (606, 0))):
            _, m = emulator.modem(*sandbox_args(maps, ca=None),
                                  *(("--tls-verify", "always") if strict else ()))
            bearer_up(m)
            init_http(m, b"https://www.gmail.com/1k.txt", ssl=1)
            assert action(m, 0) == want


def test_602_body_over_the_store(emulator, web):
    m = http_modem(emulator, web)
    init_http(m, b"http://web.test/1500k.bin")
    assert action(m, 0) == (602, 0)


def test_600_not_http(emulator, web):
    with start_tls_echo(mode="reply-close:SSH-2.0-OpenSSH_9.2\\r\\n") as srv:
        m = http_modem(emulator, web, maps=[("ssh.test:80", srv)])
        init_http(m, b"http://ssh.test/")
        assert action(m, 0) == (600, 0)


def test_bearer_closed_during_action(emulator, web):
    m = http_modem(emulator, web)
    init_http(m, b"http://web.test/slow?s=3")
    m.write(b"AT+HTTPACTION=0\r")
    m.expect_exact(b"AT+HTTPACTION=0\r\r\nOK\r\n")
    m.exchange(b"AT+HTTPSTATUS?\r", b"AT+HTTPSTATUS?\r\r\n+HTTPSTATUS: GET,1,0,0\r\n\r\nOK\r\n")
    m.exchange(b"AT+HTTPACTION=0\r", b"AT+HTTPACTION=0\r" + ERROR)     # one at a time
    m.write(b"AT+SAPBR=0,1\r")
    m.expect_exact(b"AT+SAPBR=0,1\r\r\nOK\r\n\r\n+HTTPACTION: 0,601,0\r\n", timeout=5)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_close_delimited_body(emulator, web, tls):
    """HTTP/1.0 style: no Content-Length, the body ends when the server closes."""
    reply = "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nuntil the end"
    cm = (legacy_tls_echo("reply-close:" + reply, cert_name="tls.example.test") if tls
          else start_tls_echo(mode="reply-close:" + reply))
    with cm as srv:
        m = http_modem(emulator, web, maps=[("tls.example.test:443", srv), ("tls.example.test:80", srv)])
        init_http(m, b"tls.example.test/x", ssl=int(tls))
        assert action(m, 0) == (200, 13)
        assert httpread(m) == b"until the end"


def test_600_endless_headers(emulator, web):
    """A hostile server that never ends its header block: the parser's limit
    makes it 600, and the modem goes on."""
    flood = "HTTP/1.1 200 OK\\r\\n" + "X-Flood: " + "a" * 100 + "\\r\\n"
    with start_tls_echo(mode="reply-close:" + flood * 900) as srv:
        m = http_modem(emulator, web, maps=[("flood.test:80", srv)])
        init_http(m, b"http://flood.test/")
        assert action(m, 0) == (600, 0)
        m.exchange(b"AT\r", at_ok(b"AT\r"))


def test_client_hangs_up_in_the_middle_of_httpread(emulator, web):
    e, m = emulator.modem(*sandbox_args([("web.test:80", web.http_port)]))
    bearer_up(m)
    init_http(m, b"http://web.test/300k.bin")
    assert action(m, 0) == (200, 300 * 1024)
    m.write(b"AT+HTTPREAD\r")
    m.expect(b"+HTTPREAD: 307200\r\n", timeout=5)
    m.close()                                  # gone with most of the body unread
    # The emulator drops what the departed client left unread once it sees
    # the hang-up; a client reopening within microseconds could still get the
    # tail of the old answer, as from a real UART.
    time.sleep(0.3)
    p = e.open()
    p.exchange(b"AT\r", at_ok(b"AT\r"))
    assert httpread(p, b"AT+HTTPREAD=307190,100\r") == web.file("300k.bin")[307190:]


def test_detach_drops_the_bearer(emulator):
    _, m = emulator.modem()
    bearer_up(m)
    m.write(b"AT+CGATT=0\r")
    got = m.expect(b"OK\r\n", timeout=5) + m.read_for(0.3)
    assert got == b"AT+CGATT=0\r\r\nOK\r\n\r\n+SAPBR 1: DEACT\r\n", got
    m.exchange(b"AT+SAPBR=2,1\r", b'AT+SAPBR=2,1\r\r\n+SAPBR: 1,3,"0.0.0.0"\r\n\r\nOK\r\n')
    m.exchange(b"AT+SAPBR=1,1\r", b"AT+SAPBR=1,1\r\r\nERROR\r\n")     # detached: cannot open
    m.exchange(b"AT+CGATT=1\r", at_ok(b"AT+CGATT=1\r"))
    bearer_up(m)


def test_601_response_cut_short(emulator, web):
    """The server promises 100 bytes and closes after 5: 601, nothing stored."""
    cut = "HTTP/1.1 200 OK\\r\\nContent-Length: 100\\r\\n\\r\\nshort"
    with start_tls_echo(mode="reply-close:" + cut) as srv:
        m = http_modem(emulator, web, maps=[("cut.test:80", srv)])
        init_http(m, b"http://cut.test/")
        assert action(m, 0) == (601, 0)
        m.exchange(b"AT+HTTPREAD\r", at_ok(b"AT+HTTPREAD\r"))


def test_httppara_read_shows_every_parameter_whole(emulator):
    """AT+HTTPPARA? with the longest URL, UA and USERDATA the parameters take
    (about 1.2 KB of answer): every field whole and in order, up to the last
    byte of USERDATA.  Answers were once cut at 1,024 bytes."""
    _, m = emulator.modem()
    m.exchange(b"AT+HTTPINIT\r", at_ok(b"AT+HTTPINIT\r"))
    url = b"http://web.test/" + b"u" * (512 - 16)
    ua = b"A" * 127
    userdata = b"X-Long: " + b"d" * (511 - 8 - 4) + b"-end"
    for tag, value in ((b"URL", url), (b"UA", ua), (b"USERDATA", userdata)):
        cmd = b'AT+HTTPPARA="%s","%s"\r' % (tag, value)
        m.exchange(cmd, at_ok(cmd))
    m.exchange(b"AT+HTTPPARA?\r",
               b"AT+HTTPPARA?\r\r\n+HTTPPARA: \r\nCID: 1\r\nURL: " + url + b"\r\nUA: " + ua +
               b"\r\nPROIP: \r\nPROPORT: 80\r\nREDIR: 0\r\nBREAK: 0\r\nBREAKEND: 0\r\n"
               b"TIMEOUT: 120\r\nCONTENT: \r\nUSERDATA: " + userdata + b"\r\n\r\nOK\r\n")


def test_httpscont_compares_the_parameters(emulator):
    """AT+HTTPSCONT? says 0 while the parameters are the saved ones: also
    after a value was changed and changed back (the bytes a longer value
    left behind a string's end are no parameter)."""
    _, m = emulator.modem()
    m.exchange(b"AT+HTTPINIT\r", at_ok(b"AT+HTTPINIT\r"))
    short, long_ = b'AT+HTTPPARA="URL","http://web.test/a"\r', \
        b'AT+HTTPPARA="URL","http://web.test/a-much-longer-path"\r'
    m.exchange(short, at_ok(short))
    m.exchange(b"AT+HTTPSCONT\r", at_ok(b"AT+HTTPSCONT\r"))
    for cmd, flag in ((None, b"0"), (long_, b"1"), (short, b"0")):
        if cmd:
            m.exchange(cmd, at_ok(cmd))
        m.write(b"AT+HTTPSCONT?\r")
        m.expect(b"AT+HTTPSCONT?\r\r\n+HTTPSCONT: " + flag + b"\r\n")
        m.expect(b"\r\nOK\r\n")
