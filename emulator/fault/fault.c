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

/* --- numbers --- */

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    if (!*s || !(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
        return false;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
    if (!*s || !(isdigit((unsigned char)*s) || *s == '.'))
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool copy_word(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

/* --- the parser --- */

#define BAD(...)                                                                                   \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return -1;                                                                                 \
    } while (0)

static int set_action(struct fault_rule *r, enum fault_action a, const char *key, char *err,
                      size_t errlen)
{
    /* result= may go with urc= (the final result before the URC). */
    if (r->action == FA_URC && a == FA_RESULT)
        return 0;
    if (r->action == FA_RESULT && a == FA_URC) {
        r->action = FA_URC;
        return 0;
    }
    if (r->action != FA_NONE)
        BAD("'%s': a rule has one action, it already has %s", key, fault_action_name(r->action));
    r->action = a;
    return 0;
}

/* One key=value; value NULL for a bare key. */
static int apply(struct fault_rule *r, const char *key, const char *value, char *err, size_t errlen)
{
    long v;
#define NEED_VALUE                                                                                 \
    if (!value)                                                                                    \
    BAD("'%s' needs a value (%s=...)", key, key)
#define NO_VALUE                                                                                   \
    if (value)                                                                                     \
    BAD("'%s' takes no value", key)
    if (!strcmp(key, "modem")) {
        NEED_VALUE;
        if (!strcmp(value, "any") || !strcmp(value, "*"))
            r->modem = -1;
        else if (!parse_long(value, 0, 65535, &v))
            BAD("modem=%s: a modem index or any", value);
        else
            r->modem = (int)v;
    } else if (!strcmp(key, "service") || !strcmp(key, "tag") || !strcmp(key, "host")) {
        NEED_VALUE;
        char *dst = key[0] == 's' ? r->service : key[0] == 't' ? r->tag : r->host;
        size_t cap = key[0] == 's'   ? sizeof(r->service)
                     : key[0] == 't' ? sizeof(r->tag)
                                     : sizeof(r->host);
        if (!value[0] || !copy_word(dst, cap, value))
            BAD("%s=: empty or longer than %zu", key, cap - 1);
        for (char *p = dst; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    } else if (!strcmp(key, "port")) {
        NEED_VALUE;
        if (!parse_long(value, 1, 65535, &v))
            BAD("port=%s: 1 to 65535", value);
        r->port = (int)v;
    } else if (!strcmp(key, "cmd")) {
        NEED_VALUE;
        const char *c = value;
        if (!strncasecmp(c, "AT", 2) && c[2])
            c += 2;
        char name[sizeof(r->cmd)];
        size_t n = strlen(c);
        if (n == 0 || n >= sizeof(name))
            BAD("cmd=%s: a command name such as +HTTPACTION", value);
        for (size_t i = 0; i <= n; i++)
            name[i] = (char)toupper((unsigned char)c[i]);
        if (name[0] != '+' && name[0] != '&' && !isalpha((unsigned char)name[0]))
            BAD("cmd=%s: a command name such as +HTTPACTION", value);
        for (size_t i = 1; i < n; i++)
            if (!isalnum((unsigned char)name[i]) && !strchr("+&%$#*_", name[i]))
                BAD("cmd=%s: a command name such as +HTTPACTION", value);
        memcpy(r->cmd, name, n + 1);
    } else if (!strcmp(key, "count")) {
        NEED_VALUE;
        if (!strcmp(value, "always"))
            r->count = -1;
        else if (!parse_long(value, 1, 1000000000L, &v))
            BAD("count=%s: a number from 1, or always", value);
        else
            r->count = v;
    } else if (!strcmp(key, "skip")) {
        NEED_VALUE;
        if (!parse_long(value, 0, 1000000000L, &r->skip))
            BAD("skip=%s: a number", value);
    } else if (!strcmp(key, "prob")) {
        NEED_VALUE;
        if (!parse_double(value, 0, 1, &r->prob))
            BAD("prob=%s: a probability from 0 to 1", value);
    } else if (!strcmp(key, "seed")) {
        NEED_VALUE;
        if (!parse_long(value, 0, 0x7fffffffffffffffL, &v))
            BAD("seed=%s: a number", value);
        r->seed = (uint64_t)v;
    } else if (!strcmp(key, "dns") || !strcmp(key, "refuse") || !strcmp(key, "pdp-deact") ||
               !strcmp(key, "under-voltage") || !strcmp(key, "cpin-not-ready") ||
               !strcmp(key, "register") || !strcmp(key, "reboot")) {
        NO_VALUE;
        enum fault_action a = !strcmp(key, "dns")              ? FA_DNS
                              : !strcmp(key, "refuse")         ? FA_REFUSE
                              : !strcmp(key, "pdp-deact")      ? FA_PDP_DEACT
                              : !strcmp(key, "under-voltage")  ? FA_UNDER_VOLTAGE
                              : !strcmp(key, "cpin-not-ready") ? FA_CPIN_NOT_READY
                              : !strcmp(key, "register")       ? FA_REGISTER
                                                               : FA_REBOOT;
        return set_action(r, a, key, err, errlen);
    } else if (!strcmp(key, "timeout") || !strcmp(key, "unregister")) {
        if (value && !parse_double(value, 0, 86400, &r->seconds))
            BAD("%s=%s: seconds, 0 to 86400", key, value);
        return set_action(r, key[0] == 't' ? FA_TIMEOUT : FA_UNREGISTER, key, err, errlen);
    } else if (!strcmp(key, "tls-alert") || !strcmp(key, "alert")) {
        NEED_VALUE;
        int code;
        if (!strcmp(value, "none") || !strcmp(value, "close"))
            code = -1;
        else if (parse_long(value, 0, 255, &v))
            code = (int)v;
        else if ((code = fault_alert_code(value)) < 0)
            BAD("%s=%s: an alert name (handshake_failure, bad_record_mac, ...), a number, or none",
                key, value);
        r->alert = code;
        if (!strcmp(key, "tls-alert"))
            return set_action(r, FA_TLS, key, err, errlen);
    } else if (!strcmp(key, "alert-after") || !strcmp(key, "reset-after") ||
               !strcmp(key, "close-after") || !strcmp(key, "after")) {
        NEED_VALUE;
        if (!parse_long(value, 0, 0x7fffffffffffL, &r->bytes))
            BAD("%s=%s: a byte count", key, value);
        if (!strcmp(key, "after"))
            return 0;
        return set_action(r,
                          key[0] == 'a'   ? FA_ALERT_AFTER
                          : key[0] == 'r' ? FA_RESET_AFTER
                                          : FA_CLOSE_AFTER,
                          key, err, errlen);
    } else if (!strcmp(key, "stall")) {
        NEED_VALUE;
        if (!parse_double(value, 0, 86400, &r->seconds))
            BAD("stall=%s: seconds, 0 to 86400", value);
        return set_action(r, FA_STALL, key, err, errlen);
    } else if (!strcmp(key, "rate") || !strcmp(key, "latency")) {
        NEED_VALUE;
        if (key[0] == 'r') {
            if (!parse_long(value, 1, 1000000000L, &r->rate))
                BAD("rate=%s: bytes per second", value);
        } else {
            if (!parse_long(value, 0, 600000, &v))
                BAD("latency=%s: milliseconds", value);
            r->latency_ms = (int)v;
        }
        if (r->action == FA_SHAPE)
            return 0;
        return set_action(r, FA_SHAPE, key, err, errlen);
    } else if (!strcmp(key, "dir")) {
        NEED_VALUE;
        if (!strcmp(value, "rx"))
            r->dir = FAULT_RX;
        else if (!strcmp(value, "tx"))
            r->dir = FAULT_TX;
        else if (!strcmp(value, "both"))
            r->dir = FAULT_RX | FAULT_TX;
        else
            BAD("dir=%s: rx, tx or both", value);
    } else if (!strcmp(key, "reply-to")) {
        NEED_VALUE;
        size_t n = strlen(value);
        if (n == 0 || n >= sizeof(r->verb))
            BAD("reply-to=%s: a protocol verb such as PBSZ, STLS or . (the end of data)", value);
        for (size_t i = 0; i <= n; i++) {
            unsigned char ch = (unsigned char)value[i];
            if (i < n && !isalpha(ch) && !(n == 1 && ch == '.'))
                BAD("reply-to=%s: a protocol verb such as PBSZ, STLS or . (the end of data)",
                    value);
            r->verb[i] = (char)toupper(ch);
        }
    } else if (!strcmp(key, "reply")) {
        NEED_VALUE;
        if (!value[0] || !copy_word(r->text, FAULT_TEXT_MAX, value))
            BAD("reply=: empty or longer than %d", FAULT_TEXT_MAX - 1);
        return set_action(r, FA_REPLY, key, err, errlen);
    } else if (!strcmp(key, "result") || !strcmp(key, "urc")) {
        NEED_VALUE;
        char *dst = key[0] == 'r' ? r->result : r->text;
        if (!value[0] || !copy_word(dst, FAULT_TEXT_MAX, value))
            BAD("%s=: empty or longer than %d", key, FAULT_TEXT_MAX - 1);
        return set_action(r, key[0] == 'r' ? FA_RESULT : FA_URC, key, err, errlen);
    } else if (!strcmp(key, "closed")) {
        NEED_VALUE;
        /* The highest link is the TCP/IP service's: app/fault_glue.c checks it. */
        if (!parse_long(value, 0, 1000, &v))
            BAD("closed=%s: a link number", value);
        r->link = (int)v;
        return set_action(r, FA_LINK_CLOSED, key, err, errlen);
    } else if (!strcmp(key, "csq")) {
        NEED_VALUE;
        long a, b;
        char tmp[32];
        char *comma;
        if (!copy_word(tmp, sizeof(tmp), value) || !(comma = strchr(tmp, ',')))
            BAD("csq=%s: RSSI,BER such as 99,99", value);
        *comma = '\0';
        if (!parse_long(tmp, 0, 99, &a) || !parse_long(comma + 1, 0, 99, &b) ||
            (a > 31 && a != 99) || (b > 7 && b != 99))
            BAD("csq=%s: RSSI 0-31 or 99, BER 0-7 or 99", value);
        r->rssi = (int)a;
        r->ber = (int)b;
        return set_action(r, FA_SIGNAL, key, err, errlen);
    } else if (!strcmp(key, "noise") || !strcmp(key, "drop")) {
        NEED_VALUE;
        if (!parse_long(value, 1, FAULT_NOISE_MAX, &r->n))
            BAD("%s=%s: 1 to %d bytes", key, value, FAULT_NOISE_MAX);
        return set_action(r, key[0] == 'n' ? FA_NOISE : FA_DROP, key, err, errlen);
    } else if (!strcmp(key, "delay")) {
        NEED_VALUE;
        if (!parse_double(value, 0, 86400, &r->delay))
            BAD("delay=%s: seconds", value);
    } else {
        BAD("unknown key '%s'", key);
    }
    return 0;
#undef NEED_VALUE
#undef NO_VALUE
}

int fault_parse(const char *spec, size_t len, struct fault_rule *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->modem = -1;
    r->count = 1;
    r->prob = 1.0;
    r->alert = -2;
    r->dir = 0;
    if (len >= FAULT_SPEC_MAX)
        BAD("rule longer than %d bytes", FAULT_SPEC_MAX - 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)spec[i];
        if (c < 0x20 || c == 0x7f)
            BAD("control byte 0x%02x at %zu", c, i);
        if (c >= 0x80)
            BAD("byte 0x%02x at %zu: rules are ASCII", c, i);
    }
    /* Trim, and keep the text for list and the trace. */
    size_t a = 0, b = len;
    while (a < b && spec[a] == ' ')
        a++;
    while (b > a && spec[b - 1] == ' ')
        b--;
    memcpy(r->spec, spec + a, b - a);
    r->spec[b - a] = '\0';
    size_t i = a;
    char key[32], value[FAULT_SPEC_MAX];
    bool any = false;
    while (i < b) {
        if (spec[i] == ' ') {
            i++;
            continue;
        }
        size_t k = 0;
        while (i < b && spec[i] != ' ' && spec[i] != '=') {
            if (k + 1 >= sizeof(key))
                BAD("key too long at %zu", i);
            key[k++] = spec[i++];
        }
        key[k] = '\0';
        if (k == 0)
            BAD("'=' without a key at %zu", i);
        bool has_value = i < b && spec[i] == '=';
        size_t vlen = 0;
        if (has_value) {
            i++;
            if (i < b && spec[i] == '"') {
                i++;
                bool closed = false;
                while (i < b) {
                    char c = spec[i++];
                    if (c == '"') {
                        closed = true;
                        break;
                    }
                    if (c == '\\') {
                        if (i >= b)
                            break;
                        c = spec[i++];
                        if (c != '"' && c != '\\')
                            BAD("%s: only \\\" and \\\\ escapes in quotes", key);
                    }
                    value[vlen++] = c;
                }
                if (!closed)
                    BAD("%s: unterminated quote", key);
                if (i < b && spec[i] != ' ')
                    BAD("%s: a space must follow the closing quote", key);
            } else {
                while (i < b && spec[i] != ' ') {
                    if (spec[i] == '"')
                        BAD("%s: a quote inside a word", key);
                    value[vlen++] = spec[i++];
                }
            }
            value[vlen] = '\0';
        }
        if (apply(r, key, has_value ? value : NULL, err, errlen) < 0)
            return -1;
        any = true;
    }
    if (r->verb[0] && r->action == FA_NONE)
        BAD("reply-to= goes with reply=TEXT (the reply it gets)");
    if (!any || r->action == FA_NONE)
        BAD("no action (dns, refuse, timeout, tls-alert=, reset-after=, result=, urc=, pdp-deact, "
            "reboot, ...)");
    /* Which keys go with which action. */
    bool net = fault_is_network(r->action) || r->action == FA_REPLY;
    if (net && r->cmd[0])
        BAD("cmd= goes with result=, urc= and module events, not with %s",
            fault_action_name(r->action));
    if (r->verb[0] && r->action != FA_REPLY)
        BAD("reply-to= goes with reply=TEXT (the reply it gets)");
    if (r->action == FA_REPLY && !r->verb[0])
        BAD("reply= needs reply-to=VERB (the protocol command it answers)");
    if (!net && (r->host[0] || r->port || r->tag[0]))
        BAD("host=, port= and tag= go with network faults, not with %s",
            fault_action_name(r->action));
    if ((r->action == FA_RESULT || r->action == FA_URC) && !r->cmd[0])
        BAD("%s needs cmd= (the command it answers)", fault_action_name(r->action));
    if (r->action == FA_RESULT && !r->result[0])
        BAD("result= needs a text");
    if (r->alert >= -1 && r->action != FA_TLS && r->action != FA_ALERT_AFTER)
        BAD("alert= goes with tls-alert or alert-after");
    if (r->action == FA_ALERT_AFTER && r->alert < 0)
        r->alert = 20; /* bad_record_mac: what a corrupted record draws */
    if (r->alert == -2)
        r->alert = -1;
    if (r->dir && !(r->action >= FA_ALERT_AFTER && r->action <= FA_SHAPE))
        BAD("dir= goes with the after-N-bytes faults, stall and shaping");
    if (!r->dir)
        r->dir = r->action == FA_SHAPE ? (FAULT_RX | FAULT_TX) : FAULT_RX;
    if (r->action == FA_ALERT_AFTER && r->dir != FAULT_RX && r->dir != FAULT_TX)
        BAD("dir= is rx or tx for an after-N-bytes fault");
    if ((r->action == FA_RESET_AFTER || r->action == FA_CLOSE_AFTER) && r->dir != FAULT_RX &&
        r->dir != FAULT_TX)
        BAD("dir= is rx or tx for an after-N-bytes fault");
    if (r->bytes && !(r->action >= FA_ALERT_AFTER && r->action <= FA_STALL))
        BAD("after= goes with stall");
    if (r->delay > 0 && !fault_is_event(r->action))
        BAD("delay= goes with module events");
    if (r->delay > 0 && r->cmd[0])
        BAD("delay= or cmd=, not both");
    if (r->service[0] && fault_is_event(r->action) && !r->cmd[0])
        BAD("service= goes with network faults and command rules");
    return 0;
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
