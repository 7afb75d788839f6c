#!/usr/bin/python3
"""SMTP test server for the sim800emu test suite (run as a subprocess; the
Python API is tests/servers/mail.py: start_smtp()).  A real SMTP server:
Debian's python3-aiosmtpd, with recording.

    smtp_server.py --record-dir DIR [--host 127.0.0.1] [--port 0]
                   [--mode starttls|starttls-required|plain|smtps]
                   [--cert F --key F] [--tls12-only] [--ciphers S]
                   [--user NAME:PASSWORD ...] [--auth-required]
                   [--auth-mechanisms PLAIN,LOGIN[,CRAM-MD5]] [--auth-require-tls]
                   [--hostname NAME] [--reject-rcpt ADDR ...] [--data-status TEXT]
                   [--greeting-delay S] [--max-line N] [--timeout S] [--verbose]

Binds a loopback address only, prints exactly one line "PORT <n>" on stdout
(flushed) once listening, then serves until killed.  stderr: errors and, with
--verbose, one line per session event.

Modes
  starttls           plain SMTP on the port, STARTTLS offered (not required)
  starttls-required  plain SMTP, STARTTLS offered; any command but EHLO, HELO,
                     NOOP, QUIT, STARTTLS before it -> "530 Must issue a
                     STARTTLS command first" (aiosmtpd's require_starttls)
  plain              plain SMTP, no STARTTLS in the EHLO answer at all
  smtps              implicit TLS: the TLS handshake is the first thing on the
                     connection (port 465 style); STARTTLS is not offered

TLS: TLSv1..TLSv1.3 with AES128-SHA/AES256-SHA at @SECLEVEL=0 (the classic
SIM800 profile) unless --tls12-only (TLSv1.2+, HIGH:!aNULL:!MD5).

AUTH: PLAIN and LOGIN (aiosmtpd built-ins), CRAM-MD5 (here, RFC 2195) when
listed in --auth-mechanisms; credentials from --user.  AUTH is offered on
plain connections too unless --auth-require-tls (then only after STARTTLS /
on smtps).  --auth-required: MAIL/RCPT/DATA before a successful AUTH get
"530 5.7.0 Authentication required".

Records (in --record-dir):
  NNNN.eml   the message content exactly as the DATA phase delivered it, after
             dot-unstuffing, without the terminating ".\\r\\n" (aiosmtpd's
             envelope.original_content)
  NNNN.wire  the exact bytes the client sent after the 354 reply, up to and
             including the terminating ".\\r\\n" (dot-stuffed)
  NNNN.json  written last (atomically): seq, session, time, peer, helo, esmtp,
             tls, tls_version, cipher, starttls, implicit_tls, auth
             ({mechanism, user} or null), mail_from, mail_options, rcpt_tos,
             rcpt_options, data_len, data_sha256, data_file, wire_len,
             wire_file, status (the reply to the DATA phase), accepted
  sessions.jsonl  one JSON line per connection, appended when it closes:
             id, peer, start, end, implicit_tls, starttls, tls, tls_version,
             cipher, helo, auth_attempts [{mechanism, user, success}], auth,
             messages [seq...], tls_error (why a TLS handshake failed: an
             smtps connection whose handshake fails gets a record of its own
             with tls false), transcript [[dir, text], ...] where dir is
             "S" (a reply line, without CRLF) or "C" (a client line, CRLF
             kept; the DATA content is summarised as "<DATA n bytes>")
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import ipaddress
import itertools
import json
import logging
import os
import ssl
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _watch import watch_parent  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 settings, aiosmtpd internals

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword  # noqa: E402

CLASSIC_CIPHERS = "AES128-SHA:AES256-SHA:DES-CBC3-SHA:HIGH:!aNULL:@SECLEVEL=0"
TLS12_CIPHERS = "HIGH:!aNULL:!MD5"
MODES = ("starttls", "starttls-required", "plain", "smtps")
VERBOSE = False


def log(msg):
    sys.stderr.write("[smtp_server] %s\n" % msg)
    sys.stderr.flush()


def vlog(msg):
    if VERBOSE:
        log(msg)


def write_atomic(path, data):
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Recorder:
    """Numbers sessions and messages, writes the record files."""

    def __init__(self, record_dir):
        self.dir = record_dir
        self.msg_seq = itertools.count(1)
        self.session_seq = itertools.count(1)
        os.makedirs(record_dir, exist_ok=True)
        self.sessions_path = os.path.join(record_dir, "sessions.jsonl")

    def message(self, seq, rec, data, wire):
        base = os.path.join(self.dir, "%04d" % seq)
        write_atomic(base + ".eml", data)
        write_atomic(base + ".wire", wire)
        rec = dict(rec, seq=seq, data_len=len(data), data_sha256=hashlib.sha256(data).hexdigest(),
                   data_file=base + ".eml", wire_len=len(wire), wire_file=base + ".wire")
        write_atomic(base + ".json", json.dumps(rec, indent=1).encode())
        return seq

    def session(self, rec):
        with open(self.sessions_path, "a") as f:
            f.write(json.dumps(rec) + "\n")


def tls_info(transport):
    obj = transport.get_extra_info("ssl_object") if transport is not None else None
    if obj is None:
        return None, None
    try:
        return obj.version(), obj.cipher()[0]
    except Exception:
        return None, None


class RecordingSMTP(SMTP):
    """aiosmtpd's SMTP, plus a per-connection record and the wire bytes of DATA."""

    # set per server in main()
    implicit_tls = False
    recorder = None
    greeting_delay = 0.0

    def _client_connected_cb(self, reader, writer):
        super()._client_connected_cb(reader, writer)
        self._in_data = False
        self._wire = bytearray()
        self._rec = {
            "id": next(self.recorder.session_seq), "peer": None, "start": time.time(), "end": None,
            "implicit_tls": self.implicit_tls, "starttls": False, "tls": self.implicit_tls,
            "tls_version": None, "cipher": None, "helo": None, "auth_attempts": [], "auth": None,
            "messages": [], "transcript": [], "tls_error": None,
        }
        orig_readuntil = reader.readuntil

        async def readuntil(separator=b"\n"):
            # every line aiosmtpd reads comes through here (StreamReader.readline
            # calls self.readuntil too): commands, AUTH answers, DATA lines
            line = await orig_readuntil(separator)
            self._note_in(line)
            return line

        reader.readuntil = readuntil

    def tls_handshake_failed(self, transport, exc):
        """Called by the patched asyncio handshake (send_handshake_alerts)."""
        rec = getattr(self, "_rec", None)
        if rec is None:  # smtps: the handshake failed before the SMTP session began
            peer = transport.get_extra_info("peername") if transport is not None else None
            now = time.time()
            self.recorder.session({
                "id": next(self.recorder.session_seq), "peer": list(peer[:2]) if peer else None,
                "start": now, "end": now, "implicit_tls": True, "starttls": False, "tls": False,
                "tls_version": None, "cipher": None, "helo": None, "auth_attempts": [], "auth": None,
                "messages": [], "transcript": [], "tls_error": str(exc)})
            vlog("tls handshake failed %s: %s" % (peer, exc))
        else:
            rec["tls_error"] = str(exc)
            vlog("session %d starttls handshake failed: %s" % (rec["id"], exc))

    def _note_in(self, line):
        if self._in_data:
            self._wire += line
        else:
            self._rec["transcript"].append(["C", line.decode("latin-1")])

    def connection_made(self, transport):
        super().connection_made(transport)  # the first call runs _client_connected_cb
        if self._rec["peer"] is None:
            peer = self.session.peer
            self._rec["peer"] = list(peer[:2]) if peer else None
            vlog("session %d accept %s tls=%s" % (self._rec["id"], self._rec["peer"], self.implicit_tls))
        self._update_tls()

    def _update_tls(self):
        version, cipher = tls_info(self.transport)
        if version:
            self._rec.update(tls=True, tls_version=version, cipher=cipher)
            if not self.implicit_tls:
                self._rec["starttls"] = True

    async def _handle_client(self):
        if self.greeting_delay:
            await asyncio.sleep(self.greeting_delay)
        await super()._handle_client()

    async def push(self, status):
        text = status.decode("latin-1") if isinstance(status, bytes) else status
        self._rec["transcript"].append(["S", text])
        await super().push(status)

    async def smtp_STARTTLS(self, arg):
        try:
            await super().smtp_STARTTLS(arg)
        finally:
            self._update_tls()
            if self._tls_protocol is not None:
                vlog("session %d starttls %s %s" % (self._rec["id"], self._rec["tls_version"], self._rec["cipher"]))

    async def smtp_DATA(self, arg):
        self._wire = bytearray()
        self._in_data = True
        try:
            await super().smtp_DATA(arg)
        finally:
            if self._in_data:  # not consumed by handle_DATA (error / lost connection)
                n = len(self._wire)
                self._in_data = False
                if n:
                    self._rec["transcript"].append(["C", "<DATA %d bytes, not accepted>" % n])

    def connection_lost(self, error):
        try:
            super().connection_lost(error)
        finally:
            rec = getattr(self, "_rec", None)
            if rec is not None and rec["end"] is None:
                rec["end"] = time.time()
                rec["helo"] = self.session.host_name if self.session else None
                self.recorder.session(rec)
                vlog("session %d close" % rec["id"])


class Handler:
    def __init__(self, recorder, users, reject_rcpt, data_status, hostname):
        self.recorder = recorder
        self.users = users
        self.reject_rcpt = {a.lower() for a in reject_rcpt}
        self.data_status = data_status
        self.hostname = hostname

    # --- AUTH ------------------------------------------------------------------------
    def _attempt(self, server, mechanism, user, ok):
        user = user.decode("utf-8", "replace") if isinstance(user, bytes) else user
        server._rec["auth_attempts"].append({"mechanism": mechanism, "user": user, "success": ok})
        if ok:
            server._rec["auth"] = {"mechanism": mechanism, "user": user}
        vlog("session %d auth %s %s %s" % (server._rec["id"], mechanism, user, "ok" if ok else "FAILED"))

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = False
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode("utf-8", "replace")
            ok = user in self.users and self.users[user].encode() == auth_data.password
            self._attempt(server, mechanism, user, ok)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    async def auth_CRAM__MD5(self, server, args):
        """RFC 2195: 334 base64(<challenge>), client answers base64("user hexdigest")."""
        if len(args) != 1:
            await server.push("501 5.5.4 CRAM-MD5 takes no initial response")
            return AuthResult(success=False, handled=True)
        challenge = "<%d.%d@%s>" % (os.getpid(), time.time_ns(), self.hostname)
        resp = await server.challenge_auth(challenge)
        if not isinstance(resp, bytes):  # MISSING: aborted or bad base64, already answered
            return AuthResult(success=False, handled=True)
        user, _, digest = resp.decode("utf-8", "replace").rpartition(" ")
        ok = False
        if user in self.users:
            want = hmac.new(self.users[user].encode(), challenge.encode(), hashlib.md5).hexdigest()
            ok = hmac.compare_digest(want, digest.lower())
        self._attempt(server, "CRAM-MD5", user, ok)
        return AuthResult(success=ok, handled=False, auth_data=LoginPassword(user.encode(), b""))

    # --- envelope ----------------------------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject_rcpt:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        wire = bytes(server._wire)
        server._in_data = False
        server._update_tls()
        r = server._rec
        seq = next(self.recorder.msg_seq)
        status = self.data_status or "250 OK: queued as %d" % seq
        rec = {
            "session": r["id"], "time": time.time(), "peer": r["peer"],
            "helo": session.host_name, "esmtp": bool(session.extended_smtp),
            "tls": r["tls"], "tls_version": r["tls_version"], "cipher": r["cipher"],
            "starttls": r["starttls"], "implicit_tls": r["implicit_tls"], "auth": r["auth"],
            "mail_from": envelope.mail_from, "mail_options": list(envelope.mail_options),
            "rcpt_tos": list(envelope.rcpt_tos), "rcpt_options": list(envelope.rcpt_options),
            "status": status, "accepted": status.startswith("2"),
        }
        self.recorder.message(seq, rec, envelope.original_content, wire)
        r["messages"].append(seq)
        r["transcript"].append(["C", "<DATA %d bytes>" % len(wire)])
        vlog("session %d message %d from=%s to=%s bytes=%d" % (
            r["id"], seq, envelope.mail_from, ",".join(envelope.rcpt_tos), len(envelope.original_content)))
        return status


def send_handshake_alerts():
    """asyncio's SSLProtocol drops the alert OpenSSL writes when a handshake fails
    (Python 3.11: _do_handshake does not flush the outgoing BIO on SSLError), so
    the client would see a bare EOF where a real server sends e.g.
    protocol_version.  Flush it first (the transport sends small writes at once,
    before the close)."""
    try:
        from asyncio import sslproto
        cls, again = sslproto.SSLProtocol, sslproto.SSLAgainErrors
        cls._do_handshake, cls._process_outgoing, cls._on_handshake_complete  # noqa: B018
    except (ImportError, AttributeError):
        return

    def _do_handshake(self):
        try:
            self._sslobj.do_handshake()
        except again:
            self._process_outgoing()
        except ssl.SSLError as exc:
            try:
                self._process_outgoing()
            except Exception:
                pass
            hook = getattr(self._app_protocol, "tls_handshake_failed", None)
            if hook is not None:
                try:
                    hook(self._transport, exc)
                except Exception as e:
                    log("tls_handshake_failed: %r" % e)
            self._on_handshake_complete(exc)
        else:
            self._on_handshake_complete(None)

    cls._do_handshake = _do_handshake


def make_tls_context(cert, key, tls12_only, ciphers):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if tls12_only:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(ciphers or TLS12_CIPHERS)
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers(ciphers or CLASSIC_CIPHERS)
    return ctx


def loopback(host):
    if host == "localhost" or ipaddress.ip_address(host).is_loopback:
        return host
    raise argparse.ArgumentTypeError("refusing non-loopback address %r" % host)


def user_arg(text):
    name, sep, password = text.partition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError("--user wants NAME:PASSWORD, got %r" % text)
    return name, password


def main(argv=None):
    global VERBOSE
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", type=loopback, default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--mode", choices=MODES, default="starttls")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--tls12-only", action="store_true")
    p.add_argument("--ciphers")
    p.add_argument("--user", type=user_arg, action="append", default=[])
    p.add_argument("--auth-required", action="store_true")
    p.add_argument("--auth-mechanisms", default="PLAIN,LOGIN")
    p.add_argument("--auth-require-tls", action="store_true")
    p.add_argument("--hostname", default="smtp.sim800emu.test")
    p.add_argument("--ident", default="ESMTP sim800emu test server (aiosmtpd)")
    p.add_argument("--reject-rcpt", action="append", default=[])
    p.add_argument("--data-status")
    p.add_argument("--greeting-delay", type=float, default=0.0)
    p.add_argument("--max-line", type=int, default=None,
                   help="longest DATA/command line accepted, CRLF included (aiosmtpd: 1001)")
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--record-dir", required=True)
    p.add_argument("--verbose", action="store_true")
    a = p.parse_args(argv)
    VERBOSE = a.verbose
    watch_parent()
    send_handshake_alerts()
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # aiosmtpd's chatter

    mechs = [m.strip().upper() for m in a.auth_mechanisms.split(",") if m.strip()]
    unknown = set(mechs) - {"PLAIN", "LOGIN", "CRAM-MD5"}
    if unknown:
        p.error("unknown AUTH mechanism(s) %s" % ",".join(sorted(unknown)))
    tls_ctx = None
    if a.mode != "plain":
        if not a.cert:
            p.error("--mode %s needs --cert/--key" % a.mode)
        tls_ctx = make_tls_context(a.cert, a.key or a.cert, a.tls12_only, a.ciphers)

    recorder = Recorder(a.record_dir)
    handler = Handler(recorder, dict(a.user), a.reject_rcpt,
                      a.data_status.encode().decode("unicode_escape") if a.data_status else None,
                      a.hostname)

    class Proto(RecordingSMTP):
        pass

    Proto.implicit_tls = a.mode == "smtps"
    Proto.recorder = recorder
    Proto.greeting_delay = a.greeting_delay
    if a.max_line:
        Proto.line_length_limit = a.max_line
    excluded = [m for m in ("PLAIN", "LOGIN", "CRAM-MD5") if m not in mechs]

    def factory():
        return Proto(
            handler,
            hostname=a.hostname,
            ident=a.ident,
            tls_context=tls_ctx if a.mode in ("starttls", "starttls-required") else None,
            require_starttls=a.mode == "starttls-required",
            auth_required=a.auth_required,
            # on smtps the whole connection is TLS: aiosmtpd only knows STARTTLS
            auth_require_tls=a.auth_require_tls and a.mode != "smtps",
            auth_exclude_mechanism=excluded,
            authenticator=handler.authenticator,
            timeout=a.timeout,
            decode_data=False,
        )

    async def serve():
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda lp, ctx: vlog("asyncio: %s %s" % (
            ctx.get("message"), ctx.get("exception") or "")))
        server = await loop.create_server(
            factory, host=a.host, port=a.port,
            ssl=tls_ctx if a.mode == "smtps" else None,
            ssl_handshake_timeout=30 if a.mode == "smtps" else None,
            reuse_address=True)
        port = server.sockets[0].getsockname()[1]
        vlog("listening %s:%d mode=%s tls12_only=%s auth=%s users=%s" % (
            a.host, port, a.mode, a.tls12_only, ",".join(mechs), ",".join(u for u, _ in a.user)))
        sys.stdout.write("PORT %d\n" % port)
        sys.stdout.flush()
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
