/* The libFuzzer entry point every harness defines; replay_main.c calls it
 * when the harness is built without libFuzzer. */
#ifndef SIM800EMU_TESTS_FUZZ_H
#define SIM800EMU_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant check that stays on in every build type (assert may be
 * compiled out); abort() is what libFuzzer reports as a crash. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Drives an at_args cursor over args[0..len) (copied to an exact-size heap
 * buffer) until it is done, choosing at_arg_int or at_arg_str and their
 * limits from next_op(ud), and checks every answer against a reference
 * reading of the same text.  Shared by both harnesses (fuzz_args_check.c). */
void fuzz_check_args(const char *args, size_t len, uint8_t (*next_op)(void *ud), void *ud);

/* 64-bit FNV-1a, to derive deterministic choices from an input. */
uint64_t fuzz_hash(const uint8_t *p, size_t n);

/* xorshift64; *s must not be 0. */
uint64_t fuzz_rand(uint64_t *s);

#endif
