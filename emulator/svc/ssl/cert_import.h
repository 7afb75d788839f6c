/* Parsing what AT+SSLSETCERT imports (SIM800 SSL Application Note (Chinese edition) §2.5): a
 * certificate file from the module's flash, PEM or DER (.crt/.cer), or a PKCS#12 bundle (.p12) with
 * its password; a PEM file may carry a private key, encrypted or not.
 *
 * No I/O and no modem state, so the fuzzer can call it directly. */
#ifndef SIM800EMU_CERT_IMPORT_H
#define SIM800EMU_CERT_IMPORT_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

struct cert_bundle {
    X509 *cert;    /* the certificate (a PKCS#12's own, or the file's first) */
    EVP_PKEY *key; /* its private key, when the file has one; else NULL */
    X509 *ca;      /* a CA certificate the bundle carries besides, or NULL */
};

enum cert_import_result {
    CERT_IMPORT_OK,
    CERT_IMPORT_NOT_A_CERT,   /* neither PEM, DER nor PKCS#12 */
    CERT_IMPORT_BAD_PASSWORD, /* a protected key or bundle the password does not open */
    CERT_IMPORT_KEY_MISMATCH, /* a key that does not belong to the certificate */
};

/* Parses data; on CERT_IMPORT_OK fills *out (free it with cert_bundle_free).
 * password may be NULL or "" for none. */
enum cert_import_result cert_import(const uint8_t *data, size_t len, const char *password,
                                    struct cert_bundle *out);
void cert_bundle_free(struct cert_bundle *b);

#endif
