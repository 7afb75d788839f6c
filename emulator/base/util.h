/* Small helpers shared by every module: allocation that aborts on failure,
 * a growable byte buffer and the monotonic clock. */
#ifndef SIM800EMU_UTIL_H
#define SIM800EMU_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failure is not an outside input we can answer: abort in one place. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* A growable byte buffer with a read offset, binary-safe. */
struct bytebuf {
    uint8_t *data;
    size_t len; /* bytes stored, from data[0] */
    size_t off; /* bytes already consumed from the front */
    size_t cap;
};

void bytebuf_append(struct bytebuf *b, const void *p, size_t n);
void bytebuf_append_str(struct bytebuf *b, const char *s);
/* s as a quoted JSON string: quotes, backslashes and control bytes escaped,
 * valid UTF-8 kept as it is, any other byte as \u00XX. */
void bytebuf_append_json(struct bytebuf *b, const char *s);
/* The value of a hex digit, -1 for any other byte. */
int hex_value(int c);
/* n hex digits to bytes (at most cap); -1 when n is odd, a byte is not a
 * hex digit, or the bytes do not fit. */
int hex_to_bytes(const char *hex, size_t n, uint8_t *out, size_t cap, size_t *len);
/* Bytes (2 to 4) of the valid UTF-8 sequence p starts with, within n; 0
 * when there is none. */
size_t utf8_valid_prefix(const unsigned char *p, size_t n);
/* Bytes not yet consumed. */
static inline size_t bytebuf_pending(const struct bytebuf *b) { return b->len - b->off; }
/* Never NULL, even for a buffer that never held anything (NULL + 0 is
 * undefined, and callers pass the head to memcpy and write). */
static inline const uint8_t *bytebuf_head(const struct bytebuf *b)
{
    static const uint8_t empty[1];
    return b->data ? b->data + b->off : empty;
}
void bytebuf_consume(struct bytebuf *b, size_t n);
void bytebuf_clear(struct bytebuf *b);
void bytebuf_free(struct bytebuf *b);

/* Case-insensitive ASCII comparison, independent of the locale. */
bool ascii_ieq(const char *a, const char *b);
char ascii_upper(char c);

/* Bounded copy that always terminates; returns false when src was truncated. */
bool str_copy(char *dst, size_t cap, const char *src);

/* Monotonic time in seconds, for trace timestamps. */
double monotonic_seconds(void);

#endif
