/* AT+CIPGSMLOC and AT+CLBS (location.h).
 *
 * AT+CIPGSMLOC=<type>,<cid> (manual §13.2.1, example §20.13):
 *   type 1: +CIPGSMLOC: 0,<longitude>,<latitude>,<YYYY/MM/DD>,<hh:mm:ss>  (GMT)
 *   type 2: +CIPGSMLOC: 0,<YYYY/MM/DD>,<hh:mm:ss>
 *   failure: +CIPGSMLOC: <code> (601 network error: the bearer is not open)
 * AT+CLBS=<type>,<cid> (later firmware, feature "lbs"; the forms TinyGSM's
 * SIM800 driver reads):
 *   type 1: +CLBS: 0,<longitude>,<latitude>,<accuracy>
 *   type 4: +CLBS: 0,<longitude>,<latitude>,<accuracy>,<yy/MM/dd>,<hh:mm:ss>
 *   failure: +CLBS: <code> (3 network error: the bearer is not open; UNCERTAIN)
 * The answer comes before OK, [timing] location_ms after the command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "location.h"

#include "bearer.h"
#include "modem.h"
#include "reply.h"
#include "trace.h"

/* Its profile keys (profile.h), each default in its row. */
struct location_config {
    char lon[24]; /* [location] longitude, latitude: degrees, as the profile writes them */
    char lat[24];
    int accuracy;  /* [location] accuracy: metres */
    int answer_ms; /* [timing] location_ms: +CIPGSMLOC/+CLBS answer after this */
};

static const struct profile_key profile_keys[] = {
    PROFILE_STR_KEY(struct location_config, "location", "longitude", lon, "121.354848"),
    PROFILE_STR_KEY(struct location_config, "location", "latitude", lat, "31.221402"),
    PROFILE_INT_KEY(struct location_config, "location", "accuracy", accuracy, 0, 100000, "550"),
    PROFILE_TIMED_KEY(struct location_config, "timing", "location_ms", answer_ms, 0, 60000, "0",
                      "0", "3000"),
    {0},
};

static const struct profile_section profile_section = {"location", profile_keys,
                                                       sizeof(struct location_config)};

static const struct location_config *location_config(const struct modem *m)
{
    return service_config(m, &location_service);
}

static struct location_state *loc_of(const struct modem *m)
{
    return modem_state(m, &location_service);
}

static void answer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct modem *m = t->data;
    at_info(m, "%s", loc_of(m)->pending);
    at_complete(m, AT_OK);
}

/* The answer line, now or [timing] location_ms later (the command pends). */
static int answer(struct modem *m, const char *line)
{
    struct location_state *l = loc_of(m);
    trace_note(m->id, "location", "%s", line);
    if (location_config(m)->answer_ms <= 0) {
        at_info(m, "%s", line);
        return AT_OK;
    }
    str_copy(l->pending, sizeof(l->pending), line);
    ev_timer_init(&l->timer, answer_cb, location_config(m)->answer_ms / 1000.0, 0.);
    l->timer.data = m;
    ev_timer_start(m->loop, &l->timer);
    return AT_PENDING;
}

static void utc_now(struct tm *tm)
{
    time_t now = time(NULL);
    gmtime_r(&now, tm);
}

static int cmd_cipgsmloc(struct modem *m, struct at_req *r)
{
    struct location_state *l = loc_of(m);
    long type, cid;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CIPGSMLOC: (1,2),(1-3)");
        return AT_OK;
    }
    if (at_arg_int(&r->args, 1, 2, &type) != AT_ARG_OK ||
        at_arg_int(&r->args, 1, 3, &cid) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    char line[128];
    if (!bearer_is_open(m, (int)cid))
        return answer(m, "+CIPGSMLOC: 601"); /* network error: no bearer to ask over */
    if (l->fail) {
        snprintf(line, sizeof(line), "+CIPGSMLOC: %d", l->fail);
        return answer(m, line);
    }
    struct tm tm;
    utc_now(&tm);
    char when[64];
    snprintf(when, sizeof(when), "%04d/%02d/%02d,%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (type == 1)
        snprintf(line, sizeof(line), "+CIPGSMLOC: 0,%.6f,%.6f,%s", l->lon, l->lat, when);
    else
        snprintf(line, sizeof(line), "+CIPGSMLOC: 0,%s", when);
    return answer(m, line);
}

static int cmd_clbs(struct modem *m, struct at_req *r)
{
    struct location_state *l = loc_of(m);
    long type, cid;
    if (r->form == AT_FORM_TEST) {
        at_info(m, "+CLBS: (1,4),(1-3)");
        return AT_OK;
    }
    if (at_arg_int(&r->args, 1, 4, &type) != AT_ARG_OK || (type != 1 && type != 4) ||
        at_arg_int(&r->args, 1, 3, &cid) != AT_ARG_OK || !at_args_done(&r->args))
        return AT_ERROR;
    char line[128];
    if (!bearer_is_open(m, (int)cid))
        return answer(m, "+CLBS: 3");
    if (l->fail) {
        snprintf(line, sizeof(line), "+CLBS: %d", l->fail);
        return answer(m, line);
    }
    int n = snprintf(line, sizeof(line), "+CLBS: 0,%.6f,%.6f,%d", l->lon, l->lat, l->accuracy);
    if (type == 4) {
        struct tm tm;
        utc_now(&tm);
        snprintf(line + n, sizeof(line) - (size_t)n, ",%02d/%02d/%02d,%02d:%02d:%02d",
                 tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    return answer(m, line);
}

static const struct at_cmd rows[] = {
    {"+CIPGSMLOC", AT_FORM_TEST | AT_FORM_WRITE, 0, cmd_cipgsmloc, NULL},
    {"+CLBS", AT_FORM_TEST | AT_FORM_WRITE, PROFILE_FEAT_LBS, cmd_clbs, NULL},
};
/* Like the other SIMCom service commands: a plain ERROR is +CME ERROR: 3
 * under AT+CMEE=1/2 with [at] service_errors_cme. */
static const struct at_cmd_table table = {rows, ARRAY_SIZE(rows), .errors_are_cme = true};
static const struct at_cmd_table *const tables[] = {&table, NULL};

/* --- the control socket: "location MODEM [lon= lat= accuracy=] [fail=CODE]" --- */

static bool number(const char *args, const char *key, double lo, double hi, double *out)
{
    char pat[16];
    snprintf(pat, sizeof(pat), "%s=", key);
    for (const char *p = strstr(args, pat); p; p = strstr(p + 1, pat)) {
        if (p != args && p[-1] != ' ')
            continue;
        char *end;
        double v = strtod(p + strlen(pat), &end);
        if (end == p + strlen(pat) || (*end && *end != ' ') || v < lo || v > hi)
            return false;
        *out = v;
        return true;
    }
    return true; /* absent: unchanged */
}

static void verb_location(struct modem *m, void *state, const char *args, struct bytebuf *reply)
{
    (void)m;
    struct location_state *l = state;
    static const char *const keys[] = {"lon", "lat", "accuracy", "fail", NULL};
    char bad[40], line[128];
    if (!service_args_known(args, keys, bad, sizeof(bad))) {
        snprintf(line, sizeof(line), "error %s: not a key of location (lon= lat= accuracy= fail=)",
                 bad);
        bytebuf_append_str(reply, line);
        return;
    }
    double lon = l->lon, lat = l->lat, acc = l->accuracy, fail = l->fail;
    if (!number(args, "lon", -180, 180, &lon) || !number(args, "lat", -90, 90, &lat) ||
        !number(args, "accuracy", 0, 100000, &acc) || !number(args, "fail", 0, 65535, &fail)) {
        bytebuf_append_str(reply, "error location MODEM takes lon=-180..180 lat=-90..90 "
                                  "accuracy=METRES fail=CODE (0: answer again)");
        return;
    }
    l->lon = lon;
    l->lat = lat;
    l->accuracy = (int)acc;
    l->fail = (int)fail;
    snprintf(line, sizeof(line), "ok %.6f,%.6f,%d%s", l->lon, l->lat, l->accuracy,
             l->fail ? " (failing)" : "");
    bytebuf_append_str(reply, line);
}

static const struct service_verb verbs[] = {
    {.name = "location",
     .usage = "location MODEM [lon=DEG lat=DEG accuracy=M] [fail=CODE]  -> ok lon,lat,accuracy",
     .run = verb_location},
    {.name = NULL},
};

/* --- the service --- */

static int service_init(struct modem *m, void *state, char *err, size_t errlen)
{
    struct location_state *l = state;
    char *end;
    l->lon = strtod(location_config(m)->lon, &end);
    if (*end || end == location_config(m)->lon || l->lon < -180 || l->lon > 180) {
        snprintf(err, errlen, "[location] longitude %s: not a number of degrees -180..180",
                 location_config(m)->lon);
        return -1;
    }
    l->lat = strtod(location_config(m)->lat, &end);
    if (*end || end == location_config(m)->lat || l->lat < -90 || l->lat > 90) {
        snprintf(err, errlen, "[location] latitude %s: not a number of degrees -90..90",
                 location_config(m)->lat);
        return -1;
    }
    l->accuracy = location_config(m)->accuracy;
    return 0;
}

static void service_reset(struct modem *m, void *state, enum service_reset why)
{
    (void)why;
    ev_timer_stop(m->loop, &((struct location_state *)state)->timer);
}

const struct service location_service = {
    .name = "location",
    .tables = tables,
    .state_size = sizeof(struct location_state),
    .init = service_init,
    .reset = service_reset,
    .verbs = verbs,
    .profile = &profile_section,
};
