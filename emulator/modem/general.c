/* The general state's shared changes (general.h). */
#include "general.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "modem.h"
#include "reply.h"
#include "service.h"

void general_init(struct modem *m)
{
    struct general_state *g = &m->general;
    /* The +CCLK zone and a CFUN level of 4 are auto-saved (manual §3.2.42, §3.2.43). */
    int tz = g->tz_quarters;
    int cfun = g->cfun == 4 ? 4 : 1;
    memset(g, 0, sizeof(*g));
    g->tz_quarters = tz;
    g->cfun = cfun;
    g->sim = m->profile->sim_present ? SIM_BOOTING : SIM_ABSENT;
    g->pin_tries = 3;
    g->cops_mode = 0;
    /* Without network time the clock restarts at 2004-01-01 (as logs of real modules show). */
    g->clock_base = 1072915200; /* 2004-01-01 00:00:00 */
    g->clock_set_mono = ev_now(m->loop);
}

/* The SIM is found missing (at power-on or AT+CFUN=1): +CPIN says so, and
 * +CSMINS too when its report is on (manual 6.2.54).  The emulated card
 * never comes or goes later, so this is the only time the report fires. */
void general_sim_absent(struct modem *m)
{
    at_urc(m, "+CPIN: NOT INSERTED");
    if (m->gset.csmins)
        at_urc(m, "+CSMINS: %d,0", m->gset.csmins);
}

int general_reg_stat(const struct modem *m)
{
    const struct general_state *g = &m->general;
    if (g->registered)
        return m->profile->reg_stat;
    if (g->cfun != 1 || g->sim == SIM_ABSENT || g->sim == SIM_NOT_READY || g->cops_mode == 2)
        return 0;
    return 2;
}

static bool is_camped_stat(int stat) { return stat == 1 || stat == 5; }

void general_format_reg(const struct modem *m, char *buf, size_t cap, int n, bool with_n)
{
    int stat = general_reg_stat(m);
    int w = with_n ? snprintf(buf, cap, "%d,%d", n, stat) : snprintf(buf, cap, "%d", stat);
    if (n == 2 && is_camped_stat(stat) && w > 0 && (size_t)w < cap)
        snprintf(buf + w, cap - (size_t)w, ",\"%s\",\"%s\"", m->profile->lac, m->profile->ci);
}

/* Network time after AT+CLTS=1, in the order seen in real modules' logs (manual §6.2.12). */
static void network_time_urcs(struct modem *m)
{
    struct general_state *g = &m->general;
    int tz = m->profile->tz_quarters;
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    g->tz_quarters = tz;
    g->clock_base = now + (time_t)tz * 15 * 60;
    g->clock_set_mono = ev_now(m->loop);
    if (m->profile->net_ctzv)
        at_urc(m, "+CTZV: %+d,0", tz);
    at_urc(m, "*PSUTTZ: %d,%d,%d,%d,%d,%d,\"%+d\",0", utc.tm_year + 1900, utc.tm_mon + 1,
           utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, tz);
    at_urc(m, "DST: 0");
}

void general_set_registered(struct modem *m, bool registered)
{
    struct general_state *g = &m->general;
    if (g->registered == registered)
        return;
    g->registered = registered;
    g->attached = registered;
    if (!registered)
        general_pdp_down(m);
    char buf[48];
    if (m->gset.creg_n > 0) {
        general_format_reg(m, buf, sizeof(buf), m->gset.creg_n, false);
        at_urc(m, "+CREG: %s", buf);
    }
    if (m->gset.cgreg_n > 0) {
        general_format_reg(m, buf, sizeof(buf), m->gset.cgreg_n, false);
        at_urc(m, "+CGREG: %s", buf);
    }
    if (registered && m->gset.clts)
        network_time_urcs(m);
}

void general_sim_ready(struct modem *m)
{
    const struct general_state *g = &m->general;
    if (g->cfun == 1 && g->sim == SIM_READY && g->cops_mode != 2 &&
        is_camped_stat(m->profile->reg_stat))
        general_set_registered(m, true);
}

void general_pdp_down(struct modem *m)
{
    struct general_state *g = &m->general;
    for (int i = 1; i <= CGDCONT_MAX; i++)
        g->ctx[i].active = false;
    modem_publish(m, MODEM_EV_PDP_DEACT, 0);
}

void general_sim_not_ready(struct modem *m)
{
    at_urc(m, "+CPIN: NOT READY");
    m->general.sim = SIM_NOT_READY;
    general_set_registered(m, false);
}

void general_register_if_able(struct modem *m)
{
    const struct general_state *g = &m->general;
    if (g->cfun == 1 && g->sim == SIM_READY)
        general_set_registered(m, true);
}

void general_set_clock(struct modem *m, time_t utc, int tz_quarters)
{
    struct general_state *g = &m->general;
    g->tz_quarters = tz_quarters;
    g->clock_base = utc + (time_t)tz_quarters * 15 * 60; /* +CCLK shows local time */
    g->clock_set_mono = ev_now(m->loop);
}

void general_set_signal(struct modem *m, int rssi, int ber)
{
    struct general_state *g = &m->general;
    g->signal_fault = true;
    g->fault_rssi = rssi;
    g->fault_ber = ber;
}

static void settings_factory(struct general_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->ciurc = 1; /* "Call Ready" is shown (manual §6.2.33) */
}

void general_settings(struct modem *m, enum service_settings op)
{
    switch (op) {
    case SERVICE_SETTINGS_SAVE:
        m->gset_stored = m->gset;
        break;
    case SERVICE_SETTINGS_RESTORE:
        m->gset = m->gset_stored;
        break;
    case SERVICE_SETTINGS_FACTORY:
        settings_factory(&m->gset);
        if (m->profile->factory_resets_saved)
            m->gset_stored = m->gset;
        break;
    }
}

void general_settings_init(struct modem *m)
{
    settings_factory(&m->gset_stored);
    m->gset = m->gset_stored;
}
