/* The message memories (sms.h): "SM" on the SIM and "ME" in the module,
 * with the SMS centre and +CSMP values the manual says are written to
 * non-volatile memory (§4.2.12, §4.2.15).  Made on the first SMS command, so
 * a thousand modems that never touch SMS hold none of it.
 *
 * Like a SIM, the store outlives a reboot (it lives in the service's state,
 * which AT+CFUN=1,1 does not clear) and, with --storage DIR, the process: it
 * is kept in DIR/modem<i>.sms, written whole to a temporary file and renamed
 * over the old one after every change, so a kill leaves the old store or the
 * new, never a torn one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sms.h"

#include "fs.h"
#include "modem.h"

const char *const sms_mem_names[MEM_COUNT] = {"SM", "ME", "MT"};

int sms_not_ready(const struct modem *m)
{
    if (m->general.sim == SIM_ABSENT)
        return AT_CMS(310);
    if (m->general.sim == SIM_PIN)
        return AT_CMS(311);
    if (!sms_of(m)->ready)
        return AT_CMS(314);
    return 0;
}

const char *sms_mem_of_index(const struct sms_store *st, enum sms_mem mem, int *index)
{
    if (mem != MEM_MT)
        return sms_mem_names[mem];
    if (*index <= st->capacity[0])
        return "SM";
    *index -= st->capacity[0];
    return "ME";
}

static void params_factory(const struct sms_config *c, struct sms_params *a)
{
    memset(a, 0, sizeof(*a));
    str_copy(a->sca, sizeof(a->sca), c->sca);
    a->tosca = c->sca[0] == '+' ? SMS_TOA_INTERNATIONAL : SMS_TOA_UNKNOWN;
    /* +CSMP's defaults (manual §4.2.15): SUBMIT with a relative validity
     * period, 167 (one day), PID 0, the GSM 7-bit alphabet. */
    a->fo = 17;
    a->vp = 167;
}

/* "nv I "SCA" TOSCA FO VP PID DCS": I is -1 for the active values. */
static void load_nv(struct sms_store *st, const char *line)
{
    int i, tosca, fo, vp, pid, dcs, used = 0;
    char sca[24];
    if (sscanf(line, "nv %d \"%23[^\"]\" %d %d %d %d %d%n", &i, sca, &tosca, &fo, &vp, &pid, &dcs,
               &used) != 7) {
        sca[0] = '\0';
        if (sscanf(line, "nv %d \"\" %d %d %d %d %d%n", &i, &tosca, &fo, &vp, &pid, &dcs, &used) !=
            6)
            return;
    }
    if (i < -1 || i > 3)
        return;
    struct sms_params *a = i < 0 ? &st->nv.active : &st->nv.saved[i];
    str_copy(a->sca, sizeof(a->sca), sca);
    a->tosca = tosca & 0xFF;
    a->fo = fo & 0xFF;
    a->vp = vp & 0xFF;
    a->pid = pid & 0xFF;
    a->dcs = dcs & 0xFF;
}

/* "slot SM INDEX STAT HEX" */
static void load_slot(struct sms_store *st, const char *line)
{
    char mem[3], hex[2 * SMS_PDU_MAX + 2];
    int index, stat;
    if (sscanf(line, "slot %2s %d %d %353s", mem, &index, &stat, hex) != 4)
        return;
    int which = strcmp(mem, "SM") == 0 ? 0 : strcmp(mem, "ME") == 0 ? 1 : -1;
    size_t n = strlen(hex);
    if (which < 0 || index < 1 || index > st->capacity[which] || stat < 0 || stat > 3 || n % 2 ||
        n == 0 || n / 2 > SMS_PDU_MAX)
        return;
    struct sms_slot *s = &st->slots[which][index - 1];
    size_t len;
    if (hex_to_bytes(hex, n, s->pdu, sizeof(s->pdu), &len) < 0)
        return;
    /* A line that does not decode is left out: the SIM shows what it can read. */
    struct sms_tpdu t;
    if (sms_pdu_decode(s->pdu, len, true, NULL, &t) < 0)
        return;
    s->stat = (uint8_t)stat;
    s->len = (uint8_t)len;
}

static void load(struct sms_store *st)
{
    FILE *f = fopen(st->path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "nv ", 3) == 0)
            load_nv(st, line);
        else if (strncmp(line, "slot ", 5) == 0)
            load_slot(st, line);
    }
    fclose(f);
}

struct sms_store *sms_store_get(struct modem *m)
{
    struct sms_state *s = sms_of(m);
    if (s->store)
        return s->store;
    struct sms_store *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    const struct sms_config *c = sms_config(m);
    st->capacity[0] = c->sm_capacity;
    st->capacity[1] = c->me_capacity;
    for (int i = 0; i < 2; i++) {
        st->slots[i] =
            calloc((size_t)(st->capacity[i] ? st->capacity[i] : 1), sizeof(struct sms_slot));
        if (!st->slots[i]) {
            sms_store_free(st);
            return NULL;
        }
    }
    params_factory(c, &st->nv.active);
    for (int i = 0; i < 4; i++)
        st->nv.saved[i] = st->nv.active;
    const char *base = fs_base_dir();
    if (base[0]) {
        snprintf(st->path, sizeof(st->path), "%s/modem%d.sms", base, m->id);
        load(st);
    }
    s->store = st;
    return st;
}

static void put_nv(FILE *f, int i, const struct sms_params *a)
{
    fprintf(f, "nv %d \"%s\" %d %d %d %d %d\n", i, a->sca, a->tosca, a->fo, a->vp, a->pid, a->dcs);
}

struct sms_store *sms_store_ready(struct modem *m, int *verdict)
{
    *verdict = sms_not_ready(m);
    if (*verdict)
        return NULL;
    struct sms_store *st = sms_store_get(m);
    if (!st)
        *verdict = AT_CMS(320);
    return st;
}

void sms_store_save(struct sms_store *st)
{
    if (!st->path[0])
        return;
    char tmp[620];
    snprintf(tmp, sizeof(tmp), "%s.tmp", st->path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "# sim800emu SMS store: what this modem's SIM and memory hold\n");
    put_nv(f, -1, &st->nv.active);
    for (int i = 0; i < 4; i++)
        put_nv(f, i, &st->nv.saved[i]);
    for (int w = 0; w < 2; w++) {
        for (int i = 0; i < st->capacity[w]; i++) {
            const struct sms_slot *s = &st->slots[w][i];
            if (!s->len)
                continue;
            fprintf(f, "slot %s %d %d ", sms_mem_names[w], i + 1, s->stat);
            for (size_t k = 0; k < s->len; k++)
                fprintf(f, "%02X", s->pdu[k]);
            fputc('\n', f);
        }
    }
    bool ok = fflush(f) == 0 && !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, st->path) < 0)
        unlink(tmp); /* the old store stays whole */
}

int sms_store_capacity(const struct sms_store *st, enum sms_mem mem)
{
    return mem == MEM_MT ? st->capacity[0] + st->capacity[1] : st->capacity[mem];
}

struct sms_slot *sms_store_slot(struct sms_store *st, enum sms_mem mem, int index)
{
    if (index < 1 || index > sms_store_capacity(st, mem))
        return NULL;
    if (mem == MEM_MT) { /* SM's indexes first, then ME's */
        if (index <= st->capacity[0])
            return &st->slots[0][index - 1];
        return &st->slots[1][index - 1 - st->capacity[0]];
    }
    return &st->slots[mem][index - 1];
}

int sms_store_used(const struct sms_store *st, enum sms_mem mem)
{
    int n = 0;
    for (int w = 0; w < 2; w++) {
        if (mem != MEM_MT && (int)mem != w)
            continue;
        for (int i = 0; i < st->capacity[w]; i++)
            n += st->slots[w][i].len != 0;
    }
    return n;
}

int sms_store_free_index(struct sms_store *st, enum sms_mem mem)
{
    int cap = sms_store_capacity(st, mem);
    for (int i = 1; i <= cap; i++)
        if (!sms_store_slot(st, mem, i)->len)
            return i;
    return 0;
}

void sms_store_free(struct sms_store *st)
{
    if (!st)
        return;
    free(st->slots[0]);
    free(st->slots[1]);
    free(st);
}
