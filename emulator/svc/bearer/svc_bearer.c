/* AT+SAPBR: the bearer profiles HTTP, FTP and mail use (SIM800 AT Command Manual V1.09 §9.2.1). */
#include <stdio.h>
#include <string.h>

#include "bearer.h"
#include "modem.h"
#include "reply.h"

/* Its profile keys (profile.h), each default in its row. */
struct bearer_config {
    int sapbr_ms; /* [tcpip] sapbr_ms: how long AT+SAPBR=1 takes to open a bearer */
};

static const struct profile_key profile_keys[] = {
    PROFILE_TIMED_KEY(struct bearer_config, "tcpip", "sapbr_ms", sapbr_ms, 0, 85000, "300", NULL,
                      "1500"),
    {0},
};

static const struct profile_section profile_section = {"bearer", profile_keys,
                                                       sizeof(struct bearer_config)};

static const struct bearer_config *bearer_config(const struct modem *m)
{
    return service_config(m, &bearer_service);
}

static void bearer_init(struct modem *m)
{
    struct bearer_state *b = bearer_of(m);
    for (int cid = 1; cid <= BEARER_CIDS; cid++) {
        struct bearer *p = &b->cids[cid];
        memset(p, 0, sizeof(*p));
        p->status = BEARER_CLOSED;
        str_copy(p->contype, sizeof(p->contype), "GPRS");
        p->rate = 2;
    }
    b->opening = 0;
}

static void bearer_stop(struct modem *m)
{
    ev_timer_stop(m->loop, &bearer_of(m)->open_timer);
    bearer_init(m);
}

bool bearer_is_open(const struct modem *m, int cid)
{
    return cid >= 1 && cid <= BEARER_CIDS && bearer_of(m)->cids[cid].status == BEARER_CONNECTED;
}

/* The network dropped every context: "+SAPBR <cid>: DEACT" for open ones. */
static void bearer_deact(struct modem *m)
{
    struct bearer_state *b = bearer_of(m);
    for (int cid = 1; cid <= BEARER_CIDS; cid++) {
        if (b->cids[cid].status == BEARER_CONNECTED) {
            b->cids[cid].status = BEARER_CLOSED;
            at_urc(m, "+SAPBR %d: DEACT", cid); /* manual 9.2.1, 19.3 */
        }
    }
    if (b->opening) {
        ev_timer_stop(m->loop, &b->open_timer);
        b->cids[b->opening].status = BEARER_CLOSED;
        b->opening = 0;
        at_complete(m, AT_ERROR);
    }
    /* The services over the bearer see it go (HTTP answers 601). */
    modem_publish(m, MODEM_EV_BEARER_CLOSED, 0);
}

static void open_done(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct modem *m = w->data;
    struct bearer_state *b = bearer_of(m);
    int cid = b->opening;
    b->opening = 0;
    if (!cid)
        return;
    b->cids[cid].status = BEARER_CONNECTED;
    at_complete(m, AT_OK);
}

/* Tag names match case-insensitively (the manual writes "Contype"). */
static char *param_field(struct bearer *p, const char *tag, size_t *cap)
{
    struct {
        const char *name;
        char *field;
        size_t cap;
    } map[] = {
        {"CONTYPE", p->contype, sizeof(p->contype)},
        {"APN", p->apn, sizeof(p->apn)},
        {"USER", p->user, sizeof(p->user)},
        {"PWD", p->pwd, sizeof(p->pwd)},
        {"PHONENUM", p->phonenum, sizeof(p->phonenum)},
    };
    for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
        if (ascii_ieq(tag, map[i].name)) {
            *cap = map[i].cap;
            return map[i].field;
        }
    }
    return NULL;
}

static int set_param(struct bearer *p, struct at_args *args)
{
    char tag[16], value[128];
    if (at_arg_str(args, tag, sizeof(tag), NULL) != AT_ARG_OK ||
        at_arg_str(args, value, sizeof(value), NULL) != AT_ARG_OK || !at_args_done(args))
        return AT_ERROR;
    if (ascii_ieq(tag, "RATE")) {
        if (strlen(value) != 1 || value[0] < '0' || value[0] > '3')
            return AT_ERROR;
        p->rate = value[0] - '0';
        return AT_OK;
    }
    size_t cap;
    char *field = param_field(p, tag, &cap);
    if (!field || strlen(value) >= cap)
        return AT_ERROR;
    if (field == p->contype && !ascii_ieq(value, "GPRS") && !ascii_ieq(value, "CSD"))
        return AT_ERROR;
    str_copy(field, cap, value);
    if (field == p->contype)
        for (char *c = field; *c; c++)
            *c = ascii_upper(*c);
    return AT_OK;
}

static int cmd_sapbr(struct modem *m, struct at_req *r)
{
    struct bearer_state *b = bearer_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SAPBR: (0-4),(1-3),\"ConParamTag\",\"ConParamValue\"");
        return AT_OK;
    }
    long type, cid;
    if (at_arg_int(&r->args, 0, 4, &type) != AT_ARG_OK ||
        at_arg_int(&r->args, 1, BEARER_CIDS, &cid) != AT_ARG_OK)
        return AT_ERROR;
    struct bearer *p = &b->cids[cid];
    if (type == 3)
        return set_param(p, &r->args);
    if (!at_args_done(&r->args))
        return AT_ERROR;
    switch (type) {
    case 0:
        if (p->status != BEARER_CONNECTED)
            return AT_ERROR;
        p->status = BEARER_CLOSED;
        modem_publish(m, MODEM_EV_BEARER_CLOSED, (int)cid);
        return AT_OK;
    case 1:
        /* Opening needs the network (manual §9.2.1); one at a time. */
        if (p->status == BEARER_CONNECTED || b->opening || !m->general.attached)
            return AT_ERROR;
        p->status = BEARER_CONNECTING;
        b->opening = (int)cid;
        ev_timer_set(&b->open_timer, bearer_config(m)->sapbr_ms / 1000.0, 0.);
        ev_timer_start(m->loop, &b->open_timer);
        return AT_PENDING;
    case 2:
        at_info(m, "+SAPBR: %ld,%d,\"%s\"", cid, p->status,
                p->status == BEARER_CONNECTED ? m->profile->local_ip : "0.0.0.0");
        return AT_OK;
    default:
        /* The layout seen in real modules' logs: "+SAPBR:" alone, then TAG: value. */
        at_info(
            m,
            "+SAPBR:\r\nCONTYPE: %s\r\nAPN: %s\r\nPHONENUM: %s\r\nUSER: %s\r\nPWD: %s\r\nRATE: %d",
            p->contype, p->apn, p->phonenum, p->user, p->pwd, p->rate);
        return AT_OK;
    }
}

static const struct at_cmd rows[] = {
    {"+SAPBR", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_sapbr, NULL},
};

static const struct at_cmd_table cmd_bearer_table = {rows, ARRAY_SIZE(rows),
                                                     .errors_are_cme = true};

/* --- the service --- */

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    struct bearer_state *b = state;
    ev_timer_init(&b->open_timer, open_done, 0., 0.);
    b->open_timer.data = m;
    bearer_init(m);
    return 0;
}

static void service_reset(struct modem *m, void *state, enum service_reset why) { bearer_stop(m); }

static void service_event(struct modem *m, void *state, enum modem_event ev, int arg)
{
    if (ev == MODEM_EV_PDP_DEACT)
        bearer_deact(m);
}

static const struct at_cmd_table *const tables[] = {&cmd_bearer_table, NULL};

const struct service bearer_service = {
    .name = "bearer",
    .tables = tables,
    .state_size = sizeof(struct bearer_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
    .profile = &profile_section,
};
