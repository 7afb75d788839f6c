/* The modem's serial port: a pseudo-terminal master on the event loop.
 *
 * The slave is put in raw mode once at creation; Linux keeps a PTY's termios
 * across client opens, so a client that never calls tcsetattr still gets
 * exact bytes, and a client's own termios or baud ioctls change nothing we
 * depend on.  When the last client closes the slave the master reports
 * POLLHUP: we then flush what the client left unread (a real modem's bytes
 * to an absent host are lost), stop reading, and poll for the next client
 * with a short timer.  Bytes written before any client ever opened the
 * slave wait in the PTY and reach the first client. */
#ifndef SIM800EMU_PTY_H
#define SIM800EMU_PTY_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef void (*pty_input_fn)(void *ud, const uint8_t *p, size_t n);

struct pty_port {
    int master;
    char slave_path[64];
    char *link_path;       /* symlink we made, removed on close; may be NULL */
    struct ev_loop *loop;
    ev_io read_watcher;
    ev_io write_watcher;
    ev_timer reconnect_timer;
    bool client_gone;      /* no client has the slave open; waiting for one */
    bool before_first;     /* no client has opened the slave yet */
    struct bytebuf out;    /* bytes the client has not taken yet */
    pty_input_fn on_input;
    void (*on_drain)(void *ud); /* called once the backlog empties, if wanted */
    bool drain_wanted;
    void *ud;
    int trace_id;
};

/* Opens a PTY; link may be NULL.  Returns -1 with a message in err. */
int pty_open(struct pty_port *p, struct ev_loop *loop, const char *link, pty_input_fn on_input,
             void *ud, int trace_id, char *err, size_t errlen);
void pty_close(struct pty_port *p);

/* Queues bytes for the client (dropped while no client has the port open). */
void pty_write(struct pty_port *p, const void *data, size_t n);

/* Bytes queued but not yet taken by the client. */
size_t pty_backlog(const struct pty_port *p);
/* Asks for one on_drain call when the client has taken everything. */
void pty_want_drain(struct pty_port *p);

#endif
