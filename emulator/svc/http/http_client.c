#include "http_client.h"

#include <ev.h>
#include <http_parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "http_url.h"
#include "reaper.h"
#include "trace.h"

#define HTTP_REDIRECTS_MAX 5 /* our choice; REDIR: SIM800 AT Command Manual V1.09 §11.2.3 */

struct http_client {
    struct http_request req; /* strings point into owned copies below */
    char *url_copy, *ua_copy, *content_copy, *userdata_copy, *proxy_copy;
    uint8_t *body_copy;
    struct tls_choice tls;
    bool dead; /* ended: the memory goes at the loop's next turn (reaper.h) */

    struct http_url url;   /* the current hop */
    enum http_verb method; /* may turn into GET on a redirect */
    bool use_tls;
    int hops;

    struct conn *conn;
    http_parser parser;
    http_parser_settings settings;
    bool headers_done, complete, head_request;
    char field[16]; /* the header name being parsed (enough for "Location") */
    size_t field_len;
    bool last_was_value; /* a new name starts after a value */
    bool in_location;    /* the value being parsed is Location's */
    char location[HTTP_URL_MAX + 1];
    size_t location_len;
    struct http_result res;

    ev_timer deadline;
    ev_timer kick;          /* delivers results decided before start returns */
    enum http_fact pending; /* a failure decided (HTTP_DONE: none), to report from the loop */
    enum net_err pending_err;
    http_done_fn done;
    void *ud;
};

static struct ev_loop *L(void) { return net_loop(); } /* the connections' loop */

static void finish(struct http_client *c, enum http_fact fact, enum net_err err, int status);
static void fail(struct http_client *c, enum http_fact fact) { finish(c, fact, NET_OK, 0); }
static void start_hop(struct http_client *c);

/* --- response parsing (http-parser callbacks) --- */

/* Names and values may arrive in pieces across reads. */
static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct http_client *c = p->data;
    if (c->last_was_value || c->field_len == 0) {
        c->field_len = 0;
        c->last_was_value = false;
    }
    for (size_t i = 0; i < len && c->field_len < sizeof(c->field) - 1; i++)
        c->field[c->field_len++] = at[i];
    c->field[c->field_len] = '\0';
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct http_client *c = p->data;
    if (!c->last_was_value) {
        c->last_was_value = true;
        c->in_location = ascii_ieq(c->field, "Location");
        if (c->in_location)
            c->location_len = 0;
    }
    if (!c->in_location)
        return 0;
    size_t room = sizeof(c->location) - 1 - c->location_len;
    size_t n = len < room ? len : room;
    memcpy(c->location + c->location_len, at, n);
    c->location_len += n;
    c->location[c->location_len] = '\0';
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct http_client *c = p->data;
    c->headers_done = true;
    c->in_location = false;
    /* A HEAD answer has no body whatever its Content-Length says. */
    return c->head_request ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct http_client *c = p->data;
    if (bytebuf_pending(&c->res.body) + len > HTTP_STORE_MAX) {
        c->pending = HTTP_FAIL_TOO_BIG;
        return -1; /* stops the parser: the store is full (manual §11.2.5; our choice where the
                      manual is silent) */
    }
    bytebuf_append(&c->res.body, at, len);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct http_client *c = p->data;
    c->complete = true;
    return -1; /* nothing after the response is ours */
}

/* The header block as received, for AT+HTTPHEAD: everything up to the
 * blank line. */
static void keep_head(struct http_client *c, const char *data, size_t n)
{
    if (c->headers_done)
        return;
    bytebuf_append(&c->res.head, data, n);
}

static void trim_head(struct http_client *c)
{
    const uint8_t *h = bytebuf_head(&c->res.head);
    size_t n = bytebuf_pending(&c->res.head);
    for (size_t i = 0; i + 3 < n; i++) {
        if (memcmp(h + i, "\r\n\r\n", 4) == 0) {
            c->res.head.len = c->res.head.off + i + 4;
            return;
        }
    }
}

static bool is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* The URL the current hop really fetched: a URL without a scheme under
 * HTTPSSL=1 ("www.gmail.com", the SSL note's example) was https on 443, so
 * a relative Location must stay https on 443, not fall back to http:80. */
static struct http_url effective_url(const struct http_client *c)
{
    struct http_url u = c->url;
    u.scheme = c->use_tls ? HTTP_SCHEME_HTTPS : HTTP_SCHEME_HTTP;
    if (!u.port)
        u.port = c->use_tls ? 443 : 80;
    return u;
}

/* The next hop of a redirect.  AT+HTTPSSL, not the scheme, decides TLS on
 * every hop, as it does for the first request (an http:// URL under
 * HTTPSSL=1 still goes over TLS; an https:// one under HTTPSSL=0 is 603):
 * an absolute http:// Location under HTTPSSL=1 is fetched over TLS, on its
 * own port or 443.  A relative Location keeps the host, port and TLS the
 * current hop used; "//host/path" keeps TLS and takes the host's default
 * port for it.  Returns 0, -1 for a Location that names no URL (the 30x is
 * reported as is), or 1 when the redirect ends the action (HTTP_FAIL_SCHEME). */
static int next_hop(const struct http_client *c, struct http_url *next)
{
    struct http_url base = effective_url(c);
    if (http_url_resolve(&base, c->location, next) < 0)
        return -1;
    if (next->scheme == HTTP_SCHEME_HTTPS && !c->req.tls)
        return 1;
    return 0;
}

static void response_complete(struct http_client *c)
{
    int status = (int)c->parser.status_code;
    trim_head(c);
    if (c->req.follow_redirects && is_redirect(status) && c->location[0] &&
        c->hops < HTTP_REDIRECTS_MAX) {
        struct http_url next;
        int failed = next_hop(c, &next);
        if (failed > 0) {
            trace_note(c->req.trace_id, "http", "redirect to an https URL under HTTPSSL=0");
            fail(c, HTTP_FAIL_SCHEME);
            return;
        }
        if (failed == 0) {
            conn_free(c->conn, false);
            c->conn = NULL;
            c->url = next;
            if (status == 303 || ((status == 301 || status == 302) && c->method == HTTP_VERB_POST))
                c->method = HTTP_VERB_GET;
            c->hops++;
            start_hop(c);
            return;
        }
    }
    finish(c, HTTP_DONE, NET_OK, status);
}

/* --- the connection --- */

static void append_userdata(struct bytebuf *out, const char *ud)
{
    /* The two characters '\' 'r' '\' 'n' separate header lines (manual §11.2.3). */
    const char *p = ud;
    while (*p) {
        const char *sep = strstr(p, "\\r\\n");
        size_t n = sep ? (size_t)(sep - p) : strlen(p);
        if (n > 0) {
            bytebuf_append(out, p, n);
            bytebuf_append_str(out, "\r\n");
        }
        if (!sep)
            break;
        p = sep + 4;
    }
}

static void send_request(struct http_client *c)
{
    static const char *const names[] = {"GET", "POST", "HEAD"};
    struct bytebuf out = {0};
    char line[HTTP_URL_MAX + 400];
    int default_port = c->use_tls ? 443 : 80;
    char hostport[300];
    if (c->url.port && c->url.port != default_port)
        snprintf(hostport, sizeof(hostport), "%s:%d", c->url.host, c->url.port);
    else
        snprintf(hostport, sizeof(hostport), "%s", c->url.host);
    if (c->req.proxy_ip[0])
        snprintf(line, sizeof(line), "%s %s://%s%s HTTP/1.1\r\n", names[c->method],
                 c->use_tls ? "https" : "http", hostport, c->url.path);
    else
        snprintf(line, sizeof(line), "%s %s HTTP/1.1\r\n", names[c->method], c->url.path);
    bytebuf_append_str(&out, line);
    snprintf(line, sizeof(line),
             "Host: %s\r\nUser-Agent: %s\r\nAccept: */*\r\nConnection: Keep-Alive\r\n", hostport,
             c->req.user_agent);
    bytebuf_append_str(&out, line);
    if (c->method == HTTP_VERB_POST) {
        if (c->req.content_type[0]) {
            snprintf(line, sizeof(line), "Content-Type: %s\r\n", c->req.content_type);
            bytebuf_append_str(&out, line);
        }
        snprintf(line, sizeof(line), "Content-Length: %zu\r\n", c->req.body_len);
        bytebuf_append_str(&out, line);
    }
    append_userdata(&out, c->req.userdata);
    if (c->method == HTTP_VERB_GET && (c->req.range_start || c->req.range_end)) {
        /* BREAKEND below BREAK means "to the end of the file" (manual §11.2.3). */
        if (c->req.range_end > c->req.range_start)
            snprintf(line, sizeof(line), "Range: bytes=%ld-%ld\r\n", c->req.range_start,
                     c->req.range_end);
        else
            snprintf(line, sizeof(line), "Range: bytes=%ld-\r\n", c->req.range_start);
        bytebuf_append_str(&out, line);
    }
    bytebuf_append_str(&out, "\r\n");
    if (c->method == HTTP_VERB_POST && c->req.body_len)
        bytebuf_append(&out, c->req.body, c->req.body_len);
    conn_write(c->conn, bytebuf_head(&out), bytebuf_pending(&out));
    bytebuf_free(&out);
}

static void on_connected(struct conn *conn, void *ud)
{
    (void)conn;
    send_request(ud);
}

static void on_readable(struct conn *conn, void *ud)
{
    struct http_client *c = ud;
    char buf[16384];
    for (;;) {
        ssize_t n = conn_read(conn, buf, sizeof(buf));
        if (n == 0)
            return;
        if (n < 0) {
            enum net_err err = conn_error(conn);
            /* The end of a close-delimited body is the end of the stream. */
            if (err == NET_ECLOSED && c->headers_done)
                http_parser_execute(&c->parser, &c->settings, NULL, 0);
            if (c->complete) {
                response_complete(c);
                return;
            }
            if (c->pending) {
                fail(c, c->pending);
                return;
            }
            if (err != NET_ETLS_ALERT && !c->headers_done && bytebuf_pending(&c->res.head) > 0 &&
                HTTP_PARSER_ERRNO(&c->parser) != HPE_OK)
                fail(c, HTTP_FAIL_NOT_HTTP);
            else
                finish(c, HTTP_FAIL_NET, err, 0); /* dropped before a full response */
            return;
        }
        keep_head(c, buf, (size_t)n);
        size_t used = http_parser_execute(&c->parser, &c->settings, buf, (size_t)n);
        if (c->complete) {
            response_complete(c);
            return;
        }
        if (c->pending) {
            fail(c, c->pending);
            return;
        }
        if (used != (size_t)n || HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
            /* Not an HTTP response at all: 600 (manual §11.2.5). */
            fail(c, HTTP_FAIL_NOT_HTTP);
            return;
        }
    }
}

static void on_failed(struct conn *conn, void *ud, enum net_err err)
{
    (void)conn;
    struct http_client *c = ud;
    finish(c, HTTP_FAIL_NET, err, 0);
}

static const struct conn_handlers handlers = {
    .connected = on_connected,
    .readable = on_readable,
    .sent = NULL,
    .failed = on_failed,
};

static void start_hop(struct http_client *c)
{
    bytebuf_clear(&c->res.body);
    bytebuf_clear(&c->res.head);
    c->headers_done = c->complete = false;
    c->location[0] = '\0';
    c->location_len = 0;
    c->field_len = 0;
    c->last_was_value = false;
    c->in_location = false;
    c->head_request = c->method == HTTP_VERB_HEAD;
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    int port = c->url.port ? c->url.port : (c->use_tls ? 443 : 80);
    const char *host = c->url.host;
    if (c->req.proxy_ip[0]) {
        host = c->req.proxy_ip;
        port = c->req.proxy_port;
    }
    struct tls_choice tls;
    tls_choice_copy(&tls, &c->tls);
    struct conn_params p = {
        .kind = CONN_TCP,
        .host = host,
        .port = port,
        .tls = c->use_tls,
        .tls_choice = &tls,
        .timeout_s = c->req.timeout_s,
        .trace_id = c->req.trace_id,
        .tag = "http",
    };
    trace_note(c->req.trace_id, "http", "%s %s%s:%d%s",
               c->method == HTTP_VERB_POST   ? "POST"
               : c->method == HTTP_VERB_HEAD ? "HEAD"
                                             : "GET",
               c->use_tls ? "https://" : "http://", c->url.host, port, c->url.path);
    c->conn = conn_open(&p, &handlers, c);
    tls_choice_clear(&tls);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    fail(w->data, HTTP_FAIL_TIMEOUT); /* TIMEOUT bounds the whole action (manual §11.2.3; the bound
                                         is our choice) */
}

static void kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct http_client *c = w->data;
    fail(c, c->pending);
}

static char *dup_or_empty(const char *s) { return xstrdup(s ? s : ""); }

static void client_free(struct http_client *c)
{
    if (c->dead)
        return; /* ended already this turn (reaper.h): a second end is no double free */
    c->dead = true;
    ev_timer_stop(L(), &c->deadline);
    ev_timer_stop(L(), &c->kick);
    if (c->conn)
        conn_free(c->conn, true);
    tls_choice_clear(&c->tls);
    bytebuf_free(&c->res.body);
    bytebuf_free(&c->res.head);
    free(c->url_copy);
    free(c->ua_copy);
    free(c->content_copy);
    free(c->userdata_copy);
    free(c->proxy_copy);
    free(c->body_copy);
    /* Like every object a handler may end (reaper.h). */
    reaper_defer(L(), c, free);
}

static const char *const fact_names[HTTP_FACT_COUNT] = {
    [HTTP_DONE] = "response",
    [HTTP_FAIL_NET] = "connection failed",
    [HTTP_FAIL_NOT_HTTP] = "not HTTP",
    [HTTP_FAIL_TOO_BIG] = "body too large",
    [HTTP_FAIL_TIMEOUT] = "timeout",
    [HTTP_FAIL_NO_HOST] = "no host",
    [HTTP_FAIL_SCHEME] = "https refused",
    [HTTP_FAIL_NO_BEARER] = "bearer closed",
};

static void finish(struct http_client *c, enum http_fact fact, enum net_err err, int status)
{
    bool failed = fact != HTTP_DONE;
    if (c->conn) {
        conn_free(c->conn, failed);
        c->conn = NULL;
    }
    c->res.fact = fact;
    c->res.err = err;
    c->res.status = status;
    if (failed) {
        /* A failed action stores nothing (manual §11.2.5: 60x report 0 bytes). */
        bytebuf_clear(&c->res.body);
        bytebuf_clear(&c->res.head);
        trace_note(c->req.trace_id, "http", "failed: %s%s%s", fact_names[fact],
                   fact == HTTP_FAIL_NET ? ", " : "",
                   fact == HTTP_FAIL_NET ? net_err_name(err) : "");
    } else {
        trace_note(c->req.trace_id, "http", "status %d, %zu body bytes", status,
                   bytebuf_pending(&c->res.body));
    }
    http_done_fn done = c->done;
    void *ud = c->ud;
    struct http_result res = c->res;
    memset(&c->res, 0, sizeof(c->res));
    client_free(c);
    done(ud, &res);
}

struct http_client *http_client_start(const struct http_request *req, http_done_fn done, void *ud)
{
    struct http_client *c = xcalloc(1, sizeof(*c));
    c->req = *req;
    c->url_copy = dup_or_empty(req->url);
    c->ua_copy = dup_or_empty(req->user_agent);
    c->content_copy = dup_or_empty(req->content_type);
    c->userdata_copy = dup_or_empty(req->userdata);
    c->proxy_copy = dup_or_empty(req->proxy_ip);
    c->req.url = c->url_copy;
    c->req.user_agent = c->ua_copy;
    c->req.content_type = c->content_copy;
    c->req.userdata = c->userdata_copy;
    c->req.proxy_ip = c->proxy_copy;
    if (req->body_len) {
        c->body_copy = xmalloc(req->body_len);
        memcpy(c->body_copy, req->body, req->body_len);
        c->req.body = c->body_copy;
    }
    c->req.tls_choice = NULL;
    tls_choice_copy(&c->tls, req->tls_choice);
    c->done = done;
    c->ud = ud;
    c->method = req->method;
    c->use_tls = req->tls;
    memset(&c->settings, 0, sizeof(c->settings));
    c->settings.on_header_field = on_header_field;
    c->settings.on_header_value = on_header_value;
    c->settings.on_headers_complete = on_headers_complete;
    c->settings.on_body = on_body;
    c->settings.on_message_complete = on_message_complete;
    ev_timer_init(&c->deadline, deadline_cb, req->timeout_s, 0.);
    c->deadline.data = c;
    ev_timer_init(&c->kick, kick_cb, 0., 0.);
    c->kick.data = c;
    ev_timer_start(L(), &c->deadline);

    if (req->no_bearer) {
        c->pending = HTTP_FAIL_NO_BEARER;
    } else if (http_url_parse(c->req.url, &c->url) < 0) {
        c->pending = HTTP_FAIL_NO_HOST;
    } else if (!req->tls && c->url.scheme == HTTP_SCHEME_HTTPS) {
        /* HTTPSSL=0 with an https:// URL: decided at once, no traffic (as real modules' logs show).
         */
        c->pending = HTTP_FAIL_SCHEME;
    }
    if (c->pending) {
        /* Decided at once, reported a moment after the OK, in its own write
         * (as client libraries expect: drivers read the OK block and the URC separately). */
        ev_timer_set(&c->kick, 0.02, 0.);
        ev_timer_start(L(), &c->kick);
        return c;
    }
    start_hop(c);
    return c;
}

void http_client_cancel(struct http_client *c)
{
    if (c)
        client_free(c);
}

void http_client_progress(const struct http_client *c, size_t *received, size_t *remaining)
{
    *received = bytebuf_pending(&c->res.body);
    *remaining = 0;
    if (c->headers_done && c->parser.content_length != ULLONG_MAX &&
        c->parser.content_length < HTTP_STORE_MAX)
        *remaining = (size_t)c->parser.content_length;
}
