/* The interpreter: the reference meaning of a checked rule, in float
 * arithmetic exactly as the semantics in the design notes state it. The
 * code generator is tested against it. */
#ifndef SYMOPT_INTERP_H
#define SYMOPT_INTERP_H

#include <stdint.h>

#include "compiler/ast.h"

/* The reference meaning of a checked rule: one step over n elements with
 * the calling convention of compiler/rule_abi.h. */
void interp_step(const Rule *r, int64_t n, float *w, const float *g,
                 float *const *states, const float *hp, float lr,
                 int64_t step);

/* One element: runs the body with weight w and gradient g; state_vals
 * (r->nstates floats) holds the element's states on entry and their new
 * values on return. Returns the update (the trainer does w -= update). */
float interp_element(const Rule *r, float w, float g, float *state_vals,
                     const float *hp, float lr, int64_t step);

/* The value of one function on float arguments (nargs of them, as many as
 * fn_info[fn].arity), by the language's definition. */
float interp_apply(FnKind fn, const float *args);

#endif
