"""Drive sim800emu (a SIM800 GSM modem emulator) from Python.

    from sim800emu import Emulator
    with Emulator(modems=1) as emu:
        emu.control.add(modem=0, service="http", tls_alert="handshake_failure")
        port = emu.ports[0]            # "/dev/pts/N": open it with pyserial

The pytest plugin (sim800emu.pytest_plugin, registered as an entry point
when the package is installed) gives tests a `sim800` fixture."""
from .control import Control, ControlError, rule_spec
from .emulator import Emulator, Modem, Rule, find_binary

__all__ = ["Control", "ControlError", "Emulator", "Modem", "Rule", "find_binary", "rule_spec"]
__version__ = "0.1.0"
