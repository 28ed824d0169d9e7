/*
 * http_define.c - wasi:http/types' registration: its resource types (made
 * once, shared by 0.2.x and the pre-release names), the types it `use`s
 * from wasi:io, its named types, and error-code: the values the host
 * makes, the text of the ones a guest gives, and http-error-code.
 *
 * wasi2_define_http runs the halves in order: the incoming half
 * (http_incoming.c, http_body.c, http_fields.c), the outgoing half
 * (http_outgoing.c, whose own resource types - outgoing-request,
 * request-options, incoming-response, future-incoming-response - it makes
 * itself, with their destructors), then the pre-release names, which
 * alias every type the halves made.
 */
#include "http_host.h"

/* ---- error-code ----------------------------------------------------------- */

static const char *const error_names[] = {
    "DNS-timeout", "DNS-error", "destination-not-found", "destination-unavailable",
    "destination-IP-prohibited", "destination-IP-unroutable", "connection-refused",
    "connection-terminated", "connection-timeout", "connection-read-timeout",
    "connection-write-timeout", "connection-limit-reached", "TLS-protocol-error",
    "TLS-certificate-error", "TLS-alert-received", "HTTP-request-denied",
    "HTTP-request-length-required", "HTTP-request-body-size", "HTTP-request-method-invalid",
    "HTTP-request-URI-invalid", "HTTP-request-URI-too-long", "HTTP-request-header-section-size",
    "HTTP-request-header-size", "HTTP-request-trailer-section-size",
    "HTTP-request-trailer-size", "HTTP-response-incomplete",
    "HTTP-response-header-section-size", "HTTP-response-header-size",
    "HTTP-response-body-size", "HTTP-response-trailer-section-size",
    "HTTP-response-trailer-size", "HTTP-response-transfer-coding",
    "HTTP-response-content-coding", "HTTP-response-timeout", "HTTP-upgrade-failed",
    "HTTP-protocol-error", "loop-detected", "configuration-error", "internal-error",
};

#define ERROR_CODE_CASES ((uint32_t)UTIL_ARRAY_LEN(error_names))

const char *wasi2_http_error_name(uint32_t code)
{
    return code < ERROR_CODE_CASES ? error_names[code] : "unknown-error";
}

/* The payload shape of each case. */
typedef enum { P_NONE, P_DNS, P_TLS, P_OPT_NUM, P_OPT_FIELD, P_FIELD, P_OPT_STR } payload_kind;

static payload_kind payload_of(uint32_t code)
{
    switch (code) {
    case 1: return P_DNS;
    case 14: return P_TLS;
    case 17: case 21: case 23: case 26: case 28: case 29: return P_OPT_NUM;
    case 22: return P_OPT_FIELD;
    case 24: case 27: case 30: return P_FIELD;
    case 31: case 32: case 38: return P_OPT_STR;
    default: return P_NONE;
    }
}

static component_val none_val(void)
{
    return (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}};
}

/* A record of two options, both none. */
static int two_nones(component_call *call, component_val *out)
{
    component_val *f = component_call_vals(call, 2);
    if (f == NULL)
        return component_call_trap(call, "out of call memory");
    f[0] = f[1] = none_val();
    *out = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {f, 2}};
    return 0;
}

int wasi2_http_error_val(component_call *call, const wasi2_http_error *e, component_val *out)
{
    uint32_t code = e->code < ERROR_CODE_CASES ? e->code : WASI2_HTTP_INTERNAL_ERROR;
    component_val payload, inner;
    switch (payload_of(code)) {
    case P_NONE:
        return wasi2_variant(call, code, NULL, out);
    case P_DNS:
    case P_TLS:
    case P_FIELD:
        if (two_nones(call, &payload) < 0)
            return -1;
        break;
    case P_OPT_FIELD:
        payload = none_val();
        break;
    case P_OPT_NUM:
        payload = none_val();
        if (e->has_size) {
            inner = (component_val){.kind = code == 17 || code == 28 ? COMPONENT_VAL_U64
                                                                     : COMPONENT_VAL_U32,
                                    .of.u = e->size};
            if (wasi2_variant(call, 1, &inner, &payload) < 0)
                return -1;
        }
        break;
    case P_OPT_STR:
        payload = none_val();
        if (e->text) {
            inner = (component_val){.kind = COMPONENT_VAL_STRING,
                                    .of.str = {e->text, strlen(e->text)}};
            if (wasi2_variant(call, 1, &inner, &payload) < 0)
                return -1;
        }
        break;
    }
    return wasi2_variant(call, code, &payload, out);
}

char *wasi2_http_error_describe(const component_val *v)
{
    uint32_t code = v->of.variant.disc;
    const component_val *p = v->of.variant.payload;
    if (payload_of(code) == P_OPT_STR && p && p->of.variant.disc == 1 && p->of.variant.payload)
        return util_xasprintf("%s: %.*s", wasi2_http_error_name(code),
                              (int)p->of.variant.payload->of.str.len,
                              p->of.variant.payload->of.str.ptr);
    if (payload_of(code) == P_OPT_NUM && p && p->of.variant.disc == 1 && p->of.variant.payload)
        return util_xasprintf("%s: %llu", wasi2_http_error_name(code),
                              (unsigned long long)p->of.variant.payload->of.u);
    return util_xstrdup(wasi2_http_error_name(code));
}

/* http-error-code: the error-code behind a wasi:io error, when wasi:http
 * made it (a body written past its length). */
static int http_error_code(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    const wasi2_error *e = (const wasi2_error *)args[0].of.resource.rep;
    bool request;
    if (!wasi2_http_body_size_error(e, &request))
        return wasi2_variant(call, 0, NULL, result);
    wasi2_http_error he = {
        .code = request ? WASI2_HTTP_REQUEST_BODY_SIZE : WASI2_HTTP_RESPONSE_BODY_SIZE};
    component_val code;
    if (wasi2_http_error_val(call, &he, &code) < 0)
        return -1;
    return wasi2_variant(call, 1, &code, result);
}

static const wasi2_func error_funcs[] = {
    {"http-error-code", "func(err: borrow<io-error>) -> option<error-code>", http_error_code},
};

const wasi2_func_table wasi2_http_error_table = {error_funcs, UTIL_ARRAY_LEN(error_funcs)};

/* ---- named types -------------------------------------------------------------- */

static const struct {
    const char *name, *type;
} named_types[] = {
    {"duration", "u64"},
    {"method", "variant{get, head, post, put, delete, connect, options, trace, patch, "
               "other(string)}"},
    {"scheme", "variant{HTTP, HTTPS, other(string)}"},
    {"DNS-error-payload", "record{rcode: option<string>, info-code: option<u16>}"},
    {"TLS-alert-received-payload",
     "record{alert-id: option<u8>, alert-message: option<string>}"},
    {"field-size-payload", "record{field-name: option<string>, field-size: option<u32>}"},
    {"error-code",
     "variant{DNS-timeout, DNS-error(DNS-error-payload), destination-not-found, "
     "destination-unavailable, destination-IP-prohibited, destination-IP-unroutable, "
     "connection-refused, connection-terminated, connection-timeout, connection-read-timeout, "
     "connection-write-timeout, connection-limit-reached, TLS-protocol-error, "
     "TLS-certificate-error, TLS-alert-received(TLS-alert-received-payload), "
     "HTTP-request-denied, HTTP-request-length-required, HTTP-request-body-size(option<u64>), "
     "HTTP-request-method-invalid, HTTP-request-URI-invalid, HTTP-request-URI-too-long, "
     "HTTP-request-header-section-size(option<u32>), "
     "HTTP-request-header-size(option<field-size-payload>), "
     "HTTP-request-trailer-section-size(option<u32>), "
     "HTTP-request-trailer-size(field-size-payload), HTTP-response-incomplete, "
     "HTTP-response-header-section-size(option<u32>), "
     "HTTP-response-header-size(field-size-payload), HTTP-response-body-size(option<u64>), "
     "HTTP-response-trailer-section-size(option<u32>), "
     "HTTP-response-trailer-size(field-size-payload), "
     "HTTP-response-transfer-coding(option<string>), "
     "HTTP-response-content-coding(option<string>), HTTP-response-timeout, "
     "HTTP-upgrade-failed, HTTP-protocol-error, loop-detected, configuration-error, "
     "internal-error(option<string>)}"},
    {"header-error", "variant{invalid-syntax, forbidden, immutable}"},
};

/* ---- resource types ------------------------------------------------------------- */

static void fields_dtor(uintptr_t rep)
{
    wasi2_http_fields_free((wasi2_http_fields *)rep);
}

static void incoming_request_dtor(uintptr_t rep)
{
    wasi2_http_incoming_request_free((wasi2_http_incoming_request *)rep);
}

static void outparam_dtor(uintptr_t rep)
{
    wasi2_http_outparam_free((wasi2_http_outparam *)rep);
}

static void incoming_body_dtor(uintptr_t rep)
{
    wasi2_http_incoming_body_free((wasi2_http_incoming_body *)rep);
}

static void future_trailers_dtor(uintptr_t rep)
{
    wasi2_http_future_trailers_free((void *)rep);
}

static void outgoing_response_dtor(uintptr_t rep)
{
    wasi2_http_outgoing_response_free((wasi2_http_outgoing_response *)rep);
}

static void outgoing_body_dtor(uintptr_t rep)
{
    wasi2_http_outgoing_body_free((wasi2_http_outgoing_body *)rep);
}

/* The types the incoming half's structs back (the outgoing half makes its
 * four). */
int wasi2_http_define_resources(component_linker *l, const wasi2_http_resource_def *defs,
                                size_t n, util_error **err)
{
    for (size_t i = 0; i < n; i++) {
        *defs[i].slot =
            component_linker_define_resource(l, WASI2_HTTP_TYPES, defs[i].name, defs[i].dtor, err);
        if (*defs[i].slot == NULL)
            return -1;
    }
    return 0;
}

static int make_types(component_linker *l, wasi2_http_types *t, util_error **err)
{
    const wasi2_http_resource_def defs[] = {
        {&t->fields, "fields", fields_dtor},
        {&t->incoming_request, "incoming-request", incoming_request_dtor},
        {&t->response_outparam, "response-outparam", outparam_dtor},
        {&t->incoming_body, "incoming-body", incoming_body_dtor},
        {&t->future_trailers, "future-trailers", future_trailers_dtor},
        {&t->outgoing_response, "outgoing-response", outgoing_response_dtor},
        {&t->outgoing_body, "outgoing-body", outgoing_body_dtor},
    };
    return wasi2_http_define_resources(l, defs, UTIL_ARRAY_LEN(defs), err);
}

/* What wasi:http/types `use`s from wasi:io, and its named types. */
static int define_uses(component_linker *l, const wasi2_host *h, util_error **err)
{
    if (component_linker_alias_resource(l, WASI2_HTTP_TYPES, "input-stream", h->input_stream,
                                        err) < 0 ||
        component_linker_alias_resource(l, WASI2_HTTP_TYPES, "output-stream", h->output_stream,
                                        err) < 0 ||
        component_linker_alias_resource(l, WASI2_HTTP_TYPES, "io-error", h->error, err) < 0 ||
        component_linker_alias_resource(l, WASI2_HTTP_TYPES, "pollable", h->pollable, err) < 0 ||
        /* type headers = fields; type trailers = fields */
        component_linker_alias_resource(l, WASI2_HTTP_TYPES, "headers", h->http->fields, err) < 0 ||
        component_linker_alias_resource(l, WASI2_HTTP_TYPES, "trailers", h->http->fields, err) < 0)
        return -1;
    return wasi2_http_define_types(l, WASI2_HTTP_TYPES, err);
}

int wasi2_http_define_types(component_linker *l, const char *iface, util_error **err)
{
    for (size_t i = 0; i < UTIL_ARRAY_LEN(named_types); i++)
        if (component_linker_define_type(l, iface, named_types[i].name, named_types[i].type,
                                         err) < 0)
            return -1;
    return 0;
}

static int define_table(component_linker *l, const wasi2_func_table *t, wasi2_host *h,
                        util_error **err)
{
    return wasi2_define_funcs(l, WASI2_HTTP_TYPES, t->funcs, t->n, h, err);
}

int wasi2_define_http_incoming(component_linker *l, wasi2_host *h, util_error **err)
{
    if (define_table(l, &wasi2_http_error_table, h, err) < 0 ||
        define_table(l, &wasi2_http_fields_table, h, err) < 0 ||
        define_table(l, &wasi2_http_body_table, h, err) < 0 ||
        define_table(l, &wasi2_http_incoming_table, h, err) < 0)
        return -1;
    return 0;
}

int wasi2_define_http(component_linker *l, wasi2_host *h, util_error **err)
{
    wasi2_http_types *t = util_xcalloc(1, sizeof(*t));
    component_linker_keep(l, t, free);
    h->http = t;
    if (make_types(l, t, err) < 0 || define_uses(l, h, err) < 0 ||
        wasi2_define_http_incoming(l, h, err) < 0 || wasi2_define_http_outgoing(l, h, err) < 0)
        return util_error_wrap(err, "wasi:http");
    /* the pre-release names alias both halves' types */
    if (wasi2_define_http_rc(l, h, err) < 0 || wasi2_define_http_outgoing_rc(l, h, err) < 0)
        return util_error_wrap(err, "wasi:http");
    return 0;
}
