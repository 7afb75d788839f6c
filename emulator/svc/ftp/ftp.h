/* The FTP service of AT+FTP* (SIM800 AT Command Manual V1.09 ch. 12): the parameters, the one
 * session the module runs at a time, its download buffer and the RAM images of the extended
 * commands. */
#ifndef SIM800EMU_FTP_H
#define SIM800EMU_FTP_H

#include <ev.h>
#include <stdbool.h>

#include "ftp_client.h"
#include "service.h"
#include "util.h"

struct ftp_params {
    int cid;
    char serv[50]; /* 49 characters (manual §12.2.1–12.2.13) */
    int port;
    char un[50], pw[50];
    int mode;   /* 0 active, 1 passive */
    char type;  /* 'A' or 'I' */
    int putopt; /* enum ftp_putopt */
    long rest;
    char getname[100], getpath[256];
    char putname[100], putpath[256];
};

enum ftp_kind {
    FTP_K_NONE,
    FTP_K_GET,
    FTP_K_PUT,
    FTP_K_LIST,
    FTP_K_SIZE,
    FTP_K_DELE,
    FTP_K_MKD,
    FTP_K_RMD,
    FTP_K_GETTOFS,
    FTP_K_PUTFRMFS,
    FTP_K_EXTGET,
};

struct ftp_state {
    struct modem *m;
    struct ftp_params p;
    struct ftp_params saved; /* AT+FTPSCONT ("NVRAM", in memory) */
    bool saved_valid;
    int ssl; /* AT+FTPSSL */

    enum ftp_kind kind;    /* the session running (AT+FTPSTATE 1), or none */
    struct ftp_params run; /* its parameters, as they were when it opened: a write
                            * meanwhile is for the next session (and a reconnect
                            * keeps the one it resumes) */
    int run_ssl;
    struct ftp_client *cli; /* its client while the server is involved */
    bool passive;           /* of the running session */
    struct bytebuf dl;      /* GET/LIST: received, not yet read by the host */
    bool readable_told;     /* "1,1" sent: AT+FTPGET=2 allowed */
    bool finished;          /* the server's part is over: "1,0" once dl is drained */
    bool paused;
    ev_tstamp last_read;
    ev_tstamp last_told;  /* the last "1,1" */
    ev_timer tick;        /* the "1,1" repeat and the unread-data timeout */
    bool put_ready;       /* "+FTPPUT: 1,1,1360" sent */
    bool put_chunk_out;   /* a chunk went to the server; "1,1,1360" when it is out */
    bool put_ended;       /* AT+FTPPUT=2,0 */
    bool put_entry;       /* a data entry of AT+FTPPUT=2 is open */
    struct bytebuf image; /* the bytes of an upload in one go (EXTPUT, FILEPUT, PUTFRMFS) */
    bool image_upload;    /* the running PUT sends image, no "1,1,1360" step */
    char fs_name[160];    /* GETTOFS: the module path written */
    size_t fs_received, fs_written;
    /* GETTOFS / PUTFRMFS reconnects (manual §12.2.24/25: <num> times, <time>
     * seconds apart, resuming at the break point). */
    int reconnects_left;
    double reconnect_s;
    ev_timer reconnect; /* the wait before the next attempt */
    bool put_sizing;    /* PUTFRMFS resuming: SIZE asks how much the server holds */
    size_t image_off;   /* PUTFRMFS: the image goes from here (APPE after a break) */

    int extput_mode;       /* AT+FTPEXTPUT 0/1 */
    struct bytebuf extput; /* its RAM image */
    bool fileput;          /* AT+FTPFILEPUT=1 */
    struct bytebuf fileput_img;
    bool extget_on; /* AT+FTPEXTGET=1 ran (RAM holds a download) */
    struct bytebuf extget;
    size_t extget_pos; /* the running offset of the FONA-style mode-2 reads */
    long pos, len;     /* AT+FTPEXTPUT=2 entry */
};

extern const struct service ftp_service;

/* Its profile keys (profile.h), each default in its row in svc_ftp.c. */
struct ftp_config {
    /* where SIM800 AT Command Manual V1.09 §8.2.2 leaves the module's timing open */
    int reply_timeout_s;  /* silence allowed for each server reply, then code 64 */
    int unread_timeout_s; /* downloaded data left unread this long: "+FTPGET: 1,64" */
    int ready_repeat_s;   /* "+FTPGET: 1,1" again while data stays unread */
    bool extget_forks;    /* AT+FTPEXTGET=4 and =2,<n>,<timeout> (not the manual's) */
};

/* (Inline, so that a part's call reaches the seam, not svc_ftp.c.) */
static inline const struct ftp_config *ftp_config(const struct modem *m)
{
    return service_config(m, &ftp_service);
}

static inline struct ftp_state *ftp_of(const struct modem *m)
{
    return modem_state(m, &ftp_service);
}

#define FTP_RAM_MAX (300 * 1024) /* the EXTPUT/EXTGET RAM image (manual: 0-300K) */

/* svc_ftp.c: opens the session of kind k, or reports why not (IP
 * Application Note 3.13: one session at a time); true when it opened. */
bool ftp_open_session(struct modem *m, enum ftp_kind k);
/* The URC that reports code for a session of kind k (size: SIZE's, or the
 * bytes a transfer to or from the file system moved). */
void ftp_report(struct modem *m, enum ftp_kind k, int code, long size);

#endif
