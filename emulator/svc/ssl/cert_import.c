#include "cert_import.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <stdbool.h>
#include <string.h>

/* Never ask a terminal for a passphrase: the password comes from the AT
 * command or not at all. */
static int password_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const char *pw = u;
    if (!pw || !pw[0])
        return -1;
    int n = (int)strlen(pw);
    if (n > size)
        return -1;
    memcpy(buf, pw, (size_t)n);
    return n;
}

static bool looks_pem(const uint8_t *data, size_t len)
{
    static const char mark[] = "-----BEGIN ";
    size_t m = sizeof(mark) - 1;
    for (size_t i = 0; i + m <= len; i++)
        if (memcmp(data + i, mark, m) == 0)
            return true;
    return false;
}

static enum cert_import_result from_pem(const uint8_t *data, size_t len, const char *password,
                                        struct cert_bundle *out)
{
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (!bio)
        return CERT_IMPORT_NOT_A_CERT;
    out->cert = PEM_read_bio_X509(bio, NULL, password_cb, NULL);
    if (!out->cert) {
        BIO_free(bio);
        return CERT_IMPORT_NOT_A_CERT;
    }
    /* A second certificate in the file (a chain): keep it as the CA. */
    out->ca = PEM_read_bio_X509(bio, NULL, password_cb, NULL);
    ERR_clear_error();
    BIO_free(bio);

    /* Whether the file also carries a private key decides whether the
     * password matters; look for one anywhere in the file. */
    static const char key_mark[] = "PRIVATE KEY-----";
    bool has_key = false;
    size_t m = sizeof(key_mark) - 1;
    for (size_t i = 0; i + m <= len && !has_key; i++)
        has_key = memcmp(data + i, key_mark, m) == 0;
    if (!has_key)
        return CERT_IMPORT_OK;
    bio = BIO_new_mem_buf(data, (int)len);
    if (!bio)
        return CERT_IMPORT_NOT_A_CERT;
    out->key = PEM_read_bio_PrivateKey(bio, NULL, password_cb, (void *)password);
    BIO_free(bio);
    if (!out->key)
        return CERT_IMPORT_BAD_PASSWORD;
    if (X509_check_private_key(out->cert, out->key) != 1)
        return CERT_IMPORT_KEY_MISMATCH;
    return CERT_IMPORT_OK;
}

static enum cert_import_result from_der(const uint8_t *data, size_t len, struct cert_bundle *out)
{
    const unsigned char *p = data;
    out->cert = d2i_X509(NULL, &p, (long)len);
    /* Trailing bytes after the certificate are not a certificate file. */
    if (out->cert && p != data + len) {
        X509_free(out->cert);
        out->cert = NULL;
    }
    return out->cert ? CERT_IMPORT_OK : CERT_IMPORT_NOT_A_CERT;
}

static enum cert_import_result from_pkcs12(const uint8_t *data, size_t len, const char *password,
                                           struct cert_bundle *out)
{
    const unsigned char *p = data;
    PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
    if (!p12)
        return CERT_IMPORT_NOT_A_CERT;
    const char *pw = password ? password : "";
    if (!PKCS12_verify_mac(p12, pw, -1)) {
        PKCS12_free(p12);
        return CERT_IMPORT_BAD_PASSWORD;
    }
    STACK_OF(X509) *cas = NULL;
    int ok = PKCS12_parse(p12, pw, &out->key, &out->cert, &cas);
    PKCS12_free(p12);
    if (cas) {
        if (sk_X509_num(cas) > 0)
            out->ca = sk_X509_shift(cas);
        sk_X509_pop_free(cas, X509_free);
    }
    if (!ok || !out->cert)
        return CERT_IMPORT_BAD_PASSWORD;
    return CERT_IMPORT_OK;
}

enum cert_import_result cert_import(const uint8_t *data, size_t len, const char *password,
                                    struct cert_bundle *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 0 || len > 1 << 20)
        return CERT_IMPORT_NOT_A_CERT;
    enum cert_import_result r;
    if (looks_pem(data, len)) {
        r = from_pem(data, len, password, out);
    } else {
        r = from_der(data, len, out);
        if (r != CERT_IMPORT_OK)
            r = from_pkcs12(data, len, password, out);
    }
    ERR_clear_error();
    if (r != CERT_IMPORT_OK)
        cert_bundle_free(out);
    return r;
}

void cert_bundle_free(struct cert_bundle *b)
{
    X509_free(b->cert);
    EVP_PKEY_free(b->key);
    X509_free(b->ca);
    memset(b, 0, sizeof(*b));
}
