"""USSD through the control socket and the Python package (README "USSD"):
answers set at run time, a menu, a network-initiated message, the log of
requests, and --timing real (the answer [timing] ussd_ms after the OK)."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "python"))
from sim800emu import Control, ControlError, Emulator  # noqa: E402

OK = b"\r\nOK\r\n"


def ask(m, code, urc):
    """AT+CUSD=1,"<code>": OK at once, the network's answer after it (at
    once under --timing fast, [timing] ussd_ms later under real)."""
    cmd = b'AT+CUSD=1,"' + code + b'"\r'
    m.exchange(cmd, cmd + OK + b"\r\n" + urc + b"\r\n", timeout=5)


@pytest.fixture
def net(controlled):
    """A modem and its control socket, under both timings (conftest.controlled)."""
    return controlled


def test_answers_set_at_run_time_and_a_menu(net):
    m, ctl = net
    assert ctl.request('ussd 0 answer code=*100# text="Баланс: 12,50 ₽"') == ""
    assert ctl.request('ussd 0 answer code=*5# text="1 Yes 2 No" more=1') == ""
    assert ctl.request('ussd 0 answer code=*5#>1 text="Done"') == ""
    ucs2 = "".join("%04X" % ord(c) for c in "Баланс: 12,50 ₽").encode()
    ask(m, b"*100#", b'+CUSD: 0,"' + ucs2 + b'",72')   # not GSM: UCS2, dcs 72
    ask(m, b"*5#", b'+CUSD: 1,"1 Yes 2 No",15')
    ask(m, b"1", b'+CUSD: 0,"Done",15')
    assert ctl.request("ussd 0 log") == '["*100#","*5#","1"]'
    assert ctl.request('ussd 0 push text="Network message"') == "shown"
    m.expect_exact(b'\r\n+CUSD: 0,"Network message",15\r\n')
    assert ctl.request("ussd 0 clear") == ""
    ask(m, b"*5#", b"+CUSD: 4")
    with pytest.raises(ControlError) as e:
        ctl.request("ussd 0 answer code=*1#")
    assert str(e.value) == "answer takes code= and text= [more=1]"


def test_the_python_package(tmp_path):
    with Emulator() as emu:
        m = emu.modems[0]
        m.ussd_answer("*101#", "Bonus: 5 MB", more=False)
        assert m.at('AT+CUSD=1,"*101#"').endswith("OK\r\n")
        assert m.expect('+CUSD: 0,"Bonus: 5 MB",15\r\n')
        m.ussd_push("Hello", more=True)
        assert m.expect('+CUSD: 1,"Hello",15\r\n')
        assert m.ussd_requests() == ["*101#"]


def test_words_that_cannot_take_effect_are_refused(net):
    """A mistyped key or value in a control request, or an answer in the
    profile that could never match, is refused with its reason."""
    m, ctl = net
    for bad, why in (
            ('ussd 0 answer code=*1# txt="x"', 'txt="x": not a key of answer'),
            ('ussd 0 answer code=*1# text=x more=yes', "more=: not a key of answer"),
            ('call 0 ring from=+100 form=+200', "form=+200: not a key of ring"),
            ("call 0 next outcome=busy ringms=5", "ringms=5: not a key of next"),
            ("location 0 latitude=5", "latitude=5: not a key of location"),
            ('sms 0 deliver from=+1 txt="x"', "txt=: not a key of deliver")):
        with pytest.raises(ControlError) as e:
            ctl.request(bad)
        assert str(e.value).startswith(why), (bad, str(e.value))


def test_a_profile_answer_that_is_not_code_text_stops_the_program():
    from conftest import run_cli
    r = run_cli("-s", "ussd.answers=*100#=ok|*101#")
    assert r.returncode == 1 and "[ussd] answers: '*101#' is not code=text" in r.stderr
