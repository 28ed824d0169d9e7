/*
 * mysql_client.c - the MySQL client behind Spin's mysql APIs, on MariaDB
 * Connector/C (Debian libmariadb3), loaded with dlopen on first use.
 *
 * Why Connector/C: it is the MySQL-protocol client Debian ships as a
 * small library of its own (LGPL, no server code), it speaks to MySQL 5.7+
 * and MariaDB alike, has the binary protocol of prepared statements (so a
 * guest's parameters travel as typed values, never pasted into SQL) and a
 * non-blocking API.  Why dlopen: it drags in GnuTLS and zlib; the shim
 * starts with libc alone and only apps that talk to MySQL pay for it.
 *
 * Every network wait goes through the non-blocking API (the *_start /
 * *_cont pairs) and poll(), bounded by the request's deadline
 * (spinapi_ctx_set_deadline) and, for connecting, by a fixed bound, so a
 * silent server or a stuck query costs a request at most its deadline.
 * A statement the deadline interrupts leaves the connection mid-protocol:
 * it is marked broken and closed by shutting its socket first, and a
 * second short session has the server stop the statement (KILL QUERY),
 * which would otherwise run on for nobody.
 *
 * Addresses are read as Spin reads them: the allow check first, on the
 * URL (or "mysql://" + the text when it is none) with the scheme's
 * well-known port (mysql 3306), refused with Spin's "address <address>
 * is not permitted"; then mysql_async's URL rules: scheme mysql, user and
 * password percent-decoded, the path as the database, its known query
 * parameters (TLS when ssl-mode is not "disabled" or require_ssl=true).
 * Connector/C must not act on the host's behalf: always TCP (never the
 * Unix socket "localhost" means to it), no LOAD DATA LOCAL INFILE (a
 * server could read the host's files with it), no option files.
 *
 * Columns map as Spin's mysql_async mapping does: integer types by size
 * and UNSIGNED flag (TINYINT is int8 or uint8, BOOLEAN too), FLOAT and
 * DOUBLE, CHAR/VARCHAR/TEXT as str unless the BINARY flag says binary,
 * MEDIUMBLOB/LONGBLOB as binary; every other type (DECIMAL, dates, ...)
 * is `other`, and a non-null value in such a column fails the query with
 * value-conversion-failed, as Spin's does.
 */
#include "mysql_client.h"

#include <dlfcn.h>
#include <errno.h>
#include <errmsg.h>
#include <mysql.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define MARIADB_SONAME "libmariadb.so.3"
#define MARIADB_PACKAGE "libmariadb3"
/* From mysql/client_plugin.h, which needs headers Debian does not ship. */
#define AUTHENTICATION_PLUGIN 2
typedef void *(*load_plugin_fn)(MYSQL *mysql, const char *name, int type, int argc, ...);

/* ---- Connector/C, loaded once -------------------------------------------- */

typedef struct my_api {
    __typeof__(&mysql_server_init) library_init;
    __typeof__(&mysql_init) init;
    __typeof__(&mysql_options) options;
    __typeof__(&mysql_real_connect_start) connect_start;
    __typeof__(&mysql_real_connect_cont) connect_cont;
    __typeof__(&mysql_close) close;
    __typeof__(&mysql_real_query_start) query_start;
    __typeof__(&mysql_real_query_cont) query_cont;
    __typeof__(&mysql_thread_id) thread_id;
    __typeof__(&mysql_errno) errno_;
    __typeof__(&mysql_error) error;
    __typeof__(&mysql_sqlstate) sqlstate;
    __typeof__(&mysql_get_socket) get_socket;
    __typeof__(&mysql_get_timeout_value_ms) timeout_ms;
    load_plugin_fn load_plugin;
    __typeof__(&mysql_stmt_init) stmt_init;
    __typeof__(&mysql_stmt_prepare_start) prepare_start;
    __typeof__(&mysql_stmt_prepare_cont) prepare_cont;
    __typeof__(&mysql_stmt_param_count) param_count;
    __typeof__(&mysql_stmt_bind_param) bind_param;
    __typeof__(&mysql_stmt_execute_start) execute_start;
    __typeof__(&mysql_stmt_execute_cont) execute_cont;
    __typeof__(&mysql_stmt_result_metadata) result_metadata;
    __typeof__(&mysql_num_fields) num_fields;
    __typeof__(&mysql_fetch_fields) fetch_fields;
    __typeof__(&mysql_free_result) free_result;
    __typeof__(&mysql_stmt_bind_result) bind_result;
    __typeof__(&mysql_stmt_fetch_start) fetch_start;
    __typeof__(&mysql_stmt_fetch_cont) fetch_cont;
    __typeof__(&mysql_stmt_fetch_column) fetch_column;
    __typeof__(&mysql_stmt_store_result_start) store_start;
    __typeof__(&mysql_stmt_store_result_cont) store_cont;
    __typeof__(&mysql_stmt_close) stmt_close;
    __typeof__(&mysql_stmt_errno) stmt_errno;
    __typeof__(&mysql_stmt_error) stmt_error;
    __typeof__(&mysql_stmt_sqlstate) stmt_sqlstate;
} my_api;

static my_api my;
static char my_load_error[256];
static pthread_once_t my_once = PTHREAD_ONCE_INIT;

static void my_load(void)
{
    if (util_dl_refused(MARIADB_SONAME, my_load_error, sizeof(my_load_error)))
        return; /* a container after pivot_root: see util_dl_seal */
    void *lib = dlopen(MARIADB_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        snprintf(my_load_error, sizeof(my_load_error), "MySQL needs %s (Debian package %s): %s",
                 MARIADB_SONAME, MARIADB_PACKAGE, dlerror());
        return;
    }
    const struct {
        void **slot;
        const char *name;
    } syms[] = {
        {(void **)&my.library_init, "mysql_server_init"},
        {(void **)&my.init, "mysql_init"},
        {(void **)&my.options, "mysql_options"},
        {(void **)&my.connect_start, "mysql_real_connect_start"},
        {(void **)&my.connect_cont, "mysql_real_connect_cont"},
        {(void **)&my.close, "mysql_close"},
        {(void **)&my.query_start, "mysql_real_query_start"},
        {(void **)&my.query_cont, "mysql_real_query_cont"},
        {(void **)&my.thread_id, "mysql_thread_id"},
        {(void **)&my.errno_, "mysql_errno"},
        {(void **)&my.error, "mysql_error"},
        {(void **)&my.sqlstate, "mysql_sqlstate"},
        {(void **)&my.get_socket, "mysql_get_socket"},
        {(void **)&my.timeout_ms, "mysql_get_timeout_value_ms"},
        {(void **)&my.load_plugin, "mysql_load_plugin"},
        {(void **)&my.stmt_init, "mysql_stmt_init"},
        {(void **)&my.prepare_start, "mysql_stmt_prepare_start"},
        {(void **)&my.prepare_cont, "mysql_stmt_prepare_cont"},
        {(void **)&my.param_count, "mysql_stmt_param_count"},
        {(void **)&my.bind_param, "mysql_stmt_bind_param"},
        {(void **)&my.execute_start, "mysql_stmt_execute_start"},
        {(void **)&my.execute_cont, "mysql_stmt_execute_cont"},
        {(void **)&my.result_metadata, "mysql_stmt_result_metadata"},
        {(void **)&my.num_fields, "mysql_num_fields"},
        {(void **)&my.fetch_fields, "mysql_fetch_fields"},
        {(void **)&my.free_result, "mysql_free_result"},
        {(void **)&my.bind_result, "mysql_stmt_bind_result"},
        {(void **)&my.fetch_start, "mysql_stmt_fetch_start"},
        {(void **)&my.fetch_cont, "mysql_stmt_fetch_cont"},
        {(void **)&my.fetch_column, "mysql_stmt_fetch_column"},
        {(void **)&my.store_start, "mysql_stmt_store_result_start"},
        {(void **)&my.store_cont, "mysql_stmt_store_result_cont"},
        {(void **)&my.stmt_close, "mysql_stmt_close"},
        {(void **)&my.stmt_errno, "mysql_stmt_errno"},
        {(void **)&my.stmt_error, "mysql_stmt_error"},
        {(void **)&my.stmt_sqlstate, "mysql_stmt_sqlstate"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(syms); i++) {
        *syms[i].slot = dlsym(lib, syms[i].name);
        if (*syms[i].slot == NULL) {
            snprintf(my_load_error, sizeof(my_load_error), "%s: no symbol %s", MARIADB_SONAME,
                     syms[i].name);
            return;
        }
    }
    if (my.library_init(0, NULL, NULL) != 0) {
        snprintf(my_load_error, sizeof(my_load_error), "%s: initialisation failed",
                 MARIADB_SONAME);
        return;
    }
    /* The authentication plugins MySQL 8 and MariaDB servers ask for load
     * from the library's plugin directory, which a container no longer
     * sees after pivot_root: load them now.  Missing ones only matter to
     * servers that ask for them. */
    MYSQL *m = my.init(NULL);
    static const char *const plugins[] = {"caching_sha2_password", "sha256_password",
                                          "client_ed25519"};
    for (size_t i = 0; m != NULL && i < UTIL_ARRAY_LEN(plugins); i++)
        my.load_plugin(m, plugins[i], AUTHENTICATION_PLUGIN, 0);
    if (m)
        my.close(m);
}

/* NULL when Connector/C is usable, else why not. */
static const char *my_ready(void)
{
    pthread_once(&my_once, my_load);
    return my_load_error[0] ? my_load_error : NULL;
}

void spinapi_mysql_preload(void)
{
    const char *why = my_ready();
    if (why)
        util_log_debug("mysql: %s", why);
}

/* ---- addresses ------------------------------------------------------------ */

/* A URL taken apart; pointers into the text, not NUL-terminated. */
typedef struct url_parts {
    const char *scheme, *userinfo, *host, *port, *path, *query;
    size_t scheme_len, userinfo_len, host_len, port_len, path_len, query_len;
    bool has_userinfo, has_port;
} url_parts;

static bool scheme_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (!first && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
}

/* scheme://[userinfo@]host[:port][/path][?query][#fragment]; false when
 * the text is not of that shape or has no host. */
static bool split_url(const char *s, size_t n, url_parts *u)
{
    memset(u, 0, sizeof(*u));
    size_t i = 0;
    while (i < n && scheme_char(s[i], i == 0))
        i++;
    if (i == 0 || i + 3 > n || memcmp(s + i, "://", 3) != 0)
        return false;
    u->scheme = s, u->scheme_len = i;
    const char *a = s + i + 3, *end = s + n;
    const char *auth_end = a;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
        auth_end++;
    const char *at = NULL;
    for (const char *p = a; p < auth_end; p++)
        if (*p == '@')
            at = p;
    const char *hp = a;
    if (at) {
        u->has_userinfo = true;
        u->userinfo = a, u->userinfo_len = (size_t)(at - a);
        hp = at + 1;
    }
    const char *port = NULL;
    if (hp < auth_end && *hp == '[') {
        const char *close = memchr(hp, ']', (size_t)(auth_end - hp));
        if (close == NULL)
            return false;
        u->host = hp + 1, u->host_len = (size_t)(close - hp - 1);
        if (close + 1 < auth_end) {
            if (close[1] != ':')
                return false;
            port = close + 2;
        }
    } else {
        const char *colon = memchr(hp, ':', (size_t)(auth_end - hp));
        u->host = hp;
        u->host_len = (size_t)((colon ? colon : auth_end) - hp);
        if (colon)
            port = colon + 1;
    }
    if (port) {
        u->has_port = true;
        u->port = port, u->port_len = (size_t)(auth_end - port);
    }
    if (u->host_len == 0)
        return false;
    for (size_t k = 0; k < u->host_len; k++)
        if ((unsigned char)u->host[k] <= ' ' || u->host[k] == '\\' || u->host[k] == '%')
            return false;
    const char *p = auth_end;
    if (p < end && *p == '/') {
        const char *q = p;
        while (q < end && *q != '?' && *q != '#')
            q++;
        u->path = p, u->path_len = (size_t)(q - p);
        p = q;
    }
    if (p < end && *p == '?') {
        const char *q = p + 1;
        while (q < end && *q != '#')
            q++;
        u->query = p + 1, u->query_len = (size_t)(q - p - 1);
    }
    return true;
}

/* The port text as a number; false when it is no port (the empty text is
 * "no port" and gives def). */
static bool port_number(const char *s, size_t n, uint16_t def, uint16_t *out)
{
    if (n == 0) {
        *out = def;
        return true;
    }
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 5)
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

static uint16_t well_known_port(const char *scheme, size_t n)
{
    static const struct {
        const char *scheme;
        uint16_t port;
    } ports[] = {{"postgres", 5432}, {"mysql", 3306}, {"redis", 6379}, {"mqtt", 1883},
                 {"http", 80},       {"https", 443}};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(ports); i++)
        if (strlen(ports[i].scheme) == n && strncasecmp(ports[i].scheme, scheme, n) == 0)
            return ports[i].port;
    return 0;
}

bool spinapi_outbound_url_allowed(const spinapi_component *c, const char *default_scheme,
                                  const char *address, size_t len)
{
    url_parts u;
    cleanup_free char *retry = NULL;
    if (memchr(address, '\0', len))
        return false;
    if (!split_url(address, len, &u)) {
        /* Spin tries "<scheme>://" + the text next. */
        retry = util_xasprintf("%s://%.*s", default_scheme, (int)len, address);
        if (!split_url(retry, strlen(retry), &u))
            return false;
    }
    char scheme[32], host[256];
    if (u.scheme_len >= sizeof(scheme) || u.host_len >= sizeof(host))
        return false;
    for (size_t i = 0; i < u.scheme_len; i++)
        scheme[i] = (char)(u.scheme[i] | 0x20);
    scheme[u.scheme_len] = '\0';
    memcpy(host, u.host, u.host_len);
    host[u.host_len] = '\0';
    uint16_t port;
    if (!port_number(u.port, u.port_len, well_known_port(u.scheme, u.scheme_len), &port) ||
        port == 0)
        return false;
    return c->outbound_allowed != NULL &&
           c->outbound_allowed(c->outbound_self, scheme, host, port);
}

/* What connecting needs, from a mysql:// URL (all malloc'd). */
typedef struct my_address {
    char *host, *user, *password, *db;
    uint16_t port;
    bool tls;
} my_address;

static void my_address_clear(my_address *a)
{
    free(a->host);
    free(a->user);
    free(a->password);
    free(a->db);
    memset(a, 0, sizeof(*a));
}

/* mysql_async's URL parameters (the pool's and the client's); those that
 * change nothing here are accepted and ignored. */
static const char *const known_params[] = {
    "pool_min", "pool_max", "inactive_connection_ttl", "ttl_check_interval", "conn_ttl",
    "abs_conn_ttl", "abs_conn_ttl_jitter", "tcp_keepalive", "tcp_nodelay", "stmt_cache_size",
    "prefer_socket", "compression", "secure_auth", "client_found_rows", "require_ssl",
    "verify_ca", "verify_identity", "built_in_roots", "reset_connection", "wait_timeout",
    "max_allowed_packet", "enable_cleartext_plugin", "setup",
};

static bool known_param(const char *k, size_t n)
{
    for (size_t i = 0; i < UTIL_ARRAY_LEN(known_params); i++)
        if (strlen(known_params[i]) == n && memcmp(known_params[i], k, n) == 0)
            return true;
    return false;
}

static int parse_query(const char *q, size_t n, my_address *a, char *msg, size_t size)
{
    const char *p = q, *end = q + n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        size_t klen = (size_t)((eq ? eq : pe) - p);
        const char *v = eq ? eq + 1 : pe;
        size_t vlen = (size_t)(pe - v);
        bool ssl_mode = (klen == 8 && strncasecmp(p, "ssl-mode", 8) == 0) ||
                        (klen == 7 && strncasecmp(p, "sslmode", 7) == 0);
        if (ssl_mode) {
            a->tls = a->tls || !(vlen == 8 && strncasecmp(v, "disabled", 8) == 0);
        } else if (klen == 6 && memcmp(p, "socket", 6) == 0) {
            snprintf(msg, size, "URL error: Unix sockets are not supported on WebAssembly");
            return -1;
        } else if (klen == 11 && memcmp(p, "require_ssl", 11) == 0) {
            a->tls = a->tls || (vlen == 4 && memcmp(v, "true", 4) == 0);
        } else if (klen > 0 && !known_param(p, klen)) {
            snprintf(msg, size, "URL error: Unknown connection URL parameter `%.*s'", (int)klen,
                     p);
            return -1;
        }
        p = amp ? amp + 1 : end;
    }
    return 0;
}

static int parse_address(const char *s, size_t n, my_address *a, char *msg, size_t size)
{
    url_parts u;
    memset(a, 0, sizeof(*a));
    if (memchr(s, '\0', n) || !split_url(s, n, &u))
        return snprintf(msg, size, "URL error: URL parse error: invalid MySQL URL `%.*s'",
                        (int)n, s), -1;
    if (u.scheme_len != 5 || strncasecmp(u.scheme, "mysql", 5) != 0)
        return snprintf(msg, size, "URL error: Unsupported scheme `%.*s' (expected `mysql')",
                        (int)u.scheme_len, u.scheme), -1;
    if (!port_number(u.port, u.port_len, 3306, &a->port) || a->port == 0)
        return snprintf(msg, size, "URL error: invalid port number `%.*s'", (int)u.port_len,
                        u.port), -1;
    const char *colon = u.has_userinfo ? memchr(u.userinfo, ':', u.userinfo_len) : NULL;
    size_t ulen = colon ? (size_t)(colon - u.userinfo) : u.userinfo_len;
    a->host = util_xstrndup(u.host, u.host_len);
    a->user = spinapi_percent_decode(u.userinfo ? u.userinfo : "", ulen);
    if (colon)
        a->password = spinapi_percent_decode(colon + 1, u.userinfo_len - ulen - 1);
    if (u.path_len > 1)
        a->db = spinapi_percent_decode(u.path + 1, u.path_len - 1);
    if (a->user == NULL || (colon && a->password == NULL) || (u.path_len > 1 && a->db == NULL))
        return snprintf(msg, size, "URL error: a bad %%-escape in the URL"), -1;
    return parse_query(u.query ? u.query : "", u.query_len, a, msg, size);
}

/* ---- waiting: the non-blocking API under the deadline --------------------- */

struct spinapi_mysql_conn {
    MYSQL *mysql;
    my_address addr;        /* for the connection that stops a query (kill_query) */
    unsigned long thread_id; /* the server's id of this session */
    uint64_t deadline_ns; /* of the operation in progress; 0 = none */
    uint64_t bound_ns;    /* a fixed bound of the operation (connecting) */
    bool timed_out;       /* an operation was abandoned: the protocol is lost */
    bool broken;
    char where[300]; /* host:port, for messages */
};

/* How long poll may wait (ms, -1 forever); -2 when the deadline passed. */
static int wait_budget(const spinapi_mysql_conn *m, int lib_timeout_ms)
{
    uint64_t until = m->deadline_ns;
    if (m->bound_ns && (until == 0 || m->bound_ns < until))
        until = m->bound_ns;
    if (until == 0)
        return lib_timeout_ms;
    uint64_t left = spinapi_ms_left(until);
    if (left == 0)
        return -2;
    if (left > INT32_MAX)
        left = INT32_MAX;
    return lib_timeout_ms >= 0 && (uint64_t)lib_timeout_ms < left ? lib_timeout_ms : (int)left;
}

/* Waits for what Connector/C asks (MYSQL_WAIT_*); the events that
 * happened, or -1 when the deadline passed first. */
static int wait_io(spinapi_mysql_conn *m, int status)
{
    int lib_timeout = status & MYSQL_WAIT_TIMEOUT ? (int)my.timeout_ms(m->mysql) : -1;
    for (;;) {
        int budget = wait_budget(m, lib_timeout);
        if (budget == -2)
            return -1;
        struct pollfd pfd = {.fd = my.get_socket(m->mysql)};
        if (pfd.fd < 0) /* nothing to wait on: poll would only sleep */
            return -1;
        if (status & MYSQL_WAIT_READ)
            pfd.events |= POLLIN;
        if (status & MYSQL_WAIT_WRITE)
            pfd.events |= POLLOUT;
        if (status & MYSQL_WAIT_EXCEPT)
            pfd.events |= POLLPRI;
        int rc = poll(&pfd, 1, budget);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc == 0) {
            if (budget == lib_timeout && wait_budget(m, -1) != -2)
                return MYSQL_WAIT_TIMEOUT; /* the library's own timeout */
            return -1;
        }
        int ev = 0;
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
            ev |= MYSQL_WAIT_READ;
        if (pfd.revents & (POLLOUT | POLLHUP | POLLERR))
            ev |= MYSQL_WAIT_WRITE;
        if (pfd.revents & POLLPRI)
            ev |= MYSQL_WAIT_EXCEPT;
        return ev;
    }
}

/* Runs start, then cont (which sees the events as ev_) until it is done
 * or the deadline passes (m->timed_out). */
#define NONBLOCKING(m, start, cont)                                                             \
    do {                                                                                        \
        int st_ = (start);                                                                      \
        while (st_ != 0) {                                                                      \
            int ev_ = wait_io((m), st_);                                                        \
            if (ev_ < 0) {                                                                      \
                (m)->timed_out = (m)->broken = true;                                            \
                break;                                                                          \
            }                                                                                   \
            st_ = (cont);                                                                       \
        }                                                                                       \
    } while (0)

/* ---- connecting ----------------------------------------------------------- */

static void close_mysql(spinapi_mysql_conn *m)
{
    if (m->mysql == NULL)
        return;
    /* A connection abandoned mid-operation must not wait for its server
     * while it says goodbye. */
    if (m->broken) {
        int fd = my.get_socket(m->mysql);
        if (fd >= 0)
            shutdown(fd, SHUT_RDWR);
    }
    my.close(m->mysql);
    m->mysql = NULL;
}

void spinapi_mysql_disconnect(spinapi_mysql_conn *m)
{
    if (m == NULL)
        return;
    close_mysql(m);
    my_address_clear(&m->addr);
    free(m);
}

/* A server error (code < 2000) as mysql_async prints it, else the
 * client's message as an I/O error. */
static void connect_error(const spinapi_mysql_conn *m, char *msg, size_t size)
{
    unsigned code = my.errno_(m->mysql);
    if (code > 0 && code < 2000)
        snprintf(msg, size, "ERROR %u (%s): %s", code, my.sqlstate(m->mysql), my.error(m->mysql));
    else
        snprintf(msg, size, "Input/output error: %s", my.error(m->mysql));
}

static void set_options(MYSQL *mysql, const my_address *a, unsigned timeout_s)
{
    unsigned protocol = MYSQL_PROTOCOL_TCP, no_infile = 0;
    my_bool on = 1;
    my.options(mysql, MYSQL_OPT_NONBLOCK, 0);
    my.options(mysql, MYSQL_OPT_PROTOCOL, &protocol);
    my.options(mysql, MYSQL_OPT_LOCAL_INFILE, &no_infile);
    my.options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout_s);
    my.options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (a->tls) {
        my.options(mysql, MYSQL_OPT_SSL_ENFORCE, &on);
        my.options(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    }
}

/* Opens m->mysql to m->addr under m's deadline and bound; 0, or -1 (see
 * m->timed_out, else the connector's error). */
static int open_mysql(spinapi_mysql_conn *m, unsigned timeout_ms)
{
    const my_address *a = &m->addr;
    if ((m->mysql = my.init(NULL)) == NULL)
        return -1;
    set_options(m->mysql, a, (timeout_ms + 999) / 1000);
    m->bound_ns = util_monotonic_ns() + (uint64_t)timeout_ms * 1000000;
    MYSQL *ret = NULL;
    NONBLOCKING(m,
                my.connect_start(&ret, m->mysql, a->host, a->user, a->password, a->db, a->port,
                                 NULL, 0),
                my.connect_cont(&ret, m->mysql, ev_));
    m->bound_ns = 0;
    if (m->timed_out || ret == NULL)
        return -1;
    m->thread_id = my.thread_id(m->mysql);
    return 0;
}

int spinapi_mysql_connect(const spinapi_component *c, uint64_t deadline_ns, const char *address,
                          size_t len, spinapi_mysql_conn **out, char *msg, size_t size)
{
    *out = NULL;
    if (!spinapi_outbound_url_allowed(c, "mysql", address, len))
        return snprintf(msg, size, "address %.*s is not permitted", (int)len, address), -1;
    const char *why = my_ready();
    if (why)
        return snprintf(msg, size, "%s", why), -1;
    spinapi_mysql_conn *m = util_xcalloc(1, sizeof(*m));
    if (parse_address(address, len, &m->addr, msg, size) < 0) {
        spinapi_mysql_disconnect(m);
        return -1;
    }
    snprintf(m->where, sizeof(m->where), "%s:%u", m->addr.host, m->addr.port);
    m->deadline_ns = deadline_ns;
    if (open_mysql(m, SPINAPI_MYSQL_CONNECT_TIMEOUT_MS) < 0) {
        if (m->timed_out)
            snprintf(msg, size, "Input/output error: %s: no connection before the %s", m->where,
                     deadline_ns && util_monotonic_ns() >= deadline_ns ? "request's deadline"
                                                                       : "connect timeout");
        else if (m->mysql)
            connect_error(m, msg, size);
        else
            snprintf(msg, size, "Input/output error: out of memory");
        spinapi_mysql_disconnect(m);
        return -1;
    }
    *out = m;
    return 0;
}

/* A statement the deadline cut off goes on running on the server: a
 * second session asks the server to stop it (KILL QUERY), within a short
 * bound.  Best effort: failing, it changes nothing for the guest. */
static void kill_query(const spinapi_mysql_conn *victim)
{
    if (victim->thread_id == 0)
        return;
    spinapi_mysql_conn k = {.addr = victim->addr};
    if (open_mysql(&k, SPINAPI_MYSQL_KILL_TIMEOUT_MS) == 0) {
        char sql[64];
        int n = snprintf(sql, sizeof(sql), "KILL QUERY %lu", victim->thread_id);
        int rc = 1;
        k.bound_ns = util_monotonic_ns() + (uint64_t)SPINAPI_MYSQL_KILL_TIMEOUT_MS * 1000000;
        NONBLOCKING(&k, my.query_start(&rc, k.mysql, sql, (unsigned long)n),
                    my.query_cont(&rc, k.mysql, ev_));
        if (rc != 0)
            util_log_debug("mysql %s: KILL QUERY %lu: %s", victim->where, victim->thread_id,
                           k.timed_out ? "no answer in time" : my.error(k.mysql));
    }
    k.broken = true; /* nothing more to say to the server */
    close_mysql(&k);
}

/* ---- statements ----------------------------------------------------------- */

/* s with " and \ escaped, as Rust's Debug prints a string. */
static void debug_quoted(const char *s, char *buf, size_t size)
{
    size_t o = 0;
    for (; *s && o + 3 < size; s++) {
        if (*s == '"' || *s == '\\')
            buf[o++] = '\\';
        buf[o++] = *s;
    }
    buf[o] = '\0';
}

/* query-failed with what went wrong, as Spin prints mysql_async's error
 * (Debug): a server error with its code, message and state, or the
 * client's failure; the deadline when it passed. */
static int stmt_failed(spinapi_mysql_conn *m, MYSQL_STMT *stmt, int *error_case, char *msg,
                       size_t size)
{
    *error_case = SPINAPI_RDBMS_QUERY_FAILED;
    if (m->timed_out)
        return snprintf(msg, size, "Io(%s: the request's deadline has passed)", m->where), -1;
    unsigned code = stmt ? my.stmt_errno(stmt) : my.errno_(m->mysql);
    const char *text = stmt ? my.stmt_error(stmt) : my.error(m->mysql);
    const char *state = stmt ? my.stmt_sqlstate(stmt) : my.sqlstate(m->mysql);
    char quoted[600];
    debug_quoted(text, quoted, sizeof(quoted));
    if (code > 0 && code < 2000)
        snprintf(msg, size, "Server(ServerError { code: %u, message: \"%s\", state: \"%s\" })",
                 code, quoted, state);
    else {
        m->broken = m->broken || code == CR_SERVER_LOST || code == CR_SERVER_GONE_ERROR;
        snprintf(msg, size, "Io(%s)", text[0] ? text : "connection failed");
    }
    return -1;
}

/* The parameters as Connector/C binds them, with mysql_async's types:
 * signed integers and booleans as BIGINT, unsigned as BIGINT UNSIGNED,
 * floats as FLOAT / DOUBLE, str as a string, binary as a blob. */
static MYSQL_BIND *bind_params(const spinapi_rdbms_value *p, size_t n, int64_t *ints,
                               double *dbls, float *flts)
{
    MYSQL_BIND *b = util_xcalloc(n ? n : 1, sizeof(*b));
    for (size_t i = 0; i < n; i++) {
        switch (p[i].kind) {
        case SPINAPI_RDBMS_BOOLEAN:
            ints[i] = p[i].of.b;
            b[i].buffer_type = MYSQL_TYPE_LONGLONG, b[i].buffer = &ints[i];
            break;
        case SPINAPI_RDBMS_INT8: case SPINAPI_RDBMS_INT16: case SPINAPI_RDBMS_INT32:
        case SPINAPI_RDBMS_INT64:
            ints[i] = p[i].of.s;
            b[i].buffer_type = MYSQL_TYPE_LONGLONG, b[i].buffer = &ints[i];
            break;
        case SPINAPI_RDBMS_UINT8: case SPINAPI_RDBMS_UINT16: case SPINAPI_RDBMS_UINT32:
        case SPINAPI_RDBMS_UINT64:
            ints[i] = (int64_t)p[i].of.u;
            b[i].buffer_type = MYSQL_TYPE_LONGLONG, b[i].buffer = &ints[i];
            b[i].is_unsigned = 1;
            break;
        case SPINAPI_RDBMS_FLOATING32:
            flts[i] = p[i].of.f32;
            b[i].buffer_type = MYSQL_TYPE_FLOAT, b[i].buffer = &flts[i];
            break;
        case SPINAPI_RDBMS_FLOATING64:
            dbls[i] = p[i].of.f64;
            b[i].buffer_type = MYSQL_TYPE_DOUBLE, b[i].buffer = &dbls[i];
            break;
        case SPINAPI_RDBMS_STR:
        case SPINAPI_RDBMS_BINARY:
            b[i].buffer_type = p[i].kind == SPINAPI_RDBMS_STR ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
            b[i].buffer = (void *)(p[i].of.bytes.len ? p[i].of.bytes.ptr : (const uint8_t *)"");
            b[i].buffer_length = p[i].of.bytes.len;
            b[i].length_value = p[i].of.bytes.len;
            b[i].length = &b[i].length_value;
            break;
        default:
            b[i].buffer_type = MYSQL_TYPE_NULL;
            break;
        }
    }
    return b;
}

/* What Spin's mapping makes of a column. */
static spinapi_rdbms_kind column_kind(const MYSQL_FIELD *f)
{
    bool uns = f->flags & UNSIGNED_FLAG, bin = f->flags & BINARY_FLAG;
    switch (f->type) {
    case MYSQL_TYPE_DOUBLE: return SPINAPI_RDBMS_FLOATING64;
    case MYSQL_TYPE_FLOAT: return SPINAPI_RDBMS_FLOATING32;
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG: return uns ? SPINAPI_RDBMS_UINT32 : SPINAPI_RDBMS_INT32;
    case MYSQL_TYPE_LONGLONG: return uns ? SPINAPI_RDBMS_UINT64 : SPINAPI_RDBMS_INT64;
    case MYSQL_TYPE_SHORT: return uns ? SPINAPI_RDBMS_UINT16 : SPINAPI_RDBMS_INT16;
    case MYSQL_TYPE_TINY: return uns ? SPINAPI_RDBMS_UINT8 : SPINAPI_RDBMS_INT8;
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VAR_STRING: return bin ? SPINAPI_RDBMS_BINARY : SPINAPI_RDBMS_STR;
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB: return SPINAPI_RDBMS_BINARY;
    default: return SPINAPI_RDBMS_OTHER;
    }
}

void spinapi_mysql_rows_clear(spinapi_mysql_rows *rows)
{
    if (rows == NULL)
        return;
    for (size_t i = 0; i < rows->ncols; i++)
        free(rows->names[i]);
    for (size_t i = 0; rows->values && i < rows->nrows * rows->ncols; i++)
        if (rows->values[i].kind == SPINAPI_RDBMS_STR ||
            rows->values[i].kind == SPINAPI_RDBMS_BINARY)
            free((void *)rows->values[i].of.bytes.ptr);
    free(rows->names);
    free(rows->types);
    free(rows->values);
    memset(rows, 0, sizeof(*rows));
}

/* One fetched row's buffers, per column. */
typedef struct fetch_buf {
    MYSQL_BIND *bind;
    union {
        int64_t i;
        float f;
        double d;
    } *num;
    unsigned long *len;
    my_bool *null, *error;
} fetch_buf;

static void fetch_buf_free(fetch_buf *fb)
{
    free(fb->bind);
    free(fb->num);
    free(fb->len);
    free(fb->null);
    free(fb->error);
}

/* Numbers into their own slots; everything else reports only its length
 * (fetched whole by fetch_column after). */
static void bind_results(fetch_buf *fb, const spinapi_rdbms_kind *types, const MYSQL_FIELD *f,
                         size_t n)
{
    fb->bind = util_xcalloc(n, sizeof(*fb->bind));
    fb->num = util_xcalloc(n, sizeof(*fb->num));
    fb->len = util_xcalloc(n, sizeof(*fb->len));
    fb->null = util_xcalloc(n, sizeof(*fb->null));
    fb->error = util_xcalloc(n, sizeof(*fb->error));
    for (size_t i = 0; i < n; i++) {
        MYSQL_BIND *b = &fb->bind[i];
        b->length = &fb->len[i], b->is_null = &fb->null[i], b->error = &fb->error[i];
        switch (types[i]) {
        case SPINAPI_RDBMS_FLOATING32:
            b->buffer_type = MYSQL_TYPE_FLOAT, b->buffer = &fb->num[i].f;
            break;
        case SPINAPI_RDBMS_FLOATING64:
            b->buffer_type = MYSQL_TYPE_DOUBLE, b->buffer = &fb->num[i].d;
            break;
        case SPINAPI_RDBMS_STR: case SPINAPI_RDBMS_BINARY: case SPINAPI_RDBMS_OTHER:
            b->buffer_type = types[i] == SPINAPI_RDBMS_OTHER ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
            break;
        default: /* the integers */
            b->buffer_type = MYSQL_TYPE_LONGLONG, b->buffer = &fb->num[i].i;
            b->is_unsigned = (f[i].flags & UNSIGNED_FLAG) != 0;
            break;
        }
    }
}

static bool valid_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (k == 0 || i + k > n)
            return false;
        uint32_t cp = k == 1 ? c : (uint32_t)(c & (0x7f >> k));
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k;
    }
    return true;
}

/* One cell of the fetched row into v; 0, or -1 with *error_case and msg. */
static int take_cell(MYSQL_STMT *stmt, fetch_buf *fb, size_t col, spinapi_rdbms_kind type,
                     const MYSQL_FIELD *f, spinapi_rdbms_value *v, size_t *bytes,
                     int *error_case, char *msg, size_t size)
{
    if (fb->null[col]) {
        v->kind = SPINAPI_RDBMS_DB_NULL;
        return 0;
    }
    v->kind = type;
    int64_t x = fb->num[col].i;
    uint64_t ux = (uint64_t)x;
    bool uns = (f->flags & UNSIGNED_FLAG) != 0;
    static const struct {
        int64_t lo, hi;
    } srange[] = {[SPINAPI_RDBMS_INT8] = {INT8_MIN, INT8_MAX},
                  [SPINAPI_RDBMS_INT16] = {INT16_MIN, INT16_MAX},
                  [SPINAPI_RDBMS_INT32] = {INT32_MIN, INT32_MAX},
                  [SPINAPI_RDBMS_INT64] = {INT64_MIN, INT64_MAX}};
    static const uint64_t umax[] = {[SPINAPI_RDBMS_UINT8] = UINT8_MAX,
                                    [SPINAPI_RDBMS_UINT16] = UINT16_MAX,
                                    [SPINAPI_RDBMS_UINT32] = UINT32_MAX,
                                    [SPINAPI_RDBMS_UINT64] = UINT64_MAX};
    *bytes += sizeof(*v);
    switch (type) {
    case SPINAPI_RDBMS_INT8: case SPINAPI_RDBMS_INT16: case SPINAPI_RDBMS_INT32:
    case SPINAPI_RDBMS_INT64:
        if ((uns && ux > (uint64_t)srange[type].hi) || (!uns && (x < srange[type].lo || x > srange[type].hi)))
            goto out_of_range;
        v->of.s = x;
        return 0;
    case SPINAPI_RDBMS_UINT8: case SPINAPI_RDBMS_UINT16: case SPINAPI_RDBMS_UINT32:
    case SPINAPI_RDBMS_UINT64:
        if ((!uns && x < 0) || ux > umax[type])
            goto out_of_range;
        v->of.u = ux;
        return 0;
    case SPINAPI_RDBMS_FLOATING32: v->of.f32 = fb->num[col].f; return 0;
    case SPINAPI_RDBMS_FLOATING64: v->of.f64 = fb->num[col].d; return 0;
    default: break;
    }
    /* Text and bytes: their whole length, then the data. */
    size_t len = fb->len[col];
    uint8_t *data = util_xmalloc(len + 1);
    MYSQL_BIND b = {.buffer_type = fb->bind[col].buffer_type, .buffer = data,
                    .buffer_length = len + 1, .length = &fb->len[col]};
    if (len > 0 && my.fetch_column(stmt, &b, (unsigned)col, 0) != 0) {
        free(data);
        *error_case = SPINAPI_RDBMS_OTHER_ERROR;
        return snprintf(msg, size, "column %s: %s", f->name, my.stmt_error(stmt)), -1;
    }
    data[len] = '\0';
    *bytes += len;
    if (type == SPINAPI_RDBMS_OTHER) {
        *error_case = SPINAPI_RDBMS_VALUE_CONVERSION_FAILED;
        snprintf(msg, size, "Cannot convert value Bytes(\"%.*s\") in column %s data type Other",
                 (int)(len < 200 ? len : 200), (const char *)data, f->name);
        free(data);
        return -1;
    }
    if (type == SPINAPI_RDBMS_STR && !valid_utf8(data, len)) {
        free(data);
        *error_case = SPINAPI_RDBMS_VALUE_CONVERSION_FAILED;
        return snprintf(msg, size, "Couldn't convert the value `Bytes(..)` of column %s to a "
                                   "desired type (it is not UTF-8)", f->name), -1;
    }
    v->of.bytes.ptr = data, v->of.bytes.len = len;
    return 0;
out_of_range:
    v->kind = SPINAPI_RDBMS_DB_NULL;
    *error_case = SPINAPI_RDBMS_VALUE_CONVERSION_FAILED;
    if (uns)
        snprintf(msg, size, "Couldn't convert the value `UInt(%llu)` to a desired type",
                 (unsigned long long)ux);
    else
        snprintf(msg, size, "Couldn't convert the value `Int(%lld)` to a desired type",
                 (long long)x);
    return -1;
}

/* Fetches every row of an executed statement into rows. */
static int fetch_rows(spinapi_mysql_conn *m, MYSQL_STMT *stmt, MYSQL_RES *meta,
                      spinapi_mysql_rows *rows, int *error_case, char *msg, size_t size)
{
    size_t n = my.num_fields(meta);
    MYSQL_FIELD *f = my.fetch_fields(meta);
    rows->ncols = n;
    rows->names = util_xcalloc(n ? n : 1, sizeof(*rows->names));
    rows->types = util_xcalloc(n ? n : 1, sizeof(*rows->types));
    for (size_t i = 0; i < n; i++) {
        rows->names[i] = util_xstrndup(f[i].name, f[i].name_length);
        rows->types[i] = column_kind(&f[i]);
    }
    if (n == 0)
        return 0;
    fetch_buf fb = {0};
    bind_results(&fb, rows->types, f, n);
    int rc = -1;
    if (my.bind_result(stmt, fb.bind) != 0) {
        stmt_failed(m, stmt, error_case, msg, size);
        goto out;
    }
    size_t cap = 0, bytes = 0;
    for (;;) {
        int fr = 1;
        NONBLOCKING(m, my.fetch_start(&fr, stmt), my.fetch_cont(&fr, stmt, ev_));
        if (m->timed_out || fr == 1) {
            stmt_failed(m, stmt, error_case, msg, size);
            goto out;
        }
        if (fr == MYSQL_NO_DATA)
            break;
        if (rows->nrows == cap) {
            cap = cap ? cap * 2 : 16;
            rows->values = util_xrealloc(rows->values, cap * n * sizeof(*rows->values));
        }
        spinapi_rdbms_value *row = &rows->values[rows->nrows * n];
        memset(row, 0, n * sizeof(*row));
        rows->nrows++;
        for (size_t c = 0; c < n; c++)
            if (take_cell(stmt, &fb, c, rows->types[c], &f[c], &row[c], &bytes, error_case, msg,
                          size) < 0)
                goto out;
        if (bytes > SPINAPI_MYSQL_MAX_RESULT_BYTES) {
            *error_case = SPINAPI_RDBMS_OTHER_ERROR;
            snprintf(msg, size, "query result exceeds limit of %zu bytes",
                     SPINAPI_MYSQL_MAX_RESULT_BYTES);
            goto out;
        }
    }
    rc = 0;
out:
    fetch_buf_free(&fb);
    return rc;
}

/* A statement's result that execute does not want, read to its end. */
static int discard_rows(spinapi_mysql_conn *m, MYSQL_STMT *stmt, int *error_case, char *msg,
                        size_t size)
{
    int sr = 1;
    NONBLOCKING(m, my.store_start(&sr, stmt), my.store_cont(&sr, stmt, ev_));
    if (m->timed_out || sr != 0)
        return stmt_failed(m, stmt, error_case, msg, size);
    return 0;
}

static void close_stmt(spinapi_mysql_conn *m, MYSQL_STMT *stmt)
{
    if (m->broken) {
        /* Closing would talk to the server: cut the socket first. */
        int fd = my.get_socket(m->mysql);
        if (fd >= 0)
            shutdown(fd, SHUT_RDWR);
    }
    my.stmt_close(stmt);
}

int spinapi_mysql_run(spinapi_mysql_conn *m, uint64_t deadline_ns, const char *sql, size_t len,
                      const spinapi_rdbms_value *params, size_t nparams, spinapi_mysql_rows *rows,
                      int *error_case, char *msg, size_t size)
{
    if (rows)
        memset(rows, 0, sizeof(*rows));
    *error_case = SPINAPI_RDBMS_QUERY_FAILED;
    if (m->broken)
        return snprintf(msg, size, "Io(%s: the connection is broken)", m->where), -1;
    m->deadline_ns = deadline_ns;
    if (deadline_ns && util_monotonic_ns() >= deadline_ns)
        return snprintf(msg, size, "Io(%s: the request's deadline has passed)", m->where), -1;
    MYSQL_STMT *stmt = my.stmt_init(m->mysql);
    if (stmt == NULL)
        return stmt_failed(m, NULL, error_case, msg, size);
    int rc = -1, prc = 1;
    MYSQL_RES *meta = NULL;
    int64_t *ints = util_xcalloc(nparams ? nparams : 1, sizeof(*ints));
    double *dbls = util_xcalloc(nparams ? nparams : 1, sizeof(*dbls));
    float *flts = util_xcalloc(nparams ? nparams : 1, sizeof(*flts));
    MYSQL_BIND *bind = bind_params(params, nparams, ints, dbls, flts);
    NONBLOCKING(m, my.prepare_start(&prc, stmt, sql, (unsigned long)len),
                my.prepare_cont(&prc, stmt, ev_));
    if (m->timed_out || prc != 0) {
        stmt_failed(m, stmt, error_case, msg, size);
        goto out;
    }
    unsigned long want = my.param_count(stmt);
    if (want != nparams) {
        snprintf(msg, size, "Driver(StmtParamsMismatch { required: %lu, supplied: %zu })", want,
                 nparams);
        goto out;
    }
    if (nparams && my.bind_param(stmt, bind) != 0) {
        stmt_failed(m, stmt, error_case, msg, size);
        goto out;
    }
    int erc = 1;
    NONBLOCKING(m, my.execute_start(&erc, stmt), my.execute_cont(&erc, stmt, ev_));
    if (m->timed_out || erc != 0) {
        stmt_failed(m, stmt, error_case, msg, size);
        goto out;
    }
    meta = my.result_metadata(stmt);
    if (meta == NULL) /* no result set: an empty row set */
        rc = 0;
    else if (rows)
        rc = fetch_rows(m, stmt, meta, rows, error_case, msg, size);
    else
        rc = discard_rows(m, stmt, error_case, msg, size);
out:
    if (meta)
        my.free_result(meta);
    if (m->timed_out && deadline_ns)
        kill_query(m);
    close_stmt(m, stmt);
    free(bind);
    free(ints);
    free(dbls);
    free(flts);
    if (rc < 0 && rows)
        spinapi_mysql_rows_clear(rows);
    return rc;
}

/* ---- Spin 1's connection-less calls ------------------------------------------ */

int spinapi_mysql_oneshot(spinapi_component *c, uint64_t deadline_ns, const char *address,
                          size_t address_len, const char *statement, size_t statement_len,
                          const spinapi_rdbms_value *params, size_t nparams,
                          spinapi_mysql_rows *rows, int *error_case, util_error **err)
{
    char msg[1024];
    spinapi_mysql_conn *m = NULL;
    if (spinapi_mysql_connect(c, deadline_ns, address, address_len, &m, msg, sizeof(msg)) < 0) {
        *error_case = SPINAPI_RDBMS_CONNECTION_FAILED;
        return util_error_set(err, 0, "%s", msg);
    }
    int rc = spinapi_mysql_run(m, deadline_ns, statement, statement_len, params, nparams, rows,
                               error_case, msg, sizeof(msg));
    spinapi_mysql_disconnect(m);
    if (rc < 0)
        return util_error_set(err, 0, "%s", msg);
    return 0;
}
