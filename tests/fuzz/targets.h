/* The properties the fuzz targets check, one function per target, shared
 * by the libFuzzer entry points and by tests/test_fuzz_regressions.c,
 * which replays every saved finding through them in the ordinary build. */
#ifndef SYMOPT_FUZZ_TARGETS_H
#define SYMOPT_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "compiler/jit.h"

/* Largest input worth fuzzing: a long rule or a small IDX file. The
 * scripts pass the same bound to libFuzzer as -max_len. */
enum { FUZZ_MAX_LEN = 4096 };

/* Each check returns NULL when the input behaves, else a description of
 * the property it broke (a static buffer, valid until the next call).
 * Bad input must only give diagnostics: a crash, a sanitizer report or a
 * hang inside a check is a finding too. */

/* parse_rule, sema_check, print_rule, parse again: a rule that parses
 * must reparse from its printed text to an equal AST with the same
 * verdict of the checks, and printing must be idempotent. */
const char *fuzz_rule_check(const uint8_t *data, size_t size);

/* parse_checked; a rule that checks is JIT-compiled in `jit` and run for
 * a few steps on fixed inputs beside interp_step; the two must agree bit
 * for bit, within 4 ulp where a libm transcendental is involved, and NaN
 * only where the other is NaN. */
const char *fuzz_jit_check(Jit *jit, const uint8_t *data, size_t size);

/* Writes the bytes to a file in `dir` and reads it with dataset_read_idx
 * as labels (1 dimension) and as images (3): either a clear error or
 * data matching the header. gzopen reads plain and gzip'ed files alike,
 * so both formats take this path. */
const char *fuzz_idx_check(const char *dir, const uint8_t *data, size_t size);

#endif
