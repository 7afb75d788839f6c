"""Timing realism ([timing], --timing real): the port paced at the baud rate
both ways (10 bits a character), the module's latencies for slow commands,
and what pacing is for: a client that empties its receive buffer right after
writing a command (TinyGSM's habit) still gets the answer.

Only lower bounds on time are asserted: a slow machine may take longer, never
less.  The figures and their sources are in the README ("Timing")."""
import fcntl
import hashlib
import os
import re
import struct
import sys
import termios
import time
from pathlib import Path

import pytest

from net import at_ok, bring_up_gprs, legacy_tls_echo, sandbox_args, start_tls_echo

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "servers"))
from nginx import start_nginx  # noqa: E402

PACE = ("-s", "timing.pace=true")
CSQ_REPLY = b"\r\n+CSQ: 18,0\r\n\r\nOK\r\n"


def wire_s(nbytes, baud):
    """Seconds nbytes take on a UART at baud (8N1: 10 bits a character)."""
    return nbytes * 10.0 / baud


def fs_file(m, name, data):
    """Creates C:\\User\\<name> holding data (FSWRITE takes 10240 at a time)."""
    path = b"C:\\User\\" + name
    c = b"AT+FSCREATE=" + path + b"\r"
    m.exchange(c, at_ok(c))
    for off in range(0, len(data), 10240):
        part = data[off:off + 10240]
        c = b"AT+FSWRITE=%s,%d,%d,10\r" % (path, 1 if off else 0, len(part))
        m.exchange(c, c + b"\r\n> ")
        m.write(part)
        m.expect_exact(b"\r\nOK\r\n", timeout=10)
    return path


def read_reply(m, cmd, total, timeout=30):
    """Writes cmd and reads exactly `total` bytes (echo included)."""
    m.write(cmd)
    deadline = time.monotonic() + timeout
    while len(m.buf) < total:
        assert time.monotonic() < deadline, f"{len(m.buf)} of {total} bytes: {bytes(m.buf[:80])!r}"
        m._read_some(deadline)
    return m.take()


def test_paced_at_9600_after_ipr(emulator):
    """AT+IPR=9600 answers OK at the old rate, then the port runs at 960
    characters a second: 2 KB of AT+FSREAD take about 2.2 s."""
    _, m = emulator.modem(*PACE)
    data = bytes(range(256)) * 8
    path = fs_file(m, b"t.bin", data)
    m.exchange(b"AT+IPR=9600\r", at_ok(b"AT+IPR=9600\r"))
    cmd = b"AT+FSREAD=%s,0,%d,0\r" % (path, len(data))
    want = cmd + b"\r\n" + data + b"\r\nOK\r\n"
    t0 = time.monotonic()
    got = read_reply(m, cmd, len(want))
    elapsed = time.monotonic() - t0
    assert got == want
    # The command's own bytes cross the wire too (echoed as they arrive).
    theory = wire_s(len(cmd) + len(want), 9600)
    assert elapsed >= 0.8 * theory, (elapsed, theory)
    m.assert_quiet(0.2)


@pytest.fixture(scope="module")
def web():
    with start_nginx(cert_name="www.gmail.com") as w:
        yield w


def bearer_up(m, timeout=5):
    for c in (b'AT+SAPBR=3,1,"Contype","GPRS"', b'AT+SAPBR=3,1,"APN","CMNET"'):
        m.exchange(c + b"\r", at_ok(c + b"\r"))
    m.write(b"AT+SAPBR=1,1\r")
    m.expect_exact(at_ok(b"AT+SAPBR=1,1\r"), timeout=timeout)


def test_paced_httpread_exact(emulator, web):
    """84 KB of AT+HTTPREAD through a paced port at 460800 baud: every byte
    in order (the answer is over the 32 KB back-pressure bound)."""
    _, m = emulator.modem(*PACE, "-s", "boot.ipr=460800",
                          *sandbox_args([("web.test:80", web.http_port)]))
    bearer_up(m)
    for c in (b"AT+HTTPINIT", b'AT+HTTPPARA="CID",1', b'AT+HTTPPARA="URL","web.test/"'):
        m.exchange(c + b"\r", at_ok(c + b"\r"))
    m.write(b"AT+HTTPACTION=0\r")
    m.expect_exact(b"AT+HTTPACTION=0\r\r\nOK\r\n\r\n+HTTPACTION: 0,200,84200\r\n", timeout=20)
    body = web.file("index.html")
    want = b"AT+HTTPREAD\r\r\n+HTTPREAD: 84200\r\n" + body + b"\r\nOK\r\n"
    t0 = time.monotonic()
    got = read_reply(m, b"AT+HTTPREAD\r", len(want))
    elapsed = time.monotonic() - t0
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(want).hexdigest()
    assert elapsed >= 0.8 * wire_s(len(want), 460800), elapsed
    m.exchange(b"AT\r", b"AT\r\r\nOK\r\n")


# --- a client that empties its input right after writing ---------------------
#
# TinyGSM-style drivers write a command and then throw away whatever the port
# has received; on a module the answer is still on the wire at that moment.

def pending_input(fd):
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def flushing_client(m, cmd, wait_s, settle=0, window=None):
    """Write cmd, wait wait_s (0: none), empty the receive buffer, then read
    until OK; returns what was read.  settle > 0 first waits (at most 2 s)
    until that many bytes have arrived: the whole answer of an unpaced port,
    whatever the machine's load.  window: when the flush came later than
    that many seconds after the write, the attempt is void: None, after
    the port is brought back in step with ATI."""
    fd = m.ser.fileno()
    t0 = time.monotonic()
    os.write(fd, cmd)
    if wait_s:
        time.sleep(wait_s)
    deadline = time.monotonic() + 2
    while settle and pending_input(fd) < settle and time.monotonic() < deadline:
        time.sleep(0.005)
    termios.tcflush(fd, termios.TCIFLUSH)
    m.buf.clear()
    if window is not None and time.monotonic() - t0 >= window:
        m.write(b"ATI\r")  # an answer no other ends with
        m.expect(b"R14.18\r\n\r\nOK\r\n", timeout=5)
        m.take()
        return None
    try:
        return m.expect(b"OK\r\n", timeout=2)
    except AssertionError:
        return m.take()


@pytest.mark.parametrize("echo", [True, False])
def test_flush_right_after_write_paced(emulator, echo):
    """The literal TinyGSM pattern at 115200: write, flush at once, read.
    The answer is on the wire for its characters' time (1.9 ms here): a
    client that flushed within that time still reads it.  An attempt in
    which this process (on a loaded machine) took longer than that from its
    write to its flush says nothing either way and is not counted."""
    _, m = emulator.modem(*PACE)
    if not echo:
        m.exchange(b"ATE0\r", at_ok(b"ATE0\r"))
    window = wire_s(len(CSQ_REPLY), 115200)
    counted = 0
    for _ in range(200):
        got = flushing_client(m, b"AT+CSQ\r", 0, window=window)
        if got is not None:
            assert got.endswith(CSQ_REPLY), got
            counted += 1
            if counted == 20:
                break
    assert counted >= 5, f"only {counted} attempts flushed within {window * 1000:.1f} ms"


@pytest.mark.parametrize("paced", [True, False])
def test_flush_after_transmit(emulator, paced):
    """A host that waits until its command has left its UART (Arduino's
    Serial.flush()) and then empties its input: on a module at 2400 baud the
    echo is arriving and the answer is still to come, so the client reads it.
    Without pacing the emulator has answered long before: the answer is
    thrown away, which is the failure pacing exists to avoid."""
    args = ("-s", "boot.ipr=2400") + (PACE if paced else ())
    _, m = emulator.modem(*args)
    cmd = b"AT+CSQ\r"
    whole = len(cmd) + len(CSQ_REPLY)
    got = flushing_client(m, cmd, wire_s(len(cmd), 2400), settle=0 if paced else whole)
    if paced:
        assert got.endswith(CSQ_REPLY), got
        assert got[:-len(CSQ_REPLY)] in cmd, got   # at most the echo's tail
    else:
        assert got == b"", got


# --- latencies ----------------------------------------------------------------

def timed(m, send, expected, timeout=20):
    t0 = time.monotonic()
    m.write(send)
    m.expect_exact(expected, timeout=timeout)
    return time.monotonic() - t0


def test_real_latencies_tcpip(emulator):
    """--timing real: AT+CIICR 1 s, a TCP connect one GPRS round trip
    (0.6 s), a TLS handshake two more (1.2 s)."""
    with start_tls_echo() as plain, legacy_tls_echo(cert_name="tls.example.test") as tls:
        _, m = emulator.modem("--timing", "real",
                              *sandbox_args([("echo.test:7", plain),
                                             ("tls.example.test:443", tls)]))
        m.exchange(b'AT+CSTT="CMNET"\r', at_ok(b'AT+CSTT="CMNET"\r'))
        assert timed(m, b"AT+CIICR\r", at_ok(b"AT+CIICR\r")) >= 1.0
        m.exchange(b"AT+CIFSR\r", b"AT+CIFSR\r\r\n10.78.245.128\r\n")
        start = b'AT+CIPSTART="TCP","echo.test",7\r'
        assert timed(m, start, start + b"\r\nOK\r\n\r\nCONNECT OK\r\n") >= 0.6
        m.exchange(b"AT+CIPCLOSE\r", b"AT+CIPCLOSE\r\r\nCLOSE OK\r\n")
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
        start = b'AT+CIPSTART="TCP","tls.example.test",443\r'
        assert timed(m, start, start + b"\r\nOK\r\n\r\nCONNECT OK\r\n") >= 1.8
        m.exchange(b"AT+CIPSEND=4\r", b"AT+CIPSEND=4\r\r\n> ")
        m.write(b"ping")
        m.expect_exact(b"\r\nSEND OK\r\nping", timeout=10)


def test_real_latencies_http(emulator, web):
    """--timing real: AT+SAPBR=1,1 1.5 s; AT+HTTPACTION's URC after the
    connect (0.6 s), the TLS handshake (1.2 s) and the request (1.8 s)."""
    _, m = emulator.modem("--timing", "real",
                          *sandbox_args([("www.gmail.com:443", web.https_port)]))
    t0 = time.monotonic()
    bearer_up(m)
    assert time.monotonic() - t0 >= 1.5
    for c in (b"AT+HTTPINIT", b'AT+HTTPPARA="CID",1', b'AT+HTTPPARA="URL","www.gmail.com/1k.txt"',
              b"AT+HTTPSSL=1"):
        m.exchange(c + b"\r", at_ok(c + b"\r"))
    m.write(b"AT+HTTPACTION=0\r")
    m.expect_exact(b"AT+HTTPACTION=0\r\r\nOK\r\n")
    t0 = time.monotonic()
    got = m.expect(b"\r\n", timeout=20) + m.expect(b"\r\n", timeout=20)
    assert re.fullmatch(rb"\r\n\+HTTPACTION: 0,200,\d+\r\n", got), got
    assert time.monotonic() - t0 >= 0.6 + 1.2 + 1.8 - 0.1
    m.exchange(b"AT+HTTPTERM\r", at_ok(b"AT+HTTPTERM\r"))


def test_latency_is_per_action_not_a_sleep(emulator, web):
    """A second AT+HTTPACTION while the first's URC is held is refused, and
    the modem keeps answering other commands meanwhile."""
    _, m = emulator.modem("-s", "timing.httpaction_ms=1500",
                          *sandbox_args([("web.test:80", web.http_port)]))
    bearer_up(m)
    for c in (b"AT+HTTPINIT", b'AT+HTTPPARA="CID",1', b'AT+HTTPPARA="URL","web.test/1k.txt"'):
        m.exchange(c + b"\r", at_ok(c + b"\r"))
    m.write(b"AT+HTTPACTION=0\r")
    m.expect_exact(b"AT+HTTPACTION=0\r\r\nOK\r\n")
    t0 = time.monotonic()
    m.exchange(b"AT+CSQ\r", b"AT+CSQ\r" + CSQ_REPLY)
    # CMEE=0 (power-on): "operation not allowed" is a plain ERROR.
    m.exchange(b"AT+HTTPACTION=0\r", b"AT+HTTPACTION=0\r\r\nERROR\r\n")
    time.sleep(0.3)   # nginx has answered: the result is held, not reported
    m.exchange(b"AT+HTTPSTATUS?\r", b"AT+HTTPSTATUS?\r\r\n+HTTPSTATUS: GET,1,1024,0\r\n\r\nOK\r\n")
    got = m.expect(b"\r\n", timeout=20) + m.expect(b"\r\n", timeout=20)
    assert got == b"\r\n+HTTPACTION: 0,200,1024\r\n", got
    assert time.monotonic() - t0 >= 1.4
    # AT+HTTPTERM while the result is held drops it, URC and all.
    m.write(b"AT+HTTPACTION=0\r")
    m.expect_exact(b"AT+HTTPACTION=0\r\r\nOK\r\n")
    time.sleep(0.3)
    m.exchange(b"AT+HTTPTERM\r", at_ok(b"AT+HTTPTERM\r"))
    m.assert_quiet(1.8)


# --- one process, many modems -------------------------------------------------

def test_slow_modem_does_not_slow_another(emulator, tmp_path):
    """Two paced modems in one process: modem 0 at 2400 baud streams 1 KB
    (4.3 s); modem 1 at 460800 runs 40 commands meanwhile, all answered
    before modem 0's answer is through."""
    e = emulator.start(*PACE, "-l", str(tmp_path / "m%d"), n=2)
    slow = e.boot(0)
    fast = e.boot(1)
    data = bytes(range(256)) * 4
    path = fs_file(slow, b"s.bin", data)
    slow.exchange(b"AT+IPR=2400\r", at_ok(b"AT+IPR=2400\r"))
    fast.exchange(b"AT+IPR=460800\r", at_ok(b"AT+IPR=460800\r"))
    cmd = b"AT+FSREAD=%s,0,%d,0\r" % (path, len(data))
    want = cmd + b"\r\n" + data + b"\r\nOK\r\n"
    slow.write(cmd)
    t0 = time.monotonic()
    for _ in range(40):
        fast.exchange(b"AT+CSQ\r", b"AT+CSQ\r" + CSQ_REPLY)
    t1 = time.monotonic() - t0
    slow._read_some(time.monotonic())   # what has arrived; a paced stream never pauses
    assert len(slow.buf) < len(want), ("the slow modem finished first", t1)
    rest = read_reply(slow, b"", len(want))
    assert rest == want


@pytest.mark.parametrize("paced", [True, False])
def test_autobaud_locks_on_a_split_at(emulator, paced):
    """Autobauding: "A" and "T" in separate writes (typed by hand, or handed
    over byte by byte by a paced port) still synchronise the module."""
    e = emulator.start("-s", "boot.ipr=0", *(PACE if paced else ()))
    m = e.open()
    m.assert_quiet(0.3)
    m.write(b"A")
    time.sleep(0.05)
    m.write(b"T\r")
    m.expect_exact(b"AT\r\r\nOK\r\n")
    m.exchange(b"AT+IPR?\r", b"AT+IPR?\r\r\n+IPR: 0\r\n\r\nOK\r\n")
