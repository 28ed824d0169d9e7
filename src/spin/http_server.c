/*
 * http_server.c - HTTP/1.1 serving on libmicrohttpd plus a worker pool.
 *
 * Why libmicrohttpd: it is a mature, maintained Debian library that already
 * does the parts of HTTP/1.1 that are easy to get subtly wrong (request
 * framing, chunked decoding, pipelining, keep-alive rules, 100-continue,
 * header size limits answered with 431), runs an epoll loop per I/O thread
 * and lets us suspend a connection while its request runs elsewhere.  It is
 * called through the table mhd_load.c fills on the first start (the binary
 * does not link it: see there).
 *
 * Life of a request:
 *   1. uri_log callback (request line seen): allocate the request state,
 *      keep the raw target (MHD's `url` argument is already decoded, Spin
 *      needs the raw path and query), count the request as in flight.
 *   2. access handler, first call: refuse what RFC 9112 says to refuse
 *      (http_request_check.c, through http_conn_guard.c, which also bounds
 *      the time a head may take and works around the library's own
 *      refusals), then an announced Content-Length over the limit with 413
 *      before reading the body.
 *   3. access handler with body bytes: append (or, past the limit, discard
 *      and answer 413 once the body has ended: MHD cannot answer mid-body).
 *   4. last access call: suspend the connection, queue the job.
 *   5. a worker runs the handler, builds the MHD response and resumes the
 *      connection; MHD calls the access handler again and we queue it.
 *   6. completed callback: free the state, request no longer in flight.
 * Graceful stop = quiesce (no new connections), drain (requests already
 * queued or running finish and are answered; a keep-alive client's next
 * request gets 503 + close, so no job can appear behind our back), wait
 * until nothing is in flight, then stop the daemon (closes idle keep-alive
 * connections).  MHD must never see a suspended connection at stop, which
 * is why the queue check and the suspension happen under one lock.
 */
#include "http_server.h"
#include "http_conn_guard.h"
#include "http_request_check.h"
#include "mhd_load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef enum { REQ_NEW, REQ_BODY, REQ_RUNNING, REQ_DONE } req_phase;

typedef struct req_state {
    struct spin_http_server *server;
    struct MHD_Connection *conn;
    req_phase phase;
    char *target;
    const char *uri_in_buffer; /* the library's copy of the target (http_conn_guard.c) */
    char *authority;           /* absolute-form target: the Host to use */
    util_buf body;
    bool too_large;
    struct MHD_Response *response;
    unsigned status;
    struct req_state *next; /* job queue link */
    /* Filled when the job is queued. */
    char *method, *version;
} req_state;

struct spin_http_server {
    spin_http_server_config cfg;
    const spin_mhd_api *mhd; /* libmicrohttpd, loaded on first start */
    struct MHD_Daemon *daemon;
    spin_http_guard *guard; /* head checks, head deadline, library workarounds */
    int listen_fd;
    pthread_t *threads;
    unsigned nthreads;
    pthread_mutex_t lock;
    pthread_cond_t cond;      /* workers wait for jobs */
    pthread_cond_t idle_cond; /* stop waits for in-flight == 0 */
    req_state *head, *tail;
    bool draining; /* stop() began: no new jobs, new requests get 503 */
    bool stopping; /* workers exit once the queue is empty */
    size_t in_flight;
    size_t running; /* jobs a worker is executing right now */
};

/* ---- small helpers ----------------------------------------------------- */

const char *spin_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "";
    }
}

const char *spin_http_request_header(const spin_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

void spin_http_response_add_header(spin_http_response *resp, const char *name,
                                   const char *value)
{
    resp->headers = util_xrealloc(resp->headers, (resp->nheaders + 1) * sizeof(spin_http_header));
    resp->headers[resp->nheaders].name = util_xstrdup(name);
    resp->headers[resp->nheaders].value = util_xstrdup(value);
    resp->nheaders++;
}

void spin_http_response_clear(spin_http_response *resp)
{
    for (size_t i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
    util_buf_free(&resp->body);
    memset(resp, 0, sizeof(*resp));
}

static unsigned ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* ---- listening --------------------------------------------------------- */

static int split_addr(const char *addr, char **host, char **port, util_error **err)
{
    const char *colon;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':')
            return util_error_set(err, 0, "invalid listen address '%s': expected [IPv6]:port",
                                  addr);
        *host = util_xstrndup(addr + 1, (size_t)(close - addr - 1));
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return util_error_set(err, 0, "invalid listen address '%s': expected host:port",
                                  addr);
        *host = util_xstrndup(addr, (size_t)(colon - addr));
    }
    const char *p = colon + 1;
    char *end = NULL;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (!*p || *end || v < 0 || v > 65535 || errno) {
        free(*host);
        *host = NULL;
        return util_error_set(err, 0, "invalid listen address '%s': bad port '%s'", addr, p);
    }
    *port = util_xstrdup(p);
    return 0;
}

static char *sockaddr_text(const struct sockaddr *sa, char *ip, size_t iplen, uint16_t *port)
{
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, (socklen_t)iplen);
        /* An IPv4 client on a dual-stack socket: show it as IPv4. */
        if (strncmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.'))
            memmove(ip, ip + 7, strlen(ip + 7) + 1);
        *port = ntohs(s6->sin6_port);
    } else if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, ip, (socklen_t)iplen);
        *port = ntohs(s4->sin_port);
    } else {
        snprintf(ip, iplen, "unknown");
        *port = 0;
    }
    if (strchr(ip, ':'))
        return util_xasprintf("[%s]:%u", ip, *port);
    return util_xasprintf("%s:%u", ip, *port);
}

int spin_http_listen(const char *addr, char **bound, util_error **err)
{
    cleanup_free char *host = NULL;
    cleanup_free char *port = NULL;
    if (split_addr(addr, &host, &port, err) < 0)
        return -1;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0)
        return util_error_set(err, 0, "Unable to listen on %s: cannot resolve '%s': %s", addr,
                               host, gai_strerror(rc));
    int last_errno = 0;
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            break;
        last_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (last_errno == EADDRINUSE)
            return util_error_set(err, 0, "%s is already in use", addr);
        return util_error_set(err, last_errno, "Unable to listen on %s", addr);
    }
    if (bound) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        char ip[INET6_ADDRSTRLEN + 8];
        uint16_t p = 0;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
            *bound = sockaddr_text((struct sockaddr *)&ss, ip, sizeof(ip), &p);
        else
            *bound = util_xstrdup(addr);
    }
    return fd;
}

/* ---- MHD callbacks ----------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    spin_http_server *s = cls;
    req_state *st = util_xcalloc(1, sizeof(*st));
    st->server = s;
    st->conn = conn;
    st->target = util_xstrdup(uri ? uri : "/");
    st->uri_in_buffer = uri;
    spin_http_guard_request_line(s->guard, conn, uri);
    pthread_mutex_lock(&s->lock);
    s->in_flight++;
    pthread_mutex_unlock(&s->lock);
    return st;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    spin_http_server *s = cls;
    req_state *st = *con_cls;
    if (!st)
        return;
    *con_cls = NULL;
    spin_http_guard_request_done(s->guard, conn);
    if (st->response)
        s->mhd->destroy_response(st->response);
    util_buf_free(&st->body);
    free(st->target);
    free(st->authority);
    free(st->method);
    free(st->version);
    free(st);
    pthread_mutex_lock(&s->lock);
    if (s->in_flight > 0)
        s->in_flight--;
    if (s->in_flight == 0)
        pthread_cond_broadcast(&s->idle_cond);
    pthread_mutex_unlock(&s->lock);
}

static enum MHD_Result queue_simple(const spin_mhd_api *mhd, struct MHD_Connection *conn,
                                    unsigned status, bool close_conn)
{
    const char *reason = spin_http_reason((int)status);
    struct MHD_Response *r = mhd->create_response_from_buffer(strlen(reason), (void *)reason,
                                                              MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    mhd->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
    if (close_conn)
        mhd->add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = mhd->queue_response(conn, status, r);
    mhd->destroy_response(r);
    return ret;
}

/* Queues the request for a worker, unless the server is draining (then
 * returns false and the caller answers 503).  Checking and queueing under
 * one lock is what lets stop() know that no job can appear after it saw
 * the queue empty. */
static bool enqueue(spin_http_server *s, req_state *st)
{
    pthread_mutex_lock(&s->lock);
    if (s->draining) {
        pthread_mutex_unlock(&s->lock);
        return false;
    }
    s->mhd->suspend_connection(st->conn);
    st->next = NULL;
    if (s->tail)
        s->tail->next = st;
    else
        s->head = st;
    s->tail = st;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return true;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    spin_http_server *s = cls;
    req_state *st = *con_cls;
    if (!st) /* uri_log always runs first; be defensive anyway */
        return MHD_NO;

    switch (st->phase) {
    case REQ_NEW: {
        st->phase = REQ_BODY;
        char *origin = NULL;
        unsigned refusal = spin_http_guard_check_head(s->guard, conn, method, version,
                                                      st->uri_in_buffer, st->target, &origin,
                                                      &st->authority);
        if (refusal) {
            st->phase = REQ_DONE;
            return queue_simple(s->mhd, conn, refusal, true);
        }
        if (origin) {
            free(st->target);
            st->target = origin;
        }
        const char *cl = s->mhd->lookup_connection_value(conn, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end = NULL;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end && *end == '\0' && n > s->cfg.max_body_bytes) {
                st->phase = REQ_DONE;
                return queue_simple(s->mhd, conn, 413, true);
            }
        }
        return MHD_YES;
    }
    case REQ_BODY:
        if (*upload_data_size > 0) {
            if (!st->too_large && st->body.len + *upload_data_size > s->cfg.max_body_bytes) {
                st->too_large = true;
                util_buf_free(&st->body);
            }
            if (!st->too_large)
                util_buf_append(&st->body, upload_data, *upload_data_size);
            *upload_data_size = 0;
            return MHD_YES;
        }
        if (st->too_large) {
            st->phase = REQ_DONE;
            return queue_simple(s->mhd, conn, 413, true);
        }
        st->method = util_xstrdup(method);
        st->version = util_xstrdup(version);
        st->phase = REQ_RUNNING;
        if (!enqueue(s, st)) {
            st->phase = REQ_DONE;
            return queue_simple(s->mhd, conn, 503, true);
        }
        return MHD_YES;
    case REQ_RUNNING:
        /* Resumed before the worker stored a response: cannot happen, as
         * the worker resumes only after storing it. */
        return MHD_YES;
    case REQ_DONE:
        if (st->response) {
            struct MHD_Response *r = st->response;
            st->response = NULL;
            enum MHD_Result ret = s->mhd->queue_response(conn, st->status, r);
            s->mhd->destroy_response(r);
            return ret;
        }
        return MHD_NO;
    }
    (void)url;
    return MHD_NO;
}

/* ---- workers ----------------------------------------------------------- */

typedef struct header_collect {
    spin_http_header *items;
    size_t len;
} header_collect;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    header_collect *hc = cls;
    hc->items = util_xrealloc(hc->items, (hc->len + 1) * sizeof(spin_http_header));
    hc->items[hc->len].name = util_xstrdup(key);
    hc->items[hc->len].value = util_xstrdup(value ? value : "");
    hc->len++;
    (void)kind;
    return MHD_YES;
}

static bool skip_response_header(const char *name)
{
    /* MHD frames the body itself; these would contradict it. */
    return strcasecmp(name, "Content-Length") == 0 ||
           strcasecmp(name, "Transfer-Encoding") == 0 || strcasecmp(name, "Connection") == 0;
}

static void run_job(spin_http_server *s, req_state *st)
{
    header_collect hc = {0};
    s->mhd->get_connection_values(st->conn, MHD_HEADER_KIND, collect_header, &hc);
    spin_http_headers_set_host(&hc.items, &hc.len, st->authority);

    char ip[INET6_ADDRSTRLEN + 8] = "unknown";
    uint16_t port = 0;
    cleanup_free char *client = NULL;
    const union MHD_ConnectionInfo *ci =
        s->mhd->get_connection_info(st->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr)
        client = sockaddr_text(ci->client_addr, ip, sizeof(ip), &port);
    else
        client = util_xstrdup("unknown:0");

    cleanup_free char *path = NULL;
    const char *q = strchr(st->target, '?');
    path = q ? util_xstrndup(st->target, (size_t)(q - st->target)) : util_xstrdup(st->target);
    if (path[0] == '\0') {
        free(path);
        path = util_xstrdup("/");
    }

    spin_http_request req = {
        .method = st->method,
        .version = st->version,
        .target = st->target,
        .path = path,
        .query = q ? q + 1 : NULL,
        .headers = hc.items,
        .nheaders = hc.len,
        .body = (const uint8_t *)(st->body.data ? st->body.data : ""),
        .body_len = st->body.len,
        .client_ip = ip,
        .client_port = port,
        .client_addr = client,
    };
    spin_http_response resp = {.status = 200};
    s->cfg.handler(s->cfg.ctx, &req, &resp);

    size_t blen = resp.body.len;
    char *bdata = util_buf_steal(&resp.body, &blen);
    struct MHD_Response *r = s->mhd->create_response_from_buffer(
        blen, bdata ? bdata : (void *)"", bdata ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    for (size_t i = 0; r && i < resp.nheaders; i++) {
        if (skip_response_header(resp.headers[i].name))
            continue;
        if (s->mhd->add_response_header(r, resp.headers[i].name, resp.headers[i].value) == MHD_NO)
            util_log_warn("response header '%s' rejected", resp.headers[i].name);
    }
    int status = resp.status >= 100 && resp.status <= 999 ? resp.status : 500;
    spin_http_response_clear(&resp);
    for (size_t i = 0; i < hc.len; i++) {
        free(hc.items[i].name);
        free(hc.items[i].value);
    }
    free(hc.items);

    util_buf_free(&st->body);
    st->status = (unsigned)status;
    st->response = r;
    st->phase = REQ_DONE;
    if (!r)
        util_log_error("out of memory building a response");
    s->mhd->resume_connection(st->conn);
}

static void *worker_main(void *arg)
{
    spin_http_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (!s->head && !s->stopping)
            pthread_cond_wait(&s->cond, &s->lock);
        if (!s->head) {
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        req_state *st = s->head;
        s->head = st->next;
        if (!s->head)
            s->tail = NULL;
        s->running++;
        pthread_mutex_unlock(&s->lock);
        run_job(s, st);
        pthread_mutex_lock(&s->lock);
        s->running--;
        if (s->running == 0)
            pthread_cond_broadcast(&s->idle_cond);
        pthread_mutex_unlock(&s->lock);
    }
}

/* ---- daemon ------------------------------------------------------------ */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    spin_http_server *s = cls;
    if (s->guard && spin_http_guard_mhd_log(s->guard, fmt, ap))
        return;
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    util_log_debug("http: %s", buf);
}

spin_http_server *spin_http_server_start(const spin_http_server_config *cfg, util_error **err)
{
    const spin_mhd_api *mhd = spin_mhd_load(err);
    if (!mhd)
        return NULL;
    spin_http_server *s = util_xcalloc(1, sizeof(*s));
    s->mhd = mhd;
    s->cfg = *cfg;
    if (!s->cfg.io_threads)
        s->cfg.io_threads = ncpus();
    if (!s->cfg.workers) {
        s->cfg.workers = 2 * ncpus();
        if (s->cfg.workers < 4)
            s->cfg.workers = 4;
    }
    if (!s->cfg.max_header_bytes)
        s->cfg.max_header_bytes = 64 * 1024;
    if (!s->cfg.max_body_bytes)
        s->cfg.max_body_bytes = 64 * 1024 * 1024;
    if (!s->cfg.idle_timeout_s)
        s->cfg.idle_timeout_s = 60;
    if (!s->cfg.max_connections)
        s->cfg.max_connections = 10000;
    if (!s->cfg.head_timeout_ms)
        s->cfg.head_timeout_ms = 10000;
    s->listen_fd = cfg->listen_fd;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    pthread_cond_init(&s->idle_cond, NULL);

    s->threads = util_xcalloc(s->cfg.workers, sizeof(pthread_t));
    for (unsigned i = 0; i < s->cfg.workers; i++) {
        int rc = pthread_create(&s->threads[i], NULL, worker_main, s);
        if (rc != 0) {
            util_error_set(err, rc, "starting HTTP worker thread");
            spin_http_server_stop(s, 0);
            return NULL;
        }
        s->nthreads++;
    }

    s->guard = spin_http_guard_new(mhd, s->cfg.head_timeout_ms, s->cfg.idle_timeout_s, err);
    if (!s->guard) {
        s->listen_fd = -1; /* still the caller's */
        spin_http_server_stop(s, 0);
        return NULL;
    }
    spin_http_guard_listen_socket(s->guard, s->listen_fd);

    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    /* MHD needs room for the request line + headers + its read buffer in
     * the per-connection pool; the header limit is what is left. */
    size_t pool = s->cfg.max_header_bytes + 16 * 1024;
    /* The logger first: the library logs while it reads the options. */
    s->daemon = s->mhd->start_daemon(
        flags, 0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg.io_threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)s->cfg.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)s->cfg.idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, spin_http_guard_notify, s->guard, MHD_OPTION_END);
    if (!s->daemon) {
        util_error_set(err, 0, "starting the HTTP server failed");
        s->listen_fd = -1; /* still the caller's */
        spin_http_server_stop(s, 0);
        return NULL;
    }
    return s;
}

bool spin_http_server_stop(spin_http_server *s, unsigned grace_ms)
{
    if (!s)
        return true;
    bool drained = true;
    if (s->daemon) {
        int fd = s->mhd->quiesce_daemon(s->daemon);
        if (fd >= 0)
            close(fd);
        s->listen_fd = -1;
        uint64_t deadline = util_monotonic_ns() + (uint64_t)grace_ms * 1000000ull;
        pthread_mutex_lock(&s->lock);
        s->draining = true;
        /* Requests being handled finish and their responses go out; a
         * keep-alive client sending more gets 503 and a closed connection. */
        while ((s->in_flight > 0 || s->head || s->running) && util_monotonic_ns() < deadline) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 20 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->idle_cond, &s->lock, &ts);
        }
        /* A handler still running (a guest that does not finish) holds a
         * worker and a suspended connection: neither can be reclaimed. */
        drained = s->head == NULL && s->running == 0;
    } else {
        pthread_mutex_lock(&s->lock);
    }
    if (!drained) {
        pthread_mutex_unlock(&s->lock);
        util_log_warn("http: requests still running after %u ms; abandoning them", grace_ms);
        return false; /* the process is about to exit: leave it all */
    }
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    for (unsigned i = 0; i < s->nthreads; i++)
        pthread_join(s->threads[i], NULL);
    /* No connection is suspended now: every suspended one had a job. */
    if (s->daemon)
        s->mhd->stop_daemon(s->daemon);
    spin_http_guard_free(s->guard);
    free(s->threads);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    pthread_cond_destroy(&s->idle_cond);
    free(s);
    return true;
}
