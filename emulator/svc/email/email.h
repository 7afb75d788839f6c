/* The settings SMTP and POP3 share (AT+EMAILCID, AT+EMAILTO, AT+EMAILSSL;
 * SIM800 AT Command Manual V1.09 §14.2.1-14.2.2, SSL Application Note
 * §2.1): the bearer, the server timeout and the transport security, read by
 * svc/smtp and svc/pop3 through email_settings(). */
#ifndef SIM800EMU_EMAIL_H
#define SIM800EMU_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "linecli.h"
#include "tls.h"

#include "service.h"

enum email_ssl {
    EMAIL_SSL_OFF = 0,      /* plain */
    EMAIL_SSL_IMPLICIT = 1, /* TLS from the first byte (SMTPS 465, POP3S 995) */
    EMAIL_SSL_STARTTLS = 2, /* STARTTLS / STLS on the plain port (25, 110) */
};

struct email_state {
    int cid;       /* AT+EMAILCID, 1-3 */
    int timeout_s; /* AT+EMAILTO, 10-120 */
    int ssl;       /* AT+EMAILSSL, enum email_ssl */
    int user;      /* the enum email_user holding the mail stack, or 0 */
};

/* The module runs SMTP or POP3, not both at once (manual ch. 14). */
enum email_user { EMAIL_SMTP = 1, EMAIL_POP3 = 2 };

extern const struct service email_service;

/* Its profile keys (profile.h), each default in its row in svc_email.c. */
struct email_config {
    /* where the manual leaves the mail commands open (manual §12.2.14) */
    int attachments;    /* attachments one mail carries (AT+SMTPFILE); 1 as in the manual */
    int ft_max;         /* +SMTPFT: 1,<maxLength> */
    char ehlo[64];      /* the name in EHLO/HELO */
    bool rset_typo;     /* the manual's "+POP3REST: 0" for a refused AT+POP3RSET */
    bool pop3_read_raw; /* AT+POP3READ keeps the server's dot-stuffing */
    int read_repeat_s;  /* "+POP3READ: 3,<n>" again while data stays unread */
};

/* (Inline, so that a part's call reaches the seam, not svc_email.c.) */
static inline const struct email_config *email_config(const struct modem *m)
{
    return service_config(m, &email_service);
}

static inline const struct email_state *email_settings(const struct modem *m)
{
    return modem_state(m, &email_service);
}

/* The port used when AT+SMTPSRV / AT+POP3SRV named none: 25/465, 110/995. */
int email_default_port(const struct modem *m, bool pop3);

/* Takes the mail stack for who; false while the other one holds it.
 * svc/email's reset frees it. */
bool email_claim(struct modem *m, enum email_user who);
void email_release(struct modem *m, enum email_user who);

/* Whether the mail bearer (AT+EMAILCID) is open. */
bool email_bearer_open(const struct modem *m);

/* Opens the line-protocol session SMTP or POP3 runs on: to server at port
 * (0: the EMAILSSL mode's default), TLS from the first byte under
 * EMAILSSL=1, the modem's TLS choice kept in *tls (it must outlive the
 * session), EMAILTO as connect and reply timeout, tagged for the trace and
 * fault rules.  max_body 0: linecli's default. */
struct linecli *email_session_open(struct modem *m, bool pop3, const char *server, int port,
                                   size_t max_body, struct tls_choice *tls,
                                   const struct linecli_handlers *h, void *ud);

#endif
