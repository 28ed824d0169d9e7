/*
 * clocks_random.c - wasi:clocks (monotonic-clock, wall-clock) and
 * wasi:random (random, insecure, insecure-seed).
 *
 * The monotonic clock is CLOCK_MONOTONIC in nanoseconds, the clock the
 * pollables' deadlines (poll.c) are on, so subscribe-instant takes an
 * instant from now() as it is.  Random bytes come from getrandom(2) for
 * both the secure and the insecure interface (the kernel's pool is fast
 * enough, and one source is one thing to get right); insecure-seed is
 * drawn once per ctx and returns the same value every call, as a hash
 * table's seed must.
 */
#include "wasi2_internal.h"

#include <inttypes.h>
#include <sys/random.h>
#include <time.h>

static component_val u64_val(uint64_t v)
{
    return (component_val){.kind = COMPONENT_VAL_U64, .of.u = v};
}

static uint64_t resolution_ns(clockid_t clock)
{
    struct timespec ts;
    if (clock_getres(clock, &ts) != 0)
        return 1;
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return ns ? ns : 1;
}

/* ---- wasi:clocks/monotonic-clock ------------------------------------------ */

static int monotonic_now(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    *result = u64_val(util_monotonic_ns());
    return 0;
}

static int monotonic_resolution(component_call *call, void *env, const component_val *args,
                                size_t nargs, component_val *result)
{
    *result = u64_val(resolution_ns(CLOCK_MONOTONIC));
    return 0;
}

static int subscribe_instant(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    const wasi2_host *h = env;
    *result = wasi2_own(h->pollable, wasi2_pollable_timer(args[0].of.u));
    return 0;
}

static int subscribe_duration(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    const wasi2_host *h = env;
    uint64_t now = util_monotonic_ns(), d = args[0].of.u;
    uint64_t deadline = d > UINT64_MAX - now ? UINT64_MAX : now + d;
    *result = wasi2_own(h->pollable, wasi2_pollable_timer(deadline));
    return 0;
}

static const wasi2_func monotonic_funcs[] = {
    {"now", "func() -> instant", monotonic_now},
    {"resolution", "func() -> duration", monotonic_resolution},
    {"subscribe-instant", "func(when: instant) -> own<pollable>", subscribe_instant},
    {"subscribe-duration", "func(when: duration) -> own<pollable>", subscribe_duration},
};

/* ---- wasi:clocks/wall-clock ------------------------------------------------- */

static int datetime(component_call *call, uint64_t ns, component_val *result)
{
    component_val *f = component_call_vals(call, 2);
    if (f == NULL)
        return component_call_trap(call, "wall-clock: out of call memory");
    f[0] = u64_val(ns / 1000000000u);
    f[1] = (component_val){.kind = COMPONENT_VAL_U32, .of.u = ns % 1000000000u};
    *result = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    return 0;
}

static int wall_now(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    return datetime(call, util_realtime_ns(), result);
}

static int wall_resolution(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    return datetime(call, resolution_ns(CLOCK_REALTIME), result);
}

static const wasi2_func wall_funcs[] = {
    {"now", "func() -> datetime", wall_now},
    {"resolution", "func() -> datetime", wall_resolution},
};

/* ---- wasi:random ---------------------------------------------------------------- */

static void fill_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* getrandom(2) does not fail on Linux >= 3.17 once the pool is up */
            util_log_error("wasi2: getrandom: %s", strerror(errno));
            abort();
        }
        p += n;
        len -= (size_t)n;
    }
}

static int random_bytes(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    uint64_t len = args[0].of.u;
    void *buf = len > SIZE_MAX ? NULL : component_call_alloc(call, len ? (size_t)len : 1);
    if (buf == NULL)
        return component_call_trap(call, "get-random-bytes: %" PRIu64
                                         " bytes do not fit the call's memory", len);
    fill_random(buf, (size_t)len);
    *result = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.raw = buf,
                                                                      .n = (size_t)len}};
    return 0;
}

static int random_u64(component_call *call, void *env, const component_val *args,
                      size_t nargs, component_val *result)
{
    uint64_t v;
    fill_random(&v, sizeof(v));
    *result = u64_val(v);
    return 0;
}

static int insecure_seed(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    const wasi2_ctx *ctx = wasi2_host_ctx(env, call);
    component_val *f = component_call_vals(call, 2);
    if (f == NULL)
        return component_call_trap(call, "insecure-seed: out of call memory");
    f[0] = u64_val(ctx->insecure_seed[0]);
    f[1] = u64_val(ctx->insecure_seed[1]);
    *result = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    return 0;
}

static const wasi2_func random_funcs[] = {
    {"get-random-bytes", "func(len: u64) -> list<u8>", random_bytes},
    {"get-random-u64", "func() -> u64", random_u64},
};
static const wasi2_func insecure_funcs[] = {
    {"get-insecure-random-bytes", "func(len: u64) -> list<u8>", random_bytes},
    {"get-insecure-random-u64", "func() -> u64", random_u64},
};
static const wasi2_func seed_funcs[] = {
    {"insecure-seed", "func() -> tuple<u64, u64>", insecure_seed},
};

/* ---- registration ------------------------------------------------------------------ */

#define MONOTONIC WASI2_IFACE("wasi:clocks/monotonic-clock")
#define WALL WASI2_IFACE("wasi:clocks/wall-clock")
#define DEFINE(iface, funcs) wasi2_define_funcs(l, iface, funcs, UTIL_ARRAY_LEN(funcs), h, err)

int wasi2_define_clocks(component_linker *l, wasi2_host *h, util_error **err)
{
    if (component_linker_alias_resource(l, MONOTONIC, "pollable", h->pollable, err) < 0 ||
        component_linker_define_type(l, MONOTONIC, "instant", "u64", err) < 0 ||
        component_linker_define_type(l, MONOTONIC, "duration", "u64", err) < 0 ||
        DEFINE(MONOTONIC, monotonic_funcs) < 0)
        return -1;
    if (component_linker_define_type(l, WALL, "datetime",
                                     "record{seconds: u64, nanoseconds: u32}", err) < 0)
        return -1;
    return DEFINE(WALL, wall_funcs);
}

int wasi2_define_random(component_linker *l, wasi2_host *h, util_error **err)
{
    if (DEFINE(WASI2_IFACE("wasi:random/random"), random_funcs) < 0 ||
        DEFINE(WASI2_IFACE("wasi:random/insecure"), insecure_funcs) < 0)
        return -1;
    return DEFINE(WASI2_IFACE("wasi:random/insecure-seed"), seed_funcs);
}

/* The tables, for the pre-release registrations (rc.c). */
#define TABLE(funcs) {funcs, UTIL_ARRAY_LEN(funcs)}
const wasi2_func_table wasi2_monotonic_table = TABLE(monotonic_funcs);
const wasi2_func_table wasi2_wall_table = TABLE(wall_funcs);
const wasi2_func_table wasi2_random_table = TABLE(random_funcs);
const wasi2_func_table wasi2_insecure_table = TABLE(insecure_funcs);
const wasi2_func_table wasi2_insecure_seed_table = TABLE(seed_funcs);
