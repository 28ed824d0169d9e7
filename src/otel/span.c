/*
 * span.c - spans: ids, W3C trace context, sampling, the thread's current
 * span, and the one switch (otel_enabled) everything else tests first.
 *
 * Design: a span is a small heap record filled by the thread doing the
 * work and handed whole to the exporter when it ends (no locks while it
 * is open).  The current span is thread-local: a request runs on one
 * worker thread from its start to its end, so a host call or outbound
 * request made by the guest finds the request's span there.  A span that
 * ends on another thread (an outbound request's, ended by its transfer
 * thread) is started detached and never becomes current.
 *
 * Ids come from a per-thread xorshift generator seeded from getrandom:
 * they must be unique, not secret, and a system call per span would be
 * most of a span's cost.  An unsampled span is still created (it carries
 * the trace context on to outbound requests, with the sampled flag off)
 * but is never queued.
 */
#include "otel_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static bool enabled;
static otel_config config;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static const char *const *init_env;
static const char *init_service;
static _Thread_local otel_span *current;
static _Thread_local uint64_t rng_state;

static void init_now(void)
{
    util_error *err = NULL;
    if (otel_config_read(init_env, init_service, &config, &err) < 0) {
        if (err)
            util_log_warn("OpenTelemetry: %s; no traces are exported", err->msg);
        util_error_free(&err);
        return;
    }
    if (otel_export_start(&config, &err) < 0) {
        util_log_warn("OpenTelemetry: %s; no traces are exported", err->msg);
        util_error_free(&err);
        otel_config_clear(&config);
        return;
    }
    util_log_info("OpenTelemetry: exporting traces of service '%s' to %s", config.service,
                  config.url);
    enabled = true;
}

void otel_init(const char *const *env, const char *default_service)
{
    init_env = env;
    init_service = default_service;
    pthread_once(&init_once, init_now);
}

bool otel_enabled(void)
{
    return enabled;
}

void otel_shutdown(unsigned ms)
{
    if (enabled)
        otel_export_stop(ms);
}

static uint64_t next_random(void)
{
    while (rng_state == 0)
        if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
            rng_state = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&rng_state;
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static void random_id(uint8_t *out, size_t n)
{
    do {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t r = next_random();
            memcpy(out + i, &r, n - i < 8 ? n - i : 8);
        }
    } while (out[0] == 0 && memcmp(out, out + 1, n - 1) == 0); /* all zero is invalid */
}

static uint64_t unix_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static bool hex_bytes(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int v[2];
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + k];
            /* W3C: lowercase hex only */
            v[k] = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (v[k] < 0)
                return false;
        }
        out[i] = (uint8_t)(v[0] * 16 + v[1]);
    }
    return true;
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

bool otel_parse_traceparent(const char *tp, uint8_t trace_id[16], uint8_t span_id[8],
                            uint8_t *flags)
{
    /* 00-<32 hex>-<16 hex>-<2 hex> */
    while (*tp == ' ' || *tp == '\t')
        tp++;
    if (strlen(tp) < 55 || tp[0] != '0' || tp[1] != '0' || tp[2] != '-' || tp[35] != '-' ||
        tp[52] != '-')
        return false;
    if (tp[55] != '\0' && tp[55] != ' ' && tp[55] != '\t')
        return false;
    return hex_bytes(tp + 3, trace_id, 16) && hex_bytes(tp + 36, span_id, 8) &&
           hex_bytes(tp + 53, flags, 1) && !all_zero(trace_id, 16) && !all_zero(span_id, 8);
}

static otel_span *span_new(const char *name, otel_kind kind, const char *traceparent,
                           const char *tracestate)
{
    otel_span *s = util_xcalloc(1, sizeof(*s));
    s->name = util_xstrdup(name);
    s->kind = kind;
    bool parent_sampled = false;
    uint8_t flags = 0;
    if (traceparent && otel_parse_traceparent(traceparent, s->trace_id, s->parent_id, &flags)) {
        s->has_parent = true;
        parent_sampled = flags & 1;
        if (tracestate && *tracestate)
            s->tracestate = util_xstrdup(tracestate);
    } else if (current) {
        memcpy(s->trace_id, current->trace_id, 16);
        memcpy(s->parent_id, current->span_id, 8);
        s->has_parent = true;
        parent_sampled = current->sampled;
        if (current->tracestate)
            s->tracestate = util_xstrdup(current->tracestate);
    } else {
        random_id(s->trace_id, 16);
    }
    random_id(s->span_id, 8);
    s->sampled = otel_sample(&config, s->trace_id, s->has_parent, parent_sampled);
    s->start_ns = unix_ns();
    return s;
}

otel_span *otel_span_start(const char *name, otel_kind kind, const char *traceparent,
                           const char *tracestate)
{
    if (!enabled)
        return NULL;
    otel_span *s = span_new(name, kind, traceparent, tracestate);
    s->prev = current;
    s->is_current = true;
    current = s;
    return s;
}

otel_span *otel_span_start_detached(const char *name, otel_kind kind)
{
    if (!enabled)
        return NULL;
    return span_new(name, kind, NULL, NULL);
}

void otel_span_set_name(otel_span *s, const char *name)
{
    if (!s)
        return;
    free(s->name);
    s->name = util_xstrdup(name);
}

static otel_attr *attr_slot(otel_span *s, const char *key)
{
    for (size_t i = 0; i < s->nattrs; i++)
        if (strcmp(s->attrs[i].key, key) == 0) {
            free(s->attrs[i].str);
            s->attrs[i].str = NULL;
            return &s->attrs[i];
        }
    if (s->nattrs == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->attrs = util_xrealloc(s->attrs, s->cap * sizeof(*s->attrs));
    }
    otel_attr *a = &s->attrs[s->nattrs++];
    *a = (otel_attr){.key = util_xstrdup(key)};
    return a;
}

void otel_span_set_str(otel_span *s, const char *key, const char *value)
{
    if (s && value)
        attr_slot(s, key)->str = util_xstrdup(value);
}

void otel_span_set_int(otel_span *s, const char *key, int64_t value)
{
    if (s)
        attr_slot(s, key)->i = value;
}

void otel_span_set_error(otel_span *s, const char *message)
{
    if (!s)
        return;
    s->status = 2;
    free(s->status_msg);
    s->status_msg = util_xstrdup(message ? message : "");
}

void otel_span_free(otel_span *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nattrs; i++) {
        free(s->attrs[i].key);
        free(s->attrs[i].str);
    }
    free(s->attrs);
    free(s->name);
    free(s->tracestate);
    free(s->status_msg);
    free(s);
}

void otel_span_end(otel_span *s)
{
    if (!s)
        return;
    if (s->is_current && current == s)
        current = s->prev;
    s->end_ns = unix_ns();
    if (s->sampled)
        otel_export_enqueue(s);
    else
        otel_span_free(s);
}

otel_span *otel_current(void)
{
    return current;
}

void otel_span_traceparent(const otel_span *s, char out[OTEL_TRACEPARENT_LEN])
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    *o++ = '0', *o++ = '0', *o++ = '-';
    for (int i = 0; i < 16; i++)
        *o++ = hex[s->trace_id[i] >> 4], *o++ = hex[s->trace_id[i] & 15];
    *o++ = '-';
    for (int i = 0; i < 8; i++)
        *o++ = hex[s->span_id[i] >> 4], *o++ = hex[s->span_id[i] & 15];
    *o++ = '-', *o++ = '0', *o++ = s->sampled ? '1' : '0';
    *o = '\0';
}

const char *otel_span_tracestate(const otel_span *s)
{
    return s ? s->tracestate : NULL;
}
