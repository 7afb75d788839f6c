/* Unit tests for at_writer: response framing under V0/V1, Q, +CMEE, and URCs
 * held while a command line is open.  Wire rules from SIM800 AT Command Manual V1.09
 * §2.2.25 (framing, result codes), §2.2.15 (ATQ), §3.2.20/§19.1 (+CMEE, +CME ERROR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "at_writer.h"
#include "util.h"
#include "v250.h"

/* A byte-capturing sink standing in for the PTY. */
struct fixture {
    struct v250_settings v250;
    struct at_writer w;
    struct bytebuf out;
    size_t calls;
};

static void sink(void *ud, const uint8_t *p, size_t n)
{
    struct fixture *f = ud;
    assert_true(n > 0); /* the writer never makes empty writes */
    bytebuf_append(&f->out, p, n);
    f->calls++;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    v250_factory(&f->v250);
    at_writer_init(&f->w, &f->v250, sink, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    at_writer_free(&f->w);
    bytebuf_free(&f->out);
    free(f);
    return 0;
}

/* Renders bytes with CR/LF/non-printables visible, for failure messages. */
static void quote(char *dst, size_t cap, const uint8_t *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        if (p[i] == '\r')
            o += (size_t)snprintf(dst + o, cap - o, "<CR>");
        else if (p[i] == '\n')
            o += (size_t)snprintf(dst + o, cap - o, "<LF>");
        else if (p[i] < 0x20 || p[i] >= 0x7f)
            o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", p[i]);
        else
            dst[o++] = (char)p[i];
    }
    dst[o] = '\0';
}

/* Checks everything written since the last check, then forgets it. */
static void check_out(struct fixture *f, const void *want, size_t n, const char *file, int line)
{
    const uint8_t *got = bytebuf_head(&f->out);
    size_t got_n = bytebuf_pending(&f->out);
    if (got_n != n || (n > 0 && memcmp(got, want, n) != 0)) {
        char a[512], b[512];
        quote(a, sizeof(a), want, n);
        quote(b, sizeof(b), got, got_n);
        print_error("writer output differs\n  want \"%s\"\n  got  \"%s\"\n", a, b);
        _fail(file, line);
    }
    bytebuf_clear(&f->out);
}

#define EXPECT(f, lit) check_out((f), (lit), sizeof(lit) - 1, __FILE__, __LINE__)
#define EXPECT_NOTHING(f) check_out((f), "", 0, __FILE__, __LINE__)

static void info(struct fixture *f, const char *s) { at_writer_info(&f->w, s, strlen(s)); }
static void urc(struct fixture *f, const char *s) { at_writer_urc(&f->w, s, strlen(s), NULL, 0); }

/* ---- information text ------------------------------------------------- */

static void test_info_v1(void **state)
{
    struct fixture *f = *state;
    info(f, "X");
    EXPECT(f, "\r\nX\r\n");
    info(f, "+CSQ: 18,0");
    EXPECT(f, "\r\n+CSQ: 18,0\r\n");
    /* Several lines in one frame (AT+GSV). */
    info(f, "SIMCOM_Ltd\r\nSIMCOM_SIM800L");
    EXPECT(f, "\r\nSIMCOM_Ltd\r\nSIMCOM_SIM800L\r\n");
}

static void test_info_v0(void **state)
{
    struct fixture *f = *state;
    f->v250.verbose = false;
    info(f, "X");
    EXPECT(f, "X\r\n");
    info(f, "+CSQ: 18,0");
    EXPECT(f, "+CSQ: 18,0\r\n");
}

static void test_info_binary_safe(void **state)
{
    struct fixture *f = *state;
    at_writer_info(&f->w, "a\0b", 3);
    EXPECT(f, "\r\na\0b\r\n");
}

/* ---- final result codes ----------------------------------------------- */

static void test_final_v1(void **state)
{
    struct fixture *f = *state;
    at_writer_final(&f->w, AT_OK, NULL);
    EXPECT(f, "\r\nOK\r\n");
    at_writer_final(&f->w, AT_ERROR, NULL);
    EXPECT(f, "\r\nERROR\r\n");
}

static void test_final_v0(void **state)
{
    struct fixture *f = *state;
    f->v250.verbose = false;
    at_writer_final(&f->w, AT_OK, NULL);
    EXPECT(f, "0\r");
    at_writer_final(&f->w, AT_ERROR, NULL);
    EXPECT(f, "4\r");
}

static void test_info_then_final_v0(void **state)
{
    struct fixture *f = *state;
    /* manual §2.2.25: AT+CSQ under V0 */
    f->v250.verbose = false;
    info(f, "+CSQ: 18,0");
    at_writer_final(&f->w, AT_OK, NULL);
    EXPECT(f, "+CSQ: 18,0\r\n0\r");
}

static void test_settings_are_read_live(void **state)
{
    struct fixture *f = *state;
    /* ATV0 takes effect on the next write: the writer keeps a pointer. */
    at_writer_final(&f->w, AT_OK, NULL);
    f->v250.verbose = false;
    at_writer_final(&f->w, AT_OK, NULL);
    EXPECT(f, "\r\nOK\r\n0\r");
}

static void test_quiet_suppresses_finals_not_info(void **state)
{
    struct fixture *f = *state;
    f->v250.quiet = true;
    info(f, "+CSQ: 18,0");
    at_writer_final(&f->w, AT_OK, NULL);
    at_writer_final(&f->w, AT_ERROR, NULL);
    at_writer_final(&f->w, AT_CME(10), NULL);
    at_writer_final(&f->w, AT_TEXT, "SHUT OK");
    EXPECT(f, "\r\n+CSQ: 18,0\r\n");

    f->v250.cmee = 2;
    at_writer_final(&f->w, AT_CME(10), NULL);
    at_writer_final(&f->w, AT_CMS(321), NULL);
    EXPECT_NOTHING(f);

    f->v250.quiet = false;
    at_writer_final(&f->w, AT_OK, NULL);
    EXPECT(f, "\r\nOK\r\n");
}

static void test_silent_and_pending_write_nothing(void **state)
{
    struct fixture *f = *state;
    at_writer_final(&f->w, AT_SILENT, NULL);
    at_writer_final(&f->w, AT_PENDING, NULL);
    EXPECT_NOTHING(f);
    assert_int_equal(f->calls, 0);
}

/* ---- +CME ERROR / +CMS ERROR ----------------------------------------- */

static void test_cme_under_cmee(void **state)
{
    struct fixture *f = *state;
    f->v250.cmee = 0;
    at_writer_final(&f->w, AT_CME(10), NULL);
    EXPECT(f, "\r\nERROR\r\n");
    f->v250.cmee = 1;
    at_writer_final(&f->w, AT_CME(10), NULL);
    EXPECT(f, "\r\n+CME ERROR: 10\r\n");
    f->v250.cmee = 2;
    at_writer_final(&f->w, AT_CME(10), NULL);
    EXPECT(f, "\r\n+CME ERROR: SIM not inserted\r\n");
}

static void test_cme_765_text(void **state)
{
    struct fixture *f = *state;
    /* The manual's own CMEE=2 example (manual §20.1): lower case. */
    f->v250.cmee = 2;
    at_writer_final(&f->w, AT_CME(765), NULL);
    EXPECT(f, "\r\n+CME ERROR: invalid input value\r\n");
    f->v250.cmee = 1;
    at_writer_final(&f->w, AT_CME(765), NULL);
    EXPECT(f, "\r\n+CME ERROR: 765\r\n");
}

static void test_cme_without_text_is_numeric(void **state)
{
    struct fixture *f = *state;
    f->v250.cmee = 2;
    assert_null(at_cme_text(8));
    at_writer_final(&f->w, AT_CME(8), NULL);
    EXPECT(f, "\r\n+CME ERROR: 8\r\n");
}

static void test_cme_v0(void **state)
{
    struct fixture *f = *state;
    f->v250.verbose = false;
    f->v250.cmee = 0;
    at_writer_final(&f->w, AT_CME(10), NULL);
    EXPECT(f, "4\r");
    /* +CME ERROR stays text under V0, framed as information text (our choice where the manual is
     * silent). */
    f->v250.cmee = 1;
    at_writer_final(&f->w, AT_CME(10), NULL);
    EXPECT(f, "+CME ERROR: 10\r\n");
    f->v250.cmee = 2;
    at_writer_final(&f->w, AT_CME(3), NULL);
    EXPECT(f, "+CME ERROR: operation not allowed\r\n");
}

static void test_cms_under_cmee(void **state)
{
    struct fixture *f = *state;
    f->v250.cmee = 0;
    at_writer_final(&f->w, AT_CMS(321), NULL);
    EXPECT(f, "\r\nERROR\r\n");
    f->v250.cmee = 1;
    at_writer_final(&f->w, AT_CMS(321), NULL);
    EXPECT(f, "\r\n+CMS ERROR: 321\r\n");
    f->v250.cmee = 2;
    at_writer_final(&f->w, AT_CMS(321), NULL);
    EXPECT(f, "\r\n+CMS ERROR: invalid memory index\r\n");
}

static void test_error_texts(void **state)
{
    (void)state;
    assert_string_equal(at_cme_text(0), "phone failure");
    assert_string_equal(at_cme_text(10), "SIM not inserted");
    assert_string_equal(at_cme_text(100), "unknown");
    assert_string_equal(at_cme_text(765), "invalid input value");
    assert_string_equal(at_cme_text(797), "CFUN state is 0 or 4");
    assert_null(at_cme_text(-1));
    assert_null(at_cme_text(9));
    assert_null(at_cme_text(256)); /* not in V1.09 (manual §19.1) */
    assert_string_equal(at_cms_text(321), "invalid memory index");
    assert_string_equal(at_cms_text(500), "Unknown");
    assert_null(at_cms_text(0));
}

static void test_longest_error_texts_fit(void **state)
{
    struct fixture *f = *state;
    /* Every table text comes out whole under CMEE=2. */
    f->v250.cmee = 2;
    char want[256];
    for (int code = 0; code < 1000; code++) {
        const char *t = at_cme_text(code);
        if (t) {
            at_writer_final(&f->w, AT_CME(code), NULL);
            int n = snprintf(want, sizeof(want), "\r\n+CME ERROR: %s\r\n", t);
            check_out(f, want, (size_t)n, __FILE__, __LINE__);
        }
        t = at_cms_text(code);
        if (t) {
            at_writer_final(&f->w, AT_CMS(code), NULL);
            int n = snprintf(want, sizeof(want), "\r\n+CMS ERROR: %s\r\n", t);
            check_out(f, want, (size_t)n, __FILE__, __LINE__);
        }
    }
}

/* ---- text finals ------------------------------------------------------ */

static void test_text_final(void **state)
{
    struct fixture *f = *state;
    at_writer_final(&f->w, AT_TEXT, "SHUT OK");
    EXPECT(f, "\r\nSHUT OK\r\n");
    f->v250.verbose = false;
    /* No numeric form: stays text under V0 (manual §2.2.25). */
    at_writer_final(&f->w, AT_TEXT, "SHUT OK");
    EXPECT(f, "SHUT OK\r\n");
    /* V.250 codes given as text still become numeric under V0. */
    at_writer_final(&f->w, AT_TEXT, "NO CARRIER");
    EXPECT(f, "3\r");
    at_writer_final(&f->w, AT_TEXT, "CONNECT");
    EXPECT(f, "1\r");
    f->v250.verbose = true;
    at_writer_final(&f->w, AT_TEXT, "NO CARRIER");
    EXPECT(f, "\r\nNO CARRIER\r\n");
}

/* ---- raw -------------------------------------------------------------- */

static void test_raw_is_exact(void **state)
{
    struct fixture *f = *state;
    static const uint8_t bytes[] = {'A', 'T', '\r', 0x00, 0x1a, 0x1b, 0xff, '\n'};
    at_writer_raw(&f->w, bytes, sizeof(bytes));
    check_out(f, bytes, sizeof(bytes), __FILE__, __LINE__);
    at_writer_raw(&f->w, "> ", 2);
    EXPECT(f, "> ");
    at_writer_raw(&f->w, "", 0);
    EXPECT_NOTHING(f);
}

/* ---- URCs ------------------------------------------------------------- */

static void test_urc_without_hold(void **state)
{
    struct fixture *f = *state;
    urc(f, "Call Ready");
    EXPECT(f, "\r\nCall Ready\r\n");
    f->v250.verbose = false;
    urc(f, "SMS Ready");
    EXPECT(f, "SMS Ready\r\n");
}

static void test_urc_held_until_release(void **state)
{
    struct fixture *f = *state;
    at_writer_set_hold(&f->w, true);
    urc(f, "RING");
    urc(f, "+CREG: 1");
    EXPECT_NOTHING(f);
    /* The response itself is not held. */
    info(f, "+CSQ: 18,0");
    at_writer_final(&f->w, AT_OK, NULL);
    EXPECT(f, "\r\n+CSQ: 18,0\r\n\r\nOK\r\n");
    urc(f, "CLOSED");
    EXPECT_NOTHING(f);
    at_writer_set_hold(&f->w, false);
    EXPECT(f, "\r\nRING\r\n\r\n+CREG: 1\r\n\r\nCLOSED\r\n");

    /* Released: URCs flow straight through again, and nothing is replayed. */
    urc(f, "RING");
    EXPECT(f, "\r\nRING\r\n");
    at_writer_set_hold(&f->w, true);
    at_writer_set_hold(&f->w, false);
    EXPECT_NOTHING(f);
}

static void test_urc_hold_twice_keeps_queue(void **state)
{
    struct fixture *f = *state;
    at_writer_set_hold(&f->w, true);
    urc(f, "A");
    at_writer_set_hold(&f->w, true);
    urc(f, "B");
    EXPECT_NOTHING(f);
    at_writer_set_hold(&f->w, false);
    EXPECT(f, "\r\nA\r\n\r\nB\r\n");
}

static void test_urc_many_held_in_order(void **state)
{
    struct fixture *f = *state;
    struct bytebuf want = {0};
    at_writer_set_hold(&f->w, true);
    for (int i = 0; i < 2000; i++) {
        char t[32];
        int n = snprintf(t, sizeof(t), "+URC: %d", i);
        at_writer_urc(&f->w, t, (size_t)n, NULL, 0);
        bytebuf_append_str(&want, "\r\n");
        bytebuf_append(&want, t, (size_t)n);
        bytebuf_append_str(&want, "\r\n");
    }
    EXPECT_NOTHING(f);
    at_writer_set_hold(&f->w, false);
    check_out(f, want.data, want.len, __FILE__, __LINE__);
    bytebuf_free(&want);
}

static void test_urc_with_binary_payload(void **state)
{
    struct fixture *f = *state;
    static const uint8_t payload[] = {'h', 0x00, 'i', 0x1a, '\r', '\n', 0x1b, 0xff, 0x00};
    static const char head[] = "+RECEIVE,0,9:";
    uint8_t want[64];
    size_t n = 0;
    memcpy(want + n, "\r\n", 2);
    n += 2;
    memcpy(want + n, head, sizeof(head) - 1);
    n += sizeof(head) - 1;
    memcpy(want + n, "\r\n", 2);
    n += 2;
    memcpy(want + n, payload, sizeof(payload));
    n += sizeof(payload);

    /* Straight through. */
    at_writer_urc(&f->w, head, sizeof(head) - 1, payload, sizeof(payload));
    check_out(f, want, n, __FILE__, __LINE__);

    /* Held, then released: byte exact, the text and its payload as one unit. */
    at_writer_set_hold(&f->w, true);
    at_writer_urc(&f->w, head, sizeof(head) - 1, payload, sizeof(payload));
    at_writer_final(&f->w, AT_OK, NULL);
    EXPECT(f, "\r\nOK\r\n");
    at_writer_set_hold(&f->w, false);
    check_out(f, want, n, __FILE__, __LINE__);
}

static void test_urc_raw_held_with_urcs(void **state)
{
    struct fixture *f = *state;
    /* Pushed TCP data (single-connection mode): no framing, URC timing. */
    static const uint8_t data[] = {'G', 'E', 'T', 0x00, 0x1a, '\r', '\n', 0xff};
    at_writer_urc_raw(&f->w, data, sizeof(data));
    check_out(f, data, sizeof(data), __FILE__, __LINE__);

    at_writer_set_hold(&f->w, true);
    urc(f, "RING");
    at_writer_urc_raw(&f->w, data, sizeof(data));
    urc(f, "CLOSED");
    EXPECT_NOTHING(f);
    at_writer_final(&f->w, AT_OK, NULL);
    EXPECT(f, "\r\nOK\r\n");
    at_writer_set_hold(&f->w, false);
    EXPECT(f, "\r\nRING\r\nGET\0\x1a\r\n\xff\r\nCLOSED\r\n");

    /* Raw URC bytes are not result codes: V0 and Q1 leave them alone. */
    f->v250.verbose = false;
    f->v250.quiet = true;
    at_writer_urc_raw(&f->w, data, sizeof(data));
    check_out(f, data, sizeof(data), __FILE__, __LINE__);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_info_v1),
        T(test_info_v0),
        T(test_info_binary_safe),
        T(test_final_v1),
        T(test_final_v0),
        T(test_info_then_final_v0),
        T(test_settings_are_read_live),
        T(test_quiet_suppresses_finals_not_info),
        T(test_silent_and_pending_write_nothing),
        T(test_cme_under_cmee),
        T(test_cme_765_text),
        T(test_cme_without_text_is_numeric),
        T(test_cme_v0),
        T(test_cms_under_cmee),
        T(test_error_texts),
        T(test_longest_error_texts_fit),
        T(test_text_final),
        T(test_raw_is_exact),
        T(test_urc_without_hold),
        T(test_urc_held_until_release),
        T(test_urc_hold_twice_keeps_queue),
        T(test_urc_many_held_in_order),
        T(test_urc_with_binary_payload),
        T(test_urc_raw_held_with_urcs),
    };
#undef T
    return cmocka_run_group_tests_name("at_writer", tests, NULL, NULL);
}
