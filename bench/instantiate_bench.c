/*
 * instantiate_bench.c - what every Spin request pays before and after its
 * guest code: a fresh instance, the call, the teardown (issue #15),
 * measured in-process with the calls the Spin executors make, so the
 * figure is the engine's and not the HTTP server's
 * (bench/instantiate.py runs it beside wrk through `up`):
 *
 *   wagi FILE N   a preview-1 module as src/spin/wagi.c runs it: compiled
 *                 and its imports resolved once (wasi_define_for_stores +
 *                 wasm_linker_resolve, as spin_wagi_link), then per request
 *                 wasi_program_run of `_start` with CGI env, stdin and a
 *                 stdout memfd.
 *   http FILE N   a wasi:http component as src/spin/wasi_http_executor.c
 *                 runs it: linked once against the WASI 0.2 and Spin host
 *                 interfaces (wasi2_define_reg + spinapi_define) with its
 *                 incoming-handler found once, then per request a WASI 0.2
 *                 context, a store, component_instantiate,
 *                 wasi2_http_handle of GET / and the teardown.
 *   instantiate FILE N   the same without the call: what the engine
 *                 spends on a fresh instance and its teardown alone.
 *
 * Prints p50, p99, mean and min microseconds of the per-request part (for
 * wasi:http also of its three phases: instantiate, handle, drop); the
 * first run's answer is checked (a 200 with a body, or Wagi output with a
 * Content-Type line), so a fast failure is not reported as a time.
 */
#include "component.h"
#include "spinapi.h"
#include "util.h"
#include "wasi.h"
#include "wasi2.h"
#include "wasm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *t, long n)
{
    uint64_t sum = 0;
    for (long i = 0; i < n; i++)
        sum += t[i];
    qsort(t, (size_t)n, sizeof *t, cmp_u64);
    printf("%s: n=%ld p50=%.1f us p99=%.1f us mean=%.1f us min=%.1f us\n", what, n,
           t[n / 2] / 1e3, t[(n * 99) / 100] / 1e3, (double)sum / (double)n / 1e3, t[0] / 1e3);
}

/* ---- Wagi: a preview-1 module's _start ---------------------------------- */

static const char *const wagi_env[] = {
    "REQUEST_METHOD=GET", "PATH_INFO=", "SCRIPT_NAME=/hello", "QUERY_STRING=",
    "SERVER_PROTOCOL=HTTP/1.1", "HTTP_HOST=127.0.0.1", "X_FULL_URL=http://127.0.0.1/hello",
    "X_MATCHED_ROUTE=/hello", "GREETING=Hello",
};

static bool wagi_output_ok(int out)
{
    char buf[512] = {0};
    ssize_t n = pread(out, buf, sizeof buf - 1, 0);
    if (n <= 0 || !strstr(buf, "ontent-")) {
        fprintf(stderr, "wagi: unexpected output: %s\n", buf);
        return false;
    }
    return true;
}

static int bench_wagi(const char *file, long n)
{
    char *bytes = NULL;
    size_t len = 0;
    util_error *err = NULL;
    wasm_module *m = NULL;
    if (util_read_file(file, &bytes, &len, &err) == 0)
        m = wasi_program_compile((uint8_t *)bytes, len, file, &err);
    if (!m) {
        fprintf(stderr, "%s: %s\n", file, err->msg);
        return 1;
    }
    wasm_linker *l = wasm_linker_new();
    wasm_result res;
    wasi_define_for_stores(l);
    wasm_resolution *resolution = wasm_linker_resolve(l, m, &res);
    if (!resolution) {
        fprintf(stderr, "%s: unlinkable: %s\n", file, res.message);
        return 1;
    }
    int in = memfd_create("wagi-stdin", MFD_CLOEXEC), out = memfd_create("wagi-stdout", MFD_CLOEXEC);
    const char *argv[] = {"wagi-hello.wasm"};
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = argv;
    cfg.argc = 1;
    cfg.env = wagi_env;
    cfg.envc = UTIL_ARRAY_LEN(wagi_env);
    cfg.stdin_fd = in;
    cfg.stdout_fd = out;
    cfg.stderr_fd = STDERR_FILENO;
    wasi_program_options opts = {.resolution = resolution};
    uint64_t *t = calloc((size_t)n, sizeof *t);
    for (long i = 0; i < n; i++) {
        if (ftruncate(out, 0) < 0 || lseek(out, 0, SEEK_SET) < 0)
            return 1;
        wasi_program_outcome o;
        uint64_t t0 = util_monotonic_ns();
        wasi_program_run(m, &cfg, &opts, &o);
        t[i] = util_monotonic_ns() - t0;
        if (o.status != 0) {
            fprintf(stderr, "wagi: run %ld: status %d: %s\n", i, o.status,
                    o.message ? o.message : "");
            return 1;
        }
        wasi_program_outcome_free(&o);
        if (i == 0 && !wagi_output_ok(out))
            return 1;
    }
    report("wagi instantiate+_start+drop", t, n);
    free(t);
    close(in);
    close(out);
    wasm_resolution_free(resolution);
    wasm_linker_free(l);
    wasm_module_free(m);
    return 0;
}

/* ---- wasi:http: a component's handle ------------------------------------ */

/* What the executors hand component_instantiate as instance data: the
 * WASI 0.2 context and the Spin host API context (none here). */
typedef struct {
    wasi2_ctx *wasi2;
    spinapi_ctx *api;
} instance_data;

static wasi2_ctx *data_wasi2(void *data)
{
    return ((instance_data *)data)->wasi2;
}

static spinapi_ctx *data_api(void *data)
{
    return ((instance_data *)data)->api;
}

typedef struct {
    uint16_t status;
    bool finished;
    size_t body_len;
} response;

static ssize_t body_check_write(void *self)
{
    (void)self;
    return 65536;
}

static ssize_t body_write(void *self, const void *buf, size_t len)
{
    (void)buf;
    ((response *)self)->body_len += len;
    return 0;
}

static void body_close(void *self)
{
    (void)self;
}

static const wasi2_stream_ops body_ops = {
    .name = "response body",
    .check_write = body_check_write,
    .write = body_write,
    .close = body_close,
};

static int respond_start(void *self, uint16_t status, const wasi2_http_field *headers, size_t n,
                         const wasi2_stream_ops **ops, void **ops_self)
{
    (void)headers;
    (void)n;
    ((response *)self)->status = status;
    *ops = &body_ops;
    *ops_self = self;
    return 0;
}

static void respond_finish(void *self, const wasi2_http_field *trailers, size_t n)
{
    (void)trailers;
    (void)n;
    ((response *)self)->finished = true;
}

static void respond_error(void *self, const char *code)
{
    (void)self;
    fprintf(stderr, "guest answered error-code %s\n", code);
}

static const wasi2_http_responder_ops responder = {respond_start, respond_finish, respond_error};

static const wasi2_http_field request_headers[] = {
    {"host", (const uint8_t *)"127.0.0.1", 9},
    {"user-agent", (const uint8_t *)"instantiate-bench", 17},
    {"spin-full-url", (const uint8_t *)"http://127.0.0.1/", 17},
    {"spin-path-info", (const uint8_t *)"/", 1},
    {"spin-matched-route", (const uint8_t *)"/...", 4},
};

/* Per request, the three phases apart (ns): instantiate (a WASI 0.2
 * context, a store, component_instantiate), handle (the guest's own work
 * through wasi2_http_handle), drop (instance, store and context freed). */
typedef struct {
    uint64_t inst, handle, drop;
} phases;

static int handle_once(const component_pre *pre, const wasi2_http_handler *h, response *r,
                       phases *ph, bool call)
{
    uint64_t t0 = util_monotonic_ns();
    wasi2_config cfg;
    wasi2_config_init(&cfg);
    cfg.stdin_fd = -1;
    cfg.stdout_fd = -1;
    cfg.stderr_fd = STDERR_FILENO;
    util_error *err = NULL;
    instance_data data = {wasi2_ctx_new(&cfg, &err), NULL};
    if (!data.wasi2) {
        fprintf(stderr, "wasi2 context: %s\n", err->msg);
        return -1;
    }
    wasm_store *store = wasm_store_new(NULL);
    wasm_result res;
    wasm_result_init(&res);
    wasi2_http_incoming in = {
        .method = "GET",
        .scheme = "http",
        .authority = "127.0.0.1",
        .path_with_query = "/",
        .headers = request_headers,
        .nheaders = UTIL_ARRAY_LEN(request_headers),
    };
    int rc = -1;
    component_instance *inst = component_instantiate(pre, store, &data, &res);
    uint64_t t1 = util_monotonic_ns(), t2 = t1;
    if (inst && !call) {
        rc = 0;
        component_instance_free(inst);
    } else if (inst) {
        rc = wasi2_http_handle(h, inst, &in, &responder, r, &res);
        t2 = util_monotonic_ns();
        component_instance_free(inst);
    }
    if (rc < 0)
        fprintf(stderr, "handle failed: %s\n", res.message);
    wasm_store_free(store);
    wasi2_ctx_free(data.wasi2);
    uint64_t t3 = util_monotonic_ns();
    *ph = (phases){t1 - t0, t2 - t1, t3 - t2};
    return rc;
}

static int bench_http(const char *file, long n, bool call)
{
    component_linker *l = component_linker_new();
    const wasi2_registration *reg = NULL;
    util_error *err = NULL;
    char *bytes = NULL;
    size_t len = 0;
    component_pre *pre = NULL;
    if (wasi2_define_reg(l, data_wasi2, &reg, &err) == 0 && spinapi_define(l, data_api, &err) == 0 &&
        util_read_file(file, &bytes, &len, &err) == 0)
        pre = component_pre_new_take((uint8_t *)bytes, len, l, &err);
    wasi2_http_handler *h = pre ? wasi2_http_handler_new(reg, pre, &err) : NULL;
    if (!h) {
        fprintf(stderr, "%s: %s\n", file, err ? err->msg : "?");
        return 1;
    }
    uint64_t *t = calloc((size_t)n, sizeof *t);
    uint64_t *ti = calloc((size_t)n, sizeof *t), *th = calloc((size_t)n, sizeof *t),
             *td = calloc((size_t)n, sizeof *t);
    for (long i = 0; i < n; i++) {
        response r = {0};
        phases ph;
        uint64_t t0 = util_monotonic_ns();
        if (handle_once(pre, h, &r, &ph, call) < 0)
            return 1;
        t[i] = util_monotonic_ns() - t0;
        ti[i] = ph.inst;
        th[i] = ph.handle;
        td[i] = ph.drop;
        if (call && i == 0 && (r.status != 200 || !r.finished || r.body_len == 0)) {
            fprintf(stderr, "%s: answered %u with %zu body bytes (finished: %d)\n", file,
                    r.status, r.body_len, r.finished);
            return 1;
        }
    }
    report(call ? "wasi:http instantiate+handle+drop" : "wasi:http instantiate+drop", t, n);
    report("  instantiate (ctx, store, component_instantiate)", ti, n);
    report("  handle (the guest's work)", th, n);
    report("  drop (instance, store, ctx)", td, n);
    free(t);
    free(ti);
    free(th);
    free(td);
    wasi2_http_handler_free(h);
    component_pre_free(pre);
    component_linker_free(l);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s wagi|http|instantiate FILE N\n", argv[0]);
        return 2;
    }
    long n = strtol(argv[3], NULL, 10);
    if (n <= 0)
        return 2;
    if (strcmp(argv[1], "wagi") == 0)
        return bench_wagi(argv[2], n);
    if (strcmp(argv[1], "http") == 0)
        return bench_http(argv[2], n, true);
    if (strcmp(argv[1], "instantiate") == 0)
        return bench_http(argv[2], n, false);
    return 2;
}
