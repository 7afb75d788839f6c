#include "smtp_codes.h"

/* A connection that failed: a name that does not resolve is 62, a refused
 * or unreachable server 63, silence beyond AT+EMAILTO 64, a TLS setup that
 * dies without an alert 71, a fatal alert 72 (the SSL note's two codes; the
 * split between them is ours, as for HTTP's 605/606), a server that does
 * not speak SMTP 65, anything else 61. */
static const int net_codes[NET_ERR_COUNT] = NET_ERR_TABLE(
    /* ok */ SMTP_NETWORK_ERROR, /* dns */ SMTP_DNS_ERROR, /* refused */ SMTP_CONNECT_FAILED,
    /* timeout */ SMTP_TIMEOUT, /* reset */ SMTP_NETWORK_ERROR, /* closed */ SMTP_NETWORK_ERROR,
    /* tls_handshake */ SMTP_TLS_SETUP, /* tls_alert */ SMTP_TLS_ALERT, /* io */ SMTP_NETWORK_ERROR,
    /* proto */ SMTP_SERVER_ERROR);

static const int fact_codes[SMTP_FACT_COUNT] = {
    [SMTP_DONE] = SMTP_SENT,
    [SMTP_FAIL_NET] = 0,     /* net_codes */
    [SMTP_FAIL_CONNECT] = 0, /* net_codes, but a server that drops the connection before
                              * its greeting is 63 */
    [SMTP_FAIL_NO_BEARER] = SMTP_NETWORK_ERROR,
    [SMTP_FAIL_REJECTED] = SMTP_SERVER_ERROR,
    [SMTP_FAIL_AUTH_NEEDED] = SMTP_NOT_AUTHENTICATED,
    [SMTP_FAIL_AUTH] = SMTP_AUTH_FAILED,
    [SMTP_FAIL_RCPT] = SMTP_BAD_RECIPIENT,
    /* Not documented (SIM800 AT Command Manual V1.09 §14.2.2: 71 or 65); the TLS channel could not
       be set up. */
    [SMTP_FAIL_NO_STARTTLS] = SMTP_TLS_SETUP,
};

int smtp_code_for(enum smtp_fact fact, enum net_err err)
{
    if (fact == SMTP_FAIL_NET || fact == SMTP_FAIL_CONNECT) {
        if ((unsigned)err >= NET_ERR_COUNT)
            return SMTP_NETWORK_ERROR;
        if (fact == SMTP_FAIL_CONNECT &&
            (err == NET_ERESET || err == NET_ECLOSED || err == NET_EIO))
            return SMTP_CONNECT_FAILED;
        return net_codes[err];
    }
    if ((unsigned)fact < SMTP_FACT_COUNT && fact_codes[fact])
        return fact_codes[fact];
    return SMTP_NETWORK_ERROR;
}
