/*
 * test_runtime_stores.c - where an app's key-value stores and SQLite
 * databases live (runtime_stores.c): the defaults under the state dir of
 * `up` (<app>/.spin) and of a container (/.spin), runtime-config.toml's
 * [key_value_store.<label>] and [sqlite_database.<label>] with Spin's path
 * rules, files Spin would refuse (each error naming the file, the table and
 * the key), and the spinapi_component a locked component gets
 * (component_api.c): its rendered variables and labels, called through
 * the linker, and an undefined label refused at start.
 */
#include "component_api.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char tmp[256];

static const char *write_config(const char *text)
{
    static char path[300];
    snprintf(path, sizeof(path), "%s/runtime-config.toml", tmp);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static const spin_store_backend *find(const spin_store_backend *l, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].label, label) == 0)
            return &l[i];
    return NULL;
}

static void check_backend(const spin_store_backend *b, spinapi_backend_kind kind,
                          const char *location)
{
    CHECK(b != NULL);
    if (b == NULL)
        return;
    CHECK_INT(b->kind, kind);
    if (location)
        CHECK_STR(b->location, location);
    else
        CHECK(b->location == NULL);
}

static void test_defaults_up(void)
{
    spin_stores_source src = {.app_dir = "/srv/app"};
    spin_app_stores s;
    util_error *err = NULL;
    CHECK_INT(spin_app_stores_load(&src, &s, &err), 0);
    CHECK_STR(s.state_dir, "/srv/app/.spin");
    CHECK_INT(s.nkv, 1);
    CHECK_INT(s.nsql, 1);
    check_backend(find(s.kv, s.nkv, "default"), SPINAPI_BACKEND_SQLITE_FILE,
                  "/srv/app/.spin/sqlite_key_value.db");
    check_backend(find(s.sql, s.nsql, "default"), SPINAPI_BACKEND_SQLITE_FILE,
                  "/srv/app/.spin/sqlite_db.db");
    spin_app_stores_clear(&s);
}

static void test_defaults_container_and_none(void)
{
    spin_stores_source src = {.root_dir = "/", .app_dir = "/"};
    spin_app_stores s;
    util_error *err = NULL;
    CHECK_INT(spin_app_stores_load(&src, &s, &err), 0);
    check_backend(find(s.kv, s.nkv, "default"), SPINAPI_BACKEND_SQLITE_FILE,
                  "/.spin/sqlite_key_value.db");
    check_backend(find(s.sql, s.nsql, "default"), SPINAPI_BACKEND_SQLITE_FILE,
                  "/.spin/sqlite_db.db");
    spin_app_stores_clear(&s);

    /* An image unpacked elsewhere (tests): inside its root. */
    src = (spin_stores_source){.root_dir = "/tmp/img/"};
    CHECK_INT(spin_app_stores_load(&src, &s, &err), 0);
    check_backend(find(s.kv, s.nkv, "default"), SPINAPI_BACKEND_SQLITE_FILE,
                  "/tmp/img/.spin/sqlite_key_value.db");
    spin_app_stores_clear(&s);

    /* No state dir at all: in memory. */
    src = (spin_stores_source){0};
    CHECK_INT(spin_app_stores_load(&src, &s, &err), 0);
    CHECK(s.state_dir == NULL);
    check_backend(find(s.kv, s.nkv, "default"), SPINAPI_BACKEND_SQLITE_MEMORY, NULL);
    check_backend(find(s.sql, s.nsql, "default"), SPINAPI_BACKEND_SQLITE_MEMORY, NULL);
    spin_app_stores_clear(&s);
}

static void test_good_file(void)
{
    const char *path = write_config("state_dir = \"\"\n"
                                    "[key_value_store.cache]\n"
                                    "type = \"spin\"\n"
                                    "path = \"data/cache.db\"\n"
                                    "[key_value_store.abs]\n"
                                    "type = \"spin\"\n"
                                    "path = \"/var/kv.db\"\n"
                                    "[key_value_store.mem]\n"
                                    "type = \"spin\"\n"
                                    "[key_value_store.shared]\n"
                                    "type = \"redis\"\n"
                                    "url = \"redis://localhost:6379\"\n"
                                    "[sqlite_database.other]\n"
                                    "type = \"spin\"\n"
                                    "path = \"rel.db\"\n"
                                    "[sqlite_database.default]\n"
                                    "type = \"spin\"\n"
                                    "path = \"/db/main.db\"\n");
    spin_stores_source src = {.runtime_config = path, .app_dir = "/srv/app"};
    spin_app_stores s;
    util_error *err = NULL;
    CHECK_INT(spin_app_stores_load(&src, &s, &err), 0);
    if (err) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
        return;
    }
    char want[600], cwd[400];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    /* state_dir = "": no state dir, so the default store is in memory. */
    CHECK(s.state_dir == NULL);
    check_backend(find(s.kv, s.nkv, "default"), SPINAPI_BACKEND_SQLITE_MEMORY, NULL);
    /* Key-value paths are relative to the runtime config's directory. */
    snprintf(want, sizeof(want), "%s/data/cache.db", tmp);
    check_backend(find(s.kv, s.nkv, "cache"), SPINAPI_BACKEND_SQLITE_FILE, want);
    check_backend(find(s.kv, s.nkv, "abs"), SPINAPI_BACKEND_SQLITE_FILE, "/var/kv.db");
    check_backend(find(s.kv, s.nkv, "mem"), SPINAPI_BACKEND_SQLITE_MEMORY, NULL);
    check_backend(find(s.kv, s.nkv, "shared"), SPINAPI_BACKEND_REDIS, "redis://localhost:6379");
    /* Database paths are relative to the working directory (as Spin). */
    snprintf(want, sizeof(want), "%s/rel.db", cwd);
    check_backend(find(s.sql, s.nsql, "other"), SPINAPI_BACKEND_SQLITE_FILE, want);
    /* A configured default replaces the state dir's. */
    check_backend(find(s.sql, s.nsql, "default"), SPINAPI_BACKEND_SQLITE_FILE, "/db/main.db");
    CHECK_INT(s.nsql, 2);
    spin_app_stores_clear(&s);

    /* Absolute paths of an image's config live inside the image. */
    src.root_dir = "/tmp/img";
    CHECK_INT(spin_app_stores_load(&src, &s, &err), 0);
    check_backend(find(s.kv, s.nkv, "abs"), SPINAPI_BACKEND_SQLITE_FILE, "/tmp/img/var/kv.db");
    spin_app_stores_clear(&s);

    /* A state_dir set in the file is where the defaults go. */
    path = write_config("state_dir = \"/state\"\n");
    src = (spin_stores_source){.runtime_config = path, .app_dir = "/srv/app"};
    CHECK_INT(spin_app_stores_load(&src, &s, &err), 0);
    check_backend(find(s.kv, s.nkv, "default"), SPINAPI_BACKEND_SQLITE_FILE,
                  "/state/sqlite_key_value.db");
    spin_app_stores_clear(&s);
}

static void test_bad_files(void)
{
    static const struct {
        const char *text;
        const char *want; /* after "<path>:" */
    } cases[] = {
        {"[key_value_store.cache]\npath = \"x.db\"\n",
         ":1: [key_value_store.cache] needs a 'type' (\"spin\" or \"redis\")"},
        {"[key_value_store.cache]\ntype = \"memcached\"\n",
         ":1: [key_value_store.cache] unknown type \"memcached\" (expected \"spin\" or \"redis\")"},
        {"[key_value_store.cache]\ntype = \"azure_cosmos\"\n",
         ":1: [key_value_store.cache] type \"azure_cosmos\" is not supported by this host"},
        {"[key_value_store.cache]\ntype = \"redis\"\n",
         ":1: [key_value_store.cache] type \"redis\" needs a 'url'"},
        {"[key_value_store.cache]\ntype = \"spin\"\npaht = \"x.db\"\n",
         ":3: [key_value_store.cache] unknown key 'paht' for type \"spin\""},
        {"[key_value_store.cache]\ntype = \"spin\"\npath = 5\n",
         ":3: [key_value_store.cache] 'path' must be a string"},
        {"[key_value_store.cache]\ntype = 1\n",
         ":2: [key_value_store.cache] 'type' must be a string"},
        {"key_value_store = 5\n", ":1: 'key_value_store' must be a table of labelled tables"},
        {"[key_value_store]\ncache = \"spin\"\n", ":2: [key_value_store.cache] must be a table"},
        {"[sqlite_database.db]\ntype = \"libsql\"\nurl = \"x\"\n",
         ":1: [sqlite_database.db] type \"libsql\" is not supported by this host"},
        {"[sqlite_database.db]\ntype = \"spin\"\nurl = \"x\"\n",
         ":3: [sqlite_database.db] unknown key 'url' for type \"spin\""},
        {"state_dir = 3\n", ":1: 'state_dir' must be a string"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        const char *path = write_config(cases[i].text);
        spin_stores_source src = {.runtime_config = path};
        spin_app_stores s;
        util_error *err = NULL;
        CHECK_INT(spin_app_stores_load(&src, &s, &err), -1);
        char want[600];
        snprintf(want, sizeof(want), "%s%s", path, cases[i].want);
        CHECK(err != NULL && strstr(err->msg, want) != NULL);
        if (err && strstr(err->msg, want) == NULL)
            fprintf(stderr, "case %zu: got: %s\n  want: %s\n", i, err->msg, want);
        util_error_free(&err);
        CHECK(s.kv == NULL && s.sql == NULL);
    }
}

/* ---- a component's spinapi_component ------------------------------------ */

#define APP_JSON(meta)                                                                          \
    "{\"spin_lock_version\":1,\"variables\":{\"greeting\":{\"default\":\"hello\"}},"        \
    "\"triggers\":[],\"components\":[{\"id\":\"c\",\"source\":{\"content_type\":"             \
    "\"application/wasm\",\"source\":\"file:///a.wasm\"},\"metadata\":" meta ","           \
    "\"config\":{\"message\":\"{{ greeting }}, world\"}}]}"

static void test_component_api(void)
{
    static const char json[] = APP_JSON("{\"key_value_stores\":[\"default\"],"
                                        "\"databases\":[\"default\"]}");
    spin_locked_app *app = NULL;
    util_error *err = NULL;
    CHECK_INT(spin_locked_app_from_json(json, strlen(json), &app, &err), 0);
    if (app == NULL) {
        fprintf(stderr, "%s\n", err ? err->msg : "?");
        util_error_free(&err);
        return;
    }
    spin_runtime_config rc = {0};
    spin_resolved_vars vars = {0};
    static const char *const env[] = {NULL};
    CHECK_INT(spin_variables_resolve(app, env, &rc, &vars, &err), 0);
    spin_stores_source src = {0};
    spin_app_stores stores;
    CHECK_INT(spin_app_stores_load(&src, &stores, &err), 0);
    spinapi_component *api = spin_component_api_new(&app->components[0], &vars, &stores, NULL, &err);
    CHECK(api != NULL);

    component_linker *l = component_linker_new();
    CHECK_INT(spinapi_define(l, NULL, &err), 0);
    spinapi_ctx *ctx = spinapi_ctx_new(api);
    component_call *call = component_call_new(ctx);
    component_val a[1] = {{.kind = COMPONENT_VAL_STRING, .of.str = {"message", 7}}}, r;
    CHECK_INT(component_linker_call(l, "fermyon:spin/variables@2.0.0", "get", call, a, 1, &r,
                                    &err),
              0);
    CHECK(r.of.variant.disc == 0 && r.of.variant.payload->of.str.len == 12 &&
          memcmp(r.of.variant.payload->of.str.ptr, "hello, world", 12) == 0);
    /* The default database opens (a connection handle owns nothing, so
     * there is nothing to drop); a store that is not the component's is
     * refused. */
    a[0] = (component_val){.kind = COMPONENT_VAL_STRING, .of.str = {"default", 7}};
    CHECK_INT(component_linker_call(l, "fermyon:spin/sqlite@2.0.0", "[static]connection.open",
                                    call, a, 1, &r, &err),
              0);
    CHECK_INT(r.of.variant.disc, 0);
    a[0] = (component_val){.kind = COMPONENT_VAL_STRING, .of.str = {"cache", 5}};
    CHECK_INT(component_linker_call(l, "wasi:keyvalue/store@0.2.0-draft2", "open", call, a, 1,
                                    &r, &err),
              0);
    CHECK(r.of.variant.disc == 1 && r.of.variant.payload->of.variant.disc == 1);
    component_call_free(call);
    spinapi_ctx_free(ctx);
    component_linker_free(l);
    spinapi_component_free(api);
    spin_app_stores_clear(&stores);
    spin_resolved_vars_clear(&vars);
    spin_locked_app_free(app);
}

/* Spin refuses an app whose component lists a store nobody defines. */
static void test_component_api_undefined_label(void)
{
    static const char kv[] = APP_JSON("{\"key_value_stores\":[\"default\",\"cache\"]}");
    static const char db[] = APP_JSON("{\"databases\":[\"analytics\"]}");
    const char *docs[2] = {kv, db};
    const char *want[2] = {"unknown key_value_stores label \"cache\" for component \"c\"",
                           "component c uses database 'analytics'"};
    for (int i = 0; i < 2; i++) {
        spin_locked_app *app = NULL;
        util_error *err = NULL;
        CHECK_INT(spin_locked_app_from_json(docs[i], strlen(docs[i]), &app, &err), 0);
        if (app == NULL) {
            util_error_free(&err);
            continue;
        }
        spin_resolved_vars vars = {0};
        spin_stores_source src = {0};
        spin_app_stores stores;
        CHECK_INT(spin_app_stores_load(&src, &stores, &err), 0);
        CHECK(spin_component_api_new(&app->components[0], &vars, &stores, NULL, &err) == NULL);
        CHECK(err != NULL && strstr(err->msg, want[i]) != NULL);
        util_error_free(&err);
        spin_app_stores_clear(&stores);
        spin_locked_app_free(app);
    }
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp, sizeof(tmp), "%s/runtime-stores-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(tmp) == NULL)
        return 1;
    RUN(test_defaults_up);
    RUN(test_defaults_container_and_none);
    RUN(test_good_file);
    RUN(test_bad_files);
    RUN(test_component_api);
    RUN(test_component_api_undefined_label);
    char path[300];
    snprintf(path, sizeof(path), "%s/runtime-config.toml", tmp);
    unlink(path);
    rmdir(tmp);
    return TEST_SUMMARY();
}
