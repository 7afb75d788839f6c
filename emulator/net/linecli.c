/* Line-protocol client (linecli.h): a conn, an input buffer, and a parser
 * that turns the buffered bytes into one reply at a time. */
#include "linecli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "util.h"

#define CMD_MAX 1024

enum phase { PH_FIRST, PH_MORE, PH_BODY };

struct linecli {
    struct conn *conn;       /* NULL once dead */
    const struct linecli_handlers *h;
    void *ud;
    enum linecli_style style;
    double reply_timeout_s;
    size_t max_line, max_reply, max_body;
    int trace_id;
    struct bytebuf in;       /* received, not yet parsed */
    bool awaiting;
    unsigned flags;          /* of the awaited reply */
    enum phase phase;
    int code;
    bool ok;
    struct bytebuf text;     /* the reply's lines so far */
    struct bytebuf body;
    ev_timer timer;          /* reply timeout */
    ev_timer kick;           /* parses replies already buffered, from the loop */
    bool upgrading;
    int calling;             /* handlers running up the stack */
    bool free_pending;       /* linecli_free() ran inside a handler */
    char detail[160];
};

static struct ev_loop *L(void) { return net_loop(); }

static void destroy(struct linecli *lc)
{
    ev_timer_stop(L(), &lc->timer);
    ev_timer_stop(L(), &lc->kick);
    conn_free(lc->conn, false);
    lc->conn = NULL;
    bytebuf_free(&lc->in);
    bytebuf_free(&lc->text);
    bytebuf_free(&lc->body);
    free(lc);
}

/* Handler calls go through these two: afterwards, false means lc is gone
 * (freed by the handler) and the caller must return at once. */
static bool enter(struct linecli *lc)
{
    lc->calling++;
    return true;
}

static bool leave(struct linecli *lc)
{
    lc->calling--;
    if (lc->calling == 0 && lc->free_pending) {
        destroy(lc);
        return false;
    }
    return !lc->free_pending;
}

/* Dead from here on: the conn goes at once, the owner hears it once. */
static bool fail(struct linecli *lc, enum net_err err)
{
    if (!lc->conn)
        return true;
    if (!lc->detail[0])
        snprintf(lc->detail, sizeof(lc->detail), "%s", conn_error_detail(lc->conn));
    trace_note(lc->trace_id, "net", "%s %s (%s)", conn_tag(lc->conn), net_err_name(err), lc->detail);
    ev_timer_stop(L(), &lc->timer);
    conn_free(lc->conn, false);
    lc->conn = NULL;
    lc->awaiting = false;
    enter(lc);
    lc->h->failed(lc, lc->ud, err);
    return leave(lc);
}

/* lc->detail says why. */
static void proto_fail(struct linecli *lc) { fail(lc, NET_EPROTO); }

static void arm(struct linecli *lc, unsigned flags)
{
    lc->awaiting = true;
    lc->flags = flags;
    lc->phase = PH_FIRST;
    lc->code = 0;
    lc->ok = false;
    bytebuf_clear(&lc->text);
    bytebuf_clear(&lc->body);
    ev_timer_set(&lc->timer, lc->reply_timeout_s, 0.);
    ev_timer_start(L(), &lc->timer);
}

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
static bool first_line(struct linecli *lc, const uint8_t *p, size_t n)
{
    if (lc->style == LINECLI_NUMERIC) {
        if (n < 3 || p[0] < '1' || p[0] > '5' || !is_digit(p[1]) || !is_digit(p[2]) ||
            (n > 3 && p[3] != ' ' && p[3] != '-'))
            return false;
        lc->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
        lc->ok = lc->code < 400;
        lc->phase = n > 3 && p[3] == '-' ? PH_MORE : PH_FIRST;
        return true;
    }
    if (starts_ci(p, n, "+OK") || (n >= 1 && p[0] == '+' && (n == 1 || p[1] == ' ')))
        lc->ok = true;
    else if (starts_ci(p, n, "-ERR"))
        lc->ok = false;
    else
        return false;
    lc->phase = lc->ok && (lc->flags & LINECLI_BODY) ? PH_BODY : PH_FIRST;
    return true;
}

/* One line of the status part; 1: the reply is complete, 0: more lines,
 * -1: a protocol error (detail set). */
static int status_line(struct linecli *lc, const uint8_t *p, size_t n)
{
    if (bytebuf_pending(&lc->text) + n + 1 > lc->max_reply) {
        snprintf(lc->detail, sizeof(lc->detail), "reply longer than %zu bytes", lc->max_reply);
        return -1;
    }
    if (bytebuf_pending(&lc->text) > 0)
        bytebuf_append(&lc->text, "\n", 1);
    bytebuf_append(&lc->text, p, n);
    if (lc->phase == PH_MORE) {
        /* RFC 959 4.2: the last line is the code and a space; the lines in
         * between may start with anything, digits included. */
        const uint8_t *t = bytebuf_head(&lc->text);
        return n >= 3 && memcmp(p, t, 3) == 0 && (n == 3 || p[3] == ' ');
    }
    if (!first_line(lc, p, n)) {
        char shown[48];
        trace_quote(shown, sizeof(shown), p, n < 32 ? n : 32);
        snprintf(lc->detail, sizeof(lc->detail), "not a %s reply: %s",
                 lc->style == LINECLI_NUMERIC ? "numeric" : "POP3", shown);
        return -1;
    }
    return lc->phase == PH_FIRST;
}

/* One CRLF-terminated body line (CRLF included); as status_line(). */
static int body_line(struct linecli *lc, const uint8_t *p, size_t n)
{
    if (n == 3 && p[0] == '.')
        return 1; /* ".\r\n": the end */
    if (p[0] == '.') { /* RFC 1939 3: a dot-stuffed line */
        p++;
        n--;
    }
    if (bytebuf_pending(&lc->body) + n > lc->max_body) {
        snprintf(lc->detail, sizeof(lc->detail), "body longer than %zu bytes", lc->max_body);
        return -1;
    }
    bytebuf_append(&lc->body, p, n);
    return 0;
}

static bool deliver(struct linecli *lc)
{
    lc->awaiting = false;
    ev_timer_stop(L(), &lc->timer);
    bytebuf_append(&lc->text, "", 1); /* the NUL, not counted */
    struct linecli_reply r = {
        .code = lc->style == LINECLI_NUMERIC ? lc->code : 0,
        .ok = lc->ok,
        .text = (const char *)bytebuf_head(&lc->text),
        .text_len = bytebuf_pending(&lc->text) - 1,
        .body = bytebuf_head(&lc->body),
        .body_len = bytebuf_pending(&lc->body),
    };
    enter(lc);
    lc->h->reply(lc, lc->ud, &r);
    return leave(lc);
}

/* Parses what is buffered while a reply is awaited; false: lc is gone or
 * dead. */
static bool parse(struct linecli *lc)
{
    while (lc->awaiting && lc->conn) {
        const uint8_t *p = bytebuf_head(&lc->in);
        size_t avail = bytebuf_pending(&lc->in);
        int done;
        if (lc->phase == PH_BODY) {
            const uint8_t *end = memmem(p, avail, "\r\n", 2);
            if (!end) {
                /* An unfinished line may still be a body line. */
                if (avail > lc->max_body - bytebuf_pending(&lc->body) + 2) {
                    snprintf(lc->detail, sizeof(lc->detail), "body longer than %zu bytes",
                             lc->max_body);
                    return proto_fail(lc), false;
                }
                return true;
            }
            size_t n = (size_t)(end - p) + 2;
            done = body_line(lc, p, n);
            bytebuf_consume(&lc->in, n);
        } else {
            const uint8_t *nl = memchr(p, '\n', avail);
            size_t n = nl ? (size_t)(nl - p) + 1 : avail;
            if (n > lc->max_line) {
                snprintf(lc->detail, sizeof(lc->detail), "reply line longer than %zu bytes",
                         lc->max_line);
                return proto_fail(lc), false;
            }
            if (!nl)
                return true;
            size_t len = n - 1;
            if (len > 0 && p[len - 1] == '\r')
                len--;
            done = status_line(lc, p, len);
            bytebuf_consume(&lc->in, n);
        }
        if (done < 0)
            return proto_fail(lc), false;
        if (done > 0 && !deliver(lc))
            return false;
    }
    return lc->conn != NULL;
}

/* --- conn handlers --- */

static void on_connected(struct conn *c, void *ud)
{
    (void)c;
    struct linecli *lc = ud;
    if (!lc->upgrading)
        return; /* the greeting is awaited since linecli_open() */
    lc->upgrading = false;
    if (lc->h->upgraded) {
        enter(lc);
        lc->h->upgraded(lc, lc->ud);
        leave(lc);
    }
}

static void on_readable(struct conn *c, void *ud)
{
    struct linecli *lc = ud;
    uint8_t buf[16384];
    for (;;) {
        ssize_t r = conn_read(c, buf, sizeof(buf));
        if (r == 0)
            return;
        if (r < 0) {
            fail(lc, conn_error(c));
            return;
        }
        bytebuf_append(&lc->in, buf, (size_t)r);
        if (lc->awaiting) {
            /* The timeout bounds silence, not the whole reply (a long body
             * keeps arriving); the size bounds bound the rest. */
            ev_timer_set(&lc->timer, lc->reply_timeout_s, 0.);
            ev_timer_start(L(), &lc->timer);
            if (!parse(lc))
                return;
        }
        if (!lc->awaiting && bytebuf_pending(&lc->in) > lc->max_reply) {
            snprintf(lc->detail, sizeof(lc->detail), "%zu bytes nobody asked for",
                     bytebuf_pending(&lc->in));
            proto_fail(lc);
            return;
        }
    }
}

static void on_failed(struct conn *c, void *ud, enum net_err err)
{
    (void)c;
    fail(ud, err);
}

static const struct conn_handlers handlers = {
    .connected = on_connected,
    .readable = on_readable,
    .sent = NULL,
    .failed = on_failed,
};

static void timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct linecli *lc = t->data;
    snprintf(lc->detail, sizeof(lc->detail), "no reply within %.0f s", lc->reply_timeout_s);
    fail(lc, NET_ETIMEOUT);
}

/* Replies already buffered are parsed from the loop, never inside the call
 * that armed the wait. */
static void kick_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    parse(t->data);
}

/* --- public --- */

struct linecli *linecli_open(const struct linecli_params *p, const struct linecli_handlers *h,
                             void *ud)
{
    struct linecli *lc = xcalloc(1, sizeof(*lc));
    lc->h = h;
    lc->ud = ud;
    lc->style = p->style;
    lc->reply_timeout_s = p->reply_timeout_s > 0 ? p->reply_timeout_s : 60.0;
    lc->max_line = p->max_line ? p->max_line : 8192;
    lc->max_reply = p->max_reply ? p->max_reply : 65536;
    lc->max_body = p->max_body ? p->max_body : 4u << 20;
    lc->trace_id = p->conn.trace_id;
    ev_timer_init(&lc->timer, timer_cb, 0., 0.);
    lc->timer.data = lc;
    ev_timer_init(&lc->kick, kick_cb, 0., 0.);
    lc->kick.data = lc;
    struct conn_params cp = p->conn;
    cp.kind = CONN_TCP;
    lc->conn = conn_open(&cp, &handlers, lc);
    /* The greeting's wait includes the connect; the conn's own timeout
     * bounds that part. */
    arm(lc, 0);
    ev_timer_set(&lc->timer, lc->reply_timeout_s + (cp.timeout_s > 0 ? cp.timeout_s : 75.0), 0.);
    ev_timer_start(L(), &lc->timer);
    return lc;
}

static int await_reply(struct linecli *lc, unsigned flags)
{
    if (!lc->conn || lc->awaiting || lc->upgrading)
        return -1;
    arm(lc, flags);
    if (bytebuf_pending(&lc->in) > 0)
        ev_timer_start(L(), &lc->kick);
    return 0;
}

int linecli_send(struct linecli *lc, unsigned flags, const char *fmt, ...)
{
    if (!lc->conn || lc->awaiting || lc->upgrading)
        return -1;
    char cmd[CMD_MAX + 3];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, CMD_MAX + 1, fmt, ap);
    va_end(ap);
    if (n < 0 || n > CMD_MAX || memchr(cmd, '\n', (size_t)n) || memchr(cmd, '\r', (size_t)n))
        return -1; /* too long, or a line break that would smuggle a second command */
    memcpy(cmd + n, "\r\n", 2);
    conn_write(lc->conn, cmd, (size_t)n + 2);
    return await_reply(lc, flags);
}

int linecli_await(struct linecli *lc, unsigned flags) { return await_reply(lc, flags); }

void linecli_write(struct linecli *lc, const void *p, size_t n)
{
    if (lc->conn)
        conn_write(lc->conn, p, n);
}

int linecli_start_tls(struct linecli *lc, const struct tls_choice *choice, const char *verify_name)
{
    if (!lc->conn || lc->awaiting || lc->upgrading || bytebuf_pending(&lc->in) > 0)
        return -1;
    if (conn_start_tls(lc->conn, choice, verify_name) < 0)
        return -1;
    lc->upgrading = true;
    return 0;
}

void linecli_quit(struct linecli *lc, const char *quit_cmd)
{
    if (!lc)
        return;
    if (lc->conn) {
        if (quit_cmd) {
            conn_write(lc->conn, quit_cmd, strlen(quit_cmd));
            conn_write(lc->conn, "\r\n", 2);
        }
        conn_close_after_flush(lc->conn);
        lc->conn = NULL;
    }
    linecli_free(lc);
}

void linecli_free(struct linecli *lc)
{
    if (!lc || lc->free_pending)
        return;
    ev_timer_stop(L(), &lc->timer);
    ev_timer_stop(L(), &lc->kick);
    if (lc->calling > 0) {
        /* A handler up the stack still holds lc: free the conn now, the
         * memory when the handler returns. */
        conn_free(lc->conn, false);
        lc->conn = NULL;
        lc->free_pending = true;
        return;
    }
    destroy(lc);
}

struct conn *linecli_conn(struct linecli *lc) { return lc->conn; }
bool linecli_busy(const struct linecli *lc) { return lc->awaiting; }
const char *linecli_error_detail(const struct linecli *lc) { return lc->detail; }
