/* Splitting the URL of AT+HTTPPARA="URL" (SIM800 AT Command Manual V1.09 §11.2.3; SIM800 SSL
 * Application Note V1.00 example 3.5): an optional http:// or https:// scheme, a host, an optional
 * port, a path and query. Pure: no I/O, so the fuzzer and the unit tests call it directly. */
#ifndef SIM800EMU_HTTP_URL_H
#define SIM800EMU_HTTP_URL_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_URL_MAX 512

enum http_scheme { HTTP_SCHEME_NONE, HTTP_SCHEME_HTTP, HTTP_SCHEME_HTTPS };

struct http_url {
    enum http_scheme scheme;
    char host[256];
    int port;                    /* 0 when the URL gives none */
    char path[HTTP_URL_MAX + 2]; /* "/..." with the query; "/" when absent */
};

/* Returns 0, or -1 when there is no usable host or a bad port. */
int http_url_parse(const char *url, struct http_url *out);

/* Resolves a Location header against the URL it answered (RFC 3986 in the
 * forms servers send: absolute, scheme-relative "//host/..", absolute path
 * "/..", or relative to the current directory).  Returns 0 or -1. */
int http_url_resolve(const struct http_url *base, const char *location, struct http_url *out);

#endif
