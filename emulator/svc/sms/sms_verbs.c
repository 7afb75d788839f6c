/* The control socket's "sms" requests (README "SMS"): the network's side
 * of the SMS service.
 *   sms MODEM deliver from=NUMBER text="..." [alphabet=gsm7|8bit|ucs2]
 *                     [time="yy/MM/dd,hh:mm:ss+zz"] [parts=N] [class=0..3]
 *   sms MODEM deliver pdu=HEX       (RP SC address and SMS-DELIVER TPDU)
 *   sms MODEM sent                  (JSON: what the device sent, decoded)
 *   sms MODEM clear                 (forgets what was sent)
 * MODEM may also be written modem=N anywhere after the verb. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms.h"

#include "modem.h"

/* --- arguments: key=value words, values quoted as the fault grammar's --- */

#define ARGS_MAX 8

struct kv {
    char key[16];
    char value[1024];
};

/* -1 with a reason when the words cannot be read. */
static int split_args(const char *p, struct kv *kv, int *n, char *why, size_t whylen)
{
    *n = 0;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (*n == ARGS_MAX) {
            snprintf(why, whylen, "too many words");
            return -1;
        }
        struct kv *e = &kv[(*n)++];
        size_t k = strcspn(p, "= ");
        if (p[k] != '=' || k == 0 || k >= sizeof(e->key)) {
            snprintf(why, whylen, "expected key=value at '%.20s'", p);
            return -1;
        }
        memcpy(e->key, p, k);
        e->key[k] = '\0';
        p += k + 1;
        size_t v = 0;
        bool quoted = *p == '"';
        if (quoted)
            p++;
        for (; *p && (quoted ? *p != '"' : *p != ' '); p++) {
            if (quoted && *p == '\\' && p[1])
                p++;
            if (v + 1 >= sizeof(e->value)) {
                snprintf(why, whylen, "%s= is too long", e->key);
                return -1;
            }
            e->value[v++] = *p;
        }
        e->value[v] = '\0';
        if (quoted) {
            if (*p != '"') {
                snprintf(why, whylen, "%s= has no closing quote", e->key);
                return -1;
            }
            p++;
        }
    }
    return 0;
}

static const char *arg(const struct kv *kv, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return NULL;
}

/* A key deliver does not know is refused, not ignored. */
static bool known_keys(const struct kv *kv, int n, char *why, size_t whylen)
{
    static const char *const keys[] = {"from",  "text",  "alphabet", "time",
                                       "parts", "class", "pdu",      NULL};
    for (int i = 0; i < n; i++) {
        bool known = false;
        for (int k = 0; keys[k]; k++)
            known = known || strcmp(kv[i].key, keys[k]) == 0;
        if (!known) {
            snprintf(why, whylen,
                     "%s=: not a key of deliver (from text alphabet time parts "
                     "class, or pdu)",
                     kv[i].key);
            return false;
        }
    }
    return true;
}

/* --- deliver --- */

static void deliver_pdu(struct modem *m, const char *hex, struct bytebuf *reply)
{
    uint8_t pdu[SMS_PDU_MAX];
    size_t len;
    char why[128], line[192];
    if (hex_to_bytes(hex, strlen(hex), pdu, sizeof(pdu), &len) < 0) {
        bytebuf_append_str(reply, "error pdu= is not hex of at most 176 bytes");
        return;
    }
    if (sms_receive(m, pdu, len, why, sizeof(why)) < 0) {
        snprintf(line, sizeof(line), "error %s", why);
        bytebuf_append_str(reply, line);
        return;
    }
    bytebuf_append_str(reply, "ok delivered 1 part");
}

static int deliver_text(struct modem *m, const struct kv *kv, int n, char *why, size_t whylen,
                        int *count)
{
    const char *from = arg(kv, n, "from"), *text = arg(kv, n, "text");
    const char *alpha = arg(kv, n, "alphabet"), *when = arg(kv, n, "time");
    const char *parts_s = arg(kv, n, "parts"), *class_s = arg(kv, n, "class");
    if (!from || !text) {
        snprintf(why, whylen, "deliver takes from= and text= (or pdu=)");
        return -1;
    }
    struct sms_tpdu t = {.type = SMS_DELIVER, .fo = 0x04};
    bool alnum = from[0] && strspn(from, "+0123456789*#") != strlen(from);
    if (sms_addr_set(&t.addr, from, alnum ? SMS_TOA_ALPHANUMERIC : -1) < 0) {
        snprintf(why, whylen, "from= is not a number or a sender name of up to 11 characters");
        return -1;
    }
    uint32_t cps[1200];
    size_t len = sms_utf8_decode(text, strlen(text), cps, 1200);
    enum sms_alphabet a;
    if (!alpha) { /* the GSM alphabet when it has every character */
        a = SMS_GSM7;
        for (size_t i = 0; i < len && a == SMS_GSM7; i++) {
            uint8_t s[2];
            if (!sms_gsm7_encode(cps[i], s))
                a = SMS_UCS2;
        }
    } else if (strcmp(alpha, "gsm7") == 0) {
        a = SMS_GSM7;
    } else if (strcmp(alpha, "8bit") == 0) {
        a = SMS_8BIT;
    } else if (strcmp(alpha, "ucs2") == 0) {
        a = SMS_UCS2;
    } else {
        snprintf(why, whylen, "alphabet= is gsm7, 8bit or ucs2");
        return -1;
    }
    t.dcs = a == SMS_GSM7 ? 0x00 : a == SMS_8BIT ? 0x04 : 0x08;
    if (class_s) {
        char *end;
        long c = strtol(class_s, &end, 10);
        if (*end || c < 0 || c > 3) {
            snprintf(why, whylen, "class= is 0 to 3");
            return -1;
        }
        t.dcs = (uint8_t)(t.dcs | 0x10 | c);
    }
    if (when) {
        if (sms_time_parse(when, &t.scts) < 0) {
            snprintf(why, whylen, "time= is \"yy/MM/dd,hh:mm:ss+zz\" (zone in quarter hours)");
            return -1;
        }
    } else {
        sms_now(m, &t.scts);
    }
    long want = 0;
    if (parts_s) {
        char *end;
        want = strtol(parts_s, &end, 10);
        if (*end || want < 1 || want > 16 || (size_t)want > (len ? len : 1)) {
            snprintf(why, whylen, "parts= is 1 to 16, at most one a character");
            return -1;
        }
    }
    /* Parts: as many as the text needs, or the number asked for (the text
     * cut evenly), each with an 8-bit concatenation reference. */
    size_t sizes[16], nparts = 0, off = 0;
    bool concat = want > 1 || sms_part_capacity(a, cps, len, false) < len;
    if (want > 1) {
        for (long i = 0; i < want; i++) {
            size_t end = len * (size_t)(i + 1) / (size_t)want;
            sizes[nparts++] = end - off;
            off = end;
        }
    } else {
        while (off < len || nparts == 0) {
            size_t k = sms_part_capacity(a, cps + off, len - off, concat);
            if ((k == 0 && off < len) || nparts == 16) {
                snprintf(why, whylen, "the text does not fit in 16 parts of %s",
                         a == SMS_GSM7   ? "gsm7"
                         : a == SMS_UCS2 ? "ucs2"
                                         : "8bit");
                return -1;
            }
            sizes[nparts++] = k;
            off += k;
        }
    }
    struct sms_store *st = sms_store_get(m);
    struct sms_addr sca = {0}; /* the centre it came through: the SIM's (none: empty) */
    if (st && st->nv.active.sca[0] &&
        sms_addr_set(&sca, st->nv.active.sca, st->nv.active.tosca) < 0)
        memset(&sca, 0, sizeof(sca));
    uint8_t ref = (uint8_t)(sms_of(m)->next_concat_ref++);
    off = 0;
    for (size_t i = 0; i < nparts; i++) {
        struct sms_tpdu p = t;
        if (concat)
            p.concat = (struct sms_concat){true, ref, false, (uint8_t)nparts, (uint8_t)(i + 1)};
        uint8_t pdu[SMS_PDU_MAX];
        size_t plen;
        if (sms_tpdu_set_text(&p, cps + off, sizes[i]) < 0 ||
            !(plen = sms_pdu_encode(&sca, &p, pdu, sizeof(pdu), NULL))) {
            snprintf(why, whylen, "part %zu does not fit one message in %s", i + 1,
                     sms_alphabet_name(t.dcs));
            return -1;
        }
        off += sizes[i];
        if (sms_receive(m, pdu, plen, why, whylen) < 0)
            return -1;
        (*count)++;
    }
    return 0;
}

static void verb_sms(struct modem *m, void *state, const char *args, struct bytebuf *reply)
{
    struct sms_state *s = state;
    char why[160], line[200];
    size_t w = strcspn(args, " ");
    struct kv *kv = malloc(sizeof(*kv) * ARGS_MAX);
    int n;
    if (!kv) {
        bytebuf_append_str(reply, "error out of memory");
        return;
    }
    if (split_args(args + w, kv, &n, why, sizeof(why)) < 0) {
        snprintf(line, sizeof(line), "error %s", why);
        bytebuf_append_str(reply, line);
    } else if (w == 7 && strncmp(args, "deliver", 7) == 0 && !known_keys(kv, n, why, sizeof(why))) {
        snprintf(line, sizeof(line), "error %s", why);
        bytebuf_append_str(reply, line);
    } else if (w == 7 && strncmp(args, "deliver", 7) == 0) {
        const char *pdu = arg(kv, n, "pdu");
        int count = 0;
        if (pdu) {
            deliver_pdu(m, pdu, reply);
        } else if (deliver_text(m, kv, n, why, sizeof(why), &count) < 0) {
            snprintf(line, sizeof(line), "error %s%s", count ? "a part was refused: " : "", why);
            bytebuf_append_str(reply, line);
        } else {
            snprintf(line, sizeof(line), "ok delivered %d part%s", count, count == 1 ? "" : "s");
            bytebuf_append_str(reply, line);
        }
    } else if (w == 4 && strncmp(args, "sent", 4) == 0 && n == 0) {
        bytebuf_append_str(reply, "ok ");
        sms_sent_json(s, reply);
    } else if (w == 5 && strncmp(args, "clear", 5) == 0 && n == 0) {
        s->sent_count = 0;
        bytebuf_append_str(reply, "ok");
    } else {
        bytebuf_append_str(reply, "error sms MODEM takes deliver KEY=VALUE..., sent or clear");
    }
    free(kv);
}

const struct service_verb sms_verbs[] = {
    {.name = "sms",
     .usage = "sms MODEM deliver from=NUMBER text=\"...\" [alphabet=gsm7|8bit|ucs2] "
              "[time=\"yy/MM/dd,hh:mm:ss+zz\"] [parts=N] [class=N] | deliver pdu=HEX | sent | "
              "clear",
     .run = verb_sms},
    {.name = NULL},
};
