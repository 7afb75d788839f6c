/* Profiles: what one firmware build on one board answers.  Loaded from
 * profiles/<name>.ini with inih.  Every key has one row, which holds its
 * default (and its value under --timing real): the module's own keys in
 * profile.c's table, a service's keys in the service's own section
 * (struct profile_section, named by struct service.profile), read into the
 * service's own struct.  A new service adds keys without touching this
 * file. */
#ifndef SIM800EMU_PROFILE_H
#define SIM800EMU_PROFILE_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Firmware features; a command row that needs a missing one is unknown. */
enum {
    PROFILE_FEAT_SSL = 1u << 0,       /* AT+CIPSSL, HTTPSSL, FTPSSL, EMAILSSL, SSLOPT, SSLSETCERT */
    PROFILE_FEAT_SSL_ROOTS = 1u << 1, /* AT+SSLSETROOT, SSLDEROOT, SSLDECLI (later builds) */
    PROFILE_FEAT_FS = 1u << 2,        /* AT+FS* flash file system */
    PROFILE_FEAT_SSL_CLIENT = 1u << 3, /* presents an imported client certificate */
    PROFILE_FEAT_LBS = 1u << 4,        /* AT+CLBS (later builds; AT+CIPGSMLOC is in all) */
};

#define PROFILE_STR 64
#define PROFILE_LIST 400 /* a comma-separated per-modem list */

#define PROFILE_FAULTS_MAX 16

enum profile_key_type {
    PROFILE_KEY_STR,
    PROFILE_KEY_INT,  /* int, or long when the field is a long */
    PROFILE_KEY_BOOL, /* true/false, yes/no, 1/0 */
    PROFILE_KEY_DIGITS,
    PROFILE_KEY_HEX4, /* four hexadecimal digits, kept upper case */
    PROFILE_KEY_FEATURES,
    PROFILE_KEY_TLSVER,
    PROFILE_KEY_VERIFY,
};

/* One key: where its value goes in its owner's struct, what it accepts and
 * its default, written as a profile would write it. */
struct profile_key {
    const char *section;
    const char *key;
    enum profile_key_type type;
    size_t offset;
    size_t size; /* STR/DIGITS/HEX4: buffer size; INT: sizeof the field */
    long min, max;
    const char *def;  /* NULL: empty or 0 */
    const char *fast; /* its value under --timing fast; NULL: left as loaded */
    const char *real; /* its value under --timing real; NULL: left as loaded */
};

/* Rows for a key of TYPE's FIELD (TYPE is the owner's struct). */
#define PROFILE_FIELD(type, field) offsetof(type, field), sizeof(((type *)0)->field)
#define PROFILE_STR_KEY(type, sec, k, field, def)                                                  \
    {                                                                                              \
        sec, k, PROFILE_KEY_STR, PROFILE_FIELD(type, field), 0, 0, def, NULL, NULL                 \
    }
#define PROFILE_INT_KEY(type, sec, k, field, lo, hi, def)                                          \
    {                                                                                              \
        sec, k, PROFILE_KEY_INT, PROFILE_FIELD(type, field), lo, hi, def, NULL, NULL               \
    }
#define PROFILE_BOOL_KEY(type, sec, k, field, def)                                                 \
    {                                                                                              \
        sec, k, PROFILE_KEY_BOOL, PROFILE_FIELD(type, field), 0, 0, def, NULL, NULL                \
    }
/* A delay that --timing presets: fast and real as above. */
#define PROFILE_TIMED_KEY(type, sec, k, field, lo, hi, def, fast, real)                            \
    {                                                                                              \
        sec, k, PROFILE_KEY_INT, PROFILE_FIELD(type, field), lo, hi, def, fast, real               \
    }

/* The keys one service owns, read into a struct of its own that the
 * profile holds (profile_section_config). */
struct profile_section {
    const char *owner;              /* the service's name, for messages */
    const struct profile_key *keys; /* ended by a row with a NULL key */
    size_t size;                    /* sizeof the owner's struct */
};

#define PROFILE_SECTIONS_MAX 24
#define PROFILE_SECTION_BYTES 8192 /* every owner's struct, one after another */

struct profile {
    char name[PROFILE_STR];
    char path[512];
    /* [modem] identity */
    char ati[PROFILE_STR];
    char manufacturer[PROFILE_STR];
    char model[PROFILE_STR];
    char revision[PROFILE_STR];
    char imei[16];
    char imsi[16];
    char iccid[21];
    /* per-modem overrides, comma-separated (identity.h) */
    char imeis[PROFILE_LIST];
    char imsis[PROFILE_LIST];
    char iccids[PROFILE_LIST];
    unsigned features;
    /* [sim] */
    bool sim_present;
    char sim_pin[9];                /* empty: no PIN asked */
    char sim_number[24];            /* the SIM's own number (+CNUM); empty: none stored */
    char sim_numbers[PROFILE_LIST]; /* per-modem overrides (identity.h) */
    /* [network] */
    int rssi;
    int ber;
    int reg_stat; /* +CREG/+CGREG <stat> once camped */
    char operator_long[PROFILE_STR];
    char operator_short[PROFILE_STR];
    char operator_numeric[8];
    char lac[5];
    char ci[5];
    char local_ip[16]; /* the address the bearer is given */
    int tz_quarters;   /* network time zone sent with AT+CLTS=1, quarter hours */
    bool net_ctzv;     /* AT+CLTS=1: "+CTZV: <tz>,<dst>" before *PSUTTZ (captures differ) */
    /* [battery] */
    int bat_status;
    int bat_percent;
    int bat_mv;
    /* [tls] the module's SSL stack */
    int tls_min; /* TLS1_VERSION ... (OpenSSL constants) */
    int tls_max;
    char tls_ciphers[256];
    char tls_ca_file[512];   /* the built-in roots; relative to the profile's directory */
    bool tls_sni;            /* send the server_name extension */
    bool tls_ignore_invalid; /* AT+SSLOPT=0,<n> at power-on: 1 accepts any certificate */
    int tls_verify;          /* enum tls_verify_mode: [tls] verify, --tls-verify */
    /* [tcpip] */
    char fs_storage[512];  /* where the flash file system lives; empty: a temporary directory */
    int connect_timeout_s; /* AT+CIPSTART gives up after this (75 s on the module) */
    /* [at] where V.250 and the manual leave the module's framing open */
    bool quiet_urcs;           /* ATQ1 suppresses URCs as well as final results */
    bool v0_data_framing;      /* ATV0 drops the leading CRLF of raw-data replies too */
    bool service_errors_cme;   /* service commands' ERROR is +CME ERROR: 3 under CMEE=1/2 */
    bool factory_resets_saved; /* AT&F also resets the AT&W profile */
    /* [timing] realism, off by default (--timing real turns it on) */
    bool pace;            /* the port runs at the baud rate, both ways */
    int connect_ms;       /* added before a TCP connection counts as up (CONNECT OK) */
    int tls_handshake_ms; /* added before a TLS handshake counts as done */
    int cfun_ms;          /* AT+CFUN=0 and =1 answer OK after this */
    /* [boot] */
    long ipr; /* stored rate: 0 autobaud (no RDY), else fixed */
    int rdy_ms;
    int cpin_ms;
    int call_ready_ms;
    int sms_ready_ms;
    int reset_ms;
    /* [faults] rule = SPEC (repeatable): fault rules for every run of this
     * profile, in the grammar of --fault (README "Fault injection"). */
    char faults[PROFILE_FAULTS_MAX][512];
    int nfaults;
    /* The services' own keys (profile_section_config). */
    size_t nsections;
    const struct profile_section *sections[PROFILE_SECTIONS_MAX];
    size_t section_offset[PROFILE_SECTIONS_MAX];
    alignas(max_align_t) unsigned char section_bytes[PROFILE_SECTION_BYTES];
};

/* The profile names in dir (its *.ini files), sorted, comma-separated in
 * out; returns how many, -1 when dir cannot be read. */
int profile_list(const char *dir, char *out, size_t cap);

/* Loads a profile by name (looked up as <dir>/<name>.ini) or by a path that
 * contains '/' or ends in ".ini", with the keys of sections (NULL-terminated;
 * they must outlive p) besides the module's own.  On failure returns -1 and
 * writes "file:line: [section] key: reason" into err. */
int profile_load(struct profile *p, const struct profile_section *const *sections,
                 const char *name_or_path, const char *dir, char *err, size_t errlen);

/* The struct that section's keys were read into; NULL when p was loaded
 * without that section. */
const void *profile_section_config(const struct profile *p, const struct profile_section *section);

/* --timing fast or real: every key with a value for that mode takes it
 * (before --set, so that one figure can still be changed). */
int profile_set_timing(struct profile *p, bool real, char *err, size_t errlen);

/* Every key, one line each ("[section] key = default" and, for a delay
 * --timing presets, "  ; fast F, real R"), the module's first, then each
 * section's in order: what `sim800emu --profile-keys` prints. */
void profile_print_keys(const struct profile *p, FILE *out);

/* Where "[profile] inherit = NAME" looks when NAME is not in the loading
 * profile's own directory: the shipped profiles (default: the source tree's
 * profiles/).  The string must outlive every profile_load. */
void profile_set_shipped_dir(const char *dir);

/* Sets one key ("section.key=value" split by the caller) as a --set
 * override; -1 and a message on error. */
int profile_set(struct profile *p, const char *section, const char *key, const char *value,
                char *err, size_t errlen);

/* Checks what single keys cannot (after loading and --set overrides). */
int profile_validate(const struct profile *p, char *err, size_t errlen);

#endif
