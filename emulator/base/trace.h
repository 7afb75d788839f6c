/* The byte trace a user pastes into a bug report: one line per chunk,
 *   <seconds> m<modem> <channel> <dir> "<bytes>"
 * with dir "<<" for bytes from the host and ">>" for bytes to it, and control
 * bytes made visible (<CR>, <LF>, \xNN; a backslash is doubled, a quote is \").
 * Off unless trace_open() was called. */
#ifndef SIM800EMU_TRACE_H
#define SIM800EMU_TRACE_H

#include <stdbool.h>
#include <stddef.h>

/* path "-" traces to stderr.  Returns -1 when the file cannot be opened. */
int trace_open(const char *path);
void trace_close(void);
bool trace_enabled(void);

enum trace_dir { TRACE_IN, TRACE_OUT, TRACE_NOTE };

void trace_bytes(int modem_id, const char *channel, enum trace_dir dir, const void *p, size_t n);
void trace_note(int modem_id, const char *channel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Renders bytes as the trace shows them into out (always NUL-terminated);
 * returns the length it would need, like snprintf. */
size_t trace_quote(char *out, size_t cap, const void *p, size_t n);

#endif
