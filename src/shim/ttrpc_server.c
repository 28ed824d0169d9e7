/*
 * ttrpc_server.c - a ttrpc server: one reader thread per connection and one
 * short-lived thread per request.
 *
 * containerd multiplexes every call for a shim over one connection, and a
 * Wait parks for the task's whole life, so requests must not run on the
 * reader thread.  A thread per request is the simplest model that makes
 * any handler free to block (Wait, a slow container Create) while replies
 * go out in whatever order they finish; the per-connection write lock keeps
 * frames whole.  Requests are rare (tens per container lifetime), so
 * thread creation cost does not matter; stacks are kept small.
 *
 * Only peers with our own uid may talk to us (SO_PEERCRED), like the Go
 * shim's UnixSocketRequireSameUser.
 */
#include "proto.h"
#include "ttrpc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WORKER_STACK (256u * 1024u)

struct ttrpc_server {
    int listen_fd;
    int stop_pipe[2];
    ttrpc_handler handler;
    void *ctx;
    atomic_int inflight;
    atomic_int refs; /* 1 for the owner + 1 per live connection */
};

typedef struct conn {
    int fd;
    pthread_mutex_t wlock;
    atomic_int refs;
    ttrpc_server *server;
} conn;

typedef struct job {
    conn *c;
    uint32_t stream_id;
    Ttrpc__Request *req;
} job;

int shim_ttrpc_status_set(ttrpc_status *st, int code, const char *fmt, ...)
{
    st->code = code;
    free(st->message);
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&st->message, fmt, ap) < 0)
        st->message = NULL;
    va_end(ap);
    return -1;
}

static void server_unref(ttrpc_server *s)
{
    if (atomic_fetch_sub(&s->refs, 1) == 1) {
        close(s->stop_pipe[0]);
        close(s->stop_pipe[1]);
        free(s);
    }
}

static void conn_unref(conn *c)
{
    if (atomic_fetch_sub(&c->refs, 1) == 1) {
        close(c->fd);
        pthread_mutex_destroy(&c->wlock);
        server_unref(c->server);
        free(c);
    }
}

static void send_response(conn *c, uint32_t stream_id, const ttrpc_status *st,
                          const uint8_t *payload, size_t len)
{
    Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
    Ttrpc__Status status = TTRPC__STATUS__INIT;
    if (st->code != TTRPC_OK) {
        status.code = st->code;
        status.message = st->message ? st->message : (char *)"";
        resp.status = &status;
    } else {
        resp.payload.data = (uint8_t *)payload;
        resp.payload.len = len;
    }
    cleanup_free uint8_t *buf = NULL;
    size_t n = shim_pb_pack(&resp.base, &buf);
    if (n > TTRPC_MAX_DATA) {
        /* A reply can only be this large through a bug or a huge Pids list;
         * say so instead of sending a frame the client must reject. */
        ttrpc_status big = {TTRPC_RESOURCE_EXHAUSTED, (char *)"response exceeds 4 MiB"};
        send_response(c, stream_id, &big, NULL, 0);
        return;
    }
    pthread_mutex_lock(&c->wlock);
    if (shim_ttrpc_write_frame(c->fd, stream_id, TTRPC_TYPE_RESPONSE, 0, buf, n) < 0)
        util_log_debug("ttrpc: writing response on stream %u: %s", stream_id, strerror(errno));
    pthread_mutex_unlock(&c->wlock);
}

static void run_job(job *j)
{
    ttrpc_server *s = j->c->server;
    ttrpc_call call = {
        .service = j->req->service,
        .method = j->req->method,
        .payload = j->req->payload.data,
        .payload_len = j->req->payload.len,
        .ns = NULL,
    };
    for (size_t i = 0; i < j->req->n_metadata; i++) {
        if (strcmp(j->req->metadata[i]->key, "containerd-namespace-ttrpc") == 0)
            call.ns = j->req->metadata[i]->value;
    }
    ttrpc_status st = {TTRPC_OK, NULL};
    cleanup_free uint8_t *resp = NULL;
    size_t resp_len = 0;
    if (s->handler(s->ctx, &call, &resp, &resp_len, &st) < 0 && st.code == TTRPC_OK)
        shim_ttrpc_status_set(&st, TTRPC_UNKNOWN, "%s/%s failed", call.service, call.method);
    send_response(j->c, j->stream_id, &st, resp, resp_len);
    free(st.message);
    ttrpc__request__free_unpacked(j->req, NULL);
    atomic_fetch_sub(&s->inflight, 1);
    conn_unref(j->c);
    free(j);
}

static void *job_thread(void *arg)
{
    run_job(arg);
    return NULL;
}

static void dispatch(conn *c, ttrpc_frame *f)
{
    if (f->h.type != TTRPC_TYPE_REQUEST)
        return; /* streaming data frames are not part of the Task API */
    if (f->oversized) {
        ttrpc_status st = {TTRPC_RESOURCE_EXHAUSTED, NULL};
        shim_ttrpc_status_set(&st, TTRPC_RESOURCE_EXHAUSTED,
                              "message length %u exceeds maximum message size of %u", f->h.length,
                              TTRPC_MAX_DATA);
        send_response(c, f->h.stream_id, &st, NULL, 0);
        free(st.message);
        return;
    }
    Ttrpc__Request *req = ttrpc__request__unpack(NULL, f->h.length, f->data);
    if (req == NULL) {
        ttrpc_status st = {TTRPC_INVALID_ARGUMENT, (char *)"malformed ttrpc.Request"};
        send_response(c, f->h.stream_id, &st, NULL, 0);
        return;
    }
    job *j = util_xcalloc(1, sizeof *j);
    j->c = c;
    j->stream_id = f->h.stream_id;
    j->req = req;
    atomic_fetch_add(&c->refs, 1);
    atomic_fetch_add(&c->server->inflight, 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    pthread_t t;
    int rc = pthread_create(&t, &attr, job_thread, j);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        util_log_warn("ttrpc: no thread for a request (%s); handling it inline", strerror(rc));
        run_job(j);
    }
}

static void *conn_thread(void *arg)
{
    conn *c = arg;
    ttrpc_reader r = {0};
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t off = 0;
        while (off < (size_t)n) {
            size_t used = 0;
            ttrpc_frame f;
            int got = shim_ttrpc_reader_feed(&r, buf + off, (size_t)n - off, &used, &f);
            off += used;
            if (got) {
                dispatch(c, &f);
                free(f.data);
            }
        }
    }
    shim_ttrpc_reader_free(&r);
    conn_unref(c);
    return NULL;
}

static bool peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return false;
    return cred.uid == geteuid();
}

ttrpc_server *shim_ttrpc_server_new(int listen_fd, ttrpc_handler handler, void *ctx)
{
    ttrpc_server *s = util_xcalloc(1, sizeof *s);
    s->listen_fd = listen_fd;
    s->handler = handler;
    s->ctx = ctx;
    atomic_init(&s->refs, 1);
    if (pipe2(s->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

int shim_ttrpc_server_run(ttrpc_server *s)
{
    for (;;) {
        struct pollfd p[2] = {{s->listen_fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (p[1].revents)
            return 0;
        if (!(p[0].revents & POLLIN))
            continue;
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        if (!peer_allowed(fd)) {
            util_log_warn("ttrpc: refusing a peer with another uid");
            close(fd);
            continue;
        }
        conn *c = util_xcalloc(1, sizeof *c);
        c->fd = fd;
        c->server = s;
        atomic_fetch_add(&s->refs, 1);
        atomic_init(&c->refs, 1);
        pthread_mutex_init(&c->wlock, NULL);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, WORKER_STACK);
        pthread_t t;
        int rc = pthread_create(&t, &attr, conn_thread, c);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            util_log_error("ttrpc: no thread for a connection: %s", strerror(rc));
            conn_unref(c);
        }
    }
}

void shim_ttrpc_server_stop(ttrpc_server *s)
{
    ssize_t n = write(s->stop_pipe[1], "x", 1);
    (void)n;
}

int shim_ttrpc_server_inflight(ttrpc_server *s)
{
    return atomic_load(&s->inflight);
}

void shim_ttrpc_server_free(ttrpc_server *s)
{
    if (s == NULL)
        return;
    close(s->listen_fd);
    s->listen_fd = -1;
    server_unref(s);
}
