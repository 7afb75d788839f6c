"""pytest plugin: the `sim800` fixture, a fresh emulated modem per test.

    def test_606(sim800):
        rule = sim800.fail(cmd="+HTTPACTION", urc="+HTTPACTION: 0,606,0")
        sim800.at("AT+HTTPINIT", expect="OK")
        ...
        assert rule.fired == 1

Installed, the package registers this plugin by itself; from a checkout, add
`-p sim800emu.pytest_plugin` (with scripts/python on PYTHONPATH) or
`pytest_plugins = ["sim800emu.pytest_plugin"]` in a conftest.py.

The fixture reads the boot URCs off the port, so a test's first read starts
with its own command.  A URC the modem sends while no client has the port
open is lost, as on a real UART; the emulator notices a newly opened port
within 100 ms, so open the port before injecting a fault that prints one.

Override the `sim800_args` fixture for more emulator options (a --map to
your server, a profile), `sim800_faults` for --fault rules from the start.
For a test of the real TLS path, `sim800_https` / `sim800_tls_echo` start a
local server with the test PKI and `sim800_start(map={...})` a modem that
reaches it under the name the firmware uses and trusts the PKI's root.

At teardown every rule that never fired is reported (a rule that cannot
match what the test did: the wrong service, tag or verb): a warning, or a
failure with `--sim800-unfired=error`."""
import os
import warnings

import pytest

from .emulator import Emulator
from .servers import HTTPSServer, TLSEchoServer, find_pki


def pytest_addoption(parser):
    parser.addoption("--sim800-unfired", choices=("warn", "error", "ignore"), default="warn",
                     help="what a sim800emu fault rule that never fired in a test does at "
                          "teardown (default: warn)")


class UnfiredRuleWarning(pytest.PytestWarning):
    """A fault rule of the test's emulator never fired."""


def _stop(request, emu):
    """Stops emu; reports its unfired rules as --sim800-unfired says.
    Returns the failure texts."""
    problems = []
    unfired = []
    try:
        unfired = emu.unfired_rules()
    except (OSError, ConnectionError):
        pass  # the emulator is gone: its exit status says why
    rc = emu.stop()
    if rc != 0:
        problems.append("sim800emu exited with %s: %s" % (rc, emu.stderr()[-2000:]))
    mode = request.config.getoption("--sim800-unfired", default="warn")
    for r in unfired:
        text = "sim800emu fault rule %d never fired (matched %d): %s" % (
            r["id"], r["matched"], r["spec"])
        if mode == "error":
            problems.append(text)
        elif mode == "warn":
            warnings.warn(UnfiredRuleWarning(text))
    return problems


@pytest.fixture
def sim800_args():
    """Extra sim800emu options for the `sim800` fixture."""
    return []


@pytest.fixture
def sim800_faults():
    """--fault rules the `sim800` emulator starts with."""
    return []


@pytest.fixture
def sim800_emulator(request, sim800_args, sim800_faults):
    """The running Emulator behind `sim800` (stopped after the test; a
    non-zero exit status fails the test)."""
    emu = Emulator(args=sim800_args, faults=sim800_faults)
    try:
        emu.wait_ready()
        yield emu
    finally:
        problems = _stop(request, emu)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def sim800(sim800_emulator):
    """Modem 0, booted, its boot URCs read: .port is its /dev/pts path,
    .fail(...) injects a fault, .at(...) and .expect(...) talk to it."""
    return sim800_emulator.modems[0]


@pytest.fixture(scope="session")
def sim800_pki(tmp_path_factory):
    """The test PKI (certs/gen.sh), once per session: root.crt and the
    server certificates.  $SIM800EMU_PKI_DIR keeps one PKI for every session
    (gen.sh makes it once and locks while it does: parallel sessions, e.g.
    pytest-xdist's workers, share it instead of each making its own)."""
    shared = os.environ.get("SIM800EMU_PKI_DIR")
    return find_pki(shared if shared else tmp_path_factory.mktemp("sim800-pki"))


def _server_factory(cls, pki):
    started = []

    def start(*args, **kwargs):
        srv = cls(pki, *args, **kwargs)
        started.append(srv)
        return srv

    return start, started


@pytest.fixture
def sim800_https(sim800_pki):
    """Starts HTTPS servers: sim800_https(cert_name="www.gmail.com",
    files={"/": b"..."}, tls="legacy"|"modern") -> HTTPSServer (.port)."""
    start, started = _server_factory(HTTPSServer, sim800_pki)
    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def sim800_tls_echo(sim800_pki):
    """Starts TLS echo servers: sim800_tls_echo(cert_name="tls.example.test")."""
    start, started = _server_factory(TLSEchoServer, sim800_pki)
    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def sim800_start(request, sim800_pki):
    """Starts a modem that reaches local servers by the names the firmware
    uses: sim800_start(map={"www.gmail.com:443": server_or_port},
    faults=[...], args=[...]) -> Modem, booted.  Every destination not in
    the map is refused (--only-mapped) and the PKI's root is trusted."""
    emulators = []

    def start(map=None, faults=(), args=()):
        argv = ["--only-mapped", "--ca-file", str(sim800_pki / "root.crt")]
        for name, target in (map or {}).items():
            port = target if isinstance(target, int) else target.port
            argv += ["-m", "%s=127.0.0.1:%d" % (name, port)]
        emu = Emulator(args=argv + list(args), faults=faults)
        emulators.append(emu)
        emu.wait_ready()
        return emu.modems[0]

    yield start
    problems = []
    for emu in emulators:
        problems += _stop(request, emu)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
