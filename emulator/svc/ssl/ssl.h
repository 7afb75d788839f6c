/* The modem's SSL settings (AT+SSLOPT, and the certificate AT+SSLSETCERT
 * imports) and the TLS choice every service makes from them, so that TCP,
 * HTTP, FTP and mail connections follow one policy (SIM800 SSL Application Note (Chinese edition)
 * §2.4–2.6). */
#ifndef SIM800EMU_SSL_H
#define SIM800EMU_SSL_H

#include <openssl/x509.h>
#include <stdbool.h>

#include "cert_import.h"
#include "service.h"
#include "tls.h"

struct modem;

#define SSL_ROOTS_MAX 16

struct ssl_state {
    bool ignore_invalid;         /* AT+SSLOPT=0,<n> */
    bool client_auth;            /* AT+SSLOPT=1,<n> */
    struct cert_bundle imported; /* what AT+SSLSETCERT imported last (fields may be NULL) */
    struct {
        int id; /* the number AT+SSLDEROOT? lists (1001, 1002, ...) */
        X509 *cert;
    } roots[SSL_ROOTS_MAX]; /* AT+SSLSETROOT */
    int nroots;
    int next_root_id;
};

extern const struct service ssl_service;

static inline struct ssl_state *ssl_of(const struct modem *m)
{
    return modem_state(m, &ssl_service);
}

/* The TLS setup of the modem's next connection.  Its certificates are
 * borrowed from the modem; conn_open() takes its own references. */
void ssl_choice_for(const struct modem *m, struct tls_choice *out);

#endif
