/*
 * rtype_pool.c - where resolved types live, and the shared primitive nodes.
 *
 * A pool is a list of blocks freed all at once with its owner (a linker or
 * a component_pre): resolved types are built once and read on every call,
 * never freed one by one.  Primitive types need no pool: there is one
 * static node per primitive, laid out here.
 */
#include "rtype.h"

#include <stdlib.h>
#include <string.h>

typedef struct pool_block {
    struct pool_block *next;
    size_t size, used;
    max_align_t data[];
} pool_block;

struct component_rtype_pool {
    pool_block *blocks;
};

component_rtype_pool *component_rtype_pool_new(void)
{
    return util_xcalloc(1, sizeof(component_rtype_pool));
}

void component_rtype_pool_free(component_rtype_pool *p)
{
    if (!p)
        return;
    for (pool_block *b = p->blocks; b;) {
        pool_block *next = b->next;
        free(b);
        b = next;
    }
    free(p);
}

void *component_rtype_pool_alloc(component_rtype_pool *p, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    pool_block *b = p->blocks;
    if (!b || b->size - b->used < size) {
        size_t bsize = size > 8192 ? size : 8192;
        b = malloc(sizeof *b + bsize);
        if (!b)
            return NULL;
        b->size = bsize;
        b->used = 0;
        b->next = p->blocks;
        p->blocks = b;
    }
    void *out = (char *)b->data + b->used;
    b->used += size;
    memset(out, 0, size);
    return out;
}

char *component_rtype_pool_strdup(component_rtype_pool *p, const char *s, size_t len)
{
    char *out = component_rtype_pool_alloc(p, len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

#define PRIM(code, sz, core) \
    {.kind = COMPONENT_TYPE_PRIM, .prim = code, .size = sz, .align = sz, .depth = 1, .nflat = 1, \
     .flat = {core}}

/* Layout of the primitives (CanonicalABI.md: alignment = size for
 * numbers; string is a (ptr, len) pair of i32). */
static const component_rtype PRIMS[] = {
    PRIM(COMPONENT_PRIM_BOOL, 1, WASM_I32), PRIM(COMPONENT_PRIM_S8, 1, WASM_I32),
    PRIM(COMPONENT_PRIM_U8, 1, WASM_I32),   PRIM(COMPONENT_PRIM_S16, 2, WASM_I32),
    PRIM(COMPONENT_PRIM_U16, 2, WASM_I32),  PRIM(COMPONENT_PRIM_S32, 4, WASM_I32),
    PRIM(COMPONENT_PRIM_U32, 4, WASM_I32),  PRIM(COMPONENT_PRIM_S64, 8, WASM_I64),
    PRIM(COMPONENT_PRIM_U64, 8, WASM_I64),  PRIM(COMPONENT_PRIM_F32, 4, WASM_F32),
    PRIM(COMPONENT_PRIM_F64, 8, WASM_F64),  PRIM(COMPONENT_PRIM_CHAR, 4, WASM_I32),
    {.kind = COMPONENT_TYPE_PRIM, .prim = COMPONENT_PRIM_STRING, .size = 8, .align = 4,
     .depth = 1, .nflat = 2, .flat = {WASM_I32, WASM_I32}},
};

const component_rtype *component_rtype_prim(component_prim prim)
{
    for (size_t i = 0; i < sizeof PRIMS / sizeof PRIMS[0]; i++)
        if (PRIMS[i].prim == prim)
            return &PRIMS[i];
    return NULL; /* error-context and unknown codes: not a type the runtime lifts */
}
