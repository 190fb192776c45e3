/* libFuzzer target: arbitrary bytes through the scanner, the parser, the
 * checks and the printer, which must round-trip whatever parses. */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_LEN)
        return -1;
    const char *msg = fuzz_rule_check(data, size);
    if (msg) {
        fprintf(stderr, "fuzz_rule: %s\n", msg);
        abort();
    }
    return 0;
}
