/* Semantic checks of a rule: names resolved, every error reported through
 * the Diag sink, scalar sub-expressions marked. The same pass checks
 * hand-written files and rules the search has built or mutated. */
#ifndef SYMOPT_SEMA_H
#define SYMOPT_SEMA_H

#include <stdbool.h>

#include "compiler/ast.h"
#include "compiler/diag.h"

/* Limits on a rule. The depth limit bounds the recursion of every pass
 * over an expression (sema, printer, interpreter, code generator). */
enum {
    SEMA_MAX_DEPTH = 200,  /* nesting of an expression */
    SEMA_MAX_PARAMS = 64,  /* hyperparameters */
    SEMA_MAX_STATES = 64,  /* state tensors */
    SEMA_MAX_STMTS = 1000, /* statements before the return */
};

/* Resolves names, fills var/slot/scalar on nodes, tkind/tslot on
 * statements, lr_param, nlocals, local_names on the rule; reports every
 * error through d; true when there were none. Must work again on a rule
 * the search has mutated or built (spans {0,0}, stale sema fields).
 * local_names are allocated in r->arena. */
bool sema_check(Rule *r, Diag *d);

/* Whether expression n is nested deeper than `limit` levels (a lone leaf
 * is 1). Recurses at most limit + 1 levels, whatever the tree. */
bool sema_depth_exceeds(const Node *n, int limit);

#endif
