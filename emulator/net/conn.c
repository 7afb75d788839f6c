/* TCP/UDP connections, plain or TLS, non-blocking on libev.  TLS handling
 * follows Redis's tls.c: the handshake runs from the I/O events, WANT_READ
 * and WANT_WRITE re-arm the watcher, and decrypted bytes already inside
 * OpenSSL (SSL_pending) are served by a kick, since they never wake the
 * poller. */
#include "conn.h"
#include "conn_fault.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trace.h"
#include "util.h"

struct conn {
    enum conn_state state;
    enum conn_kind kind;
    enum net_err err;
    char detail[400]; /* room for a mismatch hint (mismatch_hint) */
    int fd;
    SSL *ssl;
    bool tls_alert; /* a fatal alert went either way */
    int alert_in;   /* the description of a fatal alert the peer sent; -1: none */
    bool want_tls;
    struct tls_choice tls; /* a copy: the caller's may not outlive the connect */
    char host[256];
    char verify_name[256]; /* the certificate's name and SNI; "": host */
    SSL_SESSION *resume;   /* offered in the next handshake; a reference */
    char tag[CONN_TAG_MAX];
    int port;
    int local_port;
    char peer[64];
    char remote[64]; /* the address really connected to (after the map) */
    int trace_id;
    const struct conn_handlers *h;
    void *ud;
    struct net_query *query;
    ev_io io;
    ev_timer timeout;
    ev_timer kick; /* serves SSL_pending bytes and deferred events */
    bool kick_readable;
    bool kick_sent;
    bool paused;
    bool ssl_read_wants_write;
    struct bytebuf out;
    bool freed;      /* conn_free() ran: only the memory is left */
    bool closing;    /* conn_close_after_flush(): h is closing_handlers */
    bool shut_wr;    /* closing: close_notify and FIN are out */
    bool shut_retry; /* closing: the close_notify did not fit the socket yet */
    struct conn *graveyard_next;
    struct conn *closing_next, *closing_prev; /* the closing list, while closing */
    double timeout_s;
    ev_timer delay;        /* conn_set_latency(): the network's round trips */
    bool delaying;         /* waiting for it: no I/O meanwhile */
    bool delayed_tcp;      /* the connect's delay has run */
    bool delayed_tls;      /* this handshake's delay has run */
    struct conn_faults fx; /* injected faults (conn_fault.h), at the end of this file */
};

/* conn_set_latency() */
static double latency_connect_s, latency_tls_s;

void conn_set_latency(double connect_s, double tls_s)
{
    latency_connect_s = connect_s > 0 ? connect_s : 0;
    latency_tls_s = tls_s > 0 ? tls_s : 0;
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void start_handshake(struct conn *c);
static void closing_shut(struct conn *c);

static struct ev_loop *L(void) { return net_loop(); }

static void fail(struct conn *c, enum net_err err);
static void update_events(struct conn *c);
#include "conn_fault_impl.h"

static void release(struct conn *c)
{
    ev_timer_stop(L(), &c->delay);
    fx_release(c);
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

/* Freed conns wait here until the loop is about to block again, so a
 * handler may conn_free() its conn while conn.c code up the stack still
 * looks at it (c->freed). */
static struct conn *graveyard;
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
static ev_prepare graveyard_watcher;
static bool graveyard_ready;

static void graveyard_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)revents;
    while (graveyard) {
        struct conn *c = graveyard;
        graveyard = c->graveyard_next;
        free(c);
    }
    ev_prepare_stop(loop, w);
}

static void bury(struct conn *c)
{
    if (!graveyard_ready) {
        ev_prepare_init(&graveyard_watcher, graveyard_cb);
        graveyard_ready = true;
    }
    c->graveyard_next = graveyard;
    graveyard = c;
    ev_prepare_start(L(), &graveyard_watcher);
}

static void update_events(struct conn *c)
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

static void set_detail(struct conn *c, const char *what)
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

static void fail(struct conn *c, enum net_err err)
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

static void established(struct conn *c)
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
    update_events(c);
    fx_established(c);
    c->h->connected(c, c->ud);
    if (!c->freed && c->state == CONN_CONNECTED && c->ssl && SSL_pending(c->ssl) > 0 &&
        !c->paused) {
        c->kick_readable = true;
        ev_timer_start(L(), &c->kick);
    }
}

/* --- TLS --- */

static void info_cb(const SSL *ssl, int where, int ret)
{
    if (!(where & SSL_CB_ALERT))
        return;
    struct conn *c = SSL_get_app_data(ssl);
    /* ret: alert level in the high byte.  A close_notify is a warning. */
    if (c && (ret >> 8) == SSL3_AL_FATAL) {
        c->tls_alert = true;
        if (where & SSL_CB_READ)
            c->alert_in = ret & 0xff;
        snprintf(c->detail, sizeof(c->detail), "TLS alert %s %s",
                 (where & SSL_CB_READ) ? "received" : "sent", SSL_alert_desc_string_long(ret));
    }
}

/* OpenSSL 3 reports a peer that closed without close_notify as an SSL
 * error (and "sends" a decode_error alert into the closed socket); for the
 * module that is a connection that ended, not an alert exchange. */
static bool unexpected_eof(void)
{
    unsigned long e = ERR_peek_error();
    return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

/* Holds the conn for the network's latency (conn_set_latency): no I/O,
 * then delay_cb goes on where it stopped.  The connect timeout runs on. */
static void hold(struct conn *c, double seconds)
{
    ev_io_stop(L(), &c->io);
    c->delaying = true;
    ev_timer_set(&c->delay, seconds, 0.);
    ev_timer_start(L(), &c->delay);
}

static void connect_done(struct conn *c);

static void delay_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct conn *c = t->data;
    c->delaying = false;
    if (c->state == CONN_CONNECTING)
        connect_done(c);
    else if (c->state == CONN_HANDSHAKING)
        established(c);
}

/* A server that refuses the profile's TLS version or ciphers answers with
 * protocol_version, handshake_failure, insufficient_security or (Python's
 * ssl) internal_error: say so in those words, with what the profile offers
 * and the program's advice (tls_set_mismatch_advice). */
static void mismatch_hint(struct conn *c, unsigned long reason)
{
    bool version = c->alert_in == SSL_AD_PROTOCOL_VERSION || reason == SSL_R_UNSUPPORTED_PROTOCOL ||
                   reason == SSL_R_WRONG_VERSION_NUMBER;
    bool cipher = c->alert_in == SSL_AD_HANDSHAKE_FAILURE ||
                  c->alert_in == SSL_AD_INSUFFICIENT_SECURITY ||
                  c->alert_in == SSL_AD_INTERNAL_ERROR || reason == SSL_R_NO_CIPHERS_AVAILABLE;
    if (!version && !cipher)
        return;
    char hint[400];
    snprintf(hint, sizeof(hint), "; %s mismatch? this profile offers %s to %s%s%.100s%s%.160s",
             version ? "TLS version" : "TLS version or cipher",
             tls_version_name(c->tls.policy.min_version),
             tls_version_name(c->tls.policy.max_version), c->tls.policy.ciphers[0] ? " with " : "",
             c->tls.policy.ciphers, tls_mismatch_advice()[0] ? "; " : "", tls_mismatch_advice());
    size_t used = strlen(c->detail);
    snprintf(c->detail + used, sizeof(c->detail) - used, "%s", hint);
}

static void drive_handshake(struct conn *c)
{
    ERR_clear_error();
    errno = 0;
    int rc = SSL_do_handshake(c->ssl);
    if (rc == 1) {
        /* A full handshake takes the client two round trips before it may
         * send data (TLS 1.0-1.2), a resumed one one. */
        if (latency_tls_s > 0 && !c->delayed_tls) {
            c->delayed_tls = true;
            hold(c, SSL_session_reused(c->ssl) ? latency_tls_s / 2 : latency_tls_s);
            return;
        }
        established(c);
        return;
    }
    int e = SSL_get_error(c->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ev_io_stop(L(), &c->io);
        ev_io_set(&c->io, c->fd, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
        ev_io_start(L(), &c->io);
        return;
    }
    bool had_alert = c->tls_alert && !unexpected_eof();
    long verdict = c->tls.verify ? SSL_get_verify_result(c->ssl) : X509_V_OK;
    unsigned long reason = ERR_GET_REASON(ERR_peek_last_error());
    if (verdict != X509_V_OK)
        snprintf(c->detail, sizeof(c->detail), "certificate rejected: %s",
                 X509_verify_cert_error_string(verdict));
    else if (!had_alert)
        set_detail(c, "TLS handshake failed");
    if (verdict == X509_V_OK)
        mismatch_hint(c, reason);
    /* An alert (a version the server refuses, a certificate we reject) is
     * 606 for HTTP; a handshake that just died is 605 (SIM800 SSL Application Note V1.00 §2.2; the
     * split is our choice). */
    fail(c, had_alert ? NET_ETLS_ALERT : NET_ETLS_HANDSHAKE);
}

static void start_handshake(struct conn *c)
{
    if (fx_handshake(c))
        return;
    char err[200];
    SSL_CTX *ctx = tls_ctx_for(&c->tls.policy, err, sizeof(err));
    if (ctx)
        c->ssl = tls_new_ssl(ctx, &c->tls, c->verify_name[0] ? c->verify_name : c->host);
    if (!ctx || !c->ssl) {
        snprintf(c->detail, sizeof(c->detail), "%.150s", ctx ? "SSL_new failed" : err);
        fail(c, NET_ETLS_HANDSHAKE);
        return;
    }
    /* A session offered for resumption (an FTPS data channel offers its
     * control channel's).  The server may decline: the handshake then
     * simply runs in full, and conn_tls_resumed() says which happened. */
    ERR_clear_error();
    if (c->resume && SSL_set_session(c->ssl, c->resume) != 1)
        ERR_clear_error();
    SSL_set_app_data(c->ssl, c);
    SSL_set_info_callback(c->ssl, info_cb);
    SSL_set_fd(c->ssl, c->fd);
    trace_note(c->trace_id, "tls", "%s:%d handshake; certificate %s %s", c->host, c->port,
               c->tls.verify ? "checked against" : "not checked:", c->tls.trust);
    c->state = CONN_HANDSHAKING;
    c->tls_alert = false;
    c->alert_in = -1;
    c->delayed_tls = false;
    if (!ev_is_active(&c->timeout)) {
        ev_timer_set(&c->timeout, c->timeout_s, 0.);
        ev_timer_start(L(), &c->timeout);
    }
    drive_handshake(c);
}

/* --- connect --- */

static void connect_done(struct conn *c)
{
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    /* A failed query says nothing about the connect: a failure, not a success. */
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        soerr = errno;
    if (soerr) {
        errno = soerr;
        set_detail(c, "connect");
        /* ECONNRESET: the peer accepted, then reset before the loop saw the
         * connect complete (a server that sends and aborts at once). */
        fail(c, soerr == ETIMEDOUT    ? NET_ETIMEOUT
                : soerr == ECONNRESET ? NET_ERESET
                                      : NET_EREFUSED);
        return;
    }
    /* The TCP handshake's round trip over the radio network. */
    if (latency_connect_s > 0 && c->kind == CONN_TCP && !c->delayed_tcp) {
        c->delayed_tcp = true;
        hold(c, latency_connect_s);
        return;
    }
    if (c->want_tls)
        start_handshake(c);
    else
        established(c);
}

static void resolved_cb(void *ud, enum net_err err, const struct net_addr *addrs, int count)
{
    struct conn *c = ud;
    c->query = NULL;
    if (err != NET_OK || count == 0) {
        /* The first line a newcomer reads: name the cure too. */
        snprintf(c->detail, sizeof(c->detail),
                 "cannot resolve %.80s: no --map for it, and DNS gave no address", c->host);
        fail(c, err != NET_OK ? err : NET_EDNS);
        return;
    }
    const struct net_addr *a = &addrs[0];
    str_copy(c->peer, sizeof(c->peer), a->shown);
    str_copy(c->remote, sizeof(c->remote), a->text);
    int type = c->kind == CONN_UDP ? SOCK_DGRAM : SOCK_STREAM;
    c->fd = socket(a->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        set_detail(c, "socket");
        fail(c, NET_EIO);
        return;
    }
    if (c->kind == CONN_TCP) {
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (c->local_port > 0) {
        int one = 1;
        setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_storage local;
        memset(&local, 0, sizeof(local));
        local.ss_family = a->sa.ss_family;
        if (local.ss_family == AF_INET)
            ((struct sockaddr_in *)&local)->sin_port = htons((uint16_t)c->local_port);
        else
            ((struct sockaddr_in6 *)&local)->sin6_port = htons((uint16_t)c->local_port);
        if (bind(c->fd, (struct sockaddr *)&local, a->len) < 0) {
            set_detail(c, "bind local port");
            fail(c, NET_EIO);
            return;
        }
    }
    ev_io_init(&c->io, io_cb, c->fd, EV_WRITE);
    c->io.data = c;
    if (connect(c->fd, (const struct sockaddr *)&a->sa, a->len) == 0) {
        connect_done(c);
        return;
    }
    if (errno != EINPROGRESS) {
        set_detail(c, "connect");
        fail(c, NET_EREFUSED);
        return;
    }
    c->state = CONN_CONNECTING;
    update_events(c);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct conn *c = t->data;
    if (c->closing) {
        trace_note(c->trace_id, "net", "%s %s:%d close: no progress within %.0f s, aborted", c->tag,
                   c->host, c->port, CONN_CLOSE_BOUND_S);
        conn_free(c, true);
        return;
    }
    snprintf(c->detail, sizeof(c->detail), "no answer within %.0f s", c->timeout_s);
    fail(c, NET_ETIMEOUT);
}

/* --- data --- */

static void flush_out(struct conn *c)
{
    while (bytebuf_pending(&c->out) > 0) {
        const uint8_t *p = bytebuf_head(&c->out);
        size_t n = fx_tx_limit(c, bytebuf_pending(&c->out));
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
                set_detail(c, "TLS write");
                fail(c, c->tls_alert ? NET_ETLS_ALERT : NET_ERESET);
                return;
            }
            w = rc;
        } else {
            w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    return;
                set_detail(c, "send");
                fail(c, NET_ERESET);
                return;
            }
        }
        bytebuf_consume(&c->out, (size_t)w);
        if (fx_sent(c, (size_t)w))
            return;
        if (c->closing) { /* progress: the bound counts from here */
            ev_timer_set(&c->timeout, CONN_CLOSE_BOUND_S, 0.);
            ev_timer_start(L(), &c->timeout);
        }
    }
    if (c->h->sent) {
        update_events(c);
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
    if (fx_before_read(c, &n, &fr))
        return fr;
    if (c->ssl) {
        ERR_clear_error();
        errno = 0;
        c->ssl_read_wants_write = false;
        int rc = SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
        if (rc > 0)
            return fx_received(c, rc);
        int e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_WANT_READ)
            return 0;
        if (e == SSL_ERROR_WANT_WRITE) {
            c->ssl_read_wants_write = true;
            update_events(c);
            return 0;
        }
        if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0) ||
            (e == SSL_ERROR_SSL && unexpected_eof())) {
            /* close_notify, or a peer that just closed: both orderly. */
            c->err = NET_ECLOSED;
        } else if (e == SSL_ERROR_SYSCALL && errno == ECONNRESET) {
            c->err = NET_ERESET;
        } else {
            set_detail(c, "TLS read");
            c->err = c->tls_alert || e == SSL_ERROR_SSL ? NET_ETLS_ALERT : NET_EIO;
        }
    } else {
        ssize_t r = recv(c->fd, buf, n, 0);
        if (r > 0)
            return fx_received(c, r);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (r == 0 && c->kind == CONN_UDP)
            return 0; /* an empty datagram */
        c->err = r == 0 ? NET_ECLOSED : errno == ECONNRESET ? NET_ERESET : NET_EIO;
        if (r < 0)
            set_detail(c, "recv");
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
    update_events(c);
}

size_t conn_unsent(const struct conn *c) { return bytebuf_pending(&c->out); }

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    struct conn *c = w->data;
    if (c->delaying) {
        ev_io_stop(L(), &c->io);
        return;
    }
    switch (c->state) {
    case CONN_CONNECTING:
        connect_done(c);
        return;
    case CONN_HANDSHAKING:
        if (c->ssl)
            drive_handshake(c);
        else
            start_handshake(c); /* conn_start_tls() asked for it */
        return;
    case CONN_CONNECTED:
        break;
    default:
        ev_io_stop(L(), &c->io);
        return;
    }
    if ((revents & EV_WRITE) && bytebuf_pending(&c->out) > 0)
        flush_out(c);
    if ((revents & EV_WRITE) && c->shut_retry && !c->freed)
        closing_shut(c);
    if (c->freed || c->state != CONN_CONNECTED)
        return;
    if ((revents & (EV_READ | EV_WRITE)) && !c->paused &&
        ((revents & EV_READ) || c->ssl_read_wants_write))
        c->h->readable(c, c->ud);
    if (c->freed)
        return;
    if (c->state == CONN_CONNECTED) {
        if (c->ssl && !c->paused && SSL_pending(c->ssl) > 0) {
            c->kick_readable = true;
            ev_timer_start(L(), &c->kick);
        }
        update_events(c);
    }
}

static void kick_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct conn *c = t->data;
    bool readable = c->kick_readable, sent = c->kick_sent;
    c->kick_readable = c->kick_sent = false;
    if (sent && c->h->sent)
        c->h->sent(c, c->ud);
    if (readable && !c->freed && c->state == CONN_CONNECTED && !c->paused)
        c->h->readable(c, c->ud);
    if (c->freed)
        return;
    if (c->state == CONN_CONNECTED && c->ssl && !c->paused && SSL_pending(c->ssl) > 0) {
        c->kick_readable = true;
        ev_timer_start(L(), &c->kick);
    }
}

/* --- public --- */

/* The one constructor: every conn, opened or accepted, gets its timers,
 * its trace line, its place in the status list and its fault plan here, so
 * no path can skip one of them.  fd < 0: connect later (conn_open).  True
 * in *decided when a fault rule decided the connect already. */
static struct conn *conn_new(const struct conn_params *p, int fd, const struct conn_handlers *h,
                             void *ud, bool *decided)
{
    struct conn *c = xcalloc(1, sizeof(*c));
    c->fd = fd;
    c->kind = p->kind;
    c->h = h;
    c->ud = ud;
    c->want_tls = p->tls && p->kind == CONN_TCP;
    if (c->want_tls)
        tls_choice_copy(&c->tls, p->tls_choice);
    str_copy(c->host, sizeof(c->host), p->host ? p->host : "");
    if (p->verify_name)
        str_copy(c->verify_name, sizeof(c->verify_name), p->verify_name);
    str_copy(c->tag, sizeof(c->tag), p->tag && p->tag[0] ? p->tag : "conn");
    if (p->resume && p->kind == CONN_TCP && SSL_SESSION_up_ref(p->resume) == 1)
        c->resume = p->resume;
    c->port = p->port;
    c->local_port = p->local_port;
    c->trace_id = p->trace_id;
    c->timeout_s = p->timeout_s > 0 ? p->timeout_s : 75.0;
    c->state = CONN_RESOLVING;
    ev_timer_init(&c->timeout, timeout_cb, c->timeout_s, 0.);
    c->timeout.data = c;
    ev_timer_init(&c->kick, kick_cb, 0., 0.);
    c->kick.data = c;
    ev_init(&c->delay, delay_cb);
    c->delay.data = c;
    ev_io_init(&c->io, io_cb, fd, EV_WRITE);
    c->io.data = c;
    ev_timer_start(L(), &c->timeout);
    if (fd >= 0)
        trace_note(c->trace_id, "net", "%s accepted %s:%d%s", c->tag, c->host, c->port,
                   c->want_tls ? " tls" : "");
    else
        trace_note(c->trace_id, "net", "%s open %s %s:%d%s%s%s", c->tag,
                   p->kind == CONN_UDP ? "udp" : "tcp", c->host, c->port, c->want_tls ? " tls" : "",
                   c->verify_name[0] ? " as " : "", c->verify_name);
    *decided = fx_open(c);
    return c;
}

struct conn *conn_open(const struct conn_params *p, const struct conn_handlers *h, void *ud)
{
    bool decided;
    struct conn *c = conn_new(p, -1, h, ud, &decided);
    if (decided)
        return c; /* a fault decided the connect: no lookup */
    c->query = p->direct ? net_resolve_direct(c->host, c->port, resolved_cb, c)
                         : net_resolve(c->trace_id, c->host, c->port, resolved_cb, c);
    return c;
}

int conn_start_tls(struct conn *c, const struct tls_choice *choice, const char *verify_name)
{
    if (c->state != CONN_CONNECTED || c->ssl || c->kind != CONN_TCP || c->closing)
        return -1;
    /* Bytes still queued would go out after the ClientHello is due, and
     * bytes the peer sent before its go-ahead was read would be taken for
     * handshake records: either is the STARTTLS injection of CVE-2011-0411. */
    int unread = 0;
    if (bytebuf_pending(&c->out) > 0 || ioctl(c->fd, FIONREAD, &unread) < 0 || unread > 0)
        return -1;
    tls_choice_clear(&c->tls);
    tls_choice_copy(&c->tls, choice);
    if (verify_name)
        str_copy(c->verify_name, sizeof(c->verify_name), verify_name);
    trace_note(c->trace_id, "net", "%s %s:%d start tls%s%s", c->tag, c->host, c->port,
               c->verify_name[0] ? " as " : "", c->verify_name);
    /* A handshake like any other: the TLS rules are asked now. */
    fx_upgrade(c);
    /* From the loop, so that no handler runs inside this call. */
    ev_io_stop(L(), &c->io);
    c->state = CONN_HANDSHAKING;
    ev_timer_set(&c->timeout, c->timeout_s, 0.);
    ev_timer_start(L(), &c->timeout);
    ev_io_set(&c->io, c->fd, EV_WRITE);
    ev_io_start(L(), &c->io);
    return 0;
}

void conn_pause_reading(struct conn *c, bool pause)
{
    c->fx.owner_paused = pause;
    pause = pause || c->fx.hold;
    if (c->paused == pause)
        return;
    c->paused = pause;
    if (c->state != CONN_CONNECTED)
        return;
    update_events(c);
    if (!pause && c->ssl && SSL_pending(c->ssl) > 0) {
        c->kick_readable = true;
        ev_timer_start(L(), &c->kick);
    }
}

int conn_set_keepalive(struct conn *c, bool on, int idle, int interval, int count)
{
    if (c->fd < 0 || c->kind != CONN_TCP) {
        errno = EINVAL;
        return -1;
    }
    int v = on;
    if (setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)) < 0)
        return -1;
    if (on && (setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
               setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval)) < 0 ||
               setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count)) < 0))
        return -1;
    return 0;
}

int conn_keepalive(const struct conn *c, int *idle, int *interval, int *count)
{
    int on = 0;
    socklen_t len = sizeof(on);
    if (c->fd < 0 || c->kind != CONN_TCP ||
        getsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &on, &len) < 0)
        return -1;
    if (!on)
        return 0;
    len = sizeof(int);
    if (getsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, idle, &len) < 0 ||
        getsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, interval, &len) < 0 ||
        getsockopt(c->fd, IPPROTO_TCP, TCP_KEEPCNT, count, &len) < 0)
        return -1;
    return 1;
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
        abortive = true; /* an injected reset or alert (conn_fault_impl.h) */
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
    bury(c);
}

/* --- closing after the queue drains --- */

/* The handlers a closing conn runs instead of its owner's, which must never
 * hear from it again. */
static void closing_shut(struct conn *c)
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
            update_events(c);
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
        closing_shut(c);
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
        closing_shut(c);
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
        update_events(c);
    }
}

void conn_drop_closing(void)
{
    while (closing_list)
        conn_free(closing_list, true);
    while (graveyard) {
        struct conn *c = graveyard;
        graveyard = c->graveyard_next;
        free(c);
    }
}

SSL_SESSION *conn_tls_session(const struct conn *c)
{
    if (!c->ssl || c->state == CONN_HANDSHAKING)
        return NULL;
    SSL_SESSION *s = SSL_get1_session(c->ssl);
    /* TLS 1.3: until a NewSessionTicket has been read, the session is the
     * handshake's, which cannot be resumed. */
    if (s && !SSL_SESSION_is_resumable(s)) {
        SSL_SESSION_free(s);
        s = NULL;
    }
    return s;
}

bool conn_tls_resumed(const struct conn *c)
{
    return c->ssl && c->state != CONN_HANDSHAKING && SSL_session_reused(c->ssl);
}

const char *conn_tag(const struct conn *c) { return c->tag; }
const char *conn_host(const struct conn *c) { return c->host; }
int conn_port(const struct conn *c) { return c->port; }

enum conn_state conn_state(const struct conn *c) { return c->state; }
enum net_err conn_error(const struct conn *c) { return c->err; }
bool conn_is_tls(const struct conn *c) { return c->ssl != NULL; }
const char *conn_peer_address(const struct conn *c) { return c->peer; }
const char *conn_remote_address(const struct conn *c) { return c->remote; }

int conn_local_address(const struct conn *c, char *buf, size_t len, int *port)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (c->fd < 0 || getsockname(c->fd, (struct sockaddr *)&ss, &sl) < 0)
        return -1;
    const void *src;
    if (ss.ss_family == AF_INET) {
        src = &((struct sockaddr_in *)&ss)->sin_addr;
        if (port)
            *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        src = &((struct sockaddr_in6 *)&ss)->sin6_addr;
        if (port)
            *port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    } else {
        return -1;
    }
    return inet_ntop(ss.ss_family, src, buf, (socklen_t)len) ? 0 : -1;
}

struct conn *conn_adopt(int fd, const struct conn_params *p, const struct conn_handlers *h,
                        void *ud)
{
    struct conn_params tcp = *p;
    tcp.kind = CONN_TCP;
    tcp.local_port = 0;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    bool decided;
    struct conn *c = conn_new(&tcp, fd, h, ud, &decided);
    str_copy(c->peer, sizeof(c->peer), c->host);
    str_copy(c->remote, sizeof(c->remote), c->host);
    if (decided)
        return c; /* refused or never answering, as a rule said */
    /* Like a connect that just completed, from the loop. */
    c->state = CONN_CONNECTING;
    update_events(c);
    return c;
}

/* --- listening sockets --- */

struct conn_listener {
    int fd;
    int port;
    ev_io io;
    conn_accept_fn cb;
    void *ud;
};

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct conn_listener *l = w->data;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    char addr[64] = "";
    int port = 0;
    if (ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    l->cb(l, l->ud, fd, addr, port);
}

struct conn_listener *conn_listen(const char *local_ip, conn_accept_fn cb, void *ud)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, local_ip, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        sl = sizeof(*s4);
    } else if (inet_pton(AF_INET6, local_ip, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        sl = sizeof(*s6);
    } else {
        return NULL;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
        close(fd);
        return NULL;
    }
    struct conn_listener *l = xcalloc(1, sizeof(*l));
    l->fd = fd;
    l->port = ss.ss_family == AF_INET ? ntohs(s4->sin_port) : ntohs(s6->sin6_port);
    l->cb = cb;
    l->ud = ud;
    ev_io_init(&l->io, accept_cb, fd, EV_READ);
    l->io.data = l;
    ev_io_start(L(), &l->io);
    return l;
}

int conn_listener_port(const struct conn_listener *l) { return l->port; }

void conn_listener_close(struct conn_listener *l)
{
    if (!l)
        return;
    ev_io_stop(L(), &l->io);
    close(l->fd);
    free(l);
}
const char *conn_error_detail(const struct conn *c) { return c->detail; }
