/* What an injected fault does to one connection (README "Fault injection").
 * The connection layer asks a hook, set once by the program, when a
 * connection opens; the answer is applied on the connection's real failure
 * path, so each service's own error table turns it into the module's code.
 * net/ knows nothing of rules: app/fault_glue.c matches them (fault/). */
#ifndef SIM800EMU_CONN_FAULT_H
#define SIM800EMU_CONN_FAULT_H

#include <stdbool.h>

#include "conn_fault_plan.h"

struct conn;

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
