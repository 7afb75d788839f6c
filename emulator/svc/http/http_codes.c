#include "http_codes.h"

/* A connection that failed or ended before a whole response: a name that
 * does not resolve is 603, a TLS setup that dies without an alert 605, an
 * alert 606, anything else 601 (the SSL note's HTTPS example and the
 * manual's code list; which TLS failure gives 605 and which 606 is not
 * documented, this split is ours). */
static const int net_codes[NET_ERR_COUNT] = NET_ERR_TABLE(
    /* ok */ HTTP_NETWORK_ERROR, /* dns */ HTTP_DNS_ERROR, /* refused */ HTTP_NETWORK_ERROR,
    /* timeout */ HTTP_NETWORK_ERROR, /* reset */ HTTP_NETWORK_ERROR,
    /* closed */ HTTP_NETWORK_ERROR, /* tls_handshake */ HTTP_TLS_SETUP,
    /* tls_alert */ HTTP_TLS_ALERT, /* io */ HTTP_NETWORK_ERROR, /* proto */ HTTP_NOT_HTTP);

static const int fact_codes[HTTP_FACT_COUNT] = {
    [HTTP_DONE] = 0,     /* the server's own status */
    [HTTP_FAIL_NET] = 0, /* net_codes decides */
    [HTTP_FAIL_NOT_HTTP] = HTTP_NOT_HTTP,
    [HTTP_FAIL_TOO_BIG] = HTTP_NO_MEMORY,
    [HTTP_FAIL_TIMEOUT] = HTTP_NETWORK_ERROR,
    /* No host in the URL, or https:// while HTTPSSL=0: the module answers
     * as if the name did not resolve. */
    [HTTP_FAIL_NO_HOST] = HTTP_DNS_ERROR,
    [HTTP_FAIL_SCHEME] = HTTP_DNS_ERROR,
    [HTTP_FAIL_NO_BEARER] = HTTP_NETWORK_ERROR,
};

int http_code_for(enum http_fact fact, enum net_err err)
{
    if (fact == HTTP_FAIL_NET)
        return (unsigned)err < NET_ERR_COUNT ? net_codes[err] : HTTP_NETWORK_ERROR;
    if ((unsigned)fact < HTTP_FACT_COUNT && fact_codes[fact])
        return fact_codes[fact];
    return HTTP_NETWORK_ERROR;
}
