/* The seam between a modem and its AT services (after oFono's atoms).
 *
 * A service is one AT command family with the state it owns: TCP/IP, the
 * SAPBR bearers, HTTP, the flash file system, SSL, and the services to come.
 * The modem knows services only through this interface: it allocates each
 * one's state, adds its command tables to the engine, and tells it about
 * resets and module events.  The program lists its services in one array
 * (app/services.c); adding a service is a new folder and one line there.
 *
 * Module events are published once (modem_publish) and every service that
 * cares reacts, in the array's order: a service never calls another one to
 * tell it something happened. */
#ifndef SIM800EMU_SERVICE_H
#define SIM800EMU_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct modem;
struct at_cmd_table;
struct profile;
struct profile_section;

/* Why a service is being reset. */
enum service_reset {
    SERVICE_POWER_CYCLE, /* AT+CFUN=1,1: the state a power-on gives */
    SERVICE_POWER_OFF,   /* AT+CPOWD: every connection dropped, no URCs */
    SERVICE_DESTROY,     /* the modem goes away: free everything */
};

/* What happens to the module that services may need to hear about. */
enum modem_event {
    /* The network took the PDP context down (AT+CGATT=0, AT+CFUN=0/4, a
     * fault): services over it print their URCs and drop their links. */
    MODEM_EV_PDP_DEACT,
    /* An AT+SAPBR bearer closed; arg is its cid, 0 for all of them. */
    MODEM_EV_BEARER_CLOSED,
    /* The client has read everything written to the port. */
    MODEM_EV_PORT_DRAINED,
    /* The SIM's SMS part is ready (arg 1: at boot, after AT+CPIN or
     * AT+CFUN=1; the SMS service prints "SMS Ready") or gone (arg 0:
     * AT+CFUN=0). */
    MODEM_EV_SMS_READY,
    /* The module can make and take calls (arg 1: at boot, after AT+CPIN
     * or AT+CFUN=1; the call service prints "Call Ready" under AT+CIURC=1)
     * or no longer can (arg 0: AT+CFUN=0). */
    MODEM_EV_CALL_READY,
};

/* How a line protocol's server answers (a reply-to= rule's reply= must
 * read as one). */
enum service_reply_style {
    SERVICE_REPLY_NONE,    /* not a line protocol: no reply-to= */
    SERVICE_REPLY_NUMERIC, /* FTP, SMTP: "NNN text" */
    SERVICE_REPLY_POP3,    /* "+OK text" or "-ERR text" */
};

/* A kind of connection a service opens (README "Fault injection"): fault
 * rules name it by tag, and a reply-to= rule by one of the verbs the
 * service sends on it.  A rule that could match none of these is refused
 * when it is added. */
struct service_conn {
    const char *tag; /* conn_params.tag: "ftp", "ftp-data" */
    enum service_reply_style style;
    const char *const *verbs; /* NULL-terminated; NULL: none */
};

/* What AT&W, ATZ and AT&F do to a service's saved settings (the manual's
 * "AT&W_SAVE" parameters). */
enum service_settings {
    SERVICE_SETTINGS_SAVE,    /* AT&W: the active values become the stored ones */
    SERVICE_SETTINGS_RESTORE, /* ATZ, a power cycle: the stored ones become active */
    SERVICE_SETTINGS_FACTORY, /* AT&F: the factory values become active, and stored too
                               * under [at] factory_resets_saved (m->profile) */
};

/* A control-socket request a service answers: "NAME MODEM [ARGS]".  The
 * seam finds the modem; run writes "ok ..." or "error ..." (one line, no
 * newline) into reply. */
struct service_verb {
    const char *name;  /* the request's first word: "netlight" */
    const char *usage; /* for help: "netlight MODEM" */
    void (*run)(struct modem *m, void *state, const char *args, struct bytebuf *reply);
};

struct service {
    const char *name; /* "tcpip": for the trace and fault rules */
    /* The connections it opens, ended by a row with a NULL tag; NULL: none. */
    const struct service_conn *conns;
    /* Its command tables, NULL-terminated; NULL for none. */
    const struct at_cmd_table *const *tables;
    size_t state_size; /* bytes of state per modem, zeroed before init */
    /* Once, when the modem is created; -1 with a message fails the creation. */
    int (*init)(struct modem *m, void *state, char *err, size_t errlen);
    /* May be NULL. */
    void (*reset)(struct modem *m, void *state, enum service_reset why);
    /* May be NULL. */
    void (*event)(struct modem *m, void *state, enum modem_event ev, int arg);
    /* Its AT&W_SAVE settings; may be NULL.  settings_show: their lines in
     * AT&V's list ("\r\n+CMGF: 1"); may be NULL. */
    void (*settings)(struct modem *m, void *state, enum service_settings op);
    void (*settings_show)(const struct modem *m, const void *state, struct bytebuf *out);
    /* Its part of the control socket's `status`: JSON members, each with a
     * leading comma (",\"netlight\":\"64/3000\""); may be NULL. */
    void (*status)(const struct modem *m, const void *state, struct bytebuf *out);
    /* Its control-socket requests, ended by a row with a NULL name; NULL: none. */
    const struct service_verb *verbs;
    /* Its profile keys, with their defaults, read into a struct of its own
     * (service_config); NULL: none. */
    const struct profile_section *profile;
};

/* Loads a profile (profile_load) with the keys of every service of
 * services (NULL-terminated). */
int service_profile_load(struct profile *p, const struct service *const *services,
                         const char *name_or_path, const char *dir, char *err, size_t errlen);

/* The struct that service s's profile keys were read into, for m's profile
 * (never NULL for a service of m with keys: modem creation checks). */
const void *service_config(const struct modem *m, const struct service *s);

/* The state of service s in modem m (NULL if m does not run s). */
void *modem_state(const struct modem *m, const struct service *s);

/* Tells every service of m about ev, in the services' order. */
void modem_publish(struct modem *m, enum modem_event ev, int arg);

/* Resets every service of m, in the services' order. */
void modem_reset_services(struct modem *m, enum service_reset why);

/* AT&W, ATZ, AT&F and a power cycle, told to every service in turn. */
void modem_settings_services(struct modem *m, enum service_settings op);

/* Every service's AT&V lines (struct service.settings_show), in order. */
void modem_settings_show(const struct modem *m, struct bytebuf *out);

/* Every service's status members (struct service.status), in order. */
void modem_status_services(const struct modem *m, struct bytebuf *out);

/* For a verb's run: the value of the word key=VALUE in args (a word of its
 * own; VALUE may be quoted, with \" and \\ inside), copied into out (at most
 * cap - 1 bytes); NULL when args has no such word. */
const char *service_arg(const char *args, const char *key, char *out, size_t cap);

/* For a verb's run: true when every word of args is key=VALUE with a key
 * of keys (NULL-terminated); else false with the first other word (cut to
 * cap - 1 bytes) in bad, so that a mistyped key is refused, never ignored. */
bool service_args_known(const char *args, const char *const *keys, char *bad, size_t cap);

/* For a verb's run: "ok [...]" with the last entries of a ring of strings
 * (count ever written, max kept, each stride bytes) as a JSON array, oldest
 * first. */
void service_log_json(struct bytebuf *reply, const char *ring, size_t stride, unsigned count,
                      unsigned max);

/* The verb called name of one of m's services, and that service's state;
 * NULL when none has it. */
const struct service_verb *modem_service_verb(const struct modem *m, const char *name,
                                              void **state);

#endif
