/* Mutations of a rule's syntax tree for the search (Chen et al., 2023):
 * insert a statement, delete one, or modify one node (a function, an
 * argument, a constant or a hyperparameter's default). */
#ifndef SYMOPT_MUTATE_H
#define SYMOPT_MUTATE_H

#include <stdbool.h>

#include "compiler/ast.h"
#include "runtime/rng.h"

typedef enum MutKind {
    MUT_NONE = -1, /* an unmutated copy (warm start) */
    MUT_INSERT,
    MUT_DELETE,
    MUT_MODIFY,
    MUT__COUNT
} MutKind;

/* Limits every mutated rule stays within. */
enum {
    EVO_MAX_STMTS = 16, /* statements before the return */
    EVO_MAX_EXPR = 64,  /* nodes in one expression */
};

/* Constants stay within +-EVO_MAX_CONST (and finite). */
#define EVO_MAX_CONST 1e10

/* "insert", "delete", "modify"; "copy" for MUT_NONE. */
const char *evo_mut_name(MutKind k);

/* Applies one mutation of kind `k` to `r` in place; new nodes and arrays
 * come from `a`, which must outlive r. Returns false when the kind cannot
 * apply (delete without statements, insert at the statement limit). The
 * result still has to pass sema_check: a deletion may leave a local read
 * before it is assigned. */
bool evo_mutate(Arena *a, Rule *r, Rng *rng, MutKind k);

/* A checked mutant of `parent` (which need not be checked), cloned into
 * `a`: picks a kind uniformly, mutates, runs sema_check silently and the
 * limits, and retries on failure. Returns NULL only when every try
 * failed; *kind receives the kind applied and *rejected (may be NULL) the
 * number of mutants that failed the checks. */
Rule *evo_mutant(Arena *a, const Rule *parent, Rng *rng, MutKind *kind,
                 int *rejected);

/* True when r is within the limits and every constant (header defaults
 * included) is finite and within +-EVO_MAX_CONST. */
bool evo_within_limits(const Rule *r);

#endif
