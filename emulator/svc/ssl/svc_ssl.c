/* AT+SSLOPT and the TLS policy the services share (SIM800 SSL Application Note (Chinese edition)
 * §2.6 and examples 3.8–3.10). AT+SSLSETCERT and the file system come with their own issue. */
#include "ssl.h"

#include <stdio.h>
#include <string.h>

#include "fs.h"
#include "modem.h"
#include "net.h"
#include "reply.h"

static void ssl_init(struct modem *m)
{
    ssl_of(m)->ignore_invalid = m->profile->tls_ignore_invalid;
    ssl_of(m)->client_auth = false;
    ssl_of(m)->next_root_id = 1001; /* the numbering the note's AT+SSLDEROOT? shows */
}

static void ssl_free(struct modem *m)
{
    cert_bundle_free(&ssl_of(m)->imported);
    for (int i = 0; i < ssl_of(m)->nroots; i++)
        X509_free(ssl_of(m)->roots[i].cert);
    ssl_of(m)->nroots = 0;
}

/* Names the trust anchors a check would use, for the trace. */
static void describe_anchors(const char *ca_file, int nimported, char *out, size_t cap)
{
    if (ca_file[0] && nimported)
        snprintf(out, cap, "the built-in store %s and %d imported certificate(s)", ca_file,
                 nimported);
    else if (ca_file[0])
        snprintf(out, cap, "the built-in store %s", ca_file);
    else if (nimported)
        snprintf(out, cap, "%d imported certificate(s)", nimported);
    else
        snprintf(out, cap, "no trust anchor at all");
}

/* Whether this connection checks the server's certificate (SIM800 SSL Application Note (Chinese
 * edition) §2.6, AT+SSLOPT).  The module checks only when AT+SSLOPT option 0 is 0 and it has
 * something to check against: a certificate imported with AT+SSLSETCERT or AT+SSLSETROOT, or its
 * firmware's built-in store (--ca-file / [tls] ca_file).  SIMCom's modules hold no built-in CA, and
 * HTTPS to public servers works on them with nothing imported and no AT+SSLOPT sent, so a fresh
 * module accepts any certificate.  [tls] verify = always / never lets the operator override that
 * for every connection. */
static void decide_verify(const struct modem *m, struct tls_choice *out)
{
    const struct net_config *cfg = net_config();
    const char *ca_file = cfg ? cfg->ca_file : "";
    char anchors[sizeof(out->trust) - 32];
    describe_anchors(ca_file, out->nanchors, anchors, sizeof(anchors));
    switch (m->profile->tls_verify) {
    case TLS_VERIFY_NEVER:
        out->verify = false;
        snprintf(out->trust, sizeof(out->trust), "[tls] verify = never");
        return;
    case TLS_VERIFY_ALWAYS:
        out->verify = true;
        snprintf(out->trust, sizeof(out->trust), "%s ([tls] verify = always)", anchors);
        return;
    default:
        break;
    }
    if (ssl_of(m)->ignore_invalid) {
        out->verify = false;
        snprintf(out->trust, sizeof(out->trust), "AT+SSLOPT=0,1 accepts any certificate");
    } else if (!ca_file[0] && out->nanchors == 0) {
        out->verify = false;
        snprintf(out->trust, sizeof(out->trust),
                 "no trust anchor (nothing imported, no --ca-file)");
    } else {
        out->verify = true;
        snprintf(out->trust, sizeof(out->trust), "%s", anchors);
    }
}

void ssl_choice_for(const struct modem *m, struct tls_choice *out)
{
    const struct profile *p = m->profile;
    const struct cert_bundle *imp = &ssl_of(m)->imported;
    memset(out, 0, sizeof(*out));
    out->policy.min_version = p->tls_min;
    out->policy.max_version = p->tls_max;
    str_copy(out->policy.ciphers, sizeof(out->policy.ciphers), p->tls_ciphers);
    out->policy.send_sni = p->tls_sni;
    /* SIMCom's SSL notes leave open what the import is (our choice): a certificate alone
     * is trusted as a root (TinyGSM's use); one with its private key is the
     * client certificate (the note V1.05), presented when AT+SSLOPT=1,1 and
     * the firmware supports it, and a CA that comes with it is trusted. */
    if (imp->key) {
        if (imp->ca)
            out->anchors[out->nanchors++] = imp->ca;
        if (ssl_of(m)->client_auth && (p->features & PROFILE_FEAT_SSL_CLIENT)) {
            out->client_cert = imp->cert;
            out->client_key = imp->key;
        }
    } else if (imp->cert) {
        out->anchors[out->nanchors++] = imp->cert;
    }
    /* The roots of AT+SSLSETROOT (later firmware: SSL application note V1.03 and later). */
    for (int i = 0; i < ssl_of(m)->nroots && out->nanchors < TLS_ANCHORS_MAX; i++)
        out->anchors[out->nanchors++] = ssl_of(m)->roots[i].cert;
    decide_verify(m, out);
}

static int cmd_sslopt(struct modem *m, struct at_req *r)
{
    long opt, enable;
    switch (r->form) {
    case AT_FORM_TEST:
        at_info(m, "+SSLOPT: (0-1),(0-1)");
        return AT_OK;
    case AT_FORM_READ:
        at_info(m, "+SSLOPT: 0,%d\r\n+SSLOPT: 1,%d", ssl_of(m)->ignore_invalid,
                ssl_of(m)->client_auth);
        return AT_OK;
    default:
        if (at_arg_int(&r->args, 0, 1, &opt) != AT_ARG_OK ||
            at_arg_int(&r->args, 0, 1, &enable) != AT_ARG_OK || !at_args_done(&r->args))
            return AT_ERROR;
        if (opt == 0)
            ssl_of(m)->ignore_invalid = enable;
        else
            ssl_of(m)->client_auth = enable;
        return AT_OK;
    }
}

/* SIM800 SSL Application Note (Chinese edition) §2.5: at most 100 characters of file name (path
 * included) and 32 of password; the test form's literal is implied by those (UNCERTAIN). */
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
    /* OK first, then the outcome (drivers wait for it after OK, as TinyGSM does). */
    struct bytebuf data = {0};
    int result = 1;
    if (fs_read_file(m, file, &data) == 0) {
        struct cert_bundle b;
        if (cert_import(bytebuf_head(&data), bytebuf_pending(&data), password, &b) ==
            CERT_IMPORT_OK) {
            /* One certificate at a time: the last import wins. */
            cert_bundle_free(&ssl_of(m)->imported);
            ssl_of(m)->imported = b;
            result = 0;
        }
    }
    bytebuf_free(&data);
    at_urc(m, "+SSLSETCERT: %d", result);
    return AT_OK;
}

/* --- the root store of later firmware (SSL application note V1.03 and later: AT+SSLSETROOT & co.)
 * --- */

#define CLIENT_CERT_ID 1014 /* the number the note's AT+SSLDECLI? example lists */

static int cmd_sslsetroot(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    char file[SSLSETCERT_FILE_MAX + 1];
    long size;
    if (at_arg_str(&r->args, file, sizeof(file), NULL) != AT_ARG_OK ||
        at_arg_int(&r->args, 1, 65536, &size) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    struct bytebuf data = {0};
    X509 *cert = NULL;
    /* The file must hold one DER certificate of exactly <filesize> bytes. */
    if (fs_read_file(m, file, &data) == 0 && bytebuf_pending(&data) == (size_t)size) {
        const unsigned char *p = bytebuf_head(&data);
        cert = d2i_X509(NULL, &p, (long)size);
        if (cert && p != bytebuf_head(&data) + size) {
            X509_free(cert);
            cert = NULL;
        }
    }
    bytebuf_free(&data);
    if (!cert)
        return AT_ERROR;
    for (int i = 0; i < ssl_of(m)->nroots; i++) {
        if (X509_cmp(ssl_of(m)->roots[i].cert, cert) == 0) {
            X509_free(cert);
            at_info(m, "Certificate already exists!");
            return AT_OK;
        }
    }
    if (ssl_of(m)->nroots >= SSL_ROOTS_MAX) {
        X509_free(cert);
        return AT_ERROR;
    }
    ssl_of(m)->roots[ssl_of(m)->nroots].id = ssl_of(m)->next_root_id++;
    ssl_of(m)->roots[ssl_of(m)->nroots].cert = cert;
    ssl_of(m)->nroots++;
    return AT_OK;
}

static int cmd_sslderoot(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    struct ssl_state *s = ssl_of(m);
    if (r->form == AT_FORM_READ) {
        char buf[SSL_ROOTS_MAX * 8 + 1] = "";
        size_t n = 0;
        for (int i = 0; i < s->nroots; i++)
            n +=
                (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%d", i ? "\r\n" : "", s->roots[i].id);
        if (n)
            at_info(m, "%s", buf);
        return AT_OK;
    }
    long id;
    if (at_arg_int(&r->args, 0, 99999, &id) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    for (int i = 0; i < s->nroots; i++) {
        if (s->roots[i].id == id) {
            X509_free(s->roots[i].cert);
            memmove(&s->roots[i], &s->roots[i + 1],
                    (size_t)(s->nroots - i - 1) * sizeof(s->roots[0]));
            s->nroots--;
            at_info(m, "+SSLDEROOT: 0");
            return AT_OK;
        }
    }
    at_info(m, "+SSLDEROOT: 13"); /* no such file (SSL application note V1.05) */
    return AT_OK;
}

static int cmd_ssldecli(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    bool have = ssl_of(m)->imported.key != NULL;
    if (r->form == AT_FORM_READ) {
        if (have)
            at_info(m, "%d", CLIENT_CERT_ID);
        return AT_OK;
    }
    long id;
    if (at_arg_int(&r->args, 0, 99999, &id) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    if (!have || id != CLIENT_CERT_ID) {
        at_info(m, "+SSLDECLI: 13");
        return AT_OK;
    }
    cert_bundle_free(&ssl_of(m)->imported);
    at_info(m, "+SSLDECLI: 0");
    return AT_OK;
}

static const struct at_cmd rows[] = {
    {"+SSLSETROOT", AT_FORM_TEST | AT_FORM_WRITE, PROFILE_FEAT_SSL_ROOTS | PROFILE_FEAT_FS,
     cmd_sslsetroot, NULL},
    {"+SSLDEROOT", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, PROFILE_FEAT_SSL_ROOTS,
     cmd_sslderoot, NULL},
    {"+SSLDECLI", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, PROFILE_FEAT_SSL_ROOTS, cmd_ssldecli,
     NULL},
    {"+SSLOPT", AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE, PROFILE_FEAT_SSL, cmd_sslopt, NULL},
    {"+SSLSETCERT", AT_FORM_TEST | AT_FORM_WRITE, PROFILE_FEAT_SSL | PROFILE_FEAT_FS,
     cmd_sslsetcert, NULL},
};

static const struct at_cmd_table cmd_ssl_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};

/* --- the service --- */

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    ssl_init(m);
    return 0;
}

/* The imported certificates and SSLOPT are RAM state: a power cycle loses
 * them; a power-down needs nothing freed until the modem goes. */
static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    if (why == SERVICE_POWER_OFF)
        return;
    ssl_free(m);
    if (why == SERVICE_POWER_CYCLE)
        ssl_init(m);
}

static const struct at_cmd_table *const tables[] = {&cmd_ssl_table, NULL};

const struct service ssl_service = {
    .name = "ssl",
    .tables = tables,
    .state_size = sizeof(struct ssl_state),
    .init = service_init,
    .reset = service_reset,
};
