/* The general state's changes that more than one command makes (SIM800 AT
 * Command Manual V1.09 §3.2.22, §3.2.43, §6.2.12, §7.2.1): the SIM becoming
 * ready or found missing, camping on the network and leaving it, with the
 * URCs each prints as enabled.  The state itself: general_state.h. */
#ifndef SIM800EMU_GENERAL_H
#define SIM800EMU_GENERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "service.h"

struct modem;

/* The power-on state (a power cycle keeps only what the module auto-saves). */
void general_init(struct modem *m);
/* The SIM became ready (boot, CFUN=1, correct PIN): camp on the network. */
void general_sim_ready(struct modem *m);
/* Reports a missing SIM (+CPIN: NOT INSERTED, and +CSMINS when enabled). */
void general_sim_absent(struct modem *m);
/* Registration changed; prints +CREG/+CGREG URCs as enabled. */
void general_set_registered(struct modem *m, bool registered);
/* The network took the PDP contexts down (a detach, a lost registration, a
 * fault): every context inactive, and MODEM_EV_PDP_DEACT for the services. */
void general_pdp_down(struct modem *m);
/* The SIM stopped answering: +CPIN: NOT READY, off the network. */
void general_sim_not_ready(struct modem *m);
/* Camps again if CFUN and the SIM allow it (after a fault's unregister). */
void general_register_if_able(struct modem *m);
/* The module clock (AT+CCLK?) reads utc in zone tz_quarters from now on
 * (AT+CNTP, network time). */
void general_set_clock(struct modem *m, time_t utc, int tz_quarters);
/* +CSQ answers rssi,ber from now on (a fault's csq=). */
void general_set_signal(struct modem *m, int rssi, int ber);
/* The general commands' AT&W settings (struct general_settings): AT&W
 * saves them, ATZ and a power cycle restore them, AT&F resets them. */
void general_settings(struct modem *m, enum service_settings op);
/* At creation: factory settings, stored and active. */
void general_settings_init(struct modem *m);
/* <stat> of +CREG/+CGREG: 0 not searching, 1 home, 2 searching, 5 roaming. */
int general_reg_stat(const struct modem *m);
/* "<n>,<stat>[,<lac>,<ci>]" (with_n) or "<stat>[,...]" for +CREG/+CGREG. */
void general_format_reg(const struct modem *m, char *buf, size_t cap, int n, bool with_n);

#endif
