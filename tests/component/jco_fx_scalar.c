/*
 * jco_fx_scalar.c - jco fixtures on scalars and strings: numbers, strings,
 * smoke, many-arguments (both builds), asmjs_bigint.  Each host does what
 * jco's TypeScript host of the same name does (identity functions, a
 * scalar cell, assertions on the arguments), and records which edge values
 * it saw, so a run also proves the guest's own test-imports reached the
 * host with them.
 */
#include "jco_fixtures.h"

#include <math.h>
#include <string.h>

#define NUMBERS "test:numbers/test"

/* ---- numbers -------------------------------------------------------------- */

/* Slots of cx->n: which edge values each roundtrip import saw. */
enum { SEEN_MIN = 1, SEEN_MAX = 2, SEEN_ONE = 4, SEEN_NAN = 8, SEEN_INF = 16, SEEN_NEG_INF = 32 };
enum { SLOT_SCALAR = 11 };

static const struct {
    const char *name;
    component_val_kind kind;
    const char *type;
} number_kinds[] = {
    {"u8", COMPONENT_VAL_U8, "u8"},     {"s8", COMPONENT_VAL_S8, "s8"},
    {"u16", COMPONENT_VAL_U16, "u16"},  {"s16", COMPONENT_VAL_S16, "s16"},
    {"u32", COMPONENT_VAL_U32, "u32"},  {"s32", COMPONENT_VAL_S32, "s32"},
    {"u64", COMPONENT_VAL_U64, "u64"},  {"s64", COMPONENT_VAL_S64, "s64"},
    {"f32", COMPONENT_VAL_F32, "f32"},  {"f64", COMPONENT_VAL_F64, "f64"},
    {"char", COMPONENT_VAL_CHAR, "char"},
};

/* The extremes the guest's test-imports sends (wit-bindgen's
 * tests/runtime/numbers/wasm.c): for 64-bit types it uses ULONG_MAX,
 * LONG_MIN and LONG_MAX, which on wasm32 are the 32-bit values. */
static void int_bounds(component_val_kind k, int64_t *smin, int64_t *smax, uint64_t *umax)
{
    int bits = k == COMPONENT_VAL_U8 || k == COMPONENT_VAL_S8     ? 8
               : k == COMPONENT_VAL_U16 || k == COMPONENT_VAL_S16 ? 16
                                                                  : 32;
    *umax = ((uint64_t)1 << bits) - 1;
    *smax = (int64_t)(*umax >> 1);
    *smin = -*smax - 1;
}

static bool kind_signed(component_val_kind k)
{
    return k == COMPONENT_VAL_S8 || k == COMPONENT_VAL_S16 || k == COMPONENT_VAL_S32 ||
           k == COMPONENT_VAL_S64;
}

/* What an argument of roundtrip-<kind> tells about the edge values seen. */
static int64_t seen_bits(const component_val *v)
{
    switch (v->kind) {
    case COMPONENT_VAL_F32:
    case COMPONENT_VAL_F64: {
        double d = v->kind == COMPONENT_VAL_F32 ? (double)v->of.f32 : v->of.f64;
        return isnan(d) ? SEEN_NAN : d == INFINITY ? SEEN_INF : d == -INFINITY ? SEEN_NEG_INF
               : d == 1.0 ? SEEN_ONE : 0;
    }
    case COMPONENT_VAL_CHAR:
        return v->of.ch == 'a' ? SEEN_MIN : v->of.ch == ' ' ? SEEN_ONE
               : v->of.ch == 0x1F6A9 ? SEEN_MAX : 0;
    default: {
        int64_t smin, smax;
        uint64_t umax;
        int_bounds(v->kind, &smin, &smax, &umax);
        if (kind_signed(v->kind))
            return v->of.s == smin ? SEEN_MIN : v->of.s == smax ? SEEN_MAX
                   : v->of.s == 1 ? SEEN_ONE : 0;
        return v->of.u == 0 ? SEEN_MIN : v->of.u == umax ? SEEN_MAX : v->of.u == 1 ? SEEN_ONE : 0;
    }
    }
}

/* roundtrip-<kind>: identity; env = the slot (index into number_kinds). */
static int numbers_roundtrip(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    size_t slot = (size_t)(uintptr_t)env;
    JCO_HOST_CHECK(call, nargs == 1 && args[0].kind == number_kinds[slot].kind,
                   "roundtrip-%s got %zu args of another kind", number_kinds[slot].name, nargs);
    cx->n[slot] |= seen_bits(&args[0]);
    *result = args[0];
    return 0;
}

static int numbers_set_scalar(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    (void)env, (void)nargs, (void)result;
    jco_ctx *cx = component_call_data(call);
    cx->n[SLOT_SCALAR] = (int64_t)args[0].of.u;
    return 0;
}

static int numbers_get_scalar(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    (void)env, (void)args, (void)nargs;
    jco_ctx *cx = component_call_data(call);
    *result = jv_u(COMPONENT_VAL_U32, (uint64_t)cx->n[SLOT_SCALAR]);
    return 0;
}

static int numbers_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    (void)cx;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(number_kinds); i++) {
        char name[32], sig[64];
        snprintf(name, sizeof name, "roundtrip-%s", number_kinds[i].name);
        snprintf(sig, sizeof sig, "func(a: %s) -> %s", number_kinds[i].type,
                 number_kinds[i].type);
        if (component_linker_define_func(l, NUMBERS, name, sig, numbers_roundtrip,
                                         (void *)(uintptr_t)i, err) != 0)
            return -1;
    }
    if (component_linker_define_func(l, NUMBERS, "set-scalar", "func(a: u32)",
                                     numbers_set_scalar, NULL, err) != 0)
        return -1;
    return component_linker_define_func(l, NUMBERS, "get-scalar", "func() -> u32",
                                        numbers_get_scalar, NULL, err);
}

/* Calls the export roundtrip-<name> with `v` and checks it comes back
 * bit for bit (any NaN for a NaN). */
static int roundtrip_export(jco_ctx *cx, const char *kind, component_val v)
{
    char name[32], a[64], b[64];
    snprintf(name, sizeof name, "roundtrip-%s", kind);
    component_val r;
    if (jco_call(cx, NUMBERS, name, &v, 1, &r) != 0)
        return -1;
    bool same = r.kind == v.kind;
    if (same && v.kind == COMPONENT_VAL_F32)
        same = isnan(v.of.f32) ? isnan(r.of.f32) : r.of.f32 == v.of.f32;
    else if (same && v.kind == COMPONENT_VAL_F64)
        same = isnan(v.of.f64) ? isnan(r.of.f64) : r.of.f64 == v.of.f64;
    else if (same && v.kind == COMPONENT_VAL_CHAR)
        same = r.of.ch == v.of.ch;
    else if (same)
        same = r.of.u == v.of.u;
    JCO_CHECK(cx, same, "%s(%s) returned %s", name, jv_describe(&v, a, sizeof a),
              jv_describe(&r, b, sizeof b));
    return 0;
}

static int numbers_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "test-imports", NULL, 0, NULL) != 0)
        return -1;
    /* the guest's test-imports sent every edge value through the host */
    for (size_t i = 0; i < UTIL_ARRAY_LEN(number_kinds); i++) {
        component_val_kind k = number_kinds[i].kind;
        int64_t want = k == COMPONENT_VAL_F32 || k == COMPONENT_VAL_F64
                           ? SEEN_NAN | SEEN_INF | SEEN_NEG_INF | SEEN_ONE
                           : SEEN_MIN | SEEN_MAX | SEEN_ONE;
        JCO_CHECK(cx, cx->n[i] == want, "host roundtrip-%s saw edge values 0x%llx, not 0x%llx",
                  number_kinds[i].name, (unsigned long long)cx->n[i],
                  (unsigned long long)want);
    }
    JCO_CHECK(cx, cx->n[SLOT_SCALAR] == 4, "host scalar is %lld after test-imports, not 4",
              (long long)cx->n[SLOT_SCALAR]);

    const struct {
        const char *kind;
        component_val v;
    } cases[] = {
        {"u8", jv_u(COMPONENT_VAL_U8, 1)},
        {"u8", jv_u(COMPONENT_VAL_U8, 255)},
        {"s8", jv_s(COMPONENT_VAL_S8, 1)},
        {"s8", jv_s(COMPONENT_VAL_S8, 127)},
        {"s8", jv_s(COMPONENT_VAL_S8, -128)},
        {"u16", jv_u(COMPONENT_VAL_U16, 1)},
        {"u16", jv_u(COMPONENT_VAL_U16, 65535)},
        {"s16", jv_s(COMPONENT_VAL_S16, 1)},
        {"s16", jv_s(COMPONENT_VAL_S16, 32767)},
        {"s16", jv_s(COMPONENT_VAL_S16, -32768)},
        {"u32", jv_u(COMPONENT_VAL_U32, 1)},
        {"u32", jv_u(COMPONENT_VAL_U32, UINT32_MAX)},
        {"s32", jv_s(COMPONENT_VAL_S32, 1)},
        {"s32", jv_s(COMPONENT_VAL_S32, INT32_MAX)},
        {"s32", jv_s(COMPONENT_VAL_S32, INT32_MIN)},
        {"u64", jv_u(COMPONENT_VAL_U64, 1)},
        {"u64", jv_u(COMPONENT_VAL_U64, UINT64_MAX)},
        {"s64", jv_s(COMPONENT_VAL_S64, 1)},
        {"s64", jv_s(COMPONENT_VAL_S64, INT64_MAX)},
        {"s64", jv_s(COMPONENT_VAL_S64, INT64_MIN)},
        {"f32", jv_f32(1.0f)},
        {"f32", jv_f32(INFINITY)},
        {"f32", jv_f32(-INFINITY)},
        {"f32", jv_f32(NAN)},
        {"f64", jv_f64(1.0)},
        {"f64", jv_f64(INFINITY)},
        {"f64", jv_f64(-INFINITY)},
        {"f64", jv_f64(NAN)},
        {"char", jv_char('a')},
        {"char", jv_char(' ')},
        {"char", jv_char(0x1F6A9)},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++)
        if (roundtrip_export(cx, cases[i].kind, cases[i].v) != 0)
            return -1;

    for (uint64_t x = 2; x <= 4; x += 2) {
        component_val arg = jv_u(COMPONENT_VAL_U32, x), r;
        if (jco_call(cx, NUMBERS, "set-scalar", &arg, 1, NULL) != 0 ||
            jco_call(cx, NUMBERS, "get-scalar", NULL, 0, &r) != 0)
            return -1;
        JCO_CHECK(cx, jv_is_u(&r, COMPONENT_VAL_U32, x), "get-scalar after set-scalar(%llu)",
                  (unsigned long long)x);
    }
    return 0;
}

/* ---- strings -------------------------------------------------------------- */

#define STRINGS "test:strings/imports"
static const char unicode_text[] = "\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80 "
                                   "\xF0\xA0\x88\x84\xF0\x93\x80\x80"; /* 🚀🚀🚀 𠈄𓀀 */

static int strings_take_basic(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    (void)env, (void)nargs, (void)result;
    jco_ctx *cx = component_call_data(call);
    char d[128];
    JCO_HOST_CHECK(call, jv_is_str(&args[0], "latin utf16"), "take-basic got %s",
                   jv_describe(&args[0], d, sizeof d));
    cx->n[0]++;
    return 0;
}

static int strings_return_unicode(component_call *call, void *env, const component_val *args,
                                  size_t nargs, component_val *result)
{
    (void)env, (void)args, (void)nargs;
    jco_ctx *cx = component_call_data(call);
    cx->n[1]++;
    *result = jv_str(unicode_text);
    return 0;
}

static int strings_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    (void)cx;
    if (component_linker_define_func(l, STRINGS, "take-basic", "func(s: string)",
                                     strings_take_basic, NULL, err) != 0)
        return -1;
    return component_linker_define_func(l, STRINGS, "return-unicode", "func() -> string",
                                        strings_return_unicode, NULL, err);
}

static int strings_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "test-imports", NULL, 0, NULL) != 0)
        return -1;
    JCO_CHECK(cx, cx->n[0] == 1 && cx->n[1] == 1,
              "test-imports called take-basic %lld and return-unicode %lld times, not once each",
              (long long)cx->n[0], (long long)cx->n[1]);
    const char *inputs[] = {"str", unicode_text}; /* the guest asserts a non-empty input */
    char d[128];
    for (size_t i = 0; i < UTIL_ARRAY_LEN(inputs); i++) {
        component_val arg = jv_str(inputs[i]), r;
        if (jco_call(cx, NULL, "roundtrip", &arg, 1, &r) != 0)
            return -1;
        JCO_CHECK(cx, jv_is_str(&r, inputs[i]), "roundtrip(\"%s\") returned %s", inputs[i],
                  jv_describe(&r, d, sizeof d));
    }
    component_val r;
    if (jco_call(cx, NULL, "return-empty", NULL, 0, &r) != 0)
        return -1;
    JCO_CHECK(cx, jv_is_str(&r, ""), "return-empty returned %s", jv_describe(&r, d, sizeof d));
    return 0;
}

/* ---- smoke ----------------------------------------------------------------- */

static int smoke_thunk(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    (void)env, (void)args, (void)nargs, (void)result;
    jco_ctx *cx = component_call_data(call);
    cx->n[0]++;
    return 0;
}

static int smoke_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    (void)cx;
    return component_linker_define_func(l, "test:smoke/imports", "thunk", "func()", smoke_thunk,
                                        NULL, err);
}

static int smoke_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "thunk", NULL, 0, NULL) != 0)
        return -1;
    JCO_CHECK(cx, cx->n[0] == 1, "import thunk called %lld times, not once", (long long)cx->n[0]);
    return 0;
}

/* ---- many-arguments ---------------------------------------------------------- */

static const char many_sig[] =
    "func(a1: u64, a2: u64, a3: u64, a4: u64, a5: u64, a6: u64, a7: u64, a8: u64, a9: u64, "
    "a10: u64, a11: u64, a12: u64, a13: u64, a14: u64, a15: u64, a16: u64)";

static int many_arguments_host(component_call *call, void *env, const component_val *args,
                               size_t nargs, component_val *result)
{
    (void)env, (void)result;
    jco_ctx *cx = component_call_data(call);
    JCO_HOST_CHECK(call, nargs == 16, "many-arguments got %zu arguments", nargs);
    for (size_t i = 0; i < 16; i++)
        JCO_HOST_CHECK(call, jv_is_u(&args[i], COMPONENT_VAL_U64, i + 1),
                       "many-arguments: a%zu is %llu, not %zu", i + 1,
                       (unsigned long long)args[i].of.u, i + 1);
    cx->n[0]++;
    return 0;
}

static int many_arguments_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    (void)cx;
    return component_linker_define_func(l, "imports", "many-arguments", many_sig,
                                        many_arguments_host, NULL, err);
}

static int many_arguments_run(jco_ctx *cx)
{
    component_val args[16];
    for (size_t i = 0; i < 16; i++)
        args[i] = jv_u(COMPONENT_VAL_U64, i + 1);
    if (jco_call(cx, NULL, "many-arguments", args, 16, NULL) != 0)
        return -1;
    JCO_CHECK(cx, cx->n[0] == 1, "the guest called import many-arguments %lld times, not once",
              (long long)cx->n[0]);
    return 0;
}

/* ---- asmjs_bigint ---------------------------------------------------------------- */

static int asmjs_bigint_run(jco_ctx *cx)
{
    const struct {
        int64_t x, y, sum;
    } cases[] = {{1, 2, 3}, {(int64_t)1 << 33, -((int64_t)1 << 42), -4389456576512LL}};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        component_val args[2] = {jv_s(COMPONENT_VAL_S64, cases[i].x),
                                 jv_s(COMPONENT_VAL_S64, cases[i].y)},
                      r;
        if (jco_call(cx, NULL, "add", args, 2, &r) != 0)
            return -1;
        JCO_CHECK(cx, jv_is_s(&r, COMPONENT_VAL_S64, cases[i].sum), "add(%lld, %lld) = %lld",
                  (long long)cases[i].x, (long long)cases[i].y, (long long)r.of.s);
    }
    return 0;
}

const jco_fixture jco_fixtures_scalar[] = {
    {"numbers", "numbers.component.wasm", NULL, numbers_define, numbers_run},
    {"strings", "strings.component.wasm", NULL, strings_define, strings_run},
    {"smoke", "smoke.component.wasm", NULL, smoke_define, smoke_run},
    {"many-arguments", "many-arguments.component.wasm", NULL, many_arguments_define,
     many_arguments_run},
    {"many_arguments", "many_arguments.component.wasm", NULL, many_arguments_define,
     many_arguments_run},
    {"asmjs_bigint", "asmjs_bigint.component.wasm", NULL, NULL, asmjs_bigint_run},
};
const size_t jco_fixtures_scalar_count = UTIL_ARRAY_LEN(jco_fixtures_scalar);
