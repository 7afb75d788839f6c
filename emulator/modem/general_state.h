/* State of the general (27.007 housekeeping) commands of one modem: types
 * only, embedded in struct modem; general.c changes it, the commands of
 * cmd_general.c and cmd_network.c read and set it. */
#ifndef SIM800EMU_GENERAL_STATE_H
#define SIM800EMU_GENERAL_STATE_H

#include <stdbool.h>
#include <time.h>

#define CGDCONT_MAX 3 /* contexts 1..3 (SIM800 AT Command Manual V1.09 §7.2.2) */

enum sim_state {
    SIM_ABSENT,    /* no card: +CPIN: NOT INSERTED */
    SIM_BOOTING,   /* card not read yet after power-on */
    SIM_NOT_READY, /* AT+CFUN=0 took it down */
    SIM_PIN,       /* waiting for AT+CPIN="<pin>" */
    SIM_READY,
};

struct pdp_context {
    bool defined;
    char apn[64];
    bool active;
};

/* The general commands' AT&W_SAVE settings (manual §2.2.32): saved by AT&W,
 * restored by ATZ and a power cycle, reset by AT&F, as V.250's are. */
struct general_settings {
    int creg_n;  /* +CREG <n> */
    int cgreg_n; /* +CGREG <n> */
    int clts;    /* +CLTS: network time URCs */
    int ciurc;   /* +CIURC: "Call Ready" shown */
    int cbatchk;
    int cvhu;
    int csmins; /* +CSMINS: report SIM inserted/removed (manual 6.2.54) */
};

struct general_state {
    int cfun; /* 0 minimum, 1 full, 4 flight */
    enum sim_state sim;
    int pin_tries;
    bool registered; /* camped on the network */
    bool attached;   /* +CGATT */
    int cops_mode;   /* 0 auto, 1 manual, 2 deregistered */
    int cops_format; /* 0 long, 1 short, 2 numeric */
    struct pdp_context ctx[CGDCONT_MAX + 1];
    int clip;
    int ceng_mode;     /* +CENG engineering mode 0-4 */
    int ceng_ncell;    /* +CENG: list neighbour cells */
    int tz_quarters;   /* +CCLK zone; auto-saved, so kept across resets */
    time_t clock_base; /* what +CCLK showed at clock_set_mono */
    double clock_set_mono;
    bool signal_fault; /* a fault set the signal: +CSQ reads fault_rssi,fault_ber */
    int fault_rssi, fault_ber;
};

#endif
