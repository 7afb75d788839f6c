/* The control socket (--control PATH): a UNIX stream socket, mode 0600, on
 * which a test or a user drives faults at run time, one request and one
 * reply per line:
 *
 *   fault add SPEC     -> ok <id>              (SPEC: fault.h, README)
 *   fault list         -> ok [<rules as JSON>]
 *   fault clear [ID]   -> ok <how many went>
 *   status             -> ok {<modems as JSON>}
 *   help               -> ok <the requests>
 *   anything else      -> error <why>
 *
 * Every buffer is bounded: a request line of CONTROL_LINE_MAX bytes at
 * most (a longer one is answered with an error and skipped), one read of
 * requests held per client, CONTROL_CLIENTS_MAX clients.  A client whose
 * replies are not read pushes back: once CONTROL_OUT_MAX bytes of them
 * wait (plus the reply being built, which is sent whole), its requests are
 * left in the socket until it reads. */
#ifndef SIM800EMU_CONTROL_H
#define SIM800EMU_CONTROL_H

#include <ev.h>
#include <stddef.h>

#define CONTROL_LINE_MAX 1024
#define CONTROL_OUT_MAX (256 * 1024)
#define CONTROL_CLIENTS_MAX 16

/* Creates the socket at path: refuses a path that exists unless it is a
 * stale socket of ours (a socket owned by us that nobody listens on).
 * -1 with a message in err. */
int control_open(struct ev_loop *loop, const char *path, char *err, size_t errlen);
/* --control-tcp [ADDR:]PORT: the same requests over TCP (a fleet's operator;
 * loopback unless an address is given); a client must first send "auth
 * TOKEN" with the shared secret (16 characters at least).  -1 with a message
 * in err. */
int control_open_tcp(struct ev_loop *loop, const char *where, const char *token, char *err,
                     size_t errlen);
/* Closes every client and removes the socket. */
void control_close(void);

#endif
