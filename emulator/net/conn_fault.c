/* Injected faults inside a connection (conn_fault.h, README "Fault
 * injection"): each takes the connection's own failure path (conn_fail(),
 * the end of conn_read()), so the owner cannot tell it from the real thing. */
#include <stdio.h>
#include <string.h>

#include "conn_fault.h"
#include "conn_private.h"
#include "trace.h"

static conn_fault_hook_fn fault_hook;
static struct conn *live_conns; /* every conn not yet freed, for status */

void conn_fault_set_hook(conn_fault_hook_fn fn) { fault_hook = fn; }

void conn_fault_each(void (*fn)(struct conn *c, int modem, const char *host, int port, void *ud),
                     void *ud)
{
    for (struct conn *c = live_conns; c; c = c->fx.live_next)
        fn(c, c->trace_id, c->host, c->port, ud);
}

static void fx_unlink(struct conn *c)
{
    struct conn_faults *f = &c->fx;
    if (f->live_prev)
        f->live_prev->fx.live_next = f->live_next;
    else if (live_conns == c)
        live_conns = f->live_next;
    if (f->live_next)
        f->live_next->fx.live_prev = f->live_prev;
    f->live_next = f->live_prev = NULL;
}

void conn_fx_release(struct conn *c)
{
    ev_timer_stop(L(), &c->fx.timer);
    fx_unlink(c);
}

static void fx_apply_pause(struct conn *c)
{
    bool pause = c->fx.owner_paused || c->fx.hold;
    if (c->paused == pause)
        return;
    c->paused = pause;
    if (c->state != CONN_CONNECTED)
        return;
    conn_update_events(c);
}

static void fx_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct conn *c = t->data;
    struct conn_faults *f = &c->fx;
    f->hold = false;
    f->tx_hold = false;
    if (c->state != CONN_CONNECTED)
        return;
    fx_apply_pause(c);
    conn_update_events(c);
    if (!c->paused) { /* what waited in the socket or in OpenSSL */
        c->kick_readable = true;
        ev_timer_start(L(), &c->kick);
    }
}

/* Holds reading (and, with tx, sending) for s seconds; a shorter hold
 * already running wins. */
static void fx_hold(struct conn *c, double s, bool rx, bool tx)
{
    struct conn_faults *f = &c->fx;
    if (ev_is_active(&f->timer)) {
        if (ev_timer_remaining(L(), &f->timer) > s) {
            ev_timer_stop(L(), &f->timer);
            ev_timer_set(&f->timer, s, 0.);
            ev_timer_start(L(), &f->timer);
        }
    } else {
        ev_timer_set(&f->timer, s, 0.);
        ev_timer_start(L(), &f->timer);
    }
    if (rx)
        f->hold = true;
    if (tx)
        f->tx_hold = true;
    fx_apply_pause(c);
    conn_update_events(c);
}

static void fx_fail_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct conn *c = t->data;
    conn_fail(c, (enum net_err)c->fx.err);
}

/* Asks the hook about a new conn; true when the fault decided the connect
 * (no lookup follows). */
bool conn_fx_open(struct conn *c)
{
    struct conn_faults *f = &c->fx;
    memset(f, 0, sizeof(*f));
    ev_timer_init(&f->timer, fx_timer_cb, 0., 0.);
    f->timer.data = c;
    f->live_next = live_conns;
    if (live_conns)
        live_conns->fx.live_prev = c;
    live_conns = c;
    if (!fault_hook)
        return false;
    struct conn_fault_subject s = {
        .modem = c->trace_id, .tag = c->tag, .host = c->host, .port = c->port, .tls = c->want_tls};
    if (!fault_hook(&s, &f->plan))
        return false;
    f->on = true;
    double now = ev_now(L());
    f->rx_t = f->tx_t = now;
    f->rx_tokens = f->plan.rate_rx > 10 ? f->plan.rate_rx / 10.0 : 1;
    f->tx_tokens = f->plan.rate_tx > 10 ? f->plan.rate_tx / 10.0 : 1;
    f->last_rx = f->last_tx = now - 3600;
    switch (f->plan.kind) {
    case CF_DNS:
    case CF_REFUSE:
        f->err = f->plan.kind == CF_DNS ? NET_EDNS : NET_EREFUSED;
        snprintf(c->detail, sizeof(c->detail), "%s (fault rule %d)",
                 f->plan.kind == CF_DNS ? "cannot resolve" : "connect: Connection refused",
                 f->plan.rule);
        /* From the loop, as conn_open() promises. */
        ev_timer_stop(L(), &c->timeout);
        ev_set_cb(&f->timer, fx_fail_cb);
        ev_timer_set(&f->timer, 0., 0.);
        ev_timer_start(L(), &f->timer);
        return true;
    case CF_TIMEOUT:
        /* Nothing answers: the conn's own timeout, or the rule's. */
        if (f->plan.seconds > 0) {
            c->timeout_s = f->plan.seconds;
            ev_timer_stop(L(), &c->timeout);
            ev_timer_set(&c->timeout, c->timeout_s, 0.);
            ev_timer_start(L(), &c->timeout);
        }
        c->state = CONN_CONNECTING;
        return true;
    default:
        return false;
    }
}

/* conn_start_tls(): the handshake about to start in place asks the TLS
 * rules now, as a conn opened with TLS asked them at its open.  A plan the
 * open already gave (a reset, a stall still to come) keeps the conn. */
void conn_fx_upgrade(struct conn *c)
{
    struct conn_faults *f = &c->fx;
    if (!fault_hook)
        return;
    if (f->on && f->plan.kind != CF_NONE) {
        trace_note(c->trace_id, "fault",
                   "%s %s:%d: rule %d applies since the open; TLS rules "
                   "not asked for this handshake",
                   c->tag, c->host, c->port, f->plan.rule);
        return;
    }
    struct conn_fault_subject s = {.modem = c->trace_id,
                                   .tag = c->tag,
                                   .host = c->host,
                                   .port = c->port,
                                   .tls = true,
                                   .upgrade = true};
    struct conn_fault_plan tls;
    if (!fault_hook(&s, &tls) || tls.kind == CF_NONE)
        return;
    if (!f->on) {
        double now = ev_now(L());
        f->rx_t = f->tx_t = now;
        f->last_rx = f->last_tx = now - 3600;
    }
    f->on = true;
    f->plan.kind = tls.kind;
    f->plan.after = tls.after;
    f->plan.dir = tls.dir;
    f->plan.alert = tls.alert;
    f->plan.rule = tls.rule;
    /* alert-after counts the bytes inside TLS, from its first record. */
    f->rx = f->tx = 0;
}

static bool fx_cut_kind(const struct conn_faults *f)
{
    return f->plan.kind == CF_ALERT || f->plan.kind == CF_RESET || f->plan.kind == CF_CLOSE;
}

static enum net_err fx_cut_err(struct conn *c)
{
    struct conn_faults *f = &c->fx;
    const char *alert = f->plan.alert >= 0 ? SSL_alert_desc_string_long(f->plan.alert << 0) : "";
    /* The peer must see the break as well: an upload cut short must not
     * end with a FIN the server takes for a complete file. */
    f->abort = f->plan.kind != CF_CLOSE;
    switch (f->plan.kind) {
    case CF_ALERT:
        c->tls_alert = true;
        snprintf(c->detail, sizeof(c->detail), "TLS alert received %s (fault rule %d)", alert,
                 f->plan.rule);
        return NET_ETLS_ALERT;
    case CF_RESET:
        snprintf(c->detail, sizeof(c->detail), "reset by peer (fault rule %d)", f->plan.rule);
        return NET_ERESET;
    default:
        snprintf(c->detail, sizeof(c->detail), "closed by peer (fault rule %d)", f->plan.rule);
        return NET_ECLOSED;
    }
}

/* The handshake: true when the fault ended it. */
bool conn_fx_handshake(struct conn *c)
{
    struct conn_faults *f = &c->fx;
    if (!f->on || f->plan.kind != CF_TLS)
        return false;
    c->state = CONN_HANDSHAKING;
    if (f->plan.alert >= 0) {
        c->tls_alert = true;
        snprintf(c->detail, sizeof(c->detail), "TLS alert received %s (fault rule %d)",
                 SSL_alert_desc_string_long(f->plan.alert), f->plan.rule);
        conn_fail(c, NET_ETLS_ALERT);
    } else {
        snprintf(c->detail, sizeof(c->detail),
                 "TLS handshake failed: the peer closed (fault rule %d)", f->plan.rule);
        conn_fail(c, NET_ETLS_HANDSHAKE);
    }
    return true;
}

void conn_fx_established(struct conn *c)
{
    struct conn_faults *f = &c->fx;
    if (!f->on)
        return;
    /* A cut at byte 0: the owner hears it at its first read. */
    if (fx_cut_kind(f) && f->plan.dir == 1 && f->plan.after == 0) {
        f->cut = true;
        f->err = fx_cut_err(c);
        c->kick_readable = true;
        ev_timer_start(L(), &c->kick);
    }
    if (f->plan.kind == CF_STALL && f->plan.after == 0 && !f->stalled) {
        f->stalled = true;
        trace_note(c->trace_id, "fault", "rule %d: %s %s:%d stalls %.3f s", f->plan.rule, c->tag,
                   c->host, c->port, f->plan.seconds);
        fx_hold(c, f->plan.seconds, true, true);
    }
}

/* Before a read: true with *ret when the fault answers instead; may lower *n. */
bool conn_fx_before_read(struct conn *c, size_t *n, ssize_t *ret)
{
    struct conn_faults *f = &c->fx;
    if (!f->on)
        return false;
    if (fx_cut_kind(f) && f->plan.dir == 1 && !f->cut && f->rx >= f->plan.after) {
        f->cut = true;
        f->err = fx_cut_err(c);
    }
    if (f->cut) {
        c->err = (enum net_err)f->err;
        c->state = CONN_CLOSED;
        trace_note(c->trace_id, "net", "%s %s:%d ended: %s after %ld bytes (%s)", c->tag, c->host,
                   c->port, net_err_name(c->err), f->rx, c->detail);
        ev_io_stop(L(), &c->io);
        ev_timer_stop(L(), &f->timer);
        *ret = -1;
        return true;
    }
    if (f->hold) {
        *ret = 0;
        return true;
    }
    if (fx_cut_kind(f) && f->plan.dir == 1 && (long)*n > f->plan.after - f->rx)
        *n = (size_t)(f->plan.after - f->rx); /* exactly up to the cut: no byte lost */
    if (f->plan.kind == CF_STALL && f->plan.dir == 1 && !f->stalled) {
        if (f->rx >= f->plan.after) {
            f->stalled = true;
            trace_note(c->trace_id, "fault", "rule %d: %s %s:%d stalls %.3f s after %ld bytes",
                       f->plan.rule, c->tag, c->host, c->port, f->plan.seconds, f->rx);
            fx_hold(c, f->plan.seconds, true, true);
            *ret = 0;
            return true;
        }
        if ((long)*n > f->plan.after - f->rx)
            *n = (size_t)(f->plan.after - f->rx);
    }
    double now = ev_now(L());
    if (f->plan.latency_ms > 0) {
        /* Each burst after a quiet spell of at least the latency waits that
         * long before its first byte reaches the owner. */
        double l = f->plan.latency_ms / 1000.0;
        if (now - f->last_rx >= l && now >= f->latency_until) {
            f->latency_until = now + l;
            f->last_rx = now + l;
        }
        if (now < f->latency_until) {
            fx_hold(c, f->latency_until - now, true, false);
            *ret = 0;
            return true;
        }
    }
    if (f->plan.rate_rx > 0) {
        double cap = f->plan.rate_rx > 10 ? f->plan.rate_rx / 10.0 : 1;
        f->rx_tokens += (now - f->rx_t) * (double)f->plan.rate_rx;
        f->rx_t = now;
        if (f->rx_tokens > cap)
            f->rx_tokens = cap;
        if (f->rx_tokens < 1) {
            fx_hold(c, (1 - f->rx_tokens) / (double)f->plan.rate_rx, true, false);
            *ret = 0;
            return true;
        }
        if ((double)*n > f->rx_tokens)
            *n = (size_t)f->rx_tokens;
    }
    return false;
}

ssize_t conn_fx_received(struct conn *c, ssize_t got)
{
    struct conn_faults *f = &c->fx;
    if (!f->on)
        return got;
    f->rx += got;
    f->last_rx = ev_now(L());
    if (f->plan.rate_rx > 0)
        f->rx_tokens -= (double)got;
    return got;
}

/* How many of n queued bytes may go out now (0: wait). */
size_t conn_fx_tx_limit(struct conn *c, size_t n)
{
    struct conn_faults *f = &c->fx;
    if (!f->on)
        return n;
    if (f->tx_hold)
        return 0;
    if ((fx_cut_kind(f) || f->plan.kind == CF_STALL) && f->plan.dir == 2) {
        long left = f->plan.after - f->tx;
        if (left <= 0) {
            if (f->plan.kind == CF_STALL) {
                if (!f->stalled) {
                    f->stalled = true;
                    trace_note(c->trace_id, "fault",
                               "rule %d: %s %s:%d stalls %.3f s after %ld bytes sent", f->plan.rule,
                               c->tag, c->host, c->port, f->plan.seconds, f->tx);
                    fx_hold(c, f->plan.seconds, true, true);
                    return 0;
                }
            } else {
                return 0; /* conn_fx_sent() failed the conn */
            }
        } else if ((long)n > left) {
            n = (size_t)left;
        }
    }
    double now = ev_now(L());
    if (f->plan.latency_tx_ms > 0) {
        double l = f->plan.latency_tx_ms / 1000.0;
        if (now - f->last_tx >= l && now >= f->latency_tx_until) {
            f->latency_tx_until = now + l;
            f->last_tx = now + l;
        }
        if (now < f->latency_tx_until) {
            fx_hold(c, f->latency_tx_until - now, false, true);
            return 0;
        }
    }
    if (f->plan.rate_tx > 0) {
        double cap = f->plan.rate_tx > 10 ? f->plan.rate_tx / 10.0 : 1;
        f->tx_tokens += (now - f->tx_t) * (double)f->plan.rate_tx;
        f->tx_t = now;
        if (f->tx_tokens > cap)
            f->tx_tokens = cap;
        if (f->tx_tokens < 1) {
            fx_hold(c, (1 - f->tx_tokens) / (double)f->plan.rate_tx, false, true);
            return 0;
        }
        if ((double)n > f->tx_tokens)
            n = (size_t)f->tx_tokens;
    }
    return n;
}

/* After bytes went out: true when the fault ended the conn. */
bool conn_fx_sent(struct conn *c, size_t w)
{
    struct conn_faults *f = &c->fx;
    if (!f->on)
        return false;
    f->tx += (long)w;
    f->last_tx = ev_now(L());
    if (f->plan.rate_tx > 0)
        f->tx_tokens -= (double)w;
    if (fx_cut_kind(f) && f->plan.dir == 2 && f->tx >= f->plan.after) {
        enum net_err e = fx_cut_err(c);
        conn_fail(c, e);
        return true;
    }
    return false;
}

void conn_fault_end(struct conn *c, int err)
{
    if (!c || c->freed || c->state != CONN_CONNECTED)
        return;
    c->fx.on = true;
    c->fx.cut = true;
    c->fx.err = err;
    snprintf(c->detail, sizeof(c->detail), "ended by a fault");
    if (!c->closing) {
        c->kick_readable = true;
        ev_timer_start(L(), &c->kick);
    }
}
