/*
 * postgres.c - PostgreSQL for components: fermyon:spin/postgres@2.0.0
 * (with rdbms-types@2.0.0), spin:postgres/postgres@3.0.0 and @4.0.0, on
 * libpq, as Spin's factor-outbound-pg serves them.  v4 adds uuid, jsonb,
 * decimal and interval (mapped both ways), the name of an `other` type,
 * the bytes of an `unsupported` value, the server's error fields, and
 * ranges (int4range, int8range, numrange) and one-dimensional arrays
 * (int4[], int8[], numeric[], text/varchar/bpchar[]) both ways.
 *
 * open parses the guest's address (a postgres:// URL or key=value text,
 * both as libpq reads them), keeps only the options Spin's client
 * (tokio-postgres) knows, refuses Unix sockets and every host that
 * allowed_outbound_hosts does not allow (scheme "postgres", default port
 * 5432, the address actually dialled: hostaddr when given), and connects
 * with a bounded connect_timeout.  libpq must not read the host's files or
 * environment for the guest: the password file, client certificates and
 * GSSAPI are switched off, and host, port and user are always explicit.
 *
 * Parameters go as binary values with their own type (s8 and s16 as int2,
 * s32 int4, s64 int8, f32 float4, f64 float8, bytea, date, time,
 * timestamp, timestamptz, interval; uuid, jsonb, numeric, ranges and
 * arrays in their text forms); strings and nulls go as untyped text, so the
 * server fits them to the column (varchar, uuid, json...).  Results come
 * back in binary and map by type OID as Spin maps them; a type this host
 * does not map is `unsupported` (the column's type `other`).  Server errors
 * are query-failed("db error: <severity>: <message>").  With a request
 * deadline the statement runs through libpq's asynchronous calls and a
 * poll on its socket, and is cancelled on the server when the deadline
 * passes first (query-failed), so no statement outlives its request.
 *
 * A connection handle is a struct spinapi_pg; each instance (spinapi_ctx)
 * keeps a list of its open ones and closes what the guest did not drop.
 * Spin 1's connection-less fermyon:spin/postgres (what old-ABI modules'
 * outbound-pg reaches) opens one for each statement; Spin 1's
 * fermyon:spin/mysql answers that MySQL is not in this host yet.
 *
 * libpq is loaded with dlopen on first use (like libcurl in src/wasi2):
 * the shim starts with libc alone, and libpq's OpenSSL, GSSAPI and LDAP
 * are only loaded by apps that talk to PostgreSQL.
 */
#include "spinapi_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PQ_SONAME "libpq.so.5"
#define PQ_PACKAGE "libpq5"
/* Seconds libpq may spend connecting to one host (its minimum is 2). */
#define CONNECT_TIMEOUT_MAX 10

/* ---- libpq, loaded once -------------------------------------------------- */

typedef struct pq_api {
    __typeof__(&PQconninfoParse) conninfo_parse;
    __typeof__(&PQconninfoFree) conninfo_free;
    __typeof__(&PQconnectdbParams) connectdb_params;
    __typeof__(&PQstatus) status;
    __typeof__(&PQerrorMessage) error_message;
    __typeof__(&PQfinish) finish;
    __typeof__(&PQexecParams) exec_params;
    __typeof__(&PQresultStatus) result_status;
    __typeof__(&PQresultErrorField) result_error_field;
    __typeof__(&PQresultErrorMessage) result_error_message;
    __typeof__(&PQclear) clear;
    __typeof__(&PQntuples) ntuples;
    __typeof__(&PQnfields) nfields;
    __typeof__(&PQfname) fname;
    __typeof__(&PQftype) ftype;
    __typeof__(&PQgetisnull) getisnull;
    __typeof__(&PQgetvalue) getvalue;
    __typeof__(&PQgetlength) getlength;
    __typeof__(&PQcmdTuples) cmd_tuples;
    __typeof__(&PQfreemem) freemem;
    __typeof__(&PQsendQueryParams) send_query_params;
    __typeof__(&PQsocket) socket;
    __typeof__(&PQconsumeInput) consume_input;
    __typeof__(&PQisBusy) is_busy;
    __typeof__(&PQgetResult) get_result;
    __typeof__(&PQgetCancel) get_cancel;
    __typeof__(&PQcancel) cancel;
    __typeof__(&PQfreeCancel) free_cancel;
} pq_api;

static pq_api pq;
static char pq_load_error[256];
static pthread_once_t pq_once = PTHREAD_ONCE_INIT;

static void pq_load(void)
{
    if (util_dl_refused(PQ_SONAME, pq_load_error, sizeof(pq_load_error)))
        return; /* a container after pivot_root: see util_dl_seal */
    void *lib = dlopen(PQ_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        snprintf(pq_load_error, sizeof(pq_load_error),
                 "PostgreSQL needs %s (Debian package %s): %s", PQ_SONAME, PQ_PACKAGE, dlerror());
        return;
    }
    const struct {
        void **slot;
        const char *name;
    } syms[] = {
        {(void **)&pq.conninfo_parse, "PQconninfoParse"},
        {(void **)&pq.conninfo_free, "PQconninfoFree"},
        {(void **)&pq.connectdb_params, "PQconnectdbParams"},
        {(void **)&pq.status, "PQstatus"},
        {(void **)&pq.error_message, "PQerrorMessage"},
        {(void **)&pq.finish, "PQfinish"},
        {(void **)&pq.exec_params, "PQexecParams"},
        {(void **)&pq.result_status, "PQresultStatus"},
        {(void **)&pq.result_error_field, "PQresultErrorField"},
        {(void **)&pq.result_error_message, "PQresultErrorMessage"},
        {(void **)&pq.clear, "PQclear"},
        {(void **)&pq.ntuples, "PQntuples"},
        {(void **)&pq.nfields, "PQnfields"},
        {(void **)&pq.fname, "PQfname"},
        {(void **)&pq.ftype, "PQftype"},
        {(void **)&pq.getisnull, "PQgetisnull"},
        {(void **)&pq.getvalue, "PQgetvalue"},
        {(void **)&pq.getlength, "PQgetlength"},
        {(void **)&pq.cmd_tuples, "PQcmdTuples"},
        {(void **)&pq.freemem, "PQfreemem"},
        {(void **)&pq.send_query_params, "PQsendQueryParams"},
        {(void **)&pq.socket, "PQsocket"},
        {(void **)&pq.consume_input, "PQconsumeInput"},
        {(void **)&pq.is_busy, "PQisBusy"},
        {(void **)&pq.get_result, "PQgetResult"},
        {(void **)&pq.get_cancel, "PQgetCancel"},
        {(void **)&pq.cancel, "PQcancel"},
        {(void **)&pq.free_cancel, "PQfreeCancel"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(syms); i++) {
        *syms[i].slot = dlsym(lib, syms[i].name);
        if (*syms[i].slot == NULL) {
            snprintf(pq_load_error, sizeof(pq_load_error), "%s: no symbol %s", PQ_SONAME,
                     syms[i].name);
            return;
        }
    }
}

/* NULL when libpq is usable, else why not. */
static const char *pq_ready(void)
{
    pthread_once(&pq_once, pq_load);
    return pq_load_error[0] ? pq_load_error : NULL;
}

void spinapi_preload_clients(unsigned clients)
{
    const char *why = clients & SPINAPI_CLIENT_POSTGRES ? pq_ready() : NULL;
    if (why)
        util_log_debug("postgres: %s", why);
    if (clients & SPINAPI_CLIENT_MYSQL)
        spinapi_mysql_preload();
    if (clients & SPINAPI_CLIENT_MQTT)
        spinapi_mqtt_preload();
}

void spinapi_preload(void)
{
    spinapi_preload_clients(SPINAPI_CLIENT_POSTGRES | SPINAPI_CLIENT_MYSQL | SPINAPI_CLIENT_MQTT);
}

/* ---- the versions' types -------------------------------------------------- */

/* What a value is, whatever the version numbers its cases. */
typedef enum pg_kind {
    K_BOOL, K_I8, K_I16, K_I32, K_I64, K_U8, K_U16, K_U32, K_U64, K_F32, K_F64, K_STR,
    K_BIN, K_DATE, K_TIME, K_DATETIME, K_TIMESTAMP, K_UUID, K_JSONB, K_DECIMAL, K_INTERVAL,
    K_RANGE_I32, K_RANGE_I64, K_RANGE_DEC, K_ARR_I32, K_ARR_I64, K_ARR_DEC, K_ARR_STR,
    K_NULL, K_UNSUPPORTED, K_COUNT
} pg_kind;

/* One version of the interface: its parameter-value, db-value and
 * db-data-type cases by kind (-1: the version has no such case). */
typedef struct pg_version {
    pg_kind param[32];      /* parameter-value case -> kind */
    size_t nparam;
    int value[K_COUNT];     /* kind -> db-value case */
    int data_type[K_COUNT]; /* kind -> db-data-type case */
    int other_type;         /* db-data-type `other` */
    bool v4;                /* other(type name), unsupported(bytes), query-error */
} pg_version;

/* What v2 and v3 have no case for. */
#define NOT_V4 [K_UUID] = -1, [K_JSONB] = -1, [K_DECIMAL] = -1, [K_INTERVAL] = -1, \
               [K_RANGE_I32] = -1, [K_RANGE_I64] = -1, [K_RANGE_DEC] = -1, [K_ARR_I32] = -1, \
               [K_ARR_I64] = -1, [K_ARR_DEC] = -1, [K_ARR_STR] = -1

static const pg_version v2 = {
    .param = {K_BOOL, K_I8, K_I16, K_I32, K_I64, K_U8, K_U16, K_U32, K_U64, K_F32, K_F64, K_STR,
              K_BIN, K_NULL},
    .nparam = 14,
    .value = {[K_BOOL] = 0, [K_I8] = 1, [K_I16] = 2, [K_I32] = 3, [K_I64] = 4, [K_U8] = 5,
              [K_U16] = 6, [K_U32] = 7, [K_U64] = 8, [K_F32] = 9, [K_F64] = 10, [K_STR] = 11,
              [K_BIN] = 12, [K_DATE] = -1, [K_TIME] = -1, [K_DATETIME] = -1,
              [K_TIMESTAMP] = -1, [K_NULL] = 13, [K_UNSUPPORTED] = 14, NOT_V4},
    .data_type = {[K_BOOL] = 0, [K_I8] = 1, [K_I16] = 2, [K_I32] = 3, [K_I64] = 4, [K_U8] = 5,
                  [K_U16] = 6, [K_U32] = 7, [K_U64] = 8, [K_F32] = 9, [K_F64] = 10,
                  [K_STR] = 11, [K_BIN] = 12, [K_DATE] = -1, [K_TIME] = -1,
                  [K_DATETIME] = -1, [K_TIMESTAMP] = -1, [K_NULL] = -1,
                  [K_UNSUPPORTED] = -1, NOT_V4},
    .other_type = 13,
};

static const pg_version v3 = {
    .param = {K_BOOL, K_I8, K_I16, K_I32, K_I64, K_F32, K_F64, K_STR, K_BIN, K_DATE, K_TIME,
              K_DATETIME, K_TIMESTAMP, K_NULL},
    .nparam = 14,
    .value = {[K_BOOL] = 0, [K_I8] = 1, [K_I16] = 2, [K_I32] = 3, [K_I64] = 4, [K_U8] = -1,
              [K_U16] = -1, [K_U32] = -1, [K_U64] = -1, [K_F32] = 5, [K_F64] = 6, [K_STR] = 7,
              [K_BIN] = 8, [K_DATE] = 9, [K_TIME] = 10, [K_DATETIME] = 11, [K_TIMESTAMP] = 12,
              [K_NULL] = 13, [K_UNSUPPORTED] = 14, NOT_V4},
    .data_type = {[K_BOOL] = 0, [K_I8] = 1, [K_I16] = 2, [K_I32] = 3, [K_I64] = 4,
                  [K_U8] = -1, [K_U16] = -1, [K_U32] = -1, [K_U64] = -1, [K_F32] = 5,
                  [K_F64] = 6, [K_STR] = 7, [K_BIN] = 8, [K_DATE] = 9, [K_TIME] = 10,
                  [K_DATETIME] = 11, [K_TIMESTAMP] = 12, [K_NULL] = -1,
                  [K_UNSUPPORTED] = -1, NOT_V4},
    .other_type = 13,
};

/* v4's range and array cases, the same in db-value, parameter-value and
 * db-data-type. */
#define V4_RANGES_ARRAYS [K_RANGE_I32] = 16, [K_RANGE_I64] = 17, [K_RANGE_DEC] = 18, \
                         [K_ARR_I32] = 19, [K_ARR_I64] = 20, [K_ARR_DEC] = 21, [K_ARR_STR] = 22

static const pg_version v4 = {
    .param = {K_BOOL, K_I8, K_I16, K_I32, K_I64, K_F32, K_F64, K_STR, K_BIN, K_DATE, K_TIME,
              K_DATETIME, K_TIMESTAMP, K_UUID, K_JSONB, K_DECIMAL, K_RANGE_I32, K_RANGE_I64,
              K_RANGE_DEC, K_ARR_I32, K_ARR_I64, K_ARR_DEC, K_ARR_STR, K_INTERVAL, K_NULL},
    .nparam = 25,
    .value = {[K_BOOL] = 0, [K_I8] = 1, [K_I16] = 2, [K_I32] = 3, [K_I64] = 4, [K_U8] = -1,
              [K_U16] = -1, [K_U32] = -1, [K_U64] = -1, [K_F32] = 5, [K_F64] = 6, [K_STR] = 7,
              [K_BIN] = 8, [K_DATE] = 9, [K_TIME] = 10, [K_DATETIME] = 11, [K_TIMESTAMP] = 12,
              [K_UUID] = 13, [K_JSONB] = 14, [K_DECIMAL] = 15, [K_INTERVAL] = 23,
              V4_RANGES_ARRAYS, [K_NULL] = 24, [K_UNSUPPORTED] = 25},
    .data_type = {[K_BOOL] = 0, [K_I8] = 1, [K_I16] = 2, [K_I32] = 3, [K_I64] = 4,
                  [K_U8] = -1, [K_U16] = -1, [K_U32] = -1, [K_U64] = -1, [K_F32] = 5,
                  [K_F64] = 6, [K_STR] = 7, [K_BIN] = 8, [K_DATE] = 9, [K_TIME] = 10,
                  [K_DATETIME] = 11, [K_TIMESTAMP] = 12, [K_UUID] = 13, [K_JSONB] = 14,
                  [K_DECIMAL] = 15, [K_INTERVAL] = 23, V4_RANGES_ARRAYS,
                  [K_NULL] = -1, [K_UNSUPPORTED] = -1},
    .other_type = 24,
    .v4 = true,
};

enum { E_CONNECTION_FAILED, E_BAD_PARAMETER, E_QUERY_FAILED, E_VALUE_CONVERSION_FAILED,
       E_OTHER };

/* PostgreSQL type OIDs (pg_type.dat). */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
       OID_TEXT = 25, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_BPCHAR = 1042,
       OID_VARCHAR = 1043, OID_DATE = 1082, OID_TIME = 1083, OID_TIMESTAMP = 1114,
       OID_TIMESTAMPTZ = 1184, OID_INTERVAL = 1186, OID_NUMERIC = 1700, OID_UUID = 2950,
       OID_JSONB = 3802, OID_INT4RANGE = 3904, OID_NUMRANGE = 3906, OID_INT8RANGE = 3926,
       OID_INT4_ARRAY = 1007, OID_INT8_ARRAY = 1016, OID_NUMERIC_ARRAY = 1231,
       OID_TEXT_ARRAY = 1009, OID_BPCHAR_ARRAY = 1014, OID_VARCHAR_ARRAY = 1015 };

/* What a column of type `oid` becomes (Spin's convert_data_type: a
 * timestamp with or without zone is a datetime). */
static pg_kind kind_of_oid(Oid oid)
{
    switch (oid) {
    case OID_BOOL: return K_BOOL;
    case OID_BYTEA: return K_BIN;
    case OID_INT2: return K_I16;
    case OID_INT4: return K_I32;
    case OID_INT8: return K_I64;
    case OID_FLOAT4: return K_F32;
    case OID_FLOAT8: return K_F64;
    case OID_TEXT: case OID_VARCHAR: case OID_BPCHAR: return K_STR;
    case OID_DATE: return K_DATE;
    case OID_TIME: return K_TIME;
    case OID_TIMESTAMP: case OID_TIMESTAMPTZ: return K_DATETIME;
    case OID_UUID: return K_UUID;
    case OID_JSONB: return K_JSONB;
    case OID_NUMERIC: return K_DECIMAL;
    case OID_INTERVAL: return K_INTERVAL;
    case OID_INT4RANGE: return K_RANGE_I32;
    case OID_INT8RANGE: return K_RANGE_I64;
    case OID_NUMRANGE: return K_RANGE_DEC;
    case OID_INT4_ARRAY: return K_ARR_I32;
    case OID_INT8_ARRAY: return K_ARR_I64;
    case OID_NUMERIC_ARRAY: return K_ARR_DEC;
    case OID_TEXT_ARRAY: case OID_VARCHAR_ARRAY: case OID_BPCHAR_ARRAY: return K_ARR_STR;
    default: return K_UNSUPPORTED;
    }
}

/* The name of a type the mapping leaves as `other` (v4 names it). */
static const char *oid_name(Oid oid)
{
    static const struct {
        Oid oid;
        const char *name;
    } names[] = {
        {18, "char"}, {19, "name"}, {26, "oid"}, {114, "json"}, {142, "xml"},
        {650, "cidr"}, {790, "money"}, {829, "macaddr"}, {869, "inet"}, {1266, "timetz"},
        {1560, "bit"}, {1562, "varbit"}, {3904, "int4range"}, {3926, "int8range"},
        {3906, "numrange"}, {1007, "_int4"}, {1016, "_int8"}, {1231, "_numeric"},
        {1009, "_text"}, {1015, "_varchar"}, {1014, "_bpchar"}, {2278, "void"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(names); i++)
        if (names[i].oid == oid)
            return names[i].name;
    static __thread char buf[24];
    snprintf(buf, sizeof(buf), "oid %u", oid);
    return buf;
}

/* ---- dates: PostgreSQL counts days and microseconds from 2000-01-01 ------ */

#define PG_EPOCH_DAYS 10957 /* 1970-01-01 .. 2000-01-01 */
#define USECS_PER_DAY INT64_C(86400000000)

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool valid_date(int64_t y, unsigned m, unsigned d)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m != 2 || d <= 28 || leap;
}

static bool valid_time(unsigned h, unsigned mi, unsigned s, uint64_t ns)
{
    return h < 24 && mi < 60 && s < 60 && ns < 1000000000u;
}

/* ---- connections ------------------------------------------------------------ */

struct spinapi_pg {
    spinapi_conn_link link; /* in ctx->pg_open */
    PGconn *conn;
    spinapi_ctx *ctx;
    pthread_mutex_t lock; /* one statement at a time on the connection */
};

static void pg_free(struct spinapi_pg *p)
{
    spinapi_conn_link_remove(&p->link);
    pq.finish(p->conn);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void pg_dtor(uintptr_t rep)
{
    if (rep)
        pg_free((struct spinapi_pg *)rep);
}

void spinapi_pg_close_all(spinapi_ctx *ctx)
{
    while (ctx->pg_open)
        pg_free(SPINAPI_CONN_OF(ctx->pg_open, struct spinapi_pg));
}

/* The options Spin's client accepts; any other is refused as it refuses
 * them (and libpq must not read files the guest names). */
static const char *const guest_options[] = {
    "host", "hostaddr", "port", "user", "password", "dbname", "options", "application_name",
    "sslmode", "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "target_session_attrs", "channel_binding",
};

static bool guest_option(const char *key)
{
    for (size_t i = 0; i < UTIL_ARRAY_LEN(guest_options); i++)
        if (strcmp(key, guest_options[i]) == 0)
            return true;
    return false;
}

/* The n-th item of a comma-separated list (libpq's host/hostaddr/port),
 * in buf; "" when the list is shorter. */
static const char *list_item(const char *list, size_t n, char *buf, size_t size)
{
    buf[0] = '\0';
    if (list == NULL)
        return buf;
    const char *p = list;
    for (size_t i = 0; i < n; i++) {
        p = strchr(p, ',');
        if (p == NULL)
            return buf;
        p++;
    }
    size_t len = strcspn(p, ",");
    snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), p);
    return buf;
}

static size_t list_len(const char *list)
{
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    return n;
}

/* Checks every address the connection may dial; 0, or -1 with the
 * refusal in msg. */
static int check_hosts(const spinapi_component *c, const char *hosts, const char *addrs,
                       const char *ports, char *msg, size_t size)
{
    const char *list = addrs && *addrs ? addrs : hosts;
    if (list == NULL || *list == '\0')
        return snprintf(msg, size, "invalid configuration: host missing"), -1;
    size_t n = list_len(list), nports = ports ? list_len(ports) : 0;
    for (size_t i = 0; i < n; i++) {
        char host[256], port[16];
        /* A name longer than the buffer is refused, never checked cut short. */
        if (strlen(list_item(list, i, host, sizeof(host))) >= sizeof(host) - 1)
            return snprintf(msg, size, "invalid configuration: host name too long"), -1;
        if (host[0] == '/' || host[0] == '@')
            return snprintf(msg, size, "Unix sockets are not supported on WebAssembly"), -1;
        /* The port at the same index, or the only one. */
        list_item(ports, nports == 1 ? 0 : i, port, sizeof(port));
        char *end = NULL;
        unsigned long pnum = port[0] ? strtoul(port, &end, 10) : 5432;
        if ((port[0] && *end != '\0') || pnum == 0 || pnum > 65535)
            return snprintf(msg, size, "invalid configuration: invalid port `%s`", port), -1;
        if (c->outbound_allowed == NULL ||
            !c->outbound_allowed(c->outbound_self, "postgres", host, (uint16_t)pnum)) {
            if (port[0])
                snprintf(msg, size, "address postgres://%s:%s is not permitted", host, port);
            else
                snprintf(msg, size, "address postgres://%s is not permitted", host);
            return -1;
        }
    }
    return 0;
}

/* libpq's message without its trailing newline. */
static void trimmed(const char *s, char *buf, size_t size)
{
    snprintf(buf, size, "%s", s ? s : "");
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
}

#define MAX_KEYS 32

/* Connects to `address` for ctx: a struct spinapi_pg, or NULL with why in msg. */
static struct spinapi_pg *pg_connect(spinapi_ctx *ctx, const char *address, char *msg,
                                     size_t size)
{
    const char *why = pq_ready();
    if (why)
        return snprintf(msg, size, "%s", why), NULL;
    char *perr = NULL;
    PQconninfoOption *opts = pq.conninfo_parse(address, &perr);
    if (opts == NULL) {
        trimmed(perr ? perr : "out of memory", msg, size);
        if (perr)
            pq.freemem(perr);
        return NULL;
    }
    const char *keys[MAX_KEYS + 1], *vals[MAX_KEYS + 1];
    size_t n = 0;
    const char *host = NULL, *hostaddr = NULL, *port = NULL, *user = NULL, *timeout = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (o->val == NULL)
            continue;
        if (!guest_option(o->keyword)) {
            snprintf(msg, size, "invalid connection string: unknown option `%s`", o->keyword);
            pq.conninfo_free(opts);
            return NULL;
        }
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "user") == 0)
            user = o->val;
        else if (strcmp(o->keyword, "connect_timeout") == 0) {
            timeout = o->val;
            continue; /* bounded below */
        }
        keys[n] = o->keyword, vals[n] = o->val, n++;
    }
    if (check_hosts(ctx->c, host, hostaddr, port, msg, size) < 0 ||
        (user == NULL && snprintf(msg, size, "invalid configuration: user missing") > 0)) {
        pq.conninfo_free(opts);
        return NULL;
    }
    char tbuf[16];
    long t = timeout ? strtol(timeout, NULL, 10) : 0;
    snprintf(tbuf, sizeof(tbuf), "%ld", t > 0 && t < CONNECT_TIMEOUT_MAX ? t : CONNECT_TIMEOUT_MAX);
    /* Nothing of the host's: no password file, certificates or GSSAPI. */
    const char *fixed[][2] = {
        {"connect_timeout", tbuf},          {"client_encoding", "UTF8"},
        {"passfile", "/nonexistent/spin-pg"}, {"sslcert", "/nonexistent/spin-pg"},
        {"sslkey", "/nonexistent/spin-pg"}, {"sslrootcert", "/nonexistent/spin-pg"},
        {"sslcrl", "/nonexistent/spin-pg"}, {"gssencmode", "disable"},
        {"port", port ? port : "5432"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(fixed); i++)
        keys[n] = fixed[i][0], vals[n] = fixed[i][1], n++;
    keys[n] = vals[n] = NULL;
    PGconn *conn = pq.connectdb_params(keys, vals, 0);
    pq.conninfo_free(opts);
    if (conn == NULL || pq.status(conn) != CONNECTION_OK) {
        trimmed(conn ? pq.error_message(conn) : "out of memory", msg, size);
        if (conn)
            pq.finish(conn);
        return NULL;
    }
    struct spinapi_pg *p = util_xcalloc(1, sizeof(*p));
    p->conn = conn;
    p->ctx = ctx;
    pthread_mutex_init(&p->lock, NULL);
    spinapi_conn_link_add(&ctx->pg_open, &p->link);
    return p;
}

/* ---- host functions ---------------------------------------------------------- */

static int pg_err(component_call *call, uint32_t which, const char *msg, component_val *out)
{
    return spinapi_err(call, which, msg, out);
}

static int open_connection(component_call *call, const spinapi_host *h,
                           component_resource_type *type, const component_val *address,
                           component_val *result)
{
    char msg[512];
    const char *addr = spinapi_cstr(call, address);
    if (addr == NULL)
        return component_call_trap(call, "postgres open: out of call memory");
    spinapi_ctx *ctx = spinapi_host_ctx(h, call);
    struct spinapi_pg *p = pg_connect(ctx, addr, msg, sizeof(msg));
    if (p == NULL)
        return pg_err(call, E_CONNECTION_FAILED, msg, result);
    component_val own = spinapi_own(type, p);
    return spinapi_variant(call, 0, &own, result);
}

static int open2(component_call *call, void *env, const component_val *args, size_t nargs,
                 component_val *result)
{
    (void)nargs;
    const spinapi_host *h = env;
    return open_connection(call, h, h->pg2, &args[0], result);
}

static int open3(component_call *call, void *env, const component_val *args, size_t nargs,
                 component_val *result)
{
    (void)nargs;
    const spinapi_host *h = env;
    return open_connection(call, h, h->pg3, &args[0], result);
}

/* The statement's parameters, as libpq wants them. */
typedef struct pg_params {
    int n;
    Oid *types;
    const char **values;
    int *lengths;
    int *formats;
} pg_params;

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

/* One binary parameter of `bytes` bytes holding v. */
static int binary_param(component_call *call, pg_params *ps, int i, Oid type, uint64_t v,
                        int bytes)
{
    uint8_t *b = component_call_alloc(call, (size_t)bytes);
    if (b == NULL)
        return -1;
    put_be(b, v, bytes);
    ps->types[i] = type, ps->values[i] = (const char *)b, ps->lengths[i] = bytes;
    ps->formats[i] = 1;
    return 0;
}

static uint64_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static uint64_t f64_bits(double f)
{
    uint64_t u;
    memcpy(&u, &f, 8);
    return u;
}

/* Microseconds since 2000-01-01 of a datetime tuple; false if invalid. */
static bool datetime_usecs(const component_val *f, int64_t *out, char *msg, size_t size)
{
    int64_t y = f[0].of.s;
    unsigned mo = (unsigned)f[1].of.u, d = (unsigned)f[2].of.u, h = (unsigned)f[3].of.u,
             mi = (unsigned)f[4].of.u, s = (unsigned)f[5].of.u;
    uint64_t ns = f[6].of.u;
    if (!valid_date(y, mo, d))
        return snprintf(msg, size, "invalid date y=%lld, m=%u, d=%u", (long long)y, mo, d),
               false;
    if (!valid_time(h, mi, s, ns))
        return snprintf(msg, size, "invalid time %u:%u:%u:%llu", h, mi, s,
                        (unsigned long long)ns),
               false;
    int64_t days = days_from_civil(y, mo, d) - PG_EPOCH_DAYS;
    *out = days * USECS_PER_DAY + ((int64_t)h * 3600 + mi * 60 + s) * 1000000 +
           (int64_t)(ns / 1000);
    return true;
}

/* Converts one parameter; 0, 1 with msg (a value PostgreSQL cannot take),
 * -1 when the call's memory ran out. */
static int range_or_array_param(component_call *call, pg_kind k, const component_val *p,
                                pg_params *ps, int i, char *msg, size_t size);

static int convert_param(component_call *call, const pg_version *ver, const component_val *v,
                         pg_params *ps, int i, char *msg, size_t size)
{
    const component_val *p = v->of.variant.payload;
    pg_kind k = v->of.variant.disc < ver->nparam ? ver->param[v->of.variant.disc] : K_NULL;
    switch (k) {
    case K_BOOL: return binary_param(call, ps, i, OID_BOOL, p->of.b, 1);
    case K_I8:
    case K_I16: return binary_param(call, ps, i, OID_INT2, (uint64_t)p->of.s, 2);
    case K_I32: return binary_param(call, ps, i, OID_INT4, (uint64_t)p->of.s, 4);
    case K_I64: return binary_param(call, ps, i, OID_INT8, (uint64_t)p->of.s, 8);
    case K_F32: return binary_param(call, ps, i, OID_FLOAT4, f32_bits(p->of.f32), 4);
    case K_F64: return binary_param(call, ps, i, OID_FLOAT8, f64_bits(p->of.f64), 8);
    case K_U8: case K_U16: case K_U32: case K_U64:
        snprintf(msg, size, "Postgres does not support unsigned integers");
        return 1;
    case K_STR: {
        /* Untyped text: the server gives it the type the statement needs. */
        char *s = spinapi_cstr(call, p);
        if (s == NULL)
            return -1;
        if (strlen(s) != p->of.str.len) {
            snprintf(msg, size, "parameter %d: a string with a NUL character", i + 1);
            return 1;
        }
        ps->values[i] = s, ps->lengths[i] = (int)p->of.str.len;
        return 0;
    }
    case K_BIN: {
        const uint8_t *b = spinapi_list_bytes(call, p);
        if (b == NULL)
            return -1;
        ps->types[i] = OID_BYTEA, ps->values[i] = (const char *)b;
        ps->lengths[i] = (int)p->of.list.n, ps->formats[i] = 1;
        return 0;
    }
    case K_DATE: {
        const component_val *f = p->of.record.fields;
        int64_t y = f[0].of.s;
        unsigned mo = (unsigned)f[1].of.u, d = (unsigned)f[2].of.u;
        if (!valid_date(y, mo, d)) {
            snprintf(msg, size, "invalid date y=%lld, m=%u, d=%u", (long long)y, mo, d);
            return 1;
        }
        int64_t days = days_from_civil(y, mo, d) - PG_EPOCH_DAYS;
        return binary_param(call, ps, i, OID_DATE, (uint64_t)days, 4);
    }
    case K_TIME: {
        const component_val *f = p->of.record.fields;
        unsigned h = (unsigned)f[0].of.u, mi = (unsigned)f[1].of.u, s = (unsigned)f[2].of.u;
        uint64_t ns = f[3].of.u;
        if (!valid_time(h, mi, s, ns)) {
            snprintf(msg, size, "invalid time %u:%u:%u:%llu", h, mi, s, (unsigned long long)ns);
            return 1;
        }
        uint64_t us = ((uint64_t)h * 3600 + mi * 60 + s) * 1000000 + ns / 1000;
        return binary_param(call, ps, i, OID_TIME, us, 8);
    }
    case K_DATETIME: {
        int64_t us;
        if (!datetime_usecs(p->of.record.fields, &us, msg, size))
            return 1;
        return binary_param(call, ps, i, OID_TIMESTAMP, (uint64_t)us, 8);
    }
    case K_TIMESTAMP: {
        /* Unix seconds as timestamptz; PostgreSQL's range is smaller than s64's. */
        int64_t secs = p->of.s;
        if (secs < -210866803200LL || secs > 9224318015999LL) {
            snprintf(msg, size, "invalid epoch timestamp %lld", (long long)secs);
            return 1;
        }
        int64_t us = (secs - PG_EPOCH_DAYS * INT64_C(86400)) * 1000000;
        return binary_param(call, ps, i, OID_TIMESTAMPTZ, (uint64_t)us, 8);
    }
    case K_UUID: case K_JSONB: case K_DECIMAL: {
        /* In their text forms, which the server checks. */
        const char *raw = k == K_JSONB ? (const char *)spinapi_list_bytes(call, p) : "";
        const component_val text = k == K_JSONB ? spinapi_str(raw, p->of.list.n) : *p;
        char *t = raw ? spinapi_cstr(call, &text) : NULL;
        if (t == NULL)
            return -1;
        if (strlen(t) != text.of.str.len) {
            snprintf(msg, size, "parameter %d: a NUL character", i + 1);
            return 1;
        }
        ps->types[i] = k == K_UUID ? OID_UUID : k == K_JSONB ? OID_JSONB : OID_NUMERIC;
        ps->values[i] = t, ps->lengths[i] = (int)text.of.str.len;
        return 0;
    }
    case K_INTERVAL: {
        const component_val *f = p->of.record.fields;
        uint8_t *b = component_call_alloc(call, 16);
        if (b == NULL)
            return -1;
        put_be(b, (uint64_t)f[0].of.s, 8);
        put_be(b + 8, (uint64_t)f[1].of.s, 4);
        put_be(b + 12, (uint64_t)f[2].of.s, 4);
        ps->types[i] = OID_INTERVAL, ps->values[i] = (const char *)b, ps->lengths[i] = 16;
        ps->formats[i] = 1;
        return 0;
    }
    case K_RANGE_I32: case K_RANGE_I64: case K_RANGE_DEC:
    case K_ARR_I32: case K_ARR_I64: case K_ARR_DEC: case K_ARR_STR:
        return range_or_array_param(call, k, p, ps, i, msg, size);
    default: /* db-null: an untyped NULL fits any column */
        return 0;
    }
}

/* 0, 1 with msg, -1 (memory). */
static int convert_params(component_call *call, const pg_version *ver, const component_val *list,
                          pg_params *ps, char *msg, size_t size)
{
    size_t n = list->of.list.n;
    if (n > 65535)
        return snprintf(msg, size, "too many parameters (%zu)", n), 1;
    ps->n = (int)n;
    size_t m = n ? n : 1;
    ps->types = component_call_alloc(call, m * sizeof(Oid));
    ps->values = component_call_alloc(call, m * sizeof(char *));
    ps->lengths = component_call_alloc(call, m * sizeof(int));
    ps->formats = component_call_alloc(call, m * sizeof(int));
    if (!ps->types || !ps->values || !ps->lengths || !ps->formats)
        return -1;
    memset(ps->types, 0, m * sizeof(Oid));
    memset(ps->values, 0, m * sizeof(char *));
    memset(ps->lengths, 0, m * sizeof(int));
    memset(ps->formats, 0, m * sizeof(int));
    for (size_t i = 0; i < n; i++) {
        int rc = convert_param(call, ver, &list->of.list.items[i], ps, (int)i, msg, size);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static component_val tuple(component_val *fields, size_t n)
{
    return (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {fields, n}};
}

/* query-failed(text) in every version: v4 wraps it in query-error::text. */
static int query_failed_text(component_call *call, const pg_version *ver, const char *msg,
                             component_val *out)
{
    if (!ver->v4)
        return pg_err(call, E_QUERY_FAILED, msg, out);
    component_val s, qe, e;
    if (spinapi_str_copy(call, msg, strlen(msg), &s) < 0 || spinapi_variant(call, 0, &s, &qe) < 0 ||
        spinapi_variant(call, E_QUERY_FAILED, &qe, &e) < 0)
        return component_call_trap(call, "postgres: out of call memory");
    return spinapi_variant(call, 1, &e, out);
}

/* A diagnostic field as a string value ("" when absent). */
static int diag(component_call *call, PGresult *res, int field, component_val *out)
{
    const char *v = pq.result_error_field(res, field);
    return spinapi_str_copy(call, v ? v : "", v ? strlen(v) : 0, out);
}

/* v4's query-error::db-error{as-text, severity, code, message, detail,
 * extras}: the server's fields, as tokio-postgres reports them. */
static int db_error(component_call *call, PGresult *res, const char *as_text, component_val *out)
{
    static const struct {
        int field;
        const char *name;
    } extra_fields[] = {
        {PG_DIAG_COLUMN_NAME, "column"}, {PG_DIAG_CONSTRAINT_NAME, "constraint"},
        {PG_DIAG_SOURCE_FUNCTION, "routine"}, {PG_DIAG_MESSAGE_HINT, "hint"},
        {PG_DIAG_TABLE_NAME, "table"}, {PG_DIAG_DATATYPE_NAME, "datatype"},
        {PG_DIAG_SCHEMA_NAME, "schema"}, {PG_DIAG_SOURCE_FILE, "file"},
        {PG_DIAG_SOURCE_LINE, "line"}, {PG_DIAG_CONTEXT, "where_"},
    };
    component_val *f = component_call_vals(call, 6);
    component_val *extras = component_call_vals(call, UTIL_ARRAY_LEN(extra_fields));
    if (f == NULL || extras == NULL || spinapi_str_copy(call, as_text, strlen(as_text), &f[0]) < 0 ||
        diag(call, res, PG_DIAG_SEVERITY, &f[1]) < 0 || diag(call, res, PG_DIAG_SQLSTATE, &f[2]) < 0 ||
        diag(call, res, PG_DIAG_MESSAGE_PRIMARY, &f[3]) < 0)
        return -1;
    const char *detail = pq.result_error_field(res, PG_DIAG_MESSAGE_DETAIL);
    component_val d;
    if (detail) {
        if (spinapi_str_copy(call, detail, strlen(detail), &d) < 0 ||
            spinapi_variant(call, 1, &d, &f[4]) < 0)
            return -1;
    } else {
        f[4] = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}};
    }
    size_t n = 0;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(extra_fields); i++) {
        const char *v = pq.result_error_field(res, extra_fields[i].field);
        component_val *kv = v ? component_call_vals(call, 2) : NULL;
        if (v == NULL)
            continue;
        if (kv == NULL ||
            spinapi_str_copy(call, extra_fields[i].name, strlen(extra_fields[i].name), &kv[0]) < 0 ||
            spinapi_str_copy(call, v, strlen(v), &kv[1]) < 0)
            return -1;
        extras[n++] = tuple(kv, 2);
    }
    f[5] = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = extras, .n = n}};
    *out = tuple(f, 6);
    return 0;
}

/* query-failed with the server's words: "db error: ERROR: <message>", as
 * tokio-postgres prints a database error (v4: with its fields); libpq's
 * message otherwise. */
static int query_failed(component_call *call, const pg_version *ver, PGconn *conn,
                        PGresult *res, component_val *out)
{
    char msg[1024];
    const char *sev = res ? pq.result_error_field(res, PG_DIAG_SEVERITY) : NULL;
    const char *primary = res ? pq.result_error_field(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!(sev && primary)) {
        char text[900];
        trimmed(res ? pq.result_error_message(res) : pq.error_message(conn), text, sizeof(text));
        snprintf(msg, sizeof(msg), "%s", text[0] ? text : "connection closed");
        return query_failed_text(call, ver, msg, out);
    }
    snprintf(msg, sizeof(msg), "db error: %s: %s", sev, primary);
    if (!ver->v4)
        return pg_err(call, E_QUERY_FAILED, msg, out);
    component_val rec, qe, e;
    if (db_error(call, res, msg, &rec) < 0 || spinapi_variant(call, 1, &rec, &qe) < 0 ||
        spinapi_variant(call, E_QUERY_FAILED, &qe, &e) < 0)
        return component_call_trap(call, "postgres: out of call memory");
    return spinapi_variant(call, 1, &e, out);
}

/* ---- the request deadline ----------------------------------------------------- */

/* Waits for input on the connection until `until` (monotonic ns); false
 * when that passed first. */
static bool wait_input(PGconn *conn, uint64_t until)
{
    for (;;) {
        uint64_t now = util_monotonic_ns();
        if (now >= until)
            return false;
        uint64_t ms = (until - now + 999999) / 1000000;
        struct pollfd pfd = {.fd = pq.socket(conn), .events = POLLIN};
        int r = poll(&pfd, 1, ms > INT_MAX ? INT_MAX : (int)ms);
        if (r > 0)
            return true;
        if (r < 0 && errno != EINTR)
            return true; /* let libpq find and tell the error */
    }
}

/* Reads until the statement's results are all in or `until` passes;
 * false in the second case. */
static bool read_until(PGconn *conn, uint64_t until)
{
    while (pq.is_busy(conn)) {
        if (!wait_input(conn, until))
            return false;
        if (!pq.consume_input(conn))
            return true; /* broken: PQgetResult says how */
    }
    return true;
}

/* How long a cancelled statement may take to answer before the session is
 * given up on. */
#define CANCEL_DRAIN_NS (2 * UINT64_C(1000000000))

/* The statement's last result, as PQexecParams returns it, but never past
 * the instance's request deadline: a statement still running then is
 * cancelled on the server (PQcancel) and *late is set.  Without a deadline
 * it is PQexecParams itself. */
static PGresult *exec_bounded(struct spinapi_pg *p, const char *sql, const pg_params *ps,
                              bool *late)
{
    *late = false;
    uint64_t deadline = p->ctx->deadline_ns;
    if (deadline == 0)
        return pq.exec_params(p->conn, sql, ps->n, ps->types, ps->values, ps->lengths,
                              ps->formats, 1);
    if (!pq.send_query_params(p->conn, sql, ps->n, ps->types, ps->values, ps->lengths,
                              ps->formats, 1))
        return NULL;
    if (!read_until(p->conn, deadline)) {
        *late = true;
        PGcancel *c = pq.get_cancel(p->conn);
        char why[256];
        if (c != NULL) {
            pq.cancel(c, why, sizeof(why));
            pq.free_cancel(c);
        }
        /* The server answers a cancel at once; what it sends is dropped. */
        read_until(p->conn, util_monotonic_ns() + CANCEL_DRAIN_NS);
    }
    PGresult *last = NULL, *r;
    while (!pq.is_busy(p->conn) && (r = pq.get_result(p->conn)) != NULL) {
        if (last)
            pq.clear(last);
        last = r;
    }
    if (*late && last) {
        pq.clear(last);
        last = NULL;
    }
    return last;
}

/* Runs the statement; the PGresult (PGRES_COMMAND_OK or TUPLES_OK) or NULL
 * with *result set to the error (or a trap, -1 in *rc). */
static PGresult *run(component_call *call, const pg_version *ver, const component_val *args,
                     bool is_query, component_val *result, int *rc)
{
    struct spinapi_pg *p = (struct spinapi_pg *)args[0].of.resource.rep;
    char msg[512];
    pg_params ps = {0};
    const char *sql = spinapi_cstr(call, &args[1]);
    int conv = sql ? convert_params(call, ver, &args[2], &ps, msg, sizeof(msg)) : -1;
    if (conv < 0) {
        *rc = component_call_trap(call, "postgres: out of call memory");
        return NULL;
    }
    if (conv > 0) {
        /* Spin: a bad parameter to query is bad-parameter, to execute
         * value-conversion-failed. */
        *rc = pg_err(call, is_query ? E_BAD_PARAMETER : E_VALUE_CONVERSION_FAILED, msg, result);
        return NULL;
    }
    bool late;
    pthread_mutex_lock(&p->lock);
    PGresult *res = exec_bounded(p, sql, &ps, &late);
    pthread_mutex_unlock(&p->lock);
    if (late) {
        *rc = query_failed_text(call, ver,
                                "the request's deadline passed; the statement was cancelled",
                                result);
        return NULL;
    }
    ExecStatusType st = res ? pq.result_status(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    *rc = query_failed(call, ver, p->conn, res, result);
    if (res)
        pq.clear(res);
    return NULL;
}

static int execute(component_call *call, const pg_version *ver, const component_val *args,
                   component_val *result)
{
    int rc = 0;
    PGresult *res = run(call, ver, args, false, result, &rc);
    if (res == NULL)
        return rc;
    const char *n = pq.cmd_tuples(res);
    component_val count = {.kind = COMPONENT_VAL_U64,
                           .of.u = n && *n ? strtoull(n, NULL, 10) : 0};
    pq.clear(res);
    return spinapi_variant(call, 0, &count, result);
}

static component_val num(component_val_kind kind, uint64_t u)
{
    return (component_val){.kind = kind, .of.u = u};
}

/* A numeric in PostgreSQL's binary form (base-10000 digits, a weight,
 * a sign and a display scale) as decimal text; false for NaN and the
 * infinities, which a decimal cannot hold. */
static bool numeric_text(const uint8_t *b, size_t len, char *out, size_t size)
{
    if (len < 8)
        return false;
    int ndigits = (int16_t)get_be(b, 2), weight = (int16_t)get_be(b + 2, 2);
    unsigned sign = (unsigned)get_be(b + 4, 2);
    int dscale = (int16_t)get_be(b + 6, 2);
    if ((sign != 0 && sign != 0x4000) || ndigits < 0 || len < 8 + 2 * (size_t)ndigits ||
        dscale < 0 || (size_t)(weight + 2) * 4 + (size_t)dscale + 4 > size)
        return false;
    char *o = out;
    if (sign == 0x4000)
        *o++ = '-';
    /* The integer part: digit groups 0..weight. */
    if (weight < 0)
        *o++ = '0';
    for (int g = 0; g <= weight; g++) {
        unsigned d = g < ndigits ? (unsigned)get_be(b + 8 + 2 * g, 2) : 0;
        o += g == 0 ? sprintf(o, "%u", d) : sprintf(o, "%04u", d);
    }
    if (dscale > 0) {
        *o++ = '.';
        for (int n = 0, g = weight + 1; n < dscale; g++) {
            unsigned d = g >= 0 && g < ndigits ? (unsigned)get_be(b + 8 + 2 * g, 2) : 0;
            const char four[4] = {(char)('0' + d / 1000 % 10), (char)('0' + d / 100 % 10),
                                  (char)('0' + d / 10 % 10), (char)('0' + d % 10)};
            for (int j = 0; j < 4 && n < dscale; j++, n++)
                *o++ = four[j];
        }
    }
    *o = '\0';
    return true;
}

/* jsonb's text without the blanks PostgreSQL puts between tokens (as
 * serde_json writes it for Spin). */
static size_t json_compact(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t n = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];
        if (in_string) {
            out[n++] = c;
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
            continue;
        in_string = c == '"';
        out[n++] = c;
    }
    return n;
}
/* ---- v4's ranges and arrays ------------------------------------------------------
 * Parameters go in PostgreSQL's text forms with their type named
 * ("[1,5)", "{1,NULL,3}", every decimal or string element quoted), which
 * the server parses and checks; results come back binary (a range: flags,
 * then each finite bound as length + value; an array: dimensions, a null
 * flag, the element type, then length + value per element, -1 for NULL).
 * As in Spin, an empty range is (none, none) and an array must have one
 * dimension. */

enum { RANGE_EMPTY = 0x01, RANGE_LB_INC = 0x02, RANGE_UB_INC = 0x04, RANGE_LB_INF = 0x08,
       RANGE_UB_INF = 0x10 };
enum { BOUND_INCLUSIVE, BOUND_EXCLUSIVE };

/* Appends one element or bound in text form: numbers as they are,
 * decimals and strings quoted with \ before " and \. */
static bool text_element(util_buf *b, pg_kind elem, const component_val *v)
{
    if (elem == K_I32 || elem == K_I64) {
        util_buf_printf(b, "%lld", (long long)v->of.s);
        return true;
    }
    if (memchr(v->of.str.ptr, 0, v->of.str.len))
        return false;
    util_buf_append(b, "\"", 1);
    for (size_t i = 0; i < v->of.str.len; i++) {
        char c = v->of.str.ptr[i];
        if (c == '"' || c == '\\')
            util_buf_append(b, "\\", 1);
        util_buf_append(b, &c, 1);
    }
    util_buf_append(b, "\"", 1);
    return true;
}

static int range_or_array_param(component_call *call, pg_kind k, const component_val *p,
                                pg_params *ps, int i, char *msg, size_t size)
{
    static const struct {
        pg_kind kind, elem;
        Oid oid;
    } forms[] = {
        {K_RANGE_I32, K_I32, OID_INT4RANGE},     {K_RANGE_I64, K_I64, OID_INT8RANGE},
        {K_RANGE_DEC, K_DECIMAL, OID_NUMRANGE},  {K_ARR_I32, K_I32, OID_INT4_ARRAY},
        {K_ARR_I64, K_I64, OID_INT8_ARRAY},      {K_ARR_DEC, K_DECIMAL, OID_NUMERIC_ARRAY},
        {K_ARR_STR, K_STR, OID_TEXT_ARRAY},
    };
    size_t f = 0;
    while (forms[f].kind != k)
        f++;
    util_buf b = {0};
    bool ok = true;
    if (k == K_RANGE_I32 || k == K_RANGE_I64 || k == K_RANGE_DEC) {
        const component_val *lo = &p->of.record.fields[0], *hi = &p->of.record.fields[1];
        const component_val *lb = lo->of.variant.disc ? lo->of.variant.payload->of.record.fields
                                                       : NULL;
        const component_val *ub = hi->of.variant.disc ? hi->of.variant.payload->of.record.fields
                                                       : NULL;
        util_buf_append(&b, lb && lb[1].of.variant.disc == BOUND_INCLUSIVE ? "[" : "(", 1);
        if (lb)
            ok = text_element(&b, forms[f].elem, &lb[0]);
        util_buf_append(&b, ",", 1);
        if (ub && ok)
            ok = text_element(&b, forms[f].elem, &ub[0]);
        util_buf_append(&b, ub && ub[1].of.variant.disc == BOUND_INCLUSIVE ? "]" : ")", 1);
    } else {
        util_buf_append(&b, "{", 1);
        for (size_t e = 0; e < p->of.list.n && ok; e++) {
            const component_val *item = &p->of.list.items[e];
            if (e)
                util_buf_append(&b, ",", 1);
            if (item->of.variant.disc == 0)
                util_buf_append(&b, "NULL", 4);
            else
                ok = text_element(&b, forms[f].elem, item->of.variant.payload);
        }
        util_buf_append(&b, "}", 1);
    }
    if (!ok) {
        util_buf_free(&b);
        snprintf(msg, size, "parameter %d: a string with a NUL character", i + 1);
        return 1;
    }
    char *t = component_call_alloc(call, b.len + 1);
    if (t != NULL) {
        memcpy(t, b.data, b.len);
        t[b.len] = '\0';
        ps->types[i] = forms[f].oid, ps->values[i] = t, ps->lengths[i] = (int)b.len;
    }
    util_buf_free(&b);
    return t ? 0 : -1;
}

/* One binary element or bound of type `elem` as a value; 1 with msg when
 * it cannot be one. */
static int binary_element(component_call *call, pg_kind elem, const uint8_t *b, size_t len,
                          component_val *out, char *msg, size_t size)
{
    if (elem == K_I32 || elem == K_I64) {
        size_t w = elem == K_I32 ? 4 : 8;
        if (len != w)
            return snprintf(msg, size, "%zu bytes for a %zu-byte integer", len, w), 1;
        *out = elem == K_I32 ? num(COMPONENT_VAL_S32, (uint64_t)(int64_t)(int32_t)get_be(b, 4))
                             : num(COMPONENT_VAL_S64, get_be(b, 8));
        return 0;
    }
    if (elem == K_STR)
        return spinapi_str_copy(call, b, len, out) < 0 ? -1 : 0;
    size_t cap = 16 + 8 * len;
    char *t = component_call_alloc(call, cap);
    if (t == NULL)
        return -1;
    if (!numeric_text(b, len, t, cap))
        return snprintf(msg, size, "NaN or infinity is no decimal"), 1;
    *out = spinapi_str(t, strlen(t));
    return 0;
}

/* option<tuple<T, range-bound-kind>> of one bound read at *at. */
static int range_bound(component_call *call, pg_kind elem, const uint8_t *b, size_t len,
                       size_t *at, bool present, bool inclusive, component_val *out, char *msg,
                       size_t size)
{
    *out = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}};
    if (!present)
        return 0;
    if (len - *at < 4)
        return snprintf(msg, size, "a truncated range"), 1;
    uint32_t n = (uint32_t)get_be(b + *at, 4);
    *at += 4;
    if (n > len - *at)
        return snprintf(msg, size, "a truncated range"), 1;
    component_val *f = component_call_vals(call, 2);
    if (f == NULL)
        return -1;
    int rc = binary_element(call, elem, b + *at, n, &f[0], msg, size);
    if (rc != 0)
        return rc;
    *at += n;
    f[1] = (component_val){.kind = COMPONENT_VAL_VARIANT,
                           .of.variant = {inclusive ? BOUND_INCLUSIVE : BOUND_EXCLUSIVE, NULL}};
    component_val pair = tuple(f, 2);
    return spinapi_variant(call, 1, &pair, out) < 0 ? -1 : 0;
}

static int range_value(component_call *call, pg_kind elem, const uint8_t *b, size_t len,
                       component_val *out, char *msg, size_t size)
{
    if (len < 1)
        return snprintf(msg, size, "an empty range value"), 1;
    uint8_t flags = b[0];
    bool empty = flags & RANGE_EMPTY;
    size_t at = 1;
    component_val *f = component_call_vals(call, 2);
    if (f == NULL)
        return -1;
    int rc = range_bound(call, elem, b, len, &at, !empty && !(flags & RANGE_LB_INF),
                         flags & RANGE_LB_INC, &f[0], msg, size);
    if (rc == 0)
        rc = range_bound(call, elem, b, len, &at, !empty && !(flags & RANGE_UB_INF),
                         flags & RANGE_UB_INC, &f[1], msg, size);
    if (rc == 0)
        *out = tuple(f, 2);
    return rc;
}

static int array_value(component_call *call, pg_kind elem, const uint8_t *b, size_t len,
                       component_val *out, char *msg, size_t size)
{
    if (len < 12)
        return snprintf(msg, size, "a truncated array"), 1;
    uint32_t ndim = (uint32_t)get_be(b, 4);
    if (ndim > 1)
        return snprintf(msg, size, "an array of %u dimensions (one is supported)", ndim), 1;
    size_t n = 0, at = 12;
    if (ndim == 1) {
        if (len < 20)
            return snprintf(msg, size, "a truncated array"), 1;
        n = (uint32_t)get_be(b + 12, 4);
        at = 20;
    }
    if (n > (len - at) / 4)
        return snprintf(msg, size, "a truncated array"), 1;
    component_val *items = component_call_vals(call, n ? n : 1);
    if (items == NULL)
        return -1;
    for (size_t e = 0; e < n; e++) {
        if (len - at < 4)
            return snprintf(msg, size, "a truncated array"), 1;
        int32_t elen = (int32_t)get_be(b + at, 4);
        at += 4;
        items[e] = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}};
        if (elen < 0)
            continue;
        if ((size_t)elen > len - at)
            return snprintf(msg, size, "a truncated array"), 1;
        component_val v;
        int rc = binary_element(call, elem, b + at, (size_t)elen, &v, msg, size);
        if (rc != 0)
            return rc;
        if (spinapi_variant(call, 1, &v, &items[e]) < 0)
            return -1;
        at += (size_t)elen;
    }
    *out = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = items, .n = n}};
    return 0;
}


/* One field of a row as a db-value; 1 with msg for a value out of range,
 * -1 when the call's memory ran out. */
static int field_value(component_call *call, const pg_version *ver, PGresult *res, int row,
                       int col, component_val *out, char *msg, size_t size)
{
    if (pq.getisnull(res, row, col)) {
        *out = (component_val){.kind = COMPONENT_VAL_VARIANT,
                               .of.variant = {(uint32_t)ver->value[K_NULL], NULL}};
        return 0;
    }
    pg_kind k = kind_of_oid(pq.ftype(res, col));
    if (ver->value[k] < 0)
        k = K_UNSUPPORTED;
    const uint8_t *b = (const uint8_t *)pq.getvalue(res, row, col);
    size_t len = (size_t)pq.getlength(res, row, col);
    static const int widths[K_COUNT] = {[K_BOOL] = 1, [K_I16] = 2, [K_I32] = 4, [K_I64] = 8,
                                        [K_F32] = 4, [K_F64] = 8, [K_DATE] = 4,
                                        [K_TIME] = 8, [K_DATETIME] = 8};
    static const int more_widths[K_COUNT] = {[K_UUID] = 16, [K_INTERVAL] = 16};
    if (more_widths[k] && len != (size_t)more_widths[k])
        return snprintf(msg, size, "column %s: %zu bytes for a %d-byte value",
                        pq.fname(res, col), len, more_widths[k]), 1;
    if (widths[k] && len != (size_t)widths[k])
        return snprintf(msg, size, "column %s: %zu bytes for a %d-byte value",
                        pq.fname(res, col), len, widths[k]), 1;
    component_val pl, *f;
    switch (k) {
    case K_BOOL: pl = (component_val){.kind = COMPONENT_VAL_BOOL, .of.b = b[0] != 0}; break;
    case K_I16: pl = (component_val){.kind = COMPONENT_VAL_S16, .of.s = (int16_t)get_be(b, 2)}; break;
    case K_I32: pl = (component_val){.kind = COMPONENT_VAL_S32, .of.s = (int32_t)get_be(b, 4)}; break;
    case K_I64: pl = (component_val){.kind = COMPONENT_VAL_S64, .of.s = (int64_t)get_be(b, 8)}; break;
    case K_F32: {
        uint32_t u = (uint32_t)get_be(b, 4);
        float fl;
        memcpy(&fl, &u, 4);
        pl = (component_val){.kind = COMPONENT_VAL_F32, .of.f32 = fl};
        break;
    }
    case K_F64: {
        uint64_t u = get_be(b, 8);
        double d;
        memcpy(&d, &u, 8);
        pl = (component_val){.kind = COMPONENT_VAL_F64, .of.f64 = d};
        break;
    }
    case K_STR:
        if (spinapi_str_copy(call, b, len, &pl) < 0)
            return -1;
        break;
    case K_BIN: {
        uint8_t *copy = component_call_alloc(call, len ? len : 1);
        if (copy == NULL)
            return -1;
        memcpy(copy, b, len);
        pl = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.raw = copy, .n = len}};
        break;
    }
    case K_DATE: {
        int32_t days = (int32_t)get_be(b, 4);
        if (days == INT32_MAX || days == INT32_MIN)
            return snprintf(msg, size, "column %s: an infinite date", pq.fname(res, col)), 1;
        int64_t y;
        unsigned m, d;
        civil_from_days((int64_t)days + PG_EPOCH_DAYS, &y, &m, &d);
        if ((f = component_call_vals(call, 3)) == NULL)
            return -1;
        f[0] = num(COMPONENT_VAL_S32, (uint64_t)y), f[1] = num(COMPONENT_VAL_U8, m);
        f[2] = num(COMPONENT_VAL_U8, d);
        pl = tuple(f, 3);
        break;
    }
    case K_TIME: {
        uint64_t us = get_be(b, 8);
        if ((f = component_call_vals(call, 4)) == NULL)
            return -1;
        /* 24:00:00 is a valid PostgreSQL time; it stays 24 hours. */
        f[0] = num(COMPONENT_VAL_U8, us / 3600000000u);
        f[1] = num(COMPONENT_VAL_U8, us / 60000000u % 60);
        f[2] = num(COMPONENT_VAL_U8, us / 1000000u % 60);
        f[3] = num(COMPONENT_VAL_U32, us % 1000000u * 1000);
        pl = tuple(f, 4);
        break;
    }
    case K_DATETIME: {
        int64_t us = (int64_t)get_be(b, 8);
        if (us == INT64_MAX || us == INT64_MIN)
            return snprintf(msg, size, "column %s: an infinite timestamp", pq.fname(res, col)),
                   1;
        int64_t days = us / USECS_PER_DAY, rem = us % USECS_PER_DAY;
        if (rem < 0)
            rem += USECS_PER_DAY, days--;
        int64_t y;
        unsigned m, d;
        civil_from_days(days + PG_EPOCH_DAYS, &y, &m, &d);
        if ((f = component_call_vals(call, 7)) == NULL)
            return -1;
        f[0] = num(COMPONENT_VAL_S32, (uint64_t)y), f[1] = num(COMPONENT_VAL_U8, m);
        f[2] = num(COMPONENT_VAL_U8, d);
        f[3] = num(COMPONENT_VAL_U8, (uint64_t)(rem / 3600000000)),
        f[4] = num(COMPONENT_VAL_U8, (uint64_t)(rem / 60000000 % 60));
        f[5] = num(COMPONENT_VAL_U8, (uint64_t)(rem / 1000000 % 60));
        f[6] = num(COMPONENT_VAL_U32, (uint64_t)(rem % 1000000 * 1000));
        pl = tuple(f, 7);
        break;
    }
    case K_UUID: {
        char t[37];
        snprintf(t, sizeof(t),
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                 b[14], b[15]);
        if (spinapi_str_copy(call, t, 36, &pl) < 0)
            return -1;
        break;
    }
    case K_JSONB: {
        if (len < 1 || b[0] != 1)
            return snprintf(msg, size, "column %s: unknown jsonb version", pq.fname(res, col)), 1;
        uint8_t *j = component_call_alloc(call, len);
        if (j == NULL)
            return -1;
        size_t n = json_compact(b + 1, len - 1, j);
        pl = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.raw = j, .n = n}};
        break;
    }
    case K_DECIMAL: {
        size_t cap = 16 + 8 * len;
        char *t = component_call_alloc(call, cap);
        if (t == NULL)
            return -1;
        if (!numeric_text(b, len, t, cap))
            return snprintf(msg, size, "column %s: NaN or infinity is no decimal",
                            pq.fname(res, col)), 1;
        pl = spinapi_str(t, strlen(t));
        break;
    }
    case K_RANGE_I32: case K_RANGE_I64: case K_RANGE_DEC:
    case K_ARR_I32: case K_ARR_I64: case K_ARR_DEC: case K_ARR_STR: {
        static const pg_kind elems[K_COUNT] = {
            [K_RANGE_I32] = K_I32, [K_RANGE_I64] = K_I64, [K_RANGE_DEC] = K_DECIMAL,
            [K_ARR_I32] = K_I32,   [K_ARR_I64] = K_I64,   [K_ARR_DEC] = K_DECIMAL,
            [K_ARR_STR] = K_STR};
        char why[200];
        bool range = k == K_RANGE_I32 || k == K_RANGE_I64 || k == K_RANGE_DEC;
        int rc = range ? range_value(call, elems[k], b, len, &pl, why, sizeof(why))
                       : array_value(call, elems[k], b, len, &pl, why, sizeof(why));
        if (rc > 0)
            return snprintf(msg, size, "column %s: %s", pq.fname(res, col), why), 1;
        if (rc < 0)
            return -1;
        break;
    }
    case K_INTERVAL:
        if ((f = component_call_vals(call, 3)) == NULL)
            return -1;
        f[0] = num(COMPONENT_VAL_S64, get_be(b, 8));
        f[1] = num(COMPONENT_VAL_S32, (uint64_t)(int64_t)(int32_t)get_be(b + 8, 4));
        f[2] = num(COMPONENT_VAL_S32, (uint64_t)(int64_t)(int32_t)get_be(b + 12, 4));
        pl = tuple(f, 3);
        break;
    default:
        if (ver->v4) { /* unsupported(the value's binary form) */
            uint8_t *copy = component_call_alloc(call, len ? len : 1);
            if (copy == NULL)
                return -1;
            memcpy(copy, b, len);
            pl = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.raw = copy, .n = len}};
            break;
        }
        *out = (component_val){.kind = COMPONENT_VAL_VARIANT,
                               .of.variant = {(uint32_t)ver->value[K_UNSUPPORTED], NULL}};
        return 0;
    }
    return spinapi_variant(call, (uint32_t)ver->value[k], &pl, out) < 0 ? -1 : 0;
}

/* Builds row-set{columns, rows} from a result. */
static int row_set(component_call *call, const pg_version *ver, PGresult *res,
                   component_val *out, char *msg, size_t size)
{
    int ncol = pq.nfields(res), nrow = pq.ntuples(res);
    component_val *fields = component_call_vals(call, 2);
    component_val *cols = component_call_vals(call, ncol ? (size_t)ncol : 1);
    component_val *rows = component_call_vals(call, nrow ? (size_t)nrow : 1);
    if (!fields || !cols || !rows)
        return -1;
    for (int c = 0; c < ncol; c++) {
        component_val *col = component_call_vals(call, 2);
        const char *name = pq.fname(res, c);
        if (col == NULL || spinapi_str_copy(call, name, strlen(name), &col[0]) < 0)
            return -1;
        pg_kind k = kind_of_oid(pq.ftype(res, c));
        int dt = ver->data_type[k] >= 0 ? ver->data_type[k] : ver->other_type;
        component_val *name_val = NULL;
        if (dt == ver->other_type && ver->v4) { /* other(the type's name) */
            char tn[32];
            snprintf(tn, sizeof(tn), "%s", oid_name(pq.ftype(res, c)));
            if ((name_val = component_call_vals(call, 1)) == NULL ||
                spinapi_str_copy(call, tn, strlen(tn), name_val) < 0)
                return -1;
        }
        col[1] = (component_val){.kind = COMPONENT_VAL_VARIANT,
                                 .of.variant = {(uint32_t)dt, name_val}};
        cols[c] = tuple(col, 2);
    }
    for (int r = 0; r < nrow; r++) {
        component_val *vals = component_call_vals(call, ncol ? (size_t)ncol : 1);
        if (vals == NULL)
            return -1;
        for (int c = 0; c < ncol; c++) {
            int rc = field_value(call, ver, res, r, c, &vals[c], msg, size);
            if (rc != 0)
                return rc;
        }
        rows[r] = (component_val){.kind = COMPONENT_VAL_LIST,
                                  .of.list = {.items = vals, .n = (size_t)ncol}};
    }
    fields[0] = (component_val){.kind = COMPONENT_VAL_LIST,
                                .of.list = {.items = cols, .n = (size_t)ncol}};
    fields[1] = (component_val){.kind = COMPONENT_VAL_LIST,
                                .of.list = {.items = rows, .n = (size_t)nrow}};
    *out = tuple(fields, 2);
    return 0;
}

static int query(component_call *call, const pg_version *ver, const component_val *args,
                 component_val *result)
{
    int rc = 0;
    PGresult *res = run(call, ver, args, true, result, &rc);
    if (res == NULL)
        return rc;
    char msg[512];
    component_val set;
    rc = row_set(call, ver, res, &set, msg, sizeof(msg));
    pq.clear(res);
    if (rc < 0)
        return query_failed_text(call, ver, "the query result is too large for the host", result);
    if (rc > 0)
        return pg_err(call, E_VALUE_CONVERSION_FAILED, msg, result);
    return spinapi_variant(call, 0, &set, result);
}

static int query2(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    (void)env, (void)nargs;
    return query(call, &v2, args, result);
}

static int query3(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    (void)env, (void)nargs;
    return query(call, &v3, args, result);
}

static int query4(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    (void)env, (void)nargs;
    return query(call, &v4, args, result);
}

static int execute4(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)env, (void)nargs;
    return execute(call, &v4, args, result);
}

static int open4(component_call *call, void *env, const component_val *args, size_t nargs,
                 component_val *result)
{
    (void)nargs;
    const spinapi_host *h = env;
    return open_connection(call, h, h->pg4, &args[0], result);
}

static int execute2(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)env, (void)nargs;
    return execute(call, &v2, args, result);
}

static int execute3(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)env, (void)nargs;
    return execute(call, &v3, args, result);
}

/* ---- Spin 1's connection-less interface ------------------------------------------
 * fermyon:spin/postgres (unversioned; outbound-pg of old-ABI modules): each
 * call names its address, gets a connection of its own for the one
 * statement and closes it, as Spin's v1 host does.  The statement runs as
 * @2.0.0 runs it; v1's pg-error has `success` first, so every error case
 * is one further on (v2's `other` is v1's `other-error`). */

static int legacy_error_case(component_val *result)
{
    if (result->kind == COMPONENT_VAL_VARIANT && result->of.variant.disc == 1 &&
        result->of.variant.payload != NULL)
        result->of.variant.payload->of.variant.disc += 1;
    return 0;
}

static int run1(component_call *call, void *env, const component_val *args, bool is_query,
                component_val *result)
{
    char msg[512];
    const char *addr = spinapi_cstr(call, &args[0]);
    if (addr == NULL)
        return component_call_trap(call, "postgres: out of call memory");
    struct spinapi_pg *p = pg_connect(spinapi_host_ctx(env, call), addr, msg, sizeof(msg));
    if (p == NULL)
        return pg_err(call, E_CONNECTION_FAILED + 1, msg, result);
    component_val a[3] = {{.kind = COMPONENT_VAL_BORROW, .of.resource = {NULL, (uintptr_t)p}},
                          args[1], args[2]};
    int rc = is_query ? query(call, &v2, a, result) : execute(call, &v2, a, result);
    pg_free(p);
    return rc < 0 ? rc : legacy_error_case(result);
}

static int query1(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    (void)nargs;
    return run1(call, env, args, true, result);
}

static int execute1(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)nargs;
    return run1(call, env, args, false, result);
}

/* ---- registration ------------------------------------------------------------ */

#define PG2 "fermyon:spin/postgres@2.0.0"
#define RDBMS2 "fermyon:spin/rdbms-types@2.0.0"
#define PG3 "spin:postgres/postgres@3.0.0"
#define PG4 "spin:postgres/postgres@4.0.0"
#define PG1 "fermyon:spin/postgres"
#define RDBMS1 "fermyon:spin/rdbms-types"
#define ERROR1 SPINAPI_RDBMS1_ERROR
#define ERROR_T SPINAPI_RDBMS2_ERROR
#define INTS3 "int8(s8), int16(s16), int32(s32), int64(s64), floating32(f32), " \
              "floating64(f64), str(string), binary(list<u8>), date(tuple<s32, u8, u8>), " \
              "time(tuple<u8, u8, u8, u32>), " \
              "datetime(tuple<s32, u8, u8, u8, u8, u8, u32>), timestamp(s64)"

/* The error and the types of one interface: rdbms-types@2.0.0's (v2 and
 * Spin 1), or postgres@3.0.0's (v3types: dates and times, no unsigned). */
static int define_types(component_linker *l, const char *iface, bool v3types, util_error **err)
{
    if (component_linker_define_type(l, iface, "error", ERROR_T, err) < 0)
        return -1;
    if (!v3types)
        return spinapi_define_rdbms2_types(l, iface, err);
    return spinapi_define_rdbms_types(l, iface,
                                      "enum{boolean, int8, int16, int32, int64, floating32, "
                                      "floating64, str, binary, date, time, datetime, timestamp, "
                                      "other}",
                                      "boolean(bool), " INTS3 ", db-null", err);
}

#define CONN "self: borrow<connection>"
#define PARAMS "params: list<parameter-value>"

static const spinapi_func pg2_funcs[] = {
    {"[static]connection.open", "func(address: string) -> result<own<connection>, error>",
     open2},
    {"[method]connection.query",
     "func(" CONN ", statement: string, " PARAMS ") -> result<row-set, error>", query2},
    {"[method]connection.execute",
     "func(" CONN ", statement: string, " PARAMS ") -> result<u64, error>", execute2},
};

static const spinapi_func pg3_funcs[] = {
    {"[static]connection.open", "func(address: string) -> result<own<connection>, error>",
     open3},
    {"[method]connection.query",
     "func(" CONN ", statement: string, " PARAMS ") -> result<row-set, error>", query3},
    {"[method]connection.execute",
     "func(" CONN ", statement: string, " PARAMS ") -> result<u64, error>", execute3},
};

#define RANGE(t) "tuple<option<tuple<" t ", range-bound-kind>>, option<tuple<" t ", range-bound-kind>>>"
#define INTS4 INTS3 ", uuid(string), jsonb(list<u8>), decimal(string), " \
              "range-int32(" RANGE("s32") "), range-int64(" RANGE("s64") "), " \
              "range-decimal(" RANGE("string") "), array-int32(list<option<s32>>), " \
              "array-int64(list<option<s64>>), array-decimal(list<option<string>>), " \
              "array-str(list<option<string>>), interval(interval)"

/* spin:postgres@4.0.0's types (more value cases, structured errors). */
static int define_types4(component_linker *l, util_error **err)
{
    const char *types[][2] = {
        {"db-error", "record{as-text: string, severity: string, code: string, message: string, "
                     "detail: option<string>, extras: list<tuple<string, string>>}"},
        {"query-error", "variant{text(string), db-error(db-error)}"},
        {"error", "variant{connection-failed(string), bad-parameter(string), "
                  "query-failed(query-error), value-conversion-failed(string), other(string)}"},
        {"range-bound-kind", "enum{inclusive, exclusive}"},
        {"interval", "record{micros: s64, days: s32, months: s32}"},
        {"db-data-type",
         "variant{boolean, int8, int16, int32, int64, floating32, floating64, str, binary, "
         "date, time, datetime, timestamp, uuid, jsonb, decimal, range-int32, range-int64, "
         "range-decimal, array-int32, array-int64, array-decimal, array-str, interval, "
         "other(string)}"},
        {"db-value", "variant{boolean(bool), " INTS4 ", db-null, unsupported(list<u8>)}"},
        {"parameter-value", "variant{boolean(bool), " INTS4 ", db-null}"},
        {"column", "record{name: string, data-type: db-data-type}"},
        {"row", "list<db-value>"},
        {"row-set", "record{columns: list<column>, rows: list<row>}"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(types); i++)
        if (component_linker_define_type(l, PG4, types[i][0], types[i][1], err) < 0)
            return -1;
    return 0;
}

static const spinapi_func pg1_funcs[] = {
    {"query", "func(address: string, statement: string, " PARAMS ") -> result<row-set, pg-error>",
     query1},
    {"execute", "func(address: string, statement: string, " PARAMS ") -> result<u64, pg-error>",
     execute1},
};

/* Spin 1's interfaces: the v2 types under the unversioned names, each with
 * its legacy error variant. */
static int define_legacy(component_linker *l, spinapi_host *h, util_error **err)
{
    if (define_types(l, RDBMS1, false, err) < 0 || define_types(l, PG1, false, err) < 0 ||
        component_linker_define_type(l, PG1, "pg-error", ERROR1, err) < 0 ||
        spinapi_define_funcs(l, PG1, pg1_funcs, UTIL_ARRAY_LEN(pg1_funcs), h, err) < 0)
        return -1;
    return 0;
}

static const spinapi_func pg4_funcs[] = {
    {"[static]connection.open", "func(address: string) -> result<own<connection>, error>",
     open4},
    {"[method]connection.query",
     "func(" CONN ", statement: string, " PARAMS ") -> result<row-set, error>", query4},
    {"[method]connection.execute",
     "func(" CONN ", statement: string, " PARAMS ") -> result<u64, error>", execute4},
};

int spinapi_define_postgres(component_linker *l, spinapi_host *h, util_error **err)
{
    /* rdbms-types@2.0.0 holds the types; postgres@2.0.0 `use`s them. */
    if (define_types(l, RDBMS2, false, err) < 0 || define_types(l, PG2, false, err) < 0)
        return -1;
    h->pg2 = component_linker_define_resource(l, PG2, "connection", pg_dtor, err);
    if (h->pg2 == NULL ||
        spinapi_define_funcs(l, PG2, pg2_funcs, UTIL_ARRAY_LEN(pg2_funcs), h, err) < 0)
        return -1;
    h->pg3 = component_linker_define_resource(l, PG3, "connection", pg_dtor, err);
    if (h->pg3 == NULL || define_types(l, PG3, true, err) < 0 ||
        spinapi_define_funcs(l, PG3, pg3_funcs, UTIL_ARRAY_LEN(pg3_funcs), h, err) < 0)
        return -1;
    h->pg4 = component_linker_define_resource(l, PG4, "connection", pg_dtor, err);
    if (h->pg4 == NULL || define_types4(l, err) < 0 ||
        spinapi_define_funcs(l, PG4, pg4_funcs, UTIL_ARRAY_LEN(pg4_funcs), h, err) < 0)
        return -1;
    return define_legacy(l, h, err);
}
