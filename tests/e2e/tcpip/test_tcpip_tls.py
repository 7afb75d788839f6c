"""AT+CIPSSL connections against real TLS servers: the outcomes of the SIM800 AT Command Manual V1.09 §8.2.2 and
SIM800 SSL Application Note (Chinese edition) example 3.8 for trusted, untrusted, expired and wrong-name certificates, protocol
versions per firmware profile, alerts, resets and handshake failures."""
import pytest

from net import at_ok, bring_up_gprs, legacy_tls_echo, sandbox_args, start_tls_echo

HOST = b"tls.example.test"
START = b'AT+CIPSTART="TCP","tls.example.test",443\r'
START_OK = START + b"\r\nOK\r\n\r\nCONNECT OK\r\n"
# As TinyGSM expects: a failed handshake is reported as CLOSE OK, a TCP failure as CONNECT FAIL.
START_TLS_FAIL = START + b"\r\nOK\r\n\r\nCLOSE OK\r\n"
START_TCP_FAIL = START + b"\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n\r\nCONNECT FAIL\r\n"


def ssl_modem(emulator, srv, *extra, ca="root.crt"):
    _, m = emulator.modem(*sandbox_args([("tls.example.test:443", srv)], ca=ca), *extra)
    bring_up_gprs(m)
    m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
    return m


def start(m, expected):
    m.write(START)
    m.expect_exact(expected, timeout=15)


def echo_once(m, data=b"ping"):
    m.exchange(b"AT+CIPSEND=%d\r" % len(data), b"AT+CIPSEND=%d\r\r\n> " % len(data))
    m.write(data)
    m.expect_exact(b"\r\nSEND OK\r\n" + data, timeout=10)


def test_trusted_certificate_by_name(emulator):
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        m = ssl_modem(emulator, srv)
        start(m, START_OK)
        echo_once(m)
        # SNI carries the name the client asked for, not the mapped address.
        srv.wait_log(r"conn 1 tls TLSv1 AES128-SHA sni=tls.example.test ")
        m.exchange(b"AT+CIPCLOSE\r", b"AT+CIPCLOSE\r\r\nCLOSE OK\r\n")


def test_untrusted_certificate_fails_then_sslopt_ignores(emulator):
    with legacy_tls_echo(cert_name="selfsigned") as srv:
        m = ssl_modem(emulator, srv)
        m.exchange(b"AT+SSLOPT?\r", b"AT+SSLOPT?\r\r\n+SSLOPT: 0,0\r\n+SSLOPT: 1,0\r\n\r\nOK\r\n")
        start(m, START_TLS_FAIL)
        m.exchange(b"AT+CIPSTATUS\r", b"AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n")
        m.exchange(b"AT+SSLOPT=0,1\r", at_ok(b"AT+SSLOPT=0,1\r"))
        start(m, START_OK)
        echo_once(m)


def test_no_trust_anchor_accepts_any_server_unless_strict(emulator):
    # A fresh module has nothing to verify against and connects (our reading of TinyGSM's "0 (default)");
    # strict checking (--tls-verify always) with no store trusts nothing.
    with legacy_tls_echo(cert_name="selfsigned") as srv:
        m = ssl_modem(emulator, srv, ca=None)
        start(m, START_OK)
        echo_once(m)
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        m = ssl_modem(emulator, srv, "--tls-verify", "always", ca=None)
        start(m, START_TLS_FAIL)


@pytest.mark.parametrize("cert", ["wrongname", "expired"])
def test_bad_server_certificate(emulator, cert):
    with legacy_tls_echo(cert_name=cert) as srv:
        m = ssl_modem(emulator, srv)
        start(m, START_TLS_FAIL)
        m.exchange(b"AT+SSLOPT=0,1\r", at_ok(b"AT+SSLOPT=0,1\r"))
        start(m, START_OK)
        echo_once(m)


def test_name_is_checked_against_the_ip_literal_asked_for(emulator):
    # tls.example.test's certificate names 116.228.221.51 but not .53.
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:443", srv),
                                             ("116.228.221.53:443", srv)]))
        bring_up_gprs(m)
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
        cmd = b'AT+CIPSTART="TCP","116.228.221.53","443"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\nCLOSE OK\r\n", timeout=15)
        cmd = b'AT+CIPSTART="TCP","116.228.221.51","443"\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\nCONNECT OK\r\n", timeout=15)


def test_tls12_only_server_against_classic_profile_fails(emulator):
    with start_tls_echo(tls=True, cert_name="tls.example.test", min_version="TLSv1_2") as srv:
        m = ssl_modem(emulator, srv)
        start(m, START_TLS_FAIL)
        srv.wait_log(r"conn 1 error")


def test_tls12_only_server_against_tls12_profile_succeeds(emulator):
    with start_tls_echo(tls=True, cert_name="tls.example.test", min_version="TLSv1_2",
                        max_version="TLSv1_2") as srv:
        m = ssl_modem(emulator, srv, "-p", "sim800c-tls12")
        start(m, START_OK)
        echo_once(m)
        srv.wait_log(r"conn 1 tls TLSv1\.2 ")


def test_multi_mode_handshake_failure_is_n_close_ok(emulator):
    with legacy_tls_echo(cert_name="selfsigned") as srv:
        _, m = emulator.modem(*sandbox_args([("tls.example.test:443", srv)]))
        bring_up_gprs(m, mux=True)
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
        cmd = b'AT+CIPSTART=2,"TCP","tls.example.test",443\r'
        m.write(cmd)
        m.expect_exact(cmd + b"\r\nOK\r\n\r\n2, CLOSE OK\r\n", timeout=15)
        m.exchange(b"AT+CIPSTATUS=2\r",
                   b'AT+CIPSTATUS=2\r\r\n+CIPSTATUS: 2,0,"TCP","tls.example.test","443","CLOSED"'
                   b"\r\n\r\nOK\r\n")


def test_server_closing_during_handshake(emulator):
    with start_tls_echo(mode="close-in-handshake") as srv:
        m = ssl_modem(emulator, srv)
        start(m, START_TLS_FAIL)


def test_plain_server_that_refuses_is_connect_fail(emulator):
    # Map to a port nobody listens on: a TCP failure, not a TLS one.
    with start_tls_echo() as srv:
        port = srv.port
    m = ssl_modem(emulator, port)
    start(m, START_TCP_FAIL)


@pytest.mark.parametrize("variant", ["", ":plain"])
def test_alert_mid_stream_closes_the_link(emulator, variant):
    with legacy_tls_echo("alert-after:4" + variant, cert_name="tls.example.test") as srv:
        m = ssl_modem(emulator, srv)
        start(m, START_OK)
        m.exchange(b"AT+CIPSEND=4\r", b"AT+CIPSEND=4\r\r\n> ")
        m.write(b"abcd")
        m.expect_exact(b"\r\nSEND OK\r\n\r\nCLOSED\r\n", timeout=10)
        m.exchange(b"AT+CIPSTATUS\r", b"AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n")


def test_server_reset_closes_the_link(emulator):
    with legacy_tls_echo("reset-after:4", cert_name="tls.example.test") as srv:
        m = ssl_modem(emulator, srv)
        start(m, START_OK)
        m.exchange(b"AT+CIPSEND=4\r", b"AT+CIPSEND=4\r\r\n> ")
        m.write(b"abcd")
        m.expect_exact(b"\r\nSEND OK\r\n\r\nCLOSED\r\n", timeout=10)
        # The link can be opened again afterwards.
        start(m, START_OK)


def test_cipssl_read_test_and_profile_without_ssl(emulator):
    _, m = emulator.modem()
    m.exchange(b"AT+CIPSSL=?\r", b"AT+CIPSSL=?\r\r\n+CIPSSL: (0-1)\r\n\r\nOK\r\n")
    m.exchange(b"AT+CIPSSL?\r", b"AT+CIPSSL?\r\r\n+CIPSSL: 0\r\n\r\nOK\r\n")
    m.exchange(b"AT+CIPSSL=2\r", b"AT+CIPSSL=2\r\r\nERROR\r\n")
    _, old = emulator.modem("-p", "sim800-r13.08")
    old.exchange(b"AT+CIPSSL=1\r", b"AT+CIPSSL=1\r\r\nERROR\r\n")
    old.exchange(b"AT+SSLOPT?\r", b"AT+SSLOPT?\r\r\nERROR\r\n")


def test_keylog_lines_written(emulator, tmp_path):
    log = tmp_path / "keys.log"
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        m = ssl_modem(emulator, srv, "--keylog", str(log))
        start(m, START_OK)
        echo_once(m)
    # NSS key log format: OpenSSL writes the TLS 1.0 RSA pre-master line and
    # the CLIENT_RANDOM master-secret line, enough for Wireshark.
    lines = [ln.split() for ln in log.read_text().splitlines()]
    randoms = [f for f in lines if f[0] == "CLIENT_RANDOM"]
    assert randoms, lines
    assert all(len(f) == 3 and len(f[1]) == 64 and len(f[2]) == 96 for f in randoms), randoms
