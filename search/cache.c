/* Open addressing with linear probing, grown at half full. */
#include "search/cache.h"

#include <stdlib.h>

void evo_cache_init(EvoCache *c)
{
    *c = (EvoCache){0};
}

void evo_cache_free(EvoCache *c)
{
    free(c->keys);
    free(c->vals);
    evo_cache_init(c);
}

static uint64_t norm_key(uint64_t k)
{
    return k ? k : 1;
}

static long find(const EvoCache *c, uint64_t key)
{
    long i = (long)((key * 0x9E3779B97F4A7C15ull) >> 16) & (c->cap - 1);
    while (c->keys[i] && c->keys[i] != key)
        i = (i + 1) & (c->cap - 1);
    return i;
}

static void grow(EvoCache *c)
{
    EvoCache old = *c;
    c->cap = old.cap ? 2 * old.cap : 1024;
    c->keys = calloc((size_t)c->cap, sizeof *c->keys);
    c->vals = calloc((size_t)c->cap, sizeof *c->vals);
    if (!c->keys || !c->vals)
        abort();
    for (long i = 0; i < old.cap; i++)
        if (old.keys[i]) {
            long j = find(c, old.keys[i]);
            c->keys[j] = old.keys[i];
            c->vals[j] = old.vals[i];
        }
    free(old.keys);
    free(old.vals);
}

bool evo_cache_get(EvoCache *c, uint64_t key, double *fitness)
{
    c->lookups++;
    if (!c->cap)
        return false;
    long i = find(c, norm_key(key));
    if (!c->keys[i])
        return false;
    c->hits++;
    *fitness = c->vals[i];
    return true;
}

void evo_cache_put(EvoCache *c, uint64_t key, double fitness)
{
    if (2 * (c->n + 1) > c->cap)
        grow(c);
    key = norm_key(key);
    long i = find(c, key);
    if (!c->keys[i]) {
        c->keys[i] = key;
        c->n++;
    }
    c->vals[i] = fitness;
}
