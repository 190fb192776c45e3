/* libFuzzer target: arbitrary bytes, plain or gzip'ed, read as IDX label
 * and image files. Each input goes to one file in a private directory
 * made at start-up and removed at exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/targets.h"

static char dir[4096];

static void remove_dir(void)
{
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/symopt-fuzz-idx-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz_idx: mkdtemp");
        abort();
    }
    atexit(remove_dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_LEN)
        return -1;
    const char *msg = fuzz_idx_check(dir, data, size);
    if (msg) {
        fprintf(stderr, "fuzz_idx: %s\n", msg);
        abort();
    }
    return 0;
}
