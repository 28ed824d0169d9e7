/*
 * spin1_legacy.c - a Spin 1 ABI module (what wit-bindgen 0.2 SDKs build:
 * handle-http-request, canonical_abi_realloc/free, memory) that calls the
 * legacy host imports key-value, sqlite, llm, outbound-pg, outbound-mysql
 * and wasi-outbound-http with their old flat signatures, written by hand here as
 * wit-bindgen 0.2's C generator would write them.  Each route answers
 * 200 with a line per call saying what came back, so the test reads the
 * host's answers (values, error cases and their texts) from the body.
 *
 *   /kv       open default, exists, set (the request body), get, get-keys,
 *             delete, get again, a bad handle, open of an unlisted store
 *   /sqlite   create, insert with parameters, select, open unlisted
 *   /llm      infer with and without params, generate-embeddings
 *   /pg       query / execute on the address in the PG_ADDRESS env var
 *   /mysql    execute on any address
 *   /http     wasi-outbound-http request: the request body is
 *             "<METHOD> <url>"
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(m, n) __attribute__((import_module(m), import_name(n)))

IMPORT("key-value", "open") void kv_open(const char *, int, void *);
IMPORT("key-value", "get") void kv_get(uint32_t, const char *, int, void *);
IMPORT("key-value", "set") void kv_set(uint32_t, const char *, int, const void *, int, void *);
IMPORT("key-value", "delete") void kv_delete(uint32_t, const char *, int, void *);
IMPORT("key-value", "exists") void kv_exists(uint32_t, const char *, int, void *);
IMPORT("key-value", "get-keys") void kv_get_keys(uint32_t, void *);
IMPORT("key-value", "close") void kv_close(uint32_t);
IMPORT("sqlite", "open") void sql_open(const char *, int, void *);
IMPORT("sqlite", "execute") void sql_execute(uint32_t, const char *, int, const void *, int,
                                             void *);
IMPORT("sqlite", "close") void sql_close(uint32_t);
IMPORT("llm", "infer") void llm_infer(const char *, int, const char *, int, int, int, float, int,
                                      float, int, float, void *);
IMPORT("llm", "generate-embeddings") void llm_embed(const char *, int, const void *, int, void *);
IMPORT("outbound-pg", "query") void pg_query(const char *, int, const char *, int, const void *,
                                             int, void *);
IMPORT("outbound-pg", "execute") void pg_execute(const char *, int, const char *, int,
                                                 const void *, int, void *);
IMPORT("wasi-outbound-http", "request") void http_request(int, const char *, int, const void *,
                                                        int, const void *, int, int,
                                                        const void *, int, void *);
IMPORT("outbound-mysql", "execute") void mysql_execute(const char *, int, const char *, int,
                                                       const void *, int, void *);

/* /reenter arms this: the next canonical_abi_realloc calls an import
 * while the host is still storing a result, which the host must refuse
 * (a trap), as the canonical ABI forbids leaving an instance from realloc. */
static uint32_t reenter_store;
static _Alignas(8) uint8_t reenter_ret[64];

__attribute__((export_name("canonical_abi_realloc")))
void *canonical_abi_realloc(void *ptr, size_t old, size_t align, size_t size)
{
    (void)old, (void)align;
    if (reenter_store && size) {
        uint32_t store = reenter_store;
        reenter_store = 0;
        kv_get(store, "k", 1, reenter_ret);
    }
    return realloc(ptr, size ? size : 1);
}

__attribute__((export_name("canonical_abi_free")))
void canonical_abi_free(void *ptr, size_t size, size_t align)
{
    (void)size, (void)align;
    free(ptr);
}

static char out[8192];
static size_t outlen;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    int n = vsnprintf(out + outlen, sizeof(out) - outlen, fmt, ap);
    __builtin_va_end(ap);
    if (n > 0)
        outlen = outlen + (size_t)n < sizeof(out) ? outlen + (size_t)n : sizeof(out) - 1;
}

static uint32_t u32_at(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static int64_t s64_at(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* result<T, error> whose payload lies at `at` (4, or 8 when T is a
 * 64-bit number) and whose error case may carry a string after its
 * discriminant: prints "ok" or "err<case>[(<text>)]". */
static void say_result_at(const char *what, const uint8_t *r, uint32_t at)
{
    if (r[0] == 0) {
        say("%s=ok\n", what);
        return;
    }
    say("%s=err%u", what, r[at]);
    uint32_t len = u32_at(r + at + 8);
    if (u32_at(r + at + 4) && len < 400)
        say("(%.*s)", (int)len, (const char *)(uintptr_t)u32_at(r + at + 4));
    say("\n");
}

static void say_result(const char *what, const uint8_t *r)
{
    say_result_at(what, r, 4);
}

static _Alignas(8) uint8_t ret[64];

static void route_kv(const uint8_t *body, uint32_t body_len)
{
    kv_open("default", 7, ret);
    say_result("open", ret);
    uint32_t store = u32_at(ret + 4);
    kv_exists(store, "k", 1, ret);
    say("exists=%u\n", ret[0] == 0 ? ret[4] : 99);
    kv_set(store, "k", 1, body, (int)body_len, ret);
    say_result("set", ret);
    kv_get(store, "k", 1, ret);
    if (ret[0] == 0)
        say("get=%.*s\n", (int)u32_at(ret + 8), (const char *)(uintptr_t)u32_at(ret + 4));
    kv_get_keys(store, ret);
    if (ret[0] == 0) {
        const uint8_t *keys = (const uint8_t *)(uintptr_t)u32_at(ret + 4);
        say("keys=%u", u32_at(ret + 8));
        for (uint32_t i = 0; i < u32_at(ret + 8); i++)
            say(" %.*s", (int)u32_at(keys + 8 * i + 4),
                (const char *)(uintptr_t)u32_at(keys + 8 * i));
        say("\n");
    }
    kv_delete(store, "k", 1, ret);
    say_result("delete", ret);
    kv_get(store, "k", 1, ret);
    say_result("get-after-delete", ret);
    kv_close(store);
    kv_get(store, "k", 1, ret);
    say_result("get-closed", ret);
    kv_open("forbidden", 9, ret);
    say_result("open-forbidden", ret);
}

/* A sqlite value: 16 bytes, tag @0, payload @8. */
typedef struct sql_value {
    uint8_t tag;
    uint8_t pad[7];
    union {
        int64_t integer;
        struct {
            const char *ptr;
            uint32_t len;
        } text;
    } of;
} sql_value;

/* get-keys, whose result (a list of strings) the host stores through
 * canonical_abi_realloc, which calls key-value get (see above). */
static void route_reenter(void)
{
    static const uint8_t forged[64] = {[0 ... 63] = 0x41};
    kv_open("default", 7, ret);
    uint32_t store = u32_at(ret + 4);
    kv_set(store, "k", 1, forged, sizeof(forged), ret);
    kv_set(store, "k2", 2, forged, sizeof(forged), ret);
    reenter_store = store;
    kv_get_keys(store, ret);
    say("get-keys returned: %s\n", ret[0] == 0 ? "ok" : "err");
}

static void route_sqlite(void)
{
    sql_open("default", 7, ret);
    say_result("open", ret);
    uint32_t conn = u32_at(ret + 4);
    const char *create = "CREATE TABLE IF NOT EXISTS t (x INTEGER, s TEXT)";
    sql_execute(conn, create, (int)strlen(create), NULL, 0, ret);
    say_result("create", ret);
    sql_value params[2] = {{.tag = 0, .of.integer = 42}, {.tag = 2, .of.text = {"hi", 2}}};
    const char *insert = "INSERT INTO t VALUES (?, ?)";
    sql_execute(conn, insert, (int)strlen(insert), params, 2, ret);
    say_result("insert", ret);
    const char *select = "SELECT x, s FROM t";
    sql_execute(conn, select, (int)strlen(select), NULL, 0, ret);
    if (ret[0] == 0) {
        const uint8_t *cols = (const uint8_t *)(uintptr_t)u32_at(ret + 4);
        say("columns=%.*s,%.*s\n", (int)u32_at(cols + 4), (const char *)(uintptr_t)u32_at(cols),
            (int)u32_at(cols + 12), (const char *)(uintptr_t)u32_at(cols + 8));
        const uint8_t *rows = (const uint8_t *)(uintptr_t)u32_at(ret + 12);
        for (uint32_t i = 0; i < u32_at(ret + 16); i++) {
            const uint8_t *vals = (const uint8_t *)(uintptr_t)u32_at(rows + 8 * i);
            say("row=%lld,%.*s\n", (long long)s64_at(vals + 8), (int)u32_at(vals + 16 + 12),
                (const char *)(uintptr_t)u32_at(vals + 16 + 8));
        }
    } else {
        say_result("select", ret);
    }
    const char *bad = "SELEKT";
    sql_execute(conn, bad, (int)strlen(bad), NULL, 0, ret);
    say_result("bad-sql", ret);
    sql_close(conn);
    sql_open("forbidden", 9, ret);
    say_result("open-forbidden", ret);
}

static void route_llm(void)
{
    llm_infer("llama2-chat", 11, "Say hello", 9, 0, 0, 0, 0, 0, 0, 0, ret);
    say_result("infer", ret);
    llm_infer("llama2-chat", 11, "Say hello", 9, 1, 100, 1.1f, 64, 0.8f, 40, 0.9f, ret);
    say_result("infer-params", ret);
    struct {
        const char *ptr;
        uint32_t len;
    } texts[1] = {{"a", 1}};
    llm_embed("other-model", 11, texts, 1, ret);
    say_result("embed", ret);
}

static void route_pg(void)
{
    const char *addr = getenv("PG_ADDRESS");
    if (addr == NULL)
        addr = "";
    const char *q = "SELECT 1";
    pg_query(addr, (int)strlen(addr), q, (int)strlen(q), NULL, 0, ret);
    say_result("query", ret);
    pg_execute(addr, (int)strlen(addr), q, (int)strlen(q), NULL, 0, ret);
    say_result_at("execute", ret, 8); /* result<u64, pg-error>: payload @8 */
}

static void route_mysql(void)
{
    const char *addr = "mysql://127.0.0.1/db", *q = "SELECT 1";
    mysql_execute(addr, (int)strlen(addr), q, (int)strlen(q), NULL, 0, ret);
    say_result("mysql", ret);
}

/* The request body says what to send: "<METHOD> <url>".  A POST carries
 * the body "ping" and the header x-from: legacy.  Prints the status, the
 * headers x-test and x-got-from if present, and the body; or the error case. */
static void route_http(const uint8_t *body, uint32_t body_len)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD",
                                          "OPTIONS"};
    char line[512] = {0};
    memcpy(line, body, body_len < sizeof(line) - 1 ? body_len : sizeof(line) - 1);
    char *url = strchr(line, ' ');
    if (url == NULL) {
        say("bad test request\n");
        return;
    }
    *url++ = '\0';
    int method = 0;
    for (int i = 0; i < 7; i++)
        if (strcmp(line, methods[i]) == 0)
            method = i;
    static const struct {
        const char *name;
        uint32_t name_len;
        const char *value;
        uint32_t value_len;
    } headers[1] = {{"x-from", 6, "legacy", 6}};
    int post = method == 1;
    http_request(method, url, (int)strlen(url), post ? headers : NULL, post, NULL, 0, post, "ping",
                 post ? 4 : 0, ret);
    if (ret[0] != 0) {
        say("http=err%u\n", ret[4]);
        return;
    }
    uint16_t status;
    memcpy(&status, ret + 4, 2);
    say("status=%u\n", status);
    if (ret[8] == 1) {
        const uint8_t *h = (const uint8_t *)(uintptr_t)u32_at(ret + 12);
        for (uint32_t i = 0; i < u32_at(ret + 16); i++, h += 16) {
            const char *name = (const char *)(uintptr_t)u32_at(h);
            uint32_t nlen = u32_at(h + 4);
            if ((nlen == 6 && memcmp(name, "x-test", 6) == 0) ||
                (nlen == 10 && memcmp(name, "x-got-from", 10) == 0))
                say("header %.*s=%.*s\n", (int)nlen, name, (int)u32_at(h + 12),
                    (const char *)(uintptr_t)u32_at(h + 8));
        }
    }
    if (ret[20] == 1)
        say("body=%.*s\n", (int)u32_at(ret + 28), (const char *)(uintptr_t)u32_at(ret + 24));
}

static _Alignas(4) uint8_t response[28];

__attribute__((export_name("handle-http-request")))
uint8_t *handle_http_request(int method, const char *uri, uint32_t uri_len, const void *headers,
                             uint32_t nheaders, const void *params, uint32_t nparams,
                             int has_body, const uint8_t *body, uint32_t body_len)
{
    (void)method, (void)headers, (void)nheaders, (void)params, (void)nparams;
    outlen = 0;
    if (!has_body)
        body_len = 0;
    char path[64] = {0};
    memcpy(path, uri, uri_len < sizeof(path) - 1 ? uri_len : sizeof(path) - 1);
    char *q = strchr(path, '?');
    if (q)
        *q = '\0';
    if (strcmp(path, "/kv") == 0)
        route_kv(body, body_len);
    else if (strcmp(path, "/sqlite") == 0)
        route_sqlite();
    else if (strcmp(path, "/llm") == 0)
        route_llm();
    else if (strcmp(path, "/pg") == 0)
        route_pg();
    else if (strcmp(path, "/mysql") == 0)
        route_mysql();
    else if (strcmp(path, "/http") == 0)
        route_http(body, body_len);
    else if (strcmp(path, "/reenter") == 0)
        route_reenter();
    else
        say("no route %s\n", path);
    memset(response, 0, sizeof(response));
    response[0] = 200;
    response[16] = 1;
    uint32_t p = (uint32_t)(uintptr_t)out, n = (uint32_t)outlen;
    memcpy(response + 20, &p, 4);
    memcpy(response + 24, &n, 4);
    return response;
}

/* A command's main, never run: wasm-ld then wraps each export with the
 * static constructors, as wit-bindgen 0.2 modules built as commands are. */
int main(void)
{
    return 0;
}
