/* One HTTP action of the module (SIM800 AT Command Manual V1.09 §11.2.5): a real HTTP/1.1 request
 * over the shared connection type, the response parsed with the Node.js parser (libhttp-parser),
 * redirects, BREAK ranges, the TIMEOUT and the response store limit.  It reports what happened as a
 * fact (enum http_fact plus the connection's enum net_err); the service's table (http_codes.h)
 * turns that into the module's 600-606. */
#ifndef SIM800EMU_HTTP_CLIENT_H
#define SIM800EMU_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "tls.h"
#include "util.h"

/* How an action ended. */
enum http_fact {
    HTTP_DONE,           /* a whole response: status is the server's */
    HTTP_FAIL_NET,       /* the connection failed or ended first: err says how */
    HTTP_FAIL_NOT_HTTP,  /* what came back is not an HTTP response */
    HTTP_FAIL_TOO_BIG,   /* the body is larger than the response store */
    HTTP_FAIL_TIMEOUT,   /* the action's TIMEOUT passed */
    HTTP_FAIL_NO_HOST,   /* the URL names no host to look up */
    HTTP_FAIL_SCHEME,    /* an https:// URL while the caller asked for no TLS */
    HTTP_FAIL_NO_BEARER, /* the caller's verdict (its bearer is not open): no traffic */
};
#define HTTP_FACT_COUNT (HTTP_FAIL_NO_BEARER + 1)

enum http_verb { HTTP_VERB_GET = 0, HTTP_VERB_POST = 1, HTTP_VERB_HEAD = 2 };

/* The response store: what AT+HTTPREAD can address (manual §11.2.5; our choice where the manual is
 * silent). */
#define HTTP_STORE_MAX 319488

struct http_request {
    enum http_verb method;
    const char *url; /* as AT+HTTPPARA="URL" holds it */
    bool tls; /* AT+HTTPSSL: decides TLS, not the scheme (SIM800 SSL Application Note V1.00 §2.2 and
                 example 3.5) */
    const struct tls_choice *tls_choice;
    const char *user_agent;
    const char *content_type; /* "" for none */
    const char *userdata;     /* extra header text, literal "\r\n" separating lines */
    const uint8_t *body;      /* POST: the AT+HTTPDATA bytes */
    size_t body_len;
    long range_start, range_end; /* BREAK, BREAKEND; both 0: no Range */
    bool follow_redirects;       /* REDIR */
    const char *proxy_ip;        /* "" for none */
    int proxy_port;
    double timeout_s; /* the whole action */
    int trace_id;
    bool no_bearer; /* report HTTP_FAIL_NO_BEARER without any traffic */
};

struct http_result {
    enum http_fact fact;
    enum net_err err;    /* with HTTP_FAIL_NET */
    int status;          /* with HTTP_DONE: the server's */
    struct bytebuf body; /* de-chunked; empty unless HTTP_DONE */
    struct bytebuf head; /* status line and headers as received, blank line included */
};

typedef void (*http_done_fn)(void *ud, struct http_result *res);

struct http_client;

/* Starts the action; done runs once, later, unless cancelled.  The result's
 * buffers belong to the callee (it may take them). */
struct http_client *http_client_start(const struct http_request *req, http_done_fn done, void *ud);
void http_client_cancel(struct http_client *c);
/* Bytes of body received so far and still expected (0 when unknown), for
 * AT+HTTPSTATUS. */
void http_client_progress(const struct http_client *c, size_t *received, size_t *remaining);

#endif
