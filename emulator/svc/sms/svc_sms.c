/* The SMS service's settings commands and the service itself (sms.h):
 * AT+CMGF (SIM800 AT Command Manual V1.09 §4.2.2), AT+CSCS (§3.2.12),
 * AT+CNMI (§4.2.8), AT+CPMS (§4.2.9), AT+CSAS/AT+CRES (§4.2.10-11),
 * AT+CSCA (§4.2.12), AT+CSCB (§4.2.13), AT+CSDH (§4.2.14), AT+CSMP
 * (§4.2.15), AT+CSMS (§4.2.16), AT+CMGHEX (§6.2.31) and AT+CMMS (27.005
 * §3.5.6), and "SMS Ready", said when the modem publishes
 * MODEM_EV_SMS_READY.  The store and sending are in sms_msgs.c. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms.h"

#include "modem.h"
#include "reply.h"
#include "setting.h"

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

static const char *const charsets[CS_COUNT] = {"IRA",  "GSM",  "UCS2",  "HEX",
                                               "PCCP", "PCDN", "8859-1"};

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

static void flush_held(struct modem *m, bool send)
{
    struct sms_state *s = sms_of(m);
    for (int i = 0; i < s->nheld; i++) {
        struct bytebuf *b = &s->held[i];
        size_t hl = strlen((const char *)b->data);
        if (send)
            at_urc_data(m, (const char *)b->data, b->data + hl + 1, b->len - hl - 1);
        bytebuf_free(b);
    }
    s->nheld = 0;
}

static int cmd_cnmi(struct modem *m, struct at_req *r)
{
    static const long limits[][2] = {{0, 3}, {0, 3}, {0, 2}, {0, 1}, {0, 1}};
    struct sms_state *s = sms_of(m);
    int *v = s->active.cnmi;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CNMI: (0-3),(0-3),(0,2),(0,1),(0,1)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CNMI: %d,%d,%d,%d,%d", v[0], v[1], v[2], v[3], v[4]);
        return AT_OK;
    }
    int nv[5];
    memcpy(nv, v, sizeof(nv));
    for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
        long x;
        enum at_arg_status st = at_arg_int(&r->args, limits[i][0], limits[i][1], &x);
        if (st == AT_ARG_BAD || (i == 2 && st == AT_ARG_OK && x == 1))
            return AT_ERROR;
        if (st == AT_ARG_OK)
            nv[i] = (int)x;
        else if (i == 0)
            return AT_ERROR;
    }
    if (!at_args_done(&r->args))
        return AT_ERROR;
    memcpy(v, nv, sizeof(nv));
    /* <bfr>: held indications go out after the OK (0) or are dropped (1). */
    if (v[0] != 0)
        flush_held(m, v[4] == 0);
    return AT_OK;
}

/* --- +CPMS --- */

static int mem_by_name(const char *name)
{
    if (ascii_ieq(name, "SM") || ascii_ieq(name, "SM_P"))
        return MEM_SM;
    if (ascii_ieq(name, "ME") || ascii_ieq(name, "ME_P"))
        return MEM_ME;
    if (ascii_ieq(name, "MT"))
        return MEM_MT;
    return -1;
}

static int cmd_cpms(struct modem *m, struct at_req *r)
{
    struct sms_state *s = sms_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CPMS: (\"SM\",\"ME\",\"SM_P\",\"ME_P\",\"MT\"),(\"SM\",\"ME\",\"SM_P\","
                   "\"ME_P\",\"MT\"),(\"SM\",\"ME\",\"SM_P\",\"ME_P\",\"MT\")");
        return AT_OK;
    }
    int verdict;
    struct sms_store *st = sms_store_ready(m, &verdict);
    if (!st)
        return verdict;
    if (r->form == AT_FORM_READ) {
        char line[160];
        size_t n = (size_t)snprintf(line, sizeof(line), "+CPMS: ");
        for (int i = 0; i < 3; i++)
            n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\"%s\",%d,%d", i ? "," : "",
                                  sms_mem_names[s->mem[i]], sms_store_used(st, s->mem[i]),
                                  sms_store_capacity(st, s->mem[i]));
        at_info(m, "%s", line);
        return AT_OK;
    }
    enum sms_mem chosen[3];
    memcpy(chosen, s->mem, sizeof(chosen));
    for (int i = 0; i < 3; i++) {
        char name[8];
        enum at_arg_status a = at_arg_str(&r->args, name, sizeof(name), NULL);
        if (a == AT_ARG_ABSENT && i > 0)
            break;
        int w = a == AT_ARG_OK ? mem_by_name(name) : -1;
        if (w < 0 || sms_store_capacity(st, (enum sms_mem)w) == 0)
            return AT_CMS(302); /* 27.005: a memory the module lacks */
        chosen[i] = (enum sms_mem)w;
    }
    if (!at_args_done(&r->args))
        return AT_ERROR;
    memcpy(s->mem, chosen, sizeof(chosen));
    at_info(m, "+CPMS: %d,%d,%d,%d,%d,%d", sms_store_used(st, chosen[0]),
            sms_store_capacity(st, chosen[0]), sms_store_used(st, chosen[1]),
            sms_store_capacity(st, chosen[1]), sms_store_used(st, chosen[2]),
            sms_store_capacity(st, chosen[2]));
    return AT_OK;
}

/* --- +CSCA, +CSMP, +CSAS, +CRES: the SIM's parameters --- */

static int cmd_csca(struct modem *m, struct at_req *r)
{
    struct sms_state *s = sms_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    int verdict;
    struct sms_store *st = sms_store_ready(m, &verdict);
    if (!st)
        return verdict;
    struct sms_params *a = &st->nv.active;
    if (r->form == AT_FORM_READ) {
        struct bytebuf b = {0};
        bytebuf_append_str(&b, "+CSCA: ");
        sms_text_addr(s, a->sca, &b);
        char tail[16];
        snprintf(tail, sizeof(tail), ",%d", a->tosca);
        bytebuf_append_str(&b, tail);
        at_info_len(m, (const char *)b.data, b.len);
        bytebuf_free(&b);
        return AT_OK;
    }
    char raw[96];
    long tosca = -1;
    if (at_arg_str(&r->args, raw, sizeof(raw), NULL) == AT_ARG_BAD ||
        at_arg_int(&r->args, 0, 255, &tosca) == AT_ARG_BAD || !at_args_done(&r->args))
        return AT_ERROR;
    uint32_t cps[48];
    size_t n;
    if (sms_te_decode((enum sms_charset)s->active.cscs, (const uint8_t *)raw, strlen(raw), cps, 48,
                      &n) < 0)
        return AT_CME(765);
    struct bytebuf b = {0};
    sms_utf8_encode(cps, n, &b);
    bytebuf_append(&b, "", 1);
    struct sms_addr addr;
    int bad = b.len > 1 && sms_addr_set(&addr, (const char *)b.data, (int)tosca) < 0;
    if (!bad) {
        str_copy(a->sca, sizeof(a->sca), b.len > 1 ? addr.text : "");
        a->tosca = b.len > 1 ? addr.toa : (tosca >= 0 ? (int)tosca : SMS_TOA_UNKNOWN);
        sms_store_save(st);
    }
    bytebuf_free(&b);
    return bad ? AT_CME(765) : AT_OK;
}

static int cmd_csmp(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CSMP: (0-255),(0-255),(0-255),(0-255)");
        return AT_OK;
    }
    int verdict;
    struct sms_store *st = sms_store_ready(m, &verdict);
    if (!st)
        return verdict;
    struct sms_params *a = &st->nv.active;
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CSMP: %d,%d,%d,%d", a->fo, a->vp, a->pid, a->dcs);
        return AT_OK;
    }
    int *fields[4] = {&a->fo, &a->vp, &a->pid, &a->dcs};
    long v[4];
    for (int i = 0; i < 4; i++) {
        v[i] = *fields[i];
        if (at_arg_int(&r->args, 0, 255, &v[i]) == AT_ARG_BAD)
            return AT_ERROR;
    }
    if (!at_args_done(&r->args))
        return AT_ERROR;
    for (int i = 0; i < 4; i++)
        *fields[i] = (int)v[i];
    sms_store_save(st);
    return AT_OK;
}

static int cmd_profile(struct modem *m, struct at_req *r, bool save)
{
    if (r->form == AT_FORM_TEST) {
        at_info(m, "%s: (0-3)", save ? "+CSAS" : "+CRES");
        return AT_OK;
    }
    long i = 0;
    if (r->form == AT_FORM_WRITE &&
        (at_arg_int(&r->args, 0, 3, &i) == AT_ARG_BAD || !at_args_done(&r->args)))
        return AT_ERROR;
    int verdict;
    struct sms_store *st = sms_store_ready(m, &verdict);
    if (!st)
        return verdict;
    if (save)
        st->nv.saved[i] = st->nv.active;
    else
        st->nv.active = st->nv.saved[i];
    sms_store_save(st);
    return AT_OK;
}

static int cmd_csas(struct modem *m, struct at_req *r) { return cmd_profile(m, r, true); }
static int cmd_cres(struct modem *m, struct at_req *r) { return cmd_profile(m, r, false); }

/* --- +CSCB: cell broadcast types (none is ever broadcast here) --- */

static int cmd_cscb(struct modem *m, struct at_req *r)
{
    struct sms_state *s = sms_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CSCB: (0,1)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CSCB: %d,\"%s\",\"%s\"", s->cscb_mode, s->cscb_mids, s->cscb_dcss);
        return AT_OK;
    }
    long mode;
    char mids[sizeof(s->cscb_mids)] = "", dcss[sizeof(s->cscb_dcss)] = "";
    if (at_arg_int(&r->args, 0, 1, &mode) != AT_ARG_OK ||
        at_arg_str(&r->args, mids, sizeof(mids), NULL) == AT_ARG_BAD ||
        at_arg_str(&r->args, dcss, sizeof(dcss), NULL) == AT_ARG_BAD || !at_args_done(&r->args))
        return AT_ERROR;
    s->cscb_mode = (int)mode;
    str_copy(s->cscb_mids, sizeof(s->cscb_mids), mids);
    str_copy(s->cscb_dcss, sizeof(s->cscb_dcss), dcss);
    return AT_OK;
}

/* --- +CSMS --- */

static int cmd_csms(struct modem *m, struct at_req *r)
{
    struct sms_state *s = sms_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CSMS: (0,1)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CSMS: %d,1,1,1", s->csms);
        return AT_OK;
    }
    long v;
    if (at_arg_int(&r->args, 0, 1, &v) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    s->csms = (int)v;
    at_info(m, "+CSMS: 1,1,1");
    return AT_OK;
}

/* --- +CSDH, +CMGHEX, +CMMS: plain NO_SAVE switches --- */

static const struct setting_desc csdh_desc = {
    "+CSDH", "+CSDH: (0,1)", offsetof(struct sms_state, csdh), 0, 1, 0, &sms_service};
static const struct setting_desc cmghex_desc = {
    "+CMGHEX", "+CMGHEX: (0,1)", offsetof(struct sms_state, cmghex), 0, 1, 0, &sms_service};
static const struct setting_desc cmms_desc = {
    "+CMMS", "+CMMS: (0-2)", offsetof(struct sms_state, cmms), 0, 2, 0, &sms_service};

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CMGF", RW, 0, cmd_cmgf, &cmgf_desc},
    {"+CSCS", RW, 0, cmd_cscs, NULL},
    {"+CNMI", RW, 0, cmd_cnmi, NULL},
    {"+CPMS", RW, 0, cmd_cpms, NULL},
    {"+CSCA", RW, 0, cmd_csca, NULL},
    {"+CSMP", RW, 0, cmd_csmp, NULL},
    {"+CSAS", AT_FORM_TEST | AT_FORM_EXEC | AT_FORM_WRITE, 0, cmd_csas, NULL},
    {"+CRES", AT_FORM_TEST | AT_FORM_EXEC | AT_FORM_WRITE, 0, cmd_cres, NULL},
    {"+CSCB", RW, 0, cmd_cscb, NULL},
    {"+CSMS", RW, 0, cmd_csms, NULL},
    {"+CSDH", RW, 0, setting_cmd, &csdh_desc},
    {"+CMGHEX", RW, 0, setting_cmd, &cmghex_desc},
    {"+CMMS", RW, 0, setting_cmd, &cmms_desc},
};

static const struct at_cmd_table table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};
static const struct at_cmd_table *const tables[] = {&table, &sms_msg_table, NULL};

/* --- the service --- */

static void settings_factory(struct sms_settings *a)
{
    memset(a, 0, sizeof(*a)); /* PDU mode, IRA */
    /* +CNMI's power-on value on SIM800 (client libraries' logs): +CMTI for
     * each message stored. */
    const int cnmi[5] = {2, 1, 0, 0, 0};
    memcpy(a->cnmi, cnmi, sizeof(cnmi));
}

/* What a power-on gives the NO_SAVE settings. */
static void power_on(struct sms_state *s)
{
    s->ready = false; /* until the boot says so */
    s->csdh = 0;
    s->cmghex = 0;
    s->cmms = 0;
    s->csms = 0;
    s->cscb_mode = 0;
    s->cscb_mids[0] = s->cscb_dcss[0] = '\0';
    for (int i = 0; i < 3; i++)
        s->mem[i] = MEM_SM;
    for (int i = 0; i < s->nheld; i++)
        bytebuf_free(&s->held[i]);
    s->nheld = 0;
}

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    (void)m;
    (void)err;
    (void)errlen;
    struct sms_state *s = state;
    settings_factory(&s->stored);
    s->active = s->stored;
    power_on(s);
    /* The first message reference: the module's own count is not known. */
    s->next_mr = 0;
    return 0;
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    struct sms_state *s = state;
    sms_send_cancel(m); /* its line is gone with the reset */
    power_on(s);
    if (why == SERVICE_DESTROY) {
        sms_store_free(s->store);
        s->store = NULL;
        free(s->sent);
        s->sent = NULL;
    }
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
        settings_factory(&s->active);
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

static void status(const struct modem *m, const void *state, struct bytebuf *out)
{
    (void)m;
    const struct sms_state *s = state;
    char line[96];
    int stored = s->store ? sms_store_used(s->store, MEM_MT) : 0;
    snprintf(line, sizeof(line), ",\"sms\":{\"stored\":%d,\"sent\":%u}", stored, s->sent_count);
    bytebuf_append_str(out, line);
}

static const struct profile_key profile_keys[] = {
    PROFILE_STR_KEY(struct sms_config, "sms", "sca", sca, "+8613800210500"),
    PROFILE_INT_KEY(struct sms_config, "sms", "sm_capacity", sm_capacity, 1, 255, "50"),
    PROFILE_INT_KEY(struct sms_config, "sms", "me_capacity", me_capacity, 0, 255, "50"),
    PROFILE_TIMED_KEY(struct sms_config, "timing", "sms_send_ms", send_ms, 0, 60000, "0", "0",
                      "2500"),
    {0},
};

static const struct profile_section profile_section = {"sms", profile_keys,
                                                       sizeof(struct sms_config)};

const struct service sms_service = {
    .name = "sms",
    .tables = tables,
    .state_size = sizeof(struct sms_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
    .settings = settings,
    .settings_show = settings_show,
    .status = status,
    .verbs = sms_verbs,
    .profile = &profile_section,
};
