/*
 * Unit tests of spin_app_libraries (src/spin/preload.c): which shared
 * libraries the shim loads before a Spin container pivots, decided from
 * the app's manifest (spin.toml v1/v2 or a locked app's JSON) and runtime
 * config.  Each case names what the app declares and the exact set it gets;
 * whatever the rule cannot read asks for every library.
 */
#include "spin.h"
#include "test.h"

#include <string.h>

#define SERVER SPIN_LIB_HTTP_SERVER
#define CURL SPIN_LIB_HTTP_CLIENT
#define CLIENTS (SPIN_LIB_HTTP_CLIENT | SPIN_LIB_POSTGRES | SPIN_LIB_MYSQL | SPIN_LIB_MQTT)

static unsigned toml(const char *manifest)
{
    return spin_app_libraries(manifest, strlen(manifest), false, NULL, 0);
}

/* A v2 http app of one component with `hosts` (a TOML array's inside). */
static unsigned with_hosts(const char *hosts)
{
    cleanup_free char *m = util_xasprintf("spin_manifest_version = 2\n"
                                          "[application]\nname = \"a\"\n"
                                          "[variables]\nhost = { default = \"x.example\" }\n"
                                          "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"c\"\n"
                                          "[component.c]\nsource = \"c.wasm\"\n"
                                          "allowed_outbound_hosts = [%s]\n",
                                          hosts);
    return toml(m);
}

static void test_http_app_without_hosts_needs_only_the_server(void)
{
    CHECK_INT(with_hosts(""), SERVER);
}

static void test_http_schemes_need_curl(void)
{
    CHECK_INT(with_hosts("\"https://api.example.com\""), SERVER | CURL);
    CHECK_INT(with_hosts("\"http://127.0.0.1:*\""), SERVER | CURL);
    CHECK_INT(with_hosts("\"https://{{ host }}\""), SERVER | CURL);
}

static void test_requests_to_the_app_itself_need_no_client(void)
{
    CHECK_INT(with_hosts("\"http://self\", \"https://self\""), SERVER);
    CHECK_INT(with_hosts("\"http://*.spin.internal\", \"http://c.spin.internal\""), SERVER);
    /* a name that only starts like the app's own is a real host */
    CHECK_INT(with_hosts("\"http://self.example.com\""), SERVER | CURL);
}

static void test_database_and_broker_schemes(void)
{
    CHECK_INT(with_hosts("\"postgres://db:5432\""), SERVER | SPIN_LIB_POSTGRES);
    CHECK_INT(with_hosts("\"mysql://db\""), SERVER | SPIN_LIB_MYSQL);
    CHECK_INT(with_hosts("\"mqtt://broker:1883\", \"mqtts://broker\""), SERVER | SPIN_LIB_MQTT);
    CHECK_INT(with_hosts("\"redis://cache:6379\""), SERVER); /* hiredis is linked */
}

static void test_wildcards_and_unknowns_load_every_client(void)
{
    CHECK_INT(with_hosts("\"*://*:*\""), SERVER | CLIENTS);
    CHECK_INT(with_hosts("\"{{ host }}\""), SERVER | CLIENTS);
    CHECK_INT(with_hosts("\"ftp://files.example\""), SERVER | CLIENTS);
}

static void test_v1_manifest_keeps_implicit_database_access(void)
{
    const char *v1 = "spin_manifest_version = \"1\"\n"
                     "name = \"old\"\nversion = \"1.0.0\"\n"
                     "trigger = { type = \"http\", base = \"/\" }\n"
                     "[[component]]\nid = \"hello\"\nsource = \"hello.wasm\"\n"
                     "[component.trigger]\nroute = \"/hello\"\n";
    /* Spin 1 components reach redis, mysql and postgres without a list. */
    CHECK_INT(toml(v1), SERVER | SPIN_LIB_POSTGRES | SPIN_LIB_MYSQL);
    const char *v1_http = "spin_manifest_version = \"1\"\n"
                          "name = \"old\"\nversion = \"1.0.0\"\n"
                          "trigger = { type = \"http\", base = \"/\" }\n"
                          "[[component]]\nid = \"hello\"\nsource = \"hello.wasm\"\n"
                          "allowed_http_hosts = [\"https://api.example.com\"]\n"
                          "[component.trigger]\nroute = \"/hello\"\n";
    CHECK_INT(toml(v1_http), SERVER | CURL | SPIN_LIB_POSTGRES | SPIN_LIB_MYSQL);
}

static void test_triggers(void)
{
    const char *redis_only = "spin_manifest_version = 2\n[application]\nname = \"r\"\n"
                             "[[trigger.redis]]\nchannel = \"jobs\"\ncomponent = \"c\"\n"
                             "[component.c]\nsource = \"c.wasm\"\n";
    CHECK_INT(toml(redis_only), 0);
    const char *cron = "spin_manifest_version = 2\n[application]\nname = \"r\"\n"
                       "[[trigger.cron]]\ncron_expression = \"1/2 * * * * *\"\n"
                       "component = \"c\"\n[component.c]\nsource = \"c.wasm\"\n";
    CHECK_INT(toml(cron), SPIN_LIB_ALL);
}

static void test_unreadable_manifests_load_everything(void)
{
    CHECK_INT(toml("spin_manifest_version = 2\n[application\n"), SPIN_LIB_ALL);
    CHECK_INT(toml("spin_manifest_version = 2\n[application]\nname = \"a\"\n"
                   "[component.c]\nsorce = \"c.wasm\"\n"),
              SPIN_LIB_ALL);
    CHECK_INT(spin_app_libraries(NULL, 0, false, NULL, 0), SPIN_LIB_ALL);
    CHECK_INT(spin_app_libraries("{", 1, true, NULL, 0), SPIN_LIB_ALL);
}

static unsigned locked(const char *hosts)
{
    cleanup_free char *json = util_xasprintf(
        "{\"spin_lock_version\":1,\"metadata\":{\"name\":\"x\"},"
        "\"triggers\":[{\"id\":\"t\",\"trigger_type\":\"http\","
        "\"trigger_config\":{\"component\":\"c\",\"route\":\"/...\"}}],"
        "\"components\":[{\"id\":\"c\",\"source\":{\"content_type\":\"application/wasm\","
        "\"digest\":\"sha256:%064d\"},\"metadata\":{\"allowed_outbound_hosts\":[%s]}}]}",
        0, hosts);
    return spin_app_libraries(json, strlen(json), true, NULL, 0);
}

static void test_locked_apps(void)
{
    CHECK_INT(locked(""), SERVER);
    CHECK_INT(locked("\"https://api.example.com\""), SERVER | CURL);
    CHECK_INT(locked("\"http://back.spin.internal\",\"postgres://db\""),
              SERVER | SPIN_LIB_POSTGRES);
}

/* A { url, digest } source is downloaded with libcurl before the app runs. */
static void test_url_sources_need_curl(void)
{
    const char *m = "spin_manifest_version = 2\n"
                    "[application]\nname = \"a\"\n"
                    "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"c\"\n"
                    "[component.c]\nsource = { url = \"https://example.com/c.wasm\", "
                    "digest = \"sha256:0123\" }\n";
    CHECK_INT(toml(m), SERVER | CURL);
    cleanup_free char *json = util_xasprintf(
        "{\"spin_lock_version\":1,\"metadata\":{\"name\":\"x\"},"
        "\"triggers\":[{\"id\":\"t\",\"trigger_type\":\"http\","
        "\"trigger_config\":{\"component\":\"c\",\"route\":\"/...\"}}],"
        "\"components\":[{\"id\":\"c\",\"source\":{\"content_type\":\"application/wasm\","
        "\"source\":\"https://example.com/c.wasm\",\"digest\":\"sha256:%064d\"}}]}",
        0);
    CHECK_INT(spin_app_libraries(json, strlen(json), true, NULL, 0), SERVER | CURL);
}

static void test_runtime_config(void)
{
    const char *m = "spin_manifest_version = 2\n[application]\nname = \"a\"\n"
                    "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"c\"\n"
                    "[component.c]\nsource = \"c.wasm\"\n";
    const char *local = "state_dir = \"/state\"\n"
                        "[key_value_store.default]\ntype = \"spin\"\n"
                        "[key_value_store.cache]\ntype = \"redis\"\nurl = \"redis://r\"\n"
                        "[sqlite_database.default]\ntype = \"spin\"\n"
                        "[[variables_provider]]\ntype = \"env\"\n";
    CHECK_INT(spin_app_libraries(m, strlen(m), false, local, strlen(local)), SERVER);
    const char *vault = "[[variables_provider]]\ntype = \"vault\"\nurl = \"https://v\"\n";
    CHECK_INT(spin_app_libraries(m, strlen(m), false, vault, strlen(vault)), SPIN_LIB_ALL);
    const char *libsql = "[sqlite_database.default]\ntype = \"libsql\"\nurl = \"https://d\"\n";
    CHECK_INT(spin_app_libraries(m, strlen(m), false, libsql, strlen(libsql)), SPIN_LIB_ALL);
    const char *llm = "[llm_compute]\ntype = \"remote_http\"\nurl = \"https://l\"\n";
    CHECK_INT(spin_app_libraries(m, strlen(m), false, llm, strlen(llm)), SPIN_LIB_ALL);
    const char *broken = "[key_value_store.default\n";
    CHECK_INT(spin_app_libraries(m, strlen(m), false, broken, strlen(broken)), SPIN_LIB_ALL);
}

int main(void)
{
    util_log_set_level(UTIL_LOG_ERROR); /* v1's deprecation warnings */
    RUN(test_http_app_without_hosts_needs_only_the_server);
    RUN(test_http_schemes_need_curl);
    RUN(test_requests_to_the_app_itself_need_no_client);
    RUN(test_database_and_broker_schemes);
    RUN(test_wildcards_and_unknowns_load_every_client);
    RUN(test_v1_manifest_keeps_implicit_database_access);
    RUN(test_triggers);
    RUN(test_unreadable_manifests_load_everything);
    RUN(test_locked_apps);
    RUN(test_url_sources_need_curl);
    RUN(test_runtime_config);
    return TEST_SUMMARY();
}
