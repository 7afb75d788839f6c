"""pytest plugin: the `sim800` fixture, a fresh emulated modem per test.

    def test_606(sim800):
        sim800.fail(cmd="+HTTPACTION", urc="+HTTPACTION: 0,606,0")
        port = serial.Serial(sim800.port, 115200, timeout=5)
        ...

Installed, the package registers this plugin by itself; from a checkout, add
`-p sim800emu.pytest_plugin` (with scripts/python on PYTHONPATH) or
`pytest_plugins = ["sim800emu.pytest_plugin"]` in a conftest.py.

The fixture reads the boot URCs off the port, so a test's first read starts
with its own command.  A URC the modem sends while no client has the port
open is lost, as on a real UART; the emulator notices a newly opened port
within 100 ms, so open the port before injecting a fault that prints one.

Override the `sim800_args` fixture for more emulator options (a --map to
your server, a profile), `sim800_faults` for --fault rules from the start."""
import pytest

from .emulator import Emulator


@pytest.fixture
def sim800_args():
    """Extra sim800emu options for the `sim800` fixture."""
    return []


@pytest.fixture
def sim800_faults():
    """--fault rules the `sim800` emulator starts with."""
    return []


@pytest.fixture
def sim800_emulator(sim800_args, sim800_faults):
    """The running Emulator behind `sim800` (stopped after the test; a
    non-zero exit status fails the test)."""
    emu = Emulator(args=sim800_args, faults=sim800_faults)
    try:
        emu.wait_ready()
        yield emu
    finally:
        rc = emu.stop()
    if rc != 0:
        pytest.fail("sim800emu exited with %s" % rc, pytrace=False)


@pytest.fixture
def sim800(sim800_emulator):
    """Modem 0, booted, its boot URCs read: .port is its /dev/pts path,
    .fail(...) injects a fault."""
    return sim800_emulator.modems[0]
