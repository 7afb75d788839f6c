/* Reading, listing and deleting stored messages (sms.h): AT+CMGR, AT+CMGL,
 * AT+CMGD (SIM800 AT Command Manual V1.09 §4.2.4, §4.2.3, §4.2.1),
 * AT+CMGDA (§6.2.25) and AT+CCONCINDEX (§6.2.77), in text and PDU mode.  The wire forms follow the
 * manual's SMS examples (§20.7): an empty <alpha> is printed as "". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms.h"

#include "modem.h"
#include "reply.h"

static const char *const stat_names[4] = {"REC UNREAD", "REC READ", "STO UNSENT", "STO SENT"};

/* One stored message as +CMGR or +CMGL shows it: the line after the
 * prefix, then "\r\n" and the data. */
static void render(const struct modem *m, const struct sms_slot *slot, int index,
                   struct bytebuf *out)
{
    const struct sms_state *s = sms_of(m);
    struct sms_addr sca;
    struct sms_tpdu t;
    char num[48];
    bool list = index > 0;
    if (list) {
        snprintf(num, sizeof(num), "%d,", index);
        bytebuf_append_str(out, num);
    }
    sms_pdu_decode(slot->pdu, slot->len, true, &sca, &t); /* checked when stored */
    if (!s->active.cmgf) {
        snprintf(num, sizeof(num), "%d,\"\",%u\r\n", slot->stat, slot->len - 1u - slot->pdu[0]);
        bytebuf_append_str(out, num);
        sms_hex(slot->pdu, slot->len, out);
        return;
    }
    snprintf(num, sizeof(num), "\"%s\",", stat_names[slot->stat & 3]);
    bytebuf_append_str(out, num);
    if (t.type == SMS_STATUS_REPORT) {
        char scts[24], dt[24];
        sms_time_format(&t.scts, scts);
        sms_time_format(&t.dt, dt);
        snprintf(num, sizeof(num), "%d,%d,", t.fo, t.mr);
        bytebuf_append_str(out, num);
        sms_text_addr(s, t.addr.text, out);
        char tail[80];
        snprintf(tail, sizeof(tail), ",%d,\"%s\",\"%s\",%d", t.addr.toa, scts, dt, t.st);
        bytebuf_append_str(out, tail);
        return;
    }
    sms_text_header(s, &sca, &t, list, out);
    bytebuf_append_str(out, "\r\n");
    sms_text_data(s, &t, out);
}

static void mark_read(struct sms_store *st, struct sms_slot *slot, bool keep)
{
    if (!keep && slot->stat == 0) {
        slot->stat = 1;
        sms_store_save(st);
    }
}

/* --- AT+CMGR --- */

static int cmd_cmgr(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    int verdict;
    struct sms_store *st = sms_store_ready(m, &verdict);
    if (!st)
        return verdict;
    long index, mode = 0;
    if (at_arg_int(&r->args, 0, 100000, &index) != AT_ARG_OK ||
        at_arg_int(&r->args, 0, 1, &mode) == AT_ARG_BAD || !at_args_done(&r->args))
        return AT_ERROR;
    struct sms_slot *slot = sms_store_slot(st, sms_of(m)->mem[0], (int)index);
    if (!slot)
        return AT_CMS(321);
    if (!slot->len)
        return AT_OK; /* an empty index: OK alone */
    struct bytebuf b = {0};
    bytebuf_append_str(&b, "+CMGR: ");
    render(m, slot, 0, &b);
    at_info_len(m, (const char *)b.data, b.len);
    bytebuf_free(&b);
    mark_read(st, slot, mode == 1);
    return AT_OK;
}

/* --- AT+CMGL --- */

static int parse_list_stat(const struct sms_state *s, struct at_req *r, int *stat)
{
    if (r->form == AT_FORM_EXEC) {
        *stat = 0; /* received unread */
        return 0;
    }
    if (!s->active.cmgf) {
        long v;
        if (at_arg_int(&r->args, 0, 4, &v) != AT_ARG_OK)
            return -1;
        *stat = (int)v;
        return 0;
    }
    char name[16];
    if (at_arg_str(&r->args, name, sizeof(name), NULL) != AT_ARG_OK)
        return -1;
    /* The manual's note (§20.7): "ALL" must be in uppercase. */
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, stat_names[i]) == 0) {
            *stat = i;
            return 0;
        }
    }
    if (strcmp(name, "ALL") == 0) {
        *stat = 4;
        return 0;
    }
    return -1;
}

static int cmd_cmgl(struct modem *m, struct at_req *r)
{
    struct sms_state *s = sms_of(m);
    if (r->form == AT_FORM_TEST) {
        if (s->active.cmgf)
            at_info(m, "+CMGL: (\"REC UNREAD\",\"REC READ\",\"STO UNSENT\",\"STO SENT\",\"ALL\")");
        else
            at_info(m, "+CMGL: (0-4)");
        return AT_OK;
    }
    int verdict, stat;
    long mode = 0;
    struct sms_store *st = sms_store_ready(m, &verdict);
    if (!st)
        return verdict;
    if (parse_list_stat(s, r, &stat) < 0 ||
        (r->form == AT_FORM_WRITE && at_arg_int(&r->args, 0, 1, &mode) == AT_ARG_BAD) ||
        (r->form == AT_FORM_WRITE && !at_args_done(&r->args)))
        return AT_ERROR;
    int cap = sms_store_capacity(st, s->mem[0]);
    bool changed = false;
    for (int i = 1; i <= cap; i++) {
        struct sms_slot *slot = sms_store_slot(st, s->mem[0], i);
        if (!slot->len || (stat != 4 && slot->stat != stat))
            continue;
        struct bytebuf b = {0};
        bytebuf_append_str(&b, "+CMGL: ");
        render(m, slot, i, &b);
        at_info_len(m, (const char *)b.data, b.len);
        bytebuf_free(&b);
        if (mode == 0 && slot->stat == 0) {
            slot->stat = 1;
            changed = true;
        }
    }
    if (changed)
        sms_store_save(st);
    return AT_OK;
}

/* --- AT+CMGD, AT+CMGDA --- */

/* Which statuses a delete flag removes: bit n for stat n. */
static const unsigned cmgd_flags[5] = {0, 1u << 1, 1u << 1 | 1u << 3, 1u << 1 | 1u << 2 | 1u << 3,
                                       0xF};

static bool delete_where(struct sms_store *st, enum sms_mem mem, unsigned stats)
{
    bool any = false;
    int cap = sms_store_capacity(st, mem);
    for (int i = 1; i <= cap; i++) {
        struct sms_slot *slot = sms_store_slot(st, mem, i);
        if (slot->len && (stats >> slot->stat & 1)) {
            memset(slot, 0, sizeof(*slot));
            any = true;
        }
    }
    return any;
}

static int cmd_cmgd(struct modem *m, struct at_req *r)
{
    struct sms_state *s = sms_of(m);
    int verdict;
    struct sms_store *st = sms_store_ready(m, &verdict);
    if (!st)
        return verdict;
    if (r->form == AT_FORM_TEST) {
        /* 27.005: the indexes in use, then the flags. */
        struct bytebuf b = {0};
        bytebuf_append_str(&b, "+CMGD: (");
        int cap = sms_store_capacity(st, s->mem[0]);
        bool first = true;
        for (int i = 1; i <= cap; i++) {
            if (!sms_store_slot(st, s->mem[0], i)->len)
                continue;
            char n[16];
            snprintf(n, sizeof(n), "%s%d", first ? "" : ",", i);
            bytebuf_append_str(&b, n);
            first = false;
        }
        bytebuf_append_str(&b, "),(0-4)");
        at_info_len(m, (const char *)b.data, b.len);
        bytebuf_free(&b);
        return AT_OK;
    }
    long index, flag = 0;
    if (at_arg_int(&r->args, 0, 100000, &index) != AT_ARG_OK ||
        at_arg_int(&r->args, 0, 4, &flag) == AT_ARG_BAD || !at_args_done(&r->args))
        return AT_ERROR;
    if (flag == 0) {
        struct sms_slot *slot = sms_store_slot(st, s->mem[0], (int)index);
        if (!slot)
            return AT_CMS(321);
        if (slot->len) {
            memset(slot, 0, sizeof(*slot));
            sms_store_save(st);
        }
        return AT_OK;
    }
    if (delete_where(st, s->mem[0], cmgd_flags[flag]))
        sms_store_save(st);
    return AT_OK;
}

static const struct {
    const char *name;
    unsigned stats;
} cmgda_types[6] = {
    {"DEL READ", 1u << 1},   {"DEL UNREAD", 1u << 0}, {"DEL SENT", 1u << 3},
    {"DEL UNSENT", 1u << 2}, {"DEL INBOX", 3u},       {"DEL ALL", 0xF},
};

static int cmd_cmgda(struct modem *m, struct at_req *r)
{
    struct sms_state *s = sms_of(m);
    if (r->form == AT_FORM_TEST) {
        if (s->active.cmgf)
            at_info(m, "+CMGDA: (\"DEL READ\",\"DEL UNREAD\",\"DEL SENT\",\"DEL UNSENT\","
                       "\"DEL INBOX\",\"DEL ALL\")");
        else
            at_info(m, "+CMGDA: (1-6)");
        return AT_OK;
    }
    int verdict;
    struct sms_store *st = sms_store_ready(m, &verdict);
    if (!st)
        return verdict;
    int type = -1;
    if (s->active.cmgf) {
        char name[16];
        if (at_arg_str(&r->args, name, sizeof(name), NULL) == AT_ARG_OK)
            for (int i = 0; i < 6; i++)
                if (ascii_ieq(name, cmgda_types[i].name))
                    type = i;
    } else {
        long v;
        if (at_arg_int(&r->args, 1, 6, &v) == AT_ARG_OK)
            type = (int)v - 1;
    }
    if (type < 0 || !at_args_done(&r->args))
        return AT_ERROR;
    if (delete_where(st, s->mem[0], cmgda_types[type].stats))
        sms_store_save(st);
    return AT_OK;
}

/* --- AT+CCONCINDEX (§6.2.77): the indexes of each concatenated message --- */

#define CONC_GROUPS 64

struct conc_group {
    char addr[48];
    uint16_t ref;
    uint8_t total;
    int index[16]; /* by part; 0: not received */
};

static int cmd_cconcindex(struct modem *m, struct at_req *r)
{
    if (r->form == AT_FORM_TEST)
        return AT_OK;
    int verdict;
    struct sms_store *st = sms_store_ready(m, &verdict);
    if (!st)
        return verdict;
    enum sms_mem mem = sms_of(m)->mem[0];
    struct conc_group *g = calloc(CONC_GROUPS, sizeof(*g));
    if (!g)
        return AT_CMS(320);
    int ng = 0, cap = sms_store_capacity(st, mem);
    for (int i = 1; i <= cap; i++) {
        struct sms_slot *slot = sms_store_slot(st, mem, i);
        struct sms_tpdu t;
        if (!slot->len || sms_pdu_decode(slot->pdu, slot->len, true, NULL, &t) < 0 ||
            !t.concat.present || t.concat.total > 16)
            continue;
        int k = 0;
        while (k < ng && !(g[k].ref == t.concat.ref && g[k].total == t.concat.total &&
                           strcmp(g[k].addr, t.addr.text) == 0))
            k++;
        if (k == ng) {
            if (ng == CONC_GROUPS)
                continue;
            str_copy(g[ng].addr, sizeof(g[ng].addr), t.addr.text);
            g[ng].ref = t.concat.ref;
            g[ng].total = t.concat.total;
            ng++;
        }
        if (!g[k].index[t.concat.seq - 1])
            g[k].index[t.concat.seq - 1] = i;
    }
    for (int k = 0; k < ng; k++) {
        char line[160];
        size_t n = (size_t)snprintf(line, sizeof(line), "+CCONCINDEX: %d", g[k].total);
        for (int p = 0; p < g[k].total; p++)
            n += (size_t)snprintf(line + n, sizeof(line) - n, ",%d", g[k].index[p]);
        at_info(m, "%s", line);
    }
    free(g);
    return AT_OK;
}

#define TW (AT_FORM_TEST | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CMGR", TW, 0, cmd_cmgr, NULL},
    {"+CMGL", TW | AT_FORM_EXEC, 0, cmd_cmgl, NULL},
    {"+CMGD", TW, 0, cmd_cmgd, NULL},
    {"+CMGDA", TW, 0, cmd_cmgda, NULL},
    {"+CMGS", TW, 0, sms_cmd_cmgs, NULL},
    {"+CMGW", TW | AT_FORM_EXEC, 0, sms_cmd_cmgw, NULL},
    {"+CMSS", TW, 0, sms_cmd_cmss, NULL},
    {"+CCONCINDEX", AT_FORM_TEST | AT_FORM_EXEC, 0, cmd_cconcindex, NULL},
};

const struct at_cmd_table sms_msg_table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};
