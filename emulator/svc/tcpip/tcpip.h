/* State of the TCP/IP application stack (AT+CIP*, SIM800 AT Command Manual V1.09 ch. 8), owned by
 * svc_tcpip.c (commands) and tcpip_link.c (links and their data). */
#ifndef SIM800EMU_TCPIP_H
#define SIM800EMU_TCPIP_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "service.h"
#include "util.h"

#define CIP_LINKS 6       /* <n> 0-5 in multi mode (manual §8.2.2) */
#define CIP_SEND_MAX 1460 /* AT+CIPSEND?: bytes one send may carry */
#define CIP_READ_MAX 1460 /* AT+CIPRXGET=2 per call; 730 in hex */

struct modem;
struct conn;
struct net_query;

/* manual §8.2.12: the stack's own states; single mode shows states 5-8 from the
 * link, multi mode IP PROCESSING while a link is in use. */
enum ip_state {
    IP_INITIAL,
    IP_START,
    IP_CONFIG,
    IP_GPRSACT,
    IP_STATUS,
    IP_PDP_DEACT,
};

enum link_state {
    LINK_INITIAL,
    LINK_CONNECTING,
    LINK_CONNECTED,
    LINK_CLOSING,
    LINK_CLOSED,
};

struct cip_link {
    struct modem *modem;
    int id;
    enum link_state state;
    bool udp;
    bool tls;
    char host[256]; /* as the host wrote it */
    int port;
    struct conn *conn;
    struct bytebuf rx; /* unread bytes in AT+CIPRXGET=1 mode */
    bool rx_announced; /* +CIPRXGET: 1 sent since the buffer was last empty */
    uint64_t tx_total; /* bytes handed to the socket (AT+CIPACK) */
    bool send_waiting; /* a CIPSEND waits for its SEND OK */
    bool push_paused;  /* reading stopped until the host takes pushed data */
};

struct tcpip_state {
    enum ip_state ip;
    int mux;    /* AT+CIPMUX */
    int mode;   /* AT+CIPMODE: 1 transparent */
    int qsend;  /* AT+CIPQSEND */
    int rxget;  /* AT+CIPRXGET=0/1 */
    int head;   /* AT+CIPHEAD */
    int srip;   /* AT+CIPSRIP */
    int showtp; /* AT+CIPSHOWTP */
    int sprt;   /* AT+CIPSPRT */
    int ssl;    /* AT+CIPSSL: applies to links started afterwards */
    char apn[65], user[33], pwd[33];
    char dns1[16], dns2[16];
    int tka[4];  /* AT+CIPTKA mode, idle, interval, count */
    int ping[4]; /* AT+CIPPING defaults: retries, size, timeout, ttl */
    int clport_tcp[CIP_LINKS], clport_udp[CIP_LINKS];
    struct cip_link links[CIP_LINKS];
    ev_timer ciicr_timer;
    struct net_query *dns_query; /* AT+CDNSGIP under way */
    char dns_name[256];
    /* AT+CIPPING under way */
    struct conn *ping_conn;
    struct net_query *ping_query;
    ev_timer ping_timer;
    int ping_left, ping_seq;
    double ping_t0;
    char ping_host[256], ping_addr[64];
    int ping_port;
    /* Transparent mode (AT+CIPMODE=1). */
    bool data_mode; /* the port is a pipe to link 0 */
    ev_timer escape_timer;
    int plus_count;    /* '+' seen after a guard silence */
    double last_input; /* ev_now() of the last host byte in data mode */
};

extern const struct service tcpip_service;

/* Its profile keys (profile.h), each default in its row in svc_tcpip.c. */
struct tcpip_config {
    int ciicr_ms;        /* [tcpip] ciicr_ms: how long AT+CIICR takes to activate the context */
    int rx_buffer;       /* [tcpip] rx_buffer: bytes kept per link for AT+CIPRXGET */
    int escape_guard_ms; /* [tcpip] escape_guard_ms: silence around "+++" in transparent mode */
};

/* (Inline, so that a part's call reaches the seam, not svc_tcpip.c.) */
static inline const struct tcpip_config *tcpip_config(const struct modem *m)
{
    return service_config(m, &tcpip_service);
}

static inline struct tcpip_state *tcpip_of(const struct modem *m)
{
    return modem_state(m, &tcpip_service);
}

void tcpip_init(struct modem *m);
void tcpip_reset(struct modem *m);          /* power cycle: everything closed, no URCs */
void tcpip_pdp_deact(struct modem *m);      /* the network dropped the context */
void tcpip_output_drained(struct modem *m); /* the host read all pushed data */

/* tcpip_link.c */
/* Leaves transparent mode, if in it: the port takes commands again. */
void tcpip_leave_data_mode(struct modem *m);
/* Closes every link at once (TCP reset) and leaves transparent mode;
 * announce prints "CLOSED" ("<n>, CLOSED") for each link that was in use. */
void tcpip_close_all_links(struct modem *m, bool announce);
int link_start(struct modem *m, struct cip_link *l, bool udp, const char *host, int port);
void link_close(struct cip_link *l, bool quick);
void link_send(struct cip_link *l, const uint8_t *p, size_t n);
bool link_in_use(const struct cip_link *l);
/* Called when reading freed buffer space (resumes the socket). */
void link_rx_consumed(struct cip_link *l);
const char *link_shown_address(const struct cip_link *l);
/* Transparent mode: host bytes to link 0. */
size_t link_passthrough(struct modem *m, void *ud, const uint8_t *p, size_t n);

extern const struct at_cmd_table cmd_tcpip_table;
extern const struct at_cmd_table cmd_tcpip_dns_table;     /* tcpip_dns.c */
extern const struct at_cmd_table cmd_tcpip_options_table; /* tcpip_options.c */
extern const struct at_cmd_table cmd_tcpip_ping_table;    /* tcpip_ping.c */

/* Ends link's connection as if the peer closed it (a fault's closed=): the
 * link's own CLOSED follows.  -1 when the link has no open connection. */
int tcpip_link_end(struct modem *m, int link);

/* A PDP context is up: DNS and ping may go out. */
static inline bool tcpip_context_up(const struct tcpip_state *t)
{
    return t->ip == IP_GPRSACT || t->ip == IP_STATUS;
}

#endif
