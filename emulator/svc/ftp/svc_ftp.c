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
#include "modem.h"
#include "reply.h"
#include "ssl.h"
#include "trace.h"

#define FTP_READ_MAX 1460 /* AT+FTPGET=2 / AT+FTPLIST=2 (manual §12.2.14) */
#define FTP_PUT_MAX 1360  /* the <maxlength> of every SIMCom transcript (manual §12.2.15) */
#define FTP_DL_BUFFER                                                                              \
    65536 /* held before the data socket stops being read (our choice where the manual is silent)  \
           */
#define FTP_PUT_QUEUE 16384      /* queued upload bytes beyond which the next chunk waits */
#define FTP_PUT_ENTRY_MS 20000   /* the bytes of AT+FTPPUT=2,<n> (UNCERTAIN) */
#define FTP_RAM_MAX (300 * 1024) /* the EXTPUT/EXTGET RAM image (manual: 0-300K) */
#define FTP_CONNECT_S 75.0       /* the manual's max response time */
/* [ftp] reply_timeout_s, unread_timeout_s, ready_repeat_s: the times manual §12.2.15
 * leaves open (the "1,1" repeat, the unread-data "1,64", a silent server). */
static double repeat_s(const struct modem *m) { return m->profile->ftp_ready_repeat_s; }
static double unread_s(const struct modem *m) { return m->profile->ftp_unread_timeout_s; }

static const char *const urc_names[] = {
    [FTP_K_NONE] = "+FTPGET",        [FTP_K_GET] = "+FTPGET",
    [FTP_K_PUT] = "+FTPPUT",         [FTP_K_LIST] = "+FTPLIST",
    [FTP_K_SIZE] = "+FTPSIZE",       [FTP_K_DELE] = "+FTPDELE",
    [FTP_K_MKD] = "+FTPMKD",         [FTP_K_RMD] = "+FTPRMD",
    [FTP_K_GETTOFS] = "+FTPGETTOFS", [FTP_K_PUTFRMFS] = "+FTPPUTFRMFS",
    [FTP_K_EXTGET] = "+FTPEXTGET",
};

static void params_default(struct ftp_params *p)
{
    memset(p, 0, sizeof(*p));
    p->cid = 1;
    p->port = 21;
    p->mode = 0;
    p->type = 'I';
    p->putopt = FTP_PUT_STOR;
}

/* The URC that reports code for a session of kind k. */
static void report(struct modem *m, enum ftp_kind k, int code, long size)
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
    report(m, k, code, 0);
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
            report(m, k, 0, 0);
        }
        /* else "1,0" after the read that drains the buffer (manual §12.2.14) */
        return;
    case FTP_K_GETTOFS:
        end_session(m);
        report(m, k, 0, (long)f->fs_written);
        return;
    case FTP_K_PUTFRMFS: {
        long n = (long)bytebuf_pending(&f->image);
        end_session(m);
        report(m, k, 0, n);
        return;
    }
    case FTP_K_SIZE:
        end_session(m);
        report(m, k, 0, res->size);
        return;
    case FTP_K_EXTGET:
        f->extget_on = true;
        f->extget_pos = 0;
        end_session(m);
        report(m, k, 0, 0);
        return;
    default:
        end_session(m);
        report(m, k, 0, 0);
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
static bool open_session(struct modem *m, enum ftp_kind k)
{
    struct ftp_state *f = ftp_of(m);
    const struct ftp_params *p = &f->p;
    if (f->kind != FTP_K_NONE) {
        report(m, k, FTP_NOT_ALLOWED, 0); /* IP note 3.13; the running one goes on */
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
        report(m, k, code, 0);
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
        .reply_timeout_s = m->profile->ftp_reply_timeout_s,
        .trace_id = m->id,
    };
    if (rest > 0 && k == FTP_K_GETTOFS)
        trace_note(m->id, "ftp", "reconnect: resuming the download at byte %ld", rest);
    f->passive = req.passive;
    f->last_read = ev_now(m->loop);
    f->put_ready = false;
    f->cli = ftp_client_start(&req, &client_handlers, m);
}

/* --- parameters --- */

static int set_str(struct modem *m, struct at_req *r, char *dst, size_t cap)
{
    char v[300];
    if (at_arg_str(&r->args, v, sizeof(v), NULL) != AT_ARG_OK || !at_args_done(&r->args) ||
        strlen(v) >= cap)
        return AT_ERROR;
    /* During a session too: the value is for the next one (manual §12.2.1–12.2.13 do not
     * refuse it; the running session keeps its own copy). */
    (void)m;
    str_copy(dst, cap, v);
    return AT_OK;
}

static int set_int(struct modem *m, struct at_req *r, long min, long max, long *out)
{
    (void)m;
    if (at_arg_int(&r->args, min, max, out) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    return AT_OK; /* during a session too: for the next one (see set_str) */
}

enum param_id {
    P_CID,
    P_SERV,
    P_PORT,
    P_UN,
    P_PW,
    P_MODE,
    P_TYPE,
    P_PUTOPT,
    P_REST,
    P_GETNAME,
    P_GETPATH,
    P_PUTNAME,
    P_PUTPATH
};

static const char *const putopts[] = {"STOR", "APPE", "STOU"};

static void show_param(struct modem *m, const struct ftp_params *p, enum param_id id, char *out,
                       size_t cap)
{
    (void)m;
    switch (id) {
    case P_CID:
        snprintf(out, cap, "+FTPCID: %d", p->cid);
        break;
    case P_SERV:
        snprintf(out, cap, "+FTPSERV: \"%s\"", p->serv);
        break;
    case P_PORT:
        snprintf(out, cap, "+FTPPORT: %d", p->port);
        break;
    case P_UN:
        snprintf(out, cap, "+FTPUN: \"%s\"", p->un);
        break;
    case P_PW:
        snprintf(out, cap, "+FTPPW: \"%s\"", p->pw);
        break;
    case P_MODE:
        snprintf(out, cap, "+FTPMODE: %d", p->mode);
        break;
    case P_TYPE:
        snprintf(out, cap, "+FTPTYPE: \"%c\"", p->type);
        break;
    case P_PUTOPT:
        snprintf(out, cap, "+FTPPUTOPT: \"%s\"", putopts[p->putopt]);
        break;
    case P_REST:
        snprintf(out, cap, "+FTPREST: %ld", p->rest);
        break;
    case P_GETNAME:
        snprintf(out, cap, "+FTPGETNAME: \"%s\"", p->getname);
        break;
    case P_GETPATH:
        snprintf(out, cap, "+FTPGETPATH: \"%s\"", p->getpath);
        break;
    case P_PUTNAME:
        snprintf(out, cap, "+FTPPUTNAME: \"%s\"", p->putname);
        break;
    case P_PUTPATH:
        snprintf(out, cap, "+FTPPUTPATH: \"%s\"", p->putpath);
        break;
    }
}

static int cmd_param(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    struct ftp_params *p = &f->p;
    enum param_id id = (enum param_id)(intptr_t)r->ctx;
    if (r->form == AT_FORM_TEST)
        return AT_OK; /* a bare OK (manual §12.2.13) */
    if (r->form == AT_FORM_READ) {
        char line[320];
        show_param(m, p, id, line, sizeof(line));
        at_info(m, "%s", line);
        return AT_OK;
    }
    long v;
    int rc;
    switch (id) {
    case P_CID:
        if ((rc = set_int(m, r, 1, 3, &v)) == AT_OK)
            p->cid = (int)v;
        return rc;
    case P_PORT:
        if ((rc = set_int(m, r, 1, 65535, &v)) == AT_OK)
            p->port = (int)v;
        return rc;
    case P_MODE:
        if ((rc = set_int(m, r, 0, 1, &v)) == AT_OK)
            p->mode = (int)v;
        return rc;
    case P_REST:
        if ((rc = set_int(m, r, 0, 0x7fffffffL, &v)) == AT_OK)
            p->rest = v;
        return rc;
    case P_SERV:
        return set_str(m, r, p->serv, sizeof(p->serv));
    case P_UN:
        return set_str(m, r, p->un, sizeof(p->un));
    case P_PW:
        return set_str(m, r, p->pw, sizeof(p->pw));
    case P_GETNAME:
        return set_str(m, r, p->getname, sizeof(p->getname));
    case P_GETPATH:
        return set_str(m, r, p->getpath, sizeof(p->getpath));
    case P_PUTNAME:
        return set_str(m, r, p->putname, sizeof(p->putname));
    case P_PUTPATH:
        return set_str(m, r, p->putpath, sizeof(p->putpath));
    case P_TYPE: {
        char t[4];
        if ((rc = set_str(m, r, t, sizeof(t))) != AT_OK)
            return rc;
        if (ascii_ieq(t, "A"))
            p->type = 'A';
        else if (ascii_ieq(t, "I"))
            p->type = 'I';
        else
            return AT_ERROR;
        return AT_OK;
    }
    case P_PUTOPT: {
        char o[8];
        if ((rc = set_str(m, r, o, sizeof(o))) != AT_OK)
            return rc;
        for (int i = 0; i < 3; i++) {
            if (ascii_ieq(o, putopts[i])) {
                p->putopt = i;
                return AT_OK;
            }
        }
        return AT_ERROR;
    }
    }
    return AT_ERROR;
}

static int cmd_ftpssl(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "+FTPSSL: (0-2)");
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "+FTPSSL: %d", f->ssl);
        return AT_OK;
    default: {
        long v;
        int rc = set_int(m, r, 0, 2, &v);
        if (rc == AT_OK)
            f->ssl = (int)v;
        return rc;
    }
    }
}

/* Field by field: a struct's padding, and the bytes after a string's NUL
 * that a longer earlier value left, say nothing about the parameters. */
static bool params_equal(const struct ftp_params *a, const struct ftp_params *b)
{
    return a->cid == b->cid && strcmp(a->serv, b->serv) == 0 && a->port == b->port &&
           strcmp(a->un, b->un) == 0 && strcmp(a->pw, b->pw) == 0 && a->mode == b->mode &&
           a->type == b->type && a->putopt == b->putopt && a->rest == b->rest &&
           strcmp(a->getname, b->getname) == 0 && strcmp(a->getpath, b->getpath) == 0 &&
           strcmp(a->putname, b->putname) == 0 && strcmp(a->putpath, b->putpath) == 0;
}

static int cmd_ftpscont(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_READ) {
        bool same = f->saved_valid && params_equal(&f->saved, &f->p);
        static const enum param_id order[] = {P_SERV,    P_PORT,    P_UN,     P_PW,   P_CID,
                                              P_MODE,    P_TYPE,    P_PUTOPT, P_REST, P_GETNAME,
                                              P_GETPATH, P_PUTNAME, P_PUTPATH};
        struct bytebuf out = {0};
        char line[320];
        snprintf(line, sizeof(line), "+FTPSCONT: %d", same ? 0 : 1);
        bytebuf_append_str(&out, line);
        for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
            show_param(m, &f->p, order[i], line, sizeof(line));
            bytebuf_append_str(&out, "\r\n");
            bytebuf_append_str(&out, line);
        }
        bytebuf_append_str(&out, "\r\n+FTPTIMEOUT: 75"); /* UNCERTAIN: no command sets it */
        at_info_len(m, (const char *)bytebuf_head(&out), bytebuf_pending(&out));
        bytebuf_free(&out);
        return AT_OK;
    }
    f->saved = f->p;
    f->saved_valid = true;
    return AT_OK;
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
    open_session(m, (enum ftp_kind)(intptr_t)r->ctx);
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
            report(m, k, 0, 0); /* after this read's OK (manual §12.2.14) */
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
    open_session(m, kind);
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
        if (open_session(m, FTP_K_PUT) && image) {
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

/* --- the extended methods and the file system --- */

static int extput_cb(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data,
                     size_t len)
{
    (void)ud;
    struct ftp_state *f = ftp_of(m);
    if (end != AT_DATA_SUBMIT)
        return AT_ERROR;
    size_t pos = (size_t)f->pos;
    size_t have = bytebuf_pending(&f->extput);
    if (pos + len > have) {
        uint8_t zero[1024] = {0};
        size_t grow = pos + len - have;
        while (grow) {
            size_t k = grow < sizeof(zero) ? grow : sizeof(zero);
            bytebuf_append(&f->extput, zero, k);
            grow -= k;
        }
    }
    memcpy((uint8_t *)bytebuf_head(&f->extput) + pos, data, len);
    return AT_OK;
}

static int cmd_ftpextput(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    long mode, pos, len, timeout;
    if (at_arg_int(&r->args, 0, 2, &mode) != AT_ARG_OK)
        return AT_ERROR;
    if (mode < 2) {
        if (!at_args_done(&r->args) || f->kind == FTP_K_PUT)
            return AT_ERROR;
        f->extput_mode = (int)mode;
        if (mode == 0)
            bytebuf_free(&f->extput);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, FTP_RAM_MAX, &pos) != AT_ARG_OK ||
        at_arg_int(&r->args, 0, FTP_RAM_MAX, &len) != AT_ARG_OK ||
        at_arg_int(&r->args, 1000, 1000000, &timeout) != AT_ARG_OK || !at_args_done(&r->args) ||
        pos + len > FTP_RAM_MAX || f->extput_mode != 1)
        return AT_ERROR;
    f->pos = pos;
    f->len = len;
    if (len == 0) { /* nothing to take: the answer alone (manual §12.2.20: <len> 0-300k) */
        at_info(m, "+FTPEXTPUT: %ld,0", pos);
        return AT_OK;
    }
    char prompt[48];
    snprintf(prompt, sizeof(prompt), "\r\n+FTPEXTPUT: %ld,%ld\r\n", pos, len);
    struct at_data_req req = {
        .prompt = prompt,
        .fixed_len = (size_t)len,
        .timeout_ms = (unsigned)timeout,
        .cb = extput_cb,
    };
    at_begin_data(m, &req);
    return AT_PENDING;
}

/* A file name of the FTP folder: a bare name is C:\User\ftp\<name>. */
static int module_path(const char *name, char *out, size_t cap)
{
    if (!name[0])
        return -1;
    if (strchr(name, '\\'))
        return snprintf(out, cap, "%s", name) < (int)cap ? 0 : -1;
    return snprintf(out, cap, "C:\\User\\ftp\\%s", name) < (int)cap ? 0 : -1;
}

static int cmd_ftpextget(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (r->form == AT_FORM_READ) {
        if (f->kind == FTP_K_EXTGET || f->extget_on)
            at_info(m, "+FTPEXTGET: 1,%zu", bytebuf_pending(&f->extget));
        else
            at_info(m, "+FTPEXTGET: 0");
        return AT_OK;
    }
    long mode;
    /* 0-3 (manual §12.2.26); 4 and the FONA read with [ftp] extget_forks. */
    if (at_arg_int(&r->args, 0, m->profile->ftp_extget_forks ? 4 : 3, &mode) != AT_ARG_OK)
        return AT_ERROR;
    switch (mode) {
    case 0:
        if (!at_args_done(&r->args) || f->kind == FTP_K_EXTGET)
            return AT_ERROR;
        f->extget_on = false;
        bytebuf_free(&f->extget);
        return AT_OK;
    case 1:
        if (!at_args_done(&r->args) || f->extput_mode == 1)
            return AT_ERROR;
        if (f->kind == FTP_K_NONE) {
            bytebuf_free(&f->extget);
            f->extget_on = false;
        }
        open_session(m, FTP_K_EXTGET);
        return AT_OK;
    case 3: {
        long pos, len;
        if (at_arg_int(&r->args, 0, 0x7fffffffL, &pos) != AT_ARG_OK ||
            at_arg_int(&r->args, 1, 0x7fffffffL, &len) != AT_ARG_OK || !at_args_done(&r->args) ||
            !f->extget_on)
            return AT_ERROR;
        size_t have = bytebuf_pending(&f->extget);
        size_t take = (size_t)pos >= have ? 0 : have - (size_t)pos;
        if ((size_t)len < take)
            take = (size_t)len;
        char header[40];
        snprintf(header, sizeof(header), "+FTPEXTGET: 3,%zu", take);
        at_info_data(m, header, bytebuf_head(&f->extget) + (take ? pos : 0), take);
        return AT_OK;
    }
    default: { /* 2 (the manual) or 4 (SIM808 scripts): save; or a FONA read */
        char name[80];
        bool quoted = false;
        if (at_arg_str(&r->args, name, sizeof(name), &quoted) != AT_ARG_OK || !f->extget_on)
            return AT_ERROR;
        if (!quoted && !at_args_done(&r->args) && mode == 2 && m->profile->ftp_extget_forks) {
            /* FONA forks: AT+FTPEXTGET=2,<n>,<timeout> reads n bytes on (manual §12.2.26; SIM800 IP
             * Application Note V1.02 §3.23) */
            long n = strtol(name, NULL, 10), t;
            if (at_arg_int(&r->args, 0, 0x7fffffffL, &t) != AT_ARG_OK || !at_args_done(&r->args))
                return AT_ERROR;
            size_t have = bytebuf_pending(&f->extget) - f->extget_pos;
            size_t take = (size_t)n < have ? (size_t)n : have;
            char header[40];
            snprintf(header, sizeof(header), "+FTPEXTGET: 2,%zu", take);
            at_info_data(m, header, bytebuf_head(&f->extget) + f->extget_pos, take);
            f->extget_pos += take;
            return AT_OK;
        }
        char path[200];
        if (!at_args_done(&r->args) || strlen(name) > 64 ||
            module_path(name, path, sizeof(path)) < 0 ||
            fs_write_file(m, path, bytebuf_head(&f->extget), bytebuf_pending(&f->extget), false) <
                0)
            return AT_ERROR; /* 85: the file system refused (UNCERTAIN: no URC shape) */
        at_info(m, "+FTPEXTGET: %ld,%zu", mode, bytebuf_pending(&f->extget));
        return AT_OK;
    }
    }
}

static int cmd_ftpgettofs(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (r->form == AT_FORM_READ) {
        if (f->kind == FTP_K_GETTOFS)
            at_info(m, "+FTPGETTOFS: 1,%zu,%zu", f->fs_received, f->fs_written);
        else
            at_info(m, "+FTPGETTOFS: 0");
        return AT_OK;
    }
    long loc, num = 3, t = 5;
    char name[80];
    if (at_arg_int(&r->args, 0, 1, &loc) != AT_ARG_OK ||
        at_arg_str(&r->args, name, sizeof(name), NULL) != AT_ARG_OK || strlen(name) > 64)
        return AT_ERROR;
    if (!at_args_done(&r->args) &&
        (at_arg_int(&r->args, 0, 255, &num) != AT_ARG_OK ||
         at_arg_int(&r->args, 0, 60, &t) != AT_ARG_OK || !at_args_done(&r->args)))
        return AT_ERROR;
    if (f->kind != FTP_K_NONE) {
        report(m, FTP_K_GETTOFS, FTP_NOT_ALLOWED, 0);
        return AT_OK;
    }
    char path[200];
    /* No SD card (loc 1), a name the file system refuses, no room: 85. */
    if (loc == 1 || module_path(name, path, sizeof(path)) < 0 ||
        fs_write_file(m, path, NULL, 0, false) < 0) {
        report(m, FTP_K_GETTOFS, FTP_FS_ERROR, 0);
        return AT_OK;
    }
    str_copy(f->fs_name, sizeof(f->fs_name), path);
    f->fs_received = f->fs_written = 0;
    if (open_session(m, FTP_K_GETTOFS)) {
        f->reconnects_left = (int)num;
        f->reconnect_s = (double)t;
    }
    return AT_OK;
}

static int load_file(struct modem *m, const char *name, struct bytebuf *out)
{
    char path[200];
    if (module_path(name, path, sizeof(path)) < 0)
        return -1;
    bytebuf_clear(out);
    return fs_read_file(m, path, out);
}

static int cmd_ftpputfrmfs(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (r->form == AT_FORM_READ) {
        if (f->kind == FTP_K_PUTFRMFS)
            at_info(m, "+FTPPUTFRMFS: 1,%zu", ftp_client_transferred(f->cli));
        else
            at_info(m, "+FTPPUTFRMFS: 0");
        return AT_OK;
    }
    char name[140];
    long num = 3, t = 5; /* the manual's defaults */
    if (at_arg_str(&r->args, name, sizeof(name), NULL) != AT_ARG_OK || strlen(name) > 128)
        return AT_ERROR;
    if (!at_args_done(&r->args) &&
        (at_arg_int(&r->args, 0, 255, &num) != AT_ARG_OK ||
         at_arg_int(&r->args, 0, 60, &t) != AT_ARG_OK || !at_args_done(&r->args)))
        return AT_ERROR;
    if (f->kind != FTP_K_NONE) {
        report(m, FTP_K_PUTFRMFS, FTP_NOT_ALLOWED, 0);
        return AT_OK;
    }
    struct bytebuf img = {0};
    if (load_file(m, name, &img) < 0) {
        bytebuf_free(&img);
        report(m, FTP_K_PUTFRMFS, FTP_FS_ERROR, 0);
        return AT_OK;
    }
    if (open_session(m, FTP_K_PUTFRMFS)) {
        bytebuf_free(&f->image);
        f->image = img;
        f->reconnects_left = (int)num;
        f->reconnect_s = (double)t;
    } else {
        bytebuf_free(&img);
    }
    return AT_OK;
}

static int cmd_ftpfileput(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    long mode;
    if (at_arg_int(&r->args, 0, 1, &mode) != AT_ARG_OK)
        return AT_ERROR;
    if (mode == 0) {
        if (!at_args_done(&r->args))
            return AT_ERROR;
        f->fileput = false;
        bytebuf_free(&f->fileput_img);
        return AT_OK;
    }
    char name[140];
    if (at_arg_str(&r->args, name, sizeof(name), NULL) != AT_ARG_OK || !at_args_done(&r->args) ||
        f->extput_mode == 1)
        return AT_ERROR;
    if (load_file(m, name, &f->fileput_img) < 0)
        return AT_ERROR; /* 85 at once (UNCERTAIN: the manual gives no shape) */
    f->fileput = true;
    return AT_OK;
}

#define PARAM(name, id)                                                                            \
    {                                                                                              \
        name, AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, 0, cmd_param,                           \
            (const void *)(intptr_t)(id)                                                           \
    }
#define ONESHOT(name, k)                                                                           \
    {                                                                                              \
        name, AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_oneshot, (const void *)(intptr_t)(k)             \
    }

static const struct at_cmd rows[] = {
    PARAM("+FTPCID", P_CID),
    PARAM("+FTPSERV", P_SERV),
    PARAM("+FTPPORT", P_PORT),
    PARAM("+FTPUN", P_UN),
    PARAM("+FTPPW", P_PW),
    PARAM("+FTPMODE", P_MODE),
    PARAM("+FTPTYPE", P_TYPE),
    PARAM("+FTPPUTOPT", P_PUTOPT),
    PARAM("+FTPREST", P_REST),
    PARAM("+FTPGETNAME", P_GETNAME),
    PARAM("+FTPGETPATH", P_GETPATH),
    PARAM("+FTPPUTNAME", P_PUTNAME),
    PARAM("+FTPPUTPATH", P_PUTPATH),
    {"+FTPSSL", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, PROFILE_FEAT_SSL, cmd_ftpssl, NULL},
    {"+FTPSCONT", AT_FORM_READ | AT_FORM_EXEC, 0, cmd_ftpscont, NULL}, /* no test form (§12.2.16) */
    {"+FTPSTATE", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_ftpstate, NULL},
    {"+FTPQUIT", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_ftpquit, NULL},
    {"+FTPGET", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_download, &kind_get},
    {"+FTPPUT", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_ftpput, NULL},
    {"+FTPLIST", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_download, &kind_list},
    ONESHOT("+FTPSIZE", FTP_K_SIZE),
    ONESHOT("+FTPDELE", FTP_K_DELE),
    ONESHOT("+FTPMKD", FTP_K_MKD),
    ONESHOT("+FTPRMD", FTP_K_RMD),
    {"+FTPEXTPUT", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_ftpextput, NULL}, /* no read (§12.2.20) */
    {"+FTPEXTGET", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, 0, cmd_ftpextget, NULL},
    {"+FTPGETTOFS", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, 0, cmd_ftpgettofs, NULL},
    {"+FTPPUTFRMFS", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, 0, cmd_ftpputfrmfs, NULL},
    {"+FTPFILEPUT", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_ftpfileput, NULL},
};

static const struct at_cmd_table cmd_ftp_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};

/* --- the service --- */

static void ftp_setup(struct modem *m, struct ftp_state *f)
{
    memset(f, 0, sizeof(*f));
    f->m = m;
    params_default(&f->p);
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

static const struct at_cmd_table *const tables[] = {&cmd_ftp_table, NULL};

static const struct service_conn conns[] = {
    {.tag = "ftp", .style = SERVICE_REPLY_NUMERIC, .verbs = ftp_client_verbs},
    {.tag = "ftp-data"},
    {.tag = NULL},
};

const struct service ftp_service = {
    .name = "ftp",
    .conns = conns,
    .tables = tables,
    .state_size = sizeof(struct ftp_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
};
