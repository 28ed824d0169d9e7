/*
 * mqtt.c - MQTT for components: fermyon:spin/mqtt@2.0.0 (resource
 * connection: open, publish), on libmosquitto (Debian libmosquitto1)
 * loaded with dlopen on first use, as Spin's factor-outbound-mqtt serves
 * it with rumqttc.
 *
 * Why libmosquitto: it is the MQTT 3.1.1 client Debian ships as a small C
 * library of its own (EPL/EDL), from the project whose broker the tests
 * run; its loop can be driven by hand (mosquitto_loop with a timeout), so
 * every wait stays bounded.  Why dlopen: the shim starts with libc alone
 * and libmosquitto's OpenSSL is only loaded by apps that publish.
 *
 * open does what Spin 3.6's does and no more: the allow check on the
 * address (scheme mqtt, port 1883 by default) refused with
 * connection-failed("address <address> is not permitted"), then
 * rumqttc's URL rules (scheme mqtt or tcp, a host, the query parameter
 * client_id required, its other known parameters checked) with
 * invalid-address for anything else, and too-many-connections past
 * Spin's 1024.  Like rumqttc's, the connection is made by the first
 * publish (and made again by a later one if the broker dropped it);
 * failures to connect or to be acknowledged are connection-failed.
 * publish returns when the message is out (QoS 0), when PUBACK (QoS 1)
 * or PUBCOMP (QoS 2) has come, as Spin's event loop waits; every wait is
 * bounded by the request's deadline (spinapi_ctx_set_deadline) and by a
 * fixed bound, so a silent broker never holds a request longer.
 *
 * mqtts:// (and rumqttc's other name for it, ssl://) is MQTT over TLS,
 * port 8883 by default as in rumqttc, allowed_outbound_hosts asked for
 * scheme mqtts.  The broker's certificate is checked, its name included,
 * against the system's CA certificates as rumqttc's default TLS
 * configuration checks it against the platform's roots: libmosquitto's
 * MOSQ_OPT_TLS_USE_OS_CERTS, OpenSSL's default paths (which honour
 * SSL_CERT_FILE / SSL_CERT_DIR).  A handshake or certificate failure is
 * connection-failed, like any other failure to connect.  Inside a
 * container the certificates are the container root's (/etc/ssl/certs):
 * an image without them can reach no TLS broker.
 */
#include "spinapi_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MOSQ_SONAME "libmosquitto.so.1"
#define MOSQ_PACKAGE "libmosquitto1"
#define IFACE "fermyon:spin/mqtt@2.0.0"

/* Spin's per-instance connection table size. */
#define MAX_CONNECTIONS 1024
/* rumqttc's default connect timeout (conn_timeout_secs), and our bound
 * on waiting for the broker's acknowledgement without a deadline. */
#define CONNECT_TIMEOUT_S 5
#define PUBLISH_TIMEOUT_MS 30000

enum { E_INVALID_ADDRESS, E_TOO_MANY_CONNECTIONS, E_CONNECTION_FAILED, E_OTHER };

/* ---- libmosquitto, loaded once ----------------------------------------------- */

typedef struct mosq_api {
    __typeof__(&mosquitto_lib_init) lib_init;
    __typeof__(&mosquitto_new) new_;
    __typeof__(&mosquitto_destroy) destroy;
    __typeof__(&mosquitto_int_option) int_option;
    __typeof__(&mosquitto_username_pw_set) username_pw_set;
    __typeof__(&mosquitto_connect_async) connect_async;
    __typeof__(&mosquitto_reconnect_async) reconnect_async;
    __typeof__(&mosquitto_disconnect) disconnect;
    __typeof__(&mosquitto_publish) publish;
    __typeof__(&mosquitto_loop) loop;
    __typeof__(&mosquitto_connect_callback_set) connect_callback_set;
    __typeof__(&mosquitto_disconnect_callback_set) disconnect_callback_set;
    __typeof__(&mosquitto_publish_callback_set) publish_callback_set;
    __typeof__(&mosquitto_strerror) strerror_;
    __typeof__(&mosquitto_connack_string) connack_string;
} mosq_api;

static mosq_api mq;
static char mq_load_error[256];
static pthread_once_t mq_once = PTHREAD_ONCE_INIT;

static void mq_load(void)
{
    if (util_dl_refused(MOSQ_SONAME, mq_load_error, sizeof(mq_load_error)))
        return; /* a container after pivot_root: see util_dl_seal */
    void *lib = dlopen(MOSQ_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        snprintf(mq_load_error, sizeof(mq_load_error), "MQTT needs %s (Debian package %s): %s",
                 MOSQ_SONAME, MOSQ_PACKAGE, dlerror());
        return;
    }
    const struct {
        void **slot;
        const char *name;
    } syms[] = {
        {(void **)&mq.lib_init, "mosquitto_lib_init"},
        {(void **)&mq.new_, "mosquitto_new"},
        {(void **)&mq.destroy, "mosquitto_destroy"},
        {(void **)&mq.int_option, "mosquitto_int_option"},
        {(void **)&mq.username_pw_set, "mosquitto_username_pw_set"},
        {(void **)&mq.connect_async, "mosquitto_connect_async"},
        {(void **)&mq.reconnect_async, "mosquitto_reconnect_async"},
        {(void **)&mq.disconnect, "mosquitto_disconnect"},
        {(void **)&mq.publish, "mosquitto_publish"},
        {(void **)&mq.loop, "mosquitto_loop"},
        {(void **)&mq.connect_callback_set, "mosquitto_connect_callback_set"},
        {(void **)&mq.disconnect_callback_set, "mosquitto_disconnect_callback_set"},
        {(void **)&mq.publish_callback_set, "mosquitto_publish_callback_set"},
        {(void **)&mq.strerror_, "mosquitto_strerror"},
        {(void **)&mq.connack_string, "mosquitto_connack_string"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(syms); i++) {
        *syms[i].slot = dlsym(lib, syms[i].name);
        if (*syms[i].slot == NULL) {
            snprintf(mq_load_error, sizeof(mq_load_error), "%s: no symbol %s", MOSQ_SONAME,
                     syms[i].name);
            return;
        }
    }
    if (mq.lib_init() != MOSQ_ERR_SUCCESS)
        snprintf(mq_load_error, sizeof(mq_load_error), "%s: initialisation failed", MOSQ_SONAME);
}

static const char *mq_ready(void)
{
    pthread_once(&mq_once, mq_load);
    return mq_load_error[0] ? mq_load_error : NULL;
}

void spinapi_mqtt_preload(void)
{
    const char *why = mq_ready();
    if (why)
        util_log_debug("mqtt: %s", why);
}

/* ---- addresses ------------------------------------------------------------------ */

/* What connecting needs, from an mqtt:// URL (strings malloc'd). */
typedef struct mqtt_address {
    char *host, *client_id;
    uint16_t port;
    bool clean_session;
    int connect_timeout_s;
} mqtt_address;

static void mqtt_address_clear(mqtt_address *a)
{
    free(a->host);
    free(a->client_id);
    memset(a, 0, sizeof(*a));
}

/* rumqttc's URL query parameters besides client_id, clean_session and
 * conn_timeout_secs: numbers it checks and we accept. */
static const char *const numeric_params[] = {
    "keep_alive_secs", "max_incoming_packet_size_bytes", "max_outgoing_packet_size_bytes",
    "request_channel_capacity_num", "max_request_batch_num", "pending_throttle_usecs",
    "inflight_num",
};

static bool is_number(const char *s, size_t n)
{
    if (n == 0 || n > 19)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool param_is(const char *k, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(k, name, n) == 0;
}

/* One key=value of the query; false when rumqttc would refuse it. */
static bool take_param(const char *k, size_t klen, const char *v, size_t vlen, mqtt_address *a)
{
    if (param_is(k, klen, "client_id")) {
        free(a->client_id);
        a->client_id = util_xstrndup(v, vlen);
        return vlen > 0 && memchr(v, '%', vlen) == NULL;
    }
    if (param_is(k, klen, "clean_session")) {
        a->clean_session = vlen == 4 && memcmp(v, "true", 4) == 0;
        return a->clean_session || (vlen == 5 && memcmp(v, "false", 5) == 0);
    }
    if (param_is(k, klen, "conn_timeout_secs")) {
        if (!is_number(v, vlen))
            return false;
        long t = strtol(v, NULL, 10);
        a->connect_timeout_s = t > 0 && t < 60 ? (int)t : 60;
        return true;
    }
    for (size_t i = 0; i < UTIL_ARRAY_LEN(numeric_params); i++)
        if (param_is(k, klen, numeric_params[i]))
            return is_number(v, vlen);
    return false;
}

/* mqtt://host[:port]?client_id=... (tcp:// too); mqtts:// and ssl://
 * with *tls set.  False when rumqttc would not take it. */
static bool parse_address(const char *s, size_t n, mqtt_address *a, bool *tls)
{
    memset(a, 0, sizeof(*a));
    *tls = false;
    a->clean_session = true;
    a->connect_timeout_s = CONNECT_TIMEOUT_S;
    if (memchr(s, '\0', n))
        return false;
    const char *sep = memmem(s, n, "://", 3);
    if (sep == NULL)
        return false;
    size_t slen = (size_t)(sep - s);
    bool plain = (slen == 4 && strncasecmp(s, "mqtt", 4) == 0) ||
                 (slen == 3 && strncasecmp(s, "tcp", 3) == 0);
    *tls = (slen == 5 && strncasecmp(s, "mqtts", 5) == 0) ||
           (slen == 3 && strncasecmp(s, "ssl", 3) == 0);
    if (!plain && !*tls)
        return false;
    const char *p = sep + 3, *end = s + n;
    const char *auth_end = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
        auth_end++;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@')
            p = q + 1; /* rumqttc's credentials give way to the guest's */
    const char *colon = memchr(p, ':', (size_t)(auth_end - p));
    const char *host_end = colon ? colon : auth_end;
    if (host_end == p || *p == '[')
        return false;
    for (const char *q = p; q < host_end; q++)
        if ((unsigned char)*q <= ' ' || *q == '%' || *q == '\\')
            return false;
    a->port = *tls ? 8883 : 1883;
    if (colon) {
        unsigned long v = 0;
        size_t plen = (size_t)(auth_end - colon - 1);
        if (plen > 5 || !is_number(colon + 1, plen) || (v = strtoul(colon + 1, NULL, 10)) > 65535 ||
            v == 0)
            return false;
        a->port = (uint16_t)v;
    }
    a->host = util_xstrndup(p, (size_t)(host_end - p));
    const char *q = memchr(auth_end, '?', (size_t)(end - auth_end));
    const char *qend = q ? q + 1 : end;
    while (qend < end && *qend != '#')
        qend++;
    for (const char *k = q ? q + 1 : end; k < qend;) {
        const char *amp = memchr(k, '&', (size_t)(qend - k));
        const char *kend = amp ? amp : qend;
        const char *eq = memchr(k, '=', (size_t)(kend - k));
        const char *v = eq ? eq + 1 : kend;
        if (kend > k && !take_param(k, (size_t)((eq ? eq : kend) - k), v, (size_t)(kend - v), a))
            return false;
        k = amp ? amp + 1 : qend;
    }
    return a->client_id != NULL;
}

/* ---- connections ---------------------------------------------------------------- */

struct spinapi_mqtt {
    spinapi_ctx *ctx;
    struct spinapi_mqtt *prev, *next; /* in ctx->mqtt_open */
    pthread_mutex_t lock;             /* one publish at a time */
    struct mosquitto *mosq;
    mqtt_address addr;
    char *username, *password; /* NULL: none */
    int keepalive;
    bool started;   /* connect_async was called once */
    bool connected; /* CONNACK 0 came and no disconnect since */
    int connack;    /* the last CONNACK's code; -1 while waiting */
    int acked_mid;  /* the last message the broker took (on_publish) */
};

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    (void)mosq;
    struct spinapi_mqtt *m = obj;
    m->connack = rc;
    m->connected = rc == 0;
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    (void)mosq, (void)rc;
    ((struct spinapi_mqtt *)obj)->connected = false;
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
    (void)mosq;
    ((struct spinapi_mqtt *)obj)->acked_mid = mid;
}

static void mqtt_free(struct spinapi_mqtt *m)
{
    if (m->prev)
        m->prev->next = m->next;
    else
        m->ctx->mqtt_open = m->next;
    if (m->next)
        m->next->prev = m->prev;
    if (m->mosq) {
        if (m->connected)
            mq.disconnect(m->mosq);
        mq.destroy(m->mosq);
    }
    mqtt_address_clear(&m->addr);
    free(m->username);
    free(m->password);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static void mqtt_dtor(uintptr_t rep)
{
    if (rep)
        mqtt_free((struct spinapi_mqtt *)rep);
}

void spinapi_mqtt_close_all(spinapi_ctx *ctx)
{
    while (ctx->mqtt_open)
        mqtt_free(ctx->mqtt_open);
}

static size_t count_open(const spinapi_ctx *ctx)
{
    size_t n = 0;
    for (const struct spinapi_mqtt *m = ctx->mqtt_open; m; m = m->next)
        n++;
    return n;
}

/* Milliseconds left before `until` or the context's deadline, whichever
 * is sooner (at most 100: the loop comes back to check); 0 when passed. */
static int slice_ms(const struct spinapi_mqtt *m, uint64_t until)
{
    uint64_t d = m->ctx->deadline_ns;
    if (d && d < until)
        until = d;
    uint64_t now = util_monotonic_ns();
    if (now >= until)
        return 0;
    uint64_t left = (until - now + 999999) / 1000000;
    return left < 100 ? (int)left : 100;
}

static bool deadline_passed(const struct spinapi_mqtt *m)
{
    return m->ctx->deadline_ns && util_monotonic_ns() >= m->ctx->deadline_ns;
}

/* A loop error as rumqttc words a connection error. */
static void loop_error(int rc, int saved_errno, char *msg, size_t size)
{
    if (rc == MOSQ_ERR_ERRNO)
        snprintf(msg, size, "I/O: %s (os error %d)", strerror(saved_errno), saved_errno);
    else if (rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_NO_CONN)
        snprintf(msg, size, "I/O: connection closed by peer");
    else
        snprintf(msg, size, "Mqtt state: %s", mq.strerror_(rc));
}

/* The CONNACK refusal in rumqttc's words. */
static const char *connack_name(int rc)
{
    static const char *const names[] = {"Success", "RefusedProtocolVersion", "BadClientId",
                                        "ServiceUnavailable", "BadUserNamePassword",
                                        "NotAuthorized"};
    return rc >= 0 && rc < (int)UTIL_ARRAY_LEN(names) ? names[rc] : "Unknown";
}

/* Connects (again) if needed; 0, or -1 with the connection-failed text. */
static int ensure_connected(struct spinapi_mqtt *m, char *msg, size_t size)
{
    if (m->connected)
        return 0;
    m->connack = -1;
    errno = 0;
    int rc = m->started ? mq.reconnect_async(m->mosq)
                        : mq.connect_async(m->mosq, m->addr.host, m->addr.port, m->keepalive);
    m->started = true;
    if (rc != MOSQ_ERR_SUCCESS) {
        loop_error(rc, errno, msg, size);
        return -1;
    }
    uint64_t until = util_monotonic_ns() + (uint64_t)m->addr.connect_timeout_s * 1000000000u;
    while (m->connack < 0) {
        int ms = slice_ms(m, until);
        if (ms == 0) {
            snprintf(msg, size, "%s", deadline_passed(m)
                                          ? "the request's deadline passed while connecting"
                                          : "Network timeout");
            return -1;
        }
        errno = 0;
        rc = mq.loop(m->mosq, ms, 1);
        if (rc != MOSQ_ERR_SUCCESS && m->connack < 0) {
            loop_error(rc, errno, msg, size);
            return -1;
        }
    }
    if (m->connack != 0) {
        snprintf(msg, size, "Connection refused, return code: `%s`", connack_name(m->connack));
        return -1;
    }
    return 0;
}

/* Publishes and waits until the broker has it as the QoS says; 0, or the
 * error case with its text. */
static int mqtt_publish(struct spinapi_mqtt *m, const char *topic, const uint8_t *payload,
                        size_t len, int qos, char *msg, size_t size)
{
    if (len > INT32_MAX)
        return snprintf(msg, size, "payload too large"), E_OTHER;
    /* What happened since the last call (a dropped connection, pings). */
    if (m->connected && mq.loop(m->mosq, 0, 1) != MOSQ_ERR_SUCCESS)
        m->connected = false;
    if (ensure_connected(m, msg, size) < 0)
        return E_CONNECTION_FAILED;
    int mid = 0;
    m->acked_mid = 0;
    int rc = mq.publish(m->mosq, &mid, topic, (int)len, payload, qos, false);
    if (rc != MOSQ_ERR_SUCCESS)
        return snprintf(msg, size, "%s", mq.strerror_(rc)), E_OTHER;
    uint64_t until = util_monotonic_ns() + (uint64_t)PUBLISH_TIMEOUT_MS * 1000000u;
    while (m->acked_mid != mid) {
        int ms = slice_ms(m, until);
        if (ms == 0) {
            snprintf(msg, size, "%s", deadline_passed(m)
                                          ? "the request's deadline passed before the broker "
                                            "acknowledged the message"
                                          : "Network timeout");
            return E_CONNECTION_FAILED;
        }
        errno = 0;
        rc = mq.loop(m->mosq, ms, 1);
        if (rc != MOSQ_ERR_SUCCESS && m->acked_mid != mid) {
            m->connected = false;
            loop_error(rc, errno, msg, size);
            return E_CONNECTION_FAILED;
        }
    }
    return -1;
}

/* ---- host functions --------------------------------------------------------------- */

static int mqtt_err(component_call *call, int which, const char *msg, component_val *out)
{
    return spinapi_err(call, (uint32_t)which,
                       which == E_INVALID_ADDRESS || which == E_TOO_MANY_CONNECTIONS ? NULL : msg,
                       out);
}

/* A NUL-terminated copy of a string argument, NULL when it holds a NUL. */
static char *arg_cstr(component_call *call, const component_val *s)
{
    if (memchr(s->of.str.ptr, '\0', s->of.str.len))
        return NULL;
    return spinapi_cstr(call, s);
}

static int open_connection(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    (void)nargs;
    const spinapi_host *h = env;
    spinapi_ctx *ctx = spinapi_host_ctx(h, call);
    const char *address = args[0].of.str.ptr;
    size_t len = args[0].of.str.len;
    char msg[600];
    if (!spinapi_outbound_url_allowed(ctx->c, "mqtt", address, len)) {
        snprintf(msg, sizeof(msg), "address %.*s is not permitted", (int)len, address);
        return mqtt_err(call, E_CONNECTION_FAILED, msg, result);
    }
    const char *why = mq_ready();
    if (why)
        return mqtt_err(call, E_OTHER, why, result);
    mqtt_address a;
    bool tls;
    if (!parse_address(address, len, &a, &tls)) {
        mqtt_address_clear(&a);
        return mqtt_err(call, E_INVALID_ADDRESS, NULL, result);
    }
    char *user = arg_cstr(call, &args[1]), *pass = arg_cstr(call, &args[2]);
    if (user == NULL || pass == NULL || count_open(ctx) >= MAX_CONNECTIONS) {
        mqtt_address_clear(&a);
        if (user == NULL || pass == NULL)
            return mqtt_err(call, E_OTHER, "a user name or password with a NUL byte", result);
        return mqtt_err(call, E_TOO_MANY_CONNECTIONS, NULL, result);
    }
    struct spinapi_mqtt *m = util_xcalloc(1, sizeof(*m));
    m->ctx = ctx;
    m->addr = a;
    pthread_mutex_init(&m->lock, NULL);
    m->next = ctx->mqtt_open;
    if (m->next)
        m->next->prev = m;
    ctx->mqtt_open = m;
    /* Credentials as Spin sets them, unless both are empty (anonymous). */
    if (user[0] || pass[0])
        m->username = util_xstrdup(user), m->password = util_xstrdup(pass);
    uint64_t ka = args[3].of.u;
    m->keepalive = ka == 0 ? 0 : ka < 5 ? 5 : ka > 65535 ? 65535 : (int)ka;
    m->mosq = mq.new_(a.client_id, a.clean_session, m);
    if (m->mosq == NULL) {
        mqtt_free(m);
        return mqtt_err(call, E_OTHER, "cannot make an MQTT client", result);
    }
    mq.int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    if (tls && mq.int_option(m->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1) != MOSQ_ERR_SUCCESS) {
        mqtt_free(m);
        return mqtt_err(call, E_OTHER, "this libmosquitto cannot speak TLS", result);
    }
    if (m->username)
        mq.username_pw_set(m->mosq, m->username, m->password);
    mq.connect_callback_set(m->mosq, on_connect);
    mq.disconnect_callback_set(m->mosq, on_disconnect);
    mq.publish_callback_set(m->mosq, on_publish);
    component_val own = spinapi_own(h->mqtt2, m);
    return spinapi_variant(call, 0, &own, result);
}

static int publish(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    (void)env, (void)nargs;
    struct spinapi_mqtt *m = (struct spinapi_mqtt *)args[0].of.resource.rep;
    char *topic = arg_cstr(call, &args[1]);
    const uint8_t *payload = spinapi_list_bytes(call, &args[2]);
    if (payload == NULL)
        return component_call_trap(call, "mqtt: out of call memory");
    if (topic == NULL)
        return mqtt_err(call, E_OTHER, "the topic holds a NUL byte", result);
    char msg[600];
    pthread_mutex_lock(&m->lock);
    int rc = mqtt_publish(m, topic, payload, args[2].of.list.n, (int)args[3].of.variant.disc,
                          msg, sizeof(msg));
    pthread_mutex_unlock(&m->lock);
    if (rc >= 0)
        return mqtt_err(call, rc, msg, result);
    return spinapi_variant(call, 0, NULL, result);
}

static const spinapi_func funcs[] = {
    {"[static]connection.open",
     "func(address: string, username: string, password: string, "
     "keep-alive-interval-in-secs: u64) -> result<own<connection>, error>",
     open_connection},
    {"[method]connection.publish",
     "func(self: borrow<connection>, topic: string, payload: payload, qos: qos) -> "
     "result<_, error>",
     publish},
};

int spinapi_define_mqtt(component_linker *l, spinapi_host *h, util_error **err)
{
    const char *types[][2] = {
        {"error", "variant{invalid-address, too-many-connections, connection-failed(string), "
                  "other(string)}"},
        {"qos", "enum{at-most-once, at-least-once, exactly-once}"},
        {"payload", "list<u8>"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(types); i++)
        if (component_linker_define_type(l, IFACE, types[i][0], types[i][1], err) < 0)
            return -1;
    h->mqtt2 = component_linker_define_resource(l, IFACE, "connection", mqtt_dtor, err);
    if (h->mqtt2 == NULL ||
        spinapi_define_funcs(l, IFACE, funcs, UTIL_ARRAY_LEN(funcs), h, err) < 0)
        return -1;
    return 0;
}
