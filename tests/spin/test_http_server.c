/*
 * test_http_server.c - the HTTP/1.1 front end: framing, keep-alive, chunked
 * bodies, limits, listen addresses and graceful stop, with a handler that
 * echoes what it was given (no Wasm involved); and the jobs a worker runs:
 * the fast path that needs no worker, deadlines, cancellation when the
 * client hangs up or a stop gives up, and the memory budget for bodies.
 */
#include "http_server.h"
#include "http_test_server.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* Slow handlers announce themselves, so tests act once one is running
 * rather than after a guessed delay. */
static atomic_int slow_started;

static void wait_for_slow_handler(int before)
{
    for (int i = 0; i < 2000 && atomic_load(&slow_started) == before; i++)
        usleep(10 * 1000);
}

/* /block waits (at most 20 s) until a test lets it go. */
static atomic_bool unblock;
/* /wait-cancel registers a cancel hook and waits (at most 20 s) for it;
 * what the job said about its cancellation ends up here (-1 = not yet). */
static atomic_int cancel_seen = -1;
static atomic_bool cancel_called;
/* /deadline reports how far away its deadline was. */
static atomic_llong deadline_left_ms = -1;

static void on_cancel(void *arg)
{
    atomic_store((atomic_bool *)arg, true);
}

static void wait_for(atomic_bool *flag)
{
    for (int i = 0; i < 4000 && !atomic_load(flag); i++)
        usleep(5 * 1000);
}

static void echo_handler(void *ctx, const spin_http_request *req, spin_http_response *resp)
{
    (void)ctx;
    if (strcmp(req->path, "/block") == 0) {
        atomic_fetch_add(&slow_started, 1);
        wait_for(&unblock);
    }
    if (strcmp(req->path, "/wait-cancel") == 0) {
        spin_http_job_set_label(req->job, "test label");
        CHECK_INT(spin_http_job_on_cancel(req->job, on_cancel, &cancel_called),
                  SPIN_HTTP_NOT_CANCELLED);
        atomic_fetch_add(&slow_started, 1);
        wait_for(&cancel_called);
        spin_http_job_clear_cancel(req->job);
        atomic_store(&cancel_seen, (int)spin_http_job_cancelled(req->job));
    }
    if (strcmp(req->path, "/maybe-cancel") == 0) {
        /* Waits 500 ms or until cancelled, and says which. */
        atomic_bool cancelled = false;
        spin_http_job_on_cancel(req->job, on_cancel, &cancelled);
        atomic_fetch_add(&slow_started, 1);
        for (int i = 0; i < 100 && !atomic_load(&cancelled); i++)
            usleep(5 * 1000);
        spin_http_job_clear_cancel(req->job);
        util_buf_printf(&resp->body, "cancelled=%d ", (int)spin_http_job_cancelled(req->job));
    }
    if (strcmp(req->path, "/deadline") == 0)
        atomic_store(&deadline_left_ms,
                     req->deadline_ns ? (long long)(req->deadline_ns - util_monotonic_ns()) / 1000000
                                      : 0);
    if (strcmp(req->path, "/slow") == 0 || strcmp(req->path, "/hang") == 0)
        atomic_fetch_add(&slow_started, 1);
    if (strcmp(req->path, "/slow") == 0)
        usleep(300 * 1000);
    if (strcmp(req->path, "/hang") == 0)
        usleep(1500 * 1000);
    if (strncmp(req->path, "/status/", 8) == 0) {
        resp->status = atoi(req->path + 8);
        spin_http_response_add_header(resp, "X-Test", "yes");
    }
    const char *xh = spin_http_request_header(req, "x-hello");
    util_buf_printf(&resp->body, "%s %s path=%s query=%s client=%s xhello=%s body=", req->method,
                    req->version, req->path, req->query ? req->query : "(none)", req->client_ip,
                    xh ? xh : "(none)");
    util_buf_append(&resp->body, req->body, req->body_len);
}

typedef test_server server;

static server start_with(spin_http_server_config cfg)
{
    cfg.handler = echo_handler;
    return test_server_start(cfg);
}

static server start(size_t max_body, size_t max_header)
{
    return start_with((spin_http_server_config){.max_body_bytes = max_body,
                                                .max_header_bytes = max_header});
}

typedef struct {
    int status;
    char head[4096];
    char body[8192];
} response;

/* Reads one response (Content-Length framed); returns false on EOF/timeout. */
static bool read_response(int fd, response *r)
{
    static char buf[65536];
    size_t len = 0;
    memset(r, 0, sizeof(*r));
    for (;;) {
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            size_t hl = (size_t)(end - buf);
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            size_t want = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
            if (len >= hl + 4 + want) {
                snprintf(r->head, sizeof(r->head), "%.*s", (int)hl, buf);
                snprintf(r->body, sizeof(r->body), "%.*s", (int)want, end + 4);
                sscanf(buf, "HTTP/1.%*d %d", &r->status);
                return true;
            }
        }
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            return false;
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            return false;
        len += (size_t)n;
    }
}

static bool request(int port, const char *raw, response *r)
{
    int fd = test_server_connect(port);
    if (fd < 0)
        return false;
    util_write_all(fd, raw, strlen(raw));
    bool ok = read_response(fd, r);
    close(fd);
    return ok;
}

static void test_get_raw_path_and_query(void)
{
    server s = start(0, 0);
    response r;
    CHECK(request(s.port, "GET /a%20b/c?x=1&y=%41 HTTP/1.1\r\nHost: h\r\nX-Hello: there\r\n\r\n",
                  &r));
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body, "GET HTTP/1.1 path=/a%20b/c query=x=1&y=%41 client=127.0.0.1 "
                      "xhello=there body=");
    CHECK(request(s.port, "GET /plain HTTP/1.1\r\nHost: h\r\n\r\n", &r));
    CHECK(strstr(r.body, "query=(none)") != NULL);
    spin_http_server_stop(s.srv, 1000);
}

static void test_keep_alive_serves_several_requests(void)
{
    server s = start(0, 0);
    int fd = test_server_connect(s.port);
    response r;
    for (int i = 0; i < 3; i++) {
        char req[128];
        snprintf(req, sizeof(req), "GET /n%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
        util_write_all(fd, req, strlen(req));
        CHECK(read_response(fd, &r));
        char want[32];
        snprintf(want, sizeof(want), "path=/n%d", i);
        CHECK(strstr(r.body, want) != NULL);
    }
    close(fd);
    spin_http_server_stop(s.srv, 1000);
}

static void test_chunked_body_is_reassembled(void)
{
    server s = start(0, 0);
    response r;
    CHECK(request(s.port,
                  "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n",
                  &r));
    CHECK_INT(r.status, 200);
    CHECK(strstr(r.body, "POST HTTP/1.1 path=/echo") != NULL);
    CHECK(strstr(r.body, "body=hello, world") != NULL);
    spin_http_server_stop(s.srv, 1000);
}

static void test_body_limit_gives_413(void)
{
    server s = start(16, 0);
    response r;
    CHECK(request(s.port,
                  "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n12345678901234567",
                  &r));
    CHECK_INT(r.status, 413);
    CHECK(request(s.port,
                  "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
                  &r));
    CHECK_INT(r.status, 413);
    /* At the limit is fine. */
    CHECK(request(s.port,
                  "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\n1234567890123456",
                  &r));
    CHECK_INT(r.status, 200);
    spin_http_server_stop(s.srv, 1000);
}

static void test_header_limit_gives_431(void)
{
    server s = start(0, 4096);
    static char req[32768];
    int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\nX-Big: ");
    memset(req + n, 'a', 30000);
    memcpy(req + n + 30000, "\r\n\r\n", 5);
    response r;
    CHECK(request(s.port, req, &r));
    CHECK_INT(r.status, 431);
    spin_http_server_stop(s.srv, 1000);
}

static void test_handler_status_and_headers(void)
{
    server s = start(0, 0);
    response r;
    CHECK(request(s.port, "GET /status/404 HTTP/1.1\r\nHost: h\r\n\r\n", &r));
    CHECK_INT(r.status, 404);
    CHECK(strcasestr(r.head, "\r\nX-Test: yes") != NULL);
    CHECK(request(s.port, "DELETE /status/201 HTTP/1.1\r\nHost: h\r\n\r\n", &r));
    CHECK_INT(r.status, 201);
    CHECK(strstr(r.body, "DELETE HTTP/1.1") != NULL);
    spin_http_server_stop(s.srv, 1000);
}

static void *slow_client(void *arg)
{
    int *port = arg;
    static response r;
    bool ok = request(*port, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    return ok && r.status == 200 ? (void *)1 : NULL;
}

static void test_stop_lets_in_flight_requests_finish(void)
{
    server s = start(0, 0);
    pthread_t t;
    int before = atomic_load(&slow_started);
    pthread_create(&t, NULL, slow_client, &s.port);
    wait_for_slow_handler(before);
    spin_http_server_stop(s.srv, 5000);
    void *ok = NULL;
    pthread_join(t, &ok);
    CHECK(ok == (void *)1);
    /* And nothing is accepted any more. */
    CHECK(test_server_connect(s.port) < 0);
}

static void *hang_client(void *arg)
{
    int *port = arg;
    static response r;
    request(*port, "GET /hang HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    return NULL;
}

static void test_stop_gives_up_on_a_handler_that_does_not_finish(void)
{
    server s = start(0, 0);
    pthread_t t;
    int before = atomic_load(&slow_started);
    pthread_create(&t, NULL, hang_client, &s.port);
    wait_for_slow_handler(before);
    /* false = it gave up while the handler still ran (waiting for it
     * would have found everything drained). */
    CHECK(!spin_http_server_stop(s.srv, 200));
    pthread_join(t, NULL);
}

/* ---- jobs ---------------------------------------------------------------- */

static bool fast_handler(void *ctx, const spin_http_request *req, spin_http_response *resp)
{
    (void)ctx;
    CHECK(req->job == NULL);
    if (strcmp(req->path, "/fast") != 0)
        return false;
    resp->status = 203;
    util_buf_append_str(&resp->body, "fast");
    return true;
}

static void *get_thread(void *arg)
{
    const char *raw = ((const char **)arg)[0];
    int port = atoi(((const char **)arg)[1]);
    response *r = calloc(1, sizeof(*r));
    if (!request(port, raw, r))
        r->status = -1;
    return r;
}

static void test_fast_handler_answers_while_every_worker_is_busy(void)
{
    server s = start_with((spin_http_server_config){.workers = 1, .fast_handler = fast_handler});
    char port[16];
    snprintf(port, sizeof(port), "%d", s.port);
    const char *args[] = {"GET /block HTTP/1.1\r\nHost: h\r\n\r\n", port};
    atomic_store(&unblock, false);
    int before = atomic_load(&slow_started);
    pthread_t t;
    pthread_create(&t, NULL, get_thread, args);
    wait_for_slow_handler(before);
    /* The only worker is taken; the fast path needs none. */
    response r;
    CHECK(request(s.port, "GET /fast HTTP/1.1\r\nHost: h\r\n\r\n", &r));
    CHECK_INT(r.status, 203);
    CHECK_STR(r.body, "fast");
    atomic_store(&unblock, true);
    void *blocked = NULL;
    pthread_join(t, &blocked);
    CHECK_INT(((response *)blocked)->status, 200);
    free(blocked);
    /* What the fast handler declines still reaches a worker. */
    CHECK(request(s.port, "GET /other HTTP/1.1\r\nHost: h\r\n\r\n", &r));
    CHECK_INT(r.status, 200);
    CHECK(strstr(r.body, "path=/other") != NULL);
    spin_http_server_stop(s.srv, 1000);
}

static void test_requests_carry_their_deadline(void)
{
    server s = start_with((spin_http_server_config){.request_timeout_ms = 5000});
    response r;
    atomic_store(&deadline_left_ms, -1);
    CHECK(request(s.port, "GET /deadline HTTP/1.1\r\nHost: h\r\n\r\n", &r));
    long long left = atomic_load(&deadline_left_ms);
    CHECK(left > 0 && left <= 5000);
    spin_http_server_stop(s.srv, 1000);

    s = start_with((spin_http_server_config){0});
    CHECK(request(s.port, "GET /deadline HTTP/1.1\r\nHost: h\r\n\r\n", &r));
    CHECK_INT(atomic_load(&deadline_left_ms), 0); /* no deadline */
    spin_http_server_stop(s.srv, 1000);
}

static int wait_for_cancel_seen(void)
{
    for (int i = 0; i < 4000 && atomic_load(&cancel_seen) < 0; i++)
        usleep(5 * 1000);
    return atomic_load(&cancel_seen);
}

static void test_a_client_hanging_up_cancels_its_job(void)
{
    server s = start_with((spin_http_server_config){0});
    atomic_store(&cancel_seen, -1);
    atomic_store(&cancel_called, false);
    int before = atomic_load(&slow_started);
    int fd = test_server_connect(s.port);
    const char *raw = "GET /wait-cancel HTTP/1.1\r\nHost: h\r\n\r\n";
    util_write_all(fd, raw, strlen(raw));
    wait_for_slow_handler(before);
    close(fd);
    CHECK_INT(wait_for_cancel_seen(), SPIN_HTTP_CLIENT_GONE);
    CHECK(atomic_load(&cancel_called));
    /* The worker is free again. */
    response r;
    CHECK(request(s.port, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n", &r));
    CHECK_INT(r.status, 200);
    CHECK(spin_http_server_stop(s.srv, 1000));
}

static void test_an_http10_client_may_half_close_and_still_get_its_answer(void)
{
    server s = start_with((spin_http_server_config){0});
    int fd = test_server_connect(s.port);
    const char *raw = "GET /maybe-cancel HTTP/1.0\r\nHost: h\r\n\r\n";
    int before = atomic_load(&slow_started);
    util_write_all(fd, raw, strlen(raw));
    wait_for_slow_handler(before);
    shutdown(fd, SHUT_WR); /* as `printf ... | nc` does at the end of its input */
    response r;
    CHECK(read_response(fd, &r));
    CHECK_INT(r.status, 200);
    CHECK(strncmp(r.body, "cancelled=0 ", 12) == 0);
    close(fd);
    spin_http_server_stop(s.srv, 1000);
}

static void test_stop_logs_and_cancels_what_outlives_the_grace_period(void)
{
    server s = start_with((spin_http_server_config){0});
    atomic_store(&cancel_seen, -1);
    atomic_store(&cancel_called, false);
    char port[16];
    snprintf(port, sizeof(port), "%d", s.port);
    const char *args[] = {"GET /wait-cancel?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", port};
    int before = atomic_load(&slow_started);
    pthread_t t;
    pthread_create(&t, NULL, get_thread, args);
    wait_for_slow_handler(before);

    int log_fd = memfd_create("log", MFD_CLOEXEC);
    util_log_set_fd(log_fd);
    /* The handler ends once cancelled, so the stop completes (true). */
    CHECK(spin_http_server_stop(s.srv, 200));
    util_log_set_fd(2);
    CHECK_INT(wait_for_cancel_seen(), SPIN_HTTP_STOPPING);
    void *resp = NULL;
    pthread_join(t, &resp);
    free(resp);

    char log[4096] = "";
    ssize_t n = pread(log_fd, log, sizeof(log) - 1, 0);
    log[n > 0 ? n : 0] = '\0';
    close(log_fd);
    CHECK(strstr(log, "GET /wait-cancel?x=1 (test label) still running after") != NULL);
    CHECK(strstr(log, "abandoning") == NULL);
}

static void test_body_memory_is_capped_across_requests(void)
{
    server s = start_with((spin_http_server_config){.max_body_bytes = 60000,
                                                    .max_buffered_body_bytes = 100000});
    static char raw[70000];
    char port[16];
    snprintf(port, sizeof(port), "%d", s.port);
    /* A held request whose 60000-byte body stays buffered meanwhile. */
    int n = snprintf(raw, sizeof(raw), "POST /block HTTP/1.1\r\nHost: h\r\nContent-Length: 60000\r\n\r\n");
    memset(raw + n, 'a', 60000);
    raw[n + 60000] = '\0';
    atomic_store(&unblock, false);
    int before = atomic_load(&slow_started);
    const char *args[] = {raw, port};
    pthread_t t;
    pthread_create(&t, NULL, get_thread, args);
    wait_for_slow_handler(before);
    CHECK_INT(spin_http_server_buffered_body_bytes(s.srv), 60001);

    /* Another one does not fit beside it: 503, try again later. */
    static char raw2[70000];
    n = snprintf(raw2, sizeof(raw2), "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 60000\r\n\r\n");
    memset(raw2 + n, 'b', 60000);
    raw2[n + 60000] = '\0';
    response r;
    CHECK(request(s.port, raw2, &r));
    CHECK_INT(r.status, 503);
    CHECK(strcasestr(r.head, "\r\nRetry-After: 1") != NULL);
    /* Nor does a chunked one once it grows past what is left. */
    static char chunked[60000];
    n = snprintf(chunked, sizeof(chunked),
                 "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 5; i++) {
        n += snprintf(chunked + n, sizeof(chunked) - (size_t)n, "2710\r\n");
        memset(chunked + n, 'c', 10000);
        n += 10000;
        n += snprintf(chunked + n, sizeof(chunked) - (size_t)n, "\r\n");
    }
    snprintf(chunked + n, sizeof(chunked) - (size_t)n, "0\r\n\r\n");
    CHECK(request(s.port, chunked, &r));
    CHECK_INT(r.status, 503);
    /* A small one still fits. */
    CHECK(request(s.port, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nsmall", &r));
    CHECK_INT(r.status, 200);

    atomic_store(&unblock, true);
    void *held = NULL;
    pthread_join(t, &held);
    CHECK_INT(((response *)held)->status, 200);
    free(held);
    /* With the held body gone, both fit again, and nothing stays counted. */
    CHECK(request(s.port, raw2, &r));
    CHECK_INT(r.status, 200);
    CHECK(request(s.port, chunked, &r));
    CHECK_INT(r.status, 200);
    CHECK_INT(spin_http_server_buffered_body_bytes(s.srv), 0);
    spin_http_server_stop(s.srv, 1000);
}

static void test_listen_addresses(void)
{
    util_error *err = NULL;
    char *bound = NULL;
    int fd = spin_http_listen("localhost:0", &bound, &err);
    CHECK(fd >= 0);
    CHECK(bound && (strncmp(bound, "127.0.0.1:", 10) == 0 || strncmp(bound, "[::1]:", 6) == 0));
    free(bound);
    close(fd);

    const char *bad[] = {"nocolon", "127.0.0.1:99999", "127.0.0.1:", "[::1]80",
                         "no-such-host.invalid:80"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(bad); i++) {
        CHECK(spin_http_listen(bad[i], NULL, &err) < 0);
        CHECK(err && strstr(err->msg, bad[i]) != NULL);
        util_error_free(&err);
    }

    /* A port in use is reported as such. */
    fd = spin_http_listen("127.0.0.1:0", &bound, &err);
    CHECK(fd >= 0);
    CHECK(spin_http_listen(bound, NULL, &err) < 0);
    CHECK(err && strstr(err->msg, "already in use") != NULL);
    util_error_free(&err);
    free(bound);
    close(fd);
}

int main(void)
{
    RUN(test_get_raw_path_and_query);
    RUN(test_keep_alive_serves_several_requests);
    RUN(test_chunked_body_is_reassembled);
    RUN(test_body_limit_gives_413);
    RUN(test_header_limit_gives_431);
    RUN(test_handler_status_and_headers);
    RUN(test_stop_lets_in_flight_requests_finish);
    RUN(test_stop_gives_up_on_a_handler_that_does_not_finish);
    RUN(test_fast_handler_answers_while_every_worker_is_busy);
    RUN(test_requests_carry_their_deadline);
    RUN(test_a_client_hanging_up_cancels_its_job);
    RUN(test_an_http10_client_may_half_close_and_still_get_its_answer);
    RUN(test_stop_logs_and_cancels_what_outlives_the_grace_period);
    RUN(test_body_memory_is_capped_across_requests);
    RUN(test_listen_addresses);
    return TEST_SUMMARY();
}
