/* Each service's table from connection facts to the module's codes: every
 * fact has a row (the NET_ERR_TABLE macro makes that a compile error
 * otherwise), and each row says what the module's documents say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http_codes.h"
#include "pop3_codes.h"
#include "smtp_codes.h"
#include "tcpip_codes.h"

static void http_connection_failures(void **state)
{
    (void)state;
    assert_int_equal(http_code_for(HTTP_FAIL_NET, NET_EDNS), 603);
    assert_int_equal(http_code_for(HTTP_FAIL_NET, NET_EREFUSED), 601);
    assert_int_equal(http_code_for(HTTP_FAIL_NET, NET_ETIMEOUT), 601);
    assert_int_equal(http_code_for(HTTP_FAIL_NET, NET_ERESET), 601);
    assert_int_equal(http_code_for(HTTP_FAIL_NET, NET_ECLOSED), 601);
    assert_int_equal(http_code_for(HTTP_FAIL_NET, NET_ETLS_HANDSHAKE), 605);
    assert_int_equal(http_code_for(HTTP_FAIL_NET, NET_ETLS_ALERT), 606);
    assert_int_equal(http_code_for(HTTP_FAIL_NET, NET_EIO), 601);
    assert_int_equal(http_code_for(HTTP_FAIL_NET, NET_EPROTO), 600);
}

static void http_other_failures(void **state)
{
    (void)state;
    assert_int_equal(http_code_for(HTTP_FAIL_NOT_HTTP, NET_OK), 600);
    assert_int_equal(http_code_for(HTTP_FAIL_TOO_BIG, NET_OK), 602);
    assert_int_equal(http_code_for(HTTP_FAIL_TIMEOUT, NET_OK), 601);
    assert_int_equal(http_code_for(HTTP_FAIL_NO_HOST, NET_OK), 603);
    assert_int_equal(http_code_for(HTTP_FAIL_SCHEME, NET_OK), 603);
    assert_int_equal(http_code_for(HTTP_FAIL_NO_BEARER, NET_OK), 601);
}

/* Whatever the fact, the code is one the manual lists for a failed action. */
static void http_every_code_is_a_module_code(void **state)
{
    (void)state;
    for (int f = HTTP_FAIL_NET; f < HTTP_FACT_COUNT; f++)
        for (int e = 0; e < NET_ERR_COUNT; e++) {
            int code = http_code_for((enum http_fact)f, (enum net_err)e);
            assert_in_range(code, 600, 606);
        }
    /* Out-of-range input still gives a module code, never garbage. */
    assert_int_equal(http_code_for(HTTP_FAIL_NET, (enum net_err)NET_ERR_COUNT), 601);
}

static void tcpip_open_failures(void **state)
{
    (void)state;
    for (int e = 0; e < NET_ERR_COUNT; e++) {
        enum tcpip_open_failure f = tcpip_open_failure_for((enum net_err)e);
        if (e == NET_ETLS_HANDSHAKE || e == NET_ETLS_ALERT)
            assert_int_equal(f, TCPIP_CLOSE_OK);
        else
            assert_int_equal(f, TCPIP_CONNECT_FAIL);
    }
}

static void tcpip_ping(void **state)
{
    (void)state;
    assert_true(tcpip_ping_answered(NET_OK));
    assert_true(tcpip_ping_answered(NET_EREFUSED));
    assert_false(tcpip_ping_answered(NET_ETIMEOUT));
    assert_false(tcpip_ping_answered(NET_EDNS));
    assert_false(tcpip_ping_answered((enum net_err)NET_ERR_COUNT));
}

/* +SMTPSEND (manual §14.2.10, SSL note §2.1). */
static void smtp_connection_failures(void **state)
{
    (void)state;
    assert_int_equal(smtp_code_for(SMTP_FAIL_NET, NET_EDNS), 62);
    assert_int_equal(smtp_code_for(SMTP_FAIL_NET, NET_EREFUSED), 63);
    assert_int_equal(smtp_code_for(SMTP_FAIL_NET, NET_ETIMEOUT), 64);
    assert_int_equal(smtp_code_for(SMTP_FAIL_NET, NET_ERESET), 61);
    assert_int_equal(smtp_code_for(SMTP_FAIL_NET, NET_ECLOSED), 61);
    assert_int_equal(smtp_code_for(SMTP_FAIL_NET, NET_ETLS_HANDSHAKE), 71);
    assert_int_equal(smtp_code_for(SMTP_FAIL_NET, NET_ETLS_ALERT), 72);
    assert_int_equal(smtp_code_for(SMTP_FAIL_NET, NET_EIO), 61);
    assert_int_equal(smtp_code_for(SMTP_FAIL_NET, NET_EPROTO), 65);
    /* Before the greeting a dropped connection is a failed connect. */
    assert_int_equal(smtp_code_for(SMTP_FAIL_CONNECT, NET_ECLOSED), 63);
    assert_int_equal(smtp_code_for(SMTP_FAIL_CONNECT, NET_ERESET), 63);
    assert_int_equal(smtp_code_for(SMTP_FAIL_CONNECT, NET_ETIMEOUT), 64);
    assert_int_equal(smtp_code_for(SMTP_FAIL_CONNECT, NET_ETLS_ALERT), 72);
}

static void smtp_server_verdicts(void **state)
{
    (void)state;
    assert_int_equal(smtp_code_for(SMTP_DONE, NET_OK), 1);
    assert_int_equal(smtp_code_for(SMTP_FAIL_NO_BEARER, NET_OK), 61);
    assert_int_equal(smtp_code_for(SMTP_FAIL_REJECTED, NET_OK), 65);
    assert_int_equal(smtp_code_for(SMTP_FAIL_AUTH_NEEDED, NET_OK), 66);
    assert_int_equal(smtp_code_for(SMTP_FAIL_AUTH, NET_OK), 67);
    assert_int_equal(smtp_code_for(SMTP_FAIL_RCPT, NET_OK), 68);
    assert_int_equal(smtp_code_for(SMTP_FAIL_NO_STARTTLS, NET_OK), 71);
    for (int f = 0; f < SMTP_FACT_COUNT; f++)
        for (int e = 0; e < NET_ERR_COUNT; e++) {
            int code = smtp_code_for((enum smtp_fact)f, (enum net_err)e);
            assert_true(code == 1 || (code >= 61 && code <= 68) || code == 71 || code == 72);
        }
    assert_int_equal(smtp_code_for(SMTP_FAIL_NET, (enum net_err)NET_ERR_COUNT), 61);
}

/* +POP3IN / +POP3OUT (manual §14.2.14-14.2.22, SSL note §2.1). */
static void pop3_codes(void **state)
{
    (void)state;
    assert_int_equal(pop3_code_for(POP3_DONE, NET_OK), 1);
    assert_int_equal(pop3_code_for(POP3_FAIL_NET, NET_EDNS), 62);
    assert_int_equal(pop3_code_for(POP3_FAIL_NET, NET_EREFUSED), 63);
    assert_int_equal(pop3_code_for(POP3_FAIL_NET, NET_ETIMEOUT), 64);
    assert_int_equal(pop3_code_for(POP3_FAIL_NET, NET_ECLOSED), 61);
    assert_int_equal(pop3_code_for(POP3_FAIL_NET, NET_ETLS_HANDSHAKE), 71);
    assert_int_equal(pop3_code_for(POP3_FAIL_NET, NET_ETLS_ALERT), 72);
    assert_int_equal(pop3_code_for(POP3_FAIL_NET, NET_EPROTO), 65);
    assert_int_equal(pop3_code_for(POP3_FAIL_CONNECT, NET_ECLOSED), 63);
    assert_int_equal(pop3_code_for(POP3_FAIL_GREETING, NET_OK), 66);
    assert_int_equal(pop3_code_for(POP3_FAIL_USER, NET_OK), 67);
    assert_int_equal(pop3_code_for(POP3_FAIL_PASS, NET_OK), 68);
    assert_int_equal(pop3_code_for(POP3_FAIL_NO_STLS, NET_OK), 71);
    assert_int_equal(pop3_code_for(POP3_FAIL_NO_BEARER, NET_OK), 61);
    /* +POP3OUT lists only 1, 61-64 and 69. */
    for (int f = 0; f < POP3_FACT_COUNT; f++)
        for (int e = 0; e < NET_ERR_COUNT; e++) {
            int code = pop3_out_code_for((enum pop3_fact)f, (enum net_err)e);
            assert_true(code == 1 || (code >= 61 && code <= 64) || code == 69);
        }
    assert_int_equal(pop3_out_code_for(POP3_FAIL_NET, NET_ETLS_ALERT), 61);
    assert_int_equal(pop3_out_code_for(POP3_FAIL_NET, NET_ETIMEOUT), 64);
    assert_int_equal(pop3_out_code_for(POP3_FAIL_UNREAD, NET_OK), 69);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http_connection_failures),
        cmocka_unit_test(http_other_failures),
        cmocka_unit_test(http_every_code_is_a_module_code),
        cmocka_unit_test(tcpip_open_failures),
        cmocka_unit_test(tcpip_ping),
        cmocka_unit_test(smtp_connection_failures),
        cmocka_unit_test(smtp_server_verdicts),
        cmocka_unit_test(pop3_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
