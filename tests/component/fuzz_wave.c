/*
 * fuzz_wave.c - libFuzzer target for the WAVE reader and writer
 * (src/component/wave.c).  The input is the argument text of one
 * function whose parameters cover every value type WAVE has (its
 * signature is parsed once by the linker's sigparse).
 *
 * Invariants checked: reading either fails with an error that names an
 * argument and an offset inside the text ("argument N at OFF: ...") or
 * the argument count, or succeeds; when it succeeds, the values written
 * back as WAVE read again, and write again to the same text.
 */
#include "host.h"
#include "wave.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char signature[] =
    "func(a: record{x: u8, y: option<string>, z: s64}, "
    "b: list<variant{p, q(s16), r(tuple<char, f32>), ok(u32)}>, c: flags{m, n, %true}, "
    "d: result<option<u32>, enum{e1, e2}>, e: f64, f: result, g: option<option<bool>>, "
    "h: list<list<u8>>)";

static component_rtype_pool *pool;
static component_rfunc *fn;

static void setup(void)
{
    util_error *err = NULL;
    pool = component_rtype_pool_new();
    fn = component_sig_parse_func(pool, NULL, "fuzz", signature, &err);
    if (fn == NULL) {
        fprintf(stderr, "fuzz_wave setup: %s\n", err->msg);
        abort();
    }
}

static void check_error(const util_error *err, size_t len)
{
    if (strstr(err->msg, "arguments,") || strstr(err->msg, "the value is too large"))
        return;
    const char *at = strstr(err->msg, " at ");
    if (strncmp(err->msg, "argument ", 9) != 0 || at == NULL) {
        fprintf(stderr, "error without an argument and offset: %s\n", err->msg);
        abort();
    }
    if (strtoul(at + 4, NULL, 10) > len) {
        fprintf(stderr, "offset past the text (%zu bytes): %s\n", len, err->msg);
        abort();
    }
}

static char *write_args(const component_val *args)
{
    util_buf b = {0};
    for (uint32_t i = 0; i < fn->nparams; i++) {
        if (i)
            util_buf_append_str(&b, ", ");
        component_wave_write(fn->params[i].type, &args[i], &b);
    }
    return util_buf_steal(&b, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fn)
        setup();
    if (size > 4096 || memchr(data, 0, size))
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    component_arena *arena = component_arena_new(1 << 24);
    component_val *args = NULL;
    util_error *err = NULL;
    if (component_wave_read_args(fn, text, arena, &args, &err) < 0) {
        check_error(err, size);
        util_error_free(&err);
    } else {
        char *first = write_args(args);
        if (component_wave_read_args(fn, first, arena, &args, &err) < 0) {
            fprintf(stderr, "written text does not read:\n%s\n%s\n", first, err->msg);
            abort();
        }
        char *second = write_args(args);
        if (strcmp(first, second) != 0) {
            fprintf(stderr, "writing is not stable:\n%s\n%s\n", first, second);
            abort();
        }
        free(second);
        free(first);
    }
    component_arena_free(arena);
    free(text);
    return 0;
}
