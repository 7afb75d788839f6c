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

#include <stddef.h>

struct modem;
struct at_cmd_table;

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
};

/* The state of service s in modem m (NULL if m does not run s). */
void *modem_state(const struct modem *m, const struct service *s);

/* Tells every service of m about ev, in the services' order. */
void modem_publish(struct modem *m, enum modem_event ev, int arg);

/* Resets every service of m, in the services' order. */
void modem_reset_services(struct modem *m, enum service_reset why);

#endif
