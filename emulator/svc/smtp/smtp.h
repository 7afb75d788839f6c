/* The SMTP service of AT+SMTP* (SIM800 AT Command Manual V1.09 §14.2.3-
 * 14.2.12): the mail being composed and the send in flight.  The shared
 * settings (bearer, timeout, EMAILSSL) are svc/email's. */
#ifndef SIM800EMU_SMTP_H
#define SIM800EMU_SMTP_H

#include <ev.h>
#include <stdbool.h>

#include "service.h"
#include "util.h"

#define SMTP_SERVER_MAX 100 /* +SMTPSRV: <smtpServerLength> */
#define SMTP_USER_MAX 50
#define SMTP_PASS_MAX 50
#define SMTP_ADDR_MAX 100
#define SMTP_NAME_MAX 60
#define SMTP_SUB_MAX 200    /* characters; hex digits when the charset is not ASCII */
#define SMTP_BODY_MAX 65535 /* bytes (hex digits when not ASCII) */
#define SMTP_FILE_MAX 60
#define SMTP_CS_MAX 20
#define SMTP_RCPT_TYPES 3    /* TO, CC, BCC */
#define SMTP_RCPT_INDEXES 10 /* <index> 0-9 per type */
#define SMTP_FILES_MAX 10    /* [email] attachments: 1 (the manual) to 10 */

struct smtp_rcpt {
    bool used;
    char addr[SMTP_ADDR_MAX + 1];
    char name[SMTP_NAME_MAX + 1];
};

struct smtp_file {
    int type; /* 1 text, 2 binary */
    char name[SMTP_FILE_MAX + 1];
    int encode; /* 0 7bit, 1 base64 */
};

struct smtp_send;

struct smtp_state {
    char server[SMTP_SERVER_MAX + 1];
    int port; /* 0: EMAILSSL's default, chosen when the mail is sent */
    int auth_type;
    char user[SMTP_USER_MAX + 1];
    char pass[SMTP_PASS_MAX + 1];
    char from_addr[SMTP_ADDR_MAX + 1];
    char from_name[SMTP_NAME_MAX + 1];
    struct smtp_rcpt rcpt[SMTP_RCPT_TYPES][SMTP_RCPT_INDEXES];
    char subject[SMTP_SUB_MAX + 1];
    struct bytebuf body;
    struct smtp_file files[SMTP_FILES_MAX]; /* AT+SMTPFILE, in order */
    int nfiles;
    char charset[SMTP_CS_MAX + 1];
    struct smtp_send *active;
    char ft_prompt[32];
};

extern const struct service smtp_service;

static inline struct smtp_state *smtp_of(const struct modem *m)
{
    return modem_state(m, &smtp_service);
}

/* AT+SMTPCS: ASCII (the default) takes the subject and body as they are;
 * any other charset takes them as hex digits (manual §14.2.12). */
static inline bool smtp_charset_ascii(const struct smtp_state *st)
{
    return !st->charset[0] || ascii_ieq(st->charset, "ASCII") || ascii_ieq(st->charset, "US-ASCII");
}

#endif
