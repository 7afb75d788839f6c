/* The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038
 * §6.2.1), and what a data coding scheme selects (§4): sms_pdu.h. */
#include "sms_pdu.h"

#include <string.h>

/* --- GSM 7-bit default alphabet (TS 23.038 §6.2.1) --- */

static const uint16_t gsm7_basic[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x000A, 0x00D8,
    0x00F8, 0x000D, 0x00C5, 0x00E5, 0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, 0x00A0, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x0020, 0x0021, 0x0022, 0x0023,
    0x00A4, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003A, 0x003B,
    0x003C, 0x003D, 0x003E, 0x003F, 0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, 0x0050, 0x0051, 0x0052, 0x0053,
    0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B,
    0x006C, 0x006D, 0x006E, 0x006F, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0};

/* The extension table (§6.2.1.1): septet after 0x1B, and its code point. */
static const struct {
    uint8_t septet;
    uint16_t cp;
} gsm7_ext[] = {{0x0A, 0x000C}, {0x14, 0x005E}, {0x28, 0x007B}, {0x29, 0x007D}, {0x2F, 0x005C},
                {0x3C, 0x005B}, {0x3D, 0x007E}, {0x3E, 0x005D}, {0x40, 0x007C}, {0x65, 0x20AC}};

int sms_gsm7_encode(uint32_t cp, uint8_t out[2])
{
    for (size_t i = 0; i < sizeof(gsm7_basic) / sizeof(gsm7_basic[0]); i++) {
        if (i != GSM7_ESCAPE && gsm7_basic[i] == cp) {
            out[0] = (uint8_t)i;
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof(gsm7_ext) / sizeof(gsm7_ext[0]); i++) {
        if (gsm7_ext[i].cp == cp) {
            out[0] = GSM7_ESCAPE;
            out[1] = gsm7_ext[i].septet;
            return 2;
        }
    }
    return 0;
}

uint32_t sms_gsm7_decode(uint8_t septet, bool ext)
{
    septet &= 0x7F;
    if (ext) {
        for (size_t i = 0; i < sizeof(gsm7_ext) / sizeof(gsm7_ext[0]); i++)
            if (gsm7_ext[i].septet == septet)
                return gsm7_ext[i].cp;
        /* §6.2.1.1: an unknown extension shows as the basic character. */
    }
    return gsm7_basic[septet];
}

/* --- data coding scheme (TS 23.038 §4) --- */

enum sms_alphabet sms_dcs_alphabet(uint8_t dcs)
{
    switch (dcs >> 4) {
    case 0x0:
    case 0x1:
    case 0x2:
    case 0x3: /* general data coding (compressed text is not supported: 8-bit) */
    case 0x4:
    case 0x5:
    case 0x6:
    case 0x7:
        if (dcs & 0x20)
            return SMS_8BIT;
        switch ((dcs >> 2) & 3) {
        case 0:
            return SMS_GSM7;
        case 2:
            return SMS_UCS2;
        default:
            return SMS_8BIT;
        }
    case 0xC:
    case 0xD: /* message waiting, GSM 7-bit */
        return SMS_GSM7;
    case 0xE: /* message waiting, UCS2 */
        return SMS_UCS2;
    case 0xF:
        return (dcs & 0x04) ? SMS_8BIT : SMS_GSM7;
    default: /* reserved groups: octets as they are */
        return SMS_8BIT;
    }
}

int sms_dcs_class(uint8_t dcs)
{
    if ((dcs >> 6) == 0 || (dcs >> 6) == 1)
        return (dcs & 0x10) ? (dcs & 3) : -1;
    if ((dcs >> 4) == 0xF)
        return dcs & 3;
    return -1;
}

/* --- UTF-8 --- */

size_t sms_utf8_put(uint32_t c, uint8_t b[4])
{
    if (c > 0x10FFFF || (c >= 0xD800 && c < 0xE000))
        c = 0xFFFD;
    if (c < 0x80) {
        b[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        b[0] = (uint8_t)(0xC0 | (c >> 6));
        b[1] = (uint8_t)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        b[0] = (uint8_t)(0xE0 | (c >> 12));
        b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        b[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    b[0] = (uint8_t)(0xF0 | (c >> 18));
    b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
    b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
    b[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

size_t sms_utf8_decode(const char *s, size_t len, uint32_t *cps, size_t cap)
{
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    size_t n = 0;
    while (p < end && n < cap) {
        uint32_t c = *p++;
        int more = c >= 0xF8 ? -1 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if ((c >= 0x80 && more == 0) || more < 0) {
            cps[n++] = 0xFFFD;
            continue;
        }
        c &= more ? 0x3Fu >> more : 0x7Fu;
        for (; more > 0 && p < end && (*p & 0xC0) == 0x80; more--)
            c = (c << 6) | (*p++ & 0x3F);
        cps[n++] = more ? 0xFFFD : c;
    }
    return n;
}
