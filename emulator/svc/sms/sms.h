/* The SMS service (SIM800 AT Command Manual V1.09 ch. 4): for now its
 * settings (AT+CMGF, AT+CSCS, AT+CNMI) and "SMS Ready"; the message store
 * and sending come with it (README "Adding a service"). */
#ifndef SIM800EMU_SMS_H
#define SIM800EMU_SMS_H

#include <stdbool.h>

#include "service.h"

/* What AT&W saves, ATZ restores and AT&F resets (AT&W_SAVE, manual §2.2.32). */
struct sms_settings {
    int cmgf; /* +CMGF: 0 PDU mode, 1 text mode */
    int cscs; /* +CSCS: index into the service's table of character sets */
};

struct sms_state {
    bool ready; /* "SMS Ready" was said: the SMS commands work */
    struct sms_settings active, stored;
};

extern const struct service sms_service;

#endif
