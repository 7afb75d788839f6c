/* The SMS service (SIM800 AT Command Manual V1.09 ch. 4 and §6.2.25,
 * §6.2.31): its settings, the message store of the SIM ("SM") and the
 * module ("ME"), sending (AT+CMGS, AT+CMSS), messages delivered through the
 * control socket, and "SMS Ready".  Files:
 *   sms_alphabet.c, sms_pdu.c  the GSM alphabet and the TPDU codec (pure; fuzzed)
 *   sms_text.c   the TE character sets (AT+CSCS) and the result lines
 *   sms_store.c  the memories, kept in a file beside the flash with --storage
 *   svc_sms.c    settings commands and the service
 *   sms_msgs.c   read, list, delete, write, send
 *   sms_sent.c   the record of messages sent
 *   sms_verbs.c  the control socket's "sms" requests (deliver, sent, clear)
 * Each file calls only those listed before it (tests/style/check_includes.py). */
#ifndef SIM800EMU_SMS_H
#define SIM800EMU_SMS_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "service.h"
#include "sms_pdu.h"
#include "util.h"

struct modem;
struct at_req;

/* Its profile keys ([sms], and [timing] sms_send_ms): what a fresh SIM
 * holds, and how long the network takes to accept a message. */
struct sms_config {
    char sca[24];    /* [sms] sca: the SMS centre (+CSCA); empty: none stored */
    int sm_capacity; /* [sms] sm_capacity: messages the SIM stores ("SM") */
    int me_capacity; /* [sms] me_capacity: messages the module stores ("ME") */
    int send_ms;     /* [timing] sms_send_ms: added before +CMGS/+CMSS answer */
};

extern const struct service sms_service;

/* (Inline, so that a part's call reaches the seam, not svc_sms.c.) */
static inline const struct sms_config *sms_config(const struct modem *m)
{
    return service_config(m, &sms_service);
}

/* AT+CSCS character sets, in the order AT+CSCS=? lists them. */
enum sms_charset { CS_IRA, CS_GSM, CS_UCS2, CS_HEX, CS_PCCP, CS_PCDN, CS_8859_1, CS_COUNT };

/* What AT&W saves, ATZ restores and AT&F resets (AT&W_SAVE, manual §2.2.32). */
struct sms_settings {
    int cmgf;    /* +CMGF: 0 PDU mode, 1 text mode */
    int cscs;    /* +CSCS: enum sms_charset */
    int cnmi[5]; /* +CNMI: mode, mt, bm, ds, bfr */
};

/* What the manual says +CSCA and +CSMP write to non-volatile memory, and
 * the four +CSAS/+CRES profiles: kept across reboots with the store. */
struct sms_params {
    char sca[24]; /* +CSCA: the SMS centre ("" when the SIM has none) */
    int tosca;
    int fo, vp, pid, dcs; /* +CSMP */
};

struct sms_nv {
    struct sms_params active;
    struct sms_params saved[4];
};

enum sms_mem { MEM_SM, MEM_ME, MEM_MT, MEM_COUNT }; /* MT: SM then ME (manual §4.2.9) */

struct sms_slot {
    uint8_t stat;             /* 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT */
    uint8_t len;              /* bytes of pdu; 0: the slot is free */
    uint8_t pdu[SMS_PDU_MAX]; /* RP SC address then the TPDU, as the SIM keeps it */
};

struct sms_store {
    struct sms_slot *slots[2]; /* SM, ME */
    int capacity[2];
    struct sms_nv nv;
    char path[600]; /* the file it lives in; "" without storage */
};

/* A message sent, as the control socket's "sms sent" shows it: the parts
 * of a concatenated message are joined into one entry. */
#define SMS_SENT_MAX 64
#define SMS_SENT_TEXT 2048 /* bytes of UTF-8 text kept per message */
struct sms_sent {
    char to[48];
    int toa;
    uint8_t dcs;
    bool report; /* a status report was asked for */
    struct sms_concat concat;
    uint8_t parts_seen;
    uint8_t mr[16];           /* message references, by part */
    char text[SMS_SENT_TEXT]; /* the parts' text in order, NUL-terminated */
    uint16_t part_off[17];    /* part k + 1 starts at part_off[k]; [16] is the end */
    bool part_have[16];
};

/* Indications held while AT+CNMI <mode> is 0 (bounded: the oldest go). */
#define SMS_HELD_MAX 16

struct sms_state {
    bool ready; /* "SMS Ready" was said: the SMS commands work */
    struct sms_settings active, stored;
    int csdh;   /* +CSDH: show the header values in text mode */
    int cmghex; /* +CMGHEX */
    int cmms;   /* +CMMS: keep the link between messages */
    int cscb_mode;
    char cscb_mids[64], cscb_dcss[32];
    int csms;
    enum sms_mem mem[3];     /* +CPMS: read/delete, write/send, receive */
    struct sms_store *store; /* made on first use */
    uint8_t next_mr;
    uint16_t next_concat_ref;
    struct sms_sent *sent; /* SMS_SENT_MAX, a ring; made on first send */
    unsigned sent_count;   /* messages ever recorded (the ring keeps the last ones) */
    struct bytebuf held[SMS_HELD_MAX];
    int nheld;
    /* [timing] sms_send_ms: the answer to a send, given when the timer ends. */
    ev_timer send_timer;
    bool send_waiting;
    int send_verdict;
    char send_info[32];
    /* The command whose data is being entered. */
    struct {
        bool write; /* AT+CMGW rather than AT+CMGS */
        bool text;  /* text mode (else PDU of tpdu_len octets) */
        struct sms_addr da;
        int stat;
        size_t tpdu_len;
    } entry;
};

static inline struct sms_state *sms_of(const struct modem *m)
{
    return modem_state(m, &sms_service);
}

/* --- sms_text.c: character sets and result lines --- */

/* The host's text in the AT+CSCS set to code points; -1 when it is not
 * valid in that set (odd hex, a byte the set lacks). */
int sms_te_decode(enum sms_charset cs, const uint8_t *in, size_t n, uint32_t *cps, size_t cap,
                  size_t *out_n);
/* Code points in the AT+CSCS set, appended to out (a character the set
 * lacks shows as '?'). */
void sms_te_encode(enum sms_charset cs, const uint32_t *cps, size_t n, struct bytebuf *out);
/* Code points to UTF-8 (the control socket speaks UTF-8; sms_utf8_decode,
 * the other way, is in sms_pdu.h). */
void sms_utf8_encode(const uint32_t *cps, size_t n, struct bytebuf *out);
/* The <data> of a text-mode result for a stored or delivered TPDU. */
void sms_text_data(const struct sms_state *s, const struct sms_tpdu *t, struct bytebuf *out);
/* A quoted address in the TE set: "\"+8613...\"". */
void sms_text_addr(const struct sms_state *s, const char *addr, struct bytebuf *out);
/* Uppercase hex of bytes. */
void sms_hex(const uint8_t *p, size_t n, struct bytebuf *out);
/* The header fields after +CMGR:/+CMT: in text mode for a DELIVER or
 * SUBMIT (manual §4.2.4), without <stat>: "\"+86...\",\"\",\"02/01/30,...\"[,...]". */
void sms_text_header(const struct sms_state *s, const struct sms_addr *sca,
                     const struct sms_tpdu *t, bool list, struct bytebuf *out);

/* --- sms_store.c --- */

/* The store, loaded from its file on first use (NULL when out of memory). */
struct sms_store *sms_store_get(struct modem *m);
/* The store for a command that needs the SIM's SMS part: NULL with the
 * verdict that stops the command (sms_not_ready, or 320 out of memory). */
struct sms_store *sms_store_ready(struct modem *m, int *verdict);
/* Writes the store's file after a change (nothing without storage). */
void sms_store_save(struct sms_store *st);
/* The slot at index (from 1) of memory mem, NULL when index is out of its
 * range; *count gets the memory's capacity. */
struct sms_slot *sms_store_slot(struct sms_store *st, enum sms_mem mem, int index);
int sms_store_capacity(const struct sms_store *st, enum sms_mem mem);
int sms_store_used(const struct sms_store *st, enum sms_mem mem);
/* The first free index of mem, 0 when it is full. */
int sms_store_free_index(struct sms_store *st, enum sms_mem mem);
void sms_store_free(struct sms_store *st);
extern const char *const sms_mem_names[MEM_COUNT];

/* The verdict for a command that needs the SMS part of the SIM, or 0 when
 * it is ready (before "SMS Ready": +CMS ERROR: 314, SIM busy; without a
 * SIM: 310). */
int sms_not_ready(const struct modem *m);
/* A memory's name as +CMTI shows it, and the index within it. */
const char *sms_mem_of_index(const struct sms_store *st, enum sms_mem mem, int *index);

/* --- sms_msgs.c: read, list, delete --- */

extern const struct at_cmd_table sms_msg_table;

/* --- sms_send.c: write, send, receive --- */

int sms_cmd_cmgs(struct modem *m, struct at_req *r);
int sms_cmd_cmgw(struct modem *m, struct at_req *r);
int sms_cmd_cmss(struct modem *m, struct at_req *r);
/* Stops a send waiting for its answer (reset, power off). */
void sms_send_cancel(struct modem *m);
/* A message arrived from the network: stored and announced as AT+CNMI
 * says, or shown directly.  0, or -1 with a reason in why. */
int sms_receive(struct modem *m, const uint8_t *pdu, size_t len, char *why, size_t whylen);
/* The SMS centre's timestamp for now (host clock, the profile's zone). */
void sms_now(const struct modem *m, struct sms_time *t);
/* An unsolicited indication, held while AT+CNMI <mode> is 0. */
void sms_indicate(struct modem *m, const char *text, const void *data, size_t len);

/* --- sms_sent.c: what the device sent --- */

/* Records a message sent (a part of one), for "sms sent". */
void sms_record_sent(struct sms_state *s, const struct sms_tpdu *t, uint8_t mr);
/* The record as JSON: an array of messages, oldest first. */
void sms_sent_json(const struct sms_state *s, struct bytebuf *out);
/* "gsm7", "8bit" or "ucs2". */
const char *sms_alphabet_name(uint8_t dcs);

/* --- sms_verbs.c --- */

extern const struct service_verb sms_verbs[];

#endif
