/* The calling convention of a compiled rule: what the JIT hands the
 * trainer and what `symopt compile` writes into an object file.
 *
 *   n       elements in each tensor
 *   w       weights, updated in place: w[i] -= update(i)
 *   g       gradient
 *   states  the rule's state tensors, in declaration order, each n floats,
 *           zero before the first step
 *   hp      the rule's hyperparameters, in header order (a declared `lr` is
 *           among them and holds the base learning rate; the body sees the
 *           `lr` argument instead)
 *   lr      the scheduled learning rate of this step
 *   step    the 1-based step count
 *
 * The tensors must not overlap one another. */
#ifndef SYMOPT_RULE_ABI_H
#define SYMOPT_RULE_ABI_H

#include <stdint.h>

typedef void (*RuleStepFn)(int64_t n, float *w, const float *g,
                           float *const *states, const float *hp, float lr,
                           int64_t step);

#endif
