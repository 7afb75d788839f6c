/* The types of an injected fault's plan for one connection (conn_fault.h):
 * what the program's hook decides, and what it is asked about. */
#ifndef SIM800EMU_CONN_FAULT_PLAN_H
#define SIM800EMU_CONN_FAULT_PLAN_H

#include <stdbool.h>

#include "conn_fault_kind.h"

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
