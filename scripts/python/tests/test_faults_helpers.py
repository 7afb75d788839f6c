"""The package's helpers for a user's fault tests (README "From Python and pytest"): the
rule handle, the AT helper, the local TLS servers with the test PKI, and the
report of rules that never fired, against the real binary."""
import os
import sys
import textwrap
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PKG))  # importable from the checkout

from sim800emu import Rule  # noqa: E402
# The plugin's fixtures, as a user's conftest.py would take them.
from sim800emu.pytest_plugin import (sim800, sim800_args, sim800_emulator, sim800_faults,  # noqa: E402,F401
                                     sim800_https, sim800_pki, sim800_start, sim800_tls_echo)

pytest_plugins = ["pytester"]

BEARER = ('AT+SAPBR=3,1,"Contype","GPRS"', 'AT+SAPBR=3,1,"APN","CMNET"', "AT+SAPBR=1,1")


def https_get(modem, urc):
    """The SSL note's example 3.5 over an open bearer, up to the URC `urc`."""
    for cmd in ("AT+HTTPINIT", 'AT+HTTPPARA="CID",1', 'AT+HTTPPARA="URL","www.gmail.com"',
                "AT+HTTPSSL=1", "AT+HTTPACTION=0"):
        modem.at(cmd, expect="\r\nOK\r\n")
    assert modem.expect(urc, timeout=20) == "\r\n" + urc
    modem.at("AT+HTTPTERM", expect="OK")


def test_rule_handle_and_at_helper(sim800):
    rule = sim800.fail(cmd="+CSQ", result="+CME ERROR: 3", count=2)
    assert isinstance(rule, Rule) and rule == 1 and rule.fired == 0
    assert sim800.at("AT+CMEE=1") == "AT+CMEE=1\r\r\nOK\r\n"
    assert sim800.at("AT+CSQ", expect="+CME ERROR: 3") == "AT+CSQ\r\r\n+CME ERROR: 3\r\n"
    assert rule.wait_fired(timeout=5) == 1 and rule.matched == 1
    with pytest.raises(AssertionError, match="not containing"):
        sim800.at("AT+CSQ", expect="+CSQ:")
    assert rule.fired == 2
    with pytest.raises(TimeoutError, match="fired 2 of 3"):
        rule.wait_fired(timeout=0.2, times=3)


def test_https_server_and_the_real_606(sim800_https, sim800_start):
    web = sim800_https(cert_name="www.gmail.com", files={"/": b"x" * 1000})
    modem = sim800_start(map={"www.gmail.com:443": web})
    for cmd in BEARER:
        modem.at(cmd, expect="\r\nOK\r\n")
    https_get(modem, "+HTTPACTION: 0,200,1000\r\n")
    assert web.requests[0][:2] == ("GET", "/")
    rule = modem.fail(service="http", tls_alert="handshake_failure")
    https_get(modem, "+HTTPACTION: 0,606,0\r\n")
    assert rule.fired == 1 and len(web.requests) == 1   # the server saw no second request


def test_tls_echo_server(sim800_tls_echo, sim800_start):
    echo = sim800_tls_echo()
    modem = sim800_start(map={"tls.example.test:443": echo})
    for cmd in ('AT+CSTT="CMNET"', "AT+CIICR"):
        modem.at(cmd, expect="OK")
    modem.serial().write(b"AT+CIFSR\r")    # answers the address, no OK
    modem.expect("10.78.245.128\r\n")
    modem.at("AT+CIPSSL=1", expect="OK")
    modem.at('AT+CIPSTART="TCP","tls.example.test",443', expect="OK")
    modem.expect("CONNECT OK")
    modem.serial().write(b"AT+CIPSEND=5\r")
    modem.expect("> ")
    modem.serial().write(b"hello")
    assert modem.expect("hello").endswith("SEND OK\r\nhello")
    assert bytes(echo.received) == b"hello"


def test_unfired_rules_are_reported(pytester, monkeypatch):
    """A rule that can never match what the test does is named at teardown:
    a warning by default, a failure with --sim800-unfired=error."""
    monkeypatch.setenv("PYTHONPATH", str(PKG) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    pytester.makepyfile(textwrap.dedent("""
        def test_wrong_rule(sim800):
            sim800.fail(service="smtp", tls_alert="none")   # the test sends no mail
            sim800.at("AT", expect="OK")
    """))
    r = pytester.runpytest_subprocess("-p", "sim800emu.pytest_plugin", "-W", "default")
    r.assert_outcomes(passed=1, warnings=1)
    r.stdout.fnmatch_lines(["*fault rule 1 never fired (matched 0): service=smtp tls-alert=none*"])
    r = pytester.runpytest_subprocess("-p", "sim800emu.pytest_plugin", "--sim800-unfired=error")
    r.assert_outcomes(passed=1, errors=1)
    r.stdout.fnmatch_lines(["*fault rule 1 never fired*"])
