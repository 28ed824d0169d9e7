/*
 * table.c - tables and globals.
 *
 * A table is a growable array of untyped references: wasm_func pointers
 * for funcref tables, host pointers for externref tables, NULL for null.
 * The element array may move on growth, so the interpreter always reaches
 * it through the wasm_table.  A large one goes back to the thread's pool
 * when its store is freed and serves the next table of the same size.  Globals are one slot each; instances refer to
 * them by pointer so imported and exported globals are shared by identity.
 */
#include <string.h>

#include "runtime.h"

wasm_table *wasm_rt_table_new(wasm_store *s, uint8_t elem_type, uint32_t min, uint32_t max,
                              bool has_max, void *init)
{
    wasm_table *t = util_xcalloc(1, sizeof *t);
    t->store = s;
    t->elem_type = elem_type;
    t->size = min;
    t->max = has_max ? max : UINT32_MAX;
    t->has_max = has_max;
    /* a big element array may be an earlier instance's (pool.c): every
     * element is written */
    t->elems = wasm_rt_block_take((min ? min : 1) * sizeof(void *));
    t->elems[0] = NULL;
    for (uint32_t i = 0; i < min; i++)
        t->elems[i] = init;
    wasm_rt_vec_push(&s->tables, t);
    return t;
}

int64_t wasm_rt_table_grow(wasm_table *t, uint32_t delta, void *init)
{
    uint32_t old = t->size;
    if (delta == 0)
        return old;
    if ((uint64_t)old + delta > t->max || (uint64_t)old + delta > 10000000u)
        return -1;
    t->elems = util_xrealloc(t->elems, ((size_t)old + delta) * sizeof(void *));
    for (uint32_t i = 0; i < delta; i++)
        t->elems[old + i] = init;
    t->size = old + delta;
    return old;
}

void wasm_rt_table_free(wasm_table *t)
{
    wasm_rt_block_give(t->elems, (t->size ? t->size : 1) * sizeof(void *));
    free(t);
}

wasm_table *wasm_table_new(wasm_store *s, wasm_valtype elem, wasm_limits limits, wasm_val init,
                           wasm_result *res)
{
    if (elem != WASM_FUNCREF && elem != WASM_EXTERNREF) {
        wasm_rt_result_set(res, WASM_INVALID, "table element type must be a reference type");
        return NULL;
    }
    bool has_max = limits.max != UINT64_MAX;
    if (limits.min > UINT32_MAX || (has_max && limits.max > UINT32_MAX)) {
        wasm_rt_result_set(res, WASM_INVALID, "table size must be at most 2^32-1");
        return NULL;
    }
    if (has_max && limits.max < limits.min) {
        wasm_rt_result_set(res, WASM_INVALID, "size minimum must not be greater than maximum");
        return NULL;
    }
    if (limits.min > 10000000u) {
        wasm_rt_result_set(res, WASM_RESOURCE, "table of %llu elements is too large",
                           (unsigned long long)limits.min);
        return NULL;
    }
    void *v = elem == WASM_FUNCREF ? (void *)init.funcref : init.externref;
    return wasm_rt_table_new(s, (uint8_t)elem, (uint32_t)limits.min, (uint32_t)limits.max, has_max,
                             v);
}

uint32_t wasm_table_size(const wasm_table *t)
{
    return t->size;
}

bool wasm_table_get(const wasm_table *t, uint32_t i, wasm_val *out)
{
    if (i >= t->size)
        return false;
    memset(out, 0, sizeof *out);
    if (t->elem_type == WASM_FUNCREF)
        out->funcref = t->elems[i];
    else
        out->externref = t->elems[i];
    return true;
}

bool wasm_table_set(wasm_table *t, uint32_t i, wasm_val v)
{
    if (i >= t->size)
        return false;
    t->elems[i] = t->elem_type == WASM_FUNCREF ? (void *)v.funcref : v.externref;
    return true;
}

wasm_global *wasm_global_new(wasm_store *s, wasm_valtype type, bool mutable_, wasm_val v)
{
    wasm_global *g = util_xcalloc(1, sizeof *g);
    g->store = s;
    g->type = (uint8_t)type;
    g->mutable_ = mutable_;
    switch (type) {
    case WASM_I32: g->val.u64 = (uint32_t)v.i32; break;
    case WASM_F32: g->val.u64 = v.f32_bits; break;
    case WASM_I64: g->val.i64 = v.i64; break;
    case WASM_F64: g->val.u64 = v.f64_bits; break;
    case WASM_FUNCREF: g->val.ref = v.funcref; break;
    case WASM_EXTERNREF: g->val.ref = v.externref; break;
    default: g->val.u64 = 0; break;
    }
    wasm_rt_vec_push(&s->globals, g);
    return g;
}

wasm_val wasm_global_get(const wasm_global *g)
{
    wasm_val v;
    memset(&v, 0, sizeof v);
    switch (g->type) {
    case WASM_I32: v.i32 = g->val.i32; break;
    case WASM_F32: v.f32_bits = g->val.u32; break;
    case WASM_FUNCREF: v.funcref = g->val.ref; break;
    case WASM_EXTERNREF: v.externref = g->val.ref; break;
    default: v.i64 = g->val.i64; break;
    }
    return v;
}

wasm_valtype wasm_global_type(const wasm_global *g)
{
    return (wasm_valtype)g->type;
}

bool wasm_global_set(wasm_global *g, wasm_val v)
{
    if (!g->mutable_)
        return false;
    switch (g->type) {
    case WASM_I32: g->val.u64 = (uint32_t)v.i32; break;
    case WASM_F32: g->val.u64 = v.f32_bits; break;
    case WASM_FUNCREF: g->val.ref = v.funcref; break;
    case WASM_EXTERNREF: g->val.ref = v.externref; break;
    default: g->val.i64 = v.i64; break;
    }
    return true;
}
