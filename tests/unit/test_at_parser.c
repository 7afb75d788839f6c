/* Unit tests for at_parser: the byte-fed V.250 command-line framer.
 * Wire rules from SIM800 AT Command Manual V1.09 §1.4, §2.2.1, §2.2.19 and §1.4.4 (prefix, case,
 * terminators, A/, backspace, the 556-character limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "at_parser.h"
#include "util.h"

/* One parser call's verdict. */
struct step {
    enum at_parser_event ev;
    size_t used;
};

static struct step feed(struct at_parser *p, const void *buf, size_t len)
{
    struct step s;
    s.used = at_parser_feed(p, buf, len, &s.ev);
    return s;
}

static struct step feed_str(struct at_parser *p, const char *s) { return feed(p, s, strlen(s)); }

static void assert_line(const struct at_parser *p, const char *body)
{
    assert_int_equal(p->line_len, strlen(body));
    assert_string_equal(p->line, body);
}

static void test_at_cr_is_line_with_empty_body(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    struct step s = feed_str(&p, "AT\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_int_equal(s.used, 3);
    assert_line(&p, "");
}

static void test_prefix_any_case(void **state)
{
    (void)state;
    static const char *const lines[] = {"AT+CSQ\r", "at+csq\r", "aT+csq\r", "At+CsQ\r"};
    static const char *const bodies[] = {"+CSQ", "+csq", "+csq", "+CsQ"};
    for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
        struct at_parser p;
        at_parser_init(&p);
        struct step s = feed_str(&p, lines[i]);
        assert_int_equal(s.ev, AT_EV_LINE);
        assert_int_equal(s.used, strlen(lines[i]));
        /* The parser keeps the body as typed; case folding is the splitter's job. */
        assert_line(&p, bodies[i]);
    }
}

static void test_lf_alone_terminates(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    struct step s = feed_str(&p, "ATE0\n");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_int_equal(s.used, 5);
    assert_line(&p, "E0");
}

static void test_crlf_lf_consumed_with_line(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    struct step s = feed_str(&p, "AT+CSQ\r\nAT\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_int_equal(s.used, 8); /* the '\n' went with the line */
    assert_line(&p, "+CSQ");

    s = feed_str(&p, "AT\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "");
}

static void test_crlf_split_across_buffers(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    struct step s = feed_str(&p, "AT\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_int_equal(s.used, 3);
    /* The LF arriving later is not a second (empty) line. */
    s = feed_str(&p, "\n");
    assert_int_equal(s.ev, AT_EV_NONE);
    assert_int_equal(s.used, 1);
    s = feed_str(&p, "ATI\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "I");
}

static void test_lf_cr_is_not_one_terminator(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    /* Only "\r\n" is folded; after "\n" the '\r' is a stray byte (no event). */
    struct step s = feed_str(&p, "AT\n\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_int_equal(s.used, 3);
    s = feed_str(&p, "\r");
    assert_int_equal(s.ev, AT_EV_NONE);
    assert_int_equal(s.used, 1);
}

static void test_empty_cr_is_no_event(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    struct step s = feed_str(&p, "\r\n\r");
    assert_int_equal(s.ev, AT_EV_NONE);
    assert_int_equal(s.used, 3);
}

static void test_garbage_before_prefix_discarded(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    static const uint8_t junk[] = {'\n', 0x00, 0xff, 'x', 'y', 'B', 'A', 'x', 'T',
                                   '\r', 'a',  '+',  'A', 'A', 'T', 'E', '1', '\r'};
    struct step s = feed(&p, junk, sizeof(junk));
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_int_equal(s.used, sizeof(junk));
    /* "AAT": the second 'A' starts the prefix. */
    assert_line(&p, "E1");
}

static void test_garbage_only_no_event(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    struct step s = feed_str(&p, "hello world\r\nTA\r");
    assert_int_equal(s.ev, AT_EV_NONE);
    assert_int_equal(s.used, 16);
}

static void test_repeat_needs_no_terminator(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    struct step s = feed_str(&p, "A/");
    assert_int_equal(s.ev, AT_EV_REPEAT);
    assert_int_equal(s.used, 2);

    s = feed_str(&p, "xxa/AT\r");
    assert_int_equal(s.ev, AT_EV_REPEAT);
    assert_int_equal(s.used, 4); /* stops right after the '/' */
    s = feed_str(&p, "AT\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "");
}

static void test_repeat_cr_after_is_stray(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    struct step s = feed_str(&p, "A/\r");
    assert_int_equal(s.ev, AT_EV_REPEAT);
    assert_int_equal(s.used, 2);
    s = feed_str(&p, "\r");
    assert_int_equal(s.ev, AT_EV_NONE);
}

static void test_slash_inside_line_is_text(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    struct step s = feed_str(&p, "ATA/\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "A/");
}

static void test_backspace_edits_line(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    struct step s = feed_str(&p, "ATE1\b0\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "E0");

    s = feed_str(&p, "AT+CSQ\b\b\b\bI\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "I");
}

static void test_backspace_rubs_out_the_t(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    /* Rub out "X" and the 'T', then type the 'T' again. */
    struct step s = feed_str(&p, "ATX\b\bT+CSQ\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "+CSQ");

    /* Rub out the 'T': the '\r' then ends nothing. */
    s = feed_str(&p, "AT\b\r");
    assert_int_equal(s.ev, AT_EV_NONE);
    assert_int_equal(s.used, 4);
}

static void test_backspace_past_the_start(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    /* Three rub-outs remove "E", "T" and "A": the "T\r" that follows is garbage. */
    struct step s = feed_str(&p, "ATE\b\b\bT\r");
    assert_int_equal(s.ev, AT_EV_NONE);
    assert_int_equal(s.used, 8);
    /* Many more rub-outs while idle are harmless. */
    s = feed_str(&p, "\b\b\b\b\b\b");
    assert_int_equal(s.ev, AT_EV_NONE);
    s = feed_str(&p, "AT+GSN\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "+GSN");
}

static void test_backspace_follows_s5(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    assert_int_equal(p.backspace, 8);
    p.backspace = 127; /* ATS5=127 */
    struct step s = feed_str(&p, "ATE1\x7f"
                                 "0\b\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "E0\b"); /* 0x08 is an ordinary character now */
}

static char *repeat_char(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_line_of_exactly_max_chars(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    char *body = repeat_char('1', AT_LINE_MAX);
    body[0] = '+';
    assert_int_equal(AT_LINE_MAX, 556);
    struct step s = feed_str(&p, "AT");
    assert_int_equal(s.ev, AT_EV_NONE);
    s = feed_str(&p, body);
    assert_int_equal(s.ev, AT_EV_NONE);
    s = feed_str(&p, "\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, body);
    free(body);
}

static void test_line_of_max_plus_one_overflows(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    char *body = repeat_char('E', AT_LINE_MAX + 1);
    feed_str(&p, "AT");
    struct step s = feed_str(&p, body);
    assert_int_equal(s.ev, AT_EV_NONE);
    assert_int_equal(s.used, AT_LINE_MAX + 1);
    s = feed_str(&p, "\r\n");
    assert_int_equal(s.ev, AT_EV_OVERFLOW);
    assert_int_equal(s.used, 2);
    assert_true(p.line_len <= AT_LINE_MAX);

    /* The next line is framed normally again. */
    s = feed_str(&p, "AT\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "");
    free(body);
}

static void test_very_long_line_one_overflow(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    size_t n = 5000;
    char *line = repeat_char('x', n + 3);
    memcpy(line, "AT", 2);
    line[n + 2] = '\r';
    struct step s = feed(&p, line, n + 3);
    assert_int_equal(s.ev, AT_EV_OVERFLOW);
    assert_int_equal(s.used, n + 3);
    s = feed_str(&p, "at+csq\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "+csq");
    free(line);
}

static void test_nul_in_line_is_garbage(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    static const uint8_t line[] = {'A', 'T', '+', 'C', 0x00, 'S', 'Q', '\r'};
    struct step s = feed(&p, line, sizeof(line));
    assert_int_equal(s.ev, AT_EV_GARBAGE);
    assert_int_equal(s.used, sizeof(line));

    s = feed_str(&p, "AT+CSQ\r");
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "+CSQ");
}

static void test_nul_before_prefix_is_discarded(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    static const uint8_t line[] = {0x00, 0x00, 'A', 'T', 'I', '\r'};
    struct step s = feed(&p, line, sizeof(line));
    assert_int_equal(s.ev, AT_EV_LINE);
    assert_line(&p, "I");
}

static void test_empty_feed(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    struct step s = feed(&p, "", 0);
    assert_int_equal(s.ev, AT_EV_NONE);
    assert_int_equal(s.used, 0);
}

static void test_byte_by_byte_consumes_one_each(void **state)
{
    (void)state;
    struct at_parser p;
    at_parser_init(&p);
    const char *in = "AT+CREG?\r";
    for (size_t i = 0; in[i]; i++) {
        struct step s = feed(&p, &in[i], 1);
        assert_int_equal(s.used, 1);
        assert_int_equal(s.ev, in[i + 1] ? AT_EV_NONE : AT_EV_LINE);
    }
    assert_line(&p, "+CREG?");
}

/* --- property: whole, byte by byte and random chunks agree ------------- */

static uint32_t rng_state;

static uint32_t rng(void)
{
    /* xorshift32: deterministic, so a failure is reproducible from its seed. */
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void gen_stream(struct bytebuf *b, size_t pieces)
{
    static const char *const tokens[] = {
        "AT",   "at", "aT",   "At", "A/",      "a/",
        "A",    "a",  "T",    "/",  "\r",      "\n",
        "\r\n", "\b", "+CSQ", "E0", "&FZE0&W", "+HTTPPARA=\"URL\",\"http://x/?a=1;b=2\"",
        ";",    "\"", " ",
    };
    for (size_t i = 0; i < pieces; i++) {
        uint32_t r = rng() % 100;
        if (r < 70) {
            bytebuf_append_str(b, tokens[rng() % ARRAY_SIZE(tokens)]);
        } else if (r < 90) {
            uint8_t c = (uint8_t)rng();
            bytebuf_append(b, &c, 1);
        } else if (r < 92) {
            uint8_t z = 0;
            bytebuf_append(b, &z, 1);
        } else {
            /* a run long enough to reach, or pass, the 556 limit */
            size_t n = 500 + rng() % 120;
            for (size_t k = 0; k < n; k++)
                bytebuf_append(b, "9", 1);
        }
    }
}

/* Feeds the stream in chunks (chunk == 0: random sizes, SIZE_MAX: whole) and
 * logs every event with its body. */
static void run_stream(const uint8_t *s, size_t n, size_t chunk, uint8_t bs, struct bytebuf *log)
{
    struct at_parser p;
    at_parser_init(&p);
    p.backspace = bs;
    size_t pos = 0;
    while (pos < n) {
        size_t c = chunk == 0 ? 1 + rng() % 64 : chunk;
        if (c > n - pos)
            c = n - pos;
        size_t off = 0;
        while (off < c) {
            enum at_parser_event ev;
            size_t used = at_parser_feed(&p, s + pos + off, c - off, &ev);
            assert_true(used > 0);
            assert_true(used <= c - off);
            if (ev == AT_EV_NONE)
                assert_int_equal(used, c - off);
            off += used;
            if (ev != AT_EV_NONE) {
                uint8_t e = (uint8_t)ev;
                bytebuf_append(log, &e, 1);
                if (ev == AT_EV_LINE) {
                    assert_true(p.line_len <= AT_LINE_MAX);
                    assert_int_equal(p.line[p.line_len], '\0');
                    bytebuf_append(log, &p.line_len, sizeof(p.line_len));
                    bytebuf_append(log, p.line, p.line_len);
                }
            }
        }
        pos += c;
    }
}

static bool same_log(const struct bytebuf *a, const struct bytebuf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void test_property_whole_equals_byte_by_byte(void **state)
{
    (void)state;
    const uint32_t seed = 0x5eed1234u;
    rng_state = seed;
    size_t total_events = 0;
    for (int iter = 0; iter < 2000; iter++) {
        struct bytebuf in = {0}, whole = {0}, bytes = {0}, chunks = {0};
        gen_stream(&in, 1 + rng() % 60);
        uint8_t bs = (rng() % 8 == 0) ? (uint8_t)(rng() % 128) : 8;
        run_stream(in.data, in.len, SIZE_MAX, bs, &whole);
        run_stream(in.data, in.len, 1, bs, &bytes);
        run_stream(in.data, in.len, 0, bs, &chunks);
        if (!same_log(&whole, &bytes) || !same_log(&whole, &chunks)) {
            print_error("seed 0x%08x iteration %d: event logs differ (%zu/%zu/%zu bytes)\n",
                        (unsigned)seed, iter, whole.len, bytes.len, chunks.len);
            _fail(__FILE__, __LINE__);
        }
        total_events += whole.len > 0;
        bytebuf_free(&in);
        bytebuf_free(&whole);
        bytebuf_free(&bytes);
        bytebuf_free(&chunks);
    }
    /* The generator must actually produce events, or the property is empty. */
    assert_true(total_events > 1000);
}

static void test_property_fixed_lines(void **state)
{
    (void)state;
    /* Every line of a typical client session, fed whole and byte by byte. */
    static const char session[] =
        "AT\r\nATE0\rAT+CMEE=2;+CREG?\r\nat+cipssl=?\rA/ATS3?\r\n"
        "AT+HTTPPARA=\"URL\",\"http://x/?a=1;b=2\"\r\nAT+CIFSR;E0\nAT&FZE0&W\r";
    struct bytebuf whole = {0}, bytes = {0};
    rng_state = 1;
    run_stream((const uint8_t *)session, sizeof(session) - 1, SIZE_MAX, 8, &whole);
    run_stream((const uint8_t *)session, sizeof(session) - 1, 1, 8, &bytes);
    assert_int_equal(whole.len, bytes.len);
    assert_memory_equal(whole.data, bytes.data, whole.len);
    /* 8 lines and one A/ */
    size_t lines = 0, repeats = 0, i = 0;
    while (i < whole.len) {
        uint8_t e = whole.data[i++];
        if (e == AT_EV_REPEAT) {
            repeats++;
            continue;
        }
        assert_int_equal(e, AT_EV_LINE);
        size_t len;
        memcpy(&len, whole.data + i, sizeof(len));
        i += sizeof(len) + len;
        lines++;
    }
    assert_int_equal(lines, 8);
    assert_int_equal(repeats, 1);
    bytebuf_free(&whole);
    bytebuf_free(&bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_at_cr_is_line_with_empty_body),
        cmocka_unit_test(test_prefix_any_case),
        cmocka_unit_test(test_lf_alone_terminates),
        cmocka_unit_test(test_crlf_lf_consumed_with_line),
        cmocka_unit_test(test_crlf_split_across_buffers),
        cmocka_unit_test(test_lf_cr_is_not_one_terminator),
        cmocka_unit_test(test_empty_cr_is_no_event),
        cmocka_unit_test(test_garbage_before_prefix_discarded),
        cmocka_unit_test(test_garbage_only_no_event),
        cmocka_unit_test(test_repeat_needs_no_terminator),
        cmocka_unit_test(test_repeat_cr_after_is_stray),
        cmocka_unit_test(test_slash_inside_line_is_text),
        cmocka_unit_test(test_backspace_edits_line),
        cmocka_unit_test(test_backspace_rubs_out_the_t),
        cmocka_unit_test(test_backspace_past_the_start),
        cmocka_unit_test(test_backspace_follows_s5),
        cmocka_unit_test(test_line_of_exactly_max_chars),
        cmocka_unit_test(test_line_of_max_plus_one_overflows),
        cmocka_unit_test(test_very_long_line_one_overflow),
        cmocka_unit_test(test_nul_in_line_is_garbage),
        cmocka_unit_test(test_nul_before_prefix_is_discarded),
        cmocka_unit_test(test_empty_feed),
        cmocka_unit_test(test_byte_by_byte_consumes_one_each),
        cmocka_unit_test(test_property_whole_equals_byte_by_byte),
        cmocka_unit_test(test_property_fixed_lines),
    };
    return cmocka_run_group_tests_name("at_parser", tests, NULL, NULL);
}
