/*
 * runtime.h - internal runtime objects of the engine (the back half):
 * stores, functions, memories, tables, globals, instances, and the
 * translated ("compiled") code the interpreter runs.  Private to
 * src/engine; the public door is wasm.h.
 *
 * Values at run time live in 8-byte untagged slots (rt_slot).  A Wasm
 * function runs in a frame of slots on the store's value stack:
 *
 *   fp[0 .. nlocals)            params, then declared locals (zeroed on entry);
 *                               at least nresults long so results can be
 *                               returned in place
 *   fp[nlocals .. +nconsts)     the function's constant pool (copied on entry)
 *   fp[.. + max_stack)          operand-stack temporaries, one slot per depth
 *
 * A call passes its arguments in the caller's temporaries: the callee's
 * frame starts at the first argument slot, so no copying is needed, and the
 * callee leaves its results in fp[0..nresults), exactly where the caller
 * expects them.  Frames never move (the value stack is one big reservation),
 * so host pointers into them are never invalidated.
 *
 * Every object belongs to exactly one store and dies with it; funcref values
 * are wasm_func pointers, usable across the instances of a store.  Function
 * types are interned per store as their signature string ("ii:i"), so a
 * call_indirect type check is one integer comparison.
 */
#ifndef ENGINE_RUNTIME_H
#define ENGINE_RUNTIME_H

#include <stdatomic.h>
#include <stdint.h>

#include "module.h"
#include "util.h"
#include "wasm.h"

typedef union rt_slot {
    uint64_t u64;
    int64_t i64;
    uint32_t u32;
    int32_t i32;
    float f32;
    double f64;
    void *ref;
} rt_slot;

#define RT_PAGE_SIZE 65536ull
#define RT_DEFAULT_CALL_DEPTH 10000u

/* ---- translated code ---------------------------------------------------- */

typedef struct rt_code {
    uint32_t *code; /* direct-threaded: handler offsets and operands */
    size_t code_len;
    rt_slot *consts; /* copied into fp[nlocals..] on entry */
    uint32_t nparams, nresults;
    uint32_t nlocals;     /* slots of the locals area (>= nresults) */
    uint32_t ndeclared;   /* slots nparams..ndeclared-1 are zeroed on entry */
    uint32_t nconsts;
    uint32_t frame_slots; /* nlocals + nconsts + max operand depth */
    struct rt_jit_fn *jit; /* machine code (jit.h), or NULL: interpreted */
} rt_code;

/* Translates function `func_idx` (an index in the module's function space,
 * not an import) on first use; thread-safe, the result is cached in the
 * module.  Returns NULL only when out of memory. */
const rt_code *wasm_rt_code_get(wasm_module *m, uint32_t func_idx);
/* Frees one function's code (called by the module when it dies). */
void wasm_rt_code_release(void *code);

/* modview.c: what the back half needs to know about a decoded module. */
uint32_t wasm_mv_func_type(const wasm_module *m, uint32_t func_idx);
void wasm_mv_type_arity(const wasm_module *m, uint32_t type_idx, uint32_t *np, uint32_t *nr);
void wasm_mv_body(const wasm_module *m, uint32_t func_idx, const uint8_t **expr,
                  const uint8_t **end,
                  uint32_t *ndeclared_locals);
_Atomic(rt_code *) *wasm_mv_code_slot(wasm_module *m, uint32_t func_idx);
void wasm_mv_data(const wasm_module *m, uint32_t seg, const uint8_t **bytes, size_t *len);
const char *wasm_mv_func_name(const wasm_module *m, uint32_t func_idx);

typedef struct mv_limits {
    uint64_t min, max;
    bool has_max;
} mv_limits;

typedef struct mv_extern_type {
    wasm_extern_kind kind;
    uint32_t type_idx;  /* func */
    uint8_t valtype;    /* global: value type; table: element type */
    bool mutable_;      /* global */
    mv_limits limits;   /* table, memory */
} mv_extern_type;

enum { MV_ACTIVE, MV_PASSIVE, MV_DECLARATIVE };

uint32_t wasm_mv_num_types(const wasm_module *m);
uint32_t wasm_mv_num_imports(const wasm_module *m);
/* module/name come from wasm_module_import(); this gives the type. */
void wasm_mv_import_type(const wasm_module *m, uint32_t i, mv_extern_type *out);
uint32_t wasm_mv_num_funcs(const wasm_module *m); /* including imported */
uint32_t wasm_mv_num_imported_funcs(const wasm_module *m);
uint32_t wasm_mv_num_tables(const wasm_module *m); /* including imported */
uint32_t wasm_mv_num_mems(const wasm_module *m);
uint32_t wasm_mv_num_globals(const wasm_module *m);
/* Defined objects, by index in their index space (>= the imported count). */
void wasm_mv_table(const wasm_module *m, uint32_t idx, uint8_t *elem_type, mv_limits *lim);
void wasm_mv_mem(const wasm_module *m, uint32_t idx, mv_limits *lim);
void wasm_mv_global(const wasm_module *m, uint32_t idx, uint8_t *valtype, bool *mutable_,
                    const uint8_t **init_expr);
/* Exports: index in the kind's index space. */
void wasm_mv_export(const wasm_module *m, uint32_t i, const char **name, wasm_extern_kind *kind,
                    uint32_t *index);
/* Export i's name and its length (names may hold NUL bytes). */
const char *wasm_mv_export_name(const wasm_module *m, uint32_t i, size_t *len);
int64_t wasm_mv_start(const wasm_module *m); /* -1 if none */
uint32_t wasm_mv_num_elems(const wasm_module *m);
void wasm_mv_elem(const wasm_module *m, uint32_t i, int *mode, uint32_t *table,
                  const uint8_t **offset_expr, uint8_t *elem_type, uint32_t *count);
/* Item j of element segment i: either a function index or a const expr. */
void wasm_mv_elem_item(const wasm_module *m, uint32_t i, uint32_t j, const uint8_t **expr,
                       uint32_t *func_idx);
uint32_t wasm_mv_num_datas(const wasm_module *m);
void wasm_mv_data_seg(const wasm_module *m, uint32_t i, int *mode, uint32_t *mem,
                      const uint8_t **offset_expr);
/* The module's copy-on-write memory image (image.c): its memfd and length,
 * or false when the module has none. */
bool wasm_mv_image(const wasm_module *m, int *fd, size_t *len);
/* With an image: [ndatas] which segments it applied (image.c), else NULL. */
const bool *wasm_mv_image_applied(const wasm_module *m);

/* ---- runtime objects ---------------------------------------------------- */

struct wasm_func {
    wasm_store *store;
    uint32_t type_id; /* store-interned signature */
    const char *sig;  /* owned by the store's type table */
    uint32_t nparams, nresults;
    const uint8_t *types; /* param valtypes then result valtypes (store-owned) */
    bool is_host;
    /* Wasm functions */
    wasm_instance *inst;
    uint32_t func_idx;
    const rt_code *code; /* NULL until first call */
    /* host functions */
    wasm_host_fn fn;
    void *env;
    void (*env_free)(void *);
};

struct wasm_memory {
    wasm_store *store;
    uint8_t *base;      /* reservation start; never moves */
    uint64_t size;      /* bytes accessible now */
    uint64_t max_pages; /* declared maximum (or the 4 GiB ceiling) */
    uint64_t reserved;  /* bytes reserved */
    bool has_max;
};

struct wasm_table {
    wasm_store *store;
    uint8_t elem_type; /* WASM_FUNCREF / WASM_EXTERNREF */
    uint32_t size;
    uint32_t max; /* UINT32_MAX if none */
    bool has_max;
    void **elems;
};

struct wasm_global {
    wasm_store *store;
    uint8_t type;
    bool mutable_;
    rt_slot val;
};

/* An instance's element segment after instantiation (refs evaluated). */
typedef struct rt_elem {
    uint32_t len; /* 0 once dropped */
    void **refs;
} rt_elem;

struct wasm_instance {
    wasm_store *store;
    wasm_module *module;
    uint32_t nfuncs, ntables, nmems, nglobals;
    wasm_func **funcs;
    wasm_table **tables;
    wasm_memory **mems;
    wasm_global **globals;
    uint32_t *type_ids; /* module type index -> store type id */
    rt_elem *elems;
    bool *data_dropped;
    uint32_t nelems, ndatas;
    /* exports, in module order, resolved */
    uint32_t nexports;
    wasm_extern *exports;
    wasm_func *own_funcs; /* the defined functions, one allocation */
    uint32_t nown_funcs;
};

/* One activation record of the interpreter's call stack. */
typedef struct rt_frame {
    wasm_func *func;
    const uint32_t *ret_ip; /* where the caller continues */
    rt_slot *fp;            /* the frame of this function */
} rt_frame;

/* An interned function type. */
typedef struct rt_type {
    char *sig;      /* "ii:i" */
    uint8_t *vals;  /* params then results */
    uint32_t np, nr;
} rt_type;

/* A vector of owned pointers. */
typedef struct rt_vec {
    void **items;
    size_t len, cap;
} rt_vec;
void wasm_rt_vec_push(rt_vec *v, void *p);

struct wasm_store {
    wasm_store_config config;
    uint32_t max_depth;
    _Atomic bool interrupt;
    uint64_t deadline_ns;

    /* interned function types, id = index; type_slots is an open-addressing
     * hash of the ids by signature (0: empty, else id + 1), so interning a
     * module's few hundred types per instantiation stays linear */
    rt_type *types;
    uint32_t ntypes, types_cap;
    uint32_t *type_slots;
    uint32_t type_slots_cap;

    rt_vec funcs, memories, tables, globals, instances;

    /* execution stacks, allocated on first call */
    rt_slot *stack;       /* value stack reservation */
    rt_slot *stack_end;
    rt_slot *stack_top;   /* first free slot for a new outermost call */
    rt_frame *frames;     /* max_depth + 1 entries */
    uint32_t depth;       /* frames in use */

    /* pending outcome raised by a host function or the interpreter */
    wasm_result_kind pending_kind;
    int pending_exit;
    char pending_msg[256];
    char pending_bt[2048];
};

/* What a linker holds for one (module, name): a store's extern, or a host
 * function of no store (`host`: made in the instantiating store, with
 * `env`, or the store's user_data when env is NULL). */
typedef struct rt_link_def {
    bool host;
    wasm_extern ext;
    char *sig;
    wasm_host_fn fn;
    void *env;
} rt_link_def;
/* The definition of (module, name), or NULL. */
const rt_link_def *wasm_rt_linker_find(const wasm_linker *l, const char *module, const char *name);

uint32_t wasm_rt_store_intern_type(wasm_store *s, const char *sig);
/* Makes f a function of s with interned type `type_id` (its signature,
 * value types and arities, which calls read from the function itself). */
void wasm_rt_func_init(wasm_store *s, wasm_func *f, uint32_t type_id);
/* Builds the signature string of a module function type (caller frees). */
char *wasm_rt_sig_of_functype(const wasm_module *m, uint32_t type_idx);
/* The store's type ids of the module's function types [ntypes] (malloc'd). */
uint32_t *wasm_rt_store_intern_module_types(wasm_store *s, const wasm_module *m);
/* Parses a signature string; returns false if malformed. */
bool wasm_rt_sig_parse(const char *sig, uint8_t **types, uint32_t *np, uint32_t *nr);
char wasm_rt_type_letter(uint8_t valtype);

int wasm_rt_stack_init(wasm_store *s);

/* memory.c */
wasm_memory *wasm_rt_memory_new(wasm_store *s, uint64_t min_pages, uint64_t max_pages, bool has_max,
                                wasm_result *res);
int64_t wasm_rt_memory_grow(wasm_memory *m, uint64_t delta_pages);
/* pool.c: the calling thread's reservations kept for reuse.  take returns
 * a reset reservation of exactly len bytes or NULL; give keeps a reset
 * one (false: the pool is full or off, the caller unmaps it). */
typedef enum wasm_rt_pool_kind {
    WASM_RT_POOL_STACK,
    WASM_RT_POOL_MEMORY,
    WASM_RT_POOL_BLOCK, /* malloc'd arrays of an instance (pool.c) */
} wasm_rt_pool_kind;
void *wasm_rt_pool_take(wasm_rt_pool_kind kind, size_t len);
bool wasm_rt_pool_give(wasm_rt_pool_kind kind, void *base, size_t len);
/* Heap blocks of at least this many bytes go back to the pool. */
#define WASM_RT_POOL_BLOCK_MIN (16u << 10)
/* A malloc'd block of len bytes, from the pool when one of exactly len
 * bytes is there: its contents are NOT zeroed (write every byte used);
 * give hands it back (or frees it). */
void *wasm_rt_block_take(size_t len);
void wasm_rt_block_give(void *p, size_t len);
/* Maps len bytes of the image fd privately over the start of m (which must
 * be accessible that far); false (m unchanged) if the kernel refuses. */
bool wasm_rt_memory_map_image(wasm_memory *m, int fd, size_t len);
void wasm_rt_memory_free(wasm_memory *m);

/* table.c */
wasm_table *wasm_rt_table_new(wasm_store *s, uint8_t elem_type, uint32_t min, uint32_t max,
                              bool has_max, void *init);
int64_t wasm_rt_table_grow(wasm_table *t, uint32_t delta, void *init);
void wasm_rt_table_free(wasm_table *t);

/* interp.c: runs f with its arguments already in fp[0..nparams); results in
 * fp[0..nresults).  Returns 0, or -1 with the store's pending outcome set. */
int wasm_rt_interp_call(wasm_store *s, wasm_func *f, rt_slot *fp);
/* The same for a call from compiled function `caller` (jit_run.c): the
 * interpreter runs f even if it has machine code. */
int wasm_rt_interp_call_from(wasm_store *s, wasm_func *f, rt_slot *fp, wasm_func *caller);
/* MEMORY_COPY/FILL/INIT and TABLE_COPY/INIT/FILL (op) at ip: a trap
 * message or NULL (the compiler tier calls it too). */
const char *wasm_rt_bulk_op(wasm_store *s, wasm_instance *inst, int op, rt_slot *fp,
                            const uint32_t *ip);
/* The handler offsets the translator emits, indexed by op number. */
const int32_t *wasm_rt_interp_handlers(void);

struct wasm_caller {
    wasm_store *store;
    wasm_instance *inst; /* NULL when called directly through the API */
};
/* Calls a host function with its arguments in fp[0..nparams); results go
 * to fp[0..nresults).  Returns 0 or -1 with the outcome pending. */
int wasm_rt_call_host(wasm_store *s, wasm_func *f, wasm_instance *inst, rt_slot *fp);

/* call.c */
/* Is this thread's native stack nearly used up (inside a call)?  Compiled
 * code recurses natively and asks before each nested call. */
bool wasm_rt_native_stack_low(void);
/* The lowest address a nested call may run at on this thread (0: unknown). */
uintptr_t wasm_rt_native_stack_floor(void);
void wasm_rt_set_trap(wasm_store *s, const char *msg);
void wasm_rt_fill_result(wasm_store *s, wasm_result *res);
/* Appends the backtrace of frames [from, s->depth) (innermost first). */
void wasm_rt_backtrace(wasm_store *s, uint32_t from, wasm_func *innermost);

/* util */
void wasm_rt_result_set(wasm_result *res, wasm_result_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
