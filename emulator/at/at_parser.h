/* The V.250 command-line framer: a pure, byte-fed state machine with no I/O
 * and no allocation (after oFono's gatsyntax.c).
 *
 * It finds the "AT" prefix (any case), collects the command body up to the
 * S3 terminator, applies the S5 editing character, recognises "A/" and
 * notices when a line exceeds the module's limit.  Bytes before an "A" that
 * starts a prefix are discarded.  Feeding a line whole or byte by byte gives
 * the same events; the fuzzer and the unit tests call it directly. */
#ifndef SIM800EMU_AT_PARSER_H
#define SIM800EMU_AT_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SIM800 manual 1.4.4: at most 556 characters after the "AT" prefix; a
 * longer line runs none of its commands and answers ERROR. */
#define AT_LINE_MAX 556

enum at_parser_event {
    AT_EV_NONE,     /* everything given was consumed, no line complete yet */
    AT_EV_LINE,     /* a command line is complete: body in p->line */
    AT_EV_REPEAT,   /* "A/": run the previous line again */
    AT_EV_OVERFLOW, /* the line was longer than AT_LINE_MAX: answer ERROR */
    AT_EV_GARBAGE,  /* the line held a NUL byte: answer ERROR */
};

enum at_parser_state {
    AT_PS_IDLE,   /* waiting for 'A' or 'a' */
    AT_PS_GOT_A,  /* saw 'A', expecting 'T' or '/' */
    AT_PS_IN_LINE /* after "AT", collecting the body */
};

struct at_parser {
    enum at_parser_state state;
    uint8_t backspace; /* S5, the editing character */
    bool overflow;     /* more than AT_LINE_MAX body characters were typed */
    bool garbage;      /* a NUL byte was typed into the body */
    size_t line_len;
    char line[AT_LINE_MAX + 1]; /* body after "AT", NUL-terminated */
};

void at_parser_init(struct at_parser *p);

/* Feeds up to len bytes.  Stops right after the byte that completes an event
 * (a line terminator, or the '/' of "A/"); a '\n' directly after the '\r'
 * that ended a line is consumed with it when it is in the same buffer.
 * Returns how many bytes were consumed and sets *ev.  After AT_EV_LINE the
 * body stays in p->line until the next call. */
size_t at_parser_feed(struct at_parser *p, const uint8_t *buf, size_t len,
                      enum at_parser_event *ev);

#endif
