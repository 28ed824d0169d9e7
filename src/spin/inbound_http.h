/*
 * inbound_http.h - Spin 1's inbound-http ABI (internal to src/spin).
 *
 * One request and one response of `handle-http-request` (spin-http.wit,
 * wit-bindgen 0.2) and of `fermyon:spin/inbound-http.handle-request`
 * (the same records as component values), kept apart from how a guest is
 * run so that the conversions are tested on their own:
 *
 *   spin_inbound_request_build   what Spin hands the guest for a request
 *                                (method enum, uri, headers + Spin's
 *                                route headers, body), or 405;
 *   spin_inbound_lower_request   that request in guest memory, as the
 *                                ten flat i32 parameters of the export;
 *   spin_inbound_lift_response   the response record a return area
 *                                points at, bounds-checked;
 *   spin_inbound_response_finish Spin's rules for turning it into an
 *                                HTTP response (status range, headers).
 */
#ifndef SPIN_INBOUND_HTTP_H
#define SPIN_INBOUND_HTTP_H

#include "http_executor.h"
#include "wasm.h"
#include "wasi.h"

#include <stdint.h>

/* http-types.wit `enum method`, in its order. */
typedef enum spin_inbound_method {
    SPIN_INBOUND_GET,
    SPIN_INBOUND_POST,
    SPIN_INBOUND_PUT,
    SPIN_INBOUND_DELETE,
    SPIN_INBOUND_PATCH,
    SPIN_INBOUND_HEAD,
    SPIN_INBOUND_OPTIONS,
} spin_inbound_method;

/* The `request` record Spin builds (params is always empty: Spin stopped
 * filling it, spin#663). */
typedef struct spin_inbound_request {
    spin_inbound_method method;
    const char *uri;          /* path and query, borrowed from the request */
    spin_http_header *headers; /* owned: lower-case client headers, then Spin's */
    size_t nheaders;
    const uint8_t *body;      /* borrowed; always `some`, maybe empty */
    size_t body_len;
} spin_inbound_request;

/* Builds the record for `req` routed by `m`.  Returns 0, 1 when the
 * method is none of the enum's (Spin answers 405 without calling the
 * guest), or -1 with *err when a header value is not UTF-8 (Spin fails
 * the request: 500). */
int spin_inbound_request_build(const spin_http_request *req, const spin_route_match *m,
                               spin_inbound_request *out, util_error **err);
void spin_inbound_request_free(spin_inbound_request *r);

/* The `response` record as the guest returned it. */
typedef struct spin_inbound_response {
    uint16_t status;
    bool has_headers;
    spin_http_header *headers; /* owned */
    size_t nheaders;
    bool has_body;
    uint8_t *body; /* owned */
    size_t body_len;
} spin_inbound_response;

void spin_inbound_response_free(spin_inbound_response *r);

/* Guest memory as the lowering sees it: `alloc` calls the guest's
 * canonical_abi_realloc(0, 0, align, size) and returns the address or
 * -1 with *err; `memory` returns the current memory (it may move or grow
 * after each alloc). */
typedef struct spin_inbound_guest {
    int64_t (*alloc)(void *arg, uint32_t align, uint32_t size, util_error **err);
    uint8_t *(*memory)(void *arg, uint64_t *size);
    void *arg;
} spin_inbound_guest;

#define SPIN_INBOUND_FLAT_PARAMS 10

/* Copies `r` into guest memory (each string and list its own allocation,
 * as wit-bindgen 0.2 guests free them one by one) and fills the flat
 * parameters: method, uri ptr/len, headers ptr/len, params ptr/len,
 * body discriminant/ptr/len. */
int spin_inbound_lower_request(const spin_inbound_guest *g, const spin_inbound_request *r,
                               uint32_t flat[SPIN_INBOUND_FLAT_PARAMS], util_error **err);

/* Reads the response record at `retptr` in `mem` (size `size`): status
 * u16 @0, option<headers> @4 (tag u8, ptr @8, len @12), option<body> @16
 * (tag u8, ptr @20, len @24).  Any pointer or length outside memory, a
 * misaligned pointer, a bad option tag or a string that is not UTF-8 is an
 * error naming it. */
int spin_inbound_lift_response(const uint8_t *mem, uint64_t size, uint32_t retptr,
                               spin_inbound_response *out, util_error **err);

/* Spin's executor: a status outside 100..600 is a 500 with no body (and a
 * log line); headers are inserted (a later one of the same name replaces
 * an earlier one), and a name or value HTTP cannot carry fails the request
 * (-1, *err); `none` body is empty.  Takes the body out of `r`. */
int spin_inbound_response_finish(spin_inbound_response *r, const char *component,
                                 spin_http_response *resp, util_error **err);

/* 0 if `m` has the Spin 1 exports (handle-http-request and
 * canonical_abi_realloc of their types, memory), else -1 with *err naming
 * every one missing. */
int spin_inbound_module_check(const char *id, const wasm_module *m, util_error **err);

/* Resolves a Spin 1 module's imports once, into comp->wagi_resolution:
 * preview 1, spin-config, outbound-redis and the other legacy imports
 * (the redis trigger's Spin 1 modules link the same way).  Fails naming
 * the first import the host lacks. */
int spin_inbound_module_link(spin_component_runtime *comp, util_error **err);
/* A Spin 1 module's WASI context: the component's env, stdout/stderr and
 * files (read-only at /), no stdin; deadline_ns 0 = none. */
wasi_ctx *spin_module_wasi_ctx_new(const spin_component_runtime *comp, uint64_t deadline_ns,
                                   util_error **err);

/* True if `m` exports handle-http-request: the Spin 1 executor is its. */
bool spin_inbound_is_module(const wasm_module *m);
/* Defines Spin 1's spin-config get-config in `l` (store-free), answering
 * from comp's variables (inbound_http_config.c). */
int spin_inbound_define_config(wasm_linker *l, spin_component_runtime *comp);
/* Defines Spin 1's outbound-redis publish, get, set and incr in `l`
 * (store-free), reaching what comp's allowed_outbound_hosts admit
 * (inbound_http_redis.c). */
int spin_inbound_define_redis(wasm_linker *l, spin_component_runtime *comp);

/* Spin 1's other imports of old-ABI modules (key-value, sqlite, llm,
 * outbound-pg, outbound-mysql served by src/spinapi's unversioned
 * interfaces; wasi-outbound-http by src/wasi2's blocking client)
 * (legacy_imports.c).  Defines them in `l`, store-free. */
int spin_legacy_define(wasm_linker *l, util_error **err);

/* The request a thread is running a Spin 1 module for, as those imports
 * find it: begin before the module's instance runs, end after (it frees
 * the spinapi context the imports opened, closing what the guest left
 * open).  Requests nest (service chaining on the same thread). */
typedef struct spin_legacy_request {
    const spin_component_runtime *comp;
    const spin_http_request *http; /* its outbound requests to the app itself chain from it */
    uint64_t deadline_ns;
    spinapi_ctx *api;           /* made on the first import call */
    struct component_call *call;
    bool in_import;             /* an import is running: its result lives in `call` */
    struct spin_legacy_request *prev;
} spin_legacy_request;

/* `http` is NULL for a message of another trigger (redis): no deadline,
 * and no request of its own to serve `self` requests against. */
void spin_legacy_request_begin(spin_legacy_request *r, const spin_component_runtime *comp,
                               const spin_http_request *http);
void spin_legacy_request_end(spin_legacy_request *r);

/* True if the component exports fermyon:spin/inbound-http. */
bool spin_inbound_is_component(const component_pre *pre);

/* Runs request `r` through a fresh instance of comp->pre (a component
 * exporting fermyon:spin/inbound-http) and fills *out: 0, or one of
 * SPIN_EXEC_* (inbound_http_component.c). */
int spin_inbound_component_handle(const spin_component_runtime *comp,
                                  const spin_http_request *req, const spin_inbound_request *r,
                                  spin_inbound_response *out, util_error **err);

#endif
