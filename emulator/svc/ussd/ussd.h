/* USSD (SIM800 AT Command Manual V1.09 §3.2.53 AT+CUSD; 3GPP TS 27.007
 * §7.15): requests the device sends, answered by the emulated network from
 * the profile's [ussd] answers or from answers set through the control
 * socket (README "USSD"), with menus (sessions) and network-initiated
 * messages. */
#ifndef SIM800EMU_USSD_H
#define SIM800EMU_USSD_H

#include <ev.h>
#include <stdbool.h>

#include "service.h"

#define USSD_ANSWERS_MAX 16
#define USSD_LOG_MAX 32

/* One answer: the request it answers ("*100#", or "*111#>1" for the reply
 * "1" inside the *111# menu), its text, and whether the network waits for a
 * reply (m = 1: further action required). */
struct ussd_answer {
    char key[40];
    char text[184]; /* 182 GSM characters are a USSD string's most */
    bool more;
};

struct ussd_state {
    int n;                                        /* AT+CUSD <n>: 1 shows results */
    bool session;                                 /* the network waits for the device's reply */
    char path[40];                                /* the menu's key so far ("*111#") */
    struct ussd_answer answers[USSD_ANSWERS_MAX]; /* set through the control socket */
    int nanswers;
    char log[USSD_LOG_MAX][40]; /* the device's requests, oldest first (a ring) */
    unsigned nlog;
    ev_timer timer; /* [timing] ussd_ms: the network's answer */
    char pending[400];
};

extern const struct service ussd_service;

#endif
