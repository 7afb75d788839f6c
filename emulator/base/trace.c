#include "trace.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static FILE *trace_file;
static double trace_epoch;

int trace_open(const char *path)
{
    trace_epoch = monotonic_seconds();
    if (strcmp(path, "-") == 0) {
        trace_file = stderr;
        return 0;
    }
    trace_file = fopen(path, "w");
    return trace_file ? 0 : -1;
}

void trace_close(void)
{
    if (trace_file && trace_file != stderr)
        fclose(trace_file);
    trace_file = NULL;
}

bool trace_enabled(void) { return trace_file != NULL; }

size_t trace_quote(char *out, size_t cap, const void *p, size_t n)
{
    const uint8_t *b = p;
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
        char tmp[8];
        const char *s = tmp;
        uint8_t c = b[i];
        if (c == '\r')
            s = "<CR>";
        else if (c == '\n')
            s = "<LF>";
        else if (c == '\\')
            s = "\\\\";
        else if (c == '"')
            s = "\\\"";
        else if (c < 0x20 || c >= 0x7f)
            snprintf(tmp, sizeof(tmp), "\\x%02X", c);
        else {
            tmp[0] = (char)c;
            tmp[1] = '\0';
        }
        size_t l = strlen(s);
        if (need + l < cap)
            memcpy(out + need, s, l);
        need += l;
    }
    if (cap > 0)
        out[need < cap ? need : cap - 1] = '\0';
    return need;
}

void trace_bytes(int modem_id, const char *channel, enum trace_dir dir, const void *p, size_t n)
{
    if (!trace_file)
        return;
    const char *arrow = dir == TRACE_IN ? "<<" : dir == TRACE_OUT ? ">>" : "--";
    fprintf(trace_file, "%.6f m%d %s %s \"", monotonic_seconds() - trace_epoch, modem_id, channel,
            arrow);
    /* Quote in slices so a large payload needs no large buffer. */
    const uint8_t *b = p;
    char buf[1024];
    for (size_t off = 0; off < n; off += 200) {
        size_t len = n - off < 200 ? n - off : 200;
        trace_quote(buf, sizeof(buf), b + off, len);
        fputs(buf, trace_file);
    }
    fputs("\"\n", trace_file);
    fflush(trace_file);
}

void trace_note(int modem_id, const char *channel, const char *fmt, ...)
{
    if (!trace_file)
        return;
    fprintf(trace_file, "%.6f m%d %s -- ", monotonic_seconds() - trace_epoch, modem_id, channel);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(trace_file, fmt, ap);
    va_end(ap);
    fputc('\n', trace_file);
    fflush(trace_file);
}
