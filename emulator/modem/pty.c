#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "pty_watch.h"
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
/* Output buffer capacity kept once it has drained; a larger one (a 300 KB
 * AT+HTTPREAD) is given back. */
#define PTY_OUT_KEEP (64 * 1024)
/* While reading is paused, how often to look whether the modem has taken
 * its input (it may finish a pending command without writing). */
#define PTY_PAUSE_POLL_S 0.01
static void flush_out(struct pty_port *p);
static void client_left(struct pty_port *p);
static void client_came(struct pty_port *p);
static bool slave_hung_up(const struct pty_port *p);
static void deliver_late_input(struct pty_port *p);
static void trace_wire(struct pty_port *p, struct bytebuf *line, enum trace_dir dir,
                       const void *data, size_t n, bool done);

static void read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void write_cb(struct ev_loop *loop, ev_io *w, int revents);
static void reconnect_cb(struct ev_loop *loop, ev_timer *t, int revents);
static void resume_cb(struct ev_loop *loop, ev_timer *t, int revents);
static void out_timer_cb(struct ev_loop *loop, ev_timer *t, int revents);
static void in_timer_cb(struct ev_loop *loop, ev_timer *t, int revents);
static void wire_in(struct pty_port *p, const uint8_t *data, size_t n);

/* Events come in the order they happened, and a client's close is queued
 * before the master sees the hang-up; the port's state follows the queue.
 * Our own opens of the slave (termios, flush) are read-only, so their
 * closes are IN_CLOSE_NOWRITE; a client's (read-write) are IN_CLOSE_WRITE. */
static void watch_event(void *ud, uint32_t mask)
{
    struct pty_port *p = ud;
    if (p->master < 0)
        return;
    if (mask & IN_Q_OVERFLOW) {
        /* Events lost: the port goes by its hang-up alone. */
        bool hup = slave_hung_up(p);
        if (!p->client_gone && hup)
            client_left(p);
        else if (p->client_gone && !hup)
            client_came(p);
        return;
    }
    if (mask & IN_CLOSE_WRITE) {
        if (p->client_gone)
            return;
        if (slave_hung_up(p))
            client_left(p);
        else
            p->close_seen = true; /* another fd of it, or a new client already */
        return;
    }
    if (mask & IN_CLOSE_NOWRITE) {
        if (!p->client_gone && slave_hung_up(p))
            client_left(p); /* a read-only client */
        return;
    }
    if (mask & IN_OPEN) {
        if (p->client_gone) {
            if (!slave_hung_up(p))
                client_came(p);
            return;
        }
        if (p->close_seen) {
            /* A client closed and another opened since: what the first
             * left unread is not the second's. */
            client_left(p);
            if (!slave_hung_up(p))
                client_came(p);
        }
    }
}

/* The master reported a hang-up (EIO on read, POLLHUP). */
static void hangup_seen(struct pty_port *p)
{
    if (p->watch >= 0)
        pty_watch_drain(p->loop); /* the close is queued: handle it in order */
    if (p->master >= 0 && !p->client_gone && slave_hung_up(p))
        client_left(p);
}

static int set_slave_raw(const char *path, bool flush_input)
{
    /* Read-only: its close is IN_CLOSE_NOWRITE, unlike a client's. */
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    /* A port left cooked would echo and translate CR: the client would not
     * see the module's bytes, so a refusal is an error, not a shrug. */
    struct termios t;
    int rc = tcgetattr(fd, &t);
    if (rc == 0) {
        cfmakeraw(&t);
        cfsetispeed(&t, B115200);
        cfsetospeed(&t, B115200);
        rc = tcsetattr(fd, TCSANOW, &t);
    }
    if (rc == 0 && flush_input)
        rc = tcflush(fd, TCIFLUSH);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int pty_open(struct pty_port *p, struct ev_loop *loop, const char *link, pty_input_fn on_input,
             void *ud, int trace_id, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    p->master = -1;
    p->watch = -1;
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
        if (pty_link_make(p->slave_path, link, err, errlen) < 0)
            goto fail;
        p->link_path = xstrdup(link);
    }
    ev_io_init(&p->read_watcher, read_cb, m, EV_READ);
    p->read_watcher.data = p;
    ev_io_init(&p->write_watcher, write_cb, m, EV_WRITE);
    p->write_watcher.data = p;
    ev_timer_init(&p->reconnect_timer, reconnect_cb, PTY_RECONNECT_POLL_S, PTY_RECONNECT_POLL_S);
    p->reconnect_timer.data = p;
    ev_timer_init(&p->resume_timer, resume_cb, 0., PTY_PAUSE_POLL_S);
    p->resume_timer.data = p;
    ev_init(&p->out_timer, out_timer_cb);
    p->out_timer.data = p;
    ev_init(&p->in_timer, in_timer_cb);
    p->in_timer.data = p;
    p->watch = pty_watch_add(p->loop, p->slave_path, watch_event, p);
    /* Until a client opens the slave, output waits in p->out. */
    p->client_gone = true;
    p->before_first = true;
    if (p->watch < 0 || !slave_hung_up(p))
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
    ev_timer_stop(p->loop, &p->resume_timer);
    ev_timer_stop(p->loop, &p->out_timer);
    ev_timer_stop(p->loop, &p->in_timer);
    pty_watch_remove(p->loop, p->watch);
    p->watch = -1;
    close(p->master);
    p->master = -1;
    if (p->link_path) {
        pty_link_remove(p->slave_path, p->link_path);
        free(p->link_path);
        p->link_path = NULL;
    }
    trace_wire(p, &p->trace_out, TRACE_OUT, NULL, 0, true);
    trace_wire(p, &p->trace_in, TRACE_IN, NULL, 0, true);
    bytebuf_free(&p->out);
    bytebuf_free(&p->late_in);
    bytebuf_free(&p->in_wire);
    bytebuf_free(&p->trace_out);
    bytebuf_free(&p->trace_in);
}

size_t pty_backlog(const struct pty_port *p) { return bytebuf_pending(&p->out); }

void pty_want_drain(struct pty_port *p) { p->drain_wanted = true; }

bool pty_output_full(const struct pty_port *p) { return bytebuf_pending(&p->out) > PTY_OUT_HIGH; }

static void notify_drained(struct pty_port *p)
{
    if (!p->drain_wanted || !p->on_drain)
        return;
    p->drain_wanted = false;
    p->on_drain(p->ud);
}

static bool slave_hung_up(const struct pty_port *p)
{
    struct pollfd pfd = {.fd = p->master, .events = POLLIN};
    return poll(&pfd, 1, 0) < 0 || (pfd.revents & POLLHUP);
}

bool pty_has_client(const struct pty_port *p) { return p->master >= 0 && !slave_hung_up(p); }

/* --- back-pressure --- */

static bool input_must_wait(const struct pty_port *p)
{
    if (bytebuf_pending(&p->out) > PTY_OUT_HIGH)
        return true;
    if (bytebuf_pending(&p->in_wire) >= PTY_INPUT_HOLD)
        return true; /* paced: the host's bytes are still on the wire */
    return p->on_input_pending && p->on_input_pending(p->ud) >= PTY_INPUT_HOLD;
}

/* Stops reading from the client; resume_cb looks again from the loop. */
static void pause_input(struct pty_port *p)
{
    if (p->input_paused)
        return;
    p->input_paused = true;
    ev_io_stop(p->loop, &p->read_watcher);
    p->resume_timer.repeat = PTY_PAUSE_POLL_S;
    ev_timer_again(p->loop, &p->resume_timer);
}

/* Runs from the loop only (never inside a write the modem is making): lets
 * the modem run what waited for the output to drain, then reads again if
 * nothing is over its bound. */
static void resume_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    struct pty_port *p = t->data;
    if (bytebuf_pending(&p->late_in) > 0) {
        deliver_late_input(p);
        if (p->master < 0)
            return;
    }
    if (p->out_was_high && bytebuf_pending(&p->out) <= PTY_OUT_LOW) {
        p->out_was_high = false;
        if (p->on_resume)
            p->on_resume(p->ud);
        if (p->master < 0)
            return;
    }
    /* Output still over the bound: flush_out() calls again once it is low,
     * so a client that never reads costs no timer. */
    if (!p->input_paused || p->client_gone || bytebuf_pending(&p->out) > PTY_OUT_HIGH) {
        ev_timer_stop(loop, t);
        return;
    }
    if (input_must_wait(p))
        return; /* the modem still holds input: the timer looks again */
    p->input_paused = false;
    ev_timer_stop(loop, t);
    ev_io_start(loop, &p->read_watcher);
}

/* Asks resume_cb to run from the loop soon. */
static void schedule_resume(struct pty_port *p)
{
    ev_timer_stop(p->loop, &p->resume_timer);
    ev_timer_set(&p->resume_timer, 0., PTY_PAUSE_POLL_S);
    ev_timer_start(p->loop, &p->resume_timer);
}

/* Gives a large drained output buffer back. */
static void release_out(struct pty_port *p)
{
    if (bytebuf_pending(&p->out) == 0 && p->out.cap > PTY_OUT_KEEP)
        bytebuf_free(&p->out);
}

/* Reads what is left in the master after the client closed: bytes it wrote
 * just before.  Bounded by the kernel's buffer. */
static void take_late_input(struct pty_port *p)
{
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = read(p->master, buf, sizeof(buf));
        if (n <= 0)
            return;
        bytebuf_append(&p->late_in, buf, (size_t)n);
    }
}

/* The trace of the wire (trace.h): bytes are stamped as they cross it, not
 * as they are queued, so under pacing the trace shows the line's timing.
 * A burst's bytes make one line, written when the burst is over (done) or
 * the line is long; an empty call with done flushes. */
#define PTY_TRACE_LINE 512
static void trace_wire(struct pty_port *p, struct bytebuf *line, enum trace_dir dir,
                       const void *data, size_t n, bool done)
{
    if (!trace_enabled())
        return;
    if (n > 0)
        bytebuf_append(line, data, n);
    if ((done || bytebuf_pending(line) >= PTY_TRACE_LINE) && bytebuf_pending(line) > 0) {
        trace_bytes(p->trace_id, "pty", dir, bytebuf_head(line), bytebuf_pending(line));
        bytebuf_clear(line);
    }
}

/* Hands take_late_input()'s bytes to the modem, from the loop. */
static void deliver_late_input(struct pty_port *p)
{
    if (bytebuf_pending(&p->late_in) == 0)
        return;
    struct bytebuf in = p->late_in; /* the modem may cause more to be taken */
    memset(&p->late_in, 0, sizeof(p->late_in));
    if (p->pace_cps > 0) {
        /* Paced: after what is still on the wire, at the line rate. */
        wire_in(p, bytebuf_head(&in), bytebuf_pending(&in));
        bytebuf_free(&in);
        return;
    }
    trace_bytes(p->trace_id, "pty", TRACE_IN, bytebuf_head(&in), bytebuf_pending(&in));
    p->on_input(p->ud, bytebuf_head(&in), bytebuf_pending(&in));
    bytebuf_free(&in);
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
    ev_timer_stop(p->loop, &p->out_timer);
    p->input_paused = false;
    /* What it wrote before closing still reaches the modem (from the loop:
     * this may run inside a write the modem is making). */
    take_late_input(p);
    trace_wire(p, &p->trace_out, TRACE_OUT, NULL, 0, true);
    if (bytebuf_pending(&p->out) > 0)
        trace_note(p->trace_id, "pty", "%zu bytes never sent: nobody reads them",
                   bytebuf_pending(&p->out));
    bytebuf_clear(&p->out);
    p->out_sent = p->out_queued;
    if (p->pace_next) {
        p->pace_cps = p->pace_next_cps;
        p->pace_next = false;
    }
    release_out(p);
    if (p->on_client_left)
        p->on_client_left(p->ud);
    notify_drained(p); /* nobody reads now: senders need not wait */
    /* What the departed client left unread must not greet the next one. */
    if (set_slave_raw(p->slave_path, true) < 0)
        trace_note(p->trace_id, "pty", "cannot reset %s to raw: %s", p->slave_path,
                   strerror(errno));
    /* The modem goes on with what it was given (into the void). */
    if (p->out_was_high || bytebuf_pending(&p->late_in) > 0)
        schedule_resume(p);
    p->close_seen = false;
    /* Without inotify, poll for the next client. */
    if (p->watch < 0) {
        p->reconnect_timer.repeat = PTY_RECONNECT_POLL_S;
        ev_timer_again(p->loop, &p->reconnect_timer);
    }
}

/* A client has the slave open again. */
static void client_came(struct pty_port *p)
{
    ev_timer_stop(p->loop, &p->reconnect_timer);
    p->client_gone = false;
    trace_note(p->trace_id, "pty", "client opened the port");
    if (p->on_client)
        p->on_client(p->ud);
    if (p->master < 0)
        return;
    /* The departed client's last bytes go first. */
    if (input_must_wait(p) || bytebuf_pending(&p->late_in) > 0)
        pause_input(p);
    else
        ev_io_start(p->loop, &p->read_watcher);
    if (bytebuf_pending(&p->out) > 0) {
        p->out_credit = 0; /* the line starts sending now */
        p->out_t = ev_time();
        flush_out(p);
    }
}

static void reconnect_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    struct pty_port *p = t->data;
    if (slave_hung_up(p)) {
        if (t->repeat < PTY_RECONNECT_POLL_MAX_S) {
            t->repeat *= 2;
            if (t->repeat > PTY_RECONNECT_POLL_MAX_S)
                t->repeat = PTY_RECONNECT_POLL_MAX_S;
            ev_timer_again(loop, t);
        }
        return;
    }
    client_came(p);
}

/* Reads what the client wrote, up to 16 reads a wake-up; a short read
 * means the master is drained for now (the loop wakes again when more
 * comes), so no read is spent on EAGAIN. */
static void read_input(struct pty_port *p)
{
    uint8_t buf[4096];
    for (int rounds = 0; rounds < 16; rounds++) {
        if (input_must_wait(p)) {
            /* A hang-up is still seen: by inotify, or by the write watcher
             * while output waits. */
            pause_input(p);
            return;
        }
        size_t want = sizeof(buf);
        if (p->pace_cps > 0) /* the wire holds at most PTY_INPUT_HOLD */
            want = PTY_INPUT_HOLD - bytebuf_pending(&p->in_wire);
        ssize_t n = read(p->master, buf, want);
        if (n > 0 && p->pace_cps > 0) {
            wire_in(p, buf, (size_t)n); /* traced when they come off the wire */
            if ((size_t)n < want)
                return;
            continue;
        }
        if (n > 0) {
            trace_bytes(p->trace_id, "pty", TRACE_IN, buf, (size_t)n);
            p->on_input(p->ud, buf, (size_t)n);
            if (p->master < 0 || p->client_gone || (size_t)n < want)
                return;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        /* EIO (or 0): no client has the slave open any more. */
        hangup_seen(p);
        return;
    }
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct pty_port *p = w->data;
    p->holding_output = true;
    read_input(p);
    p->holding_output = false;
    if (p->flush_due) {
        p->flush_due = false;
        if (p->master >= 0 && !p->client_gone)
            flush_out(p);
    }
}

/* Host bytes enter the wire to the modem. */
static void wire_in(struct pty_port *p, const uint8_t *data, size_t n)
{
    if (bytebuf_pending(&p->in_wire) == 0) {
        p->in_credit = 0;
        p->in_t = ev_time();
    }
    bytebuf_append(&p->in_wire, data, n);
    if (!ev_is_active(&p->in_timer))
        pty_pace_wait(p, &p->in_timer, p->in_credit);
}

/* Hands the modem what has crossed the wire. */
static void in_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct pty_port *p = t->data;
    size_t k = bytebuf_pending(&p->in_wire);
    if (p->pace_cps > 0) {
        pty_pace_refill(&p->in_credit, &p->in_t, p->pace_cps);
        size_t may = p->in_credit >= 1 ? (size_t)p->in_credit : 0;
        if (k > may)
            k = may;
        /* A "\r\n" the client wrote at once crosses together: the module
         * takes the '\n' as the end of the line a character time later, and
         * a prompt the line opens ("> " of AT+CMGS, AT+CIPSEND) never gets
         * it as its first data byte (TinyGSM ends those lines "\r\n"). */
        if (k > 0 && k < bytebuf_pending(&p->in_wire) && bytebuf_head(&p->in_wire)[k - 1] == '\r' &&
            bytebuf_head(&p->in_wire)[k] == '\n')
            k++;
    }
    uint8_t buf[PTY_INPUT_HOLD];
    if (k > sizeof(buf))
        k = sizeof(buf);
    if (k > 0) {
        memcpy(buf, bytebuf_head(&p->in_wire), k);
        bytebuf_consume(&p->in_wire, k);
        p->in_credit -= (double)k;
        if (bytebuf_pending(&p->in_wire) == 0)
            bytebuf_free(&p->in_wire);
        trace_wire(p, &p->trace_in, TRACE_IN, buf, k, bytebuf_pending(&p->in_wire) == 0);
        p->on_input(p->ud, buf, k);
        if (p->master < 0)
            return;
    }
    if (bytebuf_pending(&p->in_wire) > 0) {
        if (p->pace_cps > 0)
            pty_pace_wait(p, t, p->in_credit);
        else {
            ev_timer_stop(p->loop, t);
            ev_timer_set(t, 0., 0.);
            ev_timer_start(p->loop, t);
        }
    }
}

static void flush_out(struct pty_port *p)
{
    while (bytebuf_pending(&p->out) > 0) {
        /* A client that left since the last look must not get these bytes
         * (they answer it, not whoever opened the port after it). */
        if (p->watch >= 0) {
            pty_watch_drain(p->loop);
            if (p->master < 0 || p->client_gone || bytebuf_pending(&p->out) == 0)
                return;
        }
        size_t want = bytebuf_pending(&p->out);
        size_t allow = pty_pace_allow(p);
        if (allow == 0) {
            /* Paced: the rest goes as the line finishes each character. */
            ev_io_stop(p->loop, &p->write_watcher);
            pty_pace_wait(p, &p->out_timer, p->out_credit);
            if (p->out_was_high && bytebuf_pending(&p->out) <= PTY_OUT_LOW)
                schedule_resume(p);
            return;
        }
        if (want > allow)
            want = allow;
        ssize_t n = write(p->master, bytebuf_head(&p->out), want);
        if (n > 0) {
            trace_wire(p, &p->trace_out, TRACE_OUT, bytebuf_head(&p->out), (size_t)n,
                       bytebuf_pending(&p->out) == (size_t)n);
            bytebuf_consume(&p->out, (size_t)n);
            p->out_sent += (uint64_t)n;
            if (p->pace_cps > 0)
                p->out_credit -= (double)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            ev_timer_stop(p->loop, &p->out_timer);
            ev_io_start(p->loop, &p->write_watcher);
            if (p->out_was_high && bytebuf_pending(&p->out) <= PTY_OUT_LOW)
                schedule_resume(p);
            return;
        }
        client_left(p);
        return;
    }
    ev_io_stop(p->loop, &p->write_watcher);
    ev_timer_stop(p->loop, &p->out_timer);
    release_out(p);
    if (p->out_was_high)
        schedule_resume(p);
    notify_drained(p);
}

static void output_ready(struct pty_port *p)
{
    /* With reading paused, the hang-up shows here: writes to a master
     * whose slave nobody holds still succeed. */
    if (p->input_paused && slave_hung_up(p)) {
        hangup_seen(p);
        if (p->client_gone || p->master < 0)
            return;
    }
    flush_out(p);
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    output_ready(w->data);
}

/* Paced: the line has finished more characters. */
static void out_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    output_ready(t->data);
}

void pty_write(struct pty_port *p, const void *data, size_t n)
{
    if (p->master < 0 || n == 0)
        return;
    if (p->client_gone) {
        /* Nobody listens: a real UART's bytes would be lost too, except that
         * the first client still sees the boot sequence. */
        if (p->before_first && bytebuf_pending(&p->out) + n <= PTY_FIRST_CLIENT_HOLD) {
            bytebuf_append(&p->out, data, n);
            p->out_queued += n;
        } else {
            notify_drained(p); /* nothing waits for a reader */
        }
        return;
    }
    bool was_empty = bytebuf_pending(&p->out) == 0;
    bytebuf_append(&p->out, data, n);
    p->out_queued += n;
    if (bytebuf_pending(&p->out) > PTY_OUT_HIGH)
        p->out_was_high = true;
    if (was_empty) {
        /* Paced: an idle line starts sending now; the first character is
         * the host's one character time later, as on a UART. */
        p->out_credit = 0;
        p->out_t = ev_time();
        if (p->holding_output)
            p->flush_due = true; /* read_cb writes it all at once */
        else
            flush_out(p);
    }
}
