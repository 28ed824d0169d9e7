/*
 * component_internal.h - private to src/component: the byte reader every
 * decoder of the layer shares, the decoding scopes (a component, or a
 * component/instance type) that count the index spaces, and the model's
 * concrete layout behind the door's opaque `component`.
 */
#ifndef COMPONENT_INTERNAL_H
#define COMPONENT_INTERNAL_H

#include "component.h"

#include <inttypes.h>

/* Nesting of components and component/instance types, together. */
#define COMPONENT_MAX_DEPTH 32

/* A bounded cursor over the input.  Offsets in errors are absolute: `base`
 * is where data[0] sits in the outermost input. */
typedef struct comp_reader {
    const uint8_t *data;
    size_t len, pos;
    size_t base;
    size_t last;         /* where the last integer read started */
    const char *section; /* "type section", ...: names the errors */
    util_error **err;
} comp_reader;

/* Sets the error "<section> at offset 0x<pos>: <message>"; -1. */
int component_fail(comp_reader *r, const char *fmt, ...) UTIL_PRINTF(2, 3);
int component_fail_at(comp_reader *r, size_t pos, const char *fmt, ...) UTIL_PRINTF(3, 4);
size_t component_left(const comp_reader *r);
int component_byte(comp_reader *r, uint8_t *out);
int component_u32(comp_reader *r, uint32_t *out);
int component_u64(comp_reader *r, uint64_t *out);
int component_s33(comp_reader *r, int64_t *out);
/* A vec's length, refused when it cannot fit in what is left (each element
 * takes at least `min_size` bytes): bounds every allocation by the input. */
int component_vec_count(comp_reader *r, size_t min_size, uint32_t *out);
/* A core:name (u32 length + UTF-8), borrowed from the input. */
int component_read_name(comp_reader *r, const char **s, uint32_t *len);
bool component_utf8_valid(const uint8_t *s, size_t len);
/* A kebab-case label (record fields, cases, flags, parameters). */
bool component_label_valid(const char *s, size_t len);

/* A scope of index spaces: a component, or a component/instance type's
 * declarators.  Outer aliases count scopes outward through `parent`. */
typedef struct comp_scope {
    struct comp_scope *parent;
    bool is_type; /* a component or instance type, not a component */
    uint32_t counts[COMPONENT_SORT_COUNT];
    /* the type space of the scope, owned by whoever owns the scope */
    component_type **types;
    uint32_t *ntypes;
    uint32_t types_cap;
    int depth;
} comp_scope;

/* Appends a type to the scope's type space (counts[TYPE] follows). */
component_type *component_scope_add_type(comp_scope *s, component_type_kind kind);
/* Adds a type index equal to type `idx` (an (eq idx) import or export, a
 * type export).  Chains are collapsed: the new entry names the type `idx`
 * itself equals, so resolving any type takes one step, not a walk that
 * hostile input could make quadratic. */
uint32_t component_scope_add_eq(comp_scope *s, uint32_t idx);
/* The type that type `idx` stands for (through one (eq) step). */
const component_type *component_scope_resolve(const comp_scope *s, uint32_t idx);
/* Refuses an index (the integer just read) outside `sort`'s index space. */
int component_check_index(comp_reader *r, const comp_scope *s, component_sort sort, uint32_t idx);

/* types.c */
int component_read_valtype(comp_reader *r, const comp_scope *s, component_valtype *out);
int component_read_type(comp_reader *r, comp_scope *s);
int component_read_core_type(comp_reader *r, comp_scope *s);
int component_read_externdesc(comp_reader *r, comp_scope *s, component_externdesc *out);
/* Reads an import/export name (0x00 or 0x01 prefix) and parses it. */
int component_read_extern_name(comp_reader *r, component_name *name);
/* Reads a sortidx (sort + index); refuses an unknown sort. */
int component_read_sort(comp_reader *r, component_sort *out);
/* Adds the index an import or export declarator introduces. */
uint32_t component_scope_add_extern(comp_scope *s, const component_externdesc *d);
/* Reads an alias into the scope; `out` (NULL inside types) keeps it. */
int component_read_alias(comp_reader *r, comp_scope *s, bool in_type, component_alias *out);
/* canon.c */
int component_read_canon(comp_reader *r, comp_scope *s, component_canon *c);
void component_decls_free(component_decls *d);
void component_type_clear(component_type *t);
void component_extern_clear(component_extern *e);

struct component {
    component_extern *imports;
    uint32_t nimports, imports_cap;
    component_extern *exports;
    uint32_t nexports, exports_cap;
    component_type *types;
    uint32_t ntypes;
    uint32_t counts[COMPONENT_SORT_COUNT];
    component_instance_def *instances;
    uint32_t ninstances, instances_cap;
    component_alias *aliases;
    uint32_t naliases, aliases_cap;
    component_canon *canons;
    uint32_t ncanons, canons_cap;
    component_module_range *modules;
    uint32_t nmodules, modules_cap;
    component **nested;
    uint32_t nnested, nested_cap;
};

/* Grows an array of `size`-byte elements to hold one more; returns it. */
void *component_grow(void *array, uint32_t *cap, uint32_t n, size_t size);

#endif
