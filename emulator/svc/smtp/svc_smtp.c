/* AT+SMTP*: the module's mail sender (SIM800 AT Command Manual V1.09
 * §14.2.3-14.2.12; the SSL Application Note §2.1 and examples 3.1/3.2).
 * The service owns the mail being composed; AT+SMTPSEND hands it to a send
 * (smtp_client.c), which speaks ESMTP, and AT+SMTPFT feeds that send the
 * attachments. */
#include <stdio.h>
#include <string.h>

#include "smtp.h"

#include "email.h"
#include "modem.h"
#include "reply.h"
#include "smtp_client.h"
#include "smtp_compose.h"

/* --- commands --- */

#define BUSY(st) ((st)->active != NULL)

/* Text that goes into a header or a command: no control bytes (a line
 * break would start a header or a command of its own). */
static bool clean_text(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            return false;
    return true;
}

/* An address inside "<...>": clean, and no space, '<' or '>'. */
static bool clean_addr(const char *v) { return clean_text(v) && !strpbrk(v, " <>"); }

static int cmd_smtpsrv(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPSRV: %d,(1-65535)", SMTP_SERVER_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+SMTPSRV: \"%s\",%d", st->server,
                st->port ? st->port : email_default_port(m, false));
        return AT_OK;
    }
    char server[SMTP_SERVER_MAX + 1];
    long port = 0;
    if (at_arg_str(&r->args, server, sizeof(server), NULL) != AT_ARG_OK || !server[0])
        return AT_ERROR;
    enum at_arg_status ps = at_arg_int(&r->args, 1, 65535, &port);
    if (ps == AT_ARG_BAD || !at_args_done(&r->args) || BUSY(st))
        return AT_ERROR;
    str_copy(st->server, sizeof(st->server), server);
    st->port = ps == AT_ARG_OK ? (int)port : 0;
    return AT_OK;
}

static int cmd_smtpauth(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPAUTH: (0-1),%d,%d", SMTP_USER_MAX, SMTP_PASS_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+SMTPAUTH: %d,\"%s\",\"%s\"", st->auth_type, st->user, st->pass);
        return AT_OK;
    }
    long type;
    char user[SMTP_USER_MAX + 1] = "", pass[SMTP_PASS_MAX + 1] = "";
    if (at_arg_int(&r->args, 0, 1, &type) != AT_ARG_OK)
        return AT_ERROR;
    if (type == 1) {
        if (at_arg_str(&r->args, user, sizeof(user), NULL) != AT_ARG_OK ||
            at_arg_str(&r->args, pass, sizeof(pass), NULL) != AT_ARG_OK)
            return AT_ERROR;
    }
    /* Type 0 takes no user name or password (manual §14.2.4). */
    if (!at_args_done(&r->args) || BUSY(st) || !clean_text(user) || !clean_text(pass))
        return AT_ERROR;
    st->auth_type = (int)type;
    str_copy(st->user, sizeof(st->user), user);
    str_copy(st->pass, sizeof(st->pass), pass);
    return AT_OK;
}

static int cmd_smtpfrom(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPFROM: %d,%d", SMTP_ADDR_MAX, SMTP_NAME_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+SMTPFROM: \"%s\",\"%s\"", st->from_addr, st->from_name);
        return AT_OK;
    }
    char addr[SMTP_ADDR_MAX + 1], name[SMTP_NAME_MAX + 1] = "";
    if (at_arg_str(&r->args, addr, sizeof(addr), NULL) != AT_ARG_OK || !addr[0] ||
        at_arg_str(&r->args, name, sizeof(name), NULL) == AT_ARG_BAD || !at_args_done(&r->args) ||
        BUSY(st) || !clean_addr(addr) || !clean_text(name))
        return AT_ERROR;
    str_copy(st->from_addr, sizeof(st->from_addr), addr);
    str_copy(st->from_name, sizeof(st->from_name), name);
    return AT_OK;
}

static int cmd_smtprcpt(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPRCPT: (0-2),(0-%d),%d,%d", SMTP_RCPT_INDEXES - 1, SMTP_ADDR_MAX,
                SMTP_NAME_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        /* One information response, its entries joined by a single CR LF
         * (manual §14.2.6), not one response each. */
        struct bytebuf out = {0};
        char line[SMTP_ADDR_MAX + SMTP_NAME_MAX + 40];
        for (int t = 0; t < SMTP_RCPT_TYPES; t++)
            for (int i = 0; i < SMTP_RCPT_INDEXES; i++)
                if (st->rcpt[t][i].used) {
                    snprintf(line, sizeof(line), "%s+SMTPRCPT: %d,%d,\"%s\",\"%s\"",
                             bytebuf_pending(&out) ? "\r\n" : "", t, i, st->rcpt[t][i].addr,
                             st->rcpt[t][i].name);
                    bytebuf_append_str(&out, line);
                }
        if (bytebuf_pending(&out))
            at_info_len(m, (const char *)bytebuf_head(&out), bytebuf_pending(&out));
        bytebuf_free(&out);
        return AT_OK;
    }
    long type, index;
    char addr[SMTP_ADDR_MAX + 1], name[SMTP_NAME_MAX + 1] = "";
    if (at_arg_int(&r->args, 0, 2, &type) != AT_ARG_OK || BUSY(st))
        return AT_ERROR;
    enum at_arg_status is = at_arg_int(&r->args, 0, SMTP_RCPT_INDEXES - 1, &index);
    if (is == AT_ARG_BAD)
        return AT_ERROR;
    if (is == AT_ARG_ABSENT) { /* AT+SMTPRCPT=<type>: every entry of the type goes */
        if (!at_args_done(&r->args))
            return AT_ERROR;
        memset(st->rcpt[type], 0, sizeof(st->rcpt[type]));
        return AT_OK;
    }
    enum at_arg_status as = at_arg_str(&r->args, addr, sizeof(addr), NULL);
    if (as == AT_ARG_BAD)
        return AT_ERROR;
    if (as == AT_ARG_ABSENT) { /* AT+SMTPRCPT=<type>,<index>: that entry goes */
        if (!at_args_done(&r->args))
            return AT_ERROR;
        memset(&st->rcpt[type][index], 0, sizeof(st->rcpt[type][index]));
        return AT_OK;
    }
    if (!addr[0] || at_arg_str(&r->args, name, sizeof(name), NULL) == AT_ARG_BAD ||
        !at_args_done(&r->args) || !clean_addr(addr) || !clean_text(name))
        return AT_ERROR;
    struct smtp_rcpt *e = &st->rcpt[type][index];
    e->used = true; /* an existing index is replaced */
    str_copy(e->addr, sizeof(e->addr), addr);
    str_copy(e->name, sizeof(e->name), name);
    return AT_OK;
}

static int cmd_smtpsub(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPSUB: %d", SMTP_SUB_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+SMTPSUB: \"%s\"", st->subject);
        return AT_OK;
    }
    char sub[SMTP_SUB_MAX + 1];
    if (at_arg_str(&r->args, sub, sizeof(sub), NULL) == AT_ARG_BAD || !at_args_done(&r->args) ||
        BUSY(st) || !clean_text(sub))
        return AT_ERROR;
    if (!smtp_charset_ascii(st)) {
        struct bytebuf tmp = {0};
        int bad = smtp_hex_decode(sub, strlen(sub), &tmp);
        bytebuf_free(&tmp);
        if (bad)
            return AT_ERROR; /* other charsets take hex digits (manual §14.2.7) */
    }
    str_copy(st->subject, sizeof(st->subject), sub);
    return AT_OK;
}

static int body_cb(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data, size_t len)
{
    (void)ud;
    struct smtp_state *st = smtp_of(m);
    if (end == AT_DATA_TIMEOUT)
        return AT_ERROR;
    if (end == AT_DATA_CANCEL)
        return AT_OK; /* ESC: the body stays as it was */
    bytebuf_clear(&st->body);
    bytebuf_append(&st->body, data, len);
    return AT_OK;
}

static int cmd_smtpbody(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPBODY: %d", SMTP_BODY_MAX);
        return AT_OK;
    }
    if (BUSY(st))
        return AT_ERROR;
    struct at_data_req req = {.cb = body_cb, .timeout_ms = 120000};
    if (r->form == AT_FORM_EXEC) {
        /* The older form (SIM900 drivers): "> ", text, Ctrl-Z or ESC. */
        req.prompt = "\r\n> ";
        req.max_len = SMTP_BODY_MAX;
    } else {
        long len;
        if (at_arg_int(&r->args, 1, SMTP_BODY_MAX, &len) != AT_ARG_OK || !at_args_done(&r->args))
            return AT_ERROR;
        req.prompt = "\r\nDOWNLOAD\r\n";
        req.fixed_len = (size_t)len;
    }
    at_begin_data(m, &req);
    return AT_PENDING;
}

static int cmd_smtpfile(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPFILE: (0-2),%d,(0-1)", SMTP_FILE_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        if (!st->nfiles) {
            at_info(m, "+SMTPFILE: 0,\"\",0");
            return AT_OK;
        }
        /* Entries joined by a single CR LF, as +SMTPRCPT? (manual §14.2.6). */
        struct bytebuf out = {0};
        char line[SMTP_FILE_MAX + 40];
        for (int i = 0; i < st->nfiles; i++) {
            snprintf(line, sizeof(line), "%s+SMTPFILE: %d,\"%s\",%d", i ? "\r\n" : "",
                     st->files[i].type, st->files[i].name, st->files[i].encode);
            bytebuf_append_str(&out, line);
        }
        at_info_len(m, (const char *)bytebuf_head(&out), bytebuf_pending(&out));
        bytebuf_free(&out);
        return AT_OK;
    }
    long type, enc = 0;
    char name[SMTP_FILE_MAX + 1] = "";
    if (at_arg_int(&r->args, 0, 2, &type) != AT_ARG_OK || BUSY(st))
        return AT_ERROR;
    if (type) {
        if (at_arg_str(&r->args, name, sizeof(name), NULL) != AT_ARG_OK || !name[0] ||
            strpbrk(name, "\"\\") || !clean_text(name) ||
            at_arg_int(&r->args, 0, 1, &enc) != AT_ARG_OK)
            return AT_ERROR;
        /* Text goes 7bit, binary base64 (manual §14.2.9). */
        if ((type == 1 && enc != 0) || (type == 2 && enc != 1))
            return AT_ERROR;
    }
    if (!at_args_done(&r->args))
        return AT_ERROR;
    if (type == 0) {
        st->nfiles = 0;
        return AT_OK;
    }
    /* One description ([email] attachments = 1): a new one replaces it;
     * more: a new name adds one, a known name replaces its entry. */
    int max = email_config(m)->attachments;
    int i = 0;
    if (max > 1)
        while (i < st->nfiles && strcmp(st->files[i].name, name))
            i++;
    if (i >= max || i >= SMTP_FILES_MAX)
        return AT_ERROR;
    st->files[i].type = (int)type;
    str_copy(st->files[i].name, sizeof(st->files[i].name), name);
    st->files[i].encode = (int)enc;
    if (i >= st->nfiles)
        st->nfiles = i + 1;
    return AT_OK;
}

static int cmd_smtpcs(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPCS: %d", SMTP_CS_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+SMTPCS: \"%s\"", st->charset);
        return AT_OK;
    }
    char cs[SMTP_CS_MAX + 1];
    if (at_arg_str(&r->args, cs, sizeof(cs), NULL) != AT_ARG_OK || !cs[0] ||
        strpbrk(cs, " ;\"?=") || !clean_text(cs) || !at_args_done(&r->args) || BUSY(st))
        return AT_ERROR;
    str_copy(st->charset, sizeof(st->charset), cs);
    return AT_OK;
}

static int cmd_smtpsend(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (BUSY(st) || !st->server[0] || !st->from_addr[0])
        return AT_ERROR;
    if (!email_claim(m, EMAIL_SMTP))
        return AT_ERROR; /* a POP3 session is open (manual ch. 14: not both) */
    smtp_send_start(m);
    return AT_OK;
}

static int ft_cb(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data, size_t len)
{
    (void)ud;
    struct smtp_send *s = smtp_of(m)->active;
    if (end != AT_DATA_SUBMIT || !s || smtp_send_file_data(s, data, len) < 0)
        return AT_ERROR;
    return AT_OK;
}

static int cmd_smtpft(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    long n;
    if (at_arg_int(&r->args, 0, email_config(m)->ft_max, &n) != AT_ARG_OK ||
        !at_args_done(&r->args))
        return AT_ERROR;
    struct smtp_send *s = st->active;
    if (!s || !smtp_send_file_ready(s))
        return AT_ERROR;
    smtp_send_file_chunk_begins(s);
    if (n == 0) {
        smtp_send_file_done(s);
        return AT_OK;
    }
    snprintf(st->ft_prompt, sizeof(st->ft_prompt), "\r\n+SMTPFT: 2,%ld\r\n", n);
    struct at_data_req req = {
        .prompt = st->ft_prompt,
        .fixed_len = (size_t)n,
        .timeout_ms = 120000,
        .cb = ft_cb,
    };
    at_begin_data(m, &req);
    return AT_PENDING;
}

#define FORMS_TRW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)
static const struct at_cmd rows[] = {
    {"+SMTPSRV", FORMS_TRW, 0, cmd_smtpsrv, NULL},
    {"+SMTPAUTH", FORMS_TRW, 0, cmd_smtpauth, NULL},
    {"+SMTPFROM", FORMS_TRW, 0, cmd_smtpfrom, NULL},
    {"+SMTPRCPT", FORMS_TRW, 0, cmd_smtprcpt, NULL},
    {"+SMTPSUB", FORMS_TRW, 0, cmd_smtpsub, NULL},
    {"+SMTPBODY", AT_FORM_TEST | AT_FORM_WRITE | AT_FORM_EXEC, 0, cmd_smtpbody, NULL},
    {"+SMTPFILE", FORMS_TRW, 0, cmd_smtpfile, NULL},
    {"+SMTPCS", FORMS_TRW, 0, cmd_smtpcs, NULL},
    {"+SMTPSEND", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_smtpsend, NULL},
    {"+SMTPFT", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_smtpft, NULL},
};

static const struct at_cmd_table table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};
static const struct at_cmd_table *const tables[] = {&table, NULL};

/* --- the service --- */

static void defaults(struct smtp_state *st)
{
    bytebuf_free(&st->body);
    memset(st, 0, sizeof(*st));
    str_copy(st->charset, sizeof(st->charset), "ASCII"); /* manual §14.2.12 */
}

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    (void)m;
    (void)err;
    (void)errlen;
    defaults(state);
    return 0;
}

static void drop_active(struct smtp_state *st)
{
    if (st->active)
        smtp_send_free(st->active);
    st->active = NULL;
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    (void)m;
    (void)why;
    drop_active(state);
    defaults(state); /* NO_SAVE (manual ch. 14) */
    if (why == SERVICE_DESTROY)
        bytebuf_free(&((struct smtp_state *)state)->body);
}

/* The bearer under a send went away: it ends with 61. */
static void service_event(struct modem *m, void *state, enum modem_event ev, int arg)
{
    struct smtp_state *st = state;
    if (!st->active || smtp_send_over(st->active))
        return;
    if (ev == MODEM_EV_PDP_DEACT ||
        (ev == MODEM_EV_BEARER_CLOSED && (arg == 0 || arg == email_settings(m)->cid)))
        smtp_send_bearer_lost(st->active);
}

static const struct service_conn conns[] = {
    {.tag = "smtp", .style = SERVICE_REPLY_NUMERIC, .verbs = smtp_client_verbs},
    {.tag = NULL},
};

const struct service smtp_service = {
    .name = "smtp",
    .conns = conns,
    .tables = tables,
    .state_size = sizeof(struct smtp_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
};
