/*
 * key_value.c - key-value stores for components: fermyon:spin/key-value@2.0.0
 * (resource store) and wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2
 * (bucket, cas), the same stores under two names, as Spin's factor-key-value
 * serves them.
 *
 * Opening checks the label against the component's key_value_stores
 * (access-denied, as Spin answers it), then looks for its backend
 * (no-such-store), then opens the backend so that an unusable file is
 * reported at open.  A store or bucket handle is a spinapi_kv: the backend
 * and the label, freed by the resource's destructor.  The operations are
 * kv_sqlite.c's; any SQLite failure is error::other with its message.
 *
 * Where Spin's wasi:keyvalue differs from the draft we follow Spin:
 * list-keys with a cursor is refused (every key comes in the first
 * answer, cursor none).  A cas remembers the value it saw when made and at
 * each `current`; swap writes only if the key still holds that value (or
 * is still absent), else it answers cas-failed with a fresh cas that has
 * read the new value, as Spin does.
 */
#include "spinapi_internal.h"

#include <string.h>

typedef struct cas_op {
    spinapi_kv kv; /* its own copy of the label */
    char *key;
    size_t keylen;
    uint8_t *seen; /* the value last read; NULL with had_value false: absent */
    size_t seenlen;
    bool had_value;
} cas_op;

void spinapi_kv_handle_free(uintptr_t rep)
{
    spinapi_kv *kv = (spinapi_kv *)rep;
    if (kv) {
        free(kv->store);
        free(kv);
    }
}

void spinapi_cas_free(uintptr_t rep)
{
    cas_op *c = (cas_op *)rep;
    if (c) {
        free(c->kv.store);
        free(c->key);
        free(c->seen);
        free(c);
    }
}

/* ---- opening ------------------------------------------------------------ */

/* The guest-side key (or label): a string value, not NUL-terminated. */
#define KEY(v) (v).of.str.ptr, (v).of.str.len

#define OPEN_OK SPINAPI_OPEN_OK
#define OPEN_ACCESS_DENIED SPINAPI_OPEN_ACCESS_DENIED
#define OPEN_NO_SUCH_STORE SPINAPI_OPEN_NO_SUCH_STORE
#define OPEN_FAILED SPINAPI_OPEN_FAILED

int spinapi_kv_open(spinapi_ctx *ctx, const char *s, size_t n, spinapi_kv **out,
                    util_error **err)
{
    spinapi_component *c = ctx->c;
    if (!spinapi_allowed(c->kv_allowed, c->nkv_allowed, s, n))
        return OPEN_ACCESS_DENIED;
    spinapi_db *db = spinapi_db_find(c->kv, c->nkv, s, n);
    if (db == NULL)
        return OPEN_NO_SUCH_STORE;
    if (spinapi_db_acquire(db, err) < 0)
        return OPEN_FAILED;
    spinapi_db_release(db);
    spinapi_kv *kv = util_xcalloc(1, sizeof(*kv));
    kv->db = db;
    kv->store = util_xstrdup(db->label);
    kv->deadline_ns = ctx->deadline_ns;
    *out = kv;
    return OPEN_OK;
}

static const spinapi_kv *kv_of(const component_val *self)
{
    return (const spinapi_kv *)self->of.resource.rep;
}

/* ---- fermyon:spin/key-value@2.0.0 ---------------------------------------------- */

enum { KV2_STORE_TABLE_FULL, KV2_NO_SUCH_STORE, KV2_ACCESS_DENIED, KV2_OTHER };

/* err(other(message)) from *err, which it frees. */
static int other_error(component_call *call, uint32_t other_case, util_error **err,
                       component_val *result)
{
    int rc = spinapi_err(call, other_case, *err ? (*err)->msg : "unknown error", result);
    util_error_free(err);
    return rc;
}

static int spin_open(component_call *call, void *env, const component_val *args, size_t nargs,
                     component_val *result)
{
    const spinapi_host *h = env;
    spinapi_kv *kv = NULL;
    util_error *err = NULL;
    switch (spinapi_kv_open(spinapi_host_ctx(h, call), KEY(args[0]), &kv, &err)) {
    case OPEN_ACCESS_DENIED:
        return spinapi_err(call, KV2_ACCESS_DENIED, NULL, result);
    case OPEN_NO_SUCH_STORE:
        return spinapi_err(call, KV2_NO_SUCH_STORE, NULL, result);
    case OPEN_FAILED:
        return other_error(call, KV2_OTHER, &err, result);
    }
    component_val own = spinapi_own(h->kv_store, kv);
    return spinapi_variant(call, 0, &own, result);
}

/* Shared by both interfaces: `other` is the error case carrying a string. */
static int do_get(component_call *call, const component_val *args, uint32_t other,
                  component_val *result)
{
    const uint8_t *value;
    size_t len;
    bool found;
    util_error *err = NULL;
    if (spinapi_kv_get(kv_of(&args[0]), call, KEY(args[1]), &value, &len, &found, &err) < 0)
        return other_error(call, other, &err, result);
    component_val opt = {.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}};
    if (found) {
        component_val bytes = {.kind = COMPONENT_VAL_LIST, .of.list = {.raw = value, .n = len}};
        if (spinapi_variant(call, 1, &bytes, &opt) < 0)
            return -1;
    }
    return spinapi_variant(call, 0, &opt, result);
}

static int do_set(component_call *call, const component_val *args, uint32_t other,
                  component_val *result)
{
    const uint8_t *bytes = spinapi_list_bytes(call, &args[2]);
    if (bytes == NULL)
        return component_call_trap(call, "set: out of call memory");
    util_error *err = NULL;
    if (spinapi_kv_set(kv_of(&args[0]), KEY(args[1]), bytes, args[2].of.list.n, &err) < 0)
        return other_error(call, other, &err, result);
    return spinapi_variant(call, 0, NULL, result);
}

static int do_delete(component_call *call, const component_val *args, uint32_t other,
                     component_val *result)
{
    util_error *err = NULL;
    if (spinapi_kv_delete(kv_of(&args[0]), KEY(args[1]), &err) < 0)
        return other_error(call, other, &err, result);
    return spinapi_variant(call, 0, NULL, result);
}

static int do_exists(component_call *call, const component_val *args, uint32_t other,
                     component_val *result)
{
    const uint8_t *value;
    size_t len;
    bool found;
    util_error *err = NULL;
    /* call NULL: the value is not copied, only its presence matters. */
    if (spinapi_kv_get(kv_of(&args[0]), NULL, KEY(args[1]), &value, &len, &found, &err) < 0)
        return other_error(call, other, &err, result);
    component_val b = {.kind = COMPONENT_VAL_BOOL, .of.b = found};
    return spinapi_variant(call, 0, &b, result);
}

static int keys_list(component_call *call, const component_val *self, component_val *list,
                     util_error **err)
{
    component_val *keys;
    size_t n;
    if (spinapi_kv_keys(kv_of(self), call, &keys, &n, err) < 0)
        return -1;
    *list = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = keys, .n = n}};
    return 0;
}

static int spin_get(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    return do_get(call, args, KV2_OTHER, result);
}

static int spin_set(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    return do_set(call, args, KV2_OTHER, result);
}

static int spin_delete(component_call *call, void *env, const component_val *args, size_t nargs,
                       component_val *result)
{
    return do_delete(call, args, KV2_OTHER, result);
}

static int spin_exists(component_call *call, void *env, const component_val *args, size_t nargs,
                       component_val *result)
{
    return do_exists(call, args, KV2_OTHER, result);
}

static int spin_get_keys(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    component_val list;
    util_error *err = NULL;
    if (keys_list(call, &args[0], &list, &err) < 0)
        return other_error(call, KV2_OTHER, &err, result);
    return spinapi_variant(call, 0, &list, result);
}

#define STORE "self: borrow<store>"
static const spinapi_func spin_kv_funcs[] = {
    {"[static]store.open", "func(label: string) -> result<own<store>, error>", spin_open},
    {"[method]store.get", "func(" STORE ", key: string) -> result<option<list<u8>>, error>",
     spin_get},
    {"[method]store.set", "func(" STORE ", key: string, value: list<u8>) -> result<_, error>",
     spin_set},
    {"[method]store.delete", "func(" STORE ", key: string) -> result<_, error>", spin_delete},
    {"[method]store.exists", "func(" STORE ", key: string) -> result<bool, error>", spin_exists},
    {"[method]store.get-keys", "func(" STORE ") -> result<list<string>, error>", spin_get_keys},
};

/* ---- wasi:keyvalue/store@0.2.0-draft2 ------------------------------------------- */

enum { WKV_NO_SUCH_STORE, WKV_ACCESS_DENIED, WKV_OTHER };

static int wasi_open(component_call *call, void *env, const component_val *args, size_t nargs,
                     component_val *result)
{
    const spinapi_host *h = env;
    spinapi_kv *kv = NULL;
    util_error *err = NULL;
    switch (spinapi_kv_open(spinapi_host_ctx(h, call), KEY(args[0]), &kv, &err)) {
    case OPEN_ACCESS_DENIED:
        return spinapi_err(call, WKV_ACCESS_DENIED, NULL, result);
    case OPEN_NO_SUCH_STORE:
        return spinapi_err(call, WKV_NO_SUCH_STORE, NULL, result);
    case OPEN_FAILED:
        return other_error(call, WKV_OTHER, &err, result);
    }
    component_val own = spinapi_own(h->bucket, kv);
    return spinapi_variant(call, 0, &own, result);
}

static int bucket_get(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    return do_get(call, args, WKV_OTHER, result);
}

static int bucket_set(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    return do_set(call, args, WKV_OTHER, result);
}

static int bucket_delete(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    return do_delete(call, args, WKV_OTHER, result);
}

static int bucket_exists(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    return do_exists(call, args, WKV_OTHER, result);
}

static int bucket_list_keys(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    if (args[1].of.variant.disc == 1)
        return spinapi_err(call, WKV_OTHER, "list_keys: cursor not supported", result);
    component_val *fields = component_call_vals(call, 2);
    if (fields == NULL)
        return component_call_trap(call, "list-keys: out of call memory");
    util_error *err = NULL;
    if (keys_list(call, &args[0], &fields[0], &err) < 0)
        return other_error(call, WKV_OTHER, &err, result);
    fields[1] = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}};
    component_val response = {.kind = COMPONENT_VAL_RECORD, .of.record = {fields, 2}};
    return spinapi_variant(call, 0, &response, result);
}

#define BUCKET "self: borrow<bucket>"
static const spinapi_func wasi_store_funcs[] = {
    {"open", "func(identifier: string) -> result<own<bucket>, error>", wasi_open},
    {"[method]bucket.get", "func(" BUCKET ", key: string) -> result<option<list<u8>>, error>",
     bucket_get},
    {"[method]bucket.set", "func(" BUCKET ", key: string, value: list<u8>) -> result<_, error>",
     bucket_set},
    {"[method]bucket.delete", "func(" BUCKET ", key: string) -> result<_, error>", bucket_delete},
    {"[method]bucket.exists", "func(" BUCKET ", key: string) -> result<bool, error>",
     bucket_exists},
    {"[method]bucket.list-keys",
     "func(" BUCKET ", cursor: option<string>) -> result<key-response, error>", bucket_list_keys},
};

/* ---- wasi:keyvalue/atomics@0.2.0-draft2 ----------------------------------------- */

enum { CAS_STORE_ERROR, CAS_FAILED };

static int atomics_increment(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    int64_t value;
    util_error *err = NULL;
    if (spinapi_kv_increment(kv_of(&args[0]), KEY(args[1]), args[2].of.s, &value, &err) < 0)
        return other_error(call, WKV_OTHER, &err, result);
    component_val v = {.kind = COMPONENT_VAL_S64, .of.s = value};
    return spinapi_variant(call, 0, &v, result);
}

/* Reads the key's value into the cas (what swap compares against). */
static int cas_read(cas_op *c, util_error **err)
{
    const uint8_t *value;
    size_t len;
    bool found;
    if (spinapi_db_acquire(c->kv.db, err) < 0)
        return -1;
    if (c->kv.db->kind == SPINAPI_BACKEND_REDIS) {
        free(c->seen);
        c->seen = NULL;
        int r = spinapi_kv_redis_read(&c->kv, c->key, c->keylen, &c->seen, &c->seenlen,
                                      &c->had_value, err);
        spinapi_db_release(c->kv.db);
        return r;
    }
    /* Read without a call: copy the blob while the lock is held. */
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(c->kv.db->db,
                           "SELECT value FROM spin_key_value WHERE store=?1 AND key=?2", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, c->kv.store, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_bind_text(st, 2, c->key, (int)c->keylen, SQLITE_STATIC) == SQLITE_OK) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW || step == SQLITE_DONE) {
            found = step == SQLITE_ROW;
            value = found ? sqlite3_column_blob(st, 0) : NULL;
            len = found ? (size_t)sqlite3_column_bytes(st, 0) : 0;
            free(c->seen);
            c->seen = util_xmalloc(len ? len : 1);
            if (len)
                memcpy(c->seen, value, len);
            c->seenlen = len;
            c->had_value = found;
            rc = 0;
        }
    }
    if (rc < 0)
        util_error_set(err, 0, "%s", sqlite3_errmsg(c->kv.db->db));
    sqlite3_finalize(st);
    spinapi_db_release(c->kv.db);
    return rc;
}

static cas_op *cas_new(const spinapi_kv *kv, const char *key, size_t keylen, util_error **err)
{
    cas_op *c = util_xcalloc(1, sizeof(*c));
    c->kv.db = kv->db;
    c->kv.store = util_xstrdup(kv->store);
    c->kv.deadline_ns = kv->deadline_ns;
    c->key = util_xmalloc(keylen + 1);
    memcpy(c->key, key, keylen);
    c->key[keylen] = '\0';
    c->keylen = keylen;
    if (cas_read(c, err) < 0) {
        spinapi_cas_free((uintptr_t)c);
        return NULL;
    }
    return c;
}

static int cas_new_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    const spinapi_host *h = env;
    util_error *err = NULL;
    cas_op *c = cas_new(kv_of(&args[0]), KEY(args[1]), &err);
    if (c == NULL)
        return other_error(call, WKV_OTHER, &err, result);
    component_val own = spinapi_own(h->cas, c);
    return spinapi_variant(call, 0, &own, result);
}

static int cas_current(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    cas_op *c = (cas_op *)args[0].of.resource.rep;
    util_error *err = NULL;
    if (cas_read(c, &err) < 0)
        return other_error(call, WKV_OTHER, &err, result);
    component_val opt = {.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}};
    if (c->had_value) {
        uint8_t *copy = component_call_alloc(call, c->seenlen ? c->seenlen : 1);
        if (copy == NULL)
            return component_call_trap(call, "current: out of call memory");
        memcpy(copy, c->seen, c->seenlen);
        component_val bytes = {.kind = COMPONENT_VAL_LIST,
                               .of.list = {.raw = copy, .n = c->seenlen}};
        if (spinapi_variant(call, 1, &bytes, &opt) < 0)
            return -1;
    }
    return spinapi_variant(call, 0, &opt, result);
}

/* swap takes the cas (own): it is freed here, or handed back in
 * cas-failed after reading the value that won. */
static int atomics_swap(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    const spinapi_host *h = env;
    cas_op *c = (cas_op *)args[0].of.resource.rep;
    const uint8_t *bytes = spinapi_list_bytes(call, &args[1]);
    if (bytes == NULL) {
        spinapi_cas_free((uintptr_t)c);
        return component_call_trap(call, "swap: out of call memory");
    }
    bool swapped = false;
    util_error *err = NULL;
    int rc = spinapi_kv_swap(&c->kv, c->key, c->keylen, c->seen, c->seenlen, c->had_value,
                             bytes, args[1].of.list.n, &swapped, &err);
    if (rc == 0 && swapped) {
        spinapi_cas_free((uintptr_t)c);
        return spinapi_variant(call, 0, NULL, result);
    }
    if (rc == 0 && cas_read(c, &err) == 0) {
        component_val own = spinapi_own(h->cas, c), e;
        if (spinapi_variant(call, CAS_FAILED, &own, &e) < 0)
            return -1;
        return spinapi_variant(call, 1, &e, result);
    }
    spinapi_cas_free((uintptr_t)c);
    component_val msg, store_error, e;
    if (spinapi_str_copy(call, err->msg, strlen(err->msg), &msg) < 0) {
        util_error_free(&err);
        return component_call_trap(call, "swap: out of call memory");
    }
    util_error_free(&err);
    if (spinapi_variant(call, WKV_OTHER, &msg, &store_error) < 0 ||
        spinapi_variant(call, CAS_STORE_ERROR, &store_error, &e) < 0)
        return -1;
    return spinapi_variant(call, 1, &e, result);
}

static const spinapi_func atomics_funcs[] = {
    {"[static]cas.new", "func(bucket: borrow<bucket>, key: string) -> result<own<cas>, error>",
     cas_new_fn},
    {"[method]cas.current", "func(self: borrow<cas>) -> result<option<list<u8>>, error>",
     cas_current},
    {"increment", "func(bucket: borrow<bucket>, key: string, delta: s64) -> result<s64, error>",
     atomics_increment},
    {"swap", "func(cas: own<cas>, value: list<u8>) -> result<_, cas-error>", atomics_swap},
};

/* ---- wasi:keyvalue/batch@0.2.0-draft2 --------------------------------------------- */

static int batch_get_many(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    const spinapi_kv *kv = kv_of(&args[0]);
    size_t n = args[1].of.list.n;
    component_val *items = component_call_vals(call, n ? 3 * n : 1);
    if (items == NULL)
        return component_call_trap(call, "get-many: out of call memory");
    /* Spin answers only the keys that exist. */
    size_t found_n = 0;
    util_error *err = NULL;
    if (n && spinapi_kv_begin(kv, &err) < 0)
        return other_error(call, WKV_OTHER, &err, result);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        const component_val *key = &args[1].of.list.items[i];
        const uint8_t *value;
        size_t len;
        bool found;
        ok = spinapi_kv_get_locked(kv, call, KEY(*key), &value, &len, &found, &err) == 0;
        if (!ok || !found)
            continue;
        component_val *pair = &items[n + 2 * found_n];
        pair[0] = *key;
        component_val bytes = {.kind = COMPONENT_VAL_LIST, .of.list = {.raw = value, .n = len}};
        ok = spinapi_variant(call, 1, &bytes, &pair[1]) == 0;
        items[found_n++] = (component_val){.kind = COMPONENT_VAL_RECORD,
                                           .of.record = {pair, 2}};
    }
    if (n && spinapi_kv_commit(kv, ok, &err) < 0)
        ok = false;
    if (!ok)
        return err ? other_error(call, WKV_OTHER, &err, result) : -1;
    component_val list = {.kind = COMPONENT_VAL_LIST, .of.list = {.items = items, .n = found_n}};
    return spinapi_variant(call, 0, &list, result);
}

static int batch_set_many(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    const spinapi_kv *kv = kv_of(&args[0]);
    size_t n = args[1].of.list.n;
    util_error *err = NULL;
    if (n == 0)
        return spinapi_variant(call, 0, NULL, result);
    if (spinapi_kv_begin(kv, &err) < 0)
        return other_error(call, WKV_OTHER, &err, result);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        const component_val *pair = args[1].of.list.items[i].of.record.fields;
        const uint8_t *bytes = spinapi_list_bytes(call, &pair[1]);
        if (bytes == NULL) {
            util_error_set(&err, 0, "set-many: out of call memory");
            ok = false;
            break;
        }
        ok = spinapi_kv_set_locked(kv, KEY(pair[0]), bytes, pair[1].of.list.n, &err) == 0;
    }
    if (spinapi_kv_commit(kv, ok, &err) < 0 || !ok)
        return other_error(call, WKV_OTHER, &err, result);
    return spinapi_variant(call, 0, NULL, result);
}

static int batch_delete_many(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    const spinapi_kv *kv = kv_of(&args[0]);
    size_t n = args[1].of.list.n;
    util_error *err = NULL;
    if (n == 0)
        return spinapi_variant(call, 0, NULL, result);
    if (spinapi_kv_begin(kv, &err) < 0)
        return other_error(call, WKV_OTHER, &err, result);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        ok = spinapi_kv_delete_locked(kv, KEY(args[1].of.list.items[i]), &err) == 0;
    if (spinapi_kv_commit(kv, ok, &err) < 0 || !ok)
        return other_error(call, WKV_OTHER, &err, result);
    return spinapi_variant(call, 0, NULL, result);
}

static const spinapi_func batch_funcs[] = {
    {"get-many",
     "func(bucket: borrow<bucket>, keys: list<string>) -> "
     "result<list<tuple<string, option<list<u8>>>>, error>",
     batch_get_many},
    {"set-many",
     "func(bucket: borrow<bucket>, key-values: list<tuple<string, list<u8>>>) -> "
     "result<_, error>",
     batch_set_many},
    {"delete-many", "func(bucket: borrow<bucket>, keys: list<string>) -> result<_, error>",
     batch_delete_many},
};

/* ---- registration ----------------------------------------------------------------- */

#define SPIN_KV "fermyon:spin/key-value@2.0.0"
#define WASI_STORE "wasi:keyvalue/store@0.2.0-draft2"
#define WASI_ATOMICS "wasi:keyvalue/atomics@0.2.0-draft2"
#define WASI_BATCH "wasi:keyvalue/batch@0.2.0-draft2"
#define WASI_KV_ERROR "variant{no-such-store, access-denied, other(string)}"

int spinapi_define_key_value(component_linker *l, spinapi_host *h, util_error **err)
{
    h->kv_store = component_linker_define_resource(l, SPIN_KV, "store", spinapi_kv_handle_free, err);
    if (h->kv_store == NULL ||
        component_linker_define_type(l, SPIN_KV, "error",
                                     "variant{store-table-full, no-such-store, access-denied, "
                                     "other(string)}",
                                     err) < 0 ||
        spinapi_define_funcs(l, SPIN_KV, spin_kv_funcs, UTIL_ARRAY_LEN(spin_kv_funcs), h, err) <
            0)
        return -1;

    h->bucket = component_linker_define_resource(l, WASI_STORE, "bucket", spinapi_kv_handle_free, err);
    if (h->bucket == NULL ||
        component_linker_define_type(l, WASI_STORE, "error", WASI_KV_ERROR, err) < 0 ||
        component_linker_define_type(l, WASI_STORE, "key-response",
                                     "record{keys: list<string>, cursor: option<string>}",
                                     err) < 0 ||
        spinapi_define_funcs(l, WASI_STORE, wasi_store_funcs, UTIL_ARRAY_LEN(wasi_store_funcs),
                             h, err) < 0)
        return -1;

    h->cas = component_linker_define_resource(l, WASI_ATOMICS, "cas", spinapi_cas_free, err);
    if (h->cas == NULL ||
        component_linker_alias_resource(l, WASI_ATOMICS, "bucket", h->bucket, err) < 0 ||
        component_linker_define_type(l, WASI_ATOMICS, "error", WASI_KV_ERROR, err) < 0 ||
        component_linker_define_type(l, WASI_ATOMICS, "cas-error",
                                     "variant{store-error(error), cas-failed(own<cas>)}",
                                     err) < 0 ||
        spinapi_define_funcs(l, WASI_ATOMICS, atomics_funcs, UTIL_ARRAY_LEN(atomics_funcs), h,
                             err) < 0)
        return -1;

    if (component_linker_alias_resource(l, WASI_BATCH, "bucket", h->bucket, err) < 0 ||
        component_linker_define_type(l, WASI_BATCH, "error", WASI_KV_ERROR, err) < 0 ||
        spinapi_define_funcs(l, WASI_BATCH, batch_funcs, UTIL_ARRAY_LEN(batch_funcs), h, err) <
            0)
        return -1;
    return 0;
}
