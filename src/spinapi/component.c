/*
 * component.c - the spinapi_component (one per Spin component: its
 * variables, the labels it may open, the backends behind them), the
 * per-instance spinapi_ctx, the SQLite backends' lazy opening, and
 * spinapi_define, which registers every interface of the layer.
 *
 * The component copies its configuration so that the Spin layer may free
 * what it rendered.  A backend is opened on first use, under its mutex, so
 * an app whose components never touch a store never creates its file (as
 * Spin opens the connection on first use too).  Handles the guest holds
 * (stores, buckets, connections) point at the component's backends; the
 * component outlives every instance, so they stay valid until dropped.
 * An in-memory backend (no state dir) is the component's own: components
 * of one app share a store only through a file, where Spin's process would
 * share the memory one too.
 */
#include "redis_client.h"

#include <string.h>

/* ---- configuration ---------------------------------------------------- */

static char **copy_labels(const char *const *labels, size_t n)
{
    char **out = util_xcalloc(n ? n : 1, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = util_xstrdup(labels[i]);
    return out;
}

static void free_labels(char **labels, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
}

static int copy_backends(const spinapi_backend *b, size_t n, bool key_value, const char *what,
                         spinapi_db **out, util_error **err)
{
    spinapi_db *dbs = util_xcalloc(n ? n : 1, sizeof(*dbs));
    *out = dbs;
    for (size_t i = 0; i < n; i++) {
        if (b[i].label == NULL)
            return util_error_set(err, 0, "%s backend %zu has no label", what, i);
        if (b[i].kind != SPINAPI_BACKEND_SQLITE_MEMORY && b[i].location == NULL)
            return util_error_set(err, 0, "%s '%s': no %s", what, b[i].label,
                                  b[i].kind == SPINAPI_BACKEND_REDIS ? "url" : "path");
        if (!key_value && b[i].kind == SPINAPI_BACKEND_REDIS)
            return util_error_set(err, 0, "%s '%s': a SQLite database cannot be redis", what,
                                  b[i].label);
        dbs[i].label = util_xstrdup(b[i].label);
        dbs[i].kind = b[i].kind;
        dbs[i].location = b[i].kind == SPINAPI_BACKEND_SQLITE_MEMORY ? NULL
                                                                       : util_xstrdup(b[i].location);
        dbs[i].key_value = key_value;
        pthread_mutex_init(&dbs[i].lock, NULL);
    }
    return 0;
}

static void free_backends(spinapi_db *dbs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (dbs[i].label == NULL)
            continue;
        if (dbs[i].db)
            sqlite3_close_v2(dbs[i].db);
        spinapi_kv_redis_close(&dbs[i]);
        pthread_mutex_destroy(&dbs[i].lock);
        free(dbs[i].label);
        free(dbs[i].location);
    }
    free(dbs);
}

spinapi_component *spinapi_component_new(const spinapi_component_config *config,
                                         util_error **err)
{
    spinapi_component *c = util_xcalloc(1, sizeof(*c));
    c->id = util_xstrdup(config->id ? config->id : "");
    c->vars = util_xcalloc(config->nvariables ? config->nvariables : 1, sizeof(*c->vars));
    for (size_t i = 0; i < config->nvariables; i++) {
        c->vars[i].name = util_xstrdup(config->variables[i].name);
        c->vars[i].value = util_xstrdup(config->variables[i].value);
    }
    c->nvars = config->nvariables;
    c->kv_allowed = copy_labels(config->key_value_stores, config->nkey_value_stores);
    c->nkv_allowed = config->nkey_value_stores;
    c->sql_allowed = copy_labels(config->sqlite_databases, config->nsqlite_databases);
    c->nsql_allowed = config->nsqlite_databases;
    c->ai_models = copy_labels(config->ai_models, config->nai_models);
    c->nai_models = config->nai_models;
    c->outbound_allowed = config->outbound_allowed;
    c->outbound_self = config->outbound_self;
    c->nkv = config->nkv_backends;
    c->nsql = config->nsqlite_backends;
    if (copy_backends(config->kv_backends, config->nkv_backends, true, "key-value store",
                      &c->kv, err) < 0 ||
        copy_backends(config->sqlite_backends, config->nsqlite_backends, false,
                      "sqlite database", &c->sql, err) < 0) {
        util_error_wrap(err, "component %s", c->id);
        spinapi_component_free(c);
        return NULL;
    }
    return c;
}

void spinapi_component_free(spinapi_component *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nvars; i++) {
        free((char *)c->vars[i].name);
        free((char *)c->vars[i].value);
    }
    free(c->vars);
    free_labels(c->kv_allowed, c->nkv_allowed);
    free_labels(c->sql_allowed, c->nsql_allowed);
    free_labels(c->ai_models, c->nai_models);
    free_backends(c->kv, c->nkv);
    free_backends(c->sql, c->nsql);
    free(c->id);
    free(c);
}

spinapi_ctx *spinapi_ctx_new(spinapi_component *c)
{
    spinapi_ctx *ctx = util_xcalloc(1, sizeof(*ctx));
    ctx->c = c;
    return ctx;
}

void spinapi_ctx_set_deadline(spinapi_ctx *ctx, uint64_t monotonic_ns)
{
    ctx->deadline_ns = monotonic_ns;
}

void spinapi_ctx_free(spinapi_ctx *ctx)
{
    if (ctx == NULL)
        return;
    /* Spin 1 stores the guest never closed (resources die with the instance). */
    for (size_t i = 0; i < SPINAPI_V1_TABLE_SIZE; i++)
        spinapi_kv_handle_free((uintptr_t)ctx->v1_stores[i]);
    spinapi_redis_close_all(ctx);
    spinapi_pg_close_all(ctx);
    spinapi_mysql_close_all(ctx);
    spinapi_mqtt_close_all(ctx);
    free(ctx);
}

/* ---- backends --------------------------------------------------------- */

spinapi_db *spinapi_db_find(spinapi_db *dbs, size_t n, const char *label, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(dbs[i].label) == len && memcmp(dbs[i].label, label, len) == 0)
            return &dbs[i];
    return NULL;
}

bool spinapi_allowed(char *const *allowed, size_t n, const char *label, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(allowed[i]) == len && memcmp(allowed[i], label, len) == 0)
            return true;
    return false;
}

/* Creates the directories above a database file, as Spin does. */
static int make_parent_dirs(const char *path, util_error **err)
{
    cleanup_free char *dir = util_xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    return util_mkdir_p(dir, 0755, err);
}

/* An SQL statement on a fresh connection; -1 with SQLite's message. */
static int exec_setup(sqlite3 *db, const char *sql, const char *what, util_error **err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        util_error_set(err, 0, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Guests may ATTACH only temporary and in-memory databases, never a file
 * of the host (Spin's authorizer does the same). */
static int deny_attach_files(void *unused, int action, const char *a, const char *b,
                             const char *c, const char *d)
{
    (void)unused, (void)b, (void)c, (void)d;
    if (action == SQLITE_ATTACH && a != NULL && a[0] != '\0' && strcmp(a, ":memory:") != 0)
        return SQLITE_DENY;
    return SQLITE_OK;
}

static int db_open(spinapi_db *d, util_error **err)
{
    if (d->kind == SPINAPI_BACKEND_REDIS)
        return spinapi_kv_redis_connect(d, err);
    const char *path = d->kind == SPINAPI_BACKEND_SQLITE_FILE ? d->location : ":memory:";
    if (d->kind == SPINAPI_BACKEND_SQLITE_FILE && make_parent_dirs(path, err) < 0)
        return -1;
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        util_error_set(err, 0, "opening %s: %s", path,
                       db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close_v2(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 5000);
    if (d->kind == SPINAPI_BACKEND_SQLITE_FILE &&
        exec_setup(db, "PRAGMA journal_mode=WAL", path, err) < 0)
        goto fail;
    if (d->key_value &&
        exec_setup(db,
                   "CREATE TABLE IF NOT EXISTS spin_key_value ("
                   " store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
                   " PRIMARY KEY (store, key))",
                   path, err) < 0)
        goto fail;
    if (!d->key_value)
        sqlite3_set_authorizer(db, deny_attach_files, NULL);
    d->db = db;
    return 0;
fail:
    sqlite3_close_v2(db);
    return -1;
}

int spinapi_db_acquire(spinapi_db *d, util_error **err)
{
    pthread_mutex_lock(&d->lock);
    bool open = d->kind == SPINAPI_BACKEND_REDIS ? d->redis_conn != NULL : d->db != NULL;
    if (!open && db_open(d, err) < 0) {
        pthread_mutex_unlock(&d->lock);
        return -1;
    }
    return 0;
}

void spinapi_db_release(spinapi_db *d)
{
    pthread_mutex_unlock(&d->lock);
}

/* ---- registration ------------------------------------------------------ */

/* What an instance the embedder gave no context sees: no variables, no
 * stores, no databases (every open is access-denied). */
static spinapi_component no_component = {.id = (char *)""};
static spinapi_ctx no_ctx = {.c = &no_component};

spinapi_ctx *spinapi_host_ctx(const spinapi_host *h, component_call *call)
{
    void *data = component_call_data(call);
    spinapi_ctx *ctx = h->get_ctx ? h->get_ctx(data) : data;
    return ctx ? ctx : &no_ctx;
}

int spinapi_define_funcs(component_linker *l, const char *iface, const spinapi_func *funcs,
                         size_t n, spinapi_host *h, util_error **err)
{
    for (size_t i = 0; i < n; i++)
        if (component_linker_define_func(l, iface, funcs[i].name, funcs[i].signature,
                                         funcs[i].fn, h, err) < 0)
            return -1;
    return 0;
}

int spinapi_define(component_linker *l, spinapi_ctx *(*get_ctx)(void *data), util_error **err)
{
    spinapi_host *h = util_xcalloc(1, sizeof(*h));
    h->get_ctx = get_ctx;
    component_linker_keep(l, h, free);
    if (spinapi_define_variables(l, h, err) < 0 || spinapi_define_key_value(l, h, err) < 0 ||
        spinapi_define_sqlite(l, h, err) < 0 || spinapi_define_spin1(l, h, err) < 0 ||
        spinapi_define_redis(l, h, err) < 0 || spinapi_define_postgres(l, h, err) < 0 ||
        spinapi_define_mysql(l, h, err) < 0 || spinapi_define_mqtt(l, h, err) < 0 ||
        spinapi_define_llm(l, h, err) < 0)
        return -1;
    return 0;
}

/* ---- values ------------------------------------------------------------ */

component_val spinapi_own(component_resource_type *type, const void *rep)
{
    return (component_val){.kind = COMPONENT_VAL_OWN,
                           .of.resource = {type, (uintptr_t)rep}};
}

component_val spinapi_str(const char *s, size_t len)
{
    return (component_val){.kind = COMPONENT_VAL_STRING, .of.str = {s, len}};
}

int spinapi_str_copy(component_call *call, const void *s, size_t len, component_val *out)
{
    char *p = component_call_alloc(call, len ? len : 1);
    if (p == NULL)
        return -1;
    if (len)
        memcpy(p, s, len);
    *out = spinapi_str(p, len);
    return 0;
}

int spinapi_variant(component_call *call, uint32_t disc, const component_val *payload,
                    component_val *out)
{
    component_val *p = NULL;
    if (payload != NULL) {
        p = component_call_vals(call, 1);
        if (p == NULL)
            return component_call_trap(call, "out of call memory");
        *p = *payload;
    }
    *out = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {disc, p}};
    return 0;
}

int spinapi_err(component_call *call, uint32_t error_case, const char *message,
                component_val *out)
{
    component_val e, s;
    if (message != NULL) {
        if (spinapi_str_copy(call, message, strlen(message), &s) < 0)
            return component_call_trap(call, "out of call memory");
        if (spinapi_variant(call, error_case, &s, &e) < 0)
            return -1;
    } else {
        e = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {error_case, NULL}};
    }
    return spinapi_variant(call, 1, &e, out);
}

const uint8_t *spinapi_list_bytes(component_call *call, const component_val *list)
{
    if (list->of.list.items == NULL)
        return list->of.list.raw ? list->of.list.raw : (const uint8_t *)"";
    uint8_t *p = component_call_alloc(call, list->of.list.n ? list->of.list.n : 1);
    if (p == NULL)
        return NULL;
    for (size_t i = 0; i < list->of.list.n; i++)
        p[i] = (uint8_t)list->of.list.items[i].of.u;
    return p;
}

char *spinapi_cstr(component_call *call, const component_val *s)
{
    char *p = component_call_alloc(call, s->of.str.len + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s->of.str.ptr, s->of.str.len);
    p[s->of.str.len] = '\0';
    return p;
}
