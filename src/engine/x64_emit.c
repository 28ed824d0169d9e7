/*
 * x64_emit.c - the x86-64 encoder behind x64_emit.h.
 *
 * Every instruction goes through one of two helpers: `rex` (emitted when
 * 64-bit size or a register above r7 needs it, or to reach sil/dil for
 * byte registers) and `modrm_mem` (ModRM + SIB + displacement for
 * [base + disp32], with the SIB byte that rsp/r12 as a base require).
 * tests/engine/test_jit.c checks the bytes of each form against a
 * disassembler's listing.
 */
#include "x64_emit.h"

#include <string.h>

#include "util.h"

void wasm_x64_byte(x64_buf *b, uint8_t v)
{
    if (b->len == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = util_xrealloc(b->p, b->cap);
    }
    b->p[b->len++] = v;
}

void wasm_x64_u32(x64_buf *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        wasm_x64_byte(b, (uint8_t)(v >> (8 * i)));
}

static void u64(x64_buf *b, uint64_t v)
{
    wasm_x64_u32(b, (uint32_t)v);
    wasm_x64_u32(b, (uint32_t)(v >> 32));
}

void wasm_x64_patch_rel32(x64_buf *b, size_t at, size_t target)
{
    int32_t rel = (int32_t)((int64_t)target - (int64_t)(at + 4));
    memcpy(b->p + at, &rel, 4);
}

/* REX prefix for reg (ModRM.reg), index (SIB.index) and base (ModRM.rm or
 * SIB.base); `force` emits it even when it would be 0x40 (byte registers
 * spl..dil need it). */
static void rex(x64_buf *b, bool w, int reg, int index, int base, bool force)
{
    uint8_t r = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((index & 8) ? 2 : 0) |
                          ((base & 8) ? 1 : 0));
    if (r != 0x40 || force)
        wasm_x64_byte(b, r);
}

static void modrm_mem(x64_buf *b, int reg, int base, int32_t disp)
{
    wasm_x64_byte(b, (uint8_t)(0x80 | ((reg & 7) << 3) | (base & 7))); /* mod=10: disp32 */
    if ((base & 7) == X_RSP)
        wasm_x64_byte(b, 0x24); /* SIB: no index, base rsp/r12 */
    wasm_x64_u32(b, (uint32_t)disp);
}

static void modrm_rr(x64_buf *b, int reg, int rm)
{
    wasm_x64_byte(b, (uint8_t)(0xC0 | ((reg & 7) << 3) | (rm & 7)));
}

/* [base + index] with a zero disp8 (base r13/rbp cannot use mod=00) */
static void modrm_idx(x64_buf *b, int reg, int base, int index)
{
    wasm_x64_byte(b, (uint8_t)(0x44 | ((reg & 7) << 3)));
    wasm_x64_byte(b, (uint8_t)(((index & 7) << 3) | (base & 7)));
    wasm_x64_byte(b, 0);
}

void wasm_x64_load(x64_buf *b, bool w, int reg, int base, int32_t disp)
{
    rex(b, w, reg, 0, base, false);
    wasm_x64_byte(b, 0x8B);
    modrm_mem(b, reg, base, disp);
}

void wasm_x64_store(x64_buf *b, bool w, int base, int32_t disp, int reg)
{
    rex(b, w, reg, 0, base, false);
    wasm_x64_byte(b, 0x89);
    modrm_mem(b, reg, base, disp);
}

void wasm_x64_mov_imm64(x64_buf *b, int reg, uint64_t imm)
{
    if (imm <= UINT32_MAX) { /* mov r32, imm32 zero-extends */
        rex(b, false, 0, 0, reg, false);
        wasm_x64_byte(b, (uint8_t)(0xB8 | (reg & 7)));
        wasm_x64_u32(b, (uint32_t)imm);
    } else if ((int64_t)imm >= INT32_MIN && (int64_t)imm < 0) { /* mov r/m64, simm32 */
        rex(b, true, 0, 0, reg, false);
        wasm_x64_byte(b, 0xC7);
        modrm_rr(b, 0, reg);
        wasm_x64_u32(b, (uint32_t)imm);
    } else {
        rex(b, true, 0, 0, reg, false);
        wasm_x64_byte(b, (uint8_t)(0xB8 | (reg & 7)));
        u64(b, imm);
    }
}

void wasm_x64_mov_rr(x64_buf *b, bool w, int dst, int src)
{
    rex(b, w, src, 0, dst, false);
    wasm_x64_byte(b, 0x89);
    modrm_rr(b, src, dst);
}

void wasm_x64_alu_rr(x64_buf *b, bool w, enum x64_alu op, int dst, int src)
{
    rex(b, w, src, 0, dst, false);
    wasm_x64_byte(b, (uint8_t)op);
    modrm_rr(b, src, dst);
}

/* the /digit of the 0x81 group for an ALU op: 0x01 -> /0 ... 0x39 -> /7 */
static int alu_digit(enum x64_alu op)
{
    return (int)op >> 3;
}

void wasm_x64_alu_imm(x64_buf *b, bool w, enum x64_alu op, int dst, int32_t imm)
{
    rex(b, w, 0, 0, dst, false);
    wasm_x64_byte(b, 0x81);
    modrm_rr(b, alu_digit(op), dst);
    wasm_x64_u32(b, (uint32_t)imm);
}

void wasm_x64_alu_mem_imm(x64_buf *b, bool w, enum x64_alu op, int base, int32_t disp, int32_t imm)
{
    rex(b, w, 0, 0, base, false);
    wasm_x64_byte(b, 0x81);
    modrm_mem(b, alu_digit(op), base, disp);
    wasm_x64_u32(b, (uint32_t)imm);
}

void wasm_x64_test_rr(x64_buf *b, bool w, int a, int c)
{
    rex(b, w, c, 0, a, false);
    wasm_x64_byte(b, 0x85);
    modrm_rr(b, c, a);
}

void wasm_x64_imul_rr(x64_buf *b, bool w, int dst, int src)
{
    rex(b, w, dst, 0, src, false);
    wasm_x64_byte(b, 0x0F);
    wasm_x64_byte(b, 0xAF);
    modrm_rr(b, dst, src);
}

void wasm_x64_imul_imm(x64_buf *b, bool w, int dst, int src, int32_t imm)
{
    rex(b, w, dst, 0, src, false);
    wasm_x64_byte(b, 0x69);
    modrm_rr(b, dst, src);
    wasm_x64_u32(b, (uint32_t)imm);
}

void wasm_x64_shift_imm(x64_buf *b, bool w, enum x64_shift op, int reg, uint8_t n)
{
    rex(b, w, 0, 0, reg, false);
    wasm_x64_byte(b, 0xC1);
    modrm_rr(b, (int)op, reg);
    wasm_x64_byte(b, n);
}

void wasm_x64_shift_cl(x64_buf *b, bool w, enum x64_shift op, int reg)
{
    rex(b, w, 0, 0, reg, false);
    wasm_x64_byte(b, 0xD3);
    modrm_rr(b, (int)op, reg);
}

void wasm_x64_div(x64_buf *b, bool w, bool is_signed, int src)
{
    rex(b, w, 0, 0, src, false);
    wasm_x64_byte(b, 0xF7);
    modrm_rr(b, is_signed ? 7 : 6, src);
}

void wasm_x64_sign_extend_ax(x64_buf *b, bool w)
{
    if (w)
        wasm_x64_byte(b, 0x48);
    wasm_x64_byte(b, 0x99);
}

void wasm_x64_setcc_zx(x64_buf *b, enum x64_cc cc, int reg)
{
    rex(b, false, 0, 0, reg, reg >= 4);
    wasm_x64_byte(b, 0x0F);
    wasm_x64_byte(b, (uint8_t)(0x90 | cc));
    modrm_rr(b, 0, reg);
    rex(b, false, reg, 0, reg, reg >= 4);
    wasm_x64_byte(b, 0x0F);
    wasm_x64_byte(b, 0xB6);
    modrm_rr(b, reg, reg);
}

void wasm_x64_cmov(x64_buf *b, bool w, enum x64_cc cc, int dst, int src)
{
    rex(b, w, dst, 0, src, false);
    wasm_x64_byte(b, 0x0F);
    wasm_x64_byte(b, (uint8_t)(0x40 | cc));
    modrm_rr(b, dst, src);
}

void wasm_x64_movsx(x64_buf *b, bool w, int dst, int src, int bits)
{
    if (bits == 32) { /* movsxd */
        rex(b, true, dst, 0, src, false);
        wasm_x64_byte(b, 0x63);
    } else {
        rex(b, w, dst, 0, src, bits == 8 && src >= 4);
        wasm_x64_byte(b, 0x0F);
        wasm_x64_byte(b, bits == 8 ? 0xBE : 0xBF);
    }
    modrm_rr(b, dst, src);
}

void wasm_x64_load_idx(x64_buf *b, int reg, int base, int index, int bytes, int sext)
{
    switch (bytes) {
    case 1:
    case 2:
        rex(b, sext == 64, reg, index, base, false);
        wasm_x64_byte(b, 0x0F);
        wasm_x64_byte(b, (uint8_t)((sext ? 0xBE : 0xB6) | (bytes == 2 ? 1 : 0)));
        break;
    case 4:
        rex(b, sext == 64, reg, index, base, false);
        wasm_x64_byte(b, sext == 64 ? 0x63 : 0x8B); /* movsxd / mov r32 (zero-extends) */
        break;
    default:
        rex(b, true, reg, index, base, false);
        wasm_x64_byte(b, 0x8B);
        break;
    }
    modrm_idx(b, reg, base, index);
}

void wasm_x64_store_idx(x64_buf *b, int base, int index, int reg, int bytes)
{
    if (bytes == 2)
        wasm_x64_byte(b, 0x66);
    rex(b, bytes == 8, reg, index, base, bytes == 1 && reg >= 4);
    wasm_x64_byte(b, bytes == 1 ? 0x88 : 0x89);
    modrm_idx(b, reg, base, index);
}

void wasm_x64_lea(x64_buf *b, int reg, int base, int32_t disp)
{
    rex(b, true, reg, 0, base, false);
    wasm_x64_byte(b, 0x8D);
    modrm_mem(b, reg, base, disp);
}

void wasm_x64_push(x64_buf *b, int reg)
{
    rex(b, false, 0, 0, reg, false);
    wasm_x64_byte(b, (uint8_t)(0x50 | (reg & 7)));
}

void wasm_x64_pop(x64_buf *b, int reg)
{
    rex(b, false, 0, 0, reg, false);
    wasm_x64_byte(b, (uint8_t)(0x58 | (reg & 7)));
}

void wasm_x64_call_reg(x64_buf *b, int reg)
{
    rex(b, false, 0, 0, reg, false);
    wasm_x64_byte(b, 0xFF);
    modrm_rr(b, 2, reg);
}

void wasm_x64_jmp_reg(x64_buf *b, int reg)
{
    rex(b, false, 0, 0, reg, false);
    wasm_x64_byte(b, 0xFF);
    modrm_rr(b, 4, reg);
}

void wasm_x64_ret(x64_buf *b)
{
    wasm_x64_byte(b, 0xC3);
}

void wasm_x64_rep_stosq(x64_buf *b)
{
    wasm_x64_byte(b, 0xF3);
    wasm_x64_byte(b, 0x48);
    wasm_x64_byte(b, 0xAB);
}

void wasm_x64_rep_movsq(x64_buf *b)
{
    wasm_x64_byte(b, 0xF3);
    wasm_x64_byte(b, 0x48);
    wasm_x64_byte(b, 0xA5);
}

size_t wasm_x64_jmp(x64_buf *b)
{
    wasm_x64_byte(b, 0xE9);
    size_t at = b->len;
    wasm_x64_u32(b, 0);
    return at;
}

size_t wasm_x64_jcc(x64_buf *b, enum x64_cc cc)
{
    wasm_x64_byte(b, 0x0F);
    wasm_x64_byte(b, (uint8_t)(0x80 | cc));
    size_t at = b->len;
    wasm_x64_u32(b, 0);
    return at;
}

size_t wasm_x64_lea_rip(x64_buf *b, int reg)
{
    rex(b, true, reg, 0, 0, false);
    wasm_x64_byte(b, 0x8D);
    wasm_x64_byte(b, (uint8_t)(0x05 | ((reg & 7) << 3)));
    size_t at = b->len;
    wasm_x64_u32(b, 0);
    return at;
}

void wasm_x64_movsxd_idx4(x64_buf *b, int reg, int base, int index)
{
    rex(b, true, reg, index, base, false);
    wasm_x64_byte(b, 0x63);
    wasm_x64_byte(b, (uint8_t)(0x04 | ((reg & 7) << 3)));
    wasm_x64_byte(b, (uint8_t)(0x80 | ((index & 7) << 3) | (base & 7)));
}
