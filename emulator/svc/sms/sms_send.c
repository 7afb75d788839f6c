/* Writing, sending and receiving messages (sms.h): AT+CMGW, AT+CMGS and
 * AT+CMSS (SIM800 AT Command Manual V1.09 §4.2.6, §4.2.5, §4.2.7) in text
 * and PDU mode, and a message arriving from the network as AT+CNMI
 * (§4.2.8) says.
 *
 * "The network" is the emulator: a message sent is recorded (the trace, the
 * control socket's "sms sent"), a message to the SIM's own number comes
 * back as the manual's example shows (§20.7), and a status report is given
 * when AT+CSMP's <fo> asks for one (49). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sms.h"

#include "modem.h"
#include "reply.h"
#include "trace.h"

#define TEXT_INPUT_MAX 4400 /* 1024 characters as UCS2 hex, and some room */
#define PARTS_MAX 8         /* 1024 GSM characters at 153 a part */

void sms_now(const struct modem *m, struct sms_time *t)
{
    time_t now = time(NULL) + (time_t)m->profile->tz_quarters * 15 * 60;
    struct tm tm;
    gmtime_r(&now, &tm);
    *t = (struct sms_time){
        tm.tm_year % 100, tm.tm_mon + 1,          tm.tm_mday, tm.tm_hour, tm.tm_min,
        tm.tm_sec,        m->profile->tz_quarters};
}

void sms_indicate(struct modem *m, const char *text, const void *data, size_t len)
{
    struct sms_state *s = sms_of(m);
    if (s->active.cnmi[0] != 0) {
        at_urc_data(m, text, data, len);
        return;
    }
    /* <mode> 0: held in the TA; the oldest goes when the buffer is full. */
    if (s->nheld == SMS_HELD_MAX) {
        bytebuf_free(&s->held[0]);
        memmove(s->held, s->held + 1, sizeof(s->held[0]) * (SMS_HELD_MAX - 1));
        s->nheld--;
    }
    struct bytebuf *b = &s->held[s->nheld++];
    memset(b, 0, sizeof(*b));
    bytebuf_append(b, text, strlen(text) + 1);
    bytebuf_append(b, data, len);
}

/* --- receiving --- */

static void show_direct(struct modem *m, const struct sms_addr *sca, const struct sms_tpdu *t,
                        const uint8_t *pdu, size_t len)
{
    struct sms_state *s = sms_of(m);
    struct bytebuf head = {0}, data = {0};
    if (s->active.cmgf) {
        bytebuf_append_str(&head, "+CMT: ");
        sms_text_header(s, sca, t, false, &head);
        sms_text_data(s, t, &data);
    } else {
        char h[32];
        snprintf(h, sizeof(h), "+CMT: \"\",%zu", len - 1 - pdu[0]);
        bytebuf_append_str(&head, h);
        sms_hex(pdu, len, &data);
    }
    bytebuf_append(&data, "\r\n", 2);
    bytebuf_append(&head, "", 1);
    sms_indicate(m, (const char *)head.data, data.data, data.len);
    bytebuf_free(&head);
    bytebuf_free(&data);
}

int sms_receive(struct modem *m, const uint8_t *pdu, size_t len, char *why, size_t whylen)
{
    struct sms_state *s = sms_of(m);
    struct sms_addr sca;
    struct sms_tpdu t;
    if (len > SMS_PDU_MAX || sms_pdu_decode(pdu, len, true, &sca, &t) < 0 ||
        t.type != SMS_DELIVER) {
        snprintf(why, whylen, "not an SMS-DELIVER PDU (3GPP TS 23.040)");
        return -1;
    }
    if (sms_not_ready(m) || !m->general.registered) {
        snprintf(why, whylen, "the modem is not on the network (SIM, AT+CFUN or registration)");
        return -1;
    }
    struct sms_store *st = sms_store_get(m);
    if (!st) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    int cls = sms_dcs_class(t.dcs), mt = s->active.cnmi[1];
    bool direct = (mt == 2 && cls != 2) || (mt == 3 && cls == 3);
    trace_note(m->id, "sms", "delivered from %s (%zu-byte TPDU)%s", t.addr.text, len - 1 - pdu[0],
               direct ? ", shown as +CMT" : "");
    if (direct) {
        show_direct(m, &sca, &t, pdu, len);
        return 0;
    }
    enum sms_mem mem = s->mem[2];
    int index = sms_store_free_index(st, mem);
    if (!index) {
        snprintf(why, whylen, "memory full (%s holds %d)", sms_mem_names[mem],
                 sms_store_capacity(st, mem));
        return -1;
    }
    struct sms_slot *slot = sms_store_slot(st, mem, index);
    memcpy(slot->pdu, pdu, len);
    slot->len = (uint8_t)len;
    slot->stat = 0;
    sms_store_save(st);
    if (mt != 0) {
        const char *name = sms_mem_of_index(st, mem, &index);
        char h[32];
        snprintf(h, sizeof(h), "+CMTI: \"%s\",%d", name, index);
        sms_indicate(m, h, NULL, 0);
    }
    return 0;
}

/* --- the network's side of a send --- */

static bool same_number(const char *a, const char *b)
{
    if (*a == '+')
        a++;
    if (*b == '+')
        b++;
    return *a && strcmp(a, b) == 0;
}

/* The SMS-DELIVER the recipient gets for a SUBMIT. */
static void deliver_of(const struct modem *m, const struct sms_tpdu *sub, struct sms_tpdu *d)
{
    *d = *sub;
    d->type = SMS_DELIVER;
    d->fo = (uint8_t)(0x04 | (sub->fo & 0x40)); /* no more messages; UDHI as sent */
    str_copy(d->addr.text, sizeof(d->addr.text), m->ident.number);
    d->addr.toa = m->ident.number[0] == '+' ? SMS_TOA_INTERNATIONAL : SMS_TOA_UNKNOWN;
    sms_now(m, &d->scts);
}

static void status_report(struct modem *m, const struct sms_addr *sca, const struct sms_tpdu *sub)
{
    struct sms_state *s = sms_of(m);
    if (!(sub->fo & 0x20) || s->active.cnmi[3] != 1)
        return;
    struct sms_tpdu r = {.type = SMS_STATUS_REPORT, .fo = 0x06, .mr = sub->mr, .addr = sub->addr};
    sms_now(m, &r.scts);
    r.dt = r.scts;
    if (s->active.cmgf) {
        char scts[24], line[160];
        sms_time_format(&r.scts, scts);
        struct bytebuf b = {0};
        snprintf(line, sizeof(line), "+CDS: %d,%d,", r.fo, r.mr);
        bytebuf_append_str(&b, line);
        sms_text_addr(s, r.addr.text, &b);
        snprintf(line, sizeof(line), ",%d,\"%s\",\"%s\",0", r.addr.toa, scts, scts);
        bytebuf_append_str(&b, line);
        bytebuf_append(&b, "", 1);
        sms_indicate(m, (const char *)b.data, NULL, 0);
        bytebuf_free(&b);
        return;
    }
    uint8_t pdu[SMS_PDU_MAX];
    size_t tl, n = sms_pdu_encode(sca, &r, pdu, sizeof(pdu), &tl);
    if (!n)
        return;
    char head[24];
    snprintf(head, sizeof(head), "+CDS: %zu", tl);
    struct bytebuf data = {0};
    sms_hex(pdu, n, &data);
    bytebuf_append(&data, "\r\n", 2);
    sms_indicate(m, head, data.data, data.len);
    bytebuf_free(&data);
}

static void send_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct modem *m = w->data;
    struct sms_state *s = sms_of(m);
    s->send_waiting = false;
    if (s->send_info[0])
        at_info(m, "%s", s->send_info);
    at_complete(m, s->send_verdict);
}

void sms_send_cancel(struct modem *m)
{
    struct sms_state *s = sms_of(m);
    if (s->send_waiting)
        ev_timer_stop(m->loop, &s->send_timer);
    s->send_waiting = false;
}

/* Sends the parts (SUBMITs, their TP-MR set here) and answers "+CMGS: <mr>"
 * (or +CMSS) with the last part's reference. */
static int send_parts(struct modem *m, struct sms_tpdu *parts, int n, const char *verb)
{
    struct sms_state *s = sms_of(m);
    struct sms_store *st = sms_store_get(m);
    if (!st)
        return AT_CMS(320);
    /* The network's causes (manual §19.2): no service, no SMS centre. */
    if (!m->general.registered || m->general.cfun != 1)
        return AT_CMS(331);
    struct sms_addr sca;
    if (!st->nv.active.sca[0] || sms_addr_set(&sca, st->nv.active.sca, st->nv.active.tosca) < 0)
        return AT_CMS(330);
    int mr = 0;
    for (int i = 0; i < n; i++) {
        mr = s->next_mr++;
        parts[i].mr = (uint8_t)mr;
        sms_record_sent(s, &parts[i], (uint8_t)mr);
        uint32_t cps[SMS_SEPTETS_MAX];
        size_t k = sms_tpdu_text(&parts[i], cps, SMS_SEPTETS_MAX);
        struct bytebuf text = {0};
        sms_utf8_encode(cps, k, &text);
        bytebuf_append(&text, "", 1);
        trace_note(m->id, "sms", "sent mr=%d to %s dcs=%d: %s", mr, parts[i].addr.text,
                   parts[i].dcs, (const char *)text.data);
        bytebuf_free(&text);
    }
    for (int i = 0; i < n; i++) {
        status_report(m, &sca, &parts[i]);
        if (same_number(parts[i].addr.text, m->ident.number)) {
            struct sms_tpdu d;
            uint8_t pdu[SMS_PDU_MAX];
            char why[96];
            deliver_of(m, &parts[i], &d);
            size_t len = sms_pdu_encode(&sca, &d, pdu, sizeof(pdu), NULL);
            if (len)
                sms_receive(m, pdu, len, why, sizeof(why));
        }
    }
    snprintf(s->send_info, sizeof(s->send_info), "%s: %d", verb, mr);
    if (sms_config(m)->send_ms > 0) {
        s->send_verdict = AT_OK;
        s->send_waiting = true;
        ev_timer_init(&s->send_timer, send_timer_cb, sms_config(m)->send_ms / 1000.0, 0.);
        s->send_timer.data = m;
        ev_timer_start(m->loop, &s->send_timer);
        return AT_PENDING;
    }
    at_info(m, "%s", s->send_info);
    return AT_OK;
}

/* --- text mode: the host's text to TPDUs --- */

/* The message's code points from what the host typed: GSM 7-bit text in
 * the AT+CSCS set; 8-bit and UCS2 (AT+CSMP <dcs>) as hex of the octets, as
 * 27.005 says and TinyGSM and the manual's example send it. */
static int text_to_units(const struct sms_state *s, enum sms_alphabet a, const uint8_t *in,
                         size_t n, uint32_t *cps, size_t cap, size_t *out_n)
{
    if (a == SMS_GSM7) {
        uint8_t kept[TEXT_INPUT_MAX];
        size_t k = 0;
        for (size_t i = 0; i < n && k < sizeof(kept); i++) {
            /* Without AT+CMGHEX=1, control bytes other than CR and LF are
             * not sent in the GSM set (§6.2.31). */
            if (s->active.cscs == CS_GSM && !s->cmghex && in[i] < 0x20 && in[i] != '\r' &&
                in[i] != '\n')
                continue;
            kept[k++] = in[i];
        }
        return sms_te_decode((enum sms_charset)s->active.cscs, kept, k, cps, cap, out_n);
    }
    uint32_t octets[TEXT_INPUT_MAX / 2];
    if (n % 2 == 0) {
        bool hex = true;
        for (size_t i = 0; i < n && hex; i++)
            hex = (in[i] >= '0' && in[i] <= '9') || (in[i] >= 'A' && in[i] <= 'F') ||
                  (in[i] >= 'a' && in[i] <= 'f');
        if (hex && n > 0) {
            size_t m = 0;
            for (size_t i = 0; i + 1 < n && m < TEXT_INPUT_MAX / 2; i += 2) {
                char h[3] = {(char)in[i], (char)in[i + 1], 0};
                octets[m++] = (uint32_t)strtoul(h, NULL, 16);
            }
            if (a == SMS_8BIT) {
                if (m > cap)
                    return -1;
                memcpy(cps, octets, m * sizeof(uint32_t));
                *out_n = m;
                return 0;
            }
            if (m % 2 || m / 2 > cap)
                return -1;
            for (size_t i = 0; i < m / 2; i++)
                cps[i] = octets[2 * i] << 8 | octets[2 * i + 1];
            *out_n = m / 2;
            return 0;
        }
    }
    /* Not hex: the characters themselves, in the AT+CSCS set. */
    return sms_te_decode((enum sms_charset)s->active.cscs, in, n, cps, cap, out_n);
}

/* Splits code points into SUBMIT parts with AT+CSMP's values; the parts
 * of a long message carry an 8-bit concatenation reference. */
static int build_submits(struct modem *m, const struct sms_addr *da, const uint32_t *cps, size_t n,
                         struct sms_tpdu *parts, int max)
{
    struct sms_state *s = sms_of(m);
    struct sms_store *st = sms_store_get(m);
    if (!st)
        return -1;
    const struct sms_params *p = &st->nv.active;
    struct sms_tpdu t = {.type = SMS_SUBMIT, .fo = (uint8_t)((p->fo & ~3) | 1), .addr = *da};
    t.pid = (uint8_t)p->pid;
    t.dcs = (uint8_t)p->dcs;
    if (((t.fo >> 3) & 3) == 2)
        t.vp[0] = (uint8_t)p->vp;
    enum sms_alphabet a = sms_dcs_alphabet(t.dcs);
    if (sms_part_capacity(a, cps, n, false) == n) {
        parts[0] = t;
        return sms_tpdu_set_text(&parts[0], cps, n) < 0 ? -1 : 1;
    }
    uint8_t ref = (uint8_t)s->next_concat_ref++;
    size_t off = 0;
    int count = 0;
    size_t sizes[PARTS_MAX];
    while (off < n) {
        size_t k = sms_part_capacity(a, cps + off, n - off, true);
        if (k == 0 || count == max)
            return -1;
        sizes[count++] = k;
        off += k;
    }
    off = 0;
    for (int i = 0; i < count; i++) {
        parts[i] = t;
        parts[i].concat = (struct sms_concat){true, ref, false, (uint8_t)count, (uint8_t)(i + 1)};
        if (sms_tpdu_set_text(&parts[i], cps + off, sizes[i]) < 0)
            return -1;
        off += sizes[i];
    }
    return count;
}

/* --- the data entry of AT+CMGS and AT+CMGW --- */

static int hex_bytes(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    /* Some hosts end the PDU with CR or LF before Ctrl-Z. */
    while (n && (in[n - 1] == '\r' || in[n - 1] == '\n' || in[n - 1] == ' '))
        n--;
    return hex_to_bytes((const char *)in, n, out, cap, len);
}

static int store_pdu(struct modem *m, const uint8_t *pdu, size_t len, int stat)
{
    struct sms_state *s = sms_of(m);
    struct sms_store *st = sms_store_get(m);
    if (!st)
        return AT_CMS(320);
    int index = sms_store_free_index(st, s->mem[1]);
    if (!index)
        return AT_CMS(322);
    struct sms_slot *slot = sms_store_slot(st, s->mem[1], index);
    memcpy(slot->pdu, pdu, len);
    slot->len = (uint8_t)len;
    slot->stat = (uint8_t)stat;
    sms_store_save(st);
    at_info(m, "+CMGW: %d", index);
    return AT_OK;
}

static int entry_pdu(struct modem *m, const uint8_t *data, size_t len)
{
    struct sms_state *s = sms_of(m);
    uint8_t pdu[SMS_PDU_MAX];
    size_t n;
    struct sms_addr sca;
    struct sms_tpdu t;
    if (hex_bytes(data, len, pdu, sizeof(pdu), &n) < 0 || n < 1 ||
        n != 1 + (size_t)pdu[0] + s->entry.tpdu_len || sms_pdu_decode(pdu, n, true, &sca, &t) < 0)
        return AT_CMS(304);
    if (s->entry.write) {
        if (t.type == SMS_STATUS_REPORT)
            return AT_CMS(304);
        return store_pdu(m, pdu, n, s->entry.stat);
    }
    if (t.type != SMS_SUBMIT)
        return AT_CMS(304);
    return send_parts(m, &t, 1, "+CMGS");
}

static int entry_text(struct modem *m, const uint8_t *data, size_t len)
{
    struct sms_state *s = sms_of(m);
    uint32_t cps[TEXT_INPUT_MAX];
    size_t n;
    struct sms_store *st = sms_store_get(m);
    if (!st)
        return AT_CMS(320);
    enum sms_alphabet a = sms_dcs_alphabet((uint8_t)st->nv.active.dcs);
    if (text_to_units(s, a, data, len, cps, TEXT_INPUT_MAX, &n) < 0)
        return AT_CMS(305);
    struct sms_tpdu parts[PARTS_MAX];
    int count = build_submits(m, &s->entry.da, cps, n, parts, s->entry.write ? 1 : PARTS_MAX);
    if (count < 0)
        return AT_CMS(305);
    if (!s->entry.write)
        return send_parts(m, parts, count, "+CMGS");
    struct sms_addr sca;
    sms_addr_set(&sca, st->nv.active.sca, st->nv.active.tosca);
    uint8_t pdu[SMS_PDU_MAX];
    size_t plen =
        sms_pdu_encode(st->nv.active.sca[0] ? &sca : NULL, &parts[0], pdu, sizeof(pdu), NULL);
    return plen ? store_pdu(m, pdu, plen, s->entry.stat) : AT_CMS(305);
}

static int entry_cb(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data,
                    size_t len)
{
    (void)ud;
    struct sms_state *s = sms_of(m);
    if (end == AT_DATA_CANCEL)
        return AT_OK; /* ESC: "quits without sending" (manual §4.2.5) */
    if (end == AT_DATA_TIMEOUT)
        return AT_ERROR;
    return s->entry.text ? entry_text(m, data, len) : entry_pdu(m, data, len);
}

static int begin_entry(struct modem *m)
{
    struct sms_state *s = sms_of(m);
    struct at_data_req req = {
        .prompt = "\r\n> ",
        .max_len = s->entry.text ? TEXT_INPUT_MAX : 2 * SMS_PDU_MAX + 8,
        .echo = true,
        .cb = entry_cb,
    };
    at_begin_data(m, &req);
    return AT_PENDING;
}

/* <da>[,<toda>] in the AT+CSCS set, as text mode's AT+CMGS and AT+CMGW
 * take it; a number that is not valid in the set is read as it is (TinyGSM
 * sends a plain number after AT+CSCS="HEX", and real modules take it). */
static int parse_da(struct modem *m, struct at_req *r, struct sms_addr *da)
{
    struct sms_state *s = sms_of(m);
    char raw[200];
    long toda = -1;
    if (at_arg_str(&r->args, raw, sizeof(raw), NULL) != AT_ARG_OK ||
        at_arg_int(&r->args, 128, 255, &toda) == AT_ARG_BAD)
        return -1;
    uint32_t cps[48];
    size_t n;
    int rc = -1;
    if (sms_te_decode((enum sms_charset)s->active.cscs, (const uint8_t *)raw, strlen(raw), cps, 48,
                      &n) == 0 &&
        n > 0) {
        struct bytebuf b = {0};
        sms_utf8_encode(cps, n, &b);
        bytebuf_append(&b, "", 1);
        rc = sms_addr_set(da, (const char *)b.data, (int)toda);
        bytebuf_free(&b);
    }
    if (rc < 0 && raw[0])
        rc = sms_addr_set(da, raw, (int)toda);
    return rc;
}

/* What AT+CMGS and AT+CMGW share before their arguments: true to go on,
 * else false with the verdict (OK for the test form, the not-ready error). */
static bool entry_open(struct modem *m, struct at_req *r, bool write, int *verdict)
{
    struct sms_state *s = sms_of(m);
    *verdict = r->form == AT_FORM_TEST ? AT_OK : sms_not_ready(m);
    if (r->form == AT_FORM_TEST || *verdict)
        return false;
    s->entry.write = write;
    s->entry.text = s->active.cmgf == 1;
    s->entry.stat = 2; /* stored unsent (AT+CMGW's default) */
    return true;
}

int sms_cmd_cmgs(struct modem *m, struct at_req *r)
{
    struct sms_state *s = sms_of(m);
    int verdict;
    if (!entry_open(m, r, false, &verdict))
        return verdict;
    if (s->entry.text) {
        if (parse_da(m, r, &s->entry.da) < 0 || !at_args_done(&r->args))
            return AT_ERROR;
    } else {
        long len;
        if (at_arg_int(&r->args, 7, 164, &len) != AT_ARG_OK || !at_args_done(&r->args))
            return AT_ERROR;
        s->entry.tpdu_len = (size_t)len;
    }
    return begin_entry(m);
}

int sms_cmd_cmgw(struct modem *m, struct at_req *r)
{
    struct sms_state *s = sms_of(m);
    int verdict;
    if (!entry_open(m, r, true, &verdict))
        return verdict;
    if (s->entry.text) {
        memset(&s->entry.da, 0, sizeof(s->entry.da));
        s->entry.da.toa = SMS_TOA_UNKNOWN;
        if (r->form == AT_FORM_WRITE) {
            if (parse_da(m, r, &s->entry.da) < 0)
                return AT_ERROR;
            char stat[16];
            if (at_arg_str(&r->args, stat, sizeof(stat), NULL) == AT_ARG_OK) {
                if (strcmp(stat, "STO SENT") == 0)
                    s->entry.stat = 3;
                else if (strcmp(stat, "STO UNSENT") != 0)
                    return AT_ERROR;
            }
            if (!at_args_done(&r->args))
                return AT_ERROR;
        }
    } else {
        long len, stat = 2;
        if (at_arg_int(&r->args, 7, 164, &len) != AT_ARG_OK ||
            at_arg_int(&r->args, 0, 3, &stat) == AT_ARG_BAD || !at_args_done(&r->args))
            return AT_ERROR;
        s->entry.tpdu_len = (size_t)len;
        s->entry.stat = (int)stat;
    }
    return begin_entry(m);
}

int sms_cmd_cmss(struct modem *m, struct at_req *r)
{
    struct sms_state *s = sms_of(m);
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    int verdict;
    struct sms_store *st = sms_store_ready(m, &verdict);
    if (!st)
        return verdict;
    long index;
    if (at_arg_int(&r->args, 0, 100000, &index) != AT_ARG_OK)
        return AT_ERROR;
    struct sms_addr da;
    bool new_da = r->args.more;
    if (new_da && parse_da(m, r, &da) < 0)
        return AT_ERROR;
    if (!at_args_done(&r->args))
        return AT_ERROR;
    struct sms_slot *slot = sms_store_slot(st, s->mem[1], (int)index);
    if (!slot || !slot->len)
        return AT_CMS(321);
    struct sms_addr sca;
    struct sms_tpdu t;
    if (sms_pdu_decode(slot->pdu, slot->len, true, &sca, &t) < 0 || t.type != SMS_SUBMIT)
        return AT_CMS(302);
    if (new_da)
        t.addr = da;
    int rc = send_parts(m, &t, 1, "+CMSS");
    if (rc == AT_OK || rc == AT_PENDING) {
        slot->stat = 3; /* stored sent */
        sms_store_save(st);
    }
    return rc;
}
