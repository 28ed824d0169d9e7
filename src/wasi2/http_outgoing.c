/*
 * http_outgoing.c - the outgoing half of wasi:http: outgoing-request,
 * request-options, future-incoming-response and incoming-response of
 * wasi:http/types, and wasi:http/outgoing-handler.handle.
 *
 * The resources follow wasmtime-wasi-http (types_impl.rs): a request is
 * built with setters that validate as the `http` crate does (a method
 * token, a scheme, an authority, a path-and-query) and fail with err(())
 * rather than trap; its body is the shared outgoing-body pipe of
 * http_body.c, which buffers what the guest writes until handle() attaches
 * the client to it.  handle() decides, before any byte leaves the host,
 * whether the request may go: the scheme must be http or https
 * (HTTP-protocol-error otherwise, returned by handle() itself as wasmtime
 * does), and the embedder's
 * outbound_allowed (Spin's allowed_outbound_hosts) must say yes for the
 * scheme, host and port (HTTP-request-denied otherwise, and when there is
 * no policy at all).  A request without authority is a request to the app
 * itself in Spin; it is denied unless the policy allows `self`, and then
 * refused as HTTP-request-URI-invalid because this layer does not know
 * the app's address, unless the embedder serves it (local_request,
 * http_local.c: Spin's `self` and `*.spin.internal`).  Every refusal but
 * the scheme's comes through the future, as in Spin, whose send_request
 * checks allowed_outbound_hosts inside the task it spawns: handle()
 * returns a future already resolved to the error-code, and what the guest
 * still writes to the request's body is dropped.  SDKs count on that:
 * StarlingMonkey's fetch() with a body writes it after handle() and only
 * then awaits the future; it traps when handle() itself returns an
 * error, and never settles when its body writes fail (see
 * tests/wasi2/test_http_outgoing.c, test_js_denied_post_is_an_error).
 *
 * The request then runs in http_client.c; the guest sees it through a
 * future-incoming-response whose pollable waits on the client's head
 * descriptor, and an incoming-response whose body reads the client's
 * response socket.  Response trailers are not handed on (future-trailers
 * says none): libcurl does not report them apart from the head.
 */
#include "http_client.h"
#include "http_host.h"
#include "http_local.h"

#define SELF(args, T) ((T *)(args)[0].of.resource.rep)
#define HANDLER WASI2_IFACE("wasi:http/outgoing-handler")

static const wasi2_host *host_of(void *env)
{
    return env;
}

static char *str_dup(const component_val *v)
{
    return util_xstrndup(v->of.str.ptr, v->of.str.len);
}

static int ok_unit(component_call *call, bool ok, component_val *result)
{
    return wasi2_variant(call, ok ? 0 : 1, NULL, result);
}

static int error_result(component_call *call, wasi2_http_error *e, component_val *result)
{
    component_val code;
    int rc = wasi2_http_error_val(call, e, &code);
    free(e->text);
    e->text = NULL;
    if (rc < 0)
        return -1;
    return wasi2_variant(call, 1, &code, result);
}

/* ---- validation, as the http crate parses ---------------------------------- */

static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool method_valid(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

/* RFC 3986 scheme, at most 64 bytes (the http crate's limit). */
static bool scheme_valid(const char *s, size_t len)
{
    if (len == 0 || len > 64 || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
        return false;
    for (size_t i = 1; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
              c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* A path and query: no controls, spaces or the characters a URI never
 * carries unescaped in a path; the query takes more. */
static bool path_valid(const char *s, size_t len)
{
    bool query = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f || c == '#')
            return false;
        if (c == '?')
            query = true;
        else if (!query && c < 0x80 && strchr("\"<>\\^`", c) != NULL)
            return false;
    }
    return true;
}

static bool authority_char(unsigned char c)
{
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("-._~!$&'()*+,;=:@[]%", c) != NULL);
}

/* host[:port] after userinfo: *host and *port (0: none) filled in, the
 * host without IPv6 brackets (malloc'd). */
static bool authority_split(const char *s, size_t len, char **host, uint16_t *port)
{
    const char *at = memchr(s, '@', len);
    if (at) {
        len -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    const char *h = s, *rest;
    size_t hlen;
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL)
            return false;
        h = s + 1;
        hlen = (size_t)(close - h);
        rest = close + 1;
    } else {
        const char *colon = memchr(s, ':', len);
        hlen = colon ? (size_t)(colon - s) : len;
        rest = s + hlen;
    }
    size_t rlen = len - (size_t)(rest - s);
    *port = 0;
    if (rlen > 0) {
        if (rest[0] != ':')
            return false;
        uint32_t p = 0;
        for (size_t i = 1; i < rlen; i++) {
            if (rest[i] < '0' || rest[i] > '9')
                return false;
            p = p * 10 + (uint32_t)(rest[i] - '0');
            if (p > UINT16_MAX)
                return false;
        }
        *port = (uint16_t)p;
    }
    if (hlen == 0 || memchr(h, '[', hlen) || memchr(h, ']', hlen) || memchr(h, '@', hlen))
        return false;
    if (host)
        *host = util_xstrndup(h, hlen);
    return true;
}

static bool authority_valid(const char *s, size_t len)
{
    if (len == 0)
        return false;
    size_t ats = 0;
    for (size_t i = 0; i < len; i++) {
        if (!authority_char((unsigned char)s[i]))
            return false;
        ats += s[i] == '@';
    }
    uint16_t port;
    return ats <= 1 && authority_split(s, len, NULL, &port);
}

/* ---- outgoing-request ---------------------------------------------------------- */

static void outgoing_request_free(wasi2_http_outgoing_request *r)
{
    if (r == NULL)
        return;
    free(r->method.other);
    free(r->scheme.other);
    free(r->authority);
    free(r->path_with_query);
    wasi2_http_fields_free(r->headers);
    wasi2_stream_release(r->body_pipe);
    free(r);
}

static int request_new(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    wasi2_http_outgoing_request *r = util_xcalloc(1, sizeof(*r));
    r->method.tag = 0; /* get */
    r->headers = (wasi2_http_fields *)args[0].of.resource.rep; /* own: ours now */
    r->headers->immutable = false;
    *result = wasi2_own(host_of(env)->http->outgoing_request, r);
    return 0;
}

static int request_body(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    wasi2_http_outgoing_request *r = SELF(args, wasi2_http_outgoing_request);
    return wasi2_http_body_result(call, host_of(env), r->headers, true, &r->body_taken,
                                  &r->body_pipe, result);
}

static int request_method(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    return wasi2_http_method_val(call, &SELF(args, wasi2_http_outgoing_request)->method, result);
}

static int request_set_method(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    wasi2_http_outgoing_request *r = SELF(args, wasi2_http_outgoing_request);
    uint32_t tag = args[1].of.variant.disc;
    char *other = NULL;
    if (tag == 9) {
        const component_val *s = args[1].of.variant.payload;
        if (!method_valid(s->of.str.ptr, s->of.str.len))
            return ok_unit(call, false, result);
        other = str_dup(s);
    }
    free(r->method.other);
    r->method = (wasi2_http_method){.tag = tag, .other = other};
    return ok_unit(call, true, result);
}

static int request_path(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    return wasi2_http_opt_str(call, SELF(args, wasi2_http_outgoing_request)->path_with_query, result);
}

static int request_set_path(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    wasi2_http_outgoing_request *r = SELF(args, wasi2_http_outgoing_request);
    char *path = NULL;
    if (args[1].of.variant.disc == 1) {
        const component_val *s = args[1].of.variant.payload;
        if (!path_valid(s->of.str.ptr, s->of.str.len))
            return ok_unit(call, false, result);
        path = str_dup(s);
    }
    free(r->path_with_query);
    r->path_with_query = path;
    return ok_unit(call, true, result);
}

static int request_scheme(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    return wasi2_http_scheme_val(call, &SELF(args, wasi2_http_outgoing_request)->scheme, result);
}

static int request_set_scheme(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    wasi2_http_outgoing_request *r = SELF(args, wasi2_http_outgoing_request);
    wasi2_http_scheme scheme = {.has = false};
    if (args[1].of.variant.disc == 1) {
        const component_val *v = args[1].of.variant.payload;
        scheme.has = true;
        scheme.tag = v->of.variant.disc;
        if (scheme.tag == 2) {
            const component_val *s = v->of.variant.payload;
            if (!scheme_valid(s->of.str.ptr, s->of.str.len))
                return ok_unit(call, false, result);
            scheme.other = str_dup(s);
        }
    }
    free(r->scheme.other);
    r->scheme = scheme;
    return ok_unit(call, true, result);
}

static int request_authority(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    return wasi2_http_opt_str(call, SELF(args, wasi2_http_outgoing_request)->authority, result);
}

static int request_set_authority(component_call *call, void *env, const component_val *args,
                                 size_t nargs, component_val *result)
{
    wasi2_http_outgoing_request *r = SELF(args, wasi2_http_outgoing_request);
    char *authority = NULL;
    if (args[1].of.variant.disc == 1) {
        const component_val *s = args[1].of.variant.payload;
        if (!authority_valid(s->of.str.ptr, s->of.str.len))
            return ok_unit(call, false, result);
        authority = str_dup(s);
    }
    free(r->authority);
    r->authority = authority;
    return ok_unit(call, true, result);
}

static int request_headers(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    const wasi2_http_outgoing_request *r = SELF(args, wasi2_http_outgoing_request);
    *result = wasi2_own(host_of(env)->http->fields, wasi2_http_fields_clone(r->headers, true));
    return 0;
}

/* ---- request-options -------------------------------------------------------------- */

static int options_new(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    *result = wasi2_own(host_of(env)->http->request_options,
                        util_xcalloc(1, sizeof(wasi2_http_request_options)));
    return 0;
}

static uint64_t *option_slot(const component_val *args, int which)
{
    wasi2_http_request_options *o = SELF(args, wasi2_http_request_options);
    return which == 0 ? &o->connect_timeout_ns
                      : which == 1 ? &o->first_byte_timeout_ns : &o->between_bytes_timeout_ns;
}

static int get_timeout(component_call *call, const component_val *args, int which,
                       component_val *result)
{
    uint64_t ns = *option_slot(args, which);
    if (ns == 0)
        return wasi2_variant(call, 0, NULL, result);
    component_val v = {.kind = COMPONENT_VAL_U64, .of.u = ns};
    return wasi2_variant(call, 1, &v, result);
}

static int set_timeout(component_call *call, const component_val *args, int which,
                       component_val *result)
{
    *option_slot(args, which) =
        args[1].of.variant.disc == 1 ? args[1].of.variant.payload->of.u : 0;
    return ok_unit(call, true, result);
}

#define TIMEOUT_FUNCS(n, get, set)                                                            \
    static int get(component_call *call, void *env, const component_val *args, size_t nargs, \
                   component_val *result)                                                    \
    {                                                                                         \
        return get_timeout(call, args, n, result);                                           \
    }                                                                                         \
    static int set(component_call *call, void *env, const component_val *args, size_t nargs, \
                   component_val *result)                                                    \
    {                                                                                         \
        return set_timeout(call, args, n, result);                                           \
    }
TIMEOUT_FUNCS(0, connect_get, connect_set)
TIMEOUT_FUNCS(1, first_byte_get, first_byte_set)
TIMEOUT_FUNCS(2, between_get, between_set)

/* ---- future-incoming-response and incoming-response ---------------------------------- */

typedef struct future_response {
    wasi2_http_client_request *client; /* or, served in-process: */
    wasi2_http_local *local;
    /* or neither: refused before it went anywhere, resolved to `error` */
    wasi2_http_error error;
    bool taken;
} future_response;

typedef struct incoming_response {
    uint16_t status;
    wasi2_http_fields *headers;
    wasi2_http_client_request *client;
    wasi2_http_local *local;
    bool consumed;
} incoming_response;

static void future_response_free(future_response *f)
{
    if (f == NULL)
        return;
    wasi2_http_client_release(f->client);
    wasi2_http_local_release(f->local);
    free(f->error.text);
    free(f);
}

static void incoming_response_free(incoming_response *r)
{
    if (r == NULL)
        return;
    wasi2_http_fields_free(r->headers);
    wasi2_http_client_release(r->client);
    wasi2_http_local_release(r->local);
    free(r);
}

static int future_subscribe(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    const future_response *f = SELF(args, future_response);
    if (f->local == NULL && f->client == NULL) { /* refused: resolved already */
        *result = wasi2_own(host_of(env)->pollable, wasi2_pollable_timer(0));
        return 0;
    }
    wasi2_stream *s = f->local ? wasi2_http_local_head_stream(f->local)
                               : wasi2_http_client_head_stream(f->client);
    wasi2_pollable *p = wasi2_pollable_stream(s);
    wasi2_stream_release(s); /* the pollable holds it */
    *result = wasi2_own(host_of(env)->pollable, p);
    return 0;
}

/* option<result<result<own<incoming-response>, error-code>>> */
static int future_get(component_call *call, void *env, const component_val *args,
                      size_t nargs, component_val *result)
{
    future_response *f = SELF(args, future_response);
    component_val inner, outer;
    if (f->taken) {
        if (wasi2_variant(call, 1, NULL, &outer) < 0)
            return -1;
        return wasi2_variant(call, 1, &outer, result);
    }
    uint16_t status = 0;
    wasi2_http_fields *headers = NULL;
    bool failed;
    wasi2_http_error error = {0};
    bool known = true;
    if (f->local)
        known = wasi2_http_local_head(f->local, &status, &headers, &failed, &error);
    else if (f->client)
        known = wasi2_http_client_head(f->client, &status, &headers, &failed, &error);
    else { /* refused: the error once */
        failed = true;
        error = f->error;
        f->error.text = NULL;
    }
    if (!known)
        return wasi2_variant(call, 0, NULL, result);
    f->taken = true;
    if (failed) {
        component_val code;
        int rc = wasi2_http_error_val(call, &error, &code);
        free(error.text);
        if (rc < 0 || wasi2_variant(call, 1, &code, &inner) < 0)
            return -1;
    } else {
        incoming_response *r = util_xcalloc(1, sizeof(*r));
        r->status = status;
        r->headers = headers;
        r->client = f->client;
        if (r->client)
            wasi2_http_client_ref(r->client);
        r->local = f->local;
        if (r->local)
            wasi2_http_local_ref(r->local);
        component_val own = wasi2_own(host_of(env)->http->incoming_response, r);
        if (wasi2_variant(call, 0, &own, &inner) < 0)
            return -1;
    }
    if (wasi2_variant(call, 0, &inner, &outer) < 0)
        return -1;
    return wasi2_variant(call, 1, &outer, result);
}

static int response_status(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    *result = (component_val){.kind = COMPONENT_VAL_U16,
                              .of.u = SELF(args, incoming_response)->status};
    return 0;
}

static int response_headers(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    const incoming_response *r = SELF(args, incoming_response);
    *result = wasi2_own(host_of(env)->http->fields, wasi2_http_fields_clone(r->headers, true));
    return 0;
}

static int response_consume(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    incoming_response *r = SELF(args, incoming_response);
    if (r->consumed)
        return wasi2_variant(call, 1, NULL, result);
    r->consumed = true;
    const wasi2_stream_ops *ops;
    void *self;
    if (r->local)
        wasi2_http_local_body_source(r->local, &ops, &self);
    else
        wasi2_http_client_body_source(r->client, &ops, &self);
    wasi2_http_incoming_body *b = wasi2_http_incoming_body_new(ops, self);
    component_val own = wasi2_own(host_of(env)->http->incoming_body, b);
    return wasi2_variant(call, 0, &own, result);
}

/* ---- outgoing-handler.handle -------------------------------------------------------- */

static const char *const method_names[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                           "CONNECT", "OPTIONS", "TRACE", "PATCH"};

/* The URL to send, or an error-code case: checks the scheme, asks the
 * policy, and puts the parts together. */
static int request_url(const wasi2_ctx *ctx, const wasi2_http_outgoing_request *r, char **url,
                       bool *allowed)
{
    if (r->scheme.has && r->scheme.tag == 2)
        return WASI2_HTTP_PROTOCOL_ERROR;
    bool https = !r->scheme.has || r->scheme.tag == 1;
    const char *scheme = https ? "https" : "http";
    if (r->authority == NULL || wasi2_http_local_is_self(ctx, r, scheme)) {
        bool self_ok = ctx->outbound_allowed &&
                       ctx->outbound_allowed(ctx->outbound_self, scheme, NULL, 0);
        *allowed = self_ok; /* only the embedder can serve it (local_request) */
        return self_ok ? WASI2_HTTP_REQUEST_URI_INVALID : WASI2_HTTP_REQUEST_DENIED;
    }
    cleanup_free char *host = NULL;
    uint16_t port = 0;
    if (!authority_split(r->authority, strlen(r->authority), &host, &port))
        return WASI2_HTTP_REQUEST_URI_INVALID;
    if (port == 0)
        port = https ? 443 : 80;
    if (ctx->outbound_allowed == NULL ||
        !ctx->outbound_allowed(ctx->outbound_self, scheme, host, port))
        return WASI2_HTTP_REQUEST_DENIED;
    *allowed = true;
    const char *path = r->path_with_query ? r->path_with_query : "";
    *url = util_xasprintf("%s://%s%s%s", scheme, r->authority, path[0] == '/' ? "" : "/", path);
    return -1;
}

/* The body of a refused request: taken and dropped, as wasmtime's body
 * channel takes what fits while the task that refuses has not run yet
 * (an SDK writes the body after handle() and then awaits the future). */
static ssize_t discard_check_write(void *self)
{
    return 64 * 1024;
}

static ssize_t discard_write(void *self, const void *buf, size_t len)
{
    return 0;
}

static void discard_close(void *self)
{
}

static const wasi2_stream_ops discard_ops = {
    .name = "request body",
    .check_write = discard_check_write,
    .write = discard_write,
    .close = discard_close,
};

static int handle(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    const wasi2_host *h = host_of(env);
    wasi2_ctx *ctx = wasi2_host_ctx(h, call);
    wasi2_http_outgoing_request *r = (wasi2_http_outgoing_request *)args[0].of.resource.rep;
    wasi2_http_request_options options = {0};
    if (args[1].of.variant.disc == 1) {
        wasi2_http_request_options *o =
            (wasi2_http_request_options *)args[1].of.variant.payload->of.resource.rep;
        options = *o;
        free(o);
    }
    cleanup_free char *url = NULL;
    wasi2_http_error error = {0};
    bool allowed = false;
    int code = request_url(ctx, r, &url, &allowed);
    const char *method = r->method.tag == 9 ? r->method.other : method_names[r->method.tag];
    wasi2_http_local *local = NULL;
    if (allowed) {
        bool https = !r->scheme.has || r->scheme.tag == 1;
        local = wasi2_http_local_start(ctx, r, method, https ? "https" : "http");
    }
    if (local) {
        outgoing_request_free(r);
        future_response *f = util_xcalloc(1, sizeof(*f));
        f->local = local;
        component_val own = wasi2_own(h->http->future_incoming_response, f);
        return wasi2_variant(call, 0, &own, result);
    }
    wasi2_http_client_request *c = NULL;
    if (code < 0) {
        wasi2_http_client_spec spec = {
            .method = method,
            .url = url,
            .headers = r->headers,
            .has_body = r->body_pipe != NULL,
            .content_length = wasi2_http_content_length(r->headers),
            .options = options,
        };
        c = wasi2_http_client_start(&spec, &error);
    } else {
        error.code = (uint32_t)code;
    }
    if (c && r->body_pipe)
        wasi2_http_client_attach_body(c, r->body_pipe, wasi2_ctx_until(ctx));
    else if (r->body_pipe) /* refused: what the guest still writes is dropped */
        wasi2_http_outgoing_body_attach(r->body_pipe, &discard_ops, NULL,
                                        (wasi2_http_body_sink){0}, 0);
    outgoing_request_free(r);
    if (c == NULL && error.code == WASI2_HTTP_PROTOCOL_ERROR)
        return error_result(call, &error, result); /* wasmtime's own check, at once */
    future_response *f = util_xcalloc(1, sizeof(*f));
    f->client = c; /* the start's reference */
    if (c == NULL)
        f->error = error; /* resolved already: the guest reads it from the future */
    component_val own = wasi2_own(h->http->future_incoming_response, f);
    return wasi2_variant(call, 0, &own, result);
}

/* ---- registration ---------------------------------------------------------------------- */

#define REQ "func(self: borrow<outgoing-request>"
#define OPTS "func(self: borrow<request-options>"

static const wasi2_func outgoing_funcs[] = {
    {"[constructor]outgoing-request", "func(headers: own<fields>) -> own<outgoing-request>",
     request_new},
    {"[method]outgoing-request.body", REQ ") -> result<own<outgoing-body>>", request_body},
    {"[method]outgoing-request.method", REQ ") -> method", request_method},
    {"[method]outgoing-request.set-method", REQ ", method: method) -> result",
     request_set_method},
    {"[method]outgoing-request.path-with-query", REQ ") -> option<string>", request_path},
    {"[method]outgoing-request.set-path-with-query",
     REQ ", path-with-query: option<string>) -> result", request_set_path},
    {"[method]outgoing-request.scheme", REQ ") -> option<scheme>", request_scheme},
    {"[method]outgoing-request.set-scheme", REQ ", scheme: option<scheme>) -> result",
     request_set_scheme},
    {"[method]outgoing-request.authority", REQ ") -> option<string>", request_authority},
    {"[method]outgoing-request.set-authority", REQ ", authority: option<string>) -> result",
     request_set_authority},
    {"[method]outgoing-request.headers", REQ ") -> own<fields>", request_headers},
    {"[constructor]request-options", "func() -> own<request-options>", options_new},
    {"[method]request-options.connect-timeout", OPTS ") -> option<duration>", connect_get},
    {"[method]request-options.set-connect-timeout", OPTS ", duration: option<duration>) -> result",
     connect_set},
    {"[method]request-options.first-byte-timeout", OPTS ") -> option<duration>", first_byte_get},
    {"[method]request-options.set-first-byte-timeout",
     OPTS ", duration: option<duration>) -> result", first_byte_set},
    {"[method]request-options.between-bytes-timeout", OPTS ") -> option<duration>",
     between_get},
    {"[method]request-options.set-between-bytes-timeout",
     OPTS ", duration: option<duration>) -> result", between_set},
    {"[method]future-incoming-response.subscribe",
     "func(self: borrow<future-incoming-response>) -> own<pollable>", future_subscribe},
    {"[method]future-incoming-response.get",
     "func(self: borrow<future-incoming-response>) -> "
     "option<result<result<own<incoming-response>, error-code>>>",
     future_get},
    {"[method]incoming-response.status", "func(self: borrow<incoming-response>) -> u16",
     response_status},
    {"[method]incoming-response.headers", "func(self: borrow<incoming-response>) -> own<fields>",
     response_headers},
    {"[method]incoming-response.consume",
     "func(self: borrow<incoming-response>) -> result<own<incoming-body>>", response_consume},
};

static const wasi2_func handler_funcs[] = {
    {"handle",
     "func(request: own<outgoing-request>, options: option<own<request-options>>) -> "
     "result<own<future-incoming-response>, error-code>",
     handle},
};

static void outgoing_request_dtor(uintptr_t rep)
{
    outgoing_request_free((wasi2_http_outgoing_request *)rep);
}

static void request_options_dtor(uintptr_t rep)
{
    free((void *)rep);
}

static void future_response_dtor(uintptr_t rep)
{
    future_response_free((future_response *)rep);
}

static void incoming_response_dtor(uintptr_t rep)
{
    incoming_response_free((incoming_response *)rep);
}

/* The four resource types of the outgoing half (wasi2_define_http made
 * the incoming half's). */
static int make_types(component_linker *l, wasi2_http_types *t, util_error **err)
{
    const wasi2_http_resource_def defs[] = {
        {&t->outgoing_request, "outgoing-request", outgoing_request_dtor},
        {&t->request_options, "request-options", request_options_dtor},
        {&t->future_incoming_response, "future-incoming-response", future_response_dtor},
        {&t->incoming_response, "incoming-response", incoming_response_dtor},
    };
    return wasi2_http_define_resources(l, defs, UTIL_ARRAY_LEN(defs), err);
}

/* outgoing-handler `use`s these from wasi:http/types. */
static int define_handler_uses(component_linker *l, const char *iface, const wasi2_http_types *t,
                               util_error **err)
{
    if (component_linker_alias_resource(l, iface, "outgoing-request", t->outgoing_request,
                                        err) < 0 ||
        component_linker_alias_resource(l, iface, "request-options", t->request_options, err) <
            0 ||
        component_linker_alias_resource(l, iface, "future-incoming-response",
                                        t->future_incoming_response, err) < 0)
        return -1;
    return wasi2_http_define_types(l, iface, err);
}

int wasi2_define_http_outgoing(component_linker *l, wasi2_host *h, util_error **err)
{
    if (make_types(l, h->http, err) < 0 ||
        wasi2_define_funcs(l, WASI2_HTTP_TYPES, outgoing_funcs, UTIL_ARRAY_LEN(outgoing_funcs),
                           h, err) < 0 ||
        define_handler_uses(l, HANDLER, h->http, err) < 0 ||
        wasi2_define_funcs(l, HANDLER, handler_funcs, UTIL_ARRAY_LEN(handler_funcs), h, err) < 0)
        return -1;
    return 0;
}

/* ---- the pre-release name 0.2.0-rc-2023-11-10 --------------------------------------------
 *
 * The outgoing half of -rc-2023-11-10 is 0.2's but for request-options,
 * whose methods end in -ms (and take `ms`) while still carrying a
 * duration, as Spin's adapter (wasi_2023_11_10.rs) maps them onto 0.2's.
 * The resource types are the 0.2 ones, aliased at that name by
 * wasi2_define_http_rc.  -rc-2023-10-18 (requests constructed from their
 * parts, options a record of milliseconds, a four-case error) is not
 * registered: no component we know imports its outgoing-handler. */

#define RC_SAME(name)                                                                           \
    {                                                                                          \
        name, NULL, NULL, NULL                                                                 \
    }
static const wasi2_rc_func outgoing_1110[] = {
    RC_SAME("[constructor]outgoing-request"),
    RC_SAME("[method]outgoing-request.body"),
    RC_SAME("[method]outgoing-request.method"),
    RC_SAME("[method]outgoing-request.set-method"),
    RC_SAME("[method]outgoing-request.path-with-query"),
    RC_SAME("[method]outgoing-request.set-path-with-query"),
    RC_SAME("[method]outgoing-request.scheme"),
    RC_SAME("[method]outgoing-request.set-scheme"),
    RC_SAME("[method]outgoing-request.authority"),
    RC_SAME("[method]outgoing-request.set-authority"),
    RC_SAME("[method]outgoing-request.headers"),
    RC_SAME("[constructor]request-options"),
    {"[method]request-options.connect-timeout-ms", NULL, NULL,
     "[method]request-options.connect-timeout"},
    {"[method]request-options.set-connect-timeout-ms", OPTS ", ms: option<duration>) -> result",
     NULL, "[method]request-options.set-connect-timeout"},
    {"[method]request-options.first-byte-timeout-ms", NULL, NULL,
     "[method]request-options.first-byte-timeout"},
    {"[method]request-options.set-first-byte-timeout-ms", OPTS ", ms: option<duration>) -> result",
     NULL, "[method]request-options.set-first-byte-timeout"},
    {"[method]request-options.between-bytes-timeout-ms", NULL, NULL,
     "[method]request-options.between-bytes-timeout"},
    {"[method]request-options.set-between-bytes-timeout-ms",
     OPTS ", ms: option<duration>) -> result", NULL,
     "[method]request-options.set-between-bytes-timeout"},
    RC_SAME("[method]future-incoming-response.subscribe"),
    RC_SAME("[method]future-incoming-response.get"),
    RC_SAME("[method]incoming-response.status"),
    RC_SAME("[method]incoming-response.headers"),
    RC_SAME("[method]incoming-response.consume"),
};

static const wasi2_rc_func handler_1110[] = {RC_SAME("handle")};

int wasi2_define_http_outgoing_rc(component_linker *l, wasi2_host *h, util_error **err)
{
    static const wasi2_func_table outgoing = {outgoing_funcs, UTIL_ARRAY_LEN(outgoing_funcs)};
    static const wasi2_func_table handler = {handler_funcs, UTIL_ARRAY_LEN(handler_funcs)};
    char types[64], iface[64];
    wasi2_rc_iface(types, "wasi:http/types", WASI2_RC2);
    wasi2_rc_iface(iface, "wasi:http/outgoing-handler", WASI2_RC2);
    if (wasi2_define_rc_funcs(l, types, &outgoing, outgoing_1110, UTIL_ARRAY_LEN(outgoing_1110),
                              h, err) < 0 ||
        define_handler_uses(l, iface, h->http, err) < 0 ||
        wasi2_define_rc_funcs(l, iface, &handler, handler_1110, UTIL_ARRAY_LEN(handler_1110), h,
                              err) < 0)
        return -1;
    return 0;
}

void wasi2_http_outgoing_drop(const wasi2_http_types *t, const component_val *own)
{
    const component_resource_type *type = own->of.resource.type;
    uintptr_t rep = own->of.resource.rep;
    if (type == t->outgoing_request)
        outgoing_request_dtor(rep);
    else if (type == t->request_options)
        request_options_dtor(rep);
    else if (type == t->future_incoming_response)
        future_response_dtor(rep);
    else if (type == t->incoming_response)
        incoming_response_dtor(rep);
}
