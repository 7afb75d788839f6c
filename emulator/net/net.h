/* The process-wide network context shared by every modem: event loop,
 * asynchronous DNS, the host map and sandbox, the trust store and TLS
 * contexts.  Everything here is configured once at start-up and then only
 * read; per-connection state lives in struct conn.
 *
 * Lower layers report failures as facts (enum net_err) plus a detail string
 * for the trace; each AT service maps them to its own result codes. */
#ifndef SIM800EMU_NET_H
#define SIM800EMU_NET_H

#include <ev.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum net_err {
    NET_OK = 0,
    NET_EDNS,           /* the name did not resolve (or the sandbox refused it) */
    NET_EREFUSED,       /* connect refused or unreachable, or a refused IP literal */
    NET_ETIMEOUT,       /* connect or handshake took too long */
    NET_ERESET,         /* the peer reset the connection */
    NET_ECLOSED,        /* the peer closed the connection in order */
    NET_ETLS_HANDSHAKE, /* TLS could not be set up and no alert was exchanged */
    NET_ETLS_ALERT,     /* a fatal TLS alert (sent or received), in or after the handshake */
    NET_EIO,            /* any other socket error */
    NET_EPROTO,         /* the peer does not speak the protocol (a reply unparsable or too long) */
};

#define NET_ERR_COUNT (NET_EPROTO + 1)

const char *net_err_name(enum net_err err);

/* A service's table from each fact to its own code, one argument per
 * enum net_err in order: a table that leaves one out does not compile, and
 * adding a fact means adding it here and so to every table.  Used as
 *     static const int codes[NET_ERR_COUNT] = NET_ERR_TABLE(...);       */
#define NET_ERR_TABLE(ok, dns, refused, timeout, reset, closed, tls_handshake, tls_alert, io,      \
                      proto)                                                                       \
    {                                                                                              \
        [NET_OK] = (ok), [NET_EDNS] = (dns), [NET_EREFUSED] = (refused),                           \
        [NET_ETIMEOUT] = (timeout), [NET_ERESET] = (reset), [NET_ECLOSED] = (closed),              \
        [NET_ETLS_HANDSHAKE] = (tls_handshake), [NET_ETLS_ALERT] = (tls_alert), [NET_EIO] = (io),  \
        [NET_EPROTO] = (proto),                                                                    \
    }

#define NET_MAP_MAX 64

struct net_map_entry {
    char host[256]; /* lower case; a name or an IP literal */
    int port;       /* 0: any port */
    char addr[64];  /* IP literal to connect to instead */
    int to_port;
};

struct net_config {
    struct net_map_entry map[NET_MAP_MAX];
    int nmap;
    bool only_mapped;      /* refuse every destination the map does not name */
    char dns_server[64];   /* "IP[:port]" for c-ares; empty: the system's */
    char ca_file[512];     /* the module's built-in roots; empty: none */
    char keylog_file[512]; /* NSS key log; empty: off */
};

/* Whether s is an IP address written out (v4 or v6), not a name. */
bool net_is_ip_literal(const char *s);
/* Whether s is a dotted-quad IPv4 address. */
bool net_is_ipv4_literal(const char *s);

/* Parses "HOST[:PORT]=ADDR:PORT" into e; -1 with a reason in err. */
int net_parse_map(const char *spec, struct net_map_entry *e, char *err, size_t errlen);

/* Sets up DNS, the trust store and the key log; -1 with a message. */
int net_init(struct ev_loop *loop, const struct net_config *cfg, char *err, size_t errlen);
void net_shutdown(void);

const struct net_config *net_config(void);
struct ev_loop *net_loop(void);

/* A resolved destination. */
struct net_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[64];  /* the address connected to, as text, for traces */
    char shown[64]; /* the address the module reports (+CDNSGIP, CIPSTATUS):
                     * the DNS answer or the literal asked for, before the
                     * host map sent it elsewhere */
};

typedef void (*net_resolve_cb)(void *ud, enum net_err err, const struct net_addr *addrs, int count);

struct net_query;

/* Resolves host for port through the host map, then the sandbox, then
 * DNS.  The callback runs exactly once, never before this returns, unless
 * the query is cancelled first.  Returns a handle for net_cancel().
 * trace_id: the modem whose trace lines (map, sandbox) this makes. */
struct net_query *net_resolve(int trace_id, const char *host, int port, net_resolve_cb cb,
                              void *ud);
/* A DNS lookup only (AT+CDNSGIP): the answers as DNS gives them, not mapped.
 * Under --only-mapped a name the map does not know is looked up only when
 * the DNS server is on loopback (a test's own server); else it fails. */
struct net_query *net_lookup(const char *host, net_resolve_cb cb, void *ud);
void net_cancel(struct net_query *q);

/* Like net_resolve() for an address net_resolve() already produced: no map,
 * no sandbox, no DNS (a second connection to the same destination). */
struct net_query *net_resolve_direct(const char *addr, int port, net_resolve_cb cb, void *ud);

#endif
