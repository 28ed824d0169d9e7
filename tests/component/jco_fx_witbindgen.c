/*
 * jco_fx_witbindgen.c - jco fixtures that jco only transpiles (no
 * TypeScript host): their hosts and assertions follow wit-bindgen's own
 * runtime tests the components were built from (the guest's test-imports
 * expectations, the "leaf" component's answers, the "runner" component's
 * assertions on the exports), with constants of our own where the
 * original host is not stored: options, results, versions,
 * type_section_suffix, resources, the ownership builds, and the resource_*
 * fixtures (borrow import/export, into_inner, with_lists, alias,
 * alias_redux, aggregates, borrow_in_record, floats, import_and_export),
 * rust_xcrate.  Where a guest resource wraps a host one, the runs also
 * count host destructor runs to check drops reach the host.
 */
#include "jco_fixtures.h"

#include <stdio.h>
#include <string.h>

static component_val *one(component_call *call, component_val v)
{
    component_val *p = component_call_vals(call, 1);
    if (p)
        *p = v;
    return p;
}

static int expect_call(jco_ctx *cx, const char *iface, const char *name,
                       const component_val *args, size_t nargs, const component_val *want)
{
    component_val r;
    if (jco_call(cx, iface, name, args, nargs, want ? &r : NULL) != 0)
        return -1;
    char d[128], e[128];
    JCO_CHECK(cx, !want || jv_equal(&r, want, 1), "%s returned %s, expected %s", name,
              jv_describe(&r, d, sizeof d), jv_describe(want, e, sizeof e));
    return 0;
}

/* ---- options ------------------------------------------------------------------ */

#define OPTIONS "test:options/test"

static int opt_none_param(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    cx->n[0]++;
    JCO_HOST_CHECK(call, jv_disc(&args[0]) == 0, "option-none-param did not get none");
    return 0;
}

static int opt_some_param(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    cx->n[1]++;
    JCO_HOST_CHECK(call, jv_disc(&args[0]) == 1 && jv_is_str(args[0].of.variant.payload, "foo"),
                   "option-some-param did not get some(\"foo\")");
    return 0;
}

static int opt_none_result(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    cx->n[2]++;
    *result = jv_variant(0, NULL);
    return 0;
}

static int opt_some_result(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    cx->n[3]++;
    component_val *s = one(call, jv_str("foo"));
    if (!s)
        return component_call_trap(call, "out of call memory");
    *result = jv_variant(1, s);
    return 0;
}

/* option-roundtrip (env 4), double-option-roundtrip (env 5). */
static int opt_echo(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    cx->n[(uintptr_t)env]++;
    component_val *copy = jv_dup(call, &args[0], 1);
    if (!copy)
        return -1;
    *result = *copy;
    return 0;
}

static int options_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    if (component_linker_define_func(l, OPTIONS, "option-none-param",
                                     "func(a: option<string>)", opt_none_param, NULL, err) ||
        component_linker_define_func(l, OPTIONS, "option-some-param",
                                     "func(a: option<string>)", opt_some_param, NULL, err) ||
        component_linker_define_func(l, OPTIONS, "option-none-result",
                                     "func() -> option<string>", opt_none_result, NULL, err) ||
        component_linker_define_func(l, OPTIONS, "option-some-result",
                                     "func() -> option<string>", opt_some_result, NULL, err) ||
        component_linker_define_func(l, OPTIONS, "option-roundtrip",
                                     "func(a: option<string>) -> option<string>", opt_echo,
                                     (void *)4, err))
        return -1;
    return component_linker_define_func(l, OPTIONS, "double-option-roundtrip",
                                        "func(a: option<option<u32>>) -> option<option<u32>>",
                                        opt_echo, (void *)5, err);
}

static int options_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "test-imports", NULL, 0, NULL) != 0)
        return -1;
    static const int64_t calls[] = {1, 1, 1, 1, 1, 3};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(calls); i++)
        JCO_CHECK(cx, cx->n[i] == calls[i], "test-imports called import %zu %lld times, not %lld",
                  i, (long long)cx->n[i], (long long)calls[i]);
    component_val foo = jv_str("foo");
    component_val none = jv_variant(0, NULL), some_foo = jv_variant(1, &foo);
    if (expect_call(cx, OPTIONS, "option-none-param", &none, 1, NULL) != 0 ||
        expect_call(cx, OPTIONS, "option-some-param", &some_foo, 1, NULL) != 0 ||
        expect_call(cx, OPTIONS, "option-none-result", NULL, 0, &none) != 0 ||
        expect_call(cx, OPTIONS, "option-some-result", NULL, 0, &some_foo) != 0 ||
        expect_call(cx, OPTIONS, "option-roundtrip", &some_foo, 1, &some_foo) != 0 ||
        expect_call(cx, OPTIONS, "option-roundtrip", &none, 1, &none) != 0)
        return -1;
    component_val n42 = jv_u(COMPONENT_VAL_U32, 42);
    component_val some42 = jv_variant(1, &n42);
    component_val cases[3] = {jv_variant(1, &some42), jv_variant(1, &none), none};
    for (size_t i = 0; i < 3; i++)
        if (expect_call(cx, OPTIONS, "double-option-roundtrip", &cases[i], 1, &cases[i]) != 0)
            return -1;
    return 0;
}

/* ---- results ------------------------------------------------------------------ */

#define RESULTS "test:results/test"

static int ok_f32(component_call *call, float a, component_val *result)
{
    component_val *p = one(call, jv_f32(a));
    if (!p)
        return component_call_trap(call, "out of call memory");
    *result = jv_variant(0, p);
    return 0;
}

static int err_of(component_call *call, component_val e, component_val *result)
{
    component_val *p = one(call, e);
    if (!p)
        return component_call_trap(call, "out of call memory");
    *result = jv_variant(1, p);
    return 0;
}

static component_val *e2(component_call *call, uint32_t line, uint32_t column)
{
    component_val *f = component_call_vals(call, 2);
    if (f) {
        f[0] = jv_u(COMPONENT_VAL_U32, line);
        f[1] = jv_u(COMPONENT_VAL_U32, column);
    }
    return f;
}

#define COUNT_CALL(call) (((jco_ctx *)component_call_data(call))->n[(uintptr_t)env]++)

static int res_string_error(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    COUNT_CALL(call);
    float a = args[0].of.f32;
    return a == 0.0f ? err_of(call, jv_str("zero"), result) : ok_f32(call, a, result);
}

static int res_enum_error(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    COUNT_CALL(call);
    float a = args[0].of.f32;
    return a == 0.0f ? err_of(call, jv_variant(0, NULL), result) : ok_f32(call, a, result);
}

static int res_record_error(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    COUNT_CALL(call);
    float a = args[0].of.f32;
    if (a != 0.0f && a != 1.0f)
        return ok_f32(call, a, result);
    component_val *f = a == 0.0f ? e2(call, 420, 0) : e2(call, 77, 2);
    if (!f)
        return component_call_trap(call, "out of call memory");
    return err_of(call, jv_record(f, 2), result);
}

static int res_variant_error(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    COUNT_CALL(call);
    float a = args[0].of.f32;
    if (a == 0.0f) {
        component_val *f = e2(call, 420, 0), *rec = f ? one(call, jv_record(f, 2)) : NULL;
        if (!rec)
            return component_call_trap(call, "out of call memory");
        return err_of(call, jv_variant(1, rec), result); /* e3.e2(e2{420, 0}) */
    }
    if (a == 1.0f || a == 2.0f) {
        component_val *e = one(call, jv_variant(a == 1.0f ? 1 : 2, NULL)); /* e.b / e.c */
        if (!e)
            return component_call_trap(call, "out of call memory");
        return err_of(call, jv_variant(0, e), result);
    }
    return ok_f32(call, a, result);
}

static int res_empty_error(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    COUNT_CALL(call);
    uint64_t a = args[0].of.u;
    if (a == 0) {
        *result = jv_variant(1, NULL);
        return 0;
    }
    component_val *p = one(call, jv_u(COMPONENT_VAL_U32, a == 1 ? 42 : a));
    if (!p)
        return component_call_trap(call, "out of call memory");
    *result = jv_variant(0, p);
    return 0;
}

static int res_double_error(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    COUNT_CALL(call);
    uint64_t a = args[0].of.u;
    if (a >= 2)
        return err_of(call, jv_str("two"), result);
    component_val inner = a == 0 ? jv_variant(0, NULL) : jv_variant(1, one(call, jv_str("one")));
    if (a == 1 && !inner.of.variant.payload)
        return component_call_trap(call, "out of call memory");
    component_val *p = one(call, inner);
    if (!p)
        return component_call_trap(call, "out of call memory");
    *result = jv_variant(0, p);
    return 0;
}

static int results_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    const char *types[][2] = {
        {"e", "enum{a, b, c}"},
        {"e2", "record{line: u32, column: u32}"},
        {"e3", "variant{e1(e), e2(e2)}"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(types); i++)
        if (component_linker_define_type(l, RESULTS, types[i][0], types[i][1], err) != 0)
            return -1;
    const struct {
        const char *name, *sig;
        component_host_fn fn;
    } funcs[] = {
        {"string-error", "func(a: f32) -> result<f32, string>", res_string_error},
        {"enum-error", "func(a: f32) -> result<f32, e>", res_enum_error},
        {"record-error", "func(a: f32) -> result<f32, e2>", res_record_error},
        {"variant-error", "func(a: f32) -> result<f32, e3>", res_variant_error},
        {"empty-error", "func(a: u32) -> result<u32>", res_empty_error},
        {"double-error", "func(a: u32) -> result<result<_, string>, string>", res_double_error},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(funcs); i++)
        if (component_linker_define_func(l, RESULTS, funcs[i].name, funcs[i].sig, funcs[i].fn,
                                         (void *)(uintptr_t)i, err) != 0)
            return -1;
    return 0;
}

/* The runner's assertions, through the guest's exports (which forward to
 * the host's imports). */
static int results_run(jco_ctx *cx)
{
    component_val zero = jv_f32(0), onef = jv_f32(1), twof = jv_f32(2);
    component_val s_zero = jv_str("zero");
    component_val want = jv_variant(1, &s_zero);
    if (expect_call(cx, RESULTS, "string-error", &zero, 1, &want) != 0)
        return -1;
    want = jv_variant(0, &onef);
    if (expect_call(cx, RESULTS, "string-error", &onef, 1, &want) != 0 ||
        expect_call(cx, RESULTS, "enum-error", &onef, 1, &want) != 0)
        return -1;
    component_val ea = jv_variant(0, NULL);
    want = jv_variant(1, &ea);
    if (expect_call(cx, RESULTS, "enum-error", &zero, 1, &want) != 0)
        return -1;
    component_val f420[2] = {jv_u(COMPONENT_VAL_U32, 420), jv_u(COMPONENT_VAL_U32, 0)};
    component_val f77[2] = {jv_u(COMPONENT_VAL_U32, 77), jv_u(COMPONENT_VAL_U32, 2)};
    component_val r420 = jv_record(f420, 2), r77 = jv_record(f77, 2);
    want = jv_variant(1, &r420);
    if (expect_call(cx, RESULTS, "record-error", &zero, 1, &want) != 0)
        return -1;
    want = jv_variant(1, &r77);
    if (expect_call(cx, RESULTS, "record-error", &onef, 1, &want) != 0)
        return -1;
    want = jv_variant(0, &twof);
    if (expect_call(cx, RESULTS, "record-error", &twof, 1, &want) != 0)
        return -1;
    component_val v_e2 = jv_variant(1, &r420);
    want = jv_variant(1, &v_e2);
    if (expect_call(cx, RESULTS, "variant-error", &zero, 1, &want) != 0)
        return -1;
    component_val eb = jv_variant(1, NULL), ec = jv_variant(2, NULL);
    component_val v_b = jv_variant(0, &eb), v_c = jv_variant(0, &ec);
    want = jv_variant(1, &v_b);
    if (expect_call(cx, RESULTS, "variant-error", &onef, 1, &want) != 0)
        return -1;
    want = jv_variant(1, &v_c);
    if (expect_call(cx, RESULTS, "variant-error", &twof, 1, &want) != 0)
        return -1;
    component_val u0 = jv_u(COMPONENT_VAL_U32, 0), u1 = jv_u(COMPONENT_VAL_U32, 1),
                  u2 = jv_u(COMPONENT_VAL_U32, 2), u42 = jv_u(COMPONENT_VAL_U32, 42);
    want = jv_variant(1, NULL);
    if (expect_call(cx, RESULTS, "empty-error", &u0, 1, &want) != 0)
        return -1;
    want = jv_variant(0, &u42);
    if (expect_call(cx, RESULTS, "empty-error", &u1, 1, &want) != 0)
        return -1;
    want = jv_variant(0, &u2);
    if (expect_call(cx, RESULTS, "empty-error", &u2, 1, &want) != 0)
        return -1;
    component_val ok_unit = jv_variant(0, NULL), s_one = jv_str("one"), s_two = jv_str("two");
    component_val err_one = jv_variant(1, &s_one);
    want = jv_variant(0, &ok_unit);
    if (expect_call(cx, RESULTS, "double-error", &u0, 1, &want) != 0)
        return -1;
    want = jv_variant(0, &err_one);
    if (expect_call(cx, RESULTS, "double-error", &u1, 1, &want) != 0)
        return -1;
    want = jv_variant(1, &s_two);
    if (expect_call(cx, RESULTS, "double-error", &u2, 1, &want) != 0)
        return -1;
    for (size_t i = 0; i < 6; i++)
        JCO_CHECK(cx, cx->n[i] > 0, "the guest never called host import %zu", i);
    return 0;
}


/* ---- versions ---------------------------------------------------------------- */

/* Two major versions of one interface at once (semver keys x@0.1 and
 * x@0.2): v0.1 x() = 1, y(a) = 1 + a; v0.2 x() = 2, z(a, b) = 2 + a + b.
 * env: the function's number (calls counted in n[env]). */
static int ver_host(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    uintptr_t which = (uintptr_t)env;
    cx->n[which]++;
    float r = which == 0 ? 1.0f
              : which == 1 ? 1.0f + args[0].of.f32
              : which == 2 ? 2.0f
                           : 2.0f + args[0].of.f32 + args[1].of.f32;
    *result = jv_f32(r);
    return 0;
}

static int versions_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    const char *v1 = "test:dep/test@0.1.0", *v2 = "test:dep/test@0.2.0";
    if (component_linker_define_func(l, v1, "x", "func() -> f32", ver_host, (void *)0, err) ||
        component_linker_define_func(l, v1, "y", "func(a: f32) -> f32", ver_host, (void *)1,
                                     err) ||
        component_linker_define_func(l, v2, "x", "func() -> f32", ver_host, (void *)2, err))
        return -1;
    return component_linker_define_func(l, v2, "z", "func(a: f32, b: f32) -> f32", ver_host,
                                        (void *)3, err);
}

static int versions_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "test-imports", NULL, 0, NULL) != 0)
        return -1;
    for (size_t i = 0; i < 4; i++)
        JCO_CHECK(cx, cx->n[i] == 1, "test-imports called host function %zu %lld times, not once",
                  i, (long long)cx->n[i]);
    component_val one_f = jv_f32(1), w;
    w = jv_f32(1);
    if (expect_call(cx, "test:dep/test@0.1.0", "x", NULL, 0, &w) != 0)
        return -1;
    w = jv_f32(2);
    if (expect_call(cx, "test:dep/test@0.1.0", "y", &one_f, 1, &w) != 0 ||
        expect_call(cx, "test:dep/test@0.2.0", "x", NULL, 0, &w) != 0)
        return -1;
    component_val ab[2] = {jv_f32(1), jv_f32(1)};
    w = jv_f32(4);
    return expect_call(cx, "test:dep/test@0.2.0", "z", ab, 2, &w);
}

/* ---- type_section_suffix ------------------------------------------------------ */

/* run() calls test:suffix/imports#foo through two crates, then the
 * top-level foo and bar.  env: the counter slot. */
static int count_call(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    ((jco_ctx *)component_call_data(call))->n[(uintptr_t)env]++;
    return 0;
}

static int suffix_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    if (component_linker_define_func(l, "test:suffix/imports", "foo", "func()", count_call,
                                     (void *)0, err) ||
        component_linker_define_func(l, NULL, "foo", "func()", count_call, (void *)1, err))
        return -1;
    return component_linker_define_func(l, NULL, "bar", "func()", count_call, (void *)2, err);
}

static int suffix_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "run", NULL, 0, NULL) != 0)
        return -1;
    JCO_CHECK(cx, cx->n[0] == 2 && cx->n[1] == 1 && cx->n[2] == 1,
              "run called imports#foo %lld, foo %lld, bar %lld times, not 2, 1, 1",
              (long long)cx->n[0], (long long)cx->n[1], (long long)cx->n[2]);
    return 0;
}

/* ---- resource_borrow_import ---------------------------------------------------- */

#define RBI "test:resource-borrow-import/test"

/* Host `thing`: constructor(v) holds v + 2; foo(borrow) = value + 3.  The
 * guest's test(v) = foo(thing(v + 1)) + 4. */
static int rbi_new(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    jco_obj *o = jco_obj_new(cx, (int64_t)args[0].of.u + 2);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    cx->n[0]++;
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int rbi_foo(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    jco_obj *o = jco_obj_of(cx, &args[0], env);
    JCO_HOST_CHECK(call, o && args[0].kind == COMPONENT_VAL_BORROW,
                   "foo did not get a borrow of a host thing");
    cx->n[1]++;
    *result = jv_u(COMPONENT_VAL_U32, (uint64_t)o->value + 3);
    return 0;
}

static int rbi_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    component_resource_type *t = component_linker_define_resource(l, RBI, "thing", jco_obj_dtor, err);
    if (!t || component_linker_define_func(l, RBI, "[constructor]thing",
                                           "func(v: u32) -> own<thing>", rbi_new, t, err))
        return -1;
    return component_linker_define_func(l, RBI, "foo", "func(v: borrow<thing>) -> u32", rbi_foo,
                                        t, err);
}

static int rbi_run(jco_ctx *cx)
{
    component_val v = jv_u(COMPONENT_VAL_U32, 42), w = jv_u(COMPONENT_VAL_U32, 42 + 1 + 2 + 3 + 4);
    if (expect_call(cx, NULL, "test", &v, 1, &w) != 0)
        return -1;
    JCO_CHECK(cx, cx->n[0] == 1 && cx->n[1] == 1, "constructor %lld, foo %lld calls, not 1, 1",
              (long long)cx->n[0], (long long)cx->n[1]);
    JCO_CHECK(cx, cx->drops == 1, "the guest dropped its thing; the host destructor ran %lld times",
              (long long)cx->drops);
    return 0;
}

/* ---- resource_borrow_export, resource_into_inner -------------------------------- */

/* The guest's thing(v) holds v + 1; foo(borrow) = value + 2. */
static int rbe_run(jco_ctx *cx)
{
    const char *iface = "test:resource-borrow-export/test";
    component_val v = jv_u(COMPONENT_VAL_U32, 40), own;
    if (jco_call(cx, iface, "[constructor]thing", &v, 1, &own) != 0)
        return -1;
    JCO_CHECK(cx, own.kind == COMPONENT_VAL_OWN, "[constructor]thing did not return an own");
    component_val self = jv_borrow(own.of.resource.type, own.of.resource.rep);
    component_val w = jv_u(COMPONENT_VAL_U32, 43);
    if (expect_call(cx, iface, "foo", &self, 1, &w) != 0 || jco_finish_call(cx) != 0)
        return -1;
    wasm_result res;
    wasm_result_init(&res);
    JCO_CHECK(cx, component_resource_drop(cx->inst, &own, &res) == 0, "drop thing: %s",
              res.message);
    return 0;
}

/* test() makes a thing, takes its representation back (into_inner) and
 * checks the text survived. */
static int rii_run(jco_ctx *cx)
{
    return jco_call(cx, "test:resource-into-inner/test", "test", NULL, 0, NULL);
}

/* ---- resources ------------------------------------------------------------------ */

#define RES_IMPORTS "imports"
#define RES_EXPORTS "exports"

/* Host `y`: an s32 cell; add(own y, a) gives the same object back with
 * a added.  The guest drops y, y1 and y2 (the handles of the results
 * reuse the moved ones' slots): three host objects die once each. */
static int y_new(component_call *call, void *env, const component_val *args, size_t nargs,
                 component_val *result)
{
    jco_obj *o = jco_obj_new(component_call_data(call), args[0].of.s);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int y_get_a(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_obj *o = jco_obj_of(component_call_data(call), &args[0], env);
    JCO_HOST_CHECK(call, o && args[0].kind == COMPONENT_VAL_BORROW, "get-a: self is not a y");
    *result = jv_s(COMPONENT_VAL_S32, o->value);
    return 0;
}

static int y_set_a(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_obj *o = jco_obj_of(component_call_data(call), &args[0], env);
    JCO_HOST_CHECK(call, o && args[0].kind == COMPONENT_VAL_BORROW, "set-a: self is not a y");
    o->value = args[1].of.s;
    return 0;
}

static int y_add(component_call *call, void *env, const component_val *args, size_t nargs,
                 component_val *result)
{
    jco_obj *o = jco_obj_of(component_call_data(call), &args[0], env);
    JCO_HOST_CHECK(call, o && args[0].kind == COMPONENT_VAL_OWN, "add: y is not an own y");
    o->value += args[1].of.s;
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int resources_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    component_resource_type *y =
        component_linker_define_resource(l, RES_IMPORTS, "y", jco_obj_dtor, err);
    if (!y)
        return -1;
    const struct {
        const char *name, *sig;
        component_host_fn fn;
    } funcs[] = {
        {"[constructor]y", "func(a: s32) -> own<y>", y_new},
        {"[method]y.get-a", "func(self: borrow<y>) -> s32", y_get_a},
        {"[method]y.set-a", "func(self: borrow<y>, a: s32)", y_set_a},
        {"[static]y.add", "func(y: own<y>, a: s32) -> own<y>", y_add},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(funcs); i++)
        if (component_linker_define_func(l, RES_IMPORTS, funcs[i].name, funcs[i].sig,
                                         funcs[i].fn, y, err) != 0)
            return -1;
    return 0;
}

static int drop_own(jco_ctx *cx, const component_val *own, const char *what)
{
    if (jco_finish_call(cx) != 0)
        return -1;
    wasm_result res;
    wasm_result_init(&res);
    JCO_CHECK(cx, component_resource_drop(cx->inst, own, &res) == 0, "drop %s: %s", what,
              res.message);
    return 0;
}

/* Calls a method taking only `self` (as a borrow of `own`) and checks the
 * result. */
static int expect_method(jco_ctx *cx, const char *name, const component_val *own,
                         const component_val *want)
{
    component_val self = jv_borrow(own->of.resource.type, own->of.resource.rep);
    return expect_call(cx, RES_EXPORTS, name, &self, 1, want);
}

static int resources_run(jco_ctx *cx)
{
    component_val ok = jv_variant(0, NULL);
    if (expect_call(cx, RES_EXPORTS, "test-imports", NULL, 0, &ok) != 0)
        return -1;
    JCO_CHECK(cx, cx->nobjs == 3 && cx->drops == 3,
              "test-imports made %zu host y and dropped %lld, not 3 and 3", cx->nobjs,
              (long long)cx->drops);

    /* x: constructor, get-a, set-a, static add (own in, own out) */
    component_val a = jv_s(COMPONENT_VAL_S32, 5), x, w;
    if (jco_call(cx, RES_EXPORTS, "[constructor]x", &a, 1, &x) != 0)
        return -1;
    JCO_CHECK(cx, x.kind == COMPONENT_VAL_OWN, "[constructor]x did not return an own");
    w = jv_s(COMPONENT_VAL_S32, 5);
    if (expect_method(cx, "[method]x.get-a", &x, &w) != 0)
        return -1;
    component_val set[2] = {jv_borrow(x.of.resource.type, x.of.resource.rep),
                            jv_s(COMPONENT_VAL_S32, 10)};
    if (expect_call(cx, RES_EXPORTS, "[method]x.set-a", set, 2, NULL) != 0)
        return -1;
    w = jv_s(COMPONENT_VAL_S32, 10);
    if (expect_method(cx, "[method]x.get-a", &x, &w) != 0)
        return -1;
    component_val add[2] = {x, jv_s(COMPONENT_VAL_S32, 5)}, x2;
    if (jco_call(cx, RES_EXPORTS, "[static]x.add", add, 2, &x2) != 0)
        return -1;
    JCO_CHECK(cx, x2.kind == COMPONENT_VAL_OWN, "[static]x.add did not return an own");
    w = jv_s(COMPONENT_VAL_S32, 15);
    if (expect_method(cx, "[method]x.get-a", &x2, &w) != 0 || drop_own(cx, &x2, "x") != 0)
        return -1;

    /* z: two made by the host, added through borrows */
    component_val z1, z2, z3;
    component_val a10 = jv_s(COMPONENT_VAL_S32, 10), a20 = jv_s(COMPONENT_VAL_S32, 20);
    if (jco_call(cx, RES_EXPORTS, "[constructor]z", &a10, 1, &z1) != 0 ||
        jco_call(cx, RES_EXPORTS, "[constructor]z", &a20, 1, &z2) != 0)
        return -1;
    component_val zs[2] = {jv_borrow(z1.of.resource.type, z1.of.resource.rep),
                           jv_borrow(z2.of.resource.type, z2.of.resource.rep)};
    if (jco_call(cx, RES_EXPORTS, "add", zs, 2, &z3) != 0)
        return -1;
    w = jv_s(COMPONENT_VAL_S32, 30);
    if (expect_method(cx, "[method]z.get-a", &z3, &w) != 0 || drop_own(cx, &z1, "z1") != 0 ||
        drop_own(cx, &z2, "z2") != 0 || drop_own(cx, &z3, "z3") != 0)
        return -1;

    /* kebab-case: a method and a static that takes ownership */
    component_val one_u = jv_u(COMPONENT_VAL_U32, 1), k;
    if (jco_call(cx, RES_EXPORTS, "[constructor]kebab-case", &one_u, 1, &k) != 0)
        return -1;
    if (expect_method(cx, "[method]kebab-case.get-a", &k, &one_u) != 0)
        return -1;
    return expect_call(cx, RES_EXPORTS, "[static]kebab-case.take-owned", &k, 1, &one_u);
}

/* ---- resource_with_lists ---------------------------------------------------------- */

#define RWL "test:resource-with-lists/test"

/* Host `thing` holds bytes: new(l) = l + " HostThing", foo() = held +
 * " HostThing.foo", bar(l) holds l + " HostThing.bar", static baz(l) =
 * l + " HostThing.baz".  The guest wraps each with its own suffixes. */
static size_t list_bytes(const component_val *v, char *to, size_t cap)
{
    size_t n = v->of.list.n < cap ? v->of.list.n : cap;
    for (size_t i = 0; i < n; i++)
        to[i] = (char)jv_list_bits(v, i, 1);
    return n;
}

static int bytes_result(component_call *call, const char *a, size_t alen, const char *suffix,
                        component_val *result)
{
    size_t slen = strlen(suffix);
    char *b = component_call_alloc(call, alen + slen + 1);
    if (!b)
        return component_call_trap(call, "out of call memory");
    memcpy(b, a, alen);
    memcpy(b + alen, suffix, slen);
    *result = jv_raw(b, alen + slen);
    return 0;
}

static void hold(jco_obj *o, const char *a, size_t alen, const char *suffix)
{
    size_t slen = strlen(suffix);
    if (alen + slen > sizeof o->text)
        alen = sizeof o->text - slen;
    memcpy(o->text, a, alen);
    memcpy(o->text + alen, suffix, slen);
    o->len = alen + slen;
}

static int rwl_new(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_obj *o = jco_obj_new(component_call_data(call), 0);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    char buf[128];
    hold(o, buf, list_bytes(&args[0], buf, sizeof buf), " HostThing");
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int rwl_foo(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_obj *o = jco_obj_of(component_call_data(call), &args[0], env);
    JCO_HOST_CHECK(call, o != NULL, "foo: self is not a host thing");
    return bytes_result(call, o->text, o->len, " HostThing.foo", result);
}

static int rwl_bar(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_obj *o = jco_obj_of(component_call_data(call), &args[0], env);
    JCO_HOST_CHECK(call, o != NULL, "bar: self is not a host thing");
    char buf[128];
    hold(o, buf, list_bytes(&args[1], buf, sizeof buf), " HostThing.bar");
    return 0;
}

static int rwl_baz(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    char buf[128];
    return bytes_result(call, buf, list_bytes(&args[0], buf, sizeof buf), " HostThing.baz",
                        result);
}

static int rwl_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    component_resource_type *t =
        component_linker_define_resource(l, RWL, "thing", jco_obj_dtor, err);
    if (!t)
        return -1;
    const struct {
        const char *name, *sig;
        component_host_fn fn;
    } funcs[] = {
        {"[constructor]thing", "func(l: list<u8>) -> own<thing>", rwl_new},
        {"[method]thing.foo", "func(self: borrow<thing>) -> list<u8>", rwl_foo},
        {"[method]thing.bar", "func(self: borrow<thing>, l: list<u8>)", rwl_bar},
        {"[static]thing.baz", "func(l: list<u8>) -> list<u8>", rwl_baz},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(funcs); i++)
        if (component_linker_define_func(l, RWL, funcs[i].name, funcs[i].sig, funcs[i].fn, t,
                                         err) != 0)
            return -1;
    return 0;
}

static int expect_bytes(jco_ctx *cx, const char *name, const component_val *args, size_t nargs,
                        const char *want)
{
    component_val w = jv_raw(want, strlen(want));
    return expect_call(cx, RWL, name, args, nargs, &w);
}

static int rwl_run(jco_ctx *cx)
{
    component_val hi = jv_raw("Hi", 2), thing;
    if (jco_call(cx, RWL, "[constructor]thing", &hi, 1, &thing) != 0)
        return -1;
    JCO_CHECK(cx, thing.kind == COMPONENT_VAL_OWN, "[constructor]thing did not return an own");
    component_val self = jv_borrow(thing.of.resource.type, thing.of.resource.rep);
    if (expect_bytes(cx, "[method]thing.foo", &self, 1,
                     "Hi Thing HostThing HostThing.foo Thing.foo") != 0)
        return -1;
    component_val bar[2] = {self, jv_raw("Hola", 4)};
    if (expect_call(cx, RWL, "[method]thing.bar", bar, 2, NULL) != 0 ||
        expect_bytes(cx, "[method]thing.foo", &self, 1,
                     "Hola Thing.bar HostThing.bar HostThing.foo Thing.foo") != 0)
        return -1;
    component_val oh = jv_raw("Ohayo Gozaimas", 14);
    if (expect_bytes(cx, "[static]thing.baz", &oh, 1,
                     "Ohayo Gozaimas Thing.baz HostThing.baz Thing.baz again") != 0)
        return -1;
    if (drop_own(cx, &thing, "thing") != 0)
        return -1;
    JCO_CHECK(cx, cx->drops == 1, "the guest's thing died but the host thing it held was "
                                  "dropped %lld times, not once",
              (long long)cx->drops);
    return 0;
}

/* ---- borrowing, borrowing-duplicate-if-necessary, owning ------------------------- */

/* One guest (tests/runtime/ownership) built with three ownership modes of
 * wit-bindgen's Rust generator: foo() sends lists of strings, records of
 * them, and a resource inside a record; the host checks each and echoes
 * what it must return. */
#define OWN_IFACE "test:ownership/both-list-and-resource"

static bool is_strs(const component_val *v, const char *const *want, size_t n)
{
    if (v->kind != COMPONENT_VAL_LIST || v->of.list.n != n || (n && !v->of.list.items))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!jv_is_str(&v->of.list.items[i], want[i]))
            return false;
    return true;
}

static int own_lists_foo(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    static const char *const foobar[] = {"foo", "bar"};
    const component_val *a = &args[0];
    JCO_HOST_CHECK(call, a->of.list.n == 1 && is_strs(&a->of.list.items[0], foobar, 2),
                   "lists#foo did not get [[foo, bar]]");
    ((jco_ctx *)component_call_data(call))->n[0]++;
    component_val *copy = jv_dup(call, a, 1);
    if (!copy)
        return -1;
    *result = *copy;
    return 0;
}

static bool is_thing1(const component_val *v)
{
    static const char *const values[] = {"some value", "another value"};
    return v->kind == COMPONENT_VAL_RECORD && v->of.record.n == 2 &&
           jv_is_str(&v->of.record.fields[0], "thing 1") &&
           is_strs(&v->of.record.fields[1], values, 2);
}

static int own_bar(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    JCO_HOST_CHECK(call, is_thing1(&args[0]), "thing-in#bar did not get thing 1");
    ((jco_ctx *)component_call_data(call))->n[1]++;
    return 0;
}

static int own_baz(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    JCO_HOST_CHECK(call, is_thing1(&args[0]), "thing-in-and-out#baz did not get thing 1");
    ((jco_ctx *)component_call_data(call))->n[2]++;
    component_val *copy = jv_dup(call, &args[0], 1);
    if (!copy)
        return -1;
    *result = *copy;
    return 0;
}

static const char *const foobarbaz[] = {"foo", "bar", "baz"};

static int own_resource_new(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    JCO_HOST_CHECK(call, is_strs(&args[0], foobarbaz, 3),
                   "[constructor]the-resource did not get [foo, bar, baz]");
    jco_obj *o = jco_obj_new(cx, 0);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    cx->n[3]++;
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int own_list_and_resource(component_call *call, void *env, const component_val *args,
                                 size_t nargs, component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    const component_val *t = &args[0];
    JCO_HOST_CHECK(call,
                   t->kind == COMPONENT_VAL_RECORD && t->of.record.n == 2 &&
                       is_strs(&t->of.record.fields[0], foobarbaz, 3) &&
                       t->of.record.fields[1].kind == COMPONENT_VAL_OWN &&
                       jco_obj_of(cx, &t->of.record.fields[1], env) == &cx->objs[0],
                   "list-and-resource did not get {a: [foo, bar, baz], b: the resource made}");
    cx->n[4]++;
    return 0;
}

static int ownership_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    const char *thing = "record{name: string, value: list<string>}";
    if (component_linker_define_type(l, "thing-in", "thing", thing, err) ||
        component_linker_define_type(l, "thing-in-and-out", "thing", thing, err) ||
        component_linker_define_func(l, "lists", "foo",
                                     "func(a: list<list<string>>) -> list<list<string>>",
                                     own_lists_foo, NULL, err) ||
        component_linker_define_func(l, "thing-in", "bar", "func(a: thing)", own_bar, NULL, err) ||
        component_linker_define_func(l, "thing-in-and-out", "baz", "func(a: thing) -> thing",
                                     own_baz, NULL, err))
        return -1;
    component_resource_type *r =
        component_linker_define_resource(l, OWN_IFACE, "the-resource", jco_obj_dtor, err);
    if (!r ||
        component_linker_define_type(l, OWN_IFACE, "thing",
                                     "record{a: list<string>, b: own<the-resource>}", err) ||
        component_linker_define_func(l, OWN_IFACE, "[constructor]the-resource",
                                     "func(the-list: list<string>) -> own<the-resource>",
                                     own_resource_new, r, err))
        return -1;
    return component_linker_define_func(l, OWN_IFACE, "list-and-resource", "func(a: thing)",
                                        own_list_and_resource, r, err);
}

static int ownership_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "foo", NULL, 0, NULL) != 0)
        return -1;
    for (size_t i = 0; i < 5; i++)
        JCO_CHECK(cx, cx->n[i] == 1, "foo called host import %zu %lld times, not once", i,
                  (long long)cx->n[i]);
    /* the resource moved to the host inside the record: the guest does
     * not drop it, so no destructor ran */
    JCO_CHECK(cx, cx->drops == 0, "the host's resource was dropped %lld times while the host owns it",
              (long long)cx->drops);
    return 0;
}

/* ---- resource_alias ------------------------------------------------------------------ */

/* The guest's x (e1) travels inside records, through e2's alias of it,
 * and comes back in lists: the same representations return. */
#define E1 "test:resource-alias/e1"
#define E2 "test:resource-alias/e2"

static int new_x(jco_ctx *cx, uint32_t v, component_val *own)
{
    component_val arg = jv_u(COMPONENT_VAL_U32, v);
    if (jco_call(cx, E1, "[constructor]x", &arg, 1, own) != 0)
        return -1;
    JCO_CHECK(cx, own->kind == COMPONENT_VAL_OWN, "[constructor]x did not return an own");
    return jco_finish_call(cx);
}

/* The result is a list of owns with these reps; drops them. */
static int check_owns_back(jco_ctx *cx, const char *what, const component_val *r,
                           const component_val *const *sent, size_t n)
{
    JCO_CHECK(cx, r->kind == COMPONENT_VAL_LIST && r->of.list.n == n && r->of.list.items,
              "%s did not return a list of %zu", what, n);
    component_val back[4];
    for (size_t i = 0; i < n; i++) {
        back[i] = r->of.list.items[i];
        JCO_CHECK(cx, back[i].kind == COMPONENT_VAL_OWN &&
                          back[i].of.resource.rep == sent[i]->of.resource.rep,
                  "%s: element %zu is not the x sent", what, i);
    }
    if (jco_finish_call(cx) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (drop_own(cx, &back[i], what) != 0)
            return -1;
    return 0;
}

static int alias_run(jco_ctx *cx)
{
    component_val x1, x3, x4, x5, r;
    if (new_x(cx, 1, &x1) != 0)
        return -1;
    component_val foo1 = jv_record(&x1, 1);
    if (jco_call(cx, E1, "a", &foo1, 1, &r) != 0)
        return -1;
    const component_val *sent1[] = {&x1};
    if (check_owns_back(cx, "e1.a", &r, sent1, 1) != 0)
        return -1;
    if (new_x(cx, 3, &x3) != 0 || new_x(cx, 4, &x4) != 0 || new_x(cx, 5, &x5) != 0)
        return -1;
    component_val args[3] = {jv_record(&x3, 1), jv_record(&x4, 1),
                             jv_borrow(x5.of.resource.type, x5.of.resource.rep)};
    if (jco_call(cx, E2, "a", args, 3, &r) != 0)
        return -1;
    const component_val *sent2[] = {&x3, &x4};
    if (check_owns_back(cx, "e2.a", &r, sent2, 2) != 0)
        return -1;
    return drop_own(cx, &x5, "x5");
}

/* ---- resource_aggregates ----------------------------------------------------------- */

/* Thirteen parameters holding own and borrow handles in records, tuples,
 * variants, lists, options and results (23 flat values: passed through
 * memory).  The host makes 17 guest things (each of which makes a host
 * thing holding v + 1), passes them to the guest's foo, which unwraps
 * them and forwards the host things to the host's foo; that sums what the
 * things hold.  Result: sum(v + 1) + 4. */
#define AGG "test:resource-aggregates/test"

typedef struct agg_walk {
    jco_ctx *cx;
    component_resource_type *type;
    int64_t sum;
    int owns, borrows;
    bool bad;
} agg_walk;

static void agg_visit(agg_walk *w, const component_val *v)
{
    switch (v->kind) {
    case COMPONENT_VAL_OWN:
    case COMPONENT_VAL_BORROW: {
        jco_obj *o = jco_obj_of(w->cx, v, w->type);
        if (!o) {
            w->bad = true;
            return;
        }
        w->sum += o->value;
        if (v->kind == COMPONENT_VAL_OWN)
            w->owns++;
        else
            w->borrows++;
        return;
    }
    case COMPONENT_VAL_RECORD:
        for (size_t i = 0; i < v->of.record.n; i++)
            agg_visit(w, &v->of.record.fields[i]);
        return;
    case COMPONENT_VAL_VARIANT:
        if (v->of.variant.payload)
            agg_visit(w, v->of.variant.payload);
        return;
    case COMPONENT_VAL_LIST:
        for (size_t i = 0; v->of.list.items && i < v->of.list.n; i++)
            agg_visit(w, &v->of.list.items[i]);
        return;
    default: w->bad = true; return;
    }
}

static int agg_new(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_obj *o = jco_obj_new(component_call_data(call), (int64_t)args[0].of.u);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int agg_foo(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    agg_walk w = {.cx = component_call_data(call), .type = env};
    for (size_t i = 0; i < nargs; i++)
        agg_visit(&w, &args[i]);
    JCO_HOST_CHECK(call, !w.bad && nargs == 13, "foo got something that is not a host thing");
    JCO_HOST_CHECK(call, w.owns == 9 && w.borrows == 8,
                   "foo got %d owns and %d borrows, not 9 and 8", w.owns, w.borrows);
    w.cx->n[0]++;
    *result = jv_u(COMPONENT_VAL_U32, (uint64_t)w.sum);
    return 0;
}

static int agg_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    component_resource_type *t = component_linker_define_resource(l, AGG, "thing", jco_obj_dtor, err);
    if (!t)
        return -1;
    const char *types[][2] = {
        {"r1", "record{thing: own<thing>}"},
        {"r2", "record{thing: borrow<thing>}"},
        {"r3", "record{thing1: borrow<thing>, thing2: own<thing>}"},
        {"t1", "tuple<own<thing>, r1>"},
        {"t2", "tuple<borrow<thing>>"},
        {"v1", "variant{thing(own<thing>)}"},
        {"v2", "variant{thing(borrow<thing>)}"},
        {"l1", "list<own<thing>>"},
        {"l2", "list<borrow<thing>>"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(types); i++)
        if (component_linker_define_type(l, AGG, types[i][0], types[i][1], err) != 0)
            return -1;
    if (component_linker_define_func(l, AGG, "[constructor]thing", "func(v: u32) -> own<thing>",
                                     agg_new, t, err) != 0)
        return -1;
    return component_linker_define_func(
        l, AGG, "foo",
        "func(r1: r1, r2: r2, r3: r3, t1: t1, t2: t2, v1: v1, v2: v2, l1: l1, l2: l2, "
        "o1: option<own<thing>>, o2: option<borrow<thing>>, result1: result<own<thing>>, "
        "result2: result<borrow<thing>>) -> u32",
        agg_foo, t, err);
}

static int agg_run(jco_ctx *cx)
{
    component_val th[18]; /* th[v] = the guest thing made with v */
    for (uint32_t v = 1; v <= 17; v++) {
        component_val arg = jv_u(COMPONENT_VAL_U32, v);
        if (jco_call(cx, AGG, "[constructor]thing", &arg, 1, &th[v]) != 0)
            return -1;
        JCO_CHECK(cx, th[v].kind == COMPONENT_VAL_OWN, "[constructor]thing did not return an own");
    }
    if (jco_finish_call(cx) != 0)
        return -1;
#define B(v) jv_borrow(th[v].of.resource.type, th[v].of.resource.rep)
    component_val r1f = th[1], r2f = B(2), r3f[2] = {B(3), th[4]};
    component_val t1r = jv_record(&th[6], 1), t1f[2] = {th[5], t1r}, t2f = B(7);
    component_val l1[2] = {th[10], th[11]}, l2[2] = {B(12), B(13)};
    component_val v2f = B(9), o2 = B(15), res2 = B(17);
    component_val args[13] = {
        jv_record(&r1f, 1),      jv_record(&r2f, 1),      jv_record(r3f, 2),
        jv_record(t1f, 2),       jv_record(&t2f, 1),      jv_variant(0, &th[8]),
        jv_variant(0, &v2f),     jv_list(l1, 2),
        jv_list(l2, 2),          jv_variant(1, &th[14]),  jv_variant(1, &o2),
        jv_variant(0, &th[16]),  jv_variant(0, &res2),
    };
#undef B
    component_val want = jv_u(COMPONENT_VAL_U32, 153 + 17 + 4);
    if (expect_call(cx, AGG, "foo", args, 13, &want) != 0)
        return -1;
    JCO_CHECK(cx, cx->n[0] == 1, "the guest called the host's foo %lld times, not once",
              (long long)cx->n[0]);
    /* the 8 things only lent are still the host's: dropping each drops the
     * host thing it holds */
    const int lent[] = {2, 3, 7, 9, 12, 13, 15, 17};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(lent); i++)
        if (drop_own(cx, &th[lent[i]], "thing") != 0)
            return -1;
    JCO_CHECK(cx, cx->drops == 8, "8 guest things dropped, %lld host things with them, not 8",
              (long long)cx->drops);
    return 0;
}

/* ---- resource_borrow_in_record ------------------------------------------------------- */

/* Host `thing` holds text: new(s) holds s + " HostThing", get() = held +
 * " HostThing.get", test(list<foo{borrow}>) makes a new thing per foo
 * holding the lent one's text + " HostThing.test".  The guest's thing
 * wraps a host thing and adds its own suffixes. */
#define RBR "test:resource-borrow-in-record/test"

static int text_result(component_call *call, const char *a, size_t alen, const char *suffix,
                       component_val *result)
{
    size_t slen = strlen(suffix);
    char *b = component_call_alloc(call, alen + slen + 1);
    if (!b)
        return component_call_trap(call, "out of call memory");
    memcpy(b, a, alen);
    memcpy(b + alen, suffix, slen);
    *result = (component_val){.kind = COMPONENT_VAL_STRING, .of.str = {b, alen + slen}};
    return 0;
}

static int rbr_new(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_obj *o = jco_obj_new(component_call_data(call), 0);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    size_t n = args[0].of.str.len < 100 ? args[0].of.str.len : 100;
    hold(o, args[0].of.str.ptr, n, " HostThing");
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int rbr_get(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_obj *o = jco_obj_of(component_call_data(call), &args[0], env);
    JCO_HOST_CHECK(call, o && args[0].kind == COMPONENT_VAL_BORROW, "get: self is not a thing");
    return text_result(call, o->text, o->len, " HostThing.get", result);
}

static int rbr_test(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    const component_val *l = &args[0];
    component_val *owns = l->of.list.n ? component_call_vals(call, l->of.list.n) : NULL;
    JCO_HOST_CHECK(call, l->of.list.n == 0 || owns, "out of call memory");
    for (size_t i = 0; i < l->of.list.n; i++) {
        const component_val *f = &l->of.list.items[i];
        jco_obj *lent = f->kind == COMPONENT_VAL_RECORD && f->of.record.n == 1
                            ? jco_obj_of(cx, &f->of.record.fields[0], env)
                            : NULL;
        JCO_HOST_CHECK(call, lent && f->of.record.fields[0].kind == COMPONENT_VAL_BORROW,
                       "test: element %zu is not a foo lending a host thing", i);
        jco_obj *o = jco_obj_new(cx, 0);
        JCO_HOST_CHECK(call, o != NULL, "too many host objects");
        hold(o, lent->text, lent->len < 100 ? lent->len : 100, " HostThing.test");
        owns[i] = jv_own(env, (uintptr_t)o);
    }
    cx->n[0]++;
    *result = jv_list(owns, l->of.list.n);
    return 0;
}

static int rbr_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    component_resource_type *t = component_linker_define_resource(l, RBR, "thing", jco_obj_dtor, err);
    if (!t || component_linker_define_type(l, RBR, "foo", "record{thing: borrow<thing>}", err) ||
        component_linker_define_func(l, RBR, "[constructor]thing", "func(s: string) -> own<thing>",
                                     rbr_new, t, err) ||
        component_linker_define_func(l, RBR, "[method]thing.get",
                                     "func(self: borrow<thing>) -> string", rbr_get, t, err))
        return -1;
    return component_linker_define_func(l, RBR, "test", "func(a: list<foo>) -> list<own<thing>>",
                                        rbr_test, t, err);
}

static int rbr_run(jco_ctx *cx)
{
    const char *words[2] = {"Bonjour", "mon cher"};
    component_val made[2], got[2];
    for (size_t i = 0; i < 2; i++) {
        component_val s = jv_str(words[i]);
        if (jco_call(cx, RBR, "[constructor]thing", &s, 1, &made[i]) != 0)
            return -1;
        JCO_CHECK(cx, made[i].kind == COMPONENT_VAL_OWN, "[constructor]thing did not return an own");
    }
    component_val lend[2] = {jv_borrow(made[0].of.resource.type, made[0].of.resource.rep),
                             jv_borrow(made[1].of.resource.type, made[1].of.resource.rep)};
    component_val foos[2] = {jv_record(&lend[0], 1), jv_record(&lend[1], 1)}, r;
    component_val arg = jv_list(foos, 2);
    if (jco_call(cx, RBR, "test", &arg, 1, &r) != 0)
        return -1;
    JCO_CHECK(cx, r.kind == COMPONENT_VAL_LIST && r.of.list.n == 2 && r.of.list.items &&
                      r.of.list.items[0].kind == COMPONENT_VAL_OWN &&
                      r.of.list.items[1].kind == COMPONENT_VAL_OWN,
              "test did not return two owns");
    got[0] = r.of.list.items[0];
    got[1] = r.of.list.items[1];
    for (size_t i = 0; i < 2; i++) {
        char want[160];
        snprintf(want, sizeof want, "%s Thing HostThing HostThing.test HostThing.get Thing.get",
                 words[i]);
        component_val self = jv_borrow(got[i].of.resource.type, got[i].of.resource.rep);
        component_val w = jv_str(want);
        if (expect_call(cx, RBR, "[method]thing.get", &self, 1, &w) != 0)
            return -1;
    }
    for (size_t i = 0; i < 2; i++)
        if (drop_own(cx, &made[i], "thing") != 0 || drop_own(cx, &got[i], "thing") != 0)
            return -1;
    JCO_CHECK(cx, cx->drops == 4, "4 guest things dropped, %lld host things with them, not 4",
              (long long)cx->drops);
    return 0;
}

/* ---- resource_floats --------------------------------------------------------------- */

/* Two host float types (interface `imports` and test:resource-floats/test)
 * and a guest one wrapping the first.  Host floats: new(v) holds v, get()
 * returns it, imports' static add(own a, b) makes one holding a + b.  The
 * guest's float(v) wraps a host float of v + 1, its get() adds 3, its
 * static add(own a, b) = float(host add(a's host float, b).get() + 5);
 * the top-level add(borrow a, borrow b) makes a test float of
 * a.get() + b.get() + 5. */
#define RF_IMPORTS "imports"
#define RF_TEST "test:resource-floats/test"

static int rf_new(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    jco_obj *o = jco_obj_new(component_call_data(call), 0);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    o->f = args[0].of.f64;
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int rf_get(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    jco_obj *o = jco_obj_of(component_call_data(call), &args[0], env);
    JCO_HOST_CHECK(call, o && args[0].kind == COMPONENT_VAL_BORROW, "get: self is not a float");
    *result = jv_f64(o->f);
    return 0;
}

static int rf_add(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    jco_obj *a = jco_obj_of(cx, &args[0], env);
    JCO_HOST_CHECK(call, a && args[0].kind == COMPONENT_VAL_OWN, "add: a is not an own float");
    jco_obj *o = jco_obj_new(cx, 0);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    o->f = a->f + args[1].of.f64;
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int rf_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    component_resource_type *imp =
        component_linker_define_resource(l, RF_IMPORTS, "float", jco_obj_dtor, err);
    component_resource_type *test =
        imp ? component_linker_define_resource(l, RF_TEST, "float", jco_obj_dtor, err) : NULL;
    if (!test || component_linker_alias_resource(l, NULL, "float", test, err))
        return -1;
    cx->types[0] = test;
    if (component_linker_define_func(l, RF_IMPORTS, "[constructor]float",
                                     "func(v: f64) -> own<float>", rf_new, imp, err) ||
        component_linker_define_func(l, RF_IMPORTS, "[method]float.get",
                                     "func(self: borrow<float>) -> f64", rf_get, imp, err) ||
        component_linker_define_func(l, RF_IMPORTS, "[static]float.add",
                                     "func(a: own<float>, b: f64) -> own<float>", rf_add, imp,
                                     err) ||
        component_linker_define_func(l, RF_TEST, "[constructor]float",
                                     "func(v: f64) -> own<float>", rf_new, test, err))
        return -1;
    return component_linker_define_func(l, RF_TEST, "[method]float.get",
                                        "func(self: borrow<float>) -> f64", rf_get, test, err);
}

static int rf_run(jco_ctx *cx)
{
    const char *ex = "exports";
    component_val v = jv_f64(42), f, g, w;
    if (jco_call(cx, ex, "[constructor]float", &v, 1, &f) != 0)
        return -1;
    JCO_CHECK(cx, f.kind == COMPONENT_VAL_OWN, "[constructor]float did not return an own");
    component_val self = jv_borrow(f.of.resource.type, f.of.resource.rep);
    w = jv_f64(46);
    if (expect_call(cx, ex, "[method]float.get", &self, 1, &w) != 0)
        return -1;
    component_val add[2] = {f, jv_f64(5)};
    if (jco_call(cx, ex, "[static]float.add", add, 2, &g) != 0)
        return -1;
    JCO_CHECK(cx, g.kind == COMPONENT_VAL_OWN, "[static]float.add did not return an own");
    self = jv_borrow(g.of.resource.type, g.of.resource.rep);
    w = jv_f64(43 + 5 + 6 + 3);
    if (expect_call(cx, ex, "[method]float.get", &self, 1, &w) != 0)
        return -1;
    /* the host float behind the temporary of the guest's add died */
    JCO_CHECK(cx, cx->drops == 1, "after float.add %lld host floats dropped, not 1 (the temporary)",
              (long long)cx->drops);
    if (drop_own(cx, &g, "float") != 0)
        return -1;
    JCO_CHECK(cx, cx->drops == 2, "dropping the guest float dropped %lld host floats in all, not 2",
              (long long)cx->drops);

    jco_obj *a = jco_obj_new(cx, 0), *b = jco_obj_new(cx, 0);
    JCO_CHECK(cx, a && b, "too many host objects");
    a->f = 1.5;
    b->f = 2.25;
    component_val ab[2] = {jv_borrow(cx->types[0], (uintptr_t)a),
                           jv_borrow(cx->types[0], (uintptr_t)b)},
                  r;
    if (jco_call(cx, NULL, "add", ab, 2, &r) != 0)
        return -1;
    jco_obj *sum = jco_obj_of(cx, &r, cx->types[0]);
    JCO_CHECK(cx, sum && r.kind == COMPONENT_VAL_OWN && sum->f == 1.5 + 2.25 + 5,
              "add(1.5, 2.25) did not return a host float of 8.75");
    return 0;
}

/* ---- resource_import_and_export, resource-import-and-export --------------------------- */

/* One world built from Rust and from C.  Host thing: new(v) holds v,
 * foo() returns it, bar(v) sets it, static baz(own a, own b) makes one
 * holding a + b; toplevel-import(own) gives the same thing back.  The
 * guest's thing wraps a host thing(v + 1); its foo adds 2, bar passes
 * v + 3, baz = thing(host baz(..).foo() + 4) and drops the temporary. */
#define RIE "test:resource-import-and-export/test"

static int rie_foo(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_obj *o = jco_obj_of(component_call_data(call), &args[0], env);
    JCO_HOST_CHECK(call, o && args[0].kind == COMPONENT_VAL_BORROW, "foo: self is not a thing");
    *result = jv_u(COMPONENT_VAL_U32, (uint64_t)o->value);
    return 0;
}

static int rie_bar(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_obj *o = jco_obj_of(component_call_data(call), &args[0], env);
    JCO_HOST_CHECK(call, o && args[0].kind == COMPONENT_VAL_BORROW, "bar: self is not a thing");
    o->value = (int64_t)args[1].of.u;
    return 0;
}

static int rie_baz(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    jco_obj *a = jco_obj_of(cx, &args[0], env), *b = jco_obj_of(cx, &args[1], env);
    JCO_HOST_CHECK(call, a && b && args[0].kind == COMPONENT_VAL_OWN &&
                             args[1].kind == COMPONENT_VAL_OWN,
                   "baz did not get two own things");
    jco_obj *o = jco_obj_new(cx, a->value + b->value);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int rie_toplevel(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    JCO_HOST_CHECK(call, args[0].kind == COMPONENT_VAL_OWN && jco_obj_of(cx, &args[0], env),
                   "toplevel-import did not get an own host thing");
    cx->n[0]++;
    *result = args[0];
    return 0;
}

static int rie_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    component_resource_type *t = component_linker_define_resource(l, RIE, "thing", jco_obj_dtor, err);
    cx->types[0] = t;
    if (!t || component_linker_alias_resource(l, NULL, "thing", t, err) ||
        component_linker_define_func(l, RIE, "[constructor]thing", "func(v: u32) -> own<thing>",
                                     agg_new, t, err) ||
        component_linker_define_func(l, RIE, "[method]thing.foo",
                                     "func(self: borrow<thing>) -> u32", rie_foo, t, err) ||
        component_linker_define_func(l, RIE, "[method]thing.bar",
                                     "func(self: borrow<thing>, v: u32)", rie_bar, t, err) ||
        component_linker_define_func(l, RIE, "[static]thing.baz",
                                     "func(a: own<thing>, b: own<thing>) -> own<thing>", rie_baz,
                                     t, err))
        return -1;
    return component_linker_define_func(l, NULL, "toplevel-import",
                                        "func(a: own<thing>) -> own<thing>", rie_toplevel, t, err);
}

static int rie_new(jco_ctx *cx, uint32_t v, component_val *own)
{
    component_val arg = jv_u(COMPONENT_VAL_U32, v);
    if (jco_call(cx, RIE, "[constructor]thing", &arg, 1, own) != 0)
        return -1;
    JCO_CHECK(cx, own->kind == COMPONENT_VAL_OWN, "[constructor]thing did not return an own");
    return 0;
}

static int rie_check_foo(jco_ctx *cx, const component_val *own, uint32_t want)
{
    component_val self = jv_borrow(own->of.resource.type, own->of.resource.rep);
    component_val w = jv_u(COMPONENT_VAL_U32, want);
    return expect_call(cx, RIE, "[method]thing.foo", &self, 1, &w);
}

/* `inner_drops`: host things dropped when the guest drops its two things
 * (the Rust guest drops the host thing it wraps, the C guest does not). */
static int rie_run_with(jco_ctx *cx, int64_t inner_drops)
{
    component_val t, a, b, c;
    if (rie_new(cx, 7, &t) != 0 || rie_check_foo(cx, &t, 10) != 0)
        return -1;
    component_val bar[2] = {jv_borrow(t.of.resource.type, t.of.resource.rep),
                            jv_u(COMPONENT_VAL_U32, 20)};
    if (expect_call(cx, RIE, "[method]thing.bar", bar, 2, NULL) != 0 ||
        rie_check_foo(cx, &t, 25) != 0)
        return -1;
    if (rie_new(cx, 1, &a) != 0 || rie_new(cx, 2, &b) != 0)
        return -1;
    component_val ab[2] = {a, b};
    if (jco_call(cx, RIE, "[static]thing.baz", ab, 2, &c) != 0)
        return -1;
    JCO_CHECK(cx, c.kind == COMPONENT_VAL_OWN, "[static]thing.baz did not return an own");
    /* host baz(2, 3) = 5, + 4 = 9, thing(9) wraps a host thing of 10 */
    if (rie_check_foo(cx, &c, 12) != 0)
        return -1;
    JCO_CHECK(cx, cx->drops == 1, "baz's temporary: %lld host things dropped, not 1",
              (long long)cx->drops);
    if (drop_own(cx, &t, "thing") != 0 || drop_own(cx, &c, "thing") != 0)
        return -1;
    JCO_CHECK(cx, cx->drops == 1 + inner_drops,
              "dropping two guest things: %lld host things dropped in all, not %lld",
              (long long)cx->drops, (long long)(1 + inner_drops));

    jco_obj *x = jco_obj_new(cx, 99);
    JCO_CHECK(cx, x != NULL, "too many host objects");
    component_val in = jv_own(cx->types[0], (uintptr_t)x), out;
    if (jco_call(cx, NULL, "toplevel-export", &in, 1, &out) != 0)
        return -1;
    JCO_CHECK(cx, out.kind == COMPONENT_VAL_OWN && out.of.resource.rep == (uintptr_t)x &&
                      cx->n[0] == 1,
              "toplevel-export did not hand the host's thing through toplevel-import and back");
    return 0;
}

static int rie_run_rust(jco_ctx *cx)
{
    return rie_run_with(cx, 2);
}

static int rie_run_c(jco_ctx *cx)
{
    return rie_run_with(cx, 0);
}

/* ---- resource_alias_redux ------------------------------------------------------------ */

/* A host thing seen through two interfaces (alias2 aliases alias1's) and
 * at the top level.  Host: new(s) holds s + " HostThing", get() = held +
 * " HostThing.get", a(foo) and b(foo, bar) give the things inside back.
 * The guest's thing wraps a host thing (s + " Thing", get + " Thing.get");
 * its a / b unwrap the host things, call the host and wrap the results. */
#define RAR1 "test:resource-alias-redux/resource-alias1"
#define RAR2 "test:resource-alias-redux/resource-alias2"

static int rar_things_back(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    component_val *owns = component_call_vals(call, nargs);
    JCO_HOST_CHECK(call, owns != NULL, "out of call memory");
    for (size_t i = 0; i < nargs; i++) {
        const component_val *f = &args[i];
        JCO_HOST_CHECK(call,
                       f->kind == COMPONENT_VAL_RECORD && f->of.record.n == 1 &&
                           f->of.record.fields[0].kind == COMPONENT_VAL_OWN &&
                           jco_obj_of(cx, &f->of.record.fields[0], env),
                       "argument %zu is not a record holding an own host thing", i);
        owns[i] = f->of.record.fields[0];
    }
    cx->n[0]++;
    *result = jv_list(owns, nargs);
    return 0;
}

static int rar_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    component_resource_type *t = component_linker_define_resource(l, RAR1, "thing", jco_obj_dtor, err);
    cx->types[0] = t;
    if (!t || component_linker_alias_resource(l, RAR2, "thing", t, err) ||
        component_linker_alias_resource(l, NULL, "thing", t, err) ||
        component_linker_define_type(l, RAR1, "foo", "record{thing: own<thing>}", err) ||
        component_linker_define_type(l, RAR2, "foo", "record{thing: own<thing>}", err) ||
        component_linker_define_type(l, RAR2, "bar", "record{thing: own<thing>}", err) ||
        component_linker_define_func(l, RAR1, "[constructor]thing", "func(s: string) -> own<thing>",
                                     rbr_new, t, err) ||
        component_linker_define_func(l, RAR1, "[method]thing.get",
                                     "func(self: borrow<thing>) -> string", rbr_get, t, err) ||
        component_linker_define_func(l, RAR1, "a", "func(f: foo) -> list<own<thing>>",
                                     rar_things_back, t, err))
        return -1;
    return component_linker_define_func(l, RAR2, "b", "func(f: foo, g: bar) -> list<own<thing>>",
                                        rar_things_back, t, err);
}

static int rar_new(jco_ctx *cx, const char *s, component_val *own)
{
    component_val arg = jv_str(s);
    if (jco_call(cx, RAR1, "[constructor]thing", &arg, 1, own) != 0)
        return -1;
    JCO_CHECK(cx, own->kind == COMPONENT_VAL_OWN, "[constructor]thing did not return an own");
    return jco_finish_call(cx);
}

/* `r` is a list of n guest things whose get() says word + the suffixes;
 * copies them into `out`. */
static int rar_check(jco_ctx *cx, const component_val *r, const char *const *words, size_t n,
                     component_val *out)
{
    JCO_CHECK(cx, r->kind == COMPONENT_VAL_LIST && r->of.list.n == n && r->of.list.items,
              "did not get a list of %zu things", n);
    for (size_t i = 0; i < n; i++) {
        out[i] = r->of.list.items[i];
        JCO_CHECK(cx, out[i].kind == COMPONENT_VAL_OWN, "element %zu is not an own", i);
    }
    for (size_t i = 0; i < n; i++) {
        char want[160];
        snprintf(want, sizeof want, "%s Thing HostThing HostThing.get Thing.get", words[i]);
        component_val self = jv_borrow(out[i].of.resource.type, out[i].of.resource.rep);
        component_val w = jv_str(want);
        if (expect_call(cx, RAR1, "[method]thing.get", &self, 1, &w) != 0)
            return -1;
    }
    return 0;
}

static int rar_run(jco_ctx *cx)
{
    component_val t1, t2, t3, r, back[3];
    static const char *const w1[] = {"Ni Hao"}, *const w23[] = {"Ciao", "Aloha"};
    if (rar_new(cx, w1[0], &t1) != 0)
        return -1;
    component_val foo1 = jv_record(&t1, 1);
    if (jco_call(cx, RAR1, "a", &foo1, 1, &r) != 0 || rar_check(cx, &r, w1, 1, back) != 0)
        return -1;
    if (rar_new(cx, w23[0], &t2) != 0 || rar_new(cx, w23[1], &t3) != 0)
        return -1;
    component_val fg[2] = {jv_record(&t2, 1), jv_record(&t3, 1)};
    if (jco_call(cx, RAR2, "b", fg, 2, &r) != 0 || rar_check(cx, &r, w23, 2, back + 1) != 0)
        return -1;
    JCO_CHECK(cx, cx->n[0] == 2, "host a / b called %lld times, not twice", (long long)cx->n[0]);
    for (size_t i = 0; i < 3; i++)
        if (drop_own(cx, &back[i], "thing") != 0)
            return -1;
    JCO_CHECK(cx, cx->drops == 3, "3 guest things dropped, %lld host things with them, not 3",
              (long long)cx->drops);

    /* the top-level test(list<thing>) hands host things back */
    jco_obj *h1 = jco_obj_new(cx, 1), *h2 = jco_obj_new(cx, 2);
    JCO_CHECK(cx, h1 && h2, "too many host objects");
    component_val hs[2] = {jv_own(cx->types[0], (uintptr_t)h1), jv_own(cx->types[0], (uintptr_t)h2)};
    component_val arg = jv_list(hs, 2);
    if (jco_call(cx, NULL, "test", &arg, 1, &r) != 0)
        return -1;
    JCO_CHECK(cx, r.kind == COMPONENT_VAL_LIST && r.of.list.n == 2 && r.of.list.items &&
                      jco_obj_of(cx, &r.of.list.items[0], cx->types[0]) == h1 &&
                      jco_obj_of(cx, &r.of.list.items[1], cx->types[0]) == h2,
              "test did not give the two host things back in order");
    return 0;
}

/* ---- rust_xcrate --------------------------------------------------------------------- */

/* Bindings generated in two crates for two worlds: b() calls a-imports#a,
 * b-imports#b, makes an x of each interface, calls foo on it and drops
 * it.  Counters: n[0] a, n[1] b, n[2] constructors, n[3] foo. */
static int xc_new(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    jco_obj *o = jco_obj_new(cx, 0);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    cx->n[2]++;
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int xc_foo(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    jco_ctx *cx = component_call_data(call);
    JCO_HOST_CHECK(call, args[0].kind == COMPONENT_VAL_BORROW && jco_obj_of(cx, &args[0], env),
                   "x.foo: self is not a borrow of this interface's x");
    cx->n[3]++;
    return 0;
}

static int xcrate_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    const char *ifaces[2] = {"test:xcrate/a-imports", "test:xcrate/b-imports"};
    const char *funcs[2] = {"a", "b"};
    for (uintptr_t i = 0; i < 2; i++) {
        component_resource_type *x =
            component_linker_define_resource(l, ifaces[i], "x", jco_obj_dtor, err);
        if (!x ||
            component_linker_define_func(l, ifaces[i], "[constructor]x", "func() -> own<x>",
                                         xc_new, x, err) ||
            component_linker_define_func(l, ifaces[i], "[method]x.foo",
                                         "func(self: borrow<x>)", xc_foo, x, err) ||
            component_linker_define_func(l, ifaces[i], funcs[i], "func()", count_call,
                                         (void *)i, err))
            return -1;
    }
    return 0;
}

static int xcrate_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "b", NULL, 0, NULL) != 0)
        return -1;
    JCO_CHECK(cx, cx->n[0] == 1 && cx->n[1] == 1 && cx->n[2] == 2 && cx->n[3] == 2,
              "b() called a %lld, b %lld, constructors %lld, foo %lld times, not 1, 1, 2, 2",
              (long long)cx->n[0], (long long)cx->n[1], (long long)cx->n[2], (long long)cx->n[3]);
    JCO_CHECK(cx, cx->drops == 2, "b() dropped its two x, %lld host destructor runs",
              (long long)cx->drops);
    const char *ex = "an-exported-interface";
    component_val x;
    if (jco_call(cx, ex, "[constructor]x", NULL, 0, &x) != 0)
        return -1;
    JCO_CHECK(cx, x.kind == COMPONENT_VAL_OWN, "[constructor]x did not return an own");
    component_val self = jv_borrow(x.of.resource.type, x.of.resource.rep);
    if (jco_call(cx, ex, "[method]x.foo", &self, 1, NULL) != 0)
        return -1;
    return drop_own(cx, &x, "x");
}

const jco_fixture jco_fixtures_witbindgen[] = {
    {"options", "options.component.wasm", NULL, options_define, options_run},
    {"results", "results.component.wasm", NULL, results_define, results_run},
    {"versions", "versions.component.wasm", NULL, versions_define, versions_run},
    {"type_section_suffix", "type_section_suffix.component.wasm", NULL, suffix_define,
     suffix_run},
    {"resource_borrow_import", "resource_borrow_import.component.wasm", NULL, rbi_define,
     rbi_run},
    {"resource_borrow_export", "resource_borrow_export.component.wasm", NULL, NULL, rbe_run},
    {"resource_into_inner", "resource_into_inner.component.wasm", NULL, NULL, rii_run},
    {"resources", "resources.component.wasm", NULL, resources_define, resources_run},
    {"borrowing", "borrowing.component.wasm", NULL, ownership_define, ownership_run},
    {"borrowing-duplicate-if-necessary", "borrowing-duplicate-if-necessary.component.wasm", NULL,
     ownership_define, ownership_run},
    {"owning", "owning.component.wasm", NULL, ownership_define, ownership_run},
    {"resource_alias", "resource_alias.component.wasm", NULL, NULL, alias_run},
    {"resource_aggregates", "resource_aggregates.component.wasm", NULL, agg_define, agg_run},
    {"resource_borrow_in_record", "resource_borrow_in_record.component.wasm", NULL, rbr_define,
     rbr_run},
    {"resource_floats", "resource_floats.component.wasm", NULL, rf_define, rf_run},
    {"resource_alias_redux", "resource_alias_redux.component.wasm", NULL, rar_define, rar_run},
    {"rust_xcrate", "rust_xcrate.component.wasm", NULL, xcrate_define, xcrate_run},
    {"resource_import_and_export", "resource_import_and_export.component.wasm", NULL, rie_define,
     rie_run_rust},
    {"resource-import-and-export", "resource-import-and-export.component.wasm", NULL, rie_define,
     rie_run_c},
    {"resource_with_lists", "resource_with_lists.component.wasm", NULL, rwl_define, rwl_run},
};
const size_t jco_fixtures_witbindgen_count = UTIL_ARRAY_LEN(jco_fixtures_witbindgen);
