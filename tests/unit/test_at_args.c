/* Unit tests for at_args: the typed cursor over extended-command arguments
 * (SIM800 AT Command Manual V1.09 §1.4.3: decimal integers, quoted or unquoted strings,
 * empty middle parameters). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "at_args.h"

/* The arguments live in an exact-size heap copy with no NUL after them, so
 * a sanitizer build catches any read past the end. */
static char *arg_copy;

static struct at_args args_of(const char *s)
{
    size_t n = strlen(s);
    free(arg_copy);
    arg_copy = calloc(n ? n : 1, 1);
    assert_non_null(arg_copy);
    memcpy(arg_copy, s, n);
    struct at_args a;
    at_args_init(&a, arg_copy, n);
    return a;
}

static int teardown(void **state)
{
    (void)state;
    free(arg_copy);
    arg_copy = NULL;
    return 0;
}

static void expect_int(struct at_args *a, long min, long max, enum at_arg_status want_st,
                       long want_v)
{
    long v = 12345678;
    enum at_arg_status st = at_arg_int(a, min, max, &v);
    assert_int_equal(st, want_st);
    if (st == AT_ARG_OK)
        assert_int_equal(v, want_v);
    else
        assert_int_equal(v, 12345678); /* untouched */
}

static void int1(const char *s, long min, long max, enum at_arg_status st, long v)
{
    struct at_args a = args_of(s);
    expect_int(&a, min, max, st, v);
}

static void expect_str(struct at_args *a, size_t cap, enum at_arg_status want_st, const char *want,
                       bool want_quoted)
{
    char buf[64];
    assert_true(cap <= sizeof(buf) - 8);
    memset(buf, '#', sizeof(buf));
    bool quoted = !want_quoted;
    enum at_arg_status st = at_arg_str(a, buf, cap, &quoted);
    assert_int_equal(st, want_st);
    if (st == AT_ARG_OK) {
        assert_string_equal(buf, want);
        assert_int_equal(quoted, want_quoted);
    }
    /* Never a byte past cap. */
    for (size_t i = cap; i < sizeof(buf); i++)
        assert_int_equal(buf[i], '#');
}

/* ---- integers --------------------------------------------------------- */

static void test_int_in_range(void **state)
{
    (void)state;
    int1("5", 0, 10, AT_ARG_OK, 5);
    int1("0", 0, 10, AT_ARG_OK, 0);
    int1("10", 0, 10, AT_ARG_OK, 10);
    int1("115200", 0, 460800, AT_ARG_OK, 115200);
    int1("007", 0, 10, AT_ARG_OK, 7);
    int1("+7", 0, 10, AT_ARG_OK, 7);
}

static void test_int_out_of_range(void **state)
{
    (void)state;
    int1("11", 0, 10, AT_ARG_BAD, 0);
    int1("3", 4, 10, AT_ARG_BAD, 0);
    int1("460801", 0, 460800, AT_ARG_BAD, 0);
    int1("99999999999999999999", 0, LONG_MAX, AT_ARG_BAD, 0);
    int1("-99999999999999999999", LONG_MIN, 0, AT_ARG_BAD, 0);
}

static void test_int_negative(void **state)
{
    (void)state;
    int1("-1", 0, 10, AT_ARG_BAD, 0);
    int1("-1", -5, 5, AT_ARG_OK, -1);
    int1("-5", -5, 5, AT_ARG_OK, -5);
    int1("-6", -5, 5, AT_ARG_BAD, 0);
}

static void test_int_quoted(void **state)
{
    (void)state;
    /* AT+CGDCONT="1",... from some drivers */
    int1("\"1\"", 0, 10, AT_ARG_OK, 1);
    int1("\"\"", 0, 10, AT_ARG_ABSENT, 0);
    int1("\"x\"", 0, 10, AT_ARG_BAD, 0);
    int1("\"1", 0, 10, AT_ARG_BAD, 0);
}

static void test_int_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {"1a", "a", "-", "+", "1.5", "0x10", "1-", "--1", "\"IP\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        int1(bad[i], LONG_MIN, LONG_MAX, AT_ARG_BAD, 0);
}

static void test_int_sequence_with_empty_middle(void **state)
{
    (void)state;
    struct at_args a = args_of("2,1,,,0");
    assert_int_equal(at_args_count(&a), 5);
    expect_int(&a, 0, 3, AT_ARG_OK, 2);
    expect_int(&a, 0, 3, AT_ARG_OK, 1);
    assert_false(at_args_done(&a));
    expect_int(&a, 0, 3, AT_ARG_ABSENT, 0);
    expect_int(&a, 0, 3, AT_ARG_ABSENT, 0);
    assert_false(at_args_done(&a));
    expect_int(&a, 0, 3, AT_ARG_OK, 0);
    assert_true(at_args_done(&a));
    /* Past the last one: absent, and it stays done. */
    expect_int(&a, 0, 3, AT_ARG_ABSENT, 0);
    assert_true(at_args_done(&a));
    assert_int_equal(at_args_count(&a), 5);
}

static void test_trailing_comma(void **state)
{
    (void)state;
    struct at_args a = args_of("1,");
    assert_int_equal(at_args_count(&a), 2);
    expect_int(&a, 0, 9, AT_ARG_OK, 1);
    assert_false(at_args_done(&a)); /* an empty parameter is still to come */
    expect_int(&a, 0, 9, AT_ARG_ABSENT, 0);
    assert_true(at_args_done(&a));

    a = args_of(",");
    assert_int_equal(at_args_count(&a), 2);
    expect_int(&a, 0, 9, AT_ARG_ABSENT, 0);
    assert_false(at_args_done(&a));
    expect_int(&a, 0, 9, AT_ARG_ABSENT, 0);
    assert_true(at_args_done(&a));
}

static void test_empty_arguments(void **state)
{
    (void)state;
    struct at_args a = args_of("");
    assert_int_equal(at_args_count(&a), 0);
    assert_true(at_args_done(&a));
    expect_int(&a, 0, 9, AT_ARG_ABSENT, 0);
    expect_str(&a, 8, AT_ARG_ABSENT, "", false);
    assert_true(at_args_done(&a));
}

/* ---- strings ---------------------------------------------------------- */

static void test_str_quoted_and_unquoted(void **state)
{
    (void)state;
    struct at_args a = args_of("\"IP\",\"internet\",1234,C:\\USER\\X.CRT");
    assert_int_equal(at_args_count(&a), 4);
    expect_str(&a, 32, AT_ARG_OK, "IP", true);
    expect_str(&a, 32, AT_ARG_OK, "internet", true);
    expect_str(&a, 32, AT_ARG_OK, "1234", false);
    expect_str(&a, 32, AT_ARG_OK, "C:\\USER\\X.CRT", false);
    assert_true(at_args_done(&a));
    expect_str(&a, 32, AT_ARG_ABSENT, "", false);
}

static void test_str_quoted_comma_and_semicolon(void **state)
{
    (void)state;
    struct at_args a = args_of("\"URL\",\"http://x/?a=1;b=2,c=3\",7");
    assert_int_equal(at_args_count(&a), 3);
    expect_str(&a, 40, AT_ARG_OK, "URL", true);
    expect_str(&a, 40, AT_ARG_OK, "http://x/?a=1;b=2,c=3", true);
    expect_int(&a, 0, 9, AT_ARG_OK, 7);
    assert_true(at_args_done(&a));
}

static void test_str_empty_quoted_and_empty(void **state)
{
    (void)state;
    /* AT+CSTT="internet","","": empty user and password are given, quoted. */
    struct at_args a = args_of("\"internet\",\"\",,x");
    expect_str(&a, 16, AT_ARG_OK, "internet", true);
    expect_str(&a, 16, AT_ARG_OK, "", true);
    expect_str(&a, 16, AT_ARG_ABSENT, "", false);
    expect_str(&a, 16, AT_ARG_OK, "x", false);
    assert_true(at_args_done(&a));
}

static void test_str_quoted_may_be_null(void **state)
{
    (void)state;
    struct at_args a = args_of("abc");
    char buf[8];
    assert_int_equal(at_arg_str(&a, buf, sizeof(buf), NULL), AT_ARG_OK);
    assert_string_equal(buf, "abc");
}

static void test_str_too_long(void **state)
{
    (void)state;
    struct at_args a = args_of("abc");
    expect_str(&a, 4, AT_ARG_OK, "abc", false);
    a = args_of("abcd");
    expect_str(&a, 4, AT_ARG_BAD, NULL, false);
    a = args_of("\"abcd\"");
    expect_str(&a, 5, AT_ARG_OK, "abcd", true);
    a = args_of("\"abcd\"");
    expect_str(&a, 4, AT_ARG_BAD, NULL, false);
    a = args_of("x");
    expect_str(&a, 1, AT_ARG_BAD, NULL, false);
    a = args_of("x");
    expect_str(&a, 0, AT_ARG_BAD, NULL, false);

    /* A bad parameter is consumed: the cursor moves on to the next one. */
    a = args_of("abcdef,xy");
    expect_str(&a, 4, AT_ARG_BAD, NULL, false);
    assert_false(at_args_done(&a));
    expect_str(&a, 4, AT_ARG_OK, "xy", false);
    assert_true(at_args_done(&a));
}

static void test_str_unbalanced_quote(void **state)
{
    (void)state;
    static const char *const bad[] = {"\"abc", "abc\"", "\"a\"b", "a\"b\"", "\"a\"\"b\"", "\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct at_args a = args_of(bad[i]);
        expect_str(&a, 32, AT_ARG_BAD, NULL, false);
        assert_true(at_args_done(&a));
    }

    /* An open quote swallows the rest, commas included. */
    struct at_args a = args_of("1,\"x,2");
    assert_int_equal(at_args_count(&a), 2);
    expect_int(&a, 0, 9, AT_ARG_OK, 1);
    expect_str(&a, 32, AT_ARG_BAD, NULL, false);
    assert_true(at_args_done(&a));
    expect_int(&a, 0, 9, AT_ARG_ABSENT, 0);
}

/* ---- count and done --------------------------------------------------- */

static void test_count(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int n;
    } cases[] = {
        {"", 0},        {"1", 1},         {"1,2,3", 3},   {"1,", 2},  {",", 2},         {",,", 3},
        {"\"a,b\"", 1}, {"\"a,b\",c", 2}, {"2,1,,,0", 5}, {"\"x", 1}, {"\"\",\"\"", 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct at_args a = args_of(cases[i].s);
        assert_int_equal(at_args_count(&a), cases[i].n);
    }
}

static void test_count_is_stable_while_consuming(void **state)
{
    (void)state;
    struct at_args a = args_of("1,\"two\",,4");
    char buf[8];
    long v;
    assert_int_equal(at_args_count(&a), 4);
    assert_int_equal(at_arg_int(&a, 0, 9, &v), AT_ARG_OK);
    assert_int_equal(at_args_count(&a), 4);
    assert_int_equal(at_arg_str(&a, buf, sizeof(buf), NULL), AT_ARG_OK);
    assert_int_equal(at_args_count(&a), 4);
    assert_int_equal(at_arg_int(&a, 0, 9, &v), AT_ARG_ABSENT);
    assert_int_equal(at_args_count(&a), 4);
    assert_false(at_args_done(&a));
    assert_int_equal(at_arg_int(&a, 0, 9, &v), AT_ARG_OK);
    assert_int_equal(v, 4);
    assert_true(at_args_done(&a));
    assert_int_equal(at_args_count(&a), 4);
}

static void test_done_progression(void **state)
{
    (void)state;
    struct at_args a = args_of("1,2");
    long v;
    assert_false(at_args_done(&a));
    assert_int_equal(at_arg_int(&a, 0, 9, &v), AT_ARG_OK);
    assert_false(at_args_done(&a));
    assert_int_equal(at_arg_int(&a, 0, 9, &v), AT_ARG_OK);
    assert_true(at_args_done(&a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_int_in_range, teardown),
        cmocka_unit_test_teardown(test_int_out_of_range, teardown),
        cmocka_unit_test_teardown(test_int_negative, teardown),
        cmocka_unit_test_teardown(test_int_quoted, teardown),
        cmocka_unit_test_teardown(test_int_malformed, teardown),
        cmocka_unit_test_teardown(test_int_sequence_with_empty_middle, teardown),
        cmocka_unit_test_teardown(test_trailing_comma, teardown),
        cmocka_unit_test_teardown(test_empty_arguments, teardown),
        cmocka_unit_test_teardown(test_str_quoted_and_unquoted, teardown),
        cmocka_unit_test_teardown(test_str_quoted_comma_and_semicolon, teardown),
        cmocka_unit_test_teardown(test_str_empty_quoted_and_empty, teardown),
        cmocka_unit_test_teardown(test_str_quoted_may_be_null, teardown),
        cmocka_unit_test_teardown(test_str_too_long, teardown),
        cmocka_unit_test_teardown(test_str_unbalanced_quote, teardown),
        cmocka_unit_test_teardown(test_count, teardown),
        cmocka_unit_test_teardown(test_count_is_stable_while_consuming, teardown),
        cmocka_unit_test_teardown(test_done_progression, teardown),
    };
    return cmocka_run_group_tests_name("at_args", tests, NULL, NULL);
}
