/* The HTTP service's result codes (+HTTPACTION's <StatusCode> when no
 * response came; SIM800 AT Command Manual V1.09 §11.2.5) and its one table
 * from what the client observed to those codes. */
#ifndef SIM800EMU_HTTP_CODES_H
#define SIM800EMU_HTTP_CODES_H

#include "http_client.h"
#include "net.h"

enum {
    HTTP_NOT_HTTP = 600,      /* "Not HTTP PDU" */
    HTTP_NETWORK_ERROR = 601, /* "Network Error" */
    HTTP_NO_MEMORY = 602,     /* "No memory" */
    HTTP_DNS_ERROR = 603,     /* "DNS Error" */
    HTTP_STACK_BUSY = 604,    /* "Stack Busy" */
    HTTP_TLS_SETUP = 605,     /* SSL: the handshake could not complete */
    HTTP_TLS_ALERT = 606,     /* SSL: a fatal alert, e.g. a certificate refused */
};

/* The <StatusCode> of an action that ended with fact (and err for
 * HTTP_FAIL_NET); for HTTP_DONE the caller reports the server's status. */
int http_code_for(enum http_fact fact, enum net_err err);

#endif
