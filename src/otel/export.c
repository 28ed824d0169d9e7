/*
 * export.c - the exporter: a bounded queue of finished spans and one
 * background thread that POSTs them in batches as an OTLP/HTTP
 * ExportTraceServiceRequest (protobuf, encoded with protobuf-c from
 * proto/otlp_trace.proto).
 *
 * Design, so that telemetry never slows or fails a request:
 *  - a request's thread only links its span into the queue under a mutex
 *    (no I/O, no encoding); a full queue (QUEUE_MAX spans) drops the span
 *    and counts it;
 *  - the thread wakes when a batch is full (BATCH_MAX) or after the
 *    schedule delay (OTEL_BSP_SCHEDULE_DELAY), encodes and sends; a
 *    collector that is down costs the thread its connect timeout (short)
 *    or the export timeout, while spans keep queueing (or dropping);
 *  - a failed send drops that batch (no retries: the collector being down
 *    must not grow memory).
 * libcurl comes from the process's one loader (util_curl_load); in a
 * container the shim loads it before the root changes when the
 * container's env asks for export (spin_preload_libraries), since nothing
 * can be loaded after.
 */
#include "otel_internal.h"
#include "otlp_trace.pb-c.h"

#include "util_curl.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_MAX 4096
#define BATCH_MAX 512
#define CONNECT_TIMEOUT_MS 1000

static const util_curl_api *curl;

static const otel_config *cfg;
static pthread_t thread;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, done_cond = PTHREAD_COND_INITIALIZER;
static otel_span *head, **tail = &head;
static size_t queued;
static bool stopping, stopped;
static otel_stats stats;

static int load_curl(util_error **err)
{
    curl = util_curl_load(err);
    return curl ? 0 : -1;
}

void otel_export_enqueue(otel_span *s)
{
    pthread_mutex_lock(&mu);
    if (queued >= QUEUE_MAX || stopped) {
        stats.dropped++;
        pthread_mutex_unlock(&mu);
        otel_span_free(s);
        return;
    }
    s->next = NULL;
    *tail = s;
    tail = &s->next;
    if (++queued >= BATCH_MAX)
        pthread_cond_signal(&wake);
    pthread_mutex_unlock(&mu);
}

otel_stats otel_get_stats(void)
{
    pthread_mutex_lock(&mu);
    otel_stats s = stats;
    pthread_mutex_unlock(&mu);
    return s;
}

/* ---- encoding ------------------------------------------------------------ */

typedef struct batch_mem {
    Otlp__Span *spans;
    Otlp__Span **span_ptrs;
    Otlp__KeyValue *kvs;
    Otlp__KeyValue **kv_ptrs;
    Otlp__AnyValue *values;
    Otlp__Status *statuses;
    size_t nkv;
} batch_mem;

static Otlp__KeyValue **add_kv(batch_mem *m, const char *key, const char *str, int64_t i)
{
    size_t k = m->nkv++;
    Otlp__AnyValue *v = &m->values[k];
    otlp__any_value__init(v);
    if (str) {
        v->value_case = OTLP__ANY_VALUE__VALUE_STRING_VALUE;
        v->string_value = (char *)str;
    } else {
        v->value_case = OTLP__ANY_VALUE__VALUE_INT_VALUE;
        v->int_value = i;
    }
    otlp__key_value__init(&m->kvs[k]);
    m->kvs[k].key = (char *)key;
    m->kvs[k].value = v;
    m->kv_ptrs[k] = &m->kvs[k];
    return &m->kv_ptrs[k];
}

static void encode_span(batch_mem *m, size_t idx, const otel_span *s)
{
    Otlp__Span *p = &m->spans[idx];
    otlp__span__init(p);
    p->trace_id = (ProtobufCBinaryData){16, (uint8_t *)s->trace_id};
    p->span_id = (ProtobufCBinaryData){8, (uint8_t *)s->span_id};
    if (s->has_parent)
        p->parent_span_id = (ProtobufCBinaryData){8, (uint8_t *)s->parent_id};
    if (s->tracestate)
        p->trace_state = s->tracestate;
    p->name = s->name;
    p->kind = (int32_t)s->kind;
    p->start_time_unix_nano = s->start_ns;
    p->end_time_unix_nano = s->end_ns;
    p->flags = 0x100 | (s->sampled ? 1u : 0u); /* HAS_IS_REMOTE known, sampled */
    if (s->nattrs) {
        p->attributes = add_kv(m, s->attrs[0].key, s->attrs[0].str, s->attrs[0].i);
        for (size_t i = 1; i < s->nattrs; i++)
            add_kv(m, s->attrs[i].key, s->attrs[i].str, s->attrs[i].i);
        p->n_attributes = s->nattrs;
    }
    if (s->status) {
        Otlp__Status *st = &m->statuses[idx];
        otlp__status__init(st);
        st->code = s->status;
        st->message = s->status_msg ? s->status_msg : (char *)"";
        p->status = st;
    }
    m->span_ptrs[idx] = p;
}

uint8_t *otel_encode(const otel_config *c, otel_span *const *spans, size_t n, size_t *len)
{
    size_t nkv = c->nres + 1;
    for (size_t i = 0; i < n; i++)
        nkv += spans[i]->nattrs;
    batch_mem m = {
        .spans = util_xcalloc(n ? n : 1, sizeof(Otlp__Span)),
        .span_ptrs = util_xcalloc(n ? n : 1, sizeof(Otlp__Span *)),
        .statuses = util_xcalloc(n ? n : 1, sizeof(Otlp__Status)),
        .kvs = util_xcalloc(nkv, sizeof(Otlp__KeyValue)),
        .kv_ptrs = util_xcalloc(nkv, sizeof(Otlp__KeyValue *)),
        .values = util_xcalloc(nkv, sizeof(Otlp__AnyValue)),
    };
    Otlp__Resource res = OTLP__RESOURCE__INIT;
    res.attributes = add_kv(&m, "service.name", c->service, 0);
    for (size_t i = 0; i < c->nres; i++)
        if (strcmp(c->res_keys[i], "service.name") != 0)
            add_kv(&m, c->res_keys[i], c->res_values[i], 0);
    res.n_attributes = m.nkv;
    for (size_t i = 0; i < n; i++)
        encode_span(&m, i, spans[i]);
    Otlp__InstrumentationScope scope = OTLP__INSTRUMENTATION_SCOPE__INIT;
    scope.name = (char *)"containerd-shim-spin";
    scope.version = (char *)util_version;
    Otlp__ScopeSpans ss = OTLP__SCOPE_SPANS__INIT;
    ss.scope = &scope;
    ss.spans = m.span_ptrs;
    ss.n_spans = n;
    Otlp__ScopeSpans *ssp = &ss;
    Otlp__ResourceSpans rs = OTLP__RESOURCE_SPANS__INIT;
    rs.resource = &res;
    rs.scope_spans = &ssp;
    rs.n_scope_spans = 1;
    Otlp__ResourceSpans *rsp = &rs;
    Otlp__ExportTraceServiceRequest req = OTLP__EXPORT_TRACE_SERVICE_REQUEST__INIT;
    req.resource_spans = &rsp;
    req.n_resource_spans = 1;
    *len = otlp__export_trace_service_request__get_packed_size(&req);
    uint8_t *out = util_xmalloc(*len ? *len : 1);
    otlp__export_trace_service_request__pack(&req, out);
    free(m.spans);
    free(m.span_ptrs);
    free(m.statuses);
    free(m.kvs);
    free(m.kv_ptrs);
    free(m.values);
    return out;
}

/* ---- sending ------------------------------------------------------------- */

static size_t discard(char *data, size_t size, size_t nmemb, void *user)
{
    (void)data, (void)user;
    return size * nmemb;
}

static bool post(CURL *h, const uint8_t *body, size_t len)
{
    struct curl_slist *hdrs = curl->slist_append(NULL, "Content-Type: application/x-protobuf");
    hdrs = curl->slist_append(hdrs, "Expect:");
    curl->easy_setopt(h, CURLOPT_URL, cfg->url);
    curl->easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl->easy_setopt(h, CURLOPT_POST, 1L);
    curl->easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
    curl->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl->easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl->easy_perform(h);
    long status = 0;
    curl->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl->slist_free_all(hdrs);
    return rc == CURLE_OK && status >= 200 && status < 300;
}

static void send_batch(CURL *h, otel_span *list, size_t n)
{
    otel_span **spans = util_xcalloc(n, sizeof(*spans));
    size_t i = 0;
    for (otel_span *s = list; s; s = s->next)
        spans[i++] = s;
    size_t len = 0;
    uint8_t *body = otel_encode(cfg, spans, n, &len);
    bool ok = post(h, body, len);
    free(body);
    for (i = 0; i < n; i++)
        otel_span_free(spans[i]);
    free(spans);
    pthread_mutex_lock(&mu);
    if (ok) {
        stats.exported += n;
    } else {
        stats.dropped += n;
        if (stats.failed_sends++ == 0)
            util_log_warn("OpenTelemetry: sending spans to %s failed (further failures "
                          "are counted, not logged)", cfg->url);
    }
    pthread_mutex_unlock(&mu);
}

/* Takes up to BATCH_MAX spans off the queue (with mu held). */
static otel_span *take_batch(size_t *n)
{
    otel_span *list = head, *last = NULL;
    size_t k = 0;
    for (otel_span *s = head; s && k < BATCH_MAX; s = s->next)
        last = s, k++;
    if (!last) {
        *n = 0;
        return NULL;
    }
    head = last->next;
    if (!head)
        tail = &head;
    last->next = NULL;
    queued -= k;
    *n = k;
    return list;
}

static void deadline_after(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L)
        ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

static void *exporter_main(void *arg)
{
    (void)arg;
    CURL *h = curl->easy_init();
    pthread_mutex_lock(&mu);
    for (;;) {
        if (queued < BATCH_MAX && !stopping) {
            struct timespec ts;
            deadline_after(&ts, cfg->delay_ms);
            while (queued < BATCH_MAX && !stopping)
                if (pthread_cond_timedwait(&wake, &mu, &ts) == ETIMEDOUT)
                    break;
        }
        size_t n = 0;
        otel_span *list = take_batch(&n);
        if (!list && stopping)
            break;
        if (!list)
            continue;
        pthread_mutex_unlock(&mu);
        if (h)
            send_batch(h, list, n);
        pthread_mutex_lock(&mu);
    }
    stopped = true;
    pthread_cond_broadcast(&done_cond);
    pthread_mutex_unlock(&mu);
    if (h)
        curl->easy_cleanup(h);
    return NULL;
}

int otel_export_start(const otel_config *c, util_error **err)
{
    if (load_curl(err) < 0)
        return -1;
    cfg = c;
    int rc = pthread_create(&thread, NULL, exporter_main, NULL);
    if (rc != 0)
        return util_error_set(err, rc, "cannot start the exporter thread");
    pthread_detach(thread);
    return 0;
}

void otel_export_stop(unsigned ms)
{
    pthread_mutex_lock(&mu);
    stopping = true;
    pthread_cond_signal(&wake);
    struct timespec ts;
    deadline_after(&ts, ms);
    while (!stopped)
        if (pthread_cond_timedwait(&done_cond, &mu, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&mu);
}
