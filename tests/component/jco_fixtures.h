/*
 * jco_fixtures.h - shared by the files of the jco conformance runner
 * (component_jco_fixtures): the per-fixture context, value builders,
 * checks that say what differed, and the minimal WASI 0.2.0 host the
 * preview-1 adapter inside wit-bindgen's test components links against.
 *
 * A fixture is a table entry (jco_fixture): the component file, a function
 * that registers its host imports on a linker, and a function that runs
 * the assertions of jco's TypeScript host against an instance.  Failures
 * are not fatal to the runner: the first one is written into the
 * context's `why` and the fixture reports FAIL with it.
 */
#ifndef TESTS_COMPONENT_JCO_FIXTURES_H
#define TESTS_COMPONENT_JCO_FIXTURES_H

#include "component.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>

/* A host resource object: its rep is a pointer to one of these, kept in
 * the context's pool (no allocation, so nothing leaks when a runtime
 * never drops it); the destructor counts drops. */
typedef struct jco_obj {
    struct jco_ctx *cx;
    int64_t value;
    int drops;
    double f;       /* for resources that hold a float */
    char text[160]; /* for resources that hold bytes */
    size_t len;
} jco_obj;

/* The state of one fixture's run; also the per-instance data host
 * functions get from component_call_data. */
typedef struct jco_ctx {
    component_instance *inst;
    const component_func *pending; /* called, post-return not run yet */
    util_buf out, err;             /* what the guest wrote to stdout / stderr */
    char why[768];                 /* the first failure ("" while all is well) */
    /* fixture-specific host state (counters, flags seen, last values) */
    int64_t n[32];
    jco_obj objs[32];
    size_t nobjs;
    int64_t drops; /* host resource destructor runs, all objects */
    component_resource_type *types[4]; /* host resource types the fixture made */
} jco_ctx;

/* A new host resource object with `value` (NULL when the pool is full). */
jco_obj *jco_obj_new(jco_ctx *cx, int64_t value);
/* The destructor of host resource types: counts the drop. */
void jco_obj_dtor(uintptr_t rep);
/* The object of an own/borrow the host gets, or NULL if `v` is not a
 * handle of `type` to one of the context's objects. */
jco_obj *jco_obj_of(jco_ctx *cx, const component_val *v, component_resource_type *type);
component_val jv_own(component_resource_type *type, uintptr_t rep);
component_val jv_borrow(component_resource_type *type, uintptr_t rep);

typedef struct jco_fixture {
    const char *name; /* as printed: the file name without .component.wasm */
    const char *file; /* under the jco corpus' transpile/runtime/ */
    /* Non-NULL: the fixture is skipped with this reason. */
    const char *skip;
    /* Registers the fixture's own imports (the WASI subset is added by the
     * runner).  NULL: the fixture imports nothing else. */
    int (*define)(jco_ctx *cx, component_linker *l, util_error **err);
    /* Runs the assertions; 0 = pass, -1 = fail (why filled). */
    int (*run)(jco_ctx *cx);
} jco_fixture;

/* ---- failures ------------------------------------------------------------ */

/* Records the first failure; always returns -1. */
int jco_fail(jco_ctx *cx, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* In a host function: records the failure and makes the guest trap
 * (as a throwing assertion in jco's host does). */
int jco_host_fail(component_call *call, const char *fmt, ...) UTIL_PRINTF(2, 3);

#define JCO_CHECK(cx, cond, ...)                                                             \
    do {                                                                                     \
        if (!(cond))                                                                         \
            return jco_fail((cx), __VA_ARGS__);                                              \
    } while (0)

#define JCO_HOST_CHECK(call, cond, ...)                                                      \
    do {                                                                                     \
        if (!(cond))                                                                         \
            return jco_host_fail((call), __VA_ARGS__);                                       \
    } while (0)

/* ---- calls into the instance ------------------------------------------- */

/* Calls export `name` of `iface` (NULL: top level).  Runs the post-return
 * of the previous call first.  -1 (why filled: which call, the trap, the
 * guest's stderr) when the export is missing or the call fails. */
int jco_call(jco_ctx *cx, const char *iface, const char *name, const component_val *args,
             size_t nargs, component_val *result);
/* The same, but the call must trap (or exit): -1 if it returns. */
int jco_call_traps(jco_ctx *cx, const char *iface, const char *name,
                   const component_val *args, size_t nargs);
/* Runs the pending post-return; -1 on a trap. */
int jco_finish_call(jco_ctx *cx);

/* ---- values -------------------------------------------------------------- */

component_val jv_bool(bool b);
component_val jv_s(component_val_kind k, int64_t v);
component_val jv_u(component_val_kind k, uint64_t v);
component_val jv_f32(float f);
component_val jv_f64(double d);
component_val jv_char(uint32_t ch);
component_val jv_str(const char *s);
component_val jv_list(component_val *items, size_t n);
component_val jv_raw(const void *raw, size_t n);
component_val jv_record(component_val *fields, size_t n);
component_val jv_variant(uint32_t disc, component_val *payload);
component_val jv_flags(uint64_t bits);

/* Value checks: true when `v` is of that kind and value. */
bool jv_is_bool(const component_val *v, bool b);
bool jv_is_s(const component_val *v, component_val_kind k, int64_t x);
bool jv_is_u(const component_val *v, component_val_kind k, uint64_t x);
bool jv_is_str(const component_val *v, const char *s);
/* Element i of a list of numbers of `size` bytes each (raw or items),
 * as the unsigned bit pattern, zero-extended. */
uint64_t jv_list_bits(const component_val *v, size_t i, size_t size);
/* The variant case, or UINT32_MAX when `v` is not a variant. */
uint32_t jv_disc(const component_val *v);

/* Deep equality of two values (kinds, numbers bit for bit except NaN ==
 * NaN, strings, items, fields, cases, flags, resource reps).  Lists of
 * numbers compare equal only in the same form with the same bytes:
 * `raw_elem_size` (0 if none of the lists in the values is raw) says how
 * many bytes an element of a raw list has. */
bool jv_equal(const component_val *a, const component_val *b, size_t raw_elem_size);
/* Copies of host-side values into the call's arena, for results that
 * echo an argument (guest memory may move while the result is lowered).
 * NULL (and a trap set) when the arena is full. */
component_val *jv_dup(component_call *call, const component_val *v, size_t raw_elem_size);

/* A short description of a value for failure messages. */
const char *jv_describe(const component_val *v, char *buf, size_t cap);

/* ---- the WASI subset ------------------------------------------------------ */

/* The functions and resource types of WASI 0.2.0 that the preview-1
 * adapter of wit-bindgen's test components imports: stdio streams whose
 * writes land in the context's out / err, no preopens, an empty
 * environment, exit, terminals that are absent. */
int jco_wasi_define(component_linker *l, util_error **err);

/* ---- the fixtures --------------------------------------------------------- */

extern const jco_fixture jco_fixtures_scalar[];   /* numbers, strings, smoke, ... */
extern const size_t jco_fixtures_scalar_count;
extern const jco_fixture jco_fixtures_compound[]; /* lists, records, variants, flavorful */
extern const size_t jco_fixtures_compound_count;
extern const jco_fixture jco_fixtures_resource[]; /* resources, borrowing, nested, others */
extern const size_t jco_fixtures_resource_count;
extern const jco_fixture jco_fixtures_witbindgen[]; /* hosts from wit-bindgen's tests */
extern const size_t jco_fixtures_witbindgen_count;

#endif
