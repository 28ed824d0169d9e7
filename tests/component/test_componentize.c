/*
 * test_componentize.c - core modules carrying their WIT world made
 * components (componentize.c): a module written as WAT
 * (wat/cz_module.wat) with the world of wit_cz/world.wit embedded by
 * `jco embed`, run end to end against C host functions (a string through
 * canon lower with realloc, a resource's constructor, method and drop, a
 * top-level function import, the embedder's core import, canon lift with
 * post-return, _initialize), what the made component imports (only what
 * the module uses), the Spin 2.0 SDK modules of the shared corpus, and bad
 * input: a malformed component-type section, an import the world lacks,
 * a missing cabi_realloc or memory, an embedder that serves nothing.
 */
#include "component.h"
#include "test.h"

#include <string.h>

#define MODULE WASM_DIR "/cz_world_module.wasm"
#define HOST "test:cz/host@1.0.0"
#define API "test:cz/api@1.0.0"

static uint8_t *read_all(const char *path, size_t *len)
{
    char *data = NULL;
    util_error *err = NULL;
    if (util_read_file(path, &data, len, &err) < 0) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
        return NULL;
    }
    return (uint8_t *)data;
}

/* ---- the host ------------------------------------------------------------ */

static component_resource_type *counter_type;
static int counters_dropped;
static char logged[64];

static void counter_dtor(uintptr_t rep)
{
    free((void *)rep);
    counters_dropped++;
}

static int greet(component_call *call, void *env, const component_val *args, size_t nargs,
                 component_val *result)
{
    (void)env, (void)nargs;
    size_t n = 7 + args[0].of.str.len;
    char *s = component_call_alloc(call, n);
    memcpy(s, "hello, ", 7);
    memcpy(s + 7, args[0].of.str.ptr, args[0].of.str.len);
    result->kind = COMPONENT_VAL_STRING;
    result->of.str.ptr = s;
    result->of.str.len = n;
    return 0;
}

static int counter_new(component_call *call, void *env, const component_val *args, size_t nargs,
                       component_val *result)
{
    (void)call, (void)env, (void)nargs;
    uint32_t *c = util_xmalloc(sizeof *c);
    *c = (uint32_t)args[0].of.u;
    result->kind = COMPONENT_VAL_OWN;
    result->of.resource.type = counter_type;
    result->of.resource.rep = (uintptr_t)c;
    return 0;
}

static int counter_bump(component_call *call, void *env, const component_val *args, size_t nargs,
                        component_val *result)
{
    (void)call, (void)env, (void)nargs;
    uint32_t *c = (uint32_t *)args[0].of.resource.rep;
    result->kind = COMPONENT_VAL_U32;
    result->of.u = ++*c;
    return 0;
}

static int log_msg(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    (void)call, (void)env, (void)nargs, (void)result;
    snprintf(logged, sizeof logged, "%.*s", (int)args[0].of.str.len, args[0].of.str.ptr);
    return 0;
}

static component_linker *host_linker(void)
{
    util_error *err = NULL;
    component_linker *l = component_linker_new();
    counter_type = component_linker_define_resource(l, HOST, "counter", counter_dtor, &err);
    int rc = counter_type ? 0 : -1;
    rc |= component_linker_define_func(l, HOST, "greet", "func(name: string) -> string", greet,
                                       NULL, &err);
    rc |= component_linker_define_func(l, HOST, "[constructor]counter",
                                       "func(start: u32) -> own<counter>", counter_new, NULL, &err);
    rc |= component_linker_define_func(l, HOST, "[method]counter.bump",
                                       "func(self: borrow<counter>) -> u32", counter_bump, NULL,
                                       &err);
    rc |= component_linker_define_func(l, NULL, "log", "func(msg: string)", log_msg, NULL, &err);
    if (rc) {
        fprintf(stderr, "host linker: %s\n", err ? err->msg : "?");
        util_error_free(&err);
    }
    return l;
}

/* The embedder's core import: "env" "twice". */
static int twice(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    (void)c, (void)env;
    results[0].i32 = args[0].i32 * 2;
    return 0;
}

static bool serves_twice(void *env, const char *module, const char *name, const char *sig)
{
    (void)env;
    return strcmp(module, "env") == 0 && strcmp(name, "twice") == 0 && strcmp(sig, "i:i") == 0;
}

static int defines;

static int define_twice(void *env, wasm_linker *l, wasm_store *store, const wasm_module *m,
                        void *data, wasm_result *res)
{
    (void)env, (void)m, (void)res;
    CHECK(data == &defines); /* component_instantiate's data reaches the embedder */
    defines++;
    wasm_linker_define_host(l, store, "env", "twice", "i:i", twice, NULL);
    return 0;
}

static const component_core_host EMBEDDER = {serves_twice, define_twice, NULL};

/* ---- end to end ------------------------------------------------------------ */

static void test_module_runs_as_a_component(void)
{
    size_t len;
    uint8_t *bytes = read_all(MODULE, &len);
    CHECK(bytes != NULL);
    if (!bytes)
        return;
    CHECK(component_module_has_world(bytes, len));
    component_linker *l = host_linker();
    util_error *err = NULL;
    component_pre *pre = component_pre_new_module(bytes, len, l, &EMBEDDER, &err);
    component_linker_free(l);
    free(bytes);
    CHECK(pre != NULL);
    if (!pre) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
        return;
    }
    wasm_store *store = wasm_store_new(NULL);
    wasm_result res;
    wasm_result_init(&res);
    component_instance *inst = component_instantiate(pre, store, &defines, &res);
    CHECK(inst != NULL);
    if (!inst) {
        fprintf(stderr, "instantiate: %s\n", res.message);
    } else {
        CHECK_INT(defines, 1);
        const component_func *run = component_instance_func(inst, API, "run");
        const component_func *ping = component_instance_func(inst, NULL, "ping");
        CHECK(run && ping);
        component_val out, x = {.kind = COMPONENT_VAL_U32, .of.u = 5};
        /* _initialize ran (100), no post-return yet */
        CHECK(component_func_call(inst, ping, &x, 1, &out, &res) == 0);
        CHECK_INT(out.of.u, 5 + 10 + 100);
        CHECK(component_func_post_return(inst, ping, &res) == 0);
        component_val who = {.kind = COMPONENT_VAL_STRING, .of.str = {"world", 5}};
        CHECK(component_func_call(inst, run, &who, 1, &out, &res) == 0);
        CHECK(out.kind == COMPONENT_VAL_STRING && out.of.str.len == 12 &&
              memcmp(out.of.str.ptr, "hello, world", 12) == 0);
        CHECK(component_func_post_return(inst, run, &res) == 0);
        CHECK_STR(logged, "hello, world");
        CHECK_INT(counters_dropped, 1);
        /* cabi_post_...#run ran once (1000) */
        CHECK(component_func_call(inst, ping, &x, 1, &out, &res) == 0);
        CHECK_INT(out.of.u, 5 + 10 + 100 + 1000);
        CHECK(component_func_post_return(inst, ping, &res) == 0);
        component_instance_free(inst);
    }
    wasm_store_free(store);
    component_pre_free(pre);
}

/* Only the interfaces and functions the module uses are imported. */
static void test_made_component_imports_what_the_module_uses(void)
{
    size_t len, n;
    uint8_t *bytes = read_all(MODULE, &len), *bin = NULL;
    util_error *err = NULL;
    CHECK(bytes && component_from_module(bytes, len, &EMBEDDER, &bin, &n, &err) == 0);
    free(bytes);
    component *c = NULL;
    CHECK(bin && component_decode(bin, n, &c, &err) == 0);
    if (c) {
        CHECK_INT(component_import_count(c), 2);
        CHECK_STR(component_import(c, 0)->name.text, HOST);
        CHECK_STR(component_import(c, 1)->name.text, "log");
        CHECK(component_find_export(c, API) != NULL);
        CHECK(component_find_export(c, "ping") != NULL);
        const component_extern *host = component_import(c, 0);
        const component_type *t = component_type_at(c, host->desc.index);
        bool unused = false;
        for (uint32_t i = 0; t && t->decls && i < t->decls->nexports; i++)
            unused = unused || strcmp(t->decls->exports[i].name.text, "unused") == 0;
        CHECK(!unused);
        component_free(c);
    }
    free(bin);
    util_error_free(&err);
}

/* Spin's own test modules of the Spin 2.0 SDK: each becomes a component
 * importing the rc-2023-10-18 WASI and fermyon:spin@2.0.0 interfaces it
 * uses and exporting the rc incoming-handler. */
static void test_spin_sdk_modules_become_components(void)
{
    static const char *const names[] = {"variables", "key-value", "sqlite", "outbound-redis",
                                        "outbound-postgres", "outbound-mysql", "tcp-sockets"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/real/gh-spin-hist-test-%s.spin2rc.core.wasm",
                 COMPONENTS_DIR, names[k]);
        size_t len, n;
        uint8_t *bytes = read_all(path, &len), *bin = NULL;
        util_error *err = NULL;
        component_core_host preview1 = {.serves = NULL};
        CHECK(bytes && component_module_has_world(bytes, len));
        /* preview 1 is the embedder's: without one the load names it */
        CHECK(bytes && component_from_module(bytes, len, &preview1, &bin, &n, &err) < 0);
        CHECK(err && strstr(err->msg, "wasi_snapshot_preview1") != NULL);
        util_error_free(&err);
        free(bytes);
    }
}

static bool serves_preview1(void *env, const char *module, const char *name, const char *sig)
{
    (void)env, (void)name, (void)sig;
    return strcmp(module, "wasi_snapshot_preview1") == 0;
}

static void test_spin_sdk_module_imports(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/real/gh-spin-hist-test-key-value.spin2rc.core.wasm",
             COMPONENTS_DIR);
    size_t len, n;
    uint8_t *bytes = read_all(path, &len), *bin = NULL;
    util_error *err = NULL;
    component_core_host preview1 = {.serves = serves_preview1};
    CHECK(bytes && component_from_module(bytes, len, &preview1, &bin, &n, &err) == 0);
    component *c = NULL;
    CHECK(bin && component_decode(bin, n, &c, &err) == 0);
    if (c) {
        const char *want[] = {"fermyon:spin/key-value@2.0.0", "wasi:io/poll@0.2.0-rc-2023-10-18",
                              "wasi:io/streams@0.2.0-rc-2023-10-18",
                              "wasi:http/types@0.2.0-rc-2023-10-18"};
        CHECK_INT(component_import_count(c), 4);
        for (size_t i = 0; i < 4 && i < component_import_count(c); i++)
            CHECK_STR(component_import(c, i)->name.text, want[i]);
        CHECK(component_find_export(c, "wasi:http/incoming-handler@0.2.0-rc-2023-10-18"));
        component_free(c);
    }
    free(bin);
    free(bytes);
    util_error_free(&err);
}

/* Spin's preview-1 adapters carry their worlds in wit-component 0.19's
 * layout (one exported type per interface and world): the world is read,
 * and what stops them is their imported memory, which no world serves. */
static void test_older_section_layout(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/real/gh-spin-adapter-preview1.command.core.wasm",
             COMPONENTS_DIR);
    size_t len;
    uint8_t *bytes = read_all(path, &len), *bin = NULL;
    util_error *err = NULL;
    component_core_host preview1 = {.serves = serves_preview1};
    CHECK(bytes && component_from_module(bytes, len, &preview1, &bin, &len, &err) < 0);
    CHECK(err && strstr(err->msg, "import env memory") != NULL);
    util_error_free(&err);
    free(bytes);
}

/* ---- bad input ------------------------------------------------------------- */

static uint8_t *copy_of(const void *bytes, size_t n)
{
    uint8_t *b = util_xmalloc(n);
    memcpy(b, bytes, n);
    return b;
}

/* The module with the first occurrence of `from` replaced (same length). */
static uint8_t *patched(size_t *len, const char *from, const char *to)
{
    uint8_t *b = read_all(MODULE, len);
    size_t n = strlen(from);
    for (size_t i = 0; b && i + n <= *len; i++)
        if (memcmp(b + i, from, n) == 0) {
            memcpy(b + i, to, n);
            return b;
        }
    free(b);
    return NULL;
}

/* What component_from_module says about these bytes (freed). */
static char *error_of(uint8_t *bytes, size_t len, const component_core_host *host)
{
    uint8_t *bin = NULL;
    size_t n;
    util_error *err = NULL;
    int rc = bytes ? component_from_module(bytes, len, host, &bin, &n, &err) : 0;
    free(bytes);
    free(bin);
    char *msg = rc < 0 && err ? util_xstrdup(err->msg) : util_xstrdup("");
    util_error_free(&err);
    return msg;
}

static void expect_error(char *msg, const char *part)
{
    if (!strstr(msg, part))
        fprintf(stderr, "expected \"%s\" in \"%s\"\n", part, msg);
    CHECK(strstr(msg, part) != NULL);
    free(msg);
}

static void test_import_the_world_lacks(void)
{
    size_t len;
    uint8_t *b = patched(&len, "greet", "grost");
    CHECK(b != NULL);
    expect_error(error_of(b, len, &EMBEDDER),
                 "import test:cz/host@1.0.0 grost: the world's interface test:cz/host@1.0.0 has "
                 "no function grost");
    b = patched(&len, "[resource-drop]counter", "[resource-drop]countex");
    expect_error(error_of(b, len, &EMBEDDER), "has no resource countex");
    b = patched(&len, "test:cz/host@1.0.0", "test:cz/hoxt@1.0.0");
    expect_error(error_of(b, len, &EMBEDDER),
                 "test:cz/hoxt@1.0.0 is no interface of the module's world");
}

static void test_missing_realloc_and_memory(void)
{
    size_t len;
    uint8_t *b = patched(&len, "cabi_realloc", "cabi_reallox");
    expect_error(error_of(b, len, &EMBEDDER),
                 "import test:cz/host@1.0.0 greet needs cabi_realloc");
    b = patched(&len, "memory", "memorx");
    expect_error(error_of(b, len, &EMBEDDER), "the module exports no memory");
}

static void test_embedder_import_not_served(void)
{
    size_t len = 0;
    uint8_t *b = read_all(MODULE, &len);
    expect_error(error_of(b, len, NULL),
                 "import env twice i:i: env is no interface of the module's world");
}

/* The module with a custom section appended. */
static uint8_t *with_section(size_t *len, const char *name, const uint8_t *payload, size_t n)
{
    uint8_t *b = read_all(MODULE, len);
    if (!b)
        return NULL;
    size_t nl = strlen(name), body = 1 + nl + n;
    b = util_xrealloc(b, *len + 3 + body);
    uint8_t *p = b + *len;
    *p++ = 0;
    *p++ = (uint8_t)(0x80 | (body & 0x7f));
    *p++ = (uint8_t)(body >> 7);
    *p++ = (uint8_t)nl;
    memcpy(p, name, nl);
    memcpy(p + nl, payload, n);
    *len += 3 + body;
    return b;
}

static void test_malformed_component_type_sections(void)
{
    static const uint8_t unknown[] = {0x07, 0x00};
    static const uint8_t truncated[] = {0x03, 0x00, 0x09, 'w'};
    static const uint8_t bad_enc[] = {0x03, 0x09};
    static const uint8_t broken[] = {0x03, 0x00, 0x01, 'w', 0x00, 'a', 's', 'm', 0x0d, 0x00,
                                     0x01, 0x00, 0x07, 0x03, 0x01, 0x42, 0x63};
    static const uint8_t no_world[] = {0x03, 0x00, 0x01, 'w', 0x00, 'a', 's', 'm',
                                       0x0d, 0x00, 0x01, 0x00};
    size_t len;
    uint8_t *b = with_section(&len, "component-type:x", unknown, sizeof unknown);
    expect_error(error_of(b, len, &EMBEDDER), "custom section component-type:x: unknown layout");
    b = with_section(&len, "component-type:x", truncated, sizeof truncated);
    expect_error(error_of(b, len, &EMBEDDER), "component-type:x: truncated world name");
    b = with_section(&len, "component-type:x", bad_enc, sizeof bad_enc);
    expect_error(error_of(b, len, &EMBEDDER), "component-type:x: bad string encoding");
    b = with_section(&len, "component-type:x", broken, sizeof broken);
    expect_error(error_of(b, len, &EMBEDDER), "custom section component-type:x: type section");
    b = with_section(&len, "component-type:x", no_world, sizeof no_world);
    expect_error(error_of(b, len, &EMBEDDER), "component-type:x: no world w in its package");
    /* not a module at all, and a module without a world */
    static const uint8_t empty[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    CHECK(!component_module_has_world(empty, sizeof empty));
    expect_error(error_of(copy_of(empty, sizeof empty), sizeof empty, &EMBEDDER),
                 "no component-type custom section");
    expect_error(error_of(copy_of("junk", 4), 4, &EMBEDDER), "core module");
}

int main(void)
{
    RUN(test_module_runs_as_a_component);
    RUN(test_made_component_imports_what_the_module_uses);
    RUN(test_spin_sdk_modules_become_components);
    RUN(test_spin_sdk_module_imports);
    RUN(test_older_section_layout);
    RUN(test_import_the_world_lacks);
    RUN(test_missing_realloc_and_memory);
    RUN(test_embedder_import_not_served);
    RUN(test_malformed_component_type_sections);
    return TEST_SUMMARY();
}
