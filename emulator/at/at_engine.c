#include "at_engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "v250.h"

static void pump(struct at_engine *e);
static void index_drop(struct at_engine *e);
static void run_from_current(struct at_engine *e);

static void data_timer_cb(struct ev_loop *loop, ev_timer *t, int revents);

void at_engine_init(struct at_engine *e, struct modem *m, struct ev_loop *loop,
                    const struct v250_settings *v250, at_sink_fn sink, void *sink_ud)
{
    memset(e, 0, sizeof(*e));
    e->modem = m;
    e->loop = loop;
    e->v250 = v250;
    at_parser_init(&e->parser);
    at_writer_init(&e->writer, v250, sink, sink_ud);
    ev_init(&e->data_timer, data_timer_cb);
    e->data_timer.data = e;
    e->state = AT_ENG_IDLE;
    e->cmds = e->cmds_inline;
}

void at_engine_free(struct at_engine *e)
{
    index_drop(e);
    ev_timer_stop(e->loop, &e->data_timer);
    bytebuf_free(&e->input);
    bytebuf_free(&e->data_buf);
    at_writer_free(&e->writer);
    free(e->cmds_heap);
    e->cmds_heap = NULL;
}

static size_t name_hash(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* false when the name is in the index already. */
static bool index_put(const struct at_cmd **slots, size_t nslots, const struct at_cmd *row)
{
    for (size_t i = name_hash(row->name) & (nslots - 1);; i = (i + 1) & (nslots - 1)) {
        if (!slots[i]) {
            slots[i] = row;
            return true;
        }
        if (strcmp(slots[i]->name, row->name) == 0)
            return false;
    }
}

/* Indexes built so far, by table list: a process runs many modems with the
 * same services, so they share one.  Kept for the life of the process. */
#define INDEX_CACHE_MAX 8
static struct {
    const struct at_cmd_table *tables[AT_TABLES_MAX];
    size_t ntables;
    const struct at_cmd **slots;
    size_t nslots;
} index_cache[INDEX_CACHE_MAX];
static size_t index_cached;

/* Builds (or finds) the index of e's tables; the name of a command two rows
 * register, or NULL.  A list with a name twice is neither used nor cached. */
static const char *index_build(struct at_engine *e)
{
    for (size_t k = 0; k < index_cached; k++) {
        if (index_cache[k].ntables == e->ntables &&
            memcmp(index_cache[k].tables, e->tables, e->ntables * sizeof(e->tables[0])) == 0) {
            e->index = index_cache[k].slots;
            e->index_slots = index_cache[k].nslots;
            return NULL;
        }
    }
    size_t rows = 0;
    for (size_t t = 0; t < e->ntables; t++)
        rows += e->tables[t]->count;
    size_t slots = 16;
    while (slots < 2 * rows)
        slots *= 2;
    const struct at_cmd **index = xcalloc(slots, sizeof(*index));
    for (size_t t = 0; t < e->ntables; t++)
        for (size_t i = 0; i < e->tables[t]->count; i++)
            if (!index_put(index, slots, &e->tables[t]->rows[i])) {
                free(index);
                return e->tables[t]->rows[i].name;
            }
    e->index = index;
    e->index_slots = slots;
    e->index_owned = index_cached == INDEX_CACHE_MAX;
    if (!e->index_owned) {
        memcpy(index_cache[index_cached].tables, e->tables, e->ntables * sizeof(e->tables[0]));
        index_cache[index_cached].ntables = e->ntables;
        index_cache[index_cached].slots = index;
        index_cache[index_cached].nslots = slots;
        index_cached++;
    }
    return NULL;
}

static void index_drop(struct at_engine *e)
{
    if (e->index_owned)
        free(e->index);
    e->index = NULL;
    e->index_owned = false;
}

int at_engine_add_table(struct at_engine *e, const struct at_cmd_table *t, char *err, size_t errlen)
{
    if (e->ntables >= AT_TABLES_MAX) {
        snprintf(err, errlen, "more than %d command tables", AT_TABLES_MAX);
        return -1;
    }
    e->tables[e->ntables++] = t;
    index_drop(e); /* built again by at_engine_seal() or the next lookup */
    return 0;
}

int at_engine_seal(struct at_engine *e, char *err, size_t errlen)
{
    if (e->index)
        return 0;
    const char *twice = index_build(e);
    if (twice) {
        snprintf(err, errlen, "AT%s is registered twice", twice);
        return -1;
    }
    return 0;
}

void at_engine_reset(struct at_engine *e)
{
    ev_timer_stop(e->loop, &e->data_timer);
    bytebuf_clear(&e->input);
    bytebuf_clear(&e->data_buf);
    at_parser_init(&e->parser);
    e->parser.backspace = (uint8_t)e->v250->sreg[5];
    e->state = AT_ENG_IDLE;
    e->passthrough = NULL;
    e->have_last = false;
    at_writer_set_hold(&e->writer, false);
}

static const struct at_cmd *lookup(struct at_engine *e, const char *name)
{
    if (!e->index && index_build(e)) /* an engine never sealed, with a name twice */
        return NULL;
    for (size_t i = name_hash(name) & (e->index_slots - 1);; i = (i + 1) & (e->index_slots - 1)) {
        const struct at_cmd *row = e->index[i];
        if (!row)
            return NULL;
        if (strcmp(row->name, name) != 0)
            continue;
        /* A command the profile's firmware lacks is unknown to it. */
        if (row->features & ~e->features)
            return NULL;
        return row;
    }
}

bool at_engine_knows(struct at_engine *e, const char *name) { return lookup(e, name) != NULL; }

/* Closes the line with its one final result and releases held URCs. */
static void end_line(struct at_engine *e, int result)
{
    at_writer_final(&e->writer, result, e->final_text);
    e->state = AT_ENG_IDLE;
    e->ncmds = 0;
    e->cur = 0;
    at_writer_set_hold(&e->writer, false);
}

/* Takes a command's verdict and either moves on along the ';' chain, waits,
 * or ends the line. */
/* The table that holds command c's row (NULL: unknown). */
static const struct at_cmd_table *table_of(struct at_engine *e, const struct at_command *c)
{
    const struct at_cmd *row = lookup(e, c->name);
    for (size_t i = 0; row && i < e->ntables; i++)
        if (row >= e->tables[i]->rows && row < e->tables[i]->rows + e->tables[i]->count)
            return e->tables[i];
    return NULL;
}

static void finish_command(struct at_engine *e, int result)
{
    if (result == AT_ERROR && e->service_errors_cme && !e->verdict_is_fault && e->cur < e->ncmds) {
        const struct at_cmd_table *t = table_of(e, &e->cmds[e->cur]);
        if (t && t->errors_are_cme)
            result = AT_CME(3); /* shown as ERROR under AT+CMEE=0 */
    }
    if (result == AT_PENDING) {
        if (e->state == AT_ENG_RUNNING)
            e->state = AT_ENG_PENDING;
        return;
    }
    if (result == AT_OK || result == AT_SILENT) {
        e->last_silent = result == AT_SILENT;
        e->cur++;
        e->state = AT_ENG_RUNNING;
        run_from_current(e);
        return;
    }
    end_line(e, result);
}

static at_cmd_hook_fn cmd_hook;

void at_engine_set_cmd_hook(at_cmd_hook_fn fn) { cmd_hook = fn; }

static int dispatch(struct at_engine *e, const struct at_command *c)
{
    const struct at_cmd *row = lookup(e, c->name);
    if (!row)
        return AT_ERROR; /* unknown command: plain ERROR whatever CMEE (our choice where the manual
                            is silent) */
    if (!(row->forms & c->form))
        return AT_ERROR;
    int verdict;
    e->final_text[0] = '\0';
    e->verdict_is_fault = false;
    if (cmd_hook && cmd_hook(e->modem, c->name, c->form, &verdict)) {
        e->verdict_is_fault = true;
        return verdict;
    }
    struct at_req r;
    memset(&r, 0, sizeof(r));
    r.form = c->form;
    r.number = c->number;
    memcpy(e->args_copy, e->line + c->args_off, c->args_len);
    e->args_copy[c->args_len] = '\0';
    r.raw = e->args_copy;
    r.raw_len = c->args_len;
    at_args_init(&r.args, e->args_copy, c->args_len);
    r.last = e->cur == e->ncmds - 1;
    r.ctx = row->ctx;
    e->final_text[0] = '\0';
    return row->fn(e->modem, &r);
}

static void run_from_current(struct at_engine *e)
{
    while (e->cur < e->ncmds) {
        int result = dispatch(e, &e->cmds[e->cur]);
        if (result == AT_OK || result == AT_SILENT) {
            e->last_silent = result == AT_SILENT;
            e->cur++;
            continue;
        }
        finish_command(e, result);
        return;
    }
    end_line(e, e->last_silent ? AT_SILENT : AT_OK);
}

static void run_line(struct at_engine *e, const char *body, size_t len)
{
    /* Remember the line as typed for A/. */
    memcpy(e->last_line, body, len);
    e->last_line[len] = '\0';
    e->last_len = len;
    e->have_last = true;

    memcpy(e->line, body, len);
    e->line_len = at_cmdline_clean(e->line, len);
    e->state = AT_ENG_RUNNING;
    e->cur = 0;
    e->last_silent = false;
    e->final_text[0] = '\0';
    at_writer_set_hold(&e->writer, true);
    e->cmds = e->cmds_inline;
    e->ncmds = at_cmdline_split(e->line, e->line_len, e->cmds, AT_LINE_CMDS_INLINE);
    if (e->ncmds < 0) { /* more commands than fit inline, or a syntax error */
        if (!e->cmds_heap)
            e->cmds_heap = xcalloc(AT_LINE_CMDS_MAX, sizeof(*e->cmds_heap));
        e->cmds = e->cmds_heap;
        e->ncmds = at_cmdline_split(e->line, e->line_len, e->cmds, AT_LINE_CMDS_MAX);
    }
    if (e->ncmds < 0) {
        end_line(e, AT_ERROR);
        return;
    }
    run_from_current(e);
}

static void end_data(struct at_engine *e, enum at_data_end how)
{
    ev_timer_stop(e->loop, &e->data_timer);
    e->state = AT_ENG_PENDING;
    struct at_data_req req = e->data;
    int result = req.cb(e->modem, req.ud, how, e->data_buf.data, e->data_buf.len);
    if (e->state != AT_ENG_DATA)
        bytebuf_clear(&e->data_buf);
    finish_command(e, result);
}

static void data_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct at_engine *e = t->data;
    if (e->state != AT_ENG_DATA)
        return;
    end_data(e, AT_DATA_TIMEOUT);
    pump(e);
}

/* Feeds buffered input to the open data entry; returns bytes consumed. */
static size_t feed_data(struct at_engine *e, const uint8_t *p, size_t n)
{
    bool echo = e->data.echo && e->v250->echo;
    if (e->data.fixed_len > 0) {
        size_t want = e->data.fixed_len - e->data_buf.len;
        size_t take = n < want ? n : want;
        bytebuf_append(&e->data_buf, p, take);
        if (echo)
            at_writer_raw(&e->writer, p, take);
        if (e->data_buf.len == e->data.fixed_len)
            end_data(e, AT_DATA_SUBMIT);
        return take;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0x1A || p[i] == 0x1B) {
            if (echo && i > 0)
                at_writer_raw(&e->writer, p, i);
            end_data(e, p[i] == 0x1A ? AT_DATA_SUBMIT : AT_DATA_CANCEL);
            return i + 1;
        }
        if (e->data_buf.len < e->data.max_len)
            bytebuf_append(&e->data_buf, &p[i], 1);
    }
    if (echo)
        at_writer_raw(&e->writer, p, n);
    return n;
}

/* Which bytes the module echoes: those of a command line, from its 'A' to
 * its terminator.  Stray bytes before an 'A' are discarded without echo --
 * among them the '\n' of a "\r\n" ending, which a real module swallows
 * (an Arduino driver that reads "AT\r\r\nOK\r\n" up to its second CRLF
 * works on real SIM800L modules; an echoed '\n' would hide the OK from it).
 * Echo is decided per character as it arrives, so the line that turns echo
 * off is still echoed. */
static bool echoes(enum at_parser_state before, uint8_t c)
{
    if (before != AT_PS_IDLE)
        return true;
    return c == 'A' || c == 'a';
}

static void feed_command_mode(struct at_engine *e)
{
    const uint8_t *p = bytebuf_head(&e->input);
    size_t n = bytebuf_pending(&e->input);
    enum at_parser_event ev = AT_EV_NONE;
    e->parser.backspace = (uint8_t)e->v250->sreg[5];
    /* Byte by byte: command lines are short, and each byte's echo depends on
     * the state the parser was in when it arrived. */
    size_t used = 0;
    while (used < n && ev == AT_EV_NONE) {
        enum at_parser_state before = e->parser.state;
        uint8_t c = p[used];
        at_parser_feed(&e->parser, &c, 1, &ev);
        if (e->v250->echo && echoes(before, c))
            at_writer_raw(&e->writer, &c, 1);
        e->line_ended_by_cr = ev != AT_EV_NONE && c == '\r';
        used++;
    }
    /* "AT\r\n" in one write: the '\n' belongs to the line just ended and is
     * swallowed now, before a data prompt the line may open could take it. */
    if (e->line_ended_by_cr && used < n && p[used] == '\n') {
        e->line_ended_by_cr = false;
        used++;
    }
    bytebuf_consume(&e->input, used);
    switch (ev) {
    case AT_EV_NONE:
        break;
    case AT_EV_LINE:
        run_line(e, e->parser.line, e->parser.line_len);
        break;
    case AT_EV_REPEAT:
        if (e->have_last) {
            char again[AT_LINE_MAX + 1];
            size_t len = e->last_len;
            memcpy(again, e->last_line, len);
            run_line(e, again, len);
        } else {
            at_writer_set_hold(&e->writer, true);
            end_line(e, AT_OK);
        }
        break;
    case AT_EV_OVERFLOW:
    case AT_EV_GARBAGE:
        /* Manual 1.4.4: an over-long line runs none of its commands. */
        at_writer_set_hold(&e->writer, true);
        end_line(e, AT_ERROR);
        break;
    }
}

static void pump(struct at_engine *e)
{
    if (e->pumping)
        return;
    e->pumping = true;
    while (bytebuf_pending(&e->input) > 0) {
        if (e->state == AT_ENG_DATA) {
            size_t used = feed_data(e, bytebuf_head(&e->input), bytebuf_pending(&e->input));
            bytebuf_consume(&e->input, used);
            continue;
        }
        if (e->state != AT_ENG_IDLE)
            break; /* SIM800 AT Command Manual V1.09 §1.4.5: input waits for the final result */
        if (!e->passthrough && e->output_full && e->output_full(e->modem))
            break; /* the last answer has not left the port yet: at_engine_kick */
        if (e->passthrough) {
            size_t used = e->passthrough(e->modem, e->passthrough_ud, bytebuf_head(&e->input),
                                         bytebuf_pending(&e->input));
            bytebuf_consume(&e->input, used);
            if (used == 0)
                break;
            continue;
        }
        feed_command_mode(e);
    }
    e->pumping = false;
}

void at_engine_input(struct at_engine *e, const uint8_t *p, size_t n)
{
    bytebuf_append(&e->input, p, n);
    pump(e);
}

void at_engine_kick(struct at_engine *e) { pump(e); }

/* --- for the layer above (modem/reply.c wraps these for handlers) --- */

void at_engine_set_final_text(struct at_engine *e, const char *text)
{
    str_copy(e->final_text, sizeof(e->final_text), text);
}

void at_engine_complete(struct at_engine *e, int result)
{
    if (e->state != AT_ENG_PENDING)
        return; /* nothing is waiting: a late or duplicate completion */
    finish_command(e, result);
    pump(e);
}

void at_engine_begin_data(struct at_engine *e, const struct at_data_req *req)
{
    e->data = *req;
    if (e->data.max_len == 0)
        e->data.max_len = (size_t)-1;
    bytebuf_clear(&e->data_buf);
    e->state = AT_ENG_DATA;
    if (req->prompt)
        at_writer_raw(&e->writer, req->prompt, strlen(req->prompt));
    if (req->timeout_ms > 0) {
        ev_timer_set(&e->data_timer, req->timeout_ms / 1000.0, 0.);
        ev_timer_start(e->loop, &e->data_timer);
    }
}

void at_engine_set_passthrough(struct at_engine *e, at_passthrough_fn fn, void *ud)
{
    e->passthrough = fn;
    e->passthrough_ud = ud;
    if (!fn)
        pump(e);
}

bool at_engine_is_pending(const struct at_engine *e) { return e->state == AT_ENG_PENDING; }
