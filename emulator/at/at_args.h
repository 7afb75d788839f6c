/* A typed cursor over the arguments of an extended command (after
 * oFono's gatresult.h): handlers never sscanf a raw line.
 *
 * Parameters are separated by ',' outside double quotes; a parameter may be
 * empty ("AT+CNMI=2,1,,,0").  Strings may be quoted or not: SIMCom firmware
 * takes AT+CPIN=1234 and the SSL note's unquoted AT+FSCREATE=C:\USER\X.CRT. */
#ifndef SIM800EMU_AT_ARGS_H
#define SIM800EMU_AT_ARGS_H

#include <stdbool.h>
#include <stddef.h>

struct at_args {
    const char *cur; /* next unread byte */
    const char *end;
    int taken; /* parameters consumed so far */
    bool more; /* another parameter (maybe empty) is still to come */
};

enum at_arg_status {
    AT_ARG_OK,
    AT_ARG_ABSENT, /* empty parameter, or past the last one */
    AT_ARG_BAD,    /* present but malformed, out of range or too long */
};

void at_args_init(struct at_args *a, const char *s, size_t len);

/* A decimal integer in [min, max]; quotes around it are accepted ("CID","1"
 * is sent by real drivers). */
enum at_arg_status at_arg_int(struct at_args *a, long min, long max, long *out);

/* A string, quoted or not, copied NUL-terminated into buf; BAD when it does
 * not fit in cap - 1 bytes or a quote is unbalanced.  *quoted (may be NULL)
 * tells whether it was quoted. */
enum at_arg_status at_arg_str(struct at_args *a, char *buf, size_t cap, bool *quoted);

/* True when every parameter has been consumed. */
bool at_args_done(const struct at_args *a);

/* Number of parameters in the whole argument string (0 for an empty one;
 * "1," has two). */
int at_args_count(const struct at_args *a);

#endif
