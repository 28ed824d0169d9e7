/*
 * componentize.h - private to src/component: the pieces of
 * component_from_module (componentize.c) shared by its files: the worlds
 * read from a core module's component-type sections (componentize_world.c)
 * and the binary writer of the component made from it
 * (componentize_emit.c).
 */
#ifndef COMPONENT_COMPONENTIZE_H
#define COMPONENT_COMPONENTIZE_H

#include "component_internal.h"

#define CZ_NONE UINT32_MAX
/* How deep component_cz_type may follow types referring to types (each
 * step a native stack frame; a fuzzed chain of lists is otherwise bounded
 * only by the input's size). */
#define CZ_MAX_DEPTH 256

/* One component-type section: the decoded WIT package and the world in it. */
typedef struct cz_world {
    component *pkg;                  /* the section's component */
    const component_decls *pkg_decls; /* the package type (the world's outer scope) */
    const component_decls *world;    /* the world's declarators */
    char *section;                   /* "component-type:http-trigger", for messages */
    component_string_encoding encoding;
} cz_world;

/* A declarator scope and the one around it (outer aliases count these). */
typedef struct cz_scope {
    const component_decls *d;
    const struct cz_scope *parent;
} cz_scope;

/* Every component-type section of a core module, in order.  0, or -1
 * naming the section and what is wrong with it. */
int component_cz_read_worlds(const uint8_t *bytes, size_t len, cz_world **out, size_t *n,
                             util_error **err);
void component_cz_free_worlds(cz_world *w, size_t n);
/* Reads one section's payload (exposed for the fuzz target). */
int component_cz_read_world(const char *section, const uint8_t *data, size_t len, cz_world *out,
                            util_error **err);

/* The world's import / export of that name and sort (NULL if none). */
const component_extern *component_cz_world_import(const component_decls *w, const char *name);
const component_extern *component_cz_world_export(const component_decls *w, const char *name);
/* The instance type of an instance import/export (NULL if not one). */
const component_type *component_cz_instance_type(const component_decls *w,
                                                 const component_extern *e);
/* The function export `name` of an instance type (NULL if none). */
const component_extern *component_cz_func(const component_decls *it, const char *name);
/* The scope `count` levels out of s (NULL past the outermost). */
const cz_scope *component_cz_outer(const cz_scope *s, uint32_t count);
/* True when a value of this type holds a string or list (lowering it
 * needs memory and realloc). */
bool component_cz_has_pointers(const cz_scope *s, component_valtype v);

/* ---- the writer --------------------------------------------------------- */

typedef struct cz_map {
    const component_decls *d;
    uint32_t *top; /* per type index of d: its index in the new component, or CZ_NONE */
} cz_map;

typedef struct cz_emit {
    util_buf out; /* sections after the preamble */
    uint32_t ntypes, ninstances, nfuncs, ncore_funcs, ncore_instances;
    uint32_t depth; /* of component_cz_type under way */
    cz_map *maps;
    size_t nmaps;
    struct cz_import {
        const char *name; /* interface name, as the world imports it */
        uint32_t inst;    /* its instance index in the new component */
    } *imports;
    size_t nimports;
    /* which functions of an imported interface to declare: the used ones */
    bool (*used)(void *env, const char *iface, const char *func);
    void *used_env;
} cz_emit;

void component_cz_emit_free(cz_emit *e);
void component_cz_u32(util_buf *b, uint32_t v);
void component_cz_name(util_buf *b, const char *s);
/* A section of one entry (`entry` is emptied). */
void component_cz_section1(cz_emit *e, uint8_t id, util_buf *entry);
/* The index in the new component of type `idx` of scope s, written
 * (with whatever it refers to) on first use. */
int component_cz_type(cz_emit *e, const cz_scope *s, uint32_t idx, uint32_t *out,
                      util_error **err);
/* The instance index of the world's instance import `imp` (scope s =
 * the world), imported on first use. */
int component_cz_import(cz_emit *e, const cz_scope *s, const component_extern *imp,
                        uint32_t *out, util_error **err);
/* Aliases: export `name` of instance `inst` as a func / type; core
 * export `name` of core instance `inst` as a core func (0x00), table
 * (0x01) or memory (0x02).  Each returns the new index. */
uint32_t component_cz_alias_export(cz_emit *e, uint32_t inst, const char *name, bool type);
uint32_t component_cz_alias_core(cz_emit *e, uint32_t inst, const char *name, uint8_t core_sort);

/* The two helper core modules of wit-component's scheme, for n imports of
 * these signatures ("ii:i"): the shim exports table "$imports" and funcs
 * "0".."n-1" that call through it; the fixup imports them ("") and fills
 * the table with an active element segment.  And a module whose start
 * calls its one import "" "f" (for _initialize). */
void component_cz_shim_module(util_buf *b, const char *const *sigs, size_t n);
void component_cz_fixup_module(util_buf *b, const char *const *sigs, size_t n);
void component_cz_init_module(util_buf *b);

#endif
