/*
 * otel_internal.h - private to src/otel: the configuration read from the
 * OTEL_* variables (config.c), the span as recorded (span.c) and the
 * exporter's queue (export.c).
 */
#ifndef OTEL_INTERNAL_H
#define OTEL_INTERNAL_H

#include "otel.h"

typedef enum otel_sampler {
    OTEL_SAMPLE_ALWAYS_ON,
    OTEL_SAMPLE_ALWAYS_OFF,
    OTEL_SAMPLE_RATIO,
} otel_sampler;

typedef struct otel_config {
    char *url;     /* where spans are POSTed (…/v1/traces) */
    char *service; /* service.name */
    char **res_keys, **res_values; /* OTEL_RESOURCE_ATTRIBUTES, decoded */
    size_t nres;
    otel_sampler root;  /* for spans without a parent */
    double ratio;       /* OTEL_SAMPLE_RATIO's */
    bool parent_based;  /* a parent's sampled flag decides when there is one */
    unsigned delay_ms;  /* OTEL_BSP_SCHEDULE_DELAY */
    unsigned timeout_ms; /* OTEL_EXPORTER_OTLP_TIMEOUT (bounded) */
} otel_config;

/* Fills *cfg from `env`: 0, or -1 with *err saying why nothing is
 * exported (no endpoint: no error, *err stays NULL). */
int otel_config_read(const char *const *env, const char *default_service, otel_config *cfg,
                     util_error **err);
void otel_config_clear(otel_config *cfg);
/* Percent-decodes `s` (k=v lists); NULL on a bad escape. */
char *otel_percent_decode(const char *s);
/* Whether a span of this trace is sampled, given the parent's flag
 * (has_parent false: a root span). */
bool otel_sample(const otel_config *cfg, const uint8_t trace_id[16], bool has_parent,
                 bool parent_sampled);
/* Parses a W3C traceparent: false when it is not a valid version-00 one. */
bool otel_parse_traceparent(const char *tp, uint8_t trace_id[16], uint8_t span_id[8],
                            uint8_t *flags);

typedef struct otel_attr {
    char *key;
    char *str; /* NULL: an int */
    int64_t i;
} otel_attr;

struct otel_span {
    uint8_t trace_id[16], span_id[8], parent_id[8];
    bool has_parent, sampled, is_current;
    char *name, *tracestate, *status_msg;
    int status; /* 0 unset, 2 error */
    otel_kind kind;
    uint64_t start_ns, end_ns; /* Unix time */
    otel_attr *attrs;
    size_t nattrs, cap;
    otel_span *prev; /* the thread's current span before this one */
    otel_span *next; /* the exporter's queue */
};

void otel_span_free(otel_span *s);

/* Starts the exporter thread (once). */
int otel_export_start(const otel_config *cfg, util_error **err);
/* Queues a finished span (the exporter owns it), or drops it. */
void otel_export_enqueue(otel_span *s);
void otel_export_stop(unsigned ms);
/* Encodes a batch as ExportTraceServiceRequest (malloc'd bytes). */
uint8_t *otel_encode(const otel_config *cfg, otel_span *const *spans, size_t n, size_t *len);

#endif
