/* Identification commands (SIM800 AT Command Manual V1.09 §2.2.9, §2.2.33–2.2.38, §3.2.8–3.2.11,
 * §6.2.39): answers come from the profile, bare (no "+CGMI:" prefix), and every test form answers
 * just OK. */
#include "cmd_tables.h"
#include "modem.h"
#include "reply.h"

static int ident_reply(struct modem *m, struct at_req *r, const char *text)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    at_info(m, "%s", text);
    return AT_OK;
}

static int cmd_gmi(struct modem *m, struct at_req *r)
{
    return ident_reply(m, r, m->profile->manufacturer);
}

static int cmd_gmm(struct modem *m, struct at_req *r)
{
    return ident_reply(m, r, m->profile->model);
}

static int cmd_gmr(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    /* Captures show no space after the colon; the manual's space is wrong. */
    at_info(m, "Revision:%s", m->profile->revision);
    return AT_OK;
}

static int cmd_gsn(struct modem *m, struct at_req *r) { return ident_reply(m, r, m->ident.imei); }

static int cmd_gsv(struct modem *m, struct at_req *r)
{
    at_info(m, "%s\r\n%s\r\nRevision:%s", m->profile->manufacturer, m->profile->model,
            m->profile->revision);
    return AT_OK;
}

static int cmd_goi(struct modem *m, struct at_req *r) { return ident_reply(m, r, "SIM800"); }

static int cmd_gcap(struct modem *m, struct at_req *r)
{
    at_info(m, "+GCAP: +CGSM");
    return AT_OK;
}

static int cmd_cimi(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    switch (m->general.sim) {
    case SIM_READY:
        at_info(m, "%s", m->ident.imsi);
        return AT_OK;
    case SIM_PIN:
        return AT_CME(11);
    default:
        return AT_CME(10);
    }
}

static int cmd_ccid(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    /* The ICCID is readable without the PIN, but not without a card. */
    if (!m->profile->sim_present || m->general.sim == SIM_BOOTING)
        return AT_ERROR;
    at_info(m, "%s", m->ident.iccid);
    return AT_OK;
}

static const struct at_cmd rows[] = {
    {"+GMI", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_gmi, NULL},
    {"+CGMI", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_gmi, NULL},
    {"+GMM", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_gmm, NULL},
    {"+CGMM", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_gmm, NULL},
    {"+GMR", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_gmr, NULL},
    {"+CGMR", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_gmr, NULL},
    {"+GSN", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_gsn, NULL},
    {"+CGSN", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_gsn, NULL},
    {"+GSV", AT_FORM_EXEC, 0, cmd_gsv, NULL},
    {"+GOI", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_goi, NULL},
    {"+GCAP", AT_FORM_EXEC, 0, cmd_gcap, NULL},
    {"+CIMI", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_cimi, NULL},
    {"+CCID", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_ccid, NULL},
};

const struct at_cmd_table cmd_ident_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};
