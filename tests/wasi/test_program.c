/*
 * test_program.c - the one policy for running a WASI program (wasi.h, "one
 * policy"): the features every path compiles with (a tail-call module,
 * refused without them), the load texts, and how every way a run can end
 * maps to an exit status and a message.  Programs: hello.wasm
 * (examples/hello) and tailcall.wasm (programs/tailcall.c, -mtail-call).
 */
#include "test.h"
#include "util.h"
#include "wasi.h"
#include "wasm.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

static wasm_module *compile_file(const char *path)
{
    char *bytes = NULL;
    size_t len = 0;
    util_error *err = NULL;
    wasm_module *m = NULL;
    if (util_read_file(path, &bytes, &len, &err) == 0)
        m = wasi_program_compile((uint8_t *)bytes, len, path, &err);
    if (m == NULL)
        util_error_report(&err, path);
    return m;
}

static char *fd_text(int fd)
{
    static char buf[8192];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* Runs `m` with argv and options; stdout goes to *out (a memfd, or none). */
static int run(wasm_module *m, const char *const *argv, size_t argc,
               const wasi_program_options *opts, wasi_program_outcome *o, int out)
{
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = argv;
    cfg.argc = argc;
    cfg.stdin_fd = -1;
    cfg.stdout_fd = out;
    cfg.stderr_fd = -1;
    return wasi_program_run(m, &cfg, opts, o);
}

static void test_tail_calls_are_on_and_needed(void)
{
    CHECK(wasi_program_features().tail_call);
    char *bytes = NULL;
    size_t len = 0;
    CHECK_INT(util_read_file(WASM_DIR "/tailcall.wasm", &bytes, &len, NULL), 0);
    /* The module really uses return_call (0x12): without the feature the
     * engine refuses the opcode (the spec's tests call that malformed). */
    wasm_features off = {0};
    wasm_result res;
    wasm_result_init(&res);
    wasm_module *m = wasm_module_new((const uint8_t *)bytes, len, &off, &res);
    CHECK(m == NULL);
    CHECK_INT(res.kind, WASM_MALFORMED);
    CHECK(strncmp(res.message, "illegal opcode 0x12 ", 20) == 0);
    free(bytes);

    m = compile_file(WASM_DIR "/tailcall.wasm");
    CHECK(m != NULL);
    if (m == NULL)
        return;
    int out = memfd_create("stdout", MFD_CLOEXEC);
    const char *argv[] = {"tailcall", "3000000"}; /* deeper than any call stack */
    wasi_program_outcome o;
    CHECK_INT(run(m, argv, 2, NULL, &o, out), 0);
    CHECK_INT(o.end, WASI_PROGRAM_EXITED);
    CHECK(o.message == NULL);
    CHECK_STR(fd_text(out), "tail calls: 3000000\n");
    wasi_program_outcome_free(&o);
    close(out);
    wasm_module_free(m);
}

static void test_load_failures_name_the_file(void)
{
    util_error *err = NULL;
    uint8_t *b = util_xmalloc(10);
    memcpy(b, "\0asm\x01\0\0\0\x01\xff", 10);
    CHECK(wasi_program_compile(b, 10, "bad.wasm", &err) == NULL);
    CHECK(err && strncmp(err->msg, "bad.wasm: malformed module: ", 28) == 0);
    util_error_free(&err);

    /* (module (func (result i32))): a body that leaves nothing */
    static const uint8_t invalid[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f,
                                      3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0b};
    b = util_xmalloc(sizeof(invalid));
    memcpy(b, invalid, sizeof(invalid));
    CHECK(wasi_program_compile(b, sizeof(invalid), "v.wasm", &err) == NULL);
    CHECK(err && strncmp(err->msg, "v.wasm: invalid module: ", 24) == 0);
    util_error_free(&err);

    b = util_xmalloc(10);
    memcpy(b, "\0asm\x0d\0\x01\0\0\0", 10);
    CHECK(wasi_program_compile(b, 10, "c.wasm", &err) == NULL);
    CHECK(err && strstr(err->msg, "c.wasm is a WebAssembly component") == err->msg);
    util_error_free(&err);
}

static void expect(wasi_program_outcome *o, wasi_program_end end, int status, const char *msg)
{
    CHECK_INT(o->end, end);
    CHECK_INT(o->status, status);
    if (msg == NULL)
        CHECK(o->message == NULL);
    else
        CHECK_STR(o->message ? o->message : "(none)", msg);
    wasi_program_outcome_free(o);
}

static void test_exit_codes(void)
{
    wasm_module *m = compile_file(WASM_DIR "/hello.wasm");
    CHECK(m != NULL);
    if (m == NULL)
        return;
    wasi_program_outcome o;
    const char *ok[] = {"hello"};
    run(m, ok, 1, NULL, &o, -1);
    expect(&o, WASI_PROGRAM_EXITED, 0, NULL);
    const char *three[] = {"hello", "--exit", "3"};
    run(m, three, 3, NULL, &o, -1);
    CHECK_INT(o.exit_code, 3);
    expect(&o, WASI_PROGRAM_EXITED, 3, "the guest exited with code 3");
    const char *big[] = {"hello", "--exit", "256"}; /* 256 & 0xff would read as success */
    run(m, big, 3, NULL, &o, -1);
    CHECK_INT(o.exit_code, 256);
    expect(&o, WASI_PROGRAM_EXITED, 1, "the guest exited with code 256");
    const char *neg[] = {"hello", "--exit", "-1"};
    run(m, neg, 3, NULL, &o, -1);
    expect(&o, WASI_PROGRAM_EXITED, 1, "the guest exited with code -1");
    wasm_module_free(m);
}

static void test_trap_and_timeouts(void)
{
    wasm_module *m = compile_file(WASM_DIR "/hello.wasm");
    wasm_module *tc = compile_file(WASM_DIR "/tailcall.wasm");
    CHECK(m != NULL && tc != NULL);
    if (m == NULL || tc == NULL)
        return;
    wasi_program_outcome o;
    const char *trap[] = {"hello", "--trap"};
    CHECK_INT(run(m, trap, 2, NULL, &o, -1), WASI_STATUS_TRAPPED);
    CHECK(strstr(o.backtrace, "#0") != NULL);
    expect(&o, WASI_PROGRAM_TRAPPED, 134, "the guest trapped: unreachable");

    /* blocked in poll_oneoff at the deadline */
    wasi_program_options opts = {.timeout_ms = 200};
    const char *sleep[] = {"hello", "--sleep", "600000"};
    run(m, sleep, 3, &opts, &o, -1);
    CHECK(strstr(o.backtrace, "poll_oneoff") != NULL);
    expect(&o, WASI_PROGRAM_TIMED_OUT, 134, "interrupted after the 200 ms timeout");
    /* computing at the deadline (10^13 tail calls) */
    const char *spin[] = {"tailcall", "10000000000000"};
    run(tc, spin, 2, &opts, &o, -1);
    expect(&o, WASI_PROGRAM_TIMED_OUT, 134, "interrupted after the 200 ms timeout");
    /* a deadline given as such, without a timeout to name */
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = spin;
    cfg.argc = 2;
    cfg.deadline_ns = util_monotonic_ns() + 200000000u;
    wasi_program_run(tc, &cfg, NULL, &o);
    expect(&o, WASI_PROGRAM_TIMED_OUT, 134, "interrupted at its deadline");
    wasm_module_free(m);
    wasm_module_free(tc);
}

/* (module (import "env" "missing" (func))) */
static const uint8_t unlinkable[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0,
                                     2, 15, 1, 3, 'e', 'n', 'v', 7, 'm', 'i', 's', 's', 'i',
                                     'n', 'g', 0, 0};

static void test_what_cannot_start_is_1(void)
{
    util_error *err = NULL;
    uint8_t *b = util_xmalloc(sizeof(unlinkable));
    memcpy(b, unlinkable, sizeof(unlinkable));
    wasm_module *m = wasi_program_compile(b, sizeof(unlinkable), "u.wasm", &err);
    CHECK(m != NULL);
    wasi_program_options opts = {.name = "u.wasm"};
    wasi_program_outcome o;
    const char *argv[] = {"u"};
    CHECK_INT(run(m, argv, 1, &opts, &o, -1), WASI_STATUS_NOT_STARTED);
    CHECK_INT(o.end, WASI_PROGRAM_NOT_STARTED);
    CHECK(o.message && strncmp(o.message, "u.wasm: unlinkable: ", 20) == 0 &&
          strstr(o.message, "missing"));
    CHECK_STR(o.backtrace, "");
    wasi_program_outcome_free(&o);
    wasm_module_free(m);

    m = compile_file(WASM_DIR "/hello.wasm");
    if (m == NULL)
        return;
    /* hello.wasm starts with 2 pages: a 1-page cap refuses to start it */
    opts = (wasi_program_options){.name = "hello.wasm", .max_memory_bytes = 65536,
                                  .max_memory_source = "--max-memory-size"};
    run(m, argv, 1, &opts, &o, -1);
    CHECK_INT(o.status, 1);
    CHECK(o.message && strncmp(o.message, "hello.wasm: cannot instantiate: ", 32) == 0);
    CHECK(o.message && strstr(o.message, "(--max-memory-size)"));
    expect(&o, WASI_PROGRAM_NOT_STARTED, 1, o.message);

    opts = (wasi_program_options){.invoke = "nope"};
    run(m, argv, 1, &opts, &o, -1);
    expect(&o, WASI_PROGRAM_NOT_STARTED, 1, "the module exports no function 'nope'");

    wasi_preopen missing = {.host_path = "/nonexistent/dir", .guest_path = "/"};
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.preopens = &missing;
    cfg.npreopens = 1;
    wasi_program_run(m, &cfg, NULL, &o);
    CHECK(o.message && strstr(o.message, "/nonexistent/dir"));
    expect(&o, WASI_PROGRAM_NOT_STARTED, 1, o.message);
    wasm_module_free(m);
}

/* ---- cancelling through the watched store --------------------------------- */

typedef struct watcher {
    bool cancel_at_once;
    wasm_store *store;
    pthread_mutex_t lock;
    bool unwatched;
} watcher;

static bool watch(void *arg, wasm_store *store)
{
    watcher *w = arg;
    pthread_mutex_lock(&w->lock);
    w->store = store;
    pthread_mutex_unlock(&w->lock);
    return w->cancel_at_once;
}

static bool unwatch(void *arg)
{
    watcher *w = arg;
    pthread_mutex_lock(&w->lock);
    w->store = NULL;
    w->unwatched = true;
    pthread_mutex_unlock(&w->lock);
    return true;
}

/* Interrupts the store once the run handed it over. */
static void *canceller(void *arg)
{
    watcher *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        bool done = w->unwatched;
        if (w->store != NULL)
            wasm_store_interrupt(w->store);
        pthread_mutex_unlock(&w->lock);
        if (done)
            return NULL;
        usleep(10000);
    }
}

static void test_cancelled_runs(void)
{
    wasm_module *tc = compile_file(WASM_DIR "/tailcall.wasm");
    if (tc == NULL)
        return;
    int out = memfd_create("stdout", MFD_CLOEXEC);
    watcher w = {.cancel_at_once = true, .lock = PTHREAD_MUTEX_INITIALIZER};
    wasi_program_options opts = {.watch = watch, .unwatch = unwatch, .watch_arg = &w};
    wasi_program_outcome o;
    const char *argv[] = {"tailcall", "5"};
    run(tc, argv, 2, &opts, &o, out);
    CHECK(w.unwatched);
    CHECK_STR(fd_text(out), ""); /* cancelled before it started: nothing ran */
    expect(&o, WASI_PROGRAM_CANCELLED, 134, "the run was cancelled");

    w = (watcher){.lock = PTHREAD_MUTEX_INITIALIZER};
    pthread_t t;
    CHECK_INT(pthread_create(&t, NULL, canceller, &w), 0);
    const char *forever[] = {"tailcall", "10000000000000"};
    run(tc, forever, 2, &opts, &o, out);
    pthread_join(t, NULL);
    expect(&o, WASI_PROGRAM_CANCELLED, 134, "the run was cancelled");
    close(out);
    wasm_module_free(tc);
}

static void test_report(void)
{
    int fd = memfd_create("stderr", MFD_CLOEXEC);
    wasi_program_outcome o = {.end = WASI_PROGRAM_EXITED, .status = 3,
                              .message = util_xstrdup("the guest exited with code 3")};
    wasi_program_report(&o, fd, "Error");
    CHECK_STR(fd_text(fd), ""); /* an exit code speaks for itself */
    wasi_program_outcome_free(&o);
    o = (wasi_program_outcome){.end = WASI_PROGRAM_TRAPPED, .status = 134,
                               .message = util_xstrdup("the guest trapped: unreachable")};
    snprintf(o.backtrace, sizeof(o.backtrace), "  #0 main (func 3)");
    wasi_program_report(&o, fd, "/app.wasm");
    CHECK_STR(fd_text(fd), "/app.wasm: the guest trapped: unreachable\n"
                           "backtrace:\n  #0 main (func 3)\n");
    wasi_program_outcome_free(&o);
    close(fd);
}

int main(void)
{
    RUN(test_tail_calls_are_on_and_needed);
    RUN(test_load_failures_name_the_file);
    RUN(test_exit_codes);
    RUN(test_trap_and_timeouts);
    RUN(test_what_cannot_start_is_1);
    RUN(test_cancelled_runs);
    RUN(test_report);
    return TEST_SUMMARY();
}
