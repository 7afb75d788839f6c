/* The PTY watcher (emulator/modem/pty_watch.c) with two event loops: a
 * client opening a port is told on the loop that runs that port, and only
 * there; each loop's inotify descriptor goes with its last port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ev.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "pty_watch.h"

struct port {
    int master;
    char slave[64];
    int wd;
    int opens; /* IN_OPEN events seen */
};

static void on_event(void *ud, uint32_t mask)
{
    struct port *p = ud;
    if (mask & IN_OPEN)
        p->opens++;
}

static void open_port(struct port *p, struct ev_loop *loop)
{
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(p->master >= 0);
    assert_int_equal(grantpt(p->master), 0);
    assert_int_equal(unlockpt(p->master), 0);
    assert_int_equal(ptsname_r(p->master, p->slave, sizeof(p->slave)), 0);
    p->opens = 0;
    p->wd = pty_watch_add(loop, p->slave, on_event, p);
    assert_true(p->wd >= 0);
}

static void client_opens(struct port *p)
{
    int fd = open(p->slave, O_RDWR | O_NOCTTY);
    assert_true(fd >= 0);
    close(fd);
}

static void turn(struct ev_loop *loop)
{
    for (int i = 0; i < 5; i++)
        ev_run(loop, EVRUN_NOWAIT);
}

static void each_loop_hears_its_own_ports(void **state)
{
    (void)state;
    struct ev_loop *a = ev_loop_new(EVFLAG_AUTO), *b = ev_loop_new(EVFLAG_AUTO);
    struct port pa, pb;
    open_port(&pa, a);
    open_port(&pb, b);

    client_opens(&pa);
    usleep(20000);
    turn(b); /* b's loop has nothing of a's */
    assert_int_equal(pa.opens, 0);
    turn(a);
    assert_int_equal(pa.opens, 1);
    assert_int_equal(pb.opens, 0);

    client_opens(&pb);
    usleep(20000);
    pty_watch_drain(a);
    assert_int_equal(pb.opens, 0);
    pty_watch_drain(b); /* drained on demand, as a hang-up does */
    assert_int_equal(pb.opens, 1);

    /* a's last port goes, and with it a's descriptor; b still hears */
    pty_watch_remove(a, pa.wd);
    close(pa.master);
    client_opens(&pb);
    usleep(20000);
    turn(b);
    assert_int_equal(pb.opens, 2);
    /* a new port on a gets a descriptor again */
    open_port(&pa, a);
    client_opens(&pa);
    usleep(20000);
    turn(a);
    assert_int_equal(pa.opens, 1);

    pty_watch_remove(a, pa.wd);
    pty_watch_remove(b, pb.wd);
    close(pa.master);
    close(pb.master);
    ev_loop_destroy(a);
    ev_loop_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_loop_hears_its_own_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
