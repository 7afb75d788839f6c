/* The net light of AT+CNETLIGHT, AT+SLEDS and AT+CSGS (SIM800 AT Command
 * Manual V1.09 §6.2.48, §6.2.51, §6.2.55): whether the NETLIGHT pin blinks,
 * and how, in each state of the network.  A service of its own, as an
 * example of the seam (README "Adding a service"). */
#ifndef SIM800EMU_NETLIGHT_H
#define SIM800EMU_NETLIGHT_H

#include "service.h"

#define NETLIGHT_MODES 3 /* AT+SLEDS <mode>: 1 not registered, 2 registered, 3 data */

/* What AT&W saves, ATZ restores and AT&F resets (all three AT&W_SAVE). */
struct netlight_settings {
    int on;   /* AT+CNETLIGHT: 0 the light is off, 1 it blinks */
    int csgs; /* AT+CSGS: 0 no data pattern, 1 the data pattern, 2 AT+SLEDS's mode 3 */
    int sleds[NETLIGHT_MODES][2]; /* AT+SLEDS: on and off times in ms, per mode */
};

struct netlight_state {
    struct netlight_settings active, stored;
};

extern const struct service netlight_service;

#endif
