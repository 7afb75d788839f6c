/* The modem's SSL settings (AT+SSLOPT, and the certificate AT+SSLSETCERT
 * imports) and the TLS choice every service makes from them, so that TCP,
 * HTTP, FTP and mail connections follow one policy (ssl.md). */
#ifndef SIM800EMU_SSL_H
#define SIM800EMU_SSL_H

#include <openssl/x509.h>
#include <stdbool.h>

#include "tls.h"

struct modem;

struct ssl_state {
    bool ignore_invalid;  /* AT+SSLOPT=0,<n> */
    bool client_auth;     /* AT+SSLOPT=1,<n> (the note says it is not implemented) */
    X509 *cert;           /* the certificate AT+SSLSETCERT imported, or NULL */
};

struct ssl_choice {
    struct tls_policy policy;
    bool verify;
    X509 *anchor;         /* borrowed from the modem; conn takes its own reference */
};

void ssl_init(struct modem *m);
void ssl_free(struct modem *m);
void ssl_choice_for(const struct modem *m, struct ssl_choice *out);

extern const struct at_cmd_table cmd_ssl_table;

#endif
