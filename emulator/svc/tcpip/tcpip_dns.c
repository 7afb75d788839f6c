/* The TCP/IP stack's name service: AT+CDNSCFG and AT+CDNSGIP (SIM800 AT
 * Command Manual V1.09 §8.2.14-8.2.15), over net/'s resolver and host map. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "modem.h"
#include "reply.h"
#include "setting.h"
#include "tcpip.h"
#include "tcpip_codes.h"

/* --- AT+CDNSCFG --- */

static int cmd_cdnscfg(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    char pri[16], sec[16] = "";
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CDNSCFG: (\"Primary DNS\"),(\"Secondary DNS\")");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        /* No "+CDNSCFG:" prefix on the read answer (manual 8.2.13). */
        at_info(m, "PrimaryDns: %s\r\nSecondaryDns: %s", t->dns1, t->dns2);
        return AT_OK;
    }
    if (at_arg_str(&r->args, pri, sizeof(pri), NULL) != AT_ARG_OK || !net_is_ipv4_literal(pri))
        return AT_ERROR;
    enum at_arg_status st = at_arg_str(&r->args, sec, sizeof(sec), NULL);
    if (st == AT_ARG_BAD || (st == AT_ARG_OK && !net_is_ipv4_literal(sec)) ||
        !at_args_done(&r->args))
        return AT_ERROR;
    /* Stored and shown; lookups go through the emulator's host map and
     * resolver, never to these servers. */
    strcpy(t->dns1, pri);
    strcpy(t->dns2, st == AT_ARG_OK ? sec : "0.0.0.0");
    return AT_OK;
}

/* --- AT+CDNSGIP --- */

static void dnsgip_cb(void *ud, enum net_err err, const struct net_addr *addrs, int count)
{
    struct modem *m = ud;
    struct tcpip_state *t = tcpip_of(m);
    t->dns_query = NULL;
    if (err != NET_OK || count == 0) {
        /* 8: DNS common error (manual 8.2.14). */
        at_urc(m, "+CDNSGIP: 0,8");
        return;
    }
    char line[512];
    int n = snprintf(line, sizeof(line), "+CDNSGIP: 1,\"%s\"", t->dns_name);
    for (int i = 0; i < count && i < 2 && n > 0 && (size_t)n < sizeof(line); i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, ",\"%s\"", addrs[i].shown);
    at_urc(m, "%s", line);
}

static int cmd_cdnsgip(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    char name[256];
    if (at_arg_str(&r->args, name, sizeof(name), NULL) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    if (!tcpip_context_up(t) || t->dns_query)
        return AT_ERROR;
    str_copy(t->dns_name, sizeof(t->dns_name), name);
    t->dns_query = net_lookup(name, dnsgip_cb, m);
    return AT_OK;
}

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CDNSCFG", RW, 0, cmd_cdnscfg, NULL},
    {"+CDNSGIP", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_cdnsgip, NULL},
};

const struct at_cmd_table cmd_tcpip_dns_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};
