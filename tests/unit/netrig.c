#include "netrig.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *rig_root(void)
{
    const char *r = getenv("SIM800EMU_SOURCE_ROOT");
    return r && r[0] ? r : ".";
}

const char *rig_pki(void)
{
    static char dir[1024];
    if (dir[0])
        return dir;
    const char *env = getenv("SIM800EMU_PKI_DIR");
    if (env && env[0])
        snprintf(dir, sizeof(dir), "%s", env);
    else
        snprintf(dir, sizeof(dir), "%s/certs/out", rig_root());
    char cmd[2300];
    snprintf(cmd, sizeof(cmd), "bash '%s/certs/gen.sh' '%s' >/dev/null 2>&1", rig_root(), dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "netrig: %s failed\n", cmd);
        abort();
    }
    return dir;
}

const char *rig_pki_file(const char *name)
{
    static char slots[4][1200];
    static int next;
    char *s = slots[next++ % 4];
    snprintf(s, sizeof(slots[0]), "%s/%s", rig_pki(), name);
    return s;
}

static void drain_err(struct rig *r, int timeout_ms)
{
    struct pollfd p = {.fd = r->err_fd, .events = POLLIN};
    if (r->err_fd < 0 || poll(&p, 1, timeout_ms) <= 0)
        return;
    char buf[4096];
    ssize_t n = read(r->err_fd, buf, sizeof(buf));
    if (n <= 0) {
        close(r->err_fd);
        r->err_fd = -1;
        return;
    }
    size_t room = sizeof(r->log) - 1 - r->loglen;
    size_t k = (size_t)n < room ? (size_t)n : room;
    memcpy(r->log + r->loglen, buf, k);
    r->loglen += k;
    r->log[r->loglen] = '\0';
}

int rig_start(struct rig *r, const char *script, const char *const *args)
{
    memset(r, 0, sizeof(*r));
    r->pid = -1;
    r->out_fd = r->err_fd = -1;
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
        return -1;
    char path[1200], parent[32];
    snprintf(path, sizeof(path), "%s/tests/servers/%s", rig_root(), script);
    snprintf(parent, sizeof(parent), "%d", (int)getpid());
    const char *argv[40] = {"/usr/bin/python3", path};
    int n = 2;
    for (; args && *args && n < 39; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    r->pid = fork();
    if (r->pid < 0)
        return -1;
    if (r->pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        setenv("SIM800EMU_WATCH_PARENT", parent, 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    r->out_fd = out[0];
    r->err_fd = err[0];
    /* "PORT <n>\n", within 10 s. */
    char line[64];
    size_t len = 0;
    double deadline = now() + 10;
    while (len < sizeof(line) - 1 && now() < deadline) {
        struct pollfd p = {.fd = r->out_fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t k = read(r->out_fd, line + len, 1);
        if (k <= 0)
            break;
        len++;
        if (line[len - 1] == '\n')
            break;
    }
    line[len] = '\0';
    if (sscanf(line, "PORT %d", &r->port) != 1) {
        drain_err(r, 200);
        fprintf(stderr, "netrig: %s did not start: %s\n%s\n", script, line, r->log);
        rig_stop(r);
        return -1;
    }
    return r->port;
}

bool rig_wait_log(struct rig *r, const char *needle, double timeout_s)
{
    double deadline = now() + timeout_s;
    for (;;) {
        if (strstr(r->log, needle))
            return true;
        double left = deadline - now();
        if (left <= 0 || r->err_fd < 0) {
            fprintf(stderr, "netrig: no '%s' in the server log:\n%s\n", needle, r->log);
            return false;
        }
        drain_err(r, (int)(left * 1000) + 1);
    }
}

void rig_poll_log(struct rig *r)
{
    for (size_t before = r->loglen + 1; r->err_fd >= 0 && before != r->loglen;) {
        before = r->loglen;
        drain_err(r, 0);
    }
}

void rig_stop(struct rig *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGTERM);
        waitpid(r->pid, NULL, 0);
    }
    r->pid = -1;
    if (r->out_fd >= 0)
        close(r->out_fd);
    if (r->err_fd >= 0)
        close(r->err_fd);
    r->out_fd = r->err_fd = -1;
}

void rig_net_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    signal(SIGPIPE, SIG_IGN);
    struct net_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.ca_file, sizeof(cfg.ca_file), "%s", rig_pki_file("root.crt"));
    char err[256];
    if (net_init(EV_DEFAULT, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "netrig: net_init: %s\n", err);
        abort();
    }
}

static void wake_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)t;
    (void)revents;
}

bool rig_run_until(const int *counter, int start, double timeout_s)
{
    struct ev_loop *loop = EV_DEFAULT;
    ev_timer wake;
    ev_timer_init(&wake, wake_cb, 0.05, 0.05);
    ev_timer_start(loop, &wake);
    double deadline = now() + timeout_s;
    while ((!counter || *counter == start) && now() < deadline)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &wake);
    return counter && *counter != start;
}

void rig_run_for(double s) { rig_run_until(NULL, 0, s); }
