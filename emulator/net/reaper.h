/* One way to free an object that code up the stack may still look at: a
 * handler that frees the object whose callback it runs in (Redis's
 * connections close "asap" for the same reason).  The object stops all it
 * does at once and marks itself dead; its memory goes when the loop is
 * about to wait again (an ev_prepare), after every frame of this turn has
 * returned.  Code that called a handler checks the object's dead mark
 * before it touches anything else of it.  conn, linecli and ftp_client
 * free themselves this way. */
#ifndef SIM800EMU_REAPER_H
#define SIM800EMU_REAPER_H

#include <ev.h>

/* release(obj) runs at the loop's next prepare (or at reaper_flush()). */
void reaper_defer(struct ev_loop *loop, void *obj, void (*release)(void *obj));
/* Runs every deferred release now: at exit, once the loop has stopped. */
void reaper_flush(void);

#endif
