/*
 * http_tracing.h - private to src/spin: the spans of the HTTP trigger
 * (http_tracing.c, on src/otel).
 */
#ifndef SPIN_HTTP_TRACING_H
#define SPIN_HTTP_TRACING_H

#include "http_types.h"
#include "otel.h"

/* Reads the OTEL_* variables of the app's env once and, when traces are
 * exported, has wasi2 report outgoing requests as client spans. */
void spin_tracing_init(const char *const *env);
/* The server span of a request (NULL: tracing off). */
otel_span *spin_tracing_request_start(const spin_http_request *req);
/* Ends it with the matched route and the status answered. */
void spin_tracing_request_end(otel_span *s, const char *method, const char *route,
                              unsigned status);

#endif
