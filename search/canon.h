/* Pruning and canonical forms for the fitness cache: dead-statement
 * removal, a canonical text key, and a functional hash of what a rule does
 * on fixed inputs (rules with equal hashes get the same fitness). */
#ifndef SYMOPT_CANON_H
#define SYMOPT_CANON_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/ast.h"

/* Marks in live[0..nstmts-1] the statements whose value reaches the return
 * or a state read in a later step (reads of states before they are
 * assigned, by live statements, carry values across steps). Works on
 * names, so r need not be checked. Returns the number of live ones. */
int evo_live(const Rule *r, bool *live);

/* A copy of `r` in `a` without dead statements and without states that no
 * live statement reads or writes, checked by sema. The name and doc are
 * kept. NULL if the copy fails sema (it cannot when r passed it). */
Rule *evo_prune(Arena *a, const Rule *r);

/* The cache key of a pruned rule: its canonical text with name, doc and
 * local names made canonical, hashed to 64 bits. */
uint64_t evo_text_key(const Rule *pruned);

/* Runs the checked rule `r` with the interpreter on 64 fixed elements (0,
 * both signs, magnitudes from 1e-6 to 1e2) for 5 steps with fresh
 * gradients each step, and hashes the weights and the states (in
 * declaration order) after every step (all NaNs count as one value). Use
 * it on pruned rules, so that dead states do not count. Hyperparameters
 * are r's defaults; the learning rate is its `lr` default (1 without). */
uint64_t evo_func_hash(const Rule *r);

/* 64-bit FNV-1a of a string, for keys. */
uint64_t evo_hash_str(const char *s);

#endif
