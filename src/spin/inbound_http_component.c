/*
 * inbound_http_component.c - the Spin HTTP executor for components that
 * export Spin 1's `fermyon:spin/inbound-http` (handle-request: func(req:
 * request) -> response): what Spin's adapter makes of a Spin 1 module, and
 * what old component toolchains emitted.
 *
 * The request and the response are the records of inbound_http_abi.c, here
 * as component values: the runtime lowers and lifts them (so memory bounds
 * and UTF-8 are the canonical ABI's business), and this file only turns
 * the record into values and the values back into the record, after which
 * Spin's rules (spin_inbound_response_finish) apply exactly as for core
 * modules.  The function's type is checked against the WIT's at every
 * call, as Spin's typed_func does, before any value crosses.
 *
 * Per request: a fresh store and instance of the component_pre linked at
 * load, its WASI 0.2 context as instance data, the request deadline on the
 * store and the context, the request's cancel hook on the store.
 */
#include "component.h"
#include "inbound_http.h"
#include "spinapi.h"
#include "wasi2.h"

#include <string.h>

#define INBOUND_INTERFACE "fermyon:spin/inbound-http"
#define HANDLE_FUNC "handle-request"

/* http-types.wit's records, spelled as component_func_signature writes a
 * type (structural: names of the WIT's types do not matter). */
#define HEADERS_T "list<tuple<string, string>>"
#define HANDLE_SIGNATURE                                                                     \
    "func(req: record{method: enum{get, post, put, delete, patch, head, options}, uri: "     \
    "string, headers: " HEADERS_T ", params: " HEADERS_T ", body: option<list<u8>>}) -> "    \
    "record{status: u16, headers: option<" HEADERS_T ">, body: option<list<u8>>}"

bool spin_inbound_is_component(const component_pre *pre)
{
    return component_find_export(component_pre_component(pre), INBOUND_INTERFACE) != NULL;
}

/* ---- values ------------------------------------------------------------------ */

static component_val string_val(const char *s)
{
    component_val v = {.kind = COMPONENT_VAL_STRING};
    v.of.str.ptr = s;
    v.of.str.len = strlen(s);
    return v;
}

/* The request record; what the values point to lives in `scratch`
 * (freed by the caller after the call). */
static component_val request_val(const spin_inbound_request *r, component_val *scratch)
{
    /* scratch: 5 fields, 2 payloads, nheaders tuples, 2 * nheaders strings */
    component_val *fields = scratch, *body = scratch + 5, *tuples = scratch + 6,
                  *strings = tuples + r->nheaders;
    for (size_t i = 0; i < r->nheaders; i++) {
        strings[2 * i] = string_val(r->headers[i].name);
        strings[2 * i + 1] = string_val(r->headers[i].value);
        tuples[i] = (component_val){.kind = COMPONENT_VAL_RECORD};
        tuples[i].of.record.fields = &strings[2 * i];
        tuples[i].of.record.n = 2;
    }
    fields[0] = (component_val){.kind = COMPONENT_VAL_VARIANT};
    fields[0].of.variant.disc = (uint32_t)r->method;
    fields[1] = string_val(r->uri);
    fields[2] = (component_val){.kind = COMPONENT_VAL_LIST};
    fields[2].of.list.items = tuples;
    fields[2].of.list.n = r->nheaders;
    fields[3] = (component_val){.kind = COMPONENT_VAL_LIST}; /* params: always empty */
    *body = (component_val){.kind = COMPONENT_VAL_LIST};
    body->of.list.raw = r->body_len ? (const void *)r->body : (const void *)"";
    body->of.list.n = r->body_len;
    fields[4] = (component_val){.kind = COMPONENT_VAL_VARIANT};
    fields[4].of.variant.disc = 1;
    fields[4].of.variant.payload = body;
    component_val req = {.kind = COMPONENT_VAL_RECORD};
    req.of.record.fields = fields;
    req.of.record.n = 5;
    return req;
}

static char *string_of(const component_val *v)
{
    return util_xstrndup(v->of.str.ptr, v->of.str.len);
}

/* The response record from its lifted value (whose type the signature
 * check fixed: record{u16, option<list<tuple>>, option<list<u8>>}). */
static void response_of(const component_val *v, spin_inbound_response *out)
{
    const component_val *f = v->of.record.fields;
    *out = (spin_inbound_response){.status = (uint16_t)f[0].of.u};
    if (f[1].of.variant.disc == 1) {
        const component_val *list = f[1].of.variant.payload;
        out->has_headers = true;
        out->headers = util_xcalloc(list->of.list.n ? list->of.list.n : 1, sizeof(*out->headers));
        for (size_t i = 0; i < list->of.list.n; i++) {
            const component_val *t = list->of.list.items[i].of.record.fields;
            out->headers[i].name = string_of(&t[0]);
            out->headers[i].value = string_of(&t[1]);
        }
        out->nheaders = list->of.list.n;
    }
    if (f[2].of.variant.disc == 1) {
        const component_val *list = f[2].of.variant.payload;
        out->has_body = true;
        out->body_len = list->of.list.n;
        out->body = util_xmalloc(out->body_len ? out->body_len : 1);
        if (out->body_len)
            memcpy(out->body, list->of.list.raw, out->body_len);
    }
}

/* ---- one request -------------------------------------------------------------- */

static void interrupt_store(void *store)
{
    wasm_store_interrupt(store);
}

static int guest_stopped(const spin_component_runtime *comp, const wasm_result *res,
                         bool cancelled, bool deadline_hit, util_error **err)
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
        util_error_set(err, 0, "component '%s': %s", comp->id, res->message);
    return SPIN_EXEC_FAILED;
}

/* Instantiates, checks the export, calls; *res tells a guest stop. */
static int call_component(const spin_component_runtime *comp, wasm_store *store,
                          spin_instance_data *data, const spin_inbound_request *r,
                          spin_inbound_response *out, wasm_result *res, util_error **err)
{
    component_instance *inst = component_instantiate(comp->pre, store, data, res);
    if (!inst)
        return -1;
    int rc = -1;
    const component_func *f = component_instance_func(inst, INBOUND_INTERFACE, HANDLE_FUNC);
    const char *sig = f ? component_func_signature(f) : NULL;
    if (!f) {
        util_error_set(err, 0, "component '%s' exports %s without a function '%s'", comp->id,
                       INBOUND_INTERFACE, HANDLE_FUNC);
    } else if (!sig || strcmp(sig, HANDLE_SIGNATURE) != 0) {
        util_error_set(err, 0, "component '%s': %s %s is %s, not Spin's %s", comp->id,
                       INBOUND_INTERFACE, HANDLE_FUNC, sig ? sig : "?", HANDLE_SIGNATURE);
    } else {
        component_val *scratch = util_xcalloc(6 + 3 * r->nheaders, sizeof(*scratch));
        component_val arg = request_val(r, scratch), result;
        if (component_func_call(inst, f, &arg, 1, &result, res) == 0) {
            response_of(&result, out);
            rc = component_func_post_return(inst, f, res) == 0 ? 0 : -1;
        }
        free(scratch);
    }
    component_instance_free(inst);
    return rc;
}

static int run_component(const spin_component_runtime *comp, const spin_http_request *req,
                         const spin_inbound_request *r, spin_inbound_response *out,
                         util_error **err)
{
    wasi2_config cfg;
    wasi2_preopen files;
    spin_component_wasi2_config(comp, req->deadline_ns, &cfg, &files);
    wasi2_ctx *ctx = wasi2_ctx_new(&cfg, err);
    if (!ctx)
        return SPIN_EXEC_FAILED;
    spinapi_ctx *api = comp->api ? spinapi_ctx_new(comp->api) : NULL;
    if (api)
        spinapi_ctx_set_deadline(api, req->deadline_ns);
    spin_instance_data data = {.wasi2 = ctx, .api = api};
    wasm_store_config sc = {.max_memory_bytes = comp->max_memory_bytes};
    wasm_store *store = wasm_store_new(&sc);
    if (req->deadline_ns)
        wasm_store_set_deadline(store, req->deadline_ns);

    wasm_result res;
    wasm_result_init(&res);
    int rc = SPIN_EXEC_CANCELLED;
    bool cancelled = req->job && spin_http_job_on_cancel(req->job, interrupt_store, store) != 0;
    if (!cancelled) {
        rc = call_component(comp, store, &data, r, out, &res, err);
        if (req->job) {
            spin_http_job_clear_cancel(req->job);
            cancelled = spin_http_job_cancelled(req->job) != 0;
        }
        if (rc < 0 && res.kind != WASM_OK) {
            util_error_free(err);
            spin_inbound_response_free(out);
            rc = guest_stopped(comp, &res, cancelled, wasi2_ctx_deadline_hit(ctx), err);
        } else if (rc < 0) {
            rc = SPIN_EXEC_FAILED;
        }
    }
    wasm_store_free(store);
    spinapi_ctx_free(api);
    wasi2_ctx_free(ctx);
    return rc;
}

int spin_inbound_component_handle(const spin_component_runtime *comp,
                                  const spin_http_request *req, const spin_inbound_request *r,
                                  spin_inbound_response *out, util_error **err)
{
    return run_component(comp, req, r, out, err);
}
