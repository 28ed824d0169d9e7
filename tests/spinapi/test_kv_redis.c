/*
 * test_kv_redis.c - key-value stores of runtime-config type "redis"
 * against a real redis-server (tests/fixture/redis_fixture.py sets
 * REDIS_PORT): fermyon:spin/key-value@2.0.0, wasi:keyvalue store, atomics
 * (increment, compare-and-swap) and batch, and Spin 1's key-value, all on
 * the layout Spin's key-value-redis uses (plain keys, string values,
 * INCRBY counters), checked by reading the server with hiredis directly.
 * A url nobody answers is error::other at open, and the url is not gated
 * by allowed_outbound_hosts (it is the operator's, not the guest's).
 */
#include "spinapi_test_util.h"

#include <hiredis.h>

#define KV "fermyon:spin/key-value@2.0.0"
#define KV1 "fermyon:spin/key-value"
#define STORE "wasi:keyvalue/store@0.2.0-draft2"
#define ATOMICS "wasi:keyvalue/atomics@0.2.0-draft2"
#define BATCH "wasi:keyvalue/batch@0.2.0-draft2"

enum { KV2_OTHER = 3 };

static int server_port;
static redisContext *direct;

static const char *const labels[] = {"cache"};

static fixture *redis_kv_fixture(const char *url)
{
    spinapi_backend b = {"cache", SPINAPI_BACKEND_REDIS, url};
    spinapi_component_config cfg = {.id = "kv", .key_value_stores = labels,
                                    .nkey_value_stores = 1, .kv_backends = &b,
                                    .nkv_backends = 1}; /* no outbound_allowed: none */
    return fixture_new(&cfg);
}

/* The server's value of key as a C string in buf ("(nil)" if none). */
static const char *server_get(const char *key, char *buf, size_t size)
{
    redisReply *r = redisCommand(direct, "GET %s", key);
    if (r && r->type == REDIS_REPLY_STRING)
        snprintf(buf, size, "%.*s", (int)r->len, r->str);
    else
        snprintf(buf, size, "(nil)");
    if (r)
        freeReplyObject(r);
    return buf;
}

static void server_set(const char *key, const char *value)
{
    redisReply *r = redisCommand(direct, "SET %s %s", key, value);
    if (r)
        freeReplyObject(r);
}

static char *url_of(int db)
{
    return util_xasprintf("redis://127.0.0.1:%d/%d", server_port, db);
}

static component_val open_ok(fixture *f, const char *iface, const char *fn)
{
    component_val a[1] = {V_STR("cache")}, r = {0};
    CHECK_INT(call(f, iface, fn, a, 1, &r), 0);
    CHECK(is_ok(&r));
    return is_ok(&r) ? *ok_of(&r) : (component_val){0};
}

static void test_spin_store_on_plain_keys(void)
{
    char *url = url_of(0);
    fixture *f = redis_kv_fixture(url);
    char buf[128];
    component_val s = open_ok(f, KV, "[static]store.open"), r;
    component_val sa[3] = {V_BORROW(s), V_STR("greeting"), V_BYTES("hello", 5)};
    CHECK_INT(call(f, KV, "[method]store.set", sa, 3, &r), 0);
    CHECK(is_ok(&r));
    /* Spin's layout: the key itself, the value as a string. */
    CHECK_STR(server_get("greeting", buf, sizeof(buf)), "hello");
    server_set("from-outside", "v");
    component_val ga[2] = {V_BORROW(s), V_STR("from-outside")};
    CHECK_INT(call(f, KV, "[method]store.get", ga, 2, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 1);
    if (is_ok(&r) && ok_of(&r)->of.variant.disc == 1) {
        const component_val *v = ok_of(&r)->of.variant.payload;
        CHECK(v->of.list.n == 1 && memcmp(v->of.list.raw, "v", 1) == 0);
    }
    component_val ma[2] = {V_BORROW(s), V_STR("missing")};
    CHECK_INT(call(f, KV, "[method]store.get", ma, 2, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 0);
    CHECK_INT(call(f, KV, "[method]store.exists", ga, 2, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.b);
    component_val ka[1] = {V_BORROW(s)};
    CHECK_INT(call(f, KV, "[method]store.get-keys", ka, 1, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.list.n == 2);
    CHECK_INT(call(f, KV, "[method]store.delete", ga, 2, &r), 0);
    CHECK(is_ok(&r));
    CHECK_STR(server_get("from-outside", buf, sizeof(buf)), "(nil)");
    spinapi_kv_handle_free(s.of.resource.rep);

    /* Spin 1's unversioned interface reaches the same keys. */
    component_val oa[1] = {V_STR("cache")};
    CHECK_INT(call(f, KV1, "open", oa, 1, &r), 0);
    CHECK(is_ok(&r));
    component_val h = *ok_of(&r);
    component_val g1[2] = {h, V_STR("greeting")};
    CHECK_INT(call(f, KV1, "get", g1, 2, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.list.n == 5);
    component_val n1[2] = {h, V_STR("nope")};
    CHECK_INT(call(f, KV1, "get", n1, 2, &r), 0);
    CHECK_INT(err_case(&r), 4); /* no-such-key */
    fixture_free(f);
    free(url);
}

static void test_wasi_keyvalue_atomics_and_batch(void)
{
    char *url = url_of(1); /* the url's database is the store */
    fixture *f = redis_kv_fixture(url);
    char buf[128];
    redisReply *sel = redisCommand(direct, "SELECT 1");
    freeReplyObject(sel);
    component_val b = open_ok(f, STORE, "open"), r;
    component_val ia[3] = {V_BORROW(b), V_STR("counter"), V_S64(5)};
    CHECK_INT(call(f, ATOMICS, "increment", ia, 3, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.s == 5);
    ia[2] = V_S64(-2);
    CHECK_INT(call(f, ATOMICS, "increment", ia, 3, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.s == 3);
    /* INCRBY's decimal counter, as Spin's redis store keeps it. */
    CHECK_STR(server_get("counter", buf, sizeof(buf)), "3");

    /* compare-and-swap: lands when nobody wrote in between ... */
    server_set("k", "one");
    component_val na[2] = {V_BORROW(b), V_STR("k")};
    CHECK_INT(call(f, ATOMICS, "[static]cas.new", na, 2, &r), 0);
    component_val cas = *ok_of(&r);
    component_val ca[1] = {V_BORROW(cas)};
    CHECK_INT(call(f, ATOMICS, "[method]cas.current", ca, 1, &r), 0);
    component_val wa[2] = {cas, V_BYTES("two", 3)};
    CHECK_INT(call(f, ATOMICS, "swap", wa, 2, &r), 0);
    CHECK(is_ok(&r));
    CHECK_STR(server_get("k", buf, sizeof(buf)), "two");
    /* ... and fails (cas-failed) when another client wrote first. */
    CHECK_INT(call(f, ATOMICS, "[static]cas.new", na, 2, &r), 0);
    cas = *ok_of(&r);
    server_set("k", "other");
    wa[0] = cas;
    wa[1] = V_BYTES("mine", 4);
    CHECK_INT(call(f, ATOMICS, "swap", wa, 2, &r), 0);
    CHECK(r.of.variant.disc == 1 && r.of.variant.payload->of.variant.disc == 1);
    if (r.of.variant.disc == 1 && r.of.variant.payload->of.variant.disc == 1)
        spinapi_cas_free(r.of.variant.payload->of.variant.payload->of.resource.rep);
    CHECK_STR(server_get("k", buf, sizeof(buf)), "other");

    /* batch set-many / get-many / delete-many */
    component_val p1[2] = {V_STR("a"), V_BYTES("1", 1)}, p2[2] = {V_STR("b"), V_BYTES("2", 1)};
    component_val pairs[2] = {{.kind = COMPONENT_VAL_RECORD, .of.record = {p1, 2}},
                              {.kind = COMPONENT_VAL_RECORD, .of.record = {p2, 2}}};
    component_val sm[2] = {V_BORROW(b), {.kind = COMPONENT_VAL_LIST, .of.list = {pairs, NULL, 2}}};
    CHECK_INT(call(f, BATCH, "set-many", sm, 2, &r), 0);
    CHECK(is_ok(&r));
    CHECK_STR(server_get("b", buf, sizeof(buf)), "2");
    component_val keys[2] = {V_STR("a"), V_STR("zz")};
    component_val gm[2] = {V_BORROW(b), {.kind = COMPONENT_VAL_LIST, .of.list = {keys, NULL, 2}}};
    CHECK_INT(call(f, BATCH, "get-many", gm, 2, &r), 0);
    /* Spin answers only the keys that exist. */
    CHECK(is_ok(&r) && ok_of(&r)->of.list.n == 1);
    if (is_ok(&r) && ok_of(&r)->of.list.n == 1)
        CHECK_STR(str_of(&ok_of(&r)->of.list.items[0].of.record.fields[0], buf, sizeof(buf)),
                  "a");
    CHECK_INT(call(f, BATCH, "delete-many", gm, 2, &r), 0);
    CHECK(is_ok(&r));
    CHECK_STR(server_get("a", buf, sizeof(buf)), "(nil)");
    spinapi_kv_handle_free(b.of.resource.rep);
    sel = redisCommand(direct, "SELECT 0");
    freeReplyObject(sel);
    fixture_free(f);
    free(url);
}

static void test_unreachable_store_is_other(void)
{
    /* A port nobody listens on (the server's + 1, or 1). */
    char *url = util_xasprintf("redis://127.0.0.1:%d",
                               server_port < 65535 ? server_port + 1 : 1);
    fixture *f = redis_kv_fixture(url);
    component_val a[1] = {V_STR("cache")}, r;
    char buf[256];
    CHECK_INT(call(f, KV, "[static]store.open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), KV2_OTHER);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "key-value store 'cache'") != NULL);
    fixture_free(f);
    free(url);
}

int main(void)
{
    const char *port = getenv("REDIS_PORT");
    if (port == NULL || atoi(port) <= 0) {
        fprintf(stderr, "REDIS_PORT is not set: run me through tests/fixture/redis_fixture.py\n");
        return 1;
    }
    server_port = atoi(port);
    direct = redisConnect("127.0.0.1", server_port);
    if (direct == NULL || direct->err) {
        fprintf(stderr, "cannot reach the fixture's redis-server\n");
        return 1;
    }
    RUN(test_spin_store_on_plain_keys);
    RUN(test_wasi_keyvalue_atomics_and_batch);
    RUN(test_unreachable_store_is_other);
    redisFree(direct);
    return TEST_SUMMARY();
}
