/* The call's life and the far end (call.h).
 *
 * Outgoing (ATD<number>;): dialing, then alerting, then after [call]
 * ring_ms the far end's answer: it picks up (the call is active; under
 * AT+COLP=1 "+COLP: ..." and the ATD's OK come now), is busy ("BUSY"), does
 * not answer ("NO ANSWER") or the network fails the call ("NO CARRIER").
 * Under AT+COLP=0 (the default) ATD answers OK at once and those come as
 * URCs (manual §2.2.3's note).  An active call the far end ends after
 * [call] talk_s (0: never) or when the control socket says: "NO CARRIER".
 * Incoming (control "call MODEM ring from=..."): "RING" every 3 s, each
 * followed by "+CLIP: ..." under AT+CLIP=1, until ATA, ATH, the caller
 * giving up after [call] ring_s ("NO CARRIER") or "call MODEM hangup". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"

#include "modem.h"
#include "reply.h"
#include "trace.h"

/* Its profile keys (profile.h), each default in its row. */
struct call_config {
    int outcome; /* [call] outcome: how an outgoing call ends (enum call_outcome) */
    int ring_ms; /* [call] ring_ms: the far end rings this long before that */
    int talk_s;  /* [call] talk_s: the far end ends an answered call after this; 0: never */
    int ring_s;  /* [call] ring_s: an incoming call rings this long before the caller gives up */
};

static const struct profile_key profile_keys[] = {
    PROFILE_INT_KEY(struct call_config, "call", "outcome", outcome, 0, 3, "0"),
    PROFILE_INT_KEY(struct call_config, "call", "ring_ms", ring_ms, 0, 120000, "3000"),
    PROFILE_INT_KEY(struct call_config, "call", "talk_s", talk_s, 0, 86400, "0"),
    PROFILE_INT_KEY(struct call_config, "call", "ring_s", ring_s, 3, 600, "30"),
    {0},
};

static const struct profile_section profile_section = {"call", profile_keys,
                                                       sizeof(struct call_config)};

static const struct call_config *call_config(const struct modem *m)
{
    return service_config(m, &call_service);
}

#define RING_PERIOD_S 3.0 /* RING cadence of a GSM alerting signal (3GPP TS 22.001) */

void call_log(struct call_state *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->log[c->nlog++ % CALL_LOG_MAX], sizeof(c->log[0]), fmt, ap);
    va_end(ap);
}

static const struct {
    int cause;
    const char *text;
} causes[] = {
    {0, "No cause"},
    {16, "Normal call clearing"},
    {17, "User busy"},
    {18, "No user responding"},
    {19, "User alerting, no answer"},
    {34, "No circuit/channel available"},
};

const char *call_cause_text(int cause)
{
    for (size_t i = 0; i < ARRAY_SIZE(causes); i++)
        if (causes[i].cause == cause)
            return causes[i].text;
    return "No cause";
}

void call_clcc_line(const struct call_state *c, char *out, size_t cap)
{
    snprintf(out, cap, "+CLCC: 1,%d,%d,0,0,\"%s\",%d,\"\"", c->dir, (int)c->stat, c->number,
             c->type);
}

/* Under AT+CLCC=1 every change of the call's state is reported. */
static void report(struct modem *m)
{
    struct call_state *c = call_of(m);
    if (!c->clcc)
        return;
    char line[96];
    call_clcc_line(c, line, sizeof(line));
    at_urc(m, "%s", line);
    if (c->colp_pending)
        at_urcs_now(m); /* ATD waits for the far end: its progress shows meanwhile */
}

static void set_stat(struct modem *m, enum call_stat s)
{
    struct call_state *c = call_of(m);
    c->stat = s;
    if (s != CALL_NONE)
        report(m);
}

/* The call is over; the state the URC shows is 6 (disconnect). */
static void release(struct modem *m, int cause)
{
    struct call_state *c = call_of(m);
    ev_timer_stop(m->loop, &c->timer);
    if (c->clcc && c->stat != CALL_NONE) {
        char line[96];
        int old = c->stat;
        c->stat = 6;
        call_clcc_line(c, line, sizeof(line));
        at_urc(m, "%s", line);
        c->stat = old;
    }
    c->stat = CALL_NONE;
    c->cause = cause;
    trace_note(m->id, "call", "released (cause %d, %s)", cause, call_cause_text(cause));
}

/* Ends the ATD that AT+COLP=1 holds open, or shows the URC. */
static void outcome_result(struct modem *m, const char *text)
{
    struct call_state *c = call_of(m);
    if (c->colp_pending) {
        c->colp_pending = false;
        at_complete(m, at_final_text(m, text));
    } else {
        at_urc(m, "%s", text);
    }
}

static void arm(struct modem *m, double after_s)
{
    struct call_state *c = call_of(m);
    ev_timer_stop(m->loop, &c->timer);
    ev_timer_set(&c->timer, after_s, 0.);
    ev_timer_start(m->loop, &c->timer);
}

static void far_answers(struct modem *m)
{
    struct call_state *c = call_of(m);
    set_stat(m, CALL_ACTIVE);
    call_log(c, "answered by %s", c->number);
    trace_note(m->id, "call", "%s answered", c->number);
    if (c->colp_pending) {
        at_info(m, "+COLP: \"%s\",%d,\"\",0,\"\"", c->number, c->type);
        c->colp_pending = false;
        at_complete(m, AT_OK);
    }
    if (call_config(m)->talk_s > 0)
        arm(m, call_config(m)->talk_s);
}

static void timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct modem *m = t->data;
    struct call_state *c = call_of(m);
    switch (c->stat) {
    case CALL_DIALING:
        set_stat(m, CALL_ALERTING);
        arm(m, (c->next_ring_ms >= 0 ? c->next_ring_ms : call_config(m)->ring_ms) / 1000.0);
        break;
    case CALL_ALERTING: {
        int outcome = c->next_outcome >= 0 ? c->next_outcome : call_config(m)->outcome;
        c->next_outcome = -1;
        c->next_ring_ms = -1;
        if (outcome == OUTCOME_ANSWER) {
            far_answers(m);
            break;
        }
        /* ATX below 3 does not tell busy apart (V.250 6.2.7). */
        static const char *const texts[] = {"", "BUSY", "NO ANSWER", "NO CARRIER"};
        static const int cause_of[] = {16, 17, 19, 34};
        const char *text = texts[outcome];
        if (outcome == OUTCOME_BUSY && m->v250.x_level < 3)
            text = "NO CARRIER";
        release(m, cause_of[outcome]);
        call_log(c, "%s", text);
        outcome_result(m, text);
        break;
    }
    case CALL_ACTIVE: /* [call] talk_s: the far end hangs up */
        release(m, 16);
        call_log(c, "far end hung up");
        at_urc(m, "NO CARRIER");
        break;
    case CALL_INCOMING:
        if (++c->rings * RING_PERIOD_S >= call_config(m)->ring_s) {
            release(m, 19);
            call_log(c, "caller gave up");
            at_urc(m, "NO CARRIER");
            break;
        }
        at_urc(m, "RING");
        if (m->general.clip)
            at_urc(m, "+CLIP: \"%s\",%d,\"\",0,\"\",0", c->number, c->type);
        arm(m, RING_PERIOD_S);
        break;
    default:
        break;
    }
}

int call_dial(struct modem *m, const char *number, int type)
{
    struct call_state *c = call_of(m);
    if (c->stat != CALL_NONE)
        return -1;
    str_copy(c->number, sizeof(c->number), number);
    str_copy(c->last_dialed, sizeof(c->last_dialed), number);
    c->type = type;
    c->dir = 0;
    c->colp_pending = c->colp == 1;
    call_log(c, "dial %s", number);
    trace_note(m->id, "call", "dialing %s", number);
    set_stat(m, CALL_DIALING);
    arm(m, 0.2); /* the network alerts the far end */
    return 0;
}

int call_answer(struct modem *m)
{
    struct call_state *c = call_of(m);
    if (c->stat != CALL_INCOMING)
        return -1;
    ev_timer_stop(m->loop, &c->timer);
    call_log(c, "answer");
    set_stat(m, CALL_ACTIVE);
    return 0;
}

void call_hangup_local(struct modem *m)
{
    struct call_state *c = call_of(m);
    if (c->stat == CALL_NONE)
        return;
    call_log(c, "hang up");
    if (c->colp_pending) { /* an ATD held open: it ends too */
        c->colp_pending = false;
    }
    release(m, 16);
}

/* --- the control socket: "call MODEM ring|hangup|answer|next|log ..." --- */

static void verb_call(struct modem *m, void *state, const char *args, struct bytebuf *reply)
{
    struct call_state *c = state;
    static const char *const ring_keys[] = {"from", NULL};
    static const char *const next_keys[] = {"outcome", "ring_ms", NULL};
    char v[48], bad[48], line[128];
    bool ring = strncmp(args, "ring", 4) == 0 && (args[4] == ' ' || !args[4]);
    bool next = strncmp(args, "next ", 5) == 0;
    if ((ring || next) &&
        !service_args_known(args + 4 + next, ring ? ring_keys : next_keys, bad, sizeof(bad))) {
        snprintf(line, sizeof(line), "error %s: not a key of %s", bad,
                 ring ? "ring (from=NUMBER)" : "next (outcome= ring_ms=)");
        bytebuf_append_str(reply, line);
        return;
    }
    if (ring) {
        if (!service_arg(args, "from", v, sizeof(v)) || strspn(v, "+0123456789*#") != strlen(v)) {
            bytebuf_append_str(reply, "error ring takes from=NUMBER");
            return;
        }
        if (c->stat != CALL_NONE) {
            bytebuf_append_str(reply, "error a call is up (call waiting is not emulated)");
            return;
        }
        if (m->general.cfun != 1 || !m->general.registered) {
            bytebuf_append_str(reply, "error the modem is not on the network");
            return;
        }
        str_copy(c->number, sizeof(c->number), v);
        c->type = v[0] == '+' ? 145 : 129;
        c->dir = 1;
        c->rings = 0;
        call_log(c, "ring from %s", v);
        trace_note(m->id, "call", "incoming from %s", v);
        set_stat(m, CALL_INCOMING);
        at_urc(m, "RING");
        if (m->general.clip)
            at_urc(m, "+CLIP: \"%s\",%d,\"\",0,\"\",0", c->number, c->type);
        arm(m, RING_PERIOD_S);
        bytebuf_append_str(reply, "ok ringing");
    } else if (strcmp(args, "hangup") == 0) {
        if (c->stat == CALL_NONE) {
            bytebuf_append_str(reply, "error no call");
            return;
        }
        bool pending = c->colp_pending;
        release(m, 16);
        call_log(c, "far end hung up");
        c->colp_pending = pending;
        outcome_result(m, "NO CARRIER");
        bytebuf_append_str(reply, "ok");
    } else if (strcmp(args, "answer") == 0) {
        if (c->stat != CALL_DIALING && c->stat != CALL_ALERTING) {
            bytebuf_append_str(reply, "error no outgoing call is ringing");
            return;
        }
        ev_timer_stop(m->loop, &c->timer);
        far_answers(m);
        bytebuf_append_str(reply, "ok");
    } else if (next) {
        static const char *const names[] = {"answer", "busy", "no-answer", "no-carrier"};
        int o = -1;
        if (service_arg(args, "outcome", v, sizeof(v)))
            for (int i = 0; i < 4; i++)
                if (strcmp(v, names[i]) == 0)
                    o = i;
        long ms = -1;
        if (service_arg(args, "ring_ms", v, sizeof(v))) {
            char *end;
            ms = strtol(v, &end, 10);
            if (*end || ms < 0 || ms > 120000)
                o = -1;
        }
        if (o < 0) {
            bytebuf_append_str(reply, "error next takes outcome=answer|busy|no-answer|no-carrier "
                                      "[ring_ms=0..120000]");
            return;
        }
        c->next_outcome = o;
        c->next_ring_ms = (int)ms;
        bytebuf_append_str(reply, "ok");
    } else if (strcmp(args, "log") == 0) {
        service_log_json(reply, c->log[0], sizeof(c->log[0]), c->nlog, CALL_LOG_MAX);
    } else {
        bytebuf_append_str(reply, "error call MODEM takes ring from=NUMBER, hangup, answer, next "
                                  "outcome=..., or log");
    }
}

static const struct service_verb verbs[] = {
    {.name = "call",
     .usage = "call MODEM ring from=NUMBER | hangup | answer | next outcome=answer|busy|"
              "no-answer|no-carrier [ring_ms=N] | log",
     .run = verb_call},
    {.name = NULL},
};

/* --- the service --- */

static void power_on(struct call_state *c)
{
    c->stat = CALL_NONE;
    c->colp_pending = false;
    c->next_outcome = -1;
    c->next_ring_ms = -1;
    c->colp = c->clcc = c->ceer = c->cmut = c->calm = 0;
    c->clvl = 50;
    c->crsl = 50;
    c->vtd = 1;
    c->cmic[0] = 0;
    c->cmic[1] = 10;
}

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct call_state *c = state;
    ev_init(&c->timer, timer_cb);
    c->timer.data = m;
    power_on(c);
    return 0;
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    (void)why;
    struct call_state *c = state;
    ev_timer_stop(m->loop, &c->timer);
    power_on(c);
    c->ready = false; /* until the boot's MODEM_EV_CALL_READY */
}

/* "Call Ready" is the call service's (AT+CIURC shows it, AT+CCALR? reads
 * it); AT+CFUN=0 ends a call (no URC: the radio is gone). */
static void service_event(struct modem *m, void *state, enum modem_event ev, int arg)
{
    struct call_state *c = state;
    if (ev != MODEM_EV_CALL_READY)
        return;
    c->ready = arg != 0;
    if (c->ready && m->gset.ciurc)
        at_urc(m, "Call Ready");
    if (!c->ready && c->stat != CALL_NONE)
        release(m, 16);
}

static void status(const struct modem *m, const void *state, struct bytebuf *out)
{
    (void)m;
    const struct call_state *c = state;
    static const char *const names[] = {"active", "held", "dialing", "alerting", "incoming"};
    char line[96];
    if (c->stat == CALL_NONE)
        snprintf(line, sizeof(line), ",\"call\":null");
    else
        snprintf(line, sizeof(line),
                 ",\"call\":{\"state\":\"%s\",\"dir\":\"%s\",\"number\":\"%s\"}", names[c->stat],
                 c->dir ? "in" : "out", c->number);
    bytebuf_append_str(out, line);
}

static const struct at_cmd_table *const tables[] = {&call_table, NULL};

const struct service call_service = {
    .name = "call",
    .tables = tables,
    .state_size = sizeof(struct call_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
    .status = status,
    .verbs = verbs,
    .profile = &profile_section,
};
