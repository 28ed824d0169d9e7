/*
 * test_postgres.c - PostgreSQL through fermyon:spin/postgres@2.0.0 and
 * spin:postgres/postgres@3.0.0 against a real server (pg_fixture.h):
 * fermyon/conformance-tests' postgres sequence where it applies (numeric,
 * character, date-time and nullable columns, literals decoded and
 * parameters round-tripped, one connection per handle), every parameter
 * type in and back with its column type, the server's error as
 * query-failed, the refusals (hosts allowed_outbound_hosts does not allow,
 * Unix sockets, options Spin does not know, a malformed address), a dead
 * port failing in bounded time, and connections closed with the instance.
 */
#include "pg_fixture.h"
#include "spinapi_test_util.h"

#include <math.h>
#include <time.h>

#define PG2 "fermyon:spin/postgres@2.0.0"
#define PG3 "spin:postgres/postgres@3.0.0"
#define PG4 "spin:postgres/postgres@4.0.0"

enum { CONNECTION_FAILED, BAD_PARAMETER, QUERY_FAILED, VALUE_CONVERSION_FAILED, OTHER };
/* spin:postgres@3.0.0's db-value / parameter-value and db-data-type cases. */
enum { BOOLEAN, INT8, INT16, INT32, INT64, FLOATING32, FLOATING64, STR, BINARY, DATE, TIME,
       DATETIME, TIMESTAMP, DB_NULL, UNSUPPORTED };
enum { T_OTHER = 13 };
/* fermyon:spin/rdbms-types@2.0.0's. */
enum { V2_INT32 = 3, V2_UINT8 = 5, V2_STR = 11, V2_NULL = 13, V2_UNSUPPORTED = 14 };

static pg_server server;
static int allowed_calls;

/* allowed_outbound_hosts = ["postgres://127.0.0.1:*", "postgres://localhost:*"] */
static bool allow_loopback(void *self, const char *scheme, const char *host, uint16_t port)
{
    (void)self, (void)port;
    allowed_calls++;
    return strcmp(scheme, "postgres") == 0 &&
           (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0);
}

static fixture *pg_fixture(void)
{
    spinapi_component_config cfg = {.id = "pg", .outbound_allowed = allow_loopback};
    return fixture_new(&cfg);
}

static char *address(const char *extra)
{
    return util_xasprintf("postgres://postgres@127.0.0.1:%u/postgres%s", server.port, extra);
}

static component_val open_ok(fixture *f, const char *iface, const char *addr)
{
    component_val a[1] = {V_STR(addr)}, r = {0};
    char buf[512];
    CHECK_INT(call(f, iface, "[static]connection.open", a, 1, &r), 0);
    if (!is_ok(&r))
        fprintf(stderr, "open %s: %d %s\n", addr, err_case(&r), err_text(&r, buf, sizeof(buf)));
    CHECK(is_ok(&r));
    return is_ok(&r) ? *ok_of(&r) : (component_val){0};
}

static component_val open_result(fixture *f, const char *iface, const char *addr)
{
    component_val a[1] = {V_STR(addr)}, r = {0};
    CHECK_INT(call(f, iface, "[static]connection.open", a, 1, &r), 0);
    return r;
}

static component_val pv(uint32_t disc, component_val *payload)
{
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {disc, payload}};
}

static component_val run(fixture *f, const char *iface, const char *method,
                         const component_val *conn, const char *sql, component_val *params,
                         size_t n)
{
    component_val a[3] = {V_BORROW(*conn), V_STR(sql),
                          {.kind = COMPONENT_VAL_LIST, .of.list = {.items = params, .n = n}}};
    component_val r = {0};
    call(f, iface, method, a, 3, &r);
    return r;
}

#define EXEC(f, i, c, sql, p, n) run(f, i, "[method]connection.execute", c, sql, p, n)
#define QUERY(f, i, c, sql, p, n) run(f, i, "[method]connection.query", c, sql, p, n)

static const component_val *rows_of(const component_val *r)
{
    return &ok_of(r)->of.record.fields[1];
}

static const component_val *cell(const component_val *r, size_t row, size_t col)
{
    return &rows_of(r)->of.list.items[row].of.list.items[col];
}

static uint32_t col_type(const component_val *r, size_t col)
{
    return ok_of(r)->of.record.fields[0].of.list.items[col].of.record.fields[1].of.variant.disc;
}

static const char *col_name(const component_val *r, size_t col, char *buf, size_t size)
{
    return str_of(&ok_of(r)->of.record.fields[0].of.list.items[col].of.record.fields[0], buf,
                  size);
}

static component_val u8v(unsigned x)
{
    return (component_val){.kind = COMPONENT_VAL_U8, .of.u = x};
}

/* The conformance sequence: literals decode, parameters round-trip. */
static void test_conformance_sequence(void)
{
    fixture *f = pg_fixture();
    char *addr = address("");
    component_val c = open_ok(f, PG3, addr);
    char buf[256];
    component_val r = EXEC(f, PG3, &c,
                           "CREATE TEMPORARY TABLE test_numeric_types (id integer,"
                           " rsmallserial smallserial NOT NULL, rsmallint smallint NOT NULL,"
                           " rserial serial NOT NULL, rint int NOT NULL,"
                           " rbigserial bigserial NOT NULL, rbigint bigint NOT NULL,"
                           " rreal real NOT NULL, rdouble double precision NOT NULL);",
                           NULL, 0);
    CHECK(is_ok(&r));
    r = EXEC(f, PG3, &c,
             "INSERT INTO test_numeric_types (id, rsmallint, rint, rbigint, rreal, rdouble)"
             " VALUES (1, 1, 3, 5, 7.8, 9.1)",
             NULL, 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.u == 1);
    component_val id = {.kind = COMPONENT_VAL_S32, .of.s = 2},
                  si = {.kind = COMPONENT_VAL_S16, .of.s = -13},
                  i4 = {.kind = COMPONENT_VAL_S32, .of.s = INT32_MIN},
                  i8 = V_S64(INT64_MAX), fr = {.kind = COMPONENT_VAL_F32, .of.f32 = 19.2f},
                  fd = {.kind = COMPONENT_VAL_F64, .of.f64 = 20.3};
    component_val p[6] = {pv(INT32, &id), pv(INT16, &si), pv(INT32, &i4), pv(INT64, &i8),
                          pv(FLOATING32, &fr), pv(FLOATING64, &fd)};
    r = EXEC(f, PG3, &c,
             "INSERT INTO test_numeric_types (id, rsmallint, rint, rbigint, rreal, rdouble)"
             " VALUES ($1, $2, $3, $4, $5, $6);",
             p, 6);
    CHECK(is_ok(&r) && ok_of(&r)->of.u == 1);
    r = QUERY(f, PG3, &c,
              "SELECT id, rsmallserial, rsmallint, rserial, rint, rbigserial, rbigint, rreal,"
              " rdouble FROM test_numeric_types ORDER BY id",
              NULL, 0);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        static const uint32_t types[] = {INT32, INT16, INT16, INT32, INT32, INT64, INT64,
                                         FLOATING32, FLOATING64};
        CHECK_INT(rows_of(&r)->of.list.n, 2);
        for (size_t i = 0; i < 9; i++) {
            CHECK_INT(col_type(&r, i), types[i]);
            CHECK_INT(cell(&r, 0, i)->of.variant.disc, types[i]);
        }
        CHECK_STR(col_name(&r, 2, buf, sizeof(buf)), "rsmallint");
        CHECK(cell(&r, 0, 2)->of.variant.payload->of.s == 1);
        CHECK(cell(&r, 0, 4)->of.variant.payload->of.s == 3);
        CHECK(cell(&r, 0, 6)->of.variant.payload->of.s == 5);
        CHECK(cell(&r, 0, 7)->of.variant.payload->of.f32 == 7.8f);
        CHECK(cell(&r, 0, 8)->of.variant.payload->of.f64 == 9.1);
        CHECK(cell(&r, 1, 2)->of.variant.payload->of.s == -13);
        CHECK(cell(&r, 1, 4)->of.variant.payload->of.s == INT32_MIN);
        CHECK(cell(&r, 1, 6)->of.variant.payload->of.s == INT64_MAX);
        CHECK(cell(&r, 1, 7)->of.variant.payload->of.f32 == 19.2f);
        CHECK(cell(&r, 1, 8)->of.variant.payload->of.f64 == 20.3);
    }

    r = EXEC(f, PG3, &c,
             "CREATE TEMPORARY TABLE test_character_types (rvarchar varchar(40) NOT NULL,"
             " rtext text NOT NULL, rchar char(10) NOT NULL)",
             NULL, 0);
    CHECK(is_ok(&r));
    component_val s1 = V_STR("h\xc3\xa9llo"), s2 = V_STR("rtext"), s3 = V_STR("rchar");
    component_val sp[3] = {pv(STR, &s1), pv(STR, &s2), pv(STR, &s3)};
    r = EXEC(f, PG3, &c, "INSERT INTO test_character_types VALUES ($1, $2, $3)", sp, 3);
    CHECK(is_ok(&r));
    r = QUERY(f, PG3, &c, "SELECT rvarchar, rtext, rchar FROM test_character_types", NULL, 0);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        for (size_t i = 0; i < 3; i++)
            CHECK_INT(col_type(&r, i), STR);
        CHECK_STR(str_of(cell(&r, 0, 0)->of.variant.payload, buf, sizeof(buf)), "h\xc3\xa9llo");
        CHECK_STR(str_of(cell(&r, 0, 1)->of.variant.payload, buf, sizeof(buf)), "rtext");
        CHECK_STR(str_of(cell(&r, 0, 2)->of.variant.payload, buf, sizeof(buf)), "rchar     ");
    }

    r = EXEC(f, PG3, &c,
             "CREATE TEMPORARY TABLE test_date_time_types (index int2, rdate date NOT NULL,"
             " rtime time NOT NULL, rtimestamp timestamp NOT NULL)",
             NULL, 0);
    CHECK(is_ok(&r));
    r = EXEC(f, PG3, &c,
             "INSERT INTO test_date_time_types VALUES (1, date '2525-12-25',"
             " time '04:05:06.789', timestamp '1989-11-24 01:02:03')",
             NULL, 0);
    CHECK(is_ok(&r));
    component_val dy = {.kind = COMPONENT_VAL_S32, .of.s = 2525}, df[3] = {dy, u8v(12), u8v(25)};
    component_val tf[4] = {u8v(14), u8v(15), u8v(16),
                           {.kind = COMPONENT_VAL_U32, .of.u = 17000}};
    component_val ty = {.kind = COMPONENT_VAL_S32, .of.s = 1989},
                  dtf[7] = {ty, u8v(11), u8v(24), u8v(1), u8v(2), u8v(3),
                            {.kind = COMPONENT_VAL_U32, .of.u = 4000}};
    component_val dt = {.kind = COMPONENT_VAL_RECORD, .of.record = {df, 3}},
                  tt = {.kind = COMPONENT_VAL_RECORD, .of.record = {tf, 4}},
                  dtt = {.kind = COMPONENT_VAL_RECORD, .of.record = {dtf, 7}};
    component_val dp[3] = {pv(DATE, &dt), pv(TIME, &tt), pv(DATETIME, &dtt)};
    r = EXEC(f, PG3, &c, "INSERT INTO test_date_time_types VALUES (2, $1, $2, $3)", dp, 3);
    CHECK(is_ok(&r));
    r = QUERY(f, PG3, &c,
              "SELECT index, rdate, rtime, rtimestamp FROM test_date_time_types ORDER BY index",
              NULL, 0);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        CHECK_INT(col_type(&r, 1), DATE);
        CHECK_INT(col_type(&r, 2), TIME);
        CHECK_INT(col_type(&r, 3), DATETIME);
        for (size_t row = 0; row < 2; row++) {
            const component_val *d = cell(&r, row, 1)->of.variant.payload->of.record.fields;
            CHECK(d[0].of.s == 2525 && d[1].of.u == 12 && d[2].of.u == 25);
        }
        const component_val *t = cell(&r, 0, 2)->of.variant.payload->of.record.fields;
        CHECK(t[0].of.u == 4 && t[1].of.u == 5 && t[2].of.u == 6 && t[3].of.u == 789000000);
        t = cell(&r, 1, 2)->of.variant.payload->of.record.fields;
        CHECK(t[0].of.u == 14 && t[1].of.u == 15 && t[2].of.u == 16 && t[3].of.u == 17000);
        const component_val *x = cell(&r, 0, 3)->of.variant.payload->of.record.fields;
        CHECK(x[0].of.s == 1989 && x[1].of.u == 11 && x[2].of.u == 24 && x[3].of.u == 1 &&
              x[4].of.u == 2 && x[5].of.u == 3 && x[6].of.u == 0);
        x = cell(&r, 1, 3)->of.variant.payload->of.record.fields;
        CHECK(x[0].of.s == 1989 && x[3].of.u == 1 && x[6].of.u == 4000);
    }

    r = EXEC(f, PG3, &c, "CREATE TEMPORARY TABLE test_nullable (rvarchar varchar(40))", NULL, 0);
    CHECK(is_ok(&r));
    component_val np[1] = {pv(DB_NULL, NULL)};
    CHECK(is_ok((r = EXEC(f, PG3, &c, "INSERT INTO test_nullable VALUES ($1)", np, 1), &r)));
    r = QUERY(f, PG3, &c, "SELECT rvarchar FROM test_nullable", NULL, 0);
    CHECK(is_ok(&r) && cell(&r, 0, 0)->of.variant.disc == DB_NULL);

    /* One server session per connection handle. */
    r = QUERY(f, PG3, &c, "SELECT pg_backend_pid()", NULL, 0);
    component_val r2 = QUERY(f, PG3, &c, "SELECT pg_backend_pid()", NULL, 0);
    CHECK(is_ok(&r) && is_ok(&r2) &&
          cell(&r, 0, 0)->of.variant.payload->of.s == cell(&r2, 0, 0)->of.variant.payload->of.s);
    free(addr);
    fixture_free(f);
}

/* Booleans, bytes, timestamps, and what has no case: unsupported / other. */
static void test_more_types(void)
{
    fixture *f = pg_fixture();
    char *addr = address("?application_name=types");
    component_val c = open_ok(f, PG3, addr);
    static const uint8_t blob[4] = {0, 1, 0xfe, 0xff};
    component_val b = {.kind = COMPONENT_VAL_BOOL, .of.b = true}, bin = V_BYTES(blob, 4),
                  ts = V_S64(1700000000), i1 = {.kind = COMPONENT_VAL_S8, .of.s = -7};
    component_val p[4] = {pv(BOOLEAN, &b), pv(BINARY, &bin), pv(TIMESTAMP, &ts), pv(INT8, &i1)};
    component_val r = QUERY(f, PG3, &c,
                            "SELECT $1::bool, $2::bytea, extract(epoch from $3::timestamptz)"
                            "::int8, $4, '12345678-1234-1234-1234-123456789abc'::uuid,"
                            " 1.5::numeric, '2001-02-03 04:05:06+00'::timestamptz",
                            p, 4);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        CHECK_INT(cell(&r, 0, 0)->of.variant.disc, BOOLEAN);
        CHECK(cell(&r, 0, 0)->of.variant.payload->of.b);
        CHECK_INT(cell(&r, 0, 1)->of.variant.disc, BINARY);
        const component_val *l = cell(&r, 0, 1)->of.variant.payload;
        CHECK(l->of.list.n == 4 && memcmp(l->of.list.raw, blob, 4) == 0);
        CHECK_INT(cell(&r, 0, 2)->of.variant.disc, INT64);
        CHECK(cell(&r, 0, 2)->of.variant.payload->of.s == 1700000000);
        CHECK_INT(cell(&r, 0, 3)->of.variant.disc, INT16); /* s8 goes as int2 */
        CHECK(cell(&r, 0, 3)->of.variant.payload->of.s == -7);
        CHECK_INT(cell(&r, 0, 4)->of.variant.disc, UNSUPPORTED);
        CHECK_INT(col_type(&r, 4), T_OTHER);
        CHECK_INT(cell(&r, 0, 5)->of.variant.disc, UNSUPPORTED);
        CHECK_INT(col_type(&r, 6), DATETIME); /* timestamptz: a datetime in UTC */
        const component_val *x = cell(&r, 0, 6)->of.variant.payload->of.record.fields;
        CHECK(x[0].of.s == 2001 && x[1].of.u == 2 && x[2].of.u == 3 && x[3].of.u == 4 &&
              x[4].of.u == 5 && x[5].of.u == 6);
    }
    /* A date before 1970 and before 2000-01-01 (negative PostgreSQL days). */
    r = QUERY(f, PG3, &c, "SELECT date '1900-03-01', timestamp '1969-12-31 23:59:59.5'", NULL, 0);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        const component_val *d = cell(&r, 0, 0)->of.variant.payload->of.record.fields;
        CHECK(d[0].of.s == 1900 && d[1].of.u == 3 && d[2].of.u == 1);
        const component_val *x = cell(&r, 0, 1)->of.variant.payload->of.record.fields;
        CHECK(x[0].of.s == 1969 && x[1].of.u == 12 && x[2].of.u == 31 && x[3].of.u == 23 &&
              x[5].of.u == 59 && x[6].of.u == 500000000);
    }
    free(addr);
    fixture_free(f);
}

/* fermyon:spin/postgres@2.0.0: the same connection with rdbms-types. */
static void test_v2(void)
{
    fixture *f = pg_fixture();
    char *addr = address("");
    char buf[256];
    component_val c = open_ok(f, PG2, addr);
    component_val n = {.kind = COMPONENT_VAL_S32, .of.s = 42}, s = V_STR("x");
    component_val p[2] = {pv(V2_INT32, &n), pv(V2_STR, &s)};
    component_val r = QUERY(f, PG2, &c, "SELECT $1::int4 AS n, $2::text AS s, date '2000-01-01'",
                            p, 2);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        CHECK_INT(col_type(&r, 0), V2_INT32);
        CHECK_INT(col_type(&r, 1), V2_STR);
        CHECK_INT(col_type(&r, 2), 13); /* other: v2 has no date */
        CHECK_STR(col_name(&r, 0, buf, sizeof(buf)), "n");
        CHECK(cell(&r, 0, 0)->of.variant.payload->of.s == 42);
        CHECK_STR(str_of(cell(&r, 0, 1)->of.variant.payload, buf, sizeof(buf)), "x");
        CHECK_INT(cell(&r, 0, 2)->of.variant.disc, V2_UNSUPPORTED);
    }
    /* PostgreSQL has no unsigned integers (Spin's refusal, by operation). */
    component_val u = u8v(1), up[1] = {pv(V2_UINT8, &u)};
    r = EXEC(f, PG2, &c, "SELECT $1", up, 1);
    CHECK_INT(err_case(&r), VALUE_CONVERSION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "Postgres does not support unsigned integers");
    r = QUERY(f, PG2, &c, "SELECT $1", up, 1);
    CHECK_INT(err_case(&r), BAD_PARAMETER);
    component_val np[1] = {pv(V2_NULL, NULL)};
    r = QUERY(f, PG2, &c, "SELECT $1::text IS NULL", np, 1);
    CHECK(is_ok(&r) && cell(&r, 0, 0)->of.variant.payload->of.b);
    free(addr);
    fixture_free(f);
}

/* Spin 1's fermyon:spin/postgres (what old-ABI modules' outbound-pg
 * reaches): the address per call, a connection per call closed after it,
 * pg-error's cases one further on than @2.0.0's (case 0 is `success`). */
#define PG1 "fermyon:spin/postgres"
enum { V1_CONNECTION_FAILED = 1, V1_BAD_PARAMETER, V1_QUERY_FAILED, V1_VALUE_CONVERSION_FAILED };

static component_val run1(fixture *f, const char *name, const char *addr, const char *sql,
                          component_val *params, size_t n)
{
    component_val a[3] = {V_STR(addr), V_STR(sql),
                          {.kind = COMPONENT_VAL_LIST, .of.list = {.items = params, .n = n}}};
    component_val r = {0};
    call(f, PG1, name, a, 3, &r);
    return r;
}

static void test_v1(void)
{
    fixture *f = pg_fixture();
    char *addr = address("?application_name=legacy");
    char buf[256];
    component_val n = {.kind = COMPONENT_VAL_S32, .of.s = 7};
    component_val p[1] = {pv(V2_INT32, &n)};
    component_val r = run1(f, "query", addr, "SELECT $1::int4 + 1 AS n", p, 1);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        CHECK_INT(col_type(&r, 0), V2_INT32);
        CHECK(cell(&r, 0, 0)->of.variant.payload->of.s == 8);
    }
    r = run1(f, "execute", addr, "CREATE TEMP TABLE legacy_t (x int)", NULL, 0);
    CHECK(is_ok(&r) && ok_of(&r)->of.u == 0);
    /* Each call had its own session, closed after it. */
    CHECK(f->ctx->pg_open == NULL);
    r = run1(f, "query", addr, "SELEKT", NULL, 0);
    CHECK_INT(err_case(&r), V1_QUERY_FAILED);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "syntax error") != NULL);
    component_val u = u8v(1), up[1] = {pv(V2_UINT8, &u)};
    r = run1(f, "query", addr, "SELECT $1", up, 1);
    CHECK_INT(err_case(&r), V1_BAD_PARAMETER);
    r = run1(f, "execute", addr, "SELECT $1", up, 1);
    CHECK_INT(err_case(&r), V1_VALUE_CONVERSION_FAILED);
    r = run1(f, "query", "postgres://postgres@10.1.2.3/postgres", "SELECT 1", NULL, 0);
    CHECK_INT(err_case(&r), V1_CONNECTION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "address postgres://10.1.2.3 is not permitted");
    /* Spin 1's mysql (src/spinapi/mysql.c) shares the legacy enum: an
     * address nobody serves is connection-failed. */
    component_val m[3] = {V_STR("mysql://127.0.0.1/db"), V_STR("SELECT 1"),
                          {.kind = COMPONENT_VAL_LIST, .of.list = {.n = 0}}};
    CHECK_INT(call(f, "fermyon:spin/mysql", "query", m, 3, &r), 0);
    CHECK_INT(err_case(&r), V1_CONNECTION_FAILED);
    free(addr);
    fixture_free(f);
}

/* The request's deadline ends a statement the server is still running:
 * the call returns query-failed soon after the deadline (not when
 * pg_sleep ends), the server cancelled the statement, and the session
 * serves the next statement. */
static void test_deadline_cancels_a_stuck_query(void)
{
    fixture *f = pg_fixture();
    char *addr = address("?application_name=stuck");
    char buf[256];
    component_val c = open_ok(f, PG3, addr);
    uint64_t t0 = util_monotonic_ns();
    spinapi_ctx_set_deadline(f->ctx, t0 + 300 * UINT64_C(1000000));
    component_val r = QUERY(f, PG3, &c, "SELECT pg_sleep(60)", NULL, 0);
    double took = (double)(util_monotonic_ns() - t0) / 1e9;
    CHECK(took < 20.0); /* ended by the deadline, not by pg_sleep's 60 s */
    CHECK_INT(err_case(&r), QUERY_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)),
              "the request's deadline passed; the statement was cancelled");
    /* The same session runs the next statement (with a deadline ahead). */
    spinapi_ctx_set_deadline(f->ctx, util_monotonic_ns() + 30 * UINT64_C(1000000000));
    r = QUERY(f, PG3, &c, "SELECT 1::int4", NULL, 0);
    CHECK(is_ok(&r));
    /* The server is not still sleeping for us. */
    r = QUERY(f, PG3, &c,
              "SELECT count(*)::int4 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' "
              "AND state = 'active'",
              NULL, 0);
    CHECK(is_ok(&r) && cell(&r, 0, 0)->of.variant.payload->of.s == 0);
    free(addr);
    fixture_free(f);
}

static void test_errors(void)
{
    fixture *f = pg_fixture();
    char *addr = address("");
    char buf[512];
    component_val c = open_ok(f, PG3, addr);
    component_val r = QUERY(f, PG3, &c, "SELECT * FROM missing", NULL, 0);
    CHECK_INT(err_case(&r), QUERY_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "db error: ERROR: relation \"missing\" does not exist");
    r = EXEC(f, PG3, &c, "SELEC 1", NULL, 0);
    CHECK_INT(err_case(&r), QUERY_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "db error: ERROR: syntax error at or near \"SELEC\"");
    /* One statement per call, as in Spin (the extended protocol). */
    r = EXEC(f, PG3, &c, "SELECT 1; SELECT 2", NULL, 0);
    CHECK_INT(err_case(&r), QUERY_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)),
              "db error: ERROR: cannot insert multiple commands into a prepared statement");
    /* The connection is still usable after errors. */
    r = QUERY(f, PG3, &c, "SELECT 1", NULL, 0);
    CHECK(is_ok(&r));
    component_val dy = {.kind = COMPONENT_VAL_S32, .of.s = 2023}, df[3] = {dy, u8v(2), u8v(30)};
    component_val dt = {.kind = COMPONENT_VAL_RECORD, .of.record = {df, 3}},
                  dp[1] = {pv(DATE, &dt)};
    r = EXEC(f, PG3, &c, "SELECT $1", dp, 1);
    CHECK_INT(err_case(&r), VALUE_CONVERSION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "invalid date y=2023, m=2, d=30");
    r = QUERY(f, PG3, &c, "SELECT $1", dp, 1);
    CHECK_INT(err_case(&r), BAD_PARAMETER);
    free(addr);
    fixture_free(f);
}

static void test_refusals(void)
{
    fixture *f = pg_fixture();
    char buf[512];
    component_val r = open_result(f, PG3, "postgres://postgres@db.example.com/postgres");
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "address postgres://db.example.com is not permitted");
    r = open_result(f, PG2, "host=10.1.2.3 port=6543 user=postgres");
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "address postgres://10.1.2.3:6543 is not permitted");
    /* hostaddr is what libpq dials: it is checked, not the host name. */
    r = open_result(f, PG3, "host=localhost hostaddr=10.1.2.3 user=postgres");
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "address postgres://10.1.2.3 is not permitted");
    /* Every host of a list must be allowed. */
    r = open_result(f, PG3, "postgres://postgres@localhost:1,evil.example:2/db");
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "address postgres://evil.example:2 is not permitted");
    /* A host name too long to check whole is refused, not cut to an allowed one. */
    char *long_host = util_xasprintf("host=127.0.0.1%0300d user=postgres", 0);
    r = open_result(f, PG3, long_host);
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "invalid configuration: host name too long");
    free(long_host);
    r = open_result(f, PG3, "host=/var/run/postgresql user=postgres");
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "Unix sockets are not supported on WebAssembly");
    /* Files of the host are not the guest's to name. */
    r = open_result(f, PG3, "host=localhost user=postgres sslkey=/etc/shadow");
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)),
              "invalid connection string: unknown option `sslkey`");
    r = open_result(f, PG3, "host=localhost");
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "invalid configuration: user missing");
    r = open_result(f, PG3, "user=postgres");
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "invalid configuration: host missing");
    /* The conformance test's malformed addresses. */
    r = open_result(f, PG3, "hello");
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    r = open_result(f, PG3, "localhost:10000");
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    fixture_free(f);

    /* A component with no allowed_outbound_hosts reaches nothing. */
    spinapi_component_config cfg = {.id = "none"};
    f = fixture_new(&cfg);
    char *addr = address("");
    r = open_result(f, PG3, addr);
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    char *want = util_xasprintf("address postgres://127.0.0.1:%u is not permitted", server.port);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), want);
    free(want);
    free(addr);
    fixture_free(f);
}

/* Nothing listens: connection-failed, promptly; a wrong database name is
 * the server's refusal. */
static void test_connection_failures(void)
{
    fixture *f = pg_fixture();
    char buf[512];
    char *dead = util_xasprintf("postgres://postgres@127.0.0.1:%u/postgres?connect_timeout=2",
                                pg_free_port());
    time_t start = time(NULL);
    component_val r = open_result(f, PG3, dead);
    CHECK(time(NULL) - start < 30);
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "Connection refused") != NULL);
    char *nodb = util_xasprintf("postgres://postgres@127.0.0.1:%u/nosuchdb", server.port);
    r = open_result(f, PG3, nodb);
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "database \"nosuchdb\" does not exist") != NULL);
    free(dead);
    free(nodb);
    fixture_free(f);
}

static long sessions_named(fixture *f, const component_val *c, const char *name)
{
    component_val s = V_STR(name), p[1] = {pv(STR, &s)};
    component_val r = QUERY(f, PG3, c,
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                            p, 1);
    return is_ok(&r) ? (long)cell(&r, 0, 0)->of.variant.payload->of.s : -1;
}

/* The instance's connections close with it. */
static void test_closed_with_instance(void)
{
    fixture *watch = pg_fixture();
    char *wa = address("");
    component_val w = open_ok(watch, PG3, wa);
    fixture *f = pg_fixture();
    char *addr = address("?application_name=closing");
    open_ok(f, PG3, addr);
    open_ok(f, PG2, addr);
    CHECK_INT(sessions_named(watch, &w, "closing"), 2);
    fixture_free(f);
    long n = -1;
    for (int i = 0; i < 100 && (n = sessions_named(watch, &w, "closing")) != 0; i++)
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    CHECK_INT(n, 0);
    free(addr);
    free(wa);
    fixture_free(watch);
}

/* spin:postgres@4.0.0: uuid, jsonb, decimal and interval both ways, the
 * type name of `other`, unsupported's bytes, structured server errors. */
enum { V4_UUID = 13, V4_JSONB = 14, V4_DECIMAL = 15, V4_RANGE_INT32 = 16, V4_INTERVAL = 23,
       V4_NULL = 24, V4_UNSUPPORTED = 25, V4_OTHER = 24 };

/* A range bound: some((value, inclusive|exclusive)). */
static component_val bound(component_val *pair, component_val *some, component_val value,
                           unsigned kind)
{
    pair[0] = value;
    pair[1] = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {kind, NULL}};
    *some = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {pair, 2}};
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, some}};
}

/* A range cell as text: "[lo,hi)" with "-" for an absent bound. */
static const char *range_text(const component_val *v, char *buf, size_t size)
{
    const component_val *b = v->of.record.fields;
    char lo[64] = "-", hi[64] = "-";
    char lk = '(', hk = ')';
    for (int i = 0; i < 2; i++) {
        if (b[i].of.variant.disc == 0)
            continue;
        const component_val *p = b[i].of.variant.payload->of.record.fields;
        char *t = i ? hi : lo;
        if (p[0].kind == COMPONENT_VAL_STRING)
            str_of(&p[0], t, 64);
        else
            snprintf(t, 64, "%lld", (long long)p[0].of.s);
        if (p[1].of.variant.disc == 0)
            *(i ? &hk : &lk) = i ? ']' : '[';
    }
    snprintf(buf, size, "%c%s,%s%c", lk, lo, hi, hk);
    return buf;
}

/* An array cell as text: "1,NULL,3" (strings as they are). */
static const char *array_text(const component_val *v, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < v->of.list.n; i++) {
        const component_val *e = &v->of.list.items[i];
        char t[128];
        if (e->of.variant.disc == 0)
            snprintf(t, sizeof(t), "NULL");
        else if (e->of.variant.payload->kind == COMPONENT_VAL_STRING)
            str_of(e->of.variant.payload, t, sizeof(t));
        else
            snprintf(t, sizeof(t), "%lld", (long long)e->of.variant.payload->of.s);
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "", t);
    }
    return buf;
}

enum { V4_RANGE_INT64 = 17, V4_RANGE_DECIMAL = 18, V4_ARRAY_INT32 = 19, V4_ARRAY_INT64 = 20,
       V4_ARRAY_DECIMAL = 21, V4_ARRAY_STR = 22 };

static component_val some_of(component_val *payload)
{
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, payload}};
}

/* spin:postgres@4.0.0's ranges (int32, int64, decimal) and arrays (int32,
 * int64, decimal, str) both ways: parameters the server reads as the
 * typed values (checked by SQL on the server), result columns of each
 * type, NULL elements, unbounded and empty ranges. */
static void test_v4_ranges_and_arrays(void)
{
    fixture *f = pg_fixture();
    char *addr = address("");
    char buf[512];
    component_val c = open_ok(f, PG4, addr);
    /* [1,5) and (,100]::int8 and ["1.5","2.5") */
    component_val p1[2], s1, p2[2], s2, p3[2], s3;
    component_val r1[2] = {bound(p1, &s1, (component_val){.kind = COMPONENT_VAL_S32, .of.s = 1},
                                 0),
                           bound(p2, &s2, (component_val){.kind = COMPONENT_VAL_S32, .of.s = 5},
                                 1)};
    component_val r2[2] = {V_NONE, bound(p3, &s3, V_S64(100), 0)};
    component_val p4[2], s4, p5[2], s5;
    component_val r3[2] = {bound(p4, &s4, V_STR("1.5"), 0), bound(p5, &s5, V_STR("2.5"), 1)};
    component_val range1 = {.kind = COMPONENT_VAL_RECORD, .of.record = {r1, 2}};
    component_val range2 = {.kind = COMPONENT_VAL_RECORD, .of.record = {r2, 2}};
    component_val range3 = {.kind = COMPONENT_VAL_RECORD, .of.record = {r3, 2}};
    /* {1,NULL,3}, {9000000000}, {"0.25",NULL}, {"a \"q\" \\ b","{x,y}"} */
    component_val i1 = {.kind = COMPONENT_VAL_S32, .of.s = 1},
                  i3 = {.kind = COMPONENT_VAL_S32, .of.s = 3}, big = V_S64(9000000000LL),
                  dq = V_STR("0.25"), sa = V_STR("a \"q\" \\ b"), sb = V_STR("{x,y}");
    component_val a1[3] = {some_of(&i1), V_NONE, some_of(&i3)}, a2[1] = {some_of(&big)},
                  a3[2] = {some_of(&dq), V_NONE}, a4[2] = {some_of(&sa), some_of(&sb)};
#define LISTV(a, count) \
    ((component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = (a), .n = (count)}})
    component_val l1 = LISTV(a1, 3), l2 = LISTV(a2, 1), l3 = LISTV(a3, 2), l4 = LISTV(a4, 2);
    component_val p[7] = {pv(V4_RANGE_INT32, &range1), pv(V4_RANGE_INT64, &range2),
                          pv(V4_RANGE_DECIMAL, &range3), pv(V4_ARRAY_INT32, &l1),
                          pv(V4_ARRAY_INT64, &l2), pv(V4_ARRAY_DECIMAL, &l3),
                          pv(V4_ARRAY_STR, &l4)};
    /* The server sees the typed values. */
    component_val r = QUERY(f, PG4, &c,
                            "SELECT $1 = int4range(1, 5), $2 = int8range(NULL, 100, '(]'),"
                            " $3 = numrange(1.5, 2.5), $4 = ARRAY[1, NULL, 3]::int4[],"
                            " $5 = ARRAY[9000000000]::int8[], $6 = ARRAY[0.25, NULL]::numeric[],"
                            " $7 = ARRAY['a \"q\" \\ b', '{x,y}']::text[]",
                            p, 7);
    CHECK(is_ok(&r));
    if (is_ok(&r))
        for (int i = 0; i < 7; i++) {
            if (!cell(&r, 0, (size_t)i)->of.variant.payload->of.b)
                fprintf(stderr, "parameter %d differs\n", i + 1);
            CHECK(cell(&r, 0, (size_t)i)->of.variant.payload->of.b);
        }
    /* And they come back as they went (a round trip through the server). */
    r = QUERY(f, PG4, &c, "SELECT $1, $2, $3, $4, $5, $6, $7", p, 7);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        static const int types[7] = {16, 17, 18, 19, 20, 21, 22};
        for (int i = 0; i < 7; i++) {
            CHECK_INT(col_type(&r, (size_t)i), types[i]);
            CHECK_INT(cell(&r, 0, (size_t)i)->of.variant.disc, types[i]);
        }
        CHECK_STR(range_text(cell(&r, 0, 0)->of.variant.payload, buf, sizeof(buf)), "[1,5)");
        /* PostgreSQL normalises (,100] of integers to (,101). */
        CHECK_STR(range_text(cell(&r, 0, 1)->of.variant.payload, buf, sizeof(buf)), "(-,101)");
        CHECK_STR(range_text(cell(&r, 0, 2)->of.variant.payload, buf, sizeof(buf)),
                  "[1.5,2.5)");
        CHECK_STR(array_text(cell(&r, 0, 3)->of.variant.payload, buf, sizeof(buf)), "1,NULL,3");
        CHECK_STR(array_text(cell(&r, 0, 4)->of.variant.payload, buf, sizeof(buf)),
                  "9000000000");
        CHECK_STR(array_text(cell(&r, 0, 5)->of.variant.payload, buf, sizeof(buf)), "0.25,NULL");
        CHECK_STR(array_text(cell(&r, 0, 6)->of.variant.payload, buf, sizeof(buf)),
                  "a \"q\" \\ b,{x,y}");
    }
    /* Columns of these types from SQL: empty range, empty array, varchar[];
     * a two-dimensional array cannot be a list: value-conversion-failed. */
    r = QUERY(f, PG4, &c,
              "SELECT 'empty'::int4range, '{}'::int4[], ARRAY['v']::varchar[],"
              " '(,)'::numrange", NULL, 0);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        CHECK_INT(cell(&r, 0, 0)->of.variant.disc, V4_RANGE_INT32);
        CHECK_INT(cell(&r, 0, 1)->of.variant.disc, V4_ARRAY_INT32);
        CHECK_INT(cell(&r, 0, 3)->of.variant.disc, V4_RANGE_DECIMAL);
    }
    if (is_ok(&r) && cell(&r, 0, 0)->of.variant.disc == V4_RANGE_INT32 &&
        cell(&r, 0, 1)->of.variant.disc == V4_ARRAY_INT32 &&
        cell(&r, 0, 3)->of.variant.disc == V4_RANGE_DECIMAL) {
        CHECK_STR(range_text(cell(&r, 0, 0)->of.variant.payload, buf, sizeof(buf)), "(-,-)");
        CHECK(cell(&r, 0, 1)->of.variant.payload->of.list.n == 0);
        CHECK_INT(col_type(&r, 2), V4_ARRAY_STR);
        CHECK_STR(range_text(cell(&r, 0, 3)->of.variant.payload, buf, sizeof(buf)), "(-,-)");
    }
    r = QUERY(f, PG4, &c, "SELECT ARRAY[[1,2],[3,4]]::int4[]", NULL, 0);
    CHECK_INT(err_case(&r), VALUE_CONVERSION_FAILED);
    free(addr);
    fixture_free(f);
}

static void test_v4(void)
{
    fixture *f = pg_fixture();
    char *addr = address("");
    char buf[512];
    component_val c = open_ok(f, PG4, addr);
    component_val u = V_STR("fedcba98-fedc-fedc-fedc-fedcba987654"),
                  d = V_STR("-123456789.123456789");
    static const char json[] = "{ \"s\": \"wo rld\", \"n\": 234, \"b\": false, \"x\": null }";
    component_val j = V_BYTES((const uint8_t *)json, strlen(json));
    component_val iv[3] = {V_S64(4 * 3600000000LL + 7), {.kind = COMPONENT_VAL_S32, .of.s = -3},
                           {.kind = COMPONENT_VAL_S32, .of.s = 14}};
    component_val ir = {.kind = COMPONENT_VAL_RECORD, .of.record = {iv, 3}};
    component_val p[4] = {pv(V4_UUID, &u), pv(V4_DECIMAL, &d), pv(V4_JSONB, &j),
                          pv(V4_INTERVAL, &ir)};
    component_val r = QUERY(f, PG4, &c,
                            "SELECT $1::uuid, $2::numeric, $3::jsonb, $4::interval,"
                            " 0.5::numeric, 100::numeric(10,2), '1.2.3.4'::inet, $2::text", p, 4);
    CHECK(is_ok(&r));
    if (is_ok(&r)) {
        CHECK_INT(col_type(&r, 0), V4_UUID);
        CHECK_STR(str_of(cell(&r, 0, 0)->of.variant.payload, buf, sizeof(buf)),
                  "fedcba98-fedc-fedc-fedc-fedcba987654");
        CHECK_INT(col_type(&r, 1), V4_DECIMAL);
        CHECK_STR(str_of(cell(&r, 0, 1)->of.variant.payload, buf, sizeof(buf)),
                  "-123456789.123456789");
        CHECK_INT(col_type(&r, 2), V4_JSONB);
        const component_val *l = cell(&r, 0, 2)->of.variant.payload;
        snprintf(buf, sizeof(buf), "%.*s", (int)l->of.list.n, (const char *)l->of.list.raw);
        CHECK_STR(buf, "{\"b\":false,\"n\":234,\"s\":\"wo rld\",\"x\":null}");
        CHECK_INT(col_type(&r, 3), V4_INTERVAL);
        const component_val *x = cell(&r, 0, 3)->of.variant.payload->of.record.fields;
        CHECK(x[0].of.s == 4 * 3600000000LL + 7 && x[1].of.s == -3 && x[2].of.s == 14);
        CHECK_STR(str_of(cell(&r, 0, 4)->of.variant.payload, buf, sizeof(buf)), "0.5");
        CHECK_STR(str_of(cell(&r, 0, 5)->of.variant.payload, buf, sizeof(buf)), "100.00");
        CHECK_INT(col_type(&r, 6), V4_OTHER);
        const component_val *t = &ok_of(&r)->of.record.fields[0].of.list.items[6]
                                      .of.record.fields[1];
        CHECK(t->of.variant.payload != NULL);
        if (t->of.variant.payload)
            CHECK_STR(str_of(t->of.variant.payload, buf, sizeof(buf)), "inet");
        CHECK_INT(cell(&r, 0, 6)->of.variant.disc, V4_UNSUPPORTED);
        CHECK(cell(&r, 0, 6)->of.variant.payload->of.list.n == 8); /* inet's binary form */
        CHECK_INT(cell(&r, 0, 7)->of.variant.disc, STR);
    }
    component_val np[1] = {pv(V4_NULL, NULL)};
    r = QUERY(f, PG4, &c, "SELECT $1::int4", np, 1);
    CHECK(is_ok(&r) && cell(&r, 0, 0)->of.variant.disc == V4_NULL);
    /* The server's error, structured. */
    CHECK(is_ok((r = EXEC(f, PG4, &c, "CREATE TEMPORARY TABLE u (k int PRIMARY KEY)", NULL, 0),
                 &r)));
    CHECK(is_ok((r = EXEC(f, PG4, &c, "INSERT INTO u VALUES (1)", NULL, 0), &r)));
    r = EXEC(f, PG4, &c, "INSERT INTO u VALUES (1)", NULL, 0);
    CHECK_INT(err_case(&r), QUERY_FAILED);
    if (err_case(&r) == QUERY_FAILED) {
        const component_val *qe = r.of.variant.payload->of.variant.payload;
        CHECK_INT(qe->of.variant.disc, 1); /* db-error */
        const component_val *e = qe->of.variant.payload->of.record.fields;
        CHECK_STR(str_of(&e[0], buf, sizeof(buf)),
                  "db error: ERROR: duplicate key value violates unique constraint \"u_pkey\"");
        CHECK_STR(str_of(&e[1], buf, sizeof(buf)), "ERROR");
        CHECK_STR(str_of(&e[2], buf, sizeof(buf)), "23505");
        CHECK_STR(str_of(&e[3], buf, sizeof(buf)),
                  "duplicate key value violates unique constraint \"u_pkey\"");
        CHECK(e[4].of.variant.disc == 1 &&
              strcmp(str_of(e[4].of.variant.payload, buf, sizeof(buf)),
                     "Key (k)=(1) already exists.") == 0);
        bool constraint = false;
        for (size_t i = 0; i < e[5].of.list.n; i++) {
            const component_val *kv = e[5].of.list.items[i].of.record.fields;
            char k[64], v[64];
            if (strcmp(str_of(&kv[0], k, sizeof(k)), "constraint") == 0)
                constraint = strcmp(str_of(&kv[1], v, sizeof(v)), "u_pkey") == 0;
        }
        CHECK(constraint);
    }
    free(addr);
    fixture_free(f);
}

int main(void)
{
    pg_server_start(&server);
    RUN(test_conformance_sequence);
    RUN(test_more_types);
    RUN(test_v2);
    RUN(test_v1);
    RUN(test_deadline_cancels_a_stuck_query);
    RUN(test_v4);
    RUN(test_v4_ranges_and_arrays);
    RUN(test_errors);
    RUN(test_refusals);
    RUN(test_connection_failures);
    RUN(test_closed_with_instance);
    pg_server_stop(&server);
    return TEST_SUMMARY();
}
