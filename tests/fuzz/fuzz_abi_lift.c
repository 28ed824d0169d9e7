/*
 * fuzz_abi_lift.c - libFuzzer target for the canonical ABI's lifting
 * (src/component/abi.c, abi_string.c, handles.c): random linear memory and
 * random core values are lifted as a few nested types (lists of records of
 * strings, variants that join f32/u64/string payloads, flags past 32
 * labels, results of handles, lists of empty records), in each string
 * encoding.  Lifting must either trap with a message or give a value that
 * is well formed (valid UTF-8, Unicode scalar chars, flags within their
 * labels, discriminants in range); a value that lifted is then stored
 * into a second memory through a host realloc (as a copy between two
 * components' memories goes) and loaded again, and must come back equal.
 * Nothing may crash, read out of bounds or allocate without bound.
 *
 * Input: byte 0 picks the type, byte 1 the encoding and the path (flat or
 * memory), bytes 2..5 the pointer to load from; the rest is copied into
 * memory at 0, and its first 17 x 8 bytes are also the flat core values.
 */
#include "abi.h"
#include "../component/rtype_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A broken invariant: say which, then crash so libFuzzer keeps the input. */
#define FAIL()                                                                             \
    do {                                                                                   \
        fprintf(stderr, "fuzz_abi_lift: invariant at line %d broken\n", __LINE__);         \
        __builtin_trap();                                                                  \
    } while (0)

#define PAGE 65536u
#define NTYPES 5

static wasm_store *store;
static wasm_memory *memory; /* the input, lifted from */
static wasm_memory *target; /* where lifted values are stored back */
static wasm_func *realloc_fn;
static component_rtype_pool *pool;
static const component_rtype *types[NTYPES];
static component_resource_type res_type = {.name = "fuzz-resource", .host = true};
static uint32_t bump;

/* realloc for lowering into `target`: a bump allocator above the value
 * stored back at its start, growing the memory up to 16 pages, then
 * returning an out-of-bounds pointer (which lowering must refuse). */
static int host_realloc(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    uint32_t align = (uint32_t)args[2].i32, size = (uint32_t)args[3].i32;
    uint64_t p = align ? ((uint64_t)bump + align - 1) / align * align : bump;
    while (p + size > wasm_memory_size(target) && wasm_memory_size(target) < 16 * PAGE)
        wasm_memory_grow(target, 1);
    if (p + size > wasm_memory_size(target)) {
        results[0].i32 = (int32_t)(wasm_memory_size(target) - 1);
        return 0;
    }
    bump = (uint32_t)(p + size);
    results[0].i32 = (int32_t)p;
    return 0;
}

static component_rtype *node(component_type_kind kind)
{
    return rt_node(pool, kind);
}

static component_rtype *with(component_type_kind kind, uint32_t n,
                             const component_rtype *const *children)
{
    return rt_with(pool, kind, n, children, "f");
}

static component_rtype *wrap(component_type_kind kind, const component_rtype *a,
                             const component_rtype *b)
{
    return rt_wrap(pool, kind, a, b);
}

static void build_types(void)
{
    pool = component_rtype_pool_new();
    /* list<record{string, option<u32>, list<u8>, char, flags(40)}> */
    const component_rtype *r0[] = {P(COMPONENT_PRIM_STRING),
                                   wrap(COMPONENT_TYPE_OPTION, P(COMPONENT_PRIM_U32), NULL),
                                   wrap(COMPONENT_TYPE_LIST, P(COMPONENT_PRIM_U8), NULL),
                                   P(COMPONENT_PRIM_CHAR), with(COMPONENT_TYPE_FLAGS, 40, NULL)};
    types[0] = wrap(COMPONENT_TYPE_LIST, with(COMPONENT_TYPE_RECORD, 5, r0), NULL);
    /* variant{a(f32), b(tuple<u64, string>), c, d(list<variant{x(s8), y(f64)}>)} */
    const component_rtype *tu[] = {P(COMPONENT_PRIM_U64), P(COMPONENT_PRIM_STRING)};
    const component_rtype *xy[] = {P(COMPONENT_PRIM_S8), P(COMPONENT_PRIM_F64)};
    const component_rtype *v1[] = {P(COMPONENT_PRIM_F32), with(COMPONENT_TYPE_TUPLE, 2, tu),
                                   NULL,
                                   wrap(COMPONENT_TYPE_LIST, with(COMPONENT_TYPE_VARIANT, 2, xy),
                                        NULL)};
    types[1] = with(COMPONENT_TYPE_VARIANT, 4, v1);
    /* result<list<string>, own<r>> */
    component_rtype *own = node(COMPONENT_TYPE_OWN);
    own->resource = &res_type;
    types[2] = wrap(COMPONENT_TYPE_RESULT,
                    wrap(COMPONENT_TYPE_LIST, P(COMPONENT_PRIM_STRING), NULL), own);
    /* tuple<borrow<r>, enum(300 cases), list<list<record{}>>, list<f64>> */
    component_rtype *borrow = node(COMPONENT_TYPE_BORROW);
    borrow->resource = &res_type;
    const component_rtype *t3[] = {
        borrow, with(COMPONENT_TYPE_ENUM, 300, NULL),
        wrap(COMPONENT_TYPE_LIST,
             wrap(COMPONENT_TYPE_LIST, with(COMPONENT_TYPE_RECORD, 0, NULL), NULL), NULL),
        wrap(COMPONENT_TYPE_LIST, P(COMPONENT_PRIM_F64), NULL)};
    types[3] = with(COMPONENT_TYPE_TUPLE, 4, t3);
    /* option<result<option<string>, variant{a(f32), b(u32), c(s64)}>> */
    const component_rtype *abc[] = {P(COMPONENT_PRIM_F32), P(COMPONENT_PRIM_U32),
                                    P(COMPONENT_PRIM_S64)};
    types[4] = wrap(COMPONENT_TYPE_OPTION,
                    wrap(COMPONENT_TYPE_RESULT,
                         wrap(COMPONENT_TYPE_OPTION, P(COMPONENT_PRIM_STRING), NULL),
                         with(COMPONENT_TYPE_VARIANT, 3, abc)),
                    NULL);
    for (int i = 0; i < NTYPES; i++) {
        util_error *err = NULL;
        if (component_rtype_layout((component_rtype *)types[i], &err) < 0)
            FAIL();
    }
}

static void setup(void)
{
    store = wasm_store_new(NULL);
    wasm_result res;
    wasm_result_init(&res);
    memory = wasm_memory_new(store, (wasm_limits){1, 1}, &res);
    target = wasm_memory_new(store, (wasm_limits){1, 16}, &res);
    realloc_fn = wasm_func_new_host(store, "iiii:i", host_realloc, NULL, NULL);
    if (!memory || !target || !realloc_fn)
        FAIL();
    build_types();
}

static bool valid_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t b = s[i];
        size_t len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3
                   : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
        if (!len || n - i < len)
            return false;
        uint32_t c = len == 1 ? b : b & (0x7f >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            c = c << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
            (c >= 0xd800 && c <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

static const component_rtype *case_of(const component_rtype *t, uint32_t i)
{
    switch (t->kind) {
    case COMPONENT_TYPE_OPTION: return i ? t->a : NULL;
    case COMPONENT_TYPE_RESULT: return i ? t->b : t->a;
    case COMPONENT_TYPE_ENUM: return NULL;
    default: return t->fields[i].type;
    }
}

/* Checks that a lifted value is well formed for `t`, and compares it with
 * `b` when given. */
static bool same(const component_rtype *t, const component_val *a, const component_val *b);

static uint64_t raw_elem(const component_rtype *e, const component_val *l, size_t i)
{
    const uint8_t *p = (const uint8_t *)l->of.list.raw + i * e->size;
    uint64_t v = 0;
    for (uint32_t k = 0; k < e->size; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}

static bool same(const component_rtype *t, const component_val *a, const component_val *b)
{
    if (b && a->kind != b->kind)
        return false;
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM:
        switch (t->prim) {
        case COMPONENT_PRIM_STRING:
            if (!valid_utf8((const uint8_t *)a->of.str.ptr, a->of.str.len))
                return false;
            return !b || (a->of.str.len == b->of.str.len &&
                          memcmp(a->of.str.ptr, b->of.str.ptr, a->of.str.len) == 0);
        case COMPONENT_PRIM_CHAR:
            if (a->of.ch > 0x10ffff || (a->of.ch >= 0xd800 && a->of.ch <= 0xdfff))
                return false;
            return !b || a->of.ch == b->of.ch;
        case COMPONENT_PRIM_F32: return !b || memcmp(&a->of.f32, &b->of.f32, 4) == 0;
        case COMPONENT_PRIM_F64: return !b || memcmp(&a->of.f64, &b->of.f64, 8) == 0;
        default: return !b || a->of.u == b->of.u;
        }
    case COMPONENT_TYPE_LIST:
        if (b && a->of.list.n != b->of.list.n)
            return false;
        if (a->of.list.items == NULL) {
            if (a->of.list.n && !a->of.list.raw)
                return false;
            for (size_t i = 0; b && i < a->of.list.n; i++)
                if (raw_elem(t->a, a, i) != raw_elem(t->a, b, i))
                    return false;
            return true;
        }
        for (size_t i = 0; i < a->of.list.n; i++)
            if (!same(t->a, &a->of.list.items[i], b ? &b->of.list.items[i] : NULL))
                return false;
        return true;
    case COMPONENT_TYPE_RECORD:
    case COMPONENT_TYPE_TUPLE:
        if (a->of.record.n != t->nfields)
            return false;
        for (uint32_t i = 0; i < t->nfields; i++)
            if (!same(t->fields[i].type, &a->of.record.fields[i],
                      b ? &b->of.record.fields[i] : NULL))
                return false;
        return true;
    case COMPONENT_TYPE_FLAGS:
        if (t->nfields < 64 && (a->of.flags >> t->nfields))
            return false;
        return !b || a->of.flags == b->of.flags;
    case COMPONENT_TYPE_OWN:
    case COMPONENT_TYPE_BORROW:
        return a->of.resource.type == t->resource &&
               (!b || a->of.resource.rep == b->of.resource.rep);
    default: {
        uint32_t n = t->kind == COMPONENT_TYPE_OPTION || t->kind == COMPONENT_TYPE_RESULT
                         ? 2 : t->nfields;
        if (a->of.variant.disc >= n || (b && a->of.variant.disc != b->of.variant.disc))
            return false;
        const component_rtype *c = case_of(t, a->of.variant.disc);
        if (!c)
            return a->of.variant.payload == NULL;
        return a->of.variant.payload &&
               same(c, a->of.variant.payload, b ? b->of.variant.payload : NULL);
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!store)
        setup();
    if (size < 6)
        return 0;
    const component_rtype *t = types[data[0] % NTYPES];
    component_string_encoding enc = (component_string_encoding)(data[1] % 3);
    bool flat = data[1] & 0x80;
    uint32_t ptr;
    memcpy(&ptr, data + 2, 4);
    data += 6;
    size -= 6;
    uint8_t *mem = wasm_memory_data(memory);
    memset(mem, 0, PAGE);
    memcpy(mem, data, size < PAGE ? size : PAGE);
    bump = 4096;

    component_handles *h = component_handles_new();
    for (int i = 0; i < 4; i++)
        component_handles_new_own(h, &res_type, 100 + i);
    component_arena *arena = component_arena_new(1u << 20), *again = component_arena_new(1u << 20);
    wasm_result res;
    wasm_result_init(&res);
    component_abi_cx cx = {.store = store, .memory = memory, .realloc = realloc_fn,
                           .encoding = enc, .arena = arena, .handles = h, .scope = 1,
                           .res = &res};
    component_val v;
    int rc;
    if (flat && t->nflat <= COMPONENT_MAX_FLAT_KEPT) {
        wasm_val core[COMPONENT_MAX_FLAT_KEPT];
        memset(core, 0, sizeof core);
        for (uint32_t i = 0; i < t->nflat; i++)
            memcpy(&core[i], mem + 8 * i, 8);
        size_t pos = 0;
        rc = component_abi_lift_flat(&cx, t, core, &pos, &v);
        if (rc == 0 && pos != t->nflat)
            FAIL();
    } else {
        rc = component_abi_load(&cx, t, ptr, &v);
    }
    if (rc < 0) {
        if (res.kind != WASM_TRAP || !res.message[0])
            FAIL();
    } else {
        if (!same(t, &v, NULL))
            FAIL();
        /* Store it back (own handles return to the table, borrows become
         * borrow handles) and load it again: it must be the same. */
        uint32_t at = 0;
        cx.memory = target;
        if (component_abi_store(&cx, t, &v, at) == 0) {
            component_val w;
            cx.arena = again;
            cx.scope = 2;
            if (component_abi_load(&cx, t, at, &w) < 0) {
                fprintf(stderr, "reload: %s\n", res.message);
                FAIL();
            }
            if (!same(t, &v, &w))
                FAIL();
        } else if (res.kind != WASM_TRAP || !res.message[0]) {
            fprintf(stderr, "store: %d %s\n", res.kind, res.message);
            FAIL();
        }
    }
    component_arena_free(arena);
    component_arena_free(again);
    component_handles_free(h);
    return 0;
}
