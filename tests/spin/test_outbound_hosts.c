/*
 * Unit tests of allowed_outbound_hosts (src/spin/outbound_hosts.c), after
 * the cases of Spin's own tests (outbound-networking-config,
 * allowed_hosts.rs): what parses, what is refused with which words, and
 * which requests an accepted list allows.
 */
#include "outbound_hosts.h"
#include "test.h"

static spin_outbound_hosts *policy(const char *const *entries, size_t n)
{
    util_error *err = NULL;
    spin_outbound_hosts *p = spin_outbound_hosts_parse(entries, n, &err);
    if (p == NULL) {
        fprintf(stderr, "unexpected error: %s\n", err->msg);
        util_error_free(&err);
    }
    CHECK(p != NULL);
    return p;
}

static spin_outbound_hosts *one(const char *entry)
{
    return policy(&entry, 1);
}

/* The error message of a refused entry (malloc'd), or NULL if it parsed. */
static char *refusal(const char *entry)
{
    util_error *err = NULL;
    spin_outbound_hosts *p = spin_outbound_hosts_parse(&entry, 1, &err);
    if (p != NULL) {
        spin_outbound_hosts_free(p);
        return NULL;
    }
    char *msg = util_xstrdup(err->msg);
    util_error_free(&err);
    return msg;
}

static void check_refused(const char *entry)
{
    cleanup_free char *msg = refusal(entry);
    if (msg == NULL)
        fprintf(stderr, "expected %s to be refused\n", entry);
    CHECK(msg != NULL);
}

static void test_default_and_explicit_ports(void)
{
    spin_outbound_hosts *p = one("http://spin.fermyon.dev");
    CHECK(spin_outbound_hosts_allows(p, "http", "spin.fermyon.dev", 80));
    CHECK(spin_outbound_hosts_allows(p, "http", "spin.fermyon.dev", 0));
    CHECK(!spin_outbound_hosts_allows(p, "http", "spin.fermyon.dev", 8080));
    CHECK(!spin_outbound_hosts_allows(p, "https", "spin.fermyon.dev", 443));
    spin_outbound_hosts_free(p);

    p = one("https://spin.fermyon.dev/"); /* a trailing slash is fine */
    CHECK(spin_outbound_hosts_allows(p, "https", "spin.fermyon.dev", 443));
    CHECK(spin_outbound_hosts_allows(p, "https", "SPIN.fermyon.dev", 0));
    spin_outbound_hosts_free(p);

    p = one("http://spin.fermyon.dev:4444/");
    CHECK(spin_outbound_hosts_allows(p, "http", "spin.fermyon.dev", 4444));
    CHECK(!spin_outbound_hosts_allows(p, "http", "spin.fermyon.dev", 80));
    spin_outbound_hosts_free(p);

    /* A range excludes its end, as Rust's a..b does. */
    p = one("http://spin.fermyon.dev:4444..5555");
    CHECK(spin_outbound_hosts_allows(p, "http", "spin.fermyon.dev", 4444));
    CHECK(spin_outbound_hosts_allows(p, "http", "spin.fermyon.dev", 5554));
    CHECK(!spin_outbound_hosts_allows(p, "http", "spin.fermyon.dev", 5555));
    CHECK(!spin_outbound_hosts_allows(p, "http", "spin.fermyon.dev", 4443));
    spin_outbound_hosts_free(p);

    p = one("postgres://db.example.com"); /* well-known ports beyond HTTP */
    CHECK(spin_outbound_hosts_allows(p, "postgres", "db.example.com", 5432));
    CHECK(!spin_outbound_hosts_allows(p, "postgres", "db.example.com", 5433));
    spin_outbound_hosts_free(p);
}

static void test_wildcards(void)
{
    spin_outbound_hosts *p = one("*://*:*");
    CHECK(spin_outbound_hosts_allows(p, "http", "anything.example", 1));
    CHECK(spin_outbound_hosts_allows(p, "mqtt", "10.1.2.3", 65535));
    CHECK(spin_outbound_hosts_allows(p, "http", NULL, 0));
    spin_outbound_hosts_free(p);

    p = one("*://spin.fermyon.dev:7777");
    CHECK(spin_outbound_hosts_allows(p, "http", "spin.fermyon.dev", 7777));
    CHECK(spin_outbound_hosts_allows(p, "https", "spin.fermyon.dev", 7777));
    CHECK(!spin_outbound_hosts_allows(p, "https", "spin.fermyon.dev", 443));
    spin_outbound_hosts_free(p);

    const char *subs[] = {"http://*.example.com", "http://*.example2.com:8383"};
    p = policy(subs, 2);
    CHECK(spin_outbound_hosts_allows(p, "http", "a.example.com", 0));
    CHECK(spin_outbound_hosts_allows(p, "http", "a.b.example.com", 80));
    CHECK(spin_outbound_hosts_allows(p, "http", "a.b.example2.com", 8383));
    CHECK(!spin_outbound_hosts_allows(p, "http", "a.b.example2.com", 80));
    CHECK(!spin_outbound_hosts_allows(p, "http", "example.com", 80));
    CHECK(!spin_outbound_hosts_allows(p, "http", "example.com", 8383));
    CHECK(!spin_outbound_hosts_allows(p, "http", "myexample.com", 80));
    spin_outbound_hosts_free(p);

    p = one("http://*.Example.COM"); /* case-insensitive */
    CHECK(spin_outbound_hosts_allows(p, "http", "foo.example.com", 80));
    CHECK(!spin_outbound_hosts_allows(p, "http", "example.com", 80));
    spin_outbound_hosts_free(p);

    const char *specific[] = {"*://spin.fermyon.dev:443", "http://example.com:8383"};
    p = policy(specific, 2);
    CHECK(spin_outbound_hosts_allows(p, "http", "example.com", 8383));
    CHECK(spin_outbound_hosts_allows(p, "https", "spin.fermyon.dev", 0));
    CHECK(!spin_outbound_hosts_allows(p, "http", "example.com", 80));
    CHECK(!spin_outbound_hosts_allows(p, "http", "google.com", 80));
    spin_outbound_hosts_free(p);
}

static void test_addresses_and_cidrs(void)
{
    spin_outbound_hosts *p = one("http://192.168.1.1:3002");
    CHECK(spin_outbound_hosts_allows(p, "http", "192.168.1.1", 3002));
    CHECK(!spin_outbound_hosts_allows(p, "http", "192.168.1.2", 3002));
    spin_outbound_hosts_free(p);

    p = one("http://127.0.0.1:8080"); /* WHATWG IPv4 forms are the same address */
    CHECK(spin_outbound_hosts_allows(p, "http", "127.1", 8080));
    CHECK(spin_outbound_hosts_allows(p, "http", "0x7f.0.0.1", 8080));
    CHECK(!spin_outbound_hosts_allows(p, "http", "localhost", 8080));
    spin_outbound_hosts_free(p);

    p = one("http://[::1]");
    CHECK(spin_outbound_hosts_allows(p, "http", "::1", 80));
    CHECK(spin_outbound_hosts_allows(p, "http", "[::1]", 0));
    CHECK(spin_outbound_hosts_allows(p, "http", "0:0::1", 80));
    CHECK(!spin_outbound_hosts_allows(p, "http", "::2", 80));
    CHECK(!spin_outbound_hosts_allows(p, "http", "::1", 81));
    spin_outbound_hosts_free(p);

    p = one("http://[::1]:8000..9000");
    CHECK(spin_outbound_hosts_allows(p, "http", "::1", 8500));
    spin_outbound_hosts_free(p);

    p = one("*://127.0.0.1/24:63551");
    CHECK(spin_outbound_hosts_allows(p, "tcp", "127.0.0.1", 63551));
    CHECK(spin_outbound_hosts_allows(p, "tcp", "127.0.0.200", 63551));
    CHECK(!spin_outbound_hosts_allows(p, "tcp", "127.0.1.1", 63551));
    CHECK(!spin_outbound_hosts_allows(p, "tcp", "localhost", 63551));
    spin_outbound_hosts_free(p);

    p = one("http://2001:db8::/32");
    CHECK(spin_outbound_hosts_allows(p, "http", "2001:db8::1", 80));
    CHECK(spin_outbound_hosts_allows(p, "http", "[2001:db8:abcd::1]", 80));
    CHECK(!spin_outbound_hosts_allows(p, "http", "2001:db9::1", 80));
    spin_outbound_hosts_free(p);

    p = one("http://2001:db8::/32:443");
    CHECK(spin_outbound_hosts_allows(p, "http", "2001:db8::1", 443));
    CHECK(!spin_outbound_hosts_allows(p, "http", "2001:db8::1", 80));
    spin_outbound_hosts_free(p);

    p = one("http://10.0.0.0/8");
    CHECK(spin_outbound_hosts_allows(p, "http", "10.200.3.4", 0));
    spin_outbound_hosts_free(p);
}

static void test_self_and_service_chaining(void)
{
    spin_outbound_hosts *p = one("http://self");
    CHECK(spin_outbound_hosts_allows(p, "http", NULL, 0));
    CHECK(!spin_outbound_hosts_allows(p, "https", NULL, 0));
    /* a host literally named self is not the app */
    CHECK(!spin_outbound_hosts_allows(p, "http", "self", 80));
    spin_outbound_hosts_free(p);

    p = one("http://example.com");
    CHECK(!spin_outbound_hosts_allows(p, "http", NULL, 0));
    spin_outbound_hosts_free(p);

    p = one("http://*.spin.internal");
    CHECK(!spin_outbound_hosts_allows(p, "http", "first.spin.internal", 80));
    const char *ids[] = {"first", "second"};
    spin_outbound_hosts_set_components(p, ids, 2);
    CHECK(spin_outbound_hosts_allows(p, "http", "first.spin.internal", 80));
    CHECK(spin_outbound_hosts_allows(p, "http", "second.spin.internal", 80));
    CHECK(!spin_outbound_hosts_allows(p, "http", "third.spin.internal", 80));
    spin_outbound_hosts_free(p);
}

static void test_templates_may_resolve_to_nothing(void)
{
    util_error *err = NULL;
    spin_outbound_hosts *p = spin_outbound_hosts_new();
    CHECK_INT(spin_outbound_hosts_add(p, "https://", true, &err), 0);
    CHECK_INT(spin_outbound_hosts_add(p, "", true, &err), 0);
    CHECK_INT(spin_outbound_hosts_add(p, "https://three", true, &err), 0);
    CHECK(spin_outbound_hosts_allows(p, "https", "three", 443));
    CHECK(!spin_outbound_hosts_allows(p, "https", "", 443));
    /* a literal empty entry is still an error */
    CHECK_INT(spin_outbound_hosts_add(p, "https://", false, &err), -1);
    util_error_free(&err);
    CHECK_INT(spin_outbound_hosts_add(p, "zootle! wurdl!", true, &err), -1);
    util_error_free(&err);
    spin_outbound_hosts_free(p);

    /* the callback form, and NULL allows nothing */
    p = one("http://localhost:3001");
    CHECK(spin_outbound_hosts_allowed_cb(p, "http", "localhost", 3001));
    CHECK(!spin_outbound_hosts_allowed_cb(p, "http", "localhost", 3002));
    CHECK(!spin_outbound_hosts_allowed_cb(NULL, "http", "localhost", 3001));
    spin_outbound_hosts_free(p);
}

static void test_refusals(void)
{
    static const char *const bad[] = {
        "spin.fermyon.dev", "spin.fermyon.dev:80", "localhost:3001", "http://spin.fermyon.dev/a",
        "http://spin.fermyon.dev:6666/a/b", "http://*.fermyon.dev/a", "*://127.0.0.0/24",
        "http://example.com:notaport", "http://example.com:8080..70000", "http://self:notaport",
        "http://self.alt:notaport", "http://*:notaport", "http://127.0.0.1:notaport",
        "http://[::1]:notaport", "http://*.example.com:notaport", "http://*.example.com:8080..",
        "http://*.example.com:8O8O", "http://example.com:8080/p", "http://*.example.com:8080/p",
        "http://*.example.com/p", "http://127.0.0.0/24/p", "http://[::1junk", "http://*.",
        "http://*.:8080", "example.com:8080", "http://example%.com", "http://example%2.com",
        "http://example%GG.com", "http://exa[mple.com", "http://exa\\mple.com",
        "http://example.com:80:90", "http://[vG.example]", "http://[::1]/foo",
        "http://ff00::/8/extra", "http://[::1", "http://[::1]junk", "http://[::1]::80",
        "http://[v1.]", "[::1]", "[::1]:8080", "http://example.com//", "http://*.example.com//",
        "http://self//", "http://[::1]//", "http://*.127.0.0.1", "http://*.192.168.001.001",
        "http://*.[::1]", "http://*.[2001:db8::1]", "}{ !!**", "ht-tp://example.com",
        "{http,https}://example.com", "http://{a,b}.com", "http://example.com:{80,81}",
        "http://a*b.example.com", "http://*.a*.example.com"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        check_refused(bad[i]);

    static const char *const port_errors[] = {"http://example.com:99999", "http://[::1]:99999",
                                              "http://ff00::/8:99999",
                                              "http://*.example.com:99999"};
    for (size_t i = 0; i < sizeof(port_errors) / sizeof(port_errors[0]); i++) {
        cleanup_free char *msg = refusal(port_errors[i]);
        CHECK(msg != NULL && strstr(msg, "Invalid allowed host port \"99999\": port \"99999\" "
                                         "is not a number") != NULL);
        CHECK(msg != NULL && strstr(msg, port_errors[i]) != NULL); /* names the entry */
    }
}

static void test_refusals_are_worded_as_spin_words_them(void)
{
    cleanup_free char *all = refusal("insecure:allow-all");
    CHECK_STR(all, "'insecure:allow-all' is not allowed - use '*://*:*' instead if you really "
                   "want to allow all outbound traffic'");
    /* among others it is just an entry without a scheme */
    const char *two[] = {"http://spin.fermyon.dev", "insecure:allow-all"};
    util_error *err = NULL;
    CHECK(spin_outbound_hosts_parse(two, 2, &err) == NULL);
    CHECK(err != NULL && strstr(err->msg, "\"insecure:allow-all\" does not contain a scheme "
                                          "(e.g., 'http://' or '*://')") != NULL);
    util_error_free(&err);

    cleanup_free char *star = refusal("*");
    CHECK(star != NULL && strstr(star, "\"*\" is not an allowed outbound host format.") != NULL);
    cleanup_free char *path = refusal("http://spin.fermyon.dev:6666/a/b");
    CHECK(path != NULL &&
          strstr(path, "\"http://spin.fermyon.dev:6666/a/b\" has a path but is not allowed to"));
    cleanup_free char *noport = refusal("*://127.0.0.0/24");
    CHECK(noport != NULL && strstr(noport, "Invalid allowed host port \"\": no port was provided "
                                           "and the scheme \"*\" does not have a known default "
                                           "port number"));
    cleanup_free char *scheme = refusal("ht-tp://example.com:80");
    CHECK(scheme != NULL && strstr(scheme, "Invalid allowed host scheme \"ht-tp\": only "
                                           "alphabetic characters are allowed"));
    cleanup_free char *wild = refusal("http://a*b.example.com");
    CHECK(wild != NULL && strstr(wild, "Invalid allowed host \"a*b.example.com\": wildcards are "
                                       "allowed only as subdomains"));
    cleanup_free char *range = refusal("http://example.com:1..x");
    CHECK(range != NULL && strstr(range, "port range \"1..x\" contains non-number"));
}

static const char *variable(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "api_host") == 0)
        return "api.example.com";
    if (strcmp(name, "port") == 0)
        return "8443";
    if (strcmp(name, "optional") == 0)
        return "";
    return NULL;
}

static spin_locked_app *locked(const char *json)
{
    spin_locked_app *app = NULL;
    util_error *err = NULL;
    if (spin_locked_app_from_json(json, strlen(json), &app, &err) < 0) {
        fprintf(stderr, "locked app: %s\n", err->msg);
        util_error_free(&err);
    }
    CHECK(app != NULL);
    return app;
}

#define COMPONENT(id, hosts)                                                                    \
    "{\"id\":\"" id "\",\"metadata\":{\"allowed_outbound_hosts\":[" hosts "]},"               \
    "\"source\":{\"content_type\":\"application/wasm\",\"source\":\"file:///a.wasm\"}}"

/* A component of a locked app: templates rendered with the variables, an
 * empty rendering dropped, service chaining to the app's components. */
static void test_policy_of_a_locked_component(void)
{
    spin_locked_app *app = locked(
        "{\"spin_lock_version\":1,\"triggers\":[],\"components\":["
        COMPONENT("front", "\"https://{{ api_host }}:{{ port }}\",\"{{ optional }}\","
                           "\"http://*.spin.internal\"")
        "," COMPONENT("back", "\"https://{{ missing }}\"")
        "," COMPONENT("old", "\"insecure:allow-all\"") "]}");
    if (app == NULL)
        return;
    util_error *err = NULL;
    spin_outbound_hosts *p =
        spin_outbound_hosts_for_component(app, &app->components[0], variable, NULL, &err);
    CHECK(p != NULL);
    CHECK(spin_outbound_hosts_allows(p, "https", "api.example.com", 8443));
    CHECK(!spin_outbound_hosts_allows(p, "https", "api.example.com", 443));
    CHECK(spin_outbound_hosts_allows(p, "http", "back.spin.internal", 80));
    CHECK(!spin_outbound_hosts_allows(p, "http", "other.spin.internal", 80));
    spin_outbound_hosts_free(p);

    CHECK(spin_outbound_hosts_for_component(app, &app->components[1], variable, NULL, &err) ==
          NULL);
    CHECK(err != NULL && strstr(err->msg, "component back") != NULL &&
          strstr(err->msg, "missing") != NULL);
    util_error_free(&err);
    CHECK(spin_outbound_hosts_for_component(app, &app->components[2], variable, NULL, &err) ==
          NULL);
    CHECK(err != NULL && strstr(err->msg, "'insecure:allow-all' is not allowed") != NULL);
    util_error_free(&err);
    spin_locked_app_free(app);
}

/* The schemes src/wasi2 asks for sockets (Spin's check of a socket
 * address): a TCP connect is "tcp", every UDP use "udp"; each matches its
 * own entries and `*://` ones, never the other's or an HTTP one; a bind
 * to any port (port 0) only an entry allowing every port. */
static void test_socket_schemes(void)
{
    const char *entries[] = {"udp://127.0.0.1:53", "tcp://127.0.0.2:5001", "*://10.0.0.1:*",
                             "http://127.0.0.3:80"};
    spin_outbound_hosts *p = policy(entries, 4);
    CHECK(spin_outbound_hosts_allows(p, "udp", "127.0.0.1", 53));
    CHECK(!spin_outbound_hosts_allows(p, "tcp", "127.0.0.1", 53));
    CHECK(!spin_outbound_hosts_allows(p, "udp", "127.0.0.1", 0));
    CHECK(spin_outbound_hosts_allows(p, "tcp", "127.0.0.2", 5001));
    CHECK(!spin_outbound_hosts_allows(p, "udp", "127.0.0.2", 5001));
    CHECK(spin_outbound_hosts_allows(p, "udp", "10.0.0.1", 0));
    CHECK(spin_outbound_hosts_allows(p, "tcp", "10.0.0.1", 9));
    CHECK(!spin_outbound_hosts_allows(p, "tcp", "127.0.0.3", 80));
    CHECK(!spin_outbound_hosts_allows(p, "udp", "127.0.0.3", 80));
    spin_outbound_hosts_free(p);
}

int main(void)
{
    RUN(test_default_and_explicit_ports);
    RUN(test_wildcards);
    RUN(test_addresses_and_cidrs);
    RUN(test_self_and_service_chaining);
    RUN(test_templates_may_resolve_to_nothing);
    RUN(test_refusals);
    RUN(test_refusals_are_worded_as_spin_words_them);
    RUN(test_policy_of_a_locked_component);
    RUN(test_socket_schemes);
    return TEST_SUMMARY();
}
