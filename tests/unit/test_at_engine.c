/* The engine's command tables: a name has one owner.  Two tables that both
 * register a command (or one table that lists it twice) are refused when
 * the engine is sealed, with the command's name; nothing is first-wins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "at_engine.h"
#include "v250.h"

static int handler(struct modem *m, struct at_req *r)
{
    (void)m;
    (void)r;
    return AT_OK;
}

static void sink(void *ud, const uint8_t *p, size_t n)
{
    (void)ud;
    (void)p;
    (void)n;
}

static const struct at_cmd general_rows[] = {
    {"+CSQ", AT_FORM_EXEC, 0, handler, NULL},
    {"+CMGF", AT_FORM_WRITE, 0, handler, NULL},
};
static const struct at_cmd sms_rows[] = {
    {"+CMGS", AT_FORM_WRITE, 0, handler, NULL},
    {"+CMGF", AT_FORM_WRITE, 0, handler, NULL},
};
static const struct at_cmd twice_rows[] = {
    {"+CNETLIGHT", AT_FORM_WRITE, 0, handler, NULL},
    {"+CNETLIGHT", AT_FORM_READ, 0, handler, NULL},
};
static const struct at_cmd_table general = {general_rows, 2, .errors_are_cme = false};
static const struct at_cmd_table sms = {sms_rows, 2, .errors_are_cme = false};
static const struct at_cmd_table twice = {twice_rows, 2, .errors_are_cme = false};

static int seal_of(const struct at_cmd_table *a, const struct at_cmd_table *b, char *err,
                   size_t errlen)
{
    struct v250_settings v;
    v250_factory(&v);
    struct at_engine e;
    at_engine_init(&e, NULL, EV_DEFAULT, &v, sink, NULL);
    int rc = at_engine_add_table(&e, a, err, errlen);
    if (rc == 0 && b)
        rc = at_engine_add_table(&e, b, err, errlen);
    if (rc == 0)
        rc = at_engine_seal(&e, err, errlen);
    if (rc == 0)
        rc = at_engine_knows(&e, "+CSQ") || at_engine_knows(&e, "+CNETLIGHT") ? 0 : -2;
    at_engine_free(&e);
    return rc;
}

static void two_owners_are_refused(void **state)
{
    (void)state;
    char err[128] = "";
    assert_int_equal(seal_of(&general, &sms, err, sizeof(err)), -1);
    assert_string_equal(err, "AT+CMGF is registered twice");
}

static void one_table_naming_a_command_twice_is_refused(void **state)
{
    (void)state;
    char err[128] = "";
    assert_int_equal(seal_of(&twice, NULL, err, sizeof(err)), -1);
    assert_string_equal(err, "AT+CNETLIGHT is registered twice");
}

static void distinct_tables_seal(void **state)
{
    (void)state;
    char err[128] = "";
    assert_int_equal(seal_of(&general, NULL, err, sizeof(err)), 0);
    assert_string_equal(err, "");
}

static void too_many_tables_are_refused(void **state)
{
    (void)state;
    struct v250_settings v;
    v250_factory(&v);
    struct at_engine e;
    at_engine_init(&e, NULL, EV_DEFAULT, &v, sink, NULL);
    char err[128] = "";
    static struct at_cmd_table empty[AT_TABLES_MAX + 1];
    for (int i = 0; i < AT_TABLES_MAX; i++)
        assert_int_equal(at_engine_add_table(&e, &empty[i], err, sizeof(err)), 0);
    assert_int_equal(at_engine_add_table(&e, &empty[AT_TABLES_MAX], err, sizeof(err)), -1);
    assert_non_null(strstr(err, "command tables"));
    at_engine_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_owners_are_refused),
        cmocka_unit_test(one_table_naming_a_command_twice_is_refused),
        cmocka_unit_test(distinct_tables_seal),
        cmocka_unit_test(too_many_tables_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
