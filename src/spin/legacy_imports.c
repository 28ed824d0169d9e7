/*
 * legacy_imports.c - the Spin 1 host imports of old-ABI core modules
 * (wit-bindgen 0.2: key-value, sqlite, llm, outbound-pg, outbound-mysql),
 * served by src/spinapi's implementations of the interfaces Spin's
 * adapter maps them onto (fermyon:spin/key-value, /sqlite, /llm,
 * /postgres, /mysql, all unversioned).  wasi-outbound-http is served by
 * src/wasi2's blocking request (wasi2_http_blocking: the libcurl client,
 * allowed_outbound_hosts and the in-process `self` / `*.spin.internal`
 * chaining that wasi:http's outgoing-handler uses), its outcome mapped
 * onto Spin 1's http-error enum as Spin's send_request maps its own:
 * a destination the policy refuses (or cannot read) is
 * destination-not-allowed, an allowed but unusable URL invalid-url,
 * anything failing once the request is under way runtime-error (Spin
 * produces neither request-error nor, here without a concurrency limit,
 * too-many-requests).
 *
 * Spin runs such a module inside its "spin" preview-1 adapter, which
 * re-exports each old import as a call of the matching fermyon:spin
 * interface.  Here each import is a store-free core host function that
 * lifts its flat arguments (legacy_abi.c), calls the same host function a
 * component would reach (component_linker_call on a linker holding
 * spinapi_define), and stores the result at the guest's return pointer.
 * So the stores, databases, allowed_outbound_hosts and error mapping are
 * src/spinapi's, shared with components, not a second copy.
 *
 * Per request, the host functions need the request's spinapi_ctx (the
 * kv/sqlite handle tables, the deadline).  The store's user data is the
 * request's WASI preview-1 context, which preview 1's own functions
 * require, so the executor announces the request on its thread instead
 * (spin_legacy_request_begin/end, a thread-local stack: a request served
 * in-process by service chaining nests on the same thread).  The spinapi
 * context and the call arena are made on the first legacy call, so a
 * module that never uses them pays nothing.
 *
 * The types and the linker are built once per process (pthread_once) and
 * freed at exit.
 */
#include "inbound_http.h"
#include "legacy_abi.h"
#include "local_http.h"
#include "spinapi.h"
#include "wasi2.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the imports ----------------------------------------------------------- */

static const spin_legacy_named kv_types[] = {
    {"store", "u32"},
    {"error", "variant{store-table-full, no-such-store, access-denied, invalid-store, "
              "no-such-key, io(string)}"},
    {NULL, NULL},
};

static const spin_legacy_named sqlite_types[] = {
    {"connection", "u32"},
    {"error", "variant{no-such-database, access-denied, invalid-connection, database-full, "
              "io(string)}"},
    {"value", "variant{integer(s64), real(f64), text(string), blob(list<u8>), null}"},
    {"row-result", "record{values: list<value>}"},
    {"query-result", "record{columns: list<string>, rows: list<row-result>}"},
    {NULL, NULL},
};

static const spin_legacy_named llm_types[] = {
    {"inferencing-params",
     "record{max-tokens: u32, repeat-penalty: f32, repeat-penalty-last-n-token-count: u32, "
     "temperature: f32, top-k: u32, top-p: f32}"},
    {"error", "variant{model-not-supported, runtime-error(string), invalid-input(string)}"},
    {"inferencing-usage", "record{prompt-token-count: u32, generated-token-count: u32}"},
    {"inferencing-result", "record{text: string, usage: inferencing-usage}"},
    {"embeddings-usage", "record{prompt-token-count: u32}"},
    {"embeddings-result", "record{embeddings: list<list<f32>>, usage: embeddings-usage}"},
    {NULL, NULL},
};

#define RDBMS_VALUES                                                                           \
    "boolean(bool), int8(s8), int16(s16), int32(s32), int64(s64), uint8(u8), uint16(u16), "   \
    "uint32(u32), uint64(u64), floating32(f32), floating64(f64), str(string), "               \
    "binary(list<u8>), db-null"
#define RDBMS_ERROR                                                                            \
    "variant{success, connection-failed(string), bad-parameter(string), "                     \
    "query-failed(string), value-conversion-failed(string), other-error(string)}"

static const spin_legacy_named rdbms_types[] = {
    {"db-data-type", "enum{boolean, int8, int16, int32, int64, uint8, uint16, uint32, uint64, "
                     "floating32, floating64, str, binary, other}"},
    {"db-value", "variant{" RDBMS_VALUES ", unsupported}"},
    {"parameter-value", "variant{" RDBMS_VALUES "}"},
    {"column", "record{name: string, data-type: db-data-type}"},
    {"row-set", "record{columns: list<column>, rows: list<list<db-value>>}"},
    {"error", RDBMS_ERROR},
    {NULL, NULL},
};

static const spin_legacy_named http_types[] = {
    {"method", "enum{get, post, put, delete, patch, head, options}"},
    {"headers", "list<tuple<string, string>>"},
    {"request", "record{method: method, uri: string, headers: headers, "
                "params: list<tuple<string, string>>, body: option<list<u8>>}"},
    {"response", "record{status: u16, headers: option<headers>, body: option<list<u8>>}"},
    {"error", "enum{success, destination-not-allowed, invalid-url, request-error, "
              "runtime-error, too-many-requests}"},
    {NULL, NULL},
};

struct compiled_import;

/* What a host answer may keep alive until its result is stored. */
typedef struct answer_hold {
    wasi2_http_blocking_response http;
} answer_hold;

typedef struct legacy_import {
    const char *module, *name;    /* the core import */
    const char *iface, *func;     /* the spinapi function serving it (or:) */
    /* the host's own answer, for an import no spinapi interface serves:
     * 0, or -1 after trapping (the call's arena is exhausted) */
    int (*answer)(const struct compiled_import *f, spin_legacy_request *r, component_call *call,
                  const component_val *params, answer_hold *hold, component_val *result);
    const spin_legacy_named *types;
    const char *params, *result;  /* result NULL: returns nothing */
} legacy_import;

static int outbound_http_request(const struct compiled_import *f, spin_legacy_request *r,
                                 component_call *call, const component_val *params,
                                 answer_hold *hold, component_val *result);

#define KV "fermyon:spin/key-value"
#define SQL "fermyon:spin/sqlite"
#define LLM "fermyon:spin/llm"
#define PG "fermyon:spin/postgres"
#define MYSQL "fermyon:spin/mysql"
#define RDBMS_PARAMS "tuple<string, string, list<parameter-value>>"

static const legacy_import imports[] = {
    {"key-value", "open", KV, "open", NULL, kv_types, "tuple<string>", "result<store, error>"},
    {"key-value", "get", KV, "get", NULL, kv_types, "tuple<store, string>", "result<list<u8>, error>"},
    {"key-value", "set", KV, "set", NULL, kv_types, "tuple<store, string, list<u8>>",
     "result<_, error>"},
    {"key-value", "delete", KV, "delete", NULL, kv_types, "tuple<store, string>", "result<_, error>"},
    {"key-value", "exists", KV, "exists", NULL, kv_types, "tuple<store, string>",
     "result<bool, error>"},
    {"key-value", "get-keys", KV, "get-keys", NULL, kv_types, "tuple<store>",
     "result<list<string>, error>"},
    {"key-value", "close", KV, "close", NULL, kv_types, "tuple<store>", NULL},
    {"sqlite", "open", SQL, "open", NULL, sqlite_types, "tuple<string>", "result<connection, error>"},
    {"sqlite", "execute", SQL, "execute", NULL, sqlite_types,
     "tuple<connection, string, list<value>>", "result<query-result, error>"},
    {"sqlite", "close", SQL, "close", NULL, sqlite_types, "tuple<connection>", NULL},
    {"llm", "infer", LLM, "infer", NULL, llm_types, "tuple<string, string, option<inferencing-params>>",
     "result<inferencing-result, error>"},
    {"llm", "generate-embeddings", LLM, "generate-embeddings", NULL, llm_types,
     "tuple<string, list<string>>", "result<embeddings-result, error>"},
    {"outbound-pg", "query", PG, "query", NULL, rdbms_types, RDBMS_PARAMS, "result<row-set, error>"},
    {"outbound-pg", "execute", PG, "execute", NULL, rdbms_types, RDBMS_PARAMS, "result<u64, error>"},
    {"outbound-mysql", "query", MYSQL, "query", NULL, rdbms_types, RDBMS_PARAMS,
     "result<row-set, error>"},
    {"outbound-mysql", "execute", MYSQL, "execute", NULL, rdbms_types, RDBMS_PARAMS,
     "result<_, error>"},
    {"wasi-outbound-http", "request", NULL, NULL, outbound_http_request, http_types,
     "tuple<request>", "result<response, error>"},
};

#define NIMPORTS UTIL_ARRAY_LEN(imports)

/* ---- built once -------------------------------------------------------------- */

typedef struct compiled_import {
    const legacy_import *def;
    spin_legacy_type *params, *result;
    char *sig;
    char what[64];
} compiled_import;

static struct {
    component_linker *linker;
    compiled_import funcs[NIMPORTS];
    char error[256]; /* why setting up failed ("" if it did not) */
} legacy;

static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;

static void legacy_teardown(void)
{
    for (size_t i = 0; i < NIMPORTS; i++) {
        spin_legacy_type_free(legacy.funcs[i].params);
        spin_legacy_type_free(legacy.funcs[i].result);
        free(legacy.funcs[i].sig);
    }
    component_linker_free(legacy.linker);
}

static void legacy_setup(void)
{
    util_error *err = NULL;
    legacy.linker = component_linker_new();
    /* get_ctx NULL: a call's data is the request's spinapi_ctx itself. */
    if (spinapi_define(legacy.linker, NULL, &err) < 0)
        goto fail;
    for (size_t i = 0; i < NIMPORTS; i++) {
        compiled_import *f = &legacy.funcs[i];
        f->def = &imports[i];
        snprintf(f->what, sizeof(f->what), "%s %s", f->def->module, f->def->name);
        f->params = spin_legacy_type_parse(f->def->params, f->def->types, &err);
        if (f->params == NULL)
            goto fail;
        if (f->def->result &&
            (f->result = spin_legacy_type_parse(f->def->result, f->def->types, &err)) == NULL)
            goto fail;
        f->sig = spin_legacy_flat_sig(f->params, f->result);
        if (f->sig == NULL) {
            util_error_set(&err, 0, "%s: too many flat parameters", f->what);
            goto fail;
        }
    }
    atexit(legacy_teardown);
    return;
fail:
    snprintf(legacy.error, sizeof(legacy.error), "%s", err ? err->msg : "unknown error");
    util_error_free(&err);
    legacy_teardown();
    memset(&legacy, 0, offsetof(__typeof__(legacy), error));
}

/* ---- the request on this thread ------------------------------------------------ */

static _Thread_local spin_legacy_request *current;

void spin_legacy_request_begin(spin_legacy_request *r, const spin_component_runtime *comp,
                               const spin_http_request *http)
{
    *r = (spin_legacy_request){
        .comp = comp, .http = http, .deadline_ns = http ? http->deadline_ns : 0, .prev = current};
    current = r;
}

void spin_legacy_request_end(spin_legacy_request *r)
{
    current = r->prev;
    component_call_free(r->call);
    spinapi_ctx_free(r->api);
}

/* The request's call context, made on first use. */
static component_call *request_call(spin_legacy_request *r)
{
    if (r->call == NULL) {
        if (r->comp->api) {
            r->api = spinapi_ctx_new(r->comp->api);
            spinapi_ctx_set_deadline(r->api, r->deadline_ns);
        }
        r->call = component_call_new(r->api); /* NULL: a context that may open nothing */
    }
    component_call_reset(r->call);
    return r->call;
}

/* ---- the host function ------------------------------------------------------------ */

/* ---- wasi-outbound-http request ------------------------------------------------ */

/* http-error's cases (wit/ephemeral/http-types.wit of Spin 1). */
enum {
    HTTP_DESTINATION_NOT_ALLOWED = 1,
    HTTP_INVALID_URL = 2,
    HTTP_RUNTIME_ERROR = 4,
};

static const char *const http_methods[] = {"GET",   "POST", "PUT",    "DELETE",
                                           "PATCH", "HEAD", "OPTIONS"};

/* A NUL-terminated copy of a lifted string, in the call's arena. */
static char *arena_str(component_call *call, const component_val *v)
{
    char *s = component_call_alloc(call, v->of.str.len + 1);
    if (s) {
        memcpy(s, v->of.str.ptr, v->of.str.len);
        s[v->of.str.len] = '\0';
    }
    return s;
}

/* The lifted request record as a blocking request (in the arena). */
static int http_request_of(component_call *call, const component_val *rec,
                           wasi2_http_blocking_request *req)
{
    const component_val *f = rec->of.record.fields;
    uint32_t method = f[0].of.variant.disc;
    const component_val *hdrs = &f[2];
    const component_val *body = &f[4];
    size_t n = hdrs->of.list.n;
    wasi2_http_field *fields = component_call_alloc(call, (n ? n : 1) * sizeof(*fields));
    req->url = arena_str(call, &f[1]);
    if (fields == NULL || req->url == NULL || method >= UTIL_ARRAY_LEN(http_methods))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const component_val *kv = hdrs->of.list.items[i].of.record.fields;
        fields[i] = (wasi2_http_field){arena_str(call, &kv[0]),
                                       (const uint8_t *)kv[1].of.str.ptr, kv[1].of.str.len};
        if (fields[i].name == NULL)
            return -1;
    }
    req->method = http_methods[method];
    req->headers = fields;
    req->nheaders = n;
    if (body->of.variant.disc == 1) {
        req->body_len = body->of.variant.payload->of.list.n;
        req->body = body->of.variant.payload->of.list.raw;
        if (req->body == NULL) /* an empty list may come without memory */
            req->body = (const uint8_t *)"";
    }
    return 0;
}

/* option<T> over a payload (NULL: none). */
static component_val http_some(component_val *payload)
{
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, payload}};
}

/* result<response, http-error>'s ok case over the response the host holds. */
static int http_response_val(component_call *call, const wasi2_http_blocking_response *resp,
                             component_val *result)
{
    size_t n = resp->nheaders;
    component_val *v = component_call_vals(call, 6 + 3 * n);
    if (v == NULL)
        return -1;
    component_val *rec = v, *fields = v + 1, *hdr_list = v + 4, *body = v + 5, *pairs = v + 6;
    for (size_t i = 0; i < n; i++) {
        component_val *kv = pairs + n + 2 * i;
        kv[0] = (component_val){.kind = COMPONENT_VAL_STRING,
                                .of.str = {resp->headers[i].name, strlen(resp->headers[i].name)}};
        kv[1] = (component_val){.kind = COMPONENT_VAL_STRING,
                                .of.str = {resp->headers[i].value, strlen(resp->headers[i].value)}};
        pairs[i] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {kv, 2}};
    }
    *hdr_list = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = pairs, .n = n}};
    *body = (component_val){.kind = COMPONENT_VAL_LIST,
                            .of.list = {.raw = resp->body, .n = resp->body_len}};
    fields[0] = (component_val){.kind = COMPONENT_VAL_U16, .of.u = resp->status};
    fields[1] = http_some(hdr_list);
    fields[2] = http_some(body);
    *rec = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {fields, 3}};
    *result = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, rec}};
    return 0;
}

static int http_error_val(component_call *call, uint32_t code, component_val *result)
{
    component_val *e = component_call_vals(call, 1);
    if (e == NULL)
        return -1;
    *e = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {code, NULL}};
    *result = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {1, e}};
    return 0;
}

static int outbound_http_request(const struct compiled_import *f, spin_legacy_request *r,
                                 component_call *call, const component_val *params,
                                 answer_hold *hold, component_val *result)
{
    wasi2_http_blocking_request req = {0};
    if (http_request_of(call, &params[0], &req) < 0)
        return -1;
    if (params[0].of.record.fields[3].of.list.n > 0)
        util_log_warn("component '%s': %s: the HTTP params field is deprecated (ignored)",
                      r->comp->id, f->what);
    wasi2_config policy;
    wasi2_preopen files;
    spin_component_wasi2_config(r->comp, r->deadline_ns, &policy, &files);
    policy.local_request = spin_local_http_request; /* `self` and *.spin.internal */
    policy.local_self = (void *)r->http;
    util_error *err = NULL;
    int kind = wasi2_http_blocking(&policy, &req, &hold->http, &err);
    if (kind == WASI2_HTTP_BLOCKING_OK)
        return http_response_val(call, &hold->http, result);
    uint32_t code = kind == WASI2_HTTP_BLOCKING_DENIED        ? HTTP_DESTINATION_NOT_ALLOWED
                    : kind == WASI2_HTTP_BLOCKING_INVALID_URL ? HTTP_INVALID_URL
                                                              : HTTP_RUNTIME_ERROR;
    if (kind == WASI2_HTTP_BLOCKING_DENIED)
        util_log_info("component '%s': outbound HTTP: %s", r->comp->id, err ? err->msg : "denied");
    else
        util_log_warn("component '%s': outbound HTTP %s %s: %s", r->comp->id, req.method, req.url,
                      err ? err->msg : "failed");
    util_error_free(&err);
    return http_error_val(call, code, result);
}

static int serve_import(wasm_caller *c, const compiled_import *f, spin_legacy_request *r,
                        const wasm_val *args);

/* Storing a result calls the guest's canonical_abi_realloc; an import
 * called from there would reset the arena holding the result being
 * stored (and let the guest forge it), so it traps, as the canonical
 * ABI's may_leave rule makes components do (src/component/trampoline.c). */
static int call_import(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    (void)results;
    const compiled_import *f = env;
    spin_legacy_request *r = current;
    if (r == NULL)
        return wasm_caller_trap(c, "%s: called outside a request", f->what);
    if (r->in_import)
        return wasm_caller_trap(c, "%s: called from canonical_abi_realloc while the host was "
                                "returning a result (not allowed)", f->what);
    r->in_import = true;
    int rc = serve_import(c, f, r, args);
    r->in_import = false;
    return rc;
}

static int serve_import(wasm_caller *c, const compiled_import *f, spin_legacy_request *r,
                        const wasm_val *args)
{
    component_call *call = request_call(r);
    spin_legacy_guest g = {c, f->what};
    component_val *params;
    if (spin_legacy_lift_params(&g, f->params, args, call, &params) < 0)
        return -1;
    component_val result;
    util_error *err = NULL;
    if (f->def->answer) {
        answer_hold hold = {0};
        int rc = f->def->answer(f, r, call, params, &hold, &result);
        if (rc == 0)
            rc = spin_legacy_store(&g, f->result, &result, (uint32_t)args[f->params->nflat].i32);
        else
            rc = wasm_caller_trap(c, "%s: out of memory for the result", f->what);
        wasi2_http_blocking_response_clear(&hold.http);
        return rc;
    } else if (component_linker_call(legacy.linker, f->def->iface, f->def->func, call, params,
                              f->params->n, f->result ? &result : NULL, &err) < 0) {
        int rc = wasm_caller_trap(c, "%s: %s", f->what, err ? err->msg : "failed");
        util_error_free(&err);
        return rc;
    }
    if (f->result == NULL)
        return 0;
    return spin_legacy_store(&g, f->result, &result, (uint32_t)args[f->params->nflat].i32);
}

int spin_legacy_define(wasm_linker *l, util_error **err)
{
    pthread_once(&legacy_once, legacy_setup);
    if (legacy.error[0])
        return util_error_set(err, 0, "the Spin 1 host imports: %s", legacy.error);
    for (size_t i = 0; i < NIMPORTS; i++)
        if (wasm_linker_define_func(l, imports[i].module, imports[i].name, legacy.funcs[i].sig,
                                    call_import, &legacy.funcs[i]) < 0)
            return util_error_set(err, 0, "defining %s failed", legacy.funcs[i].what);
    return 0;
}
