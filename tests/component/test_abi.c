/*
 * test_abi.c - the canonical ABI (abi.c, abi_string.c) and the handle
 * tables (handles.c) against a real engine store: a core module written as
 * WAT (abi_guest.wat) gives the memory and the realloc functions, the
 * types are built and laid out as linking builds them, and every value is
 * checked byte for byte in memory, core value for core value when flat,
 * and by every trap message the spec's checks lead to.
 */
#include "abi.h"
#include "rtype_build.h"
#include "test.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static wasm_store *store;
static wasm_instance *inst;
static wasm_memory *mem;
static component_rtype_pool *pool;
static component_arena *arena;
static component_handles *handles;
static wasm_result res;

/* The manual area: tests put guest data below BUMP_BASE by hand; the
 * guest's allocator hands out memory from there on. */
#define BUMP_BASE 0x8000

/* ---- the guest ----------------------------------------------------------- */

static wasm_global *global(const char *name)
{
    wasm_extern e;
    if (!wasm_instance_export(inst, name, &e) || e.kind != WASM_EXTERN_GLOBAL)
        return NULL;
    return e.of.global;
}

static uint32_t G(const char *name)
{
    wasm_global *g = global(name);
    return g ? (uint32_t)wasm_global_get(g).i32 : 0xdeadbeef;
}

static void reset_guest(void)
{
    wasm_global_set(global("bump"), (wasm_val){.i32 = BUMP_BASE});
    wasm_global_set(global("calls"), (wasm_val){.i32 = 0});
    memset(wasm_memory_data(mem), 0, BUMP_BASE);
    wasm_result_init(&res);
    component_arena_reset(arena);
}

static uint8_t *M(void)
{
    return wasm_memory_data(mem);
}

static component_abi_cx cx_with(component_string_encoding enc, const char *realloc_name)
{
    reset_guest();
    return (component_abi_cx){
        .store = store,
        .memory = mem,
        .realloc = realloc_name ? wasm_instance_func(inst, realloc_name) : NULL,
        .encoding = enc,
        .arena = arena,
        .handles = handles,
        .scope = 1,
        .res = &res,
    };
}

static component_abi_cx cx_utf8(void)
{
    return cx_with(COMPONENT_STRING_UTF8, "realloc");
}

/* True if the last call trapped with a message containing `needle`. */
static bool trapped(const char *needle)
{
    if (res.kind == WASM_TRAP && strstr(res.message, needle))
        return true;
    fprintf(stderr, "  expected a trap with \"%s\", got kind %d: \"%s\"\n", needle, res.kind,
            res.message);
    return false;
}

static void put32(uint32_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        M()[at + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(uint32_t at)
{
    return M()[at] | (uint32_t)M()[at + 1] << 8 | (uint32_t)M()[at + 2] << 16 |
           (uint32_t)M()[at + 3] << 24;
}

/* ---- types --------------------------------------------------------------- */

static component_rtype *laid_out(component_rtype *t)
{
    util_error *err = NULL;
    if (component_rtype_layout(t, &err) < 0) {
        fprintf(stderr, "layout: %s\n", err->msg);
        util_error_free(&err);
        CHECK(0);
    }
    return t;
}

static component_rtype *fields_of(component_type_kind kind, size_t n,
                                  const component_rtype *const *types)
{
    return laid_out(rt_with(pool, kind, n, types, "x"));
}

static component_rtype *list_of(const component_rtype *e)
{
    return laid_out(rt_wrap(pool, COMPONENT_TYPE_LIST, e, NULL));
}

static component_rtype *option_of(const component_rtype *e)
{
    return laid_out(rt_wrap(pool, COMPONENT_TYPE_OPTION, e, NULL));
}

static component_rtype *result_of(const component_rtype *ok, const component_rtype *error)
{
    return laid_out(rt_wrap(pool, COMPONENT_TYPE_RESULT, ok, error));
}

static component_rtype *handle_of(component_type_kind kind, component_resource_type *r)
{
    component_rtype *t = rt_node(pool, kind);
    t->resource = r;
    return laid_out(t);
}

/* ---- values -------------------------------------------------------------- */

static component_val vu(component_val_kind k, uint64_t u)
{
    return (component_val){.kind = k, .of.u = u};
}

static component_val vs(component_val_kind k, int64_t s)
{
    return (component_val){.kind = k, .of.s = s};
}

static component_val vstr(const char *s)
{
    return (component_val){.kind = COMPONENT_VAL_STRING, .of.str = {s, strlen(s)}};
}

static component_val vrec(component_val *fields, size_t n)
{
    return (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {fields, n}};
}

static component_val vcase(uint32_t disc, component_val *payload)
{
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {disc, payload}};
}

static component_val vlist(component_val *items, size_t n)
{
    return (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {items, NULL, n}};
}

static bool veq(const component_rtype *t, const component_val *a, const component_val *b);

/* Element i of a lifted list, from `raw` or `items`. */
static component_val list_elem(const component_rtype *e, const component_val *l, size_t i)
{
    if (l->of.list.items)
        return l->of.list.items[i];
    const uint8_t *p = (const uint8_t *)l->of.list.raw + i * e->size;
    uint64_t bits = 0;
    for (uint32_t k = 0; k < e->size; k++)
        bits |= (uint64_t)p[k] << (8 * k);
    component_val v = {0};
    switch (e->prim) {
    case COMPONENT_PRIM_S8: v = vs(COMPONENT_VAL_S8, (int8_t)bits); break;
    case COMPONENT_PRIM_S16: v = vs(COMPONENT_VAL_S16, (int16_t)bits); break;
    case COMPONENT_PRIM_S32: v = vs(COMPONENT_VAL_S32, (int32_t)bits); break;
    case COMPONENT_PRIM_S64: v = vs(COMPONENT_VAL_S64, (int64_t)bits); break;
    case COMPONENT_PRIM_U8: v = vu(COMPONENT_VAL_U8, bits); break;
    case COMPONENT_PRIM_U16: v = vu(COMPONENT_VAL_U16, bits); break;
    case COMPONENT_PRIM_U32: v = vu(COMPONENT_VAL_U32, bits); break;
    case COMPONENT_PRIM_U64: v = vu(COMPONENT_VAL_U64, bits); break;
    case COMPONENT_PRIM_F32: {
        uint32_t b = (uint32_t)bits;
        v.kind = COMPONENT_VAL_F32;
        memcpy(&v.of.f32, &b, 4);
        break;
    }
    default: {
        v.kind = COMPONENT_VAL_F64;
        memcpy(&v.of.f64, &bits, 8);
        break;
    }
    }
    return v;
}

static bool veq(const component_rtype *t, const component_val *a, const component_val *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case COMPONENT_VAL_BOOL: return a->of.b == b->of.b;
    case COMPONENT_VAL_F32: return memcmp(&a->of.f32, &b->of.f32, 4) == 0;
    case COMPONENT_VAL_F64: return memcmp(&a->of.f64, &b->of.f64, 8) == 0;
    case COMPONENT_VAL_CHAR: return a->of.ch == b->of.ch;
    case COMPONENT_VAL_STRING:
        return a->of.str.len == b->of.str.len &&
               memcmp(a->of.str.ptr, b->of.str.ptr, a->of.str.len) == 0;
    case COMPONENT_VAL_LIST:
        if (a->of.list.n != b->of.list.n)
            return false;
        for (size_t i = 0; i < a->of.list.n; i++) {
            component_val x = list_elem(t->a, a, i), y = list_elem(t->a, b, i);
            if (!veq(t->a, &x, &y))
                return false;
        }
        return true;
    case COMPONENT_VAL_RECORD:
        if (a->of.record.n != b->of.record.n)
            return false;
        for (size_t i = 0; i < a->of.record.n; i++)
            if (!veq(t->fields[i].type, &a->of.record.fields[i], &b->of.record.fields[i]))
                return false;
        return true;
    case COMPONENT_VAL_VARIANT: {
        if (a->of.variant.disc != b->of.variant.disc)
            return false;
        if (!a->of.variant.payload || !b->of.variant.payload)
            return a->of.variant.payload == b->of.variant.payload;
        const component_rtype *c = t->kind == COMPONENT_TYPE_OPTION ? t->a
                                   : t->kind == COMPONENT_TYPE_RESULT
                                       ? (a->of.variant.disc ? t->b : t->a)
                                       : t->fields[a->of.variant.disc].type;
        return veq(c, a->of.variant.payload, b->of.variant.payload);
    }
    case COMPONENT_VAL_FLAGS: return a->of.flags == b->of.flags;
    case COMPONENT_VAL_OWN:
    case COMPONENT_VAL_BORROW:
        return a->of.resource.type == b->of.resource.type &&
               a->of.resource.rep == b->of.resource.rep;
    default: return a->of.u == b->of.u;
    }
}

/* Stores and loads `v` at `ptr`, then lowers and lifts it flat: both must
 * give `v` back. */
static void roundtrip(const component_rtype *t, const component_val *v, uint32_t ptr)
{
    component_abi_cx cx = cx_utf8();
    component_val out;
    CHECK_INT(component_abi_store(&cx, t, v, ptr), 0);
    CHECK_INT(component_abi_load(&cx, t, ptr, &out), 0);
    CHECK(veq(t, v, &out));
    if (t->nflat > COMPONENT_MAX_FLAT_KEPT)
        return;
    wasm_val flat[COMPONENT_MAX_FLAT_KEPT];
    size_t pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, t, v, flat, &pos), 0);
    CHECK_INT(pos, t->nflat);
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, t, flat, &pos, &out), 0);
    CHECK_INT(pos, t->nflat);
    CHECK(veq(t, v, &out));
    if (res.kind != WASM_OK)
        fprintf(stderr, "  roundtrip trapped: %s\n", res.message);
}

/* ---- resource types ------------------------------------------------------ */

static int dtor_calls;
static uintptr_t dtor_reps;

static void count_dtor(uintptr_t rep)
{
    dtor_calls++;
    dtor_reps += rep;
}

static component_resource_type rt_in = {.name = "wasi:io/streams input-stream", .host = true,
                                        .host_dtor = count_dtor};
static component_resource_type rt_out = {.name = "wasi:io/streams output-stream", .host = true,
                                         .host_dtor = count_dtor};
static component_resource_type rt_guest = {.name = "guest-counter", .host = false};

/* ---- handle tables ------------------------------------------------------- */

static void test_handles_slot0_unused_and_free_list_reuse(void)
{
    component_handles *h = component_handles_new();
    uint32_t a = component_handles_new_own(h, &rt_in, 10);
    uint32_t b = component_handles_new_own(h, &rt_in, 20);
    uint32_t c = component_handles_new_own(h, &rt_in, 30);
    CHECK_INT(a, 1);
    CHECK_INT(b, 2);
    CHECK_INT(c, 3);
    uintptr_t rep = 0;
    bool dtor = false;
    CHECK_INT(component_handles_drop(h, b, &rt_in, &rep, &dtor, &res), 0);
    CHECK_INT(rep, 20);
    CHECK(dtor);
    CHECK_INT(component_handles_take_own(h, a, &rt_in, &rep, &res), 0);
    CHECK_INT(rep, 10);
    /* Last freed, first reused (the spec's free list is a stack). */
    CHECK_INT(component_handles_new_own(h, &rt_in, 40), 1);
    CHECK_INT(component_handles_new_own(h, &rt_in, 50), 2);
    CHECK_INT(component_handles_new_own(h, &rt_in, 60), 4);
    wasm_result_init(&res);
    CHECK_INT(component_handles_rep(h, 0, &rt_in, &rep, &res), -1);
    CHECK(trapped("unknown handle 0"));
    wasm_result_init(&res);
    CHECK_INT(component_handles_rep(h, 99, &rt_in, &rep, &res), -1);
    CHECK(trapped("unknown handle 99"));
    CHECK_INT(component_handles_rep(h, 4, &rt_in, &rep, &res), 0);
    CHECK_INT(rep, 60);
    dtor_calls = 0;
    component_handles_free(h);
    CHECK_INT(dtor_calls, 4);
}

static void test_handles_wrong_type_names_both(void)
{
    component_handles *h = component_handles_new();
    component_handles_new_own(h, &rt_in, 1);
    component_handles_new_own(h, &rt_in, 2);
    uint32_t out = component_handles_new_own(h, &rt_out, 3);
    uintptr_t rep;
    wasm_result_init(&res);
    CHECK_INT(component_handles_take_own(h, out, &rt_in, &rep, &res), -1);
    CHECK(trapped("handle 3 is a wasi:io/streams output-stream, expected "
                  "wasi:io/streams input-stream"));
    /* The failed move left the handle where it was. */
    CHECK_INT(component_handles_rep(h, out, &rt_out, &rep, &res), 0);
    CHECK_INT(rep, 3);
    component_handles_free(h);
}

static void test_handles_lend_blocks_move_and_drop_until_call_ends(void)
{
    component_handles *h = component_handles_new();
    uint32_t a = component_handles_new_own(h, &rt_in, 7);
    uintptr_t rep = 0;
    bool dtor;
    CHECK_INT(component_handles_lend(h, a, &rt_in, 5, &rep, &res), 0);
    CHECK_INT(rep, 7);
    wasm_result_init(&res);
    CHECK_INT(component_handles_take_own(h, a, &rt_in, &rep, &res), -1);
    CHECK(trapped("cannot move own handle 1 (wasi:io/streams input-stream): it is lent"));
    wasm_result_init(&res);
    CHECK_INT(component_handles_drop(h, a, &rt_in, &rep, &dtor, &res), -1);
    CHECK(trapped("cannot drop handle 1"));
    /* Another call's end releases nothing. */
    CHECK_INT(component_handles_end_call(h, 4, &res), 0);
    wasm_result_init(&res);
    CHECK_INT(component_handles_drop(h, a, &rt_in, &rep, &dtor, &res), -1);
    CHECK_INT(component_handles_end_call(h, 5, &res), 0);
    wasm_result_init(&res);
    CHECK_INT(component_handles_drop(h, a, &rt_in, &rep, &dtor, &res), 0);
    CHECK(dtor);
    component_handles_free(h);
}

static void test_handles_borrow_must_die_before_its_call_ends(void)
{
    component_handles *h = component_handles_new();
    uint32_t b = component_handles_new_borrow(h, &rt_in, 9, 3);
    uintptr_t rep;
    bool dtor = true;
    wasm_result_init(&res);
    CHECK_INT(component_handles_take_own(h, b, &rt_in, &rep, &res), -1);
    CHECK(trapped("handle 1 is a borrow of wasi:io/streams input-stream, expected an own"));
    CHECK_INT(component_handles_end_call(h, 2, &res), 0); /* another call */
    wasm_result_init(&res);
    CHECK_INT(component_handles_end_call(h, 3, &res), -1);
    CHECK(trapped("borrow handle 1 (wasi:io/streams input-stream) created for this call was "
                  "not dropped"));
    wasm_result_init(&res);
    CHECK_INT(component_handles_drop(h, b, &rt_in, &rep, &dtor, &res), 0);
    CHECK(!dtor); /* a borrow's drop runs no destructor */
    CHECK_INT(rep, 9);
    CHECK_INT(component_handles_end_call(h, 3, &res), 0);
    dtor_calls = 0;
    component_handles_free(h);
    CHECK_INT(dtor_calls, 0);
}

static void test_handles_free_runs_only_host_dtors_and_iterates_owns(void)
{
    component_handles *h = component_handles_new();
    component_handles_new_own(h, &rt_in, 100);
    component_handles_new_own(h, &rt_guest, 5);
    component_handles_new_borrow(h, &rt_out, 1000, 1);
    component_handles_new_own(h, &rt_out, 200);
    uint32_t it = 0;
    component_resource_type *type;
    uintptr_t rep, sum = 0;
    int n = 0;
    while (component_handles_next_own(h, &it, &type, &rep)) {
        n++;
        sum += rep;
    }
    CHECK_INT(n, 3);
    CHECK_INT(sum, 305);
    dtor_calls = 0;
    dtor_reps = 0;
    component_handles_free(h);
    CHECK_INT(dtor_calls, 2);
    CHECK_INT(dtor_reps, 300);
}

/* ---- scalars ------------------------------------------------------------- */

static void test_ints_flat_lifting_takes_the_low_bits(void)
{
    component_abi_cx cx = cx_utf8();
    struct {
        component_prim p;
        wasm_val in;
        int64_t want;
    } cases[] = {
        {COMPONENT_PRIM_U8, {.i32 = 0x1234}, 0x34},
        {COMPONENT_PRIM_S8, {.i32 = 0xff}, -1},
        {COMPONENT_PRIM_S8, {.i32 = 0x17f}, 127},
        {COMPONENT_PRIM_U16, {.i32 = -1}, 0xffff},
        {COMPONENT_PRIM_S16, {.i32 = 0x18000}, -32768},
        {COMPONENT_PRIM_U32, {.i32 = -1}, 0xffffffff},
        {COMPONENT_PRIM_S32, {.i32 = -5}, -5},
        {COMPONENT_PRIM_BOOL, {.i32 = 2}, 1},
        {COMPONENT_PRIM_BOOL, {.i32 = 0}, 0},
        {COMPONENT_PRIM_S64, {.i64 = INT64_MIN}, INT64_MIN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        component_val out;
        size_t pos = 0;
        CHECK_INT(component_abi_lift_flat(&cx, P(cases[i].p), &cases[i].in, &pos, &out), 0);
        CHECK_INT(pos, 1);
        int64_t got = out.kind == COMPONENT_VAL_BOOL ? out.of.b : out.of.s;
        if (got != cases[i].want)
            fprintf(stderr, "  case %zu: got %lld\n", i, (long long)got);
        CHECK_INT(got, cases[i].want);
    }
    /* u64 keeps all 64 bits. */
    wasm_val big = {.i64 = -2};
    component_val out;
    size_t pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, P(COMPONENT_PRIM_U64), &big, &pos, &out), 0);
    CHECK(out.of.u == UINT64_MAX - 1);
    /* Lowering sign-extends signed values into the core value. */
    component_val s8 = vs(COMPONENT_VAL_S8, -2);
    wasm_val flat[1];
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_S8), &s8, flat, &pos), 0);
    CHECK_INT(flat[0].i32, -2);
    component_val u32 = vu(COMPONENT_VAL_U32, 0xfffffffe);
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_U32), &u32, flat, &pos), 0);
    CHECK_INT(flat[0].i32, -2);
}

static void test_loads_read_exactly_the_size(void)
{
    component_abi_cx cx = cx_utf8();
    memset(M() + 16, 0xee, 16);
    M()[20] = 0x80;
    M()[21] = 0x01;
    component_val out;
    CHECK_INT(component_abi_load(&cx, P(COMPONENT_PRIM_S8), 20, &out), 0);
    CHECK_INT(out.of.s, -128);
    CHECK_INT(component_abi_load(&cx, P(COMPONENT_PRIM_U16), 20, &out), 0);
    CHECK_INT(out.of.u, 0x0180);
    CHECK_INT(component_abi_load(&cx, P(COMPONENT_PRIM_BOOL), 21, &out), 0);
    CHECK(out.of.b);
    /* Storing writes exactly the size too. */
    component_val v = vu(COMPONENT_VAL_U16, 0x1234);
    CHECK_INT(component_abi_store(&cx, P(COMPONENT_PRIM_U16), &v, 24), 0);
    CHECK_INT(M()[23], 0xee);
    CHECK_INT(M()[24], 0x34);
    CHECK_INT(M()[25], 0x12);
    CHECK_INT(M()[26], 0xee);
    wasm_result_init(&res);
    CHECK_INT(component_abi_load(&cx, P(COMPONENT_PRIM_U32), 3, &out), -1);
    CHECK(trapped("misaligned pointer 0x3 for u32"));
    wasm_result_init(&res);
    CHECK_INT(component_abi_load(&cx, P(COMPONENT_PRIM_U64), (uint32_t)wasm_memory_size(mem),
                                 &out), -1);
    CHECK(trapped("out of bounds: u64 at 0x"));
}

static void test_every_scalar_round_trips(void)
{
    component_val vals[] = {
        {.kind = COMPONENT_VAL_BOOL, .of.b = true},
        vs(COMPONENT_VAL_S8, -128),
        vu(COMPONENT_VAL_U8, 255),
        vs(COMPONENT_VAL_S16, -300),
        vu(COMPONENT_VAL_U16, 65535),
        vs(COMPONENT_VAL_S32, INT32_MIN),
        vu(COMPONENT_VAL_U32, 0xdeadbeef),
        vs(COMPONENT_VAL_S64, INT64_MIN + 1),
        vu(COMPONENT_VAL_U64, UINT64_MAX),
        {.kind = COMPONENT_VAL_F32, .of.f32 = -1.5f},
        {.kind = COMPONENT_VAL_F64, .of.f64 = 1e300},
        {.kind = COMPONENT_VAL_CHAR, .of.ch = 0x1f600},
    };
    component_prim prims[] = {
        COMPONENT_PRIM_BOOL, COMPONENT_PRIM_S8,  COMPONENT_PRIM_U8,  COMPONENT_PRIM_S16,
        COMPONENT_PRIM_U16,  COMPONENT_PRIM_S32, COMPONENT_PRIM_U32, COMPONENT_PRIM_S64,
        COMPONENT_PRIM_U64,  COMPONENT_PRIM_F32, COMPONENT_PRIM_F64, COMPONENT_PRIM_CHAR,
    };
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        roundtrip(P(prims[i]), &vals[i], 64);
    /* The bytes of the last one stored: char U+1F600. */
    CHECK_INT(get32(64), 0x1f600);
}

static uint32_t f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static void test_floats_canonicalise_nans(void)
{
    component_abi_cx cx = cx_utf8();
    wasm_val in = {.f32_bits = 0xffc01234};
    component_val out;
    size_t pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, P(COMPONENT_PRIM_F32), &in, &pos, &out), 0);
    CHECK_INT(f32_bits(out.of.f32), 0x7fc00000);
    /* -0.0 and infinities are not NaNs and keep their bits. */
    in.f32_bits = 0x80000000;
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, P(COMPONENT_PRIM_F32), &in, &pos, &out), 0);
    CHECK_INT(f32_bits(out.of.f32), 0x80000000);
    /* From memory too, and f64. */
    put32(8, 0x00000001);
    put32(12, 0xfff80000);
    CHECK_INT(component_abi_load(&cx, P(COMPONENT_PRIM_F64), 8, &out), 0);
    uint64_t b64;
    memcpy(&b64, &out.of.f64, 8);
    CHECK(b64 == 0x7ff8000000000000ull);
    /* Lowering a NaN with a payload gives the canonical NaN (the
     * deterministic profile). */
    component_val nan = {.kind = COMPONENT_VAL_F32};
    uint32_t payload = 0x7f800001;
    memcpy(&nan.of.f32, &payload, 4);
    wasm_val flat[1];
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_F32), &nan, flat, &pos), 0);
    CHECK_INT(flat[0].f32_bits, 0x7fc00000);
    CHECK_INT(component_abi_store(&cx, P(COMPONENT_PRIM_F32), &nan, 32), 0);
    CHECK_INT(get32(32), 0x7fc00000);
}

static void test_chars_trap_on_surrogates_and_past_10ffff(void)
{
    component_abi_cx cx = cx_utf8();
    component_val out;
    wasm_val in = {.i32 = 0xd800};
    size_t pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, P(COMPONENT_PRIM_CHAR), &in, &pos, &out), -1);
    CHECK(trapped("invalid char 0xd800 (flat): a surrogate"));
    wasm_result_init(&res);
    put32(4, 0x110000);
    CHECK_INT(component_abi_load(&cx, P(COMPONENT_PRIM_CHAR), 4, &out), -1);
    CHECK(trapped("invalid char 0x110000 at 0x4: past U+10FFFF"));
    put32(4, 0x10ffff);
    wasm_result_init(&res);
    CHECK_INT(component_abi_load(&cx, P(COMPONENT_PRIM_CHAR), 4, &out), 0);
    CHECK_INT(out.of.ch, 0x10ffff);
    component_val bad = {.kind = COMPONENT_VAL_CHAR, .of.ch = 0xdfff};
    wasm_val flat[1];
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_CHAR), &bad, flat, &pos), -1);
    CHECK(trapped("invalid char 0xdfff given by the host: a surrogate"));
}

static void test_host_values_are_checked_when_lowered(void)
{
    component_abi_cx cx = cx_utf8();
    wasm_val flat[4];
    size_t pos = 0;
    component_val big = vu(COMPONENT_VAL_U8, 256);
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_U8), &big, flat, &pos), -1);
    CHECK(trapped("value 256 out of range for u8"));
    wasm_result_init(&res);
    component_val low = vs(COMPONENT_VAL_S16, -40000);
    CHECK_INT(component_abi_store(&cx, P(COMPONENT_PRIM_S16), &low, 0), -1);
    CHECK(trapped("value -40000 out of range for s16"));
    wasm_result_init(&res);
    component_val s = vstr("x");
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_U32), &s, flat, &pos), -1);
    CHECK(trapped("cannot lower a string value as u32"));
    wasm_result_init(&res);
    const component_rtype *two[] = {P(COMPONENT_PRIM_U8), P(COMPONENT_PRIM_U8)};
    component_rtype *rec = fields_of(COMPONENT_TYPE_RECORD, 2, two);
    component_val one[1] = {vu(COMPONENT_VAL_U8, 1)};
    component_val r = vrec(one, 1);
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, rec, &r, flat, &pos), -1);
    CHECK(trapped("record of 2 fields given 1 values"));
    wasm_result_init(&res);
    component_rtype *opt = option_of(P(COMPONENT_PRIM_U32));
    component_val some_without = vcase(1, NULL);
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, opt, &some_without, flat, &pos), -1);
    CHECK(trapped("case 1 of option needs a payload"));
    wasm_result_init(&res);
    component_val bad_utf8 = {.kind = COMPONENT_VAL_STRING, .of.str = {"a\xc0\x80", 3}};
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_STRING), &bad_utf8, flat, &pos),
              -1);
    CHECK(trapped("not valid UTF-8 (byte 1)"));
}

/* ---- strings ------------------------------------------------------------- */

static int lift_string_at(component_abi_cx *cx, uint32_t ptr, uint32_t len, component_val *out)
{
    wasm_val flat[2] = {{.i32 = (int32_t)ptr}, {.i32 = (int32_t)len}};
    size_t pos = 0;
    return component_abi_lift_flat(cx, P(COMPONENT_PRIM_STRING), flat, &pos, out);
}

static void test_utf8_strings_lift_in_place_and_validate(void)
{
    component_abi_cx cx = cx_utf8();
    memcpy(M() + 0x100, "h\xc3\xa9llo \xf0\x9f\x98\x80", 11);
    component_val out;
    CHECK_INT(lift_string_at(&cx, 0x100, 11, &out), 0);
    CHECK(out.of.str.ptr == (const char *)M() + 0x100);
    CHECK_INT(out.of.str.len, 11);
    struct {
        const char *bytes;
        size_t len;
        uint32_t bad_at;
    } bad[] = {
        {"abcd\xff", 5, 4},             /* never valid */
        {"ab\xc0\x80", 4, 2},           /* overlong NUL */
        {"\xed\xa0\x80", 3, 0},         /* a surrogate */
        {"abc\xf4\x90\x80\x80", 7, 3},  /* past U+10FFFF */
        {"abc\xe2\x82", 5, 3},          /* cut short */
        {"\x80", 1, 0},                 /* stray continuation */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wasm_result_init(&res);
        memcpy(M() + 0x1230, bad[i].bytes, bad[i].len);
        CHECK_INT(lift_string_at(&cx, 0x1230, (uint32_t)bad[i].len, &out), -1);
        char want[64];
        snprintf(want, sizeof want, "invalid UTF-8 in string at 0x%x", 0x1230 + bad[i].bad_at);
        CHECK(trapped(want));
    }
    wasm_result_init(&res);
    CHECK_INT(lift_string_at(&cx, 0xfff0, 0x20, &out), -1);
    CHECK(trapped("out of bounds: UTF-8 string of 32 bytes at 0xfff0"));
    /* ptr + len wraps around 32 bits: still out of bounds. */
    wasm_result_init(&res);
    CHECK_INT(lift_string_at(&cx, 0xfffffff0, 0x20, &out), -1);
    CHECK(trapped("out of bounds: UTF-8 string of 32 bytes at 0xfffffff0"));
    wasm_result_init(&res);
    CHECK_INT(lift_string_at(&cx, 0, 1u << 28, &out), -1);
    CHECK(trapped("longer than the limit"));
}

static void test_utf16_strings_transcode_both_ways(void)
{
    component_abi_cx cx = cx_with(COMPONENT_STRING_UTF16, "realloc");
    /* "aé😀" as UTF-16LE: 0061 00e9 d83d de00. */
    static const uint8_t u16[] = {0x61, 0, 0xe9, 0, 0x3d, 0xd8, 0x00, 0xde};
    memcpy(M() + 0x200, u16, sizeof u16);
    component_val out;
    CHECK_INT(lift_string_at(&cx, 0x200, 4, &out), 0);
    CHECK_INT(out.of.str.len, 7);
    CHECK(out.of.str.len == 7 && memcmp(out.of.str.ptr, "a\xc3\xa9\xf0\x9f\x98\x80", 7) == 0);
    /* An unpaired high surrogate, then a lone low one. */
    wasm_result_init(&res);
    CHECK_INT(lift_string_at(&cx, 0x200, 3, &out), -1);
    CHECK(trapped("invalid UTF-16 in string at 0x204: unpaired surrogate 0xd83d"));
    wasm_result_init(&res);
    CHECK_INT(lift_string_at(&cx, 0x206, 1, &out), -1);
    CHECK(trapped("unpaired surrogate 0xde00"));
    wasm_result_init(&res);
    CHECK_INT(lift_string_at(&cx, 0x201, 1, &out), -1);
    CHECK(trapped("misaligned pointer 0x201 for UTF-16 string"));

    /* Lowering: exact size, one realloc(0, 0, 2, 8). */
    wasm_result_init(&res);
    component_val s = vstr("a\xc3\xa9\xf0\x9f\x98\x80");
    wasm_val flat[2];
    size_t pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_STRING), &s, flat, &pos), 0);
    CHECK_INT(G("calls"), 1);
    CHECK_INT(G("last_old"), 0);
    CHECK_INT(G("last_align"), 2);
    CHECK_INT(G("last_size"), 8);
    CHECK_INT(flat[1].i32, 4);
    CHECK(memcmp(M() + flat[0].i32, u16, sizeof u16) == 0);
}

static void test_latin1_utf16_strings_transcode_both_ways(void)
{
    component_abi_cx cx = cx_with(COMPONENT_STRING_LATIN1_UTF16, "realloc");
    memcpy(M() + 0x300, "caf\xe9", 4);
    component_val out;
    CHECK_INT(lift_string_at(&cx, 0x300, 4, &out), 0);
    CHECK(out.of.str.len == 5 && memcmp(out.of.str.ptr, "caf\xc3\xa9", 5) == 0);
    /* The tag bit says UTF-16. */
    static const uint8_t u16[] = {0x3d, 0xd8, 0x00, 0xde, 0x21, 0};
    memcpy(M() + 0x310, u16, sizeof u16);
    CHECK_INT(lift_string_at(&cx, 0x310, 3u | (1u << 31), &out), 0);
    CHECK(out.of.str.len == 5 && memcmp(out.of.str.ptr, "\xf0\x9f\x98\x80!", 5) == 0);
    /* Pure ASCII latin1 needs no copy. */
    memcpy(M() + 0x320, "abc", 3);
    CHECK_INT(lift_string_at(&cx, 0x320, 3, &out), 0);
    CHECK(out.of.str.ptr == (const char *)M() + 0x320);

    /* Lowering: latin1 when it fits (alignment 2, like the spec), else
     * tagged UTF-16. */
    component_val s = vstr("caf\xc3\xa9");
    wasm_val flat[2];
    size_t pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_STRING), &s, flat, &pos), 0);
    CHECK_INT(flat[1].i32, 4);
    CHECK_INT(G("last_align"), 2);
    CHECK_INT(G("last_size"), 4);
    CHECK(memcmp(M() + flat[0].i32, "caf\xe9", 4) == 0);
    component_val wide = vstr("\xf0\x9f\x98\x80!");
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_STRING), &wide, flat, &pos), 0);
    CHECK_INT((uint32_t)flat[1].i32, 3u | (1u << 31));
    CHECK_INT(G("last_size"), 6);
    CHECK_INT(G("calls"), 2);
    CHECK(memcmp(M() + flat[0].i32, u16, sizeof u16) == 0);
}

static void test_utf8_lowering_calls_realloc_once_with_the_exact_size(void)
{
    component_abi_cx cx = cx_utf8();
    component_val s = vstr("h\xc3\xa9llo");
    wasm_val flat[2];
    size_t pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_STRING), &s, flat, &pos), 0);
    CHECK_INT(G("calls"), 1);
    CHECK_INT(G("last_align"), 1);
    CHECK_INT(G("last_size"), 6);
    CHECK_INT(flat[0].i32, BUMP_BASE);
    CHECK_INT(flat[1].i32, 6);
    CHECK(memcmp(M() + BUMP_BASE, "h\xc3\xa9llo", 6) == 0);
    roundtrip(P(COMPONENT_PRIM_STRING), &s, 40);
}

static void test_realloc_results_are_checked(void)
{
    component_val s = vstr("abcd");
    wasm_val flat[2];
    size_t pos = 0;
    component_abi_cx cx = cx_with(COMPONENT_STRING_UTF16, "realloc_misaligned");
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_STRING), &s, flat, &pos), -1);
    CHECK(trapped("realloc returned misaligned pointer 0x8001 for a string of 8 bytes"));
    cx = cx_with(COMPONENT_STRING_UTF8, "realloc_oob");
    pos = 0;
    component_val l32 = vstr("0123456789abcdefXYZ");
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_STRING), &l32, flat, &pos), -1);
    char want[96];
    snprintf(want, sizeof want, "realloc returned out-of-bounds pointer 0x%x for a string of 19 "
             "bytes", (uint32_t)wasm_memory_size(mem) - 16);
    CHECK(trapped(want));
    cx = cx_with(COMPONENT_STRING_UTF8, NULL);
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_STRING), &s, flat, &pos), -1);
    CHECK(trapped("needs realloc"));
    cx = cx_with(COMPONENT_STRING_UTF8, "realloc_trap");
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, P(COMPONENT_PRIM_STRING), &s, flat, &pos), -1);
    CHECK(trapped("realloc for a string of 4 bytes trapped: unreachable"));
    cx = cx_utf8();
    cx.memory = NULL;
    component_val out;
    CHECK_INT(component_abi_load(&cx, P(COMPONENT_PRIM_U8), 0, &out), -1);
    CHECK(trapped("no memory"));
}

static void test_lowering_rereads_memory_after_each_realloc(void)
{
    /* Every realloc grows memory by two pages, so the memory may move
     * under the lowering; a stale base would write into freed memory
     * (ASan) or lose the data. */
    component_abi_cx cx = cx_with(COMPONENT_STRING_UTF8, "realloc_grow");
    component_rtype *t = list_of(P(COMPONENT_PRIM_STRING));
    char text[20][16];
    component_val items[20];
    for (int i = 0; i < 20; i++) {
        snprintf(text[i], sizeof text[i], "string %d", i);
        items[i] = vstr(text[i]);
    }
    component_val v = vlist(items, 20);
    uint64_t before = wasm_memory_size(mem);
    CHECK_INT(component_abi_store(&cx, t, &v, 16), 0);
    CHECK_INT(G("calls"), 21);
    CHECK(wasm_memory_size(mem) >= before + 21 * 2 * 65536);
    component_val out;
    CHECK_INT(component_abi_load(&cx, t, 16, &out), 0);
    CHECK(veq(t, &v, &out));
}

/* ---- lists --------------------------------------------------------------- */

static void test_number_lists_lift_raw_into_guest_memory(void)
{
    component_abi_cx cx = cx_utf8();
    component_rtype *t = list_of(P(COMPONENT_PRIM_U32));
    for (uint32_t i = 0; i < 4; i++)
        put32(0x400 + 4 * i, 100 + i);
    wasm_val flat[2] = {{.i32 = 0x400}, {.i32 = 4}};
    size_t pos = 0;
    component_val out;
    CHECK_INT(component_abi_lift_flat(&cx, t, flat, &pos, &out), 0);
    CHECK(out.of.list.items == NULL);
    CHECK(out.of.list.raw == M() + 0x400);
    CHECK_INT(out.of.list.n, 4);
    /* A float list with a NaN payload is copied and canonicalised. */
    component_rtype *tf = list_of(P(COMPONENT_PRIM_F32));
    put32(0x410, f32_bits(1.0f));
    put32(0x414, 0x7fa00000);
    flat[0].i32 = 0x410;
    flat[1].i32 = 2;
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, tf, flat, &pos, &out), 0);
    CHECK(out.of.list.raw != M() + 0x410);
    uint32_t got[2];
    memcpy(got, out.of.list.raw, 8);
    CHECK_INT(got[0], f32_bits(1.0f));
    CHECK_INT(got[1], 0x7fc00000);
    /* bool and char are no numbers: items. */
    component_rtype *tb = list_of(P(COMPONENT_PRIM_BOOL));
    M()[0x420] = 0;
    M()[0x421] = 7;
    flat[0].i32 = 0x420;
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, tb, flat, &pos, &out), 0);
    CHECK(out.of.list.items && !out.of.list.items[0].of.b && out.of.list.items[1].of.b);
}

static void test_list_ranges_are_checked_without_overflow(void)
{
    component_abi_cx cx = cx_utf8();
    component_rtype *t = list_of(P(COMPONENT_PRIM_U64));
    component_val out;
    wasm_val flat[2] = {{.i32 = 0xfffff0}, {.i32 = 10}};
    size_t pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, t, flat, &pos, &out), -1);
    CHECK(trapped("out of bounds: list of 10 x 8 bytes at 0xfffff0"));
    wasm_result_init(&res);
    flat[0].i32 = 4;
    flat[1].i32 = 1;
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, t, flat, &pos, &out), -1);
    CHECK(trapped("misaligned pointer 0x4 for list of 1 x 8 bytes"));
    /* ptr + len * 8 would wrap in 32 bits. */
    wasm_result_init(&res);
    flat[0].i32 = 8;
    flat[1].i32 = 0x20000000;
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, t, flat, &pos, &out), -1);
    CHECK(trapped("longer than the limit"));
    wasm_result_init(&res);
    flat[1].i32 = -1;
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, t, flat, &pos, &out), -1);
    CHECK(trapped("list of 4294967295 x 8 bytes"));
    /* From memory: the (ptr, len) pair itself is checked first. */
    wasm_result_init(&res);
    CHECK_INT(component_abi_load(&cx, t, 2, &out), -1);
    CHECK(trapped("misaligned pointer 0x2 for list"));
}

static void test_lists_of_zero_sized_elements_are_still_checked(void)
{
    component_abi_cx cx = cx_utf8();
    component_rtype *empty = fields_of(COMPONENT_TYPE_RECORD, 0, NULL);
    component_rtype *t = list_of(empty);
    CHECK_INT(empty->size, 0);
    component_val out;
    wasm_val flat[2] = {{.i32 = 0x100}, {.i32 = 3}};
    size_t pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, t, flat, &pos, &out), 0);
    CHECK_INT(out.of.list.n, 3);
    CHECK(out.of.list.items && out.of.list.items[2].kind == COMPONENT_VAL_RECORD);
    /* The pointer still has to be in memory. */
    flat[0].i32 = 0x7fffffff;
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, t, flat, &pos, &out), -1);
    CHECK(trapped("out of bounds: list of 3 x 0 bytes at 0x7fffffff"));
    /* Four billion empty records do not make the host allocate without
     * bound. */
    wasm_result_init(&res);
    flat[0].i32 = 0x100;
    flat[1].i32 = -1;
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, t, flat, &pos, &out), -1);
    CHECK(trapped("too long to lift"));
    /* Lowering a list of them still calls realloc and checks it. */
    cx = cx_with(COMPONENT_STRING_UTF8, "realloc_misaligned");
    component_val none[2] = {vrec(NULL, 0), vrec(NULL, 0)};
    component_val l = vlist(none, 2);
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, t, &l, flat, &pos), 0); /* alignment 1 */
    CHECK_INT(G("calls"), 1);
    CHECK_INT(G("last_size"), 0);
    cx = cx_with(COMPONENT_STRING_UTF8, "realloc_oob");
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, t, &l, flat, &pos), 0);
    CHECK_INT(flat[1].i32, 2);
}

static void test_lists_lower_from_raw_and_items_alike(void)
{
    component_abi_cx cx = cx_utf8();
    component_rtype *t = list_of(P(COMPONENT_PRIM_S16));
    int16_t raw[3] = {-1, 2, 300};
    component_val from_raw = {.kind = COMPONENT_VAL_LIST, .of.list = {NULL, raw, 3}};
    component_val items[3] = {vs(COMPONENT_VAL_S16, -1), vs(COMPONENT_VAL_S16, 2),
                              vs(COMPONENT_VAL_S16, 300)};
    component_val from_items = vlist(items, 3);
    wasm_val a[2], b[2];
    size_t pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, t, &from_raw, a, &pos), 0);
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, t, &from_items, b, &pos), 0);
    CHECK_INT(G("last_align"), 2);
    CHECK_INT(G("last_size"), 6);
    CHECK_INT(a[1].i32, 3);
    CHECK_INT(b[1].i32, 3);
    CHECK(memcmp(M() + a[0].i32, M() + b[0].i32, 6) == 0);
    CHECK(memcmp(M() + a[0].i32, raw, 6) == 0);
    /* A list of strings given as raw bytes is refused. */
    component_rtype *ts = list_of(P(COMPONENT_PRIM_STRING));
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, ts, &from_raw, a, &pos), -1);
    CHECK(trapped("a list of string cannot be given as raw bytes"));
    /* A host list past 4 GiB is refused before a byte is read. */
    wasm_result_init(&res);
    component_val huge = {.kind = COMPONENT_VAL_LIST, .of.list = {NULL, raw, (size_t)1 << 31}};
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, t, &huge, a, &pos), -1);
    CHECK(trapped("list of 2147483648 x 2 bytes does not fit in a 32-bit memory"));
    wasm_result_init(&res);
    /* Nested lists of records round-trip. */
    const component_rtype *rf[] = {P(COMPONENT_PRIM_STRING), list_of(P(COMPONENT_PRIM_U8)),
                                   P(COMPONENT_PRIM_CHAR)};
    component_rtype *rec = fields_of(COMPONENT_TYPE_RECORD, 3, rf);
    component_rtype *lr = list_of(rec);
    uint8_t bytes[] = {1, 2, 3};
    component_val f0[3] = {vstr("one"), {.kind = COMPONENT_VAL_LIST, .of.list = {NULL, bytes, 3}},
                           {.kind = COMPONENT_VAL_CHAR, .of.ch = 'x'}};
    component_val f1[3] = {vstr(""), vlist(NULL, 0), {.kind = COMPONENT_VAL_CHAR, .of.ch = 0xe9}};
    component_val recs[2] = {vrec(f0, 3), vrec(f1, 3)};
    component_val lv = vlist(recs, 2);
    roundtrip(lr, &lv, 8);
}

/* ---- records, variants, flags ------------------------------------------- */

static void test_record_bytes_follow_the_spec_layout(void)
{
    /* record { a: u8, b: u32, c: u8, d: u16 }: a at 0, b at 4, c at 8,
     * d at 10, size 12. */
    const component_rtype *f[] = {P(COMPONENT_PRIM_U8), P(COMPONENT_PRIM_U32),
                                  P(COMPONENT_PRIM_U8), P(COMPONENT_PRIM_U16)};
    component_rtype *t = fields_of(COMPONENT_TYPE_RECORD, 4, f);
    CHECK_INT(t->size, 12);
    component_val v[4] = {vu(COMPONENT_VAL_U8, 0xa1), vu(COMPONENT_VAL_U32, 0xb2b3b4b5),
                          vu(COMPONENT_VAL_U8, 0xc6), vu(COMPONENT_VAL_U16, 0xd7d8)};
    component_val r = vrec(v, 4);
    component_abi_cx cx = cx_utf8();
    memset(M() + 0x40, 0xee, 16);
    CHECK_INT(component_abi_store(&cx, t, &r, 0x40), 0);
    static const uint8_t want[] = {0xa1, 0xee, 0xee, 0xee, 0xb5, 0xb4, 0xb3, 0xb2,
                                   0xc6, 0xee, 0xd8, 0xd7, 0xee};
    CHECK(memcmp(M() + 0x40, want, sizeof want) == 0);
    roundtrip(t, &r, 0x80);
    /* tuple<u8, f64>: f64 at 8. */
    const component_rtype *tf[] = {P(COMPONENT_PRIM_U8), P(COMPONENT_PRIM_F64)};
    component_rtype *tt = fields_of(COMPONENT_TYPE_TUPLE, 2, tf);
    component_val tv[2] = {vu(COMPONENT_VAL_U8, 1), {.kind = COMPONENT_VAL_F64, .of.f64 = 2.0}};
    component_val tup = vrec(tv, 2);
    CHECK_INT(component_abi_store(&cx, tt, &tup, 0x100), 0);
    CHECK_INT(M()[0x100], 1);
    CHECK_INT(get32(0x104), 0); /* padding is not written */
    CHECK_INT(get32(0x10c), 0x40000000);
}

static void test_variant_bytes_and_discriminant_sizes(void)
{
    component_abi_cx cx = cx_utf8();
    /* option<u32>: disc byte at 0, payload at 4, size 8. */
    component_rtype *o = option_of(P(COMPONENT_PRIM_U32));
    component_val x = vu(COMPONENT_VAL_U32, 0x01020304);
    component_val some = vcase(1, &x);
    memset(M() + 0x20, 0xee, 8);
    CHECK_INT(component_abi_store(&cx, o, &some, 0x20), 0);
    static const uint8_t want[] = {1, 0xee, 0xee, 0xee, 4, 3, 2, 1};
    CHECK(memcmp(M() + 0x20, want, 8) == 0);
    component_val none = vcase(0, NULL);
    roundtrip(o, &some, 0x40);
    roundtrip(o, &none, 0x40);
    /* result<string, u8>: both cases round-trip. */
    component_rtype *r = result_of(P(COMPONENT_PRIM_STRING), P(COMPONENT_PRIM_U8));
    component_val s = vstr("ok!"), e = vu(COMPONENT_VAL_U8, 9);
    component_val ok = vcase(0, &s), err = vcase(1, &e);
    roundtrip(r, &ok, 0x40);
    roundtrip(r, &err, 0x40);
    component_rtype *empty_result = result_of(NULL, NULL);
    component_val bare_err = vcase(1, NULL);
    roundtrip(empty_result, &bare_err, 0x40);
    /* An enum of 300 cases has a u16 discriminant. */
    component_rtype *en = fields_of(COMPONENT_TYPE_ENUM, 300, NULL);
    CHECK_INT(en->size, 2);
    component_val c299 = vcase(299, NULL);
    CHECK_INT(component_abi_store(&cx, en, &c299, 0x60), 0);
    CHECK_INT(M()[0x60], 299 & 0xff);
    CHECK_INT(M()[0x61], 1);
    roundtrip(en, &c299, 0x60);
    M()[0x61] = 2; /* 0x22b = 555 */
    component_val out;
    wasm_result_init(&res);
    CHECK_INT(component_abi_load(&cx, en, 0x60, &out), -1);
    CHECK(trapped("discriminant 555 out of range for enum with 300 cases"));
}

static void test_variant_discriminants_out_of_range_trap(void)
{
    component_abi_cx cx = cx_utf8();
    const component_rtype *c[] = {P(COMPONENT_PRIM_U8), NULL, P(COMPONENT_PRIM_U32)};
    component_rtype *v = fields_of(COMPONENT_TYPE_VARIANT, 3, c);
    wasm_val flat[2] = {{.i32 = 7}, {.i32 = 0}};
    size_t pos = 0;
    component_val out;
    CHECK_INT(component_abi_lift_flat(&cx, v, flat, &pos, &out), -1);
    CHECK(trapped("discriminant 7 out of range for variant with 3 cases"));
    wasm_result_init(&res);
    flat[0].i32 = 3; /* one past the last case */
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, v, flat, &pos, &out), -1);
    CHECK(trapped("discriminant 3 out of range for variant with 3 cases"));
    wasm_result_init(&res);
    M()[0x30] = 3;
    CHECK_INT(component_abi_load(&cx, v, 0x30, &out), -1);
    CHECK(trapped("discriminant 3 out of range for variant with 3 cases"));
    wasm_result_init(&res);
    component_rtype *o = option_of(P(COMPONENT_PRIM_U8));
    M()[0x30] = 2;
    CHECK_INT(component_abi_load(&cx, o, 0x30, &out), -1);
    CHECK(trapped("discriminant 2 out of range for option with 2 cases"));
    wasm_result_init(&res);
    component_val bad = vcase(3, NULL);
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, v, &bad, flat, &pos), -1);
    CHECK(trapped("discriminant 3 out of range for variant with 3 cases"));
}

static void test_variant_flat_values_join_as_the_spec_says(void)
{
    component_abi_cx cx = cx_utf8();
    /* variant { a(u8), b(f32), c(u64), d }: flat i32 (disc), i64. */
    const component_rtype *c[] = {P(COMPONENT_PRIM_U8), P(COMPONENT_PRIM_F32),
                                  P(COMPONENT_PRIM_U64), NULL};
    component_rtype *v = fields_of(COMPONENT_TYPE_VARIANT, 4, c);
    CHECK_INT(v->nflat, 2);
    CHECK_INT(v->flat[1], WASM_I64);
    component_val f = {.kind = COMPONENT_VAL_F32, .of.f32 = 1.5f};
    component_val bf = vcase(1, &f);
    wasm_val flat[3];
    size_t pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, v, &bf, flat, &pos), 0);
    CHECK_INT(flat[0].i32, 1);
    CHECK(flat[1].i64 == (int64_t)f32_bits(1.5f));
    roundtrip(v, &bf, 0x10);
    /* The i64 slot of a u8 case: the low bits, not sign-extended. */
    component_val u = vu(COMPONENT_VAL_U8, 200);
    component_val au = vcase(0, &u);
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, v, &au, flat, &pos), 0);
    CHECK(flat[1].i64 == 200);
    /* Lifting wraps the i64 to i32 first: high garbage is ignored. */
    flat[0].i32 = 0;
    flat[1].i64 = (int64_t)0x12345678000000c8ull;
    pos = 0;
    component_val out;
    CHECK_INT(component_abi_lift_flat(&cx, v, flat, &pos, &out), 0);
    CHECK_INT(pos, 2);
    CHECK_INT(out.of.variant.payload->of.u, 200);
    /* A NaN in the i64 slot of the f32 case is canonicalised. */
    flat[0].i32 = 1;
    flat[1].i64 = 0x7f800001;
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, v, flat, &pos, &out), 0);
    CHECK_INT(f32_bits(out.of.variant.payload->of.f32), 0x7fc00000);
    /* No payload: zeros. */
    component_val d = vcase(3, NULL);
    flat[1].i64 = 99;
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, v, &d, flat, &pos), 0);
    CHECK(flat[1].i64 == 0);

    /* variant { a(f32), b(u32) } joins to i32; f64 with u32 to i64. */
    const component_rtype *fi[] = {P(COMPONENT_PRIM_F32), P(COMPONENT_PRIM_U32)};
    component_rtype *v2 = fields_of(COMPONENT_TYPE_VARIANT, 2, fi);
    CHECK_INT(v2->flat[1], WASM_I32);
    component_val af = vcase(0, &f);
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, v2, &af, flat, &pos), 0);
    CHECK_INT((uint32_t)flat[1].i32, f32_bits(1.5f));
    roundtrip(v2, &af, 0x10);
    /* Nested: option<variant{a(f32), b(u32)}> inside result<_, u64>. */
    component_rtype *nested = result_of(option_of(v2), P(COMPONENT_PRIM_U64));
    CHECK_INT(nested->nflat, 4);
    component_val inner = vcase(0, &f), opt = vcase(1, &inner), okv = vcase(0, &opt);
    roundtrip(nested, &okv, 0x10);
    const component_rtype *dw[] = {P(COMPONENT_PRIM_F64), P(COMPONENT_PRIM_U32)};
    component_rtype *v3 = fields_of(COMPONENT_TYPE_VARIANT, 2, dw);
    CHECK_INT(v3->flat[1], WASM_I64);
    component_val big = vu(COMPONENT_VAL_U32, 0xfffffffe);
    component_val bu = vcase(1, &big);
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, v3, &bu, flat, &pos), 0);
    CHECK(flat[1].i64 == 0xfffffffe); /* zero-extended */
    roundtrip(v3, &bu, 0x10);
}

static void test_flags_ignore_bits_past_the_labels(void)
{
    component_abi_cx cx = cx_utf8();
    component_rtype *f3 = fields_of(COMPONENT_TYPE_FLAGS, 3, NULL);
    wasm_val flat[2] = {{.i32 = 0xff}};
    size_t pos = 0;
    component_val out;
    CHECK_INT(component_abi_lift_flat(&cx, f3, flat, &pos, &out), 0);
    CHECK(out.of.flags == 7);
    component_val v = {.kind = COMPONENT_VAL_FLAGS, .of.flags = 0xf5};
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, f3, &v, flat, &pos), 0);
    CHECK_INT(flat[0].i32, 5);
    /* 10 labels: two bytes, exactly. */
    component_rtype *f10 = fields_of(COMPONENT_TYPE_FLAGS, 10, NULL);
    memset(M() + 0x50, 0xff, 4);
    CHECK_INT(component_abi_load(&cx, f10, 0x50, &out), 0);
    CHECK(out.of.flags == 0x3ff);
    component_val v10 = {.kind = COMPONENT_VAL_FLAGS, .of.flags = 0x201};
    CHECK_INT(component_abi_store(&cx, f10, &v10, 0x50), 0);
    CHECK_INT(get32(0x50), 0xffff0201);
    /* 40 labels: two i32s flat, eight bytes in memory. */
    component_rtype *f40 = fields_of(COMPONENT_TYPE_FLAGS, 40, NULL);
    component_val v40 = {.kind = COMPONENT_VAL_FLAGS, .of.flags = 0x80000000ffull};
    roundtrip(f40, &v40, 0x58);
    CHECK_INT(get32(0x5c), 0x80);
}

/* ---- the reference tests' examples (run_tests.py of the spec) ------------ */

/* Lifts list<elem> from (0, n) after putting `bytes` at address 0. */
static int lift_heap(const component_rtype *elem, const uint8_t *bytes, size_t len, uint32_t n,
                     component_val *out)
{
    component_abi_cx cx = cx_utf8();
    memcpy(M(), bytes, len);
    wasm_val flat[2] = {{.i32 = 0}, {.i32 = (int32_t)n}};
    size_t pos = 0;
    return component_abi_lift_flat(&cx, list_of(elem), flat, &pos, out);
}

static void test_reference_heap_examples(void)
{
    component_val out;
    static const uint8_t bools[] = {1, 0, 2};
    CHECK_INT(lift_heap(P(COMPONENT_PRIM_BOOL), bools, 3, 3, &out), 0);
    CHECK(out.of.list.items[0].of.b && !out.of.list.items[1].of.b && out.of.list.items[2].of.b);
    static const uint8_t s16[] = {0xff, 0xff, 0xfe, 0xff, 0xfd, 0xff};
    CHECK_INT(lift_heap(P(COMPONENT_PRIM_S16), s16, 6, 3, &out), 0);
    int16_t got16[3];
    memcpy(got16, out.of.list.raw, 6);
    CHECK(got16[0] == -1 && got16[1] == -2 && got16[2] == -3);
    static const uint8_t strs[] = {16, 0, 0, 0, 2, 0, 0, 0, 21, 0, 0, 0, 3, 0, 0, 0,
                                   'h', 'i', 0xf, 0xf, 0xf, 'w', 'a', 't'};
    CHECK_INT(lift_heap(P(COMPONENT_PRIM_STRING), strs, sizeof strs, 2, &out), 0);
    CHECK(out.of.list.items[0].of.str.len == 2 &&
          memcmp(out.of.list.items[0].of.str.ptr, "hi", 2) == 0);
    CHECK(out.of.list.items[1].of.str.len == 3 &&
          memcmp(out.of.list.items[1].of.str.ptr, "wat", 3) == 0);
    static const uint8_t lists[] = {24, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                    27, 0, 0, 0, 2, 0, 0, 0, 3, 4, 5, 6, 7};
    CHECK_INT(lift_heap(list_of(P(COMPONENT_PRIM_U8)), lists, sizeof lists, 3, &out), 0);
    CHECK_INT(out.of.list.items[0].of.list.n, 3);
    CHECK_INT(out.of.list.items[1].of.list.n, 0);
    CHECK_INT(out.of.list.items[2].of.list.n, 2);
    CHECK_INT(((const uint8_t *)out.of.list.items[2].of.list.raw)[1], 7);
    /* Padding bytes are never read. */
    const component_rtype *tf[] = {P(COMPONENT_PRIM_U8), P(COMPONENT_PRIM_U16),
                                   P(COMPONENT_PRIM_U8), P(COMPONENT_PRIM_U32)};
    static const uint8_t tups[] = {6, 0xff, 7, 0, 8, 0xff, 0xff, 0xff, 9, 0, 0, 0,
                                   4, 0xff, 5, 0, 6, 0xff, 0xff, 0xff, 7, 0, 0, 0};
    CHECK_INT(lift_heap(fields_of(COMPONENT_TYPE_TUPLE, 4, tf), tups, sizeof tups, 2, &out), 0);
    const component_val *t1 = out.of.list.items[1].of.record.fields;
    CHECK(t1[0].of.u == 4 && t1[1].of.u == 5 && t1[2].of.u == 6 && t1[3].of.u == 7);
    /* flags with 9 labels: bits past the ninth are ignored. */
    static const uint8_t flags[] = {0xff, 0x3, 0, 0};
    CHECK_INT(lift_heap(fields_of(COMPONENT_TYPE_FLAGS, 9, NULL), flags, 4, 2, &out), 0);
    CHECK(out.of.list.items[0].of.flags == 0x1ff && out.of.list.items[1].of.flags == 0);
    /* list<u16> at address 1: misaligned. */
    component_abi_cx cx = cx_utf8();
    wasm_val at1[2] = {{.i32 = 1}, {.i32 = 3}};
    size_t pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, list_of(P(COMPONENT_PRIM_U16)), at1, &pos, &out), -1);
    CHECK(trapped("misaligned pointer 0x1 for list of 3 x 2 bytes"));
}

static void test_reference_flat_examples(void)
{
    component_abi_cx cx = cx_utf8();
    /* variant { x(u8), y(f32), z }: flat (i32, i32). */
    const component_rtype *c[] = {P(COMPONENT_PRIM_U8), P(COMPONENT_PRIM_F32), NULL};
    component_rtype *v = fields_of(COMPONENT_TYPE_VARIANT, 3, c);
    struct {
        int32_t disc, payload;
    } in[] = {{0, 42}, {0, 256}, {1, 0x4048f5c3}, {2, -1}};
    component_val out;
    for (size_t i = 0; i < 4; i++) {
        wasm_val flat[2] = {{.i32 = in[i].disc}, {.i32 = in[i].payload}};
        size_t pos = 0;
        CHECK_INT(component_abi_lift_flat(&cx, v, flat, &pos, &out), 0);
        CHECK_INT(out.of.variant.disc, in[i].disc);
    }
    wasm_val x256[2] = {{.i32 = 0}, {.i32 = 256}};
    size_t pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, v, x256, &pos, &out), 0);
    CHECK_INT(out.of.variant.payload->of.u, 0);
    wasm_val y[2] = {{.i32 = 1}, {.i32 = 0x4048f5c3}};
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, v, y, &pos, &out), 0);
    CHECK_INT(f32_bits(out.of.variant.payload->of.f32), 0x4048f5c3);
    wasm_val z[2] = {{.i32 = 2}, {.i32 = -1}};
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, v, z, &pos, &out), 0);
    CHECK(out.of.variant.payload == NULL);
    /* enum { a, b } from 2: out of range. */
    component_rtype *e = fields_of(COMPONENT_TYPE_ENUM, 2, NULL);
    wasm_val two = {.i32 = 2};
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, e, &two, &pos, &out), -1);
    CHECK(trapped("discriminant 2 out of range for enum with 2 cases"));
    /* The NaN table: every NaN lifts as the canonical one, flat or from
     * memory; infinities and numbers keep their bits. */
    static const uint32_t n32[][2] = {
        {0x7fc00000, 0x7fc00000}, {0x7fc00001, 0x7fc00000}, {0x7fe00000, 0x7fc00000},
        {0x7fffffff, 0x7fc00000}, {0xffffffff, 0x7fc00000}, {0x7f800000, 0x7f800000},
        {0x3fc00000, 0x3fc00000},
    };
    for (size_t i = 0; i < sizeof n32 / sizeof n32[0]; i++) {
        wasm_val f = {.f32_bits = n32[i][0]};
        pos = 0;
        CHECK_INT(component_abi_lift_flat(&cx, P(COMPONENT_PRIM_F32), &f, &pos, &out), 0);
        CHECK_INT(f32_bits(out.of.f32), n32[i][1]);
        put32(0x10, n32[i][0]);
        CHECK_INT(component_abi_load(&cx, P(COMPONENT_PRIM_F32), 0x10, &out), 0);
        CHECK_INT(f32_bits(out.of.f32), n32[i][1]);
    }
    static const uint64_t n64[][2] = {
        {0x7ff8000000000001ull, 0x7ff8000000000000ull},
        {0xffffffffffffffffull, 0x7ff8000000000000ull},
        {0x7ff0000000000000ull, 0x7ff0000000000000ull},
        {0x3ff0000000000000ull, 0x3ff0000000000000ull},
    };
    for (size_t i = 0; i < sizeof n64 / sizeof n64[0]; i++) {
        wasm_val f = {.f64_bits = n64[i][0]};
        pos = 0;
        CHECK_INT(component_abi_lift_flat(&cx, P(COMPONENT_PRIM_F64), &f, &pos, &out), 0);
        uint64_t bits;
        memcpy(&bits, &out.of.f64, 8);
        CHECK(bits == n64[i][1]);
    }
}

/* ---- resources through the table ----------------------------------------- */

static void test_own_and_borrow_go_through_the_handle_table(void)
{
    component_abi_cx cx = cx_utf8();
    component_handles *h = component_handles_new();
    cx.handles = h;
    cx.scope = 2;
    component_rtype *own_in = handle_of(COMPONENT_TYPE_OWN, &rt_in);
    component_rtype *borrow_in = handle_of(COMPONENT_TYPE_BORROW, &rt_in);
    component_rtype *own_out = handle_of(COMPONENT_TYPE_OWN, &rt_out);
    component_val v = {.kind = COMPONENT_VAL_OWN, .of.resource = {&rt_in, 0x1234}};
    wasm_val flat[1];
    size_t pos = 0;
    /* Lowering an own adds a handle... */
    CHECK_INT(component_abi_lower_flat(&cx, own_in, &v, flat, &pos), 0);
    CHECK_INT(flat[0].i32, 1);
    /* ...lifting a borrow of it lends it for the call... */
    component_val out;
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, borrow_in, flat, &pos, &out), 0);
    CHECK_INT(out.kind, COMPONENT_VAL_BORROW);
    CHECK_INT(out.of.resource.rep, 0x1234);
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, own_in, flat, &pos, &out), -1);
    CHECK(trapped("cannot move own handle 1"));
    /* ...a wrong type traps with both names... */
    wasm_result_init(&res);
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, own_out, flat, &pos, &out), -1);
    CHECK(trapped("handle 1 is a wasi:io/streams input-stream, expected "
                  "wasi:io/streams output-stream"));
    /* ...and once the call ended, lifting the own moves it out. */
    wasm_result_init(&res);
    CHECK_INT(component_handles_end_call(h, 2, &res), 0);
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, own_in, flat, &pos, &out), 0);
    CHECK_INT(out.kind, COMPONENT_VAL_OWN);
    CHECK_INT(out.of.resource.rep, 0x1234);
    pos = 0;
    CHECK_INT(component_abi_lift_flat(&cx, own_in, flat, &pos, &out), -1);
    CHECK(trapped("unknown handle 1"));
    /* A borrow lowered into an instance that does not define the type is
     * a borrow handle of the call; it must be dropped before the call
     * ends. */
    wasm_result_init(&res);
    component_val b = {.kind = COMPONENT_VAL_BORROW, .of.resource = {&rt_in, 77}};
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, borrow_in, &b, flat, &pos), 0);
    CHECK_INT(flat[0].i32, 1);
    CHECK_INT(component_handles_end_call(h, 2, &res), -1);
    CHECK(trapped("borrow handle 1"));
    uintptr_t rep;
    bool dtor;
    CHECK_INT(component_handles_drop(h, 1, &rt_in, &rep, &dtor, &res), 0);
    /* Into the defining instance it is the rep itself. */
    component_handles_define_type(h, &rt_guest);
    component_rtype *borrow_guest = handle_of(COMPONENT_TYPE_BORROW, &rt_guest);
    component_val g = {.kind = COMPONENT_VAL_BORROW, .of.resource = {&rt_guest, 4242}};
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, borrow_guest, &g, flat, &pos), 0);
    CHECK_INT(flat[0].i32, 4242);
    /* A value of another resource type is refused. */
    wasm_result_init(&res);
    pos = 0;
    CHECK_INT(component_abi_lower_flat(&cx, own_out, &v, flat, &pos), -1);
    CHECK(trapped("cannot lower a wasi:io/streams input-stream as own<"));
    /* Through memory too. */
    wasm_result_init(&res);
    CHECK_INT(component_abi_store(&cx, own_in, &v, 0x70), 0);
    CHECK_INT(component_abi_load(&cx, own_in, 0x70, &out), 0);
    CHECK(veq(own_in, &v, &out));
    dtor_calls = 0;
    component_handles_free(h);
    CHECK_INT(dtor_calls, 0);
}

/* ---- whole functions ------------------------------------------------------ */

static component_rfunc *func_of(size_t n, const component_rtype *const *params,
                                const component_rtype *result)
{
    component_rfunc *f = component_rtype_pool_alloc(pool, sizeof *f);
    f->params = component_rtype_pool_alloc(pool, (n ? n : 1) * sizeof *f->params);
    f->nparams = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        f->params[i].label = "p";
        f->params[i].type = params[i];
    }
    f->result = result;
    util_error *err = NULL;
    if (component_rfunc_layout(f, &err) < 0) {
        fprintf(stderr, "rfunc layout: %s\n", err->msg);
        util_error_free(&err);
        CHECK(0);
    }
    return f;
}

static void test_spilled_params_go_through_one_allocation(void)
{
    /* 16 u32 and a u8 (17 flat values): the params spill as the tuple
     * they form, 68 bytes aligned 4, allocated by one realloc. */
    const component_rtype *p[17];
    component_val args[17];
    for (int i = 0; i < 16; i++) {
        p[i] = P(COMPONENT_PRIM_U32);
        args[i] = vu(COMPONENT_VAL_U32, 1000 + i);
    }
    p[16] = P(COMPONENT_PRIM_U8);
    args[16] = vu(COMPONENT_VAL_U8, 7);
    component_rfunc *f = func_of(17, p, NULL);
    CHECK(f->params_in_memory);
    component_abi_cx cx = cx_utf8();
    wasm_val core[1];
    CHECK_INT(component_abi_lower_params(&cx, f, args, core), 0);
    CHECK_INT(G("calls"), 1);
    CHECK_INT(G("last_align"), 4);
    CHECK_INT(G("last_size"), 68);
    uint32_t ptr = (uint32_t)core[0].i32;
    CHECK_INT(ptr, BUMP_BASE);
    CHECK_INT(get32(ptr), 1000);
    CHECK_INT(get32(ptr + 60), 1015);
    CHECK_INT(M()[ptr + 64], 7);
    component_val out[17];
    CHECK_INT(component_abi_lift_params(&cx, f, core, out), 0);
    for (int i = 0; i < 17; i++)
        CHECK(veq(p[i], &args[i], &out[i]));
    /* The spilled pointer is checked like any other. */
    core[0].i32 = 2;
    CHECK_INT(component_abi_lift_params(&cx, f, core, out), -1);
    CHECK(trapped("misaligned pointer 0x2 for the parameters"));
    wasm_result_init(&res);
    core[0].i32 = (int32_t)(wasm_memory_size(mem) - 8);
    CHECK_INT(component_abi_lift_params(&cx, f, core, out), -1);
    CHECK(trapped("out of bounds: the parameters"));

    /* Flat params: a string and a u64 go as three core values. */
    const component_rtype *q[] = {P(COMPONENT_PRIM_STRING), P(COMPONENT_PRIM_U64)};
    component_rfunc *g = func_of(2, q, NULL);
    CHECK(!g->params_in_memory);
    component_val qa[2] = {vstr("hi"), vu(COMPONENT_VAL_U64, 1ull << 40)};
    wasm_val qc[3];
    CHECK_INT(component_abi_lower_params(&cx, g, qa, qc), 0);
    CHECK(qc[2].i64 == 1ll << 40);
    component_val qo[2];
    CHECK_INT(component_abi_lift_params(&cx, g, qc, qo), 0);
    CHECK(veq(q[0], &qa[0], &qo[0]) && veq(q[1], &qa[1], &qo[1]));
}

static void test_results_in_memory_use_the_return_pointer(void)
{
    const component_rtype *tf[] = {P(COMPONENT_PRIM_STRING), P(COMPONENT_PRIM_U32)};
    component_rtype *tup = fields_of(COMPONENT_TYPE_TUPLE, 2, tf);
    component_rfunc *f = func_of(0, NULL, tup);
    CHECK(f->result_in_memory);
    component_abi_cx cx = cx_utf8();
    component_val fields[2] = {vstr("result"), vu(COMPONENT_VAL_U32, 99)};
    component_val v = vrec(fields, 2);
    CHECK_INT(component_abi_lower_result(&cx, f, &v, NULL, 0x90), 0);
    CHECK_INT(get32(0x94), 6);
    CHECK_INT(get32(0x98), 99);
    wasm_val core[1] = {{.i32 = 0x90}};
    component_val out;
    CHECK_INT(component_abi_lift_result(&cx, f, core, &out), 0);
    CHECK(veq(tup, &v, &out));
    CHECK_INT(component_abi_lower_result(&cx, f, &v, NULL, 0x91), -1);
    CHECK(trapped("misaligned pointer 0x91 for tuple"));
    /* A single flat result comes back in core[0]. */
    wasm_result_init(&res);
    component_rfunc *g = func_of(0, NULL, P(COMPONENT_PRIM_S32));
    CHECK(!g->result_in_memory);
    component_val s = vs(COMPONENT_VAL_S32, -9);
    CHECK_INT(component_abi_lower_result(&cx, g, &s, core, 0), 0);
    CHECK_INT(core[0].i32, -9);
    CHECK_INT(component_abi_lift_result(&cx, g, core, &out), 0);
    CHECK_INT(out.of.s, -9);
    /* No result: nothing to do. */
    component_rfunc *none = func_of(0, NULL, NULL);
    CHECK_INT(component_abi_lift_result(&cx, none, core, &out), 0);
}

/* ---- main ---------------------------------------------------------------- */

static int setup(void)
{
    char *bytes = NULL;
    size_t len = 0;
    util_error *err = NULL;
    if (util_read_file(WASM_DIR "/abi_guest.wasm", &bytes, &len, &err) < 0) {
        fprintf(stderr, "abi_guest.wasm: %s\n", err->msg);
        util_error_free(&err);
        return -1;
    }
    wasm_module *m = wasm_module_new((const uint8_t *)bytes, len, NULL, &res);
    free(bytes);
    if (!m)
        return -1;
    store = wasm_store_new(NULL);
    wasm_linker *l = wasm_linker_new();
    inst = wasm_instantiate(store, m, l, &res);
    wasm_linker_free(l);
    wasm_module_free(m);
    if (!inst) {
        fprintf(stderr, "instantiate: %s\n", res.message);
        return -1;
    }
    mem = wasm_instance_memory(inst, "memory");
    pool = component_rtype_pool_new();
    arena = component_arena_new(64u << 20);
    handles = component_handles_new();
    return mem ? 0 : -1;
}

int main(void)
{
    if (setup() < 0) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    RUN(test_handles_slot0_unused_and_free_list_reuse);
    RUN(test_handles_wrong_type_names_both);
    RUN(test_handles_lend_blocks_move_and_drop_until_call_ends);
    RUN(test_handles_borrow_must_die_before_its_call_ends);
    RUN(test_handles_free_runs_only_host_dtors_and_iterates_owns);
    RUN(test_ints_flat_lifting_takes_the_low_bits);
    RUN(test_loads_read_exactly_the_size);
    RUN(test_every_scalar_round_trips);
    RUN(test_floats_canonicalise_nans);
    RUN(test_chars_trap_on_surrogates_and_past_10ffff);
    RUN(test_host_values_are_checked_when_lowered);
    RUN(test_utf8_strings_lift_in_place_and_validate);
    RUN(test_utf16_strings_transcode_both_ways);
    RUN(test_latin1_utf16_strings_transcode_both_ways);
    RUN(test_utf8_lowering_calls_realloc_once_with_the_exact_size);
    RUN(test_realloc_results_are_checked);
    RUN(test_lowering_rereads_memory_after_each_realloc);
    RUN(test_number_lists_lift_raw_into_guest_memory);
    RUN(test_list_ranges_are_checked_without_overflow);
    RUN(test_lists_of_zero_sized_elements_are_still_checked);
    RUN(test_lists_lower_from_raw_and_items_alike);
    RUN(test_record_bytes_follow_the_spec_layout);
    RUN(test_variant_bytes_and_discriminant_sizes);
    RUN(test_variant_discriminants_out_of_range_trap);
    RUN(test_variant_flat_values_join_as_the_spec_says);
    RUN(test_flags_ignore_bits_past_the_labels);
    RUN(test_reference_heap_examples);
    RUN(test_reference_flat_examples);
    RUN(test_own_and_borrow_go_through_the_handle_table);
    RUN(test_spilled_params_go_through_one_allocation);
    RUN(test_results_in_memory_use_the_return_pointer);
    component_handles_free(handles);
    component_arena_free(arena);
    component_rtype_pool_free(pool);
    wasm_store_free(store);
    return TEST_SUMMARY();
}
