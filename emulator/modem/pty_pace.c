/* Pacing (pty_pace.h): the port runs at the module's rate, a character
 * every ten bit times, in both directions. */
#include "pty.h"

#include <stdint.h>

/* Pacing: the shortest wait between two paced writes (a timer per
 * character at 115200 baud would wake the loop 11520 times a second), and
 * how much sending time a line that was held up (the client's buffer full,
 * the loop busy) may make up at once: a paced port never bursts. */
#define PTY_PACE_TICK_S 0.001
#define PTY_PACE_CATCHUP_S 0.01

/* Characters a line at cps has finished since *t, on top of *credit; a line
 * held up makes up at most PTY_PACE_CATCHUP_S of sending. */
void pty_pace_refill(double *credit, ev_tstamp *t, double cps)
{
    ev_tstamp now = ev_time();
    if (now > *t)
        *credit += (now - *t) * cps;
    *t = now;
    double cap = cps * PTY_PACE_CATCHUP_S + 1;
    if (*credit > cap)
        *credit = cap;
}

/* Starts timer for when the line has finished its next character. */
void pty_pace_wait(struct pty_port *p, ev_timer *timer, double credit)
{
    double after = (1 - credit) / p->pace_cps;
    if (after < PTY_PACE_TICK_S)
        after = PTY_PACE_TICK_S;
    ev_timer_stop(p->loop, timer);
    ev_timer_set(timer, after, 0.);
    ev_timer_start(p->loop, timer);
}

/* How many queued bytes may go to the client now (SIZE_MAX: unpaced). */
size_t pty_pace_allow(struct pty_port *p)
{
    if (p->pace_next && p->out_sent >= p->pace_next_at) {
        /* The bytes queued before the rate change are out. */
        p->pace_cps = p->pace_next_cps;
        p->pace_next = false;
        p->out_credit = 0;
        p->out_t = ev_time();
    }
    size_t limit = SIZE_MAX;
    if (p->pace_next)
        limit = (size_t)(p->pace_next_at - p->out_sent);
    if (p->pace_cps <= 0)
        return limit;
    pty_pace_refill(&p->out_credit, &p->out_t, p->pace_cps);
    size_t k = p->out_credit >= 1 ? (size_t)p->out_credit : 0;
    return k < limit ? k : limit;
}

void pty_set_pace(struct pty_port *p, long baud)
{
    double cps = baud > 0 ? baud / 10.0 : 0;
    if (p->master < 0)
        return;
    if (bytebuf_pending(&p->out) == 0 || p->client_gone) {
        if (p->pace_next && p->out_sent < p->pace_next_at) {
            p->pace_next_cps = cps; /* queued for the first client: after them */
            return;
        }
        p->pace_next = false;
        p->pace_cps = cps;
        p->out_credit = 0;
        p->out_t = ev_time();
        return;
    }
    if (!p->pace_next && cps == p->pace_cps)
        return;
    /* Queued bytes keep the rate they were queued at (one change waits at a
     * time; a later one before it applies replaces its rate). */
    if (!p->pace_next)
        p->pace_next_at = p->out_queued;
    p->pace_next_cps = cps;
    p->pace_next = true;
}
