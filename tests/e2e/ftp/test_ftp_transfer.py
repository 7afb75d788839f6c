"""AT+FTPGET / AT+FTPPUT against vsftpd on loopback: plain FTP, explicit and
implicit FTPS (the data channel resuming the control session, as vsftpd
demands), passive and active, binary and ASCII, REST; bytes exact."""
import hashlib

import pytest

from ftplib_at import download, ftp_modem, setting, upload, vsftpd

MODES = [("plain", 0), ("explicit", 2), ("implicit", 1)]


@pytest.mark.parametrize("mode,ssl", MODES, ids=[m for m, _ in MODES])
@pytest.mark.parametrize("passive", [1, 0], ids=["passive", "active"])
def test_get_1k(emulator, mode, ssl, passive):
    with vsftpd.start_vsftpd(mode) as srv:
        m = ftp_modem(emulator, srv, ssl=ssl, mode=passive)
        setting(m, b'AT+FTPGETNAME="1K.txt"')
        setting(m, b'AT+FTPGETPATH="/"')
        data, code = download(m)
        assert code == 0
        assert data == vsftpd.expected("1K.txt")
        if ssl:
            data_tls = [e for e in srv.tls_handshakes() if e.channel == "data"]
            assert data_tls and all(e.reused for e in data_tls)
