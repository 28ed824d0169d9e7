/*
 * spinapi.h - the door of src/spinapi: Spin's host APIs for components
 * (what Spin calls factors): variables, key-value, sqlite, and later
 * redis, postgres, mysql, mqtt and llm, each at every version Spin 3.6
 * links, served through src/component's linker.
 *
 * The layer knows nothing of manifests or triggers.  The Spin layer
 * describes each component once (spinapi_component_config: its variables
 * already rendered, the stores and databases it may open and where they
 * live, who may be reached on the network) and gets a spinapi_component;
 * each instance (one per request) gets a spinapi_ctx that holds what the
 * guest opened (store and connection handles), closed with the instance.
 * Backends that hold state across requests (the SQLite files) belong to
 * the spinapi_component and are shared, thread-safely, by its instances.
 *
 * Refusals are values, never traps: a store the component may not open is
 * key-value's error::access-denied, as Spin returns it.
 */
#ifndef SPINAPI_SPINAPI_H
#define SPINAPI_SPINAPI_H

#include "component.h"
#include "util.h"

/* A name = value pair (a variable, after template rendering). */
typedef struct spinapi_pair {
    const char *name;
    const char *value;
} spinapi_pair;

/* Where a labelled store or database lives (runtime-config.toml
 * [key_value_store.<label>] / [sqlite_database.<label>], or the default). */
typedef enum spinapi_backend_kind {
    SPINAPI_BACKEND_SQLITE_FILE,   /* type = "spin": path */
    SPINAPI_BACKEND_SQLITE_MEMORY, /* no state dir: in memory, for the process */
    SPINAPI_BACKEND_REDIS,         /* key-value type = "redis": url */
} spinapi_backend_kind;

typedef struct spinapi_backend {
    const char *label; /* "default" */
    spinapi_backend_kind kind;
    const char *location; /* path or url */
} spinapi_backend;

typedef struct spinapi_component_config {
    const char *id; /* for errors and logs */
    const spinapi_pair *variables; /* the component's variables, rendered */
    size_t nvariables;
    const char *const *key_value_stores; /* labels it may open */
    size_t nkey_value_stores;
    const char *const *sqlite_databases;
    size_t nsqlite_databases;
    const char *const *ai_models; /* the llm models it may use */
    size_t nai_models;
    const spinapi_backend *kv_backends; /* every label the app's runtime config names */
    size_t nkv_backends;
    const spinapi_backend *sqlite_backends;
    size_t nsqlite_backends;
    /* allowed_outbound_hosts, for the network clients (redis, postgres,
     * mysql, mqtt): may the guest reach scheme://host:port? NULL: no. */
    bool (*outbound_allowed)(void *self, const char *scheme, const char *host, uint16_t port);
    void *outbound_self;
} spinapi_component_config;

typedef struct spinapi_component spinapi_component;
typedef struct spinapi_ctx spinapi_ctx;

/* Copies what it needs from config; opens nothing yet (a backend opens on
 * first use). */
spinapi_component *spinapi_component_new(const spinapi_component_config *config,
                                         util_error **err);
void spinapi_component_free(spinapi_component *c);

/* Per instance; the component outlives it. */
spinapi_ctx *spinapi_ctx_new(spinapi_component *c);
void spinapi_ctx_free(spinapi_ctx *ctx);
/* The instance's request deadline (CLOCK_MONOTONIC ns, util_monotonic_ns;
 * 0 = none, the default): an SQL statement the guest runs stops when it
 * passes (sqlite's error io("interrupted")) and no network client (redis)
 * waits for a server beyond it, so neither outlives its request, as Wasm
 * code cannot. */
void spinapi_ctx_set_deadline(spinapi_ctx *ctx, uint64_t deadline_ns);

/* ---- Spin 1's outbound-redis (for src/spin's core-module glue) ----------
 * One command on a connection opened for it and closed after it, as Spin
 * serves the connection-less v1 interface: the address is checked as
 * fermyon:spin/redis's open checks it, waits end by deadline_ns (0: the
 * layer's fixed bounds). */
typedef enum spinapi_redis_reply_kind {
    SPINAPI_REDIS_REPLY_NIL,
    SPINAPI_REDIS_REPLY_STATUS,
    SPINAPI_REDIS_REPLY_INT,
    SPINAPI_REDIS_REPLY_BYTES,
    SPINAPI_REDIS_REPLY_OTHER, /* an array */
} spinapi_redis_reply_kind;

typedef struct spinapi_redis_reply {
    spinapi_redis_reply_kind kind;
    int64_t integer;
    uint8_t *bytes; /* malloc'd (status, bytes) */
    size_t len;
} spinapi_redis_reply;

/* 0 and *out (free out->bytes), or -1 with *err: the address refused or
 * unusable, the server unreachable or answering an error. */
int spinapi_redis_oneshot(spinapi_component *c, uint64_t deadline_ns, const char *address,
                          size_t address_len, int argc, const char **argv, const size_t *lens,
                          spinapi_redis_reply *out, util_error **err);

/* ---- the redis trigger's connection (src/spin's subscriber) -------------
 * Connects to a redis:// address the operator wrote (the manifest's
 * trigger address: not checked against any allowed hosts, as Spin does
 * not), authenticates and selects the database, each step bounded by
 * timeout_ms; returns the connected socket (blocking, the caller's to
 * close) and in *where "host:port" for messages (free it), or -1 with
 * *err naming the address and what failed. */
int spinapi_redis_dial(const char *address, uint64_t timeout_ms, char **where,
                       util_error **err);

/* ---- MySQL (mysql_client.c), for Spin 1's outbound-mysql -----------------
 * Values as fermyon:spin/rdbms-types numbers its cases (db-value and
 * parameter-value alike up to db-null; db-data-type's `other` is 13 too). */
typedef enum spinapi_rdbms_kind {
    SPINAPI_RDBMS_BOOLEAN, SPINAPI_RDBMS_INT8, SPINAPI_RDBMS_INT16, SPINAPI_RDBMS_INT32,
    SPINAPI_RDBMS_INT64, SPINAPI_RDBMS_UINT8, SPINAPI_RDBMS_UINT16, SPINAPI_RDBMS_UINT32,
    SPINAPI_RDBMS_UINT64, SPINAPI_RDBMS_FLOATING32, SPINAPI_RDBMS_FLOATING64,
    SPINAPI_RDBMS_STR, SPINAPI_RDBMS_BINARY, SPINAPI_RDBMS_DB_NULL,
    SPINAPI_RDBMS_UNSUPPORTED,
    SPINAPI_RDBMS_OTHER = SPINAPI_RDBMS_DB_NULL, /* a column's data type */
} spinapi_rdbms_kind;

typedef struct spinapi_rdbms_value {
    spinapi_rdbms_kind kind;
    union {
        bool b;
        int64_t s;  /* int8 .. int64 */
        uint64_t u; /* uint8 .. uint64 */
        float f32;
        double f64;
        struct {
            const uint8_t *ptr; /* str (UTF-8) and binary */
            size_t len;
        } bytes;
    } of;
} spinapi_rdbms_value;

/* A query's result: ncols names and data types, nrows * ncols values row
 * by row; everything malloc'd (spinapi_mysql_rows_clear). */
typedef struct spinapi_mysql_rows {
    size_t ncols, nrows;
    char **names;
    spinapi_rdbms_kind *types;
    spinapi_rdbms_value *values;
} spinapi_mysql_rows;

/* rdbms-types' error cases (Spin 1's mysql-error numbers them one higher:
 * its case 0 is `success`). */
enum { SPINAPI_RDBMS_CONNECTION_FAILED, SPINAPI_RDBMS_BAD_PARAMETER, SPINAPI_RDBMS_QUERY_FAILED,
       SPINAPI_RDBMS_VALUE_CONVERSION_FAILED, SPINAPI_RDBMS_OTHER_ERROR };

/* One statement on a connection opened for it and closed after it, as
 * Spin serves the connection-less v1 interface: the address is checked
 * and parsed as fermyon:spin/mysql@2.0.0's open does it; rows NULL runs
 * it as execute (results discarded), else as query.  Waits end by
 * deadline_ns (0: none).  0, or -1 with *error_case (SPINAPI_RDBMS_*) and
 * *err (the message the guest gets). */
int spinapi_mysql_oneshot(spinapi_component *c, uint64_t deadline_ns, const char *address,
                          size_t address_len, const char *statement, size_t statement_len,
                          const spinapi_rdbms_value *params, size_t nparams,
                          spinapi_mysql_rows *rows, int *error_case, util_error **err);
void spinapi_mysql_rows_clear(spinapi_mysql_rows *rows);

/* Registers every host API interface in `l`.  Host functions find their
 * context as get_ctx(component_call_data(call)). */
int spinapi_define(component_linker *l, spinapi_ctx *(*get_ctx)(void *data), util_error **err);

/* Loads the client libraries the layer opens with dlopen (libpq, MariaDB
 * Connector/C, libmosquitto) now, not at a guest's first open: a Spin
 * container calls it before pivot_root,
 * after which the host's libraries are out of sight.  A library that is
 * missing is not an error here; an open then says why it cannot connect. */
void spinapi_preload(void);

/* The same for some of them: a bitwise or of SPINAPI_CLIENT_* (the shim
 * loads only the clients an app's allowed_outbound_hosts can reach). */
#define SPINAPI_CLIENT_POSTGRES 1u
#define SPINAPI_CLIENT_MYSQL 2u
#define SPINAPI_CLIENT_MQTT 4u
void spinapi_preload_clients(unsigned clients);

#endif
