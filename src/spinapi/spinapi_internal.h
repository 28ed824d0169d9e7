/*
 * spinapi_internal.h - what the files of src/spinapi share (private to the
 * layer and its tests): the component's copy of its configuration, the
 * SQLite backends, the registration's resource types, and the key-value
 * operations on Spin's SQLite table.
 */
#ifndef SPINAPI_SPINAPI_INTERNAL_H
#define SPINAPI_SPINAPI_INTERNAL_H

#include "spinapi.h"

#include <pthread.h>
#include <stddef.h>
#include <sqlite3.h>

/* One labelled backend: a SQLite database opened on first use and shared
 * by every instance of the component.  A mutex serialises its use, so a
 * transaction (increment, set-many) is never interleaved with another
 * instance's statements on the same connection; other processes and other
 * components reach the same file through their own connections (WAL, busy
 * timeout). */
typedef struct spinapi_db {
    char *label;
    spinapi_backend_kind kind;
    char *location; /* path or url; NULL for memory */
    bool key_value; /* creates Spin's spin_key_value table when opened */
    pthread_mutex_t lock;
    sqlite3 *db; /* NULL until first use */
    /* A redis store (kv_redis.c): one connection shared by every instance
     * under `lock`, in a context of its own; NULL until first use and
     * after it broke. */
    struct spinapi_ctx *redis_ctx;
    struct spinapi_redis_conn *redis_conn;
} spinapi_db;

struct spinapi_component {
    char *id;
    spinapi_pair *vars; /* name and value strdup'd */
    size_t nvars;
    char **kv_allowed;
    size_t nkv_allowed;
    char **sql_allowed;
    size_t nsql_allowed;
    char **ai_models; /* llm models it may use */
    size_t nai_models;
    spinapi_db *kv;
    size_t nkv;
    spinapi_db *sql;
    size_t nsql;
    /* allowed_outbound_hosts, for the network clients (NULL: none). */
    bool (*outbound_allowed)(void *self, const char *scheme, const char *host, uint16_t port);
    void *outbound_self;
};

/* An open connection on its instance's list (clients.c): each client's
 * connection struct holds one, so the instance can close what the guest
 * never dropped.  SPINAPI_CONN_OF finds the struct from its link. */
typedef struct spinapi_conn_link {
    struct spinapi_conn_link *prev, *next;
    struct spinapi_conn_link **head; /* the list it is on; NULL once removed */
} spinapi_conn_link;
#define SPINAPI_CONN_OF(l, type) ((type *)(void *)((char *)(l) - offsetof(type, link)))
void spinapi_conn_link_add(spinapi_conn_link **head, spinapi_conn_link *link);
/* Unlinks it (nothing when it is on no list). */
void spinapi_conn_link_remove(spinapi_conn_link *link);
size_t spinapi_conn_link_count(const spinapi_conn_link *head);

/* Milliseconds left before a monotonic deadline, rounded up (0 only once
 * it has passed); UINT64_MAX when there is none (0). */
uint64_t spinapi_ms_left(uint64_t deadline_ns);
/* A percent-decoded, NUL-terminated copy of s[0..n) (a URL's userinfo or
 * path); NULL when an escape is malformed or decodes to NUL. */
char *spinapi_percent_decode(const char *s, size_t n);

/* The types of an rdbms interface in `iface`: db-data-type (as given),
 * db-value (the value cases, then `unsupported`), parameter-value (the
 * value cases), column, row and row-set. */
int spinapi_define_rdbms_types(component_linker *l, const char *iface, const char *data_type,
                               const char *values, util_error **err);
/* rdbms-types@2.0.0's: mysql and postgres both serve them, under the
 * rdbms-types interface and their own. */
int spinapi_define_rdbms2_types(component_linker *l, const char *iface, util_error **err);
/* Its error variant, and Spin 1's (one case more: success first). */
#define SPINAPI_RDBMS2_ERROR                                                                     \
    "variant{connection-failed(string), bad-parameter(string), query-failed(string), "         \
    "value-conversion-failed(string), other(string)}"
#define SPINAPI_RDBMS1_ERROR                                                                     \
    "variant{success, connection-failed(string), bad-parameter(string), query-failed(string), " \
    "value-conversion-failed(string), other-error(string)}"

/* Spin 1's interfaces name stores and connections by u32 (a handle is
 * its slot + 1); the instance's tables, freed with the context. */
#define SPINAPI_V1_TABLE_SIZE 256 /* Spin's resource table capacity */

struct spinapi_ctx {
    spinapi_component *c;
    uint64_t deadline_ns; /* the request's, monotonic (SQL, redis); 0 = none */
    struct spinapi_kv *v1_stores[SPINAPI_V1_TABLE_SIZE];
    spinapi_db *v1_connections[SPINAPI_V1_TABLE_SIZE];
    spinapi_conn_link *redis;         /* open redis connections (redis_client.c) */
    uint64_t redis_timeout_ms;        /* tests: a shorter bound on redis waits; 0: the default */
    spinapi_conn_link *pg_open;       /* postgres connections not dropped yet */
    spinapi_conn_link *mysql_open;    /* mysql connections not dropped yet (mysql.c) */
    struct spinapi_mqtt *mqtt_open;   /* mqtt connections not dropped yet (mqtt.c) */
};

/* The state a registration's host functions share (their `env`). */
typedef struct spinapi_host {
    spinapi_ctx *(*get_ctx)(void *data);
    component_resource_type *kv_store;    /* fermyon:spin/key-value@2.0.0 store */
    component_resource_type *bucket;      /* wasi:keyvalue/store bucket */
    component_resource_type *cas;         /* wasi:keyvalue/atomics cas */
    component_resource_type *connection2; /* fermyon:spin/sqlite@2.0.0 connection */
    component_resource_type *connection3; /* spin:sqlite/sqlite@3.0.0 connection */
    component_resource_type *redis2;      /* fermyon:spin/redis@2.0.0 connection */
    component_resource_type *pg2;         /* fermyon:spin/postgres@2.0.0 connection */
    component_resource_type *pg3;         /* spin:postgres/postgres@3.0.0 connection */
    component_resource_type *pg4;         /* spin:postgres/postgres@4.0.0 connection */
    component_resource_type *mysql2;      /* fermyon:spin/mysql@2.0.0 connection */
    component_resource_type *mqtt2;       /* fermyon:spin/mqtt@2.0.0 connection */
} spinapi_host;

spinapi_ctx *spinapi_host_ctx(const spinapi_host *h, component_call *call);

/* One host function of a table. */
typedef struct spinapi_func {
    const char *name;
    const char *signature;
    component_host_fn fn;
} spinapi_func;

int spinapi_define_funcs(component_linker *l, const char *iface, const spinapi_func *funcs,
                         size_t n, spinapi_host *h, util_error **err);

int spinapi_define_variables(component_linker *l, spinapi_host *h, util_error **err);
int spinapi_define_key_value(component_linker *l, spinapi_host *h, util_error **err);
int spinapi_define_sqlite(component_linker *l, spinapi_host *h, util_error **err);
int spinapi_define_spin1(component_linker *l, spinapi_host *h, util_error **err);
int spinapi_define_redis(component_linker *l, spinapi_host *h, util_error **err);
int spinapi_define_postgres(component_linker *l, spinapi_host *h, util_error **err);
int spinapi_define_llm(component_linker *l, spinapi_host *h, util_error **err);
/* Closes the postgres connections an instance never dropped. */
void spinapi_pg_close_all(spinapi_ctx *ctx);
int spinapi_define_mysql(component_linker *l, spinapi_host *h, util_error **err);
void spinapi_mysql_close_all(spinapi_ctx *ctx);
int spinapi_define_mqtt(component_linker *l, spinapi_host *h, util_error **err);
void spinapi_mqtt_close_all(spinapi_ctx *ctx);
/* Load MariaDB Connector/C and libmosquitto now (spinapi_preload). */
void spinapi_mysql_preload(void);
void spinapi_mqtt_preload(void);

/* Whether allowed_outbound_hosts let the component reach `address` (len
 * bytes), judged as Spin's check_url judges it: a URL, else
 * default_scheme + "://" + the text; the port given or the scheme's
 * well-known one (mysql 3306, mqtt 1883, ...).  Unparsable: false. */
bool spinapi_outbound_url_allowed(const spinapi_component *c, const char *default_scheme,
                                  const char *address, size_t len);

/* ---- values ---------------------------------------------------------- */

component_val spinapi_own(component_resource_type *type, const void *rep);
component_val spinapi_str(const char *s, size_t len);
/* A copy of (s, len) as a string value in the call's memory. */
int spinapi_str_copy(component_call *call, const void *s, size_t len, component_val *out);
/* A variant / option / result with an optional payload (copied into the
 * call's memory); -1 (a trap) when that memory is exhausted. */
int spinapi_variant(component_call *call, uint32_t disc, const component_val *payload,
                    component_val *out);
/* err(<case>(message)) / err(<case>) of a result whose error is a variant. */
int spinapi_err(component_call *call, uint32_t error_case, const char *message,
                component_val *out);
/* The bytes of a list<u8> (packed, or items packed into the call's memory);
 * NULL only when that memory is exhausted. */
const uint8_t *spinapi_list_bytes(component_call *call, const component_val *list);
/* A NUL-terminated copy of a string value in the call's memory. */
char *spinapi_cstr(component_call *call, const component_val *s);

/* ---- backends -------------------------------------------------------- */

/* The backend of `label` (len bytes) among dbs, or NULL. */
spinapi_db *spinapi_db_find(spinapi_db *dbs, size_t n, const char *label, size_t len);
/* Whether `label` is in the allowed list. */
bool spinapi_allowed(char *const *allowed, size_t n, const char *label, size_t len);
/* Locks the backend and opens it if it is not open yet; -1 with *err (and
 * unlocked) when it cannot be opened. */
int spinapi_db_acquire(spinapi_db *d, util_error **err);
void spinapi_db_release(spinapi_db *d);

/* ---- key-value on SQLite (kv_sqlite.c) -------------------------------
 * Spin's table: spin_key_value(store TEXT, key TEXT, value BLOB, PRIMARY
 * KEY(store, key)), the store column holding the label.  Each call locks
 * the backend; results go into the call's memory.  -1 with *err for a
 * SQLite failure (the guest gets error::other with its text). */

typedef struct spinapi_kv {
    spinapi_db *db;
    char *store; /* the label */
    uint64_t deadline_ns; /* of the instance that opened it (redis waits) */
} spinapi_kv;

/* Opening a store by label for a context: SPINAPI_OPEN_*, and on success
 * *out (freed with spinapi_kv_handle_free). */
enum { SPINAPI_OPEN_OK, SPINAPI_OPEN_ACCESS_DENIED, SPINAPI_OPEN_NO_SUCH_STORE,
       SPINAPI_OPEN_FAILED };
int spinapi_kv_open(spinapi_ctx *ctx, const char *label, size_t len, spinapi_kv **out,
                    util_error **err);
/* Opening a database by label: SPINAPI_OPEN_* (NO_SUCH_STORE: no such database). */
int spinapi_sql_open(spinapi_ctx *ctx, const char *label, size_t len, spinapi_db **out,
                     util_error **err);
/* sqlite's types (error, value, row-result, query-result) in `iface`. */
int spinapi_define_sqlite_types(component_linker *l, const char *iface, util_error **err);
/* sqlite's execute on an open database, shared by every version. */
int spinapi_sql_execute(component_call *call, const spinapi_ctx *ctx, spinapi_db *d,
                        const component_val *statement, const component_val *params,
                        component_val *result);

/* The destructors of a store / bucket handle and of a cas. */
void spinapi_kv_handle_free(uintptr_t rep);
void spinapi_cas_free(uintptr_t rep);

int spinapi_kv_get(const spinapi_kv *kv, component_call *call, const char *key, size_t keylen,
                   const uint8_t **value, size_t *len, bool *found, util_error **err);
int spinapi_kv_set(const spinapi_kv *kv, const char *key, size_t keylen, const uint8_t *value,
                   size_t len, util_error **err);
int spinapi_kv_delete(const spinapi_kv *kv, const char *key, size_t keylen, util_error **err);
/* The keys as string values in the call's memory. */
int spinapi_kv_keys(const spinapi_kv *kv, component_call *call, component_val **keys, size_t *n,
                    util_error **err);
/* Adds delta to the little-endian s64 at key (0 when absent). */
int spinapi_kv_increment(const spinapi_kv *kv, const char *key, size_t keylen, int64_t delta,
                         int64_t *out, util_error **err);
/* Writes value if the key still holds `old` (old NULL: if it is absent);
 * *swapped false when it did not. */
int spinapi_kv_swap(const spinapi_kv *kv, const char *key, size_t keylen, const uint8_t *old,
                    size_t oldlen, bool had_old, const uint8_t *value, size_t len, bool *swapped,
                    util_error **err);
/* One transaction under the backend's lock (batch operations): begin
 * locks and starts it; commit (ok) or rolls back (!ok), and unlocks. */
int spinapi_kv_begin(const spinapi_kv *kv, util_error **err);
int spinapi_kv_commit(const spinapi_kv *kv, bool ok, util_error **err);
/* set/delete/get for use between begin and commit (the lock is held).
 * get with call NULL only tells whether the key exists. */
int spinapi_kv_set_locked(const spinapi_kv *kv, const char *key, size_t keylen,
                          const uint8_t *value, size_t len, util_error **err);
int spinapi_kv_delete_locked(const spinapi_kv *kv, const char *key, size_t keylen,
                             util_error **err);
int spinapi_kv_get_locked(const spinapi_kv *kv, component_call *call, const char *key,
                          size_t keylen, const uint8_t **value, size_t *len, bool *found,
                          util_error **err);

/* ---- key-value on redis (kv_redis.c) ----------------------------------
 * A [key_value_store.<label>] type = "redis" store as Spin's
 * key-value-redis keeps it: plain keys in the url's database (no label
 * prefix), values as redis strings, increment with INCRBY.  The backend's
 * lock is held around each of these (spinapi_db_acquire connects). */
int spinapi_kv_redis_connect(spinapi_db *d, util_error **err);
void spinapi_kv_redis_close(spinapi_db *d);
int spinapi_kv_redis_get(const spinapi_kv *kv, component_call *call, const char *key,
                         size_t keylen, const uint8_t **value, size_t *len, bool *found,
                         util_error **err);
/* The value of key malloc'd into *value (for a cas, outliving any call). */
int spinapi_kv_redis_read(const spinapi_kv *kv, const char *key, size_t keylen, uint8_t **value,
                          size_t *len, bool *found, util_error **err);
int spinapi_kv_redis_set(const spinapi_kv *kv, const char *key, size_t keylen,
                         const uint8_t *value, size_t len, util_error **err);
int spinapi_kv_redis_delete(const spinapi_kv *kv, const char *key, size_t keylen,
                            util_error **err);
int spinapi_kv_redis_keys(const spinapi_kv *kv, component_call *call, component_val **keys,
                          size_t *n, util_error **err);
int spinapi_kv_redis_increment(const spinapi_kv *kv, const char *key, size_t keylen,
                               int64_t delta, int64_t *out, util_error **err);
int spinapi_kv_redis_swap(const spinapi_kv *kv, const char *key, size_t keylen,
                          const uint8_t *old, size_t oldlen, bool had_old, const uint8_t *value,
                          size_t len, bool *swapped, util_error **err);


#endif
