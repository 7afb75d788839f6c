/* One send of AT+SMTPSEND: the ESMTP dialogue of the mail composed in the
 * service's state (smtp.h), ending in +SMTPSEND: <code>; the commands of
 * svc_smtp.c start it, feed it attachments and end it. */
#ifndef SIM800EMU_SMTP_CLIENT_H
#define SIM800EMU_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct modem;
struct smtp_send;

/* Starts the send of the mail composed (st->active is it until the URC). */
void smtp_send_start(struct modem *m);
void smtp_send_free(struct smtp_send *s);
/* Ended: its URC is on its way. */
bool smtp_send_over(const struct smtp_send *s);
/* +SMTPFT: 1 was given: AT+SMTPFT may send a chunk of the attachment. */
bool smtp_send_file_ready(const struct smtp_send *s);
/* AT+SMTPFT=<n> took its turn: the next +SMTPFT: 1 comes after its data. */
void smtp_send_file_chunk_begins(struct smtp_send *s);
/* A chunk of the attachment; -1 when no attachment is being sent. */
int smtp_send_file_data(struct smtp_send *s, const uint8_t *data, size_t len);
/* AT+SMTPFT=0: this attachment is complete; the next one, or the end. */
void smtp_send_file_done(struct smtp_send *s);
/* The bearer under it went away: it ends with 61. */
void smtp_send_bearer_lost(struct smtp_send *s);
/* Every verb the dialogue sends, NULL-terminated (the fault layer's). */
extern const char *const smtp_client_verbs[];

#endif
