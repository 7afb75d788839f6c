"""Commands client libraries send at start-up that are not about the network
services: SIM inserted status, net light, own number, engineering mode, USSD
and cell location (SIM800 AT Command Manual V1.09 chapters 3 and 6; the
README's coverage list)."""
OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"


def info(line, *texts):
    return line + b"".join(b"\r\n" + t + b"\r\n" for t in texts) + OK


def check(m, line, *texts):
    m.exchange(line, info(line, *texts))


def test_csmins_forms(modem):
    check(modem, b"AT+CSMINS=?\r", b"+CSMINS: (0,1)")
    check(modem, b"AT+CSMINS?\r", b"+CSMINS: 0,1")
    modem.exchange(b"AT+CSMINS=1\r", b"AT+CSMINS=1\r" + OK)
    check(modem, b"AT+CSMINS?\r", b"+CSMINS: 1,1")
    modem.exchange(b"AT+CSMINS=2\r", b"AT+CSMINS=2\r" + ERROR)
    modem.exchange(b"AT+CSMINS\r", b"AT+CSMINS\r" + ERROR)
    # AT&W_SAVE: ATZ brings back what was stored (0), AT&W keeps it.
    modem.exchange(b"ATZ\r", b"ATZ\r" + OK)
    check(modem, b"AT+CSMINS?\r", b"+CSMINS: 0,1")


def test_csmins_without_sim_reports_at_boot_and_cfun(emulator):
    e = emulator.start("-s", "sim.present=false", "-s", "boot.reset_ms=200")
    m = e.boot(until=b"Call Ready\r\n")
    check(m, b"AT+CSMINS?\r", b"+CSMINS: 0,0")
    m.exchange(b"ATE0;+CSMINS=1;&W\r", b"ATE0;+CSMINS=1;&W\r" + OK)
    m.exchange(b"AT+CFUN=0\r", OK)
    m.write(b"AT+CFUN=1\r")
    assert m.expect(b"+CSMINS: 1,0\r\n") == OK + b"\r\n+CPIN: NOT INSERTED\r\n\r\n+CSMINS: 1,0\r\n"
    m.assert_quiet(0.2)
    # After a reset the stored report fires with the boot URCs.
    m.write(b"AT+CFUN=1,1\r")
    got = m.expect(b"Call Ready\r\n", timeout=5)
    assert got.endswith(b"\r\n+CPIN: NOT INSERTED\r\n\r\n+CSMINS: 1,0\r\n\r\nCall Ready\r\n"), got


def test_cnetlight(modem):
    check(modem, b"AT+CNETLIGHT=?\r", b"+CNETLIGHT: (0,1)")
    check(modem, b"AT+CNETLIGHT?\r", b"+CNETLIGHT: 1")
    modem.exchange(b"AT+CNETLIGHT=0\r", b"AT+CNETLIGHT=0\r" + OK)
    check(modem, b"AT+CNETLIGHT?\r", b"+CNETLIGHT: 0")
    modem.exchange(b"AT+CNETLIGHT=2\r", b"AT+CNETLIGHT=2\r" + ERROR)
    modem.exchange(b"AT&F\r", b"AT&F\r" + OK)
    check(modem, b"AT+CNETLIGHT?\r", b"+CNETLIGHT: 1")


def test_cpas_ready(modem):
    check(modem, b"AT+CPAS=?\r", b"+CPAS: (0,2,3,4)")
    check(modem, b"AT+CPAS\r", b"+CPAS: 0")


def test_cnum_no_number_on_the_sim(modem):
    modem.exchange(b"AT+CNUM=?\r", b"AT+CNUM=?\r" + OK)
    modem.exchange(b"AT+CNUM\r", b"AT+CNUM\r" + OK)
    modem.exchange(b"AT+CNUM?\r", b"AT+CNUM?\r" + ERROR)


def test_cnum_without_sim(emulator):
    _, m = emulator.modem("-s", "sim.present=false", until=b"Call Ready\r\n")
    m.exchange(b"AT+CNUM\r", b"AT+CNUM\r" + ERROR)
    m.exchange(b"AT+CMEE=1\r", b"AT+CMEE=1\r" + OK)
    m.exchange(b"AT+CNUM\r", b"AT+CNUM\r\r\n+CME ERROR: 10\r\n")


def test_ceng_serving_cell_from_the_profile(modem):
    check(modem, b"AT+CENG=?\r", b"+CENG: (0-4),(0-1)")
    check(modem, b"AT+CENG?\r", b"+CENG: 0,0")
    modem.exchange(b"AT+CENG=1,1\r", b"AT+CENG=1,1\r" + OK)
    check(modem, b"AT+CENG?\r", b"+CENG: 1,1", b'+CENG: 0,"0024,33,0,460,00,40,0F3C,33,0,1A2B,0"')
    modem.exchange(b"AT+CENG=3\r", b"AT+CENG=3\r" + OK)
    check(modem, b"AT+CENG?\r", b"+CENG: 3,1", b"+CENG: 0,460,00,1A2B,0F3C,40,33")
    modem.exchange(b"AT+CENG=5\r", b"AT+CENG=5\r" + ERROR)


def test_ceng_follows_the_profile(emulator):
    _, m = emulator.modem("-s", "network.rssi=25", "-s", "network.ci=ABCD",
                          "-s", "network.operator_numeric=26201")
    m.exchange(b"AT+CENG=1\r", b"AT+CENG=1\r" + OK)
    check(m, b"AT+CENG?\r", b"+CENG: 1,0", b'+CENG: 0,"0024,47,0,262,01,40,ABCD,47,0,1A2B,0"')


def test_cusd_setting_and_refused_request(modem):
    check(modem, b"AT+CUSD=?\r", b"+CUSD: (0-2)")
    check(modem, b"AT+CUSD?\r", b"+CUSD: 0")
    modem.exchange(b"AT+CUSD=1\r", b"AT+CUSD=1\r" + OK)
    check(modem, b"AT+CUSD?\r", b"+CUSD: 1")
    modem.exchange(b'AT+CUSD=1,"*100#",15\r', b'AT+CUSD=1,"*100#",15\r' + ERROR)
    modem.exchange(b"AT+CMEE=2\r", b"AT+CMEE=2\r" + OK)
    modem.exchange(b'AT+CUSD=1,"*100#"\r',
                   b'AT+CUSD=1,"*100#"\r\r\n+CME ERROR: operation not supported\r\n')


def test_cipgsmloc_refused_with_601(modem):
    check(modem, b"AT+CIPGSMLOC=?\r", b"+CIPGSMLOC: (1,2),(1-3)")
    check(modem, b"AT+CIPGSMLOC=1,1\r", b"+CIPGSMLOC: 601")
    modem.exchange(b"AT+CIPGSMLOC=3,1\r", b"AT+CIPGSMLOC=3,1\r" + ERROR)
