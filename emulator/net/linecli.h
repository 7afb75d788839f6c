/* A client for the line protocols (FTP, SMTP, POP3), after curl's
 * pingpong.c: send one command, collect its reply, then the next.
 *
 *   FTP / SMTP (LINECLI_NUMERIC): "250 ok", or multi-line "250-a" ... "250 z".
 *     A multi-line reply ends at the first line that starts with the same
 *     three digits and a space (or is just them); the lines between may
 *     start with anything (RFC 959 4.2: "150-" ... "123 not the end" ...
 *     "150 done").
 *   POP3 (LINECLI_POP3): "+OK ..." or "-ERR ..." (and a SASL "+ ..."
 *     continuation, which counts as ok); with LINECLI_BODY, after a +OK, the
 *     dot-terminated body: dot-unstuffed, the terminator removed, every byte
 *     kept except that lines end at CRLF.
 *
 * The greeting is the first reply: it arrives through handlers.reply with
 * no command sent.
 *
 * Contracts (those of conn.h):
 * - linecli_open() never fails synchronously: a failure arrives through
 *   handlers.failed, exactly once, from the loop; the linecli is dead then
 *   (the conn is gone) and the owner linecli_free()s it.
 * - No linecli_* call ever calls a handler; handlers run from the loop only.
 *   A handler may linecli_free() its linecli, and handlers.reply may send the
 *   next command.
 * - One reply is awaited at a time: linecli_send() and linecli_await() return
 *   -1 while one is awaited (or before the greeting came, or once dead).
 * - Every buffer is bounded (linecli_params.max_*): a server sending an
 *   endless line, an endless reply or an endless body fails with NET_EPROTO,
 *   never grows memory without limit.  A server sending nothing for
 *   reply_timeout_s while a reply is awaited fails with NET_ETIMEOUT.
 * - Bytes the server sends while no reply is awaited (an unsolicited
 *   "421 closing") are kept, bounded, and read as the next reply; the server
 *   closing then fails with NET_ECLOSED. */
#ifndef SIM800EMU_LINECLI_H
#define SIM800EMU_LINECLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "net.h"
#include "tls.h"

struct linecli;

enum linecli_style { LINECLI_NUMERIC, LINECLI_POP3 };

/* linecli_send() / linecli_await() flags. */
#define LINECLI_BODY                                                                               \
    1u /* POP3: a +OK is followed by a dot-terminated body (RETR, LIST, UIDL, TOP) */
#define LINECLI_STREAM                                                                             \
    4u /* with LINECLI_BODY: handlers.reply comes with the +OK line (body empty), then             \
        * handlers.body with the body's lines as they arrive, the last call with end */
#define LINECLI_CONTINUATION                                                                       \
    2u /* a SASL response line (base64), not a command: it has no verb, and no reply fault         \
        * matches it */

struct linecli_reply {
    int code;         /* LINECLI_NUMERIC: 100..599; LINECLI_POP3: 0 */
    bool ok;          /* NUMERIC: code < 400; POP3: +OK (or a "+ " continuation) */
    const char *text; /* every line of the reply as received, code prefixes included, CR LF
                       * removed, joined by "\n"; NUL-terminated */
    size_t text_len;
    const uint8_t *body; /* with LINECLI_BODY after a +OK: the body, lines ending in CRLF
                          * ("" and 0 otherwise); not NUL-terminated */
    size_t body_len;
};

/* Everything a reply points into lives until the handler returns. */
struct linecli_handlers {
    void (*reply)(struct linecli *lc, void *ud, const struct linecli_reply *r);
    void (*failed)(struct linecli *lc, void *ud, enum net_err err); /* dead; free it */
    void (*upgraded)(struct linecli *lc, void *ud); /* linecli_start_tls() done; may be NULL */
    /* LINECLI_STREAM: whole body lines, dot-unstuffed, CRLF kept; end: the
     * terminator came (the reply is over; n may be 0).  May be NULL. */
    void (*body)(struct linecli *lc, void *ud, const uint8_t *p, size_t n, bool end);
};

struct linecli_params {
    struct conn_params conn; /* where and how (tls: implicit TLS, FTPS port 990, SMTPS 465) */
    enum linecli_style style;
    double reply_timeout_s; /* silence allowed while a reply is awaited; 0: 60 */
    size_t max_line;        /* longest status line, CR LF included; 0: 8192 */
    size_t max_reply;       /* all lines of one reply together; 0: 65536 */
    size_t max_body;        /* a POP3 body; 0: 4 MiB */
};

struct linecli *linecli_open(const struct linecli_params *p, const struct linecli_handlers *h,
                             void *ud);

/* Sends one command (CR LF appended; a command of more than 1024 bytes is
 * refused) and awaits its reply.  flags: LINECLI_BODY or 0.  -1 when a reply
 * is still awaited, the greeting has not come, or the linecli is dead. */
int linecli_send(struct linecli *lc, unsigned flags, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Awaits another reply without sending anything: FTP's final reply after a
 * 1xx ("150 opening" ... "226 done"), SMTP's after the DATA payload was
 * written with linecli_write().  -1 as linecli_send(). */
int linecli_await(struct linecli *lc, unsigned flags);

/* Writes raw bytes (an SMTP DATA payload, already dot-stuffed); awaits
 * nothing.  Ignored once dead. */
void linecli_write(struct linecli *lc, const void *p, size_t n);

/* Upgrades in place between commands (after "220 Ready to start TLS",
 * "+OK Begin TLS", "234 AUTH TLS ok"): handlers.upgraded runs when done,
 * handlers.failed if the handshake fails.  -1, changing nothing, while a
 * reply is awaited, when bytes follow the go-ahead reply (they would be
 * taken for TLS: CVE-2011-0411), or as conn_start_tls().  verify_name: as
 * conn_start_tls(). */
int linecli_start_tls(struct linecli *lc, const struct tls_choice *choice, const char *verify_name);

/* Sends quit_cmd ("QUIT"; NULL: nothing), then closes after the write
 * queue drains (conn_close_after_flush()) without waiting for the reply, and
 * frees lc.  No handler runs afterwards. */
void linecli_quit(struct linecli *lc, const char *quit_cmd);

/* Closes at once and frees; no handler runs afterwards.  NULL is fine. */
void linecli_free(struct linecli *lc);

/* Back-pressure for a streamed body: stops (or resumes) taking bytes from
 * the server; the reply timeout does not run meanwhile. */
void linecli_pause(struct linecli *lc, bool pause);

/* Protocol-reply faults (README "Fault injection", reply-to=): the hook is
 * asked before each command goes out, with the command's verb (its first
 * word, upper case: "AUTH", "PBSZ", "STLS"; "." for SMTP's end of data).
 * When it fills reply (one line, no CR LF) the command is not sent and the
 * reply is read as if the server had sent it, through the same parser, so
 * the owner's own code path turns it into the module's code. */
struct linecli_fault_subject {
    int modem; /* conn_params.trace_id */
    const char *tag;
    const char *host;
    int port;
    const char *verb;
};
typedef bool (*linecli_fault_hook_fn)(const struct linecli_fault_subject *s, char *reply,
                                      size_t cap);
void linecli_set_fault_hook(linecli_fault_hook_fn fn);

/* The conn underneath (conn_tls_session(), conn_tag(), conn_peer_address());
 * NULL once dead.  Its handlers belong to the linecli. */
struct conn *linecli_conn(struct linecli *lc);
/* Whether a reply is awaited. */
bool linecli_busy(const struct linecli *lc);
/* After handlers.failed: why, for the trace. */
const char *linecli_error_detail(const struct linecli *lc);

#endif
