/* The call commands (call.h): ATD, ATDL, ATA, ATH, AT+CHUP, AT+CLCC,
 * AT+COLP, AT+CEER, AT+VTS, and the audio settings drivers send at set-up
 * (AT+CLVL, AT+CRSL, AT+CMUT, AT+CALM, AT+VTD, AT+CMIC), kept and read back;
 * there is no audio path. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "call.h"

#include "modem.h"
#include "reply.h"
#include "setting.h"

/* ATD<n>[<mgsm>][;] (manual §2.2.3): dialing digits 0-9 * # + A B C; the
 * V.25ter modifiers , T P ! W @ ignored; I/i (CLIR) and G/g (CUG) accepted;
 * ';' makes it a voice call.  ATDL redials the last number. */
static int cmd_d(struct modem *m, struct at_req *r)
{
    struct call_state *c = call_of(m);
    char number[40];
    size_t n = 0;
    bool voice = false;
    const char *p = r->raw;
    if ((p[0] == 'L' || p[0] == 'l') && (!p[1] || p[1] == ';')) {
        if (!c->last_dialed[0])
            return AT_ERROR;
        str_copy(number, sizeof(number), c->last_dialed);
        n = strlen(number);
        voice = true; /* ATDL repeats the last voice call */
    } else {
        for (; *p; p++) {
            if (*p == ';') {
                voice = true;
                if (p[1])
                    return AT_ERROR;
                break;
            }
            if (strchr("0123456789*#+ABCabc", *p)) {
                if (n + 1 >= sizeof(number))
                    return AT_ERROR;
                number[n++] = (char)(*p >= 'a' ? *p - 32 : *p);
            } else if (!strchr(",TPtp!Ww@IiGg ", *p)) {
                return AT_ERROR;
            }
        }
        number[n] = '\0';
    }
    if (n == 0)
        return AT_ERROR;
    /* Manual §20.3: after AT+CFUN=0 a call answers ERROR. */
    if (m->general.cfun != 1)
        return AT_ERROR;
    if (!voice) /* a data call: no circuit-switched data here */
        return at_final_text(m, "NO CARRIER");
    if (!m->general.registered)
        return at_final_text(m, "NO CARRIER");
    if (call_dial(m, number, number[0] == '+' ? 145 : 129) < 0)
        return AT_ERROR;
    return c->colp_pending ? AT_PENDING : AT_OK;
}

static int cmd_a(struct modem *m, struct at_req *r)
{
    (void)r;
    return call_answer(m) < 0 ? at_final_text(m, "NO CARRIER") : AT_OK;
}

static int cmd_h(struct modem *m, struct at_req *r)
{
    if (r->number > 0)
        return AT_ERROR; /* ATH0 only (V.250 6.3.6) */
    call_hangup_local(m);
    return AT_OK;
}

static int cmd_chup(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_EXEC)
        call_hangup_local(m);
    return AT_OK;
}

static int cmd_clcc(struct modem *m, struct at_req *r)
{
    struct call_state *c = call_of(m);
    long n;
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "+CLCC: (0,1)");
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "+CLCC: %d", c->clcc);
        return AT_OK;
    case AT_FORM_WRITE:
        if (at_arg_int(&r->args, 0, 1, &n) != AT_ARG_OK || !at_args_done(&r->args))
            return AT_ERROR;
        c->clcc = (int)n;
        return AT_OK;
    default:
        if (c->stat != CALL_NONE) { /* no call: OK alone (manual §3.2.16) */
            char line[96];
            call_clcc_line(c, line, sizeof(line));
            at_info(m, "%s", line);
        }
        return AT_OK;
    }
}

static int cmd_colp(struct modem *m, struct at_req *r)
{
    struct call_state *c = call_of(m);
    long n;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+COLP: (0,1)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+COLP: %d,1", c->colp); /* <m> 1: provisioned */
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, 1, &n) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    c->colp = (int)n;
    return AT_OK;
}

static int cmd_ceer(struct modem *m, struct at_req *r)
{
    struct call_state *c = call_of(m);
    long n;
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "+CEER: (0,1)");
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "+CEER: %d", c->ceer);
        return AT_OK;
    case AT_FORM_WRITE:
        if (at_arg_int(&r->args, 0, 1, &n) != AT_ARG_OK || !at_args_done(&r->args))
            return AT_ERROR;
        c->ceer = (int)n;
        return AT_OK;
    default:
        if (c->ceer)
            at_info(m, "+CEER: Cause:%d", c->cause);
        else
            at_info(m, "+CEER: %s", call_cause_text(c->cause));
        return AT_OK;
    }
}

/* AT+VTS=<dtmf>: tones during an active call ("1", 1, "1,2,3"). */
static int cmd_vts(struct modem *m, struct at_req *r)
{
    struct call_state *c = call_of(m);
    char tones[64];
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+VTS: (0-9,*,#,A,B,C,D)");
        return AT_OK;
    }
    /* The string may hold commas: take the raw argument, quotes and all. */
    const char *p = r->raw;
    size_t n = 0;
    for (; *p; p++) {
        if (*p == '"' || *p == ',')
            continue;
        if (!strchr("0123456789*#ABCDabcd", *p) || n + 1 >= sizeof(tones))
            return AT_ERROR;
        tones[n++] = *p;
    }
    tones[n] = '\0';
    if (n == 0)
        return AT_ERROR;
    if (c->stat != CALL_ACTIVE)
        return AT_CME(3); /* no call to send them in (UNCERTAIN code) */
    call_log(c, "dtmf %s", tones);
    return AT_OK;
}

#define CALL_FIELD(f) offsetof(struct call_state, f)

static const struct setting_desc clvl_desc = {"+CLVL", "+CLVL: (0-100)", CALL_FIELD(clvl), 0, 100,
                                              0,       &call_service};
static const struct setting_desc crsl_desc = {"+CRSL", "+CRSL: (0-100)", CALL_FIELD(crsl), 0, 100,
                                              0,       &call_service};
static const struct setting_desc cmut_desc = {"+CMUT", "+CMUT: (0,1)", CALL_FIELD(cmut), 0, 1,
                                              0,       &call_service};
static const struct setting_desc calm_desc = {"+CALM", "+CALM: (0,1)", CALL_FIELD(calm), 0, 1,
                                              0,       &call_service};
static const struct setting_desc vtd_desc = {"+VTD", "+VTD: (1-255)", CALL_FIELD(vtd), 1, 255,
                                             1,      &call_service};
static const struct setting_list_desc cmic_desc = {
    "+CMIC",
    "+CMIC: (0-1),(0-15)",
    &call_service,
    2,
    2,
    {{CALL_FIELD(cmic[0]), 0, 1}, {CALL_FIELD(cmic[1]), 0, 15}}};

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

/* AT+CCALR (manual §6.2.38): whether the module can make calls. */
static int cmd_ccalr(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        at_info(m, "+CCALR: (0,1)");
    else
        at_info(m, "+CCALR: %d", call_of(m)->ready ? 1 : 0);
    return AT_OK;
}

static const struct at_cmd rows[] = {
    {"+CCALR", AT_FORM_TEST | AT_FORM_READ, 0, cmd_ccalr, NULL},
    {"D", AT_FORM_EXEC, 0, cmd_d, NULL},
    {"A", AT_FORM_EXEC, 0, cmd_a, NULL},
    {"H", AT_FORM_EXEC, 0, cmd_h, NULL},
    {"+CHUP", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_chup, NULL},
    {"+CLCC", RW | AT_FORM_EXEC, 0, cmd_clcc, NULL},
    {"+COLP", RW, 0, cmd_colp, NULL},
    {"+CEER", RW | AT_FORM_EXEC, 0, cmd_ceer, NULL},
    {"+VTS", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_vts, NULL},
    {"+CLVL", RW, 0, setting_cmd, &clvl_desc},
    {"+CRSL", RW, 0, setting_cmd, &crsl_desc},
    {"+CMUT", RW, 0, setting_cmd, &cmut_desc},
    {"+CALM", RW, 0, setting_cmd, &calm_desc},
    {"+VTD", RW, 0, setting_cmd, &vtd_desc},
    {"+CMIC", RW, 0, setting_list_cmd, &cmic_desc},
};

const struct at_cmd_table call_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};
