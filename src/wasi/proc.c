/*
 * proc.c - the process-level functions: args_*, environ_*, clock_*,
 * random_get, proc_exit, proc_raise, sched_yield.
 *
 * argv and environ are laid out as the C runtime expects them: an array of
 * guest pointers into one buffer of NUL-terminated strings.  Both ranges
 * are checked before anything is written, so a bad pointer leaves guest
 * memory untouched.
 */
#include "wasi_internal.h"

#include <errno.h>
#include <sched.h>
#include <sys/random.h>
#include <time.h>

static int put_strings(const gmem *m, char **v, size_t n, size_t bytes, uint32_t ptrs,
                       uint32_t buf)
{
    uint8_t *pp = gmem_at(m, ptrs, (uint64_t)n * 4);
    uint8_t *bp = gmem_at(m, buf, bytes);
    if (pp == NULL || bp == NULL)
        return WE_FAULT;
    uint32_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        st32(pp + 4 * i, buf + off);
        memcpy(bp + off, v[i], len);
        off += (uint32_t)len;
    }
    return WE_SUCCESS;
}

static int put_sizes(const gmem *m, size_t n, size_t bytes, uint32_t count_ptr,
                     uint32_t size_ptr)
{
    if (!gmem_ok(m, count_ptr, 4) || !gmem_ok(m, size_ptr, 4))
        return WE_FAULT;
    gmem_put32(m, count_ptr, (uint32_t)n);
    gmem_put32(m, size_ptr, (uint32_t)bytes);
    return WE_SUCCESS;
}

WASI_FN(args_get)
{
    wasi_ctx *ctx = env;
    gmem m = gmem_of(caller);
    return RET(put_strings(&m, ctx->argv, ctx->argc, ctx->argv_bytes, ARG32(0), ARG32(1)));
}

WASI_FN(args_sizes_get)
{
    wasi_ctx *ctx = env;
    gmem m = gmem_of(caller);
    return RET(put_sizes(&m, ctx->argc, ctx->argv_bytes, ARG32(0), ARG32(1)));
}

WASI_FN(environ_get)
{
    wasi_ctx *ctx = env;
    gmem m = gmem_of(caller);
    return RET(put_strings(&m, ctx->env, ctx->envc, ctx->env_bytes, ARG32(0), ARG32(1)));
}

WASI_FN(environ_sizes_get)
{
    wasi_ctx *ctx = env;
    gmem m = gmem_of(caller);
    return RET(put_sizes(&m, ctx->envc, ctx->env_bytes, ARG32(0), ARG32(1)));
}

int wasi_clock_host(uint32_t id, clockid_t *out)
{
    switch (id) {
    case CLOCK_ID_REALTIME: *out = CLOCK_REALTIME; return WE_SUCCESS;
    case CLOCK_ID_MONOTONIC: *out = CLOCK_MONOTONIC; return WE_SUCCESS;
    case CLOCK_ID_PROCESS: *out = CLOCK_PROCESS_CPUTIME_ID; return WE_SUCCESS;
    case CLOCK_ID_THREAD: *out = CLOCK_THREAD_CPUTIME_ID; return WE_SUCCESS;
    default: return WE_INVAL;
    }
}

WASI_FN(clock_res_get)
{
    (void)env;
    gmem m = gmem_of(caller);
    clockid_t c;
    int rc = wasi_clock_host(ARG32(0), &c);
    if (rc != WE_SUCCESS)
        return RET(rc);
    struct timespec ts;
    if (clock_getres(c, &ts) < 0)
        return RET(wasi_errno_from_host(errno));
    return RET(gmem_put64(&m, ARG32(1), (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec));
}

WASI_FN(clock_time_get)
{
    (void)env;
    gmem m = gmem_of(caller);
    clockid_t c;
    int rc = wasi_clock_host(ARG32(0), &c);
    if (rc != WE_SUCCESS)
        return RET(rc);
    struct timespec ts;
    if (clock_gettime(c, &ts) < 0)
        return RET(wasi_errno_from_host(errno));
    return RET(gmem_put64(&m, ARG32(2), (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec));
}

WASI_FN(random_get)
{
    (void)env;
    gmem m = gmem_of(caller);
    uint8_t *p = gmem_at(&m, ARG32(0), ARG32(1));
    if (p == NULL)
        return RET(WE_FAULT);
    size_t done = 0, len = ARG32(1);
    while (done < len) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return RET(wasi_errno_from_host(errno));
        }
        done += (size_t)n;
    }
    return RET(WE_SUCCESS);
}

WASI_FN(proc_exit)
{
    (void)env;
    (void)results;
    return wasm_caller_exit(caller, args[0].i32);
}

WASI_FN(proc_raise)
{
    (void)caller;
    (void)env;
    (void)args;
    /* Signals have no meaning inside the sandbox (the call is deprecated). */
    return RET(WE_NOSYS);
}

WASI_FN(sched_yield)
{
    (void)caller;
    (void)env;
    (void)args;
    sched_yield();
    return RET(WE_SUCCESS);
}
