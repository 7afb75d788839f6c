"""The program: options, profiles, several modems, links, trace, signals."""
import os
import re
import signal

import pytest

from conftest import BOOT_FIXED, Port, run_cli

OK = b"\r\nOK\r\n"

TRACE_LINE = re.compile(r'^(\d+\.\d{6}) m(\d+) pty (<<|>>) "(.*)"$')


# -- options -----------------------------------------------------------------

def test_help_and_version_exit_0():
    r = run_cli("--help")
    assert r.returncode == 0, r
    assert "usage" in (r.stdout + r.stderr).lower()
    r = run_cli("-h")
    assert r.returncode == 0, r
    r = run_cli("--version")
    assert r.returncode == 0, r
    assert "sim800emu" in r.stdout + r.stderr
    r = run_cli("-V")
    assert r.returncode == 0, r


def test_unknown_option_exit_2():
    r = run_cli("--no-such-option")
    assert r.returncode == 2, r
    assert r.stderr.strip(), r


def test_unknown_profile_exit_2():
    r = run_cli("--profile", "no-such-profile-xyz")
    assert r.returncode == 2, r
    assert "no-such-profile-xyz" in r.stderr, r.stderr
    assert r.stdout == "", r.stdout
    # A typo's cure: the names that exist.
    assert "(the profiles in " in r.stderr and \
        ": sim800-r13.08, sim800c-tls12, sim800l-r14.18)" in r.stderr, r.stderr


def test_help_lists_the_profiles():
    r = run_cli("--help")
    assert re.search(r"\nProfiles \(-p NAME, from [^)]+\):\n  sim800-r13\.08, sim800c-tls12, "
                     r"sim800l-r14\.18\n", r.stdout), r.stdout[-400:]


def test_a_bad_option_is_one_line_and_a_pointer():
    r = run_cli("--t", "fast")   # ambiguous: --trace, --tls-verify, --timing
    assert r.returncode == 2, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2 and "ambiguous" in lines[0], r.stderr
    assert lines[1] == "sim800emu: see sim800emu --help", r.stderr


@pytest.mark.parametrize("spec,why", [
    ("foo", "no '=' between the name and where it goes"),
    ("foo=1.2.3.4", "no port after the address '1.2.3.4'"),
    ("foo:99999=1.2.3.4:80", "the name's port '99999' is not 1 to 65535"),
    ("foo=1.2.3.4:0", "the port '0' is not 1 to 65535"),
    ("foo=example.com:80", "'example.com' is not an IP address (a name there is not looked up)"),
    ("=1.2.3.4:80", "no host name before '='"),
])
def test_a_bad_map_names_the_wrong_part(spec, why):
    r = run_cli("-m", spec)
    assert r.returncode == 2, r
    assert r.stderr == f"sim800emu: --map '{spec}': {why} (the form: HOST[:PORT]=ADDR:PORT)\n", \
        r.stderr


@pytest.mark.parametrize("args", [
    ["-l", "{tmp}/a-file"],                                   # --link onto a regular file
    ["-s", "modem.imeis=123"],                                # a bad identity
    ["--fault", "modem=7 dns"],                               # a rule for no modem
    ["--control", "{tmp}/a-file"],                            # the control path exists
    ["-s", "tls.ciphers=NO-SUCH-CIPHER"],                     # no TLS context
], ids=["link", "identity", "fault", "control", "tls"])
def test_every_early_exit_releases_what_was_set_up(tmp_path, args):
    """Each usage error found after the storage directory, the trace, the
    resolver and the TLS context exist takes the one way out of main(): the
    temporary storage is gone, the trace is closed whole, and under ASan
    nothing leaks (run_cli checks the sanitizer's report)."""
    (tmp_path / "a-file").write_text("mine\n")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    trace = tmp_path / "trace.txt"
    r = run_cli("--trace", trace, *[a.format(tmp=tmp_path) for a in args],
                env={"TMPDIR": str(tmp)})
    assert r.returncode == 2, r
    assert r.stderr.startswith("sim800emu: "), r.stderr
    assert list(tmp.iterdir()) == []          # the temporary storage went
    assert (tmp_path / "a-file").read_text() == "mine\n"  # never the user's file
    assert trace.exists()


def test_link_without_percent_d_for_several_modems_exit_2(tmp_path):
    r = run_cli("-n", "2", "-l", str(tmp_path / "sim"))
    assert r.returncode == 2, r
    assert r.stderr.strip(), r
    assert not (tmp_path / "sim").exists()


@pytest.mark.parametrize("setting,key", [
    ("boot.rdy_ms=soon", "rdy_ms"),
    ("nosuchsection.key=1", "nosuchsection"),
    ("modem.no_such_key=1", "no_such_key"),
    ("sim.present=maybe", "present"),
])
def test_bad_set_override_exit_2(setting, key):
    r = run_cli("-s", setting)
    assert r.returncode == 2, r
    assert key in r.stderr, r.stderr


def test_set_without_equals_exit_2():
    r = run_cli("-s", "boot.rdy_ms")
    assert r.returncode == 2, r


PROFILE_HEAD = "; test profile\n[profile]\ninherit = sim800l-r14.18\n\n"


@pytest.mark.parametrize("body,line,key", [
    ("[modem]\nati = SIM800 TEST\nbogus_key = 1\n", 7, "bogus_key"),
    ("[boot]\nrdy_ms = soon\n", 6, "rdy_ms"),
    ("[sim]\npresent = perhaps\n", 6, "present"),
    ("[network]\nrssi = 18\nlac = 1A2B\nrssi = x\n", 8, "rssi"),
])
def test_bad_profile_file_exit_2(tmp_path, body, line, key):
    path = tmp_path / "bad.ini"
    path.write_text(PROFILE_HEAD + body)
    r = run_cli("-p", str(path))
    assert r.returncode == 2, r
    assert f"{path}:{line}" in r.stderr or f"bad.ini:{line}" in r.stderr, \
        f"expected file:line {path}:{line} in stderr: {r.stderr!r}"
    assert key in r.stderr, r.stderr
    assert r.stdout == "", r.stdout


def test_bad_profile_unknown_section_exit_2(tmp_path):
    path = tmp_path / "bad.ini"
    path.write_text(PROFILE_HEAD + "[nosuchsection]\nkey = 1\n")
    r = run_cli("-p", str(path))
    assert r.returncode == 2, r
    assert "bad.ini:5" in r.stderr or "bad.ini:6" in r.stderr, r.stderr
    assert "nosuchsection" in r.stderr, r.stderr


def test_profile_file_path(emulator, tmp_path):
    path = tmp_path / "custom.ini"
    path.write_text(PROFILE_HEAD + "[modem]\nati = SIM800 R77.77\nmodel = SIMCOM_SIM800H\n")
    _, m = emulator.modem("-p", str(path))
    m.exchange(b"ATI\r", b"ATI\r\r\nSIM800 R77.77\r\n" + OK)
    m.exchange(b"AT+CGMM\r", b"AT+CGMM\r\r\nSIMCOM_SIM800H\r\n" + OK)
    m.exchange(b"AT+CGMI\r", b"AT+CGMI\r\r\nSIMCOM_Ltd\r\n" + OK)   # inherited


def test_profiles_dir(emulator, tmp_path):
    (tmp_path / "mine.ini").write_text(PROFILE_HEAD + "[modem]\nati = SIM800 MINE\n")
    _, m = emulator.modem("--profiles-dir", str(tmp_path), "-p", "mine")
    m.exchange(b"ATI\r", b"ATI\r\r\nSIM800 MINE\r\n" + OK)


def test_profile_r13(emulator):
    _, m = emulator.modem("-p", "sim800-r13.08")
    m.exchange(b"ATI\r", b"ATI\r\r\nSIM800 R13.08\r\n" + OK)
    m.exchange(b"AT+CGMR\r", b"AT+CGMR\r\r\nRevision:1308B08SIM800L16\r\n" + OK)
    m.exchange(b"AT+CIPSSL=?\r", b"AT+CIPSSL=?\r\r\nERROR\r\n")


def test_profile_sim800c(emulator):
    _, m = emulator.modem("-p", "sim800c-tls12")
    m.exchange(b"AT+CGMM\r", b"AT+CGMM\r\r\nSIMCOM_SIM800C\r\n" + OK)
    m.exchange(b"ATI\r", b"ATI\r\r\nSIM800 R14.18\r\n" + OK)


def test_set_override_ati(emulator):
    _, m = emulator.modem("-s", "modem.ati=SIM800 OVERRIDE")
    m.exchange(b"ATI\r", b"ATI\r\r\nSIM800 OVERRIDE\r\n" + OK)


def test_set_override_wins_over_profile_file(emulator, tmp_path):
    path = tmp_path / "p.ini"
    path.write_text(PROFILE_HEAD + "[modem]\nati = FROM FILE\n")
    _, m = emulator.modem("-p", str(path), "-s", "modem.ati=FROM SET")
    m.exchange(b"ATI\r", b"ATI\r\r\nFROM SET\r\n" + OK)


# -- several modems, links --------------------------------------------------------

def _links(tmp_path, n):
    return [tmp_path / f"modem{i}" for i in range(n)]


@pytest.mark.parametrize("n", [2, 3])
def test_several_modems_independent(emulator, tmp_path, n):
    e = emulator.start("-l", str(tmp_path / "modem%d"), n=n)
    assert len(set(e.paths)) == n, e.paths
    for i, link in enumerate(_links(tmp_path, n)):
        assert link.is_symlink(), f"{link} missing"
        assert os.path.realpath(link) == os.path.realpath(e.paths[i])
    ports = [e.boot(i) for i in range(n)]
    ports[0].exchange(b"ATE0\r", b"ATE0\r" + OK)
    ports[1].exchange(b"AT+CMEE=2\r", b"AT+CMEE=2\r" + OK)
    ports[0].exchange(b"AT\r", OK)
    ports[1].exchange(b"AT\r", b"AT\r" + OK)
    ports[0].exchange(b"AT+CMEE?\r", b"\r\n+CMEE: 0\r\n" + OK)
    ports[1].exchange(b"AT+CMEE?\r", b"AT+CMEE?\r\r\n+CMEE: 2\r\n" + OK)
    if n > 2:
        ports[2].exchange(b"AT\r", b"AT\r" + OK)
        ports[2].exchange(b"AT+CMEE?\r", b"AT+CMEE?\r\r\n+CMEE: 0\r\n" + OK)
    # One modem powering down does not affect the others.
    ports[1].exchange(b"AT+CPOWD=1\r", b"AT+CPOWD=1\r\r\nNORMAL POWER DOWN\r\n")
    ports[0].exchange(b"AT\r", OK)
    assert e.stop() == 0
    for link in _links(tmp_path, n):
        assert not os.path.lexists(link), f"{link} not removed on exit"


def test_several_modems_via_links(emulator, tmp_path):
    e = emulator.start("-l", str(tmp_path / "modem%d"), n=2)
    p = Port(str(tmp_path / "modem1"))
    e.ports.append(p)
    assert p.expect(b"SMS Ready\r\n") == BOOT_FIXED
    p.exchange(b"AT\r", b"AT\r" + OK)


def test_single_link_created_and_removed(emulator, tmp_path):
    link = tmp_path / "sim800"
    e = emulator.start("-l", str(link))
    assert link.is_symlink()
    assert os.path.realpath(link) == os.path.realpath(e.paths[0])
    assert e.stop() == 0
    assert not os.path.lexists(link)


def test_sigint_exits_0_and_removes_link(emulator, tmp_path):
    link = tmp_path / "sim800"
    e = emulator.start("-l", str(link))
    m = e.boot()
    m.exchange(b"AT\r", b"AT\r" + OK)
    e.proc.send_signal(signal.SIGINT)
    assert e.proc.wait(timeout=10) == 0
    assert not os.path.lexists(link)


def test_many_modems_in_one_process(emulator):
    e = emulator.start(n=20)
    for i in (0, 7, 19):
        p = e.boot(i)
        p.exchange(b"ATI\r", b"ATI\r\r\nSIM800 R14.18\r\n" + OK)


# -- trace -------------------------------------------------------------------------

def _parse_trace(text):
    lines = {}
    for ln in text.splitlines():
        m = TRACE_LINE.match(ln)
        if m:
            lines.setdefault((int(m.group(2)), m.group(3)), []).append(m.group(4))
        else:
            # Only the byte lines have a fixed format; others are events.
            assert re.match(r"^\d+\.\d{6} m\d+ ", ln), f"malformed trace line {ln!r}"
    return {k: "".join(v) for k, v in lines.items()}


def test_trace_file_both_directions(emulator, tmp_path):
    trace = tmp_path / "trace.txt"
    e = emulator.start("-t", str(trace))
    m = e.boot()
    m.exchange(b"AT\r", b"AT\r" + OK)
    m.exchange(b"ATX\x08I\r", b"ATX\x08I\r\r\nSIM800 R14.18\r\n" + OK)
    m.write(b"\\\x01\r")      # garbage: traced, not answered
    m.assert_quiet(0.2)
    assert e.stop() == 0
    text = trace.read_text()
    t = _parse_trace(text)
    host = t.get((0, "<<"), "")
    dev = t.get((0, ">>"), "")
    assert "AT<CR>" in host, text
    assert re.search(r"ATX\\x08I<CR>", host, re.I), text
    assert re.search(r"\\\\\\x01<CR>", host, re.I), text
    assert ("<CR><LF>RDY<CR><LF><CR><LF>+CFUN: 1<CR><LF><CR><LF>+CPIN: READY<CR><LF>"
            "<CR><LF>Call Ready<CR><LF><CR><LF>SMS Ready<CR><LF>") in dev, text
    assert "AT<CR><CR><LF>OK<CR><LF>" in dev, text
    assert re.search(r"ATX\\x08I<CR><CR><LF>SIM800 R14\.18<CR><LF><CR><LF>OK<CR><LF>", dev,
                     re.I), text
    # Timestamps never go backwards.
    stamps = [float(x.split()[0]) for x in text.splitlines() if TRACE_LINE.match(x)]
    assert stamps == sorted(stamps)


def test_a_round_trip_is_one_write(emulator, tmp_path):
    """The echo of a command line and its answer leave in one write (the
    trace has a line per write): a round trip costs the emulator one write,
    not one per echoed byte (scripts/bench at measures what that saves)."""
    trace = tmp_path / "trace.txt"
    e = emulator.start("-t", str(trace))
    m = e.boot()
    m.write(b"AT\r")   # in one write, so it comes in one read
    m.expect(b"AT\r" + OK)
    m.write(b"AT+CSQ\r")
    m.expect(b"AT+CSQ\r\r\n+CSQ: 18,0\r\n" + OK)
    assert e.stop() == 0
    out = [x.split(" ", 4)[4] for x in trace.read_text().splitlines()
           if TRACE_LINE.match(x) and " >> " in x]
    assert out[-2:] == ['"AT<CR><CR><LF>OK<CR><LF>"',
                        '"AT+CSQ<CR><CR><LF>+CSQ: 18,0<CR><LF><CR><LF>OK<CR><LF>"'], out


def test_trace_to_stderr(emulator):
    e = emulator.start("-t", "-")
    m = e.boot()
    m.exchange(b"AT+CSQ\r", b"AT+CSQ\r\r\n+CSQ: 18,0\r\n" + OK)
    assert e.stop() == 0
    t = _parse_trace(e.stderr())
    assert "AT+CSQ<CR>" in t.get((0, "<<"), "")
    assert "AT+CSQ<CR><CR><LF>+CSQ: 18,0<CR><LF><CR><LF>OK<CR><LF>" in t.get((0, ">>"), "")


def test_trace_several_modems(emulator, tmp_path):
    trace = tmp_path / "trace.txt"
    e = emulator.start("-t", str(trace), n=3)
    p2 = e.boot(2)
    p2.exchange(b"ATI\r", b"ATI\r\r\nSIM800 R14.18\r\n" + OK)
    assert e.stop() == 0
    t = _parse_trace(trace.read_text())
    assert "ATI<CR>" in t.get((2, "<<"), "")
    assert "ATI<CR>" not in t.get((0, "<<"), "")
    assert "ATI<CR>" not in t.get((1, "<<"), "")


def test_an_unmapped_name_says_what_to_do_in_the_trace(emulator, tmp_path):
    """Offline (here: --only-mapped), a name nothing resolves is named in the
    first failure line of the trace, with the cure."""
    trace = tmp_path / "trace.txt"
    _, m = emulator.modem("--only-mapped", "--trace", trace)
    for c in (b'AT+CSTT="CMNET"', b"AT+CIICR"):
        m.write(c + b"\r")
        m.expect(b"OK\r\n", timeout=5)
    m.write(b"AT+CIFSR\r")
    m.expect(b"10.78.245.128\r\n", timeout=5)
    m.write(b'AT+CIPSTART="TCP","www.example.com",80\r')
    m.expect(b"CONNECT FAIL\r\n", timeout=10)
    failed = [line for line in trace.read_text().splitlines() if " failed: " in line]
    assert failed and failed[0].endswith(
        "tcpip www.example.com:80 failed: dns (cannot resolve www.example.com: no --map for it, "
        "and DNS gave no address)"), failed


def test_the_compiled_defaults_are_the_shipped_profiles_values(emulator, tmp_path):
    """Each key's default lives in its row in profile.c; the shipped
    sim800l-r14.18 profile spells the same values out for users.  A profile
    that sets nothing answers as the shipped one does."""
    empty = tmp_path / "empty.ini"
    empty.write_text("[profile]\ndescription = sets nothing\n")
    cmds = [b"ATI", b"AT+GMI", b"AT+CGMM", b"AT+CGMR", b"AT+GSN", b"AT+CIMI", b"AT+CCID",
            b"AT+CSQ", b"AT+CREG=2;+CREG?", b"AT+COPS=3,0;+COPS?", b"AT+COPS=3,2;+COPS?",
            b"AT+CBC", b"AT+CENG=1;+CENG?", b"AT+CIPTKA?", b"AT+CLTS?", b"AT+IPR?",
            b"AT+EMAILSSL=?", b"AT+SMTPFT=?", b"AT+FSMEM"]
    answers = []
    for profile in ("sim800l-r14.18", str(empty)):
        _, m = emulator.modem("-p", profile)
        got = []
        for c in cmds:
            m.write(c + b"\r")
            got.append(m.expect(b"\r\nOK\r\n"))
        answers.append(got)
    assert answers[0] == answers[1]


def profile_keys(*args):
    """`sim800emu --profile-keys ARGS`: {(section, key): value} and the raw
    lines."""
    r = run_cli("--profile-keys", *args)
    assert r.returncode == 0, r
    keys = {}
    for line in r.stdout.splitlines():
        m = re.fullmatch(r"\[(\w+)\] (\w+) = (.*?)(  ; --timing fast .*)?", line)
        assert m, line
        assert (m[1], m[2]) not in keys, f"key listed twice: {line}"
        keys[(m[1], m[2])] = m[3]
    return keys, r.stdout


def test_every_key_has_one_row_and_the_shipped_profile_spells_it_out(tmp_path):
    """Every key, the module's and each service's own (svc/*/svc_*.c), is
    printed once by --profile-keys; the shipped default profile lists each
    of them with the same value, and names no key that has no row."""
    import configparser
    from conftest import REPO
    keys, _ = profile_keys()
    ini = configparser.ConfigParser(delimiters=("=",), comment_prefixes=(";",),
                                    interpolation=None)
    ini.optionxform = str
    ini.read(REPO / "profiles" / "sim800l-r14.18.ini")
    shipped = {(s, k): v for s in ini.sections() if s not in ("profile", "faults")
               for k, v in ini[s].items()}
    assert set(shipped) == set(keys), (set(shipped) ^ set(keys))
    for k, v in shipped.items():
        assert keys[k] == v, (k, keys[k], v)
    # rows of services, not of modem/profile.c
    for k in [("sms", "sca"), ("timing", "sms_send_ms"), ("ussd", "answers"),
              ("email", "ehlo_name"), ("tcpip", "ciicr_ms"), ("fs", "capacity")]:
        assert k in keys
    empty = tmp_path / "empty.ini"
    empty.write_text("[profile]\ndescription = sets nothing\n")
    assert profile_keys("-p", str(empty))[1] == profile_keys()[1]


def test_timing_presets_come_from_the_rows_and_set_still_wins():
    """--timing real gives each delay its row's real value, services' keys
    as well as the module's; --set after it changes one figure; --timing
    fast zeroes the [timing] delays and leaves the bearer times."""
    real, text = profile_keys("--timing", "real")
    assert real[("timing", "pace")] == "true"
    assert real[("timing", "sms_send_ms")] == "2500"
    assert real[("timing", "httpaction_ms")] == "1800"
    assert real[("tcpip", "ciicr_ms")] == "1000"
    assert real[("tcpip", "sapbr_ms")] == "1500"
    assert "[timing] ussd_ms = 2000  ; --timing fast 0, real 2000" in text
    fixed, _ = profile_keys("--timing", "real", "-s", "timing.sms_send_ms=7")
    assert fixed[("timing", "sms_send_ms")] == "7"
    fast, _ = profile_keys("--timing", "fast", "-s", "tcpip.ciicr_ms=5")
    assert fast[("timing", "location_ms")] == "0" and fast[("timing", "pace")] == "false"
    assert fast[("tcpip", "ciicr_ms")] == "5" and fast[("tcpip", "sapbr_ms")] == "300"
    r = run_cli("--profile-keys", "-s", "sms.sm_capacity=0")
    assert r.returncode == 2 and "[sms] sm_capacity: must be an integer from 1 to 255" in r.stderr


def test_request_is_a_control_client_with_its_exit_status(emulator, tmp_path):
    """--request PATH REQUEST: the reply on stdout; 0 for ok, 1 for an error
    reply, 2 when nothing listens there or the request is too long (the
    image's health check, README "Fleets")."""
    path = tmp_path / "ctl.sock"
    emulator.start("--control", path, n=2).boot()
    r = run_cli("--request", str(path), "status")
    assert r.returncode == 0, r
    assert r.stdout.startswith('ok {"modems":[') and r.stdout.endswith("\n")
    assert r.stdout.count('"index":') == 2
    r = run_cli("--request", str(path), "fault", "add", "service=http", "tls-alert=none")
    assert (r.returncode, r.stdout) == (0, "ok 1\n"), r
    r = run_cli("--request", str(path), "no-such-request")
    assert r.returncode == 1 and r.stdout.startswith("error "), r
    r = run_cli("--request", str(tmp_path / "nothing-here"), "status")
    assert r.returncode == 2 and "nothing-here" in r.stderr and r.stdout == "", r
    r = run_cli("--request", str(path), "x" * 2000)
    assert r.returncode == 2 and "longer than" in r.stderr, r
    r = run_cli("--request", str(path))
    assert r.returncode == 2 and "needs a request" in r.stderr, r


@pytest.mark.parametrize("args, why", [
    (["--request", "/tmp/x", "-n", "3", "status"], "--request is a client: --modems has no effect"),
    (["--request", "/tmp/x", "--listen", "5000", "status"], "--listen has no effect"),
    (["--profile-keys", "--link", "/tmp/l"], "--link has no effect with it"),
    (["--profile-keys", "--control", "/tmp/c"], "--control has no effect with it"),
])
def test_options_the_one_shot_modes_would_leave_unused_are_refused(args, why):
    r = run_cli(*args)
    assert r.returncode == 2 and why in r.stderr and r.stdout == "", r
