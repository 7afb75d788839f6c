/* AT+CUSD and the emulated network's USSD answers (ussd.h).
 *
 * The module sends a request and answers OK at once; the network's answer
 * comes later as "+CUSD: <m>,"<str>",<dcs>" (SIM800 AT Command Manual V1.09
 * §3.2.53, §19.3): m 0 no further action, 1 the network waits for a reply
 * (a menu), 2 the session ended; "+CUSD: 4" for a request the network does
 * not support (the manual's note).  <str> follows AT+CSCS as TinyGSM's
 * sendUSSD reads it: with "HEX" the GSM characters as hex and <dcs> 15; an
 * answer the GSM alphabet cannot carry goes as UCS2 hex with <dcs> 72. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ussd.h"

#include "modem.h"
#include "reply.h"
#include "sms.h"
#include "trace.h"

/* Its profile keys (profile.h), each default in its row. */
struct ussd_config {
    char answers[1024]; /* [ussd] answers: "code=text|code?=text|code>reply=text" */
    int answer_ms;      /* [timing] ussd_ms: the network's +CUSD answer comes after this */
};

static const struct profile_key profile_keys[] = {
    PROFILE_STR_KEY(struct ussd_config, "ussd", "answers", answers,
                    "*100#=Balance: 25.40 CNY|*111#=Balance: 25.40 CNY|*161#=Your number is "
                    "{number}|*200#?=1 Balance 2 Tariff|*200#>1=Balance: 25.40 CNY|*200#>2=Tariff: "
                    "Basic"),
    PROFILE_TIMED_KEY(struct ussd_config, "timing", "ussd_ms", answer_ms, 0, 60000, "0", "0",
                      "2000"),
    {0},
};

static const struct profile_section profile_section = {"ussd", profile_keys,
                                                       sizeof(struct ussd_config)};

static const struct ussd_config *ussd_config(const struct modem *m)
{
    return service_config(m, &ussd_service);
}

static struct ussd_state *ussd_of(const struct modem *m) { return modem_state(m, &ussd_service); }

#define DCS_GSM 15 /* GSM 7-bit, language unspecified (TS 23.038 §5) */
#define DCS_UCS2 72

/* --- answers: the control socket's first, then the profile's --- */

/* Looks key up in the profile's "key=text|key?=text|..." list. */
static bool profile_answer(const struct modem *m, const char *key, struct ussd_answer *a)
{
    const char *p = ussd_config(m)->answers;
    size_t klen = strlen(key);
    while (*p) {
        const char *end = strchr(p, '|');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq) {
            size_t kl = (size_t)(eq - p);
            bool more = kl > 0 && p[kl - 1] == '?';
            if (more)
                kl--;
            if (kl == klen && memcmp(p, key, klen) == 0) {
                size_t tl = len - (size_t)(eq + 1 - p);
                if (tl >= sizeof(a->text))
                    tl = sizeof(a->text) - 1;
                str_copy(a->key, sizeof(a->key), key);
                memcpy(a->text, eq + 1, tl);
                a->text[tl] = '\0';
                a->more = more;
                return true;
            }
        }
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

static bool find_answer(const struct modem *m, const char *key, struct ussd_answer *a)
{
    const struct ussd_state *u = ussd_of(m);
    for (int i = 0; i < u->nanswers; i++) {
        if (strcmp(u->answers[i].key, key) == 0) {
            *a = u->answers[i];
            return true;
        }
    }
    return profile_answer(m, key, a);
}

/* "{number}" in an answer is the SIM's own number ("unknown" without one). */
static void expand(const struct modem *m, const char *text, char *out, size_t cap)
{
    const char *at = strstr(text, "{number}");
    if (!at) {
        str_copy(out, cap, text);
        return;
    }
    snprintf(out, cap, "%.*s%s%s", (int)(at - text), text,
             m->ident.number[0] ? m->ident.number : "unknown", at + 8);
}

/* --- the +CUSD result --- */

static void result_line(struct modem *m, int mode, const char *utf8, struct bytebuf *out)
{
    char head[32];
    snprintf(head, sizeof(head), "+CUSD: %d,\"", mode);
    bytebuf_append_str(out, head);
    uint32_t cps[200];
    size_t n = sms_utf8_decode(utf8, strlen(utf8), cps, 200);
    bool gsm = true;
    for (size_t i = 0; i < n && gsm; i++) {
        uint8_t s[2];
        gsm = sms_gsm7_encode(cps[i], s) > 0;
    }
    enum sms_charset cs = (enum sms_charset)sms_of(m)->active.cscs;
    sms_te_encode(gsm ? cs : CS_UCS2, cps, n, out);
    snprintf(head, sizeof(head), "\",%d", gsm ? DCS_GSM : DCS_UCS2);
    bytebuf_append_str(out, head);
}

static void show(struct modem *m, const char *line)
{
    if (ussd_of(m)->n == 1)
        at_urc(m, "%s", line);
}

static void answer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct modem *m = t->data;
    show(m, ussd_of(m)->pending);
}

/* The network's answer: now, or [timing] ussd_ms later. */
static void answer_later(struct modem *m, const char *line)
{
    struct ussd_state *u = ussd_of(m);
    ev_timer_stop(m->loop, &u->timer);
    if (ussd_config(m)->answer_ms <= 0) {
        show(m, line);
        return;
    }
    str_copy(u->pending, sizeof(u->pending), line);
    ev_timer_init(&u->timer, answer_cb, ussd_config(m)->answer_ms / 1000.0, 0.);
    u->timer.data = m;
    ev_timer_start(m->loop, &u->timer);
}

static void request(struct modem *m, const char *code)
{
    struct ussd_state *u = ussd_of(m);
    str_copy(u->log[u->nlog++ % USSD_LOG_MAX], sizeof(u->log[0]), code);
    char key[40];
    if (u->session)
        snprintf(key, sizeof(key), "%.19s>%.19s", u->path, code);
    else
        str_copy(key, sizeof(key), code);
    struct ussd_answer a;
    if (!find_answer(m, key, &a)) {
        trace_note(m->id, "ussd", "request %s: not supported (+CUSD: 4)", key);
        u->session = false;
        answer_later(m, "+CUSD: 4");
        return;
    }
    char text[400];
    expand(m, a.text, text, sizeof(text));
    trace_note(m->id, "ussd", "request %s: %s%s", key, text, a.more ? " (waits for a reply)" : "");
    u->session = a.more;
    str_copy(u->path, sizeof(u->path), key);
    struct bytebuf line = {0};
    result_line(m, a.more ? 1 : 0, text, &line);
    bytebuf_append(&line, "", 1);
    answer_later(m, (const char *)line.data);
    bytebuf_free(&line);
}

/* The code as the host typed it: plain ("*100#", as TinyGSM sends it even
 * under AT+CSCS="HEX"), or in the TE set when it decodes to one. */
static void code_of(const struct modem *m, const char *raw, char *out, size_t cap)
{
    enum sms_charset cs = (enum sms_charset)sms_of(m)->active.cscs;
    uint32_t cps[64];
    size_t n;
    str_copy(out, cap, raw);
    if ((cs != CS_HEX && cs != CS_UCS2) ||
        sms_te_decode(cs, (const uint8_t *)raw, strlen(raw), cps, 64, &n) < 0)
        return;
    struct bytebuf b = {0};
    sms_utf8_encode(cps, n, &b);
    bytebuf_append(&b, "", 1);
    const char *s = (const char *)b.data;
    if (n > 0 && strspn(s, "0123456789*#+") == strlen(s))
        str_copy(out, cap, s);
    bytebuf_free(&b);
}

static int cmd_cusd(struct modem *m, struct at_req *r)
{
    struct ussd_state *u = ussd_of(m);
    long n, dcs;
    char raw[200];
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "+CUSD: (0-2)");
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "+CUSD: %d", u->n);
        return AT_OK;
    default:
        break;
    }
    if (at_arg_int(&r->args, 0, 2, &n) != AT_ARG_OK)
        return AT_ERROR;
    enum at_arg_status st = at_arg_str(&r->args, raw, sizeof(raw), NULL);
    if (st == AT_ARG_BAD || at_arg_int(&r->args, 0, 255, &dcs) == AT_ARG_BAD ||
        !at_args_done(&r->args))
        return AT_ERROR;
    if (n == 2) { /* cancel: the session ends, nothing is shown */
        u->session = false;
        ev_timer_stop(m->loop, &u->timer);
        return AT_OK;
    }
    u->n = (int)n;
    if (st != AT_ARG_OK)
        return AT_OK;
    /* A request goes to the network: the module must be on it (+CME ERROR:
     * 30, no network service; UNCERTAIN which code a module gives). */
    if (!m->general.registered)
        return AT_CME(30);
    char code[64];
    code_of(m, raw, code, sizeof(code));
    request(m, code);
    return AT_OK;
}

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CUSD", RW, 0, cmd_cusd, NULL},
};
static const struct at_cmd_table table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};
static const struct at_cmd_table *const tables[] = {&table, NULL};

/* --- the control socket: "ussd MODEM answer|push|log|clear ..." --- */

/* more=0 or 1 (absent: 0); -1 for anything else. */
static int more_of(const char *args)
{
    char v[8];
    if (!service_arg(args, "more", v, sizeof(v)))
        return 0;
    return strcmp(v, "1") == 0 ? 1 : strcmp(v, "0") == 0 ? 0 : -1;
}

static void verb_ussd(struct modem *m, void *state, const char *args, struct bytebuf *reply)
{
    struct ussd_state *u = state;
    static const char *const answer_keys[] = {"code", "text", "more", NULL};
    static const char *const push_keys[] = {"text", "more", NULL};
    char code[40], text[400], line[480], bad[40];
    bool answer = strncmp(args, "answer ", 7) == 0, push = strncmp(args, "push ", 5) == 0;
    if ((answer || push) &&
        (!service_args_known(args + (answer ? 7 : 5), answer ? answer_keys : push_keys, bad,
                             sizeof(bad)) ||
         more_of(args) < 0)) {
        snprintf(line, sizeof(line), "error %s: not a key of %s (%s)",
                 more_of(args) < 0 ? "more=" : bad, answer ? "answer" : "push",
                 answer ? "code= text= [more=0|1]" : "text= [more=0|1]");
        bytebuf_append_str(reply, line);
        return;
    }
    if (answer) {
        if (!service_arg(args, "code", code, sizeof(code)) ||
            !service_arg(args, "text", text, sizeof(text))) {
            bytebuf_append_str(reply, "error answer takes code= and text= [more=1]");
            return;
        }
        bool waits = more_of(args) == 1;
        int i = 0;
        while (i < u->nanswers && strcmp(u->answers[i].key, code) != 0)
            i++;
        if (i == USSD_ANSWERS_MAX) {
            bytebuf_append_str(reply, "error 16 answers at most (ussd MODEM clear)");
            return;
        }
        if (i == u->nanswers)
            u->nanswers++;
        str_copy(u->answers[i].key, sizeof(u->answers[i].key), code);
        str_copy(u->answers[i].text, sizeof(u->answers[i].text), text);
        u->answers[i].more = waits;
        bytebuf_append_str(reply, "ok");
    } else if (push) {
        if (!service_arg(args, "text", text, sizeof(text))) {
            bytebuf_append_str(reply, "error push takes text= [more=1]");
            return;
        }
        bool waits = more_of(args) == 1;
        struct bytebuf b = {0};
        result_line(m, waits ? 1 : 0, text, &b);
        bytebuf_append(&b, "", 1);
        u->session = waits;
        str_copy(u->path, sizeof(u->path), "push");
        show(m, (const char *)b.data);
        bytebuf_free(&b);
        bytebuf_append_str(reply, u->n == 1 ? "ok shown" : "ok (AT+CUSD=1 is off: not shown)");
    } else if (strcmp(args, "log") == 0) {
        service_log_json(reply, u->log[0], sizeof(u->log[0]), u->nlog, USSD_LOG_MAX);
    } else if (strcmp(args, "clear") == 0) {
        u->nanswers = 0;
        u->nlog = 0;
        bytebuf_append_str(reply, "ok");
    } else {
        snprintf(line, sizeof(line),
                 "error ussd MODEM takes answer code=CODE text=\"...\" [more=1], push "
                 "text=\"...\" [more=1], log or clear");
        bytebuf_append_str(reply, line);
    }
}

static const struct service_verb verbs[] = {
    {.name = "ussd",
     .usage = "ussd MODEM answer code=*100# text=\"...\" [more=1] | push text=\"...\" [more=1] | "
              "log | clear",
     .run = verb_ussd},
    {.name = NULL},
};

/* --- the service --- */

/* The profile's answers are read at each request; an entry that is not
 * code=text would never answer: refused when the modem is made. */
static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    (void)state;
    const char *p = ussd_config(m)->answers;
    while (*p) {
        size_t len = strcspn(p, "|");
        const char *eq = memchr(p, '=', len);
        if (!eq || eq == p || (eq == p + 1 && *p == '?')) {
            snprintf(err, errlen, "[ussd] answers: '%.*s' is not code=text (or code?=text)",
                     (int)(len > 40 ? 40 : len), p);
            return -1;
        }
        p += len + (p[len] == '|');
    }
    return 0;
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    (void)why;
    struct ussd_state *u = state;
    ev_timer_stop(m->loop, &u->timer);
    u->n = 0; /* NO_SAVE */
    u->session = false;
}

const struct service ussd_service = {
    .name = "ussd",
    .tables = tables,
    .state_size = sizeof(struct ussd_state),
    .init = service_init,
    .reset = service_reset,
    .verbs = verbs,
    .profile = &profile_section,
};
