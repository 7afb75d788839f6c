"""The trust model (README "TLS, as the module does it"): whether a TLS
connection checks the server's certificate depends on the trust anchor the
module has (none, the built-in store of --ca-file, an AT+SSLSETCERT import),
on AT+SSLOPT option 0, and on the operator's [tls] verify / --tls-verify.

Every cell of that table runs against real loopback TLS servers holding a
good certificate, one from a CA nobody trusts (self-signed), an expired one
and one for another name: a checked connection reaches only the good one,
an unchecked one reaches all four."""
import re

import pytest

from net import at_ok, bring_up_gprs, legacy_tls_echo, pki, sandbox_args

CERTS = ("tls.example.test", "selfsigned", "expired", "wrongname")
GOOD = "tls.example.test"
BASE_PORT = 4431   # tls.example.test:4431.. each lead to one of the servers


@pytest.fixture(scope="module")
def servers():
    started = [legacy_tls_echo(cert_name=c) for c in CERTS]
    try:
        yield dict(zip(CERTS, started))
    finally:
        for s in started:
            s.stop()


def maps(servers):
    return [(f"tls.example.test:{BASE_PORT + i}", servers[c]) for i, c in enumerate(CERTS)]


def write_file(m, path, data):
    m.exchange(b"AT+FSCREATE=" + path + b"\r", at_ok(b"AT+FSCREATE=" + path + b"\r"))
    cmd = b"AT+FSWRITE=%s,0,%d,10\r" % (path, len(data))
    m.exchange(cmd, cmd + b"\r\n> ")
    m.write(data)
    m.expect_exact(b"\r\nOK\r\n", timeout=5)


def import_root(m):
    write_file(m, b"C:\\USER\\CA.CRT", (pki() / "root.crt").read_bytes())
    cmd = b'AT+SSLSETCERT="C:\\USER\\CA.CRT"\r'
    m.write(cmd)
    m.expect_exact(cmd + b"\r\nOK\r\n\r\n+SSLSETCERT: 0\r\n", timeout=5)


def connects(m, cert):
    """One CIPSTART to the server holding `cert`: True on CONNECT OK, False on
    the module's handshake failure (CLOSE OK)."""
    port = BASE_PORT + CERTS.index(cert)
    cmd = b'AT+CIPSTART="TCP","tls.example.test",%d\r' % port
    m.write(cmd)
    got = m.expect(b"OK\r\n\r\n", timeout=15)
    assert got == cmd + b"\r\nOK\r\n\r\n", got
    line = m.expect(b"\r\n", timeout=15)
    if line == b"CONNECT OK\r\n":
        m.exchange(b"AT+CIPCLOSE\r", b"AT+CIPCLOSE\r\r\nCLOSE OK\r\n")
        return True
    assert line == b"CLOSE OK\r\n", line
    return False


def trust_modem(emulator, servers, anchor, mode, *extra):
    args = sandbox_args(maps(servers), ca="root.crt" if anchor == "ca-file" else None)
    if mode != "module":
        args += ["--tls-verify", mode]
    _, m = emulator.modem(*args, *extra)
    bring_up_gprs(m)
    if anchor == "imported":
        import_root(m)
    m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
    return m


def verified(anchor, sslopt_ignore, mode):
    """The README's table."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    return not sslopt_ignore and anchor != "none"


@pytest.mark.parametrize("mode", ["module", "always", "never"])
@pytest.mark.parametrize("anchor", ["none", "ca-file", "imported"])
def test_trust_table(emulator, servers, anchor, mode):
    m = trust_modem(emulator, servers, anchor, mode)
    # A fresh module reads the power-on options whatever the operator chose.
    m.exchange(b"AT+SSLOPT?\r", b"AT+SSLOPT?\r\r\n+SSLOPT: 0,0\r\n+SSLOPT: 1,0\r\n\r\nOK\r\n")
    for ignore in (False, True):
        if ignore:
            m.exchange(b"AT+SSLOPT=0,1\r", at_ok(b"AT+SSLOPT=0,1\r"))
            m.exchange(b"AT+SSLOPT?\r",
                       b"AT+SSLOPT?\r\r\n+SSLOPT: 0,1\r\n+SSLOPT: 1,0\r\n\r\nOK\r\n")
        checked = verified(anchor, ignore, mode)
        got = {c: connects(m, c) for c in CERTS}
        want = {c: (c == GOOD) if checked else True for c in CERTS}
        # "always" with no anchor at all trusts nothing, not even the good one.
        if checked and anchor == "none":
            want[GOOD] = False
        assert got == want, (anchor, mode, ignore)


def test_profile_key_sets_the_mode_and_the_switch_wins(emulator, servers):
    # [tls] verify = always through --set: a fresh module without anchors now
    # refuses the self-signed server; --tls-verify never overrides the key.
    _, m = emulator.modem(*sandbox_args(maps(servers), ca=None), "-s", "tls.verify=always")
    bring_up_gprs(m)
    m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
    assert connects(m, "selfsigned") is False
    _, m2 = emulator.modem(*sandbox_args(maps(servers)), "-s", "tls.verify=always",
                           "--tls-verify", "never")
    bring_up_gprs(m2)
    m2.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
    assert connects(m2, "selfsigned") is True


def test_bad_verify_mode_is_a_usage_error():
    from conftest import run_cli
    r = run_cli("--tls-verify", "sometimes")
    assert r.returncode == 2
    assert "--tls-verify sometimes: [tls] verify: must be module, always or never" in r.stderr
    r = run_cli("-s", "tls.verify=strict")
    assert r.returncode == 2
    assert "[tls] verify: must be module, always or never" in r.stderr


def test_trace_says_what_each_handshake_checked(emulator, servers, tmp_path):
    trace = tmp_path / "trace.txt"
    _, m = emulator.modem(*sandbox_args(maps(servers)), "-t", str(trace))
    bring_up_gprs(m)
    m.exchange(b"AT+CIPSSL=1\r", at_ok(b"AT+CIPSSL=1\r"))
    assert connects(m, GOOD) is True
    assert connects(m, "selfsigned") is False
    m.exchange(b"AT+SSLOPT=0,1\r", at_ok(b"AT+SSLOPT=0,1\r"))
    assert connects(m, "expired") is True
    text = trace.read_text()
    ca = re.escape(str(pki() / "root.crt"))
    assert re.search(rf"m0 tls -- tls\.example\.test:4431 certificate verified against "
                     rf"the built-in store {ca}\n", text), text
    assert re.search(r"m0 net -- conn tls\.example\.test:4432 failed: \S+ \(certificate rejected: "
                     r"self[- ]signed certificate\)", text), text
    assert re.search(r"m0 tls -- tls\.example\.test:4433 certificate not verified: "
                     r"AT\+SSLOPT=0,1 accepts any certificate\n", text), text
