/* Profiles: what one firmware build on one board answers.  Loaded from
 * profiles/<name>.ini with inih; every key has a row in profile.c's table,
 * so a new service adds keys by adding rows. */
#ifndef SIM800EMU_PROFILE_H
#define SIM800EMU_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

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
    /* [sms] what the SIM holds at first use (svc/sms) */
    char location_lon[24]; /* [location] the position the network's location service gives */
    char location_lat[24];
    int location_accuracy; /* metres */
    char ussd_answers[1024];
    int call_outcome; /* [call] how an outgoing call ends: enum call_outcome (svc/call) */
    int call_ring_ms; /* the far end rings this long before that */
    int call_talk_s;  /* an answered call is ended by the far end after this; 0: never */
    int call_ring_s;
    /* an incoming call rings this long before the caller gives up */ /* [ussd] answers:
                                                                         "code=text|code?=text|..."
                                                                         (svc/ussd) */
    char sms_sca[24];    /* the SMS centre address (+CSCA); empty: none stored */
    int sms_sm_capacity; /* messages the SIM stores ("SM") */
    int sms_me_capacity; /* messages the module stores ("ME") */
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
    int ciicr_ms;         /* how long AT+CIICR takes to activate the context */
    int sapbr_ms;         /* how long AT+SAPBR=1 takes to open a bearer */
    char fs_storage[512]; /* where the flash file system lives; empty: a temporary directory */
    int fs_capacity; /* [fs] bytes of user space AT+FSMEM starts from (our choice where the manual
                        is silent) */
    int fs_sync;     /* [fs] 0: no fsync (survives a kill), 1: files, 2: files and directories */
    int rx_buffer;   /* bytes kept per link for AT+CIPRXGET before back-pressure */
    int escape_guard_ms;   /* silence around "+++" in transparent mode */
    int connect_timeout_s; /* AT+CIPSTART gives up after this (75 s on the module) */
    /* [ftp] where SIM800 AT Command Manual V1.09 §8.2.2 leaves the module's timing open */
    int ftp_reply_timeout_s;  /* silence allowed for each server reply, then code 64 */
    int ftp_unread_timeout_s; /* downloaded data left unread this long: "+FTPGET: 1,64" */
    int ftp_ready_repeat_s;   /* "+FTPGET: 1,1" again while data stays unread */
    bool ftp_extget_forks;    /* AT+FTPEXTGET=4 and =2,<n>,<timeout> (not the manual's) */
    /* [email] where the manual leaves the mail commands open (manual §12.2.14) */
    int email_attachments; /* attachments one mail carries (AT+SMTPFILE); 1 as in the manual */
    int email_ft_max;      /* +SMTPFT: 1,<maxLength> */
    char email_ehlo[PROFILE_STR]; /* the name in EHLO/HELO */
    bool email_rset_typo;         /* the manual's "+POP3REST: 0" for a refused AT+POP3RSET */
    bool email_pop3_read_raw;     /* AT+POP3READ keeps the server's dot-stuffing */
    int email_read_repeat_s;      /* "+POP3READ: 3,<n>" again while data stays unread */
    /* [at] where V.250 and the manual leave the module's framing open */
    bool quiet_urcs;           /* ATQ1 suppresses URCs as well as final results */
    bool v0_data_framing;      /* ATV0 drops the leading CRLF of raw-data replies too */
    bool service_errors_cme;   /* service commands' ERROR is +CME ERROR: 3 under CMEE=1/2 */
    bool factory_resets_saved; /* AT&F also resets the AT&W profile */
    /* [timing] realism, off by default (--timing real turns it on) */
    bool pace;            /* the port runs at the baud rate, both ways */
    int connect_ms;       /* added before a TCP connection counts as up (CONNECT OK) */
    int tls_handshake_ms; /* added before a TLS handshake counts as done */
    int httpaction_ms;    /* added before +HTTPACTION (request and response) */
    int sms_send_ms;      /* added before +CMGS/+CMSS (the network's answer) */
    int cfun_ms;          /* AT+CFUN=0 and =1 answer OK after this */
    int ussd_ms;          /* the network's +CUSD answer comes after this */
    int location_ms;      /* +CIPGSMLOC/+CLBS answer after this */
    int ntp_timeout_s;    /* [ntp] how long AT+CNTP waits for the server: +CNTP: 65 */
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
};

/* Loads a profile by name (looked up as <dir>/<name>.ini) or by a path that
 * contains '/' or ends in ".ini".  On failure returns -1 and writes
 * "file:line: [section] key: reason" into err. */
/* The profile names in dir (its *.ini files), sorted, comma-separated in
 * out; returns how many, -1 when dir cannot be read. */
int profile_list(const char *dir, char *out, size_t cap);

int profile_load(struct profile *p, const char *name_or_path, const char *dir, char *err,
                 size_t errlen);

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
