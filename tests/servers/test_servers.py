"""Self-test of the test servers and the PKI, with Python's own ssl client.

    /usr/bin/python3 -m pytest tests/servers
"""

import hashlib
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import PYTHON, HERE, payload, pki, sha256_hex, start_dns, start_tls_echo  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 client settings

MB = 1 << 20
LEGACY = "DEFAULT:@SECLEVEL=0"

# Under pytest-xdist (scripts/test) this module stays on one worker, in order:
# its tests share servers and count their log lines from a mark.
pytestmark = pytest.mark.xdist_group("servers-servers")


@pytest.fixture(scope="session")
def certs():
    return pki()


def client_ctx(certs, min_v=None, max_v=None, ciphers=None, verify=True, client_cert=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        ctx.load_verify_locations(cafile=str(certs / "root.crt"))
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if min_v:
        ctx.minimum_version = min_v
    if max_v:
        ctx.maximum_version = max_v
    if ciphers:
        ctx.set_ciphers(ciphers)
    if client_cert:
        ctx.load_cert_chain(str(certs / (client_cert + ".crt")), str(certs / (client_cert + ".key")))
    return ctx


def connect(srv, ctx=None, hostname="localhost", timeout=10):
    s = socket.create_connection(srv.addr, timeout=timeout)
    if ctx is None:
        return s
    try:
        return ctx.wrap_socket(s, server_hostname=hostname, suppress_ragged_eofs=False)
    except BaseException:
        s.close()
        raise


def recv_all(s):
    chunks = []
    while True:
        d = s.recv(MB)
        if not d:
            return b"".join(chunks)
        chunks.append(d)


def echo_roundtrip(s, data, timeout=30):
    """Send data while reading the echo, in one thread (an SSL socket must not
    be read and written from two threads at once); returns what came back."""
    import select
    s.setblocking(False)
    view = memoryview(data)
    got = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while len(got) < len(data) and time.monotonic() < deadline:
            pending = isinstance(s, ssl.SSLSocket) and s.pending()
            r, w, _ = ([s], [], []) if pending else select.select(
                [s], [s] if view else [], [], 0.5)
            if w and view:
                try:
                    view = view[s.send(view[:65536]):]
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    pass
            if r:
                try:
                    d = s.recv(MB)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    continue
                if not d:
                    break
                got += d
    finally:
        s.setblocking(True)
    return bytes(got)


# --- PKI -------------------------------------------------------------------------

NAMES = ["localhost", "www.gmail.com", "smtp.gmail.com", "mail.sim.com", "tls.example.test",
         "expired", "selfsigned", "wrongname", "client"]


def test_pki_files(certs):
    for f in ["root.key", "root.crt", "root.der", "intermediate.key", "intermediate.crt",
              "intermediate.der", "ca-chain.crt", "client.p12"]:
        assert (certs / f).stat().st_size > 0, f
    for n in NAMES:
        for ext in (".crt", ".key", ".leaf.crt"):
            assert (certs / (n + ext)).stat().st_size > 0, n + ext
        pem = (certs / (n + ".crt")).read_text()
        assert pem.count("BEGIN CERTIFICATE") == (1 if n == "selfsigned" else 2), n
    assert ssl.DER_cert_to_PEM_cert((certs / "root.der").read_bytes()).split() == \
        (certs / "root.crt").read_text().split()


def test_gen_is_idempotent(certs, tmp_path):
    # A second run skips the work (.done is newer than gen.sh): no file is
    # rewritten, so every certificate keeps its bytes and its mtime.
    before = {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in certs.iterdir() if f.is_file()}
    subprocess.run(["bash", str(HERE.parent.parent / "certs" / "gen.sh"), str(certs)], check=True)
    after = {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in certs.iterdir() if f.is_file()}
    assert after == before


@pytest.mark.parametrize("cert_name,hostname", [
    ("localhost", "localhost"), ("localhost", "127.0.0.1"),
    ("www.gmail.com", "www.gmail.com"), ("smtp.gmail.com", "smtp.gmail.com"),
    ("smtp.gmail.com", "SMTP.GMAIL.COM"), ("mail.sim.com", "mail.sim.com"),
    ("tls.example.test", "tls.example.test"), ("tls.example.test", "116.228.221.51"),
    ("tls.example.test", "116.228.221.52"),
])
def test_server_certs_verify(certs, cert_name, hostname):
    with start_tls_echo(tls=True, cert_name=cert_name) as srv:
        with connect(srv, client_ctx(certs), hostname) as s:
            assert echo_roundtrip(s, b"ping") == b"ping"
        srv.wait_log(r"conn 1 tls TLSv1\.3 ")


@pytest.mark.parametrize("cert_name,hostname,reason", [
    ("expired", "tls.example.test", "certificate has expired"),
    ("selfsigned", "tls.example.test", "self-signed certificate"),
    ("wrongname", "tls.example.test", "Hostname mismatch"),
])
def test_bad_server_certs_rejected(certs, cert_name, hostname, reason):
    with start_tls_echo(tls=True, cert_name=cert_name) as srv:
        with pytest.raises(ssl.SSLCertVerificationError, match=reason):
            connect(srv, client_ctx(certs), hostname)
        # ... while a non-verifying client gets through
        with connect(srv, client_ctx(certs, verify=False), hostname) as s:
            assert echo_roundtrip(s, b"x") == b"x"


def test_client_certificate(certs):
    with start_tls_echo(tls=True, client_ca=certs / "ca-chain.crt") as srv:
        with connect(srv, client_ctx(certs, client_cert="client")) as s:
            assert echo_roundtrip(s, b"hello") == b"hello"
        srv.wait_log(r"conn 1 tls \S+ \S+ sni=localhost client=sim800emu_test_client")
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            with connect(srv, client_ctx(certs)) as s:  # TLS 1.3: failure shows on read
                s.sendall(b"x")
                s.recv(1)


# --- echo, versions ---------------------------------------------------------------

def test_echo_plain_large():
    data = payload(4 * MB, "echo-plain")
    with start_tls_echo() as srv, connect(srv) as s:
        assert echo_roundtrip(s, data) == data


def test_echo_tls12_large(certs):
    data = payload(4 * MB, "echo-tls12")
    with start_tls_echo(tls=True) as srv:
        with connect(srv, client_ctx(certs, max_v=ssl.TLSVersion.TLSv1_2)) as s:
            assert s.version() == "TLSv1.2"
            assert echo_roundtrip(s, data) == data
            s.unwrap()  # clean close_notify exchange


@pytest.mark.parametrize("client_ciphers,cipher", [(LEGACY, None), ("AES128-SHA:@SECLEVEL=0", "AES128-SHA")])
def test_tls10_with_legacy_settings(certs, client_ciphers, cipher):
    with start_tls_echo(tls=True, cert_name="tls.example.test", min_version="TLSv1", ciphers=LEGACY) as srv:
        ctx = client_ctx(certs, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1, client_ciphers)
        with connect(srv, ctx, "tls.example.test") as s:
            assert s.version() == "TLSv1"
            if cipher:
                assert s.cipher()[0] == cipher  # RSA key exchange, as on the SIM800
            assert echo_roundtrip(s, b"\x00\x1a\x1b" * 1000) == b"\x00\x1a\x1b" * 1000


def test_tls12_only_server_rejects_tls10_client(certs):
    with start_tls_echo(tls=True, min_version="TLSv1_2") as srv:
        ctx = client_ctx(certs, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1, LEGACY)
        with pytest.raises(ssl.SSLError) as ei:
            connect(srv, ctx)
        assert "protocol version" in str(ei.value) or "PROTOCOL" in str(ei.value)


def test_many_concurrent_connections(certs):
    with start_tls_echo(tls=True) as srv:
        results = []

        def one(i):
            data = payload(100_000, i)
            with connect(srv, client_ctx(certs)) as s:
                results.append(echo_roundtrip(s, data) == data)

        ts = [threading.Thread(target=one, args=(i,)) for i in range(20)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert results == [True] * 20


# --- sink / source ----------------------------------------------------------------

def test_payload_definition():
    p = payload(300, 5)
    assert sorted(p[:256]) == list(range(256))
    assert payload(300, 5) == p and payload(300, "5") == p and payload(300, 6) != p
    assert payload(100, 5) == p[:100]
    # pinned: any reimplementation (e.g. in C) must reproduce these
    assert sha256_hex(payload(1000, 42)) == "73af1bfc6ac2bc1fb064ae79df5ed0e399ef25c3b40b3d0f32f73880c7613cd1"
    assert payload(8, 0).hex() == "12d060ab65f1d87f"


@pytest.mark.parametrize("tls", [False, True])
def test_sink_n_8mb(certs, tls):
    n = 8 * MB
    data = payload(n, "sink")
    with start_tls_echo(mode="sink-n:%d" % n, tls=tls) as srv:
        with connect(srv, client_ctx(certs) if tls else None) as s:
            s.sendall(data)
            assert recv_all(s) == ("%s %d\n" % (hashlib.sha256(data).hexdigest(), n)).encode()


def test_sink_sha256_half_close():
    data = payload(1 * MB + 7, "half")
    with start_tls_echo(mode="sink-sha256") as srv, connect(srv) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        assert recv_all(s) == ("%s %d\n" % (sha256_hex(data), len(data))).encode()


@pytest.mark.parametrize("tls", [False, True])
def test_source_8mb(certs, tls):
    n = 8 * MB
    with start_tls_echo(mode="source:%d:1234" % n, tls=tls) as srv:
        with connect(srv, client_ctx(certs) if tls else None) as s:
            got = recv_all(s)  # TLS: ends with close_notify, no exception
    assert len(got) == n
    assert sha256_hex(got) == sha256_hex(payload(n, 1234))
    assert {0x00, 0x1A, 0x1B} <= set(got[:256])


# --- greet / reply ------------------------------------------------------------------

@pytest.mark.parametrize("tls", [False, True])
def test_greet_close(certs, tls):
    with start_tls_echo(mode="greet-close", tls=tls) as srv:
        with connect(srv, client_ctx(certs) if tls else None) as s:
            assert recv_all(s) == b"hello SIM800"
    with start_tls_echo(mode="greet-close", greeting="220 ready\\r\\n") as srv, connect(srv) as s:
        assert recv_all(s) == b"220 ready\r\n"


def test_reply():
    with start_tls_echo(mode="reply:SIM800 TCP test") as srv, connect(srv) as s:
        s.sendall(b"TCP test")
        assert s.recv(100) == b"SIM800 TCP test"
        s.sendall(b"more")  # discarded, no second reply
        s.settimeout(0.3)
        with pytest.raises(socket.timeout):
            s.recv(100)
        s.settimeout(5)
        s.shutdown(socket.SHUT_WR)
        assert recv_all(s) == b""


# --- failures -------------------------------------------------------------------------

@pytest.mark.parametrize("tls", [False, True])
def test_reset_after(certs, tls):
    with start_tls_echo(mode="reset-after:10", tls=tls) as srv:
        with connect(srv, client_ctx(certs) if tls else None) as s:
            s.sendall(b"0123456789")
            # Over TLS, OpenSSL may report the RST as an EOF in mid-record.
            with pytest.raises((ConnectionResetError, ssl.SSLEOFError) if tls else ConnectionResetError):
                s.recv(100)
                s.recv(100)


@pytest.mark.parametrize("version", ["TLSv1", "TLSv1_2", "TLSv1_3"])
@pytest.mark.parametrize("variant", ["", ":plain"])
def test_alert_after(certs, version, variant):
    v = getattr(ssl.TLSVersion, version)
    with start_tls_echo(mode="alert-after:5" + variant, tls=True, min_version="TLSv1", ciphers=LEGACY) as srv:
        with connect(srv, client_ctx(certs, v, v, LEGACY)) as s:
            assert s.version() == version.replace("_", ".")
            s.sendall(b"12345")
            with pytest.raises(ssl.SSLError) as ei:
                s.recv(100)
            # a TLS failure, not a clean or ragged close
            assert not isinstance(ei.value, (ssl.SSLZeroReturnError, ssl.SSLEOFError))
            if not variant:
                assert "alert bad record mac" in str(ei.value)


def test_close_in_handshake(certs):
    with start_tls_echo(mode="close-in-handshake", tls=True) as srv:
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            connect(srv, client_ctx(certs))


def test_hang(certs):
    with start_tls_echo(mode="hang", tls=True) as srv:
        with pytest.raises(socket.timeout):
            connect(srv, client_ctx(certs), timeout=0.5)


def test_rejects_non_loopback():
    r = subprocess.run([PYTHON, str(HERE / "tls_echo.py"), "--host", "0.0.0.0"], capture_output=True)
    assert r.returncode != 0 and r.stdout == b""


# --- DNS ------------------------------------------------------------------------------

def dns_query(name, qtype=1, qid=0x1234, edns=False):
    """A hand-built query; returns (packet, end offset of the question)."""
    q = struct.pack("!6H", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack("!HH", qtype, 1)
    qend = len(q)
    if edns:
        q += b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
    return q, qend


def dns_parse(resp, query):
    """(rcode, [addresses]) of a response to query = (packet, qend)."""
    q, qend = query
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", resp[:12])
    assert qid == struct.unpack("!H", q[:2])[0]
    assert flags & 0x8000 and flags & 0x0400 and flags & 0x0100  # QR, AA, RD copied
    assert qd == 1 and resp[12:qend] == q[12:qend]
    pos, ips = qend, []
    for _ in range(an):
        ptr, rtype, rclass, ttl, rdlen = struct.unpack("!HHHIH", resp[pos:pos + 12])
        assert ptr == 0xC00C and rclass == 1
        fam = socket.AF_INET if rtype == 1 else socket.AF_INET6
        ips.append(socket.inet_ntop(fam, resp[pos + 12:pos + 12 + rdlen]))
        pos += 12 + rdlen
    assert pos == len(resp)
    return flags & 0xF, ips


def udp_ask(port, query, timeout=2):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(timeout)
        u.sendto(query[0], ("127.0.0.1", port))
        return u.recv(4096)


def test_dns():
    recs = [("tls.example.test", "116.228.221.51"), ("tls.example.test", "116.228.221.52"),
            ("WWW.Gmail.COM", "127.0.0.1"), ("v6.test", "::1")]
    with start_dns(recs, drop=["slow.test"], servfail=["broken.test"]) as dns:
        q = dns_query("tls.example.test")
        assert dns_parse(udp_ask(dns.port, q), q) == (0, ["116.228.221.51", "116.228.221.52"])
        q = dns_query("www.GMAIL.com", edns=True)  # case-insensitive, EDNS ignored
        assert dns_parse(udp_ask(dns.port, q), q) == (0, ["127.0.0.1"])
        q = dns_query("www.gmail.com", qtype=28)  # known name, no AAAA: NODATA
        assert dns_parse(udp_ask(dns.port, q), q) == (0, [])
        q = dns_query("v6.test", qtype=28)
        assert dns_parse(udp_ask(dns.port, q), q) == (0, ["::1"])
        q = dns_query("nothere.test")
        assert dns_parse(udp_ask(dns.port, q), q) == (3, [])
        q = dns_query("broken.test")
        assert dns_parse(udp_ask(dns.port, q), q) == (2, [])
        with pytest.raises(socket.timeout):
            udp_ask(dns.port, dns_query("slow.test"), timeout=0.3)
        # TCP, two queries on one connection
        with socket.create_connection(dns.addr, timeout=2) as t:
            for name, want in (("tls.example.test", 2), ("nothere.test", 0)):
                q = dns_query(name)
                t.sendall(struct.pack("!H", len(q[0])) + q[0])
                n = struct.unpack("!H", t.recv(2, socket.MSG_WAITALL))[0]
                assert len(dns_parse(t.recv(n, socket.MSG_WAITALL), q)[1]) == want
        # garbage is survived
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.sendto(b"\x00", dns.addr)
        dns.wait_log(r"query tcp nothere\.test 1 -> NXDOMAIN 0")
        q = dns_query("tls.example.test")
        assert dns_parse(udp_ask(dns.port, q), q)[0] == 0
