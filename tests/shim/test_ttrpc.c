/*
 * test_ttrpc.c - ttrpc framing and the server's behaviour on the wire:
 * frames split at every byte, several frames per read, oversized frames
 * answered with ResourceExhausted, unknown services/methods answered with
 * Unimplemented, and replies on interleaved streams that arrive out of
 * order (a blocked call does not stall later ones).
 */
#include "proto.h"
#include "test.h"
#include "ttrpc.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_header_round_trip(void)
{
    ttrpc_header h = {0x01020304, 0x0a0b0c0d, TTRPC_TYPE_RESPONSE, 0x05}, g;
    uint8_t b[TTRPC_HEADER_LEN];
    shim_ttrpc_header_encode(&h, b);
    const uint8_t want[] = {1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 2, 5};
    CHECK(memcmp(b, want, sizeof want) == 0);
    shim_ttrpc_header_decode(b, &g);
    CHECK_INT(g.length, h.length);
    CHECK_INT(g.stream_id, h.stream_id);
    CHECK_INT(g.type, h.type);
    CHECK_INT(g.flags, h.flags);
}

static size_t make_frame(uint8_t *out, uint32_t stream, const char *payload)
{
    ttrpc_header h = {(uint32_t)strlen(payload), stream, TTRPC_TYPE_REQUEST, 0};
    shim_ttrpc_header_encode(&h, out);
    memcpy(out + TTRPC_HEADER_LEN, payload, strlen(payload));
    return TTRPC_HEADER_LEN + strlen(payload);
}

static void test_reader_byte_by_byte(void)
{
    uint8_t buf[64];
    size_t n = make_frame(buf, 7, "hello");
    ttrpc_reader r = {0};
    ttrpc_frame f;
    int frames = 0;
    for (size_t i = 0; i < n; i++) {
        size_t used = 0;
        int got = shim_ttrpc_reader_feed(&r, buf + i, 1, &used, &f);
        CHECK_INT(used, 1);
        if (got) {
            frames++;
            CHECK_INT(i, n - 1); /* complete only at the last byte */
            CHECK_INT(f.h.stream_id, 7);
            CHECK_INT(f.h.length, 5);
            CHECK(memcmp(f.data, "hello", 5) == 0);
            free(f.data);
        }
    }
    CHECK_INT(frames, 1);
    shim_ttrpc_reader_free(&r);
}

static void test_reader_several_frames_in_one_read(void)
{
    uint8_t buf[128];
    size_t n = make_frame(buf, 1, "ab");
    n += make_frame(buf + n, 3, "");
    n += make_frame(buf + n, 5, "xyz");
    ttrpc_reader r = {0};
    uint32_t ids[3];
    int k = 0;
    size_t off = 0;
    while (off < n) {
        size_t used;
        ttrpc_frame f;
        if (shim_ttrpc_reader_feed(&r, buf + off, n - off, &used, &f)) {
            CHECK(k < 3);
            if (k < 3)
                ids[k] = f.h.stream_id;
            k++;
            free(f.data);
        }
        off += used;
    }
    CHECK_INT(k, 3);
    CHECK_INT(ids[0], 1);
    CHECK_INT(ids[1], 3);
    CHECK_INT(ids[2], 5);
    shim_ttrpc_reader_free(&r);
}

static void test_reader_skips_oversized_frame(void)
{
    /* header announcing 4 MiB + 1, then the data in chunks, then a normal frame */
    ttrpc_header h = {TTRPC_MAX_DATA + 1, 9, TTRPC_TYPE_REQUEST, 0};
    uint8_t hdr[TTRPC_HEADER_LEN];
    shim_ttrpc_header_encode(&h, hdr);
    ttrpc_reader r = {0};
    size_t used;
    ttrpc_frame f;
    CHECK_INT(shim_ttrpc_reader_feed(&r, hdr, sizeof hdr, &used, &f), 0);
    CHECK(r.data == NULL); /* nothing buffered for it */
    static uint8_t chunk[65536];
    size_t left = TTRPC_MAX_DATA + 1;
    int got = 0;
    while (left > 0) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        got = shim_ttrpc_reader_feed(&r, chunk, n, &used, &f);
        CHECK_INT(used, n);
        left -= n;
    }
    CHECK_INT(got, 1);
    CHECK(f.oversized);
    CHECK(f.data == NULL);
    CHECK_INT(f.h.stream_id, 9);
    uint8_t buf[32];
    size_t n = make_frame(buf, 11, "ok");
    CHECK_INT(shim_ttrpc_reader_feed(&r, buf, n, &used, &f), 1);
    CHECK(!f.oversized);
    CHECK_INT(f.h.stream_id, 11);
    free(f.data);
    shim_ttrpc_reader_free(&r);
}

/* ---- a live server with a test service -------------------------------- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;

static int test_handler(void *ctx, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                        ttrpc_status *st)
{
    if (strcmp(call->service, "test.Echo") != 0)
        return shim_ttrpc_status_set(st, TTRPC_UNIMPLEMENTED, "service %s: unknown service",
                                     call->service);
    if (strcmp(call->method, "Echo") == 0) {
        *resp = util_xmalloc(call->payload_len + 1);
        memcpy(*resp, call->payload, call->payload_len);
        *resp_len = call->payload_len;
        return 0;
    }
    if (strcmp(call->method, "Block") == 0) { /* waits until Open is called */
        pthread_mutex_lock(&gate_lock);
        while (!gate_open)
            pthread_cond_wait(&gate_cond, &gate_lock);
        pthread_mutex_unlock(&gate_lock);
        *resp = (uint8_t *)util_xstrdup("unblocked");
        *resp_len = 9;
        return 0;
    }
    if (strcmp(call->method, "Open") == 0) {
        pthread_mutex_lock(&gate_lock);
        gate_open = true;
        pthread_cond_broadcast(&gate_cond);
        pthread_mutex_unlock(&gate_lock);
        *resp = util_xmalloc(1);
        *resp_len = 0;
        return 0;
    }
    if (strcmp(call->method, "Namespace") == 0) {
        const char *ns = call->ns ? call->ns : "(none)";
        *resp = (uint8_t *)util_xstrdup(ns);
        *resp_len = strlen(ns);
        return 0;
    }
    return shim_ttrpc_status_set(st, TTRPC_UNIMPLEMENTED, "method %s: unknown method",
                                 call->method);
}

typedef struct live {
    ttrpc_server *s;
    pthread_t t;
    char path[108];
} live;

static void *serve_thread(void *arg)
{
    shim_ttrpc_server_run(arg);
    return NULL;
}

static int start_live(live *l)
{
    snprintf(l->path, sizeof l->path, "/tmp/ttrpc-test-%d.sock", (int)getpid());
    unlink(l->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, l->path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0)
        return -1;
    l->s = shim_ttrpc_server_new(fd, test_handler, NULL);
    return pthread_create(&l->t, NULL, serve_thread, l->s);
}

static void stop_live(live *l)
{
    shim_ttrpc_server_stop(l->s);
    pthread_join(l->t, NULL);
    shim_ttrpc_server_free(l->s);
    unlink(l->path);
}

static void test_server_echo_and_metadata(void)
{
    live l;
    CHECK_INT(start_live(&l), 0);
    ttrpc_client c;
    util_error *err = NULL;
    CHECK_INT(shim_ttrpc_client_connect(&c, l.path, &err), 0);
    uint8_t *resp = NULL;
    size_t len = 0;
    ttrpc_status st = {0, NULL};
    CHECK_INT(
        shim_ttrpc_client_call(&c, "test.Echo", "Echo", NULL, "ping", 4, &resp, &len, &st, &err),
        0);
    CHECK_INT(st.code, 0);
    CHECK_INT(len, 4);
    CHECK(resp && memcmp(resp, "ping", 4) == 0);
    free(resp);
    free(st.message);
    CHECK_INT(shim_ttrpc_client_call(&c, "test.Echo", "Namespace", "k8s.io", "", 0, &resp, &len,
                                     &st, &err),
              0);
    CHECK(len == 6 && memcmp(resp, "k8s.io", 6) == 0);
    free(resp);
    free(st.message);
    shim_ttrpc_client_close(&c);
    stop_live(&l);
}

static void test_server_unknown_service_and_method(void)
{
    live l;
    CHECK_INT(start_live(&l), 0);
    ttrpc_client c;
    util_error *err = NULL;
    CHECK_INT(shim_ttrpc_client_connect(&c, l.path, &err), 0);
    uint8_t *resp = NULL;
    size_t len = 0;
    ttrpc_status st = {0, NULL};
    CHECK_INT(shim_ttrpc_client_call(&c, "no.Such", "Echo", NULL, "", 0, &resp, &len, &st, &err),
              0);
    CHECK_INT(st.code, TTRPC_UNIMPLEMENTED);
    CHECK(st.message && strstr(st.message, "no.Such"));
    free(resp);
    free(st.message);
    CHECK_INT(shim_ttrpc_client_call(&c, "test.Echo", "Nope", NULL, "", 0, &resp, &len, &st, &err),
              0);
    CHECK_INT(st.code, TTRPC_UNIMPLEMENTED);
    CHECK(st.message && strstr(st.message, "Nope"));
    free(resp);
    free(st.message);
    shim_ttrpc_client_close(&c);
    stop_live(&l);
}

static void test_server_oversized_frame_then_continues(void)
{
    live l;
    CHECK_INT(start_live(&l), 0);
    ttrpc_client c;
    util_error *err = NULL;
    CHECK_INT(shim_ttrpc_client_connect(&c, l.path, &err), 0);
    /* a raw Request frame of 4 MiB + 16 bytes on stream 1 */
    size_t big = TTRPC_MAX_DATA + 16;
    uint8_t *data = util_xcalloc(1, big);
    ttrpc_header h = {(uint32_t)big, 1, TTRPC_TYPE_REQUEST, 0};
    uint8_t hdr[TTRPC_HEADER_LEN];
    shim_ttrpc_header_encode(&h, hdr);
    CHECK_INT(util_write_all(c.fd, hdr, sizeof hdr), sizeof hdr);
    CHECK_INT(util_write_all(c.fd, data, big), big);
    free(data);
    c.next_stream = 3;
    uint32_t id = 0;
    uint8_t *resp = NULL;
    size_t len = 0;
    ttrpc_status st = {0, NULL};
    CHECK_INT(shim_ttrpc_client_recv(&c, &id, &resp, &len, &st, &err), 0);
    CHECK_INT(id, 1);
    CHECK_INT(st.code, TTRPC_RESOURCE_EXHAUSTED);
    CHECK(st.message && strstr(st.message, "exceeds maximum message size"));
    free(resp);
    free(st.message);
    /* the connection is still usable */
    CHECK_INT(shim_ttrpc_client_call(&c, "test.Echo", "Echo", NULL, "x", 1, &resp, &len, &st, &err),
              0);
    CHECK_INT(st.code, 0);
    CHECK(len == 1 && resp[0] == 'x');
    free(resp);
    free(st.message);
    shim_ttrpc_client_close(&c);
    stop_live(&l);
}

static void test_server_interleaved_streams(void)
{
    live l;
    CHECK_INT(start_live(&l), 0);
    gate_open = false;
    ttrpc_client c;
    util_error *err = NULL;
    CHECK_INT(shim_ttrpc_client_connect(&c, l.path, &err), 0);
    /* stream 1 blocks; stream 3 must still be answered, then stream 5
     * opens the gate and stream 1 completes last */
    int64_t blocked = shim_ttrpc_client_send(&c, "test.Echo", "Block", NULL, "", 0, &err);
    int64_t echo = shim_ttrpc_client_send(&c, "test.Echo", "Echo", NULL, "e", 1, &err);
    CHECK_INT(blocked, 1);
    CHECK_INT(echo, 3);
    uint32_t id = 0;
    uint8_t *resp = NULL;
    size_t len = 0;
    ttrpc_status st = {0, NULL};
    CHECK_INT(shim_ttrpc_client_recv(&c, &id, &resp, &len, &st, &err), 0);
    CHECK_INT(id, 3);
    free(resp);
    free(st.message);
    int64_t open_id = shim_ttrpc_client_send(&c, "test.Echo", "Open", NULL, "", 0, &err);
    bool seen_open = false, seen_block = false;
    for (int i = 0; i < 2; i++) {
        CHECK_INT(shim_ttrpc_client_recv(&c, &id, &resp, &len, &st, &err), 0);
        if (id == (uint32_t)open_id)
            seen_open = true;
        if (id == 1) {
            seen_block = true;
            CHECK(len == 9 && memcmp(resp, "unblocked", 9) == 0);
        }
        free(resp);
        free(st.message);
    }
    CHECK(seen_open && seen_block);
    shim_ttrpc_client_close(&c);
    stop_live(&l);
}

static void test_server_partial_writes(void)
{
    live l;
    CHECK_INT(start_live(&l), 0);
    ttrpc_client c;
    util_error *err = NULL;
    CHECK_INT(shim_ttrpc_client_connect(&c, l.path, &err), 0);
    /* one request written a byte at a time */
    Ttrpc__Request r = TTRPC__REQUEST__INIT;
    r.service = (char *)"test.Echo";
    r.method = (char *)"Echo";
    r.payload.data = (uint8_t *)"slow";
    r.payload.len = 4;
    uint8_t *buf;
    size_t n = shim_pb_pack(&r.base, &buf);
    ttrpc_header h = {(uint32_t)n, 1, TTRPC_TYPE_REQUEST, 0};
    uint8_t hdr[TTRPC_HEADER_LEN];
    shim_ttrpc_header_encode(&h, hdr);
    for (size_t i = 0; i < sizeof hdr; i++)
        CHECK_INT(write(c.fd, hdr + i, 1), 1);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(write(c.fd, buf + i, 1), 1);
        if (i % 4 == 0)
            usleep(100);
    }
    free(buf);
    uint32_t id;
    uint8_t *resp = NULL;
    size_t len;
    ttrpc_status st = {0, NULL};
    CHECK_INT(shim_ttrpc_client_recv(&c, &id, &resp, &len, &st, &err), 0);
    CHECK_INT(id, 1);
    CHECK(len == 4 && memcmp(resp, "slow", 4) == 0);
    free(resp);
    free(st.message);
    shim_ttrpc_client_close(&c);
    stop_live(&l);
}

static void test_malformed_request_is_invalid_argument(void)
{
    live l;
    CHECK_INT(start_live(&l), 0);
    ttrpc_client c;
    util_error *err = NULL;
    CHECK_INT(shim_ttrpc_client_connect(&c, l.path, &err), 0);
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    CHECK_INT(shim_ttrpc_write_frame(c.fd, 1, TTRPC_TYPE_REQUEST, 0, junk, sizeof junk), 0);
    uint32_t id;
    uint8_t *resp = NULL;
    size_t len;
    ttrpc_status st = {0, NULL};
    CHECK_INT(shim_ttrpc_client_recv(&c, &id, &resp, &len, &st, &err), 0);
    CHECK_INT(st.code, TTRPC_INVALID_ARGUMENT);
    free(resp);
    free(st.message);
    shim_ttrpc_client_close(&c);
    stop_live(&l);
}

/* Only peers with our uid may talk to the shim (SO_PEERCRED). */
static void test_server_refuses_other_uids(void)
{
    if (geteuid() != 0) {
        /* needs root to become another user; the check is still built */
        fprintf(stderr, "test_server_refuses_other_uids: not root, nothing to compare\n");
        return;
    }
    live l;
    CHECK_INT(start_live(&l), 0);
    chmod(l.path, 0777); /* the file mode must not be what stops the peer */
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(3);
        ttrpc_client c;
        util_error *err = NULL;
        if (shim_ttrpc_client_connect(&c, l.path, &err) < 0)
            _exit(4);
        uint8_t *resp = NULL;
        size_t len;
        ttrpc_status st = {0, NULL};
        int rc =
            shim_ttrpc_client_call(&c, "test.Echo", "Echo", NULL, "x", 1, &resp, &len, &st, &err);
        _exit(rc < 0 ? 0 : 5); /* 0: the server hung up on us */
    }
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), 0);
    /* our own uid is still served */
    ttrpc_client c;
    util_error *err = NULL;
    CHECK_INT(shim_ttrpc_client_connect(&c, l.path, &err), 0);
    uint8_t *resp = NULL;
    size_t len = 0;
    ttrpc_status st = {0, NULL};
    CHECK_INT(shim_ttrpc_client_call(&c, "test.Echo", "Echo", NULL, "y", 1, &resp, &len, &st, &err),
              0);
    CHECK_INT(st.code, 0);
    free(resp);
    free(st.message);
    shim_ttrpc_client_close(&c);
    stop_live(&l);
}

int main(void)
{
    RUN(test_header_round_trip);
    RUN(test_reader_byte_by_byte);
    RUN(test_reader_several_frames_in_one_read);
    RUN(test_reader_skips_oversized_frame);
    RUN(test_server_echo_and_metadata);
    RUN(test_server_unknown_service_and_method);
    RUN(test_server_oversized_frame_then_continues);
    RUN(test_server_interleaved_streams);
    RUN(test_server_partial_writes);
    RUN(test_malformed_request_is_invalid_argument);
    RUN(test_server_refuses_other_uids);
    return TEST_SUMMARY();
}
