/* The modem's side of its serial port: host bytes in (autobaud, power), the
 * writer's bytes out (line noise, a departed client's answer muted), and
 * back-pressure between the two (pty.h has the port itself). */
#ifndef SIM800EMU_PORT_H
#define SIM800EMU_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct modem;

/* Opens the modem's PTY (link may be NULL); -1 with a message in err. */
int modem_attach_port(struct modem *m, const char *link, char *err, size_t errlen);
/* The AT writer's sink (at_sink_fn): bytes to the port, or to the test sink. */
void modem_output(void *ud, const uint8_t *p, size_t n);
/* Host bytes in (the PTY calls this). */
void modem_input(struct modem *m, const uint8_t *p, size_t n);
/* Bytes written to the port that the client has not read yet. */
size_t modem_output_backlog(const struct modem *m);
/* True while the client has so much unread that no new command may start. */
bool modem_output_full(const struct modem *m);
/* Publishes MODEM_EV_PORT_DRAINED once the client has read them all. */
void modem_want_drain(struct modem *m);
/* Line noise: the next n bytes of output are lost on the line. */
void modem_drop_output(struct modem *m, unsigned n);
/* Line noise: bytes that reach the port at once, past the writer. */
void modem_noise(struct modem *m, const uint8_t *p, size_t n);
const char *modem_port_path(const struct modem *m);
/* The rate the host's line runs at, when the host says so (RFC 2217's
 * SET-BAUDRATE over --listen); 0: not known.  While the module autobauds
 * (AT+IPR=0) it is the rate the port paces at; a fixed AT+IPR stands. */
void modem_port_host_rate(struct modem *m, long baud);

#endif
