/* AT+SSLOPT and the TLS policy the services share (ssl.md 2, ssl-note.md).
 * AT+SSLSETCERT and the file system come with their own issue. */
#include "ssl.h"

#include <string.h>

#include "modem.h"

void ssl_init(struct modem *m)
{
    m->ssl.ignore_invalid = m->profile->tls_ignore_invalid;
    m->ssl.client_auth = false;
}

void ssl_free(struct modem *m)
{
    if (m->ssl.cert)
        X509_free(m->ssl.cert);
    m->ssl.cert = NULL;
}

void ssl_choice_for(const struct modem *m, struct ssl_choice *out)
{
    const struct profile *p = m->profile;
    memset(out, 0, sizeof(*out));
    out->policy.min_version = p->tls_min;
    out->policy.max_version = p->tls_max;
    str_copy(out->policy.ciphers, sizeof(out->policy.ciphers), p->tls_ciphers);
    out->policy.send_sni = p->tls_sni;
    out->verify = !m->ssl.ignore_invalid;
    out->anchor = m->ssl.cert;
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

static const struct at_cmd rows[] = {
    {"+SSLOPT", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, PROFILE_FEAT_SSL, cmd_sslopt, NULL},
};

const struct at_cmd_table cmd_ssl_table = {rows, ARRAY_SIZE(rows)};
