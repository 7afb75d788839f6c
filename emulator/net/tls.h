/* TLS policy: what the module's SSL stack offers and checks.
 *
 * One SSL_CTX per policy (protocol versions and ciphers from the profile,
 * the --ca-file roots, the key log); what varies per connection — whether
 * to verify (AT+SSLOPT), extra trust anchors (AT+SSLSETCERT), the name to
 * check and send as SNI — is set on the SSL object by tls_new_ssl(). */
#ifndef SIM800EMU_TLS_H
#define SIM800EMU_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

struct tls_policy {
    int min_version; /* TLS1_VERSION ... */
    int max_version;
    char ciphers[256]; /* OpenSSL cipher list for TLS <= 1.2 */
    bool send_sni;
};

/* Who decides whether a server certificate is checked ([tls] verify,
 * --tls-verify): the module's own rule, or the operator for every
 * connection (a CI that wants strict checks, or none at all). */
enum tls_verify_mode {
    TLS_VERIFY_MODULE, /* AT+SSLOPT=0,0 and a trust anchor exists */
    TLS_VERIFY_ALWAYS, /* every connection, whatever AT+SSLOPT says */
    TLS_VERIFY_NEVER,  /* no connection */
};

/* Parses "module", "always", "never"; -1 when unknown. */
int tls_parse_verify_mode(const char *s);

/* AT+SSLSETCERT's certificate (or its CA) plus the AT+SSLSETROOT roots. */
#define TLS_ANCHORS_MAX 17

/* Everything one TLS connection is set up with: the profile's policy and
 * the modem's SSL settings (AT+SSLOPT, the AT+SSLSETCERT import). */
struct tls_choice {
    struct tls_policy policy;
    bool verify;                    /* check the chain and the name */
    char trust[600];                /* for the trace: verified against what, or why not */
    X509 *anchors[TLS_ANCHORS_MAX]; /* imported certificates to trust too */
    int nanchors;
    X509 *client_cert;    /* presented when the server asks; may be NULL */
    EVP_PKEY *client_key; /* with client_cert */
};

/* Copies src into dst taking references on its certificates and key;
 * tls_choice_clear() drops them. */
void tls_choice_copy(struct tls_choice *dst, const struct tls_choice *src);
void tls_choice_clear(struct tls_choice *c);

/* Parses "tls1", "tls1.1", "tls1.2", "tls1.3"; -1 when unknown. */
int tls_parse_version(const char *s);
const char *tls_version_name(int version);

/* The SSL_CTX for a policy, created on first use and kept for the process;
 * NULL with a message when the policy cannot be built. */
SSL_CTX *tls_ctx_for(const struct tls_policy *policy, char *err, size_t errlen);

/* A client SSL object for one connection. */
/* host: the name (or address) the client asked for, never the mapped one. */
SSL *tls_new_ssl(SSL_CTX *ctx, const struct tls_choice *choice, const char *host);

void tls_shutdown(void);

/* What the trace adds when a server refuses the profile's TLS (its version
 * or its ciphers): the program names the profile that would connect
 * ("-p sim800c-tls12 speaks TLS 1.0 to 1.2").  NULL or "": nothing. */
void tls_set_mismatch_advice(const char *text);
const char *tls_mismatch_advice(void);

#endif
