/* The V.250 settings of one modem in one struct, with one defaults function
 * serving start-up, ATZ and AT&F (after oFono's struct v250_settings). */
#ifndef SIM800EMU_V250_H
#define SIM800EMU_V250_H

#include <stdbool.h>

#define V250_SREG_COUNT 11 /* S0..S10; SIM800 implements 0, 3-8 and 10 */

struct v250_settings {
    bool echo;    /* E: echo command-line characters (factory 1) */
    bool quiet;   /* Q: suppress result codes (factory 0) */
    bool verbose; /* V: text (1) or numeric (0) result codes */
    int x_level;  /* X: result-code selection 0-4 (factory 4, V.250 usual) */
    int cmee;     /* +CMEE: 0 plain ERROR, 1 numeric, 2 text */
    int sreg[V250_SREG_COUNT];
    /* UART settings: stored by &W but left alone by ATZ and AT&F (2.2.27). */
    long ipr;
    int ifc_dce, ifc_dte;
    int icf_format, icf_parity;
    int csclk;
};

/* Fills s with the factory profile (AT&F, SIM800 manual 2.2.30). */
void v250_factory(struct v250_settings *s);

/* ATZ/AT&F semantics: copy everything from src except the UART settings. */
void v250_restore_keep_uart(struct v250_settings *dst, const struct v250_settings *src);

#endif
