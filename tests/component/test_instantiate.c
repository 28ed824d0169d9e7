/*
 * test_instantiate.c - linking and instantiating components: static
 * resolution of every corpus component against a linker that serves
 * exactly its imports, precise errors for missing or mistyped imports,
 * then instances of real and hand-written (WAT) components called from C.
 */
#include "instance_internal.h"
#include "test.h"

#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A host function the test implements, by interface (without version) and
 * name; every other import gets not_implemented. */
typedef struct impl {
    const char *interface, *name;
    component_host_fn fn;
} impl;

typedef struct permissive {
    component_linker *l;
    const impl *impls;
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
    component_host_fn fn = not_implemented;
    for (const impl *i = p->impls; i && i->name; i++) {
        size_t n = strlen(i->interface);
        if (interface && strncmp(interface, i->interface, n) == 0 &&
            (interface[n] == '@' || !interface[n]) && strcmp(name, i->name) == 0)
            fn = i->fn;
    }
    if (component_linker_define_func(p->l, interface, name, text, fn, NULL, &err) < 0)
        note_error(p, &err);
}

/* A linker serving every import of `bytes` with functions that trap. */
static component_linker *permissive_linker(const uint8_t *bytes, size_t len, const impl *impls,
                                           char *why, size_t cap)
{
    permissive *p = util_xcalloc(1, sizeof *p);
    util_error *err = NULL;
    p->l = component_linker_new();
    p->impls = impls;
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

static int corpus_ok, corpus_failed, corpus_instantiated, corpus_cores, corpus_planned;

/* Core instantiations in p and its nested pcomps, and how many of them
 * the pre linked by position (coreplan.c). */
static void count_plans(const pcomp *p, int *cores, int *planned)
{
    for (uint32_t d = 0; d < p->c->ninstances; d++) {
        const component_instance_def *def = &p->c->instances[d];
        if (def->core && def->instantiate) {
            (*cores)++;
            *planned += p->core_plans && p->core_plans[d];
        }
        if (p->children[d])
            count_plans(p->children[d], cores, planned);
    }
}

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
    component_linker *l = permissive_linker(bytes, len, NULL, why, sizeof why);
    util_error *err = NULL;
    component_pre *pre = l ? component_pre_new(bytes, len, l, &err) : NULL;
    if (pre) {
        corpus_ok++;
        count_plans(pre->top, &corpus_cores, &corpus_planned);
        /* instantiation runs start functions only: imports are not called */
        wasm_store *store = wasm_store_new(NULL);
        wasm_result res;
        component_instance *inst = component_instantiate(pre, store, NULL, &res);
        if (inst)
            corpus_instantiated++;
        else
            fprintf(stderr, "  %s: instantiate: %s\n", path + strlen(COMPONENTS_DIR) + 1,
                    res.message);
        component_instance_free(inst);
        wasm_store_free(store);
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
    corpus_ok = corpus_failed = corpus_instantiated = corpus_cores = corpus_planned = 0;
    CHECK_INT(nftw(COMPONENTS_DIR, visit_corpus, 16, FTW_PHYS), 0);
    fprintf(stderr, "  corpus: %d resolved, %d refused, %d instantiated; %d of %d core "
            "instantiations linked by position\n", corpus_ok, corpus_failed,
            corpus_instantiated, corpus_planned, corpus_cores);
    /* every core instantiation of the corpus is linked by position, once
     * per pre (none needs its names looked up per instance) */
    CHECK(corpus_cores > 100);
    CHECK_INT(corpus_planned, corpus_cores);
    CHECK_INT(corpus_failed, 0);
    CHECK_INT(corpus_ok, 62);
    CHECK_INT(corpus_instantiated, corpus_ok);
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

/* Starts the WAT component `name` with `l` (freed here; the pre keeps
 * what it needs); false, with nothing left to stop, if it did not start. */
static bool start_wat(running *r, const char *name, component_linker *l)
{
    size_t len;
    uint8_t *bytes = wat_component(name, &len);
    bool started = start(r, bytes, len, l, NULL);
    CHECK(started);
    component_linker_free(l);
    if (!started)
        stop(r);
    return started;
}

/* Starts the component at `path` with a permissive linker serving `impls`,
 * stored in *l (to free after stop(); NULL if none) before the start, as
 * host functions may look their resources up in it. */
static void start_permissive(running *r, const char *path, const impl *impls,
                             component_linker **l)
{
    size_t len;
    uint8_t *bytes = read_bytes(path, &len);
    char why[512] = "";
    *l = bytes ? permissive_linker(bytes, len, impls, why, sizeof why) : NULL;
    CHECK(start(r, bytes, len, *l, NULL));
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
    if (n == 4 && memcmp(args[0].of.str.ptr, "trap", 4) == 0)
        return component_call_trap(call, "greet refuses %.*s", (int)n, args[0].of.str.ptr);
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
    running r;
    if (!start_wat(&r, "values", values_linker()))
        return;
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
    running r;
    if (!start_wat(&r, "values", values_linker()))
        return;
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
    running r;
    if (!start_wat(&r, "values", values_linker()))
        return;
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
    /* a host function's trap reaches the caller of the export */
    CHECK(!call1(&r, "call-greet", str_val("trap"), &out));
    CHECK_INT(r.res.kind, WASM_TRAP);
    CHECK_STR(r.res.message, "greet refuses trap");
    stop(&r);
}

/* ---- resources (wat/resources.wat) --------------------------------------------- */

typedef struct counter {
    uint32_t value;
} counter;

static int counters_live, counters_freed;
static component_resource_type *counter_type;

static void counter_dtor(uintptr_t rep)
{
    free((counter *)rep);
    counters_live--;
    counters_freed++;
}

static counter *new_counter(uint32_t v)
{
    counter *c = util_xcalloc(1, sizeof *c);
    c->value = v;
    counters_live++;
    return c;
}

static int counter_new(component_call *call, void *env, const component_val *args, size_t nargs,
                       component_val *result)
{
    (void)call, (void)env, (void)nargs;
    result->kind = COMPONENT_VAL_OWN;
    result->of.resource.type = counter_type;
    result->of.resource.rep = (uintptr_t)new_counter((uint32_t)args[0].of.u);
    return 0;
}

static int counter_get(component_call *call, void *env, const component_val *args, size_t nargs,
                       component_val *result)
{
    (void)env, (void)nargs;
    if (args[0].kind != COMPONENT_VAL_BORROW || args[0].of.resource.type != counter_type)
        return component_call_trap(call, "not a borrowed counter");
    result->kind = COMPONENT_VAL_U32;
    result->of.u = ((counter *)args[0].of.resource.rep)->value;
    return 0;
}

static component_linker *resources_linker(void)
{
    util_error *err = NULL;
    component_linker *l = component_linker_new();
    const char *api = "test:r/host@1.0.0";
    counter_type = component_linker_define_resource(l, api, "counter", counter_dtor, &err);
    CHECK(counter_type != NULL);
    CHECK(component_linker_define_func(l, api, "[constructor]counter",
                                       "func(start: u32) -> own<counter>", counter_new, NULL,
                                       &err) == 0);
    CHECK(component_linker_define_func(l, api, "[method]counter.get",
                                       "func(self: borrow<counter>) -> u32", counter_get, NULL,
                                       &err) == 0);
    CHECK(err == NULL);
    return l;
}

static uint64_t call_u32(running *r, const char *name, component_val arg)
{
    component_val out = {0};
    if (!call1(r, name, arg, &out))
        return UINT64_MAX;
    done(r, name);
    return out.of.u;
}

static void test_host_resources(void)
{
    running r;
    counters_live = counters_freed = 0;
    if (!start_wat(&r, "resources", resources_linker()))
        return;
    /* made by the guest, borrowed by a method, dropped: the host dtor ran */
    CHECK_INT(call_u32(&r, "use-counter", VAL(U32, u, 5)), 5);
    CHECK_INT(counters_live, 0);
    CHECK_INT(counters_freed, 1);
    /* an own the host gives the guest, which keeps it: the instance frees it */
    component_val own = {.kind = COMPONENT_VAL_OWN};
    own.of.resource.type = counter_type;
    own.of.resource.rep = (uintptr_t)new_counter(9);
    CHECK_INT(call_u32(&r, "keep-counter", own), 9);
    CHECK_INT(counters_live, 1);
    /* dropping a handle twice traps */
    component_val out;
    CHECK(!call1(&r, "drop-twice", VAL(U32, u, 1), &out));
    CHECK_INT(r.res.kind, WASM_TRAP);
    CHECK_INT(counters_freed, 2);
    stop(&r);
    CHECK_INT(counters_live, 0);
    CHECK_INT(counters_freed, 3);
}

/* Two instances of one pre, each in its own store, as two requests: the
 * first leaves a host resource in its handle table (handle 1) and hands
 * a guest resource out; the second's table is fresh (handle 1 is
 * nothing), and the first's resource was destroyed with it. */
static void test_fresh_handles_per_instance(void)
{
    size_t len;
    uint8_t *bytes = wat_component("resources", &len);
    component_linker *l = resources_linker();
    util_error *err = NULL;
    component_pre *pre = bytes ? component_pre_new(bytes, len, l, &err) : NULL;
    CHECK(pre != NULL);
    counters_live = counters_freed = 0;
    char msg[2][256] = {"", ""};
    for (int round = 0; pre && round < 2; round++) {
        running r = {.pre = pre, .store = wasm_store_new(NULL)};
        r.inst = component_instantiate(pre, r.store, NULL, &r.res);
        CHECK(r.inst != NULL);
        if (r.inst && round == 0) {
            component_val own = {.kind = COMPONENT_VAL_OWN};
            own.of.resource.type = counter_type;
            own.of.resource.rep = (uintptr_t)new_counter(9);
            CHECK_INT(call_u32(&r, "keep-counter", own), 9);
            component_val t;
            CHECK(call1(&r, "[constructor]thing", VAL(U32, u, 5), &t));
            done(&r, "[constructor]thing");
            CHECK_INT(t.of.resource.rep, 5);
            CHECK_INT(counters_live, 1);
        }
        /* handle 1: the kept counter (round 0), nothing (round 1) */
        component_val out;
        CHECK(r.inst && !call1(&r, "bad-rep", VAL(U32, u, 1), &out));
        CHECK_INT(r.res.kind, WASM_TRAP);
        snprintf(msg[round], sizeof msg[round], "%s", r.res.message);
        component_instance_free(r.inst);
        wasm_store_free(r.store);
        CHECK_INT(counters_live, 0);
    }
    fprintf(stderr, "  handle 1 in the first instance: %s\n  in the second: %s\n", msg[0],
            msg[1]);
    CHECK(strstr(msg[0], "counter") != NULL);
    CHECK(strstr(msg[1], "counter") == NULL);
    CHECK(strcmp(msg[0], msg[1]) != 0);
    util_error_free(&err);
    component_pre_free(pre);
    component_linker_free(l);
    free(bytes);
}

static void test_guest_resources(void)
{
    running r;
    if (!start_wat(&r, "resources", resources_linker()))
        return;
    component_val t;
    CHECK(call1(&r, "[constructor]thing", VAL(U32, u, 7), &t));
    CHECK_INT(t.kind, COMPONENT_VAL_OWN);
    CHECK_INT(t.of.resource.rep, 7);
    component_val thing = t;
    done(&r, "[constructor]thing");
    /* a borrow lent back to the owner: it sees its rep */
    component_val b = thing;
    b.kind = COMPONENT_VAL_BORROW;
    CHECK_INT(call_u32(&r, "[method]thing.value", b), 70);
    CHECK_INT(call_u32(&r, "drops", (component_val){0}), UINT64_MAX); /* drops takes none */
    /* own transfer back into the guest, which drops it: its dtor runs */
    CHECK_INT(call_u32(&r, "consume", thing), 7);
    const component_func *drops = component_instance_func(r.inst, NULL, "drops");
    const component_func *last = component_instance_func(r.inst, NULL, "last");
    component_val n;
    CHECK(component_func_call(r.inst, drops, NULL, 0, &n, &r.res) == 0 && n.of.u == 1);
    CHECK(component_func_post_return(r.inst, drops, &r.res) == 0);
    CHECK(component_func_call(r.inst, last, NULL, 0, &n, &r.res) == 0 && n.of.u == 7);
    CHECK(component_func_post_return(r.inst, last, &r.res) == 0);
    /* the host drops one it holds: the guest's dtor runs */
    CHECK(call1(&r, "[constructor]thing", VAL(U32, u, 8), &t));
    thing = t;
    done(&r, "[constructor]thing");
    CHECK(component_resource_drop(r.inst, &thing, &r.res) == 0);
    CHECK(component_func_call(r.inst, last, NULL, 0, &n, &r.res) == 0 && n.of.u == 8);
    CHECK(component_func_post_return(r.inst, last, &r.res) == 0);
    /* a handle that is none traps */
    component_val out;
    CHECK(!call1(&r, "bad-rep", VAL(U32, u, 99), &out));
    CHECK_INT(r.res.kind, WASM_TRAP);
    fprintf(stderr, "  bad handle: %s\n", r.res.message);
    stop(&r);
}

/* ---- components calling components (wat/nested.wat) ----------------------------- */

static void test_nested(void)
{
    running r;
    if (!start_wat(&r, "nested", component_linker_new()))
        return;
    component_val out;
    /* outer core -> inner component, twice */
    CHECK_INT(call_u32(&r, "twice-add1", VAL(U32, u, 40)), 42);
    /* a string lowered from the outer memory into the inner one and back */
    CHECK(call1(&r, "outer-shout", str_val("hello, nested"), &out));
    CHECK(str_is(&out, "HELLO, NESTED"));
    done(&r, "outer-shout");
    /* the inner instance's export, through an exported instance */
    const component_func *add1 = component_instance_func(r.inst, "inner", "add1");
    CHECK(add1 != NULL);
    if (add1) {
        component_val x = VAL(U32, u, 1);
        CHECK(component_func_call(r.inst, add1, &x, 1, &out, &r.res) == 0 && out.of.u == 2);
        CHECK(component_func_post_return(r.inst, add1, &r.res) == 0);
    }
    /* inner calls back into the outer instance, which is not on the stack */
    const component_func *cb = component_instance_func(r.inst, NULL, "inner-call-cb");
    CHECK(cb && component_func_call(r.inst, cb, NULL, 0, &out, &r.res) == 0 && out.of.u == 7);
    CHECK(cb && component_func_post_return(r.inst, cb, &r.res) == 0);
    /* ... and while it is: may_enter traps */
    const component_func *re = component_instance_func(r.inst, NULL, "reenter");
    CHECK(re && component_func_call(r.inst, re, NULL, 0, &out, &r.res) < 0);
    CHECK_INT(r.res.kind, WASM_TRAP);
    CHECK_STR(r.res.message, "cannot enter component instance");
    stop(&r);
}

/* ---- real components with a small WASI host -------------------------------------- */

static char wasi_out[4096];
static size_t wasi_out_len;
static component_linker *wasi_linker;

static component_resource_type *host_resource(const char *interface, const char *name)
{
    return component_host_interface_resource(component_linker_find(wasi_linker, interface), name);
}

static int own_stream(component_val *result, const char *interface, const char *name, int fd)
{
    result->kind = COMPONENT_VAL_OWN;
    result->of.resource.type = host_resource(interface, name);
    result->of.resource.rep = (uintptr_t)fd;
    return 0;
}

static int get_stdout(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    return own_stream(result, "wasi:io/streams@0.2.12", "output-stream", 1);
}

static int get_stderr(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    return own_stream(result, "wasi:io/streams@0.2.12", "output-stream", 2);
}

static int get_stdin(component_call *call, void *env, const component_val *args, size_t nargs,
                     component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    return own_stream(result, "wasi:io/streams@0.2.12", "input-stream", 0);
}

static int no_terminal(component_call *call, void *env, const component_val *args, size_t nargs,
                       component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    result->kind = COMPONENT_VAL_VARIANT; /* option: none */
    return 0;
}

static int no_directories(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    result->kind = COMPONENT_VAL_LIST;
    return 0;
}

static int check_write(component_call *call, void *env, const component_val *args, size_t nargs,
                       component_val *result)
{
    (void)env, (void)args, (void)nargs;
    component_val *n = component_call_vals(call, 1);
    n->kind = COMPONENT_VAL_U64;
    n->of.u = 4096;
    result->kind = COMPONENT_VAL_VARIANT;
    result->of.variant.payload = n;
    return 0;
}

static int stream_write(component_call *call, void *env, const component_val *args, size_t nargs,
                        component_val *result)
{
    (void)call, (void)env, (void)nargs;
    const component_val *bytes = &args[1];
    size_t n = bytes->of.list.n;
    if (wasi_out_len + n > sizeof wasi_out)
        return component_call_trap(call, "test stdout full");
    if (args[0].of.resource.rep == 1) {
        memcpy(wasi_out + wasi_out_len, bytes->of.list.raw, n);
        wasi_out_len += n;
    }
    result->kind = COMPONENT_VAL_VARIANT; /* ok */
    return 0;
}

static int stream_flush(component_call *call, void *env, const component_val *args, size_t nargs,
                        component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    result->kind = COMPONENT_VAL_VARIANT; /* ok */
    return 0;
}

static const char *const *wasi_argv;
static size_t wasi_argc;

static component_val *strings(component_call *call, const char *const *v, size_t n)
{
    component_val *items = component_call_vals(call, n);
    for (size_t i = 0; items && i < n; i++)
        items[i] = str_val(v[i]);
    return items;
}

static int get_arguments(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    (void)env, (void)args, (void)nargs;
    result->kind = COMPONENT_VAL_LIST;
    result->of.list.items = strings(call, wasi_argv, wasi_argc);
    result->of.list.n = wasi_argc;
    return 0;
}

static int get_environment(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    (void)env, (void)args, (void)nargs;
    static const char *const kv[] = {"WHO", "tester"};
    component_val *pair = component_call_vals(call, 1);
    pair->kind = COMPONENT_VAL_RECORD;
    pair->of.record.fields = strings(call, kv, 2);
    pair->of.record.n = 2;
    result->kind = COMPONENT_VAL_LIST;
    result->of.list.items = pair;
    result->of.list.n = 1;
    return 0;
}

static int wall_now(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    (void)env, (void)args, (void)nargs;
    component_val *f = component_call_vals(call, 2);
    f[0] = VAL(U64, u, 1800000000);
    f[1] = VAL(U32, u, 5);
    result->kind = COMPONENT_VAL_RECORD;
    result->of.record.fields = f;
    result->of.record.n = 2;
    return 0;
}

static int monotonic_now(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    *result = VAL(U64, u, 123456789);
    return 0;
}

static int no_cwd(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    result->kind = COMPONENT_VAL_VARIANT;
    return 0;
}

static int wasi_exit(component_call *call, void *env, const component_val *args, size_t nargs,
                     component_val *result)
{
    (void)env, (void)nargs, (void)result;
    return component_call_exit(call, args[0].of.variant.disc == 0 ? 0 : 1);
}

static const impl WASI_IMPLS[] = {
    {"wasi:cli/environment", "get-arguments", get_arguments},
    {"wasi:cli/environment", "get-environment", get_environment},
    {"wasi:cli/environment", "initial-cwd", no_cwd},
    {"wasi:cli/exit", "exit", wasi_exit},
    {"wasi:clocks/wall-clock", "now", wall_now},
    {"wasi:clocks/monotonic-clock", "now", monotonic_now},
    {"wasi:cli/stdout", "get-stdout", get_stdout},
    {"wasi:cli/stderr", "get-stderr", get_stderr},
    {"wasi:cli/stdin", "get-stdin", get_stdin},
    {"wasi:cli/terminal-stdin", "get-terminal-stdin", no_terminal},
    {"wasi:cli/terminal-stdout", "get-terminal-stdout", no_terminal},
    {"wasi:cli/terminal-stderr", "get-terminal-stderr", no_terminal},
    {"wasi:filesystem/preopens", "get-directories", no_directories},
    {"wasi:io/streams", "[method]output-stream.check-write", check_write},
    {"wasi:io/streams", "[method]output-stream.write", stream_write},
    {"wasi:io/streams", "[method]output-stream.blocking-write-and-flush", stream_write},
    {"wasi:io/streams", "[method]output-stream.blocking-flush", stream_flush},
    {NULL, NULL, NULL},
};

static void test_c_reactor(void)
{
    running r;
    wasi_out_len = 0;
    start_permissive(&r, COMPONENTS_DIR "/real/c-reactor.wasm", WASI_IMPLS, &wasi_linker);
    CHECK(wasi_linker != NULL);
    if (r.inst) {
        const component_func *add = component_instance_func(r.inst, NULL, "add");
        CHECK(add != NULL);
        if (add) {
            CHECK_STR(component_func_signature(add), "func(a: s32, b: s32) -> s32");
            component_val args[2] = {VAL(S32, s, 40), VAL(S32, s, 2)}, out;
            CHECK(component_func_call(r.inst, add, args, 2, &out, &r.res) == 0);
            CHECK_INT(out.of.s, 42);
            CHECK(component_func_post_return(r.inst, add, &r.res) == 0);
        }
        CHECK_INT(call_void(&r, "hello"), WASM_OK);
        CHECK(wasi_out_len == 19 && memcmp(wasi_out, "hello from reactor\n", 19) == 0);
        if (r.res.kind != WASM_OK)
            fprintf(stderr, "  hello: %s\n", r.res.message);
    }
    stop(&r);
    component_linker_free(wasi_linker);
    wasi_linker = NULL;
}

static long resident_kib(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* #15's "nothing grows": the C reactor (a memory with an image, a table,
 * the adapter's core instances) instantiated, called and dropped 100,000
 * times, as many requests: resident memory and open descriptors after a
 * warm-up and at the end stay where they were (a generous bound on RSS;
 * under ASan, whose quarantine holds freed memory, fewer rounds and only
 * the descriptors). */
static void test_many_instances_grow_nothing(void)
{
#ifdef UNDER_ASAN
    const long rounds = 10000;
#else
    const long rounds = 100000;
#endif
    running r;
    start_permissive(&r, COMPONENTS_DIR "/real/c-reactor.wasm", WASI_IMPLS, &wasi_linker);
    if (!r.inst) {
        stop(&r);
        component_linker_free(wasi_linker);
        wasi_linker = NULL;
        return;
    }
    component_instance_free(r.inst);
    wasm_store_free(r.store);
    long rss0 = 0;
    int fds0 = 0, bad = 0;
    for (long i = 0; i < rounds && bad < 3; i++) {
        if (i == 1000) {
            rss0 = resident_kib();
            fds0 = open_fds();
        }
        r.store = wasm_store_new(NULL);
        r.inst = component_instantiate(r.pre, r.store, NULL, &r.res);
        const component_func *add = r.inst ? component_instance_func(r.inst, NULL, "add") : NULL;
        component_val args[2] = {VAL(S32, s, (int32_t)i), VAL(S32, s, 1)}, out;
        if (!add || component_func_call(r.inst, add, args, 2, &out, &r.res) < 0 ||
            out.of.s != (int32_t)i + 1 || component_func_post_return(r.inst, add, &r.res) < 0) {
            fprintf(stderr, "  round %ld: %s\n", i, r.res.message);
            bad++;
        }
        component_instance_free(r.inst);
        wasm_store_free(r.store);
    }
    long rss1 = resident_kib();
    int fds1 = open_fds();
    fprintf(stderr, "  %ld instances: RSS %ld -> %ld KiB, fds %d -> %d\n", rounds, rss0, rss1,
            fds0, fds1);
    CHECK_INT(bad, 0);
    CHECK_INT(fds1, fds0);
#ifndef UNDER_ASAN
    CHECK(rss1 - rss0 < 16 * 1024);
#endif
    r.inst = NULL;
    r.store = NULL;
    stop(&r);
    component_linker_free(wasi_linker);
    wasi_linker = NULL;
}

static void test_c_hello_cmd(void)
{
    static const char *const argv[] = {"c-hello-cmd", "x", "y"};
    wasi_argv = argv;
    wasi_argc = 3;
    running r;
    wasi_out_len = 0;
    start_permissive(&r, COMPONENTS_DIR "/real/c-hello-cmd.wasm", WASI_IMPLS, &wasi_linker);
    CHECK(wasi_linker != NULL);
    if (r.inst) {
        const component_func *run = component_instance_func(r.inst, "wasi:cli/run@0.2.0", "run");
        CHECK(run != NULL);
        if (run) {
            CHECK_STR(component_func_signature(run), "func() -> result");
            component_val out;
            int rc = component_func_call(r.inst, run, NULL, 0, &out, &r.res);
            if (rc < 0)
                fprintf(stderr, "  run: %s\n", r.res.message);
            CHECK(rc == 0 && out.kind == COMPONENT_VAL_VARIANT && out.of.variant.disc == 0);
            CHECK(rc == 0 && component_func_post_return(r.inst, run, &r.res) == 0);
        }
        static const char want[] = "hello from C (clang-14 + wasi-libc), argc=3\n"
                                   "  argv[0]=c-hello-cmd\n  argv[1]=x\n  argv[2]=y\n"
                                   "  WHO=tester\n  realtime ok: 1\n";
        CHECK(wasi_out_len == sizeof want - 1 && memcmp(wasi_out, want, sizeof want - 1) == 0);
        if (wasi_out_len != sizeof want - 1)
            fprintf(stderr, "  stdout: %.*s\n", (int)wasi_out_len, wasi_out);
    }
    stop(&r);
    component_linker_free(wasi_linker);
    wasi_linker = NULL;
}

/* A nested component's import is checked against its argument. */
static void test_nested_import_mismatch(void)
{
    size_t len;
    uint8_t *bytes = wat_component("nested_bad", &len);
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    component_pre *pre = bytes ? component_pre_new(bytes, len, l, &err) : NULL;
    CHECK(pre == NULL);
    static const char want[] = "instance 0: import f: given func(x: u64) -> u64, expects "
                               "func(x: u32) -> u32 (";
    CHECK(err && strncmp(err->msg, want, sizeof want - 1) == 0);
    if (err)
        fprintf(stderr, "  nested_bad: %s\n", err->msg);
    util_error_free(&err);
    component_pre_free(pre);
    component_linker_free(l);
    free(bytes);
}

/* Deep chains of definitions are refused, not followed down the C stack. */
static void test_deep_types(void)
{
    size_t len;
    uint8_t *bytes = wat_component("deep_types", &len);
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    component_pre *pre = bytes ? component_pre_new(bytes, len, l, &err) : NULL;
    CHECK(pre == NULL);
    CHECK(err && strstr(err->msg, "nested deeper than 256") != NULL);
    if (err)
        fprintf(stderr, "  deep: %.120s\n", err->msg);
    util_error_free(&err);
    component_pre_free(pre);
    component_linker_free(l);
    free(bytes);
}

/* exit(42) in C: the adapter calls wasi:cli/exit with err, which the
 * host turns into exit code 1; the export's caller sees WASM_EXIT. */
static void test_c_hello_cmd_exit(void)
{
    static const char *const argv[] = {"c-hello-cmd", "fail"};
    wasi_argv = argv;
    wasi_argc = 2;
    running r;
    wasi_out_len = 0;
    start_permissive(&r, COMPONENTS_DIR "/real/c-hello-cmd.wasm", WASI_IMPLS, &wasi_linker);
    const component_func *run =
        r.inst ? component_instance_func(r.inst, "wasi:cli/run@0.2.12", "run") : NULL;
    component_val out;
    CHECK(run && component_func_call(r.inst, run, NULL, 0, &out, &r.res) < 0);
    CHECK_INT(r.res.kind, WASM_EXIT);
    CHECK_INT(r.res.exit_code, 1);
    stop(&r);
    component_linker_free(wasi_linker);
    wasi_linker = NULL;
}

/* ---- jco's runtime fixtures (wit-bindgen guests) ----------------------------------- */

#define JCO_RUNTIME COMPONENTS_DIR "/jco/transpile/runtime/"

static int host_identity(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    (void)call, (void)env, (void)nargs;
    *result = args[0];
    return 0;
}

static uint64_t scalar;

static int set_scalar(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    (void)call, (void)env, (void)nargs, (void)result;
    scalar = args[0].of.u;
    return 0;
}

static int get_scalar(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    *result = VAL(U32, u, scalar);
    return 0;
}

static const impl NUMBERS_IMPLS[] = {
    {"test:numbers/test", "roundtrip-u8", host_identity},
    {"test:numbers/test", "roundtrip-s8", host_identity},
    {"test:numbers/test", "roundtrip-u16", host_identity},
    {"test:numbers/test", "roundtrip-s16", host_identity},
    {"test:numbers/test", "roundtrip-u32", host_identity},
    {"test:numbers/test", "roundtrip-s32", host_identity},
    {"test:numbers/test", "roundtrip-u64", host_identity},
    {"test:numbers/test", "roundtrip-s64", host_identity},
    {"test:numbers/test", "roundtrip-f32", host_identity},
    {"test:numbers/test", "roundtrip-f64", host_identity},
    {"test:numbers/test", "roundtrip-char", host_identity},
    {"test:numbers/test", "set-scalar", set_scalar},
    {"test:numbers/test", "get-scalar", get_scalar},
    {NULL, NULL, NULL},
};

/* jco's numbers fixture: the guest calls every import and checks what
 * comes back (it traps if a value is wrong), then the host calls its
 * exports with the extremes of each type. */
static void test_jco_numbers(void)
{
    running r;
    component_linker *l;
    start_permissive(&r, JCO_RUNTIME "numbers.component.wasm", NUMBERS_IMPLS, &l);
    if (r.inst) {
        CHECK_INT(call_void(&r, "test-imports"), WASM_OK);
        if (r.res.kind != WASM_OK)
            fprintf(stderr, "  test-imports: %s\n", r.res.message);
        const char *api = "test:numbers/test";
        struct {
            const char *name;
            component_val v;
        } cases[] = {
            {"roundtrip-u8", VAL(U8, u, 255)},        {"roundtrip-s8", VAL(S8, s, -128)},
            {"roundtrip-u16", VAL(U16, u, 65535)},    {"roundtrip-s16", VAL(S16, s, -32768)},
            {"roundtrip-u32", VAL(U32, u, UINT32_MAX)}, {"roundtrip-s32", VAL(S32, s, INT32_MIN)},
            {"roundtrip-u64", VAL(U64, u, UINT64_MAX)}, {"roundtrip-s64", VAL(S64, s, INT64_MIN)},
            {"roundtrip-char", VAL(CHAR, ch, 0x10FFFF)},
        };
        for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
            const component_func *f = component_instance_func(r.inst, api, cases[i].name);
            component_val out;
            CHECK(f && component_func_call(r.inst, f, &cases[i].v, 1, &out, &r.res) == 0);
            CHECK(f && out.kind == cases[i].v.kind && out.of.u == cases[i].v.of.u);
            CHECK(f && component_func_post_return(r.inst, f, &r.res) == 0);
        }
        const component_func *set = component_instance_func(r.inst, api, "set-scalar");
        const component_func *get = component_instance_func(r.inst, api, "get-scalar");
        component_val v = VAL(U32, u, 4321), out;
        CHECK(set && component_func_call(r.inst, set, &v, 1, NULL, &r.res) == 0);
        CHECK(set && component_func_post_return(r.inst, set, &r.res) == 0);
        CHECK(get && component_func_call(r.inst, get, NULL, 0, &out, &r.res) == 0);
        CHECK(get && out.of.u == 4321);
        CHECK(get && component_func_post_return(r.inst, get, &r.res) == 0);
    }
    stop(&r);
    component_linker_free(l);
}

/* jco's strings fixture: a guest with string-encoding=utf16 both ways. */
static const char ROCKETS[] = "\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80 "
                              "\xf0\xa0\x88\x84\xf0\x93\x80\x80";
static int basic_seen;

static int take_basic(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    (void)env, (void)nargs, (void)result;
    if (!str_is(&args[0], "latin utf16"))
        return component_call_trap(call, "take-basic got %.*s", (int)args[0].of.str.len,
                                   args[0].of.str.ptr);
    basic_seen++;
    return 0;
}

static int return_unicode(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    *result = str_val(ROCKETS);
    return 0;
}

static const impl STRINGS_IMPLS[] = {
    {"test:strings/imports", "take-basic", take_basic},
    {"test:strings/imports", "return-unicode", return_unicode},
    {NULL, NULL, NULL},
};

static void test_jco_strings_utf16(void)
{
    running r;
    basic_seen = 0;
    component_linker *l;
    start_permissive(&r, JCO_RUNTIME "strings.component.wasm", STRINGS_IMPLS, &l);
    if (r.inst) {
        CHECK_INT(call_void(&r, "test-imports"), WASM_OK);
        CHECK_INT(basic_seen, 1);
        component_val out;
        CHECK(call1(&r, "roundtrip", str_val("str"), &out) && str_is(&out, "str"));
        done(&r, "roundtrip");
        CHECK(call1(&r, "roundtrip", str_val(ROCKETS), &out) && str_is(&out, ROCKETS));
        done(&r, "roundtrip");
        const component_func *empty = component_instance_func(r.inst, NULL, "return-empty");
        CHECK(empty && component_func_call(r.inst, empty, NULL, 0, &out, &r.res) == 0 &&
              str_is(&out, ""));
        CHECK(empty && component_func_post_return(r.inst, empty, &r.res) == 0);
    }
    stop(&r);
    component_linker_free(l);
}

static int hello_host(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    *result = str_val("from the host");
    return 0;
}

static const impl NESTED_IMPLS[] = {
    {"calvinrp:test-async-funcs/hello", "hello-world", hello_host},
    {NULL, NULL, NULL},
};

/* jco's simple-nested fixture: two composed components, each instantiating
 * a nested one; the export reaches the host's function through both. */
static void test_jco_simple_nested(void)
{
    running r;
    component_linker *l;
    start_permissive(&r, JCO_RUNTIME "simple-nested.component.wasm", NESTED_IMPLS, &l);
    if (r.inst) {
        const component_func *f =
            component_instance_func(r.inst, "calvinrp:test-async-funcs/hello@0.1.0", "hello-world");
        component_val out;
        CHECK(f && component_func_call(r.inst, f, NULL, 0, &out, &r.res) == 0);
        /* lowered into the inner guest, lifted, lowered into the outer one,
         * lifted again: the same text */
        CHECK(f && str_is(&out, "from the host"));
        CHECK(f && component_func_post_return(r.inst, f, &r.res) == 0);
    }
    stop(&r);
    component_linker_free(l);
}

/* ---- may_leave: realloc and post-return cannot call imports -------------- */

static int leave_pings;

static int leave_ping(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs, (void)result;
    leave_pings++;
    return 0;
}

static int leave_echo(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    (void)call, (void)env, (void)nargs;
    *result = args[0];
    return 0;
}

static component_linker *leave_linker(void)
{
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    CHECK_INT(component_linker_define_func(l, "test:leave/host", "ping", "func()", leave_ping,
                                           NULL, &err), 0);
    CHECK_INT(component_linker_define_func(l, "test:leave/host", "echo",
                                           "func(s: string) -> string", leave_echo, NULL, &err),
              0);
    util_error_free(&err);
    return l;
}

static void test_may_leave(void)
{
    running r;
    /* ordinary code may call the import */
    leave_pings = 0;
    if (!start_wat(&r, "may_leave", leave_linker()))
        return;
    CHECK_INT(call_void(&r, "ping-direct"), WASM_OK);
    CHECK_INT(leave_pings, 1);
    stop(&r);

    /* the guest's realloc, lowering echo's result, calls ping: a trap, and
     * ping never runs */
    leave_pings = 0;
    if (!start_wat(&r, "may_leave", leave_linker()))
        return;
    const component_func *f = component_instance_func(r.inst, NULL, "echo-through-realloc");
    component_val out;
    CHECK(f && component_func_call(r.inst, f, NULL, 0, &out, &r.res) < 0);
    CHECK_INT(r.res.kind, WASM_TRAP);
    CHECK(strstr(r.res.message, "cannot leave component instance") != NULL);
    CHECK_INT(leave_pings, 0);
    stop(&r);

    /* answer's post-return calls ping: the result arrives, the post-return
     * traps */
    leave_pings = 0;
    if (!start_wat(&r, "may_leave", leave_linker()))
        return;
    f = component_instance_func(r.inst, NULL, "answer");
    CHECK(f && component_func_call(r.inst, f, NULL, 0, &out, &r.res) == 0);
    CHECK_INT((int)out.of.u, 42);
    CHECK(component_func_post_return(r.inst, f, &r.res) < 0);
    CHECK_INT(r.res.kind, WASM_TRAP);
    CHECK(strstr(r.res.message, "cannot leave component instance") != NULL);
    CHECK_INT(leave_pings, 0);
    stop(&r);
}

/* Core instances linked through `with` arguments: the same members as a
 * linker filled in argument order would give (later arguments replace
 * earlier ones field by field), inline instances, aliases of exports. */
static void test_core_link(void)
{
    running r;
    if (!start_wat(&r, "core_link", component_linker_new()))
        return;
    int cores = 0, planned = 0;
    count_plans(r.pre->top, &cores, &planned);
    CHECK_INT(cores, 3);
    CHECK_INT(planned, 3);
    const component_func *f = component_instance_func(r.inst, NULL, "which");
    component_val out;
    CHECK(f && component_func_call(r.inst, f, NULL, 0, &out, &r.res) == 0);
    CHECK_INT((int)out.of.u, 215);
    CHECK(f && component_func_post_return(r.inst, f, &r.res) == 0);
    stop(&r);
}

/* The instantiation error of WAT component `name` (linked with nothing). */
static char *core_link_error(const char *name)
{
    size_t len;
    uint8_t *bytes = wat_component(name, &len);
    util_error *err = NULL;
    component_linker *l = component_linker_new();
    component_pre *pre = bytes ? component_pre_new(bytes, len, l, &err) : NULL;
    char *msg = NULL;
    if (pre) {
        wasm_store *store = wasm_store_new(NULL);
        wasm_result res;
        component_instance *inst = component_instantiate(pre, store, NULL, &res);
        msg = util_xstrdup(inst ? "" : res.message);
        component_instance_free(inst);
        wasm_store_free(store);
    } else {
        msg = util_xstrdup(err ? err->msg : "no input");
    }
    util_error_free(&err);
    component_pre_free(pre);
    component_linker_free(l);
    free(bytes);
    return msg;
}

/* A core import that no argument serves, or one of the wrong type: the
 * instantiation fails naming the core instance and the import. */
static void test_core_link_errors(void)
{
    char *msg = core_link_error("core_link_missing");
    CHECK_STR(msg, "core instance 1: unknown import: env::nope (function)");
    free(msg);
    msg = core_link_error("core_link_mismatch");
    CHECK_STR(msg, "core instance 1: incompatible import type: env::f (function)");
    free(msg);
}

/* component_pre_new_take owns the bytes whatever happens: kept by the
 * pre, or freed at once on failure (the ASan pass finds a leak). */
static void test_pre_new_take(void)
{
    size_t len;
    uint8_t *bytes = wat_component("values", &len);
    CHECK(bytes != NULL);
    util_error *err = NULL;
    component_linker *l = values_linker();
    component_pre *pre = component_pre_new_take(bytes, len, l, &err);
    CHECK(pre != NULL);
    component_pre_free(pre);
    uint8_t *bad = util_xmalloc(10);
    memcpy(bad, "\0asm\x0d\0\x01\0\x00\x05", 10);
    CHECK(component_pre_new_take(bad, 10, l, &err) == NULL);
    CHECK(err && strstr(err->msg, "malformed component") != NULL);
    util_error_free(&err);
    component_linker_free(l);
}

int main(void)
{
    RUN(test_corpus_resolves);
    RUN(test_import_errors);
    RUN(test_deep_types);
    RUN(test_nested_import_mismatch);
    RUN(test_simple_component);
    RUN(test_values_numbers);
    RUN(test_values_memory);
    RUN(test_values_host_imports);
    RUN(test_host_resources);
    RUN(test_guest_resources);
    RUN(test_fresh_handles_per_instance);
    RUN(test_nested);
    RUN(test_c_reactor);
    RUN(test_c_hello_cmd);
    RUN(test_many_instances_grow_nothing);
    RUN(test_c_hello_cmd_exit);
    RUN(test_jco_numbers);
    RUN(test_jco_strings_utf16);
    RUN(test_jco_simple_nested);
    RUN(test_may_leave);
    RUN(test_core_link);
    RUN(test_core_link_errors);
    RUN(test_pre_new_take);
    return TEST_SUMMARY();
}
