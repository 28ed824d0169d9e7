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

int main(void)
{
    RUN(test_corpus_resolves);
    RUN(test_import_errors);
    RUN(test_simple_component);
    return TEST_SUMMARY();
}
