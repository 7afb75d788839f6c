/* Telnet decoding (telnet.h). */
#include "telnet.h"

enum { T_DATA, T_IAC, T_OPT, T_SB, T_SB_IAC };

static void sb_put(struct telnet_decoder *d, uint8_t c)
{
    if (d->sb_len < sizeof(d->sb))
        d->sb[d->sb_len++] = c;
}

void telnet_decode(struct telnet_decoder *d, const uint8_t *p, size_t n,
                   const struct telnet_events *ev)
{
    size_t run = 0; /* data bytes p[i - run .. i) not yet given */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (d->state == T_DATA && c != TELNET_IAC) {
            run++;
            continue;
        }
        if (run) {
            ev->data(ev->ud, p + i - run, run);
            run = 0;
        }
        switch (d->state) {
        case T_DATA: /* c is IAC */
            d->state = T_IAC;
            break;
        case T_IAC:
            if (c == TELNET_IAC) {
                ev->data(ev->ud, &p[i], 1);
                d->state = T_DATA;
            } else if (c >= TELNET_WILL && c <= TELNET_DONT) {
                d->cmd = c;
                d->state = T_OPT;
            } else if (c == TELNET_SB) {
                d->sb_len = 0;
                d->state = T_SB;
            } else {
                d->state = T_DATA; /* NOP, GA, SE alone...: nothing to do */
            }
            break;
        case T_OPT:
            d->state = T_DATA;
            ev->option(ev->ud, d->cmd, c);
            break;
        case T_SB:
            if (c == TELNET_IAC)
                d->state = T_SB_IAC;
            else
                sb_put(d, c);
            break;
        case T_SB_IAC:
            if (c == TELNET_SE) {
                d->state = T_DATA;
                ev->subneg(ev->ud, d->sb, d->sb_len);
            } else {
                /* IAC IAC inside is one 0xFF; another command ends nothing
                 * (RFC 855 leaves it open): its byte is kept. */
                sb_put(d, c);
                d->state = T_SB;
            }
            break;
        default:
            d->state = T_DATA;
        }
    }
    if (run)
        ev->data(ev->ud, p + n - run, run);
}
