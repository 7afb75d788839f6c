/* The types of an injected fault's plan for one connection (conn_fault.h):
 * what the program's hook decides, and what it is asked about. */
#ifndef SIM800EMU_CONN_FAULT_PLAN_H
#define SIM800EMU_CONN_FAULT_PLAN_H

#include <stdbool.h>

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

#endif
