"""Golden wire transcripts: every tests/golden/*.txt runs against the emulator
with real loopback servers behind it, and each module byte must match.

File format (tests/README.md):
    # comment
    @server NAME KIND key=value... map=HOST:PORT   start a server (KIND:
                                                   tls_echo, legacy_tls_echo, vsftpd,
                                                   ftp_fault, smtp (tests/servers/mail.py's
                                                   start_smtp), pop3 or pop3s (start_pop3's
                                                   plain or POP3S port), https (nginx's
                                                   HTTPS port; @log: its access log))
    > bytes     what the host writes
    < bytes     what the module answers; consecutive lines form one expectation
    @log NAME regex                                wait for a server log line
    @fault SPEC                                    a fault rule (--fault SPEC); at the
                                                   end each rule must have fired
    @args ARG...                                   more emulator arguments (shell words:
                                                   -p PROFILE, -s KEY=VALUE...)
    @boot BYTES                                    the boot URCs end with BYTES (default
                                                   "SMS Ready\r\n"; without a SIM:
                                                   "Call Ready\r\n")
Bytes use Python escapes (\\r, \\n, \\x1a; \\x20 for a space at a line's end).

Every transcript runs under --timing fast and --timing real (what ./scripts/run
starts with): the bytes are the same, only their timing differs.  The ASan
run of ./scripts/test sets SIM800EMU_TIMINGS=fast (conftest.TIMINGS): it looks
for memory errors, which the real-timing run of the plain build adds nothing
to but time.
"""
import codecs
import contextlib
import os
import shlex
import sys
import types
from pathlib import Path

import pytest

from net import REPO, legacy_tls_echo, sandbox_args, start_tls_echo

sys.path.insert(0, str(REPO / "tests" / "servers"))
import vsftpd  # noqa: E402
from conftest import TIMINGS  # noqa: E402
from mail import start_pop3, start_smtp  # noqa: E402
from nginx import start_nginx  # noqa: E402

sys.path.insert(0, str(REPO / "scripts" / "python"))
from sim800emu import Control  # noqa: E402

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


@contextlib.contextmanager
def start_https(**kwargs):
    """nginx's HTTPS port as the server to map; @log waits on its access log."""
    with start_nginx(**kwargs) as web:
        yield types.SimpleNamespace(port=web.https_port, wait_log=web.wait_access, web=web)


@contextlib.contextmanager
def start_pop3s(**kwargs):
    """dovecot's POP3S port as the server to map (start_pop3().tls_port)."""
    with start_pop3(**kwargs) as pop:
        yield types.SimpleNamespace(port=pop.tls_port, wait_log=pop.wait_log, pop=pop)


STARTERS = {"tls_echo": start_tls_echo, "legacy_tls_echo": legacy_tls_echo,
            "vsftpd": vsftpd.start_vsftpd, "ftp_fault": vsftpd.start_fault,
            "smtp": start_smtp, "pop3": start_pop3, "pop3s": start_pop3s,
            "https": start_https}
NUMERIC = ("reply_delay", "close_delay")
TIMEOUT = 10.0


def unescape(text):
    return codecs.decode(text.encode("latin-1"), "unicode_escape").encode("latin-1")


def parse(path):
    """(servers, faults, steps, args, boot): servers is [(name, kind, kwargs,
    map)], faults the rules' texts, steps a list of ("send", bytes) /
    ("expect", bytes) / ("log", name, regex), args the emulator's extra
    arguments, boot the bytes the boot URCs end with."""
    servers, faults, steps, args, boot = [], [], [], [], b"SMS Ready\r\n"
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        if not raw or raw.startswith("#"):
            continue
        kind, _, rest = raw.partition(" ")
        if kind == "@server":
            name, starter, *pairs = rest.split(" ")
            kwargs = dict(p.split("=", 1) for p in pairs)
            target = kwargs.pop("map")
            kwargs = {k: float(v) if k in NUMERIC else unescape(v).decode("latin-1")
                      for k, v in kwargs.items()}
            servers.append((name, STARTERS[starter], kwargs, target))
        elif kind == "@fault":
            faults.append(rest)
        elif kind == "@args":
            args += shlex.split(rest)
        elif kind == "@boot":
            boot = unescape(rest)
        elif kind == "@log":
            name, _, regex = rest.partition(" ")
            steps.append(("log", name, unescape(regex).decode("latin-1")))
        elif kind == ">":
            steps.append(("send", unescape(rest)))
        elif kind == "<":
            if steps and steps[-1][0] == "expect":
                steps[-1] = ("expect", steps[-1][1] + unescape(rest))
            else:
                steps.append(("expect", unescape(rest)))
        else:
            raise ValueError(f"{path.name}:{number}: unknown line {raw!r}")
    return servers, faults, steps, args, boot


@pytest.mark.parametrize("timing", TIMINGS)
@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.txt")), ids=lambda p: p.stem)
def test_golden_transcript(emulator, path, timing, tmp_path):
    servers, faults, steps, args, boot = parse(path)
    with contextlib.ExitStack() as stack:
        running = {name: stack.enter_context(start(**kwargs))
                   for name, start, kwargs, _ in servers}
        maps = [(target, running[name]) for name, _, _, target in servers]
        control = str(tmp_path / "ctl")
        fault_args = [a for f in faults for a in ("--fault", f)]
        _, m = emulator.modem("--timing", timing, "--control", control, *fault_args,
                              *sandbox_args(maps), *args, until=boot)
        for step in steps:
            if step[0] == "send":
                assert not m.buf, f"unread bytes before {step[1]!r}: {bytes(m.buf)!r}"
                m.write(step[1])
            elif step[0] == "expect":
                m.expect_exact(step[1], timeout=TIMEOUT)
            else:
                running[step[1]].wait_log(step[2])
        # The code came from the rule, by the real path: each rule fired.
        with Control(control) as ctl:
            for rule in ctl.rules():
                assert rule["fired"] >= 1, f"rule never fired: {rule}"
