/*
 * http_client.h - private to src/wasi2: the HTTP client behind
 * wasi:http/outgoing-handler (http_client.c, on libcurl), as
 * http_outgoing.c uses it.
 *
 * One wasi2_http_client_request is one request in flight.  It is made by
 * handle() from the request's head, runs on its own thread, and is seen
 * by the guest's thread only through descriptors: the response head's
 * readiness (an eventfd), the request body (a socket pair the guest's
 * outgoing-body writes into) and the response body (a socket the guest's
 * incoming-body reads).  Every guest-side object that refers to it holds
 * a reference; when the last goes, a transfer still running is cancelled.
 */
#ifndef WASI2_HTTP_CLIENT_H
#define WASI2_HTTP_CLIENT_H

#include "http_internal.h"

typedef struct wasi2_http_client_request wasi2_http_client_request;

typedef struct wasi2_http_client_spec {
    const char *method; /* as sent: "GET", "POST", or another token */
    const char *url;    /* scheme://authority/path-with-query */
    const wasi2_http_fields *headers;
    bool has_body;          /* the body comes through wasi2_http_client_attach_body */
    int64_t content_length; /* of the body; -1: unknown (chunked on HTTP/1.1) */
    wasi2_http_request_options options; /* 0: the defaults (600 s each, as wasmtime) */
} wasi2_http_client_spec;

/* Starts the request: NULL with *error set (internal-error: libcurl not
 * installed, no thread) when it cannot. */
wasi2_http_client_request *wasi2_http_client_start(const wasi2_http_client_spec *spec,
                                                   wasi2_http_error *error);
void wasi2_http_client_ref(wasi2_http_client_request *c);
void wasi2_http_client_release(wasi2_http_client_request *c);

/* Gives the request's outgoing-body pipe (http_body.c) its sink: the
 * bytes go to the server as they are written; finish ends the body,
 * abandoning it fails the request.  `until` bounds writing the bytes the
 * guest wrote before handle(). */
void wasi2_http_client_attach_body(wasi2_http_client_request *c, wasi2_stream *body_pipe,
                                   uint64_t until);

/* A stream that is ready when the response head (or the failure) is
 * known: what future-incoming-response.subscribe waits on. */
wasi2_stream *wasi2_http_client_head_stream(wasi2_http_client_request *c);
/* Without waiting: false while the head is not known; else true with
 * either *status and *headers (a new mutable copy; the caller owns it)
 * and *failed false, or *failed true and *error (text malloc'd). */
bool wasi2_http_client_head(wasi2_http_client_request *c, uint16_t *status,
                            wasi2_http_fields **headers, bool *failed, wasi2_http_error *error);
/* The response body's byte source, once (NULL ops after the first call):
 * reads what arrived; the end once the transfer completed; a transfer
 * that broke off is an error (EIO) at that point. */
void wasi2_http_client_body_source(wasi2_http_client_request *c, const wasi2_stream_ops **ops,
                                   void **self);

/* Runs the destructor of an own<outgoing-request>, <request-options>,
 * <future-incoming-response> or <incoming-response> (what a guest's drop
 * does; for host callers such as the tests). */
void wasi2_http_outgoing_drop(const wasi2_http_types *t, const component_val *own);

/* Whether libcurl can be loaded (tests skip the network parts without). */
bool wasi2_http_client_available(util_error **err);

#endif
