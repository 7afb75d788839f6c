/* The bytes of a mail on the wire: RFC 5322 headers, MIME parts, base64,
 * and the SMTP DATA transparency (dot-stuffing, CR LF line ends). */
#ifndef SIM800EMU_SMTP_COMPOSE_H
#define SIM800EMU_SMTP_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* DATA transparency over a stream cut anywhere: bare LF becomes CR LF, a
 * line's leading '.' is doubled (RFC 5321 §4.5.2). */
struct smtp_stuffer {
    bool at_bol;
    bool prev_cr;
};

void smtp_stuff_init(struct smtp_stuffer *st);
void smtp_stuff(struct smtp_stuffer *st, struct bytebuf *out, const uint8_t *p, size_t n);
/* Ends the stream on a line end (adds CR LF unless one was last). */
void smtp_stuff_end_line(struct smtp_stuffer *st, struct bytebuf *out);

/* base64 folded into lines of 76 characters with CR LF, across calls. */
struct smtp_b64 {
    uint8_t pend[3];
    int npend;
    int col;
};
void smtp_b64_init(struct smtp_b64 *b);
void smtp_b64_encode(struct smtp_b64 *b, struct bytebuf *out, const uint8_t *p, size_t n);
void smtp_b64_finish(struct smtp_b64 *b, struct bytebuf *out);
/* Re-folds text that is already base64: keeps only the alphabet and '=',
 * lines of 76 with CR LF; smtp_b64_refold_finish() ends the last line. */
void smtp_b64_refold(struct smtp_b64 *b, struct bytebuf *out, const uint8_t *p, size_t n);
void smtp_b64_refold_finish(struct smtp_b64 *b, struct bytebuf *out);

/* The whole of p as one base64 string, NUL-terminated in out (cap >= 4*ceil(n/3)+1);
 * -1 when it does not fit. */
int smtp_b64_string(char *out, size_t cap, const void *p, size_t n);

/* Hex digits to bytes ("54455354" -> "TEST"); -1 on an odd count or a non-hex digit. */
int smtp_hex_decode(const char *hex, size_t n, struct bytebuf *out);

#endif
