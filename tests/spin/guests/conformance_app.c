/*
 * conformance_app.c - one wasi:http component in C (canonical ABI, no libc,
 * like tests/spinapi/guests) that does what the Rust components of
 * fermyon/conformance-tests do, for tests/spin/test_conformance_cases.py.
 * Their apps cannot be built here (Rust); this one is written from what
 * each case asserts.  The component variable `case` picks the sequence:
 *
 *   request-shape  answers 200 with what the request looked like to the
 *                  guest (method, authority, path-with-query, scheme, then
 *                  every header as "name: value"), for the test to check
 *                  as the case's guest checks it
 *   key-value      the case's store sequence on "default" ("forbidden" is
 *                  access-denied first)
 *   variables      get("variable") is "value"; undefined and invalid names
 *   sqlite         the case's table insert and select on "default"
 *   outbound-redis the case's get/set/incr/del/execute sequence against the
 *                  address in the request's REDIS_ADDRESS header
 *   outbound-mqtt  opens the MQTT_ADDRESS of the request's headers (with its
 *                  MQTT_USERNAME and MQTT_PASSWORD) and publishes "Eureka!"
 *                  to telemetry-topic at least once
 *   tcp-sockets    connects a wasi:sockets TCP socket to the request's
 *                  `address` header (IPv4 a.b.c.d:port), writes a line and
 *                  reads it back from the echo server there
 *
 * As the cases' helper crate answers: success is 200 with no body (the
 * response's body is never taken), a failure 500 with the error as Rust's
 * Debug prints it ("Error::AccessDenied"), or a note naming the check.
 */
/* The shared header defines helpers not every component uses. */
#pragma clang diagnostic ignored "-Wunused-function"
#include "../../spinapi/guests/http_guest.h"

HTTP("[method]incoming-request.method") void req_method(int32_t req, void *ret);
HTTP("[method]incoming-request.path-with-query") void req_path(int32_t req, void *ret);
HTTP("[method]incoming-request.authority") void req_authority(int32_t req, void *ret);
HTTP("[method]incoming-request.scheme") void req_scheme(int32_t req, void *ret);
HTTP("[method]incoming-request.headers") int32_t req_headers(int32_t req);
HTTP("[method]fields.entries") void fields_entries(int32_t f, void *ret);
HTTP("[method]fields.get") void fields_get(int32_t f, const char *name, size_t len, void *ret);
HTTP("[resource-drop]fields") void fields_drop(int32_t f);
HTTP("[method]outgoing-response.set-status-code") int32_t response_set_status(int32_t r, int32_t s);

#define KV(name) __attribute__((import_module("fermyon:spin/key-value@2.0.0"), import_name(name)))
KV("[static]store.open") void kv_open(const char *label, size_t len, void *ret);
KV("[method]store.get") void kv_get(int32_t s, const char *key, size_t len, void *ret);
KV("[method]store.set")
void kv_set(int32_t s, const char *key, size_t len, const void *v, size_t vlen, void *ret);
KV("[method]store.delete") void kv_delete(int32_t s, const char *key, size_t len, void *ret);
KV("[method]store.exists") void kv_exists(int32_t s, const char *key, size_t len, void *ret);
KV("[method]store.get-keys") void kv_get_keys(int32_t s, void *ret);

#define SQL(name) __attribute__((import_module("fermyon:spin/sqlite@2.0.0"), import_name(name)))
SQL("[static]connection.open") void sql_open(const char *db, size_t len, void *ret);
SQL("[method]connection.execute")
void sql_execute(int32_t c, const char *stmt, size_t len, const void *params, size_t n, void *ret);

#define REDIS(name) __attribute__((import_module("fermyon:spin/redis@2.0.0"), import_name(name)))
REDIS("[static]connection.open") void redis_open(const char *addr, size_t len, void *ret);
REDIS("[method]connection.get") void redis_get(int32_t c, const char *key, size_t len, void *ret);
REDIS("[method]connection.set")
void redis_set(int32_t c, const char *key, size_t len, const void *v, size_t vlen, void *ret);
REDIS("[method]connection.incr") void redis_incr(int32_t c, const char *key, size_t len, void *ret);
REDIS("[method]connection.del") void redis_del(int32_t c, const void *keys, size_t n, void *ret);
REDIS("[method]connection.execute")
void redis_execute(int32_t c, const char *cmd, size_t len, const void *args, size_t n, void *ret);

#define MQTT(name) __attribute__((import_module("fermyon:spin/mqtt@2.0.0"), import_name(name)))
MQTT("[static]connection.open")
void mqtt_open(const char *addr, size_t alen, const char *user, size_t ulen, const char *pass,
               size_t plen, uint64_t keep_alive_secs, void *ret);
MQTT("[method]connection.publish")
void mqtt_publish(int32_t c, const char *topic, size_t tlen, const void *payload, size_t plen,
                  int32_t qos, void *ret);

#define SOCK(iface, name)                                                                          \
    __attribute__((import_module("wasi:sockets/" iface "@0.2.12"), import_name(name)))
SOCK("instance-network", "instance-network") int32_t instance_network(void);
SOCK("tcp-create-socket", "create-tcp-socket") void tcp_create(int32_t family, void *ret);
/* ip-socket-address flattened: the case, then 11 slots (ipv4 uses port
 * and the four octets). */
SOCK("tcp", "[method]tcp-socket.start-connect")
void tcp_start_connect(int32_t s, int32_t net, int32_t which, int32_t port, int32_t a0, int32_t a1,
                       int32_t a2, int32_t a3, int32_t p5, int32_t p6, int32_t p7, int32_t p8,
                       int32_t p9, int32_t p10, void *ret);
SOCK("tcp", "[method]tcp-socket.finish-connect") void tcp_finish_connect(int32_t s, void *ret);
SOCK("tcp", "[method]tcp-socket.subscribe") int32_t tcp_subscribe(int32_t s);
#define POLL(name) __attribute__((import_module("wasi:io/poll@0.2.12"), import_name(name)))
POLL("[method]pollable.block") void pollable_block(int32_t p);
POLL("[resource-drop]pollable") void pollable_drop(int32_t p);
IO("[method]input-stream.blocking-read") void stream_read(int32_t s, int64_t len, void *ret);

struct str {
    const char *ptr;
    size_t len;
};

struct bytes {
    const uint8_t *ptr;
    size_t len;
};

/* ---- answers ------------------------------------------------------------ */

/* The helper crate's response(): the status, and a body only when there
 * is text (else the body is never taken). */
static void answer(int32_t outparam, int status)
{
    _Alignas(8) uint8_t ret[64];
    int32_t resp = response_new(fields_new());
    response_set_status(resp, status);
    if (text_len > 0) {
        struct handle_result body, stream;
        response_body(resp, &body);
        body_write(body.handle, &stream);
        stream_write(stream.handle, text, text_len, ret);
        stream_drop(stream.handle);
        body_finish(body.handle, 0, 0, ret);
    }
    outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
}

static int streq(const char *a, size_t n, const char *b)
{
    if (n != cstrlen(b))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* A failed check: the text says which (as anyhow::ensure! would). */
static int failed(const char *what)
{
    text_len = 0;
    append_str("check failed: ");
    append_str(what);
    return 0;
}

/* A host error, as Rust's Debug prints the variant (with its string). */
static int host_error(const char *const *names, size_t count, const struct error_string *e)
{
    text_len = 0;
    append_str("Error::");
    append_str(e->tag < count ? names[e->tag] : "?");
    if (e->ptr && e->len) {
        append_str("(\"");
        append(e->ptr, e->len);
        append_str("\")");
    }
    return 0;
}

/* A result with an error variant carrying at most a string. */
#define RESULT(ok_type)                                                                            \
    struct {                                                                                       \
        uint8_t is_err;                                                                            \
        union {                                                                                    \
            ok_type ok;                                                                            \
            struct error_string err;                                                               \
        } u;                                                                                       \
    }

/* Variants without a payload leave ptr/len undefined: cleared first. */
#define CLEAR(r) __builtin_memset(&(r), 0, sizeof(r))

/* ---- request-shape ------------------------------------------------------ */

static const char *const methods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                      "CONNECT", "OPTIONS", "TRACE", "PATCH"};

static int request_shape(int32_t req)
{
    struct {
        uint8_t tag;
        struct str other;
    } method;
    struct {
        uint8_t some;
        struct str s;
    } authority, path;
    struct {
        uint8_t some;
        struct {
            uint8_t tag;
            struct str other;
        } scheme;
    } scheme;
    req_method(req, &method);
    append_str("method=");
    if (method.tag < 9)
        append_str(methods[method.tag]);
    else
        append(method.other.ptr, method.other.len);
    req_authority(req, &authority);
    append_str("\nauthority=");
    if (authority.some)
        append(authority.s.ptr, authority.s.len);
    req_path(req, &path);
    append_str("\npath=");
    if (path.some)
        append(path.s.ptr, path.s.len);
    req_scheme(req, &scheme);
    append_str("\nscheme=");
    if (!scheme.some)
        append_str("none");
    else if (scheme.scheme.tag == 0)
        append_str("http");
    else if (scheme.scheme.tag == 1)
        append_str("https");
    else
        append(scheme.scheme.other.ptr, scheme.scheme.other.len);
    append_str("\n");
    int32_t headers = req_headers(req);
    struct {
        const struct {
            struct str name;
            struct bytes value;
        } *items;
        size_t n;
    } entries;
    fields_entries(headers, &entries);
    for (size_t i = 0; i < entries.n; i++) {
        append(entries.items[i].name.ptr, entries.items[i].name.len);
        append_str(": ");
        append(entries.items[i].value.ptr, entries.items[i].value.len);
        append_str("\n");
    }
    fields_drop(headers);
    return 1;
}

/* ---- key-value ---------------------------------------------------------- */

static const char *const kv_errors[] = {"StoreTableFull", "NoSuchStore", "AccessDenied", "Other"};
#define KV_FAIL(r) host_error(kv_errors, 4, &(r).u.err)

static int kv_is_unset(int32_t store, const char *key)
{
    RESULT(uint8_t) exists;
    RESULT(struct {
        uint8_t some;
        struct bytes v;
    }) got;
    kv_exists(store, key, cstrlen(key), &exists);
    kv_get(store, key, cstrlen(key), &got);
    return !exists.is_err && !exists.u.ok && !got.is_err && !got.u.ok.some;
}

static int kv_has(int32_t store, const char *key, const char *value)
{
    RESULT(uint8_t) exists;
    RESULT(struct {
        uint8_t some;
        struct str v;
    }) got;
    kv_exists(store, key, cstrlen(key), &exists);
    kv_get(store, key, cstrlen(key), &got);
    return !exists.is_err && exists.u.ok && !got.is_err && got.u.ok.some &&
           streq(got.u.ok.v.ptr, got.u.ok.v.len, value);
}

/* get-keys is exactly `keys` (n of them, in any order). */
static int kv_keys_are(int32_t store, const char *const *keys, size_t n)
{
    RESULT(struct {
        const struct str *p;
        size_t n;
    }) got;
    kv_get_keys(store, &got);
    if (got.is_err || got.u.ok.n != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t j = 0; j < n; j++)
            found |= streq(got.u.ok.p[j].ptr, got.u.ok.p[j].len, keys[i]);
        if (!found)
            return 0;
    }
    return 1;
}

static int key_value(void)
{
    RESULT(int32_t) opened;
    RESULT(uint8_t) done;
    CLEAR(opened);
    kv_open("forbidden", 9, &opened);
    if (!opened.is_err || opened.u.err.tag != 2)
        return failed("open(forbidden) is access-denied");
    CLEAR(opened);
    kv_open("default", 7, &opened);
    if (opened.is_err)
        return KV_FAIL(opened);
    int32_t s = opened.u.ok;
    static const char *const bar[] = {"bar"}, *const bar_qux[] = {"bar", "qux"};
    CLEAR(done);
    kv_delete(s, "bar", 3, &done);
    if (done.is_err)
        return KV_FAIL(done);
    if (!kv_is_unset(s, "bar") || !kv_keys_are(s, bar, 0))
        return failed("nothing in bar at the start");
    kv_set(s, "bar", 3, "baz", 3, &done);
    if (done.is_err)
        return KV_FAIL(done);
    if (!kv_has(s, "bar", "baz") || !kv_keys_are(s, bar, 1))
        return failed("bar is baz");
    kv_set(s, "bar", 3, "wow", 3, &done);
    if (done.is_err || !kv_has(s, "bar", "wow") || !kv_keys_are(s, bar, 1))
        return failed("bar overwritten with wow");
    kv_set(s, "qux", 3, "yay", 3, &done);
    if (done.is_err || !kv_keys_are(s, bar_qux, 2))
        return failed("keys are bar and qux");
    kv_delete(s, "bar", 3, &done);
    int ok = !done.is_err;
    kv_delete(s, "bar", 3, &done); /* deleting a missing key is no error */
    ok &= !done.is_err;
    kv_delete(s, "qux", 3, &done);
    ok &= !done.is_err;
    if (!ok || !kv_is_unset(s, "bar") || !kv_is_unset(s, "qux") || !kv_keys_are(s, bar, 0))
        return failed("everything deleted");
    return 1;
}

/* ---- variables ---------------------------------------------------------- */

/* get(name) fails with the error case `tag` (0 invalid-name, 1 undefined). */
static int variable_fails(const char *name, uint8_t tag)
{
    RESULT(struct str) r;
    var_get(name, cstrlen(name), &r);
    return r.is_err && r.u.err.tag == tag;
}

static int variables(void)
{
    RESULT(struct str) r;
    var_get("variable", 8, &r);
    if (r.is_err || !streq(r.u.ok.ptr, r.u.ok.len, "value"))
        return failed("variable is value");
    if (!variable_fails("non_existent", 1))
        return failed("non_existent is undefined");
    if (!variable_fails("invalid-name", 0) || !variable_fails("invalid!name", 0) ||
        !variable_fails("4invalidname", 0))
        return failed("invalid names are invalid-name");
    return 1;
}

/* ---- sqlite ------------------------------------------------------------- */

static const char *const sqlite_errors[] = {"NoSuchDatabase", "AccessDenied", "InvalidConnection",
                                            "DatabaseFull", "Io"};
#define SQL_FAIL(r) host_error(sqlite_errors, 5, &(r).u.err)

struct sql_value {
    uint8_t tag; /* 0 integer, 1 real, 2 text, 3 blob, 4 null */
    union {
        int64_t i;
        double r;
        struct str s;
    } u;
};

struct query_result {
    const struct str *columns;
    size_t ncolumns;
    const struct {
        const struct sql_value *values;
        size_t n;
    } *rows;
    size_t nrows;
};

static int sql_run(int32_t c, const char *stmt, const struct sql_value *params, size_t n,
                   struct query_result *out)
{
    RESULT(struct query_result) r;
    CLEAR(r);
    sql_execute(c, stmt, cstrlen(stmt), params, n, &r);
    if (r.is_err)
        return SQL_FAIL(r);
    if (out)
        *out = r.u.ok;
    return 1;
}

static int column_is_text(const struct query_result *q, const char *column, const char *text)
{
    for (size_t i = 0; i < q->ncolumns; i++) {
        if (!streq(q->columns[i].ptr, q->columns[i].len, column))
            continue;
        const struct sql_value *v = &q->rows[0].values[i];
        return v->tag == 2 && streq(v->u.s.ptr, v->u.s.len, text);
    }
    return 0;
}

static int sqlite(void)
{
    RESULT(int32_t) opened;
    CLEAR(opened);
    sql_open("forbidden", 9, &opened);
    if (!opened.is_err || opened.u.err.tag != 1)
        return failed("open(forbidden) is access-denied");
    CLEAR(opened);
    sql_open("default", 7, &opened);
    if (opened.is_err)
        return SQL_FAIL(opened);
    int32_t c = opened.u.ok;
    if (!sql_run(c, "CREATE TABLE IF NOT EXISTS test_data(key TEXT NOT NULL, value TEXT NOT NULL);",
                 0, 0, 0) ||
        !sql_run(c, "INSERT INTO test_data(key, value) VALUES('my_key', 'my_value');", 0, 0, 0))
        return 0;
    struct sql_value key = {.tag = 2, .u.s = {"my_key", 6}};
    struct query_result q;
    if (!sql_run(c, "SELECT * FROM test_data WHERE key = ?", &key, 1, &q))
        return 0;
    /* the case's table is new each run; here too (a fresh state dir) */
    if (q.nrows != 1 || q.ncolumns != 2)
        return failed("one row of two columns");
    if (!column_is_text(&q, "key", "my_key") || !column_is_text(&q, "value", "my_value"))
        return failed("the row is my_key, my_value");
    return 1;
}

/* ---- outbound redis ----------------------------------------------------- */

static const char *const redis_errors[] = {"InvalidAddress", "TooManyConnections", "TypeError",
                                           "Other"};
#define REDIS_FAIL(r) host_error(redis_errors, 4, &(r).u.err)

struct redis_value { /* redis-parameter and redis-result */
    uint8_t tag;
    union {
        int64_t i;
        struct str s;
    } u;
};

static int outbound_redis(int32_t req)
{
    int32_t headers = req_headers(req);
    struct {
        const struct str *values;
        size_t n;
    } address;
    fields_get(headers, "REDIS_ADDRESS", 13, &address);
    fields_drop(headers);
    if (address.n == 0) {
        append_str("missing header: REDIS_ADDRESS");
        return 0;
    }
    RESULT(int32_t) opened;
    CLEAR(opened);
    redis_open(address.values[0].ptr, address.values[0].len, &opened);
    if (opened.is_err)
        return REDIS_FAIL(opened);
    int32_t c = opened.u.ok;
    RESULT(uint8_t) done;
    CLEAR(done);
    redis_set(c, "spin-example-get-set", 20, "Eureka!", 7, &done);
    if (done.is_err)
        return REDIS_FAIL(done);
    RESULT(struct {
        uint8_t some;
        struct str v;
    }) got;
    CLEAR(got);
    redis_get(c, "spin-example-get-set", 20, &got);
    if (got.is_err)
        return REDIS_FAIL(got);
    if (!got.u.ok.some || !streq(got.u.ok.v.ptr, got.u.ok.v.len, "Eureka!"))
        return failed("get returns Eureka!");
    redis_set(c, "spin-example-incr", 17, "0", 1, &done);
    RESULT(int64_t) incr;
    CLEAR(incr);
    redis_incr(c, "spin-example-incr", 17, &incr);
    if (done.is_err || incr.is_err || incr.u.ok != 1)
        return failed("incr gives 1");
    static const struct str keys[] = {{"spin-example-get-set", 20}, {"spin-example-incr", 17}};
    RESULT(uint32_t) deleted;
    CLEAR(deleted);
    redis_del(c, keys, 2, &deleted);
    if (deleted.is_err || deleted.u.ok != 2)
        return failed("del removes 2 keys");
    RESULT(struct {
        const struct redis_value *p;
        size_t n;
    }) results;
    struct redis_value set_args[] = {{.tag = 1, .u.s = {"spin-example", 12}},
                                     {.tag = 1, .u.s = {"Eureka!", 7}}};
    struct redis_value append_args[] = {{.tag = 1, .u.s = {"spin-example", 12}},
                                        {.tag = 1, .u.s = {" I've got it!", 13}}};
    CLEAR(results);
    redis_execute(c, "set", 3, set_args, 2, &results);
    if (results.is_err)
        return REDIS_FAIL(results);
    redis_execute(c, "append", 6, append_args, 2, &results);
    if (results.is_err)
        return REDIS_FAIL(results);
    redis_execute(c, "get", 3, set_args, 1, &results);
    if (results.is_err)
        return REDIS_FAIL(results);
    if (results.u.ok.n != 1 || results.u.ok.p[0].tag != 3 ||
        !streq(results.u.ok.p[0].u.s.ptr, results.u.ok.p[0].u.s.len, "Eureka! I've got it!"))
        return failed("get returns [binary(Eureka! I've got it!)]");
    return 1;
}

/* ---- outbound mqtt ------------------------------------------------------ */

static const char *const mqtt_errors[] = {"InvalidAddress", "TooManyConnections",
                                          "ConnectionFailed", "Other"};
#define MQTT_FAIL(r) host_error(mqtt_errors, 4, &(r).u.err)

/* The one value of request header `name` (helper::get_header), or 0. */
static int header(int32_t req, const char *name, struct str *out)
{
    int32_t headers = req_headers(req);
    struct {
        const struct str *values;
        size_t n;
    } got;
    fields_get(headers, name, cstrlen(name), &got);
    fields_drop(headers);
    if (got.n == 0) {
        text_len = 0;
        append_str("no ");
        append_str(name);
        append_str(" header");
        return 0;
    }
    *out = got.values[got.n - 1];
    return 1;
}

static int outbound_mqtt(int32_t req)
{
    struct str address, user, password;
    if (!header(req, "MQTT_ADDRESS", &address) || !header(req, "MQTT_USERNAME", &user) ||
        !header(req, "MQTT_PASSWORD", &password))
        return 0;
    RESULT(int32_t) opened;
    CLEAR(opened);
    mqtt_open(address.ptr, address.len, user.ptr, user.len, password.ptr, password.len, 30,
              &opened);
    if (opened.is_err)
        return MQTT_FAIL(opened);
    RESULT(uint8_t) done;
    CLEAR(done);
    mqtt_publish(opened.u.ok, "telemetry-topic", 15, "Eureka!", 7, 1 /* at-least-once */, &done);
    if (done.is_err)
        return MQTT_FAIL(done);
    return 1;
}

/* ---- tcp sockets -------------------------------------------------------- */

/* wasi:sockets' error-code cases, in order. */
static const char *const socket_errors[] = {
    "unknown", "access-denied", "not-supported", "invalid-argument", "out-of-memory", "timeout",
    "concurrency-conflict", "not-in-progress", "would-block", "invalid-state", "new-socket-limit",
    "address-not-bindable", "address-in-use", "remote-unreachable", "connection-refused",
    "connection-reset", "connection-aborted", "datagram-too-large", "name-unresolvable",
    "temporary-resolver-failure", "permanent-resolver-failure"};

/* As wit-bindgen's Display prints an enum error: "access-denied (error 1)". */
static int socket_error(uint8_t code)
{
    text_len = 0;
    append_str(code < sizeof socket_errors / sizeof *socket_errors ? socket_errors[code] : "?");
    append_str(" (error ");
    append_num(code);
    append_str(")");
    return 0;
}

struct streams {
    int32_t rx;
    int32_t tx;
};

/* a.b.c.d:port into octets and port; 0 when it is not that. */
static int parse_ipv4(struct str s, int32_t octets[4], int32_t *port)
{
    size_t i = 0;
    for (int k = 0; k < 5; k++) {
        int64_t v = 0;
        size_t start = i;
        while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9' && i - start < 5)
            v = v * 10 + (s.ptr[i++] - '0');
        char want = k < 3 ? '.' : k == 3 ? ':' : 0;
        if (i == start || (want ? i >= s.len || s.ptr[i] != want : i != s.len))
            return 0;
        if (k < 4) {
            if (v > 255)
                return 0;
            octets[k] = (int32_t)v;
            i++;
        } else if (v > 65535) {
            return 0;
        } else {
            *port = (int32_t)v;
        }
    }
    return 1;
}

static int tcp_sockets(int32_t req)
{
    static const char message[] = "So rested he by the Tumtum tree";
    struct str address;
    int32_t octets[4], port;
    if (!header(req, "address", &address) || !parse_ipv4(address, octets, &port)) {
        text_len = 0;
        append_str("Bad Request");
        return 0;
    }
    RESULT(int32_t) created;
    CLEAR(created);
    tcp_create(0 /* ipv4 */, &created);
    if (created.is_err)
        return socket_error(created.u.err.tag);
    int32_t sock = created.u.ok;
    struct { /* result<_, error-code>: the enum right after the case byte */
        uint8_t is_err, code;
    } started = {0, 0};
    tcp_start_connect(sock, instance_network(), 0, port, octets[0], octets[1], octets[2],
                      octets[3], 0, 0, 0, 0, 0, 0, &started);
    if (started.is_err)
        return socket_error(started.code);
    RESULT(struct streams) connected;
    for (;;) {
        CLEAR(connected);
        tcp_finish_connect(sock, &connected);
        if (!connected.is_err)
            break;
        if (connected.u.err.tag != 8 /* would-block */)
            return socket_error(connected.u.err.tag);
        int32_t ready = tcp_subscribe(sock);
        pollable_block(ready);
        pollable_drop(ready);
    }
    _Alignas(8) uint8_t ret[16];
    stream_write(connected.u.ok.tx, message, sizeof message - 1, ret);
    if (ret[0])
        return failed("write to the echo server");
    char echoed[sizeof message];
    size_t got = 0;
    while (got < sizeof message - 1) {
        RESULT(struct bytes) chunk;
        CLEAR(chunk);
        stream_read(connected.u.ok.rx, (int64_t)(sizeof message - 1 - got), &chunk);
        if (chunk.is_err)
            return failed("read from the echo server");
        for (size_t i = 0; i < chunk.u.ok.len && got < sizeof message - 1; i++)
            echoed[got++] = (char)chunk.u.ok.ptr[i];
    }
    if (!streq(echoed, got, message))
        return failed("the echo is what was sent");
    return 1;
}

/* ---- the handler -------------------------------------------------------- */

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle"))) void
handle(int32_t req, int32_t outparam)
{
    size_t n;
    const char *which = variable("case", &n);
    int ok;
    if (streq(which, n, "request-shape"))
        ok = request_shape(req);
    else if (streq(which, n, "key-value"))
        ok = key_value();
    else if (streq(which, n, "variables"))
        ok = variables();
    else if (streq(which, n, "sqlite"))
        ok = sqlite();
    else if (streq(which, n, "outbound-redis"))
        ok = outbound_redis(req);
    else if (streq(which, n, "outbound-mqtt"))
        ok = outbound_mqtt(req);
    else if (streq(which, n, "tcp-sockets"))
        ok = tcp_sockets(req);
    else
        ok = failed("the variable `case` names no case");
    req_drop(req);
    answer(outparam, ok ? 200 : 500);
}
