/* One send of AT+SMTPSEND (smtp_client.h): ESMTP over net/linecli: EHLO
 * (HELO if refused), STARTTLS under AT+EMAILSSL=2, AUTH PLAIN, LOGIN or
 * CRAM-MD5, MAIL, RCPT, DATA with dot-stuffing, QUIT, and the attachments
 * the host streams with AT+SMTPFT.  The manual says nothing of the dialogue
 * or the message layout; both are ours (README). */
#include "smtp_client.h"

#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "email.h"
#include "linecli.h"
#include "modem.h"
#include "reply.h"
#include "reply_parser.h"
#include "smtp.h"
#include "smtp_codes.h"
#include "smtp_compose.h"
#include "ssl.h"
#include "trace.h"

#define FT_QUEUE_MAX (256u * 1024u) /* written but unsent bytes before +SMTPFT: 1 waits */

static const char *smtp_ehlo(const struct modem *m)
{
    return email_config(m)->ehlo[0] ? email_config(m)->ehlo : "sim800";
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

void smtp_send_free(struct smtp_send *s)
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
    smtp_send_free(s);
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
    if (smtp_charset_ascii(st)) {
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
    if (smtp_charset_ascii(st)) {
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
    at_urc(s->m, "+SMTPFT: 1,%d", email_config(s->m)->ft_max);
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

void smtp_send_start(struct modem *m)
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

/* --- what the commands ask of a send --- */

bool smtp_send_over(const struct smtp_send *s) { return s->step == ST_OVER; }

bool smtp_send_file_ready(const struct smtp_send *s) { return s->step == ST_ATTACH && s->ft_ready; }

void smtp_send_file_chunk_begins(struct smtp_send *s) { s->ft_ready = false; }

int smtp_send_file_data(struct smtp_send *s, const uint8_t *data, size_t len)
{
    if (s->step != ST_ATTACH)
        return -1;
    struct bytebuf out = {0};
    if (smtp_of(s->m)->files[s->file].encode)
        smtp_b64_refold(&s->b64, &out, data, len);
    else
        smtp_stuff(&s->stuff, &out, data, len);
    write_out(s, &out);
    ft_offer(s);
    return 0;
}

void smtp_send_file_done(struct smtp_send *s)
{
    const struct smtp_state *st = smtp_of(s->m);
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
}

void smtp_send_bearer_lost(struct smtp_send *s) { finish(s, SMTP_FAIL_NO_BEARER, NET_OK); }

/* Every verb send_cmd() sends ("." ends the DATA payload). */
const char *const smtp_client_verbs[] = {"EHLO", "HELO", "STARTTLS", "AUTH", "MAIL",
                                         "RCPT", "DATA", ".",        "QUIT", NULL};
