/* A connection's end (conn.h): freed from anywhere, even its own handler
 * (reaper.h), closed in order at SIGTERM, or closed after its queue
 * drains, owned by nobody. */
#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn_private.h"
#include "reaper.h"
#include "trace.h"

static void release(struct conn *c)
{
    ev_timer_stop(L(), &c->delay);
    conn_fx_release(c);
    ev_io_stop(L(), &c->io);
    ev_timer_stop(L(), &c->timeout);
    ev_timer_stop(L(), &c->kick);
    net_cancel(c->query);
    c->query = NULL;
    if (c->ssl)
        SSL_free(c->ssl);
    c->ssl = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    tls_choice_clear(&c->tls);
    bytebuf_free(&c->out);
    SSL_SESSION_free(c->resume);
    c->resume = NULL;
}

/* Conns closing after a flush, owned by nobody: freed at shutdown if their
 * peer has not let them go yet. */
static struct conn *closing_list;

static void closing_unlink(struct conn *c)
{
    if (c->closing_prev)
        c->closing_prev->closing_next = c->closing_next;
    else if (closing_list == c)
        closing_list = c->closing_next;
    if (c->closing_next)
        c->closing_next->closing_prev = c->closing_prev;
    c->closing_next = c->closing_prev = NULL;
}

/* --- orderly shutdown (SIGTERM) --- */

/* While > 0: conn_free() closes established TCP links in order (queued bytes,
 * close_notify, FIN) until this monotonic deadline, and aborts after it. */
static double orderly_deadline;

void conn_close_orderly(double seconds)
{
    orderly_deadline = seconds > 0 ? monotonic_seconds() + seconds : 0;
}

/* Waits up to the deadline for fd to take more bytes (or give some, for a
 * TLS renegotiation); false once the time is up. */
static bool orderly_wait(struct conn *c, short events)
{
    double left = orderly_deadline - monotonic_seconds();
    if (left <= 0)
        return false;
    struct pollfd pfd = {.fd = c->fd, .events = events};
    return poll(&pfd, 1, (int)(left * 1000) + 1) > 0;
}

/* Sends what is queued, then close_notify (TLS) and FIN; true when all of it
 * left in time, false to abort instead. */
static bool close_orderly(struct conn *c)
{
    while (bytebuf_pending(&c->out) > 0) {
        const uint8_t *p = bytebuf_head(&c->out);
        size_t n = bytebuf_pending(&c->out);
        short want = POLLOUT;
        ssize_t w;
        if (c->ssl) {
            ERR_clear_error();
            int rc = SSL_write(c->ssl, p, n > 65536 ? 65536 : (int)n);
            int e = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, rc);
            if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ)
                return false;
            want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
            w = rc > 0 ? rc : 0;
        } else {
            w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                return false;
            if (w < 0)
                w = 0;
        }
        bytebuf_consume(&c->out, (size_t)w);
        if (w == 0 && !orderly_wait(c, want))
            return false;
    }
    if (c->ssl && !c->shut_wr) {
        ERR_clear_error();
        SSL_shutdown(c->ssl); /* our close_notify; the peer's is not awaited */
    }
    shutdown(c->fd, SHUT_WR);
    return true;
}

void conn_free(struct conn *c, bool abortive)
{
    if (!c || c->freed)
        return;
    if (c->fx.abort)
        abortive = true; /* an injected reset or alert (conn_fault.c) */
    else if (orderly_deadline > 0 && c->fd >= 0 && c->kind == CONN_TCP &&
             c->state == CONN_CONNECTED)
        abortive = !close_orderly(c);
    if (c->fd >= 0 && abortive && c->kind == CONN_TCP) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    } else if (c->ssl && c->state == CONN_CONNECTED && !c->shut_wr && orderly_deadline <= 0) {
        SSL_shutdown(c->ssl); /* best effort close_notify; never waits */
    }
    if (c->closing)
        closing_unlink(c);
    release(c);
    c->freed = true;
    c->state = CONN_FAILED;
    /* Its memory goes when this turn of the loop is over (reaper.h): a
     * handler may free its conn while conn_*.c code up the stack still
     * looks at c->freed. */
    reaper_defer(L(), c, free);
}

/* --- closing after the queue drains --- */

/* The handlers a closing conn runs instead of its owner's, which must never
 * hear from it again. */
void conn_closing_shut(struct conn *c)
{
    if (c->shut_wr)
        return;
    if (c->ssl) {
        /* close_notify: without it a TLS peer cannot tell the end of an
         * upload from a truncation.  A full socket takes part of the record;
         * OpenSSL keeps the rest for the next call, and the FIN must wait. */
        ERR_clear_error();
        int rc = SSL_shutdown(c->ssl);
        bool again = rc < 0 && SSL_get_error(c->ssl, rc) == SSL_ERROR_WANT_WRITE;
        ERR_clear_error();
        if (again) {
            c->shut_retry = true;
            conn_update_events(c);
            return;
        }
    }
    c->shut_retry = false;
    c->shut_wr = true;
    shutdown(c->fd, SHUT_WR);
    trace_note(c->trace_id, "net", "%s %s:%d closing: all sent", c->tag, c->host, c->port);
    /* Then read until the peer closes too: closing with its bytes unread
     * would turn the FIN into an RST, which may destroy data it has not yet
     * read.  The bound still holds. */
    ev_timer_set(&c->timeout, CONN_CLOSE_BOUND_S, 0.);
    ev_timer_start(L(), &c->timeout);
}

static void closing_connected(struct conn *c, void *ud)
{
    (void)ud;
    if (bytebuf_pending(&c->out) == 0)
        conn_closing_shut(c);
}

static void closing_readable(struct conn *c, void *ud)
{
    (void)ud;
    char sink[16384];
    ssize_t r;
    while ((r = conn_read(c, sink, sizeof(sink))) > 0)
        ;
    if (r < 0)
        conn_free(c, false);
}

static void closing_sent(struct conn *c, void *ud)
{
    (void)ud;
    if (bytebuf_pending(&c->out) == 0)
        conn_closing_shut(c);
}

static void closing_failed(struct conn *c, void *ud, enum net_err err)
{
    (void)ud;
    (void)err;
    conn_free(c, false);
}

static const struct conn_handlers closing_handlers = {
    .connected = closing_connected,
    .readable = closing_readable,
    .sent = closing_sent,
    .failed = closing_failed,
};

void conn_close_after_flush(struct conn *c)
{
    if (!c || c->freed || c->closing)
        return;
    if (c->kind != CONN_TCP || (c->state != CONN_CONNECTED && c->state != CONN_HANDSHAKING &&
                                c->state != CONN_CONNECTING && c->state != CONN_RESOLVING)) {
        conn_free(c, false); /* nothing can be delivered any more */
        return;
    }
    c->closing = true;
    c->closing_next = closing_list;
    if (closing_list)
        closing_list->closing_prev = c;
    closing_list = c;
    c->h = &closing_handlers;
    c->ud = NULL;
    c->paused = false;
    ev_timer_stop(L(), &c->timeout);
    ev_timer_set(&c->timeout, CONN_CLOSE_BOUND_S, 0.);
    ev_timer_start(L(), &c->timeout);
    trace_note(c->trace_id, "net", "%s %s:%d close after %zu bytes", c->tag, c->host, c->port,
               bytebuf_pending(&c->out));
    if (c->state == CONN_CONNECTED) {
        if (bytebuf_pending(&c->out) == 0) {
            /* From the loop, like everything else this conn does now. */
            c->kick_sent = true;
            ev_timer_start(L(), &c->kick);
        }
        conn_update_events(c);
    }
}

void conn_drop_closing(void)
{
    while (closing_list)
        conn_free(closing_list, true);
    reaper_flush();
}
