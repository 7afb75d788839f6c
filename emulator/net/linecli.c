/* Line-protocol client (linecli.h): a conn, an input buffer, and the reply
 * parser (reply_parser.h) that turns the buffered bytes into one reply at a
 * time. */
#include "linecli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reaper.h"
#include "reply_parser.h"
#include "trace.h"
#include "util.h"

#define CMD_MAX 1024

struct linecli {
    struct conn *conn; /* NULL once dead */
    const struct linecli_handlers *h;
    void *ud;
    double reply_timeout_s;
    int trace_id;
    struct bytebuf in; /* received, not yet parsed */
    bool awaiting;
    struct reply_parser rp; /* the reply being read */
    ev_timer timer;         /* reply timeout */
    ev_timer kick;          /* parses replies already buffered, from the loop */
    bool upgrading;
    unsigned await_flags; /* of the reply awaited */
    bool stream_told;     /* LINECLI_STREAM: the +OK went to handlers.reply */
    bool paused;          /* linecli_pause() */
    bool injected;        /* the reply at the front of `in` is a fault's */
    int swallow;          /* real replies to drop: their command's reply was a fault's */
    bool dead;            /* linecli_free() ran: the memory goes at the loop's next turn */
    char detail[400];     /* the conn's detail may carry a TLS mismatch hint */
};

static struct ev_loop *L(void) { return net_loop(); }

static linecli_fault_hook_fn fault_hook;

void linecli_set_fault_hook(linecli_fault_hook_fn fn) { fault_hook = fn; }

static void release_memory(void *obj)
{
    struct linecli *lc = obj;
    bytebuf_free(&lc->in);
    reply_parser_free(&lc->rp);
    free(lc);
}

/* After a handler ran: false when it freed lc, and the caller must return
 * at once (reaper.h: the memory is still there until this turn ends). */
static bool alive(const struct linecli *lc) { return !lc->dead; }

/* Dead from here on: the conn goes at once, the owner hears it once. */
static bool fail(struct linecli *lc, enum net_err err)
{
    if (!lc->conn)
        return true;
    if (!lc->detail[0])
        snprintf(lc->detail, sizeof(lc->detail), "%s", conn_error_detail(lc->conn));
    trace_note(lc->trace_id, "net", "%s %s (%s)", conn_tag(lc->conn), net_err_name(err),
               lc->detail);
    ev_timer_stop(L(), &lc->timer);
    conn_free(lc->conn, false);
    lc->conn = NULL;
    lc->awaiting = false;
    lc->h->failed(lc, lc->ud, err);
    return alive(lc);
}

/* lc->detail says why. */
static void proto_fail(struct linecli *lc) { fail(lc, NET_EPROTO); }

static void arm(struct linecli *lc, unsigned flags)
{
    lc->awaiting = true;
    lc->await_flags = flags;
    reply_parser_start(&lc->rp, flags & LINECLI_BODY);
    ev_timer_set(&lc->timer, lc->reply_timeout_s, 0.);
    ev_timer_start(L(), &lc->timer);
}

static bool deliver(struct linecli *lc)
{
    struct reply_parser *rp = &lc->rp;
    lc->awaiting = false;
    ev_timer_stop(L(), &lc->timer);
    bytebuf_append(&rp->text, "", 1); /* the NUL, not counted */
    struct linecli_reply r = {
        .code = rp->style == REPLY_NUMERIC ? rp->code : 0,
        .ok = rp->ok,
        .text = (const char *)bytebuf_head(&rp->text),
        .text_len = bytebuf_pending(&rp->text) - 1,
        .body = bytebuf_head(&rp->body),
        .body_len = bytebuf_pending(&rp->body),
    };
    lc->h->reply(lc, lc->ud, &r);
    return alive(lc);
}

/* LINECLI_STREAM: the +OK, then the body lines parsed so far, to the
 * owner; done: the terminator came.  false: lc is gone. */
static bool stream(struct linecli *lc, bool done)
{
    struct reply_parser *rp = &lc->rp;
    if (!lc->stream_told) {
        lc->stream_told = true;
        bytebuf_append(&rp->text, "", 1);
        struct linecli_reply r = {.ok = true,
                                  .text = (const char *)bytebuf_head(&rp->text),
                                  .text_len = bytebuf_pending(&rp->text) - 1,
                                  .body = bytebuf_head(&rp->body),
                                  .body_len = 0};
        lc->h->reply(lc, lc->ud, &r);
        if (!alive(lc) || !lc->conn)
            return false;
    }
    if (bytebuf_pending(&rp->body) == 0 && !done)
        return true;
    if (done) {
        lc->awaiting = false;
        lc->stream_told = false;
        lc->injected = false;
        ev_timer_stop(L(), &lc->timer);
    }
    /* Handed over as a copy: the parser's buffer is reused for what follows. */
    struct bytebuf chunk = rp->body;
    memset(&rp->body, 0, sizeof(rp->body));
    if (lc->h->body)
        lc->h->body(lc, lc->ud, bytebuf_head(&chunk), bytebuf_pending(&chunk), done);
    bytebuf_free(&chunk);
    return alive(lc);
}

/* Parses what is buffered while a reply is awaited; false: lc is gone or
 * dead. */
static bool parse(struct linecli *lc)
{
    while (lc->awaiting && lc->conn) {
        int done = reply_parser_feed(&lc->rp, &lc->in);
        bool streaming = (lc->await_flags & LINECLI_STREAM) != 0;
        if (streaming && done >= 0 && (reply_parser_in_body(&lc->rp) || lc->stream_told)) {
            if (!stream(lc, done == 1))
                return false;
            if (done == 0)
                return true;
            continue;
        }
        if (done == 0)
            return true;
        if (done < 0) {
            snprintf(lc->detail, sizeof(lc->detail), "%s", lc->rp.detail);
            return proto_fail(lc), false;
        }
        if (!lc->injected && lc->swallow > 0) {
            /* The server's own answer to a command whose reply a fault gave. */
            lc->swallow--;
            size_t shown = bytebuf_pending(&lc->rp.text);
            trace_note(lc->trace_id, "net", "%s: the server's reply, dropped for the fault's: %.*s",
                       conn_tag(lc->conn), (int)(shown > 80 ? 80 : shown),
                       (const char *)bytebuf_head(&lc->rp.text));
            reply_parser_start(&lc->rp, lc->await_flags & LINECLI_BODY);
            continue;
        }
        lc->injected = false;
        if (!deliver(lc))
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
        lc->h->upgraded(lc, lc->ud);
    }
}

static void on_readable(struct conn *c, void *ud)
{
    struct linecli *lc = ud;
    uint8_t buf[16384];
    /* At most 16 reads a wake-up: a server that sends without pause must
     * not keep the loop (and every other modem) from running; the watcher
     * brings us back for the rest. */
    for (int rounds = 0; rounds < 16 && !lc->paused; rounds++) {
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
            if (!lc->paused) {
                ev_timer_set(&lc->timer, lc->reply_timeout_s, 0.);
                ev_timer_start(L(), &lc->timer);
            }
            if (!parse(lc))
                return;
        }
        if (!lc->awaiting && bytebuf_pending(&lc->in) > lc->rp.max_reply) {
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
    lc->reply_timeout_s = p->reply_timeout_s > 0 ? p->reply_timeout_s : 60.0;
    reply_parser_init(&lc->rp, p->style == LINECLI_POP3 ? REPLY_POP3 : REPLY_NUMERIC,
                      p->max_line ? p->max_line : 8192, p->max_reply ? p->max_reply : 65536,
                      p->max_body ? p->max_body : 4u << 20);
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

/* A reply fault for this command: true when the hook gave a reply, which
 * now stands first in the input, before anything the server sent
 * unasked (the command itself is not sent). */
static bool inject_fault_reply(struct linecli *lc, const char *cmd, size_t n, unsigned flags)
{
    if (!fault_hook)
        return false;
    char verb[16];
    size_t v = 0;
    while (v < n && v + 1 < sizeof(verb) && cmd[v] != ' ') {
        char ch = cmd[v];
        verb[v++] = ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
    }
    verb[v] = '\0';
    char reply[CMD_MAX];
    struct linecli_fault_subject s = {.modem = lc->trace_id,
                                      .tag = conn_tag(lc->conn),
                                      .host = conn_host(lc->conn),
                                      .port = conn_port(lc->conn),
                                      .verb = verb};
    reply[0] = '\0';
    if (!fault_hook(&s, reply, sizeof(reply) - 2))
        return false;
    trace_note(lc->trace_id, "net", "%s: %s not sent; its reply is a fault's: %s", s.tag, verb,
               reply);
    struct bytebuf in = {0};
    bytebuf_append_str(&in, reply);
    bytebuf_append(&in, "\r\n", 2);
    if ((flags & LINECLI_BODY) && !strncmp(reply, "+OK", 3))
        bytebuf_append(&in, ".\r\n", 3); /* a positive reply's body: empty */
    bytebuf_append(&in, bytebuf_head(&lc->in), bytebuf_pending(&lc->in));
    bytebuf_free(&lc->in);
    lc->in = in;
    lc->injected = true;
    return true;
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
    if (!(flags & LINECLI_CONTINUATION) && inject_fault_reply(lc, cmd, (size_t)n, flags)) {
        /* SMTP's "." ends data the server already holds: it must go out
         * (the server would wait for it forever), and its reply is dropped. */
        if (n == 1 && cmd[0] == '.') {
            conn_write(lc->conn, cmd, (size_t)n + 2);
            lc->swallow++;
        }
        return await_reply(lc, flags);
    }
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
    if (!lc || lc->dead)
        return;
    ev_timer_stop(L(), &lc->timer);
    ev_timer_stop(L(), &lc->kick);
    conn_free(lc->conn, false);
    lc->conn = NULL;
    lc->dead = true;
    /* A handler up the stack may still hold lc (reaper.h). */
    reaper_defer(L(), lc, release_memory);
}

void linecli_pause(struct linecli *lc, bool pause)
{
    if (!lc->conn || lc->paused == pause)
        return;
    lc->paused = pause;
    conn_pause_reading(lc->conn, pause);
    if (pause) {
        ev_timer_stop(L(), &lc->timer); /* our own silence, not the server's */
    } else if (lc->awaiting) {
        ev_timer_set(&lc->timer, lc->reply_timeout_s, 0.);
        ev_timer_start(L(), &lc->timer);
        if (bytebuf_pending(&lc->in) > 0)
            ev_timer_start(L(), &lc->kick); /* what came before the pause, from the loop */
    }
}

struct conn *linecli_conn(struct linecli *lc) { return lc->conn; }
bool linecli_busy(const struct linecli *lc) { return lc->awaiting; }
const char *linecli_error_detail(const struct linecli *lc) { return lc->detail; }
