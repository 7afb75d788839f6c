"""Faults on every TLS path (README "Fault injection"): in-place upgrades
(STARTTLS, STLS, AUTH TLS) and accepted connections (active-mode FTP data)
meet the fault layer, the trace and `status` like any other connection; a
rule that can never match is refused with its reason.  The SSL note's
examples with each of their codes are golden transcripts
(tests/golden/ssl_note_*_fault_*.txt); this file holds what a transcript
cannot show."""
import re
import sys
import time
from pathlib import Path

import pytest

from conftest import run_cli
from net import sandbox_args

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "scripts" / "python"))
sys.path.insert(0, str(REPO / "tests" / "e2e" / "ftp"))
from ftplib_at import SERVER, ftp_modem, setting, vsftpd, wait_urc  # noqa: E402
from sim800emu import Control, ControlError  # noqa: E402


def start(emulator, tmp_path, *args):
    ctl = str(tmp_path / "ctl.sock")
    emu = emulator.start("--control", ctl, *args)
    return emu, Control(ctl)


@pytest.mark.parametrize("rule,why", [
    ("service=sms dns", "service=sms: no connection has that tag (the tags: tcpip http ftp "
                        "ftp-data smtp pop3 ntp)"),
    ("tag=ftpdata tls-alert=none", "tag=ftpdata: no connection has that tag"),
    ("tag=ftp-data service=smtp refuse", "service=smtp tag=ftp-data: no connection"),
    ("cmd=+NOSUCH result=OK", "cmd=+NOSUCH: the profile has no such command"),
    ("cmd=+CSQ service=http result=OK", "service=http: AT+CSQ belongs to modem"),
    ("cmd=+CSQ service=nosuch result=OK", "service=nosuch: AT+CSQ belongs to modem"),
    ("service=ftp reply-to=STLS reply=\"502 no\"", "reply-to=STLS: no ftp connection sends it "
                                                    "(ftp: AUTH USER PASS"),
    ("reply-to=HELLO reply=\"502 no\"", "reply-to=HELLO: no FTP, SMTP or POP3 connection sends "
                                        "it"),
    ("service=http reply-to=GET reply=\"500 no\"", "reply-to=GET: no http connection sends it"),
    ("service=pop3 reply-to=STLS reply=\"454 no\"", "a POP3 server answers +OK or -ERR"),
    ("service=smtp reply-to=STARTTLS reply=\"-ERR no\"", "an FTP or SMTP server answers NNN"),
    ("reply-to=USER reply=\"-ERR no\"", "an FTP or SMTP server answers NNN text, 100 to 599 "
                                        "(add service= to choose the protocol)"),
    ("service=smtp reply-to=DATA reply=\"600 no\"", "answers NNN text, 100 to 599"),
])
def test_a_rule_that_cannot_match_is_refused(emulator, tmp_path, rule, why):
    emu, ctl = start(emulator, tmp_path)
    with pytest.raises(ControlError) as e:
        ctl.add(rule)
    assert why in str(e.value), str(e.value)
    assert ctl.rules() == []
    # The same rules are fine where they can match.
    for good in ("service=ftp dns", "tag=ftp-data tls-alert=none", "cmd=+CSQ result=OK",
                 "cmd=+HTTPACTION service=http result=OK", "cmd=+CSQ service=modem result=OK",
                 "service=pop3 reply-to=STLS reply=\"-ERR no\"", "reply-to=USER reply=\"+OK\" "
                 "service=pop3", "reply-to=. reply=\"554 no\""):
        ctl.add(good)
    assert len(ctl.rules()) == 8


def test_fault_option_refuses_an_unreachable_rule_at_start():
    r = run_cli("--fault", "service=sms dns")
    assert r.returncode == 2
    assert "--fault service=sms dns: service=sms: no connection has that tag" in r.stderr


def test_auth_tls_handshake_fails_by_a_service_rule(emulator, tmp_path):
    """`service=ftp tls-alert=none` used to pass AUTH TLS by (the conn opened
    plain) and fire on the data connection: now the control connection's
    in-place handshake takes it, as the trace and `fault list` show, and no
    data connection is ever opened."""
    trace = tmp_path / "trace.txt"
    with vsftpd.start_vsftpd("explicit") as srv:
        ctl_path = str(tmp_path / "ctl.sock")
        m = ftp_modem(emulator, srv, "--control", ctl_path, "--trace", trace, ssl=2, mode=0)
        with Control(ctl_path) as ctl:
            ctl.add("service=ftp tls-alert=none")
            setting(m, b'AT+FTPGETNAME="1K.txt"')
            setting(m, b'AT+FTPGETPATH="/"')
            m.write(b"AT+FTPGET=1\r")
            assert wait_urc(m) == (80, None)
            [rule] = ctl.rules()
            assert (rule["matched"], rule["fired"], rule["left"]) == (1, 1, 0)
    text = trace.read_text()
    assert re.search(r"m0 fault -- rule 1 fired on ftp %s:21 \(in-place TLS\): service=ftp "
                     r"tls-alert=none" % re.escape(SERVER), text), text[-3000:]
    assert "ftp-data" not in text
    # The FTP trace names the step and the fact, without a stray number.
    assert "m0 ftp -- failed at AUTH TLS handshake: tls-handshake\n" in text
    # The host map's line is the modem's, not "m-1".
    assert re.search(r"m0 net -- map %s:21 -> 127\.0\.0\.1:\d+" % re.escape(SERVER), text)
    assert " m-1 " not in text


def test_an_active_mode_data_connection_is_in_status_and_meets_the_rules(emulator, tmp_path):
    """The server's connection back (AT+FTPMODE=0, the module's default)
    is built by the same constructor as every other: `status` lists it while
    it is open, and a stall rule on it holds the transfer, then lets it end
    complete."""
    body = bytes(range(256)) * 64
    with vsftpd.start_vsftpd("plain", files={"stall.bin": body}) as srv:
        ctl_path = str(tmp_path / "ctl.sock")
        m = ftp_modem(emulator, srv, "--control", ctl_path, mode=0)
        with Control(ctl_path) as ctl:
            rule = ctl.add("tag=ftp-data stall=3")
            setting(m, b'AT+FTPGETNAME="stall.bin"')
            setting(m, b'AT+FTPGETPATH="/"')
            m.write(b'AT+FTPGETTOFS=0,"stall.bin"\r')
            m.expect(b"\r\nOK\r\n")
            deadline = time.monotonic() + 10
            links = []
            while time.monotonic() < deadline:
                links = ctl.status()["modems"][0]["links"]
                if any(link["tag"] == "ftp-data" for link in links):
                    break
                time.sleep(0.05)
            assert any(link["tag"] == "ftp-data" and link["state"] == "connected"
                       for link in links), links
            assert [r["fired"] for r in ctl.rules() if r["id"] == rule] == [1]
            m.expect(b"\r\n+FTPGETTOFS: 0,%d\r\n" % len(body), timeout=20)
        m.exchange(b"AT+FSFLSIZE=C:\\User\\ftp\\stall.bin\r",
                   b"\r\n+FSFLSIZE: %d\r\n\r\nOK\r\n" % len(body))


def test_paced_trace_stamps_bytes_as_they_leave(emulator, tmp_path):
    """Under pacing the trace shows the wire: at 9600 baud (960 characters a
    second) the answer's line is stamped when its last byte has crossed the
    line, at least (n - 1) character times after the command's last byte
    reached the module, and the command's bytes when they arrive."""
    trace = tmp_path / "trace.txt"
    _, m = emulator.modem("--trace", trace, "-s", "timing.pace=true", "-s", "boot.ipr=9600")
    m.write(b"ATI\r")
    m.expect(b"OK\r\n", timeout=5)
    # The trace line is written once the write to the PTY has returned: the
    # client may read the bytes first, so wait for the line.
    deadline = time.monotonic() + 5
    while True:
        lines = [line.split(" ", 4) for line in trace.read_text().splitlines()]
        pty = [(float(t), d, b) for t, _, ch, d, b in (x for x in lines if len(x) == 5)
               if ch == "pty"]
        cr_in = [t for t, d, b in pty if d == "<<" and b.endswith('<CR>"')]
        answer = [t for t, d, b in pty if d == ">>" and "SIM800 R14.18" in b]
        if (cr_in and answer) or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert cr_in and answer, trace.read_text()[-1500:]
    n = len(b"\r\nSIM800 R14.18\r\n\r\nOK\r\n")
    assert answer[-1] - cr_in[-1] >= (n - 1) / 960.0, (cr_in, answer)
