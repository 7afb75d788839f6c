/* One handler for the many commands that are just a stored number: test
 * answers a fixed list, read prints "<+NAME>: <n>", write checks a range
 * (after oFono's V.250 template).  A row points its ctx at a setting_desc. */
#ifndef SIM800EMU_SETTING_H
#define SIM800EMU_SETTING_H

#include <stddef.h>

#include "at_engine.h"
#include "service.h"

struct setting_desc {
    const char *name; /* "+CMEE": the read answer is "+CMEE: <n>" */
    const char *test; /* the test answer, e.g. "+CMEE: (0-2)"; NULL: just OK */
    size_t offset;    /* of the int in the owner's state, or in struct modem */
    int min, max;
    int if_empty;                /* value for "AT+X=" with nothing after it */
    const struct service *owner; /* whose state holds it; NULL: struct modem */
};

/* at_cmd handler for a row whose ctx is a struct setting_desc. */
int setting_cmd(struct modem *m, struct at_req *r);

#define SETTING_VALUES_MAX 4

/* A command that is a list of stored numbers ("+IFC: 2,2",
 * "+CIPTKA: 0,7200,75,9"): read prints them all, write takes the first
 * `required` and keeps the old value of any later one left out, and
 * changes nothing unless every value given is in its range. */
struct setting_list_desc {
    const char *name;            /* "+IFC" */
    const char *test;            /* the test answer; NULL: just OK */
    const struct service *owner; /* whose state holds them; NULL: struct modem */
    int count, required;
    struct {
        size_t offset; /* of the int in the owner's state, or in struct modem */
        int min, max;
    } values[SETTING_VALUES_MAX];
};

/* at_cmd handler for a row whose ctx is a struct setting_list_desc. */
int setting_list_cmd(struct modem *m, struct at_req *r);

#endif
