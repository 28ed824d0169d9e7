/*
 * wagi_component.c - the Wagi executor's run of a WebAssembly component:
 * a WASI 0.2 command (wasi:cli/run) speaking CGI, as Spin's Wagi executor
 * runs components.
 *
 * wagi.c does everything around the run for both kinds (CGI environment,
 * argv, the stdin/stdout scratch files, reading back the response); only
 * the run itself differs from a core module's: the component_pre linked
 * at load (app_load.c) is instantiated in a fresh store with the memory
 * cap and the request deadline, its instance data a spin_instance_data
 * whose wasi2_ctx is made from the same wasi_config a module gets, and
 * wasi:cli/run@0.2.x is called.  The outcome reads as a module's does:
 * `run` returning ok (or wasi:cli/exit with 0) is a response, err or
 * another exit code or a trap is 500, the deadline 504, a cancelled
 * request 503; the request's cancel hook interrupts the store.
 */
#include "component.h"
#include "spinapi.h"
#include "wagi_link.h"
#include "wasi2.h"

#include <string.h>

int spin_wagi_component_check(const spin_component_runtime *comp, util_error **err)
{
    if (!component_find_interface_export(component_pre_component(comp->pre), "wasi:cli/run"))
        return util_error_set(err, 0,
                              "component '%s': failed to find wasi command interface for wagi "
                              "executor (no wasi:cli/run export)",
                              comp->id);
    return 0;
}

/* The WASI 0.2 context every Spin component gets (its files, deadline,
 * allowed_outbound_hosts), with the CGI program's argv, environment and
 * stdio from the wasi_config wagi.c made. */
static wasi2_ctx *make_ctx(const spin_component_runtime *comp, const wasi_config *c,
                           util_error **err)
{
    wasi2_preopen files;
    wasi2_config w;
    spin_component_wasi2_config(comp, c->deadline_ns, &w, &files);
    w.argv = c->argv;
    w.argc = c->argc;
    w.env = c->env;
    w.envc = c->envc;
    w.stdin_fd = c->stdin_fd;
    w.stdout_fd = c->stdout_fd;
    w.stderr_fd = c->stderr_fd;
    return wasi2_ctx_new(&w, err);
}

int spin_component_call_run(component_instance *inst, bool *ok, wasm_result *res)
{
    const component_func *f = component_instance_func(inst, "wasi:cli/run@0.2.0", "run");
    if (!f) {
        res->kind = WASM_TRAP;
        snprintf(res->message, sizeof(res->message), "the component exports no wasi:cli/run");
        return -1;
    }
    bool returns = strstr(component_func_signature(f), "->") != NULL;
    component_val result;
    if (component_func_call(inst, f, NULL, 0, returns ? &result : NULL, res) != 0)
        return -1;
    *ok = !(returns && result.kind == COMPONENT_VAL_VARIANT && result.of.variant.disc == 1);
    return component_func_post_return(inst, f, res);
}

static void interrupt_store(void *store)
{
    wasm_store_interrupt(store);
}

static int result_of(const spin_component_runtime *comp, int rc, bool ok, const wasm_result *res,
                     bool cancelled, bool deadline_hit, util_error **err)
{
    if (cancelled)
        return SPIN_EXEC_CANCELLED;
    if (res->kind == WASM_INTERRUPTED || deadline_hit)
        return SPIN_EXEC_TIMED_OUT;
    if (rc == 0 && ok)
        return 0;
    if (res->kind == WASM_EXIT) {
        if (res->exit_code == 0)
            return 0;
        util_error_set(err, 0, "the guest exited with code %d", res->exit_code);
    } else if (rc == 0) {
        util_error_set(err, 0, "the guest exited with code 1 (wasi:cli/run returned err)");
    } else {
        if (res->backtrace[0])
            util_log_debug("component '%s' trapped; backtrace:\n%s", comp->id, res->backtrace);
        util_error_set(err, 0, "the guest trapped: %s%s", res->message,
                       res->kind == WASM_RESOURCE && comp->max_memory_bytes
                           ? " (SPIN_MAX_INSTANCE_MEMORY)"
                           : "");
    }
    return SPIN_EXEC_FAILED;
}

int spin_wagi_component_run(const spin_component_runtime *comp, const wasi_config *cfg,
                            spin_http_job *job, util_error **err)
{
    wasi2_ctx *ctx = make_ctx(comp, cfg, err);
    if (!ctx)
        return SPIN_EXEC_FAILED;
    wasm_store_config sc = {.max_memory_bytes = comp->max_memory_bytes};
    wasm_store *store = wasm_store_new(&sc);
    if (cfg->deadline_ns)
        wasm_store_set_deadline(store, cfg->deadline_ns);
    wasm_result res;
    wasm_result_init(&res);
    bool cancelled = job && spin_http_job_on_cancel(job, interrupt_store, store) != 0;
    spinapi_ctx *api = comp->api ? spinapi_ctx_new(comp->api) : NULL;
    if (api) /* SQL and network clients (redis) stop at the request deadline */
        spinapi_ctx_set_deadline(api, cfg->deadline_ns);
    bool ok = false;
    int rc = -1;
    if (!cancelled) {
        spin_instance_data data = {.wasi2 = ctx, .api = api};
        component_instance *inst = component_instantiate(comp->pre, store, &data, &res);
        if (inst) {
            rc = spin_component_call_run(inst, &ok, &res);
            component_instance_free(inst);
        }
        if (job) {
            spin_http_job_clear_cancel(job);
            cancelled = spin_http_job_cancelled(job) != 0;
        }
    }
    bool deadline_hit = wasi2_ctx_deadline_hit(ctx);
    wasm_store_free(store);
    spinapi_ctx_free(api);
    wasi2_ctx_free(ctx);
    return result_of(comp, rc, ok, &res, cancelled, deadline_hit, err);
}
