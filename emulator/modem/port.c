#include "port.h"

#include "modem.h"
#include "service.h"

#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* [timing] pace: the port runs at the module's rate, AT+IPR's; while
 * autobauding, the host's rate when it told us (RFC 2217), else 115200.  A rate set by AT+IPR takes
 * effect after the result code of its line (manual V1.09 §2.2.41): this is
 * called when the engine is idle, and bytes already queued keep the old rate. */
static void follow_rate(struct modem *m)
{
    if (!m->has_pty || !m->profile->pace || m->engine.state != AT_ENG_IDLE)
        return;
    long rate = m->v250.ipr > 0 ? m->v250.ipr : m->host_rate > 0 ? m->host_rate : 115200;
    if (rate == m->pace_rate)
        return;
    m->pace_rate = rate;
    pty_set_pace(&m->pty, rate);
}

/* The writer's sink: bytes to the port, unless the modem cannot speak. */
void modem_output(void *ud, const uint8_t *p, size_t n)
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

void modem_drop_output(struct modem *m, unsigned n) { m->fault_drop += n; }

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

int modem_attach_port(struct modem *m, const char *link, char *err, size_t errlen)
{
    if (pty_open(&m->pty, m->loop, link, pty_input, m, m->id, err, errlen) < 0)
        return -1;
    m->has_pty = true;
    m->pty.on_drain = pty_drained;
    m->pty.on_input_pending = pty_input_pending;
    m->pty.on_resume = pty_resume;
    m->pty.on_client = pty_client_came;
    m->pty.on_client_left = pty_client_left;
    follow_rate(m);
    return 0;
}

const char *modem_port_path(const struct modem *m) { return m->has_pty ? m->pty.slave_path : ""; }

void modem_port_host_rate(struct modem *m, long baud)
{
    m->host_rate = baud;
    follow_rate(m);
}
