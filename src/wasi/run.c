/*
 * run.c - wasi_run_command: the whole life of a WASI command in one call.
 *
 * Fresh store, fresh linker, one ctx; instantiate, call the entry point,
 * tear down.  proc_exit arrives from the engine as WASM_EXIT and becomes a
 * normal return with the exit code, because for a command exiting is
 * success, not an error.
 */
#include "wasi_internal.h"

#include <string.h>

int wasi_run_command(wasm_module *module, const wasi_config *config, const char *invoke,
                     const wasm_store_config *store_config, wasm_result *res, int *exit_code,
                     util_error **err)
{
    wasm_result_init(res);
    *exit_code = 0;
    wasi_ctx *ctx = wasi_ctx_new(config, err);
    if (ctx == NULL)
        return -1;
    wasm_store_config sc = {0};
    if (store_config != NULL)
        sc = *store_config;
    wasm_store *store = wasm_store_new(&sc);
    wasm_linker *linker = wasm_linker_new();
    wasi_define_imports(linker, store, ctx, module);
    if (config->deadline_ns != 0)
        wasm_store_set_deadline(store, config->deadline_ns);

    int rc = -1;
    const char *entry = invoke ? invoke : "_start";
    wasm_instance *inst = wasm_instantiate(store, module, linker, res);
    if (inst == NULL) {
        if (res->kind == WASM_EXIT) { /* proc_exit from a start function */
            *exit_code = res->exit_code;
            rc = 0;
        }
        goto out;
    }
    /* A reactor's libc is set up by _initialize, to be called before any
     * other export (the WASI application ABI). */
    wasm_func *init = wasm_instance_func(inst, "_initialize");
    if (init != NULL && strcmp(entry, "_initialize") != 0 &&
        wasm_func_call(store, init, NULL, 0, NULL, 0, res) != 0) {
        if (res->kind == WASM_EXIT) {
            *exit_code = res->exit_code;
            rc = 0;
        } else if (res->kind == WASM_TRAP && wasi_ctx_deadline_hit(ctx)) {
            res->kind = WASM_INTERRUPTED;
        }
        goto out;
    }
    wasm_func *fn = wasm_instance_func(inst, entry);
    if (fn == NULL) {
        util_error_set(err, 0, "the module exports no function '%s'", entry);
        goto out;
    }
    const char *sig = wasm_func_signature(fn);
    if (sig == NULL || sig[0] != ':') {
        util_error_set(err, 0, "'%s' takes parameters (%s); only a function without parameters "
                       "can be invoked", entry, sig ? sig : "?");
        goto out;
    }
    wasm_val results[16];
    size_t nresults = strlen(strchr(sig, ':') + 1);
    if (nresults > UTIL_ARRAY_LEN(results)) {
        util_error_set(err, 0, "'%s' returns too many values", entry);
        goto out;
    }
    if (wasm_func_call(store, fn, NULL, 0, results, nresults, res) == 0) {
        rc = 0;
    } else if (res->kind == WASM_EXIT) {
        *exit_code = res->exit_code;
        rc = 0;
    } else if (res->kind == WASM_TRAP && wasi_ctx_deadline_hit(ctx)) {
        res->kind = WASM_INTERRUPTED; /* stopped while blocked in a WASI call */
    }
out:
    wasm_linker_free(linker);
    wasm_store_free(store);
    wasi_ctx_free(ctx);
    return rc;
}
