"""The forms of every AT+FTP* command (SIM800 AT Command Manual V1.09 ch. 12): test forms, defaults, reads,
range checks, state rules; the one-shot operations, the listing, and the
file-system and RAM commands against vsftpd."""
import pytest

from ftplib_at import download, ftp_modem, setting, upload, vsftpd, wait_urc

PARAMS = [b"FTPCID", b"FTPSERV", b"FTPPORT", b"FTPUN", b"FTPPW", b"FTPMODE", b"FTPTYPE",
          b"FTPPUTOPT", b"FTPREST", b"FTPGETNAME", b"FTPGETPATH", b"FTPPUTNAME", b"FTPPUTPATH"]


def test_forms_and_defaults(modem):
    m = modem
    m.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n")
    for p in PARAMS + [b"FTPGET", b"FTPPUT", b"FTPSIZE", b"FTPDELE", b"FTPMKD", b"FTPRMD",
                       b"FTPLIST", b"FTPSTATE", b"FTPQUIT", b"FTPEXTPUT",
                       b"FTPEXTGET", b"FTPGETTOFS", b"FTPPUTFRMFS", b"FTPFILEPUT"]:
        m.exchange(b"AT+%s=?\r" % p, b"\r\nOK\r\n")
    # Forms the manual does not give: AT+FTPSCONT has no test form (§12.2.16),
    # AT+FTPEXTPUT no read form (§12.2.20).
    m.exchange(b"AT+FTPSCONT=?\r", b"\r\nERROR\r\n")
    m.exchange(b"AT+FTPEXTPUT?\r", b"\r\nERROR\r\n")
    m.exchange(b"AT+FTPSSL=?\r", b"\r\n+FTPSSL: (0-2)\r\n\r\nOK\r\n")
    defaults = {b"FTPCID": b"1", b"FTPSERV": b'""', b"FTPPORT": b"21", b"FTPUN": b'""',
                b"FTPPW": b'""', b"FTPMODE": b"0", b"FTPTYPE": b'"I"', b"FTPPUTOPT": b'"STOR"',
                b"FTPREST": b"0", b"FTPGETNAME": b'""', b"FTPGETPATH": b'""',
                b"FTPPUTNAME": b'""', b"FTPPUTPATH": b'""'}
    for p, v in defaults.items():
        m.exchange(b"AT+%s?\r" % p, b"\r\n+%s: %s\r\n\r\nOK\r\n" % (p, v))
    m.exchange(b"AT+FTPSSL?\r", b"\r\n+FTPSSL: 0\r\n\r\nOK\r\n")
    m.exchange(b"AT+FTPSTATE\r", b"\r\n+FTPSTATE: 0\r\n\r\nOK\r\n")
    m.exchange(b"AT+FTPGETTOFS?\r", b"\r\n+FTPGETTOFS: 0\r\n\r\nOK\r\n")
    m.exchange(b"AT+FTPPUTFRMFS?\r", b"\r\n+FTPPUTFRMFS: 0\r\n\r\nOK\r\n")
    m.exchange(b"AT+FTPEXTGET?\r", b"\r\n+FTPEXTGET: 0\r\n\r\nOK\r\n")


def test_writes_reads_and_ranges(modem):
    m = modem
    m.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n")
    for line, read in [(b'AT+FTPSERV="ftp.example.com"', b'+FTPSERV: "ftp.example.com"'),
                       (b"AT+FTPPORT=990", b"+FTPPORT: 990"),
                       (b'AT+FTPUN="user"', b'+FTPUN: "user"'),
                       (b"AT+FTPMODE=1", b"+FTPMODE: 1"),
                       (b"AT+FTPTYPE=A", b'+FTPTYPE: "A"'),
                       (b'AT+FTPTYPE="I"', b'+FTPTYPE: "I"'),
                       (b'AT+FTPPUTOPT="APPE"', b'+FTPPUTOPT: "APPE"'),
                       (b"AT+FTPCID=3", b"+FTPCID: 3"),
                       (b"AT+FTPSSL=2", b"+FTPSSL: 2")]:
        setting(m, line)
        name = line[2:].split(b"=")[0]
        m.exchange(b"AT" + name + b"?\r", b"\r\n" + read + b"\r\n\r\nOK\r\n")
    for bad in (b"AT+FTPPORT=0", b"AT+FTPPORT=65536", b"AT+FTPMODE=2", b"AT+FTPTYPE=B",
                b'AT+FTPPUTOPT="XYZ"', b"AT+FTPCID=4", b"AT+FTPSSL=3",
                b'AT+FTPSERV="%s"' % (b"a" * 50), b'AT+FTPGETNAME="%s"' % (b"n" * 100),
                b'AT+FTPGETPATH="%s"' % (b"p" * 256)):
        m.exchange(bad + b"\r", b"\r\nERROR\r\n")
    setting(m, b'AT+FTPSERV="%s"' % (b"a" * 49))
    # No session: reads, writes and QUIT are refused.
    for cmd in (b"AT+FTPGET=2,100", b"AT+FTPPUT=2,10", b"AT+FTPLIST=2,100", b"AT+FTPQUIT",
                b"AT+FTPGET=2,1461", b"AT+FTPGET=3"):
        m.exchange(cmd + b"\r", b"\r\nERROR\r\n")


def test_scont(modem):
    m = modem
    m.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n")
    setting(m, b'AT+FTPSERV="116.228.221.52"')
    body = (b'\r\n+FTPSCONT: %d\r\n+FTPSERV: "116.228.221.52"\r\n+FTPPORT: 21\r\n+FTPUN: ""\r\n'
            b'+FTPPW: ""\r\n+FTPCID: 1\r\n+FTPMODE: 0\r\n+FTPTYPE: "I"\r\n+FTPPUTOPT: "STOR"\r\n'
            b'+FTPREST: 0\r\n+FTPGETNAME: ""\r\n+FTPGETPATH: ""\r\n+FTPPUTNAME: ""\r\n'
            b'+FTPPUTPATH: ""\r\n+FTPTIMEOUT: 75\r\n\r\nOK\r\n')
    m.exchange(b"AT+FTPSCONT?\r", body % 1)
    setting(m, b"AT+FTPSCONT")
    m.exchange(b"AT+FTPSCONT?\r", body % 0)
    # A value changed and changed back is the saved one again: the
    # comparison is of the parameters, not of the bytes a longer value left.
    setting(m, b'AT+FTPGETNAME="a-much-longer-name.bin"')
    m.exchange(b"AT+FTPSCONT?\r", (body % 1).replace(b'+FTPGETNAME: ""',
                                                       b'+FTPGETNAME: "a-much-longer-name.bin"'))
    setting(m, b'AT+FTPGETNAME=""')
    m.exchange(b"AT+FTPSCONT?\r", body % 0)
    # Saved parameters come back after a power cycle.
    m.write(b"AT+CFUN=1,1\r")
    m.expect(b"SMS Ready\r\n", timeout=15)
    m.take()
    m.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n")
    m.exchange(b"AT+FTPSERV?\r", b'\r\n+FTPSERV: "116.228.221.52"\r\n\r\nOK\r\n')


def test_size_dele_mkd_rmd_list(emulator):
    """IP Application Note 3.16-3.19."""
    with vsftpd.start_vsftpd("explicit") as srv:
        m = ftp_modem(emulator, srv, ssl=2)
        setting(m, b'AT+FTPGETNAME="1K.txt"')
        setting(m, b'AT+FTPGETPATH="/"')
        m.write(b"AT+FTPSIZE\r")
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPSIZE: 1,0,1074\r\n", timeout=10)
        setting(m, b'AT+FTPGETPATH="/test"')
        m.write(b"AT+FTPMKD\r")
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPMKD: 1,0\r\n", timeout=10)
        assert (srv.root / "test").is_dir()
        m.write(b"AT+FTPMKD\r")
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPMKD: 1,77\r\n", timeout=10)
        m.write(b"AT+FTPRMD\r")
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPRMD: 1,0\r\n", timeout=10)
        assert not (srv.root / "test").exists()
        setting(m, b'AT+FTPGETPATH="/"')
        setting(m, b'AT+FTPGETNAME="rest.txt"')
        m.write(b"AT+FTPDELE\r")
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPDELE: 1,0\r\n", timeout=10)
        assert not (srv.root / "rest.txt").exists()
        listing, code = download(m, b"LIST", reqlen=1024)
        assert code == 0
        assert b"1K.txt" in listing and b"1M.bin" in listing and b"rest.txt" not in listing
        assert listing.endswith(b"\r\n")


def test_gettofs_putfrmfs_roundtrip(emulator):
    """IP Application Note 3.21/3.22: test.txt into C:\\User\\ftp\\ and back out."""
    with vsftpd.start_vsftpd("implicit") as srv:
        m = ftp_modem(emulator, srv, ssl=1)
        setting(m, b'AT+FTPGETNAME="test.txt"')
        setting(m, b'AT+FTPGETPATH="/"')
        m.write(b'AT+FTPGETTOFS=0,"test.txt"\r')
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPGETTOFS: 0,174125\r\n", timeout=20)
        m.exchange(b"AT+FTPGETTOFS?\r", b"\r\n+FTPGETTOFS: 0\r\n\r\nOK\r\n")
        m.exchange(b"AT+FSFLSIZE=C:\\User\\ftp\\test.txt\r",
                   b"\r\n+FSFLSIZE: 174125\r\n\r\nOK\r\n")
        setting(m, b'AT+FTPPUTNAME="back.txt"')
        setting(m, b'AT+FTPPUTPATH="/upload"')
        m.write(b'AT+FTPPUTFRMFS="C:\\User\\ftp\\test.txt"\r')
        m.expect(b"\r\nOK\r\n")
        m.expect(b"\r\n+FTPPUTFRMFS: 0,174125\r\n", timeout=20)
        srv.wait_log(r"OK UPLOAD.*back\.txt")
        assert srv.file("upload/back.txt") == vsftpd.expected("test.txt")


def test_extget_extput_fileput(emulator):
    """IP Application Note 3.20, 3.23, 3.24."""
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv)
        setting(m, b'AT+FTPGETNAME="test.txt"')
        setting(m, b'AT+FTPGETPATH="/"')
        m.write(b"AT+FTPEXTGET=1\r")
        m.expect(b"\r\nOK\r\n")
        assert wait_urc(m, b"EXTGET") == (0, None)
        m.exchange(b"AT+FTPEXTGET?\r", b"\r\n+FTPEXTGET: 1,174125\r\n\r\nOK\r\n")
        want = vsftpd.expected("test.txt")
        m.exchange(b"AT+FTPEXTGET=3,0,128\r", b"\r\n+FTPEXTGET: 3,128\r\n" + want[:128] + b"\r\nOK\r\n")
        m.write(b"AT+FTPEXTGET=3,0,174125\r")
        m.expect_exact(b"\r\n+FTPEXTGET: 3,174125\r\n" + want + b"\r\nOK\r\n")
        m.exchange(b"AT+FTPEXTGET=3,174125,10\r", b"\r\n+FTPEXTGET: 3,0\r\n\r\nOK\r\n")
        m.exchange(b'AT+FTPEXTGET=2,"t.txt"\r', b"\r\n+FTPEXTGET: 2,174125\r\n\r\nOK\r\n")
        m.exchange(b"AT+FSFLSIZE=C:\\User\\ftp\\t.txt\r", b"\r\n+FSFLSIZE: 174125\r\n\r\nOK\r\n")
        # Mode 0-3 only (manual §12.2.26): a fork's mode 4 and read form are refused
        # unless [ftp] extget_forks says otherwise (test_extget_forks).
        m.exchange(b'AT+FTPEXTGET=4,"e.txt"\r', b"\r\nERROR\r\n")
        m.exchange(b"AT+FTPEXTGET=2,10,10000\r", b"\r\nERROR\r\n")
        m.exchange(b"AT+FTPEXTGET=0\r", b"\r\nOK\r\n")
        m.exchange(b"AT+FTPEXTGET?\r", b"\r\n+FTPEXTGET: 0\r\n\r\nOK\r\n")
        # EXTPUT: a RAM image, uploaded by AT+FTPPUT=1 in one go.
        setting(m, b"AT+FTPEXTPUT=1")
        m.exchange(b"AT+FTPEXTPUT=2,0,10,10000\r", b"\r\n+FTPEXTPUT: 0,10\r\n")
        m.write(b"0123456789")
        m.expect_exact(b"\r\nOK\r\n")
        m.exchange(b"AT+FTPEXTPUT=2,10,5,10000\r", b"\r\n+FTPEXTPUT: 10,5\r\n")
        m.write(b"abcde")
        m.expect_exact(b"\r\nOK\r\n")
        setting(m, b'AT+FTPPUTNAME="ext.bin"')
        setting(m, b'AT+FTPPUTPATH="/upload"')
        m.write(b"AT+FTPPUT=1\r")
        m.expect(b"\r\nOK\r\n")
        assert wait_urc(m, b"PUT") == (0, None)
        srv.wait_log(r"OK UPLOAD.*ext\.bin")
        assert srv.file("upload/ext.bin") == b"0123456789abcde"
        # <len> 0 is in the manual's range (0-300k): the answer alone, no data.
        m.exchange(b"AT+FTPEXTPUT=2,0,0,10000\r", b"\r\n+FTPEXTPUT: 0,0\r\n\r\nOK\r\n")
        setting(m, b"AT+FTPEXTPUT=0")
        # FILEPUT: a file of the flash, uploaded by AT+FTPPUT=1 in one go.
        setting(m, b'AT+FTPFILEPUT=1,"C:\\User\\ftp\\t.txt"')
        setting(m, b'AT+FTPPUTNAME="file.txt"')
        m.write(b"AT+FTPPUT=1\r")
        m.expect(b"\r\nOK\r\n")
        assert wait_urc(m, b"PUT") == (0, None)
        srv.wait_log(r"OK UPLOAD.*file\.txt")
        assert srv.file("upload/file.txt") == want
        setting(m, b"AT+FTPFILEPUT=0")
        m.exchange(b'AT+FTPFILEPUT=1,"nofile.txt"\r', b"\r\nERROR\r\n")


def test_extget_forks(emulator):
    """[ftp] extget_forks = true: SIM808 EPO scripts' mode 4 saves like 2, and
    the FONA forks' AT+FTPEXTGET=2,<n>,<timeout> reads n bytes on."""
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv, "-s", "ftp.extget_forks=true")
        setting(m, b'AT+FTPGETNAME="1K.txt"')
        setting(m, b'AT+FTPGETPATH="/"')
        m.write(b"AT+FTPEXTGET=1\r")
        m.expect(b"\r\nOK\r\n")
        assert wait_urc(m, b"EXTGET") == (0, None)
        want = vsftpd.expected("1K.txt")
        m.exchange(b"AT+FTPEXTGET=2,10,10000\r", b"\r\n+FTPEXTGET: 2,10\r\n" + want[:10] + b"\r\nOK\r\n")
        m.exchange(b"AT+FTPEXTGET=2,10,10000\r", b"\r\n+FTPEXTGET: 2,10\r\n" + want[10:20] + b"\r\nOK\r\n")
        m.exchange(b'AT+FTPEXTGET=4,"epo.bin"\r', b"\r\n+FTPEXTGET: 4,%d\r\n\r\nOK\r\n" % len(want))
        m.exchange(b"AT+FSFLSIZE=C:\\User\\ftp\\epo.bin\r", b"\r\n+FSFLSIZE: %d\r\n\r\nOK\r\n" % len(want))


def test_putopt_appe_and_stou(emulator):
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv)
        setting(m, b'AT+FTPPUTNAME="a.txt"')
        setting(m, b'AT+FTPPUTPATH="/upload"')
        assert upload(m, b"one,") == 0
        setting(m, b'AT+FTPPUTOPT="APPE"')
        assert upload(m, b"two") == 0
        srv.wait_log(r"OK UPLOAD.*a\.txt.*3 bytes")
        assert srv.file("upload/a.txt") == b"one,two"
        setting(m, b'AT+FTPPUTOPT="STOU"')
        assert upload(m, b"unique") == 0
        assert "STOU" in srv.commands()


def test_settings_during_a_session_are_for_the_next_one(emulator):
    """A parameter written while a session runs is taken (the manual refuses
    nothing) and used by the next session; the running one keeps its own."""
    with vsftpd.start_vsftpd("plain") as srv:
        m = ftp_modem(emulator, srv)
        setting(m, b'AT+FTPGETNAME="1K.txt"')
        setting(m, b'AT+FTPGETPATH="/"')
        m.write(b"AT+FTPGET=1\r")
        m.expect(b"\r\nOK\r\n")
        assert wait_urc(m) == (1, None)
        setting(m, b'AT+FTPGETNAME="x"')
        m.exchange(b"AT+FTPGETNAME?\r", b'\r\n+FTPGETNAME: "x"\r\n\r\nOK\r\n')
        srv.wait_log(r'"RETR 1K\.txt"')
        m.exchange(b"AT+FTPPUT=2,10\r", b"\r\nERROR\r\n")
        m.exchange(b"AT+FTPSTATE\r", b"\r\n+FTPSTATE: 1\r\n\r\nOK\r\n")
        m.exchange(b"AT+FTPQUIT\r", b"\r\nOK\r\n\r\n+FTPGET: 1,86\r\n")
