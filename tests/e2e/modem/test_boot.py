"""Power-on, reset and power-down (SIM800 AT Command Manual V1.09 §3.2.42, §6.2.2, §19.3)."""
import time

from conftest import BOOT_FIXED

OK = b"\r\nOK\r\n"


def timed_boot_args(ipr, rdy, cpin, call, sms, reset=300):
    return ("-s", f"boot.ipr={ipr}", "-s", f"boot.rdy_ms={rdy}", "-s", f"boot.cpin_ms={cpin}",
            "-s", f"boot.call_ready_ms={call}", "-s", f"boot.sms_ready_ms={sms}",
            "-s", f"boot.reset_ms={reset}")


def test_boot_sequence_fixed_baud(emulator):
    e = emulator.start()
    m = e.open()
    got = m.expect(b"SMS Ready\r\n")
    assert got == BOOT_FIXED
    m.assert_quiet(0.3)
    m.exchange(b"AT\r", b"AT\r" + OK)


def test_boot_sequence_timing(emulator):
    t0 = time.monotonic()
    e = emulator.start(*timed_boot_args(115200, 200, 400, 600, 800), fast=False)
    m = e.open()
    seen = []
    for urc in (b"\r\nRDY\r\n", b"\r\n+CFUN: 1\r\n", b"\r\n+CPIN: READY\r\n",
                b"\r\nCall Ready\r\n", b"\r\nSMS Ready\r\n"):
        got = m.expect(urc, timeout=4)
        assert got == urc, f"before {urc!r}: {got!r}"
        seen.append(time.monotonic() - t0)
    # Each at (or after) its configured time; never earlier.
    assert seen[0] >= 0.18, seen
    assert seen[2] >= 0.38, seen
    assert seen[3] >= 0.58, seen
    assert seen[4] >= 0.78, seen
    m.assert_quiet(0.2)


def test_boot_autobaud_no_rdy_lost_urcs(emulator):
    # boot.ipr=0: no RDY / +CFUN; URCs due before the first AT are lost.
    e = emulator.start("-s", "boot.ipr=0")
    m = e.open()
    m.assert_quiet(0.4)
    m.exchange(b"AT\r", b"AT\r" + OK)
    m.assert_quiet(0.3)


def test_boot_autobaud_later_urcs_follow_first_at(emulator):
    e = emulator.start(*timed_boot_args(0, 0, 900, 1100, 1300), fast=False)
    m = e.open()
    m.exchange(b"AT\r", b"AT\r" + OK)
    got = m.expect(b"SMS Ready\r\n", timeout=4)
    assert got == b"\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n"
    m.assert_quiet(0.2)


def test_boot_without_sim(emulator):
    e = emulator.start("-s", "sim.present=false")
    m = e.open()
    got = m.expect(b"Call Ready\r\n")
    assert got == b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: NOT INSERTED\r\n\r\nCall Ready\r\n"
    m.assert_quiet(0.4)   # no SMS Ready without a SIM


def test_boot_with_sim_pin(emulator):
    e = emulator.start("-s", "sim.pin=1234")
    m = e.open()
    got = m.expect(b"+CPIN: SIM PIN\r\n")
    assert got == b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: SIM PIN\r\n"
    m.assert_quiet(0.3)
    m.exchange(b"ATE0;+CMEE=1\r", b"ATE0;+CMEE=1\r" + OK)
    m.exchange(b"AT+CPIN?\r", b"\r\n+CPIN: SIM PIN\r\n" + OK)
    m.exchange(b'AT+CPIN="0000"\r', b"\r\n+CME ERROR: 16\r\n")
    m.write(b'AT+CPIN="1234"\r')
    got = m.expect(b"SMS Ready\r\n")
    assert got == OK + b"\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n"
    m.exchange(b"AT+CPIN?\r", b"\r\n+CPIN: READY\r\n" + OK)


def test_cfun_reset_echo_back_on(emulator):
    e = emulator.start("-s", "boot.reset_ms=500")
    m = e.boot()
    m.exchange(b"ATE0;+CMEE=2\r", b"ATE0;+CMEE=2\r" + OK)   # not stored
    t0 = time.monotonic()
    m.write(b"AT+CFUN=1,1\r")
    m.assert_quiet(0.35)                  # silent while resetting
    got = m.expect(b"SMS Ready\r\n", timeout=4)
    assert time.monotonic() - t0 >= 0.45
    assert got == OK + BOOT_FIXED
    m.assert_quiet(0.2)
    # Settings are the &W profile again: echo on, CMEE 0.
    m.exchange(b"AT\r", b"AT\r" + OK)
    m.exchange(b"AT+CMEE?\r", b"AT+CMEE?\r\r\n+CMEE: 0\r\n" + OK)


def test_cfun_reset_echo_on_line_is_echoed_first(emulator):
    e = emulator.start("-s", "boot.reset_ms=400")
    m = e.boot()
    m.write(b"AT+CFUN=1,1\r")
    assert m.read_for(0.3) == b"AT+CFUN=1,1\r"
    got = m.expect(b"SMS Ready\r\n", timeout=4)
    assert got == OK + BOOT_FIXED


def test_cfun_reset_keeps_stored_echo_off(emulator):
    e = emulator.start("-s", "boot.reset_ms=300")
    m = e.boot()
    m.exchange(b"ATE0&W\r", b"ATE0&W\r" + OK)
    m.write(b"AT+CFUN=1,1\r")
    got = m.expect(b"SMS Ready\r\n", timeout=4)
    assert got == OK + BOOT_FIXED
    m.exchange(b"AT\r", OK)


def test_cpowd_normal(modem):
    modem.exchange(b"AT+CPOWD=1\r", b"AT+CPOWD=1\r\r\nNORMAL POWER DOWN\r\n")
    modem.assert_quiet(0.3)
    modem.write(b"AT\r")
    modem.assert_quiet(0.5)   # off: no echo, no answer
    modem.write(b"ATI\r")
    modem.assert_quiet(0.3)


def test_cpowd_urgent(modem):
    modem.write(b"AT+CPOWD=0\r")
    assert modem.read_for(0.4) == b"AT+CPOWD=0\r"
    modem.write(b"AT\r")
    modem.assert_quiet(0.4)
