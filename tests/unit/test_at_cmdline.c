/* Unit tests for at_cmdline: space removal and splitting a line body into
 * commands.  Wire rules from SIM800 AT Command Manual V1.09 §1.4 (spaces), §1.4.1–1.4.3 (syntax
 * classes) and §1.4.4 (several commands on one line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "at_cmdline.h"

/* ---- at_cmdline_clean ------------------------------------------------- */

static void check_clean(const char *in, const char *want)
{
    char buf[AT_LINE_MAX + 1];
    size_t len = strlen(in);
    assert_true(len <= AT_LINE_MAX);
    memcpy(buf, in, len + 1);
    size_t out = at_cmdline_clean(buf, len);
    assert_int_equal(out, strlen(want));
    assert_memory_equal(buf, want, out);
}

static void test_clean_removes_spaces_outside_quotes(void **state)
{
    (void)state;
    check_clean("+CMGF = 1", "+CMGF=1");
    check_clean(" E0", "E0");
    check_clean("+IPR = 115200", "+IPR=115200");
    check_clean("+CENG =1,1", "+CENG=1,1");
    check_clean("+CIPSTART = \"TCP\" , \"example.com\" , 80",
                "+CIPSTART=\"TCP\",\"example.com\",80");
}

static void test_clean_keeps_spaces_inside_quotes(void **state)
{
    (void)state;
    check_clean("+SAPBR=3,1,\"APN\",\"my apn\"", "+SAPBR=3,1,\"APN\",\"my apn\"");
    check_clean("+X=\" a \" , \" b\"", "+X=\" a \",\" b\"");
    /* An unbalanced quote protects the rest of the line. */
    check_clean("+X=\"a b ; c", "+X=\"a b ; c");
}

static void test_clean_edge_cases(void **state)
{
    (void)state;
    check_clean("", "");
    check_clean("    ", "");
    check_clean("E0", "E0");
    check_clean("\"\" \"\"", "\"\"\"\"");
}

/* ---- at_cmdline_split ------------------------------------------------- */

static struct at_command cmds[AT_LINE_CMDS_MAX + 4];

static int split(const char *line)
{
    return at_cmdline_split(line, strlen(line), cmds, AT_LINE_CMDS_MAX);
}

/* args == NULL: no arguments expected (args_len 0). */
static void check_cmd(const char *line, int i, const char *name, enum at_form form, bool extended,
                      int number, const char *args)
{
    const struct at_command *c = &cmds[i];
    assert_string_equal(c->name, name);
    assert_int_equal(c->form, form);
    assert_int_equal(c->extended, extended);
    assert_int_equal(c->number, number);
    if (args == NULL) {
        assert_int_equal(c->args_len, 0);
    } else {
        assert_int_equal(c->args_len, strlen(args));
        assert_true(c->args_off + c->args_len <= strlen(line));
        assert_memory_equal(line + c->args_off, args, c->args_len);
    }
}

static void test_split_basic_single(void **state)
{
    (void)state;
    assert_int_equal(split("E0"), 1);
    check_cmd("E0", 0, "E", AT_FORM_EXEC, false, 0, NULL);

    assert_int_equal(split("e1"), 1);
    check_cmd("e1", 0, "E", AT_FORM_EXEC, false, 1, NULL);

    /* A basic command without its number: -1 (the handler picks the default). */
    assert_int_equal(split("Z"), 1);
    check_cmd("Z", 0, "Z", AT_FORM_EXEC, false, -1, NULL);

    assert_int_equal(split("I"), 1);
    check_cmd("I", 0, "I", AT_FORM_EXEC, false, -1, NULL);
}

static void test_split_basic_chain(void **state)
{
    (void)state;
    const char *line = "&FZE0&W";
    assert_int_equal(split(line), 4);
    check_cmd(line, 0, "&F", AT_FORM_EXEC, false, -1, NULL);
    check_cmd(line, 1, "Z", AT_FORM_EXEC, false, -1, NULL);
    check_cmd(line, 2, "E", AT_FORM_EXEC, false, 0, NULL);
    check_cmd(line, 3, "&W", AT_FORM_EXEC, false, -1, NULL);
}

static void test_split_manual_example(void **state)
{
    (void)state;
    /* SIM800 manual 1.4.4's own example line. */
    const char *line = "E1Q0S0=1S3=13V1X4;+IFC=0,0;+IPR=115200;&W";
    assert_int_equal(split(line), 9);
    check_cmd(line, 0, "E", AT_FORM_EXEC, false, 1, NULL);
    check_cmd(line, 1, "Q", AT_FORM_EXEC, false, 0, NULL);
    check_cmd(line, 2, "S", AT_FORM_WRITE, false, 0, "1");
    check_cmd(line, 3, "S", AT_FORM_WRITE, false, 3, "13");
    check_cmd(line, 4, "V", AT_FORM_EXEC, false, 1, NULL);
    check_cmd(line, 5, "X", AT_FORM_EXEC, false, 4, NULL);
    check_cmd(line, 6, "+IFC", AT_FORM_WRITE, true, -1, "0,0");
    check_cmd(line, 7, "+IPR", AT_FORM_WRITE, true, -1, "115200");
    check_cmd(line, 8, "&W", AT_FORM_EXEC, false, -1, NULL);
}

static void test_split_extended_then_basic(void **state)
{
    (void)state;
    /* TinyGSM's AT+CIFSR;E0 */
    const char *line = "+CIFSR;E0";
    assert_int_equal(split(line), 2);
    check_cmd(line, 0, "+CIFSR", AT_FORM_EXEC, true, -1, NULL);
    check_cmd(line, 1, "E", AT_FORM_EXEC, false, 0, NULL);
}

static void test_split_extended_chain(void **state)
{
    (void)state;
    const char *line = "+CSQ;+CREG?";
    assert_int_equal(split(line), 2);
    check_cmd(line, 0, "+CSQ", AT_FORM_EXEC, true, -1, NULL);
    check_cmd(line, 1, "+CREG", AT_FORM_READ, true, -1, NULL);

    /* A ';' at the end of the line is allowed. */
    assert_int_equal(split("+CSQ;"), 1);
}

static void test_split_extended_forms(void **state)
{
    (void)state;
    assert_int_equal(split("+CMGF=1"), 1);
    check_cmd("+CMGF=1", 0, "+CMGF", AT_FORM_WRITE, true, -1, "1");

    assert_int_equal(split("+CPIN=?"), 1);
    check_cmd("+CPIN=?", 0, "+CPIN", AT_FORM_TEST, true, -1, NULL);

    assert_int_equal(split("+CPIN?"), 1);
    check_cmd("+CPIN?", 0, "+CPIN", AT_FORM_READ, true, -1, NULL);

    assert_int_equal(split("+CSQ"), 1);
    check_cmd("+CSQ", 0, "+CSQ", AT_FORM_EXEC, true, -1, NULL);

    /* Names are folded to upper case; arguments are left alone. */
    assert_int_equal(split("+cipssl=?"), 1);
    check_cmd("+cipssl=?", 0, "+CIPSSL", AT_FORM_TEST, true, -1, NULL);
    assert_int_equal(split("+cpin=abcd"), 1);
    check_cmd("+cpin=abcd", 0, "+CPIN", AT_FORM_WRITE, true, -1, "abcd");

    /* "=" with nothing after it is a WRITE with empty arguments. */
    assert_int_equal(split("+CMEE="), 1);
    check_cmd("+CMEE=", 0, "+CMEE", AT_FORM_WRITE, true, -1, "");

    /* Middle parameters may be empty. */
    assert_int_equal(split("+CNMI=2,1,,,0"), 1);
    check_cmd("+CNMI=2,1,,,0", 0, "+CNMI", AT_FORM_WRITE, true, -1, "2,1,,,0");
}

static void test_split_sreg(void **state)
{
    (void)state;
    assert_int_equal(split("S3?"), 1);
    check_cmd("S3?", 0, "S", AT_FORM_READ, false, 3, NULL);

    assert_int_equal(split("S0=2"), 1);
    check_cmd("S0=2", 0, "S", AT_FORM_WRITE, false, 0, "2");

    assert_int_equal(split("s10=15"), 1);
    check_cmd("s10=15", 0, "S", AT_FORM_WRITE, false, 10, "15");

    /* "S0=" assigns the register's default: a WRITE with empty arguments. */
    assert_int_equal(split("S0="), 1);
    check_cmd("S0=", 0, "S", AT_FORM_WRITE, false, 0, "");

    const char *line = "S0=2S3?E0";
    assert_int_equal(split(line), 3);
    check_cmd(line, 0, "S", AT_FORM_WRITE, false, 0, "2");
    check_cmd(line, 1, "S", AT_FORM_READ, false, 3, NULL);
    check_cmd(line, 2, "E", AT_FORM_EXEC, false, 0, NULL);
}

static void test_split_sreg_then_semicolon(void **state)
{
    (void)state;
    /* An S command is a basic command: like "X4;+IFC=0,0" in the manual's
     * example (1.4.4), it may be followed by ';' and the next command. */
    const char *line = "S0=2;S3?";
    assert_int_equal(split(line), 2);
    check_cmd(line, 0, "S", AT_FORM_WRITE, false, 0, "2");
    check_cmd(line, 1, "S", AT_FORM_READ, false, 3, NULL);

    line = "S0=1;+CMGF=1";
    assert_int_equal(split(line), 2);
    check_cmd(line, 1, "+CMGF", AT_FORM_WRITE, true, -1, "1");

    line = "S3?;+CSQ";
    assert_int_equal(split(line), 2);
    check_cmd(line, 1, "+CSQ", AT_FORM_EXEC, true, -1, NULL);
}

static void test_split_dial_keeps_semicolon(void **state)
{
    (void)state;
    assert_int_equal(split("D123;"), 1);
    check_cmd("D123;", 0, "D", AT_FORM_EXEC, false, -1, "123;");

    /* The dial string takes the rest of the line. */
    const char *line = "E0D+4912345;";
    assert_int_equal(split(line), 2);
    check_cmd(line, 0, "E", AT_FORM_EXEC, false, 0, NULL);
    check_cmd(line, 1, "D", AT_FORM_EXEC, false, -1, "+4912345;");
}

static void test_split_answer_ignores_rest(void **state)
{
    (void)state;
    /* SIM800 manual 2.2.2: ATA ignores anything after it on the line. */
    assert_int_equal(split("A"), 1);
    check_cmd("A", 0, "A", AT_FORM_EXEC, false, -1, NULL);
    assert_int_equal(split("A+CSQ+CREG;;;\"junk"), 1);
    check_cmd("A+CSQ+CREG;;;\"junk", 0, "A", AT_FORM_EXEC, false, -1, NULL);
    assert_int_equal(split("E0A;;+"), 2);
    check_cmd("E0A;;+", 1, "A", AT_FORM_EXEC, false, -1, NULL);
}

static void test_split_quoted_semicolon_stays_in_args(void **state)
{
    (void)state;
    const char *line = "+HTTPPARA=\"URL\",\"http://x/?a=1;b=2\"";
    assert_int_equal(split(line), 1);
    check_cmd(line, 0, "+HTTPPARA", AT_FORM_WRITE, true, -1, "\"URL\",\"http://x/?a=1;b=2\"");

    const char *two = "+HTTPPARA=\"URL\",\"a;b\";+HTTPACTION=0";
    assert_int_equal(split(two), 2);
    check_cmd(two, 0, "+HTTPPARA", AT_FORM_WRITE, true, -1, "\"URL\",\"a;b\"");
    check_cmd(two, 1, "+HTTPACTION", AT_FORM_WRITE, true, -1, "0");
}

static void test_split_empty_line(void **state)
{
    (void)state;
    /* "AT" alone: no commands, not an error. */
    assert_int_equal(split(""), 0);
}

static void test_split_errors(void **state)
{
    (void)state;
    /* An extended command must be followed by ';' or the end of the line. */
    assert_int_equal(split("+CSQ+CREG"), -1);
    assert_int_equal(split("+CSQE0"), 1); /* "CSQE0" is one name */
    assert_int_equal(split("+CREG?E0"), -1);
    assert_int_equal(split("+CPIN=?1"), -1);
    assert_int_equal(split(";"), -1);
    assert_int_equal(split("E0;;E1"), -1);
    assert_int_equal(split("+"), -1);
    assert_int_equal(split("+;"), -1);
    assert_int_equal(split("S"), -1);
    assert_int_equal(split("S?"), -1);
    assert_int_equal(split("S3"), -1); /* V.250 5.3.2: needs '?' or '=' */
    assert_int_equal(split("S=1"), -1);
    assert_int_equal(split("E?"), -1);
    assert_int_equal(split("&"), -1);
    assert_int_equal(split("&1"), -1);
    assert_int_equal(split("1"), -1);
    assert_int_equal(split("=1"), -1);
}

static void test_split_name_length_limit(void **state)
{
    (void)state;
    char line[64];
    /* The longest name that fits: AT_NAME_MAX - 1 characters, '+' included. */
    line[0] = '+';
    memset(line + 1, 'N', AT_NAME_MAX - 2);
    line[AT_NAME_MAX - 1] = '\0';
    assert_int_equal(split(line), 1);
    assert_int_equal(strlen(cmds[0].name), AT_NAME_MAX - 1);

    /* One more character is too long. */
    memset(line + 1, 'N', AT_NAME_MAX - 1);
    line[AT_NAME_MAX] = '\0';
    assert_int_equal(split(line), -1);

    memset(line + 1, 'N', 40);
    memcpy(line + 41, "=1", 3);
    assert_int_equal(split(line), -1);
}

static void test_split_command_count_limit(void **state)
{
    (void)state;
    char line[3 * (AT_LINE_CMDS_MAX + 1) + 1];
    size_t n = 0;
    for (int i = 0; i < AT_LINE_CMDS_MAX; i++) {
        memcpy(line + n, "E0", 2);
        n += 2;
    }
    line[n] = '\0';
    assert_int_equal(split(line), AT_LINE_CMDS_MAX);

    memcpy(line + n, "E1", 3);
    assert_int_equal(split(line), -1);

    /* The limit is the caller's max. */
    assert_int_equal(at_cmdline_split("E0E1", 4, cmds, 2), 2);
    assert_int_equal(at_cmdline_split("E0E1V1", 6, cmds, 2), -1);
}

static void test_split_big_numbers_do_not_overflow(void **state)
{
    (void)state;
    assert_int_equal(split("E99999999999999999999"), 1);
    assert_true(cmds[0].number >= 0);
    assert_int_equal(split("S99999999999999999999?"), 1);
    assert_true(cmds[0].number >= 0);
}

static void test_clean_then_split(void **state)
{
    (void)state;
    char buf[AT_LINE_MAX + 1];
    const char *in = "+CMGF = 1 ; +CSCS = \"GSM\" ; E 0";
    size_t len = strlen(in);
    memcpy(buf, in, len + 1);
    len = at_cmdline_clean(buf, len);
    assert_int_equal(at_cmdline_split(buf, len, cmds, AT_LINE_CMDS_MAX), 3);
    check_cmd(buf, 0, "+CMGF", AT_FORM_WRITE, true, -1, "1");
    check_cmd(buf, 1, "+CSCS", AT_FORM_WRITE, true, -1, "\"GSM\"");
    check_cmd(buf, 2, "E", AT_FORM_EXEC, false, 0, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_removes_spaces_outside_quotes),
        cmocka_unit_test(test_clean_keeps_spaces_inside_quotes),
        cmocka_unit_test(test_clean_edge_cases),
        cmocka_unit_test(test_split_basic_single),
        cmocka_unit_test(test_split_basic_chain),
        cmocka_unit_test(test_split_manual_example),
        cmocka_unit_test(test_split_extended_then_basic),
        cmocka_unit_test(test_split_extended_chain),
        cmocka_unit_test(test_split_extended_forms),
        cmocka_unit_test(test_split_sreg),
        cmocka_unit_test(test_split_sreg_then_semicolon),
        cmocka_unit_test(test_split_dial_keeps_semicolon),
        cmocka_unit_test(test_split_answer_ignores_rest),
        cmocka_unit_test(test_split_quoted_semicolon_stays_in_args),
        cmocka_unit_test(test_split_empty_line),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_split_name_length_limit),
        cmocka_unit_test(test_split_command_count_limit),
        cmocka_unit_test(test_split_big_numbers_do_not_overflow),
        cmocka_unit_test(test_clean_then_split),
    };
    return cmocka_run_group_tests_name("at_cmdline", tests, NULL, NULL);
}
