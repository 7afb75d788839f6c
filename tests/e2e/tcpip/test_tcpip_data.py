"""No lost bytes: megabytes of random binary (0x00, 0x1A, 0x1B included) through
AT+CIPSEND and AT+CIPRXGET, +RECEIVE push mode and six interleaved links, each
checked with SHA-256 against what the real server saw or sent."""
import hashlib
import re
import time

import pytest

from net import (at_ok, bring_up_gprs, legacy_tls_echo, payload, sandbox_args,
                 sha256_hex, start_tls_echo)

MB = 1 << 20
SEG = 1460                       # the module's largest send / read (SIM800 AT Command Manual V1.09 §8.2.23, §8.2.26)
RXGET2 = re.compile(rb"\r\n\+CIPRXGET: 2,(?:(\d),)?(\d+),(\d+)\r\n")


URC_LINE = re.compile(rb"\r\n([^\r\n]+)\r\n")


class Reader:
    """Parses CIPRXGET mode-2 replies straight from a Port's buffer; URC lines
    that arrive before a reply are collected in .urcs."""

    def __init__(self, port):
        self.m = port
        self.urcs = []

    def _more(self, deadline):
        if time.monotonic() > deadline:
            raise AssertionError(f"timeout; buffered {bytes(self.m.buf[:200])!r}")
        self.m._read_some(deadline)

    def take_urcs(self):
        out, self.urcs = self.urcs, []
        return out

    def wait_urc(self, timeout=10):
        """The next URC line (text without framing)."""
        deadline = time.monotonic() + timeout
        while not self.urcs:
            mt = URC_LINE.match(self.m.buf)
            if mt:
                self.urcs.append(mt.group(1))
                del self.m.buf[:mt.end()]
            else:
                self._more(deadline)
        return self.urcs.pop(0)

    def read(self, cmd, timeout=10):
        """Send an AT+CIPRXGET=2 command (echo off); return (data, remaining)."""
        self.m.write(cmd)
        deadline = time.monotonic() + timeout
        while True:
            mt = RXGET2.match(self.m.buf)
            if mt:
                break
            u = URC_LINE.match(self.m.buf)
            if u and not u.group(1).startswith(b"+CIPRXGET: 2,"):
                self.urcs.append(u.group(1))
                del self.m.buf[:u.end()]
                continue
            self._more(deadline)
        n, left = int(mt.group(2)), int(mt.group(3))
        end = mt.end() + n + len(b"\r\nOK\r\n")
        while len(self.m.buf) < end:
            self._more(deadline)
        data = bytes(self.m.buf[mt.end():mt.end() + n])
        assert self.m.buf[mt.end() + n:end] == b"\r\nOK\r\n", bytes(self.m.buf[:end + 20])
        del self.m.buf[:end]
        return data, left


def quiet_modem(emulator, maps, *extra):
    _, m = emulator.modem(*sandbox_args(maps), *extra)
    m.exchange(b"ATE0\r", at_ok(b"ATE0\r"))
    return m


def gprs_echo_off(m, mux=False):
    m.exchange(b"AT+CIPMUX=%d\r" % mux, b"\r\nOK\r\n")
    m.exchange(b'AT+CSTT="CMNET"\r', b"\r\nOK\r\n")
    m.write(b"AT+CIICR\r")
    m.expect_exact(b"\r\nOK\r\n", timeout=5)
    m.exchange(b"AT+CIFSR\r", b"\r\n10.78.245.128\r\n")


@pytest.mark.parametrize("tls", [False, True], ids=["tcp", "tls"])
def test_upload_8mb_cipsend_fixed_length(emulator, tls):
    size = 8 * MB
    data = payload(size, "up")
    srv_cm = (legacy_tls_echo(f"sink-n:{size}", cert_name="tls.example.test") if tls
              else start_tls_echo(mode=f"sink-n:{size}"))
    with srv_cm as srv:
        m = quiet_modem(emulator, [("116.228.221.51:8500", srv)])
        gprs_echo_off(m)
        if tls:
            m.exchange(b"AT+CIPSSL=1\r", b"\r\nOK\r\n")
        m.write(b'AT+CIPSTART="TCP","116.228.221.51","8500"\r')
        m.expect_exact(b"\r\nOK\r\n\r\nCONNECT OK\r\n", timeout=15)
        view = memoryview(data)
        for off in range(0, size, SEG):
            chunk = view[off:off + SEG]
            m.write(b"AT+CIPSEND=%d\r" % len(chunk))
            m.expect(b"\r\n> ", timeout=10)
            m.write(chunk)
            m.expect(b"\r\nSEND OK\r\n", timeout=10)
            if off + SEG < size:   # (the server's answer may follow the last one)
                assert not m.buf, bytes(m.buf[:100])
        # The server answers with the SHA-256 of the 8 MB it received, then closes.
        reply = (sha256_hex(data) + " %d\n" % size).encode()
        m.expect_exact(reply + b"\r\nCLOSED\r\n", timeout=20)


@pytest.mark.parametrize("tls", [False, True], ids=["tcp", "tls"])
def test_download_8mb_ciprxget(emulator, tls):
    size = 8 * MB
    data = payload(size, "down")
    srv_cm = (legacy_tls_echo(f"source:{size}:down", cert_name="tls.example.test") if tls
              else start_tls_echo(mode=f"source:{size}:down"))
    with srv_cm as srv:
        m = quiet_modem(emulator, [("116.228.221.51:8500", srv)])
        gprs_echo_off(m)
        m.exchange(b"AT+CIPRXGET=1\r", b"\r\nOK\r\n")
        if tls:
            m.exchange(b"AT+CIPSSL=1\r", b"\r\nOK\r\n")
        m.write(b'AT+CIPSTART="TCP","116.228.221.51","8500"\r')
        m.expect_exact(b"\r\nOK\r\n\r\nCONNECT OK\r\n\r\n+CIPRXGET: 1\r\n", timeout=15)
        r = Reader(m)
        h = hashlib.sha256()
        got = 0
        closed = False
        while got < size:
            chunk, left = r.read(b"AT+CIPRXGET=2,1460\r")
            assert len(chunk) <= SEG
            h.update(chunk)
            got += len(chunk)
            if not chunk:
                # Buffer drained: wait for the next +CIPRXGET: 1 (or CLOSED).
                urc = r.wait_urc()
                if urc == b"CLOSED":
                    closed = True
                    continue
                assert urc == b"+CIPRXGET: 1", urc
            else:
                for urc in r.take_urcs():
                    assert urc in (b"CLOSED", b"+CIPRXGET: 1"), urc
                    closed = closed or urc == b"CLOSED"
        assert got == size
        assert h.hexdigest() == sha256_hex(data)
        if not closed:
            m.expect_exact(b"\r\nCLOSED\r\n", timeout=10)
        # Everything was read; a closed link with nothing buffered is an error
        # to read (manual §8.2.26, CIPRXGET).
        m.exchange(b"AT+CIPRXGET=2,1460\r", b"\r\nERROR\r\n")


def test_download_1mb_push_mode_multi(emulator):
    size = MB
    data = payload(size, "push")
    with start_tls_echo(mode=f"source:{size}:push") as srv:
        m = quiet_modem(emulator, [("116.228.221.51:8500", srv)])
        gprs_echo_off(m, mux=True)
        m.write(b'AT+CIPSTART=3,"TCP","116.228.221.51","8500"\r')
        # The server starts sending at once: data follows CONNECT OK directly.
        assert m.expect(b"3, CONNECT OK\r\n", timeout=15) == b"\r\nOK\r\n\r\n3, CONNECT OK\r\n"
        head = re.compile(rb"\r\n\+RECEIVE,3,(\d+):\r\n")
        out = bytearray()
        deadline = time.monotonic() + 60
        while len(out) < size:
            mt = head.match(m.buf)
            if not mt:
                assert len(m.buf) < 32 or m.buf.startswith(b"\r\n+RECEIVE"), bytes(m.buf[:80])
                assert time.monotonic() < deadline, "push mode stalled"
                m._read_some(deadline)
                continue
            n = int(mt.group(1))
            assert 0 < n <= SEG
            while len(m.buf) < mt.end() + n:
                m._read_some(deadline)
            out += m.buf[mt.end():mt.end() + n]
            del m.buf[:mt.end() + n]
        assert sha256_hex(bytes(out)) == sha256_hex(data)
        m.expect_exact(b"\r\n3, CLOSED\r\n", timeout=10)


def test_prompt_mode_keeps_binary_but_ctrl_z_ends(emulator):
    # Ctrl-Z form: data up to the 0x1A; 0x00 and 0x1B-free bytes pass unchanged.
    body = bytes(b for b in range(256) if b not in (0x1A, 0x1B))
    with start_tls_echo() as srv:
        m = quiet_modem(emulator, [("116.228.221.51:8500", srv)])
        gprs_echo_off(m)
        m.write(b'AT+CIPSTART="TCP","116.228.221.51","8500"\r')
        m.expect_exact(b"\r\nOK\r\n\r\nCONNECT OK\r\n", timeout=15)
        m.exchange(b"AT+CIPSEND\r", b"\r\n> ")
        m.write(body + b"\x1a")
        m.expect_exact(b"\r\nSEND OK\r\n" + body, timeout=10)
        # ESC cancels: nothing sent (the server would echo it).
        m.exchange(b"AT+CIPSEND\r", b"\r\n> ")
        m.write(b"never sent\x1b")
        m.expect_exact(b"\r\nOK\r\n", timeout=5)
        m.assert_quiet(0.3)
        # In the fixed-length form 0x1A and 0x1B are data.
        m.exchange(b"AT+CIPSEND=4\r", b"\r\n> ")
        m.write(b"\x1a\x1b\x00\x1a")
        m.expect_exact(b"\r\nSEND OK\r\n\x1a\x1b\x00\x1a", timeout=10)


def test_six_links_interleaved(emulator):
    """Links 0-5 at once, three plain and three TLS, to echo servers; the
    writes go round-robin so each link's data interleaves with the others'."""
    per_link = 256 * 1024
    with start_tls_echo() as plain, legacy_tls_echo(cert_name="tls.example.test") as tls:
        m = quiet_modem(emulator, [("116.228.221.51:8500", plain),
                                   ("116.228.221.51:9600", tls)])
        gprs_echo_off(m, mux=True)
        m.exchange(b"AT+CIPRXGET=1\r", b"\r\nOK\r\n")
        m.exchange(b"AT+CIPQSEND=1\r", b"\r\nOK\r\n")
        for n in range(6):
            ssl = n % 2
            m.exchange(b"AT+CIPSSL=%d\r" % ssl, b"\r\nOK\r\n")
            port = b"9600" if ssl else b"8500"
            m.write(b'AT+CIPSTART=%d,"TCP","116.228.221.51",%s\r' % (n, port))
            m.expect_exact(b"\r\nOK\r\n\r\n%d, CONNECT OK\r\n" % n, timeout=15)
        sent = {n: payload(per_link, f"link{n}") for n in range(6)}
        got = {n: bytearray() for n in range(6)}
        r = Reader(m)
        pending = set()

        def note_urcs(text):
            for mt in re.finditer(rb"\+CIPRXGET: 1,(\d)", text):
                pending.add(int(mt.group(1)))

        def drain(n):
            while True:
                chunk, left = r.read(b"AT+CIPRXGET=2,%d,1460\r" % n)
                note_urcs(b"\n".join(r.take_urcs()))
                got[n].extend(chunk)
                if left == 0:
                    return

        for off in range(0, per_link, SEG):
            for n in range(6):
                chunk = sent[n][off:off + SEG]
                m.write(b"AT+CIPSEND=%d,%d\r" % (n, len(chunk)))
                note_urcs(m.expect(b"\r\n> ", timeout=10))
                m.write(chunk)
                note_urcs(m.expect(b"\r\nDATA ACCEPT:%d,%d\r\n" % (n, len(chunk)), timeout=10))
            for n in sorted(pending):
                pending.discard(n)
                drain(n)
        deadline = time.monotonic() + 30
        while any(len(got[n]) < per_link for n in range(6)):
            assert time.monotonic() < deadline, {n: len(got[n]) for n in got}
            for n in range(6):
                drain(n)
            m.read_for(0.05)
        for n in range(6):
            assert sha256_hex(bytes(got[n])) == sha256_hex(sent[n]), f"link {n}"
        for n in range(6):
            m.exchange(b"AT+CIPCLOSE=%d,1\r" % n, b"\r\n%d, CLOSE OK\r\n" % n)
        m.exchange(b"AT+CIPSHUT\r", b"\r\nSHUT OK\r\n")


def test_push_mode_stops_reading_while_the_host_does_not(emulator):
    """A host that does not read must not make the emulator swallow the whole
    stream into memory: the server stays blocked until the host reads, and
    then every byte arrives in order."""
    size = 24 * MB
    data = payload(size, "slow")
    with start_tls_echo(mode=f"source:{size}:slow") as srv:
        m = quiet_modem(emulator, [("116.228.221.51:8500", srv)])
        gprs_echo_off(m)
        m.write(b'AT+CIPSTART="TCP","116.228.221.51","8500"\r')
        time.sleep(2.0)          # the host reads nothing meanwhile
        assert not any("close" in line for line in srv.log().splitlines()), srv.log()
        assert m.expect(b"CONNECT OK\r\n", timeout=5) == b"\r\nOK\r\n\r\nCONNECT OK\r\n"
        h = hashlib.sha256()
        got = 0
        deadline = time.monotonic() + 120
        while got < size:
            if not m.buf:
                assert time.monotonic() < deadline, f"stalled at {got}"
                m._read_some(deadline)
            take = min(len(m.buf), size - got)
            h.update(m.buf[:take])
            del m.buf[:take]
            got += take
        assert h.hexdigest() == sha256_hex(data)
        m.expect_exact(b"\r\nCLOSED\r\n", timeout=10)
        srv.wait_log(r"conn 1 close rx=0 tx=%d" % size)
