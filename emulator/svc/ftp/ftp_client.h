/* One FTP operation of the module (one login per AT operation, our choice where the manual is
 * silent): the control dialogue over linecli, passive or active data connections, ASCII or binary
 * type, REST, and FTPS, implicit (TLS from the first byte) or explicit (AUTH TLS, PBSZ 0, PROT P),
 * the data channel resuming the control channel's TLS session.  It reports facts: where it was
 * (enum ftp_step) and what happened (enum ftp_fact plus the connection's enum net_err, or the
 * server's reply code); the service's table (ftp_codes.h) turns them into the module's 61-86. */
#ifndef SIM800EMU_FTP_CLIENT_H
#define SIM800EMU_FTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "tls.h"

enum ftp_op {
    FTP_OP_GET,
    FTP_OP_PUT,
    FTP_OP_LIST,
    FTP_OP_SIZE,
    FTP_OP_DELE,
    FTP_OP_MKD,
    FTP_OP_RMD
};

/* Where the session was when it ended. */
enum ftp_step {
    FTP_STEP_CONNECT,  /* control connection: resolve, connect, implicit TLS, greeting */
    FTP_STEP_AUTH,     /* AUTH TLS */
    FTP_STEP_AUTH_TLS, /* the handshake after 234 */
    FTP_STEP_USER,
    FTP_STEP_PASS,
    FTP_STEP_PBSZ,
    FTP_STEP_PROT,
    FTP_STEP_TYPE,
    FTP_STEP_CWD,
    FTP_STEP_PASV,
    FTP_STEP_PORT,
    FTP_STEP_REST,
    FTP_STEP_COMMAND,   /* RETR STOR APPE STOU LIST SIZE DELE MKD RMD: the first reply */
    FTP_STEP_DATA_OPEN, /* the data connection: connect or accept, TLS handshake */
    FTP_STEP_DATA,      /* the data connection carrying the bytes */
    FTP_STEP_FINAL,     /* the reply after the transfer (226) */
};
#define FTP_STEP_COUNT (FTP_STEP_FINAL + 1)

enum ftp_fact {
    FTP_DONE,         /* the operation succeeded */
    FTP_FAIL_NET,     /* a connection failed or ended: err says how */
    FTP_FAIL_REFUSED, /* the server answered the step with 4xx/5xx (reply_code) */
    FTP_FAIL_REPLY,   /* a reply that cannot be used (unexpected code, bad 227) */
};

enum ftp_putopt { FTP_PUT_STOR, FTP_PUT_APPE, FTP_PUT_STOU };

struct ftp_request {
    enum ftp_op op;
    const char *host; /* FTPSERV */
    int port;
    const char *user, *pass;
    bool passive; /* FTPMODE=1 */
    char type;    /* 'A' or 'I' */
    enum ftp_putopt putopt;
    const char *path; /* GETPATH / PUTPATH ("" none); MKD/RMD: the directory */
    const char *name; /* GETNAME / PUTNAME */
    long rest;        /* FTPREST: GET only */
    int tls_mode;     /* FTPSSL: 0 none, 1 implicit, 2 explicit */
    const struct tls_choice *tls_choice;
    double connect_timeout_s;
    double reply_timeout_s;
    int trace_id;
};

struct ftp_result {
    enum ftp_fact fact;
    enum ftp_step step;
    enum net_err err; /* FTP_FAIL_NET */
    int reply_code;   /* FTP_FAIL_REFUSED */
    long size;        /* FTP_OP_SIZE */
};

struct ftp_client;

struct ftp_handlers {
    /* GET/LIST: bytes of the file arrived (call ftp_client_pause() to stop more). */
    void (*data)(void *ud, const uint8_t *p, size_t n);
    /* PUT: the data channel is open, or everything written so far has gone out. */
    void (*writable)(void *ud);
    /* The operation ended; the client is gone (it frees itself). */
    void (*done)(void *ud, const struct ftp_result *res);
};

struct ftp_client *ftp_client_start(const struct ftp_request *req, const struct ftp_handlers *h,
                                    void *ud);
/* GET/LIST back-pressure: stop (or resume) reading the data connection. */
void ftp_client_pause(struct ftp_client *c, bool pause);
/* PUT: queue bytes for the data connection. */
void ftp_client_write(struct ftp_client *c, const void *p, size_t n);
/* PUT: bytes queued for the data connection, not yet in the kernel. */
size_t ftp_client_unsent(const struct ftp_client *c);
/* PUT: no more bytes; the data connection closes once they are out, then
 * the server's final reply ends the operation. */
void ftp_client_finish(struct ftp_client *c);
/* Ends the session at once (QUIT sent, connections closed); no handler runs. */
void ftp_client_cancel(struct ftp_client *c);
/* Bytes the data connection carried so far. */
size_t ftp_client_transferred(const struct ftp_client *c);

const char *ftp_step_name(enum ftp_step s);

/* Every verb the client sends and awaits a reply to (fault rules'
 * reply-to=); NULL-terminated. */
extern const char *const ftp_client_verbs[];

#endif
