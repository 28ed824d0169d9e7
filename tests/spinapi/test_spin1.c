/*
 * test_spin1.c - Spin 1's unversioned fermyon:spin/key-value and
 * fermyon:spin/sqlite (u32 handles, what the Spin adapter maps old-ABI
 * modules onto): the same stores as @2.0.0, Spin's legacy error mapping
 * (a missing key is no-such-key), invalid and closed handles, a full
 * table, and stores left open freed with the instance (ASan checks).
 */
#include "spinapi_test_util.h"

#define KV1 "fermyon:spin/key-value"
#define SQL1 "fermyon:spin/sqlite"
#define KV2 "fermyon:spin/key-value@2.0.0"

enum { TABLE_FULL, NO_SUCH_STORE, ACCESS_DENIED, INVALID_STORE, NO_SUCH_KEY, IO };
enum { NO_SUCH_DATABASE, S_ACCESS_DENIED, INVALID_CONNECTION, DATABASE_FULL, S_IO };

#define V_U32(x) ((component_val){.kind = COMPONENT_VAL_U32, .of.u = (x)})

static const char *const labels[] = {"default", "unbacked"};

static fixture *v1_fixture(void)
{
    spinapi_backend kv = {"default", SPINAPI_BACKEND_SQLITE_MEMORY, NULL};
    spinapi_backend db = {"default", SPINAPI_BACKEND_SQLITE_MEMORY, NULL};
    spinapi_component_config cfg = {.id = "old", .key_value_stores = labels,
                                     .nkey_value_stores = 2, .sqlite_databases = labels,
                                     .nsqlite_databases = 2, .kv_backends = &kv,
                                     .nkv_backends = 1, .sqlite_backends = &db,
                                     .nsqlite_backends = 1};
    return fixture_new(&cfg);
}

static uint32_t kv_open(fixture *f, const char *label, int *error)
{
    component_val a[1] = {V_STR(label)}, r;
    *error = -2;
    if (call(f, KV1, "open", a, 1, &r) < 0)
        return 0;
    *error = err_case(&r);
    return is_ok(&r) ? (uint32_t)ok_of(&r)->of.u : 0;
}

static void test_key_value(void)
{
    fixture *f = v1_fixture();
    int e;
    uint32_t s = kv_open(f, "default", &e);
    CHECK_INT(e, -1);
    CHECK(s != 0);
    component_val r;
    component_val ga[2] = {V_U32(s), V_STR("k")};
    CHECK_INT(call(f, KV1, "get", ga, 2, &r), 0);
    CHECK_INT(err_case(&r), NO_SUCH_KEY);
    component_val sa[3] = {V_U32(s), V_STR("k"), V_BYTES("v1", 2)};
    CHECK_INT(call(f, KV1, "set", sa, 3, &r), 0);
    CHECK(is_ok(&r));
    CHECK_INT(call(f, KV1, "get", ga, 2, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.list.n == 2 &&
          memcmp(ok_of(&r)->of.list.raw, "v1", 2) == 0);
    CHECK_INT(call(f, KV1, "exists", ga, 2, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.b);
    component_val ka[1] = {V_U32(s)};
    CHECK_INT(call(f, KV1, "get-keys", ka, 1, &r), 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.list.n == 1);

    /* The same store as @2.0.0 sees. */
    component_val oa[1] = {V_STR("default")};
    CHECK_INT(call(f, KV2, "[static]store.open", oa, 1, &r), 0);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        component_val st = *ok_of(&r);
        component_val g2[2] = {V_BORROW(st), V_STR("k")};
        CHECK_INT(call(f, KV2, "[method]store.get", g2, 2, &r), 0);
        CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 1);
        spinapi_kv_handle_free(st.of.resource.rep);
    }

    CHECK_INT(call(f, KV1, "delete", ga, 2, &r), 0);
    CHECK_INT(call(f, KV1, "exists", ga, 2, &r), 0);
    CHECK(is_ok(&r) && !ok_of(&r)->of.b);

    /* Refusals and bad handles. */
    kv_open(f, "nope", &e);
    CHECK_INT(e, ACCESS_DENIED);
    kv_open(f, "unbacked", &e);
    CHECK_INT(e, NO_SUCH_STORE);
    component_val bad[2] = {V_U32(0), V_STR("k")};
    CHECK_INT(call(f, KV1, "get", bad, 2, &r), 0);
    CHECK_INT(err_case(&r), INVALID_STORE);
    bad[0] = V_U32(9999);
    CHECK_INT(call(f, KV1, "exists", bad, 2, &r), 0);
    CHECK_INT(err_case(&r), INVALID_STORE);
    CHECK_INT(call(f, KV1, "close", ka, 1, NULL), 0);
    CHECK_INT(call(f, KV1, "get", ga, 2, &r), 0);
    CHECK_INT(err_case(&r), INVALID_STORE);
    fixture_free(f);
}

/* 256 stores at once, as Spin's table; the 257th is store-table-full.
 * Left open, they are freed with the context. */
static void test_table_full(void)
{
    fixture *f = v1_fixture();
    int e = -1;
    for (int i = 0; i < SPINAPI_V1_TABLE_SIZE && e == -1; i++) {
        kv_open(f, "default", &e);
        component_call_reset(f->call);
    }
    CHECK_INT(e, -1);
    kv_open(f, "default", &e);
    CHECK_INT(e, TABLE_FULL);
    /* Closing one frees a slot. */
    component_val a[1] = {V_U32(7)};
    CHECK_INT(call(f, KV1, "close", a, 1, NULL), 0);
    CHECK_INT(kv_open(f, "default", &e), 7);
    fixture_free(f);
}

static void test_sqlite(void)
{
    fixture *f = v1_fixture();
    component_val a[1] = {V_STR("default")}, r;
    CHECK_INT(call(f, SQL1, "open", a, 1, &r), 0);
    CHECK(is_ok(&r));
    uint32_t c = is_ok(&r) ? (uint32_t)ok_of(&r)->of.u : 0;
    component_val none = {.kind = COMPONENT_VAL_LIST, .of.list = {.items = NULL, .n = 0}};
    component_val ea[3] = {V_U32(c), V_STR("SELECT 40 + 2 AS answer"), none};
    CHECK_INT(call(f, SQL1, "execute", ea, 3, &r), 0);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        const component_val *rows = &ok_of(&r)->of.record.fields[1];
        CHECK(rows->of.list.n == 1 &&
              rows->of.list.items[0].of.record.fields[0].of.list.items[0].of.variant.payload->of.s ==
                  42);
    }
    ea[1] = V_STR("SELEC");
    CHECK_INT(call(f, SQL1, "execute", ea, 3, &r), 0);
    CHECK_INT(err_case(&r), S_IO);
    component_val ca[1] = {V_U32(c)};
    CHECK_INT(call(f, SQL1, "close", ca, 1, NULL), 0);
    ea[1] = V_STR("SELECT 1");
    CHECK_INT(call(f, SQL1, "execute", ea, 3, &r), 0);
    CHECK_INT(err_case(&r), INVALID_CONNECTION);
    a[0] = V_STR("secret");
    CHECK_INT(call(f, SQL1, "open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), S_ACCESS_DENIED);
    a[0] = V_STR("unbacked");
    CHECK_INT(call(f, SQL1, "open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), NO_SUCH_DATABASE);
    fixture_free(f);
}

int main(void)
{
    RUN(test_key_value);
    RUN(test_table_full);
    RUN(test_sqlite);
    return TEST_SUMMARY();
}
