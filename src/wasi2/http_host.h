/*
 * http_host.h - private to the incoming side of wasi:http (http_fields.c,
 * http_define.c, http_body.c, http_incoming.c, http_handler.c,
 * http_rc.c): what those files share beyond http_internal.h, which both
 * halves of wasi:http code against.
 */
#ifndef WASI2_HTTP_HOST_H
#define WASI2_HTTP_HOST_H

#include "http_internal.h"

#include <strings.h>

#define WASI2_HTTP_TYPES WASI2_IFACE("wasi:http/types")
#define WASI2_HTTP_INCOMING_HANDLER "wasi:http/incoming-handler"

/* ---- fields (http_fields.c) ------------------------------------------------ */

/* Is `name` one of the names a guest may not set (any case)? */
bool wasi2_http_forbidden(const char *name, size_t len);
/* Removes every forbidden name (what wasmtime does to the headers of a
 * request it hands a guest). */
void wasi2_http_fields_strip_forbidden(wasi2_http_fields *f);
/* New fields from a lifted list<tuple<string, list<u8>>>, each entry
 * checked; NULL with *error the header-error case, or -2 when the call's
 * memory is exhausted. */
wasi2_http_fields *wasi2_http_fields_from_list(component_call *call, const component_val *list,
                                               int *error);

extern const wasi2_func_table wasi2_http_fields_table;

/* ---- error-code (http_define.c) ---------------------------------------------- */

/* A lifted error-code value as text ("HTTP-request-denied",
 * "internal-error: boom"), malloc'd. */
char *wasi2_http_error_describe(const component_val *v);

extern const wasi2_func_table wasi2_http_error_table;

/* Resource types of wasi:http/types, each with its destructor, into *slot. */
typedef struct wasi2_http_resource_def {
    component_resource_type **slot;
    const char *name;
    void (*dtor)(uintptr_t);
} wasi2_http_resource_def;
int wasi2_http_define_resources(component_linker *l, const wasi2_http_resource_def *defs,
                                size_t n, util_error **err);

/* The named types of wasi:http/types 0.2 (method, scheme, error-code and
 * its records, header-error, duration) into `iface`. */
int wasi2_http_define_types(component_linker *l, const char *iface, util_error **err);

/* ---- bodies (http_body.c) ------------------------------------------------------ */

/* An incoming body over the embedder's (or the client's) input stream
 * ops; NULL ops: an empty body. */
wasi2_http_incoming_body *wasi2_http_incoming_body_new(const wasi2_stream_ops *ops, void *self);
void wasi2_http_incoming_body_free(wasi2_http_incoming_body *b);
/* The handler door's end of a call: drops its reference to a request
 * body's stream, closing the source first if the guest never took it. */
void wasi2_http_source_end_call(wasi2_stream *s);
/* True for the wasi:io error of a write past a body's declared length. */
bool wasi2_http_body_size_error(const wasi2_error *e, bool *request);
/* future-trailers' destructor. */
void wasi2_http_future_trailers_free(void *f);

/* An outgoing body whose bytes wait (up to a bound) until a sink is
 * attached; content_length -1: none declared.  `request`: the body of a
 * request (errors say HTTP-request-body-size), else of a response. */
wasi2_http_outgoing_body *wasi2_http_outgoing_body_new(int64_t content_length, bool request);
/* Gives the body's bytes, so far and from now on, to the stream over
 * (ops, self) and its end to `sink`.  The state is shared with the body's
 * stream, so attaching after the guest finished or dropped the body
 * delivers what it wrote and how it ended. */
void wasi2_http_outgoing_body_attach(wasi2_stream *body_stream, const wasi2_stream_ops *ops,
                                     void *self, wasi2_http_body_sink sink, uint64_t until);
/* The guest's body handle went away: finish (trailers taken over, may be
 * NULL) or abandon.  Returns the error-code case the finish fails with
 * (the declared length not met), or -1; *written the count. */
int wasi2_http_outgoing_body_end(wasi2_http_outgoing_body *b, bool finished,
                                 wasi2_http_fields *trailers, uint64_t *written);
/* Frees the body handle's struct (after end, or dropping = abandon). */
void wasi2_http_outgoing_body_free(wasi2_http_outgoing_body *b);
/* outgoing-response.body / outgoing-request.body: result<own<outgoing-body>>,
 * err when taken before or the headers' content-length is invalid; the
 * owner keeps a reference to the body's stream in *pipe until it sends. */
int wasi2_http_body_result(component_call *call, const wasi2_host *h,
                           const wasi2_http_fields *headers, bool request, bool *taken,
                           wasi2_stream **pipe, component_val *result);

/* The content-length of fields: -1 when absent; -2 when it is not
 * 1*DIGIT or several differ (wasmtime refuses body() then). */
int64_t wasi2_http_content_length(const wasi2_http_fields *f);

extern const wasi2_func_table wasi2_http_body_table;

/* ---- the incoming half (http_incoming.c) ---------------------------------------- */

extern const wasi2_func_table wasi2_http_incoming_table;

/* The request the guest sees for one the embedder hands in (headers
 * lower-cased, forbidden ones removed, immutable). */
wasi2_http_incoming_request *wasi2_http_incoming_request_new(const wasi2_http_incoming *in);
/* method as its variant value. */
int wasi2_http_method_val(component_call *call, const wasi2_http_method *m, component_val *out);

/* The pre-release names of wasi:http's incoming side (http_rc.c). */
int wasi2_define_http_rc(component_linker *l, wasi2_host *h, util_error **err);

/* Resource destructors (the rc registrations alias the same types). */
void wasi2_http_incoming_request_free(wasi2_http_incoming_request *r);
void wasi2_http_outgoing_response_free(wasi2_http_outgoing_response *r);
void wasi2_http_outparam_free(wasi2_http_outparam *p);

#endif
