/*
 * local_http.h - requests a component makes to its own app, served
 * in-process (local_http.c); internal to src/spin.
 */
#ifndef SPIN_LOCAL_HTTP_H
#define SPIN_LOCAL_HTTP_H

struct spin_http_trigger;
struct wasi2_http_incoming;
struct wasi2_http_responder_ops;

/* Remembers the trigger whose request this thread serves (NULL: none);
 * returns the one before, to be restored when the request is done. */
const struct spin_http_trigger *spin_local_http_enter(const struct spin_http_trigger *t);

/* wasi2_config.local_request; self is the caller's spin_http_request
 * (its deadline bounds the called component). */
int spin_local_http_request(void *self, const struct wasi2_http_incoming *in,
                            const struct wasi2_http_responder_ops *ops, void *resp_self);

#endif
