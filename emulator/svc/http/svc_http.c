/* AT+HTTP*: the module's HTTP client (SIM800 AT Command Manual V1.09 ch. 11).  The service owns its
 * parameters, POST body and stored response; http_client.c makes the
 * request over the shared connection layer and TLS policy. */
#include <stdio.h>
#include <string.h>

#include "http.h"

#include "bearer.h"
#include "http_codes.h"
#include "modem.h"
#include "reply.h"
#include "ssl.h"

/* Its profile keys (profile.h), each default in its row. */
struct http_config {
    int action_ms; /* [timing] httpaction_ms: added before +HTTPACTION */
};

static const struct profile_key profile_keys[] = {
    PROFILE_TIMED_KEY(struct http_config, "timing", "httpaction_ms", action_ms, 0, 120000, "0", "0",
                      "1800"),
    {0},
};

static const struct profile_section profile_section = {"http", profile_keys,
                                                       sizeof(struct http_config)};

static const struct http_config *http_config(const struct modem *m)
{
    return service_config(m, &http_service);
}

/* "+CME ERROR: 3" (operation not allowed) under AT+CMEE=1/2: the table's
 * errors_are_cme turns it into that (README "Errors and resets"). */
#define NOT_ALLOWED AT_ERROR
#define HTTPDATA_MAX HTTP_STORE_MAX

static void params_default(struct http_params *p)
{
    memset(p, 0, sizeof(*p));
    p->cid = 1;
    str_copy(p->ua, sizeof(p->ua), "SIMCOM_MODULE"); /* as servers see it (manual §11.2.3) */
    p->proport = 80;
    p->timeout_s = 120;
}

static void drop_response(struct http_state *h)
{
    bytebuf_clear(&h->body);
    bytebuf_clear(&h->head);
}

static void release_cb(struct ev_loop *loop, ev_timer *t, int revents);

static void http_setup(struct modem *m)
{
    struct http_state *h = http_of(m);
    memset(h, 0, sizeof(*h));
    params_default(&h->params);
    ev_init(&h->release_timer, release_cb);
    h->release_timer.data = m;
}

/* Drops a result still held for [timing] httpaction_ms. */
static void drop_held(struct modem *m)
{
    struct http_state *h = http_of(m);
    ev_timer_stop(m->loop, &h->release_timer);
    h->releasing = false;
    bytebuf_free(&h->held_body);
    bytebuf_free(&h->held_head);
}

static void http_free(struct modem *m)
{
    struct http_state *h = http_of(m);
    http_client_cancel(h->active);
    h->active = NULL;
    drop_held(m);
    bytebuf_free(&h->postdata);
    bytebuf_free(&h->body);
    bytebuf_free(&h->head);
    h->inited = false;
}

/* --- the action --- */

static void action_done(void *ud, struct http_result *res)
{
    struct modem *m = ud;
    struct http_state *h = http_of(m);
    h->active = NULL;
    /* HEAD and every 60x report 0 bytes (manual §11.2.5). */
    int status = res->fact == HTTP_DONE ? res->status : http_code_for(res->fact, res->err);
    if (http_config(m)->action_ms > 0) {
        /* [timing]: the request and its answer take the radio network's
         * round trips; the result is the module's only after them. */
        h->held_status = status;
        h->held_body = res->body;
        h->held_head = res->head;
        h->releasing = true;
        ev_timer_set(&h->release_timer, http_config(m)->action_ms / 1000.0, 0.);
        ev_timer_start(m->loop, &h->release_timer);
        return;
    }
    bytebuf_free(&h->body);
    bytebuf_free(&h->head);
    h->body = res->body;
    h->head = res->head;
    at_urc(m, "+HTTPACTION: %d,%d,%zu", h->active_method, status, bytebuf_pending(&h->body));
}

static void release_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct modem *m = t->data;
    struct http_state *h = http_of(m);
    h->releasing = false;
    bytebuf_free(&h->body);
    bytebuf_free(&h->head);
    h->body = h->held_body;
    h->head = h->held_head;
    memset(&h->held_body, 0, sizeof(h->held_body));
    memset(&h->held_head, 0, sizeof(h->held_head));
    at_urc(m, "+HTTPACTION: %d,%d,%zu", h->active_method, h->held_status,
           bytebuf_pending(&h->body));
}

/* A bearer closed (cid 0: all): an action over it ends with 601. */
static void http_bearer_closed(struct modem *m, int cid)
{
    struct http_state *h = http_of(m);
    if ((!h->active && !h->releasing) || (cid && cid != h->params.cid))
        return;
    http_client_cancel(h->active);
    h->active = NULL;
    drop_held(m);
    drop_response(h);
    at_urc(m, "+HTTPACTION: %d,%d,0", h->active_method, http_code_for(HTTP_FAIL_NO_BEARER, NET_OK));
}

static int cmd_httpaction(struct modem *m, struct at_req *r)
{
    struct http_state *h = http_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+HTTPACTION: (0-2)");
        return AT_OK;
    }
    long method;
    if (at_arg_int(&r->args, 0, 2, &method) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    if (!h->inited || h->active || h->releasing)
        return NOT_ALLOWED;
    if (!h->params.url[0])
        return AT_ERROR;
    drop_response(h);
    h->active_method = (int)method;
    h->last_method = (int)method;
    struct tls_choice tls;
    ssl_choice_for(m, &tls);
    struct http_request req = {
        .method = (enum http_verb)method,
        .url = h->params.url,
        .tls = h->ssl != 0,
        .tls_choice = &tls,
        .user_agent = h->params.ua,
        .content_type = h->params.content,
        .userdata = h->params.userdata,
        .body = bytebuf_head(&h->postdata),
        .body_len = bytebuf_pending(&h->postdata),
        .range_start = h->params.brk,
        .range_end = h->params.brkend,
        .follow_redirects = h->params.redir != 0,
        .proxy_ip = h->params.proip,
        .proxy_port = h->params.proport,
        .timeout_s = h->params.timeout_s,
        .trace_id = m->id,
    };
    /* OK, then 601 when the bearer was never opened (manual §11.2.5). */
    if (!bearer_is_open(m, h->params.cid))
        req.no_bearer = true;
    h->active = http_client_start(&req, action_done, m);
    /* OK now, the URC later and never in the same write (as client libraries expect). */
    return AT_OK;
}

/* --- parameters --- */

static int set_string(char *dst, size_t cap, const char *value)
{
    if (strlen(value) >= cap)
        return AT_ERROR;
    str_copy(dst, cap, value);
    return AT_OK;
}

static int set_long(const char *value, long min, long max, long *out)
{
    char *end;
    if (!value[0])
        return AT_ERROR;
    long v = strtol(value, &end, 10);
    if (*end || v < min || v > max)
        return AT_ERROR;
    *out = v;
    return AT_OK;
}

/* The value of a tag: quoted, or unquoted up to the end of the line
 * (unquoted URLs with commas are real, client libraries send them). */
static int read_value(struct at_req *r, char *buf, size_t cap)
{
    const char *raw = r->raw;
    size_t i = 0;
    bool quoted = false;
    for (; i < r->raw_len; i++) {
        if (raw[i] == '"')
            quoted = !quoted;
        else if (raw[i] == ',' && !quoted)
            break;
    }
    if (i >= r->raw_len)
        return -1;
    const char *v = raw + i + 1;
    size_t n = r->raw_len - i - 1;
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v++;
        n -= 2;
        if (memchr(v, '"', n))
            return -1;
    } else if (memchr(v, '"', n)) {
        return -1;
    }
    if (n >= cap)
        return -1;
    memcpy(buf, v, n);
    buf[n] = '\0';
    return 0;
}

static int cmd_httppara(struct modem *m, struct at_req *r)
{
    struct http_state *h = http_of(m);
    struct http_params *p = &h->params;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+HTTPPARA: \"HTTPParamTag\",\"HTTPParmValue\""); /* sic (manual §11.2.3) */
        return AT_OK;
    }
    if (!h->inited)
        return NOT_ALLOWED;
    if (r->form == AT_FORM_READ) {
        at_info(m,
                "+HTTPPARA: \r\nCID: %d\r\nURL: %s\r\nUA: %s\r\nPROIP: %s\r\nPROPORT: %d\r\n"
                "REDIR: %d\r\nBREAK: %ld\r\nBREAKEND: %ld\r\nTIMEOUT: %d\r\nCONTENT: %s\r\n"
                "USERDATA: %s",
                p->cid, p->url, p->ua, p->proip, p->proport, p->redir, p->brk, p->brkend,
                p->timeout_s, p->content, p->userdata);
        return AT_OK;
    }
    if (h->active || h->releasing)
        return NOT_ALLOWED;
    char tag[16];
    if (at_arg_str(&r->args, tag, sizeof(tag), NULL) != AT_ARG_OK)
        return AT_ERROR;
    char value[HTTP_URL_MAX + 2];
    if (read_value(r, value, sizeof(value)) < 0)
        return AT_ERROR;
    long v;
    if (ascii_ieq(tag, "URL"))
        return set_string(p->url, sizeof(p->url), value);
    if (ascii_ieq(tag, "UA"))
        return set_string(p->ua, sizeof(p->ua), value);
    if (ascii_ieq(tag, "CONTENT"))
        return set_string(p->content, sizeof(p->content), value);
    if (ascii_ieq(tag, "USERDATA"))
        return set_string(p->userdata, sizeof(p->userdata), value);
    if (ascii_ieq(tag, "PROIP"))
        return set_string(p->proip, sizeof(p->proip), value);
    if (ascii_ieq(tag, "CID")) {
        if (set_long(value, 1, 3, &v) != AT_OK)
            return AT_ERROR;
        p->cid = (int)v;
        return AT_OK;
    }
    if (ascii_ieq(tag, "PROPORT")) {
        if (set_long(value, 1, 65535, &v) != AT_OK)
            return AT_ERROR;
        p->proport = (int)v;
        return AT_OK;
    }
    if (ascii_ieq(tag, "REDIR")) {
        if (set_long(value, 0, 1, &v) != AT_OK)
            return AT_ERROR;
        p->redir = (int)v;
        return AT_OK;
    }
    if (ascii_ieq(tag, "TIMEOUT")) {
        if (set_long(value, 30, 1000, &v) != AT_OK)
            return AT_ERROR;
        p->timeout_s = (int)v;
        return AT_OK;
    }
    if (ascii_ieq(tag, "BREAK"))
        return set_long(value, 0, 0x7fffffff, &p->brk);
    if (ascii_ieq(tag, "BREAKEND"))
        return set_long(value, 0, 0x7fffffff, &p->brkend);
    return AT_ERROR;
}

/* --- AT+HTTPDATA --- */

static int httpdata_cb(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data,
                       size_t len)
{
    (void)ud;
    (void)end; /* a timeout keeps what arrived (manual §11.2.4; our choice) */
    struct http_state *h = http_of(m);
    bytebuf_clear(&h->postdata);
    bytebuf_append(&h->postdata, data, len);
    h->have_postdata = true;
    return AT_OK;
}

static int cmd_httpdata(struct modem *m, struct at_req *r)
{
    struct http_state *h = http_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+HTTPDATA: (1-%d),(1000-120000)", HTTPDATA_MAX);
        return AT_OK;
    }
    long size, time_ms;
    if (at_arg_int(&r->args, 0, HTTPDATA_MAX, &size) != AT_ARG_OK ||
        at_arg_int(&r->args, 1000, 120000, &time_ms) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    if (!h->inited || h->active || h->releasing)
        return NOT_ALLOWED;
    if (size == 0) {
        bytebuf_clear(&h->postdata);
        h->have_postdata = false;
        return AT_OK;
    }
    struct at_data_req req = {
        .prompt = "\r\nDOWNLOAD\r\n",
        .fixed_len = (size_t)size,
        .timeout_ms = (unsigned)time_ms,
        .cb = httpdata_cb,
    };
    at_begin_data(m, &req);
    return AT_PENDING;
}

/* --- reading the response --- */

static int cmd_httpread(struct modem *m, struct at_req *r)
{
    struct http_state *h = http_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+HTTPREAD: (0-%d),(1-%d)", HTTP_STORE_MAX, HTTP_STORE_MAX);
        return AT_OK;
    }
    if (!h->inited)
        return NOT_ALLOWED;
    long start = 0, size = HTTP_STORE_MAX;
    if (r->form == AT_FORM_WRITE &&
        (at_arg_int(&r->args, 0, HTTP_STORE_MAX, &start) != AT_ARG_OK ||
         at_arg_int(&r->args, 1, HTTP_STORE_MAX, &size) != AT_ARG_OK || !at_args_done(&r->args)))
        return AT_ERROR;
    /* Before any action the HTTPDATA body is what there is (manual §11.2.4, §11.2.6). */
    const struct bytebuf *src = &h->body;
    if (h->last_method < 0 && h->have_postdata)
        src = &h->postdata;
    size_t total = bytebuf_pending(src);
    /* Nothing stored, past the end, or an action running: a bare OK. */
    if (h->active || total == 0 || (size_t)start >= total)
        return AT_OK;
    size_t n = total - (size_t)start;
    if ((size_t)size < n)
        n = (size_t)size;
    char header[32];
    snprintf(header, sizeof(header), "+HTTPREAD: %zu", n);
    at_info_data(m, header, bytebuf_head(src) + start, n);
    /* No blank line between the data and OK: OK's own \r\n (manual §11.2.6). */
    return AT_OK;
}

static int cmd_httphead(struct modem *m, struct at_req *r)
{
    struct http_state *h = http_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (!h->inited)
        return NOT_ALLOWED;
    size_t n = h->active ? 0 : bytebuf_pending(&h->head);
    char header[32];
    snprintf(header, sizeof(header), "+HTTPHEAD: %zu", n);
    at_info_data(m, header, bytebuf_head(&h->head), n);
    return AT_OK;
}

static int cmd_httpstatus(struct modem *m, struct at_req *r)
{
    static const char *const names[] = {"GET", "POST", "HEAD"};
    struct http_state *h = http_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (!h->inited)
        return NOT_ALLOWED;
    if (h->releasing) { /* received, reported after [timing] httpaction_ms */
        at_info(m, "+HTTPSTATUS: %s,1,%zu,0", names[h->active_method],
                bytebuf_pending(&h->held_body));
        return AT_OK;
    }
    if (!h->active) {
        at_info(m, "+HTTPSTATUS: %s,0,0,0", names[h->last_method < 0 ? 0 : h->last_method]);
        return AT_OK;
    }
    size_t got, left;
    http_client_progress(h->active, &got, &left);
    at_info(m, "+HTTPSTATUS: %s,1,%zu,%zu", names[h->active_method], got, left);
    return AT_OK;
}

/* --- init, term, context, SSL --- */

static int cmd_httpinit(struct modem *m, struct at_req *r)
{
    struct http_state *h = http_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (h->inited)
        return NOT_ALLOWED; /* why drivers send AT+HTTPTERM first (manual §11.2.1) */
    h->inited = true;
    if (h->saved_valid)
        h->params = h->saved;
    else
        params_default(&h->params);
    h->ssl = 0;
    h->last_method = -1;
    bytebuf_clear(&h->postdata);
    h->have_postdata = false;
    drop_response(h);
    return AT_OK;
}

static int cmd_httpterm(struct modem *m, struct at_req *r)
{
    struct http_state *h = http_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (!h->inited)
        return NOT_ALLOWED;
    /* An action in flight is dropped without its URC (manual §11.2.2; the URC is our choice). */
    http_client_cancel(h->active);
    h->active = NULL;
    drop_held(m);
    h->inited = false;
    bytebuf_clear(&h->postdata);
    h->have_postdata = false;
    drop_response(h);
    return AT_OK;
}

/* Field by field: a struct's padding, and the bytes after a string's NUL
 * that a longer earlier value left, say nothing about the parameters. */
static bool params_equal(const struct http_params *a, const struct http_params *b)
{
    return a->cid == b->cid && strcmp(a->url, b->url) == 0 && strcmp(a->ua, b->ua) == 0 &&
           strcmp(a->proip, b->proip) == 0 && a->proport == b->proport && a->redir == b->redir &&
           a->brk == b->brk && a->brkend == b->brkend && a->timeout_s == b->timeout_s &&
           strcmp(a->content, b->content) == 0 && strcmp(a->userdata, b->userdata) == 0;
}

static int cmd_httpscont(struct modem *m, struct at_req *r)
{
    struct http_state *h = http_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (!h->inited)
        return NOT_ALLOWED;
    const struct http_params *p = &h->params;
    if (r->form == AT_FORM_READ) {
        bool same = h->saved_valid && params_equal(&h->saved, p);
        at_info(m,
                "+HTTPSCONT: %d\r\nCID: %d\r\nURL: %s\r\nUA: %s\r\nPROIP: %s\r\nPROPORT: %d\r\n"
                "REDIR: %d\r\nBREAK: %ld\r\nBREAKEND: %ld\r\nUSERDATA: %s",
                same ? 0 : 1, p->cid, p->url, p->ua, p->proip, p->proport, p->redir, p->brk,
                p->brkend, p->userdata);
        return AT_OK;
    }
    h->saved = *p;
    h->saved_valid = true;
    return AT_OK;
}

static int cmd_httpssl(struct modem *m, struct at_req *r)
{
    struct http_state *h = http_of(m);
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "+HTTPSSL: (0-1)");
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "+HTTPSSL: %d", h->ssl);
        return AT_OK;
    default: {
        long v;
        if (at_arg_int(&r->args, 0, 1, &v) != AT_ARG_OK || !at_args_done(&r->args))
            return AT_ERROR;
        h->ssl = (int)v;
        return AT_OK;
    }
    }
}

static const struct at_cmd rows[] = {
    {"+HTTPINIT", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_httpinit, NULL},
    {"+HTTPTERM", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_httpterm, NULL},
    {"+HTTPPARA", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, 0, cmd_httppara, NULL},
    {"+HTTPDATA", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_httpdata, NULL},
    {"+HTTPACTION", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_httpaction, NULL},
    {"+HTTPREAD", AT_FORM_TEST | AT_FORM_EXEC | AT_FORM_WRITE, 0, cmd_httpread, NULL},
    {"+HTTPHEAD", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_httphead, NULL},
    {"+HTTPSTATUS", AT_FORM_TEST | AT_FORM_READ, 0, cmd_httpstatus, NULL},
    {"+HTTPSCONT", AT_FORM_TEST | AT_FORM_READ | AT_FORM_EXEC, 0, cmd_httpscont, NULL},
    {"+HTTPSSL", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, PROFILE_FEAT_SSL, cmd_httpssl, NULL},
};

static const struct at_cmd_table cmd_http_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};

/* --- the service --- */

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    http_setup(m);
    return 0;
}

static void service_reset(struct modem *m, void *state, enum service_reset why) { http_free(m); }

static void service_event(struct modem *m, void *state, enum modem_event ev, int arg)
{
    if (ev == MODEM_EV_BEARER_CLOSED)
        http_bearer_closed(m, arg);
}

static const struct at_cmd_table *const tables[] = {&cmd_http_table, NULL};

static const struct service_conn conns[] = {{.tag = "http"}, {.tag = NULL}};

const struct service http_service = {
    .name = "http",
    .conns = conns,
    .tables = tables,
    .state_size = sizeof(struct http_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
    .profile = &profile_section,
};
