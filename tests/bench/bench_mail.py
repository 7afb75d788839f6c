#!/usr/bin/python3
"""Mail through the emulator vs Python's own clients, to the same servers.

SMTPS: a ~100 KB message (a short body and one binary attachment, base64 on
the wire) sent with AT+SMTPSEND, the attachment streamed by AT+SMTPFT in
1360-byte chunks, until +SMTPSEND: 1; baseline smtplib.SMTP_SSL in this
(persistent) process sending the same MIME message to the same aiosmtpd.
POP3S: the 50 KB message of the rig's "full" mailbox read with AT+POP3IN,
AT+POP3CMD=4,3, AT+POP3READ=1460 until the last chunk, AT+POP3OUT; baseline
poplib.POP3_SSL (login, RETR, QUIT) against the same dovecot.  Both clients
speak TLS 1.0 with AES128-SHA (the classic profile's choice), rounds
alternate, and every byte is checked (the server's record for SMTP, the
rig's copy for POP3).  Ratio = emulator time / Python time.
"""
import base64
import email.message
import hashlib
import poplib
import re
import smtplib
import ssl
import sys
import time
import warnings

import benchlib as B

warnings.simplefilter("ignore", DeprecationWarning)   # ssl.TLSVersion.TLSv1: on purpose

sys.path.insert(0, str(B.REPO / "tests" / "servers"))
from mail import start_pop3, start_smtp  # noqa: E402
from pop3 import dot_stuff  # noqa: E402

FT = re.compile(rb"\r\n\+SMTPFT: 1,(\d+)\r\n")
READ = re.compile(rb"\r\n\+POP3READ: ([12]),(\d+)\r\n")
BODY = b"The attachment follows."


class Named:
    """An SSLContext that checks the certificate against `name` while the
    client connects to 127.0.0.1 (what the emulator's host map does)."""

    def __init__(self, ctx, name):
        self.ctx, self.name = ctx, name

    def wrap_socket(self, sock, server_hostname=None, **kw):
        return self.ctx.wrap_socket(sock, server_hostname=self.name, **kw)


def tls10(name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("AES128-SHA:@SECLEVEL=0")
    ctx.load_verify_locations(str(B.pki() / "root.crt"))
    return Named(ctx, name)


def wait(port, rx, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        mt = rx.search(bytes(port.buf))
        if mt:
            del port.buf[:mt.end()]
            return mt
        port.fill(deadline)


def emu_send(port, wire):
    t0 = time.perf_counter()
    port.exchange(b"AT+SMTPSEND\r", b"\r\nOK\r\n")
    off = 0
    while True:
        mt = wait(port, FT)
        if off >= len(wire):
            break
        n = min(int(mt.group(1)), len(wire) - off)
        port.exchange(b"AT+SMTPFT=%d\r" % n, b"\r\n+SMTPFT: 2,%d\r\n" % n)
        port.write(wire[off:off + n])
        port.expect_exact(b"\r\nOK\r\n", 30)
        off += n
    port.exchange(b"AT+SMTPFT=0\r", b"\r\nOK\r\n")
    wait(port, re.compile(rb"\r\n\+SMTPSEND: 1\r\n"))
    return time.perf_counter() - t0


def py_send(srv, msg):
    t0 = time.perf_counter()
    with smtplib.SMTP_SSL("127.0.0.1", srv.port, context=tls10("smtp.gmail.com"), timeout=30) as s:
        s.login("account", "password")
        s.send_message(msg, "account@GMAIL.COM", ["john@sim.com"])
    return time.perf_counter() - t0


def check_attachment(srv, raw):
    att = list(srv.wait_message().email().iter_attachments())[0]
    if hashlib.sha256(att.get_payload(decode=True)).digest() != hashlib.sha256(raw).digest():
        raise AssertionError("the server received a different attachment")


def emu_retr(port, want):
    t0 = time.perf_counter()
    port.exchange(b"AT+POP3IN\r", b"\r\nOK\r\n")
    port.expect_exact(b"\r\n+POP3IN: 1\r\n", 30)
    port.exchange(b"AT+POP3CMD=4,3\r", b"\r\nOK\r\n")
    port.expect_exact(b"\r\n+POP3CMD: 1\r\n", 30)
    data = bytearray()
    deadline = time.monotonic() + 30
    while True:
        port.write(b"AT+POP3READ=1460\r")
        mt = wait(port, READ)
        n = int(mt.group(2))
        while len(port.buf) < n + 6:
            port.fill(deadline)
        data += port.buf[:n]
        if port.buf[n:n + 6] != b"\r\nOK\r\n":
            raise AssertionError("POP3READ framing")
        del port.buf[:n + 6]
        if mt.group(1) == b"2":
            break
        if n < 1460:  # short: wait for "+POP3READ: 3,<n>" (manual §14.2.19)
            wait(port, re.compile(rb"\r\n\+POP3READ: 3,\d+\r\n"))
    port.exchange(b"AT+POP3OUT\r", b"\r\nOK\r\n")
    port.expect_exact(b"\r\n+POP3OUT: 1\r\n", 30)
    elapsed = time.perf_counter() - t0
    if bytes(data) != dot_stuff(want):  # as sent: dot-stuffed, with its dot line
        raise AssertionError("emulator: wrong message")
    return elapsed


def py_retr(pop, want):
    t0 = time.perf_counter()
    p = poplib.POP3_SSL("127.0.0.1", pop.tls_port, context=tls10("mail.sim.com"), timeout=30)
    p.user("john")
    p.pass_("123456")
    _, lines, _ = p.retr(3)
    p.quit()
    elapsed = time.perf_counter() - t0
    if b"".join(line + b"\r\n" for line in lines) != want:
        raise AssertionError("poplib: wrong message")
    return elapsed


def main():
    args = B.parse_args(__doc__)
    B.check_binaries()
    rounds = 2 if args.quick else 10
    raw = bytes((i * 131 + (i >> 7)) & 0xFF for i in range(75 * 1024))
    wire = base64.b64encode(raw)
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "account@GMAIL.COM", "john@sim.com", "Bench"
    msg.set_content(BODY.decode())
    msg.add_attachment(raw, maintype="application", subtype="octet-stream", filename="a.bin")
    size = len(msg.as_bytes())

    B.title(f"SMTPS: one {size // 1024} KB message with a 75 KB attachment ({rounds} rounds)")
    with start_smtp(mode="smtps") as srv:
        with B.emulator(maps=[("smtp.gmail.com:465", srv.port)], ca="root.crt") as emu:
            port = B.boot(emu.paths[0], echo=False)
            for c in (b'AT+SAPBR=3,1,"APN","CMNET"\r', b"AT+SAPBR=1,1\r", b"AT+EMAILSSL=1\r",
                      b'AT+SMTPSRV="SMTP.GMAIL.COM"\r', b'AT+SMTPAUTH=1,"account","password"\r',
                      b'AT+SMTPFROM="account@GMAIL.COM","account"\r', b'AT+SMTPSUB="Bench"\r',
                      b'AT+SMTPRCPT=0,0,"john@sim.com","john"\r', b'AT+SMTPFILE=2,"a.bin",1\r'):
                port.exchange(c, b"\r\nOK\r\n", 10)
            port.exchange(b"AT+SMTPBODY=%d\r" % len(BODY), b"\r\nDOWNLOAD\r\n")
            port.write(BODY)
            port.expect_exact(b"\r\nOK\r\n")
            emu_t, py_t = [], []
            for _ in range(rounds):
                emu_t.append(emu_send(port, wire))
                check_attachment(srv, raw)
                py_t.append(py_send(srv, msg))
                check_attachment(srv, raw)
            port.close()
    e, p = B.median(emu_t), B.median(py_t)
    B.line("emulator: AT+SMTPSEND .. +SMTPSEND: 1 (median)", e * 1000, "ms")
    B.line("smtplib.SMTP_SSL, same server (median)", p * 1000, "ms")
    B.line("ratio emulator / smtplib", e / p, "x")
    B.summary("mail", "SMTPS send ~100 KB", e * 1000, p * 1000, "ms")

    B.title(f"POP3S: RETR of a 50 KB message ({rounds} rounds)")
    with start_pop3(mailbox="full") as pop:
        want = pop.messages[2]
        with B.emulator(maps=[("mail.sim.com:995", pop.tls_port)], ca="root.crt") as emu:
            port = B.boot(emu.paths[0], echo=False)
            for c in (b'AT+SAPBR=3,1,"APN","CMNET"\r', b"AT+SAPBR=1,1\r", b"AT+EMAILSSL=1\r",
                      b'AT+POP3SRV="mail.sim.com","john","123456"\r'):
                port.exchange(c, b"\r\nOK\r\n", 10)
            emu_t, py_t = [], []
            for _ in range(rounds):
                emu_t.append(emu_retr(port, want))
                py_t.append(py_retr(pop, want))
            port.close()
    e, p = B.median(emu_t), B.median(py_t)
    B.line("emulator: POP3IN, CMD=4, READ x n, OUT (median)", e * 1000, "ms")
    B.line("poplib.POP3_SSL, same dovecot (median)", p * 1000, "ms")
    B.line("ratio emulator / poplib", e / p, "x")
    B.summary("mail", "POP3S RETR 50 KB", e * 1000, p * 1000, "ms")


if __name__ == "__main__":
    main()
