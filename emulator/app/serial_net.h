/* Modems reachable over TCP (README "Over the network"): --listen
 * [ADDR:]PORT serves modem i on PORT+i, speaking RFC 2217 (the Telnet
 * COM-port option of pyserial's rfc2217:// URLs, ser2net and virtual COM
 * port drivers) or, with --listen-raw, raw bytes (ser2net's raw mode, socat).
 *
 * A network client is a client of the modem's PTY like any other: the
 * bridge opens the PTY's slave for it and relays both ways, so echo,
 * pacing, back-pressure and hand-over are the port's own (a client that
 * leaves loses what it left unread; the next one finds the module as it
 * is).  One client per modem at a time: a connection while another client
 * (local or network) has the port is refused.  No authentication: loopback
 * unless an address is given. */
#ifndef SIM800EMU_SERIAL_NET_H
#define SIM800EMU_SERIAL_NET_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

struct modem;

/* Listens for modems[0..n) on addr (NULL: 127.0.0.1) ports port..port+n-1;
 * -1 with the reason in err when a port cannot be bound. */
int serial_net_start(struct ev_loop *loop, struct modem **modems, long n, const char *addr,
                     int port, bool rfc2217, char *err, size_t errlen);
void serial_net_stop(void);
/* "127.0.0.1:5000" for modem i, "" when not listening (for status). */
const char *serial_net_endpoint(long i);

#endif
