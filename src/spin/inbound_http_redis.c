/*
 * inbound_http_redis.c - Spin 1's `outbound-redis` imports for core
 * modules (outbound-redis.wit with redis-types.wit, wit-bindgen 0.2):
 * publish, get, set and incr, each naming its redis:// address, served
 * with src/spinapi's redis client one connection per call, as Spin's v1
 * host does (open, one command, close).
 *
 * The imports have the old canonical ABI's flat shape: every string and
 * list as (ptr, len), then a return pointer where the expected<T, error>
 * goes (tag u8 @0; the payload at T's alignment: @1 for unit, @4 for a
 * payload list (ptr @4, len @8), @8 for s64; error is the enum
 * {success, error} as one byte there).  A list returned to the guest is
 * allocated through its canonical_abi_realloc.  Any failure (an address
 * not in allowed_outbound_hosts, a dead server, an error reply) is
 * error::error, as Spin answers v1 calls; the reason goes to the log.
 * No wait outlasts the request's deadline (kept in its WASI context).
 * Bad pointers trap.  The functions are store-free with the component's
 * runtime as environment (its spinapi_component knows the allowed hosts),
 * like spin-config (inbound_http_config.c).
 */
#include "inbound_http.h"
#include "spinapi.h"
#include "wasi.h"

#include <string.h>

enum { REDIS1_ERROR = 1 }; /* redis-types error enum {success, error} */

typedef struct span {
    const char *p;
    size_t len;
} span;

/* The (ptr, len) argument pair at args[i] as a span of guest memory. */
static int arg_span(wasm_caller *c, const wasm_val *args, size_t i, const char *fn, span *out)
{
    uint64_t size = 0;
    uint8_t *mem = wasm_caller_memory(c, &size);
    uint32_t ptr = (uint32_t)args[i].i32, len = (uint32_t)args[i + 1].i32;
    if (!mem || (uint64_t)ptr + len > size)
        return wasm_caller_trap(c, "outbound-redis %s: argument %zu lies outside memory", fn,
                                i / 2 + 1);
    out->p = (const char *)mem + ptr;
    out->len = len;
    return 0;
}

/* The return area: 16 bytes at an 8-aligned address inside memory. */
static uint8_t *ret_area(wasm_caller *c, uint32_t ret, const char *fn)
{
    uint64_t size = 0;
    uint8_t *mem = wasm_caller_memory(c, &size);
    if (!mem || ret % 8 != 0 || (uint64_t)ret + 16 > size) {
        wasm_caller_trap(c, "outbound-redis %s: bad return pointer %u", fn, ret);
        return NULL;
    }
    memset(mem + ret, 0, 16);
    return mem + ret;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

/* The request's deadline: the store's user data is the request's WASI
 * context (inbound_http.c), which holds it. */
static uint64_t request_deadline(wasm_caller *c)
{
    const wasi_ctx *ctx = wasm_caller_user_data(c);
    return ctx ? wasi_ctx_deadline(ctx) : 0;
}

/* Runs the command for comp within the request's deadline; logs why when
 * it fails. */
static int run(wasm_caller *c, const spin_component_runtime *comp, const char *fn, span address,
               int argc, const char **argv, const size_t *lens, spinapi_redis_reply *reply)
{
    util_error *err = NULL;
    if (comp->api == NULL) {
        util_log_warn("component '%s': outbound-redis %s: no host APIs", comp->id, fn);
        return -1;
    }
    if (spinapi_redis_oneshot(comp->api, request_deadline(c), address.p, address.len, argc, argv, lens, reply,
                              &err) < 0) {
        util_log_warn("component '%s': outbound-redis %s: %s", comp->id, fn,
                      err ? err->msg : "failed");
        util_error_free(&err);
        return -1;
    }
    return 0;
}

/* Writes expected<_, error> at ret: ok, or err(error) with the error
 * byte at `err_offset`. */
static int finish(wasm_caller *c, uint32_t ret, const char *fn, bool ok, size_t err_offset)
{
    uint8_t *r = ret_area(c, ret, fn);
    if (r == NULL)
        return -1;
    if (!ok) {
        r[0] = 1;
        r[err_offset] = REDIS1_ERROR;
    }
    return 0;
}

/* A two-argument command after the address (publish channel payload, set
 * key value): flat (addr, a, b, ret). */
static int two_arg_command(wasm_caller *c, void *env, const wasm_val *args, const char *fn,
                           const char *name)
{
    span address = {0}, a = {0}, b = {0};
    if (arg_span(c, args, 0, fn, &address) < 0 || arg_span(c, args, 2, fn, &a) < 0 ||
        arg_span(c, args, 4, fn, &b) < 0)
        return -1;
    const char *argv[3] = {name, a.len ? a.p : "", b.len ? b.p : ""};
    size_t lens[3] = {strlen(name), a.len, b.len};
    spinapi_redis_reply reply;
    bool ok = run(c, env, fn, address, 3, argv, lens, &reply) == 0;
    if (ok)
        free(reply.bytes);
    return finish(c, (uint32_t)args[6].i32, fn, ok, 1);
}

static int publish(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    (void)results;
    return two_arg_command(c, env, args, "publish", "PUBLISH");
}

static int set(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    (void)results;
    return two_arg_command(c, env, args, "set", "SET");
}

/* Copies bytes into the guest through its canonical_abi_realloc. */
static int guest_bytes(wasm_caller *c, const uint8_t *bytes, size_t len, uint32_t *ptr)
{
    if (len == 0) {
        *ptr = 1; /* an empty list: any aligned, never-read address */
        return 0;
    }
    if (len > UINT32_MAX)
        return wasm_caller_trap(c, "outbound-redis get: the value is too large");
    wasm_func *realloc_fn = wasm_instance_func(wasm_caller_instance(c), "canonical_abi_realloc");
    if (!realloc_fn)
        return wasm_caller_trap(c, "outbound-redis: the module exports no canonical_abi_realloc");
    wasm_val a[4] = {{.i32 = 0}, {.i32 = 0}, {.i32 = 1}, {.i32 = (int32_t)len}}, ret;
    wasm_result res;
    wasm_result_init(&res);
    if (wasm_func_call(wasm_caller_store(c), realloc_fn, a, 4, &ret, 1, &res) != 0)
        return wasm_caller_trap(c, "outbound-redis: canonical_abi_realloc failed: %s",
                                res.message);
    uint64_t size = 0;
    uint8_t *mem = wasm_caller_memory(c, &size);
    uint32_t at = (uint32_t)ret.i32;
    if (!mem || (uint64_t)at + len > size)
        return wasm_caller_trap(c, "outbound-redis: canonical_abi_realloc returned %u, outside "
                                   "memory", at);
    memcpy(mem + at, bytes, len);
    *ptr = at;
    return 0;
}

/* get(addr, key, ret) -> expected<payload, error>; a missing key is an
 * empty payload, as Spin's v1 answers it. */
static int get(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    (void)results;
    span address = {0}, key = {0};
    if (arg_span(c, args, 0, "get", &address) < 0 || arg_span(c, args, 2, "get", &key) < 0)
        return -1;
    const char *argv[2] = {"GET", key.len ? key.p : ""};
    size_t lens[2] = {3, key.len};
    spinapi_redis_reply reply;
    bool ok = run(c, env, "get", address, 2, argv, lens, &reply) == 0;
    if (ok && reply.kind != SPINAPI_REDIS_REPLY_BYTES && reply.kind != SPINAPI_REDIS_REPLY_NIL) {
        util_log_warn("component '%s': outbound-redis get: the value is not a string",
                      ((const spin_component_runtime *)env)->id);
        ok = false;
    }
    uint32_t ptr = 0;
    if (ok && guest_bytes(c, reply.bytes, reply.len, &ptr) < 0) {
        free(reply.bytes);
        return -1;
    }
    size_t len = ok ? reply.len : 0;
    if (ok)
        free(reply.bytes);
    uint8_t *r = ret_area(c, (uint32_t)args[4].i32, "get");
    if (r == NULL)
        return -1;
    if (!ok) {
        r[0] = 1;
        r[4] = REDIS1_ERROR;
        return 0;
    }
    put_u32(r + 4, ptr);
    put_u32(r + 8, (uint32_t)len);
    return 0;
}

/* incr(addr, key, ret) -> expected<s64, error> */
static int incr(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    (void)results;
    span address = {0}, key = {0};
    if (arg_span(c, args, 0, "incr", &address) < 0 || arg_span(c, args, 2, "incr", &key) < 0)
        return -1;
    const char *argv[3] = {"INCRBY", key.len ? key.p : "", "1"};
    size_t lens[3] = {6, key.len, 1};
    spinapi_redis_reply reply;
    bool ok = run(c, env, "incr", address, 3, argv, lens, &reply) == 0;
    if (ok)
        free(reply.bytes);
    if (ok && reply.kind != SPINAPI_REDIS_REPLY_INT)
        ok = false;
    uint8_t *r = ret_area(c, (uint32_t)args[4].i32, "incr");
    if (r == NULL)
        return -1;
    if (!ok) {
        r[0] = 1;
        r[8] = REDIS1_ERROR;
        return 0;
    }
    uint64_t v = (uint64_t)reply.integer;
    for (int i = 0; i < 8; i++)
        r[8 + i] = (uint8_t)(v >> (8 * i));
    return 0;
}

int spin_inbound_define_redis(wasm_linker *l, spin_component_runtime *comp)
{
    if (wasm_linker_define_func(l, "outbound-redis", "publish", "iiiiiii:", publish, comp) < 0 ||
        wasm_linker_define_func(l, "outbound-redis", "set", "iiiiiii:", set, comp) < 0 ||
        wasm_linker_define_func(l, "outbound-redis", "get", "iiiii:", get, comp) < 0 ||
        wasm_linker_define_func(l, "outbound-redis", "incr", "iiiii:", incr, comp) < 0)
        return -1;
    return 0;
}
