/* GSM location (SIM800 AT Command Manual V1.09 §13.2.1 AT+CIPGSMLOC; the
 * AT+CLBS of later firmware, which TinyGSM's SIM800 driver uses): the
 * position the emulated network's location service gives, from the
 * profile's [location] or set through the control socket (README "GSM
 * location"), after the module's own checks (an open bearer). */
#ifndef SIM800EMU_LOCATION_H
#define SIM800EMU_LOCATION_H

#include <ev.h>
#include <stdbool.h>

#include "service.h"

struct location_state {
    bool set;          /* the control socket set a position (else the profile's) */
    double lon, lat;   /* degrees */
    int accuracy;      /* metres */
    int fail;          /* a location code to answer instead (0: none) */
    ev_timer timer;    /* [timing] location_ms: the answer comes later */
    char pending[128]; /* the answer line */
};

extern const struct service location_service;

#endif
