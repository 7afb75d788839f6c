/* The record of messages the device sent (sms.h), as the control socket's
 * "sms sent" and the Python package's sent_sms() show it: the parts of a
 * concatenated message joined into one entry, in the order of their numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms.h"

const char *sms_alphabet_name(uint8_t dcs)
{
    switch (sms_dcs_alphabet(dcs)) {
    case SMS_GSM7:
        return "gsm7";
    case SMS_UCS2:
        return "ucs2";
    default:
        return "8bit";
    }
}

/* The entry a part belongs to: the open one with the same number and
 * reference, or a new one (the oldest is reused when the ring is full). */
static struct sms_sent *entry_for(struct sms_state *s, const struct sms_tpdu *t)
{
    if (t->concat.present) {
        for (unsigned i = 0; i < s->sent_count && i < SMS_SENT_MAX; i++) {
            struct sms_sent *e = &s->sent[(s->sent_count - 1 - i) % SMS_SENT_MAX];
            if (e->concat.present && e->concat.ref == t->concat.ref &&
                e->concat.total == t->concat.total && strcmp(e->to, t->addr.text) == 0 &&
                t->concat.seq <= 16 && !e->part_have[t->concat.seq - 1])
                return e;
        }
    }
    struct sms_sent *e = &s->sent[s->sent_count++ % SMS_SENT_MAX];
    memset(e, 0, sizeof(*e));
    str_copy(e->to, sizeof(e->to), t->addr.text);
    e->toa = t->addr.toa;
    e->dcs = t->dcs;
    e->report = (t->fo & 0x20) != 0;
    e->concat = t->concat;
    return e;
}

void sms_record_sent(struct sms_state *s, const struct sms_tpdu *t, uint8_t mr)
{
    if (!s->sent && !(s->sent = calloc(SMS_SENT_MAX, sizeof(*s->sent))))
        return;
    struct sms_sent *e = entry_for(s, t);
    unsigned seq = t->concat.present && t->concat.seq <= 16 ? t->concat.seq : 1;
    e->part_have[seq - 1] = true;
    e->mr[seq - 1] = mr;
    e->parts_seen++;
    uint32_t cps[SMS_SEPTETS_MAX];
    size_t n = sms_tpdu_text(t, cps, SMS_SEPTETS_MAX);
    struct bytebuf text = {0};
    sms_utf8_encode(cps, n, &text);
    /* Parts are kept in the order of their numbers: part_off[k] is where
     * part k + 1 starts, and a part not seen yet takes no room. */
    size_t at = e->part_off[seq - 1], used = e->part_off[16];
    size_t add = text.len < sizeof(e->text) - 1 - used ? text.len : sizeof(e->text) - 1 - used;
    memmove(e->text + at + add, e->text + at, used - at);
    memcpy(e->text + at, text.data, add);
    for (unsigned i = seq; i <= 16; i++)
        e->part_off[i] = (uint16_t)(e->part_off[i] + add);
    e->text[e->part_off[16]] = '\0';
    bytebuf_free(&text);
}

void sms_sent_json(const struct sms_state *s, struct bytebuf *out)
{
    bytebuf_append_str(out, "[");
    unsigned n = s->sent_count < SMS_SENT_MAX ? s->sent_count : SMS_SENT_MAX;
    for (unsigned i = 0; i < n; i++) {
        const struct sms_sent *e = &s->sent[(s->sent_count - n + i) % SMS_SENT_MAX];
        char line[160];
        unsigned total = e->concat.present ? e->concat.total : 1;
        bytebuf_append_str(out, i ? ",{\"to\":" : "{\"to\":");
        bytebuf_append_json(out, e->to);
        snprintf(line, sizeof(line),
                 ",\"toa\":%d,\"dcs\":%d,\"alphabet\":\"%s\",\"parts\":%u,\"received\":%u,"
                 "\"report\":%s,\"mr\":[",
                 e->toa, e->dcs, sms_alphabet_name(e->dcs), total, e->parts_seen,
                 e->report ? "true" : "false");
        bytebuf_append_str(out, line);
        for (unsigned k = 0, first = 1; k < total && k < 16; k++) {
            if (!e->part_have[k])
                continue;
            snprintf(line, sizeof(line), "%s%d", first ? "" : ",", e->mr[k]);
            bytebuf_append_str(out, line);
            first = 0;
        }
        bytebuf_append_str(out, "],\"text\":");
        bytebuf_append_json(out, e->text);
        bytebuf_append_str(out, "}");
    }
    bytebuf_append_str(out, "]");
}
