/* The TCP/IP stack's side commands: DNS (AT+CDNSCFG, AT+CDNSGIP),
 * keepalive (AT+CIPTKA), ping (AT+CIPPING) and the local port (AT+CLPORT)
 * (SIM800 AT Command Manual V1.09 ch. 8). */
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

static bool context_up(const struct tcpip_state *t)
{
    return t->ip == IP_GPRSACT || t->ip == IP_STATUS;
}

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
    if (!context_up(t) || t->dns_query)
        return AT_ERROR;
    str_copy(t->dns_name, sizeof(t->dns_name), name);
    t->dns_query = net_lookup(name, dnsgip_cb, m);
    return AT_OK;
}

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

/* --- AT+CIPPING ---
 * ICMP needs privileges the emulator should not ask for, so each echo is a
 * TCP connect to the destination's port (the mapped one, else 80): a SYN and
 * its answer (SYN-ACK or RST) are one real round trip (the manual's §10.2.1 allows
 * this).  Times in the manual's 100 ms units, at least 1; a lost echo shows
 * 600 and TTL 255. */

#define PING_LOST_TIME 600

static void ping_next(struct modem *m);

/* An address the host gave is shown as given; a name as resolved. */
static const char *ping_shown(const struct tcpip_state *t)
{
    return net_is_ipv4_literal(t->ping_host) ? t->ping_host : t->ping_addr;
}

static void ping_report(struct modem *m, bool answered)
{
    struct tcpip_state *t = tcpip_of(m);
    int rtt = (int)((ev_now(m->loop) - t->ping_t0) * 10.0 + 0.999);
    if (rtt < 1)
        rtt = 1;
    if (answered)
        at_info(m, "+CIPPING: %d,\"%s\",%d,%d", t->ping_seq, ping_shown(t), rtt, t->ping[3]);
    else
        at_info(m, "+CIPPING: %d,\"%s\",%d,255", t->ping_seq, ping_shown(t), PING_LOST_TIME);
    if (t->ping_conn)
        conn_free(t->ping_conn, true);
    t->ping_conn = NULL;
    ev_timer_stop(m->loop, &t->ping_timer);
    ping_next(m);
}

static void ping_connected(struct conn *c, void *ud) { ping_report(ud, true); }
static void ping_readable(struct conn *c, void *ud) {}
static void ping_failed(struct conn *c, void *ud, enum net_err err)
{
    ping_report(ud, tcpip_ping_answered(err));
}

static const struct conn_handlers ping_handlers = {
    .connected = ping_connected, .readable = ping_readable, .failed = ping_failed};

static void ping_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    ping_report(w->data, false);
}

static void ping_next(struct modem *m)
{
    struct tcpip_state *t = tcpip_of(m);
    if (t->ping_left-- <= 0) {
        at_complete(m, AT_OK);
        return;
    }
    t->ping_seq++;
    t->ping_t0 = ev_now(m->loop);
    struct conn_params p = {.kind = CONN_TCP,
                            .host = t->ping_addr,
                            .port = t->ping_port,
                            .timeout_s = 600,
                            .trace_id = m->id,
                            .direct = true};
    t->ping_conn = conn_open(&p, &ping_handlers, m);
    ev_timer_set(&t->ping_timer, t->ping[2] / 10.0, 0.);
    t->ping_timer.data = m;
    ev_timer_start(m->loop, &t->ping_timer);
}

static void ping_resolved(void *ud, enum net_err err, const struct net_addr *addrs, int count)
{
    struct modem *m = ud;
    struct tcpip_state *t = tcpip_of(m);
    t->ping_query = NULL;
    if (err != NET_OK || count == 0) {
        at_complete(m, AT_ERROR);
        return;
    }
    str_copy(t->ping_addr, sizeof(t->ping_addr), addrs[0].text);
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)&addrs[0].sa;
    t->ping_port = ntohs(s4->sin_port);
    ping_next(m);
}

/* AT+CIPGSMLOC=<type>,<cid>: SIMCom's cell-location service, which needs
 * SIMCom's own servers.  There is none to ask, so every request answers
 * 601 (network error), the code modules give when the service cannot be
 * reached; the test form is the one of SIMCom's location note. */
static int cmd_cipgsmloc(struct modem *m, struct at_req *r)
{
    long type, cid;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CIPGSMLOC: (1,2),(1-3)");
        return AT_OK;
    }
    if (at_arg_int(&r->args, 1, 2, &type) != AT_ARG_OK ||
        at_arg_int(&r->args, 1, 3, &cid) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    at_info(m, "+CIPGSMLOC: 601");
    return AT_OK;
}

static int cmd_cipping(struct modem *m, struct at_req *r)
{
    static const long lim[4][2] = {{1, 100}, {0, 1024}, {1, 600}, {1, 255}};
    struct tcpip_state *t = tcpip_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CIPPING: (1-100),(0-1024),(1-600),(1-255)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CIPPING: %d,%d,%d,%d", t->ping[0], t->ping[1], t->ping[2], t->ping[3]);
        return AT_OK;
    }
    char host[256];
    if (at_arg_str(&r->args, host, sizeof(host), NULL) != AT_ARG_OK)
        return AT_ERROR;
    int v[4];
    memcpy(v, t->ping, sizeof(v));
    for (int i = 0; i < 4; i++) {
        long x;
        enum at_arg_status st = at_arg_int(&r->args, lim[i][0], lim[i][1], &x);
        if (st == AT_ARG_BAD)
            return AT_ERROR;
        if (st == AT_ARG_OK)
            v[i] = (int)x;
    }
    if (!at_args_done(&r->args) || !context_up(t) || t->ping_query || t->ping_conn)
        return AT_ERROR;
    memcpy(t->ping, v, sizeof(v));
    str_copy(t->ping_host, sizeof(t->ping_host), host);
    t->ping_left = v[0];
    t->ping_seq = 0;
    ev_init(&t->ping_timer, ping_timeout_cb);
    t->ping_query = net_resolve(m->id, host, 80, ping_resolved, m);
    return AT_PENDING;
}

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CDNSCFG", RW, 0, cmd_cdnscfg, NULL},
    {"+CDNSGIP", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_cdnsgip, NULL},
    {"+CIPTKA", RW, 0, setting_list_cmd, &ciptka_desc},
    {"+CLPORT", RW, 0, cmd_clport, NULL},
    {"+CIPPING", RW, 0, cmd_cipping, NULL},
    {"+CIPGSMLOC", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_cipgsmloc, NULL},
};

const struct at_cmd_table cmd_tcpip_extra_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};
