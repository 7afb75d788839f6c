/* Host side of the module's file system: operations on parsed paths,
 * relative to one storage directory fd.  Names are case-insensitive and
 * case-preserving (as client libraries use it).  Every function returns 0 or -1 (the module
 * answers every failure with ERROR, as client libraries see it). */
#ifndef SIM800EMU_FS_STORE_H
#define SIM800EMU_FS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs_path.h"
#include "util.h"

int fs_store_create(int root, const struct fs_path *p);
/* mode 0 truncates, 1 appends; capacity bounds the bytes of all files.
 * Atomic: a kill at any point leaves the old content or the new.  sync
 * ([fs] sync): 0 nothing is fsynced (survives a process kill), 1 the file
 * before it replaces the old one, 2 the directory too (power loss). */
int fs_store_write(int root, const struct fs_path *p, int mode, const uint8_t *data, size_t len,
                   size_t capacity, int sync);
/* Removes what a kill in the middle of a write left (temporary files). */
void fs_store_recover(int root);
/* Checks, before a prompt, that a write of len bytes could succeed. */
int fs_store_can_write(int root, const struct fs_path *p, int mode, size_t len, size_t capacity);
int fs_store_read(int root, const struct fs_path *p, size_t pos, size_t size, struct bytebuf *out);
int fs_store_size(int root, const struct fs_path *p, size_t *size);
int fs_store_delete(int root, const struct fs_path *p);
/* A file or a directory, within or across directories; fails onto an
 * existing name unless it is the same entry in another case. */
int fs_store_rename(int root, const struct fs_path *from, const struct fs_path *to);
int fs_store_mkdir(int root, const struct fs_path *p);
int fs_store_rmdir(int root, const struct fs_path *p);
/* Directories first (with a trailing '\'), then files, each kind in
 * creation order (our choice; see fs_store.c); each "name" or
 * "name\" appended to out followed by "\r\n". */
int fs_store_list(int root, const struct fs_path *p, struct bytebuf *out);
/* Bytes held by all files. */
size_t fs_store_used(int root);

#endif
