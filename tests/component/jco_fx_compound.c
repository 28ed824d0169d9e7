/*
 * jco_fx_compound.c - jco fixtures on compound types: lists, records,
 * variants, flavorful.  The hosts answer and assert as jco's TypeScript
 * hosts do; every import counts its calls (cx->n[i] for import i) so the
 * run checks that the guest's test-imports reached each one, and then the
 * exports are called with jco's arguments and their results compared
 * deeply.
 */
#include "jco_fixtures.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* Host functions get their import index as env and count the call. */
#define COUNT(call, env) (((jco_ctx *)component_call_data(call))->n[(uintptr_t)(env)]++)

typedef struct host_import {
    const char *name, *sig;
    component_host_fn fn;
} host_import;

static int define_imports(component_linker *l, const char *iface, const host_import *imports,
                          size_t n, util_error **err)
{
    if (n > UTIL_ARRAY_LEN(((jco_ctx *)NULL)->n))
        return util_error_set(err, 0, "%s: more imports than call counters", iface);
    for (size_t i = 0; i < n; i++)
        if (component_linker_define_func(l, iface, imports[i].name, imports[i].sig,
                                         imports[i].fn, (void *)(uintptr_t)i, err) != 0)
            return -1;
    return 0;
}

/* Every import 0..n-1 was called at least once. */
static int check_all_called(jco_ctx *cx, const host_import *imports, size_t n)
{
    JCO_CHECK(cx, n <= UTIL_ARRAY_LEN(cx->n), "more imports than call counters");
    for (size_t i = 0; i < n; i++)
        JCO_CHECK(cx, cx->n[i] > 0, "test-imports never called import %s", imports[i].name);
    return 0;
}

/* Calls an export and compares its result with `want`. */
static int expect_call(jco_ctx *cx, const char *iface, const char *name,
                       const component_val *args, size_t nargs, const component_val *want,
                       size_t raw_elem_size)
{
    component_val r;
    if (jco_call(cx, iface, name, args, nargs, want ? &r : NULL) != 0)
        return -1;
    char d[128], e[128];
    JCO_CHECK(cx, !want || jv_equal(&r, want, raw_elem_size), "%s returned %s, expected %s",
              name, jv_describe(&r, d, sizeof d), jv_describe(want, e, sizeof e));
    return 0;
}

static bool is_str_list(const component_val *v, const char *const *want, size_t n)
{
    if (v->kind != COMPONENT_VAL_LIST || v->of.list.n != n || (n && !v->of.list.items))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!jv_is_str(&v->of.list.items[i], want[i]))
            return false;
    return true;
}

static component_val *one(component_call *call, component_val v)
{
    component_val *p = component_call_vals(call, 1);
    if (p)
        *p = v;
    return p;
}

/* ---- lists ------------------------------------------------------------------ */

#define LISTS "test:lists/test"

static int lists_empty_list_param(component_call *call, void *env, const component_val *args,
                                  size_t nargs, component_val *result)
{
    (void)nargs, (void)result;
    COUNT(call, env);
    JCO_HOST_CHECK(call, args[0].of.list.n == 0, "empty-list-param got %zu elements",
                   args[0].of.list.n);
    return 0;
}

static int lists_empty_string_param(component_call *call, void *env,
                                    const component_val *args, size_t nargs,
                                    component_val *result)
{
    (void)nargs, (void)result;
    COUNT(call, env);
    JCO_HOST_CHECK(call, jv_is_str(&args[0], ""), "empty-string-param got a non-empty string");
    return 0;
}

static int lists_empty_list_result(component_call *call, void *env, const component_val *args,
                                   size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    COUNT(call, env);
    *result = jv_raw("", 0);
    return 0;
}

static int lists_empty_string_result(component_call *call, void *env,
                                     const component_val *args, size_t nargs,
                                     component_val *result)
{
    (void)args, (void)nargs;
    COUNT(call, env);
    *result = jv_str("");
    return 0;
}

static int lists_list_param(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    (void)nargs, (void)result;
    COUNT(call, env);
    static const uint8_t want[] = {1, 2, 3, 4};
    component_val w = jv_raw(want, 4);
    JCO_HOST_CHECK(call, jv_equal(&args[0], &w, 1), "list-param did not get [1, 2, 3, 4]");
    return 0;
}

static int lists_list_param2(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    (void)nargs, (void)result;
    COUNT(call, env);
    JCO_HOST_CHECK(call, jv_is_str(&args[0], "foo"), "list-param2 did not get \"foo\"");
    return 0;
}

static int lists_list_param3(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    (void)nargs, (void)result;
    COUNT(call, env);
    static const char *const want[] = {"foo", "bar", "baz"};
    JCO_HOST_CHECK(call, is_str_list(&args[0], want, 3),
                   "list-param3 did not get [foo, bar, baz]");
    return 0;
}

static int lists_list_param4(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    (void)nargs, (void)result;
    COUNT(call, env);
    static const char *const first[] = {"foo", "bar"}, *const second[] = {"baz"};
    const component_val *a = &args[0];
    JCO_HOST_CHECK(call,
                   a->of.list.n == 2 && a->of.list.items &&
                       is_str_list(&a->of.list.items[0], first, 2) &&
                       is_str_list(&a->of.list.items[1], second, 1),
                   "list-param4 did not get [[foo, bar], [baz]]");
    return 0;
}

static int lists_list_param5(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    (void)nargs, (void)result;
    COUNT(call, env);
    const component_val *a = &args[0];
    bool ok = a->of.list.n == 2 && a->of.list.items;
    for (size_t i = 0; ok && i < 2; i++) {
        const component_val *t = &a->of.list.items[i];
        ok = t->kind == COMPONENT_VAL_RECORD && t->of.record.n == 3 &&
             jv_is_u(&t->of.record.fields[0], COMPONENT_VAL_U8, 3 * i + 1) &&
             jv_is_u(&t->of.record.fields[1], COMPONENT_VAL_U32, 3 * i + 2) &&
             jv_is_u(&t->of.record.fields[2], COMPONENT_VAL_U8, 3 * i + 3);
    }
    JCO_HOST_CHECK(call, ok, "list-param5 did not get [(1, 2, 3), (4, 5, 6)]");
    return 0;
}

static int lists_list_result(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    COUNT(call, env);
    static const uint8_t bytes[] = {1, 2, 3, 4, 5};
    *result = jv_raw(bytes, 5);
    return 0;
}

static int lists_list_result2(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    COUNT(call, env);
    *result = jv_str("hello!");
    return 0;
}

static int lists_list_result3(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    COUNT(call, env);
    component_val *items = component_call_vals(call, 2);
    if (!items)
        return component_call_trap(call, "out of call memory");
    items[0] = jv_str("hello,");
    items[1] = jv_str("world!");
    *result = jv_list(items, 2);
    return 0;
}

/* list-roundtrip and string-roundtrip: the argument back. */
static int lists_echo(component_call *call, void *env, const component_val *args,
                      size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    component_val *copy = jv_dup(call, &args[0], 1);
    if (!copy)
        return -1;
    *result = *copy;
    return 0;
}

/* list-minmaxN(u, s) -> (u, s), after checking both hold the type's
 * minimum and maximum.  env = import index; the element size and bounds
 * come from the table below. */
typedef struct minmax {
    size_t size;
    uint64_t u[4], s[4]; /* bit patterns of the expected elements */
    size_t n;
} minmax;

static bool minmax_holds(const component_val *v, size_t size, const uint64_t *want, size_t n)
{
    if (v->kind != COMPONENT_VAL_LIST || v->of.list.n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (jv_list_bits(v, i, size) != want[i])
            return false;
    return true;
}

static int lists_minmax_check(component_call *call, const char *name, const minmax *m,
                              const component_val *args, component_val *result)
{
    JCO_HOST_CHECK(call,
                   minmax_holds(&args[0], m->size, m->u, m->n) &&
                       minmax_holds(&args[1], m->size, m->s, m->n),
                   "%s did not get the type's minimum and maximum", name);
    component_val *fields = component_call_vals(call, 2);
    component_val *u = jv_dup(call, &args[0], m->size), *s = jv_dup(call, &args[1], m->size);
    if (!fields || !u || !s)
        return component_call_trap(call, "out of call memory");
    fields[0] = *u;
    fields[1] = *s;
    *result = jv_record(fields, 2);
    return 0;
}

static uint64_t f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static uint64_t f64_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

#define MINMAX_FN(fname, label, ...)                                                          \
    static int fname(component_call *call, void *env, const component_val *args,              \
                     size_t nargs, component_val *result)                                     \
    {                                                                                         \
        (void)nargs;                                                                          \
        COUNT(call, env);                                                                     \
        minmax m = __VA_ARGS__;                                                               \
        return lists_minmax_check(call, label, &m, args, result);                             \
    }

MINMAX_FN(lists_minmax8, "list-minmax8", {1, {0, 0xff}, {0x80, 0x7f}, 2})
MINMAX_FN(lists_minmax16, "list-minmax16", {2, {0, 0xffff}, {0x8000, 0x7fff}, 2})
MINMAX_FN(lists_minmax32, "list-minmax32", {4, {0, 0xffffffff}, {0x80000000, 0x7fffffff}, 2})
MINMAX_FN(lists_minmax64, "list-minmax64",
          {8, {0, UINT64_MAX}, {(uint64_t)1 << 63, ((uint64_t)1 << 63) - 1}, 2})

static int lists_minmax_float(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    const uint64_t f[4] = {f32_bits(-FLT_MAX), f32_bits(FLT_MAX), f32_bits(-INFINITY),
                           f32_bits(INFINITY)};
    const uint64_t d[4] = {f64_bits(-DBL_MAX), f64_bits(DBL_MAX), f64_bits(-INFINITY),
                           f64_bits(INFINITY)};
    JCO_HOST_CHECK(call, minmax_holds(&args[0], 4, f, 4) && minmax_holds(&args[1], 8, d, 4),
                   "list-minmax-float did not get [-max, max, -inf, inf] of f32 and f64");
    component_val *fields = component_call_vals(call, 2);
    component_val *fc = jv_dup(call, &args[0], 4), *dc = jv_dup(call, &args[1], 8);
    if (!fields || !fc || !dc)
        return component_call_trap(call, "out of call memory");
    fields[0] = *fc;
    fields[1] = *dc;
    *result = jv_record(fields, 2);
    return 0;
}

static const host_import lists_imports[] = {
    {"empty-list-param", "func(a: list<u8>)", lists_empty_list_param},
    {"empty-string-param", "func(a: string)", lists_empty_string_param},
    {"empty-list-result", "func() -> list<u8>", lists_empty_list_result},
    {"empty-string-result", "func() -> string", lists_empty_string_result},
    {"list-param", "func(a: list<u8>)", lists_list_param},
    {"list-param2", "func(a: string)", lists_list_param2},
    {"list-param3", "func(a: list<string>)", lists_list_param3},
    {"list-param4", "func(a: list<list<string>>)", lists_list_param4},
    {"list-param5", "func(a: list<tuple<u8, u32, u8>>)", lists_list_param5},
    {"list-result", "func() -> list<u8>", lists_list_result},
    {"list-result2", "func() -> string", lists_list_result2},
    {"list-result3", "func() -> list<string>", lists_list_result3},
    {"list-minmax8", "func(a: list<u8>, b: list<s8>) -> tuple<list<u8>, list<s8>>",
     lists_minmax8},
    {"list-minmax16", "func(a: list<u16>, b: list<s16>) -> tuple<list<u16>, list<s16>>",
     lists_minmax16},
    {"list-minmax32", "func(a: list<u32>, b: list<s32>) -> tuple<list<u32>, list<s32>>",
     lists_minmax32},
    {"list-minmax64", "func(a: list<u64>, b: list<s64>) -> tuple<list<u64>, list<s64>>",
     lists_minmax64},
    {"list-minmax-float", "func(a: list<f32>, b: list<f64>) -> tuple<list<f32>, list<f64>>",
     lists_minmax_float},
    {"list-roundtrip", "func(a: list<u8>) -> list<u8>", lists_echo},
    {"string-roundtrip", "func(a: string) -> string", lists_echo},
};

static int lists_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    (void)cx;
    return define_imports(l, LISTS, lists_imports, UTIL_ARRAY_LEN(lists_imports), err);
}

static int lists_run(jco_ctx *cx)
{
    component_val before, after;
    if (jco_call(cx, NULL, "allocated-bytes", NULL, 0, &before) != 0 ||
        jco_call(cx, NULL, "test-imports", NULL, 0, NULL) != 0 ||
        check_all_called(cx, lists_imports, UTIL_ARRAY_LEN(lists_imports)) != 0)
        return -1;

    static const uint8_t b1234[] = {1, 2, 3, 4}, b12345[] = {1, 2, 3, 4, 5};
    component_val arg = jv_raw("", 0);
    if (expect_call(cx, LISTS, "empty-list-param", &arg, 1, NULL, 1) != 0)
        return -1;
    arg = jv_str("");
    if (expect_call(cx, LISTS, "empty-string-param", &arg, 1, NULL, 1) != 0)
        return -1;
    arg = jv_raw(b1234, 4);
    if (expect_call(cx, LISTS, "list-param", &arg, 1, NULL, 1) != 0)
        return -1;
    component_val blah[1000];
    for (size_t i = 0; i < 1000; i++)
        blah[i] = jv_str("blah");
    arg = jv_list(blah, 1000);
    if (expect_call(cx, LISTS, "list-param-large", &arg, 1, NULL, 1) != 0)
        return -1;
    arg = jv_str("foo");
    if (expect_call(cx, LISTS, "list-param2", &arg, 1, NULL, 1) != 0)
        return -1;
    component_val s3[3] = {jv_str("foo"), jv_str("bar"), jv_str("baz")};
    arg = jv_list(s3, 3);
    if (expect_call(cx, LISTS, "list-param3", &arg, 1, NULL, 1) != 0)
        return -1;
    component_val s4a[2] = {jv_str("foo"), jv_str("bar")}, s4b[1] = {jv_str("baz")};
    component_val s4[2] = {jv_list(s4a, 2), jv_list(s4b, 1)};
    arg = jv_list(s4, 2);
    if (expect_call(cx, LISTS, "list-param4", &arg, 1, NULL, 1) != 0)
        return -1;

    component_val want = jv_raw("", 0);
    if (expect_call(cx, LISTS, "empty-list-result", NULL, 0, &want, 1) != 0)
        return -1;
    want = jv_str("");
    if (expect_call(cx, LISTS, "empty-string-result", NULL, 0, &want, 1) != 0)
        return -1;
    want = jv_raw(b12345, 5);
    if (expect_call(cx, LISTS, "list-result", NULL, 0, &want, 1) != 0)
        return -1;
    want = jv_str("hello!");
    if (expect_call(cx, LISTS, "list-result2", NULL, 0, &want, 1) != 0)
        return -1;
    component_val hw[2] = {jv_str("hello,"), jv_str("world!")};
    want = jv_list(hw, 2);
    if (expect_call(cx, LISTS, "list-result3", NULL, 0, &want, 1) != 0)
        return -1;

    /* a list that starts in the middle of the host's buffer */
    static const uint8_t buffer[8] = {0, 0, 1, 2, 3, 4, 0, 0};
    arg = jv_raw(buffer + 2, 4);
    if (expect_call(cx, LISTS, "list-roundtrip", &arg, 1, &arg, 1) != 0)
        return -1;
    const char *strs[] = {"x", "", "hello \xE2\x9A\x91 world"}; /* hello ⚑ world */
    for (size_t i = 0; i < UTIL_ARRAY_LEN(strs); i++) {
        arg = jv_str(strs[i]);
        if (expect_call(cx, LISTS, "string-roundtrip", &arg, 1, &arg, 1) != 0)
            return -1;
    }

    /* every allocation the glue made was freed */
    if (jco_call(cx, NULL, "allocated-bytes", NULL, 0, &after) != 0)
        return -1;
    JCO_CHECK(cx, jv_equal(&before, &after, 0), "allocated-bytes %llu before, %llu after",
              (unsigned long long)before.of.u, (unsigned long long)after.of.u);
    return 0;
}

/* ---- records ------------------------------------------------------------------ */

#define RECORDS "test:records/test"

static int records_multiple_results(component_call *call, void *env, const component_val *args,
                                    size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    COUNT(call, env);
    component_val *f = component_call_vals(call, 2);
    if (!f)
        return component_call_trap(call, "out of call memory");
    f[0] = jv_u(COMPONENT_VAL_U8, 4);
    f[1] = jv_u(COMPONENT_VAL_U16, 5);
    *result = jv_record(f, 2);
    return 0;
}

static int records_swap_tuple(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    component_val *f = component_call_vals(call, 2);
    if (!f)
        return component_call_trap(call, "out of call memory");
    f[0] = args[0].of.record.fields[1];
    f[1] = args[0].of.record.fields[0];
    *result = jv_record(f, 2);
    return 0;
}

/* roundtrip-flags1/2, roundtrip-record1, tuple1: identity. */
static int records_echo(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    component_val *copy = jv_dup(call, &args[0], 1);
    if (!copy)
        return -1;
    *result = *copy;
    return 0;
}

static int records_flags3(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    component_val *f = component_call_vals(call, 3);
    if (!f)
        return component_call_trap(call, "out of call memory");
    memcpy(f, args, 3 * sizeof *f);
    *result = jv_record(f, 3);
    return 0;
}

#define F1 "flags{a, b}"
#define F2 "flags{c, d, e}"
#define FLAG8 "flags{b0, b1, b2, b3, b4, b5, b6, b7}"
#define FLAG16 "flags{b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15}"
#define FLAG32                                                                                \
    "flags{b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, "  \
    "b18, b19, b20, b21, b22, b23, b24, b25, b26, b27, b28, b29, b30, b31}"

static const host_import records_imports[] = {
    {"multiple-results", "func() -> tuple<u8, u16>", records_multiple_results},
    {"swap-tuple", "func(a: tuple<u8, u32>) -> tuple<u32, u8>", records_swap_tuple},
    {"roundtrip-flags1", "func(a: f1) -> f1", records_echo},
    {"roundtrip-flags2", "func(a: f2) -> f2", records_echo},
    {"roundtrip-flags3", "func(a: flag8, b: flag16, c: flag32) -> tuple<flag8, flag16, flag32>",
     records_flags3},
    {"roundtrip-record1", "func(a: r1) -> r1", records_echo},
    {"tuple1", "func(a: tuple<u8>) -> tuple<u8>", records_echo},
};

static int records_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    (void)cx;
    const char *types[][2] = {{"f1", F1},         {"f2", F2},         {"flag8", FLAG8},
                              {"flag16", FLAG16}, {"flag32", FLAG32}, {"r1", "record{a: u8, b: f1}"}};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(types); i++)
        if (component_linker_define_type(l, RECORDS, types[i][0], types[i][1], err) != 0)
            return -1;
    return define_imports(l, RECORDS, records_imports, UTIL_ARRAY_LEN(records_imports), err);
}

static int records_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "test-imports", NULL, 0, NULL) != 0 ||
        check_all_called(cx, records_imports, UTIL_ARRAY_LEN(records_imports)) != 0)
        return -1;
    component_val mr[2] = {jv_u(COMPONENT_VAL_U8, 100), jv_u(COMPONENT_VAL_U16, 200)};
    component_val want = jv_record(mr, 2);
    if (expect_call(cx, RECORDS, "multiple-results", NULL, 0, &want, 0) != 0)
        return -1;
    component_val st[2] = {jv_u(COMPONENT_VAL_U8, 1), jv_u(COMPONENT_VAL_U32, 2)};
    component_val sw[2] = {jv_u(COMPONENT_VAL_U32, 2), jv_u(COMPONENT_VAL_U8, 1)};
    component_val arg = jv_record(st, 2);
    want = jv_record(sw, 2);
    if (expect_call(cx, RECORDS, "swap-tuple", &arg, 1, &want, 0) != 0)
        return -1;
    const uint64_t flags1[] = {1, 0, 3}, flags2[] = {1, 0, 2, 5};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(flags1); i++) {
        arg = jv_flags(flags1[i]);
        if (expect_call(cx, RECORDS, "roundtrip-flags1", &arg, 1, &arg, 0) != 0)
            return -1;
    }
    for (size_t i = 0; i < UTIL_ARRAY_LEN(flags2); i++) {
        arg = jv_flags(flags2[i]);
        if (expect_call(cx, RECORDS, "roundtrip-flags2", &arg, 1, &arg, 0) != 0)
            return -1;
    }
    component_val r1a[2] = {jv_u(COMPONENT_VAL_U8, 8), jv_flags(0)};
    component_val r1b[2] = {jv_u(COMPONENT_VAL_U8, 0), jv_flags(3)};
    arg = jv_record(r1a, 2);
    if (expect_call(cx, RECORDS, "roundtrip-record1", &arg, 1, &arg, 0) != 0)
        return -1;
    arg = jv_record(r1b, 2);
    if (expect_call(cx, RECORDS, "roundtrip-record1", &arg, 1, &arg, 0) != 0)
        return -1;
    component_val t1[1] = {jv_u(COMPONENT_VAL_U8, 1)};
    arg = jv_record(t1, 1);
    return expect_call(cx, RECORDS, "tuple1", &arg, 1, &arg, 0);
}

/* ---- variants ------------------------------------------------------------------ */

#define VARIANTS "test:variants/test"

/* roundtrip-option(option<f32>) -> option<u8>: the number, as an u8. */
static int variants_roundtrip_option(component_call *call, void *env,
                                     const component_val *args, size_t nargs,
                                     component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    if (jv_disc(&args[0]) == 0) {
        *result = jv_variant(0, NULL);
        return 0;
    }
    float f = args[0].of.variant.payload->of.f32;
    component_val *p = one(call, jv_u(COMPONENT_VAL_U8, (uint8_t)(int64_t)f));
    if (!p)
        return component_call_trap(call, "out of call memory");
    *result = jv_variant(1, p);
    return 0;
}

/* roundtrip-result(result<u32, f32>) -> result<f64, u8>: ok as a double,
 * error rounded (jco throws the rounded payload). */
static int variants_roundtrip_result(component_call *call, void *env,
                                     const component_val *args, size_t nargs,
                                     component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    const component_val *a = &args[0];
    component_val *p = a->of.variant.disc == 0
                           ? one(call, jv_f64((double)a->of.variant.payload->of.u))
                           : one(call, jv_u(COMPONENT_VAL_U8,
                                            (uint8_t)lroundf(a->of.variant.payload->of.f32)));
    if (!p)
        return component_call_trap(call, "out of call memory");
    *result = jv_variant(a->of.variant.disc, p);
    return 0;
}

static int variants_echo(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    component_val *copy = jv_dup(call, &args[0], 1);
    if (!copy)
        return -1;
    *result = *copy;
    return 0;
}

static int variants_invert_bool(component_call *call, void *env, const component_val *args,
                                size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    *result = jv_bool(!args[0].of.b);
    return 0;
}

static int variants_typedefs(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    (void)args, (void)nargs, (void)result;
    COUNT(call, env);
    return 0;
}

static int variants_enums(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    JCO_HOST_CHECK(call, jv_is_bool(&args[0], true), "variant-enums: a is not true");
    JCO_HOST_CHECK(call, jv_disc(&args[1]) == 0, "variant-enums: b is not ok");
    JCO_HOST_CHECK(call, jv_disc(&args[2]) == 0, "variant-enums: c is not success");
    component_val *f = component_call_vals(call, 3);
    if (!f)
        return component_call_trap(call, "out of call memory");
    f[0] = jv_bool(false);
    f[1] = jv_variant(1, NULL);
    f[2] = jv_variant(1, NULL);
    *result = jv_record(f, 3);
    return 0;
}

#define CASTS "tuple<c1, c2, c3, c4, c5, c6>"
#define ZEROS "tuple<z1, z2, z3, z4>"

static const host_import variants_imports[] = {
    {"roundtrip-option", "func(a: option<f32>) -> option<u8>", variants_roundtrip_option},
    {"roundtrip-result", "func(a: result<u32, f32>) -> result<f64, u8>",
     variants_roundtrip_result},
    {"roundtrip-enum", "func(a: e1) -> e1", variants_echo},
    {"invert-bool", "func(a: bool) -> bool", variants_invert_bool},
    {"variant-casts", "func(a: " CASTS ") -> " CASTS, variants_echo},
    {"variant-zeros", "func(a: " ZEROS ") -> " ZEROS, variants_echo},
    {"variant-typedefs", "func(a: option<u32>, b: bool, c: result<u32>)", variants_typedefs},
    {"variant-enums",
     "func(a: bool, b: result, c: my-errno) -> tuple<bool, result, my-errno>", variants_enums},
};

static int variants_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    (void)cx;
    const char *types[][2] = {
        {"e1", "enum{a, b}"},
        {"c1", "variant{a(s32), b(s64)}"},
        {"c2", "variant{a(s32), b(f32)}"},
        {"c3", "variant{a(s32), b(f64)}"},
        {"c4", "variant{a(s64), b(f32)}"},
        {"c5", "variant{a(s64), b(f64)}"},
        {"c6", "variant{a(f32), b(f64)}"},
        {"z1", "variant{a(s32), b}"},
        {"z2", "variant{a(s64), b}"},
        {"z3", "variant{a(f32), b}"},
        {"z4", "variant{a(f64), b}"},
        {"my-errno", "enum{success, a, b}"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(types); i++)
        if (component_linker_define_type(l, VARIANTS, types[i][0], types[i][1], err) != 0)
            return -1;
    return define_imports(l, VARIANTS, variants_imports, UTIL_ARRAY_LEN(variants_imports), err);
}

static int variants_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "test-imports", NULL, 0, NULL) != 0 ||
        check_all_called(cx, variants_imports, UTIL_ARRAY_LEN(variants_imports)) != 0)
        return -1;
    /* roundtrip-option: some(1.0) -> some(1), none -> none, some(2.0) -> some(2) */
    const float opts[] = {1.0f, -1.0f, 2.0f}; /* -1: none */
    for (size_t i = 0; i < UTIL_ARRAY_LEN(opts); i++) {
        component_val in = jv_f32(opts[i]);
        component_val out = jv_u(COMPONENT_VAL_U8, opts[i] < 0 ? 0 : (uint64_t)opts[i]);
        component_val arg = opts[i] < 0 ? jv_variant(0, NULL) : jv_variant(1, &in);
        component_val want = opts[i] < 0 ? jv_variant(0, NULL) : jv_variant(1, &out);
        if (expect_call(cx, VARIANTS, "roundtrip-option", &arg, 1, &want, 0) != 0)
            return -1;
    }
    for (uint64_t x = 2; x <= 4; x += 2) {
        component_val in = jv_u(COMPONENT_VAL_U32, x), out = jv_f64((double)x);
        component_val arg = jv_variant(0, &in), want = jv_variant(0, &out);
        if (expect_call(cx, VARIANTS, "roundtrip-result", &arg, 1, &want, 0) != 0)
            return -1;
    }
    component_val ein = jv_f32(5.2f), eout = jv_u(COMPONENT_VAL_U8, 5);
    component_val arg = jv_variant(1, &ein), want = jv_variant(1, &eout);
    if (expect_call(cx, VARIANTS, "roundtrip-result", &arg, 1, &want, 0) != 0)
        return -1;
    for (uint32_t e = 0; e < 2; e++) {
        arg = jv_variant(e, NULL);
        if (expect_call(cx, VARIANTS, "roundtrip-enum", &arg, 1, &arg, 0) != 0)
            return -1;
    }
    for (int b = 0; b < 2; b++) {
        arg = jv_bool(b);
        want = jv_bool(!b);
        if (expect_call(cx, VARIANTS, "invert-bool", &arg, 1, &want, 0) != 0)
            return -1;
    }
    component_val ca[6] = {jv_s(COMPONENT_VAL_S32, 1), jv_s(COMPONENT_VAL_S32, 2),
                           jv_s(COMPONENT_VAL_S32, 3), jv_s(COMPONENT_VAL_S64, 4),
                           jv_s(COMPONENT_VAL_S64, 5), jv_f32(6)};
    component_val cb[6] = {jv_s(COMPONENT_VAL_S64, 1), jv_f32(2), jv_f64(3),
                           jv_f32(4),                  jv_f64(5), jv_f64(6)};
    for (int which = 0; which < 2; which++) {
        component_val cases[6];
        for (size_t i = 0; i < 6; i++)
            cases[i] = jv_variant((uint32_t)which, which ? &cb[i] : &ca[i]);
        arg = jv_record(cases, 6);
        if (expect_call(cx, VARIANTS, "variant-casts", &arg, 1, &arg, 0) != 0)
            return -1;
    }
    component_val za[4] = {jv_s(COMPONENT_VAL_S32, 1), jv_s(COMPONENT_VAL_S64, 2), jv_f32(3),
                           jv_f64(4)};
    component_val zeros[4];
    for (size_t i = 0; i < 4; i++)
        zeros[i] = jv_variant(0, &za[i]);
    arg = jv_record(zeros, 4);
    if (expect_call(cx, VARIANTS, "variant-zeros", &arg, 1, &arg, 0) != 0)
        return -1;
    component_val td[3] = {jv_variant(0, NULL), jv_bool(false), jv_variant(1, NULL)};
    return expect_call(cx, VARIANTS, "variant-typedefs", td, 3, NULL, 0);
}

/* ---- flavorful ------------------------------------------------------------------ */

#define FLAVORFUL "test:flavorful/test"
enum { FLAVORFUL_ERRNO_CALLS = 31 }; /* slot of cx->n past the imports */

static int str_record(component_call *call, const char *s, component_val *result)
{
    component_val *f = one(call, jv_str(s));
    if (!f)
        return component_call_trap(call, "out of call memory");
    *result = jv_record(f, 1);
    return 0;
}

static int some_str(component_call *call, const char *s, component_val *result)
{
    component_val *p = one(call, jv_str(s));
    if (!p)
        return component_call_trap(call, "out of call memory");
    *result = jv_variant(1, p);
    return 0;
}

static bool is_str_record(const component_val *v, const char *s)
{
    return v->kind == COMPONENT_VAL_RECORD && v->of.record.n == 1 &&
           jv_is_str(&v->of.record.fields[0], s);
}

static bool is_case_str(const component_val *v, uint32_t disc, const char *s)
{
    return jv_disc(v) == disc && v->of.variant.payload && jv_is_str(v->of.variant.payload, s);
}

static int fl_record1(component_call *call, void *env, const component_val *args,
                      size_t nargs, component_val *result)
{
    (void)args, (void)nargs, (void)result;
    COUNT(call, env);
    return 0;
}

static int fl_record2(component_call *call, void *env, const component_val *args,
                      size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    COUNT(call, env);
    return str_record(call, "list_in_record2", result);
}

static int fl_record3(component_call *call, void *env, const component_val *args,
                      size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    JCO_HOST_CHECK(call, is_str_record(&args[0], "list_in_record3 input"),
                   "f-list-in-record3 did not get {a: \"list_in_record3 input\"}");
    return str_record(call, "list_in_record3 output", result);
}

static int fl_record4(component_call *call, void *env, const component_val *args,
                      size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    JCO_HOST_CHECK(call, is_str_record(&args[0], "input4"),
                   "f-list-in-record4 did not get {a: \"input4\"}");
    return str_record(call, "result4", result);
}

static int fl_variant1(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    (void)nargs, (void)result;
    COUNT(call, env);
    JCO_HOST_CHECK(call, is_case_str(&args[0], 1, "foo"), "f-list-in-variant1: a is not \"foo\"");
    JCO_HOST_CHECK(call, is_case_str(&args[1], 1, "bar"),
                   "f-list-in-variant1: b is not err(\"bar\")");
    return 0;
}

static int fl_variant2(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    COUNT(call, env);
    return some_str(call, "list_in_variant2", result);
}

static int fl_variant3(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    JCO_HOST_CHECK(call, is_case_str(&args[0], 1, "input3"),
                   "f-list-in-variant3 did not get \"input3\"");
    return some_str(call, "output3", result);
}

/* errno-result: the first call fails with `b`, later ones succeed. */
static int fl_errno_result(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    COUNT(call, env);
    jco_ctx *cx = component_call_data(call);
    if (cx->n[FLAVORFUL_ERRNO_CALLS]++ == 0) {
        component_val *e = one(call, jv_variant(2, NULL));
        if (!e)
            return component_call_trap(call, "out of call memory");
        *result = jv_variant(1, e);
    } else {
        *result = jv_variant(0, NULL);
    }
    return 0;
}

static int fl_list_typedefs(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    static const char *const typedef2[] = {"typedef2"};
    JCO_HOST_CHECK(call, jv_is_str(&args[0], "typedef1"), "list-typedefs: a is not typedef1");
    JCO_HOST_CHECK(call, is_str_list(&args[1], typedef2, 1), "list-typedefs: c is not [typedef2]");
    component_val *f = component_call_vals(call, 2), *l = one(call, jv_str("typedef4"));
    if (!f || !l)
        return component_call_trap(call, "out of call memory");
    f[0] = jv_raw("typedef3", 8);
    f[1] = jv_list(l, 1);
    *result = jv_record(f, 2);
    return 0;
}

static int fl_list_of_variants(component_call *call, void *env, const component_val *args,
                               size_t nargs, component_val *result)
{
    (void)nargs;
    COUNT(call, env);
    component_val bools[2] = {jv_bool(true), jv_bool(false)};
    component_val results[2] = {jv_variant(0, NULL), jv_variant(1, NULL)};
    component_val enums[2] = {jv_variant(0, NULL), jv_variant(1, NULL)};
    component_val wb = jv_list(bools, 2), wr = jv_list(results, 2), we = jv_list(enums, 2);
    JCO_HOST_CHECK(call, jv_equal(&args[0], &wb, 0), "list-of-variants: a is not [true, false]");
    JCO_HOST_CHECK(call, jv_equal(&args[1], &wr, 0), "list-of-variants: b is not [ok, err]");
    JCO_HOST_CHECK(call, jv_equal(&args[2], &we, 0), "list-of-variants: c is not [success, a]");
    component_val *v = component_call_vals(call, 9);
    if (!v)
        return component_call_trap(call, "out of call memory");
    v[0] = jv_bool(false), v[1] = jv_bool(true);
    v[2] = jv_variant(1, NULL), v[3] = jv_variant(0, NULL);
    v[4] = jv_variant(1, NULL), v[5] = jv_variant(2, NULL);
    v[6] = jv_list(v, 2), v[7] = jv_list(v + 2, 2), v[8] = jv_list(v + 4, 2);
    *result = jv_record(v + 6, 3);
    return 0;
}

static const host_import flavorful_imports[] = {
    {"f-list-in-record1", "func(a: list-in-record1)", fl_record1},
    {"f-list-in-record2", "func() -> list-in-record2", fl_record2},
    {"f-list-in-record3", "func(a: list-in-record3) -> list-in-record3", fl_record3},
    {"f-list-in-record4", "func(a: list-in-alias) -> list-in-alias", fl_record4},
    {"f-list-in-variant1", "func(a: list-in-variant1-v1, b: list-in-variant1-v2)", fl_variant1},
    {"f-list-in-variant2", "func() -> list-in-variant2", fl_variant2},
    {"f-list-in-variant3", "func(a: list-in-variant3) -> list-in-variant3", fl_variant3},
    {"errno-result", "func() -> result<_, my-errno>", fl_errno_result},
    {"list-typedefs", "func(a: list-typedef, c: list-typedef3) -> tuple<list-typedef2, list-typedef3>",
     fl_list_typedefs},
    {"list-of-variants",
     "func(a: list<bool>, b: list<result>, c: list<my-errno>) -> "
     "tuple<list<bool>, list<result>, list<my-errno>>",
     fl_list_of_variants},
};

static int flavorful_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    (void)cx;
    const char *types[][2] = {
        {"list-in-record1", "record{a: string}"},
        {"list-in-record2", "record{a: string}"},
        {"list-in-record3", "record{a: string}"},
        {"list-in-record4", "record{a: string}"},
        {"list-in-alias", "list-in-record4"},
        {"list-in-variant1-v1", "option<string>"},
        {"list-in-variant1-v2", "result<_, string>"},
        {"list-in-variant2", "option<string>"},
        {"list-in-variant3", "option<string>"},
        {"my-errno", "enum{success, a, b}"},
        {"list-typedef", "string"},
        {"list-typedef2", "list<u8>"},
        {"list-typedef3", "list<string>"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(types); i++)
        if (component_linker_define_type(l, FLAVORFUL, types[i][0], types[i][1], err) != 0)
            return -1;
    return define_imports(l, FLAVORFUL, flavorful_imports, UTIL_ARRAY_LEN(flavorful_imports),
                          err);
}

static int flavorful_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "test-imports", NULL, 0, NULL) != 0 ||
        check_all_called(cx, flavorful_imports, UTIL_ARRAY_LEN(flavorful_imports)) != 0)
        return -1;
    component_val s = jv_str("list_in_record1");
    component_val arg = jv_record(&s, 1);
    if (expect_call(cx, FLAVORFUL, "f-list-in-record1", &arg, 1, NULL, 0) != 0)
        return -1;
    component_val ws = jv_str("list_in_record2");
    component_val want = jv_record(&ws, 1);
    if (expect_call(cx, FLAVORFUL, "f-list-in-record2", NULL, 0, &want, 0) != 0)
        return -1;
    s = jv_str("list_in_record3 input");
    ws = jv_str("list_in_record3 output");
    if (expect_call(cx, FLAVORFUL, "f-list-in-record3", &arg, 1, &want, 0) != 0)
        return -1;
    s = jv_str("input4");
    ws = jv_str("result4");
    if (expect_call(cx, FLAVORFUL, "f-list-in-record4", &arg, 1, &want, 0) != 0)
        return -1;
    component_val foo = jv_str("foo"), bar = jv_str("bar");
    component_val v1[2] = {jv_variant(1, &foo), jv_variant(1, &bar)};
    if (expect_call(cx, FLAVORFUL, "f-list-in-variant1", v1, 2, NULL, 0) != 0)
        return -1;
    ws = jv_str("list_in_variant2");
    want = jv_variant(1, &ws);
    if (expect_call(cx, FLAVORFUL, "f-list-in-variant2", NULL, 0, &want, 0) != 0)
        return -1;
    s = jv_str("input3");
    ws = jv_str("output3");
    arg = jv_variant(1, &s);
    if (expect_call(cx, FLAVORFUL, "f-list-in-variant3", &arg, 1, &want, 0) != 0)
        return -1;
    component_val b = jv_variant(2, NULL);
    want = jv_variant(1, &b); /* err(b) */
    if (expect_call(cx, FLAVORFUL, "errno-result", NULL, 0, &want, 0) != 0)
        return -1;
    component_val t2 = jv_str("typedef2"), t4 = jv_str("typedef4");
    component_val td[2] = {jv_str("typedef1"), jv_list(&t2, 1)};
    component_val tr[2] = {jv_raw("typedef3", 8), jv_list(&t4, 1)};
    want = jv_record(tr, 2);
    return expect_call(cx, FLAVORFUL, "list-typedefs", td, 2, &want, 1);
}

const jco_fixture jco_fixtures_compound[] = {
    {"lists", "lists.component.wasm", NULL, lists_define, lists_run},
    {"records", "records.component.wasm", NULL, records_define, records_run},
    {"variants", "variants.component.wasm", NULL, variants_define, variants_run},
    {"flavorful", "flavorful.component.wasm", NULL, flavorful_define, flavorful_run},
};
const size_t jco_fixtures_compound_count = UTIL_ARRAY_LEN(jco_fixtures_compound);
