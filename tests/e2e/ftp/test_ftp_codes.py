"""Every FTP code from a real cause (SIM800 AT Command Manual V1.09 §12.2.14; SIM800 SSL Application Note V1.00 §2.3 and examples 3.6–3.7; our choice where the manual is silent): vsftpd and the rig's
misbehaving servers on loopback, the sandbox for names and addresses that
are not mapped, and a scripted server where the fault is in the control
dialogue itself."""
import os
import socket
import threading

import pytest

from ftplib_at import SERVER, download, ftp_modem, setting, upload, vsftpd, wait_urc


def get(m, name=b"1K.txt"):
    setting(m, b'AT+FTPGETNAME="%s"' % name)
    setting(m, b'AT+FTPGETPATH="/"')
    return download(m)


class Scripted:
    """A control connection that answers from a script: {command verb: reply};
    None as a reply means never answer.  greeting None: never greet."""

    def __init__(self, script, greeting="220 scripted", tls=False):
        self.script, self.greeting = script, greeting
        self.ctx = None
        if tls:  # implicit TLS the classic profile can speak
            import ssl
            import warnings
            from net import pki
            warnings.simplefilter("ignore", DeprecationWarning)
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.minimum_version = ssl.TLSVersion.TLSv1
            self.ctx.set_ciphers(vsftpd.CLASSIC_CIPHERS)
            self.ctx.load_cert_chain(pki() / "tls.example.test.crt", pki() / "tls.example.test.key")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._session, args=(c,), daemon=True).start()

    def _session(self, c):
        try:
            if self.greeting is None:
                return
            if self.ctx:
                c = self.ctx.wrap_socket(c, server_side=True)
            c.sendall(self.greeting.encode() + b"\r\n")
            f = c.makefile("rb")
            for line in f:
                verb = line.decode().strip().split(" ")[0].upper()
                reply = self.script.get(verb, "502 no")
                if reply is None:
                    continue
                if reply == "ALERT":
                    # A fatal alert record in the clear inside the TLS session
                    # (unexpected_message): the client's record layer fails.
                    os.write(c.fileno(), b"\x15\x03\x01\x00\x02\x02\x0a")
                    continue
                c.sendall(reply.encode() + b"\r\n")
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()
        for c in self.conns:
            c.close()


LOGIN = {"USER": "331 pw", "PASS": "230 ok", "TYPE": "200 ok", "CWD": "250 ok", "QUIT": "221 bye"}


def test_72_wrong_password(emulator):
    """IP Application Note 3.12: a wrong AT+FTPPW gives 72."""
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv, password="3214567")
        assert get(m) == (b"", 72)


def test_71_user_refused_by_tls_only_server(emulator):
    """A TLS-only server refuses USER on a plain connection: 71."""
    with vsftpd.start_fault("tls-only") as srv:
        m = ftp_modem(emulator, srv, ssl=0)
        assert get(m) == (b"", 71)


def test_77_missing_file(emulator):
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv)
        assert get(m, b"nothere.bin") == (b"", 77)
        # the same for SIZE and DELE, and a path that does not exist
        m.write(b"AT+FTPSIZE\r")
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPSIZE: 1,77,0\r\n", timeout=10)
        m.write(b"AT+FTPDELE\r")
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPDELE: 1,77\r\n", timeout=10)


def test_79_download_data_connection_dropped(emulator):
    with vsftpd.start_fault("drop-data") as srv:
        m = ftp_modem(emulator, srv)
        data, code = get(m, b"1M.bin")
        assert code == 79
        assert data == vsftpd.expected("1M.bin")[:len(data)]


def test_79_download_data_connection_reset(emulator):
    with vsftpd.start_fault("reset-data") as srv:
        m = ftp_modem(emulator, srv)
        assert get(m, b"1M.bin")[1] == 79


def test_78_upload_data_connection_dropped(emulator):
    with vsftpd.start_fault("drop-data", drop_after=20000) as srv:
        m = ftp_modem(emulator, srv)
        setting(m, b'AT+FTPPUTNAME="x.bin"')
        setting(m, b'AT+FTPPUTPATH="/upload"')
        assert upload(m, os.urandom(200000)) == 78


def test_80_implicit_tls_against_plain_server(emulator):
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv, ssl=1)
        assert get(m) == (b"", 80)


def test_80_handshake_after_auth_refused_version(emulator):
    """The classic profile's TLS 1.0 against a TLS 1.2-only server after 234."""
    with vsftpd.start_fault("tls12-only") as srv:
        m = ftp_modem(emulator, srv, ssl=2)
        assert get(m) == (b"", 80)


@pytest.mark.parametrize("kind", ["no-tls", "refuse-auth"])
def test_82_auth_refused(emulator, kind):
    with vsftpd.start_fault(kind) as srv:
        m = ftp_modem(emulator, srv, ssl=2)
        assert get(m) == (b"", 82)


def test_83_pbsz_refused(emulator):
    with vsftpd.start_fault("refuse-pbsz") as srv:
        m = ftp_modem(emulator, srv, ssl=2)
        assert get(m) == (b"", 83)


def test_84_prot_refused(emulator):
    with vsftpd.start_fault("refuse-prot") as srv:
        m = ftp_modem(emulator, srv, ssl=2)
        assert get(m) == (b"", 84)


def test_75_pasv_refused(emulator):
    with vsftpd.start_fault("no-pasv") as srv:
        m = ftp_modem(emulator, srv, mode=1)
        assert get(m) == (b"", 75)


def test_76_port_refused(emulator):
    with vsftpd.start_fault("no-port") as srv:
        m = ftp_modem(emulator, srv, mode=0)
        assert get(m) == (b"", 76)


def test_63_unmapped_address(emulator):
    """The sandbox refuses an address the map does not name: a refused connect."""
    m = ftp_modem(emulator, None, maps=[])
    assert get(m) == (b"", 63)


def test_62_name_does_not_resolve(emulator):
    m = ftp_modem(emulator, None, maps=[])
    setting(m, b'AT+FTPSERV="ftp.nowhere.test"')
    assert get(m) == (b"", 62)


def test_61_bearer_not_open(emulator):
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv, bearer=False)
        assert get(m) == (b"", 61)


def test_61_bearer_closed_during_session(emulator):
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv)
        setting(m, b'AT+FTPGETNAME="1M.bin"')
        setting(m, b'AT+FTPGETPATH="/"')
        m.write(b"AT+FTPGET=1\r")
        m.expect(b"\r\nOK\r\n")
        assert wait_urc(m) == (1, None)
        m.write(b"AT+SAPBR=0,1\r")
        got = m.expect(b"\r\n+FTPGET: 1,61\r\n", timeout=10)
        assert b"OK" in got
        m.exchange(b"AT+FTPSTATE\r", b"\r\n+FTPSTATE: 0\r\n\r\nOK\r\n")


def test_66_second_session(emulator):
    """IP Application Note 3.13: a second AT+FTPPUT=1 gives 66; the first goes on."""
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv)
        setting(m, b'AT+FTPPUTNAME="two.txt"')
        setting(m, b'AT+FTPPUTPATH="/upload"')
        m.write(b"AT+FTPPUT=1\r")
        m.expect(b"\r\nOK\r\n")
        assert wait_urc(m, b"PUT") == (1, 1360)
        m.exchange(b"AT+FTPPUT=1\r", b"\r\nOK\r\n\r\n+FTPPUT: 1,66\r\n")
        m.exchange(b"AT+FTPGET=1\r", b"\r\nOK\r\n\r\n+FTPGET: 1,66\r\n")
        m.exchange(b"AT+FTPSTATE\r", b"\r\n+FTPSTATE: 1\r\n\r\nOK\r\n")
        m.exchange(b"AT+FTPPUT=2,5\r", b"\r\n+FTPPUT: 2,5\r\n")
        m.write(b"hello")
        m.expect_exact(b"\r\nOK\r\n\r\n+FTPPUT: 1,1,1360\r\n")
        m.write(b"AT+FTPPUT=2,0\r")
        m.expect(b"\r\nOK\r\n")
        assert wait_urc(m, b"PUT") == (0, None)
        srv.wait_log(r"OK UPLOAD.*two\.txt")
        assert srv.file("upload/two.txt") == b"hello"


def test_64_empty_getname(emulator):
    """IP Application Note 3.13: AT+FTPGET=1 with no file name gives 64."""
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv)
        m.exchange(b"AT+FTPGET=1\r", b"\r\nOK\r\n\r\n+FTPGET: 1,64\r\n")


def test_64_empty_putname(emulator):
    """An empty AT+FTPPUTNAME answers as an empty download name does (IP
    Application Note 3.13: 64), not 66; the server is never contacted."""
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv)
        m.exchange(b"AT+FTPPUT=1\r", b"\r\nOK\r\n\r\n+FTPPUT: 1,64\r\n")
        m.exchange(b"AT+FTPSTATE\r", b"\r\n+FTPSTATE: 0\r\n\r\nOK\r\n")
        assert "CONNECT" not in srv.log()


def test_64_server_stops_answering(emulator):
    with Scripted(dict(LOGIN, USER=None)) as srv:
        m = ftp_modem(emulator, None, "-s", "ftp.reply_timeout_s=2",
                      maps=[(f"{SERVER}:21", srv.port)])
        assert get(m) == (b"", 64)


def test_64_host_never_reads(emulator):
    """IP Application Note 3.11: "1,1" repeated, then 64 when nobody reads; the
    module holds 64 KiB and leaves the rest of 1 MiB in the network."""
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv, "-s", "ftp.ready_repeat_s=1", "-s", "ftp.unread_timeout_s=3")
        setting(m, b'AT+FTPGETNAME="1M.bin"')
        setting(m, b'AT+FTPGETPATH="/"')
        m.write(b"AT+FTPGET=1\r")
        got = m.expect(b"\r\n+FTPGET: 1,64\r\n", timeout=10)
        assert got.count(b"\r\n+FTPGET: 1,1\r\n") >= 2
        m.exchange(b"AT+FTPGET=2,100\r", b"\r\nERROR\r\n")


def test_70_endless_reply(emulator):
    """A hostile server's greeting that never ends: bounded, 70."""
    with Scripted({}, greeting="220-welcome\r\n" + "x" * 200 + ("\r\n" + "y" * 200) * 1000) as srv:
        m = ftp_modem(emulator, None, maps=[(f"{SERVER}:21", srv.port)])
        assert get(m) == (b"", 70)


def test_65_server_closing_421(emulator):
    with Scripted({}, greeting="421 Too many users") as srv:
        m = ftp_modem(emulator, None, maps=[(f"{SERVER}:21", srv.port)])
        assert get(m) == (b"", 65)


def test_70_unusable_pasv_reply(emulator):
    with Scripted(dict(LOGIN, PASV="227 Entering Passive Mode (no numbers)")) as srv:
        m = ftp_modem(emulator, None, mode=1, maps=[(f"{SERVER}:21", srv.port)])
        assert get(m) == (b"", 70)


def test_73_type_refused(emulator):
    with Scripted(dict(LOGIN, TYPE="504 no such type")) as srv:
        m = ftp_modem(emulator, None, maps=[(f"{SERVER}:21", srv.port)])
        assert get(m) == (b"", 73)


def test_74_rest_refused(emulator):
    with Scripted(dict(LOGIN, PASV="227 ok (127,0,0,1,0,1)", REST="502 no REST")) as srv:
        m = ftp_modem(emulator, None, mode=1, maps=[(f"{SERVER}:21", srv.port)])
        setting(m, b"AT+FTPREST=10")
        # the data connection to port 1 is refused, or REST is: both end it
        assert get(m)[1] in (74, 75)


def test_81_tls_alert_after_handshake(emulator):
    with Scripted(dict(LOGIN, USER="ALERT"), tls=True) as srv:
        m = ftp_modem(emulator, None, ssl=1, maps=[(f"{SERVER}:21", srv.port)])
        assert get(m) == (b"", 81)


def test_86_quit(emulator):
    """IP Application Note 3.25 (a server still logging in: no race with "1,1")."""
    with Scripted(dict(LOGIN, PASS=None)) as srv:
        m = ftp_modem(emulator, None, maps=[(f"{SERVER}:21", srv.port)])
        setting(m, b'AT+FTPGETNAME="1K.txt"')
        setting(m, b'AT+FTPGETPATH="/"')
        m.exchange(b"AT+FTPGET=1\r", b"\r\nOK\r\n")
        m.exchange(b"AT+FTPQUIT\r", b"\r\nOK\r\n\r\n+FTPGET: 1,86\r\n")
        m.exchange(b"AT+FTPQUIT\r", b"\r\nERROR\r\n")
        m.exchange(b"AT+FTPSTATE\r", b"\r\n+FTPSTATE: 0\r\n\r\nOK\r\n")


def test_85_file_system(emulator):
    """No SD card, and a file larger than the flash."""
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv)
        setting(m, b'AT+FTPGETNAME="1M.bin"')
        setting(m, b'AT+FTPGETPATH="/"')
        m.exchange(b'AT+FTPGETTOFS=1,"x.bin"\r', b"\r\nOK\r\n\r\n+FTPGETTOFS: 85\r\n")
        m.write(b'AT+FTPGETTOFS=0,"big.bin"\r')
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPGETTOFS: 85\r\n", timeout=20)
        m.exchange(b'AT+FTPPUTFRMFS="C:\\User\\ftp\\none.bin"\r',
                   b"\r\nOK\r\n\r\n+FTPPUTFRMFS: 85\r\n")


@pytest.mark.parametrize("before, reply", [
    ("2%02d 77777777", "213"),  # a bare code: nothing after it to read
    ("2%02d ok", "213 not-a-number"),
])
def test_size_reply_without_a_number_is_70(emulator, before, reply):
    """A 213 that carries no size is no answer to SIZE (RFC 3659 §4): 70, the
    code of an unusable reply, as for PASV.  The bare "213" once made the
    client read past the reply's text, into what the reply before it left
    (here "77777777", which it then reported as the size)."""
    with Scripted(dict(LOGIN, TYPE=before % 0, CWD=before % 50, SIZE=reply)) as srv:
        m = ftp_modem(emulator, None, maps=[(f"{SERVER}:21", srv.port)])
        setting(m, b'AT+FTPGETNAME="1K.txt"')
        setting(m, b'AT+FTPGETPATH="/"')
        m.write(b"AT+FTPSIZE\r")
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPSIZE: 1,70,0\r\n", timeout=10)
