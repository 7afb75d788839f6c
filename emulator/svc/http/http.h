/* The HTTP service of AT+HTTP* (SIM800 AT Command Manual V1.09 ch. 11): its parameters, the POST
 * body, the stored response and the action in flight. */
#ifndef SIM800EMU_HTTP_H
#define SIM800EMU_HTTP_H

#include <ev.h>
#include <stdbool.h>

#include "http_client.h"
#include "http_url.h"
#include "service.h"
#include "util.h"

struct http_params {
    int cid;
    char url[HTTP_URL_MAX + 1];
    char ua[128];
    char proip[64];
    int proport;
    int redir;
    long brk, brkend;
    int timeout_s;
    char content[128];
    char userdata[512];
};

struct http_state {
    bool inited;
    int ssl; /* AT+HTTPSSL */
    struct http_params params;
    struct http_params saved; /* AT+HTTPSCONT: kept in memory ("NVRAM") */
    bool saved_valid;
    struct bytebuf postdata; /* AT+HTTPDATA */
    bool have_postdata;
    struct bytebuf body; /* the stored response */
    struct bytebuf head;
    int last_method;            /* for AT+HTTPSTATUS when idle */
    struct http_client *active; /* the action in flight, or NULL */
    int active_method;
    /* [timing] httpaction_ms: a finished action's result waits here until
     * the module's latency has passed; the action still counts as running. */
    ev_timer release_timer;
    bool releasing;
    int held_status;
    struct bytebuf held_body;
    struct bytebuf held_head;
};

extern const struct service http_service;

static inline struct http_state *http_of(const struct modem *m)
{
    return modem_state(m, &http_service);
}

#endif
