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
    /* The module sends the path and query byte for byte (our choice where the manual is silent); a
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

/* RFC 3986 5.2.4 on the path (not the query), in place: "/a/b/../c" is
 * "/a/c".  A server would refuse "/../x" outright, and a browser never
 * sends one, so neither do we. */
static void remove_dot_segments(char *path)
{
    size_t end = strcspn(path, "?");
    char out[sizeof(((struct http_url *)0)->path)];
    size_t o = 0;
    for (size_t i = 0; i < end;) {
        size_t seg = i + 1; /* path[i] is a '/' */
        size_t next = seg;
        while (next < end && path[next] != '/')
            next++;
        size_t len = next - seg;
        bool dot = len == 1 && path[seg] == '.';
        bool dotdot = len == 2 && path[seg] == '.' && path[seg + 1] == '.';
        if (dotdot)
            while (o > 0 && out[--o] != '/')
                ;
        if (dot || dotdot) {
            if (next == end) /* "/a/.." names the directory "/a/" */
                out[o++] = '/';
        } else {
            out[o++] = '/';
            memcpy(out + o, path + seg, len);
            o += len;
        }
        i = next;
    }
    if (o == 0)
        out[o++] = '/';
    size_t qlen = strlen(path + end);
    memmove(path + o, path + end, qlen + 1); /* never longer than before */
    memcpy(path, out, o);
}

int http_url_resolve(const struct http_url *base, const char *location, struct http_url *out)
{
    if (has_prefix_ci(location, "http://") || has_prefix_ci(location, "https://")) {
        int rc = http_url_parse(location, out);
        if (rc == 0)
            remove_dot_segments(out->path);
        return rc;
    }
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
    if (rc == 0)
        remove_dot_segments(out->path);
    return rc;
}
