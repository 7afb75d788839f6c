"""SMS (SIM800 AT Command Manual V1.09 ch. 4; README "SMS"): messages
delivered through the control socket and read by the device in text and PDU
mode, indications as AT+CNMI asks, messages sent and recorded, the store
across reboots and restarts.  PDUs are checked with python-gammu, a codec
written apart from ours (Debian's python3-gammu)."""
import binascii
import json
import re
import sys
import time
from pathlib import Path

import gammu
import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "scripts" / "python"))
from sim800emu import Control, ControlError  # noqa: E402

OK = b"\r\nOK\r\n"
SCTS = rb'"\d\d/\d\d/\d\d,\d\d:\d\d:\d\d\+32"'   # now, in the profile's zone (+8 h)


def ok(m, cmd):
    m.exchange(cmd + b"\r", cmd + b"\r" + OK)


def answer(m, cmd):
    """The answer to a command, its echo taken off."""
    got = m.cmd(cmd + b"\r")
    assert got.startswith(cmd + b"\r"), got
    return got[len(cmd) + 1:]


def send_data(m, cmd, data, final=OK):
    """A command with a "> " prompt, its data, then what follows up to final."""
    m.write(cmd + b"\r")
    m.expect(cmd + b"\r\r\n> ")
    m.write(data)
    return m.expect(final)


@pytest.fixture
def sms(controlled):
    """A modem and its control socket, under both timings (conftest.controlled)."""
    return controlled


def pdu_of(listing):
    """The PDUs of a +CMGR/+CMGL/+CMT answer in PDU mode, decoded by gammu."""
    return [gammu.DecodePDU(binascii.unhexlify(h))
            for h in re.findall(rb"\r\n([0-9A-F]{20,})\r\n", listing)]


def test_a_delivered_message_is_announced_read_listed_and_deleted(sms):
    m, ctl = sms
    assert ctl.request('sms 0 deliver from=+8613918186089 text="This is a test"') \
        == "delivered 1 part"
    m.expect_exact(b'\r\n+CMTI: "SM",1\r\n')
    ok(m, b"AT+CMGF=1")
    got = answer(m, b"AT+CMGR=1")
    assert re.fullmatch(rb'\r\n\+CMGR: "REC UNREAD","\+8613918186089","",' + SCTS +
                        rb'\r\nThis is a test\r\n\r\nOK\r\n', got), got
    got = answer(m, b"AT+CMGR=1")          # read once: now REC READ
    assert got.startswith(b'\r\n+CMGR: "REC READ","+8613918186089",""'), got
    ok(m, b"AT+CMGF=0")
    got = answer(m, b"AT+CMGL=4")
    assert re.match(rb'\r\n\+CMGL: 1,1,"",(\d+)\r\n', got), got
    (d,) = pdu_of(got)
    assert (d["Type"], d["Number"], d["Text"]) == ("Deliver", "+8613918186089", "This is a test")
    assert d["SMSC"]["Number"] == "+8613800210500"    # the SIM's centre, AT+CSCA?
    ok(m, b"AT+CMGD=1")
    assert answer(m, b"AT+CPMS?") == b'\r\n+CPMS: "SM",0,50,"SM",0,50,"SM",0,50\r\n' + OK


def test_cnmi_2_2_shows_the_message_itself_and_does_not_store_it(sms):
    m, ctl = sms
    ok(m, b"AT+CMGF=1")
    ok(m, b"AT+CNMI=2,2,0,0,0")
    ctl.request('sms 0 deliver from=+491701234567 text="Über 10 €" time="24/02/29,23:59:58-04"')
    m.expect_exact(b'\r\n+CMT: "+491701234567","","24/02/29,23:59:58-04"\r\n'
                   b'?ber 10 ?\r\n')        # IRA has neither character: '?' (manual §3.2.12)
    ok(m, b'AT+CSCS="UCS2"')
    ok(m, b"AT+CSDH=1")
    ctl.request('sms 0 deliver from=+491701234567 text="Über 10 €" time="24/02/29,23:59:58-04"')
    number = "".join("%04X" % ord(c) for c in "+491701234567").encode()
    sca = "".join("%04X" % ord(c) for c in "+8613800210500").encode()
    m.expect_exact(b'\r\n+CMT: "' + number + b'","","24/02/29,23:59:58-04",145,4,0,0,"' + sca +
                   b'",145,10\r\n' + "".join("%04X" % ord(c) for c in "Über 10 €").encode() +
                   b"\r\n")
    ok(m, b"AT+CMGF=0")
    ctl.request('sms 0 deliver from=BANK text="Код 1234"')
    got = m.expect(b"\r\n", timeout=5) + m.expect(b"\r\n") + m.expect(b"\r\n")
    assert re.match(rb'\r\n\+CMT: "",\d+\r\n', got), got
    (d,) = pdu_of(got)
    assert (d["Number"], d["Text"], d["Coding"]) == ("BANK", "Код 1234", "Unicode_No_Compression")
    assert answer(m, b"AT+CPMS?").startswith(b'\r\n+CPMS: "SM",0,50'), "+CMT messages are not stored"


def test_cnmi_mode_0_holds_indications_until_a_mode_forwards_them(sms):
    m, ctl = sms
    ok(m, b"AT+CNMI=0,1")
    ctl.request('sms 0 deliver from=+100 text="one"')
    ctl.request('sms 0 deliver from=+100 text="two"')
    m.assert_quiet(0.3)
    m.exchange(b"AT+CNMI=2,1\r",
               b'AT+CNMI=2,1\r' + OK + b'\r\n+CMTI: "SM",1\r\n\r\n+CMTI: "SM",2\r\n')
    ok(m, b"AT+CNMI=0,1")
    ctl.request('sms 0 deliver from=+100 text="three"')
    ok(m, b"AT+CNMI=2,1,0,0,1")              # <bfr> 1: the held ones are dropped
    m.assert_quiet(0.3)


def gammu_submits(text, number, unicode=True):
    info = {"Class": -1, "Unicode": unicode,
            "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": text}]}
    out = []
    for msg in gammu.EncodeSMS(info):
        msg["SMSC"] = {"Location": 0, "Number": ""}
        msg["Number"] = number
        out.append(gammu.EncodePDU(msg))
    return out


def test_a_200_character_ucs2_message_sent_in_pdu_mode_as_three_parts(sms):
    m, ctl = sms
    text = "".join(chr(0x4E00 + i * 7) for i in range(190)) + "0123456789"
    pdus = gammu_submits(text, "+8613918180000")
    assert len(pdus) == 3
    refs = []
    for p in pdus:
        tpdu_len = len(p) - 1 - p[0]
        got = send_data(m, b"AT+CMGS=%d" % tpdu_len, binascii.hexlify(p).upper() + b"\x1a")
        refs.append(int(re.search(rb"\+CMGS: (\d+)\r\n\r\nOK\r\n$", got).group(1)))
    assert refs == sorted(refs) and len(set(refs)) == 3, "the message reference rises"
    (sent,) = json.loads(ctl.request("sms 0 sent"))
    assert sent["text"] == text
    assert (sent["to"], sent["alphabet"], sent["parts"], sent["received"], sent["mr"]) == \
        ("+8613918180000", "ucs2", 3, 3, refs)
    assert ctl.request("sms 0 clear") == ""
    assert json.loads(ctl.request("sms 0 sent")) == []


def test_text_mode_sends_as_the_manual_and_tinygsm_do(sms):
    m, ctl = sms
    ok(m, b"AT+CMGF=1")
    ok(m, b'AT+CSCS="GSM"')                   # TinyGSM's sendSMS
    assert re.search(rb"\+CMGS: \d+\r\n\r\nOK\r\n$",
                     send_data(m, b'AT+CMGS="+8613918180000"', b"Price: 10 [EUR]\x1a"))
    ok(m, b"AT+CSMP=17,167,2,25")              # the manual's Chinese example (§20.7)
    ok(m, b'AT+CSCS="UCS2"')
    send_data(m, b'AT+CMGS="002B0038003600310033003900310038003100380030003000300030"',
              b"4E014E50\x1a")
    ok(m, b'AT+CSCS="HEX"')                   # TinyGSM's sendSMS_UTF16
    ok(m, b"AT+CSMP=17,167,0,8")
    send_data(m, b'AT+CMGS="+8613918180000"', "Привет".encode("utf-16-be").hex().encode() +
              b"\x1a")
    ok(m, b'AT+CSCS="IRA"')
    ok(m, b"AT+CSMP=17,167,0,0")
    long = "x" * 150 + "y" * 150
    send_data(m, b'AT+CMGS="+8613918180000"', long.encode() + b"\x1a")
    sent = json.loads(ctl.request("sms 0 sent"))
    assert [(s["to"], s["alphabet"], s["text"], s["parts"]) for s in sent] == [
        # In the GSM set a byte is the alphabet's code (TS 23.038): 0x5B is
        # Ä and 0x5D Ñ, as a module sends them, not [ and ].
        ("+8613918180000", "gsm7", "Price: 10 ÄEURÑ", 1),
        ("+8613918180000", "ucs2", "丁乐", 1),
        ("+8613918180000", "ucs2", "Привет", 1),
        ("+8613918180000", "gsm7", long, 2)]


def test_a_long_delivered_message_arrives_in_parts_and_gammu_joins_them(sms):
    m, ctl = sms
    text = "The quick brown fox jumps over the lazy dog. " * 5
    assert ctl.request('sms 0 deliver from=+100 text="%s"' % text) == "delivered 2 parts"
    assert ctl.request('sms 0 deliver from=+100 text="abcdef" parts=3') == "delivered 3 parts"
    for i in range(1, 6):
        m.expect(b'+CMTI: "SM",%d\r\n' % i)
    got = answer(m, b"AT+CMGL=4")
    parts = pdu_of(got)
    assert [p["UDH"]["PartNumber"] for p in parts] == [1, 2, 1, 2, 3]
    assert "".join(p["Text"] for p in parts[:2]) == text
    assert "".join(p["Text"] for p in parts[2:]) == "abcdef"
    ok(m, b"AT+CMGD=4")                          # a part gone shows as index 0 (§6.2.77)
    assert answer(m, b"AT+CCONCINDEX") == \
        b"\r\n+CCONCINDEX: 2,1,2\r\n\r\n+CCONCINDEX: 3,3,0,5\r\n" + OK
    ok(m, b"AT+CMGF=1")
    # 27.005: text mode shows a message with a header as hex of its octets.
    got = answer(m, b'AT+CMGL="REC READ",1')
    assert re.search(rb'\+CMGL: 3,"REC READ","\+100","",' + SCTS + rb'\r\n050003', got), got


def test_store_full_is_refused_and_cpms_shows_it(emulator, tmp_path):
    path = tmp_path / "ctl.sock"
    emu = emulator.start("--control", path, "-s", "sms.sm_capacity=2")
    m = emu.boot()
    with Control(path) as ctl:
        ctl.request('sms 0 deliver from=+100 text="1"')
        ctl.request('sms 0 deliver from=+100 text="2"')
        with pytest.raises(ControlError) as e:
            ctl.request('sms 0 deliver from=+100 text="3"')
        assert str(e.value) == "memory full (SM holds 2)"
        m.expect(b'+CMTI: "SM",2\r\n')
        assert answer(m, b"AT+CPMS?") == b'\r\n+CPMS: "SM",2,2,"SM",2,2,"SM",2,2\r\n' + OK
        m.exchange(b'AT+CPMS="ME","ME","ME"\r',     # the module's own memory has room
                   b'AT+CPMS="ME","ME","ME"\r\r\n+CPMS: 0,50,0,50,0,50\r\n' + OK)
        assert answer(m, b"AT+CPMS?").startswith(b'\r\n+CPMS: "ME",0,50')
        assert ctl.request('sms 0 deliver from=+100 text="3"') == "delivered 1 part"
        m.expect_exact(b'\r\n+CMTI: "ME",1\r\n')
        for bad, why in (('deliver text="x"', "deliver takes from= and text= (or pdu=)"),
                         ('deliver from=+1 text="x" alphabet=utf8',
                          "alphabet= is gsm7, 8bit or ucs2"),
                         ("deliver pdu=0011", "not an SMS-DELIVER PDU (3GPP TS 23.040)"),
                         ("forget", "sms MODEM takes deliver KEY=VALUE..., sent or clear")):
            with pytest.raises(ControlError) as e:
                ctl.request("sms 0 " + bad)
            assert str(e.value) == why


def test_the_store_survives_a_reboot_and_with_storage_a_restart(emulator, tmp_path):
    store = tmp_path / "store"
    for run in range(2):
        path = tmp_path / ("ctl%d.sock" % run)
        emu = emulator.start("--control", path, "--storage", store)
        m = emu.boot()
        ok(m, b"AT+CMGF=1")
        if run == 0:
            with Control(path) as ctl:
                ctl.request('sms 0 deliver from=+100 text="kept"')
            m.expect(b'+CMTI: "SM",1\r\n')
            ok(m, b'AT+CSCA="+491710760000"')
            m.write(b"AT+CFUN=1,1\r")
            m.expect(b"SMS Ready\r\n")
            ok(m, b"AT+CMGF=1")
        got = answer(m, b"AT+CMGR=1")   # read in the first run, and that is kept too
        stat = b"REC UNREAD" if run == 0 else b"REC READ"
        assert b'"' + stat + b'","+100",""' in got and b"\r\nkept\r\n" in got, got
        assert answer(m, b"AT+CSCA?") == b'\r\n+CSCA: "+491710760000",145\r\n' + OK
        emu.stop()
    assert (store / "modem0.sms").exists()


def test_a_status_report_follows_a_send_when_asked(sms):
    m, ctl = sms
    ok(m, b"AT+CMGF=1")
    ok(m, b"AT+CSMP=49,167,0,0")               # SRR (manual §4.2.15: 49)
    ok(m, b"AT+CNMI=2,1,0,1,0")
    got = send_data(m, b'AT+CMGS="+8613918180000"', b"report me\x1a")
    mr = re.search(rb"\+CMGS: (\d+)\r\n", got).group(1)
    got = m.expect(b",0\r\n")
    assert re.fullmatch(rb'\r\n\+CDS: 6,' + mr + rb',"\+8613918180000",145,' + SCTS + b"," +
                        SCTS + b",0\r\n", got), got
    assert json.loads(ctl.request("sms 0 sent"))[0]["report"] is True


def test_a_message_to_the_sims_own_number_comes_back(emulator):
    """The manual's example (§20.7): "Send an SMS to myself", then +CMTI."""
    _, m = emulator.modem("-s", "sim.number=+8613918186089")
    ok(m, b"AT+CMGF=1")
    ok(m, b'AT+CSCS="GSM"')
    got = send_data(m, b'AT+CMGS="+8613918186089"', b"This is a test\x1a",
                    final=b'+CMTI: "SM",1\r\n')
    assert re.search(rb'This is a test\r\n\+CMGS: 0\r\n\r\nOK\r\n\r\n\+CMTI: "SM",1\r\n$', got)
    got = answer(m, b"AT+CMGR=1")
    assert re.fullmatch(rb'\r\n\+CMGR: "REC UNREAD","\+8613918186089","",' + SCTS +
                        rb'\r\nThis is a test\r\n\r\nOK\r\n', got), got


def test_before_sms_ready_and_without_a_sim(emulator):
    emu = emulator.start("-s", "boot.sms_ready_ms=60000", fast=False)
    m = emu.boot(until=b"Call Ready\r\n")
    m.exchange(b"AT+CMGF=1\r", b"AT+CMGF=1\r\r\nERROR\r\n")    # [SEE39] in the README
    ok(m, b"AT+CMEE=1")
    m.exchange(b"AT+CPMS?\r", b"AT+CPMS?\r\r\n+CMS ERROR: 314\r\n")
    _, m = emulator.modem("-s", "sim.present=false", until=b"Call Ready\r\n")
    ok(m, b"AT+CMEE=2")
    m.exchange(b"AT+CMGR=1\r", b"AT+CMGR=1\r\r\n+CMS ERROR: SIM not inserted\r\n")


def test_sends_are_in_the_trace(emulator, tmp_path):
    trace = tmp_path / "trace.txt"
    _, m = emulator.modem("--trace", trace)
    ok(m, b"AT+CMGF=1")
    send_data(m, b'AT+CMGS="+8613918180000"', b"traced\x1a")
    deadline = time.monotonic() + 5
    while b"sent mr=0 to +8613918180000 dcs=0: traced" not in trace.read_bytes():
        assert time.monotonic() < deadline, trace.read_bytes()[-2000:]
        time.sleep(0.05)


def test_a_reboot_while_a_send_waits_for_the_network_drops_it(emulator, tmp_path):
    """[timing] sms_send_ms: the answer waits on a timer; a reboot in that
    time ends the line, and the timer with it (no late +CMGS, no crash)."""
    path = tmp_path / "ctl.sock"
    emu = emulator.start("--control", path, "-s", "timing.sms_send_ms=2000")
    m = emu.boot()
    ok(m, b"AT+CMGF=1")
    m.write(b'AT+CMGS="+100"\r')
    m.expect(b"> ")
    m.write(b"late\x1a")
    m.expect(b"late")
    with Control(path) as ctl:
        ctl.request("fault add reboot")
    m.expect(b"SMS Ready\r\n")
    m.assert_quiet(2.5)
    ok(m, b"AT")


def test_tinygsm_sms_and_utf16_as_the_library_writes_them(sms):
    """TinyGSM's sendSMS and sendSMS_UTF16 (TinyGsmClientSIM800.h), byte for
    byte: ATE0, every line ended "\\r\\n", the text after the "> " prompt."""
    m, ctl = sms
    m.exchange(b"ATE0\r\n", b"ATE0\r" + OK)
    m.exchange(b"AT+CMGF=1\r\n", OK)
    m.exchange(b'AT+CSCS="GSM"\r\n', OK)
    m.exchange(b'AT+CMGS="+8613918180000"\r\n', b"\r\n> ")
    m.exchange(b"Hello from ESP32!\x1a", b"\r\n+CMGS: 0\r\n" + OK)
    m.exchange(b"AT+CMGF=1\r\n", OK)
    m.exchange(b'AT+CSCS="HEX"\r\n', OK)
    m.exchange(b"AT+CSMP=17,167,0,8\r\n", OK)
    m.exchange(b'AT+CMGS="+8613918180000"\r\n', b"\r\n> ")
    m.exchange("Привет, мир".encode("utf-16-be").hex().upper().encode() + b"\x1a",
               b"\r\n+CMGS: 1\r\n" + OK)
    assert [s["text"] for s in json.loads(ctl.request("sms 0 sent"))] == \
        ["Hello from ESP32!", "Привет, мир"]


def test_a_python_drivers_pdu_send_and_multipart_read(sms):
    """A pyserial driver in PDU mode (the power-on default): a SUBMIT it
    encoded itself, then a three-part message read with AT+CMGL=4 and joined
    by the driver's own codec (gammu's LinkSMS here)."""
    m, ctl = sms
    (pdu,) = gammu_submits("ping", "+8613918180000", unicode=False)
    m.write(b"AT+CMGS=%d\n" % (len(pdu) - 1 - pdu[0]))     # LF only, as some drivers end lines
    m.expect(b"> ")
    m.write(pdu.hex().encode() + b"\x1a")
    m.expect(b"\r\n+CMGS: 0\r\n" + OK)
    text = "Ответ: " + "данные " * 27          # 196 UCS2 characters: three parts
    assert ctl.request('sms 0 deliver from=+100 text="%s"' % text) == "delivered 3 parts"
    for i in (1, 2, 3):
        m.expect(b'+CMTI: "SM",%d\r\n' % i)
    got = answer(m, b"AT+CMGL=4")
    parts = [{**p, "Location": i} for i, p in enumerate(pdu_of(got))]
    (joined,) = gammu.LinkSMS([[p] for p in parts])
    assert "".join(p["Text"] for p in joined) == text
