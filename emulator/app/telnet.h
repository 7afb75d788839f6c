/* The Telnet byte stream of an RFC 2217 client (RFC 854, RFC 855): data
 * with IAC doubled, option negotiation (IAC WILL/WONT/DO/DONT opt) and
 * subnegotiation (IAC SB ... IAC SE).  Pure and incremental: bytes may come
 * cut anywhere; fuzzed (tests/fuzz/fuzz_telnet.c: cut or whole, the same
 * events). */
#ifndef SIM800EMU_TELNET_H
#define SIM800EMU_TELNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    TELNET_SE = 240,
    TELNET_SB = 250,
    TELNET_WILL = 251,
    TELNET_WONT = 252,
    TELNET_DO = 253,
    TELNET_DONT = 254,
    TELNET_IAC = 255,
};

/* A subnegotiation longer than this is cut (RFC 2217's longest is 6). */
#define TELNET_SB_MAX 64

/* Zeroed: the start of a stream. */
struct telnet_decoder {
    int state;
    uint8_t cmd;
    uint8_t sb[TELNET_SB_MAX];
    size_t sb_len;
};

/* What the stream says, in order. */
struct telnet_events {
    void (*data)(void *ud, const uint8_t *p, size_t n);    /* IAC IAC is one 0xFF */
    void (*option)(void *ud, uint8_t cmd, uint8_t option); /* WILL/WONT/DO/DONT */
    void (*subneg)(void *ud, const uint8_t *sb, size_t n); /* without IAC SB, IAC SE */
    void *ud;
};

void telnet_decode(struct telnet_decoder *d, const uint8_t *p, size_t n,
                   const struct telnet_events *ev);

#endif
