/* The at_args oracle shared by fuzz_at_args and fuzz_at_parser. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "at_args.h"
#include "fuzz.h"

uint64_t fuzz_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t fuzz_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* Reference: parameters are separated by ',' outside double quotes; an empty
 * string has none. */
static int ref_count(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    int count = 1;
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (s[i] == ',' && !quoted)
            count++;
    }
    return count;
}

static const long int_ranges[8][2] = {
    {0, 1}, {0, 255}, {-5, 5}, {LONG_MIN, LONG_MAX}, {0, 460800}, {1, 6}, {100, 99}, {0, 0},
};

void fuzz_check_args(const char *args, size_t len, uint8_t (*next_op)(void *ud), void *ud)
{
    char *copy = calloc(len ? len : 1, 1); /* exact size: ASan sees over-reads */
    FUZZ_CHECK(copy != NULL);
    if (len)
        memcpy(copy, args, len);
    struct at_args a;
    at_args_init(&a, copy, len);
    const int total = at_args_count(&a);
    FUZZ_CHECK(total == ref_count(copy, len));
    FUZZ_CHECK(at_args_done(&a) == (total == 0));

    int calls = 0;
    while (!at_args_done(&a)) {
        FUZZ_CHECK(calls < total);
        const char *start = a.cur;
        const int taken = a.taken;
        uint8_t op = next_op(ud);
        bool as_int = (op & 1) == 0;
        long v = 0x5a5a5a5a;
        char buf[136];
        size_t cap = (size_t)(op >> 1); /* 0..127 */
        enum at_arg_status st;
        long min = int_ranges[(op >> 1) & 7][0], max = int_ranges[(op >> 1) & 7][1];
        bool quoted = false;
        memset(buf, '#', sizeof(buf));
        if (as_int)
            st = at_arg_int(&a, min, max, &v);
        else
            st = at_arg_str(&a, buf, cap, (op & 2) ? &quoted : NULL);

        /* Exactly one parameter consumed. */
        FUZZ_CHECK(a.taken == taken + 1);
        FUZZ_CHECK(at_args_count(&a) == total);
        FUZZ_CHECK(a.cur >= start && a.cur <= a.end);
        /* The raw parameter just consumed: [start, pe). */
        const char *pe = at_args_done(&a) ? a.end : a.cur - 1;
        FUZZ_CHECK(pe >= start);
        FUZZ_CHECK(at_args_done(&a) || *pe == ',');
        size_t raw_n = (size_t)(pe - start);
        bool raw_quoted = raw_n >= 2 && start[0] == '"' && start[raw_n - 1] == '"';
        const char *inner = raw_quoted ? start + 1 : start;
        size_t inner_n = raw_quoted ? raw_n - 2 : raw_n;

        if (as_int) {
            if (st == AT_ARG_OK) {
                FUZZ_CHECK(v >= min && v <= max);
                /* The text is a plain decimal number of that value. */
                char tmp[32];
                FUZZ_CHECK(inner_n > 0 && inner_n < sizeof(tmp));
                FUZZ_CHECK(memchr(inner, '"', inner_n) == NULL);
                memcpy(tmp, inner, inner_n);
                tmp[inner_n] = '\0';
                FUZZ_CHECK(tmp[0] == '-' || tmp[0] == '+' || (tmp[0] >= '0' && tmp[0] <= '9'));
                errno = 0;
                char *end;
                long ref = strtol(tmp, &end, 10);
                FUZZ_CHECK(errno == 0 && *end == '\0' && ref == v);
            } else {
                FUZZ_CHECK(v == 0x5a5a5a5a); /* untouched */
                if (st == AT_ARG_ABSENT)
                    FUZZ_CHECK(raw_n == 0 || (raw_n == 2 && raw_quoted));
            }
        } else {
            for (size_t i = cap; i < sizeof(buf); i++)
                FUZZ_CHECK(buf[i] == '#');
            if (cap > 0)
                FUZZ_CHECK(memchr(buf, '\0', cap) != NULL);
            if (st == AT_ARG_OK) {
                /* Compared by length: the text may hold a NUL when at_args is
                 * called directly (the engine's lines never do). */
                FUZZ_CHECK(inner_n < cap);
                FUZZ_CHECK(memcmp(buf, inner, inner_n) == 0 && buf[inner_n] == '\0');
                FUZZ_CHECK(memchr(buf, '"', inner_n) == NULL);
                if (op & 2)
                    FUZZ_CHECK(quoted == raw_quoted);
            } else if (st == AT_ARG_ABSENT) {
                FUZZ_CHECK(raw_n == 0);
                FUZZ_CHECK(cap == 0 || buf[0] == '\0');
            } else {
                FUZZ_CHECK(st == AT_ARG_BAD);
                /* BAD only for a real fault: unbalanced or misplaced quotes, or too long. */
                bool quote_fault = memchr(inner, '"', inner_n) != NULL ||
                                   (raw_n > 0 && (start[0] == '"') != raw_quoted) ||
                                   (raw_n > 0 && start[raw_n - 1] == '"' && !raw_quoted);
                FUZZ_CHECK(quote_fault || inner_n + 1 > cap);
            }
        }
        calls++;
    }
    FUZZ_CHECK(calls == total);
    /* Past the end everything is absent, and stays done. */
    long v;
    char b[4];
    FUZZ_CHECK(at_arg_int(&a, LONG_MIN, LONG_MAX, &v) == AT_ARG_ABSENT);
    FUZZ_CHECK(at_arg_str(&a, b, sizeof(b), NULL) == AT_ARG_ABSENT);
    FUZZ_CHECK(at_args_done(&a));
    free(copy);
}
