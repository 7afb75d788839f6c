/* What an injected fault does to a connection: one enum for the rule
 * language (fault/, whose table of actions names each action's kind) and
 * the connection layer (net/conn_fault.c, which does it), so neither keeps
 * a copy of the other's list. */
#ifndef SIM800EMU_CONN_FAULT_KIND_H
#define SIM800EMU_CONN_FAULT_KIND_H

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

#endif
