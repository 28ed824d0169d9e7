/*
 * local_http.c - outgoing requests a component makes to its own app,
 * served in-process (wasi2_config.local_request): a relative URL (the app
 * itself, allowed by `self`) and http://<id>.spin.internal/... (Spin's
 * service chaining, allowed by `*.spin.internal` or that host).
 *
 * wasi2 asks the hook only after allowed_outbound_hosts said yes.  The
 * request then runs as Spin's OutboundHttpInterceptor runs it: a relative
 * one goes through the app's router like a request from a client (well
 * known paths, static responses, 404 included); one to <id>.spin.internal
 * goes to component <id> whatever its route, private ones too, with a
 * match of the whole path as its path info.  Either way the called
 * component runs through its executor, in a fresh instance, on the
 * calling thread, with the caller's deadline, and gets the spin-* headers
 * a routed request gets.  A request whose authority is the Host the
 * caller was reached at (a JS guest resolves fetch("/x") against its
 * request URL) counts as one to the app itself: `self` must allow it.
 * The trigger of the request a thread is serving
 * is remembered per thread (spin_local_http_enter), and so is the depth
 * of nested local requests: a chain deeper than SPIN_LOCAL_MAX_DEPTH (a
 * component calling itself for ever) ends with error-code loop-detected.
 */
#include "app_internal.h"
#include "http_executor.h"
#include "local_http.h"
#include "wasi2.h"

#include <string.h>
#include <strings.h>

/* Nested local requests one thread may be running (each holds an
 * instance and native stack). */
#define SPIN_LOCAL_MAX_DEPTH 8

static _Thread_local const spin_http_trigger *current_trigger;
static _Thread_local unsigned depth;

const spin_http_trigger *spin_local_http_enter(const spin_http_trigger *t)
{
    const spin_http_trigger *before = current_trigger;
    current_trigger = t;
    return before;
}

static const char internal_suffix[] = ".spin.internal";

/* The component id of "<id>.spin.internal[:port]" (malloc'd), or NULL. */
static char *internal_component(const char *authority)
{
    const char *colon = strrchr(authority, ':');
    size_t len = colon ? (size_t)(colon - authority) : strlen(authority);
    size_t slen = sizeof(internal_suffix) - 1;
    if (len <= slen || strncasecmp(authority + len - slen, internal_suffix, slen) != 0)
        return NULL;
    return util_xstrndup(authority, len - slen);
}

static const spin_http_target *target_of(const spin_http_trigger *t, const char *id,
                                         size_t *index)
{
    for (size_t i = 0; i < t->ntargets; i++)
        if (t->targets[i].comp && strcmp(t->targets[i].comp->id, id) == 0) {
            *index = i;
            return &t->targets[i];
        }
    return NULL;
}

/* The request's body, whole (the guest finished it before). */
static void read_body(const wasi2_http_incoming *in, util_buf *out)
{
    if (in->body_ops == NULL)
        return;
    char chunk[16384];
    ssize_t n;
    while ((n = in->body_ops->read(in->body_self, chunk, sizeof(chunk))) > 0)
        util_buf_append(out, chunk, (size_t)n);
    in->body_ops->close(in->body_self);
}

/* Hands a finished spin_http_response to wasi2's responder. */
static void respond(const spin_http_response *r, const wasi2_http_responder_ops *ops, void *self)
{
    wasi2_http_field *fields = util_xcalloc(r->nheaders ? r->nheaders : 1, sizeof(*fields));
    for (size_t i = 0; i < r->nheaders; i++)
        fields[i] = (wasi2_http_field){r->headers[i].name, (const uint8_t *)r->headers[i].value,
                                       strlen(r->headers[i].value)};
    const wasi2_stream_ops *body_ops = NULL;
    void *body_self = NULL;
    int rc = ops->start(self, (uint16_t)(r->status ? r->status : 200), fields, r->nheaders,
                        &body_ops, &body_self);
    free(fields);
    if (rc < 0)
        return;
    bool ok = true;
    for (size_t off = 0; ok && off < r->body.len;) {
        ssize_t permit = body_ops->check_write(body_self);
        if (permit <= 0) {
            ok = false;
            break;
        }
        size_t n = r->body.len - off < (size_t)permit ? r->body.len - off : (size_t)permit;
        ok = body_ops->write(body_self, r->body.data + off, n) == 0;
        off += n;
    }
    body_ops->close(body_self);
    if (ok)
        ops->finish(self, NULL, 0);
}

/* A match sending the whole path to the target (service chaining). */
static void whole_path_match(const spin_http_trigger *t, size_t index, const char *path,
                             spin_route_match *m)
{
    *m = (spin_route_match){
        .target = index,
        .key = t->targets[index].comp->id,
        .based_route = "",
        .raw_route = "/...",
        .based_route_or_prefix = "",
        .raw_route_or_prefix = "",
        .path_info = util_xstrdup(path),
    };
}

/* Runs the request through the router (self) or at component `id`. */
static void dispatch(const spin_http_trigger *t, const char *id, const spin_http_request *req,
                     spin_http_response *resp)
{
    if (id == NULL) {
        spin_http_trigger_handle((void *)t, req, resp);
        return;
    }
    size_t index;
    if (target_of(t, id, &index) == NULL) {
        resp->status = 404;
        return;
    }
    spin_route_match m;
    whole_path_match(t, index, req->path, &m);
    spin_http_trigger_run_component(t, req, &m, resp);
    spin_route_match_clear(&m);
}

static int serve(const spin_http_trigger *t, const spin_http_request *caller, const char *id,
                 const wasi2_http_incoming *in, const wasi2_http_responder_ops *ops, void *self)
{
    util_buf body = {0};
    read_body(in, &body);
    const char *target = in->path_with_query && in->path_with_query[0] ? in->path_with_query : "/";
    const char *q = strchr(target, '?');
    cleanup_free char *path = q ? util_xstrndup(target, (size_t)(q - target)) : util_xstrdup(target);
    const char *host = in->authority ? in->authority : (t->bound ? t->bound : "localhost");
    spin_http_header *headers = util_xcalloc(in->nheaders + 1, sizeof(*headers));
    size_t n = 0;
    for (size_t i = 0; i < in->nheaders; i++) {
        if (strcasecmp(in->headers[i].name, "host") == 0)
            continue;
        headers[n].name = (char *)in->headers[i].name;
        headers[n++].value = util_xstrndup((const char *)in->headers[i].value,
                                           in->headers[i].value_len);
    }
    headers[n].name = "host";
    headers[n++].value = util_xstrdup(host);
    spin_http_request req = {
        .method = in->method,
        .version = "HTTP/1.1",
        .target = target,
        .path = path[0] ? path : "/",
        .query = q ? q + 1 : NULL,
        .headers = headers,
        .nheaders = n,
        .body = (const uint8_t *)body.data,
        .body_len = body.len,
        .client_ip = "127.0.0.1",
        .client_port = 0,
        .client_addr = "127.0.0.1:0",
        .deadline_ns = caller ? caller->deadline_ns : 0,
        .job = NULL, /* the caller's job keeps its own cancel hook */
    };
    spin_http_response resp = {.status = 200};
    depth++;
    dispatch(t, id, &req, &resp);
    depth--;
    respond(&resp, ops, self);
    spin_http_response_clear(&resp);
    for (size_t i = 0; i < n; i++)
        free(headers[i].value);
    free(headers);
    util_buf_free(&body);
    return WASI2_HTTP_LOCAL_SERVED;
}

/* A URL relative to the caller's own (what a JS guest's fetch("/x")
 * becomes: resolved against the request URL, whose authority is the Host
 * the caller was reached at) is a request to the app itself, as Spin
 * gives a self request the origin of the request being served. */
static bool is_own_origin(const spin_http_request *caller, const char *authority)
{
    const char *host = caller ? spin_http_request_header(caller, "host") : NULL;
    return host && strcasecmp(host, authority) == 0;
}

int spin_local_http_request(void *self, const wasi2_http_incoming *in,
                            const wasi2_http_responder_ops *ops, void *resp_self)
{
    const spin_http_trigger *t = current_trigger;
    if (t == NULL)
        return WASI2_HTTP_LOCAL_PASS;
    cleanup_free char *id = NULL;
    bool self_origin = false;
    if (in->authority) {
        id = internal_component(in->authority);
        self_origin = id == NULL && is_own_origin(self, in->authority);
        if (id == NULL && !self_origin)
            return WASI2_HTTP_LOCAL_PASS;
    }
    if (ops == NULL) /* only asked whether it is local */
        return self_origin ? WASI2_HTTP_LOCAL_SELF : WASI2_HTTP_LOCAL_SERVED;
    if (depth >= SPIN_LOCAL_MAX_DEPTH) {
        util_log_error("A local request to %s%s went %u deep: loop detected",
                       id ? id : "the app itself", id ? ".spin.internal" : "", depth);
        if (in->body_ops)
            in->body_ops->close(in->body_self);
        return WASI2_HTTP_LOCAL_LOOP_DETECTED;
    }
    return serve(t, self, id, in, ops, resp_self);
}
