"""AT+FTPGETTOFS / AT+FTPPUTFRMFS reconnect after a break (SIM800 AT Command
Manual V1.09 §12.2.24/25: up to <num> reconnects, <time> seconds apart,
"automatic reconnection will start at break point"): the data connection is
cut mid-file by a fault rule, the module waits, reconnects and resumes
(REST for a download; SIZE then APPE for an upload), and the file ends
complete and identical, with vsftpd's log showing the resumed transfer."""
import hashlib
import sys
from pathlib import Path

from ftplib_at import ftp_modem, setting, vsftpd

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts" / "python"))
from sim800emu import Control  # noqa: E402

SIZE = 174125  # IP Application Note 3.21's test.txt


def stored(store, name):
    [path] = [p for p in store.rglob(name) if p.is_file()]
    return path.read_bytes()


def modem_with_rule(emulator, tmp_path, srv, rule, mode=1):
    ctl_path = str(tmp_path / "ctl.sock")
    store = tmp_path / "store"
    m = ftp_modem(emulator, srv, "--control", ctl_path, "--storage", store, mode=mode)
    ctl = Control(ctl_path)
    ctl.add(rule)
    return m, ctl, store


def gettofs(m, args=b""):
    """AT+FTPGETTOFS of test.txt into C:\\User\\ftp\\ (args: ",<num>,<time>")."""
    setting(m, b'AT+FTPGETNAME="test.txt"')
    setting(m, b'AT+FTPGETPATH="/"')
    m.write(b'AT+FTPGETTOFS=0,"test.txt"%s\r' % args)
    m.expect(b"\r\nOK\r\n")


def test_gettofs_resumes_a_cut_download(emulator, tmp_path):
    with vsftpd.start_vsftpd("plain") as srv:
        m, ctl, store = modem_with_rule(emulator, tmp_path, srv, "tag=ftp-data reset-after=65536")
        gettofs(m, b",3,1")
        m.expect(b"\r\n+FTPGETTOFS: 0,%d\r\n" % SIZE, timeout=30)
        assert [r["fired"] for r in ctl.rules()] == [1]
        srv.wait_log(r'"REST 65536"')
        srv.wait_log(r"OK DOWNLOAD.*test\.txt")
        got = stored(store, "test.txt")
        assert len(got) == SIZE
        assert hashlib.sha256(got).digest() == hashlib.sha256(vsftpd.expected("test.txt")).digest()
        m.exchange(b"AT+FTPGETTOFS?\r", b"\r\n+FTPGETTOFS: 0\r\n\r\nOK\r\n")


def test_gettofs_without_reconnects_keeps_what_came(emulator, tmp_path):
    """<num> 0: the break is the end, +FTPGETTOFS: 79, the bytes before it stay."""
    with vsftpd.start_vsftpd("plain") as srv:
        m, ctl, store = modem_with_rule(emulator, tmp_path, srv, "tag=ftp-data reset-after=65536")
        gettofs(m, b",0,1")
        m.expect(b"\r\n+FTPGETTOFS: 79\r\n", timeout=30)
        assert stored(store, "test.txt") == vsftpd.expected("test.txt")[:65536]


def test_gettofs_gives_up_after_its_reconnects(emulator, tmp_path):
    """Every attempt cut: <num> 2 means three attempts, then the code."""
    with vsftpd.start_vsftpd("plain") as srv:
        m, ctl, store = modem_with_rule(emulator, tmp_path, srv,
                                        "tag=ftp-data reset-after=1000 count=always")
        gettofs(m, b",2,0")
        m.expect(b"\r\n+FTPGETTOFS: 79\r\n", timeout=30)
        assert [r["fired"] for r in ctl.rules()] == [3]
        assert stored(store, "test.txt") == vsftpd.expected("test.txt")[:3000]


def test_putfrmfs_resumes_a_cut_upload(emulator, tmp_path):
    with vsftpd.start_vsftpd("plain") as srv:
        m, ctl, store = modem_with_rule(emulator, tmp_path, srv, "tag=ftp-data reset-after=65536")
        gettofs(m)
        m.expect(b"\r\n+FTPGETTOFS: 0,%d\r\n" % SIZE, timeout=30)   # the first cut, mended
        ctl.add("tag=ftp-data reset-after=65536 dir=tx")
        setting(m, b'AT+FTPPUTNAME="back.txt"')
        setting(m, b'AT+FTPPUTPATH="/upload"')
        m.write(b'AT+FTPPUTFRMFS="C:\\User\\ftp\\test.txt",3,1\r')
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPPUTFRMFS: 0,%d\r\n" % SIZE, timeout=30)
        assert [r["fired"] for r in ctl.rules()] == [1, 1]
        srv.wait_log(r'"SIZE back\.txt"')
        srv.wait_log(r'"APPE back\.txt"')
        assert srv.file("upload/back.txt") == vsftpd.expected("test.txt")
