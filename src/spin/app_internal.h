/*
 * app_internal.h - what spin_app_run builds before serving (internal to
 * src/spin): the resolved settings, variables and the HTTP trigger's table.
 */
#ifndef SPIN_APP_INTERNAL_H
#define SPIN_APP_INTERNAL_H

#include "http_executor.h"
#include "manifest.h"
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
int spin_variables_resolve(const spin_manifest *m, const char *const *env,
                           const spin_runtime_config *rc, spin_resolved_vars *out,
                           util_error **err);
const char *spin_resolved_var(const spin_resolved_vars *v, const char *name);
void spin_resolved_vars_clear(spin_resolved_vars *v);
/* Renders a component's `variables` templates; returns the name/value
 * pairs (freed with spin_kv_array_free). */
int spin_component_variables_render(const spin_component *c, const spin_resolved_vars *vars,
                                    spin_kv **out, size_t *n, util_error **err);
void spin_kv_array_free(spin_kv *kv, size_t n);

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
} spin_http_trigger;

/* The spin_http_fast_handler of a trigger: answers on the I/O thread what
 * needs no component (reserved paths, no route, static responses). */
bool spin_http_trigger_fast(void *ctx, const spin_http_request *req, spin_http_response *resp);
/* The spin_http_handler serving requests for a trigger. */
void spin_http_trigger_handle(void *ctx, const spin_http_request *req,
                              spin_http_response *resp);

#endif
