/* The modem's side of the service seam (service.h): each service's state,
 * and the events and resets it is told of. */
#include "service.h"

#include <stdio.h>
#include <string.h>

#include "modem.h"
#include "profile.h"

int service_profile_load(struct profile *p, const struct service *const *services,
                         const char *name_or_path, const char *dir, char *err, size_t errlen)
{
    const struct profile_section *sections[PROFILE_SECTIONS_MAX + 1] = {0};
    size_t n = 0;
    for (size_t i = 0; services && services[i]; i++) {
        if (!services[i]->profile)
            continue;
        if (n == PROFILE_SECTIONS_MAX) {
            snprintf(err, errlen, "more than %d services with profile keys", PROFILE_SECTIONS_MAX);
            return -1;
        }
        sections[n++] = services[i]->profile;
    }
    return profile_load(p, sections, name_or_path, dir, err, errlen);
}

const void *service_config(const struct modem *m, const struct service *s)
{
    return profile_section_config(m->profile, s->profile);
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

void modem_settings_services(struct modem *m, enum service_settings op)
{
    for (size_t i = 0; i < m->nservices; i++)
        if (m->services[i]->settings)
            m->services[i]->settings(m, m->states[i], op);
}

void modem_settings_show(const struct modem *m, struct bytebuf *out)
{
    for (size_t i = 0; i < m->nservices; i++)
        if (m->services[i]->settings_show)
            m->services[i]->settings_show(m, m->states[i], out);
}

void modem_status_services(const struct modem *m, struct bytebuf *out)
{
    for (size_t i = 0; i < m->nservices; i++)
        if (m->services[i]->status)
            m->services[i]->status(m, m->states[i], out);
}

const struct service_verb *modem_service_verb(const struct modem *m, const char *name, void **state)
{
    for (size_t i = 0; i < m->nservices; i++)
        for (const struct service_verb *v = m->services[i]->verbs; v && v->name; v++)
            if (strcmp(v->name, name) == 0) {
                *state = m->states[i];
                return v;
            }
    return NULL;
}

const char *service_arg(const char *args, const char *key, char *out, size_t cap)
{
    size_t k = strlen(key);
    for (const char *q = strstr(args, key); q; q = strstr(q + 1, key)) {
        if ((q != args && q[-1] != ' ') || q[k] != '=')
            continue;
        const char *v = q + k + 1;
        size_t n = 0;
        bool quoted = *v == '"';
        for (v += quoted; *v && (quoted ? *v != '"' : *v != ' '); v++) {
            if (quoted && *v == '\\' && v[1])
                v++;
            if (n + 1 < cap)
                out[n++] = *v;
        }
        out[n] = '\0';
        return out;
    }
    return NULL;
}

void service_log_json(struct bytebuf *reply, const char *ring, size_t stride, unsigned count,
                      unsigned max)
{
    unsigned n = count < max ? count : max;
    bytebuf_append_str(reply, "ok [");
    for (unsigned i = 0; i < n; i++) {
        if (i)
            bytebuf_append_str(reply, ",");
        bytebuf_append_json(reply, ring + (size_t)((count - n + i) % max) * stride);
    }
    bytebuf_append_str(reply, "]");
}

bool service_args_known(const char *args, const char *const *keys, char *bad, size_t cap)
{
    const char *p = args;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            return true;
        const char *word = p;
        size_t k = strcspn(p, "= ");
        bool known = false;
        for (size_t i = 0; p[k] == '=' && keys[i]; i++)
            known = known || (strlen(keys[i]) == k && strncmp(keys[i], p, k) == 0);
        /* Past the value: quoted (with escapes) or up to the next space. */
        p += k;
        if (*p == '=' && p[1] == '"') {
            for (p += 2; *p && *p != '"'; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p)
                p++;
        } else {
            p += strcspn(p, " ");
        }
        if (!known) {
            size_t n = (size_t)(p - word) < cap ? (size_t)(p - word) : cap - 1;
            memcpy(bad, word, n);
            bad[n] = '\0';
            return false;
        }
    }
}
