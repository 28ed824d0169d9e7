/*
 * ops.h - the instruction set of the interpreter's internal code, as one
 * X-macro list so the translator (which emits) and the interpreter (which
 * dispatches) can never disagree about numbering.
 *
 * Each instruction is a handler offset followed by 32-bit operands; the
 * comment after each group gives the operand layout.  "d" = destination
 * slot, "a"/"b"/"c" = source slots, "off" = static memory offset,
 * "rel" = branch displacement in code units, relative to the instruction.
 * Reinterpretations and i32.wrap_i64 need no instruction at all: slots are
 * untyped and an i32 is the low half of its slot.
 */
#ifndef ENGINE_OPS_H
#define ENGINE_OPS_H

/* d a b */
#define RT_BINOPS(X) \
    X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_DIV_S) X(I32_DIV_U) X(I32_REM_S) X(I32_REM_U) \
    X(I32_AND) X(I32_OR) X(I32_XOR) X(I32_SHL) X(I32_SHR_S) X(I32_SHR_U) X(I32_ROTL) \
    X(I32_ROTR) X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) \
    X(I32_LE_S) X(I32_LE_U) X(I32_GE_S) X(I32_GE_U) \
    X(I64_ADD) X(I64_SUB) X(I64_MUL) X(I64_DIV_S) X(I64_DIV_U) X(I64_REM_S) X(I64_REM_U) \
    X(I64_AND) X(I64_OR) X(I64_XOR) X(I64_SHL) X(I64_SHR_S) X(I64_SHR_U) X(I64_ROTL) \
    X(I64_ROTR) X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) X(I64_GT_S) X(I64_GT_U) \
    X(I64_LE_S) X(I64_LE_U) X(I64_GE_S) X(I64_GE_U) \
    X(F32_ADD) X(F32_SUB) X(F32_MUL) X(F32_DIV) X(F32_MIN) X(F32_MAX) X(F32_COPYSIGN) \
    X(F32_EQ) X(F32_NE) X(F32_LT) X(F32_GT) X(F32_LE) X(F32_GE) \
    X(F64_ADD) X(F64_SUB) X(F64_MUL) X(F64_DIV) X(F64_MIN) X(F64_MAX) X(F64_COPYSIGN) \
    X(F64_EQ) X(F64_NE) X(F64_LT) X(F64_GT) X(F64_LE) X(F64_GE)

/* d a */
#define RT_UNOPS(X) \
    X(I32_EQZ) X(I32_CLZ) X(I32_CTZ) X(I32_POPCNT) \
    X(I64_EQZ) X(I64_CLZ) X(I64_CTZ) X(I64_POPCNT) \
    X(F32_ABS) X(F32_NEG) X(F32_CEIL) X(F32_FLOOR) X(F32_TRUNC) X(F32_NEAREST) X(F32_SQRT) \
    X(F64_ABS) X(F64_NEG) X(F64_CEIL) X(F64_FLOOR) X(F64_TRUNC) X(F64_NEAREST) X(F64_SQRT) \
    X(I32_TRUNC_F32_S) X(I32_TRUNC_F32_U) X(I32_TRUNC_F64_S) X(I32_TRUNC_F64_U) \
    X(I64_EXTEND_I32_S) X(I64_EXTEND_I32_U) \
    X(I64_TRUNC_F32_S) X(I64_TRUNC_F32_U) X(I64_TRUNC_F64_S) X(I64_TRUNC_F64_U) \
    X(F32_CONVERT_I32_S) X(F32_CONVERT_I32_U) X(F32_CONVERT_I64_S) X(F32_CONVERT_I64_U) \
    X(F32_DEMOTE_F64) \
    X(F64_CONVERT_I32_S) X(F64_CONVERT_I32_U) X(F64_CONVERT_I64_S) X(F64_CONVERT_I64_U) \
    X(F64_PROMOTE_F32) \
    X(I32_EXTEND8_S) X(I32_EXTEND16_S) X(I64_EXTEND8_S) X(I64_EXTEND16_S) X(I64_EXTEND32_S) \
    X(I32_TRUNC_SAT_F32_S) X(I32_TRUNC_SAT_F32_U) X(I32_TRUNC_SAT_F64_S) \
    X(I32_TRUNC_SAT_F64_U) X(I64_TRUNC_SAT_F32_S) X(I64_TRUNC_SAT_F32_U) \
    X(I64_TRUNC_SAT_F64_S) X(I64_TRUNC_SAT_F64_U) \
    X(REF_IS_NULL)

/* loads: d addr off; stores: addr val off (memory 0) */
#define RT_MEMOPS(X) \
    X(LOAD32) X(LOAD64) X(LOAD8_S32) X(LOAD8_U32) X(LOAD16_S32) X(LOAD16_U32) \
    X(LOAD8_S64) X(LOAD8_U64) X(LOAD16_S64) X(LOAD16_U64) X(LOAD32_S64) X(LOAD32_U64) \
    X(STORE32) X(STORE64) X(STORE8) X(STORE16) \
    X(LOAD32_ADD) X(LOAD64_ADD) X(LOAD8_U32_ADD) /* d a b off: address (u32)(a + b) */

#define RT_OTHEROPS(X) \
    X(NOP)              /* */ \
    X(UNREACHABLE)      /* */ \
    X(COPY)             /* d a */ \
    X(BR)               /* rel */ \
    X(BR_BACK)          /* rel            (loop back-edge: checks interrupts) */ \
    X(BR_IF)            /* c rel */ \
    X(BR_IF_BACK)       /* c rel */ \
    X(BR_UNLESS)        /* c rel */ \
    X(BR_IF_I32_EQ) X(BR_IF_I32_NE) X(BR_IF_I32_LT_S) X(BR_IF_I32_LT_U) X(BR_IF_I32_GT_S) \
    X(BR_IF_I32_GT_U) X(BR_IF_I32_LE_S) X(BR_IF_I32_LE_U) X(BR_IF_I32_GE_S) X(BR_IF_I32_GE_U) \
                        /* a b rel: compare and branch, same order as I32_EQ.. */ \
    X(BR_TABLE)         /* c n rel*(n+1) */ \
    X(RETURN)           /* */ \
    X(CALL)             /* funcidx base */ \
    X(CALL_INDIRECT)    /* tableidx typeidx elem base */ \
    X(RETURN_CALL)      /* funcidx base */ \
    X(RETURN_CALL_INDIRECT) /* tableidx typeidx elem base */ \
    X(SELECT)           /* d c a b */ \
    X(GLOBAL_GET)       /* d idx */ \
    X(GLOBAL_SET)       /* idx a */ \
    X(MEMORY_SIZE)      /* d memidx */ \
    X(MEMORY_GROW)      /* d a memidx */ \
    X(MEMORY_COPY)      /* dst src n dmem smem */ \
    X(MEMORY_FILL)      /* dst val n memidx */ \
    X(MEMORY_INIT)      /* dst src n seg memidx */ \
    X(DATA_DROP)        /* seg */ \
    X(TABLE_GET)        /* d i tableidx */ \
    X(TABLE_SET)        /* i v tableidx */ \
    X(TABLE_SIZE)       /* d tableidx */ \
    X(TABLE_GROW)       /* d init n tableidx */ \
    X(TABLE_FILL)       /* i v n tableidx */ \
    X(TABLE_COPY)       /* dst src n dtab stab */ \
    X(TABLE_INIT)       /* dst src n seg tableidx */ \
    X(ELEM_DROP)        /* seg */ \
    X(REF_FUNC)         /* d funcidx */ \
    X(LOADM)            /* d addr off kind memidx   (memidx != 0) */ \
    X(STOREM)           /* addr val off kind memidx */ \
    X(ENTER)            /* (function prologue, never emitted: marks code start) */

#define RT_ALLOPS(X) RT_BINOPS(X) RT_UNOPS(X) RT_MEMOPS(X) RT_OTHEROPS(X)

enum rt_op {
#define RT_OP_ENUM(name) OP_##name,
    RT_ALLOPS(RT_OP_ENUM)
#undef RT_OP_ENUM
        OP_COUNT_
};

#endif
