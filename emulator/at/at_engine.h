/* The AT engine of one modem: frames input with at_parser, splits lines
 * with at_cmdline, looks commands up in the service tables, runs ';' chains
 * with one final result per line, and owns the data-entry modes that
 * services open (the "> " prompt with Ctrl-Z/ESC or a fixed length, and the
 * timed DOWNLOAD entry of an exact byte count).
 *
 * A handler's return value is its verdict: AT_OK, AT_ERROR, AT_CME(n),
 * AT_TEXT (after at_final_text), AT_SILENT, or AT_PENDING ("I will call
 * at_complete() later").  The engine sends exactly one final result per
 * line; while a line is open, input is buffered and URCs are held. */
#ifndef SIM800EMU_AT_ENGINE_H
#define SIM800EMU_AT_ENGINE_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "at_args.h"
#include "at_cmdline.h"
#include "at_parser.h"
#include "at_writer.h"
#include "util.h"

/* Opaque to the engine: what it was given, handed back to handlers. */
struct modem;

/* What a handler is given: the form, the basic command's number, and the
 * arguments (a cursor for extended commands; raw text for D and S). */
struct at_req {
    enum at_form form;
    int number;          /* basic commands and S registers; -1 when absent */
    struct at_args args; /* extended WRITE arguments */
    const char *raw;     /* raw argument text (NUL-terminated copy) */
    size_t raw_len;
    bool last;       /* the last command of its line */
    const void *ctx; /* the row's ctx */
};

typedef int (*at_handler_fn)(struct modem *m, struct at_req *r);

/* One row of a service's command table. */
struct at_cmd {
    const char *name;  /* "+CSQ", "E", "&F" */
    unsigned forms;    /* AT_FORM_* bits this command takes; others answer ERROR */
    unsigned features; /* profile features it needs (PROFILE_FEAT_*); 0 = always */
    at_handler_fn fn;
    const void *ctx; /* handed to fn as r->ctx: lets one handler serve many rows */
};

struct at_cmd_table {
    const struct at_cmd *rows;
    size_t count;
    /* A plain ERROR of these commands (a handler's, or a form they lack)
     * is "+CME ERROR: 3" (operation not allowed) under AT+CMEE=1/2, as real
     * modules answer the SIMCom service commands (TCP/IP, bearer, HTTP, FTP,
     * mail) when at_engine.service_errors_cme is on. */
    bool errors_are_cme;
};

enum at_data_end {
    AT_DATA_SUBMIT,  /* Ctrl-Z, or the fixed count reached */
    AT_DATA_CANCEL,  /* ESC in Ctrl-Z mode */
    AT_DATA_TIMEOUT, /* the time limit passed first */
};

/* Called once when a data entry ends; data is valid for the call only.
 * Returns the command's verdict, as a handler does. */
typedef int (*at_data_cb)(struct modem *m, void *ud, enum at_data_end end, const uint8_t *data,
                          size_t len);

struct at_data_req {
    const char *prompt;  /* sent as is when the entry opens: "\r\n> ", "\r\nDOWNLOAD\r\n" */
    size_t fixed_len;    /* > 0: exactly this many bytes end the entry (binary-safe) */
    size_t max_len;      /* Ctrl-Z mode: bytes beyond this are dropped */
    unsigned timeout_ms; /* 0: no limit */
    bool echo;           /* echo data bytes while E1 */
    at_data_cb cb;
    void *ud;
};

/* Takes every byte the host sends in transparent mode (AT+CIPMODE=1);
 * returns how many it consumed. */
typedef size_t (*at_passthrough_fn)(struct modem *m, void *ud, const uint8_t *p, size_t n);

enum at_engine_state {
    AT_ENG_IDLE,    /* command mode, no line open */
    AT_ENG_RUNNING, /* a line is executing synchronously */
    AT_ENG_PENDING, /* a handler answered AT_PENDING */
    AT_ENG_DATA,    /* collecting a data entry */
};

#define AT_TABLES_MAX 32
#define AT_LINE_CMDS_INLINE 8 /* commands of a line held without the heap */

struct at_engine {
    struct modem *modem;
    struct ev_loop *loop;
    struct at_parser parser;
    bool line_ended_by_cr; /* the last line ended with '\r': swallow a '\n' after it */
    struct at_writer writer;
    const struct v250_settings *v250;
    const struct at_cmd_table *tables[AT_TABLES_MAX];
    size_t ntables;
    /* Every row by name (open addressing; the first table that names a
     * command wins): a lookup is one hash whatever the number of services.
     * Built at the first lookup and shared by every engine with the same
     * tables (a thousand modems keep one copy). */
    const struct at_cmd **index;
    size_t index_slots; /* a power of two, at least twice the rows */
    bool index_owned;   /* not in the shared cache: freed with the engine */
    unsigned features;  /* of the profile: rows needing others are unknown */
    enum at_engine_state state;
    bool pumping;         /* guards against re-entering the input pump */
    struct bytebuf input; /* received, not yet processed */
    /* The line being executed. */
    char line[AT_LINE_MAX + 1];
    size_t line_len;
    /* The line's commands: most lines hold a few, so they live inline and a
     * longer chain (up to AT_LINE_CMDS_MAX, ~31 KB) gets a heap array the
     * first time one comes; cmds points at whichever holds the line. */
    struct at_command *cmds;
    struct at_command cmds_inline[AT_LINE_CMDS_INLINE];
    struct at_command *cmds_heap;
    int ncmds;
    int cur;
    char args_copy[AT_LINE_MAX + 1];
    char final_text[64];
    bool last_silent; /* the last command answered AT_SILENT */
    /* A/ */
    char last_line[AT_LINE_MAX + 1];
    size_t last_len;
    bool have_last;
    /* Data entry. */
    struct at_data_req data;
    struct bytebuf data_buf;
    ev_timer data_timer;
    /* Asked before a new command line starts: true holds it until
     * at_engine_kick(), because the last answer has not left the port (the
     * module takes no command before its answer is on the wire).  May be NULL. */
    bool (*output_full)(const struct modem *m);
    /* Transparent mode. */
    at_passthrough_fn passthrough;
    void *passthrough_ud;
    bool v0_data_framing;    /* [at] v0_data_framing: data headers follow ATV0 */
    bool service_errors_cme; /* [at] service_errors = cme: see at_cmd_table.errors_are_cme */
    bool verdict_is_fault;   /* a fault rule answered the command: its text stands as given */
};

void at_engine_init(struct at_engine *e, struct modem *m, struct ev_loop *loop,
                    const struct v250_settings *v250, at_sink_fn sink, void *sink_ud);
void at_engine_free(struct at_engine *e);
/* Adds a command table; -1 (the reason in err) past AT_TABLES_MAX. */
int at_engine_add_table(struct at_engine *e, const struct at_cmd_table *t, char *err,
                        size_t errlen);
/* Once every table is in: -1 (the reason in err) when two rows register one
 * name.  A command has one owner; a second never silently loses.  The check
 * is made once per list of tables in a process (the index is shared). */
int at_engine_seal(struct at_engine *e, char *err, size_t errlen);
/* Whether a command ("+CSQ", "&F") is one of the profile's. */
bool at_engine_knows(struct at_engine *e, const char *name);

/* Host bytes in.  Safe to call at any time; bytes arriving while a line is
 * open wait until it ends. */
void at_engine_input(struct at_engine *e, const uint8_t *p, size_t n);

/* Runs buffered input that waited for the port's output to drain. */
void at_engine_kick(struct at_engine *e);

/* Drops any open line, data entry and buffered input (reset, power off). */
void at_engine_reset(struct at_engine *e);

/* --- For the layer above, which gives handlers their API (modem/reply.h) --- */

/* Sets the text of an AT_TEXT verdict. */
void at_engine_set_final_text(struct at_engine *e, const char *text);
/* Ends an AT_PENDING command with its verdict and resumes the line. */
void at_engine_complete(struct at_engine *e, int result);
/* Opens a data entry (the handler then returns AT_PENDING). */
void at_engine_begin_data(struct at_engine *e, const struct at_data_req *req);
/* Enters or leaves transparent mode (fn NULL leaves). */
void at_engine_set_passthrough(struct at_engine *e, at_passthrough_fn fn, void *ud);
/* True while a command is pending. */
bool at_engine_is_pending(const struct at_engine *e);

/* Fault injection (README "Fault injection"): asked before every command
 * runs; returning true skips the handler, and *verdict (with the final text
 * set for AT_TEXT) answers it instead.  One hook per process; NULL: none. */
typedef bool (*at_cmd_hook_fn)(struct modem *m, const char *name, enum at_form form, int *verdict);
void at_engine_set_cmd_hook(at_cmd_hook_fn fn);

#endif
