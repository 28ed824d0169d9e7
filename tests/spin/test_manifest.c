/*
 * Unit tests of the spin.toml loader: realistic version 2 and version 1
 * manifests (shaped after Spin's documented examples), the normalisation
 * Spin applies (trigger ids, inline components, legacy fields), and the
 * error for every way a manifest can be wrong, which must name the file
 * and the field.
 */
#include "manifest.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static spin_manifest *parse(const char *text, util_error **err)
{
    return spin_manifest_parse(text, strlen(text), "app/spin.toml", err);
}

static char *parse_error(const char *text)
{
    util_error *err = NULL;
    spin_manifest *m = parse(text, &err);
    if (m != NULL) {
        spin_manifest_free(m);
        return util_xstrdup("(accepted)");
    }
    char *msg = util_xstrdup(err ? err->msg : "(no error)");
    util_error_free(&err);
    return msg;
}

static const char v2_app[] =
    "spin_manifest_version = 2\n"
    "\n"
    "[application]\n"
    "name = \"shop\"\n"
    "version = \"1.2.0\"\n"
    "description = \"A shop\"\n"
    "authors = [\"Ann <ann@example.com>\", \"Bo\"]\n"
    "\n"
    "[application.trigger.http]\n"
    "base = \"/\"\n"
    "\n"
    "[variables]\n"
    "api_host = { default = \"api.example.com\" }\n"
    "api_token = { required = true, secret = true }\n"
    "\n"
    "[[trigger.http]]\n"
    "route = \"/cart/...\"\n"
    "component = \"cart\"\n"
    "\n"
    "[[trigger.http]]\n"
    "id = \"legacy\"\n"
    "route = \"/cgi/:name\"\n"
    "component = \"cgi-bin\"\n"
    "executor = { type = \"wagi\", argv = \"${SCRIPT_NAME} -v ${ARGS}\" }\n"
    "\n"
    "[[trigger.http]]\n"
    "route = { private = true }\n"
    "component = \"internal\"\n"
    "\n"
    "[component.cart]\n"
    "source = \"target/wasm32-wasip1/release/cart.wasm\"\n"
    "description = \"Shopping cart\"\n"
    "allowed_outbound_hosts = [\"https://{{ api_host }}\", \"redis://localhost:6379\"]\n"
    "key_value_stores = [\"default\", \"user_sessions\"]\n"
    "sqlite_databases = [\"orders-db\"]\n"
    "ai_models = [\"llama2-chat\"]\n"
    "environment = { RUST_LOG = \"info\", MODE = \"prod\" }\n"
    "files = [\"static/**/*.html\", { source = \"assets\", destination = \"/assets\" },\n"
    "         { source = \"docs\", destination = \"/docs/\" }]\n"
    "exclude_files = [\"static/secret/*\"]\n"
    "[component.cart.variables]\n"
    "endpoint = \"https://{{ api_host }}/v1?token={{api_token}}\"\n"
    "plain = \"no templates here\"\n"
    "[component.cart.build]\n"
    "command = \"cargo build --target wasm32-wasip1 --release\"\n"
    "watch = [\"src/**/*.rs\"]\n"
    "[component.cart.dependencies]\n"
    "\"aws:client/s3\" = \"1.0.0\"\n"
    "\"my:lib\" = { path = \"lib.wasm\" }\n"
    "\"web:fetch/get\" = { url = \"https://example.com/f.wasm\", digest = \"sha256:ab\", "
    "export = \"get\" }\n"
    "\n"
    "[component.cgi-bin]\n"
    "source = { url = \"https://example.com/cgi.wasm\", digest = \"sha256:0123\" }\n"
    "\n"
    "[component.internal]\n"
    "source = { registry = \"ttl.sh\", package = \"user:internal\", version = \"1.0.0\" }\n"
    "dependencies_inherit_configuration = true\n";

static void test_v2_manifest_is_read_completely(void)
{
    util_error *err = NULL;
    cleanup_manifest spin_manifest *m = parse(v2_app, &err);
    CHECK(m != NULL);
    if (m == NULL) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
        return;
    }
    CHECK_INT(m->manifest_version, 2);
    CHECK_STR(m->name, "shop");
    CHECK_STR(m->version, "1.2.0");
    CHECK_STR(m->description, "A shop");
    CHECK_INT(m->authors.len, 2);
    CHECK_STR(m->authors.items[1], "Bo");
    CHECK_STR(m->dir, "app");
    CHECK(util_toml_get(m->trigger_global_configs, "http") != NULL);

    CHECK_INT(m->n_variables, 2);
    const spin_variable *host = spin_manifest_variable(m, "api_host");
    CHECK(host && !host->required && !host->secret);
    CHECK_STR(host ? host->default_value : NULL, "api.example.com");
    const spin_variable *tok = spin_manifest_variable(m, "api_token");
    CHECK(tok && tok->required && tok->secret && tok->default_value == NULL);

    CHECK_INT(m->n_triggers, 3);
    const spin_trigger *t = &m->triggers[0];
    CHECK_STR(t->type, "http");
    CHECK(t->supported);
    CHECK_STR(t->id, "cart-http-trigger");
    CHECK_STR(t->route, "/cart/...");
    CHECK(t->route_wildcard);
    CHECK_STR(t->component, "cart");
    CHECK_INT(t->executor.kind, SPIN_EXECUTOR_HTTP);
    t = &m->triggers[1];
    CHECK_STR(t->id, "legacy");
    CHECK(!t->route_wildcard);
    CHECK_INT(t->executor.kind, SPIN_EXECUTOR_WAGI);
    CHECK_STR(t->executor.argv, "${SCRIPT_NAME} -v ${ARGS}");
    CHECK_STR(t->executor.entrypoint, "_start");
    t = &m->triggers[2];
    CHECK(t->route_private && t->route == NULL);

    CHECK_INT(m->n_components, 3);
    const spin_component *c = spin_manifest_component(m, "cart");
    CHECK(c != NULL);
    if (c == NULL)
        return;
    CHECK_INT(c->source.kind, SPIN_SOURCE_FILE);
    CHECK_STR(c->source.path, "target/wasm32-wasip1/release/cart.wasm");
    CHECK_STR(c->description, "Shopping cart");
    CHECK_INT(c->allowed_outbound_hosts.len, 2);
    CHECK_STR(c->allowed_outbound_hosts.items[0], "https://{{ api_host }}");
    CHECK_INT(c->key_value_stores.len, 2);
    CHECK_STR(c->key_value_stores.items[1], "user_sessions");
    CHECK_STR(c->sqlite_databases.items[0], "orders-db");
    CHECK_STR(c->ai_models.items[0], "llama2-chat");
    CHECK_INT(c->n_environment, 2);
    CHECK_STR(c->environment[0].key, "RUST_LOG");
    CHECK_STR(c->environment[1].value, "prod");
    CHECK_INT(c->n_files, 3);
    CHECK_STR(c->files[0].source, "static/**/*.html");
    CHECK(c->files[0].destination == NULL);
    CHECK_STR(c->files[1].destination, "/assets");
    CHECK_STR(c->files[2].destination, "/docs/"); /* one trailing '/' is clean */
    CHECK_STR(c->exclude_files.items[0], "static/secret/*");
    CHECK_INT(c->n_variables, 2);
    CHECK_STR(c->variables[0].name, "endpoint");
    const spin_template *tpl = &c->variables[0].value;
    CHECK_INT(tpl->len, 4);
    CHECK_INT(tpl->parts[1].kind, SPIN_TPL_VARIABLE);
    CHECK_STR(tpl->parts[1].text, "api_host");
    CHECK_STR(tpl->parts[2].text, "/v1?token=");
    CHECK_STR(tpl->parts[3].text, "api_token");
    CHECK_INT(c->n_dependencies, 3);
    CHECK_INT(c->dependencies[0].kind, SPIN_DEP_VERSION);
    CHECK_STR(c->dependencies[0].version, "1.0.0");
    CHECK_INT(c->dependencies[1].kind, SPIN_DEP_LOCAL);
    CHECK_STR(c->dependencies[1].path, "lib.wasm");
    CHECK_INT(c->dependencies[2].kind, SPIN_DEP_URL);
    CHECK_STR(c->dependencies[2].export_name, "get");

    c = spin_manifest_component(m, "cgi-bin");
    CHECK(c && c->source.kind == SPIN_SOURCE_URL);
    CHECK_STR(c ? c->source.digest : NULL, "sha256:0123");
    c = spin_manifest_component(m, "internal");
    CHECK(c && c->source.kind == SPIN_SOURCE_REGISTRY && c->dependencies_inherit_configuration);
    CHECK_STR(c ? c->source.package : NULL, "user:internal");
    CHECK_STR(c ? c->source.registry : NULL, "ttl.sh");
    CHECK(spin_manifest_component(m, "nope") == NULL);
}

static void test_inline_components_and_generated_ids(void)
{
    util_error *err = NULL;
    cleanup_manifest spin_manifest *m =
        parse("spin_manifest_version = 2\n"
              "[application]\nname = \"x\"\n"
              "[[trigger.http]]\nroute = \"/a\"\ncomponent = { source = \"a.wasm\" }\n"
              "[[trigger.http]]\nid = \"named\"\nroute = \"/b\"\n"
              "component = { source = \"b.wasm\", environment = { K = \"v\" } }\n"
              "[[trigger.http]]\nroute = \"/c\"\ncomponent = \"c\"\n"
              "[[trigger.http]]\nroute = \"/c2\"\ncomponent = \"c\"\n"
              "[[trigger.http]]\nroute = \"/static\"\n"
              "static_response = { status_code = 418, headers = { x-tea = \"yes\" }, body = "
              "\"short and stout\" }\n"
              "[[trigger.redis]]\nchannel = \"orders\"\ncomponent = \"c\"\n"
              "[component.c]\nsource = \"c.wasm\"\n",
              &err);
    CHECK(m != NULL);
    if (m == NULL) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
        return;
    }
    CHECK_INT(m->n_triggers, 6);
    CHECK_STR(m->triggers[0].id, "http-trigger1");
    CHECK_STR(m->triggers[0].component, "http-trigger1-component");
    CHECK_STR(m->triggers[1].component, "named-component");
    CHECK_STR(m->triggers[2].id, "c-http-trigger");
    CHECK_STR(m->triggers[3].id, "http-trigger2");
    CHECK_STR(m->triggers[4].id, "http-trigger3");
    CHECK(m->triggers[4].component == NULL);
    CHECK(m->triggers[4].static_response != NULL);
    if (m->triggers[4].static_response) {
        CHECK_INT(m->triggers[4].static_response->status_code, 418);
        CHECK_STR(m->triggers[4].static_response->headers[0].key, "x-tea");
        CHECK_STR(m->triggers[4].static_response->body, "short and stout");
    }
    /* Other trigger types are kept, flagged, with their raw table. */
    const spin_trigger *r = &m->triggers[5];
    CHECK_STR(r->type, "redis");
    CHECK(!r->supported);
    CHECK_STR(r->id, "c-redis-trigger");
    CHECK_STR(util_toml_string(util_toml_get(r->config, "channel")), "orders");
    CHECK_INT(m->n_components, 3);
    const spin_component *b = spin_manifest_component(m, "named-component");
    CHECK(b != NULL && b->n_environment == 1);
    CHECK_STR(b ? b->source.path : NULL, "b.wasm");
}

static const char v1_app[] =
    "spin_manifest_version = \"1\"\n"
    "name = \"spin-hello\"\n"
    "version = \"0.1.0\"\n"
    "authors = [\"Fermyon Engineering <engineering@fermyon.com>\"]\n"
    "description = \"A simple application that returns hello.\"\n"
    "trigger = { type = \"http\", base = \"/\" }\n"
    "\n"
    "[variables]\n"
    "greeting = { default = \"hello\" }\n"
    "\n"
    "[[component]]\n"
    "id = \"Hello_World\"\n"
    "source = \"target/spin_hello.wasm\"\n"
    "files = [{ source = \"static\", destination = \"/\" }]\n"
    "allowed_http_hosts = [\"example.com:8080\", \"https://api.example.org\"]\n"
    "environment = { A = \"1\" }\n"
    "[component.trigger]\n"
    "route = \"/hello\"\n"
    "[component.config]\n"
    "message = \"{{ greeting }}, world\"\n"
    "\n"
    "[[component]]\n"
    "id = \"cgi\"\n"
    "source = \"cgi.wasm\"\n"
    "allowed_http_hosts = [\"insecure:allow-all\"]\n"
    "allowed_outbound_hosts = [\"redis://db:6379\"]\n"
    "[component.trigger]\n"
    "route = \"/cgi/...\"\n"
    "executor = { type = \"wagi\" }\n";

static void test_v1_manifest_is_normalised_to_v2(void)
{
    util_error *err = NULL;
    util_log_set_level(UTIL_LOG_ERROR); /* the deprecation warnings are expected */
    cleanup_manifest spin_manifest *m = parse(v1_app, &err);
    CHECK(m != NULL);
    if (m == NULL) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
        return;
    }
    CHECK_INT(m->manifest_version, 1);
    CHECK_STR(m->name, "spin-hello");
    CHECK_STR(m->version, "0.1.0");
    CHECK_INT(m->n_components, 2);
    const spin_component *c = spin_manifest_component(m, "hello-world");
    CHECK(c != NULL);
    if (c == NULL)
        return;
    CHECK_STR(c->variables[0].name, "message");
    CHECK_STR(c->variables[0].value.parts[0].text, "greeting");
    CHECK_STR(c->files[0].destination, "/");
    /* v1 components without allowed_outbound_hosts keep database access. */
    const char *want[] = {"redis://*:*",
                          "mysql://*:*",
                          "postgres://*:*",
                          "http://example.com:8080",
                          "https://example.com:8080",
                          "http://api.example.org",
                          "https://api.example.org"};
    CHECK_INT(c->allowed_outbound_hosts.len, UTIL_ARRAY_LEN(want));
    for (size_t i = 0; i < UTIL_ARRAY_LEN(want) && i < c->allowed_outbound_hosts.len; i++)
        CHECK_STR(c->allowed_outbound_hosts.items[i], want[i]);
    const spin_component *cgi = spin_manifest_component(m, "cgi");
    CHECK(cgi != NULL);
    if (cgi) {
        const char *want2[] = {"redis://db:6379", "http://*:*", "https://*:*", "http://self"};
        CHECK_INT(cgi->allowed_outbound_hosts.len, UTIL_ARRAY_LEN(want2));
        for (size_t i = 0; i < UTIL_ARRAY_LEN(want2) && i < cgi->allowed_outbound_hosts.len; i++)
            CHECK_STR(cgi->allowed_outbound_hosts.items[i], want2[i]);
    }
    CHECK_INT(m->n_triggers, 2);
    CHECK_STR(m->triggers[0].id, "trigger-hello-world");
    CHECK_STR(m->triggers[0].component, "hello-world");
    CHECK_STR(m->triggers[0].route, "/hello");
    CHECK(m->triggers[0].supported);
    CHECK_INT(m->triggers[1].executor.kind, SPIN_EXECUTOR_WAGI);
    CHECK_STR(m->triggers[1].executor.argv, "${SCRIPT_NAME} ${ARGS}");
    CHECK(m->triggers[1].route_wildcard);
}

static void test_v1_redis_app_is_flagged_unsupported(void)
{
    util_error *err = NULL;
    cleanup_manifest spin_manifest *m =
        parse("spin_manifest_version = \"1\"\nname = \"r\"\n"
              "trigger = { type = \"redis\", address = \"redis://localhost:6379\" }\n"
              "[[component]]\nid = \"echo\"\nsource = \"e.wasm\"\n"
              "[component.trigger]\nchannel = \"messages\"\n",
              &err);
    CHECK(m != NULL);
    util_error_free(&err);
    if (m == NULL)
        return;
    CHECK_INT(m->n_triggers, 1);
    CHECK_STR(m->triggers[0].type, "redis");
    CHECK(!m->triggers[0].supported);
    CHECK_STR(util_toml_string(util_toml_get(m->triggers[0].config, "channel")), "messages");
}

#define HEAD "spin_manifest_version = 2\n[application]\nname = \"x\"\n"
#define TRIG "[[trigger.http]]\nroute = \"/\"\ncomponent = \"hello\"\n"

static void test_errors_name_file_and_field(void)
{
    struct {
        const char *doc, *msg;
    } cases[] = {
        {HEAD TRIG "[component.hello]\nsorce = \"a.wasm\"\n",
         "app/spin.toml:8:1: [component.hello]: unknown field 'sorce' (expected one of: source, "
         "description, variables, environment, files, exclude_files, allowed_outbound_hosts, "
         "allowed_http_hosts, key_value_stores, sqlite_databases, ai_models, dependencies, "
         "dependencies_inherit_configuration, build, tool)"},
        {HEAD TRIG "[component.hello]\n", "app/spin.toml:7:1: [component.hello]: missing field 'source'"},
        {HEAD TRIG "[component.hello]\nsource = 42\n",
         "app/spin.toml:8:1: [component.hello]: 'source' must be a path string, { url, digest } "
         "or { registry, package, version }, not integer"},
        {HEAD TRIG "[component.hello]\nsource = { url = \"https://x/a.wasm\" }\n",
         "app/spin.toml:8:10: [component.hello]: source: missing field 'digest'"},
        {HEAD TRIG "[component.hello]\nsource = { url = \"https://x/a.wasm\", digest = \"md5:1\" }\n",
         "app/spin.toml:8:10: [component.hello]: source: invalid digest 'md5:1': must start with "
         "'sha256:'"},
        {HEAD TRIG "[component.Hello_World]\nsource = \"a.wasm\"\n",
         "app/spin.toml:7:1: [component.Hello_World]: invalid component id 'Hello_World': words "
         "must be separated with '-', not '_'"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nvariables = { msg = \"{{ nope }}\" }\n",
         "app/spin.toml:7:1: [component.hello]: variables.msg refers to 'nope', which is not "
         "declared in [variables]"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nvariables = { msg = \"{{ open\" }\n",
         "app/spin.toml:9:21: [component.hello]: variables: 'msg': template \"{{ open\": '{{' "
         "without a closing '}}'"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nvariables = { Msg = \"x\" }\n",
         "app/spin.toml:9:15: [component.hello]: variables: invalid variable name 'Msg': words "
         "must be all lowercase or all UPPERCASE"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nallowed_outbound_hosts = "
                   "[\"https://{{ host }}\"]\n",
         "app/spin.toml:7:1: [component.hello]: allowed_outbound_hosts entry 'https://{{ host }}' "
         "refers to 'host', which is not declared in [variables]"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nallowed_outbound_hosts = "
                   "[\"example.com\"]\n",
         "app/spin.toml:7:1: [component.hello]: invalid allowed_outbound_hosts entry "
         "'example.com': expected scheme://host[:port], e.g. \"https://example.com\""},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\n[component.hello.build]\n"
                   "comand = \"make\"\n",
         "app/spin.toml:10:1: [component.hello]: build: unknown field 'comand' (expected one of: "
         "command, workdir, watch)"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nbuild = { workdir = \"x\" }\n",
         "app/spin.toml:9:9: [component.hello]: build: missing field 'command'"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nenvironment = { A = 1 }\n",
         "app/spin.toml:9:17: [component.hello]: 'environment.A' must be a string"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nfiles = [{ source = \"s\" }]\n",
         "app/spin.toml:9:10: [component.hello]: files[0]: missing field 'destination'"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nfiles = [{ source = \"s\", "
                   "destination = \"rel\" }]\n",
         "app/spin.toml:9:10: [component.hello]: files[0]: destination 'rel' must be an absolute "
         "path"},
        /* A destination names a place in the guest's tree, which the host
         * builds under a staging directory: no way out of it is accepted. */
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nfiles = [{ source = \"s\", "
                   "destination = \"/../../../tmp/x\" }]\n",
         "app/spin.toml:9:10: [component.hello]: files[0]: destination '/../../../tmp/x' must not "
         "contain '.' or '..' segments"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nfiles = [\"a\", { source = \"s\", "
                   "destination = \"/data/..\" }]\n",
         "app/spin.toml:9:15: [component.hello]: files[1]: destination '/data/..' must not "
         "contain '.' or '..' segments"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nfiles = [{ source = \"s\", "
                   "destination = \"/./x\" }]\n",
         "app/spin.toml:9:10: [component.hello]: files[0]: destination '/./x' must not contain "
         "'.' or '..' segments"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nfiles = [{ source = \"s\", "
                   "destination = \"/a//b\" }]\n",
         "app/spin.toml:9:10: [component.hello]: files[0]: destination '/a//b' must not contain "
         "an empty segment ('//')"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nfiles = [{ source = \"s\", "
                   "destination = \"/a\\u0000/../../x\" }]\n",
         "app/spin.toml:9:26: [component.hello]: files[0]: 'destination' must not contain NUL "
         "characters"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nkey_value_stores = [\"b@d\"]\n",
         "app/spin.toml:9:21: [component.hello]: invalid label 'b@d' in 'key_value_stores': "
         "expected kebab-case or snake_case"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nexclude_files = \"x\"\n",
         "app/spin.toml:9:1: [component.hello]: 'exclude_files' must be an array of strings, not "
         "string"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\n"
                   "dependencies = { plain = \"1.0\" }\n",
         "app/spin.toml:9:18: [component.hello]: dependencies.\"plain\": dependency must specify "
         "a package name"},
        {HEAD "[[trigger.http]]\nroute = \"/\"\ncomponent = \"missing\"\n",
         "app/spin.toml:4:1: trigger 'missing-http-trigger' refers to component 'missing', which "
         "does not exist"},
        {HEAD "[[trigger.http]]\ncomponent = \"hello\"\n[component.hello]\nsource = \"a\"\n",
         "app/spin.toml:4:1: [[trigger.http]] #1: missing field 'route'"},
        {HEAD "[[trigger.http]]\nroute = \"/\"\n",
         "app/spin.toml:4:1: [[trigger.http]] #1: a trigger must specify either 'component' or "
         "'static_response'"},
        {HEAD "[[trigger.http]]\nroute = \"/\"\ncomponent = \"hello\"\nrouet = \"/x\"\n"
              "[component.hello]\nsource = \"a\"\n",
         "app/spin.toml:7:1: [[trigger.http]] #1: unknown field 'rouet' (expected one of: id, "
         "component, route, executor, static_response)"},
        {HEAD "[[trigger.http]]\nroute = { private = false }\ncomponent = \"hello\"\n"
              "[component.hello]\nsource = \"a\"\n",
         "app/spin.toml:5:1: [[trigger.http]] #1: 'route' must be a path or { private = true }"},
        {HEAD "[[trigger.http]]\nroute = \"/\"\ncomponent = \"hello\"\n"
              "executor = { type = \"cgi\" }\n[component.hello]\nsource = \"a\"\n",
         "app/spin.toml:7:21: [[trigger.http]] #1: executor: unknown executor type 'cgi' "
         "(expected one of: http, spin, wagi)"},
        {HEAD "[[trigger.http]]\nroute = \"/\"\ncomponent = \"hello\"\n"
              "executor = { type = \"spin\", argv = \"x\" }\n[component.hello]\nsource = \"a\"\n",
         "app/spin.toml:7:29: [[trigger.http]] #1: executor: unknown field 'argv' (expected one "
         "of: type)"},
        {HEAD "[trigger.http]\nroute = \"/\"\n",
         "app/spin.toml:4:1: [trigger]: 'http' must be an array of tables ([[trigger.http]]), not "
         "table"},
        {HEAD "[application.trigger.http]\nbase = \"/api\"\n" TRIG
              "[component.hello]\nsource = \"a\"\n",
         "app/spin.toml:5:8: [application.trigger.http]: 'base' is no longer supported: only "
         "\"/\" is accepted, got '/api'"},
        {HEAD "colour = \"red\"\n" TRIG "[component.hello]\nsource = \"a\"\n",
         "app/spin.toml:4:1: [application]: unknown field 'colour' (expected one of: name, "
         "version, description, authors, targets, trigger, tool)"},
        {"spin_manifest_version = 2\n[application]\nversion = \"1\"\n" TRIG,
         "app/spin.toml:2:1: [application]: missing field 'name'"},
        {"spin_manifest_version = 2\n" TRIG, "app/spin.toml:1:1: missing [application] table"},
        {HEAD, "app/spin.toml:1:1: missing field 'trigger': an app needs at least one "
               "[[trigger.<type>]]"},
        {"spin_manifest_version = 3\n", "app/spin.toml:1:25: unsupported spin_manifest_version "
                                        "(expected 2, or \"1\" for old manifests)"},
        {"[application]\nname = \"x\"\n",
         "app/spin.toml:1:1: missing field 'spin_manifest_version' (spin_manifest_version = 2)"},
        {HEAD "extra = 1\n", "app/spin.toml:4:1: [application]: unknown field 'extra' (expected "
                             "one of: name, version, description, authors, targets, trigger, "
                             "tool)"},
        {"spin_manifest_version = 2\n\"bell\\u0007\\u0000\" = 1\n[application]\nname = \"x\"\n",
         "app/spin.toml:2:1: unknown field 'bell\\u0007\\u0000' (expected one of: "
         "spin_manifest_version, application, variables, trigger, component)"},
        {"spin_manifest_version = 2\nextra = 1\n[application]\nname = \"x\"\n",
         "app/spin.toml:2:1: unknown field 'extra' (expected one of: spin_manifest_version, "
         "application, variables, trigger, component)"},
        {HEAD "[variables]\nboth = { default = \"a\", required = true }\n" TRIG,
         "app/spin.toml:5:1: [variables.both]: a required variable cannot have a default"},
        {HEAD "[variables]\nneither = { secret = true }\n" TRIG,
         "app/spin.toml:5:1: [variables.neither]: must be 'required' or have a 'default'"},
        {HEAD "[variables]\nBad-Name = { default = \"a\" }\n" TRIG,
         "app/spin.toml:5:1: [variables]: invalid variable name 'Bad-Name': words must be "
         "separated with '_', not '-'"},
        {HEAD "[variables]\nv = { default = \"a\", sekret = true }\n" TRIG,
         "app/spin.toml:5:22: [variables.v]: unknown field 'sekret' (expected one of: default, "
         "required, secret, description)"},
        {HEAD "[variables]\nv = \"a\"\n" TRIG,
         "app/spin.toml:5:1: [variables]: 'v' must be a table like { default = \"...\" } or { "
         "required = true }, not string"},
        {HEAD TRIG "[component.hello]\nsource = \"a.wasm\"\nallowed_http_hosts = "
                   "[\"example.com/path\"]\n",
         "app/spin.toml:9:1: [component.hello]: invalid 'allowed_http_hosts' entry "
         "'example.com/path': expected a host name with an optional port"},
        {"spin_manifest_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\n"
         "[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n",
         "app/spin.toml:4:1: [[component]] 'a': missing field 'trigger'"},
        {"spin_manifest_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\n"
         "[[component]]\nid = \"a\"\nsource = \"a.wasm\"\nvariables = {}\n"
         "[component.trigger]\nroute = \"/\"\n",
         "app/spin.toml:7:1: [[component]] 'a': unknown field 'variables' (expected one of: id, "
         "source, trigger, description, config, environment, files, exclude_files, "
         "allowed_outbound_hosts, allowed_http_hosts, key_value_stores, sqlite_databases, "
         "ai_models, build)"},
        {"spin_manifest_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\n"
         "[[component]]\nid = \"a-b\"\nsource = \"a.wasm\"\n[component.trigger]\nroute = \"/\"\n"
         "[[component]]\nid = \"a_b\"\nsource = \"a.wasm\"\n[component.trigger]\nroute = \"/b\"\n",
         "app/spin.toml:9:1: [[component]] 'a_b': duplicate component id 'a-b'"},
        {"spin_manifest_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\n"
         "[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n[component.trigger]\nroute = \"/\"\n"
         "wildcard = true\n",
         "app/spin.toml:9:1: [[component]] 'a': trigger: unknown field 'wildcard' (expected one "
         "of: route, executor)"},
        {"spin_manifest_version = \"1\"\ntrigger = { type = \"http\" }\n",
         "app/spin.toml:1:1: missing field 'name'"},
        {"spin_manifest_version = 2\n[application\n", "app/spin.toml:2:13: expected ']' to close "
                                                      "the table header"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        cleanup_free char *msg = parse_error(cases[i].doc);
        if (strcmp(msg, cases[i].msg) != 0)
            fprintf(stderr, "case %zu\n", i);
        CHECK_STR(msg, cases[i].msg);
    }
}

static void test_load_from_directory_and_missing_file(void)
{
    char dir[] = "/tmp/test_manifest_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    cleanup_free char *path = util_xasprintf("%s/spin.toml", dir);
    const char *doc = HEAD TRIG "[component.hello]\nsource = \"hello.wasm\"\n";
    util_error *err = NULL;
    CHECK_INT(util_write_file_atomic(path, doc, strlen(doc), 0644, &err), 0);
    spin_manifest *m = spin_manifest_load(dir, &err);
    CHECK(m != NULL);
    if (m) {
        CHECK_STR(m->path, path);
        CHECK_STR(m->dir, dir);
        CHECK_STR(m->components[0].source.path, "hello.wasm");
    }
    spin_manifest_free(m);
    m = spin_manifest_load(path, &err);
    CHECK(m != NULL);
    spin_manifest_free(m);
    unlink(path);
    rmdir(dir);
    m = spin_manifest_load(dir, &err);
    CHECK(m == NULL);
    cleanup_free char *want =
        util_xasprintf("read Spin manifest: open %s: No such file or directory", dir);
    CHECK_STR(err ? err->msg : NULL, want);
    util_error_free(&err);
}

static void test_toml_errors_pass_through_with_file_name(void)
{
    cleanup_free char *msg = parse_error("spin_manifest_version = 2\nname = \"dup\"\nname = \"x\"\n");
    CHECK_STR(msg, "app/spin.toml:3:1: duplicate key 'name'");
}

/* The fuzzer's seed manifests must stay valid, or fuzzing starts from noise. */
static void test_fuzz_seeds_load(void)
{
    const char *seeds[] = {"v2-http.toml", "v1-http.toml", "v2-redis.toml"};
    int versions[] = {2, 1, 2};
    size_t triggers[] = {3, 1, 1};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(seeds); i++) {
        cleanup_free char *path = util_xasprintf("%s/%s", SEEDS_DIR, seeds[i]);
        util_error *err = NULL;
        spin_manifest *m = spin_manifest_load(path, &err);
        CHECK(m != NULL);
        if (m == NULL) {
            fprintf(stderr, "%s\n", err->msg);
            util_error_free(&err);
            continue;
        }
        CHECK_INT(m->manifest_version, versions[i]);
        CHECK_INT(m->n_triggers, triggers[i]);
        spin_manifest_free(m);
    }
}

int main(void)
{
    RUN(test_v2_manifest_is_read_completely);
    RUN(test_inline_components_and_generated_ids);
    RUN(test_v1_manifest_is_normalised_to_v2);
    RUN(test_v1_redis_app_is_flagged_unsupported);
    RUN(test_errors_name_file_and_field);
    RUN(test_load_from_directory_and_missing_file);
    RUN(test_toml_errors_pass_through_with_file_name);
    RUN(test_fuzz_seeds_load);
    return TEST_SUMMARY();
}
