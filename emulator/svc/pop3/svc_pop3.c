/* AT+POP3*: the module's mail reader.  AT+POP3IN opens one session (POP3S
 * under AT+EMAILSSL=1, STLS under =2, then USER/PASS); each later command
 * answers OK and reports its server's verdict in a URC; a transport
 * failure ends the session with +POP3OUT: <code>.  AT+POP3CMD's multi-line
 * reply (LIST, UIDL, TOP, RETR) streams into the module as the server sends
 * it -- without its status line, with its final dot line (manual §14.2.18),
 * dot-stuffed as on the wire unless [email] pop3_read_raw is off -- and is
 * read in chunks with AT+POP3READ; "+POP3READ: 3,<n>" announces data after a
 * read came up short, and again while data stays unread (§14.2.19). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"

#include "email.h"
#include "linecli.h"
#include "modem.h"
#include "pop3_codes.h"
#include "reply.h"
#include "ssl.h"
#include "trace.h"

enum pstep {
    P_GREETING,
    P_STLS,
    P_USER,
    P_PASS,
    P_IDLE,
    P_STAT,
    P_LIST,
    P_UIDL,
    P_CMD,
    P_DELE,
    P_RSET,
    P_QUIT,
    P_OVER, /* ended; the URC is on its way */
};

struct pop3_session {
    struct modem *m;
    struct linecli *lc;
    enum pstep step;
    bool greeted;
    bool logged_in;
    struct tls_choice tls;
    struct bytebuf data; /* AT+POP3CMD's reply, read by AT+POP3READ */
    bool reading;        /* AT+POP3CMD's reply is under way or unread */
    bool announced;      /* "+POP3CMD: 1" went out: AT+POP3READ may read */
    bool complete;       /* the terminator came: data holds the rest */
    bool short_read;     /* the last read came up short: "3,<n>" when more comes */
    bool paused;         /* too much unread: the server waits */
    ev_timer remind;     /* "+POP3READ: 3,<n>" again while data stays unread */
    ev_timer unread;     /* a multi-line reply left unread this long ends the session: 69 */
    ev_timer report;
    char urc[48];
};

/* --- the end of a session --- */

/* AT+POP3CMD is announced when its whole reply is in, or this much of it
 * (four reads' worth): a message of a few KB reads as the SSL note shows,
 * a large one streams. */
#define POP3_ANNOUNCE_AT (4 * POP3_READ_MAX)
#define POP3_UNREAD_HIGH 65536 /* unread bytes at which the server is made to wait */
#define POP3_UNREAD_LOW 32768  /* ... and below which it may send again */

static void sess_free(struct pop3_session *s)
{
    ev_timer_stop(s->m->loop, &s->report);
    ev_timer_stop(s->m->loop, &s->unread);
    ev_timer_stop(s->m->loop, &s->remind);
    linecli_free(s->lc);
    tls_choice_clear(&s->tls);
    bytebuf_free(&s->data);
    free(s);
}

static void report_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct pop3_session *s = t->data;
    struct modem *m = s->m;
    char urc[sizeof(s->urc)];
    str_copy(urc, sizeof(urc), s->urc);
    pop3_of(m)->sess = NULL;
    email_release(m, EMAIL_POP3);
    sess_free(s);
    at_urc(m, "%s", urc);
}

/* Ends the session: +POP3IN: <code> before the login, +POP3OUT: <code>
 * after it; the URC goes out from the loop. */
static void end_session(struct pop3_session *s, enum pop3_fact fact, enum net_err err)
{
    if (s->step == P_OVER)
        return;
    if (s->logged_in)
        snprintf(s->urc, sizeof(s->urc), "+POP3OUT: %d", pop3_out_code_for(fact, err));
    else
        snprintf(s->urc, sizeof(s->urc), "+POP3IN: %d", pop3_code_for(fact, err));
    trace_note(s->m->id, "pop3", "session ended: %s", s->urc);
    s->step = P_OVER;
    s->reading = false;
    ev_timer_stop(s->m->loop, &s->unread);
    ev_timer_stop(s->m->loop, &s->remind);
    if (s->lc) {
        if (fact == POP3_FAIL_NET || fact == POP3_FAIL_CONNECT)
            linecli_free(s->lc);
        else
            linecli_quit(s->lc, fact == POP3_DONE ? NULL : "QUIT");
        s->lc = NULL;
    }
    ev_timer_set(&s->report, 0., 0.);
    ev_timer_start(s->m->loop, &s->report);
}

static void send_cmd(struct pop3_session *s, enum pstep next, unsigned flags, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void send_cmd(struct pop3_session *s, enum pstep next, unsigned flags, const char *fmt, ...)
{
    char line[1100];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    s->step = next;
    if (n < 0 || (size_t)n >= sizeof(line) || linecli_send(s->lc, flags, "%s", line) < 0)
        end_session(s, POP3_FAIL_NET, NET_EPROTO);
}

/* The manual: unread data kept too long makes the module give the session
 * up (§14.2.19, time not given): here AT+EMAILTO's seconds since the reply
 * came or the last AT+POP3READ. */
static void unread_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    end_session(t->data, POP3_FAIL_UNREAD, NET_OK);
}

static void unread_arm(struct pop3_session *s)
{
    ev_timer_stop(s->m->loop, &s->unread);
    ev_timer_set(&s->unread, email_settings(s->m)->timeout_s, 0.);
    ev_timer_start(s->m->loop, &s->unread);
}

/* "+OK 2 11124" -> the two numbers after the status. */
static int two_numbers(const char *text, unsigned long *a, unsigned long *b)
{
    return sscanf(text, "+OK %lu %lu", a, b) == 2 ? 0 : -1;
}

static void on_reply(struct linecli *lc, void *ud, const struct linecli_reply *r)
{
    (void)lc;
    struct pop3_session *s = ud;
    struct modem *m = s->m;
    const struct pop3_state *st = pop3_of(m);
    unsigned long a, b;
    enum pstep step = s->step;
    if (step != P_OVER && step >= P_STAT)
        s->step = P_IDLE;
    switch (step) {
    case P_GREETING:
        s->greeted = true;
        if (!r->ok) {
            end_session(s, POP3_FAIL_GREETING, NET_OK);
        } else if (email_settings(m)->ssl == EMAIL_SSL_STARTTLS) {
            send_cmd(s, P_STLS, 0, "%s", "STLS");
        } else {
            send_cmd(s, P_USER, 0, "USER %s", st->user);
        }
        return;
    case P_STLS:
        if (!r->ok) {
            end_session(s, POP3_FAIL_NO_STLS, NET_OK);
            return;
        }
        if (linecli_start_tls(s->lc, &s->tls, NULL) < 0)
            end_session(s, POP3_FAIL_NET, NET_EPROTO);
        return;
    case P_USER:
        if (!r->ok) {
            end_session(s, POP3_FAIL_USER, NET_OK);
            return;
        }
        send_cmd(s, P_PASS, 0, "PASS %s", st->pass);
        return;
    case P_PASS:
        if (!r->ok) {
            end_session(s, POP3_FAIL_PASS, NET_OK);
            return;
        }
        s->logged_in = true;
        s->step = P_IDLE;
        at_urc(m, "+POP3IN: 1");
        return;
    case P_STAT:
        if (r->ok && two_numbers(r->text, &a, &b) == 0)
            at_urc(m, "+POP3NUM: 1,%lu,%lu", a, b);
        else
            at_urc(m, "+POP3NUM: 0");
        return;
    case P_LIST:
        if (r->ok && two_numbers(r->text, &a, &b) == 0)
            at_urc(m, "+POP3LIST: 1,%lu,%lu", a, b);
        else
            at_urc(m, "+POP3LIST: 0");
        return;
    case P_UIDL: {
        char uid[72];
        if (r->ok && sscanf(r->text, "+OK %lu %71[!-~]", &a, uid) == 2)
            at_urc(m, "+POP3UIDL: 1,%lu,%s", a, uid);
        else
            at_urc(m, "+POP3UIDL: 0");
        return;
    }
    case P_CMD:
        if (r->ok) {
            /* The body follows through on_body(); the URC once enough came. */
            bytebuf_clear(&s->data);
            s->reading = true;
            s->announced = s->complete = s->short_read = false;
        } else {
            at_urc(m, "+POP3CMD: 0");
        }
        return;
    case P_DELE:
        at_urc(m, "+POP3DEL: %d", r->ok ? 1 : 0);
        return;
    case P_RSET:
        /* The manual spells the negative answer "+POP3REST: 0" (§14.2.21);
         * [email] rset_typo = false corrects it. */
        if (r->ok)
            at_urc(m, "+POP3RSET: 1");
        else
            at_urc(m, "%s: 0", email_config(m)->rset_typo ? "+POP3REST" : "+POP3RSET");
        return;
    case P_QUIT:
        /* A -ERR to QUIT (the deletions could not be made) is still the end. */
        end_session(s, r->ok ? POP3_DONE : POP3_FAIL_NET, NET_EIO);
        return;
    case P_IDLE:
    case P_OVER:
        return;
    }
}

static void on_failed(struct linecli *lc, void *ud, enum net_err err)
{
    struct pop3_session *s = ud;
    trace_note(s->m->id, "pop3", "connection: %s (%s)", net_err_name(err),
               linecli_error_detail(lc));
    linecli_free(lc);
    s->lc = NULL;
    end_session(s, s->greeted ? POP3_FAIL_NET : POP3_FAIL_CONNECT, err);
}

static void on_upgraded(struct linecli *lc, void *ud)
{
    (void)lc;
    struct pop3_session *s = ud;
    send_cmd(s, P_USER, 0, "USER %s", pop3_of(s->m)->user);
}

static void remind_arm(struct pop3_session *s)
{
    ev_timer_stop(s->m->loop, &s->remind);
    ev_timer_set(&s->remind, email_config(s->m)->read_repeat_s, 0.);
    ev_timer_start(s->m->loop, &s->remind);
}

/* "+POP3READ: 3,<n>" every [email] read_repeat_s while data stays unread
 * ("every once in a while", manual §14.2.19). */
static void remind_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct pop3_session *s = t->data;
    if (!s->reading || !s->announced || bytebuf_pending(&s->data) == 0)
        return;
    at_urc(s->m, "+POP3READ: 3,%zu", bytebuf_pending(&s->data));
    remind_arm(s);
}

/* AT+POP3CMD's body, as it arrives: whole lines, dot-unstuffed by the
 * parser; kept as the server sent them (each line that starts with a dot
 * stuffed again) unless [email] pop3_read_raw is off, and the dot line at
 * the end either way (manual §14.2.18: "finished by a so-called dotline"). */
static void on_body(struct linecli *lc, void *ud, const uint8_t *p, size_t n, bool end)
{
    struct pop3_session *s = ud;
    struct modem *m = s->m;
    if (!s->reading)
        return;
    bool raw = email_config(m)->pop3_read_raw;
    size_t before = bytebuf_pending(&s->data);
    for (size_t i = 0; i < n;) {
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (p + i)) + 1 : n - i;
        if (raw && p[i] == '.')
            bytebuf_append(&s->data, ".", 1);
        bytebuf_append(&s->data, p + i, len);
        i += len;
    }
    if (end) {
        bytebuf_append(&s->data, ".\r\n", 3);
        s->complete = true;
    }
    size_t have = bytebuf_pending(&s->data);
    if (!s->announced) {
        if (!s->complete && have < POP3_ANNOUNCE_AT)
            return;
        s->announced = true;
        unread_arm(s);
        remind_arm(s);
        at_urc(m, "+POP3CMD: 1");
    } else if (s->short_read && have > before) {
        s->short_read = false;
        remind_arm(s);
        at_urc(m, "+POP3READ: 3,%zu", have);
    }
    if (!s->complete && have >= POP3_UNREAD_HIGH && !s->paused) {
        s->paused = true;
        linecli_pause(lc, true);
    }
}

static const struct linecli_handlers handlers = {
    .reply = on_reply,
    .failed = on_failed,
    .upgraded = on_upgraded,
    .body = on_body,
};

static void login_start(struct modem *m)
{
    struct pop3_state *st = pop3_of(m);
    struct pop3_session *s = xcalloc(1, sizeof(*s));
    s->m = m;
    s->step = P_GREETING;
    ev_timer_init(&s->report, report_cb, 0., 0.);
    s->report.data = s;
    ev_timer_init(&s->unread, unread_cb, 0., 0.);
    s->unread.data = s;
    ev_timer_init(&s->remind, remind_cb, 0., 0.);
    s->remind.data = s;
    st->sess = s;
    if (!email_bearer_open(m)) {
        end_session(s, POP3_FAIL_NO_BEARER, NET_OK);
        return;
    }
    s->lc = email_session_open(m, true, st->server, st->port, POP3_BODY_MAX, &s->tls, &handlers, s);
}

/* --- commands --- */

/* The session when a command may run now: logged in, nothing awaited,
 * no multi-line reply left unread. */
static struct pop3_session *ready(struct modem *m)
{
    struct pop3_session *s = pop3_of(m)->sess;
    if (!s || !s->logged_in || s->step != P_IDLE || s->reading || !s->lc || linecli_busy(s->lc))
        return NULL;
    return s;
}

static int cmd_pop3srv(struct modem *m, struct at_req *r)
{
    struct pop3_state *st = pop3_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+POP3SRV: %d,%d,%d,(1-65535)", POP3_SERVER_MAX, POP3_USER_MAX, POP3_PASS_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+POP3SRV: \"%s\",\"%s\",\"%s\",%d", st->server, st->user, st->pass,
                st->port ? st->port : email_default_port(m, true));
        return AT_OK;
    }
    char server[POP3_SERVER_MAX + 1], user[POP3_USER_MAX + 1], pass[POP3_PASS_MAX + 1];
    long port = 0;
    if (at_arg_str(&r->args, server, sizeof(server), NULL) != AT_ARG_OK || !server[0] ||
        at_arg_str(&r->args, user, sizeof(user), NULL) != AT_ARG_OK ||
        at_arg_str(&r->args, pass, sizeof(pass), NULL) != AT_ARG_OK)
        return AT_ERROR;
    enum at_arg_status ps = at_arg_int(&r->args, 1, 65535, &port);
    if (ps == AT_ARG_BAD || !at_args_done(&r->args) || st->sess || strpbrk(user, "\r\n") ||
        strpbrk(pass, "\r\n"))
        return AT_ERROR;
    str_copy(st->server, sizeof(st->server), server);
    str_copy(st->user, sizeof(st->user), user);
    str_copy(st->pass, sizeof(st->pass), pass);
    st->port = ps == AT_ARG_OK ? (int)port : 0;
    return AT_OK;
}

static int cmd_pop3in(struct modem *m, struct at_req *r)
{
    struct pop3_state *st = pop3_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (st->sess || !st->server[0])
        return AT_ERROR;
    if (!email_claim(m, EMAIL_POP3))
        return AT_ERROR; /* a mail is being sent (manual ch. 14: not both) */
    login_start(m);
    return AT_OK;
}

static int cmd_pop3num(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    struct pop3_session *s = ready(m);
    if (!s)
        return AT_ERROR;
    send_cmd(s, P_STAT, 0, "%s", "STAT");
    return AT_OK;
}

/* AT+POP3LIST=<n>, AT+POP3UIDL=<n>, AT+POP3DEL=<n>: one message number. */
struct msg_cmd {
    const char *name;
    const char *verb;
    enum pstep step;
};
static const struct msg_cmd list_cmd = {"+POP3LIST", "LIST", P_LIST};
static const struct msg_cmd uidl_cmd = {"+POP3UIDL", "UIDL", P_UIDL};
static const struct msg_cmd dele_cmd = {"+POP3DEL", "DELE", P_DELE};

static int cmd_msg(struct modem *m, struct at_req *r)
{
    const struct msg_cmd *c = r->ctx;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "%s: (1-65535)", c->name);
        return AT_OK;
    }
    long n;
    if (at_arg_int(&r->args, 1, 65535, &n) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    struct pop3_session *s = ready(m);
    if (!s)
        return AT_ERROR;
    s->step = c->step;
    if (linecli_send(s->lc, 0, "%s %ld", c->verb, n) < 0)
        end_session(s, POP3_FAIL_NET, NET_EPROTO);
    return AT_OK;
}

static int cmd_pop3cmd(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+POP3CMD: (1-4),(1-65535),(0-65535)");
        return AT_OK;
    }
    long type, msg = 0, lines = 0;
    if (at_arg_int(&r->args, 1, 4, &type) != AT_ARG_OK)
        return AT_ERROR;
    enum at_arg_status ms = at_arg_int(&r->args, 1, 65535, &msg);
    enum at_arg_status ls = at_arg_int(&r->args, 0, 65535, &lines);
    if (!at_args_done(&r->args) || ms == AT_ARG_BAD || ls == AT_ARG_BAD)
        return AT_ERROR;
    /* LIST and UIDL take nothing, TOP both numbers, RETR the message (§14.2.18). */
    bool has_m = ms == AT_ARG_OK, has_l = ls == AT_ARG_OK;
    if ((type <= 2 && (has_m || has_l)) || (type == 3 && (!has_m || !has_l)) ||
        (type == 4 && (!has_m || has_l)))
        return AT_ERROR;
    struct pop3_session *s = ready(m);
    if (!s)
        return AT_ERROR;
    s->step = P_CMD;
    int rc;
    if (type == 1)
        rc = linecli_send(s->lc, LINECLI_BODY | LINECLI_STREAM, "LIST");
    else if (type == 2)
        rc = linecli_send(s->lc, LINECLI_BODY | LINECLI_STREAM, "UIDL");
    else if (type == 3)
        rc = linecli_send(s->lc, LINECLI_BODY | LINECLI_STREAM, "TOP %ld %ld", msg, lines);
    else
        rc = linecli_send(s->lc, LINECLI_BODY | LINECLI_STREAM, "RETR %ld", msg);
    if (rc < 0)
        end_session(s, POP3_FAIL_NET, NET_EPROTO);
    return AT_OK;
}

static int cmd_pop3read(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+POP3READ: (1-%d)", POP3_READ_MAX);
        return AT_OK;
    }
    long n;
    if (at_arg_int(&r->args, 1, POP3_READ_MAX, &n) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    struct pop3_session *s = pop3_of(m)->sess;
    if (!s || !s->reading || !s->announced)
        return AT_ERROR;
    size_t left = bytebuf_pending(&s->data);
    size_t k = left < (size_t)n ? left : (size_t)n;
    bool last = s->complete && k == left;
    char header[48];
    snprintf(header, sizeof(header), "+POP3READ: %d,%zu", last ? 2 : 1, k);
    at_info_data(m, header, bytebuf_head(&s->data), k);
    bytebuf_consume(&s->data, k);
    if (last) {
        s->reading = s->announced = false;
        bytebuf_free(&s->data);
        ev_timer_stop(m->loop, &s->unread);
        ev_timer_stop(m->loop, &s->remind);
        return AT_OK;
    }
    /* Short: "+POP3READ: 3,<n>" when more has come (manual §14.2.19). */
    s->short_read = k < (size_t)n;
    unread_arm(s);
    remind_arm(s);
    if (s->paused && bytebuf_pending(&s->data) < POP3_UNREAD_LOW && s->lc) {
        s->paused = false;
        linecli_pause(s->lc, false);
    }
    return AT_OK;
}

static int cmd_pop3rset(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    struct pop3_session *s = ready(m);
    if (!s)
        return AT_ERROR;
    send_cmd(s, P_RSET, 0, "%s", "RSET");
    return AT_OK;
}

static int cmd_pop3out(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    struct pop3_session *s = pop3_of(m)->sess;
    /* Allowed while a multi-line reply is unread (§14.2.19). */
    if (!s || !s->logged_in || s->step != P_IDLE || !s->lc || (linecli_busy(s->lc) && !s->reading))
        return AT_ERROR;
    bool streaming = s->reading && linecli_busy(s->lc);
    s->reading = s->announced = false;
    bytebuf_free(&s->data);
    ev_timer_stop(m->loop, &s->unread);
    ev_timer_stop(m->loop, &s->remind);
    if (streaming) {
        /* The reply is still coming: QUIT, and close without waiting. */
        linecli_quit(s->lc, "QUIT");
        s->lc = NULL;
        end_session(s, POP3_DONE, NET_OK);
        return AT_OK;
    }
    send_cmd(s, P_QUIT, 0, "%s", "QUIT");
    return AT_OK;
}

static const struct at_cmd rows[] = {
    {"+POP3SRV", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, 0, cmd_pop3srv, NULL},
    {"+POP3IN", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_pop3in, NULL},
    {"+POP3NUM", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_pop3num, NULL},
    {"+POP3LIST", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_msg, &list_cmd},
    {"+POP3UIDL", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_msg, &uidl_cmd},
    {"+POP3CMD", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_pop3cmd, NULL},
    {"+POP3READ", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_pop3read, NULL},
    {"+POP3DEL", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_msg, &dele_cmd},
    {"+POP3RSET", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_pop3rset, NULL},
    {"+POP3OUT", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_pop3out, NULL},
};

static const struct at_cmd_table table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};
static const struct at_cmd_table *const tables[] = {&table, NULL};

/* --- the service --- */

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    (void)m;
    (void)state;
    (void)err;
    (void)errlen;
    return 0;
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    (void)m;
    (void)why;
    struct pop3_state *st = state;
    if (st->sess)
        sess_free(st->sess);
    memset(st, 0, sizeof(*st)); /* NO_SAVE (manual ch. 14) */
}

/* The bearer under the session went away: it ends with 61. */
static void service_event(struct modem *m, void *state, enum modem_event ev, int arg)
{
    struct pop3_state *st = state;
    if (!st->sess || st->sess->step == P_OVER)
        return;
    if (ev == MODEM_EV_PDP_DEACT ||
        (ev == MODEM_EV_BEARER_CLOSED && (arg == 0 || arg == email_settings(m)->cid)))
        end_session(st->sess, POP3_FAIL_NO_BEARER, NET_OK);
}

/* Every verb send_cmd() and the listing commands send. */
static const char *const pop3_verbs[] = {"STLS", "USER", "PASS", "STAT", "LIST", "UIDL",
                                         "TOP",  "RETR", "DELE", "RSET", "QUIT", NULL};
static const struct service_conn conns[] = {
    {.tag = "pop3", .style = SERVICE_REPLY_POP3, .verbs = pop3_verbs},
    {.tag = NULL},
};

const struct service pop3_service = {
    .name = "pop3",
    .conns = conns,
    .tables = tables,
    .state_size = sizeof(struct pop3_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
};
