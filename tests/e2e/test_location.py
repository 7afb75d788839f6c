"""GSM location (README "GSM location"): AT+CIPGSMLOC (SIM800 AT Command
Manual V1.09 §13.2.1) and AT+CLBS as TinyGSM reads them, after the bearer
check, from the profile's [location] or the control socket; firmware
without AT+CLBS; a bad profile value refused at start."""
import re
import sys
from pathlib import Path

import pytest

from conftest import run_cli

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "python"))
from sim800emu import Control, ControlError, Emulator  # noqa: E402

OK = b"\r\nOK\r\n"
BEARER = (b'AT+SAPBR=3,1,"APN","cmnet"\r', b"AT+SAPBR=1,1\r")


def answer(m, cmd):
    got = m.cmd(cmd + b"\r", timeout=10)
    assert got.startswith(cmd + b"\r"), got
    return got[len(cmd) + 1:]


def test_positions_after_the_bearer_check(emulator, tmp_path):
    path = tmp_path / "ctl.sock"
    m = emulator.start("--control", path).boot()
    assert answer(m, b"AT+CIPGSMLOC=1,1") == b"\r\n+CIPGSMLOC: 601\r\n" + OK   # no bearer
    assert answer(m, b"AT+CLBS=1,1") == b"\r\n+CLBS: 3\r\n" + OK
    for line in BEARER:
        assert answer(m, line.rstrip(b"\r")) == OK
    got = answer(m, b"AT+CIPGSMLOC=1,1")
    assert re.fullmatch(rb"\r\n\+CIPGSMLOC: 0,121\.354848,31\.221402,20\d\d/\d\d/\d\d,"
                        rb"\d\d:\d\d:\d\d\r\n\r\nOK\r\n", got), got
    got = answer(m, b"AT+CIPGSMLOC=2,1")
    assert re.fullmatch(rb"\r\n\+CIPGSMLOC: 0,20\d\d/\d\d/\d\d,\d\d:\d\d:\d\d\r\n\r\nOK\r\n", got)
    assert answer(m, b"AT+CLBS=1,1") == b"\r\n+CLBS: 0,121.354848,31.221402,550\r\n" + OK
    with Control(path) as ctl:
        assert ctl.request("location 0 lon=13.4050 lat=52.52 accuracy=120") == \
            "13.405000,52.520000,120"
        got = answer(m, b"AT+CLBS=4,1")     # TinyGSM's getGsmLocation: yy/MM/dd,hh:mm:ss
        assert re.fullmatch(rb"\r\n\+CLBS: 0,13\.405000,52\.520000,120,\d\d/\d\d/\d\d,"
                            rb"\d\d:\d\d:\d\d\r\n\r\nOK\r\n", got), got
        ctl.request("location 0 fail=404")
        assert answer(m, b"AT+CIPGSMLOC=1,1") == b"\r\n+CIPGSMLOC: 404\r\n" + OK
        ctl.request("location 0 fail=0")
        assert answer(m, b"AT+CIPGSMLOC=2,1").startswith(b"\r\n+CIPGSMLOC: 0,")
        with pytest.raises(ControlError):
            ctl.request("location 0 lat=91")
    assert answer(m, b"AT+CLBS=2,1") == b"\r\nERROR\r\n"


def test_tinygsm_under_real_timing(emulator):
    """--timing real: the answer comes [timing] location_ms after the
    command, before its OK, as TinyGSM waits for it (60 s at most)."""
    m = emulator.start("--timing", "real").boot()
    for line in BEARER:
        m.exchange(line + b"\n", line + OK, timeout=5)
    m.exchange(b"AT+CLBS=4,1\r\n", b"AT+CLBS=4,1\r", timeout=1)
    got = m.expect(b"OK\r\n", timeout=10)
    assert re.fullmatch(rb"\r\n\+CLBS: 0,121\.354848,31\.221402,550,\d\d/\d\d/\d\d,"
                        rb"\d\d:\d\d:\d\d\r\n\r\nOK\r\n", got), got


def test_firmware_without_clbs(emulator):
    _, m = emulator.modem("-p", "sim800-r13.08")
    assert answer(m, b"AT+CLBS=1,1") == b"\r\nERROR\r\n"
    assert answer(m, b"AT+CIPGSMLOC=?") == b"\r\n+CIPGSMLOC: (1,2),(1-3)\r\n" + OK


def test_a_bad_position_in_the_profile_is_refused():
    r = run_cli("-s", "location.latitude=north", "--timing", "fast")
    assert r.returncode == 1     # the modem cannot be made: the program stops
    assert "[location] latitude north: not a number of degrees -90..90" in r.stderr


def test_the_python_package():
    with Emulator() as emu:
        m = emu.modems[0]
        assert m.set_location(lat=48.8566, lon=2.3522, accuracy=50) == (2.3522, 48.8566, 50)
        m.at('AT+SAPBR=3,1,"APN","cmnet"')
        m.at("AT+SAPBR=1,1", expect="OK")
        m.at("AT+CLBS=1,1", expect="+CLBS: 0,2.352200,48.856600,50")
