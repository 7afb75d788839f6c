/* AT+EMAILCID, AT+EMAILTO, AT+EMAILSSL: the settings SMTP and POP3 share
 * (email.h).  NO_SAVE: a power cycle restores the defaults. */
#include <stddef.h>
#include <string.h>

#include "email.h"

#include "bearer.h"
#include "modem.h"
#include "reply.h"
#include "ssl.h"
#include "trace.h"

static void defaults(struct email_state *e)
{
    memset(e, 0, sizeof(*e)); /* and nobody holds the mail stack */
    e->cid = 1;               /* not documented; every SIMCom example sets 1 */
    e->timeout_s = 30;        /* manual §14.2.2 */
    e->ssl = EMAIL_SSL_OFF;   /* not documented; what clients assume */
}

int email_default_port(const struct modem *m, bool pop3)
{
    const struct email_state *e = email_settings(m);
    if (e->ssl == EMAIL_SSL_IMPLICIT)
        return pop3 ? 995 : 465;
    return pop3 ? 110 : 25;
}

bool email_claim(struct modem *m, enum email_user who)
{
    struct email_state *e = modem_state(m, &email_service);
    if (e->user && e->user != (int)who)
        return false;
    e->user = (int)who;
    return true;
}

void email_release(struct modem *m, enum email_user who)
{
    struct email_state *e = modem_state(m, &email_service);
    if (e->user == (int)who)
        e->user = 0;
}

bool email_bearer_open(const struct modem *m) { return bearer_is_open(m, email_settings(m)->cid); }

struct linecli *email_session_open(struct modem *m, bool pop3, const char *server, int port,
                                   size_t max_body, struct tls_choice *tls,
                                   const struct linecli_handlers *h, void *ud)
{
    const struct email_state *e = email_settings(m);
    const char *tag = pop3 ? "pop3" : "smtp";
    ssl_choice_for(m, tls);
    if (!port)
        port = email_default_port(m, pop3);
    struct linecli_params p = {
        .conn = {.kind = CONN_TCP,
                 .host = server,
                 .port = port,
                 .tls = e->ssl == EMAIL_SSL_IMPLICIT,
                 .tls_choice = tls,
                 .timeout_s = e->timeout_s,
                 .trace_id = m->id,
                 .tag = tag},
        .style = pop3 ? LINECLI_POP3 : LINECLI_NUMERIC,
        .reply_timeout_s = e->timeout_s,
        .max_body = max_body,
    };
    trace_note(m->id, tag, "%s %s:%d (EMAILSSL=%d)", pop3 ? "login to" : "send to", server, port,
               e->ssl);
    return linecli_open(&p, h, ud);
}

/* One handler for the three: test, read, write of one integer. */
struct int_cmd {
    const char *name;
    long min, max;
    size_t offset;
};

static const struct int_cmd cid_cmd = {"+EMAILCID", 1, 3, offsetof(struct email_state, cid)};
static const struct int_cmd to_cmd = {"+EMAILTO", 10, 120, offsetof(struct email_state, timeout_s)};
static const struct int_cmd ssl_cmd = {"+EMAILSSL", 0, 2, offsetof(struct email_state, ssl)};

static int cmd_int(struct modem *m, struct at_req *r)
{
    const struct int_cmd *c = r->ctx;
    int *field = (int *)((char *)modem_state(m, &email_service) + c->offset);
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "%s: (%ld-%ld)", c->name, c->min, c->max);
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "%s: %d", c->name, *field);
        return AT_OK;
    default: {
        long v;
        if (at_arg_int(&r->args, c->min, c->max, &v) != AT_ARG_OK || !at_args_done(&r->args))
            return AT_ERROR;
        *field = (int)v;
        return AT_OK;
    }
    }
}

#define FORMS (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)
static const struct at_cmd rows[] = {
    {"+EMAILCID", FORMS, 0, cmd_int, &cid_cmd},
    {"+EMAILTO", FORMS, 0, cmd_int, &to_cmd},
    {"+EMAILSSL", FORMS, PROFILE_FEAT_SSL, cmd_int, &ssl_cmd},
};

static const struct at_cmd_table table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};
static const struct at_cmd_table *const tables[] = {&table, NULL};

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    (void)m;
    (void)err;
    (void)errlen;
    defaults(state);
    return 0;
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    (void)m;
    if (why != SERVICE_DESTROY)
        defaults(state);
}

static const struct profile_key profile_keys[] = {
    PROFILE_INT_KEY(struct email_config, "email", "attachments", attachments, 1, 10, "1"),
    PROFILE_INT_KEY(struct email_config, "email", "ft_max", ft_max, 1, 1460, "1360"),
    PROFILE_STR_KEY(struct email_config, "email", "ehlo_name", ehlo, "sim800"),
    PROFILE_BOOL_KEY(struct email_config, "email", "rset_typo", rset_typo, "true"),
    PROFILE_BOOL_KEY(struct email_config, "email", "pop3_read_raw", pop3_read_raw, "true"),
    PROFILE_INT_KEY(struct email_config, "email", "read_repeat_s", read_repeat_s, 1, 600, "10"),
    {0},
};

static const struct profile_section profile_section = {"email", profile_keys,
                                                       sizeof(struct email_config)};

const struct service email_service = {
    .name = "email",
    .tables = tables,
    .state_size = sizeof(struct email_state),
    .init = service_init,
    .reset = service_reset,
    .profile = &profile_section,
};
