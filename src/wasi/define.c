/*
 * define.c - the table of preview 1 functions and wasi_define.
 *
 * One static table gives each function its name, core signature (the
 * engine's "params:results" letters) and implementation; defining is a
 * loop, so a per-request ctx costs one host-function object per import.
 * The legacy `wasi_unstable` (snapshot 0) name shares every function whose
 * ABI did not change; the few that did have adapters in legacy.c.
 */
#include "wasi_internal.h"

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
