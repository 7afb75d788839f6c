"""README "Using it", your own HTTPS server, as a newcomer follows it:
certs/gen.sh --name for the server's name, a stock Python HTTPS server (TLS
1.2 and later, Python's defaults) with that certificate, the modem mapped to
it.  The default profile (TLS 1.0) fails with 606 and the trace says why in
those words and names the profile that connects; with -p sim800c-tls12 the
same server answers 200."""
import http.server
import shutil
import ssl
import subprocess
import threading
import warnings
from pathlib import Path

import pytest

from net import REPO
from net import pki as servers_pki

NAME = "myserver.example"
AT = [b'AT+SAPBR=3,1,"Contype","GPRS"', b"AT+SAPBR=1,1", b"AT+HTTPINIT",
      b'AT+HTTPPARA="URL","https://%s/"' % NAME.encode(), b"AT+HTTPSSL=1"]


def serve(pki, legacy):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    if legacy:  # the recipe's server: what the classic module speaks
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("AES128-SHA:AES256-SHA:@SECLEVEL=0")
    else:       # Python's defaults: TLS 1.2 and later
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki / f"{NAME}.crt", pki / f"{NAME}.key")
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The suite's PKI copied (gen.sh keeps a copy's base: its stamp is newer
    than gen.sh), then `gen.sh DIR --name NAME` as the recipe says: one new
    leaf, not a whole PKI's keys again."""
    d = tmp_path_factory.mktemp("pki")
    shutil.copytree(servers_pki(), d, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".lock"))
    subprocess.run(["bash", str(REPO / "certs" / "gen.sh"), str(d), "--name", NAME],
                   check=True, capture_output=True)
    assert (d / f"{NAME}.crt").is_file()
    return d


@pytest.fixture(scope="module")
def own_server(pki):
    httpd = serve(pki, legacy=False)
    yield pki, httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_the_recipes_server_answers_the_default_profile(emulator, pki, tmp_path):
    httpd = serve(pki, legacy=True)
    try:
        assert get(emulator, pki, httpd.server_address[1], trace=tmp_path / "t.txt") == "200"
        text = (tmp_path / "t.txt").read_text()
        assert f"http {NAME}:443 connected with TLSv1\n" in text, text[-1500:]
    finally:
        httpd.shutdown()
        httpd.server_close()


def get(emulator, pki, port, *profile, trace):
    _, m = emulator.modem(*profile, "--only-mapped", "-m", f"{NAME}:443=127.0.0.1:{port}",
                          "--ca-file", str(pki / "root.crt"), "--trace", str(trace))
    for c in AT:
        m.write(c + b"\r")
        m.expect(b"\r\nOK\r\n", timeout=5)
    m.write(b"AT+HTTPACTION=0\r")
    m.expect(b"\r\nOK\r\n", timeout=5)
    urc = m.expect(b"\r\n+HTTPACTION: 0,", timeout=20) + m.expect(b"\r\n", timeout=5)
    return urc.split(b"+HTTPACTION: 0,")[1].split(b",")[0].decode()


def test_default_profile_says_why_and_names_the_profile_that_connects(emulator, own_server,
                                                                      tmp_path):
    pki, port = own_server
    trace = tmp_path / "trace.txt"
    assert get(emulator, pki, port, trace=trace) == "606"
    failed = [line for line in trace.read_text().splitlines() if " failed: " in line]
    assert failed, trace.read_text()[-2000:]
    # Python's server answers the TLS 1.0 hello with internal_error.
    assert "(TLS alert received internal error; TLS version or cipher mismatch? this profile " \
        "offers tls1 to tls1 with AES128-SHA" in failed[0], failed[0]
    assert "-p sim800c-tls12" in failed[0], failed[0]


def test_the_tls12_profile_connects(emulator, own_server, tmp_path):
    pki, port = own_server
    assert get(emulator, pki, port, "-p", "sim800c-tls12", trace=tmp_path / "t.txt") == "200"
