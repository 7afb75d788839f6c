#include "http_url.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static bool has_prefix_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (ascii_upper(*s) != ascii_upper(*prefix))
            return false;
    return true;
}

int http_url_parse(const char *url, struct http_url *out)
{
    memset(out, 0, sizeof(*out));
    if (strlen(url) > HTTP_URL_MAX)
        return -1;
    const char *p = url;
    if (has_prefix_ci(p, "http://")) {
        out->scheme = HTTP_SCHEME_HTTP;
        p += 7;
    } else if (has_prefix_ci(p, "https://")) {
        out->scheme = HTTP_SCHEME_HTTPS;
        p += 8;
    }
    size_t hostlen = strcspn(p, ":/?#");
    if (hostlen == 0 || hostlen >= sizeof(out->host))
        return -1;
    memcpy(out->host, p, hostlen);
    out->host[hostlen] = '\0';
    for (const char *c = out->host; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == '@' || *c == '\\')
            return -1;
    p += hostlen;
    if (*p == ':') {
        p++;
        long port = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 6) {
            port = port * 10 + (*p++ - '0');
            digits++;
        }
        if (digits == 0 || port < 1 || port > 65535 || (*p && *p != '/' && *p != '?' && *p != '#'))
            return -1;
        out->port = (int)port;
    }
    /* The module sends the path and query byte for byte (http.md 3.1); a
     * fragment never goes on the wire. */
    size_t pathlen = strcspn(p, "#");
    if (pathlen == 0 || p[0] == '#') {
        strcpy(out->path, "/");
    } else if (p[0] == '?') {
        out->path[0] = '/';
        memcpy(out->path + 1, p, pathlen);
        out->path[pathlen + 1] = '\0';
    } else {
        memcpy(out->path, p, pathlen);
        out->path[pathlen] = '\0';
    }
    for (const char *c = out->path; *c; c++)
        if ((unsigned char)*c < ' ' || *c == 0x7f)
            return -1; /* a control byte would break the request line */
    return 0;
}

int http_url_resolve(const struct http_url *base, const char *location, struct http_url *out)
{
    if (has_prefix_ci(location, "http://") || has_prefix_ci(location, "https://"))
        return http_url_parse(location, out);
    char buf[HTTP_URL_MAX + 300];
    const char *scheme = base->scheme == HTTP_SCHEME_HTTPS ? "https://" : "http://";
    char hostport[300];
    if (base->port)
        snprintf(hostport, sizeof(hostport), "%s:%d", base->host, base->port);
    else
        snprintf(hostport, sizeof(hostport), "%s", base->host);
    int n;
    if (location[0] == '/' && location[1] == '/') {
        n = snprintf(buf, sizeof(buf), "%s%s", scheme, location + 2);
    } else if (location[0] == '/') {
        n = snprintf(buf, sizeof(buf), "%s%s%s", scheme, hostport, location);
    } else {
        /* Relative: replace what follows the last '/' of the base path. */
        size_t dir = strcspn(base->path, "?");
        while (dir > 0 && base->path[dir - 1] != '/')
            dir--;
        n = snprintf(buf, sizeof(buf), "%s%s%.*s%s", scheme, hostport, (int)dir, base->path,
                     location);
    }
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -1;
    int rc = http_url_parse(buf, out);
    if (rc == 0 && out->scheme == HTTP_SCHEME_NONE)
        out->scheme = base->scheme;
    return rc;
}
