/*
 * otel.h - the door of src/otel: OpenTelemetry traces, exported over
 * OTLP/HTTP (protobuf) to the collector the OTEL_* variables name.
 *
 * Without OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * nothing is set up: otel_enabled() is false and every other function
 * returns at once (callers test otel_enabled() first, one branch).
 *
 * A span is started on the thread doing the work and becomes that
 * thread's current span until it ends, so that a span started below it
 * (an outbound request, a host call) finds its parent without being
 * passed one.  Ending a span hands it to the exporter's bounded queue; a
 * background thread sends batches.  A full queue drops spans (counted),
 * and an unreachable collector only costs that thread time.
 */
#ifndef OTEL_H
#define OTEL_H

#include "util.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum otel_kind {
    OTEL_KIND_INTERNAL = 1,
    OTEL_KIND_SERVER = 2,
    OTEL_KIND_CLIENT = 3,
} otel_kind;

typedef struct otel_span otel_span;

/* Reads the OTEL_* variables from `env` ("K=V" list, NULL-terminated;
 * NULL: the process environment) once per process; `default_service` is
 * service.name when OTEL_SERVICE_NAME is unset.  A bad value is a warning
 * and no export, never an error: telemetry must not stop an app. */
void otel_init(const char *const *env, const char *default_service);
bool otel_enabled(void);
/* Sends what is queued and stops the exporter (waits at most `ms`). */
void otel_shutdown(unsigned ms);

/* Starts a span.  Its parent: the W3C `traceparent` (and `tracestate`)
 * when given and valid, else the thread's current span, else none (a new
 * trace).  NULL when tracing is off.  The span becomes current. */
otel_span *otel_span_start(const char *name, otel_kind kind, const char *traceparent,
                           const char *tracestate);
/* A child of the thread's current span that does not become current: for
 * work that ends on another thread (an outbound request's transfer). */
otel_span *otel_span_start_detached(const char *name, otel_kind kind);
void otel_span_set_name(otel_span *s, const char *name);
void otel_span_set_str(otel_span *s, const char *key, const char *value);
void otel_span_set_int(otel_span *s, const char *key, int64_t value);
/* Marks the span failed (status ERROR, with the message). */
void otel_span_set_error(otel_span *s, const char *message);
/* Ends it: the previous current span is current again, and a sampled
 * span goes to the exporter.  NULL is allowed. */
void otel_span_end(otel_span *s);

/* The thread's current span (NULL: none). */
otel_span *otel_current(void);
/* The W3C traceparent of `s` ("00-<trace>-<span>-<flags>", 55 chars + NUL). */
#define OTEL_TRACEPARENT_LEN 56
void otel_span_traceparent(const otel_span *s, char out[OTEL_TRACEPARENT_LEN]);
const char *otel_span_tracestate(const otel_span *s);

/* Counters, for tests and the log: spans exported, dropped (queue full or
 * a failed send), and export requests that failed. */
typedef struct otel_stats {
    uint64_t exported, dropped, failed_sends;
} otel_stats;
otel_stats otel_get_stats(void);

#endif
