"""What real client libraries send (as TinyGSM, Adafruit FONA and Python drivers send it), and port close/reopen."""
import time

OK = b"\r\nOK\r\n"


def test_tinygsm_init_sequence(modem):
    # TinyGSM ends every command with "\r\n" (AT_NL).
    m = modem
    m.exchange(b"AT\r\n", b"AT\r" + OK)
    m.exchange(b"ATE0\r\n", b"ATE0\r" + OK)
    m.exchange(b"AT+CMEE=0\r\n", OK)
    m.exchange(b"AT+CGMI\r\n", b"\r\nSIMCOM_Ltd\r\n" + OK)
    m.exchange(b"AT+CGMM\r\n", b"\r\nSIMCOM_SIM800L\r\n" + OK)
    m.exchange(b"AT+CLTS=1\r\n", OK)
    m.exchange(b"AT+CBATCHK=1\r\n", OK)
    m.exchange(b"AT+CPIN?\r\n", b"\r\n+CPIN: READY\r\n" + OK)
    m.assert_quiet(0.2)


def test_tinygsm_getters(modem):
    m = modem
    m.exchange(b"ATE0\r\n", b"ATE0\r" + OK)
    m.exchange(b"AT+CGMR\r\n", b"\r\nRevision:1418B04SIM800L24\r\n" + OK)
    m.exchange(b"AT+CSQ\r\n", b"\r\n+CSQ: 18,0\r\n" + OK)
    m.exchange(b"AT+CREG?\r\n", b"\r\n+CREG: 0,1\r\n" + OK)
    m.exchange(b"AT+COPS?\r\n", b'\r\n+COPS: 0,0,"CHINA MOBILE"\r\n' + OK)
    m.exchange(b"AT+CGATT?\r\n", b"\r\n+CGATT: 1\r\n" + OK)
    m.exchange(b"AT+CBC\r\n", b"\r\n+CBC: 0,82,4049\r\n" + OK)


def test_tinygsm_factory_default(modem):
    m = modem
    m.exchange(b"AT&FZE0&W\r\n", b"AT&FZE0&W\r" + OK)
    for line in (b"AT+IPR=0\r\n", b"AT+IFC=0,0\r\n", b"AT+ICF=3,3\r\n", b"AT+CSCLK=0\r\n",
                 b"AT&W\r\n"):
        m.exchange(line, OK)


def test_tinygsm_restart(emulator):
    e = emulator.start("-s", "boot.reset_ms=300")
    m = e.boot()
    m.exchange(b"ATE0\r\n", b"ATE0\r" + OK)
    m.exchange(b"AT&W\r\n", OK)
    m.exchange(b"AT+CFUN=0\r\n", b"\r\n+CPIN: NOT READY\r\n" + OK)
    m.write(b"AT+CFUN=1,1\r\n")
    got = m.expect(b"SMS Ready\r\n", timeout=4)
    assert got.startswith(OK + b"\r\nRDY\r\n"), got
    assert got.endswith(b"\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n"), got
    m.exchange(b"AT\r\n", OK)   # E0 was stored with &W


def test_fona_style_begin(modem):
    m = modem
    m.exchange(b"AT\r\n", b"AT\r" + OK)
    m.exchange(b"ATE0\r\n", b"ATE0\r" + OK)
    m.exchange(b"ATE0\r\n", OK)
    m.exchange(b"AT+CVHU=0\r\n", OK)
    m.exchange(b"ATI\r\n", b"\r\nSIM800 R14.18\r\n" + OK)
    m.exchange(b"AT+GMM\r\n", b"\r\nSIMCOM_SIM800L\r\n" + OK)


def test_python_driver_lf_only(modem):
    # Ircama/sim800l-gsm-module style: raw port, every line ends in "\n" only.
    m = modem
    m.exchange(b"ATE0\n", b"ATE0\n" + OK)
    m.exchange(b"AT\n", OK)
    m.exchange(b"AT+CLIP=1;+CMGF=1\n", OK)
    m.exchange(b"AT+CMGF?\n", b"\r\n+CMGF: 1\r\n" + OK)
    m.exchange(b"AT+CSQ\n", b"\r\n+CSQ: 18,0\r\n" + OK)
    m.exchange(b"ATI\n", b"\r\nSIM800 R14.18\r\n" + OK)
    m.exchange(b"AT+CCID\n", b"\r\n898600810906F8048812\r\n" + OK)
    m.exchange(b"AT+NOSUCH\n", b"\r\nERROR\r\n")


def test_reopen_port_100_times_state_kept(emulator):
    e = emulator.start()
    m = e.boot()
    m.exchange(b"ATE0\r", b"ATE0\r" + OK)
    m.close()
    for i in range(100):
        p = e.open()
        try:
            p.exchange(b"AT\r", OK)
        except AssertionError as exc:
            raise AssertionError(f"reopen #{i}: {exc}") from None
        p.close()
    p = e.open()
    p.exchange(b"AT+CMEE?\r", b"\r\n+CMEE: 0\r\n" + OK)


def test_bytes_while_closed_are_discarded(emulator):
    e = emulator.start("-s", "boot.reset_ms=200")
    m = e.boot()
    m.exchange(b"ATE0\r", b"ATE0\r" + OK)
    # Start a reset, close before its OK and boot URCs come out.
    m.write(b"AT+CFUN=1,1\r")
    m.close()
    time.sleep(0.6)
    p = e.open()
    p.assert_quiet(0.3)
    p.exchange(b"AT\r", b"AT\r" + OK)   # echo back on after the reset


def test_pyserial_client_reopens_and_changes_baud(emulator):
    """The common user's path: pyserial, which flushes input and sets termios
    (baud rates included) on every open; the rate is cosmetic."""
    e = emulator.start()
    e.boot().close()
    for i, baud in enumerate((9600, 115200, 57600, 460800) * 5):
        p = e.open(pyserial=True)
        p.ser.baudrate = baud
        p.exchange(b"AT+CSQ\r", b"AT+CSQ\r\r\n+CSQ: 18,0\r\n" + OK)
        p.close()
