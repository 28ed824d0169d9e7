/*
 * define.c - the table of preview 1 functions and wasi_define.
 *
 * One static table gives each function its name, core signature (the
 * engine's "params:results" letters) and implementation; defining is a
 * loop.  wasi_define_imports defines only what one module imports, so a
 * per-request store costs one host-function object per import actually used.
 * The legacy `wasi_unstable` (snapshot 0) name shares every function whose
 * ABI did not change; the few that did have adapters in legacy.c.
 * wasi_define_for_stores defines them in no store at all: every function
 * finds its ctx as its store's user_data (the engine passes that as env),
 * so the definitions, and a module's resolution of them, are made once.
 */
#include "wasi_internal.h"

#include <string.h>

typedef struct fn_entry {
    const char *name;
    const char *sig;
    wasm_host_fn fn;
} fn_entry;

#define ENTRY(name, sig) {#name, sig, wasi_fn_##name},
static const fn_entry fns[] = {WASI_FNS(ENTRY)};
#undef ENTRY

static const fn_entry legacy_fns[] = {
    {"fd_seek", "iIii:i", wasi_fn_legacy_fd_seek},
    {"fd_filestat_get", "ii:i", wasi_fn_legacy_fd_filestat_get},
    {"path_filestat_get", "iiiii:i", wasi_fn_legacy_path_filestat_get},
    {"poll_oneoff", "iiii:i", wasi_fn_legacy_poll_oneoff},
};

static const fn_entry *find(const fn_entry *table, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

int wasi_define_imports(wasm_linker *linker, wasm_store *store, wasi_ctx *ctx,
                        const wasm_module *module)
{
    size_t n = wasm_module_import_count(module);
    for (size_t i = 0; i < n; i++) {
        wasm_import_desc d = wasm_module_import(module, i);
        if (d.kind != WASM_EXTERN_FUNC)
            continue;
        bool legacy = strcmp(d.module, "wasi_unstable") == 0;
        if (!legacy && strcmp(d.module, "wasi_snapshot_preview1") != 0)
            continue;
        const fn_entry *e = NULL;
        if (legacy)
            e = find(legacy_fns, UTIL_ARRAY_LEN(legacy_fns), d.name);
        if (e == NULL)
            e = find(fns, UTIL_ARRAY_LEN(fns), d.name);
        if (e != NULL) /* unknown names are left for instantiation to report */
            wasm_linker_define_host(linker, store, d.module, d.name, e->sig, e->fn, ctx);
    }
    return 0;
}

int wasi_define_for_stores(wasm_linker *linker)
{
    for (size_t i = 0; i < UTIL_ARRAY_LEN(fns); i++) {
        wasm_linker_define_func(linker, "wasi_snapshot_preview1", fns[i].name, fns[i].sig,
                                fns[i].fn, NULL);
        wasm_linker_define_func(linker, "wasi_unstable", fns[i].name, fns[i].sig, fns[i].fn,
                                NULL);
    }
    for (size_t i = 0; i < UTIL_ARRAY_LEN(legacy_fns); i++)
        wasm_linker_define_func(linker, "wasi_unstable", legacy_fns[i].name, legacy_fns[i].sig,
                                legacy_fns[i].fn, NULL);
    return 0;
}

int wasi_define(wasm_linker *linker, wasm_store *store, wasi_ctx *ctx)
{
    for (size_t i = 0; i < UTIL_ARRAY_LEN(fns); i++) {
        wasm_func *f = wasm_func_new_host(store, fns[i].sig, fns[i].fn, ctx, NULL);
        wasm_extern ext = {.kind = WASM_EXTERN_FUNC, .of.func = f};
        wasm_linker_define(linker, "wasi_snapshot_preview1", fns[i].name, ext);
        wasm_linker_define(linker, "wasi_unstable", fns[i].name, ext);
    }
    for (size_t i = 0; i < UTIL_ARRAY_LEN(legacy_fns); i++)
        wasm_linker_define_host(linker, store, "wasi_unstable", legacy_fns[i].name,
                                legacy_fns[i].sig, legacy_fns[i].fn, ctx);
    return 0;
}
