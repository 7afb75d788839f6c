/* The module's flash file system (as client libraries use it), kept per modem in a host
 * directory so that it outlives resets and, with --storage, the process.
 *
 * Every module path goes through fs_path_parse() first, and every host call
 * is relative to the modem's storage directory (openat & co. with
 * O_NOFOLLOW), so no name reaches outside it. */
#ifndef SIM800EMU_FS_H
#define SIM800EMU_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs_path.h"
#include "service.h"
#include "util.h"

#define FS_WRITE_MAX 10240 /* one AT+FSWRITE / AT+FSREAD (SIMCom FS note; client libraries) */

struct fs_state {
    int root_fd;    /* the modem's storage directory, or -1 */
    int write_mode; /* the AT+FSWRITE whose data is being entered */
    struct fs_path write_path;
};

struct modem;

/* The directory every modem's storage lives under (one subdirectory per
 * modem); NULL: a fresh temporary directory, removed by fs_cleanup_base(). */
int fs_set_base(const char *dir, char *err, size_t errlen);
void fs_cleanup_base(void);
/* That directory ("" before fs_set_base): other services keep their own
 * files there beside the modems' flash (the SMS store: modem<i>.sms). */
const char *fs_base_dir(void);

extern const struct service fs_service;

static inline struct fs_state *fs_of(const struct modem *m) { return modem_state(m, &fs_service); }

/* Reads a whole file of m's file system by its module path, as a host
 * names it to AT+SSLSETCERT/AT+SSLSETROOT ("C:\USER\CA.CRT", with or
 * without one pair of quotes, any case): the same fs_path_parse() gate as
 * every AT+FS* command, so a name that could leave the storage directory is
 * refused.  Appends the file's bytes (binary, possibly none) to out and
 * returns 0; returns -1, out unchanged, when the name is bad, the file is
 * missing or a directory, or the modem has no storage.  Synchronous: a file
 * is at most the profile's [fs] capacity (256 KB by default). */
int fs_read_file(struct modem *m, const char *module_path, struct bytebuf *out);

/* Writes (append: adds to) a file of m's file system by its module path,
 * through the same gate, creating the file and the directories on its way
 * (C:\User\ftp\ for AT+FTPGETTOFS); the [fs] capacity holds.  0 or -1. */
int fs_write_file(struct modem *m, const char *module_path, const uint8_t *data, size_t len,
                  bool append);

#endif
