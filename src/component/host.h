/*
 * host.h - private to src/component: what the linker holds, as linking
 * (component_pre_new) looks it up.
 *
 * The linker keeps host interfaces by name.  A lookup of an import's
 * interface name goes through the semver key of wasmtime's NameMap:
 * "x@1.2.3" -> "x@1", "x@0.2.3" -> "x@0.2", 0.0.z and pre-releases keep
 * their full version (exact match only); among several registered
 * versions with the same key the newest wins.
 */
#ifndef COMPONENT_HOST_H
#define COMPONENT_HOST_H

#include "abi.h"

/* The context of one call into the host (component.h's component_call).
 * The runtime makes one per host-function call from a guest (arena = the
 * instance's call arena); component_call_new makes a free-standing one. */
struct component_call {
    component_arena *arena;
    bool own_arena; /* made by component_call_new */
    void *data;
    wasm_store *store;
    bool trapped, exited;
    int exit_code;
    char message[256];
};

typedef struct component_host_func {
    const char *name;
    component_rfunc type; /* laid out */
    component_host_fn fn;
    void *env;
} component_host_func;

typedef struct component_host_interface component_host_interface;

/* The interface serving an import named `name` ("wasi:io/streams@0.2.0"),
 * or NULL; NULL name = the top-level functions. */
const component_host_interface *component_linker_find(const component_linker *l,
                                                      const char *name);
/* Its full registered name ("wasi:io/streams@0.2.6"; "" for the top
 * level). */
const char *component_host_interface_name(const component_host_interface *i);
const component_host_func *component_host_interface_func(const component_host_interface *i,
                                                         const char *name);
/* A resource type or named type defined (or aliased) in the interface. */
component_resource_type *component_host_interface_resource(const component_host_interface *i,
                                                           const char *name);
const component_rtype *component_host_interface_type(const component_host_interface *i,
                                                     const char *name);
/* For "did you mean" errors: the names the linker has. */
size_t component_linker_interface_count(const component_linker *l);
const component_host_interface *component_linker_interface_at(const component_linker *l,
                                                              size_t i);

/* The semver key of a name: writes "x@0.2" for "x@0.2.3" (and for
 * "x@0.2.3+build": build metadata does not count, as in wasmtime) into
 * buf; the whole name when it has no key: no version, 0.0.z, a
 * pre-release, or a version that is not semver. */
void component_semver_key(const char *name, char *buf, size_t cap);

/* A component_pre keeps what it links against (host functions and their
 * types, resource types) alive past component_linker_free: it takes a
 * reference here and drops it when freed.  component_linker_free drops
 * the creator's reference; the last one frees the linker.  Atomic. */
const component_linker *component_linker_retain(const component_linker *l);
void component_linker_release(const component_linker *l);

/* ---- signature text (sigparse.c) --------------------------------------- */

/* Parse the type / signature syntax of component.h into nodes of `pool`,
 * laid out (component_rtype_layout / component_rfunc_layout).  Names
 * resolve to the named types and resources of `scope` (NULL: none).
 * Errors read "<what> at <offset>: <problem>" (offset in bytes from the
 * start of `text`), e.g. "signature of get-stdout at 9: unknown type
 * `output-steam`". */
component_rtype *component_sig_parse_type(component_rtype_pool *pool,
                                          const component_host_interface *scope,
                                          const char *what, const char *text, util_error **err);
component_rfunc *component_sig_parse_func(component_rtype_pool *pool,
                                          const component_host_interface *scope,
                                          const char *what, const char *text, util_error **err);
/* Nesting of types in the text stops here (an error past it). */
#define COMPONENT_SIG_MAX_DEPTH 64

#endif
