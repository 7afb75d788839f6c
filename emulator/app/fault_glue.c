#include "fault_glue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boot.h"
#include "conn.h"
#include "conn_fault.h"
#include "fault.h"
#include "general.h"
#include "linecli.h"
#include "modem.h"
#include "port.h"
#include "reply.h"
#include "serial_net.h"
#include "services.h"
#include "tcpip.h"
#include "trace.h"

static struct fault_set rules;
static struct ev_loop *loop_;
static struct modem **modems_;
static long nmodems;

/* A module event waiting for its time (delay=, after a command, the end of
 * unregister=S).  Bounded: at most EVENTS_MAX wait at once. */
#define EVENTS_MAX 256
struct pending_event {
    ev_timer timer;
    struct fault_rule rule;
    int modem;
    struct pending_event *next;
};
static struct pending_event *pending;
static int npending;

static struct modem *modem_at(int i) { return i >= 0 && i < nmodems ? modems_[i] : NULL; }

/* --- module events --- */

static void schedule(const struct fault_rule *r, int modem, double after);

/* What each module action does, by the owner of the state it changes (the
 * action's row in fault/fault.c gives its name, words and class): a new
 * module action is that row and one row here. */
static void act_pdp_deact(struct modem *m, const struct fault_rule *r)
{
    (void)r;
    general_pdp_down(m); /* the network took the context down: as AT+CGATT=0 */
}

static void act_link_closed(struct modem *m, const struct fault_rule *r)
{
    if (tcpip_link_end(m, r->link) < 0)
        trace_note(m->id, "fault", "rule %d: link %d has no open connection", r->id, r->link);
}

static void act_under_voltage(struct modem *m, const struct fault_rule *r)
{
    (void)r;
    at_urc(m, "UNDER-VOLTAGE WARNNING"); /* sic: SIMCom's spelling */
}

static void act_cpin_not_ready(struct modem *m, const struct fault_rule *r)
{
    (void)r;
    general_sim_not_ready(m);
}

static void act_signal(struct modem *m, const struct fault_rule *r)
{
    general_set_signal(m, r->rssi, r->ber);
}

static void act_unregister(struct modem *m, const struct fault_rule *r)
{
    general_set_registered(m, false);
    if (r->seconds > 0) {
        struct fault_rule back = *r;
        back.action = FA_REGISTER;
        schedule(&back, m->id, r->seconds);
    }
}

static void act_register(struct modem *m, const struct fault_rule *r)
{
    (void)r;
    general_register_if_able(m);
}

static void act_reboot(struct modem *m, const struct fault_rule *r)
{
    (void)r;
    boot_reboot(m);
}

static void act_noise(struct modem *m, const struct fault_rule *r)
{
    uint8_t buf[FAULT_NOISE_MAX];
    uint64_t x = r->seed ? r->seed : (uint64_t)r->id * 0x9E3779B97F4A7C15ULL + 1;
    for (long i = 0; i < r->n; i++) { /* xorshift64: the same bytes for the same seed */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)(x >> 24);
    }
    modem_noise(m, buf, (size_t)r->n);
}

static void act_drop(struct modem *m, const struct fault_rule *r)
{
    modem_drop_output(m, (unsigned)r->n);
}

typedef void module_action_fn(struct modem *m, const struct fault_rule *r);

static module_action_fn *const module_actions[FA_COUNT] = {
    [FA_PDP_DEACT] = act_pdp_deact,
    [FA_LINK_CLOSED] = act_link_closed,
    [FA_UNDER_VOLTAGE] = act_under_voltage,
    [FA_CPIN_NOT_READY] = act_cpin_not_ready,
    [FA_SIGNAL] = act_signal,
    [FA_UNREGISTER] = act_unregister,
    [FA_REGISTER] = act_register,
    [FA_REBOOT] = act_reboot,
    [FA_NOISE] = act_noise,
    [FA_DROP] = act_drop,
};

/* A module action without its row here (or a row for another class) is a
 * bug of this file: every run stops on it at once, so every test finds it. */
static void check_module_actions(void)
{
    for (int a = 0; a < FA_COUNT; a++)
        if (fault_is_event((enum fault_action)a) != (module_actions[a] != NULL)) {
            fprintf(stderr, "sim800emu: fault action %s %s\n",
                    fault_action_name((enum fault_action)a),
                    module_actions[a] ? "has a behaviour but is not a module action"
                                      : "is a module action without a behaviour");
            abort();
        }
}

static void apply_event(struct modem *m, const struct fault_rule *r)
{
    trace_note(m->id, "fault", "rule %d fired: %s", r->id, r->spec);
    if (m->power == MODEM_OFF && r->action != FA_REBOOT)
        return;
    if (r->action >= 0 && r->action < FA_COUNT && module_actions[r->action])
        module_actions[r->action](m, r);
}

static void event_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct pending_event *e = t->data;
    for (struct pending_event **pp = &pending; *pp; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    npending--;
    struct modem *m = modem_at(e->modem);
    struct fault_rule r = e->rule;
    free(e);
    if (m)
        apply_event(m, &r);
}

static void schedule(const struct fault_rule *r, int modem, double after)
{
    if (npending >= EVENTS_MAX) {
        trace_note(modem, "fault", "rule %d: too many events waiting, dropped", r->id);
        return;
    }
    struct pending_event *e = xcalloc(1, sizeof(*e));
    e->rule = *r;
    e->modem = modem;
    ev_timer_init(&e->timer, event_cb, after, 0.);
    e->timer.data = e;
    ev_timer_start(loop_, &e->timer);
    e->next = pending;
    pending = e;
    npending++;
}

static void fire_event_rule(struct fault_rule *r)
{
    /* Once on every modem it names, each with its chance (count is for
     * rules that match commands and connections). */
    r->count = -1;
    for (long i = 0; i < nmodems; i++) {
        if (r->modem >= 0 && r->modem != i)
            continue;
        if (fault_rule_fires(r))
            schedule(r, (int)i, r->delay);
    }
    r->count = 0;
}

/* --- hooks --- */

static bool conn_hook(const struct conn_fault_subject *s, struct conn_fault_plan *plan)
{
    struct fault_subject fs = {.modem = s->modem,
                               .service = s->tag,
                               .host = s->host,
                               .port = s->port,
                               .tls = s->tls,
                               .upgrade = s->upgrade};
    memset(plan, 0, sizeof(*plan));
    plan->alert = -1;
    bool any = false;
    struct fault_rule *r = fault_match_conn(&rules, &fs, false);
    if (r) {
        any = true;
        plan->kind = fault_action_conn_kind(r->action);
        plan->after = r->bytes;
        plan->dir = r->dir;
        plan->seconds = r->seconds;
        plan->alert = r->alert;
        plan->rule = r->id;
        trace_note(s->modem, "fault", "rule %d fired on %s %s:%d%s: %s", r->id, s->tag, s->host,
                   s->port, s->upgrade ? " (in-place TLS)" : "", r->spec);
    }
    if (s->upgrade)
        return any; /* shaping was decided at the open */
    r = fault_match_conn(&rules, &fs, true);
    if (r) {
        any = true;
        if (r->dir & FAULT_RX)
            plan->rate_rx = r->rate;
        if (r->dir & FAULT_TX)
            plan->rate_tx = r->rate;
        if (r->dir & FAULT_RX)
            plan->latency_ms = r->latency_ms;
        if (r->dir & FAULT_TX)
            plan->latency_tx_ms = r->latency_ms;
        plan->shape_rule = r->id;
        trace_note(s->modem, "fault", "rule %d fired on %s %s:%d: %s", r->id, s->tag, s->host,
                   s->port, r->spec);
    }
    return any;
}

/* A protocol command about to be sent: a reply-to= rule answers it. */
static bool reply_hook(const struct linecli_fault_subject *s, char *reply, size_t cap)
{
    if (rules.n == 0)
        return false;
    struct fault_subject fs = {
        .modem = s->modem, .service = s->tag, .host = s->host, .port = s->port, .verb = s->verb};
    struct fault_rule *r = fault_match_reply(&rules, &fs);
    if (!r)
        return false;
    trace_note(s->modem, "fault", "rule %d fired on %s %s:%d %s: %s", r->id, s->tag, s->host,
               s->port, s->verb, r->spec);
    snprintf(reply, cap, "%s", r->text);
    return true;
}

/* --- what a rule can reach --- */

static const char *service_of(const struct modem *m, const char *name);

static bool tag_matches(const char *service, const char *tag, const char *conn_tag)
{
    size_t n = strlen(service);
    if (service[0] &&
        !(strncasecmp(service, conn_tag, n) == 0 && (conn_tag[n] == '\0' || conn_tag[n] == '-')))
        return false;
    return !tag[0] || strcasecmp(tag, conn_tag) == 0;
}

static bool verb_listed(const char *const *verbs, const char *verb)
{
    for (; verbs && *verbs; verbs++)
        if (!strcmp(*verbs, verb))
            return true;
    return false;
}

/* Whether text reads as a reply of that style: "NNN ..." or "+OK"/"-ERR". */
static bool reply_fits(enum service_reply_style style, const char *text)
{
    if (style == SERVICE_REPLY_POP3)
        return (!strncmp(text, "+OK", 3) && (text[3] == ' ' || !text[3])) ||
               (!strncmp(text, "-ERR", 4) && (text[4] == ' ' || !text[4]));
    return text[0] >= '1' && text[0] <= '5' && text[1] >= '0' && text[1] <= '9' && text[2] >= '0' &&
           text[2] <= '9' && (text[3] == ' ' || !text[3]);
}

/* Refuses a rule that could never fire: a service, tag or command the
 * program does not have, a verb no matching connection sends, a reply its
 * protocol would not parse.  The services' own tables say what exists. */
static int check_reachable(const struct fault_rule *r, char *err, size_t errlen)
{
    const struct service *const *sv;
    if (r->action == FA_LINK_CLOSED && r->link >= CIP_LINKS) {
        snprintf(err, errlen, "closed=%d: a link number 0 to %d (AT+CIPSTART's <n>)", r->link,
                 CIP_LINKS - 1);
        return -1;
    }
    if (r->cmd[0]) {
        if (nmodems > 0 && !at_engine_knows(&modems_[0]->engine, r->cmd)) {
            snprintf(err, errlen, "cmd=%s: the profile has no such command", r->cmd);
            return -1;
        }
        const char *owner = nmodems > 0 ? service_of(modems_[0], r->cmd) : NULL;
        if (owner && r->service[0] && strcasecmp(owner, r->service) != 0) {
            snprintf(err, errlen, "service=%s: AT%s belongs to %s (leave service= out)", r->service,
                     r->cmd, owner);
            return -1;
        }
        if (!r->service[0] || !strcmp(r->service, "modem"))
            return 0;
        for (sv = sim800_services; *sv; sv++)
            if (!strcasecmp((*sv)->name, r->service))
                return 0;
        snprintf(err, errlen,
                 "service=%s: no such service (modem, or one of the services: ", r->service);
        for (sv = sim800_services; *sv; sv++)
            snprintf(err + strlen(err), errlen - strlen(err), "%s%s", (*sv)->name,
                     sv[1] ? " " : ")");
        return -1;
    }
    if (!fault_is_network(r->action) && r->action != FA_REPLY)
        return 0;
    bool conn_seen = false, verb_seen = false, fits = true;
    enum service_reply_style style = SERVICE_REPLY_NONE;
    for (sv = sim800_services; *sv; sv++)
        for (const struct service_conn *c = (*sv)->conns; c && c->tag; c++) {
            if (!tag_matches(r->service, r->tag, c->tag))
                continue;
            conn_seen = true;
            if (r->action == FA_REPLY && verb_listed(c->verbs, r->verb)) {
                verb_seen = true;
                if (!reply_fits(c->style, r->text)) {
                    fits = false;
                    style = c->style;
                }
            }
        }
    if (!conn_seen) {
        snprintf(err, errlen, "%s%s%s%s: no connection has that tag (the tags: ",
                 r->service[0] ? "service=" : "", r->service, r->tag[0] ? " tag=" : "", r->tag);
        for (sv = sim800_services; *sv; sv++)
            for (const struct service_conn *c = (*sv)->conns; c && c->tag; c++)
                snprintf(err + strlen(err), errlen - strlen(err), "%s ", c->tag);
        if (strlen(err) > 0 && err[strlen(err) - 1] == ' ')
            err[strlen(err) - 1] = ')';
        return -1;
    }
    if (r->action != FA_REPLY)
        return 0;
    if (!verb_seen) {
        snprintf(err, errlen, "reply-to=%s: no %s connection sends it (", r->verb,
                 r->service[0] ? r->service
                 : r->tag[0]   ? r->tag
                               : "FTP, SMTP or POP3");
        for (sv = sim800_services; *sv; sv++)
            for (const struct service_conn *c = (*sv)->conns; c && c->tag; c++)
                if (c->verbs && tag_matches(r->service, r->tag, c->tag)) {
                    snprintf(err + strlen(err), errlen - strlen(err), "%s:", c->tag);
                    for (const char *const *v = c->verbs; *v; v++)
                        snprintf(err + strlen(err), errlen - strlen(err), " %s", *v);
                    snprintf(err + strlen(err), errlen - strlen(err), "; ");
                }
        size_t n = strlen(err);
        if (n >= 2 && !strcmp(err + n - 2, "; "))
            err[n - 2] = ')', err[n - 1] = '\0';
        else if (n > 0)
            err[n - 1] = '\0';
        return -1;
    }
    if (!fits) {
        snprintf(err, errlen, "reply=%s: %s", r->text,
                 style == SERVICE_REPLY_POP3
                     ? "a POP3 server answers +OK or -ERR (add service= to choose the protocol)"
                     : "an FTP or SMTP server answers NNN text, 100 to 599 (add service= to "
                       "choose the protocol)");
        return -1;
    }
    return 0;
}

/* The service whose tables have the command; "modem" for the general ones. */
static const char *service_of(const struct modem *m, const char *name)
{
    for (size_t i = 0; i < m->nservices; i++) {
        const struct at_cmd_table *const *t = m->services[i]->tables;
        for (; t && *t; t++)
            for (size_t k = 0; k < (*t)->count; k++)
                if (strcmp((*t)->rows[k].name, name) == 0)
                    return m->services[i]->name;
    }
    return "modem";
}

/* "OK", "ERROR", "+CME ERROR: n" (shown as +CMEE says), or any other text. */
static int verdict_for(struct modem *m, const char *text)
{
    if (!strcmp(text, "OK"))
        return AT_OK;
    if (!strcmp(text, "ERROR"))
        return AT_ERROR;
    int n;
    char tail;
    if (sscanf(text, "+CME ERROR: %d%c", &n, &tail) == 1 && n >= 0 && n < 1000)
        return AT_CME(n);
    return at_final_text(m, text);
}

static bool cmd_hook(struct modem *m, const char *name, enum at_form form, int *verdict)
{
    (void)form;
    if (rules.n == 0)
        return false;
    struct fault_subject fs = {.modem = m->id, .service = service_of(m, name), .cmd = name};
    struct fault_rule *r = fault_match_cmd(&rules, &fs);
    if (!r)
        return false;
    if (fault_is_event(r->action)) {
        /* The command runs; the event follows it. */
        schedule(r, m->id, 0.);
        return false;
    }
    trace_note(m->id, "fault", "rule %d fired on AT%s: %s", r->id, name, r->spec);
    if (r->action == FA_RESULT) {
        *verdict = verdict_for(m, r->result);
        return true;
    }
    /* FA_URC: the final result, then the URC (the writer holds it until
     * the line's final result is out). */
    *verdict = verdict_for(m, r->result[0] ? r->result : "OK");
    at_urc(m, "%s", r->text);
    return true;
}

/* --- the API --- */

void fault_glue_init(struct ev_loop *loop, struct modem **modems, long n)
{
    check_module_actions();
    fault_set_init(&rules);
    loop_ = loop;
    modems_ = modems;
    nmodems = n;
    conn_fault_set_hook(conn_hook);
    linecli_set_fault_hook(reply_hook);
    at_engine_set_cmd_hook(cmd_hook);
}

void fault_glue_shutdown(void)
{
    while (pending) {
        struct pending_event *e = pending;
        pending = e->next;
        ev_timer_stop(loop_, &e->timer);
        free(e);
    }
    npending = 0;
    conn_fault_set_hook(NULL);
    linecli_set_fault_hook(NULL);
    at_engine_set_cmd_hook(NULL);
}

int fault_glue_check(const char *spec, char *err, size_t errlen)
{
    struct fault_rule r;
    if (fault_parse(spec, strlen(spec), &r, err, errlen) < 0)
        return -1;
    return check_reachable(&r, err, errlen);
}

int fault_glue_add(const char *spec, size_t len, char *err, size_t errlen)
{
    struct fault_rule r;
    if (fault_parse(spec, len, &r, err, errlen) < 0 || check_reachable(&r, err, errlen) < 0)
        return -1;
    if (r.modem >= nmodems) {
        snprintf(err, errlen, "modem=%d: there are %ld modems (0 to %ld)", r.modem, nmodems,
                 nmodems - 1);
        return -1;
    }
    if (fault_set_add(&rules, &r) < 0) {
        snprintf(err, errlen, "%d rules already: fault clear first", FAULT_RULES_MAX);
        return -1;
    }
    struct fault_rule *added = &rules.rules[rules.n - 1];
    trace_note(r.modem >= 0 ? r.modem : 0, "fault", "rule %d added: %s", added->id, added->spec);
    if (fault_is_event(added->action) && !added->cmd[0])
        fire_event_rule(added);
    return added->id;
}

int fault_glue_clear(int id) { return fault_set_clear(&rules, id); }

void fault_glue_list_json(struct bytebuf *out)
{
    bytebuf_append_str(out, "[");
    for (int i = 0; i < rules.n; i++) {
        const struct fault_rule *r = &rules.rules[i];
        char buf[160];
        snprintf(
            buf, sizeof(buf),
            "%s{\"id\":%d,\"action\":\"%s\",\"matched\":%ld,\"fired\":%ld,\"left\":%ld,\"spec\":",
            i ? "," : "", r->id, fault_action_name(r->action), r->matched, r->fired, r->count);
        bytebuf_append_str(out, buf);
        bytebuf_append_json(out, r->spec);
        bytebuf_append_str(out, "}");
    }
    bytebuf_append_str(out, "]");
}

struct status_ctx {
    struct bytebuf *out;
    int modem;
    int n;
};

static void status_conn(struct conn *c, int modem, const char *host, int port, void *ud)
{
    struct status_ctx *s = ud;
    if (modem != s->modem)
        return;
    static const char *const states[] = {"resolving", "connecting", "handshaking",
                                         "connected", "closed",     "failed"};
    char buf[96];
    bytebuf_append_str(s->out, s->n++ ? ",{\"tag\":" : "{\"tag\":");
    bytebuf_append_json(s->out, conn_tag(c));
    bytebuf_append_str(s->out, ",\"host\":");
    bytebuf_append_json(s->out, host);
    snprintf(buf, sizeof(buf), ",\"port\":%d,\"tls\":%s,\"state\":\"%s\"", port,
             conn_is_tls(c) ? "true" : "false", states[conn_state(c)]);
    bytebuf_append_str(s->out, buf);
    /* Read back from the socket: what AT+CIPTKA made of it. */
    int idle, interval, count;
    int ka = conn_keepalive(c, &idle, &interval, &count);
    if (ka > 0)
        snprintf(buf, sizeof(buf), ",\"keepalive\":[%d,%d,%d]}", idle, interval, count);
    else
        snprintf(buf, sizeof(buf), ",\"keepalive\":%s}", ka == 0 ? "false" : "null");
    bytebuf_append_str(s->out, buf);
}

void fault_glue_status_json(struct bytebuf *out)
{
    bytebuf_append_str(out, "{\"modems\":[");
    for (long i = 0; i < nmodems; i++) {
        const struct modem *m = modems_[i];
        const struct general_state *g = &m->general;
        char buf[200];
        bytebuf_append_str(out, i ? ",{\"index\":" : "{\"index\":");
        snprintf(buf, sizeof(buf), "%ld,\"port\":", i);
        bytebuf_append_str(out, buf);
        bytebuf_append_json(out, modem_port_path(m));
        if (serial_net_endpoint(i)[0]) { /* --listen: where the network reaches it */
            bytebuf_append_str(out, ",\"listen\":");
            bytebuf_append_json(out, serial_net_endpoint(i));
        }
        bytebuf_append_str(out, ",\"imei\":");
        bytebuf_append_json(out, m->ident.imei);
        bytebuf_append_str(out, ",\"imsi\":");
        bytebuf_append_json(out, m->ident.imsi);
        bytebuf_append_str(out, ",\"iccid\":");
        bytebuf_append_json(out, m->ident.iccid);
        bytebuf_append_str(out, ",\"number\":");
        bytebuf_append_json(out, m->ident.number);
        snprintf(buf, sizeof(buf),
                 ",\"power\":\"%s\",\"sim_ready\":%s,\"registered\":%s,\"attached\":%s",
                 m->power == MODEM_ON          ? "on"
                 : m->power == MODEM_RESETTING ? "resetting"
                                               : "off",
                 g->sim == SIM_READY ? "true" : "false", g->registered ? "true" : "false",
                 g->attached ? "true" : "false");
        bytebuf_append_str(out, buf);
        modem_status_services(m, out); /* each service's own members */
        bytebuf_append_str(out, ",\"links\":[");
        struct status_ctx s = {.out = out, .modem = (int)i};
        conn_fault_each(status_conn, &s);
        bytebuf_append_str(out, "]}");
    }
    bytebuf_append_str(out, "]}");
}

void fault_glue_service_verbs(struct bytebuf *out)
{
    if (nmodems == 0)
        return;
    const struct modem *m = modems_[0];
    for (size_t i = 0; i < m->nservices; i++)
        for (const struct service_verb *v = m->services[i]->verbs; v && v->name; v++) {
            bytebuf_append_str(out, " | ");
            bytebuf_append_str(out, v->usage);
        }
}

/* The modem of a service request: "NAME N ARGS", or "NAME ARGS" with a
 * word modem=N among ARGS (taken out of them), or neither when there is
 * one modem.  Returns its index, -1 when none is named right. */
static long request_modem(const char *p, char *args, size_t cap)
{
    char *end;
    long i = strtol(p, &end, 10);
    if (end != p && (*end == ' ' || !*end)) {
        while (*end == ' ')
            end++;
        str_copy(args, cap, end);
        return i >= 0 && i < nmodems ? i : -1;
    }
    /* modem=N as a word of its own, outside quotes */
    size_t n = 0;
    bool quoted = false;
    i = nmodems == 1 ? 0 : -1;
    for (const char *q = p; *q; q++) {
        bool word_start = (q == p || q[-1] == ' ') && !quoted;
        if (word_start && strncmp(q, "modem=", 6) == 0) {
            long v = strtol(q + 6, &end, 10);
            if (end == q + 6 || (*end && *end != ' '))
                return -1;
            i = v >= 0 && v < nmodems ? v : -1;
            q = end - 1;
            continue;
        }
        if (*q == '"' && (q == p || q[-1] != '\\'))
            quoted = !quoted;
        if (n + 1 < cap)
            args[n++] = *q;
    }
    while (n && args[n - 1] == ' ')
        n--;
    args[n] = '\0';
    return i;
}

int fault_glue_service_request(const char *line, struct bytebuf *reply)
{
    char name[32];
    size_t n = strcspn(line, " ");
    if (n == 0 || n >= sizeof(name) || nmodems == 0)
        return -1;
    memcpy(name, line, n);
    name[n] = '\0';
    void *state;
    const struct service_verb *v = modem_service_verb(modems_[0], name, &state);
    if (!v)
        return -1;
    const char *p = line + n;
    while (*p == ' ')
        p++;
    char args[1024]; /* a control request line is at most this long (control.h) */
    long i = request_modem(p, args, sizeof(args));
    if (i < 0) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "error %s takes a modem index 0 to %ld first (or modem=N among its words)", name,
                 nmodems - 1);
        bytebuf_append_str(reply, msg);
        return 0;
    }
    struct modem *m = modems_[i];
    modem_service_verb(m, name, &state); /* this modem's state */
    v->run(m, state, args, reply);
    return 0;
}
