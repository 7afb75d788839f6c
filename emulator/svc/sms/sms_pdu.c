/* SMS TPDU codec (sms_pdu.h): 3GPP TS 23.040 §9.2 layouts, TS 23.038
 * alphabets.  Every read is checked against the bytes given. */
#include "sms_pdu.h"

#include <stdio.h>
#include <string.h>

/* --- addresses (TS 23.040 §9.1.2.5) --- */

static int bcd_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    switch (c) {
    case '*':
        return 0xA;
    case '#':
        return 0xB;
    case 'a':
    case 'A':
        return 0xC;
    case 'b':
    case 'B':
        return 0xD;
    case 'c':
    case 'C':
        return 0xE;
    default:
        return -1;
    }
}

static const char bcd_chars[] = "0123456789*#abc";

int sms_addr_set(struct sms_addr *a, const char *text, int toa)
{
    memset(a, 0, sizeof(*a));
    if (toa < 0)
        toa = text[0] == '+' ? SMS_TOA_INTERNATIONAL : SMS_TOA_UNKNOWN;
    if (toa < 128 || toa > 255)
        return -1;
    a->toa = toa;
    if ((toa & 0x70) == 0x50) { /* alphanumeric: kept as given, checked when encoded */
        if (strlen(text) > SMS_ADDR_MAX)
            return -1;
        strcpy(a->text, text);
        return 0;
    }
    const char *p = text;
    size_t n = 0;
    if (*p == '+') {
        p++;
        a->toa = (toa & 0x8F) | 0x10; /* "+" is the international type of number */
        a->text[n++] = '+';
    }
    size_t digits = 0;
    for (; *p; p++) {
        if (bcd_digit(*p) < 0 || digits >= 20)
            return -1;
        a->text[n++] = *p;
        digits++;
    }
    a->text[n] = '\0';
    return 0;
}

/* The international type shows as a leading "+" (27.005's <oa>/<da>). */
static bool addr_international(int toa) { return (toa & 0x70) == 0x10; }

/* --- septet packing (TS 23.038 §6.1.2.1) --- */

/* Septet i of a user-data field starts at bit i * 7 (header septets
 * included, so the text starts on a septet boundary after the fill bits). */
static void put_septet(uint8_t *ud, size_t i, uint8_t v)
{
    size_t bit = i * 7, byte = bit / 8, shift = bit % 8;
    ud[byte] |= (uint8_t)(v << shift);
    if (shift > 1)
        ud[byte + 1] |= (uint8_t)(v >> (8 - shift));
}

static uint8_t get_septet(const uint8_t *ud, size_t len, size_t i)
{
    size_t bit = i * 7, byte = bit / 8, shift = bit % 8;
    unsigned v = byte < len ? ud[byte] >> shift : 0;
    if (shift > 1 && byte + 1 < len)
        v |= (unsigned)ud[byte + 1] << (8 - shift);
    return (uint8_t)(v & 0x7F);
}

static size_t septets_octets(size_t septets) { return (septets * 7 + 7) / 8; }

/* Septets taken by a header of n octets (the fill bits included). */
static size_t header_septets(size_t n) { return (n * 8 + 6) / 7; }

/* --- reading --- */

struct reader {
    const uint8_t *p;
    size_t len, pos;
    bool bad;
};

static uint8_t rd_byte(struct reader *r)
{
    if (r->pos >= r->len) {
        r->bad = true;
        return 0;
    }
    return r->p[r->pos++];
}

static const uint8_t *rd_bytes(struct reader *r, size_t n)
{
    if (r->len - r->pos < n || r->pos > r->len) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static void bcd_to_text(const uint8_t *p, size_t digits, char *out)
{
    for (size_t i = 0; i < digits; i++) {
        unsigned d = (i % 2) ? p[i / 2] >> 4 : p[i / 2] & 0x0F;
        *out++ = d < 15 ? bcd_chars[d] : '?';
    }
    *out = '\0';
}

/* Code points to UTF-8, at most cap - 1 bytes, NUL-terminated. */
static void utf8_put(char *out, size_t cap, const uint32_t *cps, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b[4];
        size_t m = sms_utf8_put(cps[i], b);
        if (k + m >= cap)
            break;
        memcpy(out + k, b, m);
        k += m;
    }
    out[k] = '\0';
}

/* TP-OA/DA/RA: digit count, type, semi-octets. */
static void rd_addr(struct reader *r, struct sms_addr *a)
{
    size_t digits = rd_byte(r);
    a->toa = rd_byte(r);
    if (r->bad || digits > 20 || !(a->toa & 0x80)) {
        r->bad = true;
        return;
    }
    const uint8_t *p = rd_bytes(r, (digits + 1) / 2);
    if (!p)
        return;
    if ((a->toa & 0x70) == 0x50) { /* alphanumeric: packed GSM 7-bit */
        size_t n = digits * 4 / 7;
        uint32_t cps[SMS_ADDR_MAX];
        bool ext = false;
        size_t k = 0;
        for (size_t i = 0; i < n && k < SMS_ADDR_MAX; i++) {
            uint8_t s = get_septet(p, (digits + 1) / 2, i);
            if (s == GSM7_ESCAPE && !ext) {
                ext = true;
                continue;
            }
            cps[k++] = sms_gsm7_decode(s, ext);
            ext = false;
        }
        utf8_put(a->text, sizeof(a->text), cps, k);
        return;
    }
    char *out = a->text;
    if (addr_international(a->toa))
        *out++ = '+';
    bcd_to_text(p, digits, out);
}

static int semi(uint8_t b) { return (b & 0x0F) * 10 + (b >> 4); }

static void rd_time(struct reader *r, struct sms_time *t)
{
    const uint8_t *p = rd_bytes(r, 7);
    if (!p)
        return;
    /* Semi-octets are decimal digits (TS 23.040 §9.2.3.11); the zone's tens
     * digit carries the sign in its top bit. */
    for (int i = 0; i < 7; i++) {
        if ((p[i] >> 4) > 9 || (i < 6 && (p[i] & 0x0F) > 9)) {
            r->bad = true;
            return;
        }
    }
    t->year = semi(p[0]);
    t->month = semi(p[1]);
    t->day = semi(p[2]);
    t->hour = semi(p[3]);
    t->minute = semi(p[4]);
    t->second = semi(p[5]);
    int q = (p[6] & 0x07) * 10 + (p[6] >> 4);
    t->tz_quarters = (p[6] & 0x08) ? -q : q;
}

static void parse_udh(struct sms_tpdu *t)
{
    t->udh_len = (size_t)t->ud[0] + 1;
    for (size_t i = 1; i + 1 < t->udh_len;) {
        uint8_t iei = t->ud[i], len = t->ud[i + 1];
        const uint8_t *v = t->ud + i + 2;
        if (i + 2 + len > t->udh_len)
            break;
        if (iei == 0x00 && len == 3 && v[1] && v[2] && v[2] <= v[1]) {
            t->concat = (struct sms_concat){true, v[0], false, v[1], v[2]};
        } else if (iei == 0x08 && len == 4 && v[2] && v[3] && v[3] <= v[2]) {
            t->concat = (struct sms_concat){true, (uint16_t)(v[0] << 8 | v[1]), true, v[2], v[3]};
        }
        i += 2 + (size_t)len;
    }
}

static void rd_user_data(struct reader *r, struct sms_tpdu *t)
{
    t->udl = rd_byte(r);
    if (r->bad)
        return;
    bool septets = sms_dcs_alphabet(t->dcs) == SMS_GSM7;
    if ((septets && t->udl > SMS_SEPTETS_MAX) || (!septets && t->udl > SMS_UD_MAX)) {
        r->bad = true;
        return;
    }
    size_t n = septets ? septets_octets(t->udl) : t->udl;
    const uint8_t *p = rd_bytes(r, n);
    if (!p)
        return;
    memcpy(t->ud, p, n);
    t->ud_len = n;
    if (t->fo & 0x40) {
        if (n == 0 || (size_t)t->ud[0] + 1 > n ||
            (septets && header_septets((size_t)t->ud[0] + 1) > t->udl)) {
            r->bad = true;
            return;
        }
        parse_udh(t);
    }
}

int sms_pdu_decode(const uint8_t *pdu, size_t len, bool has_sca, struct sms_addr *sca,
                   struct sms_tpdu *t)
{
    struct reader r = {pdu, len, 0, false};
    memset(t, 0, sizeof(*t));
    if (sca)
        memset(sca, 0, sizeof(*sca));
    if (has_sca) {
        size_t n = rd_byte(&r);
        if (n > 11)
            return -1;
        if (n > 0) {
            uint8_t toa = rd_byte(&r);
            const uint8_t *p = rd_bytes(&r, n - 1);
            if (r.bad || !(toa & 0x80))
                return -1;
            if (sca) {
                sca->toa = toa;
                char *out = sca->text;
                if (addr_international(toa))
                    *out++ = '+';
                /* The last semi-octet may be the filler F. */
                size_t digits = (n - 1) * 2;
                if (digits && (p[n - 2] >> 4) == 0xF)
                    digits--;
                bcd_to_text(p, digits, out);
            }
        }
    }
    t->fo = rd_byte(&r);
    switch (t->fo & 3) {
    case 0:
        t->type = SMS_DELIVER;
        rd_addr(&r, &t->addr);
        t->pid = rd_byte(&r);
        t->dcs = rd_byte(&r);
        rd_time(&r, &t->scts);
        rd_user_data(&r, t);
        break;
    case 1: {
        t->type = SMS_SUBMIT;
        t->mr = rd_byte(&r);
        rd_addr(&r, &t->addr);
        t->pid = rd_byte(&r);
        t->dcs = rd_byte(&r);
        static const size_t vp_len[4] = {0, 7, 1, 7}; /* VPF: none, enhanced, relative, absolute */
        size_t n = vp_len[(t->fo >> 3) & 3];
        const uint8_t *p = rd_bytes(&r, n);
        if (p)
            memcpy(t->vp, p, n);
        rd_user_data(&r, t);
        break;
    }
    case 2:
        t->type = SMS_STATUS_REPORT;
        t->mr = rd_byte(&r);
        rd_addr(&r, &t->addr);
        rd_time(&r, &t->scts);
        rd_time(&r, &t->dt);
        t->st = rd_byte(&r);
        break; /* the optional parameters after TP-ST are not read */
    default:
        return -1;
    }
    return r.bad ? -1 : 0;
}

/* --- writing --- */

struct writer {
    uint8_t *p;
    size_t cap, pos;
    bool bad;
};

static void wr_byte(struct writer *w, uint8_t b)
{
    if (w->pos >= w->cap) {
        w->bad = true;
        return;
    }
    w->p[w->pos++] = b;
}

static void wr_bytes(struct writer *w, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        wr_byte(w, p[i]);
}

/* Semi-octets of a digit string (no "+"); returns the digit count. */
static size_t wr_bcd(struct writer *w, const char *digits)
{
    size_t n = strlen(digits);
    for (size_t i = 0; i < n; i += 2) {
        int lo = bcd_digit(digits[i]);
        int hi = i + 1 < n ? bcd_digit(digits[i + 1]) : 0xF;
        if (lo < 0 || hi < 0) {
            w->bad = true;
            return n;
        }
        wr_byte(w, (uint8_t)((hi << 4) | lo));
    }
    return n;
}

static void wr_addr(struct writer *w, const struct sms_addr *a)
{
    if ((a->toa & 0x70) == 0x50) {
        uint32_t cps[SMS_ADDR_MAX];
        size_t n = sms_utf8_decode(a->text, strlen(a->text), cps, SMS_ADDR_MAX);
        uint8_t septs[2 * SMS_ADDR_MAX], packed[SMS_ADDR_MAX] = {0};
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            uint8_t s[2];
            int m = sms_gsm7_encode(cps[i], s);
            if (m == 0 || k + (size_t)m > 11) { /* ten octets of address value at most */
                w->bad = true;
                return;
            }
            memcpy(septs + k, s, (size_t)m);
            k += (size_t)m;
        }
        for (size_t i = 0; i < k; i++)
            put_septet(packed, i, septs[i]);
        size_t octets = septets_octets(k);
        wr_byte(w, (uint8_t)((k * 7 + 3) / 4));
        wr_byte(w, (uint8_t)a->toa);
        wr_bytes(w, packed, octets);
        return;
    }
    const char *digits = a->text[0] == '+' ? a->text + 1 : a->text;
    wr_byte(w, (uint8_t)strlen(digits));
    wr_byte(w, (uint8_t)a->toa);
    wr_bcd(w, digits);
}

static uint8_t bcd2(int v) { return (uint8_t)(((v % 10) << 4) | ((v / 10) % 10)); }

static void wr_time(struct writer *w, const struct sms_time *t)
{
    wr_byte(w, bcd2(t->year));
    wr_byte(w, bcd2(t->month));
    wr_byte(w, bcd2(t->day));
    wr_byte(w, bcd2(t->hour));
    wr_byte(w, bcd2(t->minute));
    wr_byte(w, bcd2(t->second));
    int q = t->tz_quarters < 0 ? -t->tz_quarters : t->tz_quarters;
    uint8_t b = bcd2(q % 80);
    wr_byte(w, t->tz_quarters < 0 ? (uint8_t)(b | 0x08) : b);
}

size_t sms_pdu_encode(const struct sms_addr *sca, const struct sms_tpdu *t, uint8_t *out,
                      size_t cap, size_t *tpdu_len)
{
    struct writer w = {out, cap, 0, false};
    if (sca && sca->text[0]) {
        const char *digits = sca->text[0] == '+' ? sca->text + 1 : sca->text;
        size_t n = strlen(digits);
        if (n > 20)
            return 0;
        wr_byte(&w, (uint8_t)(1 + (n + 1) / 2));
        wr_byte(&w, (uint8_t)sca->toa);
        wr_bcd(&w, digits);
    } else {
        wr_byte(&w, 0);
    }
    size_t start = w.pos;
    wr_byte(&w, t->fo);
    switch (t->type) {
    case SMS_DELIVER:
        wr_addr(&w, &t->addr);
        wr_byte(&w, t->pid);
        wr_byte(&w, t->dcs);
        wr_time(&w, &t->scts);
        break;
    case SMS_SUBMIT: {
        static const size_t vp_len[4] = {0, 7, 1, 7};
        wr_byte(&w, t->mr);
        wr_addr(&w, &t->addr);
        wr_byte(&w, t->pid);
        wr_byte(&w, t->dcs);
        wr_bytes(&w, t->vp, vp_len[(t->fo >> 3) & 3]);
        break;
    }
    case SMS_STATUS_REPORT:
        wr_byte(&w, t->mr);
        wr_addr(&w, &t->addr);
        wr_time(&w, &t->scts);
        wr_time(&w, &t->dt);
        wr_byte(&w, t->st);
        break;
    }
    if (t->type != SMS_STATUS_REPORT) {
        wr_byte(&w, t->udl);
        wr_bytes(&w, t->ud, t->ud_len);
    }
    if (w.bad)
        return 0;
    if (tpdu_len)
        *tpdu_len = w.pos - start;
    return w.pos;
}

/* --- text --- */

size_t sms_tpdu_text(const struct sms_tpdu *t, uint32_t *cps, size_t cap)
{
    size_t n = 0;
    switch (sms_dcs_alphabet(t->dcs)) {
    case SMS_GSM7: {
        bool ext = false;
        for (size_t i = header_septets(t->udh_len); i < t->udl && n < cap; i++) {
            uint8_t s = get_septet(t->ud, t->ud_len, i);
            if (s == GSM7_ESCAPE && !ext) {
                ext = true;
                continue;
            }
            cps[n++] = sms_gsm7_decode(s, ext);
            ext = false;
        }
        break;
    }
    case SMS_UCS2:
        for (size_t i = t->udh_len; i + 1 < t->ud_len && n < cap; i += 2) {
            uint32_t u = (uint32_t)t->ud[i] << 8 | t->ud[i + 1];
            if (u >= 0xD800 && u < 0xDC00 && i + 3 < t->ud_len) {
                uint32_t lo = (uint32_t)t->ud[i + 2] << 8 | t->ud[i + 3];
                if (lo >= 0xDC00 && lo < 0xE000) {
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    i += 2;
                }
            }
            cps[n++] = u;
        }
        break;
    case SMS_8BIT:
        for (size_t i = t->udh_len; i < t->ud_len && n < cap; i++)
            cps[n++] = t->ud[i];
        break;
    }
    return n;
}

static size_t udh_write(const struct sms_concat *c, uint8_t *ud)
{
    if (!c->present)
        return 0;
    if (c->ref16) {
        const uint8_t h[] = {6, 0x08, 4, (uint8_t)(c->ref >> 8), (uint8_t)c->ref, c->total, c->seq};
        memcpy(ud, h, sizeof(h));
        return sizeof(h);
    }
    const uint8_t h[] = {5, 0x00, 3, (uint8_t)c->ref, c->total, c->seq};
    memcpy(ud, h, sizeof(h));
    return sizeof(h);
}

/* Units (septets, octets, UTF-16 code units) one code point takes. */
static size_t units_of(enum sms_alphabet a, uint32_t cp)
{
    uint8_t s[2];
    switch (a) {
    case SMS_GSM7:
        return (size_t)sms_gsm7_encode(cp, s);
    case SMS_UCS2:
        return cp >= 0x10000 ? 2 : 1;
    default:
        return cp < 256 ? 1 : 0;
    }
}

size_t sms_part_capacity(enum sms_alphabet a, const uint32_t *cps, size_t n, bool concat)
{
    size_t room = a == SMS_GSM7   ? SMS_SEPTETS_MAX - (concat ? 7 : 0)
                  : a == SMS_UCS2 ? (SMS_UD_MAX - (concat ? 6 : 0)) / 2
                                  : SMS_UD_MAX - (concat ? 6 : 0);
    size_t used = 0, k = 0;
    for (; k < n; k++) {
        size_t u = units_of(a, cps[k]);
        if (u == 0 || used + u > room)
            break;
        used += u;
    }
    return k;
}

int sms_tpdu_set_text(struct sms_tpdu *t, const uint32_t *cps, size_t n)
{
    enum sms_alphabet a = sms_dcs_alphabet(t->dcs);
    memset(t->ud, 0, sizeof(t->ud));
    size_t h = udh_write(&t->concat, t->ud);
    t->udh_len = h;
    if (h)
        t->fo |= 0x40;
    else
        t->fo &= (uint8_t)~0x40;
    if (a == SMS_GSM7) {
        size_t i = header_septets(h);
        for (size_t k = 0; k < n; k++) {
            uint8_t s[2];
            int m = sms_gsm7_encode(cps[k], s);
            if (m == 0 || i + (size_t)m > SMS_SEPTETS_MAX)
                return -1;
            for (int j = 0; j < m; j++)
                put_septet(t->ud, i++, s[j]);
        }
        t->udl = (uint8_t)i;
        t->ud_len = septets_octets(i);
        return 0;
    }
    size_t i = h;
    for (size_t k = 0; k < n; k++) {
        uint32_t c = cps[k];
        if (a == SMS_8BIT) {
            if (c > 0xFF || i + 1 > SMS_UD_MAX)
                return -1;
            t->ud[i++] = (uint8_t)c;
            continue;
        }
        if (c >= 0x10000) {
            if (c > 0x10FFFF || i + 4 > SMS_UD_MAX)
                return -1;
            uint32_t v = c - 0x10000, hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
            t->ud[i++] = (uint8_t)(hi >> 8);
            t->ud[i++] = (uint8_t)hi;
            t->ud[i++] = (uint8_t)(lo >> 8);
            t->ud[i++] = (uint8_t)lo;
            continue;
        }
        if (i + 2 > SMS_UD_MAX)
            return -1;
        t->ud[i++] = (uint8_t)(c >> 8);
        t->ud[i++] = (uint8_t)c;
    }
    t->udl = (uint8_t)i;
    t->ud_len = i;
    return 0;
}

/* --- timestamps --- */

void sms_time_format(const struct sms_time *t, char out[24])
{
    unsigned q = (unsigned)(t->tz_quarters < 0 ? -t->tz_quarters : t->tz_quarters);
    snprintf(out, 24, "%02u/%02u/%02u,%02u:%02u:%02u%c%02u", (unsigned)t->year % 100,
             (unsigned)t->month % 100, (unsigned)t->day % 100, (unsigned)t->hour % 100,
             (unsigned)t->minute % 100, (unsigned)t->second % 100, t->tz_quarters < 0 ? '-' : '+',
             q % 100);
}

int sms_time_parse(const char *text, struct sms_time *t)
{
    char sign;
    int q, used = 0;
    if (sscanf(text, "%2d/%2d/%2d,%2d:%2d:%2d%c%2d%n", &t->year, &t->month, &t->day, &t->hour,
               &t->minute, &t->second, &sign, &q, &used) != 8 ||
        text[used] || (sign != '+' && sign != '-'))
        return -1;
    if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > 31 || t->hour > 23 ||
        t->minute > 59 || t->second > 59 || q > 79 || t->year < 0 || t->hour < 0 || t->minute < 0 ||
        t->second < 0 || q < 0)
        return -1;
    t->tz_quarters = sign == '-' ? -q : q;
    return 0;
}
