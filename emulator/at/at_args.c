#include "at_args.h"

#include <string.h>

void at_args_init(struct at_args *a, const char *s, size_t len)
{
    a->cur = s;
    a->end = s + len;
    a->taken = 0;
    a->more = len > 0;
}

bool at_args_done(const struct at_args *a) { return !a->more; }

/* Finds the end of the parameter at a->cur (the ',' or the end). */
static const char *param_end(const struct at_args *a, bool *balanced)
{
    bool quoted = false;
    const char *p = a->cur;
    for (; p < a->end; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == ',' && !quoted)
            break;
    }
    *balanced = !quoted;
    return p;
}

/* Moves past the parameter ending at pe and its ','.  A trailing ',' leaves
 * one more (empty) parameter to come. */
static void advance(struct at_args *a, const char *pe)
{
    a->taken++;
    if (pe < a->end) {
        a->cur = pe + 1;
    } else {
        a->cur = a->end;
        a->more = false;
    }
}

enum at_arg_status at_arg_str(struct at_args *a, char *buf, size_t cap, bool *quoted)
{
    if (quoted)
        *quoted = false;
    if (cap > 0)
        buf[0] = '\0';
    if (!a->more)
        return AT_ARG_ABSENT;
    bool balanced;
    const char *pe = param_end(a, &balanced);
    const char *s = a->cur;
    size_t n = (size_t)(pe - s);
    advance(a, pe);
    if (!balanced)
        return AT_ARG_BAD;
    if (n == 0)
        return AT_ARG_ABSENT;
    if (s[0] == '"') {
        if (n < 2 || s[n - 1] != '"')
            return AT_ARG_BAD;
        s++;
        n -= 2;
        if (memchr(s, '"', n))
            return AT_ARG_BAD;
        if (quoted)
            *quoted = true;
    } else if (memchr(s, '"', n)) {
        return AT_ARG_BAD;
    }
    if (n + 1 > cap)
        return AT_ARG_BAD;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return AT_ARG_OK;
}

enum at_arg_status at_arg_int(struct at_args *a, long min, long max, long *out)
{
    char tmp[24];
    bool quoted;
    enum at_arg_status st = at_arg_str(a, tmp, sizeof(tmp), &quoted);
    if (st != AT_ARG_OK)
        return st;
    if (quoted && tmp[0] == '\0')
        return AT_ARG_ABSENT;
    long v = 0;
    const char *p = tmp;
    bool neg = false;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    if (*p == '\0')
        return AT_ARG_BAD;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return AT_ARG_BAD;
        if (v > 100000000000L)
            return AT_ARG_BAD;
        v = v * 10 + (*p - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        return AT_ARG_BAD;
    *out = v;
    return AT_ARG_OK;
}

int at_args_count(const struct at_args *a)
{
    struct at_args c = *a;
    int n = a->taken;
    while (c.more) {
        bool balanced;
        advance(&c, param_end(&c, &balanced));
        n++;
    }
    return n;
}
