#!/usr/bin/python3
"""TLS opens per second: AT+CIPSSL=1 + AT+CIPSTART ... CONNECT OK + AT+CIPCLOSE
through the emulator vs raw TLS handshakes to the same server.

The server is tests/servers/tls_echo.py (echo mode) with the tls.example.test
certificate (RSA 2048, chain root -> intermediate -> leaf), accepting TLS 1.0
and the classic module's ciphers, because the default profile sim800l-r14.18
speaks TLS 1.0 only (AES128-SHA:AES256-SHA:DES-CBC3-SHA:@SECLEVEL=0).
The emulator verifies the chain against certs/out/root.crt (--ca-file).

Baselines, run in alternation with the emulator against the same server:
  * a Python loop: TCP connect, TLS 1.0 handshake with the same cipher list,
    verifying against the same root and name, close_notify, close;
  * `openssl s_time -new -verify 9` with the same version, ciphers and root
    (if installed; it sends no SNI).
One open at a time everywhere; a fresh session each time (no resumption).
The negotiated version and cipher of each client are read from the server's
log first, to show that all of them do the same handshake.
"""
import re
import shutil
import socket
import ssl
import subprocess
import time
import warnings

import benchlib as B

CIPHERS = "AES128-SHA:AES256-SHA:DES-CBC3-SHA:@SECLEVEL=0"
NAME = "tls.example.test"
START = b'AT+CIPSTART="TCP","tls.example.test",443\r'
TIMEOUT = 15.0

warnings.simplefilter("ignore", DeprecationWarning)   # TLSv1 settings


def server(verbose):
    return B.start_tls_echo(mode="echo", tls=True, cert_name=NAME, min_version="TLSv1",
                            ciphers=CIPHERS, verbose=verbose)


def modem(srv):
    emu = B.emulator(maps=[(f"{NAME}:443", srv.port)], ca="root.crt")
    try:
        port = B.boot(emu.paths[0], echo=False)
        B.gprs(port)
        port.exchange(b"AT+CIPSSL=1\r", b"\r\nOK\r\n")
    except BaseException:
        emu.stop()
        raise
    return emu, port


def emu_open_close(port):
    port.exchange(START, b"\r\nOK\r\n\r\nCONNECT OK\r\n", TIMEOUT)
    port.exchange(b"AT+CIPCLOSE\r", b"\r\nCLOSE OK\r\n", TIMEOUT)


def emu_loop(port, seconds):
    n, t0 = 0, time.perf_counter()
    while True:
        emu_open_close(port)
        n += 1
        if time.perf_counter() - t0 >= seconds:
            return n / (time.perf_counter() - t0)


def client_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers(CIPHERS)
    ctx.load_verify_locations(cafile=str(B.pki() / "root.crt"))
    return ctx


def py_open_close(ctx, port):
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s = ctx.wrap_socket(raw, server_hostname=NAME)
    s.setblocking(False)   # send close_notify, do not wait for the server's
    try:
        s.unwrap()
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, OSError):
        pass
    s.close()


def py_loop(ctx, port, seconds):
    n, t0 = 0, time.perf_counter()
    while True:
        py_open_close(ctx, port)
        n += 1
        if time.perf_counter() - t0 >= seconds:
            return n / (time.perf_counter() - t0)


def s_time_argv(port, seconds):
    return ["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-new", "-tls1",
            "-cipher", CIPHERS, "-CAfile", str(B.pki() / "root.crt"), "-verify", "9",
            "-time", str(seconds)]


def s_time_loop(port, seconds):
    t0 = time.perf_counter()
    r = subprocess.run(s_time_argv(port, seconds), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=seconds + 30)
    dt = time.perf_counter() - t0
    m = re.search(rb"(\d+) connections in [\d.]+s", r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"openssl s_time failed: {r.stdout[-500:]!r}")
    return int(m.group(1)) / dt


def negotiated(srv, conn):
    m = srv.wait_log(rf"conn {conn} tls (\S+) (\S+) sni=(\S+)", 10)
    return f"{m.group(1)} {m.group(2)} sni={m.group(3)}"


def main():
    args = B.parse_args(__doc__)
    B.check_binaries()
    rounds, seconds = (1, 1) if args.quick else (3, 3)
    have_s_time = shutil.which("openssl") is not None
    B.title(f"TLS opens ({rounds} x {seconds} s per client, one at a time, no resumption)")
    ctx = client_ctx()

    # What each client negotiates (one open each against a logging server).
    with server(verbose=True) as srv:
        emu, port = modem(srv)
        with emu:
            emu_open_close(port)
            port.close()
        py_open_close(ctx, srv.port)
        seen = [("emulator", negotiated(srv, 1)), ("python ssl", negotiated(srv, 2))]
        if have_s_time:
            subprocess.run(s_time_argv(srv.port, 1), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
            seen.append(("openssl s_time", negotiated(srv, 3)))
    for who, what in seen:
        B.line(f"negotiated by {who}", "", "", what)

    rates = {"emu": [], "py": [], "st": []}
    cpu = []
    with server(verbose=False) as srv:
        emu, port = modem(srv)
        with emu:
            emu_loop(port, 0.3)          # warm up
            py_loop(ctx, srv.port, 0.3)
            for _ in range(rounds):
                rates["py"].append(py_loop(ctx, srv.port, seconds))
                if have_s_time:
                    rates["st"].append(s_time_loop(srv.port, seconds))
                c0, t0 = emu.cpu(), time.perf_counter()
                r = emu_loop(port, seconds)
                cpu.append((emu.cpu() - c0) / (r * (time.perf_counter() - t0)))
                rates["emu"].append(r)
            port.close()
    e, p = B.median(rates["emu"]), B.median(rates["py"])
    B.line("python ssl handshake loop", p, "/s", f"{1e3 / p:.2f} ms per open")
    if have_s_time:
        s = B.median(rates["st"])
        B.line("openssl s_time -new", s, "/s", f"{1e3 / s:.2f} ms per open")
    B.line("sim800emu CIPSTART..CONNECT OK + CIPCLOSE", e, "/s", f"{1e3 / e:.2f} ms per open")
    B.line("ratio emulator / python ssl loop", e / p, "x")
    if have_s_time:
        B.line("ratio emulator / openssl s_time", e / s, "x")
    B.line("emulator CPU per open", B.median(cpu) * 1e3, "ms")
    B.summary("TLS opens", "opens/s vs python ssl loop", e, p, "/s")
    if have_s_time:
        B.summary("TLS opens", "opens/s vs openssl s_time", e, s, "/s")


if __name__ == "__main__":
    main()
