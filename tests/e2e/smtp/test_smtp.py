"""AT+EMAIL*/AT+SMTP* against a real SMTP server on loopback (aiosmtpd,
tests/servers/mail.py): the SSL note's examples 3.1/3.2 checked on the
server side, the Email note's plain example with To/Cc/Bcc, attachments
streamed with AT+SMTPFT, UTF-8, dot-stuffing, and every +SMTPSEND code from
a real cause."""
import base64
import hashlib
import re
import socket
import sys
import threading
from pathlib import Path

import pytest

from net import at_ok, sandbox_args

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "servers"))
from mail import start_smtp  # noqa: E402

ERROR = b"\r\nERROR\r\n"
SEND = re.compile(rb"\r\n\+SMTPSEND: (\d+)\r\n")
BODY = b"This is a new Email"


def ok(m, line, timeout=5):
    m.exchange(line + b"\r", at_ok(line + b"\r"), timeout=timeout)


def mail_modem(emulator, maps, *extra, ca="root.crt"):
    _, m = emulator.modem(*sandbox_args(maps, ca=ca), *extra)
    ok(m, b'AT+SAPBR=3,1,"APN","CMNET"')
    ok(m, b"AT+SAPBR=1,1")
    ok(m, b"AT+EMAILCID=1")
    ok(m, b"AT+EMAILTO=30")
    return m


def body(m, data):
    line = b"AT+SMTPBODY=%d\r" % len(data)
    m.exchange(line, line + b"\r\nDOWNLOAD\r\n")
    m.exchange(data, b"\r\nOK\r\n")


def note_mail(m, ssl, user=b"account", password=b"password"):
    """SSL note 3.1/3.2 up to AT+SMTPSEND."""
    ok(m, b"AT+EMAILSSL=%d" % ssl)
    ok(m, b'AT+SMTPSRV="SMTP.GMAIL.COM"')
    ok(m, b'AT+SMTPAUTH=1,"%s","%s"' % (user, password))
    ok(m, b'AT+SMTPFROM="account@GMAIL.COM","account"')
    ok(m, b'AT+SMTPSUB="Test"')
    ok(m, b'AT+SMTPRCPT=0,0,"john@sim.com","john"')
    body(m, BODY)


def start_send(m):
    """AT+SMTPSEND's OK (what follows is the URCs')."""
    assert not m.buf
    m.write(b"AT+SMTPSEND\r")
    assert m.expect(b"\r\nOK\r\n", timeout=5) == at_ok(b"AT+SMTPSEND\r")


def send(m, timeout=30):
    """AT+SMTPSEND: OK, then +SMTPSEND: <code>."""
    start_send(m)
    got = m.expect(b"\r\n", timeout=timeout) + m.expect(b"\r\n", timeout=timeout)
    mt = SEND.fullmatch(got)
    assert mt, got
    return int(mt.group(1))


def check_note_message(msg):
    assert msg["mail_from"] == "account@GMAIL.COM"
    assert msg["rcpt_tos"] == ["john@sim.com"]
    assert msg["auth"] and msg["auth"]["user"] == "account"
    assert msg["tls"] and msg["accepted"]
    e = msg.email()
    assert e["Subject"] == "Test"
    assert e["To"].addresses[0].addr_spec == "john@sim.com"
    assert e["From"].addresses[0].addr_spec == "account@GMAIL.COM"
    assert e["From"].addresses[0].display_name == "account"
    assert e["Date"] and e["Message-ID"]
    assert e.get_content() == "This is a new Email\r\n"
    assert msg.data.endswith(b"\r\n\r\nThis is a new Email\r\n")


def test_note_3_1_starttls_server_side(emulator):
    with start_smtp(mode="starttls-required") as srv:
        m = mail_modem(emulator, [("smtp.gmail.com:25", srv)])
        note_mail(m, 2)
        assert send(m) == 1
        msg = srv.wait_message()
        check_note_message(msg)
        assert msg["starttls"] and not msg["implicit_tls"]
        sess = srv.wait_session()
        assert sess["transcript"][-1][0] in ("S", "C")
        assert any(d == "C" and t.startswith("QUIT") for d, t in sess["transcript"])


def test_note_3_2_smtps_server_side(emulator):
    with start_smtp(mode="smtps") as srv:
        m = mail_modem(emulator, [("smtp.gmail.com:465", srv)])
        note_mail(m, 1)
        assert send(m) == 1
        msg = srv.wait_message()
        check_note_message(msg)
        assert msg["implicit_tls"] and not msg["starttls"]
        assert msg["tls_version"] == "TLSv1"   # the classic profile's TLS 1.0


def test_email_note_plain_to_cc_bcc_and_settings_kept(emulator):
    with start_smtp(mode="plain", cert_name=None, hostname="mail.sim.com") as srv:
        m = mail_modem(emulator, [("mail.sim.com:25", srv)])
        ok(m, b'AT+SMTPSRV="mail.sim.com",25')
        ok(m, b'AT+SMTPAUTH=1,"john","123456"')
        ok(m, b'AT+SMTPFROM="john@sim.com","john"')
        ok(m, b'AT+SMTPRCPT=0,0,"john@sim.com","john"')
        ok(m, b'AT+SMTPRCPT=0,1,"anna@sim.com"')
        ok(m, b'AT+SMTPRCPT=1,0,"cc@sim.com","Carbon Copy"')
        ok(m, b'AT+SMTPRCPT=2,0,"hidden@sim.com","Hidden"')
        ok(m, b'AT+SMTPSUB="Test"')
        body(m, b"line one\r\n.starts with a dot\r\n..two dots\r\n.\r\nend")
        assert send(m) == 1
        msg = srv.wait_message()
        assert msg["rcpt_tos"] == ["john@sim.com", "anna@sim.com", "cc@sim.com", "hidden@sim.com"]
        assert not msg["tls"]
        e = msg.email()
        assert [a.addr_spec for a in e["To"].addresses] == ["john@sim.com", "anna@sim.com"]
        assert e["Cc"].addresses[0].display_name == "Carbon Copy"
        assert e["Bcc"] is None and b"hidden@sim.com" not in msg.data
        # Dot-stuffed on the wire, intact after unstuffing.
        assert msg.data.endswith(b"line one\r\n.starts with a dot\r\n..two dots\r\n.\r\nend\r\n")
        assert b"\r\n..starts with a dot\r\n...two dots\r\n..\r\n" in msg.wire
        # The settings stay (NO_SAVE: only a restart clears them): a second send.
        assert send(m) == 1
        assert srv.wait_message()["rcpt_tos"][0] == "john@sim.com"


def test_read_and_test_forms_and_recipient_clearing(emulator, modem):
    m = modem
    assert m.cmd(b"AT+EMAILSSL=?\r") == b"AT+EMAILSSL=?\r\r\n+EMAILSSL: (0-2)\r\n\r\nOK\r\n"
    assert m.cmd(b"AT+EMAILSSL?\r") == b"AT+EMAILSSL?\r\r\n+EMAILSSL: 0\r\n\r\nOK\r\n"
    assert m.cmd(b"AT+EMAILCID=?\r") == b"AT+EMAILCID=?\r\r\n+EMAILCID: (1-3)\r\n\r\nOK\r\n"
    assert m.cmd(b"AT+EMAILTO?\r") == b"AT+EMAILTO?\r\r\n+EMAILTO: 30\r\n\r\nOK\r\n"
    assert m.cmd(b"AT+EMAILTO=9\r").endswith(ERROR)
    assert m.cmd(b"AT+EMAILSSL=3\r").endswith(ERROR)
    ok(m, b'AT+SMTPSRV="smtp.example.com"')
    assert b'+SMTPSRV: "smtp.example.com",25\r\n' in m.cmd(b"AT+SMTPSRV?\r")
    ok(m, b"AT+EMAILSSL=1")
    assert b'+SMTPSRV: "smtp.example.com",465\r\n' in m.cmd(b"AT+SMTPSRV?\r")
    ok(m, b'AT+SMTPRCPT=0,0,"a@x.com","A"')
    ok(m, b'AT+SMTPRCPT=0,1,"b@x.com"')
    ok(m, b'AT+SMTPRCPT=1,0,"c@x.com","C"')
    # One CR LF between entries (manual §14.2.6), no empty line.
    assert m.cmd(b"AT+SMTPRCPT?\r") == (b'AT+SMTPRCPT?\r\r\n+SMTPRCPT: 0,0,"a@x.com","A"\r\n'
                                        b'+SMTPRCPT: 0,1,"b@x.com",""\r\n'
                                        b'+SMTPRCPT: 1,0,"c@x.com","C"\r\n\r\nOK\r\n')
    ok(m, b"AT+SMTPRCPT=0,0")
    ok(m, b"AT+SMTPRCPT=1")
    assert m.cmd(b"AT+SMTPRCPT?\r") == b'AT+SMTPRCPT?\r\r\n+SMTPRCPT: 0,1,"b@x.com",""\r\n\r\nOK\r\n'
    assert m.cmd(b"AT+SMTPAUTH=0,\"u\",\"p\"\r").endswith(ERROR)
    assert m.cmd(b"AT+SMTPFILE=2,\"a.bin\",0\r").endswith(ERROR)   # binary needs base64
    ok(m, b'AT+SMTPFILE=2,"a.bin",1')
    assert b'+SMTPFILE: 2,"a.bin",1\r\n' in m.cmd(b"AT+SMTPFILE?\r")
    assert b'+SMTPCS: "ASCII"\r\n' in m.cmd(b"AT+SMTPCS?\r")
    ok(m, b'AT+SMTPCS="UTF-8"')
    assert m.cmd(b'AT+SMTPSUB="not hex"\r').endswith(ERROR)
    assert m.cmd(b"AT+SMTPFT=1\r").endswith(ERROR)     # no send in progress
    assert m.cmd(b"AT+SMTPSEND=?\r") == at_ok(b"AT+SMTPSEND=?\r")


def test_body_prompt_form_ctrl_z_and_esc(emulator):
    with start_smtp(mode="plain", cert_name=None) as srv:
        m = mail_modem(emulator, [("mail.sim.com:25", srv)])
        ok(m, b'AT+SMTPSRV="mail.sim.com"')
        ok(m, b'AT+SMTPFROM="john@sim.com"')
        ok(m, b'AT+SMTPRCPT=0,0,"john@sim.com"')
        m.exchange(b"AT+SMTPBODY\r", b"AT+SMTPBODY\r\r\n> ")
        m.write(b"typed body\x1a")
        m.expect(b"\r\nOK\r\n")
        m.take()
        m.exchange(b"AT+SMTPBODY\r", b"AT+SMTPBODY\r\r\n> ")
        m.write(b"dropped\x1b")
        m.expect(b"OK\r\n")
        m.take()
        assert send(m) == 1
        assert srv.wait_message().email().get_content() == "typed body\r\n"


def test_utf8_subject_and_body(emulator):
    subject = "Grüße – 测试"
    text = "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich.\r\nМир\r\n"
    with start_smtp(mode="plain", cert_name=None) as srv:
        m = mail_modem(emulator, [("mail.sim.com:25", srv)])
        ok(m, b'AT+SMTPSRV="mail.sim.com"')
        ok(m, b'AT+SMTPFROM="john@sim.com","john"')
        ok(m, b'AT+SMTPRCPT=0,0,"john@sim.com"')
        ok(m, b'AT+SMTPCS="UTF-8"')
        ok(m, b'AT+SMTPSUB="%s"' % subject.encode().hex().upper().encode())
        body(m, text.encode().hex().encode())
        assert send(m) == 1
        e = srv.wait_message().email()
        assert e["Subject"] == subject
        assert e.get_content_charset() == "utf-8"
        assert e.get_content().replace("\r\n", "\n") == text.replace("\r\n", "\n")


def stream(m, data, chunk=1360):
    """The host's side of AT+SMTPFT: wait for +SMTPFT: 1, send a chunk, ... =0."""
    off = 0
    while True:
        got = m.expect(b"\r\n", timeout=10) + m.expect(b"\r\n", timeout=10)
        mt = re.fullmatch(rb"\r\n\+SMTPFT: 1,(\d+)\r\n", got)
        assert mt, got
        if off >= len(data):
            m.write(b"AT+SMTPFT=0\r")
            assert m.expect(b"\r\nOK\r\n") == at_ok(b"AT+SMTPFT=0\r")
            return
        n = min(chunk, int(mt.group(1)), len(data) - off)
        line = b"AT+SMTPFT=%d\r" % n
        m.exchange(line, line + b"\r\n+SMTPFT: 2,%d\r\n" % n)
        m.write(data[off:off + n])
        assert m.expect(b"\r\nOK\r\n") == b"\r\nOK\r\n"
        off += n


@pytest.mark.parametrize("kind", ["binary", "text"])
def test_attachment_streamed_with_smtpft(emulator, kind):
    with start_smtp(mode="smtps") as srv:
        m = mail_modem(emulator, [("smtp.gmail.com:465", srv)])
        note_mail(m, 1)
        if kind == "binary":
            raw = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(100 * 1024))
            ok(m, b'AT+SMTPFILE=2,"photo.bin",1')
            wire = base64.b64encode(raw)          # the host encodes (SIM800 AT Command Manual V1.09 §14.2.9)
        else:
            raw = b"".join(b"text line %d\r\n" % i for i in range(300)) + b".dot line\r\n.\r\nlast\r\n"
            ok(m, b'AT+SMTPFILE=1,"test.txt",0')
            wire = raw
        start_send(m)
        stream(m, wire)
        got = m.expect(b"\r\n", timeout=30) + m.expect(b"\r\n", timeout=30)
        assert got == b"\r\n+SMTPSEND: 1\r\n"
        msg = srv.wait_message()
        e = msg.email()
        assert e.get_content_type() == "multipart/mixed"
        parts = list(e.iter_attachments())
        assert len(parts) == 1
        att = parts[0]
        assert att.get_filename() == ("photo.bin" if kind == "binary" else "test.txt")
        payload = att.get_payload(decode=True)
        assert hashlib.sha256(payload).hexdigest() == hashlib.sha256(raw).hexdigest()
        text = next(e.iter_parts())
        assert text.get_content() == "This is a new Email"   # the CR LF is the boundary's
        assert max(len(line) for line in msg.wire.split(b"\r\n")) <= 998


def test_two_attachments_one_binary_100k(emulator):
    # [email] attachments = 2: each AT+SMTPFILE with a new name adds one; the
    # host streams them in order, AT+SMTPFT=0 ending each.
    raw = bytes((i * 13 + (i >> 9)) & 0xFF for i in range(100 * 1024))
    text = b"first line\r\n.a dot line\r\n.\r\nlast line\r\n"
    with start_smtp(mode="starttls") as srv:
        m = mail_modem(emulator, [("smtp.gmail.com:25", srv)], "-s", "email.attachments=2")
        note_mail(m, 2)
        ok(m, b'AT+SMTPFILE=1,"notes.txt",0')
        ok(m, b'AT+SMTPFILE=2,"photo.jpg",1')
        assert m.cmd(b"AT+SMTPFILE?\r") == (b'AT+SMTPFILE?\r\r\n+SMTPFILE: 1,"notes.txt",0\r\n'
                                            b'+SMTPFILE: 2,"photo.jpg",1\r\n\r\nOK\r\n')
        assert m.cmd(b'AT+SMTPFILE=1,"third.txt",0\r').endswith(ERROR)   # only two
        start_send(m)
        stream(m, text)
        stream(m, base64.b64encode(raw), chunk=1000)
        assert m.expect(b"\r\n", timeout=30) + m.expect(b"\r\n", timeout=30) == b"\r\n+SMTPSEND: 1\r\n"
        msg = srv.wait_message()
        assert msg["starttls"]
        atts = list(msg.email().iter_attachments())
        assert [a.get_filename() for a in atts] == ["notes.txt", "photo.jpg"]
        assert atts[0].get_payload(decode=True) == text
        assert atts[1].get_payload(decode=True) == raw
        assert atts[1].get_content_type() == "application/octet-stream"
        assert atts[1]["Content-Transfer-Encoding"] == "base64"
        ok(m, b"AT+SMTPFILE=0")
        assert m.cmd(b"AT+SMTPFILE?\r") == b'AT+SMTPFILE?\r\r\n+SMTPFILE: 0,"",0\r\n\r\nOK\r\n'


def test_one_attachment_by_default_a_new_description_replaces(emulator, modem):
    ok(modem, b'AT+SMTPFILE=1,"a.txt",0')
    ok(modem, b'AT+SMTPFILE=2,"b.bin",1')
    assert modem.cmd(b"AT+SMTPFILE?\r") == b'AT+SMTPFILE?\r\r\n+SMTPFILE: 2,"b.bin",1\r\n\r\nOK\r\n'


def test_attachment_ft_before_urc_and_too_long_are_errors(emulator):
    with start_smtp(mode="plain", cert_name=None) as srv:
        m = mail_modem(emulator, [("mail.sim.com:25", srv)])
        ok(m, b'AT+SMTPSRV="mail.sim.com"')
        ok(m, b'AT+SMTPFROM="john@sim.com"')
        ok(m, b'AT+SMTPRCPT=0,0,"john@sim.com"')
        ok(m, b'AT+SMTPFILE=1,"a.txt",0')
        start_send(m)
        m.expect(b"+SMTPFT: 1,1360\r\n", timeout=10)
        assert m.cmd(b"AT+SMTPFT=1361\r").endswith(ERROR)
        m.exchange(b"AT+SMTPFT=3\r", b"AT+SMTPFT=3\r\r\n+SMTPFT: 2,3\r\n")
        m.write(b"abc")
        assert m.expect(b"\r\nOK\r\n") == b"\r\nOK\r\n"
        m.expect(b"+SMTPFT: 1,1360\r\n", timeout=10)
        m.write(b"AT+SMTPFT=0\r")
        assert m.expect(b"\r\nOK\r\n") == at_ok(b"AT+SMTPFT=0\r")
        assert m.expect(b"+SMTPSEND: 1\r\n", timeout=10)
        att = list(srv.wait_message().email().iter_attachments())[0]
        assert att.get_payload(decode=True) == b"abc"


# --- every code from a real cause ---

def one_send(m, maps_host=b"SMTP.GMAIL.COM", ssl=0, user=b"account", password=b"password"):
    ok(m, b"AT+EMAILSSL=%d" % ssl)
    ok(m, b'AT+SMTPSRV="%s"' % maps_host)
    ok(m, b'AT+SMTPAUTH=1,"%s","%s"' % (user, password))
    ok(m, b'AT+SMTPFROM="account@GMAIL.COM","account"')
    ok(m, b'AT+SMTPRCPT=0,0,"john@sim.com","john"')
    body(m, BODY)
    return send(m)


@pytest.mark.parametrize("user,password", [(b"account", b"wrong"), (b"nobody", b"password")])
def test_67_wrong_password_or_unknown_user(emulator, user, password):
    with start_smtp(mode="starttls") as srv:
        m = mail_modem(emulator, [("smtp.gmail.com:25", srv)])
        assert one_send(m, ssl=2, user=user, password=password) == 67
        assert srv.messages() == []
        sess = srv.wait_session()
        assert sess["auth_attempts"] and not sess["auth_attempts"][0]["success"]


def test_67_with_login_and_cram_md5(emulator):
    for mech in ("LOGIN", "CRAM-MD5"):
        with start_smtp(mode="plain", cert_name=None, auth_mechanisms=(mech,)) as srv:
            m = mail_modem(emulator, [("smtp.gmail.com:25", srv)])
            assert one_send(m, password=b"wrong") == 67
            assert one_send(m) == 1
            assert srv.wait_message()["auth"]["mechanism"] == mech


def test_71_no_starttls_in_mode_2(emulator):
    with start_smtp(mode="plain", cert_name=None) as srv:
        m = mail_modem(emulator, [("smtp.gmail.com:25", srv)])
        assert one_send(m, ssl=2) == 71
        assert srv.messages() == []
        sess = srv.wait_session()
        assert not any(t.startswith("AUTH") for d, t in sess["transcript"] if d == "C")


def test_tls12_only_server_against_classic_profile_then_tls12_profile(emulator):
    with start_smtp(mode="smtps", tls12_only=True) as srv:
        m = mail_modem(emulator, [("smtp.gmail.com:465", srv)])
        assert one_send(m, ssl=1) == 72   # the server's protocol_version alert
        assert srv.messages() == []
        c = mail_modem(emulator, [("smtp.gmail.com:465", srv)], "-p", "sim800c-tls12")
        assert one_send(c, ssl=1) == 1
        assert srv.wait_message()["tls_version"] == "TLSv1.2"


def test_61_bearer_not_open(emulator):
    with start_smtp(mode="plain", cert_name=None) as srv:
        _, m = emulator.modem(*sandbox_args([("smtp.gmail.com:25", srv)]))
        ok(m, b'AT+SMTPSRV="SMTP.GMAIL.COM"')
        ok(m, b'AT+SMTPFROM="account@GMAIL.COM"')
        ok(m, b'AT+SMTPRCPT=0,0,"john@sim.com"')
        assert send(m) == 61
        assert srv.sessions() == []


def test_62_dns_and_63_refused(emulator):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed_port = s.getsockname()[1]
    s.close()
    m = mail_modem(emulator, [("smtp.gmail.com:25", closed_port)])
    assert one_send(m, maps_host=b"unmapped.example") == 62
    assert one_send(m) == 63


def test_64_server_silent(emulator):
    with start_smtp(mode="plain", cert_name=None, greeting_delay=15) as srv:
        m = mail_modem(emulator, [("smtp.gmail.com:25", srv)])
        ok(m, b"AT+EMAILTO=10")
        assert one_send(m) == 64


def test_65_66_68_server_verdicts(emulator):
    with start_smtp(mode="plain", cert_name=None, auth_required=True,
                    reject_rcpt=("john@sim.com",)) as srv:
        m = mail_modem(emulator, [("smtp.gmail.com:25", srv)])
        ok(m, b'AT+SMTPSRV="SMTP.GMAIL.COM"')
        ok(m, b'AT+SMTPFROM="account@GMAIL.COM"')
        ok(m, b'AT+SMTPRCPT=0,0,"john@sim.com"')
        body(m, BODY)
        assert send(m) == 66      # no AUTH configured, the server wants it
        ok(m, b'AT+SMTPAUTH=1,"account","password"')
        assert send(m) == 68      # john@sim.com refused
    with start_smtp(mode="plain", cert_name=None, data_status="554 5.6.0 Message rejected") as srv:
        m = mail_modem(emulator, [("smtp.gmail.com:25", srv)])
        assert one_send(m) == 65
        assert srv.wait_message()["accepted"] is False


def test_bearer_closed_during_attachment_gives_61(emulator):
    with start_smtp(mode="plain", cert_name=None) as srv:
        m = mail_modem(emulator, [("mail.sim.com:25", srv)])
        ok(m, b'AT+SMTPSRV="mail.sim.com"')
        ok(m, b'AT+SMTPFROM="john@sim.com"')
        ok(m, b'AT+SMTPRCPT=0,0,"john@sim.com"')
        ok(m, b'AT+SMTPFILE=1,"a.txt",0')
        start_send(m)
        m.expect(b"+SMTPFT: 1,1360\r\n", timeout=10)
        m.write(b"AT+SAPBR=0,1\r")
        m.expect(b"+SMTPSEND: 61\r\n", timeout=10)
        m.read_for(0.3)
        assert m.cmd(b"AT+SMTPFT=0\r").endswith(ERROR)
        assert srv.messages() == []


# --- hostile servers: a code, never a crash, a hang or unbounded memory ---

class Scripted:
    """A one-connection-at-a-time TCP server running script(conn) per client."""

    def __init__(self, script):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.script = script
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                self.script(c)
            except OSError:
                pass
            finally:
                c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


def lines_of(c):
    f = c.makefile("rb")
    while True:
        line = f.readline()
        if not line:
            return
        yield line


def endless_greeting(c):
    c.sendall(b"220-")
    try:
        while True:
            c.sendall(b"A" * 65536)
    except OSError:
        pass


def garbage_after_ehlo(c):
    c.sendall(b"220 hi\r\n")
    for _ in lines_of(c):
        c.sendall(b"this is not smtp\r\n")


def close_after_ehlo(c):
    c.sendall(b"220 hi\r\n")
    for _ in lines_of(c):
        return


def endless_reply(c):
    c.sendall(b"220 hi\r\n")
    for _ in lines_of(c):
        try:
            while True:
                c.sendall(b"250-more\r\n" * 1000)
        except OSError:
            return


@pytest.mark.parametrize("script,code", [(endless_greeting, 65), (garbage_after_ehlo, 65),
                                         (close_after_ehlo, 61), (endless_reply, 65)])
def test_hostile_server(emulator, script, code):
    with Scripted(script) as srv:
        m = mail_modem(emulator, [("smtp.gmail.com:25", srv.port)])
        assert one_send(m) == code
        assert m.cmd(b"AT\r") == at_ok(b"AT\r")


def test_not_smtp_and_pop3_at_once(emulator):
    # The manual (ch. 14): the module does not run SMTP and POP3 together.
    from mail import start_pop3
    with start_smtp(mode="plain", cert_name=None) as srv, start_pop3() as pop:
        m = mail_modem(emulator, [("smtp.gmail.com:25", srv), ("mail.sim.com:110", pop.port)])
        ok(m, b'AT+POP3SRV="mail.sim.com","john","123456"')
        m.write(b"AT+POP3IN\r")
        m.expect(b"+POP3IN: 1\r\n", timeout=10)
        m.take()
        ok(m, b'AT+SMTPSRV="SMTP.GMAIL.COM"')
        ok(m, b'AT+SMTPFROM="account@GMAIL.COM"')
        ok(m, b'AT+SMTPRCPT=0,0,"john@sim.com"')
        body(m, BODY)
        assert m.cmd(b"AT+SMTPSEND\r").endswith(ERROR)
        m.write(b"AT+POP3OUT\r")
        m.expect(b"+POP3OUT: 1\r\n", timeout=10)
        m.take()
        ok(m, b'AT+SMTPFILE=1,"a.txt",0')      # the send waits for the attachment
        start_send(m)
        m.expect(b"+SMTPFT: 1,1360\r\n", timeout=10)
        assert m.cmd(b"AT+POP3IN\r") == b"AT+POP3IN\r\r\nERROR\r\n"
        m.write(b"AT+SMTPFT=0\r")
        m.expect(b"+SMTPSEND: 1\r\n", timeout=10)
        m.take()
        assert urc_line(m, b"AT+POP3IN") == b"+POP3IN: 1"


def urc_line(m, line, timeout=10):
    assert not m.buf
    m.write(line + b"\r")
    m.expect(b"\r\nOK\r\n", timeout=5)
    return (m.expect(b"\r\n", timeout=timeout) + m.expect(b"\r\n", timeout=timeout))[2:-2]
