/*
 * test_wave.c - WAVE text for component values (wave.c) through
 * component_func_call_text: every value type read as arguments, lowered
 * into a real instance (wat/wave.wat: identity functions), lifted back and
 * written as text again, so each round trip checks reader and writer
 * together; then every error the reader gives, word for word.
 */
#include "instance_internal.h"
#include "test.h"
#include "wave.h"

#include <stdlib.h>
#include <string.h>

/* The 16 u64s that make echo-* functions with a "pad" parameter spill
 * their parameters to memory (see wave.wat). */
#define PAD "(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)"

static struct {
    uint8_t *bytes;
    component_pre *pre;
    wasm_store *store;
    component_instance *inst;
} g;

static bool setup(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/component_wave.wasm", WASM_DIR);
    util_error *err = NULL;
    char *data = NULL;
    size_t len = 0;
    if (util_read_file(path, &data, &len, &err) < 0) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
        return false;
    }
    g.bytes = (uint8_t *)data;
    component_linker *l = component_linker_new();
    g.pre = component_pre_new(g.bytes, len, l, &err);
    component_linker_free(l);
    if (g.pre == NULL) {
        fprintf(stderr, "pre_new: %s\n", err->msg);
        util_error_free(&err);
        return false;
    }
    g.store = wasm_store_new(NULL);
    wasm_result res;
    g.inst = component_instantiate(g.pre, g.store, NULL, &res);
    if (g.inst == NULL)
        fprintf(stderr, "instantiate: %s\n", res.message);
    return g.inst != NULL;
}

static void teardown(void)
{
    component_instance_free(g.inst);
    wasm_store_free(g.store);
    component_pre_free(g.pre);
    free(g.bytes);
}

/* Calls `func` with `args` (plus the pad where the function has one).
 * Returns the result text, "(nothing)" when it returns nothing, or
 * "ERROR: <message>" / "TRAP: <message>", in a static buffer. */
static const char *call(const char *func, const char *args)
{
    static char out[4096];
    const component_func *f = component_instance_func(g.inst, NULL, func);
    if (f == NULL) {
        snprintf(out, sizeof out, "NO FUNCTION %s", func);
        return out;
    }
    char full[2048];
    if (strstr(component_func_signature(f), "pad:"))
        snprintf(full, sizeof full, "%s, %s", args, PAD);
    else
        snprintf(full, sizeof full, "%s", args);
    char *text = NULL;
    util_error *err = NULL;
    wasm_result res;
    if (component_func_call_text(g.inst, f, full, &text, &res, &err) < 0) {
        if (err)
            snprintf(out, sizeof out, "ERROR: %s", err->msg);
        else
            snprintf(out, sizeof out, "TRAP: %s", res.message);
        util_error_free(&err);
        return out;
    }
    snprintf(out, sizeof out, "%s", text ? text : "(nothing)");
    free(text);
    return out;
}

#define SAME(func, text) CHECK_STR(call(func, text), text)

static void test_numbers(void)
{
    SAME("echo-bool", "true");
    SAME("echo-bool", "false");
    SAME("echo-u8", "0");
    SAME("echo-u8", "255");
    SAME("echo-s8", "-128");
    SAME("echo-s8", "127");
    SAME("echo-u16", "65535");
    SAME("echo-s16", "-32768");
    SAME("echo-u32", "4294967295");
    SAME("echo-s32", "-2147483648");
    SAME("echo-u64", "18446744073709551615");
    SAME("echo-s64", "-9223372036854775808");
    SAME("echo-s64", "9223372036854775807");
    CHECK_STR(call("echo-u32", "007"), "7");
    CHECK_STR(call("echo-u32", "  // the answer\n 42 // end"), "42");
    SAME("echo-f32", "1.5");
    SAME("echo-f32", "-0.25");
    SAME("echo-f32", "nan");
    SAME("echo-f32", "inf");
    SAME("echo-f32", "-inf");
    SAME("echo-f32", "3.4028235e+38");
    CHECK_STR(call("echo-f32", "0.1"), "0.1");
    SAME("echo-f64", "0.1");
    SAME("echo-f64", "-0");
    SAME("echo-f64", "1e+300");
    SAME("echo-f64", "-inf");
    SAME("echo-f64", "nan");
    CHECK_STR(call("echo-f64", "2.5e-3"), "0.0025");
    CHECK_STR(call("echo-f64", "12"), "12");
    CHECK_STR(call("add", "40, 2"), "42");
    CHECK_STR(call("add", " -50 ,8, "), "-42");
}

static void test_chars_and_strings(void)
{
    SAME("echo-char", "'x'");
    SAME("echo-char", "'\\''");
    SAME("echo-char", "'\"'");
    SAME("echo-char", "'\\\\'");
    SAME("echo-char", "'\\n'");
    SAME("echo-char", "'\xe2\x98\x83'");
    CHECK_STR(call("echo-char", "'\\u{1F600}'"), "'\xf0\x9f\x98\x80'");
    CHECK_STR(call("echo-char", "'\\u{7}'"), "'\\u{7}'");
    SAME("echo-string", "\"\"");
    SAME("echo-string", "\"a\\tb\\\"c\\\\d\\n\\r'\"");
    CHECK_STR(call("echo-string", "\"\\u{41}\\u{0}\\'\xe2\x98\x83\""),
              "\"A\\u{0}'\xe2\x98\x83\"");
}

static void test_lists_and_tuples(void)
{
    SAME("echo-list-s16", "[]");
    SAME("echo-list-s16", "[1, -2, 32767]");
    CHECK_STR(call("echo-list-s16", "[ 1,2 , 3, ]"), "[1, 2, 3]");
    SAME("echo-list-f64", "[0.5, nan, -inf]");
    SAME("echo-list-string", "[\"a\", \"\", \"b\\n\"]");
    SAME("echo-list-string", "[]");
    SAME("echo-tuple", "(7, \"x\", 'y')");
    CHECK_STR(call("echo-tuple", "( 7 , \"x\" , 'y' , )"), "(7, \"x\", 'y')");
    SAME("echo-nested", "[(some(\"a\"), ok(1)), (none, err(\"b\"))]");
}

static void test_records(void)
{
    SAME("echo-record", "{a: 1, b: \"x\", c: some(2)}");
    CHECK_STR(call("echo-record", "{b: \"x\", a: 1}"), "{a: 1, b: \"x\", c: none}");
    CHECK_STR(call("echo-record", "{c: 3, a: 4, b: \"\",}"), "{a: 4, b: \"\", c: some(3)}");
    CHECK_STR(call("echo-opts", "{:}"), "{x: none, y: none}");
    CHECK_STR(call("echo-opts", "{ : }"), "{x: none, y: none}");
    CHECK_STR(call("echo-opts", "{y: \"q\"}"), "{x: none, y: some(\"q\")}");
}

static void test_variants_enums_flags(void)
{
    SAME("echo-variant", "empty");
    SAME("echo-variant", "num(-5)");
    SAME("echo-variant", "text(\"t\")");
    SAME("echo-variant", "%ok(1)");
    SAME("echo-enum", "green");
    SAME("echo-enum", "blue");
    SAME("echo-keyword-enum", "left");
    SAME("echo-keyword-enum", "%true");
    SAME("echo-keyword-enum", "%none");
    SAME("echo-flags", "{}");
    SAME("echo-flags", "{read, exec}");
    CHECK_STR(call("echo-flags", "{exec, read, write,}"), "{read, write, exec}");
}

static void test_options_and_results(void)
{
    SAME("echo-option", "some(1)");
    SAME("echo-option", "none");
    CHECK_STR(call("echo-option", "1"), "some(1)");
    SAME("echo-option-option", "none");
    SAME("echo-option-option", "some(none)");
    SAME("echo-option-option", "some(some(1))");
    CHECK_STR(call("echo-option-option", "5"), "some(some(5))");
    CHECK_STR(call("echo-option-option", "some(5)"), "some(some(5))");
    SAME("echo-result", "ok(3)");
    SAME("echo-result", "err(\"e\")");
    CHECK_STR(call("echo-result", "3"), "ok(3)");
    SAME("echo-result-err", "ok");
    SAME("echo-result-err", "err(\"x\")");
    SAME("echo-unit-result", "ok");
    SAME("echo-unit-result", "err");
}

static void test_calls(void)
{
    CHECK_STR(call("nothing", ""), "(nothing)");
    CHECK_STR(call("nothing", "  "), "(nothing)");
    /* the instance is usable after a refused text: nothing was called */
    CHECK_STR(call("add", "1, x"), "ERROR: argument 2 at 3: expected s32, found x");
    CHECK_STR(call("add", "1, 1"), "2");
}

/* Last: a trapped instance may not be entered again. */
static void test_trap(void)
{
    CHECK_STR(call("trap", ""), "TRAP: unreachable");
}

static void test_errors(void)
{
    CHECK_STR(call("add", "40"), "ERROR: func(a: s32, b: s32) -> s32 takes 2 arguments, 1 given");
    CHECK_STR(call("add", "1, 2, 3"),
              "ERROR: func(a: s32, b: s32) -> s32 takes 2 arguments, 3 given");
    CHECK_STR(call("nothing", "1"), "ERROR: func() takes 0 arguments, 1 given");
    CHECK_STR(call("add", "40, \"x\""), "ERROR: argument 2 at 4: expected s32, found \"x\"");
    CHECK_STR(call("add", "40, 2)"),
              "ERROR: argument 2 at 5: expected the end of the value, found ')'");
    CHECK_STR(call("echo-u8", "300"), "ERROR: argument 1 at 0: 300 is out of range for u8 "
                                      "(0..255)");
    CHECK_STR(call("echo-s8", "-129"), "ERROR: argument 1 at 0: -129 is out of range for s8 "
                                       "(-128..127)");
    CHECK_STR(call("echo-u32", "-1"), "ERROR: argument 1 at 0: -1 is out of range for u32 "
                                      "(0..4294967295)");
    CHECK_STR(call("echo-u64", "18446744073709551616"),
              "ERROR: argument 1 at 0: 18446744073709551616 is out of range for u64 "
              "(0..18446744073709551615)");
    CHECK_STR(call("echo-s64", "-9223372036854775809"),
              "ERROR: argument 1 at 0: -9223372036854775809 is out of range for s64 "
              "(-9223372036854775808..9223372036854775807)");
    CHECK_STR(call("echo-s32", "1.5"), "ERROR: argument 1 at 0: expected s32, found 1.5");
    CHECK_STR(call("echo-u8", "1 2"),
              "ERROR: argument 1 at 2: expected the end of the value, found 2");
    CHECK_STR(call("echo-f32", "1e39"), "ERROR: argument 1 at 0: 1e39 is out of range for f32");
    CHECK_STR(call("echo-f64", "1."), "ERROR: argument 1 at 0: expected f64, found 1.");
    CHECK_STR(call("echo-f64", "Infinity"), "ERROR: argument 1 at 0: expected f64, found "
                                            "Infinity");
    CHECK_STR(call("echo-bool", "yes"), "ERROR: argument 1 at 0: expected bool, found yes");
    CHECK_STR(call("echo-bool", "%true"), "ERROR: argument 1 at 0: expected bool, found %true");
    CHECK_STR(call("echo-char", "'ab'"),
              "ERROR: argument 1 at 0: expected one character between the quotes");
    CHECK_STR(call("echo-char", "''"),
              "ERROR: argument 1 at 0: expected one character between the quotes");
    CHECK_STR(call("echo-char", "x"), "ERROR: argument 1 at 0: expected char, found x");
    CHECK_STR(call("echo-string", "\"abc"), "ERROR: argument 1 at 0: unterminated string");
    CHECK_STR(call("echo-string", "abc"), "ERROR: argument 1 at 0: expected string, found abc");
    CHECK_STR(call("echo-string", "\"a\\q\""),
              "ERROR: argument 1 at 2: unknown escape \\q (expected \\\\ \\' \\\" \\n \\t \\r "
              "or \\u{hex})");
    CHECK_STR(call("echo-string", "\"\\u{d800}\""),
              "ERROR: argument 1 at 1: \\u{d800} is not a Unicode scalar value");
    CHECK_STR(call("echo-string", "\"\\u{1234567}\""),
              "ERROR: argument 1 at 1: expected \\u{hex} with 1 to 6 hex digits");
    CHECK_STR(call("echo-string", "\"\\u41\""), "ERROR: argument 1 at 1: expected \\u{hex}");
    CHECK_STR(call("echo-string", "\"\xff\""), "ERROR: argument 1 at 1: invalid UTF-8");
    CHECK_STR(call("echo-list-s16", "[1, 2"),
              "ERROR: argument 1 at 5: expected ',', found the end");
    CHECK_STR(call("echo-list-s16", "[1 2]"), "ERROR: argument 1 at 3: expected ',', found 2");
    CHECK_STR(call("echo-list-s16", "(1)"),
              "ERROR: argument 1 at 0: expected list<s16>, found '('");
    CHECK_STR(call("echo-tuple", "(1, \"x\")"),
              "ERROR: argument 1 at 0: tuple<u8, string, char> takes 3 values, found 2");
    CHECK_STR(call("echo-tuple", "(1, \"x\", 'c', 4)"),
              "ERROR: argument 1 at 14: expected ')' after 3 values, found 4");
    CHECK_STR(call("echo-record", "{a: 1}"),
              "ERROR: argument 1 at 0: missing field b (string)");
    CHECK_STR(call("echo-record", "{a: 1, b: \"\", d: 2}"),
              "ERROR: argument 1 at 14: no field d in "
              "record{a: u32, b: string, c: option<u8>}");
    CHECK_STR(call("echo-record", "{a: 1, a: 2, b: \"\"}"),
              "ERROR: argument 1 at 7: field a given twice");
    CHECK_STR(call("echo-record", "{a 1}"), "ERROR: argument 1 at 3: expected ':', found 1");
    CHECK_STR(call("echo-enum", "purple"),
              "ERROR: argument 1 at 0: expected enum{red, green, blue}, found purple");
    CHECK_STR(call("echo-keyword-enum", "true"),
              "ERROR: argument 1 at 0: expected enum{left, true, none}, found true");
    CHECK_STR(call("echo-variant", "num"),
              "ERROR: argument 1 at 3: expected '(' (case num takes a payload), found ','");
    CHECK_STR(call("echo-variant", "empty(1)"),
              "ERROR: argument 1 at 5: case empty takes no payload");
    CHECK_STR(call("echo-variant", "num(1"), "ERROR: argument 1 at 5: expected ')', found ','");
    CHECK_STR(call("add", "[1, 2"), "ERROR: argument 1 at 0: expected s32, found '['");
    CHECK_STR(call("add", "1, 2]"),
              "ERROR: argument 2 at 4: expected the end of the value, found ']'");
    CHECK_STR(call("echo-string", "\"a, 1"), "ERROR: argument 1 at 0: unterminated string");
    CHECK_STR(call("echo-flags", "{read, fly}"),
              "ERROR: argument 1 at 7: no flag fly in flags{read, write, exec}");
    CHECK_STR(call("echo-option", "some(300)"),
              "ERROR: argument 1 at 5: 300 is out of range for u8 (0..255)");
    CHECK_STR(call("echo-option", "x"), "ERROR: argument 1 at 0: expected option<u8>, found x");
    /* a bare payload of the right kind but wrong value says why */
    CHECK_STR(call("echo-option", "300"),
              "ERROR: argument 1 at 0: 300 is out of range for u8 (0..255)");
    CHECK_STR(call("echo-option-option", "[1]"),
              "ERROR: argument 1 at 0: expected option<option<u8>>, found '['");
    CHECK_STR(call("echo-unit-result", "ok(1)"),
              "ERROR: argument 1 at 2: case ok takes no payload");
    CHECK_STR(call("echo-unit-result", "1"), "ERROR: argument 1 at 0: expected result, found 1");
    CHECK_STR(call("echo-result", "err"),
              "ERROR: argument 1 at 3: expected '(' (case err takes a payload), found ','");
    CHECK_STR(call("take-thing", "1"),
              "ERROR: func(x: own<thing>): parameter x is a resource handle, which cannot be "
              "written as text");
}

/* Nesting deeper than any resolved type may be is refused before the
 * stack could suffer: a hand-made chain of list<list<...>> types. */
static void test_nesting_is_bounded(void)
{
    enum { DEPTH = COMPONENT_MAX_TYPE_DEPTH + 20 };
    static component_rtype chain[DEPTH];
    for (int i = 0; i < DEPTH; i++)
        chain[i] = (component_rtype){.kind = COMPONENT_TYPE_LIST,
                                     .a = i + 1 < DEPTH ? &chain[i + 1]
                                                        : component_rtype_prim(COMPONENT_PRIM_U8)};
    char text[2 * DEPTH + 1];
    memset(text, '[', DEPTH);
    memset(text + DEPTH, ']', DEPTH);
    text[2 * DEPTH] = '\0';
    component_arena *a = component_arena_new(1 << 20);
    component_val v;
    util_error *err = NULL;
    CHECK(component_wave_read(&chain[0], text, a, &v, &err) < 0);
    CHECK_STR(err ? err->msg : NULL, "value at 100: values nest more than 100 deep");
    util_error_free(&err);
    /* 100 levels read (the innermost list empty) */
    const char *hundred = text + DEPTH - COMPONENT_MAX_TYPE_DEPTH;
    char inner[2 * COMPONENT_MAX_TYPE_DEPTH + 1];
    snprintf(inner, sizeof inner, "%.*s", 2 * COMPONENT_MAX_TYPE_DEPTH, hundred);
    CHECK(component_wave_read(&chain[DEPTH - COMPONENT_MAX_TYPE_DEPTH], inner, a, &v, &err) == 0);
    CHECK(v.kind == COMPONENT_VAL_LIST && v.of.list.n == 1);
    util_error_free(&err);
    component_arena_free(a);
}

int main(void)
{
    if (!setup()) {
        fprintf(stderr, "FAIL setup\n");
        return 1;
    }
    RUN(test_numbers);
    RUN(test_chars_and_strings);
    RUN(test_lists_and_tuples);
    RUN(test_records);
    RUN(test_variants_enums_flags);
    RUN(test_options_and_results);
    RUN(test_calls);
    RUN(test_errors);
    RUN(test_nesting_is_bounded);
    RUN(test_trap);
    teardown();
    return TEST_SUMMARY();
}
