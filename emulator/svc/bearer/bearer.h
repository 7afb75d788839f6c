/* The bearer profiles of AT+SAPBR (SIM800 AT Command Manual V1.09 §9.2.1): what HTTP, FTP and mail
 * run over.  Independent bookkeeping from the CIP stack's CSTT/CIICR context, over the same PDP
 * address (our choice where the manual is silent). */
#ifndef SIM800EMU_BEARER_H
#define SIM800EMU_BEARER_H

#include <ev.h>
#include <stdbool.h>

#define BEARER_CIDS 3 /* <cid> 1-3 */

enum bearer_status {
    BEARER_CONNECTING = 0,
    BEARER_CONNECTED = 1,
    BEARER_CLOSING = 2,
    BEARER_CLOSED = 3,
};

struct bearer {
    enum bearer_status status;
    char contype[8]; /* "GPRS" or "CSD" */
    char apn[65];
    char user[33];
    char pwd[33];
    char phonenum[33];
    int rate; /* CSD 0-3 */
};

struct bearer_state {
    struct bearer cids[BEARER_CIDS + 1]; /* index 1..3 */
    int opening;                         /* the cid AT+SAPBR=1 is bringing up, or 0 */
    ev_timer open_timer;
};

#include "service.h"

extern const struct service bearer_service;

static inline struct bearer_state *bearer_of(const struct modem *m)
{
    return modem_state(m, &bearer_service);
}

/* True when AT+SAPBR=1,<cid> has brought the profile up. */
bool bearer_is_open(const struct modem *m, int cid);

#endif
