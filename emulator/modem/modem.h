/* One emulated module: its serial port, AT engine, settings, the general
 * commands' state, and the state of each of its services (service.h), which
 * the modem allocates but never looks into.  Nothing per modem is global, so
 * N modems share one event loop in one process.
 *
 * This header is the type and nothing else: every file of the modem layer
 * includes it, so it includes only headers of types that include nothing of
 * the layer back.  What a modem does is in modules of their own, layered so
 * that no call goes back up (tests/style/check_includes.py checks both
 * includes and calls):
 *
 *   lifecycle.h   create, destroy                 (calls all below)
 *   boot.h        power-on sequence, resets       -> general, service
 *   general.h     SIM, registration, network time -> service
 *   port.h        the port: bytes in and out      -> service
 *   service.h     the services' states and events
 *   reply.h       what handlers say on the port */
#ifndef SIM800EMU_MODEM_H
#define SIM800EMU_MODEM_H

#include <ev.h>
#include <stdbool.h>

#include "at_engine.h"
#include "general_state.h"
#include "identity.h"
#include "profile.h"
#include "pty.h"
#include "v250.h"

struct service;

enum modem_power {
    MODEM_ON,
    MODEM_RESETTING, /* AT+CFUN=1,1: silent, input ignored */
    MODEM_OFF,       /* AT+CPOWD: no answers any more */
};

struct modem {
    int id;
    struct ev_loop *loop;
    const struct profile *profile;
    struct pty_port pty;
    bool has_pty;         /* unit tests run a modem without a port */
    at_sink_fn test_sink; /* where output goes when there is no port */
    void *test_sink_ud;
    struct at_engine engine;
    struct v250_settings v250;   /* active settings */
    struct v250_settings stored; /* the AT&W user profile */
    struct general_state general;
    struct general_settings gset;          /* the general commands' active settings */
    struct general_settings gset_stored;   /* ... and their AT&W profile */
    struct modem_identity ident;           /* IMEI, IMSI, ICCID of this modem (identity.h) */
    const struct service *const *services; /* NULL-terminated, from the program */
    size_t nservices;
    void **states; /* states[i] belongs to services[i] */
    enum modem_power power;
    bool autobaud_locked;  /* autobaud: output starts after the first "AT" */
    bool reset_ok_first;   /* autobaud reset: answer OK before going silent */
    uint8_t autobaud_prev; /* autobaud: the last byte seen before "AT" */
    long pace_rate;        /* [timing] pace: the rate the port runs at; 0: unpaced */
    long host_rate;        /* the host's line rate when it said (RFC 2217); 0: unknown */
    bool mute_line;        /* the client left mid-answer: drop the rest of that line's */
    ev_timer boot_timer;
    ev_timer cfun_timer; /* [timing] cfun_ms: AT+CFUN=0/1 answers when it ends */
    int boot_step;
    double boot_t0;
    unsigned fault_drop; /* bytes of output a line-noise fault drops */
};

#endif
