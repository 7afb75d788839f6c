/* Who has a PTY's slave open: inotify's IN_OPEN/IN_CLOSE on /dev/pts/N.
 *
 * The master's POLLHUP says "nobody has the slave open" only while it is
 * true: a client that closes the port and another that opens it before the
 * loop runs leave no trace there.  inotify queues both events in order, so
 * a close followed by an open is seen as the one client leaving and the
 * next arriving.  One inotify descriptor serves every port of a loop, each
 * loop its own; without it (watch limit reached) the hang-up alone is
 * used. */
#ifndef SIM800EMU_PTY_WATCH_H
#define SIM800EMU_PTY_WATCH_H

#include <ev.h>
#include <stdint.h>

/* A port's handler: mask holds IN_OPEN, IN_CLOSE_WRITE or IN_CLOSE_NOWRITE
 * in the order they happened, or IN_Q_OVERFLOW when events were lost (every
 * port then goes by its hang-up alone). */
typedef void (*pty_watch_fn)(void *ud, uint32_t mask);

/* Watches path on loop; the watch descriptor, or -1 (no inotify, the watch
 * limit reached, more than 16 loops): the port then goes by its hang-up
 * alone. */
int pty_watch_add(struct ev_loop *loop, const char *path, pty_watch_fn fn, void *ud);
void pty_watch_remove(struct ev_loop *loop, int wd);
/* Handles every event queued for loop's ports now (a hang-up was seen: its
 * close is there). */
void pty_watch_drain(struct ev_loop *loop);

#endif
