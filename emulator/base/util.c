#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void out_of_memory(size_t n)
{
    fprintf(stderr, "sim800emu: out of memory (%zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

void bytebuf_append(struct bytebuf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (b->off > 0 && b->off == b->len) {
        b->off = 0;
        b->len = 0;
    }
    if (b->len + n > b->cap) {
        /* Reclaim the consumed front before growing. */
        if (b->off > 0) {
            memmove(b->data, b->data + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        if (b->len + n > b->cap) {
            size_t cap = b->cap ? b->cap : 256;
            while (cap < b->len + n)
                cap *= 2;
            b->data = xrealloc(b->data, cap);
            b->cap = cap;
        }
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void bytebuf_append_str(struct bytebuf *b, const char *s) { bytebuf_append(b, s, strlen(s)); }

int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_to_bytes(const char *hex, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_value((unsigned char)hex[i]), lo = hex_value((unsigned char)hex[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return 0;
}

size_t utf8_valid_prefix(const unsigned char *p, size_t n)
{
    size_t k = p[0] >= 0xF5 ? 0 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return k;
}

void bytebuf_append_json(struct bytebuf *b, const char *s)
{
    bytebuf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        char tmp[8];
        size_t n;
        if (*p == '"' || *p == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)*p;
            bytebuf_append(b, tmp, 2);
            p++;
        } else if (*p >= 0x80 && (n = utf8_valid_prefix(p, strnlen((const char *)p, 4))) > 0) {
            bytebuf_append(b, p, n);
            p += n;
        } else if (*p < 0x20 || *p >= 0x7f) {
            snprintf(tmp, sizeof(tmp), "\\u%04x", *p);
            bytebuf_append(b, tmp, 6);
            p++;
        } else {
            bytebuf_append(b, p, 1);
            p++;
        }
    }
    bytebuf_append(b, "\"", 1);
}

void bytebuf_consume(struct bytebuf *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len) {
        b->off = 0;
        b->len = 0;
    }
}

void bytebuf_clear(struct bytebuf *b)
{
    b->off = 0;
    b->len = 0;
}

void bytebuf_free(struct bytebuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c; }

bool ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_upper(*a) != ascii_upper(*b))
            return false;
    return *a == *b;
}

bool str_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (cap == 0)
        return false;
    if (n >= cap) {
        memcpy(dst, src, cap - 1);
        dst[cap - 1] = '\0';
        return false;
    }
    memcpy(dst, src, n + 1);
    return true;
}

double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
