/* General 27.007 / SIMCom housekeeping commands: error reporting, SIM,
 * functionality, battery, clock, serial port, SMS format and the other
 * switches every client library sends at init (SIM800 AT Command Manual V1.09 §3.2.20, §3.2.42,
 * §6.2.2, §3.2.28, §3.2.43, §3.2.52, §6.2.12, §2.2.39–2.2.41, §4.2.2). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "boot.h"
#include "cmd_tables.h"
#include "general.h"
#include "modem.h"
#include "reply.h"
#include "setting.h"

#define V250_FIELD(f) offsetof(struct modem, v250.f)
#define GSET_FIELD(f) offsetof(struct modem, gset.f)

/* --- +CPIN --- */

static int cmd_cpin(struct modem *m, struct at_req *r)
{
    struct general_state *g = &m->general;
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (r->form == AT_FORM_READ) {
        switch (g->sim) {
        case SIM_READY:
            at_info(m, "+CPIN: READY");
            return AT_OK;
        case SIM_PIN:
            at_info(m, "+CPIN: SIM PIN");
            return AT_OK;
        default:
            return AT_CME(10);
        }
    }
    char pin[16];
    if (at_arg_str(&r->args, pin, sizeof(pin), NULL) != AT_ARG_OK)
        return AT_ERROR;
    if (g->sim != SIM_PIN)
        return g->sim == SIM_READY ? AT_CME(3) : AT_CME(10);
    if (strcmp(pin, m->profile->sim_pin) != 0) {
        if (g->pin_tries > 0)
            g->pin_tries--;
        return AT_CME(16);
    }
    g->sim = SIM_READY;
    /* These URCs are held by the writer until the OK is out. */
    at_urc(m, "+CPIN: READY");
    modem_publish(m, MODEM_EV_CALL_READY, 1);
    modem_publish(m, MODEM_EV_SMS_READY, 1);
    general_sim_ready(m);
    return AT_OK;
}

/* --- +CSMINS (manual 6.2.54) --- */

static int cmd_csmins(struct modem *m, struct at_req *r)
{
    long n;
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "+CSMINS: (0,1)");
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "+CSMINS: %d,%d", m->gset.csmins, m->profile->sim_present ? 1 : 0);
        return AT_OK;
    default:
        if (at_arg_int(&r->args, 0, 1, &n) != AT_ARG_OK || !at_args_done(&r->args))
            return AT_ERROR;
        m->gset.csmins = (int)n;
        return AT_OK;
    }
}

/* --- +CNUM (manual 3.2.39): the SIM's own number, when it stores one ([sim] number;
 * most cards store none: OK alone) --- */

static int cmd_cnum(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (m->general.sim != SIM_READY)
        return m->general.sim == SIM_PIN ? AT_CME(11) : AT_CME(10);
    const char *n = m->ident.number;
    if (n[0]) /* <type> 145: international (a leading +), else 129 (27.007 §8.1) */
        at_info(m, "+CNUM: \"\",\"%s\",%d", n, n[0] == '+' ? 145 : 129);
    return AT_OK;
}

/* --- +CPAS (manual 3.2.23): no call ever rings or runs here, so "ready" --- */

static int cmd_cpas(struct modem *m, struct at_req *r)
{
    at_info(m, r->form == AT_FORM_TEST ? "+CPAS: (0,2,3,4)" : "+CPAS: 0");
    return AT_OK;
}

/* --- +CFUN --- */

/* The order a module prints, captured (SIM800 R14.18 with a bearer and a
 * context up, TinyGSM issues 284 and 358, a 2019 bizkit.ru log): AT+CFUN=0
 * prints "+SAPBR 1: DEACT", "+PDP: DEACT", "+CPIN: NOT READY", then OK;
 * AT+CFUN=1 prints "+CPIN: READY", OK, then "SMS Ready", "Call Ready" and
 * the network's time (*PSUTTZ, DST when AT+CLTS=1).  The power-on order
 * (boot.c) stays "Call Ready" then "SMS Ready". */
static void set_cfun(struct modem *m, int fun)
{
    struct general_state *g = &m->general;
    int old = g->cfun;
    g->cfun = fun;
    if (fun == 0 && old != 0) {
        general_pdp_down(m); /* the bearers' and TCP/IP's DEACT URCs */
        /* Manual 20.1: +CPIN: NOT READY follows AT+CFUN=0. */
        if (g->sim != SIM_ABSENT) {
            g->sim = SIM_NOT_READY;
            at_urc(m, "+CPIN: NOT READY");
        }
        modem_publish(m, MODEM_EV_CALL_READY, 0);
        modem_publish(m, MODEM_EV_SMS_READY, 0);
        general_set_registered(m, false);
        at_urcs_now(m);
    } else if (fun == 4) {
        general_set_registered(m, false);
    } else if (fun == 1 && old == 0) {
        if (!m->profile->sim_present) {
            general_sim_absent(m);
            at_urcs_now(m);
            return;
        }
        g->sim = SIM_READY;
        at_urc(m, "+CPIN: READY");
        at_urcs_now(m);
        /* The rest after the OK (held until the line ends). */
        modem_publish(m, MODEM_EV_SMS_READY, 1);
        modem_publish(m, MODEM_EV_CALL_READY, 1);
        general_sim_ready(m);
    } else if (fun == 1 && old == 4) {
        general_sim_ready(m);
    }
}

static void cfun_answer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    at_complete(t->data, AT_OK);
}

static int cmd_cfun(struct modem *m, struct at_req *r)
{
    struct general_state *g = &m->general;
    long fun, rst = 0;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CFUN: (0,1,4),(0-1)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CFUN: %d", g->cfun);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, 4, &fun) != AT_ARG_OK || fun == 2 || fun == 3)
        return AT_ERROR;
    enum at_arg_status st = at_arg_int(&r->args, 0, 1, &rst);
    if (st == AT_ARG_BAD || !at_args_done(&r->args))
        return AT_ERROR;
    if (rst == 1) {
        g->cfun = (int)fun == 4 ? 4 : 1;
        boot_reset(m);
        return AT_PENDING;
    }
    /* 0 and 4 do not switch into each other directly (manual §3.2.42). */
    if ((g->cfun == 0 && fun == 4) || (g->cfun == 4 && fun == 0))
        return AT_CME(3);
    bool changes = g->cfun != (int)fun && (fun == 0 || g->cfun == 0);
    set_cfun(m, (int)fun);
    /* [timing] cfun_ms: the radio and the SIM take their time (TinyGSM
     * issue 358: OK about 4.7 s after AT+CFUN=0). */
    if (changes && m->profile->cfun_ms > 0) {
        ev_timer_init(&m->cfun_timer, cfun_answer, m->profile->cfun_ms / 1000.0, 0.);
        m->cfun_timer.data = m;
        ev_timer_start(m->loop, &m->cfun_timer);
        return AT_PENDING;
    }
    return AT_OK;
}

static int cmd_cpowd(struct modem *m, struct at_req *r)
{
    long mode;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CPOWD: (0,1)");
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, 1, &mode) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    /* Normal power down says so; urgent power down says nothing.  No OK. */
    if (mode == 1)
        at_info(m, "NORMAL POWER DOWN");
    boot_power_off(m);
    return AT_SILENT;
}

/* --- +CBC --- */

static int cmd_cbc(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CBC: (0-2),(1-100),(voltage)");
        return AT_OK;
    }
    at_info(m, "+CBC: %d,%d,%d", m->profile->bat_status, m->profile->bat_percent,
            m->profile->bat_mv);
    return AT_OK;
}

/* --- +IPR, +IFC, +ICF --- */

static const long ipr_rates[] = {0,     1200,  2400,   4800,   9600,  19200,
                                 38400, 57600, 115200, 230400, 460800};

static int cmd_ipr(struct modem *m, struct at_req *r)
{
    long rate;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+IPR: (),(0,1200,2400,4800,9600,19200,38400,57600,115200,230400,460800)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+IPR: %ld", m->v250.ipr);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, 460800, &rate) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    for (size_t i = 0; i < ARRAY_SIZE(ipr_rates); i++) {
        if (ipr_rates[i] == rate) {
            /* On a PTY the rate is cosmetic; autobauding (0) starts only
             * after a reset, and modem.c keys its behaviour on that. */
            m->v250.ipr = rate;
            if (rate == 0)
                m->autobaud_locked = true;
            return AT_OK;
        }
    }
    return AT_ERROR;
}

/* DCE-by-DTE and DTE-by-DCE flow control; the second may be left out. */
static const struct setting_list_desc ifc_desc = {
    "+IFC",
    "+IFC: (0-2),(0-2)",
    NULL,
    2,
    1,
    {{offsetof(struct modem, v250.ifc_dce), 0, 2}, {offsetof(struct modem, v250.ifc_dte), 0, 2}},
};

static int cmd_icf(struct modem *m, struct at_req *r)
{
    long format, parity;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+ICF: (1-6),(0-3)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+ICF: %d,%d", m->v250.icf_format, m->v250.icf_parity);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 1, 6, &format) != AT_ARG_OK)
        return AT_ERROR;
    enum at_arg_status st = at_arg_int(&r->args, 0, 3, &parity);
    if (st == AT_ARG_BAD || !at_args_done(&r->args))
        return AT_ERROR;
    m->v250.icf_format = (int)format;
    /* Formats without a parity bit show 255 there (manual 2.2.39). */
    bool has_parity = format == 2 || format == 5;
    m->v250.icf_parity = has_parity && st == AT_ARG_OK ? (int)parity : 255;
    return AT_OK;
}

/* --- +CSPN, +CLIP --- */

static int cmd_cspn(struct modem *m, struct at_req *r)
{
    if (m->general.sim != SIM_READY)
        return m->general.sim == SIM_PIN ? AT_CME(11) : AT_CME(10);
    at_info(m, "+CSPN: \"%s\",0", m->profile->operator_short);
    return AT_OK;
}

static int cmd_clip(struct modem *m, struct at_req *r)
{
    long n;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CLIP: (0,1)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CLIP: %d,1", m->general.clip);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, 1, &n) == AT_ARG_BAD || !at_args_done(&r->args))
        return AT_ERROR;
    m->general.clip = (int)n;
    return AT_OK;
}

static const struct setting_desc cmee_desc = {"+CMEE", "+CMEE: (0-2)", V250_FIELD(cmee), 0, 2, 0,
                                              NULL};
static const struct setting_desc csclk_desc = {
    "+CSCLK", "+CSCLK: (0-2)", V250_FIELD(csclk), 0, 2, 0, NULL};
static const struct setting_desc cbatchk_desc = {
    "+CBATCHK", "+CBATCHK: (0,1)", GSET_FIELD(cbatchk), 0, 1, 0, NULL};
static const struct setting_desc cvhu_desc = {"+CVHU", "+CVHU: (0,1)", GSET_FIELD(cvhu), 0, 1, 0,
                                              NULL};
static const struct setting_desc ciurc_desc = {
    "+CIURC", "+CIURC: (0,1)", GSET_FIELD(ciurc), 0, 1, 0, NULL};

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CMEE", RW, 0, setting_cmd, &cmee_desc},
    {"+CPIN", RW, 0, cmd_cpin, NULL},
    {"+CFUN", RW, 0, cmd_cfun, NULL},
    {"+CPOWD", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_cpowd, NULL},
    {"+CBC", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_cbc, NULL},
    {"+IPR", RW, 0, cmd_ipr, NULL},
    {"+IFC", RW, 0, setting_list_cmd, &ifc_desc},
    {"+ICF", RW, 0, cmd_icf, NULL},
    {"+CSCLK", RW, 0, setting_cmd, &csclk_desc},
    {"+CBATCHK", RW, 0, setting_cmd, &cbatchk_desc},
    {"+CLIP", RW, 0, cmd_clip, NULL},
    {"+CVHU", RW, 0, setting_cmd, &cvhu_desc},
    {"+CIURC", RW, 0, setting_cmd, &ciurc_desc},
    {"+CSPN", AT_FORM_READ, 0, cmd_cspn, NULL},
    {"+CSMINS", RW, 0, cmd_csmins, NULL},
    {"+CNUM", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_cnum, NULL},
    {"+CPAS", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_cpas, NULL},
};

const struct at_cmd_table cmd_general_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};
