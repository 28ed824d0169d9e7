/*
 * wasm.h - the embedding API of our WebAssembly engine, and the only door
 * into src/engine.
 *
 * Object model (close to wasmtime's, so Spin-style hosts map onto it):
 *
 *   wasm_module   decoded + validated binary.  Immutable once made and
 *                 shareable between threads; functions are translated to
 *                 the interpreter's internal code lazily, at their first
 *                 call, so a 12 MB module is ready to instantiate at once.
 *                 Reference counted (wasm_module_ref / wasm_module_free).
 *   wasm_store    owns everything runtime: instances, memories, tables,
 *                 globals, host functions.  Single-threaded; all objects of
 *                 a store die with it.  A Spin request = one fresh store.
 *   wasm_linker   names -> externs or store-free host functions, used to
 *                 resolve a module's imports (once, into a wasm_resolution
 *                 reused for every store, or at each instantiation).
 *   wasm_instance an instantiated module inside a store; exports by name.
 *
 * Values cross the API untagged (wasm_val); types are known from the
 * function's signature.  Signatures of host functions are written as short
 * strings "PARAMS:RESULTS" with one letter per value:
 *   i = i32, I = i64, f = f32, F = f64, r = funcref, e = externref, v = v128
 * e.g. "iiii:i" for fd_write, ":" for a nullary void function.
 *
 * Errors: every fallible call fills a caller-owned wasm_result, whose kind
 * tells the spec's category (malformed / invalid / unlinkable / trap) and
 * whose message is the spec's message text where the spec has one
 * ("integer divide by zero", "out of bounds memory access", ...).
 * A guest's proc_exit is reported as kind WASM_EXIT with its code.
 */
#ifndef ENGINE_WASM_H
#define ENGINE_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wasm_module wasm_module;
typedef struct wasm_store wasm_store;
typedef struct wasm_linker wasm_linker;
typedef struct wasm_instance wasm_instance;
typedef struct wasm_func wasm_func;
typedef struct wasm_table wasm_table;
typedef struct wasm_memory wasm_memory;
typedef struct wasm_global wasm_global;
typedef struct wasm_caller wasm_caller;

/* ---- values ------------------------------------------------------------ */

typedef enum wasm_valtype {
    WASM_I32 = 0x7F,
    WASM_I64 = 0x7E,
    WASM_F32 = 0x7D,
    WASM_F64 = 0x7C,
    WASM_V128 = 0x7B,
    WASM_FUNCREF = 0x70,
    WASM_EXTERNREF = 0x6F,
} wasm_valtype;

/* Floats are also readable as raw bits, so NaN payloads survive the API. */
typedef union wasm_val {
    int32_t i32;
    int64_t i64;
    uint32_t f32_bits;
    uint64_t f64_bits;
    float f32;
    double f64;
    wasm_func *funcref;  /* NULL = ref.null func */
    void *externref;     /* NULL = ref.null extern; any other host pointer */
    uint8_t v128[16];
} wasm_val;

/* ---- results and errors ------------------------------------------------ */

typedef enum wasm_result_kind {
    WASM_OK = 0,
    WASM_MALFORMED,   /* binary could not be decoded */
    WASM_INVALID,     /* decoded but failed validation */
    WASM_UNLINKABLE,  /* an import is missing or has the wrong type */
    WASM_TRAP,        /* a runtime trap (also in start / segment init) */
    WASM_EXIT,        /* the guest called proc_exit: see exit_code */
    WASM_INTERRUPTED, /* wasm_store_interrupt or the deadline stopped it */
    WASM_RESOURCE,    /* a limit of the embedder (memory cap, stack) */
} wasm_result_kind;

typedef struct wasm_result {
    wasm_result_kind kind;
    int exit_code;      /* for WASM_EXIT */
    char message[256];  /* spec message text, e.g. "unreachable" */
    char backtrace[2048]; /* for traps: one frame a line, innermost first,
                             "  #0 func_name (func 12)" using the name section */
} wasm_result;

static inline void wasm_result_init(wasm_result *r)
{
    r->kind = WASM_OK;
    r->exit_code = 0;
    r->message[0] = '\0';
    r->backtrace[0] = '\0';
}

/* ---- modules ----------------------------------------------------------- */

/* Proposals beyond core 2.0.  A zeroed struct (or NULL) is what embedders
 * want: every flag's zero value is the default, which is why extended-const
 * (on by default: current toolchains put i32.add etc. in global and segment
 * initialisers, and Spin apps rely on it) is switched off by a negative. */
typedef struct wasm_features {
    bool tail_call;    /* return_call, return_call_indirect */
    bool simd;         /* fixed-width SIMD (not implemented yet: rejected) */
    bool multi_memory;
    bool no_extended_const; /* core 2.0 constant expressions only: i32/i64
                               add, sub, mul there are "constant expression
                               required" */
} wasm_features;

/* Decodes and validates.  `bytes` is copied; the caller may free it. */
wasm_module *wasm_module_new(const uint8_t *bytes, size_t len, const wasm_features *features,
                             wasm_result *res);
/* The same for a malloc'd buffer the module takes over (freed with the
 * module, or at once on failure): a module read from a file needs no second
 * copy of its bytes, which for a 12 MB Spin JS app is 12 MB less per
 * process and a copy less at every start. */
wasm_module *wasm_module_new_take(uint8_t *bytes, size_t len, const wasm_features *features,
                                  wasm_result *res);
wasm_module *wasm_module_ref(wasm_module *m);
void wasm_module_free(wasm_module *m);

typedef enum wasm_extern_kind {
    WASM_EXTERN_FUNC = 0,
    WASM_EXTERN_TABLE = 1,
    WASM_EXTERN_MEMORY = 2,
    WASM_EXTERN_GLOBAL = 3,
} wasm_extern_kind;

typedef struct wasm_import_desc {
    const char *module;
    const char *name;
    wasm_extern_kind kind;
} wasm_import_desc;

typedef struct wasm_export_desc {
    const char *name; /* NUL-terminated, but may hold NULs: see name_len */
    size_t name_len;
    wasm_extern_kind kind;
} wasm_export_desc;

size_t wasm_module_import_count(const wasm_module *m);
wasm_import_desc wasm_module_import(const wasm_module *m, size_t i);
size_t wasm_module_export_count(const wasm_module *m);
wasm_export_desc wasm_module_export(const wasm_module *m, size_t i);
/* Signature string ("ii:i") of an exported function, or NULL. */
const char *wasm_module_export_signature(const wasm_module *m, const char *name);
/* Signature string ("ii:i") of import i if it is a function, else NULL. */
const char *wasm_module_import_signature(const wasm_module *m, size_t i);

/* ---- stores ------------------------------------------------------------ */

typedef struct wasm_store_config {
    uint32_t max_call_depth;   /* 0 = default (10000); deeper -> trap "call stack exhausted" */
    uint64_t max_memory_bytes; /* 0 = no cap; memory.grow past it returns -1 */
    void *user_data;           /* handed back by wasm_caller_user_data */
} wasm_store_config;

wasm_store *wasm_store_new(const wasm_store_config *config);
void wasm_store_free(wasm_store *s);
/* Thread-safe: makes running code in the store stop soon with
 * WASM_INTERRUPTED (checked at loop back-edges and calls). */
void wasm_store_interrupt(wasm_store *s);
/* Deadline as CLOCK_MONOTONIC nanoseconds; 0 clears it. */
void wasm_store_set_deadline(wasm_store *s, uint64_t monotonic_ns);
void *wasm_store_user_data(wasm_store *s);

/* ---- externs: what imports and exports are ----------------------------- */

typedef struct wasm_extern {
    wasm_extern_kind kind;
    union {
        wasm_func *func;
        wasm_table *table;
        wasm_memory *memory;
        wasm_global *global;
    } of;
} wasm_extern;

/* ---- host functions ---------------------------------------------------- */

/* A host function.  `args` holds the parameters, `results` receives the
 * results (both sized by the signature).  Return 0 on success; to trap, return
 * wasm_caller_trap(...) or wasm_caller_exit(...). */
typedef int (*wasm_host_fn)(wasm_caller *caller, void *env, const wasm_val *args,
                            wasm_val *results);

/* Memory of the calling instance: its memory 0 (NULL if it has none).
 * The pointer stays valid until the guest grows memory again. */
uint8_t *wasm_caller_memory(wasm_caller *c, uint64_t *size_bytes);
wasm_instance *wasm_caller_instance(wasm_caller *c);
wasm_store *wasm_caller_store(wasm_caller *c);
void *wasm_caller_user_data(wasm_caller *c);
int wasm_caller_trap(wasm_caller *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int wasm_caller_exit(wasm_caller *c, int code);

/* `env` is passed to fn; `env_free`, if set, is called when the store dies. */
wasm_func *wasm_func_new_host(wasm_store *s, const char *signature, wasm_host_fn fn, void *env,
                              void (*env_free)(void *));
const char *wasm_func_signature(const wasm_func *f);
/* Calls any function (Wasm or host).  nargs/nresults must match. */
int wasm_func_call(wasm_store *s, wasm_func *f, const wasm_val *args, size_t nargs,
                   wasm_val *results, size_t nresults, wasm_result *res);

/* ---- memories, tables, globals ----------------------------------------- */

typedef struct wasm_limits {
    uint64_t min;
    uint64_t max; /* UINT64_MAX = none */
} wasm_limits;

wasm_memory *wasm_memory_new(wasm_store *s, wasm_limits pages, wasm_result *res);
uint8_t *wasm_memory_data(wasm_memory *m);
uint64_t wasm_memory_size(const wasm_memory *m); /* bytes */
/* Returns the old size in pages, or -1 if it cannot grow. */
int64_t wasm_memory_grow(wasm_memory *m, uint64_t delta_pages);

wasm_table *wasm_table_new(wasm_store *s, wasm_valtype elem, wasm_limits limits, wasm_val init,
                           wasm_result *res);
uint32_t wasm_table_size(const wasm_table *t);
bool wasm_table_get(const wasm_table *t, uint32_t i, wasm_val *out);
bool wasm_table_set(wasm_table *t, uint32_t i, wasm_val v);

wasm_global *wasm_global_new(wasm_store *s, wasm_valtype type, bool mutable_, wasm_val v);
wasm_val wasm_global_get(const wasm_global *g);
wasm_valtype wasm_global_type(const wasm_global *g);
bool wasm_global_set(wasm_global *g, wasm_val v); /* false if immutable */

/* ---- linking and instantiation ----------------------------------------- */

wasm_linker *wasm_linker_new(void);
void wasm_linker_free(wasm_linker *l);
/* Later definitions of the same (module, name) replace earlier ones. */
void wasm_linker_define(wasm_linker *l, const char *module, const char *name, wasm_extern ext);
/* Defines every export of `inst` under module name `module` (spec "register"). */
void wasm_linker_define_instance(wasm_linker *l, const char *module, wasm_instance *inst);
/* Convenience for host functions: wasm_func_new_host + wasm_linker_define. */
wasm_func *wasm_linker_define_host(wasm_linker *l, wasm_store *s, const char *module,
                                   const char *name, const char *signature, wasm_host_fn fn,
                                   void *env);
/* A host function of no store: each store a module importing it is
 * instantiated into gets its own wasm_func, made at instantiation, called
 * with `env`, or with that store's user_data (wasm_store_config) when env
 * is NULL.  So one linker, built once, serves a fresh store per request,
 * each with its own context.  Returns -1 (logged) for a malformed
 * signature. */
int wasm_linker_define_func(wasm_linker *l, const char *module, const char *name,
                            const char *signature, wasm_host_fn fn, void *env);
/* Looks a store's extern up (for hosts composing several linkers); false
 * also for a store-free host function. */
bool wasm_linker_get(const wasm_linker *l, const char *module, const char *name, wasm_extern *out);
/* The signature ("ii:i") of the function defined as (module, name), a
 * store's or a store-free one, or NULL if that is no function (for
 * messages that say what the host has). */
const char *wasm_linker_func_signature(const wasm_linker *l, const char *module,
                                       const char *name);

/* A module's imports resolved once through a linker (names looked up,
 * store-free host functions' signatures checked), to instantiate the
 * module into any number of stores without looking anything up again.
 * It copies what it needs: the linker may be freed first.  NULL with
 * res->kind WASM_UNLINKABLE (the message wasm_instantiate would give) if
 * an import is missing or of the wrong type. */
typedef struct wasm_resolution wasm_resolution;
wasm_resolution *wasm_linker_resolve(const wasm_linker *l, wasm_module *m, wasm_result *res);
/* The same, with *bad_import (if non-NULL) set to the index of the first
 * import that failed, as wasm_linker_check gives it. */
wasm_resolution *wasm_linker_resolve_at(const wasm_linker *l, wasm_module *m, size_t *bad_import,
                                        wasm_result *res);
void wasm_resolution_free(wasm_resolution *r);
/* wasm_instantiate with imports from `r`, which must have been made for
 * `m`; a store's extern in it must belong to `s`. */
wasm_instance *wasm_instantiate_resolved(wasm_store *s, wasm_module *m,
                                         const wasm_resolution *r, wasm_result *res);

/* Resolves and type-checks every import of `m` through `l` exactly as
 * wasm_instantiate does, but instantiates nothing (no memory, no start
 * function): a host can refuse an unlinkable module when it loads it.
 * Returns 0, or -1 with res->kind WASM_UNLINKABLE, the message
 * wasm_instantiate would give and *bad_import (if non-NULL) the index of
 * the first import that failed. */
int wasm_linker_check(wasm_store *s, const wasm_module *m, const wasm_linker *l,
                      size_t *bad_import, wasm_result *res);
/* Resolves imports through the linker, allocates memories/tables/globals,
 * runs element/data segment initialisation and the start function.  On
 * failure returns NULL with res->kind WASM_UNLINKABLE or WASM_TRAP. */
wasm_instance *wasm_instantiate(wasm_store *s, wasm_module *m, const wasm_linker *l,
                                wasm_result *res);
/* Instantiates `m` with its imports given by position: imports[i] for
 * import i (n must be the module's import count), each type-checked as
 * wasm_instantiate checks what a linker gives (same messages), for a host
 * that matched imports to externs once (component_pre) and fills the
 * vector per instance without looking any name up. */
wasm_instance *wasm_instantiate_externs(wasm_store *s, wasm_module *m, const wasm_extern *imports,
                                        size_t n, wasm_result *res);
bool wasm_instance_export(wasm_instance *inst, const char *name, wasm_extern *out);
/* Export number i (module order, as wasm_module_export lists them);
 * false past the last. */
bool wasm_instance_export_at(const wasm_instance *inst, size_t i, wasm_extern *out);
/* The same by a counted name: export names are any UTF-8, NUL included. */
bool wasm_instance_export_n(wasm_instance *inst, const char *name, size_t len, wasm_extern *out);
wasm_func *wasm_instance_func(wasm_instance *inst, const char *name);
wasm_memory *wasm_instance_memory(wasm_instance *inst, const char *name);
wasm_module *wasm_instance_module(wasm_instance *inst);

#endif
