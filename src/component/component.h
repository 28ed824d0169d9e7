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

typedef enum {
    COMPONENT_ALIAS_EXPORT,      /* export `name` of instance `instance` */
    COMPONENT_ALIAS_CORE_EXPORT, /* export `name` of core instance `instance` */
    COMPONENT_ALIAS_OUTER,       /* index `outer_index` of the scope `outer_count` out */
} component_alias_kind;

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

#endif
