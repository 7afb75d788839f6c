#include "tcpip_codes.h"

/* A failed handshake closes the link as a real module does ("CLOSE OK",
 * seen in client libraries' logs); every other failure is CONNECT FAIL. */
static const enum tcpip_open_failure open_failures[NET_ERR_COUNT] = NET_ERR_TABLE(
    /* ok */ TCPIP_CONNECT_FAIL, /* dns */ TCPIP_CONNECT_FAIL, /* refused */ TCPIP_CONNECT_FAIL,
    /* timeout */ TCPIP_CONNECT_FAIL, /* reset */ TCPIP_CONNECT_FAIL,
    /* closed */ TCPIP_CONNECT_FAIL, /* tls_handshake */ TCPIP_CLOSE_OK,
    /* tls_alert */ TCPIP_CLOSE_OK, /* io */ TCPIP_CONNECT_FAIL, /* proto */ TCPIP_CONNECT_FAIL);

/* AT+CIPPING probes with a plain TCP connect (ICMP needs privileges): a
 * refused connect still proves the host answered; nothing else does. */
static const bool ping_answers[NET_ERR_COUNT] = NET_ERR_TABLE(
    /* ok */ true, /* dns */ false, /* refused */ true, /* timeout */ false, /* reset */ false,
    /* closed */ false, /* tls_handshake */ false, /* tls_alert */ false, /* io */ false,
    /* proto */ false);

enum tcpip_open_failure tcpip_open_failure_for(enum net_err err)
{
    return (unsigned)err < NET_ERR_COUNT ? open_failures[err] : TCPIP_CONNECT_FAIL;
}

bool tcpip_ping_answered(enum net_err err)
{
    return (unsigned)err < NET_ERR_COUNT && ping_answers[err];
}
