/* Inside a connection: struct conn and what the parts of conn_*.c share.
 * Nothing outside net/conn_*.c includes this; the API is conn.h.
 *
 *   conn_open.c    constructor, lookup, connect, the I/O watcher (calls all below)
 *   conn_close.c   free, orderly close, close after flush   -> io, fault, base
 *   conn_tls.c     handshake, STARTTLS                      -> io, fault, base
 *   conn_io.c      established, read, write                 -> fault, base
 *   conn_fault.c   injected faults                          -> base
 *   conn_base.c    events, failure, latency hold
 *   conn_listen.c  listening sockets (nothing of a conn)
 *
 * No part calls one above it (tests/style/check_includes.py). */
#ifndef SIM800EMU_CONN_PRIVATE_H
#define SIM800EMU_CONN_PRIVATE_H

#include <ev.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <sys/types.h>

#include "conn.h"
#include "conn_fault_plan.h"
#include "net.h"
#include "tls.h"
#include "util.h"

/* The fault state one conn carries (struct conn holds one). */
struct conn_faults {
    bool on; /* a plan applies */
    struct conn_fault_plan plan;
    long rx, tx;       /* bytes received and sent so far */
    bool cut;          /* the moment came: the next read ends the conn with err */
    int err;           /* enum net_err */
    bool owner_paused; /* what conn_pause_reading() asked */
    bool hold;         /* stall, rate or latency: no reading now */
    bool tx_hold;      /* stall or rate: no sending now */
    bool stalled;      /* the stall has happened */
    bool abort;        /* a reset or an alert was injected: the socket closes with a
                        * reset, so the peer sees the break too (not a clean end) */
    double rx_tokens, tx_tokens, rx_t, tx_t, last_rx;
    double latency_until; /* latency: the burst waits until then */
    double last_tx, latency_tx_until;
    ev_timer timer; /* ends a hold */
    struct conn *live_next, *live_prev;
};

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
    struct conn *closing_next, *closing_prev; /* the closing list, while closing */
    double timeout_s;
    ev_timer delay;        /* conn_set_latency(): the network's round trips */
    bool delaying;         /* waiting for it: no I/O meanwhile */
    bool delayed_tcp;      /* the connect's delay has run */
    bool delayed_tls;      /* this handshake's delay has run */
    struct conn_faults fx; /* injected faults (conn_fault.c) */
};

static inline struct ev_loop *L(void) { return net_loop(); }

/* conn_set_latency(): the network's round trips, for every conn. */
extern double conn_latency_connect_s, conn_latency_tls_s;

/* conn_open.c */
struct conn *conn_new(const struct conn_params *p, int fd, const struct conn_handlers *h, void *ud,
                      bool *decided);

/* conn_base.c */
void conn_update_events(struct conn *c);
/* The failure's detail: what failed, and OpenSSL's or errno's reason. */
void conn_set_detail(struct conn *c, const char *what);
/* Fails the conn (once) and tells its owner. */
void conn_fail(struct conn *c, enum net_err err);
/* Holds the conn for the network's latency: no I/O until its delay timer. */
void conn_hold(struct conn *c, double seconds);
bool conn_unexpected_eof(void);

/* conn_io.c */
void conn_established(struct conn *c);
void conn_flush_out(struct conn *c);

/* conn_tls.c */
void conn_start_handshake(struct conn *c);
void conn_drive_handshake(struct conn *c);

/* conn_close.c */
void conn_closing_shut(struct conn *c);

/* conn_fault.c: each returns true when a fault took the conn's way. */
bool conn_fx_open(struct conn *c);
void conn_fx_release(struct conn *c);
void conn_fx_upgrade(struct conn *c);
bool conn_fx_handshake(struct conn *c);
void conn_fx_established(struct conn *c);
bool conn_fx_before_read(struct conn *c, size_t *n, ssize_t *ret);
ssize_t conn_fx_received(struct conn *c, ssize_t got);
size_t conn_fx_tx_limit(struct conn *c, size_t n);
bool conn_fx_sent(struct conn *c, size_t w);

#endif
