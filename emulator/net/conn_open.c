/* TCP/UDP connections, plain or TLS, non-blocking on libev: the one
 * constructor, the lookup and the connect, and the I/O watcher that hands
 * each event to the part that owns the conn's state (conn_tls.c while it
 * shakes hands, conn_io.c once connected, conn_close.c while it closes).
 * Decrypted bytes already inside OpenSSL (SSL_pending) never wake the
 * poller: a kick serves them. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn_private.h"
#include "trace.h"

static void io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void connect_done(struct conn *c);

/* conn_set_latency() */
double conn_latency_connect_s, conn_latency_tls_s;

void conn_set_latency(double connect_s, double tls_s)
{
    conn_latency_connect_s = connect_s > 0 ? connect_s : 0;
    conn_latency_tls_s = tls_s > 0 ? tls_s : 0;
}

static void delay_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct conn *c = t->data;
    c->delaying = false;
    if (c->state == CONN_CONNECTING)
        connect_done(c);
    else if (c->state == CONN_HANDSHAKING)
        conn_established(c);
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
        conn_set_detail(c, "connect");
        /* ECONNRESET: the peer accepted, then reset before the loop saw the
         * connect complete (a server that sends and aborts at once). */
        conn_fail(c, soerr == ETIMEDOUT    ? NET_ETIMEOUT
                     : soerr == ECONNRESET ? NET_ERESET
                                           : NET_EREFUSED);
        return;
    }
    /* The TCP handshake's round trip over the radio network. */
    if (conn_latency_connect_s > 0 && c->kind == CONN_TCP && !c->delayed_tcp) {
        c->delayed_tcp = true;
        conn_hold(c, conn_latency_connect_s);
        return;
    }
    if (c->want_tls)
        conn_start_handshake(c);
    else
        conn_established(c);
}

static void resolved_cb(void *ud, enum net_err err, const struct net_addr *addrs, int count)
{
    struct conn *c = ud;
    c->query = NULL;
    if (err != NET_OK || count == 0) {
        /* The first line a newcomer reads: name the cure too. */
        snprintf(c->detail, sizeof(c->detail),
                 "cannot resolve %.80s: no --map for it, and DNS gave no address", c->host);
        conn_fail(c, err != NET_OK ? err : NET_EDNS);
        return;
    }
    const struct net_addr *a = &addrs[0];
    str_copy(c->peer, sizeof(c->peer), a->shown);
    str_copy(c->remote, sizeof(c->remote), a->text);
    int type = c->kind == CONN_UDP ? SOCK_DGRAM : SOCK_STREAM;
    c->fd = socket(a->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        conn_set_detail(c, "socket");
        conn_fail(c, NET_EIO);
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
            conn_set_detail(c, "bind local port");
            conn_fail(c, NET_EIO);
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
        conn_set_detail(c, "connect");
        conn_fail(c, NET_EREFUSED);
        return;
    }
    c->state = CONN_CONNECTING;
    conn_update_events(c);
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
    conn_fail(c, NET_ETIMEOUT);
}

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
            conn_drive_handshake(c);
        else
            conn_start_handshake(c); /* conn_start_tls() asked for it */
        return;
    case CONN_CONNECTED:
        break;
    default:
        ev_io_stop(L(), &c->io);
        return;
    }
    if ((revents & EV_WRITE) && bytebuf_pending(&c->out) > 0)
        conn_flush_out(c);
    if ((revents & EV_WRITE) && c->shut_retry && !c->freed)
        conn_closing_shut(c);
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
        conn_update_events(c);
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
struct conn *conn_new(const struct conn_params *p, int fd, const struct conn_handlers *h, void *ud,
                      bool *decided)
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
    *decided = conn_fx_open(c);
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

void conn_pause_reading(struct conn *c, bool pause)
{
    c->fx.owner_paused = pause;
    pause = pause || c->fx.hold;
    if (c->paused == pause)
        return;
    c->paused = pause;
    if (c->state != CONN_CONNECTED)
        return;
    conn_update_events(c);
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
    conn_update_events(c);
    return c;
}
