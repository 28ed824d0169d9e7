/*
 * component_bench.c - the component runtime's two costs that every
 * request pays, measured in-process (bench/components.py runs it):
 *
 *   instantiate FILE N   N times: a fresh store and WASI 0.2 context, the
 *                        component's instance graph, its wasi:cli/run
 *                        (stdout to /dev/null), post-return, free.  The
 *                        component is compiled and linked once, before.
 *                        Prints p50, p99 and mean microseconds.
 *   hostcall FILE N      bench/components/echo.wat: one call of its export
 *                        `loop` makes N guest->host calls of a function
 *                        taking and returning a string.  Prints ns per call.
 */
#include "component.h"
#include "util.h"
#include "wasi2.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static component_pre *load(const char *file, component_linker *l)
{
    char *bytes = NULL;
    size_t len = 0;
    util_error *err = NULL;
    component_pre *pre = NULL;
    if (util_read_file(file, &bytes, &len, &err) == 0)
        pre = component_pre_new((uint8_t *)bytes, len, l, &err);
    free(bytes);
    if (!pre) {
        fprintf(stderr, "%s: %s\n", file, err ? err->msg : "?");
        util_error_free(&err);
    }
    return pre;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int run_once(const component_pre *pre, int devnull)
{
    wasi2_config cfg;
    wasi2_config_init(&cfg);
    const char *argv[] = {"hello"};
    cfg.argv = argv;
    cfg.argc = 1;
    cfg.stdout_fd = devnull;
    cfg.stderr_fd = devnull;
    cfg.stdin_fd = -1;
    util_error *err = NULL;
    wasi2_ctx *ctx = wasi2_ctx_new(&cfg, &err);
    if (!ctx)
        return -1;
    wasm_store *store = wasm_store_new(NULL);
    wasm_result res;
    wasm_result_init(&res);
    int rc = -1;
    component_instance *inst = component_instantiate(pre, store, ctx, &res);
    if (inst) {
        const component_func *run = component_instance_func(inst, "wasi:cli/run@0.2.0", "run");
        component_val out;
        if (run && component_func_call(inst, run, NULL, 0, &out, &res) == 0 &&
            component_func_post_return(inst, run, &res) == 0)
            rc = out.of.variant.disc == 0 ? 0 : -1;
        component_instance_free(inst);
    }
    if (rc < 0)
        fprintf(stderr, "run failed: %s\n", res.message);
    wasm_store_free(store);
    wasi2_ctx_free(ctx);
    return rc;
}

static int bench_instantiate(const char *file, long n)
{
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    if (wasi2_define(l, NULL, &err) < 0) {
        fprintf(stderr, "%s\n", err->msg);
        return 1;
    }
    component_pre *pre = load(file, l);
    component_linker_free(l);
    if (!pre)
        return 1;
    int devnull = open("/dev/null", O_WRONLY);
    uint64_t *t = calloc((size_t)n, sizeof *t);
    for (long i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        if (run_once(pre, devnull) < 0)
            return 1;
        t[i] = now_ns() - t0;
    }
    uint64_t sum = 0;
    for (long i = 0; i < n; i++)
        sum += t[i];
    qsort(t, (size_t)n, sizeof *t, cmp_u64);
    printf("instantiate+run: n=%ld p50=%.1f us p99=%.1f us mean=%.1f us\n", n,
           t[n / 2] / 1e3, t[(n * 99) / 100] / 1e3, (double)sum / (double)n / 1e3);
    free(t);
    close(devnull);
    component_pre_free(pre);
    return 0;
}

/* bench:host/strings echo: returns a copy of its argument. */
static int echo(component_call *call, void *env, const component_val *args, size_t nargs,
                component_val *result)
{
    size_t len = args[0].of.str.len;
    char *copy = component_call_alloc(call, len ? len : 1);
    if (!copy)
        return component_call_trap(call, "out of memory");
    memcpy(copy, args[0].of.str.ptr, len);
    result->kind = COMPONENT_VAL_STRING;
    result->of.str.ptr = copy;
    result->of.str.len = len;
    return 0;
}

static int bench_hostcall(const char *file, long n)
{
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    if (component_linker_define_func(l, "bench:host/strings", "echo", "func(s: string) -> string",
                                     echo, NULL, &err) < 0) {
        fprintf(stderr, "%s\n", err->msg);
        return 1;
    }
    component_pre *pre = load(file, l);
    component_linker_free(l);
    if (!pre)
        return 1;
    wasm_store *store = wasm_store_new(NULL);
    wasm_result res;
    wasm_result_init(&res);
    component_instance *inst = component_instantiate(pre, store, NULL, &res);
    const component_func *loop = inst ? component_instance_func(inst, NULL, "loop") : NULL;
    component_val arg = {.kind = COMPONENT_VAL_U32, .of.u = (uint64_t)n}, out;
    uint64_t t0 = now_ns();
    int rc = loop ? component_func_call(inst, loop, &arg, 1, &out, &res) : -1;
    uint64_t dt = now_ns() - t0;
    if (rc < 0 || out.of.u != 0) {
        fprintf(stderr, "loop failed: %s (bad=%llu)\n", res.message,
                rc < 0 ? 0ull : (unsigned long long)out.of.u);
        return 1;
    }
    component_func_post_return(inst, loop, &res);
    printf("host call string->string: n=%ld %.1f ns/call\n", n, (double)dt / (double)n);
    component_instance_free(inst);
    wasm_store_free(store);
    component_pre_free(pre);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s instantiate|hostcall FILE N\n", argv[0]);
        return 2;
    }
    long n = strtol(argv[3], NULL, 10);
    if (n <= 0)
        return 2;
    if (strcmp(argv[1], "instantiate") == 0)
        return bench_instantiate(argv[2], n);
    if (strcmp(argv[1], "hostcall") == 0)
        return bench_hostcall(argv[2], n);
    return 2;
}
