"""sim800emu, the Python package (scripts/python/): rule_spec, the control client, the
emulator wrapper and the pytest plugin's fixtures, against the real binary."""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import serial

HERE = Path(__file__).resolve().parent
PKG = HERE.parent
sys.path.insert(0, str(PKG))  # importable from the checkout

from sim800emu import Control, ControlError, Emulator, find_binary, rule_spec  # noqa: E402
# The plugin's fixtures, as a user's conftest.py would take them.
from sim800emu.pytest_plugin import sim800, sim800_args, sim800_emulator, sim800_faults  # noqa: E402,F401


def test_rule_spec():
    assert rule_spec("dns", service="http") == "dns service=http"
    assert rule_spec(service="http", tls_alert="handshake_failure", count=1) == \
        "service=http tls-alert=handshake_failure count=1"
    assert rule_spec(cmd="+HTTPACTION", urc="+HTTPACTION: 0,606,0") == \
        'cmd=+HTTPACTION urc="+HTTPACTION: 0,606,0"'
    assert rule_spec(reboot=True, delay=None, skip=False) == "reboot"
    assert rule_spec(cmd="+X", result='say "hi" \\ bye') == 'cmd=+X result="say \\"hi\\" \\\\ bye"'


def test_binary_is_found():
    assert find_binary().is_file()


def test_emulator_control_and_port():
    with Emulator(modems=2) as emu:
        assert len(emu.ports) == 2 and all(p.startswith("/dev/") for p in emu.ports)
        emu.wait_ready()
        st = emu.control.status()
        assert [m["port"] for m in st["modems"]] == emu.ports
        rid = emu.modems[1].fail(cmd="+CSQ", result="+CME ERROR: 3")
        assert emu.control.rules()[0]["spec"] == 'cmd=+CSQ result="+CME ERROR: 3" modem=1'
        port = serial.Serial(emu.ports[1], 115200, timeout=5)
        port.write(b"AT+CMEE=1\r")
        assert port.read_until(b"OK\r\n").endswith(b"OK\r\n")
        port.write(b"AT+CSQ\r")
        assert port.read_until(b"+CME ERROR: 3\r\n") == b"AT+CSQ\r\r\n+CME ERROR: 3\r\n"
        assert emu.control.clear(rid) == 1
        with pytest.raises(ControlError, match="unknown key 'nonsense'"):
            emu.control.add("nonsense")
        # A second client at the same time.
        with Control(emu.control_path) as other:
            assert other.status()["modems"][0]["index"] == 0
    assert emu.proc.returncode == 0
    assert not os.path.exists(emu.control_path)


def test_faults_from_the_start():
    with Emulator(faults=["cmd=+CGMI result=ERROR count=always"]) as emu:
        emu.wait_ready()
        assert emu.boot_urcs.endswith(b"SMS Ready\r\n")
        port = serial.Serial(emu.ports[0], 115200, timeout=5)
        port.write(b"AT+CGMI\r")
        assert port.read_until(b"ERROR\r\n") == b"AT+CGMI\r\r\nERROR\r\n"


def test_bad_fault_fails_to_start():
    with pytest.raises(RuntimeError, match="exited with 2"):
        Emulator(faults=["bogus"])


def test_fixture(sim800):
    assert sim800.index == 0 and sim800.port.startswith("/dev/")
    port = serial.Serial(sim800.port, 115200, timeout=5)
    # A URC to nobody is lost, and the emulator notices a new client by
    # polling (every 100 ms at most): wait for it before the URC.
    time.sleep(0.25)
    assert sim800.fail("under-voltage") == 1
    assert port.read_until(b"WARNNING\r\n") == b"\r\nUNDER-VOLTAGE WARNNING\r\n"
    port.write(b"AT\r")
    assert port.read_until(b"OK\r\n") == b"AT\r\r\nOK\r\n"
    assert sim800.status()["power"] == "on"


def test_sms_delivered_read_by_the_device_and_its_answer_recorded(sim800):
    """The README's SMS example: the network's side in Python, the device's
    over the port, as a pyserial driver talks to a module."""
    port = serial.Serial(sim800.port, 115200, timeout=5)
    port.write(b"AT+CMGF=1\r")                     # answered: the port is ours now
    assert port.read_until(b"OK\r\n") == b"AT+CMGF=1\r\r\nOK\r\n"
    assert sim800.deliver_sms("+4917012345678", "STATUS?", time="26/12/07,10:00:00+04") == 1
    assert port.read_until(b"\r\n+CMTI: \"SM\",1\r\n").endswith(b'+CMTI: "SM",1\r\n')
    port.write(b"AT+CMGR=1\r")
    assert port.read_until(b"OK\r\n") == (
        b'AT+CMGR=1\r\r\n+CMGR: "REC UNREAD","+4917012345678","","26/12/07,10:00:00+04"\r\n'
        b"STATUS?\r\n\r\nOK\r\n")
    port.write(b'AT+CMGS="+4917012345678"\r')
    assert port.read_until(b"> ").endswith(b"\r\n> ")
    port.write(b"OK 12.1V\x1a")
    assert port.read_until(b"OK\r\n").endswith(b"\r\n+CMGS: 0\r\n\r\nOK\r\n")
    (sent,) = sim800.sent_sms()
    assert (sent["to"], sent["text"], sent["mr"]) == ("+4917012345678", "OK 12.1V", [0])
    sim800.clear_sent_sms()
    assert sim800.sent_sms() == []
    with pytest.raises(ControlError):
        sim800.deliver_sms(pdu="00")


class TestFixtureOverrides:
    @pytest.fixture
    def sim800_faults(self):
        return ["cmd=+CSQ result=ERROR count=always"]

    def test_fixture_with_faults(self, sim800):
        port = serial.Serial(sim800.port, 115200, timeout=5)
        port.write(b"AT+CSQ\r")
        assert port.read_until(b"ERROR\r\n") == b"AT+CSQ\r\r\nERROR\r\n"


def test_pip_installs_the_package_with_its_plugin(tmp_path):
    """pip install (offline: no build isolation, no dependencies) into a
    target directory; the package imports from there and declares the
    pytest plugin entry point."""
    # pip builds in place: copy the project so the checkout stays clean.
    src = tmp_path / "src"
    subprocess.run(["cp", "-r", str(PKG), str(src)], check=True)
    subprocess.run(["rm", "-rf", str(src / "tests")], check=True)
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
                        "--no-index", "--quiet", "--target", str(target), str(src)],
                       capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    assert r.returncode == 0, r.stderr
    assert (target / "sim800emu" / "pytest_plugin.py").is_file()
    eps = list(target.glob("sim800emu-*.dist-info/entry_points.txt"))
    assert eps and "sim800emu = sim800emu.pytest_plugin" in eps[0].read_text()
    r = subprocess.run([sys.executable, "-c", "import sim800emu, sys; print(sim800emu.__file__)"],
                       capture_output=True, text=True, cwd=tempfile.gettempdir(),
                       env=dict(os.environ, PYTHONPATH=str(target)))
    assert r.returncode == 0 and r.stdout.startswith(str(target)), r
