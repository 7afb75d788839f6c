/* libFuzzer harness for the Telnet decoder of --listen's RFC 2217 clients
 * (emulator/app/telnet.c), which reads whatever a network client sends.
 * The oracles: the stream decoded whole and cut at the places the input's
 * first bytes choose gives the same events; and the data events, encoded
 * again (IAC doubled) and decoded, come back unchanged. */
#include <string.h>

#include "fuzz.h"
#include "telnet.h"

#define LOG_MAX 65536

struct log {
    uint8_t bytes[LOG_MAX];
    size_t n;
    uint8_t data[LOG_MAX]; /* the data events alone */
    size_t ndata;
};

static void put(struct log *l, uint8_t kind, const uint8_t *p, size_t n)
{
    /* A data event may come in pieces when the input is cut: data bytes
     * are logged one per record, so that the pieces do not matter. */
    if (l->n + 3 + n > LOG_MAX)
        abort(); /* the input is bounded below: a bug if reached */
    l->bytes[l->n++] = kind;
    l->bytes[l->n++] = (uint8_t)n;
    memcpy(l->bytes + l->n, p, n);
    l->n += n;
}

static void on_data(void *ud, const uint8_t *p, size_t n)
{
    struct log *l = ud;
    FUZZ_CHECK(n > 0);
    for (size_t i = 0; i < n; i++)
        put(l, 'd', &p[i], 1);
    FUZZ_CHECK(l->ndata + n <= LOG_MAX);
    memcpy(l->data + l->ndata, p, n);
    l->ndata += n;
}

static void on_option(void *ud, uint8_t cmd, uint8_t opt)
{
    FUZZ_CHECK(cmd >= TELNET_WILL && cmd <= TELNET_DONT);
    uint8_t rec[2] = {cmd, opt};
    put(ud, 'o', rec, 2);
}

static void on_subneg(void *ud, const uint8_t *sb, size_t n)
{
    FUZZ_CHECK(n <= TELNET_SB_MAX);
    put(ud, 's', sb, n);
}

static void decode(struct log *l, const uint8_t *p, size_t n, const uint8_t *cuts, size_t ncuts)
{
    struct telnet_decoder d = {0};
    struct telnet_events ev = {on_data, on_option, on_subneg, l};
    size_t at = 0;
    for (size_t i = 0; i < ncuts && at < n; i++) {
        size_t len = cuts[i] % 17;
        if (len > n - at)
            len = n - at;
        telnet_decode(&d, p + at, len, &ev); /* len 0 too: nothing happens */
        at += len;
    }
    telnet_decode(&d, p + at, n - at, &ev);
}

static struct log whole, cut, again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    size_t ncuts = data[0] % 32; /* the first bytes choose where to cut */
    if (ncuts + 1 > size)
        return 0;
    const uint8_t *cuts = data + 1, *p = data + 1 + ncuts;
    size_t n = size - 1 - ncuts;

    whole.n = whole.ndata = cut.n = cut.ndata = 0;
    decode(&whole, p, n, NULL, 0);
    decode(&cut, p, n, cuts, ncuts);
    FUZZ_CHECK(whole.n == cut.n && memcmp(whole.bytes, cut.bytes, whole.n) == 0);
    FUZZ_CHECK(whole.ndata <= n);

    /* The data again as a client would send it: IAC doubled. */
    static uint8_t enc[2 * 4096];
    size_t m = 0;
    for (size_t i = 0; i < whole.ndata; i++) {
        enc[m++] = whole.data[i];
        if (whole.data[i] == TELNET_IAC)
            enc[m++] = TELNET_IAC;
    }
    again.n = again.ndata = 0;
    decode(&again, enc, m, NULL, 0);
    FUZZ_CHECK(again.ndata == whole.ndata && memcmp(again.data, whole.data, whole.ndata) == 0);
    return 0;
}
