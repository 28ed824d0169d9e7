/*
 * x64_emit.h - a small x86-64 instruction encoder for the compiler tier:
 * only the forms jit_compile.c needs, each a function that appends the
 * bytes of one instruction to a growable buffer.  Memory operands are
 * always [base + disp32] or [base + index + disp8 0]; that costs a few
 * bytes over the shortest encodings and keeps the encoder obviously right.
 */
#ifndef ENGINE_X64_EMIT_H
#define ENGINE_X64_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum x64_reg {
    X_RAX, X_RCX, X_RDX, X_RBX, X_RSP, X_RBP, X_RSI, X_RDI,
    X_R8, X_R9, X_R10, X_R11, X_R12, X_R13, X_R14, X_R15
};

/* condition codes (the low nibble of Jcc / SETcc / CMOVcc) */
enum x64_cc {
    CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5, CC_BE = 0x6, CC_A = 0x7,
    CC_L = 0xC, CC_GE = 0xD, CC_LE = 0xE, CC_G = 0xF
};

/* ALU ops "op r/m, reg" (the opcode byte) */
enum x64_alu { ALU_ADD = 0x01, ALU_OR = 0x09, ALU_AND = 0x21, ALU_SUB = 0x29, ALU_XOR = 0x31,
               ALU_CMP = 0x39 };
/* group-2 shift ops, the /digit of D3 */
enum x64_shift { SH_ROL = 0, SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };

typedef struct x64_buf {
    uint8_t *p;
    size_t len, cap;
} x64_buf;

void wasm_x64_byte(x64_buf *b, uint8_t v);
void wasm_x64_u32(x64_buf *b, uint32_t v);
/* patches a rel32 at `at` to reach `target` (both buffer offsets; the
 * displacement counts from the end of the 4 bytes) */
void wasm_x64_patch_rel32(x64_buf *b, size_t at, size_t target);

/* w: 64-bit operand size (REX.W) */
void wasm_x64_load(x64_buf *b, bool w, int reg, int base, int32_t disp);   /* mov reg, [base+disp] */
void wasm_x64_store(x64_buf *b, bool w, int base, int32_t disp, int reg);  /* mov [base+disp], reg */
void wasm_x64_mov_imm64(x64_buf *b, int reg, uint64_t imm);               /* shortest mov reg, imm */
void wasm_x64_mov_rr(x64_buf *b, bool w, int dst, int src);
void wasm_x64_alu_rr(x64_buf *b, bool w, enum x64_alu op, int dst, int src); /* dst op= src */
void wasm_x64_alu_imm(x64_buf *b, bool w, enum x64_alu op, int dst, int32_t imm);
void wasm_x64_alu_mem_imm(x64_buf *b, bool w, enum x64_alu op, int base, int32_t disp, int32_t imm);
void wasm_x64_test_rr(x64_buf *b, bool w, int a, int c);
void wasm_x64_imul_rr(x64_buf *b, bool w, int dst, int src);
void wasm_x64_imul_imm(x64_buf *b, bool w, int dst, int src, int32_t imm); /* dst = src*imm */
void wasm_x64_shift_imm(x64_buf *b, bool w, enum x64_shift op, int reg, uint8_t n);
void wasm_x64_shift_cl(x64_buf *b, bool w, enum x64_shift op, int reg);
void wasm_x64_div(x64_buf *b, bool w, bool is_signed, int src); /* (i)div src */
void wasm_x64_sign_extend_ax(x64_buf *b, bool w);                /* cdq / cqo */
void wasm_x64_setcc_zx(x64_buf *b, enum x64_cc cc, int reg);     /* setcc + movzx to 32 bits */
void wasm_x64_cmov(x64_buf *b, bool w, enum x64_cc cc, int dst, int src);
void wasm_x64_movsx(x64_buf *b, bool w, int dst, int src, int bits);  /* 8/16/32 from a register */
/* loads of `bytes` (1,2,4,8) from [base + index] into reg: zero-extended
 * (sext 0), or sign-extended to 32 bits (upper half zero) or to 64 bits
 * (sext 32 / 64); stores of the low `bytes` of reg */
void wasm_x64_load_idx(x64_buf *b, int reg, int base, int index, int bytes, int sext);
void wasm_x64_store_idx(x64_buf *b, int base, int index, int reg, int bytes);
void wasm_x64_lea(x64_buf *b, int reg, int base, int32_t disp); /* lea reg, [base+disp] (64-bit) */
void wasm_x64_push(x64_buf *b, int reg);
void wasm_x64_pop(x64_buf *b, int reg);
void wasm_x64_call_reg(x64_buf *b, int reg);
void wasm_x64_jmp_reg(x64_buf *b, int reg);
void wasm_x64_ret(x64_buf *b);
void wasm_x64_rep_stosq(x64_buf *b);
void wasm_x64_rep_movsq(x64_buf *b);
/* jumps with rel32 displacements; return the offset of the rel32 to patch */
size_t wasm_x64_jmp(x64_buf *b);
size_t wasm_x64_jcc(x64_buf *b, enum x64_cc cc);
/* lea reg, [rip + rel32]; returns the rel32's offset */
size_t wasm_x64_lea_rip(x64_buf *b, int reg);
/* movsxd reg, dword [base + index*4] (base not rbp/r13) */
void wasm_x64_movsxd_idx4(x64_buf *b, int reg, int base, int index);

#endif
