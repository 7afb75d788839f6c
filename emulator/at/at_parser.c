#include "at_parser.h"

void at_parser_init(struct at_parser *p)
{
    p->state = AT_PS_IDLE;
    p->backspace = 8; /* S5 factory value, SIM800 manual 2.2.19 */
    p->overflow = false;
    p->garbage = false;
    p->line_len = 0;
    p->line[0] = '\0';
}

static void start_line(struct at_parser *p)
{
    p->state = AT_PS_IN_LINE;
    p->overflow = false;
    p->garbage = false;
    p->line_len = 0;
    p->line[0] = '\0';
}

static enum at_parser_event end_line(struct at_parser *p)
{
    p->state = AT_PS_IDLE;
    p->line[p->line_len] = '\0';
    if (p->overflow)
        return AT_EV_OVERFLOW;
    if (p->garbage)
        return AT_EV_GARBAGE;
    return AT_EV_LINE;
}

size_t at_parser_feed(struct at_parser *p, const uint8_t *buf, size_t len, enum at_parser_event *ev)
{
    *ev = AT_EV_NONE;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        switch (p->state) {
        case AT_PS_IDLE:
            if (c == 'A' || c == 'a')
                p->state = AT_PS_GOT_A;
            break;
        case AT_PS_GOT_A:
            if (c == 'T' || c == 't') {
                start_line(p);
            } else if (c == '/') {
                /* V.250 5.2.4: "A/" needs no terminator. */
                p->state = AT_PS_IDLE;
                *ev = AT_EV_REPEAT;
                return i + 1;
            } else if (c != 'A' && c != 'a') {
                p->state = AT_PS_IDLE;
            }
            break;
        case AT_PS_IN_LINE:
            if (c == '\r' || c == '\n') {
                *ev = end_line(p);
                /* "AT\r\n" from println(): the LF belongs to this line. */
                if (c == '\r' && i + 1 < len && buf[i + 1] == '\n')
                    i++;
                return i + 1;
            }
            if (c == p->backspace && c != 0) {
                if (p->line_len > 0)
                    p->line_len--;
                else
                    p->state = AT_PS_GOT_A; /* rubbed out the 'T' */
                break;
            }
            if (p->line_len >= AT_LINE_MAX) {
                p->overflow = true;
                break;
            }
            if (c == '\0')
                p->garbage = true;
            p->line[p->line_len++] = (char)c;
            break;
        }
    }
    return len;
}
