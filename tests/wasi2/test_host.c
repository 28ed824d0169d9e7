/*
 * test_host.c - the WASI 0.2 host functions of src/wasi2 (wasi:io, cli,
 * clocks, random), called through component_linker_call as a guest's call
 * reaches them, against a wasi2_ctx whose stdio are pipes: values, bytes
 * on the descriptors, the streams' permits, traps, closed, polls, exits.
 * component_linker_call also checks every result against the registered
 * WIT signature, so a value of the wrong shape fails here too.
 */
#include "test.h"
#include "wasi2_internal.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define IO(x) "wasi:io/" x "@0.2.0" /* served by the 0.2.12 registration */
#define CLI(x) "wasi:cli/" x "@0.2.3"

typedef struct fixture {
    int in[2], out[2], errp[2];
    wasi2_ctx *ctx;
    component_linker *l;
    component_call *call;
    char error[512]; /* the last call's error, "" if none */
} fixture;

static uint64_t fixture_deadline; /* the next fixture's deadline_ns */

static fixture *fixture_new(const int *stdin_fd, const int *stdout_fd)
{
    fixture *f = util_xcalloc(1, sizeof(*f));
    if (pipe2(f->in, O_CLOEXEC) || pipe2(f->out, O_CLOEXEC) || pipe2(f->errp, O_CLOEXEC))
        abort();
    static const char *argv[] = {"app.wasm", "--flag", "ünï"};
    static const char *env[] = {"HOME=/", "EQ=a=b", "EMPTY="};
    wasi2_config c;
    wasi2_config_init(&c);
    c.argv = argv;
    c.argc = 3;
    c.env = env;
    c.envc = 3;
    c.stdin_fd = stdin_fd ? *stdin_fd : f->in[0];
    c.stdout_fd = stdout_fd ? *stdout_fd : f->out[1];
    c.stderr_fd = f->errp[1];
    c.deadline_ns = fixture_deadline;
    util_error *err = NULL;
    f->ctx = wasi2_ctx_new(&c, &err);
    f->l = component_linker_new();
    if (f->ctx == NULL || wasi2_define(f->l, NULL, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err ? err->msg : "?");
        abort();
    }
    f->call = component_call_new(f->ctx);
    return f;
}

static void fixture_free(fixture *f)
{
    component_call_free(f->call);
    component_linker_free(f->l);
    wasi2_ctx_free(f->ctx);
    for (int i = 0; i < 2; i++) {
        close(f->in[i]);
        close(f->out[i]);
        close(f->errp[i]);
    }
    free(f);
}

/* Calls iface.name; 0, or -1 with f->error set. */
static int call(fixture *f, const char *iface, const char *name, const component_val *args,
                size_t nargs, component_val *result)
{
    util_error *err = NULL;
    f->error[0] = '\0';
    int rc = component_linker_call(f->l, iface, name, f->call, args, nargs, result, &err);
    if (rc < 0) {
        snprintf(f->error, sizeof(f->error), "%s", err ? err->msg : "(no error)");
        util_error_free(&err);
    }
    return rc;
}

static component_val borrow(const component_val *own)
{
    return (component_val){.kind = COMPONENT_VAL_BORROW, .of.resource = own->of.resource};
}

static component_val u64v(uint64_t v)
{
    return (component_val){.kind = COMPONENT_VAL_U64, .of.u = v};
}

static component_val bytes(const void *p, size_t n)
{
    return (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.raw = p, .n = n}};
}

static bool is_ok(const component_val *r)
{
    return r->kind == COMPONENT_VAL_VARIANT && r->of.variant.disc == 0;
}

/* err(closed) */
static bool is_closed(const component_val *r)
{
    return r->kind == COMPONENT_VAL_VARIANT && r->of.variant.disc == 1 &&
           r->of.variant.payload->of.variant.disc == 1;
}

static component_val get_stream(fixture *f, const char *iface, const char *name)
{
    component_val s = {0};
    CHECK_INT(call(f, iface, name, NULL, 0, &s), 0);
    CHECK(s.kind == COMPONENT_VAL_OWN && s.of.resource.rep != 0);
    return s;
}

static void drop_stream(component_val *s)
{
    wasi2_stream_release((wasi2_stream *)s->of.resource.rep);
}

static uint64_t check_write(fixture *f, const component_val *out)
{
    component_val a[1] = {borrow(out)}, r;
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.check-write", a, 1, &r), 0);
    CHECK(is_ok(&r));
    return is_ok(&r) ? r.of.variant.payload->of.u : 0;
}

static bool test_kept_freed;
static void kept_free(void *data)
{
    test_kept_freed = data == &test_kept_freed;
}

/* The registration's shared state goes with the linker. */
static void test_linker_keeps_registration_state(void)
{
    component_linker *l = component_linker_new();
    component_linker_keep(l, &test_kept_freed, kept_free);
    CHECK(!test_kept_freed);
    component_linker_free(l);
    CHECK(test_kept_freed);
}

static void test_arguments_and_environment(void)
{
    fixture *f = fixture_new(NULL, NULL);
    component_val r;
    CHECK_INT(call(f, CLI("environment"), "get-arguments", NULL, 0, &r), 0);
    CHECK_INT(r.of.list.n, 3);
    if (r.of.list.n == 3) {
        CHECK(r.of.list.items[2].of.str.len == strlen("ünï") &&
              memcmp(r.of.list.items[2].of.str.ptr, "ünï", strlen("ünï")) == 0);
        CHECK(r.of.list.items[1].of.str.len == 6 &&
              memcmp(r.of.list.items[1].of.str.ptr, "--flag", 6) == 0);
    }
    CHECK_INT(call(f, CLI("environment"), "get-environment", NULL, 0, &r), 0);
    CHECK_INT(r.of.list.n, 3);
    if (r.of.list.n == 3) {
        const component_val *kv = r.of.list.items[1].of.record.fields;
        CHECK(kv[0].of.str.len == 2 && memcmp(kv[0].of.str.ptr, "EQ", 2) == 0);
        CHECK(kv[1].of.str.len == 3 && memcmp(kv[1].of.str.ptr, "a=b", 3) == 0);
        kv = r.of.list.items[2].of.record.fields;
        CHECK_INT(kv[1].of.str.len, 0);
    }
    CHECK_INT(call(f, CLI("environment"), "initial-cwd", NULL, 0, &r), 0);
    CHECK(r.kind == COMPONENT_VAL_VARIANT && r.of.variant.disc == 0);
    fixture_free(f);
}

/* check-write, write, flush: the bytes reach the descriptor exactly. */
static void test_stdout_bytes_exact(void)
{
    fixture *f = fixture_new(NULL, NULL);
    component_val out = get_stream(f, CLI("stdout"), "get-stdout");
    uint64_t permit = check_write(f, &out);
    CHECK(permit >= 11);
    component_val a[2] = {borrow(&out), bytes("hello\0world", 11)}, r;
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.write", a, 2, &r), 0);
    CHECK(is_ok(&r));
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.blocking-flush", a, 1, &r), 0);
    CHECK(is_ok(&r));
    a[1] = bytes("\n\xff", 2);
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.blocking-write-and-flush", a, 2, &r),
              0);
    CHECK(is_ok(&r));
    a[1] = u64v(2);
    CHECK(check_write(f, &out) >= 2);
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.write-zeroes", a, 2, &r), 0);
    CHECK(is_ok(&r));
    char got[32];
    CHECK_INT(read(f->out[0], got, sizeof(got)), 15);
    CHECK(memcmp(got, "hello\0world\n\xff\0\0", 15) == 0);
    drop_stream(&out);

    component_val err = get_stream(f, CLI("stderr"), "get-stderr");
    a[0] = borrow(&err);
    a[1] = bytes("oops", 4);
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.blocking-write-and-flush", a, 2, &r),
              0);
    CHECK_INT(read(f->errp[0], got, sizeof(got)), 4);
    CHECK(memcmp(got, "oops", 4) == 0);
    drop_stream(&err);
    fixture_free(f);
}

/* The WIT's preconditions: a write beyond check-write's permit traps, and
 * so does blocking-write-and-flush of more than 4096 bytes. */
static void test_write_beyond_permit_traps(void)
{
    fixture *f = fixture_new(NULL, NULL);
    component_val out = get_stream(f, CLI("stdout"), "get-stdout");
    component_val a[2] = {borrow(&out), bytes("x", 1)}, r;
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.write", a, 2, &r), -1);
    CHECK(strstr(f->error, "check-write") != NULL);
    uint64_t permit = check_write(f, &out);
    CHECK_INT(permit, 4096); /* a pipe with room */
    static uint8_t big[4097];
    a[1] = bytes(big, (size_t)permit + 1);
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.write", a, 2, &r), -1);
    CHECK(strstr(f->error, "check-write") != NULL);
    a[1] = u64v(permit + 1);
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.write-zeroes", a, 2, &r), -1);
    a[1] = bytes(big, 4097);
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.blocking-write-and-flush", a, 2, &r),
              -1);
    CHECK(strstr(f->error, "4096") != NULL);
    a[1] = u64v(4097);
    CHECK_INT(call(f, IO("streams"),
                   "[method]output-stream.blocking-write-zeroes-and-flush", a, 2, &r),
              -1);
    /* nothing reached the pipe */
    fcntl(f->out[0], F_SETFL, O_NONBLOCK);
    char c;
    CHECK_INT(read(f->out[0], &c, 1), -1);
    drop_stream(&out);
    fixture_free(f);
}

/* read: an empty list when nothing is ready; blocking-read: the data;
 * EOF: err(closed), then closed again. */
static void test_stdin_read_semantics(void)
{
    fixture *f = fixture_new(NULL, NULL);
    component_val in = get_stream(f, CLI("stdin"), "get-stdin");
    component_val a[2] = {borrow(&in), u64v(100)}, r;
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.read", a, 2, &r), 0);
    CHECK(is_ok(&r) && r.of.variant.payload->of.list.n == 0);
    CHECK_INT(write(f->in[1], "data!", 5), 5);
    a[1] = u64v(3);
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.blocking-read", a, 2, &r), 0);
    CHECK(is_ok(&r) && r.of.variant.payload->of.list.n == 3 &&
          memcmp(r.of.variant.payload->of.list.raw, "dat", 3) == 0);
    a[1] = u64v(1);
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.skip", a, 2, &r), 0);
    CHECK(is_ok(&r) && r.of.variant.payload->of.u == 1);
    a[1] = u64v(100);
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.read", a, 2, &r), 0);
    CHECK(is_ok(&r) && r.of.variant.payload->of.list.n == 1 &&
          memcmp(r.of.variant.payload->of.list.raw, "!", 1) == 0);
    close(f->in[1]);
    f->in[1] = -1;
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.blocking-read", a, 2, &r), 0);
    CHECK(is_closed(&r));
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.read", a, 2, &r), 0);
    CHECK(is_closed(&r));
    drop_stream(&in);
    fixture_free(f);
}

/* -1: an empty stdin (closed at once) and a stdout that takes everything. */
static void test_missing_stdio(void)
{
    int none = -1;
    fixture *f = fixture_new(&none, &none);
    component_val in = get_stream(f, CLI("stdin"), "get-stdin");
    component_val a[2] = {borrow(&in), u64v(10)}, r;
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.blocking-read", a, 2, &r), 0);
    CHECK(is_closed(&r));
    component_val out = get_stream(f, CLI("stdout"), "get-stdout");
    a[0] = borrow(&out);
    a[1] = bytes("gone", 4);
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.blocking-write-and-flush", a, 2, &r),
              0);
    CHECK(is_ok(&r));
    drop_stream(&in);
    drop_stream(&out);
    fixture_free(f);
}

/* A read that fails: last-operation-failed with an error whose debug
 * string says what failed. */
static void test_stream_error_resource(void)
{
    int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    fixture *f = fixture_new(&dir, NULL);
    component_val in = get_stream(f, CLI("stdin"), "get-stdin");
    component_val a[2] = {borrow(&in), u64v(10)}, r;
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.blocking-read", a, 2, &r), 0);
    CHECK(r.of.variant.disc == 1 && r.of.variant.payload->of.variant.disc == 0);
    if (r.of.variant.disc == 1 && r.of.variant.payload->of.variant.disc == 0) {
        component_val e = *r.of.variant.payload->of.variant.payload;
        component_val ea[1] = {borrow(&e)}, s;
        CHECK_INT(call(f, IO("error"), "[method]error.to-debug-string", ea, 1, &s), 0);
        CHECK(s.kind == COMPONENT_VAL_STRING &&
              memmem(s.of.str.ptr, s.of.str.len, "Is a directory", 14) != NULL);
        CHECK_INT(((wasi2_error *)e.of.resource.rep)->errnum, EISDIR);
        wasi2_error_free((wasi2_error *)e.of.resource.rep);
    }
    /* closed after the failure was reported */
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.read", a, 2, &r), 0);
    CHECK(is_closed(&r));
    drop_stream(&in);
    fixture_free(f);
    close(dir);
}

static component_val subscribe_duration(fixture *f, uint64_t ns)
{
    component_val a[1] = {u64v(ns)}, p = {0};
    CHECK_INT(call(f, "wasi:clocks/monotonic-clock@0.2.0", "subscribe-duration", a, 1, &p), 0);
    return p;
}

/* poll over stdin's pollable and a 50 ms timer: the ready index. */
static void test_poll_pipe_and_timer(void)
{
    fixture *f = fixture_new(NULL, NULL);
    component_val in = get_stream(f, CLI("stdin"), "get-stdin");
    component_val a[1] = {borrow(&in)}, sub;
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.subscribe", a, 1, &sub), 0);
    component_val timer = subscribe_duration(f, 50 * 1000000ull);
    uint64_t start = util_monotonic_ns();
    component_val list[2] = {borrow(&sub), borrow(&timer)};
    component_val pa[1] = {{.kind = COMPONENT_VAL_LIST, .of.list = {.items = list, .n = 2}}};
    component_val r;
    CHECK_INT(write(f->in[1], "x", 1), 1);
    CHECK_INT(call(f, IO("poll"), "poll", pa, 1, &r), 0);
    CHECK_INT(r.of.list.n, 1);
    if (r.of.list.n == 1)
        CHECK_INT(((const uint32_t *)r.of.list.raw)[0], 0);
    char c;
    CHECK_INT(read(f->in[0], &c, 1), 1);
    CHECK_INT(call(f, IO("poll"), "poll", pa, 1, &r), 0);
    CHECK_INT(r.of.list.n, 1);
    if (r.of.list.n == 1)
        CHECK_INT(((const uint32_t *)r.of.list.raw)[0], 1);
    CHECK(util_monotonic_ns() - start >= 50 * 1000000ull);
    component_val ra[1] = {borrow(&timer)};
    CHECK_INT(call(f, IO("poll"), "[method]pollable.ready", ra, 1, &r), 0);
    CHECK(r.of.b);
    ra[0] = borrow(&sub);
    CHECK_INT(call(f, IO("poll"), "[method]pollable.ready", ra, 1, &r), 0);
    CHECK(!r.of.b);
    /* the stream's handle may go first: the pollable keeps it */
    drop_stream(&in);
    CHECK_INT(write(f->in[1], "y", 1), 1);
    CHECK_INT(call(f, IO("poll"), "[method]pollable.block", ra, 1, NULL), 0);
    CHECK_INT(call(f, IO("poll"), "[method]pollable.ready", ra, 1, &r), 0);
    CHECK(r.of.b);
    pa[0].of.list.n = 0;
    CHECK_INT(call(f, IO("poll"), "poll", pa, 1, &r), -1);
    CHECK(strstr(f->error, "empty") != NULL);
    wasi2_pollable_free((wasi2_pollable *)sub.of.resource.rep);
    wasi2_pollable_free((wasi2_pollable *)timer.of.resource.rep);
    fixture_free(f);
}

static void test_splice_stdin_to_stdout(void)
{
    fixture *f = fixture_new(NULL, NULL);
    component_val in = get_stream(f, CLI("stdin"), "get-stdin");
    component_val out = get_stream(f, CLI("stdout"), "get-stdout");
    CHECK_INT(write(f->in[1], "through", 7), 7);
    component_val a[3] = {borrow(&out), borrow(&in), u64v(100)}, r;
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.blocking-splice", a, 3, &r), 0);
    CHECK(is_ok(&r) && r.of.variant.payload->of.u == 7);
    char got[16];
    CHECK_INT(read(f->out[0], got, sizeof(got)), 7);
    CHECK(memcmp(got, "through", 7) == 0);
    close(f->in[1]);
    f->in[1] = -1;
    CHECK_INT(call(f, IO("streams"), "[method]output-stream.splice", a, 3, &r), 0);
    CHECK(is_closed(&r));
    drop_stream(&in);
    drop_stream(&out);
    fixture_free(f);
}

static void test_exit_codes(void)
{
    fixture *f = fixture_new(NULL, NULL);
    component_val a[1] = {{.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}}};
    CHECK_INT(call(f, CLI("exit"), "exit", a, 1, NULL), -1);
    CHECK_INT(component_call_exit_code(f->call), 0);
    a[0].of.variant.disc = 1;
    CHECK_INT(call(f, CLI("exit"), "exit", a, 1, NULL), -1);
    CHECK_INT(component_call_exit_code(f->call), 1);
    a[0] = (component_val){.kind = COMPONENT_VAL_U8, .of.u = 42};
    CHECK_INT(call(f, "wasi:cli/exit@0.2.12", "exit-with-code", a, 1, NULL), -1);
    CHECK_INT(component_call_exit_code(f->call), 42);
    fixture_free(f);
}

static void test_terminals_of_pipes_are_none(void)
{
    fixture *f = fixture_new(NULL, NULL);
    component_val r;
    CHECK_INT(call(f, CLI("terminal-stdin"), "get-terminal-stdin", NULL, 0, &r), 0);
    CHECK(r.kind == COMPONENT_VAL_VARIANT && r.of.variant.disc == 0);
    CHECK_INT(call(f, CLI("terminal-stdout"), "get-terminal-stdout", NULL, 0, &r), 0);
    CHECK(r.kind == COMPONENT_VAL_VARIANT && r.of.variant.disc == 0);
    CHECK_INT(call(f, CLI("terminal-stderr"), "get-terminal-stderr", NULL, 0, &r), 0);
    CHECK(r.kind == COMPONENT_VAL_VARIANT && r.of.variant.disc == 0);
    fixture_free(f);
}

static void test_clocks(void)
{
    fixture *f = fixture_new(NULL, NULL);
    const char *mono = "wasi:clocks/monotonic-clock@0.2.0";
    component_val r1, r2;
    CHECK_INT(call(f, mono, "now", NULL, 0, &r1), 0);
    struct timespec nap = {0, 2000000};
    nanosleep(&nap, NULL);
    CHECK_INT(call(f, mono, "now", NULL, 0, &r2), 0);
    CHECK(r2.of.u > r1.of.u);
    CHECK(r2.of.u - r1.of.u >= 2000000);
    CHECK_INT(call(f, mono, "resolution", NULL, 0, &r1), 0);
    CHECK(r1.of.u > 0 && r1.of.u <= 1000000);
    /* an instant in the past is ready at once */
    component_val a[1] = {u64v(1)}, p;
    CHECK_INT(call(f, mono, "subscribe-instant", a, 1, &p), 0);
    component_val pa[1] = {borrow(&p)};
    CHECK_INT(call(f, IO("poll"), "[method]pollable.ready", pa, 1, &r1), 0);
    CHECK(r1.of.b);
    wasi2_pollable_free((wasi2_pollable *)p.of.resource.rep);
    CHECK_INT(call(f, "wasi:clocks/wall-clock@0.2.0", "now", NULL, 0, &r1), 0);
    uint64_t secs = r1.of.record.fields[0].of.u;
    time_t t = time(NULL);
    CHECK(secs + 5 >= (uint64_t)t && secs <= (uint64_t)t + 5);
    CHECK(r1.of.record.fields[1].of.u < 1000000000u);
    CHECK_INT(call(f, "wasi:clocks/wall-clock@0.2.0", "resolution", NULL, 0, &r1), 0);
    CHECK(r1.of.record.fields[0].of.u > 0 || r1.of.record.fields[1].of.u > 0);
    fixture_free(f);
}

static void test_random(void)
{
    fixture *f = fixture_new(NULL, NULL);
    const size_t lens[] = {0, 1, 16, 100000};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(lens); i++) {
        component_val a[1] = {u64v(lens[i])}, r;
        CHECK_INT(call(f, "wasi:random/random@0.2.0", "get-random-bytes", a, 1, &r), 0);
        CHECK_INT(r.of.list.n, lens[i]);
        CHECK_INT(call(f, "wasi:random/insecure@0.2.0", "get-insecure-random-bytes", a, 1, &r),
                  0);
        CHECK_INT(r.of.list.n, lens[i]);
    }
    component_val a[1] = {u64v(32)}, r1, r2;
    CHECK_INT(call(f, "wasi:random/random@0.2.0", "get-random-bytes", a, 1, &r1), 0);
    CHECK_INT(call(f, "wasi:random/random@0.2.0", "get-random-bytes", a, 1, &r2), 0);
    CHECK(memcmp(r1.of.list.raw, r2.of.list.raw, 32) != 0);
    CHECK_INT(call(f, "wasi:random/random@0.2.0", "get-random-u64", NULL, 0, &r1), 0);
    CHECK_INT(call(f, "wasi:random/random@0.2.0", "get-random-u64", NULL, 0, &r2), 0);
    CHECK(r1.of.u != r2.of.u);
    CHECK_INT(call(f, "wasi:random/insecure-seed@0.2.0", "insecure-seed", NULL, 0, &r1), 0);
    CHECK_INT(call(f, "wasi:random/insecure-seed@0.2.0", "insecure-seed", NULL, 0, &r2), 0);
    CHECK(r1.of.record.n == 2 && r1.of.record.fields[0].of.u == r2.of.record.fields[0].of.u &&
          r1.of.record.fields[1].of.u == r2.of.record.fields[1].of.u);
    /* more than a call may hold: a trap naming the function, not a crash */
    a[0] = u64v(UINT64_MAX);
    CHECK_INT(call(f, "wasi:random/random@0.2.0", "get-random-bytes", a, 1, &r1), -1);
    CHECK(strstr(f->error, "get-random-bytes") != NULL);
    fixture_free(f);
}

/* deadline_ns ends a wait that nothing else would: blocking-read on a
 * silent pipe, poll on it, and a block; each traps and is recorded. */
static void test_deadline_ends_waits(void)
{
    fixture_deadline = util_monotonic_ns() + 50 * 1000000ull;
    fixture *f = fixture_new(NULL, NULL);
    fixture_deadline = 0;
    CHECK(!wasi2_ctx_deadline_hit(f->ctx));
    component_val in = get_stream(f, CLI("stdin"), "get-stdin");
    component_val a[2] = {borrow(&in), u64v(10)}, r;
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.read", a, 2, &r), 0);
    CHECK(!wasi2_ctx_deadline_hit(f->ctx));
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.blocking-read", a, 2, &r), -1);
    CHECK(strstr(f->error, "deadline") != NULL);
    CHECK(wasi2_ctx_deadline_hit(f->ctx));
    CHECK(util_monotonic_ns() >= f->ctx->deadline_ns);
    component_val sub;
    CHECK_INT(call(f, IO("streams"), "[method]input-stream.subscribe", a, 1, &sub), 0);
    component_val list[1] = {borrow(&sub)};
    component_val pa[1] = {{.kind = COMPONENT_VAL_LIST, .of.list = {.items = list, .n = 1}}};
    CHECK_INT(call(f, IO("poll"), "poll", pa, 1, &r), -1);
    CHECK(strstr(f->error, "deadline") != NULL);
    CHECK_INT(call(f, IO("poll"), "[method]pollable.block", list, 1, NULL), -1);
    CHECK(strstr(f->error, "deadline") != NULL);
    /* ready things are still answered after the deadline */
    CHECK_INT(write(f->in[1], "z", 1), 1);
    CHECK_INT(call(f, IO("poll"), "poll", pa, 1, &r), 0);
    CHECK_INT(r.of.list.n, 1);
    wasi2_pollable_free((wasi2_pollable *)sub.of.resource.rep);
    drop_stream(&in);
    fixture_free(f);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_linker_keeps_registration_state);
    RUN(test_arguments_and_environment);
    RUN(test_stdout_bytes_exact);
    RUN(test_write_beyond_permit_traps);
    RUN(test_stdin_read_semantics);
    RUN(test_missing_stdio);
    RUN(test_stream_error_resource);
    RUN(test_poll_pipe_and_timer);
    RUN(test_splice_stdin_to_stdout);
    RUN(test_exit_codes);
    RUN(test_terminals_of_pipes_are_none);
    RUN(test_clocks);
    RUN(test_random);
    RUN(test_deadline_ends_waits);
    return TEST_SUMMARY();
}
