/* Bump allocator with a linked list of blocks; large requests get a block
 * of their own so small ones keep packing. */
#include "compiler/arena.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ARENA_BLOCK = 16 * 1024 };

struct ArenaBlock {
    ArenaBlock *next;
    size_t cap, top;
    alignas(max_align_t) unsigned char data[];
};

void arena_init(Arena *a)
{
    a->head = NULL;
    a->used = 0;
}

void arena_free(Arena *a)
{
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    arena_init(a);
}

static ArenaBlock *new_block(size_t cap)
{
    ArenaBlock *b = malloc(sizeof *b + cap);
    if (!b) {
        fputs("symopt: out of memory\n", stderr);
        abort();
    }
    b->next = NULL;
    b->cap = cap;
    b->top = 0;
    return b;
}

void *arena_alloc(Arena *a, size_t size)
{
    size_t align = alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;

    ArenaBlock *b = a->head;
    if (!b || b->cap - b->top < size) {
        if (size > ARENA_BLOCK / 4 && b) {
            /* Big request: its own block, behind the current one. */
            ArenaBlock *big = new_block(size);
            big->next = b->next;
            b->next = big;
            big->top = size;
            a->used += size;
            return memset(big->data, 0, size);
        }
        b = new_block(size > ARENA_BLOCK ? size : ARENA_BLOCK);
        b->next = a->head;
        a->head = b;
    }

    void *p = b->data + b->top;
    b->top += size;
    a->used += size;
    return memset(p, 0, size);
}

char *arena_strndup(Arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(Arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}
