/*
 * app_config.c - the settings a Spin app takes from its surroundings:
 * runtime-config.toml, the SPIN_* environment knobs (SPIN_HTTP_REQUEST_TIMEOUT
 * among them: durations are "30s", "500ms", "2m" or plain seconds), and
 * variables.
 *
 * Everything is read from the run's env list (spin_run_options.env), never
 * getenv(), because inside a container the app's env is the OCI process
 * env, not the shim's.  Variable values are never logged: they may be
 * secrets.
 */
#include "app_internal.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

void spin_run_options_init(spin_run_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->stdin_fd = 0;
    opts->stdout_fd = 1;
    opts->stderr_fd = 2;
    opts->ready_fd = -1;
    opts->handle_signals = true;
    opts->request_timeout_ms = -1;
}

int spin_parse_duration_ms(const char *text, uint64_t *ms, util_error **err)
{
    static const uint64_t max_ms = 24ull * 3600 * 1000;
    const char *p = text;
    uint64_t v = 0;
    /* Digits past max_ms stay unread, so v cannot overflow. */
    while (isdigit((unsigned char)*p) && v <= max_ms)
        v = v * 10 + (uint64_t)(*p++ - '0');
    uint64_t unit = 0;
    if (strcmp(p, "ms") == 0)
        unit = 1;
    else if (*p == '\0' || strcmp(p, "s") == 0)
        unit = 1000;
    else if (strcmp(p, "m") == 0)
        unit = 60000;
    if (p == text || (unit == 0 && !isdigit((unsigned char)*p)))
        return util_error_set(err, 0,
                              "'%s' is not a duration (for example 30s, 500ms or 2m; a plain "
                              "number is seconds, 0 means no deadline)",
                              text);
    if (unit == 0 || v > max_ms / unit)
        return util_error_set(err, 0, "'%s' is too long (at most 24 hours; 0 means no deadline)",
                              text);
    *ms = v * unit;
    return 0;
}

int spin_request_timeout(const spin_run_options *opts, uint64_t *ms, util_error **err)
{
    if (opts->request_timeout_ms >= 0) {
        *ms = (uint64_t)opts->request_timeout_ms;
        return 0;
    }
    const char *v = spin_env_lookup(opts->env, "SPIN_HTTP_REQUEST_TIMEOUT");
    if (!v || !*v) {
        *ms = SPIN_DEFAULT_REQUEST_TIMEOUT_MS;
        return 0;
    }
    if (spin_parse_duration_ms(v, ms, err) < 0)
        return util_error_wrap(err, "SPIN_HTTP_REQUEST_TIMEOUT");
    return 0;
}

const char *spin_env_lookup(const char *const *env, const char *name)
{
    if (!env)
        return NULL;
    size_t n = strlen(name);
    const char *found = NULL;
    /* The last definition wins, as with repeated `--env` flags. */
    for (const char *const *p = env; *p; p++)
        if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
            found = *p + n + 1;
    return found;
}

void spin_kv_array_free(spin_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

/* ---- runtime config ----------------------------------------------------- */

static int parse_u64(const char *what, const char *s, uint64_t *out, util_error **err)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-')
        return util_error_set(err, 0, "%s: '%s' is not a number of bytes", what, s);
    *out = v;
    return 0;
}

static int load_providers(const toml_value *arr, const char *path, spin_runtime_config *rc,
                          util_error **err)
{
    if (!toml_is(arr, TOML_ARRAY))
        return util_error_set(err, 0, "%s: 'variables_provider' must be an array of tables",
                              path);
    for (size_t i = 0; i < util_toml_len(arr); i++) {
        const toml_value *t = util_toml_array_at(arr, i);
        const char *type = util_toml_string(util_toml_get(t, "type"));
        if (!type)
            return util_error_set(err, 0, "%s:%u: variables_provider needs a 'type'", path,
                                  t ? t->line : 0);
        spin_var_provider p = {0};
        if (strcmp(type, "static") == 0) {
            p.is_static = true;
            const toml_value *vals = util_toml_get(t, "values");
            for (size_t j = 0; j < util_toml_len(vals); j++) {
                const toml_entry *e = util_toml_entry_at(vals, j);
                const char *v = util_toml_string(e->value);
                if (!v) {
                    spin_kv_array_free(p.values, p.n_values);
                    return util_error_set(err, 0, "%s:%u: static variable '%s' must be a string",
                                          path, e->line, e->key);
                }
                p.values = util_xrealloc(p.values, (p.n_values + 1) * sizeof(spin_kv));
                p.values[p.n_values].key = util_xstrdup(e->key);
                p.values[p.n_values].value = util_xstrdup(v);
                p.n_values++;
            }
        } else if (strcmp(type, "env") == 0) {
            const char *prefix = util_toml_string(util_toml_get(t, "prefix"));
            p.prefix = util_xstrdup(prefix ? prefix : "SPIN_VARIABLE");
        } else if (strcmp(type, "vault") == 0 || strcmp(type, "azure_key_vault") == 0) {
            return util_error_set(err, 0, "%s:%u: variables provider type '%s' is not supported",
                                  path, t->line, type);
        } else {
            return util_error_set(err, 0, "%s:%u: unknown variables provider type '%s'", path,
                                  t->line, type);
        }
        rc->providers = util_xrealloc(rc->providers, (rc->n_providers + 1) * sizeof(p));
        rc->providers[rc->n_providers++] = p;
    }
    return 0;
}

int spin_runtime_config_load(const spin_run_options *opts, spin_runtime_config *rc,
                             util_error **err)
{
    memset(rc, 0, sizeof(*rc));
    const char *const *env = opts->env;
    const char *root = opts->root_dir;
    const char *explicit_path = spin_env_lookup(env, "SPIN_RUNTIME_CONFIG_FILE");
    cleanup_free char *path = NULL;
    if (explicit_path && explicit_path[0]) {
        path = util_xstrdup(explicit_path);
        if (access(path, R_OK) != 0)
            return util_error_set(err, errno, "runtime config file %s (SPIN_RUNTIME_CONFIG_FILE)",
                                  path);
    } else if (root != NULL) { /* an image's /runtime-config.toml; none on a host */
        size_t rl = strlen(root);
        path = util_xasprintf("%s%sruntime-config.toml", root,
                              rl && root[rl - 1] == '/' ? "" : "/");
        if (access(path, F_OK) != 0) {
            free(path);
            path = NULL;
        }
    }

    if (path) {
        cleanup_toml toml_value *doc = util_toml_parse_file(path, err);
        if (!doc)
            return util_error_wrap(err, "runtime config");
        for (size_t i = 0; i < util_toml_len(doc); i++) {
            const toml_entry *e = util_toml_entry_at(doc, i);
            if (strcmp(e->key, "state_dir") == 0 || strcmp(e->key, "log_dir") == 0) {
                const char *v = util_toml_string(e->value);
                if (!v)
                    return util_error_set(err, 0, "%s:%u: '%s' must be a string", path, e->line,
                                          e->key);
                char **slot = e->key[0] == 's' ? &rc->state_dir : &rc->log_dir;
                free(*slot);
                *slot = v[0] ? util_xstrdup(v) : NULL; /* "" = unset, as in Spin */
            } else if (strcmp(e->key, "max_instance_memory") == 0) {
                int64_t v;
                if (!util_toml_int(e->value, &v) || v < 0)
                    return util_error_set(err, 0,
                                          "%s:%u: 'max_instance_memory' must be a non-negative "
                                          "integer",
                                          path, e->line);
                rc->max_instance_memory = (uint64_t)v;
            } else if (strcmp(e->key, "variables_provider") == 0 ||
                       strcmp(e->key, "config_provider") == 0) {
                if (load_providers(e->value, path, rc, err) < 0)
                    return -1;
            } else if (strcmp(e->key, "key_value_store") == 0 ||
                       strcmp(e->key, "sqlite_database") == 0) {
                /* Read by runtime_stores.c, once the app's paths are known. */
            } else if (strcmp(e->key, "llm_compute") == 0 || strcmp(e->key, "client_tls") == 0 ||
                       strcmp(e->key, "outbound_networking") == 0 ||
                       strcmp(e->key, "otel") == 0) {
                /* Spin settings for host interfaces this host does not
                 * offer yet: harmless for apps that do not use them. */
                util_log_warn("%s: '%s' is not used by this host yet", path, e->key);
            } else {
                return util_error_set(err, 0, "%s:%u: unknown runtime config key '%s'", path,
                                      e->line, e->key);
            }
        }
        rc->path = steal_pointer(&path);
    }

    const char *log_dir = spin_env_lookup(env, "SPIN_LOG_DIR");
    if (log_dir) {
        free(rc->log_dir);
        rc->log_dir = log_dir[0] ? util_xstrdup(log_dir) : NULL;
    }
    const char *mem = spin_env_lookup(env, "SPIN_MAX_INSTANCE_MEMORY");
    if (mem && mem[0] && parse_u64("SPIN_MAX_INSTANCE_MEMORY", mem, &rc->max_instance_memory,
                                   err) < 0)
        return -1;
    return 0;
}

void spin_runtime_config_clear(spin_runtime_config *rc)
{
    free(rc->path);
    free(rc->state_dir);
    free(rc->log_dir);
    for (size_t i = 0; i < rc->n_providers; i++) {
        free(rc->providers[i].prefix);
        spin_kv_array_free(rc->providers[i].values, rc->providers[i].n_values);
    }
    free(rc->providers);
    memset(rc, 0, sizeof(*rc));
}

/* ---- variables ---------------------------------------------------------- */

static char *upper(const char *s)
{
    char *u = util_xstrdup(s);
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}

static const char *provide(const char *name, const char *const *env,
                           const spin_runtime_config *rc)
{
    cleanup_free char *up = upper(name);
    /* The container shim copies a plain NAME into SPIN_VARIABLE_NAME,
     * overwriting it, so the plain name takes precedence. */
    const char *v = spin_env_lookup(env, up);
    if (v)
        return v;
    cleanup_free char *key = util_xasprintf("SPIN_VARIABLE_%s", up);
    v = spin_env_lookup(env, key);
    if (v)
        return v;
    for (size_t i = 0; i < rc->n_providers; i++) {
        const spin_var_provider *p = &rc->providers[i];
        if (p->is_static) {
            for (size_t j = 0; j < p->n_values; j++)
                if (strcmp(p->values[j].key, name) == 0)
                    return p->values[j].value;
        } else {
            cleanup_free char *k = util_xasprintf("%s_%s", p->prefix, up);
            v = spin_env_lookup(env, k);
            if (v)
                return v;
        }
    }
    return NULL;
}

int spin_variables_resolve(const spin_locked_app *app, const char *const *env,
                           const spin_runtime_config *rc, spin_resolved_vars *out,
                           util_error **err)
{
    memset(out, 0, sizeof(*out));
    util_buf missing = {0};
    for (size_t i = 0; i < app->n_variables; i++) {
        const spin_locked_variable *var = &app->variables[i];
        const char *v = provide(var->name, env, rc);
        if (!v)
            v = var->default_value;
        if (!v) {
            util_buf_printf(&missing, "%s\"%s\"", missing.len ? ", " : "", var->name);
            continue;
        }
        out->items = util_xrealloc(out->items, (out->len + 1) * sizeof(spin_kv));
        out->items[out->len].key = util_xstrdup(var->name);
        out->items[out->len].value = util_xstrdup(v);
        out->len++;
    }
    if (missing.len) {
        util_error_set(err, 0,
                       "no provider resolved required variable(s): [%s] (set them with "
                       "SPIN_VARIABLE_<NAME> or <NAME> in the environment)",
                       missing.data);
        util_buf_free(&missing);
        spin_resolved_vars_clear(out);
        return -1;
    }
    return 0;
}

const char *spin_resolved_var(const spin_resolved_vars *v, const char *name)
{
    for (size_t i = 0; i < v->len; i++)
        if (strcmp(v->items[i].key, name) == 0)
            return v->items[i].value;
    return NULL;
}

void spin_resolved_vars_clear(spin_resolved_vars *v)
{
    spin_kv_array_free(v->items, v->len);
    memset(v, 0, sizeof(*v));
}

static const char *lookup_var(void *ctx, const char *name)
{
    return spin_resolved_var(ctx, name);
}

int spin_component_variables_render(const spin_locked_component *c,
                                    const spin_resolved_vars *vars, spin_kv **out, size_t *n,
                                    util_error **err)
{
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < c->n_config; i++) {
        char *v = spin_template_render(&c->config[i].value, lookup_var, (void *)vars, err);
        if (!v) {
            spin_kv_array_free(*out, *n);
            *out = NULL;
            *n = 0;
            return util_error_wrap(err, "component '%s' variable '%s'", c->id,
                                   c->config[i].name);
        }
        *out = util_xrealloc(*out, (*n + 1) * sizeof(spin_kv));
        (*out)[*n].key = util_xstrdup(c->config[i].name);
        (*out)[*n].value = v;
        (*n)++;
    }
    return 0;
}
