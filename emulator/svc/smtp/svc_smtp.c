/* AT+SMTP*: the module's mail sender (SIM800 AT Command Manual V1.09
 * §14.2.3-14.2.12; the SSL Application Note §2.1 and examples 3.1/3.2).
 * The service owns the mail being composed; a send speaks ESMTP over
 * net/linecli: EHLO (HELO if refused), STARTTLS under AT+EMAILSSL=2, AUTH
 * PLAIN, LOGIN or CRAM-MD5, MAIL, RCPT, DATA with dot-stuffing, QUIT, and
 * streams an attachment the host sends with AT+SMTPFT.  The manual says
 * nothing of the dialogue or the message layout; both are ours (README). */
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smtp.h"

#include "email.h"
#include "linecli.h"
#include "modem.h"
#include "reply.h"
#include "reply_parser.h"
#include "smtp_codes.h"
#include "smtp_compose.h"
#include "ssl.h"
#include "trace.h"

#define FT_QUEUE_MAX (256u * 1024u) /* written but unsent bytes before +SMTPFT: 1 waits */

static const char *smtp_ehlo(const struct modem *m)
{
    return m->profile->email_ehlo[0] ? m->profile->email_ehlo : "sim800";
}

enum step {
    ST_GREETING,
    ST_EHLO,
    ST_HELO,
    ST_STARTTLS,
    ST_AUTH_PLAIN,
    ST_AUTH_LOGIN,      /* "AUTH LOGIN" sent, 334 for the user name awaited */
    ST_AUTH_LOGIN_USER, /* user name sent, 334 for the password awaited */
    ST_AUTH_LOGIN_PASS, /* password sent */
    ST_AUTH_CRAM,       /* "AUTH CRAM-MD5" sent, the challenge awaited */
    ST_AUTH_CRAM_RESP,
    ST_MAIL,
    ST_RCPT,
    ST_DATA,
    ST_ATTACH, /* the host streams the attachment with AT+SMTPFT */
    ST_DOT,
    ST_QUIT, /* QUIT sent; code holds the result */
    ST_OVER, /* ended; the URC is on its way */
};

struct smtp_send {
    struct modem *m;
    struct linecli *lc;
    enum step step;
    bool greeted;
    bool tls_up;
    bool offers_starttls;
    bool auth_plain, auth_login, auth_cram;
    struct tls_choice tls;
    int rcpt_type, rcpt_index; /* the RCPT being sent */
    char boundary[48];
    struct smtp_stuffer stuff;
    struct smtp_b64 b64;
    bool ft_ready;   /* +SMTPFT: 1 was given, AT+SMTPFT may send */
    int file;        /* the attachment being streamed */
    ev_timer report; /* the URC after OK, from the loop */
    ev_timer drain;  /* waits for the write queue before +SMTPFT: 1 */
    int code;
};

/* --- the end of a send --- */

static void send_free(struct smtp_send *s)
{
    ev_timer_stop(s->m->loop, &s->report);
    ev_timer_stop(s->m->loop, &s->drain);
    linecli_free(s->lc);
    tls_choice_clear(&s->tls);
    free(s);
}

static void report_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct smtp_send *s = t->data;
    struct modem *m = s->m;
    smtp_of(m)->active = NULL;
    email_release(m, EMAIL_SMTP);
    int code = s->code;
    send_free(s);
    at_urc(m, "+SMTPSEND: %d", code);
}

static void report_soon(struct smtp_send *s)
{
    s->step = ST_OVER;
    ev_timer_stop(s->m->loop, &s->drain);
    ev_timer_set(&s->report, 0., 0.);
    ev_timer_start(s->m->loop, &s->report);
}

/* Ends the send with fact: over a live session after QUIT and its reply
 * (the server then closes in order), else at once. */
static void finish(struct smtp_send *s, enum smtp_fact fact, enum net_err err)
{
    if (s->step == ST_OVER || s->step == ST_QUIT)
        return;
    s->code = smtp_code_for(fact, err);
    trace_note(s->m->id, "smtp", "send ended: +SMTPSEND: %d%s%s", s->code, s->lc ? " " : "",
               s->lc ? linecli_error_detail(s->lc) : "");
    if (s->lc && fact != SMTP_FAIL_NET && fact != SMTP_FAIL_CONNECT &&
        fact != SMTP_FAIL_NO_BEARER && !linecli_busy(s->lc)) {
        s->step = ST_QUIT;
        if (linecli_send(s->lc, 0, "QUIT") == 0)
            return;
    }
    linecli_free(s->lc);
    s->lc = NULL;
    report_soon(s);
}

/* QUIT answered (or the server went away meanwhile): close and report. */
static void quit_done(struct smtp_send *s)
{
    if (s->lc)
        linecli_quit(s->lc, NULL);
    s->lc = NULL;
    report_soon(s);
}

/* --- composing --- */

static bool charset_ascii(const struct smtp_state *st)
{
    return !st->charset[0] || ascii_ieq(st->charset, "ASCII") || ascii_ieq(st->charset, "US-ASCII");
}

static void append_address(struct bytebuf *b, const char *name, const char *addr)
{
    if (name[0]) {
        bytebuf_append_str(b, "\"");
        bytebuf_append_str(b, name);
        bytebuf_append_str(b, "\" <");
        bytebuf_append_str(b, addr);
        bytebuf_append_str(b, ">");
    } else {
        bytebuf_append_str(b, addr);
    }
}

static void append_rcpt_header(struct bytebuf *b, const struct smtp_state *st, int type,
                               const char *field)
{
    bool any = false;
    for (int i = 0; i < SMTP_RCPT_INDEXES; i++) {
        const struct smtp_rcpt *r = &st->rcpt[type][i];
        if (!r->used)
            continue;
        bytebuf_append_str(b, any ? ",\r\n " : field);
        append_address(b, r->name, r->addr);
        any = true;
    }
    if (any)
        bytebuf_append_str(b, "\r\n");
}

/* Subject: as given under ASCII, else an RFC 2047 encoded word of the
 * decoded hex (the manual's hex input for other charsets). */
static void append_subject(struct bytebuf *b, const struct smtp_state *st)
{
    bytebuf_append_str(b, "Subject: ");
    if (charset_ascii(st)) {
        bytebuf_append_str(b, st->subject);
    } else {
        struct bytebuf raw = {0};
        smtp_hex_decode(st->subject, strlen(st->subject), &raw);
        char enc[SMTP_SUB_MAX * 2 + 8];
        smtp_b64_string(enc, sizeof(enc), bytebuf_head(&raw), bytebuf_pending(&raw));
        bytebuf_free(&raw);
        bytebuf_append_str(b, "=?");
        bytebuf_append_str(b, st->charset);
        bytebuf_append_str(b, "?B?");
        bytebuf_append_str(b, enc);
        bytebuf_append_str(b, "?=");
    }
    bytebuf_append_str(b, "\r\n");
}

static bool has_high_bytes(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] & 0x80)
            return true;
    return false;
}

/* The text part's headers and content (already transparent-stuffed into out). */
static void append_text_part(struct smtp_send *s, struct bytebuf *out)
{
    const struct smtp_state *st = smtp_of(s->m);
    struct bytebuf part = {0};
    char line[128];
    if (charset_ascii(st)) {
        const uint8_t *p = bytebuf_head(&st->body);
        size_t n = bytebuf_pending(&st->body);
        bytebuf_append_str(&part, "Content-Type: text/plain; charset=us-ascii\r\n");
        snprintf(line, sizeof(line), "Content-Transfer-Encoding: %s\r\n\r\n",
                 has_high_bytes(p, n) ? "8bit" : "7bit");
        bytebuf_append_str(&part, line);
        bytebuf_append(&part, p, n);
        smtp_stuff(&s->stuff, out, bytebuf_head(&part), bytebuf_pending(&part));
        smtp_stuff_end_line(&s->stuff, out);
    } else {
        struct bytebuf raw = {0};
        smtp_hex_decode((const char *)bytebuf_head(&st->body), bytebuf_pending(&st->body), &raw);
        snprintf(
            line, sizeof(line),
            "Content-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: base64\r\n\r\n",
            st->charset);
        bytebuf_append_str(&part, line);
        struct smtp_b64 b;
        smtp_b64_init(&b);
        smtp_b64_encode(&b, &part, bytebuf_head(&raw), bytebuf_pending(&raw));
        smtp_b64_finish(&b, &part);
        bytebuf_free(&raw);
        smtp_stuff(&s->stuff, out, bytebuf_head(&part), bytebuf_pending(&part));
        smtp_stuff_end_line(&s->stuff, out);
    }
    bytebuf_free(&part);
}

/* Everything before the attachment's content (or the whole message
 * without its terminator when there is none). */
static void compose_head(struct smtp_send *s, struct bytebuf *out)
{
    const struct smtp_state *st = smtp_of(s->m);
    struct bytebuf h = {0};
    char line[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(line, sizeof(line), "Date: %a, %d %b %Y %H:%M:%S +0000\r\n", &tm);
    bytebuf_append_str(&h, line);
    bytebuf_append_str(&h, "From: ");
    append_address(&h, st->from_name, st->from_addr);
    bytebuf_append_str(&h, "\r\n");
    append_rcpt_header(&h, st, 0, "To: ");
    append_rcpt_header(&h, st, 1, "Cc: ");
    append_subject(&h, st);
    const char *at = strchr(st->from_addr, '@');
    snprintf(line, sizeof(line), "Message-ID: <%lx.%08x@%s>\r\nMIME-Version: 1.0\r\n",
             (unsigned long)now, (unsigned)random(), at && at[1] ? at + 1 : smtp_ehlo(s->m));
    bytebuf_append_str(&h, line);
    if (st->nfiles) {
        snprintf(s->boundary, sizeof(s->boundary), "=_sim800_%08x%08x", (unsigned)random(),
                 (unsigned)now);
        snprintf(line, sizeof(line),
                 "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                 "This is a multi-part message in MIME format.\r\n\r\n--%s\r\n",
                 s->boundary, s->boundary);
        bytebuf_append_str(&h, line);
    }
    smtp_stuff(&s->stuff, out, bytebuf_head(&h), bytebuf_pending(&h));
    bytebuf_free(&h);
    append_text_part(s, out);
}

/* The part headers of attachment s->file; its content follows. */
static void begin_attachment(struct smtp_send *s, struct bytebuf *out)
{
    const struct smtp_file *f = &smtp_of(s->m)->files[s->file];
    char line[512];
    snprintf(line, sizeof(line),
             "--%s\r\nContent-Type: %s; name=\"%s\"\r\nContent-Transfer-Encoding: %s\r\n"
             "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n",
             s->boundary, f->type == 1 ? "text/plain" : "application/octet-stream", f->name,
             f->encode ? "base64" : "7bit", f->name);
    smtp_stuff(&s->stuff, out, (const uint8_t *)line, strlen(line));
    smtp_b64_init(&s->b64);
}

/* The end of attachment s->file's content.  The CR LF before a boundary
 * belongs to the boundary (RFC 2046 §5.1.1): a 7bit attachment gets one of
 * its own, so that it arrives exactly as the host sent it. */
static void end_attachment(struct smtp_send *s, struct bytebuf *out)
{
    if (smtp_of(s->m)->files[s->file].encode)
        smtp_b64_refold_finish(&s->b64, out);
    else
        bytebuf_append_str(out, "\r\n");
    smtp_stuff_init(&s->stuff);
}

/* --- the dialogue --- */

static void send_cmd(struct smtp_send *s, enum step next, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void send_cmd(struct smtp_send *s, enum step next, const char *fmt, ...)
{
    char line[1100];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    s->step = next;
    if (n < 0 || (size_t)n >= sizeof(line) || linecli_send(s->lc, 0, "%s", line) < 0)
        finish(s, SMTP_FAIL_NET, NET_EPROTO);
}

static void parse_ehlo(struct smtp_send *s, const char *text)
{
    s->offers_starttls = s->auth_plain = s->auth_login = s->auth_cram = false;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[512];
        if (len >= 4 && len - 4 < sizeof(buf)) {
            memcpy(buf, line + 4, len - 4);
            buf[len - 4] = '\0';
            for (char *c = buf; *c; c++)
                *c = ascii_upper(*c);
            if (!strcmp(buf, "STARTTLS"))
                s->offers_starttls = true;
            if (!strncmp(buf, "AUTH ", 5) || !strncmp(buf, "AUTH=", 5)) {
                char *save = NULL;
                for (char *w = strtok_r(buf + 5, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                    s->auth_plain |= !strcmp(w, "PLAIN");
                    s->auth_login |= !strcmp(w, "LOGIN");
                    s->auth_cram |= !strcmp(w, "CRAM-MD5");
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
}

static void send_mail_from(struct smtp_send *s)
{
    send_cmd(s, ST_MAIL, "MAIL FROM:<%s>", smtp_of(s->m)->from_addr);
}

/* The next recipient from (rcpt_type, rcpt_index) on; false when none is left. */
static bool next_rcpt(struct smtp_send *s)
{
    const struct smtp_state *st = smtp_of(s->m);
    for (; s->rcpt_type < SMTP_RCPT_TYPES; s->rcpt_type++, s->rcpt_index = 0)
        for (; s->rcpt_index < SMTP_RCPT_INDEXES; s->rcpt_index++)
            if (st->rcpt[s->rcpt_type][s->rcpt_index].used) {
                send_cmd(s, ST_RCPT, "RCPT TO:<%s>", st->rcpt[s->rcpt_type][s->rcpt_index].addr);
                s->rcpt_index++;
                return true;
            }
    return false;
}

static void start_auth(struct smtp_send *s)
{
    const struct smtp_state *st = smtp_of(s->m);
    if (s->auth_plain) {
        char raw[SMTP_USER_MAX + SMTP_PASS_MAX + 3];
        size_t ul = strlen(st->user), pl = strlen(st->pass);
        raw[0] = '\0';
        memcpy(raw + 1, st->user, ul);
        raw[1 + ul] = '\0';
        memcpy(raw + 2 + ul, st->pass, pl);
        char enc[256];
        smtp_b64_string(enc, sizeof(enc), raw, ul + pl + 2);
        send_cmd(s, ST_AUTH_PLAIN, "AUTH PLAIN %s", enc);
    } else if (s->auth_login) {
        send_cmd(s, ST_AUTH_LOGIN, "AUTH %s", "LOGIN");
    } else if (s->auth_cram) {
        send_cmd(s, ST_AUTH_CRAM, "AUTH %s", "CRAM-MD5");
    } else {
        /* No AUTH offered: try without; a 530 to MAIL gives 66. */
        send_mail_from(s);
    }
}

static void after_ehlo(struct smtp_send *s)
{
    const struct email_state *e = email_settings(s->m);
    if (e->ssl == EMAIL_SSL_STARTTLS && !s->tls_up) {
        if (!s->offers_starttls) {
            finish(s, SMTP_FAIL_NO_STARTTLS, NET_OK);
            return;
        }
        send_cmd(s, ST_STARTTLS, "%s", "STARTTLS");
        return;
    }
    if (smtp_of(s->m)->auth_type == 1)
        start_auth(s);
    else
        send_mail_from(s);
}

static void send_b64_secret(struct smtp_send *s, enum step next, const char *text)
{
    char enc[256];
    smtp_b64_string(enc, sizeof(enc), text, strlen(text));
    s->step = next;
    /* A SASL response, not a command: no reply fault takes it for a verb. */
    if (linecli_send(s->lc, LINECLI_CONTINUATION, "%s", enc) < 0)
        finish(s, SMTP_FAIL_NET, NET_EPROTO);
}

static void cram_response(struct smtp_send *s, const char *text)
{
    const struct smtp_state *st = smtp_of(s->m);
    /* "334 <base64 challenge>" */
    const char *c64 = reply_last_line_text(text);
    unsigned char chal[512];
    int n = EVP_DecodeBlock(chal, (const unsigned char *)c64, (int)strnlen(c64, 680));
    if (n < 0) {
        finish(s, SMTP_FAIL_AUTH, NET_OK);
        return;
    }
    size_t len = strlen(c64);
    while (len > 0 && c64[len - 1] == '=') { /* EVP_DecodeBlock counts the padding */
        n--;
        len--;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0;
    HMAC(EVP_md5(), st->pass, (int)strlen(st->pass), chal, (size_t)n, mac, &maclen);
    char resp[SMTP_USER_MAX + 2 + 2 * EVP_MAX_MD_SIZE + 1];
    int o = snprintf(resp, sizeof(resp), "%s ", st->user);
    for (unsigned i = 0; i < maclen && o + 2 < (int)sizeof(resp); i++)
        o += snprintf(resp + o, sizeof(resp) - (size_t)o, "%02x", mac[i]);
    send_b64_secret(s, ST_AUTH_CRAM_RESP, resp);
}

static void write_out(struct smtp_send *s, struct bytebuf *b)
{
    linecli_write(s->lc, bytebuf_head(b), bytebuf_pending(b));
    bytebuf_free(b);
}

/* The end of the message: the closing boundary, the terminator, the reply. */
static void end_message(struct smtp_send *s)
{
    struct bytebuf out = {0};
    if (smtp_of(s->m)->nfiles) {
        char line[80];
        snprintf(line, sizeof(line), "--%s--\r\n", s->boundary);
        bytebuf_append_str(&out, line);
    }
    write_out(s, &out);
    /* The terminator as a command of its own: its reply is the message's
     * verdict, which a reply fault can replace (reply-to=.). */
    send_cmd(s, ST_DOT, "%s", ".");
}

static void drain_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    struct smtp_send *s = t->data;
    struct conn *c = s->lc ? linecli_conn(s->lc) : NULL;
    if (s->step != ST_ATTACH || !c)
        return;
    if (conn_unsent(c) > FT_QUEUE_MAX) {
        ev_timer_set(t, 0.01, 0.);
        ev_timer_start(loop, t);
        return;
    }
    s->ft_ready = true;
    at_urc(s->m, "+SMTPFT: 1,%d", s->m->profile->email_ft_max);
}

static void ft_offer(struct smtp_send *s)
{
    ev_timer_set(&s->drain, 0., 0.);
    ev_timer_start(s->m->loop, &s->drain);
}

static void on_reply(struct linecli *lc, void *ud, const struct linecli_reply *r)
{
    (void)lc;
    struct smtp_send *s = ud;
    const struct smtp_state *st = smtp_of(s->m);
    switch (s->step) {
    case ST_GREETING:
        s->greeted = true;
        if (r->code != 220) {
            finish(s, SMTP_FAIL_REJECTED, NET_OK);
            return;
        }
        send_cmd(s, ST_EHLO, "EHLO %s", smtp_ehlo(s->m));
        return;
    case ST_EHLO:
        if (!r->ok) {
            send_cmd(s, ST_HELO, "HELO %s", smtp_ehlo(s->m));
            return;
        }
        parse_ehlo(s, r->text);
        after_ehlo(s);
        return;
    case ST_HELO:
        if (!r->ok) {
            finish(s, SMTP_FAIL_REJECTED, NET_OK);
            return;
        }
        parse_ehlo(s, "");
        after_ehlo(s);
        return;
    case ST_STARTTLS:
        if (r->code != 220) {
            finish(s, SMTP_FAIL_NO_STARTTLS, NET_OK);
            return;
        }
        if (linecli_start_tls(s->lc, &s->tls, NULL) < 0)
            finish(s, SMTP_FAIL_NET, NET_EPROTO);
        return;
    case ST_AUTH_PLAIN:
    case ST_AUTH_LOGIN_PASS:
    case ST_AUTH_CRAM_RESP:
        if (r->code != 235) {
            finish(s, SMTP_FAIL_AUTH, NET_OK);
            return;
        }
        send_mail_from(s);
        return;
    case ST_AUTH_LOGIN:
        if (r->code != 334) {
            finish(s, SMTP_FAIL_AUTH, NET_OK);
            return;
        }
        send_b64_secret(s, ST_AUTH_LOGIN_USER, st->user);
        return;
    case ST_AUTH_LOGIN_USER:
        if (r->code != 334) {
            finish(s, SMTP_FAIL_AUTH, NET_OK);
            return;
        }
        send_b64_secret(s, ST_AUTH_LOGIN_PASS, st->pass);
        return;
    case ST_AUTH_CRAM:
        if (r->code != 334) {
            finish(s, SMTP_FAIL_AUTH, NET_OK);
            return;
        }
        cram_response(s, r->text);
        return;
    case ST_MAIL:
        if (!r->ok) {
            finish(s, r->code == 530 ? SMTP_FAIL_AUTH_NEEDED : SMTP_FAIL_REJECTED, NET_OK);
            return;
        }
        s->rcpt_type = s->rcpt_index = 0;
        if (!next_rcpt(s))
            finish(s, SMTP_FAIL_RCPT, NET_OK); /* nobody to send to */
        return;
    case ST_RCPT:
        if (!r->ok) {
            finish(s, r->code == 530 ? SMTP_FAIL_AUTH_NEEDED : SMTP_FAIL_RCPT, NET_OK);
            return;
        }
        if (!next_rcpt(s))
            send_cmd(s, ST_DATA, "%s", "DATA");
        return;
    case ST_DATA: {
        if (r->code != 354) {
            finish(s, SMTP_FAIL_REJECTED, NET_OK);
            return;
        }
        struct bytebuf out = {0};
        smtp_stuff_init(&s->stuff);
        compose_head(s, &out);
        write_out(s, &out);
        if (st->nfiles) {
            s->file = 0;
            begin_attachment(s, &out);
            write_out(s, &out);
            s->step = ST_ATTACH;
            ft_offer(s);
        } else {
            end_message(s);
        }
        return;
    }
    case ST_DOT:
        finish(s, r->ok ? SMTP_DONE : SMTP_FAIL_REJECTED, NET_OK);
        return;
    case ST_QUIT:
        quit_done(s);
        return;
    case ST_ATTACH:
    case ST_OVER:
        return;
    }
}

static void on_failed(struct linecli *lc, void *ud, enum net_err err)
{
    struct smtp_send *s = ud;
    trace_note(s->m->id, "smtp", "connection: %s (%s)", net_err_name(err),
               linecli_error_detail(lc));
    linecli_free(lc);
    s->lc = NULL;
    if (s->step == ST_QUIT)
        report_soon(s); /* the result stands */
    else
        finish(s, s->greeted ? SMTP_FAIL_NET : SMTP_FAIL_CONNECT, err);
}

static void on_upgraded(struct linecli *lc, void *ud)
{
    (void)lc;
    struct smtp_send *s = ud;
    s->tls_up = true;
    send_cmd(s, ST_EHLO, "EHLO %s", smtp_ehlo(s->m)); /* RFC 3207: forget what was learnt */
}

static const struct linecli_handlers handlers = {
    .reply = on_reply,
    .failed = on_failed,
    .upgraded = on_upgraded,
};

static void send_start(struct modem *m)
{
    struct smtp_state *st = smtp_of(m);
    struct smtp_send *s = xcalloc(1, sizeof(*s));
    s->m = m;
    s->step = ST_GREETING;
    ev_timer_init(&s->report, report_cb, 0., 0.);
    s->report.data = s;
    ev_timer_init(&s->drain, drain_cb, 0., 0.);
    s->drain.data = s;
    st->active = s;
    if (!email_bearer_open(m)) {
        finish(s, SMTP_FAIL_NO_BEARER, NET_OK);
        return;
    }
    s->lc = email_session_open(m, false, st->server, st->port, 0, &s->tls, &handlers, s);
}

/* --- commands --- */

#define BUSY(st) ((st)->active != NULL)

/* Text that goes into a header or a command: no control bytes (a line
 * break would start a header or a command of its own). */
static bool clean_text(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            return false;
    return true;
}

/* An address inside "<...>": clean, and no space, '<' or '>'. */
static bool clean_addr(const char *v) { return clean_text(v) && !strpbrk(v, " <>"); }

static int cmd_smtpsrv(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPSRV: %d,(1-65535)", SMTP_SERVER_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+SMTPSRV: \"%s\",%d", st->server,
                st->port ? st->port : email_default_port(m, false));
        return AT_OK;
    }
    char server[SMTP_SERVER_MAX + 1];
    long port = 0;
    if (at_arg_str(&r->args, server, sizeof(server), NULL) != AT_ARG_OK || !server[0])
        return AT_ERROR;
    enum at_arg_status ps = at_arg_int(&r->args, 1, 65535, &port);
    if (ps == AT_ARG_BAD || !at_args_done(&r->args) || BUSY(st))
        return AT_ERROR;
    str_copy(st->server, sizeof(st->server), server);
    st->port = ps == AT_ARG_OK ? (int)port : 0;
    return AT_OK;
}

static int cmd_smtpauth(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPAUTH: (0-1),%d,%d", SMTP_USER_MAX, SMTP_PASS_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+SMTPAUTH: %d,\"%s\",\"%s\"", st->auth_type, st->user, st->pass);
        return AT_OK;
    }
    long type;
    char user[SMTP_USER_MAX + 1] = "", pass[SMTP_PASS_MAX + 1] = "";
    if (at_arg_int(&r->args, 0, 1, &type) != AT_ARG_OK)
        return AT_ERROR;
    if (type == 1) {
        if (at_arg_str(&r->args, user, sizeof(user), NULL) != AT_ARG_OK ||
            at_arg_str(&r->args, pass, sizeof(pass), NULL) != AT_ARG_OK)
            return AT_ERROR;
    }
    /* Type 0 takes no user name or password (manual §14.2.4). */
    if (!at_args_done(&r->args) || BUSY(st) || !clean_text(user) || !clean_text(pass))
        return AT_ERROR;
    st->auth_type = (int)type;
    str_copy(st->user, sizeof(st->user), user);
    str_copy(st->pass, sizeof(st->pass), pass);
    return AT_OK;
}

static int cmd_smtpfrom(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPFROM: %d,%d", SMTP_ADDR_MAX, SMTP_NAME_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+SMTPFROM: \"%s\",\"%s\"", st->from_addr, st->from_name);
        return AT_OK;
    }
    char addr[SMTP_ADDR_MAX + 1], name[SMTP_NAME_MAX + 1] = "";
    if (at_arg_str(&r->args, addr, sizeof(addr), NULL) != AT_ARG_OK || !addr[0] ||
        at_arg_str(&r->args, name, sizeof(name), NULL) == AT_ARG_BAD || !at_args_done(&r->args) ||
        BUSY(st) || !clean_addr(addr) || !clean_text(name))
        return AT_ERROR;
    str_copy(st->from_addr, sizeof(st->from_addr), addr);
    str_copy(st->from_name, sizeof(st->from_name), name);
    return AT_OK;
}

static int cmd_smtprcpt(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPRCPT: (0-2),(0-%d),%d,%d", SMTP_RCPT_INDEXES - 1, SMTP_ADDR_MAX,
                SMTP_NAME_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        /* One information response, its entries joined by a single CR LF
         * (manual §14.2.6), not one response each. */
        struct bytebuf out = {0};
        char line[SMTP_ADDR_MAX + SMTP_NAME_MAX + 40];
        for (int t = 0; t < SMTP_RCPT_TYPES; t++)
            for (int i = 0; i < SMTP_RCPT_INDEXES; i++)
                if (st->rcpt[t][i].used) {
                    snprintf(line, sizeof(line), "%s+SMTPRCPT: %d,%d,\"%s\",\"%s\"",
                             bytebuf_pending(&out) ? "\r\n" : "", t, i, st->rcpt[t][i].addr,
                             st->rcpt[t][i].name);
                    bytebuf_append_str(&out, line);
                }
        if (bytebuf_pending(&out))
            at_info_len(m, (const char *)bytebuf_head(&out), bytebuf_pending(&out));
        bytebuf_free(&out);
        return AT_OK;
    }
    long type, index;
    char addr[SMTP_ADDR_MAX + 1], name[SMTP_NAME_MAX + 1] = "";
    if (at_arg_int(&r->args, 0, 2, &type) != AT_ARG_OK || BUSY(st))
        return AT_ERROR;
    enum at_arg_status is = at_arg_int(&r->args, 0, SMTP_RCPT_INDEXES - 1, &index);
    if (is == AT_ARG_BAD)
        return AT_ERROR;
    if (is == AT_ARG_ABSENT) { /* AT+SMTPRCPT=<type>: every entry of the type goes */
        if (!at_args_done(&r->args))
            return AT_ERROR;
        memset(st->rcpt[type], 0, sizeof(st->rcpt[type]));
        return AT_OK;
    }
    enum at_arg_status as = at_arg_str(&r->args, addr, sizeof(addr), NULL);
    if (as == AT_ARG_BAD)
        return AT_ERROR;
    if (as == AT_ARG_ABSENT) { /* AT+SMTPRCPT=<type>,<index>: that entry goes */
        if (!at_args_done(&r->args))
            return AT_ERROR;
        memset(&st->rcpt[type][index], 0, sizeof(st->rcpt[type][index]));
        return AT_OK;
    }
    if (!addr[0] || at_arg_str(&r->args, name, sizeof(name), NULL) == AT_ARG_BAD ||
        !at_args_done(&r->args) || !clean_addr(addr) || !clean_text(name))
        return AT_ERROR;
    struct smtp_rcpt *e = &st->rcpt[type][index];
    e->used = true; /* an existing index is replaced */
    str_copy(e->addr, sizeof(e->addr), addr);
    str_copy(e->name, sizeof(e->name), name);
    return AT_OK;
}

static int cmd_smtpsub(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPSUB: %d", SMTP_SUB_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+SMTPSUB: \"%s\"", st->subject);
        return AT_OK;
    }
    char sub[SMTP_SUB_MAX + 1];
    if (at_arg_str(&r->args, sub, sizeof(sub), NULL) == AT_ARG_BAD || !at_args_done(&r->args) ||
        BUSY(st) || !clean_text(sub))
        return AT_ERROR;
    if (!charset_ascii(st)) {
        struct bytebuf tmp = {0};
        int bad = smtp_hex_decode(sub, strlen(sub), &tmp);
        bytebuf_free(&tmp);
        if (bad)
            return AT_ERROR; /* other charsets take hex digits (manual §14.2.7) */
    }
    str_copy(st->subject, sizeof(st->subject), sub);
    return AT_OK;
}

static int body_cb(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data, size_t len)
{
    (void)ud;
    struct smtp_state *st = smtp_of(m);
    if (end == AT_DATA_TIMEOUT)
        return AT_ERROR;
    if (end == AT_DATA_CANCEL)
        return AT_OK; /* ESC: the body stays as it was */
    bytebuf_clear(&st->body);
    bytebuf_append(&st->body, data, len);
    return AT_OK;
}

static int cmd_smtpbody(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPBODY: %d", SMTP_BODY_MAX);
        return AT_OK;
    }
    if (BUSY(st))
        return AT_ERROR;
    struct at_data_req req = {.cb = body_cb, .timeout_ms = 120000};
    if (r->form == AT_FORM_EXEC) {
        /* The older form (SIM900 drivers): "> ", text, Ctrl-Z or ESC. */
        req.prompt = "\r\n> ";
        req.max_len = SMTP_BODY_MAX;
    } else {
        long len;
        if (at_arg_int(&r->args, 1, SMTP_BODY_MAX, &len) != AT_ARG_OK || !at_args_done(&r->args))
            return AT_ERROR;
        req.prompt = "\r\nDOWNLOAD\r\n";
        req.fixed_len = (size_t)len;
    }
    at_begin_data(m, &req);
    return AT_PENDING;
}

static int cmd_smtpfile(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPFILE: (0-2),%d,(0-1)", SMTP_FILE_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        if (!st->nfiles) {
            at_info(m, "+SMTPFILE: 0,\"\",0");
            return AT_OK;
        }
        /* Entries joined by a single CR LF, as +SMTPRCPT? (manual §14.2.6). */
        struct bytebuf out = {0};
        char line[SMTP_FILE_MAX + 40];
        for (int i = 0; i < st->nfiles; i++) {
            snprintf(line, sizeof(line), "%s+SMTPFILE: %d,\"%s\",%d", i ? "\r\n" : "",
                     st->files[i].type, st->files[i].name, st->files[i].encode);
            bytebuf_append_str(&out, line);
        }
        at_info_len(m, (const char *)bytebuf_head(&out), bytebuf_pending(&out));
        bytebuf_free(&out);
        return AT_OK;
    }
    long type, enc = 0;
    char name[SMTP_FILE_MAX + 1] = "";
    if (at_arg_int(&r->args, 0, 2, &type) != AT_ARG_OK || BUSY(st))
        return AT_ERROR;
    if (type) {
        if (at_arg_str(&r->args, name, sizeof(name), NULL) != AT_ARG_OK || !name[0] ||
            strpbrk(name, "\"\\") || !clean_text(name) ||
            at_arg_int(&r->args, 0, 1, &enc) != AT_ARG_OK)
            return AT_ERROR;
        /* Text goes 7bit, binary base64 (manual §14.2.9). */
        if ((type == 1 && enc != 0) || (type == 2 && enc != 1))
            return AT_ERROR;
    }
    if (!at_args_done(&r->args))
        return AT_ERROR;
    if (type == 0) {
        st->nfiles = 0;
        return AT_OK;
    }
    /* One description ([email] attachments = 1): a new one replaces it;
     * more: a new name adds one, a known name replaces its entry. */
    int max = m->profile->email_attachments;
    int i = 0;
    if (max > 1)
        while (i < st->nfiles && strcmp(st->files[i].name, name))
            i++;
    if (i >= max || i >= SMTP_FILES_MAX)
        return AT_ERROR;
    st->files[i].type = (int)type;
    str_copy(st->files[i].name, sizeof(st->files[i].name), name);
    st->files[i].encode = (int)enc;
    if (i >= st->nfiles)
        st->nfiles = i + 1;
    return AT_OK;
}

static int cmd_smtpcs(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SMTPCS: %d", SMTP_CS_MAX);
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        at_info(m, "+SMTPCS: \"%s\"", st->charset);
        return AT_OK;
    }
    char cs[SMTP_CS_MAX + 1];
    if (at_arg_str(&r->args, cs, sizeof(cs), NULL) != AT_ARG_OK || !cs[0] ||
        strpbrk(cs, " ;\"?=") || !clean_text(cs) || !at_args_done(&r->args) || BUSY(st))
        return AT_ERROR;
    str_copy(st->charset, sizeof(st->charset), cs);
    return AT_OK;
}

static int cmd_smtpsend(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    if (BUSY(st) || !st->server[0] || !st->from_addr[0])
        return AT_ERROR;
    if (!email_claim(m, EMAIL_SMTP))
        return AT_ERROR; /* a POP3 session is open (manual ch. 14: not both) */
    send_start(m);
    return AT_OK;
}

static int ft_cb(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data, size_t len)
{
    (void)ud;
    struct smtp_send *s = smtp_of(m)->active;
    if (end != AT_DATA_SUBMIT || !s || s->step != ST_ATTACH)
        return AT_ERROR;
    struct bytebuf out = {0};
    if (smtp_of(m)->files[s->file].encode)
        smtp_b64_refold(&s->b64, &out, data, len);
    else
        smtp_stuff(&s->stuff, &out, data, len);
    write_out(s, &out);
    ft_offer(s);
    return AT_OK;
}

static int cmd_smtpft(struct modem *m, struct at_req *r)
{
    struct smtp_state *st = smtp_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    long n;
    if (at_arg_int(&r->args, 0, m->profile->email_ft_max, &n) != AT_ARG_OK ||
        !at_args_done(&r->args))
        return AT_ERROR;
    struct smtp_send *s = st->active;
    if (!s || s->step != ST_ATTACH || !s->ft_ready)
        return AT_ERROR;
    s->ft_ready = false;
    if (n == 0) {
        /* This attachment is complete: the next one, or the end. */
        struct bytebuf out = {0};
        end_attachment(s, &out);
        if (++s->file < st->nfiles) {
            begin_attachment(s, &out);
            write_out(s, &out);
            ft_offer(s);
        } else {
            write_out(s, &out);
            end_message(s);
        }
        return AT_OK;
    }
    snprintf(st->ft_prompt, sizeof(st->ft_prompt), "\r\n+SMTPFT: 2,%ld\r\n", n);
    struct at_data_req req = {
        .prompt = st->ft_prompt,
        .fixed_len = (size_t)n,
        .timeout_ms = 120000,
        .cb = ft_cb,
    };
    at_begin_data(m, &req);
    return AT_PENDING;
}

#define FORMS_TRW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)
static const struct at_cmd rows[] = {
    {"+SMTPSRV", FORMS_TRW, 0, cmd_smtpsrv, NULL},
    {"+SMTPAUTH", FORMS_TRW, 0, cmd_smtpauth, NULL},
    {"+SMTPFROM", FORMS_TRW, 0, cmd_smtpfrom, NULL},
    {"+SMTPRCPT", FORMS_TRW, 0, cmd_smtprcpt, NULL},
    {"+SMTPSUB", FORMS_TRW, 0, cmd_smtpsub, NULL},
    {"+SMTPBODY", AT_FORM_TEST | AT_FORM_WRITE | AT_FORM_EXEC, 0, cmd_smtpbody, NULL},
    {"+SMTPFILE", FORMS_TRW, 0, cmd_smtpfile, NULL},
    {"+SMTPCS", FORMS_TRW, 0, cmd_smtpcs, NULL},
    {"+SMTPSEND", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_smtpsend, NULL},
    {"+SMTPFT", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_smtpft, NULL},
};

static const struct at_cmd_table table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};
static const struct at_cmd_table *const tables[] = {&table, NULL};

/* --- the service --- */

static void defaults(struct smtp_state *st)
{
    bytebuf_free(&st->body);
    memset(st, 0, sizeof(*st));
    str_copy(st->charset, sizeof(st->charset), "ASCII"); /* manual §14.2.12 */
}

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    (void)m;
    (void)err;
    (void)errlen;
    defaults(state);
    return 0;
}

static void drop_active(struct smtp_state *st)
{
    if (st->active)
        send_free(st->active);
    st->active = NULL;
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    (void)m;
    (void)why;
    drop_active(state);
    defaults(state); /* NO_SAVE (manual ch. 14) */
    if (why == SERVICE_DESTROY)
        bytebuf_free(&((struct smtp_state *)state)->body);
}

/* The bearer under a send went away: it ends with 61. */
static void service_event(struct modem *m, void *state, enum modem_event ev, int arg)
{
    struct smtp_state *st = state;
    if (!st->active || st->active->step == ST_OVER)
        return;
    if (ev == MODEM_EV_PDP_DEACT ||
        (ev == MODEM_EV_BEARER_CLOSED && (arg == 0 || arg == email_settings(m)->cid)))
        finish(st->active, SMTP_FAIL_NO_BEARER, NET_OK);
}

/* Every verb send_cmd() sends ("." ends the DATA payload). */
static const char *const smtp_verbs[] = {"EHLO", "HELO", "STARTTLS", "AUTH", "MAIL",
                                         "RCPT", "DATA", ".",        "QUIT", NULL};
static const struct service_conn conns[] = {
    {.tag = "smtp", .style = SERVICE_REPLY_NUMERIC, .verbs = smtp_verbs},
    {.tag = NULL},
};

const struct service smtp_service = {
    .name = "smtp",
    .conns = conns,
    .tables = tables,
    .state_size = sizeof(struct smtp_state),
    .init = service_init,
    .reset = service_reset,
    .event = service_event,
};
