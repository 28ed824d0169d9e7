/*
 * test_sqlite.c - SQL databases through fermyon:spin/sqlite@2.0.0 and
 * spin:sqlite/sqlite@3.0.0: fermyon/conformance-tests' sqlite sequence,
 * parameters and results of every value type, SQLite's errors as
 * io(<message>), the refusals (access-denied, no-such-database), the
 * file shared across components, and ATTACH of a host file refused.
 */
#include "spinapi_test_util.h"

#include <math.h>

#define SQL2 "fermyon:spin/sqlite@2.0.0"
#define SQL3 "spin:sqlite/sqlite@3.0.0"

enum { NO_SUCH_DATABASE, ACCESS_DENIED, INVALID_CONNECTION, DATABASE_FULL, IO };
enum { INTEGER, REAL, TEXT, BLOB, NUL };

static const char *const allowed[] = {"default", "unbacked"};

static fixture *sql_fixture(const char *dir)
{
    char *path = dir ? util_xasprintf("%s/state/sqlite_db.db", dir) : NULL;
    spinapi_backend b = {"default",
                         dir ? SPINAPI_BACKEND_SQLITE_FILE : SPINAPI_BACKEND_SQLITE_MEMORY, path};
    spinapi_component_config cfg = {.id = "db", .sqlite_databases = allowed,
                                     .nsqlite_databases = 2, .sqlite_backends = &b,
                                     .nsqlite_backends = 1};
    fixture *f = fixture_new(&cfg);
    free(path);
    return f;
}

static component_val open_db(fixture *f, const char *iface, const char *label)
{
    component_val a[1] = {V_STR(label)}, r = {0};
    CHECK_INT(call(f, iface, "[static]connection.open", a, 1, &r), 0);
    CHECK(is_ok(&r));
    return is_ok(&r) ? *ok_of(&r) : (component_val){0};
}

static component_val value(uint32_t disc, component_val *payload)
{
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {disc, payload}};
}

/* Executes sql; returns the result (ok or err). */
static component_val exec(fixture *f, const char *iface, const component_val *conn,
                          const char *sql, component_val *params, size_t n)
{
    component_val a[3] = {V_BORROW(*conn), V_STR(sql),
                          {.kind = COMPONENT_VAL_LIST, .of.list = {.items = params, .n = n}}};
    component_val r = {0};
    call(f, iface, "[method]connection.execute", a, 3, &r);
    return r;
}

static void test_conformance_sequence(void)
{
    char *dir = temp_dir();
    fixture *f = sql_fixture(dir);
    char buf[128];
    component_val a[1] = {V_STR("forbidden")}, r;
    CHECK_INT(call(f, SQL2, "[static]connection.open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), ACCESS_DENIED);
    component_val c = open_db(f, SQL2, "default");
    r = exec(f, SQL2, &c,
             "CREATE TABLE IF NOT EXISTS test_data(key TEXT NOT NULL, value TEXT NOT NULL);",
             NULL, 0);
    CHECK(is_ok(&r));
    r = exec(f, SQL2, &c, "INSERT INTO test_data(key, value) VALUES('my_key', 'my_value');",
             NULL, 0);
    CHECK(is_ok(&r));
    component_val key = V_STR("my_key"), p[1] = {value(TEXT, &key)};
    r = exec(f, SQL2, &c, "SELECT * FROM test_data WHERE key = ?", p, 1);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        const component_val *cols = &ok_of(&r)->of.record.fields[0];
        const component_val *rows = &ok_of(&r)->of.record.fields[1];
        CHECK_INT(cols->of.list.n, 2);
        CHECK_STR(str_of(&cols->of.list.items[0], buf, sizeof(buf)), "key");
        CHECK_STR(str_of(&cols->of.list.items[1], buf, sizeof(buf)), "value");
        CHECK_INT(rows->of.list.n, 1);
        const component_val *vals = &rows->of.list.items[0].of.record.fields[0];
        CHECK_INT(vals->of.list.n, 2);
        CHECK_INT(vals->of.list.items[1].of.variant.disc, TEXT);
        CHECK_STR(str_of(vals->of.list.items[1].of.variant.payload, buf, sizeof(buf)),
                  "my_value");
    }
    fixture_free(f);

    /* The rows are in the file for the next component (or for Spin). */
    f = sql_fixture(dir);
    c = open_db(f, SQL3, "default");
    r = exec(f, SQL3, &c, "SELECT count(*) FROM test_data", NULL, 0);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        const component_val *rows = &ok_of(&r)->of.record.fields[1];
        CHECK(rows->of.list.n == 1 &&
              rows->of.list.items[0].of.record.fields[0].of.list.items[0].of.variant.payload->of.s ==
                  1);
    }
    fixture_free(f);
    remove_tree(dir);
    free(dir);
}

/* Every value type goes in as a parameter and comes back as itself. */
static void test_value_types(void)
{
    fixture *f = sql_fixture(NULL);
    component_val c = open_db(f, SQL2, "default");
    component_val r = exec(f, SQL2, &c, "CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n)",
                           NULL, 0);
    CHECK(is_ok(&r));
    static const uint8_t blob[4] = {0, 1, 0xfe, 0xff};
    component_val i = V_S64(INT64_MIN), d = {.kind = COMPONENT_VAL_F64, .of.f64 = -2.5},
                  s = V_STR("h\xc3\xa9llo"), b = V_BYTES(blob, 4);
    component_val p[5] = {value(INTEGER, &i), value(REAL, &d), value(TEXT, &s),
                          value(BLOB, &b), value(NUL, NULL)};
    r = exec(f, SQL2, &c, "INSERT INTO t VALUES (?, ?, ?, ?, ?)", p, 5);
    CHECK(is_ok(&r));
    CHECK(is_ok(&r) && ok_of(&r)->of.record.fields[1].of.list.n == 0);
    r = exec(f, SQL2, &c, "SELECT i, r, s, b, n FROM t", NULL, 0);
    CHECK(is_ok(&r));
    if (!is_ok(&r)) {
        fixture_free(f);
        return;
    }
    const component_val *rows = &ok_of(&r)->of.record.fields[1];
    CHECK_INT(rows->of.list.n, 1);
    const component_val *v = rows->of.list.items[0].of.record.fields[0].of.list.items;
    CHECK_INT(v[0].of.variant.disc, INTEGER);
    CHECK(v[0].of.variant.payload->of.s == INT64_MIN);
    CHECK_INT(v[1].of.variant.disc, REAL);
    CHECK(v[1].of.variant.payload->of.f64 == -2.5);
    CHECK_INT(v[2].of.variant.disc, TEXT);
    char buf[64];
    CHECK_STR(str_of(v[2].of.variant.payload, buf, sizeof(buf)), "h\xc3\xa9llo");
    CHECK_INT(v[3].of.variant.disc, BLOB);
    CHECK(v[3].of.variant.payload->of.list.n == 4 &&
          memcmp(v[3].of.variant.payload->of.list.raw, blob, 4) == 0);
    CHECK_INT(v[4].of.variant.disc, NUL);
    CHECK(v[4].of.variant.payload == NULL);
    fixture_free(f);
}

static void test_errors(void)
{
    fixture *f = sql_fixture(NULL);
    char buf[256];
    component_val c = open_db(f, SQL2, "default");
    component_val r = exec(f, SQL2, &c, "SELEC 1", NULL, 0);
    CHECK_INT(err_case(&r), IO);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "near \"SELEC\": syntax error");
    r = exec(f, SQL2, &c, "SELECT * FROM missing", NULL, 0);
    CHECK_INT(err_case(&r), IO);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "no such table: missing");
    /* One statement per execute, as Spin (rusqlite) allows. */
    r = exec(f, SQL2, &c, "SELECT 1; SELECT 2", NULL, 0);
    CHECK_INT(err_case(&r), IO);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "Multiple statements provided");
    /* Trailing semicolons, blanks and comments are not statements. */
    r = exec(f, SQL2, &c, "SELECT 1; ;  -- done\n/* really */", NULL, 0);
    CHECK(is_ok(&r));
    /* Only a comment: no statement, no rows. */
    r = exec(f, SQL2, &c, "-- nothing", NULL, 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.record.fields[1].of.list.n == 0);
    component_val one = V_S64(1), p[1] = {value(INTEGER, &one)};
    r = exec(f, SQL2, &c, "SELECT ?, ?", p, 1);
    CHECK_INT(err_case(&r), IO);
    CHECK_STR(err_text(&r, buf, sizeof(buf)),
              "Wrong number of parameters passed to query. Got 1, needed 2");
    /* A constraint failure is SQLite's message too. */
    CHECK(is_ok((r = exec(f, SQL2, &c, "CREATE TABLE u(k PRIMARY KEY)", NULL, 0), &r)));
    CHECK(is_ok((r = exec(f, SQL2, &c, "INSERT INTO u VALUES (1)", NULL, 0), &r)));
    r = exec(f, SQL2, &c, "INSERT INTO u VALUES (1)", NULL, 0);
    CHECK_INT(err_case(&r), IO);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "UNIQUE constraint failed: u.k");
    fixture_free(f);
}

static void test_open_refusals(void)
{
    fixture *f = sql_fixture(NULL);
    component_val a[1] = {V_STR("unbacked")}, r;
    CHECK_INT(call(f, SQL2, "[static]connection.open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), NO_SUCH_DATABASE);
    a[0] = V_STR("nope");
    CHECK_INT(call(f, SQL3, "[static]connection.open", a, 1, &r), 0);
    CHECK_INT(err_case(&r), ACCESS_DENIED);
    fixture_free(f);
}

/* A guest cannot ATTACH a file of the host (Spin's authorizer). */
static void test_attach_file_denied(void)
{
    char *dir = temp_dir();
    fixture *f = sql_fixture(NULL);
    char *sql = util_xasprintf("ATTACH DATABASE '%s/other.db' AS other", dir);
    component_val c = open_db(f, SQL2, "default");
    component_val r = exec(f, SQL2, &c, sql, NULL, 0);
    CHECK_INT(err_case(&r), IO);
    r = exec(f, SQL2, &c, "ATTACH DATABASE ':memory:' AS scratch", NULL, 0);
    CHECK(is_ok(&r));
    char *other = util_xasprintf("%s/other.db", dir);
    CHECK(access(other, F_OK) != 0);
    free(other);
    free(sql);
    fixture_free(f);
    remove_tree(dir);
    free(dir);
}

/* spin:sqlite@3.0.0's last-insert-rowid and changes. */
static void test_v3_rowid_and_changes(void)
{
    fixture *f = sql_fixture(NULL);
    component_val c = open_db(f, SQL3, "default");
    component_val r = exec(f, SQL3, &c, "CREATE TABLE t(x)", NULL, 0);
    CHECK(is_ok(&r));
    for (int i = 0; i < 3; i++)
        CHECK(is_ok((r = exec(f, SQL3, &c, "INSERT INTO t VALUES (1)", NULL, 0), &r)));
    component_val a[1] = {V_BORROW(c)};
    CHECK_INT(call(f, SQL3, "[method]connection.last-insert-rowid", a, 1, &r), 0);
    CHECK_INT(r.of.s, 3);
    CHECK(is_ok((r = exec(f, SQL3, &c, "UPDATE t SET x = 2", NULL, 0), &r)));
    CHECK_INT(call(f, SQL3, "[method]connection.changes", a, 1, &r), 0);
    CHECK_INT(r.of.u, 3);
    fixture_free(f);
}

/* A query that would never end stops at the instance's deadline with
 * io("interrupted"), and the connection serves the next statement (the
 * handler is gone with the call).  Asserts only that it ends. */
static void test_runaway_query_stops_at_deadline(void)
{
    fixture *f = sql_fixture(NULL);
    char buf[128];
    spinapi_ctx_set_deadline(f->ctx, util_monotonic_ns() + 200 * 1000000ull);
    component_val c = open_db(f, SQL2, "default");
    component_val r = exec(f, SQL2, &c,
                           "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
                           "SELECT count(*) FROM n",
                           NULL, 0);
    CHECK_INT(err_case(&r), IO);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "interrupted");
    spinapi_ctx_set_deadline(f->ctx, 0);
    r = exec(f, SQL2, &c, "SELECT 1", NULL, 0);
    CHECK(is_ok(&r));
    fixture_free(f);
}

int main(void)
{
    RUN(test_conformance_sequence);
    RUN(test_value_types);
    RUN(test_errors);
    RUN(test_open_refusals);
    RUN(test_attach_file_denied);
    RUN(test_v3_rowid_and_changes);
    RUN(test_runaway_query_stops_at_deadline);
    return TEST_SUMMARY();
}
