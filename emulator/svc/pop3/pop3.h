/* The POP3 service of AT+POP3* (SIM800 AT Command Manual V1.09 §14.2.13-
 * 14.2.22; SSL Application Note §2.1, examples 3.3/3.4): the account and
 * the one session.  Shared settings (bearer, timeout, EMAILSSL) are
 * svc/email's. */
#ifndef SIM800EMU_POP3_H
#define SIM800EMU_POP3_H

#include "service.h"

#define POP3_SERVER_MAX 100
#define POP3_USER_MAX 50
#define POP3_PASS_MAX 50
#define POP3_READ_MAX 1460       /* AT+POP3READ <reqLength> 1-1460 */
#define POP3_BODY_MAX (4u << 20) /* a multi-line reply held for AT+POP3READ */

struct pop3_session;

struct pop3_state {
    char server[POP3_SERVER_MAX + 1];
    char user[POP3_USER_MAX + 1];
    char pass[POP3_PASS_MAX + 1];
    int port; /* 0: EMAILSSL's default, chosen at login */
    struct pop3_session *sess;
};

extern const struct service pop3_service;

static inline struct pop3_state *pop3_of(const struct modem *m)
{
    return modem_state(m, &pop3_service);
}

#endif
