/*
 * test_http_rc.c - wasi:http/types at the pre-release names (0.2.0-rc-2023-10-18,
 * -rc-2023-11-10): host calls through the linker with each version's
 * shapes (the linker checks them against the registered signatures), the
 * resource types shared with 0.2, and a real Spin 2.0-era component whose
 * wasi:http imports must all resolve against what wasi2_define registers
 * (its fermyon:spin/sqlite import is served elsewhere).
 */
#include "instance_internal.h" /* component_visit_imports */
#include "host.h"
#include "http_host.h"
#include "rtype.h"
#include "wasi2_test_util.h"

#define RC1 "wasi:http/types@0.2.0-rc-2023-10-18"
#define RC2 "wasi:http/types@0.2.0-rc-2023-11-10"

typedef struct fixture {
    wasi2_ctx *ctx;
    component_linker *l;
    const wasi2_registration *reg;
    component_call *call;
} fixture;

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof(*f));
    wasi2_config c;
    wasi2_config_init(&c);
    util_error *err = NULL;
    f->ctx = wasi2_ctx_new(&c, &err);
    f->l = component_linker_new();
    if (f->ctx == NULL || wasi2_define_reg(f->l, NULL, &f->reg, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err ? err->msg : "?");
        abort();
    }
    f->call = component_call_new(f->ctx);
}

static void fixture_fini(fixture *f)
{
    component_call_free(f->call);
    component_linker_free(f->l);
    wasi2_ctx_free(f->ctx);
}

static component_val res_val(component_val_kind kind, component_resource_type *t, void *rep)
{
    return (component_val){.kind = kind, .of.resource = {t, (uintptr_t)rep}};
}

static component_val pair(component_val *slots, const char *name, const char *value)
{
    slots[0] = V_STR(name);
    slots[1] = V_BYTES(value, strlen(value));
    return (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {slots, 2}};
}

/* -rc-2023-10-18: fields are built from entries; where 0.2 returns a
 * header-error, the old shapes trap (as Spin's adapter does). */
static void test_fields_1018(void)
{
    fixture f;
    fixture_init(&f);
    const wasi2_http_types *t = f.reg->http;
    component_val slots[2], item = pair(slots, "X-Old", "1"), r;
    component_val list = {.kind = COMPONENT_VAL_LIST, .of.list = {&item, NULL, 1}};
    CHECK_INT(host_call(f.l, f.call, RC1, "[constructor]fields", &list, 1, &r), 0);
    wasi2_http_fields *h = (wasi2_http_fields *)r.of.resource.rep;
    CHECK(h != NULL && h->len == 1 && strcmp(h->items[0].name, "x-old") == 0);
    /* the same type as 0.2's: a 0.2 call takes it */
    component_val args[3] = {res_val(COMPONENT_VAL_BORROW, t->fields, h), V_STR("x-old")};
    CHECK_INT(host_call(f.l, f.call, "wasi:http/types@0.2.3", "[method]fields.has", args, 2, &r),
              0);
    CHECK(r.of.b);
    args[1] = V_STR("x-new");
    args[2] = V_BYTES("2", 1);
    CHECK_INT(host_call(f.l, f.call, RC1, "[method]fields.append", args, 3, NULL), 0);
    CHECK_INT(h->len, 2);
    util_error *err = NULL;
    args[1] = V_STR("connection");
    CHECK_INT(component_linker_call(f.l, RC1, "[method]fields.append", f.call, args, 3, NULL,
                                    &err),
              -1);
    CHECK(err && strstr(err->msg, "header-error forbidden") != NULL);
    util_error_free(&err);
    component_call_reset(f.call);
    item = pair(slots, "bad name", "1");
    CHECK_INT(component_linker_call(f.l, RC1, "[constructor]fields", f.call, &list, 1, &r, &err),
              -1);
    CHECK(err && strstr(err->msg, "invalid-syntax") != NULL);
    util_error_free(&err);
    component_call_reset(f.call);
    wasi2_http_fields_free(h);
    fixture_fini(&f);
}

/* -rc-2023-10-18: outgoing-response from a status and borrowed headers;
 * an invalid status traps. */
static void test_response_1018(void)
{
    fixture f;
    fixture_init(&f);
    const wasi2_http_types *t = f.reg->http;
    wasi2_http_fields *h = wasi2_http_fields_new();
    wasi2_http_fields_add(h, "a", 1, (const uint8_t *)"b", 1);
    component_val args[2] = {V_U16(418), res_val(COMPONENT_VAL_BORROW, t->fields, h)}, r;
    CHECK_INT(host_call(f.l, f.call, RC1, "[constructor]outgoing-response", args, 2, &r), 0);
    wasi2_http_outgoing_response *resp = (wasi2_http_outgoing_response *)r.of.resource.rep;
    CHECK_INT(resp->status, 418);
    CHECK(resp->headers != h && resp->headers->len == 1); /* a copy: h stays the guest's */
    component_val self = res_val(COMPONENT_VAL_BORROW, t->outgoing_response, resp);
    CHECK_INT(host_call(f.l, f.call, RC1, "[method]outgoing-response.write", &self, 1, &r), 0);
    CHECK(ok_of(&r) != NULL);
    wasi2_http_outgoing_body *b = (wasi2_http_outgoing_body *)ok_of(&r)->of.resource.rep;
    CHECK_INT(host_call(f.l, f.call, RC1, "[method]outgoing-response.write", &self, 1, &r), 0);
    CHECK_INT(r.of.variant.disc, 1); /* once */
    /* finish returns nothing in this version */
    component_val fin[2] = {res_val(COMPONENT_VAL_OWN, t->outgoing_body, b),
                            {.kind = COMPONENT_VAL_VARIANT, .of.variant = {0, NULL}}};
    CHECK_INT(host_call(f.l, f.call, RC1, "[static]outgoing-body.finish", fin, 2, NULL), 0);
    wasi2_http_outgoing_response_free(resp);
    args[0] = V_U16(42);
    util_error *err = NULL;
    CHECK_INT(component_linker_call(f.l, RC1, "[constructor]outgoing-response", f.call, args, 2,
                                    &r, &err),
              -1);
    CHECK(err && strstr(err->msg, "invalid status code 42") != NULL);
    util_error_free(&err);
    wasi2_http_fields_free(h);
    fixture_fini(&f);
}

/* future-trailers.get in each version's shape, and a second get. */
static void test_trailers_shapes(void)
{
    fixture f;
    fixture_init(&f);
    const wasi2_http_types *t = f.reg->http;
    for (int v = 0; v < 2; v++) {
        wasi2_http_incoming_body *b = wasi2_http_incoming_body_new(NULL, NULL);
        component_val own = res_val(COMPONENT_VAL_OWN, t->incoming_body, b), r;
        const char *iface = v ? RC2 : RC1;
        CHECK_INT(host_call(f.l, f.call, iface, "[static]incoming-body.finish", &own, 1, &r), 0);
        void *ft = (void *)r.of.resource.rep;
        component_val self = res_val(COMPONENT_VAL_BORROW, t->future_trailers, ft);
        CHECK_INT(host_call(f.l, f.call, iface, "[method]future-trailers.get", &self, 1, &r), 0);
        CHECK_INT(r.of.variant.disc, 1);
        const component_val *res = r.of.variant.payload;
        CHECK_INT(res->of.variant.disc, 0);
        if (v == 0) { /* rc1: no trailers are an empty fields */
            wasi2_http_fields *h = (wasi2_http_fields *)res->of.variant.payload->of.resource.rep;
            CHECK(h != NULL && h->len == 0);
            wasi2_http_fields_free(h);
        } else { /* rc2: option none */
            CHECK_INT(res->of.variant.payload->of.variant.disc, 0);
        }
        util_error *err = NULL;
        CHECK_INT(component_linker_call(f.l, iface, "[method]future-trailers.get", f.call, &self,
                                        1, &r, &err),
                  -1);
        CHECK(err && strstr(err->msg, "already been retrieved") != NULL);
        util_error_free(&err);
        component_call_reset(f.call);
        wasi2_http_future_trailers_free(ft);
    }
    fixture_fini(&f);
}

/* -rc-2023-11-10 is 0.2's shape: from-list and its header-errors; no has. */
static void test_fields_1110(void)
{
    fixture f;
    fixture_init(&f);
    component_val slots[2], item = pair(slots, "Upgrade", "h2c"), r;
    component_val list = {.kind = COMPONENT_VAL_LIST, .of.list = {&item, NULL, 1}};
    CHECK_INT(host_call(f.l, f.call, RC2, "[static]fields.from-list", &list, 1, &r), 0);
    CHECK_INT(err_of(&r), WASI2_HEADER_FORBIDDEN);
    util_error *err = NULL;
    CHECK_INT(component_linker_call(f.l, RC2, "[method]fields.has", f.call, &list, 1, &r, &err),
              -1);
    util_error_free(&err);
    fixture_fini(&f);
}

/* The real rc-2023-10-18 component: each of its wasi:http imports is
 * looked up in wasi2_define's linker and compared, as signature text,
 * with the host's. */
typedef struct import_check {
    const component_linker *l;
    int checked, missing;
    char first[512];
} import_check;

static void check_import(void *env, const char *iface, const char *name,
                         const component_rfunc *func, component_resource_type *res,
                         const component_rtype *vtype)
{
    import_check *c = env;
    if (iface == NULL || strncmp(iface, "wasi:http/", 10) != 0 || (!func && !res))
        return;
    const component_host_interface *hi = component_linker_find(c->l, iface);
    char why[512] = "";
    if (hi == NULL) {
        snprintf(why, sizeof(why), "%s: no such interface", iface);
    } else if (res) {
        if (!component_host_interface_resource(hi, name))
            snprintf(why, sizeof(why), "%s: no resource %s", iface, name);
    } else {
        const component_host_func *hf = component_host_interface_func(hi, name);
        char want[1024], have[1024];
        component_rfunc_format(func, want, sizeof(want));
        if (hf)
            component_rfunc_format(&hf->type, have, sizeof(have));
        if (!hf)
            snprintf(why, sizeof(why), "%s: no function %s", iface, name);
        else if (strcmp(want, have) != 0)
            snprintf(why, sizeof(why), "%s %s: wants %.200s, the host has %.200s", iface, name,
                     want, have);
    }
    c->checked++;
    if (why[0] && c->missing++ == 0)
        snprintf(c->first, sizeof(c->first), "%s", why);
}

static void test_real_rc_component_http_imports(void)
{
    fixture f;
    fixture_init(&f);
    char *bytes = NULL;
    size_t len = 0;
    util_error *err = NULL;
    CHECK_INT(util_read_file(COMPONENTS_DIR "/real/gh-spin-hist-test-sqlite.http-rc20231018.wasm",
                             &bytes, &len, &err),
              0);
    import_check c = {.l = f.l};
    if (bytes && component_visit_imports((uint8_t *)bytes, len, check_import, &c, &err) < 0) {
        fprintf(stderr, "  visit: %s\n", err->msg);
        test_checks_failed++;
    }
    util_error_free(&err);
    CHECK(c.checked >= 10);
    if (c.checked < 10)
        fprintf(stderr, "  checked %d\n", c.checked);
    CHECK_INT(c.missing, 0);
    if (c.missing)
        fprintf(stderr, "  %d missing, first: %s\n", c.missing, c.first);
    /* linking stops at what wasi2 does not serve: sqlite only */
    component_pre *pre =
        bytes ? component_pre_new((uint8_t *)bytes, len, f.l, &err) : NULL;
    CHECK(pre == NULL && err != NULL);
    if (err) {
        CHECK(strstr(err->msg, "fermyon:spin/sqlite") != NULL);
        CHECK(strstr(err->msg, "wasi:http") == NULL);
        util_error_free(&err);
    }
    component_pre_free(pre);
    free(bytes);
    fixture_fini(&f);
}

int main(void)
{
    RUN(test_fields_1018);
    RUN(test_response_1018);
    RUN(test_trailers_shapes);
    RUN(test_fields_1110);
    RUN(test_real_rc_component_http_imports);
    return TEST_SUMMARY();
}
