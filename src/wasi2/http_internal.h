/*
 * http_internal.h - private to src/wasi2: the C side of wasi:http/types,
 * shared by the incoming side (http_fields.c, http_incoming.c: the
 * requests Spin's trigger hands a component and the responses it makes)
 * and the outgoing side (http_outgoing.c, http_client.c: the requests a
 * component sends through outgoing-handler, on libcurl).
 *
 * Every resource of wasi:http/types is a C struct below; its rep is the
 * struct's pointer.  Headers and trailers are one type, fields, whose
 * names are stored lower-cased (as wasmtime's http::HeaderMap does: the
 * guest reads back lower-case names) and whose values are bytes.  A
 * fields resource handed out by a request or response (`headers()`) is a
 * copy marked immutable; the owner's own fields stay with the owner.
 *
 * Bodies are wasi2 streams (wasi2_internal.h): an incoming body wraps the
 * stream the embedder (or the client) reads from, an outgoing body the
 * stream the responder (or the client) writes to; the body structs add
 * what wasi:http adds to a stream - taken once, trailers, finish, and the
 * content-length check.
 */
#ifndef WASI2_HTTP_INTERNAL_H
#define WASI2_HTTP_INTERNAL_H

#include "wasi2_internal.h"

/* ---- fields (http_fields.c) ------------------------------------------- */

typedef struct wasi2_http_entry {
    char *name; /* lower-case, validated token */
    uint8_t *value;
    size_t value_len;
} wasi2_http_entry;

typedef struct wasi2_http_fields {
    wasi2_http_entry *items;
    size_t len, cap;
    bool immutable; /* set/append/delete fail with header-error.immutable */
} wasi2_http_fields;

/* header-error cases, in WIT order. */
enum { WASI2_HEADER_INVALID_SYNTAX, WASI2_HEADER_FORBIDDEN, WASI2_HEADER_IMMUTABLE };

wasi2_http_fields *wasi2_http_fields_new(void);
wasi2_http_fields *wasi2_http_fields_clone(const wasi2_http_fields *f, bool immutable);
void wasi2_http_fields_free(wasi2_http_fields *f);
/* Validation as wasmtime does it: the name an HTTP token (any case), then
 * not one of wasmtime's forbidden names (connection, keep-alive,
 * proxy-authenticate, proxy-authorization, proxy-connection,
 * transfer-encoding, upgrade, host, http2-settings) -> FORBIDDEN, then
 * the value (value NULL: not checked) without control bytes but HTAB.
 * Returns -1 when fine, else the header-error case. */
int wasi2_http_check(const char *name, size_t name_len, const uint8_t *value, size_t value_len);
/* Adds an entry without checks (the host's own headers). */
void wasi2_http_fields_add(wasi2_http_fields *f, const char *name, size_t name_len,
                           const uint8_t *value, size_t value_len);
/* The first value of `name` (any case), or NULL. */
const wasi2_http_entry *wasi2_http_fields_find(const wasi2_http_fields *f, const char *name);

/* ---- values both halves hand out (http_incoming.c) ---------------------- */

/* A string value over s (not copied: s must outlive the call). */
component_val wasi2_http_str_val(const char *s);
/* option<string>: some(s), or none when s is NULL. */
int wasi2_http_opt_str(component_call *call, const char *s, component_val *out);
struct wasi2_http_scheme;
/* option<scheme>: an incoming or an outgoing request's scheme. */
int wasi2_http_scheme_val(component_call *call, const struct wasi2_http_scheme *s,
                          component_val *out);

/* ---- error-code ------------------------------------------------------- */

/* The error-code cases the host produces, by WIT index (0.2.x). */
enum {
    WASI2_HTTP_DNS_TIMEOUT = 0,
    WASI2_HTTP_DNS_ERROR = 1,
    WASI2_HTTP_DESTINATION_NOT_FOUND = 2,
    WASI2_HTTP_DESTINATION_UNAVAILABLE = 3,
    WASI2_HTTP_CONNECTION_REFUSED = 6,
    WASI2_HTTP_CONNECTION_TERMINATED = 7,
    WASI2_HTTP_CONNECTION_TIMEOUT = 8,
    WASI2_HTTP_CONNECTION_READ_TIMEOUT = 9,
    WASI2_HTTP_TLS_PROTOCOL_ERROR = 12,
    WASI2_HTTP_TLS_CERTIFICATE_ERROR = 13,
    WASI2_HTTP_REQUEST_DENIED = 15,
    WASI2_HTTP_REQUEST_BODY_SIZE = 17,
    WASI2_HTTP_REQUEST_METHOD_INVALID = 18,
    WASI2_HTTP_REQUEST_URI_INVALID = 19,
    WASI2_HTTP_RESPONSE_INCOMPLETE = 25,
    WASI2_HTTP_RESPONSE_BODY_SIZE = 28,
    WASI2_HTTP_RESPONSE_TIMEOUT = 33,
    WASI2_HTTP_PROTOCOL_ERROR = 35,
    WASI2_HTTP_LOOP_DETECTED = 36,
    WASI2_HTTP_INTERNAL_ERROR = 38,
};

/* One error-code value as the host holds it: the case, and for
 * internal-error (or a payload that is a string) its text. */
typedef struct wasi2_http_error {
    uint32_t code;
    char *text; /* malloc'd or NULL */
    bool has_size; /* body-size cases: some(size) instead of none */
    uint64_t size;
} wasi2_http_error;

/* The error-code value for a call's result (payloads as the case needs:
 * body-size cases carry option<u64> (some(size) when has_size), internal-error
 * and the coding cases the text (none when NULL), records all none). */
int wasi2_http_error_val(component_call *call, const wasi2_http_error *e, component_val *out);
/* "HTTP-request-denied", "internal-error: text": for logs and responders. */
const char *wasi2_http_error_name(uint32_t code);

/* ---- bodies (http_body.c) ---------------------------------------------- */

/* incoming-body: the stream is handed out once (%stream), finish gives
 * the future-trailers.  Trailers come from the source when it has them
 * (the client's response), else the future resolves to none. */
typedef struct wasi2_http_incoming_body {
    wasi2_stream *stream; /* NULL once taken by the guest (it owns the handle) */
    bool stream_taken;
    wasi2_http_fields *trailers; /* set when known; NULL = none */
    bool failed;                 /* the source broke: trailers future gives the error */
    wasi2_http_error error;
} wasi2_http_incoming_body;

/* outgoing-body: write is handed out once; finish (or drop) ends it. */
typedef struct wasi2_http_body_sink {
    /* Called once: finish (trailers may be NULL) or abandon (finished
     * false: dropped without finish, or the declared length not met). */
    void (*end)(void *self, bool finished, const wasi2_http_fields *trailers);
    void *self;
} wasi2_http_body_sink;

typedef struct wasi2_http_outgoing_body {
    wasi2_stream *stream; /* the sink's stream; the guest's handle refers to it */
    bool write_taken;
    bool ended;
    uint64_t written;        /* counted by the stream wrapper */
    int64_t content_length;  /* from the headers, -1 unknown: finish checks it */
    wasi2_http_body_sink sink;
} wasi2_http_outgoing_body;

/* Wraps `ops`/`self` so that bytes written are counted into body->written
 * (and a write past content_length fails). */
wasi2_stream *wasi2_http_counting_stream(wasi2_http_outgoing_body *body,
                                         const wasi2_stream_ops *ops, void *self);

/* ---- requests and responses -------------------------------------------- */

/* method: the variant's case (0 get .. 8 patch, 9 other) and, for other,
 * the text. */
typedef struct wasi2_http_method {
    uint32_t tag;
    char *other;
} wasi2_http_method;

/* scheme: 0 HTTP, 1 HTTPS, 2 other(text); has = false: none. */
typedef struct wasi2_http_scheme {
    bool has;
    uint32_t tag;
    char *other;
} wasi2_http_scheme;

typedef struct wasi2_http_incoming_request {
    wasi2_http_method method;
    wasi2_http_scheme scheme;
    char *authority;       /* NULL: none */
    char *path_with_query; /* NULL: none */
    wasi2_http_fields *headers;
    wasi2_http_incoming_body *body; /* NULL once consumed */
} wasi2_http_incoming_request;

typedef struct wasi2_http_outgoing_response {
    uint16_t status;
    wasi2_http_fields *headers;
    wasi2_http_outgoing_body *body; /* unused: the guest owns the body's struct */
    bool body_taken;
    wasi2_stream *body_pipe; /* body()'s stream (a reference), until set() attaches it */
} wasi2_http_outgoing_response;

/* response-outparam: where set() sends the response; set once. */
typedef struct wasi2_http_outparam {
    const wasi2_http_responder_ops *ops;
    void *self;
    bool set;
} wasi2_http_outparam;

typedef struct wasi2_http_outgoing_request {
    wasi2_http_method method;
    wasi2_http_scheme scheme;
    char *authority;
    char *path_with_query;
    wasi2_http_fields *headers;
    wasi2_http_outgoing_body *body;
    bool body_taken;
    wasi2_stream *body_pipe; /* body()'s stream (a reference), until handle() attaches it */
    struct wasi2_http_client_request *client; /* http_client.c: the request in flight */
} wasi2_http_outgoing_request;

typedef struct wasi2_http_request_options {
    uint64_t connect_timeout_ns, first_byte_timeout_ns, between_bytes_timeout_ns; /* 0 = none */
} wasi2_http_request_options;

/* ---- one registration -------------------------------------------------- */

/* The resource types of wasi:http/types, made once per registration and
 * shared by the 0.2 and the pre-release names.  wasi2_define_http makes
 * those whose structs the incoming half owns (fields, incoming-request,
 * response-outparam, incoming-body, future-trailers, outgoing-response,
 * outgoing-body); wasi2_define_http_outgoing makes its own four
 * (outgoing-request, request-options, incoming-response,
 * future-incoming-response) with their destructors, before the
 * pre-release names alias every type that exists. */
typedef struct wasi2_http_types {
    component_resource_type *fields;
    component_resource_type *incoming_request;
    component_resource_type *outgoing_request;
    component_resource_type *request_options;
    component_resource_type *response_outparam;
    component_resource_type *incoming_response;
    component_resource_type *incoming_body;
    component_resource_type *future_trailers;
    component_resource_type *outgoing_response;
    component_resource_type *outgoing_body;
    component_resource_type *future_incoming_response;
} wasi2_http_types;

/* wasi2_registration is the wasi2_host (wasi2_internal.h) with these; the
 * host holds a pointer to them (set by wasi2_define_http). */
int wasi2_define_http(component_linker *l, wasi2_host *h, util_error **err);
/* The two halves, registered by wasi2_define_http in this order. */
int wasi2_define_http_incoming(component_linker *l, wasi2_host *h, util_error **err);
int wasi2_define_http_outgoing(component_linker *l, wasi2_host *h, util_error **err);
/* The outgoing half at the pre-release name -rc-2023-11-10, after
 * wasi2_define_http_rc aliased the resource types there. */
int wasi2_define_http_outgoing_rc(component_linker *l, wasi2_host *h, util_error **err);

#endif
