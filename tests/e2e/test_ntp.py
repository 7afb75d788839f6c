"""Network time over a real SNTP exchange (README "Network time"): AT+CNTPCID,
AT+CNTP="<server>",<tz>, AT+CNTP -> +CNTP: <code>, the module clock after
it; every failure code from a real cause (no bearer, a name that does not
resolve, a server that says nothing or nonsense), and faults on the "ntp"
connection.  The server is tests/servers/ntp_server.py on loopback; the
names reach it through the host map."""
import re
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import TIMINGS
from net import REPO

sys.path.insert(0, str(REPO / "tests" / "servers"))
from ntp_server import NtpServer  # noqa: E402

OK = b"\r\nOK\r\n"


def boot(emulator, srv, *args):
    m = emulator.start("--only-mapped", "-m", "pool.ntp.org:123=127.0.0.1:%d" % srv.port,
                       "-m", "193.204.114.232:123=127.0.0.1:%d" % srv.port, *args).boot()
    for line in (b'AT+SAPBR=3,1,"APN","cmnet"', b"AT+SAPBR=1,1", b"AT+CNTPCID=1"):
        m.exchange(line + b"\r", line + b"\r" + OK, timeout=5)
    return m


def sync(m, server, tz, timeout=15):
    cmd = b'AT+CNTP="%s",%d' % (server, tz)
    m.exchange(cmd + b"\r", cmd + b"\r" + OK)
    m.write(b"AT+CNTP\r")
    got = m.expect(b"\r\n", timeout=timeout)          # the echo's line end
    got += m.expect(b"+CNTP: ", timeout=timeout) + m.expect(b"\r\n", timeout=timeout)
    return got


def cclk(m):
    got = m.cmd(b"AT+CCLK?\r")
    y, mo, d, h, mi, s, sign, q = re.search(
        rb'\+CCLK: "(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)([+-])(\d\d)"', got).groups()
    tz = int(q) * (1 if sign == b"+" else -1)
    local = datetime(2000 + int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=timezone.utc)
    return local - timedelta(minutes=15 * tz), tz


@pytest.mark.parametrize("timing", TIMINGS)
def test_the_clock_follows_the_server(emulator, timing):
    """The Python driver's internet_sync_time(): AT+CNTP="193.204.114.232",4."""
    with NtpServer(offset=-86400 * 3 + 1234) as srv:
        m = boot(emulator, srv, "--timing", timing)
        got = sync(m, b"193.204.114.232", 4)
        assert got == b'AT+CNTP\r\r\nOK\r\n\r\n+CNTP: 1\r\n', got
        utc, tz = cclk(m)
        want = datetime.now(timezone.utc) + timedelta(seconds=-86400 * 3 + 1234)
        assert tz == 4 and abs((utc - want).total_seconds()) < 5, (utc, want)
        assert m.cmd(b"AT+CNTP?\r").endswith(b'+CNTP: "193.204.114.232",4\r\n' + OK)
        assert srv.requests == 1


def test_every_failure_code_from_a_real_cause(emulator, tmp_path):
    with NtpServer(mode="garbage") as bad, NtpServer(mode="silent") as mute, \
            NtpServer(mode="wrong-origin") as liar, NtpServer(mode="kod") as kod:
        m = emulator.start("--only-mapped", "-s", "ntp.timeout_s=1",
                           "-m", "bad.test:123=127.0.0.1:%d" % bad.port,
                           "-m", "mute.test:123=127.0.0.1:%d" % mute.port,
                           "-m", "liar.test:123=127.0.0.1:%d" % liar.port,
                           "-m", "kod.test:123=127.0.0.1:%d" % kod.port).boot()
        # No bearer open: 61 (network error).
        assert sync(m, b"bad.test", 0).endswith(b"+CNTP: 61\r\n")
        for line in (b'AT+SAPBR=3,1,"APN","cmnet"', b"AT+SAPBR=1,1"):
            m.exchange(line + b"\r", line + b"\r" + OK)
        assert sync(m, b"nowhere.test", 0).endswith(b"+CNTP: 62\r\n")   # unmapped: no name
        assert sync(m, b"bad.test", 0).endswith(b"+CNTP: 64\r\n")       # not an SNTP reply
        assert sync(m, b"liar.test", 0).endswith(b"+CNTP: 64\r\n")      # not our request's
        assert sync(m, b"kod.test", 0).endswith(b"+CNTP: 64\r\n")       # kiss-o'-death
        assert sync(m, b"mute.test", 0).endswith(b"+CNTP: 65\r\n")      # no answer in 1 s


def test_faults_reach_the_ntp_connection(emulator):
    with NtpServer() as srv:
        m = boot(emulator, srv, "--fault", "dns service=ntp count=1")
        assert sync(m, b"pool.ntp.org", 32).endswith(b"+CNTP: 62\r\n")
        assert sync(m, b"pool.ntp.org", 32).endswith(b"+CNTP: 1\r\n")
        assert srv.requests == 1
