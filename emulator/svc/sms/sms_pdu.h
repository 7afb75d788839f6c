/* The SMS transfer-layer codec (3GPP TS 23.040 TPDUs, TS 23.038 alphabets):
 * SMS-SUBMIT, SMS-DELIVER and SMS-STATUS-REPORT, each after the RP SC
 * address as AT+CMGS, AT+CMGR and +CMT carry them in PDU mode (SIM800 AT
 * Command Manual V1.09 §4.2.4, §4.2.5).  Pure: no modem, no I/O, every
 * length checked (fuzzed by tests/fuzz/fuzz_sms_pdu.c with a round trip).
 *
 * The text of a message is kept as Unicode code points; the GSM 7-bit
 * default alphabet and its extension table (€, [, ], {, }, ~, ^, \, |, form
 * feed) are mapped both ways. */
#ifndef SIM800EMU_SMS_PDU_H
#define SIM800EMU_SMS_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMS_UD_MAX 140      /* octets of TP-User-Data */
#define SMS_SEPTETS_MAX 160 /* septets of TP-User-Data */
#define SMS_PDU_MAX 176     /* SC address (12) + the longest TPDU (164) */
#define SMS_ADDR_MAX 21
#define GSM7_ESCAPE                                                                                \
    0x1B /* the septet before an extension-table one */ /* digits of an address (20) or characters \
                                                           of an alphanumeric one */

enum sms_type { SMS_DELIVER = 0, SMS_SUBMIT = 1, SMS_STATUS_REPORT = 2 };
enum sms_alphabet { SMS_GSM7 = 0, SMS_8BIT = 1, SMS_UCS2 = 2 };

/* Type-of-address octets the manual names (§4.2.6): 129 unknown, 145
 * international ("+" in the text form), 161 national; 208 alphanumeric. */
#define SMS_TOA_UNKNOWN 129
#define SMS_TOA_INTERNATIONAL 145
#define SMS_TOA_ALPHANUMERIC 208

struct sms_addr {
    char text[SMS_ADDR_MAX +
              2]; /* "+8613918186089", "8613..." or "BANK" (UTF-8 when alphanumeric) */
    int toa;
};

/* A timestamp as TP-SCTS carries it: local time and its zone in quarter hours. */
struct sms_time {
    int year, month, day, hour, minute, second; /* year 0..99 */
    int tz_quarters;                            /* -79..79 */
};

struct sms_concat {
    bool present;
    uint16_t ref;  /* 8- or 16-bit reference */
    bool ref16;    /* IEI 0x08 rather than 0x00 */
    uint8_t total; /* parts in the message */
    uint8_t seq;   /* this part, from 1 */
};

struct sms_tpdu {
    enum sms_type type;
    uint8_t fo;           /* the first octet as it is on the wire */
    uint8_t mr;           /* TP-MR (SUBMIT, STATUS-REPORT) */
    struct sms_addr addr; /* DA (SUBMIT), OA (DELIVER), RA (STATUS-REPORT) */
    uint8_t pid, dcs;
    uint8_t vp[7];        /* SUBMIT: TP-VP as given, its length from fo's VPF */
    struct sms_time scts; /* DELIVER, STATUS-REPORT */
    struct sms_time dt;   /* STATUS-REPORT: discharge time */
    uint8_t st;           /* STATUS-REPORT: TP-ST */
    /* TP-User-Data: udl as on the wire (septets for GSM 7-bit, else octets);
     * ud the octets as on the wire, the header (when fo has UDHI) first. */
    uint8_t udl;
    uint8_t ud[SMS_UD_MAX];
    size_t ud_len;
    size_t udh_len; /* octets of the header, its length octet included; 0: none */
    struct sms_concat concat;
};

/* The alphabet a TP-DCS selects (TS 23.038 §4), and its message class
 * (0..3, or -1 when the DCS gives none). */
enum sms_alphabet sms_dcs_alphabet(uint8_t dcs);
int sms_dcs_class(uint8_t dcs);

/* One code point in the GSM default alphabet: 1 septet, 2 (escape and an
 * extension-table septet), or 0 when it has none. */
int sms_gsm7_encode(uint32_t cp, uint8_t out[2]);
/* The code point of a septet (ext: it followed an escape). */
uint32_t sms_gsm7_decode(uint8_t septet, bool ext);

/* UTF-8: one code point's bytes (1 to 4; invalid ones as U+FFFD), and up to
 * cap code points from len bytes (a bad sequence is U+FFFD). */
size_t sms_utf8_put(uint32_t cp, uint8_t out[4]);
size_t sms_utf8_decode(const char *s, size_t len, uint32_t *cps, size_t cap);

/* Parses "+8613..." (145), "8613..." (129), or text with a given toa;
 * digits may be 0-9 * # a b c.  -1 when it cannot be an address. */
int sms_addr_set(struct sms_addr *a, const char *text, int toa);

/* Decodes the RP SC address and TPDU in pdu[0..len).  has_sca false: the
 * TPDU alone.  Returns 0, or -1 when the PDU is malformed (any length
 * beyond the bytes given, a field out of its range). */
int sms_pdu_decode(const uint8_t *pdu, size_t len, bool has_sca, struct sms_addr *sca,
                   struct sms_tpdu *t);

/* Encodes sca (NULL or empty: the length octet 0) and t; returns the bytes
 * written, 0 when out is too small or t cannot be encoded.  *tpdu_len
 * (may be NULL) gets the TPDU's length, the figure AT+CMGS and +CMGR give. */
size_t sms_pdu_encode(const struct sms_addr *sca, const struct sms_tpdu *t, uint8_t *out,
                      size_t cap, size_t *tpdu_len);

/* The user data as code points: GSM 7-bit decoded, UCS2 as UTF-16 (pairs
 * joined), 8-bit as bytes 0..255; the header skipped.  Returns how many
 * were stored (at most cap). */
size_t sms_tpdu_text(const struct sms_tpdu *t, uint32_t *cps, size_t cap);

/* Fills t's user data from code points in the alphabet dcs selects, after
 * an optional concatenation header (t->concat).  Returns 0, or -1 when the
 * text does not fit in one TPDU or has a character the alphabet lacks. */
int sms_tpdu_set_text(struct sms_tpdu *t, const uint32_t *cps, size_t n);

/* How many code points of cps fit in one part of alphabet a, with a
 * concatenation header or without. */
size_t sms_part_capacity(enum sms_alphabet a, const uint32_t *cps, size_t n, bool concat);

/* Timestamps: "yy/MM/dd,hh:mm:ss+zz" (27.005's <scts>, zone in quarters). */
void sms_time_format(const struct sms_time *t, char out[24]);
int sms_time_parse(const char *text, struct sms_time *t);

#endif
