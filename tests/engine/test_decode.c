/*
 * test_decode.c - the engine's front half: decoding of a hand-assembled
 * module holding every section, the internal representation
 * it yields (module.h), and the spec's error messages for malformed and
 * invalid binaries.  Every truncation of the valid module must be rejected
 * as malformed, never crash.
 */
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "test.h"
#include "wasm.h"

/* ---- a module with every section ------------------------------------------- */

static const uint8_t full_module[] = {
    /* header */
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    /* type: (i32 i32)->i32, ()->() */
    0x01, 0x0a, 0x02, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00,
    /* import: func f (type 0), table t funcref 1, memory m 1..2, global g i32 */
    0x02, 0x26, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76,
    0x01, 0x74, 0x01, 0x70, 0x00, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x6d, 0x02, 0x01, 0x01,
    0x02, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x67, 0x03, 0x7f, 0x00,
    /* function: $add (type 0), $init (type 1) */
    0x03, 0x03, 0x02, 0x00, 0x01,
    /* table: externref 0 */
    0x04, 0x04, 0x01, 0x6f, 0x00, 0x00,
    /* global: (mut i64) (i64.const 7) */
    0x06, 0x06, 0x01, 0x7e, 0x01, 0x42, 0x07, 0x0b,
    /* export: add func 1, mem memory 0, g global 1 */
    0x07, 0x11, 0x03, 0x03, 0x61, 0x64, 0x64, 0x00, 0x01, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00,
    0x01, 0x67, 0x03, 0x01,
    /* start: func 2 */
    0x08, 0x01, 0x02,
    /* element: active table 0 offset 0: func 1 */
    0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x01,
    /* data count: 1 */
    0x0c, 0x01, 0x01,
    /* code: $add (local i64) local.get 0 local.get 1 i32.add;
     *       $init i32.const 0 (x3) memory.init 0, data.drop 0 */
    0x0a, 0x1b, 0x02, 0x09, 0x01, 0x01, 0x7e, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, 0x0f, 0x00,
    0x41, 0x00, 0x41, 0x00, 0x41, 0x01, 0xfc, 0x08, 0x00, 0x00, 0xfc, 0x09, 0x00, 0x0b,
    /* data: passive "abc" */
    0x0b, 0x06, 0x01, 0x01, 0x03, 0x61, 0x62, 0x63,
    /* custom "name": function 1 is "add" */
    0x00, 0x0d, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01, 0x06, 0x01, 0x01, 0x03, 0x61, 0x64, 0x64,
};

static void test_full_module(void)
{
    wasm_result res;
    wasm_module *m = wasm_module_new(full_module, sizeof full_module, NULL, &res);
    CHECK(m != NULL);
    if (!m) {
        fprintf(stderr, "  %s\n", res.message);
        return;
    }
    CHECK_INT(res.kind, WASM_OK);
    /* public introspection */
    CHECK_INT(wasm_module_import_count(m), 4);
    wasm_import_desc im = wasm_module_import(m, 2);
    CHECK_STR(im.module, "env");
    CHECK_STR(im.name, "m");
    CHECK_INT(im.kind, WASM_EXTERN_MEMORY);
    CHECK_INT(wasm_module_import(m, 3).kind, WASM_EXTERN_GLOBAL);
    CHECK_INT(wasm_module_export_count(m), 3);
    CHECK_STR(wasm_module_export(m, 1).name, "mem");
    CHECK_INT(wasm_module_export(m, 2).kind, WASM_EXTERN_GLOBAL);
    CHECK_STR(wasm_module_export_signature(m, "add"), "ii:i");
    CHECK(wasm_module_export_signature(m, "mem") == NULL);
    CHECK(wasm_module_export_signature(m, "nope") == NULL);

    /* the internal representation */
    CHECK_INT(m->ntypes, 2);
    CHECK_STR(m->types[0].sig, "ii:i");
    CHECK_STR(m->types[1].sig, ":");
    CHECK_INT(m->nfuncs, 3);
    CHECK_INT(m->n_imported_funcs, 1);
    CHECK_INT(m->func_type[2], 1);
    CHECK_INT(m->ntables, 2);
    CHECK(m->tables[0].imported);
    CHECK_INT(m->tables[1].type.elem_type, WASM_EXTERNREF);
    CHECK_INT(m->nmems, 1);
    CHECK_INT(m->mems[0].limits.max, 2);
    CHECK(m->mems[0].limits.has_max);
    CHECK_INT(m->nglobals, 2);
    CHECK(m->globals[1].type.mutable_);
    CHECK_INT(m->bytes[m->globals[1].init.start], 0x42);
    CHECK_INT(m->bytes[m->globals[1].init.end - 1], 0x0b);
    CHECK_INT(m->start, 2);
    CHECK_INT(m->nelems, 1);
    CHECK_INT(m->elems[0].mode, WM_SEG_ACTIVE);
    CHECK(m->elems[0].func_indices != NULL);
    CHECK_INT(m->elems[0].func_indices[0], 1);
    CHECK(m->has_datacount);
    CHECK_INT(m->ndatas, 1);
    CHECK_INT(m->datas[0].mode, WM_SEG_PASSIVE);
    CHECK_INT(m->datas[0].bytes.end - m->datas[0].bytes.start, 3);
    CHECK(memcmp(m->bytes + m->datas[0].bytes.start, "abc", 3) == 0);
    /* $add: one declared local, body = the four instructions + end */
    const wm_func *add = &m->funcs[0];
    CHECK_INT(add->nlocals, 1);
    CHECK_INT(add->nlocal_groups, 1);
    CHECK_INT(add->local_groups[0].valtype, WASM_I64);
    CHECK_INT(add->body.end - add->body.start, 6);
    CHECK_INT(m->bytes[add->body.start], 0x20);
    CHECK_INT(add->max_stack, 2);
    CHECK_INT(m->funcs[1].max_stack, 3);
    CHECK_STR(wasm_wm_func_name(m, 1), "add");
    CHECK(wasm_wm_func_name(m, 2) == NULL);
    CHECK(m->func_declared[1]); /* exported and in an element segment */
    CHECK(!m->func_declared[2]);

    /* reference counting */
    CHECK(wasm_module_ref(m) == m);
    wasm_module_free(m);
    wasm_module_free(m);
}

/* Every proper prefix of a valid module is malformed, and says so. */
static void test_truncations(void)
{
    for (size_t n = 0; n < sizeof full_module; n++) {
        wasm_result res;
        wasm_module *m = wasm_module_new(full_module, n, NULL, &res);
        if (m) {
            /* cutting exactly between sections (or after the data count
             * before code) can leave a module that is still well formed */
            wasm_module_free(m);
            continue;
        }
        if (res.kind != WASM_MALFORMED) {
            fprintf(stderr, "  prefix %zu: kind %d \"%s\"\n", n, res.kind, res.message);
            CHECK_INT(res.kind, WASM_MALFORMED);
        }
        CHECK(res.message[0] != '\0');
    }
}

/* ---- error messages --------------------------------------------------------- */

static void expect_error(const uint8_t *bytes, size_t len, wasm_result_kind kind,
                         const char *msg)
{
    wasm_result res;
    wasm_module *m = wasm_module_new(bytes, len, NULL, &res);
    CHECK(m == NULL);
    wasm_module_free(m);
    CHECK_INT(res.kind, kind);
    /* the spec's text, then where: " (byte 0x..)" or " (function N...)" */
    if (strncmp(res.message, msg, strlen(msg)) != 0 ||
        (res.message[strlen(msg)] != '\0' && res.message[strlen(msg)] != ' ')) {
        fprintf(stderr, "  \"%s\" does not start with \"%s\"\n", res.message, msg);
        CHECK(0);
    }
}

/* The bytes are a macro argument list so their length is counted. */
#define EXPECT(kind, msg, ...) \
    do { \
        static const uint8_t bytes_[] = {__VA_ARGS__}; \
        expect_error(bytes_, sizeof bytes_, kind, msg); \
    } while (0)

#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00
/* type section: one type () -> (i32) and one function of it */
#define ONE_FUNC 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00

static void test_malformed(void)
{
    const uint8_t empty[] = {HDR};
    wasm_result res;
    wasm_module *m = wasm_module_new(empty, sizeof empty, NULL, &res);
    CHECK(m != NULL);
    wasm_module_free(m);

    EXPECT(WASM_MALFORMED, "unexpected end",
           0x00, 0x61, 0x73);
    {
        /* positions are offsets into the input, the same on every run */
        static const uint8_t empty_input[1];
        wasm_result res1;
        CHECK(wasm_module_new(empty_input, 0, NULL, &res1) == NULL);
        CHECK_STR(res1.message, "unexpected end (byte 0x0)");
    }
    EXPECT(WASM_MALFORMED, "magic header not detected",
           0x00, 0x41, 0x53, 0x4d, 1, 0, 0, 0);
    EXPECT(WASM_MALFORMED, "unknown binary version",
           0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0);
    EXPECT(WASM_MALFORMED, "malformed section id 13",
           HDR, 0x0d, 0x00);
    /* function section before type section */
    EXPECT(WASM_MALFORMED, "unexpected content after last section",
           HDR, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00);
    /* section longer than the file */
    EXPECT(WASM_MALFORMED, "length out of bounds",
           HDR, 0x01, 0x09, 0x00);
    /* section size larger than its contents */
    EXPECT(WASM_MALFORMED, "section size mismatch",
           HDR, 0x01, 0x02, 0x00, 0x00);
    /* a function without a body */
    EXPECT(WASM_MALFORMED, "function and code section have inconsistent lengths",
           HDR, ONE_FUNC);
    /* code: a body missing its end */
    EXPECT(WASM_MALFORMED, "unexpected end of section or function",
           HDR, ONE_FUNC, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x41, 0x00);
    /* memory.size's reserved byte */
    EXPECT(WASM_MALFORMED, "zero byte expected",
           HDR, ONE_FUNC, 0x05, 0x03, 0x01, 0x00, 0x01, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x3f, 0x01, 0x0b);
    /* an opcode that does not exist */
    EXPECT(WASM_MALFORMED, "illegal opcode 0xff",
           HDR, ONE_FUNC, 0x0a, 0x05, 0x01, 0x03, 0x00, 0xff, 0x0b);
    /* an import name that is not UTF-8 */
    EXPECT(WASM_MALFORMED, "malformed UTF-8 encoding",
           HDR, 0x02, 0x07, 0x01, 0x01, 0xc0, 0x01, 0x61, 0x03, 0x7f, 0x00);
    /* global mutability 2 */
    EXPECT(WASM_MALFORMED, "malformed mutability",
           HDR, 0x06, 0x06, 0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b);
    /* 2^32 locals */
    EXPECT(WASM_MALFORMED, "too many locals",
           HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x0c, 0x01, 0x0a, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x02, 0x7e, 0x0b);
    /* SIMD is refused as unsupported, naming it */
    EXPECT(WASM_MALFORMED, "SIMD (v128) is not supported",
           HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7b, 0x00);
}

static void test_invalid(void)
{
    /* messages say where: the function, for validation errors */
    static const uint8_t bad_body[] = {HDR, ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00,
                                       0x0b};
    wasm_result res;
    CHECK(wasm_module_new(bad_body, sizeof bad_body, NULL, &res) == NULL);
    CHECK_STR(res.message, "type mismatch (function 0)");

    /* () -> i32 returning an i64 */
    EXPECT(WASM_INVALID, "type mismatch",
           HDR, ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b);
    /* local.get 0 with no locals */
    EXPECT(WASM_INVALID, "unknown local 0",
           HDR, ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x20, 0x00, 0x0b);
    /* call 5 */
    EXPECT(WASM_INVALID, "unknown function 5",
           HDR, ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x05, 0x0b);
    /* i32.load without a memory */
    EXPECT(WASM_INVALID, "unknown memory 0",
           HDR, ONE_FUNC, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x41, 0x00, 0x28, 0x02, 0x00, 0x0b);
    /* i32.load with alignment 8 */
    EXPECT(WASM_INVALID, "alignment must not be larger than natural",
           HDR, ONE_FUNC, 0x05, 0x03, 0x01, 0x00, 0x01, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x41, 0x00, 0x28, 0x03, 0x00, 0x0b);
    /* br 1 at function level */
    EXPECT(WASM_INVALID, "unknown label 1",
           HDR, ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x0c, 0x01, 0x0b);
    /* two memories */
    EXPECT(WASM_INVALID, "multiple memories",
           HDR, 0x05, 0x05, 0x02, 0x00, 0x00, 0x00, 0x00);
    /* memory of 65537 pages */
    EXPECT(WASM_INVALID, "memory size must be at most 65536 pages (4GiB)",
           HDR, 0x05, 0x05, 0x01, 0x00, 0x81, 0x80, 0x04);
    /* a global initialised by a non-constant instruction */
    EXPECT(WASM_INVALID, "constant expression required",
           HDR, 0x06, 0x07, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x45, 0x0b);
    /* exporting "a" twice */
    EXPECT(WASM_INVALID, "duplicate export name",
           HDR, ONE_FUNC, 0x07, 0x09, 0x02, 0x01, 0x61, 0x00, 0x00, 0x01, 0x61, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b);
    /* select with an explicit empty result list (1C 00): what select.wast
     * line 324 means, though its converted .wasm holds an untyped 1B */
    EXPECT(WASM_INVALID, "invalid result arity",
           HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x0a, 0x01, 0x08, 0x00, 0x01, 0x01, 0x41, 0x01, 0x1c, 0x00, 0x0b);
    /* ... and the untyped select of that .wasm pops three values from one */
    EXPECT(WASM_INVALID, "type mismatch",
           HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x01, 0x01, 0x41, 0x01, 0x1b, 0x0b);
    /* a malformed byte after an invalid body still wins: the body has a
     * type error, the data section that follows a bad segment kind */
    EXPECT(WASM_MALFORMED, "malformed data segment kind",
           HDR, ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b, 0x0b, 0x02, 0x01, 0x07);
}

/* Features: tail calls only when asked for; extended-const unless turned
 * off; multi-value block types. */
static void test_features(void)
{
    /* () -> (i32) whose body is "return_call 0" (itself) */
    static const uint8_t tail[] = {HDR, ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x12, 0x00, 0x0b};
    wasm_result res;
    wasm_module *m = wasm_module_new(tail, sizeof tail, NULL, &res);
    CHECK(m == NULL);
    CHECK_INT(res.kind, WASM_MALFORMED);
    CHECK_STR(res.message, "illegal opcode 0x12 (function 0, byte 0x19)");
    wasm_features f = {.tail_call = true};
    m = wasm_module_new(tail, sizeof tail, &f, &res);
    CHECK(m != NULL);
    wasm_module_free(m);

    /* extended-const: (global i32 (i32.add (i32.const 1) (i32.const 2)))
     * is accepted by default (NULL or zeroed features), refused as core 2.0
     * when switched off */
    static const uint8_t ext_const[] = {HDR, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x41, 0x01,
                                        0x41, 0x02, 0x6a, 0x0b};
    m = wasm_module_new(ext_const, sizeof ext_const, NULL, &res);
    CHECK(m != NULL);
    wasm_module_free(m);
    wasm_features zero = {0};
    m = wasm_module_new(ext_const, sizeof ext_const, &zero, &res);
    CHECK(m != NULL);
    wasm_module_free(m);
    wasm_features core2 = {.no_extended_const = true};
    m = wasm_module_new(ext_const, sizeof ext_const, &core2, &res);
    CHECK(m == NULL);
    CHECK_INT(res.kind, WASM_INVALID);
    CHECK(strncmp(res.message, "constant expression required", 28) == 0);
    wasm_module_free(m);

    /* type 1 = (i32 i32) -> (i32); block (type 1) i32.add end, fed by two
     * constants, inside () -> (i32) */
    static const uint8_t multi[] = {HDR, 0x01, 0x0b, 0x02, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x02,
                                    0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x0c,
                                    0x01, 0x0a, 0x00, 0x41, 0x01, 0x41, 0x02, 0x02, 0x01, 0x6a,
                                    0x0b, 0x0b};
    m = wasm_module_new(multi, sizeof multi, NULL, &res);
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(m->funcs[0].max_stack, 2);
        CHECK_INT(m->funcs[0].max_depth, 2);
    }
    wasm_module_free(m);
}

/* A module built over an adopted buffer reads its names from that buffer;
 * a rejected one frees it (the ASan pass reports a leak otherwise). */
static void test_module_takes_the_buffer(void)
{
    uint8_t *owned = malloc(sizeof full_module);
    memcpy(owned, full_module, sizeof full_module);
    wasm_result res;
    wasm_module *m = wasm_module_new_take(owned, sizeof full_module, NULL, &res);
    CHECK(m != NULL);
    if (m) {
        CHECK_STR(wasm_module_export(m, 1).name, "mem");
        CHECK_STR(wasm_module_export_signature(m, "add"), "ii:i");
        wasm_module_free(m);
    }
    uint8_t *bad = malloc(4);
    memcpy(bad, "\0asX", 4);
    CHECK(wasm_module_new_take(bad, 4, NULL, &res) == NULL);
    CHECK_INT(res.kind, WASM_MALFORMED);
}

int main(void)
{
    RUN(test_full_module);
    RUN(test_module_takes_the_buffer);
    RUN(test_truncations);
    RUN(test_malformed);
    RUN(test_invalid);
    RUN(test_features);
    return TEST_SUMMARY();
}
