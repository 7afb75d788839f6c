/* The bearer profiles of AT+SAPBR (tcpip.md 5): what HTTP, FTP and mail run
 * over.  Independent bookkeeping from the CIP stack's CSTT/CIICR context,
 * over the same PDP address (tcpip.md 5, UNCERTAIN). */
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
    char contype[8];   /* "GPRS" or "CSD" */
    char apn[65];
    char user[33];
    char pwd[33];
    char phonenum[33];
    int rate;          /* CSD 0-3 */
};

struct bearer_state {
    struct bearer cids[BEARER_CIDS + 1]; /* index 1..3 */
    int opening;        /* the cid AT+SAPBR=1 is bringing up, or 0 */
    ev_timer open_timer;
};

struct modem;

void bearer_setup(struct modem *m); /* once, at modem creation */
void bearer_init(struct modem *m);   /* every profile closed, defaults */
void bearer_stop(struct modem *m);
/* True when AT+SAPBR=1,<cid> has brought the profile up. */
bool bearer_is_open(const struct modem *m, int cid);
/* The network dropped every context: "+SAPBR <cid>: DEACT" for open ones. */
void bearer_deact(struct modem *m);

extern const struct at_cmd_table cmd_bearer_table;

#endif
