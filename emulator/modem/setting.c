#include "setting.h"

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
