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
/* Its full registered name ("wasi:io/streams@0.2.6"). */
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

/* The semver key of a name: writes "x@0.2" for "x@0.2.3" into buf. */
void component_semver_key(const char *name, char *buf, size_t cap);

#endif
