/* The TCP/IP service's one table from connection facts to what the module
 * prints (SIM800 AT Command Manual V1.09 §8.2.2 AT+CIPSTART, §10.2.1
 * AT+CIPPING). */
#ifndef SIM800EMU_TCPIP_CODES_H
#define SIM800EMU_TCPIP_CODES_H

#include <stdbool.h>

#include "net.h"

/* What a link that could not be opened reports. */
enum tcpip_open_failure {
    TCPIP_CONNECT_FAIL = 1, /* "CONNECT FAIL" ("STATE: TCP CLOSED" first in single mode) */
    TCPIP_CLOSE_OK,         /* the TLS handshake failed: the link just closes */
};

enum tcpip_open_failure tcpip_open_failure_for(enum net_err err);

/* Whether a ping probe that ended with err counts as answered. */
bool tcpip_ping_answered(enum net_err err);

#endif
