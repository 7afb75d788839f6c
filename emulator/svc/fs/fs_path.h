/* The module's file names (as client libraries use it): "C:\User\HENRY_SSL.CRT", with or
 * without one pair of quotes, directories with or without a trailing '\'.
 *
 * This is the only gate between a host's bytes and the storage directory:
 * a name that passes has components of printable ASCII with none of
 * / : * ? " < > | , and never "." or "..", so joined under the storage
 * directory it cannot leave it.  Pure: no I/O, fuzzed directly. */
#ifndef SIM800EMU_FS_PATH_H
#define SIM800EMU_FS_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define FS_PATH_MAX 128 /* characters of a whole path (our choice where the manual is silent) */
#define FS_NAME_MAX 64  /* characters of one component */
/* Any depth that fits in FS_PATH_MAX (our choice): "C:\a\b\..." with
 * one-character names. */
#define FS_DEPTH_MAX ((FS_PATH_MAX - 3 + 1) / 2)

struct fs_path {
    int depth; /* components after "C:\"; 0 = the root */
    char name[FS_DEPTH_MAX][FS_NAME_MAX + 1];
    bool trailing_sep; /* written with a final '\' (a directory) */
};

/* Parses text[0..len) (len may include no NUL); returns 0 or -1. */
int fs_path_parse(const char *text, size_t len, struct fs_path *out);

/* True when name[0..len) is one component fs_path_parse would accept.  The
 * store shows only such entries, so a file planted in the storage directory
 * under a name the module cannot spell (a newline, 200 characters) is never
 * listed, counted or opened. */
bool fs_path_name_ok(const char *name, size_t len);

#endif
