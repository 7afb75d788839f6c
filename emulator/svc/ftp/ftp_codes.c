#include "ftp_codes.h"

/* Sentinels resolved per operation: the transfer failed (78 upload, 79
 * download), the data channel could not be opened (75 passive, 76 active). */
#define XFER (-1)
#define OPEN (-2)

/* The control connection before the session is set up (resolve, connect,
 * implicit TLS, the greeting; the handshake after AUTH TLS's 234): a TLS
 * failure there is 80 whether or not an alert went (SIM800 SSL Application Note V1.00 §2.3 and
 * examples 3.6–3.7). */
static const int setup_codes[NET_ERR_COUNT] = NET_ERR_TABLE(
    /* ok */ FTP_NET_ERROR, /* dns */ FTP_DNS_ERROR, /* refused */ FTP_CONNECT_ERROR,
    /* timeout */ FTP_TIMEOUT, /* reset */ FTP_CONNECT_ERROR, /* closed */ FTP_SERVER_ERROR,
    /* tls_handshake */ FTP_TLS_SETUP, /* tls_alert */ FTP_TLS_SETUP, /* io */ FTP_CONNECT_ERROR,
    /* proto */ FTP_REPLY_ERROR);

/* The control connection later: lost (61), closed by the server (65), an
 * alert (81), silence (64), a reply too long to be FTP (70). */
static const int session_codes[NET_ERR_COUNT] = NET_ERR_TABLE(
    /* ok */ FTP_NET_ERROR, /* dns */ FTP_DNS_ERROR, /* refused */ FTP_CONNECT_ERROR,
    /* timeout */ FTP_TIMEOUT, /* reset */ FTP_NET_ERROR, /* closed */ FTP_SERVER_ERROR,
    /* tls_handshake */ FTP_TLS_SETUP, /* tls_alert */ FTP_TLS_ALERT, /* io */ FTP_NET_ERROR,
    /* proto */ FTP_REPLY_ERROR);

/* The data connection being opened (connect or accept, its TLS handshake);
 * a reset there is a server that accepted, sent and aborted: the transfer. */
static const int data_open_codes[NET_ERR_COUNT] = NET_ERR_TABLE(
    /* ok */ OPEN, /* dns */ OPEN, /* refused */ OPEN, /* timeout */ FTP_TIMEOUT,
    /* reset */ XFER, /* closed */ OPEN, /* tls_handshake */ FTP_TLS_SETUP,
    /* tls_alert */ FTP_TLS_SETUP, /* io */ OPEN, /* proto */ OPEN);

/* The data connection carrying the file. */
static const int data_codes[NET_ERR_COUNT] = NET_ERR_TABLE(
    /* ok */ XFER, /* dns */ XFER, /* refused */ XFER, /* timeout */ FTP_TIMEOUT,
    /* reset */ XFER, /* closed */ XFER, /* tls_handshake */ FTP_TLS_SETUP,
    /* tls_alert */ FTP_TLS_ALERT, /* io */ XFER, /* proto */ XFER);

/* A 4xx/5xx answer to each step (421, the server closing, is 65 anywhere). */
static const int refused_codes[FTP_STEP_COUNT] = {
    [FTP_STEP_CONNECT] = FTP_SERVER_ERROR, /* a greeting that is not 220 */
    [FTP_STEP_AUTH] = FTP_AUTH_ERROR,
    [FTP_STEP_AUTH_TLS] = FTP_TLS_SETUP,
    [FTP_STEP_USER] = FTP_USER_ERROR,
    [FTP_STEP_PASS] = FTP_PASSWORD_ERROR,
    [FTP_STEP_PBSZ] = FTP_PBSZ_ERROR,
    [FTP_STEP_PROT] = FTP_PROT_ERROR,
    [FTP_STEP_TYPE] = FTP_TYPE_ERROR,
    [FTP_STEP_CWD] = FTP_OPERATE_ERROR,
    [FTP_STEP_PASV] = FTP_PASSIVE_ERROR,
    [FTP_STEP_PORT] = FTP_ACTIVE_ERROR,
    [FTP_STEP_REST] = FTP_REST_ERROR,
    [FTP_STEP_COMMAND] = FTP_OPERATE_ERROR, /* RETR STOR LIST SIZE DELE MKD RMD: 550 & co */
    [FTP_STEP_DATA_OPEN] = OPEN,
    [FTP_STEP_DATA] = XFER,
    [FTP_STEP_FINAL] = XFER, /* 426, 451, 452 after the bytes */
};

static int resolve(int code, enum ftp_op op, bool passive)
{
    if (code == XFER)
        return op == FTP_OP_PUT ? FTP_UPLOAD_ERROR : FTP_DOWNLOAD_ERROR;
    if (code == OPEN)
        return passive ? FTP_PASSIVE_ERROR : FTP_ACTIVE_ERROR;
    return code;
}

int ftp_code_for(enum ftp_op op, bool passive, const struct ftp_result *res)
{
    unsigned step = (unsigned)res->step < FTP_STEP_COUNT ? (unsigned)res->step : FTP_STEP_COMMAND;
    unsigned err = (unsigned)res->err < NET_ERR_COUNT ? (unsigned)res->err : NET_EIO;
    switch (res->fact) {
    case FTP_DONE:
        return FTP_OK;
    case FTP_FAIL_REFUSED:
        if (res->reply_code == 421)
            return FTP_SERVER_ERROR;
        return resolve(refused_codes[step], op, passive);
    case FTP_FAIL_REPLY:
        return FTP_REPLY_ERROR;
    case FTP_FAIL_NET:
        break;
    }
    switch (step) {
    case FTP_STEP_CONNECT:
    case FTP_STEP_AUTH_TLS:
        return setup_codes[err];
    case FTP_STEP_PORT:
        /* No listening socket, or the server never connected back. */
        return err == NET_ETIMEOUT || err == NET_EIO ? FTP_ACTIVE_ERROR : session_codes[err];
    case FTP_STEP_DATA_OPEN:
        return resolve(data_open_codes[err], op, passive);
    case FTP_STEP_DATA:
        return resolve(data_codes[err], op, passive);
    default:
        return session_codes[err];
    }
}
