/* AT+FTP's extended methods and the file system (SIM800 AT Command Manual
 * V1.09 §12.2.20-12.2.24): the RAM images of AT+FTPEXTPUT/AT+FTPEXTGET and
 * AT+FTPFILEPUT, and transfers straight to and from the flash
 * (AT+FTPGETTOFS, AT+FTPPUTFRMFS).  Sessions are svc_ftp.c's. */
#include "ftp_ext.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fs.h"
#include "ftp.h"
#include "ftp_codes.h"
#include "modem.h"
#include "reply.h"
#include "trace.h"

static int extput_cb(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data,
                     size_t len)
{
    (void)ud;
    struct ftp_state *f = ftp_of(m);
    if (end != AT_DATA_SUBMIT)
        return AT_ERROR;
    size_t pos = (size_t)f->pos;
    size_t have = bytebuf_pending(&f->extput);
    if (pos + len > have) {
        uint8_t zero[1024] = {0};
        size_t grow = pos + len - have;
        while (grow) {
            size_t k = grow < sizeof(zero) ? grow : sizeof(zero);
            bytebuf_append(&f->extput, zero, k);
            grow -= k;
        }
    }
    memcpy((uint8_t *)bytebuf_head(&f->extput) + pos, data, len);
    return AT_OK;
}

static int cmd_ftpextput(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    long mode, pos, len, timeout;
    if (at_arg_int(&r->args, 0, 2, &mode) != AT_ARG_OK)
        return AT_ERROR;
    if (mode < 2) {
        if (!at_args_done(&r->args) || f->kind == FTP_K_PUT)
            return AT_ERROR;
        f->extput_mode = (int)mode;
        if (mode == 0)
            bytebuf_free(&f->extput);
        return AT_OK;
    }
    if (at_arg_int(&r->args, 0, FTP_RAM_MAX, &pos) != AT_ARG_OK ||
        at_arg_int(&r->args, 0, FTP_RAM_MAX, &len) != AT_ARG_OK ||
        at_arg_int(&r->args, 1000, 1000000, &timeout) != AT_ARG_OK || !at_args_done(&r->args) ||
        pos + len > FTP_RAM_MAX || f->extput_mode != 1)
        return AT_ERROR;
    f->pos = pos;
    f->len = len;
    if (len == 0) { /* nothing to take: the answer alone (manual §12.2.20: <len> 0-300k) */
        at_info(m, "+FTPEXTPUT: %ld,0", pos);
        return AT_OK;
    }
    char prompt[48];
    snprintf(prompt, sizeof(prompt), "\r\n+FTPEXTPUT: %ld,%ld\r\n", pos, len);
    struct at_data_req req = {
        .prompt = prompt,
        .fixed_len = (size_t)len,
        .timeout_ms = (unsigned)timeout,
        .cb = extput_cb,
    };
    at_begin_data(m, &req);
    return AT_PENDING;
}

/* A file name of the FTP folder: a bare name is C:\User\ftp\<name>. */
static int module_path(const char *name, char *out, size_t cap)
{
    if (!name[0])
        return -1;
    if (strchr(name, '\\'))
        return snprintf(out, cap, "%s", name) < (int)cap ? 0 : -1;
    return snprintf(out, cap, "C:\\User\\ftp\\%s", name) < (int)cap ? 0 : -1;
}

static int cmd_ftpextget(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (r->form == AT_FORM_READ) {
        if (f->kind == FTP_K_EXTGET || f->extget_on)
            at_info(m, "+FTPEXTGET: 1,%zu", bytebuf_pending(&f->extget));
        else
            at_info(m, "+FTPEXTGET: 0");
        return AT_OK;
    }
    long mode;
    /* 0-3 (manual §12.2.26); 4 and the FONA read with [ftp] extget_forks. */
    if (at_arg_int(&r->args, 0, ftp_config(m)->extget_forks ? 4 : 3, &mode) != AT_ARG_OK)
        return AT_ERROR;
    switch (mode) {
    case 0:
        if (!at_args_done(&r->args) || f->kind == FTP_K_EXTGET)
            return AT_ERROR;
        f->extget_on = false;
        bytebuf_free(&f->extget);
        return AT_OK;
    case 1:
        if (!at_args_done(&r->args) || f->extput_mode == 1)
            return AT_ERROR;
        if (f->kind == FTP_K_NONE) {
            bytebuf_free(&f->extget);
            f->extget_on = false;
        }
        ftp_open_session(m, FTP_K_EXTGET);
        return AT_OK;
    case 3: {
        long pos, len;
        if (at_arg_int(&r->args, 0, 0x7fffffffL, &pos) != AT_ARG_OK ||
            at_arg_int(&r->args, 1, 0x7fffffffL, &len) != AT_ARG_OK || !at_args_done(&r->args) ||
            !f->extget_on)
            return AT_ERROR;
        size_t have = bytebuf_pending(&f->extget);
        size_t take = (size_t)pos >= have ? 0 : have - (size_t)pos;
        if ((size_t)len < take)
            take = (size_t)len;
        char header[40];
        snprintf(header, sizeof(header), "+FTPEXTGET: 3,%zu", take);
        at_info_data(m, header, bytebuf_head(&f->extget) + (take ? pos : 0), take);
        return AT_OK;
    }
    default: { /* 2 (the manual) or 4 (SIM808 scripts): save; or a FONA read */
        char name[80];
        bool quoted = false;
        if (at_arg_str(&r->args, name, sizeof(name), &quoted) != AT_ARG_OK || !f->extget_on)
            return AT_ERROR;
        if (!quoted && !at_args_done(&r->args) && mode == 2 && ftp_config(m)->extget_forks) {
            /* FONA forks: AT+FTPEXTGET=2,<n>,<timeout> reads n bytes on (manual §12.2.26; SIM800 IP
             * Application Note V1.02 §3.23) */
            long n = strtol(name, NULL, 10), t;
            if (at_arg_int(&r->args, 0, 0x7fffffffL, &t) != AT_ARG_OK || !at_args_done(&r->args))
                return AT_ERROR;
            size_t have = bytebuf_pending(&f->extget) - f->extget_pos;
            size_t take = (size_t)n < have ? (size_t)n : have;
            char header[40];
            snprintf(header, sizeof(header), "+FTPEXTGET: 2,%zu", take);
            at_info_data(m, header, bytebuf_head(&f->extget) + f->extget_pos, take);
            f->extget_pos += take;
            return AT_OK;
        }
        char path[200];
        if (!at_args_done(&r->args) || strlen(name) > 64 ||
            module_path(name, path, sizeof(path)) < 0 ||
            fs_write_file(m, path, bytebuf_head(&f->extget), bytebuf_pending(&f->extget), false) <
                0)
            return AT_ERROR; /* 85: the file system refused (UNCERTAIN: no URC shape) */
        at_info(m, "+FTPEXTGET: %ld,%zu", mode, bytebuf_pending(&f->extget));
        return AT_OK;
    }
    }
}

static int cmd_ftpgettofs(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (r->form == AT_FORM_READ) {
        if (f->kind == FTP_K_GETTOFS)
            at_info(m, "+FTPGETTOFS: 1,%zu,%zu", f->fs_received, f->fs_written);
        else
            at_info(m, "+FTPGETTOFS: 0");
        return AT_OK;
    }
    long loc, num = 3, t = 5;
    char name[80];
    if (at_arg_int(&r->args, 0, 1, &loc) != AT_ARG_OK ||
        at_arg_str(&r->args, name, sizeof(name), NULL) != AT_ARG_OK || strlen(name) > 64)
        return AT_ERROR;
    if (!at_args_done(&r->args) &&
        (at_arg_int(&r->args, 0, 255, &num) != AT_ARG_OK ||
         at_arg_int(&r->args, 0, 60, &t) != AT_ARG_OK || !at_args_done(&r->args)))
        return AT_ERROR;
    if (f->kind != FTP_K_NONE) {
        ftp_report(m, FTP_K_GETTOFS, FTP_NOT_ALLOWED, 0);
        return AT_OK;
    }
    char path[200];
    /* No SD card (loc 1), a name the file system refuses, no room: 85. */
    if (loc == 1 || module_path(name, path, sizeof(path)) < 0 ||
        fs_write_file(m, path, NULL, 0, false) < 0) {
        ftp_report(m, FTP_K_GETTOFS, FTP_FS_ERROR, 0);
        return AT_OK;
    }
    str_copy(f->fs_name, sizeof(f->fs_name), path);
    f->fs_received = f->fs_written = 0;
    if (ftp_open_session(m, FTP_K_GETTOFS)) {
        f->reconnects_left = (int)num;
        f->reconnect_s = (double)t;
    }
    return AT_OK;
}

static int load_file(struct modem *m, const char *name, struct bytebuf *out)
{
    char path[200];
    if (module_path(name, path, sizeof(path)) < 0)
        return -1;
    bytebuf_clear(out);
    return fs_read_file(m, path, out);
}

static int cmd_ftpputfrmfs(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (r->form == AT_FORM_READ) {
        if (f->kind == FTP_K_PUTFRMFS)
            at_info(m, "+FTPPUTFRMFS: 1,%zu", ftp_client_transferred(f->cli));
        else
            at_info(m, "+FTPPUTFRMFS: 0");
        return AT_OK;
    }
    char name[140];
    long num = 3, t = 5; /* the manual's defaults */
    if (at_arg_str(&r->args, name, sizeof(name), NULL) != AT_ARG_OK || strlen(name) > 128)
        return AT_ERROR;
    if (!at_args_done(&r->args) &&
        (at_arg_int(&r->args, 0, 255, &num) != AT_ARG_OK ||
         at_arg_int(&r->args, 0, 60, &t) != AT_ARG_OK || !at_args_done(&r->args)))
        return AT_ERROR;
    if (f->kind != FTP_K_NONE) {
        ftp_report(m, FTP_K_PUTFRMFS, FTP_NOT_ALLOWED, 0);
        return AT_OK;
    }
    struct bytebuf img = {0};
    if (load_file(m, name, &img) < 0) {
        bytebuf_free(&img);
        ftp_report(m, FTP_K_PUTFRMFS, FTP_FS_ERROR, 0);
        return AT_OK;
    }
    if (ftp_open_session(m, FTP_K_PUTFRMFS)) {
        bytebuf_free(&f->image);
        f->image = img;
        f->reconnects_left = (int)num;
        f->reconnect_s = (double)t;
    } else {
        bytebuf_free(&img);
    }
    return AT_OK;
}

static int cmd_ftpfileput(struct modem *m, struct at_req *r)
{
    struct ftp_state *f = ftp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    long mode;
    if (at_arg_int(&r->args, 0, 1, &mode) != AT_ARG_OK)
        return AT_ERROR;
    if (mode == 0) {
        if (!at_args_done(&r->args))
            return AT_ERROR;
        f->fileput = false;
        bytebuf_free(&f->fileput_img);
        return AT_OK;
    }
    char name[140];
    if (at_arg_str(&r->args, name, sizeof(name), NULL) != AT_ARG_OK || !at_args_done(&r->args) ||
        f->extput_mode == 1)
        return AT_ERROR;
    if (load_file(m, name, &f->fileput_img) < 0)
        return AT_ERROR; /* 85 at once (UNCERTAIN: the manual gives no shape) */
    f->fileput = true;
    return AT_OK;
}

static const struct at_cmd rows[] = {
    {"+FTPEXTPUT", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_ftpextput, NULL}, /* no read (§12.2.20) */
    {"+FTPEXTGET", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, 0, cmd_ftpextget, NULL},
    {"+FTPGETTOFS", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, 0, cmd_ftpgettofs, NULL},
    {"+FTPPUTFRMFS", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, 0, cmd_ftpputfrmfs, NULL},
    {"+FTPFILEPUT", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_ftpfileput, NULL},
};

const struct at_cmd_table ftp_ext_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};
