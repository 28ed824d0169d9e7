/*
 * test_instantiate.c - linking and instantiating components: static
 * resolution of every corpus component against a linker that serves
 * exactly its imports, precise errors for missing or mistyped imports,
 * then instances of real and hand-written (WAT) components called from C.
 */
#include "instance_internal.h"
#include "test.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *read_bytes(const char *path, size_t *len)
{
    char *data = NULL;
    util_error *err = NULL;
    if (util_read_file(path, &data, len, &err) < 0) {
        fprintf(stderr, "%s: %s\n", path, err->msg);
        util_error_free(&err);
        return NULL;
    }
    return (uint8_t *)data;
}

/* ---- a linker that serves exactly what a component imports ----------------- */

typedef struct permissive {
    component_linker *l;
    struct {
        component_resource_type *declared, *host;
    } res[512];
    size_t nres;
    int errors;
    char first_error[512];
} permissive;

static int not_implemented(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    (void)env, (void)args, (void)nargs, (void)result;
    return component_call_trap(call, "not implemented by the test host");
}

static void note_error(permissive *p, util_error **err)
{
    if (!p->errors++)
        snprintf(p->first_error, sizeof p->first_error, "%s", (*err)->msg);
    util_error_free(err);
}

static void permissive_visit(void *env, const char *interface, const char *name,
                             const component_rfunc *func, component_resource_type *res,
                             const component_rtype *vtype)
{
    permissive *p = env;
    util_error *err = NULL;
    char text[4096];
    if (vtype) {
        component_rtype_format(vtype, text, sizeof text);
        if (component_linker_define_type(p->l, interface, name, text, &err) < 0)
            note_error(p, &err);
        return;
    }
    if (res) {
        for (size_t i = 0; i < p->nres; i++) {
            if (p->res[i].declared != res)
                continue;
            /* known here by its name and (as signatures print it) by the
             * name it was first declared with */
            if (component_linker_alias_resource(p->l, interface, name, p->res[i].host, &err) < 0)
                note_error(p, &err);
            if (strcmp(name, res->name) != 0 &&
                !component_host_interface_resource(component_linker_find(p->l, interface),
                                                   res->name) &&
                component_linker_alias_resource(p->l, interface, res->name, p->res[i].host,
                                                &err) < 0)
                note_error(p, &err);
            return;
        }
        component_resource_type *h =
            component_linker_define_resource(p->l, interface, name, NULL, &err);
        if (!h) {
            note_error(p, &err);
            return;
        }
        if (p->nres < UTIL_ARRAY_LEN(p->res))
            p->res[p->nres].declared = res, p->res[p->nres++].host = h;
        return;
    }
    component_rfunc_format(func, text, sizeof text);
    if (component_linker_define_func(p->l, interface, name, text, not_implemented, NULL, &err) < 0)
        note_error(p, &err);
}

/* A linker serving every import of `bytes` with functions that trap. */
static component_linker *permissive_linker(const uint8_t *bytes, size_t len, char *why,
                                           size_t cap)
{
    permissive *p = util_xcalloc(1, sizeof *p);
    util_error *err = NULL;
    p->l = component_linker_new();
    if (component_visit_imports(bytes, len, permissive_visit, p, &err) < 0) {
        snprintf(why, cap, "visit: %s", err->msg);
        util_error_free(&err);
        component_linker_free(p->l);
        free(p);
        return NULL;
    }
    component_linker *l = p->l;
    if (p->errors) {
        snprintf(why, cap, "linker: %s", p->first_error);
        component_linker_free(l);
        l = NULL;
    }
    free(p);
    return l;
}

/* ---- (a) every corpus component resolves and compiles ----------------------- */

static int corpus_ok, corpus_failed;

static int visit_corpus(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    size_t n = strlen(path), len;
    if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".wasm") != 0)
        return 0;
    uint8_t *bytes = read_bytes(path, &len);
    if (!bytes || !component_is_component(bytes, len)) {
        free(bytes);
        return 0;
    }
    char why[1024] = "";
    component_linker *l = permissive_linker(bytes, len, why, sizeof why);
    util_error *err = NULL;
    component_pre *pre = l ? component_pre_new(bytes, len, l, &err) : NULL;
    if (pre) {
        corpus_ok++;
    } else {
        corpus_failed++;
        fprintf(stderr, "  %s: %s\n", path + strlen(COMPONENTS_DIR) + 1, err ? err->msg : why);
    }
    util_error_free(&err);
    component_pre_free(pre);
    component_linker_free(l);
    free(bytes);
    return 0;
}

static void test_corpus_resolves(void)
{
    corpus_ok = corpus_failed = 0;
    CHECK_INT(nftw(COMPONENTS_DIR, visit_corpus, 16, FTW_PHYS), 0);
    fprintf(stderr, "  corpus: %d resolved, %d refused\n", corpus_ok, corpus_failed);
    CHECK_INT(corpus_failed, 0);
    CHECK(corpus_ok >= 60);
}

/* ---- precise errors for imports the host does not serve -------------------- */

static uint8_t *wat_component(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/component_%s.wasm", WASM_DIR, name);
    return read_bytes(path, len);
}

static int answer_u32(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    (void)call, (void)args, (void)nargs;
    result->kind = COMPONENT_VAL_U32;
    result->of.u = (uintptr_t)env;
    return 0;
}

/* pre_new's error for import_api.wat against `l` ("" if it links). */
static char *link_error(component_linker *l)
{
    size_t len;
    uint8_t *bytes = wat_component("import_api", &len);
    util_error *err = NULL;
    component_pre *pre = bytes ? component_pre_new(bytes, len, l, &err) : NULL;
    char *msg = util_xstrdup(pre ? "" : err ? err->msg : "no input");
    util_error_free(&err);
    component_pre_free(pre);
    free(bytes);
    return msg;
}

#define CHECK_LINK_ERROR(l, expect)                                                          \
    do {                                                                                     \
        char *got_ = link_error(l);                                                          \
        CHECK_STR(got_, expect);                                                             \
        free(got_);                                                                          \
    } while (0)

static void test_import_errors(void)
{
    util_error *err = NULL;
    component_linker *l = component_linker_new();
    CHECK_LINK_ERROR(l, "import test:x/api@1.0.0: the host has no such interface");

    /* only another major version */
    CHECK(component_linker_define_func(l, "test:x/api@2.0.0", "get", "func() -> u32", answer_u32,
                                       NULL, &err) == 0);
    CHECK_LINK_ERROR(l, "import test:x/api@1.0.0: the host has no such interface version "
                        "(it has test:x/api@2.0.0)");

    /* the interface, without the resource, then without the function */
    CHECK(component_linker_define_func(l, "test:x/api@1.2.0", "other", "func()", answer_u32, NULL,
                                       &err) == 0);
    CHECK_LINK_ERROR(l, "import test:x/api@1.0.0: the host has no resource blob");
    CHECK(component_linker_define_resource(l, "test:x/api@1.2.0", "blob", NULL, &err) != NULL);
    CHECK_LINK_ERROR(l, "import test:x/api@1.0.0: function get: the host has no such function");

    /* the function with another type */
    CHECK(component_linker_define_func(l, "test:x/api@1.2.0", "get", "func() -> string",
                                       answer_u32, NULL, &err) == 0);
    char *msg = link_error(l);
    CHECK(strncmp(msg, "import test:x/api@1.0.0: function get: the host has func() -> string, "
                       "the component expects func() -> u32 (", 92) == 0);
    free(msg);
    component_linker_free(l);

    /* served as declared: it links */
    l = component_linker_new();
    CHECK(component_linker_define_resource(l, "test:x/api@1.0.1", "blob", NULL, &err) != NULL);
    CHECK(component_linker_define_func(l, "test:x/api@1.0.1", "get", "func() -> u32", answer_u32,
                                       NULL, &err) == 0);
    CHECK_LINK_ERROR(l, "");
    component_linker_free(l);
    CHECK(err == NULL);
}

/* ---- instances ----------------------------------------------------------------- */

typedef struct running {
    uint8_t *bytes;
    size_t len;
    component_pre *pre;
    wasm_store *store;
    component_instance *inst;
    wasm_result res;
} running;

/* Links and instantiates `bytes` (taken) with `l`; false with a message. */
static bool start(running *r, uint8_t *bytes, size_t len, const component_linker *l, void *data)
{
    util_error *err = NULL;
    memset(r, 0, sizeof *r);
    r->bytes = bytes;
    r->len = len;
    if (!bytes)
        return false;
    r->pre = component_pre_new(bytes, len, l, &err);
    if (!r->pre) {
        fprintf(stderr, "  pre_new: %s\n", err->msg);
        util_error_free(&err);
        return false;
    }
    r->store = wasm_store_new(NULL);
    r->inst = component_instantiate(r->pre, r->store, data, &r->res);
    if (!r->inst)
        fprintf(stderr, "  instantiate: %s\n", r->res.message);
    return r->inst != NULL;
}

static void stop(running *r)
{
    component_instance_free(r->inst);
    wasm_store_free(r->store);
    component_pre_free(r->pre);
    free(r->bytes);
}

/* Calls a function of no parameters and no result; its wasm_result kind. */
static wasm_result_kind call_void(running *r, const char *name)
{
    const component_func *f = component_instance_func(r->inst, NULL, name);
    if (!f)
        return (wasm_result_kind)-1;
    if (component_func_call(r->inst, f, NULL, 0, NULL, &r->res) < 0)
        return r->res.kind;
    if (component_func_post_return(r->inst, f, &r->res) < 0)
        return r->res.kind;
    return WASM_OK;
}

static void test_simple_component(void)
{
    size_t len;
    uint8_t *bytes = read_bytes(COMPONENTS_DIR "/real/gh-runwasi-simple_component.wasm", &len);
    component_linker *l = component_linker_new();
    running r;
    CHECK(start(&r, bytes, len, l, NULL));
    component_linker_free(l);
    if (r.inst) {
        const component_func *f = component_instance_func(r.inst, NULL, "thunk");
        CHECK(f != NULL);
        if (f)
            CHECK_STR(component_func_signature(f), "func()");
        CHECK(component_instance_func(r.inst, NULL, "no-such") == NULL);
        CHECK(component_instance_func(r.inst, "thunk", "thunk") == NULL);
        CHECK_INT(call_void(&r, "thunk"), WASM_OK);
        CHECK_INT(call_void(&r, "thunk"), WASM_OK);
        CHECK_INT(call_void(&r, "thunk-trap"), WASM_TRAP);
        CHECK_STR(r.res.message, "unreachable");
        /* a trap poisons the instance (the spec's may_enter) */
        CHECK_INT(call_void(&r, "thunk"), WASM_TRAP);
        CHECK_STR(r.res.message, "cannot enter component instance");
    }
    stop(&r);
}

/* ---- values both ways (wat/values.wat) ------------------------------------------ */

static int host_double(component_call *call, void *env, const component_val *args, size_t nargs,
                       component_val *result)
{
    (void)call, (void)env, (void)nargs;
    result->kind = COMPONENT_VAL_U32;
    result->of.u = args[0].of.u * 2;
    return 0;
}

static int host_greet(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    (void)env, (void)nargs;
    size_t n = args[0].of.str.len;
    char *out = component_call_alloc(call, n + 7);
    if (!out)
        return component_call_trap(call, "out of memory");
    memcpy(out, "hello, ", 7);
    memcpy(out + 7, args[0].of.str.ptr, n);
    result->kind = COMPONENT_VAL_STRING;
    result->of.str.ptr = out;
    result->of.str.len = n + 7;
    return 0;
}

static int host_sum(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)call, (void)env, (void)nargs;
    uint64_t total = 0;
    for (size_t i = 0; i < args[0].of.list.n; i++) {
        uint32_t x;
        if (args[0].of.list.raw)
            memcpy(&x, (const uint8_t *)args[0].of.list.raw + 4 * i, 4);
        else
            x = (uint32_t)args[0].of.list.items[i].of.u;
        total += x;
    }
    result->kind = COMPONENT_VAL_U64;
    result->of.u = total;
    return 0;
}

static component_linker *values_linker(void)
{
    util_error *err = NULL;
    component_linker *l = component_linker_new();
    const char *api = "test:v/host@1.0.0";
    CHECK(component_linker_define_func(l, api, "double", "func(x: u32) -> u32", host_double,
                                       NULL, &err) == 0);
    CHECK(component_linker_define_func(l, api, "greet", "func(name: string) -> string",
                                       host_greet, NULL, &err) == 0);
    CHECK(component_linker_define_func(l, api, "sum", "func(xs: list<u32>) -> u64", host_sum,
                                       NULL, &err) == 0);
    CHECK(err == NULL);
    return l;
}

/* Calls `name` with one argument; the result stays valid until done(). */
static bool call1(running *r, const char *name, component_val arg, component_val *result)
{
    const component_func *f = component_instance_func(r->inst, NULL, name);
    if (!f) {
        fprintf(stderr, "  no export %s\n", name);
        return false;
    }
    if (component_func_call(r->inst, f, &arg, 1, result, &r->res) < 0) {
        fprintf(stderr, "  %s: %s\n", name, r->res.message);
        return false;
    }
    return true;
}

static void done(running *r, const char *name)
{
    const component_func *f = component_instance_func(r->inst, NULL, name);
    CHECK(f && component_func_post_return(r->inst, f, &r->res) == 0);
}

#define VAL(k, field, v) ((component_val){.kind = COMPONENT_VAL_##k, .of.field = (v)})

#define CHECK_ECHO(r, name, k, field, v)                                                      \
    do {                                                                                      \
        component_val out_;                                                                   \
        CHECK(call1(r, name, VAL(k, field, v), &out_));                                       \
        CHECK_INT(out_.kind, COMPONENT_VAL_##k);                                              \
        CHECK(out_.of.field == (v));                                                          \
        done(r, name);                                                                        \
    } while (0)

static component_val str_val(const char *s)
{
    component_val v = {.kind = COMPONENT_VAL_STRING};
    v.of.str.ptr = s;
    v.of.str.len = strlen(s);
    return v;
}

static bool str_is(const component_val *v, const char *s)
{
    return v->kind == COMPONENT_VAL_STRING && v->of.str.len == strlen(s) &&
           memcmp(v->of.str.ptr, s, v->of.str.len) == 0;
}

static void test_values_numbers(void)
{
    size_t len;
    uint8_t *bytes = wat_component("values", &len);
    component_linker *l = values_linker();
    running r;
    CHECK(start(&r, bytes, len, l, NULL));
    component_linker_free(l);
    if (!r.inst) {
        stop(&r);
        return;
    }
    CHECK_ECHO(&r, "echo-bool", BOOL, b, true);
    CHECK_ECHO(&r, "echo-bool", BOOL, b, false);
    CHECK_ECHO(&r, "echo-u8", U8, u, 200);
    CHECK_ECHO(&r, "echo-s8", S8, s, -5);
    CHECK_ECHO(&r, "echo-u16", U16, u, 65535);
    CHECK_ECHO(&r, "echo-s16", S16, s, -32768);
    CHECK_ECHO(&r, "echo-u32", U32, u, 4000000000u);
    CHECK_ECHO(&r, "echo-s32", S32, s, INT32_MIN);
    CHECK_ECHO(&r, "echo-char", CHAR, ch, 0x1F600);
    CHECK_ECHO(&r, "echo-u64", U64, u, UINT64_MAX);
    CHECK_ECHO(&r, "echo-s64", S64, s, INT64_MIN);
    CHECK_ECHO(&r, "echo-f32", F32, f32, 1.5f);
    CHECK_ECHO(&r, "echo-f64", F64, f64, -2.25);
    CHECK_ECHO(&r, "echo-flags", FLAGS, flags, 5);
    component_val out;
    CHECK(call1(&r, "echo-enum", (component_val){.kind = COMPONENT_VAL_VARIANT,
                                                 .of.variant.disc = 2}, &out));
    CHECK_INT(out.kind, COMPONENT_VAL_VARIANT);
    CHECK_INT(out.of.variant.disc, 2);
    done(&r, "echo-enum");
    const component_func *f = component_instance_func(r.inst, NULL, "echo-u8");
    CHECK_STR(component_func_signature(f), "func(x: u8) -> u8");
    /* the wrong number of arguments is refused, not lowered */
    CHECK(component_func_call(r.inst, f, NULL, 0, &out, &r.res) < 0);
    /* a call before the previous post-return is refused */
    CHECK(call1(&r, "echo-u8", VAL(U8, u, 1), &out));
    CHECK(component_func_call(r.inst, f, &(component_val){.kind = COMPONENT_VAL_U8}, 1, &out,
                              &r.res) < 0);
    CHECK_STR(r.res.message, "post-return of the previous call has not run");
    done(&r, "echo-u8");
    stop(&r);
}

static void test_values_memory(void)
{
    size_t len;
    uint8_t *bytes = wat_component("values", &len);
    component_linker *l = values_linker();
    running r;
    CHECK(start(&r, bytes, len, l, NULL));
    component_linker_free(l);
    if (!r.inst) {
        stop(&r);
        return;
    }
    component_val out;
    /* strings through realloc, and post-return runs */
    CHECK(call1(&r, "echo-string", str_val("h\xc3\xa9llo"), &out));
    CHECK(str_is(&out, "h\xc3\xa9llo"));
    done(&r, "echo-string");
    CHECK(call1(&r, "posts", (component_val){0}, &out) == false); /* posts takes none */
    const component_func *posts = component_instance_func(r.inst, NULL, "posts");
    CHECK(component_func_call(r.inst, posts, NULL, 0, &out, &r.res) == 0);
    CHECK_INT(out.of.u, 1);
    CHECK(component_func_post_return(r.inst, posts, &r.res) == 0);

    /* lists of numbers both ways (raw little-endian) */
    uint16_t in16[3] = {1, 2, 65535};
    component_val lv = {.kind = COMPONENT_VAL_LIST};
    lv.of.list.raw = in16;
    lv.of.list.n = 3;
    CHECK(call1(&r, "echo-list", lv, &out));
    CHECK_INT(out.kind, COMPONENT_VAL_LIST);
    CHECK_INT(out.of.list.n, 3);
    CHECK(out.of.list.raw && memcmp(out.of.list.raw, in16, 6) == 0);
    done(&r, "echo-list");

    /* tuples: flattened in, through memory out */
    component_val fields[2] = {VAL(U32, u, 7), str_val("x")};
    component_val tv = {.kind = COMPONENT_VAL_RECORD};
    tv.of.record.fields = fields;
    tv.of.record.n = 2;
    CHECK(call1(&r, "swap", tv, &out));
    CHECK(out.kind == COMPONENT_VAL_RECORD && out.of.record.n == 2);
    if (out.of.record.n == 2) {
        CHECK(str_is(&out.of.record.fields[0], "x"));
        CHECK_INT(out.of.record.fields[1].of.u, 7);
    }
    done(&r, "swap");

    /* options and results */
    component_val payload = VAL(U32, u, 41);
    component_val some = {.kind = COMPONENT_VAL_VARIANT};
    some.of.variant.disc = 1;
    some.of.variant.payload = &payload;
    CHECK(call1(&r, "opt-inc", some, &out));
    CHECK(out.of.variant.disc == 1 && out.of.variant.payload && out.of.variant.payload->of.u == 42);
    done(&r, "opt-inc");
    component_val none = {.kind = COMPONENT_VAL_VARIANT};
    CHECK(call1(&r, "opt-inc", none, &out));
    CHECK(out.of.variant.disc == 0 && out.of.variant.payload == NULL);
    done(&r, "opt-inc");
    CHECK(call1(&r, "check", VAL(U32, u, 5), &out));
    CHECK(out.of.variant.disc == 0 && out.of.variant.payload && out.of.variant.payload->of.u == 5);
    done(&r, "check");
    CHECK(call1(&r, "check", VAL(U32, u, 500), &out));
    CHECK(out.of.variant.disc == 1 && out.of.variant.payload &&
          str_is(out.of.variant.payload, "big"));
    done(&r, "check");
    stop(&r);
}

static void test_values_host_imports(void)
{
    size_t len;
    uint8_t *bytes = wat_component("values", &len);
    component_linker *l = values_linker();
    running r;
    CHECK(start(&r, bytes, len, l, NULL));
    component_linker_free(l);
    if (!r.inst) {
        stop(&r);
        return;
    }
    component_val out;
    CHECK(call1(&r, "call-double", VAL(U32, u, 21), &out));
    CHECK_INT(out.of.u, 42);
    done(&r, "call-double");
    CHECK(call1(&r, "call-greet", str_val("bob"), &out));
    CHECK(str_is(&out, "hello, bob"));
    done(&r, "call-greet");
    uint32_t xs[4] = {1, 2, 3, 4000000000u};
    component_val lv = {.kind = COMPONENT_VAL_LIST};
    lv.of.list.raw = xs;
    lv.of.list.n = 4;
    CHECK(call1(&r, "call-sum", lv, &out));
    CHECK(out.of.u == 4000000006ull);
    done(&r, "call-sum");
    stop(&r);
}

int main(void)
{
    RUN(test_corpus_resolves);
    RUN(test_import_errors);
    RUN(test_simple_component);
    RUN(test_values_numbers);
    RUN(test_values_memory);
    RUN(test_values_host_imports);
    return TEST_SUMMARY();
}
