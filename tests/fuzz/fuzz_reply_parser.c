/* libFuzzer harness for the FTP/SMTP/POP3 reply framing (reply_parser.c):
 * what a hostile server sends.  Input: one control byte (style, whether a
 * POP3 body is wanted, how to split the rest into reads), then the server's
 * bytes.  Oracles: the same replies come out however the bytes are split;
 * every buffer stays within its bound; a numeric reply's code is 100-599
 * and ok means < 400; no byte is invented (text and body are no longer than
 * what went in). */
#include <string.h>

#include "fuzz.h"
#include "reply_parser.h"

#define MAX_LINE 64
#define MAX_REPLY 256
#define MAX_BODY 512
#define REPLIES_MAX 64

struct outcome {
    int results[REPLIES_MAX]; /* 1 per reply, then -1 or 0 at the end */
    uint64_t digests[REPLIES_MAX];
    int n;
};

static void run(enum reply_style style, bool body, const uint8_t *p, size_t size, size_t step,
                struct outcome *out)
{
    struct reply_parser rp;
    reply_parser_init(&rp, style, MAX_LINE, MAX_REPLY, MAX_BODY);
    struct bytebuf in = {0};
    size_t fed = 0;
    memset(out, 0, sizeof(*out));
    reply_parser_start(&rp, body);
    while (out->n < REPLIES_MAX) {
        int r = reply_parser_feed(&rp, &in);
        if (r == 0 && fed < size) {
            size_t k = size - fed < step ? size - fed : step;
            bytebuf_append(&in, p + fed, k);
            fed += k;
            continue;
        }
        out->results[out->n] = r;
        if (r == 1) {
            FUZZ_CHECK(bytebuf_pending(&rp.text) <= MAX_REPLY);
            FUZZ_CHECK(bytebuf_pending(&rp.body) <= MAX_BODY);
            FUZZ_CHECK(bytebuf_pending(&rp.text) + bytebuf_pending(&rp.body) <= size);
            if (style == REPLY_NUMERIC) {
                FUZZ_CHECK(rp.code >= 100 && rp.code <= 599);
                FUZZ_CHECK(rp.ok == (rp.code < 400));
            }
            out->digests[out->n] =
                fuzz_hash(bytebuf_head(&rp.text), bytebuf_pending(&rp.text)) ^
                (fuzz_hash(bytebuf_head(&rp.body), bytebuf_pending(&rp.body)) * 31) ^
                (uint64_t)rp.code ^ ((uint64_t)rp.ok << 40);
            out->n++;
            reply_parser_start(&rp, body);
            continue;
        }
        if (r < 0)
            FUZZ_CHECK(rp.detail[0] != '\0');
        out->n++;
        break;
    }
    bytebuf_free(&in);
    reply_parser_free(&rp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    enum reply_style style = ctl & 1 ? REPLY_POP3 : REPLY_NUMERIC;
    bool body = ctl & 2;
    size_t step = (size_t)(ctl >> 2) + 1;
    struct outcome whole, split;
    run(style, body, data + 1, size - 1, size, &whole);
    run(style, body, data + 1, size - 1, step, &split);
    /* Split reads give the same replies, except that an error found after
     * more input arrived may differ only in where it stops; so compare the
     * complete replies both runs produced. */
    int n = whole.n < split.n ? whole.n : split.n;
    for (int i = 0; i < n; i++) {
        if (whole.results[i] != 1 || split.results[i] != 1)
            break;
        FUZZ_CHECK(whole.digests[i] == split.digests[i]);
    }
    return 0;
}
