/* The module's flash file system (fs.md), kept per modem in a host
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
#include "util.h"

#define FS_CAPACITY 262144   /* bytes of user space (fs.md 6) */
#define FS_DIR_ENTRIES_MAX 64
#define FS_WRITE_MAX 10240   /* one AT+FSWRITE / AT+FSREAD (fs.md 1) */

struct fs_state {
    int root_fd;             /* the modem's storage directory, or -1 */
    size_t write_len;        /* AT+FSWRITE in progress */
    int write_mode;
    struct fs_path write_path;
};

struct modem;

/* The directory every modem's storage lives under (one subdirectory per
 * modem); NULL: a fresh temporary directory, removed by fs_cleanup_base(). */
int fs_set_base(const char *dir, char *err, size_t errlen);
void fs_cleanup_base(void);

int fs_setup(struct modem *m, char *err, size_t errlen);
void fs_free(struct modem *m);

/* Reads a whole file by its module path ("C:\USER\CA.CRT", quoted or not):
 * 0, or -1 when the name is bad or no such file.  For AT+SSLSETCERT. */
int fs_read_file(struct modem *m, const char *module_path, struct bytebuf *out);

extern const struct at_cmd_table cmd_fs_table;

#endif
