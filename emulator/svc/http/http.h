/* The HTTP service of AT+HTTP* (http.md): its parameters, the POST body,
 * the stored response and the action in flight. */
#ifndef SIM800EMU_HTTP_H
#define SIM800EMU_HTTP_H

#include <stdbool.h>

#include "http_client.h"
#include "http_url.h"
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
    int ssl;                     /* AT+HTTPSSL */
    struct http_params params;
    struct http_params saved;    /* AT+HTTPSCONT: kept in memory ("NVRAM") */
    bool saved_valid;
    struct bytebuf postdata;     /* AT+HTTPDATA */
    bool have_postdata;
    struct bytebuf body;         /* the stored response */
    struct bytebuf head;
    int last_method;             /* for AT+HTTPSTATUS when idle */
    struct http_client *active;  /* the action in flight, or NULL */
    int active_method;
};

struct modem;

void http_setup(struct modem *m);
void http_free(struct modem *m);
/* A bearer closed (cid 0: all): an action over it ends with 601. */
void http_bearer_closed(struct modem *m, int cid);

extern const struct at_cmd_table cmd_http_table;

#endif
