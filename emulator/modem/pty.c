#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "trace.h"

/* How often to look for a new client once the last one has closed. */
/* How often a port nobody has open is checked for a new client: soon after a
 * client leaves (scripts reopen at once), then less often, so a thousand idle
 * modems do not spin (100 checks a second each at the start). */
#define PTY_RECONNECT_POLL_S 0.01
#define PTY_RECONNECT_POLL_MAX_S 0.1
/* Output kept for the first client: the boot URCs a modem prints before
 * anyone has opened its port (a few hundred bytes; the bound stops a modem
 * that nobody opens from growing without limit). */
#define PTY_FIRST_CLIENT_HOLD 4096
static void flush_out(struct pty_port *p);

static void read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void write_cb(struct ev_loop *loop, ev_io *w, int revents);
static void reconnect_cb(struct ev_loop *loop, ev_timer *t, int revents);

static int set_slave_raw(const char *path, bool flush_input)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        cfsetispeed(&t, B115200);
        cfsetospeed(&t, B115200);
        tcsetattr(fd, TCSANOW, &t);
    }
    if (flush_input)
        tcflush(fd, TCIFLUSH);
    close(fd);
    return 0;
}

int pty_open(struct pty_port *p, struct ev_loop *loop, const char *link, pty_input_fn on_input,
             void *ud, int trace_id, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    p->master = -1;
    p->loop = loop;
    p->on_input = on_input;
    p->ud = ud;
    p->trace_id = trace_id;

    int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) {
        snprintf(err, errlen, "cannot open a pseudo-terminal: %s", strerror(errno));
        goto fail;
    }
    p->master = m;
    if (ptsname_r(m, p->slave_path, sizeof(p->slave_path)) != 0) {
        snprintf(err, errlen, "ptsname: %s", strerror(errno));
        goto fail;
    }
    if (set_slave_raw(p->slave_path, false) < 0) {
        snprintf(err, errlen, "cannot set %s raw: %s", p->slave_path, strerror(errno));
        goto fail;
    }
    if (link) {
        unlink(link); /* a stale link from an earlier run */
        if (symlink(p->slave_path, link) < 0) {
            snprintf(err, errlen, "cannot create link %s: %s", link, strerror(errno));
            goto fail;
        }
        p->link_path = xstrdup(link);
    }
    ev_io_init(&p->read_watcher, read_cb, m, EV_READ);
    p->read_watcher.data = p;
    ev_io_init(&p->write_watcher, write_cb, m, EV_WRITE);
    p->write_watcher.data = p;
    ev_timer_init(&p->reconnect_timer, reconnect_cb, PTY_RECONNECT_POLL_S, PTY_RECONNECT_POLL_S);
    p->reconnect_timer.data = p;
    /* Until a client opens the slave, output waits in p->out. */
    p->client_gone = true;
    p->before_first = true;
    ev_timer_again(loop, &p->reconnect_timer);
    return 0;
fail:
    if (m >= 0)
        close(m);
    p->master = -1;
    return -1;
}

void pty_close(struct pty_port *p)
{
    if (p->master < 0)
        return;
    ev_io_stop(p->loop, &p->read_watcher);
    ev_io_stop(p->loop, &p->write_watcher);
    ev_timer_stop(p->loop, &p->reconnect_timer);
    close(p->master);
    p->master = -1;
    if (p->link_path) {
        unlink(p->link_path);
        free(p->link_path);
        p->link_path = NULL;
    }
    bytebuf_free(&p->out);
}

size_t pty_backlog(const struct pty_port *p) { return bytebuf_pending(&p->out); }

void pty_want_drain(struct pty_port *p) { p->drain_wanted = true; }

static void notify_drained(struct pty_port *p)
{
    if (!p->drain_wanted || !p->on_drain)
        return;
    p->drain_wanted = false;
    p->on_drain(p->ud);
}

/* The last client closed the slave. */
static void client_left(struct pty_port *p)
{
    if (p->client_gone)
        return;
    p->client_gone = true;
    p->before_first = false;
    trace_note(p->trace_id, "pty", "client closed the port");
    ev_io_stop(p->loop, &p->read_watcher);
    ev_io_stop(p->loop, &p->write_watcher);
    bytebuf_clear(&p->out);
    notify_drained(p); /* nobody reads now: senders need not wait */
    /* What the departed client left unread must not greet the next one. */
    set_slave_raw(p->slave_path, true);
    p->reconnect_timer.repeat = PTY_RECONNECT_POLL_S;
    ev_timer_again(p->loop, &p->reconnect_timer);
}

static void reconnect_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    struct pty_port *p = t->data;
    struct pollfd pfd = {.fd = p->master, .events = POLLIN};
    if (poll(&pfd, 1, 0) < 0 || (pfd.revents & POLLHUP)) {
        if (t->repeat < PTY_RECONNECT_POLL_MAX_S) {
            t->repeat *= 2;
            if (t->repeat > PTY_RECONNECT_POLL_MAX_S)
                t->repeat = PTY_RECONNECT_POLL_MAX_S;
            ev_timer_again(loop, t);
        }
        return;
    }
    ev_timer_stop(loop, t);
    p->client_gone = false;
    trace_note(p->trace_id, "pty", "client opened the port");
    ev_io_start(loop, &p->read_watcher);
    if (bytebuf_pending(&p->out) > 0)
        flush_out(p);
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct pty_port *p = w->data;
    uint8_t buf[4096];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = read(p->master, buf, sizeof(buf));
        if (n > 0) {
            trace_bytes(p->trace_id, "pty", TRACE_IN, buf, (size_t)n);
            p->on_input(p->ud, buf, (size_t)n);
            if (p->master < 0 || p->client_gone)
                return;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        /* EIO (or 0): no client has the slave open any more. */
        client_left(p);
        return;
    }
}

static void flush_out(struct pty_port *p)
{
    while (bytebuf_pending(&p->out) > 0) {
        ssize_t n = write(p->master, bytebuf_head(&p->out), bytebuf_pending(&p->out));
        if (n > 0) {
            bytebuf_consume(&p->out, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            ev_io_start(p->loop, &p->write_watcher);
            return;
        }
        client_left(p);
        return;
    }
    ev_io_stop(p->loop, &p->write_watcher);
    notify_drained(p);
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    flush_out(w->data);
}

void pty_write(struct pty_port *p, const void *data, size_t n)
{
    if (p->master < 0 || n == 0)
        return;
    if (p->client_gone) {
        /* Nobody listens: a real UART's bytes would be lost too, except that
         * the first client still sees the boot sequence. */
        if (p->before_first && bytebuf_pending(&p->out) + n <= PTY_FIRST_CLIENT_HOLD) {
            trace_bytes(p->trace_id, "pty", TRACE_OUT, data, n);
            bytebuf_append(&p->out, data, n);
        }
        return;
    }
    trace_bytes(p->trace_id, "pty", TRACE_OUT, data, n);
    bool was_empty = bytebuf_pending(&p->out) == 0;
    bytebuf_append(&p->out, data, n);
    if (was_empty)
        flush_out(p);
}
