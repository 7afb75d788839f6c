/* What an injected fault does to one connection (README "Fault injection").
 * The connection layer asks a hook, set once by the program, when a
 * connection opens; the answer is applied on the connection's real failure
 * path, so each service's own error table turns it into the module's code.
 * net/ knows nothing of rules: app/fault_glue.c matches them (fault/). */
#ifndef SIM800EMU_CONN_FAULT_H
#define SIM800EMU_CONN_FAULT_H

#include <ev.h>
#include <stdbool.h>

struct conn;

enum conn_fault_kind {
    CF_NONE,
    CF_DNS,     /* fails as a name that does not resolve */
    CF_REFUSE,  /* fails as a refused connect */
    CF_TIMEOUT, /* never connects: the timeout runs out (seconds, else the conn's own) */
    CF_TLS,     /* the handshake fails: a fatal alert (alert >= 0) or the peer closing */
    CF_ALERT,   /* a fatal TLS alert after `after` bytes */
    CF_RESET,   /* a reset after `after` bytes */
    CF_CLOSE,   /* an orderly close after `after` bytes */
    CF_STALL,   /* nothing moves for `seconds`, after `after` bytes */
};

struct conn_fault_plan {
    enum conn_fault_kind kind;
    long after; /* bytes */
    int dir;    /* 1 received, 2 sent */
    double seconds;
    int alert; /* TLS alert description, -1 none */
    int rule;  /* the rule's id, for the trace */
    /* Shaping, independent of kind: */
    long rate_rx, rate_tx; /* bytes per second; 0: no cap */
    int latency_ms;        /* each burst received after a quiet spell waits this long */
    int latency_tx_ms;     /* the same for each burst sent */
    int shape_rule;
};

struct conn_fault_subject {
    int modem; /* conn_params.trace_id */
    const char *tag;
    const char *host;
    int port;
    bool tls;
    /* An in-place upgrade (STARTTLS, STLS, AUTH TLS) of a conn that opened
     * plain: only the TLS faults (tls-alert, alert-after) are asked, once,
     * when its handshake starts; the rest were decided at the open. */
    bool upgrade;
};

/* The fault state one conn carries (conn.c's struct conn holds one). */
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

/* Fills plan and returns true when a fault applies to a new connection (or
 * to an upgrade's handshake: then only kind, after, dir, alert and rule). */
typedef bool (*conn_fault_hook_fn)(const struct conn_fault_subject *s,
                                   struct conn_fault_plan *plan);
void conn_fault_set_hook(conn_fault_hook_fn fn);

/* Ends a connected conn now with err as if the peer did it (the "CLOSED on
 * a link" fault): its owner hears it at the next read.  Ignored otherwise. */
void conn_fault_end(struct conn *c, int err);

/* The conns open now, for a status report: calls fn for each. */
void conn_fault_each(void (*fn)(struct conn *c, int modem, const char *host, int port, void *ud),
                     void *ud);

#endif
