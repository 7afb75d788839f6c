"""How the SIMCom service commands fail (README "Errors and resets"): a
wrong state or parameter, or a form the command lacks, is a plain ERROR under
AT+CMEE=0 and "+CME ERROR: 3" (operation not allowed) under AT+CMEE=1/2 in
every service family alike (TCP/IP, bearer, HTTP, FTP, mail), as real
modules answer in users' logs (tests/golden/state_*.txt); an unknown command
stays a plain ERROR, and so do the general commands' own errors.  A fault
rule's result= text stands as written."""
import pytest

FAILING = [
    b"AT+SAPBR=0,1",            # bearer: close a bearer that is not open
    b"AT+CIPCLOSE",             # TCP/IP: no link
    b"AT+CIPSTART=\"TCP\"",     # TCP/IP: parameters missing
    b"AT+HTTPACTION=0",         # HTTP: not initialised
    b"AT+HTTPACTION=7",         # HTTP: out of range
    b"AT+FTPGET=2,100",         # FTP: no session
    b"AT+FTPSCONT=?",           # FTP: a form the command lacks
    b"AT+SMTPBODY=0",           # mail: out of range
    b"AT+POP3READ=100",         # mail: no session
]


@pytest.mark.parametrize("cmd", FAILING)
def test_service_errors_follow_cmee(emulator, cmd):
    _, m = emulator.modem()
    m.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n")
    m.exchange(cmd + b"\r", b"\r\nERROR\r\n")
    m.exchange(b"AT+CMEE=1\r", b"\r\nOK\r\n")
    m.exchange(cmd + b"\r", b"\r\n+CME ERROR: 3\r\n")
    m.exchange(b"AT+CMEE=2\r", b"\r\nOK\r\n")
    m.exchange(cmd + b"\r", b"\r\n+CME ERROR: operation not allowed\r\n")


def test_unknown_and_general_commands_stay_plain(emulator):
    _, m = emulator.modem()
    m.exchange(b"ATE0;+CMEE=2\r", b"ATE0;+CMEE=2\r\r\nOK\r\n")
    m.exchange(b"AT+NOSUCH\r", b"\r\nERROR\r\n")
    m.exchange(b"ATE7\r", b"\r\nERROR\r\n")


def test_the_profile_key_keeps_plain_error(emulator):
    _, m = emulator.modem("-s", "at.service_errors_cme=false")
    m.exchange(b"ATE0;+CMEE=2\r", b"ATE0;+CMEE=2\r\r\nOK\r\n")
    for cmd in FAILING:
        m.exchange(cmd + b"\r", b"\r\nERROR\r\n")


def test_a_fault_result_stands_as_written(emulator):
    _, m = emulator.modem("--fault", "cmd=+FTPSTATE result=ERROR")
    m.exchange(b"ATE0;+CMEE=2\r", b"ATE0;+CMEE=2\r\r\nOK\r\n")
    m.exchange(b"AT+FTPSTATE\r", b"\r\nERROR\r\n")
