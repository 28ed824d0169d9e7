/*
 * test_mysql.c - MySQL through fermyon:spin/mysql@2.0.0 and Spin 1's
 * unversioned fermyon:spin/mysql against a real MariaDB server
 * (tests/fixture/mariadb_fixture.py runs this program with MYSQL_PORT
 * set): Spin's outbound-mysql test sequence (numeric and character
 * columns and the data types they map to), every parameter type in and
 * back, NULLs, a column Spin's mapping has no type for, server errors as
 * query-failed, the refusals (hosts allowed_outbound_hosts does not
 * allow, with Spin's message and default port; malformed addresses;
 * unknown URL parameters; a wrong password), a dead port and a silent
 * server failing in bounded time, a deadline that ends a stuck query
 * (and has the server stop it),
 * connections closed with the instance, and spinapi_mysql_oneshot.
 */
#include "mysql_client.h"
#include "spinapi_test_util.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#define MYSQL2 "fermyon:spin/mysql@2.0.0"
#define MYSQL1 "fermyon:spin/mysql"

enum { CONNECTION_FAILED, BAD_PARAMETER, QUERY_FAILED, VALUE_CONVERSION_FAILED, OTHER };
enum { BOOLEAN, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64, FLOATING32,
       FLOATING64, STR, BINARY, DB_NULL, UNSUPPORTED };
enum { T_OTHER = 13 };

static int server_port;
static char last_scheme[16], last_host[64];
static unsigned last_port;

/* allowed_outbound_hosts = ["mysql://127.0.0.1:*"]; remembers what it saw. */
static bool allow_loopback(void *self, const char *scheme, const char *host, uint16_t port)
{
    (void)self;
    snprintf(last_scheme, sizeof(last_scheme), "%s", scheme);
    snprintf(last_host, sizeof(last_host), "%s", host);
    last_port = port;
    return strcmp(scheme, "mysql") == 0 && strcmp(host, "127.0.0.1") == 0;
}

static fixture *my_fixture(void)
{
    spinapi_component_config cfg = {.id = "my", .outbound_allowed = allow_loopback};
    return fixture_new(&cfg);
}

static char *address(void)
{
    return util_xasprintf("mysql://spin:spin-pass@127.0.0.1:%d/spin", server_port);
}

static component_val open_result(fixture *f, const char *addr)
{
    component_val a[1] = {V_STR(addr)}, r = {0};
    CHECK_INT(call(f, MYSQL2, "[static]connection.open", a, 1, &r), 0);
    return r;
}

static component_val open_ok(fixture *f, const char *addr)
{
    char buf[512];
    component_val r = open_result(f, addr);
    if (!is_ok(&r))
        fprintf(stderr, "open %s: %d %s\n", addr, err_case(&r), err_text(&r, buf, sizeof(buf)));
    CHECK(is_ok(&r));
    return is_ok(&r) ? *ok_of(&r) : (component_val){0};
}

static component_val pv(uint32_t disc, component_val *payload)
{
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {disc, payload}};
}

static component_val run(fixture *f, const char *method, const component_val *conn,
                         const char *sql, component_val *params, size_t n)
{
    component_val a[3] = {V_BORROW(*conn), V_STR(sql),
                          {.kind = COMPONENT_VAL_LIST, .of.list = {.items = params, .n = n}}};
    component_val r = {0};
    call(f, MYSQL2, method, a, 3, &r);
    return r;
}

#define EXEC(f, c, sql, p, n) run(f, "[method]connection.execute", c, sql, p, n)
#define QUERY(f, c, sql, p, n) run(f, "[method]connection.query", c, sql, p, n)

static void check_ok(const component_val *r, const char *what)
{
    char buf[512];
    if (!is_ok(r))
        fprintf(stderr, "%s: %d %s\n", what, err_case(r), err_text(r, buf, sizeof(buf)));
    CHECK(is_ok(r));
}

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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Spin's outbound-mysql test component: the columns and what they map to. */
static void test_spin_sequence(void)
{
    fixture *f = my_fixture();
    char *addr = address(), buf[256];
    component_val c = open_ok(f, addr);
    component_val r = EXEC(f, &c,
                           "CREATE TEMPORARY TABLE test_numeric_types (rtiny TINYINT NOT NULL,"
                           " rsmall SMALLINT NOT NULL, rmedium MEDIUMINT NOT NULL,"
                           " rint INT NOT NULL, rbig BIGINT NOT NULL, rfloat FLOAT NOT NULL,"
                           " rdouble DOUBLE NOT NULL, rutiny TINYINT UNSIGNED NOT NULL,"
                           " rusmall SMALLINT UNSIGNED NOT NULL,"
                           " rumedium MEDIUMINT UNSIGNED NOT NULL,"
                           " ruint INT UNSIGNED NOT NULL, rubig BIGINT UNSIGNED NOT NULL,"
                           " rtinyint1 TINYINT(1) NOT NULL, rbool BOOLEAN NOT NULL)",
                           NULL, 0);
    check_ok(&r, "create numeric");
    r = EXEC(f, &c,
             "INSERT INTO test_numeric_types VALUES (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1)",
             NULL, 0);
    check_ok(&r, "insert numeric");
    r = QUERY(f, &c, "SELECT * FROM test_numeric_types", NULL, 0);
    check_ok(&r, "select numeric");
    if (is_ok(&r)) {
        static const uint32_t types[] = {INT8,   INT16,  INT32,  INT32,  INT64,
                                         FLOATING32, FLOATING64, UINT8, UINT16, UINT32,
                                         UINT32, UINT64, INT8,   INT8};
        CHECK_INT(rows_of(&r)->of.list.n, 1);
        for (size_t i = 0; i < 14; i++) {
            CHECK_INT(col_type(&r, i), types[i]);
            CHECK_INT(cell(&r, 0, i)->of.variant.disc, types[i]);
        }
        CHECK(cell(&r, 0, 13)->of.variant.payload->of.s == 1);
        CHECK_STR(col_name(&r, 12, buf, sizeof(buf)), "rtinyint1");
    }
    r = EXEC(f, &c,
             "CREATE TEMPORARY TABLE test_character_types (rvarchar varchar(40) NOT NULL,"
             " rtext text NOT NULL, rchar char(10) NOT NULL, rbinary binary(10) NOT NULL,"
             " rvarbinary varbinary(10) NOT NULL, rblob BLOB NOT NULL)",
             NULL, 0);
    check_ok(&r, "create character");
    r = EXEC(f, &c,
             "INSERT INTO test_character_types VALUES ('rvarchar', 'rtext', 'rchar', 'a', 'a',"
             " 'a')",
             NULL, 0);
    check_ok(&r, "insert character");
    r = QUERY(f, &c, "SELECT * FROM test_character_types", NULL, 0);
    check_ok(&r, "select character");
    if (is_ok(&r)) {
        static const uint32_t types[] = {STR, STR, STR, BINARY, BINARY, BINARY};
        for (size_t i = 0; i < 6; i++)
            CHECK_INT(col_type(&r, i), types[i]);
        CHECK_STR(str_of(cell(&r, 0, 0)->of.variant.payload, buf, sizeof(buf)), "rvarchar");
        CHECK_STR(str_of(cell(&r, 0, 2)->of.variant.payload, buf, sizeof(buf)), "rchar");
        const component_val *bin = cell(&r, 0, 3)->of.variant.payload;
        CHECK_INT(bin->of.list.n, 10); /* binary(10) pads with zero bytes */
        CHECK(memcmp(bin->of.list.raw, "a\0\0\0\0\0\0\0\0\0", 10) == 0);
    }
    free(addr);
    fixture_free(f);
}

/* Every parameter type goes in bound (never pasted) and comes back. */
static void test_parameters_round_trip(void)
{
    fixture *f = my_fixture();
    char *addr = address(), buf[256];
    component_val c = open_ok(f, addr);
    component_val r = EXEC(f, &c,
                           "CREATE TEMPORARY TABLE t (b BOOLEAN, i8 TINYINT, i16 SMALLINT,"
                           " i32 INT, i64 BIGINT, u8 TINYINT UNSIGNED, u16 SMALLINT UNSIGNED,"
                           " u32 INT UNSIGNED, u64 BIGINT UNSIGNED, f32 FLOAT, f64 DOUBLE,"
                           " s VARCHAR(100), bin VARBINARY(100), n INT)",
                           NULL, 0);
    check_ok(&r, "create");
    component_val vb = {.kind = COMPONENT_VAL_BOOL, .of.b = true},
                  v8 = {.kind = COMPONENT_VAL_S8, .of.s = -128},
                  v16 = {.kind = COMPONENT_VAL_S16, .of.s = -32768},
                  v32 = {.kind = COMPONENT_VAL_S32, .of.s = INT32_MIN},
                  v64 = {.kind = COMPONENT_VAL_S64, .of.s = INT64_MIN},
                  u8 = {.kind = COMPONENT_VAL_U8, .of.u = 255},
                  u16 = {.kind = COMPONENT_VAL_U16, .of.u = 65535},
                  u32 = {.kind = COMPONENT_VAL_U32, .of.u = UINT32_MAX},
                  u64 = {.kind = COMPONENT_VAL_U64, .of.u = UINT64_MAX},
                  f32 = {.kind = COMPONENT_VAL_F32, .of.f32 = 1.5f},
                  f64 = {.kind = COMPONENT_VAL_F64, .of.f64 = -2.25e100},
                  s = V_STR("it's \"h\xc3\xa9llo\"; DROP TABLE t; --"),
                  bin = V_BYTES((const uint8_t *)"\0\xff\x01'", 4);
    component_val p[14] = {pv(BOOLEAN, &vb), pv(INT8, &v8),   pv(INT16, &v16),
                           pv(INT32, &v32),  pv(INT64, &v64), pv(UINT8, &u8),
                           pv(UINT16, &u16), pv(UINT32, &u32), pv(UINT64, &u64),
                           pv(FLOATING32, &f32), pv(FLOATING64, &f64), pv(STR, &s),
                           pv(BINARY, &bin), pv(DB_NULL, NULL)};
    r = EXEC(f, &c, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", p, 14);
    check_ok(&r, "insert");
    CHECK(ok_of(&r) == NULL); /* result<_, error>: ok carries nothing */
    /* A parameter in a WHERE clause matches the stored text exactly. */
    r = QUERY(f, &c, "SELECT * FROM t WHERE s = ?", &p[11], 1);
    check_ok(&r, "select");
    if (is_ok(&r)) {
        CHECK_INT(rows_of(&r)->of.list.n, 1);
        static const uint32_t types[] = {INT8,  INT8,   INT16,      INT32,      INT64,
                                         UINT8, UINT16, UINT32,     UINT64,     FLOATING32,
                                         FLOATING64, STR, BINARY, INT32};
        for (size_t i = 0; i < 14; i++)
            CHECK_INT(col_type(&r, i), types[i]);
        CHECK(cell(&r, 0, 0)->of.variant.payload->of.s == 1);
        CHECK(cell(&r, 0, 1)->of.variant.payload->of.s == -128);
        CHECK(cell(&r, 0, 2)->of.variant.payload->of.s == -32768);
        CHECK(cell(&r, 0, 3)->of.variant.payload->of.s == INT32_MIN);
        CHECK(cell(&r, 0, 4)->of.variant.payload->of.s == INT64_MIN);
        CHECK(cell(&r, 0, 5)->of.variant.payload->of.u == 255);
        CHECK(cell(&r, 0, 6)->of.variant.payload->of.u == 65535);
        CHECK(cell(&r, 0, 7)->of.variant.payload->of.u == UINT32_MAX);
        CHECK(cell(&r, 0, 8)->of.variant.payload->of.u == UINT64_MAX);
        CHECK(cell(&r, 0, 9)->of.variant.payload->of.f32 == 1.5f);
        CHECK(cell(&r, 0, 10)->of.variant.payload->of.f64 == -2.25e100);
        CHECK_STR(str_of(cell(&r, 0, 11)->of.variant.payload, buf, sizeof(buf)),
                  "it's \"h\xc3\xa9llo\"; DROP TABLE t; --");
        const component_val *b = cell(&r, 0, 12)->of.variant.payload;
        CHECK_INT(b->of.list.n, 4);
        CHECK(memcmp(b->of.list.raw, "\0\xff\x01'", 4) == 0);
        CHECK_INT(cell(&r, 0, 13)->of.variant.disc, DB_NULL);
        CHECK(cell(&r, 0, 13)->of.variant.payload == NULL);
    }
    /* Empty strings and empty bytes are values, not NULL. */
    component_val es = V_STR(""), eb = V_BYTES((const uint8_t *)"", 0);
    component_val ep[2] = {pv(STR, &es), pv(BINARY, &eb)};
    r = QUERY(f, &c, "SELECT ?, ?", ep, 2);
    check_ok(&r, "select empty");
    if (is_ok(&r)) {
        CHECK_INT(cell(&r, 0, 0)->of.variant.disc, STR);
        CHECK_INT(cell(&r, 0, 0)->of.variant.payload->of.str.len, 0);
        CHECK_INT(cell(&r, 0, 1)->of.variant.disc, BINARY);
    }
    /* A query without rows is an empty row set with its columns. */
    r = QUERY(f, &c, "SELECT s FROM t WHERE 1 = 0", NULL, 0);
    check_ok(&r, "empty");
    if (is_ok(&r)) {
        CHECK_INT(rows_of(&r)->of.list.n, 0);
        CHECK_INT(ok_of(&r)->of.record.fields[0].of.list.n, 1);
    }
    free(addr);
    fixture_free(f);
}

/* Columns Spin's mapping has no type for: `other`, NULLs pass, values
 * fail the query as Spin's do; server errors are query-failed. */
static void test_other_columns_and_errors(void)
{
    fixture *f = my_fixture();
    char *addr = address(), buf[512];
    component_val c = open_ok(f, addr);
    component_val r = QUERY(f, &c, "SELECT CAST(NULL AS DECIMAL(10,2)) AS d", NULL, 0);
    check_ok(&r, "null decimal");
    if (is_ok(&r)) {
        CHECK_INT(col_type(&r, 0), T_OTHER);
        CHECK_INT(cell(&r, 0, 0)->of.variant.disc, DB_NULL);
    }
    r = QUERY(f, &c, "SELECT CAST(1.5 AS DECIMAL(10,2)) AS d", NULL, 0);
    CHECK_INT(err_case(&r), VALUE_CONVERSION_FAILED);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "column d") != NULL);

    r = QUERY(f, &c, "SELECT * FROM no_such_table", NULL, 0);
    CHECK_INT(err_case(&r), QUERY_FAILED);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "code: 1146") != NULL);
    CHECK(strstr(buf, "state: \"42S02\"") != NULL);
    r = EXEC(f, &c, "THIS IS NOT SQL", NULL, 0);
    CHECK_INT(err_case(&r), QUERY_FAILED);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "code: 1064") != NULL);
    /* Parameters and placeholders must agree. */
    component_val one = {.kind = COMPONENT_VAL_S32, .of.s = 1};
    component_val p[1] = {pv(INT32, &one)};
    r = QUERY(f, &c, "SELECT ?, ?", p, 1);
    CHECK_INT(err_case(&r), QUERY_FAILED);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "required: 2, supplied: 1") != NULL);
    /* The connection still works after errors. */
    r = QUERY(f, &c, "SELECT 41 + ?", p, 1);
    check_ok(&r, "after errors");
    if (is_ok(&r))
        CHECK(cell(&r, 0, 0)->of.variant.payload->of.s == 42);
    free(addr);
    fixture_free(f);
}

static void expect_refused(fixture *f, const char *addr, const char *text)
{
    char buf[512];
    component_val r = open_result(f, addr);
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    if (strstr(err_text(&r, buf, sizeof(buf)), text) == NULL) {
        fprintf(stderr, "open %s: '%s' lacks '%s'\n", addr, buf, text);
        test_checks_failed++;
    }
}

static void test_refusals(void)
{
    fixture *f = my_fixture();
    char buf[512];
    /* Hosts allowed_outbound_hosts does not allow: Spin's message, the
     * scheme's default port. */
    expect_refused(f, "mysql://spin:pw@10.1.2.3/spin",
                   "address mysql://spin:pw@10.1.2.3/spin is not permitted");
    CHECK_STR(last_scheme, "mysql");
    CHECK_STR(last_host, "10.1.2.3");
    CHECK_INT(last_port, 3306);
    /* Spin's test component: no URL at all, and host:port without a scheme. */
    expect_refused(f, "hello", "not permitted");
    expect_refused(f, "localhost:10000", "not permitted");
    CHECK_STR(last_host, "localhost");
    CHECK_INT(last_port, 10000);
    /* Allowed hosts, unusable addresses. */
    char *u = util_xasprintf("mysql://spin:spin-pass@127.0.0.1:%d/spin?bogus=1", server_port);
    expect_refused(f, u, "Unknown connection URL parameter `bogus'");
    free(u);
    u = util_xasprintf("mysql://spin:spin-pass@127.0.0.1:%d/spin?socket=/run/mysqld.sock",
                       server_port);
    expect_refused(f, u, "Unix sockets");
    free(u);
    u = util_xasprintf("mysql://spin:wrong@127.0.0.1:%d/spin", server_port);
    expect_refused(f, u, "ERROR 1045 (28000)");
    free(u);
    u = util_xasprintf("mysql://spin:spin%%2Dpass@127.0.0.1:%d/spin", server_port);
    component_val r = open_result(f, u); /* the password is percent-decoded */
    CHECK(is_ok(&r));
    if (!is_ok(&r))
        fprintf(stderr, "%s: %s\n", u, err_text(&r, buf, sizeof(buf)));
    free(u);
    u = util_xasprintf("mysql://spin:spin-pass@127.0.0.1:%d/spin?ssl-mode=DISABLED&pool_max=10",
                       server_port);
    r = open_result(f, u);
    CHECK(is_ok(&r));
    free(u);
    fixture_free(f);
}

/* A loopback port that accepts connections but never answers. */
static int silent_server(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 8) < 0 ||
        getsockname(s, (struct sockaddr *)&sa, &len) < 0)
        abort();
    *port = ntohs(sa.sin_port);
    return s;
}

/* How many sessions of the server run a SELECT BENCHMARK(...) now. */
static long running_benchmarks(void)
{
    fixture *f = my_fixture();
    char *addr = address();
    component_val c = open_ok(f, addr);
    component_val r = QUERY(f, &c,
                            "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                            " WHERE INFO LIKE 'SELECT BENCHMARK(%'",
                            NULL, 0);
    long n = is_ok(&r) ? (long)cell(&r, 0, 0)->of.variant.payload->of.s : -1;
    free(addr);
    fixture_free(f);
    return n;
}

static void test_dead_and_stuck_servers_end(void)
{
    char buf[512];
    fixture *f = my_fixture();
    /* Nothing listens: connection-failed at once. */
    int port, s = silent_server(&port);
    close(s);
    char *u = util_xasprintf("mysql://spin:x@127.0.0.1:%d/spin", port);
    double start = now_s();
    expect_refused(f, u, "Input/output error");
    CHECK(now_s() - start < 10.0);
    free(u);

    /* A server that never greets: the request's deadline ends the open. */
    s = silent_server(&port);
    u = util_xasprintf("mysql://spin:x@127.0.0.1:%d/spin", port);
    spinapi_ctx_set_deadline(f->ctx, util_monotonic_ns() + 1000000000);
    start = now_s();
    expect_refused(f, u, "deadline");
    CHECK(now_s() - start < 8.0);
    close(s);
    free(u);

    /* A statement that outlives the deadline (minutes of MD5s) ends with
     * it; the connection is broken afterwards, not hung. */
    spinapi_ctx_set_deadline(f->ctx, 0);
    char *addr = address();
    component_val c = open_ok(f, addr);
    spinapi_ctx_set_deadline(f->ctx, util_monotonic_ns() + 1000000000);
    start = now_s();
    component_val r = QUERY(f, &c, "SELECT BENCHMARK(2000000000, MD5('spin'))", NULL, 0);
    CHECK_INT(err_case(&r), QUERY_FAILED);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "deadline") != NULL);
    CHECK(now_s() - start < 20.0);
    spinapi_ctx_set_deadline(f->ctx, 0);
    r = QUERY(f, &c, "SELECT 1", NULL, 0);
    CHECK_INT(err_case(&r), QUERY_FAILED);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "broken") != NULL);
    /* The server stopped the statement too (a closed connection alone
     * would not stop this one): it does not run on for nobody. */
    long running = -1;
    for (int i = 0; i < 50 && running != 0; i++) {
        running = running_benchmarks();
        if (running != 0)
            nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    CHECK_INT(running, 0);
    free(addr);
    fixture_free(f);
}

/* The server's count of the spin user's connections. */
static long spin_connections(void)
{
    fixture *f = my_fixture();
    char *addr = address();
    component_val c = open_ok(f, addr);
    component_val r = QUERY(f, &c,
                            "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                            " WHERE USER = 'spin'",
                            NULL, 0);
    long n = is_ok(&r) ? (long)cell(&r, 0, 0)->of.variant.payload->of.s - 1 : -1;
    free(addr);
    fixture_free(f);
    return n;
}

/* The count once the server has finished closing what earlier tests
 * closed (it drops a closed session asynchronously, so a count taken
 * right after one may still include it). */
static long settled_spin_connections(void)
{
    long n = spin_connections();
    for (int i = 0; i < 50 && n != 0; i++) {
        nanosleep(&(struct timespec){0, 100000000}, NULL);
        n = spin_connections();
    }
    return n;
}

static void test_closed_with_context(void)
{
    long before = settled_spin_connections();
    fixture *f = my_fixture();
    char *addr = address();
    for (int i = 0; i < 3; i++)
        open_ok(f, addr);
    CHECK_INT(spin_connections(), before + 3);
    fixture_free(f);
    long after = -1;
    for (int i = 0; i < 50 && after != before; i++) {
        after = spin_connections();
        if (after != before)
            nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    CHECK_INT(after, before);
    free(addr);
}

/* Spin 1's interface: a connection per call; mysql-error's cases are one
 * further on than rdbms-types' error. */
static void test_spin1_interface(void)
{
    fixture *f = my_fixture();
    char *addr = address(), buf[256];
    component_val r = {0};
    component_val a[3] = {V_STR(addr), V_STR("CREATE TABLE IF NOT EXISTS v1 (k INT, v TEXT)"),
                          {.kind = COMPONENT_VAL_LIST}};
    CHECK_INT(call(f, MYSQL1, "execute", a, 3, &r), 0);
    check_ok(&r, "v1 create");
    component_val k = {.kind = COMPONENT_VAL_S32, .of.s = 7}, v = V_STR("seven");
    component_val p[2] = {pv(INT32, &k), pv(STR, &v)};
    a[1] = V_STR("INSERT INTO v1 VALUES (?, ?)");
    a[2] = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = p, .n = 2}};
    CHECK_INT(call(f, MYSQL1, "execute", a, 3, &r), 0);
    check_ok(&r, "v1 insert");
    a[1] = V_STR("SELECT v FROM v1 WHERE k = ?");
    a[2].of.list.n = 1;
    CHECK_INT(call(f, MYSQL1, "query", a, 3, &r), 0);
    check_ok(&r, "v1 query");
    if (is_ok(&r)) {
        CHECK_INT(rows_of(&r)->of.list.n, 1);
        CHECK_STR(str_of(cell(&r, 0, 0)->of.variant.payload, buf, sizeof(buf)), "seven");
    }
    a[0] = V_STR("mysql://spin:spin-pass@192.0.2.1/spin");
    CHECK_INT(call(f, MYSQL1, "query", a, 3, &r), 0);
    CHECK_INT(err_case(&r), 1 + CONNECTION_FAILED);
    a[0] = V_STR(addr);
    a[1] = V_STR("SELECT * FROM nothing_here");
    a[2].of.list.n = 0;
    CHECK_INT(call(f, MYSQL1, "query", a, 3, &r), 0);
    CHECK_INT(err_case(&r), 1 + QUERY_FAILED);
    /* Nothing stays open. */
    CHECK(f->ctx->mysql_open == NULL);
    free(addr);
    fixture_free(f);
}

/* The door's one-shot call for Spin 1 core modules. */
static void test_oneshot(void)
{
    spinapi_component_config cfg = {.id = "one", .outbound_allowed = allow_loopback};
    util_error *err = NULL;
    spinapi_component *c = spinapi_component_new(&cfg, &err);
    char *addr = address();
    spinapi_rdbms_value p[2] = {{.kind = SPINAPI_RDBMS_UINT16, .of.u = 65535},
                                {.kind = SPINAPI_RDBMS_BINARY,
                                 .of.bytes = {(const uint8_t *)"ab", 2}}};
    const char *sql = "SELECT ? AS n, ? AS b";
    spinapi_mysql_rows rows;
    int ec = -1;
    CHECK_INT(spinapi_mysql_oneshot(c, 0, addr, strlen(addr), sql, strlen(sql), p, 2, &rows,
                                    &ec, &err),
              0);
    if (err)
        fprintf(stderr, "oneshot: %s\n", err->msg), util_error_free(&err);
    CHECK_INT(rows.ncols, 2);
    CHECK_INT(rows.nrows, 1);
    if (rows.nrows == 1) {
        CHECK_STR(rows.names[0], "n");
        CHECK_INT(rows.values[0].kind, SPINAPI_RDBMS_UINT64);
        CHECK(rows.values[0].of.u == 65535);
        CHECK_INT(rows.values[1].kind, SPINAPI_RDBMS_BINARY);
        CHECK(rows.values[1].of.bytes.len == 2);
    }
    spinapi_mysql_rows_clear(&rows);
    const char *denied = "mysql://spin:x@198.51.100.7:3306/spin";
    CHECK_INT(spinapi_mysql_oneshot(c, 0, denied, strlen(denied), sql, strlen(sql), p, 2, NULL,
                                    &ec, &err),
              -1);
    CHECK_INT(ec, SPINAPI_RDBMS_CONNECTION_FAILED);
    CHECK(err && strstr(err->msg, "is not permitted"));
    util_error_free(&err);
    free(addr);
    spinapi_component_free(c);
}

int main(void)
{
    const char *port = getenv("MYSQL_PORT");
    if (port == NULL || atoi(port) <= 0) {
        fprintf(stderr, "MYSQL_PORT is not set: run me through tests/fixture/mariadb_fixture.py\n");
        return 1;
    }
    server_port = atoi(port);
    RUN(test_spin_sequence);
    RUN(test_parameters_round_trip);
    RUN(test_other_columns_and_errors);
    RUN(test_refusals);
    RUN(test_dead_and_stuck_servers_end);
    RUN(test_closed_with_context);
    RUN(test_spin1_interface);
    RUN(test_oneshot);
    return TEST_SUMMARY();
}
