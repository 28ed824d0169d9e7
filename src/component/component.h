/*
 * component.h - the door of src/component: the WebAssembly component model's
 * binary format (design/mvp/Binary.md of WebAssembly/component-model, the
 * version 0x0d layer 0x01 preamble that wasm-tools and wit-component emit).
 *
 * This first slice decodes a component into a read-only model: its imports
 * and exports with parsed names (`wasi:cli/run@0.2.12` -> namespace "wasi",
 * package "cli", interface "run", version "0.2.12"), its type index space
 * with every defined type, its core instances, instances, aliases and
 * canonical definitions in definition order (each with the index it
 * defines), the byte ranges of its embedded core modules (to be decoded by
 * the engine) and its nested components.  Core types (function and module
 * types, with their declarations) are decoded and counted, not kept.
 * Linking, the canonical ABI and WASI 0.2 come later.
 *
 * Decoding is all-or-nothing: component_decode either returns a model or
 * an error naming the section and the absolute byte offset,
 * e.g. "type section at offset 0x1a3: unknown defvaltype 0x5c".  Nothing in
 * the input can make it crash or loop; every count is bounded by the bytes
 * left, so the model takes at most about 100 bytes per input byte, and
 * nesting (components, component/instance types) stops at 32 levels.
 *
 * What is checked: the grammar of every section; that every index refers to
 * an existing entry of its index space (core func/table/memory/global/tag/
 * type/module/instance, func/value/type/component/instance), counted as the
 * sections add to them; that own/borrow name a resource (or an abstract
 * type bound to one); that canon lift names a function type; outer-alias
 * depths; the syntax of import/export names; UTF-8 of every name; that the
 * embedded core modules start with a core preamble.
 * What is not checked yet (instantiation type-checking, the next slice):
 * that the arguments of an instantiation match the imports, that aliased
 * exports exist with the sort asked for, subtyping of export ascriptions,
 * uniqueness of names, and the contents of embedded core modules.
 *
 * The model does not keep the input: core module ranges are offsets into
 * the bytes given to component_decode.
 */
#ifndef COMPONENT_COMPONENT_H
#define COMPONENT_COMPONENT_H

#include "util.h"
#include "wasm.h"

/* ---- sorts (index spaces) --------------------------------------------- */

typedef enum {
    COMPONENT_SORT_CORE_FUNC,
    COMPONENT_SORT_CORE_TABLE,
    COMPONENT_SORT_CORE_MEMORY,
    COMPONENT_SORT_CORE_GLOBAL,
    COMPONENT_SORT_CORE_TAG,
    COMPONENT_SORT_CORE_TYPE,
    COMPONENT_SORT_CORE_MODULE,
    COMPONENT_SORT_CORE_INSTANCE,
    COMPONENT_SORT_FUNC,
    COMPONENT_SORT_VALUE,
    COMPONENT_SORT_TYPE,
    COMPONENT_SORT_COMPONENT,
    COMPONENT_SORT_INSTANCE,
    COMPONENT_SORT_COUNT
} component_sort;

/* "core func", "instance", ... (for messages). */
const char *component_sort_name(component_sort sort);

/* ---- names ------------------------------------------------------------ */

typedef enum {
    COMPONENT_NAME_PLAIN,     /* a label, maybe annotated: "run", "[method]fields.get" */
    COMPONENT_NAME_INTERFACE, /* ns:pkg/iface@version */
} component_name_kind;

typedef enum {
    COMPONENT_PLAIN_LABEL,
    COMPONENT_PLAIN_CONSTRUCTOR, /* [constructor]resource */
    COMPONENT_PLAIN_METHOD,      /* [method]resource.label */
    COMPONENT_PLAIN_STATIC,      /* [static]resource.label */
} component_plain_kind;

typedef struct component_name {
    char *text; /* the whole name as encoded */
    component_name_kind kind;
    /* interface names */
    char *ns, *package, *interface;
    char *version; /* NULL when the name carries none */
    /* plain names */
    component_plain_kind plain;
    char *resource; /* constructor/method/static: the resource's label */
    char *label;    /* the (last) label */
} component_name;

/* Parses an import/export name into *name (freed with
 * component_name_clear); refuses what the grammar does not allow. */
int component_name_parse(const char *text, size_t len, component_name *name, util_error **err);
void component_name_clear(component_name *name);

/* ---- types ------------------------------------------------------------ */

typedef enum {
    COMPONENT_ALIAS_EXPORT,      /* export `name` of instance `instance` */
    COMPONENT_ALIAS_CORE_EXPORT, /* export `name` of core instance `instance` */
    COMPONENT_ALIAS_OUTER,       /* index `outer_index` of the scope `outer_count` out */
} component_alias_kind;

/* A value type is a primitive (prim != 0) or an index into the type space. */
typedef enum {
    COMPONENT_PRIM_NONE = 0,
    COMPONENT_PRIM_BOOL = 0x7f,
    COMPONENT_PRIM_S8 = 0x7e,
    COMPONENT_PRIM_U8 = 0x7d,
    COMPONENT_PRIM_S16 = 0x7c,
    COMPONENT_PRIM_U16 = 0x7b,
    COMPONENT_PRIM_S32 = 0x7a,
    COMPONENT_PRIM_U32 = 0x79,
    COMPONENT_PRIM_S64 = 0x78,
    COMPONENT_PRIM_U64 = 0x77,
    COMPONENT_PRIM_F32 = 0x76,
    COMPONENT_PRIM_F64 = 0x75,
    COMPONENT_PRIM_CHAR = 0x74,
    COMPONENT_PRIM_STRING = 0x73,
    COMPONENT_PRIM_ERROR_CONTEXT = 0x64,
} component_prim;

typedef struct component_valtype {
    component_prim prim; /* COMPONENT_PRIM_NONE: `index` names a type */
    uint32_t index;
} component_valtype;

typedef enum {
    /* defined value types */
    COMPONENT_TYPE_PRIM,
    COMPONENT_TYPE_RECORD,  /* fields */
    COMPONENT_TYPE_VARIANT, /* fields = cases, has_type when the case carries one */
    COMPONENT_TYPE_LIST,    /* a (length > 0: fixed-length list) */
    COMPONENT_TYPE_TUPLE,   /* fields without labels */
    COMPONENT_TYPE_FLAGS,   /* fields = labels */
    COMPONENT_TYPE_ENUM,    /* fields = labels */
    COMPONENT_TYPE_OPTION,  /* a */
    COMPONENT_TYPE_RESULT,  /* a = ok (has_a), b = error (has_b) */
    COMPONENT_TYPE_OWN,     /* index = resource type */
    COMPONENT_TYPE_BORROW,  /* index = resource type */
    COMPONENT_TYPE_STREAM,  /* a (has_a) */
    COMPONENT_TYPE_FUTURE,  /* a (has_a) */
    COMPONENT_TYPE_MAP,     /* a = key, b = value */
    /* other defined types */
    COMPONENT_TYPE_FUNC,      /* fields = params; a = result (has_a); async */
    COMPONENT_TYPE_COMPONENT, /* decls */
    COMPONENT_TYPE_INSTANCE,  /* decls */
    COMPONENT_TYPE_RESOURCE,  /* rep (a core valtype byte), dtor (has_dtor) */
    /* type indices that are not definitions */
    COMPONENT_TYPE_ALIAS,       /* alias of an instance's export or an outer type */
    COMPONENT_TYPE_IMPORT_EQ,   /* imported/exported (eq index); index names a type that
                                   is not itself IMPORT_EQ (chains collapsed) */
    COMPONENT_TYPE_IMPORT_SUB,  /* imported/exported (sub resource): an abstract resource */
} component_type_kind;

typedef struct component_field {
    char *label; /* NULL in tuples */
    bool has_type;
    component_valtype type;
} component_field;

typedef struct component_decls component_decls;

typedef struct component_type {
    component_type_kind kind;
    component_prim prim;
    bool has_a, has_b;
    component_valtype a, b;
    uint32_t index;  /* own/borrow, import eq */
    uint32_t length; /* fixed-length lists */
    bool async;      /* func */
    component_field *fields;
    uint32_t nfields;
    uint8_t rep; /* resource: core valtype byte (0x7f = i32) */
    bool has_dtor;
    uint32_t dtor;          /* resource: core func index */
    component_decls *decls; /* component and instance types */
    /* ALIAS: what the alias names (kept in type declarators too, where no
     * component_alias records it): export `alias_name` of instance
     * `alias_instance`, or type `alias_outer_index` of the scope
     * `alias_outer_count` out. */
    component_alias_kind alias_kind;
    uint32_t alias_instance, alias_outer_count, alias_outer_index;
    char *alias_name;
} component_type;

/* What an import (or an export's ascription, or a declarator) says. */
typedef struct component_externdesc {
    component_sort sort; /* CORE_MODULE, FUNC, VALUE, TYPE, COMPONENT, INSTANCE */
    /* type index (core type for modules); for TYPE: bound eq index, or
     * sub_resource; for VALUE: eq value index or a valtype */
    bool sub_resource;
    bool value_eq;
    uint32_t index;
    component_valtype valtype;
} component_externdesc;

typedef struct component_extern {
    component_name name;
    component_sort sort; /* exports: the sort of `index`; imports: desc.sort */
    uint32_t index;      /* exports: the exported index; imports: the new index */
    uint32_t defines;    /* exports of a component: the new index the export adds */
    bool has_desc;       /* always for imports; exports when ascribed */
    component_externdesc desc;
} component_extern;

/* The declarators of a component or instance type: its own type space, and
 * the imports (component types only) and exports it declares. */
struct component_decls {
    component_type *types;
    uint32_t ntypes;
    uint32_t ncore_types;
    component_extern *imports;
    uint32_t nimports;
    component_extern *exports;
    uint32_t nexports;
};

/* ---- canonical definitions ------------------------------------------- */

typedef enum {
    COMPONENT_CANON_LIFT = 0x00,
    COMPONENT_CANON_LOWER = 0x01,
    COMPONENT_CANON_RESOURCE_NEW = 0x02,
    COMPONENT_CANON_RESOURCE_DROP = 0x03,
    COMPONENT_CANON_RESOURCE_REP = 0x04,
    /* the async, stream/future, error-context and thread built-ins keep
     * their opcode as kind; see component_canon_name */
} component_canon_kind;

typedef enum {
    COMPONENT_STRING_UTF8,
    COMPONENT_STRING_UTF16,
    COMPONENT_STRING_LATIN1_UTF16,
} component_string_encoding;

typedef struct component_canon {
    uint32_t kind;     /* component_canon_kind or another opcode */
    uint32_t func;     /* lift: core func; lower: func */
    uint32_t type;     /* lift: func type; resource.*, stream.*, future.*: type */
    uint32_t result;   /* the new func (lift) or core func index (the others) */
    component_string_encoding encoding;
    bool has_memory, has_realloc, has_post_return, has_callback, async, cancellable;
    uint32_t memory, realloc, post_return, callback;
    uint32_t imm;      /* context.get/set slot, thread.* table */
} component_canon;

/* "lift", "lower", "resource.drop", "stream.read", ... */
const char *component_canon_name(uint32_t kind);

/* ---- instances and aliases (in definition order) ------------------------ */

typedef struct component_arg {
    char *name;
    component_sort sort;
    uint32_t index;
} component_arg;

/* A core instance (section 2) or an instance (section 5). */
typedef struct component_instance_def {
    bool core;
    bool instantiate;   /* instantiate `of` with `args`; else `args` are inline exports */
    uint32_t of;        /* core module or component index */
    component_arg *args;
    uint32_t nargs;
    uint32_t index;     /* the (core) instance index it defines */
} component_instance_def;

typedef struct component_alias {
    component_alias_kind kind;
    component_sort sort;
    uint32_t instance, outer_count, outer_index;
    char *name;     /* export aliases */
    uint32_t index; /* the index it defines in `sort` */
} component_alias;

/* ---- the component ---------------------------------------------------- */

typedef struct component component;

typedef struct component_module_range {
    size_t offset; /* into the bytes given to component_decode */
    size_t len;
} component_module_range;

/* True when the bytes start with the component preamble
 * (\0asm, version 0x0d 0x00, layer 0x01 0x00). */
bool component_is_component(const void *bytes, size_t len);

int component_decode(const void *bytes, size_t len, component **out, util_error **err);
void component_free(component *c);

size_t component_import_count(const component *c);
const component_extern *component_import(const component *c, size_t i);
size_t component_export_count(const component *c);
const component_extern *component_export(const component *c, size_t i);
/* The export whose name is exactly `name`, or NULL. */
const component_extern *component_find_export(const component *c, const char *name);
/* The first export of interface `ns:pkg/iface` (whatever its version, e.g.
 * "wasi:cli/run" finds wasi:cli/run@0.2.12), or NULL. */
const component_extern *component_find_interface_export(const component *c,
                                                        const char *ns_pkg_iface);

/* How many entries each index space holds once all sections are read. */
uint32_t component_count(const component *c, component_sort sort);
/* The type space: one entry per type index. */
const component_type *component_type_at(const component *c, uint32_t index);
/* Core instances and instances, in the order they are defined. */
size_t component_instance_count(const component *c);
const component_instance_def *component_instance_at(const component *c, size_t i);
/* Aliases of the component body (not those inside type declarators). */
size_t component_alias_count(const component *c);
const component_alias *component_alias_at(const component *c, size_t i);
size_t component_canon_count(const component *c);
const component_canon *component_canon_at(const component *c, size_t i);
/* Embedded core modules, in core module index order. */
size_t component_module_count(const component *c);
component_module_range component_module_at(const component *c, size_t i);
/* Nested components defined in the component section, in order (offsets
 * of their modules stay relative to the outermost input). */
size_t component_nested_count(const component *c);
const component *component_nested_at(const component *c, size_t i);

/* ======================================================================
 * The runtime: linking, the canonical ABI, instances, host functions.
 *
 * How the pieces fit (wasmtime's model, in C):
 *
 *   component_linker  the host's side: functions and resource types,
 *                     registered by interface name and version
 *                     ("wasi:io/streams@0.2.6") with a WIT-like signature
 *                     each, so a component's imports are type-checked
 *                     against them once, at link time.
 *   component_pre     a component decoded, its core modules compiled, its
 *                     imports resolved and type-checked against a linker:
 *                     everything that does not depend on a store.  Made
 *                     once per app; the linker may be freed after.
 *   component_instance the instance graph of one component_pre inside an
 *                     engine store (core instances, handle tables, the
 *                     host's per-instance data).  One per request in Spin.
 *   component_val     a value of the component model as the host sees it:
 *                     lifted out of (or to be lowered into) linear memory
 *                     by the canonical ABI.  Values live in a per-call
 *                     arena, never in malloc'd trees: strings and lists of
 *                     numbers point straight into guest memory.
 *
 * Imports match as wasmtime matches them (Names and Semver): a host
 * interface "x@0.2.6" serves imports of "x@0.2.0" .. "x@0.2.99" (key
 * x@0.2), "x@1.4.0" serves any "x@1.*"; the newest registered version
 * wins; versions 0.0.z and pre-releases ("-rc-2023-10-18", "-draft2")
 * match only exactly.
 * ==================================================================== */


/* ---- values ------------------------------------------------------------ */

typedef enum component_val_kind {
    COMPONENT_VAL_BOOL,
    COMPONENT_VAL_S8, COMPONENT_VAL_U8, COMPONENT_VAL_S16, COMPONENT_VAL_U16,
    COMPONENT_VAL_S32, COMPONENT_VAL_U32, COMPONENT_VAL_S64, COMPONENT_VAL_U64,
    COMPONENT_VAL_F32, COMPONENT_VAL_F64,
    COMPONENT_VAL_CHAR,
    COMPONENT_VAL_STRING,
    COMPONENT_VAL_LIST,
    COMPONENT_VAL_RECORD,  /* also tuples */
    COMPONENT_VAL_VARIANT, /* also enum (no payload), option (0 none, 1 some),
                              result (0 ok, 1 error) */
    COMPONENT_VAL_FLAGS,
    COMPONENT_VAL_OWN,
    COMPONENT_VAL_BORROW,
} component_val_kind;

/* A resource type: one the host defined through the linker, or one a
 * component defined (the runtime makes those).  Opaque. */
typedef struct component_resource_type component_resource_type;

typedef struct component_val component_val;
struct component_val {
    component_val_kind kind;
    union {
        bool b;
        int64_t s;  /* s8 .. s64 */
        uint64_t u; /* u8 .. u64 */
        float f32;  /* NaNs are canonicalised as the spec says */
        double f64;
        uint32_t ch; /* a Unicode scalar value */
        /* Always UTF-8 and valid, whatever the guest's string-encoding
         * (utf16 / latin1+utf16 guests are transcoded into the arena).
         * Not NUL-terminated. */
        struct {
            const char *ptr;
            size_t len;
        } str;
        /* A list.  Elements that are numbers (s8..u64, f32, f64) come as
         * `raw`: n elements packed little-endian as the canonical ABI
         * stores them (a lifted list<u8> is a pointer into guest memory,
         * valid until the host function returns); `items` is NULL then.
         * Every other element type comes as `items`.  When the host gives
         * a list to lower, either form is accepted for number elements. */
        struct {
            component_val *items;
            const void *raw;
            size_t n;
        } list;
        struct {
            component_val *fields;
            size_t n;
        } record;
        struct {
            uint32_t disc;          /* case index (option: 1 = some) */
            component_val *payload; /* NULL when the case carries none */
        } variant;
        uint64_t flags; /* bit i = label i; at most 64 labels */
        /* own/borrow.  Host resources: `rep` is whatever the host stored
         * (usually a pointer).  Guest resources held by the host: the
         * representation the component gave resource.new. */
        struct {
            component_resource_type *type;
            uintptr_t rep;
        } resource;
    } of;
};

/* ---- host functions ---------------------------------------------------- */

/* The context of one call from a component into the host. */
typedef struct component_call component_call;

/* A host function.  `args` are lifted in parameter order; `result` (NULL
 * when the function returns nothing) is filled by the host, with anything
 * it points to allocated by component_call_alloc (or static, or owned by
 * the host and alive until the call returns).  Return 0, or trap with
 * component_call_trap / component_call_exit. */
typedef int (*component_host_fn)(component_call *call, void *env, const component_val *args,
                                 size_t nargs, component_val *result);

/* Memory that lives until the call returns (and its result is lowered):
 * for result values, strings, lists.  NULL only when the arena's cap is
 * reached (then trap). */
void *component_call_alloc(component_call *call, size_t size);
component_val *component_call_vals(component_call *call, size_t n);
/* The per-instance data given to component_instantiate (for example the
 * WASI context of this instance). */
void *component_call_data(component_call *call);
wasm_store *component_call_store(component_call *call);
/* Makes the guest trap with this message; returns -1 for `return`. */
int component_call_trap(component_call *call, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* Ends the guest as wasi:cli/exit does: the caller of the export sees
 * WASM_EXIT with `code`; returns -1 for `return`. */
int component_call_exit(component_call *call, int code);

/* A context for calling host functions directly, from C (tests, or one
 * host interface serving another in-process): the arena and the trap
 * state of a component_call, with `data` as component_call_data. */
component_call *component_call_new(void *data);
void component_call_free(component_call *call);
/* The message of the last trap or exit through this context ("" if none),
 * and the exit code (-1 if no exit). */
const char *component_call_message(const component_call *call);
int component_call_exit_code(const component_call *call);
/* Empties the arena (values returned earlier become invalid) and clears
 * the trap / exit state, for the next call through the same context. */
void component_call_reset(component_call *call);

/* ---- the linker -------------------------------------------------------- */

/* Signatures and named types are WIT-like text, checked structurally
 * against what the component declares:
 *
 *   signature := "func(" [ label ":" type { "," label ":" type } ] ")" [ "->" type ]
 *   type      := bool | s8 | u8 | s16 | u16 | s32 | u32 | s64 | u64
 *              | f32 | f64 | char | string
 *              | "list<" type ">" | "option<" type ">" | "tuple<" type {"," type} ">"
 *              | "result" | "result<" (type | "_") [ "," type ] ">"
 *              | "record{" label ":" type { "," label ":" type } "}"
 *              | "variant{" case { "," case } "}"      case := label [ "(" type ")" ]
 *              | "enum{" label { "," label } "}" | "flags{" label { "," label } "}"
 *              | "own<" name ">" | "borrow<" name ">"
 *              | name            (a type or resource defined earlier in the
 *                                 same interface, or aliased into it)
 * Blanks are allowed between tokens.  Labels are kebab-case.
 *
 * `interface` is "ns:pkg/iface@version" (version optional), or NULL for a
 * function the component imports by plain name at its top level.  Every
 * call below fails with an error naming the interface, the name and (for
 * text) the offending position. */
typedef struct component_linker component_linker;

component_linker *component_linker_new(void);
void component_linker_free(component_linker *l);

/* A host resource type.  `dtor` (may be NULL) runs when the guest drops
 * its last own handle, or when an instance holding one dies; `rep` is
 * the value the host gave.  The type lives as long as the linker and
 * every component_pre made with it. */
component_resource_type *component_linker_define_resource(component_linker *l,
                                                         const char *interface,
                                                         const char *name,
                                                         void (*dtor)(uintptr_t rep),
                                                         util_error **err);
/* Makes an existing resource type known under another interface / name
 * too (a type `use`d from another interface, or one shared by several
 * pre-release versions of an interface). */
int component_linker_alias_resource(component_linker *l, const char *interface,
                                    const char *name, component_resource_type *type,
                                    util_error **err);
/* A named type for later signatures of the same interface
 * ("descriptor-stat" = "record{type: descriptor-type, ...}"). */
int component_linker_define_type(component_linker *l, const char *interface, const char *name,
                                 const char *type, util_error **err);
/* A host function: `name` as the component spells the import
 * ("get-stdout", "[method]output-stream.write", "[static]fields.from-list",
 * "[constructor]fields"). */
int component_linker_define_func(component_linker *l, const char *interface, const char *name,
                                 const char *signature, component_host_fn fn, void *env,
                                 util_error **err);

/* Hands the linker `data` to free with free_fn(data) when its resource
 * types die (the linker and every component_pre made with it gone): the
 * state that a registration's host functions share through their `env`
 * (the resource types they hand out, for one).  Never fails. */
void component_linker_keep(component_linker *l, void *data, void (*free_fn)(void *data));

/* Calls a host function directly, as a guest's call would reach it (for
 * tests, and for one host interface serving another in-process): the
 * interface is found by the same semver rule as imports.  -1 with `err`
 * if there is no such function or it trapped (the trap's message). */
int component_linker_call(const component_linker *l, const char *interface, const char *name,
                          component_call *call, const component_val *args, size_t nargs,
                          component_val *result, util_error **err);

/* ---- compiled components and instances --------------------------------- */

typedef struct component_pre component_pre;

/* Decodes, validates, compiles the core modules and resolves every import
 * through `l` (the newest compatible interface version), type-checking each
 * against the host's signature.  `bytes` is copied.  Errors name the
 * import ("import wasi:cli/stdout@0.2.0: function get-stdout: expected
 * func() -> own<output-stream>, the host has ..."), or the section and
 * offset of a malformed binary. */
component_pre *component_pre_new(const uint8_t *bytes, size_t len, const component_linker *l,
                                 util_error **err);
/* The same for a malloc'd buffer the pre takes over (freed with it, or at
 * once on failure): a component read from a file needs no second copy of
 * its bytes, which for a 12 MB Spin JS app is 12 MB less per process. */
component_pre *component_pre_new_take(uint8_t *bytes, size_t len, const component_linker *l,
                                      util_error **err);
void component_pre_free(component_pre *pre);
const component *component_pre_component(const component_pre *pre);

/* ---- core modules carrying a WIT world (componentize.c) ----------------- */

/* A core module built by wit-bindgen (Rust spin-sdk 2.x, ...) carries its
 * WIT world in `component-type*` custom sections; Spin wraps such a module
 * into a component at load (wit-component's ComponentEncoder with the
 * preview-1 adapter).  Here the component is made from the module itself
 * (see componentize.c): world imports become canon lower, world exports
 * canon lift.  Imports from modules that are no interface of the world
 * (`wasi_snapshot_preview1`) are the embedder's: it says at link time
 * which it serves and defines them at each instantiation. */
typedef struct component_core_host {
    /* True when the embedder serves core import (module, name) of this
     * signature ("iiii:i").  NULL: it serves none. */
    bool (*serves)(void *env, const char *module, const char *name, const char *signature);
    /* Defines those imports in `linker` for one instantiation of `module`
     * in `store` (`data` = component_instantiate's).  0, or -1 with res
     * filled. */
    int (*define)(void *env, wasm_linker *linker, wasm_store *store, const wasm_module *module,
                  void *data, wasm_result *res);
    void *env; /* must outlive every pre made with it */
} component_core_host;

/* True when `bytes` is a core module with at least one component-type
 * custom section. */
bool component_module_has_world(const uint8_t *bytes, size_t len);

/* The component made from such a module (malloc'd binary; for tests and
 * tools).  `host` may be NULL (then every non-world import is an error).
 * Errors name what is wrong: a malformed section, an import the world
 * lacks, a missing memory or cabi_realloc. */
int component_from_module(const uint8_t *bytes, size_t len, const component_core_host *host,
                          uint8_t **out, size_t *out_len, util_error **err);

/* component_from_module + component_pre_new, the pre keeping `host` for
 * its instantiations. */
component_pre *component_pre_new_module(const uint8_t *bytes, size_t len,
                                        const component_linker *l,
                                        const component_core_host *host, util_error **err);


typedef struct component_instance component_instance;

/* Instantiates the component's instance graph in `store`: core instances,
 * their start functions, handle tables.  `data` is what host functions get
 * from component_call_data.  NULL with res filled on a trap or limit. */
component_instance *component_instantiate(const component_pre *pre, wasm_store *store,
                                          void *data, wasm_result *res);
/* Drops every handle the instance holds (running destructors) and frees
 * it; its core instances die with the store. */
void component_instance_free(component_instance *inst);

/* An exported function: `interface` names an exported instance
 * ("wasi:cli/run@0.2.0", matched by semver as imports are), or NULL for a
 * function exported at the top level.  NULL if there is none. */
typedef struct component_func component_func;
const component_func *component_instance_func(component_instance *inst, const char *interface,
                                              const char *name);
/* The function's type as text in the signature syntax above. */
const char *component_func_signature(const component_func *f);

/* Calls an exported function.  `result` (may be NULL if the function
 * returns nothing) receives the lifted result, which stays valid until
 * component_func_post_return, which must be called before the instance is
 * called again (it runs the component's post-return and empties the call
 * arena).  Returns 0, or -1 with `res` telling the trap, exit or limit. */
int component_func_call(component_instance *inst, const component_func *f,
                        const component_val *args, size_t nargs, component_val *result,
                        wasm_result *res);
int component_func_post_return(component_instance *inst, const component_func *f,
                               wasm_result *res);

/* Calls an exported function with its arguments written as WAVE, the
 * WebAssembly Value Encoding of wasmtime's --invoke and wasm-tools
 * (`args` is the text between the parentheses: `40, 2`, `"x", [1, 2],
 * {a: 1}, some(3), ok`), and writes its result as WAVE into *result_text
 * (malloc'd; NULL when the function returns nothing).  The post-return
 * runs inside.  Returns 0; or -1 with *err for text the function's types
 * do not accept (naming the argument, the offset in `args` and what was
 * expected; nothing was called) or a function with resource handles
 * (WAVE has no text for them); or -1 with `res` telling the trap, exit or
 * limit (*err untouched). */
int component_func_call_text(component_instance *inst, const component_func *f,
                             const char *args, char **result_text, wasm_result *res,
                             util_error **err);

/* Drops an own handle the host received from the instance (a guest
 * resource), running its destructor in the guest. */
int component_resource_drop(component_instance *inst, const component_val *own, wasm_result *res);

#endif
