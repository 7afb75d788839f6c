"""General commands with the default profile sim800l-r14.18 (SIM800 AT Command Manual V1.09 chapters 2, 3, 6 and 7)."""
import re

import pytest

from conftest import luhn_ok

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"


def info(line, *texts):
    """Echo of `line`, one V1 frame per text, then OK."""
    return line + b"".join(b"\r\n" + t + b"\r\n" for t in texts) + OK


def check(modem, line, *texts):
    modem.exchange(line, info(line, *texts))


# -- 4.1 identification ----------------------------------------------------------

@pytest.mark.parametrize("line,text", [
    (b"ATI\r", b"SIM800 R14.18"),
    (b"AT+GMI\r", b"SIMCOM_Ltd"),
    (b"AT+CGMI\r", b"SIMCOM_Ltd"),
    (b"AT+GMM\r", b"SIMCOM_SIM800L"),
    (b"AT+CGMM\r", b"SIMCOM_SIM800L"),
    (b"AT+GMR\r", b"Revision:1418B04SIM800L24"),
    (b"AT+CGMR\r", b"Revision:1418B04SIM800L24"),
    (b"AT+GOI\r", b"SIM800"),
    (b"AT+GCAP\r", b"+GCAP: +CGSM"),
])
def test_identity(modem, line, text):
    check(modem, line, text)


def test_gsv_three_lines_in_one_frame(modem):
    check(modem, b"AT+GSV\r", b"SIMCOM_Ltd\r\nSIMCOM_SIM800L\r\nRevision:1418B04SIM800L24")


@pytest.mark.parametrize("cmd", [b"AT+GSN\r", b"AT+CGSN\r"])
def test_imei_15_digits_luhn(modem, cmd):
    got = modem.cmd(cmd)
    m = re.fullmatch(re.escape(cmd) + rb"\r\n(\d{15})\r\n\r\nOK\r\n", got)
    assert m, f"{cmd!r} -> {got!r}"
    imei = m.group(1).decode()
    assert luhn_ok(imei), f"IMEI {imei} has an invalid Luhn check digit"


def test_gsn_and_cgsn_agree(modem):
    a = modem.cmd(b"AT+GSN\r")[len(b"AT+GSN\r"):]
    b = modem.cmd(b"AT+CGSN\r")[len(b"AT+CGSN\r"):]
    assert a == b


def test_imei_from_profile_override(emulator):
    _, m = emulator.modem("-s", "modem.imei=490154203237518")
    check(m, b"AT+GSN\r", b"490154203237518")
    check(m, b"AT+CGSN\r", b"490154203237518")


def test_cimi(modem):
    got = modem.cmd(b"AT+CIMI\r")
    assert re.fullmatch(rb"AT\+CIMI\r\r\n\d{15}\r\n\r\nOK\r\n", got), got
    check(modem, b"AT+CIMI\r", b"460008184101641")


def test_ccid(modem):
    got = modem.cmd(b"AT+CCID\r")
    assert re.fullmatch(rb"AT\+CCID\r\r\n[0-9A-F]{19,20}\r\n\r\nOK\r\n", got), got
    check(modem, b"AT+CCID\r", b"898600810906F8048812")


@pytest.mark.parametrize("name", [b"+GMI", b"+GMM", b"+GMR", b"+GOI", b"+GSN", b"+CGMI",
                                  b"+CGMM", b"+CGMR", b"+CGSN", b"+CIMI", b"+CCID"])
def test_identity_test_forms_ok(modem, name):
    line = b"AT" + name + b"=?\r"
    modem.exchange(line, line + OK)


def test_ati_override(emulator):
    _, m = emulator.modem("-s", "modem.ati=SIM800 R99.99 TEST")
    check(m, b"ATI\r", b"SIM800 R99.99 TEST")


# -- 4.4 signal and registration -----------------------------------------------------

def test_csq(modem):
    check(modem, b"AT+CSQ\r", b"+CSQ: 18,0")
    check(modem, b"AT+CSQ=?\r", b"+CSQ: (0-31,99),(0-7,99)")


def test_csq_from_profile(emulator):
    _, m = emulator.modem("-s", "network.rssi=25", "-s", "network.ber=3")
    check(m, b"AT+CSQ\r", b"+CSQ: 25,3")


def test_creg(modem):
    check(modem, b"AT+CREG?\r", b"+CREG: 0,1")
    check(modem, b"AT+CREG=?\r", b"+CREG: (0-2)")
    modem.exchange(b"AT+CREG=2\r", b"AT+CREG=2\r" + OK)
    check(modem, b"AT+CREG?\r", b'+CREG: 2,1,"1A2B","0F3C"')
    modem.exchange(b"AT+CREG=1\r", b"AT+CREG=1\r" + OK)
    check(modem, b"AT+CREG?\r", b"+CREG: 1,1")
    modem.exchange(b"AT+CREG=3\r", b"AT+CREG=3\r" + ERROR)


def test_cgreg(modem):
    check(modem, b"AT+CGREG?\r", b"+CGREG: 0,1")
    modem.exchange(b"AT+CGREG=2\r", b"AT+CGREG=2\r" + OK)
    check(modem, b"AT+CGREG?\r", b'+CGREG: 2,1,"1A2B","0F3C"')


def test_creg_without_sim(emulator):
    _, m = emulator.modem("-s", "sim.present=false", until=b"Call Ready\r\n")
    check(m, b"AT+CREG?\r", b"+CREG: 0,0")
    check(m, b"AT+COPS?\r", b"+COPS: 0")


def test_cops(modem):
    check(modem, b"AT+COPS?\r", b'+COPS: 0,0,"CHINA MOBILE"')
    modem.exchange(b"AT+COPS=3,2\r", b"AT+COPS=3,2\r" + OK)
    check(modem, b"AT+COPS?\r", b'+COPS: 0,2,"46000"')
    modem.exchange(b"AT+COPS=3,1\r", b"AT+COPS=3,1\r" + OK)
    check(modem, b"AT+COPS?\r", b'+COPS: 0,1,"CMCC"')


# -- 3.3 CFUN ------------------------------------------------------------------

def test_cfun_read_and_test(modem):
    check(modem, b"AT+CFUN?\r", b"+CFUN: 1")
    check(modem, b"AT+CFUN=?\r", b"+CFUN: (0,1,4),(0-1)")


def test_cfun_0_then_1(modem):
    # As captured (README "Power states"): the SIM's URC before OK; after
    # AT+CFUN=1, "SMS Ready" before "Call Ready" (the power-on order is the
    # other way round).
    modem.exchange(b"ATE0\r", b"ATE0\r" + OK)
    modem.exchange(b"AT+CFUN=0\r", b"\r\n+CPIN: NOT READY\r\n" + OK)
    modem.exchange(b"AT+CFUN?\r", b"\r\n+CFUN: 0\r\n" + OK)
    modem.write(b"AT+CFUN=1\r")
    got = modem.expect(b"Call Ready\r\n")
    assert got == b"\r\n+CPIN: READY\r\n" + OK + b"\r\nSMS Ready\r\n\r\nCall Ready\r\n"
    modem.assert_quiet(0.2)
    modem.exchange(b"AT+CFUN?\r", b"\r\n+CFUN: 1\r\n" + OK)


# -- 4.6 battery, clock -----------------------------------------------------------

def test_cbc(modem):
    check(modem, b"AT+CBC\r", b"+CBC: 0,82,4049")


def test_cbc_from_profile(emulator):
    _, m = emulator.modem("-s", "battery.status=1", "-s", "battery.percent=55",
                          "-s", "battery.millivolts=3800")
    check(m, b"AT+CBC\r", b"+CBC: 1,55,3800")


def test_cclk_fresh_module(modem):
    got = modem.cmd(b"AT+CCLK?\r")
    assert re.fullmatch(rb'AT\+CCLK\?\r\r\n\+CCLK: "04/01/01,00:0\d:\d\d\+00"\r\n\r\nOK\r\n',
                        got), got
    modem.exchange(b"AT+CCLK=?\r", b"AT+CCLK=?\r" + OK)


def test_cclk_write_then_read(modem):
    modem.exchange(b'AT+CCLK="24/05/17,14:03:21+08"\r', b'AT+CCLK="24/05/17,14:03:21+08"\r' + OK)
    got = modem.cmd(b"AT+CCLK?\r")
    assert re.fullmatch(rb'AT\+CCLK\?\r\r\n\+CCLK: "24/05/17,14:03:2[1-3]\+08"\r\n\r\nOK\r\n',
                        got), got


def test_clts(modem):
    check(modem, b"AT+CLTS?\r", b"+CLTS: 0")
    modem.exchange(b"AT+CLTS=1\r", b"AT+CLTS=1\r" + OK)
    check(modem, b"AT+CLTS?\r", b"+CLTS: 1")
    modem.exchange(b"AT+CLTS=2\r", b"AT+CLTS=2\r" + ERROR)


# -- 4.7 serial port and sleep -------------------------------------------------------

def test_ipr_fixed_rate_profile(modem):
    # The default profile stores a fixed 115200 (boot.ipr).
    check(modem, b"AT+IPR?\r", b"+IPR: 115200")


def test_ipr_autobaud_profile(emulator):
    e = emulator.start("-s", "boot.ipr=0")
    m = e.open()
    m.exchange(b"AT\r", b"AT\r" + OK)
    m.read_for(0.2)
    check(m, b"AT+IPR?\r", b"+IPR: 0")


def test_ifc_icf_csclk(modem):
    check(modem, b"AT+IFC?\r", b"+IFC: 0,0")
    modem.exchange(b"AT+IFC=2,2\r", b"AT+IFC=2,2\r" + OK)
    check(modem, b"AT+IFC?\r", b"+IFC: 2,2")
    modem.exchange(b"AT+IFC=1\r", b"AT+IFC=1\r" + OK)  # the second value stays
    check(modem, b"AT+IFC?\r", b"+IFC: 1,2")
    modem.exchange(b"AT+IFC=0,3\r", b"AT+IFC=0,3\r\r\nERROR\r\n")
    check(modem, b"AT+IFC?\r", b"+IFC: 1,2")
    modem.exchange(b"AT+IFC=2,2\r", b"AT+IFC=2,2\r" + OK)
    check(modem, b"AT+ICF?\r", b"+ICF: 3,255")
    check(modem, b"AT+CSCLK?\r", b"+CSCLK: 0")
    check(modem, b"AT+CSCLK=?\r", b"+CSCLK: (0-2)")
    modem.exchange(b"AT+CSCLK=2\r", b"AT+CSCLK=2\r" + OK)
    check(modem, b"AT+CSCLK?\r", b"+CSCLK: 2")


def test_cbatchk(modem):
    check(modem, b"AT+CBATCHK?\r", b"+CBATCHK: 0")
    modem.exchange(b"AT+CBATCHK=1\r", b"AT+CBATCHK=1\r" + OK)
    check(modem, b"AT+CBATCHK?\r", b"+CBATCHK: 1")


# -- 4.8 misc ------------------------------------------------------------------------

def test_cmgf(modem):
    check(modem, b"AT+CMGF?\r", b"+CMGF: 0")
    check(modem, b"AT+CMGF=?\r", b"+CMGF: (0,1)")
    modem.exchange(b"AT+CMGF=1\r", b"AT+CMGF=1\r" + OK)
    check(modem, b"AT+CMGF?\r", b"+CMGF: 1")


def test_cmgf_error_before_sms_ready(emulator):
    e = emulator.start("-s", "boot.sms_ready_ms=1500")
    m = e.open()
    m.expect(b"\r\nCall Ready\r\n", timeout=3)
    m.exchange(b"AT+CMGF=1\r", b"AT+CMGF=1\r" + ERROR)
    m.expect_exact(b"\r\nSMS Ready\r\n", timeout=4)
    m.exchange(b"AT+CMGF=1\r", b"AT+CMGF=1\r" + OK)


def test_cscs_cnmi(modem):
    check(modem, b"AT+CSCS?\r", b'+CSCS: "IRA"')
    check(modem, b"AT+CSCS=?\r", b'+CSCS: ("IRA","GSM","UCS2","HEX","PCCP","PCDN","8859-1")')
    check(modem, b"AT+CNMI?\r", b"+CNMI: 2,1,0,0,0")


def test_cscs_invalid_value_cme(modem):
    modem.exchange(b'AT+CSCS="TEST"\r', b'AT+CSCS="TEST"\r' + ERROR)
    modem.exchange(b"AT+CMEE=2\r", b"AT+CMEE=2\r" + OK)
    modem.exchange(b'AT+CSCS="TEST"\r',
                   b'AT+CSCS="TEST"\r\r\n+CME ERROR: invalid input value\r\n')
    modem.exchange(b"AT+CMEE=1\r", b"AT+CMEE=1\r" + OK)
    modem.exchange(b'AT+CSCS="TEST"\r', b'AT+CSCS="TEST"\r\r\n+CME ERROR: 765\r\n')


def test_clip(modem):
    got = modem.cmd(b"AT+CLIP?\r")
    assert re.fullmatch(rb"AT\+CLIP\?\r\r\n\+CLIP: 0,[012]\r\n\r\nOK\r\n", got), got
    check(modem, b"AT+CLIP=?\r", b"+CLIP: (0,1)")
    modem.exchange(b"AT+CLIP=1\r", b"AT+CLIP=1\r" + OK)
    got = modem.cmd(b"AT+CLIP?\r")
    assert re.fullmatch(rb"AT\+CLIP\?\r\r\n\+CLIP: 1,[012]\r\n\r\nOK\r\n", got), got


def test_cvhu(modem):
    modem.exchange(b"AT+CVHU=0\r", b"AT+CVHU=0\r" + OK)
    check(modem, b"AT+CVHU?\r", b"+CVHU: 0")
    check(modem, b"AT+CVHU=?\r", b"+CVHU: (0,1)")


def test_cpin_ready(modem):
    check(modem, b"AT+CPIN?\r", b"+CPIN: READY")
    modem.exchange(b"AT+CPIN=?\r", b"AT+CPIN=?\r" + OK)


# -- 4.5 packet domain -------------------------------------------------------------

def test_cgatt(modem):
    check(modem, b"AT+CGATT?\r", b"+CGATT: 1")
    check(modem, b"AT+CGATT=?\r", b"+CGATT: (0,1)")
    modem.exchange(b"AT+CGATT=2\r", b"AT+CGATT=2\r" + ERROR)


def test_cgdcont(modem):
    check(modem, b"AT+CGDCONT=?\r", b'+CGDCONT: (1-3),"IP",,,(0,1,2),(0,1)')
    modem.exchange(b'AT+CGDCONT=1,"IP","internet"\r', b'AT+CGDCONT=1,"IP","internet"\r' + OK)
    check(modem, b"AT+CGDCONT?\r", b'+CGDCONT: 1,"IP","internet","0.0.0.0",0,0')


def test_cgact(modem):
    check(modem, b"AT+CGACT=?\r", b"+CGACT: (0,1)")
    modem.exchange(b'AT+CGDCONT=1,"IP","internet"\r', b'AT+CGDCONT=1,"IP","internet"\r' + OK)
    check(modem, b"AT+CGACT?\r", b"+CGACT: 1,0")
    modem.exchange(b"AT+CGACT=1,1\r", b"AT+CGACT=1,1\r" + OK, timeout=5)
    check(modem, b"AT+CGACT?\r", b"+CGACT: 1,1")
    modem.exchange(b"AT+CGACT=0,1\r", b"AT+CGACT=0,1\r" + OK, timeout=5)
    check(modem, b"AT+CGACT?\r", b"+CGACT: 1,0")
    modem.exchange(b"AT+CGACT=2,1\r", b"AT+CGACT=2,1\r" + ERROR)


# -- 4.2 profile commands -----------------------------------------------------------

def test_and_v_lists_and_ends_ok(modem):
    got = modem.cmd(b"AT&V\r")
    assert got.startswith(b"AT&V\r\r\n"), got
    assert got.endswith(b"\r\n\r\nOK\r\n"), got
    body = got[len(b"AT&V\r\r\n"):-len(b"\r\n\r\nOK\r\n")]
    assert len(body.split(b"\r\n")) >= 5, got


def test_atz_restores_stored_settings(modem):
    modem.exchange(b"AT+CMEE=2\r", b"AT+CMEE=2\r" + OK)
    modem.exchange(b"ATS0=3\r", b"ATS0=3\r" + OK)
    modem.exchange(b"AT&W\r", b"AT&W\r" + OK)
    modem.exchange(b"AT+CMEE=0;S0=0;E0\r", b"AT+CMEE=0;S0=0;E0\r" + OK)
    modem.exchange(b"AT+CMEE?\r", b"\r\n+CMEE: 0\r\n" + OK)
    modem.exchange(b"ATZ\r", OK)
    # Echo is back on (stored E1), CMEE and S0 are the stored values.
    check(modem, b"AT+CMEE?\r", b"+CMEE: 2")
    check(modem, b"ATS0?\r", b"3")


def test_atz_with_echo_off_stored(modem):
    modem.exchange(b"ATE0&W\r", b"ATE0&W\r" + OK)
    modem.exchange(b"ATE1\r", OK)
    modem.exchange(b"AT\r", b"AT\r" + OK)
    modem.exchange(b"ATZ\r", b"ATZ\r" + OK)
    modem.exchange(b"AT\r", OK)


def test_atz_bad_value_and_and_f(modem):
    modem.exchange(b"ATZ1\r", b"ATZ1\r" + ERROR)
    modem.exchange(b"AT+CMEE=1\r", b"AT+CMEE=1\r" + OK)
    modem.exchange(b"AT&F\r", b"AT&F\r" + OK)
    check(modem, b"AT+CMEE?\r", b"+CMEE: 0")


def test_and_f_keeps_uart_settings(modem):
    modem.exchange(b"AT+IFC=2,2\r", b"AT+IFC=2,2\r" + OK)
    modem.exchange(b"AT&F\r", b"AT&F\r" + OK)
    check(modem, b"AT+IFC?\r", b"+IFC: 2,2")


def test_atx(modem):
    for n in range(5):
        line = b"ATX%d\r" % n
        modem.exchange(line, line + OK)
    modem.exchange(b"ATX5\r", b"ATX5\r" + ERROR)


def test_unsupported_form_is_error(modem):
    # AT+CBC has no write form; AT+GSV no test form (manual §3.2.52, §6.2.39).
    modem.exchange(b"AT+CBC=1\r", b"AT+CBC=1\r" + ERROR)
    modem.exchange(b"AT+CMEE=2\r", b"AT+CMEE=2\r" + OK)
    modem.exchange(b"AT+GSV=?\r", b"AT+GSV=?\r" + ERROR)


def test_cfun_1_with_network_time_as_captured(emulator):
    """The 2019 bizkit.ru capture: after AT+CFUN=1 with AT+CLTS=1, "SMS
    Ready", "Call Ready", then *PSUTTZ (UTC, the zone in quarters) and DST;
    that capture has no +CTZV ([network] ctzv = false)."""
    _, m = emulator.modem("-s", "network.ctzv=false", "-s", "network.tz_quarters=12")
    m.exchange(b"AT+CLTS=1\r", b"AT+CLTS=1\r" + OK)
    m.exchange(b"AT+CFUN=0\r", b"AT+CFUN=0\r\r\n+CPIN: NOT READY\r\n" + OK)
    m.write(b"AT+CFUN=1\r")
    got = m.expect(b"DST: 0\r\n")
    assert re.fullmatch(rb'AT\+CFUN=1\r\r\n\+CPIN: READY\r\n\r\nOK\r\n\r\nSMS Ready\r\n'
                        rb'\r\nCall Ready\r\n\r\n\*PSUTTZ: \d{4},\d+,\d+,\d+,\d+,\d+,"\+12",0\r\n'
                        rb'\r\nDST: 0\r\n', got), got
