"""The POP3 test server rig: Debian's dovecot (dovecot-core + dovecot-pop3d) on
loopback with its own configuration, run as one foreground master process
(`dovecot -F -c <tmp>/dovecot.conf`).  The API is re-exported by mail.py:

    import sys; sys.path.insert(0, "<repo>/tests/servers")
    from mail import start_pop3, NOTE_SIZES

    with start_pop3() as pop:                  # the SSL note's mailbox, john / 123456
        pop.port, pop.tls_port                 # plain POP3 (STLS offered), POP3S
        pop.messages[0]                        # bytes RETR 1 delivers (CRLF, unstuffed)
        pop.uidls[0], pop.maildir, pop.log()

Everything lives in one temporary directory: dovecot.conf, base_dir (run/),
state_dir, the log (dovecot.log), the passwd-file, the DH parameters and the
users' homes with their Maildir.  /etc/dovecot, /var/run/dovecot and
/var/lib/dovecot are never read or written; OPENSSL_CONF=/dev/null for every
dovecot process.  Two free ports are found by binding port 0, written into the
configuration, and the start is retried with new ports if dovecot cannot bind
them.  Stopped (SIGTERM to the master, which takes its children down) on
.stop(), on context exit, at interpreter exit, and when the process that
started it dies (PR_SET_PDEATHSIG).

As root (tests and CI), dovecot's processes run as usual (login processes as
dovenull, internal ones as dovecot, both created by the package); the mail
user is nobody:nogroup (65534), because dovecot refuses mail access as UID 0,
and the Maildir belongs to it.  As another user every process runs as that
user (no chroot).

Mailboxes (every configured user gets the same one):
  "note" (default)  the SSL application note's examples 3.3/3.4:
                    2 messages, 11124 bytes (+POP3NUM: 1,2,11124), message 1
                    is 5556 bytes (+POP3LIST: 1,1,5556), message 2 5568
  "full"            those two, then
                    3: 51200 bytes of text (a ~50 KB message)
                    4: a small message whose body is dot lines: ".", "..",
                       "...", ".hidden", ". space", ending with a "." line
                    5: a message stored with bare LF line ends in the Maildir
                       (dovecot delivers it with CRLF; .messages has CRLF)
                    6: headers only, empty body
  messages=[bytes, ...]   your own (stored as given; .messages holds what
                    RETR delivers: every line end CRLF, a final CRLF added)
Every built-in message uses CRLF, ends with CRLF and has lines that start with
a dot (POP3 must dot-stuff them).  UIDL is the Maildir file's base name
(pop3_uidl_format = %f): "1700000001.M1P1000.mail.sim.com" for message 1.
"""
import atexit
import ctypes
import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from servers import pki

__all__ = ["start_pop3", "Pop3", "mailbox", "NOTE_SIZES", "DOVECOT", "POP3_USERS",
           "CLASSIC_CIPHERS", "TLS12_CIPHERS"]

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
CLASSIC_CIPHERS = "AES128-SHA:AES256-SHA:DES-CBC3-SHA:HIGH:!aNULL:@SECLEVEL=0"
TLS12_CIPHERS = "HIGH:!aNULL:!MD5"
POP3_USERS = {"john": "123456"}      # AT+POP3SRV="mail.sim.com","john","123456" (SSL note 3.3/3.4)
NOTE_SIZES = (5556, 5568)            # +POP3NUM: 1,2,11124 and +POP3LIST: 1,1,5556
MAIL_UID = MAIL_GID = 65534          # nobody:nogroup, the mail user when we are root
UIDL_BASE = 1700000000

# RFC 7919 ffdhe2048: DH parameters without the slow generation (DHE suites).
FFDHE2048 = """-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
"""


# --- mailbox contents ---------------------------------------------------------------------

def _headers(n, subject, extra=b""):
    return (b"Return-Path: <sender@sim.com>\r\n"
            b"From: \"SIM800 test sender\" <sender@sim.com>\r\n"
            b"To: john <john@sim.com>\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Date: Mon, 01 Jan 2024 08:%02d:00 +0000\r\n" % n +
            b"Message-ID: <sim800emu-%d@mail.sim.com>\r\n" % n +
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=us-ascii\r\n"
            b"Content-Transfer-Encoding: 7bit\r\n" + extra + b"\r\n")


def _filled(n, subject, size, lead):
    """Headers + lead lines + filler lines, exactly size bytes, CRLF throughout."""
    out = bytearray(_headers(n, subject) + lead)
    i = 0
    while size - len(out) > 130:
        out += (b"msg %d line %04d: the quick brown fox jumps over the lazy dog" % (n, i)).ljust(62, b"-") + b"\r\n"
        i += 1
    rem = size - len(out)
    assert rem >= 2, (n, size, rem)
    last = (b"msg %d last line, padded to the size: " % n).ljust(rem - 2, b"=")[: rem - 2]
    out += last + b"\r\n"
    assert len(out) == size
    return bytes(out)


# Four lines that start with a dot: on the wire each gets one more, so
# message 1 travels as 5556 + 4 bytes and its ".\r\n" end: 5563, the bytes
# the SSL note's example 3.3 reads (1460 + 1460 + 1460 + 1183).
DOT_LEAD = (b"This is a test message for the SIM800 emulator.\r\n"
            b".This line starts with a dot.\r\n"
            b"..And this one with two.\r\n"
            b".\r\n"
            b"The line above held a single dot; POP3 must send it as \"..\".\r\n"
            b". A dot and a space.\r\n"
            b"\r\n")


def _note_messages():
    return [_filled(1, b"Test message 1 (SSL note example 3.3)", NOTE_SIZES[0], DOT_LEAD),
            _filled(2, b"Test message 2", NOTE_SIZES[1], DOT_LEAD)]


def _full_extra():
    big = _filled(3, b"A 50 KB message", 51200, DOT_LEAD)
    dots = _headers(4, b"Dot lines") + (b".\r\n..\r\n...\r\n.hidden\r\n. space\r\n"
                                         b"text between\r\n.\r\n")
    lf = _headers(5, b"Stored with LF line ends").replace(b"\r\n", b"\n") + (
        b"This message is stored with bare LF line ends.\n"
        b".A dot line.\n"
        b"POP3 delivers every line with CRLF.\n")
    empty = _headers(6, b"Empty body")
    return [big, dots, lf, empty]


def mailbox(name="note"):
    """The messages of a built-in mailbox as they are stored ("note" or "full")."""
    if name == "note":
        return _note_messages()
    if name == "full":
        return _note_messages() + _full_extra()
    raise ValueError("unknown mailbox %r (note, full)" % name)


def delivered(stored):
    """What POP3 RETR delivers for a stored message (after dot-unstuffing):
    every line end CRLF, and a final CRLF if the message did not end with one."""
    data = re.sub(rb"\r?\n", b"\r\n", stored)
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def dot_stuff(data):
    """The bytes of a POP3 multi-line body on the wire, terminator included."""
    return re.sub(rb"(?m)^\.", b"..", data) + b".\r\n"


# --- process helpers ----------------------------------------------------------------------

_live = set()
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass


def _free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


CONF = """# generated by tests/servers/pop3.py -- nothing from /etc/dovecot is used
instance_name = {instance}
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
debug_log_path = {dir}/dovecot.log
import_environment = TZ OPENSSL_CONF=/dev/null
{users_conf}
protocols = pop3
listen = 127.0.0.1
shutdown_clients = yes
verbose_proctitle = yes

ssl = {ssl}
{ssl_conf}
disable_plaintext_auth = {disable_plaintext_auth}
auth_mechanisms = {auth_mechanisms}
auth_verbose = yes
auth_debug = {auth_debug}
auth_failure_delay = {auth_failure_delay}
auth_cache_size = 0

# %{{secured}} is "TLS" on a TLS connection and "secured" on a plain one from
# 127.0.0.1 to 127.0.0.1 (dovecot trusts same-IP peers, so disable_plaintext_auth
# alone never bites on loopback): passwd.secured is empty when plaintext
# logins are refused.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd.%{{secured}}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/passwd
}}
mail_location = maildir:~/Maildir
mail_fsync = never
first_valid_uid = 1
pop3_uidl_format = %f
pop3_no_flag_updates = yes
login_greeting = {greeting}

protocol pop3 {{
  mail_max_userip_connections = 50
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
{login_extra}}}
# no auth penalty (anvil delays logins from an IP after failures, up to 15 s)
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
{anvil_extra}}}
{service_extra}
"""


class Pop3:
    """A running dovecot POP3 server.  See the module docstring and start_pop3()."""

    host = "127.0.0.1"

    def __init__(self, users=None, mailbox_name="note", messages=None, cert_name="mail.sim.com",
                 stls=True, tls12_only=False, ciphers=None, plaintext_auth=True,
                 auth_mechanisms="plain login", auth_failure_delay=0,
                 greeting="Dovecot ready.", auth_debug=False, start_timeout=10.0, keep_dir=False):
        self.proc = None
        self.keep_dir = keep_dir
        self.users = dict(users or POP3_USERS)
        if not self.users:
            raise ValueError("start_pop3 needs at least one user")
        self.user, self.password = next(iter(self.users.items()))
        self.cert_name = cert_name
        self.stls = bool(stls)
        self.tls12_only = tls12_only
        self.plaintext_auth = plaintext_auth
        self.mailbox_name = "custom" if messages is not None else mailbox_name
        self.stored = [bytes(m) for m in messages] if messages is not None else mailbox(mailbox_name)
        self.messages = [delivered(m) for m in self.stored]
        self.sizes = [len(m) for m in self.messages]
        self.uidls = ["%d.M%dP1000.mail.sim.com" % (UIDL_BASE + i, i) for i in range(1, len(self.stored) + 1)]
        self.dir = Path(tempfile.mkdtemp(prefix="sim800emu-pop3-"))
        self.instance = "sim800emu-pop3-" + secrets.token_hex(4)
        try:
            self._start(ciphers, auth_mechanisms, auth_failure_delay, greeting, auth_debug, start_timeout)
        except BaseException:
            self.stop()
            raise
        _live.add(self)

    # --- files ------------------------------------------------------------------------------
    def _mail_owner(self):
        if os.geteuid() == 0:
            return MAIL_UID, MAIL_GID
        return os.getuid(), os.getgid()

    def maildir_of(self, user):
        return self.dir / "home" / user / "Maildir"

    @property
    def maildir(self):
        return self.maildir_of(self.user)

    def _write_mailboxes(self):
        uid, gid = self._mail_owner()
        for user in self.users:
            home = self.dir / "home" / user
            md = home / "Maildir"
            if home.exists():
                shutil.rmtree(home)
            for sub in ("cur", "new", "tmp"):
                (md / sub).mkdir(parents=True)
            for i, data in enumerate(self.stored, 1):
                p = md / "cur" / (self.uidls[i - 1] + ":2,")
                p.write_bytes(data)
                t = UIDL_BASE + i
                os.utime(p, (t, t))
            for root, dirs, files in os.walk(home):
                os.chown(root, uid, gid)
                for f in files:
                    os.chown(os.path.join(root, f), uid, gid)

    def reset(self):
        """Put every user's Maildir back as it was at the start (after DELEs);
        sessions open at that moment see a changed mailbox: close them first."""
        self._write_mailboxes()

    def maildir_files(self, user=None):
        """Names of the messages now in the user's Maildir (cur/ and new/)."""
        md = self.maildir_of(user or self.user)
        return sorted(p.name for sub in ("cur", "new") for p in (md / sub).iterdir())

    def _start(self, ciphers, auth_mechanisms, auth_failure_delay, greeting, auth_debug, start_timeout):
        d = self.dir
        os.chmod(d, 0o711)  # the mail user (nobody) walks through to its home
        for sub in ("run", "state", "home"):
            (d / sub).mkdir()
        os.chmod(d / "home", 0o755)
        self._write_mailboxes()
        uid, gid = self._mail_owner()
        lines = "".join("%s:{PLAIN}%s:%d:%d::%s::\n" % (u, p, uid, gid, d / "home" / u)
                        for u, p in self.users.items())
        (d / "passwd").write_text(lines)               # userdb
        (d / "passwd.TLS").write_text(lines)           # passdb on TLS connections
        (d / "passwd.secured").write_text(lines if self.plaintext_auth else "")  # plain, loopback
        (d / "passwd.").write_text(lines if self.plaintext_auth else "")         # plain, not local
        for f in ("passwd", "passwd.TLS", "passwd.secured", "passwd."):
            os.chmod(d / f, 0o644)
        self.conf_path = d / "dovecot.conf"
        self.log_path = d / "dovecot.log"

        certs = pki()
        self.cert = certs / (self.cert_name + ".crt")
        self.key = certs / (self.cert_name + ".key")
        if not self.cert.exists():
            raise FileNotFoundError("no certificate %s" % self.cert)
        (d / "dh.pem").write_text(FFDHE2048)
        self.protocol_min = "TLSv1.2" if self.tls12_only else "TLSv1"
        self.ciphers = ciphers or (TLS12_CIPHERS if self.tls12_only else CLASSIC_CIPHERS)
        if self.stls:
            ssl_conf = ("ssl_cert = <{cert}\nssl_key = <{key}\nssl_dh = <{dir}/dh.pem\n"
                        "ssl_min_protocol = {minp}\nssl_cipher_list = {ciphers}\n"
                        "ssl_prefer_server_ciphers = no\nverbose_ssl = yes\n").format(
                            cert=self.cert, key=self.key, dir=d, minp=self.protocol_min, ciphers=self.ciphers)
        else:
            ssl_conf = "# ssl = no: STLS is not offered, and there is no POP3S listener\n"

        if os.geteuid() == 0:
            users_conf = "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
            login_extra = service_extra = anvil_extra = ""
        else:
            me = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
            users_conf = ("default_internal_user = %s\ndefault_login_user = %s\n"
                          "default_internal_group = %s\n" % (me, me, group))
            login_extra = anvil_extra = "  chroot =\n"
            service_extra = ""

        deadline = time.monotonic() + start_timeout
        last = ""
        for attempt in range(8):
            self.port, tls_port = _free_ports(2)
            self.tls_port = tls_port if self.stls else None
            conf = CONF.format(
                instance=self.instance, dir=d, users_conf=users_conf,
                ssl="yes" if self.stls else "no", ssl_conf=ssl_conf,
                disable_plaintext_auth="no" if self.plaintext_auth else "yes",
                auth_mechanisms=auth_mechanisms, auth_debug="yes" if auth_debug else "no",
                auth_failure_delay="%s secs" % auth_failure_delay, greeting=greeting,
                port=self.port, tls_port=tls_port, login_extra=login_extra,
                service_extra=service_extra, anvil_extra=anvil_extra)
            if not self.stls:  # a listener with ssl = yes needs ssl != no
                conf = re.sub(r"  inet_listener pop3s \{.*?\n  \}\n", "", conf, flags=re.S)
            self.conf_path.write_text(conf)
            if self.log_path.exists():
                self.log_path.unlink()
            self._stderr = open(d / "dovecot.stderr", "wb")
            self.proc = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.conf_path)],
                stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr, close_fds=True,
                env=dict(os.environ, OPENSSL_CONF="/dev/null"), preexec_fn=_die_with_parent)
            self.pid = self.proc.pid
            if self._wait_ready(deadline):
                return
            last = self.log() + (d / "dovecot.stderr").read_text(errors="replace")
            self._kill()
            if "Address already in use" not in last or time.monotonic() > deadline:
                break
        raise RuntimeError("dovecot did not start:\n%s\nconfig: %s" % (last, self.conf_path))

    def _wait_ready(self, deadline):
        """True once the master has logged its start (it binds every listener
        before that, and exits if one fails) and the plain port greets us."""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if "starting up" in self.log():
                try:
                    with socket.create_connection((self.host, self.port), 0.5) as s:
                        s.settimeout(2.0)
                        if s.recv(512).startswith(b"+OK"):
                            s.sendall(b"QUIT\r\n")
                            return self.proc.poll() is None
                except OSError:
                    pass
            time.sleep(0.02)
        return False

    # --- logs ---------------------------------------------------------------------------------
    def log(self):
        """dovecot's log so far (every process writes to one file)."""
        p = self.log_path
        return p.read_text(errors="replace") if p.exists() else ""

    def wait_log(self, pattern, timeout=5.0):
        """Wait until a log line matches regex pattern; returns the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log().splitlines():
                m = rx.search(line)
                if m:
                    return m
            if time.monotonic() > deadline:
                raise TimeoutError("no dovecot log line matching %r in:\n%s" % (pattern, self.log()))
            time.sleep(0.02)

    @property
    def addr(self):
        return (self.host, self.port)

    @property
    def tls_addr(self):
        return (self.host, self.tls_port)

    def children(self):
        """pids of the master's child processes (for leak checks)."""
        out = []
        for p in Path("/proc").iterdir():
            if p.name.isdigit():
                try:
                    stat = (p / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.pid:
                    out.append(int(p.name))
        return out

    # --- stop ---------------------------------------------------------------------------------
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _kill(self, timeout=5.0):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # SIGTERM to the master alone takes it 1.1 s (it waits for its log
            # process); to every process at once, about 0.1 s.
            kids = self.children()
            self.proc.terminate()
            for pid in kids:
                try:
                    os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        try:
            self._stderr.close()
        except Exception:
            pass

    def stop(self):
        try:
            self._kill()
        finally:
            _live.discard(self)
            if not self.keep_dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def __repr__(self):
        return "<dovecot pop3=%s pop3s=%s %s>" % (getattr(self, "port", None),
                                                  getattr(self, "tls_port", None), self.mailbox_name)


def start_pop3(users=None, mailbox="note", messages=None, cert_name="mail.sim.com", stls=True,
               tls12_only=False, ciphers=None, plaintext_auth=True, auth_mechanisms="plain login",
               auth_failure_delay=0, greeting="Dovecot ready.", auth_debug=False,
               start_timeout=10.0, keep_dir=False):
    """Start dovecot's POP3; returns a Pop3 (a context manager).

    users          {name: password}; default {"john": "123456"} (the SSL note's
                   AT+POP3SRV="mail.sim.com","john","123456"); every user gets
                   the same mailbox
    mailbox        "note" (default: 2 messages, 5556 + 5568 = 11124 bytes) or
                   "full" (those + 50 KB, dot lines, LF-stored, empty body)
    messages       [bytes, ...] instead of a built-in mailbox
    cert_name      <pki>/<cert_name>.crt/.key for STLS and POP3S ("mail.sim.com")
    stls           False: ssl = no -- no STLS in CAPA (STLS answers -ERR) and no
                   POP3S port (tls_port is None)
    tls12_only     TLSv1.2+ with HIGH:!aNULL:!MD5 instead of TLSv1..1.3 with
                   AES128-SHA/AES256-SHA at @SECLEVEL=0
    ciphers        ssl_cipher_list verbatim
    plaintext_auth False: USER/PASS and AUTH PLAIN/LOGIN fail ("-ERR [AUTH]
                   Authentication failed.") on a connection without TLS
    auth_mechanisms  dovecot's list ("plain login"; "cram-md5", "apop" work too)
    auth_failure_delay  seconds before a failed login is answered (dovecot: 2)
    greeting       login_greeting ("+OK <greeting>")
    keep_dir       leave the temporary directory (log, Maildir) behind

    Attributes: host, port (plain, STLS offered), tls_port (POP3S), addr,
    tls_addr, user, password (the first user), users, messages (bytes RETR
    delivers, dot-unstuffed, CRLF), stored (bytes in the Maildir), sizes
    (LIST), uidls (UIDL), maildir (Path, the first user's), dir, conf_path,
    log_path, cert, key, ciphers, protocol_min, proc, pid.  Methods: log(),
    wait_log(regex), maildir_of(user), maildir_files(user), reset(),
    children(), alive(), stop()."""
    return Pop3(users, mailbox, messages, cert_name, stls, tls12_only, ciphers, plaintext_auth,
                auth_mechanisms, auth_failure_delay, greeting, auth_debug, start_timeout, keep_dir)


@atexit.register
def _stop_all():
    for p in list(_live):
        try:
            p.stop()
        except Exception:
            pass
