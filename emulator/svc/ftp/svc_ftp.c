/* AT+FTP*: the module's FTP client (SIM800 AT Command Manual V1.09 ch. 12).  The service owns the
 * parameters, the session the module runs (one at a time), the download
 * buffer and the RAM images; ftp_client.c speaks FTP over the shared
 * connection layer and TLS policy, and ftp_codes.c turns what it saw into
 * the module's codes. */
#include <stdio.h>
#include <string.h>

#include "ftp.h"

#include "bearer.h"
#include "fs.h"
#include "ftp_codes.h"
#include "ftp_ext.h"
#include "ftp_params.h"
#include "modem.h"
#include "reply.h"
#include "ssl.h"
#include "trace.h"

#define FTP_READ_MAX 1460 /* AT+FTPGET=2 / AT+FTPLIST=2 (manual §12.2.14) */
#define FTP_PUT_MAX 1360  /* the <maxlength> of every SIMCom transcript (manual §12.2.15) */
#define FTP_DL_BUFFER                                                                              \
    65536 /* held before the data socket stops being read (our choice where the manual is silent)  \
           */
#define FTP_PUT_QUEUE 16384    /* queued upload bytes beyond which the next chunk waits */
#define FTP_PUT_ENTRY_MS 20000 /* the bytes of AT+FTPPUT=2,<n> (UNCERTAIN) */
#define FTP_CONNECT_S 75.0     /* the manual's max response time */
/* [ftp] reply_timeout_s, unread_timeout_s, ready_repeat_s: the times manual §12.2.15
 * leaves open (the "1,1" repeat, the unread-data "1,64", a silent server). */
static double repeat_s(const struct modem *m) { return ftp_config(m)->ready_repeat_s; }
static double unread_s(const struct modem *m) { return ftp_config(m)->unread_timeout_s; }

static const char *const urc_names[] = {
    [FTP_K_NONE] = "+FTPGET",        [FTP_K_GET] = "+FTPGET",
    [FTP_K_PUT] = "+FTPPUT",         [FTP_K_LIST] = "+FTPLIST",
    [FTP_K_SIZE] = "+FTPSIZE",       [FTP_K_DELE] = "+FTPDELE",
    [FTP_K_MKD] = "+FTPMKD",         [FTP_K_RMD] = "+FTPRMD",
    [FTP_K_GETTOFS] = "+FTPGETTOFS", [FTP_K_PUTFRMFS] = "+FTPPUTFRMFS",
    [FTP_K_EXTGET] = "+FTPEXTGET",
};

/* The URC that reports code for a session of kind k. */
void ftp_report(struct modem *m, enum ftp_kind k, int code, long size)
{
    switch (k) {
    case FTP_K_SIZE:
        at_urc(m, "+FTPSIZE: 1,%d,%ld", code, code ? 0L : size);
        return;
    case FTP_K_GETTOFS:
    case FTP_K_PUTFRMFS:
        if (code)
            at_urc(m, "%s: %d", urc_names[k], code);
        else
            at_urc(m, "%s: 0,%ld", urc_names[k], size);
        return;
    default:
        at_urc(m, "%s: 1,%d", urc_names[k], code);
        return;
    }
}

static void end_session(struct modem *m)
{
    struct ftp_state *f = ftp_of(m);
    ftp_client_cancel(f->cli);
    f->cli = NULL;
    f->kind = FTP_K_NONE;
    ev_timer_stop(m->loop, &f->tick);
    ev_timer_stop(m->loop, &f->reconnect);
    f->reconnects_left = 0;
    f->put_sizing = false;
    f->image_off = 0;
    bytebuf_free(&f->dl);
    bytebuf_free(&f->image);
    f->readable_told = f->finished = f->paused = false;
    f->put_ready = f->put_chunk_out = f->put_ended = f->image_upload = false;
}

static void fail_session(struct modem *m, int code)
{
    struct ftp_state *f = ftp_of(m);
    enum ftp_kind k = f->kind;
    end_session(m);
    ftp_report(m, k, code, 0);
}

/* --- what the client reports --- */

static void on_data(void *ud, const uint8_t *p, size_t n)
{
    struct modem *m = ud;
    struct ftp_state *f = ftp_of(m);
    switch (f->kind) {
    case FTP_K_GETTOFS:
        f->fs_received += n;
        if (fs_write_file(m, f->fs_name, p, n, true) < 0) {
            fail_session(m, FTP_FS_ERROR);
            return;
        }
        f->fs_written += n;
        return;
    case FTP_K_EXTGET:
        if (bytebuf_pending(&f->extget) + n > FTP_RAM_MAX) {
            fail_session(m, FTP_FS_ERROR); /* the RAM image is full (UNCERTAIN) */
            return;
        }
        bytebuf_append(&f->extget, p, n);
        return;
    default:
        break;
    }
    bool was_empty = bytebuf_pending(&f->dl) == 0;
    bytebuf_append(&f->dl, p, n);
    if (was_empty) {
        /* Readable again: "1,1" (the SSL note's 3.6: after a read found
         * nothing, the next bytes are announced). */
        f->readable_told = true;
        f->last_read = f->last_told = ev_now(m->loop);
        at_urc(m, "%s: 1,1", urc_names[f->kind]);
        if (!ev_is_active(&f->tick))
            ev_timer_again(m->loop, &f->tick);
    }
    if (bytebuf_pending(&f->dl) >= FTP_DL_BUFFER && !f->paused) {
        f->paused = true;
        ftp_client_pause(f->cli, true);
    }
}

static void put_image(struct modem *m)
{
    struct ftp_state *f = ftp_of(m);
    size_t off = f->image_off <= bytebuf_pending(&f->image) ? f->image_off : 0;
    ftp_client_write(f->cli, bytebuf_head(&f->image) + off, bytebuf_pending(&f->image) - off);
    ftp_client_finish(f->cli);
}

static void on_writable(void *ud)
{
    struct modem *m = ud;
    struct ftp_state *f = ftp_of(m);
    if (f->kind == FTP_K_PUTFRMFS || f->image_upload) {
        if (!f->put_ready) {
            f->put_ready = true;
            put_image(m);
        }
        return;
    }
    if (f->kind != FTP_K_PUT || f->put_ended)
        return;
    if (!f->put_ready || f->put_chunk_out) {
        f->put_ready = true;
        f->put_chunk_out = false;
        at_urc(m, "+FTPPUT: 1,1,%d", FTP_PUT_MAX);
    }
}

/* What a reconnect may mend: the network, the data connection, a silent
 * or closing server, a TLS session that broke; not a refusal, a missing
 * file or the file system (our choice where manual §12.2.24 is silent). */
static bool reconnect_mends(int code)
{
    switch (code) {
    case FTP_NET_ERROR:
    case FTP_CONNECT_ERROR:
    case FTP_TIMEOUT:
    case FTP_SERVER_ERROR:
    case FTP_PASSIVE_ERROR:
    case FTP_ACTIVE_ERROR:
    case FTP_UPLOAD_ERROR:
    case FTP_DOWNLOAD_ERROR:
    case FTP_TLS_ALERT:
        return true;
    default:
        return false;
    }
}

static void start_client(struct modem *m, enum ftp_kind k);

static void reconnect_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct modem *m = w->data;
    struct ftp_state *f = ftp_of(m);
    if (f->kind != FTP_K_GETTOFS && f->kind != FTP_K_PUTFRMFS)
        return;
    if (f->kind == FTP_K_PUTFRMFS)
        f->put_sizing = true; /* first ask the server how much of the file it holds */
    start_client(m, f->kind);
}

static void on_done(void *ud, const struct ftp_result *res)
{
    struct modem *m = ud;
    struct ftp_state *f = ftp_of(m);
    f->cli = NULL;
    enum ftp_op op = f->kind == FTP_K_PUT || f->kind == FTP_K_PUTFRMFS ? FTP_OP_PUT : FTP_OP_GET;
    if (f->put_sizing) {
        /* The SIZE of a PUTFRMFS resume: APPE from there, or the whole file
         * again when the server holds none of it (or more than we sent). */
        f->put_sizing = false;
        size_t have = bytebuf_pending(&f->image);
        f->image_off = res->fact == FTP_DONE && res->size > 0 && (size_t)res->size <= have
                           ? (size_t)res->size
                           : 0;
        trace_note(m->id, "ftp", "reconnect: the server holds %zu of %zu bytes", f->image_off,
                   have);
        start_client(m, f->kind);
        return;
    }
    int code = ftp_code_for(op, f->passive, res);
    enum ftp_kind k = f->kind;
    if (code && (k == FTP_K_GETTOFS || k == FTP_K_PUTFRMFS) && f->reconnects_left > 0 &&
        reconnect_mends(code)) {
        f->reconnects_left--;
        trace_note(m->id, "ftp", "%s broke (%d): reconnect in %.0f s, %d more after it",
                   urc_names[k], code, f->reconnect_s, f->reconnects_left);
        ev_timer_set(&f->reconnect, f->reconnect_s, 0.);
        ev_timer_start(m->loop, &f->reconnect);
        return;
    }
    if (code) {
        fail_session(m, code);
        return;
    }
    switch (k) {
    case FTP_K_GET:
    case FTP_K_LIST:
        f->finished = true;
        if (bytebuf_pending(&f->dl) == 0) {
            end_session(m);
            ftp_report(m, k, 0, 0);
        }
        /* else "1,0" after the read that drains the buffer (manual §12.2.14) */
        return;
    case FTP_K_GETTOFS:
        end_session(m);
        ftp_report(m, k, 0, (long)f->fs_written);
        return;
    case FTP_K_PUTFRMFS: {
        long n = (long)bytebuf_pending(&f->image);
        end_session(m);
        ftp_report(m, k, 0, n);
        return;
    }
    case FTP_K_SIZE:
        end_session(m);
        ftp_report(m, k, 0, res->size);
        return;
    case FTP_K_EXTGET:
        f->extget_on = true;
        f->extget_pos = 0;
        end_session(m);
        ftp_report(m, k, 0, 0);
        return;
    default:
        end_session(m);
        ftp_report(m, k, 0, 0);
        return;
    }
}

static const struct ftp_handlers client_handlers = {
    .data = on_data,
    .writable = on_writable,
    .done = on_done,
};

/* The "1,1" repeat while the host leaves data unread, and the end of a
 * session whose host never reads (manual §12.2.14: "1,64"). */
static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct modem *m = w->data;
    struct ftp_state *f = ftp_of(m);
    if ((f->kind != FTP_K_GET && f->kind != FTP_K_LIST) || bytebuf_pending(&f->dl) == 0) {
        ev_timer_stop(loop, w);
        return;
    }
    ev_tstamp idle = ev_now(loop) - f->last_read;
    if (idle >= unread_s(m)) {
        fail_session(m, FTP_TIMEOUT);
        return;
    }
    if (idle >= repeat_s(m) - 0.01 && ev_now(loop) - f->last_told >= repeat_s(m) - 0.01) {
        f->last_told = ev_now(loop);
        at_urc(m, "%s: 1,1", urc_names[f->kind]);
    }
}

/* --- opening a session --- */

static enum ftp_op op_of(enum ftp_kind k)
{
    switch (k) {
    case FTP_K_PUT:
    case FTP_K_PUTFRMFS:
        return FTP_OP_PUT;
    case FTP_K_LIST:
        return FTP_OP_LIST;
    case FTP_K_SIZE:
        return FTP_OP_SIZE;
    case FTP_K_DELE:
        return FTP_OP_DELE;
    case FTP_K_MKD:
        return FTP_OP_MKD;
    case FTP_K_RMD:
        return FTP_OP_RMD;
    default:
        return FTP_OP_GET;
    }
}

/* Answers OK in every case (our choice where the manual is silent): a refusal comes as the
 * session's URC after it.  Returns true when a session started. */
bool ftp_open_session(struct modem *m, enum ftp_kind k)
{
    struct ftp_state *f = ftp_of(m);
    const struct ftp_params *p = &f->p;
    if (f->kind != FTP_K_NONE) {
        ftp_report(m, k, FTP_NOT_ALLOWED, 0); /* IP note 3.13; the running one goes on */
        return false;
    }
    enum ftp_op op = op_of(k);
    int code = 0;
    if (!p->serv[0])
        code = FTP_NOT_ALLOWED;
    else if ((op == FTP_OP_GET || op == FTP_OP_SIZE || op == FTP_OP_DELE) && !p->getname[0])
        code =
            FTP_TIMEOUT; /* IP note 3.13 (UNCERTAIN: the note's own comment says operate error) */
    else if (op == FTP_OP_PUT && !p->putname[0] && p->putopt != FTP_PUT_STOU)
        code = FTP_TIMEOUT; /* as an empty GETNAME (IP note 3.13; UNCERTAIN for the upload) */
    else if (!bearer_is_open(m, p->cid))
        code = FTP_NET_ERROR;
    if (code) {
        ftp_report(m, k, code, 0);
        return false;
    }
    f->kind = k;
    f->run = f->p;
    f->run_ssl = f->ssl;
    start_client(m, k);
    return true;
}

/* Starts (or, after a break, restarts) the client of the session k. */
static void start_client(struct modem *m, enum ftp_kind k)
{
    struct ftp_state *f = ftp_of(m);
    const struct ftp_params *p = &f->run;
    enum ftp_op op = f->put_sizing ? FTP_OP_SIZE : op_of(k);
    bool put_side = op == FTP_OP_PUT || f->put_sizing;
    struct tls_choice tls;
    ssl_choice_for(m, &tls);
    long rest = k == FTP_K_GET ? p->rest : k == FTP_K_GETTOFS ? (long)f->fs_written : 0;
    /* A PUTFRMFS resume appends the rest of the file to what the server holds. */
    enum ftp_putopt putopt =
        k == FTP_K_PUTFRMFS && f->image_off > 0 ? FTP_PUT_APPE : (enum ftp_putopt)p->putopt;
    struct ftp_request req = {
        .op = op,
        .host = p->serv,
        .port = p->port,
        .user = p->un,
        .pass = p->pw,
        .passive = p->mode == 1,
        .type = p->type,
        .putopt = putopt,
        .path = put_side ? p->putpath : p->getpath,
        .name = put_side ? p->putname : p->getname,
        .rest = rest,
        .tls_mode = f->run_ssl,
        .tls_choice = &tls,
        .connect_timeout_s = FTP_CONNECT_S,
        .reply_timeout_s = ftp_config(m)->reply_timeout_s,
        .trace_id = m->id,
    };
    if (rest > 0 && k == FTP_K_GETTOFS)
        trace_note(m->id, "ftp", "reconnect: resuming the download at byte %ld", rest);
    f->passive = req.passive;
    f->last_read = ev_now(m->loop);
    f->put_ready = false;
    f->cli = ftp_client_start(&req, &client_handlers, m);
}

static int cmd_ftpstate(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    at_info(m, "+FTPSTATE: %d", ftp_of(m)->kind != FTP_K_NONE ? 1 : 0);
    return AT_OK;
}

static int cmd_ftpquit(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (f->kind == FTP_K_NONE)
        return AT_ERROR;              /* UNCERTAIN: the manual shows only the OK */
    fail_session(m, FTP_MANUAL_QUIT); /* IP note 3.25: OK, then "1,86" */
    return AT_OK;
}

/* --- one-shot operations --- */

static int cmd_oneshot(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    ftp_open_session(m, (enum ftp_kind)(intptr_t)r->ctx);
    return AT_OK;
}

/* --- downloads: AT+FTPGET, AT+FTPLIST --- */

static int read_data(struct modem *m, struct at_req *r, enum ftp_kind k, const char *name)
{
    struct ftp_state *f = ftp_of(m);
    long n;
    if (at_arg_int(&r->args, 1, FTP_READ_MAX, &n) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    if (f->kind != k || !f->readable_told)
        return AT_ERROR; /* before "1,1" or after "1,0" (IP note 3.14) */
    size_t have = bytebuf_pending(&f->dl);
    size_t take = have < (size_t)n ? have : (size_t)n;
    char header[32];
    snprintf(header, sizeof(header), "%s: 2,%zu", name, take);
    at_info_data(m, header, bytebuf_head(&f->dl), take);
    bytebuf_consume(&f->dl, take);
    f->last_read = ev_now(m->loop);
    if (bytebuf_pending(&f->dl) == 0) {
        bytebuf_clear(&f->dl);
        if (f->finished) {
            end_session(m);
            ftp_report(m, k, 0, 0); /* after this read's OK (manual §12.2.14) */
            return AT_OK;
        }
    }
    if (f->paused && bytebuf_pending(&f->dl) < FTP_DL_BUFFER / 2) {
        f->paused = false;
        ftp_client_pause(f->cli, false);
    }
    return AT_OK;
}

/* AT+FTPGET and AT+FTPLIST share their forms: =1 opens the session, =2,<n>
 * reads what has arrived.  ctx is the session kind. */
static int cmd_download(struct modem *m, struct at_req *r)
{
    const enum ftp_kind kind = *(const enum ftp_kind *)r->ctx;
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    long mode;
    if (at_arg_int(&r->args, 1, 2, &mode) != AT_ARG_OK)
        return AT_ERROR;
    if (mode == 2)
        return read_data(m, r, kind, kind == FTP_K_GET ? "+FTPGET" : "+FTPLIST");
    if (!at_args_done(&r->args))
        return AT_ERROR;
    ftp_open_session(m, kind);
    return AT_OK;
}

static const enum ftp_kind kind_get = FTP_K_GET, kind_list = FTP_K_LIST;

/* --- uploads: AT+FTPPUT --- */

static int put_entry_cb(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data,
                        size_t len)
{
    (void)ud;
    struct ftp_state *f = ftp_of(m);
    f->put_entry = false;
    if (end != AT_DATA_SUBMIT)
        return AT_ERROR; /* the bytes did not all come: the session stays (manual §12.2.15) */
    if (f->kind != FTP_K_PUT || !f->cli)
        return AT_ERROR;
    ftp_client_write(f->cli, data, len);
    if (ftp_client_unsent(f->cli) <= FTP_PUT_QUEUE) {
        /* The socket took it, or little waits: ready for the next chunk,
         * right after this OK. */
        at_urc(m, "+FTPPUT: 1,1,%d", FTP_PUT_MAX);
    } else {
        f->put_chunk_out = true; /* "1,1,1360" once the queue has drained */
    }
    return AT_OK;
}

static int cmd_ftpput(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    long mode;
    if (at_arg_int(&r->args, 1, 2, &mode) != AT_ARG_OK)
        return AT_ERROR;
    if (mode == 1) {
        if (!at_args_done(&r->args))
            return AT_ERROR;
        bool image = f->kind == FTP_K_NONE && (f->extput_mode == 1 || f->fileput);
        if (ftp_open_session(m, FTP_K_PUT) && image) {
            /* The RAM image goes in one go: no "1,1,<maxlength>" step (IP note 3.20, 3.24). */
            f->image_upload = true;
            const struct bytebuf *src = f->extput_mode == 1 ? &f->extput : &f->fileput_img;
            bytebuf_append(&f->image, bytebuf_head(src), bytebuf_pending(src));
        }
        return AT_OK;
    }
    long n;
    if (at_arg_int(&r->args, 0, 0x7fffffffL, &n) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    if (f->kind != FTP_K_PUT || !f->put_ready || f->put_ended || f->image_upload || !f->cli ||
        f->put_chunk_out)
        return AT_ERROR;
    if (n == 0) {
        f->put_ended = true;
        ftp_client_finish(f->cli); /* then "+FTPPUT: 1,0" after the server's 226 */
        return AT_OK;
    }
    size_t cnf = (size_t)n < FTP_PUT_MAX ? (size_t)n : FTP_PUT_MAX;
    char prompt[40];
    snprintf(prompt, sizeof(prompt), "\r\n+FTPPUT: 2,%zu\r\n", cnf);
    struct at_data_req req = {
        .prompt = prompt,
        .fixed_len = cnf,
        .timeout_ms = FTP_PUT_ENTRY_MS,
        .cb = put_entry_cb,
    };
    f->put_entry = true;
    at_begin_data(m, &req);
    return AT_PENDING;
}

#define ONESHOT(name, k)                                                                           \
    {                                                                                              \
        name, AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_oneshot, (const void *)(intptr_t)(k)             \
    }

static const struct at_cmd rows[] = {
    {"+FTPSTATE", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_ftpstate, NULL},
    {"+FTPQUIT", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_ftpquit, NULL},
    {"+FTPGET", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_download, &kind_get},
    {"+FTPPUT", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_ftpput, NULL},
    {"+FTPLIST", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_download, &kind_list},
    ONESHOT("+FTPSIZE", FTP_K_SIZE),
    ONESHOT("+FTPDELE", FTP_K_DELE),
    ONESHOT("+FTPMKD", FTP_K_MKD),
    ONESHOT("+FTPRMD", FTP_K_RMD),
};

static const struct at_cmd_table cmd_ftp_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};

/* --- the service --- */

static void ftp_setup(struct modem *m, struct ftp_state *f)
{
    memset(f, 0, sizeof(*f));
    f->m = m;
    ftp_params_default(&f->p);
    ev_init(&f->tick, tick_cb);
    f->tick.repeat = 1.0; /* checks each second against the profile's times */
    f->tick.data = m;
    ev_init(&f->reconnect, reconnect_cb);
    f->reconnect.data = m;
}

static void ftp_free(struct modem *m, struct ftp_state *f)
{
    end_session(m);
    bytebuf_free(&f->extput);
    bytebuf_free(&f->fileput_img);
    bytebuf_free(&f->extget);
}

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    ftp_setup(m, state);
    return 0;
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    struct ftp_state *f = state;
    ftp_free(m, f);
    if (why == SERVICE_DESTROY)
        return;
    /* A power cycle loads the AT+FTPSCONT parameters (manual §12.2.16). */
    struct ftp_params saved = f->saved;
    bool valid = f->saved_valid;
    ftp_setup(m, f);
    f->saved = saved;
    f->saved_valid = valid;
    if (valid)
        f->p = saved;
}

/* The bearer under a session went away: "1,61" (manual §12.2.16; our choice where the manual is
 * silent). */
static void service_event(struct modem *m, void *state, enum modem_event ev, int arg)
{
    struct ftp_state *f = state;
    if (f->kind == FTP_K_NONE || !f->cli)
        return;
    if (ev == MODEM_EV_PDP_DEACT || (ev == MODEM_EV_BEARER_CLOSED && (arg == 0 || arg == f->p.cid)))
        fail_session(m, FTP_NET_ERROR);
}

static const struct at_cmd_table *const tables[] = {&cmd_ftp_table, &ftp_params_table,
                                                    &ftp_ext_table, NULL};

static const struct service_conn conns[] = {
    {.tag = "ftp", .style = SERVICE_REPLY_NUMERIC, .verbs = ftp_client_verbs},
    {.tag = "ftp-data"},
    {.tag = NULL},
};

static const struct profile_key profile_keys[] = {
    PROFILE_INT_KEY(struct ftp_config, "ftp", "reply_timeout_s", reply_timeout_s, 1, 600, "30"),
    PROFILE_INT_KEY(struct ftp_config, "ftp", "unread_timeout_s", unread_timeout_s, 1, 3600, "75"),
    PROFILE_INT_KEY(struct ftp_config, "ftp", "ready_repeat_s", ready_repeat_s, 1, 600, "10"),
    PROFILE_BOOL_KEY(struct ftp_config, "ftp", "extget_forks", extget_forks, "false"),
    {0},
};

static const struct profile_section profile_section = {"ftp", profile_keys,
                                                       sizeof(struct ftp_config)};

const struct service ftp_service = {
    .name = "ftp",
    .conns = conns,
    .tables = tables,
    .state_size = sizeof(struct ftp_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
    .profile = &profile_section,
};
