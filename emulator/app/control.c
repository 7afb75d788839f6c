#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fault.h"
#include "fault_glue.h"
#include "trace.h"
#include "util.h"

struct client {
    int fd;
    ev_io rio, wio;
    char line[CONTROL_LINE_MAX];
    size_t len;
    bool overflow;      /* skipping the rest of an over-long line */
    struct bytebuf in;  /* received, not yet taken: one read's worth at most */
    struct bytebuf out; /* replies not yet sent */
    bool used;
    bool needs_auth; /* a TCP client: "auth TOKEN" before anything else */
};

static struct ev_loop *loop_;
static int listen_fd = -1;
static ev_io accept_io;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct client clients[CONTROL_CLIENTS_MAX];
/* --control-tcp: the same requests over TCP, after "auth TOKEN". */
static int tcp_fd = -1;
static ev_io tcp_accept_io;
static char tcp_token[256];

static void client_close(struct client *c)
{
    if (!c->used)
        return;
    ev_io_stop(loop_, &c->rio);
    ev_io_stop(loop_, &c->wio);
    close(c->fd);
    bytebuf_free(&c->in);
    bytebuf_free(&c->out);
    c->used = false;
}

/* Sends what the socket takes; false when the client is gone. */
static bool send_out(struct client *c)
{
    while (bytebuf_pending(&c->out) > 0) {
        ssize_t w = send(c->fd, bytebuf_head(&c->out), bytebuf_pending(&c->out), MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            client_close(c);
            return false;
        }
        bytebuf_consume(&c->out, (size_t)w);
    }
    if (bytebuf_pending(&c->out) > 0)
        ev_io_start(loop_, &c->wio);
    else
        ev_io_stop(loop_, &c->wio);
    return true;
}

/* Queues a reply whole, whatever its length (a status of 4,096 modems is
 * about 800 KB): the bound is kept by take_requests, which takes no new
 * request while CONTROL_OUT_MAX bytes of replies wait. */
static void reply(struct client *c, const char *text)
{
    bytebuf_append_str(&c->out, text);
    bytebuf_append_str(&c->out, "\n");
}

static void reply_buf(struct client *c, struct bytebuf *b)
{
    bytebuf_append(b, "", 1);
    reply(c, (const char *)bytebuf_head(b));
    bytebuf_free(b);
}

static const char help_requests[] =
    "ok requests: fault add SPEC | fault list | fault clear [ID] | status | help";

static bool word_is(const char **p, const char *w)
{
    size_t n = strlen(w);
    if (strncmp(*p, w, n) != 0 || ((*p)[n] != ' ' && (*p)[n] != '\0'))
        return false;
    *p += n;
    while (**p == ' ')
        (*p)++;
    return true;
}

static void handle(struct client *c, const char *line, size_t len)
{
    /* Text only (UTF-8, for the words of an SMS): a binary request gets a
     * clear answer. */
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        size_t seq = ch >= 0x80 ? utf8_valid_prefix((const unsigned char *)line + i, len - i) : 0;
        if (seq > 1) {
            i += seq - 1;
            continue;
        }
        if (ch < 0x20 || ch >= 0x7f) {
            char msg[96];
            snprintf(msg, sizeof(msg),
                     "error binary request: byte 0x%02x at %zu (requests are text lines)", ch, i);
            reply(c, msg);
            return;
        }
    }
    char buf[CONTROL_LINE_MAX + 1];
    memcpy(buf, line, len);
    buf[len] = '\0';
    const char *p = buf;
    while (*p == ' ')
        p++;
    if (c->needs_auth) {
        /* The shared secret, compared in constant time; its text is not traced. */
        const char *t = p;
        bool ok = word_is(&t, "auth") && strlen(t) == strlen(tcp_token);
        unsigned char diff = 0;
        for (size_t i = 0; ok && tcp_token[i]; i++)
            diff |= (unsigned char)(t[i] ^ tcp_token[i]);
        if (ok && diff == 0) {
            c->needs_auth = false;
            trace_note(0, "control", "a TCP client authenticated");
            reply(c, "ok");
        } else {
            trace_note(0, "control", "a TCP client failed to authenticate");
            reply(c, "error auth TOKEN first (the token of $SIM800EMU_CONTROL_TOKEN)");
        }
        return;
    }
    trace_note(0, "control", "request: %s", p);
    char msg[600];
    if (word_is(&p, "fault")) {
        if (word_is(&p, "add")) {
            char err[400];
            int id = fault_glue_add(p, strlen(p), err, sizeof(err));
            if (id < 0)
                snprintf(msg, sizeof(msg), "error %s", err);
            else
                snprintf(msg, sizeof(msg), "ok %d", id);
            reply(c, msg);
            return;
        }
        if (word_is(&p, "list")) {
            if (*p) {
                reply(c, "error fault list takes nothing after it");
                return;
            }
            struct bytebuf b = {0};
            bytebuf_append_str(&b, "ok ");
            fault_glue_list_json(&b);
            reply_buf(c, &b);
            return;
        }
        if (word_is(&p, "clear")) {
            long id = 0;
            if (*p) {
                char *end;
                id = strtol(p, &end, 10);
                if (*end || id <= 0 || id > 1000000000L) {
                    reply(c, "error fault clear takes a rule id (or nothing: every rule)");
                    return;
                }
            }
            snprintf(msg, sizeof(msg), "ok %d", fault_glue_clear((int)id));
            reply(c, msg);
            return;
        }
        reply(c, "error fault takes add SPEC, list or clear [ID]");
        return;
    }
    if (word_is(&p, "status")) {
        struct bytebuf b = {0};
        bytebuf_append_str(&b, "ok ");
        fault_glue_status_json(&b);
        reply_buf(c, &b);
        return;
    }
    if (word_is(&p, "help")) {
        /* The grammar is fault.c's, shown by --help too. */
        struct bytebuf b = {0};
        bytebuf_append_str(&b, help_requests);
        fault_glue_service_verbs(&b);
        bytebuf_append_str(&b, "; SPEC: ");
        bytebuf_append_str(&b, fault_grammar());
        reply_buf(c, &b);
        return;
    }
    if (!*p) {
        reply(c, "error empty request (try help)");
        return;
    }
    /* A request a service answers (struct service.verbs): "netlight 0". */
    struct bytebuf b = {0};
    if (fault_glue_service_request(p, &b) == 0) {
        reply_buf(c, &b);
        return;
    }
    bytebuf_free(&b);
    snprintf(msg, sizeof(msg), "error unknown request '%.60s' (fault add|list|clear, status, help)",
             p);
    reply(c, msg);
}

/* One byte of a request line: a whole line is handled; an over-long one is
 * skipped to its end and answered with an error. */
static void take_byte(struct client *c, char ch)
{
    if (ch == '\n') {
        if (c->overflow) {
            char msg[80];
            snprintf(msg, sizeof(msg), "error request longer than %d bytes", CONTROL_LINE_MAX - 1);
            reply(c, msg);
        } else {
            size_t len = c->len;
            if (len > 0 && c->line[len - 1] == '\r')
                len--;
            handle(c, c->line, len);
        }
        c->len = 0;
        c->overflow = false;
        return;
    }
    if (c->overflow)
        return;
    if (c->len + 1 >= CONTROL_LINE_MAX) {
        c->overflow = true;
        return;
    }
    c->line[c->len++] = ch;
}

/* Takes the requests received, one line at a time, until the replies not
 * yet sent reach CONTROL_OUT_MAX: then the rest waits in c->in and the
 * socket is not read (the client's writes block: push-back, not a drop)
 * until the write watcher has sent enough. */
static void take_requests(struct client *c)
{
    do {
        const char *p = (const char *)bytebuf_head(&c->in);
        size_t n = bytebuf_pending(&c->in), i = 0;
        while (i < n && c->used && bytebuf_pending(&c->out) < CONTROL_OUT_MAX)
            take_byte(c, p[i++]);
        if (!c->used)
            return;
        bytebuf_consume(&c->in, i);
        if (!send_out(c))
            return;
    } while (bytebuf_pending(&c->in) > 0 && bytebuf_pending(&c->out) < CONTROL_OUT_MAX);
    if (bytebuf_pending(&c->in) > 0)
        ev_io_stop(loop_, &c->rio);
    else
        ev_io_start(loop_, &c->rio);
}

static void client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct client *c = w->data;
    char buf[4096];
    ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        client_close(c);
        return;
    }
    if (r < 0)
        return;
    bytebuf_append(&c->in, buf, (size_t)r);
    take_requests(c);
}

static void client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct client *c = w->data;
    if (!send_out(c))
        return;
    if (bytebuf_pending(&c->in) > 0 && bytebuf_pending(&c->out) < CONTROL_OUT_MAX)
        take_requests(c);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    bool tcp = w == &tcp_accept_io;
    int fd = accept4(tcp ? tcp_fd : listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    /* The UNIX socket is 0600, and the peer's uid is checked as well; a TCP
     * client proves itself with the token instead. */
    struct ucred cred;
    socklen_t clen = sizeof(cred);
    if (!tcp && (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
                 (cred.uid != geteuid() && cred.uid != 0))) {
        close(fd);
        return;
    }
    struct client *c = NULL;
    for (int i = 0; i < CONTROL_CLIENTS_MAX; i++)
        if (!clients[i].used) {
            c = &clients[i];
            break;
        }
    if (!c) {
        static const char busy[] = "error too many control clients\n";
        (void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(fd);
        return;
    }
    memset(c, 0, sizeof(*c));
    c->used = true;
    c->fd = fd;
    c->needs_auth = tcp;
    ev_io_init(&c->rio, client_read_cb, fd, EV_READ);
    c->rio.data = c;
    ev_io_init(&c->wio, client_write_cb, fd, EV_WRITE);
    c->wio.data = c;
    ev_io_start(loop_, &c->rio);
}

/* Whether path is a socket of ours that nobody listens on any more. */
static bool stale_socket_of_ours(const char *path, const struct stat *st)
{
    if (!S_ISSOCK(st->st_mode) || st->st_uid != geteuid())
        return false;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    int e = errno;
    close(fd);
    return rc < 0 && e == ECONNREFUSED;
}

int control_open(struct ev_loop *loop, const char *path, char *err, size_t errlen)
{
    loop_ = loop;
    if (strlen(path) >= sizeof(sock_path)) {
        snprintf(err, errlen, "--control %s: path longer than %zu bytes", path,
                 sizeof(sock_path) - 1);
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!stale_socket_of_ours(path, &st)) {
            snprintf(err, errlen,
                     "--control %s: exists and is not a stale socket of ours (%s); remove it first",
                     path,
                     S_ISSOCK(st.st_mode) ? "a socket in use or another user's" : "not a socket");
            return -1;
        }
        if (unlink(path) < 0) {
            snprintf(err, errlen, "--control %s: %s", path, strerror(errno));
            return -1;
        }
    }
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd < 0) {
        snprintf(err, errlen, "--control: socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    /* 0600 from the start: no moment in which another user may connect. */
    mode_t old = umask(0177);
    int rc = bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa));
    int e = errno;
    umask(old);
    if (rc < 0 || chmod(path, 0600) < 0 || listen(listen_fd, 8) < 0) {
        snprintf(err, errlen, "--control %s: %s", path, strerror(rc < 0 ? e : errno));
        close(listen_fd);
        listen_fd = -1;
        if (rc == 0)
            unlink(path);
        return -1;
    }
    memcpy(sock_path, path, strlen(path) + 1);
    ev_io_init(&accept_io, accept_cb, listen_fd, EV_READ);
    ev_io_start(loop, &accept_io);
    return 0;
}

int control_open_tcp(struct ev_loop *loop, const char *where, const char *token, char *err,
                     size_t errlen)
{
    loop_ = loop;
    if (!token || strlen(token) < 16 || strlen(token) >= sizeof(tcp_token) || strchr(token, ' ') ||
        strchr(token, '\n')) {
        snprintf(err, errlen,
                 "--control-tcp needs $SIM800EMU_CONTROL_TOKEN: 16 to 255 characters, "
                 "no spaces (the secret a client sends first: auth TOKEN)");
        return -1;
    }
    char addr[64] = "127.0.0.1";
    const char *colon = strrchr(where, ':');
    if (colon)
        snprintf(addr, sizeof(addr), "%.*s", (int)(colon - where), where);
    char *end;
    long port = strtol(colon ? colon + 1 : where, &end, 10);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (*end || port < 1 || port > 65535 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "--control-tcp %s: [IPv4-ADDRESS:]PORT", where);
        return -1;
    }
    int one = 1;
    tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (tcp_fd < 0 || setsockopt(tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(tcp_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(tcp_fd, 8) < 0) {
        snprintf(err, errlen, "--control-tcp %s: %s", where, strerror(errno));
        if (tcp_fd >= 0)
            close(tcp_fd);
        tcp_fd = -1;
        return -1;
    }
    str_copy(tcp_token, sizeof(tcp_token), token);
    ev_io_init(&tcp_accept_io, accept_cb, tcp_fd, EV_READ);
    ev_io_start(loop, &tcp_accept_io);
    return 0;
}

void control_close(void)
{
    for (int i = 0; i < CONTROL_CLIENTS_MAX; i++)
        client_close(&clients[i]);
    if (tcp_fd >= 0) {
        ev_io_stop(loop_, &tcp_accept_io);
        close(tcp_fd);
        tcp_fd = -1;
    }
    if (listen_fd >= 0) {
        ev_io_stop(loop_, &accept_io);
        close(listen_fd);
        listen_fd = -1;
        unlink(sock_path);
    }
}
