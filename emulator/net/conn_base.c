/* What every part of a connection uses (conn_private.h): the events its
 * watcher waits for, the detail of a failure, the failure itself, the hold
 * for the network's latency, and a peer's end without close_notify. */
#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

#include "conn_private.h"
#include "trace.h"

void conn_update_events(struct conn *c)
{
    if (c->fd < 0 || c->delaying)
        return;
    int ev = 0;
    switch (c->state) {
    case CONN_CONNECTING:
        ev = EV_WRITE;
        break;
    case CONN_HANDSHAKING:
        ev = c->io.events ? c->io.events : EV_READ;
        break;
    case CONN_CONNECTED:
        if (!c->paused)
            ev |= EV_READ;
        if ((bytebuf_pending(&c->out) > 0 && !c->fx.tx_hold) || c->ssl_read_wants_write ||
            c->shut_retry)
            ev |= EV_WRITE;
        break;
    default:
        ev = 0;
        break;
    }
    if (ev == (c->io.events & (EV_READ | EV_WRITE)) && ev_is_active(&c->io))
        return;
    ev_io_stop(L(), &c->io);
    if (ev) {
        ev_io_set(&c->io, c->fd, ev);
        ev_io_start(L(), &c->io);
    }
}

void conn_set_detail(struct conn *c, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    if (e)
        snprintf(c->detail, sizeof(c->detail), "%s: %s", what, ERR_reason_error_string(e));
    else if (errno)
        snprintf(c->detail, sizeof(c->detail), "%s: %s", what, strerror(errno));
    else
        snprintf(c->detail, sizeof(c->detail), "%s", what);
    ERR_clear_error();
}

void conn_fail(struct conn *c, enum net_err err)
{
    if (c->state == CONN_FAILED)
        return;
    c->state = CONN_FAILED;
    c->err = err;
    trace_note(c->trace_id, "net", "%s %s:%d failed: %s (%s)", c->tag, c->host, c->port,
               net_err_name(err), c->detail);
    ev_io_stop(L(), &c->io);
    ev_timer_stop(L(), &c->timeout);
    ev_timer_stop(L(), &c->kick);
    ev_timer_stop(L(), &c->delay);
    c->delaying = false;
    c->h->failed(c, c->ud, err);
}

/* Holds the conn for the network's latency (conn_set_latency): no I/O,
 * then delay_cb goes on where it stopped.  The connect timeout runs on. */
void conn_hold(struct conn *c, double seconds)
{
    ev_io_stop(L(), &c->io);
    c->delaying = true;
    ev_timer_set(&c->delay, seconds, 0.);
    ev_timer_start(L(), &c->delay);
}

/* OpenSSL 3 reports a peer that closed without close_notify as an SSL
 * error (and "sends" a decode_error alert into the closed socket); for the
 * module that is a connection that ended, not an alert exchange. */
bool conn_unexpected_eof(void)
{
    unsigned long e = ERR_peek_error();
    return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}
