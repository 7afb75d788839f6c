/* The one writer of a modem's serial output.  Every byte the host sees
 * leaves through here, framed by V.250 line class (oFono gatserver):
 * information text, final result codes, unsolicited result codes and raw
 * data.  V0/V1, Q and +CMEE are applied here and nowhere else; handlers
 * never write "\r\n".
 *
 * While a command line is open (set_hold), URCs are queued whole and sent
 * after its final result, so no response is ever split by a URC. */
#ifndef SIM800EMU_AT_WRITER_H
#define SIM800EMU_AT_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct v250_settings;

typedef void (*at_sink_fn)(void *ud, const uint8_t *p, size_t n);

/* Final results.  Non-negative values below AT_CME_BASE are V.250 result
 * codes; the others are the engine's verdicts. */
enum {
    AT_OK = 0,
    AT_ERROR = 4,    /* V.250 numeric code of ERROR */
    AT_PENDING = -1, /* the handler will call at_complete() later */
    AT_SILENT = -2,  /* success, but no final result of its own (AT+CIFSR) */
    AT_TEXT = -3,    /* the final is the text given to at_final_text() */
};
#define AT_CME_BASE 0x10000
#define AT_CMS_BASE 0x20000
#define AT_CME(n) (AT_CME_BASE + (n))
#define AT_CMS(n) (AT_CMS_BASE + (n))

struct at_writer {
    at_sink_fn sink;
    void *sink_ud;
    const struct v250_settings *v250;
    bool hold;           /* a command line is open: queue URCs */
    bool quiet_urcs;     /* ATQ1 suppresses text URCs too ([at] quiet_urcs) */
    struct bytebuf held; /* framed URCs waiting for the final result */
};

void at_writer_init(struct at_writer *w, const struct v250_settings *v250, at_sink_fn sink,
                    void *ud);
void at_writer_free(struct at_writer *w);

/* Information text, one frame: "\r\n<text>\r\n" (V1) or "<text>\r\n" (V0).
 * Text with several lines separates them with "\r\n" itself. */
void at_writer_info(struct at_writer *w, const char *text, size_t len);

/* Bytes exactly as given (echo, prompts, payloads). */
void at_writer_raw(struct at_writer *w, const void *p, size_t n);

/* A final result: AT_OK, AT_ERROR, AT_CME(n), AT_CMS(n), or AT_TEXT with
 * text (e.g. "SHUT OK", "NO CARRIER").  Nothing under ATQ1. */
void at_writer_final(struct at_writer *w, int result, const char *text);

/* An unsolicited result code framed as information text, optionally followed
 * by raw payload bytes that travel with it as one unit (+RECEIVE). */
void at_writer_urc(struct at_writer *w, const char *text, size_t len, const void *data,
                   size_t dlen);

/* Raw bytes with URC timing: queued while the hold is on (pushed TCP data
 * in single-connection mode has no framing at all). */
void at_writer_urc_raw(struct at_writer *w, const void *p, size_t n);

/* Opens or closes the hold; closing sends the queued URCs in order. */
void at_writer_set_hold(struct at_writer *w, bool hold);
/* Sends the queued URCs now and keeps the hold on: a command whose URCs
 * come before its final result (AT+CFUN=0). */
void at_writer_flush_held(struct at_writer *w);

/* Text of a +CME ERROR code as SIM800 manual 19.1 prints it, or NULL. */
const char *at_cme_text(int code);
/* Text of a +CMS ERROR code as SIM800 manual 19.2 prints it, or NULL. */
const char *at_cms_text(int code);

#endif
