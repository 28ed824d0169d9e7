/*
 * test_jit.c - the compiler tier (x86-64): the encoder's bytes for known
 * instructions (as GNU as encodes them), code memory that is never
 * writable and executable at once (checked in /proc/self/maps), results and
 * traps - kind, message and backtrace - identical in both tiers, the
 * per-function fallback (a function the compiler does not cover stays
 * interpreted and calls/is called by compiled code), and deadlines that
 * stop compiled loops.
 *
 * Functions using a tail call stay interpreted in this slice ($interp,
 * $pong).  The module (wat2wasm --enable-tail-call of the WAT below, function indices in brackets):
 *
 * (module
 *   (type $v_i (func (result i32)))
 *   (type $i_i (func (param i32) (result i32)))
 *   (memory 1)
 *   (table 4 funcref)
 *   (elem (i32.const 0) $ok $inner)
 *   (global $g (mut i32) (i32.const 7))
 *   (func $ok (result i32) i32.const 42)                                             [0]
 *   (func $inner (param i32) (result i32) local.get 0 i32.const 0 i32.div_u)         [1]
 *   (func (export "div0") (result i32) i32.const 1 call $inner)                      [2]
 *   (func (export "ovf") (result i32) i32.const 0x80000000 i32.const -1 i32.div_s)
 *   (func (export "ovf64") (result i64) i64.const 0x8000000000000000 i64.const -1 i64.div_s)
 *   (func (export "rem64") (result i64) i64.const 0x8000000000000000 i64.const -1 i64.rem_s)
 *   (func (export "oob_load") (result i32) i32.const 65533 i32.load)
 *   (func (export "oob_store") (result i32) i32.const -1 i32.const 1 i32.store8 offset=1
 *     i32.const 0)
 *   (func (export "unreachable") (result i32) unreachable)
 *   (func $rec (export "deep") (result i32) call $rec)
 *   (func (export "undef_elem") (result i32) i32.const 9 call_indirect (type $v_i))
 *   (func (export "uninit_elem") (result i32) i32.const 2 call_indirect (type $v_i))
 *   (func (export "mismatch") (result i32) i32.const 1 call_indirect (type $v_i))
 *   (func (export "indirect_ok") (result i32) i32.const 0 call_indirect (type $v_i))
 *   (func (export "trunc_nan") (result i32) f32.const nan i32.trunc_f32_s)
 *   (func (export "trunc_big") (result i32) f64.const 1e10 i32.trunc_f64_u)
 *   (func (export "fnear") (result f64) f64.const -2.5 f64.nearest)
 *   (func (export "fmin") (result i32) f32.const -0 f32.const 0 f32.min i32.reinterpret_f32)
 *   (func (export "global") (result i32) global.get $g i32.const 1 i32.add global.set $g
 *     global.get $g)
 *   (func (export "mem") (result i32) (local i32)
 *     i32.const 100 i32.const 0x11223344 i32.store
 *     i32.const 101 i32.load8_s
 *     i32.const 103 i32.load16_u i32.add)
 *   (func (export "grow") (result i32) i32.const 1 memory.grow drop memory.size
 *     i32.const 65536 i32.const 3 i32.store i32.const 65536 i32.load i32.add)
 *   (func (export "loop") (result i32) (local i32)
 *     block loop local.get 0 i32.const 1 i32.add local.tee 0 i32.const 1000 i32.eq br_if 1
 *     br 0 end end local.get 0)                                                     [21]
 *   (func (export "spin") loop br 0 end)                                             [22]
 *   (func $interp (param i32) (result i32)                                          [23]
 *     local.get 0 i32.const 100 i32.eq if i32.const 0 return_call $ok end
 *     local.get 0 call $inner)
 *   (func (export "via_interp") (result i32) i32.const 5 call $interp)               [24]
 *   (func (export "brtab") (param i32) (result i32)
 *     block block block local.get 0 br_table 0 1 2 end i32.const 10 return end
 *     i32.const 20 return end i32.const 30)                                          [25]
 *   (func $ping (export "ping") (result i32) call $pong)                             [26]
 *   (func $pong (result i32) i32.const 0 if i32.const 0 return_call $ok end call $ping) [27]
 * )
 */
#include <stdlib.h>
#include <string.h>

#include "jit.h"
#include "test.h"
#include "wasm.h"
#include "x64_emit.h"

static const uint8_t tiers_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x15, 0x05, 0x60,
  0x00, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7e,
  0x60, 0x00, 0x01, 0x7c, 0x60, 0x00, 0x00, 0x03, 0x1d, 0x1c, 0x00, 0x01,
  0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x01,
  0x00, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x04, 0x05, 0x03, 0x01, 0x00,
  0x01, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x07, 0x0b, 0x07, 0xe5, 0x01,
  0x18, 0x04, 0x64, 0x69, 0x76, 0x30, 0x00, 0x02, 0x03, 0x6f, 0x76, 0x66,
  0x00, 0x03, 0x05, 0x6f, 0x76, 0x66, 0x36, 0x34, 0x00, 0x04, 0x05, 0x72,
  0x65, 0x6d, 0x36, 0x34, 0x00, 0x05, 0x08, 0x6f, 0x6f, 0x62, 0x5f, 0x6c,
  0x6f, 0x61, 0x64, 0x00, 0x06, 0x09, 0x6f, 0x6f, 0x62, 0x5f, 0x73, 0x74,
  0x6f, 0x72, 0x65, 0x00, 0x07, 0x0b, 0x75, 0x6e, 0x72, 0x65, 0x61, 0x63,
  0x68, 0x61, 0x62, 0x6c, 0x65, 0x00, 0x08, 0x04, 0x64, 0x65, 0x65, 0x70,
  0x00, 0x09, 0x0a, 0x75, 0x6e, 0x64, 0x65, 0x66, 0x5f, 0x65, 0x6c, 0x65,
  0x6d, 0x00, 0x0a, 0x0b, 0x75, 0x6e, 0x69, 0x6e, 0x69, 0x74, 0x5f, 0x65,
  0x6c, 0x65, 0x6d, 0x00, 0x0b, 0x08, 0x6d, 0x69, 0x73, 0x6d, 0x61, 0x74,
  0x63, 0x68, 0x00, 0x0c, 0x0b, 0x69, 0x6e, 0x64, 0x69, 0x72, 0x65, 0x63,
  0x74, 0x5f, 0x6f, 0x6b, 0x00, 0x0d, 0x09, 0x74, 0x72, 0x75, 0x6e, 0x63,
  0x5f, 0x6e, 0x61, 0x6e, 0x00, 0x0e, 0x09, 0x74, 0x72, 0x75, 0x6e, 0x63,
  0x5f, 0x62, 0x69, 0x67, 0x00, 0x0f, 0x05, 0x66, 0x6e, 0x65, 0x61, 0x72,
  0x00, 0x10, 0x04, 0x66, 0x6d, 0x69, 0x6e, 0x00, 0x11, 0x06, 0x67, 0x6c,
  0x6f, 0x62, 0x61, 0x6c, 0x00, 0x12, 0x03, 0x6d, 0x65, 0x6d, 0x00, 0x13,
  0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x14, 0x04, 0x6c, 0x6f, 0x6f, 0x70,
  0x00, 0x15, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x16, 0x0a, 0x76, 0x69,
  0x61, 0x5f, 0x69, 0x6e, 0x74, 0x65, 0x72, 0x70, 0x00, 0x18, 0x05, 0x62,
  0x72, 0x74, 0x61, 0x62, 0x00, 0x19, 0x04, 0x70, 0x69, 0x6e, 0x67, 0x00,
  0x1a, 0x09, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x00, 0x01, 0x0a,
  0xe6, 0x02, 0x1c, 0x04, 0x00, 0x41, 0x2a, 0x0b, 0x07, 0x00, 0x20, 0x00,
  0x41, 0x00, 0x6e, 0x0b, 0x06, 0x00, 0x41, 0x01, 0x10, 0x01, 0x0b, 0x0b,
  0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x41, 0x7f, 0x6d, 0x0b, 0x10,
  0x00, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f,
  0x42, 0x7f, 0x7f, 0x0b, 0x10, 0x00, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80,
  0x80, 0x80, 0x80, 0x80, 0x7f, 0x42, 0x7f, 0x81, 0x0b, 0x09, 0x00, 0x41,
  0xfd, 0xff, 0x03, 0x28, 0x02, 0x00, 0x0b, 0x0b, 0x00, 0x41, 0x7f, 0x41,
  0x01, 0x3a, 0x00, 0x01, 0x41, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x0b, 0x04,
  0x00, 0x10, 0x09, 0x0b, 0x07, 0x00, 0x41, 0x09, 0x11, 0x00, 0x00, 0x0b,
  0x07, 0x00, 0x41, 0x02, 0x11, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x41, 0x01,
  0x11, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x41, 0x00, 0x11, 0x00, 0x00, 0x0b,
  0x08, 0x00, 0x43, 0x00, 0x00, 0xc0, 0x7f, 0xa8, 0x0b, 0x0c, 0x00, 0x44,
  0x00, 0x00, 0x00, 0x20, 0x5f, 0xa0, 0x02, 0x42, 0xab, 0x0b, 0x0c, 0x00,
  0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xc0, 0x9e, 0x0b, 0x0e,
  0x00, 0x43, 0x00, 0x00, 0x00, 0x80, 0x43, 0x00, 0x00, 0x00, 0x00, 0x96,
  0xbc, 0x0b, 0x0b, 0x00, 0x23, 0x00, 0x41, 0x01, 0x6a, 0x24, 0x00, 0x23,
  0x00, 0x0b, 0x1d, 0x01, 0x01, 0x7f, 0x41, 0xe4, 0x00, 0x41, 0xc4, 0xe6,
  0x88, 0x89, 0x01, 0x36, 0x02, 0x00, 0x41, 0xe5, 0x00, 0x2c, 0x00, 0x00,
  0x41, 0xe7, 0x00, 0x2f, 0x01, 0x00, 0x6a, 0x0b, 0x1a, 0x00, 0x41, 0x01,
  0x40, 0x00, 0x1a, 0x3f, 0x00, 0x41, 0x80, 0x80, 0x04, 0x41, 0x03, 0x36,
  0x02, 0x00, 0x41, 0x80, 0x80, 0x04, 0x28, 0x02, 0x00, 0x6a, 0x0b, 0x1b,
  0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x41, 0x01, 0x6a,
  0x22, 0x00, 0x41, 0xe8, 0x07, 0x46, 0x0d, 0x01, 0x0c, 0x00, 0x0b, 0x0b,
  0x20, 0x00, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x13,
  0x00, 0x20, 0x00, 0x41, 0xe4, 0x00, 0x46, 0x04, 0x40, 0x41, 0x00, 0x12,
  0x00, 0x0b, 0x20, 0x00, 0x10, 0x01, 0x0b, 0x06, 0x00, 0x41, 0x05, 0x10,
  0x17, 0x0b, 0x1a, 0x00, 0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x20, 0x00,
  0x0e, 0x02, 0x00, 0x01, 0x02, 0x0b, 0x41, 0x0a, 0x0f, 0x0b, 0x41, 0x14,
  0x0f, 0x0b, 0x41, 0x1e, 0x0b, 0x04, 0x00, 0x10, 0x1b, 0x0b, 0x0d, 0x00,
  0x41, 0x00, 0x04, 0x40, 0x41, 0x00, 0x12, 0x00, 0x0b, 0x10, 0x1a, 0x0b

};

/* ---- the encoder ---------------------------------------------------------- */

typedef struct vec {
    const char *what;
    uint8_t bytes[16];
    size_t len;
} vec;

static void check_bytes(x64_buf *b, const vec *v)
{
    bool same = b->len == v->len && memcmp(b->p, v->bytes, v->len) == 0;
    if (!same) {
        fprintf(stderr, "%s: got", v->what);
        for (size_t i = 0; i < b->len; i++)
            fprintf(stderr, " %02x", b->p[i]);
        fprintf(stderr, "\n");
    }
    CHECK(same);
    b->len = 0;
}

static void test_encoder(void)
{
    x64_buf b = {0};
#define V(what, ...) (&(vec){what, {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__})})
    wasm_x64_load(&b, true, X_RAX, X_R12, 0x7fffff08);
    check_bytes(&b, V("mov rax,[r12+d]", 0x49, 0x8b, 0x84, 0x24, 0x08, 0xff, 0xff, 0x7f));
    wasm_x64_store(&b, true, X_R12, 0x7fffff10, X_RCX);
    check_bytes(&b, V("mov [r12+d],rcx", 0x49, 0x89, 0x8c, 0x24, 0x10, 0xff, 0xff, 0x7f));
    wasm_x64_load(&b, false, X_RAX, X_RBX, 0x7fffff04);
    check_bytes(&b, V("mov eax,[rbx+d]", 0x8b, 0x83, 0x04, 0xff, 0xff, 0x7f));
    wasm_x64_mov_imm64(&b, X_RAX, 5);
    check_bytes(&b, V("mov eax,5", 0xb8, 0x05, 0x00, 0x00, 0x00));
    wasm_x64_mov_imm64(&b, X_R13, 0x123456789ull);
    check_bytes(&b, V("movabs r13", 0x49, 0xbd, 0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00));
    wasm_x64_mov_imm64(&b, X_RCX, UINT64_MAX);
    check_bytes(&b, V("mov rcx,-1", 0x48, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff));
    wasm_x64_alu_rr(&b, true, ALU_ADD, X_RAX, X_RCX);
    check_bytes(&b, V("add rax,rcx", 0x48, 0x01, 0xc8));
    wasm_x64_alu_imm(&b, false, ALU_CMP, X_RCX, 0x7fffffff);
    check_bytes(&b, V("cmp ecx,imm", 0x81, 0xf9, 0xff, 0xff, 0xff, 0x7f));
    wasm_x64_alu_mem_imm(&b, false, ALU_SUB, X_RBX, 0x7fffff08, 0x7fffff01);
    check_bytes(&b, V("sub dword [rbx+d],imm", 0x81, 0xab, 0x08, 0xff, 0xff, 0x7f, 0x01, 0xff,
                      0xff, 0x7f));
    wasm_x64_imul_rr(&b, true, X_RAX, X_RCX);
    check_bytes(&b, V("imul rax,rcx", 0x48, 0x0f, 0xaf, 0xc1));
    wasm_x64_shift_cl(&b, false, SH_SHL, X_RAX);
    check_bytes(&b, V("shl eax,cl", 0xd3, 0xe0));
    wasm_x64_shift_cl(&b, true, SH_SAR, X_RAX);
    check_bytes(&b, V("sar rax,cl", 0x48, 0xd3, 0xf8));
    wasm_x64_div(&b, false, true, X_RCX);
    check_bytes(&b, V("idiv ecx", 0xf7, 0xf9));
    wasm_x64_div(&b, true, false, X_RCX);
    check_bytes(&b, V("div rcx", 0x48, 0xf7, 0xf1));
    wasm_x64_setcc_zx(&b, CC_E, X_RAX);
    check_bytes(&b, V("sete al; movzx eax,al", 0x0f, 0x94, 0xc0, 0x0f, 0xb6, 0xc0));
    wasm_x64_setcc_zx(&b, CC_E, X_RSI);
    check_bytes(&b, V("sete sil; movzx esi,sil", 0x40, 0x0f, 0x94, 0xc6, 0x40, 0x0f, 0xb6, 0xf6));
    wasm_x64_cmov(&b, true, CC_E, X_RAX, X_RCX);
    check_bytes(&b, V("cmove rax,rcx", 0x48, 0x0f, 0x44, 0xc1));
    wasm_x64_movsx(&b, true, X_RAX, X_RAX, 32);
    check_bytes(&b, V("movsxd rax,eax", 0x48, 0x63, 0xc0));
    wasm_x64_movsx(&b, false, X_RAX, X_RAX, 8);
    check_bytes(&b, V("movsx eax,al", 0x0f, 0xbe, 0xc0));
    wasm_x64_load_idx(&b, X_RCX, X_R13, X_RAX, 1, 0);
    check_bytes(&b, V("movzx ecx,byte [r13+rax]", 0x41, 0x0f, 0xb6, 0x4c, 0x05, 0x00));
    wasm_x64_load_idx(&b, X_RCX, X_R13, X_RAX, 8, 0);
    check_bytes(&b, V("mov rcx,[r13+rax]", 0x49, 0x8b, 0x4c, 0x05, 0x00));
    wasm_x64_load_idx(&b, X_RCX, X_R13, X_RAX, 4, 0);
    check_bytes(&b, V("mov ecx,[r13+rax]", 0x41, 0x8b, 0x4c, 0x05, 0x00));
    wasm_x64_load_idx(&b, X_RAX, X_R13, X_RAX, 2, 64);
    check_bytes(&b, V("movsx rax,word [r13+rax]", 0x49, 0x0f, 0xbf, 0x44, 0x05, 0x00));
    wasm_x64_store_idx(&b, X_R13, X_RAX, X_RCX, 2);
    check_bytes(&b, V("mov [r13+rax],cx", 0x66, 0x41, 0x89, 0x4c, 0x05, 0x00));
    wasm_x64_store_idx(&b, X_R13, X_RAX, X_RSI, 1);
    check_bytes(&b, V("mov [r13+rax],sil", 0x41, 0x88, 0x74, 0x05, 0x00));
    wasm_x64_push(&b, X_R15);
    check_bytes(&b, V("push r15", 0x41, 0x57));
    wasm_x64_pop(&b, X_RBX);
    check_bytes(&b, V("pop rbx", 0x5b));
    wasm_x64_call_reg(&b, X_RAX);
    check_bytes(&b, V("call rax", 0xff, 0xd0));
    wasm_x64_jmp_reg(&b, X_RDX);
    check_bytes(&b, V("jmp rdx", 0xff, 0xe2));
    wasm_x64_lea(&b, X_RDX, X_RAX, 0x7fffff04);
    check_bytes(&b, V("lea rdx,[rax+d]", 0x48, 0x8d, 0x90, 0x04, 0xff, 0xff, 0x7f));
    wasm_x64_movsxd_idx4(&b, X_RDX, X_RCX, X_RAX);
    check_bytes(&b, V("movsxd rdx,[rcx+rax*4]", 0x48, 0x63, 0x14, 0x81));
    CHECK_INT(wasm_x64_lea_rip(&b, X_RCX), 3);
    check_bytes(&b, V("lea rcx,[rip]", 0x48, 0x8d, 0x0d, 0x00, 0x00, 0x00, 0x00));
    /* a jump patched to its own start: rel32 = -5 */
    size_t at = wasm_x64_jmp(&b);
    wasm_x64_patch_rel32(&b, at, 0);
    check_bytes(&b, V("jmp .", 0xe9, 0xfb, 0xff, 0xff, 0xff));
    free(b.p);
#undef V
}

/* ---- running the module in a tier ---------------------------------------- */

typedef struct run {
    wasm_store *store;
    wasm_instance *inst;
} run;

static run start_depth(bool compile, uint32_t depth)
{
    wasm_rt_jit_set_enabled(compile);
    wasm_result r;
    wasm_features feat = {.tail_call = true};
    wasm_module *m = wasm_module_new(tiers_wasm, sizeof tiers_wasm, &feat, &r);
    CHECK(m != NULL);
    wasm_store_config cfg = {.max_call_depth = depth};
    run x = {.store = wasm_store_new(&cfg)};
    wasm_linker *l = wasm_linker_new();
    x.inst = wasm_instantiate(x.store, m, l, &r);
    CHECK(x.inst != NULL);
    wasm_linker_free(l);
    wasm_module_free(m);
    return x;
}

static run start(bool compile)
{
    return start_depth(compile, 500);
}

static void stop(run *x)
{
    wasm_store_free(x->store);
}

static wasm_val call(run *x, const char *name, int32_t arg, bool has_arg, wasm_result *r)
{
    wasm_val a[1], res[1];
    memset(a, 0, sizeof a);
    memset(res, 0, sizeof res);
    a[0].i32 = arg;
    wasm_func *f = wasm_instance_func(x->inst, name);
    CHECK(f != NULL);
    wasm_func_call(x->store, f, a, has_arg ? 1 : 0, res, 1, r);
    return res[0];
}

/* the code of a function after its first call: compiled or not */
static bool compiled(run *x, uint32_t func_idx)
{
    const rt_code *c = x->inst->funcs[func_idx]->code;
    return c && c->jit;
}

static void test_traps_read_the_same_in_both_tiers(void)
{
    static const struct {
        const char *name, *msg;
    } cases[] = {
        {"div0", "integer divide by zero"},
        {"ovf", "integer overflow"},
        {"ovf64", "integer overflow"},
        {"oob_load", "out of bounds memory access"},
        {"oob_store", "out of bounds memory access"},
        {"unreachable", "unreachable"},
        {"deep", "call stack exhausted"},
        {"undef_elem", "undefined element 9"},
        {"uninit_elem", "uninitialized element 2"},
        {"mismatch", "indirect call type mismatch"},
        {"trunc_nan", "invalid conversion to integer"},
        {"trunc_big", "integer overflow"},
        {"via_interp", "integer divide by zero"},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    /* the tier applies to code translated while it is selected: the
     * interpreter's run goes first */
    static wasm_result interp[N];
    run in = start(false);
    for (size_t i = 0; i < N; i++)
        call(&in, cases[i].name, 0, false, &interp[i]);
    run co = start(true);
    for (size_t i = 0; i < N; i++) {
        wasm_result ri = interp[i], rc;
        call(&co, cases[i].name, 0, false, &rc);
        CHECK_INT(ri.kind, WASM_TRAP);
        CHECK_INT(rc.kind, WASM_TRAP);
        CHECK_STR(ri.message, cases[i].msg);
        CHECK_STR(rc.message, cases[i].msg);
        CHECK_STR(rc.backtrace, ri.backtrace);
        CHECK(rc.backtrace[0] != '\0');
    }
    /* the traps came from machine code (div0's innermost $inner, too) */
    CHECK(compiled(&co, 1));
    CHECK(compiled(&co, 2));
    CHECK(compiled(&co, 9));
    /* and nothing compiled in the interpreter tier */
    CHECK(!compiled(&in, 2));
    stop(&in);
    stop(&co);
}

static void test_results_match_in_both_tiers(void)
{
    const char *names[] = {"rem64", "indirect_ok", "fnear", "fmin", "global", "global", "mem",
                           "grow", "loop"};
    enum { N = sizeof names / sizeof names[0] };
    wasm_val vis[N];
    wasm_result ris[N];
    run in = start(false);
    for (size_t i = 0; i < N; i++)
        vis[i] = call(&in, names[i], 0, false, &ris[i]);
    static const int32_t brtab[][2] = {{0, 10}, {1, 20}, {2, 30}, {7, 30}, {-1, 30}};
    wasm_result r;
    for (size_t i = 0; i < 5; i++)
        CHECK_INT(call(&in, "brtab", brtab[i][0], true, &r).i32, brtab[i][1]);
    run co = start(true);
    for (size_t i = 0; i < N; i++) {
        wasm_result ri = ris[i], rc;
        wasm_val vi = vis[i];
        wasm_val vc = call(&co, names[i], 0, false, &rc);
        CHECK_INT(ri.kind, WASM_OK);
        CHECK_INT(rc.kind, WASM_OK);
        if (vi.i64 != vc.i64)
            fprintf(stderr, "%s: interpreter %" PRIx64 ", compiled %" PRIx64 "\n", names[i],
                    (uint64_t)vi.i64, (uint64_t)vc.i64);
        CHECK(vi.i64 == vc.i64);
    }
    CHECK_INT(call(&co, "loop", 0, false, &r).i32, 1000);
    CHECK_INT(call(&co, "indirect_ok", 0, false, &r).i32, 42);
    CHECK_INT(call(&co, "global", 0, false, &r).i32, 10); /* 7 + three calls */
    CHECK_INT(call(&co, "mem", 0, false, &r).i32, 0x33 + 0x11); /* bytes 0x33, then 0x11 0x00 */
    CHECK(call(&co, "fnear", 0, false, &r).f64 == -2.0);
    CHECK_INT(call(&co, "fmin", 0, false, &r).i32, (int32_t)0x80000000);
    CHECK_INT(call(&co, "rem64", 0, false, &r).i64, 0);
    for (size_t i = 0; i < 5; i++)
        CHECK_INT(call(&co, "brtab", brtab[i][0], true, &r).i32, brtab[i][1]);
    CHECK(compiled(&co, 21));
    CHECK(compiled(&co, 25));
    stop(&in);
    stop(&co);
}

static void test_unsupported_function_stays_interpreted(void)
{
    run co = start(true);
    wasm_result r;
    call(&co, "via_interp", 0, false, &r);
    CHECK_INT(r.kind, WASM_TRAP);
    /* compiled -> interpreted ($interp has a return_call) -> compiled ($inner) */
    CHECK(compiled(&co, 24));
    CHECK(!compiled(&co, 23));
    CHECK(compiled(&co, 1));
    CHECK(strstr(r.backtrace, "(func 23)") != NULL);
    CHECK(strstr(r.backtrace, "(func 24)") != NULL);
    uint64_t n_compiled, n_refused;
    wasm_rt_jit_stats(&n_compiled, &n_refused);
    CHECK(n_compiled > 0);
    CHECK(n_refused > 0);
    stop(&co);
}

/* Compiled code recurses on the native stack, and through a nested
 * interpreter activation whenever it calls an interpreted function: at the
 * default depth limit (10000) that must end in the trap, not a crash. */
static void test_mixed_recursion_ends_in_the_depth_trap(void)
{
    run co = start_depth(true, 0);
    wasm_result r;
    call(&co, "ping", 0, false, &r);
    CHECK_INT(r.kind, WASM_TRAP);
    CHECK_STR(r.message, "call stack exhausted");
    CHECK(compiled(&co, 26));
    CHECK(!compiled(&co, 27));
    stop(&co);
}

/* ---- W^X ------------------------------------------------------------------ */

/* Finds the mapping holding addr; checks every mapping is not both
 * writable and executable.  Returns the perms of addr's mapping. */
static void check_maps(const void *addr, char perms_of_addr[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[512];
    strcpy(perms_of_addr, "none");
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3)
            continue;
        if (perms[1] == 'w' && perms[2] == 'x')
            fprintf(stderr, "writable and executable: %s", line);
        CHECK(!(perms[1] == 'w' && perms[2] == 'x'));
        if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi)
            memcpy(perms_of_addr, perms, 5);
    }
    fclose(f);
}

static void test_code_memory_is_never_writable_and_executable(void)
{
    run co = start(true);
    wasm_result r;
    CHECK_INT(call(&co, "loop", 0, false, &r).i32, 1000);
    const rt_code *c = co.inst->funcs[21]->code;
    CHECK(c && c->jit);
    if (c && c->jit) {
        char perms[5];
        check_maps(c->jit->map, perms);
        CHECK_STR(perms, "r-xp");
    }
    static const uint8_t ret[] = {0xC3};
    size_t len;
    void *p = wasm_rt_jit_code_map(ret, 1, &len);
    CHECK(p != NULL);
    char perms[5];
    check_maps(p, perms);
    CHECK_STR(perms, "r-xp");
    wasm_rt_jit_code_unmap(p, len);
    stop(&co);
}

/* ---- deadlines ------------------------------------------------------------ */

static void test_deadline_stops_a_compiled_loop(void)
{
    run co = start(true);
    wasm_store_set_deadline(co.store, util_monotonic_ns() + 50 * 1000000ull);
    wasm_func *f = wasm_instance_func(co.inst, "spin");
    wasm_result r;
    wasm_func_call(co.store, f, NULL, 0, NULL, 0, &r);
    CHECK_INT(r.kind, WASM_INTERRUPTED);
    CHECK_STR(r.message, "deadline exceeded");
    CHECK(compiled(&co, 22));
    stop(&co);
}

int main(void)
{
    RUN(test_encoder);
    RUN(test_traps_read_the_same_in_both_tiers);
    RUN(test_results_match_in_both_tiers);
    RUN(test_unsupported_function_stays_interpreted);
    RUN(test_mixed_recursion_ends_in_the_depth_trap);
    RUN(test_code_memory_is_never_writable_and_executable);
    RUN(test_deadline_stops_a_compiled_loop);
    return TEST_SUMMARY();
}
