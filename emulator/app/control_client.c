#include "control_client.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for fd to be ready for events until the deadline: 1 ready, 0 not. */
static int wait_fd(int fd, short events, double deadline)
{
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, (int)(left * 1000) + 1);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return 0;
    }
}

int control_request(const char *path, char **words, int nwords, double timeout_s)
{
    char request[CONTROL_LINE_MAX];
    size_t used = 0;
    for (int i = 0; i < nwords; i++) {
        int w = snprintf(request + used, sizeof(request) - used, "%s%s", i ? " " : "", words[i]);
        if (w < 0 || (size_t)w >= sizeof(request) - used - 1) {
            fprintf(stderr, "sim800emu: --request: longer than %d bytes\n", CONTROL_LINE_MAX - 1);
            return 2;
        }
        used += (size_t)w;
    }
    if (used == 0) {
        fprintf(stderr, "sim800emu: --request PATH needs a request (e.g. status)\n");
        return 2;
    }
    request[used++] = '\n';

    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "sim800emu: --request %s: path too long\n", path);
        return 2;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "sim800emu: --request %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 2;
    }
    double deadline = now_s() + timeout_s;
    for (size_t sent = 0; sent < used;) {
        if (!wait_fd(fd, POLLOUT, deadline)) {
            fprintf(stderr, "sim800emu: --request %s: cannot send: timed out\n", path);
            close(fd);
            return 1;
        }
        ssize_t n = send(fd, request + sent, used - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR && errno != EAGAIN) {
            fprintf(stderr, "sim800emu: --request %s: cannot send: %s\n", path, strerror(errno));
            close(fd);
            return 1;
        }
        if (n > 0)
            sent += (size_t)n;
    }
    /* The reply is one line; a status reply may be long, so it is printed
     * as it comes. */
    char buf[4096], head[2];
    size_t nhead = 0;
    bool done = false;
    while (!done && wait_fd(fd, POLLIN, deadline)) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n && nhead < sizeof(head); i++)
            head[nhead++] = buf[i];
        char *nl = memchr(buf, '\n', (size_t)n);
        if (nl) {
            n = nl - buf + 1;
            done = true;
        }
        fwrite(buf, 1, (size_t)n, stdout);
    }
    close(fd);
    if (!done) {
        fprintf(stderr, "sim800emu: --request %s: no whole reply within %.0f s\n", path, timeout_s);
        return 1;
    }
    bool ok = nhead == 2 && memcmp(head, "ok", 2) == 0;
    return fflush(stdout) == 0 && ok ? 0 : 1;
}
