/* libFuzzer harness for http_url_parse/http_url_resolve: the URL a host
 * sets with AT+HTTPPARA and the Location a server answers.  Input: the URL,
 * a NUL, then the Location.  Oracle: a parsed URL has a host without
 * separators or controls, a port in range, and a path that starts with '/'
 * and holds no control byte (it goes into the request line). */
#include <string.h>

#include "fuzz.h"
#include "http_url.h"

static void check(const struct http_url *u)
{
    FUZZ_CHECK(u->host[0] != '\0');
    for (const char *c = u->host; *c; c++)
        FUZZ_CHECK((unsigned char)*c > ' ' && *c != '/' && *c != '?' && *c != '#' && *c != ':');
    FUZZ_CHECK(u->port >= 0 && u->port <= 65535);
    FUZZ_CHECK(u->path[0] == '/');
    for (const char *c = u->path; *c; c++)
        FUZZ_CHECK((unsigned char)*c >= ' ' && *c != 0x7f && *c != '#');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char url[HTTP_URL_MAX + 64], loc[HTTP_URL_MAX + 64];
    const uint8_t *nul = memchr(data, 0, size);
    size_t a = nul ? (size_t)(nul - data) : size;
    if (a >= sizeof(url))
        return 0;
    memcpy(url, data, a);
    url[a] = '\0';
    size_t b = nul ? size - a - 1 : 0;
    if (b >= sizeof(loc))
        return 0;
    if (b)
        memcpy(loc, nul + 1, b);
    loc[b] = '\0';
    if (memchr(loc, 0, b))
        return 0;
    struct http_url u, v;
    if (http_url_parse(url, &u) < 0)
        return 0;
    check(&u);
    if (http_url_resolve(&u, loc, &v) == 0)
        check(&v);
    return 0;
}
