/*
 * http_rc.c - wasi:http/types at the pre-release names Spin still links,
 * 0.2.0-rc-2023-10-18 and 0.2.0-rc-2023-11-10, incoming side.
 *
 * As rc.c does for wasi:io, each version is registered under its own name
 * with its own WIT signatures, over the same resource types (aliased: a
 * fields made through one name is a fields for every other), and the 0.2
 * C functions serve wherever a function kept its meaning.  What differs
 * follows Spin's adapters (crates/factor-outbound-http/src/wasi_2023_*.rs),
 * which map each old call onto the 0.2 one:
 *   -rc-2023-11-10  fields has no `has`; future-trailers.get is
 *                   option<result<option<trailers>, error-code>> (a second
 *                   get traps); response-outparam has no send-informational.
 *   -rc-2023-10-18  no error-code: an `error` variant of four strings,
 *                   which set() passes on as internal-error("invalid url:
 *                   ..." etc.); no io-error, no http-error-code, no
 *                   header-error: fields' constructor takes the entries and
 *                   it, set, delete and append trap where 0.2 returns a
 *                   header-error; outgoing-response is constructed from a
 *                   status and borrowed headers (an invalid status traps) and
 *                   `write` is 0.2's `body`; outgoing-body.finish returns
 *                   nothing (an error-code traps); future-trailers.get has
 *                   no "none": trailers or an empty fields.
 * The resource types of the outgoing half are aliased too when it made
 * them (it registers its own functions at these names).
 */
#include "http_host.h"

#include <inttypes.h>

#define SELF(args, T) ((T *)(args)[0].of.resource.rep)

static const wasi2_host *host_of(void *env)
{
    return env;
}

/* Calls the 0.2 function `name` of table t. */
static int call_base(const wasi2_func_table *t, const char *name, component_call *call,
                     void *env, const component_val *args, size_t nargs, component_val *result)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->funcs[i].name, name) == 0)
            return t->funcs[i].fn(call, env, args, nargs, result);
    return component_call_trap(call, "wasi:http rc: no 0.2 function %s", name);
}

static const char *const header_errors[] = {"invalid-syntax", "forbidden", "immutable"};

/* A 0.2 result<_, header-error> turned into a trap when it is an error. */
static int trap_header_error(component_call *call, const char *op, int rc,
                             const component_val *r)
{
    if (rc < 0 || r->of.variant.disc == 0)
        return rc;
    uint32_t e = r->of.variant.payload ? r->of.variant.payload->of.variant.disc : 0;
    return component_call_trap(call, "%s: header-error %s", op,
                               e < UTIL_ARRAY_LEN(header_errors) ? header_errors[e] : "?");
}

/* ---- -rc-2023-10-18 ----------------------------------------------------------- */

static int fields_new_1018(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    int error;
    wasi2_http_fields *f = wasi2_http_fields_from_list(call, &args[0], &error);
    if (f == NULL)
        return component_call_trap(call, "fields: %s",
                                   error >= 0 ? header_errors[error] : "out of call memory");
    *result = wasi2_own(host_of(env)->http->fields, f);
    return 0;
}

static int fields_change_1018(component_call *call, void *env, const component_val *args,
                              size_t nargs, const char *name)
{
    component_val r;
    int rc = call_base(&wasi2_http_fields_table, name, call, env, args, nargs, &r);
    return trap_header_error(call, name, rc, &r);
}

static int fields_set_1018(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    return fields_change_1018(call, env, args, nargs, "[method]fields.set");
}

static int fields_delete_1018(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    return fields_change_1018(call, env, args, nargs, "[method]fields.delete");
}

static int fields_append_1018(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    return fields_change_1018(call, env, args, nargs, "[method]fields.append");
}

static int response_new_1018(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    uint64_t status = args[0].of.u;
    if (status < 100 || status > 599)
        return component_call_trap(call, "outgoing-response: invalid status code %" PRIu64,
                                   status);
    wasi2_http_outgoing_response *r = util_xcalloc(1, sizeof(*r));
    r->status = (uint16_t)status;
    r->headers = wasi2_http_fields_clone((const wasi2_http_fields *)args[1].of.resource.rep,
                                         false);
    *result = wasi2_own(host_of(env)->http->outgoing_response, r);
    return 0;
}

static int outbody_finish_1018(component_call *call, void *env, const component_val *args,
                               size_t nargs, component_val *result)
{
    component_val r;
    int rc = call_base(&wasi2_http_body_table, "[static]outgoing-body.finish", call, env, args,
                       nargs, &r);
    if (rc < 0 || r.of.variant.disc == 0)
        return rc;
    cleanup_free char *text = wasi2_http_error_describe(r.of.variant.payload);
    return component_call_trap(call, "outgoing-body.finish: %s", text);
}

/* error {invalid-url, timeout-error, protocol-error, unexpected-error}
 * as Spin passes it on. */
static const char *const old_error_prefix[] = {"invalid url", "timeout", "protocol error",
                                               "unexpected error"};

static int outparam_set_1018(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    if (args[1].of.variant.disc == 0)
        return call_base(&wasi2_http_incoming_table, "[static]response-outparam.set", call, env,
                         args, nargs, result);
    wasi2_http_outparam *p = SELF(args, wasi2_http_outparam);
    const component_val *e = args[1].of.variant.payload;
    uint32_t which = e->of.variant.disc < 4 ? e->of.variant.disc : 3;
    const component_val *s = e->of.variant.payload;
    if (!p->set && p->ops->error) {
        cleanup_free char *text =
            util_xasprintf("internal-error: %s: %.*s", old_error_prefix[which],
                           s ? (int)s->of.str.len : 0, s ? s->of.str.ptr : "");
        p->ops->error(p->self, text);
    }
    p->set = true;
    wasi2_http_outparam_free(p);
    return 0;
}

/* option<result<trailers, error>>: no trailers are an empty fields; a
 * second get traps (Spin: "trailers have already been retrieved"). */
static int trailers_get_1018(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    component_val r;
    if (call_base(&wasi2_http_body_table, "[method]future-trailers.get", call, env, args, nargs,
                  &r) < 0)
        return -1;
    /* r: option<result<result<option<trailers>, error-code>>> */
    const component_val *outer = r.of.variant.payload;
    if (r.of.variant.disc == 0)
        return wasi2_variant(call, 0, NULL, result);
    if (outer->of.variant.disc == 1)
        return component_call_trap(call, "future-trailers.get: trailers have already been "
                                         "retrieved");
    const component_val *inner = outer->of.variant.payload;
    component_val res;
    if (inner->of.variant.disc == 1) {
        cleanup_free char *text = wasi2_http_error_describe(inner->of.variant.payload);
        size_t len = strlen(text);
        char *copy = component_call_alloc(call, len ? len : 1);
        if (copy == NULL)
            return component_call_trap(call, "out of call memory");
        memcpy(copy, text, len);
        component_val msg = {.kind = COMPONENT_VAL_STRING, .of.str = {copy, len}}, err;
        if (wasi2_variant(call, 3, &msg, &err) < 0 || wasi2_variant(call, 1, &err, &res) < 0)
            return -1;
    } else {
        const component_val *opt = inner->of.variant.payload;
        component_val own = opt->of.variant.disc == 1
                                ? *opt->of.variant.payload
                                : wasi2_own(host_of(env)->http->fields, wasi2_http_fields_new());
        if (wasi2_variant(call, 0, &own, &res) < 0)
            return -1;
    }
    return wasi2_variant(call, 1, &res, result);
}

#define FSELF "func(self: borrow<fields>"
#define ENTRIES "list<tuple<string, list<u8>>>"

static const wasi2_rc_func fields_1018[] = {
    {"[constructor]fields", "func(entries: " ENTRIES ") -> own<fields>", fields_new_1018, NULL},
    {"[method]fields.get", NULL, NULL, NULL},
    {"[method]fields.set", FSELF ", name: string, value: list<list<u8>>)", fields_set_1018, NULL},
    {"[method]fields.delete", FSELF ", name: string)", fields_delete_1018, NULL},
    {"[method]fields.append", FSELF ", name: string, value: list<u8>)", fields_append_1018, NULL},
    {"[method]fields.entries", NULL, NULL, NULL},
    {"[method]fields.clone", NULL, NULL, NULL},
};

static const wasi2_rc_func incoming_1018[] = {
    {"[method]incoming-request.method", NULL, NULL, NULL},
    {"[method]incoming-request.path-with-query", NULL, NULL, NULL},
    {"[method]incoming-request.scheme", NULL, NULL, NULL},
    {"[method]incoming-request.authority", NULL, NULL, NULL},
    {"[method]incoming-request.headers", NULL, NULL, NULL},
    {"[method]incoming-request.consume", NULL, NULL, NULL},
    {"[constructor]outgoing-response",
     "func(status-code: u16, headers: borrow<fields>) -> own<outgoing-response>",
     response_new_1018, NULL},
    {"[method]outgoing-response.write", NULL, NULL, "[method]outgoing-response.body"},
    {"[static]response-outparam.set",
     "func(param: own<response-outparam>, response: result<own<outgoing-response>, error>)",
     outparam_set_1018, NULL},
};

static const wasi2_rc_func body_1018[] = {
    {"[method]incoming-body.stream", NULL, NULL, NULL},
    {"[static]incoming-body.finish", NULL, NULL, NULL},
    {"[method]future-trailers.subscribe", NULL, NULL, NULL},
    {"[method]future-trailers.get",
     "func(self: borrow<future-trailers>) -> option<result<own<fields>, error>>",
     trailers_get_1018, NULL},
    {"[method]outgoing-body.write", NULL, NULL, NULL},
    {"[static]outgoing-body.finish",
     "func(this: own<outgoing-body>, trailers: option<own<fields>>)", outbody_finish_1018, NULL},
};

/* ---- -rc-2023-11-10 --------------------------------------------------------------- */

/* option<result<option<trailers>, error-code>>; a second get traps. */
static int trailers_get_1110(component_call *call, void *env, const component_val *args,
                             size_t nargs, component_val *result)
{
    component_val r;
    if (call_base(&wasi2_http_body_table, "[method]future-trailers.get", call, env, args, nargs,
                  &r) < 0)
        return -1;
    if (r.of.variant.disc == 0)
        return wasi2_variant(call, 0, NULL, result);
    const component_val *outer = r.of.variant.payload;
    if (outer->of.variant.disc == 1)
        return component_call_trap(call, "future-trailers.get: trailers have already been "
                                         "retrieved");
    return wasi2_variant(call, 1, outer->of.variant.payload, result);
}

static const wasi2_rc_func error_1110[] = {
    {"http-error-code", NULL, NULL, NULL},
};

static const wasi2_rc_func fields_1110[] = {
    {"[constructor]fields", NULL, NULL, NULL},   {"[static]fields.from-list", NULL, NULL, NULL},
    {"[method]fields.get", NULL, NULL, NULL},    {"[method]fields.set", NULL, NULL, NULL},
    {"[method]fields.delete", NULL, NULL, NULL}, {"[method]fields.append", NULL, NULL, NULL},
    {"[method]fields.entries", NULL, NULL, NULL}, {"[method]fields.clone", NULL, NULL, NULL},
};

static const wasi2_rc_func incoming_1110[] = {
    {"[method]incoming-request.method", NULL, NULL, NULL},
    {"[method]incoming-request.path-with-query", NULL, NULL, NULL},
    {"[method]incoming-request.scheme", NULL, NULL, NULL},
    {"[method]incoming-request.authority", NULL, NULL, NULL},
    {"[method]incoming-request.headers", NULL, NULL, NULL},
    {"[method]incoming-request.consume", NULL, NULL, NULL},
    {"[constructor]outgoing-response", NULL, NULL, NULL},
    {"[method]outgoing-response.status-code", NULL, NULL, NULL},
    {"[method]outgoing-response.set-status-code", NULL, NULL, NULL},
    {"[method]outgoing-response.headers", NULL, NULL, NULL},
    {"[method]outgoing-response.body", NULL, NULL, NULL},
    {"[static]response-outparam.set", NULL, NULL, NULL},
};

static const wasi2_rc_func body_1110[] = {
    {"[method]incoming-body.stream", NULL, NULL, NULL},
    {"[static]incoming-body.finish", NULL, NULL, NULL},
    {"[method]future-trailers.subscribe", NULL, NULL, NULL},
    {"[method]future-trailers.get",
     "func(self: borrow<future-trailers>) -> option<result<option<own<fields>>, error-code>>",
     trailers_get_1110, NULL},
    {"[method]outgoing-body.write", NULL, NULL, NULL},
    {"[static]outgoing-body.finish", NULL, NULL, NULL},
};

/* ---- registration ------------------------------------------------------------------ */

/* Every resource type the halves made, under its WIT name. */
static int alias_types(component_linker *l, const char *iface, const wasi2_host *h,
                       bool io_error, util_error **err)
{
    const wasi2_http_types *t = h->http;
    const struct {
        const char *name;
        component_resource_type *type;
    } all[] = {
        {"input-stream", h->input_stream},
        {"output-stream", h->output_stream},
        {"pollable", h->pollable},
        {"io-error", io_error ? h->error : NULL},
        {"fields", t->fields},
        {"headers", t->fields},
        {"trailers", t->fields},
        {"incoming-request", t->incoming_request},
        {"outgoing-request", t->outgoing_request},
        {"request-options", t->request_options},
        {"response-outparam", t->response_outparam},
        {"incoming-response", t->incoming_response},
        {"incoming-body", t->incoming_body},
        {"future-trailers", t->future_trailers},
        {"outgoing-response", t->outgoing_response},
        {"outgoing-body", t->outgoing_body},
        {"future-incoming-response", t->future_incoming_response},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(all); i++)
        if (all[i].type &&
            component_linker_alias_resource(l, iface, all[i].name, all[i].type, err) < 0)
            return -1;
    return 0;
}

static int define_types(component_linker *l, const char *iface, const char *const (*types)[2],
                        size_t n, util_error **err)
{
    for (size_t i = 0; i < n; i++)
        if (component_linker_define_type(l, iface, types[i][0], types[i][1], err) < 0)
            return -1;
    return 0;
}

static const char *const types_1018[][2] = {
    {"method", "variant{get, head, post, put, delete, connect, options, trace, patch, "
               "other(string)}"},
    {"scheme", "variant{HTTP, HTTPS, other(string)}"},
    {"error", "variant{invalid-url(string), timeout-error(string), protocol-error(string), "
              "unexpected-error(string)}"},
};

#define DEFINE(iface, base, funcs)                                                               \
    wasi2_define_rc_funcs(l, iface, &base, funcs, UTIL_ARRAY_LEN(funcs), h, err)

int wasi2_define_http_rc(component_linker *l, wasi2_host *h, util_error **err)
{
    char rc1[64], rc2[64];
    wasi2_rc_iface(rc1, "wasi:http/types", WASI2_RC1);
    wasi2_rc_iface(rc2, "wasi:http/types", WASI2_RC2);
    if (alias_types(l, rc1, h, false, err) < 0 ||
        define_types(l, rc1, types_1018, UTIL_ARRAY_LEN(types_1018), err) < 0 ||
        DEFINE(rc1, wasi2_http_fields_table, fields_1018) < 0 ||
        DEFINE(rc1, wasi2_http_incoming_table, incoming_1018) < 0 ||
        DEFINE(rc1, wasi2_http_body_table, body_1018) < 0)
        return -1;
    if (alias_types(l, rc2, h, true, err) < 0 || wasi2_http_define_types(l, rc2, err) < 0 ||
        DEFINE(rc2, wasi2_http_error_table, error_1110) < 0 ||
        DEFINE(rc2, wasi2_http_fields_table, fields_1110) < 0 ||
        DEFINE(rc2, wasi2_http_incoming_table, incoming_1110) < 0 ||
        DEFINE(rc2, wasi2_http_body_table, body_1110) < 0)
        return -1;
    return 0;
}
