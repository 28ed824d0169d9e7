/*
 * instance_internal.h - private to src/component: the linking plan
 * (resolve.c, pre.c) and the instance graph it is run into
 * (instantiate.c, trampoline.c, exports.c).
 *
 * Static side.  A component_pre holds a tree of `pcomp`, one per component
 * *instantiation*: the top-level component, and each nested component at
 * the instance definition that instantiates it.  Resolving per
 * instantiation (not per component definition) gives every imported
 * resource type its identity from the actual argument, so every type in a
 * pcomp ends as direct pointers (component_rtype / component_rfunc /
 * component_resource_type) in the pre's pool.  Each index of each sort is
 * mapped to the definition that made it (`pdef`), and the static items
 * (types, function types, instance shapes) are resolved lazily through
 * that map with a cache, then eagerly for every import, canon, instance and
 * export, so pre_new reports every error a run could meet.
 *
 * Run-time side.  A component_instance holds a tree of `rinst` mirroring
 * the pcomp tree; each rinst evaluates its definitions in the same way
 * (by index, lazily, memoised), while its instance definitions run in
 * definition order, which is what makes core start functions run in the
 * order the component wrote them.
 */
#ifndef COMPONENT_INSTANCE_INTERNAL_H
#define COMPONENT_INSTANCE_INTERNAL_H

#include "component_internal.h"
#include "host.h"

#include <stdatomic.h>

/* ---- static side ------------------------------------------------------- */

/* How deep resolving one definition may recurse through the definitions
 * it uses (types inside types, aliases of exports of instances...): real
 * components stay under a few dozen; hostile ones are refused instead of
 * exhausting the C stack. */
#define COMPONENT_MAX_RESOLVE_DEPTH 256

/* Who defined an index of a sort. */
typedef enum {
    PDEF_NONE,
    PDEF_IMPORT,   /* ref = import number */
    PDEF_ALIAS,    /* ref = alias number */
    PDEF_CANON,    /* ref = canon number */
    PDEF_INSTANCE, /* ref = instance definition number (core or not) */
    PDEF_EXPORT,   /* ref = export number */
    PDEF_MODULE,   /* ref = embedded module number */
    PDEF_NESTED,   /* ref = nested component number */
    PDEF_TYPE,     /* types: the type space entry itself */
} pdef_kind;

typedef struct pdef {
    pdef_kind kind;
    uint32_t ref;
} pdef;

typedef enum {
    STYPE_VALUE,     /* val */
    STYPE_FUNC,      /* func */
    STYPE_RESOURCE,  /* res */
    STYPE_INSTANCE,  /* decls in scope */
    STYPE_COMPONENT, /* decls in scope */
    STYPE_OTHER,     /* core types and what the runtime never needs */
} stype_kind;

typedef struct tscope tscope;
typedef struct pcomp pcomp;
typedef struct sinst sinst;

typedef struct stype {
    stype_kind kind;
    const component_rtype *val;
    component_rfunc *func;
    component_resource_type *res;
    const component_decls *decls;
    tscope *scope; /* where decls' indices resolve */
} stype;

/* A type space being resolved: a component's body (comp set) or the
 * declarators of an instance/component type. */
struct tscope {
    tscope *parent;
    pcomp *comp;                  /* body scopes: the component */
    const component_type *types;
    uint32_t ntypes;
    stype **cache;                /* per type index, NULL until resolved */
    uint8_t *busy;                /* cycle guard */
};

/* One static item of any sort. */
typedef struct sitem {
    component_sort sort;
    stype *type;                         /* TYPE */
    component_rfunc *func;               /* FUNC: its type */
    const component_host_func *host;     /* FUNC from the host */
    sinst *inst;                         /* INSTANCE */
    const component *comp;               /* COMPONENT: its definition ... */
    pcomp *comp_scope;                   /* ... and the scope it was defined in */
} sitem;

/* An instance's shape: its exports by name. */
struct sinst {
    uint32_t n;
    const char **names;
    sitem *items;
    const component_host_interface *host; /* an import the host serves */
};

/* A core instance definition linked by position (coreplan.c): import i
 * of module m is member `at` of argument `arg` (an export number of the
 * argument's module instance, or the position in its inline list). */
typedef struct core_import_src {
    uint32_t arg, at;
} core_import_src;

typedef struct core_plan {
    wasm_module *m;
    uint32_t nimports;
    core_import_src *src;
} core_plan;

struct pcomp {
    component_pre *pre;
    const component *c;
    pcomp *outer;          /* the scope the component was defined in (outer aliases) */
    pcomp *parent;         /* the instantiating pcomp (NULL at the top) */
    uint32_t parent_def;   /* its instance definition number in parent */
    const char *path;      /* for messages: "" top, "nested 0" ... */
    pdef *defs[COMPONENT_SORT_COUNT];
    tscope body;
    sitem **items[COMPONENT_SORT_COUNT]; /* cache of static items per index */
    pcomp **children;      /* per instance definition number: the instantiated pcomp */
    component_resource_type **own_res; /* per type index: resources this component defines */
    /* coreplan.c, per instance definition number: how a core instantiation
     * links (NULL: by name); per alias number: the export number a core
     * export alias reads (UINT32_MAX: by name) */
    core_plan **core_plans;
    uint32_t *alias_export;
    /* per alias number: where an export alias of a component instance
     * found its member last time (instantiate.c; a guess, checked) */
    _Atomic uint32_t *alias_hint;
};

struct component_pre {
    const component_linker *linker; /* during component_pre_new only */
    const component_linker *held;   /* the reference the pre keeps */
    /* component_visit_imports: imports are declared to `visit` instead of
     * being looked up (resources get identities of their own) */
    void (*visit)(void *env, const char *interface, const char *name,
                  const component_rfunc *func, component_resource_type *res,
                  const component_rtype *vtype);
    void *visit_env;
    uint32_t depth; /* of the resolution under way */
    uint8_t *bytes;
    size_t len;
    component *c;
    component_rtype_pool *pool;
    pcomp *top;
    /* compiled modules, per (component, module number) */
    struct pre_module {
        const component *c;
        uint32_t num;
        wasm_module *m;
    } *modules;
    size_t nmodules, modules_cap;
    /* instantiate.c: bytes of instance graph the latest instantiation
     * allocated; the next one's arena starts at this size (one chunk) */
    _Atomic size_t inst_bytes;
    /* componentize.c: the embedder serves the imports of core module 0
     * of the top component that no `with` argument names */
    component_core_host core_host;
};

/* component_pre_new_take, keeping `host` (may be NULL) for the
 * instantiations (componentize.c). */
component_pre *component_pre_new_take_core(uint8_t *bytes, size_t len, const component_linker *l,
                                           const component_core_host *host, util_error **err);

/* For tests and tools: resolves the component's imports as it declares
 * them, calling `visit` for each resource (res), named value type (vtype)
 * and function (func) of each imported interface (interface NULL: top
 * level), in declaration order (valid during the call only);
 * a resource shared by several interfaces is the same `res` each time.
 * Enough to build a linker that serves exactly these imports. */
int component_visit_imports(const uint8_t *bytes, size_t len,
                            void (*visit)(void *env, const char *interface, const char *name,
                                          const component_rfunc *func,
                                          component_resource_type *res,
                                          const component_rtype *vtype),
                            void *env, util_error **err);

/* resolve.c */
pcomp *component_pcomp_top(component_pre *pre);
int component_pcomp_build(component_pre *pre, pcomp *p, util_error **err);
sitem *component_pcomp_item(pcomp *p, component_sort sort, uint32_t idx, util_error **err);
stype *component_pcomp_type(tscope *s, uint32_t idx, util_error **err);
wasm_module *component_pre_module(component_pre *pre, const component *c, uint32_t num,
                                  util_error **err);
const sitem *component_sinst_find(const sinst *s, const char *name);

/* coreplan.c: works out p's core plans (after its modules are compiled). */
void component_pcomp_plan(pcomp *p);

/* ---- run-time side ----------------------------------------------------- */

typedef struct rinst rinst;
typedef struct rval rval;

/* A component function value. */
typedef struct cfunc {
    const component_rfunc *type;
    const component_host_func *host; /* a host function, or a lifted guest one: */
    rinst *owner;
    wasm_func *core;
    wasm_memory *memory;
    wasm_func *realloc, *post_return;
    component_string_encoding encoding;
} cfunc;

/* A component instance value at run time. */
typedef struct rinstval {
    const sinst *host_shape; /* a host import: funcs from its host items */
    rval *host_vals;         /* ... made on first use, one per item */
    rinst *child;            /* an instantiated component: its exports */
    rinst *inline_in;        /* an inline instance: args of definition `def` of inline_in */
    uint32_t def;
} rinstval;

/* A core instance at run time: an instantiated module, or inline exports. */
typedef struct rcore {
    wasm_instance *inst;
    rinst *inline_in;
    uint32_t def;
} rcore;

struct rval {
    bool done, busy;
    component_sort sort;
    wasm_extern ext;   /* core func/table/memory/global */
    rcore *core;       /* CORE_INSTANCE */
    wasm_module *module;
    cfunc *func;       /* FUNC */
    rinstval *inst;    /* INSTANCE */
};

typedef struct component_instance component_instance;

struct rinst {
    component_instance *top;
    pcomp *p;
    rinst *parent;
    uint32_t parent_def;
    rval *vals[COMPONENT_SORT_COUNT];
    rinst **children; /* per instance definition number */
    component_handles *handles;
    bool may_enter;
    /* The spec's may_leave: false while the instance's realloc or
     * post-return runs, when calling an import traps. */
    bool may_leave;
};

struct component_instance {
    const component_pre *pre;
    wasm_store *store;
    void *data;
    rinst *root;
    rinst **all; /* every rinst, for freeing */
    size_t nall, all_cap;
    component_arena *call_arena;   /* host calls from guests */
    component_arena *result_arena; /* results of exports, until post-return */
    uint32_t trampoline_depth;
    uint32_t eval_depth; /* of component_rinst_eval */
    uint32_t next_scope;
    /* the export call waiting for post-return */
    const component_func *pending;
    wasm_val pending_results[COMPONENT_MAX_FLAT_RESULTS];
    /* what the graph allocated, freed with it: bump chunks, the first one
     * sized by what the pre's earlier instances took (pre->inst_bytes) */
    struct inst_chunk *chunks;
    size_t graph_bytes;
    /* exports looked up, kept for the instance's life */
    struct component_func **funcs;
    size_t nfuncs, funcs_cap;
};

struct component_func {
    cfunc *f;
    char signature[512];
};

/* instantiate.c */
void *component_instance_alloc(component_instance *inst, size_t size);
rval *component_rinstval_find(rinstval *v, const char *name, wasm_result *res);
/* The same, trying the member at *hint first and leaving the found one's
 * position there (hint may be NULL). */
rval *component_rinstval_find_hinted(rinstval *v, const char *name, _Atomic uint32_t *hint,
                                     wasm_result *res);
rval *component_rinst_eval(rinst *r, component_sort sort, uint32_t idx, wasm_result *res);
int component_rinst_trap(wasm_result *res, wasm_result_kind kind, const char *fmt, ...)
    UTIL_PRINTF(3, 4);
/* The instance that defines guest resource `t`, and its destructor (NULL: none). */
int component_resource_dtor(component_instance *inst, component_resource_type *t,
                            rinst **owner, wasm_func **dtor, wasm_result *res);

/* trampoline.c: canon lower and the resource built-ins as core functions. */
wasm_func *component_lower_func(rinst *r, const component_canon *canon, cfunc *callee,
                                wasm_result *res);
wasm_func *component_resource_builtin(rinst *r, const component_canon *canon,
                                      component_resource_type *t, wasm_result *res);
/* Calls a lifted guest function with host values (exports.c and
 * component-to-component trampolines): lowers args, calls, lifts the
 * result into `arena`; *core_results keeps the core results for its
 * post-return. */
int component_call_lifted(cfunc *f, component_arena *arena, const component_val *args,
                          component_val *result, wasm_val *core_results, wasm_result *res);
int component_run_post_return(cfunc *f, wasm_val *core_results, wasm_result *res);
/* Destroys a guest or host resource whose last own handle `from` (NULL:
 * the host) dropped. */
int component_drop_own(component_instance *inst, rinst *from, component_resource_type *t,
                       uintptr_t rep, wasm_result *res);

#endif
