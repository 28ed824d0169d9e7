/*
 * validate.c - decodes and validates one expression (a function body or a
 * constant expression) in a single forward pass.
 *
 * This is the algorithm of the spec's validation appendix: an operand stack
 * of value types (one byte each, T_UNKNOWN for the bottom type of
 * unreachable code) and a control stack of frames holding each block's
 * parameter/result types and the operand height at its entry.  Type arrays
 * are never copied: they point into the module's function types or into a
 * static table of single value types.  The scratch stacks live in a
 * wm_validator reused for every function of the module, so validating a
 * 12,000-function module allocates almost nothing.
 *
 * Decoding and checking are interleaved, but with different failure modes
 * (see decode.h): a malformed encoding stops everything at once, while the
 * first type error only switches the validator into "decode only" mode
 * (v->failed): immediates are still read and blocks still tracked, so a
 * later malformed byte is still found, but no more type checks happen and no
 * index is used for a lookup.
 *
 * While checking a body we also record its maximum operand stack height and
 * control depth, which the translator uses to size frames.
 */
#include <string.h>

#include "decode.h"
#include "opcodes.h"

#define T_UNKNOWN 0

typedef struct ctl_frame {
    uint8_t opcode; /* OPC_BLOCK, OPC_LOOP, OPC_IF, OPC_ELSE, or OPC_END for the outermost */
    bool unreachable;
    uint32_t height;
    const uint8_t *params, *results;
    uint32_t nparams, nresults;
} ctl_frame;

struct wm_validator {
    uint8_t *vals;
    uint32_t nvals, capvals;
    ctl_frame *ctls;
    uint32_t nctls, capctls;
    uint8_t *locals; /* expanded types of params + locals */
    uint32_t caplocals;
    uint32_t nlocals_all;
    uint32_t max_stack, max_depth;
    bool failed;
    wm_reader *r;
    wm_expr_info *info;
};

/* Single value types to point block types at. */
static const uint8_t k_single[] = {WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_FUNCREF,
                                   WASM_EXTERNREF};

static const uint8_t *single(uint8_t t)
{
    for (size_t i = 0; i < sizeof k_single; i++)
        if (k_single[i] == t)
            return &k_single[i];
    return NULL;
}

void wasm_wm_validator_free(wm_validator *v)
{
    if (!v)
        return;
    free(v->vals);
    free(v->ctls);
    free(v->locals);
    free(v);
}

static int fail(wm_validator *v, const char *msg)
{
    if (!v->failed)
        wasm_rd_invalid(v->r, "%s", msg);
    v->failed = true;
    return 0;
}

static int failf(wm_validator *v, const char *fmt, uint32_t idx)
{
    if (!v->failed) {
        char buf[128];
        snprintf(buf, sizeof buf, fmt, idx);
        wasm_rd_invalid(v->r, "%s", buf);
    }
    v->failed = true;
    return 0;
}

/* ---- operand stack ------------------------------------------------------- */

#define HOT static inline __attribute__((always_inline))

HOT void push(wm_validator *v, uint8_t t)
{
    if (v->failed)
        return;
    if (v->nvals == v->capvals) {
        v->capvals = v->capvals ? v->capvals * 2 : 256;
        v->vals = util_xrealloc(v->vals, v->capvals);
    }
    v->vals[v->nvals++] = t;
    if (v->nvals > v->max_stack)
        v->max_stack = v->nvals;
}

HOT uint8_t pop(wm_validator *v)
{
    if (v->failed)
        return T_UNKNOWN;
    ctl_frame *f = &v->ctls[v->nctls - 1];
    if (v->nvals == f->height) {
        if (!f->unreachable)
            fail(v, "type mismatch");
        return T_UNKNOWN;
    }
    return v->vals[--v->nvals];
}

HOT uint8_t pop_expect(wm_validator *v, uint8_t want)
{
    uint8_t got = pop(v);
    if (got != want && got != T_UNKNOWN && want != T_UNKNOWN)
        fail(v, "type mismatch");
    return got;
}

static void pop_vals(wm_validator *v, const uint8_t *types, uint32_t n)
{
    for (uint32_t i = n; i-- > 0 && !v->failed;)
        pop_expect(v, types[i]);
}

static void push_vals(wm_validator *v, const uint8_t *types, uint32_t n)
{
    for (uint32_t i = 0; i < n && !v->failed; i++)
        push(v, types[i]);
}

/* Checks the top n operands against `types` without popping them. */
static void peek_vals(wm_validator *v, const uint8_t *types, uint32_t n)
{
    if (v->failed)
        return;
    ctl_frame *f = &v->ctls[v->nctls - 1];
    for (uint32_t i = 0; i < n; i++) {
        /* position of types[i] on the stack, counted from the top */
        uint32_t from_top = n - i;
        if (v->nvals - f->height < from_top) {
            if (!f->unreachable)
                fail(v, "type mismatch");
            continue;
        }
        uint8_t got = v->vals[v->nvals - from_top];
        if (got != types[i] && got != T_UNKNOWN)
            fail(v, "type mismatch");
    }
}

static void set_unreachable(wm_validator *v)
{
    if (v->failed)
        return;
    ctl_frame *f = &v->ctls[v->nctls - 1];
    v->nvals = f->height;
    f->unreachable = true;
}

/* ---- control stack ------------------------------------------------------- */

static void push_ctl(wm_validator *v, uint8_t opcode, const uint8_t *params, uint32_t np,
                     const uint8_t *results, uint32_t nr)
{
    if (v->nctls == v->capctls) {
        v->capctls = v->capctls ? v->capctls * 2 : 64;
        v->ctls = util_xrealloc(v->ctls, v->capctls * sizeof *v->ctls);
    }
    v->ctls[v->nctls++] = (ctl_frame){.opcode = opcode,
                                      .height = v->nvals,
                                      .params = params,
                                      .nparams = np,
                                      .results = results,
                                      .nresults = nr};
    if (v->nctls > v->max_depth)
        v->max_depth = v->nctls;
    push_vals(v, params, np);
}

static ctl_frame pop_ctl(wm_validator *v)
{
    ctl_frame f = v->ctls[v->nctls - 1];
    pop_vals(v, f.results, f.nresults);
    if (!v->failed && v->nvals != f.height)
        fail(v, "type mismatch");
    v->nvals = v->failed ? 0 : f.height;
    v->nctls--;
    return f;
}

static void label_types(const ctl_frame *f, const uint8_t **types, uint32_t *n)
{
    if (f->opcode == OPC_LOOP) {
        *types = f->params;
        *n = f->nparams;
    } else {
        *types = f->results;
        *n = f->nresults;
    }
}

/* The frame `depth` labels out, or NULL ("unknown label"). */
static const ctl_frame *label(wm_validator *v, uint32_t depth)
{
    if (depth >= v->nctls) {
        failf(v, "unknown label %u", depth);
        return NULL;
    }
    return &v->ctls[v->nctls - 1 - depth];
}

/* ---- index spaces -------------------------------------------------------- */

static uint8_t local_type(wm_validator *v, uint32_t idx)
{
    if (idx >= v->nlocals_all) {
        failf(v, "unknown local %u", idx);
        return T_UNKNOWN;
    }
    return v->locals[idx];
}

static const wm_global *global(wm_validator *v, uint32_t idx)
{
    wasm_module *m = v->r->m;
    uint32_t n = v->info->kind == WM_EXPR_CONST ? v->info->const_nglobals : m->nglobals;
    if (idx >= n) {
        failf(v, "unknown global %u", idx);
        return NULL;
    }
    return &m->globals[idx];
}

static const wm_table *table(wm_validator *v, uint32_t idx)
{
    if (idx >= v->r->m->ntables) {
        failf(v, "unknown table %u", idx);
        return NULL;
    }
    return &v->r->m->tables[idx];
}

static bool has_memory(wm_validator *v, uint32_t idx)
{
    if (idx >= v->r->m->nmems) {
        failf(v, "unknown memory %u", idx);
        return false;
    }
    return true;
}

static const wm_functype *type_at(wm_validator *v, uint32_t idx)
{
    if (idx >= v->r->m->ntypes) {
        failf(v, "unknown type %u", idx);
        return NULL;
    }
    return &v->r->m->types[idx];
}

static const wm_functype *func_type(wm_validator *v, uint32_t idx)
{
    wasm_module *m = v->r->m;
    if (idx >= m->nfuncs) {
        failf(v, "unknown function %u", idx);
        return NULL;
    }
    uint32_t t = m->func_type[idx];
    return t < m->ntypes ? &m->types[t] : NULL;
}

/* ---- immediates ---------------------------------------------------------- */

static int read_zero(wm_validator *v)
{
    uint8_t b;
    if (rd_u8(v->r, &b) < 0)
        return -1;
    if (b != 0)
        return wasm_rd_malformed(v->r, "zero byte expected");
    return 0;
}

/* Block type: 0x40, a value type, or an s33 type index. */
static int read_blocktype(wm_validator *v, const uint8_t **params, uint32_t *np,
                          const uint8_t **results, uint32_t *nr)
{
    wm_reader *r = v->r;
    *params = *results = NULL;
    *np = *nr = 0;
    if (r->p >= r->end)
        return rd_eof(r);
    uint8_t b = *r->p;
    if (b == BLOCKTYPE_EMPTY) {
        r->p++;
        return 0;
    }
    if ((b & 0xC0) == 0x40) {
        uint8_t t;
        if (wasm_rd_valtype(r, &t) < 0)
            return -1;
        *results = single(t);
        *nr = 1;
        return 0;
    }
    int64_t idx;
    int rc = util_leb128_read_s33(&r->p, r->end, &idx);
    if (rc != UTIL_LEB128_OK)
        return rd_leb_error(r, rc);
    if (idx < 0)
        return wasm_rd_malformed(r, "malformed block type");
    const wm_functype *ft = type_at(v, (uint32_t)idx);
    if (ft) {
        *params = ft->types;
        *np = ft->nparams;
        *results = ft->types + ft->nparams;
        *nr = ft->nresults;
    }
    return 0;
}

/* memarg: align, offset.  Checks the memory and the alignment. */
static int read_memarg(wm_validator *v, uint32_t natural_log2)
{
    uint32_t align, offset;
    if (rd_u32(v->r, &align) < 0 || rd_u32(v->r, &offset) < 0)
        return -1;
    if (v->failed)
        return 0;
    if (has_memory(v, 0) && align > natural_log2)
        fail(v, "alignment must not be larger than natural");
    return 0;
}

/* ---- numeric instructions ------------------------------------------------ */

/* Operand and result types of the simple numeric opcodes: returns the
 * number of operands (1 or 2), or 0 if `op` is not one. */
static int numeric_sig(uint8_t op, uint8_t *in, uint8_t *out)
{
    switch (op) {
    case OPC_I32_EQZ: *in = WASM_I32; *out = WASM_I32; return 1;
    case OPC_I32_EQ ... OPC_I32_GE_U: *in = WASM_I32; *out = WASM_I32; return 2;
    case OPC_I64_EQZ: *in = WASM_I64; *out = WASM_I32; return 1;
    case OPC_I64_EQ ... OPC_I64_GE_U: *in = WASM_I64; *out = WASM_I32; return 2;
    case OPC_F32_EQ ... OPC_F32_GE: *in = WASM_F32; *out = WASM_I32; return 2;
    case OPC_F64_EQ ... OPC_F64_GE: *in = WASM_F64; *out = WASM_I32; return 2;
    case OPC_I32_CLZ ... OPC_I32_POPCNT: *in = WASM_I32; *out = WASM_I32; return 1;
    case OPC_I32_ADD ... OPC_I32_ROTR: *in = WASM_I32; *out = WASM_I32; return 2;
    case OPC_I64_CLZ ... OPC_I64_POPCNT: *in = WASM_I64; *out = WASM_I64; return 1;
    case OPC_I64_ADD ... OPC_I64_ROTR: *in = WASM_I64; *out = WASM_I64; return 2;
    case OPC_F32_ABS ... OPC_F32_SQRT: *in = WASM_F32; *out = WASM_F32; return 1;
    case OPC_F32_ADD ... OPC_F32_COPYSIGN: *in = WASM_F32; *out = WASM_F32; return 2;
    case OPC_F64_ABS ... OPC_F64_SQRT: *in = WASM_F64; *out = WASM_F64; return 1;
    case OPC_F64_ADD ... OPC_F64_COPYSIGN: *in = WASM_F64; *out = WASM_F64; return 2;
    case OPC_I32_WRAP_I64: *in = WASM_I64; *out = WASM_I32; return 1;
    case OPC_I32_TRUNC_F32_S: case OPC_I32_TRUNC_F32_U: *in = WASM_F32; *out = WASM_I32; return 1;
    case OPC_I32_TRUNC_F64_S: case OPC_I32_TRUNC_F64_U: *in = WASM_F64; *out = WASM_I32; return 1;
    case OPC_I64_EXTEND_I32_S: case OPC_I64_EXTEND_I32_U: *in = WASM_I32; *out = WASM_I64; return 1;
    case OPC_I64_TRUNC_F32_S: case OPC_I64_TRUNC_F32_U: *in = WASM_F32; *out = WASM_I64; return 1;
    case OPC_I64_TRUNC_F64_S: case OPC_I64_TRUNC_F64_U: *in = WASM_F64; *out = WASM_I64; return 1;
    case OPC_F32_CONVERT_I32_S: case OPC_F32_CONVERT_I32_U: *in = WASM_I32; *out = WASM_F32; return 1;
    case OPC_F32_CONVERT_I64_S: case OPC_F32_CONVERT_I64_U: *in = WASM_I64; *out = WASM_F32; return 1;
    case OPC_F32_DEMOTE_F64: *in = WASM_F64; *out = WASM_F32; return 1;
    case OPC_F64_CONVERT_I32_S: case OPC_F64_CONVERT_I32_U: *in = WASM_I32; *out = WASM_F64; return 1;
    case OPC_F64_CONVERT_I64_S: case OPC_F64_CONVERT_I64_U: *in = WASM_I64; *out = WASM_F64; return 1;
    case OPC_F64_PROMOTE_F32: *in = WASM_F32; *out = WASM_F64; return 1;
    case OPC_I32_REINTERPRET_F32: *in = WASM_F32; *out = WASM_I32; return 1;
    case OPC_I64_REINTERPRET_F64: *in = WASM_F64; *out = WASM_I64; return 1;
    case OPC_F32_REINTERPRET_I32: *in = WASM_I32; *out = WASM_F32; return 1;
    case OPC_F64_REINTERPRET_I64: *in = WASM_I64; *out = WASM_F64; return 1;
    case OPC_I32_EXTEND8_S: case OPC_I32_EXTEND16_S: *in = WASM_I32; *out = WASM_I32; return 1;
    case OPC_I64_EXTEND8_S ... OPC_I64_EXTEND32_S: *in = WASM_I64; *out = WASM_I64; return 1;
    default: return 0;
    }
}

/* Loads: natural alignment (log2) and result type; stores likewise. */
static bool load_sig(uint8_t op, uint32_t *align, uint8_t *t)
{
    static const struct { uint8_t align, type; } k[] = {
        {2, WASM_I32}, {3, WASM_I64}, {2, WASM_F32}, {3, WASM_F64}, /* 0x28..0x2B */
        {0, WASM_I32}, {0, WASM_I32}, {1, WASM_I32}, {1, WASM_I32}, /* 0x2C..0x2F */
        {0, WASM_I64}, {0, WASM_I64}, {1, WASM_I64}, {1, WASM_I64}, /* 0x30..0x33 */
        {2, WASM_I64}, {2, WASM_I64},                               /* 0x34..0x35 */
        {2, WASM_I32}, {3, WASM_I64}, {2, WASM_F32}, {3, WASM_F64}, /* 0x36..0x39 */
        {0, WASM_I32}, {1, WASM_I32}, {0, WASM_I64}, {1, WASM_I64}, /* 0x3A..0x3D */
        {2, WASM_I64},                                              /* 0x3E */
    };
    if (op < OPC_I32_LOAD || op > OPC_I64_STORE32)
        return false;
    *align = k[op - OPC_I32_LOAD].align;
    *t = k[op - OPC_I32_LOAD].type;
    return true;
}

static bool const_allowed(uint8_t op, const wasm_features *f)
{
    switch (op) {
    case OPC_I32_CONST: case OPC_I64_CONST: case OPC_F32_CONST: case OPC_F64_CONST:
    case OPC_REF_NULL: case OPC_REF_FUNC: case OPC_GLOBAL_GET: case OPC_END:
        return true;
    case OPC_I32_ADD: case OPC_I32_SUB: case OPC_I32_MUL:
    case OPC_I64_ADD: case OPC_I64_SUB: case OPC_I64_MUL:
        return !f->no_extended_const;
    default:
        return false;
    }
}

/* ---- calls ---------------------------------------------------------------- */

static void check_call(wm_validator *v, const wm_functype *ft, bool tail)
{
    if (!ft || v->failed)
        return;
    pop_vals(v, ft->types, ft->nparams);
    if (tail) {
        const ctl_frame *outer = &v->ctls[0];
        if (ft->nresults != outer->nresults ||
            (ft->nresults && memcmp(ft->types + ft->nparams, outer->results, ft->nresults) != 0))
            fail(v, "type mismatch");
        set_unreachable(v);
    } else {
        push_vals(v, ft->types + ft->nparams, ft->nresults);
    }
}

static int call_indirect(wm_validator *v, bool tail)
{
    uint32_t typeidx, tableidx;
    if (rd_u32(v->r, &typeidx) < 0 || rd_u32(v->r, &tableidx) < 0)
        return -1;
    if (v->failed)
        return 0;
    const wm_table *t = table(v, tableidx);
    if (!t)
        return 0;
    const wm_functype *ft = type_at(v, typeidx);
    if (!ft)
        return 0;
    if (t->type.elem_type != WASM_FUNCREF)
        return fail(v, "type mismatch");
    pop_expect(v, WASM_I32);
    check_call(v, ft, tail);
    return 0;
}

/* ---- 0xFC prefix ------------------------------------------------------- */

/* Without a data count section, data indices are checked at the end of
 * the module (decode.c), once the data section has been seen. */
static void note_data_index(wm_reader *r, uint32_t idx)
{
    if (!r->uses_data_index)
        r->first_data_index = idx;
    r->uses_data_index = true;
}

static int prefix_fc(wm_validator *v)
{
    wm_reader *r = v->r;
    wasm_module *m = r->m;
    uint32_t sub, a, b;
    if (rd_u32(r, &sub) < 0)
        return -1;
    if (v->info->kind == WM_EXPR_CONST && sub <= OPC_FC_TABLE_FILL)
        fail(v, "constant expression required");
    switch (sub) {
    case OPC_FC_I32_TRUNC_SAT_F32_S: case OPC_FC_I32_TRUNC_SAT_F32_U:
        pop_expect(v, WASM_F32); push(v, WASM_I32); return 0;
    case OPC_FC_I32_TRUNC_SAT_F64_S: case OPC_FC_I32_TRUNC_SAT_F64_U:
        pop_expect(v, WASM_F64); push(v, WASM_I32); return 0;
    case OPC_FC_I64_TRUNC_SAT_F32_S: case OPC_FC_I64_TRUNC_SAT_F32_U:
        pop_expect(v, WASM_F32); push(v, WASM_I64); return 0;
    case OPC_FC_I64_TRUNC_SAT_F64_S: case OPC_FC_I64_TRUNC_SAT_F64_U:
        pop_expect(v, WASM_F64); push(v, WASM_I64); return 0;
    case OPC_FC_MEMORY_INIT:
        if (rd_u32(r, &a) < 0 || read_zero(v) < 0)
            return -1;
        note_data_index(r, a);
        if (v->failed || !has_memory(v, 0))
            return 0;
        if (m->has_datacount && a >= m->datacount)
            return failf(v, "unknown data segment %u", a);
        pop_expect(v, WASM_I32); pop_expect(v, WASM_I32); pop_expect(v, WASM_I32);
        return 0;
    case OPC_FC_DATA_DROP:
        if (rd_u32(r, &a) < 0)
            return -1;
        note_data_index(r, a);
        if (!v->failed && m->has_datacount && a >= m->datacount)
            return failf(v, "unknown data segment %u", a);
        return 0;
    case OPC_FC_MEMORY_COPY:
        if (read_zero(v) < 0 || read_zero(v) < 0)
            return -1;
        if (v->failed || !has_memory(v, 0))
            return 0;
        pop_expect(v, WASM_I32); pop_expect(v, WASM_I32); pop_expect(v, WASM_I32);
        return 0;
    case OPC_FC_MEMORY_FILL:
        if (read_zero(v) < 0)
            return -1;
        if (v->failed || !has_memory(v, 0))
            return 0;
        pop_expect(v, WASM_I32); pop_expect(v, WASM_I32); pop_expect(v, WASM_I32);
        return 0;
    case OPC_FC_TABLE_INIT: {
        if (rd_u32(r, &a) < 0 || rd_u32(r, &b) < 0) /* elemidx, tableidx */
            return -1;
        if (v->failed)
            return 0;
        const wm_table *t = table(v, b);
        if (!t)
            return 0;
        if (a >= m->nelems)
            return failf(v, "unknown elem segment %u", a);
        if (m->elems[a].elem_type != t->type.elem_type)
            return fail(v, "type mismatch");
        pop_expect(v, WASM_I32); pop_expect(v, WASM_I32); pop_expect(v, WASM_I32);
        return 0;
    }
    case OPC_FC_ELEM_DROP:
        if (rd_u32(r, &a) < 0)
            return -1;
        if (!v->failed && a >= m->nelems)
            return failf(v, "unknown elem segment %u", a);
        return 0;
    case OPC_FC_TABLE_COPY: {
        if (rd_u32(r, &a) < 0 || rd_u32(r, &b) < 0)
            return -1;
        if (v->failed)
            return 0;
        const wm_table *ta = table(v, a);
        const wm_table *tb = ta ? table(v, b) : NULL;
        if (!ta || !tb)
            return 0;
        if (ta->type.elem_type != tb->type.elem_type)
            return fail(v, "type mismatch");
        pop_expect(v, WASM_I32); pop_expect(v, WASM_I32); pop_expect(v, WASM_I32);
        return 0;
    }
    case OPC_FC_TABLE_GROW:
    case OPC_FC_TABLE_SIZE:
    case OPC_FC_TABLE_FILL: {
        if (rd_u32(r, &a) < 0)
            return -1;
        if (v->failed)
            return 0;
        const wm_table *t = table(v, a);
        if (!t)
            return 0;
        if (sub == OPC_FC_TABLE_GROW) {
            pop_expect(v, WASM_I32);
            pop_expect(v, t->type.elem_type);
            push(v, WASM_I32);
        } else if (sub == OPC_FC_TABLE_SIZE) {
            push(v, WASM_I32);
        } else {
            pop_expect(v, WASM_I32);
            pop_expect(v, t->type.elem_type);
            pop_expect(v, WASM_I32);
        }
        return 0;
    }
    default:
        return wasm_rd_malformed(r, "illegal opcode 0xfc %u", sub);
    }
}

/* ---- the main loop --------------------------------------------------------- */

static int br_table(wm_validator *v)
{
    wm_reader *r = v->r;
    uint32_t n, l, deflt;
    if (rd_vec(r, &n) < 0)
        return -1;
    const uint8_t *labels = r->p;
    for (uint32_t i = 0; i < n; i++)
        if (rd_u32(r, &l) < 0)
            return -1;
    if (rd_u32(r, &deflt) < 0)
        return -1;
    if (v->failed)
        return 0;
    pop_expect(v, WASM_I32);
    const ctl_frame *df = label(v, deflt);
    if (!df)
        return 0;
    const uint8_t *dtypes;
    uint32_t arity;
    label_types(df, &dtypes, &arity);
    const uint8_t *p = labels;
    for (uint32_t i = 0; i < n && !v->failed; i++) {
        const ctl_frame *f = label(v, util_leb128_fast_u32(&p));
        if (!f)
            return 0;
        const uint8_t *types;
        uint32_t cnt;
        label_types(f, &types, &cnt);
        if (cnt != arity)
            return fail(v, "type mismatch");
        peek_vals(v, types, cnt);
    }
    pop_vals(v, dtypes, arity);
    set_unreachable(v);
    return 0;
}

static int instr(wm_validator *v, uint8_t op)
{
    wm_reader *r = v->r;
    wasm_module *m = r->m;
    uint32_t a;
    uint8_t t, in, out;

    if (v->info->kind == WM_EXPR_CONST && !const_allowed(op, &m->features) &&
        op != OPC_PREFIX_FC)
        fail(v, "constant expression required");

    switch (op) {
    case OPC_UNREACHABLE:
        set_unreachable(v);
        return 0;
    case OPC_NOP:
        return 0;
    case OPC_BLOCK:
    case OPC_LOOP:
    case OPC_IF: {
        const uint8_t *params, *results;
        uint32_t np, nr;
        if (read_blocktype(v, &params, &np, &results, &nr) < 0)
            return -1;
        if (op == OPC_IF)
            pop_expect(v, WASM_I32);
        pop_vals(v, params, np);
        push_ctl(v, op, params, np, results, nr);
        return 0;
    }
    case OPC_ELSE: {
        ctl_frame *f = &v->ctls[v->nctls - 1];
        if (f->opcode != OPC_IF)
            return wasm_rd_malformed(r, "END opcode expected");
        ctl_frame done = pop_ctl(v);
        push_ctl(v, OPC_ELSE, done.params, done.nparams, done.results, done.nresults);
        return 0;
    }
    case OPC_END: {
        const ctl_frame *f = &v->ctls[v->nctls - 1];
        if (!v->failed && f->opcode == OPC_IF &&
            (f->nparams != f->nresults ||
             (f->nparams && memcmp(f->params, f->results, f->nparams) != 0)))
            fail(v, "type mismatch");
        ctl_frame done = pop_ctl(v);
        push_vals(v, done.results, done.nresults);
        return 0;
    }
    case OPC_BR:
    case OPC_BR_IF: {
        if (rd_u32(r, &a) < 0)
            return -1;
        if (v->failed)
            return 0;
        if (op == OPC_BR_IF)
            pop_expect(v, WASM_I32);
        const ctl_frame *f = label(v, a);
        if (!f)
            return 0;
        const uint8_t *types;
        uint32_t n;
        label_types(f, &types, &n);
        pop_vals(v, types, n);
        if (op == OPC_BR)
            set_unreachable(v);
        else
            push_vals(v, types, n);
        return 0;
    }
    case OPC_BR_TABLE:
        return br_table(v);
    case OPC_RETURN:
        if (!v->failed) {
            pop_vals(v, v->ctls[0].results, v->ctls[0].nresults);
            set_unreachable(v);
        }
        return 0;
    case OPC_CALL:
    case OPC_RETURN_CALL:
        if (op == OPC_RETURN_CALL && !m->features.tail_call)
            return wasm_rd_malformed(r, "illegal opcode 0x%02x", op);
        if (rd_u32(r, &a) < 0)
            return -1;
        if (!v->failed)
            check_call(v, func_type(v, a), op == OPC_RETURN_CALL);
        return 0;
    case OPC_CALL_INDIRECT:
    case OPC_RETURN_CALL_INDIRECT:
        if (op == OPC_RETURN_CALL_INDIRECT && !m->features.tail_call)
            return wasm_rd_malformed(r, "illegal opcode 0x%02x", op);
        return call_indirect(v, op == OPC_RETURN_CALL_INDIRECT);
    case OPC_DROP:
        pop(v);
        return 0;
    case OPC_SELECT: {
        pop_expect(v, WASM_I32);
        uint8_t t1 = pop(v), t2 = pop(v);
        if (v->failed)
            return 0;
        if (wm_is_reftype(t1) || wm_is_reftype(t2))
            return fail(v, "type mismatch");
        if (t1 != t2 && t1 != T_UNKNOWN && t2 != T_UNKNOWN)
            return fail(v, "type mismatch");
        push(v, t1 == T_UNKNOWN ? t2 : t1);
        return 0;
    }
    case OPC_SELECT_T: {
        uint32_t n;
        if (rd_vec(r, &n) < 0)
            return -1;
        uint8_t first = T_UNKNOWN;
        for (uint32_t i = 0; i < n; i++) {
            if (wasm_rd_valtype(r, &t) < 0)
                return -1;
            if (i == 0)
                first = t;
        }
        if (n != 1)
            return fail(v, "invalid result arity");
        pop_expect(v, WASM_I32);
        pop_expect(v, first);
        pop_expect(v, first);
        push(v, first);
        return 0;
    }
    case OPC_LOCAL_GET:
    case OPC_LOCAL_SET:
    case OPC_LOCAL_TEE:
        if (rd_u32(r, &a) < 0)
            return -1;
        if (v->failed)
            return 0;
        t = local_type(v, a);
        if (op == OPC_LOCAL_GET) {
            push(v, t);
        } else {
            pop_expect(v, t);
            if (op == OPC_LOCAL_TEE)
                push(v, t);
        }
        return 0;
    case OPC_GLOBAL_GET:
    case OPC_GLOBAL_SET: {
        if (rd_u32(r, &a) < 0)
            return -1;
        if (v->failed)
            return 0;
        const wm_global *g = global(v, a);
        if (!g)
            return 0;
        if (op == OPC_GLOBAL_GET) {
            if (v->info->kind == WM_EXPR_CONST && g->type.mutable_)
                return fail(v, "constant expression required");
            push(v, g->type.valtype);
        } else {
            if (!g->type.mutable_)
                return fail(v, "global is immutable");
            pop_expect(v, g->type.valtype);
        }
        return 0;
    }
    case OPC_TABLE_GET:
    case OPC_TABLE_SET: {
        if (rd_u32(r, &a) < 0)
            return -1;
        if (v->failed)
            return 0;
        const wm_table *tb = table(v, a);
        if (!tb)
            return 0;
        if (op == OPC_TABLE_GET) {
            pop_expect(v, WASM_I32);
            push(v, tb->type.elem_type);
        } else {
            pop_expect(v, tb->type.elem_type);
            pop_expect(v, WASM_I32);
        }
        return 0;
    }
    case OPC_I32_LOAD ... OPC_I64_STORE32: {
        uint32_t align;
        load_sig(op, &align, &t);
        if (read_memarg(v, align) < 0)
            return -1;
        if (op <= OPC_I64_LOAD32_U) {
            pop_expect(v, WASM_I32);
            push(v, t);
        } else {
            pop_expect(v, t);
            pop_expect(v, WASM_I32);
        }
        return 0;
    }
    case OPC_MEMORY_SIZE:
    case OPC_MEMORY_GROW:
        if (read_zero(v) < 0)
            return -1;
        if (v->failed || !has_memory(v, 0))
            return 0;
        if (op == OPC_MEMORY_GROW)
            pop_expect(v, WASM_I32);
        push(v, WASM_I32);
        return 0;
    case OPC_I32_CONST: {
        int32_t x;
        if (rd_s32(r, &x) < 0)
            return -1;
        push(v, WASM_I32);
        return 0;
    }
    case OPC_I64_CONST: {
        int64_t x;
        if (rd_s64(r, &x) < 0)
            return -1;
        push(v, WASM_I64);
        return 0;
    }
    case OPC_F32_CONST:
        if (rd_skip(r, 4) < 0)
            return -1;
        push(v, WASM_F32);
        return 0;
    case OPC_F64_CONST:
        if (rd_skip(r, 8) < 0)
            return -1;
        push(v, WASM_F64);
        return 0;
    case OPC_REF_NULL:
        if (rd_u8(r, &t) < 0)
            return -1;
        if (!wm_is_reftype(t))
            return wasm_rd_malformed(r, "malformed reference type");
        push(v, t);
        return 0;
    case OPC_REF_IS_NULL:
        t = pop(v);
        if (!v->failed && t != T_UNKNOWN && !wm_is_reftype(t))
            return fail(v, "type mismatch");
        push(v, WASM_I32);
        return 0;
    case OPC_REF_FUNC:
        if (rd_u32(r, &a) < 0)
            return -1;
        if (v->failed)
            return 0;
        if (a >= m->nfuncs)
            return failf(v, "unknown function %u", a);
        if (v->info->kind == WM_EXPR_CONST)
            m->func_declared[a] = 1; /* constant expressions declare references */
        else if (!m->func_declared[a])
            return fail(v, "undeclared function reference");
        push(v, WASM_FUNCREF);
        return 0;
    case OPC_PREFIX_FC:
        return prefix_fc(v);
    case OPC_PREFIX_FD:
        return wasm_rd_malformed(r, "SIMD instructions are not supported (opcode 0xfd)");
    default: {
        int n = numeric_sig(op, &in, &out);
        if (n == 0)
            return wasm_rd_malformed(r, "illegal opcode 0x%02x", op);
        pop_expect(v, in);
        if (n == 2)
            pop_expect(v, in);
        push(v, out);
        return 0;
    }
    }
}

static void setup_locals(wm_validator *v, const wm_expr_info *info)
{
    const wm_functype *ft = info->type;
    uint32_t np = ft ? ft->nparams : 0;
    uint32_t n = np + info->nlocals;
    if (n > v->caplocals || !v->locals) {
        v->caplocals = n ? n : 1;
        v->locals = util_xrealloc(v->locals, v->caplocals);
    }
    if (np)
        memcpy(v->locals, ft->types, np);
    uint32_t k = np;
    for (uint32_t g = 0; g < info->nlocal_groups; g++) {
        memset(v->locals + k, info->locals[g].valtype, info->locals[g].count);
        k += info->locals[g].count;
    }
    v->nlocals_all = n;
}

int wasm_wm_validate_expr(wm_reader *r, wm_expr_info *info)
{
    if (!r->val)
        r->val = util_xcalloc(1, sizeof(wm_validator));
    wm_validator *v = r->val;
    v->r = r;
    v->info = info;
    v->nvals = v->nctls = 0;
    v->max_stack = v->max_depth = 0;
    v->failed = r->invalid; /* after the first error, only decode */

    if (info->kind == WM_EXPR_BODY) {
        setup_locals(v, info);
        const wm_functype *ft = info->type;
        if (!ft)
            v->failed = true;
        push_ctl(v, OPC_END, NULL, 0, ft ? ft->types + ft->nparams : NULL,
                 ft ? ft->nresults : 0);
    } else {
        v->nlocals_all = 0;
        push_ctl(v, OPC_END, NULL, 0, single(info->const_type), 1);
    }

    while (v->nctls > 0) {
        uint8_t op;
        if (rd_u8(r, &op) < 0)
            return -1;
        if (instr(v, op) < 0)
            return -1;
    }
    info->max_stack = v->max_stack;
    info->max_depth = v->max_depth;
    return 0;
}
