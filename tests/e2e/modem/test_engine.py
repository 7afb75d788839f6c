"""The command-line engine: prefix, line ends, echo, framing, chains, errors
(SIM800 AT Command Manual V1.09 §1.4, §2.2.7, §2.2.25, §19.1)."""
import random

import pytest

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"


# -- 1.1 / 1.2: prefix, termination, echo ------------------------------------

def test_at_cr_echo_and_ok(modem):
    modem.exchange(b"AT\r", b"AT\r\r\nOK\r\n")


def test_at_crlf_swallows_the_lf(modem):
    # As Arduino drivers expect: the LF of a "\r\n" ending is neither echoed nor a line.
    modem.exchange(b"AT\r\n", b"AT\r\r\nOK\r\n")
    modem.assert_quiet(0.2)
    modem.exchange(b"AT+CSQ\r\n", b"AT+CSQ\r\r\n+CSQ: 18,0\r\n\r\nOK\r\n")


def test_crlf_client_reading_to_the_second_crlf_sees_ok(modem):
    # The Arduino driver Adafruit FONA relies on: send "AT\r\n", read until the
    # second CRLF, look for OK in what it read.
    modem.write(b"AT\r\n")
    got = b""
    while got.count(b"\r\n") < 2:
        got += modem.expect(b"\r\n")
    assert b"OK" in got, got
    modem.assert_quiet(0.2)


def test_lf_of_crlf_arriving_late_is_swallowed(modem):
    # The LF in a later write than its CR (a slow UART): still not echoed.
    modem.exchange(b"AT\r", b"AT\r\r\nOK\r\n")
    modem.write(b"\n")
    modem.assert_quiet(0.2)
    modem.exchange(b"AT\r", b"AT\r\r\nOK\r\n")


def test_crlf_in_chains_and_a_slash(modem):
    modem.exchange(b"AT+CGMI;+CSQ\r\n",
                   b"AT+CGMI;+CSQ\r\r\nSIMCOM_Ltd\r\n\r\n+CSQ: 18,0\r\n\r\nOK\r\n")
    # A/ needs no terminator; a "\r\n" a client adds after it is stray.
    modem.exchange(b"A/\r\n", b"A/\r\nSIMCOM_Ltd\r\n\r\n+CSQ: 18,0\r\n\r\nOK\r\n")
    modem.assert_quiet(0.2)


def test_crlf_ate0_line_is_echoed_without_its_lf(modem):
    modem.exchange(b"ATE0\r\n", b"ATE0\r" + OK)
    modem.exchange(b"AT\r\n", OK)
    modem.exchange(b"ATE1\r\n", OK)
    modem.exchange(b"AT\r\n", b"AT\r" + OK)


def test_crlf_before_a_data_prompt_is_not_data(modem):
    # The LF is swallowed with its line, so it never becomes the first data byte.
    path = b"C:\\User\\crlf.txt"
    modem.exchange(b"AT+FSCREATE=%s\r\n" % path, b"AT+FSCREATE=%s\r" % path + OK)
    cmd = b"AT+FSWRITE=%s,0,3,10" % path
    modem.exchange(cmd + b"\r\n", cmd + b"\r\r\n> ")
    modem.exchange(b"abc", OK)   # FSWRITE data is not echoed
    cmd = b"AT+FSREAD=%s,0,3,0" % path
    modem.exchange(cmd + b"\r\n", cmd + b"\r\r\nabc\r\nOK\r\n")


def test_crlf_on_a_paced_port_is_not_data(emulator):
    # Paced (--timing real), the port hands the modem what has crossed the
    # wire so far; a "\r\n" written at once still crosses together, so the
    # '\n' never becomes the first byte of the prompt's data (TinyGSM's
    # AT+CIPSEND and AT+CMGS lines).  A '\n' sent after the prompt is data.
    m = emulator.start("--timing", "real").boot()
    path = b"C:\\User\\paced.txt"
    m.exchange(b"AT+FSCREATE=%s\r\n" % path, b"AT+FSCREATE=%s\r" % path + OK)
    for i in range(8):
        cmd = b"AT+FSWRITE=%s,%d,3,10" % (path, min(i, 1))
        m.exchange(cmd + b"\r\n", cmd + b"\r\r\n> ")
        m.exchange(b"ab\n" if i == 7 else b"abc", OK)
    cmd = b"AT+FSREAD=%s,0,24,0" % path
    m.exchange(cmd + b"\r\n", cmd + b"\r\r\n" + b"abc" * 7 + b"ab\n\r\nOK\r\n")


def test_lf_only_line_end(modem):
    # A lone LF ends the line and is echoed as received (as a SIM800L PyPI driver relies on; the echo is our choice where the manual is silent).
    modem.exchange(b"AT\n", b"AT\n\r\nOK\r\n")
    modem.exchange(b"ATI\n", b"ATI\n\r\nSIM800 R14.18\r\n\r\nOK\r\n")


@pytest.mark.parametrize("prefix", [b"at", b"aT", b"At"])
def test_prefix_case(modem, prefix):
    modem.exchange(prefix + b"\r", prefix + b"\r" + OK)


def test_lower_and_mixed_case_commands(modem):
    modem.exchange(b"at+csq\r", b"at+csq\r\r\n+CSQ: 18,0\r\n\r\nOK\r\n")
    modem.exchange(b"aT+CgMi\r", b"aT+CgMi\r\r\nSIMCOM_Ltd\r\n\r\nOK\r\n")
    modem.exchange(b"ati\r", b"ati\r\r\nSIM800 R14.18\r\n\r\nOK\r\n")


def test_empty_line_is_silent(modem):
    modem.write(b"\r")
    modem.assert_quiet(0.2)
    modem.write(b"\r\n\n")
    modem.assert_quiet(0.2)
    modem.exchange(b"AT\r", b"AT\r\r\nOK\r\n")


def test_ate0_next_line_not_echoed(modem):
    # The ATE0 line itself is still echoed (echo decided per character).
    modem.exchange(b"ATE0\r", b"ATE0\r\r\nOK\r\n")
    modem.exchange(b"AT\r", OK)
    modem.exchange(b"ATI\r", b"\r\nSIM800 R14.18\r\n\r\nOK\r\n")
    # ATE1 typed with echo off is not echoed; the next line is.
    modem.exchange(b"ATE1\r", OK)
    modem.exchange(b"AT\r", b"AT\r\r\nOK\r\n")


def test_ate_without_digit_means_e0(modem):
    modem.exchange(b"ATE\r", b"ATE\r\r\nOK\r\n")
    modem.exchange(b"AT\r", OK)


# -- 1.3 ATV, 2.2 ATQ ----------------------------------------------------------

def test_atv0_numeric_results(modem):
    modem.exchange(b"ATV0\r", b"ATV0\r0\r")
    modem.exchange(b"AT\r", b"AT\r0\r")
    # Information text is "text\r\n" under V0.
    modem.exchange(b"AT+CSQ\r", b"AT+CSQ\r+CSQ: 18,0\r\n0\r")
    modem.exchange(b"ATI\r", b"ATI\rSIM800 R14.18\r\n0\r")
    modem.exchange(b"AT+NOSUCHCMD\r", b"AT+NOSUCHCMD\r4\r")
    modem.exchange(b"ATV1\r", b"ATV1\r\r\nOK\r\n")
    modem.exchange(b"AT\r", b"AT\r\r\nOK\r\n")


def test_atv0_with_echo_off(modem):
    modem.exchange(b"ATE0V0\r", b"ATE0V0\r0\r")
    modem.exchange(b"AT+CSQ\r", b"+CSQ: 18,0\r\n0\r")
    modem.exchange(b"AT+NOSUCHCMD\r", b"4\r")


def test_atq1_suppresses_results(modem):
    modem.write(b"ATQ1\r")
    assert modem.read_for(0.3) == b"ATQ1\r"
    modem.write(b"AT\r")
    assert modem.read_for(0.3) == b"AT\r"
    # Information text is still sent.
    modem.write(b"ATI\r")
    assert modem.read_for(0.3) == b"ATI\r\r\nSIM800 R14.18\r\n"
    modem.write(b"AT+NOSUCHCMD\r")
    assert modem.read_for(0.3) == b"AT+NOSUCHCMD\r"
    modem.exchange(b"ATQ0\r", b"ATQ0\r\r\nOK\r\n")
    modem.exchange(b"AT\r", b"AT\r\r\nOK\r\n")


# -- 2.4 CMEE ------------------------------------------------------------------

def test_cmee_forms(modem):
    modem.exchange(b"AT+CMEE=?\r", b"AT+CMEE=?\r\r\n+CMEE: (0-2)\r\n\r\nOK\r\n")
    modem.exchange(b"AT+CMEE?\r", b"AT+CMEE?\r\r\n+CMEE: 0\r\n\r\nOK\r\n")
    modem.exchange(b"AT+CMEE=2\r", b"AT+CMEE=2\r\r\nOK\r\n")
    modem.exchange(b"AT+CMEE?\r", b"AT+CMEE?\r\r\n+CMEE: 2\r\n\r\nOK\r\n")
    modem.exchange(b"AT+CMEE=3\r", b"AT+CMEE=3\r" + ERROR)


def test_cmee_levels_with_cme_error(emulator):
    _, m = emulator.modem("-s", "sim.present=false", until=b"Call Ready\r\n")
    m.exchange(b"ATE0\r", b"ATE0\r" + OK)
    m.exchange(b"AT+CPIN?\r", ERROR)
    m.exchange(b"AT+CMEE=1\r", OK)
    m.exchange(b"AT+CPIN?\r", b"\r\n+CME ERROR: 10\r\n")
    m.exchange(b"AT+CIMI\r", b"\r\n+CME ERROR: 10\r\n")
    m.exchange(b"AT+CMEE=2\r", OK)
    m.exchange(b"AT+CPIN?\r", b"\r\n+CME ERROR: SIM not inserted\r\n")
    m.exchange(b"AT+CMEE=0\r", OK)
    m.exchange(b"AT+CPIN?\r", ERROR)


def test_cme_error_under_v0(emulator):
    _, m = emulator.modem("-s", "sim.present=false", until=b"Call Ready\r\n")
    m.exchange(b"ATE0V0;+CMEE=1\r", b"ATE0V0;+CMEE=1\r0\r")
    # +CME ERROR stays text, with information-text framing (manual §2.2.25; the V0 framing is our choice where the manual is silent).
    m.exchange(b"AT+CPIN?\r", b"+CME ERROR: 10\r\n")


def test_unknown_command_plain_error_whatever_cmee(modem):
    modem.exchange(b"ATE0\r", b"ATE0\r" + OK)
    for n in (0, 1, 2):
        modem.exchange(b"AT+CMEE=%d\r" % n, OK)
        modem.exchange(b"AT+XYZZY\r", ERROR)
        modem.exchange(b"AT+XYZZY=1\r", ERROR)
        modem.exchange(b"AT+XYZZY?\r", ERROR)


def test_unknown_command_error(modem):
    modem.exchange(b"AT+FOO\r", b"AT+FOO\r" + ERROR)
    modem.exchange(b"AT+FOO=?\r", b"AT+FOO=?\r" + ERROR)
    modem.exchange(b"AT\r", b"AT\r" + OK)


# -- 1.5 chains --------------------------------------------------------------

def test_extended_chain(modem):
    modem.exchange(b"AT+CGMI;+CGMM\r",
                   b"AT+CGMI;+CGMM\r\r\nSIMCOM_Ltd\r\n\r\nSIMCOM_SIM800L\r\n\r\nOK\r\n")


def test_gsv_gsn_chain(emulator):
    _, m = emulator.modem("-s", "modem.imei=864369032292264")
    m.exchange(b"AT+GSV;+GSN\r",
               b"AT+GSV;+GSN\r\r\nSIMCOM_Ltd\r\nSIMCOM_SIM800L\r\n"
               b"Revision:1418B04SIM800L24\r\n\r\n864369032292264\r\n\r\nOK\r\n")


def test_basic_chain_ate0_and_w(modem):
    modem.exchange(b"ATE0&W\r", b"ATE0&W\r" + OK)
    modem.exchange(b"AT\r", OK)


def test_basic_chain_with_s_register(modem):
    modem.exchange(b"ATE1Q0S0=1V1X4\r", b"ATE1Q0S0=1V1X4\r" + OK)
    modem.exchange(b"ATS0?\r", b"ATS0?\r\r\n1\r\n\r\nOK\r\n")


def test_factory_default_chain_one_ok(modem):
    modem.exchange(b"AT&FZE0&W\r", b"AT&FZE0&W\r\r\nOK\r\n")
    modem.exchange(b"AT\r", OK)


def test_extended_then_basic_after_semicolon(modem):
    modem.exchange(b"AT+CSQ;E0\r", b"AT+CSQ;E0\r\r\n+CSQ: 18,0\r\n\r\nOK\r\n")
    modem.exchange(b"AT\r", OK)


def test_manual_chain_example(modem):
    # manual §1.4.4: the manual's own example line.
    line = b"ATE1Q0S0=1S3=13V1X4;+IFC=0,0;+IPR=115200;&W\r"
    modem.exchange(line, line + OK)


def test_error_mid_chain_stops_the_rest(modem):
    modem.exchange(b"AT+CGMI;+XYZZY;+CGMM\r",
                   b"AT+CGMI;+XYZZY;+CGMM\r\r\nSIMCOM_Ltd\r\n\r\nERROR\r\n")
    modem.assert_quiet(0.2)
    # The command after the failing one did not run.
    modem.exchange(b"AT+CMEE=1;+XYZZY;+CMEE=2\r", b"AT+CMEE=1;+XYZZY;+CMEE=2\r" + ERROR)
    modem.exchange(b"AT+CMEE?\r", b"AT+CMEE?\r\r\n+CMEE: 1\r\n\r\nOK\r\n")


def test_error_mid_basic_chain(modem):
    # X9 is out of range; the E0 after it must not run.
    modem.exchange(b"ATV1X9E0\r", b"ATV1X9E0\r" + ERROR)
    modem.assert_quiet(0.2)
    modem.exchange(b"AT\r", b"AT\r" + OK)


# -- 1.1 spaces, A/, backspace, length ------------------------------------------

def test_spaces_around_equals(modem):
    modem.exchange(b"AT+CMGF = 1\r", b"AT+CMGF = 1\r" + OK)
    modem.exchange(b"AT+CMGF?\r", b"AT+CMGF?\r\r\n+CMGF: 1\r\n\r\nOK\r\n")


def test_space_in_basic_command(modem):
    modem.exchange(b"AT E0\r", b"AT E0\r" + OK)
    modem.exchange(b"AT\r", OK)


def test_a_slash_repeats_previous_line(modem):
    modem.exchange(b"ATI\r", b"ATI\r\r\nSIM800 R14.18\r\n\r\nOK\r\n")
    # No CR needed; echo is "A/" then the repeated line's answer.
    modem.exchange(b"A/", b"A/\r\nSIM800 R14.18\r\n\r\nOK\r\n")
    modem.exchange(b"AT+CSQ\r", b"AT+CSQ\r\r\n+CSQ: 18,0\r\n\r\nOK\r\n")
    modem.exchange(b"A/", b"A/\r\n+CSQ: 18,0\r\n\r\nOK\r\n")


def test_a_slash_without_previous_line(modem):
    modem.exchange(b"A/", b"A/" + OK)


def test_backspace_edits_the_line(modem):
    # Echo is the received bytes as-is; BS deletes one character.
    modem.exchange(b"ATX\x08I\r", b"ATX\x08I\r\r\nSIM800 R14.18\r\n\r\nOK\r\n")
    modem.exchange(b"AT+CSQQ\x08\r", b"AT+CSQQ\x08\r\r\n+CSQ: 18,0\r\n\r\nOK\r\n")


def test_line_of_556_characters_runs(modem):
    body = b"E1" * 277 + b"E0"          # 556 characters after AT
    assert len(body) == 556
    modem.exchange(b"AT" + body + b"\r", b"AT" + body + b"\r" + OK)
    modem.exchange(b"AT\r", OK)         # the final E0 ran


def test_line_of_557_characters_is_error(modem):
    body = b"E1" * 277 + b"E" + b"E0"   # 557 characters after AT
    assert len(body) == 557
    modem.exchange(b"AT" + body + b"\r", b"AT" + body + b"\r" + ERROR)
    modem.exchange(b"AT\r", b"AT\r" + OK)   # nothing ran: echo still on


def test_overlong_line_600_then_at_ok(modem):
    body = b"E0" * 300
    modem.write(b"AT" + body + b"\r")
    got = modem.expect(ERROR)
    assert got == b"AT" + body + b"\r" + ERROR
    modem.assert_quiet(0.2)
    modem.exchange(b"AT\r", b"AT\r" + OK)


def _garbage(seed, n=2000):
    rnd = random.Random(seed)
    # No 'A'/'a': those would start a command line (manual §1.4).
    data = bytes(b for b in (rnd.randrange(256) for _ in range(n)) if b not in b"Aa")
    return b"\x00\xff" + data + b"\x00\xff\xfe\x80\x00"


def test_binary_garbage_then_at_ok(modem):
    modem.write(_garbage(1))
    modem.write(b"\r")
    modem.read_for(0.3)
    modem.exchange(b"AT\r", b"AT\r" + OK)
    modem.exchange(b"ATI\r", b"ATI\r\r\nSIM800 R14.18\r\n\r\nOK\r\n")


def test_binary_garbage_is_discarded_silently(modem):
    # Characters before A/a that do not begin a command are discarded.
    modem.write(_garbage(2))
    modem.assert_quiet(0.3)
    modem.exchange(b"AT\r", b"AT\r" + OK)


def test_nul_and_lf_before_at(modem):
    modem.exchange(b"\x00\n\x00AT\r", b"AT\r" + OK)


# -- 1.6 S registers ------------------------------------------------------------

@pytest.mark.parametrize("reg,value", [(0, 0), (3, 13), (4, 10), (5, 8), (6, 2),
                                       (7, 60), (8, 2), (10, 15)])
def test_s_register_defaults(modem, reg, value):
    line = b"ATS%d?\r" % reg
    modem.exchange(line, line + b"\r\n%d\r\n" % value + OK)


def test_s_register_write(modem):
    modem.exchange(b"ATS0=2\r", b"ATS0=2\r" + OK)
    modem.exchange(b"ATS0?\r", b"ATS0?\r\r\n2\r\n\r\nOK\r\n")
    modem.exchange(b"ATS7=30\r", b"ATS7=30\r" + OK)
    modem.exchange(b"ATS7?\r", b"ATS7?\r\r\n30\r\n\r\nOK\r\n")
    # Omitted value assigns the default.
    modem.exchange(b"ATS0=\r", b"ATS0=\r" + OK)
    modem.exchange(b"ATS0?\r", b"ATS0?\r\r\n0\r\n\r\nOK\r\n")


def test_s_register_out_of_range(modem):
    modem.exchange(b"ATS3=10\r", b"ATS3=10\r" + ERROR)   # only 13 supported
    modem.exchange(b"ATS0=256\r", b"ATS0=256\r" + ERROR)
    modem.exchange(b"ATS3?\r", b"ATS3?\r\r\n13\r\n\r\nOK\r\n")
