/* libFuzzer harness for at_args, the typed argument cursor.
 *
 * Input: byte 0 gives k = byte0 % 8, the next k bytes are the reader ops
 * (bit 0: int or string; the other bits: the int range or the string
 * buffer size), used in a cycle; the rest is the argument text after "=".
 * With k = 0 the ops come from a hash of the input.  Inputs whose text
 * holds a NUL are skipped (see below).  The oracle is
 * fuzz_check_args(): every answer is checked against a reference reading. */
#include <string.h>

#include "fuzz.h"

struct ops {
    const uint8_t *p;
    size_t n, i;
    uint64_t rng;
};

static uint8_t next_op(void *ud)
{
    struct ops *o = ud;
    if (o->n == 0)
        return (uint8_t)fuzz_rand(&o->rng);
    uint8_t op = o->p[o->i];
    o->i = (o->i + 1) % o->n;
    return op;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t k = data[0] % 8;
    if (k > size - 1)
        k = size - 1;
    struct ops o = {data + 1, k, 0, fuzz_hash(data, size) | 1};
    const char *args = (const char *)data + 1 + k;
    size_t len = size - 1 - k;
    /* Arguments come from a parser line, which never holds a NUL (the
     * parser answers AT_EV_GARBAGE); at_args reads them as C text. */
    if (memchr(args, '\0', len))
        return 0;
    fuzz_check_args(args, len, next_op, &o);
    return 0;
}
