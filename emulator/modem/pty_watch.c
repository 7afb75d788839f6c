/* Who has a PTY's slave open: inotify's IN_OPEN/IN_CLOSE on /dev/pts/N
 * (pty_watch.h). */
#include "pty_watch.h"

#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "util.h"

struct watcher {
    pty_watch_fn fn;
    void *ud;
};

static struct {
    int fd;
    struct ev_loop *loop;
    ev_io io;
    struct watcher *by_wd; /* watch descriptor -> its port's handler */
    size_t cap;
    int users;
    bool draining; /* events are handled in order, never nested */
} watches = {.fd = -1};

void pty_watch_drain(void)
{
    if (watches.fd < 0 || watches.draining)
        return;
    watches.draining = true;
    _Alignas(struct inotify_event) char buf[4096];
    for (;;) {
        ssize_t n = read(watches.fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        for (char *q = buf; q < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)q;
            q += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                for (size_t i = 0; i < watches.cap; i++)
                    if (watches.by_wd[i].fn)
                        watches.by_wd[i].fn(watches.by_wd[i].ud, IN_Q_OVERFLOW);
                continue;
            }
            if (ev->wd >= 0 && (size_t)ev->wd < watches.cap && watches.by_wd[ev->wd].fn)
                watches.by_wd[ev->wd].fn(watches.by_wd[ev->wd].ud, ev->mask);
        }
    }
    watches.draining = false;
}

static void watches_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    pty_watch_drain();
}

int pty_watch_add(struct ev_loop *loop, const char *path, pty_watch_fn fn, void *ud)
{
    if (watches.fd < 0) {
        watches.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (watches.fd < 0)
            return -1;
        watches.loop = loop;
        ev_io_init(&watches.io, watches_cb, watches.fd, EV_READ);
        /* Before any port's input in the same loop turn: a new client's
         * first command must not be taken for the old one's. */
        ev_set_priority(&watches.io, EV_MAXPRI);
        ev_io_start(loop, &watches.io);
    }
    if (watches.loop != loop)
        return -1;
    int wd = inotify_add_watch(watches.fd, path, IN_OPEN | IN_CLOSE);
    if (wd < 0)
        return -1;
    if ((size_t)wd >= watches.cap) {
        size_t cap = watches.cap ? watches.cap : 64;
        while (cap <= (size_t)wd)
            cap *= 2;
        watches.by_wd = xrealloc(watches.by_wd, cap * sizeof(*watches.by_wd));
        memset(watches.by_wd + watches.cap, 0, (cap - watches.cap) * sizeof(*watches.by_wd));
        watches.cap = cap;
    }
    watches.by_wd[wd] = (struct watcher){fn, ud};
    watches.users++;
    return wd;
}

void pty_watch_remove(int wd)
{
    if (wd < 0 || (size_t)wd >= watches.cap)
        return;
    inotify_rm_watch(watches.fd, wd);
    watches.by_wd[wd] = (struct watcher){NULL, NULL};
    if (--watches.users == 0) {
        ev_io_stop(watches.loop, &watches.io);
        close(watches.fd);
        watches.fd = -1;
        free(watches.by_wd);
        watches.by_wd = NULL;
        watches.cap = 0;
    }
}
