/*
 * inbound_http.c - the Spin HTTP executor for Spin 1 ABI modules: core
 * modules exporting `handle-http-request` (spin-http.wit through
 * wit-bindgen 0.2) with `canonical_abi_realloc` and their memory, as the
 * TinyGo and Rust SDK 1.x toolchains (and the Spin Go SDK v2) build them.
 *
 * Spin runs such a module by wrapping it in its "spin" preview-1 adapter,
 * which turns it into a component exporting fermyon:spin/inbound-http.
 * This host serves it directly: the preview-1 imports are our own WASI
 * and spin-config reads the component's variables (inbound_http_config.c),
 * both resolved once at load as for Wagi, and the export is
 * called from C with the request lowered the way wit-bindgen 0.2 reads it
 * (inbound_http_abi.c).  No adapter binary can ship here (everything is
 * written in this tree), and one layer less is faster.
 *
 * Each request gets a fresh store and instance (as Spin instantiates per
 * request): the request deadline is on the store and the WASI context,
 * the request's cancel hook reaches the store, memory is capped like any
 * instance, and the guest's stdout and stderr go to the component's.
 * The instance is dropped after the call, so the guest's response buffers
 * are not handed back to canonical_abi_free: freeing memory that is thrown
 * away a moment later only costs time.
 *
 * Components exporting fermyon:spin/inbound-http share this executor
 * (inbound_http_component.c runs them): the same request record, the same
 * rules for the response.
 *
 * A trap, a proc_exit or a response the lifting refuses (a pointer outside
 * memory, say) is an executor error: the trigger logs it and answers 500,
 * and the next request gets a fresh instance.
 */
#include "inbound_http.h"
#include "wasi.h"

#include <string.h>

#define HANDLE_EXPORT "handle-http-request"
#define HANDLE_SIG "iiiiiiiiii:i"
#define REALLOC_EXPORT "canonical_abi_realloc"
#define REALLOC_SIG "iiii:i"

/* ---- the module's exports, checked once ---------------------------------- */

static bool exports_memory(const wasm_module *m, const char *name)
{
    for (size_t i = 0; i < wasm_module_export_count(m); i++) {
        wasm_export_desc d = wasm_module_export(m, i);
        if (d.kind == WASM_EXTERN_MEMORY && strcmp(d.name, name) == 0)
            return true;
    }
    return false;
}

static void expect_func(util_buf *missing, const wasm_module *m, const char *name,
                        const char *sig, const char *wat)
{
    const char *have = wasm_module_export_signature(m, name);
    if (have && strcmp(have, sig) == 0)
        return;
    util_buf_printf(missing, "%s'%s' (%s)%s", missing->len ? ", " : "", name, wat,
                    have ? " of another type" : "");
}

int spin_inbound_module_check(const char *id, const wasm_module *m, util_error **err)
{
    util_buf missing = {0};
    expect_func(&missing, m, HANDLE_EXPORT, HANDLE_SIG,
                "func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)");
    expect_func(&missing, m, REALLOC_EXPORT, REALLOC_SIG,
                "func (param i32 i32 i32 i32) (result i32)");
    if (!exports_memory(m, "memory"))
        util_buf_printf(&missing, "%s'memory' (memory)", missing.len ? ", " : "");
    if (missing.len == 0)
        return 0;
    util_error_set(err, 0,
                   "component '%s': a Spin HTTP module (Spin 1 ABI) must export "
                   "handle-http-request, canonical_abi_realloc and memory; it lacks %s",
                   id, missing.data);
    util_buf_free(&missing);
    return -1;
}

/* The module's imports resolved once: preview 1 (store-free, finding each
 * request's context as the store's user_data) and spin-config (finding
 * the component).  Fails naming the first import the host lacks. */
int spin_inbound_module_link(spin_component_runtime *comp, util_error **err)
{
    wasm_linker *l = wasm_linker_new();
    int rc = -1;
    if (wasi_define_for_stores(l) < 0 || spin_inbound_define_config(l, comp) < 0 ||
        spin_inbound_define_redis(l, comp) < 0) {
        util_error_set(err, 0, "component '%s': defining the host functions failed", comp->id);
    } else if (spin_legacy_define(l, err) < 0) {
        util_error_wrap(err, "component '%s'", comp->id);
    } else {
        size_t bad = 0;
        wasm_result res;
        comp->wagi_resolution = wasm_linker_resolve_at(l, comp->module, &bad, &res);
        if (comp->wagi_resolution) {
            rc = 0;
        } else {
            wasm_import_desc d = wasm_module_import(comp->module, bad);
            const char *have = wasm_linker_func_signature(l, d.module, d.name);
            util_error_set(err, 0,
                           "component '%s': cannot link its module: import %s::%s %s", comp->id,
                           d.module, d.name,
                           have ? "does not have the type the host gives it"
                                : "is not provided by the host: Spin 1 modules get WASI preview "
                                  "1, spin-config, key-value, sqlite, llm, outbound-redis, "
                                  "outbound-pg, outbound-mysql and wasi-outbound-http "
                                  "here");
        }
    }
    wasm_linker_free(l);
    return rc;
}

/* ---- one request --------------------------------------------------------- */

typedef struct guest {
    wasm_store *store;
    wasm_memory *memory;
    wasm_func *realloc_fn;
    wasm_result *res; /* where a trap in the guest's allocator is told */
} guest;

static uint8_t *guest_memory(void *arg, uint64_t *size)
{
    guest *g = arg;
    *size = wasm_memory_size(g->memory);
    return wasm_memory_data(g->memory);
}

/* A trap in the allocator stops the request like a trap in the handler;
 * the caller reads it from g->res. */
static int64_t guest_alloc(void *arg, uint32_t align, uint32_t size, util_error **err)
{
    guest *g = arg;
    wasm_val args[4] = {{.i32 = 0}, {.i32 = 0}, {.i32 = (int32_t)align}, {.i32 = (int32_t)size}};
    wasm_val ret;
    if (wasm_func_call(g->store, g->realloc_fn, args, 4, &ret, 1, g->res) != 0)
        return util_error_set(err, 0, "canonical_abi_realloc failed: %s", g->res->message);
    return (int64_t)(uint32_t)ret.i32;
}

static void interrupt_store(void *store)
{
    wasm_store_interrupt(store);
}

/* Why the guest stopped, as the trigger answers it. */
static int stopped(const spin_component_runtime *comp, const wasm_result *res, bool cancelled,
                   bool deadline_hit, util_error **err)
{
    if (res->kind == WASM_INTERRUPTED || (res->kind == WASM_TRAP && deadline_hit))
        return cancelled ? SPIN_EXEC_CANCELLED : SPIN_EXEC_TIMED_OUT;
    if (res->backtrace[0])
        util_log_debug("component '%s' trapped; backtrace:\n%s", comp->id, res->backtrace);
    if (res->kind == WASM_EXIT)
        util_error_set(err, 0, "component '%s': the guest exited with code %d", comp->id,
                       res->exit_code);
    else if (res->kind == WASM_TRAP)
        util_error_set(err, 0, "component '%s': the guest trapped: %s", comp->id,
                       res->message[0] ? res->message : "unknown trap");
    else
        util_error_set(err, 0, "component '%s': cannot instantiate: %s", comp->id, res->message);
    return SPIN_EXEC_FAILED;
}

/* Lowers, calls and lifts in a live instance; *res tells a guest stop. */
static int call_handler(wasm_store *store, wasm_instance *inst, const spin_inbound_request *r,
                        spin_inbound_response *out, wasm_result *res, util_error **err)
{
    guest g = {
        .store = store,
        .memory = wasm_instance_memory(inst, "memory"),
        .realloc_fn = wasm_instance_func(inst, REALLOC_EXPORT),
        .res = res,
    };
    wasm_func *handle = wasm_instance_func(inst, HANDLE_EXPORT);
    if (!g.memory || !g.realloc_fn || !handle)
        return util_error_set(err, 0, "the instance lacks its Spin 1 exports");
    spin_inbound_guest access = {.alloc = guest_alloc, .memory = guest_memory, .arg = &g};
    uint32_t flat[SPIN_INBOUND_FLAT_PARAMS];
    if (spin_inbound_lower_request(&access, r, flat, err) < 0)
        return -1;
    wasm_val args[SPIN_INBOUND_FLAT_PARAMS], ret;
    for (size_t i = 0; i < SPIN_INBOUND_FLAT_PARAMS; i++)
        args[i].i32 = (int32_t)flat[i];
    if (wasm_func_call(store, handle, args, SPIN_INBOUND_FLAT_PARAMS, &ret, 1, res) != 0)
        return -1;
    uint64_t size;
    uint8_t *mem = guest_memory(&g, &size);
    if (spin_inbound_lift_response(mem, size, (uint32_t)ret.i32, out, err) < 0)
        return util_error_wrap(err, "reading the guest's response");
    return 0;
}

wasi_ctx *spin_module_wasi_ctx_new(const spin_component_runtime *comp, uint64_t deadline_ns,
                                   util_error **err)
{
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.env = (const char *const *)comp->env;
    cfg.envc = comp->nenv;
    cfg.stdin_fd = -1;
    cfg.stdout_fd = comp->stdout_fd;
    cfg.stderr_fd = comp->stderr_fd;
    cfg.deadline_ns = deadline_ns;
    wasi_preopen pre = {comp->files_dir, "/", true};
    if (comp->files_dir) {
        cfg.preopens = &pre;
        cfg.npreopens = 1;
    }
    return wasi_ctx_new(&cfg, err);
}

static int run_module(const spin_component_runtime *comp, const spin_http_request *req,
                      const spin_inbound_request *r, spin_inbound_response *out,
                      util_error **err)
{
    wasi_ctx *ctx = spin_module_wasi_ctx_new(comp, req->deadline_ns, err);
    if (!ctx)
        return SPIN_EXEC_FAILED;
    wasm_store_config sc = {.max_memory_bytes = comp->max_memory_bytes, .user_data = ctx};
    wasm_store *store = wasm_store_new(&sc);
    if (req->deadline_ns)
        wasm_store_set_deadline(store, req->deadline_ns);

    wasm_result res;
    wasm_result_init(&res);
    bool cancelled = req->job && spin_http_job_on_cancel(req->job, interrupt_store, store) != 0;
    int rc = 0;
    if (cancelled) {
        rc = SPIN_EXEC_CANCELLED;
    } else {
        spin_legacy_request legacy;
        spin_legacy_request_begin(&legacy, comp, req);
        wasm_instance *inst =
            wasm_instantiate_resolved(store, comp->module, comp->wagi_resolution, &res);
        if (inst)
            rc = call_handler(store, inst, r, out, &res, err);
        else
            rc = -1;
        spin_legacy_request_end(&legacy);
        if (req->job) {
            spin_http_job_clear_cancel(req->job);
            cancelled = spin_http_job_cancelled(req->job) != 0;
        }
        /* A stop of the guest (res) is told apart from a host-side error. */
        if (rc < 0 && res.kind != WASM_OK) {
            util_error_free(err);
            rc = stopped(comp, &res, cancelled, wasi_ctx_deadline_hit(ctx), err);
        } else if (rc < 0) {
            rc = SPIN_EXEC_FAILED;
            util_error_wrap(err, "component '%s'", comp->id);
        }
    }
    wasm_store_free(store);
    wasi_ctx_free(ctx);
    return rc;
}

static int inbound_handle(void *self, const spin_component_runtime *comp,
                          const spin_http_request *req, const spin_route_match *m,
                          spin_http_response *resp, util_error **err)
{
    (void)self;
    spin_inbound_request r;
    int built = spin_inbound_request_build(req, m, &r, err);
    if (built < 0) {
        util_error_wrap(err, "component '%s'", comp->id);
        return SPIN_EXEC_FAILED;
    }
    if (built == 1) { /* a method outside the enum: Spin's 405, the guest never runs */
        resp->status = 405;
        return 0;
    }
    spin_inbound_response out = {0};
    uint64_t t0 = util_monotonic_ns();
    int rc = comp->module ? run_module(comp, req, &r, &out, err)
                          : spin_inbound_component_handle(comp, req, &r, &out, err);
    util_log_debug("spin1: component '%s' ran in %.3f ms", comp->id,
                   (double)(util_monotonic_ns() - t0) / 1e6);
    spin_inbound_request_free(&r);
    if (rc == 0 && spin_inbound_response_finish(&out, comp->id, resp, err) < 0)
        rc = SPIN_EXEC_FAILED;
    spin_inbound_response_free(&out);
    return rc;
}

static void inbound_free(void *self)
{
    (void)self;
}

static const spin_http_executor_ops inbound_ops = {
    .name = "spin1",
    .handle = inbound_handle,
    .free = inbound_free,
};

int spin_inbound_http_executor_create(const spin_http_executor_setup *setup,
                                      spin_http_executor_instance *out, util_error **err)
{
    spin_component_runtime *comp = setup->comp;
    if (!comp->module) {
        if (!comp->pre || !spin_inbound_is_component(comp->pre))
            return util_error_set(err, 0, "component '%s' does not export "
                                  "fermyon:spin/inbound-http", comp->id);
        out->ops = &inbound_ops;
        out->self = NULL;
        return 0;
    }
    if (spin_inbound_module_check(comp->id, comp->module, err) < 0)
        return -1;
    if (!comp->wagi_resolution && spin_inbound_module_link(comp, err) < 0)
        return -1;
    out->ops = &inbound_ops;
    out->self = NULL;
    return 0;
}

bool spin_inbound_is_module(const wasm_module *m)
{
    return wasm_module_export_signature(m, HANDLE_EXPORT) != NULL;
}
