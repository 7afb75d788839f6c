#include "modem.h"

#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* [timing] pace: the port runs at the module's rate, AT+IPR's (115200 while
 * autobauding, as the host's rate is not known).  A rate set by AT+IPR takes
 * effect after the result code of its line (manual V1.09 §2.2.41): this is
 * called when the engine is idle, and bytes already queued keep the old rate. */
static void follow_rate(struct modem *m)
{
    if (!m->has_pty || !m->profile->pace || m->engine.state != AT_ENG_IDLE)
        return;
    long rate = m->v250.ipr > 0 ? m->v250.ipr : 115200;
    if (rate == m->pace_rate)
        return;
    m->pace_rate = rate;
    pty_set_pace(&m->pty, rate);
}

/* The writer's sink: bytes to the port, unless the modem cannot speak. */
static void modem_output(void *ud, const uint8_t *p, size_t n)
{
    struct modem *m = ud;
    if (m->power != MODEM_ON)
        return;
    /* Autobauding: until the host's first "AT" sets the rate, whatever the
     * module sends is garbage to the host (SIM800 AT Command Manual V1.09 §2.2.41.1); drop it. */
    if (m->v250.ipr == 0 && !m->autobaud_locked)
        return;
    /* The rest of the answer to a departed client's command is not the next
     * client's; the line's final result ends it (the engine is idle after). */
    if (m->mute_line) {
        if (m->engine.state != AT_ENG_IDLE)
            return;
        m->mute_line = false;
    }
    follow_rate(m);
    while (m->fault_drop > 0 && n > 0) { /* a line-noise fault loses bytes */
        m->fault_drop--;
        trace_note(m->id, "fault", "dropped output byte 0x%02x", p[0]);
        p++;
        n--;
    }
    if (n == 0)
        return;
    if (m->has_pty)
        pty_write(&m->pty, p, n);
    else if (m->test_sink)
        m->test_sink(m->test_sink_ud, p, n);
}

void modem_noise(struct modem *m, const uint8_t *p, size_t n)
{
    if (m->power != MODEM_ON)
        return;
    follow_rate(m);
    if (m->has_pty)
        pty_write(&m->pty, p, n);
    else if (m->test_sink)
        m->test_sink(m->test_sink_ud, p, n);
}

static void pty_input(void *ud, const uint8_t *p, size_t n) { modem_input(ud, p, n); }

static void pty_drained(void *ud) { modem_publish(ud, MODEM_EV_PORT_DRAINED, 0); }

/* Back-pressure (pty.h): what the engine holds, and the go-ahead to run the
 * lines that waited for the output to drain. */
static size_t pty_input_pending(void *ud)
{
    struct modem *m = ud;
    return bytebuf_pending(&m->engine.input);
}

/* The client closed the port: what was queued for it is gone (pty.c), and
 * so is the rest of the answer to the command line it left running. */
static void pty_client_left(void *ud)
{
    struct modem *m = ud;
    m->mute_line = m->engine.state == AT_ENG_RUNNING || m->engine.state == AT_ENG_PENDING;
}

/* A client opened the port: if the last one left a data entry open, this
 * one's bytes go into it (as on the module); the trace says so. */
static void pty_client_came(void *ud)
{
    struct modem *m = ud;
    if (m->engine.state == AT_ENG_DATA)
        trace_note(m->id, "pty", "a data entry is still open: input goes into it");
}

static void pty_resume(void *ud)
{
    struct modem *m = ud;
    at_engine_kick(&m->engine);
}

/* URCs held behind an open line count too: pushed data must not pile up
 * there while a command waits. */
size_t modem_output_backlog(const struct modem *m)
{
    size_t held = bytebuf_pending(&m->engine.writer.held);
    return held + (m->has_pty ? pty_backlog(&m->pty) : 0);
}

bool modem_output_full(const struct modem *m) { return m->has_pty && pty_output_full(&m->pty); }

void modem_want_drain(struct modem *m)
{
    if (m->has_pty)
        pty_want_drain(&m->pty);
}

static bool contains_at(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if ((p[i] == 'A' && p[i + 1] == 'T') || (p[i] == 'a' && p[i + 1] == 't'))
            return true;
    return false;
}

void modem_input(struct modem *m, const uint8_t *p, size_t n)
{
    if (m->power != MODEM_ON || n == 0)
        return; /* resetting or powered down: the UART is not listening */
    follow_rate(m);
    /* Autobauding recognises only "AT" or "at" (manual 2.2.41.1). */
    if (m->v250.ipr == 0 && !m->autobaud_locked) {
        /* A paced port hands bytes over as they cross the wire: the "A"
         * and the "T" may come in two calls. */
        uint8_t prev = m->autobaud_prev;
        m->autobaud_prev = p[n - 1];
        if (n > 0 && ((prev == 'A' && p[0] == 'T') || (prev == 'a' && p[0] == 't'))) {
            m->autobaud_locked = true;
            at_engine_input(&m->engine, &prev, 1);
        } else if (!contains_at(p, n)) {
            return;
        }
        m->autobaud_locked = true;
    }
    at_engine_input(&m->engine, p, n);
}

void *modem_state(const struct modem *m, const struct service *s)
{
    for (size_t i = 0; i < m->nservices; i++)
        if (m->services[i] == s)
            return m->states[i];
    return NULL;
}

void modem_publish(struct modem *m, enum modem_event ev, int arg)
{
    for (size_t i = 0; i < m->nservices; i++)
        if (m->services[i]->event)
            m->services[i]->event(m, m->states[i], ev, arg);
}

void modem_reset_services(struct modem *m, enum service_reset why)
{
    for (size_t i = 0; i < m->nservices; i++)
        if (m->services[i]->reset)
            m->services[i]->reset(m, m->states[i], why);
}

/* The modem's own commands; the services bring theirs. */
static const struct at_cmd_table *const modem_tables[] = {
    &cmd_v250_table, &cmd_general_table, &cmd_ident_table, &cmd_network_table, NULL};

static void add_tables(struct at_engine *e, const struct at_cmd_table *const *t)
{
    for (; t && *t; t++)
        at_engine_add_table(e, *t);
}

static struct modem *modem_new(int id, struct ev_loop *loop, const struct profile *profile,
                               const struct service *const *services, char *err, size_t errlen)
{
    struct modem *m = xcalloc(1, sizeof(*m));
    m->id = id;
    m->loop = loop;
    m->profile = profile;
    m->power = MODEM_ON;
    if (identity_for(profile, id, &m->ident, err, errlen) < 0) {
        free(m);
        return NULL;
    }
    v250_factory(&m->stored);
    m->stored.ipr = profile->ipr;
    m->v250 = m->stored;
    at_engine_init(&m->engine, m, loop, &m->v250, modem_output, m);
    m->engine.features = profile->features;
    m->engine.output_full = modem_output_full;
    m->engine.writer.quiet_urcs = profile->quiet_urcs;
    m->engine.v0_data_framing = profile->v0_data_framing;
    m->engine.service_errors_cme = profile->service_errors_cme;
    add_tables(&m->engine, modem_tables);
    general_init(m);
    m->services = services;
    while (services && services[m->nservices])
        m->nservices++;
    m->states = xcalloc(m->nservices + 1, sizeof(*m->states));
    for (size_t i = 0; i < m->nservices; i++) {
        const struct service *s = services[i];
        add_tables(&m->engine, s->tables);
        m->states[i] = xcalloc(1, s->state_size ? s->state_size : 1);
        if (s->init && s->init(m, m->states[i], err, errlen) < 0) {
            m->nservices = i; /* only those initialised get reset and freed */
            free(m->states[i]);
            modem_destroy(m);
            return NULL;
        }
    }
    return m;
}

struct modem *modem_create(int id, struct ev_loop *loop, const struct profile *profile,
                           const struct service *const *services, const char *link, char *err,
                           size_t errlen)
{
    struct modem *m = modem_new(id, loop, profile, services, err, errlen);
    if (!m)
        return NULL;
    if (pty_open(&m->pty, loop, link, pty_input, m, id, err, errlen) < 0) {
        modem_destroy(m);
        return NULL;
    }
    m->has_pty = true;
    m->pty.on_drain = pty_drained;
    m->pty.on_input_pending = pty_input_pending;
    m->pty.on_resume = pty_resume;
    m->pty.on_client = pty_client_came;
    m->pty.on_client_left = pty_client_left;
    follow_rate(m);
    boot_start(m);
    return m;
}

struct modem *modem_create_detached(int id, struct ev_loop *loop, const struct profile *profile,
                                    const struct service *const *services, at_sink_fn sink,
                                    void *ud)
{
    char err[256];
    struct modem *m = modem_new(id, loop, profile, services, err, sizeof(err));
    if (!m)
        return NULL;
    m->test_sink = sink;
    m->test_sink_ud = ud;
    boot_start(m);
    return m;
}

void modem_destroy(struct modem *m)
{
    if (!m)
        return;
    boot_stop(m);
    modem_reset_services(m, SERVICE_DESTROY);
    for (size_t i = 0; i < m->nservices; i++)
        free(m->states[i]);
    free(m->states);
    at_engine_free(&m->engine);
    if (m->has_pty)
        pty_close(&m->pty);
    free(m);
}

const char *modem_port_path(const struct modem *m) { return m->has_pty ? m->pty.slave_path : ""; }
