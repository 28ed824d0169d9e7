/*
 * http_conn_guard.c - protections around libmicrohttpd 0.9.75 (Debian 12's)
 * that none of its options give, one per measured misbehaviour
 * (tests/spin/test_http_framing.c shows each):
 *
 *  - A head that arrives a byte at a time is never timed out: the library's
 *    connection timeout is an idle timeout.  A watchdog thread answers 408
 *    and closes a connection whose request head is not complete
 *    head_timeout_ms after it was accepted; on a keep-alive connection the
 *    next head gets the idle timeout plus head_timeout_ms after the previous
 *    response, and head_timeout_ms after its request line.
 *  - A TLS ClientHello sent to the plain port waits for a line end that
 *    never comes.  With TCP_DEFER_ACCEPT the first bytes are already in the
 *    socket when the library reports a connection; one that cannot start
 *    an HTTP request closes it at once.
 *  - When the library refuses a head from its header pass (a malformed or
 *    too large Content-Length, cookies that overflow its memory pool), its
 *    state machine builds the error response twice: two status lines go
 *    out.  Its only signal is the log message "Error processing request
 *    (HTTP response code is N ...)", written before any of it is built, on
 *    the thread that owns the connection.  We find which connection that
 *    is, send one response ourselves and shut the socket for writing, so the
 *    library's copies fail to send and it closes the connection.
 *  - Every query parameter costs the library a 56-byte record in the
 *    connection's memory pool; ~1,200 of them exhaust it, and it then loses
 *    the error it queued and waits forever.  We never use its parsed
 *    arguments (Spin gets the raw target), so the request-line hook ends
 *    the query string in the library's buffer before the library splits it.
 *  - It NUL-terminates field values in place, so "X: a<NUL>b" reads as
 *    "a", and a NUL in the target cuts the target short.  Its parsed
 *    strings point into its read buffer, where the head lies in order: a
 *    gap after a value that holds more than a line end means bytes after a
 *    NUL.  Reading the buffer this way depends on 0.9's layout, so it runs
 *    only when the loaded library reports a 0.9 version.
 *
 * Strict mode (MHD_OPTION_STRICT_FOR_CLIENT) is not used: in 0.9.75 level 1
 * answers a missing Host through the same doubled response and closes on a
 * space in the target without answering, and the whitespace-before-colon
 * check runs only at level -1, which is otherwise more lenient.
 * http_request_check.c does those checks.
 *
 * Connections live in a locked list (I/O threads and the watchdog use it);
 * each entry is the connection's socket_context.  The library sends the
 * closed notification before it closes the socket, and the entry leaves
 * the list under the lock then, so the watchdog never shuts down a
 * descriptor number that was reused.
 */
#include "http_conn_guard.h"
#include "http_request_check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* After we answered and shut the socket for writing, how long the client
 * has to read the answer before we stop reading too (the library then
 * closes the connection). */
#define LINGER_NS (2000ull * 1000000ull)

typedef enum {
    CONN_WAITING, /* no request line yet */
    CONN_HEAD,    /* request line seen, head not complete */
    CONN_BODY,    /* head complete: the request is http_server.c's */
} conn_phase;

typedef struct guarded_conn {
    struct MHD_Connection *conn;
    int fd;
    pthread_t io_thread; /* the library thread that owns the connection */
    conn_phase phase;
    uint64_t head_deadline;   /* monotonic ns, 0 = none */
    uint64_t linger_deadline; /* monotonic ns, 0 = none */
    bool answered;            /* we sent the final answer ourselves */
    char client[INET6_ADDRSTRLEN + 16];
    struct guarded_conn *prev, *next;
} guarded_conn;

struct spin_http_guard {
    const spin_mhd_api *mhd;
    unsigned head_timeout_ms;
    uint64_t head_ns, idle_ns, period_ns;
    bool buffer_layout_known;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* CLOCK_MONOTONIC */
    pthread_t watchdog;
    bool watchdog_started, stopping;
    guarded_conn *conns;
};

static void client_text(const struct sockaddr *sa, char *out, size_t size)
{
    char ip[INET6_ADDRSTRLEN] = "unknown";
    unsigned port = 0;
    bool v6 = false;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
        port = ntohs(s4->sin_port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        port = ntohs(s6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], ip, sizeof(ip));
        } else {
            inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
            v6 = true;
        }
    }
    if (v6)
        snprintf(out, size, "[%s]:%u", ip, port);
    else
        snprintf(out, size, "%s:%u", ip, port);
}

static guarded_conn *conn_of(spin_http_guard *g, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        g->mhd->get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Sends a whole response of our own, then shuts the socket for writing:
 * the client reads it and the end of the connection; whatever the library
 * still sends fails, and it closes.  Caller holds the lock. */
static void answer_and_close(guarded_conn *c, unsigned status, const char *why)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf),
                     "HTTP/1.1 %u %s\r\nConnection: close\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n\r\n%s\n",
                     status, spin_http_reason((int)status), strlen(why) + 1, why);
    if (n > 0 && (size_t)n < sizeof(buf))
        (void)send(c->fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(c->fd, SHUT_WR);
    c->answered = true;
    c->head_deadline = 0;
    c->linger_deadline = util_monotonic_ns() + LINGER_NS;
}

/* A request starts with a method (a token), or with the empty lines
 * RFC 9112 2.2 lets a server skip. */
static bool could_start_request(unsigned char c)
{
    return c == '\r' || c == '\n' || spin_http_token_char(c);
}

/* Caller holds the lock. */
static void refuse_non_http(guarded_conn *c)
{
    unsigned char first;
    if (c->fd < 0 || recv(c->fd, &first, 1, MSG_PEEK | MSG_DONTWAIT) != 1 ||
        could_start_request(first))
        return;
    if (first == 0x16)
        util_log_warn("http: closing the connection from %s: it starts a TLS handshake "
                      "(https:// to a plain-HTTP port?)",
                      c->client);
    else
        util_log_warn("http: closing the connection from %s: first byte 0x%02x cannot start "
                      "an HTTP request",
                      c->client, first);
    /* Both directions: the library then sees a hang-up and closes. */
    shutdown(c->fd, SHUT_RDWR);
    c->answered = true;
    c->head_deadline = 0;
}

void spin_http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                            enum MHD_ConnectionNotificationCode code)
{
    spin_http_guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        guarded_conn *c = util_xcalloc(1, sizeof(*c));
        c->conn = conn;
        c->io_thread = pthread_self();
        c->phase = CONN_WAITING;
        const union MHD_ConnectionInfo *ci =
            g->mhd->get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c->fd = ci ? ci->connect_fd : -1;
        ci = g->mhd->get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        client_text(ci ? ci->client_addr : NULL, c->client, sizeof(c->client));
        c->head_deadline = util_monotonic_ns() + g->head_ns;
        *socket_context = c;
        pthread_mutex_lock(&g->lock);
        c->next = g->conns;
        if (g->conns)
            g->conns->prev = c;
        g->conns = c;
        refuse_non_http(c);
        pthread_mutex_unlock(&g->lock);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        guarded_conn *c = *socket_context;
        if (!c)
            return;
        pthread_mutex_lock(&g->lock);
        if (c->prev)
            c->prev->next = c->next;
        else
            g->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        pthread_mutex_unlock(&g->lock);
        *socket_context = NULL;
        free(c);
    }
}

void spin_http_guard_request_line(spin_http_guard *g, struct MHD_Connection *conn,
                                  const char *uri)
{
    /* The library calls the URI log callback between finding the '?' and
     * splitting what follows into its argument records; an empty string
     * there leaves nothing to split (see the file comment).  The buffer is
     * the library's writable read buffer, handed to us as const. */
    char *q = uri ? strchr(uri, '?') : NULL;
    if (q)
        q[1] = '\0';
    guarded_conn *c = conn_of(g, conn);
    if (!c)
        return;
    pthread_mutex_lock(&g->lock);
    c->phase = CONN_HEAD;
    uint64_t deadline = util_monotonic_ns() + g->head_ns;
    if (!c->answered && (!c->head_deadline || deadline < c->head_deadline))
        c->head_deadline = deadline;
    pthread_mutex_unlock(&g->lock);
}

void spin_http_guard_request_done(spin_http_guard *g, struct MHD_Connection *conn)
{
    guarded_conn *c = conn_of(g, conn);
    if (!c)
        return;
    pthread_mutex_lock(&g->lock);
    c->phase = CONN_WAITING;
    if (!c->answered)
        c->head_deadline = util_monotonic_ns() + g->idle_ns + g->head_ns;
    pthread_mutex_unlock(&g->lock);
}

/* ---- the request head ---------------------------------------------------- */

typedef struct field_list {
    spin_http_field *items;
    size_t len;
} field_list;

static enum MHD_Result collect_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    field_list *fl = cls;
    fl->items = util_xrealloc(fl->items, (fl->len + 1) * sizeof(spin_http_field));
    fl->items[fl->len] = (spin_http_field){key, strlen(key), value ? value : "",
                                           value ? strlen(value) : 0};
    fl->len++;
    (void)kind;
    return MHD_YES;
}

static void refuse_layout(spin_http_verdict *v, const char *fmt, const spin_http_field *f)
{
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)(f->name_len < 40 ? f->name_len : 40), f->name);
    for (char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    v->status = 400;
    snprintf(v->reason, sizeof(v->reason), fmt, name);
}

/* What the library's NUL-terminated strings hide, read from where they lie
 * in its buffer (0.9 layout: the head starts at `method`, field names and
 * values point into it in order, and every line end became NUL bytes: one
 * for LF, two for CRLF).  Sets v->status on a finding. */
static void check_buffer_layout(spin_http_guard *g, struct MHD_Connection *conn,
                                const char *method, const char *version, const char *uri,
                                const char *target, const field_list *fl, spin_http_verdict *v)
{
    const union MHD_ConnectionInfo *ci =
        g->mhd->get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (!ci)
        return;
    uintptr_t head = (uintptr_t)method, end = head + ci->header_size;
    uintptr_t u = (uintptr_t)uri, ver = (uintptr_t)version;
    if (!(head < u && u < ver && ver < end))
        return; /* not the layout this reading assumes */
    /* The target runs from `uri` to the space before the version. */
    size_t seen = strlen(target);
    if (ver - 1 - u > seen) {
        v->status = 400;
        snprintf(v->reason, sizeof(v->reason), "request target has a NUL byte at offset %zu",
                 seen);
        return;
    }
    for (size_t i = 0; i < fl->len; i++) {
        const spin_http_field *f = &fl->items[i];
        uintptr_t name = (uintptr_t)f->name, value = (uintptr_t)f->value;
        /* 0.9 moves the name of a folded line (obs-fold) out of the buffer,
         * with the continuation appended to it. */
        if (name <= ver || name >= end || value < name || value > end) {
            refuse_layout(v, "a folded header line (obs-fold) in header '%s'", f);
            return;
        }
    }
    for (size_t i = 0; i < fl->len; i++) {
        const spin_http_field *f = &fl->items[i];
        uintptr_t vend = (uintptr_t)f->value + f->value_len;
        bool last = i + 1 == fl->len;
        uintptr_t next = last ? end : (uintptr_t)fl->items[i + 1].name;
        /* A line end, plus the empty line's after the last field. */
        size_t most = last ? 4 : 2;
        bool hidden = next <= vend || next - vend > most;
        for (const char *p = f->value + f->value_len; !hidden && (uintptr_t)p < next; p++)
            hidden = *p != '\0';
        if (hidden) {
            refuse_layout(v, "a NUL byte in the value of header '%s'", f);
            return;
        }
    }
}

unsigned spin_http_guard_check_head(spin_http_guard *g, struct MHD_Connection *conn,
                                    const char *method, const char *version, const char *uri,
                                    const char *target, char **origin, char **authority)
{
    *origin = *authority = NULL;
    guarded_conn *c = conn_of(g, conn);
    if (c) {
        pthread_mutex_lock(&g->lock);
        c->phase = CONN_BODY;
        c->head_deadline = 0;
        bool answered = c->answered;
        pthread_mutex_unlock(&g->lock);
        if (answered) /* the watchdog's 408 went out already */
            return 408;
    }
    field_list fl = {0};
    g->mhd->get_connection_values(conn, MHD_HEADER_KIND, collect_field, &fl);
    spin_http_verdict v = {0};
    if (g->buffer_layout_known)
        check_buffer_layout(g, conn, method, version, uri, target, &fl, &v);
    if (!v.status) {
        spin_http_head h = {
            .method = method,
            .target = target,
            .target_len = strlen(target),
            .http11 = strcmp(version, "HTTP/1.0") != 0,
            .fields = fl.items,
            .nfields = fl.len,
        };
        spin_http_check_head(&h, &v);
    }
    free(fl.items);
    if (v.status) {
        unsigned status = v.status;
        util_log_warn("http: refused a request from %s with %u: %s",
                      c ? c->client : "an unknown client", status, v.reason);
        spin_http_verdict_clear(&v);
        return status;
    }
    *origin = v.origin;
    *authority = v.authority;
    return 0;
}

/* ---- the library's own refusals ----------------------------------------- */

/* The text of the library's HTML error page, for the log and our answer. */
static void page_text(const char *page, char *out, size_t size)
{
    const char *p = page ? strstr(page, "<body>") : NULL;
    p = p ? p + 6 : (page ? page : "");
    size_t o = 0;
    bool in_tag = false;
    for (; *p && o + 1 < size; p++) {
        if (strncmp(p, "</body>", 7) == 0)
            break;
        if (*p == '<')
            in_tag = true;
        else if (*p == '>')
            in_tag = false;
        else if (!in_tag)
            out[o++] = (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f ? *p : ' ';
    }
    out[o] = '\0';
}

/* The connection the library is refusing now.  It logs on the thread that
 * owns the connection, which is not suspended, before it queues anything.
 * From its header pass (the case that needs us) that connection is the
 * only one whose head is complete, with no response queued, that our
 * access handler has not seen: any other such one goes on to the handler
 * in the same pass, or errs and gets a response.  From anywhere else it is
 * known only if it is the thread's only connection that is not suspended.
 * Caller holds the lock. */
static guarded_conn *erring_connection(spin_http_guard *g)
{
    pthread_t self = pthread_self();
    guarded_conn *head_done = NULL, *active = NULL;
    size_t nhead_done = 0, nactive = 0;
    for (guarded_conn *c = g->conns; c; c = c->next) {
        if (!pthread_equal(c->io_thread, self) || c->answered)
            continue;
        const union MHD_ConnectionInfo *ci =
            g->mhd->get_connection_info(c->conn, MHD_CONNECTION_INFO_CONNECTION_SUSPENDED);
        if (ci && ci->suspended == MHD_YES)
            continue;
        active = c;
        nactive++;
        if (c->phase == CONN_HEAD &&
            g->mhd->get_connection_info(c->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE) &&
            !g->mhd->get_connection_info(c->conn, MHD_CONNECTION_INFO_HTTP_STATUS)) {
            head_done = c;
            nhead_done++;
        }
    }
    if (nhead_done == 1)
        return head_done;
    return nactive == 1 ? active : NULL;
}

bool spin_http_guard_mhd_log(spin_http_guard *g, const char *fmt, va_list ap)
{
    if (!strstr(fmt, "HTTP response code is %u"))
        return false;
    va_list args;
    va_copy(args, ap);
    unsigned status = va_arg(args, unsigned);
    const char *page = va_arg(args, const char *);
    va_end(args);
    char why[160];
    page_text(page, why, sizeof(why));
    pthread_mutex_lock(&g->lock);
    guarded_conn *c = erring_connection(g);
    if (c) {
        util_log_warn("http: refused a request from %s with %u: %s", c->client, status, why);
        answer_and_close(c, status, why);
    } else {
        /* Not known which: the library answers (once, on these paths). */
        util_log_warn("http: refused a request with %u: %s", status, why);
    }
    pthread_mutex_unlock(&g->lock);
    return true;
}

/* ---- watchdog ------------------------------------------------------------ */

static void *watchdog_main(void *arg)
{
    spin_http_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        uint64_t now = util_monotonic_ns();
        for (guarded_conn *c = g->conns; c; c = c->next) {
            if (c->head_deadline && now >= c->head_deadline) {
                util_log_warn("http: closing the connection from %s with 408: no complete "
                              "request head within %u ms",
                              c->client, g->head_timeout_ms);
                answer_and_close(c, 408, "The request head did not arrive in time.");
            } else if (c->linger_deadline && now >= c->linger_deadline) {
                shutdown(c->fd, SHUT_RD); /* with SHUT_WR before: the library sees a hang-up */
                c->linger_deadline = 0;
            }
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t at = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + g->period_ns;
        ts.tv_sec = (time_t)(at / 1000000000ull);
        ts.tv_nsec = (long)(at % 1000000000ull);
        pthread_cond_timedwait(&g->wake, &g->lock, &ts);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

spin_http_guard *spin_http_guard_new(const spin_mhd_api *mhd, unsigned head_timeout_ms,
                                     unsigned idle_timeout_s, util_error **err)
{
    spin_http_guard *g = util_xcalloc(1, sizeof(*g));
    g->mhd = mhd;
    g->head_timeout_ms = head_timeout_ms;
    g->head_ns = (uint64_t)head_timeout_ms * 1000000ull;
    g->idle_ns = (uint64_t)idle_timeout_s * 1000000000ull;
    /* Deadlines are met to within a quarter of the head timeout, checking
     * at most every 500 ms and at least every 10 ms. */
    g->period_ns = g->head_ns / 4;
    if (g->period_ns > 500000000ull)
        g->period_ns = 500000000ull;
    if (g->period_ns < 10000000ull)
        g->period_ns = 10000000ull;
    const char *version = mhd->get_version ? mhd->get_version() : NULL;
    g->buffer_layout_known = version && strncmp(version, "0.9.", 4) == 0;
    pthread_mutex_init(&g->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&g->wake, &attr);
    pthread_condattr_destroy(&attr);
    int rc = pthread_create(&g->watchdog, NULL, watchdog_main, g);
    if (rc != 0) {
        util_error_set(err, rc, "starting the HTTP connection watchdog");
        spin_http_guard_free(g);
        return NULL;
    }
    g->watchdog_started = true;
    return g;
}

void spin_http_guard_free(spin_http_guard *g)
{
    if (!g)
        return;
    if (g->watchdog_started) {
        pthread_mutex_lock(&g->lock);
        g->stopping = true;
        pthread_cond_broadcast(&g->wake);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->watchdog, NULL);
    }
    /* The daemon has stopped: every connection was closed and unlinked. */
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void spin_http_guard_listen_socket(spin_http_guard *g, int listen_fd)
{
    int secs = (int)((g->head_timeout_ms + 999) / 1000);
    if (setsockopt(listen_fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs)) != 0)
        util_log_debug("http: TCP_DEFER_ACCEPT: %s", strerror(errno));
}
