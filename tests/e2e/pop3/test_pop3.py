"""AT+POP3* against dovecot on loopback (tests/servers/pop3.py): the SSL
note's examples 3.3/3.4 with the data checked byte for byte, a 50 KB
message read back in AT+POP3READ chunks, LIST/UIDL/TOP, deletion, and every
+POP3IN/+POP3OUT code from a real cause."""
import re
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from net import at_ok, sandbox_args

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "servers"))
from mail import start_pop3  # noqa: E402
from pop3 import dot_stuff  # noqa: E402

ERROR = b"\r\nERROR\r\n"


def ok(m, line, timeout=5):
    m.exchange(line + b"\r", at_ok(line + b"\r"), timeout=timeout)


def pop3_modem(emulator, maps, *extra, ssl=0, bearer=True):
    _, m = emulator.modem(*sandbox_args(maps), *extra)
    if bearer:
        ok(m, b'AT+SAPBR=3,1,"APN","CMNET"')
        ok(m, b"AT+SAPBR=1,1")
    ok(m, b"AT+EMAILCID=1")
    ok(m, b"AT+EMAILTO=30")
    ok(m, b"AT+EMAILSSL=%d" % ssl)
    return m


def urc(m, line, timeout=30):
    """An exec/write command answered OK, then its URC line (returned)."""
    assert not m.buf
    m.write(line + b"\r")
    assert m.expect(b"\r\nOK\r\n", timeout=5) == at_ok(line + b"\r")
    got = m.expect(b"\r\n", timeout=timeout) + m.expect(b"\r\n", timeout=timeout)
    assert got.startswith(b"\r\n") and got.count(b"\r\n") == 2, got
    return got[2:-2]


def login(m, user=b"john", password=b"123456", port=b""):
    ok(m, b'AT+POP3SRV="mail.sim.com","%s","%s"%s' % (user, password, port))
    return urc(m, b"AT+POP3IN")


READ = re.compile(rb"AT\+POP3READ=(\d+)\r\r\n\+POP3READ: ([12]),(\d+)\r\n")


def read_all(m, req=1460):
    """AT+POP3READ until the chunk marked 2, as the manual says a host reads
    (§14.2.19): after a read that came up short, wait for "+POP3READ: 3,<n>";
    returns (data, chunk sizes)."""
    data, sizes = b"", []
    while True:
        if sizes and sizes[-1] < req:
            m.expect(b"\r\n+POP3READ: 3,", timeout=10)
            m.expect(b"\r\n", timeout=5)
        line = b"AT+POP3READ=%d\r" % req
        assert not m.buf
        m.write(line)
        head = m.expect(b"\r\n", timeout=5) + m.expect(b"\r\n", timeout=5)
        mt = READ.fullmatch(head)
        assert mt, head
        n = int(mt.group(3))
        deadline = time.monotonic() + 5
        while len(m.buf) < n + 6 and time.monotonic() < deadline:
            m._read_some(deadline)
        chunk = bytes(m.buf[:n])
        assert bytes(m.buf[n:n + 6]) == b"\r\nOK\r\n"
        del m.buf[:n + 6]
        data += chunk
        sizes.append(n)
        if mt.group(2) == b"2":
            return data, sizes


@pytest.mark.parametrize("ssl,kind", [(2, "stls"), (1, "pop3s"), (0, "plain")])
def test_note_mailbox_retr_byte_for_byte(emulator, ssl, kind):
    with start_pop3() as pop:
        port = {"stls": pop.port, "pop3s": pop.tls_port, "plain": pop.port}[kind]
        default = 995 if ssl == 1 else 110
        m = pop3_modem(emulator, [("mail.sim.com:%d" % default, port)], ssl=ssl)
        assert login(m) == b"+POP3IN: 1"
        assert b'+POP3SRV: "mail.sim.com","john","123456",%d\r\n' % default in m.cmd(b"AT+POP3SRV?\r")
        assert urc(m, b"AT+POP3NUM") == b"+POP3NUM: 1,2,11124"
        assert urc(m, b"AT+POP3LIST=2") == b"+POP3LIST: 1,2,5568"
        assert urc(m, b"AT+POP3UIDL=1") == b"+POP3UIDL: 1,1," + pop.uidls[0].encode()
        for n in (1, 2):
            assert urc(m, b"AT+POP3CMD=4,%d" % n) == b"+POP3CMD: 1"
            data, sizes = read_all(m)
            # The reply as the server sent it: dot-stuffed, with its dot line.
            assert data == dot_stuff(pop.messages[n - 1])
            assert sizes[:-1] == [1460] * (len(sizes) - 1)
        assert urc(m, b"AT+POP3OUT") == b"+POP3OUT: 1"
        log = pop.wait_log(r"Logged out top=0/0, retr=2/")
        if ssl:
            assert pop.wait_log(r"Login: user=<john>, method=PLAIN, .*TLS")
        assert log


def test_50k_message_in_small_chunks_and_dot_lines(emulator):
    with start_pop3(mailbox="full") as pop:
        m = pop3_modem(emulator, [("mail.sim.com:995", pop.tls_port)], ssl=1)
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, b"AT+POP3LIST=3") == b"+POP3LIST: 1,3,%d" % pop.sizes[2]
        assert urc(m, b"AT+POP3CMD=4,3") == b"+POP3CMD: 1"
        data, sizes = read_all(m, req=1000)
        assert len(data) >= 50 * 1024 and data == dot_stuff(pop.messages[2])
        assert max(sizes) == 1000   # it streams: a read may find less, then "3" says more came
        # Dot lines come back stuffed as sent; an empty body; bare LF delivered as CRLF.
        for n in (4, 5, 6):
            assert urc(m, b"AT+POP3CMD=4,%d" % n) == b"+POP3CMD: 1"
            assert read_all(m)[0] == dot_stuff(pop.messages[n - 1])
        assert urc(m, b"AT+POP3OUT") == b"+POP3OUT: 1"


def test_list_uidl_top_and_busy_rules(emulator):
    with start_pop3() as pop:
        m = pop3_modem(emulator, [("mail.sim.com:110", pop.port)], ssl=2)
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, b"AT+POP3CMD=1") == b"+POP3CMD: 1"
        assert read_all(m)[0] == b"1 5556\r\n2 5568\r\n.\r\n"   # the dot line ends the listing
        assert urc(m, b"AT+POP3CMD=2") == b"+POP3CMD: 1"
        assert read_all(m)[0] == b"".join(b"%d %s\r\n" % (i + 1, u.encode()) for i, u in enumerate(pop.uidls)) + b".\r\n"
        assert urc(m, b"AT+POP3CMD=3,1,2") == b"+POP3CMD: 1"
        top = read_all(m)[0]
        head = pop.messages[0].split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        assert top.startswith(head) and top.count(b"\r\n") == head.count(b"\r\n") + 3
        # Until the reply is read, only AT+POP3OUT runs.
        assert urc(m, b"AT+POP3CMD=4,1") == b"+POP3CMD: 1"
        assert m.cmd(b"AT+POP3NUM\r").endswith(ERROR)
        assert m.cmd(b"AT+POP3CMD=1,1\r").endswith(ERROR)        # LIST takes no number
        assert m.cmd(b"AT+POP3READ=1461\r").endswith(ERROR)
        # No such message: the server's -ERR is <prefix>: 0.
        assert urc(m, b"AT+POP3OUT") == b"+POP3OUT: 1"
        assert m.cmd(b"AT+POP3READ=10\r").endswith(ERROR)        # no session
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, b"AT+POP3LIST=9") == b"+POP3LIST: 0"
        assert urc(m, b"AT+POP3UIDL=9") == b"+POP3UIDL: 0"
        assert urc(m, b"AT+POP3CMD=4,9") == b"+POP3CMD: 0"
        assert urc(m, b"AT+POP3DEL=9") == b"+POP3DEL: 0"
        assert m.cmd(b"AT+POP3IN\r").endswith(ERROR)             # already logged in
        assert urc(m, b"AT+POP3OUT") == b"+POP3OUT: 1"


def test_delete_rset_and_delete_for_real(emulator):
    with start_pop3() as pop:
        m = pop3_modem(emulator, [("mail.sim.com:995", pop.tls_port)], ssl=1)
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, b"AT+POP3DEL=1") == b"+POP3DEL: 1"
        assert urc(m, b"AT+POP3NUM") == b"+POP3NUM: 1,1,5568"
        assert urc(m, b"AT+POP3RSET") == b"+POP3RSET: 1"
        assert urc(m, b"AT+POP3NUM") == b"+POP3NUM: 1,2,11124"
        assert urc(m, b"AT+POP3DEL=2") == b"+POP3DEL: 1"
        assert urc(m, b"AT+POP3DEL=2") == b"+POP3DEL: 0"      # already marked
        assert urc(m, b"AT+POP3OUT") == b"+POP3OUT: 1"
        assert len(pop.maildir_files()) == 1
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, b"AT+POP3NUM") == b"+POP3NUM: 1,1,5556"
        assert urc(m, b"AT+POP3OUT") == b"+POP3OUT: 1"


def test_test_forms(emulator, modem):
    m = modem
    assert m.cmd(b"AT+POP3READ=?\r") == b"AT+POP3READ=?\r\r\n+POP3READ: (1-1460)\r\n\r\nOK\r\n"
    assert m.cmd(b"AT+POP3CMD=?\r").startswith(b"AT+POP3CMD=?\r\r\n+POP3CMD: (1-4),")
    assert m.cmd(b"AT+POP3IN=?\r") == at_ok(b"AT+POP3IN=?\r")
    assert m.cmd(b"AT+POP3NUM\r").endswith(ERROR)       # not logged in
    assert m.cmd(b"AT+POP3OUT\r").endswith(ERROR)
    assert m.cmd(b"AT+POP3IN\r").endswith(ERROR)        # no server set


# --- every code from a real cause ---

@pytest.mark.parametrize("user,password", [(b"john", b"wrong"), (b"nobody", b"123456")])
def test_68_wrong_password_or_unknown_user(emulator, user, password):
    with start_pop3(auth_failure_delay=0) as pop:
        m = pop3_modem(emulator, [("mail.sim.com:995", pop.tls_port)], ssl=1)
        assert login(m, user, password) == b"+POP3IN: 68"
        assert m.cmd(b"AT+POP3NUM\r").endswith(ERROR)
        assert login(m) == b"+POP3IN: 1"


def test_71_no_stls_in_mode_2(emulator):
    with start_pop3(stls=False) as pop:
        m = pop3_modem(emulator, [("mail.sim.com:110", pop.port)], ssl=2)
        assert login(m) == b"+POP3IN: 71"
        assert "Login: user=" not in pop.log()


def test_tls12_only_server_against_classic_profile_then_tls12_profile(emulator):
    with start_pop3(tls12_only=True) as pop:
        m = pop3_modem(emulator, [("mail.sim.com:995", pop.tls_port)], ssl=1)
        # dovecot drops a TLS 1.0 ClientHello without an alert: 71 (the
        # SMTP rig's protocol_version alert is 72).
        assert login(m) == b"+POP3IN: 71"
        m = pop3_modem(emulator, [("mail.sim.com:110", pop.port)], ssl=2)
        assert login(m) == b"+POP3IN: 71"
        c = pop3_modem(emulator, [("mail.sim.com:995", pop.tls_port)], "-p", "sim800c-tls12", ssl=1)
        assert login(c) == b"+POP3IN: 1"
        assert urc(c, b"AT+POP3OUT") == b"+POP3OUT: 1"


def test_61_62_63(emulator):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()
    m = pop3_modem(emulator, [("mail.sim.com:110", closed)], bearer=False)
    assert login(m) == b"+POP3IN: 61"            # no bearer
    m = pop3_modem(emulator, [("mail.sim.com:110", closed)])
    assert login(m) == b"+POP3IN: 63"
    ok(m, b'AT+POP3SRV="unmapped.example","john","123456"')
    assert urc(m, b"AT+POP3IN") == b"+POP3IN: 62"


def test_64_silent_server_and_61_after_bearer_closed(emulator):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    try:
        m = pop3_modem(emulator, [("mail.sim.com:110", srv.getsockname()[1])])
        ok(m, b"AT+EMAILTO=10")
        assert login(m) == b"+POP3IN: 64"
    finally:
        srv.close()
    with start_pop3() as pop:
        m = pop3_modem(emulator, [("mail.sim.com:110", pop.port)])
        assert login(m) == b"+POP3IN: 1"
        m.write(b"AT+SAPBR=0,1\r")
        m.expect(b"+POP3OUT: 61\r\n", timeout=10)


# --- hostile servers: a code, never a crash, a hang or unbounded memory ---

def serve_one(script):
    """A TCP server on loopback running script(conn) for each client."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)

    def run():
        while True:
            try:
                c, _ = sock.accept()
            except OSError:
                return
            try:
                script(c, c.makefile("rb"))
            except OSError:
                pass
            finally:
                c.close()
    threading.Thread(target=run, daemon=True).start()
    return sock


def logged_in(c, f):
    c.sendall(b"+OK hi\r\n")
    for _ in range(2):           # USER, PASS
        f.readline()
        c.sendall(b"+OK\r\n")


def endless_body(c, f):
    logged_in(c, f)
    f.readline()
    c.sendall(b"+OK here it comes\r\n")
    while True:
        c.sendall(b"line line line line line line line line\r\n" * 2000)


def garbage_stat(c, f):
    logged_in(c, f)
    f.readline()
    c.sendall(b"what?\r\n")
    f.readline()


def close_on_stat(c, f):
    logged_in(c, f)
    f.readline()


@pytest.mark.parametrize("script,cmd", [(garbage_stat, b"AT+POP3NUM"),
                                        (close_on_stat, b"AT+POP3NUM")])
def test_hostile_server_ends_session_with_pop3out_61(emulator, script, cmd):
    sock = serve_one(script)
    try:
        m = pop3_modem(emulator, [("mail.sim.com:110", sock.getsockname()[1])])
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, cmd) == b"+POP3OUT: 61"
        assert m.cmd(b"AT+POP3NUM\r").endswith(ERROR)
    finally:
        sock.close()


def test_an_endless_body_streams_with_bounded_memory(emulator):
    """A server that never ends its body: the module takes 64 KiB, then makes
    the server wait (it reads no more while the host does not), announces
    +POP3CMD: 1, and gives the session up after AT+EMAILTO unread: 69."""
    sock = serve_one(endless_body)
    try:
        m = pop3_modem(emulator, [("mail.sim.com:110", sock.getsockname()[1])])
        ok(m, b"AT+EMAILTO=10")
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, b"AT+POP3CMD=4,1") == b"+POP3CMD: 1"
        head = m.cmd(b"AT+POP3READ=1460\r")
        assert head.startswith(b"AT+POP3READ=1460\r\r\n+POP3READ: 1,1460\r\nline line"), head[:60]
        assert m.expect(b"\r\n+POP3OUT: 69\r\n", timeout=30).endswith(b"+POP3OUT: 69\r\n")
    finally:
        sock.close()


def test_a_slow_body_streams_and_3_says_when_more_came(emulator, tmp_path):
    """A message that arrives slowly (a rate fault on the POP3 connection):
    +POP3CMD: 1 once four reads' worth are in, reads that find less than asked
    come back short, and "+POP3READ: 3,<n>" says when more has come (manual
    §14.2.19); the bytes add up to the message as sent."""
    with start_pop3(mailbox="full") as pop:
        m = pop3_modem(emulator, [("mail.sim.com:110", pop.port)],
                       "--fault", "service=pop3 rate=20000 dir=rx")
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, b"AT+POP3CMD=4,3") == b"+POP3CMD: 1"
        data, sizes = read_all(m)
        assert data == dot_stuff(pop.messages[2])
        assert min(sizes[:-1]) < 1460, sizes   # some reads came up short, and waited for "3"


def test_hostile_greeting(emulator):
    sock = serve_one(lambda c, f: c.sendall(b"-ERR go away\r\n"))
    try:
        m = pop3_modem(emulator, [("mail.sim.com:110", sock.getsockname()[1])])
        assert login(m) == b"+POP3IN: 66"
    finally:
        sock.close()


def refusing_rset(c, f):
    logged_in(c, f)
    while f.readline():
        c.sendall(b"-ERR no\r\n")


@pytest.mark.parametrize("typo,want", [(None, b"+POP3REST: 0"), ("false", b"+POP3RSET: 0")])
def test_refused_rset_as_the_manual_spells_it(emulator, typo, want):
    sock = serve_one(refusing_rset)
    try:
        extra = ("-s", "email.rset_typo=" + typo) if typo else ()
        m = pop3_modem(emulator, [("mail.sim.com:110", sock.getsockname()[1])], *extra)
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, b"AT+POP3RSET") == want
        assert urc(m, b"AT+POP3NUM") == b"+POP3NUM: 0"
    finally:
        sock.close()


def test_69_reply_left_unread(emulator):
    with start_pop3() as pop:
        m = pop3_modem(emulator, [("mail.sim.com:110", pop.port)])
        ok(m, b"AT+EMAILTO=10")
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, b"AT+POP3CMD=4,1") == b"+POP3CMD: 1"
        m.write(b"AT+POP3READ=100\r")
        m.expect(b"\r\nOK\r\n")
        t0 = time.monotonic()
        assert m.expect(b"\r\n+POP3OUT: 69\r\n", timeout=15) == b"\r\n+POP3OUT: 69\r\n"
        assert time.monotonic() - t0 > 9
        assert m.cmd(b"AT+POP3READ=100\r").endswith(ERROR)
        pop.wait_log(r"Logged out")


def test_61_when_the_network_drops_the_pdp_context(emulator):
    with start_pop3() as pop:
        m = pop3_modem(emulator, [("mail.sim.com:995", pop.tls_port)], ssl=1)
        assert login(m) == b"+POP3IN: 1"
        m.write(b"AT+CGATT=0\r")
        m.expect(b"+POP3OUT: 61\r\n", timeout=10)
        m.read_for(0.3)
        assert m.cmd(b"AT+POP3NUM\r").endswith(ERROR)


def test_reply_faults_on_the_listing_commands(emulator):
    """reply-to= on AT+POP3CMD's commands (README "Fault injection"): a -ERR
    gives +POP3CMD: 0; a +OK comes with an empty body, read as its dot line."""
    with start_pop3() as pop:
        m = pop3_modem(emulator, [("mail.sim.com:110", pop.port)],
                       "--fault", 'service=pop3 reply-to=RETR reply="-ERR no such message"',
                       "--fault", 'service=pop3 reply-to=LIST reply="+OK 0 messages" skip=0')
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, b"AT+POP3CMD=4,1") == b"+POP3CMD: 0"
        assert urc(m, b"AT+POP3CMD=1") == b"+POP3CMD: 1"
        assert read_all(m) == (b".\r\n", [3])
        assert urc(m, b"AT+POP3CMD=4,1") == b"+POP3CMD: 1"     # the rules were for once
        assert read_all(m)[0] == dot_stuff(pop.messages[0])


def test_pop3out_while_the_reply_is_still_coming(emulator):
    """AT+POP3OUT is allowed while a multi-line reply is unread (manual
    §14.2.19), even one still streaming in: QUIT, +POP3OUT: 1, and the session
    is over (no reminder, no 69 after it)."""
    sock = serve_one(endless_body)
    try:
        m = pop3_modem(emulator, [("mail.sim.com:110", sock.getsockname()[1])])
        ok(m, b"AT+EMAILTO=10")
        assert login(m) == b"+POP3IN: 1"
        assert urc(m, b"AT+POP3CMD=4,1") == b"+POP3CMD: 1"
        assert urc(m, b"AT+POP3OUT") == b"+POP3OUT: 1"
        assert m.cmd(b"AT+POP3READ=100\r").endswith(ERROR)
        m.assert_quiet(0.5)
    finally:
        sock.close()
