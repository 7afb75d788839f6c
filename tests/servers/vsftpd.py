"""The FTP(S) test server rig: Debian's vsftpd on loopback with the test PKI, plus a
small misbehaving Python FTP server (ftp_faulty.py) for what vsftpd cannot do.

    import sys; sys.path.insert(0, "<repo>/tests/servers")
    from vsftpd import start_vsftpd, start_ftp_faulty, start_fault, FILES, expected

    with start_vsftpd() as ftp:                       # mode="plain"
        ftp.host, ftp.port, ftp.root, ftp.user, ftp.password
        ftp.commands()                                # what clients sent, in order
    with start_vsftpd("explicit") as ftps: ...        # AUTH TLS on the plain port
    with start_vsftpd("implicit", tls12_only=True) as ftps: ...
    with start_fault("drop-data") as bad: ...         # see FAULTS

Modes (one instance serves one mode; start several, they share nothing):
  plain     no TLS at all: AUTH TLS is answered "530 Please login with USER and
            PASS." (a server without TLS: what the SIM800 maps to code 82)
  explicit  plain "220", AUTH TLS -> "234", TLS handshake, then USER/PASS ...
  implicit  TLS from the first byte (implicit_ssl=YES) on .port

Credentials: the SIM800 notes' own example account, user "sim.cs1" with the
password "******" (six asterisks, literally what their transcripts send), unless
user=/password= say otherwise.  Wrong passwords (the IP note's 3.12 uses
"3214567") get "530 Login incorrect." (delay_failed_login=0 unless given, so
failures are immediate).

How the account works (vsftpd must run as root; it refuses otherwise):
  * a *virtual* user: vsftpd asks PAM, through a PAM service file
    /etc/pam.d/sim800emu-vsftpd-<token> written at start and removed at stop
    (pam_userdb.so against <dir>/users.db, a Berkeley DB made with Python's
    dbm.ndbm).  No system user or password is created; the service file is the
    only thing written outside the temporary directory, and a start removes
    any such file whose instance directory no longer exists (left by a
    SIGKILLed run).
  * virtual users act as the system user guest_username: "ftp" (made by
    Debian's vsftpd package), else "nobody"; the tree belongs to it, so
    uploads, DELE, MKD and RMD work everywhere below "/".
  * the user is chrooted (allow_writeable_chroot=YES) to .root, a directory
    holding the fixture tree; the client's "/" is .root.

The tree (FILES; expected(name) gives the bytes without a server):
  /1K.txt              1074 bytes of ASCII digits "0123456789" repeated, no
                       newline: the file of the SSL note's FTPS examples 3.6/3.7
                       (path "/"; they read 50 + 1024 bytes, so 1074, as in
                       our FTP transcripts -- the IP note's SIZE example 3.17
                       says 1024, which its own GET examples contradict); the
                       IP note's FTP examples (3.9 ... 3.25) use it too.  The
                       "50 now, 0, then 1024" pacing is a server's: start_fault
                       ("pause-data") sends 50 bytes, pauses, sends the rest
  /test.txt            174125 bytes of ASCII text lines: the IP note's file for
                       FTPGETTOFS / FTPEXTGET (3.21, 3.23)
  /rest.txt            "wodeceshijieguo,zhgeshigeshia" (29 bytes): the IP note's
                       REST example 3.15 (REST 20 leaves "shigeshia")
  /1M.bin              1 MiB (1048576 bytes) payload(1048576, "1M.bin")
  /lf.txt              a short ASCII text with LF line endings
  /empty.bin           0 bytes
  /dir/sub/nested.txt  "nested file\\n" (two levels down)
  /upload/             empty, writable (so is "/" itself: the notes upload
                       1K.txt/test.txt to "/" and MKD "/test" there)
  files={name: int size | bytes | str} adds or replaces files (int -> payload).

TLS (explicit, implicit): <pki>/<cert_name>.crt (leaf + intermediate) and .key,
default "tls.example.test" (SAN: tls.example.test, 116.228.221.51/.52, the notes'
FTP server address).  Classic offer: TLS 1.0 .. 1.3 with nginx.CLASSIC_CIPHERS
(AES128-SHA and AES256-SHA need @SECLEVEL=0 under OpenSSL 3).  tls12_only=True:
ssl_tlsv1=NO and "HIGH:!aNULL:!MD5" (security level 1 also refuses TLS 1.1),
so a TLS 1.0 ClientHello gets a protocol_version alert (a client offering
1.0..1.1 gets internal_error: vsftpd 3.0.3 has no switch for TLS 1.1, and the
security level, not the version range, refuses it).  vsftpd's defaults are
kept where real servers behave like them:
  require_ssl_reuse=True     a PROT P data connection must resume the control
                             connection's TLS session, else "522 SSL connection
                             failed: session reuse required" -- and vsftpd then
                             closes the control connection too
  force_tls_login=True       USER before AUTH TLS: "530 Non-anonymous sessions
                             must use encryption." (the TLS-only server)
  force_prot_p=True          a transfer without PROT P: "522 Data connections must
                             be encrypted."
  strict_ssl_read_eof=True   a TLS upload must end with the client's close_notify,
                             else "426 Failure reading network stream." (the
                             bytes are kept; the log says "FAIL UPLOAD")
(A download whose client closes without close_notify still ends in "226".)
request_cert=False keeps vsftpd from asking clients for a certificate (its own
default, ssl_request_cert=YES, asks, and accepts none).

Data connections: pasv=True (PASV/EPSV on a private range of 16 loopback ports,
pasv_min_port..pasv_max_port in .pasv_ports) and active=True (PORT/EPRT; vsftpd
connects back from an ephemeral port, connect_from_port_20=NO, and only to the
client's own address, port_promiscuous=NO).  pasv=False / active=False make
PASV / PORT answer "550 Permission denied.".  pasv_address="116.228.221.52"
makes the 227 reply name that address instead of 127.0.0.1.

Logs: vsftpd's own log (<dir>/vsftpd.log: log_ftp_protocol=YES, debug_ssl=YES)
holds every command ("FTP command: ..."), every reply ("FTP response: ..."),
each TLS handshake ("SSL version: ..., SSL cipher: ..., reused|not reused")
and each transfer ("OK DOWNLOAD: ..., 1074 bytes"); <dir>/xferlog has the
wu-ftpd style transfer log.  .log() is vsftpd.log from after the start-up
probe; .wait_log(regex), .commands(), .replies(), .tls_handshakes(),
.transfers(), .xferlog() read it.  Caveat: vsftpd's "SSL version" is the
cipher's protocol (SSL_CIPHER_get_version), not the negotiated one: TLS 1.0
with AES128-SHA is logged as "SSLv3"; use tls12_only to test versions.

Processes: vsftpd runs in the foreground (background=NO) in a process group
of its own; each client gets forked session processes.  .stop() (also on
context exit and at interpreter exit) SIGTERMs the whole group (SIGKILL after
3 s), removes the PAM service file and the temporary directory.  The listener
also gets SIGTERM from the kernel when the process that started it dies
(PR_SET_PDEATHSIG), and vsftpd's session processes die with their parent.
seccomp_sandbox, isolate and isolate_network are off (containers; glibc).
OPENSSL_CONF=/dev/null keeps the system OpenSSL policy out.  (vsftpd does
read the file OPENSSL_CONF names, but ignores its [system_default] section --
even an invalid MinProtocol goes unnoticed -- so TLS versions can only be set
through vsftpd's own options.)

The Python fault server (ftp_faulty.py, see its docstring) serves the same
tree with the same account: start_ftp_faulty(faults, mode, ...) or, by name,
start_fault(kind) with kind in FAULTS:
  drop-data     (ftp_faulty, plain) RETR/STOR data connection closed
                mid-transfer (FIN), then "426"
  reset-data    (ftp_faulty, plain) same with a TCP RST
  refuse-auth   (ftp_faulty, explicit) AUTH TLS -> "534"
  refuse-pbsz   (ftp_faulty, explicit) PBSZ 0 -> "501"
  refuse-prot   (ftp_faulty, explicit) PROT P -> "536"
  pause-data    (ftp_faulty, plain) RETR sends 50 bytes, pauses 1 s, sends the rest
  no-tls        (vsftpd, plain) AUTH TLS -> "530" (no TLS support at all)
  tls-only      (vsftpd, explicit) plain USER -> "530 Non-anonymous sessions
                must use encryption."
  tls12-only    (vsftpd, explicit, tls12_only=True) TLS 1.0 refused
  no-pasv       (vsftpd, plain, pasv=False) PASV -> "550"
  no-port       (vsftpd, plain, active=False) PORT -> "550"
  no-reuse      (vsftpd, explicit, require_ssl_reuse=False) data TLS without
                session resumption accepted
Keyword arguments of start_fault override the kind's (e.g. mode="implicit").

Client helpers for the self-tests and for tests that want a reference client:
client_context(), ReuseFTP_TLS (resumes the control session on data
connections, like the emulator must), ImplicitFTP_TLS, connect(server, ...).
"""

import atexit
import collections
import ctypes
import ftplib
import hashlib
import inspect
import os
import pwd
import random
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

from servers import HERE, PYTHON, Server, payload, pki

__all__ = ["start_vsftpd", "Vsftpd", "start_ftp_faulty", "FaultyFtp", "start_fault", "FAULTS",
           "FILES", "expected", "sha256_of", "build_tree", "SEED_USER", "SEED_PASSWORD",
           "CLASSIC_CIPHERS", "TLS12_CIPHERS", "VSFTPD", "client_context", "ReuseFTP_TLS",
           "ImplicitFTP_TLS", "connect", "TlsEvent"]

VSFTPD = shutil.which("vsftpd") or "/usr/sbin/vsftpd"
PAM_DIR = Path("/etc/pam.d")
PAM_PREFIX = "sim800emu-vsftpd-"
MODES = ("plain", "explicit", "implicit")

# Same strings as nginx.py (kept here so importing this module starts nothing else).
CLASSIC_CIPHERS = "AES128-SHA:AES256-SHA:DES-CBC3-SHA:HIGH:!aNULL:@SECLEVEL=0"
TLS12_CIPHERS = "HIGH:!aNULL:!MD5"

SEED_USER = "sim.cs1"
SEED_PASSWORD = "******"

# --- the fixture tree -----------------------------------------------------------------------

DIRS = ("upload", "dir", "dir/sub")


def _digits(n):
    return (b"0123456789" * (n // 10 + 1))[:n]


def _text_lines(n, name):
    out, i = [], 0
    size = 0
    while size < n:
        line = ("%s line %06d the quick brown fox jumps over the lazy dog\n" % (name, i)).encode()
        out.append(line)
        size += len(line)
        i += 1
    return b"".join(out)[:n]


_MAKERS = {
    "1K.txt": lambda: _digits(1074),
    "test.txt": lambda: _text_lines(174125, "test.txt"),
    "rest.txt": lambda: b"wodeceshijieguo,zhgeshigeshia",
    "1M.bin": lambda: payload(1 << 20, "1M.bin"),
    "lf.txt": lambda: b"".join(b"line %d: plain ASCII, LF line endings\n" % i for i in range(1, 6)),
    "empty.bin": lambda: b"",
    "dir/sub/nested.txt": lambda: b"nested file\n",
}
_cache = {}


def expected(name):
    """The bytes of a built-in file of the tree (FILES), without a server."""
    if name not in _cache:
        _cache[name] = _MAKERS[name]()
    return _cache[name]


# name -> size of every built-in file; the content is expected(name)
FILES = {name: len(expected(name)) for name in _MAKERS}


def sha256_of(name):
    return hashlib.sha256(expected(name)).hexdigest()


def _content(name, content):
    if isinstance(content, int):
        return payload(content, name)
    if isinstance(content, str):
        return content.encode()
    return bytes(content)


def build_tree(root, files=None, owner=None):
    """Write the fixture tree (FILES, DIRS, plus files) under root; chown it all
    to owner=(uid, gid) when given.  Returns root as a Path."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for d in DIRS:
        (root / d).mkdir(parents=True, exist_ok=True)
    items = [(n, expected(n)) for n in FILES]
    items += [(n, _content(n, c)) for n, c in (files or {}).items()]
    for name, data in items:
        p = root / name.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
        if owner is not None:
            os.chown(dirpath, *owner)
            for f in filenames:
                os.chown(os.path.join(dirpath, f), *owner)
    return root


# --- process helpers ------------------------------------------------------------------------

_live = set()
_PR_SET_PDEATHSIG = 1


def _child_setup():
    # Between fork and exec: SIGTERM when the parent dies.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass


def _free_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _port_busy(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def _pasv_range(n=16, lo=10000, hi=32767):
    """n consecutive loopback ports below the ephemeral range that are free now."""
    for _ in range(200):
        base = random.randrange(lo, hi - n)
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base, base + n - 1
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free range of %d ports" % n)


def _group_alive(pgid):
    """True while a process of group pgid runs (zombies nobody reaps do not count)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                return True
    return False


def _guest_user():
    for name in ("ftp", "nobody"):
        try:
            pw = pwd.getpwnam(name)
            return name, pw.pw_uid, pw.pw_gid
        except KeyError:
            pass
    raise RuntimeError("no 'ftp' or 'nobody' user for vsftpd's virtual users")


def _clean_stale_pam_files():
    for p in PAM_DIR.glob(PAM_PREFIX + "*"):
        try:
            first = p.read_text().splitlines()[0]
        except (OSError, IndexError):
            continue
        m = re.match(r"# sim800emu vsftpd rig: dir=(\S+)", first)
        if m and not Path(m.group(1)).exists():
            try:
                p.unlink()
            except OSError:
                pass


# --- log parsing shared by both servers ------------------------------------------------------

# One TLS handshake: channel "control" or "data"; version None for vsftpd (its
# log names only the cipher's protocol, see above); reused: session resumed.
TlsEvent = collections.namedtuple("TlsEvent", "channel version cipher reused")


class _LogMixin:
    def wait_log(self, pattern, timeout=5.0):
        """Wait until a line of .log() matches regex pattern; returns the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.log()
            for line in text.splitlines():
                m = rx.search(line)
                if m:
                    return m
            if time.monotonic() > deadline:
                raise TimeoutError("%r: no log line matching %r in:\n%s" % (self, pattern, text))
            time.sleep(0.02)

    def wait_commands(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.commands()
            if len(got) >= n:
                return got
            if time.monotonic() > deadline:
                raise TimeoutError("%d of %d commands logged: %r" % (len(got), n, got))
            time.sleep(0.02)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


# --- vsftpd ---------------------------------------------------------------------------------

_VS_LINE = re.compile(r'^\S+ \S+ +\d+ \S+ \d+ \[pid (\d+)\] (?:\[([^\]]*)\] )?(.*)$')


def _yn(v):
    return "YES" if v else "NO"


class Vsftpd(_LogMixin):
    """A running vsftpd.  See the module docstring and start_vsftpd()."""

    host = "127.0.0.1"

    def __init__(self, mode="plain", **options):
        unknown = set(options) - set(VSFTPD_DEFAULTS)
        if unknown:
            raise TypeError("unknown option(s): %s" % ", ".join(sorted(unknown)))
        if mode not in MODES:
            raise ValueError("mode must be one of %s" % (MODES,))
        if os.geteuid() != 0:
            raise RuntimeError("the vsftpd rig needs root (vsftpd refuses to start otherwise)")
        o = dict(VSFTPD_DEFAULTS, **options)
        self.options = o
        self.mode = mode
        self.user, self.password = o["user"], o["password"]
        self.cert_name = o["cert_name"] if mode != "plain" else None
        self.keep_dir = o["keep_dir"]
        self.proc = None
        self.pam_file = None
        self._log_offset = 0
        self.dir = Path(tempfile.mkdtemp(prefix="sim800emu-vsftpd-"))
        try:
            self._start(mode, **o)
        except BaseException:
            self.stop()
            raise
        _live.add(self)

    # --- start ---------------------------------------------------------------------------
    def _start(self, mode, cert_name, tls12_only, ciphers, require_ssl_reuse, force_tls_login,
               force_prot_p, request_cert, strict_ssl_read_eof, pasv, active, pasv_address, user,
               password, files, write, ascii_convert, max_rate, idle_timeout, data_timeout,
               delay_failed_login, banner, extra_conf, start_timeout, keep_dir):
        import dbm.ndbm

        d = self.dir
        os.chmod(d, 0o755)
        self.guest, uid, gid = _guest_user()
        self.root = build_tree(d / "root", files, owner=(uid, gid))
        (d / "empty").mkdir(mode=0o755)
        self.conf_path = d / "vsftpd.conf"
        self.log_path = d / "vsftpd.log"
        self.xferlog_path = d / "xferlog"
        self.stderr_path = d / "vsftpd.stderr"

        db = dbm.ndbm.open(str(d / "users"), "n", 0o600)
        try:
            db[self.user.encode()] = self.password.encode()
        finally:
            db.close()
        _clean_stale_pam_files()
        self.pam_service = PAM_PREFIX + secrets.token_hex(6)
        self.pam_file = PAM_DIR / self.pam_service
        self.pam_file.write_text(
            "# sim800emu vsftpd rig: dir=%s pid=%d (removed when the rig stops)\n"
            "auth    required pam_userdb.so db=%s\n"
            "account required pam_userdb.so db=%s\n" % (d, os.getpid(), d / "users", d / "users"))

        tls = mode != "plain"
        self.tls12_only = tls12_only
        self.ciphers = ciphers or (TLS12_CIPHERS if tls12_only else CLASSIC_CIPHERS)
        conf = {
            "listen": True, "listen_ipv6": False, "listen_address": self.host,
            "background": False, "seccomp_sandbox": False, "isolate": False, "isolate_network": False,
            "anonymous_enable": False, "local_enable": True, "write_enable": write,
            "local_umask": "022", "file_open_mode": "0666",
            "guest_enable": True, "guest_username": self.guest, "virtual_use_local_privs": True,
            "pam_service_name": self.pam_service, "local_root": self.root,
            "chroot_local_user": True, "allow_writeable_chroot": True,
            "secure_chroot_dir": d / "empty", "nopriv_user": "nobody",
            "pasv_enable": pasv, "port_enable": active, "connect_from_port_20": False,
            "port_promiscuous": False, "pasv_promiscuous": False,
            "ascii_download_enable": ascii_convert, "ascii_upload_enable": ascii_convert,
            "xferlog_enable": True, "xferlog_file": self.xferlog_path, "dual_log_enable": True,
            "xferlog_std_format": False, "vsftpd_log_file": self.log_path, "log_ftp_protocol": True,
            "syslog_enable": False, "use_localtime": False,
            "delay_failed_login": int(delay_failed_login), "max_login_fails": 3,
            "idle_session_timeout": int(idle_timeout), "data_connection_timeout": int(data_timeout),
            "max_clients": 0, "max_per_ip": 0, "dirmessage_enable": False,
            "ssl_enable": tls,
        }
        if pasv_address:
            conf["pasv_address"] = pasv_address
        if max_rate:
            conf["local_max_rate"] = int(max_rate)
        if banner:
            conf["ftpd_banner"] = banner
        if tls:
            certs = pki()
            self.cert = certs / (cert_name + ".crt")
            self.key = certs / (cert_name + ".key")
            if not self.cert.exists():
                raise FileNotFoundError("no certificate %s" % self.cert)
            conf.update({
                "implicit_ssl": mode == "implicit",
                "rsa_cert_file": self.cert, "rsa_private_key_file": self.key,
                "ssl_sslv2": False, "ssl_sslv3": False, "ssl_tlsv1": not tls12_only,
                "ssl_ciphers": self.ciphers, "require_ssl_reuse": require_ssl_reuse,
                "force_local_logins_ssl": force_tls_login, "force_local_data_ssl": force_prot_p,
                "ssl_request_cert": request_cert, "require_cert": False, "debug_ssl": True,
                "strict_ssl_read_eof": strict_ssl_read_eof, "strict_ssl_write_shutdown": False,
            })
        conf.update(extra_conf or {})

        deadline = time.monotonic() + start_timeout
        last = ""
        for attempt in range(8):
            self.port = _free_port()
            self.pasv_ports = _pasv_range()
            conf.update({"listen_port": self.port, "pasv_min_port": self.pasv_ports[0],
                         "pasv_max_port": self.pasv_ports[1]})
            lines = []
            for k, v in conf.items():
                if isinstance(v, bool):
                    v = _yn(v)
                lines.append("%s=%s" % (k, v))
            self.conf_path.write_text("\n".join(lines) + "\n")
            os.chmod(self.conf_path, 0o600)
            for p in (self.log_path, self.xferlog_path):
                if p.exists():
                    p.unlink()
            # vsftpd writes its fatal "500 OOPS: ..." to fd 0 (the control
            # connection in inetd mode), so fd 0 goes to the log file too.
            with open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(
                    [VSFTPD, str(self.conf_path)], stdin=err, stdout=err, stderr=err,
                    close_fds=True, cwd=str(d), start_new_session=True,
                    env=dict(os.environ, OPENSSL_CONF="/dev/null"), preexec_fn=_child_setup)
            self.pid = self.proc.pid
            if self._wait_ready(deadline):
                return
            last = self.stderr_path.read_text(errors="replace")
            self._kill()
            # "500 OOPS: could not bind listening IPv4 socket" (exit status 2)
            if not (_port_busy(self.port) or "bind" in last) or time.monotonic() > deadline:
                break
        raise RuntimeError("vsftpd did not start:\n%s\nconfig: %s\n%s" % (
            last, self.conf_path, self.conf_path.read_text()))

    def _probe(self):
        """Connect, read the 220, QUIT.  True when this vsftpd answered."""
        s = socket.create_connection((self.host, self.port), 1.0)
        try:
            s.settimeout(1.0)
            if self.mode == "implicit":
                s = client_context().wrap_socket(s, server_hostname="localhost")
            f = s.makefile("rb")
            line = f.readline()
            if not line.startswith(b"220"):
                return False
            s.sendall(b"QUIT\r\n")
            f.readline()
            return True
        finally:
            s.close()

    def _wait_ready(self, deadline):
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                ok = self._probe()
            except (OSError, ssl.SSLError):
                time.sleep(0.02)
                continue
            if not ok:
                return False
            # The probe's session is logged by this vsftpd (proof that the port is
            # ours); .log() starts after it.
            while time.monotonic() < deadline:
                text = self._raw_log()
                i = text.find('"221 Goodbye."')
                if i >= 0:
                    self._log_offset = text.index("\n", i) + 1 if "\n" in text[i:] else len(text)
                    return self.proc.poll() is None
                if self.proc.poll() is not None:
                    return False
                time.sleep(0.02)
            return False
        return False

    @property
    def addr(self):
        return (self.host, self.port)

    # --- logs ------------------------------------------------------------------------------
    def _raw_log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log(self):
        """vsftpd.log since the start-up probe (str)."""
        return self._raw_log()[self._log_offset:]

    def xferlog(self):
        try:
            return self.xferlog_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stderr_text(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _entries(self):
        for line in self.log().splitlines():
            m = _VS_LINE.match(line)
            if m:
                yield int(m.group(1)), m.group(2), m.group(3)

    def commands(self):
        """Every command line clients sent, in order ("PASS <password>" masked by vsftpd)."""
        out = []
        for _, _, rest in self._entries():
            m = re.match(r'FTP command: Client "[^"]*", "(.*)"$', rest)
            if m:
                out.append(m.group(1))
        return out

    def replies(self):
        """Every reply line vsftpd sent (multi-line replies joined by its log)."""
        out = []
        for _, _, rest in self._entries():
            m = re.match(r'FTP response: Client "[^"]*", "(.*)"$', rest)
            if m:
                out.append(m.group(1))
        return out

    def tls_handshakes(self):
        """[TlsEvent]: "control" for the handshake before login (AUTH TLS or
        implicit), "data" for those after it (data connections)."""
        out = []
        for _, user, rest in self._entries():
            m = re.match(r'DEBUG: Client "[^"]*", "SSL version: ([^,]*), SSL cipher: ([^,]*), '
                         r'(reused|not reused)', rest)
            if m:
                out.append(TlsEvent("data" if user else "control", None, m.group(2),
                                    m.group(3) == "reused"))
        return out

    def transfers(self):
        """[dict(status="OK"|"FAIL", kind="DOWNLOAD"|"UPLOAD"|..., path, bytes)]."""
        out = []
        for _, _, rest in self._entries():
            m = re.match(r'(OK|FAIL) (DOWNLOAD|UPLOAD|MKDIR|RMDIR|DELETE|RENAME|CHMOD): '
                         r'Client "[^"]*", "([^"]*)"(?:, (\d+) bytes)?', rest)
            if m:
                out.append({"status": m.group(1), "kind": m.group(2), "path": m.group(3),
                            "bytes": int(m.group(4)) if m.group(4) else None})
        return out

    def logins(self):
        """["OK"|"FAIL", ...] one per PASS."""
        return [m.group(1) for _, _, rest in self._entries()
                for m in [re.match(r"(OK|FAIL) LOGIN:", rest)] if m]

    # --- files -----------------------------------------------------------------------------
    def path(self, name):
        return self.root / name.lstrip("/")

    def file(self, name):
        return self.path(name).read_bytes()

    def sha256(self, name):
        return hashlib.sha256(self.file(name)).hexdigest()

    def add_file(self, name, content):
        """Create or replace /<name> in the tree (int -> payload(n, name))."""
        p = self.path(name)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".part")
        tmp.write_bytes(_content(name, content))
        os.chown(tmp, *self._owner())
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
        return p

    def _owner(self):
        st = os.stat(self.root)
        return st.st_uid, st.st_gid

    # --- stop ------------------------------------------------------------------------------
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _kill(self, timeout=3.0):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
        # Session processes (same group) that outlive the listener.
        end = time.monotonic() + timeout
        while _group_alive(self.proc.pid):
            if time.monotonic() > end:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                break
            time.sleep(0.02)

    def stop(self):
        try:
            self._kill()
        finally:
            _live.discard(self)
            if self.pam_file is not None:
                try:
                    self.pam_file.unlink()
                except FileNotFoundError:
                    pass
            if not self.keep_dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    def __repr__(self):
        return "<vsftpd %s %s:%s>" % (self.mode, self.host, getattr(self, "port", None))


def start_vsftpd(mode="plain", *, cert_name="tls.example.test", tls12_only=False, ciphers=None,
                 require_ssl_reuse=True, force_tls_login=True, force_prot_p=True,
                 request_cert=False, strict_ssl_read_eof=True, pasv=True, active=True,
                 pasv_address=None, user=SEED_USER, password=SEED_PASSWORD, files=None, write=True,
                 ascii_convert=False, max_rate=None, idle_timeout=300, data_timeout=300,
                 delay_failed_login=0, banner=None, extra_conf=None, start_timeout=10.0,
                 keep_dir=False):
    """Start vsftpd on 127.0.0.1:<free port>; returns a Vsftpd (a context manager).

    mode               "plain" | "explicit" (AUTH TLS) | "implicit" (TLS at once)
    cert_name          <pki>/<cert_name>.crt/.key for TLS (default tls.example.test)
    tls12_only         refuse TLS 1.0/1.1 (TLS 1.2/1.3 with HIGH ciphers)
    ciphers            ssl_ciphers verbatim (default CLASSIC_CIPHERS / TLS12_CIPHERS)
    require_ssl_reuse  data TLS must resume the control session (vsftpd default)
    force_tls_login    plain USER/PASS refused in TLS modes (vsftpd default)
    force_prot_p       transfers without PROT P refused in TLS modes (vsftpd default)
    request_cert       ask the client for a certificate (vsftpd's default is yes)
    strict_ssl_read_eof  a TLS upload that ends without close_notify fails with
                       "426 Failure reading network stream." (vsftpd default)
    pasv, active       allow PASV/EPSV, PORT/EPRT
    pasv_address       the address 227 replies announce (default 127.0.0.1)
    user, password     the one virtual account (default "sim.cs1" / "******")
    files              {name: int | bytes | str} extra files in the tree
    write              allow STOR/APPE/DELE/MKD/RMD (write_enable)
    ascii_convert      TYPE A converts LF <-> CRLF (vsftpd's default: it does not)
    max_rate           bytes/s per transfer (local_max_rate)
    idle_timeout, data_timeout   idle_session_timeout, data_connection_timeout (s)
    delay_failed_login seconds before "530 Login incorrect." (vsftpd default 1)
    banner             ftpd_banner (default "(vsFTPd 3.0.3)")
    extra_conf         {option: value} added to vsftpd.conf last (bool -> YES/NO)
    keep_dir           leave the temporary directory behind on stop

    Attributes: host, port, addr, mode, user, password, root (Path of "/"), dir,
    conf_path, log_path, xferlog_path, stderr_path, pasv_ports (lo, hi), pid,
    proc, cert, key, ciphers, guest, pam_service, pam_file.  Methods: log(),
    wait_log(regex), commands(), wait_commands(n), replies(), tls_handshakes(),
    transfers(), logins(), xferlog(), path(name), file(name), sha256(name),
    add_file(name, content), alive(), stop()."""
    options = dict(locals())
    del options["mode"]
    return Vsftpd(mode, **options)


VSFTPD_DEFAULTS = {k: v.default for k, v in inspect.signature(start_vsftpd).parameters.items()
                   if k != "mode"}


@atexit.register
def _stop_all():
    for s in list(_live):
        try:
            s.stop()
        except Exception:
            pass


# --- the Python fault server ------------------------------------------------------------------

_FF_LINE = re.compile(r"^\[ftp_faulty\] conn (\d+) (.*)$")


class FaultyFtp(_LogMixin):
    """A running ftp_faulty.py.  Same attributes and log helpers as Vsftpd where
    they make sense (.server is the servers.Server)."""

    host = "127.0.0.1"

    def __init__(self, faults=(), mode="plain", cert_name="tls.example.test", tls12_only=False,
                 ciphers=None, user=SEED_USER, password=SEED_PASSWORD, files=None, drop_after=None,
                 pause_after=None, pause=None, pasv_address=None, start_timeout=10.0, keep_dir=False):
        if mode not in MODES:
            raise ValueError("mode must be one of %s" % (MODES,))
        if isinstance(faults, str):
            faults = [faults] if faults else []
        self.faults = tuple(faults)
        self.mode = mode
        self.user, self.password = user, password
        self.keep_dir = keep_dir
        self.server = None
        self.dir = Path(tempfile.mkdtemp(prefix="sim800emu-ftpfaulty-"))
        try:
            self.root = build_tree(self.dir / "root", files)
            argv = [PYTHON, str(HERE / "ftp_faulty.py"), "--root", str(self.root), "--host", self.host,
                    "--user", user, "--password", password, "--verbose",
                    "--tls", {"plain": "none"}.get(mode, mode)]
            if mode != "plain":
                certs = pki()
                self.cert = certs / (cert_name + ".crt")
                self.key = certs / (cert_name + ".key")
                argv += ["--cert", str(self.cert), "--key", str(self.key)]
                if tls12_only:
                    argv += ["--min-version", "TLSv1_2"]
            for f in self.faults:
                argv += ["--fault", f]
            for opt, val in (("--ciphers", ciphers), ("--drop-after", drop_after),
                             ("--pause-after", pause_after), ("--pause", pause),
                             ("--pasv-address", pasv_address)):
                if val is not None:
                    argv += [opt, str(val)]
            self.server = Server(argv, "ftp_faulty", start_timeout, self.host)
            self.port = self.server.port
            self.proc = self.server.proc
            self.pid = self.proc.pid
        except BaseException:
            self.stop()
            raise
        _live.add(self)

    @property
    def addr(self):
        return (self.host, self.port)

    def log(self):
        return self.server.log() if self.server else ""

    def _entries(self):
        for line in self.log().splitlines():
            m = _FF_LINE.match(line)
            if m:
                yield int(m.group(1)), m.group(2)

    def commands(self):
        return [rest[2:] for _, rest in self._entries() if rest.startswith("> ")]

    def replies(self):
        return [rest[2:] for _, rest in self._entries() if rest.startswith("< ")]

    def tls_handshakes(self):
        out = []
        for _, rest in self._entries():
            m = re.match(r"tls (control|data) (\S+) (\S+)(?: reused=(yes|no))?$", rest)
            if m:
                out.append(TlsEvent(m.group(1), m.group(2), m.group(3), m.group(4) == "yes"))
        return out

    def transfers(self):
        out = []
        for _, rest in self._entries():
            m = re.match(r"transfer (\S+) (.*) bytes=(\d+) status=(\S+)$", rest)
            if m:
                out.append({"status": "OK" if m.group(4) == "ok" else "FAIL", "kind": m.group(1),
                            "path": m.group(2), "bytes": int(m.group(3))})
        return out

    def path(self, name):
        return self.root / name.lstrip("/")

    def file(self, name):
        return self.path(name).read_bytes()

    def alive(self):
        return self.server is not None and self.server.alive()

    def stop(self):
        try:
            if self.server is not None:
                self.server.stop()
        finally:
            _live.discard(self)
            if not self.keep_dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    def __repr__(self):
        return "<ftp_faulty %s %s %s:%s>" % (",".join(self.faults) or "-", self.mode, self.host,
                                             getattr(self, "port", None))


def start_ftp_faulty(faults=(), mode="plain", cert_name="tls.example.test", tls12_only=False,
                     ciphers=None, user=SEED_USER, password=SEED_PASSWORD, files=None,
                     drop_after=None, pause_after=None, pause=None, pasv_address=None,
                     start_timeout=10.0, keep_dir=False):
    """Start ftp_faulty.py (no root needed) serving the fixture tree; returns a
    FaultyFtp.  faults: a name or a list of names among ftp_faulty.FAULTS
    (drop-data, reset-data, refuse-auth, refuse-pbsz, refuse-prot, pause-data);
    mode "plain" | "explicit" | "implicit".  drop_after (default 65536; a file
    is cut after min(drop_after, size // 2) bytes), pause_after (default 50) and
    pause (seconds, default 1.0) tune the data faults."""
    return FaultyFtp(faults=faults, mode=mode, cert_name=cert_name, tls12_only=tls12_only,
                     ciphers=ciphers, user=user, password=password, files=files,
                     drop_after=drop_after, pause_after=pause_after, pause=pause,
                     pasv_address=pasv_address, start_timeout=start_timeout, keep_dir=keep_dir)


FAULTS = {
    "drop-data": (start_ftp_faulty, dict(faults="drop-data")),
    "reset-data": (start_ftp_faulty, dict(faults="reset-data")),
    "refuse-auth": (start_ftp_faulty, dict(faults="refuse-auth", mode="explicit")),
    "refuse-pbsz": (start_ftp_faulty, dict(faults="refuse-pbsz", mode="explicit")),
    "refuse-prot": (start_ftp_faulty, dict(faults="refuse-prot", mode="explicit")),
    "pause-data": (start_ftp_faulty, dict(faults="pause-data")),
    "no-tls": (start_vsftpd, dict(mode="plain")),
    "tls-only": (start_vsftpd, dict(mode="explicit", force_tls_login=True, force_prot_p=True)),
    "tls12-only": (start_vsftpd, dict(mode="explicit", tls12_only=True)),
    "no-pasv": (start_vsftpd, dict(mode="plain", pasv=False)),
    "no-port": (start_vsftpd, dict(mode="plain", active=False)),
    "no-reuse": (start_vsftpd, dict(mode="explicit", require_ssl_reuse=False)),
}


def start_fault(kind, **kw):
    """Start the server variant FAULTS[kind]; keyword arguments override its own."""
    factory, args = FAULTS[kind]
    args = dict(args)
    args.update(kw)
    return factory(**args)


# --- reference clients (Python's ftplib) --------------------------------------------------------

def client_context(cafile=None, classic=False, cipher="AES128-SHA", min_version=None,
                   max_version=None, check_hostname=False):
    """An ssl client context.  cafile: verify against it (e.g. pki()/"root.crt"),
    else no verification.  classic=True: TLS 1.0 only with `cipher` at
    @SECLEVEL=0 (what the SIM800 offers)."""
    warnings.simplefilter("ignore", DeprecationWarning)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cafile:
        ctx.load_verify_locations(cafile=str(cafile))
        ctx.check_hostname = check_hostname
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if classic:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers(cipher + ":@SECLEVEL=0")
    else:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    if min_version:
        ctx.minimum_version = min_version
    if max_version:
        ctx.maximum_version = max_version
    return ctx


class ReuseFTP_TLS(ftplib.FTP_TLS):
    """ftplib.FTP_TLS whose data connections resume the control connection's TLS
    session (as vsftpd's require_ssl_reuse demands; plain FTP_TLS does not)."""

    reuse = True

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            session = self.sock.session if self.reuse else None
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=session)
        return conn, size


class ImplicitFTP_TLS(ReuseFTP_TLS):
    """Implicit FTPS: TLS from the first byte of the control connection."""

    def connect(self, host="", port=0, timeout=-999, source_address=None):
        if host:
            self.host = host
        if port:
            self.port = port
        if timeout != -999:
            self.timeout = timeout
        self.sock = socket.create_connection((self.host, self.port), self.timeout)
        self.af = self.sock.family
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome


def connect(server, tls=None, ctx=None, reuse=True, login=True, prot_p=True, passive=True,
            timeout=10, user=None, password=None):
    """An ftplib client logged in to server (anything with .host/.port/.user/
    .password).  tls: None (plain), "explicit" or "implicit"; default: the
    server's .mode.  With TLS: PBSZ 0 + PROT P unless prot_p=False."""
    if tls is None:
        tls = getattr(server, "mode", "plain")
    if tls == "plain":
        tls = None
    if tls is None:
        f = ftplib.FTP(timeout=timeout)
        f.connect(server.host, server.port)
    else:
        cls = ImplicitFTP_TLS if tls == "implicit" else ReuseFTP_TLS
        f = cls(context=ctx or client_context(), timeout=timeout)
        f.reuse = reuse
        f.connect(server.host, server.port)
    f.set_pasv(passive)
    if login:
        f.login(user or server.user, password if password is not None else server.password)
        if tls is not None and prot_p:
            f.prot_p()
    return f
