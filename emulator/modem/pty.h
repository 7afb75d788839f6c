/* The modem's serial port: a pseudo-terminal master on the event loop.
 *
 * The slave is put in raw mode once at creation; Linux keeps a PTY's termios
 * across client opens, so a client that never calls tcsetattr still gets
 * exact bytes, and a client's own termios or baud ioctls change nothing we
 * depend on.  When the last client closes the slave the master reports
 * POLLHUP: we then flush what the client left unread (a real modem's bytes
 * to an absent host are lost), stop reading, and poll for the next client
 * with a short timer.  Bytes written before any client ever opened the
 * slave wait in the PTY and reach the first client.
 *
 * A client that closes the port and another that opens it right after are
 * told apart by inotify's open/close events on the slave (the master's
 * hang-up is gone again by the time the loop looks), so what the first left
 * unread never reaches the second.
 *
 * Back-pressure, as a UART that takes the next command only once the answer
 * has left: while more than PTY_OUT_HIGH bytes wait for the client, or the
 * modem has not yet taken what it was given (on_input_pending), the port
 * stops reading; it reads again once the output is down to PTY_OUT_LOW, and
 * on_resume then tells the modem it may run the next command. */
#ifndef SIM800EMU_PTY_H
#define SIM800EMU_PTY_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef void (*pty_input_fn)(void *ud, const uint8_t *p, size_t n);

/* Unsent output above which the port stops taking input (and the modem
 * starts no new command line); reading resumes at PTY_OUT_LOW. */
#define PTY_OUT_HIGH (32 * 1024)
#define PTY_OUT_LOW (8 * 1024)
/* Host bytes the modem may hold unprocessed before the port stops reading. */
#define PTY_INPUT_HOLD 4096

struct pty_port {
    int master;
    char slave_path[64];
    char *link_path; /* symlink we made, removed on close; may be NULL */
    struct ev_loop *loop;
    ev_io read_watcher;
    ev_io write_watcher;
    ev_timer reconnect_timer;
    ev_timer resume_timer; /* re-checks back-pressure from the loop */
    int watch;             /* inotify watch of the slave; -1 without */
    bool close_seen;       /* a client closed the slave, but it is not free */
    bool input_paused;     /* back-pressure: not reading from the client */
    bool out_was_high;     /* the backlog passed PTY_OUT_HIGH since the last resume */
    bool client_gone;      /* no client has the slave open; waiting for one */
    bool before_first;     /* no client has opened the slave yet */
    /* While the client's bytes are handed to the modem, what it answers
     * (echo, result codes) is held and written once at the end: one write
     * per round trip, not one per echoed byte. */
    bool holding_output;
    bool flush_due;         /* something was held while the line was idle */
    struct bytebuf out;     /* bytes the client has not taken yet */
    struct bytebuf late_in; /* written by a client just before it closed; handed
                               to the modem from the loop */
    pty_input_fn on_input;
    void (*on_drain)(void *ud);           /* called once the backlog empties, if wanted */
    size_t (*on_input_pending)(void *ud); /* host bytes the modem holds unprocessed */
    void (*on_resume)(void *ud);          /* output is low again: run what waits */
    void (*on_client)(void *ud);          /* a client opened the port */
    void (*on_client_left)(void *ud);     /* the client closed it; its output was dropped */
    bool drain_wanted;
    void *ud;
    int trace_id;
    /* Pacing (pty_set_pace): bytes cross the port no faster than a UART at
     * the line rate, both ways.  0 characters per second: not paced. */
    double pace_cps;       /* characters (10 bits) per second */
    double pace_next_cps;  /* a rate change waiting for queued bytes to go */
    uint64_t pace_next_at; /* ... after this many bytes queued in all */
    bool pace_next;
    uint64_t out_queued; /* bytes ever queued for the client */
    uint64_t out_sent;   /* bytes ever written to the master or dropped */
    double out_credit;   /* characters the line has finished sending */
    ev_tstamp out_t;
    ev_timer out_timer;
    struct bytebuf in_wire; /* host bytes still on their way to the modem */
    /* The trace's lines under pacing: the bytes of one burst, written as
     * one line when the burst has crossed the wire (stamped then). */
    struct bytebuf trace_out, trace_in;
    double in_credit;
    ev_tstamp in_t;
    ev_timer in_timer;
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
/* True while the output is over PTY_OUT_HIGH: start no new command. */
bool pty_output_full(const struct pty_port *p);

/* Paces the port at baud bits per second, 10 bits a character (8N1);
 * 0 turns pacing off.  Output already queued keeps the old rate (a rate
 * set by AT+IPR takes effect after the line's result code), what is queued
 * after the call goes at the new one; host bytes reach the modem at the
 * current rate.  Back-pressure and byte order are unchanged: paced bytes
 * simply wait longer in the output queue. */
void pty_set_pace(struct pty_port *p, long baud);

/* Checks a --link path before anything is created: only nothing or a
 * symlink may be there (the link replaces it).  Returns -1 with a message. */
int pty_link_check(const char *link, char *err, size_t errlen);

/* Pacing (pty_pace.c; --timing real, [timing] pace): characters a line at
 * cps has finished since *t, on top of *credit; when the line has finished
 * its next character; how many queued bytes may go to the client now
 * (SIZE_MAX: unpaced). */
void pty_pace_refill(double *credit, ev_tstamp *t, double cps);
void pty_pace_wait(struct pty_port *p, ev_timer *timer, double credit);
size_t pty_pace_allow(struct pty_port *p);

/* --link (pty_link.c).  Makes link point to target (the slave): created, or an existing symlink
 * replaced atomically; anything else is refused (-1, a message in err). */
int pty_link_make(const char *target, const char *link, char *err, size_t errlen);
/* Removes link only while it still points to target. */
void pty_link_remove(const char *target, const char *link);

/* True while some client has the slave open now (the master's hang-up
 * says so at once, unlike the events the port handles in the loop). */
bool pty_has_client(const struct pty_port *p);

#endif
