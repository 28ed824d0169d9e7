/*
 * test_http_fields.c - wasi:http/types `fields` through component_linker_call,
 * as a guest's calls reach them (the linker checks every value against the
 * WIT signatures): the header-error cases as wasmtime decides them,
 * lower-cased names, get of an absent name, clone, and the immutable
 * copies that requests and responses hand out.
 */
#include "http_host.h"
#include "wasi2_test_util.h"

#define TYPES "wasi:http/types@0.2.0" /* served by the 0.2.12 registration */

typedef struct fixture {
    wasi2_ctx *ctx;
    component_linker *l;
    component_call *call;
} fixture;

static const wasi2_http_types *types; /* the current fixture's */

static fixture *fixture_new(void)
{
    fixture *f = util_xcalloc(1, sizeof(*f));
    wasi2_config c;
    wasi2_config_init(&c);
    util_error *err = NULL;
    f->ctx = wasi2_ctx_new(&c, &err);
    f->l = component_linker_new();
    const wasi2_registration *reg = NULL;
    if (f->ctx == NULL || wasi2_define_reg(f->l, NULL, &reg, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err ? err->msg : "?");
        abort();
    }
    f->call = component_call_new(f->ctx);
    types = reg->http;
    return f;
}

static void fixture_free(fixture *f)
{
    component_call_free(f->call);
    component_linker_free(f->l);
    wasi2_ctx_free(f->ctx);
    free(f);
}

static component_val own_of(wasi2_http_fields *h)
{
    return (component_val){.kind = COMPONENT_VAL_OWN,
                           .of.resource = {types->fields, (uintptr_t)h}};
}

static component_val borrow_of(const wasi2_http_fields *h)
{
    return (component_val){.kind = COMPONENT_VAL_BORROW,
                           .of.resource = {types->fields, (uintptr_t)h}};
}

/* [method]fields.<name>(self, name[, value]) -> result<_, header-error>:
 * the error case, or -1 for ok. */
static int change(fixture *f, const char *method, wasi2_http_fields *h, const char *name,
                  const char *value)
{
    component_val args[3] = {borrow_of(h), V_STR(name)};
    size_t n = 2;
    component_val list_item;
    if (strcmp(method, "[method]fields.append") == 0) {
        args[2] = V_BYTES(value, strlen(value));
        n = 3;
    } else if (strcmp(method, "[method]fields.set") == 0) {
        list_item = V_BYTES(value, strlen(value));
        args[2] = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {&list_item, NULL, 1}};
        n = 3;
    }
    component_val r;
    if (host_call(f->l, f->call, TYPES, method, args, n, &r) < 0)
        return -100;
    return err_of(&r);
}

static wasi2_http_fields *new_fields(fixture *f)
{
    component_val r;
    if (host_call(f->l, f->call, TYPES, "[constructor]fields", NULL, 0, &r) < 0)
        return NULL;
    return (wasi2_http_fields *)r.of.resource.rep;
}

/* fields.get as one string "v1|v2" (lists of byte strings joined). */
static char *get_joined(fixture *f, wasi2_http_fields *h, const char *name)
{
    component_val args[2] = {borrow_of(h), V_STR(name)}, r;
    if (host_call(f->l, f->call, TYPES, "[method]fields.get", args, 2, &r) < 0)
        return util_xstrdup("<failed>");
    util_buf b = {0};
    for (size_t i = 0; i < r.of.list.n; i++) {
        const component_val *v = &r.of.list.items[i];
        if (i)
            util_buf_append(&b, "|", 1);
        util_buf_append(&b, v->of.list.raw, v->of.list.n);
    }
    util_buf_append(&b, "", 1);
    return util_buf_steal(&b, NULL);
}

static void test_append_errors_as_wasmtime(void)
{
    fixture *f = fixture_new();
    wasi2_http_fields *h = new_fields(f);
    CHECK_INT(change(f, "[method]fields.append", h, "malformed header name", "ok"),
              WASI2_HEADER_INVALID_SYNTAX);
    CHECK_INT(change(f, "[method]fields.append", h, "", "ok"), WASI2_HEADER_INVALID_SYNTAX);
    CHECK_INT(change(f, "[method]fields.append", h, "ok-name", "bad\nvalue"),
              WASI2_HEADER_INVALID_SYNTAX);
    CHECK_INT(change(f, "[method]fields.append", h, "ok-name", "bad\x7fvalue"),
              WASI2_HEADER_INVALID_SYNTAX);
    CHECK_INT(change(f, "[method]fields.append", h, "Connection", "keep-alive"),
              WASI2_HEADER_FORBIDDEN);
    CHECK_INT(change(f, "[method]fields.append", h, "Keep-Alive", "x"), WASI2_HEADER_FORBIDDEN);
    CHECK_INT(change(f, "[method]fields.append", h, "host", "example.com"),
              WASI2_HEADER_FORBIDDEN);
    CHECK_INT(change(f, "[method]fields.append", h, "HTTP2-Settings", "x"),
              WASI2_HEADER_FORBIDDEN);
    /* forbidden is decided before the value's syntax */
    CHECK_INT(change(f, "[method]fields.append", h, "upgrade", "bad\r"), WASI2_HEADER_FORBIDDEN);
    CHECK_INT(change(f, "[method]fields.delete", h, "transfer-encoding", NULL),
              WASI2_HEADER_FORBIDDEN);
    CHECK_INT(change(f, "[method]fields.set", h, "proxy-connection", "x"),
              WASI2_HEADER_FORBIDDEN);
    /* tabs and bytes >= 0x80 are fine in values, as http::HeaderValue says */
    CHECK_INT(change(f, "[method]fields.append", h, "ok-name", "a\tb\xc3\xa9"), -1);
    CHECK_INT(h->len, 1);
    wasi2_http_fields_free(h);
    fixture_free(f);
}

static void test_names_lower_cased_get_has_delete(void)
{
    fixture *f = fixture_new();
    wasi2_http_fields *h = new_fields(f);
    CHECK_INT(change(f, "[method]fields.append", h, "X-Multi", "one"), -1);
    CHECK_INT(change(f, "[method]fields.append", h, "x-multi", "two"), -1);
    CHECK_INT(change(f, "[method]fields.append", h, "Content-Type", "text/plain"), -1);
    char *s = get_joined(f, h, "X-MULTI");
    CHECK_STR(s, "one|two");
    free(s);
    s = get_joined(f, h, "absent");
    CHECK_STR(s, "");
    free(s);
    s = get_joined(f, h, "not a token"); /* no error: nothing found */
    CHECK_STR(s, "");
    free(s);
    component_val args[2] = {borrow_of(h), V_STR("CONTENT-type")}, r;
    CHECK_INT(host_call(f->l, f->call, TYPES, "[method]fields.has", args, 2, &r), 0);
    CHECK(r.of.b);
    args[1] = V_STR("nope");
    CHECK_INT(host_call(f->l, f->call, TYPES, "[method]fields.has", args, 2, &r), 0);
    CHECK(!r.of.b);
    /* entries: lower-case names, insertion order */
    CHECK_INT(host_call(f->l, f->call, TYPES, "[method]fields.entries", args, 1, &r), 0);
    CHECK_INT(r.of.list.n, 3);
    if (r.of.list.n == 3) {
        const component_val *e = r.of.list.items[2].of.record.fields;
        CHECK(e[0].of.str.len == 12 && memcmp(e[0].of.str.ptr, "content-type", 12) == 0);
        e = r.of.list.items[0].of.record.fields;
        CHECK(e[0].of.str.len == 7 && memcmp(e[0].of.str.ptr, "x-multi", 7) == 0);
    }
    /* set replaces every value of the name; delete removes them all */
    CHECK_INT(change(f, "[method]fields.set", h, "x-MULTI", "three"), -1);
    s = get_joined(f, h, "x-multi");
    CHECK_STR(s, "three");
    free(s);
    CHECK_INT(change(f, "[method]fields.delete", h, "X-Multi", NULL), -1);
    CHECK_INT(h->len, 1);
    wasi2_http_fields_free(h);
    fixture_free(f);
}

static component_val pair(component_val *slots, const char *name, const char *value)
{
    slots[0] = V_STR(name);
    slots[1] = V_BYTES(value, strlen(value));
    return (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {slots, 2}};
}

/* from-list: the first bad entry decides; a good list keeps all entries. */
static void test_from_list(void)
{
    fixture *f = fixture_new();
    component_val slots[6], items[3], r;
    items[0] = pair(&slots[0], "Accept", "*/*");
    items[1] = pair(&slots[2], "accept", "text/html");
    items[2] = pair(&slots[4], "X-Ok", "1");
    component_val list = {.kind = COMPONENT_VAL_LIST, .of.list = {items, NULL, 3}};
    CHECK_INT(host_call(f->l, f->call, TYPES, "[static]fields.from-list", &list, 1, &r), 0);
    const component_val *ok = ok_of(&r);
    CHECK(ok != NULL);
    if (ok) {
        wasi2_http_fields *h = (wasi2_http_fields *)ok->of.resource.rep;
        char *s = get_joined(f, h, "accept");
        CHECK_STR(s, "*/*|text/html");
        free(s);
        wasi2_http_fields_free(h);
    }
    items[2] = pair(&slots[4], "Transfer-Encoding", "chunked");
    CHECK_INT(host_call(f->l, f->call, TYPES, "[static]fields.from-list", &list, 1, &r), 0);
    CHECK_INT(err_of(&r), WASI2_HEADER_FORBIDDEN);
    items[1] = pair(&slots[2], "bad name", "x");
    CHECK_INT(host_call(f->l, f->call, TYPES, "[static]fields.from-list", &list, 1, &r), 0);
    CHECK_INT(err_of(&r), WASI2_HEADER_INVALID_SYNTAX);
    items[1] = pair(&slots[2], "good", "nul\0");
    slots[3].of.list.n = 4;
    CHECK_INT(host_call(f->l, f->call, TYPES, "[static]fields.from-list", &list, 1, &r), 0);
    CHECK_INT(err_of(&r), WASI2_HEADER_INVALID_SYNTAX);
    fixture_free(f);
}

/* clone: a mutable, independent copy, even of immutable fields. */
static void test_clone_and_immutable(void)
{
    fixture *f = fixture_new();
    wasi2_http_fields *h = new_fields(f);
    CHECK_INT(change(f, "[method]fields.append", h, "a", "1"), -1);
    h->immutable = true; /* as a request's headers() hands them out */
    CHECK_INT(change(f, "[method]fields.append", h, "b", "2"), WASI2_HEADER_IMMUTABLE);
    CHECK_INT(change(f, "[method]fields.set", h, "a", "2"), WASI2_HEADER_IMMUTABLE);
    CHECK_INT(change(f, "[method]fields.delete", h, "a", NULL), WASI2_HEADER_IMMUTABLE);
    /* the syntax and forbidden checks still come first */
    CHECK_INT(change(f, "[method]fields.delete", h, "bad name", NULL),
              WASI2_HEADER_INVALID_SYNTAX);
    CHECK_INT(change(f, "[method]fields.delete", h, "host", NULL), WASI2_HEADER_FORBIDDEN);
    component_val arg = borrow_of(h), r;
    if (host_call(f->l, f->call, TYPES, "[method]fields.clone", &arg, 1, &r) < 0)
        abort();
    wasi2_http_fields *c = (wasi2_http_fields *)r.of.resource.rep;
    CHECK_INT(change(f, "[method]fields.append", c, "b", "2"), -1);
    CHECK_INT(c->len, 2);
    CHECK_INT(h->len, 1);
    wasi2_http_fields_free(c);
    wasi2_http_fields_free(h);
    fixture_free(f);
}

/* The headers of an incoming request and an outgoing response are
 * immutable copies: changing them fails, the owner keeps its own. */
static void test_children_immutable(void)
{
    fixture *f = fixture_new();
    uint8_t v[] = "text/plain";
    wasi2_http_field hdrs[] = {{"Content-Type", v, 10}, {"Host", v, 4}, {"X-A", v, 4}};
    wasi2_http_incoming in = {.method = "PATCH", .path_with_query = "/p?q", .headers = hdrs,
                              .nheaders = 3};
    wasi2_http_incoming_request *req = wasi2_http_incoming_request_new(&in);
    component_val arg = {.kind = COMPONENT_VAL_BORROW,
                         .of.resource = {types->incoming_request, (uintptr_t)req}};
    component_val r;
    CHECK_INT(host_call(f->l, f->call, TYPES, "[method]incoming-request.headers", &arg, 1, &r), 0);
    wasi2_http_fields *h = (wasi2_http_fields *)r.of.resource.rep;
    CHECK_INT(change(f, "[method]fields.append", h, "x-b", "1"), WASI2_HEADER_IMMUTABLE);
    CHECK_INT(h->len, 2); /* host is forbidden: the guest never sees it */
    char *s = get_joined(f, h, "content-type");
    CHECK_STR(s, "text/plain");
    free(s);
    CHECK_INT(host_call(f->l, f->call, TYPES, "[method]incoming-request.method", &arg, 1, &r), 0);
    CHECK_INT(r.of.variant.disc, 8);
    wasi2_http_fields_free(h);

    /* an outgoing response: its constructor takes the fields over */
    wasi2_http_fields *mine = new_fields(f);
    CHECK_INT(change(f, "[method]fields.append", mine, "x-resp", "1"), -1);
    component_val own = own_of(mine);
    CHECK_INT(host_call(f->l, f->call, TYPES, "[constructor]outgoing-response", &own, 1, &r), 0);
    wasi2_http_outgoing_response *resp = (wasi2_http_outgoing_response *)r.of.resource.rep;
    arg.of.resource.type = types->outgoing_response;
    arg.of.resource.rep = (uintptr_t)resp;
    CHECK_INT(host_call(f->l, f->call, TYPES, "[method]outgoing-response.headers", &arg, 1, &r),
              0);
    h = (wasi2_http_fields *)r.of.resource.rep;
    CHECK_INT(change(f, "[method]fields.set", h, "x-resp", "2"), WASI2_HEADER_IMMUTABLE);
    CHECK_INT(h->len, 1);
    wasi2_http_fields_free(h);
    CHECK_INT(host_call(f->l, f->call, TYPES, "[method]outgoing-response.status-code", &arg, 1,
                        &r),
              0);
    CHECK_INT(r.of.u, 200);
    component_val set[2] = {arg, V_U16(99)};
    CHECK_INT(host_call(f->l, f->call, TYPES, "[method]outgoing-response.set-status-code", set, 2,
                        &r),
              0);
    CHECK_INT(r.of.variant.disc, 1);
    set[1] = V_U16(600);
    CHECK_INT(host_call(f->l, f->call, TYPES, "[method]outgoing-response.set-status-code", set, 2,
                        &r),
              0);
    CHECK_INT(r.of.variant.disc, 1);
    set[1] = V_U16(404);
    CHECK_INT(host_call(f->l, f->call, TYPES, "[method]outgoing-response.set-status-code", set, 2,
                        &r),
              0);
    CHECK_INT(r.of.variant.disc, 0);
    CHECK_INT(resp->status, 404);
    wasi2_http_outgoing_response_free(resp);
    wasi2_http_incoming_request_free(req);
    fixture_free(f);
}

/* send-informational is not supported: an internal-error the guest sees
 * (the fields it passed are taken over). */
static void test_send_informational_refused(void)
{
    fixture *f = fixture_new();
    wasi2_http_outparam p = {0};
    component_val args[3] = {
        {.kind = COMPONENT_VAL_BORROW, .of.resource = {types->response_outparam, (uintptr_t)&p}},
        V_U16(103), own_of(wasi2_http_fields_new())};
    component_val r;
    CHECK_INT(host_call(f->l, f->call, TYPES, "[method]response-outparam.send-informational",
                        args, 3, &r),
              0);
    CHECK_INT(r.of.variant.disc, 1);
    const component_val *code = r.of.variant.payload;
    CHECK_INT(code->of.variant.disc, WASI2_HTTP_INTERNAL_ERROR);
    const component_val *text = code->of.variant.payload->of.variant.payload;
    CHECK(text && text->of.str.len == 13 && memcmp(text->of.str.ptr, "not supported", 13) == 0);
    fixture_free(f);
}

int main(void)
{
    RUN(test_append_errors_as_wasmtime);
    RUN(test_names_lower_cased_get_has_delete);
    RUN(test_from_list);
    RUN(test_clone_and_immutable);
    RUN(test_children_immutable);
    RUN(test_send_informational_refused);
    return TEST_SUMMARY();
}
