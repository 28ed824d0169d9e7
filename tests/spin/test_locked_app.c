/*
 * Unit tests of the locked-app model (src/spin/locked_app.h): LockedApp
 * JSON as Spin and its OCI artifacts write it (the examples of the research
 * notes, file-form and OCI-form locks, version 1 with must_understand), every
 * field of the model, the error for each way a document can be wrong (which
 * must name the JSON path), spin.toml v1 and v2 normalised the way Spin's
 * loader does it (against a real directory tree), and round trips:
 * manifest -> model -> JSON -> model, and JSON -> model -> JSON.
 */
#include "locked_app_internal.h"
#include "test.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

static char *read_seed(const char *name)
{
    cleanup_free char *path = util_xasprintf("%s/%s", SEEDS_DIR, name);
    char *data = NULL;
    size_t len = 0;
    util_error *err = NULL;
    if (util_read_file(path, &data, &len, &err) < 0) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
        return util_xstrdup("");
    }
    return data;
}

static spin_locked_app *parse_ok(const char *json)
{
    spin_locked_app *app = NULL;
    util_error *err = NULL;
    if (spin_locked_app_from_json(json, strlen(json), &app, &err) < 0) {
        fprintf(stderr, "unexpected error: %s\n", err ? err->msg : "(none)");
        util_error_free(&err);
    }
    return app;
}

static char *parse_error(const char *json, size_t len)
{
    spin_locked_app *app = NULL;
    util_error *err = NULL;
    if (spin_locked_app_from_json(json, len, &app, &err) == 0) {
        spin_locked_app_free(app);
        return util_xstrdup("(accepted)");
    }
    CHECK(app == NULL);
    char *msg = util_xstrdup(err ? err->msg : "(no error)");
    util_error_free(&err);
    return msg;
}

static struct json_object *json_parse(const char *text)
{
    struct json_object *o = json_tokener_parse(text);
    if (o == NULL)
        fprintf(stderr, "test JSON does not parse: %s\n", text);
    return o;
}

/* Compares JSON trees (object key order does not matter). */
static bool json_same(struct json_object *got, struct json_object *want)
{
    if (json_object_equal(got, want))
        return true;
    fprintf(stderr, "JSON differs.\n got: %s\nwant: %s\n",
            json_object_to_json_string_ext(got, JSON_C_TO_STRING_NOSLASHESCAPE),
            json_object_to_json_string_ext(want, JSON_C_TO_STRING_NOSLASHESCAPE));
    return false;
}

/* Replaces every "@DIR@" in `text` by `dir`. */
static char *with_dir(const char *text, const char *dir)
{
    util_buf b = {0};
    util_buf_reserve(&b, strlen(text) + 1);
    for (const char *p = text; *p;) {
        const char *at = strstr(p, "@DIR@");
        if (at == NULL) {
            util_buf_append_str(&b, p);
            break;
        }
        util_buf_append(&b, p, (size_t)(at - p));
        util_buf_append_str(&b, dir);
        p = at + 5;
    }
    return util_buf_steal(&b, NULL);
}

static bool strv_is(const spin_strv *v, const char *const *want, size_t n)
{
    bool ok = v->len == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(v->items[i], want[i]) == 0;
    if (!ok) {
        fprintf(stderr, "list differs: got [");
        for (size_t i = 0; i < v->len; i++)
            fprintf(stderr, "%s\"%s\"", i ? ", " : "", v->items[i]);
        fprintf(stderr, "]\n");
    }
    return ok;
}
#define CHECK_STRV(v, ...) \
    do { \
        const char *want_[] = {__VA_ARGS__}; \
        CHECK(strv_is(&(v), want_, UTIL_ARRAY_LEN(want_))); \
    } while (0)

/* ---- model equality (every typed field) --------------------------------- */

static bool str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool strv_eq(const spin_strv *a, const spin_strv *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++)
        if (strcmp(a->items[i], b->items[i]) != 0)
            return false;
    return true;
}

static bool kv_eq(const spin_kv *a, size_t na, const spin_kv *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!str_eq(a[i].key, b[i].key) || !str_eq(a[i].value, b[i].value))
            return false;
    return true;
}

static bool content_eq(const spin_locked_content *a, const spin_locked_content *b)
{
    return str_eq(a->source, b->source) && str_eq(a->digest, b->digest) &&
           a->has_inline == b->has_inline && a->inline_len == b->inline_len &&
           (a->inline_len == 0 || memcmp(a->inline_data, b->inline_data, a->inline_len) == 0);
}

static bool http_eq(const spin_locked_http_trigger *a, const spin_locked_http_trigger *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (!str_eq(a->route, b->route) || a->route_private != b->route_private ||
        a->route_wildcard != b->route_wildcard || !str_eq(a->component, b->component) ||
        a->executor != b->executor || !str_eq(a->wagi_argv, b->wagi_argv) ||
        !str_eq(a->wagi_entrypoint, b->wagi_entrypoint))
        return false;
    const spin_static_response *x = a->static_response, *y = b->static_response;
    if (x == NULL || y == NULL)
        return x == y;
    return x->status_code == y->status_code && str_eq(x->body, y->body) &&
           kv_eq(x->headers, x->n_headers, y->headers, y->n_headers);
}

/* Says which field differs, for the failure message. */
static bool same(bool equal, const char *what, const char *id)
{
    if (!equal)
        fprintf(stderr, "models differ in %s of '%s'\n", what, id ? id : "(app)");
    return equal;
}

static bool component_eq(const spin_locked_component *a, const spin_locked_component *b)
{
    const char *id = a->id;
    bool ok = same(str_eq(a->id, b->id), "id", id) &&
              same(json_object_equal(a->metadata, b->metadata), "metadata", id) &&
              same(str_eq(a->description, b->description), "description", id) &&
              same(strv_eq(&a->allowed_outbound_hosts, &b->allowed_outbound_hosts),
                   "allowed_outbound_hosts", id) &&
              same(strv_eq(&a->allowed_http_hosts, &b->allowed_http_hosts), "allowed_http_hosts",
                   id) &&
              same(strv_eq(&a->key_value_stores, &b->key_value_stores), "key_value_stores", id) &&
              same(strv_eq(&a->databases, &b->databases), "databases", id) &&
              same(strv_eq(&a->ai_models, &b->ai_models), "ai_models", id) &&
              same(str_eq(a->content_type, b->content_type), "content_type", id) &&
              same(content_eq(&a->source, &b->source), "source", id) &&
              same(kv_eq(a->env, a->n_env, b->env, b->n_env), "env", id) &&
              same(a->n_files == b->n_files, "number of files", id) &&
              same(a->n_config == b->n_config, "number of config entries", id) &&
              same(json_object_equal(a->dependencies, b->dependencies), "dependencies", id) &&
              same(json_object_equal(a->host_requirements, b->host_requirements),
                   "host_requirements", id) &&
              same(a->requires_service_chaining == b->requires_service_chaining,
                   "requires_service_chaining", id);
    for (size_t i = 0; ok && i < a->n_files; i++)
        ok = same(content_eq(&a->files[i].content, &b->files[i].content) &&
                      str_eq(a->files[i].path, b->files[i].path),
                  "files", id);
    for (size_t i = 0; ok && i < a->n_config; i++)
        ok = same(str_eq(a->config[i].name, b->config[i].name) &&
                      str_eq(a->config[i].value.raw, b->config[i].value.raw) &&
                      a->config[i].value.len == b->config[i].value.len,
                  "config", id);
    return ok;
}

static bool models_equal(const spin_locked_app *a, const spin_locked_app *b)
{
    bool ok =
        same(a->must_understand == b->must_understand, "must_understand", NULL) &&
        same(json_object_equal(a->metadata, b->metadata), "metadata", NULL) &&
        same(str_eq(a->name, b->name) && str_eq(a->version, b->version) &&
                 str_eq(a->description, b->description) && strv_eq(&a->authors, &b->authors) &&
                 str_eq(a->origin, b->origin) && str_eq(a->http_base, b->http_base),
             "typed metadata", NULL) &&
        same(json_object_equal(a->host_requirements, b->host_requirements), "host_requirements",
             NULL) &&
        same(a->requires_service_chaining == b->requires_service_chaining,
             "requires_service_chaining", NULL) &&
        same(a->n_variables == b->n_variables && a->n_triggers == b->n_triggers &&
                 a->n_components == b->n_components,
             "counts", NULL);
    for (size_t i = 0; ok && i < a->n_variables; i++) {
        const spin_locked_variable *x = &a->variables[i], *y = &b->variables[i];
        ok = same(str_eq(x->name, y->name) && str_eq(x->description, y->description) &&
                      str_eq(x->default_value, y->default_value) && x->secret == y->secret &&
                      x->required == y->required,
                  "variable", x->name);
    }
    for (size_t i = 0; ok && i < a->n_triggers; i++) {
        const spin_locked_trigger *x = &a->triggers[i], *y = &b->triggers[i];
        ok = same(str_eq(x->id, y->id) && str_eq(x->trigger_type, y->trigger_type), "trigger",
                  x->id) &&
             same(json_object_equal(x->config, y->config), "trigger_config", x->id) &&
             same(http_eq(x->http, y->http), "typed HTTP trigger", x->id);
    }
    for (size_t i = 0; ok && i < a->n_components; i++)
        ok = component_eq(&a->components[i], &b->components[i]);
    return ok;
}

/* JSON -> model -> JSON -> model: the second model equals the first, and
 * the JSON written the second time is the JSON written the first time. */
static void check_fixpoint(const spin_locked_app *app)
{
    size_t len = 0;
    cleanup_free char *json = spin_locked_app_to_json(app, &len);
    CHECK_INT(len, strlen(json));
    spin_locked_app *again = parse_ok(json);
    CHECK(again != NULL);
    if (again == NULL)
        return;
    CHECK(models_equal(app, again));
    cleanup_free char *json2 = spin_locked_app_to_json(again, NULL);
    CHECK_STR(json2, json);
    spin_locked_app_free(again);
}

/* The model written back is equivalent to `want` (JSON text). */
static void check_writes(const spin_locked_app *app, const char *want)
{
    struct json_object *got = spin_locked_app_to_object(app);
    struct json_object *w = json_parse(want);
    CHECK(json_same(got, w));
    json_object_put(got);
    json_object_put(w);
}

/* Small documents for the error and acceptance tables. */
#define COMP(id) "{\"id\":\"" id "\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"file:///a.wasm\"}}"
#define TRIG(cfg) "{\"id\":\"t\",\"trigger_type\":\"http\",\"trigger_config\":" cfg "}"
#define APP(extra, trigs, comps) \
    "{\"spin_lock_version\":0," extra "\"triggers\":[" trigs "],\"components\":[" comps "]}"
#define CAPP(comp) APP("", "", COMP("a") "," comp)
#define TAPP(cfg) APP("", TRIG(cfg), COMP("a"))

/* ---- the examples of the notes (A.3) ------------------------------------ */

/* A pre-2.0 artifact's locked app (SIP 008): executor null, the legacy
 * allowed_http_hosts, the old-style metadata.trigger, files by digest.  Spin
 * still reads it, and so do we. */
static void test_sip008_old_format(void)
{
    cleanup_free char *json = read_seed("sip008-old-format.json");
    cleanup_locked_app spin_locked_app *app = parse_ok(json);
    CHECK(app != NULL);
    if (app == NULL)
        return;
    CHECK_INT(app->spin_lock_version, 0);
    CHECK_STR(app->name, "github-stars-webhook");
    CHECK_STR(app->version, "0.1.0");
    CHECK_STR(app->description, "");
    CHECK_STR(app->http_base, "/");
    struct json_object *http = spin_locked_app_trigger_metadata(app, "http");
    struct json_object *want_http = json_parse("{\"base\":\"/\"}");
    CHECK(json_same(http, want_http));
    json_object_put(http);
    json_object_put(want_http);
    CHECK(spin_locked_app_trigger_metadata(app, "redis") == NULL);
    CHECK_INT(app->n_triggers, 1);
    const spin_locked_trigger *t = spin_locked_app_trigger(app, "trigger--github-star-webhook");
    CHECK(t != NULL && t->http != NULL);
    if (t && t->http) {
        CHECK_STR(t->trigger_type, "http");
        CHECK_STR(t->http->component, "github-star-webhook");
        CHECK_STR(t->http->route, "/...");
        CHECK(t->http->route_wildcard);
        CHECK_INT(t->http->executor, SPIN_LOCKED_EXECUTOR_HTTP);
        CHECK(t->http->static_response == NULL);
    }
    const spin_locked_component *c = spin_locked_app_component(app, "github-star-webhook");
    CHECK(c != NULL);
    if (c == NULL)
        return;
    /* Spin's runtime maps the legacy list, without v1's database access. */
    CHECK_STRV(c->allowed_http_hosts, "https://hooks.slack.com");
    CHECK_STRV(c->allowed_outbound_hosts, "http://hooks.slack.com", "https://hooks.slack.com");
    CHECK_STR(c->content_type, "application/wasm");
    CHECK(c->source.source == NULL && !c->source.has_inline);
    CHECK_STR(c->source.digest,
              "sha256:55c29ad455c29ad455c29ad455c29ad455c29ad455c29ad455c29ad455c29ad4");
    CHECK_INT(c->n_files, 1);
    CHECK_STR(c->files[0].path, "my-file.json");
    CHECK_STR(c->files[0].content.digest,
              "sha256:a4699e4fa4699e4fa4699e4fa4699e4fa4699e4fa4699e4fa4699e4fa4699e4f");
    /* Re-serialised, it is the same document. */
    check_writes(app, json);
    check_fixpoint(app);
}

/* The current OCI form (Spin >= 2.4): metadata.triggers, digests only. */
static void test_oci_current_format(void)
{
    cleanup_free char *json = read_seed("oci-current.json");
    cleanup_locked_app spin_locked_app *app = parse_ok(json);
    CHECK(app != NULL);
    if (app == NULL)
        return;
    CHECK_STR(app->name, "spin-hello");
    CHECK(app->http_base == NULL);
    const spin_locked_trigger *t = spin_locked_app_trigger(app, "trigger-hello");
    CHECK(t && t->http && strcmp(t->http->route, "/hello") == 0 && !t->http->route_wildcard);
    CHECK_INT(app->components[0].n_files, 1);
    CHECK_STR(app->components[0].files[0].path, "assets/a.txt");
    check_writes(app, json);
    check_fixpoint(app);
}

/* The file form `spin up` writes: file:// sources, a copied files tree at
 * "/", v1's database hosts, a Wagi executor as written. */
static void test_file_form(void)
{
    cleanup_free char *json = read_seed("file-form.json");
    cleanup_locked_app spin_locked_app *app = parse_ok(json);
    CHECK(app != NULL);
    if (app == NULL)
        return;
    CHECK_STRV(app->authors, "Ann Example <ann@example.com>");
    CHECK_STR(app->origin, "file:///srv/apps/file-form/spin.toml");
    const spin_locked_component *site = spin_locked_app_component(app, "site");
    CHECK(site != NULL);
    if (site) {
        CHECK_STRV(site->allowed_outbound_hosts, "redis://*:*", "mysql://*:*", "postgres://*:*");
        CHECK_INT(site->n_env, 1);
        CHECK_STR(site->env[0].key, "MODE");
        CHECK_STR(site->files[0].content.source, "file:///tmp/spin-assets/site");
        CHECK_STR(site->files[0].path, "/");
    }
    const spin_locked_trigger *cgi = spin_locked_app_trigger(app, "trigger-cgi");
    CHECK(cgi && cgi->http);
    if (cgi && cgi->http) {
        CHECK_INT(cgi->http->executor, SPIN_LOCKED_EXECUTOR_WAGI);
        CHECK_STR(cgi->http->wagi_entrypoint, "main");
        CHECK_STR(cgi->http->wagi_argv, "${SCRIPT_NAME} ${ARGS}");
    }
    const spin_locked_component *c = spin_locked_app_component(app, "cgi");
    util_error *err = NULL;
    cleanup_free char *path = c ? spin_locked_file_uri_to_path(c->source.source, &err) : NULL;
    CHECK_STR(path, "/srv/apps/file-form/cgi bin.wasm");
    util_error_free(&err);
    check_writes(app, json);
    check_fixpoint(app);
}

/* Version 1 with must_understand: a host that understands component host
 * requirements and supports local service chaining reads it. */
static void test_service_chaining(void)
{
    cleanup_free char *json = read_seed("service-chaining.json");
    cleanup_locked_app spin_locked_app *app = parse_ok(json);
    CHECK(app != NULL);
    if (app == NULL)
        return;
    CHECK_INT(app->spin_lock_version, 1);
    CHECK_INT(app->must_understand, SPIN_LOCKED_MU_COMPONENT_HOST_REQUIREMENTS);
    CHECK(!app->requires_service_chaining);
    CHECK(app->components[0].requires_service_chaining);
    CHECK(!app->components[1].requires_service_chaining);
    const spin_locked_trigger *back = spin_locked_app_trigger(app, "back-http-trigger");
    CHECK(back && back->http && back->http->route_private && back->http->route == NULL);
    check_writes(app, json);
    check_fixpoint(app);
    /* Written back, it is version 1 again, because must_understand is set. */
    cleanup_free char *out = spin_locked_app_to_json(app, NULL);
    CHECK(strstr(out, "\"spin_lock_version\": 1") != NULL);
}

/* ---- every field -------------------------------------------------------- */

static void test_every_field(void)
{
    cleanup_free char *json = read_seed("every-field.json");
    cleanup_locked_app spin_locked_app *app = parse_ok(json);
    CHECK(app != NULL);
    if (app == NULL)
        return;
    CHECK_INT(app->must_understand,
              SPIN_LOCKED_MU_HOST_REQUIREMENTS | SPIN_LOCKED_MU_COMPONENT_HOST_REQUIREMENTS);
    CHECK_STR(app->name, "everything");
    CHECK_STR(app->version, "2.0.0");
    CHECK_STR(app->description, "Every field of a locked app");
    CHECK_STRV(app->authors, "Ann", "Bob");
    CHECK_STR(app->origin, "file:///apps/everything/spin.toml");
    CHECK_STR(app->http_base, "/");
    struct json_object *redis = spin_locked_app_trigger_metadata(app, "redis");
    struct json_object *want_redis = json_parse("{\"address\":\"redis://localhost:6379\"}");
    CHECK(json_same(redis, want_redis));
    json_object_put(redis);
    json_object_put(want_redis);
    CHECK(spin_locked_app_trigger_metadata(app, "mqtt") == NULL);
    /* "optional" requirements are dropped, as Spin drops them. */
    CHECK(app->requires_service_chaining);
    CHECK_INT(json_object_object_length(app->host_requirements), 1);

    /* Variables, sorted by name; no default means required. */
    CHECK_INT(app->n_variables, 3);
    const spin_locked_variable *v = spin_locked_app_variable(app, "api_host");
    CHECK(v && !v->required && !v->secret && strcmp(v->default_value, "api.example.com") == 0 &&
          strcmp(v->description, "Where the API lives") == 0);
    v = spin_locked_app_variable(app, "token");
    CHECK(v && v->required && v->secret && v->default_value == NULL && v->description == NULL);
    CHECK_STR(app->variables[2].name, "zone");

    /* Triggers. */
    CHECK_INT(app->n_triggers, 5);
    const spin_locked_trigger *t = spin_locked_app_trigger(app, "api");
    CHECK(t && t->http && strcmp(t->http->route, "/v1/...") == 0 && t->http->route_wildcard &&
          t->http->executor == SPIN_LOCKED_EXECUTOR_HTTP);
    t = spin_locked_app_trigger(app, "cgi");
    CHECK(t && t->http && t->http->executor == SPIN_LOCKED_EXECUTOR_WAGI &&
          strcmp(t->http->wagi_argv, "${SCRIPT_NAME} -v ${ARGS}") == 0 &&
          strcmp(t->http->wagi_entrypoint, "_start") == 0);
    t = spin_locked_app_trigger(app, "teapot");
    CHECK(t && t->http && t->http->component == NULL && t->http->static_response != NULL);
    if (t && t->http && t->http->static_response) {
        const spin_static_response *r = t->http->static_response;
        CHECK_INT(r->status_code, 418);
        CHECK_STR(r->body, "short and stout");
        CHECK_INT(r->n_headers, 2);
        if (r->n_headers == 2) {
            CHECK_STR(r->headers[0].key, "content-type"); /* sorted, as Spin sees them */
            CHECK_STR(r->headers[1].value, "2");
        }
    }
    t = spin_locked_app_trigger(app, "internal");
    CHECK(t && t->http && t->http->route_private && t->http->route == NULL &&
          strcmp(t->http->component, "api") == 0);
    t = spin_locked_app_trigger(app, "queue");
    CHECK(t && t->http == NULL && strcmp(t->trigger_type, "redis") == 0);
    struct json_object *channel = NULL;
    CHECK(t && json_object_object_get_ex(t->config, "channel", &channel) &&
          strcmp(json_object_get_string(channel), "jobs") == 0);

    /* Components. */
    CHECK_INT(app->n_components, 2);
    const spin_locked_component *c = spin_locked_app_component(app, "api");
    CHECK(c != NULL);
    if (c == NULL)
        return;
    CHECK_STR(c->description, "The API");
    CHECK_STRV(c->allowed_outbound_hosts, "https://{{ api_host }}", "http://cgi.spin.internal",
               "http://legacy.example.com", "https://legacy.example.com", "http://self");
    CHECK_STRV(c->allowed_http_hosts, "legacy.example.com", "self");
    CHECK_STRV(c->key_value_stores, "default", "cache");
    CHECK_STRV(c->databases, "default");
    CHECK_STRV(c->ai_models, "llama2-chat");
    CHECK_STR(c->source.source, "file:///apps/everything/api.wasm");
    CHECK_STR(c->source.digest,
              "sha256:93a49f1b93a49f1b93a49f1b93a49f1b93a49f1b93a49f1b93a49f1b93a49f1b");
    CHECK_INT(c->n_env, 2);
    CHECK_STR(c->env[0].key, "A_FIRST"); /* sorted */
    CHECK_STR(c->env[1].value, "info");
    CHECK_INT(c->n_files, 3);
    CHECK_STR(c->files[0].path, "/static");
    CHECK(c->files[1].content.has_inline && c->files[1].content.inline_len == 5 &&
          memcmp(c->files[1].content.inline_data, "hello", 5) == 0);
    CHECK(c->files[2].content.has_inline && c->files[2].content.inline_len == 0);
    CHECK_INT(c->n_config, 2);
    CHECK_STR(c->config[0].name, "plain");
    CHECK_STR(c->config[1].name, "url");
    CHECK_STR(c->config[1].value.raw, "https://{{ api_host }}/{{zone}}");
    CHECK_INT(c->config[1].value.len, 4);
    CHECK(c->dependencies != NULL && json_object_object_length(c->dependencies) == 1);
    CHECK(c->requires_service_chaining);
    const spin_locked_component *cgi = spin_locked_app_component(app, "cgi");
    CHECK(cgi && cgi->metadata == NULL && cgi->source.inline_len == 8 &&
          memcmp(cgi->source.inline_data, "\0asm\1\0\0\0", 8) == 0);

    /* Written back: the same, minus what Spin drops too (unknown fields,
     * optional host requirements), with maps sorted. */
    struct json_object *want = json_parse(json);
    json_object_object_del(want, "a_field_from_the_future");
    struct json_object *hr = json_object_object_get(want, "host_requirements");
    json_object_object_del(hr, "fancy_feature");
    struct json_object *got = spin_locked_app_to_object(app);
    CHECK(json_same(got, want));
    json_object_put(got);
    json_object_put(want);
    check_fixpoint(app);
}

/* The writer's layout is Spin's: fields in struct order, maps sorted, two
 * spaces of indentation. */
static void test_writer_layout(void)
{
    cleanup_locked_app spin_locked_app *app = parse_ok(
        "{\"components\":[{\"source\":{\"digest\":\"sha256:"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"content_type\":"
        "\"application/wasm\"},\"id\":\"a\",\"env\":{\"b\":\"2\",\"a\":\"1\"}}],\"triggers\":[],"
        "\"metadata\":{\"version\":\"1\",\"name\":\"x/y\"},\"spin_lock_version\":1}");
    CHECK(app != NULL);
    if (app == NULL)
        return;
    cleanup_free char *out = spin_locked_app_to_json(app, NULL);
    const char *want = "{\n"
                       "  \"spin_lock_version\": 0,\n"
                       "  \"metadata\": {\n"
                       "    \"name\": \"x/y\",\n"
                       "    \"version\": \"1\"\n"
                       "  },\n"
                       "  \"triggers\": [],\n"
                       "  \"components\": [\n"
                       "    {\n"
                       "      \"id\": \"a\",\n"
                       "      \"source\": {\n"
                       "        \"content_type\": \"application/wasm\",\n"
                       "        \"digest\": \"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b"
                       "934ca495991b7852b855\"\n"
                       "      },\n"
                       "      \"env\": {\n"
                       "        \"a\": \"1\",\n"
                       "        \"b\": \"2\"\n"
                       "      }\n"
                       "    }\n"
                       "  ]\n"
                       "}";
    CHECK_STR(out, want);

    /* Only layout is collapsed, never a string that looks like it. */
    cleanup_locked_app spin_locked_app *r = parse_ok(
        APP("", "{\"id\":\"r\",\"trigger_type\":\"redis\",\"trigger_config\":{\"a\":{},"
                "\"b\":\"{\\n}\",\"c\":[]}}",
            ""));
    CHECK(r != NULL);
    cleanup_free char *rout = r ? spin_locked_app_to_json(r, NULL) : NULL;
    CHECK(rout && strstr(rout, "\"a\": {},\n") && strstr(rout, "\"b\": \"{\\n}\",\n") &&
          strstr(rout, "\"c\": []\n"));
}

/* ---- errors ------------------------------------------------------------- */

static void test_errors(void)
{
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        /* The document. */
        {"", "invalid JSON: unexpected end of input"},
        {"{\"spin_lock_version\":0,", "invalid JSON: unexpected end of input"},
        {"{\"spin_lock_version\":0,}", "invalid JSON at byte 23: unexpected character"},
        {APP("", "", "") " x", "invalid JSON at byte 54: unexpected character"},
        {"{\"a\":tru}", "invalid JSON at byte 8: boolean expected"},
        {"{'a':1}", "invalid JSON at byte 1: unexpected character"},
        {"{\"a\":NaN}", "invalid JSON at byte 5: unexpected character"},
        {"{\"a\":-Infinity}", "invalid JSON at byte 6: unexpected character"},
        {"{\"a\":\"x\ty\"}", "invalid JSON at byte 7: control character in a string"},
        /* An escaped quote does not end a string. */
        {"{\"a\":\"x\\\"'\"}", "missing field 'spin_lock_version' (not a Spin locked app?)"},
        {"{\"a\":\"\xC3\x28\"}", "invalid JSON at byte 7: invalid utf-8 string"},
        {"[]", "locked app: expected an object, got an array"},
        {"{\"triggers\":[],\"components\":[]}",
         "missing field 'spin_lock_version' (not a Spin locked app?)"},
        {"{\"spin_lock_version\":2,\"triggers\":[],\"components\":[]}",
         "spin_lock_version: version 2 is not supported (this host reads versions 0 and 1)"},
        {"{\"spin_lock_version\":-1,\"triggers\":[],\"components\":[]}",
         "spin_lock_version: version -1 is not supported (this host reads versions 0 and 1)"},
        {"{\"spin_lock_version\":\"1\",\"triggers\":[],\"components\":[]}",
         "spin_lock_version: expected an integer, got a string"},
        {"{\"spin_lock_version\":1.0,\"triggers\":[],\"components\":[]}",
         "spin_lock_version: expected an integer, got a number"},
        {"{\"spin_lock_version\":0,\"components\":[]}", "missing field 'triggers'"},
        {"{\"spin_lock_version\":0,\"triggers\":[]}", "missing field 'components'"},
        {"{\"spin_lock_version\":0,\"triggers\":{},\"components\":[]}",
         "triggers: expected an array, got an object"},
        /* must_understand and host requirements. */
        {APP("\"must_understand\":[\"host_requirements\",\"never_heard_of_it\"],", "", ""),
         "must_understand[1]: this host does not understand 'never_heard_of_it', which the "
         "application requires (it understands host_requirements and "
         "component_host_requirements)"},
        {APP("\"must_understand\":null,", "", ""), "must_understand: expected an array, got null"},
        {APP("\"must_understand\":[7],", "", ""), "must_understand[0]: expected a string, got a "
                                                  "number"},
        {APP("\"host_requirements\":{\"local_service_chaining\":\"required\","
             "\"accelerated_spline_reticulation\":\"required\",\"warp\":true},",
             "", ""),
         "host_requirements: this host does not support the following features required by "
         "this application: accelerated_spline_reticulation, warp"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"digest\":"
              "\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"},"
              "\"host_requirements\":{\"middleware\":\"required\"}}"),
         "components[1].host_requirements: this host does not support the following features "
         "required by this application: middleware"},
        /* Metadata. */
        {APP("\"metadata\":[],", "", ""), "metadata: expected an object, got an array"},
        {APP("\"metadata\":{\"name\":7},", "", ""), "metadata.name: expected a string, got a "
                                                    "number"},
        {APP("\"metadata\":{\"authors\":[\"a\",null]},", "", ""),
         "metadata.authors[1]: expected a string, got null"},
        {APP("\"metadata\":{\"triggers\":{\"http\":{\"base\":\"/api\"}}},", "", ""),
         "metadata.triggers.http.base: 'base' is no longer supported: only \"/\" is accepted, "
         "got '/api' (prepend it to each trigger's route)"},
        {APP("\"metadata\":{\"trigger\":{\"type\":\"http\",\"base\":\"/\",\"port\":80}},", "",
             ""),
         "metadata.trigger.port: unknown field (the HTTP trigger's app settings have only "
         "'base')"},
        {APP("\"metadata\":{\"triggers\":{\"http\":[]}},", "", ""),
         "metadata.triggers.http: expected an object, got an array"},
        /* Variables. */
        {APP("\"variables\":{\"Api_Host\":{\"default\":\"x\"}},", "", ""),
         "variables.Api_Host: invalid variable name: words must be all lowercase or all UPPERCASE"},
        {APP("\"variables\":{\"a\":\"x\"},", "", ""),
         "variables.a: expected an object like {\"default\": \"...\"}, got a string"},
        {APP("\"variables\":{\"a\":{\"secret\":\"yes\"}},", "", ""),
         "variables.a.secret: expected a boolean, got a string"},
        {APP("\"variables\":{\"a\":{\"default\":[]}},", "", ""),
         "variables.a.default: expected a string, got an array"},
        /* Components. */
        {APP("", "", "7"), "components[0]: expected an object, got a number"},
        {APP("", "", "{\"source\":{}}"), "components[0]: missing field 'id'"},
        {APP("", "", COMP("Bad_Id")),
         "components[0].id: invalid component id 'Bad_Id': words must be separated with '-', not "
         "'_'"},
        {APP("", "", COMP("../etc")),
         "components[0].id: invalid component id '../etc': words must start with an ASCII letter "
         "(or a digit after the first word)"},
        {APP("", "", COMP("a") "," COMP("a")), "components[1].id: duplicate component id 'a'"},
        {APP("", "", "{\"id\":\"a\"}"), "components[0]: missing field 'source'"},
        {APP("", "", "{\"id\":\"a\",\"source\":\"a.wasm\"}"),
         "components[0].source: expected an object like {\"content_type\": \"application/wasm\", "
         "...}, got a string"},
        {APP("", "", "{\"id\":\"a\",\"source\":{\"source\":\"file:///a.wasm\"}}"),
         "components[0].source: missing field 'content_type'"},
        {APP("", "", "{\"id\":\"a\",\"source\":{\"content_type\":\"application/wasm\"}}"),
         "components[0].source: needs at least one of 'source', 'inline' or 'digest'"},
        {APP("", "",
             COMP("a") "," COMP("b") ",{\"id\":\"c\",\"source\":{\"content_type\":\"application/"
                                     "wasm\",\"digest\":\"md5:abc\"}}"),
         "components[2].source.digest: not a sha256 digest (expected \"sha256:\" and 64 "
         "lowercase hex digits, got 'md5:abc')"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"digest\":"
              "\"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"}}"),
         "components[1].source.digest: not a sha256 digest (expected \"sha256:\" and 64 "
         "lowercase hex digits, got "
         "'sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7...')"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"inline\":"
              "\"aGVsbG8=\"}}"),
         "components[1].source.inline: invalid base64: padding '=' is not allowed (Spin writes "
         "base64 without it)"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"inline\":"
              "\"aGV*bG8\"}}"),
         "components[1].source.inline: invalid base64: invalid character"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"inline\":"
              "\"aGVsbG9\"}}"),
         "components[1].source.inline: invalid base64: non-zero trailing bits"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"inline\":"
              "\"aGVsb\"}}"),
         "components[1].source.inline: invalid base64: invalid length"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"inline\":1}}"),
         "components[1].source.inline: expected a base64 string, got a number"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":"
              "\"file:///a\\u0000.wasm\"}}"),
         "components[1].source.source: must not contain NUL characters"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"metadata\":{\"allowed_outbound_hosts\":\"https://a\"}}"),
         "components[1].metadata.allowed_outbound_hosts: expected an array of strings, got a "
         "string"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"metadata\":{\"key_value_stores\":[1]}}"),
         "components[1].metadata.key_value_stores[0]: expected a string, got a number"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"env\":{\"PORT\":80}}"),
         "components[1].env.PORT: expected a string, got a number"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"env\":null}"),
         "components[1].env: expected an object, got null"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"files\":[{\"source\":\"file:///s\"}]}"),
         "components[1].files[0]: missing field 'path'"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"files\":[{\"path\":\"/a\"}]}"),
         "components[1].files[0]: needs at least one of 'source', 'inline' or 'digest'"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"files\":[{\"inline\":\"\",\"path\":\"static/../../etc/passwd\"}]}"),
         "components[1].files[0].path: 'static/../../etc/passwd' has a '..' component"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"files\":[{\"inline\":\"\",\"path\":\"\"}]}"),
         "components[1].files[0].path: must not be empty"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"config\":{\"url\":\"https://{{ host }}\"}}"),
         "components[1].config.url: refers to 'host', which is not declared in variables"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"config\":{\"URL\":\"x\"}}"),
         "components[1].config.URL: invalid variable name: must be all lowercase"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"config\":{\"url\":\"{{ oops\"}}"),
         "components[1].config.url: template \"{{ oops\": '{{' without a closing '}}'"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"dependencies\":{\"a:b/c\":{\"source\":{\"content_type\":\"application/wasm\","
              "\"digest\":\"sha256:1\"}}}}"),
         "components[1].dependencies.a:b/c.source.digest: not a sha256 digest (expected "
         "\"sha256:\" and 64 lowercase hex digits, got 'sha256:1')"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"dependencies\":{\"a:b/c\":{}}}"),
         "components[1].dependencies.a:b/c: missing field 'source'"},
        {CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
              "\"env\":{\"\\u001b[31m\":1}}"),
         "components[1].env.\\x1B[31m: expected a string, got a number"},
        /* Triggers. */
        {APP("", "1", ""), "triggers[0]: expected an object, got a number"},
        {APP("", "{\"trigger_type\":\"http\"}", ""), "triggers[0]: missing field 'id'"},
        {APP("", TRIG("{\"component\":\"a\",\"route\":\"/\"}") "," TRIG("{}"), COMP("a")),
         "triggers[1].id: duplicate trigger id 't'"},
        {APP("", "{\"id\":\"t\",\"trigger_config\":{}}", ""),
         "triggers[0]: missing field 'trigger_type'"},
        {APP("", "{\"id\":\"t\",\"trigger_type\":\"redis\"}", ""),
         "triggers[0]: missing field 'trigger_config'"},
        {TAPP("null"),
         "triggers[0].trigger_config: expected an object like {\"route\": ..., \"component\": "
         "...}, got null"},
        {TAPP("{\"component\":\"a\"}"), "triggers[0].trigger_config: missing field 'route'"},
        {TAPP("{\"component\":\"a\",\"route\":\"/\",\"base\":\"/\"}"),
         "triggers[0].trigger_config.base: unknown field (an HTTP trigger has component, "
         "static_response, route and executor)"},
        {TAPP("{\"component\":\"a\",\"route\":{\"private\":false}}"),
         "triggers[0].trigger_config.route: a route must be a path or {\"private\": true}"},
        {TAPP("{\"component\":\"a\",\"route\":{}}"),
         "triggers[0].trigger_config.route: missing field 'private'"},
        {TAPP("{\"component\":\"a\",\"route\":{\"private\":true,\"public\":1}}"),
         "triggers[0].trigger_config.route.public: unknown field (a private route is "
         "{\"private\": true})"},
        {TAPP("{\"component\":\"a\",\"route\":7}"),
         "triggers[0].trigger_config.route: expected a route string or {\"private\": true}, got "
         "a number"},
        {TAPP("{\"component\":\"a\",\"route\":\"/a b\"}"),
         "triggers[0].trigger_config.route: invalid route '/a b': routes may not contain "
         "spaces, control characters, '?' or '#'"},
        {TAPP("{\"component\":\"a\",\"route\":\"/\",\"executor\":{\"type\":\"cgi\"}}"),
         "triggers[0].trigger_config.executor.type: unknown executor type 'cgi' (expected http, "
         "spin, wagi or wasip3-unstable)"},
        {TAPP("{\"component\":\"a\",\"route\":\"/\",\"executor\":{}}"),
         "triggers[0].trigger_config.executor: missing field 'type'"},
        {TAPP("{\"component\":\"a\",\"route\":\"/\",\"executor\":{\"type\":\"http\",\"argv\":\"x\"}}"),
         "triggers[0].trigger_config.executor.argv: unknown field (the http executor has only "
         "type)"},
        {TAPP("{\"component\":\"a\",\"route\":\"/\",\"executor\":{\"type\":\"wagi\",\"args\":\"x\"}}"),
         "triggers[0].trigger_config.executor.args: unknown field (the wagi executor has type, "
         "argv and entrypoint)"},
        {TAPP("{\"component\":\"a\",\"route\":\"/\",\"executor\":{\"type\":\"wagi\",\"argv\":null}}"),
         "triggers[0].trigger_config.executor.argv: expected a string, got null"},
        {TAPP("{\"route\":\"/\"}"),
         "triggers[0].trigger_config: an HTTP trigger needs either 'component' or "
         "'static_response'"},
        {TAPP("{\"component\":\"a\",\"route\":\"/\",\"static_response\":{}}"),
         "triggers[0].trigger_config: an HTTP trigger needs either 'component' or "
         "'static_response', not both"},
        {TAPP("{\"component\":\"b\",\"route\":\"/\"}"),
         "triggers[0].trigger_config.component: no component 'b' in components"},
        {TAPP("{\"route\":\"/\",\"static_response\":{\"status_code\":42}}"),
         "triggers[0].trigger_config.static_response.status_code: expected an HTTP status code "
         "from 100 to 999"},
        {TAPP("{\"route\":\"/\",\"static_response\":{\"headers\":{\"x\":1}}}"),
         "triggers[0].trigger_config.static_response.headers.x: expected a string, got a number"},
        {TAPP("{\"route\":\"/\",\"static_response\":[]}"),
         "triggers[0].trigger_config.static_response: expected an object, got an array"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        cleanup_free char *msg = parse_error(cases[i].json, strlen(cases[i].json));
        if (strcmp(msg, cases[i].msg) != 0)
            fprintf(stderr, "case %zu: %s\n", i, cases[i].json);
        CHECK_STR(msg, cases[i].msg);
    }
}

/* What Spin accepts, we accept: unknown fields anywhere, nulls for Options,
 * optional host requirements, a redis trigger we cannot run, an app
 * without triggers or components, understood must_understand entries. */
static void test_accepted(void)
{
    static const char *const cases[] = {
        APP("\"future\":1,", "", ""),
        APP("\"must_understand\":[\"host_requirements\"],\"host_requirements\":{"
            "\"local_service_chaining\":\"required\",\"spline\":\"optional\",\"x\":null},",
            "", ""),
        APP("\"metadata\":{\"triggers\":{\"redis\":{\"address\":\"x\"}},\"trigger\":{\"base\":\"/x\"}},",
            "", ""),
        APP("", "{\"id\":\"r\",\"trigger_type\":\"redis\",\"trigger_config\":null,\"x\":1}", ""),
        TAPP("{\"component\":\"a\",\"route\":\"/\",\"executor\":null,\"static_response\":null}"),
        TAPP("{\"component\":\"a\",\"route\":\"/\",\"executor\":{\"type\":\"wasip3-unstable\"}}"),
        TAPP("{\"route\":\"/\",\"static_response\":{\"status_code\":null,\"body\":null,\"x\":1}}"),
        CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"text/plain\",\"source\":null,\"inline\":"
             "\"\"},\"metadata\":{\"allowed_http_hosts\":[\"bad/path\"],\"description\":7}}"),
        CAPP("{\"id\":\"b\",\"source\":{\"content_type\":\"application/wasm\",\"source\":\"x\"},"
             "\"files\":[],\"env\":{},\"config\":{},\"dependencies\":{},\"future\":[]}"),
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        cleanup_free char *msg = parse_error(cases[i], strlen(cases[i]));
        if (strcmp(msg, "(accepted)") != 0)
            fprintf(stderr, "case %zu: %s\n", i, cases[i]);
        CHECK_STR(msg, "(accepted)");
    }
    /* A malformed legacy list is ignored, as Spin's runtime ignores it. */
    cleanup_locked_app spin_locked_app *app = parse_ok(cases[7]);
    CHECK(app && app->components[1].allowed_outbound_hosts.len == 0 &&
          app->components[1].description == NULL);
}

/* Size and depth limits, and bytes no JSON text has. */
static void test_limits(void)
{
    size_t big = SPIN_LOCKED_MAX_JSON_BYTES + 1;
    char *spaces = util_xmalloc(big);
    memset(spaces, ' ', big);
    cleanup_free char *msg = parse_error(spaces, big);
    free(spaces);
    cleanup_free char *want = util_xasprintf(
        "locked app JSON is %zu bytes, more than the limit of %zu", big, SPIN_LOCKED_MAX_JSON_BYTES);
    CHECK_STR(msg, want);

    util_buf b = {0};
    util_buf_reserve(&b, 512);
    util_buf_append_str(&b, "{\"spin_lock_version\":0,\"triggers\":[{\"id\":\"r\",\"trigger_type\":"
                            "\"redis\",\"trigger_config\":");
    for (int i = 0; i < 100; i++)
        util_buf_append_str(&b, "[");
    for (int i = 0; i < 100; i++)
        util_buf_append_str(&b, "]");
    util_buf_append_str(&b, "}],\"components\":[]}");
    cleanup_free char *deep = parse_error(b.data, b.len);
    CHECK(strstr(deep, "nesting too deep") != NULL);
    util_buf_free(&b);

    static const char with_nul[] = "{\"spin_lock_version\":0\0}";
    cleanup_free char *nul = parse_error(with_nul, sizeof(with_nul) - 1);
    CHECK_STR(nul, "invalid JSON at byte 22: NUL character");
}

/* ---- file:// URIs ------------------------------------------------------- */

static void test_file_uris(void)
{
    cleanup_free char *uri = spin_locked_path_to_file_uri("/apps/my app/100%/a?b#c{d}.wasm");
    CHECK_STR(uri, "file:///apps/my%20app/100%25/a%3Fb%23c%7Bd%7D.wasm");
    util_error *err = NULL;
    cleanup_free char *back = spin_locked_file_uri_to_path(uri, &err);
    CHECK_STR(back, "/apps/my app/100%/a?b#c{d}.wasm");
    cleanup_free char *utf8 = spin_locked_path_to_file_uri("/caf\xC3\xA9");
    CHECK_STR(utf8, "file:///caf%C3%A9");
    cleanup_free char *local = spin_locked_file_uri_to_path("file://localhost/x/y", &err);
    CHECK_STR(local, "/x/y");
    static const struct {
        const char *uri, *msg;
    } bad[] = {
        {"https://example.com/a.wasm", "'https://example.com/a.wasm' is not a file:// URI"},
        {"file://server/share/a", "'file://server/share/a': a file:// URI must name a local "
                                  "absolute path"},
        {"file:///a%00b", "'file:///a%00b': invalid or forbidden percent-escape"},
        {"file:///a%2Fb", "'file:///a%2Fb': invalid or forbidden percent-escape"},
        {"file:///a%4", "'file:///a%4': invalid or forbidden percent-escape"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(bad); i++) {
        char *p = spin_locked_file_uri_to_path(bad[i].uri, &err);
        CHECK(p == NULL);
        free(p);
        CHECK_STR(err ? err->msg : NULL, bad[i].msg);
        util_error_free(&err);
    }
}

static void test_base64(void)
{
    static const char *const texts[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const codes[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(texts); i++) {
        cleanup_free char *enc = spin_locked_base64_encode((const uint8_t *)texts[i], strlen(texts[i]));
        CHECK_STR(enc, codes[i]);
        size_t n = 0;
        const char *why = NULL;
        cleanup_free uint8_t *dec = spin_locked_base64_decode(codes[i], strlen(codes[i]), &n, &why);
        CHECK(dec != NULL && n == strlen(texts[i]) && memcmp(dec, texts[i], n) == 0);
    }
}

/* ---- from spin.toml ----------------------------------------------------- */

static char app_dir[64];

static void put(const char *rel, const char *content)
{
    cleanup_free char *path = util_xasprintf("%s/%s", app_dir, rel);
    cleanup_free char *dir = util_xstrdup(path);
    *strrchr(dir, '/') = '\0';
    util_error *err = NULL;
    CHECK_INT(util_mkdir_p(dir, 0755, &err), 0);
    CHECK_INT(util_write_file_atomic(path, content, strlen(content), 0644, &err), 0);
    util_error_free(&err);
}

static void make_tree(void)
{
    strcpy(app_dir, "/tmp/test_locked_app_XXXXXX");
    CHECK(mkdtemp(app_dir) != NULL);
    put("wasm/dummy.wasm", "\0asm");
    put("wasm/helper.wasm", "\0asm");
    put("lib/math.wasm", "\0asm");
    put("static/a.txt", "a");
    put("static/b.txt", "b");
    put("static/skip.bak", "x");
    put("readme.md", "# hi");
    put("site dir/index.html", "<p>");
    put("assets/img/logo.png", "png");
}

static void remove_tree(void)
{
    cleanup_free char *cmd = util_xasprintf("rm -rf '%s'", app_dir);
    CHECK_INT(system(cmd), 0);
}

static spin_manifest *manifest(const char *toml)
{
    cleanup_free char *path = util_xasprintf("%s/spin.toml", app_dir);
    util_error *err = NULL;
    spin_manifest *m = spin_manifest_parse(toml, strlen(toml), path, &err);
    if (m == NULL) {
        fprintf(stderr, "manifest: %s\n", err->msg);
        util_error_free(&err);
    }
    return m;
}

static spin_locked_app *from_manifest(const char *toml, const char *dir)
{
    cleanup_manifest spin_manifest *m = manifest(toml);
    if (m == NULL)
        return NULL;
    spin_locked_app *app = NULL;
    util_error *err = NULL;
    if (spin_locked_app_from_manifest(m, dir, &app, &err) < 0) {
        fprintf(stderr, "from_manifest: %s\n", err->msg);
        util_error_free(&err);
    }
    return app;
}

static char *from_manifest_error(const char *toml)
{
    cleanup_manifest spin_manifest *m = manifest(toml);
    if (m == NULL)
        return util_xstrdup("(manifest error)");
    spin_locked_app *app = NULL;
    util_error *err = NULL;
    if (spin_locked_app_from_manifest(m, NULL, &app, &err) == 0) {
        spin_locked_app_free(app);
        return util_xstrdup("(accepted)");
    }
    char *msg = util_xstrdup(err->msg);
    util_error_free(&err);
    /* Messages name the app dir; tests compare them with "@DIR@". */
    char *p = strstr(msg, app_dir);
    while (p != NULL) {
        memcpy(p, "@DIR@", 5);
        memmove(p + 5, p + strlen(app_dir), strlen(p + strlen(app_dir)) + 1);
        p = strstr(p + 5, app_dir);
    }
    return msg;
}

static const char v1_toml[] =
    "spin_manifest_version = \"1\"\n"
    "name = \"lights\"\n"
    "version = \"6.11.2\"\n"
    "description = \"Counts the lights\"\n"
    "authors = [\"Ann\", \"Bob\"]\n"
    "trigger = { type = \"http\", base = \"/\" }\n"
    "\n"
    "[variables]\n"
    "who = { default = \"world\" }\n"
    "\n"
    "[[component]]\n"
    "id = \"four_Lights\"\n"
    "source = \"wasm/dummy.wasm\"\n"
    "[component.environment]\n"
    "env2 = \"second\"\n"
    "env1 = \"first\"\n"
    "[component.trigger]\n"
    "executor = { type = \"http\" }\n"
    "route = \"/lights\"\n"
    "\n"
    "[[component]]\n"
    "id = \"web\"\n"
    "allowed_http_hosts = [\"example.com:8080\"]\n"
    "[component.source]\n"
    "url = \"https://example.com/w.wasm\"\n"
    "digest = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"\n"
    "[component.trigger]\n"
    "route = \"dont/test\"\n"
    "executor = { type = \"wagi\", entrypoint = \"main\" }\n"
    "\n"
    "[[component]]\n"
    "id = \"assets\"\n"
    "source = \"./wasm/../wasm/dummy.wasm\"\n"
    "files = [\"static/**/*\"]\n"
    "exclude_files = [\"static/*.bak\"]\n"
    "allowed_outbound_hosts = []\n"
    "config = { greeting = \"hi {{ who }}\" }\n"
    "[component.trigger]\n"
    "route = \"/static/...\"\n";

static const char v1_lock[] =
    "{\"spin_lock_version\": 0,"
    " \"metadata\": {\"authors\": [\"Ann\", \"Bob\"], \"description\": \"Counts the lights\","
    "   \"name\": \"lights\", \"origin\": \"file://@DIR@/spin.toml\","
    "   \"trigger\": {\"base\": \"/\", \"type\": \"http\"},"
    "   \"triggers\": {\"http\": {\"base\": \"/\"}}, \"version\": \"6.11.2\"},"
    " \"variables\": {\"who\": {\"default\": \"world\"}},"
    " \"triggers\": ["
    "  {\"id\": \"trigger-four-lights\", \"trigger_type\": \"http\", \"trigger_config\":"
    "    {\"component\": \"four-lights\", \"executor\": {\"type\": \"http\"}, \"route\": "
    "\"/lights\"}},"
    "  {\"id\": \"trigger-web\", \"trigger_type\": \"http\", \"trigger_config\":"
    "    {\"component\": \"web\", \"executor\": {\"entrypoint\": \"main\", \"type\": \"wagi\"},"
    "     \"route\": \"dont/test\"}},"
    "  {\"id\": \"trigger-assets\", \"trigger_type\": \"http\", \"trigger_config\":"
    "    {\"component\": \"assets\", \"route\": \"/static/...\"}}],"
    " \"components\": ["
    "  {\"id\": \"four-lights\","
    "   \"metadata\": {\"allowed_outbound_hosts\": [\"redis://*:*\", \"mysql://*:*\", "
    "\"postgres://*:*\"]},"
    "   \"source\": {\"content_type\": \"application/wasm\", \"source\": "
    "\"file://@DIR@/wasm/dummy.wasm\"},"
    "   \"env\": {\"env1\": \"first\", \"env2\": \"second\"}},"
    "  {\"id\": \"web\","
    "   \"metadata\": {\"allowed_outbound_hosts\": [\"redis://*:*\", \"mysql://*:*\", "
    "\"postgres://*:*\", \"http://example.com:8080\", \"https://example.com:8080\"]},"
    "   \"source\": {\"content_type\": \"application/wasm\", \"source\": "
    "\"https://example.com/w.wasm\","
    "     \"digest\": \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"}},"
    "  {\"id\": \"assets\","
    "   \"source\": {\"content_type\": \"application/wasm\", \"source\": "
    "\"file://@DIR@/wasm/dummy.wasm\"},"
    "   \"files\": [{\"source\": \"file://@DIR@/static/a.txt\", \"path\": \"/static/a.txt\"},"
    "             {\"source\": \"file://@DIR@/static/b.txt\", \"path\": \"/static/b.txt\"}],"
    "   \"config\": {\"greeting\": \"hi {{ who }}\"}}]}";

/* spin.toml v1 as Spin's loader locks it: "trigger-<id>" ids, kebab-case
 * ids, the app-wide trigger table as metadata, v1's implicit database
 * access (even without allowed_http_hosts), trigger tables as written. */
static void test_manifest_v1(void)
{
    cleanup_locked_app spin_locked_app *app = from_manifest(v1_toml, NULL);
    CHECK(app != NULL);
    if (app == NULL)
        return;
    cleanup_free char *want = with_dir(v1_lock, app_dir);
    check_writes(app, want);
    CHECK_STR(app->http_base, "/");
    const spin_locked_trigger *t = spin_locked_app_trigger(app, "trigger-web");
    CHECK(t && t->http && strcmp(t->http->route, "/dont/test") == 0 &&
          t->http->executor == SPIN_LOCKED_EXECUTOR_WAGI &&
          strcmp(t->http->wagi_entrypoint, "main") == 0);
    check_fixpoint(app);
}

static const char v2_toml[] =
    "spin_manifest_version = 2\n"
    "\n"
    "[application]\n"
    "name = \"kitchen-sink\"\n"
    "version = \"0.3.0\"\n"
    "description = \"All of spin.toml\"\n"
    "authors = [\"Ann\"]\n"
    "\n"
    "[application.trigger.http]\n"
    "base = \"/\"\n"
    "\n"
    "[variables]\n"
    "api_host = { default = \"api.example.com\", description = \"API host\" }\n"
    "token = { required = true, secret = true }\n"
    "\n"
    "[[trigger.http]]\n"
    "route = \"/api/...\"\n"
    "component = \"api\"\n"
    "\n"
    "[[trigger.http]]\n"
    "id = \"cgi-trigger\"\n"
    "route = \"cgi\"\n"
    "component = { source = \"wasm/dummy.wasm\", files = [{ source = \"assets\", destination = "
    "\"/data\" }] }\n"
    "executor = { type = \"wagi\", argv = \"${SCRIPT_NAME} x\" }\n"
    "\n"
    "[[trigger.http]]\n"
    "route = \"/teapot\"\n"
    "static_response = { status_code = 418, body = \"short and stout\", headers = { "
    "\"content-type\" = \"text/plain\" } }\n"
    "\n"
    "[[trigger.http]]\n"
    "route = { private = true }\n"
    "component = \"helper\"\n"
    "\n"
    "[component.api]\n"
    "source = \"wasm/dummy.wasm\"\n"
    "description = \"The API\"\n"
    "allowed_outbound_hosts = [\"https://{{ api_host }}\", \"http://helper.spin.internal\"]\n"
    "key_value_stores = [\"default\"]\n"
    "sqlite_databases = [\"default\", \"audit\"]\n"
    "ai_models = [\"llama2-chat\"]\n"
    "environment = { RUST_LOG = \"info\", A = \"1\" }\n"
    "variables = { url = \"https://{{ api_host }}/v1\", secret = \"{{ token }}\" }\n"
    "files = [\"static/*.txt\", \"readme.md\", { source = \"site dir\", destination = \"/site\" "
    "}]\n"
    "dependencies_inherit_configuration = true\n"
    "[component.api.dependencies]\n"
    "\"example:lib/math\" = { path = \"lib/math.wasm\", export = \"example:lib/math@1.0.0\" }\n"
    "\"example:lib/help\" = { component = \"helper\" }\n"
    "\n"
    "[component.helper]\n"
    "source = \"wasm/helper.wasm\"\n"
    "\n"
    "[component.web]\n"
    "source = { url = \"https://example.com/web.wasm\", digest = "
    "\"sha256:9175c0de9175c0de9175c0de9175c0de9175c0de9175c0de9175c0de9175c0de\" }\n";

static const char v2_lock[] =
    "{\"spin_lock_version\": 1, \"must_understand\": [\"component_host_requirements\"],"
    " \"metadata\": {\"authors\": [\"Ann\"], \"description\": \"All of spin.toml\","
    "   \"name\": \"kitchen-sink\", \"origin\": \"file://@DIR@/spin.toml\","
    "   \"trigger\": {\"base\": \"/\", \"type\": \"http\"},"
    "   \"triggers\": {\"http\": {\"base\": \"/\"}}, \"version\": \"0.3.0\"},"
    " \"variables\": {\"api_host\": {\"default\": \"api.example.com\", \"description\": \"API "
    "host\"},"
    "   \"token\": {\"secret\": true}},"
    " \"triggers\": ["
    "  {\"id\": \"api-http-trigger\", \"trigger_type\": \"http\", \"trigger_config\":"
    "    {\"component\": \"api\", \"route\": \"/api/...\"}},"
    "  {\"id\": \"cgi-trigger\", \"trigger_type\": \"http\", \"trigger_config\":"
    "    {\"component\": \"cgi-trigger-component\", \"executor\": {\"argv\": \"${SCRIPT_NAME} x\","
    "     \"type\": \"wagi\"}, \"route\": \"cgi\"}},"
    "  {\"id\": \"http-trigger1\", \"trigger_type\": \"http\", \"trigger_config\":"
    "    {\"route\": \"/teapot\", \"static_response\": {\"body\": \"short and stout\","
    "     \"headers\": {\"content-type\": \"text/plain\"}, \"status_code\": 418}}},"
    "  {\"id\": \"helper-http-trigger\", \"trigger_type\": \"http\", \"trigger_config\":"
    "    {\"component\": \"helper\", \"route\": {\"private\": true}}}],"
    " \"components\": ["
    "  {\"id\": \"api\","
    "   \"metadata\": {\"ai_models\": [\"llama2-chat\"], \"allowed_outbound_hosts\": "
    "[\"https://{{ api_host }}\", \"http://helper.spin.internal\"],"
    "     \"databases\": [\"default\", \"audit\"], \"description\": \"The API\", "
    "\"key_value_stores\": [\"default\"]},"
    "   \"source\": {\"content_type\": \"application/wasm\", \"source\": "
    "\"file://@DIR@/wasm/dummy.wasm\"},"
    "   \"env\": {\"A\": \"1\", \"RUST_LOG\": \"info\"},"
    "   \"files\": [{\"source\": \"file://@DIR@/static/a.txt\", \"path\": \"/static/a.txt\"},"
    "             {\"source\": \"file://@DIR@/static/b.txt\", \"path\": \"/static/b.txt\"},"
    "             {\"source\": \"file://@DIR@/readme.md\", \"path\": \"/readme.md\"},"
    "             {\"source\": \"file://@DIR@/site%20dir/index.html\", \"path\": \"/site/index.html\"}],"
    "   \"config\": {\"secret\": \"{{ token }}\", \"url\": \"https://{{ api_host }}/v1\"},"
    "   \"dependencies\": {"
    "     \"example:lib/help\": {\"export\": null, \"inherit\": \"All\", \"source\": "
    "{\"content_type\": \"application/wasm\", \"source\": \"file://@DIR@/wasm/helper.wasm\"}},"
    "     \"example:lib/math\": {\"export\": \"example:lib/math@1.0.0\", \"inherit\": \"All\", "
    "\"source\": {\"content_type\": \"application/wasm\", \"source\": "
    "\"file://@DIR@/lib/math.wasm\"}}},"
    "   \"host_requirements\": {\"local_service_chaining\": \"required\"}},"
    "  {\"id\": \"helper\", \"source\": {\"content_type\": \"application/wasm\", \"source\": "
    "\"file://@DIR@/wasm/helper.wasm\"}},"
    "  {\"id\": \"web\", \"source\": {\"content_type\": \"application/wasm\", \"source\": "
    "\"https://example.com/web.wasm\","
    "   \"digest\": \"sha256:9175c0de9175c0de9175c0de9175c0de9175c0de9175c0de9175c0de9175c0de\"}},"
    "  {\"id\": \"cgi-trigger-component\", \"source\": {\"content_type\": \"application/wasm\", "
    "\"source\": \"file://@DIR@/wasm/dummy.wasm\"},"
    "   \"files\": [{\"source\": \"file://@DIR@/assets/img/logo.png\", \"path\": "
    "\"/data/img/logo.png\"}]}]}";

/* spin.toml v2: generated trigger ids, an inline component, a static
 * response, a private route, variables, component config, every metadata
 * list, files (glob, file, directory placement), dependencies, and a
 * service-chaining host that makes the lock version 1. */
static void test_manifest_v2(void)
{
    cleanup_locked_app spin_locked_app *app = from_manifest(v2_toml, NULL);
    CHECK(app != NULL);
    if (app == NULL)
        return;
    cleanup_free char *want = with_dir(v2_lock, app_dir);
    check_writes(app, want);
    CHECK(app->components[0].requires_service_chaining);
    const spin_locked_trigger *t = spin_locked_app_trigger(app, "http-trigger1");
    CHECK(t && t->http && t->http->static_response &&
          t->http->static_response->status_code == 418);
    const spin_locked_variable *v = spin_locked_app_variable(app, "token");
    CHECK(v && v->required && v->secret);
    cleanup_free char *out = spin_locked_app_to_json(app, NULL);
    CHECK(strncmp(out, "{\n  \"spin_lock_version\": 1,\n  \"must_understand\": [", 50) == 0);
}

/* manifest -> model -> JSON -> model: equal models. */
static void test_manifest_round_trip(void)
{
    const char *tomls[] = {v1_toml, v2_toml};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(tomls); i++) {
        cleanup_locked_app spin_locked_app *app = from_manifest(tomls[i], NULL);
        CHECK(app != NULL);
        if (app != NULL)
            check_fixpoint(app);
    }
}

/* `app_dir` moves where sources and files resolve; a relative one is made
 * absolute against the working directory. */
static void test_manifest_app_dir(void)
{
    static const char toml[] = "spin_manifest_version = 2\n[application]\nname = \"d\"\n"
                               "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"c\"\n"
                               "[component.c]\nsource = \"dummy.wasm\"\nfiles = [\"img\"]\n";
    cleanup_free char *assets_dir = util_xasprintf("%s/assets", app_dir);
    mkdir(assets_dir, 0755);
    cleanup_locked_app spin_locked_app *app = from_manifest(toml, assets_dir);
    CHECK(app != NULL);
    if (app != NULL) {
        cleanup_free char *src = util_xasprintf("file://%s/assets/dummy.wasm", app_dir);
        cleanup_free char *img = util_xasprintf("file://%s/assets/img/logo.png", app_dir);
        CHECK_STR(app->components[0].source.source, src);
        CHECK_STR(app->components[0].files[0].content.source, img);
        CHECK_STR(app->components[0].files[0].path, "/img/logo.png");
    }
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    CHECK_INT(chdir(app_dir), 0);
    cleanup_locked_app spin_locked_app *rel = from_manifest(toml, "./x/../assets");
    CHECK(rel != NULL);
    if (rel != NULL) {
        cleanup_free char *src = util_xasprintf("file://%s/assets/dummy.wasm", app_dir);
        CHECK_STR(rel->components[0].source.source, src);
    }
    CHECK_INT(chdir(cwd), 0);
}

static void test_manifest_errors(void)
{
    static const char head[] = "spin_manifest_version = 2\n[application]\nname = \"e\"\n"
                               "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"c\"\n";
    static const struct {
        const char *rest, *msg;
    } cases[] = {
        {"[component.c]\nsource = { registry = \"ttl.sh\", package = \"a:b\", version = \"1.0.0\" "
         "}\n",
         "@DIR@/spin.toml: [component.c]: source is the registry package a:b@1.0.0, which this "
         "host cannot fetch (use a local file or { url, digest })"},
        {"[component.c]\nsource = \"a.wasm\"\n[component.c.dependencies]\n\"a:b/c\" = "
         "\"1.0.0\"\n",
         "@DIR@/spin.toml: [component.c]: dependency 'a:b/c' is the registry package "
         "a:b/c@1.0.0, which this host cannot fetch (use a local file or { url, digest })"},
        {"[component.c]\nsource = \"a.wasm\"\ndependencies = { \"a:b/c\" = { component = \"d\" } "
         "}\n[component.d]\nsource = \"d.wasm\"\nenvironment = { A = \"1\" }\n"
         "key_value_stores = [\"default\"]\n",
         "@DIR@/spin.toml: [component.c]: component d cannot be used as a dependency: "
         "dependencies may not have their own resources or permissions, and it specifies "
         "environment, key_value_stores"},
        {"[component.c]\nsource = \"a.wasm\"\nfiles = [\"missing.txt\"]\n",
         "component 'c': files: 'missing.txt' does not exist and doesn't appear to be a glob "
         "pattern"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        cleanup_free char *toml = util_xasprintf("%s%s", head, cases[i].rest);
        cleanup_free char *msg = from_manifest_error(toml);
        CHECK_STR(msg, cases[i].msg);
    }
}

int main(void)
{
    util_log_set_level(UTIL_LOG_ERROR);
    RUN(test_sip008_old_format);
    RUN(test_oci_current_format);
    RUN(test_file_form);
    RUN(test_service_chaining);
    RUN(test_every_field);
    RUN(test_writer_layout);
    RUN(test_errors);
    RUN(test_accepted);
    RUN(test_limits);
    RUN(test_file_uris);
    RUN(test_base64);
    make_tree();
    RUN(test_manifest_v1);
    RUN(test_manifest_v2);
    RUN(test_manifest_round_trip);
    RUN(test_manifest_app_dir);
    RUN(test_manifest_errors);
    remove_tree();
    return TEST_SUMMARY();
}
