/*
 * legacy_imports.c - the Spin 1 host imports of old-ABI core modules
 * (wit-bindgen 0.2: key-value, sqlite, llm, outbound-pg, outbound-mysql),
 * served by src/spinapi's implementations of the interfaces Spin's
 * adapter maps them onto (fermyon:spin/key-value, /sqlite, /llm,
 * /postgres, /mysql, all unversioned).  wasi-outbound-http is defined so
 * that modules importing it load, but answers runtime-error (logged): its
 * client would be src/wasi2's, which has no door for a blocking request
 * yet.
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
#include "spinapi.h"

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

typedef struct legacy_import {
    const char *module, *name;    /* the core import */
    const char *iface, *func;     /* the spinapi function serving it (or:) */
    /* the host's own answer, for an import no spinapi interface serves */
    int (*answer)(const struct compiled_import *f, component_val *result);
    const spin_legacy_named *types;
    const char *params, *result;  /* result NULL: returns nothing */
} legacy_import;

/* wasi-outbound-http request: this host has no client for Spin 1 modules
 * yet (components have wasi:http's); the guest gets runtime-error and the
 * log says why, so the rest of the app keeps working. */
static int outbound_http_unsupported(const struct compiled_import *f, component_val *result);

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
    {"wasi-outbound-http", "request", NULL, NULL, outbound_http_unsupported, http_types,
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
                               uint64_t deadline_ns)
{
    *r = (spin_legacy_request){.comp = comp, .deadline_ns = deadline_ns, .prev = current};
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

enum { HTTP_RUNTIME_ERROR = 4 };

static int outbound_http_unsupported(const struct compiled_import *f, component_val *result)
{
    const spin_legacy_request *r = current;
    util_log_warn("component '%s': %s: outbound HTTP from Spin 1 ABI modules is not supported "
                  "by this host yet; the guest gets runtime-error",
                  r->comp->id, f->what);
    static component_val runtime_error = {.kind = COMPONENT_VAL_VARIANT,
                                          .of.variant = {HTTP_RUNTIME_ERROR, NULL}};
    *result = (component_val){.kind = COMPONENT_VAL_VARIANT,
                              .of.variant = {1, &runtime_error}};
    return 0;
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
        if (f->def->answer(f, &result) < 0)
            return -1;
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
