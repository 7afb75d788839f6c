/* V.250 basic commands and S registers (SIM800 AT Command Manual V1.09 ch. 2:
 * §2.2.7, §2.2.15–2.2.32). */
#include <stdio.h>
#include <stdlib.h>

#include "cmd_tables.h"
#include "general.h"
#include "modem.h"
#include "reply.h"
#include "service.h"

/* ATE, ATQ, ATV, &C: a switch whose missing number means 0 (V.250 5.3.1). */
static int switch_value(const struct at_req *r, int max)
{
    int v = r->number < 0 ? 0 : r->number;
    return v <= max ? v : -1;
}

static int cmd_e(struct modem *m, struct at_req *r)
{
    int v = switch_value(r, 1);
    if (v < 0)
        return AT_ERROR;
    m->v250.echo = v;
    return AT_OK;
}

static int cmd_q(struct modem *m, struct at_req *r)
{
    int v = switch_value(r, 1);
    if (v < 0)
        return AT_ERROR;
    /* ATQ1 answers nothing: it is quiet from its own result on. */
    m->v250.quiet = v;
    return AT_OK;
}

static int cmd_v(struct modem *m, struct at_req *r)
{
    int v = switch_value(r, 1);
    if (v < 0)
        return AT_ERROR;
    m->v250.verbose = v;
    return AT_OK;
}

static int cmd_x(struct modem *m, struct at_req *r)
{
    int v = switch_value(r, 4);
    if (v < 0)
        return AT_ERROR;
    m->v250.x_level = v;
    return AT_OK;
}

static int cmd_z(struct modem *m, struct at_req *r)
{
    if (switch_value(r, 0) < 0)
        return AT_ERROR;
    v250_restore_keep_uart(&m->v250, &m->stored);
    general_settings(m, SERVICE_SETTINGS_RESTORE);
    modem_settings_services(m, SERVICE_SETTINGS_RESTORE);
    return AT_OK;
}

static int cmd_and_f(struct modem *m, struct at_req *r)
{
    if (switch_value(r, 0) < 0)
        return AT_ERROR;
    struct v250_settings factory;
    v250_factory(&factory);
    v250_restore_keep_uart(&m->v250, &factory);
    /* Real modules lose what AT&W saved too: after AT+CLTS=1, AT&W and a
     * reset, AT&FZ leaves +CLTS: 0 (users' logs, TinyGSM issues 188 and 289;
     * README "Errors and resets").  [at] factory_resets_saved = false keeps the
     * saved profile, as the manual's wording alone would. */
    if (m->profile->factory_resets_saved)
        v250_restore_keep_uart(&m->stored, &factory);
    general_settings(m, SERVICE_SETTINGS_FACTORY);
    modem_settings_services(m, SERVICE_SETTINGS_FACTORY);
    return AT_OK;
}

static int cmd_and_w(struct modem *m, struct at_req *r)
{
    if (switch_value(r, 0) < 0)
        return AT_ERROR;
    m->stored = m->v250;
    general_settings(m, SERVICE_SETTINGS_SAVE);
    modem_settings_services(m, SERVICE_SETTINGS_SAVE);
    return AT_OK;
}

static int cmd_and_v(struct modem *m, struct at_req *r)
{
    if (switch_value(r, 0) < 0)
        return AT_ERROR;
    /* No capture of SIM800's layout exists; clients do not parse it
     * (manual §2.2.7, §2.2.15, §2.2.25–2.2.27, §2.2.30–2.2.32).  One frame, the AT&W set as name:
     * value lines. */
    const struct v250_settings *s = &m->v250;
    const struct general_settings *g = &m->gset;
    char buf[900];
    struct bytebuf out = {0};
    snprintf(buf, sizeof(buf),
             "DEFAULT PROFILE\r\n"
             "S0: %d\r\nS3: %d\r\nS4: %d\r\nS5: %d\r\nS6: %d\r\nS7: %d\r\nS8: %d\r\nS10: %d\r\n"
             "+CRLP: 61,61,48,6\r\nV: %d\r\nE: %d\r\nQ: %d\r\nX: %d\r\n&C: 1\r\n&D: 1\r\n"
             "+CLTS: %d\r\n+CREG: %d\r\n+CGREG: %d\r\n+CMEE: %d\r\n+CSCLK: %d\r\n+CIURC: %d",
             s->sreg[0], s->sreg[3], s->sreg[4], s->sreg[5], s->sreg[6], s->sreg[7], s->sreg[8],
             s->sreg[10], s->verbose, s->echo, s->quiet, s->x_level, g->clts, g->creg_n, g->cgreg_n,
             s->cmee, s->csclk, g->ciurc);
    bytebuf_append_str(&out, buf);
    modem_settings_show(m, &out); /* the services' (SMS: +CMGF) */
    snprintf(buf, sizeof(buf), "\r\n+IPR: %ld\r\n+IFC: %d,%d\r\n+ICF: %d,%d", s->ipr, s->ifc_dce,
             s->ifc_dte, s->icf_format, s->icf_parity);
    bytebuf_append_str(&out, buf);
    at_info_len(m, (const char *)bytebuf_head(&out), bytebuf_pending(&out));
    bytebuf_free(&out);
    return AT_OK;
}

static int cmd_i(struct modem *m, struct at_req *r)
{
    if (switch_value(r, 0) < 0)
        return AT_ERROR;
    at_info(m, "%s", m->profile->ati);
    return AT_OK;
}

static int cmd_and_c(struct modem *m, struct at_req *r)
{
    return switch_value(r, 1) < 0 ? AT_ERROR : AT_OK;
}

static int cmd_and_d(struct modem *m, struct at_req *r)
{
    return switch_value(r, 2) < 0 ? AT_ERROR : AT_OK;
}

/* S registers SIM800 implements: range and default (manual 2.2.16-2.2.23). */
static const struct {
    int reg, min, max, dflt;
} sregs[] = {
    {0, 0, 255, 0}, {3, 13, 13, 13}, {4, 10, 10, 10}, {5, 0, 127, 8},
    {6, 0, 999, 2}, {7, 1, 255, 60}, {8, 0, 255, 2},  {10, 1, 254, 15},
};

static int cmd_s(struct modem *m, struct at_req *r)
{
    for (size_t i = 0; i < ARRAY_SIZE(sregs); i++) {
        if (sregs[i].reg != r->number)
            continue;
        if (r->form == AT_FORM_READ) {
            at_info(m, "%d", m->v250.sreg[r->number]);
            return AT_OK;
        }
        long v = sregs[i].dflt;
        if (r->raw_len > 0) {
            if (r->raw_len > 4)
                return AT_ERROR;
            v = strtol(r->raw, NULL, 10);
        }
        if (v < sregs[i].min || v > sregs[i].max)
            return AT_ERROR;
        m->v250.sreg[r->number] = (int)v;
        return AT_OK;
    }
    return AT_ERROR;
}

static const struct at_cmd rows[] = {
    {"E", AT_FORM_EXEC, 0, cmd_e, NULL},      {"Q", AT_FORM_EXEC, 0, cmd_q, NULL},
    {"V", AT_FORM_EXEC, 0, cmd_v, NULL},      {"X", AT_FORM_EXEC, 0, cmd_x, NULL},
    {"Z", AT_FORM_EXEC, 0, cmd_z, NULL},      {"I", AT_FORM_EXEC, 0, cmd_i, NULL},
    {"&F", AT_FORM_EXEC, 0, cmd_and_f, NULL}, {"&W", AT_FORM_EXEC, 0, cmd_and_w, NULL},
    {"&V", AT_FORM_EXEC, 0, cmd_and_v, NULL}, {"&C", AT_FORM_EXEC, 0, cmd_and_c, NULL},
    {"&D", AT_FORM_EXEC, 0, cmd_and_d, NULL}, {"S", AT_FORM_READ | AT_FORM_WRITE, 0, cmd_s, NULL},
};

const struct at_cmd_table cmd_v250_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};
