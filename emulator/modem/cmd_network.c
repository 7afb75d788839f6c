/* Signal, registration, operator, packet-domain basics and network time
 * (SIM800 AT Command Manual V1.09 §3.2.22, §3.2.32, §3.2.35, §7.2.1, §7.2.2, §3.2.43, §3.2.52,
 * §6.2.12).  The network is the profile's: the modem camps once the SIM is ready and CFUN is 1, and
 * attaches GPRS as SIM800 does by itself. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd_tables.h"
#include "general.h"
#include "modem.h"
#include "reply.h"
#include "setting.h"

#define V250_FIELD(f) offsetof(struct modem, v250.f)
#define GSET_FIELD(f) offsetof(struct modem, gset.f)

static int cmd_csq(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CSQ: (0-31,99),(0-7,99)");
        return AT_OK;
    }
    /* Works without a SIM; no RF in CFUN 0 or 4 reads as unknown. */
    if (m->general.cfun != 1)
        at_info(m, "+CSQ: 99,99");
    else if (m->general.signal_fault)
        at_info(m, "+CSQ: %d,%d", m->general.fault_rssi, m->general.fault_ber);
    else
        at_info(m, "+CSQ: %d,%d", m->profile->rssi, m->profile->ber);
    return AT_OK;
}

/* --- +CENG (manual 6.2.21): engineering mode, serving cell only --- */

/* The serving cell from the profile; no neighbour is ever seen.  RXLEV is
 * dBm + 110 with the dBm that +CSQ's rssi stands for (-113 + 2 * rssi).
 * <lac> and <cellid> are hexadecimal, the rest decimal (manual 6.2.21); the
 * BCCH channel, BSIC and the idle TA/TXP values are made up (UNCERTAIN). */
static void ceng_serving_cell(struct modem *m)
{
    const struct profile *p = m->profile;
    int rxl = p->rssi == 99 ? 0 : 2 * p->rssi - 3;
    const char *mcc_mnc = p->operator_numeric;
    if (m->general.ceng_mode == 3)
        at_info(m, "+CENG: 0,%.3s,%s,%s,%s,40,%d", mcc_mnc, mcc_mnc + 3, p->lac, p->ci, rxl);
    else
        at_info(m, "+CENG: 0,\"0024,%d,0,%.3s,%s,40,%s,%d,0,%s,0\"", rxl, mcc_mnc, mcc_mnc + 3,
                p->ci, rxl, p->lac);
}

static int cmd_ceng(struct modem *m, struct at_req *r)
{
    struct general_state *g = &m->general;
    long mode, ncell = g->ceng_ncell;
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "+CENG: (0-4),(0-1)");
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "+CENG: %d,%d", g->ceng_mode, g->ceng_ncell);
        if (g->ceng_mode != 0 && g->registered)
            ceng_serving_cell(m);
        return AT_OK;
    default:
        if (at_arg_int(&r->args, 0, 4, &mode) != AT_ARG_OK ||
            at_arg_int(&r->args, 0, 1, &ncell) == AT_ARG_BAD || !at_args_done(&r->args))
            return AT_ERROR;
        g->ceng_mode = (int)mode;
        g->ceng_ncell = (int)ncell;
        return AT_OK;
    }
}

/* +CREG and +CGREG share everything but the name and the setting. */
struct reg_desc {
    const char *name;
    size_t offset;
};

static int cmd_reg(struct modem *m, struct at_req *r)
{
    const struct reg_desc *d = r->ctx;
    int *n = (int *)(void *)((char *)m + d->offset);
    long v;
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "%s: (0-2)", d->name);
        return AT_OK;
    case AT_FORM_READ: {
        char buf[48];
        general_format_reg(m, buf, sizeof(buf), *n, true);
        at_info(m, "%s: %s", d->name, buf);
        return AT_OK;
    }
    default:
        switch (at_arg_int(&r->args, 0, 2, &v)) {
        case AT_ARG_OK:
            break;
        case AT_ARG_ABSENT:
            v = 0;
            break;
        default:
            return AT_CME(765);
        }
        if (!at_args_done(&r->args))
            return AT_ERROR;
        *n = (int)v;
        return AT_OK;
    }
}

static const struct reg_desc creg_desc = {"+CREG", GSET_FIELD(creg_n)};
static const struct reg_desc cgreg_desc = {"+CGREG", GSET_FIELD(cgreg_n)};

static int cmd_cops(struct modem *m, struct at_req *r)
{
    struct general_state *g = &m->general;
    const struct profile *p = m->profile;
    long mode, format;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+COPS: (2,\"%s\",\"%s\",\"%s\"),,(0-4),(0-2)", p->operator_long,
                p->operator_short, p->operator_numeric);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        if (!g->registered) {
            at_info(m, "+COPS: %d", g->cops_mode == 2 ? 2 : 0);
            return AT_OK;
        }
        const char *names[] = {p->operator_long, p->operator_short, p->operator_numeric};
        at_info(m, "+COPS: %d,%d,\"%s\"", g->cops_mode, g->cops_format, names[g->cops_format]);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, 4, &mode) != AT_ARG_OK)
        return AT_CME(765);
    enum at_arg_status st = at_arg_int(&r->args, 0, 2, &format);
    if (st == AT_ARG_BAD)
        return AT_CME(765);
    char oper[PROFILE_STR];
    if (at_arg_str(&r->args, oper, sizeof(oper), NULL) == AT_ARG_BAD || !at_args_done(&r->args))
        return AT_CME(765);
    if (st == AT_ARG_OK)
        g->cops_format = (int)format;
    if (mode == 3)
        return AT_OK; /* format only */
    if (mode == 2) {
        g->cops_mode = 2;
        general_set_registered(m, false);
        return AT_OK;
    }
    if ((mode == 1 || mode == 4) && oper[0] && strcmp(oper, p->operator_long) != 0 &&
        strcmp(oper, p->operator_short) != 0 && strcmp(oper, p->operator_numeric) != 0) {
        if (mode == 1)
            return AT_CME(30);
    }
    g->cops_mode = mode == 4 ? 0 : (int)mode;
    general_sim_ready(m);
    return g->registered ? AT_OK : AT_CME(30);
}

static int cmd_cgatt(struct modem *m, struct at_req *r)
{
    struct general_state *g = &m->general;
    long v;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CGATT: (0,1)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CGATT: %d", g->attached ? 1 : 0);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, 1, &v) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    if (v == 1 && !g->registered)
        return AT_CME(100); /* seen right after boot in users' logs */
    g->attached = v == 1;
    /* Detach drops the context: +PDP: DEACT from TCP/IP and +SAPBR <cid>:
     * DEACT from the bearers (manual 8.1.x, 9.2.1). */
    if (!g->attached)
        general_pdp_down(m);
    return AT_OK;
}

static int cmd_cgdcont(struct modem *m, struct at_req *r)
{
    struct general_state *g = &m->general;
    long cid;
    char type[8], apn[64];
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CGDCONT: (1-3),\"IP\",,,(0,1,2),(0,1)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        for (int i = 1; i <= CGDCONT_MAX; i++)
            if (g->ctx[i].defined)
                at_info(m, "+CGDCONT: %d,\"IP\",\"%s\",\"0.0.0.0\",0,0", i, g->ctx[i].apn);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 1, CGDCONT_MAX, &cid) != AT_ARG_OK)
        return AT_ERROR;
    enum at_arg_status st = at_arg_str(&r->args, type, sizeof(type), NULL);
    if (st == AT_ARG_ABSENT && at_args_done(&r->args)) {
        g->ctx[cid].defined = false; /* AT+CGDCONT=<cid> undefines it */
        return AT_OK;
    }
    if (st != AT_ARG_OK || !ascii_ieq(type, "IP"))
        return AT_ERROR;
    if (at_arg_str(&r->args, apn, sizeof(apn), NULL) == AT_ARG_BAD)
        return AT_ERROR;
    /* PDP address, d_comp, h_comp: accepted and not used. */
    char rest[64];
    while (!at_args_done(&r->args))
        if (at_arg_str(&r->args, rest, sizeof(rest), NULL) == AT_ARG_BAD)
            return AT_ERROR;
    g->ctx[cid].defined = true;
    str_copy(g->ctx[cid].apn, sizeof(g->ctx[cid].apn), apn);
    return AT_OK;
}

static int cmd_cgact(struct modem *m, struct at_req *r)
{
    struct general_state *g = &m->general;
    long state, cid = 1;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CGACT: (0,1)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        for (int i = 1; i <= CGDCONT_MAX; i++)
            if (g->ctx[i].defined)
                at_info(m, "+CGACT: %d,%d", i, g->ctx[i].active ? 1 : 0);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, 1, &state) != AT_ARG_OK)
        return AT_ERROR;
    if (at_arg_int(&r->args, 1, CGDCONT_MAX, &cid) == AT_ARG_BAD || !at_args_done(&r->args))
        return AT_ERROR;
    if (!g->ctx[cid].defined)
        return AT_CME(21); /* manual 20.8: activating an undefined context */
    if (state == 1) {
        if (!g->registered)
            return AT_CME(30);
        g->attached = true;
    }
    g->ctx[cid].active = state == 1;
    return AT_OK;
}

static const struct setting_desc clts_desc = {
    "+CLTS", "+CLTS: \"yy/MM/dd,hh:mm:ss+/-zz\"", GSET_FIELD(clts), 0, 1, 0, NULL};

/* +CCLK: "yy/MM/dd,hh:mm:ss+zz", zz in quarter hours, sign always shown. */
static int cmd_cclk(struct modem *m, struct at_req *r)
{
    struct general_state *g = &m->general;
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (r->form == AT_FORM_READ) {
        time_t t = g->clock_base + (time_t)(ev_now(m->loop) - g->clock_set_mono);
        struct tm tm;
        gmtime_r(&t, &tm);
        at_info(m, "+CCLK: \"%02d/%02d/%02d,%02d:%02d:%02d%c%02d\"", tm.tm_year % 100,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                g->tz_quarters < 0 ? '-' : '+',
                g->tz_quarters < 0 ? -g->tz_quarters : g->tz_quarters);
        return AT_OK;
    }
    char s[32];
    if (at_arg_str(&r->args, s, sizeof(s), NULL) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    int yy, mo, dd, hh, mi, ss, tz, used = 0;
    char sign;
    if (sscanf(s, "%2d/%2d/%2d,%2d:%2d:%2d%c%2d%n", &yy, &mo, &dd, &hh, &mi, &ss, &sign, &tz,
               &used) != 8 ||
        (size_t)used != strlen(s) || (sign != '+' && sign != '-'))
        return AT_CME(765);
    if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59 || tz > 48 ||
        yy < 0 || (sign == '-' && tz > 47))
        return AT_CME(765);
    struct tm tm = {.tm_year = 100 + yy,
                    .tm_mon = mo - 1,
                    .tm_mday = dd,
                    .tm_hour = hh,
                    .tm_min = mi,
                    .tm_sec = ss};
    g->clock_base = timegm(&tm);
    g->clock_set_mono = ev_now(m->loop);
    g->tz_quarters = sign == '-' ? -tz : tz;
    return AT_OK;
}

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CSQ", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_csq, NULL},
    {"+CREG", RW, 0, cmd_reg, &creg_desc},
    {"+CGREG", RW, 0, cmd_reg, &cgreg_desc},
    {"+COPS", RW, 0, cmd_cops, NULL},
    {"+CGATT", RW, 0, cmd_cgatt, NULL},
    {"+CGDCONT", RW, 0, cmd_cgdcont, NULL},
    {"+CGACT", RW, 0, cmd_cgact, NULL},
    {"+CLTS", RW, 0, setting_cmd, &clts_desc},
    {"+CCLK", RW, 0, cmd_cclk, NULL},
    {"+CENG", RW, 0, cmd_ceng, NULL},
};

const struct at_cmd_table cmd_network_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};
