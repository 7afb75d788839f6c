#include "profile.h"

#include <dirent.h>
#include <ini.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "tls.h"
#include "util.h"

/* The module's own keys (a service's are in its section). */
#define STR(sec, k, field, def) PROFILE_STR_KEY(struct profile, sec, k, field, def)
#define INT(sec, k, field, lo, hi, def) PROFILE_INT_KEY(struct profile, sec, k, field, lo, hi, def)
#define BOOL(sec, k, field, def) PROFILE_BOOL_KEY(struct profile, sec, k, field, def)
#define TIMED(sec, k, field, lo, hi, def, fast, real)                                              \
    PROFILE_TIMED_KEY(struct profile, sec, k, field, lo, hi, def, fast, real)
#define TYPED(type, sec, k, field, lo, hi, def)                                                    \
    {                                                                                              \
        sec, k, type, PROFILE_FIELD(struct profile, field), lo, hi, def, NULL, NULL                \
    }
#define DIG(sec, k, field, lo, hi, def) TYPED(PROFILE_KEY_DIGITS, sec, k, field, lo, hi, def)
#define HEX(sec, k, field, def) TYPED(PROFILE_KEY_HEX4, sec, k, field, 0, 0, def)

static const struct profile_key module_keys[] = {
    STR("modem", "ati", ati, "SIM800 R14.18"),
    STR("modem", "manufacturer", manufacturer, "SIMCOM_Ltd"),
    STR("modem", "model", model, "SIMCOM_SIM800L"),
    STR("modem", "revision", revision, "1418B04SIM800L24"),
    DIG("modem", "imei", imei, 15, 15, "866782042319406"),
    DIG("modem", "imsi", imsi, 6, 15, "460008184101641"),
    STR("modem", "iccid", iccid, "898600810906F8048812"),
    STR("modem", "imeis", imeis, ""),
    STR("modem", "imsis", imsis, ""),
    STR("modem", "iccids", iccids, ""),
    TYPED(PROFILE_KEY_FEATURES, "modem", "features", features, 0, 0, "ssl, fs, lbs"),
    BOOL("sim", "present", sim_present, "true"),
    DIG("sim", "pin", sim_pin, 0, 8, ""),
    STR("sim", "number", sim_number, ""),
    STR("sim", "numbers", sim_numbers, ""),
    INT("network", "rssi", rssi, 0, 99, "18"),
    INT("network", "ber", ber, 0, 99, "0"),
    INT("network", "reg_stat", reg_stat, 0, 5, "1"),
    STR("network", "operator", operator_long, "CHINA MOBILE"),
    STR("network", "operator_short", operator_short, "CMCC"),
    DIG("network", "operator_numeric", operator_numeric, 5, 6, "46000"),
    HEX("network", "lac", lac, "1A2B"),
    HEX("network", "ci", ci, "0F3C"),
    STR("network", "local_ip", local_ip, "10.78.245.128"),
    INT("network", "tz_quarters", tz_quarters, -47, 48, "32"),
    BOOL("network", "ctzv", net_ctzv, "true"),
    INT("battery", "status", bat_status, 0, 2, "0"),
    INT("battery", "percent", bat_percent, 0, 100, "82"),
    INT("battery", "millivolts", bat_mv, 0, 10000, "4049"),
    TYPED(PROFILE_KEY_TLSVER, "tls", "min_version", tls_min, 0, 0, "tls1"),
    TYPED(PROFILE_KEY_TLSVER, "tls", "max_version", tls_max, 0, 0, "tls1"),
    STR("tls", "ciphers", tls_ciphers, "AES128-SHA:AES256-SHA:DES-CBC3-SHA:@SECLEVEL=0"),
    BOOL("tls", "sni", tls_sni, "true"),
    BOOL("tls", "ignore_invalid_cert", tls_ignore_invalid, "false"),
    STR("tls", "ca_file", tls_ca_file, NULL),
    TYPED(PROFILE_KEY_VERIFY, "tls", "verify", tls_verify, 0, 0, "module"),
    STR("fs", "storage", fs_storage, ""),
    INT("tcpip", "connect_timeout_s", connect_timeout_s, 1, 160, "75"),
    {"timing", "pace", PROFILE_KEY_BOOL, PROFILE_FIELD(struct profile, pace), 0, 0, "false",
     "false", "true"},
    TIMED("timing", "connect_ms", connect_ms, 0, 75000, "0", "0", "600"),
    TIMED("timing", "tls_handshake_ms", tls_handshake_ms, 0, 75000, "0", "0", "1200"),
    TIMED("timing", "cfun_ms", cfun_ms, 0, 10000, "0", "0", "4700"),
    BOOL("at", "quiet_urcs", quiet_urcs, "true"),
    BOOL("at", "v0_data_framing", v0_data_framing, "true"),
    BOOL("at", "service_errors_cme", service_errors_cme, "true"),
    BOOL("at", "factory_resets_saved", factory_resets_saved, "true"),
    INT("boot", "ipr", ipr, 0, 460800, "115200"),
    INT("boot", "rdy_ms", rdy_ms, 0, 600000, "300"),
    INT("boot", "cpin_ms", cpin_ms, 0, 600000, "500"),
    INT("boot", "call_ready_ms", call_ready_ms, 0, 600000, "1200"),
    INT("boot", "sms_ready_ms", sms_ready_ms, 0, 600000, "1500"),
    INT("boot", "reset_ms", reset_ms, 0, 600000, "1000"),
};

static const struct {
    const char *name;
    unsigned bit;
} feature_names[] = {
    {"ssl", PROFILE_FEAT_SSL}, {"ssl_roots", PROFILE_FEAT_SSL_ROOTS},
    {"fs", PROFILE_FEAT_FS},   {"ssl_client", PROFILE_FEAT_SSL_CLIENT},
    {"lbs", PROFILE_FEAT_LBS},
};

static const long valid_rates[] = {0,     1200,  2400,   4800,   9600,  19200,
                                   38400, 57600, 115200, 230400, 460800};

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static int parse_features(const char *value, unsigned *out, char *err, size_t errlen)
{
    unsigned bits = 0;
    char buf[256];
    if (!str_copy(buf, sizeof(buf), value)) {
        snprintf(err, errlen, "value too long");
        return -1;
    }
    for (char *save = NULL, *tok = strtok_r(buf, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        bool found = false;
        for (size_t i = 0; i < ARRAY_SIZE(feature_names); i++) {
            if (strcmp(tok, feature_names[i].name) == 0) {
                bits |= feature_names[i].bit;
                found = true;
            }
        }
        if (!found) {
            snprintf(err, errlen, "unknown feature '%s' (known: ssl, ssl_roots, fs)", tok);
            return -1;
        }
    }
    *out = bits;
    return 0;
}

/* Parses value into row's field of base (the profile, or a section's struct). */
static int set_row(void *base, const struct profile_key *row, const char *value, char *err,
                   size_t errlen)
{
    char *field = (char *)base + row->offset;
    size_t len = strlen(value);
    switch (row->type) {
    case PROFILE_KEY_STR:
        if (len >= row->size) {
            snprintf(err, errlen, "longer than %zu characters", row->size - 1);
            return -1;
        }
        memcpy(field, value, len + 1);
        return 0;
    case PROFILE_KEY_DIGITS:
        if (len < (size_t)row->min || len > (size_t)row->max || len >= row->size) {
            snprintf(err, errlen, "must be %ld to %ld digits", row->min, row->max);
            return -1;
        }
        for (size_t i = 0; i < len; i++) {
            if (value[i] < '0' || value[i] > '9') {
                snprintf(err, errlen, "must be digits only");
                return -1;
            }
        }
        memcpy(field, value, len + 1);
        return 0;
    case PROFILE_KEY_HEX4:
        if (len != 4 || !is_hex(value[0]) || !is_hex(value[1]) || !is_hex(value[2]) ||
            !is_hex(value[3])) {
            snprintf(err, errlen, "must be 4 hexadecimal digits");
            return -1;
        }
        for (size_t i = 0; i < 4; i++)
            field[i] = ascii_upper(value[i]);
        field[4] = '\0';
        return 0;
    case PROFILE_KEY_INT: {
        char *end;
        long v = strtol(value, &end, 10);
        if (len == 0 || *end != '\0' || v < row->min || v > row->max) {
            snprintf(err, errlen, "must be an integer from %ld to %ld", row->min, row->max);
            return -1;
        }
        if (row->size == sizeof(long))
            *(long *)(void *)field = v;
        else
            *(int *)(void *)field = (int)v;
        return 0;
    }
    case PROFILE_KEY_BOOL:
        if (ascii_ieq(value, "true") || ascii_ieq(value, "yes") || strcmp(value, "1") == 0)
            *(bool *)(void *)field = true;
        else if (ascii_ieq(value, "false") || ascii_ieq(value, "no") || strcmp(value, "0") == 0)
            *(bool *)(void *)field = false;
        else {
            snprintf(err, errlen, "must be true or false");
            return -1;
        }
        return 0;
    case PROFILE_KEY_FEATURES:
        return parse_features(value, (unsigned *)(void *)field, err, errlen);
    case PROFILE_KEY_TLSVER: {
        int v = tls_parse_version(value);
        if (v < 0) {
            snprintf(err, errlen, "must be tls1, tls1.1, tls1.2 or tls1.3");
            return -1;
        }
        *(int *)(void *)field = v;
        return 0;
    }
    case PROFILE_KEY_VERIFY: {
        int v = tls_parse_verify_mode(value);
        if (v < 0) {
            snprintf(err, errlen, "must be module, always or never");
            return -1;
        }
        *(int *)(void *)field = v;
        return 0;
    }
    }
    return -1;
}

/* Where a row's field lives: the profile itself for the module's keys
 * (section -1), else section i's struct. */
static void *row_base(struct profile *p, long section)
{
    return section < 0 ? (void *)p : (void *)(p->section_bytes + p->section_offset[section]);
}

/* Calls fn for every key: the module's, then each section's in order. */
static int each_key(struct profile *p,
                    int (*fn)(struct profile *p, void *base, const struct profile_key *row,
                              void *ctx),
                    void *ctx)
{
    for (size_t i = 0; i < ARRAY_SIZE(module_keys); i++) {
        int rc = fn(p, p, &module_keys[i], ctx);
        if (rc)
            return rc;
    }
    for (size_t s = 0; s < p->nsections; s++)
        for (const struct profile_key *row = p->sections[s]->keys; row->key; row++) {
            int rc = fn(p, row_base(p, (long)s), row, ctx);
            if (rc)
                return rc;
        }
    return 0;
}

static int set_default(struct profile *p, void *base, const struct profile_key *row, void *ctx)
{
    (void)p;
    (void)ctx;
    char err[160];
    if (row->def && set_row(base, row, row->def, err, sizeof(err)) < 0) {
        fprintf(stderr, "[%s] %s: default '%s': %s\n", row->section, row->key, row->def, err);
        abort(); /* a row whose default its own parser refuses: a bug here */
    }
    return 0;
}

/* Every key's default is in its row, once: the values of the shipped
 * sim800l-r14.18 profile, which spells them all out for users (a test
 * holds the two together through --profile-keys).  The sections' structs
 * are laid out one after another in the profile. */
static void profile_defaults(struct profile *p, const struct profile_section *const *sections)
{
    memset(p, 0, sizeof(*p));
    size_t used = 0;
    for (size_t i = 0; sections && sections[i]; i++) {
        size_t align = alignof(max_align_t);
        size_t size = (sections[i]->size + align - 1) / align * align;
        /* Both limits are ours: a bug here, found by every test. */
        if (p->nsections == PROFILE_SECTIONS_MAX || used + size > sizeof(p->section_bytes)) {
            fprintf(stderr, "profile: more sections than PROFILE_SECTIONS_MAX/BYTES\n");
            abort();
        }
        p->sections[p->nsections] = sections[i];
        p->section_offset[p->nsections++] = used;
        used += size;
    }
    each_key(p, set_default, NULL);
}

const void *profile_section_config(const struct profile *p, const struct profile_section *section)
{
    for (size_t i = 0; i < p->nsections; i++)
        if (p->sections[i] == section)
            return p->section_bytes + p->section_offset[i];
    return NULL;
}

static int check_profile(const struct profile *p, char *err, size_t errlen)
{
    bool rate_ok = false;
    for (size_t i = 0; i < ARRAY_SIZE(valid_rates); i++)
        rate_ok |= valid_rates[i] == p->ipr;
    if (!rate_ok) {
        snprintf(err, errlen, "[boot] ipr: %ld is not a SIM800 rate", p->ipr);
        return -1;
    }

    return 0;
}

struct set_ctx {
    const char *section, *key, *value;
    char *err;
    size_t errlen;
};

static int set_matching(struct profile *p, void *base, const struct profile_key *row, void *ctx)
{
    (void)p;
    struct set_ctx *c = ctx;
    if (strcmp(row->section, c->section) != 0 || strcmp(row->key, c->key) != 0)
        return 0;
    char why[160];
    if (set_row(base, row, c->value, why, sizeof(why)) < 0) {
        snprintf(c->err, c->errlen, "[%s] %s: %s", c->section, c->key, why);
        return -1;
    }
    return 1;
}

int profile_set(struct profile *p, const char *section, const char *key, const char *value,
                char *err, size_t errlen)
{
    struct set_ctx c = {section, key, value, err, errlen};
    int rc = each_key(p, set_matching, &c);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        snprintf(err, errlen, "[%s] %s: unknown key", section, key);
        return -1;
    }
    return check_profile(p, err, errlen);
}

struct timing_ctx {
    bool real;
    char *err;
    size_t errlen;
};

static int set_timed(struct profile *p, void *base, const struct profile_key *row, void *ctx)
{
    (void)p;
    struct timing_ctx *c = ctx;
    const char *value = c->real ? row->real : row->fast;
    char why[160];
    if (value && set_row(base, row, value, why, sizeof(why)) < 0) {
        snprintf(c->err, c->errlen, "[%s] %s: %s", row->section, row->key, why);
        return -1;
    }
    return 0;
}

int profile_set_timing(struct profile *p, bool real, char *err, size_t errlen)
{
    struct timing_ctx c = {real, err, errlen};
    return each_key(p, set_timed, &c) < 0 ? -1 : 0;
}

/* A field's value, written as a profile would write it. */
static void format_row(const void *base, const struct profile_key *row, char *out, size_t cap)
{
    const char *field = (const char *)base + row->offset;
    switch (row->type) {
    case PROFILE_KEY_STR:
    case PROFILE_KEY_DIGITS:
    case PROFILE_KEY_HEX4:
        snprintf(out, cap, "%s", field);
        return;
    case PROFILE_KEY_INT:
        if (row->size == sizeof(long))
            snprintf(out, cap, "%ld", *(const long *)(const void *)field);
        else
            snprintf(out, cap, "%d", *(const int *)(const void *)field);
        return;
    case PROFILE_KEY_BOOL:
        snprintf(out, cap, "%s", *(const bool *)(const void *)field ? "true" : "false");
        return;
    case PROFILE_KEY_FEATURES: {
        unsigned bits = *(const unsigned *)(const void *)field;
        size_t used = 0;
        out[0] = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(feature_names) && used < cap; i++)
            if (bits & feature_names[i].bit) {
                int w = snprintf(out + used, cap - used, "%s%s", used ? ", " : "",
                                 feature_names[i].name);
                used += w > 0 ? (size_t)w : 0;
            }
        return;
    }
    case PROFILE_KEY_TLSVER:
        snprintf(out, cap, "%s", tls_version_name(*(const int *)(const void *)field));
        return;
    case PROFILE_KEY_VERIFY: {
        static const char *const names[] = {"module", "always", "never"};
        int v = *(const int *)(const void *)field;
        snprintf(out, cap, "%s", v >= 0 && v < 3 ? names[v] : "?");
        return;
    }
    }
}

static void print_row(const void *base, const struct profile_key *row, FILE *out)
{
    char value[1100];
    format_row(base, row, value, sizeof(value));
    fprintf(out, "[%s] %s = %s", row->section, row->key, value);
    if (row->fast || row->real)
        fprintf(out, "  ; --timing fast %s, real %s", row->fast ? row->fast : "(as loaded)",
                row->real ? row->real : "(as loaded)");
    fputc('\n', out);
}

void profile_print_keys(const struct profile *p, FILE *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(module_keys); i++)
        print_row(p, &module_keys[i], out);
    for (size_t s = 0; s < p->nsections; s++)
        for (const struct profile_key *row = p->sections[s]->keys; row->key; row++)
            print_row(p->section_bytes + p->section_offset[s], row, out);
}

#define INHERIT_DEPTH_MAX 4

/* The shipped profiles, where "inherit = NAME" falls back to; main.c sets it
 * to the directory the program found (source tree or installed datadir). */
static const char *shipped_dir = SIM800EMU_PROFILES_DIR;

void profile_set_shipped_dir(const char *dir) { shipped_dir = dir; }

struct load_ctx {
    struct profile *p;
    const char *dir;
    int depth;
    bool any_key;
    char err[256];
};

static int load_file(struct profile *p, const char *path, const char *dir, int depth, char *err,
                     size_t errlen);

static int resolve_path(const char *name_or_path, const char *dir, char *out, size_t cap)
{
    size_t n = strlen(name_or_path);
    bool is_path =
        strchr(name_or_path, '/') || (n > 4 && strcmp(name_or_path + n - 4, ".ini") == 0);
    int w;
    if (is_path)
        w = snprintf(out, cap, "%s", name_or_path);
    else
        w = snprintf(out, cap, "%s/%s.ini", dir, name_or_path);
    return (w < 0 || (size_t)w >= cap) ? -1 : 0;
}

static int ini_cb(void *user, const char *section, const char *key, const char *value)
{
    struct load_ctx *ctx = user;
    if (strcmp(section, "profile") == 0) {
        if (strcmp(key, "inherit") == 0) {
            /* Inheritance loads the base first, so it must come first. */
            if (ctx->any_key) {
                snprintf(ctx->err, sizeof(ctx->err),
                         "[profile] inherit: must come before other keys");
                return 0;
            }
            if (ctx->depth >= INHERIT_DEPTH_MAX) {
                snprintf(ctx->err, sizeof(ctx->err), "[profile] inherit: nested too deeply");
                return 0;
            }
            char path[512];
            if (resolve_path(value, ctx->dir, path, sizeof(path)) < 0) {
                snprintf(ctx->err, sizeof(ctx->err), "[profile] inherit: name too long");
                return 0;
            }
            /* A user's own profile directory may build on a shipped profile
             * by name ("inherit = sim800l-r14.18"). */
            if (access(path, R_OK) != 0 &&
                resolve_path(value, shipped_dir, path, sizeof(path)) < 0) {
                snprintf(ctx->err, sizeof(ctx->err), "[profile] inherit: name too long");
                return 0;
            }
            char name[PROFILE_STR];
            str_copy(name, sizeof(name), ctx->p->name);
            if (load_file(ctx->p, path, ctx->dir, ctx->depth + 1, ctx->err, sizeof(ctx->err)) < 0)
                return 0;
            str_copy(ctx->p->name, sizeof(ctx->p->name), name);
            ctx->any_key = true;
            return 1;
        }
        if (strcmp(key, "description") == 0) {
            ctx->any_key = true;
            return 1;
        }
        snprintf(ctx->err, sizeof(ctx->err), "[profile] %s: unknown key", key);
        return 0;
    }
    ctx->any_key = true;
    if (strcmp(section, "faults") == 0) {
        /* Checked when the program adds them (app/fault_glue.c). */
        struct profile *p = ctx->p;
        if (strcmp(key, "rule") != 0) {
            snprintf(ctx->err, sizeof(ctx->err), "[faults] %s: unknown key (rule = SPEC)", key);
            return 0;
        }
        if (p->nfaults >= PROFILE_FAULTS_MAX ||
            !str_copy(p->faults[p->nfaults], sizeof(p->faults[0]), value)) {
            snprintf(ctx->err, sizeof(ctx->err), "[faults] rule: at most %d rules of 511 bytes",
                     PROFILE_FAULTS_MAX);
            return 0;
        }
        p->nfaults++;
        return 1;
    }
    if (profile_set(ctx->p, section, key, value, ctx->err, sizeof(ctx->err)) < 0)
        return 0;
    return 1;
}

static int compare_names(const void *a, const void *b) { return strcmp(a, b); }

int profile_list(const char *dir, char *out, size_t cap)
{
    out[0] = '\0';
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return -1;
    /* Sorted, so the message is the same on every machine. */
    char names[32][64];
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) && n < 32;) {
        size_t len = strlen(de->d_name);
        if (len > 4 && len < sizeof(names[0]) + 4 && strcmp(de->d_name + len - 4, ".ini") == 0) {
            memcpy(names[n], de->d_name, len - 4);
            names[n++][len - 4] = '\0';
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(names[0]), compare_names);
    size_t used = 0;
    for (int i = 0; i < n && used < cap; i++) {
        int w = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return n;
}

static int load_file(struct profile *p, const char *path, const char *dir, int depth, char *err,
                     size_t errlen)
{
    struct load_ctx ctx = {.p = p, .dir = dir, .depth = depth};
    int rc = ini_parse(path, ini_cb, &ctx);
    if (rc == -1) {
        /* A name that is not there: say which names are (a typo's cure). */
        char names[400];
        if (profile_list(dir, names, sizeof(names)) > 0)
            snprintf(err, errlen, "%s: cannot open profile (the profiles in %s: %s)", path, dir,
                     names);
        else
            snprintf(err, errlen, "%s: cannot open profile", path);
        return -1;
    }
    if (rc == -2) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (rc > 0) {
        /* An inherited file's error already names its own file. */
        if (ctx.err[0] && strchr(ctx.err, ':') && strncmp(ctx.err, "[", 1) != 0)
            snprintf(err, errlen, "%s", ctx.err);
        else
            snprintf(err, errlen, "%s:%d: %s", path, rc, ctx.err[0] ? ctx.err : "syntax error");
        return -1;
    }
    return 0;
}

int profile_load(struct profile *p, const struct profile_section *const *sections,
                 const char *name_or_path, const char *dir, char *err, size_t errlen)
{
    profile_defaults(p, sections);
    char path[512];
    if (resolve_path(name_or_path, dir, path, sizeof(path)) < 0) {
        snprintf(err, errlen, "profile name too long");
        return -1;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    str_copy(p->name, sizeof(p->name), base);
    char *dot = strrchr(p->name, '.');
    if (dot && strcmp(dot, ".ini") == 0)
        *dot = '\0';
    str_copy(p->path, sizeof(p->path), path);
    if (load_file(p, path, dir, 0, err, errlen) < 0)
        return -1;
    char why[256];
    if (check_profile(p, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%.300s: %s", path, why);
        return -1;
    }
    return 0;
}

int profile_validate(const struct profile *p, char *err, size_t errlen)
{
    /* Checked once everything is loaded, so keys may come in any order. */
    if (p->tls_min > p->tls_max) {
        snprintf(err, errlen, "%.300s: [tls] min_version is above max_version", p->path);
        return -1;
    }
    return 0;
}
