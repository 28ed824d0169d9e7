/*
 * http_executor.h - the boundary between the HTTP trigger and the ways a
 * component can handle a request (internal to src/spin).
 *
 * The trigger owns listening, routing and the well-known endpoints; an
 * executor turns one routed request into one response.  Wagi (a WASI
 * command speaking CGI) is the first; component-model executors
 * (`wasi:http/incoming-handler`, `fermyon:spin/inbound-http`) plug in next
 * to it with the same vtable, choosing per component at start-up.
 *
 * The information Spin passes to every executor about the route (full URL,
 * path info, matched route, ...) is computed once by spin_default_headers():
 * each entry carries both spellings, the header name used by the Spin and
 * wasi-http executors ("spin-path-info") and the CGI variable Wagi uses
 * ("PATH_INFO").
 */
#ifndef SPIN_HTTP_EXECUTOR_H
#define SPIN_HTTP_EXECUTOR_H

#include "http_types.h"
#include "routes.h"
#include "util.h"

#include <stdint.h>

typedef struct wasm_module wasm_module;
typedef struct wasm_resolution wasm_resolution;
typedef struct component_pre component_pre;
typedef struct wasi2_host wasi2_registration;
typedef struct wasi2_ctx wasi2_ctx;
typedef struct spinapi_component spinapi_component;
typedef struct spinapi_ctx spinapi_ctx;
typedef struct spin_outbound_hosts spin_outbound_hosts;
typedef struct spin_kv spin_kv;

/* What an executor knows about the component it runs, fixed at start-up. */
typedef struct spin_component_runtime {
    const char *id;
    wasm_module *module;    /* a core module: compiled once, shared by every request */
    component_pre *pre;     /* or a component: linked once (app_load.c) */
    const wasi2_registration *wasi2; /* the WASI 0.2 registration pre was linked with */
    spinapi_component *api; /* the component's Spin host APIs (variables, stores, ...) */
    /* allowed_outbound_hosts (templates rendered): what outgoing requests
     * may reach (spin_outbound_hosts_allowed_cb).  Owned. */
    spin_outbound_hosts *outbound;
    char **env;             /* manifest `environment` as "K=V", NULL-terminated */
    size_t nenv;
    const char *files_dir;  /* host dir preopened read-only as "/", or NULL */
    int stdout_fd;          /* component output (log file or the app's stdout) */
    int stderr_fd;
    bool owns_fds;          /* the fds are log files opened for this component */
    uint64_t max_memory_bytes; /* 0 = no cap */
    /* Wagi: the module's WASI imports, resolved once when the executor is
     * made (wagi_link.c); every request instantiates from it.  Owned. */
    wasm_resolution *wagi_resolution;
    /* The component's variables, rendered at load (name -> value): what
     * a Spin 1 module's spin-config import reads.  Owned. */
    spin_kv *variables;
    size_t nvariables;
} spin_component_runtime;

/* What the host functions of one component instance (one request) find
 * through component_call_data: its WASI 0.2 context and its Spin host
 * API context. */
typedef struct spin_instance_data {
    wasi2_ctx *wasi2;
    spinapi_ctx *api;
} spin_instance_data;

/* What an executor's handle() returns when it produced no response. */
enum {
    SPIN_EXEC_FAILED = -1,    /* *err says why; the trigger answers 500 */
    SPIN_EXEC_TIMED_OUT = -2, /* the request deadline stopped the guest: 504 */
    SPIN_EXEC_CANCELLED = -3, /* the request's job was cancelled (client gone,
                                 server stopping) and the guest stopped: 503 */
};

typedef struct spin_http_executor_ops {
    const char *name; /* "wagi" */
    /* Fills resp and returns 0, or returns one of SPIN_EXEC_* (the trigger
     * logs it and answers accordingly).  The guest must not outlive
     * req->deadline_ns, and must stop soon when req->job is cancelled. */
    int (*handle)(void *self, const spin_component_runtime *comp, const spin_http_request *req,
                  const spin_route_match *match, spin_http_response *resp, util_error **err);
    void (*free)(void *self);
    /* handle() reads req->body_stream when the server streams the body
     * (else the body is whole in req->body) and may answer through
     * spin_http_job_start_response. */
    bool streams_body;
} spin_http_executor_ops;

typedef struct spin_http_executor_instance {
    const spin_http_executor_ops *ops;
    void *self;
} spin_http_executor_instance;

/* ---- the executor registry ---------------------------------------------- */

/* What a component's trigger asks of its executor, from the manifest. */
typedef struct spin_http_executor_setup {
    spin_component_runtime *comp; /* compiled, with its env and files; an
                                     executor may keep what it prepares in it */
    const char *wagi_argv;              /* Wagi: the argv template, or NULL */
    const char *wagi_entrypoint;        /* Wagi: the deprecated entrypoint, or NULL */
} spin_http_executor_setup;

/* One executor type, as named by `executor = { type = ... }`. */
typedef struct spin_http_executor_kind {
    const char *type; /* "wagi", "http" */
    /* How the error for an unsupported type names it: "the Spin HTTP
     * executor (...)". */
    const char *what;
    /* Checks that the component suits the executor (exports, imports) and
     * makes the executor.  NULL: a type this host knows of but cannot run
     * yet; choosing it is an error naming the types that run. */
    int (*create)(const spin_http_executor_setup *setup, spin_http_executor_instance *out,
                  util_error **err);
} spin_http_executor_kind;

/* Makes the executor of `type` for a component: the kinds added by
 * spin_http_executor_register first, then the built-in table.  An
 * unknown or not yet supported type is an error naming the component, the
 * type and the types that run. */
int spin_http_executor_create(const char *type, const spin_http_executor_setup *setup,
                              spin_http_executor_instance *out, util_error **err);
/* Adds an executor type (tests, future executors); one added later wins
 * over an earlier or built-in kind of the same type.  Call before
 * spin_app_run, from one thread; at most 8 are added.  Returns -1 with
 * *err when full. */
int spin_http_executor_register(const spin_http_executor_kind *kind, util_error **err);

/* ---- the executors of `type = "http"` (the default) --------------------
 * Chosen by what the component exports, as Spin's HandlerType does. */

/* A component exporting wasi:http/incoming-handler (any 0.2.x, or the
 * two pre-release names): wasi_http_executor.c. */
int spin_wasi_http_executor_create(const spin_http_executor_setup *setup,
                                   spin_http_executor_instance *out, util_error **err);
/* The WASI 0.2 context every component instance of a request gets: the
 * component's env, output fds and files (preopened read-only at "/", in
 * *files), an empty stdin, the request's deadline, and outgoing requests
 * allowed by its allowed_outbound_hosts (wasi_http_executor.c). */
typedef struct wasi2_config wasi2_config;
typedef struct wasi2_preopen wasi2_preopen;
void spin_component_wasi2_config(const spin_component_runtime *comp, uint64_t deadline_ns,
                                 wasi2_config *cfg, wasi2_preopen *files);

/* Spin 1's inbound-http: a component exporting fermyon:spin/inbound-http,
 * or a core module exporting handle-http-request with
 * canonical_abi_realloc (the Spin 1 ABI of TinyGo and Rust SDK 1.x
 * modules): inbound_http.c. */
int spin_inbound_http_executor_create(const spin_http_executor_setup *setup,
                                      spin_http_executor_instance *out, util_error **err);

/* ---- headers every executor passes ------------------------------------- */

typedef struct spin_default_header {
    char *header_name; /* "spin-full-url" */
    char *cgi_name;    /* "X_FULL_URL" */
    char *value;
} spin_default_header;

typedef struct spin_default_headers {
    spin_default_header *items;
    size_t len;
} spin_default_headers;

/* `host` is the request's Host header (the trigger rejects requests to a
 * component without one, as Spin does). */
void spin_default_headers_compute(const spin_http_request *req, const spin_route_match *m,
                                  const char *host, spin_default_headers *out);
void spin_default_headers_free(spin_default_headers *h);

/* ---- Wagi ---------------------------------------------------------------- */

/* The CGI environment Spin's Wagi executor gives a request. */
void spin_wagi_build_env(const spin_http_request *req, const spin_route_match *m, const char *host,
                         util_env *env);
/* argv from the `argv` template: ${SCRIPT_NAME} is the request path and
 * ${ARGS} the query string with '&' turned into ' '; split at ' '. */
char **spin_wagi_build_argv(const char *tmpl, const spin_http_request *req, size_t *argc);
void spin_wagi_free_argv(char **argv);
/* Turns a CGI program's stdout into a response the way Spin does.  Output
 * with no usable header block yields a 500 response (and a log line);
 * returns -1 only when the output is not a response at all (empty). */
int spin_wagi_compose_response(const uint8_t *out, size_t len, spin_http_response *resp,
                               util_error **err);

/* The Wagi executor.  `argv_tmpl` NULL = "${SCRIPT_NAME} ${ARGS}". */
int spin_wagi_executor_new(const char *argv_tmpl, spin_http_executor_instance *out,
                           util_error **err);

#endif
