/* The links of the TCP/IP stack: connecting, receiving (pushed to the host
 * or kept for AT+CIPRXGET), sending, closing, and transparent mode
 * (SIM800 AT Command Manual V1.09 §8.2.2–8.2.7, §8.2.22,
 * §8.2.26, §19.3). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "conn_fault.h"
#include "modem.h"
#include "port.h"
#include "reply.h"
#include "ssl.h"
#include "tcpip.h"
#include "tcpip_codes.h"
#include "trace.h"

/* Pushed bytes the host may leave unread before links stop reading. */
#define PUSH_HIGH_WATER (64 * 1024)

static void link_connected(struct conn *c, void *ud);
static void link_readable(struct conn *c, void *ud);
static void link_sent(struct conn *c, void *ud);
static void link_failed(struct conn *c, void *ud, enum net_err err);

static const struct conn_handlers link_handlers = {
    .connected = link_connected,
    .readable = link_readable,
    .sent = link_sent,
    .failed = link_failed,
};

bool link_in_use(const struct cip_link *l)
{
    return l->state == LINK_CONNECTING || l->state == LINK_CONNECTED || l->state == LINK_CLOSING;
}

/* CIPSTATUS and RECV FROM show the address the host asked for when it gave
 * one (so the SSL note's 116.228.221.51 stays), else the one resolved. */
const char *link_shown_address(const struct cip_link *l)
{
    if (net_is_ipv4_literal(l->host) || !l->conn || !conn_peer_address(l->conn)[0])
        return l->host;
    return conn_peer_address(l->conn);
}

/* "<n>, " in multi mode, nothing in single mode (manual §8.2.2, §8.2.6). */
static void urc_linked(struct cip_link *l, const char *text)
{
    struct modem *m = l->modem;
    if (tcpip_of(m)->mux)
        at_urc(m, "%d, %s", l->id, text);
    else
        at_urc(m, "%s", text);
}

static void drop_conn(struct cip_link *l, bool abortive)
{
    if (l->conn)
        conn_free(l->conn, abortive);
    l->conn = NULL;
}

int link_start(struct modem *m, struct cip_link *l, bool udp, const char *host, int port)
{
    struct tcpip_state *t = tcpip_of(m);
    drop_conn(l, true);
    bytebuf_clear(&l->rx);
    l->rx_announced = false;
    l->tx_total = 0;
    l->send_waiting = false;
    l->push_paused = false;
    l->udp = udp;
    l->tls = t->ssl && !udp; /* CIPSSL at start time decides (SIM800 SSL Application Note (Chinese
                                edition) example 3.9) */
    str_copy(l->host, sizeof(l->host), host);
    l->port = port;
    l->state = LINK_CONNECTING;
    struct tls_choice tls;
    ssl_choice_for(m, &tls);
    struct conn_params p = {
        .kind = udp ? CONN_UDP : CONN_TCP,
        .host = host,
        .port = port,
        .tls = l->tls,
        .tls_choice = &tls,
        .timeout_s = m->profile->connect_timeout_s,
        .local_port = udp ? t->clport_udp[l->id] : t->clport_tcp[l->id],
        .trace_id = m->id,
        .tag = "tcpip",
    };
    l->conn = conn_open(&p, &link_handlers, l);
    return 0;
}

static void link_connected(struct conn *c, void *ud)
{
    struct cip_link *l = ud;
    struct modem *m = l->modem;
    struct tcpip_state *t = tcpip_of(m);
    l->state = LINK_CONNECTED;
    /* The module's link is up whatever the kernel says: a refused keepalive
     * is a trace note (and `status` shows what the socket holds). */
    if (t->tka[0] && conn_set_keepalive(c, true, t->tka[1], t->tka[2], t->tka[3]) < 0)
        trace_note(m->id, "net", "AT+CIPTKA: keepalive %d,%d,%d not set: %s", t->tka[1], t->tka[2],
                   t->tka[3], strerror(errno));
    if (t->mode && !t->mux) {
        /* Transparent mode: CONNECT, then the port is a pipe (manual 19.3). */
        at_urc(m, "CONNECT");
        t->data_mode = true;
        t->plus_count = 0;
        t->last_input = ev_now(m->loop);
        at_set_passthrough(m, link_passthrough, l);
        return;
    }
    urc_linked(l, "CONNECT OK");
}

/* The link ended without the host asking: CLOSED, and in transparent mode
 * back to command mode. */
static void link_lost(struct cip_link *l)
{
    struct modem *m = l->modem;
    struct tcpip_state *t = tcpip_of(m);
    l->state = LINK_CLOSED;
    drop_conn(l, false);
    if (l->send_waiting) {
        l->send_waiting = false;
        char text[32];
        snprintf(text, sizeof(text), t->mux ? "%d, SEND FAIL" : "SEND FAIL", l->id);
        at_complete(m, at_final_text(m, text));
    }
    if (l->id == 0)
        tcpip_leave_data_mode(m);
    urc_linked(l, "CLOSED");
}

static void link_failed(struct conn *c, void *ud, enum net_err err)
{
    struct cip_link *l = ud;
    struct modem *m = l->modem;
    if (l->state != LINK_CONNECTING) {
        link_lost(l);
        return;
    }
    l->state = LINK_CLOSED;
    drop_conn(l, false);
    if (tcpip_open_failure_for(err) == TCPIP_CLOSE_OK) {
        urc_linked(l, "CLOSE OK");
        return;
    }
    if (tcpip_of(m)->mux) {
        urc_linked(l, "CONNECT FAIL");
    } else {
        at_urc(m, "STATE: %s CLOSED", l->udp ? "UDP" : "TCP");
        at_urc(m, "CONNECT FAIL");
    }
}

static void link_sent(struct conn *c, void *ud)
{
    struct cip_link *l = ud;
    struct modem *m = l->modem;
    if (!l->send_waiting)
        return;
    l->send_waiting = false;
    char text[32];
    snprintf(text, sizeof(text), tcpip_of(m)->mux ? "%d, SEND OK" : "SEND OK", l->id);
    at_complete(m, at_final_text(m, text));
}

void link_send(struct cip_link *l, const uint8_t *p, size_t n)
{
    if (!l->conn)
        return;
    l->tx_total += n;
    conn_write(l->conn, p, n);
}

/* Pushes received bytes to the host as the settings say (manual §8.2.15,
 * §8.2.20, §8.2.24). */
static void push_to_host(struct cip_link *l, const uint8_t *p, size_t n)
{
    struct modem *m = l->modem;
    struct tcpip_state *t = tcpip_of(m);
    char head[320];
    if (t->data_mode) {
        at_raw(m, p, n);
        return;
    }
    if (t->mux) {
        if (t->srip)
            snprintf(head, sizeof(head), "+RECEIVE,%d,%zu,%s:%d:", l->id, n, link_shown_address(l),
                     l->port);
        else
            snprintf(head, sizeof(head), "+RECEIVE,%d,%zu:", l->id, n);
        at_urc_data(m, head, p, n);
        return;
    }
    if (t->srip) {
        int k =
            snprintf(head, sizeof(head), "\r\nRECV FROM:%s:%d\r\n", link_shown_address(l), l->port);
        at_urc_raw(m, head, (size_t)k);
    }
    if (t->head) {
        int k = t->showtp
                    ? snprintf(head, sizeof(head), "\r\n+IPD,%zu,%s:", n, l->udp ? "UDP" : "TCP")
                    : snprintf(head, sizeof(head), "\r\n+IPD,%zu:", n);
        at_urc_raw(m, head, (size_t)k);
    }
    at_urc_raw(m, p, n);
}

static void announce_rx(struct cip_link *l)
{
    struct modem *m = l->modem;
    if (l->rx_announced)
        return;
    l->rx_announced = true;
    /* Edge-triggered: once when the buffer stops being empty (manual §8.2.26). */
    if (tcpip_of(m)->srip) {
        if (tcpip_of(m)->mux)
            at_urc(m, "+CIPRXGET: 1,%d,%s:%d", l->id, link_shown_address(l), l->port);
        else
            at_urc(m, "+CIPRXGET: 1,%s:%d", link_shown_address(l), l->port);
    } else if (tcpip_of(m)->mux) {
        at_urc(m, "+CIPRXGET: 1,%d", l->id);
    } else {
        at_urc(m, "+CIPRXGET: 1");
    }
}

static void link_readable(struct conn *c, void *ud)
{
    struct cip_link *l = ud;
    struct modem *m = l->modem;
    uint8_t buf[CIP_READ_MAX];
    for (;;) {
        size_t room = sizeof(buf);
        bool keep = tcpip_of(m)->rxget && !tcpip_of(m)->data_mode;
        if (keep) {
            size_t cap = (size_t)tcpip_config(m)->rx_buffer;
            size_t used = bytebuf_pending(&l->rx);
            if (used >= cap) {
                /* Full: leave the rest in the socket; TCP's window does
                 * the rest and nothing is lost (our choice where the manual is silent). */
                conn_pause_reading(c, true);
                return;
            }
            room = cap - used < room ? cap - used : room;
        }
        ssize_t n = conn_read(c, buf, room);
        if (n == 0)
            return;
        if (n < 0) {
            link_lost(l);
            return;
        }
        if (keep) {
            bytebuf_append(&l->rx, buf, (size_t)n);
            announce_rx(l);
        } else {
            push_to_host(l, buf, (size_t)n);
            /* A real module's UART is slower than its radio; here the host
             * may be slower than the server. Stop reading while the host
             * has much unread, so nothing piles up without bound (the TCP
             * window holds the rest, as with CIPRXGET). */
            if (modem_output_backlog(m) > PUSH_HIGH_WATER) {
                l->push_paused = true;
                conn_pause_reading(c, true);
                modem_want_drain(m);
                return;
            }
        }
    }
}

void tcpip_output_drained(struct modem *m)
{
    for (int i = 0; i < CIP_LINKS; i++) {
        struct cip_link *l = &tcpip_of(m)->links[i];
        if (!l->push_paused)
            continue;
        l->push_paused = false;
        if (l->conn && conn_state(l->conn) == CONN_CONNECTED)
            conn_pause_reading(l->conn, false);
    }
}

void link_rx_consumed(struct cip_link *l)
{
    if (bytebuf_pending(&l->rx) == 0)
        l->rx_announced = false;
    if (l->conn && conn_state(l->conn) == CONN_CONNECTED)
        conn_pause_reading(l->conn, false);
}

void link_close(struct cip_link *l, bool quick)
{
    drop_conn(l, quick);
    l->state = LINK_CLOSED;
    l->send_waiting = false;
    l->push_paused = false;
}

/* --- transparent mode: "+++" with guard times (manual §8.2.22, CIPMODE) --- */

void tcpip_leave_data_mode(struct modem *m)
{
    struct tcpip_state *t = tcpip_of(m);
    if (!t->data_mode)
        return;
    t->data_mode = false;
    ev_timer_stop(m->loop, &t->escape_timer);
    at_set_passthrough(m, NULL, NULL);
}

void tcpip_close_all_links(struct modem *m, bool announce)
{
    struct tcpip_state *t = tcpip_of(m);
    for (int i = 0; i < CIP_LINKS; i++) {
        struct cip_link *l = &t->links[i];
        bool was_in_use = link_in_use(l);
        link_close(l, true);
        if (announce && was_in_use)
            urc_linked(l, "CLOSED");
    }
    tcpip_leave_data_mode(m);
}

static void escape_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct modem *m = w->data;
    struct tcpip_state *t = tcpip_of(m);
    if (!t->data_mode || t->plus_count != 3)
        return;
    /* Silence after "+++": back to command mode, the link stays up. */
    t->plus_count = 0;
    tcpip_leave_data_mode(m);
    at_urc(m, "OK");
}

size_t link_passthrough(struct modem *m, void *ud, const uint8_t *p, size_t n)
{
    struct cip_link *l = ud;
    struct tcpip_state *t = tcpip_of(m);
    double now = ev_now(m->loop);
    double guard = tcpip_config(m)->escape_guard_ms / 1000.0;
    for (size_t i = 0; i < n; i++) {
        bool silent_before = now - t->last_input >= guard;
        if (p[i] == '+' && (t->plus_count > 0 || silent_before) && t->plus_count < 3) {
            t->plus_count++;
            t->last_input = now;
            if (t->plus_count == 3) {
                ev_timer_stop(m->loop, &t->escape_timer);
                ev_timer_init(&t->escape_timer, escape_cb, guard, 0.);
                t->escape_timer.data = m;
                ev_timer_start(m->loop, &t->escape_timer);
            }
            continue;
        }
        /* Not an escape after all: the held '+' are data. */
        if (t->plus_count > 0) {
            ev_timer_stop(m->loop, &t->escape_timer);
            link_send(l, (const uint8_t *)"+++", (size_t)t->plus_count);
            t->plus_count = 0;
        }
        size_t j = i + 1;
        while (j < n && p[j] != '+')
            j++;
        link_send(l, p + i, j - i);
        t->last_input = now;
        i = j - 1;
    }
    return n;
}

int tcpip_link_end(struct modem *m, int link)
{
    struct tcpip_state *t = tcpip_of(m);
    struct conn *c = t && link >= 0 && link < CIP_LINKS ? t->links[link].conn : NULL;
    if (!c || conn_state(c) != CONN_CONNECTED)
        return -1;
    conn_fault_end(c, NET_ECLOSED);
    return 0;
}
