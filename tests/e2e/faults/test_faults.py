"""Fault injection (README "Fault injection"): every fault of the grammar,
driven through the control socket and through --fault, observed on the PTY
byte for byte, against real loopback servers where a network fault is
involved.  Network faults take the connection's real failure path, so the
codes come from each service's own error table."""
import hashlib
import os
import re
import socket
import stat
import sys
import time
from pathlib import Path

import pytest

from conftest import run_cli
from net import at_ok, bring_up_gprs, legacy_tls_echo, payload, sandbox_args, start_tls_echo

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "scripts" / "python"))
sys.path.insert(0, str(REPO / "tests" / "servers"))
from nginx import start_nginx  # noqa: E402
from sim800emu import Control, ControlError  # noqa: E402

HOST = b"tls.example.test"
START = b'AT+CIPSTART="TCP","tls.example.test",443\r'
START_OK = START + b"\r\nOK\r\n\r\nCONNECT OK\r\n"
START_TLS_FAIL = START + b"\r\nOK\r\n\r\nCLOSE OK\r\n"
START_TCP_FAIL = START + b"\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n\r\nCONNECT FAIL\r\n"
ACTION = re.compile(rb"\r\n\+HTTPACTION: (\d),(\d+),(\d+)\r\n")


def ctl_path(tmp_path):
    return str(tmp_path / "ctl.sock")


def start(emulator, tmp_path, *args, faults=(), n=1):
    """An emulator with a control socket; returns (emu, control)."""
    extra = []
    for f in faults:
        extra += ["--fault", f]
    emu = emulator.start("--control", ctl_path(tmp_path), *extra, *args, n=n)
    return emu, Control(ctl_path(tmp_path))


def tcpip_modem(emulator, tmp_path, srv, *extra, faults=(), tls=True):
    emu, ctl = start(emulator, tmp_path, *sandbox_args([("tls.example.test:443", srv)]), *extra,
                     faults=faults)
    m = emu.boot()
    bring_up_gprs(m)
    if tls:
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
    return emu, ctl, m


def connect(m):
    """AT+CIPSTART up to CONNECT OK; bytes the server sends at once stay buffered."""
    m.write(START)
    assert m.expect(START_OK, timeout=10) == START_OK


def read_ipd_until_closed(m, timeout=20):
    """Push mode with AT+CIPHEAD=1: the payloads of "+IPD,<n>:" frames up
    to the CLOSED URC; returns (data, what followed the last frame)."""
    data = bytearray()
    deadline = time.monotonic() + timeout
    head = re.compile(rb"\r\n\+IPD,(\d+):")
    while True:
        mt = head.match(m.buf)
        if mt and len(m.buf) >= mt.end() + int(mt.group(1)):
            n = int(mt.group(1))
            data += m.buf[mt.end():mt.end() + n]
            del m.buf[:mt.end() + n]
            continue
        if m.buf.startswith(b"\r\nCLOSED\r\n"):
            m._slurp()
            return bytes(data), m.take()
        assert time.monotonic() < deadline, (len(data), bytes(m.buf[:80]))
        m._read_some(min(deadline, time.monotonic() + 0.5))


# --- the control socket ----------------------------------------------------

def test_control_socket_is_0600_and_refuses_another_user(emulator, tmp_path):
    os.chmod(tmp_path, 0o755)  # the directory lets anyone reach the socket
    emu, ctl = start(emulator, tmp_path)
    st = os.stat(ctl_path(tmp_path))
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    pid = os.fork()
    if pid == 0:  # a child that becomes nobody and tries to connect
        code = 3
        try:
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(ctl_path(tmp_path))
                code = 1
            except PermissionError:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "another uid could connect"
    assert ctl.request("status").startswith("{")
    m = emu.boot()
    m.exchange(b"AT\r", b"AT\r\r\nOK\r\n")


def test_control_answers_bad_requests_and_the_modem_keeps_working(emulator, tmp_path):
    emu, ctl = start(emulator, tmp_path)
    m = emu.boot()
    cases = [
        (b"", b"error empty request (try help)"),
        (b"bogus", b"error unknown request 'bogus' (fault add|list|clear, status, help)"),
        (b"fault", b"error fault takes add SPEC, list or clear [ID]"),
        (b"fault add", b"error no action (dns, refuse, timeout, tls-alert=, reset-after=, "
                       b"result=, urc=, pdp-deact, reboot, ...)"),
        (b"fault add x=1", b"error unknown key 'x'"),
        (b"fault add dns refuse", b"error 'refuse': a rule has one action, it already has dns"),
        (b"fault add modem=7 dns", b"error modem=7: there are 1 modems (0 to 0)"),
        (b'fault add cmd=+CSQ result="OK', b"error result: unterminated quote"),
        (b"fault add result=ERROR", b"error result needs cmd= (the command it answers)"),
        (b"fault add port=99999 dns", b"error port=99999: 1 to 65535"),
        (b"fault add closed=6", b"error closed=6: a link number 0 to 5 (AT+CIPSTART's <n>)"),
        (b"fault add cmd=+CSQ closed=9", b"error closed=9: a link number 0 to 5 (AT+CIPSTART's <n>)"),
        (b"fault add noise=4097", b"error noise=4097: 1 to 4096 bytes"),
        (b"fault clear x", b"error fault clear takes a rule id (or nothing: every rule)"),
        (b"\x00\xff\x1b[2J", b"error binary request: byte 0x00 at 0 (requests are text lines)"),
        (b"status \x80", b"error binary request: byte 0x80 at 7 (requests are text lines)"),
        (b"x" * 5000, b"error request longer than 1023 bytes"),
        (b"fault add dns " + b"x" * 1100, b"error request longer than 1023 bytes"),
        (b"fault add tag=" + b"t" * 600, b"error rule longer than 511 bytes"),
    ]
    for req, want in cases:
        assert ctl.request_raw(req) == want, req[:40]
        m.exchange(b"AT\r", b"AT\r\r\nOK\r\n")
    # One write holding several requests, and a request split over writes.
    ctl.sock.sendall(b"fault list\nsta")
    time.sleep(0.1)
    assert ctl.request_raw(b"tus") == b"ok []"  # the reply to "fault list"
    assert ctl.request_raw(b"help").startswith(b'ok {"modems":[{"index":0,')  # to "status"
    assert ctl.request_raw(b"fault clear").startswith(b"ok requests: fault add SPEC")  # to "help"
    assert ctl.request_raw(b"fault list") == b"ok 0"  # to "fault clear"
    assert ctl.rules() == []
    m.exchange(b"AT+CSQ\r", b"AT+CSQ\r\r\n+CSQ: 18,0\r\n\r\nOK\r\n")


def test_control_replies_in_order_and_lists_rules(emulator, tmp_path):
    emu, ctl = start(emulator, tmp_path)
    emu.boot()
    assert ctl.add("modem=0 service=http tls-alert=handshake_failure count=1") == 1
    assert ctl.add(cmd="+CSQ", result="+CME ERROR: 3", count="always") == 2
    rules = ctl.rules()
    assert [(r["id"], r["action"], r["left"], r["spec"]) for r in rules] == [
        (1, "tls-alert", 1, "modem=0 service=http tls-alert=handshake_failure count=1"),
        (2, "result", -1, 'cmd=+CSQ result="+CME ERROR: 3" count=always')]
    assert ctl.clear(1) == 1
    assert [r["id"] for r in ctl.rules()] == [2]
    assert ctl.clear() == 1
    st = ctl.status()
    assert st["modems"][0]["port"] == emu.paths[0]
    assert st["modems"][0]["power"] == "on" and st["modems"][0]["links"] == []


def test_control_path_that_exists(emulator, tmp_path):
    # A regular file: refused, left alone.
    p = tmp_path / "ctl.sock"
    p.write_text("mine")
    r = run_cli("--control", p)
    assert r.returncode == 2
    assert "exists and is not a stale socket of ours (not a socket)" in r.stderr
    assert p.read_text() == "mine"
    p.unlink()
    # A socket somebody listens on: refused.
    live = socket.socket(socket.AF_UNIX)
    live.bind(str(p))
    live.listen(1)
    r = run_cli("--control", p)
    assert r.returncode == 2 and "a socket in use" in r.stderr
    live.close()
    # The same socket, now stale (nobody listens): ours, so replaced.
    emu, ctl = start(emulator, tmp_path)
    assert ctl.request("status")
    emu.stop()
    assert not p.exists(), "the socket is removed at exit"


def test_bad_fault_option_exits_2():
    r = run_cli("--fault", "tls-alert=nonsense")
    assert r.returncode == 2
    assert "--fault tls-alert=nonsense: tls-alert=nonsense: an alert name" in r.stderr
    r = run_cli("--fault", "reboot delay=x")
    assert r.returncode == 2 and "delay=x: seconds" in r.stderr


# --- network faults on HTTP(S): the module's 60x codes ----------------------

@pytest.fixture(scope="module")
def web():
    with start_nginx(cert_name="www.gmail.com") as w:
        yield w


def http_modem(emulator, tmp_path, web, faults=()):
    maps = [("www.gmail.com:443", web.https_port), ("www.gmail.com:80", web.http_port)]
    emu, ctl = start(emulator, tmp_path, *sandbox_args(maps), faults=faults)
    m = emu.boot()
    for c in (b'AT+SAPBR=3,1,"Contype","GPRS"', b'AT+SAPBR=3,1,"APN","CMNET"'):
        m.exchange(c + b"\r", at_ok(c + b"\r"))
    m.write(b"AT+SAPBR=1,1\r")
    m.expect_exact(at_ok(b"AT+SAPBR=1,1\r"), timeout=5)
    # SSL Application Note 3.5: HTTPS GET of www.gmail.com.
    for c in (b"AT+HTTPINIT", b'AT+HTTPPARA="CID",1', b'AT+HTTPPARA="URL","www.gmail.com"',
              b'AT+HTTPPARA="REDIR",1', b"AT+HTTPSSL=1"):
        m.exchange(c + b"\r", at_ok(c + b"\r"))
    return emu, ctl, m


def action(m, timeout=20):
    m.write(b"AT+HTTPACTION=0\r")
    assert m.expect(b"\r\nOK\r\n", timeout=5) == b"AT+HTTPACTION=0\r\r\nOK\r\n"
    got = m.expect(b"\r\n", timeout=timeout) + m.expect(b"\r\n", timeout=timeout)
    mt = ACTION.fullmatch(got)
    assert mt, got
    return int(mt.group(2)), int(mt.group(3))


@pytest.mark.parametrize("how", ["control", "option"])
@pytest.mark.parametrize("rule,code", [
    ("service=http tls-alert=handshake_failure", 606),
    ("service=http tls-alert=none", 605),
    ("service=http dns", 603),
    ("service=http refuse", 601),
    ("service=http timeout=0.5", 601),
])
def test_https_codes(emulator, tmp_path, web, how, rule, code):
    emu, ctl, m = http_modem(emulator, tmp_path, web, faults=[rule] if how == "option" else ())
    if how == "control":
        ctl.add(rule)
    assert action(m) == (code, 0)
    # count=1 by default: the next action is the server's real answer.
    assert action(m) == (200, 84200)
    rules = ctl.rules()
    assert rules[0]["fired"] == 1 and rules[0]["left"] == 0


def test_fault_matches_host_and_port(emulator, tmp_path, web):
    emu, ctl, m = http_modem(emulator, tmp_path, web)
    ctl.add("service=http host=other.example tls-alert=handshake_failure")
    ctl.add("service=http host=www.gmail.com port=80 refuse")
    assert action(m) == (200, 84200)  # neither names www.gmail.com:443
    ctl.add("service=tcpip tls-alert=handshake_failure")
    assert action(m) == (200, 84200)  # another service
    ctl.add("modem=0 service=http host=WWW.GMAIL.COM port=443 tls-alert=bad_certificate")
    assert action(m) == (606, 0)


def test_fired_rules_are_in_the_trace(emulator, tmp_path, web):
    trace = tmp_path / "trace.txt"
    maps = [("www.gmail.com:443", web.https_port)]
    emu, ctl = start(emulator, tmp_path, *sandbox_args(maps), "--trace", trace,
                     faults=["service=http tls-alert=unknown_ca"])
    m = emu.boot()
    for c in (b"AT+SAPBR=1,1", b"AT+HTTPINIT", b'AT+HTTPPARA="URL","www.gmail.com"', b"AT+HTTPSSL=1"):
        m.write(c + b"\r")
        m.expect(b"\r\nOK\r\n", timeout=5)
    assert action(m) == (606, 0)
    text = trace.read_text()
    assert "m0 fault -- rule 1 added: service=http tls-alert=unknown_ca" in text
    assert re.search(r"m0 fault -- rule 1 fired on http www\.gmail\.com:443: service=http "
                     r"tls-alert=unknown_ca", text), text[-2000:]
    assert "failed: tls-alert (TLS alert received unknown CA (fault rule 1))" in text


# --- network faults on AT+CIPSTART links -------------------------------------

@pytest.mark.parametrize("rule,want", [
    ("service=tcpip dns", START_TCP_FAIL),
    ("service=tcpip refuse", START_TCP_FAIL),
    ("service=tcpip timeout=0.3", START_TCP_FAIL),
    ("service=tcpip tls-alert=protocol_version", START_TLS_FAIL),
    ("service=tcpip tls-alert=none", START_TLS_FAIL),
])
def test_cipstart_failures(emulator, tmp_path, rule, want):
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        emu, ctl, m = tcpip_modem(emulator, tmp_path, srv, faults=[rule])
        m.write(START)
        m.expect_exact(want, timeout=10)
        m.write(START)  # the rule was for one connection
        m.expect_exact(START_OK, timeout=10)


def test_tls_alert_mid_stream_loses_no_byte_before_the_cut(emulator, tmp_path):
    n, cut = 200_000, 123_457
    with legacy_tls_echo("source:%d:faults" % n, cert_name="tls.example.test") as srv:
        emu, ctl, m = tcpip_modem(emulator, tmp_path, srv)
        m.exchange(b"AT+CIPHEAD=1\r", at_ok(b"AT+CIPHEAD=1\r"))
        ctl.add("modem=0 service=tcpip alert-after=%d" % cut)
        connect(m)
        data, rest = read_ipd_until_closed(m)
        assert rest == b"\r\nCLOSED\r\n"
        assert len(data) == cut
        assert hashlib.sha256(data).hexdigest() == hashlib.sha256(payload(n, "faults")[:cut]).hexdigest()
        m.exchange(b"AT+CIPSTATUS\r", b"AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n")


@pytest.mark.parametrize("kind", ["reset-after", "close-after"])
def test_plain_link_cut_after_n_bytes(emulator, tmp_path, kind):
    n, cut = 50_000, 31_337
    with start_tls_echo(mode="source:%d:7" % n) as srv:
        emu, ctl, m = tcpip_modem(emulator, tmp_path, srv, tls=False,
                                  faults=["service=tcpip %s=%d" % (kind, cut)])
        m.exchange(b"AT+CIPHEAD=1\r", at_ok(b"AT+CIPHEAD=1\r"))
        connect(m)
        data, rest = read_ipd_until_closed(m)
        assert rest == b"\r\nCLOSED\r\n"
        assert data == payload(n, 7)[:cut]


def test_reset_while_sending_is_send_fail(emulator, tmp_path):
    with start_tls_echo(mode="sink-sha256") as srv:
        emu, ctl, m = tcpip_modem(emulator, tmp_path, srv, tls=False,
                                  faults=["service=tcpip reset-after=10 dir=tx"])
        m.write(START)
        m.expect_exact(START_OK, timeout=10)
        m.exchange(b"AT+CIPSEND=20\r", b"AT+CIPSEND=20\r\r\n> ")
        m.write(b"x" * 20)
        m.expect_exact(b"\r\nSEND FAIL\r\n\r\nCLOSED\r\n", timeout=10)


def test_stall_holds_the_link_then_everything_arrives(emulator, tmp_path):
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        emu, ctl, m = tcpip_modem(emulator, tmp_path, srv)
        ctl.add("service=tcpip stall=1.5 after=4")
        m.write(START)
        m.expect_exact(START_OK, timeout=10)
        m.exchange(b"AT+CIPSEND=4\r", b"AT+CIPSEND=4\r\r\n> ")
        m.write(b"abcd")
        m.expect_exact(b"\r\nSEND OK\r\nabcd", timeout=10)
        m.exchange(b"AT+CIPSEND=4\r", b"AT+CIPSEND=4\r\r\n> ")
        t0 = time.monotonic()
        m.write(b"efgh")
        m.expect(b"\r\nSEND OK\r\n", timeout=5)
        m.expect_exact(b"efgh", timeout=10)
        took = time.monotonic() - t0
        print("stalled for %.3f s" % took)
        assert took >= 1.35


def test_throughput_cap(emulator, tmp_path):
    n, rate = 30_000, 10_000
    with start_tls_echo(mode="source:%d:rate" % n) as srv:
        emu, ctl, m = tcpip_modem(emulator, tmp_path, srv, tls=False,
                                  faults=["service=tcpip rate=%d dir=rx" % rate])
        m.exchange(b"AT+CIPHEAD=1\r", at_ok(b"AT+CIPHEAD=1\r"))
        connect(m)
        t0 = time.monotonic()
        got, samples = 0, []
        head = re.compile(rb"\r\n\+IPD,(\d+):")
        while got < n:
            mt = head.match(m.buf)
            if mt and len(m.buf) >= mt.end() + int(mt.group(1)):
                k = int(mt.group(1))
                del m.buf[:mt.end() + k]
                got += k
                samples.append((time.monotonic() - t0, got))
                continue
            assert time.monotonic() - t0 < 20, got
            m._read_some(time.monotonic() + 0.5)
        took = time.monotonic() - t0
        measured = n / took
        print("rate=%d B/s: %d bytes in %.3f s = %.0f B/s (%.1f %%)"
              % (rate, n, took, measured, 100.0 * measured / rate))
        # The bucket holds rate/10 bytes: by any moment t at most
        # rate/10 + rate * t bytes can have reached the host (deterministic).
        for t, total in samples:
            assert total <= rate / 10 + rate * (t + 0.05), (t, total)
        # Never faster than the cap (a busy machine can only make it slower,
        # so no lower bound is asserted: the figure is printed above).
        assert measured <= 1.1 * rate


# --- module faults -----------------------------------------------------------

def test_result_and_urc_overrides(emulator, tmp_path):
    emu, ctl = start(emulator, tmp_path, faults=['cmd=+CSQ result="+CME ERROR: 3"'])
    m = emu.boot()
    m.exchange(b"AT+CSQ\r", b"AT+CSQ\r\r\nERROR\r\n")  # CMEE=0 shows it as ERROR
    m.exchange(b"AT+CMEE=1\r", at_ok(b"AT+CMEE=1\r"))
    ctl.add('cmd=+CSQ result="+CME ERROR: 3"')
    m.exchange(b"AT+CSQ\r", b"AT+CSQ\r\r\n+CME ERROR: 3\r\n")
    m.exchange(b"AT+CSQ\r", b"AT+CSQ\r\r\n+CSQ: 18,0\r\n\r\nOK\r\n")
    ctl.add('cmd=+CIPSTART result="CONNECT FAIL"')
    m.exchange(b'AT+CIPSTART="TCP","x",1\r', b'AT+CIPSTART="TCP","x",1\r\r\nCONNECT FAIL\r\n')
    ctl.add('cmd=+CIPSEND result="SEND FAIL"')
    m.exchange(b"AT+CIPSEND=1\r", b"AT+CIPSEND=1\r\r\nSEND FAIL\r\n")
    for urc in ("+HTTPACTION: 0,606,0", "+SMTPSEND: 71", "+FTPGET: 1,81"):
        ctl.add(cmd="AT+HTTPACTION", urc=urc)
        m.exchange(b"AT+HTTPACTION=0\r", b"AT+HTTPACTION=0\r\r\nOK\r\n\r\n" + urc.encode() + b"\r\n")
    ctl.add(cmd="+CIPSTART", result="OK", urc="CONNECT FAIL")
    m.exchange(b'AT+CIPSTART="TCP","x",1\r', b'AT+CIPSTART="TCP","x",1\r\r\nOK\r\n\r\nCONNECT FAIL\r\n')
    # The rule only answers; a command in a chain ends the chain as its result does.
    ctl.add('cmd=+CGMI result=ERROR')
    m.exchange(b"AT+CGMR;+CGMI\r", b"AT+CGMR;+CGMI\r\r\nRevision:1418B04SIM800L24\r\n\r\nERROR\r\n")


def test_pdp_deact_and_recovery(emulator, tmp_path):
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        emu, ctl, m = tcpip_modem(emulator, tmp_path, srv)
        m.write(START)
        m.expect_exact(START_OK, timeout=10)
        ctl.add("modem=0 pdp-deact")
        m.expect_exact(b"\r\nCLOSED\r\n\r\n+PDP: DEACT\r\n", timeout=5)
        m.exchange(b"AT+CIPSTATUS\r", b"AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: PDP DEACT\r\n")
        m.exchange(b"AT+CIPSEND=1\r", b"AT+CIPSEND=1\r\r\nERROR\r\n")
        m.exchange(b"AT+CIPSHUT\r", b"AT+CIPSHUT\r\r\nSHUT OK\r\n")
        m.exchange(b"AT+CIPSTATUS\r", b"AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: IP INITIAL\r\n")
        bring_up_gprs(m)
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
        m.write(START)
        m.expect_exact(START_OK, timeout=10)


def test_pdp_deact_after_a_command_by_option(emulator, tmp_path):
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        emu, ctl, m = tcpip_modem(emulator, tmp_path, srv, faults=["cmd=+CIPSTATUS pdp-deact"])
        m.exchange(b"AT+CIPSTATUS\r",
                   b"AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: IP STATUS\r\n\r\n+PDP: DEACT\r\n")


def test_closed_on_a_link(emulator, tmp_path):
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        emu, ctl, m = tcpip_modem(emulator, tmp_path, srv)
        m.write(START)
        m.expect_exact(START_OK, timeout=10)
        assert ctl.status()["modems"][0]["links"][0]["state"] == "connected"
        ctl.add("closed=0")
        m.expect_exact(b"\r\nCLOSED\r\n", timeout=5)
        m.exchange(b"AT+CIPSTATUS\r", b"AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n")


def test_reboot_with_a_client_attached(emulator, tmp_path):
    emu, ctl = start(emulator, tmp_path, "-s", "boot.reset_ms=300")
    m = emu.boot()
    m.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n")
    m.exchange(b"AT+CREG=1\r", b"\r\nOK\r\n")
    ctl.add("modem=0 reboot")
    assert ctl.status()["modems"][0]["power"] == "resetting"
    m.expect_exact(b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n",
                   timeout=5)
    # State as at power-on: echo back on, +CREG reporting off.
    m.exchange(b"AT+CREG?\r", b"AT+CREG?\r\r\n+CREG: 0,1\r\n\r\nOK\r\n")


def test_module_urcs_signal_and_registration(emulator, tmp_path):
    emu, ctl = start(emulator, tmp_path)
    m = emu.boot()
    ctl.add("under-voltage")
    m.expect_exact(b"\r\nUNDER-VOLTAGE WARNNING\r\n")
    ctl.add("csq=99,99")
    m.exchange(b"AT+CSQ\r", b"AT+CSQ\r\r\n+CSQ: 99,99\r\n\r\nOK\r\n")
    m.exchange(b"AT+CREG=1\r", at_ok(b"AT+CREG=1\r"))
    ctl.add("unregister=0.5")
    m.expect_exact(b"\r\n+CREG: 2\r\n")  # lost the network: searching
    m.exchange(b"AT+CREG?\r", b"AT+CREG?\r\r\n+CREG: 1,2\r\n\r\nOK\r\n")
    m.expect_exact(b"\r\n+CREG: 1\r\n", timeout=3)
    ctl.add("delay=0.2 cpin-not-ready")
    m.expect_exact(b"\r\n+CPIN: NOT READY\r\n\r\n+CREG: 0\r\n", timeout=3)
    st = ctl.status()["modems"][0]
    assert not st["sim_ready"] and not st["registered"]


def test_line_noise(emulator, tmp_path):
    emu, ctl = start(emulator, tmp_path)
    m = emu.boot()
    ctl.add("drop=1")
    m.exchange(b"AT\r", b"T\r\r\nOK\r\n")
    ctl.add("noise=16 seed=5")
    first = m.read_for(0.3)
    assert len(first) == 16
    m.exchange(b"AT\r", b"AT\r\r\nOK\r\n")
    # The same seed gives the same bytes in another run.
    emu3 = emulator.start("--fault", "noise=16 seed=5 delay=0.3")
    p = emu3.boot()
    assert p.read_for(0.8) == first


def test_seeded_probability_repeats(emulator, tmp_path):
    pattern = []
    for run in range(2):
        d = tmp_path / str(run)
        d.mkdir()
        emu, ctl = start(emulator, d, faults=["cmd=+CSQ prob=0.5 seed=1234 count=always result=ERROR"])
        m = emu.boot()
        seen = ""
        for _ in range(24):
            got = m.cmd(b"AT+CSQ\r")
            seen += "E" if got.endswith(b"\r\nERROR\r\n") else "."
        pattern.append(seen)
        emu.stop()
    print(pattern)
    assert pattern[0] == pattern[1]
    assert 4 <= pattern[0].count("E") <= 20


def test_skip_and_count_and_modem_matching(emulator, tmp_path):
    emu, ctl = start(emulator, tmp_path, n=2, faults=[])
    a = emu.boot(0)
    b = emu.boot(1)
    ctl.add("modem=1 cmd=+CSQ skip=1 count=2 result=ERROR")
    a.exchange(b"AT+CSQ\r", b"AT+CSQ\r\r\n+CSQ: 18,0\r\n\r\nOK\r\n")
    got = [b.cmd(b"AT+CSQ\r").endswith(b"ERROR\r\n") for _ in range(5)]
    assert got == [False, True, True, False, False]


def test_profile_faults_section(emulator, tmp_path):
    prof = tmp_path / "faulty.ini"
    prof.write_text("[profile]\ninherit = sim800l-r14.18\n[faults]\n"
                    "rule = cmd=+CGMI result=ERROR count=always\n")
    emu, ctl = start(emulator, tmp_path, "-p", prof)
    m = emu.boot()
    m.exchange(b"AT+CGMI\r", b"AT+CGMI\r\r\nERROR\r\n")
    assert ctl.rules()[0]["spec"] == "cmd=+CGMI result=ERROR count=always"
    bad = tmp_path / "bad.ini"
    bad.write_text("[profile]\ninherit = sim800l-r14.18\n[faults]\nrule = nonsense\n")
    r = run_cli("-p", bad)
    assert r.returncode == 2 and "[faults] nonsense: unknown key 'nonsense'" in r.stderr


def test_http_response_cut_short_is_601(emulator, tmp_path, web):
    emu, ctl, m = http_modem(emulator, tmp_path, web, faults=["service=http reset-after=5000"])
    assert action(m) == (601, 0)
    ctl.add("service=http close-after=20000")
    assert action(m) == (601, 0)
    assert action(m) == (200, 84200)


@pytest.mark.parametrize("code", [600, 601, 602, 603, 604, 605, 606])
def test_every_http_code_on_demand(emulator, tmp_path, code):
    # Where no real cause is at hand (a server that is not HTTP, a body over
    # the store, the stack busy), the URC itself; the others also come by
    # the real path above.
    emu, ctl = start(emulator, tmp_path)
    m = emu.boot()
    ctl.add(cmd="+HTTPACTION", urc="+HTTPACTION: 0,%d,0" % code)
    m.exchange(b"AT+HTTPACTION=0\r", b"AT+HTTPACTION=0\r\r\nOK\r\n\r\n+HTTPACTION: 0,%d,0\r\n" % code)


@pytest.mark.parametrize("rule,least", [("latency=600 dir=rx", 0.55), ("latency=600 dir=tx", 0.55),
                                        ("latency=400", 0.75)])
def test_latency_delays_each_burst(emulator, tmp_path, rule, least):
    # dir=both (the default) adds the latency each way: a round trip gains twice.
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        emu, ctl, m = tcpip_modem(emulator, tmp_path, srv, faults=["service=tcpip " + rule])
        connect(m)
        for data in (b"abcd", b"efgh"):
            m.exchange(b"AT+CIPSEND=4\r", b"AT+CIPSEND=4\r\r\n> ")
            t0 = time.monotonic()
            m.write(data)
            m.expect(b"\r\nSEND OK\r\n", timeout=5)
            m.expect_exact(data, timeout=5)
            took = time.monotonic() - t0
            print("echo after %.3f s" % took)
            assert took >= least
            time.sleep(0.7)  # a quiet spell: the next burst waits again


def test_pdp_deact_drops_the_bearer(emulator, tmp_path):
    emu, ctl = start(emulator, tmp_path)
    m = emu.boot()
    m.write(b"AT+SAPBR=1,1\r")
    m.expect_exact(at_ok(b"AT+SAPBR=1,1\r"), timeout=5)
    ctl.add("pdp-deact")
    m.expect_exact(b"\r\n+SAPBR 1: DEACT\r\n", timeout=5)
    m.exchange(b"AT+SAPBR=2,1\r", b'AT+SAPBR=2,1\r\r\n+SAPBR: 1,3,"0.0.0.0"\r\n\r\nOK\r\n')


def vm_rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_status_larger_than_the_reply_bound_comes_whole_and_a_lazy_client_is_held_back(
        emulator, tmp_path):
    """1,400 modems make a status of about 280 KB, more than the 256 KB of
    replies a client may leave unread: it comes whole (it once cost the
    client its connection).  A client that sends fifty requests and reads
    nothing is held back, not dropped, and not buffered without bound:
    the other client is answered meanwhile, the emulator's memory grows by
    far less than the fifty replies (14 MB), and they all arrive, whole and
    in order, once it reads."""
    n = 1400
    emu, ctl = start(emulator, tmp_path, n=n)
    st = ctl.status()
    assert [m["index"] for m in st["modems"]] == list(range(n))
    size = len(ctl.request_raw(b"status"))
    assert size > 256 * 1024, size
    before = vm_rss_kib(emu.proc.pid)
    lazy = Control(ctl_path(tmp_path), timeout=30)
    lazy.sock.sendall(b"status\n" * 50)
    for _ in range(20):  # the other client is answered while lazy's replies wait
        assert ctl.request("fault list") == "[]"
    grown = vm_rss_kib(emu.proc.pid) - before
    assert grown < 50 * size // 1024 // 4, (grown, size)
    buf = b""
    for _ in range(50):
        while b"\n" not in buf:
            chunk = lazy.sock.recv(1 << 20)
            assert chunk, "the emulator dropped the client that did not read"
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        assert len(line) == size and line.endswith(b"]}"), line[-40:]
    lazy.close()


def test_status_shows_the_keepalive_ciptka_set_on_the_socket(emulator, tmp_path):
    """AT+CIPTKA's values reach the kernel: `status` reads them back from the
    link's socket (its answer no longer rests on an unchecked setsockopt),
    and a link opened after AT+CIPTKA=0 has none."""
    with start_tls_echo(mode="echo") as srv:
        emu, ctl, m = tcpip_modem(emulator, tmp_path, srv, tls=False)
        m.exchange(b"AT+CIPTKA=1,45,35,4\r", at_ok(b"AT+CIPTKA=1,45,35,4\r"))
        connect(m)
        assert [link["keepalive"] for link in ctl.status()["modems"][0]["links"]] == [[45, 35, 4]]
        m.write(b"AT+CIPCLOSE\r")
        m.expect(b"CLOSE OK\r\n")
        m.exchange(b"AT+CIPTKA=0\r", at_ok(b"AT+CIPTKA=0\r"))
        connect(m)
        assert [link["keepalive"] for link in ctl.status()["modems"][0]["links"]] == [False]
