/* One HTTP action of the module (http.md 3): a real HTTP/1.1 request over
 * the shared connection type, the response parsed with the Node.js parser
 * (libhttp-parser), redirects, BREAK ranges, the TIMEOUT and the response
 * store limit, every failure mapped to the module's 600-606 codes. */
#ifndef SIM800EMU_HTTP_CLIENT_H
#define SIM800EMU_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls.h"
#include "util.h"

/* The module's codes in +HTTPACTION (http.md 2). */
enum {
    HTTP_NOT_HTTP = 600,
    HTTP_NETWORK_ERROR = 601,
    HTTP_NO_MEMORY = 602,
    HTTP_DNS_ERROR = 603,
    HTTP_STACK_BUSY = 604,
    HTTP_TLS_SETUP = 605,
    HTTP_TLS_ALERT = 606,
};

enum http_verb { HTTP_VERB_GET = 0, HTTP_VERB_POST = 1, HTTP_VERB_HEAD = 2 };

/* The response store: what AT+HTTPREAD can address (http.md 3.2). */
#define HTTP_STORE_MAX 319488

struct http_request {
    enum http_verb method;
    const char *url;          /* as AT+HTTPPARA="URL" holds it */
    bool tls;                 /* AT+HTTPSSL: decides TLS, not the scheme (http.md 3.6) */
    const struct tls_choice *tls_choice;
    const char *user_agent;
    const char *content_type; /* "" for none */
    const char *userdata;     /* extra header text, literal "\r\n" separating lines */
    const uint8_t *body;      /* POST: the AT+HTTPDATA bytes */
    size_t body_len;
    long range_start, range_end; /* BREAK, BREAKEND; both 0: no Range */
    bool follow_redirects;    /* REDIR */
    const char *proxy_ip;     /* "" for none */
    int proxy_port;
    double timeout_s;         /* the whole action */
    int trace_id;
    int fail_now;             /* non-zero: report this status without any traffic */
};

struct http_result {
    int status;               /* the server's, or 600-606 */
    struct bytebuf body;      /* de-chunked; empty for 60x */
    struct bytebuf head;      /* status line and headers as received, blank line included */
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
