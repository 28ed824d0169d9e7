/*
 * fuzz_sigparse.c - libFuzzer target for the linker's signature text
 * (src/component/sigparse.c, rtype_text.c).  The first byte chooses a
 * function signature ('f') or a type (anything else); the rest is the
 * text, parsed in an interface that has a resource `res`, a named record
 * `named` and a named variant `err-variant`.
 *
 * Invariants checked: parsing either fails with an error that names an
 * offset ("... at N: ...", N within the text) or succeeds; and when it
 * succeeds, the formatted text parses again (unless the expansion of
 * named types nests it past the depth bound), formats to the same text,
 * and is structurally equal to the first parse.
 */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static component_linker *linker;
static const component_host_interface *scope;

static void setup(void)
{
    util_error *err = NULL;
    const char *I = "fuzz:sig/i@1.0.0";
    linker = component_linker_new();
    if (!component_linker_define_resource(linker, I, "res", NULL, &err) ||
        component_linker_define_type(linker, I, "named", "record{a: u8, b: list<string>}", &err) <
            0 ||
        component_linker_define_type(linker, I, "err-variant", "variant{closed, failed(own<res>)}",
                                     &err) < 0) {
        fprintf(stderr, "fuzz_sigparse setup: %s\n", err->msg);
        abort();
    }
    scope = component_linker_find(linker, I);
}

/* The error names an offset inside the text. */
static void check_error(util_error *err, size_t len)
{
    const char *at = strstr(err->msg, " at ");
    if (!at) {
        if (strstr(err->msg, "nesting") || strstr(err->msg, "out of memory"))
            return; /* the layout's bound, or memory: no position to name */
        fprintf(stderr, "error without an offset: %s\n", err->msg);
        abort();
    }
    unsigned long off = strtoul(at + 4, NULL, 10);
    if (off > len) {
        fprintf(stderr, "offset past the text (%zu bytes): %s\n", len, err->msg);
        abort();
    }
}

static void check_roundtrip(component_rtype_pool *pool, bool func, const void *first,
                            const char *text)
{
    util_error *err = NULL;
    static char again[1 << 16];
    const void *second = func ? (const void *)component_sig_parse_func(pool, scope, "f", text, &err)
                              : (const void *)component_sig_parse_type(pool, scope, "t", text, &err);
    if (!second) {
        if (!strstr(err->msg, "nested deeper") && !strstr(err->msg, "nesting")) {
            fprintf(stderr, "formatted text does not parse: %s\n%s\n", text, err->msg);
            abort();
        }
        util_error_free(&err);
        return;
    }
    char why[512];
    if (func) {
        component_rfunc_format(second, again, sizeof again);
        if (!component_rfunc_equal(first, second, why, sizeof why)) {
            fprintf(stderr, "reparse differs: %s\n", why);
            abort();
        }
    } else {
        component_rtype_format(second, again, sizeof again);
        if (!component_rtype_equal(first, second, why, sizeof why)) {
            fprintf(stderr, "reparse differs: %s\n", why);
            abort();
        }
    }
    if (strcmp(again, text) != 0) {
        fprintf(stderr, "format is not stable:\n%s\n%s\n", text, again);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char formatted[1 << 16];
    if (!linker)
        setup();
    if (size < 1 || size > 4096 || memchr(data, 0, size))
        return 0;
    bool func = data[0] == 'f';
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    component_rtype_pool *pool = component_rtype_pool_new();
    util_error *err = NULL;
    const void *first = func ? (const void *)component_sig_parse_func(pool, scope, "f", text, &err)
                             : (const void *)component_sig_parse_type(pool, scope, "t", text, &err);
    if (!first) {
        check_error(err, size - 1);
        util_error_free(&err);
    } else {
        if (func)
            component_rfunc_format(first, formatted, sizeof formatted);
        else
            component_rtype_format(first, formatted, sizeof formatted);
        if (strlen(formatted) < sizeof formatted - 1) /* not truncated */
            check_roundtrip(pool, func, first, formatted);
    }
    component_rtype_pool_free(pool);
    free(text);
    return 0;
}
