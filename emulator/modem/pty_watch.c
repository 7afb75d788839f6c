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

/* One inotify descriptor per event loop: a watch's events are handled on
 * the loop that runs its port. */
struct watches {
    int fd;
    struct ev_loop *loop; /* NULL: a free slot */
    ev_io io;
    struct watcher *by_wd; /* watch descriptor -> its port's handler */
    size_t cap;
    int users;
    bool draining; /* events are handled in order, never nested */
};

#define WATCH_LOOPS_MAX 16
static struct watches per_loop[WATCH_LOOPS_MAX];

static struct watches *watches_of(struct ev_loop *loop)
{
    for (size_t i = 0; i < WATCH_LOOPS_MAX; i++)
        if (per_loop[i].loop == loop)
            return &per_loop[i];
    return NULL;
}

void pty_watch_drain(struct ev_loop *loop)
{
    struct watches *w = watches_of(loop);
    if (!w || w->draining)
        return;
    w->draining = true;
    _Alignas(struct inotify_event) char buf[4096];
    for (;;) {
        ssize_t n = read(w->fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        for (char *q = buf; q < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)q;
            q += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                for (size_t i = 0; i < w->cap; i++)
                    if (w->by_wd[i].fn)
                        w->by_wd[i].fn(w->by_wd[i].ud, IN_Q_OVERFLOW);
                continue;
            }
            if (ev->wd >= 0 && (size_t)ev->wd < w->cap && w->by_wd[ev->wd].fn)
                w->by_wd[ev->wd].fn(w->by_wd[ev->wd].ud, ev->mask);
        }
    }
    w->draining = false;
}

static void watches_cb(struct ev_loop *loop, ev_io *io, int revents)
{
    (void)io;
    (void)revents;
    pty_watch_drain(loop);
}

int pty_watch_add(struct ev_loop *loop, const char *path, pty_watch_fn fn, void *ud)
{
    struct watches *w = watches_of(loop);
    if (!w) {
        w = watches_of(NULL);
        if (!w)
            return -1; /* more loops than slots: the hang-up alone */
        int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
            return -1;
        *w = (struct watches){.fd = fd, .loop = loop};
        ev_io_init(&w->io, watches_cb, fd, EV_READ);
        /* Before any port's input in the same loop turn: a new client's
         * first command must not be taken for the old one's. */
        ev_set_priority(&w->io, EV_MAXPRI);
        ev_io_start(loop, &w->io);
    }
    int wd = inotify_add_watch(w->fd, path, IN_OPEN | IN_CLOSE);
    if (wd < 0) {
        if (w->users == 0)
            pty_watch_remove(loop, -1);
        return -1;
    }
    if ((size_t)wd >= w->cap) {
        size_t cap = w->cap ? w->cap : 64;
        while (cap <= (size_t)wd)
            cap *= 2;
        w->by_wd = xrealloc(w->by_wd, cap * sizeof(*w->by_wd));
        memset(w->by_wd + w->cap, 0, (cap - w->cap) * sizeof(*w->by_wd));
        w->cap = cap;
    }
    w->by_wd[wd] = (struct watcher){fn, ud};
    w->users++;
    return wd;
}

void pty_watch_remove(struct ev_loop *loop, int wd)
{
    struct watches *w = watches_of(loop);
    if (!w)
        return;
    if (wd >= 0 && (size_t)wd < w->cap && w->by_wd[wd].fn) {
        inotify_rm_watch(w->fd, wd);
        w->by_wd[wd] = (struct watcher){NULL, NULL};
        w->users--;
    }
    if (w->users == 0) { /* the loop's last port: its descriptor goes too */
        ev_io_stop(loop, &w->io);
        close(w->fd);
        free(w->by_wd);
        *w = (struct watches){.fd = -1};
    }
}
