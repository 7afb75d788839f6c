/* AT+SSLOPT and the TLS policy the services share (ssl.md 2, ssl-note.md).
 * AT+SSLSETCERT and the file system come with their own issue. */
#include "ssl.h"

#include <string.h>

#include "fs.h"
#include "modem.h"

void ssl_init(struct modem *m)
{
    m->ssl.ignore_invalid = m->profile->tls_ignore_invalid;
    m->ssl.client_auth = false;
}

void ssl_free(struct modem *m) { cert_bundle_free(&m->ssl.imported); }

void ssl_choice_for(const struct modem *m, struct tls_choice *out)
{
    const struct profile *p = m->profile;
    const struct cert_bundle *imp = &m->ssl.imported;
    memset(out, 0, sizeof(*out));
    out->policy.min_version = p->tls_min;
    out->policy.max_version = p->tls_max;
    str_copy(out->policy.ciphers, sizeof(out->policy.ciphers), p->tls_ciphers);
    out->policy.send_sni = p->tls_sni;
    out->verify = !m->ssl.ignore_invalid;
    /* ssl.md leaves open what the import is (UNCERTAIN): a certificate alone
     * is trusted as a root (TinyGSM's use); one with its private key is the
     * client certificate (the note V1.05), presented when AT+SSLOPT=1,1 and
     * the firmware supports it, and a CA that comes with it is trusted. */
    if (imp->key) {
        out->anchor = imp->ca;
        if (m->ssl.client_auth && (p->features & PROFILE_FEAT_SSL_CLIENT)) {
            out->client_cert = imp->cert;
            out->client_key = imp->key;
        }
    } else {
        out->anchor = imp->cert;
    }
}

static int cmd_sslopt(struct modem *m, struct at_req *r)
{
    long opt, enable;
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "+SSLOPT: (0-1),(0-1)");
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "+SSLOPT: 0,%d\r\n+SSLOPT: 1,%d", m->ssl.ignore_invalid, m->ssl.client_auth);
        return AT_OK;
    default:
        if (at_arg_int(&r->args, 0, 1, &opt) != AT_ARG_OK ||
            at_arg_int(&r->args, 0, 1, &enable) != AT_ARG_OK || !at_args_done(&r->args))
            return AT_ERROR;
        if (opt == 0)
            m->ssl.ignore_invalid = enable;
        else
            m->ssl.client_auth = enable;
        return AT_OK;
    }
}

/* ssl.md: at most 100 characters of file name (path included) and 32 of
 * password; the test form's literal is implied by those (UNCERTAIN). */
#define SSLSETCERT_FILE_MAX 100
#define SSLSETCERT_PASSWORD_MAX 32

static int cmd_sslsetcert(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SSLSETCERT: %d,%d", SSLSETCERT_FILE_MAX, SSLSETCERT_PASSWORD_MAX);
        return AT_OK;
    }
    char file[SSLSETCERT_FILE_MAX + 1], password[SSLSETCERT_PASSWORD_MAX + 1] = "";
    if (at_arg_str(&r->args, file, sizeof(file), NULL) != AT_ARG_OK || !file[0])
        return AT_ERROR;
    enum at_arg_status st = at_arg_str(&r->args, password, sizeof(password), NULL);
    if (st == AT_ARG_BAD || !at_args_done(&r->args))
        return AT_ERROR;
    /* OK first, then the outcome (drivers wait for it after OK, ssl.md). */
    struct bytebuf data = {0};
    int result = 1;
    if (fs_read_file(m, file, &data) == 0) {
        struct cert_bundle b;
        if (cert_import(bytebuf_head(&data), bytebuf_pending(&data), password, &b) ==
            CERT_IMPORT_OK) {
            /* One certificate at a time: the last import wins. */
            cert_bundle_free(&m->ssl.imported);
            m->ssl.imported = b;
            result = 0;
        }
    }
    bytebuf_free(&data);
    at_urc(m, "+SSLSETCERT: %d", result);
    return AT_OK;
}

static const struct at_cmd rows[] = {
    {"+SSLOPT", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, PROFILE_FEAT_SSL, cmd_sslopt, NULL},
    {"+SSLSETCERT", AT_FORM_TEST | AT_FORM_WRITE, PROFILE_FEAT_SSL | PROFILE_FEAT_FS,
     cmd_sslsetcert, NULL},
};

const struct at_cmd_table cmd_ssl_table = {rows, ARRAY_SIZE(rows)};
