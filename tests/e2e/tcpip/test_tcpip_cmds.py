"""The AT+CIP* commands one by one (SIM800 AT Command Manual V1.09 §8.2): test/read/write forms, the IP
state machine and its wrong-state answers, the sandbox, DNS, transparent mode,
and the sequence TinyGSM's SIM800 client sends."""
import re
import time

import pytest

from net import at_ok, bring_up_gprs, sandbox_args, start_dns, start_tls_echo

ERROR = b"\r\nERROR\r\n"


def status(m, state):
    m.exchange(b"AT+CIPSTATUS\r", b"AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: " + state + b"\r\n")


@pytest.mark.parametrize("cmd,reply", [
    (b"AT+CIPMUX=?", b"+CIPMUX: (0,1)"),
    (b"AT+CIPMUX?", b"+CIPMUX: 0"),
    (b"AT+CSTT?", b'+CSTT: "CMNET","",""'),
    (b"AT+CSTT=?", b'+CSTT: "APN","USER","PWD"'),
    (b"AT+CIPQSEND=?", b"+CIPQSEND: (0,1)"),
    (b"AT+CIPQSEND?", b"+CIPQSEND: 0"),
    (b"AT+CIPHEAD?", b"+CIPHEAD: 0"),
    (b"AT+CIPHEAD=?", b"+CIPHEAD: (0,1)"),
    (b"AT+CIPSRIP?", b"+CIPSRIP: 0"),
    (b"AT+CIPSHOWTP?", b"+CIPSHOWTP: 0"),
    (b"AT+CIPSPRT?", b"+CIPSPRT: 1"),
    (b"AT+CIPSPRT=?", b"+CIPSPRT: (0-2)"),
    (b"AT+CIPRXGET?", b"+CIPRXGET: 0"),
    (b"AT+CIPRXGET=?", b"+CIPRXGET: (0-4),(1-1460)"),
    (b"AT+CIPMODE=?", b"+CIPMODE: (0-NORMAL MODE,1-TRANSPARENT MODE)"),
    (b"AT+CIPMODE?", b"+CIPMODE: 0"),
    (b"AT+CIPSEND=?", b"+CIPSEND: 1460"),
    (b"AT+CIPTKA?", b"+CIPTKA: 0,7200,75,9"),
    (b"AT+CIPTKA=?", b"+CIPTKA: (0,1),(30-7200),(30-600),(1-9)"),
    (b"AT+CDNSCFG=?", b'+CDNSCFG: ("Primary DNS"),("Secondary DNS")'),
    (b"AT+CIPPING?", b"+CIPPING: 4,32,100,64"),
    (b"AT+CIPPING=?", b"+CIPPING: (1-100),(0-1024),(1-600),(1-255)"),
    (b"AT+CGATT=?", b"+CGATT: (0,1)"),
])
def test_read_and_test_forms(modem, cmd, reply):
    modem.exchange(cmd + b"\r", cmd + b"\r\r\n" + reply + b"\r\n\r\nOK\r\n")


def test_cipstart_test_form_single_and_multi(modem):
    modem.exchange(b"AT+CIPSTART=?\r",
                   b'AT+CIPSTART=?\r\r\n+CIPSTART: ("TCP","UDP"),("(0,255).(0,255).(0,255).(0,255)"),'
                   b'(1,65535)\r\n+CIPSTART: ("TCP","UDP"),("DOMAIN NAME"),(1,65535)\r\n\r\nOK\r\n')
    modem.exchange(b"AT+CIPMUX=1\r", at_ok(b"AT+CIPMUX=1\r"))
    modem.exchange(b"AT+CIPSTART=?\r",
                   b'AT+CIPSTART=?\r\r\n+CIPSTART: (0-5),("TCP","UDP"),'
                   b'("(0,255).(0,255).(0,255).(0,255)"),(1,65535)\r\n'
                   b'+CIPSTART: (0-5),("TCP","UDP"),("DOMAIN NAME"),(1,65535)\r\n\r\nOK\r\n')
    modem.exchange(b"AT+CIPSEND=?\r", b"AT+CIPSEND=?\r\r\n+CIPSEND: (0-5),1460\r\n\r\nOK\r\n")
    modem.exchange(b"AT+CIPRXGET=?\r", b"AT+CIPRXGET=?\r\r\n+CIPRXGET: (0-4),(0-5),(1-1460)\r\n\r\nOK\r\n")


def test_state_machine_single(modem):
    status(modem, b"IP INITIAL")
    modem.exchange(b"AT+CIICR\r", b"AT+CIICR\r" + ERROR)          # needs IP START
    modem.exchange(b"AT+CIFSR\r", b"AT+CIFSR\r" + ERROR)          # no context
    modem.exchange(b"AT+CIPSEND\r", b"AT+CIPSEND\r" + ERROR)
    modem.exchange(b"AT+CIPCLOSE\r", b"AT+CIPCLOSE\r" + ERROR)
    modem.exchange(b'AT+CSTT="CMNET"\r', at_ok(b'AT+CSTT="CMNET"\r'))
    status(modem, b"IP START")
    modem.exchange(b'AT+CSTT="CMNET"\r', b'AT+CSTT="CMNET"\r' + ERROR)   # only in IP INITIAL
    modem.exchange(b"AT+CIPMUX=1\r", b"AT+CIPMUX=1\r" + ERROR)           # only in IP INITIAL
    modem.write(b"AT+CIICR\r")
    modem.expect_exact(at_ok(b"AT+CIICR\r"), timeout=5)
    status(modem, b"IP GPRSACT")
    modem.exchange(b"AT+CIFSR;E0\r", b"AT+CIFSR;E0\r\r\n10.78.245.128\r\n\r\nOK\r\n")
    modem.exchange(b"AT+CIPSTATUS\r", b"\r\nOK\r\n\r\nSTATE: IP STATUS\r\n")
    modem.exchange(b"AT+CIPSHUT\r", b"\r\nSHUT OK\r\n")
    modem.exchange(b"AT+CIPSTATUS\r", b"\r\nOK\r\n\r\nSTATE: IP INITIAL\r\n")
    modem.exchange(b"AT+CIPSHUT\r", b"\r\nSHUT OK\r\n")               # fine in any state


def test_connect_close_reconnect_single(emulator):
    with start_tls_echo() as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:8500", srv)]))
        bring_up_gprs(m)
        cmd = b'AT+CIPSTART="TCP","116.228.221.51","8500"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\nCONNECT OK\r\n", timeout=10)
        status(m, b"CONNECT OK")
        m.exchange(cmd, cmd + b"\r\nERROR\r\n\r\nALREADY CONNECT\r\n")
        m.exchange(b"AT+CIPACK\r", b"AT+CIPACK\r\r\n+CIPACK: 0,0,0\r\n\r\nOK\r\n")
        m.exchange(b"AT+CIPSEND=5\r", b"AT+CIPSEND=5\r\r\n> ")
        m.write(b"hello")
        m.expect_exact(b"\r\nSEND OK\r\nhello", timeout=5)
        m.exchange(b"AT+CIPACK\r", b"AT+CIPACK\r\r\n+CIPACK: 5,5,0\r\n\r\nOK\r\n")
        m.exchange(b"AT+CIPSEND?\r", b"AT+CIPSEND?\r\r\n+CIPSEND: 1460\r\n\r\nOK\r\n")
        m.exchange(b"AT+CIPSEND=1461\r", b"AT+CIPSEND=1461\r" + ERROR)
        m.exchange(b"AT+CIPCLOSE=1\r", b"AT+CIPCLOSE=1\r\r\nCLOSE OK\r\n")
        status(m, b"TCP CLOSED")
        m.exchange(b"AT+CIPCLOSE\r", b"AT+CIPCLOSE\r" + ERROR)
        # Practice (as TinyGSM does it): CIPSTART again after a close.
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\nCONNECT OK\r\n", timeout=10)
        m.exchange(b"AT+CIPSHUT\r", b"AT+CIPSHUT\r\r\nSHUT OK\r\n")
        status(m, b"IP INITIAL")
        m.assert_quiet(0.3)    # no CLOSED URC after CIPSHUT


def test_headers_ipd_srip_showtp(emulator):
    with start_tls_echo() as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:8500", srv)]))
        bring_up_gprs(m)
        for c in (b"AT+CIPHEAD=1\r", b"AT+CIPSRIP=1\r", b"AT+CIPSHOWTP=1\r"):
            m.exchange(c, at_ok(c))
        cmd = b'AT+CIPSTART="TCP","116.228.221.51","8500"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\nCONNECT OK\r\n", timeout=10)
        m.exchange(b"AT+CIPSEND=3\r", b"AT+CIPSEND=3\r\r\n> ")
        m.write(b"abc")
        m.expect_exact(b"\r\nSEND OK\r\n\r\nRECV FROM:116.228.221.51:8500\r\n\r\n+IPD,3,TCP:abc",
                       timeout=5)


def test_quick_send_and_prompt_control_multi(emulator):
    with start_tls_echo() as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:8500", srv)]))
        bring_up_gprs(m, mux=True)
        m.exchange(b"AT+CIPQSEND=1\r", at_ok(b"AT+CIPQSEND=1\r"))
        cmd = b'AT+CIPSTART=4,"TCP","116.228.221.51",8500\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\n4, CONNECT OK\r\n", timeout=10)
        # Our choice where the manual is silent: ERROR first, as in single mode.
        m.exchange(cmd, cmd + b"\r\nERROR\r\n\r\n4, ALREADY CONNECT\r\n")
        m.exchange(b"AT+CIPSEND=4,2\r", b"AT+CIPSEND=4,2\r\r\n> ")
        m.write(b"hi")
        m.expect_exact(b"\r\nDATA ACCEPT:4,2\r\n\r\n+RECEIVE,4,2:\r\nhi", timeout=5)
        m.exchange(b"AT+CIPQSEND=0\r", at_ok(b"AT+CIPQSEND=0\r"))
        m.exchange(b"AT+CIPSPRT=2\r", at_ok(b"AT+CIPSPRT=2\r"))
        m.write(b"AT+CIPSEND=4,2\r")
        m.expect_exact(b"AT+CIPSEND=4,2\r", timeout=5)       # no prompt at all
        m.write(b"yo")
        m.expect_exact(b"\r\n+RECEIVE,4,2:\r\nyo", timeout=5)  # and no SEND OK
        m.exchange(b"AT+CIPSTATUS=4\r",
                   b'AT+CIPSTATUS=4\r\r\n+CIPSTATUS: 4,0,"TCP","116.228.221.51","8500","CONNECTED"'
                   b"\r\n\r\nOK\r\n")
        m.exchange(b"AT+CIPSTATUS=0\r",
                   b'AT+CIPSTATUS=0\r\r\n+CIPSTATUS: 0,,"","","","INITIAL"\r\n\r\nOK\r\n')
        m.exchange(b"AT+CIPACK=4\r", b"AT+CIPACK=4\r\r\n+CIPACK: 4,4,0\r\n\r\nOK\r\n")
        m.exchange(b"AT+CIPCLOSE=4,1\r", b"AT+CIPCLOSE=4,1\r\r\n4, CLOSE OK\r\n")
        m.exchange(b"AT+CIPCLOSE=4,1\r", b"AT+CIPCLOSE=4,1\r" + ERROR)
        m.exchange(b"AT+CIPSTATUS\r", b"AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: IP STATUS\r\n\r\n"
                   + b"".join(b'C: %d,,"","","","INITIAL"\r\n' % i for i in range(4))
                   + b'C: 4,0,"TCP","116.228.221.51","8500","CLOSED"\r\n'
                   + b'C: 5,,"","","","INITIAL"\r\n')


def test_remote_close_urc_multi(emulator):
    with start_tls_echo(mode="greet-close", greeting="bye") as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:8500", srv)]))
        bring_up_gprs(m, mux=True)
        cmd = b'AT+CIPSTART=1,"TCP","116.228.221.51","8500"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\n1, CONNECT OK\r\n\r\n+RECEIVE,1,3:\r\nbye\r\n1, CLOSED\r\n",
                       timeout=10)


def test_udp_link(emulator):
    # The emulator's UDP goes to a UDP echo on loopback: the DNS test server
    # answers on UDP, so use a plain socket echo instead.
    import socket
    import threading
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    def echo():
        data, peer = sock.recvfrom(2048)
        sock.sendto(data.upper(), peer)
    t = threading.Thread(target=echo, daemon=True)
    t.start()
    try:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:7000", port)]))
        bring_up_gprs(m)
        cmd = b'AT+CIPSTART="UDP","116.228.221.51",7000\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\nCONNECT OK\r\n", timeout=10)
        m.exchange(b"AT+CIPSEND=4\r", b"AT+CIPSEND=4\r\r\n> ")
        m.write(b"ping")
        m.expect_exact(b"\r\nSEND OK\r\nPING", timeout=5)
        m.exchange(b"AT+CIPCLOSE\r", b"AT+CIPCLOSE\r\r\nCLOSE OK\r\n")
        status(m, b"UDP CLOSED")
    finally:
        sock.close()


def test_only_mapped_refuses_unmapped_destinations(emulator):
    _, m = emulator.modem(*sandbox_args([]))
    bring_up_gprs(m)
    for cmd in (b'AT+CIPSTART="TCP","8.8.8.8","53"\r',
                b'AT+CIPSTART="TCP","www.example.com",80\r'):
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n\r\nCONNECT FAIL\r\n", timeout=10)
    m.write(b'AT+CDNSGIP="www.example.com"\r')
    m.expect_exact(b'AT+CDNSGIP="www.example.com"\r\r\nOK\r\n\r\n+CDNSGIP: 0,8\r\n', timeout=10)


def test_dns_through_a_real_resolver(emulator):
    """Names resolve through c-ares against a DNS server on loopback; the
    answer then goes through the host map like any address."""
    with start_dns({"tls.example.test": "116.228.221.51"}) as dns, start_tls_echo() as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:8500", srv)]),
                              "--dns", f"127.0.0.1:{dns.port}")
        bring_up_gprs(m)
        m.write(b'AT+CDNSGIP="tls.example.test"\r')
        m.expect_exact(b'AT+CDNSGIP="tls.example.test"\r\r\nOK\r\n\r\n'
                       b'+CDNSGIP: 1,"tls.example.test","116.228.221.51"\r\n', timeout=10)
        m.write(b'AT+CDNSGIP="nx.example.test"\r')
        m.expect_exact(b'AT+CDNSGIP="nx.example.test"\r\r\nOK\r\n\r\n+CDNSGIP: 0,8\r\n', timeout=10)
        cmd = b'AT+CIPSTART="TCP","tls.example.test","8500"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\nCONNECT OK\r\n", timeout=10)
        # Like the module, the status shows the DNS answer (T286), not the
        # loopback address the map sent it to.
        m.exchange(b"AT+CIPSHUT\r", b"AT+CIPSHUT\r\r\nSHUT OK\r\n")
        m.exchange(b"AT+CIPMUX=1\r", at_ok(b"AT+CIPMUX=1\r"))
        bring_up_gprs(m)
        cmd = b'AT+CIPSTART=2,"TCP","tls.example.test","8500"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\n2, CONNECT OK\r\n", timeout=10)
        m.exchange(b"AT+CIPSTATUS=2\r",
                   b'AT+CIPSTATUS=2\r\r\n+CIPSTATUS: 2,0,"TCP","116.228.221.51","8500","CONNECTED"'
                   b"\r\n\r\nOK\r\n")
        # An answer the map does not know is refused under --only-mapped.
        cmd = b'AT+CIPSTART=3,"TCP","tls.example.test","9999"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\n3, CONNECT FAIL\r\n", timeout=10)


def test_cdnscfg(modem):
    modem.exchange(b"AT+CDNSCFG?\r", b"AT+CDNSCFG?\r\r\nPrimaryDns: 0.0.0.0\r\nSecondaryDns: 0.0.0.0"
                   b"\r\n\r\nOK\r\n")
    modem.exchange(b'AT+CDNSCFG="8.8.8.8","8.8.4.4"\r', at_ok(b'AT+CDNSCFG="8.8.8.8","8.8.4.4"\r'))
    modem.exchange(b"AT+CDNSCFG?\r", b"AT+CDNSCFG?\r\r\nPrimaryDns: 8.8.8.8\r\nSecondaryDns: 8.8.4.4"
                   b"\r\n\r\nOK\r\n")
    modem.exchange(b'AT+CDNSCFG="8.8.8.300"\r', b'AT+CDNSCFG="8.8.8.300"\r' + ERROR)


def test_transparent_mode(emulator):
    with start_tls_echo() as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:8500", srv)]),
                              "-s", "tcpip.escape_guard_ms=300")
        m.exchange(b"AT+CIPMODE=1\r", at_ok(b"AT+CIPMODE=1\r"))
        bring_up_gprs(m)
        cmd = b'AT+CIPSTART="TCP","116.228.221.51","8500"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\nCONNECT\r\n", timeout=10)
        blob = bytes(range(256)) * 4          # binary, 0x1A/0x1B and "+" included
        m.write(blob)
        m.expect_exact(blob, timeout=5)
        time.sleep(0.4)
        m.write(b"+++")
        m.expect_exact(b"\r\nOK\r\n", timeout=3)
        status(m, b"CONNECT OK")
        m.exchange(b"ATO\r", b"ATO\r\r\nCONNECT\r\n")
        m.write(b"again")
        m.expect_exact(b"again", timeout=5)


def test_pdp_deact_on_detach(emulator):
    with start_tls_echo() as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:8500", srv)]))
        bring_up_gprs(m)
        cmd = b'AT+CIPSTART="TCP","116.228.221.51","8500"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\nCONNECT OK\r\n", timeout=10)
        m.write(b"AT+CGATT=0\r")
        got = m.expect(b"OK\r\n", timeout=5)
        got += m.read_for(0.5)
        assert b"+PDP: DEACT\r\n" in got, got
        status(m, b"PDP DEACT")
        m.exchange(b"AT+CIPSEND\r", b"AT+CIPSEND\r" + ERROR)
        m.exchange(b"AT+CIPSHUT\r", b"AT+CIPSHUT\r\r\nSHUT OK\r\n")
        status(m, b"IP INITIAL")


def test_cipping_round_trip(emulator):
    with start_tls_echo() as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51", srv)]))
        bring_up_gprs(m)
        got = m.cmd(b'AT+CIPPING="116.228.221.51",2\r', timeout=10)
        lines = re.findall(rb'\r\n\+CIPPING: (\d),"116\.228\.221\.51",(\d+),(\d+)\r\n', got)
        assert [int(x[0]) for x in lines] == [1, 2], got
        assert got.endswith(b"\r\nOK\r\n"), got


def test_tinygsm_secure_client_sequence(emulator):
    """TinyGSM's SIM800 secure client, command for command (as TinyGSM's source sends it):
    init, GPRS attach, CIPMUX=1/CIPQSEND=1/CIPRXGET=1, CIPSSL=1, CIPSTART,
    CIPSEND=n,len, CIPRXGET=4 then =2, CIPSTATUS=n, CIPCLOSE=n,1, CIPSHUT."""
    from net import legacy_tls_echo
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        _, m = emulator.modem(*sandbox_args([("tls.example.test:443", srv)]))
        m.exchange(b"ATE0\r", at_ok(b"ATE0\r"))
        for c, r in [(b"AT+CMEE=2\r", b"\r\nOK\r\n"), (b"AT+CLTS=1\r", b"\r\nOK\r\n"),
                     (b"AT+CBATCHK=1\r", b"\r\nOK\r\n"),
                     (b"AT+CIPSSL=?\r", b"\r\n+CIPSSL: (0-1)\r\n\r\nOK\r\n"),
                     (b"AT+CIPSHUT\r", b"\r\nSHUT OK\r\n"), (b"AT+CGATT=0\r", b"\r\nOK\r\n"),
                     (b'AT+CGDCONT=1,"IP","internet"\r', b"\r\nOK\r\n"),
                     (b"AT+CGATT=1\r", b"\r\nOK\r\n"), (b"AT+CIPMUX=1\r", b"\r\nOK\r\n"),
                     (b"AT+CIPQSEND=1\r", b"\r\nOK\r\n"), (b"AT+CIPRXGET=1\r", b"\r\nOK\r\n"),
                     (b'AT+CSTT="internet","",""\r', b"\r\nOK\r\n")]:
            m.write(c)
            m.expect_exact(r, timeout=5)
        m.write(b"AT+CIICR\r")
        m.expect_exact(b"\r\nOK\r\n", timeout=5)
        m.exchange(b"AT+CIFSR;E0\r", b"\r\n10.78.245.128\r\n\r\nOK\r\n")
        m.exchange(b'AT+CDNSCFG="8.8.8.8","8.8.4.4"\r', b"\r\nOK\r\n")
        m.exchange(b"AT+CGATT?\r", b"\r\n+CGATT: 1\r\n\r\nOK\r\n")
        # connect(): stop() first (an error is normal), then CIPSSL and CIPSTART.  Under
        # AT+CMEE=2 a real module answers the close of a link never opened with the
        # CME text (users' logs: LilyGo T-Call issue 244, TinyGSM issue 425; README "Errors").
        m.exchange(b"AT+CIPCLOSE=0,1\r", b"\r\n+CME ERROR: operation not allowed\r\n")
        m.exchange(b"AT+CIPSSL=1\r", b"\r\nOK\r\n")
        m.write(b'AT+CIPSTART=0,"TCP","tls.example.test",443\r')
        m.expect_exact(b"\r\nOK\r\n\r\n0, CONNECT OK\r\n", timeout=15)
        req = b"GET / HTTP/1.1\r\nHost: tls.example.test\r\n\r\n"
        m.exchange(b"AT+CIPSEND=0,%d\r" % len(req), b"\r\n> ")
        m.write(req)
        m.expect_exact(b"\r\nDATA ACCEPT:0,%d\r\n\r\n+CIPRXGET: 1,0\r\n" % len(req), timeout=5)
        m.exchange(b"AT+CIPRXGET=4,0\r", b"\r\n+CIPRXGET: 4,0,%d\r\n\r\nOK\r\n" % len(req))
        m.exchange(b"AT+CIPRXGET=2,0,20\r",
                   b"\r\n+CIPRXGET: 2,0,20,%d\r\n" % (len(req) - 20) + req[:20] + b"\r\nOK\r\n")
        m.exchange(b"AT+CIPRXGET=3,0,4\r",
                   b"\r\n+CIPRXGET: 3,0,4,%d\r\n" % (len(req) - 24)
                   + req[20:24].hex().upper().encode() + b"\r\nOK\r\n")
        rest = len(req) - 24
        m.exchange(b"AT+CIPRXGET=2,0,1460\r",
                   b"\r\n+CIPRXGET: 2,0,%d,0\r\n" % rest + req[24:] + b"\r\nOK\r\n")
        m.exchange(b"AT+CIPRXGET=4,0\r", b"\r\n+CIPRXGET: 4,0,0\r\n\r\nOK\r\n")
        # A name the map sends straight to loopback has no public address:
        # the status shows the address really connected to.
        m.exchange(b"AT+CIPSTATUS=0\r",
                   b'\r\n+CIPSTATUS: 0,0,"TCP","127.0.0.1","443","CONNECTED"\r\n\r\nOK\r\n')
        m.exchange(b"AT+CIPCLOSE=0,1\r", b"\r\n0, CLOSE OK\r\n")
        m.exchange(b"AT+CIPSHUT\r", b"\r\nSHUT OK\r\n")


def test_clport_binds_the_local_port(emulator):
    """AT+CLPORT: the next client connection leaves from that port; the echo
    server's log shows the peer address."""
    import random
    import socket
    # Below the kernel's ephemeral range (ip_local_port_range, from 32768):
    # no other test's connect or port-0 bind takes it meanwhile.
    rng = random.Random()
    for _ in range(100):
        free = rng.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", free))
                break
            except OSError:
                continue
    with start_tls_echo() as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:8500", srv)]))
        m.exchange(b"AT+CLPORT=?\r", b'AT+CLPORT=?\r\r\n+CLPORT: ("TCP","UDP"),(0-65535)\r\n\r\nOK\r\n')
        m.exchange(b"AT+CLPORT?\r", b"AT+CLPORT?\r\r\n+CLPORT: 0,0\r\n\r\nOK\r\n")
        cmd = b'AT+CLPORT="TCP",%d\r' % free
        m.exchange(cmd, at_ok(cmd))
        m.exchange(b"AT+CLPORT?\r", b"AT+CLPORT?\r\r\n+CLPORT: %d,0\r\n\r\nOK\r\n" % free)
        m.exchange(b'AT+CLPORT="SCTP",1\r', b'AT+CLPORT="SCTP",1\r' + ERROR)
        bring_up_gprs(m)
        cmd = b'AT+CIPSTART="TCP","116.228.221.51","8500"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\nCONNECT OK\r\n", timeout=10)
        srv.wait_log(r"conn 1 accept 127\.0\.0\.1:%d\b" % free)


def test_ciptka_write_and_read(modem):
    modem.exchange(b"AT+CIPTKA=1,60,30,3\r", at_ok(b"AT+CIPTKA=1,60,30,3\r"))
    modem.exchange(b"AT+CIPTKA?\r", b"AT+CIPTKA?\r\r\n+CIPTKA: 1,60,30,3\r\n\r\nOK\r\n")
    modem.exchange(b"AT+CIPTKA=1,29\r", b"AT+CIPTKA=1,29\r" + ERROR)
    modem.exchange(b"AT+CIPTKA=0\r", at_ok(b"AT+CIPTKA=0\r"))
    modem.exchange(b"AT+CIPTKA?\r", b"AT+CIPTKA?\r\r\n+CIPTKA: 0,60,30,3\r\n\r\nOK\r\n")
    # All or nothing: a bad third value leaves the first two unchanged too.
    modem.exchange(b"AT+CIPTKA=1,90,700\r", b"AT+CIPTKA=1,90,700\r" + ERROR)
    modem.exchange(b"AT+CIPTKA=1,90\r", at_ok(b"AT+CIPTKA=1,90\r"))
    modem.exchange(b"AT+CIPTKA?\r", b"AT+CIPTKA?\r\r\n+CIPTKA: 1,90,30,3\r\n\r\nOK\r\n")
    modem.exchange(b"AT+CIPTKA=\r", b"AT+CIPTKA=\r" + ERROR)
    modem.exchange(b"AT+CIPTKA=1,90,30,3,1\r", b"AT+CIPTKA=1,90,30,3,1\r" + ERROR)


def test_send_fail_when_the_link_dies_during_the_prompt(emulator):
    with start_tls_echo(mode="greet-close", greeting="hi", close_delay=1.0) as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:8500", srv)]))
        bring_up_gprs(m, mux=True)
        cmd = b'AT+CIPSTART=2,"TCP","116.228.221.51","8500"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\n2, CONNECT OK\r\n\r\n+RECEIVE,2,2:\r\nhi", timeout=10)
        m.exchange(b"AT+CIPSEND=2,10\r", b"AT+CIPSEND=2,10\r\r\n> ")
        m.write(b"abc")
        time.sleep(1.5)                       # the server closes before the rest
        m.assert_quiet(0.1)                   # the prompt still takes its 10 bytes
        m.write(b"defghij")
        m.expect_exact(b"\r\n2, SEND FAIL\r\n\r\n2, CLOSED\r\n", timeout=5)
        m.exchange(b"AT\r", at_ok(b"AT\r"))
