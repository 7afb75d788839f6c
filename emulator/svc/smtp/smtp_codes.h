/* The SMTP service's result codes (+SMTPSEND: <code>; SIM800 AT Command
 * Manual V1.09 §14.2.10, SSL Application Note §2.1 for 71/72) and its one
 * table from what the client observed to those codes. */
#ifndef SIM800EMU_SMTP_CODES_H
#define SIM800EMU_SMTP_CODES_H

#include "net.h"

enum {
    SMTP_SENT = 1,
    SMTP_NETWORK_ERROR = 61,
    SMTP_DNS_ERROR = 62,
    SMTP_CONNECT_FAILED = 63,
    SMTP_TIMEOUT = 64,
    SMTP_SERVER_ERROR = 65,
    SMTP_NOT_AUTHENTICATED = 66, /* "Not authentication": the server wants AUTH */
    SMTP_AUTH_FAILED = 67,
    SMTP_BAD_RECIPIENT = 68,
    SMTP_TLS_SETUP = 71,
    SMTP_TLS_ALERT = 72,
};

/* What the SMTP client observed when a send ended. */
enum smtp_fact {
    SMTP_DONE,             /* the server took the message */
    SMTP_FAIL_NET,         /* the connection failed after it was up: the net table decides */
    SMTP_FAIL_CONNECT,     /* before the greeting: resolve, connect, implicit TLS */
    SMTP_FAIL_NO_BEARER,   /* AT+EMAILCID's bearer is not open */
    SMTP_FAIL_REJECTED,    /* a 4xx/5xx to the greeting, EHLO/HELO, MAIL, DATA or the message */
    SMTP_FAIL_AUTH_NEEDED, /* 530 to MAIL (authentication required), or AUTH wanted and not offered
                            */
    SMTP_FAIL_AUTH,        /* AUTH refused: user name or password */
    SMTP_FAIL_RCPT,        /* a RCPT refused */
    SMTP_FAIL_NO_STARTTLS, /* EMAILSSL=2 and the server offers no STARTTLS, or refuses it */
    SMTP_FACT_COUNT,
};

/* The <code> of +SMTPSEND for a send that ended with fact (and err for
 * SMTP_FAIL_NET / SMTP_FAIL_CONNECT). */
int smtp_code_for(enum smtp_fact fact, enum net_err err);

#endif
