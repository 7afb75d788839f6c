/* Network time (SIMCom's SIM800 Series NTP Application Note; README
 * "Network time"): AT+CNTPCID picks the bearer, AT+CNTP="<server>",<tz>
 * sets the server and the zone, and AT+CNTP asks the server over a real
 * SNTP exchange (RFC 4330, UDP port 123, through the host map and DNS as
 * every connection) and sets the module clock (AT+CCLK?) from its answer. */
#ifndef SIM800EMU_NTP_H
#define SIM800EMU_NTP_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "service.h"

struct conn;

struct ntp_state {
    int cid;           /* AT+CNTPCID */
    char server[64];   /* AT+CNTP="<server>" */
    int tz;            /* quarter hours */
    struct conn *conn; /* the exchange in progress */
    ev_timer timer;    /* the server's answer must come before it fires */
    uint8_t stamp[8];  /* our transmit time, which the answer echoes */
};

extern const struct service ntp_service;

#endif
