/*
 * jit_internal.h - what compiled code calls: the runtime helpers of
 * jit_run.c (the same checks, messages and frame records as the
 * interpreter) and the float helpers.  Between jit_compile.c and jit_run.c
 * only.
 */
#ifndef ENGINE_JIT_INTERNAL_H
#define ENGINE_JIT_INTERNAL_H

#include "jit.h"

enum {
    JIT_TRAP_UNREACHABLE,
    JIT_TRAP_DIV0,
    JIT_TRAP_OVERFLOW,
    JIT_TRAP_OOB,
    JIT_TRAP_INVALID_CONV,
    JIT_TRAP_COUNT
};

/* Sets the trap of `kind` as pending, with the backtrace (self innermost). */
void wasm_rt_jit_trap(rt_jit_ctx *c, wasm_func *self, int kind);
/* The countdown ran out: resets it; -1 (outcome pending) if interrupted. */
int wasm_rt_jit_poll(rt_jit_ctx *c);
/* CALL / CALL_INDIRECT at ip (its operands are read from the translated
 * code): 0, or -1 with the outcome pending. */
int wasm_rt_jit_call(rt_jit_ctx *c, wasm_func *self, rt_slot *fp, const uint32_t *ip);
int wasm_rt_jit_call_indirect(rt_jit_ctx *c, wasm_func *self, rt_slot *fp, const uint32_t *ip);
/* The bulk memory and table ops, table.get/set/size/grow, data.drop and
 * elem.drop (op) at ip: 0, or -1 with the trap pending. */
int wasm_rt_jit_slow_op(rt_jit_ctx *c, wasm_func *self, rt_slot *fp, const uint32_t *ip, int op);
/* MEMORY_SIZE / MEMORY_GROW at ip; write their result slot */
void wasm_rt_jit_memory_size(wasm_func *self, rt_slot *fp, const uint32_t *ip);
void wasm_rt_jit_memory_grow(wasm_func *self, rt_slot *fp, const uint32_t *ip);
/* A trapping float->int conversion `op` of the bits a into *d: 0, or 1
 * (NaN: invalid conversion) or 2 (out of range: overflow). */
int wasm_rt_jit_trunc(uint64_t a, rt_slot *d, int op);
/* The C function computing a float op (or clz/ctz/popcnt, or a
 * non-trapping conversion) on slot bits: uint64_t f(uint64_t a[, b]). */
const void *wasm_rt_jit_pure_fn(int op);

#endif
