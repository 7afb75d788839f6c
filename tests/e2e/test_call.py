"""Voice calls, the control side (README "Voice calls"): ATD/ATA/ATH and the
call commands as the SIM800 AT Command Manual V1.09 §2.2 and §3.2 give
them; the far end is the emulator, steered through the control socket; no
audio.  Client-facing flows run under both timings."""
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "python"))
from sim800emu import Control, ControlError, Emulator  # noqa: E402

OK = b"\r\nOK\r\n"


def ok(m, cmd):
    m.exchange(cmd + b"\r", cmd + b"\r" + OK, timeout=5)


@pytest.fixture
def phone(controlled):
    """A modem and its control socket, under both timings (conftest.controlled)."""
    return controlled


def test_an_outgoing_call_answered_then_ended_by_the_far_end(phone):
    m, ctl = phone
    ok(m, b"AT+CLCC=1")
    ctl.request("call 0 next outcome=answer ring_ms=0")
    number = b'"+8613918180000",145,""'
    m.exchange(b"ATD+8613918180000;\r", b"ATD+8613918180000;\r" + OK +   # COLP=0: OK at once
               b"\r\n+CLCC: 1,0,2,0,0," + number + b"\r\n", timeout=5)   # dialing
    m.expect_exact(b"\r\n+CLCC: 1,0,3,0,0," + number + b"\r\n"                # alerting
                   b"\r\n+CLCC: 1,0,0,0,0," + number + b"\r\n", timeout=5)  # active at once
    assert ctl.status()["modems"][0]["call"] == {"state": "active", "dir": "out",
                                                 "number": "+8613918180000"}
    m.exchange(b'AT+VTS="1,2,#"\r', b'AT+VTS="1,2,#"\r' + OK)
    assert ctl.request("call 0 hangup") == ""
    m.expect_exact(b"\r\n+CLCC: 1,0,6,0,0," + number + b"\r\n\r\nNO CARRIER\r\n")
    m.exchange(b"AT+CEER\r", b"AT+CEER\r\r\n+CEER: Normal call clearing\r\n" + OK)
    assert json.loads(ctl.request("call 0 log")) == [
        "dial +8613918180000", "answered by +8613918180000", "dtmf 12#", "far end hung up"]


@pytest.mark.parametrize("outcome, text, cause", [
    ("busy", b"BUSY", b"17"), ("no-answer", b"NO ANSWER", b"19"),
    ("no-carrier", b"NO CARRIER", b"34")])
def test_an_outgoing_call_that_fails(emulator, tmp_path, outcome, text, cause):
    path = tmp_path / "ctl.sock"
    m = emulator.start("--control", path).boot()
    with Control(path) as ctl:
        ctl.request("call 0 next outcome=%s ring_ms=0" % outcome)
        m.exchange(b"ATD112;\r", b"ATD112;\r" + OK)
        m.expect_exact(b"\r\n" + text + b"\r\n", timeout=5)
        m.exchange(b"AT+CEER=1;+CEER\r", b"AT+CEER=1;+CEER\r\r\n+CEER: Cause:" + cause +
                   b"\r\n" + OK)
        # AT+COLP=1: ATD waits, and the outcome is its final result.
        ok(m, b"AT+COLP=1")
        ctl.request("call 0 next outcome=%s ring_ms=0" % outcome)
        m.exchange(b"ATD112;\r", b"ATD112;\r\r\n" + text + b"\r\n", timeout=5)
        if outcome == "busy":   # ATX below 3 does not tell busy apart (V.250 6.2.7)
            ok(m, b"ATX0")
            ctl.request("call 0 next outcome=busy ring_ms=0")
            m.exchange(b"ATD112;\r", b"ATD112;\r\r\nNO CARRIER\r\n", timeout=5)


def test_colp_1_answers_ok_when_the_far_end_picks_up(emulator, tmp_path):
    path = tmp_path / "ctl.sock"
    m = emulator.start("--control", path, "-s", "call.ring_ms=60000").boot()
    ok(m, b"AT+COLP=1")
    m.write(b"ATD+4930123456;\r")
    m.expect(b"ATD+4930123456;\r")
    m.assert_quiet(0.3)                           # the far end rings for a minute...
    with Control(path) as ctl:
        ctl.request("call 0 answer")              # ...until the control socket picks up
    m.expect_exact(b'\r\n+COLP: "+4930123456",145,"",0,""\r\n' + OK)
    m.exchange(b"AT+CHUP\r", b"AT+CHUP\r" + OK)
    m.exchange(b"AT+CLCC\r", b"AT+CLCC\r" + OK)


def test_an_incoming_call_rings_with_clip_and_is_answered(phone):
    m, ctl = phone
    ok(m, b"AT+CLIP=1")
    assert ctl.request("call 0 ring from=+4917012345678") == "ringing"
    m.expect_exact(b'\r\nRING\r\n\r\n+CLIP: "+4917012345678",145,"",0,"",0\r\n')
    m.exchange(b"AT+CLCC\r", b'AT+CLCC\r\r\n+CLCC: 1,1,4,0,0,"+4917012345678",145,""\r\n' + OK)
    with pytest.raises(ControlError):
        ctl.request("call 0 ring from=+100")      # one call at a time
    ok(m, b"ATA")
    m.exchange(b"AT+CLCC\r", b'AT+CLCC\r\r\n+CLCC: 1,1,0,0,0,"+4917012345678",145,""\r\n' + OK)
    ok(m, b"ATH")
    m.assert_quiet(0.2)                           # a local hang-up prints no NO CARRIER


def test_the_caller_gives_up_and_the_far_end_hangs_up(emulator, tmp_path):
    path = tmp_path / "ctl.sock"
    m = emulator.start("--control", path, "-s", "call.ring_s=3", "-s", "call.talk_s=1",
                       "-s", "call.ring_ms=0").boot()
    with Control(path) as ctl:
        ctl.request("call 0 ring from=123")
        m.expect_exact(b"\r\nRING\r\n")
        m.expect_exact(b"\r\nNO CARRIER\r\n", timeout=5)   # RING each 3 s; gone after ring_s
        m.exchange(b"ATA\r", b"ATA\r\r\nNO CARRIER\r\n")
    m.exchange(b"ATD5550100;\r", b"ATD5550100;\r" + OK)
    m.expect_exact(b"\r\nNO CARRIER\r\n", timeout=5)       # answered, then talk_s = 1


def test_refusals(emulator):
    _, m = emulator.modem()
    m.exchange(b"ATD5550100\r", b"ATD5550100\r\r\nNO CARRIER\r\n")   # no ';': a data call
    m.exchange(b"ATDX;\r", b"ATDX;\r\r\nERROR\r\n")
    m.exchange(b"ATDL\r", b"ATDL\r\r\nERROR\r\n")                   # nothing dialed yet
    m.exchange(b"AT+VTS=1\r", b"AT+VTS=1\r\r\nERROR\r\n")           # no call
    m.exchange(b"ATH1\r", b"ATH1\r\r\nERROR\r\n")
    m.exchange(b"AT+CFUN=0\r", b"AT+CFUN=0\r\r\n+CPIN: NOT READY\r\n" + OK)
    m.exchange(b"ATD5550100;\r", b"ATD5550100;\r\r\nERROR\r\n")     # manual §20.3


def test_tinygsm_call_functions_as_the_library_sends_them():
    """TinyGSM's callNumber, dtmfSend and callHangup (TinyGsmClientSIM800.h),
    through the Python package as a user's test would drive them."""
    with Emulator() as emu:
        m = emu.modems[0]
        m.at("AT+CLCC=1")
        m.at("ATD+380000000000;", expect="OK")
        assert m.expect('+CLCC: 1,0,0,0,0,"+380000000000",145,""')   # answered after ring_ms
        m.at("AT+VTD=1")
        m.at("AT+VTS=5", expect="OK")
        m.at("ATH", expect="OK")


def test_call_ready_follows_the_sim_and_the_radio(phone, emulator):
    """AT+CCALR (manual §6.2.38) and "Call Ready" are the call service's:
    ready after the boot, not after AT+CFUN=0, ready again after AT+CFUN=1
    (whose "Call Ready" follows "SMS Ready", as captured); with a PIN asked,
    ready only after AT+CPIN; "Call Ready" not shown under AT+CIURC=0."""
    m, _ = phone
    m.exchange(b"AT+CCALR=?\r", b"AT+CCALR=?\r\r\n+CCALR: (0,1)\r\n" + OK)
    m.exchange(b"AT+CCALR?\r", b"AT+CCALR?\r\r\n+CCALR: 1\r\n" + OK)
    m.write(b"AT+CFUN=0\r")
    m.expect(OK, timeout=15)
    m.exchange(b"AT+CCALR?\r", b"AT+CCALR?\r\r\n+CCALR: 0\r\n" + OK)
    m.write(b"AT+CFUN=1\r")
    m.expect(b"\r\nSMS Ready\r\n\r\nCall Ready\r\n", timeout=15)
    m.exchange(b"AT+CCALR?\r", b"AT+CCALR?\r\r\n+CCALR: 1\r\n" + OK)

    p = emulator.start("-s", "sim.pin=1234").boot(until=b"+CPIN: SIM PIN\r\n")
    p.exchange(b"AT+CCALR?\r", b"AT+CCALR?\r\r\n+CCALR: 0\r\n" + OK)
    p.exchange(b"AT+CIURC=0\r", b"AT+CIURC=0\r" + OK)
    p.exchange(b'AT+CPIN="1234"\r', b'AT+CPIN="1234"\r' + OK + b"\r\n+CPIN: READY\r\n"
               b"\r\nSMS Ready\r\n")
    p.exchange(b"AT+CCALR?\r", b"AT+CCALR?\r\r\n+CCALR: 1\r\n" + OK)
