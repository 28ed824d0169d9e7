/*
 * http_tracing.c - OpenTelemetry spans of the HTTP trigger, as Spin's
 * spin-trigger-http records them, and client spans for outgoing requests.
 *
 * Design: the request span is started when a worker runs the component
 * (spin_http_trigger_run_component) and ended when the handler returns,
 * on the same thread, so it is the thread's current span while the guest
 * runs and every span started below it (outbound HTTP through wasi2's
 * trace hooks) is its child.  Its parent is the request's W3C
 * `traceparent` (with `tracestate`) when it has a valid one.
 *
 * Name and attributes follow Spin's http_span (spin-trigger-http
 * instrument.rs): the span is "spin_trigger_http.handle_http_request"
 * until the route is known, then "<METHOD> <route>"; kind server;
 * http.request.method, network.peer.address/port, network.protocol.name,
 * url.path, url.query, url.scheme, client.address (X-Forwarded-For),
 * http.route and http.response.status_code; error.type on a 5xx we made.
 * An outgoing request is a client span "<METHOD>" with
 * http.request.method, url.full, server.address/port and
 * http.response.status_code, its traceparent sent with the request.
 *
 * Without the OTEL_* variables, otel_enabled() is false and each hook is
 * one branch.
 */
#include "http_tracing.h"

#include "wasi2.h"

#include <stdlib.h>
#include <string.h>

otel_span *spin_tracing_request_start(const spin_http_request *req)
{
    if (!otel_enabled())
        return NULL;
    otel_span *s = otel_span_start("spin_trigger_http.handle_http_request", OTEL_KIND_SERVER,
                                   spin_http_request_header(req, "traceparent"),
                                   spin_http_request_header(req, "tracestate"));
    otel_span_set_str(s, "http.request.method", req->method);
    if (req->client_ip) {
        otel_span_set_str(s, "network.peer.address", req->client_ip);
        otel_span_set_int(s, "network.peer.port", req->client_port);
    }
    otel_span_set_str(s, "network.protocol.name", "http");
    otel_span_set_str(s, "url.path", req->path);
    otel_span_set_str(s, "url.query", req->query ? req->query : "");
    otel_span_set_str(s, "url.scheme", "http");
    const char *xff = spin_http_request_header(req, "x-forwarded-for");
    if (xff)
        otel_span_set_str(s, "client.address", xff);
    return s;
}

void spin_tracing_request_end(otel_span *s, const char *method, const char *route,
                              unsigned status)
{
    if (!s)
        return;
    if (route) {
        otel_span_set_str(s, "http.route", route);
        cleanup_free char *name = util_xasprintf("%s %s", method, route);
        otel_span_set_name(s, name);
    } else {
        otel_span_set_name(s, method);
    }
    otel_span_set_int(s, "http.response.status_code", status);
    if (status >= 500) {
        cleanup_free char *why = util_xasprintf("%u", status);
        otel_span_set_str(s, "error.type", why);
        otel_span_set_error(s, NULL);
    }
    otel_span_end(s);
}

/* ---- outgoing requests (wasi2's trace hooks) ----------------------------- */

/* server.address and server.port from scheme://[user@]host[:port]/... */
static void set_server(otel_span *s, const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return;
    p += 3;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at)
        n -= (size_t)(at + 1 - p), p = at + 1;
    const char *colon = NULL;
    if (*p == '[') { /* [v6]:port */
        const char *close = memchr(p, ']', n);
        if (close && (size_t)(close + 1 - p) < n && close[1] == ':')
            colon = close + 1;
    } else {
        colon = memchr(p, ':', n);
    }
    size_t host_len = colon ? (size_t)(colon - p) : n;
    cleanup_free char *host = util_xstrndup(p, host_len);
    otel_span_set_str(s, "server.address", host);
    long port = colon ? strtol(colon + 1, NULL, 10) : strncmp(url, "https", 5) == 0 ? 443 : 80;
    otel_span_set_int(s, "server.port", port);
}

static void *outbound_start(const char *method, const char *url,
                            char traceparent[WASI2_TRACEPARENT_SIZE], const char **tracestate)
{
    otel_span *s = otel_span_start_detached(method, OTEL_KIND_CLIENT);
    if (!s)
        return NULL;
    otel_span_set_str(s, "http.request.method", method);
    otel_span_set_str(s, "url.full", url);
    set_server(s, url);
    otel_span_traceparent(s, traceparent);
    *tracestate = otel_span_tracestate(s);
    return s;
}

static void outbound_end(void *token, unsigned status, const char *error)
{
    otel_span *s = token;
    if (status)
        otel_span_set_int(s, "http.response.status_code", status);
    if (error) {
        otel_span_set_str(s, "error.type", error);
        otel_span_set_error(s, error);
    } else if (status >= 400) {
        otel_span_set_error(s, NULL);
    }
    otel_span_end(s);
}

static const wasi2_http_trace_hooks outbound_hooks = {
    .start = outbound_start,
    .end = outbound_end,
};

void spin_tracing_init(const char *const *env)
{
    otel_init(env, "spin");
    if (otel_enabled())
        wasi2_http_set_trace_hooks(&outbound_hooks);
}
