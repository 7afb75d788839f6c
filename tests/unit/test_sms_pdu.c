/* Unit tests for the SMS TPDU codec (emulator/svc/sms/sms_pdu.c) against
 * published vectors: the GSM 7-bit packing example "How are you?"
 * (3GPP TS 23.038 §6.1.2.1.1's rule, the vector every codec documents), and
 * the SMS-SUBMIT and SMS-DELIVER "hellohello" PDUs of the classic SMS PDU
 * tutorial (dreamfabric.com, also in python-gammu's and smspdu's tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sms_pdu.h"

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void tohex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02X", p[i]);
}

static void text_of(const struct sms_tpdu *t, char *out)
{
    uint32_t cps[SMS_SEPTETS_MAX];
    size_t n = sms_tpdu_text(t, cps, SMS_SEPTETS_MAX);
    for (size_t i = 0; i < n; i++)
        out[i] = cps[i] < 0x80 ? (char)cps[i] : '?';
    out[n] = '\0';
}

static void round_trip(const char *hex, bool has_sca)
{
    uint8_t in[SMS_PDU_MAX], out[SMS_PDU_MAX];
    size_t n = unhex(hex, in);
    struct sms_addr sca;
    struct sms_tpdu t;
    assert_int_equal(sms_pdu_decode(in, n, has_sca, &sca, &t), 0);
    size_t m = sms_pdu_encode(has_sca ? &sca : NULL, &t, out, sizeof(out), NULL);
    char back[2 * SMS_PDU_MAX + 1];
    tohex(has_sca ? out : out + 1, has_sca ? m : m - 1, back);
    assert_string_equal(back, hex);
}

static void submit_vector(void **state)
{
    (void)state;
    static const char hex[] = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37";
    uint8_t pdu[64];
    size_t n = unhex(hex, pdu);
    struct sms_addr sca;
    struct sms_tpdu t;
    char text[200];
    assert_int_equal(sms_pdu_decode(pdu, n, true, &sca, &t), 0);
    assert_int_equal(t.type, SMS_SUBMIT);
    assert_string_equal(sca.text, "");
    assert_string_equal(t.addr.text, "+46708251358");
    assert_int_equal(t.addr.toa, 145);
    assert_int_equal(t.vp[0], 0xAA); /* four days, relative */
    text_of(&t, text);
    assert_string_equal(text, "hellohello");
    round_trip(hex, true);
}

static void deliver_vector(void **state)
{
    (void)state;
    static const char hex[] =
        "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37";
    uint8_t pdu[64];
    size_t n = unhex(hex, pdu);
    struct sms_addr sca;
    struct sms_tpdu t;
    char text[200], when[24];
    assert_int_equal(sms_pdu_decode(pdu, n, true, &sca, &t), 0);
    assert_int_equal(t.type, SMS_DELIVER);
    assert_string_equal(sca.text, "+27381000015");
    assert_string_equal(t.addr.text, "27838890001");
    assert_int_equal(t.addr.toa, 0xC8);
    sms_time_format(&t.scts, when);
    assert_string_equal(when, "99/03/29,15:16:59+08");
    text_of(&t, text);
    assert_string_equal(text, "hellohello");
    round_trip(hex, true);
    round_trip(hex + 16, false); /* the TPDU alone */
}

static void packing_vector(void **state)
{
    (void)state;
    static const char msg[] = "How are you?";
    uint32_t cps[16];
    for (size_t i = 0; i < sizeof(msg) - 1; i++)
        cps[i] = (uint8_t)msg[i];
    struct sms_tpdu t = {.type = SMS_DELIVER};
    assert_int_equal(sms_tpdu_set_text(&t, cps, sizeof(msg) - 1), 0);
    char hex[64];
    tohex(t.ud, t.ud_len, hex);
    assert_string_equal(hex, "C8F71D14969741F977FD07");
    assert_int_equal(t.udl, 12);
}

static void alphabets_and_extension_table(void **state)
{
    (void)state;
    /* The extension table costs two septets; Greek capitals are one. */
    const uint32_t text[] = {0x20AC, '[', ']', '{', '}', '~', '^', '\\', '|', 0x03A9, '@'};
    struct sms_tpdu t = {.type = SMS_SUBMIT, .fo = 0x11};
    sms_addr_set(&t.addr, "+123", -1);
    assert_int_equal(sms_tpdu_set_text(&t, text, 11), 0);
    assert_int_equal(t.udl, 9 * 2 + 2);
    uint32_t back[32];
    assert_int_equal(sms_tpdu_text(&t, back, 32), 11);
    assert_memory_equal(back, text, sizeof(text));
    /* A character outside the GSM alphabet needs UCS2 (with a surrogate pair). */
    const uint32_t emoji[] = {'h', 'i', 0x1F600};
    assert_int_equal(sms_tpdu_set_text(&t, emoji, 3), -1);
    t.dcs = 0x08;
    assert_int_equal(sms_tpdu_set_text(&t, emoji, 3), 0);
    assert_int_equal(t.ud_len, 8);
    assert_int_equal(sms_tpdu_text(&t, back, 32), 3);
    assert_memory_equal(back, emoji, sizeof(emoji));
    assert_int_equal(sms_dcs_alphabet(0x19), SMS_UCS2); /* the manual's 25 */
    assert_int_equal(sms_dcs_class(0x19), 1);
    assert_int_equal(sms_dcs_alphabet(0xF4), SMS_8BIT);
    assert_int_equal(sms_dcs_class(0x00), -1);
}

static void concatenation_and_capacity(void **state)
{
    (void)state;
    uint32_t cps[200];
    for (int i = 0; i < 200; i++)
        cps[i] = 'a';
    assert_int_equal(sms_part_capacity(SMS_GSM7, cps, 200, false), 160);
    assert_int_equal(sms_part_capacity(SMS_GSM7, cps, 200, true), 153);
    assert_int_equal(sms_part_capacity(SMS_UCS2, cps, 200, true), 67);
    assert_int_equal(sms_part_capacity(SMS_8BIT, cps, 200, true), 134);
    struct sms_tpdu t = {.type = SMS_DELIVER, .fo = 0x04};
    sms_addr_set(&t.addr, "+100", -1);
    t.concat = (struct sms_concat){true, 0x1234, true, 3, 2};
    assert_int_equal(sms_tpdu_set_text(&t, cps, 152), 0); /* 16-bit reference: 152 septets */
    assert_int_equal(sms_tpdu_set_text(&t, cps, 153), -1);
    uint8_t pdu[SMS_PDU_MAX];
    size_t n = sms_pdu_encode(NULL, &t, pdu, sizeof(pdu), NULL);
    struct sms_tpdu u;
    assert_int_equal(sms_pdu_decode(pdu, n, true, NULL, &u), 0);
    assert_true(u.concat.present && u.concat.ref16);
    assert_int_equal(u.concat.ref, 0x1234);
    assert_int_equal(u.concat.total, 3);
    assert_int_equal(u.concat.seq, 2);
    uint32_t back[200];
    assert_int_equal(sms_tpdu_text(&u, back, 200), 152);
}

static void alphanumeric_sender(void **state)
{
    (void)state;
    struct sms_tpdu t = {.type = SMS_DELIVER, .fo = 0x04};
    assert_int_equal(sms_addr_set(&t.addr, "BANK", SMS_TOA_ALPHANUMERIC), 0);
    uint8_t pdu[SMS_PDU_MAX];
    size_t n = sms_pdu_encode(NULL, &t, pdu, sizeof(pdu), NULL);
    char hex[2 * SMS_PDU_MAX + 1];
    tohex(pdu, n, hex);
    /* 4 septets: 7 semi-octets, type D0, "BANK" packed (C2 A0 73 09). */
    assert_memory_equal(hex, "000407D0C2A07309", 16);
    struct sms_tpdu u;
    assert_int_equal(sms_pdu_decode(pdu, n, true, NULL, &u), 0);
    assert_string_equal(u.addr.text, "BANK");
}

static void status_report_round_trip(void **state)
{
    (void)state;
    struct sms_tpdu t = {.type = SMS_STATUS_REPORT, .fo = 0x06, .mr = 42, .st = 0};
    sms_addr_set(&t.addr, "+8613918180000", -1);
    assert_int_equal(sms_time_parse("26/12/07,21:25:36+32", &t.scts), 0);
    assert_int_equal(sms_time_parse("26/12/07,21:25:37-04", &t.dt), 0);
    uint8_t pdu[SMS_PDU_MAX];
    size_t tl, n = sms_pdu_encode(NULL, &t, pdu, sizeof(pdu), &tl);
    assert_int_equal(n, tl + 1);
    struct sms_tpdu u;
    assert_int_equal(sms_pdu_decode(pdu, n, true, NULL, &u), 0);
    assert_int_equal(u.type, SMS_STATUS_REPORT);
    assert_int_equal(u.mr, 42);
    char when[24];
    sms_time_format(&u.dt, when);
    assert_string_equal(when, "26/12/07,21:25:37-04");
    assert_int_equal(sms_time_parse("26/13/07,21:25:36+32", &u.dt), -1);
    assert_int_equal(sms_time_parse("26/12/07,21:25:36+32x", &u.dt), -1);
}

static void every_truncation_is_refused(void **state)
{
    (void)state;
    static const char *const vectors[] = {
        "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
        "0011000B916407281553F80000AA0AE8329BFD4697D9EC37",
    };
    for (size_t v = 0; v < 2; v++) {
        uint8_t pdu[SMS_PDU_MAX];
        size_t n = unhex(vectors[v], pdu);
        struct sms_tpdu t;
        for (size_t k = 0; k < n; k++)
            assert_int_equal(sms_pdu_decode(pdu, k, true, NULL, &t), -1);
    }
    /* A user-data length beyond 160 septets, a header longer than the data. */
    uint8_t bad[64];
    size_t n = unhex("0011000B916407281553F80000AAA1E8329BFD4697D9EC37", bad);
    struct sms_tpdu t;
    assert_int_equal(sms_pdu_decode(bad, n, true, NULL, &t), -1);
    n = unhex("0051000B916407281553F80004AA03090003", bad);
    assert_int_equal(sms_pdu_decode(bad, n, true, NULL, &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(submit_vector),
        cmocka_unit_test(deliver_vector),
        cmocka_unit_test(packing_vector),
        cmocka_unit_test(alphabets_and_extension_table),
        cmocka_unit_test(concatenation_and_capacity),
        cmocka_unit_test(alphanumeric_sender),
        cmocka_unit_test(status_report_round_trip),
        cmocka_unit_test(every_truncation_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
