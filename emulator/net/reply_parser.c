#include "reply_parser.h"

#include <stdio.h>
#include <string.h>

#include "trace.h"

enum phase { PH_FIRST, PH_MORE, PH_BODY };

void reply_parser_init(struct reply_parser *rp, enum reply_style style, size_t max_line,
                       size_t max_reply, size_t max_body)
{
    memset(rp, 0, sizeof(*rp));
    rp->style = style;
    rp->max_line = max_line;
    rp->max_reply = max_reply;
    rp->max_body = max_body;
}

void reply_parser_free(struct reply_parser *rp)
{
    bytebuf_free(&rp->text);
    bytebuf_free(&rp->body);
}

void reply_parser_start(struct reply_parser *rp, bool want_body)
{
    rp->want_body = want_body;
    rp->phase = PH_FIRST;
    rp->code = 0;
    rp->ok = false;
    rp->detail[0] = '\0';
    bytebuf_clear(&rp->text);
    bytebuf_clear(&rp->body);
}

bool reply_parser_in_body(const struct reply_parser *rp) { return rp->phase == PH_BODY; }

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static bool starts_ci(const uint8_t *p, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (ascii_upper((char)p[i]) != prefix[i])
            return false;
    return true;
}

/* The first line of a reply: its code and whether more lines follow.
 * false: not a reply of this protocol. */
static bool first_line(struct reply_parser *rp, const uint8_t *p, size_t n)
{
    if (rp->style == REPLY_NUMERIC) {
        if (n < 3 || p[0] < '1' || p[0] > '5' || !is_digit(p[1]) || !is_digit(p[2]) ||
            (n > 3 && p[3] != ' ' && p[3] != '-'))
            return false;
        rp->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
        rp->ok = rp->code < 400;
        rp->phase = n > 3 && p[3] == '-' ? PH_MORE : PH_FIRST;
        return true;
    }
    if (starts_ci(p, n, "+OK") || (n >= 1 && p[0] == '+' && (n == 1 || p[1] == ' ')))
        rp->ok = true;
    else if (starts_ci(p, n, "-ERR"))
        rp->ok = false;
    else
        return false;
    rp->phase = rp->ok && rp->want_body ? PH_BODY : PH_FIRST;
    return true;
}

/* One line of the status part; 1: the reply is complete, 0: more lines,
 * -1: a protocol error (detail set). */
static int status_line(struct reply_parser *rp, const uint8_t *p, size_t n)
{
    if (bytebuf_pending(&rp->text) + n + 1 > rp->max_reply) {
        snprintf(rp->detail, sizeof(rp->detail), "reply longer than %zu bytes", rp->max_reply);
        return -1;
    }
    if (bytebuf_pending(&rp->text) > 0)
        bytebuf_append(&rp->text, "\n", 1);
    bytebuf_append(&rp->text, p, n);
    if (rp->phase == PH_MORE) {
        /* RFC 959 4.2: the last line is the code and a space; the lines in
         * between may start with anything, digits included. */
        const uint8_t *t = bytebuf_head(&rp->text);
        return n >= 3 && memcmp(p, t, 3) == 0 && (n == 3 || p[3] == ' ');
    }
    if (!first_line(rp, p, n)) {
        char shown[48];
        trace_quote(shown, sizeof(shown), p, n < 32 ? n : 32);
        snprintf(rp->detail, sizeof(rp->detail), "not a %s reply: %s",
                 rp->style == REPLY_NUMERIC ? "numeric" : "POP3", shown);
        return -1;
    }
    return rp->phase == PH_FIRST;
}

/* One CRLF-terminated body line (CRLF included); as status_line(). */
static int body_line(struct reply_parser *rp, const uint8_t *p, size_t n)
{
    if (n == 3 && p[0] == '.')
        return 1;      /* ".\r\n": the end */
    if (p[0] == '.') { /* RFC 1939 3: a dot-stuffed line */
        p++;
        n--;
    }
    if (bytebuf_pending(&rp->body) + n > rp->max_body) {
        snprintf(rp->detail, sizeof(rp->detail), "body longer than %zu bytes", rp->max_body);
        return -1;
    }
    bytebuf_append(&rp->body, p, n);
    return 0;
}

int reply_parser_feed(struct reply_parser *rp, struct bytebuf *in)
{
    for (;;) {
        const uint8_t *p = bytebuf_head(in);
        size_t avail = bytebuf_pending(in);
        int done;
        if (rp->phase == PH_BODY) {
            const uint8_t *end = avail >= 2 ? memmem(p, avail, "\r\n", 2) : NULL;
            if (!end) {
                /* An unfinished line may still be a body line. */
                if (avail > rp->max_body - bytebuf_pending(&rp->body) + 2) {
                    snprintf(rp->detail, sizeof(rp->detail), "body longer than %zu bytes",
                             rp->max_body);
                    return -1;
                }
                return 0;
            }
            size_t n = (size_t)(end - p) + 2;
            done = body_line(rp, p, n);
            bytebuf_consume(in, n);
        } else {
            const uint8_t *nl = avail ? memchr(p, '\n', avail) : NULL;
            size_t n = nl ? (size_t)(nl - p) + 1 : avail;
            if (n > rp->max_line) {
                snprintf(rp->detail, sizeof(rp->detail), "reply line longer than %zu bytes",
                         rp->max_line);
                return -1;
            }
            if (!nl)
                return 0;
            size_t len = n - 1;
            if (len > 0 && p[len - 1] == '\r')
                len--;
            done = status_line(rp, p, len);
            bytebuf_consume(in, n);
        }
        if (done != 0)
            return done;
    }
}

const char *reply_last_line_text(const char *text)
{
    const char *line = strrchr(text, '\n');
    line = line ? line + 1 : text;
    size_t n = strlen(line);
    return n > 4 ? line + 4 : "";
}
