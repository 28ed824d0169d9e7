/*
 * jit_compile.c - the compiler tier: translated code (ops.h) to x86-64.
 *
 * Why from the translated code and not from Wasm: the translator already
 * resolved the operand stack into frame slots, constants, fused compares
 * and branch displacements, and the interpreter's frame layout is the
 * contract between tiers.  Compiled code reads and writes the very same
 * fp[] slots through a base register, so a compiled function can call an
 * interpreted one and the other way round, and a function using anything
 * this slice does not cover is refused as a whole and stays interpreted
 * (per-function fallback, decided once when the function is translated).
 *
 * Machine state of a compiled function (all callee-saved, so helper calls
 * into C keep them):
 *   rbx = rt_jit_ctx* (store, poll countdown)   r12 = fp
 *   r13 = base of memory 0                       r14 = its size in bytes
 *   r15 = the wasm_func being run (its instance gives globals, memories)
 * rax, rcx, rdx (and the argument registers) are scratch within one
 * instruction; nothing stays in a register across instructions, so every
 * instruction's code is independent and a branch target needs no state.
 *
 * Each instruction becomes a short fixed sequence: constants (slots of the
 * constant pool, known here) become immediates; loads and stores check
 * the bounds explicitly against r14 (guard pages are a later slice).  A
 * call to a compiled function is a native call after the checks the
 * interpreter makes at a call (poll countdown, depth, value stack, plus the
 * native stack floor), done inline.  Everything else that needs the
 * runtime - calls to interpreted or host functions and every call whose
 * checks fail, call_indirect, memory.size/grow, bulk and table ops, traps
 * and interrupt polls - calls the C helpers of jit_run.c, which do exactly
 * what the interpreter does (same checks, messages, frame records,
 * backtraces; the bulk ops are the interpreter's own routine).
 * Float arithmetic and conversions call small C functions sharing the
 * interpreter's numeric helpers (numeric.h), so NaN and rounding rules are
 * the interpreter's by construction.
 *
 * Traps jump to one stub per kind at the end of the function, which calls
 * the trap helper (it sets the store's pending outcome and backtrace) and
 * returns -1; callers return -1 in turn, which is how the interpreter
 * unwinds too.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "jit.h"
#include "jit_internal.h"
#include "numeric.h"
#include "ops.h"
#include "x64_emit.h"

#if WASM_RT_JIT

/* ---- tier selection ----------------------------------------------------- */

static _Atomic int tier_state; /* 0 = not read yet, 1 = interpreter, 2 = compiler */
static _Atomic uint64_t n_compiled, n_refused;

/* WASM_JIT_STATS=1: how many functions were compiled, printed at exit */
static void print_stats(void)
{
    fprintf(stderr, "jit: %" PRIu64 " functions compiled, %" PRIu64 " left to the interpreter\n",
            atomic_load(&n_compiled), atomic_load(&n_refused));
}

bool wasm_rt_jit_enabled(void)
{
    int st = atomic_load_explicit(&tier_state, memory_order_relaxed);
    if (st == 0) {
        const char *v = getenv("WASM_TIER");
        st = v && strcmp(v, "compile") == 0 ? 2 : 1;
        int expected = 0;
        if (atomic_compare_exchange_strong(&tier_state, &expected, st) && st == 2 &&
            getenv("WASM_JIT_STATS"))
            atexit(print_stats);
    }
    return atomic_load_explicit(&tier_state, memory_order_relaxed) == 2;
}

void wasm_rt_jit_set_enabled(bool on)
{
    atomic_store(&tier_state, on ? 2 : 1);
}

void wasm_rt_jit_stats(uint64_t *compiled, uint64_t *refused)
{
    *compiled = atomic_load(&n_compiled);
    *refused = atomic_load(&n_refused);
}

/* ---- from handler offsets back to op numbers ------------------------------ */

typedef struct op_key {
    int32_t off;
    int op; /* -1: two ops share this handler (never compiled) */
} op_key;

static op_key op_keys[OP_COUNT_];
static pthread_once_t op_keys_once = PTHREAD_ONCE_INIT;

static int cmp_key(const void *a, const void *b)
{
    int32_t x = ((const op_key *)a)->off, y = ((const op_key *)b)->off;
    return x < y ? -1 : x > y;
}

static void build_op_keys(void)
{
    const int32_t *h = wasm_rt_interp_handlers();
    for (int i = 0; i < OP_COUNT_; i++)
        op_keys[i] = (op_key){h[i], i};
    qsort(op_keys, OP_COUNT_, sizeof(op_key), cmp_key);
    /* a compiler may merge identical handlers: such ops are ambiguous */
    for (int i = 1; i < OP_COUNT_; i++)
        if (op_keys[i].off == op_keys[i - 1].off)
            op_keys[i].op = op_keys[i - 1].op = -1;
}

static int op_of(uint32_t handler)
{
    op_key k = {(int32_t)handler, 0};
    const op_key *f = bsearch(&k, op_keys, OP_COUNT_, sizeof(op_key), cmp_key);
    return f ? f->op : -1;
}

/* Length in code units of the instruction at ip (op already decoded). */
static size_t op_len(int op, const uint32_t *ip)
{
    if (op == OP_LOAD32_ADD || op == OP_LOAD64_ADD || op == OP_LOAD8_U32_ADD)
        return 5;
    switch (op) {
#define BIN(n) case OP_##n:
    RT_BINOPS(BIN)
#undef BIN
        return 4;
#define UN(n) case OP_##n:
    RT_UNOPS(UN)
#undef UN
        return 3;
#define MEM(n) case OP_##n:
    RT_MEMOPS(MEM)
#undef MEM
        return 4;
    case OP_NOP: case OP_UNREACHABLE: case OP_RETURN: case OP_ENTER: return 1;
    case OP_BR: case OP_BR_BACK: case OP_DATA_DROP: case OP_ELEM_DROP: return 2;
    case OP_COPY: case OP_BR_IF: case OP_BR_IF_BACK: case OP_BR_UNLESS: case OP_CALL:
    case OP_RETURN_CALL: case OP_GLOBAL_GET: case OP_GLOBAL_SET: case OP_MEMORY_SIZE:
    case OP_TABLE_SIZE: case OP_REF_FUNC:
        return 3;
    case OP_BR_IF_I32_EQ: case OP_BR_IF_I32_NE: case OP_BR_IF_I32_LT_S: case OP_BR_IF_I32_LT_U:
    case OP_BR_IF_I32_GT_S: case OP_BR_IF_I32_GT_U: case OP_BR_IF_I32_LE_S:
    case OP_BR_IF_I32_LE_U: case OP_BR_IF_I32_GE_S: case OP_BR_IF_I32_GE_U:
    case OP_MEMORY_GROW: case OP_TABLE_GET: case OP_TABLE_SET:
        return 4;
    case OP_BR_TABLE: return 4 + (size_t)ip[2];
    case OP_CALL_INDIRECT: case OP_RETURN_CALL_INDIRECT: case OP_SELECT: case OP_MEMORY_FILL:
    case OP_TABLE_GROW: case OP_TABLE_FILL:
        return 5;
    default: /* MEMORY_COPY, MEMORY_INIT, TABLE_COPY, TABLE_INIT, LOADM, STOREM */
        return 6;
    }
}

/* ---- the compiler ----------------------------------------------------- */

enum { TRAP_KINDS = JIT_TRAP_COUNT };

typedef struct fixup {
    size_t at;      /* rel32 (or table entry) position in the buffer */
    size_t target;  /* code-unit index of the target instruction */
    size_t table;   /* for jump-table entries: the table's start, else SIZE_MAX */
} fixup;

typedef struct jc {
    const rt_code *code;
    x64_buf b;
    size_t *native;  /* [code_len] buffer offset of each instruction, SIZE_MAX if none */
    fixup *fix;
    size_t nfix, capfix;
    size_t trap_fix[TRAP_KINDS][64]; /* jumps to a trap stub, patched at the end */
    size_t *trap_more[TRAP_KINDS];  /* overflow beyond the inline array */
    size_t ntrap[TRAP_KINDS];
    struct {
        size_t at;
        bool ok;
    } *exit_fix; /* jumps to the exits */
    size_t nexit, capexit;
    bool uses_mem;
    bool helpers_read_fp; /* a helper reads operand slots (maybe constants) */
} jc;

static void add_fix(jc *j, size_t at, size_t target, size_t table)
{
    if (j->nfix == j->capfix) {
        j->capfix = j->capfix ? j->capfix * 2 : 64;
        j->fix = util_xrealloc(j->fix, j->capfix * sizeof(fixup));
    }
    j->fix[j->nfix++] = (fixup){at, target, table};
}

static void jump_to_trap(jc *j, size_t at, int kind)
{
    size_t n = j->ntrap[kind]++;
    if (n < 64) {
        j->trap_fix[kind][n] = at;
        return;
    }
    j->trap_more[kind] = util_xrealloc(j->trap_more[kind], (n - 63) * sizeof(size_t));
    j->trap_more[kind][n - 64] = at;
}

/* a jump to the function's exit: returning 0 (ok) or -1 */
static void jump_to_exit(jc *j, size_t at, bool ok)
{
    if (j->nexit == j->capexit) {
        j->capexit = j->capexit ? j->capexit * 2 : 64;
        j->exit_fix = util_xrealloc(j->exit_fix, j->capexit * sizeof(*j->exit_fix));
    }
    j->exit_fix[j->nexit].at = at;
    j->exit_fix[j->nexit++].ok = ok;
}

static void jump_to_fail(jc *j, size_t at)
{
    jump_to_exit(j, at, false);
}

static bool is_const(const jc *j, uint32_t slot)
{
    return slot >= j->code->nlocals && slot < j->code->nlocals + j->code->nconsts;
}

/* reg = slot (w: all 64 bits, else the low 32 zero-extended) */
static void ld(jc *j, int reg, uint32_t slot, bool w)
{
    if (is_const(j, slot)) {
        uint64_t v = j->code->consts[slot - j->code->nlocals].u64;
        wasm_x64_mov_imm64(&j->b, reg, w ? v : (uint32_t)v);
    } else {
        wasm_x64_load(&j->b, w, reg, X_R12, (int32_t)(slot * 8));
    }
}

static void st(jc *j, uint32_t slot, int reg)
{
    wasm_x64_store(&j->b, true, X_R12, (int32_t)(slot * 8), reg);
}

static void call_abs(jc *j, const void *fn)
{
    wasm_x64_mov_imm64(&j->b, X_RAX, (uint64_t)(uintptr_t)fn);
    wasm_x64_call_reg(&j->b, X_RAX);
}

/* After a helper that returns 0 or -1 in eax: leave on failure. */
static void check_rc(jc *j)
{
    wasm_x64_test_rr(&j->b, false, X_RAX, X_RAX);
    jump_to_fail(j, wasm_x64_jcc(&j->b, CC_NE));
}

/* r13/r14 = base and size of memory 0 of the running instance */
static void reload_mem(jc *j)
{
    if (!j->uses_mem)
        return;
    wasm_x64_load(&j->b, true, X_RAX, X_R15, (int32_t)offsetof(wasm_func, inst));
    wasm_x64_load(&j->b, true, X_RAX, X_RAX, (int32_t)offsetof(wasm_instance, mems));
    wasm_x64_load(&j->b, true, X_RAX, X_RAX, 0);
    wasm_x64_load(&j->b, true, X_R13, X_RAX, (int32_t)offsetof(wasm_memory, base));
    wasm_x64_load(&j->b, true, X_R14, X_RAX, (int32_t)offsetof(wasm_memory, size));
}

/* rax = self->inst->(field)[idx] */
static void inst_item(jc *j, size_t field, uint32_t idx)
{
    wasm_x64_load(&j->b, true, X_RAX, X_R15, (int32_t)offsetof(wasm_func, inst));
    wasm_x64_load(&j->b, true, X_RAX, X_RAX, (int32_t)field);
    wasm_x64_load(&j->b, true, X_RAX, X_RAX, (int32_t)(idx * 8));
}

static void jump_to(jc *j, size_t at, size_t target)
{
    add_fix(j, at, target, SIZE_MAX);
}

/* A taken back-edge: count it, poll when the countdown runs out. */
static void back_edge(jc *j, size_t target)
{
    wasm_x64_alu_mem_imm(&j->b, false, ALU_SUB, X_RBX, (int32_t)offsetof(rt_jit_ctx, budget), 1);
    jump_to(j, wasm_x64_jcc(&j->b, CC_G), target);
    wasm_x64_mov_rr(&j->b, true, X_RDI, X_RBX);
    call_abs(j, wasm_rt_jit_poll);
    check_rc(j);
    jump_to(j, wasm_x64_jmp(&j->b), target);
}

/* Branch to target when cc holds (flags already set); `back`: the target
 * is at or before the branch, so it counts toward the poll. */
static void branch_cc(jc *j, enum x64_cc cc, size_t target, bool back)
{
    if (!back) {
        jump_to(j, wasm_x64_jcc(&j->b, cc), target);
        return;
    }
    size_t skip = wasm_x64_jcc(&j->b, (enum x64_cc)(cc ^ 1));
    back_edge(j, target);
    wasm_x64_patch_rel32(&j->b, skip, j->b.len);
}

static enum x64_cc cmp_cc(int op)
{
    switch (op) {
    case OP_I32_EQ: case OP_I64_EQ: case OP_BR_IF_I32_EQ: return CC_E;
    case OP_I32_NE: case OP_I64_NE: case OP_BR_IF_I32_NE: return CC_NE;
    case OP_I32_LT_S: case OP_I64_LT_S: case OP_BR_IF_I32_LT_S: return CC_L;
    case OP_I32_LT_U: case OP_I64_LT_U: case OP_BR_IF_I32_LT_U: return CC_B;
    case OP_I32_GT_S: case OP_I64_GT_S: case OP_BR_IF_I32_GT_S: return CC_G;
    case OP_I32_GT_U: case OP_I64_GT_U: case OP_BR_IF_I32_GT_U: return CC_A;
    case OP_I32_LE_S: case OP_I64_LE_S: case OP_BR_IF_I32_LE_S: return CC_LE;
    case OP_I32_LE_U: case OP_I64_LE_U: case OP_BR_IF_I32_LE_U: return CC_BE;
    case OP_I32_GE_S: case OP_I64_GE_S: case OP_BR_IF_I32_GE_S: return CC_GE;
    default: return CC_AE;
    }
}

static bool is64_op(int op)
{
    return op >= OP_I64_ADD && op <= OP_I64_GE_U;
}

/* integer binary ops */
static bool emit_int_binop(jc *j, int op, const uint32_t *ip)
{
    bool w = is64_op(op);
    int base = w ? op - OP_I64_ADD + OP_I32_ADD : op; /* the i32 twin */
    ld(j, X_RAX, ip[2], w);
    ld(j, X_RCX, ip[3], w);
    switch (base) {
    case OP_I32_ADD: wasm_x64_alu_rr(&j->b, w, ALU_ADD, X_RAX, X_RCX); break;
    case OP_I32_SUB: wasm_x64_alu_rr(&j->b, w, ALU_SUB, X_RAX, X_RCX); break;
    case OP_I32_AND: wasm_x64_alu_rr(&j->b, w, ALU_AND, X_RAX, X_RCX); break;
    case OP_I32_OR: wasm_x64_alu_rr(&j->b, w, ALU_OR, X_RAX, X_RCX); break;
    case OP_I32_XOR: wasm_x64_alu_rr(&j->b, w, ALU_XOR, X_RAX, X_RCX); break;
    case OP_I32_MUL: wasm_x64_imul_rr(&j->b, w, X_RAX, X_RCX); break;
    /* the hardware masks shift counts to 5 (6) bits, as Wasm does */
    case OP_I32_SHL: wasm_x64_shift_cl(&j->b, w, SH_SHL, X_RAX); break;
    case OP_I32_SHR_S: wasm_x64_shift_cl(&j->b, w, SH_SAR, X_RAX); break;
    case OP_I32_SHR_U: wasm_x64_shift_cl(&j->b, w, SH_SHR, X_RAX); break;
    case OP_I32_ROTL: wasm_x64_shift_cl(&j->b, w, SH_ROL, X_RAX); break;
    case OP_I32_ROTR: wasm_x64_shift_cl(&j->b, w, SH_ROR, X_RAX); break;
    case OP_I32_DIV_S: case OP_I32_DIV_U: case OP_I32_REM_S: case OP_I32_REM_U: {
        bool sgn = base == OP_I32_DIV_S || base == OP_I32_REM_S;
        bool rem = base == OP_I32_REM_S || base == OP_I32_REM_U;
        wasm_x64_test_rr(&j->b, w, X_RCX, X_RCX);
        jump_to_trap(j, wasm_x64_jcc(&j->b, CC_E), JIT_TRAP_DIV0);
        size_t done = SIZE_MAX;
        if (sgn) {
            /* INT_MIN / -1 overflows (a trap); INT_MIN % -1 is 0, and
             * the hardware would fault on both */
            wasm_x64_alu_imm(&j->b, w, ALU_CMP, X_RCX, -1);
            size_t normal = wasm_x64_jcc(&j->b, CC_NE);
            if (rem) {
                wasm_x64_alu_rr(&j->b, false, ALU_XOR, X_RDX, X_RDX);
                done = wasm_x64_jmp(&j->b);
            } else {
                wasm_x64_mov_imm64(&j->b, X_RDX, w ? 0x8000000000000000ull : 0x80000000ull);
                wasm_x64_alu_rr(&j->b, w, ALU_CMP, X_RAX, X_RDX);
                jump_to_trap(j, wasm_x64_jcc(&j->b, CC_E), JIT_TRAP_OVERFLOW);
            }
            wasm_x64_patch_rel32(&j->b, normal, j->b.len);
            wasm_x64_sign_extend_ax(&j->b, w);
        } else {
            wasm_x64_alu_rr(&j->b, false, ALU_XOR, X_RDX, X_RDX);
        }
        wasm_x64_div(&j->b, w, sgn, X_RCX);
        if (done != SIZE_MAX)
            wasm_x64_patch_rel32(&j->b, done, j->b.len);
        if (rem)
            wasm_x64_mov_rr(&j->b, w, X_RAX, X_RDX);
        break;
    }
    default: /* compares */
        wasm_x64_alu_rr(&j->b, w, ALU_CMP, X_RAX, X_RCX);
        wasm_x64_setcc_zx(&j->b, cmp_cc(op), X_RAX);
        break;
    }
    st(j, ip[1], X_RAX);
    return true;
}

typedef struct mem_op {
    int bytes, sext; /* loads: sext 0, 32 or 64 (see x64_load_idx) */
    bool store;
} mem_op;

static mem_op mem_shape(int op)
{
    switch (op) {
    case OP_LOAD32: case OP_LOAD32_ADD: case OP_LOAD32_U64: return (mem_op){4, 0, false};
    case OP_LOAD64: case OP_LOAD64_ADD: return (mem_op){8, 0, false};
    case OP_LOAD8_S32: return (mem_op){1, 32, false};
    case OP_LOAD8_U32: case OP_LOAD8_U32_ADD: case OP_LOAD8_U64: return (mem_op){1, 0, false};
    case OP_LOAD16_S32: return (mem_op){2, 32, false};
    case OP_LOAD16_U32: case OP_LOAD16_U64: return (mem_op){2, 0, false};
    case OP_LOAD8_S64: return (mem_op){1, 64, false};
    case OP_LOAD16_S64: return (mem_op){2, 64, false};
    case OP_LOAD32_S64: return (mem_op){4, 64, false};
    case OP_STORE32: return (mem_op){4, 0, true};
    case OP_STORE64: return (mem_op){8, 0, true};
    case OP_STORE8: return (mem_op){1, 0, true};
    default: return (mem_op){2, 0, true}; /* STORE16 */
    }
}

/* rax = effective address, checked: ea + bytes <= size */
static void effective_address(jc *j, uint32_t addr_slot, int32_t add_slot, uint32_t off,
                              int bytes)
{
    ld(j, X_RAX, addr_slot, false);
    if (add_slot >= 0) { /* the fused (u32)(a + b) */
        ld(j, X_RCX, (uint32_t)add_slot, false);
        wasm_x64_alu_rr(&j->b, false, ALU_ADD, X_RAX, X_RCX);
    }
    if (off) {
        wasm_x64_mov_imm64(&j->b, X_RCX, off);
        wasm_x64_alu_rr(&j->b, true, ALU_ADD, X_RAX, X_RCX);
    }
    wasm_x64_lea(&j->b, X_RDX, X_RAX, bytes);
    wasm_x64_alu_rr(&j->b, true, ALU_CMP, X_RDX, X_R14);
    jump_to_trap(j, wasm_x64_jcc(&j->b, CC_A), JIT_TRAP_OOB);
}

static void emit_mem(jc *j, int op, const uint32_t *ip)
{
    mem_op m = mem_shape(op);
    bool fused = op == OP_LOAD32_ADD || op == OP_LOAD64_ADD || op == OP_LOAD8_U32_ADD;
    if (m.store) {
        effective_address(j, ip[1], -1, ip[3], m.bytes);
        ld(j, X_RCX, ip[2], true);
        wasm_x64_store_idx(&j->b, X_R13, X_RAX, X_RCX, m.bytes);
        return;
    }
    effective_address(j, ip[2], fused ? (int32_t)ip[3] : -1, fused ? ip[4] : ip[3], m.bytes);
    wasm_x64_load_idx(&j->b, X_RCX, X_R13, X_RAX, m.bytes, m.sext);
    st(j, ip[1], X_RCX);
}

/* d = f(a) or d = f(a, b) through a C function of numeric.h's rules */
static void emit_pure_call(jc *j, const void *fn, const uint32_t *ip, int nargs)
{
    ld(j, X_RDI, ip[2], true);
    if (nargs == 2)
        ld(j, X_RSI, ip[3], true);
    call_abs(j, fn);
    st(j, ip[1], X_RAX);
}

static void emit_unop(jc *j, int op, const uint32_t *ip)
{
    switch (op) {
    case OP_I32_EQZ: case OP_I64_EQZ: case OP_REF_IS_NULL: {
        bool w = op != OP_I32_EQZ;
        ld(j, X_RAX, ip[2], w);
        wasm_x64_test_rr(&j->b, w, X_RAX, X_RAX);
        wasm_x64_setcc_zx(&j->b, CC_E, X_RAX);
        break;
    }
    case OP_I64_EXTEND_I32_S:
        ld(j, X_RAX, ip[2], false);
        wasm_x64_movsx(&j->b, true, X_RAX, X_RAX, 32);
        break;
    case OP_I64_EXTEND_I32_U:
        ld(j, X_RAX, ip[2], false);
        break;
    case OP_I32_EXTEND8_S: case OP_I32_EXTEND16_S:
        ld(j, X_RAX, ip[2], false);
        wasm_x64_movsx(&j->b, false, X_RAX, X_RAX, op == OP_I32_EXTEND8_S ? 8 : 16);
        break;
    case OP_I64_EXTEND8_S: case OP_I64_EXTEND16_S: case OP_I64_EXTEND32_S:
        ld(j, X_RAX, ip[2], true);
        wasm_x64_movsx(&j->b, true, X_RAX, X_RAX,
                  op == OP_I64_EXTEND8_S ? 8 : op == OP_I64_EXTEND16_S ? 16 : 32);
        break;
    default:
        emit_pure_call(j, wasm_rt_jit_pure_fn(op), ip, 1);
        return;
    }
    st(j, ip[1], X_RAX);
}

/* the float -> int conversions that trap */
static bool is_trapping_trunc(int op)
{
    return (op >= OP_I32_TRUNC_F32_S && op <= OP_I32_TRUNC_F64_U) ||
           (op >= OP_I64_TRUNC_F32_S && op <= OP_I64_TRUNC_F64_U);
}

static void emit_trunc(jc *j, int op, const uint32_t *ip)
{
    ld(j, X_RDI, ip[2], true);
    wasm_x64_lea(&j->b, X_RSI, X_R12, (int32_t)(ip[1] * 8));
    wasm_x64_mov_imm64(&j->b, X_RDX, (uint64_t)op);
    call_abs(j, wasm_rt_jit_trunc);
    /* 0 ok, 1 NaN, 2 out of range */
    wasm_x64_alu_imm(&j->b, false, ALU_CMP, X_RAX, 1);
    jump_to_trap(j, wasm_x64_jcc(&j->b, CC_E), JIT_TRAP_INVALID_CONV);
    jump_to_trap(j, wasm_x64_jcc(&j->b, CC_A), JIT_TRAP_OVERFLOW);
}

/* helper(ctx, self, fp, ip[, op]) returning 0 / -1 */
static void emit_runtime_call(jc *j, const void *fn, const uint32_t *ip, int op)
{
    wasm_x64_mov_rr(&j->b, true, X_RDI, X_RBX);
    wasm_x64_mov_rr(&j->b, true, X_RSI, X_R15);
    wasm_x64_mov_rr(&j->b, true, X_RDX, X_R12);
    wasm_x64_mov_imm64(&j->b, X_RCX, (uint64_t)(uintptr_t)ip);
    wasm_x64_mov_imm64(&j->b, X_R8, (uint64_t)op);
    call_abs(j, fn);
    check_rc(j);
    reload_mem(j);
}

/* CALL: a compiled callee is called directly when the checks the
 * interpreter makes at a call all pass (countdown not due, depth and value
 * stack within limits, native stack above the floor); anything else - host
 * or interpreted callee, a poll due, a limit reached - takes the helper,
 * which does the same checks in C and raises the trap. */
static void emit_call(jc *j, const uint32_t *ip, int op)
{
    x64_buf *b = &j->b;
    size_t slow[8];
    size_t ns = 0;
    inst_item(j, offsetof(wasm_instance, funcs), ip[1]);
    wasm_x64_mov_rr(b, true, X_RSI, X_RAX);                                   /* callee */
    wasm_x64_load(b, true, X_RAX, X_RSI, (int32_t)offsetof(wasm_func, code)); /* rt_code */
    wasm_x64_test_rr(b, true, X_RAX, X_RAX);
    slow[ns++] = wasm_x64_jcc(b, CC_E);
    wasm_x64_load(b, true, X_RCX, X_RAX, (int32_t)offsetof(rt_code, jit));
    wasm_x64_test_rr(b, true, X_RCX, X_RCX);
    slow[ns++] = wasm_x64_jcc(b, CC_E);
    wasm_x64_alu_mem_imm(b, false, ALU_CMP, X_RBX, (int32_t)offsetof(rt_jit_ctx, budget), 1);
    slow[ns++] = wasm_x64_jcc(b, CC_LE);
    wasm_x64_load(b, true, X_RDX, X_RBX, (int32_t)offsetof(rt_jit_ctx, stack_limit));
    wasm_x64_alu_rr(b, true, ALU_CMP, X_RSP, X_RDX);
    slow[ns++] = wasm_x64_jcc(b, CC_B);
    wasm_x64_load(b, true, X_R8, X_RBX, (int32_t)offsetof(rt_jit_ctx, store));
    wasm_x64_load(b, false, X_RDX, X_R8, (int32_t)offsetof(wasm_store, depth));
    wasm_x64_load(b, false, X_R9, X_R8, (int32_t)offsetof(wasm_store, max_depth));
    wasm_x64_alu_rr(b, false, ALU_CMP, X_RDX, X_R9);
    slow[ns++] = wasm_x64_jcc(b, CC_AE);
    wasm_x64_lea(b, X_RDI, X_R12, (int32_t)(ip[2] * 8)); /* nfp */
    wasm_x64_load(b, false, X_R9, X_RAX, (int32_t)offsetof(rt_code, frame_slots));
    wasm_x64_shift_imm(b, true, SH_SHL, X_R9, 3);
    wasm_x64_alu_rr(b, true, ALU_ADD, X_R9, X_RDI);
    wasm_x64_load(b, true, X_R10, X_R8, (int32_t)offsetof(wasm_store, stack_end));
    wasm_x64_alu_rr(b, true, ALU_CMP, X_R9, X_R10);
    slow[ns++] = wasm_x64_jcc(b, CC_A);
    /* frames[depth] = {self, NULL, nfp}; depth++; the countdown */
    wasm_x64_load(b, true, X_R10, X_R8, (int32_t)offsetof(wasm_store, frames));
    wasm_x64_imul_imm(b, true, X_R11, X_RDX, (int32_t)sizeof(rt_frame));
    wasm_x64_alu_rr(b, true, ALU_ADD, X_R10, X_R11);
    wasm_x64_store(b, true, X_R10, (int32_t)offsetof(rt_frame, func), X_R15);
    wasm_x64_alu_rr(b, false, ALU_XOR, X_R11, X_R11);
    wasm_x64_store(b, true, X_R10, (int32_t)offsetof(rt_frame, ret_ip), X_R11);
    wasm_x64_store(b, true, X_R10, (int32_t)offsetof(rt_frame, fp), X_RDI);
    wasm_x64_alu_mem_imm(b, false, ALU_ADD, X_R8, (int32_t)offsetof(wasm_store, depth), 1);
    wasm_x64_alu_mem_imm(b, false, ALU_SUB, X_RBX, (int32_t)offsetof(rt_jit_ctx, budget), 1);
    wasm_x64_mov_rr(b, true, X_RDX, X_RDI);
    wasm_x64_mov_rr(b, true, X_RDI, X_RBX);
    wasm_x64_load(b, true, X_RAX, X_RCX, (int32_t)offsetof(rt_jit_fn, entry));
    wasm_x64_call_reg(b, X_RAX);
    wasm_x64_load(b, true, X_R8, X_RBX, (int32_t)offsetof(rt_jit_ctx, store));
    wasm_x64_alu_mem_imm(b, false, ALU_SUB, X_R8, (int32_t)offsetof(wasm_store, depth), 1);
    size_t done = wasm_x64_jmp(b);
    for (size_t i = 0; i < ns; i++)
        wasm_x64_patch_rel32(b, slow[i], b->len);
    wasm_x64_mov_rr(b, true, X_RDI, X_RBX);
    wasm_x64_mov_rr(b, true, X_RSI, X_R15);
    wasm_x64_mov_rr(b, true, X_RDX, X_R12);
    wasm_x64_mov_imm64(b, X_RCX, (uint64_t)(uintptr_t)ip);
    wasm_x64_mov_imm64(b, X_R8, (uint64_t)op);
    call_abs(j, wasm_rt_jit_call);
    wasm_x64_patch_rel32(b, done, b->len);
    check_rc(j);
    reload_mem(j);
}

static void emit_br_table(jc *j, const uint32_t *ip, size_t pc)
{
    uint32_t n = ip[2];
    ld(j, X_RAX, ip[1], false);
    wasm_x64_mov_imm64(&j->b, X_RCX, n);
    wasm_x64_alu_rr(&j->b, false, ALU_CMP, X_RAX, X_RCX);
    wasm_x64_cmov(&j->b, false, CC_A, X_RAX, X_RCX); /* i = min(i, n) */
    size_t lea = wasm_x64_lea_rip(&j->b, X_RCX);
    wasm_x64_movsxd_idx4(&j->b, X_RDX, X_RCX, X_RAX);
    wasm_x64_alu_rr(&j->b, true, ALU_ADD, X_RDX, X_RCX);
    wasm_x64_jmp_reg(&j->b, X_RDX);
    size_t table = j->b.len;
    wasm_x64_patch_rel32(&j->b, lea, table);
    for (uint32_t i = 0; i <= n; i++) {
        size_t at = j->b.len;
        wasm_x64_u32(&j->b, 0);
        add_fix(j, at, pc + (size_t)(int32_t)ip[3 + i], table);
    }
}

/* Can this slice compile the instruction?  (Also notes memory use.) */
static bool supported(jc *j, int op, const uint32_t *ip)
{
    switch (op) {
    case OP_LOADM: case OP_STOREM: case OP_RETURN_CALL: case OP_RETURN_CALL_INDIRECT:
    case OP_ENTER:
        return false;
    case OP_BR_TABLE:
        /* the translator points every entry at a forward stub */
        for (uint32_t i = 0; i <= ip[2]; i++)
            if ((int32_t)ip[3 + i] <= 0)
                return false;
        return true;
    case OP_MEMORY_SIZE: case OP_MEMORY_GROW: case OP_MEMORY_COPY: case OP_MEMORY_FILL:
    case OP_MEMORY_INIT:
        j->uses_mem = true;
        j->helpers_read_fp = true;
        return true;
    case OP_CALL_INDIRECT: case OP_TABLE_GET: case OP_TABLE_SET: case OP_TABLE_GROW:
    case OP_TABLE_FILL: case OP_TABLE_COPY: case OP_TABLE_INIT:
        j->helpers_read_fp = true;
        return true;
    default:
        if ((op >= OP_LOAD32 && op <= OP_LOAD8_U32_ADD))
            j->uses_mem = true;
        return op >= 0 && op < OP_COUNT_;
    }
}

static void prologue(jc *j)
{
    static const int saved[] = {X_RBP, X_RBX, X_R12, X_R13, X_R14, X_R15};
    for (size_t i = 0; i < 6; i++)
        wasm_x64_push(&j->b, saved[i]);
    wasm_x64_alu_imm(&j->b, true, ALU_SUB, X_RSP, 8); /* 16-byte alignment for calls */
    wasm_x64_mov_rr(&j->b, true, X_RBX, X_RDI);
    wasm_x64_mov_rr(&j->b, true, X_R15, X_RSI);
    wasm_x64_mov_rr(&j->b, true, X_R12, X_RDX);
    const rt_code *c = j->code;
    uint32_t nzero = c->ndeclared - c->nparams;
    if (nzero > 0 && nzero <= 16) { /* declared locals start at zero */
        wasm_x64_alu_rr(&j->b, false, ALU_XOR, X_RAX, X_RAX);
        for (uint32_t i = c->nparams; i < c->ndeclared; i++)
            st(j, i, X_RAX);
    } else if (nzero > 16) {
        wasm_x64_lea(&j->b, X_RDI, X_R12, (int32_t)(c->nparams * 8));
        wasm_x64_alu_rr(&j->b, false, ALU_XOR, X_RAX, X_RAX);
        wasm_x64_mov_imm64(&j->b, X_RCX, nzero);
        wasm_x64_rep_stosq(&j->b);
    }
    /* compiled code reads constants as immediates; only helpers that read
     * their operands from fp need the pool in the frame */
    if (j->helpers_read_fp && c->nconsts <= 16) {
        for (uint32_t i = 0; i < c->nconsts; i++) {
            wasm_x64_mov_imm64(&j->b, X_RAX, c->consts[i].u64);
            st(j, c->nlocals + i, X_RAX);
        }
    } else if (j->helpers_read_fp) {
        wasm_x64_lea(&j->b, X_RDI, X_R12, (int32_t)(c->nlocals * 8));
        wasm_x64_mov_imm64(&j->b, X_RSI, (uint64_t)(uintptr_t)c->consts);
        wasm_x64_mov_imm64(&j->b, X_RCX, c->nconsts);
        wasm_x64_rep_movsq(&j->b);
    }
    reload_mem(j);
}

/* ok: eax = 0; fail: eax = -1; both restore and return */
static void epilogue(jc *j, size_t *ok_label, size_t *fail_label)
{
    *ok_label = j->b.len;
    wasm_x64_alu_rr(&j->b, false, ALU_XOR, X_RAX, X_RAX);
    size_t out_jump = wasm_x64_jmp(&j->b);
    *fail_label = j->b.len;
    wasm_x64_mov_imm64(&j->b, X_RAX, 0xFFFFFFFFu);
    wasm_x64_patch_rel32(&j->b, out_jump, j->b.len);
    wasm_x64_alu_imm(&j->b, true, ALU_ADD, X_RSP, 8);
    static const int saved[] = {X_R15, X_R14, X_R13, X_R12, X_RBX, X_RBP};
    for (size_t i = 0; i < 6; i++)
        wasm_x64_pop(&j->b, saved[i]);
    wasm_x64_ret(&j->b);
}

static void trap_stubs(jc *j, size_t fail_label)
{
    size_t common = SIZE_MAX;
    size_t to_common[TRAP_KINDS];
    size_t nto = 0;
    for (int k = 0; k < TRAP_KINDS; k++) {
        if (!j->ntrap[k])
            continue;
        size_t stub = j->b.len;
        for (size_t i = 0; i < j->ntrap[k]; i++)
            wasm_x64_patch_rel32(&j->b, i < 64 ? j->trap_fix[k][i] : j->trap_more[k][i - 64], stub);
        wasm_x64_mov_imm64(&j->b, X_RDX, (uint64_t)k);
        to_common[nto++] = wasm_x64_jmp(&j->b);
    }
    if (!nto)
        return;
    common = j->b.len;
    for (size_t i = 0; i < nto; i++)
        wasm_x64_patch_rel32(&j->b, to_common[i], common);
    wasm_x64_mov_rr(&j->b, true, X_RDI, X_RBX);
    wasm_x64_mov_rr(&j->b, true, X_RSI, X_R15);
    call_abs(j, wasm_rt_jit_trap);
    wasm_x64_patch_rel32(&j->b, wasm_x64_jmp(&j->b), fail_label);
}

/* Emits one instruction at pc; false if unsupported. */
static bool emit_instr(jc *j, int op, const uint32_t *ip, size_t pc)
{
    switch (op) {
    case OP_NOP:
        return true;
    case OP_UNREACHABLE:
        jump_to_trap(j, wasm_x64_jmp(&j->b), JIT_TRAP_UNREACHABLE);
        return true;
    case OP_COPY:
        ld(j, X_RAX, ip[2], true);
        st(j, ip[1], X_RAX);
        return true;
    case OP_SELECT:
        ld(j, X_RDX, ip[2], false);
        ld(j, X_RAX, ip[3], true);
        ld(j, X_RCX, ip[4], true);
        wasm_x64_test_rr(&j->b, false, X_RDX, X_RDX);
        wasm_x64_cmov(&j->b, true, CC_E, X_RAX, X_RCX);
        st(j, ip[1], X_RAX);
        return true;
    case OP_BR:
        jump_to(j, wasm_x64_jmp(&j->b), pc + (size_t)(int32_t)ip[1]);
        return true;
    case OP_BR_BACK:
        back_edge(j, pc + (size_t)(int32_t)ip[1]);
        return true;
    case OP_BR_IF: case OP_BR_IF_BACK: case OP_BR_UNLESS: {
        int32_t rel = (int32_t)ip[2];
        ld(j, X_RAX, ip[1], false);
        wasm_x64_test_rr(&j->b, false, X_RAX, X_RAX);
        branch_cc(j, op == OP_BR_UNLESS ? CC_E : CC_NE, pc + (size_t)rel,
                  op == OP_BR_IF_BACK || rel <= 0);
        return true;
    }
    case OP_BR_IF_I32_EQ: case OP_BR_IF_I32_NE: case OP_BR_IF_I32_LT_S:
    case OP_BR_IF_I32_LT_U: case OP_BR_IF_I32_GT_S: case OP_BR_IF_I32_GT_U:
    case OP_BR_IF_I32_LE_S: case OP_BR_IF_I32_LE_U: case OP_BR_IF_I32_GE_S:
    case OP_BR_IF_I32_GE_U: {
        int32_t rel = (int32_t)ip[3];
        ld(j, X_RAX, ip[1], false);
        ld(j, X_RCX, ip[2], false);
        wasm_x64_alu_rr(&j->b, false, ALU_CMP, X_RAX, X_RCX);
        branch_cc(j, cmp_cc(op), pc + (size_t)rel, rel <= 0);
        return true;
    }
    case OP_BR_TABLE:
        emit_br_table(j, ip, pc);
        return true;
    case OP_RETURN:
        /* the results are in fp[0..nresults) already */
        jump_to_exit(j, wasm_x64_jmp(&j->b), true);
        return true;
    case OP_CALL:
        emit_call(j, ip, op);
        return true;
    case OP_CALL_INDIRECT:
        emit_runtime_call(j, wasm_rt_jit_call_indirect, ip, op);
        return true;
    case OP_GLOBAL_GET:
        inst_item(j, offsetof(wasm_instance, globals), ip[2]);
        wasm_x64_load(&j->b, true, X_RAX, X_RAX, (int32_t)offsetof(wasm_global, val));
        st(j, ip[1], X_RAX);
        return true;
    case OP_GLOBAL_SET:
        inst_item(j, offsetof(wasm_instance, globals), ip[1]);
        ld(j, X_RCX, ip[2], true);
        wasm_x64_store(&j->b, true, X_RAX, (int32_t)offsetof(wasm_global, val), X_RCX);
        return true;
    case OP_REF_FUNC:
        inst_item(j, offsetof(wasm_instance, funcs), ip[2]);
        st(j, ip[1], X_RAX);
        return true;
    case OP_MEMORY_COPY: case OP_MEMORY_FILL: case OP_MEMORY_INIT: case OP_DATA_DROP:
    case OP_TABLE_GET: case OP_TABLE_SET: case OP_TABLE_SIZE: case OP_TABLE_GROW:
    case OP_TABLE_FILL: case OP_TABLE_COPY: case OP_TABLE_INIT: case OP_ELEM_DROP:
        emit_runtime_call(j, wasm_rt_jit_slow_op, ip, op);
        return true;
    case OP_MEMORY_SIZE: case OP_MEMORY_GROW:
        wasm_x64_mov_rr(&j->b, true, X_RDI, X_R15);
        wasm_x64_mov_rr(&j->b, true, X_RSI, X_R12);
        wasm_x64_mov_imm64(&j->b, X_RDX, (uint64_t)(uintptr_t)ip);
        call_abs(j, op == OP_MEMORY_SIZE ? (const void *)wasm_rt_jit_memory_size
                                         : (const void *)wasm_rt_jit_memory_grow);
        reload_mem(j);
        return true;
    default:
        break;
    }
    if (op <= OP_F64_GE) {
        if (op >= OP_F32_ADD) {
            emit_pure_call(j, wasm_rt_jit_pure_fn(op), ip, 2);
            return true;
        }
        return emit_int_binop(j, op, ip);
    }
    if (op <= OP_REF_IS_NULL) {
        if (is_trapping_trunc(op))
            emit_trunc(j, op, ip);
        else
            emit_unop(j, op, ip);
        return true;
    }
    if (op <= OP_LOAD8_U32_ADD) {
        emit_mem(j, op, ip);
        return true;
    }
    return false;
}

static void jc_free(jc *j)
{
    free(j->b.p);
    free(j->native);
    free(j->fix);
    free(j->exit_fix);
    for (int k = 0; k < TRAP_KINDS; k++)
        free(j->trap_more[k]);
}

/* First pass: is everything supported?  Fills the op of each instruction. */
static bool scan(jc *j, int *ops)
{
    const rt_code *c = j->code;
    if (c->frame_slots >= (1u << 27))
        return false;
    for (size_t pc = 0; pc < c->code_len;) {
        int op = op_of(c->code[pc]);
        if (op < 0 || !supported(j, op, c->code + pc))
            return false;
        ops[pc] = op;
        size_t len = op_len(op, c->code + pc);
        if (pc + len > c->code_len)
            return false;
        pc += len;
    }
    return true;
}

rt_jit_fn *wasm_rt_jit_compile(const rt_code *c)
{
    pthread_once(&op_keys_once, build_op_keys);
    jc j;
    memset(&j, 0, sizeof j);
    j.code = c;
    int *ops = util_xmalloc((c->code_len + 1) * sizeof(int));
    rt_jit_fn *fn = NULL;
    if (!scan(&j, ops))
        goto out;
    j.native = util_xmalloc((c->code_len + 1) * sizeof(size_t));
    for (size_t i = 0; i <= c->code_len; i++)
        j.native[i] = SIZE_MAX;
    prologue(&j);
    for (size_t pc = 0; pc < c->code_len;) {
        j.native[pc] = j.b.len;
        int op = ops[pc];
        if (!emit_instr(&j, op, c->code + pc, pc))
            goto out;
        pc += op_len(op, c->code + pc);
    }
    /* falling off the end cannot happen (the translator ends with RETURN),
     * but if it did, leave as an unreachable would */
    jump_to_trap(&j, wasm_x64_jmp(&j.b), JIT_TRAP_UNREACHABLE);
    size_t ok_label, fail_label;
    epilogue(&j, &ok_label, &fail_label);
    trap_stubs(&j, fail_label);
    for (size_t i = 0; i < j.nexit; i++)
        wasm_x64_patch_rel32(&j.b, j.exit_fix[i].at, j.exit_fix[i].ok ? ok_label : fail_label);
    for (size_t i = 0; i < j.nfix; i++) {
        fixup *f = &j.fix[i];
        if (f->target >= c->code_len || j.native[f->target] == SIZE_MAX)
            goto out; /* not an instruction start: refuse rather than guess */
        if (f->table == SIZE_MAX) {
            wasm_x64_patch_rel32(&j.b, f->at, j.native[f->target]);
        } else {
            int32_t rel = (int32_t)((int64_t)j.native[f->target] - (int64_t)f->table);
            memcpy(j.b.p + f->at, &rel, 4);
        }
    }
    size_t map_len;
    void *map = wasm_rt_jit_code_map(j.b.p, j.b.len, &map_len);
    if (!map)
        goto out;
    fn = util_xcalloc(1, sizeof *fn);
    fn->map = map;
    fn->map_len = map_len;
    fn->entry = (rt_jit_entry)map;
out:
    atomic_fetch_add(fn ? &n_compiled : &n_refused, 1);
    free(ops);
    jc_free(&j);
    return fn;
}

void wasm_rt_jit_free(rt_jit_fn *fn)
{
    if (!fn)
        return;
    wasm_rt_jit_code_unmap(fn->map, fn->map_len);
    free(fn);
}

#endif
