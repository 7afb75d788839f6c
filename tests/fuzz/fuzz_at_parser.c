/* libFuzzer harness for the command-line path: at_parser framing, then for
 * every line at_cmdline_clean + at_cmdline_split, then at_args over every
 * extended WRITE command's arguments.
 *
 * The input is the byte stream a host would write to the modem.  Chunk
 * sizes, the S5 editing character and the argument readers are derived from
 * a hash of the input, so every input replays identically.  Oracles:
 *   - fed in random chunks, whole, and byte by byte, the parser gives the
 *     same events and bodies;
 *   - clean removes exactly the spaces outside quotes;
 *   - split's commands are well formed and point inside the line, and its
 *     command limit behaves;
 *   - split ignores the case of letters outside quotes;
 *   - two lines that split, joined with ';', split into both lists of
 *     commands (the header: basic commands may follow each other after ';',
 *     an extended command is followed by ';');
 *   - at_args agrees with a reference reading (fuzz_args_check.c). */
#include <stdbool.h>
#include <string.h>

#include "at_args.h"
#include "at_cmdline.h"
#include "at_parser.h"
#include "fuzz.h"
#include "util.h"

enum feed_mode { FEED_CHUNKS, FEED_WHOLE, FEED_BYTES };

static uint8_t next_op(void *ud) { return (uint8_t)fuzz_rand(ud); }

static void check_clean(const char *orig, size_t len, const char *cleaned, size_t out)
{
    bool quoted = false;
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        if (orig[i] == '"')
            quoted = !quoted;
        if (orig[i] == ' ' && !quoted)
            continue;
        FUZZ_CHECK(j < out && cleaned[j] == orig[i]);
        j++;
    }
    FUZZ_CHECK(j == out);
}

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

static void check_command(const struct at_command *c, const char *line, size_t len)
{
    FUZZ_CHECK(memchr(c->name, '\0', sizeof(c->name)) != NULL);
    size_t n = strlen(c->name);
    FUZZ_CHECK(n >= 1);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(!is_lower(c->name[i]));
    FUZZ_CHECK(c->extended == (c->name[0] == '+'));
    if (c->extended)
        FUZZ_CHECK(n >= 2);
    FUZZ_CHECK(c->form == AT_FORM_EXEC || c->form == AT_FORM_READ || c->form == AT_FORM_TEST ||
               c->form == AT_FORM_WRITE);
    FUZZ_CHECK(c->args_off <= len && c->args_len <= len - c->args_off);
    if (c->args_len > 0)
        FUZZ_CHECK(c->form == AT_FORM_WRITE || strcmp(c->name, "D") == 0);
    if (strcmp(c->name, "S") == 0) {
        FUZZ_CHECK(c->number >= 0);
        FUZZ_CHECK(c->form == AT_FORM_READ || c->form == AT_FORM_WRITE);
        for (size_t i = 0; i < c->args_len; i++) {
            char d = line[c->args_off + i];
            FUZZ_CHECK(d >= '0' && d <= '9');
        }
    } else if (!c->extended) {
        FUZZ_CHECK(c->form == AT_FORM_EXEC);
        FUZZ_CHECK(c->number >= -1);
    }
}

static bool same_command(const struct at_command *a, const struct at_command *b)
{
    return strcmp(a->name, b->name) == 0 && a->form == b->form && a->extended == b->extended &&
           a->number == b->number && a->args_off == b->args_off && a->args_len == b->args_len;
}

/* Flips the case of every letter outside double quotes: names are case
 * insensitive (SIM800 AT Command Manual V1.09 §1.4), so the split must not change. */
static void check_case_insensitive(const char *line, size_t len, const struct at_command *cmds,
                                   int rc)
{
    char flipped[AT_LINE_MAX + 1];
    bool quoted = false;
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        if (c == '"')
            quoted = !quoted;
        if (!quoted && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        else if (!quoted && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        flipped[i] = c;
    }
    static struct at_command other[AT_LINE_CMDS_MAX];
    int rc2 = at_cmdline_split(flipped, len, other, AT_LINE_CMDS_MAX);
    FUZZ_CHECK(rc2 == rc);
    for (int i = 0; i < rc; i++)
        FUZZ_CHECK(same_command(&cmds[i], &other[i]));
}

/* The previous line of this input that split without error. */
static struct {
    bool valid;
    size_t len;
    int count;
    char line[AT_LINE_MAX + 1];
    struct at_command cmds[AT_LINE_CMDS_MAX];
} prev;

/* Whether "x;y" must split into x's commands followed by y's: not when x's
 * last command swallows the rest of the line (D, A), when x ends inside an
 * open quote (the ';' would be quoted), or when x already ends in ';'. */
static bool joinable(const char *line, size_t len, const struct at_command *cmds, int count)
{
    if (count <= 0 || len == 0 || line[len - 1] == ';')
        return false;
    const struct at_command *last = &cmds[count - 1];
    if (strcmp(last->name, "D") == 0 || strcmp(last->name, "A") == 0)
        return false;
    /* Only extended arguments may hold quotes (anything else is a syntax
     * error), and an open quote runs to the end of the line: an odd count
     * means x ends inside quotes. */
    bool open = false;
    for (size_t i = 0; i < len; i++)
        if (line[i] == '"')
            open = !open;
    return !open;
}

static void check_join(const char *line, size_t len, const struct at_command *cmds, int rc)
{
    if (prev.valid && rc > 0 && prev.count + rc <= AT_LINE_CMDS_MAX &&
        prev.len + 1 + len <= AT_LINE_MAX) {
        char joined[AT_LINE_MAX + 1];
        memcpy(joined, prev.line, prev.len);
        joined[prev.len] = ';';
        memcpy(joined + prev.len + 1, line, len);
        size_t jlen = prev.len + 1 + len;
        static struct at_command all[AT_LINE_CMDS_MAX];
        int jrc = at_cmdline_split(joined, jlen, all, AT_LINE_CMDS_MAX);
        if (jrc != prev.count + rc) {
            fprintf(stderr, "\"%.*s\" splits into %d, \"%.*s\" into %d, but \"%.*s\" into %d\n",
                    (int)prev.len, prev.line, prev.count, (int)len, line, rc, (int)jlen, joined,
                    jrc);
            FUZZ_CHECK(jrc == prev.count + rc);
        }
        for (int i = 0; i < prev.count; i++)
            FUZZ_CHECK(same_command(&prev.cmds[i], &all[i]));
        for (int i = 0; i < rc; i++) {
            struct at_command moved = cmds[i];
            if (moved.args_len > 0)
                moved.args_off += prev.len + 1;
            struct at_command got = all[prev.count + i];
            if (got.args_len == 0)
                got.args_off = moved.args_off; /* offset of nothing: no meaning */
            FUZZ_CHECK(same_command(&moved, &got));
        }
    }
    prev.valid = joinable(line, len, cmds, rc);
    if (prev.valid) {
        memcpy(prev.line, line, len);
        prev.len = len;
        prev.count = rc;
        memcpy(prev.cmds, cmds, (size_t)rc * sizeof(cmds[0]));
    }
}

static void process_line(const struct at_parser *p, uint64_t *rng)
{
    /* As the engine does: copy the body into a line buffer of its own. */
    char line[AT_LINE_MAX + 1];
    size_t len = p->line_len;
    FUZZ_CHECK(len <= AT_LINE_MAX);
    memcpy(line, p->line, len);
    line[len] = '\0';
    size_t out = at_cmdline_clean(line, len);
    FUZZ_CHECK(out <= len);
    check_clean(p->line, len, line, out);
    len = out;

    static struct at_command cmds[AT_LINE_CMDS_MAX];
    int rc = at_cmdline_split(line, len, cmds, AT_LINE_CMDS_MAX);
    FUZZ_CHECK(rc >= -1 && rc <= AT_LINE_CMDS_MAX);
    if (rc == 0)
        FUZZ_CHECK(len == 0);
    for (int i = 0; i < rc; i++) {
        const struct at_command *c = &cmds[i];
        check_command(c, line, len);
        if (c->extended && c->form == AT_FORM_WRITE)
            fuzz_check_args(line + c->args_off, c->args_len, next_op, rng);
    }

    check_case_insensitive(line, len, cmds, rc);
    check_join(line, len, cmds, rc);

    /* A smaller limit gives the same commands or -1, never something else. */
    static struct at_command few[4];
    int max = (int)(fuzz_rand(rng) % 4);
    int rc2 = at_cmdline_split(line, len, few, max);
    FUZZ_CHECK(rc2 == ((rc >= 0 && rc <= max) ? rc : -1));
}

/* Feeds the stream and logs every event (with the body of a LINE). */
static void run(const uint8_t *data, size_t size, enum feed_mode mode, uint8_t bs, uint64_t *rng,
                struct bytebuf *log)
{
    struct at_parser p;
    at_parser_init(&p);
    p.backspace = bs;
    size_t pos = 0;
    while (pos < size) {
        size_t chunk = size - pos;
        if (mode == FEED_BYTES)
            chunk = 1;
        else if (mode == FEED_CHUNKS) {
            uint64_t r = fuzz_rand(rng);
            size_t c = (r & 3) == 0 ? 1 + (size_t)((r >> 8) % 1024) : 1 + (size_t)((r >> 8) % 16);
            if (c < chunk)
                chunk = c;
        }
        size_t off = 0;
        while (off < chunk) {
            enum at_parser_event ev = (enum at_parser_event)77;
            size_t used = at_parser_feed(&p, data + pos + off, chunk - off, &ev);
            FUZZ_CHECK(used > 0 && used <= chunk - off);
            FUZZ_CHECK(ev == AT_EV_NONE || ev == AT_EV_LINE || ev == AT_EV_REPEAT ||
                       ev == AT_EV_OVERFLOW || ev == AT_EV_GARBAGE);
            if (ev == AT_EV_NONE)
                FUZZ_CHECK(used == chunk - off);
            FUZZ_CHECK(p.line_len <= AT_LINE_MAX);
            off += used;
            if (ev == AT_EV_NONE)
                continue;
            uint8_t e = (uint8_t)ev;
            bytebuf_append(log, &e, 1);
            if (ev == AT_EV_LINE) {
                FUZZ_CHECK(p.line[p.line_len] == '\0');
                FUZZ_CHECK(memchr(p.line, '\0', p.line_len) == NULL);
                bytebuf_append(log, &p.line_len, sizeof(p.line_len));
                bytebuf_append(log, p.line, p.line_len);
                if (mode == FEED_CHUNKS)
                    process_line(&p, rng);
            }
        }
        pos += chunk;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t h = fuzz_hash(data, size);
    uint64_t rng = h | 1;
    /* Some inputs run with another S5 (ATS5 takes 0-127): 1/16 a random
     * value, 1/4 DEL; the rest the factory BS. */
    uint8_t bs = (h >> 60) == 0 ? (uint8_t)((h >> 32) & 0x7f) : ((h >> 62) == 1 ? 127 : 8);

    struct bytebuf chunks = {0}, whole = {0}, bytes = {0};
    prev.valid = false;
    run(data, size, FEED_CHUNKS, bs, &rng, &chunks);
    run(data, size, FEED_WHOLE, bs, &rng, &whole);
    run(data, size, FEED_BYTES, bs, &rng, &bytes);
    FUZZ_CHECK(chunks.len == whole.len &&
               (whole.len == 0 || memcmp(chunks.data, whole.data, whole.len) == 0));
    FUZZ_CHECK(bytes.len == whole.len &&
               (whole.len == 0 || memcmp(bytes.data, whole.data, whole.len) == 0));
    bytebuf_free(&chunks);
    bytebuf_free(&whole);
    bytebuf_free(&bytes);
    return 0;
}
