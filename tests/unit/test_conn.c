/* The connection layer against real loopback servers (tests/servers/
 * tls_echo.py): TLS session resumption as the server sees it (TLS 1.0 and
 * 1.3), a verification name apart from the address, STARTTLS in place and
 * its refusals, close after flush, the tag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "netrig.h"
#include "trace.h"

#define LEGACY_CIPHERS "AES128-SHA:AES256-SHA:DES-CBC3-SHA:@SECLEVEL=0"

/* What the handlers saw. */
struct rec {
    int events;
    int connected, sent, failed;
    enum net_err err;
    char in[65536];
    size_t inlen;
    bool ended;
};

static void h_connected(struct conn *c, void *ud)
{
    (void)c;
    struct rec *r = ud;
    r->connected++;
    r->events++;
}

static void h_readable(struct conn *c, void *ud)
{
    struct rec *r = ud;
    for (;;) {
        char buf[4096];
        ssize_t n = conn_read(c, buf, sizeof(buf));
        if (n == 0)
            break;
        if (n < 0) {
            r->ended = true;
            break;
        }
        size_t k =
            (size_t)n < sizeof(r->in) - 1 - r->inlen ? (size_t)n : sizeof(r->in) - 1 - r->inlen;
        memcpy(r->in + r->inlen, buf, k);
        r->inlen += k;
        r->in[r->inlen] = '\0';
    }
    r->events++;
}

static void h_sent(struct conn *c, void *ud)
{
    (void)c;
    struct rec *r = ud;
    r->sent++;
    r->events++;
}

static void h_failed(struct conn *c, void *ud, enum net_err err)
{
    (void)c;
    struct rec *r = ud;
    r->failed++;
    r->err = err;
    r->events++;
}

static const struct conn_handlers H = {h_connected, h_readable, h_sent, h_failed};

static struct tls_choice choice(int version, bool verify)
{
    struct tls_choice ch;
    memset(&ch, 0, sizeof(ch));
    ch.policy.min_version = version;
    ch.policy.max_version = version;
    ch.policy.send_sni = true;
    if (version < TLS1_2_VERSION)
        snprintf(ch.policy.ciphers, sizeof(ch.policy.ciphers), "%s", LEGACY_CIPHERS);
    ch.verify = verify;
    return ch;
}

static struct conn *open_to(int port, const struct tls_choice *ch, SSL_SESSION *resume,
                            const char *verify_name, struct rec *r)
{
    memset(r, 0, sizeof(*r));
    struct conn_params p = {.kind = CONN_TCP,
                            .host = "127.0.0.1",
                            .port = port,
                            .tls = ch != NULL,
                            .tls_choice = ch,
                            .timeout_s = 10,
                            .resume = resume,
                            .verify_name = verify_name};
    return conn_open(&p, &H, r);
}

static bool wait_connected(struct rec *r)
{
    while (r->connected == 0 && r->failed == 0)
        if (!rig_run_until(&r->events, r->events, 10))
            return false;
    return r->connected > 0;
}

static bool wait_input(struct rec *r, const char *needle)
{
    while (!strstr(r->in, needle) && !r->failed && !r->ended)
        if (!rig_run_until(&r->events, r->events, 10))
            return false;
    return strstr(r->in, needle) != NULL;
}

/* Whether the log line starting with prefix contains needle. */
static bool line_has(const char *log, const char *prefix, const char *needle)
{
    const char *line = strstr(log, prefix);
    if (!line)
        return false;
    const char *end = strchr(line, '\n');
    const char *hit = strstr(line, needle);
    return hit && end && hit <= end;
}

static void start_server(struct rig *srv, const char *mode, int version, const char *extra)
{
    const char *v = version == TLS1_VERSION ? "TLSv1" : "TLSv1_3";
    const char *args[] = {"--mode",
                          mode,
                          "--tls",
                          "--cert",
                          rig_pki_file("tls.example.test.crt"),
                          "--key",
                          rig_pki_file("tls.example.test.key"),
                          "--min-version",
                          v,
                          "--max-version",
                          v,
                          "--verbose",
                          extra ? "--greeting" : NULL,
                          extra,
                          NULL};
    assert_true(rig_start(srv, "tls_echo.py", args) > 0);
}

/* Resumes A's session on B, then checks C without one for contrast; the
 * server's log is the judge. */
static void resume_at(int version, const char *vname, bool tickets)
{
    rig_net_init();
    struct rig srv;
    if (tickets) {
        start_server(&srv, "echo", version, NULL);
    } else {
        const char *args[] = {"--mode",
                              "echo",
                              "--tls",
                              "--cert",
                              rig_pki_file("tls.example.test.crt"),
                              "--key",
                              rig_pki_file("tls.example.test.key"),
                              "--min-version",
                              "TLSv1",
                              "--max-version",
                              "TLSv1",
                              "--no-tickets",
                              "--verbose",
                              NULL};
        assert_true(rig_start(&srv, "tls_echo.py", args) > 0);
    }
    struct tls_choice ch = choice(version, true);
    struct rec ra, rb, rc;

    struct conn *a = open_to(srv.port, &ch, NULL, "tls.example.test", &ra);
    assert_true(wait_connected(&ra));
    assert_false(conn_tls_resumed(a));
    if (version == TLS1_3_VERSION) {
        /* The ticket comes after the handshake: nothing to resume yet. */
        assert_null(conn_tls_session(a));
    }
    conn_write(a, "ping\n", 5);
    assert_true(wait_input(&ra, "ping\n"));
    SSL_SESSION *s = conn_tls_session(a);
    assert_non_null(s);
    conn_free(a, false);

    struct conn *b = open_to(srv.port, &ch, s, "tls.example.test", &rb);
    SSL_SESSION_free(s); /* conn_open() took its own reference */
    assert_true(wait_connected(&rb));
    assert_true(conn_tls_resumed(b));
    conn_write(b, "pong\n", 5);
    assert_true(wait_input(&rb, "pong\n"));
    conn_free(b, false);

    struct conn *c = open_to(srv.port, &ch, NULL, "tls.example.test", &rc);
    assert_true(wait_connected(&rc));
    assert_false(conn_tls_resumed(c));
    conn_free(c, false);

    char want[128];
    snprintf(want, sizeof(want), "conn 1 tls %s ", vname);
    assert_true(rig_wait_log(&srv, want, 5));
    assert_true(rig_wait_log(&srv, "conn 2 tls ", 5));
    assert_true(rig_wait_log(&srv, "conn 3 tls ", 5));
    assert_true(line_has(srv.log, "conn 1 tls ", " sni=tls.example.test client=- reused=no\n"));
    assert_true(line_has(srv.log, "conn 2 tls ", " reused=yes\n"));
    assert_true(line_has(srv.log, "conn 3 tls ", " reused=no\n"));
    rig_stop(&srv);
}

static void resume_tls10(void **state)
{
    (void)state;
    resume_at(TLS1_VERSION, "TLSv1", true);
}

/* A server with a session cache and no tickets (vsftpd's way). */
static void resume_tls10_session_id(void **state)
{
    (void)state;
    resume_at(TLS1_VERSION, "TLSv1", false);
}

static void resume_tls13(void **state)
{
    (void)state;
    resume_at(TLS1_3_VERSION, "TLSv1.3", true);
}

/* Connect to an address, verify a name: right name passes, wrong one fails
 * with the TLS error. */
static void verify_name_apart_from_address(void **state)
{
    (void)state;
    rig_net_init();
    struct rig srv;
    start_server(&srv, "echo", TLS1_3_VERSION, NULL);
    struct tls_choice ch = choice(TLS1_3_VERSION, true);
    struct rec r;

    struct conn *c = open_to(srv.port, &ch, NULL, "tls.example.test", &r);
    assert_true(wait_connected(&r));
    assert_string_equal(conn_peer_address(c), "127.0.0.1");
    conn_free(c, false);
    assert_true(rig_wait_log(&srv, "conn 1 tls TLSv1.3 ", 5));
    assert_non_null(strstr(srv.log, "sni=tls.example.test "));

    c = open_to(srv.port, &ch, NULL, "wrong.example.test", &r);
    assert_false(wait_connected(&r));
    assert_int_equal(r.failed, 1);
    assert_int_equal(r.err, NET_ETLS_ALERT);
    assert_non_null(strstr(conn_error_detail(c), "certificate"));
    conn_free(c, false);

    /* Without verify_name the address itself is checked, and the
     * certificate does not name 127.0.0.1. */
    c = open_to(srv.port, &ch, NULL, NULL, &r);
    assert_false(wait_connected(&r));
    assert_int_equal(r.err, NET_ETLS_ALERT);
    conn_free(c, false);
    rig_stop(&srv);
}

static void start_tls_in_place(void **state)
{
    (void)state;
    rig_net_init();
    struct rig srv;
    start_server(&srv, "starttls", TLS1_3_VERSION, "220 hello\\r\\n");
    struct tls_choice ch = choice(TLS1_3_VERSION, true);
    struct rec r;
    struct conn *c = open_to(srv.port, NULL, NULL, NULL, &r);
    assert_true(wait_connected(&r));
    assert_true(wait_input(&r, "220 hello\r\n"));
    /* Refused while the queue holds bytes: they would follow the ClientHello. */
    conn_write(c, "STARTTLS\r\n", 10);
    assert_int_equal(conn_start_tls(c, &ch, "tls.example.test"), -1);
    assert_true(wait_input(&r, "220 Ready to start TLS\r\n"));
    assert_false(conn_is_tls(c));
    assert_int_equal(conn_start_tls(c, &ch, "tls.example.test"), 0);
    assert_int_equal(r.connected, 1); /* no handler inside the call */
    assert_true(rig_run_until(&r.connected, 1, 10));
    assert_int_equal(r.connected, 2);
    assert_true(conn_is_tls(c));
    assert_int_equal(conn_start_tls(c, &ch, NULL), -1); /* already TLS */
    r.inlen = 0;
    r.in[0] = '\0';
    conn_write(c, "secret\n", 7);
    assert_true(wait_input(&r, "secret\n"));
    conn_free(c, false);
    assert_true(rig_wait_log(&srv, "conn 1 starttls", 5));
    assert_true(rig_wait_log(&srv, "conn 1 tls TLSv1.3 ", 5));
    rig_stop(&srv);

    /* Bytes after the go-ahead, unread in the socket: refused (they would be
     * taken for the server's TLS records). */
    start_server(&srv, "starttls:220 go\\r\\nINJECTED\\r\\n", TLS1_3_VERSION, NULL);
    c = open_to(srv.port, NULL, NULL, NULL, &r);
    assert_true(wait_connected(&r));
    conn_write(c, "STLS\r\n", 6);
    conn_pause_reading(c, true);
    rig_run_for(0.3); /* the reply and its tail arrive, unread */
    conn_pause_reading(c, false);
    assert_int_equal(conn_start_tls(c, &ch, "tls.example.test"), -1);
    conn_free(c, false);
    rig_stop(&srv);
}

static void close_after_flush_delivers(bool tls)
{
    rig_net_init();
    struct rig srv;
    start_server(&srv, "sink-sha256", TLS1_3_VERSION, NULL);
    struct tls_choice ch = choice(TLS1_3_VERSION, true);
    if (!tls) {
        rig_stop(&srv);
        const char *args[] = {"--mode", "sink-sha256", "--verbose", NULL};
        assert_true(rig_start(&srv, "tls_echo.py", args) > 0);
    }
    char path[] = "/tmp/test_conn_close_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(trace_open(path), 0);
    struct rec r;
    struct conn *c = open_to(srv.port, tls ? &ch : NULL, NULL, "tls.example.test", &r);
    size_t n = 1 << 20;
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 7 + (i >> 12));
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, n, md);
    char want[128] = "conn 1 sha256 ";
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(want + strlen(want), 3, "%02x", md[i]);
    snprintf(want + strlen(want), 32, " %zu\n", n);
    /* Queued before the connection is even up: it still all goes. */
    conn_write(c, data, n);
    free(data);
    conn_close_after_flush(c);
    int before = r.events;
    rig_run_for(0.1);
    double t0 = 0;
    while (!strstr(srv.log, want) && t0 < 10) {
        rig_run_for(0.1);
        rig_poll_log(&srv);
        t0 += 0.11;
    }
    assert_non_null(strstr(srv.log, want));
    rig_run_for(0.2);
    assert_int_equal(r.events, before); /* no handler ran after the call */
    /* It freed itself after the peer's close (the trace says so), and did
     * not abort. */
    trace_close();
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[8192];
    size_t len = fread(text, 1, sizeof(text) - 1, f);
    text[len] = '\0';
    fclose(f);
    unlink(path);
    assert_non_null(strstr(text, "close after 1048576 bytes"));
    assert_non_null(strstr(text, "closing: all sent"));
    assert_non_null(strstr(text, "ended: closed"));
    assert_null(strstr(text, "aborted"));
    rig_stop(&srv);
}

static void close_after_flush_plain(void **state)
{
    (void)state;
    close_after_flush_delivers(false);
}

static void close_after_flush_tls(void **state)
{
    (void)state;
    close_after_flush_delivers(true);
}

static void tag_in_trace(void **state)
{
    (void)state;
    rig_net_init();
    struct rig srv;
    const char *args[] = {"--mode", "echo", NULL};
    assert_true(rig_start(&srv, "tls_echo.py", args) > 0);
    char path[] = "/tmp/test_conn_trace_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(trace_open(path), 0);
    struct rec r;
    memset(&r, 0, sizeof(r));
    struct conn_params p = {
        .kind = CONN_TCP, .host = "127.0.0.1", .port = srv.port, .timeout_s = 5, .tag = "ftp-data"};
    struct conn *c = conn_open(&p, &H, &r);
    assert_string_equal(conn_tag(c), "ftp-data");
    assert_true(wait_connected(&r));
    conn_free(c, false);
    p.tag = NULL;
    c = conn_open(&p, &H, &r);
    assert_string_equal(conn_tag(c), "conn");
    conn_free(c, false);
    trace_close();
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[8192];
    size_t len = fread(text, 1, sizeof(text) - 1, f);
    text[len] = '\0';
    fclose(f);
    unlink(path);
    char want[64];
    snprintf(want, sizeof(want), "ftp-data 127.0.0.1:%d connected", srv.port);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "conn open tcp 127.0.0.1"));
    rig_stop(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resume_tls10),          cmocka_unit_test(resume_tls10_session_id),
        cmocka_unit_test(resume_tls13),          cmocka_unit_test(verify_name_apart_from_address),
        cmocka_unit_test(start_tls_in_place),    cmocka_unit_test(close_after_flush_plain),
        cmocka_unit_test(close_after_flush_tls), cmocka_unit_test(tag_in_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
