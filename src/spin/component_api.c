/*
 * component_api.c - the spinapi_component of one locked component: what
 * src/spinapi needs to serve its host APIs, taken from the app model (the
 * component's `variables` rendered against the app's resolved variables,
 * its key_value_stores and sqlite_databases) and from the app's stores
 * (runtime_stores.c).
 *
 * Labels the component lists but no backend defines fail here, at start,
 * with Spin's wording, so a typo in spin.toml is not a runtime
 * no-such-store.  The spinapi_component copies what it keeps, so the
 * rendered variables are freed before returning.
 */
#include "component_api.h"
#include "outbound_hosts.h"

#include <string.h>

static spinapi_backend *backends_of(const spin_store_backend *list, size_t n)
{
    spinapi_backend *out = util_xcalloc(n ? n : 1, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = (spinapi_backend){list[i].label, list[i].kind, list[i].location};
    return out;
}

static bool defined(const spin_store_backend *list, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].label, label) == 0)
            return true;
    return false;
}

static int check_labels(const spin_locked_component *c, const spin_app_stores *stores,
                        util_error **err)
{
    for (size_t i = 0; i < c->key_value_stores.len; i++)
        if (!defined(stores->kv, stores->nkv, c->key_value_stores.items[i]))
            return util_error_set(err, 0,
                                  "unknown key_value_stores label \"%s\" for component \"%s\" "
                                  "(define it in the runtime config as [key_value_store.%s])",
                                  c->key_value_stores.items[i], c->id,
                                  c->key_value_stores.items[i]);
    for (size_t i = 0; i < c->databases.len; i++)
        if (!defined(stores->sql, stores->nsql, c->databases.items[i]))
            return util_error_set(err, 0,
                                  "One or more components use SQLite databases which are not "
                                  "defined: component %s uses database '%s' (define it in the "
                                  "runtime config as [sqlite_database.%s])",
                                  c->id, c->databases.items[i], c->databases.items[i]);
    return 0;
}

spinapi_component *spin_component_api_new(const spin_locked_component *c,
                                          const spin_resolved_vars *vars,
                                          const spin_app_stores *stores,
                                          spin_outbound_hosts *outbound, util_error **err)
{
    if (check_labels(c, stores, err) < 0)
        return NULL;
    spin_kv *rendered = NULL;
    size_t nrendered = 0;
    if (spin_component_variables_render(c, vars, &rendered, &nrendered, err) < 0)
        return NULL;
    spinapi_pair *pairs = util_xcalloc(nrendered ? nrendered : 1, sizeof(*pairs));
    for (size_t i = 0; i < nrendered; i++)
        pairs[i] = (spinapi_pair){rendered[i].key, rendered[i].value};
    spinapi_backend *kv = backends_of(stores->kv, stores->nkv);
    spinapi_backend *sql = backends_of(stores->sql, stores->nsql);
    spinapi_component_config cfg = {
        .id = c->id,
        .variables = pairs,
        .nvariables = nrendered,
        .key_value_stores = (const char *const *)c->key_value_stores.items,
        .nkey_value_stores = c->key_value_stores.len,
        .sqlite_databases = (const char *const *)c->databases.items,
        .nsqlite_databases = c->databases.len,
        .ai_models = (const char *const *)c->ai_models.items,
        .nai_models = c->ai_models.len,
        .kv_backends = kv,
        .nkv_backends = stores->nkv,
        .sqlite_backends = sql,
        .nsqlite_backends = stores->nsql,
        /* allowed_outbound_hosts, for the network clients (redis) */
        .outbound_allowed = spin_outbound_hosts_allowed_cb,
        .outbound_self = outbound,
    };
    spinapi_component *api = spinapi_component_new(&cfg, err);
    free(kv);
    free(sql);
    free(pairs);
    spin_kv_array_free(rendered, nrendered);
    return api;
}
