/*
 * locked_app_json.c - reads LockedApp JSON into the locked-app model.
 *
 * json-c parses the text (strict JSON, valid UTF-8, bounded size and depth);
 * this file then walks the tree the way serde deserialises Spin's LockedApp
 * structs: required fields must be present, `null` stands for an absent
 * Option but not for a list, map or bool, and unknown fields are skipped
 * (Spin 3 reads newer lock files that way; `must_understand` is the escape
 * hatch it uses to make old hosts refuse).  The parts Spin's runtime reads
 * with its own types are checked as the runtime would check them, now,
 * instead of at the first request: an HTTP trigger_config (unknown fields
 * refused), the app-level HTTP `base`, variable names and the templates of
 * component config.
 *
 * Every check that fails names the JSON path of the value it rejects; the
 * path is built as the walk descends ("components[2].files[0].path"), with
 * map keys shown printable so hostile keys cannot reach a terminal raw.
 */
#include "locked_app_internal.h"

#include <string.h>

/* ---- paths and errors --------------------------------------------------- */

/* A key or value as it may be shown in a message: printable ASCII kept,
 * everything else escaped, long text cut. */
static char *printable(const char *s)
{
    util_buf b = {0};
    util_buf_reserve(&b, 16);
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
        if (n == 64) {
            util_buf_append_str(&b, "...");
            break;
        }
        if (*p < 0x20 || *p >= 0x7F || *p == '\\')
            util_buf_printf(&b, "\\x%02X", *p);
        else
            util_buf_append(&b, p, 1);
    }
    return util_buf_steal(&b, NULL);
}

static char *path_key(const char *path, const char *key)
{
    cleanup_free char *k = printable(key);
    return path[0] ? util_xasprintf("%s.%s", path, k) : util_xstrdup(k);
}

static char *path_index(const char *path, size_t i)
{
    return util_xasprintf("%s[%zu]", path, i);
}

static int fail(util_error **err, const char *path, const char *fmt, ...) UTIL_PRINTF(3, 4);
static int fail(util_error **err, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cleanup_free char *msg = util_xvasprintf(fmt, ap);
    va_end(ap);
    if (path[0])
        return util_error_set(err, 0, "%s: %s", path, msg);
    return util_error_set(err, 0, "%s", msg);
}

static const char *type_name(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
    case json_type_int:
        return "a number";
    case json_type_string:
        return "a string";
    case json_type_array:
        return "an array";
    case json_type_object:
        return "an object";
    }
    return "a value";
}

static int wrong_type(util_error **err, const char *path, struct json_object *v, const char *want)
{
    return fail(err, path, "expected %s, got %s", want, type_name(v));
}

/* ---- typed readers ------------------------------------------------------ */

/* Looks `key` up in `obj`; true if present (its value may be JSON null). */
static bool field(struct json_object *obj, const char *key, struct json_object **out)
{
    *out = NULL;
    return json_object_object_get_ex(obj, key, out);
}

static int missing(util_error **err, const char *path, const char *key)
{
    return fail(err, path, "missing field '%s'", key);
}

static int read_string(util_error **err, const char *path, struct json_object *v, char **out)
{
    if (!json_object_is_type(v, json_type_string))
        return wrong_type(err, path, v, "a string");
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (strlen(s) != n)
        return fail(err, path, "must not contain NUL characters");
    free(*out);
    *out = util_xstrndup(s, n);
    return 0;
}

/* An Option<String>: absent or null leaves *out NULL. */
static int opt_string(util_error **err, const char *path, struct json_object *obj,
                      const char *key, char **out)
{
    struct json_object *v;
    if (!field(obj, key, &v) || v == NULL)
        return 0;
    cleanup_free char *p = path_key(path, key);
    return read_string(err, p, v, out);
}

static int req_string(util_error **err, const char *path, struct json_object *obj,
                      const char *key, char **out)
{
    struct json_object *v;
    if (!field(obj, key, &v))
        return missing(err, path, key);
    cleanup_free char *p = path_key(path, key);
    return read_string(err, p, v, out);
}

static int read_strv(util_error **err, const char *path, struct json_object *v, spin_strv *out)
{
    if (!json_object_is_type(v, json_type_array))
        return wrong_type(err, path, v, "an array of strings");
    size_t n = json_object_array_length(v);
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *p = path_index(path, i);
        cleanup_free char *s = NULL;
        if (read_string(err, p, json_object_array_get_idx(v, i), &s) < 0)
            return -1;
        spin_strv_push(out, s);
    }
    return 0;
}

/* A bool with a serde default: absent is false, null is an error. */
static int opt_bool(util_error **err, const char *path, struct json_object *obj, const char *key,
                    bool *out)
{
    struct json_object *v;
    if (!field(obj, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_boolean)) {
        cleanup_free char *p = path_key(path, key);
        return wrong_type(err, p, v, "a boolean");
    }
    *out = json_object_get_boolean(v);
    return 0;
}

/* A list or map with a serde default: absent gives NULL, null is an error
 * (serde does not read null as an empty collection). */
static int opt_typed(util_error **err, const char *path, struct json_object *obj,
                     const char *key, json_type type, struct json_object **out)
{
    if (!field(obj, key, out))
        return 0;
    if (json_object_is_type(*out, type))
        return 0;
    cleanup_free char *p = path_key(path, key);
    return wrong_type(err, p, *out, type == json_type_array ? "an array" : "an object");
}

static int compare_kv(const void *a, const void *b)
{
    return strcmp(((const spin_kv *)a)->key, ((const spin_kv *)b)->key);
}

/* A map of strings (env), sorted by key as Spin's BTreeMap is. */
static int read_str_map(util_error **err, const char *path, struct json_object *v, spin_kv **out,
                        size_t *n)
{
    json_object_object_foreach(v, key, val)
    {
        cleanup_free char *p = path_key(path, key);
        cleanup_free char *s = NULL;
        if (read_string(err, p, val, &s) < 0)
            return -1;
        *out = util_xrealloc(*out, (*n + 1) * sizeof(**out));
        (*out)[*n].key = util_xstrdup(key);
        (*out)[*n].value = steal_pointer(&s);
        (*n)++;
    }
    if (*n > 1)
        qsort(*out, *n, sizeof(**out), compare_kv);
    return 0;
}

static bool is_sha256_digest(const char *d)
{
    if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
        return false;
    return strspn(d + 7, "0123456789abcdef") == 64;
}

/* The fields of a ContentRef, flattened into `obj`. */
static int read_content(util_error **err, const char *path, struct json_object *obj,
                        spin_locked_content *c)
{
    if (opt_string(err, path, obj, "source", &c->source) < 0)
        return -1;
    struct json_object *v;
    if (field(obj, "inline", &v) && v != NULL) {
        cleanup_free char *p = path_key(path, "inline");
        if (!json_object_is_type(v, json_type_string))
            return wrong_type(err, p, v, "a base64 string");
        const char *why = NULL;
        c->inline_data = spin_locked_base64_decode(json_object_get_string(v),
                                              (size_t)json_object_get_string_len(v),
                                              &c->inline_len, &why);
        if (c->inline_data == NULL)
            return fail(err, p, "invalid base64: %s", why);
        c->has_inline = true;
    }
    if (opt_string(err, path, obj, "digest", &c->digest) < 0)
        return -1;
    if (c->digest != NULL && !is_sha256_digest(c->digest)) {
        cleanup_free char *p = path_key(path, "digest");
        cleanup_free char *shown = printable(c->digest);
        return fail(err, p, "not a sha256 digest (expected \"sha256:\" and 64 lowercase hex "
                            "digits, got '%s')",
                    shown);
    }
    if (c->source == NULL && !c->has_inline && c->digest == NULL)
        return fail(err, path, "needs at least one of 'source', 'inline' or 'digest'");
    return 0;
}

/* ---- host requirements and must_understand ------------------------------ */

/* Spin keeps every requirement but those marked "optional" (and nulls), and
 * refuses the app if one is a feature it does not know. */
static int read_host_requirements(util_error **err, const char *path, struct json_object *obj,
                                  struct json_object **out, bool *service_chaining)
{
    struct json_object *v;
    if (opt_typed(err, path, obj, "host_requirements", json_type_object, &v) < 0)
        return -1;
    if (v == NULL)
        return 0;
    cleanup_free char *p = path_key(path, "host_requirements");
    util_buf unknown = {0};
    struct json_object *kept = json_object_new_object();
    json_object_object_foreach(v, key, val)
    {
        if (val == NULL || (json_object_is_type(val, json_type_string) &&
                            strcmp(json_object_get_string(val), "optional") == 0))
            continue;
        if (strcmp(key, LOCKED_SERVICE_CHAINING_KEY) == 0) {
            *service_chaining = true;
            json_object_object_add(kept, key, json_object_get(val));
            continue;
        }
        cleanup_free char *shown = printable(key);
        util_buf_printf(&unknown, "%s%s", unknown.len ? ", " : "", shown);
    }
    if (unknown.len > 0) {
        fail(err, p,
             "this host does not support the following features required by this application: "
             "%s",
             unknown.data);
        util_buf_free(&unknown);
        json_object_put(kept);
        return -1;
    }
    if (json_object_object_length(kept) == 0)
        json_object_put(kept);
    else
        *out = kept;
    return 0;
}

static int read_must_understand(util_error **err, struct json_object *root, unsigned *out)
{
    struct json_object *v;
    if (opt_typed(err, "", root, "must_understand", json_type_array, &v) < 0)
        return -1;
    if (v == NULL)
        return 0;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        cleanup_free char *p = path_index("must_understand", i);
        cleanup_free char *s = NULL;
        if (read_string(err, p, json_object_array_get_idx(v, i), &s) < 0)
            return -1;
        if (strcmp(s, "host_requirements") == 0) {
            *out |= SPIN_LOCKED_MU_HOST_REQUIREMENTS;
        } else if (strcmp(s, "component_host_requirements") == 0) {
            *out |= SPIN_LOCKED_MU_COMPONENT_HOST_REQUIREMENTS;
        } else {
            cleanup_free char *shown = printable(s);
            return fail(err, p,
                        "this host does not understand '%s', which the application requires "
                        "(it understands host_requirements and component_host_requirements)",
                        shown);
        }
    }
    return 0;
}

/* ---- app metadata ------------------------------------------------------- */

/* The app-level HTTP trigger settings, found where Spin's runtime looks:
 * metadata.triggers.http, else the old metadata.trigger if its type is
 * http.  Spin's HTTP trigger accepts only `base`, and only "/". */
static int read_http_base(util_error **err, struct json_object *meta, spin_locked_app *app)
{
    struct json_object *cfg = NULL, *triggers = NULL, *trigger = NULL, *type = NULL;
    const char *where;
    if (field(meta, "triggers", &triggers)) {
        if (!json_object_is_type(triggers, json_type_object) || !field(triggers, "http", &cfg))
            return 0;
        where = "metadata.triggers.http";
    } else if (field(meta, "trigger", &trigger) && field(trigger, "type", &type) &&
               json_object_is_type(type, json_type_string) &&
               strcmp(json_object_get_string(type), "http") == 0) {
        cfg = trigger;
        where = "metadata.trigger";
    } else {
        return 0;
    }
    if (!json_object_is_type(cfg, json_type_object))
        return wrong_type(err, where, cfg, "an object");
    json_object_object_foreach(cfg, key, val)
    {
        (void)val;
        if (strcmp(key, "base") == 0 || (cfg == trigger && strcmp(key, "type") == 0))
            continue;
        cleanup_free char *p = path_key(where, key);
        return fail(err, p, "unknown field (the HTTP trigger's app settings have only 'base')");
    }
    cleanup_free char *p = path_key(where, "base");
    if (opt_string(err, where, cfg, "base", &app->http_base) < 0)
        return -1;
    if (app->http_base != NULL && strcmp(app->http_base, "/") != 0) {
        cleanup_free char *shown = printable(app->http_base);
        return fail(err, p,
                    "'base' is no longer supported: only \"/\" is accepted, got '%s' (prepend "
                    "it to each trigger's route)",
                    shown);
    }
    return 0;
}

static int read_app_metadata(util_error **err, struct json_object *root, spin_locked_app *app)
{
    struct json_object *meta;
    if (opt_typed(err, "", root, "metadata", json_type_object, &meta) < 0)
        return -1;
    if (meta == NULL)
        return 0;
    if (json_object_object_length(meta) > 0)
        app->metadata = json_object_get(meta);
    const char *p = "metadata";
    if (opt_string(err, p, meta, "name", &app->name) < 0 ||
        opt_string(err, p, meta, "version", &app->version) < 0 ||
        opt_string(err, p, meta, "description", &app->description) < 0 ||
        opt_string(err, p, meta, "origin", &app->origin) < 0)
        return -1;
    struct json_object *authors;
    if (field(meta, "authors", &authors) &&
        read_strv(err, "metadata.authors", authors, &app->authors) < 0)
        return -1;
    return read_http_base(err, meta, app);
}

/* ---- variables ---------------------------------------------------------- */

static int compare_variables(const void *a, const void *b)
{
    return strcmp(((const spin_locked_variable *)a)->name,
                  ((const spin_locked_variable *)b)->name);
}

static int read_variables(util_error **err, struct json_object *root, spin_locked_app *app)
{
    struct json_object *vars;
    if (opt_typed(err, "", root, "variables", json_type_object, &vars) < 0)
        return -1;
    if (vars == NULL)
        return 0;
    json_object_object_foreach(vars, name, val)
    {
        cleanup_free char *p = path_key("variables", name);
        const char *why = spin_id_check(name, '_', true);
        if (why != NULL)
            return fail(err, p, "invalid variable name: %s", why);
        if (!json_object_is_type(val, json_type_object))
            return wrong_type(err, p, val, "an object like {\"default\": \"...\"}");
        app->variables =
            util_xrealloc(app->variables, (app->n_variables + 1) * sizeof(*app->variables));
        spin_locked_variable *v = &app->variables[app->n_variables++];
        memset(v, 0, sizeof(*v));
        v->name = util_xstrdup(name);
        if (opt_string(err, p, val, "description", &v->description) < 0 ||
            opt_string(err, p, val, "default", &v->default_value) < 0 ||
            opt_bool(err, p, val, "secret", &v->secret) < 0)
            return -1;
        v->required = v->default_value == NULL;
    }
    if (app->n_variables > 1)
        qsort(app->variables, app->n_variables, sizeof(*app->variables), compare_variables);
    return 0;
}

/* ---- components --------------------------------------------------------- */

/* Component metadata as Spin's runtime reads it: the lists it uses must be
 * lists of strings; a malformed legacy allowed_http_hosts is ignored, as
 * Spin ignores it. */
static int read_component_metadata(util_error **err, const char *path, struct json_object *meta,
                                   spin_locked_component *c)
{
    /* Empty is absent: Spin does not write an empty map. */
    if (json_object_object_length(meta) > 0)
        c->metadata = json_object_get(meta);
    struct json_object *v;
    if (field(meta, "description", &v) && json_object_is_type(v, json_type_string))
        (void)read_string(NULL, path, v, &c->description);
    static const struct {
        const char *key;
        size_t offset;
    } lists[] = {
        {"allowed_outbound_hosts", offsetof(spin_locked_component, allowed_outbound_hosts)},
        {"key_value_stores", offsetof(spin_locked_component, key_value_stores)},
        {"databases", offsetof(spin_locked_component, databases)},
        {"ai_models", offsetof(spin_locked_component, ai_models)},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(lists); i++) {
        if (!field(meta, lists[i].key, &v) || v == NULL)
            continue;
        cleanup_free char *p = path_key(path, lists[i].key);
        if (read_strv(err, p, v, (spin_strv *)((char *)c + lists[i].offset)) < 0)
            return -1;
    }
    if (field(meta, "allowed_http_hosts", &v) && v != NULL) {
        if (read_strv(NULL, path, v, &c->allowed_http_hosts) < 0) {
            spin_strv_free(&c->allowed_http_hosts);
            return 0;
        }
        mctx quiet = {.file = "locked app", .err = NULL};
        util_error *ignored = NULL;
        quiet.err = &ignored;
        spin_strv converted = {0};
        if (spin_manifest_convert_http_hosts(&quiet, "metadata", 0, 0, &c->allowed_http_hosts,
                                             false,
                                             &converted) == 0)
            for (size_t i = 0; i < converted.len; i++)
                spin_strv_push(&c->allowed_outbound_hosts, converted.items[i]);
        spin_strv_free(&converted);
        util_error_free(&ignored);
    }
    return 0;
}

static bool path_has_dotdot(const char *path)
{
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += n;
        if (*p == '/')
            p++;
    }
    return false;
}

static int read_files(util_error **err, const char *path, struct json_object *files,
                      spin_locked_component *c)
{
    size_t n = json_object_array_length(files);
    c->files = util_xcalloc(n ? n : 1, sizeof(*c->files));
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *p = path_index(path, i);
        struct json_object *f = json_object_array_get_idx(files, i);
        if (!json_object_is_type(f, json_type_object))
            return wrong_type(err, p, f, "an object like {\"source\": ..., \"path\": ...}");
        spin_locked_file *out = &c->files[c->n_files++];
        if (read_content(err, p, f, &out->content) < 0 ||
            req_string(err, p, f, "path", &out->path) < 0)
            return -1;
        cleanup_free char *pp = path_key(p, "path");
        if (out->path[0] == '\0')
            return fail(err, pp, "must not be empty");
        if (path_has_dotdot(out->path)) {
            cleanup_free char *shown = printable(out->path);
            return fail(err, pp, "'%s' has a '..' component", shown);
        }
    }
    return 0;
}

static int compare_component_variables(const void *a, const void *b)
{
    return strcmp(((const spin_component_variable *)a)->name,
                  ((const spin_component_variable *)b)->name);
}

/* Component variables: each value is a template over app variables, which
 * Spin's variables factor checks when the app starts. */
static int read_config(util_error **err, const char *path, struct json_object *config,
                       const spin_locked_app *app, spin_locked_component *c)
{
    json_object_object_foreach(config, name, val)
    {
        cleanup_free char *p = path_key(path, name);
        const char *why = spin_id_check(name, '_', true);
        if (why != NULL)
            return fail(err, p, "invalid variable name: %s", why);
        cleanup_free char *text = NULL;
        if (read_string(err, p, val, &text) < 0)
            return -1;
        c->config = util_xrealloc(c->config, (c->n_config + 1) * sizeof(*c->config));
        spin_component_variable *cv = &c->config[c->n_config];
        memset(cv, 0, sizeof(*cv));
        util_error *terr = NULL;
        if (spin_template_parse(text, &cv->value, &terr) < 0) {
            fail(err, p, "%s", terr->msg);
            util_error_free(&terr);
            return -1;
        }
        cv->name = util_xstrdup(name);
        c->n_config++;
        for (size_t k = 0; k < cv->value.len; k++)
            if (cv->value.parts[k].kind == SPIN_TPL_VARIABLE &&
                spin_locked_app_variable(app, cv->value.parts[k].text) == NULL) {
                cleanup_free char *shown = printable(cv->value.parts[k].text);
                return fail(err, p, "refers to '%s', which is not declared in variables", shown);
            }
    }
    if (c->n_config > 1)
        qsort(c->config, c->n_config, sizeof(*c->config), compare_component_variables);
    return 0;
}

/* Dependencies stay opaque (the host composes none yet), but their sources
 * are ContentRefs like any other and are checked as such. */
static int check_dependencies(util_error **err, const char *path, struct json_object *deps)
{
    json_object_object_foreach(deps, name, dep)
    {
        cleanup_free char *p = path_key(path, name);
        if (name[0] == '\0')
            return fail(err, p, "empty dependency name");
        if (!json_object_is_type(dep, json_type_object))
            return wrong_type(err, p, dep, "an object like {\"source\": {...}}");
        struct json_object *src;
        if (!field(dep, "source", &src))
            return missing(err, p, "source");
        cleanup_free char *sp = path_key(p, "source");
        if (!json_object_is_type(src, json_type_object))
            return wrong_type(err, sp, src, "an object");
        cleanup_free char *content_type = NULL;
        cleanup_free char *export_name = NULL;
        spin_locked_content content = {0};
        int r = req_string(err, sp, src, "content_type", &content_type) < 0 ||
                        read_content(err, sp, src, &content) < 0 ||
                        opt_string(err, p, dep, "export", &export_name) < 0
                    ? -1
                    : 0;
        free(content.source);
        free(content.inline_data);
        free(content.digest);
        if (r < 0)
            return -1;
    }
    return 0;
}

static int read_component(util_error **err, const char *path, struct json_object *obj,
                          const spin_locked_app *app, spin_locked_component *c)
{
    if (!json_object_is_type(obj, json_type_object))
        return wrong_type(err, path, obj, "an object");
    if (req_string(err, path, obj, "id", &c->id) < 0)
        return -1;
    cleanup_free char *idp = path_key(path, "id");
    const char *why = spin_id_check(c->id, '-', false);
    if (why != NULL) {
        cleanup_free char *shown = printable(c->id);
        return fail(err, idp, "invalid component id '%s': %s", shown, why);
    }
    if (spin_locked_app_component(app, c->id) != NULL)
        return fail(err, idp, "duplicate component id '%s'", c->id);
    struct json_object *v;
    if (opt_typed(err, path, obj, "metadata", json_type_object, &v) < 0)
        return -1;
    cleanup_free char *mp = path_key(path, "metadata");
    if (v != NULL && read_component_metadata(err, mp, v, c) < 0)
        return -1;
    if (!field(obj, "source", &v))
        return missing(err, path, "source");
    cleanup_free char *sp = path_key(path, "source");
    if (!json_object_is_type(v, json_type_object))
        return wrong_type(err, sp, v, "an object like {\"content_type\": \"application/wasm\", ...}");
    if (req_string(err, sp, v, "content_type", &c->content_type) < 0 ||
        read_content(err, sp, v, &c->source) < 0)
        return -1;
    if (opt_typed(err, path, obj, "env", json_type_object, &v) < 0)
        return -1;
    cleanup_free char *ep = path_key(path, "env");
    if (v != NULL && read_str_map(err, ep, v, &c->env, &c->n_env) < 0)
        return -1;
    if (opt_typed(err, path, obj, "files", json_type_array, &v) < 0)
        return -1;
    cleanup_free char *fp = path_key(path, "files");
    if (v != NULL && read_files(err, fp, v, c) < 0)
        return -1;
    if (opt_typed(err, path, obj, "config", json_type_object, &v) < 0)
        return -1;
    cleanup_free char *cp = path_key(path, "config");
    if (v != NULL && read_config(err, cp, v, app, c) < 0)
        return -1;
    if (opt_typed(err, path, obj, "dependencies", json_type_object, &v) < 0)
        return -1;
    cleanup_free char *dp = path_key(path, "dependencies");
    if (v != NULL && check_dependencies(err, dp, v) < 0)
        return -1;
    if (v != NULL && json_object_object_length(v) > 0)
        c->dependencies = json_object_get(v);
    return read_host_requirements(err, path, obj, &c->host_requirements,
                                  &c->requires_service_chaining);
}

static int read_components(util_error **err, struct json_object *root, spin_locked_app *app)
{
    struct json_object *comps;
    if (!field(root, "components", &comps))
        return missing(err, "", "components");
    if (!json_object_is_type(comps, json_type_array))
        return wrong_type(err, "components", comps, "an array");
    size_t n = json_object_array_length(comps);
    app->components = util_xcalloc(n ? n : 1, sizeof(*app->components));
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *p = path_index("components", i);
        spin_locked_component *c = &app->components[app->n_components];
        memset(c, 0, sizeof(*c));
        /* Counted before reading so a half-read component is freed too;
         * its id is not looked up until read_component has checked it. */
        int r = read_component(err, p, json_object_array_get_idx(comps, i), app, c);
        app->n_components++;
        if (r < 0)
            return -1;
    }
    return 0;
}

/* ---- triggers ----------------------------------------------------------- */

static int read_route(util_error **err, const char *path, struct json_object *v,
                      spin_locked_http_trigger *h)
{
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, val)
        {
            (void)val;
            if (strcmp(key, "private") != 0) {
                cleanup_free char *p = path_key(path, key);
                return fail(err, p, "unknown field (a private route is {\"private\": true})");
            }
        }
        bool priv = false;
        struct json_object *pv;
        if (!field(v, "private", &pv))
            return missing(err, path, "private");
        if (opt_bool(err, path, v, "private", &priv) < 0)
            return -1;
        if (!priv)
            return fail(err, path, "a route must be a path or {\"private\": true}");
        h->route_private = true;
        return 0;
    }
    cleanup_free char *route = NULL;
    if (!json_object_is_type(v, json_type_string))
        return wrong_type(err, path, v, "a route string or {\"private\": true}");
    if (read_string(err, path, v, &route) < 0)
        return -1;
    for (const char *p = route; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F || *p == ' ' || *p == '?' || *p == '#') {
            cleanup_free char *shown = printable(route);
            return fail(err, path,
                        "invalid route '%s': routes may not contain spaces, control characters, "
                        "'?' or '#'",
                        shown);
        }
    /* Spin joins routes to the base "/", so "hello" is "/hello". */
    h->route = route[0] == '/' ? util_xstrdup(route) : util_xasprintf("/%s", route);
    size_t n = strlen(h->route);
    h->route_wildcard = n >= 4 && strcmp(h->route + n - 4, "/...") == 0;
    return 0;
}

static int read_executor(util_error **err, const char *path, struct json_object *v,
                         spin_locked_http_trigger *h)
{
    h->executor = SPIN_LOCKED_EXECUTOR_HTTP;
    if (v == NULL)
        return 0; /* Option: null is the default executor */
    if (!json_object_is_type(v, json_type_object))
        return wrong_type(err, path, v, "an object like {\"type\": \"wagi\"}");
    cleanup_free char *type = NULL;
    if (req_string(err, path, v, "type", &type) < 0)
        return -1;
    bool wagi = strcmp(type, "wagi") == 0;
    if (wagi)
        h->executor = SPIN_LOCKED_EXECUTOR_WAGI;
    else if (strcmp(type, "wasip3-unstable") == 0)
        h->executor = SPIN_LOCKED_EXECUTOR_WASIP3_UNSTABLE;
    else if (strcmp(type, "http") != 0 && strcmp(type, "spin") != 0) {
        cleanup_free char *p = path_key(path, "type");
        cleanup_free char *shown = printable(type);
        return fail(err, p,
                    "unknown executor type '%s' (expected http, spin, wagi or wasip3-unstable)",
                    shown);
    }
    json_object_object_foreach(v, key, val)
    {
        (void)val;
        if (strcmp(key, "type") == 0 ||
            (wagi && (strcmp(key, "argv") == 0 || strcmp(key, "entrypoint") == 0)))
            continue;
        cleanup_free char *p = path_key(path, key);
        return fail(err, p, "unknown field (the %s executor has %s)", type,
                    wagi ? "type, argv and entrypoint" : "only type");
    }
    if (!wagi)
        return 0;
    struct json_object *f;
    cleanup_free char *ap = path_key(path, "argv");
    cleanup_free char *ep = path_key(path, "entrypoint");
    if (field(v, "argv", &f) && read_string(err, ap, f, &h->wagi_argv) < 0)
        return -1;
    if (field(v, "entrypoint", &f) && read_string(err, ep, f, &h->wagi_entrypoint) < 0)
        return -1;
    if (h->wagi_argv == NULL)
        h->wagi_argv = util_xstrdup("${SCRIPT_NAME} ${ARGS}");
    if (h->wagi_entrypoint == NULL)
        h->wagi_entrypoint = util_xstrdup("_start");
    return 0;
}

static int read_static_response(util_error **err, const char *path, struct json_object *v,
                                spin_locked_http_trigger *h)
{
    if (!json_object_is_type(v, json_type_object))
        return wrong_type(err, path, v, "an object");
    spin_static_response *r = util_xcalloc(1, sizeof(*r));
    h->static_response = r;
    r->status_code = 200;
    struct json_object *f;
    if (field(v, "status_code", &f) && f != NULL) {
        cleanup_free char *p = path_key(path, "status_code");
        int64_t code = json_object_get_int64(f);
        if (!json_object_is_type(f, json_type_int) || code < 100 || code > 999)
            return fail(err, p, "expected an HTTP status code from 100 to 999");
        r->status_code = (int)code;
    }
    if (opt_typed(err, path, v, "headers", json_type_object, &f) < 0)
        return -1;
    if (f != NULL) {
        cleanup_free char *p = path_key(path, "headers");
        json_object_object_foreach(f, key, val)
        {
            cleanup_free char *hp = path_key(p, key);
            cleanup_free char *s = NULL;
            if (read_string(err, hp, val, &s) < 0)
                return -1;
            r->headers = util_xrealloc(r->headers, (r->n_headers + 1) * sizeof(*r->headers));
            r->headers[r->n_headers].key = util_xstrdup(key);
            r->headers[r->n_headers++].value = steal_pointer(&s);
        }
    }
    /* Sorted by name: Spin reads trigger_config as an ordered JSON map,
     * so whatever order a lock file has, its host sees them sorted. */
    if (r->n_headers > 1)
        qsort(r->headers, r->n_headers, sizeof(*r->headers), compare_kv);
    return opt_string(err, path, v, "body", &r->body);
}

/* The HTTP trigger_config, with the checks of Spin's HttpTriggerConfig
 * (deny_unknown_fields; a component xor a static response; a route). */
static int read_http_trigger(util_error **err, const char *path, struct json_object *cfg,
                             const spin_locked_app *app, spin_locked_trigger *t)
{
    if (!json_object_is_type(cfg, json_type_object))
        return wrong_type(err, path, cfg, "an object like {\"route\": ..., \"component\": ...}");
    spin_locked_http_trigger *h = util_xcalloc(1, sizeof(*h));
    t->http = h;
    json_object_object_foreach(cfg, key, val)
    {
        (void)val;
        if (strcmp(key, "component") == 0 || strcmp(key, "static_response") == 0 ||
            strcmp(key, "route") == 0 || strcmp(key, "executor") == 0)
            continue;
        cleanup_free char *p = path_key(path, key);
        return fail(err, p,
                    "unknown field (an HTTP trigger has component, static_response, route and "
                    "executor)");
    }
    if (opt_string(err, path, cfg, "component", &h->component) < 0)
        return -1;
    struct json_object *v;
    if (!field(cfg, "route", &v))
        return missing(err, path, "route");
    cleanup_free char *rp = path_key(path, "route");
    if (read_route(err, rp, v, h) < 0)
        return -1;
    field(cfg, "executor", &v);
    cleanup_free char *xp = path_key(path, "executor");
    if (read_executor(err, xp, v, h) < 0)
        return -1;
    cleanup_free char *sp = path_key(path, "static_response");
    if (field(cfg, "static_response", &v) && v != NULL && read_static_response(err, sp, v, h) < 0)
        return -1;
    if (h->component == NULL && h->static_response == NULL)
        return fail(err, path, "an HTTP trigger needs either 'component' or 'static_response'");
    if (h->component != NULL && h->static_response != NULL)
        return fail(err, path,
                    "an HTTP trigger needs either 'component' or 'static_response', not both");
    if (h->component != NULL && spin_locked_app_component(app, h->component) == NULL) {
        cleanup_free char *p = path_key(path, "component");
        cleanup_free char *shown = printable(h->component);
        return fail(err, p, "no component '%s' in components", shown);
    }
    return 0;
}

static int read_triggers(util_error **err, struct json_object *root, spin_locked_app *app)
{
    struct json_object *trigs;
    if (!field(root, "triggers", &trigs))
        return missing(err, "", "triggers");
    if (!json_object_is_type(trigs, json_type_array))
        return wrong_type(err, "triggers", trigs, "an array");
    size_t n = json_object_array_length(trigs);
    app->triggers = util_xcalloc(n ? n : 1, sizeof(*app->triggers));
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *p = path_index("triggers", i);
        struct json_object *obj = json_object_array_get_idx(trigs, i);
        if (!json_object_is_type(obj, json_type_object))
            return wrong_type(err, p, obj, "an object");
        spin_locked_trigger *t = &app->triggers[app->n_triggers];
        memset(t, 0, sizeof(*t));
        char *id = NULL;
        if (req_string(err, p, obj, "id", &id) < 0)
            return -1;
        if (spin_locked_app_trigger(app, id) != NULL) {
            cleanup_free char *ip = path_key(p, "id");
            cleanup_free char *shown = printable(id);
            free(id);
            return fail(err, ip, "duplicate trigger id '%s'", shown);
        }
        t->id = id;
        app->n_triggers++;
        if (req_string(err, p, obj, "trigger_type", &t->trigger_type) < 0)
            return -1;
        struct json_object *cfg;
        if (!field(obj, "trigger_config", &cfg))
            return missing(err, p, "trigger_config");
        t->config = json_object_get(cfg);
        cleanup_free char *cp = path_key(p, "trigger_config");
        if (strcmp(t->trigger_type, "http") == 0 && read_http_trigger(err, cp, cfg, app, t) < 0)
            return -1;
    }
    return 0;
}

/* ---- the document ------------------------------------------------------- */

static int read_version(util_error **err, struct json_object *root, spin_locked_app *app)
{
    struct json_object *v;
    if (!field(root, "spin_lock_version", &v))
        return fail(err, "", "missing field 'spin_lock_version' (not a Spin locked app?)");
    if (!json_object_is_type(v, json_type_int))
        return wrong_type(err, "spin_lock_version", v, "an integer");
    int64_t version = json_object_get_int64(v);
    if (version < 0 || version > 1)
        return fail(err, "spin_lock_version",
                    "version %s is not supported (this host reads versions 0 and 1)",
                    json_object_get_string(v));
    app->spin_lock_version = (int)version;
    return 0;
}

int spin_locked_app_from_object(struct json_object *root, spin_locked_app **out, util_error **err)
{
    *out = NULL;
    if (!json_object_is_type(root, json_type_object))
        return wrong_type(err, "locked app", root, "an object");
    spin_locked_app *app = util_xcalloc(1, sizeof(*app));
    /* Variables come before components, whose config refers to them, and
     * components before triggers, which refer to components. */
    if (read_version(err, root, app) < 0 ||
        read_must_understand(err, root, &app->must_understand) < 0 ||
        read_app_metadata(err, root, app) < 0 ||
        read_host_requirements(err, "", root, &app->host_requirements,
                               &app->requires_service_chaining) < 0 ||
        read_variables(err, root, app) < 0 || read_components(err, root, app) < 0 ||
        read_triggers(err, root, app) < 0) {
        spin_locked_app_free(app);
        return -1;
    }
    *out = app;
    return 0;
}

/* json-c's strict mode still takes a few things JSON (and serde_json, so
 * Spin) refuses: single-quoted keys, NaN and Infinity, raw control
 * characters inside strings.  One pass over the bytes refuses those, and a
 * raw NUL, which would also make json-c stop early. */
static int check_json_bytes(const char *data, size_t len, util_error **err)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch == 0)
            return util_error_set(err, 0, "invalid JSON at byte %zu: NUL character", i);
        if (in_string) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = false;
            else if (ch < 0x20)
                return util_error_set(err, 0,
                                      "invalid JSON at byte %zu: control character in a string",
                                      i);
        } else if (ch == '"') {
            in_string = true;
        } else if (strchr(" \t\r\n{}[],:-+.0123456789eEtrufalsn", ch) == NULL) {
            return util_error_set(err, 0, "invalid JSON at byte %zu: unexpected character", i);
        }
    }
    return 0;
}

int spin_locked_app_from_json(const char *data, size_t len, spin_locked_app **out,
                              util_error **err)
{
    *out = NULL;
    if (len > SPIN_LOCKED_MAX_JSON_BYTES)
        return util_error_set(err, 0, "locked app JSON is %zu bytes, more than the limit of %zu",
                              len, SPIN_LOCKED_MAX_JSON_BYTES);
    if (check_json_bytes(data, len, err) < 0)
        return -1;
    struct json_tokener *tok = json_tokener_new_ex(SPIN_LOCKED_MAX_JSON_DEPTH);
    if (tok == NULL)
        return util_error_set(err, 0, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *root = json_tokener_parse_ex(tok, data, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr == json_tokener_continue || (jerr == json_tokener_success && end == 0 && len == 0)) {
        json_object_put(root);
        return util_error_set(err, 0, "invalid JSON: unexpected end of input");
    }
    if (jerr != json_tokener_success) {
        json_object_put(root);
        return util_error_set(err, 0, "invalid JSON at byte %zu: %s", end,
                              json_tokener_error_desc(jerr));
    }
    for (size_t i = end; i < len; i++)
        if (strchr(" \t\r\n", data[i]) == NULL) {
            json_object_put(root);
            return util_error_set(err, 0, "invalid JSON at byte %zu: trailing characters", i);
        }
    int r = spin_locked_app_from_object(root, out, err);
    json_object_put(root);
    return r;
}
