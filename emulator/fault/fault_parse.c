/* The rule language's parser (fault.h): one parser per key and one table of
 * keys.  Pure, and fuzzed (tests/fuzz/fuzz_fault.c). */
#include "fault.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* --- the keys: one parser each, and one table --- */

#define PARSER(name)                                                                               \
    static int name(struct fault_rule *r, const char *key, const char *value, char *err,           \
                    size_t errlen)

PARSER(parse_modem)
{
    (void)key;
    long v;
    if (!strcmp(value, "any") || !strcmp(value, "*"))
        r->modem = -1;
    else if (!parse_long(value, 0, 65535, &v))
        BAD("modem=%s: a modem index or any", value);
    else
        r->modem = (int)v;
    return 0;
}

PARSER(parse_name)
{
    char *dst = key[0] == 's' ? r->service : key[0] == 't' ? r->tag : r->host;
    size_t cap = key[0] == 's'   ? sizeof(r->service)
                 : key[0] == 't' ? sizeof(r->tag)
                                 : sizeof(r->host);
    if (!value[0] || !copy_word(dst, cap, value))
        BAD("%s=: empty or longer than %zu", key, cap - 1);
    for (char *p = dst; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return 0;
}

PARSER(parse_port)
{
    (void)key;
    long v;
    if (!parse_long(value, 1, 65535, &v))
        BAD("port=%s: 1 to 65535", value);
    r->port = (int)v;
    return 0;
}

PARSER(parse_cmd)
{
    (void)key;
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
    return 0;
}

PARSER(parse_count)
{
    (void)key;
    long v;
    if (!strcmp(value, "always"))
        r->count = -1;
    else if (!parse_long(value, 1, 1000000000L, &v))
        BAD("count=%s: a number from 1, or always", value);
    else
        r->count = v;
    return 0;
}

PARSER(parse_skip)
{
    (void)key;
    if (!parse_long(value, 0, 1000000000L, &r->skip))
        BAD("skip=%s: a number", value);
    return 0;
}

PARSER(parse_prob)
{
    (void)key;
    if (!parse_double(value, 0, 1, &r->prob))
        BAD("prob=%s: a probability from 0 to 1", value);
    return 0;
}

PARSER(parse_seed)
{
    (void)key;
    long v;
    if (!parse_long(value, 0, 0x7fffffffffffffffL, &v))
        BAD("seed=%s: a number", value);
    r->seed = (uint64_t)v;
    return 0;
}

PARSER(parse_bare)
{
    (void)r;
    (void)key;
    (void)value;
    (void)err;
    (void)errlen;
    return 0;
}

PARSER(parse_seconds) /* timeout=, unregister=: the value may be left out */
{
    if (value && !parse_double(value, 0, 86400, &r->seconds))
        BAD("%s=%s: seconds, 0 to 86400", key, value);
    return 0;
}

PARSER(parse_alert)
{
    long v;
    int code;
    if (!strcmp(value, "none") || !strcmp(value, "close"))
        code = -1;
    else if (parse_long(value, 0, 255, &v))
        code = (int)v;
    else if ((code = fault_alert_code(value)) < 0)
        BAD("%s=%s: an alert name (handshake_failure, bad_record_mac, ...), a number, or none", key,
            value);
    r->alert = code;
    return 0;
}

PARSER(parse_bytes)
{
    if (!parse_long(value, 0, 0x7fffffffffffL, &r->bytes))
        BAD("%s=%s: a byte count", key, value);
    return 0;
}

PARSER(parse_stall)
{
    (void)key;
    if (!parse_double(value, 0, 86400, &r->seconds))
        BAD("stall=%s: seconds, 0 to 86400", value);
    return 0;
}

PARSER(parse_rate)
{
    (void)key;
    if (!parse_long(value, 1, 1000000000L, &r->rate))
        BAD("rate=%s: bytes per second", value);
    return 0;
}

PARSER(parse_latency)
{
    (void)key;
    long v;
    if (!parse_long(value, 0, 600000, &v))
        BAD("latency=%s: milliseconds", value);
    r->latency_ms = (int)v;
    return 0;
}

PARSER(parse_dir)
{
    (void)key;
    if (!strcmp(value, "rx"))
        r->dir = FAULT_RX;
    else if (!strcmp(value, "tx"))
        r->dir = FAULT_TX;
    else if (!strcmp(value, "both"))
        r->dir = FAULT_RX | FAULT_TX;
    else
        BAD("dir=%s: rx, tx or both", value);
    return 0;
}

PARSER(parse_verb)
{
    (void)key;
    size_t n = strlen(value);
    if (n == 0 || n >= sizeof(r->verb))
        BAD("reply-to=%s: a protocol verb such as PBSZ, STLS or . (the end of data)", value);
    for (size_t i = 0; i <= n; i++) {
        unsigned char ch = (unsigned char)value[i];
        if (i < n && !isalpha(ch) && !(n == 1 && ch == '.'))
            BAD("reply-to=%s: a protocol verb such as PBSZ, STLS or . (the end of data)", value);
        r->verb[i] = (char)toupper(ch);
    }
    return 0;
}

PARSER(parse_text) /* reply=, urc=, result= */
{
    char *dst = key[0] == 'r' && key[2] == 's' ? r->result : r->text;
    if (!value[0] || !copy_word(dst, FAULT_TEXT_MAX, value))
        BAD("%s=: empty or longer than %d", key, FAULT_TEXT_MAX - 1);
    return 0;
}

PARSER(parse_link)
{
    (void)key;
    long v;
    /* The highest link is the TCP/IP service's: app/fault_glue.c checks it. */
    if (!parse_long(value, 0, 1000, &v))
        BAD("closed=%s: a link number", value);
    r->link = (int)v;
    return 0;
}

PARSER(parse_csq)
{
    (void)key;
    long a, b;
    char tmp[32];
    char *comma;
    if (!copy_word(tmp, sizeof(tmp), value) || !(comma = strchr(tmp, ',')))
        BAD("csq=%s: RSSI,BER such as 99,99", value);
    *comma = '\0';
    if (!parse_long(tmp, 0, 99, &a) || !parse_long(comma + 1, 0, 99, &b) || (a > 31 && a != 99) ||
        (b > 7 && b != 99))
        BAD("csq=%s: RSSI 0-31 or 99, BER 0-7 or 99", value);
    r->rssi = (int)a;
    r->ber = (int)b;
    return 0;
}

PARSER(parse_count_bytes) /* noise=, drop= */
{
    if (!parse_long(value, 1, FAULT_NOISE_MAX, &r->n))
        BAD("%s=%s: 1 to %d bytes", key, value, FAULT_NOISE_MAX);
    return 0;
}

PARSER(parse_delay)
{
    (void)key;
    if (!parse_double(value, 0, 86400, &r->delay))
        BAD("delay=%s: seconds", value);
    return 0;
}

enum key_value { VALUE_NEEDED, VALUE_NONE, VALUE_OPTIONAL };

/* Every key of the language, once: whether it takes a value, its parser,
 * and the action it gives the rule (FA_NONE: a match, count or modifier
 * key).  A new action is a row here and one in the table of actions. */
static const struct key_desc {
    const char *key;
    enum key_value value;
    int (*parse)(struct fault_rule *r, const char *key, const char *value, char *err,
                 size_t errlen);
    enum fault_action sets;
} keys[] = {
    {"modem", VALUE_NEEDED, parse_modem, FA_NONE},
    {"service", VALUE_NEEDED, parse_name, FA_NONE},
    {"tag", VALUE_NEEDED, parse_name, FA_NONE},
    {"host", VALUE_NEEDED, parse_name, FA_NONE},
    {"port", VALUE_NEEDED, parse_port, FA_NONE},
    {"cmd", VALUE_NEEDED, parse_cmd, FA_NONE},
    {"count", VALUE_NEEDED, parse_count, FA_NONE},
    {"skip", VALUE_NEEDED, parse_skip, FA_NONE},
    {"prob", VALUE_NEEDED, parse_prob, FA_NONE},
    {"seed", VALUE_NEEDED, parse_seed, FA_NONE},
    {"dns", VALUE_NONE, parse_bare, FA_DNS},
    {"refuse", VALUE_NONE, parse_bare, FA_REFUSE},
    {"timeout", VALUE_OPTIONAL, parse_seconds, FA_TIMEOUT},
    {"tls-alert", VALUE_NEEDED, parse_alert, FA_TLS},
    {"alert", VALUE_NEEDED, parse_alert, FA_NONE},
    {"alert-after", VALUE_NEEDED, parse_bytes, FA_ALERT_AFTER},
    {"reset-after", VALUE_NEEDED, parse_bytes, FA_RESET_AFTER},
    {"close-after", VALUE_NEEDED, parse_bytes, FA_CLOSE_AFTER},
    {"after", VALUE_NEEDED, parse_bytes, FA_NONE},
    {"stall", VALUE_NEEDED, parse_stall, FA_STALL},
    {"rate", VALUE_NEEDED, parse_rate, FA_SHAPE},
    {"latency", VALUE_NEEDED, parse_latency, FA_SHAPE},
    {"dir", VALUE_NEEDED, parse_dir, FA_NONE},
    {"reply-to", VALUE_NEEDED, parse_verb, FA_NONE},
    {"reply", VALUE_NEEDED, parse_text, FA_REPLY},
    {"result", VALUE_NEEDED, parse_text, FA_RESULT},
    {"urc", VALUE_NEEDED, parse_text, FA_URC},
    {"pdp-deact", VALUE_NONE, parse_bare, FA_PDP_DEACT},
    {"closed", VALUE_NEEDED, parse_link, FA_LINK_CLOSED},
    {"under-voltage", VALUE_NONE, parse_bare, FA_UNDER_VOLTAGE},
    {"cpin-not-ready", VALUE_NONE, parse_bare, FA_CPIN_NOT_READY},
    {"csq", VALUE_NEEDED, parse_csq, FA_SIGNAL},
    {"unregister", VALUE_OPTIONAL, parse_seconds, FA_UNREGISTER},
    {"register", VALUE_NONE, parse_bare, FA_REGISTER},
    {"reboot", VALUE_NONE, parse_bare, FA_REBOOT},
    {"noise", VALUE_NEEDED, parse_count_bytes, FA_NOISE},
    {"drop", VALUE_NEEDED, parse_count_bytes, FA_DROP},
    {"delay", VALUE_NEEDED, parse_delay, FA_NONE},
};

/* One key=value; value NULL for a bare key. */
static int apply(struct fault_rule *r, const char *key, const char *value, char *err, size_t errlen)
{
    const struct key_desc *k = NULL;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !k; i++)
        if (!strcmp(keys[i].key, key))
            k = &keys[i];
    if (!k)
        BAD("unknown key '%s'", key);
    if (k->value == VALUE_NEEDED && !value)
        BAD("'%s' needs a value (%s=...)", key, key);
    if (k->value == VALUE_NONE && value)
        BAD("'%s' takes no value", key);
    if (k->parse(r, key, value, err, errlen) < 0)
        return -1;
    if (k->sets == FA_NONE || (k->sets == FA_SHAPE && r->action == FA_SHAPE))
        return 0; /* rate= and latency= make one shaping rule */
    return set_action(r, k->sets, key, err, errlen);
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
