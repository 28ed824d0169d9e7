/*
 * component_api.h - the Spin host APIs of an app's components (internal
 * to src/spin): where the app's key-value stores and SQLite databases
 * live (runtime-config.toml's [key_value_store.<label>] and
 * [sqlite_database.<label>] tables plus the "default" of each under the
 * state dir), and the spinapi_component each component gets: its rendered
 * variables and the labels it may open.
 */
#ifndef SPIN_COMPONENT_API_H
#define SPIN_COMPONENT_API_H

#include "app_internal.h"
#include "spinapi.h"
#include "util.h"

typedef struct spin_store_backend {
    char *label;
    spinapi_backend_kind kind;
    char *location; /* an absolute path, a url, or NULL (memory) */
} spin_store_backend;

typedef struct spin_app_stores {
    char *state_dir; /* NULL: none, the defaults live in memory */
    spin_store_backend *kv;
    size_t nkv;
    spin_store_backend *sql;
    size_t nsql;
} spin_app_stores;

/* Where the state dir is, as Spin decides it: runtime config `state_dir`
 * ("" = none; relative to the cwd), else <root_dir>/.spin in an image
 * (root_dir non-NULL: "/.spin" in a container, as containerd-shim-spin),
 * else <app_dir>/.spin (`up`, as `spin up`), else none. */
typedef struct spin_stores_source {
    const char *runtime_config; /* the runtime-config.toml read, or NULL */
    const char *root_dir;       /* spin_run_options.root_dir */
    const char *app_dir;        /* the directory of spin.toml, or NULL */
} spin_stores_source;

/* Reads the stores and databases of the runtime config (if any) and adds
 * the defaults.  Errors name the file, the table and the key. */
int spin_app_stores_load(const spin_stores_source *src, spin_app_stores *out, util_error **err);
/* The same from a parsed runtime config (tests; doc NULL: no file). */
int spin_app_stores_from_toml(const toml_value *doc, const spin_stores_source *src,
                              spin_app_stores *out, util_error **err);
void spin_app_stores_clear(spin_app_stores *s);

/* The spinapi_component of one component: its `variables` rendered against
 * the app's resolved variables, its key_value_stores and sqlite_databases,
 * and the app's backends.  A label the component lists that no backend
 * defines is an error, as Spin refuses such an app at start.  `outbound`
 * (NULL: nothing) is what its network clients may reach; it must outlive
 * the result. */
spinapi_component *spin_component_api_new(const spin_locked_component *c,
                                          const spin_resolved_vars *vars,
                                          const spin_app_stores *stores,
                                          spin_outbound_hosts *outbound, util_error **err);

#endif
