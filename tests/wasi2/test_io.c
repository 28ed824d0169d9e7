/*
 * test_io.c - the C side of wasi:io in src/wasi2: the context, streams
 * over pipes and files (non-blocking reads, permits, closed), splice and
 * the wait over many pollables.
 */
#include "test.h"
#include "wasi2_internal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void make_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0) {
        perror("pipe2");
        exit(2);
    }
}

static void test_ctx_copies_config(void)
{
    const char *argv[] = {"prog", "a b"};
    const char *env[] = {"A=1", "EMPTY="};
    wasi2_config c;
    wasi2_config_init(&c);
    c.argv = argv;
    c.argc = 2;
    c.env = env;
    c.envc = 2;
    c.stdout_fd = -1;
    wasi2_preopen pre = {.host_path = "/tmp", .guest_path = "/"};
    c.preopens = &pre;
    c.npreopens = 1;
    util_error *err = NULL;
    wasi2_ctx *ctx = wasi2_ctx_new(&c, &err);
    CHECK(ctx != NULL);
    if (ctx == NULL)
        return;
    CHECK_INT(ctx->argc, 2);
    CHECK_STR(ctx->argv[1], "a b");
    CHECK(ctx->argv[1] != argv[1]);
    CHECK_INT(ctx->envc, 2);
    CHECK_STR(ctx->env[1], "EMPTY=");
    CHECK_INT(ctx->stdin_fd, 0);
    CHECK_INT(ctx->stdout_fd, -1);
    CHECK_INT(ctx->npreopens, 1);
    CHECK_STR(ctx->preopens[0].guest_path, "/");
    CHECK(ctx->preopens[0].dirfd >= 0);
    wasi2_ctx_free(ctx);
}

static void test_ctx_refuses_bad_config(void)
{
    const char *env[] = {"NOEQUALS"};
    wasi2_config c;
    wasi2_config_init(&c);
    c.env = env;
    c.envc = 1;
    util_error *err = NULL;
    CHECK(wasi2_ctx_new(&c, &err) == NULL);
    CHECK(err != NULL && strstr(err->msg, "NOEQUALS") != NULL);
    util_error_free(&err);

    wasi2_config_init(&c);
    wasi2_preopen pre = {.host_path = "/nonexistent-wasi2-dir", .guest_path = "/data"};
    c.preopens = &pre;
    c.npreopens = 1;
    CHECK(wasi2_ctx_new(&c, &err) == NULL);
    CHECK(err != NULL && strstr(err->msg, "/nonexistent-wasi2-dir") != NULL);
    util_error_free(&err);
}

/* read on an empty pipe: an empty result, at once; with data: the data;
 * after the writer is gone: closed, and closed ever after. */
static void test_input_pipe_read_semantics(void)
{
    int p[2];
    make_pipe(p);
    wasi2_stream *in = wasi2_fd_stream_new(p[0], false, true);
    char buf[16];
    size_t n = 99;
    int e = 0;
    CHECK_INT(wasi2_stream_read(in, buf, sizeof(buf), WASI2_NO_WAIT, &n, &e), WASI2_IO_OK);
    CHECK_INT(n, 0);
    CHECK_INT(write(p[1], "hello", 5), 5);
    CHECK_INT(wasi2_stream_read(in, buf, 3, WASI2_WAIT_FOREVER, &n, &e), WASI2_IO_OK);
    CHECK_INT(n, 3);
    CHECK(memcmp(buf, "hel", 3) == 0);
    CHECK_INT(wasi2_stream_read(in, buf, sizeof(buf), WASI2_NO_WAIT, &n, &e), WASI2_IO_OK);
    CHECK_INT(n, 2);
    CHECK(memcmp(buf, "lo", 2) == 0);
    close(p[1]);
    CHECK_INT(wasi2_stream_read(in, buf, sizeof(buf), WASI2_WAIT_FOREVER, &n, &e), WASI2_IO_CLOSED);
    CHECK_INT(wasi2_stream_read(in, buf, sizeof(buf), WASI2_NO_WAIT, &n, &e), WASI2_IO_CLOSED);
    wasi2_stream_release(in);
}

/* blocking-read waits for the writer: a child writes after a pause. */
static void test_blocking_read_waits_for_data(void)
{
    int p[2];
    make_pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50 * 1000);
        _exit(write(p[1], "late", 4) == 4 ? 0 : 1);
    }
    close(p[1]);
    wasi2_stream *in = wasi2_fd_stream_new(p[0], false, true);
    char buf[8];
    size_t n = 0;
    int e = 0;
    CHECK_INT(wasi2_stream_read(in, buf, sizeof(buf), WASI2_WAIT_FOREVER, &n, &e), WASI2_IO_OK);
    CHECK_INT(n, 4);
    CHECK(memcmp(buf, "late", 4) == 0);
    CHECK_INT(wasi2_stream_read(in, buf, sizeof(buf), WASI2_WAIT_FOREVER, &n, &e), WASI2_IO_CLOSED);
    wasi2_stream_release(in);
    int status;
    waitpid(pid, &status, 0);
}

static void test_empty_stdin_and_discarding_sink(void)
{
    wasi2_stream *in = wasi2_fd_stream_new(-1, false, false);
    char buf[4];
    size_t n;
    int e;
    CHECK_INT(wasi2_stream_read(in, buf, sizeof(buf), WASI2_WAIT_FOREVER, &n, &e), WASI2_IO_CLOSED);
    wasi2_stream_release(in);
    wasi2_stream *out = wasi2_fd_stream_new(-1, true, false);
    uint64_t permit = 0;
    CHECK_INT(wasi2_stream_check_write(out, &permit, &e), WASI2_IO_OK);
    CHECK(permit > 0);
    CHECK_INT(wasi2_stream_write(out, "xyz", 3, &e), WASI2_IO_OK);
    CHECK_INT(wasi2_stream_blocking_write(out, "abc", 3, WASI2_WAIT_FOREVER, &e), WASI2_IO_OK);
    wasi2_stream_release(out);
}

/* Permits: nothing may be written before check-write, never more than it
 * granted, and what was written arrives byte-exact. */
static void test_output_permits(void)
{
    int p[2];
    make_pipe(p);
    wasi2_stream *out = wasi2_fd_stream_new(p[1], true, true);
    int e = 0;
    CHECK_INT(wasi2_stream_write(out, "x", 1, &e), WASI2_IO_TRAP);
    uint64_t permit = 0;
    CHECK_INT(wasi2_stream_check_write(out, &permit, &e), WASI2_IO_OK);
    CHECK_INT(permit, 4096);
    static uint8_t big[4097];
    CHECK_INT(wasi2_stream_write(out, big, sizeof(big), &e), WASI2_IO_TRAP);
    CHECK_INT(wasi2_stream_write(out, "abc\0d", 5, &e), WASI2_IO_OK);
    CHECK_INT(wasi2_stream_write(out, big, 4092, &e), WASI2_IO_TRAP);
    CHECK_INT(wasi2_stream_write(out, NULL, 3, &e), WASI2_IO_OK); /* write-zeroes */
    CHECK_INT(wasi2_stream_flush(out, WASI2_WAIT_FOREVER, &e), WASI2_IO_OK);
    CHECK_INT(wasi2_stream_write(out, "y", 1, &e), WASI2_IO_TRAP); /* flush ended the permit */
    char got[16];
    CHECK_INT(read(p[0], got, sizeof(got)), 8);
    CHECK(memcmp(got, "abc\0d\0\0\0", 8) == 0);
    wasi2_stream_release(out);
    close(p[0]);
}

/* A full pipe grants nothing (check-write 0, not a blocked write); a reader
 * gone makes the stream closed. */
static void test_output_full_pipe_and_gone_reader(void)
{
    int p[2];
    make_pipe(p);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char fill[4096] = {0};
    while (write(p[1], fill, sizeof(fill)) > 0)
        ;
    fcntl(p[1], F_SETFL, 0);
    wasi2_stream *out = wasi2_fd_stream_new(p[1], true, true);
    uint64_t permit = 1;
    int e = 0;
    CHECK_INT(wasi2_stream_check_write(out, &permit, &e), WASI2_IO_OK);
    CHECK_INT(permit, 0);
    wasi2_pollable *sub = wasi2_pollable_stream(out);
    CHECK(!wasi2_pollable_ready(sub));
    close(p[0]);
    CHECK(wasi2_pollable_ready(sub));
    CHECK_INT(wasi2_stream_check_write(out, &permit, &e), WASI2_IO_CLOSED);
    CHECK_INT(wasi2_stream_blocking_write(out, "z", 1, WASI2_WAIT_FOREVER, &e), WASI2_IO_CLOSED);
    wasi2_stream_release(out); /* the pollable still holds it */
    CHECK(wasi2_pollable_ready(sub));
    wasi2_pollable_free(sub);
}

static void test_blocking_write_limit(void)
{
    int p[2];
    make_pipe(p);
    wasi2_stream *out = wasi2_fd_stream_new(p[1], true, true);
    static uint8_t big[4097];
    int e = 0;
    CHECK_INT(wasi2_stream_blocking_write(out, big, 4097, WASI2_WAIT_FOREVER, &e), WASI2_IO_TRAP);
    memset(big, 'q', 4096);
    CHECK_INT(wasi2_stream_blocking_write(out, big, 4096, WASI2_WAIT_FOREVER, &e), WASI2_IO_OK);
    static uint8_t got[8192];
    CHECK_INT(read(p[0], got, sizeof(got)), 4096);
    CHECK(got[0] == 'q' && got[4095] == 'q');
    wasi2_stream_release(out);
    close(p[0]);
}

static void test_splice_moves_bytes(void)
{
    int a[2], b[2];
    make_pipe(a);
    make_pipe(b);
    wasi2_stream *src = wasi2_fd_stream_new(a[0], false, true);
    wasi2_stream *dst = wasi2_fd_stream_new(b[1], true, true);
    uint64_t n = 9;
    int e = 0;
    CHECK_INT(wasi2_stream_splice(dst, src, 100, WASI2_NO_WAIT, &n, &e), WASI2_IO_OK);
    CHECK_INT(n, 0); /* nothing to move yet */
    CHECK_INT(write(a[1], "spliced!", 8), 8);
    CHECK_INT(wasi2_stream_splice(dst, src, 5, WASI2_WAIT_FOREVER, &n, &e), WASI2_IO_OK);
    CHECK_INT(n, 5);
    CHECK_INT(wasi2_stream_splice(dst, src, 100, WASI2_WAIT_FOREVER, &n, &e), WASI2_IO_OK);
    CHECK_INT(n, 3);
    char got[16];
    CHECK_INT(read(b[0], got, sizeof(got)), 8);
    CHECK(memcmp(got, "spliced!", 8) == 0);
    close(a[1]);
    CHECK_INT(wasi2_stream_splice(dst, src, 100, WASI2_WAIT_FOREVER, &n, &e), WASI2_IO_CLOSED);
    wasi2_stream_release(src);
    wasi2_stream_release(dst);
    close(b[0]);
}

/* poll over an empty pipe, a pipe with data and a 50 ms timer: only the
 * pipe with data; then, the data read, the timer once its time came. */
static void test_poll_many(void)
{
    int a[2], b[2];
    make_pipe(a);
    make_pipe(b);
    wasi2_stream *quiet = wasi2_fd_stream_new(a[0], false, true);
    wasi2_stream *busy = wasi2_fd_stream_new(b[0], false, true);
    uint64_t deadline = util_monotonic_ns() + 50 * 1000000ull;
    wasi2_pollable *ps[3] = {wasi2_pollable_stream(quiet), wasi2_pollable_timer(deadline),
                             wasi2_pollable_stream(busy)};
    CHECK_INT(write(b[1], "!", 1), 1);
    uint32_t ready[3];
    CHECK_INT(wasi2_poll(ps, 3, ready, WASI2_WAIT_FOREVER), 1);
    CHECK_INT(ready[0], 2);
    char c;
    CHECK_INT(read(b[0], &c, 1), 1);
    CHECK_INT(wasi2_poll(ps, 3, ready, WASI2_WAIT_FOREVER), 1);
    CHECK_INT(ready[0], 1);
    CHECK(util_monotonic_ns() >= deadline);
    CHECK(wasi2_pollable_ready(ps[1]));
    CHECK(!wasi2_pollable_ready(ps[0]));
    /* both at once: every ready index, in order */
    CHECK_INT(write(a[1], "!", 1), 1);
    CHECK_INT(wasi2_poll(ps, 3, ready, WASI2_WAIT_FOREVER), 2);
    CHECK_INT(ready[0], 0);
    CHECK_INT(ready[1], 1);
    for (int i = 0; i < 3; i++)
        wasi2_pollable_free(ps[i]);
    wasi2_stream_release(quiet);
    wasi2_stream_release(busy);
    close(a[1]);
    close(b[1]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_ctx_copies_config);
    RUN(test_ctx_refuses_bad_config);
    RUN(test_input_pipe_read_semantics);
    RUN(test_blocking_read_waits_for_data);
    RUN(test_empty_stdin_and_discarding_sink);
    RUN(test_output_permits);
    RUN(test_output_full_pipe_and_gone_reader);
    RUN(test_blocking_write_limit);
    RUN(test_splice_moves_bytes);
    RUN(test_poll_many);
    return TEST_SUMMARY();
}
