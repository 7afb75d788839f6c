/* The FTP service's codes (the <error> of +FTPGET: 1,<error> and the other
 * session URCs; SIM800 AT Command Manual V1.09 §12.2.14, codes 80-84 from
 * the SSL Application Note §2.3) and its one table from what the client
 * observed to those codes. */
#ifndef SIM800EMU_FTP_CODES_H
#define SIM800EMU_FTP_CODES_H

#include <stdbool.h>

#include "ftp_client.h"
#include "net.h"

enum {
    FTP_OK = 0,
    FTP_NET_ERROR = 61,     /* "Net error" */
    FTP_DNS_ERROR = 62,     /* "DNS error" */
    FTP_CONNECT_ERROR = 63, /* "Connect error" */
    FTP_TIMEOUT = 64,       /* "Timeout" */
    FTP_SERVER_ERROR = 65,  /* "Server error" */
    FTP_NOT_ALLOWED = 66,   /* "Operation not allow" */
    FTP_REPLY_ERROR = 70,   /* "Replay error" (sic) */
    FTP_USER_ERROR = 71,
    FTP_PASSWORD_ERROR = 72,
    FTP_TYPE_ERROR = 73,
    FTP_REST_ERROR = 74,
    FTP_PASSIVE_ERROR = 75,
    FTP_ACTIVE_ERROR = 76,
    FTP_OPERATE_ERROR = 77,
    FTP_UPLOAD_ERROR = 78,
    FTP_DOWNLOAD_ERROR = 79,
    FTP_TLS_SETUP = 80,   /* SSL note: the TLS channel could not be set up */
    FTP_TLS_ALERT = 81,   /* SSL note: a fatal alert ended the connection */
    FTP_AUTH_ERROR = 82,  /* SSL note: AUTH refused */
    FTP_PBSZ_ERROR = 83,  /* SSL note: PBSZ refused */
    FTP_PROT_ERROR = 84,  /* SSL note: PROT refused */
    FTP_FS_ERROR = 85,    /* a file-system operation failed */
    FTP_MANUAL_QUIT = 86, /* AT+FTPQUIT */
};

/* The <error> of an operation of kind op that ended with res (0 for
 * FTP_DONE); passive says whether the data channel was PASV (75) or PORT
 * (76). */
int ftp_code_for(enum ftp_op op, bool passive, const struct ftp_result *res);

#endif
