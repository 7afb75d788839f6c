"""The mail test server rigs: SMTP (smtp_server.py, on Debian's python3-aiosmtpd)
and POP3 (pop3.py, Debian's dovecot), both on 127.0.0.1 with the test PKI.

    import sys; sys.path.insert(0, "<repo>/tests/servers")
    from mail import start_smtp, start_pop3

    with start_smtp(mode="starttls") as smtp:        # users account/password, john/123456
        ...send to 127.0.0.1:smtp.port...
        m = smtp.wait_message()                      # the next message recorded
        m["mail_from"], m["rcpt_tos"], m["tls_version"], m["auth"], m.data
    with start_smtp(mode="smtps", tls12_only=True) as smtps: ...
    with start_pop3() as pop:                        # john/123456, the SSL note's mailbox
        pop.port, pop.tls_port, pop.messages, pop.uidls

The SSL application note's mail examples (SIM800 SSL Application Note V1.00 examples 3.1–3.4) run against
these unchanged once the emulator maps the host names to the ports:
  3.1  AT+EMAILSSL=2, SMTP.GMAIL.COM:25  -> start_smtp(mode="starttls")   (cert smtp.gmail.com)
  3.2  AT+EMAILSSL=1, SMTP.GMAIL.COM:465 -> start_smtp(mode="smtps")
       both log in as account/password and send from account@GMAIL.COM to
       john@sim.com the 19-byte body "This is a new Email"
  3.3  AT+EMAILSSL=2, mail.sim.com:110   -> start_pop3().port      (cert mail.sim.com)
  3.4  AT+EMAILSSL=1, mail.sim.com:995   -> start_pop3().tls_port
       john/123456; 2 messages, 11124 bytes; message 1 is 5556 bytes
The Email application note's plain example (mail.sim.com:25,
AT+SMTPAUTH=1,"john","123456") works with start_smtp(mode="plain" or
"starttls", cert_name="mail.sim.com").

SMTP modes (start_smtp(mode=...)):
  "starttls"           plain SMTP, STARTTLS offered, not required (default)
  "starttls-required"  plain SMTP, STARTTLS offered; MAIL/AUTH/... before it
                       get "530 Must issue a STARTTLS command first"
  "plain"              plain SMTP, STARTTLS not offered (EHLO has no STARTTLS;
                       the command, sent anyway, answers "454 TLS not available")
  "smtps"              implicit TLS (port 465 style)
TLS is TLSv1..1.3 with AES128-SHA/AES256-SHA at @SECLEVEL=0 (what a SIM800
offers) unless tls12_only=True (TLSv1.2+: a TLS 1.0 ClientHello gets a
protocol_version alert).  AUTH PLAIN and LOGIN are offered (CRAM-MD5 too with
auth_mechanisms=("PLAIN", "LOGIN", "CRAM-MD5")), on plain connections as well
unless auth_require_tls=True; auth_required=True refuses MAIL without AUTH
("530 5.7.0 Authentication required").

Every accepted DATA is recorded (smtp_server.py's docstring lists the fields):
smtp.messages() -> [Message], each a dict with seq, session, helo, esmtp, tls,
tls_version, cipher, starttls, implicit_tls, auth ({mechanism, user} or
None), mail_from, mail_options, rcpt_tos, rcpt_options, data_len,
data_sha256, status, accepted; Message.data is the content exactly as
received (dot-unstuffed, CRLF as sent, without the final ".\\r\\n"),
Message.wire the exact bytes after the 354 reply (dot-stuffed, terminator
included), Message.email() an email.message.EmailMessage.  smtp.sessions()
lists every closed connection with its auth attempts, full transcript and
tls_error (a failed TLS handshake, also on smtps before any SMTP).
"""
import email
import email.policy
import json
import shutil
import tempfile
import time
from pathlib import Path

from servers import HERE, PYTHON, Server, pki
from pop3 import (CLASSIC_CIPHERS, NOTE_SIZES, POP3_USERS, TLS12_CIPHERS, Pop3, delivered,  # noqa: F401
                  dot_stuff, mailbox, start_pop3)

__all__ = ["start_smtp", "Smtp", "Message", "SMTP_MODES", "SMTP_USERS", "start_pop3", "Pop3",
           "POP3_USERS", "NOTE_SIZES", "mailbox", "delivered", "dot_stuff",
           "CLASSIC_CIPHERS", "TLS12_CIPHERS"]

SMTP_MODES = ("starttls", "starttls-required", "plain", "smtps")
# SIM800 SSL Application Note V1.00 examples 3.1/3.2: AT+SMTPAUTH=1,"account","password"; SIMCom's Email Application Note: "john","123456"
SMTP_USERS = {"account": "password", "john": "123456"}


class Message(dict):
    """One recorded message (a dict, see the module docstring)."""

    @property
    def data(self):
        return Path(self["data_file"]).read_bytes()

    @property
    def wire(self):
        return Path(self["wire_file"]).read_bytes()

    def email(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)

    def header(self, name, default=None):
        v = self.email()[name]
        return default if v is None else str(v)


class Smtp:
    """A running smtp_server.py.  See the module docstring and start_smtp()."""

    host = "127.0.0.1"

    def __init__(self, mode="starttls", cert_name="smtp.gmail.com", users=None, auth_required=False,
                 auth_mechanisms=("PLAIN", "LOGIN"), auth_require_tls=False, tls12_only=False,
                 ciphers=None, hostname=None, reject_rcpt=(), data_status=None, greeting_delay=0.0,
                 max_line=None, timeout=300.0, start_timeout=10.0, keep_dir=False):
        if mode not in SMTP_MODES:
            raise ValueError("mode %r: one of %s" % (mode, ", ".join(SMTP_MODES)))
        self.mode = mode
        self.server = None
        self.keep_dir = keep_dir
        self.users = dict(SMTP_USERS if users is None else users)
        self.user, self.password = next(iter(self.users.items()), (None, None))
        self.tls = mode == "smtps"
        self.starttls = mode in ("starttls", "starttls-required")
        self.tls12_only = tls12_only
        self.cert_name = cert_name
        self.hostname = hostname or cert_name or "smtp.sim800emu.test"
        self.dir = Path(tempfile.mkdtemp(prefix="sim800emu-smtp-"))
        self.records_dir = self.dir / "records"
        self._seen = 0
        argv = [PYTHON, str(HERE / "smtp_server.py"), "--mode", mode, "--record-dir", str(self.records_dir),
                "--hostname", self.hostname, "--auth-mechanisms", ",".join(auth_mechanisms),
                "--timeout", str(timeout), "--verbose"]
        self.cert = self.key = None
        if mode != "plain":
            certs = pki()
            self.cert = certs / (cert_name + ".crt")
            self.key = certs / (cert_name + ".key")
            if not self.cert.exists():
                raise FileNotFoundError("no certificate %s" % self.cert)
            argv += ["--cert", str(self.cert), "--key", str(self.key)]
        for u, p in self.users.items():
            argv += ["--user", "%s:%s" % (u, p)]
        if auth_required:
            argv.append("--auth-required")
        if auth_require_tls:
            argv.append("--auth-require-tls")
        if tls12_only:
            argv.append("--tls12-only")
        if ciphers:
            argv += ["--ciphers", ciphers]
        for a in reject_rcpt:
            argv += ["--reject-rcpt", a]
        if data_status:
            argv += ["--data-status", data_status]
        if greeting_delay:
            argv += ["--greeting-delay", str(greeting_delay)]
        if max_line:
            argv += ["--max-line", str(max_line)]
        self.argv = argv
        try:
            self.server = Server(argv, "smtp_server", start_timeout)
        except BaseException:
            self.stop()
            raise
        self.port = self.server.port
        self.proc = self.server.proc
        self.pid = self.proc.pid

    @property
    def addr(self):
        return (self.host, self.port)

    # --- records ------------------------------------------------------------------------------
    def messages(self):
        """Every message recorded so far, in order (.json is written last)."""
        if not self.records_dir.exists():
            return []
        return [Message(json.loads(p.read_text())) for p in sorted(self.records_dir.glob("*.json"))]

    def wait_message(self, timeout=5.0, n=None):
        """The n-th message (1-based) once it is recorded; n=None: the one after
        the last that wait_message returned (so successive calls walk the messages)."""
        want = n or self._seen + 1
        deadline = time.monotonic() + timeout
        while True:
            got = self.messages()
            if len(got) >= want:
                self._seen = max(self._seen, want)
                return got[want - 1]
            if time.monotonic() > deadline or not self.alive():
                raise TimeoutError("smtp: message %d not recorded (%d so far)\n%s" % (want, len(got), self.log()))
            time.sleep(0.02)

    def sessions(self):
        """Every closed connection: id, peer, tls, tls_version, cipher, starttls,
        implicit_tls, helo, auth_attempts, auth, messages, tls_error, transcript."""
        p = self.records_dir / "sessions.jsonl"
        if not p.exists():
            return []
        return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]

    def wait_session(self, n=1, timeout=5.0):
        """The n-th closed session (1-based), once its connection has closed."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.sessions()
            if len(got) >= n:
                return got[n - 1]
            if time.monotonic() > deadline:
                raise TimeoutError("smtp: session %d not closed (%d so far)" % (n, len(got)))
            time.sleep(0.02)

    def log(self):
        return self.server.log() if self.server else ""

    def wait_log(self, pattern, timeout=5.0):
        return self.server.wait_log(pattern, timeout)

    # --- stop ---------------------------------------------------------------------------------
    def alive(self):
        return self.server is not None and self.server.alive()

    def stop(self):
        try:
            if self.server is not None:
                self.server.stop()
        finally:
            if not self.keep_dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def __repr__(self):
        return "<smtp %s %s:%s>" % (self.mode, self.host, getattr(self, "port", None))


def start_smtp(mode="starttls", cert_name="smtp.gmail.com", users=None, auth_required=False,
               auth_mechanisms=("PLAIN", "LOGIN"), auth_require_tls=False, tls12_only=False,
               ciphers=None, hostname=None, reject_rcpt=(), data_status=None, greeting_delay=0.0,
               max_line=None, timeout=300.0, start_timeout=10.0, keep_dir=False):
    """Start smtp_server.py; returns an Smtp (a context manager).

    mode           "starttls" (default), "starttls-required", "plain" (no
                   STARTTLS offered), "smtps" (implicit TLS)
    cert_name      <pki>/<cert_name>.crt/.key ("smtp.gmail.com"; "mail.sim.com")
    users          {name: password}; default SMTP_USERS = account/password
                   (SSL note 3.1/3.2) and john/123456 (Email note); .user and
                   .password are the first
    auth_required  MAIL before a successful AUTH -> 530 (SIM800: +SMTPSEND: 66)
    auth_mechanisms  any of "PLAIN", "LOGIN", "CRAM-MD5"
    auth_require_tls AUTH only after STARTTLS / on smtps (plain: 538)
    tls12_only     TLSv1.2+, HIGH:!aNULL:!MD5
    ciphers        the server's cipher string verbatim
    hostname       the name in the 220 greeting and EHLO reply (default cert_name)
    reject_rcpt    addresses answered "550 5.1.1 ... User unknown" (SIM800: 68)
    data_status    reply to the end of DATA instead of "250 OK: queued as N"
                   (e.g. "554 5.6.0 Message rejected"; the message is still
                   recorded, with accepted False)
    greeting_delay seconds before the 220 greeting
    max_line       longest line accepted (aiosmtpd: 1001 bytes with CRLF;
                   longer DATA lines -> "500 Line too long")
    timeout        idle seconds before the server closes a connection
    keep_dir       leave the temporary directory (records) behind

    Attributes: host, port, addr, mode, tls (implicit), starttls (offered),
    tls12_only, users, user, password, cert, key, hostname, dir, records_dir,
    proc, pid, argv.  Methods: messages(), wait_message(timeout, n),
    sessions(), wait_session(n, timeout), log(), wait_log(regex), alive(),
    stop()."""
    return Smtp(mode, cert_name, users, auth_required, auth_mechanisms, auth_require_tls, tls12_only,
                ciphers, hostname, reject_rcpt, data_status, greeting_delay, max_line, timeout,
                start_timeout, keep_dir)
