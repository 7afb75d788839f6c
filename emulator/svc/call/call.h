/* Voice calls, the control side (SIM800 AT Command Manual V1.09 §2.2.2
 * ATA, §2.2.3 ATD, §2.2.8 ATH, §3.2.x AT+CLCC, AT+COLP, AT+CEER, AT+CHUP,
 * AT+VTS and the audio settings drivers send at set-up): one call at a time,
 * no audio.  The far end is the emulator: an outgoing call ends as the
 * profile's [call] outcome or the control socket says; an incoming call is
 * started and ended through the control socket (README "Voice calls").
 *   svc_call.c   the call's states, the far end, the control requests
 *   call_cmds.c  the AT commands */
#ifndef SIM800EMU_CALL_H
#define SIM800EMU_CALL_H

#include <ev.h>
#include <stdbool.h>

#include "service.h"

enum call_stat { /* +CLCC <stat> */
                 CALL_NONE = -1,
                 CALL_ACTIVE = 0,
                 CALL_DIALING = 2,
                 CALL_ALERTING = 3,
                 CALL_INCOMING = 4,
};

enum call_outcome { OUTCOME_ANSWER, OUTCOME_BUSY, OUTCOME_NO_ANSWER, OUTCOME_NO_CARRIER };

#define CALL_LOG_MAX 32

struct call_state {
    bool ready; /* "Call Ready" given (AT+CCALR?) */
    enum call_stat stat;
    int dir; /* 0 mobile originated, 1 mobile terminated */
    char number[40];
    int type;             /* 129 or 145 */
    bool colp_pending;    /* ATD under AT+COLP=1: the command waits for the outcome */
    ev_timer timer;       /* the far end's next step */
    int rings;            /* RINGs given to the incoming call so far */
    int cause;            /* of the last release (AT+CEER) */
    char last_dialed[40]; /* ATDL */
    /* The next outgoing call's end, set through the control socket (-1: the
     * profile's). */
    int next_outcome;
    int next_ring_ms;
    /* Settings. */
    int colp, clcc, ceer;
    int clvl, crsl, cmut, calm, vtd;
    int cmic[2];
    /* What the device did (dial, answer, hang up, DTMF), for "call MODEM log". */
    char log[CALL_LOG_MAX][48];
    unsigned nlog;
};

extern const struct service call_service;

static inline struct call_state *call_of(const struct modem *m)
{
    return modem_state(m, &call_service);
}

/* svc_call.c: the call's life */
extern const struct at_cmd_table call_table;
void call_log(struct call_state *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A call the device dials (ATD): -1 when one is already up. */
int call_dial(struct modem *m, const char *number, int type);
/* ATA: 0, or -1 when nothing rings. */
int call_answer(struct modem *m);
/* ATH, AT+CHUP: the device ends the call (no URC). */
void call_hangup_local(struct modem *m);
/* The "+CLCC: ..." line of the call (without the prefix's framing). */
void call_clcc_line(const struct call_state *c, char *out, size_t cap);
/* The text of a release cause (AT+CEER). */
const char *call_cause_text(int cause);

#endif
