/*
 * opcodes.h - Wasm binary opcodes (core 2.0 without SIMD, plus tail calls)
 * as plain enums: OPC_* for single-byte opcodes, OPC_FC_* for the sub-opcode
 * (a u32 LEB) following the 0xFC prefix.  Shared by the validator and the
 * translator; names follow the spec's text format.
 */
#ifndef ENGINE_OPCODES_H
#define ENGINE_OPCODES_H

enum wasm_opcode {
    /* control */
    OPC_UNREACHABLE = 0x00, OPC_NOP = 0x01, OPC_BLOCK = 0x02, OPC_LOOP = 0x03, OPC_IF = 0x04,
    OPC_ELSE = 0x05, OPC_END = 0x0B, OPC_BR = 0x0C, OPC_BR_IF = 0x0D, OPC_BR_TABLE = 0x0E,
    OPC_RETURN = 0x0F, OPC_CALL = 0x10, OPC_CALL_INDIRECT = 0x11,
    OPC_RETURN_CALL = 0x12, OPC_RETURN_CALL_INDIRECT = 0x13, /* tail-call proposal */
    /* parametric */
    OPC_DROP = 0x1A, OPC_SELECT = 0x1B, OPC_SELECT_T = 0x1C,
    /* variables */
    OPC_LOCAL_GET = 0x20, OPC_LOCAL_SET = 0x21, OPC_LOCAL_TEE = 0x22, OPC_GLOBAL_GET = 0x23,
    OPC_GLOBAL_SET = 0x24,
    /* tables */
    OPC_TABLE_GET = 0x25, OPC_TABLE_SET = 0x26,
    /* memory: memarg = align u32, offset u32 */
    OPC_I32_LOAD = 0x28, OPC_I64_LOAD = 0x29, OPC_F32_LOAD = 0x2A, OPC_F64_LOAD = 0x2B,
    OPC_I32_LOAD8_S = 0x2C, OPC_I32_LOAD8_U = 0x2D, OPC_I32_LOAD16_S = 0x2E,
    OPC_I32_LOAD16_U = 0x2F, OPC_I64_LOAD8_S = 0x30, OPC_I64_LOAD8_U = 0x31,
    OPC_I64_LOAD16_S = 0x32, OPC_I64_LOAD16_U = 0x33, OPC_I64_LOAD32_S = 0x34,
    OPC_I64_LOAD32_U = 0x35, OPC_I32_STORE = 0x36, OPC_I64_STORE = 0x37, OPC_F32_STORE = 0x38,
    OPC_F64_STORE = 0x39, OPC_I32_STORE8 = 0x3A, OPC_I32_STORE16 = 0x3B, OPC_I64_STORE8 = 0x3C,
    OPC_I64_STORE16 = 0x3D, OPC_I64_STORE32 = 0x3E, OPC_MEMORY_SIZE = 0x3F,
    OPC_MEMORY_GROW = 0x40,
    /* constants */
    OPC_I32_CONST = 0x41, OPC_I64_CONST = 0x42, OPC_F32_CONST = 0x43, OPC_F64_CONST = 0x44,
    /* i32 comparisons */
    OPC_I32_EQZ = 0x45, OPC_I32_EQ = 0x46, OPC_I32_NE = 0x47, OPC_I32_LT_S = 0x48,
    OPC_I32_LT_U = 0x49, OPC_I32_GT_S = 0x4A, OPC_I32_GT_U = 0x4B, OPC_I32_LE_S = 0x4C,
    OPC_I32_LE_U = 0x4D, OPC_I32_GE_S = 0x4E, OPC_I32_GE_U = 0x4F,
    /* i64 comparisons */
    OPC_I64_EQZ = 0x50, OPC_I64_EQ = 0x51, OPC_I64_NE = 0x52, OPC_I64_LT_S = 0x53,
    OPC_I64_LT_U = 0x54, OPC_I64_GT_S = 0x55, OPC_I64_GT_U = 0x56, OPC_I64_LE_S = 0x57,
    OPC_I64_LE_U = 0x58, OPC_I64_GE_S = 0x59, OPC_I64_GE_U = 0x5A,
    /* float comparisons */
    OPC_F32_EQ = 0x5B, OPC_F32_NE = 0x5C, OPC_F32_LT = 0x5D, OPC_F32_GT = 0x5E,
    OPC_F32_LE = 0x5F, OPC_F32_GE = 0x60, OPC_F64_EQ = 0x61, OPC_F64_NE = 0x62,
    OPC_F64_LT = 0x63, OPC_F64_GT = 0x64, OPC_F64_LE = 0x65, OPC_F64_GE = 0x66,
    /* i32 arithmetic */
    OPC_I32_CLZ = 0x67, OPC_I32_CTZ = 0x68, OPC_I32_POPCNT = 0x69, OPC_I32_ADD = 0x6A,
    OPC_I32_SUB = 0x6B, OPC_I32_MUL = 0x6C, OPC_I32_DIV_S = 0x6D, OPC_I32_DIV_U = 0x6E,
    OPC_I32_REM_S = 0x6F, OPC_I32_REM_U = 0x70, OPC_I32_AND = 0x71, OPC_I32_OR = 0x72,
    OPC_I32_XOR = 0x73, OPC_I32_SHL = 0x74, OPC_I32_SHR_S = 0x75, OPC_I32_SHR_U = 0x76,
    OPC_I32_ROTL = 0x77, OPC_I32_ROTR = 0x78,
    /* i64 arithmetic */
    OPC_I64_CLZ = 0x79, OPC_I64_CTZ = 0x7A, OPC_I64_POPCNT = 0x7B, OPC_I64_ADD = 0x7C,
    OPC_I64_SUB = 0x7D, OPC_I64_MUL = 0x7E, OPC_I64_DIV_S = 0x7F, OPC_I64_DIV_U = 0x80,
    OPC_I64_REM_S = 0x81, OPC_I64_REM_U = 0x82, OPC_I64_AND = 0x83, OPC_I64_OR = 0x84,
    OPC_I64_XOR = 0x85, OPC_I64_SHL = 0x86, OPC_I64_SHR_S = 0x87, OPC_I64_SHR_U = 0x88,
    OPC_I64_ROTL = 0x89, OPC_I64_ROTR = 0x8A,
    /* f32 arithmetic */
    OPC_F32_ABS = 0x8B, OPC_F32_NEG = 0x8C, OPC_F32_CEIL = 0x8D, OPC_F32_FLOOR = 0x8E,
    OPC_F32_TRUNC = 0x8F, OPC_F32_NEAREST = 0x90, OPC_F32_SQRT = 0x91, OPC_F32_ADD = 0x92,
    OPC_F32_SUB = 0x93, OPC_F32_MUL = 0x94, OPC_F32_DIV = 0x95, OPC_F32_MIN = 0x96,
    OPC_F32_MAX = 0x97, OPC_F32_COPYSIGN = 0x98,
    /* f64 arithmetic */
    OPC_F64_ABS = 0x99, OPC_F64_NEG = 0x9A, OPC_F64_CEIL = 0x9B, OPC_F64_FLOOR = 0x9C,
    OPC_F64_TRUNC = 0x9D, OPC_F64_NEAREST = 0x9E, OPC_F64_SQRT = 0x9F, OPC_F64_ADD = 0xA0,
    OPC_F64_SUB = 0xA1, OPC_F64_MUL = 0xA2, OPC_F64_DIV = 0xA3, OPC_F64_MIN = 0xA4,
    OPC_F64_MAX = 0xA5, OPC_F64_COPYSIGN = 0xA6,
    /* conversions */
    OPC_I32_WRAP_I64 = 0xA7, OPC_I32_TRUNC_F32_S = 0xA8, OPC_I32_TRUNC_F32_U = 0xA9,
    OPC_I32_TRUNC_F64_S = 0xAA, OPC_I32_TRUNC_F64_U = 0xAB, OPC_I64_EXTEND_I32_S = 0xAC,
    OPC_I64_EXTEND_I32_U = 0xAD, OPC_I64_TRUNC_F32_S = 0xAE, OPC_I64_TRUNC_F32_U = 0xAF,
    OPC_I64_TRUNC_F64_S = 0xB0, OPC_I64_TRUNC_F64_U = 0xB1, OPC_F32_CONVERT_I32_S = 0xB2,
    OPC_F32_CONVERT_I32_U = 0xB3, OPC_F32_CONVERT_I64_S = 0xB4, OPC_F32_CONVERT_I64_U = 0xB5,
    OPC_F32_DEMOTE_F64 = 0xB6, OPC_F64_CONVERT_I32_S = 0xB7, OPC_F64_CONVERT_I32_U = 0xB8,
    OPC_F64_CONVERT_I64_S = 0xB9, OPC_F64_CONVERT_I64_U = 0xBA, OPC_F64_PROMOTE_F32 = 0xBB,
    OPC_I32_REINTERPRET_F32 = 0xBC, OPC_I64_REINTERPRET_F64 = 0xBD,
    OPC_F32_REINTERPRET_I32 = 0xBE, OPC_F64_REINTERPRET_I64 = 0xBF,
    /* sign extension */
    OPC_I32_EXTEND8_S = 0xC0, OPC_I32_EXTEND16_S = 0xC1, OPC_I64_EXTEND8_S = 0xC2,
    OPC_I64_EXTEND16_S = 0xC3, OPC_I64_EXTEND32_S = 0xC4,
    /* reference types */
    OPC_REF_NULL = 0xD0, OPC_REF_IS_NULL = 0xD1, OPC_REF_FUNC = 0xD2,
    /* prefixes */
    OPC_PREFIX_FC = 0xFC,
    OPC_PREFIX_FD = 0xFD, /* SIMD: rejected */
};

/* Sub-opcodes after 0xFC. */
enum wasm_opcode_fc {
    OPC_FC_I32_TRUNC_SAT_F32_S = 0, OPC_FC_I32_TRUNC_SAT_F32_U = 1,
    OPC_FC_I32_TRUNC_SAT_F64_S = 2, OPC_FC_I32_TRUNC_SAT_F64_U = 3,
    OPC_FC_I64_TRUNC_SAT_F32_S = 4, OPC_FC_I64_TRUNC_SAT_F32_U = 5,
    OPC_FC_I64_TRUNC_SAT_F64_S = 6, OPC_FC_I64_TRUNC_SAT_F64_U = 7,
    OPC_FC_MEMORY_INIT = 8,  /* dataidx u32, memidx byte 0x00 */
    OPC_FC_DATA_DROP = 9,    /* dataidx u32 */
    OPC_FC_MEMORY_COPY = 10, /* dst memidx, src memidx (0x00 0x00) */
    OPC_FC_MEMORY_FILL = 11, /* memidx 0x00 */
    OPC_FC_TABLE_INIT = 12,  /* elemidx u32, tableidx u32 */
    OPC_FC_ELEM_DROP = 13,   /* elemidx u32 */
    OPC_FC_TABLE_COPY = 14,  /* dst tableidx u32, src tableidx u32 */
    OPC_FC_TABLE_GROW = 15,  /* tableidx u32 */
    OPC_FC_TABLE_SIZE = 16,  /* tableidx u32 */
    OPC_FC_TABLE_FILL = 17,  /* tableidx u32 */
};

/* Block type encodings (the s33 read at block/loop/if). */
enum {
    BLOCKTYPE_EMPTY = 0x40,
};

#endif
