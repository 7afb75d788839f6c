/* The SMS service's settings and readiness (sms.h): AT+CMGF (SIM800 AT
 * Command Manual V1.09 §4.2.2), AT+CSCS (§3.2.12), AT+CNMI (§4.2.8), and
 * "SMS Ready", said when the modem publishes MODEM_EV_SMS_READY. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sms.h"

#include "modem.h"
#include "reply.h"
#include "setting.h"

static struct sms_state *sms_of(const struct modem *m) { return modem_state(m, &sms_service); }

/* --- +CMGF: SMS commands answer ERROR until SMS Ready (seen in client libraries' logs) --- */

static const struct setting_desc cmgf_desc = {
    "+CMGF", "+CMGF: (0,1)", offsetof(struct sms_state, active.cmgf), 0, 1, 0, &sms_service};

static int cmd_cmgf(struct modem *m, struct at_req *r)
{
    if (!sms_of(m)->ready)
        return AT_ERROR;
    return setting_cmd(m, r);
}

/* --- +CSCS --- */

static const char *const charsets[] = {"IRA", "GSM", "UCS2", "HEX", "PCCP", "PCDN", "8859-1"};

static int cmd_cscs(struct modem *m, struct at_req *r)
{
    struct sms_settings *s = &sms_of(m)->active;
    char name[16];
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CSCS: (\"IRA\",\"GSM\",\"UCS2\",\"HEX\",\"PCCP\",\"PCDN\",\"8859-1\")");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CSCS: \"%s\"", charsets[s->cscs]);
        return AT_OK;
    }
    if (at_arg_str(&r->args, name, sizeof(name), NULL) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_CME(765);
    for (size_t i = 0; i < ARRAY_SIZE(charsets); i++) {
        if (ascii_ieq(name, charsets[i])) {
            s->cscs = (int)i;
            return AT_OK;
        }
    }
    /* Manual 20.1: a bad set is "+CME ERROR: invalid input value" (765). */
    return AT_CME(765);
}

/* --- +CNMI --- */

static int cmd_cnmi(struct modem *m, struct at_req *r)
{
    static const long limits[][2] = {{0, 3}, {0, 3}, {0, 2}, {0, 1}, {0, 1}};
    long v;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CNMI: (0-3),(0-3),(0,2),(0,1),(0,1)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CNMI: 2,1,0,0,0");
        return AT_OK;
    }
    for (size_t i = 0; i < ARRAY_SIZE(limits); i++)
        if (at_arg_int(&r->args, limits[i][0], limits[i][1], &v) == AT_ARG_BAD)
            return AT_ERROR;
    return at_args_done(&r->args) ? AT_OK : AT_ERROR;
}

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CMGF", RW, 0, cmd_cmgf, &cmgf_desc},
    {"+CSCS", RW, 0, cmd_cscs, NULL},
    {"+CNMI", RW, 0, cmd_cnmi, NULL},
};

static const struct at_cmd_table table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};
static const struct at_cmd_table *const tables[] = {&table, NULL};

/* --- the service --- */

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    (void)m;
    (void)err;
    (void)errlen;
    struct sms_state *s = state;
    memset(&s->stored, 0, sizeof(s->stored)); /* PDU mode, IRA */
    s->active = s->stored;
    return 0;
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    (void)m;
    (void)why;
    ((struct sms_state *)state)->ready = false; /* until the next boot says so */
}

static void service_event(struct modem *m, void *state, enum modem_event ev, int arg)
{
    struct sms_state *s = state;
    if (ev != MODEM_EV_SMS_READY)
        return;
    s->ready = arg != 0;
    if (s->ready)
        at_urc(m, "SMS Ready");
}

static void settings(struct modem *m, void *state, enum service_settings op)
{
    struct sms_state *s = state;
    switch (op) {
    case SERVICE_SETTINGS_SAVE:
        s->stored = s->active;
        break;
    case SERVICE_SETTINGS_RESTORE:
        s->active = s->stored;
        break;
    case SERVICE_SETTINGS_FACTORY:
        memset(&s->active, 0, sizeof(s->active));
        if (m->profile->factory_resets_saved)
            s->stored = s->active;
        break;
    }
}

static void settings_show(const struct modem *m, const void *state, struct bytebuf *out)
{
    (void)m;
    const struct sms_state *s = state;
    char line[32];
    snprintf(line, sizeof(line), "\r\n+CMGF: %d", s->active.cmgf);
    bytebuf_append_str(out, line);
}

const struct service sms_service = {
    .name = "sms",
    .tables = tables,
    .state_size = sizeof(struct sms_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
    .settings = settings,
    .settings_show = settings_show,
};
