#include "at_writer.h"

#include <stdio.h>
#include <string.h>

#include "v250.h"

void at_writer_init(struct at_writer *w, const struct v250_settings *v250, at_sink_fn sink,
                    void *ud)
{
    memset(w, 0, sizeof(*w));
    w->v250 = v250;
    w->sink = sink;
    w->sink_ud = ud;
    w->quiet_urcs = true;
}

void at_writer_free(struct at_writer *w) { bytebuf_free(&w->held); }

static void emit(struct at_writer *w, const void *p, size_t n)
{
    if (n > 0)
        w->sink(w->sink_ud, p, n);
}

/* Frames text as information text into out (V1: CRLF text CRLF; V0: text CRLF). */
static void frame_info(const struct at_writer *w, struct bytebuf *out, const char *text, size_t len)
{
    if (w->v250->verbose)
        bytebuf_append(out, "\r\n", 2);
    bytebuf_append(out, text, len);
    bytebuf_append(out, "\r\n", 2);
}

void at_writer_info(struct at_writer *w, const char *text, size_t len)
{
    struct bytebuf b = {0};
    frame_info(w, &b, text, len);
    emit(w, b.data, b.len);
    bytebuf_free(&b);
}

void at_writer_raw(struct at_writer *w, const void *p, size_t n) { emit(w, p, n); }

/* V.250 result codes that have a numeric form under ATV0 (manual 2.2.25). */
static int numeric_code(const char *text)
{
    static const struct {
        const char *text;
        int code;
    } codes[] = {
        {"OK", 0},          {"CONNECT", 1}, {"RING", 2},      {"NO CARRIER", 3}, {"ERROR", 4},
        {"NO DIALTONE", 6}, {"BUSY", 7},    {"NO ANSWER", 8}, {"PROCEEDING", 9},
    };
    for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
        if (strcmp(codes[i].text, text) == 0)
            return codes[i].code;
    return -1;
}

static void final_text(struct at_writer *w, const char *text)
{
    int num = numeric_code(text);
    if (!w->v250->verbose && num >= 0) {
        char b[8];
        int n = snprintf(b, sizeof(b), "%d\r", num);
        emit(w, b, (size_t)n);
        return;
    }
    /* Texts without a numeric form (SHUT OK, SEND OK...) stay text under V0,
     * framed as information text (SIM800 AT Command Manual V1.09 §2.2.25). */
    at_writer_info(w, text, strlen(text));
}

void at_writer_final(struct at_writer *w, int result, const char *text)
{
    if (w->v250->quiet)
        return;
    char buf[96];
    if (result >= AT_CME_BASE) {
        int code = result >= AT_CMS_BASE ? result - AT_CMS_BASE : result - AT_CME_BASE;
        bool cms = result >= AT_CMS_BASE;
        if (w->v250->cmee == 0) {
            final_text(w, "ERROR");
            return;
        }
        const char *t = cms ? at_cms_text(code) : at_cme_text(code);
        int n;
        if (w->v250->cmee == 2 && t)
            n = snprintf(buf, sizeof(buf), "+%s ERROR: %s", cms ? "CMS" : "CME", t);
        else
            n = snprintf(buf, sizeof(buf), "+%s ERROR: %d", cms ? "CMS" : "CME", code);
        at_writer_info(w, buf, (size_t)n);
        return;
    }
    switch (result) {
    case AT_OK:
        final_text(w, "OK");
        return;
    case AT_TEXT:
        final_text(w, text ? text : "OK");
        return;
    case AT_SILENT:
    case AT_PENDING:
        return;
    default:
        final_text(w, "ERROR");
        return;
    }
}

void at_writer_urc(struct at_writer *w, const char *text, size_t len, const void *data, size_t dlen)
{
    /* V.250 6.2.5: under Q1 no part of an unsolicited result code is sent
     * (the manual's ATQ: "any result code").  A URC that carries bytes the
     * peer sent (+RECEIVE) is data, not a result code, and still goes out. */
    if (w->v250->quiet && w->quiet_urcs && dlen == 0)
        return;
    struct bytebuf b = {0};
    frame_info(w, &b, text, len);
    bytebuf_append(&b, data, dlen);
    if (w->hold)
        bytebuf_append(&w->held, b.data, b.len);
    else
        emit(w, b.data, b.len);
    bytebuf_free(&b);
}

void at_writer_urc_raw(struct at_writer *w, const void *p, size_t n)
{
    if (w->hold)
        bytebuf_append(&w->held, p, n);
    else
        emit(w, p, n);
}

void at_writer_flush_held(struct at_writer *w)
{
    if (bytebuf_pending(&w->held) > 0) {
        emit(w, bytebuf_head(&w->held), bytebuf_pending(&w->held));
        bytebuf_clear(&w->held);
    }
}

void at_writer_set_hold(struct at_writer *w, bool hold)
{
    w->hold = hold;
    if (!hold && bytebuf_pending(&w->held) > 0) {
        emit(w, bytebuf_head(&w->held), bytebuf_pending(&w->held));
        bytebuf_clear(&w->held);
    }
}
