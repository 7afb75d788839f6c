/* Loopback test servers and an event loop for the unit tests of the net
 * library: starts a tests/servers/ script as a child process, reads its
 * "PORT <n>" line, and lets a test wait for lines on its stderr.  The
 * servers bind 127.0.0.1 only and exit by themselves when the test does
 * ($SIM800EMU_WATCH_PARENT). */
#ifndef SIM800EMU_NETRIG_H
#define SIM800EMU_NETRIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct rig {
    pid_t pid;
    int out_fd, err_fd;
    int port;
    char log[65536]; /* stderr so far, NUL-terminated (the rest is dropped) */
    size_t loglen;
};

/* The repository ($SIM800EMU_SOURCE_ROOT, set by meson). */
const char *rig_root(void);
/* The test PKI directory (certs/gen.sh run once); aborts if it cannot be made. */
const char *rig_pki(void);
/* "<pki>/<name>" in a static buffer of its own per call slot (4 slots). */
const char *rig_pki_file(const char *name);

/* Starts /usr/bin/python3 tests/servers/<script> args... (NULL-terminated);
 * returns the port, or -1. */
int rig_start(struct rig *r, const char *script, const char *const *args);
/* Waits up to timeout_s for needle in the server's stderr. */
bool rig_wait_log(struct rig *r, const char *needle, double timeout_s);
/* Takes what the server wrote to stderr so far, without waiting. */
void rig_poll_log(struct rig *r);
void rig_stop(struct rig *r);

/* net_init() on the default loop with the test root as trust store; once. */
void rig_net_init(void);
/* Runs the loop until *counter differs from start, or timeout_s passes;
 * false on timeout. */
bool rig_run_until(const int *counter, int start, double timeout_s);
/* Runs the loop for s seconds. */
void rig_run_for(double s);

#endif
