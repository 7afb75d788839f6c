"""The net light (SIM800 AT Command Manual V1.09 §6.2.48 AT+SLEDS, §6.2.51
AT+CNETLIGHT, §6.2.55 AT+CSGS): a service of its own (README "Adding a
service"), which shows every part of the seam: its commands, its AT&W
settings (saved, restored by ATZ and a power cycle, reset by AT&F), its
member of the control socket's `status`, and its control request."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "scripts" / "python"))
from sim800emu import Control, ControlError  # noqa: E402

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"


def read(m, cmd, *lines):
    m.exchange(cmd + b"\r", cmd + b"\r" + b"".join(b"\r\n" + x for x in lines) + b"\r\n" + OK)


def ok(m, cmd):
    m.exchange(cmd + b"\r", cmd + b"\r" + OK)


@pytest.fixture
def lit(emulator, tmp_path):
    """A modem with a control socket: (emulator, port, control)."""
    path = tmp_path / "ctl.sock"
    emu = emulator.start("--control", path)
    m = emu.boot()
    with Control(path) as ctl:
        yield emu, m, ctl


def shown(ctl, modem=0):
    return ctl.status()["modems"][modem]["netlight"]


def test_commands_and_their_forms(lit):
    _, m, _ = lit
    read(m, b"AT+CNETLIGHT=?", b"+CNETLIGHT: (0,1)")
    read(m, b"AT+SLEDS=?", b"+SLEDS: (1-3),(0,40-65535),(0,40-65535)")
    read(m, b"AT+CSGS=?", b"+CSGS: (0-2)")
    read(m, b"AT+SLEDS?", b"+SLEDS: 1,64,800", b"+SLEDS: 2,64,3000", b"+SLEDS: 3,64,300")
    read(m, b"AT+CSGS?", b"+CSGS: 1")
    ok(m, b"AT+SLEDS=2,100,2000")
    ok(m, b"AT+SLEDS=1,0,800")            # 0: the light stays off in that state
    read(m, b"AT+SLEDS?", b"+SLEDS: 1,0,800", b"+SLEDS: 2,100,2000", b"+SLEDS: 3,64,300")
    for bad in (b"AT+SLEDS=4,64,800", b"AT+SLEDS=2,39,800", b"AT+SLEDS=2,64,65536",
                b"AT+SLEDS=2,64", b"AT+CSGS=3", b"AT+CNETLIGHT=2"):
        m.exchange(bad + b"\r", bad + b"\r" + ERROR)


def test_the_pattern_follows_the_settings_and_the_network(lit):
    """Registered: 64 ms on, 3000 ms off; the light off with AT+CNETLIGHT=0;
    a PDP context up (AT+CGACT): 64/300, forced by AT+CSGS=1 and AT+SLEDS's
    mode 3 under AT+CSGS=2; searching after AT+CFUN=0 takes mode 1."""
    _, m, ctl = lit
    assert shown(ctl) == "64/3000"
    assert ctl.request("netlight 0") == "64/3000 registered"
    ok(m, b"AT+CNETLIGHT=0")
    assert shown(ctl) == "off" and ctl.request("netlight 0") == "off registered"
    ok(m, b"AT+CNETLIGHT=1")
    ok(m, b'AT+CGDCONT=1,"IP","cmnet"')
    ok(m, b"AT+CGACT=1,1")
    assert ctl.request("netlight 0") == "64/300 data"
    ok(m, b"AT+SLEDS=3,200,200")
    assert shown(ctl) == "64/300"         # AT+CSGS=1 forces 64/300
    ok(m, b"AT+CSGS=2")
    assert shown(ctl) == "200/200"
    ok(m, b"AT+CSGS=0")
    assert ctl.request("netlight 0") == "64/3000 registered"
    m.write(b"AT+CFUN=0\r")
    m.expect(b"\r\n+CPIN: NOT READY\r\n")
    assert ctl.request("netlight 0") == "64/800 searching"


def test_at_w_saves_atz_and_a_power_cycle_restore_at_f_resets(lit):
    _, m, ctl = lit
    ok(m, b"AT+CNETLIGHT=0")
    ok(m, b"AT+SLEDS=2,80,1000")
    ok(m, b"AT&W")
    ok(m, b"AT+CNETLIGHT=1")
    ok(m, b"AT+SLEDS=2,90,900")
    ok(m, b"ATZ")                          # back to what AT&W saved
    read(m, b"AT+CNETLIGHT?", b"+CNETLIGHT: 0")
    read(m, b"AT+SLEDS?", b"+SLEDS: 1,64,800", b"+SLEDS: 2,80,1000", b"+SLEDS: 3,64,300")
    ok(m, b"AT+CNETLIGHT=1")
    m.write(b"AT+CFUN=1,1\r")              # a power cycle loads the saved ones too
    m.expect(b"SMS Ready\r\n", timeout=15)
    m.take()
    read(m, b"AT+CNETLIGHT?", b"+CNETLIGHT: 0")
    ok(m, b"AT&F")                         # factory values, and (the default
    read(m, b"AT+CNETLIGHT?", b"+CNETLIGHT: 1")  # [at] factory_resets_saved) stored too
    ok(m, b"ATZ")
    read(m, b"AT+SLEDS?", b"+SLEDS: 1,64,800", b"+SLEDS: 2,64,3000", b"+SLEDS: 3,64,300")


def test_the_control_request_names_a_modem(emulator, tmp_path):
    path = tmp_path / "ctl.sock"
    emu = emulator.start("--control", path, n=2)
    m1 = emu.boot(1)
    ok(m1, b"AT+CNETLIGHT=0")
    with Control(path) as ctl:
        assert ctl.request("netlight 0") == "64/3000 registered"
        assert ctl.request("netlight 1") == "off registered"
        assert ctl.request("netlight modem=1") == "off registered"
        first = "netlight takes a modem index 0 to 1 first (or modem=N among its words)"
        for bad, why in (("netlight", first), ("netlight 2", first), ("netlight x", first),
                         ("netlight modem=2", first),
                         ("netlight 0 more", "netlight takes a modem index and nothing else")):
            with pytest.raises(ControlError) as e:
                ctl.request(bad)
            assert str(e.value) == why
        assert "netlight MODEM" in ctl.request("help")
