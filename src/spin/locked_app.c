/*
 * locked_app.c - the locked-app model (locked_app.h): ownership, lookups,
 * file:// URIs, the base64 of inline content, and the writer that turns a
 * model back into LockedApp JSON.
 *
 * The writer follows Spin's serde layout field by field (struct fields in
 * declaration order, optional ones omitted when empty, ContentRef flattened
 * into its parent), and writes every free-form JSON value (metadata,
 * trigger_config, host requirements, dependencies) with sorted keys, because
 * Spin's serde_json maps are ordered maps.  So a spin.lock written here reads
 * the same as one written by `spin up`, and a model read from any LockedApp
 * comes back out as equivalent JSON.
 */
#include "locked_app_internal.h"

#include <string.h>
#include <strings.h>

/* ---- ownership ---------------------------------------------------------- */

static void content_free(spin_locked_content *c)
{
    free(c->source);
    free(c->inline_data);
    free(c->digest);
}

static void http_trigger_free(spin_locked_http_trigger *h)
{
    if (h == NULL)
        return;
    free(h->route);
    free(h->component);
    free(h->wagi_argv);
    free(h->wagi_entrypoint);
    if (h->static_response != NULL) {
        spin_kv_free(h->static_response->headers, h->static_response->n_headers);
        free(h->static_response->body);
        free(h->static_response);
    }
    free(h);
}

static void component_free(spin_locked_component *c)
{
    free(c->id);
    json_object_put(c->metadata);
    free(c->description);
    spin_strv_free(&c->allowed_outbound_hosts);
    spin_strv_free(&c->allowed_http_hosts);
    spin_strv_free(&c->key_value_stores);
    spin_strv_free(&c->databases);
    spin_strv_free(&c->ai_models);
    free(c->content_type);
    content_free(&c->source);
    spin_kv_free(c->env, c->n_env);
    for (size_t i = 0; i < c->n_files; i++) {
        content_free(&c->files[i].content);
        free(c->files[i].path);
    }
    free(c->files);
    for (size_t i = 0; i < c->n_config; i++) {
        free(c->config[i].name);
        spin_template_free(&c->config[i].value);
    }
    free(c->config);
    json_object_put(c->dependencies);
    json_object_put(c->host_requirements);
}

void spin_locked_app_free(spin_locked_app *app)
{
    if (app == NULL)
        return;
    json_object_put(app->metadata);
    free(app->name);
    free(app->version);
    free(app->description);
    spin_strv_free(&app->authors);
    free(app->origin);
    free(app->http_base);
    json_object_put(app->host_requirements);
    for (size_t i = 0; i < app->n_variables; i++) {
        free(app->variables[i].name);
        free(app->variables[i].description);
        free(app->variables[i].default_value);
    }
    free(app->variables);
    for (size_t i = 0; i < app->n_triggers; i++) {
        free(app->triggers[i].id);
        free(app->triggers[i].trigger_type);
        json_object_put(app->triggers[i].config);
        http_trigger_free(app->triggers[i].http);
    }
    free(app->triggers);
    for (size_t i = 0; i < app->n_components; i++)
        component_free(&app->components[i]);
    free(app->components);
    free(app);
}

void spin_locked_app_freep(spin_locked_app **app)
{
    if (app != NULL) {
        spin_locked_app_free(*app);
        *app = NULL;
    }
}

/* ---- lookups ------------------------------------------------------------ */

const spin_locked_component *spin_locked_app_component(const spin_locked_app *app, const char *id)
{
    for (size_t i = 0; app != NULL && id != NULL && i < app->n_components; i++)
        if (strcmp(app->components[i].id, id) == 0)
            return &app->components[i];
    return NULL;
}

const spin_locked_trigger *spin_locked_app_trigger(const spin_locked_app *app, const char *id)
{
    for (size_t i = 0; app != NULL && id != NULL && i < app->n_triggers; i++)
        if (strcmp(app->triggers[i].id, id) == 0)
            return &app->triggers[i];
    return NULL;
}

const spin_locked_variable *spin_locked_app_variable(const spin_locked_app *app, const char *name)
{
    for (size_t i = 0; app != NULL && name != NULL && i < app->n_variables; i++)
        if (strcmp(app->variables[i].name, name) == 0)
            return &app->variables[i];
    return NULL;
}

struct json_object *spin_locked_app_trigger_metadata(const spin_locked_app *app,
                                                     const char *trigger_type)
{
    struct json_object *triggers, *trigger, *type, *cfg = NULL;
    if (app == NULL || app->metadata == NULL)
        return NULL;
    if (json_object_object_get_ex(app->metadata, "triggers", &triggers)) {
        if (json_object_is_type(triggers, json_type_object) &&
            json_object_object_get_ex(triggers, trigger_type, &cfg))
            return json_object_get(cfg);
        return NULL;
    }
    if (!json_object_object_get_ex(app->metadata, "trigger", &trigger) ||
        !json_object_object_get_ex(trigger, "type", &type) ||
        !json_object_is_type(type, json_type_string) ||
        strcmp(json_object_get_string(type), trigger_type) != 0)
        return NULL;
    cfg = spin_locked_json_sorted_copy(trigger);
    json_object_object_del(cfg, "type");
    return cfg;
}

/* ---- file:// URIs ------------------------------------------------------- */

/* What the url crate percent-encodes in a path segment: controls, space,
 * non-ASCII, and " # % < > ? ` { } (and '/' inside a segment, which a
 * path split on '/' cannot contain). */
static bool uri_needs_escape(unsigned char ch)
{
    return ch <= 0x20 || ch >= 0x7F || strchr("\"#%<>?`{}", ch) != NULL;
}

char *spin_locked_path_to_file_uri(const char *abs_path)
{
    util_buf b = {0};
    util_buf_reserve(&b, strlen(abs_path) + 8);
    util_buf_append_str(&b, "file://");
    for (const unsigned char *p = (const unsigned char *)abs_path; *p; p++) {
        if (uri_needs_escape(*p))
            util_buf_printf(&b, "%%%02X", *p);
        else
            util_buf_append(&b, p, 1);
    }
    return util_buf_steal(&b, NULL);
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

char *spin_locked_file_uri_to_path(const char *uri, util_error **err)
{
    if (strncmp(uri, "file://", 7) != 0) {
        util_error_set(err, 0, "'%.64s' is not a file:// URI", uri);
        return NULL;
    }
    const char *path = uri + 7;
    if (strncmp(path, "localhost/", 10) == 0)
        path += 9;
    if (path[0] != '/') {
        util_error_set(err, 0, "'%.64s': a file:// URI must name a local absolute path", uri);
        return NULL;
    }
    size_t n = strcspn(path, "?#");
    util_buf b = {0};
    util_buf_reserve(&b, n + 1);
    for (size_t i = 0; i < n; i++) {
        char ch = path[i];
        if (ch == '%') {
            int hi = i + 2 < n ? hex_value(path[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(path[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0) || (hi == 2 && lo == 15)) {
                util_buf_free(&b);
                util_error_set(err, 0, "'%.64s': invalid or forbidden percent-escape", uri);
                return NULL;
            }
            ch = (char)(hi * 16 + lo);
            i += 2;
        }
        util_buf_append(&b, &ch, 1);
    }
    return util_buf_steal(&b, NULL);
}

/* ---- base64 (standard alphabet, no padding) ----------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *spin_locked_base64_encode(const uint8_t *data, size_t len)
{
    char *out = util_xmalloc(len / 3 * 4 + 4 + 1);
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = b64_alphabet[v >> 6 & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)data[i] << 16;
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = b64_alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

static int b64_value(char ch)
{
    const char *p = ch ? strchr(b64_alphabet, ch) : NULL;
    return p ? (int)(p - b64_alphabet) : -1;
}

uint8_t *spin_locked_base64_decode(const char *text, size_t len, size_t *out_len, const char **why)
{
    if (len % 4 == 1) {
        *why = "invalid length";
        return NULL;
    }
    uint8_t *out = util_xmalloc(len / 4 * 3 + 3 + 1);
    size_t o = 0;
    uint32_t acc = 0;
    size_t have = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(text[i]);
        if (v < 0) {
            *why = text[i] == '=' ? "padding '=' is not allowed (Spin writes base64 without it)"
                                  : "invalid character";
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)v;
        if (++have == 4) {
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            acc = 0;
            have = 0;
        }
    }
    /* A final group of 2 or 3 symbols carries 1 or 2 bytes; the bits left
     * over must be zero, or two texts would decode to the same bytes. */
    if ((have == 2 && (acc & 0xF) != 0) || (have == 3 && (acc & 0x3) != 0)) {
        *why = "non-zero trailing bits";
        free(out);
        return NULL;
    }
    if (have == 2) {
        out[o++] = (uint8_t)(acc >> 4);
    } else if (have == 3) {
        out[o++] = (uint8_t)(acc >> 10);
        out[o++] = (uint8_t)(acc >> 2);
    }
    out[o] = 0;
    *out_len = o;
    return out;
}

/* ---- service chaining --------------------------------------------------- */

bool spin_locked_host_is_service_chaining(const char *host)
{
    if (strstr(host, "{{") != NULL)
        return false; /* a template: Spin cannot tell before resolving it */
    const char *sep = strstr(host, "://");
    const char *h = sep ? sep + 3 : host;
    size_t n = strcspn(h, ":/");
    static const char suffix[] = ".spin.internal";
    size_t sn = sizeof(suffix) - 1;
    return n > sn && strncasecmp(h + n - sn, suffix, sn) == 0;
}

/* ---- writer ------------------------------------------------------------- */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct json_object *spin_locked_json_sorted_copy(struct json_object *v)
{
    if (json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        struct json_object *out = json_object_new_array_ext((int)n);
        for (size_t i = 0; i < n; i++)
            json_object_array_add(out, spin_locked_json_sorted_copy(json_object_array_get_idx(v, i)));
        return out;
    }
    if (!json_object_is_type(v, json_type_object))
        return json_object_get(v); /* scalars are immutable: share them */
    size_t n = (size_t)json_object_object_length(v);
    const char **keys = util_xcalloc(n + 1, sizeof(*keys));
    size_t k = 0;
    json_object_object_foreach(v, key, val)
    {
        (void)val;
        keys[k++] = key;
    }
    qsort(keys, k, sizeof(*keys), compare_strings);
    struct json_object *out = json_object_new_object();
    for (size_t i = 0; i < k; i++)
        json_object_object_add(out, keys[i],
                               spin_locked_json_sorted_copy(json_object_object_get(v, keys[i])));
    free(keys);
    return out;
}

static bool json_empty(struct json_object *v)
{
    return v == NULL || (json_object_is_type(v, json_type_object) && json_object_object_length(v) == 0);
}

static void add_string(struct json_object *obj, const char *key, const char *value)
{
    if (value != NULL)
        json_object_object_add(obj, key, json_object_new_string(value));
}

static void add_content(struct json_object *obj, const spin_locked_content *c)
{
    add_string(obj, "source", c->source);
    if (c->has_inline) {
        char *b64 = spin_locked_base64_encode(c->inline_data, c->inline_len);
        json_object_object_add(obj, "inline", json_object_new_string(b64));
        free(b64);
    }
    add_string(obj, "digest", c->digest);
}

static struct json_object *kv_object(const spin_kv *kv, size_t n)
{
    struct json_object *obj = json_object_new_object();
    for (size_t i = 0; i < n; i++)
        json_object_object_add(obj, kv[i].key, json_object_new_string(kv[i].value));
    return obj;
}

static struct json_object *component_object(const spin_locked_component *c)
{
    struct json_object *obj = json_object_new_object();
    add_string(obj, "id", c->id);
    if (!json_empty(c->metadata))
        json_object_object_add(obj, "metadata", spin_locked_json_sorted_copy(c->metadata));
    struct json_object *src = json_object_new_object();
    add_string(src, "content_type", c->content_type);
    add_content(src, &c->source);
    json_object_object_add(obj, "source", src);
    if (c->n_env > 0)
        json_object_object_add(obj, "env", kv_object(c->env, c->n_env));
    if (c->n_files > 0) {
        struct json_object *files = json_object_new_array_ext((int)c->n_files);
        for (size_t i = 0; i < c->n_files; i++) {
            struct json_object *f = json_object_new_object();
            add_content(f, &c->files[i].content);
            add_string(f, "path", c->files[i].path);
            json_object_array_add(files, f);
        }
        json_object_object_add(obj, "files", files);
    }
    if (c->n_config > 0) {
        struct json_object *config = json_object_new_object();
        for (size_t i = 0; i < c->n_config; i++)
            add_string(config, c->config[i].name, c->config[i].value.raw);
        json_object_object_add(obj, "config", config);
    }
    if (!json_empty(c->dependencies))
        json_object_object_add(obj, "dependencies", spin_locked_json_sorted_copy(c->dependencies));
    if (!json_empty(c->host_requirements))
        json_object_object_add(obj, "host_requirements",
                               spin_locked_json_sorted_copy(c->host_requirements));
    return obj;
}

static struct json_object *variables_object(const spin_locked_app *app)
{
    struct json_object *vars = json_object_new_object();
    for (size_t i = 0; i < app->n_variables; i++) {
        const spin_locked_variable *v = &app->variables[i];
        struct json_object *obj = json_object_new_object();
        add_string(obj, "description", v->description);
        add_string(obj, "default", v->default_value);
        if (v->secret)
            json_object_object_add(obj, "secret", json_object_new_boolean(1));
        json_object_object_add(vars, v->name, obj);
    }
    return vars;
}

struct json_object *spin_locked_app_to_object(const spin_locked_app *app)
{
    struct json_object *root = json_object_new_object();
    /* Spin writes version 1 only when a version 0 reader could miss
     * something it must not ignore. */
    bool v1 = app->must_understand != 0 || !json_empty(app->host_requirements);
    json_object_object_add(root, "spin_lock_version", json_object_new_int(v1 ? 1 : 0));
    if (app->must_understand != 0) {
        struct json_object *mu = json_object_new_array();
        if (app->must_understand & SPIN_LOCKED_MU_HOST_REQUIREMENTS)
            json_object_array_add(mu, json_object_new_string("host_requirements"));
        if (app->must_understand & SPIN_LOCKED_MU_COMPONENT_HOST_REQUIREMENTS)
            json_object_array_add(mu, json_object_new_string("component_host_requirements"));
        json_object_object_add(root, "must_understand", mu);
    }
    if (!json_empty(app->metadata))
        json_object_object_add(root, "metadata", spin_locked_json_sorted_copy(app->metadata));
    if (!json_empty(app->host_requirements))
        json_object_object_add(root, "host_requirements",
                               spin_locked_json_sorted_copy(app->host_requirements));
    if (app->n_variables > 0)
        json_object_object_add(root, "variables", variables_object(app));
    struct json_object *triggers = json_object_new_array_ext((int)app->n_triggers);
    for (size_t i = 0; i < app->n_triggers; i++) {
        const spin_locked_trigger *t = &app->triggers[i];
        struct json_object *obj = json_object_new_object();
        add_string(obj, "id", t->id);
        add_string(obj, "trigger_type", t->trigger_type);
        json_object_object_add(obj, "trigger_config", spin_locked_json_sorted_copy(t->config));
        json_object_array_add(triggers, obj);
    }
    json_object_object_add(root, "triggers", triggers);
    struct json_object *components = json_object_new_array_ext((int)app->n_components);
    for (size_t i = 0; i < app->n_components; i++)
        json_object_array_add(components, component_object(&app->components[i]));
    json_object_object_add(root, "components", components);
    return root;
}

/* json-c prints an empty object or array over two lines; serde writes
 * "{}" and "[]".  A raw newline only ever appears as layout (strings have
 * theirs escaped), so "{\n<spaces>}" is always an empty container. */
static size_t collapse_empty_containers(char *text, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        text[o++] = text[i];
        if ((text[i] != '{' && text[i] != '[') || i + 1 >= n || text[i + 1] != '\n')
            continue;
        size_t j = i + 2;
        while (j < n && text[j] == ' ')
            j++;
        if (j < n && text[j] == (text[i] == '{' ? '}' : ']')) {
            text[o++] = text[j];
            i = j;
        }
    }
    text[o] = '\0';
    return o;
}

char *spin_locked_app_to_json(const spin_locked_app *app, size_t *len)
{
    struct json_object *root = spin_locked_app_to_object(app);
    size_t n = 0;
    const char *text = json_object_to_json_string_length(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
        &n);
    char *out = util_xstrndup(text, n);
    json_object_put(root);
    n = collapse_empty_containers(out, n);
    if (len != NULL)
        *len = n;
    return out;
}
