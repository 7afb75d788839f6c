/* TLS on a connection, following Redis's tls.c: the handshake runs from
 * the I/O events, WANT_READ and WANT_WRITE re-arm the watcher, and the
 * failure says why (an alert, a certificate, a version or cipher the server
 * refuses).  Also STARTTLS on a connected conn (conn_start_tls). */
#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "conn_private.h"
#include "trace.h"

static void info_cb(const SSL *ssl, int where, int ret)
{
    if (!(where & SSL_CB_ALERT))
        return;
    struct conn *c = SSL_get_app_data(ssl);
    /* ret: alert level in the high byte.  A close_notify is a warning. */
    if (c && (ret >> 8) == SSL3_AL_FATAL) {
        c->tls_alert = true;
        if (where & SSL_CB_READ)
            c->alert_in = ret & 0xff;
        snprintf(c->detail, sizeof(c->detail), "TLS alert %s %s",
                 (where & SSL_CB_READ) ? "received" : "sent", SSL_alert_desc_string_long(ret));
    }
}

/* A server that refuses the profile's TLS version or ciphers answers with
 * protocol_version, handshake_failure, insufficient_security or (Python's
 * ssl) internal_error: say so in those words, with what the profile offers
 * and the program's advice (tls_set_mismatch_advice). */
static void mismatch_hint(struct conn *c, unsigned long reason)
{
    bool version = c->alert_in == SSL_AD_PROTOCOL_VERSION || reason == SSL_R_UNSUPPORTED_PROTOCOL ||
                   reason == SSL_R_WRONG_VERSION_NUMBER;
    bool cipher = c->alert_in == SSL_AD_HANDSHAKE_FAILURE ||
                  c->alert_in == SSL_AD_INSUFFICIENT_SECURITY ||
                  c->alert_in == SSL_AD_INTERNAL_ERROR || reason == SSL_R_NO_CIPHERS_AVAILABLE;
    if (!version && !cipher)
        return;
    char hint[400];
    snprintf(hint, sizeof(hint), "; %s mismatch? this profile offers %s to %s%s%.100s%s%.160s",
             version ? "TLS version" : "TLS version or cipher",
             tls_version_name(c->tls.policy.min_version),
             tls_version_name(c->tls.policy.max_version), c->tls.policy.ciphers[0] ? " with " : "",
             c->tls.policy.ciphers, tls_mismatch_advice()[0] ? "; " : "", tls_mismatch_advice());
    size_t used = strlen(c->detail);
    snprintf(c->detail + used, sizeof(c->detail) - used, "%s", hint);
}

void conn_drive_handshake(struct conn *c)
{
    ERR_clear_error();
    errno = 0;
    int rc = SSL_do_handshake(c->ssl);
    if (rc == 1) {
        /* A full handshake takes the client two round trips before it may
         * send data (TLS 1.0-1.2), a resumed one one. */
        if (conn_latency_tls_s > 0 && !c->delayed_tls) {
            c->delayed_tls = true;
            conn_hold(c, SSL_session_reused(c->ssl) ? conn_latency_tls_s / 2 : conn_latency_tls_s);
            return;
        }
        conn_established(c);
        return;
    }
    int e = SSL_get_error(c->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ev_io_stop(L(), &c->io);
        ev_io_set(&c->io, c->fd, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
        ev_io_start(L(), &c->io);
        return;
    }
    bool had_alert = c->tls_alert && !conn_unexpected_eof();
    long verdict = c->tls.verify ? SSL_get_verify_result(c->ssl) : X509_V_OK;
    unsigned long reason = ERR_GET_REASON(ERR_peek_last_error());
    if (verdict != X509_V_OK)
        snprintf(c->detail, sizeof(c->detail), "certificate rejected: %s",
                 X509_verify_cert_error_string(verdict));
    else if (!had_alert)
        conn_set_detail(c, "TLS handshake failed");
    if (verdict == X509_V_OK)
        mismatch_hint(c, reason);
    /* An alert (a version the server refuses, a certificate we reject) is
     * 606 for HTTP; a handshake that just died is 605 (SIM800 SSL Application Note V1.00 §2.2; the
     * split is our choice). */
    conn_fail(c, had_alert ? NET_ETLS_ALERT : NET_ETLS_HANDSHAKE);
}

void conn_start_handshake(struct conn *c)
{
    if (conn_fx_handshake(c))
        return;
    char err[200];
    SSL_CTX *ctx = tls_ctx_for(&c->tls.policy, err, sizeof(err));
    if (ctx)
        c->ssl = tls_new_ssl(ctx, &c->tls, c->verify_name[0] ? c->verify_name : c->host);
    if (!ctx || !c->ssl) {
        snprintf(c->detail, sizeof(c->detail), "%.150s", ctx ? "SSL_new failed" : err);
        conn_fail(c, NET_ETLS_HANDSHAKE);
        return;
    }
    /* A session offered for resumption (an FTPS data channel offers its
     * control channel's).  The server may decline: the handshake then
     * simply runs in full, and conn_tls_resumed() says which happened. */
    ERR_clear_error();
    if (c->resume && SSL_set_session(c->ssl, c->resume) != 1)
        ERR_clear_error();
    SSL_set_app_data(c->ssl, c);
    SSL_set_info_callback(c->ssl, info_cb);
    SSL_set_fd(c->ssl, c->fd);
    trace_note(c->trace_id, "tls", "%s:%d handshake; certificate %s %s", c->host, c->port,
               c->tls.verify ? "checked against" : "not checked:", c->tls.trust);
    c->state = CONN_HANDSHAKING;
    c->tls_alert = false;
    c->alert_in = -1;
    c->delayed_tls = false;
    if (!ev_is_active(&c->timeout)) {
        ev_timer_set(&c->timeout, c->timeout_s, 0.);
        ev_timer_start(L(), &c->timeout);
    }
    conn_drive_handshake(c);
}

int conn_start_tls(struct conn *c, const struct tls_choice *choice, const char *verify_name)
{
    if (c->state != CONN_CONNECTED || c->ssl || c->kind != CONN_TCP || c->closing)
        return -1;
    /* Bytes still queued would go out after the ClientHello is due, and
     * bytes the peer sent before its go-ahead was read would be taken for
     * handshake records: either is the STARTTLS injection of CVE-2011-0411. */
    int unread = 0;
    if (bytebuf_pending(&c->out) > 0 || ioctl(c->fd, FIONREAD, &unread) < 0 || unread > 0)
        return -1;
    tls_choice_clear(&c->tls);
    tls_choice_copy(&c->tls, choice);
    if (verify_name)
        str_copy(c->verify_name, sizeof(c->verify_name), verify_name);
    trace_note(c->trace_id, "net", "%s %s:%d start tls%s%s", c->tag, c->host, c->port,
               c->verify_name[0] ? " as " : "", c->verify_name);
    /* A handshake like any other: the TLS rules are asked now. */
    conn_fx_upgrade(c);
    /* From the loop, so that no handler runs inside this call. */
    ev_io_stop(L(), &c->io);
    c->state = CONN_HANDSHAKING;
    ev_timer_set(&c->timeout, c->timeout_s, 0.);
    ev_timer_start(L(), &c->timeout);
    ev_io_set(&c->io, c->fd, EV_WRITE);
    ev_io_start(L(), &c->io);
    return 0;
}

SSL_SESSION *conn_tls_session(const struct conn *c)
{
    if (!c->ssl || c->state == CONN_HANDSHAKING)
        return NULL;
    SSL_SESSION *s = SSL_get1_session(c->ssl);
    /* TLS 1.3: until a NewSessionTicket has been read, the session is the
     * handshake's, which cannot be resumed. */
    if (s && !SSL_SESSION_is_resumable(s)) {
        SSL_SESSION_free(s);
        s = NULL;
    }
    return s;
}

bool conn_tls_resumed(const struct conn *c)
{
    return c->ssl && c->state != CONN_HANDSHAKING && SSL_session_reused(c->ssl);
}
