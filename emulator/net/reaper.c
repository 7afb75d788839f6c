/* Deferred frees (reaper.h). */
#include "reaper.h"

#include <stdlib.h>

#include "util.h"

struct body {
    void *obj;
    void (*release)(void *obj);
    struct body *next;
};

static struct body *bodies;
static ev_prepare watcher;
static struct ev_loop *watcher_loop;

void reaper_flush(void)
{
    while (bodies) {
        struct body *b = bodies;
        bodies = b->next;
        b->release(b->obj);
        free(b);
    }
}

static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)revents;
    reaper_flush();
    ev_prepare_stop(loop, w);
}

void reaper_defer(struct ev_loop *loop, void *obj, void (*release)(void *obj))
{
    struct body *b = xmalloc(sizeof(*b));
    b->obj = obj;
    b->release = release;
    b->next = bodies;
    bodies = b;
    if (!watcher_loop) {
        ev_prepare_init(&watcher, prepare_cb);
        watcher_loop = loop;
    }
    ev_prepare_start(watcher_loop, &watcher);
}
