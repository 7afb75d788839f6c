/* The FTP client behind AT+FTP* (ftp_client.h): a small state machine over
 * linecli, after curl's ftp.c: one command, its reply, the next. */
#include "ftp_client.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "linecli.h"
#include "reaper.h"
#include "reply_parser.h"
#include "trace.h"
#include "util.h"

struct ftp_client {
    struct ftp_request req;
    char *host, *user, *pass, *path, *name;
    struct tls_choice tls;
    const struct ftp_handlers *h;
    void *ud;

    struct linecli *lc;
    enum ftp_step step;
    struct conn *data;              /* the data connection */
    struct conn_listener *listener; /* active mode, until the server connects */
    char data_host[64];
    int data_port;
    bool got_prelim;   /* 150/125 to the transfer command */
    bool data_up;      /* the data connection is established */
    bool data_eof;     /* GET/LIST: the server closed it in order */
    bool put_finished; /* PUT: ftp_client_finish() ran */
    bool awaiting_final;
    bool paused;
    bool writable_told;
    size_t transferred;
    ev_timer kick;         /* reports a failure decided outside the loop */
    ev_timer accept_timer; /* active mode: the server must connect back in time */
    struct ftp_result pending;
    bool dead; /* ftp_client_cancel() or the end ran: the memory goes at the loop's
                * next turn (reaper.h) */
};

static struct ev_loop *L(void) { return net_loop(); }

static const char *const step_names[FTP_STEP_COUNT] = {
    [FTP_STEP_CONNECT] = "connect",
    [FTP_STEP_AUTH] = "AUTH",
    [FTP_STEP_AUTH_TLS] = "AUTH TLS handshake",
    [FTP_STEP_USER] = "USER",
    [FTP_STEP_PASS] = "PASS",
    [FTP_STEP_PBSZ] = "PBSZ",
    [FTP_STEP_PROT] = "PROT",
    [FTP_STEP_TYPE] = "TYPE",
    [FTP_STEP_CWD] = "CWD",
    [FTP_STEP_PASV] = "PASV",
    [FTP_STEP_PORT] = "PORT",
    [FTP_STEP_REST] = "REST",
    [FTP_STEP_COMMAND] = "command",
    [FTP_STEP_DATA_OPEN] = "data connection",
    [FTP_STEP_DATA] = "data",
    [FTP_STEP_FINAL] = "final reply",
};

const char *ftp_step_name(enum ftp_step s)
{
    return (unsigned)s < FTP_STEP_COUNT ? step_names[s] : "?";
}

static void client_free(struct ftp_client *c, bool quit)
{
    if (c->dead)
        return; /* ended already this turn (reaper.h): a second end is no double free */
    ev_timer_stop(L(), &c->kick);
    ev_timer_stop(L(), &c->accept_timer);
    conn_listener_close(c->listener);
    c->listener = NULL;
    if (c->data)
        conn_free(c->data, true);
    c->data = NULL;
    if (c->lc) {
        if (quit && linecli_conn(c->lc))
            linecli_quit(c->lc, "QUIT");
        else
            linecli_free(c->lc);
    }
    c->lc = NULL;
    tls_choice_clear(&c->tls);
    free(c->host);
    free(c->user);
    free(c->pass);
    free(c->path);
    free(c->name);
    c->host = c->user = c->pass = c->path = c->name = NULL;
    c->dead = true;
    /* A handler of the owner up the stack may still hold c (reaper.h). */
    reaper_defer(L(), c, free);
}

/* After an owner handler ran: false when it freed c, and the caller must
 * return at once (reaper.h: the memory is still there until this turn ends). */
static bool alive(const struct ftp_client *c) { return !c->dead; }

const char *const ftp_client_verbs[] = {"AUTH", "USER", "PASS", "PBSZ", "PROT", "TYPE", "CWD",
                                        "PASV", "PORT", "REST", "RETR", "STOR", "APPE", "STOU",
                                        "LIST", "SIZE", "DELE", "MKD",  "RMD",  NULL};

static void finish(struct ftp_client *c, enum ftp_fact fact, enum net_err err, int code)
{
    struct ftp_result res = c->pending;
    res.fact = fact;
    res.step = c->step;
    res.err = err;
    res.reply_code = code;
    if (fact == FTP_DONE)
        trace_note(c->req.trace_id, "ftp", "done, %zu bytes", c->transferred);
    else if (fact == FTP_FAIL_REFUSED)
        trace_note(c->req.trace_id, "ftp", "failed at %s: refused %d", ftp_step_name(c->step),
                   code);
    else
        trace_note(c->req.trace_id, "ftp", "failed at %s: %s", ftp_step_name(c->step),
                   fact == FTP_FAIL_NET ? net_err_name(err) : "unusable reply");
    const struct ftp_handlers *h = c->h;
    void *ud = c->ud;
    /* QUIT on the control connection unless it is the one that failed
     * (on_failed has dropped it then). */
    client_free(c, true);
    h->done(ud, &res);
}

static void fail_net(struct ftp_client *c, enum net_err err) { finish(c, FTP_FAIL_NET, err, 0); }

static int send_cmd(struct ftp_client *c, enum ftp_step step, const char *verb, const char *arg)
{
    c->step = step;
    if (linecli_send(c->lc, 0, "%s%s%s", verb, arg ? " " : "", arg ? arg : "") < 0) {
        finish(c, FTP_FAIL_REPLY, NET_OK, 0);
        return -1;
    }
    return 0;
}

/* --- the data connection --- */

static void check_complete(struct ftp_client *c);

static void data_readable(struct conn *conn, void *ud)
{
    struct ftp_client *c = ud;
    uint8_t buf[16384];
    while (!c->paused) {
        ssize_t n = conn_read(conn, buf, sizeof(buf));
        if (n == 0)
            return;
        if (n < 0) {
            enum net_err err = conn_error(conn);
            conn_free(conn, false);
            c->data = NULL;
            if (err != NET_ECLOSED) {
                c->step = FTP_STEP_DATA;
                fail_net(c, err);
                return;
            }
            c->data_eof = true;
            if (c->req.op == FTP_OP_PUT)
                c->put_finished = true; /* the server ended the upload: its reply says why */
            check_complete(c);
            return;
        }
        if (c->req.op == FTP_OP_PUT)
            continue; /* nothing is expected from the server on an upload */
        c->transferred += (size_t)n;
        c->h->data(c->ud, buf, (size_t)n);
        if (!alive(c) || !c->data)
            return; /* cancelled by the handler */
    }
}

/* false when the handler ended the client. */
static bool tell_writable(struct ftp_client *c)
{
    if (c->req.op == FTP_OP_PUT && c->data_up && c->got_prelim && !c->put_finished) {
        c->writable_told = true;
        c->h->writable(c->ud);
        return alive(c);
    }
    return true;
}

static void data_connected(struct conn *conn, void *ud)
{
    struct ftp_client *c = ud;
    c->data_up = true;
    trace_note(c->req.trace_id, "ftp", "data connection up%s",
               conn_is_tls(conn) ? (conn_tls_resumed(conn) ? ", TLS session resumed"
                                                           : ", TLS session not resumed")
                                 : "");
    tell_writable(c);
}

static void data_sent(struct conn *conn, void *ud)
{
    (void)conn;
    struct ftp_client *c = ud;
    if (c->writable_told)
        tell_writable(c);
}

static void data_failed(struct conn *conn, void *ud, enum net_err err)
{
    struct ftp_client *c = ud;
    conn_free(conn, false);
    c->data = NULL;
    c->step = c->data_up ? FTP_STEP_DATA : FTP_STEP_DATA_OPEN;
    fail_net(c, err);
}

static const struct conn_handlers data_handlers = {
    .connected = data_connected,
    .readable = data_readable,
    .sent = data_sent,
    .failed = data_failed,
};

static void data_params(struct ftp_client *c, struct conn_params *p, SSL_SESSION **sess)
{
    memset(p, 0, sizeof(*p));
    p->kind = CONN_TCP;
    p->host = c->data_host;
    p->port = c->data_port;
    p->tls = c->req.tls_mode != 0;
    p->tls_choice = &c->tls;
    p->timeout_s = c->req.connect_timeout_s;
    p->trace_id = c->req.trace_id;
    p->direct = true;
    p->verify_name = c->host; /* the certificate is the control host's */
    p->tag = "ftp-data";
    struct conn *ctl = c->lc ? linecli_conn(c->lc) : NULL;
    *sess = p->tls && ctl ? conn_tls_session(ctl) : NULL;
    if (p->tls && !*sess)
        trace_note(c->req.trace_id, "ftp", "no TLS session of the control connection to resume");
    p->resume = *sess;
}

static void open_passive_data(struct ftp_client *c)
{
    struct conn_params p;
    SSL_SESSION *sess;
    data_params(c, &p, &sess);
    c->data = conn_open(&p, &data_handlers, c);
    SSL_SESSION_free(sess);
}

static void on_accept(struct conn_listener *l, void *ud, int fd, const char *addr, int port)
{
    struct ftp_client *c = ud;
    conn_listener_close(l);
    c->listener = NULL;
    ev_timer_stop(L(), &c->accept_timer);
    str_copy(c->data_host, sizeof(c->data_host), addr);
    c->data_port = port;
    struct conn_params p;
    SSL_SESSION *sess;
    data_params(c, &p, &sess);
    c->data = conn_adopt(fd, &p, &data_handlers, c);
    SSL_SESSION_free(sess);
}

/* "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)": only the port is used;
 * the data connection goes to the control connection's peer (as curl does
 * by default), so it works through the host map and NAT. */
static int parse_pasv(const char *text, int *port)
{
    const char *p = strchr(text, '(');
    unsigned h1, h2, h3, h4, p1, p2;
    if (p && sscanf(p, "(%u,%u,%u,%u,%u,%u)", &h1, &h2, &h3, &h4, &p1, &p2) == 6) {
        if (h1 > 255 || h2 > 255 || h3 > 255 || h4 > 255 || p1 > 255 || p2 > 255)
            return -1;
        *port = (int)(p1 * 256 + p2);
        return *port > 0 ? 0 : -1;
    }
    /* Some servers leave out the parentheses: the first six numbers. */
    p = text + 3;
    while (*p && (*p < '0' || *p > '9'))
        p++;
    if (*p && sscanf(p, "%u,%u,%u,%u,%u,%u", &h1, &h2, &h3, &h4, &p1, &p2) == 6 && p1 < 256 &&
        p2 < 256) {
        *port = (int)(p1 * 256 + p2);
        return *port > 0 ? 0 : -1;
    }
    return -1;
}

/* --- the control dialogue --- */

static void send_transfer(struct ftp_client *c);
static void after_cwd(struct ftp_client *c);

static void start_data_channel(struct ftp_client *c)
{
    if (c->req.passive) {
        send_cmd(c, FTP_STEP_PASV, "PASV", NULL);
        return;
    }
    char local[64];
    if (conn_local_address(linecli_conn(c->lc), local, sizeof(local), NULL) < 0 ||
        !net_is_ipv4_literal(local)) {
        c->step = FTP_STEP_PORT;
        fail_net(c, NET_EIO);
        return;
    }
    c->listener = conn_listen(local, on_accept, c);
    if (!c->listener) {
        c->step = FTP_STEP_PORT;
        fail_net(c, NET_EIO);
        return;
    }
    ev_timer_set(&c->accept_timer, c->req.connect_timeout_s, 0.);
    ev_timer_start(L(), &c->accept_timer);
    int port = conn_listener_port(c->listener);
    char arg[64];
    unsigned a, b, d, e;
    sscanf(local, "%u.%u.%u.%u", &a, &b, &d, &e);
    snprintf(arg, sizeof(arg), "%u,%u,%u,%u,%d,%d", a, b, d, e, port / 256, port % 256);
    send_cmd(c, FTP_STEP_PORT, "PORT", arg);
}

static void start_operation(struct ftp_client *c);

static void after_login(struct ftp_client *c)
{
    if (c->req.tls_mode) {
        send_cmd(c, FTP_STEP_PBSZ, "PBSZ 0", NULL);
        return;
    }
    start_operation(c);
}

static void start_operation(struct ftp_client *c)
{
    switch (c->req.op) {
    case FTP_OP_MKD:
        send_cmd(c, FTP_STEP_COMMAND, "MKD", c->path);
        return;
    case FTP_OP_RMD:
        send_cmd(c, FTP_STEP_COMMAND, "RMD", c->path);
        return;
    case FTP_OP_SIZE:
    case FTP_OP_DELE:
        if (c->path[0])
            send_cmd(c, FTP_STEP_CWD, "CWD", c->path);
        else
            after_cwd(c);
        return;
    default: {
        char t[4] = {c->req.op == FTP_OP_LIST ? 'A' : c->req.type, 0};
        send_cmd(c, FTP_STEP_TYPE, "TYPE", t);
        return;
    }
    }
}

static void after_cwd(struct ftp_client *c)
{
    switch (c->req.op) {
    case FTP_OP_SIZE:
        send_cmd(c, FTP_STEP_COMMAND, "SIZE", c->name);
        return;
    case FTP_OP_DELE:
        send_cmd(c, FTP_STEP_COMMAND, "DELE", c->name);
        return;
    default:
        start_data_channel(c);
        return;
    }
}

static void send_transfer(struct ftp_client *c)
{
    static const char *const put_cmds[] = {"STOR", "APPE", "STOU"};
    switch (c->req.op) {
    case FTP_OP_GET:
        send_cmd(c, FTP_STEP_COMMAND, "RETR", c->name);
        return;
    case FTP_OP_LIST:
        send_cmd(c, FTP_STEP_COMMAND, "LIST", NULL);
        return;
    default:
        send_cmd(c, FTP_STEP_COMMAND, put_cmds[c->req.putopt],
                 c->req.putopt == FTP_PUT_STOU ? NULL : c->name);
        return;
    }
}

/* GET/LIST end when the data connection has closed in order and the
 * server's final reply was positive; PUT when the final reply came after
 * ftp_client_finish(). */
static void check_complete(struct ftp_client *c)
{
    if (c->awaiting_final || !c->got_prelim)
        return;
    bool ready = c->req.op == FTP_OP_PUT ? c->put_finished : c->data_eof;
    if (!ready)
        return;
    c->awaiting_final = true;
    c->step = FTP_STEP_FINAL;
    if (linecli_await(c->lc, 0) < 0)
        finish(c, FTP_FAIL_REPLY, NET_OK, 0);
}

static void on_reply(struct linecli *lc, void *ud, const struct linecli_reply *r)
{
    (void)lc;
    struct ftp_client *c = ud;
    int code = r->code;
    /* 421 ends any step: the server is shutting the session (65). */
    if (code == 421 || (!r->ok && code >= 400)) {
        finish(c, FTP_FAIL_REFUSED, NET_OK, code);
        return;
    }
    switch (c->step) {
    case FTP_STEP_CONNECT:
        if (code != 220)
            break;
        if (c->req.tls_mode == 2)
            send_cmd(c, FTP_STEP_AUTH, "AUTH TLS", NULL);
        else
            send_cmd(c, FTP_STEP_USER, "USER", c->user);
        return;
    case FTP_STEP_AUTH:
        if (code != 234)
            break;
        c->step = FTP_STEP_AUTH_TLS;
        if (linecli_start_tls(c->lc, &c->tls, NULL) < 0)
            finish(c, FTP_FAIL_REPLY, NET_OK, code);
        return;
    case FTP_STEP_USER:
        if (code == 230) {
            after_login(c);
            return;
        }
        if (code != 331 && code != 332)
            break;
        send_cmd(c, FTP_STEP_PASS, "PASS", c->pass);
        return;
    case FTP_STEP_PASS:
        if (code != 230 && code != 202)
            break;
        after_login(c);
        return;
    case FTP_STEP_PBSZ:
        if (code / 100 != 2)
            break;
        send_cmd(c, FTP_STEP_PROT, "PROT P", NULL);
        return;
    case FTP_STEP_PROT:
        if (code / 100 != 2)
            break;
        start_operation(c); /* data connections are TLS from here */
        return;
    case FTP_STEP_TYPE:
        if (code / 100 != 2)
            break;
        if (c->path[0])
            send_cmd(c, FTP_STEP_CWD, "CWD", c->path);
        else
            after_cwd(c);
        return;
    case FTP_STEP_CWD:
        if (code / 100 != 2)
            break;
        after_cwd(c);
        return;
    case FTP_STEP_PASV:
        if (code != 227)
            break;
        if (parse_pasv(r->text, &c->data_port) < 0) {
            finish(c, FTP_FAIL_REPLY, NET_OK, code);
            return;
        }
        str_copy(c->data_host, sizeof(c->data_host), conn_remote_address(linecli_conn(c->lc)));
        open_passive_data(c);
        goto rest;
    case FTP_STEP_PORT:
        if (code / 100 != 2)
            break;
    rest:
        if (c->req.op == FTP_OP_GET && c->req.rest > 0) {
            char n[32];
            snprintf(n, sizeof(n), "%ld", c->req.rest);
            send_cmd(c, FTP_STEP_REST, "REST", n);
            return;
        }
        send_transfer(c);
        return;
    case FTP_STEP_REST:
        if (code != 350)
            break;
        send_transfer(c);
        return;
    case FTP_STEP_COMMAND:
        switch (c->req.op) {
        case FTP_OP_SIZE:
            if (code != 213 || sscanf(reply_last_line_text(r->text), "%ld", &c->pending.size) != 1)
                break;
            finish(c, FTP_DONE, NET_OK, code);
            return;
        case FTP_OP_DELE:
        case FTP_OP_MKD:
        case FTP_OP_RMD:
            if (code / 100 != 2)
                break;
            finish(c, FTP_DONE, NET_OK, code);
            return;
        default:
            if (code / 100 == 1) {
                c->got_prelim = true;
                if (tell_writable(c))
                    check_complete(c);
                return;
            }
            /* A 226 without a 150 (an empty file on some servers). */
            if (code / 100 == 2 && c->req.op != FTP_OP_PUT) {
                c->got_prelim = true;
                c->awaiting_final = true;
                c->step = FTP_STEP_FINAL;
                if (c->data_eof || !c->data) {
                    finish(c, FTP_DONE, NET_OK, code);
                    return;
                }
                return; /* the data connection's end finishes it */
            }
            break;
        }
        break;
    case FTP_STEP_FINAL:
        if (code / 100 != 2)
            break;
        if (c->req.op != FTP_OP_PUT && c->data) {
            /* the reply came first: wait for the data to end */
            return;
        }
        finish(c, FTP_DONE, NET_OK, code);
        return;
    default:
        break;
    }
    finish(c, FTP_FAIL_REPLY, NET_OK, code);
}

static void on_failed(struct linecli *lc, void *ud, enum net_err err)
{
    struct ftp_client *c = ud;
    trace_note(c->req.trace_id, "ftp", "control: %s", linecli_error_detail(lc));
    linecli_free(lc);
    c->lc = NULL;
    fail_net(c, err);
}

static void on_upgraded(struct linecli *lc, void *ud)
{
    (void)lc;
    struct ftp_client *c = ud;
    send_cmd(c, FTP_STEP_USER, "USER", c->user);
}

static const struct linecli_handlers control_handlers = {
    .reply = on_reply,
    .failed = on_failed,
    .upgraded = on_upgraded,
};

static void accept_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ftp_client *c = w->data;
    trace_note(c->req.trace_id, "ftp", "the server did not connect back");
    c->step = FTP_STEP_PORT;
    fail_net(c, NET_ETIMEOUT);
}

static void kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ftp_client *c = w->data;
    finish(c, c->pending.fact, c->pending.err, c->pending.reply_code);
}

struct ftp_client *ftp_client_start(const struct ftp_request *req, const struct ftp_handlers *h,
                                    void *ud)
{
    struct ftp_client *c = xcalloc(1, sizeof(*c));
    c->req = *req;
    c->host = xstrdup(req->host ? req->host : "");
    c->user = xstrdup(req->user ? req->user : "");
    c->pass = xstrdup(req->pass ? req->pass : "");
    c->path = xstrdup(req->path ? req->path : "");
    c->name = xstrdup(req->name ? req->name : "");
    c->req.host = c->host;
    c->req.user = c->user;
    c->req.pass = c->pass;
    c->req.path = c->path;
    c->req.name = c->name;
    c->req.tls_choice = NULL;
    tls_choice_copy(&c->tls, req->tls_choice);
    c->h = h;
    c->ud = ud;
    c->step = FTP_STEP_CONNECT;
    ev_timer_init(&c->kick, kick_cb, 0., 0.);
    c->kick.data = c;
    ev_timer_init(&c->accept_timer, accept_timeout_cb, 1., 0.);
    c->accept_timer.data = c;
    trace_note(req->trace_id, "ftp", "%s %s:%d%s",
               (const char *[]){"RETR", "STOR", "LIST", "SIZE", "DELE", "MKD", "RMD"}[req->op],
               c->host, req->port,
               req->tls_mode == 1   ? " implicit TLS"
               : req->tls_mode == 2 ? " explicit TLS"
                                    : "");
    struct linecli_params p = {
        .conn =
            {
                .kind = CONN_TCP,
                .host = c->host,
                .port = req->port,
                .tls = req->tls_mode == 1,
                .tls_choice = &c->tls,
                .timeout_s = req->connect_timeout_s,
                .trace_id = req->trace_id,
                .tag = "ftp",
            },
        .style = LINECLI_NUMERIC,
        .reply_timeout_s = req->reply_timeout_s,
    };
    c->lc = linecli_open(&p, &control_handlers, c);
    return c;
}

void ftp_client_pause(struct ftp_client *c, bool pause)
{
    if (!c || c->paused == pause)
        return;
    c->paused = pause;
    if (c->data)
        conn_pause_reading(c->data, pause);
}

void ftp_client_write(struct ftp_client *c, const void *p, size_t n)
{
    if (!c || !c->data || c->put_finished)
        return;
    c->transferred += n;
    if (c->req.type != 'A') {
        conn_write(c->data, p, n);
        return;
    }
    /* TYPE A: the module sends 7-bit NVT-ASCII, the top bit cleared (the
     * manual's AT+FTPTYPE note: binary data is damaged). */
    const uint8_t *in = p;
    uint8_t buf[4096];
    while (n) {
        size_t k = n < sizeof(buf) ? n : sizeof(buf);
        for (size_t i = 0; i < k; i++)
            buf[i] = in[i] & 0x7f;
        conn_write(c->data, buf, k);
        in += k;
        n -= k;
    }
}

size_t ftp_client_unsent(const struct ftp_client *c)
{
    return c && c->data ? conn_unsent(c->data) : 0;
}

void ftp_client_finish(struct ftp_client *c)
{
    if (!c || c->put_finished)
        return;
    c->put_finished = true;
    if (c->data) {
        conn_close_after_flush(c->data); /* close_notify, then FIN */
        c->data = NULL;
    }
    check_complete(c);
}

void ftp_client_cancel(struct ftp_client *c)
{
    if (c)
        client_free(c, true);
}

size_t ftp_client_transferred(const struct ftp_client *c) { return c ? c->transferred : 0; }
