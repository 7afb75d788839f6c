#include "fs_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define FS_ENTRIES_MAX                                                                             \
    64 /* per directory, the root included (our choice where the manual is silent) */

/* --- creation order ---
 *
 * AT+FSLS lists each kind in creation order (as client libraries use it; the order is our choice).
 * A host keeps no creation time it will hand back everywhere: ctime moves on every write and
 * rename, and timestamps tick at the kernel's coarse clock, so two files made
 * in the same millisecond tie.  So every entry's mtime is set when it is
 * created to a strictly increasing stamp, and kept there: a write restores
 * the file's, a change inside a directory restores the directory's.  The
 * stamp follows the wall clock, so the order holds across a restart with
 * --storage too.  One counter per process: it is a clock, not modem state. */
static struct timespec last_stamp;

static struct timespec new_stamp(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec < last_stamp.tv_sec ||
        (now.tv_sec == last_stamp.tv_sec && now.tv_nsec <= last_stamp.tv_nsec)) {
        now = last_stamp;
        if (++now.tv_nsec >= 1000000000L) {
            now.tv_sec++;
            now.tv_nsec = 0;
        }
    }
    last_stamp = now;
    return now;
}

/* fd's mtime, or "leave it" when it cannot be read. */
static struct timespec mtime_of(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return (struct timespec){0, UTIME_OMIT};
    return st.st_mtim;
}

static void set_mtime(int fd, struct timespec t)
{
    const struct timespec ts[2] = {{0, UTIME_OMIT}, t};
    futimens(fd, ts);
}

static void set_mtime_at(int dirfd, const char *name, struct timespec t)
{
    const struct timespec ts[2] = {{0, UTIME_OMIT}, t};
    utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

/* --- crash safety ---
 *
 * A write never changes a file in place: the new content goes to a
 * temporary file in the same directory, which gets the old file's creation
 * stamp and is then renamed over it, so a kill at any moment leaves the old
 * content or the new, each with its stamp ([fs] sync says what is fsynced,
 * for power loss).  A directory's creation stamp is also kept in an
 * extended attribute (its mtime moves whenever an entry inside changes, and
 * a kill before it is restored would move the directory in AT+FSLS).  A
 * temporary name contains ':', which no module name can (fs_path.c): it is
 * never listed, counted or opened by a command; those a kill left behind
 * are removed by fs_store_recover(). */
#define FS_TMP_SUFFIX ":tmp"
#define FS_STAMP_XATTR "user.sim800emu.created"

static bool is_tmp_name(const char *name)
{
    size_t n = strlen(name), k = strlen(FS_TMP_SUFFIX);
    return n > k && strcmp(name + n - k, FS_TMP_SUFFIX) == 0;
}

/* The stamp of directory name in dirfd: the xattr set at its creation, or
 * (made by a host, by an older version, or on a file system without user
 * xattrs) its own mtime. */
static struct timespec dir_stamp(int dirfd, const char *name, const struct stat *st)
{
    int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return st->st_mtim;
    char text[48];
    ssize_t n = fgetxattr(sub, FS_STAMP_XATTR, text, sizeof(text) - 1);
    close(sub);
    long long sec;
    long nsec;
    if (n <= 0)
        return st->st_mtim;
    text[n] = '\0';
    if (sscanf(text, "%lld.%ld", &sec, &nsec) != 2 || nsec < 0 || nsec >= 1000000000L)
        return st->st_mtim;
    return (struct timespec){(time_t)sec, nsec};
}

static void put_stamp(int dirfd, const char *name, struct timespec t)
{
    int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return;
    char text[48];
    int n = snprintf(text, sizeof(text), "%lld.%09ld", (long long)t.tv_sec, (long)t.tv_nsec);
    fsetxattr(sub, FS_STAMP_XATTR, text, (size_t)n, 0);
    close(sub);
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, p + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    return 0;
}

/* Removes the temporary files a kill left, in every directory. */
static void recover_in(int dirfd, int depth)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st.st_mode) && is_tmp_name(e->d_name)) {
            unlinkat(dirfd, e->d_name, 0);
        } else if (S_ISDIR(st.st_mode) && depth < FS_DEPTH_MAX &&
                   fs_path_name_ok(e->d_name, strlen(e->d_name))) {
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) {
                recover_in(sub, depth + 1);
                close(sub);
            }
        }
    }
    closedir(d);
}

void fs_store_recover(int root) { recover_in(root, 0); }

/* --- directory scanning --- */

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

/* The next entry the module can see: a regular file or a directory (never a
 * symlink or anything else) under a name the module could spell; NULL at
 * the end.  Whatever else a host puts in the storage directory is not part
 * of the file system: not listed, counted, opened or replaced. */
static struct dirent *next_visible(DIR *d, int dirfd, struct stat *st)
{
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!fs_path_name_ok(e->d_name, strlen(e->d_name)))
            continue;
        if (fstatat(dirfd, e->d_name, st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode))
            return e;
    }
    return NULL;
}

/* The stored spelling of name in dirfd (case-insensitive), or -1. */
static int find_entry(int dirfd, const char *name, char *actual, size_t cap, bool *is_dir)
{
    DIR *d = open_stream(dirfd);
    if (!d)
        return -1;
    int rc = -1;
    struct dirent *e;
    struct stat st;
    while ((e = next_visible(d, dirfd, &st)) != NULL) {
        if (strcasecmp(e->d_name, name) != 0)
            continue;
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
    struct stat st;
    while (next_visible(d, dirfd, &st) != NULL)
        n++;
    closedir(d);
    return n;
}

static bool same_dir(int a, int b)
{
    struct stat sa, sb;
    return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
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
    int fd = exists && is_dir
                 ? openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
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

/* --- operations --- */

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
        struct timespec keep = mtime_of(parent);
        int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) {
            set_mtime(fd, new_stamp());
            close(fd);
            rc = 0;
        }
        set_mtime(parent, keep);
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
    struct stat st;
    while ((e = next_visible(d, dirfd, &st)) != NULL) {
        if (S_ISREG(st.st_mode)) {
            total += (size_t)st.st_size;
        } else if (depth < FS_DEPTH_MAX) {
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
                   size_t capacity, int sync)
{
    if (fs_store_can_write(root, p, mode, len, capacity) < 0 || p->depth == 0 || p->trailing_sep)
        return -1;
    char name[FS_NAME_MAX + 1];
    bool exists, is_dir = false;
    int parent = open_parent(root, p, name, sizeof(name), &exists, &is_dir);
    if (parent < 0)
        return -1;
    int old = exists && !is_dir ? openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (old < 0) {
        close(parent);
        return -1;
    }
    char tmp[FS_NAME_MAX + sizeof(FS_TMP_SUFFIX)];
    snprintf(tmp, sizeof(tmp), "%s%s", name, FS_TMP_SUFFIX);
    struct timespec keep = mtime_of(old), keep_parent = mtime_of(parent);
    int rc = -1;
    int fd = openat(parent, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        goto out;
    rc = 0;
    if (mode != 0) { /* append: the old content first */
        uint8_t buf[4096];
        for (off_t pos = 0; rc == 0;) {
            ssize_t n = pread(old, buf, sizeof(buf), pos);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                rc = -1;
            if (n <= 0)
                break;
            rc = write_all(fd, buf, (size_t)n);
            pos += n;
        }
    }
    if (rc == 0)
        rc = write_all(fd, data, len);
    if (rc == 0 && sync >= 1)
        rc = fsync(fd);
    set_mtime(fd, keep);
    close(fd);
    if (rc == 0)
        rc = renameat(parent, tmp, parent, name);
    if (rc < 0)
        unlinkat(parent, tmp, 0);
    else if (sync >= 2)
        fsync(parent);
    set_mtime(parent, keep_parent);
out:
    close(old);
    close(parent);
    return rc < 0 ? -1 : 0;
}

int fs_store_read(int root, const struct fs_path *p, size_t pos, size_t size, struct bytebuf *out)
{
    int fd = open_file(root, p, O_RDONLY);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || pos >= (size_t)st.st_size) {
        close(fd);
        return -1; /* nothing at that position (our choice where the manual is silent) */
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

/* Removes p's entry, a file (dir false) or an empty directory (dir true). */
static int remove_entry(int root, const struct fs_path *p, bool dir)
{
    if (p->depth == 0 || (!dir && p->trailing_sep))
        return -1;
    char name[FS_NAME_MAX + 1];
    bool exists, is_dir = false;
    int parent = open_parent(root, p, name, sizeof(name), &exists, &is_dir);
    if (parent < 0)
        return -1;
    int rc = -1;
    if (exists && is_dir == dir) {
        struct timespec keep = mtime_of(parent);
        /* unlinkat refuses a non-empty directory, as clients expect of the module (our choice where
         * the manual is silent). */
        rc = unlinkat(parent, name, dir ? AT_REMOVEDIR : 0);
        set_mtime(parent, keep);
    }
    close(parent);
    return rc < 0 ? -1 : 0;
}

int fs_store_delete(int root, const struct fs_path *p) { return remove_entry(root, p, false); }
int fs_store_rmdir(int root, const struct fs_path *p) { return remove_entry(root, p, true); }

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
    if (pb < 0 || !a_exists)
        goto out;
    /* A trailing '\' names a directory; a file's name never has one. */
    if (!a_dir && (from->trailing_sep || to->trailing_sep))
        goto out;
    bool one_dir = same_dir(pa, pb);
    /* Renaming onto an existing name fails (as client libraries see it), unless that name is
     * the entry itself in another case ("a.txt" to "A.TXT"). */
    if (b_exists && !(one_dir && strcasecmp(a, b) == 0))
        goto out;
    if (!one_dir && count_entries(pb) >= FS_ENTRIES_MAX)
        goto out;
    struct timespec keep_a = mtime_of(pa), keep_b = mtime_of(pb);
    /* The entry keeps its own mtime, so its place in a listing too; a
     * directory moved into itself fails here with EINVAL. */
    rc = renameat(pa, a, pb, to->name[to->depth - 1]);
    set_mtime(pa, keep_a);
    set_mtime(pb, keep_b);
out:
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
    int rc = -1;
    if (!exists && count_entries(parent) < FS_ENTRIES_MAX) {
        struct timespec keep = mtime_of(parent);
        rc = mkdirat(parent, name, 0755);
        if (rc == 0) {
            struct timespec t = new_stamp();
            put_stamp(parent, name, t);
            set_mtime_at(parent, name, t);
        }
        set_mtime(parent, keep);
    }
    close(parent);
    return rc < 0 ? -1 : 0;
}

struct entry {
    char name[FS_NAME_MAX + 1];
    bool dir;
    struct timespec created; /* the creation stamp kept in mtime */
};

static int by_kind_then_age(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->dir != y->dir)
        return x->dir ? -1 : 1;
    if (x->created.tv_sec != y->created.tv_sec)
        return x->created.tv_sec < y->created.tv_sec ? -1 : 1;
    if (x->created.tv_nsec != y->created.tv_nsec)
        return x->created.tv_nsec < y->created.tv_nsec ? -1 : 1;
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
    /* Room for a few more than the module allows: a host may have put
     * more there by hand; those past the room are not shown. */
    struct entry list[FS_ENTRIES_MAX + 8];
    int n = 0;
    struct dirent *e;
    struct stat st;
    while (n < (int)ARRAY_SIZE(list) && (e = next_visible(d, dirfd, &st)) != NULL) {
        str_copy(list[n].name, sizeof(list[n].name), e->d_name);
        list[n].dir = S_ISDIR(st.st_mode);
        list[n].created = list[n].dir ? dir_stamp(dirfd, e->d_name, &st) : st.st_mtim;
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
