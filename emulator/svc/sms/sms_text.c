/* The TE character sets of AT+CSCS (SIM800 AT Command Manual V1.09 §3.2.12)
 * and the text-mode result lines of chapter 4 (sms.h). */
#include <stdio.h>
#include <string.h>

#include "sms.h"

/* Reads a run of hex digits, `width` of them per value. */
static int hex_values(const uint8_t *in, size_t n, size_t width, uint32_t *out, size_t cap,
                      size_t *out_n)
{
    if (n % width)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n && k < cap; i += width) {
        uint32_t v = 0;
        for (size_t j = 0; j < width; j++) {
            int h = hex_value(in[i + j]);
            if (h < 0)
                return -1;
            v = v << 4 | (uint32_t)h;
        }
        out[k++] = v;
    }
    *out_n = k;
    return 0;
}

int sms_te_decode(enum sms_charset cs, const uint8_t *in, size_t n, uint32_t *cps, size_t cap,
                  size_t *out_n)
{
    size_t k = 0;
    switch (cs) {
    case CS_UCS2: {
        if (hex_values(in, n, 4, cps, cap, &k) < 0)
            return -1;
        /* UTF-16 surrogate pairs become one code point. */
        size_t j = 0;
        for (size_t i = 0; i < k; i++) {
            uint32_t c = cps[i];
            if (c >= 0xD800 && c < 0xDC00 && i + 1 < k && cps[i + 1] >= 0xDC00 &&
                cps[i + 1] < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (cps[i + 1] - 0xDC00);
                i++;
            }
            cps[j++] = c;
        }
        *out_n = j;
        return 0;
    }
    case CS_HEX: /* each GSM 7-bit character as two hex digits */
        if (hex_values(in, n, 2, cps, cap, &k) < 0)
            return -1;
        for (size_t i = 0; i < k; i++)
            if (cps[i] > 0x7F)
                return -1;
        /* fall into the GSM mapping below */
        {
            size_t j = 0;
            for (size_t i = 0; i < k; i++) {
                bool ext = cps[i] == 0x1B && i + 1 < k;
                if (ext)
                    i++;
                cps[j++] = sms_gsm7_decode((uint8_t)cps[i], ext);
            }
            *out_n = j;
        }
        return 0;
    case CS_GSM:
        for (size_t i = 0; i < n && k < cap; i++) {
            if (in[i] > 0x7F)
                return -1;
            bool ext = in[i] == 0x1B && i + 1 < n;
            if (ext)
                i++;
            cps[k++] = sms_gsm7_decode(in[i], ext);
        }
        break;
    case CS_8859_1:
        for (size_t i = 0; i < n && k < cap; i++)
            cps[k++] = in[i];
        break;
    default: /* IRA, and the Chinese sets read as IRA (their double-byte forms are not kept) */
        for (size_t i = 0; i < n && k < cap; i++) {
            if (in[i] > 0x7F)
                return -1;
            cps[k++] = in[i];
        }
        break;
    }
    *out_n = k;
    return 0;
}

void sms_te_encode(enum sms_charset cs, const uint32_t *cps, size_t n, struct bytebuf *out)
{
    char hex[16];
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cps[i];
        uint8_t s[2];
        int m;
        switch (cs) {
        case CS_UCS2:
            if (c >= 0x10000) {
                uint32_t v = c - 0x10000;
                snprintf(hex, sizeof(hex), "%04X%04X", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
            } else {
                snprintf(hex, sizeof(hex), "%04X", c);
            }
            bytebuf_append_str(out, hex);
            break;
        case CS_HEX:
            m = sms_gsm7_encode(c, s);
            if (m == 0)
                bytebuf_append_str(out, "3F");
            for (int j = 0; j < m; j++) {
                snprintf(hex, sizeof(hex), "%02X", s[j]);
                bytebuf_append_str(out, hex);
            }
            break;
        case CS_GSM:
            m = sms_gsm7_encode(c, s);
            if (m == 0)
                bytebuf_append(out, "?", 1);
            else
                bytebuf_append(out, s, (size_t)m);
            break;
        case CS_8859_1: {
            uint8_t b = c < 0x100 ? (uint8_t)c : '?';
            bytebuf_append(out, &b, 1);
            break;
        }
        default: {
            uint8_t b = c < 0x80 ? (uint8_t)c : '?';
            bytebuf_append(out, &b, 1);
            break;
        }
        }
    }
}

void sms_utf8_encode(const uint32_t *cps, size_t n, struct bytebuf *out)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b[4];
        bytebuf_append(out, b, sms_utf8_put(cps[i], b));
    }
}

void sms_hex(const uint8_t *p, size_t n, struct bytebuf *out)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        char h[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
        bytebuf_append(out, h, 2);
    }
}

void sms_text_data(const struct sms_state *s, const struct sms_tpdu *t, struct bytebuf *out)
{
    /* 27.005 (manual §4.2.3 <data>): GSM 7-bit text without a header is
     * converted to the TE set; 8-bit, UCS2, or any message with a header
     * shows its user-data octets in hex. */
    if (sms_dcs_alphabet(t->dcs) != SMS_GSM7 || t->udh_len) {
        sms_hex(t->ud, t->ud_len, out);
        return;
    }
    uint32_t cps[SMS_SEPTETS_MAX];
    size_t n = sms_tpdu_text(t, cps, SMS_SEPTETS_MAX);
    sms_te_encode((enum sms_charset)s->active.cscs, cps, n, out);
}

void sms_text_addr(const struct sms_state *s, const char *addr, struct bytebuf *out)
{
    uint32_t cps[64];
    size_t n = sms_utf8_decode(addr, strlen(addr), cps, 64);
    bytebuf_append(out, "\"", 1);
    sms_te_encode((enum sms_charset)s->active.cscs, cps, n, out);
    bytebuf_append(out, "\"", 1);
}

/* <length> in text mode: characters of GSM 7-bit text, else octets. */
static unsigned text_length(const struct sms_tpdu *t)
{
    return sms_dcs_alphabet(t->dcs) == SMS_GSM7 && !t->udh_len ? t->udl : (unsigned)t->ud_len;
}

void sms_text_header(const struct sms_state *s, const struct sms_addr *sca,
                     const struct sms_tpdu *t, bool list, struct bytebuf *out)
{
    char num[96], when[24];
    sms_text_addr(s, t->addr.text, out);
    bytebuf_append_str(out, ",\"\""); /* <alpha>: no phonebook entry */
    if (t->type == SMS_DELIVER) {
        sms_time_format(&t->scts, when);
        snprintf(num, sizeof(num), ",\"%s\"", when);
        bytebuf_append_str(out, num);
    } else if (list && s->csdh) {
        bytebuf_append_str(out, ","); /* +CMGL's empty <scts> of a SUBMIT */
    }
    if (!s->csdh)
        return;
    if (list) { /* +CMGL: [,<tooa/toda>,<length>] */
        snprintf(num, sizeof(num), ",%d,%u", t->addr.toa, text_length(t));
        bytebuf_append_str(out, num);
        return;
    }
    snprintf(num, sizeof(num), ",%d,%d,%d,%d", t->addr.toa, t->fo, t->pid, t->dcs);
    bytebuf_append_str(out, num);
    if (t->type == SMS_SUBMIT && ((t->fo >> 3) & 3) == 2) {
        snprintf(num, sizeof(num), ",%d", t->vp[0]);
        bytebuf_append_str(out, num);
    }
    bytebuf_append_str(out, ",");
    sms_text_addr(s, sca ? sca->text : "", out);
    snprintf(num, sizeof(num), ",%d,%u", sca && sca->text[0] ? sca->toa : SMS_TOA_UNKNOWN,
             text_length(t));
    bytebuf_append_str(out, num);
}
