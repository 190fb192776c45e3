/* libFuzzer target: every input that checks is JIT-compiled and run
 * beside the interpreter; they must agree. One JIT session serves the
 * whole run, each rule released after its input. */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/targets.h"

static Jit *jit;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    jit = jit_new(err, sizeof err);
    if (!jit) {
        fprintf(stderr, "fuzz_jit: %s\n", err);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_LEN)
        return -1;
    const char *msg = fuzz_jit_check(jit, data, size);
    if (msg) {
        fprintf(stderr, "fuzz_jit: %s\n", msg);
        abort();
    }
    return 0;
}
