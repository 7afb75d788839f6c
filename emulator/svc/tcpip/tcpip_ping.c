/* Reachability: AT+CIPPING, answered by a TCP connect to the host (no raw
 * sockets needed), and AT+CIPGSMLOC, whose SIMCom servers are not there to
 * ask (SIM800 AT Command Manual V1.09 ch. 8). */
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
    if (!at_args_done(&r->args) || !tcpip_context_up(t) || t->ping_query || t->ping_conn)
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
    {"+CIPPING", RW, 0, cmd_cipping, NULL},
};

const struct at_cmd_table cmd_tcpip_ping_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};
