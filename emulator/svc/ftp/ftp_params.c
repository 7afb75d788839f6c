/* AT+FTP's parameters (SIM800 AT Command Manual V1.09 §12.2.1-12.2.13,
 * §12.2.16): AT+FTPCID to AT+FTPPUTPATH, AT+FTPSSL and AT+FTPSCONT.  A value
 * written during a session is for the next one: the session runs on its own
 * copy (svc_ftp.c). */
#include "ftp_params.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ftp.h"
#include "modem.h"
#include "reply.h"

void ftp_params_default(struct ftp_params *p)
{
    memset(p, 0, sizeof(*p));
    p->cid = 1;
    p->port = 21;
    p->mode = 0;
    p->type = 'I';
    p->putopt = FTP_PUT_STOR;
}

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

#define PARAM(name, id)                                                                            \
    {                                                                                              \
        name, AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, 0, cmd_param,                           \
            (const void *)(intptr_t)(id)                                                           \
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
};

const struct at_cmd_table ftp_params_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};
