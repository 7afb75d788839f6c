/* A service tested in process (README "Adding a service"): a modem made
 * with modem_create_detached() runs the net light service alone, its
 * output going to a buffer; no PTY, no other service, no sleep.  Bytes in
 * through modem_input(), the answer checked byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lifecycle.h"
#include "modem.h"
#include "netlight.h"
#include "port.h"
#include "profile.h"
#include "service.h"

static struct profile profile;
static const struct service *const only_netlight[] = {&netlight_service, NULL};

struct out {
    char bytes[4096];
    size_t n;
};

static void sink(void *ud, const uint8_t *p, size_t n)
{
    struct out *o = ud;
    if (o->n + n < sizeof(o->bytes)) {
        memcpy(o->bytes + o->n, p, n);
        o->n += n;
        o->bytes[o->n] = '\0';
    }
}

/* Runs the loop until the boot is over (every boot time is 0).  "Call
 * Ready" and "SMS Ready" are the call and SMS services' answers to the
 * boot's events: without those services the module prints neither. */
static struct modem *booted(struct out *o)
{
    struct modem *m = modem_create_detached(0, EV_DEFAULT, &profile, only_netlight, sink, o);
    assert_non_null(m);
    for (int i = 0; i < 100; i++)
        ev_run(EV_DEFAULT, EVRUN_NOWAIT);
    assert_non_null(strstr(o->bytes, "+CPIN: READY\r\n"));
    assert_null(strstr(o->bytes, "Call Ready"));
    assert_null(strstr(o->bytes, "SMS Ready"));
    o->n = 0;
    o->bytes[0] = '\0';
    return m;
}

/* Sends line (with its CR) and checks the whole answer, echo included. */
static void exchange(struct modem *m, struct out *o, const char *line, const char *answer)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "%s\r", line);
    modem_input(m, (const uint8_t *)cmd, strlen(cmd));
    ev_run(EV_DEFAULT, EVRUN_NOWAIT);
    char want[512];
    snprintf(want, sizeof(want), "%s\r%s", line, answer);
    assert_string_equal(o->bytes, want);
    o->n = 0;
    o->bytes[0] = '\0';
}

static void commands_and_at_w(void **state)
{
    (void)state;
    struct out o = {.n = 0};
    struct modem *m = booted(&o);
    exchange(m, &o, "AT+SLEDS?",
             "\r\n+SLEDS: 1,64,800\r\n+SLEDS: 2,64,3000\r\n+SLEDS: 3,64,300\r\n\r\nOK\r\n");
    exchange(m, &o, "AT+SLEDS=2,40,65535", "\r\nOK\r\n");
    exchange(m, &o, "AT+SLEDS=2,39,800", "\r\nERROR\r\n");
    exchange(m, &o, "AT&W", "\r\nOK\r\n");
    exchange(m, &o, "AT+SLEDS=2,64,3000;+CNETLIGHT=0", "\r\nOK\r\n");
    exchange(m, &o, "ATZ", "\r\nOK\r\n");
    exchange(m, &o, "AT+CNETLIGHT?;+SLEDS?",
             "\r\n+CNETLIGHT: 1\r\n\r\n+SLEDS: 1,64,800\r\n+SLEDS: 2,40,65535\r\n"
             "+SLEDS: 3,64,300\r\n\r\nOK\r\n");
    /* The status member, as the control socket shows it. */
    struct bytebuf b = {0};
    modem_status_services(m, &b);
    bytebuf_append(&b, "", 1);
    assert_string_equal((const char *)bytebuf_head(&b), ",\"netlight\":\"40/65535\"");
    bytebuf_free(&b);
    modem_destroy(m);
}

static void the_control_request(void **state)
{
    (void)state;
    struct out o = {.n = 0};
    struct modem *m = booted(&o);
    void *st;
    const struct service_verb *v = modem_service_verb(m, "netlight", &st);
    assert_non_null(v);
    struct bytebuf b = {0};
    v->run(m, st, "", &b);
    bytebuf_append(&b, "", 1);
    assert_string_equal((const char *)bytebuf_head(&b), "ok 64/3000 registered");
    bytebuf_free(&b);
    assert_null(modem_service_verb(m, "sms", &st));
    modem_destroy(m);
}

static int setup(void **state)
{
    (void)state;
    /* The shipped profiles name every service's keys, which a profile loaded
     * for this one service would refuse as unknown: a profile that sets
     * nothing gives the same values (the keys' defaults). */
    char err[256], path[] = "/tmp/sim800emu-netlight-XXXXXX.ini";
    int fd = mkstemps(path, 4);
    if (fd < 0 || write(fd, "[profile]\n", 10) != 10) {
        fprintf(stderr, "cannot write %s\n", path);
        return -1;
    }
    close(fd);
    int rc = service_profile_load(&profile, only_netlight, path, NULL, err, sizeof(err));
    unlink(path);
    if (rc < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    profile.rdy_ms = profile.cpin_ms = profile.call_ready_ms = profile.sms_ready_ms = 0;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commands_and_at_w),
        cmocka_unit_test(the_control_request),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
