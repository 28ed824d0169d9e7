/*
 * abi.h - private to src/component: the canonical ABI (CanonicalABI.md of
 * WebAssembly/component-model) over resolved types, and the handle tables
 * that give resources their own/borrow semantics.
 *
 * One component_abi_cx describes one side of one call: the core memory
 * and realloc of the canonical options, the string encoding, the handle
 * table of the component instance on that side, and the arena that lifted
 * values live in.  Lifting reads core values and linear memory into
 * component_val (bounds, alignment, discriminants, chars, UTF-8/UTF-16 and
 * handles all checked, each failure a trap with the spec's reason);
 * lowering writes component_val into core values and linear memory,
 * calling realloc for strings, lists and spilled arguments.
 *
 * Linear memory is re-read from the wasm_memory after every realloc call,
 * because realloc may grow it (and move it).
 */
#ifndef COMPONENT_ABI_H
#define COMPONENT_ABI_H

#include "rtype.h"

/* ---- the arena lifted values live in (arena.c) ------------------------ */

typedef struct component_arena component_arena;
component_arena *component_arena_new(size_t cap_bytes);
void component_arena_free(component_arena *a);
/* 8-byte aligned, zeroed; NULL past the cap. */
void *component_arena_alloc(component_arena *a, size_t size);
void component_arena_reset(component_arena *a);

/* ---- handle tables (handles.c) ---------------------------------------- */

/* One per component instance (the spec's per-instance table): slot 0 is
 * never used, freed slots are reused.  An own entry may be lent (borrowed)
 * during a call; dropping or transferring a lent own traps, and a borrow
 * handle created for a call must be dropped before the call returns. */
typedef struct component_handles component_handles;
component_handles *component_handles_new(void);
/* Runs the host destructor (host_dtor) of every own handle of a host
 * resource type still held; guest types' destructors are the instance
 * code's job (component_handles_next_own). */
void component_handles_free(component_handles *h);

/* New own handle for (type, rep): resource.new, or an own lowered into
 * this instance.  0 on overflow (trap). */
uint32_t component_handles_new_own(component_handles *h, component_resource_type *type,
                                   uintptr_t rep);
/* A borrow handle created by lowering a borrow<T> into this instance for
 * the call `scope` (the call's depth).  Dropped by resource.drop or it
 * traps at the end of the call. */
uint32_t component_handles_new_borrow(component_handles *h, component_resource_type *type,
                                      uintptr_t rep, uint32_t scope);

/* Lifting an own: removes the handle; traps (returns -1 with `res`) if it
 * is no handle, not an own, not of `type`, or lent out. */
int component_handles_take_own(component_handles *h, uint32_t handle,
                               component_resource_type *type, uintptr_t *rep, wasm_result *res);
/* Lifting a borrow: the rep of an own or borrow handle of `type`, which
 * stays lent until component_handles_end_call(scope). */
int component_handles_lend(component_handles *h, uint32_t handle, component_resource_type *type,
                           uint32_t scope, uintptr_t *rep, wasm_result *res);
/* resource.rep: the rep of an own handle of `type` (a guest resource). */
int component_handles_rep(component_handles *h, uint32_t handle, component_resource_type *type,
                          uintptr_t *rep, wasm_result *res);
/* resource.drop: removes the handle; for an own, *run_dtor is set and
 * *rep is the representation to destroy (host types: the runtime calls
 * host_dtor; guest types: the guest's destructor). */
int component_handles_drop(component_handles *h, uint32_t handle, component_resource_type *type,
                           uintptr_t *rep, bool *run_dtor, wasm_result *res);
/* Ends the loans of call `scope`; traps if a borrow handle created for it
 * is still in the table. */
int component_handles_end_call(component_handles *h, uint32_t scope, wasm_result *res);

/* The resource types this instance defines: a borrow of one lowered into
 * it is passed as the rep itself, not as a handle (the spec's lower_borrow
 * rule).  The instantiation code registers them. */
int component_handles_define_type(component_handles *h, const component_resource_type *type);
bool component_handles_defines(const component_handles *h, const component_resource_type *type);
/* Iterates the own handles still held (*handle starts at 0), for the
 * instance code to run guest destructors before component_handles_free
 * (which runs only host destructors): false at the end. */
bool component_handles_next_own(const component_handles *h, uint32_t *handle,
                                component_resource_type **type, uintptr_t *rep);

/* ---- lifting and lowering (abi.c, abi_string.c) ----------------------- */

typedef struct component_abi_cx {
    wasm_store *store;
    wasm_memory *memory;            /* NULL if the options have none */
    wasm_func *realloc;             /* NULL if the options have none */
    component_string_encoding encoding;
    component_arena *arena;         /* lifted values */
    component_handles *handles;     /* this side's instance's table */
    uint32_t scope;                 /* the call, for borrows */
    wasm_result *res;               /* traps */
    /* The spec's may_leave flag of the instance realloc belongs to (NULL:
     * none): false while realloc runs, so realloc cannot call imports. */
    bool *may_leave;
} component_abi_cx;

/* The component_val kind that carries a primitive's values (string for
 * string and for what no number or char kind carries). */
component_val_kind component_prim_val_kind(component_prim p);

/* Sets res to a trap with this message; -1. */
int component_abi_trap(component_abi_cx *cx, const char *fmt, ...) UTIL_PRINTF(2, 3);

/* One value, flat: reads t->nflat core values from flat[*pos] on (and
 * advances *pos), as arguments and results are passed when they fit. */
int component_abi_lift_flat(component_abi_cx *cx, const component_rtype *t, const wasm_val *flat,
                            size_t *pos, component_val *out);
int component_abi_lower_flat(component_abi_cx *cx, const component_rtype *t,
                             const component_val *v, wasm_val *flat, size_t *pos);
/* One value in linear memory at `ptr` (alignment and bounds checked). */
int component_abi_load(component_abi_cx *cx, const component_rtype *t, uint32_t ptr,
                       component_val *out);
int component_abi_store(component_abi_cx *cx, const component_rtype *t, const component_val *v,
                        uint32_t ptr);

/* A whole function's parameters and result, with the memory rules of
 * flattening applied (f laid out by component_rfunc_layout):
 *  - lift_params: the callee side of a call the guest made (canon lower):
 *    `core` holds f->nflat_params values (one pointer if params spill);
 *  - lower_params: the caller side of a call into the guest (canon lift):
 *    fills `core` (f->nflat_params values), calling realloc to spill;
 *  - lift_result: after the guest returned (canon lift): `core` holds the
 *    core results (one pointer if the result is in memory);
 *  - lower_result: into the guest's call (canon lower): flat into `core`,
 *    or stored at `retptr` (the last core argument) when in memory. */
int component_abi_lift_params(component_abi_cx *cx, const component_rfunc *f,
                              const wasm_val *core, component_val *out);
int component_abi_lower_params(component_abi_cx *cx, const component_rfunc *f,
                               const component_val *args, wasm_val *core);
int component_abi_lift_result(component_abi_cx *cx, const component_rfunc *f,
                              const wasm_val *core, component_val *out);
int component_abi_lower_result(component_abi_cx *cx, const component_rfunc *f,
                               const component_val *v, wasm_val *core, uint32_t retptr);

#endif
