/*
 * jco_fx_resource.c - jco fixtures on resources, borrowing and nested /
 * composed components: resource_borrow_simple (with and without the WASI
 * adapter), example_guest_export (a resource the guest defines, used by
 * the host), example_guest_import (a host resource lent to and owned by
 * the guest), adder, async_call and simple-nested (nested components whose
 * hosts jco drives through JSPI; in the component model they are plain
 * synchronous calls).  The one fixture with nothing to check is listed
 * with the reason it is skipped.
 *
 * Host resources are jco_obj entries of the context (rep = their address);
 * their destructor counts drops, so the runs also check that the runtime
 * ran it when the guest dropped its last own handle.
 */
#include "jco_fixtures.h"

#include <string.h>

/* ---- resource_borrow_simple ------------------------------------------------- */

/* The guest constructs an `r` (host resource), lends it to `test`, then
 * drops it. */
static int rbs_constructor(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    jco_ctx *cx = component_call_data(call);
    jco_obj *o = jco_obj_new(cx, 0);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    cx->n[0]++;
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int rbs_test(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)nargs, (void)result;
    jco_ctx *cx = component_call_data(call);
    char d[64];
    JCO_HOST_CHECK(call, args[0].kind == COMPONENT_VAL_BORROW && jco_obj_of(cx, &args[0], env),
                   "test got %s, not a borrow of the r the host made",
                   jv_describe(&args[0], d, sizeof d));
    cx->n[1]++;
    return 0;
}

static int rbs_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    (void)cx;
    component_resource_type *r = component_linker_define_resource(l, NULL, "r", jco_obj_dtor, err);
    if (!r ||
        component_linker_define_func(l, NULL, "[constructor]r", "func() -> own<r>",
                                     rbs_constructor, r, err) != 0)
        return -1;
    return component_linker_define_func(l, NULL, "test", "func(r: borrow<r>)", rbs_test, r, err);
}

static int rbs_run(jco_ctx *cx)
{
    if (jco_call(cx, NULL, "test-imports", NULL, 0, NULL) != 0)
        return -1;
    JCO_CHECK(cx, cx->n[0] == 1, "constructor of r called %lld times, not once",
              (long long)cx->n[0]);
    JCO_CHECK(cx, cx->n[1] == 1, "test called %lld times, not once", (long long)cx->n[1]);
    JCO_CHECK(cx, cx->drops == 1, "the guest dropped its r but the host destructor ran %lld times",
              (long long)cx->drops);
    return 0;
}

/* ---- example_guest_export ---------------------------------------------------- */

#define BACKEND "example:component/backend@0.1.0"

/* The host uses the guest's resource: constructs one, calls its static
 * and method, lends it to scalar-arg, drops it. */
static int guest_export_run(jco_ctx *cx)
{
    component_val own, r;
    if (jco_call(cx, BACKEND, "[constructor]scalars", NULL, 0, &own) != 0)
        return -1;
    JCO_CHECK(cx, own.kind == COMPONENT_VAL_OWN, "[constructor]scalars did not return an own");
    if (jco_finish_call(cx) != 0)
        return -1;
    if (jco_call(cx, BACKEND, "[static]scalars.get-a", NULL, 0, &r) != 0)
        return -1;
    JCO_CHECK(cx, jv_is_u(&r, COMPONENT_VAL_U32, 5), "scalars.get-a() = %llu, not 5",
              (unsigned long long)r.of.u);
    component_val self = jv_borrow(own.of.resource.type, own.of.resource.rep);
    if (jco_call(cx, BACKEND, "[method]scalars.get-b", &self, 1, &r) != 0)
        return -1;
    JCO_CHECK(cx, jv_is_u(&r, COMPONENT_VAL_U32, 2), "scalar.get-b() = %llu, not 2",
              (unsigned long long)r.of.u);
    if (jco_call(cx, BACKEND, "scalar-arg", &self, 1, &r) != 0)
        return -1;
    JCO_CHECK(cx, jv_is_u(&r, COMPONENT_VAL_U32, 7), "scalar-arg(scalar) = %llu, not 7",
              (unsigned long long)r.of.u);
    if (jco_finish_call(cx) != 0)
        return -1;
    wasm_result res;
    wasm_result_init(&res);
    JCO_CHECK(cx, component_resource_drop(cx->inst, &own, &res) == 0,
              "dropping the guest's scalars: %s", res.message);
    return 0;
}

/* ---- example_guest_import ----------------------------------------------------- */

#define BACKEND2 "example2:component/backend@0.1.0"

/* Host `scalars`: each has an instance number (its value); get-b returns
 * it; fetch(x) remembers which one it was lent and returns a new one. */
static int gi_get_b(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)nargs;
    jco_obj *o = jco_obj_of(component_call_data(call), &args[0], env);
    JCO_HOST_CHECK(call, o != NULL, "[method]scalars.get-b: self is not a host scalars");
    *result = jv_u(COMPONENT_VAL_U32, (uint64_t)o->value);
    return 0;
}

static int gi_fetch(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)nargs;
    jco_ctx *cx = component_call_data(call);
    jco_obj *lent = jco_obj_of(cx, &args[0], env);
    JCO_HOST_CHECK(call, lent != NULL && args[0].kind == COMPONENT_VAL_BORROW,
                   "fetch: x is not a borrow of a host scalars");
    JCO_HOST_CHECK(call, cx->n[0] < 8, "fetch called too often");
    cx->n[1 + cx->n[0]++] = lent->value; /* received */
    jco_obj *o = jco_obj_new(cx, (int64_t)cx->nobjs);
    JCO_HOST_CHECK(call, o != NULL, "too many host objects");
    *result = jv_own(env, (uintptr_t)o);
    return 0;
}

static int guest_import_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    component_resource_type *t =
        component_linker_define_resource(l, BACKEND2, "scalars", jco_obj_dtor, err);
    cx->types[0] = t;
    if (!t ||
        component_linker_define_func(l, BACKEND2, "[method]scalars.get-b",
                                     "func(self: borrow<scalars>) -> u32", gi_get_b, t, err) != 0)
        return -1;
    return component_linker_define_func(l, BACKEND2, "fetch",
                                        "func(x: borrow<scalars>) -> own<scalars>", gi_fetch, t,
                                        err);
}

static int guest_import_run(jco_ctx *cx)
{
    /* two host scalars, instances 0 and 1, given (owned) to handle, which
     * adds x.get-b() and fetch(x).get-b(); then the same two again */
    jco_obj *x = jco_obj_new(cx, 0), *y = jco_obj_new(cx, 1);
    const struct {
        jco_obj *o;
        uint64_t want;
    } calls[] = {{x, 2}, {y, 4}, {x, 4}, {y, 6}};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(calls); i++) {
        component_val arg = jv_own(cx->types[0], (uintptr_t)calls[i].o), r;
        if (jco_call(cx, "example2:component/front@0.1.0", "handle", &arg, 1, &r) != 0)
            return -1;
        JCO_CHECK(cx, jv_is_u(&r, COMPONENT_VAL_U32, calls[i].want),
                  "handle(scalars %lld) = %llu, not %llu (call %zu)",
                  (long long)calls[i].o->value, (unsigned long long)r.of.u,
                  (unsigned long long)calls[i].want, i + 1);
    }
    JCO_CHECK(cx, cx->n[0] == 4 && cx->n[1] == 0 && cx->n[2] == 1,
              "fetch was lent scalars %lld, %lld (%lld calls), not 0, 1 first",
              (long long)cx->n[1], (long long)cx->n[2], (long long)cx->n[0]);
    return 0;
}

/* ---- adder ------------------------------------------------------------------------ */

static int adder_run(jco_ctx *cx)
{
    component_val args[2] = {jv_u(COMPONENT_VAL_U32, 40), jv_u(COMPONENT_VAL_U32, 2)}, r;
    if (jco_call(cx, "docs:adder/add@0.1.0", "add", args, 2, &r) != 0)
        return -1;
    JCO_CHECK(cx, jv_is_u(&r, COMPONENT_VAL_U32, 42), "add(40, 2) = %llu",
              (unsigned long long)r.of.u);
    args[0] = jv_u(COMPONENT_VAL_U32, UINT32_MAX);
    if (jco_call(cx, "docs:adder/add@0.1.0", "add", args, 2, &r) != 0)
        return -1;
    JCO_CHECK(cx, jv_is_u(&r, COMPONENT_VAL_U32, 1), "add(u32::MAX, 2) = %llu, not 1 (wrapping)",
              (unsigned long long)r.of.u);
    return 0;
}

/* ---- async_call, simple-nested ------------------------------------------------------ */

/* env: the string the import returns. */
static int return_env_string(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    (void)args, (void)nargs;
    jco_ctx *cx = component_call_data(call);
    cx->n[0]++;
    *result = jv_str(env);
    return 0;
}

static int async_call_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    (void)cx;
    const char *iface = "something:test/test-interface";
    if (component_linker_define_func(l, iface, "call-async", "func() -> string",
                                     return_env_string, "called async", err) != 0)
        return -1;
    return component_linker_define_func(l, iface, "call-sync", "func() -> string",
                                        return_env_string, "called sync", err);
}

static int async_call_run(jco_ctx *cx)
{
    component_val r;
    char d[64];
    if (jco_call(cx, NULL, "run-sync", NULL, 0, &r) != 0)
        return -1;
    JCO_CHECK(cx, jv_is_str(&r, "called sync"), "run-sync() = %s", jv_describe(&r, d, sizeof d));
    if (jco_call(cx, NULL, "run-async", NULL, 0, &r) != 0)
        return -1;
    JCO_CHECK(cx, jv_is_str(&r, "called async"), "run-async() = %s",
              jv_describe(&r, d, sizeof d));
    JCO_CHECK(cx, cx->n[0] == 2, "imports called %lld times, not twice", (long long)cx->n[0]);
    return 0;
}

#define HELLO "calvinrp:test-async-funcs/hello@0.1.0"

static int simple_nested_define(jco_ctx *cx, component_linker *l, util_error **err)
{
    (void)cx;
    return component_linker_define_func(l, HELLO, "hello-world", "func() -> string",
                                        return_env_string, "Hello from Async Function!", err);
}

static int simple_nested_run(jco_ctx *cx)
{
    component_val r;
    char d[64];
    if (jco_call(cx, HELLO, "hello-world", NULL, 0, &r) != 0)
        return -1;
    JCO_CHECK(cx, jv_is_str(&r, "Hello from Async Function!"), "hello-world() = %s",
              jv_describe(&r, d, sizeof d));
    JCO_CHECK(cx, cx->n[0] == 1, "import hello-world called %lld times, not once",
              (long long)cx->n[0]);
    return 0;
}

/* ---- the table ----------------------------------------------------------------------- */

#define EMPTY_EXPORT                                                                         \
    "exports only an empty instance (other:test/test) and imports nothing of its own: "     \
    "nothing to call or check"

const jco_fixture jco_fixtures_resource[] = {
    {"resource_borrow_simple", "resource_borrow_simple.component.wasm", NULL, rbs_define,
     rbs_run},
    {"resource-borrow-simple", "resource-borrow-simple.component.wasm", NULL, rbs_define,
     rbs_run},
    {"example_guest_export", "example_guest_export.wasm", NULL, NULL, guest_export_run},
    {"example_guest_import", "example_guest_import.wasm", NULL, guest_import_define,
     guest_import_run},
    {"adder", "adder.component.wasm", NULL, NULL, adder_run},
    {"async_call", "async_call.component.wasm", NULL, async_call_define, async_call_run},
    {"simple-nested", "simple-nested.component.wasm", NULL, simple_nested_define,
     simple_nested_run},
    {"simple-nested-optimized", "simple-nested-optimized.component.wasm", NULL,
     simple_nested_define, simple_nested_run},
    {"other-dependencies", "other-dependencies.component.wasm", EMPTY_EXPORT, NULL, NULL},
};
const size_t jco_fixtures_resource_count = UTIL_ARRAY_LEN(jco_fixtures_resource);
