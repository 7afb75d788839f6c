/* The fault rule language (emulator/fault/): every action parses to what it
 * says, bad rules are refused with a reason, and the set's counting (count,
 * skip, a seeded probability) is exact and repeatable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fault.h"

static struct fault_rule parse_ok(const char *spec)
{
    struct fault_rule r;
    char err[256] = "";
    int rc = fault_parse(spec, strlen(spec), &r, err, sizeof(err));
    if (rc != 0)
        fail_msg("'%s' refused: %s", spec, err);
    return r;
}

static void expect_error(const char *spec, const char *why)
{
    struct fault_rule r;
    char err[256] = "";
    assert_int_equal(fault_parse(spec, strlen(spec), &r, err, sizeof(err)), -1);
    if (!strstr(err, why))
        fail_msg("'%s': '%s' does not say '%s'", spec, err, why);
}

static void test_network_actions(void **state)
{
    (void)state;
    struct fault_rule r = parse_ok("modem=0 service=http tls-alert=handshake_failure count=1");
    assert_int_equal(r.action, FA_TLS);
    assert_int_equal(r.alert, 40);
    assert_int_equal(r.modem, 0);
    assert_string_equal(r.service, "http");
    assert_int_equal(r.count, 1);
    r = parse_ok("tls-alert=none");
    assert_int_equal(r.alert, -1);
    r = parse_ok("tls-alert=112");
    assert_int_equal(r.alert, 112);
    r = parse_ok("  host=WWW.Gmail.com   port=443 dns  ");
    assert_int_equal(r.action, FA_DNS);
    assert_string_equal(r.host, "www.gmail.com");
    assert_int_equal(r.port, 443);
    assert_string_equal(r.spec, "host=WWW.Gmail.com   port=443 dns");
    r = parse_ok("timeout=2.5");
    assert_int_equal(r.action, FA_TIMEOUT);
    assert_true(r.seconds == 2.5);
    r = parse_ok("alert-after=100");
    assert_int_equal(r.action, FA_ALERT_AFTER);
    assert_int_equal(r.alert, 20);
    assert_int_equal(r.bytes, 100);
    assert_int_equal(r.dir, FAULT_RX);
    r = parse_ok("reset-after=10 dir=tx");
    assert_int_equal(r.action, FA_RESET_AFTER);
    assert_int_equal(r.dir, FAULT_TX);
    r = parse_ok("stall=1.5 after=4");
    assert_int_equal(r.action, FA_STALL);
    assert_int_equal(r.bytes, 4);
    r = parse_ok("rate=6000 latency=600");
    assert_int_equal(r.action, FA_SHAPE);
    assert_int_equal(r.rate, 6000);
    assert_int_equal(r.latency_ms, 600);
    assert_int_equal(r.dir, FAULT_RX | FAULT_TX);
    assert_true(fault_is_network(FA_SHAPE) && !fault_is_network(FA_URC));
}

static void test_module_actions(void **state)
{
    (void)state;
    struct fault_rule r = parse_ok("cmd=at+httpaction urc=\"+HTTPACTION: 0,606,0\"");
    assert_int_equal(r.action, FA_URC);
    assert_string_equal(r.cmd, "+HTTPACTION");
    assert_string_equal(r.text, "+HTTPACTION: 0,606,0");
    assert_string_equal(r.result, "");
    r = parse_ok("result=ERROR urc=\"x y\" cmd=+CIPSTART");
    assert_int_equal(r.action, FA_URC);
    assert_string_equal(r.result, "ERROR");
    r = parse_ok("cmd=+CSQ result=\"say \\\"hi\\\" \\\\\"");
    assert_int_equal(r.action, FA_RESULT);
    assert_string_equal(r.result, "say \"hi\" \\");
    r = parse_ok("csq=99,99");
    assert_int_equal(r.rssi, 99);
    assert_int_equal(r.ber, 99);
    r = parse_ok("delay=0.5 unregister=2");
    assert_int_equal(r.action, FA_UNREGISTER);
    assert_true(r.delay == 0.5 && r.seconds == 2);
    r = parse_ok("cmd=+CIPSTATUS pdp-deact");
    assert_true(fault_is_event(r.action));
    r = parse_ok("closed=1");
    assert_int_equal(r.link, 1);
    r = parse_ok("noise=16 seed=5");
    assert_int_equal(r.n, 16);
    assert_int_equal(r.seed, 5);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", "no action");
    expect_error("modem=0", "no action");
    expect_error("dns refuse", "one action");
    expect_error("bogus", "unknown key 'bogus'");
    expect_error("dns=1", "'dns' takes no value");
    expect_error("port", "needs a value");
    expect_error("port=0 dns", "1 to 65535");
    expect_error("modem=-1 dns", "a modem index or any");
    expect_error("tls-alert=nope", "an alert name");
    expect_error("result=ERROR", "needs cmd=");
    expect_error("cmd=+CSQ dns", "cmd= goes with");
    expect_error("host=x reboot", "go with network faults");
    expect_error("cmd=+CSQ result=\"open", "unterminated quote");
    expect_error("cmd=+CSQ result=\"a\"b", "a space must follow");
    expect_error("cmd=+CSQ result=a\"b", "a quote inside a word");
    expect_error("cmd=+CSQ result=\"\\n\"", "only \\\" and \\\\");
    expect_error("prob=1.5 dns", "0 to 1");
    expect_error("csq=32,0", "RSSI 0-31 or 99");
    expect_error("alert=bad_record_mac dns", "alert= goes with");
    expect_error("dir=tx dns", "dir= goes with");
    expect_error("after=3 dns", "after= goes with stall");
    expect_error("delay=1 dns", "delay= goes with module events");
    expect_error("cmd=+X delay=1 reboot", "not both");
    expect_error("count=0 dns", "a number from 1");
    expect_error("cmd=1abc result=OK", "a command name");
    char big[600];
    memset(big, 'a', sizeof(big));
    struct fault_rule r;
    char err[128];
    assert_int_equal(fault_parse(big, sizeof(big), &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than 511"));
    assert_int_equal(fault_parse("dns\x01", 4, &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "control byte 0x01 at 3"));
    assert_int_equal(fault_parse("dns\xc3\xa9", 5, &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "rules are ASCII"));
}

static void test_counts_and_matching(void **state)
{
    (void)state;
    static struct fault_set s;
    fault_set_init(&s);
    struct fault_rule r = parse_ok("modem=1 service=ftp skip=1 count=2 refuse");
    assert_int_equal(fault_set_add(&s, &r), 0);
    struct fault_subject ftp = {.modem = 1, .service = "ftp-data", .host = "h", .port = 21};
    struct fault_subject other = {.modem = 0, .service = "ftp", .host = "h", .port = 21};
    struct fault_subject ftpx = {.modem = 1, .service = "ftpx", .host = "h", .port = 21};
    assert_null(fault_match_conn(&s, &other, false));
    assert_null(fault_match_conn(&s, &ftpx, false));
    assert_null(fault_match_conn(&s, &ftp, false)); /* skipped */
    assert_non_null(fault_match_conn(&s, &ftp, false));
    assert_non_null(fault_match_conn(&s, &ftp, false));
    assert_null(fault_match_conn(&s, &ftp, false)); /* spent */
    assert_int_equal(s.rules[0].fired, 2);
    /* TLS faults need TLS. */
    r = parse_ok("tls-alert=handshake_failure count=always");
    assert_int_equal(fault_set_add(&s, &r), 0);
    struct fault_subject plain = {.modem = 0, .service = "http", .host = "h", .port = 80};
    assert_null(fault_match_conn(&s, &plain, false));
    plain.tls = true;
    assert_non_null(fault_match_conn(&s, &plain, false));
    assert_int_equal(fault_set_clear(&s, 2), 1);
    assert_int_equal(fault_set_clear(&s, 0), 1);
    assert_int_equal(s.n, 0);
    for (int i = 0; i < FAULT_RULES_MAX; i++)
        assert_int_equal(fault_set_add(&s, &r), 0);
    assert_int_equal(fault_set_add(&s, &r), -1);
}

/* An in-place upgrade (STARTTLS) asks for the TLS faults only, and a
 * conn opening plain does not match them (issue: STARTTLS never failed). */
static void test_upgrade_asks_tls_faults_only(void **state)
{
    (void)state;
    static struct fault_set s;
    fault_set_init(&s);
    struct fault_rule r = parse_ok("service=smtp reset-after=5 count=always");
    fault_set_add(&s, &r);
    r = parse_ok("service=smtp tls-alert=none");
    fault_set_add(&s, &r);
    struct fault_subject open = {.modem = 0, .service = "smtp", .host = "h", .port = 25};
    struct fault_subject upgrade = open;
    upgrade.tls = upgrade.upgrade = true;
    const struct fault_rule *got = fault_match_conn(&s, &open, false);
    assert_non_null(got);
    assert_int_equal(got->action, FA_RESET_AFTER);
    got = fault_match_conn(&s, &upgrade, false);
    assert_non_null(got);
    assert_int_equal(got->action, FA_TLS);
    assert_int_equal(s.rules[0].matched, 1); /* the upgrade passed the reset rule by */
    assert_null(fault_match_conn(&s, &upgrade, false));
}

static void test_reply_rules(void **state)
{
    (void)state;
    struct fault_rule r = parse_ok("service=ftp reply-to=pbsz reply=\"501 no\"");
    assert_int_equal(r.action, FA_REPLY);
    assert_string_equal(r.verb, "PBSZ");
    assert_string_equal(r.text, "501 no");
    r = parse_ok("reply-to=. reply=\"554 rejected\" host=smtp.gmail.com port=25 tag=smtp");
    assert_string_equal(r.verb, ".");
    expect_error("reply-to=PBSZ", "reply-to= goes with reply=TEXT");
    expect_error("reply=\"501 no\"", "reply= needs reply-to=VERB");
    expect_error("reply-to=PBSZ dns", "reply-to= goes with reply=TEXT");
    expect_error("reply-to=PB5Z reply=x", "a protocol verb");
    expect_error("reply-to=.. reply=x", "a protocol verb");
    expect_error("reply-to=PBSZ reply=x cmd=+FTPGET", "cmd= goes with");
    expect_error("reply-to=PBSZ reply=x result=OK", "one action");
    static struct fault_set s;
    fault_set_init(&s);
    r = parse_ok("service=ftp reply-to=PBSZ reply=\"501 no\" skip=1");
    fault_set_add(&s, &r);
    struct fault_subject pbsz = {
        .modem = 0, .service = "ftp", .host = "h", .port = 21, .verb = "PBSZ"};
    struct fault_subject prot = pbsz, pop = pbsz, conn = pbsz;
    prot.verb = "PROT";
    pop.service = "pop3";
    conn.verb = NULL;
    assert_null(fault_match_reply(&s, &prot));
    assert_null(fault_match_reply(&s, &pop));
    assert_null(fault_match_conn(&s, &conn, false)); /* not a network fault */
    assert_null(fault_match_reply(&s, &pbsz));       /* skipped */
    assert_non_null(fault_match_reply(&s, &pbsz));
    assert_null(fault_match_reply(&s, &pbsz)); /* spent */
}

static void test_seeded_probability_repeats(void **state)
{
    (void)state;
    char runs[2][201];
    for (int run = 0; run < 2; run++) {
        static struct fault_set s;
        fault_set_init(&s);
        struct fault_rule r = parse_ok("cmd=+CSQ prob=0.3 seed=99 count=always result=ERROR");
        fault_set_add(&s, &r);
        struct fault_subject c = {.modem = 0, .cmd = "+CSQ"};
        for (int i = 0; i < 200; i++)
            runs[run][i] = fault_match_cmd(&s, &c) ? 'E' : '.';
        runs[run][200] = '\0';
    }
    assert_string_equal(runs[0], runs[1]);
    int hits = 0;
    for (int i = 0; i < 200; i++)
        hits += runs[0][i] == 'E';
    assert_true(hits > 40 && hits < 80); /* about 30 % */
}

/* The table of actions: each has a name, a class and its words in the
 * grammar --help prints; the class decides network and module rules. */
static void every_action_has_its_row(void **state)
{
    (void)state;
    for (int a = FA_NONE + 1; a < FA_COUNT; a++) {
        assert_string_not_equal(fault_action_name((enum fault_action)a), "none");
        assert_int_not_equal(fault_action_class((enum fault_action)a), FAULT_CLASS_NONE);
        for (int b = a + 1; b < FA_COUNT; b++)
            assert_string_not_equal(fault_action_name((enum fault_action)a),
                                    fault_action_name((enum fault_action)b));
    }
    assert_int_equal(fault_action_class(FA_STALL), FAULT_CLASS_NETWORK);
    assert_int_equal(fault_action_class(FA_REPLY), FAULT_CLASS_PROTOCOL);
    assert_int_equal(fault_action_class(FA_URC), FAULT_CLASS_COMMAND);
    assert_int_equal(fault_action_class(FA_DROP), FAULT_CLASS_MODULE);
    const char *g = fault_grammar();
    assert_non_null(strstr(g, "and one action: dns | refuse | timeout[=S] | tls-alert="));
    assert_non_null(strstr(g, "| noise=N | drop=N [delay=S]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_action_has_its_row),
        cmocka_unit_test(test_network_actions),
        cmocka_unit_test(test_module_actions),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_counts_and_matching),
        cmocka_unit_test(test_seeded_probability_repeats),
        cmocka_unit_test(test_upgrade_asks_tls_faults_only),
        cmocka_unit_test(test_reply_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
