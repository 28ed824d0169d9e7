/*
 * http_local.h - private to src/wasi2: outgoing requests the embedder
 * serves in-process through wasi2_config.local_request (http_local.c), as
 * http_outgoing.c uses them beside the network client.
 */
#ifndef WASI2_HTTP_LOCAL_H
#define WASI2_HTTP_LOCAL_H

#include "http_internal.h"

typedef struct wasi2_http_local wasi2_http_local;

/* NULL when the embedder does not serve the request (no hook, or the hook
 * says it is not local).  Otherwise the request is taken: its body pipe
 * (if any) is attached, and the embedder runs it when the body is
 * finished (now, when there is none or it was finished already). */
wasi2_http_local *wasi2_http_local_start(wasi2_ctx *ctx, const wasi2_http_outgoing_request *r,
                                         const char *method, const char *scheme);
/* The embedder says the request, with an authority, goes to the app
 * itself (WASI2_HTTP_LOCAL_SELF): the policy's `self` then decides. */
bool wasi2_http_local_is_self(const wasi2_ctx *ctx, const wasi2_http_outgoing_request *r,
                              const char *scheme);
void wasi2_http_local_ref(wasi2_http_local *l);
void wasi2_http_local_release(wasi2_http_local *l);

/* As the client's (http_client.h): a stream ready once the response is
 * known, the head without waiting, the body's source once. */
wasi2_stream *wasi2_http_local_head_stream(wasi2_http_local *l);
bool wasi2_http_local_head(wasi2_http_local *l, uint16_t *status, wasi2_http_fields **headers,
                           bool *failed, wasi2_http_error *error);
void wasi2_http_local_body_source(wasi2_http_local *l, const wasi2_stream_ops **ops,
                                  void **self);

#endif
