/* The POP3 service's result codes (+POP3IN: <code>, +POP3OUT: <code>;
 * SIM800 AT Command Manual V1.09 §14.2.14-14.2.22, SSL Application Note
 * §2.1 for 71/72) and its one table from what the client observed. */
#ifndef SIM800EMU_POP3_CODES_H
#define SIM800EMU_POP3_CODES_H

#include "net.h"

enum {
    POP3_OK = 1, /* logged in / normal logout */
    POP3_NETWORK_ERROR = 61,
    POP3_DNS_ERROR = 62,
    POP3_CONNECT_FAILED = 63,
    POP3_TIMEOUT = 64,
    POP3_SERVER_ERROR = 65,
    POP3_LOGIN_REFUSED = 66, /* the server refuses the login */
    POP3_USER_REJECTED = 67,
    POP3_PASS_REJECTED = 68, /* user name or password */
    POP3_READ_TIMEOUT = 69,
    POP3_TLS_SETUP = 71,
    POP3_TLS_ALERT = 72,
};

enum pop3_fact {
    POP3_DONE,
    POP3_FAIL_NET,       /* the connection failed after the greeting: the net table */
    POP3_FAIL_CONNECT,   /* before the greeting: resolve, connect, implicit TLS */
    POP3_FAIL_NO_BEARER, /* AT+EMAILCID's bearer is not open, or went away */
    POP3_FAIL_GREETING,  /* -ERR as the greeting */
    POP3_FAIL_USER,      /* -ERR to USER */
    POP3_FAIL_PASS,      /* -ERR to PASS */
    POP3_FAIL_NO_STLS,   /* EMAILSSL=2 and STLS refused */
    POP3_FAIL_UNREAD,    /* a multi-line reply left unread too long */
    POP3_FACT_COUNT,
};

/* The <code> of +POP3IN for a login that ended with fact (err with the net facts). */
int pop3_code_for(enum pop3_fact fact, enum net_err err);

/* The same as +POP3OUT reports it once logged in: its lists hold only 1,
 * 61-64 and 69, so anything else is 61. */
int pop3_out_code_for(enum pop3_fact fact, enum net_err err);

#endif
