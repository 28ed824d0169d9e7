/*
 * redis_handler.c - one message of the redis trigger through a guest: a
 * fresh instance per message, as Spin instantiates per message.
 *
 * Two kinds of guest handle messages, as in Spin:
 *   - a component exporting `fermyon:spin/inbound-redis` (Spin 1's
 *     unversioned interface, which Spin 2 and 3 SDKs still export):
 *     `handle-message: func(message: payload) -> result<_, error>`, with
 *     payload list<u8> and error the enum {success, error}.  Its type is
 *     checked at every call before any value crosses, and err(success)
 *     counts as success, as Spin's own conformance test reads it;
 *   - a Spin 1 ABI core module (wit-bindgen 0.2) exporting
 *     `handle-redis-message` (message pointer and length in, a pointer to
 *     its result out) with canonical_abi_realloc and its memory, served
 *     directly with the imports Spin 1 HTTP modules get (inbound_http.c's
 *     link), as Spin serves it through its adapter.  The message is
 *     copied into an allocation of the guest's own; the result's two
 *     bytes (tag, error) are read with their address checked.
 * A handler runs without a deadline (Spin sets none); the trigger can
 * interrupt its store when the app stops (the `watch` hook).
 */
#include "component.h"
#include "inbound_http.h"
#include "redis_trigger.h"
#include "spinapi.h"
#include "wasi.h"
#include "wasi2.h"

#include <string.h>

#define INBOUND_INTERFACE "fermyon:spin/inbound-redis"
#define HANDLE_FUNC "handle-message"
#define HANDLE_SIGNATURE "func(message: list<u8>) -> result<_, enum{success, error}>"
#define MODULE_EXPORT "handle-redis-message"
#define MODULE_SIG "ii:i"
#define REALLOC_EXPORT "canonical_abi_realloc"
#define REALLOC_SIG "iiii:i"

int spin_redis_define_types(component_linker *l, util_error **err)
{
    /* Spin 1's redis-types, which an inbound-redis component `use`s (its
     * export's types make it import the interface); no functions. */
    static const char iface[] = "fermyon:spin/redis-types";
    static const char *const types[][2] = {
        {"error", "enum{success, error}"},
        {"payload", "list<u8>"},
        {"redis-parameter", "variant{int64(s64), binary(list<u8>)}"},
        {"redis-result", "variant{nil, status(string), int64(s64), binary(list<u8>)}"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(types); i++)
        if (component_linker_define_type(l, iface, types[i][0], types[i][1], err) < 0)
            return -1;
    return 0;
}

bool spin_redis_is_component(const component_pre *pre)
{
    return component_find_export(component_pre_component(pre), INBOUND_INTERFACE) != NULL;
}

int spin_redis_guest_check(spin_component_runtime *comp, util_error **err)
{
    if (comp->pre) {
        if (!spin_redis_is_component(comp->pre))
            return util_error_set(err, 0,
                                  "component '%s' does not export %s (a redis trigger's "
                                  "component handles messages there)",
                                  comp->id, INBOUND_INTERFACE);
        return 0;
    }
    const char *sig = wasm_module_export_signature(comp->module, MODULE_EXPORT);
    const char *realloc_sig = wasm_module_export_signature(comp->module, REALLOC_EXPORT);
    if (!sig || strcmp(sig, MODULE_SIG) != 0 || !realloc_sig ||
        strcmp(realloc_sig, REALLOC_SIG) != 0)
        return util_error_set(err, 0,
                              "component '%s': a redis trigger's module (Spin 1 ABI) must export "
                              "handle-redis-message (func (param i32 i32) (result i32)) and "
                              "canonical_abi_realloc",
                              comp->id);
    if (comp->wagi_resolution)
        return 0;
    return spin_inbound_module_link(comp, err);
}

/* What stopped a guest, as one message. */
static int guest_failed(const spin_component_runtime *comp, const wasm_result *res,
                        util_error **err)
{
    if (res->backtrace[0])
        util_log_debug("component '%s' trapped; backtrace:\n%s", comp->id, res->backtrace);
    if (res->kind == WASM_EXIT)
        return util_error_set(err, 0, "the guest exited with code %d", res->exit_code);
    if (res->kind == WASM_INTERRUPTED)
        return util_error_set(err, 0, "the guest was interrupted (the app is stopping)");
    return util_error_set(err, 0, "the guest trapped: %s",
                          res->message[0] ? res->message : "unknown trap");
}

/* ---- components ---------------------------------------------------------- */

static int call_component(const spin_component_runtime *comp, wasm_store *store,
                          spin_instance_data *data, const uint8_t *msg, size_t len,
                          wasm_result *res, util_error **err)
{
    component_instance *inst = component_instantiate(comp->pre, store, data, res);
    if (!inst)
        return -1;
    int rc = -1;
    const component_func *f = component_instance_func(inst, INBOUND_INTERFACE, HANDLE_FUNC);
    const char *sig = f ? component_func_signature(f) : NULL;
    if (!sig || strcmp(sig, HANDLE_SIGNATURE) != 0) {
        util_error_set(err, 0, "%s %s is %s, not Spin's %s", INBOUND_INTERFACE, HANDLE_FUNC,
                       sig ? sig : "missing", HANDLE_SIGNATURE);
    } else {
        component_val arg = {.kind = COMPONENT_VAL_LIST}, result;
        arg.of.list.raw = len ? (const void *)msg : (const void *)"";
        arg.of.list.n = len;
        if (component_func_call(inst, f, &arg, 1, &result, res) == 0) {
            bool failed = result.of.variant.disc == 1 && result.of.variant.payload &&
                          result.of.variant.payload->of.variant.disc != 0;
            rc = component_func_post_return(inst, f, res) == 0 ? 0 : -1;
            if (rc == 0 && failed)
                rc = util_error_set(err, 0, "the handler returned an error");
        }
    }
    component_instance_free(inst);
    return rc;
}

static int run_component(const spin_component_runtime *comp, const spin_redis_watch *w,
                         const uint8_t *msg, size_t len, util_error **err)
{
    wasi2_config cfg;
    wasi2_preopen files;
    spin_component_wasi2_config(comp, 0, &cfg, &files);
    wasi2_ctx *ctx = wasi2_ctx_new(&cfg, err);
    if (!ctx)
        return -1;
    spinapi_ctx *api = comp->api ? spinapi_ctx_new(comp->api) : NULL;
    spin_instance_data data = {.wasi2 = ctx, .api = api};
    wasm_store_config sc = {.max_memory_bytes = comp->max_memory_bytes};
    wasm_store *store = wasm_store_new(&sc);
    wasm_result res;
    wasm_result_init(&res);
    int rc = -1;
    if (w->watch(w->arg, store)) {
        util_error_set(err, 0, "not run: the app is stopping");
    } else {
        rc = call_component(comp, store, &data, msg, len, &res, err);
        if (rc < 0 && res.kind != WASM_OK) {
            util_error_free(err);
            guest_failed(comp, &res, err);
        }
    }
    w->watch(w->arg, NULL);
    wasm_store_free(store);
    spinapi_ctx_free(api);
    wasi2_ctx_free(ctx);
    return rc;
}

/* ---- Spin 1 modules ----------------------------------------------------------- */

static int call_module(wasm_store *store, wasm_instance *inst, const uint8_t *msg, size_t len,
                       wasm_result *res, util_error **err)
{
    wasm_memory *mem = wasm_instance_memory(inst, "memory");
    wasm_func *realloc_fn = wasm_instance_func(inst, REALLOC_EXPORT);
    wasm_func *handle = wasm_instance_func(inst, MODULE_EXPORT);
    if (!mem || !realloc_fn || !handle)
        return util_error_set(err, 0, "the instance lacks its Spin 1 exports");
    if (len > UINT32_MAX)
        return util_error_set(err, 0, "the message is larger than guest memory can hold");
    wasm_val args[4] = {{.i32 = 0}, {.i32 = 0}, {.i32 = 1}, {.i32 = (int32_t)len}}, ret;
    if (wasm_func_call(store, realloc_fn, args, 4, &ret, 1, res) != 0)
        return -1;
    uint32_t ptr = (uint32_t)ret.i32;
    if ((uint64_t)ptr + len > wasm_memory_size(mem))
        return util_error_set(err, 0, "canonical_abi_realloc returned %u, outside memory", ptr);
    if (len)
        memcpy(wasm_memory_data(mem) + ptr, msg, len);
    wasm_val call[2] = {{.i32 = (int32_t)ptr}, {.i32 = (int32_t)len}};
    if (wasm_func_call(store, handle, call, 2, &ret, 1, res) != 0)
        return -1;
    uint32_t retptr = (uint32_t)ret.i32;
    if ((uint64_t)retptr + 2 > wasm_memory_size(mem))
        return util_error_set(err, 0, "the handler's result pointer %u is outside memory",
                              retptr);
    const uint8_t *r = wasm_memory_data(mem) + retptr;
    if (r[0] > 1 || (r[0] == 1 && r[1] > 1))
        return util_error_set(err, 0, "the handler's result (%u, %u) is no result<_, error>",
                              r[0], r[1]);
    if (r[0] == 1 && r[1] != 0) /* err(success) is a success */
        return util_error_set(err, 0, "the handler returned an error");
    return 0;
}

static int run_module(const spin_component_runtime *comp, const spin_redis_watch *w,
                      const uint8_t *msg, size_t len, util_error **err)
{
    wasi_ctx *ctx = spin_module_wasi_ctx_new(comp, 0, err);
    if (!ctx)
        return -1;
    wasm_store_config sc = {.max_memory_bytes = comp->max_memory_bytes, .user_data = ctx};
    wasm_store *store = wasm_store_new(&sc);
    wasm_result res;
    wasm_result_init(&res);
    int rc = -1;
    if (w->watch(w->arg, store)) {
        util_error_set(err, 0, "not run: the app is stopping");
    } else {
        spin_legacy_request legacy;
        spin_legacy_request_begin(&legacy, comp, NULL);
        wasm_instance *inst =
            wasm_instantiate_resolved(store, comp->module, comp->wagi_resolution, &res);
        if (inst)
            rc = call_module(store, inst, msg, len, &res, err);
        spin_legacy_request_end(&legacy);
        if (rc < 0 && res.kind != WASM_OK) {
            util_error_free(err);
            guest_failed(comp, &res, err);
        }
    }
    w->watch(w->arg, NULL);
    wasm_store_free(store);
    wasi_ctx_free(ctx);
    return rc;
}

int spin_redis_handle(const spin_component_runtime *comp, const spin_redis_watch *w,
                      const uint8_t *msg, size_t len, util_error **err)
{
    int rc = comp->pre ? run_component(comp, w, msg, len, err)
                       : run_module(comp, w, msg, len, err);
    if (rc < 0)
        util_error_wrap(err, "component '%s'", comp->id);
    return rc;
}
