/*
 * jit.h - the compiler tier (x86-64 only), private to src/engine.
 *
 * A function's translated code (ops.h) is compiled to machine code that
 * keeps the interpreter's frame layout: the frame pointer lives in a
 * register and every operand is the same fp[] slot the interpreter would
 * use, so compiled and interpreted frames call each other freely and a
 * function that uses anything the compiler does not cover yet simply stays
 * interpreted (rt_code.jit == NULL).  See jit_compile.c for the design.
 */
#ifndef ENGINE_JIT_H
#define ENGINE_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

#if defined(__x86_64__) && !defined(WASM_RT_NO_JIT)
#define WASM_RT_JIT 1
#else
#define WASM_RT_JIT 0
#endif

/* Shared by one run of compiled code entered from the API or the
 * interpreter: the store and the countdown to the next interrupt poll. */
typedef struct rt_jit_ctx {
    wasm_store *store;
    int32_t budget;
    uintptr_t stack_limit; /* compiled calls below it take the checked path */
} rt_jit_ctx;

/* A compiled function: returns 0 (results in fp[0..nresults)) or -1 with
 * the store's pending outcome set (and its backtrace built). */
typedef int (*rt_jit_entry)(rt_jit_ctx *ctx, wasm_func *self, rt_slot *fp);

typedef struct rt_jit_fn {
    rt_jit_entry entry;
    void *map; /* the code mapping (read + execute) */
    size_t map_len;
} rt_jit_fn;

/* Is the compiler tier selected?  (WASM_TIER=compile in the environment,
 * read once; tests may switch it.) */
bool wasm_rt_jit_enabled(void);
void wasm_rt_jit_set_enabled(bool on);

/* Compiles translated code; NULL when the function uses something the
 * compiler does not support (it stays interpreted) or on failure. */
rt_jit_fn *wasm_rt_jit_compile(const rt_code *code);
void wasm_rt_jit_free(rt_jit_fn *fn);

/* Runs compiled f whose caller (the interpreter) already counted the call,
 * checked the depth and pushed its frame record. */
int wasm_rt_jit_enter(wasm_store *s, wasm_func *f, rt_slot *fp);
/* Calls f as the API's outermost call would (frame record with no
 * function), when f is compiled. */
int wasm_rt_jit_call_outermost(wasm_store *s, wasm_func *f, rt_slot *fp);

/* Code memory (jit_code.c): copies `len` bytes of machine code into a
 * fresh mapping that is made read+execute (never writable and executable
 * at once).  NULL on failure. */
void *wasm_rt_jit_code_map(const uint8_t *code, size_t len, size_t *map_len);
void wasm_rt_jit_code_unmap(void *map, size_t map_len);

/* Statistics for tests: functions compiled, and refused (fallback). */
void wasm_rt_jit_stats(uint64_t *compiled, uint64_t *refused);

#endif
