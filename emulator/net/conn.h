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
 *   call.
 * - TLS sessions: conn_tls_session() hands out the session to resume, and
 *   conn_params.resume offers one; the server decides, conn_tls_resumed()
 *   tells.  With TLS 1.3 the resumable session (the ticket) arrives after
 *   the handshake, with the first bytes read: ask after the peer has said
 *   something (FTPS: after the reply to PROT), not in handlers.connected.
 *   A resumed handshake does not check the certificate again: offer a
 *   session only to the server it came from, with the same tls_choice and
 *   verify_name. */
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
    void (*connected)(struct conn *c, void *ud); /* established (TLS done too), or upgraded */
    void (*readable)(struct conn *c, void *ud);  /* conn_read() has something, or the end */
    void (*sent)(struct conn *c, void *ud);      /* the write queue is empty; may be NULL */
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

#define CONN_TAG_MAX 24
/* conn_close_after_flush(): seconds without progress before it aborts. */
#define CONN_CLOSE_BOUND_S 5.0

struct conn_params {
    enum conn_kind kind;
    const char *host; /* as the client wrote it: a name or an address */
    int port;
    bool tls;
    const struct tls_choice *tls_choice; /* with tls; copied, need not outlive the call */
    double timeout_s;                    /* resolve + connect + handshake */
    int local_port;                      /* 0: any */
    int trace_id;                        /* modem id for the trace */
    bool direct;             /* host is an address net_resolve() gave: skip map and sandbox */
    const char *verify_name; /* the name the certificate must carry and SNI sends; NULL:
                              * host (a passive FTP data channel goes to an address but
                              * checks the control connection's name) */
    SSL_SESSION *resume;     /* a session to offer (conn_tls_session() of another conn);
                              * NULL: none.  conn_open() takes its own reference */
    const char *tag;         /* what the conn is for ("ftp-data", "smtp"), in the trace and
                              * for conn_tag(); NULL: "conn"; copied, at most 23 bytes */
};

struct conn *conn_open(const struct conn_params *p, const struct conn_handlers *h, void *ud);

/* Upgrades a connected plain TCP conn to TLS (STARTTLS, STLS, AUTH TLS),
 * verifying verify_name (NULL: the one conn_open() had, else its host) and
 * offering conn_params.resume if there was one; handlers.connected runs
 * again when done, handlers.failed if not.  Returns -1, changing nothing,
 * when the conn is not a connected plain TCP conn or when bytes would mix
 * with the handshake: the write queue is not empty, or the peer's bytes wait
 * unread in the socket (read the go-ahead reply, and nothing after it,
 * first). */
int conn_start_tls(struct conn *c, const struct tls_choice *choice, const char *verify_name);

ssize_t conn_read(struct conn *c, void *buf, size_t n);
void conn_write(struct conn *c, const void *p, size_t n);
size_t conn_unsent(const struct conn *c);

/* Stops taking bytes from the socket (back-pressure), or resumes. */
void conn_pause_reading(struct conn *c, bool pause);

/* SO_KEEPALIVE with idle/interval/count in seconds (AT+CIPTKA); -1 with
 * errno when the kernel refuses one of them. */
int conn_set_keepalive(struct conn *c, bool on, int idle, int interval, int count);
/* What the kernel holds for the socket: 1 with the three values when
 * keepalive is on, 0 when off, -1 when it cannot be read (no TCP socket). */
int conn_keepalive(const struct conn *c, int *idle, int *interval, int *count);

/* Closes and frees; abortive sends a TCP RST.  No handler runs afterwards. */
void conn_free(struct conn *c, bool abortive);

/* Closes once everything queued is written (QUIT, the end of an upload):
 * then TLS close_notify, then FIN; what the peer still sends is read and
 * dropped until it closes too, and the conn frees itself.  Without progress
 * for CONN_CLOSE_BOUND_S seconds it aborts (RST).  No handler runs
 * afterwards and the caller must not use c again, as after conn_free().
 * Also fine while the conn is still connecting: the queue goes out first. */
void conn_close_after_flush(struct conn *c);

/* From now on (the program is stopping), conn_free() closes every
 * established TCP connection in order, abortive or not: queued bytes, TLS
 * close_notify, FIN, waiting at most `seconds` in all before it aborts the
 * rest with a reset.  0 turns it off. */
void conn_close_orderly(double seconds);

/* The radio network's latency, for every conn opened after the call
 * ([timing] in the profile): a TCP connect counts as established connect_s
 * after the kernel's connect completes (AT+CIPSTART's CONNECT OK comes
 * then), a TLS handshake as done tls_s after OpenSSL's (half of it for a
 * resumed session).  No I/O happens meanwhile.  0, 0 (the default): none. */
void conn_set_latency(double connect_s, double tls_s);

/* At exit: frees the conns still closing after a flush (a peer that never
 * closed its side), before net_shutdown(). */
void conn_drop_closing(void);

enum conn_state conn_state(const struct conn *c);
enum net_err conn_error(const struct conn *c);
bool conn_is_tls(const struct conn *c);
/* The address connected to, as text ("127.0.0.1"); "" before that. */
const char *conn_peer_address(const struct conn *c);
/* The address really connected to, after the host map ("127.0.0.1" for a
 * mapped "116.228.221.52"): where a second connection to the same server
 * goes (a passive FTP data channel, with conn_params.direct). */
const char *conn_remote_address(const struct conn *c);
/* The local address and port of the socket (an active FTP PORT command);
 * -1 when there is no socket yet. */
int conn_local_address(const struct conn *c, char *buf, size_t len, int *port);
/* A one-line reason for the trace. */
const char *conn_error_detail(const struct conn *c);
/* conn_params.tag, or "conn". */
const char *conn_tag(const struct conn *c);
/* conn_params.host and port, as the owner gave them (before the map). */
const char *conn_host(const struct conn *c);
int conn_port(const struct conn *c);

/* The TLS session to resume on another conn, a new reference the caller
 * SSL_SESSION_free()s; NULL when there is none (not TLS, still shaking
 * hands, or TLS 1.3 before the server's ticket was read).  The latest one:
 * TLS 1.3 servers send several tickets and each replaces the last. */
SSL_SESSION *conn_tls_session(const struct conn *c);
/* Whether the server accepted conn_params.resume (false before TLS is up). */
bool conn_tls_resumed(const struct conn *c);

/* A conn over a socket accepted from a conn_listener (an active FTP data
 * channel): with p->tls this side still shakes hands as the TLS client
 * (verify_name or host, p->resume as conn_open()).  p->host and p->port
 * only name the peer in the trace.  Takes fd; handlers as conn_open(). */
struct conn *conn_adopt(int fd, const struct conn_params *p, const struct conn_handlers *h,
                        void *ud);

/* A listening TCP socket on the loop: cb gets each accepted socket (the
 * callee owns fd) with the peer's address.  cb may close the listener. */
struct conn_listener;
typedef void (*conn_accept_fn)(struct conn_listener *l, void *ud, int fd, const char *addr,
                               int port);
/* Listens on local_ip, an ephemeral port; NULL on failure. */
struct conn_listener *conn_listen(const char *local_ip, conn_accept_fn cb, void *ud);
int conn_listener_port(const struct conn_listener *l);
void conn_listener_close(struct conn_listener *l); /* NULL is fine */

#endif
