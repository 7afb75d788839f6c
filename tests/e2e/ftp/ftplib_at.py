"""Helpers of the FTP tests: a modem set up for AT+FTP* against a loopback
FTP server, and the AT-level download/upload loops a driver runs."""
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from net import REPO, at_ok, sandbox_args  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "servers"))
import vsftpd  # noqa: E402,F401

SERVER = "116.228.221.52"  # the notes' FTP server, mapped to the loopback server
URC = re.compile(rb"\r\n\+FTP(GET|PUT|LIST): 1,(\d+)(?:,(\d+))?\r\n")


def bearer_up(m):
    for c in (b'AT+SAPBR=3,1,"Contype","GPRS"', b'AT+SAPBR=3,1,"APN","CMNET"'):
        m.exchange(c + b"\r", at_ok(c + b"\r"))
    m.write(b"AT+SAPBR=1,1\r")
    m.expect_exact(at_ok(b"AT+SAPBR=1,1\r"), timeout=5)


def setting(m, line):
    """A command answered with a lone OK (echo off)."""
    m.exchange(line + b"\r", b"\r\nOK\r\n")


def ftp_modem(emulator, srv, *extra, ssl=0, mode=1, type_=b"I", user=None, password=None,
              maps=None, bearer=True, port=None):
    """A booted modem with echo off, the bearer up and the FTP parameters set
    for srv (reached as 116.228.221.52:21)."""
    maps = maps if maps is not None else [(f"{SERVER}:21", srv)]
    _, m = emulator.modem(*sandbox_args(maps), *extra)
    m.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n")
    if bearer:
        m.exchange(b'AT+SAPBR=3,1,"Contype","GPRS"\r', b"\r\nOK\r\n")
        m.write(b"AT+SAPBR=1,1\r")
        m.expect_exact(b"\r\nOK\r\n", timeout=5)
    user = user if user is not None else (srv.user if srv else vsftpd.SEED_USER)
    password = password if password is not None else (srv.password if srv else vsftpd.SEED_PASSWORD)
    for line in (b"AT+FTPCID=1", b'AT+FTPSERV="%s"' % SERVER.encode(),
                 b'AT+FTPUN="%s"' % user.encode(), b'AT+FTPPW="%s"' % password.encode(),
                 b"AT+FTPMODE=%d" % mode, b"AT+FTPTYPE=%s" % type_, b"AT+FTPSSL=%d" % ssl):
        m.exchange(line + b"\r", b"\r\nOK\r\n")
    if port:
        m.exchange(b"AT+FTPPORT=%d\r" % port, b"\r\nOK\r\n")
    return m


def wait_urc(m, name=b"GET", timeout=20):
    """The next +FTP<name>: 1,<x>[,<y>] URC: (x, y)."""
    pat = re.compile(rb"\r\n\+FTP" + name + rb": 1,(\d+)(?:,(\d+))?\r\n")
    deadline = time.monotonic() + timeout
    while True:
        mo = pat.search(m.buf)
        if mo:
            x, y = mo.group(1), mo.group(2)
            del m.buf[:mo.end()]
            return int(x), (int(y) if y else None)
        if time.monotonic() > deadline:
            raise AssertionError(f"no +FTP{name.decode()}: 1,x within {timeout}s: {bytes(m.buf)!r}")
        m._read_some(deadline)


def next_item(m, name, timeout=20):
    """The next thing from the modem during a transfer: ("urc", code),
    ("data", bytes) for a +FTP<name>: 2,<n> reply with its OK, or ("error",)."""
    urc = re.compile(rb"^\r\n\+FTP" + name + rb": 1,(\d+)\r\n")
    head = re.compile(rb"^\r\n\+FTP" + name + rb": 2,(\d+)\r\n")
    deadline = time.monotonic() + timeout
    while True:
        mo = urc.match(m.buf)
        if mo:
            code = int(mo.group(1))
            del m.buf[:mo.end()]
            return ("urc", code)
        mo = head.match(m.buf)
        if mo:
            n, start = int(mo.group(1)), mo.end()
            if len(m.buf) >= start + n + 6:
                data = bytes(m.buf[start:start + n])
                assert m.buf[start + n:start + n + 6] == b"\r\nOK\r\n", bytes(m.buf[:200])
                del m.buf[:start + n + 6]
                return ("data", data)
        elif m.buf.startswith(b"\r\nERROR\r\n"):
            del m.buf[:9]
            return ("error",)
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing parsable within {timeout}s: {bytes(m.buf[:200])!r}")
        m._read_some(deadline)


def read_reply(m, name, timeout=20):
    """One AT+FTP<name>=2,<n> reply (URCs before it skipped): the data bytes."""
    while True:
        item = next_item(m, name, timeout)
        if item[0] == "data":
            return item[1]
        assert item[0] == "urc" and item[1] == 1, item


def download(m, name=b"GET", reqlen=1460, timeout=60, start=True):
    """AT+FTP<name>=1 (unless start=False) then reads until "1,0":
    (bytes, 0), or (bytes so far, error code)."""
    if start:
        m.write(b"AT+FTP%s=1\r" % name)
        m.expect(b"\r\nOK\r\n")
    code, _ = wait_urc(m, name, timeout)
    if code != 1:
        return b"", code
    out = bytearray()
    finished = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m.write(b"AT+FTP%s=2,%d\r" % (name, reqlen))
        while True:
            item = next_item(m, name, timeout)
            if item[0] == "urc":
                if item[1] == 0:
                    finished = True
                elif item[1] != 1:
                    return bytes(out), item[1]
                continue
            break
        if item[0] == "error":
            if finished:
                return bytes(out), 0
            raise AssertionError("ERROR to a read during the session")
        out += item[1]
        # "1,0" comes right after the OK of the read that drained the buffer.
        m._read_some(time.monotonic())
        if m.buf.startswith(b"\r\n+FTP%s: 1," % name):
            item = next_item(m, name, timeout)
            if item[1] == 0:
                return bytes(out), 0
            if item[1] != 1:
                return bytes(out), item[1]
        elif finished:
            return bytes(out), 0
        elif not item[1]:
            code, _ = wait_urc(m, name, timeout)
            if code == 0:
                return bytes(out), 0
            if code != 1:
                return bytes(out), code
    raise AssertionError("download did not end")


def upload(m, data, chunk=1360, timeout=60):
    """AT+FTPPUT=1, chunks of AT+FTPPUT=2,<n>, AT+FTPPUT=2,0: the final code."""
    m.write(b"AT+FTPPUT=1\r")
    m.expect(b"\r\nOK\r\n")
    code, maxlen = wait_urc(m, b"PUT", timeout)
    if code != 1:
        return code
    assert maxlen == 1360
    for off in range(0, len(data), chunk):
        part = data[off:off + chunk]
        m.write(b"AT+FTPPUT=2,%d\r" % len(part))
        prompt = b"\r\n+FTPPUT: 2,%d\r\n" % len(part)
        deadline = time.monotonic() + timeout
        while not m.buf.startswith(prompt):
            mo = re.match(rb"\r\n\+FTPPUT: 1,(\d+)\r\n\r\nERROR\r\n", m.buf)
            if mo:  # the session failed while this chunk was asked for
                code = int(mo.group(1))
                del m.buf[:mo.end()]
                return code
            if time.monotonic() > deadline:
                raise AssertionError(f"no prompt: {bytes(m.buf[:200])!r}")
            m._read_some(deadline)
        del m.buf[:len(prompt)]
        m.write(part)
        # The session may fail while the chunk is in flight: ERROR, then
        # the +FTPPUT: 1,<code> the open line held back (in either order
        # with respect to a load-dependent moment; both are the module's).
        got = m.expect_any([b"\r\nOK\r\n", b"\r\nERROR\r\n"], timeout=timeout)
        code, maxlen = wait_urc(m, b"PUT", timeout)
        if got.endswith(b"ERROR\r\n"):
            assert code != 1, code
            return code
        if code != 1:
            return code
    m.write(b"AT+FTPPUT=2,0\r")
    m.expect(b"\r\nOK\r\n")
    code, _ = wait_urc(m, b"PUT", timeout)
    return code
