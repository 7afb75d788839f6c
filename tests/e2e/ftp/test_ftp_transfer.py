"""AT+FTPGET / AT+FTPPUT against vsftpd on loopback (SIM800 AT Command Manual V1.09 §12.2.14, §12.2.15; our choice where the manual is silent; SIM800 SSL Application Note V1.00 §2.3 and examples 3.6–3.7):
plain FTP, explicit and implicit FTPS (the data channel resuming the control
channel's TLS session, as vsftpd demands), passive and active data
connections, binary and ASCII types, REST; every byte checked."""
import hashlib
import os

import pytest

from ftplib_at import download, ftp_modem, setting, upload, vsftpd

MODES = [("plain", 0), ("explicit", 2), ("implicit", 1)]
DATA = [(1, "passive"), (0, "active")]


def sha(b):
    return hashlib.sha256(b).hexdigest()


def data_tls_resumed(srv):
    events = [e for e in srv.tls_handshakes() if e.channel == "data"]
    return bool(events) and all(e.reused for e in events)


@pytest.mark.parametrize("mode,ssl", MODES, ids=[m for m, _ in MODES])
@pytest.mark.parametrize("passive,kind", DATA, ids=[k for _, k in DATA])
def test_get_1k(emulator, mode, ssl, passive, kind):
    with vsftpd.start_vsftpd(mode) as srv:
        m = ftp_modem(emulator, srv, ssl=ssl, mode=passive)
        setting(m, b'AT+FTPGETNAME="1K.txt"')
        setting(m, b'AT+FTPGETPATH="/"')
        data, code = download(m, reqlen=1024)
        assert code == 0
        assert data == vsftpd.expected("1K.txt")
        cmds = srv.commands()
        assert ("PASV" in cmds) == bool(passive)
        assert any(c.startswith("PORT 127,0,0,1,") for c in cmds) == (not passive)
        if ssl:
            assert data_tls_resumed(srv)
            assert "PBSZ 0" in cmds and "PROT P" in cmds
        if ssl == 2:
            assert cmds[0] == "AUTH TLS"


@pytest.mark.parametrize("mode,ssl", MODES, ids=[m for m, _ in MODES])
@pytest.mark.parametrize("passive,kind", DATA, ids=[k for _, k in DATA])
def test_1m_binary_both_ways(emulator, mode, ssl, passive, kind):
    """1 MiB of random bytes down and up again, SHA-256 equal."""
    with vsftpd.start_vsftpd(mode) as srv:
        m = ftp_modem(emulator, srv, ssl=ssl, mode=passive)
        setting(m, b'AT+FTPGETNAME="1M.bin"')
        setting(m, b'AT+FTPGETPATH="/"')
        data, code = download(m)
        assert code == 0
        assert sha(data) == vsftpd.sha256_of("1M.bin")
        blob = os.urandom(1 << 20)
        setting(m, b'AT+FTPPUTNAME="up.bin"')
        setting(m, b'AT+FTPPUTPATH="/upload"')
        assert upload(m, blob) == 0
        srv.wait_log(r"OK UPLOAD.*up\.bin")
        assert sha(srv.file("upload/up.bin")) == sha(blob)
        if ssl:
            assert data_tls_resumed(srv)
        m.exchange(b"AT+FTPSTATE\r", b"\r\n+FTPSTATE: 0\r\n\r\nOK\r\n")


def test_ascii_text(emulator):
    """TYPE A for a text file: the bytes of the file (vsftpd converts nothing)."""
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv, type_=b'"A"')
        m.exchange(b"AT+FTPTYPE?\r", b'\r\n+FTPTYPE: "A"\r\n\r\nOK\r\n')
        setting(m, b'AT+FTPGETNAME="lf.txt"')
        setting(m, b'AT+FTPGETPATH="/"')
        data, code = download(m)
        assert (data, code) == (vsftpd.expected("lf.txt"), 0)
        assert "TYPE A" in srv.commands()
        # Uploads in ASCII mode are 7-bit (the manual: binary data is damaged).
        setting(m, b'AT+FTPPUTNAME="t.txt"')
        setting(m, b'AT+FTPPUTPATH="/upload"')
        assert upload(m, b"plain text\r\n\xe9t\xe9\r\n") == 0
        srv.wait_log(r"OK UPLOAD.*t\.txt")
        assert srv.file("upload/t.txt") == b"plain text\r\niti\r\n"


def test_rest_example_3_15(emulator):
    """IP Application Note 3.15: REST 20 of the 29-byte rest.txt leaves 9 bytes."""
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv)
        setting(m, b'AT+FTPGETNAME="rest.txt"')
        setting(m, b'AT+FTPGETPATH="/"')
        assert download(m) == (b"wodeceshijieguo,zhgeshigeshia", 0)
        setting(m, b"AT+FTPREST=20")
        m.exchange(b"AT+FTPREST?\r", b"\r\n+FTPREST: 20\r\n\r\nOK\r\n")
        assert download(m) == (b"shigeshia", 0)
        assert "REST 20" in srv.commands()


@pytest.mark.parametrize("mode,ssl", [("plain", 0), ("implicit", 1)], ids=["plain", "implicit"])
def test_rest_resumes_half_download(emulator, mode, ssl):
    """Half of 1M.bin, AT+FTPQUIT (1,86), then AT+FTPREST=<bytes held>: the rest."""
    with vsftpd.start_vsftpd(mode) as srv:
        m = ftp_modem(emulator, srv, ssl=ssl)
        setting(m, b'AT+FTPGETNAME="1M.bin"')
        setting(m, b'AT+FTPGETPATH="/"')
        m.write(b"AT+FTPGET=1\r")
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPGET: 1,1\r\n", timeout=20)
        held = bytearray()
        from ftplib_at import read_reply
        while len(held) < 500000:
            m.write(b"AT+FTPGET=2,1460\r")
            held += read_reply(m, b"GET")
        m._slurp()
        m.buf[:] = m.buf.replace(b"\r\n+FTPGET: 1,1\r\n", b"")
        m.write(b"AT+FTPQUIT\r")
        m.expect(b"\r\nOK\r\n\r\n+FTPGET: 1,86\r\n")
        setting(m, b"AT+FTPREST=%d" % len(held))
        rest, code = download(m)
        assert code == 0
        assert sha(bytes(held) + rest) == vsftpd.sha256_of("1M.bin")
