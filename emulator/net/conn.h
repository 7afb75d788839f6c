/* One connection type for every service: TCP or UDP, plain or TLS, on the
 * event loop (after Redis's connection.h).  Callers never know which kind
 * they hold.
 *
 * Contracts:
 * - conn_open() never fails synchronously: a failure to resolve, connect or
 *   shake hands arrives through handlers.failed, exactly once, from the loop.
 * - No conn_* call ever calls a handler; handlers run from the loop only.
 *   A handler may conn_free() its own conn.
 * - conn_read() works like read(2) on a non-blocking socket, except that 0
 *   means "nothing now" and -1 means the connection ended; conn_error()
 *   then says how (NET_ECLOSED for an orderly close).  Bytes decrypted but
 *   not yet read are served without waiting for the socket.
 * - conn_write() queues every byte (nothing is dropped); handlers.sent runs
 *   when the queue has drained into the kernel.  UDP sends one datagram per
 *   call. */
#ifndef SIM800EMU_CONN_H
#define SIM800EMU_CONN_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "net.h"
#include "tls.h"

struct conn;

struct conn_handlers {
    void (*connected)(struct conn *c, void *ud);  /* established (TLS done too), or upgraded */
    void (*readable)(struct conn *c, void *ud);   /* conn_read() has something, or the end */
    void (*sent)(struct conn *c, void *ud);       /* the write queue is empty; may be NULL */
    void (*failed)(struct conn *c, void *ud, enum net_err err); /* dead; free it */
};

enum conn_kind { CONN_TCP, CONN_UDP };

enum conn_state {
    CONN_RESOLVING,
    CONN_CONNECTING,
    CONN_HANDSHAKING,
    CONN_CONNECTED,
    CONN_CLOSED, /* the peer ended it; unread data may remain in the service */
    CONN_FAILED,
};

struct conn_params {
    enum conn_kind kind;
    const char *host;       /* as the client wrote it: a name or an address */
    int port;
    bool tls;
    const struct tls_choice *tls_choice; /* with tls; copied, need not outlive the call */
    double timeout_s;       /* resolve + connect + handshake */
    int local_port;         /* 0: any */
    int trace_id;           /* modem id for the trace */
    bool direct;            /* host is an address net_resolve() gave: skip map and sandbox */
};

struct conn *conn_open(const struct conn_params *p, const struct conn_handlers *h, void *ud);

/* Upgrades a connected plain TCP conn to TLS (STARTTLS, STLS, AUTH TLS);
 * handlers.connected runs again when done, handlers.failed if not. */
void conn_start_tls(struct conn *c, const struct tls_choice *choice, const char *host);

ssize_t conn_read(struct conn *c, void *buf, size_t n);
void conn_write(struct conn *c, const void *p, size_t n);
size_t conn_unsent(const struct conn *c);

/* Stops taking bytes from the socket (back-pressure), or resumes. */
void conn_pause_reading(struct conn *c, bool pause);

/* SO_KEEPALIVE with idle/interval/count in seconds (AT+CIPTKA). */
void conn_set_keepalive(struct conn *c, bool on, int idle, int interval, int count);

/* Closes and frees; abortive sends a TCP RST.  No handler runs afterwards. */
void conn_free(struct conn *c, bool abortive);

/* From now on (the program is stopping), conn_free() closes every
 * established TCP connection in order, abortive or not: queued bytes, TLS
 * close_notify, FIN, waiting at most `seconds` in all before it aborts the
 * rest with a reset.  0 turns it off. */
void conn_close_orderly(double seconds);

enum conn_state conn_state(const struct conn *c);
enum net_err conn_error(const struct conn *c);
bool conn_is_tls(const struct conn *c);
/* The address connected to, as text ("127.0.0.1"); "" before that. */
const char *conn_peer_address(const struct conn *c);
/* A one-line reason for the trace. */
const char *conn_error_detail(const struct conn *c);

#endif
