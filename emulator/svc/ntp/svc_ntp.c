/* AT+CNTPCID and AT+CNTP over a real SNTP exchange (ntp.h).
 *
 *   AT+CNTPCID=1                        the bearer (AT+SAPBR) to use
 *   AT+CNTP="pool.ntp.org",32           server and zone (quarter hours)
 *   AT+CNTP        -> OK, then +CNTP: <code>
 * <code> (SIMCom's NTP application note): 1 the clock is set; 61 network
 * error (the bearer is not open); 62 DNS resolution error; 63 connection
 * error; 64 the server's answer is not a valid SNTP reply; 65 no answer in
 * [ntp] timeout_s.  Which failures give 64 and 65 is UNCERTAIN (README).
 * The request is a client packet of RFC 4330 §4 (version 4, mode 3); the
 * answer must be a server's (mode 4), not a kiss-o'-death (stratum 0), and
 * echo our transmit time as its originate time (§5). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ntp.h"

#include "bearer.h"
#include "conn.h"
#include "general.h"
#include "modem.h"
#include "reply.h"
#include "trace.h"

/* Its profile keys (profile.h), each default in its row. */
struct ntp_config {
    int timeout_s; /* [ntp] timeout_s: how long AT+CNTP waits for the server: +CNTP: 65 */
};

static const struct profile_key profile_keys[] = {
    PROFILE_INT_KEY(struct ntp_config, "ntp", "timeout_s", timeout_s, 1, 120, "10"),
    {0},
};

static const struct profile_section profile_section = {"ntp", profile_keys,
                                                       sizeof(struct ntp_config)};

static const struct ntp_config *ntp_config(const struct modem *m)
{
    return service_config(m, &ntp_service);
}

#define NTP_PORT 123
#define NTP_PACKET 48
#define NTP_UNIX_OFFSET 2208988800u /* seconds from 1900 to 1970 */

static struct ntp_state *ntp_of(const struct modem *m) { return modem_state(m, &ntp_service); }

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Ends the exchange with +CNTP: <code>. */
static void finish(struct modem *m, int code)
{
    struct ntp_state *n = ntp_of(m);
    ev_timer_stop(m->loop, &n->timer);
    if (n->conn) {
        conn_free(n->conn, true);
        n->conn = NULL;
    }
    trace_note(m->id, "ntp", "+CNTP: %d", code);
    at_urc(m, "+CNTP: %d", code);
}

static void connected(struct conn *c, void *ud)
{
    struct ntp_state *n = ntp_of(ud);
    uint8_t pkt[NTP_PACKET] = {0};
    pkt[0] = 0x23; /* LI 0, version 4, mode 3 (client) */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    put_be32(pkt + 40, (uint32_t)((uint64_t)ts.tv_sec + NTP_UNIX_OFFSET));
    put_be32(pkt + 44, (uint32_t)(((uint64_t)ts.tv_nsec << 32) / 1000000000u));
    memcpy(n->stamp, pkt + 40, 8); /* the server must echo it (RFC 4330 §5) */
    conn_write(c, pkt, sizeof(pkt));
}

static void readable(struct conn *c, void *ud)
{
    struct modem *m = ud;
    struct ntp_state *n = ntp_of(m);
    uint8_t pkt[512];
    ssize_t got = conn_read(c, pkt, sizeof(pkt));
    if (got == 0)
        return;
    if (got < 0) {
        finish(m, 63);
        return;
    }
    int mode = pkt[0] & 7, stratum = got >= 2 ? pkt[1] : 0;
    if (got < NTP_PACKET || (mode != 4 && mode != 5) || stratum == 0 ||
        memcmp(pkt + 24, n->stamp, 8) != 0) {
        trace_note(m->id, "ntp", "not an SNTP server reply (%zd bytes, mode %d, stratum %d)", got,
                   mode, stratum);
        finish(m, 64);
        return;
    }
    /* Seconds since 1900 in era 0, or era 1 once the 32 bits wrap (2036). */
    uint32_t secs = get_be32(pkt + 40);
    int64_t unix_secs = (int64_t)secs - NTP_UNIX_OFFSET;
    if (secs < 0x80000000u)
        unix_secs += (int64_t)1 << 32;
    general_set_clock(m, (time_t)unix_secs, n->tz);
    finish(m, 1);
}

static void failed(struct conn *c, void *ud, enum net_err err)
{
    (void)c;
    struct modem *m = ud;
    ntp_of(m)->conn = NULL; /* the conn frees itself after failed */
    conn_free(c, true);
    finish(m, err == NET_EDNS ? 62 : err == NET_ETIMEOUT ? 65 : 63);
}

static const struct conn_handlers handlers = {
    .connected = connected,
    .readable = readable,
    .failed = failed,
};

static void timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    finish(t->data, 65);
}

static void sync_start(struct modem *m)
{
    struct ntp_state *n = ntp_of(m);
    struct conn_params p = {
        .kind = CONN_UDP,
        .host = n->server,
        .port = NTP_PORT,
        .timeout_s = ntp_config(m)->timeout_s,
        .trace_id = m->id,
        .tag = "ntp",
    };
    n->conn = conn_open(&p, &handlers, m);
    ev_timer_init(&n->timer, timeout_cb, ntp_config(m)->timeout_s, 0.);
    n->timer.data = m;
    ev_timer_start(m->loop, &n->timer);
}

static int cmd_cntpcid(struct modem *m, struct at_req *r)
{
    struct ntp_state *n = ntp_of(m);
    long cid;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CNTPCID: (1-3)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+CNTPCID: %d", n->cid);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 1, 3, &cid) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    n->cid = (int)cid;
    return AT_OK;
}

static int cmd_cntp(struct modem *m, struct at_req *r)
{
    struct ntp_state *n = ntp_of(m);
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "+CNTP: (1-64),(-47-48)"); /* UNCERTAIN: the note prints no test form */
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "+CNTP: \"%s\",%d", n->server, n->tz);
        return AT_OK;
    case AT_FORM_WRITE: {
        char server[sizeof(n->server)];
        long tz = n->tz;
        if (at_arg_str(&r->args, server, sizeof(server), NULL) != AT_ARG_OK ||
            at_arg_int(&r->args, -47, 48, &tz) == AT_ARG_BAD || !at_args_done(&r->args))
            return AT_ERROR;
        str_copy(n->server, sizeof(n->server), server);
        n->tz = (int)tz;
        return AT_OK;
    }
    default:
        break;
    }
    if (n->conn || ev_is_active(&n->timer))
        return AT_ERROR; /* one exchange at a time */
    at_final_early(m, AT_OK);
    if (!bearer_is_open(m, n->cid)) {
        finish(m, 61);
        return AT_SILENT;
    }
    if (!n->server[0]) {
        finish(m, 62);
        return AT_SILENT;
    }
    trace_note(m->id, "ntp", "asking %s:%d over bearer %d", n->server, NTP_PORT, n->cid);
    sync_start(m);
    return AT_SILENT;
}

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CNTPCID", RW, 0, cmd_cntpcid, NULL},
    {"+CNTP", RW | AT_FORM_EXEC, 0, cmd_cntp, NULL},
};
static const struct at_cmd_table table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};
static const struct at_cmd_table *const tables[] = {&table, NULL};

/* --- the service --- */

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    (void)m;
    (void)err;
    (void)errlen;
    struct ntp_state *n = state;
    n->cid = 1;
    return 0;
}

static void stop(struct modem *m, struct ntp_state *n)
{
    ev_timer_stop(m->loop, &n->timer);
    if (n->conn) {
        conn_free(n->conn, true);
        n->conn = NULL;
    }
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    struct ntp_state *n = state;
    stop(m, n);
    if (why != SERVICE_DESTROY) {
        n->server[0] = '\0'; /* NO_SAVE */
        n->tz = 0;
        n->cid = 1;
    }
}

static void service_event(struct modem *m, void *state, enum modem_event ev, int arg)
{
    struct ntp_state *n = state;
    /* The bearer went away under the exchange: a network error. */
    if ((ev == MODEM_EV_PDP_DEACT ||
         (ev == MODEM_EV_BEARER_CLOSED && (arg == 0 || arg == n->cid))) &&
        (n->conn || ev_is_active(&n->timer)))
        finish(m, 61);
}

static const struct service_conn conns[] = {{.tag = "ntp"}, {.tag = NULL}};

const struct service ntp_service = {
    .name = "ntp",
    .conns = conns,
    .tables = tables,
    .state_size = sizeof(struct ntp_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
    .profile = &profile_section,
};
