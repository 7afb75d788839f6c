"""One identity per modem (README "Profiles"): with --modems N every modem
has its own IMEI (a valid Luhn check digit), IMSI and ICCID, derived from the
profile's, overridable per modem, and shown in the control socket's status."""
import re
import sys
from pathlib import Path

from conftest import luhn_ok, run_cli

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts" / "python"))
from sim800emu import Control  # noqa: E402

PROFILE_IMEI = b"866782042319406"


def answer(port, cmd):
    got = port.cmd(cmd + b"\r")
    m = re.fullmatch(re.escape(cmd) + rb"\r\r\n([0-9A-F]+)\r\n\r\nOK\r\n", got)
    assert m, got
    return m.group(1)


def test_each_modem_has_its_own_identity(emulator, tmp_path):
    ctl = str(tmp_path / "ctl")
    e = emulator.start("--control", ctl, n=3)
    ids = []
    for i in range(3):
        p = e.boot(i)
        ids.append((answer(p, b"AT+GSN"), answer(p, b"AT+CIMI"), answer(p, b"AT+CCID")))
    assert ids[0][0] == PROFILE_IMEI                      # modem 0: the profile's own
    for kind in range(3):
        assert len({i[kind] for i in ids}) == 3, ids      # all distinct
    for imei, imsi, _ in ids:
        assert len(imei) == 15 and luhn_ok(imei.decode()), imei
        assert imei[:8] == PROFILE_IMEI[:8]               # the same TAC: the same device model
        assert imsi[:5] == ids[0][1][:5]                  # the same MCC and MNC
    with Control(ctl) as c:
        status = c.status()["modems"]
    assert [m["imei"].encode() for m in status] == [i[0] for i in ids]
    assert [m["iccid"].encode() for m in status] == [i[2] for i in ids]


def test_a_modem_can_be_given_its_identity(emulator):
    e = emulator.start("-s", "modem.imeis=,490154203237518", "-s", "modem.imsis=,,001010123456789",
                       n=3)
    assert answer(e.boot(0), b"AT+GSN") == PROFILE_IMEI
    assert answer(e.boot(1), b"AT+GSN") == b"490154203237518"
    assert answer(e.boot(2), b"AT+CIMI") == b"001010123456789"


def test_a_bad_override_is_refused_with_its_reason():
    r = run_cli("-n", "2", "-s", "modem.imeis=,490154203237519")
    assert r.returncode == 2
    assert "[modem] imeis: modem 1's '490154203237519' is not 15 to 15 digits with a valid Luhn " \
           "check digit" in r.stderr, r.stderr


def test_the_sims_own_number_per_modem(emulator):
    """[sim] number: AT+CNUM shows it (145: international), modem i's has i
    added; [sim] numbers overrides one; without a number AT+CNUM is OK alone."""
    e = emulator.start("-s", "sim.number=+8613800000000", "-s", "sim.numbers=,,13900000000", n=3)
    assert e.boot(0).cmd(b"AT+CNUM\r") == b'AT+CNUM\r\r\n+CNUM: "","+8613800000000",145\r\n\r\nOK\r\n'
    assert e.boot(1).cmd(b"AT+CNUM\r") == b'AT+CNUM\r\r\n+CNUM: "","+8613800000001",145\r\n\r\nOK\r\n'
    assert e.boot(2).cmd(b"AT+CNUM\r") == b'AT+CNUM\r\r\n+CNUM: "","13900000000",129\r\n\r\nOK\r\n'


def test_no_number_stored_by_default(modem):
    assert modem.cmd(b"AT+CNUM\r") == b"AT+CNUM\r\r\nOK\r\n"
