"""Redirects with AT+HTTPPARA="REDIR",1 keep what the first request really
used: a URL without a scheme under AT+HTTPSSL=1 (the SSL note's example 3.5)
was fetched over TLS on 443, so a relative Location stays TLS on that port.
AT+HTTPSSL, not the URL scheme, decides TLS on every hop (README "HTTP")."""
from urllib.parse import quote

import pytest

from net import sandbox_args
from test_http import action, bearer_up, init_http, start_web

REDIR = (b'AT+HTTPPARA="REDIR",1',)


@pytest.fixture(scope="module")
def web():
    with start_web(cert_name="www.gmail.com", root_redirect=302) as w:
        yield w


def modem_for(emulator, web, tls_ports=(443,)):
    """A modem whose map sends www.gmail.com's `tls_ports` to nginx's TLS port
    and its 80 to the plain one, so a hop that lost TLS still gets an answer
    and only the access log tells the two apart.  The certificate is checked
    (--ca-file), so every TLS hop also proves it asked for www.gmail.com."""
    maps = [(f"www.gmail.com:{p}", web.https_port) for p in tls_ports]
    maps.append(("www.gmail.com:80", web.http_port))
    _, m = emulator.modem(*sandbox_args(maps))
    bearer_up(m)
    return m


def served(web, path, status, scheme):
    """The access-log line of `path`: its status and its scheme."""
    return web.wait_access(r'"GET %s HTTP/1\.1" %d \d+ "[^"]*" "SIMCOM_MODULE" %s ' % (
        path.replace("?", r"\?").replace(".", r"\."), status, scheme))


def redirect_url(host, to, port=None):
    return b"%s%s/redirect?code=302&to=%s" % (host.encode(), b":%d" % port if port else b"",
                                               quote(to, safe="").encode())


def test_seed_3_5_relative_redirect_stays_tls(emulator, web):
    # "www.gmail.com" answers 302 "Location: /index.html"; the next hop is
    # https://www.gmail.com:443/index.html, not http://www.gmail.com:80/.
    m = modem_for(emulator, web)
    init_http(m, b"www.gmail.com", ssl=1, extra=REDIR)
    assert action(m, 0) == (200, 84200)
    served(web, "/", 302, "https")
    served(web, "/index.html", 200, "https")
    assert '"GET /index.html HTTP/1.1" 200 84200 "-" "SIMCOM_MODULE" http ' not in web.access_log()


def test_relative_redirect_keeps_a_non_default_port(emulator, web):
    # Only 8443 goes to the TLS port: a hop that fell back to 443 would fail
    # (603), one that fell back to 80 would show as http in the log.
    m = modem_for(emulator, web, tls_ports=(8443,))
    init_http(m, redirect_url("www.gmail.com", "/1k.txt?p=8443", 8443), ssl=1, extra=REDIR)
    assert action(m, 0) == (200, 1024)
    served(web, "/1k.txt?p=8443", 200, "https")


def test_dot_dot_relative_redirect(emulator, web):
    # "../1k.txt" against "/redirect?..." is "/1k.txt" (RFC 3986 5.2.4); the
    # dot segments are removed, as a server would refuse "/../1k.txt".
    m = modem_for(emulator, web, tls_ports=(8443,))
    init_http(m, redirect_url("www.gmail.com", "../1k.txt?dots", 8443), ssl=1, extra=REDIR)
    assert action(m, 0) == (200, 1024)
    served(web, "/1k.txt?dots", 200, "https")


def test_scheme_relative_redirect_keeps_tls(emulator, web):
    # "//host/path" from a hop on 8443: TLS again, on the host's default TLS port.
    m = modem_for(emulator, web, tls_ports=(8443, 443))
    init_http(m, redirect_url("www.gmail.com", "//www.gmail.com/1k.txt?cdn", 8443), ssl=1,
              extra=REDIR)
    assert action(m, 0) == (200, 1024)
    served(web, "/1k.txt?cdn", 200, "https")


def test_absolute_http_location_under_httpssl_1_still_uses_tls(emulator, web):
    # AT+HTTPSSL=1 decides TLS; the Location's http:// does not undo it (an
    # http:// URL under HTTPSSL=1 goes over TLS too, on 443 unless it names a port).
    m = modem_for(emulator, web)
    init_http(m, redirect_url("www.gmail.com", "http://www.gmail.com/1k.txt?abs"), ssl=1,
              extra=REDIR)
    assert action(m, 0) == (200, 1024)
    served(web, "/1k.txt?abs", 200, "https")


def test_https_location_under_httpssl_0_is_603(emulator, web):
    # The plain client refuses an https:// URL (603), on the first hop or a later one.
    m = modem_for(emulator, web)
    init_http(m, b"http://" + redirect_url("www.gmail.com", "https://www.gmail.com/1k.txt?s"),
              extra=REDIR)
    assert action(m, 0) == (603, 0)
    served(web, "/redirect?code=302&to=https%3A%2F%2Fwww.gmail.com%2F1k.txt%3Fs", 302, "http")
    assert "/1k.txt?s" not in web.access_log()
    # A relative Location under HTTPSSL=0 stays plain on 80.
    url = b"http://" + redirect_url("www.gmail.com", "/1k.txt?plain")
    m.exchange(b'AT+HTTPPARA="URL","%s"\r' % url, b'AT+HTTPPARA="URL","%s"\r\r\nOK\r\n' % url)
    assert action(m, 0) == (200, 1024)
    served(web, "/1k.txt?plain", 200, "http")
