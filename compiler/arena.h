/* Bump allocator: one per compilation or per search candidate, freed as a
 * whole. Nothing allocated from an arena is freed on its own. */
#ifndef SYMOPT_ARENA_H
#define SYMOPT_ARENA_H

#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;

typedef struct Arena {
    ArenaBlock *head;
    size_t used; /* bytes handed out, for limits and tests */
} Arena;

void arena_init(Arena *a);
/* Frees every block; the arena may be used again afterwards. */
void arena_free(Arena *a);
/* Zeroed memory, aligned for any type. Aborts on out-of-memory. */
void *arena_alloc(Arena *a, size_t size);
char *arena_strndup(Arena *a, const char *s, size_t len);
char *arena_strdup(Arena *a, const char *s);

#endif
