/*
 * http_trigger.c - what Spin's HTTP trigger does with one request before
 * and after an executor runs.
 *
 * Order, as in Spin: the reserved /.well-known/spin/ paths first (health
 * answers "OK", info the app's name and version as JSON, anything else
 * there 404), then the router (no match: empty 404), then the target: a
 * static response from the manifest, or a component's executor.  All but
 * the last need no guest, so the server asks for them on its I/O thread
 * (spin_http_trigger_fast) and they are answered even when every worker
 * is busy with a stuck guest.  Executor failures are logged with the
 * component and route in one line (a trap's backtrace is for debug level)
 * and answered with an empty 500, never with guest text; a guest stopped
 * at the request deadline gets 504.  Per-request logging stays at debug
 * level: Spin users measured it costing most of the throughput.
 */
#include "app_internal.h"
#include "http_tracing.h"
#include "local_http.h"

#include <string.h>

static void json_string(util_buf *b, const char *s)
{
    util_buf_append_str(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': util_buf_append_str(b, "\\\""); break;
        case '\\': util_buf_append_str(b, "\\\\"); break;
        case '\n': util_buf_append_str(b, "\\n"); break;
        case '\r': util_buf_append_str(b, "\\r"); break;
        case '\t': util_buf_append_str(b, "\\t"); break;
        default:
            if (*p < 0x20)
                util_buf_printf(b, "\\u%04x", *p);
            else
                util_buf_append(b, p, 1);
        }
    }
    util_buf_append_str(b, "\"");
}

static void app_info(const spin_http_trigger *t, spin_http_response *resp)
{
    spin_http_response_add_header(resp, "content-type", "application/json");
    util_buf_append_str(&resp->body, "{\n  \"name\": ");
    json_string(&resp->body, t->app_name ? t->app_name : "");
    if (t->app_version) {
        util_buf_append_str(&resp->body, ",\n  \"version\": ");
        json_string(&resp->body, t->app_version);
    }
    util_buf_append_str(&resp->body, "\n}");
}

/* Answers what needs no component and returns true; otherwise returns
 * false with *m the match of a component's route (the caller clears it). */
static bool answer_directly(const spin_http_trigger *t, const spin_http_request *req,
                            spin_http_response *resp, spin_route_match *m)
{
    static const char well_known[] = "/.well-known/spin/";
    if (strncmp(req->path, well_known, sizeof(well_known) - 1) == 0) {
        const char *what = req->path + sizeof(well_known) - 1;
        if (strcmp(what, "health") == 0)
            util_buf_append_str(&resp->body, "OK");
        else if (strcmp(what, "info") == 0)
            app_info(t, resp);
        else
            resp->status = 404;
        return true;
    }

    if (!spin_router_match(t->router, req->path, m)) {
        resp->status = 404;
        return true;
    }
    const spin_http_target *target = &t->targets[m->target];

    if (target->static_response) {
        const spin_static_response *sr = target->static_response;
        resp->status = sr->status_code ? sr->status_code : 200;
        for (size_t i = 0; i < sr->n_headers; i++)
            spin_http_response_add_header(resp, sr->headers[i].key, sr->headers[i].value);
        if (sr->body)
            util_buf_append_str(&resp->body, sr->body);
        spin_route_match_clear(m);
        return true;
    }

    if (!spin_http_request_header(req, "host")) {
        util_log_error("Error processing request to %s: no 'Host' header present in request",
                       req->path);
        resp->status = 500;
        spin_route_match_clear(m);
        return true;
    }
    return false;
}

bool spin_http_trigger_fast(void *ctx, const spin_http_request *req, spin_http_response *resp)
{
    const spin_http_trigger *t = ctx;
    util_log_debug("Processing request on path '%s'", req->path);
    spin_route_match m;
    if (answer_directly(t, req, resp, &m))
        return true;
    spin_route_match_clear(&m);
    return false;
}

bool spin_http_trigger_streams(void *ctx, const spin_http_request *req)
{
    const spin_http_trigger *t = ctx;
    if (!spin_http_request_header(req, "host"))
        return false; /* refused once the body is in, with its one log line */
    spin_http_response ignored = {.status = 200};
    spin_route_match m;
    if (answer_directly(t, req, &ignored, &m)) { /* answered with the body complete */
        spin_http_response_clear(&ignored);
        return false;
    }
    bool streams = t->targets[m.target].exec.ops->streams_body;
    spin_route_match_clear(&m);
    return streams;
}

void spin_http_trigger_run_component(const spin_http_trigger *t, const spin_http_request *req,
                                     const spin_route_match *m, spin_http_response *resp)
{
    const spin_http_target *target = &t->targets[m->target];
    const char *id = target->comp ? target->comp->id : "?";
    if (req->job) {
        cleanup_free char *label = util_xasprintf("component '%s'", id);
        spin_http_job_set_label(req->job, label);
    }
    util_trace_mark_once("first-request");
    otel_span *span = spin_tracing_request_start(req);
    util_error *err = NULL;
    int rc;
    if (req->deadline_ns && util_monotonic_ns() >= req->deadline_ns)
        rc = SPIN_EXEC_TIMED_OUT; /* it waited for a worker all its time */
    else
        rc = target->exec.ops->handle(target->exec.self, target->comp, req, m, resp, &err);
    util_trace_mark_once("first-request-handled");
    if (rc == 0) {
        spin_tracing_request_end(span, req->method, m->raw_route, resp->status);
        return;
    }
    spin_http_response_clear(resp);
    switch (rc) {
    case SPIN_EXEC_TIMED_OUT:
        util_log_error("Component '%s' (route %s) did not answer %s %s within the request "
                       "timeout of %llu ms: stopped it, answered 504",
                       id, m->raw_route, req->method, req->path,
                       (unsigned long long)t->request_timeout_ms);
        resp->status = 504;
        break;
    case SPIN_EXEC_CANCELLED:
        /* The server logged why (client gone, stop); nobody may be
         * listening, but a stop's client gets a clear answer. */
        util_log_debug("Component '%s' (route %s) stopped: %s %s was cancelled", id,
                       m->raw_route, req->method, req->path);
        resp->status = 503;
        break;
    default:
        util_log_error("Error processing request for component '%s' (route %s): %s", id,
                       m->raw_route, err ? err->msg : "unknown error");
        resp->status = 500;
    }
    spin_tracing_request_end(span, req->method, m->raw_route, resp->status);
    util_error_free(&err);
}

void spin_http_trigger_handle(void *ctx, const spin_http_request *req,
                              spin_http_response *resp)
{
    const spin_http_trigger *t = ctx;
    spin_route_match m;
    if (answer_directly(t, req, resp, &m))
        return;
    /* the component's requests to its own app find it (local_http.c) */
    const spin_http_trigger *outer = spin_local_http_enter(t);
    spin_http_trigger_run_component(t, req, &m, resp);
    spin_local_http_enter(outer);
    spin_route_match_clear(&m);
}
