/* Options of the links to come: TCP keepalive (AT+CIPTKA) and the local
 * port (AT+CLPORT) (SIM800 AT Command Manual V1.09 ch. 8). */
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

/* --- AT+CIPTKA --- */

/* Mode, idle time, interval, count: the mode alone may be given (manual
 * §8.2.30). */
static const struct setting_list_desc ciptka_desc = {
    "+CIPTKA",
    "+CIPTKA: (0,1),(30-7200),(30-600),(1-9)",
    &tcpip_service,
    4,
    1,
    {{offsetof(struct tcpip_state, tka[0]), 0, 1},
     {offsetof(struct tcpip_state, tka[1]), 30, 7200},
     {offsetof(struct tcpip_state, tka[2]), 30, 600},
     {offsetof(struct tcpip_state, tka[3]), 1, 9}},
};

/* --- AT+CLPORT --- */

static int cmd_clport(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, t->mux ? "+CLPORT: (0-5),(\"TCP\",\"UDP\"),(0-65535)"
                          : "+CLPORT: (\"TCP\",\"UDP\"),(0-65535)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        if (!t->mux) {
            at_info(m, "+CLPORT: %d,%d", t->clport_tcp[0], t->clport_udp[0]);
            return AT_OK;
        }
        char buf[256];
        int n = 0;
        for (int i = 0; i < CIP_LINKS; i++)
            n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s+CLPORT: %d,%d,%d", i ? "\r\n" : "",
                          i, t->clport_tcp[i], t->clport_udp[i]);
        at_info(m, "%s", buf);
        return AT_OK;
    }
    long id = 0, port;
    char proto[8];
    if (t->mux && at_arg_int(&r->args, 0, CIP_LINKS - 1, &id) != AT_ARG_OK)
        return AT_ERROR;
    if (at_arg_str(&r->args, proto, sizeof(proto), NULL) != AT_ARG_OK ||
        at_arg_int(&r->args, 0, 65535, &port) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    if (ascii_ieq(proto, "TCP"))
        t->clport_tcp[id] = (int)port;
    else if (ascii_ieq(proto, "UDP"))
        t->clport_udp[id] = (int)port;
    else
        return AT_ERROR;
    return AT_OK;
}

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CIPTKA", RW, 0, setting_list_cmd, &ciptka_desc},
    {"+CLPORT", RW, 0, cmd_clport, NULL},
};

const struct at_cmd_table cmd_tcpip_options_table = {rows, ARRAY_SIZE(rows),
                                                     .errors_are_cme = true};
