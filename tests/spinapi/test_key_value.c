/*
 * test_key_value.c - key-value stores through fermyon:spin/key-value@2.0.0
 * and wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2: the sequence of
 * fermyon/conformance-tests' key-value component, access-denied and
 * no-such-store, data surviving a reopened SQLite file (and read through
 * Spin's table layout by plain SQL), two threads writing at once, an
 * in-memory default, increment, compare-and-swap and the batch calls.
 */
#include "spinapi_test_util.h"

#include <pthread.h>

#define KV "fermyon:spin/key-value@2.0.0"
#define STORE "wasi:keyvalue/store@0.2.0-draft2"
#define ATOMICS "wasi:keyvalue/atomics@0.2.0-draft2"
#define BATCH "wasi:keyvalue/batch@0.2.0-draft2"

enum { TABLE_FULL, NO_SUCH_STORE, ACCESS_DENIED, OTHER };
enum { W_NO_SUCH_STORE, W_ACCESS_DENIED, W_OTHER };

static const char *const allowed[] = {"default", "unbacked"};

/* A component allowed "default" (a file in dir, or memory when dir is
 * NULL) and "unbacked" (no backend). */
static fixture *kv_fixture(const char *dir)
{
    char *path = dir ? util_xasprintf("%s/state/sqlite_key_value.db", dir) : NULL;
    spinapi_backend b = {"default",
                         dir ? SPINAPI_BACKEND_SQLITE_FILE : SPINAPI_BACKEND_SQLITE_MEMORY, path};
    spinapi_component_config cfg = {.id = "kv", .key_value_stores = allowed,
                                    .nkey_value_stores = 2, .kv_backends = &b,
                                    .nkv_backends = 1};
    fixture *f = fixture_new(&cfg);
    free(path);
    return f;
}

static component_val open_store(fixture *f, const char *iface, const char *fn, const char *label)
{
    component_val a[1] = {V_STR(label)}, r = {0};
    CHECK_INT(call(f, iface, fn, a, 1, &r), 0);
    CHECK(is_ok(&r));
    return is_ok(&r) ? *ok_of(&r) : (component_val){0};
}

/* What the guest's drop of its own handle runs (both store resources
 * share the handle type). */
static void drop_store(const component_val *own)
{
    spinapi_kv_handle_free(own->of.resource.rep);
}

static int kv_set(fixture *f, const component_val *s, const char *key, const char *value)
{
    component_val a[3] = {V_BORROW(*s), V_STR(key), V_BYTES(value, strlen(value))}, r;
    if (call(f, KV, "[method]store.set", a, 3, &r) < 0)
        return -1;
    return is_ok(&r) ? 0 : -1;
}

/* The value as a C string; "(none)" when absent, "(error)" on an error. */
static const char *kv_get(fixture *f, const char *iface, const char *fn, const component_val *s,
                          const char *key, char *buf, size_t size)
{
    component_val a[2] = {V_BORROW(*s), V_STR(key)}, r;
    if (call(f, iface, fn, a, 2, &r) < 0 || !is_ok(&r))
        return "(error)";
    const component_val *opt = ok_of(&r);
    if (opt->of.variant.disc == 0)
        return "(none)";
    const component_val *bytes = opt->of.variant.payload;
    snprintf(buf, size, "%.*s", (int)bytes->of.list.n, (const char *)bytes->of.list.raw);
    return buf;
}

static int kv_exists(fixture *f, const component_val *s, const char *key)
{
    component_val a[2] = {V_BORROW(*s), V_STR(key)}, r;
    if (call(f, KV, "[method]store.exists", a, 2, &r) < 0 || !is_ok(&r))
        return -1;
    return ok_of(&r)->of.b;
}

static int kv_delete(fixture *f, const component_val *s, const char *key)
{
    component_val a[2] = {V_BORROW(*s), V_STR(key)}, r;
    return call(f, KV, "[method]store.delete", a, 2, &r) == 0 && is_ok(&r) ? 0 : -1;
}

/* The keys, sorted and joined with ','. */
static const char *kv_keys(fixture *f, const component_val *s, char *buf, size_t size)
{
    component_val a[1] = {V_BORROW(*s)}, r;
    if (call(f, KV, "[method]store.get-keys", a, 1, &r) < 0 || !is_ok(&r))
        return "(error)";
    const component_val *list = ok_of(&r);
    size_t n = list->of.list.n;
    char names[16][32];
    for (size_t i = 0; i < n && i < 16; i++)
        str_of(&list->of.list.items[i], names[i], sizeof(names[i]));
    qsort(names, n < 16 ? n : 16, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < 16; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? "," : "", names[i]);
    return buf;
}

#define GET(f, s, k) kv_get(f, KV, "[method]store.get", s, k, buf, sizeof(buf))

/* fermyon/conformance-tests components/key-value, step by step. */
static void test_conformance_sequence(void)
{
    char *dir = temp_dir();
    fixture *f = kv_fixture(dir);
    char buf[256];
    component_val a[1] = {V_STR("forbidden")}, r;
    CHECK_INT(call(f, KV, "[static]store.open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), ACCESS_DENIED);

    component_val s = open_store(f, KV, "[static]store.open", "default");
    CHECK_INT(kv_delete(f, &s, "bar"), 0);
    CHECK_INT(kv_exists(f, &s, "bar"), 0);
    CHECK_STR(GET(f, &s, "bar"), "(none)");
    CHECK_STR(kv_keys(f, &s, buf, sizeof(buf)), "");

    CHECK_INT(kv_set(f, &s, "bar", "baz"), 0);
    CHECK_INT(kv_exists(f, &s, "bar"), 1);
    CHECK_STR(GET(f, &s, "bar"), "baz");
    CHECK_STR(kv_keys(f, &s, buf, sizeof(buf)), "bar");

    CHECK_INT(kv_set(f, &s, "bar", "wow"), 0);
    CHECK_STR(GET(f, &s, "bar"), "wow");
    CHECK_STR(kv_keys(f, &s, buf, sizeof(buf)), "bar");

    CHECK_INT(kv_set(f, &s, "qux", "yay"), 0);
    CHECK_STR(kv_keys(f, &s, buf, sizeof(buf)), "bar,qux");

    CHECK_INT(kv_delete(f, &s, "bar"), 0);
    CHECK_INT(kv_delete(f, &s, "bar"), 0);
    CHECK_INT(kv_delete(f, &s, "qux"), 0);
    CHECK_INT(kv_exists(f, &s, "bar"), 0);
    CHECK_STR(GET(f, &s, "qux"), "(none)");
    CHECK_STR(kv_keys(f, &s, buf, sizeof(buf)), "");

    /* An empty value is a value, not an absent key. */
    CHECK_INT(kv_set(f, &s, "empty", ""), 0);
    CHECK_INT(kv_exists(f, &s, "empty"), 1);
    CHECK_STR(GET(f, &s, "empty"), "");
    drop_store(&s);
    fixture_free(f);
    remove_tree(dir);
    free(dir);
}

static void test_open_refusals(void)
{
    fixture *f = kv_fixture(NULL);
    component_val a[1] = {V_STR("unbacked")}, r;
    CHECK_INT(call(f, KV, "[static]store.open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), NO_SUCH_STORE);
    CHECK_INT(call(f, STORE, "open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), W_NO_SUCH_STORE);
    a[0] = V_STR("other");
    CHECK_INT(call(f, STORE, "open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), W_ACCESS_DENIED);
    /* A label is matched whole: a prefix of an allowed one is not it. */
    a[0] = V_STR("defaul");
    CHECK_INT(call(f, KV, "[static]store.open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), ACCESS_DENIED);
    fixture_free(f);
}

/* A redis backend whose url cannot be used is error::other at open, with
 * a message naming the store and the url's problem (test_kv_redis.c has
 * redis stores against a server). */
static void test_redis_backend_refused(void)
{
    static const char *const labels[] = {"cache"};
    spinapi_backend b = {"cache", SPINAPI_BACKEND_REDIS, "redis://localhost:notaport"};
    spinapi_component_config cfg = {.id = "kv", .key_value_stores = labels,
                                    .nkey_value_stores = 1, .kv_backends = &b,
                                    .nkv_backends = 1};
    fixture *f = fixture_new(&cfg);
    component_val a[1] = {V_STR("cache")}, r;
    char buf[256];
    CHECK_INT(call(f, KV, "[static]store.open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), OTHER);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "key-value store 'cache': redis store url") !=
          NULL);
    fixture_free(f);
}

/* The file outlives the component, and holds Spin's table. */
static void test_survives_reopen(void)
{
    char *dir = temp_dir();
    char buf[256];
    fixture *f = kv_fixture(dir);
    component_val s = open_store(f, KV, "[static]store.open", "default");
    CHECK_INT(kv_set(f, &s, "kept", "across restarts"), 0);
    drop_store(&s);
    fixture_free(f);

    f = kv_fixture(dir);
    s = open_store(f, STORE, "open", "default");
    CHECK_STR(kv_get(f, STORE, "[method]bucket.get", &s, "kept", buf, sizeof(buf)),
              "across restarts");
    drop_store(&s);
    fixture_free(f);

    /* What Spin reads: spin_key_value(store, key, value BLOB). */
    char *path = util_xasprintf("%s/state/sqlite_key_value.db", dir);
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(db,
                                 "SELECT store, typeof(value), value FROM spin_key_value "
                                 "WHERE key = 'kept'",
                                 -1, &st, NULL),
              SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "default");
    CHECK_STR((const char *)sqlite3_column_text(st, 1), "blob");
    sqlite3_finalize(st);
    /* And a row written the way Spin writes one reads back here. */
    CHECK_INT(sqlite3_exec(db,
                           "INSERT INTO spin_key_value (store, key, value) "
                           "VALUES ('default', 'from-spin', X'6869')",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(db);
    free(path);
    f = kv_fixture(dir);
    s = open_store(f, KV, "[static]store.open", "default");
    CHECK_STR(GET(f, &s, "from-spin"), "hi");
    drop_store(&s);
    fixture_free(f);
    remove_tree(dir);
    free(dir);
}

/* A store that is not a database is reported at open as other(...). */
static void test_unusable_file(void)
{
    char *dir = temp_dir();
    char *state = util_xasprintf("%s/state", dir);
    char *path = util_xasprintf("%s/sqlite_key_value.db", state);
    CHECK_INT(mkdir(state, 0755), 0);
    FILE *fp = fopen(path, "w");
    fputs("this is not a database, it is a text file of some length....", fp);
    fclose(fp);
    fixture *f = kv_fixture(dir);
    component_val a[1] = {V_STR("default")}, r;
    char buf[256];
    CHECK_INT(call(f, KV, "[static]store.open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), OTHER);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "not a database") != NULL);
    fixture_free(f);
    remove_tree(dir);
    free(dir);
    free(state);
    free(path);
}

/* Two instances of one component (two threads, one context each) write
 * at once through the shared backend; every write lands. */
typedef struct writer {
    fixture *f;
    int id;
    int failures;
} writer;

static void *write_many(void *arg)
{
    writer *w = arg;
    spinapi_ctx *ctx = spinapi_ctx_new(w->f->comp);
    component_call *c = component_call_new(ctx);
    component_val a[1] = {V_STR("default")}, r;
    util_error *err = NULL;
    if (component_linker_call(w->f->l, KV, "[static]store.open", c, a, 1, &r, &err) < 0 ||
        !is_ok(&r)) {
        w->failures++;
        util_error_free(&err);
    } else {
        component_val s = *ok_of(&r);
        for (int i = 0; i < 200; i++) {
            char key[32], value[32];
            snprintf(key, sizeof(key), "w%d-%d", w->id, i);
            snprintf(value, sizeof(value), "v%d", i);
            component_val sa[3] = {V_BORROW(s), V_STR(key), V_BYTES(value, strlen(value))};
            component_call_reset(c);
            if (component_linker_call(w->f->l, KV, "[method]store.set", c, sa, 3, &r, &err) <
                    0 ||
                !is_ok(&r)) {
                w->failures++;
                util_error_free(&err);
            }
        }
        drop_store(&s);
    }
    component_call_free(c);
    spinapi_ctx_free(ctx);
    return NULL;
}

static void test_concurrent_writers(void)
{
    char *dir = temp_dir();
    fixture *f = kv_fixture(dir);
    writer w[2] = {{f, 0, 0}, {f, 1, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, write_many, &w[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(w[0].failures + w[1].failures, 0);
    component_val s = open_store(f, KV, "[static]store.open", "default");
    component_val a[1] = {V_BORROW(s)}, r;
    CHECK_INT(call(f, KV, "[method]store.get-keys", a, 1, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.list.n == 400);
    char buf[64];
    CHECK_STR(GET(f, &s, "w1-199"), "v199");
    drop_store(&s);
    fixture_free(f);
    remove_tree(dir);
    free(dir);
}

/* No state dir: the default store lives in memory, shared by the
 * component's instances while it lives. */
static void test_memory_store(void)
{
    fixture *f = kv_fixture(NULL);
    char buf[64];
    component_val s = open_store(f, KV, "[static]store.open", "default");
    CHECK_INT(kv_set(f, &s, "k", "v"), 0);
    drop_store(&s);
    s = open_store(f, STORE, "open", "default");
    CHECK_STR(kv_get(f, STORE, "[method]bucket.get", &s, "k", buf, sizeof(buf)), "v");
    drop_store(&s);
    fixture_free(f);
}

/* ---- wasi:keyvalue -------------------------------------------------------- */

static void test_wasi_store_list_keys(void)
{
    fixture *f = kv_fixture(NULL);
    char buf[64];
    component_val b = open_store(f, STORE, "open", "default");
    component_val sa[3] = {V_BORROW(b), V_STR("a"), V_BYTES("1", 1)}, r;
    CHECK_INT(call(f, STORE, "[method]bucket.set", sa, 3, &r), 0);
    CHECK(is_ok(&r));
    component_val la[2] = {V_BORROW(b), V_NONE};
    CHECK_INT(call(f, STORE, "[method]bucket.list-keys", la, 2, &r), 0);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        const component_val *resp = ok_of(&r);
        CHECK_INT(resp->of.record.fields[0].of.list.n, 1);
        CHECK_STR(str_of(&resp->of.record.fields[0].of.list.items[0], buf, sizeof(buf)), "a");
        CHECK_INT(resp->of.record.fields[1].of.variant.disc, 0); /* cursor none */
    }
    /* A cursor is refused, as Spin refuses it. */
    component_val cursor = V_STR("x");
    la[1] = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, &cursor}};
    CHECK_INT(call(f, STORE, "[method]bucket.list-keys", la, 2, &r), 0);
    CHECK_INT(err_case(&r), W_OTHER);
    component_val ea[2] = {V_BORROW(b), V_STR("a")};
    CHECK_INT(call(f, STORE, "[method]bucket.exists", ea, 2, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.b);
    CHECK_INT(call(f, STORE, "[method]bucket.delete", ea, 2, &r), 0);
    CHECK_INT(call(f, STORE, "[method]bucket.exists", ea, 2, &r), 0);
    CHECK(is_ok(&r) && !ok_of(&r)->of.b);
    drop_store(&b);
    fixture_free(f);
}

static int64_t increment(fixture *f, const component_val *b, const char *key, int64_t delta,
                         int *error)
{
    component_val a[3] = {V_BORROW(*b), V_STR(key), V_S64(delta)}, r;
    *error = -1;
    if (call(f, ATOMICS, "increment", a, 3, &r) < 0)
        return 0;
    *error = err_case(&r);
    return is_ok(&r) ? ok_of(&r)->of.s : 0;
}

static void test_atomics_increment(void)
{
    fixture *f = kv_fixture(NULL);
    component_val b = open_store(f, STORE, "open", "default");
    int e;
    CHECK_INT(increment(f, &b, "n", 5, &e), 5);
    CHECK_INT(e, -1);
    CHECK_INT(increment(f, &b, "n", -7, &e), -2);
    /* Stored as Spin stores it: 8 bytes, little-endian. */
    component_val a[2] = {V_BORROW(b), V_STR("n")}, r;
    CHECK_INT(call(f, STORE, "[method]bucket.get", a, 2, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 1);
    if (is_ok(&r) && ok_of(&r)->of.variant.disc == 1) {
        const component_val *bytes = ok_of(&r)->of.variant.payload;
        static const uint8_t minus2[8] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        CHECK_INT(bytes->of.list.n, 8);
        CHECK(bytes->of.list.n == 8 && memcmp(bytes->of.list.raw, minus2, 8) == 0);
    }
    /* A value that is not 8 bytes is an error, not a guess. */
    component_val sa[3] = {V_BORROW(b), V_STR("text"), V_BYTES("abc", 3)};
    CHECK_INT(call(f, STORE, "[method]bucket.set", sa, 3, &r), 0);
    increment(f, &b, "text", 1, &e);
    CHECK_INT(e, W_OTHER);
    drop_store(&b);
    fixture_free(f);
}

static component_val cas_new(fixture *f, const component_val *b, const char *key)
{
    component_val a[2] = {V_BORROW(*b), V_STR(key)}, r = {0};
    CHECK_INT(call(f, ATOMICS, "[static]cas.new", a, 2, &r), 0);
    CHECK(is_ok(&r));
    return is_ok(&r) ? *ok_of(&r) : (component_val){0};
}

static void test_atomics_cas(void)
{
    fixture *f = kv_fixture(NULL);
    char buf[64];
    component_val b = open_store(f, STORE, "open", "default");
    component_val sa[3] = {V_BORROW(b), V_STR("k"), V_BYTES("one", 3)}, r;
    CHECK_INT(call(f, STORE, "[method]bucket.set", sa, 3, &r), 0);

    /* current, then swap with nobody in between: it lands. */
    component_val cas = cas_new(f, &b, "k");
    component_val ca[1] = {V_BORROW(cas)};
    CHECK_INT(call(f, ATOMICS, "[method]cas.current", ca, 1, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 1);
    component_val wa[2] = {cas, V_BYTES("two", 3)};
    CHECK_INT(call(f, ATOMICS, "swap", wa, 2, &r), 0);
    CHECK(is_ok(&r));
    CHECK_STR(kv_get(f, STORE, "[method]bucket.get", &b, "k", buf, sizeof(buf)), "two");

    /* Someone writes between current and swap: cas-failed, with a cas
     * that has seen the new value, and whose swap then lands. */
    cas = cas_new(f, &b, "k");
    sa[2] = V_BYTES("three", 5);
    CHECK_INT(call(f, STORE, "[method]bucket.set", sa, 3, &r), 0);
    wa[0] = cas;
    wa[1] = V_BYTES("four", 4);
    CHECK_INT(call(f, ATOMICS, "swap", wa, 2, &r), 0);
    CHECK(r.of.variant.disc == 1 && r.of.variant.payload->of.variant.disc == 1);
    CHECK_STR(kv_get(f, STORE, "[method]bucket.get", &b, "k", buf, sizeof(buf)), "three");
    if (r.of.variant.disc == 1 && r.of.variant.payload->of.variant.disc == 1) {
        component_val again = *r.of.variant.payload->of.variant.payload;
        CHECK(again.kind == COMPONENT_VAL_OWN);
        wa[0] = again;
        CHECK_INT(call(f, ATOMICS, "swap", wa, 2, &r), 0);
        CHECK(is_ok(&r));
        CHECK_STR(kv_get(f, STORE, "[method]bucket.get", &b, "k", buf, sizeof(buf)), "four");
    }

    /* A key absent when the cas was made: swap creates it, unless someone
     * created it first. */
    cas = cas_new(f, &b, "fresh");
    wa[0] = cas;
    wa[1] = V_BYTES("x", 1);
    CHECK_INT(call(f, ATOMICS, "swap", wa, 2, &r), 0);
    CHECK(is_ok(&r));
    component_val da[2] = {V_BORROW(b), V_STR("fresh")};
    CHECK_INT(call(f, STORE, "[method]bucket.delete", da, 2, &r), 0);
    cas = cas_new(f, &b, "fresh");
    component_val sf[3] = {V_BORROW(b), V_STR("fresh"), V_BYTES("first", 5)};
    CHECK_INT(call(f, STORE, "[method]bucket.set", sf, 3, &r), 0);
    wa[0] = cas;
    CHECK_INT(call(f, ATOMICS, "swap", wa, 2, &r), 0);
    CHECK(r.of.variant.disc == 1 && r.of.variant.payload->of.variant.disc == 1);
    if (r.of.variant.disc == 1 && r.of.variant.payload->of.variant.disc == 1)
        spinapi_cas_free(r.of.variant.payload->of.variant.payload->of.resource.rep);
    CHECK_STR(kv_get(f, STORE, "[method]bucket.get", &b, "fresh", buf, sizeof(buf)), "first");
    drop_store(&b);
    fixture_free(f);
}

static component_val pair_val(component_val *fields, const char *k, const char *v)
{
    fields[0] = V_STR(k);
    fields[1] = V_BYTES(v, strlen(v));
    return (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {fields, 2}};
}

static void test_batch(void)
{
    fixture *f = kv_fixture(NULL);
    char buf[64];
    component_val b = open_store(f, STORE, "open", "default");
    component_val fields[3][2], pairs[3] = {pair_val(fields[0], "a", "1"),
                                            pair_val(fields[1], "b", "2"),
                                            pair_val(fields[2], "c", "3")};
    component_val sa[2] = {V_BORROW(b), {.kind = COMPONENT_VAL_LIST,
                                         .of.list = {.items = pairs, .n = 3}}}, r;
    CHECK_INT(call(f, BATCH, "set-many", sa, 2, &r), 0);
    CHECK(is_ok(&r));
    component_val keys[3] = {V_STR("a"), V_STR("zz"), V_STR("c")};
    component_val ga[2] = {V_BORROW(b), {.kind = COMPONENT_VAL_LIST,
                                         .of.list = {.items = keys, .n = 3}}};
    CHECK_INT(call(f, BATCH, "get-many", ga, 2, &r), 0);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        /* Only the keys that exist come back. */
        const component_val *list = ok_of(&r);
        CHECK_INT(list->of.list.n, 2);
        const component_val *first = list->of.list.items[0].of.record.fields;
        CHECK_STR(str_of(&first[0], buf, sizeof(buf)), "a");
        CHECK(first[1].of.variant.disc == 1 &&
              memcmp(first[1].of.variant.payload->of.list.raw, "1", 1) == 0);
    }
    component_val dkeys[2] = {V_STR("a"), V_STR("b")};
    component_val da[2] = {V_BORROW(b), {.kind = COMPONENT_VAL_LIST,
                                         .of.list = {.items = dkeys, .n = 2}}};
    CHECK_INT(call(f, BATCH, "delete-many", da, 2, &r), 0);
    CHECK(is_ok(&r));
    CHECK_STR(kv_get(f, STORE, "[method]bucket.get", &b, "a", buf, sizeof(buf)), "(none)");
    CHECK_STR(kv_get(f, STORE, "[method]bucket.get", &b, "c", buf, sizeof(buf)), "3");
    drop_store(&b);
    fixture_free(f);
}

int main(void)
{
    RUN(test_conformance_sequence);
    RUN(test_open_refusals);
    RUN(test_redis_backend_refused);
    RUN(test_survives_reopen);
    RUN(test_unusable_file);
    RUN(test_concurrent_writers);
    RUN(test_memory_store);
    RUN(test_wasi_store_list_keys);
    RUN(test_atomics_increment);
    RUN(test_atomics_cas);
    RUN(test_batch);
    return TEST_SUMMARY();
}
