/* --link (pty.h): replace only a symlink, remove only our own. */
#include "pty.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pty_link_check(const char *link, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(link, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "--link %s: %s", link, strerror(errno));
        return -1;
    }
    if (!S_ISLNK(st.st_mode)) {
        snprintf(err, errlen, "--link %s: exists and is not a symlink; not replaced", link);
        return -1;
    }
    return 0;
}

/* Makes link point to target (the slave): created, or an existing symlink replaced
 * atomically (a new link renamed over it); anything else is refused. */
int pty_link_make(const char *target, const char *link, char *err, size_t errlen)
{
    if (symlink(target, link) == 0)
        return 0;
    if (errno != EEXIST) {
        snprintf(err, errlen, "cannot create link %s: %s", link, strerror(errno));
        return -1;
    }
    if (pty_link_check(link, err, errlen) < 0)
        return -1;
    char tmp[4200];
    int n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", link, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        snprintf(err, errlen, "cannot create link %s: name too long", link);
        return -1;
    }
    unlink(tmp);
    if (symlink(target, tmp) < 0 || rename(tmp, link) < 0) {
        snprintf(err, errlen, "cannot create link %s: %s", link, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Removes the link only while it still points to our PTY: another instance
 * may have taken the name since. */
void pty_link_remove(const char *target, const char *link)
{
    char now[4200];
    ssize_t n = readlink(link, now, sizeof(now));
    if (n < 0 || (size_t)n >= sizeof(now))
        return;
    now[n] = '\0';
    if (strcmp(now, target) == 0)
        unlink(link);
}
