#include "smtp_compose.h"

#include <string.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void smtp_stuff_init(struct smtp_stuffer *st)
{
    st->at_bol = true;
    st->prev_cr = false;
}

void smtp_stuff(struct smtp_stuffer *st, struct bytebuf *out, const uint8_t *p, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '\n' && !st->prev_cr) {
            bytebuf_append(out, p + start, i - start);
            bytebuf_append(out, "\r", 1);
            start = i;
        } else if (c == '.' && st->at_bol) {
            bytebuf_append(out, p + start, i - start);
            bytebuf_append(out, ".", 1);
            start = i;
        }
        st->at_bol = c == '\n';
        st->prev_cr = c == '\r';
    }
    bytebuf_append(out, p + start, n - start);
}

void smtp_stuff_end_line(struct smtp_stuffer *st, struct bytebuf *out)
{
    if (!st->at_bol) {
        if (st->prev_cr)
            bytebuf_append(out, "\n", 1);
        else
            bytebuf_append(out, "\r\n", 2);
    }
    st->at_bol = true;
    st->prev_cr = false;
}

void smtp_b64_init(struct smtp_b64 *b) { memset(b, 0, sizeof(*b)); }

static void put_char(struct smtp_b64 *b, struct bytebuf *out, char c)
{
    bytebuf_append(out, &c, 1);
    if (++b->col == 76) {
        bytebuf_append(out, "\r\n", 2);
        b->col = 0;
    }
}

static void put_quad(struct smtp_b64 *b, struct bytebuf *out, const uint8_t *q, int n)
{
    unsigned v = (unsigned)q[0] << 16 | (n > 1 ? (unsigned)q[1] << 8 : 0) | (n > 2 ? q[2] : 0);
    put_char(b, out, B64[v >> 18 & 63]);
    put_char(b, out, B64[v >> 12 & 63]);
    put_char(b, out, n > 1 ? B64[v >> 6 & 63] : '=');
    put_char(b, out, n > 2 ? B64[v & 63] : '=');
}

void smtp_b64_encode(struct smtp_b64 *b, struct bytebuf *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b->pend[b->npend++] = p[i];
        if (b->npend == 3) {
            put_quad(b, out, b->pend, 3);
            b->npend = 0;
        }
    }
}

void smtp_b64_finish(struct smtp_b64 *b, struct bytebuf *out)
{
    if (b->npend)
        put_quad(b, out, b->pend, b->npend);
    b->npend = 0;
    if (b->col)
        bytebuf_append(out, "\r\n", 2);
    b->col = 0;
}

void smtp_b64_refold(struct smtp_b64 *b, struct bytebuf *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = (char)p[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '+' || c == '/' || c == '=')
            put_char(b, out, c);
    }
}

void smtp_b64_refold_finish(struct smtp_b64 *b, struct bytebuf *out)
{
    if (b->col)
        bytebuf_append(out, "\r\n", 2);
    b->col = 0;
}

int smtp_b64_string(char *out, size_t cap, const void *p, size_t n)
{
    if (cap < (n + 2) / 3 * 4 + 1)
        return -1;
    const uint8_t *s = p;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        size_t k = n - i < 3 ? n - i : 3;
        unsigned v =
            (unsigned)s[i] << 16 | (k > 1 ? (unsigned)s[i + 1] << 8 : 0) | (k > 2 ? s[i + 2] : 0);
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        out[o++] = k > 1 ? B64[v >> 6 & 63] : '=';
        out[o++] = k > 2 ? B64[v & 63] : '=';
    }
    out[o] = '\0';
    return 0;
}

int smtp_hex_decode(const char *hex, size_t n, struct bytebuf *out)
{
    if (n % 2)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_value((unsigned char)hex[i]), lo = hex_value((unsigned char)hex[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        uint8_t c = (uint8_t)(hi << 4 | lo);
        bytebuf_append(out, &c, 1);
    }
    return 0;
}
