/* What command handlers and services say on the port, by V.250 line class
 * (information text, raw data, unsolicited result codes, the final result),
 * and how they end a pending command or open a data entry.  Framing (S3/S4,
 * ATV0/ATV1, ATQ1) is applied in one place, the engine's writer; handlers
 * never write "\r\n" themselves except through at_raw. */
#ifndef SIM800EMU_REPLY_H
#define SIM800EMU_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "at_engine.h"

struct modem;

void at_info(struct modem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void at_info_len(struct modem *m, const char *text, size_t len);
/* A length-prefixed data reply ("+HTTPREAD: <n>" then exactly n bytes, the
 * module's shape for HTTPREAD, HTTPHEAD, FTPGET=2, POP3READ…): the header
 * line as at_data_header frames it, the bytes as they are, and no line end
 * after them (the final result brings its own). */
void at_info_data(struct modem *m, const char *header, const void *data, size_t len);
/* The header line of a raw-data reply (+HTTPREAD: <n>, +CIPRXGET: 2,...),
 * framed as information text: "\r\n<text>\r\n", or "<text>\r\n" under ATV0
 * unless [at] v0_data_framing is off.  text NULL: only the leading CRLF
 * that opens a reply without a header (AT+FSREAD, AT+FSLS), which ATV0
 * drops. */
void at_data_header(struct modem *m, const char *text);
void at_raw(struct modem *m, const void *p, size_t n);
void at_urc(struct modem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void at_urc_data(struct modem *m, const char *text, const void *data, size_t len);
void at_urc_raw(struct modem *m, const void *p, size_t n);
/* The URCs that fell due while this command ran go out now, before its
 * final result, as the module prints them (AT+CFUN=0: "+CPIN: NOT READY"
 * then OK, captured); later ones wait for the line's end as usual. */
void at_urcs_now(struct modem *m);
/* Sends the line's final result now, before the handler's information text
 * (AT+CIPSTATUS prints OK first); the handler then returns AT_SILENT. */
void at_final_early(struct modem *m, int result);
/* Sets the text for an AT_TEXT verdict; returns AT_TEXT. */
int at_final_text(struct modem *m, const char *text);
/* Ends an AT_PENDING command with its verdict and resumes the line. */
void at_complete(struct modem *m, int result);
/* Opens a data entry; the handler then returns AT_PENDING. */
void at_begin_data(struct modem *m, const struct at_data_req *req);
/* Enters or leaves transparent mode (fn NULL leaves). */
void at_set_passthrough(struct modem *m, at_passthrough_fn fn, void *ud);
/* True while a command of m is pending. */
bool at_is_pending(const struct modem *m);

#endif
