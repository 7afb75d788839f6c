"""Modems over the network (README "Over the network"): --listen serves
modem i on TCP port PORT+i with RFC 2217 (pyserial's rfc2217:// client, as
a user's program opens it instead of /dev/pts/N), --listen-raw with raw
bytes (as socat gives them); an HTTPS GET of 300 KB checked by SHA-256
through each; one client per modem, hand-over with the PTY."""
import contextlib
import hashlib
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial

from conftest import Port
from net import at_ok, sandbox_args

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "servers"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "python"))
from nginx import start_nginx  # noqa: E402
from sim800emu import Control  # noqa: E402

OK = b"\r\nOK\r\n"


def free_port_pair():
    """Two consecutive free loopback ports (modem 0 and 1)."""
    for _ in range(50):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port < 65000:
            t = socket.socket()
            try:
                t.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
            finally:
                t.close()
    raise RuntimeError("no two free ports")


class _Url:
    """pyserial's rfc2217:// client behind the Port helpers (read without select)."""

    def __init__(self, url):
        self.s = serial.serial_for_url(url, baudrate=115200, timeout=0.05)
        self.is_open = True

    def read(self, n):
        return self.s.read(max(1, min(n, self.s.in_waiting)))

    def write(self, data):
        self.s.write(data)

    def flush(self):
        self.s.flush()

    def close(self):
        if self.is_open:
            self.s.close()
            self.is_open = False


class UrlPort(Port):
    def __init__(self, url):
        self.path = url
        self.ser = _Url(url)
        self.buf = bytearray()

    def _read_some(self, deadline):
        if time.monotonic() > deadline:
            return False
        data = self.ser.read(65536)
        self.buf += data
        return bool(data)


class _Sock:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.is_open = True

    def fileno(self):
        return self.sock.fileno()

    def read(self, n):
        try:
            return self.sock.recv(n)
        except BlockingIOError:
            return b""

    def write(self, data):
        self.sock.setblocking(True)
        self.sock.sendall(data)
        self.sock.setblocking(False)

    def flush(self):
        pass

    def close(self):
        if self.is_open:
            self.sock.close()
            self.is_open = False


class SockPort(Port):
    def __init__(self, port):
        self.path = "tcp:%d" % port
        self.ser = _Sock(port)
        self.buf = bytearray()


@pytest.fixture(scope="module")
def web():
    with start_nginx(cert_name="www.gmail.com") as w:
        yield w


def https_get_300k(m, web):
    """The IP Application Note's HTTP steps over TLS: 300 KB, checked whole."""
    for c in (b'AT+SAPBR=3,1,"APN","CMNET"', b"AT+SAPBR=1,1", b"AT+HTTPINIT",
              b'AT+HTTPPARA="CID",1', b'AT+HTTPPARA="URL","https://www.gmail.com/300k.bin"',
              b"AT+HTTPSSL=1"):
        m.exchange(c + b"\r", at_ok(c + b"\r"), timeout=10)
    m.write(b"AT+HTTPACTION=0\r")
    m.expect(b"\r\n+HTTPACTION: 0,200,307200\r\n", timeout=30)
    m.write(b"AT+HTTPREAD\r")
    m.expect(b"AT+HTTPREAD\r\r\n+HTTPREAD: 307200\r\n", timeout=10)
    deadline = time.monotonic() + 30
    while len(m.buf) < 307200 + 6:
        assert time.monotonic() < deadline, len(m.buf)
        m._read_some(deadline)
    body = bytes(m.buf[:307200])
    assert bytes(m.buf[307200:307206]) == OK
    del m.buf[:307206]
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(web.file("300k.bin")).hexdigest()


@pytest.mark.parametrize("raw", [False, True], ids=["rfc2217", "raw"])
def test_https_get_over_the_network(emulator, web, raw):
    port = free_port_pair()
    args = sandbox_args([("www.gmail.com:443", web.https_port)]) + ["--listen", str(port)]
    if raw:
        args.append("--listen-raw")
    emulator.start(*args)
    m = SockPort(port) if raw else UrlPort("rfc2217://127.0.0.1:%d" % port)
    try:
        if raw:   # the first client gets what the modem said before it came (the boot)
            m.expect(b"SMS Ready\r\n", timeout=5)
        m.exchange(b"AT\r", b"AT\r" + OK, timeout=5)
        https_get_300k(m, web)
        if not raw:
            m.ser.s.baudrate = 9600          # acknowledged (pyserial waits for the answer)
            m.exchange(b"ATI\r", b"ATI\r\r\nSIM800 R14.18\r\n" + OK)
    finally:
        m.close()


def test_one_client_at_a_time_and_the_hand_over(emulator, tmp_path):
    port = free_port_pair()
    ctl = tmp_path / "ctl.sock"
    e = emulator.start("--listen", "127.0.0.1:%d" % port, "--listen-raw", "--control", ctl, n=2)
    local = e.boot()                             # a PTY client has modem 0
    s = socket.create_connection(("127.0.0.1", port))
    assert s.recv(200) == b"sim800emu: this modem's port has a client already\r\n"
    s.close()
    local.exchange(b"AT+CSQ\r", b"AT+CSQ\r\r\n+CSQ: 18,0\r\n" + OK)
    local.close()                                # the master's hang-up: free at once
    net = SockPort(port)
    net.exchange(b"ATE0\r", b"ATE0\r" + OK, timeout=5)
    net.close()
    again = Port(e.paths[0])
    again.exchange(b"AT\r", OK)                  # E0 stays: the module as it is
    again.close()
    other = SockPort(port + 1)                   # modem 1 on the next port
    other.expect(b"SMS Ready\r\n", timeout=5)
    other.exchange(b"AT\r", b"AT\r" + OK, timeout=5)
    other.close()
    with Control(ctl) as c:
        assert [m["listen"] for m in c.status()["modems"]] == \
            ["127.0.0.1:%d" % port, "127.0.0.1:%d" % (port + 1)]


def test_listen_options_refused_with_their_reason():
    from conftest import run_cli
    r = run_cli("--listen-raw")
    assert r.returncode == 2 and "--listen-raw needs --listen" in r.stderr
    r = run_cli("--listen", "70000")
    assert r.returncode == 2 and "--listen 70000: a port 1-65535" in r.stderr
    r = run_cli("--listen", "999.1.1.1:5000")
    assert r.returncode != 0 and "not an IPv4 address" in r.stderr


def test_an_autobauding_module_paces_at_the_rate_rfc2217_sets(emulator):
    """--timing real, AT+IPR=0: the module locks onto the host's rate, so
    the rate pyserial sets over RFC 2217 is the one the port runs at (a
    lower bound on the answer's time, as the other pacing tests check)."""
    port = free_port_pair()
    emulator.start("--timing", "real", "-s", "boot.ipr=0", "--listen", str(port))
    m = UrlPort("rfc2217://127.0.0.1:%d" % port)
    try:
        m.ser.s.baudrate = 2400
        m.exchange(b"AT\r", b"AT\r" + OK, timeout=5)      # autobaud locks on the first AT
        t0 = time.monotonic()
        got = m.cmd(b"AT&V\r", timeout=20)
        took = time.monotonic() - t0
        assert got.endswith(OK) and len(got) > 200
        assert took >= 0.8 * len(got) * 10 / 2400, (took, len(got))   # 2400 baud, not 115200
    finally:
        m.close()


def test_purge_data_reaches_the_bridge_and_the_port_goes_on(emulator, tmp_path):
    """pyserial's reset_input_buffer()/reset_output_buffer() send RFC 2217's
    PURGE-DATA (receive, transmit): each is answered, the bridge flushes the
    PTY's queue that way (the trace says so), and the port goes on."""
    port = free_port_pair()
    trace = tmp_path / "trace"
    emulator.start("--listen", str(port), "--trace", str(trace))
    m = UrlPort("rfc2217://127.0.0.1:%d" % port)
    try:
        m.exchange(b"AT\r", b"AT\r" + OK, timeout=5)
        m.ser.s.reset_input_buffer()   # pyserial waits for each answer
        m.ser.s.reset_output_buffer()
        m.exchange(b"ATI\r", b"ATI\r\r\nSIM800 R14.18\r\n" + OK, timeout=5)
    finally:
        m.close()
    text = trace.read_text()
    assert "purge receive" in text and "purge transmit" in text, text[-2000:]


def test_flowcontrol_suspend_holds_the_answers_until_resume(emulator, tmp_path):
    """RFC 2217 FLOWCONTROL-SUSPEND from the client: nothing more is sent to
    it (the modem's answer waits in the bridge) until FLOWCONTROL-RESUME,
    then it comes whole."""
    import serial.rfc2217 as rfc2217
    port = free_port_pair()
    trace = tmp_path / "trace"
    emulator.start("--listen", str(port), "--trace", str(trace))
    m = UrlPort("rfc2217://127.0.0.1:%d" % port)
    try:
        m.exchange(b"AT\r", b"AT\r" + OK, timeout=5)
        m.ser.s.rfc2217_send_subnegotiation(rfc2217.FLOWCONTROL_SUSPEND)
        deadline = time.monotonic() + 5
        while "flow control suspend" not in trace.read_text():
            assert time.monotonic() < deadline, "the suspend never reached the bridge"
            time.sleep(0.02)
        m.write(b"ATI\r")
        deadline = time.monotonic() + 5
        while "SIM800 R14.18" not in trace.read_text():  # the modem has answered ...
            assert time.monotonic() < deadline, "no answer from the modem"
            time.sleep(0.02)
        time.sleep(0.2)
        m._read_some(time.monotonic() + 0.1)
        assert m.buf == b"", m.buf  # ... and the client has been sent none of it
        m.ser.s.rfc2217_send_subnegotiation(rfc2217.FLOWCONTROL_RESUME)
        assert m.expect(OK, timeout=5) == b"ATI\r\r\nSIM800 R14.18\r\n" + OK
    finally:
        m.close()


def test_the_control_socket_over_tcp_needs_the_token(emulator, monkeypatch):
    """--control-tcp: for a fleet's operator, off by default; every request
    waits for "auth TOKEN" with $SIM800EMU_CONTROL_TOKEN's secret."""
    from conftest import run_cli
    r = run_cli("--control-tcp", "5999")
    assert r.returncode == 2 and "--control-tcp needs $SIM800EMU_CONTROL_TOKEN" in r.stderr
    port = free_port_pair()
    token = "s3cret-token-0123456789"
    monkeypatch.setenv("SIM800EMU_CONTROL_TOKEN", token)
    emulator.start("--control-tcp", str(port)).boot()
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rwb", buffering=0)

    def ask(line):
        f.write(line.encode() + b"\n")
        return f.readline().decode().rstrip("\n")

    refused = "error auth TOKEN first (the token of $SIM800EMU_CONTROL_TOKEN)"
    assert ask("status") == refused
    assert ask("auth " + token[:-1] + "x") == refused
    assert ask("auth " + token) == "ok"
    assert ask("status").startswith('ok {"modems":[{"index":0,')
    s.close()


@contextlib.contextmanager
def socat_pty(port, tmp_path):
    """socat bridging a PTY of its own to the raw TCP port: the serial-port
    path a user's unchanged program opens (README "Over the network")."""
    link = tmp_path / "ttySIM800"
    proc = subprocess.Popen(["socat", f"pty,link={link},raw,echo=0",
                             f"tcp:127.0.0.1:{port}"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not link.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "socat made no PTY"
            time.sleep(0.02)
        yield link
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.skipif(not shutil.which("socat"), reason="socat (scripts/deps)")
def test_socat_gives_a_serial_port_over_raw_tcp(emulator, web, tmp_path):
    """socat pty,link=... tcp:HOST:PORT against --listen-raw: a PTY opened
    with pyserial, as over /dev/pts/N; the SSL note's example 3.5 byte for
    byte through it."""
    port = free_port_pair()
    emulator.start(*sandbox_args([("www.gmail.com:443", web.https_port)]), "--listen", str(port),
                   "--listen-raw")
    with socat_pty(port, tmp_path) as link:
        m = Port(str(link), pyserial=True)
        try:
            # pyserial's open flushes what the PTY held (the boot, which the
            # modem gave its first client, socat): AT until the answer is clean.
            m.write(b"AT\r")
            m.expect(b"AT\r" + OK, timeout=5)
            ssl_note_3_5(m, web)
        finally:
            m.ser.close()


def ssl_note_3_5(m, web):
    """The seed's HTTPS GET (SIM800 SSL Application Note example 3.5): every
    byte as over the PTY (tests/e2e/http/test_http.py's seed test)."""
    body = web.file("index.html")
    for c in (b'AT+SAPBR=3,1,"Contype","GPRS"', b'AT+SAPBR=3,1,"APN","CMNET"',
              b"AT+SAPBR=1,1", b"AT+HTTPINIT", b'AT+HTTPPARA="CID",1',
              b'AT+HTTPPARA="URL","www.gmail.com"', b'AT+HTTPPARA="REDIR",1', b"AT+HTTPSSL=1"):
        m.exchange(c + b"\r", at_ok(c + b"\r"), timeout=10)
    m.write(b"AT+HTTPACTION=0\r")
    assert m.expect(b"\r\nOK\r\n") == b"AT+HTTPACTION=0\r\r\nOK\r\n"
    m.expect_exact(b"\r\n+HTTPACTION: 0,200,84200\r\n", timeout=20)
    m.write(b"AT+HTTPREAD\r")
    m.expect_exact(b"AT+HTTPREAD\r\r\n+HTTPREAD: 84200\r\n" + body + OK, timeout=20)
    m.exchange(b"AT+HTTPTERM\r", b"AT+HTTPTERM\r\r\nOK\r\n")
    m.exchange(b"AT+SAPBR=0,1\r", b"AT+SAPBR=0,1\r\r\nOK\r\n")


def test_the_ssl_notes_example_3_5_byte_for_byte_over_rfc2217(emulator, web):
    """Example 3.5 as an unchanged pyserial program runs it with rfc2217://
    instead of /dev/pts/N."""
    port = free_port_pair()
    emulator.start(*sandbox_args([("www.gmail.com:443", web.https_port)]), "--listen", str(port))
    m = UrlPort("rfc2217://127.0.0.1:%d" % port)
    try:
        ssl_note_3_5(m, web)
    finally:
        m.close()
