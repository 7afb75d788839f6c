/* Fault rules: the one small language in which a user says how a modem
 * should fail ("fault add modem=0 service=http tls-alert=handshake_failure"),
 * parsed here, kept in a bounded set, and matched against connections and
 * commands.  Pure: no I/O, no event loop, no modem; the connection layer
 * and the AT engine consult it through hooks that app/fault_glue.c wires.
 *
 * The grammar (README "Fault injection", man page FAULTS):
 *
 *   spec   := item (' ' item)*
 *   item   := key | key '=' value
 *   value  := word | '"' (char | '\"' | '\\')* '"'
 *
 * match keys:  modem=N|any  service=NAME  tag=TAG  host=HOST  port=N  cmd=+NAME
 * count keys:  count=N|always (default 1)  skip=N  prob=P  seed=N
 * one action:  network  dns  refuse  timeout[=S]  tls-alert=NAME|N|none
 *                       alert-after=N [alert=NAME]  reset-after=N  close-after=N
 *                       stall=S [after=N]  rate=BYTES/S  latency=MS  [dir=rx|tx|both]
 *              command  result=TEXT  urc=TEXT [result=TEXT]   (with cmd=)
 *              protocol reply-to=VERB reply=TEXT   (FTP, SMTP, POP3: the server's answer
 *                       to the command VERB is TEXT; the command is not sent)
 *              module   pdp-deact  closed=LINK  under-voltage  cpin-not-ready
 *                       csq=RSSI,BER  unregister[=S]  register  reboot
 *                       noise=N  drop=N  [delay=S] (or with cmd=: after that command) */
#ifndef SIM800EMU_FAULT_H
#define SIM800EMU_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn_fault_kind.h"

#define FAULT_SPEC_MAX 512   /* the longest rule text */
#define FAULT_TEXT_MAX 128   /* result= / urc= text */
#define FAULT_RULES_MAX 64   /* rules held at once */
#define FAULT_NOISE_MAX 4096 /* noise=, drop=: bytes at most */

enum fault_action {
    FA_NONE,
    /* network, decided when a connection opens */
    FA_DNS,         /* the name does not resolve */
    FA_REFUSE,      /* connect refused */
    FA_TIMEOUT,     /* nothing answers: the connect times out */
    FA_TLS,         /* the handshake fails: an alert (alert >= 0) or a silent close */
    FA_ALERT_AFTER, /* a fatal TLS alert after `bytes` bytes */
    FA_RESET_AFTER, /* a reset after `bytes` bytes */
    FA_CLOSE_AFTER, /* an orderly close after `bytes` bytes */
    FA_STALL,       /* no byte moves for `seconds`, after `bytes` bytes */
    FA_SHAPE,       /* throughput cap and added latency */
    /* a command's answer */
    FA_RESULT, /* the command does not run; its final result is `text` */
    FA_URC,    /* the command does not run; `result` (OK) then the URC `text` */
    /* a protocol reply */
    FA_REPLY, /* the reply to the protocol command `verb` is `text`; the command is not sent */
    /* module events */
    FA_PDP_DEACT,
    FA_LINK_CLOSED,
    FA_UNDER_VOLTAGE,
    FA_CPIN_NOT_READY,
    FA_SIGNAL,
    FA_UNREGISTER,
    FA_REGISTER,
    FA_REBOOT,
    FA_NOISE,
    FA_DROP,
    FA_COUNT /* not an action: how many there are */
};

/* Where an action acts (fault.c's table holds each action's class). */
enum fault_class {
    FAULT_CLASS_NONE,
    FAULT_CLASS_NETWORK,  /* inside a connection (net/conn_fault.c) */
    FAULT_CLASS_COMMAND,  /* a command's answer (the AT engine) */
    FAULT_CLASS_PROTOCOL, /* a server's reply (net/linecli.c) */
    FAULT_CLASS_MODULE,   /* an event of the module, by the owner of its state */
};

enum { FAULT_RX = 1, FAULT_TX = 2 };

struct fault_rule {
    int id;                    /* given by the set, 1.. */
    char spec[FAULT_SPEC_MAX]; /* as written, for list and the trace */
    /* what it matches */
    int modem;        /* -1: any */
    char service[16]; /* a connection's tag or a command's service; "": any */
    char tag[24];
    char host[128];
    int port;      /* 0: any */
    char cmd[24];  /* "+HTTPACTION" (upper case); "": not a command rule */
    char verb[16]; /* reply-to=: "PBSZ", "STLS", "." (upper case); "": none */
    /* how often */
    long count;  /* fires left; -1: always */
    long skip;   /* matches to let pass first */
    double prob; /* chance per match, 0..1 */
    uint64_t seed;
    /* what it does */
    enum fault_action action;
    long bytes;     /* after N bytes */
    int dir;        /* FAULT_RX | FAULT_TX */
    double seconds; /* timeout, stall, unregister */
    int alert;      /* TLS alert description; -1: silent close */
    long rate;      /* bytes per second; 0: no cap */
    int latency_ms;
    int link;      /* closed= */
    int rssi, ber; /* csq= */
    long n;        /* noise=, drop= */
    double delay;  /* module events: seconds after the rule is added */
    char text[FAULT_TEXT_MAX];
    char result[FAULT_TEXT_MAX];
    /* state */
    long matched, fired;
    uint64_t rng;
};

/* Parses one rule (len bytes, need not be NUL-terminated); -1 with a reason
 * in err.  Refuses control bytes, over-long text, unknown keys, a rule with
 * no action or two, and keys that do not go with its action. */
int fault_parse(const char *spec, size_t len, struct fault_rule *r, char *err, size_t errlen);

enum fault_class fault_action_class(enum fault_action a);
/* What a network action does to its connection (CF_NONE for the others). */
enum conn_fault_kind fault_action_conn_kind(enum fault_action a);
bool fault_is_network(enum fault_action a);
/* An event of the module (pdp-deact, reboot…): fired at add time or after cmd=. */
bool fault_is_event(enum fault_action a);
const char *fault_action_name(enum fault_action a);
/* The TLS alert's name ("handshake_failure") or NULL; and back (-1: unknown). */
const char *fault_alert_name(int code);
int fault_alert_code(const char *name);

struct fault_set {
    struct fault_rule rules[FAULT_RULES_MAX];
    int n;
    int next_id;
};

void fault_set_init(struct fault_set *s);
/* Adds r (its id is set); -1 when the set is full. */
int fault_set_add(struct fault_set *s, struct fault_rule *r);
/* Removes every rule (id 0) or one; returns how many went. */
int fault_set_clear(struct fault_set *s, int id);

/* One thing that might be faulted: a connection opening, or a command. */
struct fault_subject {
    int modem;
    const char *service; /* tag of the connection, or the command's service; may be NULL */
    const char *host;    /* NULL for a command */
    int port;
    bool tls;
    bool upgrade;     /* a plain conn's in-place TLS handshake: TLS faults only */
    const char *cmd;  /* "+HTTPACTION"; NULL for a connection */
    const char *verb; /* a protocol command about to be sent ("PBSZ"); NULL otherwise */
};

/* The first rule of the set of kind `network` (or command) that matches s
 * and fires now (count, skip, prob); NULL if none.  `network` with
 * shaping=true looks only at FA_SHAPE rules, false at the others. */
struct fault_rule *fault_match_conn(struct fault_set *s, const struct fault_subject *subj,
                                    bool shaping);
struct fault_rule *fault_match_cmd(struct fault_set *s, const struct fault_subject *subj);
/* The first reply-to= rule for subj's verb and connection that fires now. */
struct fault_rule *fault_match_reply(struct fault_set *s, const struct fault_subject *subj);

/* The grammar in one paragraph, made from the table of actions: the
 * control socket's help and --help show this text (README "Fault
 * injection" explains each word). */
const char *fault_grammar(void);

/* Whether a rule would fire for this match (counts it; draws its chance). */
bool fault_rule_fires(struct fault_rule *r);

#endif
