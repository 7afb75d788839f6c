"""Shared pieces of the network tests: the test servers, the PKI, and the
sandboxed emulator options every network test runs with.

Every emulator started through `sandbox_args` runs with --only-mapped: the
seed's public addresses and names reach the local servers through --map, and
anything unmapped is refused, so no test traffic leaves 127.0.0.0/8."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "servers"))

from servers import payload, pki, sha256_hex, start_dns, start_tls_echo  # noqa: E402,F401

# The default profile's TLS (classic SIM800: TLS 1.0, RSA key exchange).
LEGACY_CIPHERS = "AES128-SHA:AES256-SHA:DES-CBC3-SHA:@SECLEVEL=0"


def legacy_tls_echo(mode="echo", cert_name="localhost", **kw):
    """A TLS server the classic profile can talk to (TLS 1.0, legacy ciphers)."""
    kw.setdefault("min_version", "TLSv1")
    kw.setdefault("ciphers", LEGACY_CIPHERS)
    return start_tls_echo(mode=mode, tls=True, cert_name=cert_name, **kw)


def sandbox_args(maps=(), ca="root.crt"):
    """Emulator options: --only-mapped, one --map per (from, server-or-port)
    pair, and the test root as the module's trust store."""
    args = ["--only-mapped"]
    for src, dst in maps:
        port = dst if isinstance(dst, int) else dst.port
        args += ["-m", f"{src}=127.0.0.1:{port}"]
    if ca:
        args += ["--ca-file", str(pki() / ca)]
    return args


def at_ok(line):
    """The bytes of `line` answered with a lone OK (echo on)."""
    return line + b"\r\nOK\r\n"


def bring_up_gprs(m, mux=False):
    """The seed's bearer sequence: CGATT?, (CIPMUX=1), CSTT, CIICR, CIFSR."""
    m.exchange(b"AT+CGATT?\r", b"AT+CGATT?\r\r\n+CGATT: 1\r\n\r\nOK\r\n")
    if mux:
        m.exchange(b"AT+CIPMUX=1\r", at_ok(b"AT+CIPMUX=1\r"))
    m.exchange(b'AT+CSTT="CMNET"\r', at_ok(b'AT+CSTT="CMNET"\r'))
    m.write(b"AT+CIICR\r")
    m.expect_exact(at_ok(b"AT+CIICR\r"), timeout=5)
    m.exchange(b"AT+CIFSR\r", b"AT+CIFSR\r\r\n10.78.245.128\r\n")
