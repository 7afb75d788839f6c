/* The TCP/IP application commands (SIM800 AT Command Manual V1.09 ch. 8):
 * the IP state machine, CIPSTART/SEND/CLOSE/SHUT/STATUS and the receive
 * modes.  Links and their data are in tcpip_link.c. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "modem.h"
#include "reply.h"
#include "setting.h"
#include "tcpip.h"

static const char *const ip_state_names[] = {
    [IP_INITIAL] = "IP INITIAL", [IP_START] = "IP START",   [IP_CONFIG] = "IP CONFIG",
    [IP_GPRSACT] = "IP GPRSACT", [IP_STATUS] = "IP STATUS", [IP_PDP_DEACT] = "PDP DEACT",
};

static const char *const link_state_names[] = {
    [LINK_INITIAL] = "INITIAL", [LINK_CONNECTING] = "CONNECTING", [LINK_CONNECTED] = "CONNECTED",
    [LINK_CLOSING] = "CLOSING", [LINK_CLOSED] = "CLOSED",
};

static void ciicr_done_cb(struct ev_loop *loop, ev_timer *w, int revents);

void tcpip_init(struct modem *m)
{
    struct tcpip_state *t = tcpip_of(m);
    for (int i = 0; i < CIP_LINKS; i++)
        bytebuf_free(&t->links[i].rx);
    memset(t, 0, sizeof(*t));
    t->ip = IP_INITIAL;
    t->sprt = 1;
    strcpy(t->apn, "CMNET"); /* what an untouched module reports (manual §8.2.9) */
    strcpy(t->dns1, "0.0.0.0");
    strcpy(t->dns2, "0.0.0.0");
    t->tka[0] = 0, t->tka[1] = 7200, t->tka[2] = 75, t->tka[3] = 9;
    t->ping[0] = 4, t->ping[1] = 32, t->ping[2] = 100, t->ping[3] = 64;
    for (int i = 0; i < CIP_LINKS; i++) {
        t->links[i].modem = m;
        t->links[i].id = i;
    }
    ev_init(&t->ciicr_timer, ciicr_done_cb);
    t->ciicr_timer.data = m;
}

void tcpip_reset(struct modem *m)
{
    struct tcpip_state *t = tcpip_of(m);
    ev_timer_stop(m->loop, &t->ciicr_timer);
    ev_timer_stop(m->loop, &t->escape_timer);
    net_cancel(t->dns_query);
    t->dns_query = NULL;
    net_cancel(t->ping_query);
    t->ping_query = NULL;
    if (t->ping_conn)
        conn_free(t->ping_conn, true);
    t->ping_conn = NULL;
    ev_timer_stop(m->loop, &t->ping_timer);
    tcpip_close_all_links(m, false);
    tcpip_init(m);
}

static void close_all_links(struct modem *m)
{
    struct tcpip_state *t = tcpip_of(m);
    tcpip_close_all_links(m, false);
    for (int i = 0; i < CIP_LINKS; i++) {
        bytebuf_clear(&t->links[i].rx);
        t->links[i].state = LINK_INITIAL;
        t->links[i].rx_announced = false;
    }
}

void tcpip_pdp_deact(struct modem *m)
{
    struct tcpip_state *t = tcpip_of(m);
    if (t->ip == IP_INITIAL || t->ip == IP_START || t->ip == IP_PDP_DEACT)
        return;
    ev_timer_stop(m->loop, &t->ciicr_timer);
    bool had_ciicr = t->ip == IP_CONFIG;
    t->ip = IP_PDP_DEACT;
    tcpip_close_all_links(m, true);
    at_urc(m, "+PDP: DEACT");
    if (had_ciicr)
        at_complete(m, AT_ERROR);
}

/* --- helpers --- */

static bool context_active(const struct tcpip_state *t)
{
    return t->ip == IP_GPRSACT || t->ip == IP_STATUS;
}

static bool any_link_in_use(const struct tcpip_state *t)
{
    for (int i = 0; i < CIP_LINKS; i++)
        if (link_in_use(&t->links[i]))
            return true;
    return false;
}

/* The STATE: text of AT+CIPSTATUS (manual §8.2.12). */
static const char *state_text(const struct tcpip_state *t)
{
    if (t->ip != IP_STATUS)
        return ip_state_names[t->ip];
    if (t->mux)
        return any_link_in_use(t) ? "IP PROCESSING" : "IP STATUS";
    const struct cip_link *l = &t->links[0];
    switch (l->state) {
    case LINK_CONNECTING:
        return l->udp ? "UDP CONNECTING" : "TCP CONNECTING";
    case LINK_CONNECTED:
        return "CONNECT OK";
    case LINK_CLOSING:
        return l->udp ? "UDP CLOSING" : "TCP CLOSING";
    case LINK_CLOSED:
        return l->udp ? "UDP CLOSED" : "TCP CLOSED";
    default:
        return "IP STATUS";
    }
}

/* Reads the link number in multi mode; single mode always uses link 0. */
static struct cip_link *arg_link(struct modem *m, struct at_args *a)
{
    long n = 0;
    if (tcpip_of(m)->mux && at_arg_int(a, 0, CIP_LINKS - 1, &n) != AT_ARG_OK)
        return NULL;
    return &tcpip_of(m)->links[n];
}

static int text_result(struct modem *m, const struct cip_link *l, const char *what)
{
    char text[48];
    if (tcpip_of(m)->mux)
        snprintf(text, sizeof(text), "%d, %s", l->id, what);
    else
        snprintf(text, sizeof(text), "%s", what);
    return at_final_text(m, text);
}

/* --- AT+CSTT, AT+CIICR, AT+CIFSR --- */

static int cmd_cstt(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CSTT: \"APN\",\"USER\",\"PWD\"");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CSTT: \"%s\",\"%s\",\"%s\"", t->apn, t->user, t->pwd);
        return AT_OK;
    }
    if (t->ip != IP_INITIAL)
        return AT_ERROR;
    if (r->form == AT_FORM_WRITE) {
        char apn[65], user[33] = "", pwd[33] = "";
        if (at_arg_str(&r->args, apn, sizeof(apn), NULL) == AT_ARG_BAD ||
            at_arg_str(&r->args, user, sizeof(user), NULL) == AT_ARG_BAD ||
            at_arg_str(&r->args, pwd, sizeof(pwd), NULL) == AT_ARG_BAD || !at_args_done(&r->args))
            return AT_ERROR;
        strcpy(t->apn, apn);
        strcpy(t->user, user);
        strcpy(t->pwd, pwd);
    }
    t->ip = IP_START;
    return AT_OK;
}

static void ciicr_done_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct modem *m = w->data;
    if (tcpip_of(m)->ip != IP_CONFIG)
        return;
    if (!m->general.attached) {
        /* Activation refused: +PDP: DEACT then ERROR (manual §8.2.10, CIICR). */
        tcpip_of(m)->ip = IP_PDP_DEACT;
        at_info(m, "+PDP: DEACT");
        at_complete(m, AT_ERROR);
        return;
    }
    tcpip_of(m)->ip = IP_GPRSACT;
    at_complete(m, AT_OK);
}

static int cmd_ciicr(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (t->ip != IP_START)
        return AT_ERROR;
    t->ip = IP_CONFIG;
    ev_timer_set(&t->ciicr_timer, tcpip_config(m)->ciicr_ms / 1000.0, 0.);
    ev_timer_start(m->loop, &t->ciicr_timer);
    return AT_PENDING;
}

static int cmd_cifsr(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (!context_active(t))
        return AT_ERROR;
    t->ip = IP_STATUS;
    /* The address alone, and no OK (manual 8.2.11; TinyGSM appends ;E0). */
    at_info(m, "%s", m->profile->local_ip);
    return AT_SILENT;
}

/* --- AT+CIPSTART --- */

static int cmd_cipstart(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    if (r->form == AT_FORM_TEST) {
        const char *pre = t->mux ? "(0-5)," : "";
        at_info(m,
                "+CIPSTART: %s(\"TCP\",\"UDP\"),(\"(0,255).(0,255).(0,255).(0,255)\"),(1,65535)\r\n"
                "+CIPSTART: %s(\"TCP\",\"UDP\"),(\"DOMAIN NAME\"),(1,65535)",
                pre, pre);
        return AT_OK;
    }
    struct cip_link *l = arg_link(m, &r->args);
    char proto[8], host[256];
    long port;
    if (!l || at_arg_str(&r->args, proto, sizeof(proto), NULL) != AT_ARG_OK ||
        at_arg_str(&r->args, host, sizeof(host), NULL) != AT_ARG_OK ||
        at_arg_int(&r->args, 1, 65535, &port) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    bool udp = ascii_ieq(proto, "UDP");
    if (!udp && !ascii_ieq(proto, "TCP"))
        return AT_ERROR;
    if (link_in_use(l)) {
        /* manual §8.2.2: ERROR, then ALREADY CONNECT (held until after it). */
        if (t->mux)
            at_urc(m, "%d, ALREADY CONNECT", l->id);
        else
            at_urc(m, "ALREADY CONNECT");
        return AT_ERROR;
    }
    if (t->mux) {
        if (t->ip != IP_STATUS)
            return AT_ERROR; /* multi mode needs CSTT/CIICR/CIFSR first */
    } else if (t->ip == IP_INITIAL) {
        /* Single mode starts the context itself with the stored APN. */
        if (!m->general.attached)
            return AT_ERROR;
        t->ip = IP_STATUS;
    } else if (t->ip != IP_STATUS) {
        return AT_ERROR;
    }
    link_start(m, l, udp, host, (int)port);
    return AT_OK;
}

/* --- AT+CIPSEND --- */

static int send_data_cb(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data,
                        size_t len)
{
    struct cip_link *l = ud;
    struct tcpip_state *t = tcpip_of(m);
    if (end == AT_DATA_CANCEL)
        return AT_OK; /* ESC: nothing sent (manual §8.2.3; the default is our choice) */
    if (l->state != LINK_CONNECTED || !l->conn)
        return text_result(m, l, "SEND FAIL");
    if (len == 0)
        return AT_ERROR;
    link_send(l, data, len);
    if (t->qsend) {
        char text[48];
        if (t->mux)
            snprintf(text, sizeof(text), "DATA ACCEPT:%d,%zu", l->id, len);
        else
            snprintf(text, sizeof(text), "DATA ACCEPT:%zu", len);
        return at_final_text(m, text);
    }
    if (t->sprt == 2)
        return AT_SILENT;
    l->send_waiting = true; /* SEND OK once the socket took it all */
    return AT_PENDING;
}

static int cmd_cipsend(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, t->mux ? "+CIPSEND: (0-5),%d" : "+CIPSEND: %d", CIP_SEND_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        if (!t->mux) {
            at_info(m, "+CIPSEND: %d", t->links[0].state == LINK_CONNECTED ? CIP_SEND_MAX : 0);
            return AT_OK;
        }
        char buf[256];
        int n = 0;
        for (int i = 0; i < CIP_LINKS; i++)
            n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s+CIPSEND: %d,%d", i ? "\r\n" : "", i,
                          t->links[i].state == LINK_CONNECTED ? CIP_SEND_MAX : 0);
        at_info(m, "%s", buf);
        return AT_OK;
    }
    struct cip_link *l = &t->links[0];
    long len = 0;
    if (r->form == AT_FORM_WRITE) {
        if (t->mux && !(l = arg_link(m, &r->args)))
            return AT_ERROR;
        enum at_arg_status st = at_arg_int(&r->args, 1, CIP_SEND_MAX, &len);
        if (st == AT_ARG_BAD || !at_args_done(&r->args))
            return AT_ERROR;
        if (st == AT_ARG_ABSENT && !t->mux)
            return AT_ERROR;
    } else if (t->mux) {
        return AT_ERROR; /* the execute form is single-mode only */
    }
    if (t->data_mode || l->state != LINK_CONNECTED)
        return AT_ERROR;
    struct at_data_req req = {
        .prompt = t->sprt == 1 ? "\r\n> " : NULL,
        .fixed_len = (size_t)len,
        .max_len = CIP_SEND_MAX,
        .cb = send_data_cb,
        .ud = l,
    };
    at_begin_data(m, &req);
    return AT_PENDING;
}

/* --- AT+CIPACK, AT+CIPCLOSE, AT+CIPSHUT --- */

static int cmd_cipack(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if ((r->form == AT_FORM_WRITE) != (tcpip_of(m)->mux != 0))
        return AT_ERROR;
    struct cip_link *l = arg_link(m, &r->args);
    if (!l || !at_args_done(&r->args))
        return AT_ERROR;
    unsigned long long unsent = l->conn ? conn_unsent(l->conn) : 0;
    unsigned long long tx = l->tx_total;
    at_info(m, "+CIPACK: %llu,%llu,%llu", tx, tx - unsent, unsent);
    return AT_OK;
}

static int cmd_cipclose(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    struct cip_link *l = &t->links[0];
    long quick = 0;
    if (r->form == AT_FORM_WRITE) {
        if (t->mux && !(l = arg_link(m, &r->args)))
            return AT_ERROR;
        if (at_arg_int(&r->args, 0, 1, &quick) == AT_ARG_BAD || !at_args_done(&r->args))
            return AT_ERROR;
    } else if (t->mux) {
        return AT_ERROR;
    }
    if (l->state != LINK_CONNECTING && l->state != LINK_CONNECTED)
        return AT_ERROR;
    link_close(l, quick == 1);
    return text_result(m, l, "CLOSE OK"); /* no OK follows (manual 8.2.6) */
}

static int cmd_cipshut(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    close_all_links(m);
    ev_timer_stop(m->loop, &t->ciicr_timer);
    t->ip = IP_INITIAL;
    return at_final_text(m, "SHUT OK");
}

/* --- AT+CIPSTATUS --- */

static void format_link(const struct cip_link *l, char *buf, size_t cap)
{
    if (l->state == LINK_INITIAL)
        snprintf(buf, cap, "%d,,\"\",\"\",\"\",\"INITIAL\"", l->id);
    else
        snprintf(buf, cap, "%d,0,\"%s\",\"%s\",\"%d\",\"%s\"", l->id, l->udp ? "UDP" : "TCP",
                 link_shown_address(l), l->port, link_state_names[l->state]);
}

static int cmd_cipstatus(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    char line[400];
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (r->form == AT_FORM_WRITE) {
        long n;
        if (!t->mux || at_arg_int(&r->args, 0, CIP_LINKS - 1, &n) != AT_ARG_OK ||
            !at_args_done(&r->args))
            return AT_ERROR;
        format_link(&t->links[n], line, sizeof(line));
        at_info(m, "+CIPSTATUS: %s", line);
        return AT_OK;
    }
    /* OK comes first, then the state (manual 8.2.12; FONA relies on it). */
    at_final_early(m, AT_OK);
    at_info(m, "STATE: %s", state_text(t));
    if (t->mux) {
        char all[CIP_LINKS * 410];
        size_t n = 0;
        for (int i = 0; i < CIP_LINKS; i++) {
            format_link(&t->links[i], line, sizeof(line));
            n += (size_t)snprintf(all + n, sizeof(all) - n, "%sC: %s", i ? "\r\n" : "", line);
        }
        at_info_len(m, all, n);
    }
    return AT_SILENT;
}

/* --- AT+CIPMUX, AT+CIPMODE, AT+CIPSSL --- */

static int cmd_cipmux(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    long v;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CIPMUX: (0,1)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CIPMUX: %d", t->mux);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, 1, &v) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    if (t->ip != IP_INITIAL || (v == 1 && t->mode == 1))
        return AT_ERROR;
    t->mux = (int)v;
    return AT_OK;
}

static int cmd_cipmode(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    long v;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CIPMODE: (0-NORMAL MODE,1-TRANSPARENT MODE)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CIPMODE: %d", t->mode);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, 1, &v) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    if (t->ip != IP_INITIAL || (v == 1 && t->mux))
        return AT_ERROR;
    t->mode = (int)v;
    return AT_OK;
}

static int cmd_ato(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    struct cip_link *l = &t->links[0];
    if (!t->mode || t->mux || l->state != LINK_CONNECTED)
        return AT_ERROR;
    t->data_mode = true;
    t->plus_count = 0;
    t->last_input = ev_now(m->loop);
    at_set_passthrough(m, link_passthrough, l);
    return at_final_text(m, "CONNECT");
}

#define TCPIP_FIELD(f) offsetof(struct tcpip_state, f)

static const struct setting_desc cipssl_desc = {"+CIPSSL", "+CIPSSL: (0-1)", TCPIP_FIELD(ssl), 0, 1,
                                                0,         &tcpip_service};
static const struct setting_desc cipqsend_desc = {
    "+CIPQSEND", "+CIPQSEND: (0,1)", TCPIP_FIELD(qsend), 0, 1, 0, &tcpip_service};
static const struct setting_desc ciphead_desc = {
    "+CIPHEAD", "+CIPHEAD: (0,1)", TCPIP_FIELD(head), 0, 1, 0, &tcpip_service};
static const struct setting_desc cipsrip_desc = {
    "+CIPSRIP", "+CIPSRIP: (0,1)", TCPIP_FIELD(srip), 0, 1, 0, &tcpip_service};
static const struct setting_desc cipshowtp_desc = {
    "+CIPSHOWTP", "+CIPSHOWTP: (0,1)", TCPIP_FIELD(showtp), 0, 1, 0, &tcpip_service};
static const struct setting_desc cipsprt_desc = {
    "+CIPSPRT", "+CIPSPRT: (0-2)", TCPIP_FIELD(sprt), 0, 2, 1, &tcpip_service};

/* --- AT+CIPRXGET --- */

static int cmd_ciprxget(struct modem *m, struct at_req *r)
{
    struct tcpip_state *t = tcpip_of(m);
    long mode, len = CIP_READ_MAX;
    if (r->form == AT_FORM_TEST) {
        at_info(m, t->mux ? "+CIPRXGET: (0-4),(0-5),(1-1460)" : "+CIPRXGET: (0-4),(1-1460)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CIPRXGET: %d", t->rxget);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, 4, &mode) != AT_ARG_OK)
        return AT_ERROR;
    if (mode <= 1) {
        if (!at_args_done(&r->args))
            return AT_ERROR;
        t->rxget = (int)mode;
        return AT_OK;
    }
    if (!t->rxget)
        return AT_ERROR;
    struct cip_link *l = arg_link(m, &r->args);
    if (!l)
        return AT_ERROR;
    long max = mode == 3 ? CIP_READ_MAX / 2 : CIP_READ_MAX;
    if (mode != 4 && at_arg_int(&r->args, 1, max, &len) != AT_ARG_OK)
        return AT_ERROR;
    if (!at_args_done(&r->args))
        return AT_ERROR;
    size_t have = bytebuf_pending(&l->rx);
    if (have == 0 && l->state != LINK_CONNECTED)
        return AT_ERROR; /* nothing kept and nothing to come (manual §8.2.26) */
    char prefix[16] = "";
    if (t->mux)
        snprintf(prefix, sizeof(prefix), "%d,", l->id);
    if (mode == 4) {
        at_info(m, "+CIPRXGET: 4,%s%zu", prefix, have);
        return AT_OK;
    }
    size_t take = have < (size_t)len ? have : (size_t)len;
    /* Field 3 is what follows, field 4 what is left: as seen in TinyGSM's
     * logs, not as the manual's §8.2.26 has it. */
    char head[64];
    snprintf(head, sizeof(head), "+CIPRXGET: %ld,%s%zu,%zu", mode, prefix, take, have - take);
    at_data_header(m, head);
    const uint8_t *p = bytebuf_head(&l->rx);
    if (mode == 2) {
        at_raw(m, p, take);
    } else {
        static const char hex[] = "0123456789ABCDEF";
        char out[CIP_READ_MAX];
        for (size_t i = 0; i < take; i++) {
            out[2 * i] = hex[p[i] >> 4];
            out[2 * i + 1] = hex[p[i] & 15];
        }
        at_raw(m, out, take * 2);
    }
    bytebuf_consume(&l->rx, take);
    link_rx_consumed(l);
    return AT_OK;
}

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CSTT", RW | AT_FORM_EXEC, 0, cmd_cstt, NULL},
    {"+CIICR", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_ciicr, NULL},
    {"+CIFSR", AT_FORM_EXEC | AT_FORM_TEST, 0, cmd_cifsr, NULL},
    {"+CIPSTART", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_cipstart, NULL},
    {"+CIPSEND", RW | AT_FORM_EXEC, 0, cmd_cipsend, NULL},
    {"+CIPACK", AT_FORM_TEST | AT_FORM_EXEC | AT_FORM_WRITE, 0, cmd_cipack, NULL},
    {"+CIPCLOSE", AT_FORM_TEST | AT_FORM_EXEC | AT_FORM_WRITE, 0, cmd_cipclose, NULL},
    {"+CIPSHUT", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_cipshut, NULL},
    {"+CIPSTATUS", AT_FORM_TEST | AT_FORM_EXEC | AT_FORM_WRITE, 0, cmd_cipstatus, NULL},
    {"+CIPMUX", RW, 0, cmd_cipmux, NULL},
    {"+CIPMODE", RW, 0, cmd_cipmode, NULL},
    {"O", AT_FORM_EXEC, 0, cmd_ato, NULL},
    {"+CIPSSL", RW, PROFILE_FEAT_SSL, setting_cmd, &cipssl_desc},
    {"+CIPQSEND", RW, 0, setting_cmd, &cipqsend_desc},
    {"+CIPHEAD", RW, 0, setting_cmd, &ciphead_desc},
    {"+CIPSRIP", RW, 0, setting_cmd, &cipsrip_desc},
    {"+CIPSHOWTP", RW, 0, setting_cmd, &cipshowtp_desc},
    {"+CIPSPRT", RW, 0, setting_cmd, &cipsprt_desc},
    {"+CIPRXGET", RW, 0, cmd_ciprxget, NULL},
};

const struct at_cmd_table cmd_tcpip_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};

/* --- the service --- */

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    tcpip_init(m);
    return 0;
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    struct tcpip_state *t = state;
    tcpip_reset(m);
    if (why == SERVICE_DESTROY)
        for (int i = 0; i < CIP_LINKS; i++)
            bytebuf_free(&t->links[i].rx);
}

static void service_event(struct modem *m, void *state, enum modem_event ev, int arg)
{
    if (ev == MODEM_EV_PDP_DEACT)
        tcpip_pdp_deact(m);
    else if (ev == MODEM_EV_PORT_DRAINED)
        tcpip_output_drained(m);
}

static const struct at_cmd_table *const tables[] = {
    &cmd_tcpip_table, &cmd_tcpip_dns_table, &cmd_tcpip_options_table, &cmd_tcpip_ping_table, NULL};

static const struct service_conn conns[] = {{.tag = "tcpip"}, {.tag = NULL}};

static const struct profile_key profile_keys[] = {
    PROFILE_TIMED_KEY(struct tcpip_config, "tcpip", "ciicr_ms", ciicr_ms, 0, 85000, "200", NULL,
                      "1000"),
    PROFILE_INT_KEY(struct tcpip_config, "tcpip", "rx_buffer", rx_buffer, 1460, 1048576, "8192"),
    PROFILE_INT_KEY(struct tcpip_config, "tcpip", "escape_guard_ms", escape_guard_ms, 20, 10000,
                    "1000"),
    {0},
};

static const struct profile_section profile_section = {"tcpip", profile_keys,
                                                       sizeof(struct tcpip_config)};

const struct service tcpip_service = {
    .name = "tcpip",
    .conns = conns,
    .tables = tables,
    .state_size = sizeof(struct tcpip_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
    .profile = &profile_section,
};
