/*
 * test_app_config.c - what a Spin app takes from its surroundings
 * (variables, runtime-config.toml, SPIN_* knobs) and what the HTTP trigger
 * answers before any component runs (well-known paths, 404, static
 * responses, executor failures).
 */
#include "app_internal.h"
#include "test.h"

#include <unistd.h>

static const char app_text[] = "spin_manifest_version = 2\n"
                               "[application]\n"
                               "name = \"cfg\"\n"
                               "version = \"2.0.1\"\n"
                               "[variables]\n"
                               "api_token = { required = true, secret = true }\n"
                               "mode = { default = \"dev\" }\n"
                               "[[trigger.http]]\n"
                               "route = \"/c/...\"\n"
                               "component = \"c\"\n"
                               "executor = { type = \"wagi\" }\n"
                               "[component.c]\n"
                               "source = \"c.wasm\"\n"
                               "[component.c.variables]\n"
                               "url = \"https://{{ mode }}.example.com/{{ api_token }}\"\n";

/* The app model of app_text, as the loader builds it. */
static spin_locked_app *manifest(void)
{
    util_error *err = NULL;
    cleanup_manifest spin_manifest *m =
        spin_manifest_parse(app_text, strlen(app_text), "t/spin.toml", &err);
    spin_locked_app *app = NULL;
    if (!m || spin_locked_app_from_manifest(m, NULL, &app, &err) < 0)
        fprintf(stderr, "manifest: %s\n", err->msg);
    util_error_free(&err);
    return app;
}

static void test_env_lookup_last_wins(void)
{
    const char *env[] = {"A=1", "AB=2", "A=3", "EMPTY=", NULL};
    CHECK_STR(spin_env_lookup(env, "A"), "3");
    CHECK_STR(spin_env_lookup(env, "AB"), "2");
    CHECK_STR(spin_env_lookup(env, "EMPTY"), "");
    CHECK(spin_env_lookup(env, "B") == NULL);
    CHECK(spin_env_lookup(NULL, "A") == NULL);
}

static void test_required_variable_missing_is_named(void)
{
    spin_locked_app *m = manifest();
    spin_runtime_config rc = {0};
    spin_resolved_vars v;
    util_error *err = NULL;
    const char *env[] = {"HOME=/root", NULL};
    CHECK_INT(spin_variables_resolve(m, env, &rc, &v, &err), -1);
    CHECK(err && strstr(err->msg, "\"api_token\"") != NULL);
    CHECK(err && strstr(err->msg, "mode") == NULL);
    util_error_free(&err);
    spin_locked_app_free(m);
}

static void test_variable_providers_in_order(void)
{
    spin_locked_app *m = manifest();
    spin_runtime_config rc = {0};
    spin_resolved_vars v;
    util_error *err = NULL;

    const char *env1[] = {"SPIN_VARIABLE_API_TOKEN=from-spin-var", NULL};
    CHECK_INT(spin_variables_resolve(m, env1, &rc, &v, &err), 0);
    CHECK_STR(spin_resolved_var(&v, "api_token"), "from-spin-var");
    CHECK_STR(spin_resolved_var(&v, "mode"), "dev");
    spin_resolved_vars_clear(&v);

    /* The plain upper-cased name (container env) overrides SPIN_VARIABLE_. */
    const char *env2[] = {"SPIN_VARIABLE_API_TOKEN=a", "API_TOKEN=plain", "MODE=prod", NULL};
    CHECK_INT(spin_variables_resolve(m, env2, &rc, &v, &err), 0);
    CHECK_STR(spin_resolved_var(&v, "api_token"), "plain");
    CHECK_STR(spin_resolved_var(&v, "mode"), "prod");

    /* Component templates render from the resolved values. */
    spin_kv *cv = NULL;
    size_t n = 0;
    CHECK_INT(spin_component_variables_render(&m->components[0], &v, &cv, &n, &err), 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(cv[0].key, "url");
        CHECK_STR(cv[0].value, "https://prod.example.com/plain");
    }
    spin_kv_array_free(cv, n);
    spin_resolved_vars_clear(&v);

    /* A static provider from the runtime config. */
    spin_kv sv = {"api_token", "static-token"};
    spin_var_provider p = {.is_static = true, .values = &sv, .n_values = 1};
    rc.providers = &p;
    rc.n_providers = 1;
    const char *env3[] = {NULL};
    CHECK_INT(spin_variables_resolve(m, env3, &rc, &v, &err), 0);
    CHECK_STR(spin_resolved_var(&v, "api_token"), "static-token");
    spin_resolved_vars_clear(&v);
    spin_locked_app_free(m);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
    char *path = util_xasprintf("%s/%s", dir, name);
    util_error *err = NULL;
    CHECK_INT(util_write_file_atomic(path, text, strlen(text), 0644, &err), 0);
    util_error_free(&err);
    return path;
}

static void test_runtime_config_file(void)
{
    char dir[] = "/tmp/spin-rc-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    cleanup_free char *rcpath = write_tmp(dir, "runtime-config.toml",
                                          "state_dir = \"/var/state\"\n"
                                          "log_dir = \"/var/logs\"\n"
                                          "max_instance_memory = 1048576\n"
                                          "[[variables_provider]]\n"
                                          "type = \"static\"\n"
                                          "values = { api_token = \"s\" }\n"
                                          "[key_value_store.default]\n"
                                          "type = \"spin\"\n");
    spin_run_options o;
    spin_run_options_init(&o);
    o.root_dir = dir; /* <root>/runtime-config.toml is found implicitly */
    spin_runtime_config rc;
    util_error *err = NULL;
    CHECK_INT(spin_runtime_config_load(&o, &rc, &err), 0);
    CHECK_STR(rc.path, rcpath);
    CHECK_STR(rc.state_dir, "/var/state");
    CHECK_STR(rc.log_dir, "/var/logs");
    CHECK_INT(rc.max_instance_memory, 1048576);
    CHECK_INT(rc.n_providers, 1);
    spin_runtime_config_clear(&rc);

    /* Environment knobs override the file. */
    const char *env[] = {"SPIN_LOG_DIR=/elsewhere", "SPIN_MAX_INSTANCE_MEMORY=2000", NULL};
    o.env = env;
    CHECK_INT(spin_runtime_config_load(&o, &rc, &err), 0);
    CHECK_STR(rc.log_dir, "/elsewhere");
    CHECK_INT(rc.max_instance_memory, 2000);
    spin_runtime_config_clear(&rc);

    const char *bad_mem[] = {"SPIN_MAX_INSTANCE_MEMORY=lots", NULL};
    o.env = bad_mem;
    CHECK_INT(spin_runtime_config_load(&o, &rc, &err), -1);
    CHECK(err && strstr(err->msg, "SPIN_MAX_INSTANCE_MEMORY") != NULL);
    util_error_free(&err);
    spin_runtime_config_clear(&rc);

    /* An explicit file with an unknown key is an error naming it. */
    cleanup_free char *bad = write_tmp(dir, "bad.toml", "state_dir = \"/s\"\nfrobnicate = 1\n");
    cleanup_free char *kv = util_xasprintf("SPIN_RUNTIME_CONFIG_FILE=%s", bad);
    const char *env2[] = {kv, NULL};
    o.env = env2;
    CHECK_INT(spin_runtime_config_load(&o, &rc, &err), -1);
    CHECK(err && strstr(err->msg, "frobnicate") != NULL);
    util_error_free(&err);
    spin_runtime_config_clear(&rc);

    /* A named file that does not exist is an error too. */
    const char *env3[] = {"SPIN_RUNTIME_CONFIG_FILE=/nonexistent/rc.toml", NULL};
    o.env = env3;
    CHECK_INT(spin_runtime_config_load(&o, &rc, &err), -1);
    CHECK(err && strstr(err->msg, "/nonexistent/rc.toml") != NULL);
    util_error_free(&err);
    spin_runtime_config_clear(&rc);

    unlink(rcpath);
    unlink(bad);
    rmdir(dir);
}

/* ---- trigger dispatch ---------------------------------------------------- */

static int failing_handle(void *self, const spin_component_runtime *comp,
                          const spin_http_request *req, const spin_route_match *m,
                          spin_http_response *resp, util_error **err)
{
    util_buf_append_str(&resp->body, "partial output that must not leak");
    return util_error_set(err, 0, "guest trapped: unreachable");
}

static const spin_http_executor_ops failing_ops = {"failing", failing_handle, NULL, false};

static spin_http_response dispatch(spin_http_trigger *t, const char *path, bool with_host)
{
    spin_http_header h[] = {{"Host", "example.com"}};
    spin_http_request req = {.method = "GET", .version = "HTTP/1.1", .target = path,
                             .path = path, .headers = h, .nheaders = with_host ? 1 : 0,
                             .body = (const uint8_t *)"", .client_ip = "127.0.0.1",
                             .client_addr = "127.0.0.1:1"};
    spin_http_response resp = {.status = 200};
    spin_http_trigger_handle(t, &req, &resp);
    return resp;
}

static void test_trigger_dispatch(void)
{
    spin_kv hdr = {"content-type", "text/plain"};
    spin_static_response sr = {.status_code = 201, .headers = &hdr, .n_headers = 1,
                               .body = "static!"};
    spin_component_runtime comp = {.id = "broken"};
    spin_http_target targets[2] = {
        {.trigger_id = "s", .static_response = &sr},
        {.trigger_id = "b", .comp = &comp, .exec = {&failing_ops, NULL}},
    };
    spin_route_spec specs[] = {{"/static", false, "s", 0}, {"/broken/...", false, "broken", 1}};
    util_error *err = NULL;
    spin_http_trigger t = {.router = spin_router_build(specs, 2, NULL, NULL, &err),
                           .targets = targets, .ntargets = 2, .app_name = "my \"app\"",
                           .app_version = "1.0"};

    spin_http_response r = dispatch(&t, "/.well-known/spin/health", false);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body.data, "OK");
    spin_http_response_clear(&r);

    r = dispatch(&t, "/.well-known/spin/info", true);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body.data, "{\n  \"name\": \"my \\\"app\\\"\",\n  \"version\": \"1.0\"\n}");
    CHECK(r.nheaders == 1 && strcmp(r.headers[0].value, "application/json") == 0);
    spin_http_response_clear(&r);

    r = dispatch(&t, "/.well-known/spin/other", true);
    CHECK_INT(r.status, 404);
    spin_http_response_clear(&r);

    r = dispatch(&t, "/nothing-here", true);
    CHECK_INT(r.status, 404);
    CHECK_INT(r.body.len, 0);
    spin_http_response_clear(&r);

    r = dispatch(&t, "/static", true);
    CHECK_INT(r.status, 201);
    CHECK_STR(r.body.data, "static!");
    CHECK(r.nheaders == 1 && strcmp(r.headers[0].name, "content-type") == 0);
    spin_http_response_clear(&r);

    /* A failing component gives an empty 500, not its partial output. */
    r = dispatch(&t, "/broken/x", true);
    CHECK_INT(r.status, 500);
    CHECK_INT(r.body.len, 0);
    spin_http_response_clear(&r);

    /* Without a Host header Spin refuses to run a component. */
    r = dispatch(&t, "/broken/x", false);
    CHECK_INT(r.status, 500);
    spin_http_response_clear(&r);

    spin_router_free(t.router);
}

int main(void)
{
    RUN(test_env_lookup_last_wins);
    RUN(test_required_variable_missing_is_named);
    RUN(test_variable_providers_in_order);
    RUN(test_runtime_config_file);
    RUN(test_trigger_dispatch);
    return TEST_SUMMARY();
}
