/*
 * jit_run.c - the runtime side of compiled code: entering it from the API
 * and the interpreter, and the helpers it calls for calls, memory.size and
 * grow, traps, interrupt polls and float arithmetic.
 *
 * The helpers do what the interpreter does at the same points, in the same
 * order, with the same messages: a call counts toward the poll countdown,
 * then checks the call depth and the value stack, then pushes a frame
 * record (so backtraces and the depth limit see compiled frames exactly as
 * interpreted ones).  A compiled caller runs a compiled callee by a native
 * call, an interpreted one through a nested interpreter activation, and a
 * host function directly.  Compiled code therefore recurses on the native
 * stack (one small frame per Wasm call, bounded by max_call_depth).
 */
#include <inttypes.h>
#include <stdio.h>

#include "jit_internal.h"
#include "numeric.h"
#include "ops.h"

#if WASM_RT_JIT

#define POLL_INTERVAL 4096

static const char *const trap_msgs[JIT_TRAP_COUNT] = {
    [JIT_TRAP_UNREACHABLE] = "unreachable",
    [JIT_TRAP_DIV0] = "integer divide by zero",
    [JIT_TRAP_OVERFLOW] = "integer overflow",
    [JIT_TRAP_OOB] = "out of bounds memory access",
    [JIT_TRAP_INVALID_CONV] = "invalid conversion to integer",
};

static void trap_msg(wasm_store *s, wasm_func *innermost, const char *msg)
{
    snprintf(s->pending_msg, sizeof s->pending_msg, "%s", msg);
    s->pending_kind = WASM_TRAP;
    wasm_rt_backtrace(s, 0, innermost);
}

void wasm_rt_jit_trap(rt_jit_ctx *c, wasm_func *self, int kind)
{
    trap_msg(c->store, self, trap_msgs[kind]);
}

int wasm_rt_jit_poll(rt_jit_ctx *c)
{
    wasm_store *s = c->store;
    c->budget = POLL_INTERVAL;
    if (!atomic_load_explicit(&s->interrupt, memory_order_relaxed) &&
        !(s->deadline_ns && util_monotonic_ns() >= s->deadline_ns))
        return 0;
    s->pending_kind = WASM_INTERRUPTED;
    if (atomic_exchange(&s->interrupt, false))
        snprintf(s->pending_msg, sizeof s->pending_msg, "interrupted");
    else
        snprintf(s->pending_msg, sizeof s->pending_msg, "deadline exceeded");
    return -1;
}

static const rt_code *code_of(wasm_func *f)
{
    if (UTIL_UNLIKELY(!f->code))
        f->code = wasm_rt_code_get(f->inst->module, f->func_idx);
    return f->code;
}

/* The interpreter's do_call, for a call from compiled `self` (NULL: from
 * the API) whose arguments are at nfp. */
static int invoke(rt_jit_ctx *c, wasm_func *self, wasm_func *callee, rt_slot *nfp)
{
    wasm_store *s = c->store;
    if (UTIL_UNLIKELY(--c->budget <= 0) && wasm_rt_jit_poll(c) < 0)
        return -1;
    if (callee->is_host) {
        s->stack_top =
            nfp + (callee->nparams > callee->nresults ? callee->nparams : callee->nresults);
        rt_slot *saved_top = s->stack_top;
        int rc = wasm_rt_call_host(s, callee, self ? self->inst : NULL, nfp);
        s->stack_top = saved_top;
        if (rc < 0 && s->pending_kind == WASM_TRAP)
            wasm_rt_backtrace(s, 0, self);
        return rc;
    }
    /* compiled code recurses natively (and through nested interpreter
     * activations): a deep enough recursion ends as the interpreter's
     * depth limit does, never by overflowing the thread's stack */
    if (UTIL_UNLIKELY(wasm_rt_native_stack_low())) {
        trap_msg(s, self, "call stack exhausted");
        return -1;
    }
    const rt_code *code = code_of(callee);
    if (!code->jit)
        return wasm_rt_interp_call_from(s, callee, nfp, self);
    uint32_t depth = s->depth;
    if (UTIL_UNLIKELY(depth >= s->max_depth || nfp + code->frame_slots > s->stack_end)) {
        trap_msg(s, self, "call stack exhausted");
        return -1;
    }
    s->frames[depth] = (rt_frame){.func = self, .ret_ip = NULL, .fp = nfp};
    s->depth = depth + 1;
    int rc = code->jit->entry(c, callee, nfp);
    s->depth = depth;
    return rc;
}

int wasm_rt_jit_call(rt_jit_ctx *c, wasm_func *self, rt_slot *fp, const uint32_t *ip)
{
    return invoke(c, self, self->inst->funcs[ip[1]], fp + ip[2]);
}

int wasm_rt_jit_call_indirect(rt_jit_ctx *c, wasm_func *self, rt_slot *fp, const uint32_t *ip)
{
    wasm_instance *inst = self->inst;
    wasm_table *t = inst->tables[ip[1]];
    uint32_t i = fp[ip[3]].u32;
    wasm_store *s = c->store;
    char msg[64];
    if (i >= t->size) {
        snprintf(msg, sizeof msg, "undefined element %" PRIu32, i);
        trap_msg(s, self, msg);
        return -1;
    }
    wasm_func *callee = t->elems[i];
    if (!callee) {
        snprintf(msg, sizeof msg, "uninitialized element %" PRIu32, i);
        trap_msg(s, self, msg);
        return -1;
    }
    if (callee->type_id != inst->type_ids[ip[2]]) {
        trap_msg(s, self, "indirect call type mismatch");
        return -1;
    }
    return invoke(c, self, callee, fp + ip[4]);
}

int wasm_rt_jit_enter(wasm_store *s, wasm_func *f, rt_slot *fp)
{
    rt_jit_ctx c = {.store = s, .budget = POLL_INTERVAL,
                    .stack_limit = wasm_rt_native_stack_floor()};
    return f->code->jit->entry(&c, f, fp);
}

int wasm_rt_jit_call_outermost(wasm_store *s, wasm_func *f, rt_slot *fp)
{
    /* a countdown of 1 polls at once, as the interpreter's first call does */
    rt_jit_ctx c = {.store = s, .budget = 1, .stack_limit = wasm_rt_native_stack_floor()};
    uint32_t depth0 = s->depth;
    int rc = invoke(&c, NULL, f, fp);
    s->depth = depth0;
    return rc;
}

int wasm_rt_jit_slow_op(rt_jit_ctx *c, wasm_func *self, rt_slot *fp, const uint32_t *ip, int op)
{
    wasm_instance *inst = self->inst;
    const char *msg = NULL;
    switch (op) {
    case OP_TABLE_GET: {
        wasm_table *t = inst->tables[ip[3]];
        uint32_t i = fp[ip[2]].u32;
        if (i >= t->size)
            msg = "out of bounds table access";
        else
            fp[ip[1]].ref = t->elems[i];
        break;
    }
    case OP_TABLE_SET: {
        wasm_table *t = inst->tables[ip[3]];
        uint32_t i = fp[ip[1]].u32;
        if (i >= t->size)
            msg = "out of bounds table access";
        else
            t->elems[i] = fp[ip[2]].ref;
        break;
    }
    case OP_TABLE_SIZE:
        fp[ip[1]].u64 = inst->tables[ip[2]]->size;
        break;
    case OP_TABLE_GROW:
        fp[ip[1]].u64 = (uint32_t)wasm_rt_table_grow(inst->tables[ip[4]], fp[ip[3]].u32,
                                                      fp[ip[2]].ref);
        break;
    case OP_DATA_DROP:
        inst->data_dropped[ip[1]] = true;
        break;
    case OP_ELEM_DROP:
        inst->elems[ip[1]].len = 0;
        break;
    default: /* MEMORY_COPY/FILL/INIT, TABLE_COPY/INIT/FILL */
        msg = wasm_rt_bulk_op(c->store, inst, op, fp, ip);
        break;
    }
    if (!msg)
        return 0;
    trap_msg(c->store, self, msg);
    return -1;
}

void wasm_rt_jit_memory_size(wasm_func *self, rt_slot *fp, const uint32_t *ip)
{
    fp[ip[1]].u64 = (uint32_t)(self->inst->mems[ip[2]]->size / RT_PAGE_SIZE);
}

void wasm_rt_jit_memory_grow(wasm_func *self, rt_slot *fp, const uint32_t *ip)
{
    int64_t r = wasm_rt_memory_grow(self->inst->mems[ip[3]], fp[ip[2]].u32);
    fp[ip[1]].u64 = (uint32_t)r;
}

int wasm_rt_jit_trunc(uint64_t bits, rt_slot *d, int op)
{
    rt_slot a = {.u64 = bits};
    bool f32 = op == OP_I32_TRUNC_F32_S || op == OP_I32_TRUNC_F32_U ||
               op == OP_I64_TRUNC_F32_S || op == OP_I64_TRUNC_F32_U;
    double x = f32 ? a.f32 : a.f64;
    if (isnan(x))
        return 1;
    switch (op) {
    case OP_I32_TRUNC_F32_S:
        if (!(x >= -2147483648.0 && x < 2147483648.0))
            return 2;
        d->u64 = (uint32_t)(int32_t)x;
        return 0;
    case OP_I32_TRUNC_F64_S:
        if (!(x > -2147483649.0 && x < 2147483648.0))
            return 2;
        d->u64 = (uint32_t)(int32_t)x;
        return 0;
    case OP_I32_TRUNC_F32_U: case OP_I32_TRUNC_F64_U:
        if (!(x > -1.0 && x < 4294967296.0))
            return 2;
        d->u64 = (uint32_t)x;
        return 0;
    case OP_I64_TRUNC_F32_S: case OP_I64_TRUNC_F64_S:
        if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
            return 2;
        d->i64 = (int64_t)x;
        return 0;
    default: /* I64_TRUNC_F32_U, I64_TRUNC_F64_U */
        if (!(x > -1.0 && x < 18446744073709551616.0))
            return 2;
        d->u64 = (uint64_t)x;
        return 0;
    }
}

/* ---- float and bit-counting ops as C functions on slot bits ------------ */

#define PURE_BIN(name, T, field, expr) \
    static uint64_t p_##name(uint64_t x, uint64_t y) \
    { \
        rt_slot A = {.u64 = x}, B = {.u64 = y}, D = {.u64 = 0}; \
        T a = A.field, b = B.field; \
        D.field = (expr); \
        return D.u64; \
    }
#define PURE_CMP(name, T, field, expr) \
    static uint64_t p_##name(uint64_t x, uint64_t y) \
    { \
        rt_slot A = {.u64 = x}, B = {.u64 = y}; \
        T a = A.field, b = B.field; \
        return (uint32_t)(expr); \
    }
#define PURE_UN(name, stmt) \
    static uint64_t p_##name(uint64_t x) \
    { \
        rt_slot a = {.u64 = x}, D = {.u64 = 0}; \
        rt_slot *d = &D; \
        stmt; \
        return D.u64; \
    }

PURE_BIN(F32_ADD, float, f32, a + b)
PURE_BIN(F32_SUB, float, f32, a - b)
PURE_BIN(F32_MUL, float, f32, a * b)
PURE_BIN(F32_DIV, float, f32, a / b)
PURE_BIN(F32_MIN, float, f32, min32(a, b))
PURE_BIN(F32_MAX, float, f32, max32(a, b))
PURE_BIN(F32_COPYSIGN, float, f32,
         bits_f32((f32_bits(a) & 0x7fffffffu) | (f32_bits(b) & 0x80000000u)))
PURE_CMP(F32_EQ, float, f32, a == b)
PURE_CMP(F32_NE, float, f32, a != b)
PURE_CMP(F32_LT, float, f32, a < b)
PURE_CMP(F32_GT, float, f32, a > b)
PURE_CMP(F32_LE, float, f32, a <= b)
PURE_CMP(F32_GE, float, f32, a >= b)
PURE_BIN(F64_ADD, double, f64, a + b)
PURE_BIN(F64_SUB, double, f64, a - b)
PURE_BIN(F64_MUL, double, f64, a * b)
PURE_BIN(F64_DIV, double, f64, a / b)
PURE_BIN(F64_MIN, double, f64, min64(a, b))
PURE_BIN(F64_MAX, double, f64, max64(a, b))
PURE_BIN(F64_COPYSIGN, double, f64,
         bits_f64((f64_bits(a) & 0x7fffffffffffffffull) | (f64_bits(b) & 0x8000000000000000ull)))
PURE_CMP(F64_EQ, double, f64, a == b)
PURE_CMP(F64_NE, double, f64, a != b)
PURE_CMP(F64_LT, double, f64, a < b)
PURE_CMP(F64_GT, double, f64, a > b)
PURE_CMP(F64_LE, double, f64, a <= b)
PURE_CMP(F64_GE, double, f64, a >= b)

PURE_UN(I32_CLZ, d->u64 = a.u32 ? (uint32_t)__builtin_clz(a.u32) : 32)
PURE_UN(I32_CTZ, d->u64 = a.u32 ? (uint32_t)__builtin_ctz(a.u32) : 32)
PURE_UN(I32_POPCNT, d->u64 = (uint32_t)__builtin_popcount(a.u32))
PURE_UN(I64_CLZ, d->u64 = a.u64 ? (uint64_t)__builtin_clzll(a.u64) : 64)
PURE_UN(I64_CTZ, d->u64 = a.u64 ? (uint64_t)__builtin_ctzll(a.u64) : 64)
PURE_UN(I64_POPCNT, d->u64 = (uint64_t)__builtin_popcountll(a.u64))
PURE_UN(F32_ABS, d->u64 = a.u32 & 0x7fffffffu)
PURE_UN(F32_NEG, d->u64 = a.u32 ^ 0x80000000u)
PURE_UN(F32_CEIL, d->f32 = isnan(a.f32) ? a.f32 + a.f32 : ceilf(a.f32))
PURE_UN(F32_FLOOR, d->f32 = isnan(a.f32) ? a.f32 + a.f32 : floorf(a.f32))
PURE_UN(F32_TRUNC, d->f32 = isnan(a.f32) ? a.f32 + a.f32 : truncf(a.f32))
PURE_UN(F32_NEAREST, d->f32 = f32_nearest(a.f32))
PURE_UN(F32_SQRT, d->f32 = sqrtf(a.f32))
PURE_UN(F64_ABS, d->u64 = a.u64 & 0x7fffffffffffffffull)
PURE_UN(F64_NEG, d->u64 = a.u64 ^ 0x8000000000000000ull)
PURE_UN(F64_CEIL, d->f64 = isnan(a.f64) ? a.f64 + a.f64 : ceil(a.f64))
PURE_UN(F64_FLOOR, d->f64 = isnan(a.f64) ? a.f64 + a.f64 : floor(a.f64))
PURE_UN(F64_TRUNC, d->f64 = isnan(a.f64) ? a.f64 + a.f64 : trunc(a.f64))
PURE_UN(F64_NEAREST, d->f64 = f64_nearest(a.f64))
PURE_UN(F64_SQRT, d->f64 = sqrt(a.f64))
PURE_UN(F32_CONVERT_I32_S, d->f32 = (float)a.i32)
PURE_UN(F32_CONVERT_I32_U, d->f32 = (float)a.u32)
PURE_UN(F32_CONVERT_I64_S, d->f32 = (float)a.i64)
PURE_UN(F32_CONVERT_I64_U, d->f32 = (float)a.u64)
PURE_UN(F32_DEMOTE_F64, d->f32 = (float)a.f64)
PURE_UN(F64_CONVERT_I32_S, d->f64 = (double)a.i32)
PURE_UN(F64_CONVERT_I32_U, d->f64 = (double)a.u32)
PURE_UN(F64_CONVERT_I64_S, d->f64 = (double)a.i64)
PURE_UN(F64_CONVERT_I64_U, d->f64 = (double)a.u64)
PURE_UN(F64_PROMOTE_F32, d->f64 = (double)a.f32)
PURE_UN(I32_TRUNC_SAT_F32_S, d->u64 = (uint32_t)sat_i32_f64(a.f32))
PURE_UN(I32_TRUNC_SAT_F32_U, d->u64 = sat_u32_f64(a.f32))
PURE_UN(I32_TRUNC_SAT_F64_S, d->u64 = (uint32_t)sat_i32_f64(a.f64))
PURE_UN(I32_TRUNC_SAT_F64_U, d->u64 = sat_u32_f64(a.f64))
PURE_UN(I64_TRUNC_SAT_F32_S, d->i64 = sat_i64_f64(a.f32))
PURE_UN(I64_TRUNC_SAT_F32_U, d->u64 = sat_u64_f64(a.f32))
PURE_UN(I64_TRUNC_SAT_F64_S, d->i64 = sat_i64_f64(a.f64))
PURE_UN(I64_TRUNC_SAT_F64_U, d->u64 = sat_u64_f64(a.f64))

const void *wasm_rt_jit_pure_fn(int op)
{
    switch (op) {
#define CASE(name) case OP_##name: return (const void *)p_##name;
    CASE(F32_ADD) CASE(F32_SUB) CASE(F32_MUL) CASE(F32_DIV) CASE(F32_MIN) CASE(F32_MAX)
    CASE(F32_COPYSIGN) CASE(F32_EQ) CASE(F32_NE) CASE(F32_LT) CASE(F32_GT) CASE(F32_LE)
    CASE(F32_GE) CASE(F64_ADD) CASE(F64_SUB) CASE(F64_MUL) CASE(F64_DIV) CASE(F64_MIN)
    CASE(F64_MAX) CASE(F64_COPYSIGN) CASE(F64_EQ) CASE(F64_NE) CASE(F64_LT) CASE(F64_GT)
    CASE(F64_LE) CASE(F64_GE)
    CASE(I32_CLZ) CASE(I32_CTZ) CASE(I32_POPCNT) CASE(I64_CLZ) CASE(I64_CTZ) CASE(I64_POPCNT)
    CASE(F32_ABS) CASE(F32_NEG) CASE(F32_CEIL) CASE(F32_FLOOR) CASE(F32_TRUNC) CASE(F32_NEAREST)
    CASE(F32_SQRT) CASE(F64_ABS) CASE(F64_NEG) CASE(F64_CEIL) CASE(F64_FLOOR) CASE(F64_TRUNC)
    CASE(F64_NEAREST) CASE(F64_SQRT) CASE(F32_CONVERT_I32_S) CASE(F32_CONVERT_I32_U)
    CASE(F32_CONVERT_I64_S) CASE(F32_CONVERT_I64_U) CASE(F32_DEMOTE_F64)
    CASE(F64_CONVERT_I32_S) CASE(F64_CONVERT_I32_U) CASE(F64_CONVERT_I64_S)
    CASE(F64_CONVERT_I64_U) CASE(F64_PROMOTE_F32) CASE(I32_TRUNC_SAT_F32_S)
    CASE(I32_TRUNC_SAT_F32_U) CASE(I32_TRUNC_SAT_F64_S) CASE(I32_TRUNC_SAT_F64_U)
    CASE(I64_TRUNC_SAT_F32_S) CASE(I64_TRUNC_SAT_F32_U) CASE(I64_TRUNC_SAT_F64_S)
    CASE(I64_TRUNC_SAT_F64_U)
#undef CASE
    default: return NULL;
    }
}

#endif
