/*
 * app_internal.h - what spin_app_run builds before serving (internal to
 * src/spin): the resolved settings and variables, the loaded app with its
 * component runtimes, the trigger registry, and the HTTP trigger's table.
 *
 * The app is built in three stages, one file each: loading (app_load.c:
 * manifest -> the app model of locked_app.h -> settings, variables,
 * component runtimes, triggers; only the model is read after it is built,
 * so a locked app from elsewhere can take the same path), staging
 * (files_stage.c: the components' `files`) and serving (app_serve.c:
 * starting and stopping the triggers, signals).  Triggers are found by
 * type in a registry (triggers.c), executors of the HTTP trigger by
 * executor type in another (http_executors.c): the loader names no
 * trigger and no executor.
 */
#ifndef SPIN_APP_INTERNAL_H
#define SPIN_APP_INTERNAL_H

#include "http_executor.h"
#include "locked_app.h"
#include "routes.h"
#include "spin.h"
#include "util.h"

/* ---- settings from the environment and runtime-config.toml -------------- */

/* Value of `name` in a NULL-terminated "K=V" list, or NULL. */
const char *spin_env_lookup(const char *const *env, const char *name);

typedef struct spin_var_provider {
    bool is_static; /* type = "static": values; else type = "env": prefix */
    char *prefix;
    spin_kv *values;
    size_t n_values;
} spin_var_provider;

typedef struct spin_runtime_config {
    char *path;      /* the file read, NULL if none */
    char *state_dir; /* NULL if not configured */
    char *log_dir;   /* NULL: component output goes to the run's stdout/stderr */
    uint64_t max_instance_memory; /* 0 = no cap */
    spin_var_provider *providers;
    size_t n_providers;
} spin_runtime_config;

/* Reads SPIN_RUNTIME_CONFIG_FILE or <root>/runtime-config.toml (if present)
 * and applies SPIN_LOG_DIR and SPIN_MAX_INSTANCE_MEMORY from `env`. */
int spin_runtime_config_load(const spin_run_options *opts, spin_runtime_config *rc,
                             util_error **err);
void spin_runtime_config_clear(spin_runtime_config *rc);
/* The request deadline: opts->request_timeout_ms, else
 * SPIN_HTTP_REQUEST_TIMEOUT from opts->env, else the default. */
int spin_request_timeout(const spin_run_options *opts, uint64_t *ms, util_error **err);

/* ---- variables ---------------------------------------------------------- */

typedef struct spin_resolved_vars {
    spin_kv *items; /* app variable name -> value */
    size_t len;
} spin_resolved_vars;

/* Resolves every app variable: env provider (SPIN_VARIABLE_<NAME>, and the
 * plain upper-cased <NAME> the container shim also accepts), then the
 * runtime config's providers, then the default.  A required variable
 * nobody provides is an error naming it. */
int spin_variables_resolve(const spin_locked_app *app, const char *const *env,
                           const spin_runtime_config *rc, spin_resolved_vars *out,
                           util_error **err);
const char *spin_resolved_var(const spin_resolved_vars *v, const char *name);
void spin_resolved_vars_clear(spin_resolved_vars *v);
/* Renders a component's `variables` templates (its `config` in the model);
 * returns the name/value pairs (freed with spin_kv_array_free). */
int spin_component_variables_render(const spin_locked_component *c,
                                    const spin_resolved_vars *vars, spin_kv **out, size_t *n,
                                    util_error **err);
void spin_kv_array_free(spin_kv *kv, size_t n);

/* ---- the loaded app ---------------------------------------------------- */

typedef struct spin_trigger_ops spin_trigger_ops;

typedef struct spin_loaded_trigger {
    const spin_trigger_ops *ops;
    void *self;
} spin_loaded_trigger;

typedef struct spin_loaded_app {
    const spin_run_options *opts;
    /* The app model: once it is built nothing reads the manifest. */
    spin_locked_app *locked;
    char *app_dir; /* the directory of metadata.origin; NULL when not a file */
    /* A locked app from a file: <its dir>/.cache/registry, where content
     * by digest is (wasm/<digest>, data/<digest>); NULL for a manifest. */
    char *content_dir;
    spin_runtime_config rc;
    spin_resolved_vars vars;
    uint64_t request_timeout_ms; /* 0 = none */
    const char *retain;          /* SPIN_COMPONENTS_TO_RETAIN, NULL = all */
    spin_component_runtime *comps; /* one per component used by a trigger */
    size_t ncomps;
    spin_loaded_trigger *triggers; /* one per trigger type the app uses */
    size_t ntriggers;
    char *staging_dir; /* root of the `files` staging dirs, NULL if none */
    char *app_id;
    /* Components (not core modules) are linked against this linker's host
     * interfaces (WASI 0.2 with wasi:http, later the Spin APIs); made for
     * the first component, freed after the last component_pre. */
    struct component_linker *linker;
    const wasi2_registration *wasi2;
    /* The key-value stores and SQLite databases of the runtime config and
     * the defaults under the state dir (component_api.h). */
    struct spin_app_stores *stores;
} spin_loaded_app;

/* Everything spin_app_check checks, in Spin's order; on failure what was
 * built so far is left for spin_loaded_app_free. */
int spin_loaded_app_load(spin_loaded_app *a, const spin_run_options *opts, util_error **err);
void spin_loaded_app_free(spin_loaded_app *a);
/* The runtime of component `id`, made on first use (environment, log
 * files, staged files, compiled module); the pointer stays valid until the
 * app is freed.  Errors name the component. */
spin_component_runtime *spin_app_component(spin_loaded_app *a, const char *id,
                                           util_error **err);

/* ---- the trigger registry ------------------------------------------------ */

/* One trigger type, e.g. "http": the app's triggers of that type become one
 * instance, loaded before anything is bound and started only when every
 * trigger of the app has loaded. */
struct spin_trigger_ops {
    const char *type; /* the trigger_type in the manifest: "http" */
    /* Builds the instance from the app's retained triggers of this type (in
     * manifest order; components through spin_app_component). */
    int (*load)(spin_loaded_app *app, const spin_locked_trigger *const *entries, size_t n,
                void **self, util_error **err);
    /* Starts serving; appends what `spin up` prints about it (addresses,
     * routes) to *banner. */
    int (*start)(void *self, util_buf *banner, util_error **err);
    /* Stops serving, letting work in progress finish for a while.  Returns
     * false when work had to be abandoned and may still be running: then
     * the app and this instance must not be freed. */
    bool (*stop)(void *self);
    void (*free)(void *self); /* also for an instance never started */
};

/* Called by a trigger whose work has ended on its own (a command
 * trigger's guest returned, from any thread): the app stops its other
 * triggers as after a stop signal, and spin_app_run returns `status`.
 * The first call of a run decides the status. */
void spin_app_trigger_ended(const char *type, int status);

/* The ops of a trigger type: those added by spin_trigger_register first,
 * then the built-in table (today "http"); NULL if none. */
const spin_trigger_ops *spin_trigger_find(const char *type);
/* Adds a trigger type (tests, future hosts).  Call before spin_app_run, from
 * one thread; at most 8 are added.  Returns -1 with *err when full. */
int spin_trigger_register(const spin_trigger_ops *ops, util_error **err);
/* The error for a trigger whose type nobody handles; names the supported
 * types.  Returns -1. */
int spin_trigger_unsupported(const spin_locked_trigger *t, util_error **err);
/* The component a trigger runs (trigger_config.component), or NULL. */
const char *spin_trigger_component(const spin_locked_trigger *t);

/* ---- the HTTP trigger ---------------------------------------------------- */

typedef struct spin_http_target {
    const char *trigger_id;
    spin_component_runtime *comp; /* NULL for a static response */
    spin_http_executor_instance exec;
    const spin_static_response *static_response;
} spin_http_target;

typedef struct spin_http_trigger {
    spin_router *router;
    spin_http_target *targets;
    size_t ntargets;
    const char *app_name;
    const char *app_version;
    uint64_t request_timeout_ms; /* for the timeout log line; 0 = none */
    const spin_loaded_app *app;
    char *bound;             /* "host:port" as bound, once started */
    struct spin_http_server *server;
} spin_http_trigger;

/* The HTTP trigger's entry in the trigger registry. */
extern const spin_trigger_ops spin_http_trigger_ops;
/* The command trigger's (command_trigger.c) and the redis trigger's
 * (redis_trigger.c). */
extern const spin_trigger_ops spin_command_trigger_ops;
extern const spin_trigger_ops spin_redis_trigger_ops;

/* The spin_http_fast_handler of a trigger: answers on the I/O thread what
 * needs no component (reserved paths, no route, static responses). */
bool spin_http_trigger_fast(void *ctx, const spin_http_request *req, spin_http_response *resp);
/* The server's stream_request: true when the request goes to a component
 * whose executor reads its body as a stream (wasi:http). */
bool spin_http_trigger_streams(void *ctx, const spin_http_request *req);
/* The spin_http_handler serving requests for a trigger. */
void spin_http_trigger_handle(void *ctx, const spin_http_request *req,
                              spin_http_response *resp);
/* Runs a routed request's component through its executor (504, 503 and
 * 500 for what the executor could not answer). */
void spin_http_trigger_run_component(const spin_http_trigger *t, const spin_http_request *req,
                                     const spin_route_match *m, spin_http_response *resp);

/* world_module.c: a core module with component-type sections made a
 * component (rt->pre), its preview-1 imports served per instance. */
int spin_world_module_link(struct component_linker *l, const char *bytes, size_t len,
                           spin_component_runtime *rt, util_error **err);

/* A component's { url, digest } source (url_source.c): the cached copy
 * under $XDG_CACHE_HOME/spin/registry/wasm/<digest> when it still matches
 * the digest, else downloaded, checked and cached; *name is for messages. */
int spin_url_source_bytes(const char *id, const char *url, const char *digest, char **bytes,
                          size_t *len, char **name, util_error **err);

#endif
