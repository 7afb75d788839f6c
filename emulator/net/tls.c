#include "tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "util.h"

#define TLS_CTX_CACHE 8

static struct {
    struct tls_policy policy;
    SSL_CTX *ctx;
} cache[TLS_CTX_CACHE];
static int ncache;
static FILE *keylog;

static const struct {
    const char *name;
    int version;
} versions[] = {
    {"tls1", TLS1_VERSION},     {"tls1.0", TLS1_VERSION},   {"tls1.1", TLS1_1_VERSION},
    {"tls1.2", TLS1_2_VERSION}, {"tls1.3", TLS1_3_VERSION},
};

int tls_parse_verify_mode(const char *s)
{
    static const char *const names[] = {"module", "always", "never"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (ascii_ieq(s, names[i]))
            return (int)i; /* the order of enum tls_verify_mode */
    return -1;
}

int tls_parse_version(const char *s)
{
    for (size_t i = 0; i < ARRAY_SIZE(versions); i++)
        if (ascii_ieq(s, versions[i].name))
            return versions[i].version;
    return -1;
}

static char mismatch_advice[160];

void tls_set_mismatch_advice(const char *text)
{
    str_copy(mismatch_advice, sizeof(mismatch_advice), text ? text : "");
}

const char *tls_mismatch_advice(void) { return mismatch_advice; }

const char *tls_version_name(int version)
{
    for (size_t i = 0; i < ARRAY_SIZE(versions); i++)
        if (versions[i].version == version)
            return versions[i].name;
    return "?";
}

/* NSS key log lines, so users can decrypt the emulator's TLS in Wireshark. */
static void keylog_cb(const SSL *ssl, const char *line)
{
    (void)ssl;
    if (keylog) {
        fprintf(keylog, "%s\n", line);
        fflush(keylog);
    }
}

static bool same_policy(const struct tls_policy *a, const struct tls_policy *b)
{
    return a->min_version == b->min_version && a->max_version == b->max_version &&
           strcmp(a->ciphers, b->ciphers) == 0;
}

SSL_CTX *tls_ctx_for(const struct tls_policy *policy, char *err, size_t errlen)
{
    for (int i = 0; i < ncache; i++)
        if (same_policy(&cache[i].policy, policy))
            return cache[i].ctx;
    if (ncache >= TLS_CTX_CACHE) {
        snprintf(err, errlen, "too many TLS policies");
        return NULL;
    }
    const struct net_config *cfg = net_config();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        goto fail;
    if (!SSL_CTX_set_min_proto_version(ctx, policy->min_version) ||
        !SSL_CTX_set_max_proto_version(ctx, policy->max_version))
        goto fail;
    /* The classic stack's TLS 1.0 and SHA-1 need OpenSSL's security level 0,
     * which the profile's cipher string carries ("...:@SECLEVEL=0"). */
    if (policy->ciphers[0] && !SSL_CTX_set_cipher_list(ctx, policy->ciphers))
        goto fail;
    /* The module's trust store is what --ca-file names, never the host's. */
    if (cfg && cfg->ca_file[0] && !SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL)) {
        snprintf(err, errlen, "cannot load CA file %s", cfg->ca_file);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (cfg && cfg->keylog_file[0]) {
        if (!keylog)
            keylog = fopen(cfg->keylog_file, "a");
        if (!keylog) {
            snprintf(err, errlen, "cannot open key log %s", cfg->keylog_file);
            SSL_CTX_free(ctx);
            return NULL;
        }
        SSL_CTX_set_keylog_callback(ctx, keylog_cb);
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    cache[ncache].policy = *policy;
    cache[ncache].ctx = ctx;
    ncache++;
    return ctx;
fail:
    snprintf(err, errlen, "TLS policy %s-%s '%s': %s", tls_version_name(policy->min_version),
             tls_version_name(policy->max_version), policy->ciphers,
             ERR_reason_error_string(ERR_peek_last_error())
                 ? ERR_reason_error_string(ERR_peek_last_error())
                 : "rejected");
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return NULL;
}

void tls_choice_copy(struct tls_choice *dst, const struct tls_choice *src)
{
    *dst = *src;
    for (int i = 0; i < dst->nanchors; i++)
        X509_up_ref(dst->anchors[i]);
    if (dst->client_cert)
        X509_up_ref(dst->client_cert);
    if (dst->client_key)
        EVP_PKEY_up_ref(dst->client_key);
}

void tls_choice_clear(struct tls_choice *c)
{
    for (int i = 0; i < c->nanchors; i++)
        X509_free(c->anchors[i]);
    c->nanchors = 0;
    X509_free(c->client_cert);
    EVP_PKEY_free(c->client_key);
    c->client_cert = NULL;
    c->client_key = NULL;
}

SSL *tls_new_ssl(SSL_CTX *ctx, const struct tls_choice *choice, const char *host)
{
    const struct tls_policy *policy = &choice->policy;
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    SSL_set_connect_state(ssl);
    bool ip = net_is_ip_literal(host);
    /* RFC 6066: SNI carries host names only, never addresses. */
    if (policy->send_sni && !ip)
        SSL_set_tlsext_host_name(ssl, host);
    /* A client certificate, offered only if the server asks for one. */
    if (choice->client_cert && choice->client_key &&
        (SSL_use_certificate(ssl, choice->client_cert) != 1 ||
         SSL_use_PrivateKey(ssl, choice->client_key) != 1)) {
        SSL_free(ssl);
        return NULL;
    }
    if (choice->verify) {
        SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
        if (ip)
            X509_VERIFY_PARAM_set1_ip_asc(param, host);
        else
            X509_VERIFY_PARAM_set1_host(param, host, 0);
        if (choice->nanchors > 0) {
            /* An imported certificate adds to the roots of this connection only. */
            X509_STORE *store = X509_STORE_new();
            X509_STORE *base = SSL_CTX_get_cert_store(ctx);
            STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(base);
            for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
                X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
                if (x)
                    X509_STORE_add_cert(store, x);
            }
            for (int i = 0; i < choice->nanchors; i++)
                X509_STORE_add_cert(store, choice->anchors[i]);
            SSL_set1_verify_cert_store(ssl, store);
            X509_STORE_free(store);
        }
    } else {
        SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
    }
    return ssl;
}

void tls_shutdown(void)
{
    for (int i = 0; i < ncache; i++)
        SSL_CTX_free(cache[i].ctx);
    ncache = 0;
    if (keylog)
        fclose(keylog);
    keylog = NULL;
}
