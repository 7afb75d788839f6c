#include "pop3_codes.h"

/* As SMTP's: 62 DNS, 63 refused, 64 silence beyond AT+EMAILTO, 71 a TLS
 * setup without an alert, 72 a fatal alert, 65 a server that does not speak
 * POP3, 61 anything else. */
static const int net_codes[NET_ERR_COUNT] = NET_ERR_TABLE(
    /* ok */ POP3_NETWORK_ERROR, /* dns */ POP3_DNS_ERROR, /* refused */ POP3_CONNECT_FAILED,
    /* timeout */ POP3_TIMEOUT, /* reset */ POP3_NETWORK_ERROR, /* closed */ POP3_NETWORK_ERROR,
    /* tls_handshake */ POP3_TLS_SETUP, /* tls_alert */ POP3_TLS_ALERT, /* io */ POP3_NETWORK_ERROR,
    /* proto */ POP3_SERVER_ERROR);

static const int fact_codes[POP3_FACT_COUNT] = {
    [POP3_DONE] = POP3_OK,
    [POP3_FAIL_NET] = 0,
    [POP3_FAIL_CONNECT] = 0,
    [POP3_FAIL_NO_BEARER] = POP3_NETWORK_ERROR,
    [POP3_FAIL_GREETING] = POP3_LOGIN_REFUSED,
    [POP3_FAIL_USER] = POP3_USER_REJECTED,
    [POP3_FAIL_PASS] = POP3_PASS_REJECTED,
    /* Not documented; the TLS channel could not be set up. */
    [POP3_FAIL_NO_STLS] = POP3_TLS_SETUP,
    [POP3_FAIL_UNREAD] = POP3_READ_TIMEOUT,
};

int pop3_code_for(enum pop3_fact fact, enum net_err err)
{
    if (fact == POP3_FAIL_NET || fact == POP3_FAIL_CONNECT) {
        if ((unsigned)err >= NET_ERR_COUNT)
            return POP3_NETWORK_ERROR;
        if (fact == POP3_FAIL_CONNECT &&
            (err == NET_ERESET || err == NET_ECLOSED || err == NET_EIO))
            return POP3_CONNECT_FAILED;
        return net_codes[err];
    }
    if ((unsigned)fact < POP3_FACT_COUNT && fact_codes[fact])
        return fact_codes[fact];
    return POP3_NETWORK_ERROR;
}

int pop3_out_code_for(enum pop3_fact fact, enum net_err err)
{
    int code = pop3_code_for(fact, err);
    return (code >= 61 && code <= 64) || code == 1 || code == 69 ? code : POP3_NETWORK_ERROR;
}
