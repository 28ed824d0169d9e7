/*
 * test_mqtt.c - MQTT through fermyon:spin/mqtt@2.0.0 against a real
 * mosquitto broker (tests/fixture/mosquitto_fixture.py runs this program
 * with MQTT_PORT, an anonymous listener, and MQTT_AUTH_PORT, one that
 * wants spin / spin-pass): a subscriber in the test (libmosquitto) gets
 * what the guest publishes at each QoS, binary and empty payloads,
 * credentials taken and refused, the refusals (hosts allowed_outbound_hosts
 * does not allow, with Spin's message and default port; addresses
 * rumqttc would not take, as invalid-address), Spin's 1024 connections,
 * a dead broker, and a silent one that the request's deadline ends.
 * mqtts:// against the fixture's TLS listener (MQTT_TLS_PORT, its
 * self-signed certificate in MQTT_TLS_CA): refused while the certificate
 * is not trusted, and over plain MQTT, as connection-failed; published
 * once SSL_CERT_FILE names it.
 */
#include "spinapi_test_util.h"

#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#define MQTT "fermyon:spin/mqtt@2.0.0"

enum { INVALID_ADDRESS, TOO_MANY_CONNECTIONS, CONNECTION_FAILED, OTHER };
enum { AT_MOST_ONCE, AT_LEAST_ONCE, EXACTLY_ONCE };

static int port, auth_port, tls_port;
static const char *tls_ca;
static char last_scheme[16], last_host[64];
static unsigned last_port;

/* allowed_outbound_hosts = ["mqtt://127.0.0.1:*", "tcp://127.0.0.1:*", "ws://127.0.0.1:*",
 *                           "mqtts://127.0.0.1:*", "ssl://127.0.0.1:*"] */
static bool allow_loopback(void *self, const char *scheme, const char *host, uint16_t p)
{
    (void)self;
    snprintf(last_scheme, sizeof(last_scheme), "%s", scheme);
    snprintf(last_host, sizeof(last_host), "%s", host);
    last_port = p;
    return (strcmp(scheme, "mqtt") == 0 || strcmp(scheme, "tcp") == 0 ||
            strcmp(scheme, "ws") == 0 || strcmp(scheme, "mqtts") == 0 ||
            strcmp(scheme, "ssl") == 0) &&
           strcmp(host, "127.0.0.1") == 0;
}

static fixture *mq_fixture(void)
{
    spinapi_component_config cfg = {.id = "mq", .outbound_allowed = allow_loopback};
    return fixture_new(&cfg);
}

/* ---- a subscriber ------------------------------------------------------------- */

#define MAX_MSGS 16
static struct {
    pthread_mutex_t lock;
    int n;
    char topic[MAX_MSGS][64];
    uint8_t payload[MAX_MSGS][64];
    int len[MAX_MSGS];
    bool subscribed;
} got = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
    (void)m, (void)obj;
    pthread_mutex_lock(&got.lock);
    if (got.n < MAX_MSGS) {
        snprintf(got.topic[got.n], 64, "%s", msg->topic);
        got.len[got.n] = msg->payloadlen < 64 ? msg->payloadlen : 64;
        if (got.len[got.n] > 0) /* an empty message has no payload pointer */
            memcpy(got.payload[got.n], msg->payload, (size_t)got.len[got.n]);
        got.n++;
    }
    pthread_mutex_unlock(&got.lock);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *qos)
{
    (void)m, (void)obj, (void)mid, (void)n, (void)qos;
    pthread_mutex_lock(&got.lock);
    got.subscribed = true;
    pthread_mutex_unlock(&got.lock);
}

static void on_sub_connect(struct mosquitto *m, void *obj, int rc)
{
    (void)obj;
    if (rc == 0)
        mosquitto_subscribe(m, NULL, "spin/#", 2);
}

static struct mosquitto *subscriber_start(void)
{
    struct mosquitto *m = mosquitto_new("test-subscriber", true, NULL);
    mosquitto_connect_callback_set(m, on_sub_connect);
    mosquitto_message_callback_set(m, on_message);
    mosquitto_subscribe_callback_set(m, on_subscribe);
    if (mosquitto_connect(m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS)
        abort();
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&got.lock);
        bool ok = got.subscribed;
        pthread_mutex_unlock(&got.lock);
        if (ok)
            return m;
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    fprintf(stderr, "the subscriber did not subscribe\n");
    abort();
}

static void subscriber_stop(struct mosquitto *m)
{
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
}

/* Waits until `n` messages have come (up to 10 s); how many came. */
static int wait_messages(int n)
{
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&got.lock);
        int have = got.n;
        pthread_mutex_unlock(&got.lock);
        if (have >= n)
            return have;
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    return got.n;
}

/* ---- calls ------------------------------------------------------------------------ */

static component_val open_result(fixture *f, const char *addr, const char *user,
                                 const char *pass, uint64_t keepalive)
{
    component_val a[4] = {V_STR(addr), V_STR(user), V_STR(pass),
                          {.kind = COMPONENT_VAL_U64, .of.u = keepalive}};
    component_val r = {0};
    CHECK_INT(call(f, MQTT, "[static]connection.open", a, 4, &r), 0);
    return r;
}

static component_val publish(fixture *f, const component_val *conn, const char *topic,
                             const void *payload, size_t len, uint32_t qos)
{
    component_val a[4] = {V_BORROW(*conn), V_STR(topic), V_BYTES(payload, len),
                          {.kind = COMPONENT_VAL_VARIANT, .of.variant = {qos, NULL}}};
    component_val r = {0};
    CHECK_INT(call(f, MQTT, "[method]connection.publish", a, 4, &r), 0);
    return r;
}

static void check_ok(const component_val *r, const char *what)
{
    char buf[512];
    if (!is_ok(r))
        fprintf(stderr, "%s: %d %s\n", what, err_case(r), err_text(r, buf, sizeof(buf)));
    CHECK(is_ok(r));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_publish_each_qos(void)
{
    struct mosquitto *sub = subscriber_start();
    fixture *f = mq_fixture();
    char *addr = util_xasprintf("mqtt://127.0.0.1:%d?client_id=spin-test", port);
    component_val r = open_result(f, addr, "", "", 30);
    check_ok(&r, "open");
    if (is_ok(&r)) {
        component_val c = *ok_of(&r);
        r = publish(f, &c, "spin/q0", "zero", 4, AT_MOST_ONCE);
        check_ok(&r, "qos 0");
        r = publish(f, &c, "spin/q1", "one", 3, AT_LEAST_ONCE);
        check_ok(&r, "qos 1");
        r = publish(f, &c, "spin/q2", "two\0bytes", 9, EXACTLY_ONCE);
        check_ok(&r, "qos 2");
        r = publish(f, &c, "spin/empty", "", 0, AT_LEAST_ONCE);
        check_ok(&r, "empty");
        /* A topic MQTT does not allow to publish to is other(...). */
        r = publish(f, &c, "spin/#", "x", 1, AT_MOST_ONCE);
        CHECK_INT(err_case(&r), OTHER);
    }
    CHECK_INT(wait_messages(4), 4);
    pthread_mutex_lock(&got.lock);
    static const char *const topics[] = {"spin/q0", "spin/q1", "spin/q2", "spin/empty"};
    static const char *const payloads[] = {"zero", "one", "two\0bytes", ""};
    static const int lens[] = {4, 3, 9, 0};
    for (int i = 0; i < 4 && i < got.n; i++) {
        /* QoS 0 and 1 may overtake each other at the broker; find by topic. */
        int j = 0;
        while (j < got.n && strcmp(got.topic[j], topics[i]) != 0)
            j++;
        CHECK(j < got.n);
        if (j < got.n) {
            CHECK_INT(got.len[j], lens[i]);
            CHECK(memcmp(got.payload[j], payloads[i], (size_t)lens[i]) == 0);
        }
    }
    got.n = 0;
    pthread_mutex_unlock(&got.lock);
    free(addr);
    fixture_free(f);
    subscriber_stop(sub);
}

static void test_credentials(void)
{
    char buf[512];
    fixture *f = mq_fixture();
    char *addr = util_xasprintf("tcp://127.0.0.1:%d?client_id=auth-test&clean_session=true",
                                auth_port);
    component_val r = open_result(f, addr, "spin", "spin-pass", 0);
    check_ok(&r, "open auth");
    if (is_ok(&r)) {
        component_val c = *ok_of(&r);
        r = publish(f, &c, "spin/auth", "ok", 2, AT_LEAST_ONCE);
        check_ok(&r, "publish auth");
    }
    /* The broker refuses: open (which connects to nothing yet) is fine,
     * publish is connection-failed with the CONNACK's refusal. */
    r = open_result(f, addr, "spin", "wrong", 0);
    check_ok(&r, "open wrong");
    if (is_ok(&r)) {
        component_val c = *ok_of(&r);
        r = publish(f, &c, "spin/auth", "no", 2, AT_LEAST_ONCE);
        CHECK_INT(err_case(&r), CONNECTION_FAILED);
        CHECK(strstr(err_text(&r, buf, sizeof(buf)), "Connection refused, return code") != NULL);
    }
    r = open_result(f, addr, "", "", 0);
    if (is_ok(&r)) {
        component_val c = *ok_of(&r);
        r = publish(f, &c, "spin/auth", "anon", 4, AT_MOST_ONCE);
        CHECK_INT(err_case(&r), CONNECTION_FAILED);
    }
    free(addr);
    fixture_free(f);
}

static void test_refusals(void)
{
    char buf[512];
    fixture *f = mq_fixture();
    /* Not allowed: Spin's connection-failed message, the default port. */
    component_val r = open_result(f, "mqtt://10.9.8.7?client_id=x", "", "", 0);
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK_STR(err_text(&r, buf, sizeof(buf)),
              "address mqtt://10.9.8.7?client_id=x is not permitted");
    CHECK_STR(last_scheme, "mqtt");
    CHECK_INT(last_port, 1883);
    r = open_result(f, "127.0.0.1:1883", "", "", 0); /* checked as mqtt://127.0.0.1:1883 */
    CHECK_INT(last_port, 1883);
    CHECK_STR(last_host, "127.0.0.1");
    CHECK_INT(err_case(&r), INVALID_ADDRESS); /* allowed, but no URL rumqttc takes */
    /* Allowed, but not an address rumqttc takes: invalid-address. */
    static const char *const bad[] = {
        "mqtt://127.0.0.1:1883",                        /* no client_id */
        "mqtt://127.0.0.1:1883?client_id=",              /* an empty one */
        "mqtt://127.0.0.1:1883?client_id=a&bogus=1",     /* an unknown option */
        "mqtt://127.0.0.1:1883?client_id=a&clean_session=maybe",
        "mqtt://127.0.0.1:1883?client_id=a&keep_alive_secs=soon",
        "ws://127.0.0.1:1883?client_id=a",               /* no websockets */
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(bad); i++) {
        r = open_result(f, bad[i], "", "", 0);
        if (err_case(&r) != INVALID_ADDRESS)
            fprintf(stderr, "%s: %d\n", bad[i], err_case(&r));
        CHECK_INT(err_case(&r), INVALID_ADDRESS);
    }
    /* Spin's table holds 1024 connections per instance (open connects
     * nothing, so they are cheap). */
    for (int i = 0; i < 1024; i++) {
        r = open_result(f, "mqtt://127.0.0.1:1?client_id=many", "", "", 0);
        CHECK(is_ok(&r));
        component_call_reset(f->call);
    }
    r = open_result(f, "mqtt://127.0.0.1:1?client_id=many", "", "", 0);
    CHECK_INT(err_case(&r), TOO_MANY_CONNECTIONS);
    fixture_free(f);
}

static int silent_server(int *p)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 8) < 0 ||
        getsockname(s, (struct sockaddr *)&sa, &len) < 0)
        abort();
    *p = ntohs(sa.sin_port);
    return s;
}

static void test_dead_and_silent_brokers_end(void)
{
    char buf[512];
    fixture *f = mq_fixture();
    int p, s = silent_server(&p);
    close(s);
    char *addr = util_xasprintf("mqtt://127.0.0.1:%d?client_id=dead", p);
    component_val r = open_result(f, addr, "", "", 0);
    check_ok(&r, "open dead");
    double start = now_s();
    if (is_ok(&r)) {
        component_val c = *ok_of(&r);
        r = publish(f, &c, "spin/x", "x", 1, AT_LEAST_ONCE);
        CHECK_INT(err_case(&r), CONNECTION_FAILED);
        CHECK(strstr(err_text(&r, buf, sizeof(buf)), "Connection refused") != NULL);
    }
    CHECK(now_s() - start < 10.0);
    free(addr);

    /* A broker that accepts and never answers: the deadline ends the wait. */
    s = silent_server(&p);
    addr = util_xasprintf("mqtt://127.0.0.1:%d?client_id=silent&conn_timeout_secs=30", p);
    r = open_result(f, addr, "", "", 0);
    check_ok(&r, "open silent");
    spinapi_ctx_set_deadline(f->ctx, util_monotonic_ns() + 1000000000);
    start = now_s();
    if (is_ok(&r)) {
        component_val c = *ok_of(&r);
        r = publish(f, &c, "spin/x", "x", 1, AT_LEAST_ONCE);
        CHECK_INT(err_case(&r), CONNECTION_FAILED);
        CHECK(strstr(err_text(&r, buf, sizeof(buf)), "deadline") != NULL);
    }
    CHECK(now_s() - start < 8.0);
    close(s);
    free(addr);
    fixture_free(f);
}

/* Publishes one message over a fresh connection to addr: the error case
 * (-1: published) and its text in buf. */
static int publish_once(const char *addr, char *buf, size_t size)
{
    fixture *f = mq_fixture();
    spinapi_ctx_set_deadline(f->ctx, util_monotonic_ns() + 20000000000ull);
    component_val r = open_result(f, addr, "", "", 0);
    check_ok(&r, addr);
    int which = -2;
    buf[0] = '\0';
    if (is_ok(&r)) {
        component_val c = *ok_of(&r);
        r = publish(f, &c, "spin/tls", "over tls", 8, AT_LEAST_ONCE);
        which = is_ok(&r) ? -1 : err_case(&r);
        if (!is_ok(&r))
            err_text(&r, buf, size);
    }
    fixture_free(f);
    return which;
}

static void test_mqtts(void)
{
    if (tls_port == 0) {
        printf("SKIP test_mqtts: the fixture has no TLS listener (no openssl command)\n");
        return;
    }
    char buf[512], addr[128];
    /* Not allowed: the policy is asked for scheme mqtts. */
    fixture *f = mq_fixture();
    component_val r = open_result(f, "mqtts://10.9.8.7:8883?client_id=x", "", "", 0);
    CHECK_INT(err_case(&r), CONNECTION_FAILED);
    CHECK_STR(last_scheme, "mqtts");
    CHECK_INT(last_port, 8883);
    fixture_free(f);

    /* The broker's certificate is trusted by nobody yet: the handshake
     * fails, as Spin's connection error. */
    setenv("SSL_CERT_FILE", "/nonexistent/ca.pem", 1);
    snprintf(addr, sizeof(addr), "mqtts://127.0.0.1:%d?client_id=tls-untrusted", tls_port);
    CHECK_INT(publish_once(addr, buf, sizeof(buf)), CONNECTION_FAILED);
    CHECK(buf[0] != '\0');
    /* TLS to a plain MQTT listener: no handshake either. */
    setenv("SSL_CERT_FILE", tls_ca, 1);
    snprintf(addr, sizeof(addr), "ssl://127.0.0.1:%d?client_id=tls-plain", port);
    CHECK_INT(publish_once(addr, buf, sizeof(buf)), CONNECTION_FAILED);

    /* Trusted: published, and the subscriber on the plain listener has it. */
    pthread_mutex_lock(&got.lock);
    got.n = 0;
    got.subscribed = false;
    pthread_mutex_unlock(&got.lock);
    struct mosquitto *sub = subscriber_start();
    snprintf(addr, sizeof(addr), "mqtts://127.0.0.1:%d?client_id=tls-ok", tls_port);
    int which = publish_once(addr, buf, sizeof(buf));
    if (which != -1)
        fprintf(stderr, "mqtts publish: %d %s\n", which, buf);
    CHECK_INT(which, -1);
    CHECK_INT(wait_messages(1), 1);
    CHECK_STR(got.topic[0], "spin/tls");
    CHECK(got.len[0] == 8 && memcmp(got.payload[0], "over tls", 8) == 0);
    subscriber_stop(sub);
    unsetenv("SSL_CERT_FILE");
}

int main(void)
{
    const char *p = getenv("MQTT_PORT"), *ap = getenv("MQTT_AUTH_PORT");
    if (p == NULL || atoi(p) <= 0 || ap == NULL || atoi(ap) <= 0) {
        fprintf(stderr, "MQTT_PORT is not set: run me through tests/fixture/mosquitto_fixture.py\n");
        return 1;
    }
    port = atoi(p), auth_port = atoi(ap);
    const char *tp = getenv("MQTT_TLS_PORT");
    tls_port = tp ? atoi(tp) : 0;
    tls_ca = getenv("MQTT_TLS_CA");
    mosquitto_lib_init();
    RUN(test_publish_each_qos);
    RUN(test_credentials);
    RUN(test_refusals);
    RUN(test_dead_and_silent_brokers_end);
    RUN(test_mqtts);
    mosquitto_lib_cleanup();
    return TEST_SUMMARY();
}
