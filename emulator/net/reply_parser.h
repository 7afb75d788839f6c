/* The reply framing of the line protocols (FTP, SMTP, POP3), without I/O:
 * linecli feeds it what the server sent, the fuzzer feeds it anything.
 *
 * - Numeric style (FTP, SMTP): "250 text" or "250-first" ... "250 last";
 *   between the first and the last line any text is allowed, even lines
 *   that start with digits (RFC 959 §4.2).
 * - POP3 style: "+OK ..." or "-ERR ..." (and a bare "+" continuation); with
 *   want_body after +OK, a body of CRLF lines up to ".\r\n", dot-unstuffed
 *   (RFC 1939 §3), CRLFs kept, the terminator dropped.
 * Every buffer is bounded: a line, the reply's lines together and a body
 * each have a maximum, past which feeding fails (-1) with a reason. */
#ifndef SIM800EMU_REPLY_PARSER_H
#define SIM800EMU_REPLY_PARSER_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum reply_style { REPLY_NUMERIC, REPLY_POP3 };

struct reply_parser {
    enum reply_style style;
    size_t max_line, max_reply, max_body;
    int phase; /* private */
    bool want_body;
    int code;            /* numeric: the three digits of the reply */
    bool ok;             /* numeric: code < 400; POP3: +OK */
    struct bytebuf text; /* every status line, "\n"-joined, without CR LF */
    struct bytebuf body; /* POP3 body */
    char detail[160];    /* why feeding failed */
};

void reply_parser_init(struct reply_parser *rp, enum reply_style style, size_t max_line,
                       size_t max_reply, size_t max_body);
void reply_parser_free(struct reply_parser *rp);

/* Starts a new reply (forgets the last one's text and body). */
void reply_parser_start(struct reply_parser *rp, bool want_body);

/* Whether a +OK status line came and the body is being read (its lines
 * so far are in body). */
bool reply_parser_in_body(const struct reply_parser *rp);

/* Takes what it can from in: 1 when the reply is complete (code, ok, text
 * and body hold it until the next start; in keeps whatever follows it),
 * 0 when more bytes are needed, -1 on a protocol error (detail says why). */
int reply_parser_feed(struct reply_parser *rp, struct bytebuf *in);

/* The text of a numeric reply's last line after its code and separator,
 * "" when that line is the bare code ("213"): where a value such as SIZE's
 * (RFC 3659 §4) or an AUTH challenge (RFC 4954 §4) is.  text is the
 * "\n"-joined status lines, as in struct reply_parser. */
const char *reply_last_line_text(const char *text);

#endif
