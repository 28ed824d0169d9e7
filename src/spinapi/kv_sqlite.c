/*
 * kv_sqlite.c - the key-value operations on Spin's SQLite table, so that a
 * database file written by Spin (key-value-spin) reads here and the other
 * way round: one table spin_key_value(store, key, value) whose store
 * column is the label the guest opened, values as BLOBs, and increment's
 * counters as 8-byte little-endian s64 as Spin writes them.
 *
 * A store of type redis goes to kv_redis.c instead, from each function
 * here.  Each operation holds the backend's mutex for its statements; the batch
 * operations (and increment) run in one transaction under it.  Results
 * are copied into the call's memory before the statement is finalised.
 */
#include "spinapi_internal.h"

#include <string.h>

static int sql_error(sqlite3 *db, util_error **err)
{
    return util_error_set(err, 0, "%s", sqlite3_errmsg(db));
}

/* Prepares sql with ?1 = store and ?2 = key bound. */
static sqlite3_stmt *prepare(const spinapi_kv *kv, const char *sql, const char *key,
                             size_t keylen, util_error **err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(kv->db->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, kv->store, -1, SQLITE_STATIC) != SQLITE_OK ||
        (key != NULL &&
         sqlite3_bind_text(st, 2, key, (int)keylen, SQLITE_STATIC) != SQLITE_OK)) {
        sql_error(kv->db->db, err);
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* Steps a statement that returns no rows, and finalises it. */
static int run(const spinapi_kv *kv, sqlite3_stmt *st, util_error **err)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sql_error(kv->db->db, err);
    return 0;
}

int spinapi_kv_get_locked(const spinapi_kv *kv, component_call *call, const char *key,
                          size_t keylen, const uint8_t **value, size_t *len, bool *found,
                          util_error **err)
{
    if (kv->db->kind == SPINAPI_BACKEND_REDIS)
        return spinapi_kv_redis_get(kv, call, key, keylen, value, len, found, err);
    sqlite3_stmt *st = prepare(kv, "SELECT value FROM spin_key_value WHERE store=?1 AND key=?2",
                               key, keylen, err);
    if (st == NULL)
        return -1;
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    *value = NULL;
    *len = 0;
    if (rc == SQLITE_ROW) {
        const void *blob = sqlite3_column_blob(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        uint8_t *copy = call ? component_call_alloc(call, n ? n : 1) : NULL;
        if (call != NULL && copy == NULL) {
            sqlite3_finalize(st);
            return util_error_set(err, 0, "the value of the key is too large for the host");
        }
        if (copy && n)
            memcpy(copy, blob, n);
        *value = copy;
        *len = n;
    } else if (rc != SQLITE_DONE) {
        sql_error(kv->db->db, err);
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

int spinapi_kv_set_locked(const spinapi_kv *kv, const char *key, size_t keylen,
                          const uint8_t *value, size_t len, util_error **err)
{
    if (kv->db->kind == SPINAPI_BACKEND_REDIS)
        return spinapi_kv_redis_set(kv, key, keylen, value, len, err);
    sqlite3_stmt *st = prepare(kv,
                               "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)"
                               " ON CONFLICT(store, key) DO UPDATE SET value=?3",
                               key, keylen, err);
    if (st == NULL)
        return -1;
    /* A zero-length blob must stay a blob, not NULL (value is NOT NULL). */
    if (sqlite3_bind_blob(st, 3, len ? (const void *)value : "", (int)len, SQLITE_STATIC) !=
        SQLITE_OK) {
        sqlite3_finalize(st);
        return sql_error(kv->db->db, err);
    }
    return run(kv, st, err);
}

int spinapi_kv_delete_locked(const spinapi_kv *kv, const char *key, size_t keylen,
                             util_error **err)
{
    if (kv->db->kind == SPINAPI_BACKEND_REDIS)
        return spinapi_kv_redis_delete(kv, key, keylen, err);
    sqlite3_stmt *st =
        prepare(kv, "DELETE FROM spin_key_value WHERE store=?1 AND key=?2", key, keylen, err);
    return st ? run(kv, st, err) : -1;
}

int spinapi_kv_get(const spinapi_kv *kv, component_call *call, const char *key, size_t keylen,
                   const uint8_t **value, size_t *len, bool *found, util_error **err)
{
    if (spinapi_db_acquire(kv->db, err) < 0)
        return -1;
    int rc = spinapi_kv_get_locked(kv, call, key, keylen, value, len, found, err);
    spinapi_db_release(kv->db);
    return rc;
}

int spinapi_kv_set(const spinapi_kv *kv, const char *key, size_t keylen, const uint8_t *value,
                   size_t len, util_error **err)
{
    if (spinapi_db_acquire(kv->db, err) < 0)
        return -1;
    int rc = spinapi_kv_set_locked(kv, key, keylen, value, len, err);
    spinapi_db_release(kv->db);
    return rc;
}

int spinapi_kv_delete(const spinapi_kv *kv, const char *key, size_t keylen, util_error **err)
{
    if (spinapi_db_acquire(kv->db, err) < 0)
        return -1;
    int rc = spinapi_kv_delete_locked(kv, key, keylen, err);
    spinapi_db_release(kv->db);
    return rc;
}

/* Collects the keys into a growing array in the call's memory. */
static int collect_keys(const spinapi_kv *kv, sqlite3_stmt *st, component_call *call,
                        component_val **keys, size_t *n, util_error **err)
{
    size_t cap = 0;
    component_val *out = NULL;
    *n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            component_val *bigger = component_call_vals(call, cap);
            if (bigger == NULL)
                return util_error_set(err, 0, "too many keys for the host to return");
            if (*n)
                memcpy(bigger, out, *n * sizeof(*out));
            out = bigger;
        }
        const unsigned char *text = sqlite3_column_text(st, 0);
        if (spinapi_str_copy(call, text ? (const char *)text : "",
                             (size_t)sqlite3_column_bytes(st, 0), &out[*n]) < 0)
            return util_error_set(err, 0, "too many keys for the host to return");
        (*n)++;
    }
    if (rc != SQLITE_DONE)
        return sql_error(kv->db->db, err);
    *keys = out ? out : component_call_vals(call, 1);
    return 0;
}

int spinapi_kv_keys(const spinapi_kv *kv, component_call *call, component_val **keys, size_t *n,
                    util_error **err)
{
    if (spinapi_db_acquire(kv->db, err) < 0)
        return -1;
    if (kv->db->kind == SPINAPI_BACKEND_REDIS) {
        int r = spinapi_kv_redis_keys(kv, call, keys, n, err);
        spinapi_db_release(kv->db);
        return r;
    }
    sqlite3_stmt *st = prepare(kv, "SELECT key FROM spin_key_value WHERE store=?1", NULL, 0, err);
    int rc = st ? collect_keys(kv, st, call, keys, n, err) : -1;
    sqlite3_finalize(st);
    spinapi_db_release(kv->db);
    return rc;
}

int spinapi_kv_begin(const spinapi_kv *kv, util_error **err)
{
    if (spinapi_db_acquire(kv->db, err) < 0)
        return -1;
    /* redis: the batch's commands run one by one under the lock, as Spin's
     * redis store runs them without a transaction. */
    if (kv->db->kind == SPINAPI_BACKEND_REDIS)
        return 0;
    if (sqlite3_exec(kv->db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        sql_error(kv->db->db, err);
        spinapi_db_release(kv->db);
        return -1;
    }
    return 0;
}

int spinapi_kv_commit(const spinapi_kv *kv, bool ok, util_error **err)
{
    int rc = 0;
    if (kv->db->kind == SPINAPI_BACKEND_REDIS) {
        spinapi_db_release(kv->db);
        return 0;
    }
    if (ok && sqlite3_exec(kv->db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sql_error(kv->db->db, err);
        ok = false;
    }
    if (!ok)
        sqlite3_exec(kv->db->db, "ROLLBACK", NULL, NULL, NULL);
    spinapi_db_release(kv->db);
    return rc;
}

int spinapi_kv_increment(const spinapi_kv *kv, const char *key, size_t keylen, int64_t delta,
                         int64_t *out, util_error **err)
{
    if (kv->db->kind == SPINAPI_BACKEND_REDIS) {
        if (spinapi_db_acquire(kv->db, err) < 0)
            return -1;
        int r = spinapi_kv_redis_increment(kv, key, keylen, delta, out, err);
        spinapi_db_release(kv->db);
        return r;
    }
    if (spinapi_kv_begin(kv, err) < 0)
        return -1;
    sqlite3_stmt *st = prepare(kv, "SELECT value FROM spin_key_value WHERE store=?1 AND key=?2",
                               key, keylen, err);
    bool ok = st != NULL;
    uint64_t current = 0;
    int rc = ok ? sqlite3_step(st) : SQLITE_ERROR;
    if (ok && rc == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != 8) {
            util_error_set(err, 0, "the value of '%.*s' is not a 64-bit integer (%d bytes)",
                           (int)keylen, key, sqlite3_column_bytes(st, 0));
            ok = false;
        } else {
            const uint8_t *b = sqlite3_column_blob(st, 0);
            for (int i = 7; i >= 0; i--)
                current = current << 8 | b[i];
        }
    } else if (ok && rc != SQLITE_DONE) {
        sql_error(kv->db->db, err);
        ok = false;
    }
    sqlite3_finalize(st);
    if (ok) {
        /* Two's complement wrap, as an unchecked add would. */
        uint64_t next = current + (uint64_t)delta;
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (uint8_t)(next >> (8 * i));
        ok = spinapi_kv_set_locked(kv, key, keylen, le, 8, err) == 0;
        *out = (int64_t)next;
    }
    /* A failed statement rolls back, leaving *err as it set it. */
    int committed = spinapi_kv_commit(kv, ok, err);
    return ok && committed == 0 ? 0 : -1;
}

int spinapi_kv_swap(const spinapi_kv *kv, const char *key, size_t keylen, const uint8_t *old,
                    size_t oldlen, bool had_old, const uint8_t *value, size_t len, bool *swapped,
                    util_error **err)
{
    if (spinapi_db_acquire(kv->db, err) < 0)
        return -1;
    if (kv->db->kind == SPINAPI_BACKEND_REDIS) {
        int r = spinapi_kv_redis_swap(kv, key, keylen, old, oldlen, had_old, value, len, swapped,
                                      err);
        spinapi_db_release(kv->db);
        return r;
    }
    sqlite3_stmt *st =
        had_old ? prepare(kv,
                          "UPDATE spin_key_value SET value=?3 WHERE store=?1 AND key=?2"
                          " AND value=?4",
                          key, keylen, err)
                : prepare(kv,
                          "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)"
                          " ON CONFLICT(store, key) DO NOTHING",
                          key, keylen, err);
    int rc = -1;
    if (st != NULL) {
        if (sqlite3_bind_blob(st, 3, len ? (const void *)value : "", (int)len, SQLITE_STATIC) !=
                SQLITE_OK ||
            (had_old && sqlite3_bind_blob(st, 4, oldlen ? (const void *)old : "", (int)oldlen,
                                          SQLITE_STATIC) != SQLITE_OK)) {
            sqlite3_finalize(st);
            sql_error(kv->db->db, err);
        } else if (run(kv, st, err) == 0) {
            *swapped = sqlite3_changes(kv->db->db) == 1;
            rc = 0;
        }
    }
    spinapi_db_release(kv->db);
    return rc;
}
