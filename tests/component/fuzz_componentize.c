/*
 * fuzz_componentize.c - libFuzzer target for making a component from a
 * core module carrying its WIT world (src/component/componentize*.c): the
 * input is the whole module, so the module framing, the component-type
 * sections (both layouts, decoded by the component decoder) and the
 * import/export matching are all reached.  Seeds: Spin's SDK modules of
 * the shared corpus and the WAT test module with its embedded world.
 *
 * Invariants checked: component_from_module fails with a message, or
 * gives a binary the decoder accepts; component_module_has_world is true
 * whenever it succeeds.
 */
#include "component.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool serves(void *env, const char *module, const char *name, const char *sig)
{
    (void)env;
    if (!module || !name)
        abort();
    return sig && strcmp(module, "wasi_snapshot_preview1") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    component_core_host host = {.serves = serves};
    uint8_t *bin = NULL;
    size_t n = 0;
    util_error *err = NULL;
    if (component_from_module(data, size, &host, &bin, &n, &err) < 0) {
        if (!err || !err->msg[0])
            abort();
        util_error_free(&err);
        return 0;
    }
    if (!component_module_has_world(data, size))
        abort();
    component *c = NULL;
    if (component_decode(bin, n, &c, &err) < 0) {
        fprintf(stderr, "made component does not decode: %s\n", err->msg);
        abort();
    }
    component_free(c);
    free(bin);
    return 0;
}
