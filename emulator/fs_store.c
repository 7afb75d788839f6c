#include "fs_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FS_ENTRIES_MAX 64 /* per directory (fs.md 6) */

/* A directory stream of its own: a dup()ed fd would share the read offset
 * with every other stream over the same directory. */
static DIR *open_stream(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (!d)
        close(fd);
    return d;
}

/* The stored spelling of name in dirfd (case-insensitive), or -1. */
static int find_entry(int dirfd, const char *name, char *actual, size_t cap, bool *is_dir)
{
    DIR *d = open_stream(dirfd);
    if (!d)
        return -1;
    int rc = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcasecmp(e->d_name, name) != 0)
            continue;
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
            continue; /* never follow anything else, symlinks included */
        str_copy(actual, cap, e->d_name);
        if (is_dir)
            *is_dir = S_ISDIR(st.st_mode);
        rc = 0;
        break;
    }
    closedir(d);
    return rc;
}

static int count_entries(int dirfd)
{
    DIR *d = open_stream(dirfd);
    if (!d)
        return FS_ENTRIES_MAX;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Opens the directory holding p's last component; its stored name, when it
 * exists, goes to actual (else actual is p's spelling and *exists false). */
static int open_parent(int root, const struct fs_path *p, char *actual, size_t cap, bool *exists,
                       bool *is_dir)
{
    int dir = dup(root);
    if (dir < 0)
        return -1;
    for (int i = 0; i + 1 < p->depth; i++) {
        char name[FS_NAME_MAX + 1];
        bool sub;
        if (find_entry(dir, p->name[i], name, sizeof(name), &sub) < 0 || !sub) {
            close(dir);
            return -1;
        }
        int next = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(dir);
        if (next < 0)
            return -1;
        dir = next;
    }
    if (p->depth == 0) {
        *exists = false;
        return dir;
    }
    *exists = find_entry(dir, p->name[p->depth - 1], actual, cap, is_dir) == 0;
    if (!*exists)
        str_copy(actual, cap, p->name[p->depth - 1]);
    return dir;
}

/* Opens the directory p names (the root for "C:\"). */
static int open_dir(int root, const struct fs_path *p)
{
    if (p->depth == 0)
        return dup(root);
    char name[FS_NAME_MAX + 1];
    bool exists, is_dir = false;
    int parent = open_parent(root, p, name, sizeof(name), &exists, &is_dir);
    if (parent < 0)
        return -1;
    int fd = exists && is_dir ? openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                              : -1;
    close(parent);
    return fd;
}

/* Opens p as an existing regular file. */
static int open_file(int root, const struct fs_path *p, int flags)
{
    if (p->depth == 0 || p->trailing_sep)
        return -1;
    char name[FS_NAME_MAX + 1];
    bool exists, is_dir = false;
    int parent = open_parent(root, p, name, sizeof(name), &exists, &is_dir);
    if (parent < 0)
        return -1;
    int fd = exists && !is_dir ? openat(parent, name, flags | O_NOFOLLOW | O_CLOEXEC) : -1;
    close(parent);
    return fd;
}

int fs_store_create(int root, const struct fs_path *p)
{
    if (p->depth == 0 || p->trailing_sep)
        return -1;
    char name[FS_NAME_MAX + 1];
    bool exists, is_dir;
    int parent = open_parent(root, p, name, sizeof(name), &exists, &is_dir);
    if (parent < 0)
        return -1;
    int rc = -1;
    if (!exists && count_entries(parent) < FS_ENTRIES_MAX) {
        int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) {
            close(fd);
            rc = 0;
        }
    }
    close(parent);
    return rc;
}

static size_t used_in(int dirfd, int depth)
{
    DIR *d = open_stream(dirfd);
    if (!d)
        return 0;
    size_t total = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st.st_mode)) {
            total += (size_t)st.st_size;
        } else if (S_ISDIR(st.st_mode) && depth < FS_DEPTH_MAX) {
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) {
                total += used_in(sub, depth + 1);
                close(sub);
            }
        }
    }
    closedir(d);
    return total;
}

size_t fs_store_used(int root) { return used_in(root, 0); }

int fs_store_size(int root, const struct fs_path *p, size_t *size)
{
    int fd = open_file(root, p, O_RDONLY);
    if (fd < 0)
        return -1;
    struct stat st;
    int rc = fstat(fd, &st);
    close(fd);
    if (rc < 0)
        return -1;
    *size = (size_t)st.st_size;
    return 0;
}

int fs_store_can_write(int root, const struct fs_path *p, int mode, size_t len, size_t capacity)
{
    size_t old;
    if (fs_store_size(root, p, &old) < 0)
        return -1;
    size_t used = fs_store_used(root);
    size_t after = used - (mode == 0 ? old : 0) + len;
    return after <= capacity ? 0 : -1;
}

int fs_store_write(int root, const struct fs_path *p, int mode, const uint8_t *data, size_t len,
                   size_t capacity)
{
    if (fs_store_can_write(root, p, mode, len, capacity) < 0)
        return -1;
    int fd = open_file(root, p, O_WRONLY | (mode == 0 ? O_TRUNC : O_APPEND));
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    close(fd);
    return 0;
}

int fs_store_read(int root, const struct fs_path *p, size_t pos, size_t size, struct bytebuf *out)
{
    int fd = open_file(root, p, O_RDONLY);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || pos >= (size_t)st.st_size) {
        close(fd);
        return -1; /* nothing at that position (fs.md 6) */
    }
    uint8_t buf[4096];
    size_t left = size;
    while (left > 0) {
        ssize_t n = pread(fd, buf, left < sizeof(buf) ? left : sizeof(buf), (off_t)pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        bytebuf_append(out, buf, (size_t)n);
        pos += (size_t)n;
        left -= (size_t)n;
    }
    close(fd);
    return 0;
}

int fs_store_delete(int root, const struct fs_path *p)
{
    if (p->depth == 0 || p->trailing_sep)
        return -1;
    char name[FS_NAME_MAX + 1];
    bool exists, is_dir = false;
    int parent = open_parent(root, p, name, sizeof(name), &exists, &is_dir);
    if (parent < 0)
        return -1;
    int rc = exists && !is_dir ? unlinkat(parent, name, 0) : -1;
    close(parent);
    return rc < 0 ? -1 : 0;
}

int fs_store_rename(int root, const struct fs_path *from, const struct fs_path *to)
{
    if (from->depth == 0 || to->depth == 0)
        return -1;
    char a[FS_NAME_MAX + 1], b[FS_NAME_MAX + 1];
    bool a_exists, b_exists, a_dir = false, b_dir;
    int pa = open_parent(root, from, a, sizeof(a), &a_exists, &a_dir);
    if (pa < 0)
        return -1;
    int pb = open_parent(root, to, b, sizeof(b), &b_exists, &b_dir);
    int rc = -1;
    /* Renaming onto an existing name fails (fs.md 2); a change of case
     * alone is a rename of the same entry. */
    bool same = pb >= 0 && b_exists && strcasecmp(a, b) == 0 && from->depth == to->depth;
    if (pb >= 0 && a_exists && (!b_exists || same))
        rc = renameat(pa, a, pb, to->name[to->depth - 1]);
    close(pa);
    if (pb >= 0)
        close(pb);
    return rc < 0 ? -1 : 0;
}

int fs_store_mkdir(int root, const struct fs_path *p)
{
    if (p->depth == 0)
        return -1;
    char name[FS_NAME_MAX + 1];
    bool exists, is_dir;
    int parent = open_parent(root, p, name, sizeof(name), &exists, &is_dir);
    if (parent < 0)
        return -1;
    int rc = !exists && count_entries(parent) < FS_ENTRIES_MAX ? mkdirat(parent, name, 0755) : -1;
    close(parent);
    return rc < 0 ? -1 : 0;
}

int fs_store_rmdir(int root, const struct fs_path *p)
{
    if (p->depth == 0)
        return -1;
    char name[FS_NAME_MAX + 1];
    bool exists, is_dir = false;
    int parent = open_parent(root, p, name, sizeof(name), &exists, &is_dir);
    if (parent < 0)
        return -1;
    /* unlinkat refuses a non-empty directory, as the module does (fs.md 2). */
    int rc = exists && is_dir ? unlinkat(parent, name, AT_REMOVEDIR) : -1;
    close(parent);
    return rc < 0 ? -1 : 0;
}

struct entry {
    char name[FS_NAME_MAX + 1];
    bool dir;
    long long order; /* creation order: inode change time, then name */
};

static int by_kind_then_age(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->dir != y->dir)
        return x->dir ? -1 : 1;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->name, y->name);
}

int fs_store_list(int root, const struct fs_path *p, struct bytebuf *out)
{
    int dirfd = open_dir(root, p);
    if (dirfd < 0)
        return -1;
    DIR *d = open_stream(dirfd);
    if (!d) {
        close(dirfd);
        return -1;
    }
    struct entry list[FS_ENTRIES_MAX + 8];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < (int)(sizeof(list) / sizeof(list[0]))) {
        struct stat st;
        if (e->d_name[0] == '.' || fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
            continue;
        str_copy(list[n].name, sizeof(list[n].name), e->d_name);
        list[n].dir = S_ISDIR(st.st_mode);
        list[n].order = (long long)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
        n++;
    }
    closedir(d);
    close(dirfd);
    qsort(list, (size_t)n, sizeof(list[0]), by_kind_then_age);
    for (int i = 0; i < n; i++) {
        bytebuf_append_str(out, list[i].name);
        bytebuf_append_str(out, list[i].dir ? "\\\r\n" : "\r\n");
    }
    return 0;
}
