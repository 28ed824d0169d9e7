/*
 * arena.c - the bump allocator lifted values live in.
 *
 * A call from a component into the host lifts its arguments into an arena
 * and the host builds its result there; both die together when the call
 * returns, so no value tree is ever freed piece by piece.  Chunks grow
 * geometrically and are kept across resets: a steady stream of calls
 * allocates nothing after the first few.  A cap bounds what one call may
 * take (a guest cannot make the host allocate without limit: a list of a
 * billion empty records is refused when it would pass the cap).
 */
#include "abi.h"

#include <stdlib.h>
#include <string.h>

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t size, used;
    max_align_t data[];
} arena_chunk;

struct component_arena {
    arena_chunk *chunks;  /* the chunk in use first */
    arena_chunk *spare;   /* chunks kept by reset */
    size_t total, cap;
};

component_arena *component_arena_new(size_t cap_bytes)
{
    component_arena *a = util_xcalloc(1, sizeof *a);
    a->cap = cap_bytes;
    return a;
}

static void free_chunks(arena_chunk *c)
{
    while (c) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
}

void component_arena_free(component_arena *a)
{
    if (!a)
        return;
    free_chunks(a->chunks);
    free_chunks(a->spare);
    free(a);
}

static void drop_spare(component_arena *a)
{
    for (arena_chunk *c = a->spare; c; c = c->next)
        a->total -= c->size;
    free_chunks(a->spare);
    a->spare = NULL;
}

static arena_chunk *take_chunk(component_arena *a, size_t need)
{
    for (arena_chunk **p = &a->spare; *p; p = &(*p)->next) {
        if ((*p)->size >= need) {
            arena_chunk *c = *p;
            *p = c->next;
            return c;
        }
    }
    size_t size = 4096;
    if (a->chunks && a->chunks->size * 2 > size)
        size = a->chunks->size * 2;
    while (size < need)
        size *= 2;
    /* The cap bounds one call: chunks kept by earlier calls but too small
     * for this one give their share back rather than block it. */
    if (a->cap && a->total + size > a->cap)
        drop_spare(a);
    if (a->cap && a->total + size > a->cap) {
        if (a->total + need > a->cap)
            return NULL;
        size = a->cap - a->total;
    }
    arena_chunk *c = malloc(sizeof *c + size);
    if (!c)
        return NULL;
    c->size = size;
    a->total += size;
    return c;
}

void *component_arena_alloc(component_arena *a, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    if (size == 0)
        size = 8;
    arena_chunk *c = a->chunks;
    if (!c || c->size - c->used < size) {
        c = take_chunk(a, size);
        if (!c)
            return NULL;
        c->used = 0;
        c->next = a->chunks;
        a->chunks = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

void component_arena_reset(component_arena *a)
{
    while (a->chunks) {
        arena_chunk *c = a->chunks;
        a->chunks = c->next;
        c->used = 0;
        c->next = a->spare;
        a->spare = c;
    }
}
