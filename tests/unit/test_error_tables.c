/* Each service's table from connection facts to the module's codes: every
 * fact has a row (the NET_ERR_TABLE macro makes that a compile error
 * otherwise), and each row says what the module's documents say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ftp_codes.h"
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

static int ftp_net(enum ftp_op op, bool passive, enum ftp_step step, enum net_err err)
{
    struct ftp_result r = {.fact = FTP_FAIL_NET, .step = step, .err = err};
    return ftp_code_for(op, passive, &r);
}

static int ftp_refused(enum ftp_op op, bool passive, enum ftp_step step, int reply)
{
    struct ftp_result r = {.fact = FTP_FAIL_REFUSED, .step = step, .reply_code = reply};
    return ftp_code_for(op, passive, &r);
}

/* The control connection (SIM800 AT Command Manual V1.09 §12.2.14; SIM800 SSL Application Note
 * V1.00 §2.3 and examples 3.6–3.7): DNS 62, connect 63, silence 64, a TLS setup that fails 80
 * (alert or not), an alert later 81. */
static void ftp_control_failures(void **state)
{
    (void)state;
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_CONNECT, NET_EDNS), 62);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_CONNECT, NET_EREFUSED), 63);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_CONNECT, NET_ETIMEOUT), 64);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_CONNECT, NET_ECLOSED), 65);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_CONNECT, NET_ETLS_HANDSHAKE), 80);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_CONNECT, NET_ETLS_ALERT), 80);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_AUTH_TLS, NET_ETLS_ALERT), 80);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_CONNECT, NET_EPROTO), 70);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_USER, NET_ETIMEOUT), 64);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_USER, NET_ETLS_ALERT), 81);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_PASS, NET_ERESET), 61);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_TYPE, NET_ECLOSED), 65);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_TYPE, NET_EPROTO), 70);
    assert_int_equal(ftp_net(FTP_OP_GET, false, FTP_STEP_PORT, NET_ETIMEOUT), 76);
}

/* The data connection: opening it 75 passive / 76 active, its handshake 80;
 * losing it 79 downloading, 78 uploading; an alert later 81. */
static void ftp_data_failures(void **state)
{
    (void)state;
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_DATA_OPEN, NET_EREFUSED), 75);
    assert_int_equal(ftp_net(FTP_OP_GET, false, FTP_STEP_DATA_OPEN, NET_EREFUSED), 76);
    assert_int_equal(ftp_net(FTP_OP_PUT, true, FTP_STEP_DATA_OPEN, NET_ETLS_ALERT), 80);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_DATA_OPEN, NET_ETIMEOUT), 64);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_DATA_OPEN, NET_ERESET), 79);
    assert_int_equal(ftp_net(FTP_OP_GET, true, FTP_STEP_DATA, NET_ERESET), 79);
    assert_int_equal(ftp_net(FTP_OP_LIST, true, FTP_STEP_DATA, NET_EIO), 79);
    assert_int_equal(ftp_net(FTP_OP_PUT, true, FTP_STEP_DATA, NET_ERESET), 78);
    assert_int_equal(ftp_net(FTP_OP_PUT, true, FTP_STEP_DATA, NET_ETLS_ALERT), 81);
}

/* A 4xx/5xx to each step (manual §12.2.14, SSL note 2.3). */
static void ftp_refusals(void **state)
{
    (void)state;
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_CONNECT, 500), 65);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_USER, 421), 65);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_AUTH, 534), 82);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_USER, 530), 71);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_PASS, 530), 72);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_PBSZ, 501), 83);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_PROT, 536), 84);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_TYPE, 504), 73);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_CWD, 550), 77);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_PASV, 550), 75);
    assert_int_equal(ftp_refused(FTP_OP_GET, false, FTP_STEP_PORT, 550), 76);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_REST, 502), 74);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_COMMAND, 550), 77);
    assert_int_equal(ftp_refused(FTP_OP_SIZE, true, FTP_STEP_COMMAND, 550), 77);
    assert_int_equal(ftp_refused(FTP_OP_GET, true, FTP_STEP_FINAL, 426), 79);
    assert_int_equal(ftp_refused(FTP_OP_PUT, true, FTP_STEP_FINAL, 426), 78);
    struct ftp_result bad = {.fact = FTP_FAIL_REPLY, .step = FTP_STEP_PASV};
    assert_int_equal(ftp_code_for(FTP_OP_GET, true, &bad), 70);
    struct ftp_result ok = {.fact = FTP_DONE};
    assert_int_equal(ftp_code_for(FTP_OP_GET, true, &ok), 0);
}

/* Every failure is one of the module's codes, even for input out of range. */
static void ftp_every_code_is_a_module_code(void **state)
{
    (void)state;
    for (int op = FTP_OP_GET; op <= FTP_OP_RMD; op++)
        for (int step = 0; step <= FTP_STEP_COUNT; step++)
            for (int e = 0; e <= NET_ERR_COUNT; e++)
                for (int f = FTP_FAIL_NET; f <= FTP_FAIL_REPLY; f++) {
                    struct ftp_result r = {.fact = (enum ftp_fact)f,
                                           .step = (enum ftp_step)step,
                                           .err = (enum net_err)e,
                                           .reply_code = 550};
                    int code = ftp_code_for((enum ftp_op)op, step & 1, &r);
                    assert_true((code >= 61 && code <= 66) || (code >= 70 && code <= 86));
                }
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
        cmocka_unit_test(ftp_control_failures),
        cmocka_unit_test(ftp_data_failures),
        cmocka_unit_test(ftp_refusals),
        cmocka_unit_test(ftp_every_code_is_a_module_code),
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
