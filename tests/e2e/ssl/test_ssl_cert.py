"""AT+SSLSETCERT and AT+SSLOPT against real TLS servers: SIM800 SSL Application Note (Chinese edition) example 3.10 byte for byte, then what an imported certificate does to the modem's
next CIPSSL connection (SIM800 SSL Application Note (Chinese edition) §2.5–2.6)."""
import pytest

from net import at_ok, bring_up_gprs, legacy_tls_echo, pki, sandbox_args, start_tls_echo

START = b'AT+CIPSTART="TCP","tls.example.test",443\r'
START_OK = START + b"\r\nOK\r\n\r\nCONNECT OK\r\n"
START_TLS_FAIL = START + b"\r\nOK\r\n\r\nCLOSE OK\r\n"


def write_file(m, path, data):
    """FSCREATE + FSWRITE as the seed does it (path unquoted, mode 0, 10 s)."""
    m.exchange(b"AT+FSCREATE=" + path + b"\r", at_ok(b"AT+FSCREATE=" + path + b"\r"))
    cmd = b"AT+FSWRITE=%s,0,%d,10\r" % (path, len(data))
    m.exchange(cmd, cmd + b"\r\n> ")
    m.write(data)
    m.expect_exact(b"\r\nOK\r\n", timeout=5)


def import_cert(m, path, password=None, result=0):
    cmd = b'AT+SSLSETCERT="%s"' % path
    if password is not None:
        cmd += b',"%s"' % password
    cmd += b"\r"
    m.write(cmd)
    m.expect_exact(cmd + b"\r\nOK\r\n\r\n+SSLSETCERT: %d\r\n" % result, timeout=5)


def test_seed_3_10_import_a_certificate(emulator):
    # The seed's file is 1196 bytes; ours is the test root, whatever its size.
    pem = (pki() / "root.crt").read_bytes()
    _, m = emulator.modem()
    m.exchange(b"AT+FSCREATE=C:\\USER\\HENRY_SSL.CRT\r", b"AT+FSCREATE=C:\\USER\\HENRY_SSL.CRT\r\r\nOK\r\n")
    cmd = b"AT+FSWRITE=C:\\USER\\HENRY_SSL.CRT,0,%d,10\r" % len(pem)
    m.exchange(cmd, cmd + b"\r\n> ")
    m.write(pem)
    m.expect_exact(b"\r\nOK\r\n", timeout=5)
    m.write(b'AT+SSLSETCERT="C:\\USER\\HENRY_SSL.CRT","********"\r')
    m.expect_exact(b'AT+SSLSETCERT="C:\\USER\\HENRY_SSL.CRT","********"\r\r\nOK\r\n'
                   b"\r\n+SSLSETCERT: 0\r\n", timeout=5)


def test_sslsetcert_forms_and_failures(emulator):
    _, m = emulator.modem()
    m.exchange(b"AT+SSLSETCERT=?\r", b"AT+SSLSETCERT=?\r\r\n+SSLSETCERT: 100,32\r\n\r\nOK\r\n")
    import_cert(m, b"C:\\USER\\NONE.CRT", result=1)                  # no such file
    write_file(m, b"C:\\USER\\JUNK.CRT", b"\x00\x1a\x1bnot a certificate" * 10)
    import_cert(m, b"C:\\USER\\JUNK.CRT", result=1)                  # not a certificate
    long_name = b"C:\\USER\\" + b"A" * 100
    m.exchange(b'AT+SSLSETCERT="%s"\r' % long_name, b'AT+SSLSETCERT="%s"\r\r\nERROR\r\n' % long_name)
    m.exchange(b'AT+SSLSETCERT="C:\\USER\\X.CRT","%s"\r' % (b"p" * 33),
               b'AT+SSLSETCERT="C:\\USER\\X.CRT","%s"\r\r\nERROR\r\n' % (b"p" * 33))
    _, old = emulator.modem("-p", "sim800-r13.08")
    old.exchange(b"AT+SSLSETCERT=?\r", b"AT+SSLSETCERT=?\r\r\nERROR\r\n")


@pytest.mark.parametrize("name", ["root.crt", "root.der"], ids=["pem", "der"])
def test_imported_ca_makes_the_server_trusted(emulator, name):
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        # No built-in roots and strict checking: only the import can make the
        # chain trusted (without --tls-verify always, no anchor means no check).
        _, m = emulator.modem(*sandbox_args([("tls.example.test:443", srv)], ca=None),
                              "--tls-verify", "always")
        bring_up_gprs(m)
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
        m.write(START)
        m.expect_exact(START_TLS_FAIL, timeout=15)       # as the module fails without it
        write_file(m, b"C:\\USER\\CA.CRT", (pki() / name).read_bytes())
        import_cert(m, b"C:\\USER\\CA.CRT", b"")
        m.write(START)
        m.expect_exact(START_OK, timeout=15)
        m.exchange(b"AT+CIPCLOSE\r", b"AT+CIPCLOSE\r\r\nCLOSE OK\r\n")


@pytest.mark.parametrize("cert", ["expired", "wrongname", "selfsigned"])
def test_imported_ca_does_not_excuse_a_bad_server(emulator, cert):
    with legacy_tls_echo(cert_name=cert) as srv:
        _, m = emulator.modem(*sandbox_args([("tls.example.test:443", srv)], ca=None))
        bring_up_gprs(m)
        write_file(m, b"C:\\USER\\CA.CRT", (pki() / "root.crt").read_bytes())
        import_cert(m, b"C:\\USER\\CA.CRT")
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
        m.write(START)
        m.expect_exact(START_TLS_FAIL, timeout=15)
        m.exchange(b"AT+SSLOPT=0,1\r", at_ok(b"AT+SSLOPT=0,1\r"))   # ignore: succeeds again
        m.write(START)
        m.expect_exact(START_OK, timeout=15)


def test_last_import_wins(emulator):
    with legacy_tls_echo(cert_name="tls.example.test") as srv:
        _, m = emulator.modem(*sandbox_args([("tls.example.test:443", srv)], ca=None))
        bring_up_gprs(m)
        write_file(m, b"C:\\USER\\CA.CRT", (pki() / "root.crt").read_bytes())
        write_file(m, b"C:\\USER\\OTHER.CRT", (pki() / "selfsigned.leaf.crt").read_bytes())
        import_cert(m, b"C:\\USER\\CA.CRT")
        import_cert(m, b"C:\\USER\\OTHER.CRT")
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
        m.write(START)
        m.expect_exact(START_TLS_FAIL, timeout=15)
        # A failed import keeps the previous one.
        import_cert(m, b"C:\\USER\\CA.CRT")
        import_cert(m, b"C:\\USER\\NONE.CRT", result=1)
        m.write(START)
        m.expect_exact(START_OK, timeout=15)


def test_pkcs12_password(emulator):
    _, m = emulator.modem()
    write_file(m, b"C:\\USER\\CLIENT.P12", (pki() / "client.p12").read_bytes())
    import_cert(m, b"C:\\USER\\CLIENT.P12", b"wrong", result=1)
    import_cert(m, b"C:\\USER\\CLIENT.P12", result=1)
    import_cert(m, b"C:\\USER\\CLIENT.P12", b"sim800", result=0)


def test_client_certificate_when_the_firmware_has_it(emulator):
    """A server that requires a client certificate: the TLS 1.2 build presents
    the imported one after AT+SSLOPT=1,1; the classic build cannot."""
    ca = pki() / "ca-chain.crt"
    with start_tls_echo(tls=True, cert_name="tls.example.test", client_ca=ca,
                        min_version="TLSv1_2") as srv:
        _, m = emulator.modem(*sandbox_args([("tls.example.test:443", srv)]),
                              "-p", "sim800c-tls12")
        bring_up_gprs(m)
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
        write_file(m, b"C:\\USER\\CLIENT.P12", (pki() / "client.p12").read_bytes())
        import_cert(m, b"C:\\USER\\CLIENT.P12", b"sim800")
        m.write(START)
        m.expect_exact(START_TLS_FAIL, timeout=15)        # SSLOPT 1 is off
        m.exchange(b"AT+SSLOPT=1,1\r", at_ok(b"AT+SSLOPT=1,1\r"))
        m.write(START)
        m.expect_exact(START_OK, timeout=15)
        srv.wait_log(r"client=sim800emu_test_client")


def test_root_store_commands_of_later_firmware(emulator):
    """AT+SSLSETROOT/SSLDEROOT/SSLDECLI exist on the TLS 1.2 build only
    (SSL application note V1.03 and later): a DER root of the stated size joins the trust store."""
    der = (pki() / "root.der").read_bytes()
    with start_tls_echo(tls=True, cert_name="tls.example.test", min_version="TLSv1_2") as srv:
        _, m = emulator.modem(*sandbox_args([("tls.example.test:443", srv)], ca=None),
                              "-p", "sim800c-tls12", "--tls-verify", "always")
        bring_up_gprs(m)
        m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
        write_file(m, b"C:\\USER\\ROOT.DER", der)
        write_file(m, b"C:\\USER\\ROOT.PEM", (pki() / "root.crt").read_bytes())
        bad = b'AT+SSLSETROOT="C:\\USER\\ROOT.DER",%d\r' % (len(der) + 1)
        m.exchange(bad, bad + b"\r\nERROR\r\n")                       # wrong size
        pem = b'AT+SSLSETROOT="C:\\USER\\ROOT.PEM",%d\r' % len((pki() / "root.crt").read_bytes())
        m.exchange(pem, pem + b"\r\nERROR\r\n")                       # not DER
        m.write(START)
        m.expect_exact(START_TLS_FAIL, timeout=15)
        cmd = b'AT+SSLSETROOT="C:\\USER\\ROOT.DER",%d\r' % len(der)
        m.exchange(cmd, at_ok(cmd))
        m.exchange(cmd, cmd + b"\r\nCertificate already exists!\r\n\r\nOK\r\n")
        m.exchange(b"AT+SSLDEROOT?\r", b"AT+SSLDEROOT?\r\r\n1001\r\n\r\nOK\r\n")
        m.write(START)
        m.expect_exact(START_OK, timeout=15)
        m.exchange(b"AT+CIPCLOSE\r", b"AT+CIPCLOSE\r\r\nCLOSE OK\r\n")
        m.exchange(b"AT+SSLDEROOT=1001\r", b"AT+SSLDEROOT=1001\r\r\n+SSLDEROOT: 0\r\n\r\nOK\r\n")
        m.exchange(b"AT+SSLDEROOT=1001\r", b"AT+SSLDEROOT=1001\r\r\n+SSLDEROOT: 13\r\n\r\nOK\r\n")
        m.exchange(b"AT+SSLDEROOT?\r", at_ok(b"AT+SSLDEROOT?\r"))
        m.write(START)
        m.expect_exact(START_TLS_FAIL, timeout=15)
        m.exchange(b"AT+SSLDECLI?\r", at_ok(b"AT+SSLDECLI?\r"))
        write_file(m, b"C:\\USER\\CLIENT.P12", (pki() / "client.p12").read_bytes())
        import_cert(m, b"C:\\USER\\CLIENT.P12", b"sim800")
        m.exchange(b"AT+SSLDECLI?\r", b"AT+SSLDECLI?\r\r\n1014\r\n\r\nOK\r\n")
        m.exchange(b"AT+SSLDECLI=1014\r", b"AT+SSLDECLI=1014\r\r\n+SSLDECLI: 0\r\n\r\nOK\r\n")
        m.exchange(b"AT+SSLDECLI?\r", at_ok(b"AT+SSLDECLI?\r"))
    _, classic = emulator.modem()
    for c in (b"AT+SSLSETROOT=?\r", b"AT+SSLDEROOT?\r", b"AT+SSLDECLI?\r"):
        classic.exchange(c, c + b"\r\nERROR\r\n")
