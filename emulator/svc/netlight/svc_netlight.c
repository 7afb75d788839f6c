/* AT+CNETLIGHT, AT+SLEDS and AT+CSGS (SIM800 AT Command Manual V1.09
 * §6.2.48, §6.2.51, §6.2.55): the net light's settings, saved by AT&W, and
 * the blink pattern they give in the modem's state, which `status` and the
 * control request "netlight MODEM" show (there is no pin to look at). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "netlight.h"

#include "modem.h"
#include "reply.h"
#include "setting.h"

#define FIELD(f) offsetof(struct netlight_state, active.f)

static struct netlight_state *netlight_of(const struct modem *m)
{
    return modem_state(m, &netlight_service);
}

/* The manual's defaults (§6.2.48 note, §6.2.51, §6.2.55). */
static void factory(struct netlight_settings *s)
{
    static const int sleds[NETLIGHT_MODES][2] = {{64, 800}, {64, 3000}, {64, 300}};
    s->on = 1;
    s->csgs = 1;
    memcpy(s->sleds, sleds, sizeof(sleds));
}

/* --- the commands --- */

static const struct setting_desc cnetlight_desc = {
    "+CNETLIGHT", "+CNETLIGHT: (0,1)", FIELD(on), 0, 1, 0, &netlight_service};
static const struct setting_desc csgs_desc = {"+CSGS", "+CSGS: (0-2)",   FIELD(csgs), 0, 2,
                                              0,       &netlight_service};

static bool timer_ok(long ms) { return ms == 0 || (ms >= 40 && ms <= 65535); }

static int cmd_sleds(struct modem *m, struct at_req *r)
{
    struct netlight_settings *s = &netlight_of(m)->active;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+SLEDS: (1-3),(0,40-65535),(0,40-65535)");
        return AT_OK;
    }
    if (r->form == AT_FORM_READ) {
        /* UNCERTAIN: the manual shows one "<mode>,<timer_on>,<timer_off>"
         * line; a line per mode is what users' logs show. */
        at_info(m, "+SLEDS: 1,%d,%d\r\n+SLEDS: 2,%d,%d\r\n+SLEDS: 3,%d,%d", s->sleds[0][0],
                s->sleds[0][1], s->sleds[1][0], s->sleds[1][1], s->sleds[2][0], s->sleds[2][1]);
        return AT_OK;
    }
    long mode, on, off;
    if (at_arg_int(&r->args, 1, NETLIGHT_MODES, &mode) != AT_ARG_OK ||
        at_arg_int(&r->args, 0, 65535, &on) != AT_ARG_OK ||
        at_arg_int(&r->args, 0, 65535, &off) != AT_ARG_OK || !at_args_done(&r->args) ||
        !timer_ok(on) || !timer_ok(off))
        return AT_ERROR;
    s->sleds[mode - 1][0] = (int)on;
    s->sleds[mode - 1][1] = (int)off;
    return AT_OK;
}

#define RW (AT_FORM_TEST | AT_FORM_READ | AT_FORM_WRITE)

static const struct at_cmd rows[] = {
    {"+CNETLIGHT", RW, 0, setting_cmd, &cnetlight_desc},
    {"+SLEDS", RW, 0, cmd_sleds, NULL},
    {"+CSGS", RW, 0, setting_cmd, &csgs_desc},
};

static const struct at_cmd_table table = {rows, ARRAY_SIZE(rows), .errors_are_cme = false};
static const struct at_cmd_table *const tables[] = {&table, NULL};

/* --- what the light shows --- */

/* "64/3000" (ms on, ms off), "off", or "on" (never off), and the state
 * it stands for.  Data means a PDP context AT+CGACT activated. */
static void pattern(const struct modem *m, const struct netlight_settings *s, char *out, size_t cap,
                    const char **state)
{
    const struct general_state *g = &m->general;
    bool data = false;
    for (int i = 1; i <= CGDCONT_MAX; i++)
        data = data || g->ctx[i].active;
    int mode = !g->registered ? 0 : data && s->csgs ? 2 : 1;
    *state = mode == 0 ? "searching" : mode == 1 ? "registered" : "data";
    int on = s->sleds[mode][0], off = s->sleds[mode][1];
    if (mode == 2 && s->csgs == 1) { /* forced (§6.2.55) */
        on = 64;
        off = 300;
    }
    if (!s->on || on == 0)
        snprintf(out, cap, "off");
    else if (off == 0)
        snprintf(out, cap, "on");
    else
        snprintf(out, cap, "%d/%d", on, off);
}

static void status(const struct modem *m, const void *state, struct bytebuf *out)
{
    const struct netlight_state *n = state;
    char shown[32], member[64];
    const char *why;
    pattern(m, &n->active, shown, sizeof(shown), &why);
    snprintf(member, sizeof(member), ",\"netlight\":\"%s\"", shown);
    bytebuf_append_str(out, member);
}

static void verb_netlight(struct modem *m, void *state, const char *args, struct bytebuf *reply)
{
    if (*args) {
        bytebuf_append_str(reply, "error netlight takes a modem index and nothing else");
        return;
    }
    struct netlight_state *n = state;
    char shown[32], line[96];
    const char *why;
    pattern(m, &n->active, shown, sizeof(shown), &why);
    snprintf(line, sizeof(line), "ok %s %s", shown, why);
    bytebuf_append_str(reply, line);
}

static const struct service_verb verbs[] = {
    {.name = "netlight",
     .usage = "netlight MODEM  -> ok 64/3000 registered (the blink pattern: ms on/off)",
     .run = verb_netlight},
    {.name = NULL},
};

/* --- the service --- */

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    (void)m;
    (void)err;
    (void)errlen;
    struct netlight_state *n = state;
    factory(&n->stored);
    n->active = n->stored;
    return 0;
}

static void settings(struct modem *m, void *state, enum service_settings op)
{
    struct netlight_state *n = state;
    switch (op) {
    case SERVICE_SETTINGS_SAVE:
        n->stored = n->active;
        break;
    case SERVICE_SETTINGS_RESTORE:
        n->active = n->stored;
        break;
    case SERVICE_SETTINGS_FACTORY:
        factory(&n->active);
        if (m->profile->factory_resets_saved)
            n->stored = n->active;
        break;
    }
}

const struct service netlight_service = {
    .name = "netlight",
    .tables = tables,
    .state_size = sizeof(struct netlight_state),
    .init = service_init,
    .settings = settings,
    .status = status,
    .verbs = verbs,
};
