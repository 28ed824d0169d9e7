/*
 * test_components.c - real components, built by other people's toolchains
 * (SHARED_DIR/corpora/components), linked against wasi2_define alone and
 * run: what they write through wasi:cli/stdout reaches the ctx's
 * descriptor.  (Components that also import wasi:filesystem, such as the
 * C and Rust commands of the corpus, need the filesystem slice.)
 */
#include "test.h"
#include "wasi2_internal.h"
#include "wasm.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static uint8_t *read_bytes(const char *path, size_t *len)
{
    char *data = NULL;
    util_error *err = NULL;
    if (util_read_file(path, &data, len, &err) < 0) {
        fprintf(stderr, "  %s\n", err->msg);
        util_error_free(&err);
        return NULL;
    }
    return (uint8_t *)data;
}

/* Everything readable from a pipe's read end (O_NONBLOCK) right now. */
static size_t drain(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    ssize_t n;
    while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
        got += (size_t)n;
    return got;
}

typedef struct running {
    int out[2], err[2];
    wasi2_ctx *ctx;
    component_linker *l;
    component_pre *pre;
    wasm_store *store;
    component_instance *inst;
    wasm_result res;
} running;

static bool start(running *r, const char *file)
{
    memset(r, 0, sizeof(*r));
    if (pipe2(r->out, O_CLOEXEC) || pipe2(r->err, O_CLOEXEC))
        abort();
    fcntl(r->out[0], F_SETFL, O_NONBLOCK);
    fcntl(r->err[0], F_SETFL, O_NONBLOCK);
    static const char *env[] = {"WHO=tester", "LANG=C.UTF-8"};
    wasi2_config c;
    wasi2_config_init(&c);
    c.env = env;
    c.envc = 2;
    c.stdin_fd = -1;
    c.stdout_fd = r->out[1];
    c.stderr_fd = r->err[1];
    util_error *err = NULL;
    r->ctx = wasi2_ctx_new(&c, &err);
    r->l = component_linker_new();
    CHECK(r->ctx != NULL && wasi2_define(r->l, NULL, &err) == 0);
    size_t len;
    uint8_t *bytes = read_bytes(file, &len);
    if (bytes)
        r->pre = component_pre_new(bytes, len, r->l, &err);
    free(bytes);
    if (r->pre == NULL) {
        fprintf(stderr, "  %s: %s\n", file, err ? err->msg : "unreadable");
        util_error_free(&err);
        return false;
    }
    r->store = wasm_store_new(NULL);
    r->inst = component_instantiate(r->pre, r->store, r->ctx, &r->res);
    if (r->inst == NULL)
        fprintf(stderr, "  instantiate: %s\n", r->res.message);
    return r->inst != NULL;
}

static void stop(running *r)
{
    component_instance_free(r->inst);
    if (r->store)
        wasm_store_free(r->store);
    component_pre_free(r->pre);
    component_linker_free(r->l);
    wasi2_ctx_free(r->ctx);
    for (int i = 0; i < 2; i++) {
        close(r->out[i]);
        close(r->err[i]);
    }
}

/* jco's "resource transfer" fixture (a WASI-Virt composition): test-stdio
 * writes through its own wasi:cli/stdout streams, which the composition
 * hands on to ours; jco's test only calls it, this one also checks what
 * reached the descriptor. */
static void test_stdio_composed(void)
{
    running r;
    CHECK(start(&r, COMPONENTS_DIR "/jco/cli/stdio.composed.wasm"));
    const component_func *f = r.inst ? component_instance_func(r.inst, NULL, "test-stdio") : NULL;
    CHECK(f != NULL);
    if (f) {
        CHECK_STR(component_func_signature(f), "func()");
        int rc = component_func_call(r.inst, f, NULL, 0, NULL, &r.res);
        if (rc < 0)
            fprintf(stderr, "  test-stdio: %s\n", r.res.message);
        CHECK_INT(rc, 0);
        CHECK(rc == 0 && component_func_post_return(r.inst, f, &r.res) == 0);
        char out[256], err[256];
        size_t nout = drain(r.out[0], out, sizeof(out));
        size_t nerr = drain(r.err[0], err, sizeof(err));
        CHECK(nout == 12 && memcmp(out, "Hello world\n", 12) == 0);
        CHECK_INT(nerr, 0);
        if (nout != 12)
            fprintf(stderr, "  stdout: [%.*s]\n", (int)nout, out);
    }
    stop(&r);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_stdio_composed);
    return TEST_SUMMARY();
}
