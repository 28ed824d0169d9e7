/*
 * world_module.c - Spin components whose source is a core module carrying
 * its WIT world in component-type custom sections (Rust spin-sdk 2.x and
 * other wit-bindgen SDKs): Spin's componentize_if_necessary wraps these
 * in the preview-1 reactor adapter at load; here component_pre_new_module
 * makes them a component directly (src/component/componentize.c), linked
 * once against the app's component linker like any other component, and
 * the executor is chosen by its exports as for components (the wasi:http
 * incoming-handler, rc-2023-10-18 for the Spin 2.0 SDK).
 *
 * Their `wasi_snapshot_preview1` imports (Rust std: fd_write,
 * environ_get, proc_exit, ...) are what the adapter would have served
 * from the component's WASI 0.2 context; they are served by our preview 1
 * (src/wasi) with a context made per instance from the same settings:
 * the component's env, stdout/stderr to its log, its files read-only at
 * "/", no stdin and no arguments (Spin's HTTP components get none).  The
 * context lives as long as the store of the instance: it is the env of a
 * host function made in that store, freed when the store dies.
 * Which preview-1 functions exist is asked of a store-free linker at link
 * time, so a module importing something our preview 1 lacks (or with the
 * wrong signature) fails at load, naming the import.
 */
#include "app_internal.h"
#include "component.h"
#include "wasi.h"
#include "wasm.h"

#include <string.h>

static bool serves_preview1(void *env, const char *module, const char *name,
                            const char *signature)
{
    (void)env;
    wasm_linker *l = wasm_linker_new();
    wasi_define_for_stores(l);
    const char *have = wasm_linker_func_signature(l, module, name);
    bool ok = have && signature && strcmp(have, signature) == 0;
    wasm_linker_free(l);
    return ok;
}

static int ctx_keeper(wasm_caller *caller, void *env, const wasm_val *args, wasm_val *results)
{
    (void)caller, (void)env, (void)args, (void)results;
    return 0;
}

static void ctx_free(void *ctx)
{
    wasi_ctx_free(ctx);
}

/* The preview-1 context of one instance, as the component's WASI 0.2
 * context is made (spin_component_wasi2_config). */
static wasi_ctx *preview1_ctx(const spin_component_runtime *rt, util_error **err)
{
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.env = (const char *const *)rt->env;
    cfg.envc = rt->nenv;
    cfg.stdin_fd = -1;
    cfg.stdout_fd = rt->stdout_fd;
    cfg.stderr_fd = rt->stderr_fd;
    wasi_preopen files = {rt->files_dir, "/", true};
    if (rt->files_dir) {
        cfg.preopens = &files;
        cfg.npreopens = 1;
    }
    return wasi_ctx_new(&cfg, err);
}

static int define_preview1(void *env, wasm_linker *linker, wasm_store *store,
                           const wasm_module *module, void *data, wasm_result *res)
{
    (void)data;
    const spin_component_runtime *rt = env;
    util_error *e = NULL;
    wasi_ctx *ctx = preview1_ctx(rt, &e);
    if (!ctx) {
        res->kind = WASM_UNLINKABLE;
        snprintf(res->message, sizeof res->message, "component '%s': its preview 1 context: %s",
                 rt->id, e->msg);
        util_error_free(&e);
        return -1;
    }
    /* the store frees the context when it dies */
    wasm_func_new_host(store, ":", ctx_keeper, ctx, ctx_free);
    wasi_define_imports(linker, store, ctx, module);
    return 0;
}

int spin_world_module_link(struct component_linker *l, const char *bytes, size_t len,
                           spin_component_runtime *rt, util_error **err)
{
    component_core_host host = {
        .serves = serves_preview1,
        .define = define_preview1,
        .env = rt,
    };
    rt->pre = component_pre_new_module((const uint8_t *)bytes, len, l, &host, err);
    if (!rt->pre)
        return util_error_wrap(err, "component '%s': cannot make the core module a component "
                               "(as Spin's adapter would)", rt->id);
    return 0;
}
