"""Self-test of the FTP(S) rig (tests/servers/vsftpd.py, ftp_faulty.py) with
Python's ftplib (FTP, FTP_TLS, and the rig's ReuseFTP_TLS / ImplicitFTP_TLS).

    /usr/bin/python3 -m pytest -q tests/servers/test_vsftpd.py

vsftpd needs root; without it the vsftpd tests are skipped (ftp_faulty ones run).
"""

import ftplib
import hashlib
import io
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vsftpd as rig  # noqa: E402
from vsftpd import (FILES, SEED_PASSWORD, SEED_USER,  # noqa: E402
                    client_context, connect, expected, sha256_of, start_fault, start_ftp_faulty)
from servers import HERE, PYTHON, payload, pki  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 client settings
# Under pytest-xdist (scripts/test) this module stays on one worker, in order:
# its tests share servers and count their log lines from a mark.
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.xdist_group("servers-vsftpd")]

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="vsftpd runs as root only")
MB = 1 << 20
MODES = ["plain", "explicit", "implicit"]
TLS_MODES = ["explicit", "implicit"]
STARTED = []   # (pid, dir, pam_file) of every vsftpd this module started


def start_vsftpd(*a, **kw):
    s = rig.start_vsftpd(*a, **kw)
    STARTED.append((s.pid, str(s.dir), s.pam_file))
    return s


def gone(pid):
    """True when pid no longer runs (a zombie nobody reaps counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


def group_gone(pgid):
    """No live process left in process group pgid."""
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                return False
    return True


@pytest.fixture(scope="module", autouse=True)
def no_leftovers():
    yield
    for pid, d, pam in STARTED:
        deadline = time.monotonic() + 3
        while not group_gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert group_gone(pid), "vsftpd group %d still running (%s)" % (pid, d)
        assert not Path(d).exists(), d
        assert not pam.exists(), pam


@pytest.fixture(scope="session")
def certs():
    return pki()


@pytest.fixture(scope="module")
def servers(no_leftovers):
    """One vsftpd per mode, all running at once."""
    if not ROOT:
        pytest.skip("vsftpd runs as root only")
    got = {}
    try:
        for m in MODES:
            got[m] = start_vsftpd(m)
        yield got
    finally:
        for s in got.values():
            s.stop()


def mark(srv):
    """Log position: only what a test does after this point is looked at."""
    return len(srv.commands()), len(srv.tls_handshakes()), len(srv.transfers())


def retr(f, name, rest=None):
    buf = io.BytesIO()
    f.retrbinary("RETR " + name, buf.write, rest=rest)
    return buf.getvalue()


def stor(f, name, data, cmd="STOR"):
    f.storbinary("%s %s" % (cmd, name), io.BytesIO(data))


def close(f):
    try:
        f.quit()
    except (ftplib.all_errors + (EOFError,)):
        f.close()


# --- the tree, login, LIST -------------------------------------------------------------------

def test_expected_tree():
    assert expected("1K.txt") == (b"0123456789" * 108)[:1074]
    assert expected("1K.txt")[:50] == b"0123456789" * 5 and len(expected("1K.txt")) == 50 + 1024
    assert len(expected("test.txt")) == 174125 and expected("test.txt").isascii()
    assert expected("rest.txt")[20:] == b"shigeshia"
    assert expected("1M.bin") == payload(MB, "1M.bin")
    assert b"\r" not in expected("lf.txt") and expected("lf.txt").count(b"\n") == 5
    assert SEED_USER == "sim.cs1" and SEED_PASSWORD == "******"


@needs_root
@pytest.mark.parametrize("mode", MODES)
def test_login_list(servers, mode):
    s = servers[mode]
    assert s.host == "127.0.0.1" and s.mode == mode and s.root.is_dir()
    assert (s.user, s.password) == ("sim.cs1", "******")
    for name in FILES:
        assert s.file(name) == expected(name), name
    f = connect(s)
    try:
        assert f.pwd() == "/"
        assert sorted(f.nlst()) == sorted(["1K.txt", "1M.bin", "dir", "empty.bin", "lf.txt",
                                           "rest.txt", "test.txt", "upload"])
        lines = []
        f.retrlines("LIST", lines.append)
        assert any(re.search(r"\s1074 .* 1K\.txt$", l) for l in lines), lines
        assert any(l.startswith("d") and l.endswith(" upload") for l in lines), lines
        f.cwd("/dir/sub")
        assert f.nlst() == ["nested.txt"] and retr(f, "nested.txt") == b"nested file\n"
        assert f.size("/1K.txt") == 1074
    finally:
        close(f)


@needs_root
def test_servers_are_independent(servers):
    ports = {s.port for s in servers.values()}
    dirs = {s.dir for s in servers.values()}
    ranges = [s.pasv_ports for s in servers.values()]
    assert len(ports) == len(dirs) == 3 and all(s.alive() for s in servers.values())
    for i, (lo, hi) in enumerate(ranges):
        assert hi - lo == 15
        for lo2, hi2 in ranges[i + 1:]:
            assert hi < lo2 or hi2 < lo
    conf = servers["explicit"].conf_path.read_text()
    assert "listen_address=127.0.0.1\n" in conf and "pasv_min_port=%d\n" % ranges[1][0] in conf


# --- transfers ---------------------------------------------------------------------------------

@needs_root
@pytest.mark.parametrize("passive", [True, False], ids=["pasv", "port"])
@pytest.mark.parametrize("mode", MODES)
def test_retr_1m(servers, mode, passive):
    s = servers[mode]
    n = mark(s)
    f = connect(s, passive=passive)
    try:
        data = retr(f, "1M.bin")
        assert len(data) == MB and hashlib.sha256(data).hexdigest() == sha256_of("1M.bin")
        assert retr(f, "/1K.txt") == expected("1K.txt")
    finally:
        close(f)
    cmds = s.commands()[n[0]:]
    assert ("PASV" if passive else "PORT") in [c.split()[0] for c in cmds]
    assert not passive or not any(c.startswith("PORT") for c in cmds)
    t = s.transfers()[n[2]:]
    assert [(x["status"], x["kind"], x["path"], x["bytes"]) for x in t] == [
        ("OK", "DOWNLOAD", "/1M.bin", MB), ("OK", "DOWNLOAD", "/1K.txt", 1074)]


@needs_root
@pytest.mark.parametrize("passive", [True, False], ids=["pasv", "port"])
@pytest.mark.parametrize("mode", MODES)
def test_stor_upload(servers, mode, passive):
    s = servers[mode]
    n = mark(s)
    body = payload(300 * 1024 + 7, "stor-%s-%s" % (mode, passive))
    name = "upload/%s-%s.bin" % (mode, "pasv" if passive else "port")
    f = connect(s, passive=passive)
    try:
        stor(f, name, body)
        assert f.size(name) == len(body)
        assert retr(f, name) == body
    finally:
        close(f)
    assert s.file(name) == body and (s.path(name).stat().st_mode & 0o777) == 0o644
    assert ("OK", "UPLOAD", "/" + name, len(body)) in [
        (x["status"], x["kind"], x["path"], x["bytes"]) for x in s.transfers()[n[2]:]]
    assert re.search(r" %d /%s b _ i g sim\.cs1 ftp 0 \* c" % (len(body), re.escape(name)), s.xferlog())


@needs_root
@pytest.mark.parametrize("mode", MODES)
def test_rest_resume(servers, mode):
    s = servers[mode]
    f = connect(s)
    try:
        assert retr(f, "1M.bin", rest=MB - 1000) == expected("1M.bin")[-1000:]
        assert retr(f, "rest.txt", rest=20) == b"shigeshia"         # the IP note's example 3.15
        assert retr(f, "1K.txt", rest=50) == expected("1K.txt")[50:]
        # Resumed upload: REST + STOR writes from the offset.
        name = "upload/rest-%s.bin" % mode
        stor(f, name, b"A" * 1000)
        f.voidcmd("TYPE I")
        f.sendcmd("REST 500")
        conn = f.transfercmd("STOR " + name)
        conn.sendall(b"B" * 700)
        if isinstance(conn, ssl.SSLSocket):
            conn.unwrap()
        conn.close()
        f.voidresp()
        assert retr(f, name) == b"A" * 500 + b"B" * 700
    finally:
        close(f)
    assert any(c == "REST 20" for c in s.commands())


@needs_root
def test_seed_operations(servers):
    """What the SIM800 notes do on 116.228.221.52: GET/SIZE 1K.txt at "/", PUT to
    "/", MKD/RMD "/test", DELE (on copies, so the tree stays as it was)."""
    s = servers["plain"]
    f = connect(s)
    try:
        f.cwd("/")
        assert f.size("1K.txt") == 1074 and retr(f, "1K.txt") == expected("1K.txt")
        assert retr(f, "test.txt") == expected("test.txt")
        stor(f, "put-1K.txt", expected("1K.txt")[:100])        # the note uploads to "/"
        assert s.file("put-1K.txt") == expected("1K.txt")[:100]
        stor(f, "put-1K.txt", b"more", cmd="APPE")
        assert s.file("put-1K.txt") == expected("1K.txt")[:100] + b"more"
        assert f.mkd("/test") == "/test" and s.path("test").is_dir()
        assert f.rmd("/test").startswith("250") and not s.path("test").exists()
        assert f.delete("put-1K.txt").startswith("250") and not s.path("put-1K.txt").exists()
        with pytest.raises(ftplib.error_perm, match="^550"):
            retr(f, "missing.txt")
        with pytest.raises(ftplib.error_perm, match="^550"):
            f.size("missing.txt")
    finally:
        close(f)
    assert [x["kind"] for x in s.transfers() if x["kind"] not in ("DOWNLOAD", "UPLOAD")][-3:] == [
        "MKDIR", "RMDIR", "DELETE"]


# --- TLS ---------------------------------------------------------------------------------------

@needs_root
@pytest.mark.parametrize("cipher", ["AES128-SHA", "AES256-SHA"])
@pytest.mark.parametrize("mode", TLS_MODES)
def test_tls10_classic(servers, certs, mode, cipher):
    """The SIM800's classic offer (TLS 1.0, RSA key exchange, AES-CBC-SHA) works on
    the control and (resumed) data connections; the certificate verifies."""
    s = servers[mode]
    n = mark(s)
    f = connect(s, ctx=client_context(certs / "root.crt", classic=True, cipher=cipher))
    try:
        assert f.sock.version() == "TLSv1" and f.sock.cipher()[0] == cipher
        assert retr(f, "1K.txt") == expected("1K.txt")
        stor(f, "upload/tls10-%s-%s.txt" % (mode, cipher), b"x" * 5000)
    finally:
        close(f)
    hs = s.tls_handshakes()[n[1]:]
    assert hs == [("control", None, cipher, False), ("data", None, cipher, True),
                  ("data", None, cipher, True)], hs
    cmds = s.commands()[n[0]:]
    i = cmds.index("USER sim.cs1")
    assert cmds[:i] == (["AUTH TLS"] if mode == "explicit" else [])
    assert cmds[i + 1:i + 4] == ["PASS <password>", "PBSZ 0", "PROT P"]


@needs_root
@pytest.mark.parametrize("mode", TLS_MODES)
def test_tls_names_in_certificate(servers, certs, mode):
    """tls.example.test's certificate names the notes' server address 116.228.221.52."""
    s = servers[mode]
    ctx = client_context(certs / "root.crt", check_hostname=True)
    for name in ("tls.example.test", "116.228.221.52"):
        raw = socket.create_connection(s.addr, 5)
        try:
            if mode == "explicit":
                fr = raw.makefile("rb")
                assert fr.readline().startswith(b"220")
                raw.sendall(b"AUTH TLS\r\n")
                assert fr.readline().startswith(b"234")
            t = ctx.wrap_socket(raw, server_hostname=name)
            if mode == "implicit":
                assert t.makefile("rb").readline().startswith(b"220")
            t.close()
        finally:
            raw.close()


@needs_root
@pytest.mark.parametrize("mode", TLS_MODES)
def test_tls12_only(certs, mode):
    with start_vsftpd(mode, tls12_only=True) as s:
        with pytest.raises(ssl.SSLError, match="TLSV1_ALERT_PROTOCOL_VERSION"):
            connect(s, ctx=client_context(classic=True))
        # vsftpd 3.0.3 has no switch for TLS 1.1: security level 1 refuses it, and
        # OpenSSL then answers a client offering 1.0..1.1 with internal_error.
        with pytest.raises(ssl.SSLError, match="TLSV1_ALERT_INTERNAL_ERROR"):
            connect(s, ctx=client_context(max_version=ssl.TLSVersion.TLSv1_1))
        f = connect(s, ctx=client_context(certs / "root.crt", max_version=ssl.TLSVersion.TLSv1_2))
        try:
            assert f.sock.version() == "TLSv1.2" and retr(f, "1K.txt") == expected("1K.txt")
        finally:
            close(f)
        f = connect(s)
        try:
            assert f.sock.version() == "TLSv1.3" and retr(f, "1K.txt") == expected("1K.txt")
        finally:
            close(f)


@needs_root
@pytest.mark.parametrize("mode", TLS_MODES)
def test_require_ssl_reuse(servers, mode):
    """ftplib's own FTP_TLS opens data connections with a fresh TLS session:
    vsftpd refuses them (522) and then hangs up the control connection."""
    s = servers[mode]
    n = mark(s)
    f = connect(s, reuse=False)
    try:
        with pytest.raises(ftplib.error_perm, match="^522 SSL connection failed: session reuse required"):
            retr(f, "1K.txt")
        with pytest.raises((EOFError, ConnectionError, ssl.SSLError)):
            f.voidcmd("NOOP")
    finally:
        f.close()
    s.wait_log(r"No SSL session reuse on data channel")
    assert [h.reused for h in s.tls_handshakes()[n[1]:]] == [False, False]
    with start_vsftpd(mode, require_ssl_reuse=False) as s2:
        f = connect(s2, reuse=False)
        try:
            assert retr(f, "1K.txt") == expected("1K.txt")
        finally:
            close(f)
        assert [h.reused for h in s2.tls_handshakes()] == [False, False]


def raw_store(f, name, data, close_notify):
    """STOR over TLS ending with close_notify, or with a bare TCP FIN (then read
    until the server closes, so its own close_notify does not meet an RST)."""
    f.voidcmd("TYPE I")
    conn = f.transfercmd("STOR " + name)
    conn.sendall(data)
    if close_notify:
        conn = conn.unwrap()
    else:
        conn.shutdown(socket.SHUT_WR)          # SSLSocket: no close_notify, just FIN
        conn.settimeout(5)
        while conn.recv(4096):
            pass
    conn.close()
    return f.getresp()


@needs_root
def test_tls_upload_needs_close_notify(servers):
    """strict_ssl_read_eof (vsftpd's default): a TLS upload that just closes the
    TCP connection is reported as failed (bytes kept); with close_notify it is fine.
    A download that the client closes without close_notify still ends in 226."""
    s = servers["explicit"]
    n = mark(s)
    f = connect(s)
    try:
        with pytest.raises(ftplib.error_temp, match="^426 Failure reading network stream"):
            raw_store(f, "upload/no-notify.bin", b"n" * 5000, close_notify=False)
        assert raw_store(f, "upload/notify.bin", b"y" * 5000, close_notify=True).startswith("226")
        f.voidcmd("TYPE I")
        conn = f.transfercmd("RETR 1K.txt")
        got = conn.makefile("rb").read()
        conn.close()
        assert got == expected("1K.txt") and f.voidresp().startswith("226")
    finally:
        close(f)
    assert s.file("upload/no-notify.bin") == b"n" * 5000
    assert [(t["status"], t["path"]) for t in s.transfers()[n[2]:]] == [
        ("FAIL", "/upload/no-notify.bin"), ("OK", "/upload/notify.bin"), ("OK", "/1K.txt")]
    with start_vsftpd("explicit", strict_ssl_read_eof=False) as lax:
        f = connect(lax)
        try:
            assert raw_store(f, "upload/x.bin", b"x" * 5000, close_notify=False).startswith("226")
        finally:
            close(f)
    with pytest.raises(TypeError, match="unknown option"):
        rig.Vsftpd("plain", no_such_option=1)


@needs_root
def test_tls_only_and_prot_p_forced(servers):
    """explicit mode with vsftpd's defaults is TLS-only: plain login refused, PROT C
    transfers refused."""
    s = servers["explicit"]
    f = ftplib.FTP(timeout=10)
    f.connect(s.host, s.port)
    try:
        with pytest.raises(ftplib.error_perm, match="^530 Non-anonymous sessions must use encryption"):
            f.login(s.user, s.password)
    finally:
        close(f)
    f = connect(s, prot_p=False)
    try:
        with pytest.raises(ftplib.error_perm, match="^522 Data connections must be encrypted"):
            retr(f, "1K.txt")
    finally:
        close(f)
    with start_vsftpd("explicit", force_tls_login=False, force_prot_p=False) as lax:
        f = connect(lax, tls="plain")
        try:
            assert retr(f, "1K.txt") == expected("1K.txt")
        finally:
            close(f)


@needs_root
def test_plain_server_refuses_auth_tls(servers):
    s = servers["plain"]
    f = ftplib.FTP_TLS(timeout=10, context=client_context())
    f.connect(s.host, s.port)
    try:
        with pytest.raises(ftplib.error_perm, match="^530"):
            f.auth()
    finally:
        close(f)
    assert start_fault.__doc__ and rig.FAULTS["no-tls"][1] == {"mode": "plain"}


@needs_root
@pytest.mark.parametrize("mode", MODES)
def test_wrong_password(servers, mode):
    s = servers[mode]
    n = len(s.logins())
    t = time.monotonic()
    with pytest.raises(ftplib.error_perm, match="^530 Login incorrect"):
        connect(s, password="3214567")                       # the IP note's example 3.12
    # delay_failed_login=0: no multi-second penalty (a loose bound: a busy
    # machine must not fail it, vsftpd's default delay is 1 s per try).
    assert time.monotonic() - t < 5.0
    with pytest.raises(ftplib.error_perm, match="^530 Login incorrect"):
        connect(s, user="nobody-here")
    f = connect(s)
    close(f)
    assert s.logins()[n:] == ["FAIL", "FAIL", "OK"]


# --- options -------------------------------------------------------------------------------------

@needs_root
def test_no_pasv_no_port():
    with start_fault("no-pasv") as s:
        f = connect(s)
        try:
            with pytest.raises(ftplib.error_perm, match="^550"):
                f.sendcmd("PASV")
            f.set_pasv(False)
            assert retr(f, "1K.txt") == expected("1K.txt")
        finally:
            close(f)
    with start_fault("no-port") as s:
        f = connect(s, passive=False)
        try:
            with pytest.raises(ftplib.error_perm, match="^550"):
                retr(f, "1K.txt")
            f.set_pasv(True)
            assert retr(f, "1K.txt") == expected("1K.txt")
        finally:
            close(f)


@needs_root
def test_options_pasv_address_ascii_files_banner():
    with start_vsftpd(pasv_address="116.228.221.52", ascii_convert=True, banner="sim800emu test",
                      files={"extra/x.bin": 1000, "hello.txt": "hi\n"}) as s:
        f = ftplib.FTP(timeout=10)
        try:
            assert f.connect(s.host, s.port) == "220 sim800emu test"
            f.login(s.user, s.password)
            m = re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", f.sendcmd("PASV"))
            assert m.group(1, 2, 3, 4) == ("116", "228", "221", "52")
            port = int(m.group(5)) << 8 | int(m.group(6))
            assert s.pasv_ports[0] <= port <= s.pasv_ports[1]
            f.set_pasv(False)
            f.voidcmd("TYPE A")
            conn = f.transfercmd("RETR lf.txt")
            data = b""
            while True:
                d = conn.recv(4096)
                if not d:
                    break
                data += d
            conn.close()
            f.voidresp()
            assert data == expected("lf.txt").replace(b"\n", b"\r\n")
            assert retr(f, "extra/x.bin") == payload(1000, "extra/x.bin")
            assert retr(f, "hello.txt") == b"hi\n"
            s.add_file("later.bin", 300)
            assert retr(f, "later.bin") == payload(300, "later.bin")
        finally:
            close(f)
    with start_vsftpd(write=False) as s:                     # and without conversion by default
        f = connect(s)
        try:
            f.voidcmd("TYPE A")
            conn = f.transfercmd("RETR lf.txt")
            data = conn.makefile("rb").read()
            conn.close()
            f.voidresp()
            assert data == expected("lf.txt")
            with pytest.raises(ftplib.error_perm, match="^550"):
                stor(f, "upload/no.bin", b"no")
        finally:
            close(f)


@needs_root
def test_max_rate():
    with start_vsftpd(max_rate=400000) as s:
        f = connect(s)
        try:
            t = time.monotonic()
            assert retr(f, "1M.bin") == expected("1M.bin")
            assert time.monotonic() - t > 1.5
        finally:
            close(f)


# --- the Python fault server ----------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_faulty_normal_operation(mode):
    with start_ftp_faulty(mode=mode) as s:
        for passive in (True, False):
            f = connect(s, passive=passive)
            try:
                assert sorted(f.nlst())[:2] == ["1K.txt", "1M.bin"]
                data = retr(f, "1M.bin")
                assert hashlib.sha256(data).hexdigest() == sha256_of("1M.bin")
                assert retr(f, "1M.bin", rest=MB - 10) == expected("1M.bin")[-10:]
                stor(f, "upload/f.bin", b"z" * 70000)
                assert f.size("upload/f.bin") == 70000 and s.file("upload/f.bin") == b"z" * 70000
                lines = []
                f.retrlines("LIST", lines.append)
                assert any(l.endswith(" 1K.txt") and " 1074 " in l for l in lines)
            finally:
                close(f)
        with pytest.raises(ftplib.error_perm, match="^530 Login incorrect"):
            connect(s, password="wrong")
        cmds = s.commands()
        assert "PASS <password>" in cmds and any(c.startswith("PORT ") for c in cmds)
        if mode != "plain":
            assert cmds[0] == ("AUTH TLS" if mode == "explicit" else "USER sim.cs1")
            hs = s.tls_handshakes()
            assert hs[0].channel == "control" and all(h.reused for h in hs if h.channel == "data")
        t = s.transfers()
        assert {"status": "OK", "kind": "RETR", "path": "/1M.bin", "bytes": MB} in t


def test_faulty_tls10(certs):
    with start_ftp_faulty(mode="explicit") as s:
        f = connect(s, ctx=client_context(certs / "root.crt", classic=True))
        try:
            assert f.sock.version() == "TLSv1" and retr(f, "1K.txt") == expected("1K.txt")
        finally:
            close(f)
        assert s.tls_handshakes() == [("control", "TLSv1", "AES128-SHA", False),
                                      ("data", "TLSv1", "AES128-SHA", True)]
    with start_ftp_faulty(mode="implicit", tls12_only=True) as s:
        with pytest.raises(ssl.SSLError):
            connect(s, ctx=client_context(classic=True))


def retr_cut(f, name):
    """RETR that the server breaks off: (bytes received, the final reply)."""
    buf = io.BytesIO()
    try:
        f.retrbinary("RETR " + name, buf.write)
        return buf.getvalue(), "226?"
    except ftplib.error_temp as e:
        return buf.getvalue(), str(e)
    except OSError:          # RST, or TLS without close_notify, came first
        try:
            return buf.getvalue(), f.getresp()
        except ftplib.error_temp as e:
            return buf.getvalue(), str(e)


@pytest.mark.parametrize("kind", ["drop-data", "reset-data"])
@pytest.mark.parametrize("mode", ["plain", "explicit"])
def test_faulty_drop_data(kind, mode):
    with start_fault(kind, mode=mode) as s:
        f = connect(s)
        try:
            data, reply = retr_cut(f, "1M.bin")
            assert reply.startswith("426 ") and len(data) <= 65536
            assert data == expected("1M.bin")[:len(data)]
            data, reply = retr_cut(f, "1K.txt")                 # small files are cut at half
            assert reply.startswith("426 ") and data == expected("1K.txt")[:len(data)]
        finally:
            close(f)
        s.wait_log(r"fault %s after 65536 bytes" % kind)
        s.wait_log(r"fault %s after 537 bytes" % kind)
        assert {"status": "FAIL", "kind": "RETR", "path": "/1M.bin", "bytes": 65536} in s.transfers()
        # Upload: cut after drop_after bytes.
        f = connect(s)
        try:
            with pytest.raises((ftplib.error_temp, OSError)):
                stor(f, "upload/cut.bin", b"u" * (4 * MB))
        finally:
            f.close()
        s.wait_log(r"transfer STOR /upload/cut.bin bytes=65536 status=aborted")
        assert s.file("upload/cut.bin") == b"u" * 65536


@pytest.mark.parametrize("mode", TLS_MODES)
def test_faulty_refusals(mode):
    if mode == "explicit":
        with start_fault("refuse-auth") as s:
            f = ftplib.FTP_TLS(timeout=10, context=client_context())
            f.connect(s.host, s.port)
            with pytest.raises(ftplib.error_perm, match="^534"):
                f.auth()
            f.close()
    with start_fault("refuse-pbsz", mode=mode) as s:
        f = connect(s, prot_p=False)
        with pytest.raises(ftplib.error_perm, match="^501"):
            f.prot_p()
        close(f)
        s.wait_log(r"> QUIT")
        assert s.commands()[-2:] == ["PBSZ 0", "QUIT"]
    with start_fault("refuse-prot", mode=mode) as s:
        f = connect(s, prot_p=False)
        with pytest.raises(ftplib.error_perm, match="^536"):
            f.prot_p()
        close(f)
        s.wait_log(r"< 221")
        assert s.commands()[-3:] == ["PBSZ 0", "PROT P", "QUIT"]
        assert s.replies()[-3:-1] == ["200 PBSZ set to 0.",
                                      "536 Requested PROT level not supported by mechanism."]


def test_faulty_pause_data():
    with start_fault("pause-data", pause=0.6) as s:
        f = connect(s)
        try:
            f.voidcmd("TYPE I")
            conn = f.transfercmd("RETR 1K.txt")
            t = time.monotonic()
            first = b""
            while len(first) < 50:
                first += conn.recv(50 - len(first))
            t_first = time.monotonic() - t
            conn.settimeout(0.3)
            with pytest.raises(socket.timeout):
                conn.recv(10)                                 # nothing more for a while
            conn.settimeout(5)
            rest = conn.makefile("rb").read()
            conn.close()
            f.voidresp()
            assert first + rest == expected("1K.txt") and t_first < 0.3
            assert time.monotonic() - t >= 0.55
        finally:
            close(f)


# --- lifecycle -------------------------------------------------------------------------------------

@needs_root
def test_stop_cleans_up():
    s = start_vsftpd("explicit")
    f = connect(s)                          # an open session while stopping
    pid, d, pam = s.pid, s.dir, s.pam_file
    assert pam.exists() and pam.read_text().startswith("# sim800emu vsftpd rig: dir=%s " % d)
    s.stop()
    f.close()
    deadline = time.monotonic() + 3
    while not group_gone(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert group_gone(pid) and not d.exists() and not pam.exists()
    with pytest.raises(ZeroDivisionError):
        with start_vsftpd() as s:
            pid, d, pam = s.pid, s.dir, s.pam_file
            1 / 0
    assert gone(pid) and not d.exists() and not pam.exists()


@needs_root
def test_stale_pam_files_removed():
    stale = rig.PAM_DIR / (rig.PAM_PREFIX + "stale-test")
    stale.write_text("# sim800emu vsftpd rig: dir=/nonexistent/sim800emu-vsftpd-x pid=1\n")
    try:
        with start_vsftpd():
            assert not stale.exists()
    finally:
        if stale.exists():
            stale.unlink()


@needs_root
def test_port_collision_is_retried(monkeypatch):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    real, calls = rig._free_port, []

    def fake():
        calls.append(1)
        return busy.getsockname()[1] if len(calls) == 1 else real()

    monkeypatch.setattr(rig, "_free_port", fake)
    try:
        with start_vsftpd() as s:
            assert len(calls) == 2 and s.port != busy.getsockname()[1]
            f = connect(s)
            assert retr(f, "1K.txt") == expected("1K.txt")
            close(f)
    finally:
        busy.close()


REAPER = r"""
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER: orphans come to us
b = subprocess.Popen([sys.argv[1], "-c", sys.argv[2]], stdout=subprocess.PIPE, text=True)
pids = b.stdout.readline().split()
os.kill(b.pid, 9)
b.wait()
t = time.monotonic()
while time.monotonic() - t < 5:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if not pid:
        time.sleep(0.02)
print(" ".join(pids), flush=True)
"""


@needs_root
def test_dies_with_its_parent():
    """SIGKILL the process that started the rig while a client is logged in: the
    listener (PR_SET_PDEATHSIG) and the session processes go too."""
    script = ("import sys, time; sys.path.insert(0, %r)\n"
              "from vsftpd import start_vsftpd, connect\n"
              "s = start_vsftpd('explicit')\n"
              "f = connect(s)\n"
              "print(s.pid, s.dir, s.pam_file, flush=True)\n"
              "time.sleep(60)\n" % str(HERE))
    r = subprocess.run([PYTHON, "-c", REAPER, PYTHON, script], stdout=subprocess.PIPE, text=True,
                       timeout=20)
    pid, d, pam = r.stdout.split()
    try:
        assert group_gone(int(pid)), r.stdout
    finally:
        shutil.rmtree(d, ignore_errors=True)
        Path(pam).unlink(missing_ok=True)
