/* The fitness cache: 64-bit keys (canonical text or functional hash) to
 * the fitness measured for them, so equivalent rules are trained once. */
#ifndef SYMOPT_CACHE_H
#define SYMOPT_CACHE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct EvoCache {
    uint64_t *keys; /* 0 marks an empty slot (key 0 is stored as 1) */
    double *vals;
    long cap, n;
    long lookups, hits;
} EvoCache;

void evo_cache_init(EvoCache *c);
void evo_cache_free(EvoCache *c);
/* Counts a lookup (and a hit); *fitness is set on a hit. */
bool evo_cache_get(EvoCache *c, uint64_t key, double *fitness);
/* Inserts or overwrites. */
void evo_cache_put(EvoCache *c, uint64_t key, double fitness);

#endif
