/* libFuzzer harness for the SMS TPDU codec (emulator/svc/sms/sms_pdu.c),
 * which reads PDUs from the host (AT+CMGS, AT+CMGW in PDU mode) and from the
 * control socket (sms deliver pdu=).  The oracle is a round trip: a PDU that
 * decodes and encodes again decodes to the same message. */
#include <string.h>

#include "fuzz.h"
#include "sms_pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool has_sca = data[0] & 1; /* the first byte picks the layout */
    struct sms_addr sca;
    struct sms_tpdu t;
    if (sms_pdu_decode(data + 1, size - 1, has_sca, &sca, &t) < 0)
        return 0;
    FUZZ_CHECK(t.ud_len <= SMS_UD_MAX && t.udh_len <= t.ud_len);
    FUZZ_CHECK(!t.concat.present || (t.concat.seq >= 1 && t.concat.seq <= t.concat.total));
    uint32_t cps[SMS_SEPTETS_MAX];
    FUZZ_CHECK(sms_tpdu_text(&t, cps, SMS_SEPTETS_MAX) <= SMS_SEPTETS_MAX);
    char when[24];
    sms_time_format(&t.scts, when);
    FUZZ_CHECK(strlen(when) == 20);

    uint8_t out[SMS_PDU_MAX + 16];
    size_t tl, n = sms_pdu_encode(NULL, &t, out, sizeof(out), &tl);
    if (n == 0) /* an address digit the text form cannot carry back (a filler mid-number) */
        return 0;
    FUZZ_CHECK(n == tl + 1);
    struct sms_tpdu u;
    FUZZ_CHECK(sms_pdu_decode(out, n, true, NULL, &u) == 0);
    FUZZ_CHECK(u.type == t.type && u.fo == t.fo && u.mr == t.mr && u.pid == t.pid &&
               u.dcs == t.dcs && u.udl == t.udl && u.ud_len == t.ud_len && u.st == t.st);
    FUZZ_CHECK(memcmp(u.ud, t.ud, t.ud_len) == 0);
    FUZZ_CHECK(u.udh_len == t.udh_len && u.concat.present == t.concat.present);
    FUZZ_CHECK(!t.concat.present || (u.concat.ref == t.concat.ref && u.concat.seq == t.concat.seq));
    FUZZ_CHECK(u.addr.toa == t.addr.toa);
    if ((t.addr.toa & 0x70) !=
        0x50) /* a packed alphanumeric name may lose a trailing fill septet */
        FUZZ_CHECK(strcmp(u.addr.text, t.addr.text) == 0);
    FUZZ_CHECK(memcmp(&u.scts, &t.scts, sizeof(t.scts)) == 0 || t.type == SMS_SUBMIT);
    return 0;
}
