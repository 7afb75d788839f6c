/* libFuzzer harness for a whole modem: any bytes a host may send, through
 * the framer, every command handler, data entry and the services' state,
 * with the event loop turning between chunks.  The network is the sandbox
 * with nothing mapped (no traffic leaves the process); the flash lives in a
 * temporary directory removed at exit.  The oracle is the sanitizers: no crash, no UB, no leak when
 * the modem is destroyed in whatever state the input left it.
 *
 * Input: the bytes, cut into chunks at every 0xFF (fed one after another
 * with the loop run in between), so inputs can mix commands and timing. */
#include <ev.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fs.h"
#include "fuzz.h"
#include "lifecycle.h"
#include "modem.h"
#include "net.h"
#include "port.h"
#include "profile.h"
#include "services.h"

static struct ev_loop *loop;
static struct profile profile;

static void discard(void *ud, const uint8_t *p, size_t n)
{
    (void)ud;
    (void)p;
    (void)n;
}

static void setup_once(void)
{
    if (loop)
        return;
    loop = EV_DEFAULT;
    char err[512];
    FUZZ_CHECK(service_profile_load(&profile, sim800_services, "sim800l-r14.18",
                                    SIM800EMU_PROFILES_DIR, err, sizeof(err)) == 0);
    profile.rdy_ms = profile.cpin_ms = profile.call_ready_ms = profile.sms_ready_ms = 0;
    profile.reset_ms = 0;
    char why[160];
    FUZZ_CHECK(profile_set(&profile, "tcpip", "ciicr_ms", "0", why, sizeof(why)) == 0);
    FUZZ_CHECK(profile_set(&profile, "tcpip", "sapbr_ms", "0", why, sizeof(why)) == 0);
    static struct net_config cfg;
    cfg.only_mapped = true;
    FUZZ_CHECK(net_init(loop, &cfg, err, sizeof(err)) == 0);
    FUZZ_CHECK(fs_set_base(NULL, err, sizeof(err)) == 0);
    atexit(fs_cleanup_base);
}

static void turn(int times)
{
    for (int i = 0; i < times; i++)
        ev_run(loop, EVRUN_NOWAIT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup_once();
    struct modem *m = modem_create_detached(0, loop, &profile, sim800_services, discard, NULL);
    turn(2); /* boot to SMS Ready */
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == 0xFF) {
            if (i > start)
                modem_input(m, data + start, i - start);
            turn(2);
            start = i + 1;
        }
    }
    turn(3);
    modem_destroy(m);
    turn(1); /* connections freed by the destroy finish on the loop */
    return 0;
}
