/*
 * interp.c - the interpreter: runs translated code (see translate.c,
 * ops.h) by direct threading.
 *
 * Each instruction starts with the offset of its handler from a base label,
 * so dispatch is `goto *(base + *ip)` - one indirect jump per instruction,
 * no switch, no decoding.  Operands are frame-slot indices, so an i32.add
 * is three loads of indices, two slot loads, an add and a store.  The hot
 * state (ip, fp, memory base and size, current instance) lives in locals
 * the compiler keeps in registers; it is reloaded after anything that may
 * change it (calls, returns, memory.grow, host functions).
 *
 * Wasm-to-Wasm calls never recurse natively: a call pushes an rt_frame
 * record (bounded by the store's max_call_depth, which gives the "call
 * stack exhausted" trap) and the callee's frame begins at the caller's
 * argument slots on the value stack.  Only host functions are called
 * natively; if one calls back into Wasm, a nested activation continues on
 * the same stacks.  Traps unwind by returning: the outcome is left in the
 * store (pending_*), with a backtrace built from the frame records.
 *
 * Interrupts and deadlines are polled through a countdown decremented at
 * function entry and on loop back-edges, so the fast path costs one
 * decrement and the clock is read only every few thousand events.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "jit.h"
#include "numeric.h"
#include "ops.h"
#include "runtime.h"

#define POLL_INTERVAL 4096

/* ---- host calls --------------------------------------------------------- */

__attribute__((noinline)) int wasm_rt_call_host(wasm_store *s, wasm_func *f, wasm_instance *inst,
                                               rt_slot *fp)
{
    wasm_val small_args[16], small_res[16];
    wasm_val *args = f->nparams <= 16 ? small_args : util_xcalloc(f->nparams, sizeof(wasm_val));
    wasm_val *res = f->nresults <= 16 ? small_res : util_xcalloc(f->nresults, sizeof(wasm_val));
    memset(args, 0, sizeof(wasm_val) * (f->nparams <= 16 ? 16 : f->nparams));
    memset(res, 0, sizeof(wasm_val) * (f->nresults <= 16 ? 16 : f->nresults));
    for (uint32_t i = 0; i < f->nparams; i++)
        args[i].i64 = fp[i].i64;
    struct wasm_caller caller = {.store = s, .inst = inst};
    s->pending_kind = WASM_OK;
    int rc = f->fn(&caller, f->env, args, res);
    if (rc == 0) {
        for (uint32_t i = 0; i < f->nresults; i++)
            fp[i].i64 = res[i].i64;
    } else if (s->pending_kind == WASM_OK) {
        s->pending_kind = WASM_TRAP;
        snprintf(s->pending_msg, sizeof s->pending_msg, "host function failed");
    }
    if (args != small_args)
        free(args);
    if (res != small_res)
        free(res);
    return rc ? -1 : 0;
}

uint8_t *wasm_caller_memory(wasm_caller *c, uint64_t *size_bytes)
{
    if (!c->inst || c->inst->nmems == 0) {
        if (size_bytes)
            *size_bytes = 0;
        return NULL;
    }
    wasm_memory *m = c->inst->mems[0];
    if (size_bytes)
        *size_bytes = m->size;
    return m->base;
}

wasm_instance *wasm_caller_instance(wasm_caller *c)
{
    return c->inst;
}

wasm_store *wasm_caller_store(wasm_caller *c)
{
    return c->store;
}

void *wasm_caller_user_data(wasm_caller *c)
{
    return c->store->config.user_data;
}

int wasm_caller_trap(wasm_caller *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->store->pending_msg, sizeof c->store->pending_msg, fmt, ap);
    va_end(ap);
    c->store->pending_kind = WASM_TRAP;
    return -1;
}

int wasm_caller_exit(wasm_caller *c, int code)
{
    c->store->pending_kind = WASM_EXIT;
    c->store->pending_exit = code;
    snprintf(c->store->pending_msg, sizeof c->store->pending_msg, "exit with code %d", code);
    return -1;
}

/* ---- the slow paths ----------------------------------------------------- */

static int loadm(wasm_memory *m, uint32_t kind, uint64_t ea, rt_slot *d)
{
    static const uint8_t sizes[OP_COUNT_] = {
        [OP_LOAD32] = 4, [OP_LOAD64] = 8, [OP_LOAD8_S32] = 1, [OP_LOAD8_U32] = 1,
        [OP_LOAD16_S32] = 2, [OP_LOAD16_U32] = 2, [OP_LOAD8_S64] = 1, [OP_LOAD8_U64] = 1,
        [OP_LOAD16_S64] = 2, [OP_LOAD16_U64] = 2, [OP_LOAD32_S64] = 4, [OP_LOAD32_U64] = 4,
        [OP_STORE32] = 4, [OP_STORE64] = 8, [OP_STORE8] = 1, [OP_STORE16] = 2,
    };
    uint32_t n = sizes[kind];
    if (ea + n > m->size)
        return -1;
    uint8_t *p = m->base + ea;
    uint64_t v = 0;
    memcpy(&v, p, n);
    switch (kind) {
    case OP_LOAD8_S32: d->u64 = (uint32_t)(int32_t)(int8_t)v; break;
    case OP_LOAD16_S32: d->u64 = (uint32_t)(int32_t)(int16_t)v; break;
    case OP_LOAD8_S64: d->i64 = (int8_t)v; break;
    case OP_LOAD16_S64: d->i64 = (int16_t)v; break;
    case OP_LOAD32_S64: d->i64 = (int32_t)v; break;
    default: d->u64 = v; break;
    }
    return 0;
}

static int storem(wasm_memory *m, uint32_t kind, uint64_t ea, rt_slot v)
{
    uint32_t n = kind == OP_STORE64 ? 8 : kind == OP_STORE32 ? 4 : kind == OP_STORE16 ? 2 : 1;
    if (ea + n > m->size)
        return -1;
    memcpy(m->base + ea, &v.u64, n);
    return 0;
}

/* Returns a trap message or NULL. */
const char *wasm_rt_bulk_op(wasm_store *s, wasm_instance *inst, int op, rt_slot *fp,
                           const uint32_t *ip)
{
    uint64_t d = fp[ip[1]].u32, sidx = fp[ip[2]].u32, n = fp[ip[3]].u32;
    switch (op) {
    case OP_MEMORY_COPY: {
        wasm_memory *dm = inst->mems[ip[4]], *sm = inst->mems[ip[5]];
        if (d + n > dm->size || sidx + n > sm->size)
            return "out of bounds memory access";
        memmove(dm->base + d, sm->base + sidx, n);
        return NULL;
    }
    case OP_MEMORY_FILL: {
        wasm_memory *m = inst->mems[ip[4]];
        if (d + n > m->size)
            return "out of bounds memory access";
        memset(m->base + d, (int)(uint8_t)fp[ip[2]].u32, n);
        return NULL;
    }
    case OP_MEMORY_INIT: {
        wasm_memory *m = inst->mems[ip[5]];
        const uint8_t *data;
        size_t len;
        wasm_mv_data(inst->module, ip[4], &data, &len);
        if (inst->data_dropped[ip[4]])
            len = 0;
        if (sidx + n > len || d + n > m->size)
            return "out of bounds memory access";
        if (n)
            memcpy(m->base + d, data + sidx, n);
        return NULL;
    }
    case OP_TABLE_COPY: {
        wasm_table *dt = inst->tables[ip[4]], *st = inst->tables[ip[5]];
        if (d + n > dt->size || sidx + n > st->size)
            return "out of bounds table access";
        if (n)
            memmove(dt->elems + d, st->elems + sidx, n * sizeof(void *));
        return NULL;
    }
    case OP_TABLE_INIT: {
        wasm_table *t = inst->tables[ip[5]];
        rt_elem *e = &inst->elems[ip[4]];
        if (sidx + n > e->len || d + n > t->size)
            return "out of bounds table access";
        if (n)
            memcpy(t->elems + d, e->refs + sidx, n * sizeof(void *));
        return NULL;
    }
    case OP_TABLE_FILL: {
        wasm_table *t = inst->tables[ip[4]];
        if (d + n > t->size)
            return "out of bounds table access";
        for (uint64_t i = 0; i < n; i++)
            t->elems[d + i] = fp[ip[2]].ref;
        return NULL;
    }
    default:
        (void)s;
        return NULL;
    }
}

/* The reference interpreter names the element a call_indirect found
 * missing ("uninitialized element 2"); kept out of line so formatting does
 * not weigh on the interpreter loop. */
static __attribute__((noinline, cold)) void elem_trap(wasm_store *s, const char *what,
                                                       uint32_t i)
{
    snprintf(s->pending_msg, sizeof s->pending_msg, "%s %" PRIu32, what, i);
}

/* ---- the interpreter ---------------------------------------------------- */

static _Atomic(const int32_t *) handler_table;

#define NOCLONE
#if defined(__GNUC__) && !defined(__clang__)
#undef NOCLONE
#define NOCLONE __attribute__((noclone))
#endif

/* `caller` is the compiled function calling entry (it appears in entry's
 * frame record), or NULL for a call from the API. */
static __attribute__((noinline)) NOCLONE int run(wasm_store *s, wasm_func *entry, rt_slot *fp,
                                                  wasm_func *caller)
{
    static const int32_t handlers[OP_COUNT_] = {
#define H(name) [OP_##name] = (int32_t)(&&L_##name - &&L_BASE),
        RT_ALLOPS(H)
#undef H
    };
    if (!s) {
        atomic_store(&handler_table, handlers);
        return 0;
    }

    const char *base = (const char *)&&L_BASE;
    const uint32_t *ip;
    wasm_func *cur = entry;
    wasm_func *callee;
    rt_slot *nfp;
    wasm_instance *inst = entry->inst;
    uint8_t *mem = NULL;
    uint64_t memsize = 0;
    uint32_t depth = s->depth;
    const uint32_t entry_depth = depth;
    int budget = 1;
    const char *trap;
    int bop;
    bool tail;
    rt_frame *frames = s->frames;

#define NEXT() goto *(const void *)(base + (int32_t)*ip)
#define R(k) fp[ip[k]]
#define RELOAD_MEM() \
    do { \
        if (inst->nmems) { \
            mem = inst->mems[0]->base; \
            memsize = inst->mems[0]->size; \
        } \
    } while (0)
#define TRAP(msg) \
    do { \
        trap = (msg); \
        goto do_trap; \
    } while (0)

    /* the entry is a call from "nowhere": its frame record has ret_ip NULL
     * (RETURN to it leaves the interpreter) and no function */
    cur = caller;
    callee = entry;
    nfp = fp;
    ip = NULL;
    goto do_call;

L_BASE:
L_NOP:
    ip += 1;
    NEXT();

#define BIN_I32(name, expr) \
    L_##name: { \
        uint32_t a = R(2).u32, b = R(3).u32; \
        (void)a; (void)b; \
        R(1).u64 = (uint32_t)(expr); \
        ip += 4; \
        NEXT(); \
    }
#define BIN_I64(name, expr) \
    L_##name: { \
        uint64_t a = R(2).u64, b = R(3).u64; \
        R(1).u64 = (uint64_t)(expr); \
        ip += 4; \
        NEXT(); \
    }
#define CMP_I64(name, expr) \
    L_##name: { \
        uint64_t a = R(2).u64, b = R(3).u64; \
        R(1).u64 = (uint32_t)(expr); \
        ip += 4; \
        NEXT(); \
    }
#define BIN_F32(name, expr) \
    L_##name: { \
        float a = R(2).f32, b = R(3).f32; \
        R(1).f32 = (expr); \
        ip += 4; \
        NEXT(); \
    }
#define CMP_F32(name, expr) \
    L_##name: { \
        float a = R(2).f32, b = R(3).f32; \
        R(1).u64 = (uint32_t)(expr); \
        ip += 4; \
        NEXT(); \
    }
#define BIN_F64(name, expr) \
    L_##name: { \
        double a = R(2).f64, b = R(3).f64; \
        R(1).f64 = (expr); \
        ip += 4; \
        NEXT(); \
    }
#define CMP_F64(name, expr) \
    L_##name: { \
        double a = R(2).f64, b = R(3).f64; \
        R(1).u64 = (uint32_t)(expr); \
        ip += 4; \
        NEXT(); \
    }

    BIN_I32(I32_ADD, a + b)
    BIN_I32(I32_SUB, a - b)
    BIN_I32(I32_MUL, a * b)
    BIN_I32(I32_AND, a & b)
    BIN_I32(I32_OR, a | b)
    BIN_I32(I32_XOR, a ^ b)
    BIN_I32(I32_SHL, a << (b & 31))
    BIN_I32(I32_SHR_S, (uint32_t)((int32_t)a >> (b & 31)))
    BIN_I32(I32_SHR_U, a >> (b & 31))
    BIN_I32(I32_ROTL, rotl32(a, b))
    BIN_I32(I32_ROTR, rotr32(a, b))
    BIN_I32(I32_EQ, a == b)
    BIN_I32(I32_NE, a != b)
    BIN_I32(I32_LT_S, (int32_t)a < (int32_t)b)
    BIN_I32(I32_LT_U, a < b)
    BIN_I32(I32_GT_S, (int32_t)a > (int32_t)b)
    BIN_I32(I32_GT_U, a > b)
    BIN_I32(I32_LE_S, (int32_t)a <= (int32_t)b)
    BIN_I32(I32_LE_U, a <= b)
    BIN_I32(I32_GE_S, (int32_t)a >= (int32_t)b)
    BIN_I32(I32_GE_U, a >= b)

L_I32_DIV_S: {
    int32_t a = R(2).i32, b = R(3).i32;
    if (b == 0)
        TRAP("integer divide by zero");
    if (a == INT32_MIN && b == -1)
        TRAP("integer overflow");
    R(1).u64 = (uint32_t)(a / b);
    ip += 4;
    NEXT();
}
L_I32_DIV_U: {
    uint32_t a = R(2).u32, b = R(3).u32;
    if (b == 0)
        TRAP("integer divide by zero");
    R(1).u64 = a / b;
    ip += 4;
    NEXT();
}
L_I32_REM_S: {
    int32_t a = R(2).i32, b = R(3).i32;
    if (b == 0)
        TRAP("integer divide by zero");
    R(1).u64 = (b == -1) ? 0 : (uint32_t)(a % b);
    ip += 4;
    NEXT();
}
L_I32_REM_U: {
    uint32_t a = R(2).u32, b = R(3).u32;
    if (b == 0)
        TRAP("integer divide by zero");
    R(1).u64 = a % b;
    ip += 4;
    NEXT();
}

    BIN_I64(I64_ADD, a + b)
    BIN_I64(I64_SUB, a - b)
    BIN_I64(I64_MUL, a * b)
    BIN_I64(I64_AND, a & b)
    BIN_I64(I64_OR, a | b)
    BIN_I64(I64_XOR, a ^ b)
    BIN_I64(I64_SHL, a << (b & 63))
    BIN_I64(I64_SHR_S, (uint64_t)((int64_t)a >> (b & 63)))
    BIN_I64(I64_SHR_U, a >> (b & 63))
    BIN_I64(I64_ROTL, rotl64(a, b))
    BIN_I64(I64_ROTR, rotr64(a, b))
    CMP_I64(I64_EQ, a == b)
    CMP_I64(I64_NE, a != b)
    CMP_I64(I64_LT_S, (int64_t)a < (int64_t)b)
    CMP_I64(I64_LT_U, a < b)
    CMP_I64(I64_GT_S, (int64_t)a > (int64_t)b)
    CMP_I64(I64_GT_U, a > b)
    CMP_I64(I64_LE_S, (int64_t)a <= (int64_t)b)
    CMP_I64(I64_LE_U, a <= b)
    CMP_I64(I64_GE_S, (int64_t)a >= (int64_t)b)
    CMP_I64(I64_GE_U, a >= b)

L_I64_DIV_S: {
    int64_t a = R(2).i64, b = R(3).i64;
    if (b == 0)
        TRAP("integer divide by zero");
    if (a == INT64_MIN && b == -1)
        TRAP("integer overflow");
    R(1).i64 = a / b;
    ip += 4;
    NEXT();
}
L_I64_DIV_U: {
    uint64_t a = R(2).u64, b = R(3).u64;
    if (b == 0)
        TRAP("integer divide by zero");
    R(1).u64 = a / b;
    ip += 4;
    NEXT();
}
L_I64_REM_S: {
    int64_t a = R(2).i64, b = R(3).i64;
    if (b == 0)
        TRAP("integer divide by zero");
    R(1).i64 = (b == -1) ? 0 : a % b;
    ip += 4;
    NEXT();
}
L_I64_REM_U: {
    uint64_t a = R(2).u64, b = R(3).u64;
    if (b == 0)
        TRAP("integer divide by zero");
    R(1).u64 = a % b;
    ip += 4;
    NEXT();
}

    BIN_F32(F32_ADD, a + b)
    BIN_F32(F32_SUB, a - b)
    BIN_F32(F32_MUL, a * b)
    BIN_F32(F32_DIV, a / b)
    BIN_F32(F32_MIN, min32(a, b))
    BIN_F32(F32_MAX, max32(a, b))
    BIN_F32(F32_COPYSIGN, bits_f32((f32_bits(a) & 0x7fffffffu) | (f32_bits(b) & 0x80000000u)))
    CMP_F32(F32_EQ, a == b)
    CMP_F32(F32_NE, a != b)
    CMP_F32(F32_LT, a < b)
    CMP_F32(F32_GT, a > b)
    CMP_F32(F32_LE, a <= b)
    CMP_F32(F32_GE, a >= b)
    BIN_F64(F64_ADD, a + b)
    BIN_F64(F64_SUB, a - b)
    BIN_F64(F64_MUL, a * b)
    BIN_F64(F64_DIV, a / b)
    BIN_F64(F64_MIN, min64(a, b))
    BIN_F64(F64_MAX, max64(a, b))
    BIN_F64(F64_COPYSIGN,
            bits_f64((f64_bits(a) & 0x7fffffffffffffffull) | (f64_bits(b) & 0x8000000000000000ull)))
    CMP_F64(F64_EQ, a == b)
    CMP_F64(F64_NE, a != b)
    CMP_F64(F64_LT, a < b)
    CMP_F64(F64_GT, a > b)
    CMP_F64(F64_LE, a <= b)
    CMP_F64(F64_GE, a >= b)

#define UN(name, stmt) \
    L_##name: { \
        rt_slot a = R(2); \
        rt_slot *d = &R(1); \
        stmt; \
        ip += 3; \
        NEXT(); \
    }

    UN(I32_EQZ, d->u64 = a.u32 == 0)
    UN(I32_CLZ, d->u64 = a.u32 ? (uint32_t)__builtin_clz(a.u32) : 32)
    UN(I32_CTZ, d->u64 = a.u32 ? (uint32_t)__builtin_ctz(a.u32) : 32)
    UN(I32_POPCNT, d->u64 = (uint32_t)__builtin_popcount(a.u32))
    UN(I64_EQZ, d->u64 = a.u64 == 0)
    UN(I64_CLZ, d->u64 = a.u64 ? (uint64_t)__builtin_clzll(a.u64) : 64)
    UN(I64_CTZ, d->u64 = a.u64 ? (uint64_t)__builtin_ctzll(a.u64) : 64)
    UN(I64_POPCNT, d->u64 = (uint64_t)__builtin_popcountll(a.u64))
    UN(F32_ABS, d->u64 = a.u32 & 0x7fffffffu)
    UN(F32_NEG, d->u64 = a.u32 ^ 0x80000000u)
    /* rounding must quieten a signalling NaN (the result is an arithmetic
     * NaN); inlined floor/ceil/trunc would pass it through unchanged */
    UN(F32_CEIL, d->f32 = isnan(a.f32) ? a.f32 + a.f32 : ceilf(a.f32))
    UN(F32_FLOOR, d->f32 = isnan(a.f32) ? a.f32 + a.f32 : floorf(a.f32))
    UN(F32_TRUNC, d->f32 = isnan(a.f32) ? a.f32 + a.f32 : truncf(a.f32))
    UN(F32_NEAREST, d->f32 = f32_nearest(a.f32))
    UN(F32_SQRT, d->f32 = sqrtf(a.f32))
    UN(F64_ABS, d->u64 = a.u64 & 0x7fffffffffffffffull)
    UN(F64_NEG, d->u64 = a.u64 ^ 0x8000000000000000ull)
    UN(F64_CEIL, d->f64 = isnan(a.f64) ? a.f64 + a.f64 : ceil(a.f64))
    UN(F64_FLOOR, d->f64 = isnan(a.f64) ? a.f64 + a.f64 : floor(a.f64))
    UN(F64_TRUNC, d->f64 = isnan(a.f64) ? a.f64 + a.f64 : trunc(a.f64))
    UN(F64_NEAREST, d->f64 = f64_nearest(a.f64))
    UN(F64_SQRT, d->f64 = sqrt(a.f64))
    UN(I64_EXTEND_I32_S, d->i64 = a.i32)
    UN(I64_EXTEND_I32_U, d->u64 = a.u32)
    UN(F32_CONVERT_I32_S, d->f32 = (float)a.i32)
    UN(F32_CONVERT_I32_U, d->f32 = (float)a.u32)
    UN(F32_CONVERT_I64_S, d->f32 = (float)a.i64)
    UN(F32_CONVERT_I64_U, d->f32 = (float)a.u64)
    UN(F32_DEMOTE_F64, d->f32 = (float)a.f64)
    UN(F64_CONVERT_I32_S, d->f64 = (double)a.i32)
    UN(F64_CONVERT_I32_U, d->f64 = (double)a.u32)
    UN(F64_CONVERT_I64_S, d->f64 = (double)a.i64)
    UN(F64_CONVERT_I64_U, d->f64 = (double)a.u64)
    UN(F64_PROMOTE_F32, d->f64 = (double)a.f32)
    UN(I32_EXTEND8_S, d->u64 = (uint32_t)(int32_t)(int8_t)a.u32)
    UN(I32_EXTEND16_S, d->u64 = (uint32_t)(int32_t)(int16_t)a.u32)
    UN(I64_EXTEND8_S, d->i64 = (int8_t)a.u64)
    UN(I64_EXTEND16_S, d->i64 = (int16_t)a.u64)
    UN(I64_EXTEND32_S, d->i64 = (int32_t)a.u64)
    UN(I32_TRUNC_SAT_F32_S, d->u64 = (uint32_t)sat_i32_f64(a.f32))
    UN(I32_TRUNC_SAT_F32_U, d->u64 = sat_u32_f64(a.f32))
    UN(I32_TRUNC_SAT_F64_S, d->u64 = (uint32_t)sat_i32_f64(a.f64))
    UN(I32_TRUNC_SAT_F64_U, d->u64 = sat_u32_f64(a.f64))
    UN(I64_TRUNC_SAT_F32_S, d->i64 = sat_i64_f64(a.f32))
    UN(I64_TRUNC_SAT_F32_U, d->u64 = sat_u64_f64(a.f32))
    UN(I64_TRUNC_SAT_F64_S, d->i64 = sat_i64_f64(a.f64))
    UN(I64_TRUNC_SAT_F64_U, d->u64 = sat_u64_f64(a.f64))
    UN(REF_IS_NULL, d->u64 = a.ref == NULL)

#define TRUNC(name, src, lo_ok, hi_ok, store) \
    L_##name: { \
        double x = R(2).src; \
        if (isnan(x)) \
            TRAP("invalid conversion to integer"); \
        if (!(lo_ok) || !(hi_ok)) \
            TRAP("integer overflow"); \
        R(1).store; \
        ip += 3; \
        NEXT(); \
    }
    TRUNC(I32_TRUNC_F32_S, f32, x >= -2147483648.0, x < 2147483648.0, u64 = (uint32_t)(int32_t)x)
    TRUNC(I32_TRUNC_F32_U, f32, x > -1.0, x < 4294967296.0, u64 = (uint32_t)x)
    TRUNC(I32_TRUNC_F64_S, f64, x > -2147483649.0, x < 2147483648.0, u64 = (uint32_t)(int32_t)x)
    TRUNC(I32_TRUNC_F64_U, f64, x > -1.0, x < 4294967296.0, u64 = (uint32_t)x)
    TRUNC(I64_TRUNC_F32_S, f32, x >= -9223372036854775808.0, x < 9223372036854775808.0,
          i64 = (int64_t)x)
    TRUNC(I64_TRUNC_F32_U, f32, x > -1.0, x < 18446744073709551616.0, u64 = (uint64_t)x)
    TRUNC(I64_TRUNC_F64_S, f64, x >= -9223372036854775808.0, x < 9223372036854775808.0,
          i64 = (int64_t)x)
    TRUNC(I64_TRUNC_F64_U, f64, x > -1.0, x < 18446744073709551616.0, u64 = (uint64_t)x)

    /* ---- memory ---- */
#define LOAD(name, n, ctype, conv) \
    L_##name: { \
        uint64_t ea = (uint64_t)R(2).u32 + ip[3]; \
        if (UTIL_UNLIKELY(ea + (n) > memsize)) \
            TRAP("out of bounds memory access"); \
        ctype v; \
        memcpy(&v, mem + ea, n); \
        R(1).u64 = conv; \
        ip += 4; \
        NEXT(); \
    }
    LOAD(LOAD32, 4, uint32_t, v)
    LOAD(LOAD64, 8, uint64_t, v)
    LOAD(LOAD8_S32, 1, int8_t, (uint32_t)(int32_t)v)
    LOAD(LOAD8_U32, 1, uint8_t, v)
    LOAD(LOAD16_S32, 2, int16_t, (uint32_t)(int32_t)v)
    LOAD(LOAD16_U32, 2, uint16_t, v)
    LOAD(LOAD8_S64, 1, int8_t, (uint64_t)(int64_t)v)
    LOAD(LOAD8_U64, 1, uint8_t, v)
    LOAD(LOAD16_S64, 2, int16_t, (uint64_t)(int64_t)v)
    LOAD(LOAD16_U64, 2, uint16_t, v)
    LOAD(LOAD32_S64, 4, int32_t, (uint64_t)(int64_t)v)
    LOAD(LOAD32_U64, 4, uint32_t, v)

#define LOAD_ADD(name, n, ctype) \
    L_##name: { \
        uint64_t ea = (uint64_t)(uint32_t)(R(2).u32 + R(3).u32) + ip[4]; \
        if (UTIL_UNLIKELY(ea + (n) > memsize)) \
            TRAP("out of bounds memory access"); \
        ctype v; \
        memcpy(&v, mem + ea, n); \
        R(1).u64 = v; \
        ip += 5; \
        NEXT(); \
    }
    LOAD_ADD(LOAD32_ADD, 4, uint32_t)
    LOAD_ADD(LOAD64_ADD, 8, uint64_t)
    LOAD_ADD(LOAD8_U32_ADD, 1, uint8_t)

#define STORE(name, n, ctype) \
    L_##name: { \
        uint64_t ea = (uint64_t)R(1).u32 + ip[3]; \
        if (UTIL_UNLIKELY(ea + (n) > memsize)) \
            TRAP("out of bounds memory access"); \
        ctype v = (ctype)R(2).u64; \
        memcpy(mem + ea, &v, n); \
        ip += 4; \
        NEXT(); \
    }
    STORE(STORE32, 4, uint32_t)
    STORE(STORE64, 8, uint64_t)
    STORE(STORE8, 1, uint8_t)
    STORE(STORE16, 2, uint16_t)

L_LOADM: {
    uint64_t ea = (uint64_t)R(2).u32 + ip[3];
    if (loadm(inst->mems[ip[5]], ip[4], ea, &R(1)) < 0)
        TRAP("out of bounds memory access");
    ip += 6;
    NEXT();
}
L_STOREM: {
    uint64_t ea = (uint64_t)R(1).u32 + ip[3];
    if (storem(inst->mems[ip[5]], ip[4], ea, R(2)) < 0)
        TRAP("out of bounds memory access");
    ip += 6;
    NEXT();
}

L_MEMORY_SIZE:
    R(1).u64 = (uint32_t)(inst->mems[ip[2]]->size / RT_PAGE_SIZE);
    ip += 3;
    NEXT();
L_MEMORY_GROW: {
    int64_t r = wasm_rt_memory_grow(inst->mems[ip[3]], R(2).u32);
    R(1).u64 = (uint32_t)r;
    RELOAD_MEM();
    ip += 4;
    NEXT();
}
L_MEMORY_COPY:
    bop = OP_MEMORY_COPY;
    goto bulk;
L_MEMORY_FILL:
    bop = OP_MEMORY_FILL;
    goto bulk;
L_MEMORY_INIT:
    bop = OP_MEMORY_INIT;
    goto bulk;
L_TABLE_COPY:
    bop = OP_TABLE_COPY;
    goto bulk;
L_TABLE_INIT:
    bop = OP_TABLE_INIT;
    goto bulk;
L_TABLE_FILL:
    bop = OP_TABLE_FILL;
    goto bulk;
bulk: {
    const char *msg = wasm_rt_bulk_op(s, inst, bop, fp, ip);
    if (msg)
        TRAP(msg);
    ip += (bop == OP_MEMORY_FILL || bop == OP_TABLE_FILL) ? 5 : 6;
    NEXT();
}
L_DATA_DROP:
    inst->data_dropped[ip[1]] = true;
    ip += 2;
    NEXT();
L_ELEM_DROP:
    inst->elems[ip[1]].len = 0;
    ip += 2;
    NEXT();

    /* ---- tables, globals, refs ---- */
L_TABLE_GET: {
    wasm_table *t = inst->tables[ip[3]];
    uint32_t i = R(2).u32;
    if (i >= t->size)
        TRAP("out of bounds table access");
    R(1).ref = t->elems[i];
    ip += 4;
    NEXT();
}
L_TABLE_SET: {
    wasm_table *t = inst->tables[ip[3]];
    uint32_t i = R(1).u32;
    if (i >= t->size)
        TRAP("out of bounds table access");
    t->elems[i] = R(2).ref;
    ip += 4;
    NEXT();
}
L_TABLE_SIZE:
    R(1).u64 = inst->tables[ip[2]]->size;
    ip += 3;
    NEXT();
L_TABLE_GROW: {
    int64_t r = wasm_rt_table_grow(inst->tables[ip[4]], R(3).u32, R(2).ref);
    R(1).u64 = (uint32_t)r;
    ip += 5;
    NEXT();
}
L_GLOBAL_GET:
    R(1) = inst->globals[ip[2]]->val;
    ip += 3;
    NEXT();
L_GLOBAL_SET:
    inst->globals[ip[1]]->val = R(2);
    ip += 3;
    NEXT();
L_REF_FUNC:
    R(1).ref = inst->funcs[ip[2]];
    ip += 3;
    NEXT();

    /* ---- data movement ---- */
L_COPY:
    R(1) = R(2);
    ip += 3;
    NEXT();
L_SELECT:
    R(1) = R(2).u32 ? R(3) : R(4);
    ip += 5;
    NEXT();

    /* ---- control ---- */
L_UNREACHABLE:
    TRAP("unreachable");
L_BR:
    ip += (int32_t)ip[1];
    NEXT();
L_BR_BACK:
    ip += (int32_t)ip[1];
    if (UTIL_UNLIKELY(--budget <= 0))
        goto poll;
    NEXT();
L_BR_IF:
    if (R(1).u32) {
        int32_t rel = (int32_t)ip[2];
        ip += rel;
        if (rel <= 0 && UTIL_UNLIKELY(--budget <= 0))
            goto poll;
    } else {
        ip += 3;
    }
    NEXT();
L_BR_IF_BACK:
    if (R(1).u32) {
        ip += (int32_t)ip[2];
        if (UTIL_UNLIKELY(--budget <= 0))
            goto poll;
    } else {
        ip += 3;
    }
    NEXT();
L_BR_UNLESS:
    if (!R(1).u32) {
        int32_t rel = (int32_t)ip[2];
        ip += rel;
        if (rel <= 0 && UTIL_UNLIKELY(--budget <= 0))
            goto poll;
    } else {
        ip += 3;
    }
    NEXT();

#define BR_CMP(name, expr) \
    L_##name: { \
        uint32_t a = R(1).u32, b = R(2).u32; \
        if (expr) { \
            int32_t rel = (int32_t)ip[3]; \
            ip += rel; \
            if (rel <= 0 && UTIL_UNLIKELY(--budget <= 0)) \
                goto poll; \
        } else { \
            ip += 4; \
        } \
        NEXT(); \
    }
    BR_CMP(BR_IF_I32_EQ, a == b)
    BR_CMP(BR_IF_I32_NE, a != b)
    BR_CMP(BR_IF_I32_LT_S, (int32_t)a < (int32_t)b)
    BR_CMP(BR_IF_I32_LT_U, a < b)
    BR_CMP(BR_IF_I32_GT_S, (int32_t)a > (int32_t)b)
    BR_CMP(BR_IF_I32_GT_U, a > b)
    BR_CMP(BR_IF_I32_LE_S, (int32_t)a <= (int32_t)b)
    BR_CMP(BR_IF_I32_LE_U, a <= b)
    BR_CMP(BR_IF_I32_GE_S, (int32_t)a >= (int32_t)b)
    BR_CMP(BR_IF_I32_GE_U, a >= b)
L_BR_TABLE: {
    uint32_t i = R(1).u32, n = ip[2];
    if (i > n)
        i = n;
    int32_t rel = (int32_t)ip[3 + i];
    ip += rel;
    /* A target at or before this op is a loop: count it like any back-edge
     * so an interrupt or deadline can stop `loop (br_table 0 ...)`. */
    if (rel <= 0 && UTIL_UNLIKELY(--budget <= 0))
        goto poll;
    NEXT();
}

L_CALL:
    callee = inst->funcs[ip[1]];
    nfp = fp + ip[2];
    ip += 3;
    goto do_call;
L_RETURN_CALL:
    callee = inst->funcs[ip[1]];
    nfp = fp + ip[2];
    goto do_tail_call;
L_CALL_INDIRECT:
    tail = false;
    goto call_indirect;
L_RETURN_CALL_INDIRECT:
    tail = true;
call_indirect: {
    wasm_table *t = inst->tables[ip[1]];
    uint32_t i = R(3).u32;
    if (i >= t->size) {
        elem_trap(s, "undefined element", i);
        goto do_trap_set;
    }
    callee = t->elems[i];
    if (!callee) {
        elem_trap(s, "uninitialized element", i);
        goto do_trap_set;
    }
    if (callee->type_id != inst->type_ids[ip[2]])
        TRAP("indirect call type mismatch");
    nfp = fp + ip[4];
    ip += 5;
    if (tail)
        goto do_tail_call;
    goto do_call;
}

    /* A tail call reuses the current frame (and its frame record): the
     * arguments move down to fp[0..], so the stack does not grow. */
do_tail_call: {
    if (UTIL_UNLIKELY(--budget <= 0)) {
        budget = POLL_INTERVAL;
        if (atomic_load_explicit(&s->interrupt, memory_order_relaxed) ||
            (s->deadline_ns && util_monotonic_ns() >= s->deadline_ns))
            goto interrupted;
    }
    if (callee->is_host) {
        s->depth = depth;
        s->stack_top = nfp + (callee->nparams > callee->nresults ? callee->nparams
                                                                  : callee->nresults);
        rt_slot *saved_top = s->stack_top;
        int rc = wasm_rt_call_host(s, callee, inst, nfp);
        s->stack_top = saved_top;
        if (rc < 0) {
            if (s->pending_kind == WASM_TRAP)
                wasm_rt_backtrace(s, entry_depth, cur);
            goto unwind;
        }
        memmove(fp, nfp, callee->nresults * sizeof(rt_slot));
        goto L_RETURN;
    }
    const rt_code *code = callee->code;
    if (UTIL_UNLIKELY(!code)) {
        code = wasm_rt_code_get(callee->inst->module, callee->func_idx);
        callee->code = code;
    }
    if (UTIL_UNLIKELY(fp + code->frame_slots > s->stack_end))
        TRAP("call stack exhausted");
    memmove(fp, nfp, code->nparams * sizeof(rt_slot));
    cur = callee;
    if (code->ndeclared > code->nparams)
        memset(fp + code->nparams, 0, (code->ndeclared - code->nparams) * sizeof(rt_slot));
    if (code->nconsts)
        memcpy(fp + code->nlocals, code->consts, code->nconsts * sizeof(rt_slot));
    if (callee->inst != inst) {
        inst = callee->inst;
        RELOAD_MEM();
    }
    ip = code->code;
    NEXT();
}

do_call: {
    if (UTIL_UNLIKELY(--budget <= 0)) {
        budget = POLL_INTERVAL;
        if (atomic_load_explicit(&s->interrupt, memory_order_relaxed) ||
            (s->deadline_ns && util_monotonic_ns() >= s->deadline_ns))
            goto interrupted;
    }
    if (callee->is_host) {
        s->depth = depth;
        s->stack_top = nfp + (callee->nparams > callee->nresults ? callee->nparams
                                                                  : callee->nresults);
        rt_slot *saved_top = s->stack_top;
        int rc = wasm_rt_call_host(s, callee, inst, nfp);
        s->stack_top = saved_top;
        if (rc < 0) {
            if (s->pending_kind == WASM_TRAP) {
                /* the host function is the innermost frame */
                wasm_rt_backtrace(s, entry_depth, cur);
            }
            goto unwind;
        }
        RELOAD_MEM();
        NEXT();
    }
    const rt_code *code = callee->code;
    if (UTIL_UNLIKELY(!code)) {
        code = wasm_rt_code_get(callee->inst->module, callee->func_idx);
        callee->code = code;
    }
    if (UTIL_UNLIKELY(depth >= s->max_depth || nfp + code->frame_slots > s->stack_end))
        TRAP("call stack exhausted");
#if WASM_RT_JIT
    if (code->jit && ip) { /* compiled: runs natively on the same stacks */
        frames[depth] = (rt_frame){.func = cur, .ret_ip = ip, .fp = fp};
        s->depth = depth + 1;
        int rc = wasm_rt_jit_enter(s, callee, nfp);
        s->depth = depth;
        if (rc < 0)
            goto unwind;
        RELOAD_MEM();
        NEXT();
    }
#endif
    frames[depth].func = cur;
    frames[depth].ret_ip = ip;
    frames[depth].fp = fp;
    depth++;
    fp = nfp;
    cur = callee;
    for (uint32_t i = code->nparams; i < code->ndeclared; i++)
        fp[i].u64 = 0;
    for (uint32_t i = 0; i < code->nconsts; i++)
        fp[code->nlocals + i] = code->consts[i];
    if (callee->inst != inst || mem == NULL) {
        inst = callee->inst;
        RELOAD_MEM();
    }
    ip = code->code;
    NEXT();
}

L_RETURN: {
    depth--;
    rt_frame *fr = &frames[depth];
    if (!fr->ret_ip) {
        s->depth = depth;
        return 0;
    }
    ip = fr->ret_ip;
    fp = fr->fp;
    cur = fr->func;
    /* memory only changes size through memory.grow (which reloads) and
     * host functions (reloaded after them), so only an instance switch
     * needs a reload here */
    if (cur->inst != inst) {
        inst = cur->inst;
        RELOAD_MEM();
    }
    NEXT();
}

L_ENTER:
    TRAP("unreachable");

poll:
    budget = POLL_INTERVAL;
    if (atomic_load_explicit(&s->interrupt, memory_order_relaxed) ||
        (s->deadline_ns && util_monotonic_ns() >= s->deadline_ns))
        goto interrupted;
    NEXT();

interrupted:
    s->pending_kind = WASM_INTERRUPTED;
    if (atomic_exchange(&s->interrupt, false))
        snprintf(s->pending_msg, sizeof s->pending_msg, "interrupted");
    else
        snprintf(s->pending_msg, sizeof s->pending_msg, "deadline exceeded");
    goto unwind;

do_trap:
    snprintf(s->pending_msg, sizeof s->pending_msg, "%s", trap);
do_trap_set: /* pending_msg already written */
    s->pending_kind = WASM_TRAP;
    s->depth = depth;
    wasm_rt_backtrace(s, entry_depth, cur);
    goto unwind;

unwind:
    s->depth = entry_depth;
    return -1;
}

const int32_t *wasm_rt_interp_handlers(void)
{
    const int32_t *h = atomic_load(&handler_table);
    if (!h) {
        run(NULL, NULL, NULL, NULL);
        h = atomic_load(&handler_table);
    }
    return h;
}

int wasm_rt_interp_call(wasm_store *s, wasm_func *f, rt_slot *fp)
{
#if WASM_RT_JIT
    if (!f->code)
        f->code = wasm_rt_code_get(f->inst->module, f->func_idx);
    if (f->code->jit)
        return wasm_rt_jit_call_outermost(s, f, fp);
#endif
    return run(s, f, fp, NULL);
}

int wasm_rt_interp_call_from(wasm_store *s, wasm_func *f, rt_slot *fp, wasm_func *caller)
{
    return run(s, f, fp, caller);
}
