/*
 * rtype.h - private to src/component: resolved types, the form every part
 * of the runtime works on.
 *
 * The decoder's model keeps types as the binary has them: indices into
 * type spaces that nest (a component, its instance types' declarators),
 * aliases of other instances' exports, outer aliases, (eq) bounds.  Lifting
 * and lowering cannot walk that on every call.  So linking resolves each
 * function type a component uses into a graph of component_rtype nodes in
 * which every child is a direct pointer, every resource is its identity
 * (component_resource_type), and every node carries its canonical-ABI
 * layout (size, alignment, flattened core types), computed once.
 *
 * The host's WIT-like signatures (component_linker_define_func) are parsed
 * into the same nodes, so checking an import against the host is one
 * structural comparison (component_rtype_equal).
 *
 * Nodes are allocated from a component_rtype_pool that owns them all (one
 * per component_pre, one per linker); nodes never point into another pool
 * except to resource types, which outlive every pool that names them.
 */
#ifndef COMPONENT_RTYPE_H
#define COMPONENT_RTYPE_H

#include "component.h"

/* The spec's limits on flattening (CanonicalABI.md, MAX_FLAT_PARAMS /
 * MAX_FLAT_RESULTS); past them values go through linear memory. */
#define COMPONENT_MAX_FLAT_PARAMS 16
#define COMPONENT_MAX_FLAT_RESULTS 1
/* A type's own flattening is kept only up to this many core values; a
 * longer one is only ever passed through memory. */
#define COMPONENT_MAX_FLAT_KEPT 17
/* Value types nest at most this deep (wasmtime's limit too), so lifting
 * and lowering may recurse along a type without running out of stack. */
#define COMPONENT_MAX_TYPE_DEPTH 100

typedef struct component_rtype component_rtype;

typedef struct component_rfield {
    const char *label;          /* record fields, variant cases, enum/flags labels;
                                   NULL in tuples */
    const component_rtype *type; /* NULL: a case without payload, or enum/flags */
} component_rfield;

struct component_rtype {
    /* COMPONENT_TYPE_PRIM, RECORD, VARIANT, LIST, TUPLE, FLAGS, ENUM,
     * OPTION, RESULT, OWN, BORROW (the defined value types) */
    component_type_kind kind;
    component_prim prim;          /* PRIM */
    const component_rtype *a;     /* LIST element, OPTION payload, RESULT ok (NULL: none) */
    const component_rtype *b;     /* RESULT error (NULL: none) */
    component_rfield *fields;     /* RECORD, TUPLE, VARIANT, ENUM, FLAGS */
    uint32_t nfields;
    component_resource_type *resource; /* OWN, BORROW */

    /* Canonical-ABI layout, filled by component_rtype_layout (align 0:
     * not laid out yet). */
    uint32_t size, align;
    uint32_t depth;                        /* 1 for a leaf */
    uint32_t nflat;                        /* may exceed COMPONENT_MAX_FLAT_KEPT */
    wasm_valtype flat[COMPONENT_MAX_FLAT_KEPT]; /* valid when nflat <= KEPT */
};

typedef struct component_rfunc {
    component_rfield *params;     /* label + type */
    uint32_t nparams;
    const component_rtype *result; /* NULL: no result */

    /* Filled by component_rfunc_layout: the core signatures of the
     * function as `canon lift` expects the core function to be and as
     * `canon lower` makes it ("ii:i" strings of wasm.h), and whether
     * params / result go through memory.
     * nflat_params / nflat_results are the lifted core function's counts
     * (lift_sig): params, or 1 pointer when they spill; results, or 1
     * pointer when the result is in memory.  The lowered core function
     * (lower_sig) takes nflat_params + (result_in_memory ? 1 : 0) params,
     * the last a return pointer, and returns result_in_memory ? 0 :
     * nflat_results values. */
    bool params_in_memory;  /* > MAX_FLAT_PARAMS: one i32 pointer */
    bool result_in_memory;  /* > MAX_FLAT_RESULTS */
    uint32_t nflat_params, nflat_results;
    char lift_sig[COMPONENT_MAX_FLAT_PARAMS + COMPONENT_MAX_FLAT_RESULTS + 4];
    char lower_sig[COMPONENT_MAX_FLAT_PARAMS + COMPONENT_MAX_FLAT_RESULTS + 4];
} component_rfunc;

/* ---- pools (rtype_pool.c) ---------------------------------------------- */

typedef struct component_rtype_pool component_rtype_pool;
component_rtype_pool *component_rtype_pool_new(void);
void component_rtype_pool_free(component_rtype_pool *p);
/* Zeroed memory owned by the pool; NULL only when out of memory. */
void *component_rtype_pool_alloc(component_rtype_pool *p, size_t size);
char *component_rtype_pool_strdup(component_rtype_pool *p, const char *s, size_t len);
/* One shared node per primitive (no pool needed), with its layout. */
const component_rtype *component_rtype_prim(component_prim prim);

/* ---- layout (abi_layout.c) -------------------------------------------- */

/* Computes size, align and flattening of `t` (children first, if they
 * have none yet); -1 if a type is too large for a 32-bit memory. */
int component_rtype_layout(component_rtype *t, util_error **err);
int component_rfunc_layout(component_rfunc *f, util_error **err);

/* ---- text (rtype_text.c) ---------------------------------------------- */

/* Writes a type / function type in the signature syntax of component.h,
 * for messages ("func(self: borrow<output-stream>) -> u64"); truncates. */
void component_rtype_format(const component_rtype *t, char *buf, size_t cap);
void component_rfunc_format(const component_rfunc *f, char *buf, size_t cap);
/* A primitive's WIT name ("bool", "string", ...; "?" for none), for
 * formatting and for messages. */
const char *component_prim_name(component_prim p);

/* Structural equality, the rule imports are checked by: same kinds, same
 * labels in the same order, same resource identities.  On a difference,
 * `why` (if non-NULL) says where ("param 2 (contents): list<u8> vs
 * string"). */
bool component_rtype_equal(const component_rtype *a, const component_rtype *b, char *why,
                           size_t cap);
bool component_rfunc_equal(const component_rfunc *a, const component_rfunc *b, char *why,
                           size_t cap);

/* ---- resource types (the runtime's identity of a resource) ------------ */

struct component_resource_type {
    const char *name;           /* for messages */
    bool host;                  /* defined by the host through the linker */
    void (*host_dtor)(uintptr_t rep);
    /* Guest resources: the defining component's resource definition
     * (per component_pre); the instance that owns the type at run time is
     * the one whose handle table holds it. */
    const component_type *guest_def;
};

#endif
