/* How the differential tests compare the interpreter with the JIT: bit
 * for bit, or within 4 ulp when a libm transcendental is involved (the JIT
 * may call another entry point); NaN must agree with NaN. Shared by
 * test_diff.c and the fuzz_jit target. */
#ifndef SYMOPT_DIFF_COMPARE_H
#define SYMOPT_DIFF_COMPARE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "compiler/ast.h"

/* The tolerance where a transcendental is involved. */
enum { DIFF_MAX_ULPS = 4 };

static inline bool diff_transcendental(const Node *n)
{
    if (n->kind != ND_CALL)
        return false;
    switch (n->fn) {
    case FN_POW:
    case FN_CBRT:
    case FN_EXP:
    case FN_EXPM1:
    case FN_LOG:
    case FN_LOG1P:
    case FN_SIN:
    case FN_COS:
    case FN_TAN:
    case FN_ARCSIN:
    case FN_ARCCOS:
    case FN_ARCTAN:
    case FN_SINH:
    case FN_COSH:
    case FN_TANH:
    case FN_ARCSINH:
    case FN_ARCTANH:
        return true;
    default:
        break;
    }
    for (int k = 0; k < n->nargs; k++)
        if (diff_transcendental(n->args[k]))
            return true;
    return false;
}

/* Whether any statement or the return of a checked rule calls a libm
 * transcendental. */
static inline bool diff_rule_transcendental(const Rule *r)
{
    for (int s = 0; s < r->nstmts; s++)
        if (diff_transcendental(r->stmts[s].value))
            return true;
    return diff_transcendental(r->ret);
}

/* Distance in units in the last place between two floats, through their
 * sign-magnitude bits mapped onto one ordered line (in 64 bits, so that
 * it cannot overflow). */
static inline int64_t diff_ulps(float a, float b)
{
    int32_t x, y;
    memcpy(&x, &a, 4);
    memcpy(&y, &b, 4);
    int64_t ox = x < 0 ? (int64_t)INT32_MIN - x : x;
    int64_t oy = y < 0 ? (int64_t)INT32_MIN - y : y;
    return ox > oy ? ox - oy : oy - ox;
}

/* Whether interpreter value a and JIT value b agree; tol allows
 * DIFF_MAX_ULPS. */
static inline bool diff_agree(float a, float b, bool tol)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (!tol)
        return !memcmp(&a, &b, 4);
    return diff_ulps(a, b) <= DIFF_MAX_ULPS;
}

#endif
