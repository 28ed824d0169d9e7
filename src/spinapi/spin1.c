/*
 * spin1.c - Spin 1's unversioned interfaces fermyon:spin/key-value and
 * fermyon:spin/sqlite, which the Spin adapter maps old-ABI modules onto:
 * the same stores and databases as @2.0.0, named by u32 instead of
 * resources.
 *
 * A handle is a slot of the instance's table + 1 (so 0 is never valid),
 * 256 slots as Spin's resource tables; a full table is store-table-full
 * (key-value) or io("too many connections opened") (sqlite), an unknown
 * handle invalid-store / invalid-connection.  Errors map as Spin's
 * to_legacy_error: other(text) becomes io(text), and get of a missing key
 * is no-such-key.  Stores left open are freed with the instance's context.
 */
#include "spinapi_internal.h"

#include <string.h>

#define V1_KV "fermyon:spin/key-value"
#define V1_SQL "fermyon:spin/sqlite"

enum { KV1_STORE_TABLE_FULL, KV1_NO_SUCH_STORE, KV1_ACCESS_DENIED, KV1_INVALID_STORE,
       KV1_NO_SUCH_KEY, KV1_IO };
enum { SQL1_NO_SUCH_DATABASE, SQL1_ACCESS_DENIED, SQL1_INVALID_CONNECTION, SQL1_DATABASE_FULL,
       SQL1_IO };

#define KEY(v) (v).of.str.ptr, (v).of.str.len

static int ok_u32(component_call *call, uint32_t v, component_val *result)
{
    component_val u = {.kind = COMPONENT_VAL_U32, .of.u = v};
    return spinapi_variant(call, 0, &u, result);
}

static int io_error(component_call *call, uint32_t io_case, util_error **err,
                    component_val *result)
{
    int rc = spinapi_err(call, io_case, *err ? (*err)->msg : "unknown error", result);
    util_error_free(err);
    return rc;
}

/* ---- key-value ----------------------------------------------------------- */

/* The store behind a handle, or NULL. */
static spinapi_kv *store_of(spinapi_ctx *ctx, const component_val *handle)
{
    uint64_t h = handle->of.u;
    return h >= 1 && h <= SPINAPI_V1_TABLE_SIZE ? ctx->v1_stores[h - 1] : NULL;
}

static int kv_open(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    spinapi_ctx *ctx = spinapi_host_ctx(env, call);
    size_t slot = 0;
    while (slot < SPINAPI_V1_TABLE_SIZE && ctx->v1_stores[slot] != NULL)
        slot++;
    spinapi_kv *kv = NULL;
    util_error *err = NULL;
    switch (spinapi_kv_open(ctx, KEY(args[0]), &kv, &err)) {
    case SPINAPI_OPEN_ACCESS_DENIED:
        return spinapi_err(call, KV1_ACCESS_DENIED, NULL, result);
    case SPINAPI_OPEN_NO_SUCH_STORE:
        return spinapi_err(call, KV1_NO_SUCH_STORE, NULL, result);
    case SPINAPI_OPEN_FAILED:
        return io_error(call, KV1_IO, &err, result);
    }
    if (slot == SPINAPI_V1_TABLE_SIZE) {
        spinapi_kv_handle_free((uintptr_t)kv);
        return spinapi_err(call, KV1_STORE_TABLE_FULL, NULL, result);
    }
    ctx->v1_stores[slot] = kv;
    return ok_u32(call, (uint32_t)slot + 1, result);
}

static int kv_get(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    spinapi_kv *kv = store_of(spinapi_host_ctx(env, call), &args[0]);
    if (kv == NULL)
        return spinapi_err(call, KV1_INVALID_STORE, NULL, result);
    const uint8_t *value;
    size_t len;
    bool found;
    util_error *err = NULL;
    if (spinapi_kv_get(kv, call, KEY(args[1]), &value, &len, &found, &err) < 0)
        return io_error(call, KV1_IO, &err, result);
    if (!found)
        return spinapi_err(call, KV1_NO_SUCH_KEY, NULL, result);
    component_val bytes = {.kind = COMPONENT_VAL_LIST, .of.list = {.raw = value, .n = len}};
    return spinapi_variant(call, 0, &bytes, result);
}

static int kv_set(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    spinapi_kv *kv = store_of(spinapi_host_ctx(env, call), &args[0]);
    if (kv == NULL)
        return spinapi_err(call, KV1_INVALID_STORE, NULL, result);
    const uint8_t *bytes = spinapi_list_bytes(call, &args[2]);
    if (bytes == NULL)
        return component_call_trap(call, "set: out of call memory");
    util_error *err = NULL;
    if (spinapi_kv_set(kv, KEY(args[1]), bytes, args[2].of.list.n, &err) < 0)
        return io_error(call, KV1_IO, &err, result);
    return spinapi_variant(call, 0, NULL, result);
}

static int kv_delete(component_call *call, void *env, const component_val *args, size_t nargs,
                     component_val *result)
{
    spinapi_kv *kv = store_of(spinapi_host_ctx(env, call), &args[0]);
    if (kv == NULL)
        return spinapi_err(call, KV1_INVALID_STORE, NULL, result);
    util_error *err = NULL;
    if (spinapi_kv_delete(kv, KEY(args[1]), &err) < 0)
        return io_error(call, KV1_IO, &err, result);
    return spinapi_variant(call, 0, NULL, result);
}

static int kv_exists(component_call *call, void *env, const component_val *args, size_t nargs,
                     component_val *result)
{
    spinapi_kv *kv = store_of(spinapi_host_ctx(env, call), &args[0]);
    if (kv == NULL)
        return spinapi_err(call, KV1_INVALID_STORE, NULL, result);
    const uint8_t *value;
    size_t len;
    bool found;
    util_error *err = NULL;
    if (spinapi_kv_get(kv, NULL, KEY(args[1]), &value, &len, &found, &err) < 0)
        return io_error(call, KV1_IO, &err, result);
    component_val b = {.kind = COMPONENT_VAL_BOOL, .of.b = found};
    return spinapi_variant(call, 0, &b, result);
}

static int kv_get_keys(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    spinapi_kv *kv = store_of(spinapi_host_ctx(env, call), &args[0]);
    if (kv == NULL)
        return spinapi_err(call, KV1_INVALID_STORE, NULL, result);
    component_val *keys;
    size_t n;
    util_error *err = NULL;
    if (spinapi_kv_keys(kv, call, &keys, &n, &err) < 0)
        return io_error(call, KV1_IO, &err, result);
    component_val list = {.kind = COMPONENT_VAL_LIST, .of.list = {.items = keys, .n = n}};
    return spinapi_variant(call, 0, &list, result);
}

static int kv_close(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    spinapi_ctx *ctx = spinapi_host_ctx(env, call);
    spinapi_kv *kv = store_of(ctx, &args[0]);
    if (kv != NULL) {
        ctx->v1_stores[args[0].of.u - 1] = NULL;
        spinapi_kv_handle_free((uintptr_t)kv);
    }
    return 0;
}

static const spinapi_func kv_funcs[] = {
    {"open", "func(name: string) -> result<store, error>", kv_open},
    {"get", "func(store: store, key: string) -> result<list<u8>, error>", kv_get},
    {"set", "func(store: store, key: string, value: list<u8>) -> result<_, error>", kv_set},
    {"delete", "func(store: store, key: string) -> result<_, error>", kv_delete},
    {"exists", "func(store: store, key: string) -> result<bool, error>", kv_exists},
    {"get-keys", "func(store: store) -> result<list<string>, error>", kv_get_keys},
    {"close", "func(store: store)", kv_close},
};

/* ---- sqlite --------------------------------------------------------------- */

static spinapi_db *connection_of(spinapi_ctx *ctx, const component_val *handle)
{
    uint64_t h = handle->of.u;
    return h >= 1 && h <= SPINAPI_V1_TABLE_SIZE ? ctx->v1_connections[h - 1] : NULL;
}

static int sql_open(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    spinapi_ctx *ctx = spinapi_host_ctx(env, call);
    spinapi_db *db = NULL;
    util_error *err = NULL;
    switch (spinapi_sql_open(ctx, KEY(args[0]), &db, &err)) {
    case SPINAPI_OPEN_ACCESS_DENIED:
        return spinapi_err(call, SQL1_ACCESS_DENIED, NULL, result);
    case SPINAPI_OPEN_NO_SUCH_STORE:
        return spinapi_err(call, SQL1_NO_SUCH_DATABASE, NULL, result);
    case SPINAPI_OPEN_FAILED:
        return io_error(call, SQL1_IO, &err, result);
    }
    for (size_t slot = 0; slot < SPINAPI_V1_TABLE_SIZE; slot++)
        if (ctx->v1_connections[slot] == NULL) {
            ctx->v1_connections[slot] = db;
            return ok_u32(call, (uint32_t)slot + 1, result);
        }
    return spinapi_err(call, SQL1_IO, "too many connections opened", result);
}

static int sql_execute(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    spinapi_ctx *ctx = spinapi_host_ctx(env, call);
    spinapi_db *db = connection_of(ctx, &args[0]);
    if (db == NULL)
        return spinapi_err(call, SQL1_INVALID_CONNECTION, NULL, result);
    return spinapi_sql_execute(call, ctx, db, &args[1], &args[2], result);
}

static int sql_close(component_call *call, void *env, const component_val *args, size_t nargs,
                     component_val *result)
{
    spinapi_ctx *ctx = spinapi_host_ctx(env, call);
    if (connection_of(ctx, &args[0]) != NULL)
        ctx->v1_connections[args[0].of.u - 1] = NULL;
    return 0;
}

static const spinapi_func sql_funcs[] = {
    {"open", "func(database: string) -> result<connection, error>", sql_open},
    {"execute",
     "func(conn: connection, statement: string, parameters: list<value>) -> "
     "result<query-result, error>",
     sql_execute},
    {"close", "func(conn: connection)", sql_close},
};

int spinapi_define_spin1(component_linker *l, spinapi_host *h, util_error **err)
{
    if (component_linker_define_type(l, V1_KV, "store", "u32", err) < 0 ||
        component_linker_define_type(l, V1_KV, "error",
                                     "variant{store-table-full, no-such-store, access-denied, "
                                     "invalid-store, no-such-key, io(string)}",
                                     err) < 0 ||
        spinapi_define_funcs(l, V1_KV, kv_funcs, UTIL_ARRAY_LEN(kv_funcs), h, err) < 0)
        return -1;
    if (component_linker_define_type(l, V1_SQL, "connection", "u32", err) < 0 ||
        spinapi_define_sqlite_types(l, V1_SQL, err) < 0 ||
        spinapi_define_funcs(l, V1_SQL, sql_funcs, UTIL_ARRAY_LEN(sql_funcs), h, err) < 0)
        return -1;
    return 0;
}
