"""ATQ1 and ATV0 on URCs and on the replies that carry raw data.

ATQ1: V.250 6.2.5 says no part of an unsolicited result code is sent while
result codes are suppressed, and the manual's ATQ says "any result code", so
text URCs go too ([at] quiet_urcs = false keeps them).  Bytes a peer sent
(+RECEIVE with data) are not result codes and still arrive.

ATV0: information text loses its leading CRLF (manual 2.2.25).  The header
lines of AT+HTTPREAD, AT+HTTPHEAD, AT+CIPRXGET=2/3 and the leading CRLF of
AT+FSREAD and AT+FSLS are information text too, so they follow it; the
manual shows no V0 example of them, hence [at] v0_data_framing = false,
which keeps their verbose framing."""
import sys
from pathlib import Path

from net import at_ok, bring_up_gprs, sandbox_args, start_tls_echo

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "servers"))
from nginx import start_nginx  # noqa: E402

OK = b"\r\nOK\r\n"


def test_q1_suppresses_urcs(modem):
    modem.exchange(b"ATQ1\r", b"ATQ1\r")
    modem.exchange(b"AT+CFUN=0\r", b"AT+CFUN=0\r")          # no OK, no +CPIN: NOT READY
    modem.assert_quiet(0.3)
    modem.exchange(b"AT+CFUN?\r", b"AT+CFUN?\r\r\n+CFUN: 0\r\n")  # information text stays
    modem.write(b"AT+CFUN=1\r")
    assert modem.read_for(0.5) == b"AT+CFUN=1\r"           # no +CPIN/Call Ready/SMS Ready
    modem.exchange(b"ATQ0\r", b"ATQ0\r" + OK)
    modem.exchange(b"AT+CFUN=0\r", b"AT+CFUN=0\r\r\n+CPIN: NOT READY\r\n" + OK)


def test_q1_urcs_kept_by_profile_key(emulator):
    _, m = emulator.modem("-s", "at.quiet_urcs=false")
    m.exchange(b"ATQ1\r", b"ATQ1\r")
    m.exchange(b"AT+CFUN=0\r", b"AT+CFUN=0\r\r\n+CPIN: NOT READY\r\n")


def test_q1_keeps_received_data(emulator):
    with start_tls_echo() as srv:
        _, m = emulator.modem(*sandbox_args([("echo.test:7", srv)]))
        bring_up_gprs(m, mux=True)
        m.write(b'AT+CIPSTART=0,"TCP","echo.test",7\r')
        m.expect(b"0, CONNECT OK\r\n", timeout=10)
        m.exchange(b"ATQ1\r", b"ATQ1\r")
        m.exchange(b"AT+CIPSEND=0,4\r", b"AT+CIPSEND=0,4\r\r\n> ")
        m.write(b"ping")
        # SEND OK is a result code; the echoed bytes are data.
        m.expect_exact(b"\r\n+RECEIVE,0,4:\r\nping", timeout=10)


def fs_file(m, data):
    m.exchange(b"AT+FSCREATE=C:\\User\\v.txt\r", at_ok(b"AT+FSCREATE=C:\\User\\v.txt\r"))
    cmd = b"AT+FSWRITE=C:\\User\\v.txt,0,%d,10\r" % len(data)
    m.exchange(cmd, cmd + b"\r\n> ")
    m.write(data)
    m.expect_exact(OK, timeout=5)


def test_v0_fsread_fsls(modem):
    fs_file(modem, b"hello")
    modem.exchange(b"ATE0V0\r", b"ATE0V0\r0\r")
    modem.exchange(b"AT+FSREAD=C:\\User\\v.txt,0,5,0\r", b"hello0\r")
    modem.exchange(b"AT+FSLS=C:\\User\\\r", b"v.txt\r\n0\r")
    modem.exchange(b"ATV1\r", OK)
    modem.exchange(b"AT+FSREAD=C:\\User\\v.txt,0,5,0\r", b"\r\nhello\r\nOK\r\n")


def test_v0_fsread_verbose_by_profile_key(emulator):
    _, m = emulator.modem("-s", "at.v0_data_framing=false")
    fs_file(m, b"hello")
    m.exchange(b"ATE0V0\r", b"ATE0V0\r0\r")
    m.exchange(b"AT+FSREAD=C:\\User\\v.txt,0,5,0\r", b"\r\nhello0\r")
    m.exchange(b"AT+FSLS=C:\\User\\\r", b"\r\nv.txt\r\n0\r")


def test_v0_ciprxget(emulator):
    with start_tls_echo() as srv:
        for key, head in ((None, b""), ("at.v0_data_framing=false", b"\r\n")):
            _, m = emulator.modem(*sandbox_args([("echo.test:7", srv)]),
                                  *(("-s", key) if key else ()))
            bring_up_gprs(m)
            m.exchange(b"AT+CIPRXGET=1\r", at_ok(b"AT+CIPRXGET=1\r"))
            m.write(b'AT+CIPSTART="TCP","echo.test",7\r')
            m.expect_exact(b'AT+CIPSTART="TCP","echo.test",7\r\r\nOK\r\n\r\nCONNECT OK\r\n',
                           timeout=10)
            m.exchange(b"AT+CIPSEND=6\r", b"AT+CIPSEND=6\r\r\n> ")
            m.write(b"abcdef")
            m.expect_exact(b"\r\nSEND OK\r\n\r\n+CIPRXGET: 1\r\n", timeout=10)
            m.exchange(b"ATE0V0\r", b"ATE0V0\r0\r")
            m.exchange(b"AT+CIPRXGET=2,2\r", head + b"+CIPRXGET: 2,2,4\r\nab0\r")
            m.exchange(b"AT+CIPRXGET=3,2\r", head + b"+CIPRXGET: 3,2,2\r\n63640\r")
            m.exchange(b"AT+CIPRXGET=4\r", b"+CIPRXGET: 4,2\r\n0\r")


def test_v0_httpread_httphead(emulator):
    with start_nginx(files={"five.txt": b"hello"}) as web:
        _, m = emulator.modem(*sandbox_args([("web.test:80", web.http_port)]))
        for c in (b'AT+SAPBR=3,1,"APN","CMNET"', b"AT+HTTPINIT",
                  b'AT+HTTPPARA="URL","http://web.test/five.txt"'):
            m.write(c + b"\r")
            m.expect_exact(at_ok(c + b"\r"), timeout=5)
        m.write(b"AT+SAPBR=1,1\r")
        m.expect_exact(at_ok(b"AT+SAPBR=1,1\r"), timeout=5)
        m.exchange(b"ATE0V0\r", b"ATE0V0\r0\r")
        m.write(b"AT+HTTPACTION=0\r")
        assert m.expect(b"+HTTPACTION: 0,200,5\r\n", timeout=10) == b"0\r+HTTPACTION: 0,200,5\r\n"
        m.exchange(b"AT+HTTPREAD\r", b"+HTTPREAD: 5\r\nhello0\r")
        m.write(b"AT+HTTPHEAD\r")
        got = m.expect(b"0\r", timeout=5)
        assert got.startswith(b"+HTTPHEAD: ") and b"\r\nHTTP/1.1 200 OK\r\n" in got, got
        n = int(got[len(b"+HTTPHEAD: "):got.index(b"\r\n")])
        assert len(got) == got.index(b"\r\n") + 2 + n + 2, got
