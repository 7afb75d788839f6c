/* The fault rule language and the rule set (fault.h).  Everything outside
 * input goes through fault_parse(), which is fuzzed (tests/fuzz/fuzz_fault.c). */
#include "fault.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    int code;
    const char *name;
} alerts[] = {
    {0, "close_notify"},
    {10, "unexpected_message"},
    {20, "bad_record_mac"},
    {22, "record_overflow"},
    {40, "handshake_failure"},
    {42, "bad_certificate"},
    {43, "unsupported_certificate"},
    {44, "certificate_revoked"},
    {45, "certificate_expired"},
    {46, "certificate_unknown"},
    {47, "illegal_parameter"},
    {48, "unknown_ca"},
    {49, "access_denied"},
    {50, "decode_error"},
    {51, "decrypt_error"},
    {70, "protocol_version"},
    {71, "insufficient_security"},
    {80, "internal_error"},
    {86, "inappropriate_fallback"},
    {90, "user_canceled"},
    {109, "missing_extension"},
    {110, "unsupported_extension"},
    {112, "unrecognized_name"},
    {116, "certificate_required"},
    {120, "no_application_protocol"},
};

const char *fault_alert_name(int code)
{
    for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
        if (alerts[i].code == code)
            return alerts[i].name;
    return NULL;
}

int fault_alert_code(const char *name)
{
    for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
        if (strcasecmp(alerts[i].name, name) == 0)
            return alerts[i].code;
    return -1;
}

/* Every action, once: its name (in `fault list` and the trace), its class
 * and its words in the grammar that --help and the control socket's help
 * print (README "Fault injection" and the man page list the same; a test
 * holds them to it).  The keys are parsed by apply() below; what an action
 * does is the connection layer's (network), the engine's (command), the
 * line client's (protocol) or the state's owner's (module, through
 * app/fault_glue.c). */
static const struct fault_action_desc {
    enum fault_action action;
    const char *name;
    enum fault_class cls;
    const char *syntax;
    enum conn_fault_kind conn_kind; /* a network action's, for the connection layer */
} actions[] = {
    {FA_DNS, "dns", FAULT_CLASS_NETWORK, "dns", CF_DNS},
    {FA_REFUSE, "refuse", FAULT_CLASS_NETWORK, "refuse", CF_REFUSE},
    {FA_TIMEOUT, "timeout", FAULT_CLASS_NETWORK, "timeout[=S]", CF_TIMEOUT},
    {FA_TLS, "tls-alert", FAULT_CLASS_NETWORK, "tls-alert=NAME|none", CF_TLS},
    {FA_ALERT_AFTER, "alert-after", FAULT_CLASS_NETWORK, "alert-after=N [alert=NAME]", CF_ALERT},
    {FA_RESET_AFTER, "reset-after", FAULT_CLASS_NETWORK, "reset-after=N", CF_RESET},
    {FA_CLOSE_AFTER, "close-after", FAULT_CLASS_NETWORK, "close-after=N", CF_CLOSE},
    {FA_STALL, "stall", FAULT_CLASS_NETWORK, "stall=S [after=N]", CF_STALL},
    {FA_SHAPE, "shape", FAULT_CLASS_NETWORK, "rate=B/S [latency=MS] [dir=rx|tx|both]", CF_NONE},
    {FA_REPLY, "reply", FAULT_CLASS_PROTOCOL, "reply-to=VERB reply=TEXT", CF_NONE},
    {FA_RESULT, "result", FAULT_CLASS_COMMAND, "result=TEXT", CF_NONE},
    {FA_URC, "urc", FAULT_CLASS_COMMAND, "urc=TEXT [result=TEXT]", CF_NONE},
    {FA_PDP_DEACT, "pdp-deact", FAULT_CLASS_MODULE, "pdp-deact", CF_NONE},
    {FA_LINK_CLOSED, "closed", FAULT_CLASS_MODULE, "closed=LINK", CF_NONE},
    {FA_UNDER_VOLTAGE, "under-voltage", FAULT_CLASS_MODULE, "under-voltage", CF_NONE},
    {FA_CPIN_NOT_READY, "cpin-not-ready", FAULT_CLASS_MODULE, "cpin-not-ready", CF_NONE},
    {FA_SIGNAL, "csq", FAULT_CLASS_MODULE, "csq=R,B", CF_NONE},
    {FA_UNREGISTER, "unregister", FAULT_CLASS_MODULE, "unregister[=S]", CF_NONE},
    {FA_REGISTER, "register", FAULT_CLASS_MODULE, "register", CF_NONE},
    {FA_REBOOT, "reboot", FAULT_CLASS_MODULE, "reboot", CF_NONE},
    {FA_NOISE, "noise", FAULT_CLASS_MODULE, "noise=N", CF_NONE},
    {FA_DROP, "drop", FAULT_CLASS_MODULE, "drop=N [delay=S]", CF_NONE},
};
_Static_assert(sizeof(actions) / sizeof(actions[0]) == FA_COUNT - 1,
               "every action of enum fault_action has one row");

static const struct fault_action_desc *desc_of(enum fault_action a)
{
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        if (actions[i].action == a)
            return &actions[i];
    return NULL;
}

const char *fault_action_name(enum fault_action a)
{
    const struct fault_action_desc *d = desc_of(a);
    return d ? d->name : "none";
}

enum conn_fault_kind fault_action_conn_kind(enum fault_action a)
{
    const struct fault_action_desc *d = desc_of(a);
    return d ? d->conn_kind : CF_NONE;
}

enum fault_class fault_action_class(enum fault_action a)
{
    const struct fault_action_desc *d = desc_of(a);
    return d ? d->cls : FAULT_CLASS_NONE;
}

bool fault_is_network(enum fault_action a) { return fault_action_class(a) == FAULT_CLASS_NETWORK; }
bool fault_is_event(enum fault_action a) { return fault_action_class(a) == FAULT_CLASS_MODULE; }

const char *fault_grammar(void)
{
    static char text[1024];
    if (text[0])
        return text;
    size_t used = (size_t)snprintf(
        text, sizeof(text), "%s",
        "[modem=N] [service=NAME] [tag=T] [host=H] [port=N] [cmd=+NAME] [count=N|always] "
        "[skip=N] [prob=P] [seed=N] and one action: ");
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]) && used < sizeof(text); i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s", i ? " | " : "",
                                 actions[i].syntax);
    return text;
}

/* --- the set --- */

void fault_set_init(struct fault_set *s)
{
    memset(s, 0, sizeof(*s));
    s->next_id = 1;
}

/* splitmix64: small, and the same sequence everywhere for a seed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int fault_set_add(struct fault_set *s, struct fault_rule *r)
{
    if (s->n >= FAULT_RULES_MAX)
        return -1;
    r->id = s->next_id++;
    /* No seed given: the rule's id, so a run repeats by default too. */
    r->rng = r->seed ? r->seed : (uint64_t)r->id;
    s->rules[s->n++] = *r;
    return 0;
}

int fault_set_clear(struct fault_set *s, int id)
{
    int gone = 0, w = 0;
    for (int i = 0; i < s->n; i++) {
        if (id == 0 || s->rules[i].id == id) {
            gone++;
            continue;
        }
        s->rules[w++] = s->rules[i];
    }
    s->n = w;
    return gone;
}

bool fault_rule_fires(struct fault_rule *r)
{
    if (r->count == 0)
        return false;
    r->matched++;
    if (r->matched <= r->skip)
        return false;
    if (r->prob < 1.0) {
        double u = (double)(next_random(&r->rng) >> 11) / 9007199254740992.0;
        if (u >= r->prob)
            return false;
    }
    if (r->count > 0)
        r->count--;
    r->fired++;
    return true;
}

static bool service_matches(const char *want, const char *have)
{
    if (!want[0])
        return true;
    if (!have)
        return false;
    size_t n = strlen(want);
    /* service=ftp matches the tags "ftp" and "ftp-data". */
    return strncasecmp(want, have, n) == 0 && (have[n] == '\0' || have[n] == '-');
}

static bool modem_matches(const struct fault_rule *r, int modem)
{
    return r->modem < 0 || r->modem == modem;
}

/* A connection's part of a match: modem, service or tag, host, port. */
static bool conn_matches(const struct fault_rule *r, const struct fault_subject *subj)
{
    if (!modem_matches(r, subj->modem) || !service_matches(r->service, subj->service))
        return false;
    if (r->tag[0] && (!subj->service || strcasecmp(r->tag, subj->service) != 0))
        return false;
    if (r->host[0] && (!subj->host || strcasecmp(r->host, subj->host) != 0))
        return false;
    return !r->port || r->port == subj->port;
}

struct fault_rule *fault_match_conn(struct fault_set *s, const struct fault_subject *subj,
                                    bool shaping)
{
    for (int i = 0; i < s->n; i++) {
        struct fault_rule *r = &s->rules[i];
        if (!fault_is_network(r->action) || (r->action == FA_SHAPE) != shaping || r->count == 0)
            continue;
        if (!conn_matches(r, subj))
            continue;
        /* TLS faults need a TLS connection; an upgrade asks for them only. */
        bool tls_fault = r->action == FA_TLS || r->action == FA_ALERT_AFTER;
        if ((tls_fault && !subj->tls) || (subj->upgrade && !tls_fault))
            continue;
        if (fault_rule_fires(r))
            return r;
    }
    return NULL;
}

struct fault_rule *fault_match_reply(struct fault_set *s, const struct fault_subject *subj)
{
    if (!subj->verb)
        return NULL;
    for (int i = 0; i < s->n; i++) {
        struct fault_rule *r = &s->rules[i];
        if (r->action != FA_REPLY || r->count == 0 || strcmp(r->verb, subj->verb) != 0)
            continue;
        if (conn_matches(r, subj) && fault_rule_fires(r))
            return r;
    }
    return NULL;
}

struct fault_rule *fault_match_cmd(struct fault_set *s, const struct fault_subject *subj)
{
    for (int i = 0; i < s->n; i++) {
        struct fault_rule *r = &s->rules[i];
        if (!r->cmd[0] || r->count == 0 || !modem_matches(r, subj->modem))
            continue;
        if (!subj->cmd || strcmp(r->cmd, subj->cmd) != 0)
            continue;
        if (r->service[0] && !service_matches(r->service, subj->service))
            continue;
        if (fault_rule_fires(r))
            return r;
    }
    return NULL;
}
