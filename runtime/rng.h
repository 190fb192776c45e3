/* Seeded pseudo-random numbers (xoshiro256**, seeded by splitmix64): the
 * one source of randomness in training and search, so that a seed fixes a
 * run bit for bit on every machine. */
#ifndef SYMOPT_RNG_H
#define SYMOPT_RNG_H

#include <stdint.h>

typedef struct Rng {
    uint64_t s[4];
} Rng;

void rng_seed(Rng *r, uint64_t seed);
uint64_t rng_next(Rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t rng_below(Rng *r, uint64_t n);
/* Uniform in [0, 1). */
double rng_uniform(Rng *r);
/* Standard normal (Box-Muller; no cached second value, so the stream
 * depends only on how many draws were made). */
double rng_normal(Rng *r);

#endif
