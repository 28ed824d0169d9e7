/*
 * test_component.c - the component decoder (src/component) against real
 * components built by other people's toolchains (wit-component, jco,
 * componentize-js, cargo-component), their WIT worlds, truncated and
 * corrupted copies of them, and hand-built malformed binaries whose errors
 * must name the section and the byte offset.
 */
#include "component.h"
#include "test.h"
#include "wasm.h"

#include <dirent.h>
#include <ftw.h>
#include <string.h>

static char *load(const char *rel, size_t *len)
{
    char path[1024];
    char *data = NULL;
    util_error *err = NULL;
    snprintf(path, sizeof(path), "%s/%s", COMPONENTS_DIR, rel);
    if (util_read_file(path, &data, len, &err) < 0) {
        fprintf(stderr, "%s: %s\n", path, err->msg);
        util_error_free(&err);
        return NULL;
    }
    return data;
}

static component *decode_file(const char *rel, char **bytes, size_t *len)
{
    component *c = NULL;
    util_error *err = NULL;
    *bytes = load(rel, len);
    if (!*bytes)
        return NULL;
    if (component_decode(*bytes, *len, &c, &err) < 0) {
        fprintf(stderr, "%s: %s\n", rel, err->msg);
        util_error_free(&err);
    }
    return c;
}

/* Decodes `bytes` and returns the error message (malloc'd), or NULL when
 * it decoded. */
static char *decode_error(const void *bytes, size_t len)
{
    component *c = NULL;
    util_error *err = NULL;
    if (component_decode(bytes, len, &c, &err) == 0) {
        component_free(c);
        return NULL;
    }
    char *msg = util_xstrdup(err->msg);
    util_error_free(&err);
    return msg;
}

/* ---- the corpus ---------------------------------------------------------- */

static int corpus_files, corpus_failures, corpus_core_skipped;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".wasm") != 0)
        return 0;
    bool in_transpile = strstr(path, "/jco/transpile/") != NULL;
    if (in_transpile && (n < 15 || strcmp(path + n - 15, ".component.wasm") != 0))
        return 0;
    if (n >= 10 && strcmp(path + n - 10, ".core.wasm") == 0)
        return 0;
    char *data = NULL;
    size_t len = 0;
    util_error *err = NULL;
    if (util_read_file(path, &data, &len, &err) < 0) {
        util_error_free(&err);
        corpus_failures++;
        return 0;
    }
    if (!component_is_component(data, len)) {
        /* jco/cli holds a few core modules beside the components */
        corpus_core_skipped++;
        CHECK(strstr(path, "/jco/cli/") != NULL);
        free(data);
        return 0;
    }
    component *c = NULL;
    corpus_files++;
    if (component_decode(data, len, &c, &err) < 0) {
        fprintf(stderr, "%s: %s\n", path, err->msg);
        util_error_free(&err);
        corpus_failures++;
    } else {
        /* a component from a toolchain exports or imports something */
        CHECK(component_import_count(c) + component_export_count(c) > 0);
        component_free(c);
    }
    free(data);
    return 0;
}

static void test_every_real_component_decodes(void)
{
    corpus_files = corpus_failures = corpus_core_skipped = 0;
    CHECK_INT(nftw(COMPONENTS_DIR "/real", visit, 16, FTW_PHYS), 0);
    CHECK_INT(corpus_failures, 0);
    CHECK_INT(corpus_files, 12);
    CHECK_INT(corpus_core_skipped, 0);
}

static void test_every_jco_component_decodes(void)
{
    corpus_files = corpus_failures = corpus_core_skipped = 0;
    CHECK_INT(nftw(COMPONENTS_DIR "/jco/transpile", visit, 16, FTW_PHYS), 0);
    CHECK_INT(nftw(COMPONENTS_DIR "/jco/cli", visit, 16, FTW_PHYS), 0);
    CHECK_INT(corpus_failures, 0);
    CHECK_INT(corpus_files, 48);
    CHECK_INT(corpus_core_skipped, 0);
}

/* ---- imports and exports against the WIT worlds -------------------------- */

static void check_names(const component *c, bool imports, const char *const *want, size_t n)
{
    size_t have = imports ? component_import_count(c) : component_export_count(c);
    CHECK_INT(have, n);
    for (size_t i = 0; i < n && i < have; i++) {
        const component_extern *e = imports ? component_import(c, i) : component_export(c, i);
        CHECK_STR(e->name.text, want[i]);
    }
}

static void test_c_hello_cmd_world(void)
{
    static const char *const imports[] = {
        "wasi:cli/environment@0.2.12",    "wasi:cli/exit@0.2.12",
        "wasi:io/error@0.2.12",           "wasi:io/streams@0.2.12",
        "wasi:cli/stdin@0.2.12",          "wasi:cli/stdout@0.2.12",
        "wasi:cli/stderr@0.2.12",         "wasi:cli/terminal-input@0.2.12",
        "wasi:cli/terminal-output@0.2.12", "wasi:cli/terminal-stdin@0.2.12",
        "wasi:cli/terminal-stdout@0.2.12", "wasi:cli/terminal-stderr@0.2.12",
        "wasi:clocks/monotonic-clock@0.2.12", "wasi:clocks/wall-clock@0.2.12",
        "wasi:filesystem/types@0.2.12",   "wasi:filesystem/preopens@0.2.12",
    };
    static const char *const exports[] = {"wasi:cli/run@0.2.12"};
    char *bytes;
    size_t len;
    component *c = decode_file("real/c-hello-cmd.wasm", &bytes, &len);
    CHECK(c != NULL);
    if (c) {
        check_names(c, true, imports, UTIL_ARRAY_LEN(imports));
        check_names(c, false, exports, UTIL_ARRAY_LEN(exports));
        const component_extern *run = component_find_interface_export(c, "wasi:cli/run");
        CHECK(run != NULL);
        if (run) {
            CHECK_INT(run->sort, COMPONENT_SORT_INSTANCE);
            CHECK_STR(run->name.ns, "wasi");
            CHECK_STR(run->name.package, "cli");
            CHECK_STR(run->name.interface, "run");
            CHECK_STR(run->name.version, "0.2.12");
            CHECK(run->index < component_count(c, COMPONENT_SORT_INSTANCE));
        }
        CHECK(component_find_interface_export(c, "wasi:cli/ru") == NULL);
        CHECK(component_find_export(c, "wasi:cli/run@0.2.12") == run);
        /* every import of an interface is an instance of an instance type */
        for (size_t i = 0; i < component_import_count(c); i++) {
            const component_extern *e = component_import(c, i);
            CHECK_INT(e->sort, COMPONENT_SORT_INSTANCE);
            CHECK_INT(e->name.kind, COMPONENT_NAME_INTERFACE);
            const component_type *t = component_type_at(c, e->desc.index);
            CHECK(t && t->kind == COMPONENT_TYPE_INSTANCE);
        }
        component_free(c);
    }
    free(bytes);
}

static void test_hello_wasi_http_imports_io_twice(void)
{
    static const char *const imports[] = {
        "wasi:io/error@0.2.1",  "wasi:io/streams@0.2.1", "wasi:http/types@0.2.1",
        "wasi:io/error@0.2.0",  "wasi:io/streams@0.2.0", "wasi:cli/stdout@0.2.0",
        "wasi:cli/stderr@0.2.0", "wasi:cli/stdin@0.2.0",
    };
    static const char *const exports[] = {"wasi:http/incoming-handler@0.2.1"};
    char *bytes;
    size_t len;
    component *c = decode_file("real/gh-runwasi-hello_wasi_http.rust.wasm", &bytes, &len);
    CHECK(c != NULL);
    if (c) {
        check_names(c, true, imports, UTIL_ARRAY_LEN(imports));
        check_names(c, false, exports, UTIL_ARRAY_LEN(exports));
        CHECK_STR(component_import(c, 0)->name.version, "0.2.1");
        CHECK_STR(component_import(c, 3)->name.version, "0.2.0");
        component_free(c);
    }
    free(bytes);
}

static void test_spin_js_exports_incoming_handler(void)
{
    char *bytes;
    size_t len;
    component *c = decode_file("real/spin-http-js-itty.wasm", &bytes, &len);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(component_import_count(c), 19);
        CHECK_STR(component_import(c, 4)->name.text, "wasi:http/types@0.2.3");
        CHECK_STR(component_import(c, 18)->name.text, "wasi:random/random@0.2.12");
        CHECK_INT(component_export_count(c), 1);
        const component_extern *h =
            component_find_interface_export(c, "wasi:http/incoming-handler");
        CHECK(h != NULL);
        if (h)
            CHECK_STR(h->name.version, "0.2.3");
        component_free(c);
    }
    free(bytes);
}

/* Plain-name function exports, their function types, the lift that
 * defines them, and the embedded module the engine can decode. */
static void test_simple_component_functions(void)
{
    static const char *const exports[] = {"thunk", "thunk-trap"};
    char *bytes;
    size_t len;
    component *c = decode_file("real/gh-runwasi-simple_component.wasm", &bytes, &len);
    CHECK(c != NULL);
    if (c) {
        check_names(c, false, exports, UTIL_ARRAY_LEN(exports));
        CHECK_INT(component_import_count(c), 0);
        for (size_t i = 0; i < component_export_count(c); i++) {
            const component_extern *e = component_export(c, i);
            CHECK_INT(e->sort, COMPONENT_SORT_FUNC);
            CHECK_INT(e->name.kind, COMPONENT_NAME_PLAIN);
            CHECK_STR(e->name.label, exports[i]);
        }
        size_t lifts = 0;
        for (size_t i = 0; i < component_canon_count(c); i++) {
            const component_canon *k = component_canon_at(c, i);
            if (k->kind != COMPONENT_CANON_LIFT)
                continue;
            lifts++;
            const component_type *ft = component_type_at(c, k->type);
            CHECK(ft && ft->kind == COMPONENT_TYPE_FUNC && ft->nfields == 0 && !ft->has_a);
        }
        CHECK_INT(lifts, 2);
        /* (core instance (instantiate 0)), then the two core exports aliased */
        CHECK_INT(component_instance_count(c), 1);
        const component_instance_def *inst = component_instance_at(c, 0);
        CHECK(inst->core && inst->instantiate && inst->of == 0 && inst->nargs == 0);
        CHECK_INT(component_alias_count(c), 2);
        for (size_t i = 0; i < component_alias_count(c) && i < 2; i++) {
            const component_alias *a = component_alias_at(c, i);
            CHECK_INT(a->kind, COMPONENT_ALIAS_CORE_EXPORT);
            CHECK_INT(a->sort, COMPONENT_SORT_CORE_FUNC);
            CHECK_INT(a->instance, 0);
            CHECK_STR(a->name, exports[i]);
            CHECK_INT(a->index, i);
        }
        CHECK_INT(component_count(c, COMPONENT_SORT_CORE_FUNC), 2);
        CHECK_INT(component_count(c, COMPONENT_SORT_FUNC), 4); /* 2 lifts + 2 exports */
        CHECK_INT(component_module_count(c), 1);
        component_module_range m = component_module_at(c, 0);
        CHECK(m.offset + m.len <= len);
        wasm_result res;
        wasm_result_init(&res);
        wasm_module *mod = wasm_module_new((const uint8_t *)bytes + m.offset, m.len, NULL, &res);
        CHECK(mod != NULL);
        wasm_module_free(mod);
        component_free(c);
    }
    free(bytes);
}

/* c-hello-cmd's core modules (the program, the adapter, the shims wit-
 * component adds) all decode and validate with the engine. */
static void test_embedded_modules_decode_with_the_engine(void)
{
    char *bytes;
    size_t len;
    component *c = decode_file("real/c-hello-cmd.wasm", &bytes, &len);
    CHECK(c != NULL);
    if (c) {
        CHECK(component_module_count(c) >= 2);
        /* wit-component nests one component (the adapter's wrapper) and
         * instantiates it */
        CHECK_INT(component_nested_count(c), 1);
        bool instantiated = false;
        for (size_t i = 0; i < component_instance_count(c); i++) {
            const component_instance_def *d = component_instance_at(c, i);
            instantiated |= !d->core && d->instantiate && d->of == 0;
        }
        CHECK(instantiated);
        for (size_t i = 0; i < component_module_count(c); i++) {
            component_module_range m = component_module_at(c, i);
            wasm_result res;
            wasm_result_init(&res);
            wasm_module *mod =
                wasm_module_new((const uint8_t *)bytes + m.offset, m.len, NULL, &res);
            if (!mod)
                fprintf(stderr, "module %zu: %s\n", i, res.message);
            CHECK(mod != NULL);
            wasm_module_free(mod);
        }
        component_free(c);
    }
    free(bytes);
}

/* A resource-heavy jco fixture: resource types, own/borrow handles,
 * resource.drop and friends decode into the model. */
static void test_resources_in_the_model(void)
{
    char *bytes;
    size_t len;
    component *c =
        decode_file("jco/transpile/runtime/resource_borrow_simple.component.wasm", &bytes, &len);
    CHECK(c != NULL);
    if (c) {
        size_t drops = 0;
        for (size_t i = 0; i < component_canon_count(c); i++)
            if (component_canon_at(c, i)->kind == COMPONENT_CANON_RESOURCE_DROP)
                drops++;
        CHECK(drops >= 1);
        CHECK_STR(component_canon_name(COMPONENT_CANON_RESOURCE_DROP), "resource.drop");
        component_free(c);
    }
    free(bytes);
}

/* ---- names -------------------------------------------------------------- */

static void test_name_parsing(void)
{
    component_name n;
    util_error *err = NULL;
    const char *s = "wasi:http/incoming-handler@0.2.0-rc-2023-10-18";
    CHECK_INT(component_name_parse(s, strlen(s), &n, &err), 0);
    CHECK_STR(n.ns, "wasi");
    CHECK_STR(n.package, "http");
    CHECK_STR(n.interface, "incoming-handler");
    CHECK_STR(n.version, "0.2.0-rc-2023-10-18");
    component_name_clear(&n);
    s = "fermyon:spin/inbound-http";
    CHECK_INT(component_name_parse(s, strlen(s), &n, &err), 0);
    CHECK(n.version == NULL);
    component_name_clear(&n);
    s = "[method]fields.get";
    CHECK_INT(component_name_parse(s, strlen(s), &n, &err), 0);
    CHECK_INT(n.kind, COMPONENT_NAME_PLAIN);
    CHECK_INT(n.plain, COMPONENT_PLAIN_METHOD);
    CHECK_STR(n.resource, "fields");
    CHECK_STR(n.label, "get");
    component_name_clear(&n);
    s = "[constructor]fields";
    CHECK_INT(component_name_parse(s, strlen(s), &n, &err), 0);
    CHECK_INT(n.plain, COMPONENT_PLAIN_CONSTRUCTOR);
    CHECK_STR(n.resource, "fields");
    component_name_clear(&n);
    s = "URL-parse2";
    CHECK_INT(component_name_parse(s, strlen(s), &n, &err), 0);
    component_name_clear(&n);

    static const struct {
        const char *name, *msg;
    } bad[] = {
        {"wasi:cli/run@0.2", "bad version"},
        {"wasi:cli/run@0.02.1", "bad version"},
        {"Wasi:cli/run", "bad namespace"},
        {"wasi:cli", "bad package"},
        {"wasi:cli/", "bad interface"},
        {"wasi:cli/run@", "bad version"},
        {"run-", "not a kebab-case label"},
        {"Run", "unexpected 'u'"},
        {"[method]fields", "expected resource.label"},
        {"thunk trap", "unexpected ' '"},
        {"", "not a kebab-case label"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(bad); i++) {
        int rc = component_name_parse(bad[i].name, strlen(bad[i].name), &n, &err);
        CHECK_INT(rc, -1);
        if (rc < 0) {
            if (!strstr(err->msg, bad[i].msg))
                fprintf(stderr, "\"%s\": %s\n", bad[i].name, err->msg);
            CHECK(strstr(err->msg, bad[i].msg) != NULL);
            util_error_free(&err);
        } else {
            component_name_clear(&n);
        }
    }
}

/* ---- damaged real components ---------------------------------------------- */

/* The offsets where a top-level section ends: cutting there leaves a
 * shorter but well-formed component. */
static bool is_section_end(const uint8_t *b, size_t len, size_t cut)
{
    size_t pos = 8;
    if (cut == pos)
        return true;
    while (pos < len) {
        uint32_t size = 0;
        unsigned shift = 0;
        pos++;
        while (b[pos] & 0x80)
            size |= (uint32_t)(b[pos++] & 0x7f) << shift, shift += 7;
        size |= (uint32_t)b[pos++] << shift;
        pos += size;
        if (pos == cut)
            return true;
    }
    return false;
}

static void test_every_truncation_is_refused(void)
{
    const char *const files[] = {"real/gh-runwasi-simple_component.wasm", "real/c-http.wasm"};
    for (size_t f = 0; f < UTIL_ARRAY_LEN(files); f++) {
        size_t len;
        char *bytes = load(files[f], &len);
        CHECK(bytes != NULL);
        if (!bytes)
            continue;
        size_t refused = 0, boundaries = 0;
        for (size_t cut = 0; cut < len; cut++) {
            /* a fresh copy of exactly `cut` bytes, so ASan sees any overread */
            char *copy = util_xmalloc(cut ? cut : 1);
            memcpy(copy, bytes, cut);
            char *msg = decode_error(copy, cut);
            bool boundary = cut >= 8 && is_section_end((uint8_t *)bytes, len, cut);
            if ((msg == NULL) != boundary)
                fprintf(stderr, "%s cut at %zu: %s\n", files[f], cut, msg ? msg : "decoded");
            CHECK((msg == NULL) == boundary);
            if (msg) {
                refused++;
                CHECK(strstr(msg, "offset 0x") != NULL);
            } else {
                boundaries++;
            }
            free(msg);
            free(copy);
        }
        CHECK(refused > len / 2);
        CHECK(boundaries >= 2);
        free(bytes);
    }
}

/* Flipping any byte either still decodes (a core module's body, a custom
 * section, an index that stays in range) or gives an error naming where. */
static void test_flipped_bytes(void)
{
    size_t len;
    char *bytes = load("real/c-http.wasm", &len);
    CHECK(bytes != NULL);
    if (!bytes)
        return;
    size_t refused = 0;
    for (size_t i = 0; i < len; i++) {
        for (int mask = 0x01; mask <= 0x80; mask <<= 3) {
            bytes[i] ^= (char)mask;
            char *msg = decode_error(bytes, len);
            bytes[i] ^= (char)mask;
            if (!msg)
                continue;
            refused++;
            unsigned long at = 0;
            const char *o = strstr(msg, "offset 0x");
            CHECK(o != NULL);
            if (o)
                at = strtoul(o + 9, NULL, 16);
            CHECK(at <= len);
            free(msg);
        }
    }
    /* the preamble and every section header and entry of the component
     * layer are checked: many flips are caught */
    CHECK(refused > 1000);
    free(bytes);
}

/* ---- hand-built malformed components ------------------------------------ */

#define PRE 0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00

static void expect_error(const uint8_t *b, size_t len, const char *want)
{
    char *msg = decode_error(b, len);
    CHECK(msg != NULL);
    if (msg && strcmp(msg, want) != 0)
        fprintf(stderr, "want: %s\nhave: %s\n", want, msg);
    CHECK(msg && strcmp(msg, want) == 0);
    free(msg);
}

#define EXPECT(want, ...) \
    do { \
        static const uint8_t b_[] = {__VA_ARGS__}; \
        expect_error(b_, sizeof(b_), want); \
    } while (0)

static void test_malformed_inputs(void)
{
    EXPECT("type section at offset 0xb: unknown defvaltype 0x5c", PRE, 0x07, 0x02, 0x01, 0x5c);
    EXPECT("preamble at offset 0x0: a core Wasm module, not a component", 0x00, 0x61,
           0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
    EXPECT("preamble at offset 0x4: unsupported version/layer 0c 00 01 00 (want 0d 00 "
           "01 00)", 0x00, 0x61, 0x73, 0x6d, 0x0c, 0x00, 0x01, 0x00);
    EXPECT("section header at offset 0x8: unknown section id 13", PRE, 0x0d, 0x00);
    EXPECT("section header at offset 0x9: type section of 5 bytes runs past the end (1 left)", PRE,
           0x07, 0x05, 0x01);
    EXPECT("type section at offset 0xa: count 4294967295 exceeds the 0 bytes left", PRE, 0x07,
           0x05, 0xff, 0xff, 0xff, 0xff, 0x0f);
    EXPECT("type section at offset 0xa: integer too large for u32", PRE, 0x07, 0x06, 0xff, 0xff,
           0xff, 0xff, 0xff, 0x00);
    /* alias export 'f' of instance 0, with no instance defined */
    EXPECT("alias section at offset 0xd: instance index 0 out of range (0 defined)", PRE, 0x06,
           0x06, 0x01, 0x01, 0x00, 0x00, 0x01, 'f');
    /* canon lift of core func 0, none defined */
    EXPECT("canon section at offset 0xd: core func index 0 out of range (0 defined)", PRE, 0x08,
           0x06, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00);
    /* export "f" of func 3 */
    EXPECT("export section at offset 0xf: func index 3 out of range (0 defined)", PRE, 0x0b, 0x07,
           0x01, 0x00, 0x01, 'f', 0x01, 0x03, 0x00);
    /* own of a bool */
    EXPECT("type section at offset 0xd: own of type 0, which is not a resource", PRE, 0x07, 0x04,
           0x02, 0x7f, 0x69, 0x00);
    /* a record whose field label is not kebab-case */
    EXPECT("type section at offset 0xd: bad label \"a_b\"", PRE, 0x07, 0x07, 0x01, 0x72, 0x01,
           0x03, 'a', '_', 'b', 0x7f);
    /* a record without fields */
    EXPECT("type section at offset 0xb: record with no fields", PRE, 0x07, 0x03, 0x01, 0x72,
           0x00);
    /* flags with 33 labels "a" */
    uint8_t flags[8 + 2 + 3 + 66] = {PRE, 0x07, 3 + 66, 0x01, 0x6e, 33};
    for (int i = 0; i < 33; i++)
        flags[13 + 2 * i] = 0x01, flags[14 + 2 * i] = 'a';
    expect_error(flags, sizeof(flags), "type section at offset 0xb: flags with 33 labels (at most 32)");
    EXPECT("canon section at offset 0xb: unknown canon 0x07", PRE, 0x08, 0x02, 0x01, 0x07);
    EXPECT("value section at offset 0xa: value definitions are not supported", PRE, 0x0c, 0x01,
           0x00);
    /* an import with a bad interface name */
    EXPECT("import section at offset 0xb: bad version in interface name \"a:b/c@1\"", PRE, 0x0a,
           0x0b, 0x01, 0x00, 0x07, 'a', ':', 'b', '/', 'c', '@', '1', 0x03, 0x01);
    /* a name that is not UTF-8 */
    EXPECT("import section at offset 0xc: name is not valid UTF-8", PRE, 0x0a, 0x06, 0x01, 0x00,
           0x02, 0xc3, 0x28, 0x00);
    /* an import of type (sub resource), then own of it is fine, then a
     * section with a byte left over */
    EXPECT("import section at offset 0x10: 1 bytes left over at the end of the section", PRE,
           0x0a, 0x07, 0x01, 0x00, 0x01, 'r', 0x03, 0x01, 0x00);
    /* outer alias reaching past the outermost component */
    EXPECT("alias section at offset 0xd: outer alias count 1 leaves every scope", PRE, 0x06, 0x05,
           0x01, 0x03, 0x02, 0x01, 0x00);
    /* core instance instantiating module 0, none defined */
    EXPECT("core instance section at offset 0xc: core module index 0 out of range (0 defined)",
           PRE, 0x02, 0x04, 0x01, 0x00, 0x00, 0x00);
    /* resource.drop of a non-resource */
    EXPECT("canon section at offset 0x10: resource.drop of type 0, which is not a resource", PRE,
           0x07, 0x02, 0x01, 0x73, 0x08, 0x03, 0x01, 0x03, 0x00);
    /* import "r" (sub resource); canon resource.drop 0 = core func 0;
     * type 1 = string; canon lift core func 0 to type 1 */
    EXPECT("canon section at offset 0x20: lift to type 1, which is not a function type", PRE,
           0x0a, 0x06, 0x01, 0x00, 0x01, 'r', 0x03, 0x01, 0x08, 0x03, 0x01, 0x03, 0x00, 0x07,
           0x02, 0x01, 0x73, 0x08, 0x06, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01);
    /* the same core func 0, exported */
    EXPECT("export section at offset 0x1b: a core func cannot be exported", PRE, 0x0a, 0x06, 0x01,
           0x00, 0x01, 'r', 0x03, 0x01, 0x08, 0x03, 0x01, 0x03, 0x00, 0x0b, 0x08, 0x01, 0x00, 0x01,
           'f', 0x00, 0x00, 0x00, 0x00);
    /* a resource type defined inside an instance type */
    EXPECT("type section at offset 0xe: resource type defined inside a component or instance "
           "type", PRE, 0x07, 0x06, 0x01, 0x42, 0x01, 0x01, 0x3f, 0x7f, 0x00);
    /* an embedded module that is not one */
    EXPECT("core module section at offset 0xa: embedded module does not start with a core Wasm "
           "preamble", PRE, 0x01, 0x02, 0x00, 0x61);
}

static void test_valid_handles_and_resources(void)
{
    /* import type "r" (sub resource); type 1 = own 0; type 2 = borrow 0;
     * canon resource.drop 0 -> core func 0; export "d"... not allowed for
     * core funcs: the component decodes with the counts below */
    static const uint8_t b[] = {PRE, 0x0a, 0x06, 0x01, 0x00, 0x01, 'r', 0x03, 0x01,
                                0x07, 0x05, 0x02, 0x69, 0x00, 0x68, 0x00,
                                0x08, 0x03, 0x01, 0x03, 0x00};
    component *c = NULL;
    util_error *err = NULL;
    CHECK_INT(component_decode(b, sizeof(b), &c, &err), 0);
    if (err)
        fprintf(stderr, "%s\n", err->msg), util_error_free(&err);
    if (!c)
        return;
    CHECK_INT(component_count(c, COMPONENT_SORT_TYPE), 3);
    CHECK_INT(component_count(c, COMPONENT_SORT_CORE_FUNC), 1);
    CHECK_INT(component_type_at(c, 0)->kind, COMPONENT_TYPE_IMPORT_SUB);
    CHECK_INT(component_type_at(c, 1)->kind, COMPONENT_TYPE_OWN);
    CHECK_INT(component_type_at(c, 2)->kind, COMPONENT_TYPE_BORROW);
    CHECK_INT(component_canon_at(c, 0)->kind, COMPONENT_CANON_RESOURCE_DROP);
    CHECK_INT(component_import(c, 0)->sort, COMPONENT_SORT_TYPE);
    component_free(c);
}

/* Type imports bound (eq) to earlier ones: each names the original type,
 * so resolving a type is one step however long the chain (a hostile chain
 * of a million eq imports must not make every use walk it). */
static void test_eq_chains_collapse(void)
{
    /* import "a" (type (sub resource)); "b" (type (eq 0)); "c" (type (eq 1));
     * then type 3 = own 2 */
    static const uint8_t b[] = {PRE, 0x0a, 0x12, 0x03,
                                0x00, 0x01, 'a', 0x03, 0x01,
                                0x00, 0x01, 'b', 0x03, 0x00, 0x00,
                                0x00, 0x01, 'c', 0x03, 0x00, 0x01,
                                0x07, 0x03, 0x01, 0x69, 0x02};
    component *c = NULL;
    util_error *err = NULL;
    CHECK_INT(component_decode(b, sizeof(b), &c, &err), 0);
    if (err)
        fprintf(stderr, "%s\n", err->msg), util_error_free(&err);
    if (!c)
        return;
    CHECK_INT(component_type_at(c, 1)->kind, COMPONENT_TYPE_IMPORT_EQ);
    CHECK_INT(component_type_at(c, 1)->index, 0);
    CHECK_INT(component_type_at(c, 2)->kind, COMPONENT_TYPE_IMPORT_EQ);
    CHECK_INT(component_type_at(c, 2)->index, 0);
    CHECK_INT(component_type_at(c, 3)->kind, COMPONENT_TYPE_OWN);
    CHECK_INT(component_import(c, 2)->index, 2);
    component_free(c);
}

/* 40 components nested in one another: refused at the depth limit, no
 * deep recursion. */
static void test_nesting_is_bounded(void)
{
    enum { DEPTH = 40 };
    uint8_t *b = util_xcalloc(1, DEPTH * 16 + 16);
    size_t len = 8;
    memcpy(b, (uint8_t[]){PRE}, 8);
    /* build from the inside out: each level = preamble + section 4 */
    for (int level = 0; level < DEPTH; level++) {
        /* wrap b[0..len) as the payload of a component section */
        size_t payload = len;
        uint8_t hdr[8 + 1 + 5];
        size_t h = 0;
        memcpy(hdr, (uint8_t[]){PRE}, 8);
        h = 8;
        hdr[h++] = 0x04;
        size_t v = payload;
        do {
            hdr[h++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            v >>= 7;
        } while (v);
        memmove(b + h, b, len);
        memcpy(b, hdr, h);
        len += h;
    }
    char *msg = decode_error(b, len);
    CHECK(msg && strstr(msg, "components nested deeper than 32") != NULL);
    CHECK(msg && strncmp(msg, "component section at offset 0x", 30) == 0);
    free(msg);
    free(b);
}

static void test_is_component(void)
{
    static const uint8_t comp[] = {PRE};
    static const uint8_t core[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    CHECK(component_is_component(comp, sizeof(comp)));
    CHECK(!component_is_component(comp, 7));
    CHECK(!component_is_component(core, sizeof(core)));
    CHECK(!component_is_component(NULL, 8));
    size_t len;
    char *bytes = load("real/gh-runwasi-hello_world.core.wasm", &len);
    CHECK(bytes && !component_is_component(bytes, len));
    char *msg = bytes ? decode_error(bytes, len) : NULL;
    CHECK(msg && strstr(msg, "a core Wasm module, not a component"));
    free(msg);
    free(bytes);
}

int main(void)
{
    RUN(test_every_real_component_decodes);
    RUN(test_every_jco_component_decodes);
    RUN(test_c_hello_cmd_world);
    RUN(test_hello_wasi_http_imports_io_twice);
    RUN(test_spin_js_exports_incoming_handler);
    RUN(test_simple_component_functions);
    RUN(test_embedded_modules_decode_with_the_engine);
    RUN(test_resources_in_the_model);
    RUN(test_name_parsing);
    RUN(test_every_truncation_is_refused);
    RUN(test_flipped_bytes);
    RUN(test_malformed_inputs);
    RUN(test_valid_handles_and_resources);
    RUN(test_eq_chains_collapse);
    RUN(test_nesting_is_bounded);
    RUN(test_is_component);
    return TEST_SUMMARY();
}
