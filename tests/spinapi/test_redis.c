/*
 * test_redis.c - fermyon:spin/redis@2.0.0 through the linker against a
 * real redis-server (tests/fixture/redis_fixture.py starts it and passes
 * its port in REDIS_PORT): every function of the connection, the values
 * execute returns, the refusals Spin gives (a host the component may not
 * reach and a malformed address are invalid-address), and the failures
 * that must end (nothing listening, a server that never answers, a
 * deadline already passed) as other(<message>) values, not hangs.
 */
#include "redis_client.h"
#include "spinapi_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#define REDIS "fermyon:spin/redis@2.0.0"

enum { INVALID_ADDRESS, TOO_MANY_CONNECTIONS, TYPE_ERROR, OTHER };
enum { R_NIL, R_STATUS, R_INT64, R_BINARY };

static int server_port;

/* allowed_outbound_hosts = ["redis://127.0.0.1:*"], as the Spin layer
 * would answer it; records what it was asked. */
static char asked[128];
static bool allow_loopback(void *self, const char *scheme, const char *host, uint16_t port)
{
    (void)self;
    snprintf(asked, sizeof(asked), "%s://%s:%u", scheme, host, port);
    return strcmp(scheme, "redis") == 0 && strcmp(host, "127.0.0.1") == 0;
}

static fixture *redis_fixture(void)
{
    spinapi_component_config cfg = {.id = "r", .outbound_allowed = allow_loopback};
    return fixture_new(&cfg);
}

static char *url(const char *suffix)
{
    return util_xasprintf("redis://127.0.0.1:%d%s", server_port, suffix);
}

/* open(address): the result (ok or err). */
static component_val open_addr(fixture *f, const char *address)
{
    component_val a[1] = {V_STR(address)}, r = {0};
    CHECK_INT(call(f, REDIS, "[static]connection.open", a, 1, &r), 0);
    return r;
}

static component_val open_ok(fixture *f, const char *suffix)
{
    char *u = url(suffix);
    component_val r = open_addr(f, u);
    free(u);
    CHECK(is_ok(&r));
    return is_ok(&r) ? *ok_of(&r) : (component_val){0};
}

static component_val str_list(component_val *items, size_t n)
{
    return (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = items, .n = n}};
}

static component_val m(fixture *f, const char *name, component_val *args, size_t n)
{
    component_val r = {0};
    call(f, REDIS, name, args, n, &r);
    return r;
}

static bool bytes_eq(const component_val *v, const char *s)
{
    return v->kind == COMPONENT_VAL_LIST && v->of.list.n == strlen(s) &&
           memcmp(v->of.list.raw, s, v->of.list.n) == 0;
}

static void test_get_set_incr_del(void)
{
    fixture *f = redis_fixture();
    component_val c = open_ok(f, "");
    char want[64];
    snprintf(want, sizeof(want), "redis://127.0.0.1:%d", server_port);
    CHECK_STR(asked, want);

    component_val set[3] = {V_BORROW(c), V_STR("spin-example"), V_BYTES((const uint8_t *)"Eureka!", 7)};
    CHECK(is_ok((component_val[]){m(f, "[method]connection.set", set, 3)}));
    component_val get[2] = {V_BORROW(c), V_STR("spin-example")};
    component_val r = m(f, "[method]connection.get", get, 2);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 1 &&
          bytes_eq(ok_of(&r)->of.variant.payload, "Eureka!"));
    get[1] = V_STR("missing");
    r = m(f, "[method]connection.get", get, 2);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 0);

    component_val incr[2] = {V_BORROW(c), V_STR("int-key")};
    r = m(f, "[method]connection.incr", incr, 2);
    CHECK(is_ok(&r) && ok_of(&r)->of.s == 1);
    r = m(f, "[method]connection.incr", incr, 2);
    CHECK(is_ok(&r) && ok_of(&r)->of.s == 2);
    /* Not a number: the server's error as other(...). */
    incr[1] = V_STR("spin-example");
    r = m(f, "[method]connection.incr", incr, 2);
    char buf[256];
    CHECK_INT(err_case(&r), OTHER);
    CHECK_STR(err_text(&r, buf, sizeof(buf)), "ERR value is not an integer or out of range");

    component_val keys[3] = {V_STR("spin-example"), V_STR("int-key"), V_STR("missing")};
    component_val del[2] = {V_BORROW(c), str_list(keys, 3)};
    r = m(f, "[method]connection.del", del, 2);
    CHECK(is_ok(&r) && ok_of(&r)->kind == COMPONENT_VAL_U32 && ok_of(&r)->of.u == 2);
    get[1] = V_STR("spin-example");
    r = m(f, "[method]connection.get", get, 2);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 0);
    fixture_free(f);
}

static void test_sets_and_publish(void)
{
    fixture *f = redis_fixture();
    component_val c = open_ok(f, "");
    component_val vals[3] = {V_STR("a"), V_STR("b"), V_STR("a")};
    component_val sadd[3] = {V_BORROW(c), V_STR("set"), str_list(vals, 3)};
    component_val r = m(f, "[method]connection.sadd", sadd, 3);
    CHECK(is_ok(&r) && ok_of(&r)->of.u == 2);
    component_val sm[2] = {V_BORROW(c), V_STR("set")};
    r = m(f, "[method]connection.smembers", sm, 2);
    CHECK(is_ok(&r) && ok_of(&r)->of.list.n == 2);
    if (is_ok(&r) && ok_of(&r)->of.list.n == 2) {
        char x[8], y[8];
        str_of(&ok_of(&r)->of.list.items[0], x, sizeof(x));
        str_of(&ok_of(&r)->of.list.items[1], y, sizeof(y));
        CHECK((strcmp(x, "a") == 0 && strcmp(y, "b") == 0) ||
              (strcmp(x, "b") == 0 && strcmp(y, "a") == 0));
    }
    component_val rem[2] = {V_STR("a"), V_STR("zzz")};
    component_val srem[3] = {V_BORROW(c), V_STR("set"), str_list(rem, 2)};
    r = m(f, "[method]connection.srem", srem, 3);
    CHECK(is_ok(&r) && ok_of(&r)->of.u == 1);
    r = m(f, "[method]connection.smembers", sm, 2);
    CHECK(is_ok(&r) && ok_of(&r)->of.list.n == 1);
    /* A set is no string: GET's WRONGTYPE comes back as other(...). */
    component_val get[2] = {V_BORROW(c), V_STR("set")};
    r = m(f, "[method]connection.get", get, 2);
    CHECK_INT(err_case(&r), OTHER);
    char buf[256];
    CHECK(strncmp(err_text(&r, buf, sizeof(buf)), "WRONGTYPE", 9) == 0);

    component_val pub[3] = {V_BORROW(c), V_STR("channel"), V_BYTES((const uint8_t *)"hi", 2)};
    r = m(f, "[method]connection.publish", pub, 3);
    CHECK(is_ok(&r));
    fixture_free(f);
}

static component_val param(uint32_t disc, component_val *payload)
{
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {disc, payload}};
}

static void test_execute(void)
{
    fixture *f = redis_fixture();
    component_val c = open_ok(f, "");
    component_val key = V_BYTES((const uint8_t *)"n", 1), n = V_S64(-42);
    component_val p[2] = {param(1, &key), param(0, &n)};
    component_val ex[3] = {V_BORROW(c), V_STR("SET"), str_list(p, 2)};
    component_val r = m(f, "[method]connection.execute", ex, 3);
    char buf[64];
    CHECK(is_ok(&r) && ok_of(&r)->of.list.n == 1);
    if (is_ok(&r) && ok_of(&r)->of.list.n == 1) {
        const component_val *v = &ok_of(&r)->of.list.items[0];
        CHECK_INT(v->of.variant.disc, R_STATUS);
        CHECK_STR(str_of(v->of.variant.payload, buf, sizeof(buf)), "OK");
    }
    /* MGET: an array, flattened: binary then nil. */
    component_val missing = V_BYTES((const uint8_t *)"none", 4);
    component_val p2[2] = {param(1, &key), param(1, &missing)};
    ex[1] = V_STR("MGET");
    ex[2] = str_list(p2, 2);
    r = m(f, "[method]connection.execute", ex, 3);
    CHECK(is_ok(&r) && ok_of(&r)->of.list.n == 2);
    if (is_ok(&r) && ok_of(&r)->of.list.n == 2) {
        const component_val *v = ok_of(&r)->of.list.items;
        CHECK_INT(v[0].of.variant.disc, R_BINARY);
        CHECK(bytes_eq(v[0].of.variant.payload, "-42"));
        CHECK_INT(v[1].of.variant.disc, R_NIL);
    }
    component_val one = V_S64(5);
    component_val p3[2] = {param(1, &key), param(0, &one)};
    ex[1] = V_STR("INCRBY");
    ex[2] = str_list(p3, 2);
    r = m(f, "[method]connection.execute", ex, 3);
    CHECK(is_ok(&r) && ok_of(&r)->of.list.n == 1 &&
          ok_of(&r)->of.list.items[0].of.variant.disc == R_INT64 &&
          ok_of(&r)->of.list.items[0].of.variant.payload->of.s == -37);
    ex[1] = V_STR("NOSUCHCOMMAND");
    ex[2] = str_list(NULL, 0);
    r = m(f, "[method]connection.execute", ex, 3);
    CHECK_INT(err_case(&r), OTHER);
    fixture_free(f);
}

/* redis://host:port/N selects database N. */
static void test_database_number(void)
{
    fixture *f = redis_fixture();
    component_val c3 = open_ok(f, "/3"), c0 = open_ok(f, "");
    component_val set[3] = {V_BORROW(c3), V_STR("db-key"), V_BYTES((const uint8_t *)"3", 1)};
    CHECK(is_ok((component_val[]){m(f, "[method]connection.set", set, 3)}));
    component_val get[2] = {V_BORROW(c0), V_STR("db-key")};
    component_val r = m(f, "[method]connection.get", get, 2);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 0);
    get[0] = V_BORROW(c3);
    r = m(f, "[method]connection.get", get, 2);
    CHECK(is_ok(&r) && ok_of(&r)->of.variant.disc == 1);
    fixture_free(f);
}

static void test_refusals(void)
{
    fixture *f = redis_fixture();
    char *other_host = util_xasprintf("redis://localhost:%d", server_port);
    component_val r = open_addr(f, other_host);
    CHECK_INT(err_case(&r), INVALID_ADDRESS);
    char want[64];
    snprintf(want, sizeof(want), "redis://localhost:%d", server_port);
    CHECK_STR(asked, want);
    free(other_host);
    static const char *const bad[] = {"http://127.0.0.1:6379", "127.0.0.1:6379", "redis://",
                                      "redis://127.0.0.1:0", "redis://127.0.0.1:99999",
                                      "redis://127.0.0.1:12x", "redis://127.0.0.1/db"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(bad); i++) {
        r = open_addr(f, bad[i]);
        CHECK_INT(err_case(&r), INVALID_ADDRESS);
    }
    fixture_free(f);

    /* No allowed hosts at all: every address is refused, the server is
     * never asked. */
    spinapi_component_config none = {.id = "none"};
    f = fixture_new(&none);
    char *u = url("");
    r = open_addr(f, u);
    CHECK_INT(err_case(&r), INVALID_ADDRESS);
    free(u);
    fixture_free(f);
}

static void test_parse_address(void)
{
    spinapi_redis_address a;
    util_error *err = NULL;
    const char *s = "redis://us%40er:p%3Ass@[::1]:6380/2";
    CHECK_INT(spinapi_redis_parse_address(s, strlen(s), &a, &err), 0);
    CHECK_STR(a.host, "::1");
    CHECK_INT(a.port, 6380);
    CHECK_STR(a.user, "us@er");
    CHECK_STR(a.password, "p:ss");
    CHECK_INT(a.db, 2);
    spinapi_redis_address_clear(&a);
    s = "redis://:secret@cache.example";
    CHECK_INT(spinapi_redis_parse_address(s, strlen(s), &a, &err), 0);
    CHECK_STR(a.host, "cache.example");
    CHECK_INT(a.port, 6379);
    CHECK(a.user == NULL);
    CHECK_STR(a.password, "secret");
    spinapi_redis_address_clear(&a);
    s = "redis://h:70000";
    CHECK_INT(spinapi_redis_parse_address(s, strlen(s), &a, &err), -1);
    CHECK_STR(err ? err->msg : "", "invalid redis address 'redis://h:70000': port 70000 is out "
                                   "of range");
    util_error_free(&err);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A loopback port that accepts connections (the kernel completes them)
 * but never answers: a hung server. */
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

static void test_dead_servers_end(void)
{
    char buf[256];
    /* Nothing listens: other(...) at once. */
    int dead_port, s = silent_server(&dead_port);
    close(s);
    fixture *f = redis_fixture();
    char *u = util_xasprintf("redis://127.0.0.1:%d", dead_port);
    component_val r = open_addr(f, u);
    free(u);
    CHECK_INT(err_case(&r), OTHER);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "Connection refused") != NULL);

    /* A server that accepts and never answers: the command gives up. */
    int port;
    s = silent_server(&port);
    f->ctx->redis_timeout_ms = 300;
    u = util_xasprintf("redis://127.0.0.1:%d", port);
    r = open_addr(f, u);
    CHECK(is_ok(&r));
    double start = now_s();
    if (is_ok(&r)) {
        component_val get[2] = {V_BORROW(*ok_of(&r)), V_STR("k")};
        r = m(f, "[method]connection.get", get, 2);
        CHECK_INT(err_case(&r), OTHER);
        CHECK(strstr(err_text(&r, buf, sizeof(buf)), "no answer in time") != NULL);
        /* The connection is broken now; it stays an error, not a hang. */
        r = m(f, "[method]connection.get", get, 2);
        CHECK_INT(err_case(&r), OTHER);
    }
    CHECK(now_s() - start < 20.0);
    f->ctx->redis_timeout_ms = 0;

    /* The request's deadline has passed: no connection is even tried. */
    spinapi_ctx_set_deadline(f->ctx, 1);
    r = open_addr(f, u);
    CHECK_INT(err_case(&r), OTHER);
    CHECK(strstr(err_text(&r, buf, sizeof(buf)), "deadline") != NULL);
    free(u);
    fixture_free(f);
    close(s);
}

/* Connections left open are closed with the instance's context: the
 * server's client count comes back down. */
static long connected_clients(fixture *f, component_val *c)
{
    component_val arg = V_BYTES((const uint8_t *)"clients", 7);
    component_val p[1] = {param(1, &arg)};
    component_val ex[3] = {V_BORROW(*c), V_STR("INFO"), str_list(p, 1)};
    component_val r = m(f, "[method]connection.execute", ex, 3);
    if (!is_ok(&r) || ok_of(&r)->of.list.n != 1)
        return -1;
    const component_val *v = ok_of(&r)->of.list.items[0].of.variant.payload;
    char text[1024];
    snprintf(text, sizeof(text), "%.*s", (int)v->of.list.n, (const char *)v->of.list.raw);
    const char *at = strstr(text, "connected_clients:");
    return at ? strtol(at + strlen("connected_clients:"), NULL, 10) : -1;
}

/* The server counts a client once it has accepted it, which may come
 * after our connect returns: wait (boundedly) for the count to settle. */
static long clients_settled(fixture *probe, component_val *pc, long want)
{
    long n = -1;
    for (int i = 0; i < 200; i++) {
        n = connected_clients(probe, pc);
        if (n == want)
            break;
        usleep(20000);
    }
    return n;
}

static void test_closed_with_context(void)
{
    fixture *probe = redis_fixture();
    component_val pc = open_ok(probe, "");
    long before = clients_settled(probe, &pc, 1);
    CHECK(before >= 1);
    fixture *f = redis_fixture();
    for (int i = 0; i < 3; i++)
        open_ok(f, "");
    CHECK_INT(clients_settled(probe, &pc, before + 3), before + 3);
    fixture_free(f);
    CHECK_INT(clients_settled(probe, &pc, before), before);
    fixture_free(probe);
}

int main(void)
{
    const char *port = getenv("REDIS_PORT");
    RUN(test_parse_address);
    if (port == NULL || atoi(port) <= 0) {
        fprintf(stderr, "REDIS_PORT is not set: run me through tests/fixture/redis_fixture.py\n");
        return 1;
    }
    server_port = atoi(port);
    RUN(test_get_set_incr_del);
    RUN(test_sets_and_publish);
    RUN(test_execute);
    RUN(test_database_number);
    RUN(test_refusals);
    RUN(test_dead_servers_end);
    RUN(test_closed_with_context);
    return TEST_SUMMARY();
}
