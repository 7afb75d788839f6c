/* The handler API of reply.h, on the modem's engine and writer. */
#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modem.h"

void at_info_len(struct modem *m, const char *text, size_t len)
{
    at_writer_info(&m->engine.writer, text, len);
}

/* Formats fmt into stack_buf, or into the heap when the text does not fit:
 * an answer is never cut (AT+HTTPPARA? with a long URL and USERDATA runs to
 * about 1.2 KB).  Returns the text and its length; free it when it is not
 * stack_buf.  Only when memory runs out is the text cut to stack_buf. */
__attribute__((format(printf, 4, 0))) static char *format(char *stack_buf, size_t size, size_t *len,
                                                          const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(stack_buf, size, fmt, ap);
    char *text = stack_buf;
    if (n < 0) {
        n = 0;
    } else if ((size_t)n >= size) {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, again);
            text = big;
        } else {
            n = (int)size - 1;
        }
    }
    va_end(again);
    *len = (size_t)n;
    return text;
}

void at_info(struct modem *m, const char *fmt, ...)
{
    char buf[512];
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    char *text = format(buf, sizeof(buf), &n, fmt, ap);
    va_end(ap);
    at_info_len(m, text, n);
    if (text != buf)
        free(text);
}

void at_data_header(struct modem *m, const char *text)
{
    struct at_engine *e = &m->engine;
    if (e->v250->verbose || !e->v0_data_framing)
        at_writer_raw(&e->writer, "\r\n", 2);
    if (text) {
        at_writer_raw(&e->writer, text, strlen(text));
        at_writer_raw(&e->writer, "\r\n", 2);
    }
}

void at_info_data(struct modem *m, const char *header, const void *data, size_t len)
{
    at_data_header(m, header);
    at_writer_raw(&m->engine.writer, data, len);
}

void at_raw(struct modem *m, const void *p, size_t n) { at_writer_raw(&m->engine.writer, p, n); }

void at_urc(struct modem *m, const char *fmt, ...)
{
    char buf[512];
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    char *text = format(buf, sizeof(buf), &n, fmt, ap);
    va_end(ap);
    at_writer_urc(&m->engine.writer, text, n, NULL, 0);
    if (text != buf)
        free(text);
}

void at_urc_data(struct modem *m, const char *text, const void *data, size_t len)
{
    at_writer_urc(&m->engine.writer, text, strlen(text), data, len);
}

void at_urc_raw(struct modem *m, const void *p, size_t n)
{
    at_writer_urc_raw(&m->engine.writer, p, n);
}

void at_urcs_now(struct modem *m) { at_writer_flush_held(&m->engine.writer); }

void at_final_early(struct modem *m, int result)
{
    at_writer_final(&m->engine.writer, result, NULL);
}

int at_final_text(struct modem *m, const char *text)
{
    at_engine_set_final_text(&m->engine, text);
    return AT_TEXT;
}

void at_complete(struct modem *m, int result) { at_engine_complete(&m->engine, result); }

void at_begin_data(struct modem *m, const struct at_data_req *req)
{
    at_engine_begin_data(&m->engine, req);
}

void at_set_passthrough(struct modem *m, at_passthrough_fn fn, void *ud)
{
    at_engine_set_passthrough(&m->engine, fn, ud);
}

bool at_is_pending(const struct modem *m) { return at_engine_is_pending(&m->engine); }
