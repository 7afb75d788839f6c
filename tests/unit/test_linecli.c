/* linecli against a real loopback server (tests/servers/line_server.py):
 * multi-line replies (SMTP and FTP rules), one byte at a time, two replies
 * in one read, an endless line and an endless reply (bounded), a timeout,
 * STARTTLS mid-dialogue and the injection it refuses, POP3 status lines and
 * dot-stuffed bodies, QUIT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linecli.h"
#include "netrig.h"
#include "reply_parser.h"

struct rec {
    int events;
    int replies, failed, upgraded;
    int code;
    bool ok;
    char text[1 << 17];
    size_t text_len;
    uint8_t body[4096];
    size_t body_len;
    enum net_err err;
    bool start_tls_in_handler; /* try linecli_start_tls() from the reply handler */
    int start_tls_rc;
    bool free_in_handler;
    int chunks, ends; /* LINECLI_STREAM body calls, and those with end */
    uint8_t stream[4096];
    size_t stream_len;
};

static void h_reply(struct linecli *lc, void *ud, const struct linecli_reply *r)
{
    struct rec *x = ud;
    x->replies++;
    x->events++;
    x->code = r->code;
    x->ok = r->ok;
    assert_true(r->text_len < sizeof(x->text));
    memcpy(x->text, r->text, r->text_len + 1); /* the NUL too */
    x->text_len = r->text_len;
    assert_true(r->body_len <= sizeof(x->body));
    memcpy(x->body, r->body, r->body_len);
    x->body_len = r->body_len;
    if (x->start_tls_in_handler) {
        struct tls_choice ch;
        memset(&ch, 0, sizeof(ch));
        ch.policy.min_version = ch.policy.max_version = TLS1_3_VERSION;
        x->start_tls_rc = linecli_start_tls(lc, &ch, NULL);
    }
    if (x->free_in_handler)
        linecli_free(lc);
}

static void h_failed(struct linecli *lc, void *ud, enum net_err err)
{
    (void)lc;
    struct rec *x = ud;
    x->failed++;
    x->events++;
    x->err = err;
}

static void h_upgraded(struct linecli *lc, void *ud)
{
    (void)lc;
    struct rec *x = ud;
    x->upgraded++;
    x->events++;
}

static void h_body(struct linecli *lc, void *ud, const uint8_t *p, size_t n, bool end)
{
    (void)lc;
    struct rec *x = ud;
    x->chunks++;
    x->events++;
    x->ends += end;
    assert_true(x->stream_len + n <= sizeof(x->stream));
    memcpy(x->stream + x->stream_len, p, n);
    x->stream_len += n;
}

static const struct linecli_handlers H = {h_reply, h_failed, h_upgraded, h_body};

static struct rig srv_numeric, srv_pop3;

static int setup(void **state)
{
    (void)state;
    rig_net_init();
    const char *numeric[] = {"--cert", rig_pki_file("tls.example.test.crt"), "--key",
                             rig_pki_file("tls.example.test.key"), NULL};
    const char *pop3[] = {"--pop3", NULL};
    if (rig_start(&srv_numeric, "line_server.py", numeric) < 0 ||
        rig_start(&srv_pop3, "line_server.py", pop3) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rig_stop(&srv_numeric);
    rig_stop(&srv_pop3);
    return 0;
}

static struct linecli *open_lc(struct rig *srv, enum linecli_style style, struct rec *x,
                               struct linecli_params *extra)
{
    memset(x, 0, sizeof(*x));
    struct linecli_params p;
    if (extra)
        p = *extra;
    else
        memset(&p, 0, sizeof(p));
    p.conn.kind = CONN_TCP;
    p.conn.host = "127.0.0.1";
    p.conn.port = srv->port;
    p.conn.timeout_s = 5;
    p.conn.tag = style == LINECLI_POP3 ? "pop3" : "smtp";
    p.style = style;
    if (!p.reply_timeout_s)
        p.reply_timeout_s = 5;
    return linecli_open(&p, &H, x);
}

/* Runs the loop until the next reply, failure or upgrade. */
static void next_event(struct rec *x) { assert_true(rig_run_until(&x->events, x->events, 10)); }

static void expect_reply(struct rec *x, int code, const char *text)
{
    int replies = x->replies;
    next_event(x);
    assert_int_equal(x->failed, 0);
    assert_int_equal(x->replies, replies + 1);
    assert_int_equal(x->code, code);
    assert_string_equal(x->text, text);
    assert_int_equal(x->text_len, strlen(text));
}

static void numeric_replies(void **state)
{
    (void)state;
    struct rec x;
    struct linecli *lc = open_lc(&srv_numeric, LINECLI_NUMERIC, &x, NULL);
    assert_true(linecli_busy(lc));
    assert_int_equal(linecli_send(lc, 0, "NOOP"), -1); /* the greeting first */
    expect_reply(&x, 220, "220 line_server ready");
    assert_true(x.ok);
    assert_string_equal(conn_tag(linecli_conn(lc)), "smtp");

    assert_int_equal(linecli_send(lc, 0, "MULTI"), 0);
    assert_int_equal(linecli_send(lc, 0, "MULTI"), -1); /* one at a time */
    expect_reply(&x, 250, "250-first\n250-second\n250 last");

    /* FTP: the lines between may start with anything, even another code. */
    assert_int_equal(linecli_send(lc, 0, "%s", "FTP150"), 0);
    expect_reply(&x, 150,
                 "150-Here it comes\n  indented text\n123 not the end\n150x neither\n150 done");

    assert_int_equal(linecli_send(lc, 0, "BYTES"), 0); /* one byte per read */
    expect_reply(&x, 250, "250-first\n250-second\n250 last");

    /* Two replies in one read: the second waits for linecli_await(). */
    assert_int_equal(linecli_send(lc, 0, "TWO"), 0);
    expect_reply(&x, 250, "250 one");
    rig_run_for(0.05);
    assert_int_equal(x.replies, 5);
    assert_int_equal(linecli_await(lc, 0), 0);
    assert_int_equal(x.replies, 5); /* never inside the call */
    expect_reply(&x, 251, "251 two");

    assert_int_equal(linecli_send(lc, 0, "WHAT %d", 42), 0);
    expect_reply(&x, 500, "500 unknown");
    assert_false(x.ok);

    /* A line break in a command would smuggle a second one. */
    assert_int_equal(linecli_send(lc, 0, "RCPT TO:<a>\r\nDATA"), -1);
    linecli_quit(lc, "QUIT");
    rig_run_for(0.1);
    assert_int_equal(x.failed, 0);
}

static void endless_line_is_bounded(void **state)
{
    (void)state;
    struct rec x;
    struct linecli *lc = open_lc(&srv_numeric, LINECLI_NUMERIC, &x, NULL);
    expect_reply(&x, 220, "220 line_server ready");
    assert_int_equal(linecli_send(lc, 0, "ENDLESSLINE"), 0);
    next_event(&x);
    assert_int_equal(x.failed, 1);
    assert_int_equal(x.err, NET_EPROTO);
    assert_non_null(strstr(linecli_error_detail(lc), "line longer than 8192"));
    assert_null(linecli_conn(lc));
    assert_int_equal(linecli_send(lc, 0, "NOOP"), -1);
    linecli_free(lc);

    struct linecli_params p;
    memset(&p, 0, sizeof(p));
    p.max_reply = 100000;
    lc = open_lc(&srv_numeric, LINECLI_NUMERIC, &x, &p);
    expect_reply(&x, 220, "220 line_server ready");
    assert_int_equal(linecli_send(lc, 0, "ENDLESSREPLY"), 0);
    next_event(&x);
    assert_int_equal(x.failed, 1);
    assert_int_equal(x.replies, 1);
    assert_int_equal(x.err, NET_EPROTO);
    assert_non_null(strstr(linecli_error_detail(lc), "reply longer than 100000"));
    linecli_free(lc);
}

static void reply_timeout(void **state)
{
    (void)state;
    struct rec x;
    struct linecli_params p;
    memset(&p, 0, sizeof(p));
    p.reply_timeout_s = 0.3;
    struct linecli *lc = open_lc(&srv_numeric, LINECLI_NUMERIC, &x, &p);
    expect_reply(&x, 220, "220 line_server ready");
    assert_int_equal(linecli_send(lc, 0, "HANG"), 0);
    next_event(&x);
    assert_int_equal(x.failed, 1);
    assert_int_equal(x.err, NET_ETIMEOUT);
    linecli_free(lc);
}

static void not_the_protocol(void **state)
{
    (void)state;
    /* A POP3 greeting to a numeric client. */
    struct rec x;
    struct linecli *lc = open_lc(&srv_pop3, LINECLI_NUMERIC, &x, NULL);
    next_event(&x);
    assert_int_equal(x.failed, 1);
    assert_int_equal(x.err, NET_EPROTO);
    assert_non_null(strstr(linecli_error_detail(lc), "not a numeric reply"));
    linecli_free(lc);
}

static void starttls_mid_dialogue(void **state)
{
    (void)state;
    struct tls_choice ch;
    memset(&ch, 0, sizeof(ch));
    ch.policy.min_version = TLS1_2_VERSION;
    ch.policy.max_version = TLS1_3_VERSION;
    ch.policy.send_sni = true;
    ch.verify = true;

    struct rec x;
    struct linecli *lc = open_lc(&srv_numeric, LINECLI_NUMERIC, &x, NULL);
    expect_reply(&x, 220, "220 line_server ready");
    assert_int_equal(linecli_send(lc, 0, "TLS?"), 0);
    assert_int_equal(linecli_start_tls(lc, &ch, "tls.example.test"), -1); /* a reply is awaited */
    expect_reply(&x, 250, "250 tls=no");
    assert_int_equal(linecli_send(lc, 0, "STARTTLS"), 0);
    expect_reply(&x, 220, "220 Ready to start TLS");
    assert_int_equal(linecli_start_tls(lc, &ch, "tls.example.test"), 0);
    assert_int_equal(linecli_send(lc, 0, "TLS?"), -1); /* not before the handshake */
    next_event(&x);
    assert_int_equal(x.upgraded, 1);
    assert_true(conn_is_tls(linecli_conn(lc)));
    assert_int_equal(linecli_send(lc, 0, "TLS?"), 0);
    expect_reply(&x, 250, "250 tls=yes");
    linecli_quit(lc, "QUIT");
    rig_run_for(0.1);

    /* The go-ahead with a reply after it in the same read: refused. */
    lc = open_lc(&srv_numeric, LINECLI_NUMERIC, &x, NULL);
    expect_reply(&x, 220, "220 line_server ready");
    x.start_tls_in_handler = true;
    x.start_tls_rc = 1;
    assert_int_equal(linecli_send(lc, 0, "INJECT"), 0);
    expect_reply(&x, 220, "220 go ahead");
    assert_int_equal(x.start_tls_rc, -1);
    x.start_tls_in_handler = false;
    assert_int_equal(linecli_await(lc, 0), 0);
    expect_reply(&x, 250, "250 injected");
    linecli_free(lc);
}

static const uint8_t pop3_body[] = "line one\r\n"
                                   ".dot line\r\n"
                                   "..two dots\r\n"
                                   ".\r\n"
                                   "\r\n"
                                   "nul\0 and \xff bytes, a bare \n LF and a bare \r CR\r\n"
                                   "last\r\n";

static void pop3_status_and_body(void **state)
{
    (void)state;
    struct rec x;
    struct linecli *lc = open_lc(&srv_pop3, LINECLI_POP3, &x, NULL);
    expect_reply(&x, 0, "+OK line_server ready");
    assert_true(x.ok);
    assert_int_equal(linecli_send(lc, LINECLI_BODY, "RETR 1"), 0);
    expect_reply(&x, 0, "+OK 1 message follows");
    assert_true(x.ok);
    assert_int_equal(x.body_len, sizeof(pop3_body) - 1);
    assert_memory_equal(x.body, pop3_body, sizeof(pop3_body) - 1);
    /* -ERR: no body follows, even when one was asked for. */
    assert_int_equal(linecli_send(lc, LINECLI_BODY, "RETR 9"), 0);
    expect_reply(&x, 0, "-ERR no such message");
    assert_false(x.ok);
    assert_int_equal(x.body_len, 0);
    assert_int_equal(linecli_send(lc, 0, "NOOP"), 0);
    expect_reply(&x, 0, "-ERR unknown");
    /* LINECLI_STREAM: the +OK at once, then the body through handlers.body,
     * the same bytes, and one call marked end; a -ERR comes as a reply. */
    assert_int_equal(linecli_send(lc, LINECLI_BODY | LINECLI_STREAM, "RETR 1"), 0);
    expect_reply(&x, 0, "+OK 1 message follows");
    assert_int_equal(x.body_len, 0);
    while (x.ends == 0)
        next_event(&x);
    assert_int_equal(x.ends, 1);
    assert_int_equal(x.stream_len, sizeof(pop3_body) - 1);
    assert_memory_equal(x.stream, pop3_body, sizeof(pop3_body) - 1);
    assert_false(linecli_busy(lc));
    int chunks = x.chunks;
    assert_int_equal(linecli_send(lc, LINECLI_BODY | LINECLI_STREAM, "RETR 9"), 0);
    expect_reply(&x, 0, "-ERR no such message");
    assert_int_equal(x.chunks, chunks); /* no body call for the -ERR */
    linecli_quit(lc, "QUIT");
    rig_run_for(0.1);

    struct linecli_params p;
    memset(&p, 0, sizeof(p));
    p.max_body = 100000;
    lc = open_lc(&srv_pop3, LINECLI_POP3, &x, &p);
    expect_reply(&x, 0, "+OK line_server ready");
    assert_int_equal(linecli_send(lc, LINECLI_BODY, "BIGBODY"), 0);
    next_event(&x);
    assert_int_equal(x.failed, 1);
    assert_int_equal(x.err, NET_EPROTO);
    assert_non_null(strstr(linecli_error_detail(lc), "body longer than 100000"));
    linecli_free(lc);
}

static void free_from_handler_and_refused(void **state)
{
    (void)state;
    /* Nothing listens on the port a dead server had. */
    struct rig dead;
    const char *args[] = {NULL};
    assert_true(rig_start(&dead, "line_server.py", args) > 0);
    int port = dead.port;
    rig_stop(&dead);
    struct rec x;
    dead.port = port;
    struct linecli *lc = open_lc(&dead, LINECLI_NUMERIC, &x, NULL);
    next_event(&x);
    assert_int_equal(x.failed, 1);
    assert_int_equal(x.err, NET_EREFUSED);
    linecli_free(lc);

    /* Freed by its own reply handler while the rest of the read waits. */
    lc = open_lc(&srv_numeric, LINECLI_NUMERIC, &x, NULL);
    expect_reply(&x, 220, "220 line_server ready");
    assert_int_equal(linecli_send(lc, 0, "TWO"), 0);
    x.free_in_handler = true;
    expect_reply(&x, 250, "250 one"); /* lc is gone now */
    rig_run_for(0.2);
    assert_int_equal(x.replies, 2);
    assert_int_equal(x.failed, 0);
}

/* Where a numeric reply's value is: after the last line's code and its
 * separator, and nothing (never past the text) when the line is the code. */
static void last_line_text(void **state)
{
    (void)state;
    assert_string_equal(reply_last_line_text("213 1074"), "1074");
    assert_string_equal(reply_last_line_text("213"), "");
    assert_string_equal(reply_last_line_text("213 "), "");
    assert_string_equal(reply_last_line_text("213-File status\n213 99"), "99");
    assert_string_equal(reply_last_line_text("334-x\n334"), "");
    assert_string_equal(reply_last_line_text(""), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numeric_replies),
        cmocka_unit_test(endless_line_is_bounded),
        cmocka_unit_test(reply_timeout),
        cmocka_unit_test(not_the_protocol),
        cmocka_unit_test(starttls_mid_dialogue),
        cmocka_unit_test(pop3_status_and_body),
        cmocka_unit_test(free_from_handler_and_refused),
        cmocka_unit_test(last_line_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
