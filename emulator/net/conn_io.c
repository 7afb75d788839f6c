/* A connection's bytes (conn.h): sending what is queued, reading, and the
 * moment it is established.  Every fault on the data path (conn_fault.c)
 * is asked here, so it takes the same road as the real thing. */
#include <errno.h>
#include <openssl/err.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "conn_private.h"
#include "trace.h"

void conn_established(struct conn *c)
{
    c->state = CONN_CONNECTED;
    if (!c->closing) /* closing: the close bound keeps running */
        ev_timer_stop(L(), &c->timeout);
    trace_note(c->trace_id, "net", "%s %s:%d connected%s%s%s", c->tag, c->host, c->port,
               c->ssl ? " with " : "", c->ssl ? SSL_get_version(c->ssl) : "",
               c->ssl && SSL_session_reused(c->ssl) ? " (resumed)" : "");
    if (c->ssl)
        trace_note(c->trace_id, "tls", "%s:%d certificate %s %s", c->host, c->port,
                   c->tls.verify ? "verified against" : "not verified:", c->tls.trust);
    conn_update_events(c);
    conn_fx_established(c);
    c->h->connected(c, c->ud);
    if (!c->freed && c->state == CONN_CONNECTED && c->ssl && SSL_pending(c->ssl) > 0 &&
        !c->paused) {
        c->kick_readable = true;
        ev_timer_start(L(), &c->kick);
    }
}

/* --- data --- */

void conn_flush_out(struct conn *c)
{
    while (bytebuf_pending(&c->out) > 0) {
        const uint8_t *p = bytebuf_head(&c->out);
        size_t n = conn_fx_tx_limit(c, bytebuf_pending(&c->out));
        if (n == 0)
            return;
        ssize_t w;
        if (c->ssl) {
            ERR_clear_error();
            int chunk = n > 65536 ? 65536 : (int)n;
            int rc = SSL_write(c->ssl, p, chunk);
            if (rc <= 0) {
                int e = SSL_get_error(c->ssl, rc);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
                    return;
                conn_set_detail(c, "TLS write");
                conn_fail(c, c->tls_alert ? NET_ETLS_ALERT : NET_ERESET);
                return;
            }
            w = rc;
        } else {
            w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    return;
                conn_set_detail(c, "send");
                conn_fail(c, NET_ERESET);
                return;
            }
        }
        bytebuf_consume(&c->out, (size_t)w);
        if (conn_fx_sent(c, (size_t)w))
            return;
        if (c->closing) { /* progress: the bound counts from here */
            ev_timer_set(&c->timeout, CONN_CLOSE_BOUND_S, 0.);
            ev_timer_start(L(), &c->timeout);
        }
    }
    if (c->h->sent) {
        conn_update_events(c);
        c->h->sent(c, c->ud);
    }
}

ssize_t conn_read(struct conn *c, void *buf, size_t n)
{
    if (c->state == CONN_CLOSED || c->state == CONN_FAILED)
        return -1;
    if (c->state != CONN_CONNECTED || n == 0)
        return 0;
    ssize_t fr;
    if (conn_fx_before_read(c, &n, &fr))
        return fr;
    if (c->ssl) {
        ERR_clear_error();
        errno = 0;
        c->ssl_read_wants_write = false;
        int rc = SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
        if (rc > 0)
            return conn_fx_received(c, rc);
        int e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_WANT_READ)
            return 0;
        if (e == SSL_ERROR_WANT_WRITE) {
            c->ssl_read_wants_write = true;
            conn_update_events(c);
            return 0;
        }
        if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0) ||
            (e == SSL_ERROR_SSL && conn_unexpected_eof())) {
            /* close_notify, or a peer that just closed: both orderly. */
            c->err = NET_ECLOSED;
        } else if (e == SSL_ERROR_SYSCALL && errno == ECONNRESET) {
            c->err = NET_ERESET;
        } else {
            conn_set_detail(c, "TLS read");
            c->err = c->tls_alert || e == SSL_ERROR_SSL ? NET_ETLS_ALERT : NET_EIO;
        }
    } else {
        ssize_t r = recv(c->fd, buf, n, 0);
        if (r > 0)
            return conn_fx_received(c, r);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (r == 0 && c->kind == CONN_UDP)
            return 0; /* an empty datagram */
        c->err = r == 0 ? NET_ECLOSED : errno == ECONNRESET ? NET_ERESET : NET_EIO;
        if (r < 0)
            conn_set_detail(c, "recv");
    }
    c->state = CONN_CLOSED;
    trace_note(c->trace_id, "net", "%s %s:%d ended: %s", c->tag, c->host, c->port,
               net_err_name(c->err));
    ev_io_stop(L(), &c->io);
    return -1;
}

void conn_write(struct conn *c, const void *p, size_t n)
{
    if (n == 0 || c->state == CONN_FAILED || c->state == CONN_CLOSED)
        return;
    if (c->kind == CONN_UDP && c->state == CONN_CONNECTED) {
        /* A datagram per call; a full socket buffer drops it, as UDP may. */
        if (send(c->fd, p, n, MSG_NOSIGNAL) < 0)
            trace_note(c->trace_id, "net", "udp send: %s", strerror(errno));
        c->kick_sent = true;
        ev_timer_start(L(), &c->kick);
        return;
    }
    bytebuf_append(&c->out, p, n);
    conn_update_events(c);
}

size_t conn_unsent(const struct conn *c) { return bytebuf_pending(&c->out); }
