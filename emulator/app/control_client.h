/* The client side of the control socket, for scripts and health checks
 * that have no other client at hand (a container's HEALTHCHECK, a
 * Kubernetes exec probe): `sim800emu --request PATH REQUEST...`. */
#ifndef SIM800EMU_CONTROL_CLIENT_H
#define SIM800EMU_CONTROL_CLIENT_H

/* Sends the request words (joined by spaces) to the control socket at
 * path, prints the reply line on stdout.  Returns the exit status: 0 for
 * a reply "ok ...", 1 for "error ..." or no reply within timeout_s, 2 for
 * a request that cannot be sent (too long, no socket there). */
int control_request(const char *path, char **words, int nwords, double timeout_s);

#endif
