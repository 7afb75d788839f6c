/* One emulated module: its serial port, AT engine, settings, the general
 * commands' state, and the state of each of its services (service.h), which
 * the modem allocates but never looks into.  Nothing per modem is global, so
 * N modems share one event loop in one process. */
#ifndef SIM800EMU_MODEM_H
#define SIM800EMU_MODEM_H

#include <ev.h>
#include <stdbool.h>

#include "at_engine.h"
#include "general.h"
#include "identity.h"
#include "profile.h"
#include "pty.h"
#include "service.h"
#include "v250.h"

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
    struct modem_identity ident;           /* IMEI, IMSI, ICCID of this modem (identity.h) */
    const struct service *const *services; /* NULL-terminated, from the program */
    size_t nservices;
    void **states; /* states[i] belongs to services[i] */
    enum modem_power power;
    bool autobaud_locked;  /* autobaud: output starts after the first "AT" */
    bool reset_ok_first;   /* autobaud reset: answer OK before going silent */
    uint8_t autobaud_prev; /* autobaud: the last byte seen before "AT" */
    long pace_rate;        /* [timing] pace: the rate the port runs at; 0: unpaced */
    bool mute_line;        /* the client left mid-answer: drop the rest of that line's */
    ev_timer boot_timer;
    int boot_step;
    double boot_t0;
    unsigned fault_drop; /* bytes of output a line-noise fault drops */
};

/* Creates a modem running services (NULL-terminated; they must outlive it)
 * on a new PTY (link may be NULL).  Returns NULL and a message in err on
 * failure. */
struct modem *modem_create(int id, struct ev_loop *loop, const struct profile *profile,
                           const struct service *const *services, const char *link, char *err,
                           size_t errlen);

/* Creates a modem without a PTY whose output goes to sink (fuzzing, tests). */
struct modem *modem_create_detached(int id, struct ev_loop *loop, const struct profile *profile,
                                    const struct service *const *services, at_sink_fn sink,
                                    void *ud);

void modem_destroy(struct modem *m);

/* Host bytes in (the PTY calls this). */
void modem_input(struct modem *m, const uint8_t *p, size_t n);
/* Bytes written to the port that the client has not read yet. */
size_t modem_output_backlog(const struct modem *m);
/* True while the client has so much unread that no new command may start. */
bool modem_output_full(const struct modem *m);
/* Publishes MODEM_EV_PORT_DRAINED once the client has read them all. */
void modem_want_drain(struct modem *m);

const char *modem_port_path(const struct modem *m);

/* --- boot.c --- */

/* Starts the power-on sequence of URCs (SIM800 AT Command Manual V1.09 §19.3). */
void boot_start(struct modem *m);
/* AT+CFUN=1,1: silence, then (fixed baud) the pending OK and a new boot. */
void boot_reset(struct modem *m);
/* AT+CPOWD: off for good. */
void boot_power_off(struct modem *m);
/* A reboot nobody asked for (brown-out, watchdog; a fault): state lost as at
 * power-on, silence for reset_ms, then the boot URCs again. */
void boot_reboot(struct modem *m);
/* Line noise: bytes that reach the port at once, past the writer. */
void modem_noise(struct modem *m, const uint8_t *p, size_t n);
void boot_stop(struct modem *m);

/* --- cmd_general.c --- */
void general_init(struct modem *m);
/* The SIM became ready (boot, CFUN=1, correct PIN): camp on the network. */
void general_sim_ready(struct modem *m);
/* Reports a missing SIM (+CPIN: NOT INSERTED, and +CSMINS when enabled). */
void general_sim_absent(struct modem *m);
/* Registration changed; prints +CREG/+CGREG URCs as enabled. */
void general_set_registered(struct modem *m, bool registered);

extern const struct at_cmd_table cmd_v250_table;
extern const struct at_cmd_table cmd_general_table;
extern const struct at_cmd_table cmd_ident_table;
extern const struct at_cmd_table cmd_network_table;

#endif
