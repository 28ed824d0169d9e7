/*
 * translate.c - turns a validated function body into the interpreter's
 * register-style internal code (see ops.h and runtime.h for the frame).
 *
 * One forward pass.  The Wasm operand stack is simulated at translation
 * time: each entry is either a temporary (its value lives in the slot
 * reserved for that stack depth), a reference to a local, or a constant
 * from the function's constant pool.  So local.get and *.const emit
 * nothing, and an arithmetic op names its operands' slots directly
 * (3-address code).  When an op's result is immediately stored with
 * local.set/tee, the op's destination is patched to the local instead
 * (no copy).  Writing a local that is still referenced by a stack entry
 * first copies ("materializes") that entry into its temporary.
 *
 * Control flow: on entry to a block, loop or if, every local reference on
 * the simulated stack is materialized, so code inside a block never has to
 * preserve anything below it (that would be wrong on other paths through
 * the block); block parameters and results always live in the temporaries
 * of their stack positions, and branches copy values there explicitly.
 * Forward branches are patched when their block ends; backward branches
 * (to loops) use the *_BACK variants, which poll for interrupts.
 *
 * Slot operands are emitted in a provisional encoding (temporaries and
 * constants are flagged) because the size of the constant pool is only
 * known at the end; a fix-up list rewrites them to frame offsets.  Code
 * that is unreachable after br/return/unreachable is skipped, only its
 * block structure is followed.
 *
 * Translation happens at a function's first call; the module is shared
 * between threads, so the result is published with a compare-and-swap on
 * the module's per-function pointer (a racing loser frees its copy).
 */
#include <math.h>
#include <string.h>

#include "jit.h"
#include "leb128.h"
#include "ops.h"
#include "runtime.h"

#define TEMPF 0x80000000u
#define CONSTF 0x40000000u
#define IDXMASK 0x3fffffffu

enum { K_TEMP, K_LOCAL, K_CONST };
typedef struct ent {
    uint8_t kind;
    uint32_t idx; /* local index or const index */
} ent;

enum { C_FUNC, C_BLOCK, C_LOOP, C_IF, C_ELSE };
typedef struct ctl {
    uint8_t kind;
    bool unreachable; /* rest of the block is dead */
    bool dead_entry;  /* the block itself is in dead code */
    uint32_t height;  /* stack height below the block's params */
    uint32_t nparams, nresults;
    uint32_t loop_pc;
    uint32_t else_fix; /* operand position of the if's BR_UNLESS, or UINT32_MAX */
    uint32_t *fix;     /* positions of forward-branch displacement operands */
    uint32_t nfix, capfix;
} ctl;

typedef struct tr {
    const wasm_module *m;
    const int32_t *handlers;
    const uint8_t *p, *end;
    uint32_t nlocals; /* locals area size */
    uint32_t nreal;   /* params + declared locals */

    uint32_t *code;
    size_t len, cap;
    uint32_t *fix; /* slot operand positions to rewrite */
    size_t nfix, capfix;

    ent *stack;
    uint32_t sp, stack_cap, max_sp;
    ctl *ctls;
    uint32_t nctl, ctl_cap;

    rt_slot *consts;
    uint32_t nconsts, consts_cap;
    uint32_t *chash; /* open addressing: const index + 1, 0 = empty */
    uint32_t chash_cap;

    /* peephole: the last op wrote a fresh temporary at the stack top */
    bool last_valid;
    size_t last_dst_pos;
    size_t last_end;
    uint32_t last_sp;
    int last_op;          /* op of the instruction that wrote it */
    uint32_t last_start;  /* where that instruction starts */
    size_t last_nfix;     /* fix-up count before its operands */
    int cur_op;
    size_t cur_nfix;
    uint32_t cur_instr;
} tr;

/* ---- decoding (input is validated) ------------------------------------ */

static uint64_t rd_u(tr *t)
{
    return util_leb128_fast_u64(&t->p);
}

static int64_t rd_s(tr *t, unsigned bits)
{
    return bits == 32 ? util_leb128_fast_s32(&t->p) : util_leb128_fast_s64(&t->p);
}

/* ---- emission --------------------------------------------------------- */

static void put(tr *t, uint32_t v)
{
    if (t->len == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->code = util_xrealloc(t->code, t->cap * sizeof(uint32_t));
    }
    t->code[t->len++] = v;
}

static void emit_op(tr *t, int op)
{
    t->last_valid = false;
    t->cur_instr = (uint32_t)t->len;
    t->cur_op = op;
    t->cur_nfix = t->nfix;
    put(t, (uint32_t)t->handlers[op]);
}

static void emit_slot(tr *t, uint32_t s)
{
    if (s & (TEMPF | CONSTF)) {
        if (t->nfix == t->capfix) {
            t->capfix = t->capfix ? t->capfix * 2 : 256;
            t->fix = util_xrealloc(t->fix, t->capfix * sizeof(uint32_t));
        }
        t->fix[t->nfix++] = (uint32_t)t->len;
    }
    put(t, s);
}

static uint32_t const_index(tr *t, uint64_t v)
{
    if ((t->nconsts + 1) * 2 > t->chash_cap) {
        uint32_t ncap = t->chash_cap ? t->chash_cap * 2 : 64;
        uint32_t *nh = util_xcalloc(ncap, sizeof(uint32_t));
        for (uint32_t i = 0; i < t->nconsts; i++) {
            uint64_t h = (t->consts[i].u64 * 0x9E3779B97F4A7C15ull) >> 32;
            uint32_t j = (uint32_t)h & (ncap - 1);
            while (nh[j])
                j = (j + 1) & (ncap - 1);
            nh[j] = i + 1;
        }
        free(t->chash);
        t->chash = nh;
        t->chash_cap = ncap;
    }
    uint64_t h = (v * 0x9E3779B97F4A7C15ull) >> 32;
    uint32_t j = (uint32_t)h & (t->chash_cap - 1);
    while (t->chash[j]) {
        if (t->consts[t->chash[j] - 1].u64 == v)
            return t->chash[j] - 1;
        j = (j + 1) & (t->chash_cap - 1);
    }
    if (t->nconsts == t->consts_cap) {
        t->consts_cap = t->consts_cap ? t->consts_cap * 2 : 16;
        t->consts = util_xrealloc(t->consts, t->consts_cap * sizeof(rt_slot));
    }
    t->consts[t->nconsts].u64 = v;
    t->chash[j] = t->nconsts + 1;
    return t->nconsts++;
}

/* ---- simulated operand stack ------------------------------------------ */

static void push(tr *t, uint8_t kind, uint32_t idx)
{
    if (t->sp == t->stack_cap) {
        t->stack_cap = t->stack_cap ? t->stack_cap * 2 : 64;
        t->stack = util_xrealloc(t->stack, t->stack_cap * sizeof(ent));
    }
    t->stack[t->sp].kind = kind;
    t->stack[t->sp].idx = idx;
    t->sp++;
    if (t->sp > t->max_sp)
        t->max_sp = t->sp;
}

static uint32_t slot_at(tr *t, uint32_t pos)
{
    ent *e = &t->stack[pos];
    switch (e->kind) {
    case K_LOCAL: return e->idx;
    case K_CONST: return CONSTF | e->idx;
    default: return TEMPF | pos;
    }
}

/* Pops the top entry and returns its slot. */
static uint32_t pop(tr *t)
{
    t->sp--;
    return slot_at(t, t->sp);
}

/* Pushes a fresh temporary and emits it as the destination operand. */
static void push_dst(tr *t)
{
    uint32_t pos = t->sp;
    push(t, K_TEMP, 0);
    t->last_dst_pos = t->len;
    emit_slot(t, TEMPF | pos);
}

/* Call after the instruction writing a fresh top temporary is complete. */
static void result_done(tr *t)
{
    t->last_valid = true;
    t->last_end = t->len;
    t->last_sp = t->sp - 1;
    t->last_op = t->cur_op;
    t->last_start = t->cur_instr;
    t->last_nfix = t->cur_nfix;
}

static void materialize(tr *t, uint32_t pos)
{
    ent *e = &t->stack[pos];
    if (e->kind == K_TEMP)
        return;
    uint32_t src = slot_at(t, pos);
    emit_op(t, OP_COPY);
    emit_slot(t, TEMPF | pos);
    emit_slot(t, src);
    e->kind = K_TEMP;
}

static void materialize_locals(tr *t)
{
    for (uint32_t i = 0; i < t->sp; i++)
        if (t->stack[i].kind == K_LOCAL)
            materialize(t, i);
}

static void preserve_local(tr *t, uint32_t local, uint32_t below)
{
    for (uint32_t i = 0; i < below; i++)
        if (t->stack[i].kind == K_LOCAL && t->stack[i].idx == local)
            materialize(t, i);
}

/* Copies the top n entries into the temporaries of positions base.. */
static void copy_top_to(tr *t, uint32_t n, uint32_t base)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t pos = t->sp - n + i;
        uint32_t src = slot_at(t, pos);
        uint32_t dst = TEMPF | (base + i);
        if (src == dst)
            continue;
        emit_op(t, OP_COPY);
        emit_slot(t, dst);
        emit_slot(t, src);
    }
}

static bool copies_needed(tr *t, uint32_t n, uint32_t base)
{
    for (uint32_t i = 0; i < n; i++)
        if (slot_at(t, t->sp - n + i) != (TEMPF | (base + i)))
            return true;
    return false;
}

/* ---- control ----------------------------------------------------------- */

static ctl *push_ctl(tr *t, uint8_t kind, uint32_t np, uint32_t nr)
{
    if (t->nctl == t->ctl_cap) {
        t->ctl_cap = t->ctl_cap ? t->ctl_cap * 2 : 16;
        t->ctls = util_xrealloc(t->ctls, t->ctl_cap * sizeof(ctl));
    }
    ctl *c = &t->ctls[t->nctl++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->nparams = np;
    c->nresults = nr;
    c->height = t->sp >= np ? t->sp - np : 0;
    c->else_fix = UINT32_MAX;
    return c;
}

static void add_fix(ctl *c, uint32_t pos)
{
    if (c->nfix == c->capfix) {
        c->capfix = c->capfix ? c->capfix * 2 : 4;
        c->fix = util_xrealloc(c->fix, c->capfix * sizeof(uint32_t));
    }
    c->fix[c->nfix++] = pos;
}

/* Displacements are relative to the start of the branch instruction; the
 * operand position and instruction start are stored together: the
 * instruction start is found by storing it in the operand until patched. */
static void emit_rel_fwd(tr *t, ctl *c)
{
    uint32_t pos = (uint32_t)t->len;
    put(t, t->cur_instr); /* patched to target - instr later */
    add_fix(c, pos);
}

static void patch_to_here(tr *t, uint32_t pos)
{
    uint32_t instr = t->code[pos];
    t->code[pos] = (uint32_t)((int32_t)t->len - (int32_t)instr);
}

static void emit_rel_back(tr *t, uint32_t target)
{
    put(t, (uint32_t)((int32_t)target - (int32_t)t->cur_instr));
}

static void blocktype(tr *t, uint32_t *np, uint32_t *nr)
{
    uint8_t b = *t->p;
    if (b == 0x40) {
        t->p++;
        *np = *nr = 0;
        return;
    }
    if (b >= 0x6f && b <= 0x7f) { /* a value type */
        t->p++;
        *np = 0;
        *nr = 1;
        return;
    }
    uint32_t ti = (uint32_t)rd_s(t, 64);
    wasm_mv_type_arity(t->m, ti, np, nr);
}


static void emit_return(tr *t, uint32_t nr)
{
    /* a single result computed by the instruction just emitted: let it
     * write the result slot directly (nothing reads its temporary later) */
    if (nr == 1 && t->last_valid && t->last_end == t->len && t->last_sp == t->sp - 1 &&
        t->stack[t->sp - 1].kind == K_TEMP) {
        t->code[t->last_dst_pos] = 0;
        emit_op(t, OP_RETURN);
        return;
    }
    if (nr > 1)
        for (uint32_t i = t->sp - nr; i < t->sp; i++)
            if (t->stack[i].kind == K_LOCAL)
                materialize(t, i);
    for (uint32_t i = 0; i < nr; i++) {
        uint32_t src = slot_at(t, t->sp - nr + i);
        if (src == i)
            continue;
        emit_op(t, OP_COPY);
        emit_slot(t, i);
        emit_slot(t, src);
    }
    emit_op(t, OP_RETURN);
}

/* Unconditional branch to label depth `depth` with values on the stack. */
static void emit_br(tr *t, uint32_t depth)
{
    ctl *c = &t->ctls[t->nctl - 1 - depth];
    if (c->kind == C_FUNC) {
        emit_return(t, c->nresults);
        return;
    }
    if (c->kind == C_LOOP) {
        copy_top_to(t, c->nparams, c->height);
        emit_op(t, OP_BR_BACK);
        emit_rel_back(t, c->loop_pc);
    } else {
        copy_top_to(t, c->nresults, c->height);
        emit_op(t, OP_BR);
        emit_rel_fwd(t, c);
    }
}

static uint32_t branch_arity(ctl *c)
{
    return c->kind == C_LOOP ? c->nparams : c->nresults;
}

/* A branch condition: a slot (nonzero = taken), or an i32 comparison whose
 * instruction was just emitted and is folded into the branch. */
typedef struct cond {
    int cmp; /* -1 for a plain slot, else OP_I32_EQZ or a binary i32 compare */
    uint32_t a, b;
} cond;

static bool fusable(int op)
{
    return op == OP_I32_EQZ || (op >= OP_I32_EQ && op <= OP_I32_GE_U);
}

/* Pops the condition; if the comparison producing it is the last emitted
 * instruction, un-emits it so the branch can do the comparison itself. */
static cond take_cond(tr *t)
{
    cond c = {-1, 0, 0};
    uint32_t pos = t->sp - 1;
    if (t->last_valid && t->last_end == t->len && t->last_sp == pos &&
        t->stack[pos].kind == K_TEMP && fusable(t->last_op)) {
        c.cmp = t->last_op;
        c.a = t->code[t->last_start + 2];
        c.b = c.cmp == OP_I32_EQZ ? 0 : t->code[t->last_start + 3];
        t->len = t->last_start;
        t->nfix = t->last_nfix;
        t->last_valid = false;
        t->sp--;
        return c;
    }
    c.a = pop(t);
    return c;
}

/* Emits a conditional jump taken when `c` (or its negation) holds; the
 * displacement operand is left for the caller to emit. */
static void emit_jump_cond(tr *t, cond c, bool negate)
{
    static const int neg[] = {
        [OP_I32_EQ] = OP_I32_NE, [OP_I32_NE] = OP_I32_EQ, [OP_I32_LT_S] = OP_I32_GE_S,
        [OP_I32_LT_U] = OP_I32_GE_U, [OP_I32_GT_S] = OP_I32_LE_S, [OP_I32_GT_U] = OP_I32_LE_U,
        [OP_I32_LE_S] = OP_I32_GT_S, [OP_I32_LE_U] = OP_I32_GT_U, [OP_I32_GE_S] = OP_I32_LT_S,
        [OP_I32_GE_U] = OP_I32_LT_U,
    };
    if (c.cmp < 0 || c.cmp == OP_I32_EQZ) {
        bool taken_if_nonzero = (c.cmp < 0) != negate;
        emit_op(t, taken_if_nonzero ? OP_BR_IF : OP_BR_UNLESS);
        emit_slot(t, c.a);
        return;
    }
    int cmp = negate ? neg[c.cmp] : c.cmp;
    emit_op(t, OP_BR_IF_I32_EQ + (cmp - OP_I32_EQ));
    emit_slot(t, c.a);
    emit_slot(t, c.b);
}

static void emit_branch(tr *t, uint32_t depth, cond cnd)
{
    ctl *c = &t->ctls[t->nctl - 1 - depth];
    uint32_t n = branch_arity(c);
    if (c->kind != C_FUNC && !copies_needed(t, n, c->height)) {
        emit_jump_cond(t, cnd, false);
        if (c->kind == C_LOOP)
            emit_rel_back(t, c->loop_pc);
        else
            emit_rel_fwd(t, c);
        return;
    }
    /* jump over the copies and the branch unless the condition holds */
    emit_jump_cond(t, cnd, true);
    uint32_t skip_pos = (uint32_t)t->len;
    put(t, t->cur_instr);
    emit_br(t, depth);
    patch_to_here(t, skip_pos);
    t->last_valid = false;
}

static void set_unreachable(tr *t)
{
    ctl *c = &t->ctls[t->nctl - 1];
    c->unreachable = true;
    t->sp = c->height;
}

/* ---- the instruction tables ------------------------------------------- */

static int numeric_op(uint8_t b, int *arity)
{
    static const short map[256] = {
#define M(byte, op, ar) [byte] = (short)((op) * 4 + (ar)),
        M(0x45, OP_I32_EQZ, 1) M(0x46, OP_I32_EQ, 2) M(0x47, OP_I32_NE, 2) M(0x48, OP_I32_LT_S, 2)
        M(0x49, OP_I32_LT_U, 2) M(0x4A, OP_I32_GT_S, 2) M(0x4B, OP_I32_GT_U, 2)
        M(0x4C, OP_I32_LE_S, 2) M(0x4D, OP_I32_LE_U, 2) M(0x4E, OP_I32_GE_S, 2)
        M(0x4F, OP_I32_GE_U, 2)
        M(0x50, OP_I64_EQZ, 1) M(0x51, OP_I64_EQ, 2) M(0x52, OP_I64_NE, 2) M(0x53, OP_I64_LT_S, 2)
        M(0x54, OP_I64_LT_U, 2) M(0x55, OP_I64_GT_S, 2) M(0x56, OP_I64_GT_U, 2)
        M(0x57, OP_I64_LE_S, 2) M(0x58, OP_I64_LE_U, 2) M(0x59, OP_I64_GE_S, 2)
        M(0x5A, OP_I64_GE_U, 2)
        M(0x5B, OP_F32_EQ, 2) M(0x5C, OP_F32_NE, 2) M(0x5D, OP_F32_LT, 2) M(0x5E, OP_F32_GT, 2)
        M(0x5F, OP_F32_LE, 2) M(0x60, OP_F32_GE, 2)
        M(0x61, OP_F64_EQ, 2) M(0x62, OP_F64_NE, 2) M(0x63, OP_F64_LT, 2) M(0x64, OP_F64_GT, 2)
        M(0x65, OP_F64_LE, 2) M(0x66, OP_F64_GE, 2)
        M(0x67, OP_I32_CLZ, 1) M(0x68, OP_I32_CTZ, 1) M(0x69, OP_I32_POPCNT, 1)
        M(0x6A, OP_I32_ADD, 2) M(0x6B, OP_I32_SUB, 2) M(0x6C, OP_I32_MUL, 2)
        M(0x6D, OP_I32_DIV_S, 2) M(0x6E, OP_I32_DIV_U, 2) M(0x6F, OP_I32_REM_S, 2)
        M(0x70, OP_I32_REM_U, 2) M(0x71, OP_I32_AND, 2) M(0x72, OP_I32_OR, 2)
        M(0x73, OP_I32_XOR, 2) M(0x74, OP_I32_SHL, 2) M(0x75, OP_I32_SHR_S, 2)
        M(0x76, OP_I32_SHR_U, 2) M(0x77, OP_I32_ROTL, 2) M(0x78, OP_I32_ROTR, 2)
        M(0x79, OP_I64_CLZ, 1) M(0x7A, OP_I64_CTZ, 1) M(0x7B, OP_I64_POPCNT, 1)
        M(0x7C, OP_I64_ADD, 2) M(0x7D, OP_I64_SUB, 2) M(0x7E, OP_I64_MUL, 2)
        M(0x7F, OP_I64_DIV_S, 2) M(0x80, OP_I64_DIV_U, 2) M(0x81, OP_I64_REM_S, 2)
        M(0x82, OP_I64_REM_U, 2) M(0x83, OP_I64_AND, 2) M(0x84, OP_I64_OR, 2)
        M(0x85, OP_I64_XOR, 2) M(0x86, OP_I64_SHL, 2) M(0x87, OP_I64_SHR_S, 2)
        M(0x88, OP_I64_SHR_U, 2) M(0x89, OP_I64_ROTL, 2) M(0x8A, OP_I64_ROTR, 2)
        M(0x8B, OP_F32_ABS, 1) M(0x8C, OP_F32_NEG, 1) M(0x8D, OP_F32_CEIL, 1)
        M(0x8E, OP_F32_FLOOR, 1) M(0x8F, OP_F32_TRUNC, 1) M(0x90, OP_F32_NEAREST, 1)
        M(0x91, OP_F32_SQRT, 1) M(0x92, OP_F32_ADD, 2) M(0x93, OP_F32_SUB, 2)
        M(0x94, OP_F32_MUL, 2) M(0x95, OP_F32_DIV, 2) M(0x96, OP_F32_MIN, 2)
        M(0x97, OP_F32_MAX, 2) M(0x98, OP_F32_COPYSIGN, 2)
        M(0x99, OP_F64_ABS, 1) M(0x9A, OP_F64_NEG, 1) M(0x9B, OP_F64_CEIL, 1)
        M(0x9C, OP_F64_FLOOR, 1) M(0x9D, OP_F64_TRUNC, 1) M(0x9E, OP_F64_NEAREST, 1)
        M(0x9F, OP_F64_SQRT, 1) M(0xA0, OP_F64_ADD, 2) M(0xA1, OP_F64_SUB, 2)
        M(0xA2, OP_F64_MUL, 2) M(0xA3, OP_F64_DIV, 2) M(0xA4, OP_F64_MIN, 2)
        M(0xA5, OP_F64_MAX, 2) M(0xA6, OP_F64_COPYSIGN, 2)
        M(0xA8, OP_I32_TRUNC_F32_S, 1) M(0xA9, OP_I32_TRUNC_F32_U, 1)
        M(0xAA, OP_I32_TRUNC_F64_S, 1) M(0xAB, OP_I32_TRUNC_F64_U, 1)
        M(0xAC, OP_I64_EXTEND_I32_S, 1) M(0xAD, OP_I64_EXTEND_I32_U, 1)
        M(0xAE, OP_I64_TRUNC_F32_S, 1) M(0xAF, OP_I64_TRUNC_F32_U, 1)
        M(0xB0, OP_I64_TRUNC_F64_S, 1) M(0xB1, OP_I64_TRUNC_F64_U, 1)
        M(0xB2, OP_F32_CONVERT_I32_S, 1) M(0xB3, OP_F32_CONVERT_I32_U, 1)
        M(0xB4, OP_F32_CONVERT_I64_S, 1) M(0xB5, OP_F32_CONVERT_I64_U, 1)
        M(0xB6, OP_F32_DEMOTE_F64, 1)
        M(0xB7, OP_F64_CONVERT_I32_S, 1) M(0xB8, OP_F64_CONVERT_I32_U, 1)
        M(0xB9, OP_F64_CONVERT_I64_S, 1) M(0xBA, OP_F64_CONVERT_I64_U, 1)
        M(0xBB, OP_F64_PROMOTE_F32, 1)
        M(0xC0, OP_I32_EXTEND8_S, 1) M(0xC1, OP_I32_EXTEND16_S, 1)
        M(0xC2, OP_I64_EXTEND8_S, 1) M(0xC3, OP_I64_EXTEND16_S, 1)
        M(0xC4, OP_I64_EXTEND32_S, 1)
        M(0xD1, OP_REF_IS_NULL, 1)
#undef M
    };
    short v = map[b];
    if (!v)
        return -1;
    *arity = v & 3;
    return v >> 2;
}

static const short load_ops[] = {
    /* 0x28.. */ OP_LOAD32, OP_LOAD64, OP_LOAD32, OP_LOAD64, OP_LOAD8_S32, OP_LOAD8_U32,
    OP_LOAD16_S32, OP_LOAD16_U32, OP_LOAD8_S64, OP_LOAD8_U64, OP_LOAD16_S64, OP_LOAD16_U64,
    OP_LOAD32_S64, OP_LOAD32_U64,
    /* 0x36.. */ OP_STORE32, OP_STORE64, OP_STORE32, OP_STORE64, OP_STORE8, OP_STORE16,
    OP_STORE8, OP_STORE16, OP_STORE32,
};

/* Skips one instruction's immediates in dead code (opcode already read). */
static void skip_imm(tr *t, uint8_t op)
{
    uint32_t np, nr;
    switch (op) {
    case 0x0C: case 0x0D: case 0x10: case 0x12: case 0x20: case 0x21: case 0x22:
    case 0x23: case 0x24: case 0x25: case 0x26: case 0x3F: case 0x40: case 0xD2:
        rd_u(t);
        break;
    case 0x0E: {
        uint32_t n = (uint32_t)rd_u(t);
        for (uint32_t i = 0; i <= n; i++)
            rd_u(t);
        break;
    }
    case 0x11: case 0x13:
        rd_u(t);
        rd_u(t);
        break;
    case 0x1C: {
        uint32_t n = (uint32_t)rd_u(t);
        for (uint32_t i = 0; i < n; i++)
            rd_u(t);
        break;
    }
    case 0x41: rd_s(t, 32); break;
    case 0x42: rd_s(t, 64); break;
    case 0x43: t->p += 4; break;
    case 0x44: t->p += 8; break;
    case 0xD0: t->p++; break;
    case 0x02: case 0x03: case 0x04: blocktype(t, &np, &nr); break;
    case 0xFC: {
        uint32_t sub = (uint32_t)rd_u(t);
        switch (sub) {
        case 8: case 10: case 12: case 14: rd_u(t); rd_u(t); break;
        case 9: case 11: case 13: case 15: case 16: case 17: rd_u(t); break;
        default: break;
        }
        break;
    }
    default:
        if (op >= 0x28 && op <= 0x3E) {
            uint32_t align = (uint32_t)rd_u(t);
            if (align & 0x40)
                rd_u(t);
            rd_u(t);
        }
        break;
    }
}

/* local.set / local.tee of `x` with the value at the stack top. */
static void set_local(tr *t, uint32_t x, bool tee)
{
    uint32_t top = t->sp - 1;
    ent *e = &t->stack[top];
    bool referenced = false;
    for (uint32_t i = 0; i < top; i++)
        if (t->stack[i].kind == K_LOCAL && t->stack[i].idx == x)
            referenced = true;
    if (t->last_valid && t->last_end == t->len && t->last_sp == top && e->kind == K_TEMP &&
        !referenced) {
        t->code[t->last_dst_pos] = x;
    } else if (!(e->kind == K_LOCAL && e->idx == x)) {
        preserve_local(t, x, top);
        uint32_t src = slot_at(t, top);
        emit_op(t, OP_COPY);
        emit_slot(t, x);
        emit_slot(t, src);
    }
    t->last_valid = false;
    t->sp--;
    if (tee)
        push(t, K_LOCAL, x);
}

static void memarg(tr *t, uint32_t *memidx, uint32_t *offset)
{
    uint32_t align = (uint32_t)rd_u(t);
    *memidx = 0;
    if (align & 0x40)
        *memidx = (uint32_t)rd_u(t);
    *offset = (uint32_t)rd_u(t);
}

static void emit_call(tr *t, uint32_t np, uint32_t nr)
{
    /* arguments must sit in consecutive temporaries */
    for (uint32_t i = t->sp - np; i < t->sp; i++)
        materialize(t, i);
    (void)nr;
}

static void finish_call(tr *t, uint32_t base, uint32_t nr)
{
    t->sp = base;
    for (uint32_t i = 0; i < nr; i++)
        push(t, K_TEMP, 0);
}

/* ---- main loop --------------------------------------------------------- */

static void translate_body(tr *t, uint32_t nresults)
{
    push_ctl(t, C_FUNC, 0, nresults);
    while (t->nctl > 0) {
        uint8_t op = *t->p++;
        ctl *c = &t->ctls[t->nctl - 1];
        if (c->unreachable) {
            if (op == 0x02 || op == 0x03 || op == 0x04) {
                skip_imm(t, op);
                ctl *n = push_ctl(t, op == 0x03 ? C_LOOP : (op == 0x04 ? C_IF : C_BLOCK), 0, 0);
                n->dead_entry = true;
                n->unreachable = true;
                continue;
            }
            if (op != 0x05 && op != 0x0B) {
                skip_imm(t, op);
                continue;
            }
        }
        int ar;
        int nop = numeric_op(op, &ar);
        if (nop >= 0) {
            uint32_t a, b = 0;
            if (ar == 2) {
                b = pop(t);
                a = pop(t);
            } else {
                a = pop(t);
            }
            emit_op(t, nop);
            push_dst(t);
            emit_slot(t, a);
            if (ar == 2)
                emit_slot(t, b);
            result_done(t);
            continue;
        }
        if (op >= 0x28 && op <= 0x3E) {
            uint32_t memidx, off;
            memarg(t, &memidx, &off);
            int lop = load_ops[op - 0x28];
            if (op <= 0x35) {
                int fused = lop == OP_LOAD32 ? OP_LOAD32_ADD
                            : lop == OP_LOAD64 ? OP_LOAD64_ADD
                            : lop == OP_LOAD8_U32 ? OP_LOAD8_U32_ADD : -1;
                uint32_t pos = t->sp - 1;
                if (memidx == 0 && fused >= 0 && t->last_valid && t->last_end == t->len &&
                    t->last_sp == pos && t->stack[pos].kind == K_TEMP &&
                    t->last_op == OP_I32_ADD) {
                    /* address computed by the i32.add just emitted: add in the load */
                    uint32_t a = t->code[t->last_start + 2], b = t->code[t->last_start + 3];
                    t->len = t->last_start;
                    t->nfix = t->last_nfix;
                    t->sp--;
                    emit_op(t, fused);
                    push_dst(t);
                    emit_slot(t, a);
                    emit_slot(t, b);
                    put(t, off);
                    result_done(t);
                    continue;
                }
                uint32_t addr = pop(t);
                if (memidx == 0) {
                    emit_op(t, lop);
                    push_dst(t);
                    emit_slot(t, addr);
                    put(t, off);
                } else {
                    emit_op(t, OP_LOADM);
                    push_dst(t);
                    emit_slot(t, addr);
                    put(t, off);
                    put(t, (uint32_t)lop);
                    put(t, memidx);
                }
                result_done(t);
            } else {
                uint32_t val = pop(t);
                uint32_t addr = pop(t);
                emit_op(t, memidx == 0 ? lop : OP_STOREM);
                emit_slot(t, addr);
                emit_slot(t, val);
                put(t, off);
                if (memidx) {
                    put(t, (uint32_t)lop);
                    put(t, memidx);
                }
            }
            continue;
        }
        switch (op) {
        case 0x00: /* unreachable */
            emit_op(t, OP_UNREACHABLE);
            set_unreachable(t);
            break;
        case 0x01:
            break;
        case 0x02: /* block */
        case 0x03: /* loop */ {
            uint32_t np, nr;
            blocktype(t, &np, &nr);
            materialize_locals(t);
            for (uint32_t i = t->sp - np; i < t->sp; i++)
                materialize(t, i);
            ctl *n = push_ctl(t, op == 0x02 ? C_BLOCK : C_LOOP, np, nr);
            n->loop_pc = (uint32_t)t->len;
            t->last_valid = false;
            break;
        }
        case 0x04: /* if */ {
            uint32_t np, nr;
            blocktype(t, &np, &nr);
            cond cnd = take_cond(t);
            materialize_locals(t);
            for (uint32_t i = t->sp - np; i < t->sp; i++)
                materialize(t, i);
            emit_jump_cond(t, cnd, true);
            uint32_t pos = (uint32_t)t->len;
            put(t, t->cur_instr);
            ctl *n = push_ctl(t, C_IF, np, nr);
            n->else_fix = pos;
            t->last_valid = false;
            break;
        }
        case 0x05: /* else */ {
            if (c->dead_entry) {
                c->kind = C_ELSE;
                break;
            }
            if (!c->unreachable) {
                for (uint32_t i = c->height; i < t->sp; i++)
                    materialize(t, i);
                emit_op(t, OP_BR);
                emit_rel_fwd(t, c);
            }
            patch_to_here(t, c->else_fix);
            c->else_fix = UINT32_MAX;
            c->kind = C_ELSE;
            c->unreachable = false;
            t->sp = c->height;
            for (uint32_t i = 0; i < c->nparams; i++)
                push(t, K_TEMP, 0);
            t->last_valid = false;
            break;
        }
        case 0x0B: /* end */ {
            if (c->dead_entry) {
                free(c->fix);
                t->nctl--;
                break;
            }
            if (c->kind == C_FUNC) {
                if (!c->unreachable)
                    emit_return(t, c->nresults);
                free(c->fix);
                t->nctl--;
                break;
            }
            if (!c->unreachable)
                for (uint32_t i = c->height; i < t->sp; i++)
                    materialize(t, i);
            if (c->else_fix != UINT32_MAX)
                patch_to_here(t, c->else_fix);
            for (uint32_t i = 0; i < c->nfix; i++)
                patch_to_here(t, c->fix[i]);
            t->sp = c->height;
            uint32_t nr = c->nresults;
            free(c->fix);
            t->nctl--;
            for (uint32_t i = 0; i < nr; i++)
                push(t, K_TEMP, 0);
            t->last_valid = false;
            break;
        }
        case 0x0C: /* br */
            emit_br(t, (uint32_t)rd_u(t));
            set_unreachable(t);
            break;
        case 0x0D: /* br_if */ {
            uint32_t depth = (uint32_t)rd_u(t);
            emit_branch(t, depth, take_cond(t));
            break;
        }
        case 0x0E: /* br_table */ {
            uint32_t n = (uint32_t)rd_u(t);
            uint32_t *depths = util_xmalloc(((size_t)n + 1) * sizeof(uint32_t));
            for (uint32_t i = 0; i <= n; i++)
                depths[i] = (uint32_t)rd_u(t);
            uint32_t idx = pop(t);
            emit_op(t, OP_BR_TABLE);
            uint32_t instr = t->cur_instr;
            emit_slot(t, idx);
            put(t, n);
            size_t table = t->len;
            for (uint32_t i = 0; i <= n; i++)
                put(t, 0);
            /* one stub per entry: copies + jump (cheap, and keeps it simple) */
            uint32_t *stub_of = util_xcalloc(t->nctl, sizeof(uint32_t));
            for (uint32_t i = 0; i <= n; i++) {
                uint32_t d = depths[i];
                if (!stub_of[d]) {
                    stub_of[d] = (uint32_t)t->len + 1;
                    emit_br(t, d);
                }
                t->code[table + i] = (uint32_t)((int32_t)(stub_of[d] - 1) - (int32_t)instr);
            }
            free(stub_of);
            free(depths);
            set_unreachable(t);
            break;
        }
        case 0x0F: /* return */
            emit_return(t, t->ctls[0].nresults);
            set_unreachable(t);
            break;
        case 0x10: /* call */
        case 0x12: /* return_call */ {
            uint32_t fi = (uint32_t)rd_u(t);
            uint32_t np, nr;
            wasm_mv_type_arity(t->m, wasm_mv_func_type(t->m, fi), &np, &nr);
            emit_call(t, np, nr);
            uint32_t base = t->sp - np;
            emit_op(t, op == 0x12 ? OP_RETURN_CALL : OP_CALL);
            put(t, fi);
            emit_slot(t, TEMPF | base);
            finish_call(t, base, nr);
            if (op == 0x12)
                set_unreachable(t);
            break;
        }
        case 0x11: /* call_indirect */
        case 0x13: /* return_call_indirect */ {
            uint32_t ti = (uint32_t)rd_u(t);
            uint32_t tab = (uint32_t)rd_u(t);
            uint32_t np, nr;
            wasm_mv_type_arity(t->m, ti, &np, &nr);
            uint32_t elem = pop(t);
            emit_call(t, np, nr);
            uint32_t base = t->sp - np;
            emit_op(t, op == 0x13 ? OP_RETURN_CALL_INDIRECT : OP_CALL_INDIRECT);
            put(t, tab);
            put(t, ti);
            emit_slot(t, elem);
            emit_slot(t, TEMPF | base);
            finish_call(t, base, nr);
            if (op == 0x13)
                set_unreachable(t);
            break;
        }
        case 0x1A: /* drop */
            t->sp--;
            break;
        case 0x1B: /* select */
        case 0x1C: /* select t */ {
            if (op == 0x1C) {
                uint32_t n = (uint32_t)rd_u(t);
                for (uint32_t i = 0; i < n; i++)
                    rd_u(t);
            }
            uint32_t cnd = pop(t);
            uint32_t b = pop(t);
            uint32_t a = pop(t);
            emit_op(t, OP_SELECT);
            push_dst(t);
            emit_slot(t, cnd);
            emit_slot(t, a);
            emit_slot(t, b);
            result_done(t);
            break;
        }
        case 0x20: /* local.get */
            push(t, K_LOCAL, (uint32_t)rd_u(t));
            break;
        case 0x21:
            set_local(t, (uint32_t)rd_u(t), false);
            break;
        case 0x22:
            set_local(t, (uint32_t)rd_u(t), true);
            break;
        case 0x23: { /* global.get */
            uint32_t g = (uint32_t)rd_u(t);
            emit_op(t, OP_GLOBAL_GET);
            push_dst(t);
            put(t, g);
            result_done(t);
            break;
        }
        case 0x24: { /* global.set */
            uint32_t g = (uint32_t)rd_u(t);
            uint32_t a = pop(t);
            emit_op(t, OP_GLOBAL_SET);
            put(t, g);
            emit_slot(t, a);
            break;
        }
        case 0x25: { /* table.get */
            uint32_t tab = (uint32_t)rd_u(t);
            uint32_t i = pop(t);
            emit_op(t, OP_TABLE_GET);
            push_dst(t);
            emit_slot(t, i);
            put(t, tab);
            result_done(t);
            break;
        }
        case 0x26: { /* table.set */
            uint32_t tab = (uint32_t)rd_u(t);
            uint32_t v = pop(t);
            uint32_t i = pop(t);
            emit_op(t, OP_TABLE_SET);
            emit_slot(t, i);
            emit_slot(t, v);
            put(t, tab);
            break;
        }
        case 0x3F: { /* memory.size */
            uint32_t mi = (uint32_t)rd_u(t);
            emit_op(t, OP_MEMORY_SIZE);
            push_dst(t);
            put(t, mi);
            result_done(t);
            break;
        }
        case 0x40: { /* memory.grow */
            uint32_t mi = (uint32_t)rd_u(t);
            uint32_t a = pop(t);
            emit_op(t, OP_MEMORY_GROW);
            push_dst(t);
            emit_slot(t, a);
            put(t, mi);
            result_done(t);
            break;
        }
        case 0x41:
            push(t, K_CONST, const_index(t, (uint32_t)(int32_t)rd_s(t, 32)));
            break;
        case 0x42:
            push(t, K_CONST, const_index(t, (uint64_t)rd_s(t, 64)));
            break;
        case 0x43: {
            uint32_t v;
            memcpy(&v, t->p, 4);
            t->p += 4;
            push(t, K_CONST, const_index(t, v));
            break;
        }
        case 0x44: {
            uint64_t v;
            memcpy(&v, t->p, 8);
            t->p += 8;
            push(t, K_CONST, const_index(t, v));
            break;
        }
        case 0xA7: /* i32.wrap_i64: the low half already is the i32 */
        case 0xBC: case 0xBD: case 0xBE: case 0xBF: /* reinterpret: same bits */
            break;
        case 0xD0: /* ref.null */
            t->p++;
            push(t, K_CONST, const_index(t, 0));
            break;
        case 0xD2: { /* ref.func */
            uint32_t fi = (uint32_t)rd_u(t);
            emit_op(t, OP_REF_FUNC);
            push_dst(t);
            put(t, fi);
            result_done(t);
            break;
        }
        case 0xFC: {
            uint32_t sub = (uint32_t)rd_u(t);
            if (sub <= 7) {
                static const short sat[8] = {
                    OP_I32_TRUNC_SAT_F32_S, OP_I32_TRUNC_SAT_F32_U, OP_I32_TRUNC_SAT_F64_S,
                    OP_I32_TRUNC_SAT_F64_U, OP_I64_TRUNC_SAT_F32_S, OP_I64_TRUNC_SAT_F32_U,
                    OP_I64_TRUNC_SAT_F64_S, OP_I64_TRUNC_SAT_F64_U,
                };
                uint32_t a = pop(t);
                emit_op(t, sat[sub]);
                push_dst(t);
                emit_slot(t, a);
                result_done(t);
                break;
            }
            uint32_t imm1 = 0, imm2 = 0;
            switch (sub) {
            case 8: case 10: case 12: case 14:
                imm1 = (uint32_t)rd_u(t);
                imm2 = (uint32_t)rd_u(t);
                break;
            default:
                imm1 = (uint32_t)rd_u(t);
                break;
            }
            switch (sub) {
            case 8: /* memory.init seg mem */
            case 10: /* memory.copy dmem smem */
            case 12: /* table.init seg tab */
            case 14: /* table.copy dtab stab */ {
                uint32_t n = pop(t), s = pop(t), d = pop(t);
                emit_op(t, sub == 8 ? OP_MEMORY_INIT
                           : sub == 10 ? OP_MEMORY_COPY
                           : sub == 12 ? OP_TABLE_INIT : OP_TABLE_COPY);
                emit_slot(t, d);
                emit_slot(t, s);
                emit_slot(t, n);
                put(t, imm1);
                put(t, imm2);
                break;
            }
            case 9:
            case 13:
                emit_op(t, sub == 9 ? OP_DATA_DROP : OP_ELEM_DROP);
                put(t, imm1);
                break;
            case 11: /* memory.fill */
            case 17: /* table.fill */ {
                uint32_t n = pop(t), v = pop(t), d = pop(t);
                emit_op(t, sub == 11 ? OP_MEMORY_FILL : OP_TABLE_FILL);
                emit_slot(t, d);
                emit_slot(t, v);
                emit_slot(t, n);
                put(t, imm1);
                break;
            }
            case 15: { /* table.grow */
                uint32_t n = pop(t), v = pop(t);
                emit_op(t, OP_TABLE_GROW);
                push_dst(t);
                emit_slot(t, v);
                emit_slot(t, n);
                put(t, imm1);
                result_done(t);
                break;
            }
            case 16: /* table.size */
                emit_op(t, OP_TABLE_SIZE);
                push_dst(t);
                put(t, imm1);
                result_done(t);
                break;
            default:
                break;
            }
            break;
        }
        default:
            /* validated modules contain nothing else */
            emit_op(t, OP_UNREACHABLE);
            set_unreachable(t);
            break;
        }
    }
}

static rt_code *translate(wasm_module *m, uint32_t func_idx)
{
    tr t;
    memset(&t, 0, sizeof t);
    t.m = m;
    t.handlers = wasm_rt_interp_handlers();
    uint32_t ndecl;
    wasm_mv_body(m, func_idx, &t.p, &t.end, &ndecl);
    uint32_t np, nr;
    wasm_mv_type_arity(m, wasm_mv_func_type(m, func_idx), &np, &nr);
    t.nreal = np + ndecl;
    t.nlocals = t.nreal > nr ? t.nreal : nr;
    /* One allocation sized from the body (code comes to about 0.7 words
     * per byte of Wasm, rarely over 1.25), trimmed at the end: growing it
     * by doubling touched about twice the memory, in fresh pages, and page
     * faults were most of the time a short program spent translating. */
    t.cap = (size_t)(t.end - t.p) + 64;
    t.code = util_xmalloc(t.cap * sizeof(uint32_t));

    translate_body(&t, nr);
    if (t.len < t.cap)
        t.code = util_xrealloc(t.code, t.len * sizeof(uint32_t));

    rt_code *c = util_xcalloc(1, sizeof *c);
    uint32_t tbase = t.nlocals + t.nconsts;
    for (size_t i = 0; i < t.nfix; i++) {
        uint32_t v = t.code[t.fix[i]];
        if (v & TEMPF)
            t.code[t.fix[i]] = tbase + (v & IDXMASK);
        else if (v & CONSTF)
            t.code[t.fix[i]] = t.nlocals + (v & IDXMASK);
    }
    c->code = t.code;
    c->code_len = t.len;
    c->consts = t.consts;
    c->nparams = np;
    c->nresults = nr;
    c->nlocals = t.nlocals;
    c->ndeclared = t.nreal;
    c->nconsts = t.nconsts;
    c->frame_slots = tbase + t.max_sp + 1;
    free(t.fix);
    free(t.stack);
    free(t.ctls);
    free(t.chash);
    return c;
}

const rt_code *wasm_rt_code_get(wasm_module *m, uint32_t func_idx)
{
    _Atomic(rt_code *) *slot = wasm_mv_code_slot(m, func_idx);
    rt_code *c = atomic_load_explicit(slot, memory_order_acquire);
    if (c)
        return c;
    rt_code *fresh = translate(m, func_idx);
#if WASM_RT_JIT
    if (wasm_rt_jit_enabled())
        fresh->jit = wasm_rt_jit_compile(fresh);
#endif
    rt_code *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(slot, &expected, fresh, memory_order_acq_rel,
                                                memory_order_acquire))
        return fresh;
    wasm_rt_code_release(fresh);
    return expected;
}

void wasm_rt_code_release(void *p)
{
    rt_code *c = p;
    if (!c)
        return;
#if WASM_RT_JIT
    wasm_rt_jit_free(c->jit);
#endif
    free(c->code);
    free(c->consts);
    free(c);
}
