#include "setting.h"

#include <stdio.h>

#include "modem.h"
#include "reply.h"

int setting_cmd(struct modem *m, struct at_req *r)
{
    const struct setting_desc *d = r->ctx;
    char *base = d->owner ? modem_state(m, d->owner) : (char *)m;
    int *value = (int *)(void *)(base + d->offset);
    long v;
    switch (r->form) {
    case AT_FORM_TEST:
        if (d->test)
            at_info(m, "%s", d->test);
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "%s: %d", d->name, *value);
        return AT_OK;
    case AT_FORM_WRITE:
        switch (at_arg_int(&r->args, d->min, d->max, &v)) {
        case AT_ARG_OK:
            break;
        case AT_ARG_ABSENT:
            v = d->if_empty;
            break;
        default:
            return AT_ERROR;
        }
        if (!at_args_done(&r->args))
            return AT_ERROR;
        *value = (int)v;
        return AT_OK;
    default:
        return AT_ERROR;
    }
}

int setting_list_cmd(struct modem *m, struct at_req *r)
{
    const struct setting_list_desc *d = r->ctx;
    char *base = d->owner ? modem_state(m, d->owner) : (char *)m;
    int *slot[SETTING_VALUES_MAX];
    int v[SETTING_VALUES_MAX];
    for (int i = 0; i < d->count; i++) {
        slot[i] = (int *)(void *)(base + d->values[i].offset);
        v[i] = *slot[i];
    }
    if (r->form == AT_FORM_TEST) {
        if (d->test)
            at_info(m, "%s", d->test);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        char line[96];
        int n = snprintf(line, sizeof(line), "%s: ", d->name);
        for (int i = 0; i < d->count && n > 0 && (size_t)n < sizeof(line); i++)
            n += snprintf(line + n, sizeof(line) - (size_t)n, i ? ",%d" : "%d", v[i]);
        at_info(m, "%s", line);
        return AT_OK;
    }
    if (r->form != AT_FORM_WRITE)
        return AT_ERROR;
    for (int i = 0; i < d->count; i++) {
        long x;
        enum at_arg_status st = at_arg_int(&r->args, d->values[i].min, d->values[i].max, &x);
        if (st == AT_ARG_BAD || (i < d->required && st != AT_ARG_OK))
            return AT_ERROR;
        if (st == AT_ARG_OK)
            v[i] = (int)x;
    }
    if (!at_args_done(&r->args))
        return AT_ERROR;
    for (int i = 0; i < d->count; i++)
        *slot[i] = v[i];
    return AT_OK;
}
