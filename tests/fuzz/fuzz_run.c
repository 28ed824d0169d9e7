/*
 * fuzz_run.c - libFuzzer target for the whole engine: decode + validate an
 * arbitrary binary, and if it is a valid module, instantiate it with stub
 * imports (host functions returning zeros, fresh tables/memories/globals of
 * the imported types) and call every exported function that takes no
 * arguments, each under a 50 ms deadline.  Any crash, sanitizer report or
 * hang is a bug; traps and refusals are expected outcomes.
 *
 * It reads import types through the engine's internal module view because
 * the public API only exposes import names and kinds.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runtime.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int stub(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    (void)c;
    (void)env;
    (void)args;
    (void)results; /* results arrive zeroed */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wasm_result r;
    wasm_result_init(&r);
    wasm_module *m = wasm_module_new(data, size, NULL, &r);
    if (!m)
        return 0;
    wasm_store_config cfg = {.max_memory_bytes = 64ull << 20, .max_call_depth = 2000};
    wasm_store *s = wasm_store_new(&cfg);
    wasm_linker *l = wasm_linker_new();
    bool ok = true;
    for (size_t i = 0; i < wasm_module_import_count(m) && ok; i++) {
        wasm_import_desc d = wasm_module_import(m, i);
        mv_extern_type t;
        wasm_mv_import_type(m, (uint32_t)i, &t);
        wasm_extern e = {.kind = t.kind};
        switch (t.kind) {
        case WASM_EXTERN_FUNC: {
            char *sig = wasm_rt_sig_of_functype(m, t.type_idx);
            e.of.func = wasm_func_new_host(s, sig, stub, NULL, NULL);
            free(sig);
            ok = e.of.func != NULL;
            break;
        }
        case WASM_EXTERN_TABLE: {
            wasm_val init;
            memset(&init, 0, sizeof init);
            wasm_limits lim = {t.limits.min, t.limits.has_max ? t.limits.max : UINT64_MAX};
            e.of.table = wasm_table_new(s, (wasm_valtype)t.valtype, lim, init, &r);
            ok = e.of.table != NULL;
            break;
        }
        case WASM_EXTERN_MEMORY: {
            wasm_limits lim = {t.limits.min, t.limits.has_max ? t.limits.max : UINT64_MAX};
            e.of.memory = wasm_memory_new(s, lim, &r);
            ok = e.of.memory != NULL;
            break;
        }
        case WASM_EXTERN_GLOBAL: {
            wasm_val v;
            memset(&v, 0, sizeof v);
            e.of.global = wasm_global_new(s, (wasm_valtype)t.valtype, t.mutable_, v);
            break;
        }
        }
        if (ok)
            wasm_linker_define(l, d.module, d.name, e);
    }
    wasm_store_set_deadline(s, now_ns() + 50 * 1000000ull);
    wasm_instance *inst = ok ? wasm_instantiate(s, m, l, &r) : NULL;
    if (inst) {
        for (size_t i = 0; i < wasm_module_export_count(m); i++) {
            wasm_export_desc d = wasm_module_export(m, i);
            if (d.kind != WASM_EXTERN_FUNC)
                continue;
            wasm_func *f = wasm_instance_func(inst, d.name);
            const char *sig = f ? wasm_func_signature(f) : NULL;
            if (!sig || sig[0] != ':')
                continue;
            size_t nres = strlen(sig + 1);
            wasm_val res[16];
            if (nres > 16)
                continue;
            wasm_store_set_deadline(s, now_ns() + 50 * 1000000ull);
            wasm_func_call(s, f, NULL, 0, res, nres, &r);
        }
    }
    wasm_linker_free(l);
    wasm_store_free(s);
    wasm_module_free(m);
    return 0;
}
