/* Host map, sandbox and asynchronous DNS (c-ares on libev). */
#include "net.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "util.h"

#define DNS_SOCKETS_MAX 16
#define RESOLVE_ADDRS_MAX 4

struct dns_socket {
    ares_socket_t fd;
    ev_io io;
    bool used;
};

static struct {
    struct ev_loop *loop;
    struct net_config cfg;
    ares_channel channel;
    bool ares_ready;
    struct dns_socket sockets[DNS_SOCKETS_MAX];
    ev_timer ares_timer;
} net;

struct net_query {
    net_resolve_cb cb;
    void *ud;
    bool cancelled;
    bool in_ares;       /* c-ares still owns a callback to us */
    bool starting;      /* inside ares_getaddrinfo(): answers must wait */
    ev_timer immediate; /* delivers answers known without DNS */
    enum net_err err;
    struct net_addr addrs[RESOLVE_ADDRS_MAX];
    int count;
    int port;
    bool lookup_only; /* net_lookup(): DNS answers, not mapped */
    bool dropped;     /* an answer was refused by the sandbox */
};

const char *net_err_name(enum net_err err)
{
    static const char *const names[] = {
        [NET_OK] = "ok",
        [NET_EDNS] = "dns",
        [NET_EREFUSED] = "refused",
        [NET_ETIMEOUT] = "timeout",
        [NET_ERESET] = "reset",
        [NET_ECLOSED] = "closed",
        [NET_ETLS_HANDSHAKE] = "tls-handshake",
        [NET_ETLS_ALERT] = "tls-alert",
        [NET_EIO] = "io",
        [NET_EPROTO] = "protocol",
    };
    return (unsigned)err < ARRAY_SIZE(names) && names[err] ? names[err] : "?";
}

const struct net_config *net_config(void) { return &net.cfg; }
struct ev_loop *net_loop(void) { return net.loop; }

static bool parse_port(const char *s, int *port)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 65535)
        return false;
    *port = (int)v;
    return true;
}

bool net_is_ipv4_literal(const char *s)
{
    struct in_addr a4;
    return inet_pton(AF_INET, s, &a4) == 1;
}

bool net_is_ip_literal(const char *s)
{
    struct in6_addr a6;
    return net_is_ipv4_literal(s) || inet_pton(AF_INET6, s, &a6) == 1;
}

/* Each refusal names the part that is wrong, then the form. */
#define MAP_BAD(...)                                                                               \
    do {                                                                                           \
        char why_[160];                                                                            \
        snprintf(why_, sizeof(why_), __VA_ARGS__);                                                 \
        snprintf(err, errlen, "'%s': %s (the form: HOST[:PORT]=ADDR:PORT)", spec, why_);           \
        return -1;                                                                                 \
    } while (0)

int net_parse_map(const char *spec, struct net_map_entry *e, char *err, size_t errlen)
{
    memset(e, 0, sizeof(*e));
    const char *eq = strchr(spec, '=');
    if (!eq)
        MAP_BAD("no '=' between the name and where it goes");
    char left[300], right[100];
    if ((size_t)(eq - spec) >= sizeof(left) || strlen(eq + 1) >= sizeof(right))
        MAP_BAD("too long");
    memcpy(left, spec, (size_t)(eq - spec));
    left[eq - spec] = '\0';
    strcpy(right, eq + 1);
    /* The left side: host, host:port, [v6], [v6]:port. */
    char *host = left, *port = NULL;
    if (host[0] == '[') {
        char *close = strchr(host, ']');
        if (!close)
            MAP_BAD("'[' without ']' in the name");
        *close = '\0';
        host++;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1])
            MAP_BAD("something after ']' that is not :PORT");
    } else {
        char *colon = strrchr(host, ':');
        if (colon && strchr(host, ':') == colon) {
            *colon = '\0';
            port = colon + 1;
        }
    }
    if (!host[0])
        MAP_BAD("no host name before '='");
    if (strlen(host) >= sizeof(e->host))
        MAP_BAD("the host name is longer than %zu characters", sizeof(e->host) - 1);
    for (size_t i = 0; host[i]; i++)
        e->host[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] - 'A' + 'a' : host[i]);
    if (port && !parse_port(port, &e->port))
        MAP_BAD("the name's port '%.20s' is not 1 to 65535", port);
    /* The right side: ADDR:PORT with ADDR an IP literal or localhost. */
    char *addr = right, *to_port;
    if (addr[0] == '[') {
        char *close = strchr(addr, ']');
        if (!close || close[1] != ':')
            MAP_BAD("no ]:PORT after the IPv6 address");
        *close = '\0';
        addr++;
        to_port = close + 2;
    } else {
        char *colon = strrchr(addr, ':');
        if (!colon)
            MAP_BAD("no port after the address '%.60s'", addr);
        *colon = '\0';
        to_port = colon + 1;
    }
    if (strcmp(addr, "localhost") == 0)
        addr = "127.0.0.1";
    if (!net_is_ip_literal(addr))
        MAP_BAD("'%.60s' is not an IP address (a name there is not looked up)", addr);
    if (!parse_port(to_port, &e->to_port))
        MAP_BAD("the port '%.20s' is not 1 to 65535", to_port);
    str_copy(e->addr, sizeof(e->addr), addr);
    return 0;
}

/* --- c-ares on libev --- */

static void ares_arm_timer(void)
{
    struct timeval tv, *t = ares_timeout(net.channel, NULL, &tv);
    ev_timer_stop(net.loop, &net.ares_timer);
    if (t) {
        ev_timer_set(&net.ares_timer, (double)t->tv_sec + t->tv_usec / 1e6, 0.);
        ev_timer_start(net.loop, &net.ares_timer);
    }
}

static void ares_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    struct dns_socket *s = w->data;
    ares_process_fd(net.channel, (revents & EV_READ) ? s->fd : ARES_SOCKET_BAD,
                    (revents & EV_WRITE) ? s->fd : ARES_SOCKET_BAD);
    ares_arm_timer();
}

static void ares_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)t;
    (void)revents;
    ares_process_fd(net.channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    ares_arm_timer();
}

static void dns_sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    (void)data;
    struct dns_socket *slot = NULL, *free_slot = NULL;
    for (int i = 0; i < DNS_SOCKETS_MAX; i++) {
        if (net.sockets[i].used && net.sockets[i].fd == fd)
            slot = &net.sockets[i];
        else if (!net.sockets[i].used && !free_slot)
            free_slot = &net.sockets[i];
    }
    if (!readable && !writable) {
        if (slot) {
            ev_io_stop(net.loop, &slot->io);
            slot->used = false;
        }
        return;
    }
    if (!slot) {
        if (!free_slot)
            return; /* c-ares times the query out; never seen with our load */
        slot = free_slot;
        slot->used = true;
        slot->fd = fd;
        ev_init(&slot->io, ares_io_cb);
        slot->io.data = slot;
    }
    ev_io_stop(net.loop, &slot->io);
    ev_io_set(&slot->io, fd, (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));
    ev_io_start(net.loop, &slot->io);
}

int net_init(struct ev_loop *loop, const struct net_config *cfg, char *err, size_t errlen)
{
    net.loop = loop;
    net.cfg = *cfg;
    ev_init(&net.ares_timer, ares_timer_cb);
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares could not start");
        return -1;
    }
    struct ares_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.sock_state_cb = dns_sock_state_cb;
    opts.timeout = 2000;
    opts.tries = 3;
    int rc = ares_init_options(&net.channel, &opts,
                               ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
        return -1;
    }
    net.ares_ready = true;
    if (cfg->dns_server[0]) {
        rc = ares_set_servers_ports_csv(net.channel, cfg->dns_server);
        if (rc != ARES_SUCCESS) {
            snprintf(err, errlen, "--dns %s: %s", cfg->dns_server, ares_strerror(rc));
            return -1;
        }
    }
    return 0;
}

void net_shutdown(void)
{
    if (net.ares_ready) {
        ares_destroy(net.channel); /* cancels queries: their callbacks free them */
        net.ares_ready = false;
        ares_library_cleanup();
    }
    if (!net.loop) /* net_init never ran (an early exit) */
        return;
    ev_timer_stop(net.loop, &net.ares_timer);
    for (int i = 0; i < DNS_SOCKETS_MAX; i++)
        if (net.sockets[i].used)
            ev_io_stop(net.loop, &net.sockets[i].io);
}

/* --- resolution --- */

static void query_finish(struct net_query *q)
{
    if (!q->cancelled)
        q->cb(q->ud, q->err, q->addrs, q->count);
    free(q);
}

static void immediate_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    query_finish(t->data);
}

static void finish_soon(struct net_query *q)
{
    ev_timer_init(&q->immediate, immediate_cb, 0., 0.);
    q->immediate.data = q;
    ev_timer_start(net.loop, &q->immediate);
}

static bool add_literal(struct net_query *q, const char *ip, int port, const char *shown)
{
    struct net_addr *a = &q->addrs[q->count];
    memset(a, 0, sizeof(*a));
    struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
    if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        a->len = sizeof(*s4);
    } else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        a->len = sizeof(*s6);
    } else {
        return false;
    }
    str_copy(a->text, sizeof(a->text), ip);
    str_copy(a->shown, sizeof(a->shown), shown);
    q->count++;
    return true;
}

static const struct net_map_entry *map_lookup(const char *host, int port)
{
    char lower[256];
    size_t n = strlen(host);
    if (n >= sizeof(lower))
        return NULL;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] - 'A' + 'a' : host[i]);
    const struct net_map_entry *any = NULL, *first = NULL;
    for (int i = 0; i < net.cfg.nmap; i++) {
        const struct net_map_entry *e = &net.cfg.map[i];
        if (strcmp(e->host, lower) != 0)
            continue;
        if (e->port == port)
            return e; /* host:port beats host */
        if (e->port == 0 && !any)
            any = e;
        if (!first)
            first = e;
    }
    /* Port 0 is a lookup by name alone (AT+CDNSGIP): any entry will do. */
    return any ? any : (port == 0 ? first : NULL);
}

static void ares_done_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    struct net_query *q = arg;
    q->in_ares = false;
    if (status == ARES_SUCCESS && res) {
        for (struct ares_addrinfo_node *n = res->nodes; n && q->count < RESOLVE_ADDRS_MAX;
             n = n->ai_next) {
            char text[64];
            const void *src = n->ai_family == AF_INET
                                  ? (const void *)&((struct sockaddr_in *)n->ai_addr)->sin_addr
                                  : (const void *)&((struct sockaddr_in6 *)n->ai_addr)->sin6_addr;
            if (!inet_ntop(n->ai_family, src, text, sizeof(text)))
                continue;
            if (q->lookup_only) {
                add_literal(q, text, q->port, text);
                continue;
            }
            /* The answer goes through the map like any address. */
            const struct net_map_entry *e = map_lookup(text, q->port);
            if (e)
                add_literal(q, e->addr, e->to_port, text);
            else if (net.cfg.only_mapped)
                q->dropped = true;
            else
                add_literal(q, text, q->port, text);
        }
    }
    if (res)
        ares_freeaddrinfo(res);
    q->err = q->count > 0              ? NET_OK
             : q->dropped              ? NET_EREFUSED
             : status == ARES_ETIMEOUT ? NET_ETIMEOUT
                                       : NET_EDNS;
    if (q->starting)
        finish_soon(q); /* c-ares answered at once: keep the "never before return" promise */
    else
        query_finish(q);
}

/* Only a test's own DNS server may be asked under --only-mapped: any other
 * would send the query off the machine. */
static bool dns_allowed(void)
{
    if (!net.cfg.only_mapped)
        return true;
    char ip[64];
    str_copy(ip, sizeof(ip), net.cfg.dns_server);
    char *colon = strrchr(ip, ':');
    if (colon && strchr(ip, '.'))
        *colon = '\0'; /* "127.0.0.1:5353" */
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, ip, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, ip, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

static struct net_query *new_query(int port, net_resolve_cb cb, void *ud)
{
    struct net_query *q = xcalloc(1, sizeof(*q));
    q->cb = cb;
    q->ud = ud;
    q->port = port;
    return q;
}

static void ask_dns(struct net_query *q, const char *host)
{
    if (!net.ares_ready || strlen(host) > 255 || !dns_allowed()) {
        q->err = NET_EDNS;
        finish_soon(q);
        return;
    }
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET; /* the module's stack is IPv4 */
    hints.ai_socktype = SOCK_STREAM;
    q->in_ares = true;
    q->starting = true;
    ares_getaddrinfo(net.channel, host, NULL, &hints, ares_done_cb, q);
    q->starting = false;
    ares_arm_timer();
}

struct net_query *net_resolve(int trace_id, const char *host, int port, net_resolve_cb cb, void *ud)
{
    struct net_query *q = new_query(port, cb, ud);
    bool literal = net_is_ip_literal(host);
    const struct net_map_entry *e = map_lookup(host, port);
    if (e) {
        /* A mapped name has no real address to show: the target stands in. */
        add_literal(q, e->addr, e->to_port, literal ? host : e->addr);
        trace_note(trace_id, "net", "map %s:%d -> %s:%d", host, port, e->addr, e->to_port);
        finish_soon(q);
        return q;
    }
    if (literal) {
        if (net.cfg.only_mapped) {
            /* The sandbox: an unmapped address fails as a refused connect. */
            q->err = NET_EREFUSED;
            trace_note(trace_id, "net", "refused unmapped destination %s:%d", host, port);
        } else {
            add_literal(q, host, port, host);
        }
        finish_soon(q);
        return q;
    }
    /* A name: DNS, then the answers through the map (an unmapped name under
     * --only-mapped fails as DNS does unless a loopback DNS server answers). */
    ask_dns(q, host);
    return q;
}

struct net_query *net_lookup(const char *host, net_resolve_cb cb, void *ud)
{
    struct net_query *q = new_query(0, cb, ud);
    q->lookup_only = true;
    const struct net_map_entry *e = map_lookup(host, 0);
    if (net_is_ip_literal(host)) {
        add_literal(q, host, 0, host);
        finish_soon(q);
    } else if (e) {
        add_literal(q, e->addr, 0, e->addr);
        finish_soon(q);
    } else {
        ask_dns(q, host);
    }
    return q;
}

struct net_query *net_resolve_direct(const char *addr, int port, net_resolve_cb cb, void *ud)
{
    struct net_query *q = xcalloc(1, sizeof(*q));
    q->cb = cb;
    q->ud = ud;
    q->port = port;
    if (!add_literal(q, addr, port, addr))
        q->err = NET_EDNS;
    finish_soon(q);
    return q;
}

void net_cancel(struct net_query *q)
{
    if (!q)
        return;
    if (q->in_ares) {
        q->cancelled = true; /* c-ares calls back later; query_finish frees it */
        return;
    }
    ev_timer_stop(net.loop, &q->immediate);
    free(q);
}
