/*
 * legacy_abi.h - the wit-bindgen 0.2 canonical ABI of Spin 1's old-ABI
 * imports (internal to src/spin): value types written as WIT text, their
 * flat parameters and memory layout, and the moves between a core
 * module's flat arguments / memory and src/component's values.
 *
 *   spin_legacy_type_parse   a type from WIT-like text ("result<store,
 *                            error>", "record{...}", "variant{...}",
 *                            "option<T>", "tuple<...>", names from a table)
 *   spin_legacy_flat_sig     the core signature of a function taking a
 *                            tuple of parameters and, if it returns a
 *                            value, a return pointer ("iiii:")
 *   spin_legacy_lift_params  the flat arguments as component values,
 *                            every string and list checked against memory
 *   spin_legacy_store        a component value into guest memory at an
 *                            address, strings and lists allocated through
 *                            the guest's canonical_abi_realloc
 */
#ifndef SPIN_LEGACY_ABI_H
#define SPIN_LEGACY_ABI_H

#include "component.h"
#include "wasm.h"

typedef enum spin_legacy_kind {
    SPIN_LT_BOOL, SPIN_LT_S8, SPIN_LT_U8, SPIN_LT_S16, SPIN_LT_U16, SPIN_LT_S32, SPIN_LT_U32,
    SPIN_LT_S64, SPIN_LT_U64, SPIN_LT_F32, SPIN_LT_F64, SPIN_LT_STRING, SPIN_LT_LIST,
    SPIN_LT_RECORD,  /* also tuples */
    SPIN_LT_VARIANT, /* also enum, option, result */
} spin_legacy_kind;

typedef struct spin_legacy_type spin_legacy_type;
struct spin_legacy_type {
    spin_legacy_kind kind;
    spin_legacy_type *elem;     /* list */
    spin_legacy_type **members; /* record fields; variant case payloads (NULL: none) */
    size_t n;
    uint32_t size, align;  /* in memory */
    uint32_t payload_at;   /* variant: the payload's offset */
    size_t nflat;          /* flat core values */
};

/* A named type of an interface: "error" = "variant{...}". */
typedef struct spin_legacy_named {
    const char *name;
    const char *text;
} spin_legacy_named;

/* NULL with *err naming the offset and what was expected.  `names` ends
 * with {NULL, NULL}. */
spin_legacy_type *spin_legacy_type_parse(const char *text, const spin_legacy_named *names,
                                         util_error **err);
void spin_legacy_type_free(spin_legacy_type *t);

/* The core signature (malloc'd) of an import taking `params` (a record)
 * flattened, plus a return pointer when `result` is non-NULL; NULL when
 * the parameters flatten to more than 16 values (wit-bindgen would pass
 * them in memory, which no Spin 1 import does). */
char *spin_legacy_flat_sig(const spin_legacy_type *params, const spin_legacy_type *result);

/* The guest side of one call: its memory and allocator (through caller). */
typedef struct spin_legacy_guest {
    wasm_caller *caller;
    const char *what; /* "key-value open": for traps */
} spin_legacy_guest;

/* Lifts the flat arguments of `params` into nparams values allocated in
 * `call`.  -1 after trapping the caller (a string or list outside memory,
 * a string that is not UTF-8, a bad discriminant). */
int spin_legacy_lift_params(const spin_legacy_guest *g, const spin_legacy_type *params,
                            const wasm_val *args, component_call *call, component_val **out);

/* Writes `v` of type `t` at guest address `at` (aligned, inside memory:
 * checked), allocating its strings and lists in the guest.  -1 after
 * trapping the caller. */
int spin_legacy_store(const spin_legacy_guest *g, const spin_legacy_type *t,
                      const component_val *v, uint32_t at);

#endif
