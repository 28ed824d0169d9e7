/*
 * locked_app_manifest.c - spin.toml (the parsed spin_manifest) normalised
 * into the locked-app model, the way Spin's loader turns a manifest into
 * a LockedApp for `spin up`.
 *
 * The manifest is first written out as the LockedApp JSON tree Spin's
 * loader would produce (crates/loader local.rs: locked_metadata,
 * locked_variable, locked_trigger, load_component), then read back by the
 * same reader as any other LockedApp (spin_locked_app_from_object), so both
 * producers yield models with the same invariants.  The differences from
 * Spin's loader are those of a host that fetches nothing at load time:
 *   - a { url, digest } source stays that URL with its digest rather than a
 *     file:// URI of a downloaded copy; registry sources (and registry
 *     dependencies) have no ContentRef form and are refused;
 *   - `files` are not copied into a temporary tree (Spin's default
 *     FilesMountStrategy::Copy) but listed where they are: one clean directory
 *     at "/" as one entry (as Spin's direct mounts do), everything else as
 *     one entry per file, so exclude_files and the link rule are applied;
 *   - a component's `build` table is not carried into its metadata (it only
 *     matters to `spin build`).
 * Paths are made absolute lexically, without resolving symlinks, as Spin's
 * path_absolutize does.
 */
#include "locked_app_internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

typedef struct build {
    const spin_manifest *m;
    spin_manifest view; /* m with dir = the absolute app dir */
    char *app_dir;      /* absolute */
    util_error **err;
} build;

/* ---- paths -------------------------------------------------------------- */

/* `path` (absolute, or relative to the absolute `base`) with "." and ".."
 * resolved lexically and duplicate slashes removed. */
static char *absolute_path(const char *base, const char *path)
{
    cleanup_free char *joined =
        path[0] == '/' ? util_xstrdup(path) : util_xasprintf("%s/%s", base, path);
    size_t n = strlen(joined);
    char *out = util_xmalloc(n + 2);
    size_t o = 0;
    for (const char *p = joined; *p;) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.')) {
            /* nothing to add */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--; /* the slash before the dropped component */
        } else {
            out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return out;
}

static char *cwd_absolute(const char *path, util_error **err)
{
    if (path[0] == '/')
        return absolute_path("/", path);
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        util_error_set(err, errno, "cannot resolve '%s': getcwd", path);
        return NULL;
    }
    return absolute_path(cwd, path);
}

static struct json_object *file_uri(const char *abs_path)
{
    char *uri = spin_locked_path_to_file_uri(abs_path);
    struct json_object *s = json_object_new_string(uri);
    free(uri);
    return s;
}

/* ---- TOML -> JSON ------------------------------------------------------- */

/* A TOML value as serde turns it into JSON (datetimes become their text,
 * non-finite floats null). */
static struct json_object *toml_to_json(const toml_value *v)
{
    if (v == NULL)
        return NULL;
    switch (v->type) {
    case TOML_TABLE: {
        struct json_object *obj = json_object_new_object();
        for (size_t i = 0; i < util_toml_len(v); i++) {
            const toml_entry *e = util_toml_entry_at(v, i);
            json_object_object_add(obj, e->key, toml_to_json(e->value));
        }
        return obj;
    }
    case TOML_ARRAY: {
        struct json_object *arr = json_object_new_array();
        for (size_t i = 0; i < util_toml_len(v); i++)
            json_object_array_add(arr, toml_to_json(util_toml_array_at(v, i)));
        return arr;
    }
    case TOML_STRING:
        return json_object_new_string_len(v->u.str.data, (int)v->u.str.len);
    case TOML_INTEGER:
        return json_object_new_int64(v->u.integer);
    case TOML_FLOAT:
        return isfinite(v->u.fp) ? json_object_new_double(v->u.fp) : NULL;
    case TOML_BOOL:
        return json_object_new_boolean(v->u.boolean);
    case TOML_DATETIME:
    case TOML_LOCAL_DATETIME:
    case TOML_LOCAL_DATE:
    case TOML_LOCAL_TIME:
        return json_object_new_string_len(v->u.str.data, (int)v->u.str.len);
    }
    return NULL;
}

/* ---- metadata, variables, triggers -------------------------------------- */

static void add_nonempty(struct json_object *obj, const char *key, const char *value)
{
    if (value != NULL && value[0] != '\0')
        json_object_object_add(obj, key, json_object_new_string(value));
}

static void add_strv(struct json_object *obj, const char *key, const spin_strv *v)
{
    if (v->len == 0)
        return;
    struct json_object *arr = json_object_new_array_ext((int)v->len);
    for (size_t i = 0; i < v->len; i++)
        json_object_array_add(arr, json_object_new_string(v->items[i]));
    json_object_object_add(obj, key, arr);
}

/* [application.trigger.<type>] (v2), or the v1 app-wide trigger table
 * without its `type`, keyed by trigger type. */
static struct json_object *trigger_global_configs(const spin_manifest *m)
{
    if (m->manifest_version != 1)
        return m->trigger_global_configs ? toml_to_json(m->trigger_global_configs)
                                         : json_object_new_object();
    struct json_object *all = json_object_new_object();
    const toml_value *t = util_toml_get(m->doc, "trigger");
    const char *type = util_toml_string(util_toml_get(t, "type"));
    if (type == NULL)
        return all;
    struct json_object *cfg = toml_to_json(t);
    json_object_object_del(cfg, "type");
    json_object_object_add(all, type, cfg);
    return all;
}

/* The single trigger type of the app, or NULL if it has none or several. */
static const char *single_trigger_type(const spin_manifest *m)
{
    const char *type = NULL;
    for (size_t i = 0; i < m->n_triggers; i++) {
        if (type != NULL && strcmp(type, m->triggers[i].type) != 0)
            return NULL;
        type = m->triggers[i].type;
    }
    return type;
}

static struct json_object *metadata_object(const spin_manifest *m, util_error **err)
{
    struct json_object *meta = json_object_new_object();
    add_nonempty(meta, "name", m->name);
    add_nonempty(meta, "version", m->version);
    add_nonempty(meta, "description", m->description);
    add_strv(meta, "authors", &m->authors);
    struct json_object *globals = trigger_global_configs(m);
    /* Kept for readers of the pre-2.0 shape: {"type": ..., <settings>}. */
    const char *type = single_trigger_type(m);
    if (type != NULL) {
        struct json_object *single = NULL;
        if (json_object_object_get_ex(globals, type, &single) &&
            json_object_is_type(single, json_type_object))
            single = spin_locked_json_sorted_copy(single);
        else
            single = json_object_new_object();
        json_object_object_add(single, "type", json_object_new_string(type));
        json_object_object_add(meta, "trigger", single);
    }
    json_object_object_add(meta, "triggers", globals);
    cleanup_free char *origin = cwd_absolute(m->path, err);
    if (origin == NULL) {
        json_object_put(meta);
        return NULL;
    }
    json_object_object_add(meta, "origin", file_uri(origin));
    return meta;
}

static struct json_object *variables_object(const spin_manifest *m)
{
    struct json_object *vars = json_object_new_object();
    for (size_t i = 0; i < m->n_variables; i++) {
        const spin_variable *v = &m->variables[i];
        struct json_object *obj = json_object_new_object();
        if (v->description != NULL)
            json_object_object_add(obj, "description", json_object_new_string(v->description));
        if (v->default_value != NULL)
            json_object_object_add(obj, "default", json_object_new_string(v->default_value));
        if (v->secret)
            json_object_object_add(obj, "secret", json_object_new_boolean(1));
        json_object_object_add(vars, v->name, obj);
    }
    return vars;
}

/* trigger_config is the trigger's table as written, minus its id, with
 * `component` always a component id (an inline component was moved into
 * the component list by manifest.c). */
static struct json_object *trigger_object(const spin_trigger *t)
{
    struct json_object *cfg = toml_is(t->config, TOML_TABLE) ? toml_to_json(t->config)
                                                             : json_object_new_object();
    json_object_object_del(cfg, "id");
    if (t->component != NULL)
        json_object_object_add(cfg, "component", json_object_new_string(t->component));
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "id", json_object_new_string(t->id));
    json_object_object_add(obj, "trigger_type", json_object_new_string(t->type));
    json_object_object_add(obj, "trigger_config", cfg);
    return obj;
}

/* ---- components --------------------------------------------------------- */

static int unfetchable(build *b, const spin_component *c, const char *what, const char *package,
                       const char *version)
{
    return util_error_set(b->err, 0,
                          "%s: [component.%s]: %s is the registry package %s@%s, which this host "
                          "cannot fetch (use a local file or { url, digest })",
                          b->m->path, c->id, what, package ? package : "?",
                          version ? version : "?");
}

/* A LockedComponentSource for a component source. */
static struct json_object *source_object(build *b, const spin_component *c,
                                         const spin_source *src, const char *what)
{
    if (src->kind == SPIN_SOURCE_REGISTRY) {
        unfetchable(b, c, what, src->package, src->version);
        return NULL;
    }
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "content_type",
                           json_object_new_string(SPIN_LOCKED_WASM_CONTENT_TYPE));
    if (src->kind == SPIN_SOURCE_URL) {
        json_object_object_add(obj, "source", json_object_new_string(src->url));
        json_object_object_add(obj, "digest", json_object_new_string(src->digest));
    } else {
        cleanup_free char *abs = absolute_path(b->app_dir, src->path);
        json_object_object_add(obj, "source", file_uri(abs));
    }
    return obj;
}

/* Spin refuses to compose a component that has resources or permissions of
 * its own into another: they would silently not apply. */
static int check_acceptable_dependency(build *b, const spin_component *dep,
                                       const spin_component *c)
{
    util_buf why = {0};
    util_buf_reserve(&why, 64);
    struct {
        const char *name;
        bool set;
    } checks[] = {
        {"ai_models", dep->ai_models.len > 0},
        {"allowed_http_hosts", dep->allowed_http_hosts.len > 0},
        {"allowed_outbound_hosts", dep->allowed_outbound_hosts.len > 0},
        {"dependencies", dep->n_dependencies > 0},
        {"environment", dep->n_environment > 0},
        {"files", dep->n_files > 0},
        {"key_value_stores", dep->key_value_stores.len > 0},
        {"sqlite_databases", dep->sqlite_databases.len > 0},
        {"variables", dep->n_variables > 0},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(checks); i++)
        if (checks[i].set)
            util_buf_printf(&why, "%s%s", why.len ? ", " : "", checks[i].name);
    int r = 0;
    if (why.len > 0)
        r = util_error_set(b->err, 0,
                           "%s: [component.%s]: component %s cannot be used as a dependency: "
                           "dependencies may not have their own resources or permissions, and it "
                           "specifies %s",
                           b->m->path, c->id, dep->id, why.data);
    util_buf_free(&why);
    return r;
}

static struct json_object *dependency_object(build *b, const spin_component *c,
                                             const spin_dependency *d)
{
    struct json_object *src = NULL;
    cleanup_free char *what = util_xasprintf("dependency '%s'", d->name);
    if (d->kind == SPIN_DEP_VERSION || d->kind == SPIN_DEP_PACKAGE) {
        unfetchable(b, c, what, d->package ? d->package : d->name, d->version);
        return NULL;
    }
    if (d->kind == SPIN_DEP_COMPONENT) {
        const spin_component *target = spin_manifest_component(b->m, d->component);
        if (target == NULL || check_acceptable_dependency(b, target, c) < 0) {
            if (target == NULL)
                util_error_set(b->err, 0, "%s: [component.%s]: %s: no component '%s'",
                               b->m->path, c->id, what, d->component);
            return NULL;
        }
        src = source_object(b, c, &target->source, what);
    } else {
        spin_source s = {.kind = d->kind == SPIN_DEP_URL ? SPIN_SOURCE_URL : SPIN_SOURCE_FILE,
                         .path = d->path,
                         .url = d->url,
                         .digest = d->digest};
        src = source_object(b, c, &s, what);
    }
    if (src == NULL)
        return NULL;
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "source", src);
    /* Spin writes `export` even when it is null. */
    json_object_object_add(obj, "export",
                           d->export_name ? json_object_new_string(d->export_name) : NULL);
    if (c->dependencies_inherit_configuration)
        json_object_object_add(obj, "inherit", json_object_new_string("All"));
    return obj;
}

static int add_files(build *b, const spin_component *c, struct json_object *obj)
{
    spin_mounts mounts = {0};
    if (spin_component_files(&b->view, c, &mounts, b->err) < 0)
        return -1; /* the message names the component */
    /* What the rules leave out is said once, here, where it is dropped. */
    for (size_t i = 0; i < mounts.skipped.len; i++)
        util_log_warn("component '%s': files: skipped %s", c->id, mounts.skipped.items[i]);
    if (mounts.whole_dir) {
        /* One clean directory at "/": one entry for it, as Spin's
         * file-form lock names a directory mount. */
        struct json_object *files = json_object_new_array_ext(1);
        struct json_object *f = json_object_new_object();
        cleanup_free char *abs = absolute_path(b->app_dir, mounts.whole_dir);
        json_object_object_add(f, "source", file_uri(abs));
        json_object_object_add(f, "path", json_object_new_string("/"));
        json_object_array_add(files, f);
        json_object_object_add(obj, "files", files);
    } else if (mounts.len > 0) {
        /* Otherwise one entry per file (links resolved, skipped entries
         * left out), the shape of the OCI form. */
        struct json_object *files = json_object_new_array_ext((int)mounts.len);
        for (size_t i = 0; i < mounts.len; i++) {
            struct json_object *f = json_object_new_object();
            cleanup_free char *abs = absolute_path(b->app_dir, mounts.items[i].app_path);
            json_object_object_add(f, "source", file_uri(abs));
            json_object_object_add(f, "path", json_object_new_string(mounts.items[i].guest_path));
            json_object_array_add(files, f);
        }
        json_object_object_add(obj, "files", files);
    }
    spin_mounts_free(&mounts);
    return 0;
}

static struct json_object *component_metadata(const spin_component *c)
{
    struct json_object *meta = json_object_new_object();
    add_nonempty(meta, "description", c->description);
    add_strv(meta, "allowed_outbound_hosts", &c->allowed_outbound_hosts);
    add_strv(meta, "key_value_stores", &c->key_value_stores);
    add_strv(meta, "databases", &c->sqlite_databases);
    add_strv(meta, "ai_models", &c->ai_models);
    return meta;
}

static struct json_object *component_object(build *b, const spin_component *c)
{
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "id", json_object_new_string(c->id));
    json_object_object_add(obj, "metadata", component_metadata(c));
    struct json_object *src = source_object(b, c, &c->source, "source");
    if (src == NULL)
        goto fail;
    json_object_object_add(obj, "source", src);
    struct json_object *env = json_object_new_object();
    for (size_t i = 0; i < c->n_environment; i++)
        json_object_object_add(env, c->environment[i].key,
                               json_object_new_string(c->environment[i].value));
    json_object_object_add(obj, "env", env);
    if (add_files(b, c, obj) < 0)
        goto fail;
    struct json_object *config = json_object_new_object();
    for (size_t i = 0; i < c->n_variables; i++)
        json_object_object_add(config, c->variables[i].name,
                               json_object_new_string(c->variables[i].value.raw));
    json_object_object_add(obj, "config", config);
    struct json_object *deps = json_object_new_object();
    json_object_object_add(obj, "dependencies", deps);
    for (size_t i = 0; i < c->n_dependencies; i++) {
        struct json_object *d = dependency_object(b, c, &c->dependencies[i]);
        if (d == NULL)
            goto fail;
        json_object_object_add(deps, c->dependencies[i].name, d);
    }
    for (size_t i = 0; i < c->allowed_outbound_hosts.len; i++)
        if (spin_locked_host_is_service_chaining(c->allowed_outbound_hosts.items[i])) {
            struct json_object *hr = json_object_new_object();
            json_object_object_add(hr, LOCKED_SERVICE_CHAINING_KEY,
                                   json_object_new_string("required"));
            json_object_object_add(obj, "host_requirements", hr);
            break;
        }
    return obj;
fail:
    json_object_put(obj);
    return NULL;
}

/* ---- the document ------------------------------------------------------- */

static struct json_object *app_object(build *b)
{
    const spin_manifest *m = b->m;
    struct json_object *root = json_object_new_object();
    json_object_object_add(root, "spin_lock_version", json_object_new_int(0));
    struct json_object *meta = metadata_object(m, b->err);
    if (meta == NULL)
        goto fail;
    json_object_object_add(root, "metadata", meta);
    json_object_object_add(root, "variables", variables_object(m));
    struct json_object *triggers = json_object_new_array_ext((int)m->n_triggers);
    json_object_object_add(root, "triggers", triggers);
    for (size_t i = 0; i < m->n_triggers; i++)
        json_object_array_add(triggers, trigger_object(&m->triggers[i]));
    struct json_object *components = json_object_new_array_ext((int)m->n_components);
    json_object_object_add(root, "components", components);
    bool component_requirements = false;
    for (size_t i = 0; i < m->n_components; i++) {
        struct json_object *c = component_object(b, &m->components[i]);
        if (c == NULL)
            goto fail;
        component_requirements |= json_object_object_get_ex(c, "host_requirements", NULL);
        json_object_array_add(components, c);
    }
    if (component_requirements) {
        struct json_object *mu = json_object_new_array();
        json_object_array_add(mu, json_object_new_string("component_host_requirements"));
        json_object_object_add(root, "must_understand", mu);
        json_object_object_add(root, "spin_lock_version", json_object_new_int(1));
    }
    return root;
fail:
    json_object_put(root);
    return NULL;
}

int spin_locked_app_from_manifest(const spin_manifest *m, const char *app_dir,
                                  spin_locked_app **out, util_error **err)
{
    *out = NULL;
    build b = {.m = m, .view = *m, .err = err};
    b.app_dir = cwd_absolute(app_dir ? app_dir : m->dir, err);
    if (b.app_dir == NULL)
        return -1;
    b.view.dir = b.app_dir;
    struct json_object *root = app_object(&b);
    int r = -1;
    if (root != NULL) {
        r = spin_locked_app_from_object(root, out, err);
        if (r < 0)
            util_error_wrap(err, "%s: normalising to a locked app", m->path);
    }
    json_object_put(root);
    free(b.app_dir);
    return r;
}
