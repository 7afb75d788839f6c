#include "v250.h"

#include <string.h>

void v250_factory(struct v250_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->echo = true;
    s->quiet = false;
    s->verbose = true;
    s->x_level = 4;
    s->cmee = 0;
    /* SIM800 manual 2.2.16-2.2.23; S0/S6/S8 from V.250 where the manual is silent. */
    s->sreg[0] = 0;
    s->sreg[3] = 13;
    s->sreg[4] = 10;
    s->sreg[5] = 8;
    s->sreg[6] = 2;
    s->sreg[7] = 60;
    s->sreg[8] = 2;
    s->sreg[10] = 15;
    s->ipr = 0;
    s->icf_format = 3;
    s->icf_parity = 255; /* no parity in 8N1: the read form shows 255 (2.2.39) */
}

void v250_restore_keep_uart(struct v250_settings *dst, const struct v250_settings *src)
{
    struct v250_settings keep = *dst;
    *dst = *src;
    dst->ipr = keep.ipr;
    dst->ifc_dce = keep.ifc_dce;
    dst->ifc_dte = keep.ifc_dte;
    dst->icf_format = keep.icf_format;
    dst->icf_parity = keep.icf_parity;
    dst->csclk = keep.csclk;
}
