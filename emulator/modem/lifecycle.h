/* A modem's life: created with its services (and a PTY, or a sink for tests
 * and fuzzing), booted, destroyed. */
#ifndef SIM800EMU_LIFECYCLE_H
#define SIM800EMU_LIFECYCLE_H

#include <ev.h>
#include <stddef.h>

#include "at_writer.h"

struct modem;
struct profile;
struct service;

/* Creates a modem running services (NULL-terminated; they must outlive it)
 * on a new PTY (link may be NULL).  Returns NULL and a message in err on
 * failure. */
struct modem *modem_create(int id, struct ev_loop *loop, const struct profile *profile,
                           const struct service *const *services, const char *link, char *err,
                           size_t errlen);

/* Creates a modem without a PTY whose output goes to sink (fuzzing, tests). */
struct modem *modem_create_detached(int id, struct ev_loop *loop, const struct profile *profile,
                                    const struct service *const *services, at_sink_fn sink,
                                    void *ud);

void modem_destroy(struct modem *m);

#endif
