/* Power-on, reset and power-down of a modem (SIM800 AT Command Manual V1.09 §3.2.42, §6.2.2,
 * §19.3).
 *
 * Fixed baud:  RDY, +CFUN: 1, +CPIN: READY, Call Ready, SMS Ready at the
 *              profile's [boot] times.
 * Autobaud:    the same sequence without RDY and +CFUN; what falls due before
 *              the host's first "AT" is lost (modem.c drops it).
 * No SIM:      +CPIN: NOT INSERTED, Call Ready, and no SMS Ready.
 * SIM PIN:     +CPIN: SIM PIN, and the rest after AT+CPIN (cmd_general.c). */
#include <string.h>

#include "boot.h"
#include "general.h"
#include "modem.h"
#include "reply.h"
#include "service.h"
#include "trace.h"

enum boot_step {
    STEP_RDY,
    STEP_CPIN,
    STEP_CALL_READY,
    STEP_SMS_READY,
    STEP_DONE,
};

static int step_time_ms(const struct modem *m, int step)
{
    const struct profile *p = m->profile;
    /* Later steps never come before earlier ones, whatever the profile says. */
    int t[] = {p->rdy_ms, p->cpin_ms, p->call_ready_ms, p->sms_ready_ms};
    int at = 0;
    for (int i = 0; i <= step && i < 4; i++)
        at = t[i] > at ? t[i] : at;
    return at;
}

static void arm_next(struct modem *m)
{
    if (m->boot_step >= STEP_DONE)
        return;
    double due = m->boot_t0 + step_time_ms(m, m->boot_step) / 1000.0;
    double now = ev_now(m->loop);
    ev_timer_set(&m->boot_timer, due > now ? due - now : 0., 0.);
    ev_timer_start(m->loop, &m->boot_timer);
}

static void run_step(struct modem *m)
{
    struct general_state *g = &m->general;
    switch (m->boot_step) {
    case STEP_RDY:
        if (m->v250.ipr != 0) {
            at_urc(m, "RDY");
            at_urc(m, "+CFUN: %d", g->cfun);
        }
        break;
    case STEP_CPIN:
        if (g->cfun == 0)
            break;
        if (!m->profile->sim_present) {
            g->sim = SIM_ABSENT;
            general_sim_absent(m);
        } else if (m->profile->sim_pin[0]) {
            g->sim = SIM_PIN;
            at_urc(m, "+CPIN: SIM PIN");
            m->boot_step = STEP_DONE; /* the rest follows AT+CPIN */
            return;
        } else {
            g->sim = SIM_READY;
            at_urc(m, "+CPIN: READY");
            general_sim_ready(m);
        }
        break;
    case STEP_CALL_READY: /* the call service says "Call Ready" */
        modem_publish(m, MODEM_EV_CALL_READY, 1);
        break;
    case STEP_SMS_READY:
        if (g->sim == SIM_READY) /* the SMS service says "SMS Ready" */
            modem_publish(m, MODEM_EV_SMS_READY, 1);
        break;
    default:
        return;
    }
    m->boot_step++;
}

/* The state a power cycle gives: the &W profile, nothing camped. */
static void power_cycle_state(struct modem *m)
{
    m->v250 = m->stored;
    m->autobaud_locked = false;
    general_init(m);
    modem_reset_services(m, SERVICE_POWER_CYCLE);
    general_settings(m, SERVICE_SETTINGS_RESTORE);
    modem_settings_services(m, SERVICE_SETTINGS_RESTORE);
    bytebuf_clear(&m->engine.input);
}

static void start_sequence(struct modem *m)
{
    m->boot_step = STEP_RDY;
    m->boot_t0 = ev_now(m->loop);
    arm_next(m);
}

/* A reset in two phases (manual §3.2.42): with a fixed rate the module is
 * silent for reset_ms and then answers the pending AT+CFUN=1,1 with OK;
 * when autobauding, the OK goes out first and nothing follows until the
 * host's next "AT". */
static void reset_phase(struct modem *m)
{
    if (m->reset_ok_first) {
        m->reset_ok_first = false;
        m->power = MODEM_ON;
        at_complete(m, AT_OK);
        power_cycle_state(m);
        at_engine_reset(&m->engine);
        m->power = MODEM_RESETTING;
        ev_timer_set(&m->boot_timer, m->profile->reset_ms / 1000.0, 0.);
        ev_timer_start(m->loop, &m->boot_timer);
        return;
    }
    m->power = MODEM_ON;
    if (at_is_pending(m)) {
        power_cycle_state(m);
        at_complete(m, AT_OK);
    }
    start_sequence(m);
}

static void boot_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct modem *m = t->data;
    if (m->power == MODEM_RESETTING) {
        reset_phase(m);
        return;
    }
    while (m->boot_step < STEP_DONE &&
           m->boot_t0 + step_time_ms(m, m->boot_step) / 1000.0 <= ev_now(m->loop) + 1e-6)
        run_step(m);
    arm_next(m);
}

void boot_start(struct modem *m)
{
    ev_init(&m->boot_timer, boot_timer_cb);
    m->boot_timer.data = m;
    start_sequence(m);
}

void boot_stop(struct modem *m)
{
    ev_timer_stop(m->loop, &m->boot_timer);
    ev_timer_stop(m->loop, &m->cfun_timer);
}

void boot_reset(struct modem *m)
{
    ev_timer_stop(m->loop, &m->boot_timer);
    ev_timer_stop(m->loop, &m->cfun_timer); /* an AT+CFUN=0 waiting for its OK is gone */
    trace_note(m->id, "modem", "reset (AT+CFUN=1,1)");
    m->power = MODEM_RESETTING;
    m->reset_ok_first = m->v250.ipr == 0;
    ev_timer_set(&m->boot_timer, m->reset_ok_first ? 0. : m->profile->reset_ms / 1000.0, 0.);
    ev_timer_start(m->loop, &m->boot_timer);
}

void boot_power_off(struct modem *m)
{
    ev_timer_stop(m->loop, &m->boot_timer);
    ev_timer_stop(m->loop, &m->cfun_timer);
    at_engine_reset(&m->engine);
    modem_reset_services(m, SERVICE_POWER_OFF);
    m->power = MODEM_OFF;
    trace_note(m->id, "modem", "powered down");
}

void boot_reboot(struct modem *m)
{
    ev_timer_stop(m->loop, &m->boot_timer);
    ev_timer_stop(m->loop, &m->cfun_timer);
    trace_note(m->id, "modem", "reboot (fault)");
    at_engine_reset(&m->engine);
    power_cycle_state(m);
    m->power = MODEM_RESETTING;
    m->reset_ok_first = false;
    ev_timer_set(&m->boot_timer, m->profile->reset_ms / 1000.0, 0.);
    ev_timer_start(m->loop, &m->boot_timer);
}
