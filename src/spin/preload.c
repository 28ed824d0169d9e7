/*
 * preload.c - which client libraries a Spin app can use, from its manifest.
 *
 * A container's Spin app runs after pivot_root, where the host's shared
 * libraries are out of sight, so the shim loads them in Task.Create before
 * the fork (spin_preload_libraries).  Loading every library an app *might*
 * use cost a fresh shim about 30 ms (libcurl alone 14-26 ms), most of
 * Create, for apps that use none of them.  spin_app_libraries() reads what
 * the app declares instead:
 *   - libmicrohttpd serves an `http` trigger;
 *   - libcurl carries outgoing HTTP, which Spin allows only to the hosts a
 *     component's allowed_outbound_hosts names with an http, https or `*`
 *     scheme (requests to the app itself, `self` and `*.spin.internal`,
 *     are served in-process and need no client), and a component source
 *     given as { url, digest } is downloaded with it;
 *   - libpq, MariaDB Connector/C and libmosquitto likewise follow the
 *     postgres, mysql and mqtt(s) schemes (a v1 manifest's implicit
 *     database access arrives here as postgres:// and mysql:// entries).
 * The rule is conservative: whatever it does not understand loads
 * everything (a manifest that does not parse, an entry without a plain
 * scheme, an unknown scheme or trigger type, a runtime config naming
 * anything beyond the stores this host keeps in SQLite and redis).
 *
 * It is a pure function of the texts: the caller reads the files (the
 * runner, below the rootfs's host path) and an app that was not given a
 * library later gets the loader's error naming it, never a crash.  The
 * manifest goes through the normal parsers (spin_manifest_parse, or the
 * locked app's JSON reader), so what counts as a trigger or a host entry
 * is what the app loader itself will see.
 */
#include "locked_app.h"
#include "manifest.h"
#include "mhd_load.h"
#include "spinapi.h"
#include "toml.h"
#include "wasi2.h"

#include "spin.h"

#include <string.h>

#define CLIENTS (SPIN_LIB_HTTP_CLIENT | SPIN_LIB_POSTGRES | SPIN_LIB_MYSQL | SPIN_LIB_MQTT)

static bool is_local_http_host(const char *host, size_t len)
{
    static const char internal[] = ".spin.internal";
    size_t n = sizeof(internal) - 1;
    if (len == 4 && memcmp(host, "self", 4) == 0)
        return true;
    return len > n && memcmp(host + len - n, internal, n) == 0;
}

/* The libraries one allowed_outbound_hosts entry (as written) can need. */
static unsigned entry_needs(const char *entry)
{
    if (entry[0] == '\0')
        return 0; /* "no entry" to Spin */
    const char *sep = strstr(entry, "://"), *tpl = strstr(entry, "{{");
    if (sep == NULL || (tpl != NULL && tpl < sep))
        return CLIENTS; /* insecure:allow-all, a templated scheme, or unknown */
    size_t n = (size_t)(sep - entry);
    const char *host = sep + 3;
    size_t host_len = strcspn(host, ":/");
#define SCHEME_IS(s) (n == sizeof(s) - 1 && memcmp(entry, s, n) == 0)
    if (SCHEME_IS("*"))
        return CLIENTS;
    if (SCHEME_IS("http") || SCHEME_IS("https"))
        return is_local_http_host(host, host_len) ? 0 : SPIN_LIB_HTTP_CLIENT;
    if (SCHEME_IS("postgres"))
        return SPIN_LIB_POSTGRES;
    if (SCHEME_IS("mysql"))
        return SPIN_LIB_MYSQL;
    if (SCHEME_IS("mqtt") || SCHEME_IS("mqtts"))
        return SPIN_LIB_MQTT;
    if (SCHEME_IS("redis") || SCHEME_IS("rediss"))
        return 0; /* hiredis is linked, not loaded */
#undef SCHEME_IS
    return CLIENTS;
}

static unsigned hosts_needs(const spin_strv *hosts)
{
    unsigned needs = 0;
    for (size_t i = 0; i < hosts->len; i++)
        needs |= entry_needs(hosts->items[i]);
    return needs;
}

/* A { url, digest } source is downloaded with libcurl (url_source.c). */
static unsigned source_needs(const char *uri)
{
    return uri && strncmp(uri, "file:", 5) != 0 ? SPIN_LIB_HTTP_CLIENT : 0;
}

static unsigned trigger_needs(const char *type)
{
    if (strcmp(type, "http") == 0)
        return SPIN_LIB_HTTP_SERVER;
    if (strcmp(type, "redis") == 0)
        return 0; /* hiredis */
    return SPIN_LIB_ALL; /* a trigger type this rule does not know */
}

static unsigned toml_manifest_needs(const char *text, size_t len)
{
    util_error *err = NULL;
    cleanup_manifest spin_manifest *m = spin_manifest_parse(text, len, "spin.toml", &err);
    if (m == NULL) {
        util_error_free(&err);
        return SPIN_LIB_ALL; /* the app reports what is wrong when it runs */
    }
    unsigned needs = m->n_triggers ? 0 : SPIN_LIB_ALL;
    for (size_t i = 0; i < m->n_triggers; i++)
        needs |= trigger_needs(m->triggers[i].type);
    for (size_t i = 0; i < m->n_components; i++)
        needs |= hosts_needs(&m->components[i].allowed_outbound_hosts) |
                 (m->components[i].source.kind == SPIN_SOURCE_URL ? SPIN_LIB_HTTP_CLIENT : 0);
    return needs;
}

static unsigned locked_app_needs(const char *text, size_t len)
{
    util_error *err = NULL;
    cleanup_locked_app spin_locked_app *app = NULL;
    if (spin_locked_app_from_json(text, len, &app, &err) < 0) {
        util_error_free(&err);
        return SPIN_LIB_ALL;
    }
    unsigned needs = app->n_triggers ? 0 : SPIN_LIB_ALL;
    for (size_t i = 0; i < app->n_triggers; i++)
        needs |= trigger_needs(app->triggers[i].trigger_type);
    for (size_t i = 0; i < app->n_components; i++)
        needs |= hosts_needs(&app->components[i].allowed_outbound_hosts) |
                 source_needs(app->components[i].source.source);
    return needs;
}

/* Each entry of a store table names a type this host keeps without a
 * loaded client ("spin": SQLite; "redis": hiredis). */
static bool stores_are_local(const toml_value *table, const char *also)
{
    if (!toml_is(table, TOML_TABLE))
        return false;
    for (size_t i = 0; i < util_toml_len(table); i++) {
        const char *type = util_toml_string(util_toml_get(util_toml_entry_at(table, i)->value,
                                                          "type"));
        if (type == NULL ||
            (strcmp(type, "spin") != 0 && (also == NULL || strcmp(type, also) != 0)))
            return false;
    }
    return true;
}

static bool providers_are_env(const toml_value *array)
{
    if (!toml_is(array, TOML_ARRAY))
        return false;
    for (size_t i = 0; i < util_toml_len(array); i++) {
        const char *type = util_toml_string(util_toml_get(util_toml_array_at(array, i), "type"));
        if (type == NULL || strcmp(type, "env") != 0)
            return false;
    }
    return true;
}

static unsigned runtime_config_needs(const char *text, size_t len)
{
    util_error *err = NULL;
    cleanup_toml toml_value *doc = util_toml_parse(text, len, "runtime-config.toml", &err);
    if (doc == NULL) {
        util_error_free(&err);
        return SPIN_LIB_ALL;
    }
    for (size_t i = 0; i < util_toml_len(doc); i++) {
        const toml_entry *e = util_toml_entry_at(doc, i);
        bool harmless = strcmp(e->key, "state_dir") == 0 || strcmp(e->key, "log_dir") == 0 ||
                        strcmp(e->key, "max_instance_memory") == 0;
        if (strcmp(e->key, "key_value_store") == 0)
            harmless = stores_are_local(e->value, "redis");
        else if (strcmp(e->key, "sqlite_database") == 0)
            harmless = stores_are_local(e->value, NULL);
        else if (strcmp(e->key, "variables_provider") == 0 ||
                 strcmp(e->key, "config_provider") == 0)
            harmless = providers_are_env(e->value);
        if (!harmless)
            return SPIN_LIB_ALL;
    }
    return 0;
}

unsigned spin_app_libraries(const char *manifest, size_t manifest_len, bool locked_json,
                            const char *runtime_config, size_t runtime_config_len)
{
    if (manifest == NULL)
        return SPIN_LIB_ALL;
    unsigned needs = locked_json ? locked_app_needs(manifest, manifest_len)
                                 : toml_manifest_needs(manifest, manifest_len);
    if (runtime_config != NULL)
        needs |= runtime_config_needs(runtime_config, runtime_config_len);
    return needs;
}

int spin_preload_libraries(unsigned libs, util_error **err)
{
    /* The clients guests reach the network through are dlopen'd too:
     * load them while the host's libraries (and CA bundle) are in sight. */
    if (libs & SPIN_LIB_HTTP_CLIENT)
        wasi2_http_outgoing_preload();
    unsigned clients = (libs & SPIN_LIB_POSTGRES ? SPINAPI_CLIENT_POSTGRES : 0) |
                       (libs & SPIN_LIB_MYSQL ? SPINAPI_CLIENT_MYSQL : 0) |
                       (libs & SPIN_LIB_MQTT ? SPINAPI_CLIENT_MQTT : 0);
    spinapi_preload_clients(clients);
    if (libs & SPIN_LIB_HTTP_SERVER)
        return spin_mhd_load(err) ? 0 : -1;
    return 0;
}
