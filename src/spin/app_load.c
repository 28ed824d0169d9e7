/*
 * app_load.c - loading a Spin app: from spin.toml to settings, variables,
 * component runtimes and loaded triggers, everything checked before a port
 * is bound (spin_app_check stops here).
 *
 * The manifest is first normalised into the app model (locked_app.h, what
 * Spin calls the locked app) and dropped: everything after reads the model
 * only (sources and files as file:// URIs, env, variables, the typed
 * trigger configs), so an app that arrives as a locked app (an OCI
 * artifact's) can take the same path.
 *
 * Start-up does every check first, so a broken app fails fast with one
 * message naming the problem (Spin's order): manifest, runtime config,
 * SPIN_COMPONENTS_TO_RETAIN, trigger types, variables, then each trigger
 * type loads its triggers (for the HTTP trigger, per trigger its
 * component and executor, then the routing table).  A component is made
 * ready on first use by a trigger (spin_app_component): its variables
 * must resolve, then its log files, its `files` (staged by files_stage.c)
 * and its compiled module, or for a WebAssembly component its component_pre
 * (linked once against the app's WASI 0.2 host; every request instantiates
 * it).  Components no retained trigger uses are never compiled.
 *
 * Trigger types are looked up in the registry (triggers.c); this file
 * names none, so a new trigger type needs no change here.
 */
#include "app_internal.h"
#include "component.h"
#include "outbound_hosts.h"
#include "redis_trigger.h"
#include "component_api.h"
#include "mhd_load.h"
#include "wasi.h"
#include "wasi2.h"
#include "wasm.h"

#include <errno.h>
#include <json-c/json.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* ---- components -------------------------------------------------------- */

/* The host path of a component's file:// source. */
static char *source_path(const spin_locked_component *c, util_error **err)
{
    const char *uri = c->source.source;
    if (!uri || strncmp(uri, "file:", 5) != 0) {
        util_error_set(err, 0, "component '%s': its source is content by digest outside an artifact",
                       c->id);
        return NULL;
    }
    char *path = spin_locked_file_uri_to_path(uri, err);
    if (!path)
        util_error_wrap(err, "component '%s': source", c->id);
    return path;
}

/* A source by digest: the artifact's wasm layer in the cache, else a data
 * layer of the same digest (Spin's Cache::wasm_file falls back so too). */
static char *digest_path(const spin_loaded_app *a, const spin_locked_component *c,
                         util_error **err)
{
    const char *dirs[] = {"wasm", "data"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(dirs); i++) {
        char *path = util_xasprintf("%s/%s/%s", a->content_dir, dirs[i], c->source.digest);
        if (access(path, F_OK) == 0)
            return path;
        free(path);
    }
    util_error_set(err, 0,
                   "component '%s': its source %s is not in the artifact (no layer %s/wasm/%s)",
                   c->id, c->source.digest, a->content_dir, c->source.digest);
    return NULL;
}

/* The component's bytes and a name for messages: inline bytes, the cached
 * layer of its digest (a locked app from a file), or its file:// source. */
static int component_bytes(const spin_loaded_app *a, const spin_locked_component *c,
                           char **bytes, size_t *len, char **name, util_error **err)
{
    if (c->source.has_inline && !c->source.source) {
        *bytes = util_xmalloc(c->source.inline_len + 1);
        memcpy(*bytes, c->source.inline_data, c->source.inline_len);
        *len = c->source.inline_len;
        *name = util_xasprintf("%s (inline)", c->id);
        return 0;
    }
    if (c->source.source && strncmp(c->source.source, "file:", 5) != 0)
        return spin_url_source_bytes(c->id, c->source.source, c->source.digest, bytes, len, name,
                                     err);
    if (c->source.digest && !c->source.source && a->content_dir)
        *name = digest_path(a, c, err);
    else
        *name = source_path(c, err);
    if (!*name)
        return -1;
    if (util_read_file(*name, bytes, len, err) < 0)
        return util_error_wrap(err, "component '%s': cannot read its source", c->id);
    return 0;
}

/* The component's `files`, checked and staged by files_stage.c. */
static int stage_files(spin_loaded_app *a, const spin_locked_component *c,
                       spin_component_runtime *rt, util_error **err)
{
    char *dir = NULL;
    if (spin_locked_files_dir(a->app_dir, a->content_dir, c, &a->staging_dir, &dir, err) < 0)
        return -1;
    rt->files_dir = dir;
    util_trace_mark("files-staged");
    return 0;
}

static int open_log(const char *dir, const char *id, const char *suffix, util_error **err)
{
    cleanup_free char *safe = util_xstrdup(id);
    for (char *p = safe; *p; p++)
        if (*p == '/' || *p == '\\')
            *p = '_';
    cleanup_free char *path = util_xasprintf("%s/%s_%s.txt", dir, safe, suffix);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return util_error_set(err, errno, "Failed to open log file \"%s\"", path);
    return fd;
}

/* What a component instance's WASI 0.2 host functions use: the wasi2
 * context of the instance's spin_instance_data (every executor gives its
 * instances one, http_executor.h). */
static wasi2_ctx *instance_wasi2(void *data)
{
    return ((spin_instance_data *)data)->wasi2;
}

/* ... and its Spin host APIs: the instance's spinapi_ctx. */
static spinapi_ctx *instance_api(void *data)
{
    return ((spin_instance_data *)data)->api;
}

/* The app's component linker, made when the first component needs it and
 * shared by every component of the app: the host interfaces are
 * registered once, and each component is type-checked against them once
 * (component_pre).  The linker outlives the pres made with it (the
 * registration lives as long as both). */
static component_linker *app_linker(spin_loaded_app *a, util_error **err)
{
    if (a->linker)
        return a->linker;
    component_linker *l = component_linker_new();
    if (wasi2_define_reg(l, instance_wasi2, &a->wasi2, err) < 0) {
        component_linker_free(l);
        return NULL;
    }
    /* The Spin host APIs (variables, key-value, sqlite), and the types a
     * redis trigger's component imports (redis_handler.c). */
    if (spinapi_define(l, instance_api, err) < 0 || spin_redis_define_types(l, err) < 0) {
        component_linker_free(l);
        return NULL;
    }
    a->linker = l;
    return l;
}

/* A component is linked once, here: a component_pre every request
 * instantiates.  An import the host does not provide fails the load with
 * the component's name and the import's. */
static int link_component(spin_loaded_app *a, const spin_locked_component *c, char *bytes,
                          size_t len, spin_component_runtime *rt, util_error **err)
{
    component_linker *l = app_linker(a, err);
    if (!l) {
        free(bytes);
        return util_error_wrap(err, "component '%s': setting up the WASI 0.2 host", c->id);
    }
    rt->pre = component_pre_new_take((uint8_t *)bytes, len, l, err); /* takes the bytes */
    if (!rt->pre)
        return util_error_wrap(err, "component '%s': cannot link it", c->id);
    rt->wasi2 = a->wasi2;
    return 0;
}

/* A core module carrying its WIT world (spin-sdk 2.x, wit-bindgen) is made
 * a component, as Spin's componentize does, and linked like one
 * (world_module.c). */
static int link_world_module(spin_loaded_app *a, const spin_locked_component *c, char *bytes,
                             size_t len, spin_component_runtime *rt, util_error **err)
{
    component_linker *l = app_linker(a, err);
    int rc = l ? spin_world_module_link(l, bytes, len, rt, err)
               : util_error_wrap(err, "component '%s': setting up the WASI 0.2 host", c->id);
    free(bytes);
    if (rc == 0)
        rt->wasi2 = a->wasi2;
    return rc;
}

/* A core module is compiled (Wagi and Spin 1 modules link per executor);
 * a component is linked against the app's host interfaces. */
static int compile_component(spin_loaded_app *a, const spin_locked_component *c,
                             spin_component_runtime *rt, util_error **err)
{
    cleanup_free char *path = NULL;
    char *bytes = NULL;
    size_t len = 0;
    if (component_bytes(a, c, &bytes, &len, &path, err) < 0)
        return -1;
    util_trace_mark("module-read");
    if (component_is_component(bytes, len))
        return link_component(a, c, bytes, len, rt, err);
    if (component_module_has_world((const uint8_t *)bytes, len))
        return link_world_module(a, c, bytes, len, rt, err);
    /* Features and messages: the policy every path shares (wasi.h). */
    rt->module = wasi_program_compile((uint8_t *)bytes, len, path, err); /* takes the bytes */
    if (!rt->module)
        return util_error_wrap(err, "component '%s'", c->id);
    return 0;
}

static const char *lookup_app_var(void *vars, const char *name)
{
    return spin_resolved_var(vars, name);
}

/* allowed_outbound_hosts as Spin applies them: templated entries rendered
 * with the app's variables (an empty result adds nothing), `*.spin.internal`
 * meaning the app's components. */
static int outbound_policy(const spin_loaded_app *a, const spin_locked_component *c,
                           spin_component_runtime *rt, util_error **err)
{
    rt->outbound = spin_outbound_hosts_new();
    for (size_t i = 0; i < c->allowed_outbound_hosts.len; i++) {
        const char *entry = c->allowed_outbound_hosts.items[i];
        bool templated = strstr(entry, "{{") != NULL;
        cleanup_free char *rendered = NULL;
        if (templated) {
            spin_template t;
            if (spin_template_parse(entry, &t, err) < 0)
                return util_error_wrap(err, "component '%s': allowed_outbound_hosts", c->id);
            rendered = spin_template_render(&t, lookup_app_var, (void *)&a->vars, err);
            spin_template_free(&t);
            if (!rendered)
                return util_error_wrap(err, "component '%s': allowed_outbound_hosts", c->id);
        }
        if (spin_outbound_hosts_add(rt->outbound, templated ? rendered : entry, templated, err) < 0)
            return util_error_wrap(err, "component '%s': allowed_outbound_hosts", c->id);
    }
    const spin_locked_app *app = a->locked;
    const char **ids = util_xcalloc(app->n_components + 1, sizeof(*ids));
    for (size_t i = 0; i < app->n_components; i++)
        ids[i] = app->components[i].id;
    spin_outbound_hosts_set_components(rt->outbound, ids, app->n_components);
    free(ids);
    return 0;
}

/* The model's env, then `spin up --env` (later entries win when the
 * executor builds the guest env). */
static void component_env(const spin_locked_component *c, const char *const *extra,
                          spin_component_runtime *rt)
{
    size_t nextra = 0;
    for (const char *const *p = extra; p && *p; p++)
        nextra++;
    rt->env = util_xcalloc(c->n_env + nextra + 1, sizeof(char *));
    for (size_t i = 0; i < c->n_env; i++)
        rt->env[rt->nenv++] = util_xasprintf("%s=%s", c->env[i].key, c->env[i].value);
    for (const char *const *p = extra; p && *p; p++)
        rt->env[rt->nenv++] = util_xstrdup(*p);
}

/* SPIN_LOG_DIR: the component's output goes to <id>_stdout.txt and
 * <id>_stderr.txt there. */
static int open_logs(const char *dir, spin_component_runtime *rt, util_error **err)
{
    rt->owns_fds = true;
    rt->stdout_fd = rt->stderr_fd = -1;
    rt->stdout_fd = open_log(dir, rt->id, "stdout", err);
    if (rt->stdout_fd < 0)
        return -1;
    rt->stderr_fd = open_log(dir, rt->id, "stderr", err);
    return rt->stderr_fd < 0 ? -1 : 0;
}

spin_component_runtime *spin_app_component(spin_loaded_app *a, const char *id, util_error **err)
{
    const spin_run_options *opts = a->opts;
    for (size_t i = 0; i < a->ncomps; i++)
        if (strcmp(a->comps[i].id, id) == 0)
            return &a->comps[i];
    const spin_locked_component *c = spin_locked_app_component(a->locked, id);
    if (!c) {
        util_error_set(err, 0, "trigger refers to unknown component '%s'", id);
        return NULL;
    }
    if (c->dependencies && json_object_object_length(c->dependencies) > 0) {
        util_error_set(err, 0,
                       "component '%s': component dependencies are not supported yet (publish "
                       "the app composed: `spin registry push` composes by default)",
                       id);
        return NULL;
    }
    /* comps was sized for every component: targets keep pointers into it. */
    spin_component_runtime *rt = &a->comps[a->ncomps++];
    memset(rt, 0, sizeof(*rt));
    rt->id = c->id;
    rt->stdout_fd = opts->stdout_fd;
    rt->stderr_fd = opts->stderr_fd;
    rt->max_memory_bytes = a->rc.max_instance_memory;

    /* Variables referenced by the component must resolve now, even though
     * Wagi guests cannot read them (Spin exposes them only through the
     * variables host interfaces, spin-config for Spin 1 modules). */
    if (spin_component_variables_render(c, &a->vars, &rt->variables, &rt->nvariables, err) < 0)
        return NULL;
    /* Its host APIs: variables, and the stores and databases it may open
     * (a label nobody defines fails here, as in Spin). */
    if (outbound_policy(a, c, rt, err) < 0)
        return NULL;
    rt->api = spin_component_api_new(c, &a->vars, a->stores, rt->outbound, err);
    if (!rt->api)
        return NULL;
    component_env(c, opts->component_env, rt);
    if (a->rc.log_dir && open_logs(a->rc.log_dir, rt, err) < 0)
        return NULL;
    if (stage_files(a, c, rt, err) < 0 || compile_component(a, c, rt, err) < 0)
        return NULL;
    util_trace_mark("module-compiled");
    return rt;
}

/* ---- triggers ----------------------------------------------------------- */

static bool retained(const char *list, const char *id)
{
    if (!list)
        return true;
    size_t n = strlen(id);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len > 0 && *p == ' ') {
            p++;
            len--;
        }
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len == n && strncmp(p, id, n) == 0)
            return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

static int check_retain_list(const spin_locked_app *app, const char *list, util_error **err)
{
    cleanup_free char *copy = util_xstrdup(list);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len > 0 && tok[len - 1] == ' ')
            tok[--len] = '\0';
        if (!*tok)
            continue;
        if (!spin_locked_app_component(app, tok))
            return util_error_set(err, 0,
                                  "SPIN_COMPONENTS_TO_RETAIN: Specified component \"%s\" not "
                                  "found in application",
                                  tok);
    }
    return 0;
}

static char *rooted(const spin_run_options *opts, const char *path)
{
    const char *root = opts->root_dir;
    if (!root || strcmp(root, "/") == 0 || path[0] != '/')
        return util_xstrdup(path);
    return util_xasprintf("%s%s", root, path);
}

/* The triggers the app runs, with SPIN_COMPONENTS_TO_RETAIN applied. */
static bool runs(const spin_loaded_app *a, const spin_locked_trigger *t)
{
    const char *id = spin_trigger_component(t);
    return !a->retain || (id && retained(a->retain, id));
}

/* Every trigger type in use must be one the registry knows, before any
 * trigger loads. */
static int check_trigger_types(const spin_loaded_app *a, util_error **err)
{
    const spin_locked_app *app = a->locked;
    for (size_t i = 0; i < app->n_triggers; i++)
        if (runs(a, &app->triggers[i]) && !spin_trigger_find(app->triggers[i].trigger_type))
            return spin_trigger_unsupported(&app->triggers[i], err);
    return 0;
}

/* Loads one instance per trigger type, in the order types first appear. */
static int load_triggers(spin_loaded_app *a, util_error **err)
{
    const spin_locked_app *app = a->locked;
    const spin_locked_trigger **entries = util_xcalloc(app->n_triggers + 1, sizeof(*entries));
    a->triggers = util_xcalloc(app->n_triggers + 1, sizeof(*a->triggers));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < app->n_triggers; i++) {
        const spin_locked_trigger *t = &app->triggers[i];
        const spin_trigger_ops *ops = spin_trigger_find(t->trigger_type);
        bool loaded = false;
        for (size_t j = 0; j < a->ntriggers; j++)
            loaded = loaded || a->triggers[j].ops == ops;
        if (!runs(a, t) || loaded)
            continue;
        size_t n = 0;
        for (size_t j = i; j < app->n_triggers; j++)
            if (runs(a, &app->triggers[j]) &&
                spin_trigger_find(app->triggers[j].trigger_type) == ops)
                entries[n++] = &app->triggers[j];
        spin_loaded_trigger *lt = &a->triggers[a->ntriggers++];
        lt->ops = ops;
        rc = ops->load(a, entries, n, &lt->self, err);
    }
    free(entries);
    return rc;
}

/* ---- the app ------------------------------------------------------------ */

/* A LockedApp JSON file (an artifact's /spin.json): the model as written;
 * its directory is the app's, and content by digest is in the cache
 * beside it. */
static int load_locked_model(spin_loaded_app *a, const char *path, util_error **err)
{
    cleanup_free char *json = NULL;
    size_t len = 0;
    if (util_read_file(path, &json, &len, err) < 0)
        return util_error_wrap(err, "the locked app");
    if (len > SPIN_LOCKED_MAX_JSON_BYTES)
        return util_error_set(err, 0, "the locked app %s is larger than %zu bytes", path,
                              SPIN_LOCKED_MAX_JSON_BYTES);
    if (spin_locked_app_from_json(json, len, &a->locked, err) < 0)
        return util_error_wrap(err, "the locked app %s", path);
    cleanup_free char *abs = path[0] == '/' ? util_xstrdup(path) : NULL;
    if (!abs) {
        char cwd[4096];
        if (!getcwd(cwd, sizeof(cwd)))
            return util_error_set(err, errno, "the locked app %s: the working directory", path);
        abs = util_xasprintf("%s/%s", cwd, path);
    }
    char *slash = strrchr(abs, '/');
    slash[slash == abs] = '\0'; /* "/spin.json" -> "/" */
    a->app_dir = util_xstrdup(abs);
    a->content_dir = util_xasprintf("%s%s.cache/registry", a->app_dir,
                                    strcmp(a->app_dir, "/") == 0 ? "" : "/");
    return 0;
}

/* The manifest normalised into the app model; the manifest itself is not
 * kept, so that nothing after this can depend on it. */
static int load_model(spin_loaded_app *a, const char *app_path, util_error **err)
{
    cleanup_manifest spin_manifest *m = spin_manifest_load(app_path, err);
    if (!m || spin_locked_app_from_manifest(m, NULL, &a->locked, err) < 0)
        return -1;
    if (a->locked->origin && strncmp(a->locked->origin, "file:", 5) == 0) {
        a->app_dir = spin_locked_file_uri_to_path(a->locked->origin, err);
        if (!a->app_dir)
            return util_error_wrap(err, "the app's origin");
        char *slash = strrchr(a->app_dir, '/');
        if (slash)
            slash[slash == a->app_dir] = '\0'; /* "/spin.toml" -> "/" */
    }
    return 0;
}

static int load_settings(spin_loaded_app *a, util_error **err)
{
    const spin_run_options *opts = a->opts;
    if (spin_runtime_config_load(opts, &a->rc, err) < 0)
        return -1;
    if (a->rc.log_dir) {
        char *r = rooted(opts, a->rc.log_dir);
        free(a->rc.log_dir);
        a->rc.log_dir = r;
        if (util_mkdir_p(a->rc.log_dir, 0755, err) < 0)
            return util_error_wrap(err, "Failed to create log dir \"%s\"", a->rc.log_dir);
    }
    if (spin_request_timeout(opts, &a->request_timeout_ms, err) < 0)
        return -1;
    spin_stores_source stores = {a->rc.path, opts->root_dir, a->app_dir};
    a->stores = util_xcalloc(1, sizeof(*a->stores));
    if (spin_app_stores_load(&stores, a->stores, err) < 0)
        return -1;
    const char *retain = spin_env_lookup(opts->env, "SPIN_COMPONENTS_TO_RETAIN");
    a->retain = retain && *retain ? retain : NULL;
    if (a->retain && check_retain_list(a->locked, a->retain, err) < 0)
        return -1;
    return 0;
}

/* True if some trigger of the app is an http one. */
static bool serves_http(const spin_locked_app *app)
{
    for (size_t i = 0; i < app->n_triggers; i++)
        if (strcmp(app->triggers[i].trigger_type, "http") == 0)
            return true;
    return false;
}

/* `serving`: spin_app_run, which will start the triggers (not --check). */
static int load_app(spin_loaded_app *a, const spin_run_options *opts, bool serving,
                    util_error **err)
{
    memset(a, 0, sizeof(*a));
    a->opts = opts;
    if (opts->locked_app_path) {
        if (load_locked_model(a, opts->locked_app_path, err) < 0)
            return -1;
    } else if (!opts->app_path) {
        return util_error_set(err, 0, "no application given (a directory with spin.toml, or "
                                      "a manifest file)");
    } else if (load_model(a, opts->app_path, err) < 0) {
        return -1;
    }
    util_trace_mark("manifest-loaded");
    /* The server library loads on a thread while components compile. */
    if (serving && serves_http(a->locked))
        spin_mhd_load_ahead();
    const char *hn = spin_env_lookup(opts->env, "HOSTNAME");
    a->app_id = util_xstrdup(hn && *hn ? hn : "unknown");
    if (load_settings(a, err) < 0 || check_trigger_types(a, err) < 0)
        return -1;
    if (spin_variables_resolve(a->locked, opts->env, &a->rc, &a->vars, err) < 0)
        return -1;
    /* Components are made by the triggers that use them; targets keep
     * pointers into comps, so it is sized for every component. */
    a->comps = util_xcalloc(a->locked->n_components + 1, sizeof(*a->comps));
    return load_triggers(a, err);
}

static void component_runtime_free(spin_component_runtime *c)
{
    wasm_resolution_free(c->wagi_resolution);
    spin_kv_array_free(c->variables, c->nvariables);
    if (c->module)
        wasm_module_free(c->module);
    component_pre_free(c->pre);
    spinapi_component_free(c->api);
    spin_outbound_hosts_free(c->outbound);
    for (size_t j = 0; j < c->nenv; j++)
        free(c->env[j]);
    free(c->env);
    free((char *)c->files_dir);
    if (c->owns_fds) {
        if (c->stdout_fd >= 0)
            close(c->stdout_fd);
        if (c->stderr_fd >= 0)
            close(c->stderr_fd);
    }
}

void spin_loaded_app_free(spin_loaded_app *a)
{
    for (size_t i = 0; i < a->ntriggers; i++)
        a->triggers[i].ops->free(a->triggers[i].self);
    free(a->triggers);
    for (size_t i = 0; i < a->ncomps; i++)
        component_runtime_free(&a->comps[i]);
    free(a->comps);
    /* After the pres made with it. */
    component_linker_free(a->linker);
    spin_staging_remove(&a->staging_dir);
    spin_resolved_vars_clear(&a->vars);
    if (a->stores)
        spin_app_stores_clear(a->stores);
    free(a->stores);
    spin_runtime_config_clear(&a->rc);
    spin_locked_app_free(a->locked);
    free(a->app_dir);
    free(a->content_dir);
    free(a->app_id);
}

int spin_loaded_app_load(spin_loaded_app *a, const spin_run_options *opts, util_error **err)
{
    return load_app(a, opts, true, err);
}

int spin_app_check(const spin_run_options *opts, util_error **err)
{
    spin_loaded_app a;
    int rc = load_app(&a, opts, false, err);
    spin_loaded_app_free(&a);
    return rc;
}
