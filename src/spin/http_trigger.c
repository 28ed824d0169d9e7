/*
 * http_trigger.c - what Spin's HTTP trigger does with one request before
 * and after an executor runs.
 *
 * Order, as in Spin: the reserved /.well-known/spin/ paths first (health
 * answers "OK", info the app's name and version as JSON, anything else
 * there 404), then the router (no match: empty 404), then the target: a
 * static response from the manifest, or a component's executor.  Executor
 * failures are logged with the component and route and answered with an
 * empty 500, never with guest text.  Per-request logging stays at debug
 * level: Spin users measured it costing most of the throughput.
 */
#include "app_internal.h"

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

void spin_http_trigger_handle(void *ctx, const spin_http_request *req,
                              spin_http_response *resp)
{
    const spin_http_trigger *t = ctx;
    static const char well_known[] = "/.well-known/spin/";
    util_log_debug("Processing request on path '%s'", req->path);

    if (strncmp(req->path, well_known, sizeof(well_known) - 1) == 0) {
        const char *what = req->path + sizeof(well_known) - 1;
        if (strcmp(what, "health") == 0)
            util_buf_append_str(&resp->body, "OK");
        else if (strcmp(what, "info") == 0)
            app_info(t, resp);
        else
            resp->status = 404;
        return;
    }

    spin_route_match m;
    if (!spin_router_match(t->router, req->path, &m)) {
        resp->status = 404;
        return;
    }
    const spin_http_target *target = &t->targets[m.target];

    if (target->static_response) {
        const spin_static_response *sr = target->static_response;
        resp->status = sr->status_code ? sr->status_code : 200;
        for (size_t i = 0; i < sr->n_headers; i++)
            spin_http_response_add_header(resp, sr->headers[i].key, sr->headers[i].value);
        if (sr->body)
            util_buf_append_str(&resp->body, sr->body);
        spin_route_match_clear(&m);
        return;
    }

    if (!spin_http_request_header(req, "host")) {
        util_log_error("Error processing request to %s: no 'Host' header present in request",
                       req->path);
        resp->status = 500;
        spin_route_match_clear(&m);
        return;
    }

    util_error *err = NULL;
    if (target->exec.ops->handle(target->exec.self, target->comp, req, &m, resp, &err) < 0) {
        util_log_error("Error processing request for component '%s' (route %s): %s",
                       target->comp ? target->comp->id : "?", m.raw_route,
                       err ? err->msg : "unknown error");
        util_error_free(&err);
        spin_http_response_clear(resp);
        resp->status = 500;
    }
    spin_route_match_clear(&m);
}
