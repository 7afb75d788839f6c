"""Seed examples 3.8 and 3.9 of the SSL application note, byte for byte, with the
seed's address mapped to local TLS and plain servers (ssl-note.md)."""
from net import at_ok, bring_up_gprs, legacy_tls_echo, sandbox_args, start_tls_echo


def test_seed_3_8_tcp_client_over_ssl(emulator):
    # The server of the example answers "hello SIM800" and closes.
    with legacy_tls_echo("reply-close:hello SIM800", cert_name="tls.example.test") as srv:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:8500", srv)]))
        bring_up_gprs(m)
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
        m.write(b'AT+CIPSTART="TCP","116.228.221.51","8500"\r')
        m.expect_exact(b'AT+CIPSTART="TCP","116.228.221.51","8500"\r\r\nOK\r\n\r\nCONNECT OK\r\n',
                       timeout=10)
        m.exchange(b"AT+CIPSEND\r", b"AT+CIPSEND\r\r\n> ")
        m.write(b"hello TCP serve\x1a")
        m.expect_exact(b"\r\nSEND OK\r\nhello SIM800\r\nCLOSED\r\n", timeout=10)
        srv.wait_log(r"conn 1 tls TLSv1 AES128-SHA sni=- ")
        m.exchange(b"AT+CIPSTATUS\r", b"AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n")


def test_seed_3_9_ssl_only_for_connections_started_after_cipssl(emulator):
    # The delays give the seed's order: both sends answered first, then the
    # replies, then the plain server's close.
    with start_tls_echo(mode="reply-close:SIM800 TCP test\\r\\n", reply_delay=0.3,
                        close_delay=0.9) as plain, \
            legacy_tls_echo("reply:SIM800 TCP Over SSL test\\r\\n", reply_delay=0.6,
                            cert_name="tls.example.test") as tls:
        _, m = emulator.modem(*sandbox_args([("116.228.221.51:8500", plain),
                                             ("116.228.221.51:9600", tls)]))
        bring_up_gprs(m, mux=True)
        m.write(b'AT+CIPSTART=0,"TCP","116.228.221.51","8500"\r')
        m.expect_exact(b'AT+CIPSTART=0,"TCP","116.228.221.51","8500"\r\r\nOK\r\n\r\n0, CONNECT OK\r\n',
                       timeout=10)
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
        m.write(b'AT+CIPSTART=1,"TCP","116.228.221.51","9600"\r')
        m.expect_exact(b'AT+CIPSTART=1,"TCP","116.228.221.51","9600"\r\r\nOK\r\n\r\n1, CONNECT OK\r\n',
                       timeout=10)
        # Connection 0 stayed plain: the plain server saw no handshake.
        plain.wait_log(r"conn 1 accept")
        tls.wait_log(r"conn 1 tls TLSv1 ")

        m.exchange(b"AT+CIPSEND=0\r", b"AT+CIPSEND=0\r\r\n> ")
        m.write(b"TCP test\x1a")
        m.expect_exact(b"\r\n0, SEND OK\r\n", timeout=10)
        m.exchange(b"AT+CIPSEND=1\r", b"AT+CIPSEND=1\r\r\n> ")
        m.write(b"TCP Over SSL test\x1a")
        m.expect_exact(b"\r\n1, SEND OK\r\n", timeout=10)
        m.expect_exact(b"\r\n+RECEIVE,0,17:\r\nSIM800 TCP test\r\n"
                       b"\r\n+RECEIVE,1,26:\r\nSIM800 TCP Over SSL test\r\n"
                       b"\r\n0, CLOSED\r\n", timeout=10)

        m.exchange(b"AT+CIPSTATUS\r",
                   b"AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: IP PROCESSING\r\n\r\n"
                   b'C: 0,0,"TCP","116.228.221.51","8500","CLOSED"\r\n'
                   b'C: 1,0,"TCP","116.228.221.51","9600","CONNECTED"\r\n'
                   b'C: 2,,"","","","INITIAL"\r\n'
                   b'C: 3,,"","","","INITIAL"\r\n'
                   b'C: 4,,"","","","INITIAL"\r\n'
                   b'C: 5,,"","","","INITIAL"\r\n')
