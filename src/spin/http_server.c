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
 *      refusals), then an announced Content-Length over the limit with 413,
 *      and reserve room for it in the body budget (503 if it does not fit)
 *      before reading the body.
 *   3. access handler with body bytes: append (or, past the limit or the
 *      budget, discard and answer 413/503 once the body has ended: MHD
 *      cannot answer mid-body).
 *   4. last access call: build the request; the fast handler may answer it
 *      right here on the I/O thread (health, 404, static responses: a pool
 *      of stuck guests must not block them); otherwise suspend the
 *      connection, watch its socket and queue the job.
 *   5. a worker runs the handler, builds the MHD response and resumes the
 *      connection; MHD calls the access handler again and we queue it.
 *   6. completed callback: free the state, request no longer in flight.
 *
 * Streamed requests (cfg.stream_request says so at step 2; the wasi:http
 * executor's): the job is queued with the head alone, not suspended, and
 * each upload call puts what fits into the request's bounded queue
 * (http_stream.c), leaving the rest with the library and suspending the
 * connection until the handler has read (upload_take); past the body
 * limit the queue breaks (the handler's read fails) and, unless the
 * handler answered first, the end of the body is answered 413.  After the
 * body the connection waits, suspended, for the worker's response
 * (answer_or_wait / publish_response).  A handler may send its response
 * head early (spin_http_job_start_response): the response then reads its
 * body from another queue through a content-reader callback, chunked
 * unless a Content-Length was given, suspending the connection while the
 * queue is empty; the library sends nothing before the request body is
 * complete, so until then that queue may grow up to the body limit.
 * While a worker holds a streamed request, the library may finish with
 * its connection (the answer went out, or the client vanished: the job is
 * cancelled); the worker then frees the state (worker_active, completed).
 *
 * Body budget: every byte a body buffer holds (its allocation, not just
 * its length) is counted in one server-wide total, so many concurrent
 * uploads cannot take more memory than max_buffered_body_bytes.  A body
 * that does not fit gets 503 with Retry-After, not 413: the request itself
 * is acceptable and may well succeed a moment later.  Buffers are freed as
 * soon as the handler has run.
 *
 * Jobs and cancellation: a queued or running request is a job on the
 * server's list.  A watcher thread holds each job's socket in an epoll set
 * (not for EPOLLIN: data a pipelining client sends must not wake it), so
 * a client that hangs up is noticed while its connection is suspended
 * (MHD does not look at suspended sockets) and the job's cancel hook runs:
 * the Wagi executor interrupts the guest.  A hang-up is a reset or error,
 * or, for HTTP/1.1, an end-of-file: TCP cannot tell a closed client from
 * one that only shut down its sending side, and HTTP/1.0 clients such as
 * `printf ... | nc` do the latter and still wait for the answer.  Jobs are found by a never-reused
 * id, not a pointer, so an event that races with the job's end is ignored.
 *
 * Graceful stop = quiesce (no new connections), drain (requests already
 * queued or running finish and are answered; a keep-alive client's next
 * request gets 503 + close, so no job can appear behind our back), wait
 * until nothing is in flight or the grace period is over; then log and
 * cancel what is still queued or running, wait a little for those handlers
 * to return, and stop the daemon (closes idle keep-alive connections).
 * MHD must never see a suspended connection at stop, which is why the
 * queue check and the suspension happen under one lock.
 */
#include "http_server.h"
#include "http_conn_guard.h"
#include "http_request_check.h"
#include "http_stream.h"
#include "mhd_load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* REQ_UPLOAD: a streamed body is arriving while its job is queued or
 * running; REQ_RUNNING: the request is complete and waits for the
 * worker's response; REQ_DONE: answered. */
typedef enum { REQ_NEW, REQ_BODY, REQ_UPLOAD, REQ_RUNNING, REQ_DONE } req_phase;

struct req_state;

struct spin_http_job {
    struct req_state *st;
    uint64_t id;      /* the watcher's key; never reused */
    bool listed;      /* on the server's job list */
    bool watched;     /* its socket is in the watcher's epoll set */
    int sock;         /* the connection's socket, -1 if unknown */
    spin_http_cancel cancelled;
    void (*cancel_fn)(void *);
    void *cancel_arg;
    char *label;
    uint64_t started_ns; /* when a worker took it; 0 while queued */
    struct spin_http_job *prev, *next;
};

typedef struct header_collect {
    spin_http_header *items;
    size_t len;
} header_collect;

typedef struct req_state {
    struct spin_http_server *server;
    struct MHD_Connection *conn;
    req_phase phase;
    char *target;
    const char *uri_in_buffer; /* the library's copy of the target (http_conn_guard.c) */
    char *authority;           /* absolute-form target: the Host to use */
    util_buf body;
    size_t body_charged; /* bytes of the body buffer counted in the budget */
    bool too_large;
    bool over_budget;
    /* A streamed body (the server's reference) and its bytes so far. */
    spin_http_stream *upload;
    uint64_t upload_count;
    size_t stream_charged; /* its queue, counted in the budget */
    /* The worker's answer, and who waits for it (s->lock): */
    struct MHD_Response *response;
    unsigned status;
    bool awaiting_response; /* the connection is suspended until it comes */
    bool answered;          /* a response was queued: a later one is dropped */
    bool worker_active;     /* queued or running: the worker frees it if ... */
    bool completed;         /* ... the library was done with it first */
    bool streamed_response; /* the head went out through start_response */
    spin_http_stream *download; /* its body (a reference; s->lock) */
    bool upload_done;           /* the streamed body is in (s->lock) */
    struct req_state *next; /* job queue link */
    /* Filled when the body is complete. */
    char *method, *version;
    spin_http_request req;
    header_collect headers;
    char *path, *client;
    char ip[INET6_ADDRSTRLEN + 8];
    spin_http_job job;
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
    spin_http_job *jobs; /* queued or running */
    uint64_t last_job_id;
    _Atomic size_t body_bytes; /* the body budget's count */
    /* The client-gone watcher: an epoll set of job sockets plus an
     * eventfd (key 0) that wakes it to exit. */
    int watch_epfd, watch_evfd;
    pthread_t watcher;
    bool watcher_started;
    bool watcher_exit;
};

/* ---- small helpers ----------------------------------------------------- */

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

/* ---- the body budget ---------------------------------------------------- */

/* Counts `n` more bytes against the budget; false if they do not fit. */
static bool budget_charge(spin_http_server *s, size_t n)
{
    size_t cur = atomic_load(&s->body_bytes);
    do {
        if (n > s->cfg.max_buffered_body_bytes - cur)
            return false;
    } while (!atomic_compare_exchange_weak(&s->body_bytes, &cur, cur + n));
    return true;
}

static void body_release(spin_http_server *s, req_state *st)
{
    util_buf_free(&st->body);
    atomic_fetch_sub(&s->body_bytes, st->body_charged);
    st->body_charged = 0;
}

/* Makes room for `extra` more body bytes (doubling, never past the body
 * limit), charging the growth to the budget first; false if it does not
 * fit.  With an announced length this is called once, for all of it. */
static bool body_reserve(spin_http_server *s, req_state *st, size_t extra)
{
    size_t need = st->body.len + extra + 1;
    if (need <= st->body.cap)
        return true;
    size_t cap = st->body.cap ? st->body.cap * 2 : 4096;
    if (cap > s->cfg.max_body_bytes + 1)
        cap = s->cfg.max_body_bytes + 1;
    if (cap < need)
        cap = need;
    if (!budget_charge(s, cap - st->body.cap))
        return false;
    st->body_charged += cap - st->body.cap;
    st->body.data = util_xrealloc(st->body.data, cap);
    st->body.cap = cap;
    st->body.data[st->body.len] = '\0';
    return true;
}

static void body_take(spin_http_server *s, req_state *st, const char *data, size_t len)
{
    if (st->too_large || st->over_budget)
        return;
    if (st->body.len + len > s->cfg.max_body_bytes) {
        st->too_large = true;
        body_release(s, st);
        return;
    }
    if (!body_reserve(s, st, len)) {
        st->over_budget = true;
        body_release(s, st);
        return;
    }
    memcpy(st->body.data + st->body.len, data, len);
    st->body.len += len;
    st->body.data[st->body.len] = '\0';
}

size_t spin_http_server_buffered_body_bytes(spin_http_server *s)
{
    return atomic_load(&s->body_bytes);
}

/* ---- jobs --------------------------------------------------------------- */

/* The caller holds s->lock for all of these. */

static void job_watch(spin_http_server *s, spin_http_job *job)
{
    if (job->sock < 0 || s->watch_epfd < 0)
        return;
    /* EPOLLHUP and EPOLLERR (a reset, a dead connection) are always
     * reported.  An end-of-file alone is a hang-up only for HTTP/1.1: an
     * HTTP/1.0 client may well shut down its sending side once the request
     * is out and still read the answer (`printf 'GET ...' | nc` does). */
    uint32_t events = strcmp(job->st->version, "HTTP/1.0") != 0 ? EPOLLRDHUP : 0;
    struct epoll_event ev = {.events = events, .data.u64 = job->id};
    job->watched = epoll_ctl(s->watch_epfd, EPOLL_CTL_ADD, job->sock, &ev) == 0;
}

static void job_unwatch(spin_http_server *s, spin_http_job *job)
{
    if (job->watched)
        epoll_ctl(s->watch_epfd, EPOLL_CTL_DEL, job->sock, NULL);
    job->watched = false;
}

static void job_list(spin_http_server *s, spin_http_job *job)
{
    job->id = ++s->last_job_id;
    job->prev = NULL;
    job->next = s->jobs;
    if (s->jobs)
        s->jobs->prev = job;
    s->jobs = job;
    job->listed = true;
    job_watch(s, job);
}

static void job_unlist(spin_http_server *s, spin_http_job *job)
{
    if (!job->listed)
        return;
    job_unwatch(s, job);
    if (job->prev)
        job->prev->next = job->next;
    else
        s->jobs = job->next;
    if (job->next)
        job->next->prev = job->prev;
    job->listed = false;
    job->cancel_fn = NULL;
}

static void job_cancel(spin_http_job *job, spin_http_cancel why)
{
    if (job->cancelled)
        return;
    job->cancelled = why;
    if (job->cancel_fn)
        job->cancel_fn(job->cancel_arg);
}

void spin_http_job_set_label(spin_http_job *job, const char *label)
{
    spin_http_server *s = job->st->server;
    pthread_mutex_lock(&s->lock);
    free(job->label);
    job->label = label ? util_xstrdup(label) : NULL;
    pthread_mutex_unlock(&s->lock);
}

spin_http_cancel spin_http_job_on_cancel(spin_http_job *job, void (*fn)(void *), void *arg)
{
    spin_http_server *s = job->st->server;
    pthread_mutex_lock(&s->lock);
    spin_http_cancel why = job->cancelled;
    if (!why) {
        job->cancel_fn = fn;
        job->cancel_arg = arg;
    }
    pthread_mutex_unlock(&s->lock);
    return why;
}

void spin_http_job_clear_cancel(spin_http_job *job)
{
    spin_http_server *s = job->st->server;
    pthread_mutex_lock(&s->lock);
    job->cancel_fn = NULL;
    job->cancel_arg = NULL;
    pthread_mutex_unlock(&s->lock);
}

spin_http_cancel spin_http_job_cancelled(spin_http_job *job)
{
    spin_http_server *s = job->st->server;
    pthread_mutex_lock(&s->lock);
    spin_http_cancel why = job->cancelled;
    pthread_mutex_unlock(&s->lock);
    return why;
}

/* A job's socket reported a hang-up: cancel the job if it still exists. */
static void client_gone(spin_http_server *s, uint64_t id)
{
    pthread_mutex_lock(&s->lock);
    spin_http_job *job = s->jobs;
    while (job && job->id != id)
        job = job->next;
    if (job) {
        job_unwatch(s, job); /* level-triggered: it would report again */
        if (!job->cancelled) {
            util_log_info("http: the client of %s %s went away; stopping its request",
                          job->st->method, job->st->target);
            job_cancel(job, SPIN_HTTP_CLIENT_GONE);
        }
    }
    pthread_mutex_unlock(&s->lock);
}

static void *watcher_main(void *arg)
{
    spin_http_server *s = arg;
    struct epoll_event ev[16];
    for (;;) {
        int n = epoll_wait(s->watch_epfd, ev, (int)UTIL_ARRAY_LEN(ev), -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            util_log_error("http: watching client connections failed: %s", strerror(errno));
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            if (ev[i].data.u64 != 0) {
                client_gone(s, ev[i].data.u64);
                continue;
            }
            pthread_mutex_lock(&s->lock);
            bool exit_now = s->watcher_exit;
            pthread_mutex_unlock(&s->lock);
            if (exit_now)
                return NULL;
        }
    }
}

static int watcher_start(spin_http_server *s, util_error **err)
{
    s->watch_epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->watch_epfd < 0)
        return util_error_set(err, errno, "creating the HTTP connection watcher");
    s->watch_evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->watch_evfd < 0)
        return util_error_set(err, errno, "creating the HTTP connection watcher");
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
    if (epoll_ctl(s->watch_epfd, EPOLL_CTL_ADD, s->watch_evfd, &ev) < 0)
        return util_error_set(err, errno, "creating the HTTP connection watcher");
    int rc = pthread_create(&s->watcher, NULL, watcher_main, s);
    if (rc != 0)
        return util_error_set(err, rc, "starting the HTTP connection watcher");
    s->watcher_started = true;
    return 0;
}

static void watcher_stop(spin_http_server *s)
{
    if (s->watcher_started) {
        pthread_mutex_lock(&s->lock);
        s->watcher_exit = true;
        pthread_mutex_unlock(&s->lock);
        uint64_t one = 1;
        ssize_t n = write(s->watch_evfd, &one, sizeof(one));
        (void)n;
        pthread_join(s->watcher, NULL);
        s->watcher_started = false;
    }
    if (s->watch_epfd >= 0)
        close(s->watch_epfd);
    if (s->watch_evfd >= 0)
        close(s->watch_evfd);
    s->watch_epfd = s->watch_evfd = -1;
}

/* ---- requests and responses -------------------------------------------- */

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

/* Everything the handlers see, copied out of MHD while the I/O thread
 * owns the connection (workers never touch a suspended connection). */
static void build_request(spin_http_server *s, req_state *st)
{
    if (st->job.st) { /* built at the head (start_streaming): the body is in now */
        st->req.body = (const uint8_t *)(st->body.data ? st->body.data : "");
        st->req.body_len = st->body.len;
        return;
    }
    s->mhd->get_connection_values(st->conn, MHD_HEADER_KIND, collect_header, &st->headers);
    spin_http_headers_set_host(&st->headers.items, &st->headers.len, st->authority);
    uint16_t port = 0;
    snprintf(st->ip, sizeof(st->ip), "unknown");
    const union MHD_ConnectionInfo *ci =
        s->mhd->get_connection_info(st->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr)
        st->client = sockaddr_text(ci->client_addr, st->ip, sizeof(st->ip), &port);
    else
        st->client = util_xstrdup("unknown:0");
    ci = s->mhd->get_connection_info(st->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    st->job.sock = ci ? ci->connect_fd : -1;

    const char *q = strchr(st->target, '?');
    st->path = q ? util_xstrndup(st->target, (size_t)(q - st->target)) : util_xstrdup(st->target);
    if (st->path[0] == '\0') {
        free(st->path);
        st->path = util_xstrdup("/");
    }
    st->job.st = st;
    st->req = (spin_http_request){
        .method = st->method,
        .version = st->version,
        .target = st->target,
        .path = st->path,
        .query = q ? q + 1 : NULL,
        .headers = st->headers.items,
        .nheaders = st->headers.len,
        .body = (const uint8_t *)(st->body.data ? st->body.data : ""),
        .body_len = st->body.len,
        .client_ip = st->ip,
        .client_port = port,
        .client_addr = st->client,
    };
    if (s->cfg.request_timeout_ms)
        st->req.deadline_ns = util_monotonic_ns() + s->cfg.request_timeout_ms * 1000000ull;
}

static void free_request(req_state *st)
{
    for (size_t i = 0; i < st->headers.len; i++) {
        free(st->headers.items[i].name);
        free(st->headers.items[i].value);
    }
    free(st->headers.items);
    free(st->path);
    free(st->client);
    free(st->job.label);
}

static bool skip_response_header(const char *name)
{
    /* MHD frames the body itself; these would contradict it. */
    return strcasecmp(name, "Content-Length") == 0 ||
           strcasecmp(name, "Transfer-Encoding") == 0 || strcasecmp(name, "Connection") == 0;
}

/* Turns a handler's response into an MHD one (NULL if out of memory) and
 * clears it. */
static struct MHD_Response *mhd_response(spin_http_server *s, spin_http_response *resp,
                                         unsigned *status)
{
    size_t blen = resp->body.len;
    char *bdata = util_buf_steal(&resp->body, &blen);
    struct MHD_Response *r = s->mhd->create_response_from_buffer(
        blen, bdata ? bdata : (void *)"", bdata ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r)
        free(bdata);
    for (size_t i = 0; r && i < resp->nheaders; i++) {
        if (skip_response_header(resp->headers[i].name))
            continue;
        if (s->mhd->add_response_header(r, resp->headers[i].name, resp->headers[i].value) ==
            MHD_NO)
            util_log_warn("response header '%s' rejected", resp->headers[i].name);
    }
    *status = resp->status >= 100 && resp->status <= 999 ? (unsigned)resp->status : 500;
    spin_http_response_clear(resp);
    if (!r)
        util_log_error("out of memory building a response");
    return r;
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

static void state_free(spin_http_server *s, req_state *st)
{
    if (st->response)
        s->mhd->destroy_response(st->response);
    body_release(s, st);
    spin_http_stream_release(st->upload);
    atomic_fetch_sub(&s->body_bytes, st->stream_charged);
    free_request(st);
    free(st->target);
    free(st->authority);
    free(st->method);
    free(st->version);
    free(st);
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
    pthread_mutex_lock(&s->lock);
    /* A streaming request's worker may still hold it (its response went
     * out, or its client vanished mid-stream): that worker frees it. */
    bool worker_has_it = st->worker_active;
    if (worker_has_it) {
        st->completed = true;
        job_unwatch(s, &st->job); /* the socket is about to close or serve another request */
        st->job.sock = -1;
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !st->job.cancelled) {
            util_log_info("http: the client of %s %s went away; stopping its request",
                          st->method, st->target);
            job_cancel(&st->job, SPIN_HTTP_CLIENT_GONE);
        }
    }
    if (s->in_flight > 0)
        s->in_flight--;
    if (s->in_flight == 0)
        pthread_cond_broadcast(&s->idle_cond);
    pthread_mutex_unlock(&s->lock);
    if (!worker_has_it)
        state_free(s, st);
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
    if (status == 503) /* busy or stopping: worth trying again shortly */
        mhd->add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    enum MHD_Result ret = mhd->queue_response(conn, status, r);
    mhd->destroy_response(r);
    return ret;
}

/* Queues the request for a worker, unless the server is draining (then
 * returns false and the caller answers 503).  Checking and queueing under
 * one lock is what lets stop() know that no job can appear after it saw
 * the queue empty. */
static bool enqueue(spin_http_server *s, req_state *st, bool suspend)
{
    pthread_mutex_lock(&s->lock);
    if (s->draining) {
        pthread_mutex_unlock(&s->lock);
        return false;
    }
    if (suspend) {
        s->mhd->suspend_connection(st->conn);
        st->awaiting_response = true;
    }
    st->worker_active = true;
    job_list(s, &st->job);
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

/* The body is complete: answer at once if the fast handler can, else
 * hand the request to a worker. */
static enum MHD_Result dispatch(spin_http_server *s, req_state *st)
{
    pthread_mutex_lock(&s->lock);
    bool draining = s->draining;
    pthread_mutex_unlock(&s->lock);
    if (draining) {
        st->phase = REQ_DONE;
        return queue_simple(s->mhd, st->conn, 503, true);
    }
    build_request(s, st);
    if (s->cfg.fast_handler) {
        spin_http_response resp = {.status = 200};
        if (s->cfg.fast_handler(s->cfg.ctx, &st->req, &resp)) {
            unsigned status;
            struct MHD_Response *r = mhd_response(s, &resp, &status);
            body_release(s, st);
            st->phase = REQ_DONE;
            if (!r)
                return MHD_NO;
            enum MHD_Result ret = s->mhd->queue_response(st->conn, status, r);
            s->mhd->destroy_response(r);
            return ret;
        }
        spin_http_response_clear(&resp);
    }
    st->phase = REQ_RUNNING;
    st->req.job = &st->job;
    if (!enqueue(s, st, true)) {
        st->phase = REQ_DONE;
        return queue_simple(s->mhd, st->conn, 503, true);
    }
    return MHD_YES;
}

/* The request is complete: queue the worker's response if it is there,
 * else suspend until the worker publishes it (under the lock, so
 * publish_response resumes only a suspended connection). */
static enum MHD_Result answer_or_wait(spin_http_server *s, req_state *st)
{
    pthread_mutex_lock(&s->lock);
    struct MHD_Response *r = st->response;
    st->response = NULL;
    if (r == NULL) {
        s->mhd->suspend_connection(st->conn);
        st->awaiting_response = true;
        pthread_mutex_unlock(&s->lock);
        return MHD_YES;
    }
    st->answered = true;
    st->phase = REQ_DONE;
    pthread_mutex_unlock(&s->lock);
    enum MHD_Result ret = s->mhd->queue_response(st->conn, st->status, r);
    s->mhd->destroy_response(r);
    return ret;
}

/* A worker's response for st (taken): stored for the I/O thread, which is
 * woken if it waits for it; dropped if the request was answered already
 * (413 for a streamed body over the limit) or is gone. */
static void publish_response(spin_http_server *s, req_state *st, struct MHD_Response *r,
                             unsigned status)
{
    pthread_mutex_lock(&s->lock);
    if (st->answered || st->completed || st->response) {
        pthread_mutex_unlock(&s->lock);
        if (r)
            s->mhd->destroy_response(r);
        return;
    }
    st->response = r;
    st->status = status;
    bool resume = st->awaiting_response;
    st->awaiting_response = false;
    if (resume) /* under the lock: on_completed cannot run for a suspended connection */
        s->mhd->resume_connection(st->conn);
    pthread_mutex_unlock(&s->lock);
}

static void resume_conn(void *arg)
{
    req_state *st = arg;
    st->server->mhd->resume_connection(st->conn);
}

/* Streams this request's body if the handler wants it so: the job is
 * queued now, its body read as it arrives.  MHD_NO from *ret: answered. */
static bool start_streaming(spin_http_server *s, req_state *st, const char *method,
                            const char *version, enum MHD_Result *ret)
{
    if (!s->cfg.stream_request)
        return false;
    /* No Content-Length and no Transfer-Encoding: no body to stream. */
    if (!s->mhd->lookup_connection_value(st->conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_CONTENT_LENGTH) &&
        !s->mhd->lookup_connection_value(st->conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return false;
    st->method = util_xstrdup(method);
    st->version = util_xstrdup(version);
    build_request(s, st);
    if (!s->cfg.stream_request(s->cfg.ctx, &st->req))
        return false;
    if (!budget_charge(s, s->cfg.stream_bytes)) {
        st->phase = REQ_DONE;
        *ret = queue_simple(s->mhd, st->conn, 503, true);
        return true;
    }
    st->stream_charged = s->cfg.stream_bytes;
    st->upload = spin_http_stream_new(s->cfg.stream_bytes, true);
    spin_http_stream_set_wake(st->upload, resume_conn, st);
    st->req.body_stream = st->upload;
    st->req.job = &st->job;
    st->phase = REQ_UPLOAD;
    if (!enqueue(s, st, false)) {
        st->phase = REQ_DONE;
        *ret = queue_simple(s->mhd, st->conn, 503, true);
        return true;
    }
    *ret = MHD_YES;
    return true;
}

/* Upload bytes of a streamed body: into the queue as far as it has room;
 * the rest stays with the library (*size), the connection suspended until
 * the handler reads.  Past the limit, or once the handler is done with
 * the body, the bytes are dropped. */
static void upload_take(spin_http_server *s, req_state *st, const char *data, size_t *size)
{
    size_t len = *size;
    if (!st->too_large && st->upload_count + len > s->cfg.max_body_bytes) {
        st->too_large = true;
        spin_http_stream_end(st->upload, false);
    }
    if (st->too_large || spin_http_stream_room(st->upload) < 0) {
        *size = 0;
        return;
    }
    size_t done = 0;
    while (done < len) {
        size_t n = spin_http_stream_put(st->upload, data + done, len - done);
        done += n;
        if (n == 0 && spin_http_stream_room(st->upload) < 0) {
            done = len; /* the handler closed the body: drop the rest */
            break;
        }
        if (n == 0 && spin_http_stream_server_must_wait(st->upload)) {
            s->mhd->suspend_connection(st->conn); /* resume_conn when it has room */
            break;
        }
    }
    st->upload_count += done;
    *size = len - done;
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
        enum MHD_Result ret;
        if (start_streaming(s, st, method, version, &ret))
            return ret;
        if (cl) {
            char *end = NULL;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end && *end == '\0' && n > 0 && !body_reserve(s, st, (size_t)n)) {
                st->phase = REQ_DONE;
                return queue_simple(s->mhd, conn, 503, true);
            }
        }
        return MHD_YES;
    }
    case REQ_BODY:
        if (*upload_data_size > 0) {
            body_take(s, st, upload_data, *upload_data_size);
            *upload_data_size = 0;
            return MHD_YES;
        }
        if (st->too_large || st->over_budget) {
            st->phase = REQ_DONE;
            return queue_simple(s->mhd, conn, st->too_large ? 413 : 503, true);
        }
        if (!st->method) {
            st->method = util_xstrdup(method);
            st->version = util_xstrdup(version);
        }
        return dispatch(s, st);
    case REQ_UPLOAD:
        if (*upload_data_size > 0) {
            upload_take(s, st, upload_data, upload_data_size);
            return MHD_YES;
        }
        spin_http_stream_end(st->upload, !st->too_large);
        st->phase = REQ_RUNNING;
        pthread_mutex_lock(&s->lock);
        st->upload_done = true;
        if (st->download) /* the response may go out now: back to its bound */
            spin_http_stream_set_elastic(st->download, 0);
        pthread_mutex_unlock(&s->lock);
        if (st->too_large) {
            pthread_mutex_lock(&s->lock);
            bool first = !st->response;
            st->answered = st->answered || first;
            pthread_mutex_unlock(&s->lock);
            if (first) {
                st->phase = REQ_DONE;
                return queue_simple(s->mhd, conn, 413, true);
            }
        }
        return answer_or_wait(s, st);
    case REQ_RUNNING:
        /* Resumed: the worker published its response. */
        return answer_or_wait(s, st);
    case REQ_DONE:
        return MHD_NO;
    }
    (void)url;
    return MHD_NO;
}

/* ---- workers ----------------------------------------------------------- */

static void run_job(spin_http_server *s, req_state *st)
{
    spin_http_response resp = {.status = 200};
    /* A job cancelled while queued (client gone, stop) never runs. */
    if (spin_http_job_cancelled(&st->job))
        resp.status = 503;
    else
        s->cfg.handler(s->cfg.ctx, &st->req, &resp);
    body_release(s, st); /* the budget is free again as soon as the handler is done */
    st->req.body = (const uint8_t *)"";
    st->req.body_len = 0;
    if (st->upload) { /* the handler is done with the body: the rest is dropped */
        spin_http_stream_cancel(st->upload);
        spin_http_stream_release(st->upload); /* the handler's reference */
    }
    if (st->streamed_response) {
        spin_http_response_clear(&resp); /* its head went out already */
        pthread_mutex_lock(&s->lock);
        spin_http_stream *out = st->download;
        st->download = NULL;
        pthread_mutex_unlock(&s->lock);
        spin_http_stream_end(out, false); /* unless the handler ended it */
        spin_http_stream_release(out);
    } else {
        unsigned status;
        struct MHD_Response *r = mhd_response(s, &resp, &status);
        publish_response(s, st, r, status);
    }

    pthread_mutex_lock(&s->lock);
    job_unlist(s, &st->job);
    st->worker_active = false;
    bool free_it = st->completed;
    pthread_mutex_unlock(&s->lock);
    if (free_it)
        state_free(s, st);
}

/* ---- streamed responses ------------------------------------------------- */

typedef struct download {
    spin_http_stream *stream; /* the server's reference */
    const spin_mhd_api *mhd;
    struct MHD_Connection *conn;
    struct MHD_Response *response;
    bool footers_added;
} download;

/* The body's trailers become the response's footers.  libmicrohttpd
 * (0.9.75) writes a chunked response's footers from its list only after
 * the reader said END_OF_STREAM, on this very thread, so adding them here
 * is in time; a response not sent chunked (a declared Content-Length, an
 * HTTP/1.0 client) has no trailer section, and they are dropped.  The
 * framing fields are never trailers (RFC 9110 6.5.1): left out. */
static void download_add_footers(download *d)
{
    if (d->footers_added)
        return;
    d->footers_added = true;
    size_t n = 0;
    const char *const *t = spin_http_stream_trailers(d->stream, &n);
    for (size_t i = 0; i < n; i++) {
        if (skip_response_header(t[2 * i]))
            continue;
        if (d->mhd->add_response_footer(d->response, t[2 * i], t[2 * i + 1]) == MHD_NO)
            util_log_warn("response trailer '%s' rejected", t[2 * i]);
    }
}

static ssize_t download_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    download *d = cls;
    (void)pos;
    for (;;) {
        ssize_t n = spin_http_stream_get(d->stream, buf, max);
        if (n > 0)
            return n;
        if (n == -2) {
            download_add_footers(d);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (n == -1)
            return MHD_CONTENT_READER_END_WITH_ERROR; /* the body broke: close */
        if (spin_http_stream_server_must_wait(d->stream)) {
            d->mhd->suspend_connection(d->conn); /* resumed by the next write */
            return 0;
        }
    }
}

static void download_free(void *cls)
{
    download *d = cls;
    spin_http_stream_cancel(d->stream); /* the client is gone: writes fail */
    spin_http_stream_release(d->stream);
    free(d);
}

static void download_wake(void *arg)
{
    download *d = arg;
    d->mhd->resume_connection(d->conn);
}

/* The Content-Length among the headers, or MHD_SIZE_UNKNOWN (chunked). */
static uint64_t declared_length(const spin_http_response *head)
{
    for (size_t i = 0; i < head->nheaders; i++) {
        if (strcasecmp(head->headers[i].name, "content-length") != 0)
            continue;
        const char *v = head->headers[i].value;
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (v[0] >= '0' && v[0] <= '9' && end && *end == '\0' && errno == 0)
            return n;
    }
    return MHD_SIZE_UNKNOWN;
}

spin_http_stream *spin_http_job_start_response(spin_http_job *job, const spin_http_response *head,
                                               const void *first, size_t first_len)
{
    if (job == NULL || job->st->streamed_response)
        return NULL;
    req_state *st = job->st;
    spin_http_server *s = st->server;
    download *d = util_xcalloc(1, sizeof(*d));
    d->stream = spin_http_stream_new(s->cfg.stream_bytes, false);
    d->mhd = s->mhd;
    d->conn = st->conn;
    spin_http_stream_set_wake(d->stream, download_wake, d);
    struct MHD_Response *r = s->mhd->create_response_from_callback(
        declared_length(head), 16 * 1024, download_read, d, download_free);
    if (!r) {
        util_log_error("out of memory building a response");
        spin_http_stream_release(d->stream);
        spin_http_stream_release(d->stream);
        free(d);
        return NULL;
    }
    d->response = r;
    for (size_t i = 0; i < head->nheaders; i++) {
        if (skip_response_header(head->headers[i].name))
            continue;
        if (s->mhd->add_response_header(r, head->headers[i].name, head->headers[i].value) ==
            MHD_NO)
            util_log_warn("response header '%s' rejected", head->headers[i].name);
    }
    spin_http_stream *out = d->stream; /* d goes with the response, maybe at once */
    if (first_len > 0)
        spin_http_stream_put(out, first, first_len);
    st->streamed_response = true;
    spin_http_stream_ref(out);
    pthread_mutex_lock(&s->lock);
    st->download = out;
    /* Nothing goes out before the request body is in: till then the
     * guest may write ahead, as far as a buffered body could take. */
    if (st->upload && !st->upload_done)
        spin_http_stream_set_elastic(out, s->cfg.max_body_bytes);
    pthread_mutex_unlock(&s->lock);
    unsigned status = head->status >= 100 && head->status <= 999 ? (unsigned)head->status : 500;
    publish_response(s, st, r, status);
    return out;
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
        st->job.started_ns = util_monotonic_ns();
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
    if (!s->cfg.max_buffered_body_bytes)
        s->cfg.max_buffered_body_bytes = (size_t)256 << 20;
    if (!s->cfg.stream_bytes)
        s->cfg.stream_bytes = (size_t)256 << 10;
    /* One body of the largest size allowed must always fit, or the limit
     * above would be a lie. */
    if (s->cfg.max_buffered_body_bytes < s->cfg.max_body_bytes + 1)
        s->cfg.max_buffered_body_bytes = s->cfg.max_body_bytes + 1;
    if (!s->cfg.idle_timeout_s)
        s->cfg.idle_timeout_s = 60;
    if (!s->cfg.max_connections)
        s->cfg.max_connections = 10000;
    if (!s->cfg.head_timeout_ms)
        s->cfg.head_timeout_ms = 10000;
    s->listen_fd = cfg->listen_fd;
    s->watch_epfd = s->watch_evfd = -1;
    atomic_init(&s->body_bytes, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    pthread_cond_init(&s->idle_cond, NULL);

    if (watcher_start(s, err) < 0) {
        s->listen_fd = -1; /* still the caller's */
        spin_http_server_stop(s, 0);
        return NULL;
    }
    s->threads = util_xcalloc(s->cfg.workers, sizeof(pthread_t));
    for (unsigned i = 0; i < s->cfg.workers; i++) {
        int rc = pthread_create(&s->threads[i], NULL, worker_main, s);
        if (rc != 0) {
            util_error_set(err, rc, "starting HTTP worker thread");
            s->listen_fd = -1;
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

/* Waits (s->lock held) until `done` or the deadline. */
static void wait_until(spin_http_server *s, uint64_t deadline, bool (*done)(spin_http_server *))
{
    while (!done(s) && util_monotonic_ns() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->idle_cond, &s->lock, &ts);
    }
}

static bool nothing_in_flight(spin_http_server *s)
{
    return s->in_flight == 0 && !s->head && !s->running;
}

static bool no_jobs(spin_http_server *s)
{
    return !s->head && !s->running;
}

/* The grace period is over: say what is given up, and stop it. */
static void abandon_jobs(spin_http_server *s, unsigned grace_ms)
{
    uint64_t now = util_monotonic_ns();
    for (spin_http_job *job = s->jobs; job; job = job->next) {
        req_state *st = job->st;
        cleanup_free char *label = job->label ? util_xasprintf(" (%s)", job->label) : NULL;
        if (job->started_ns)
            util_log_error("http: stopping: %s %s%s still running after %.1f s, past the "
                           "%u ms grace period; interrupting it",
                           st->method, st->target, label ? label : "",
                           (double)(now - job->started_ns) / 1e9, grace_ms);
        else
            util_log_error("http: stopping: %s %s was still waiting for a worker after the "
                           "%u ms grace period; dropping it",
                           st->method, st->target, grace_ms);
        job_cancel(job, SPIN_HTTP_STOPPING);
    }
}

static void server_free(spin_http_server *s)
{
    watcher_stop(s);
    spin_http_guard_free(s->guard);
    free(s->threads);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    pthread_cond_destroy(&s->idle_cond);
    free(s);
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
        pthread_mutex_lock(&s->lock);
        s->draining = true;
        /* Requests being handled finish and their responses go out; a
         * keep-alive client sending more gets 503 and a closed connection. */
        wait_until(s, util_monotonic_ns() + (uint64_t)grace_ms * 1000000ull, nothing_in_flight);
        if (!no_jobs(s)) {
            abandon_jobs(s, grace_ms);
            unsigned more = grace_ms < 2000 ? grace_ms : 2000;
            wait_until(s, util_monotonic_ns() + (uint64_t)more * 1000000ull, no_jobs);
        }
        /* A handler that ignored its cancellation still holds a worker and
         * a suspended connection: neither can be reclaimed. */
        drained = no_jobs(s);
    } else {
        pthread_mutex_lock(&s->lock);
    }
    if (!drained) {
        pthread_mutex_unlock(&s->lock);
        util_log_error("http: requests still running after the grace period; abandoning them");
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
    server_free(s);
    return true;
}
