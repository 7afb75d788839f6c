/* A modem's life (lifecycle.h): its engine and tables, its services'
 * states, its port, and the boot sequence that brings it up. */
#include "lifecycle.h"

#include <stdlib.h>

#include "boot.h"
#include "cmd_tables.h"
#include "general.h"
#include "modem.h"
#include "port.h"
#include "service.h"

/* The modem's own commands; the services bring theirs. */
static const struct at_cmd_table *const modem_tables[] = {
    &cmd_v250_table, &cmd_general_table, &cmd_ident_table, &cmd_network_table, NULL};

static int add_tables(struct at_engine *e, const struct at_cmd_table *const *t, char *err,
                      size_t errlen)
{
    for (; t && *t; t++)
        if (at_engine_add_table(e, *t, err, errlen) < 0)
            return -1;
    return 0;
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
    general_settings_init(m);
    at_engine_init(&m->engine, m, loop, &m->v250, modem_output, m);
    m->engine.features = profile->features;
    m->engine.output_full = modem_output_full;
    m->engine.writer.quiet_urcs = profile->quiet_urcs;
    m->engine.v0_data_framing = profile->v0_data_framing;
    m->engine.service_errors_cme = profile->service_errors_cme;
    if (add_tables(&m->engine, modem_tables, err, errlen) < 0) {
        modem_destroy(m);
        return NULL;
    }
    general_init(m);
    m->services = services;
    while (services && services[m->nservices])
        m->nservices++;
    m->states = xcalloc(m->nservices + 1, sizeof(*m->states));
    for (size_t i = 0; i < m->nservices; i++) {
        const struct service *s = services[i];
        m->states[i] = xcalloc(1, s->state_size ? s->state_size : 1);
        if (s->profile && !profile_section_config(profile, s->profile)) {
            snprintf(err, errlen, "the profile was loaded without the %s service's keys", s->name);
            m->nservices = i;
            free(m->states[i]);
            modem_destroy(m);
            return NULL;
        }
        if (add_tables(&m->engine, s->tables, err, errlen) < 0 ||
            (s->init && s->init(m, m->states[i], err, errlen) < 0)) {
            m->nservices = i; /* only those initialised get reset and freed */
            free(m->states[i]);
            modem_destroy(m);
            return NULL;
        }
    }
    if (at_engine_seal(&m->engine, err, errlen) < 0) {
        modem_destroy(m);
        return NULL;
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
    if (modem_attach_port(m, link, err, errlen) < 0) {
        modem_destroy(m);
        return NULL;
    }
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
