/* Fault injection for the whole program: the rule set (fault/), the hooks
 * it gives the connection layer and the AT engine, and the module events
 * (pdp-deact, reboot, +CSQ, registration, line noise) it applies to modems.
 * The control socket (control.c), --fault and a profile's [faults] all add
 * rules here.  README "Fault injection" documents the grammar. */
#ifndef SIM800EMU_FAULT_GLUE_H
#define SIM800EMU_FAULT_GLUE_H

#include <ev.h>
#include <stddef.h>

#include "util.h"

struct modem;

/* Hooks in; the modems the rules apply to (the array must outlive it). */
void fault_glue_init(struct ev_loop *loop, struct modem **modems, long n);
void fault_glue_shutdown(void);

/* Checks a rule without adding it: -1 with the reason. */
int fault_glue_check(const char *spec, char *err, size_t errlen);
/* Adds a rule; returns its id, or -1 with the reason in err. */
int fault_glue_add(const char *spec, size_t len, char *err, size_t errlen);
/* Removes all rules (id 0) or one; returns how many went. */
int fault_glue_clear(int id);
/* The rules as a JSON array, appended to out. */
void fault_glue_list_json(struct bytebuf *out);
/* Each modem's port, state and open connections as a JSON object. */
void fault_glue_status_json(struct bytebuf *out);

/* The control requests the services answer ("netlight 0", struct
 * service.verbs): 0 when a service took the request (its reply, "ok ..."
 * or "error ...", is in reply), -1 when none has that verb. */
int fault_glue_service_request(const char *line, struct bytebuf *reply);
/* Appends " | <usage>" for each service verb, for help. */
void fault_glue_service_verbs(struct bytebuf *out);

#endif
