/*
 * http_incoming.c - the incoming side of wasi:http/types: incoming-request
 * (the request the embedder hands a guest), outgoing-response and
 * response-outparam (how the guest answers), as host functions.
 *
 * Ownership follows the handles, never the WIT's child rules, so that a
 * guest dropping things in any order cannot leave a dangling pointer:
 * headers() hands out an immutable copy; a response does not point to
 * its body's struct (the guest owns that) but holds a reference to the
 * body's pipe stream (http_body.c), which set() gives to the responder.
 * set() takes the response and the outparam over (own parameters): the
 * responder's start gets the status and headers at once, the body's bytes
 * and end follow through the pipe, whenever the guest writes them.
 */
#include "http_host.h"

#define SELF(args, T) ((T *)(args)[0].of.resource.rep)

static const wasi2_host *host_of(void *env)
{
    return env;
}

/* ---- values ------------------------------------------------------------------ */

component_val wasi2_http_str_val(const char *s)
{
    return (component_val){.kind = COMPONENT_VAL_STRING, .of.str = {s, strlen(s)}};
}

int wasi2_http_opt_str(component_call *call, const char *s, component_val *out)
{
    if (s == NULL)
        return wasi2_variant(call, 0, NULL, out);
    component_val v = wasi2_http_str_val(s);
    return wasi2_variant(call, 1, &v, out);
}

int wasi2_http_scheme_val(component_call *call, const wasi2_http_scheme *s, component_val *out)
{
    if (!s->has)
        return wasi2_variant(call, 0, NULL, out);
    component_val v, other = wasi2_http_str_val(s->other ? s->other : "");
    if (wasi2_variant(call, s->tag, s->tag == 2 ? &other : NULL, &v) < 0)
        return -1;
    return wasi2_variant(call, 1, &v, out);
}

int wasi2_http_method_val(component_call *call, const wasi2_http_method *m, component_val *out)
{
    if (m->tag != 9)
        return wasi2_variant(call, m->tag, NULL, out);
    component_val v = wasi2_http_str_val(m->other ? m->other : "");
    return wasi2_variant(call, 9, &v, out);
}

/* ---- incoming-request ----------------------------------------------------------- */

static const char *const method_names[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                           "CONNECT", "OPTIONS", "TRACE", "PATCH"};

static wasi2_http_method method_of(const char *s)
{
    for (uint32_t i = 0; i < UTIL_ARRAY_LEN(method_names); i++)
        if (strcmp(s, method_names[i]) == 0)
            return (wasi2_http_method){.tag = i};
    return (wasi2_http_method){.tag = 9, .other = util_xstrdup(s)};
}

static wasi2_http_scheme scheme_of(const char *s)
{
    if (s == NULL)
        return (wasi2_http_scheme){.has = false};
    if (strcasecmp(s, "http") == 0)
        return (wasi2_http_scheme){.has = true, .tag = 0};
    if (strcasecmp(s, "https") == 0)
        return (wasi2_http_scheme){.has = true, .tag = 1};
    return (wasi2_http_scheme){.has = true, .tag = 2, .other = util_xstrdup(s)};
}

static char *dup_or_null(const char *s)
{
    return s ? util_xstrdup(s) : NULL;
}

wasi2_http_incoming_request *wasi2_http_incoming_request_new(const wasi2_http_incoming *in)
{
    wasi2_http_incoming_request *r = util_xcalloc(1, sizeof(*r));
    r->method = method_of(in->method ? in->method : "GET");
    r->scheme = scheme_of(in->scheme);
    r->authority = dup_or_null(in->authority);
    r->path_with_query = dup_or_null(in->path_with_query);
    r->headers = wasi2_http_fields_new();
    for (size_t i = 0; i < in->nheaders; i++) {
        const wasi2_http_field *f = &in->headers[i];
        wasi2_http_fields_add(r->headers, f->name, strlen(f->name), f->value, f->value_len);
    }
    /* as wasmtime's new_incoming_request: the guest never sees them */
    wasi2_http_fields_strip_forbidden(r->headers);
    r->headers->immutable = true;
    r->body = wasi2_http_incoming_body_new(in->body_ops, in->body_self);
    return r;
}

void wasi2_http_incoming_request_free(wasi2_http_incoming_request *r)
{
    if (r == NULL)
        return;
    free(r->method.other);
    free(r->scheme.other);
    free(r->authority);
    free(r->path_with_query);
    wasi2_http_fields_free(r->headers);
    wasi2_http_incoming_body_free(r->body);
    free(r);
}

static int request_method(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    return wasi2_http_method_val(call, &SELF(args, wasi2_http_incoming_request)->method, result);
}

static int request_path(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    return wasi2_http_opt_str(call, SELF(args, wasi2_http_incoming_request)->path_with_query, result);
}

static int request_authority(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    return wasi2_http_opt_str(call, SELF(args, wasi2_http_incoming_request)->authority, result);
}

static int request_scheme(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    return wasi2_http_scheme_val(call, &SELF(args, wasi2_http_incoming_request)->scheme, result);
}

static int request_headers(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    const wasi2_http_incoming_request *r = SELF(args, wasi2_http_incoming_request);
    *result = wasi2_own(host_of(env)->http->fields, wasi2_http_fields_clone(r->headers, true));
    return 0;
}

static int request_consume(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    wasi2_http_incoming_request *r = SELF(args, wasi2_http_incoming_request);
    if (r->body == NULL)
        return wasi2_variant(call, 1, NULL, result);
    component_val own = wasi2_own(host_of(env)->http->incoming_body, r->body);
    r->body = NULL;
    return wasi2_variant(call, 0, &own, result);
}

/* ---- outgoing-response ------------------------------------------------------------ */

void wasi2_http_outgoing_response_free(wasi2_http_outgoing_response *r)
{
    if (r == NULL)
        return;
    wasi2_http_fields_free(r->headers);
    wasi2_stream_release(r->body_pipe);
    free(r);
}

static int response_new(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    wasi2_http_outgoing_response *r = util_xcalloc(1, sizeof(*r));
    r->status = 200;
    r->headers = (wasi2_http_fields *)args[0].of.resource.rep; /* own: ours now */
    r->headers->immutable = false;
    *result = wasi2_own(host_of(env)->http->outgoing_response, r);
    return 0;
}

static int response_status(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    *result = (component_val){.kind = COMPONENT_VAL_U16,
                              .of.u = SELF(args, wasi2_http_outgoing_response)->status};
    return 0;
}

static int response_set_status(component_call *call, void *env, const component_val *args,
                               size_t nargs, component_val *result)
{
    uint64_t status = args[1].of.u;
    if (status < 100 || status > 599)
        return wasi2_variant(call, 1, NULL, result);
    SELF(args, wasi2_http_outgoing_response)->status = (uint16_t)status;
    return wasi2_variant(call, 0, NULL, result);
}

static int response_headers(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    const wasi2_http_outgoing_response *r = SELF(args, wasi2_http_outgoing_response);
    *result = wasi2_own(host_of(env)->http->fields, wasi2_http_fields_clone(r->headers, true));
    return 0;
}

static int response_body(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    wasi2_http_outgoing_response *r = SELF(args, wasi2_http_outgoing_response);
    return wasi2_http_body_result(call, host_of(env), r->headers, false, &r->body_taken,
                                  &r->body_pipe, result);
}

/* ---- response-outparam ------------------------------------------------------------ */

void wasi2_http_outparam_free(wasi2_http_outparam *p)
{
    free(p);
}

/* The responder's end of a body: finish, then its stream is closed by the
 * pipe. */
typedef struct responder_sink {
    const wasi2_http_responder_ops *ops;
    void *self;
} responder_sink;

/* fields as the door's wasi2_http_field array (pointing into f). */
static wasi2_http_field *field_array(const wasi2_http_fields *f)
{
    wasi2_http_field *a = util_xcalloc(f && f->len ? f->len : 1, sizeof(*a));
    for (size_t i = 0; f && i < f->len; i++)
        a[i] = (wasi2_http_field){f->items[i].name, f->items[i].value, f->items[i].value_len};
    return a;
}

static void responder_end(void *self, bool finished, const wasi2_http_fields *trailers)
{
    responder_sink *s = self;
    if (finished && s->ops->finish) {
        wasi2_http_field *a = field_array(trailers);
        s->ops->finish(s->self, a, trailers ? trailers->len : 0);
        free(a);
    }
    free(s);
}

/* set(ok(response)): the head to start; the body follows through the pipe
 * (a response without body() has an empty one, finished at once). */
static void send_response(component_call *call, void *env, wasi2_http_outparam *p,
                          wasi2_http_outgoing_response *r)
{
    const wasi2_stream_ops *body_ops = NULL;
    void *body_self = NULL;
    wasi2_http_field *head = field_array(r->headers);
    int rc = p->ops->start(p->self, r->status, head, r->headers->len, &body_ops, &body_self);
    free(head);
    if (rc < 0)
        body_ops = NULL;
    if (r->body_pipe == NULL) {
        wasi2_http_outgoing_body *b = wasi2_http_outgoing_body_new(-1, false);
        r->body_pipe = b->stream;
        wasi2_stream_ref(r->body_pipe);
        uint64_t written;
        wasi2_http_outgoing_body_end(b, true, NULL, &written);
        wasi2_http_outgoing_body_free(b);
    }
    responder_sink *sink = util_xmalloc(sizeof(*sink));
    *sink = (responder_sink){p->ops, p->self};
    uint64_t until = wasi2_ctx_until(wasi2_host_ctx(env, call));
    wasi2_http_outgoing_body_attach(r->body_pipe, body_ops, body_self,
                                    (wasi2_http_body_sink){responder_end, sink}, until);
}

static int outparam_set(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    wasi2_http_outparam *p = SELF(args, wasi2_http_outparam);
    const component_val *res = &args[1];
    if (res->of.variant.disc == 0) {
        wasi2_http_outgoing_response *r =
            (wasi2_http_outgoing_response *)res->of.variant.payload->of.resource.rep;
        if (!p->set)
            send_response(call, env, p, r);
        wasi2_http_outgoing_response_free(r);
    } else if (!p->set && p->ops->error) {
        char *text = wasi2_http_error_describe(res->of.variant.payload);
        p->ops->error(p->self, text);
        free(text);
    }
    p->set = true;
    wasi2_http_outparam_free(p);
    return 0;
}

/* Not supported (wasmtime traps): an internal-error the guest can see. */
static int outparam_send_informational(component_call *call, void *env,
                                       const component_val *args, size_t nargs,
                                       component_val *result)
{
    wasi2_http_fields_free((wasi2_http_fields *)args[2].of.resource.rep); /* own: ours */
    wasi2_http_error e = {.code = WASI2_HTTP_INTERNAL_ERROR, .text = (char *)"not supported"};
    component_val code;
    if (wasi2_http_error_val(call, &e, &code) < 0)
        return -1;
    return wasi2_variant(call, 1, &code, result);
}

#define REQ "func(self: borrow<incoming-request>"
#define RESP "func(self: borrow<outgoing-response>"

static const wasi2_func incoming_funcs[] = {
    {"[method]incoming-request.method", REQ ") -> method", request_method},
    {"[method]incoming-request.path-with-query", REQ ") -> option<string>", request_path},
    {"[method]incoming-request.scheme", REQ ") -> option<scheme>", request_scheme},
    {"[method]incoming-request.authority", REQ ") -> option<string>", request_authority},
    {"[method]incoming-request.headers", REQ ") -> own<fields>", request_headers},
    {"[method]incoming-request.consume", REQ ") -> result<own<incoming-body>>", request_consume},
    {"[constructor]outgoing-response", "func(headers: own<fields>) -> own<outgoing-response>",
     response_new},
    {"[method]outgoing-response.status-code", RESP ") -> u16", response_status},
    {"[method]outgoing-response.set-status-code", RESP ", status-code: u16) -> result",
     response_set_status},
    {"[method]outgoing-response.headers", RESP ") -> own<fields>", response_headers},
    {"[method]outgoing-response.body", RESP ") -> result<own<outgoing-body>>", response_body},
    {"[static]response-outparam.set",
     "func(param: own<response-outparam>, response: result<own<outgoing-response>, error-code>)",
     outparam_set},
    {"[method]response-outparam.send-informational",
     "func(self: borrow<response-outparam>, status: u16, headers: own<fields>) -> "
     "result<_, error-code>",
     outparam_send_informational},
};

const wasi2_func_table wasi2_http_incoming_table = {incoming_funcs,
                                                    UTIL_ARRAY_LEN(incoming_funcs)};
