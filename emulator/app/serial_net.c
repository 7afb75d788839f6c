/* The network bridge to the modems' ports (serial_net.h).
 *
 * RFC 2217 on top of Telnet (RFC 854/855): the client's data bytes with
 * IAC (0xFF) doubled, options negotiated (BINARY, SUPPRESS-GO-AHEAD and
 * COM-PORT-OPTION accepted, the rest refused, each answer given once), and
 * every COM-PORT request answered with its code + 100 and the value in
 * effect (RFC 2217 §3): the line settings are acknowledged as a PTY
 * acknowledges a client's termios; the baud rate is the one the port paces
 * at while the module autobauds (AT+IPR=0), as a module locks onto the
 * host's rate; a fixed AT+IPR stands (README "Timing"). */
#include "serial_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "modem.h"
#include "port.h"
#include "pty.h"
#include "telnet.h"
#include "trace.h"
#include "util.h"

#define RELAY_MAX (256 * 1024) /* bytes held for the slower side before the other stops */

enum {
    IAC = TELNET_IAC,
    DONT = TELNET_DONT,
    DO = TELNET_DO,
    WONT = TELNET_WONT,
    WILL = TELNET_WILL,
    SB = TELNET_SB,
    SE = TELNET_SE
};
enum { OPT_BINARY = 0, OPT_ECHO = 1, OPT_SGA = 3, OPT_COM_PORT = 44 };

struct bridge {
    struct modem *m;
    long index;
    bool rfc2217;
    char endpoint[64];
    int listen_fd, client_fd, slave_fd;
    ev_io accept_w, client_r, client_w, slave_r, slave_w;
    struct bytebuf to_client, to_slave;
    struct telnet_decoder telnet;
    bool we[256], they[256]; /* options in effect (answered once) */
    uint32_t baud;
    uint8_t datasize, parity, stopsize, control;
    bool suspended; /* the client sent FLOWCONTROL-SUSPEND: nothing goes to it */
};

static struct ev_loop *loop_;
static struct bridge *bridges;
static long nbridges;

const char *serial_net_endpoint(long i)
{
    return bridges && i >= 0 && i < nbridges ? bridges[i].endpoint : "";
}

static void drop_client(struct bridge *b, const char *why)
{
    if (b->client_fd < 0)
        return;
    trace_note(b->m->id, "net-serial", "client left (%s)", why);
    ev_io_stop(loop_, &b->client_r);
    ev_io_stop(loop_, &b->client_w);
    ev_io_stop(loop_, &b->slave_r);
    ev_io_stop(loop_, &b->slave_w);
    close(b->client_fd);
    b->client_fd = -1;
    if (b->slave_fd >= 0)
        close(b->slave_fd); /* the PTY sees its client go: what it left unread is dropped */
    b->slave_fd = -1;
    bytebuf_free(&b->to_client);
    bytebuf_free(&b->to_slave);
    b->suspended = false;
    if (b->rfc2217)
        modem_port_host_rate(b->m, 0); /* the next host's rate is not known */
}

/* Starts or stops the watchers as the queues fill and empty. */
static void arm(struct bridge *b)
{
    if (b->client_fd < 0)
        return;
    if (bytebuf_pending(&b->to_client) > 0 && !b->suspended)
        ev_io_start(loop_, &b->client_w);
    else
        ev_io_stop(loop_, &b->client_w);
    if (bytebuf_pending(&b->to_slave) > 0)
        ev_io_start(loop_, &b->slave_w);
    else
        ev_io_stop(loop_, &b->slave_w);
    if (bytebuf_pending(&b->to_client) < RELAY_MAX)
        ev_io_start(loop_, &b->slave_r);
    else
        ev_io_stop(loop_, &b->slave_r);
    /* A client whose own answers pile up unread (suspended, or not
     * reading) is read no more until they go. */
    if (bytebuf_pending(&b->to_slave) < RELAY_MAX && bytebuf_pending(&b->to_client) < 2 * RELAY_MAX)
        ev_io_start(loop_, &b->client_r);
    else
        ev_io_stop(loop_, &b->client_r);
}

/* --- Telnet and RFC 2217 --- */

static void send_raw(struct bridge *b, const uint8_t *p, size_t n)
{
    bytebuf_append(&b->to_client, p, n);
}

static void negotiate(struct bridge *b, int cmd, int opt)
{
    bool accept = opt == OPT_BINARY || opt == OPT_SGA || opt == OPT_COM_PORT;
    if (cmd == WILL || cmd == WONT) { /* they will / won't: our DO / DONT */
        bool on = cmd == WILL && accept;
        if (b->they[opt] == on && !(cmd == WILL && !accept))
            return;
        b->they[opt] = on;
        uint8_t r[3] = {IAC, on ? DO : DONT, (uint8_t)opt};
        send_raw(b, r, 3);
    } else { /* DO / DONT: our WILL / WONT */
        bool on = cmd == DO && accept;
        if (b->we[opt] == on && !(cmd == DO && !accept))
            return;
        b->we[opt] = on;
        uint8_t r[3] = {IAC, on ? WILL : WONT, (uint8_t)opt};
        send_raw(b, r, 3);
    }
}

/* SB COM-PORT-OPTION <code> <value...> IAC SE, IAC in the value doubled. */
static void com_port_reply(struct bridge *b, int code, const uint8_t *v, size_t n)
{
    uint8_t head[4] = {IAC, SB, OPT_COM_PORT, (uint8_t)code};
    send_raw(b, head, 4);
    for (size_t i = 0; i < n; i++) {
        send_raw(b, &v[i], 1);
        if (v[i] == IAC)
            send_raw(b, &v[i], 1);
    }
    uint8_t tail[2] = {IAC, SE};
    send_raw(b, tail, 2);
}

/* A subnegotiation of the client: the COM-PORT-OPTION's requests. */
static void com_port(struct bridge *b, const uint8_t *sb, size_t sb_len)
{
    if (sb_len < 2 || sb[0] != OPT_COM_PORT)
        return;
    int code = sb[1];
    const uint8_t *v = sb + 2;
    size_t n = sb_len - 2;
    uint8_t out[4];
    uint8_t *field = NULL;
    switch (code) {
    case 1: /* SET-BAUDRATE: 0 asks for the current one */
        if (n == 4) {
            uint32_t baud =
                (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
            if (baud) {
                b->baud = baud;
                modem_port_host_rate(b->m, (long)baud); /* autobauding follows it */
            }
            trace_note(b->m->id, "net-serial", "baud rate %u", b->baud);
        }
        out[0] = (uint8_t)(b->baud >> 24);
        out[1] = (uint8_t)(b->baud >> 16);
        out[2] = (uint8_t)(b->baud >> 8);
        out[3] = (uint8_t)b->baud;
        com_port_reply(b, 101, out, 4);
        return;
    case 2:
        field = &b->datasize;
        break;
    case 3:
        field = &b->parity;
        break;
    case 4:
        field = &b->stopsize;
        break;
    case 5:
        field = &b->control;
        break;
    case 7: /* NOTIFY-MODEMSTATE asked: CD, DSR and CTS are up */
        out[0] = 0xB0;
        com_port_reply(b, 107, out, 1);
        return;
    case 10:
    case 11: /* line/modem state masks: nothing changes state here */
        com_port_reply(b, code + 100, v, n > 1 ? 1 : n);
        return;
    case 12: /* PURGE-DATA: 1 what the modem wrote and the client has not
              * been sent (still in the PTY), 2 what the client sent and
              * the modem has not read, 3 both; what is already queued to
              * the client precedes this answer, and pyserial drops it. */
        if (n >= 1 && b->slave_fd >= 0 && v[0] >= 1 && v[0] <= 3) {
            if (v[0] & 1)
                tcflush(b->slave_fd, TCIFLUSH);
            if (v[0] & 2) {
                bytebuf_free(&b->to_slave);
                tcflush(b->slave_fd, TCOFLUSH);
            }
            trace_note(b->m->id, "net-serial", "purge %s",
                       v[0] == 1   ? "receive"
                       : v[0] == 2 ? "transmit"
                                   : "both");
        }
        com_port_reply(b, code + 100, v, n > 1 ? 1 : n);
        return;
    case 8: /* FLOWCONTROL-SUSPEND: hold what goes to the client (the PTY,
             * then the modem, feel it as a client that stops reading) */
    case 9: /* FLOWCONTROL-RESUME */
        b->suspended = code == 8;
        trace_note(b->m->id, "net-serial", "flow control %s", b->suspended ? "suspend" : "resume");
        return; /* RFC 2217 gives these no answer */
    default:    /* signature, break, the rest: no answer */
        return;
    }
    if (n >= 1 && v[0] != 0 &&
        !(code == 5 &&
          (v[0] == 0 || v[0] == 4 || v[0] == 7 || v[0] == 10 || v[0] == 13 || v[0] == 16)))
        *field = v[0]; /* SET-CONTROL's requests (0, 4, 7, ...) ask, not set */
    com_port_reply(b, code + 100, field, 1);
}

/* The client's bytes: data to the modem, Telnet to us (telnet.h). */
static void telnet_data(void *ud, const uint8_t *p, size_t n)
{
    struct bridge *b = ud;
    bytebuf_append(&b->to_slave, p, n);
}

static void telnet_option(void *ud, uint8_t cmd, uint8_t opt) { negotiate(ud, cmd, opt); }

static void telnet_subneg(void *ud, const uint8_t *sb, size_t n) { com_port(ud, sb, n); }

static void from_client(struct bridge *b, const uint8_t *p, size_t n)
{
    if (!b->rfc2217) {
        bytebuf_append(&b->to_slave, p, n);
        return;
    }
    static const struct telnet_events events = {telnet_data, telnet_option, telnet_subneg, NULL};
    struct telnet_events ev = events;
    ev.ud = b;
    telnet_decode(&b->telnet, p, n, &ev);
}

/* The modem's bytes, IAC doubled for a Telnet client. */
static void to_client(struct bridge *b, const uint8_t *p, size_t n)
{
    if (!b->rfc2217) {
        bytebuf_append(&b->to_client, p, n);
        return;
    }
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == IAC) {
            bytebuf_append(&b->to_client, p + start, i - start + 1);
            bytebuf_append(&b->to_client, p + i, 1);
            start = i + 1;
        }
    }
    bytebuf_append(&b->to_client, p + start, n - start);
}

/* --- the four watchers --- */

static void client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct bridge *b = w->data;
    uint8_t buf[16384];
    ssize_t n = read(b->client_fd, buf, sizeof(buf));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        drop_client(b, n == 0 ? "closed" : strerror(errno));
        return;
    }
    if (n > 0)
        from_client(b, buf, (size_t)n);
    arm(b);
}

static void client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct bridge *b = w->data;
    ssize_t n = write(b->client_fd, bytebuf_head(&b->to_client), bytebuf_pending(&b->to_client));
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        drop_client(b, strerror(errno));
        return;
    }
    if (n > 0)
        bytebuf_consume(&b->to_client, (size_t)n);
    arm(b);
}

static void slave_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct bridge *b = w->data;
    uint8_t buf[16384];
    ssize_t n = read(b->slave_fd, buf, sizeof(buf));
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        drop_client(b, "the port closed");
        return;
    }
    if (n > 0)
        to_client(b, buf, (size_t)n);
    arm(b);
}

static void slave_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct bridge *b = w->data;
    ssize_t n = write(b->slave_fd, bytebuf_head(&b->to_slave), bytebuf_pending(&b->to_slave));
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        drop_client(b, "the port closed");
        return;
    }
    if (n > 0)
        bytebuf_consume(&b->to_slave, (size_t)n);
    arm(b);
}

/* Another client (a local program) has the PTY open. */
static bool port_taken(const struct bridge *b) { return pty_has_client(&b->m->pty); }

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct bridge *b = w->data;
    int fd = accept4(b->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (b->client_fd >= 0 || port_taken(b)) {
        static const char busy[] = "sim800emu: this modem's port has a client already\r\n";
        ssize_t ignored = write(fd, busy, sizeof(busy) - 1);
        (void)ignored;
        close(fd);
        trace_note(b->m->id, "net-serial", "refused a second client");
        return;
    }
    int slave = open(modem_port_path(b->m), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (slave < 0) {
        close(fd);
        return;
    }
    b->client_fd = fd;
    b->slave_fd = slave;
    b->telnet = (struct telnet_decoder){0}; /* a new client: a new stream */
    memset(b->we, 0, sizeof(b->we));
    memset(b->they, 0, sizeof(b->they));
    b->baud = 115200;
    b->datasize = 8;
    b->parity = 1;   /* NONE */
    b->stopsize = 1; /* 1 */
    b->control = 1;  /* no flow control */
    ev_io_init(&b->client_r, client_read_cb, fd, EV_READ);
    ev_io_init(&b->client_w, client_write_cb, fd, EV_WRITE);
    ev_io_init(&b->slave_r, slave_read_cb, slave, EV_READ);
    ev_io_init(&b->slave_w, slave_write_cb, slave, EV_WRITE);
    b->client_r.data = b->client_w.data = b->slave_r.data = b->slave_w.data = b;
    if (b->rfc2217) { /* the server's own offers (RFC 2217 §2) */
        negotiate(b, DO, OPT_BINARY);
        negotiate(b, WILL, OPT_BINARY);
        negotiate(b, DO, OPT_SGA);
        negotiate(b, WILL, OPT_SGA);
        negotiate(b, DO, OPT_COM_PORT);
    }
    trace_note(b->m->id, "net-serial", "client connected (%s)", b->rfc2217 ? "RFC 2217" : "raw");
    (void)loop;
    arm(b);
}

int serial_net_start(struct ev_loop *loop, struct modem **modems, long n, const char *addr,
                     int port, bool rfc2217, char *err, size_t errlen)
{
    loop_ = loop;
    bridges = calloc((size_t)n, sizeof(*bridges));
    if (!bridges) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    nbridges = n;
    for (long i = 0; i < n; i++) { /* serial_net_stop() may run after any failure below */
        bridges[i].m = modems[i];
        bridges[i].client_fd = bridges[i].slave_fd = bridges[i].listen_fd = -1;
    }
    struct in_addr ip;
    if (inet_pton(AF_INET, addr ? addr : "127.0.0.1", &ip) != 1) {
        snprintf(err, errlen, "--listen %s: not an IPv4 address", addr);
        return -1;
    }
    for (long i = 0; i < n; i++) {
        struct bridge *b = &bridges[i];
        b->index = i;
        b->rfc2217 = rfc2217;
        b->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        struct sockaddr_in sa = {
            .sin_family = AF_INET, .sin_port = htons((uint16_t)(port + i)), .sin_addr = ip};
        if (b->listen_fd < 0 ||
            setsockopt(b->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(b->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(b->listen_fd, 4) < 0) {
            snprintf(err, errlen, "--listen: port %ld: %s", port + i, strerror(errno));
            return -1;
        }
        snprintf(b->endpoint, sizeof(b->endpoint), "%s:%ld", addr ? addr : "127.0.0.1", port + i);
        ev_io_init(&b->accept_w, accept_cb, b->listen_fd, EV_READ);
        b->accept_w.data = b;
        ev_io_start(loop, &b->accept_w);
    }
    return 0;
}

void serial_net_stop(void)
{
    for (long i = 0; i < nbridges; i++) {
        struct bridge *b = &bridges[i];
        drop_client(b, "stopping");
        if (b->listen_fd >= 0) {
            ev_io_stop(loop_, &b->accept_w);
            close(b->listen_fd);
        }
    }
    free(bridges);
    bridges = NULL;
    nbridges = 0;
}
