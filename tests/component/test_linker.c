/*
 * test_linker.c - the host side of the component linker: the WIT-like
 * signature text (parse, format, errors with offsets), named types and
 * resources per interface, wasmtime's semver matching of interface names,
 * structural equality with its explanation, host-call contexts
 * (component_call) and calls through component_linker_call that return
 * values, trap and exit.
 */
#include "host.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

/* Parses `text` as a type (no names in scope) and formats it back; the
 * error message instead when it does not parse. */
static char *roundtrip_type(const char *text)
{
    component_rtype_pool *pool = component_rtype_pool_new();
    util_error *err = NULL;
    char buf[1024];
    const component_rtype *t = component_sig_parse_type(pool, NULL, "type", text, &err);
    if (t) {
        component_rtype_format(t, buf, sizeof buf);
    } else {
        snprintf(buf, sizeof buf, "%s", err->msg);
        util_error_free(&err);
    }
    component_rtype_pool_free(pool);
    return util_xstrdup(buf);
}

static char *roundtrip_func(const char *text)
{
    component_rtype_pool *pool = component_rtype_pool_new();
    util_error *err = NULL;
    char buf[1024];
    const component_rfunc *f = component_sig_parse_func(pool, NULL, "sig", text, &err);
    if (f) {
        component_rfunc_format(f, buf, sizeof buf);
    } else {
        snprintf(buf, sizeof buf, "%s", err->msg);
        util_error_free(&err);
    }
    component_rtype_pool_free(pool);
    return util_xstrdup(buf);
}

#define CHECK_TYPE(text, expect)                                                             \
    do {                                                                                     \
        char *got_ = roundtrip_type(text);                                                   \
        CHECK_STR(got_, expect);                                                             \
        free(got_);                                                                          \
    } while (0)

#define CHECK_FUNC(text, expect)                                                             \
    do {                                                                                     \
        char *got_ = roundtrip_func(text);                                                   \
        CHECK_STR(got_, expect);                                                             \
        free(got_);                                                                          \
    } while (0)

/* The error of a failing call as a malloc'd string ("" if it succeeded). */
static char *take_error(int rc, util_error **err)
{
    if (rc == 0)
        return util_xstrdup("");
    char *msg = util_xstrdup(*err ? (*err)->msg : "(no error set)");
    util_error_free(err);
    return msg;
}

#define CHECK_CONTAINS(hay, needle)                                                          \
    do {                                                                                     \
        const char *h_ = (hay), *n_ = (needle);                                              \
        if (!h_ || !strstr(h_, n_)) {                                                        \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,  \
                    h_ ? h_ : "(null)", n_);                                                 \
            test_checks_failed++;                                                            \
        }                                                                                    \
    } while (0)

static int noop_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs, (void)result;
    return 0;
}

/* ---- text ---------------------------------------------------------------- */

static void test_roundtrip_every_form(void)
{
    const char *prims[] = {"bool", "s8",  "u8",  "s16", "u16",  "s32",   "u32",
                           "s64",  "u64", "f32", "f64", "char", "string"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(prims); i++)
        CHECK_TYPE(prims[i], prims[i]);
    CHECK_TYPE("list<u8>", "list<u8>");
    CHECK_TYPE("option< string >", "option<string>");
    CHECK_TYPE("tuple<u32,string , f64>", "tuple<u32, string, f64>");
    CHECK_TYPE("result", "result");
    CHECK_TYPE("result<_>", "result");
    CHECK_TYPE("result<u32>", "result<u32>");
    CHECK_TYPE("result<_, string>", "result<_, string>");
    CHECK_TYPE("result<list<u8>,string>", "result<list<u8>, string>");
    CHECK_TYPE("record{seconds: u64, nanoseconds: u32}", "record{seconds: u64, nanoseconds: u32}");
    CHECK_TYPE("record {\n  a:u8,\n  b-c: list<string>,\n}", "record{a: u8, b-c: list<string>}");
    CHECK_TYPE("variant{none, some(u32), closed}", "variant{none, some(u32), closed}");
    CHECK_TYPE("enum{ read , write }", "enum{read, write}");
    CHECK_TYPE("flags{read, write, mutate-directory}", "flags{read, write, mutate-directory}");
    CHECK_TYPE("%record{%type: u8}", "type at 0: unknown type `record`");
    CHECK_TYPE("record{%type: u8, HTTP-version: u8}", "record{type: u8, HTTP-version: u8}");
    CHECK_TYPE("list<option<tuple<result<record{x: variant{a(list<u8>), b}}, enum{e}>, "
               "flags{f}>>>",
               "list<option<tuple<result<record{x: variant{a(list<u8>), b}}, enum{e}>, "
               "flags{f}>>>");
    CHECK_FUNC("func()", "func()");
    CHECK_FUNC("func ( ) -> u32", "func() -> u32");
    CHECK_FUNC("func(a: u32, b-c: string) -> result<_, string>",
               "func(a: u32, b-c: string) -> result<_, string>");
    CHECK_FUNC("func(x:list<u8>,)", "func(x: list<u8>)");
}

static void test_parse_errors(void)
{
    CHECK_TYPE("", "type at 0: expected a type, found end of text");
    CHECK_TYPE("list<u8", "type at 7: expected `>`, found end of text");
    CHECK_TYPE("list<u8> x", "type at 9: expected end of text, found `x`");
    CHECK_TYPE("lst<u8>", "type at 0: unknown type `lst`");
    CHECK_TYPE("record{}", "type at 7: expected a label, found `}`");
    CHECK_TYPE("record{a u8}", "type at 9: expected `:`, found `u8`");
    CHECK_TYPE("record{a: u8, a: u16}", "type at 14: duplicate label `a`");
    CHECK_TYPE("record{Foo-bar: u8}", "type at 7: `Foo-bar` is not a kebab-case label");
    CHECK_TYPE("enum{a_b}", "type at 5: `a_b` is not a kebab-case label");
    CHECK_TYPE("variant{a(u8}", "type at 12: expected `)`, found `}`");
    CHECK_TYPE("own<error>", "type at 4: unknown resource `error`");
    CHECK_TYPE("result<_ u8>", "type at 9: expected `>`, found `u8`");
    CHECK_TYPE("tuple<>", "type at 6: expected a type, found `>`");
    CHECK_TYPE("list<$>", "type at 5: expected a type, found `$`");
    CHECK_TYPE("list<\xc3\xa9>", "type at 5: expected a type, found byte 0xc3");
    CHECK_TYPE("record{a: u8;}", "type at 12: expected `}`, found `;`");
    CHECK_FUNC("fn()", "sig at 0: expected `func(`, found `fn`");
    CHECK_FUNC("func(a: u8) u8", "sig at 12: expected end of text, found `u8`");
    CHECK_FUNC("func(a: u8, a: u8)", "sig at 12: duplicate label `a`");
    CHECK_FUNC("func(a: u8) ->", "sig at 14: expected a type, found end of text");
    /* handles are lent to callees only: no borrow in a result, however deep */
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    CHECK(component_linker_define_resource(l, "a:b/c", "r", NULL, &err) != NULL);
    CHECK_INT(component_linker_define_type(l, "a:b/c", "holder", "record{h: borrow<r>}", &err), 0);
    CHECK_INT(component_linker_define_func(l, "a:b/c", "ok", "func(x: holder) -> own<r>", noop_fn,
                                           NULL, &err),
              0);
    char *m = take_error(component_linker_define_func(l, "a:b/c", "bad",
                                                      "func() -> option<holder>", noop_fn, NULL,
                                                      &err),
                         &err);
    CHECK_STR(m, "a:b/c: signature of bad at 10: a result cannot hold a borrow<...> handle");
    free(m);
    component_linker_free(l);

    /* 65 flags are too many for a component_val's 64 bits */
    char flags[1024] = "flags{";
    for (int i = 0; i < 65; i++)
        snprintf(flags + strlen(flags), sizeof flags - strlen(flags), "%sf%d", i ? ", " : "", i);
    strcat(flags, "}");
    char *got = roundtrip_type(flags);
    CHECK_CONTAINS(got, "flags with more than 64 labels");
    free(got);

    /* nesting: 64 levels parse, 65 are refused with the offset of the
     * first type past the bound */
    char deep[1024] = "";
    for (int i = 0; i < 63; i++)
        strcat(deep, "list<");
    strcat(deep, "u8");
    for (int i = 0; i < 63; i++)
        strcat(deep, ">");
    got = roundtrip_type(deep);
    CHECK_STR(got, deep);
    free(got);
    char deeper[1024] = "option<";
    strcat(deeper, deep);
    strcat(deeper, ">");
    got = roundtrip_type(deeper);
    CHECK_STR(got, "type at 322: types nested deeper than 64");
    free(got);
    /* far deeper text ends at the bound too, without using the stack */
    size_t n = 100000;
    char *huge = malloc(n * 5 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(huge + i * 5, "list<", 5);
    huge[n * 5] = '\0';
    got = roundtrip_type(huge);
    CHECK_CONTAINS(got, "types nested deeper than 64");
    free(got);
    free(huge);
}

/* Formatting truncates with "..." and never writes past the buffer. */
static void test_format_truncates(void)
{
    component_rtype_pool *pool = component_rtype_pool_new();
    util_error *err = NULL;
    const component_rtype *t =
        component_sig_parse_type(pool, NULL, "t", "record{alpha: u32, beta: string}", &err);
    CHECK(t != NULL);
    char buf[16];
    memset(buf, 'Z', sizeof buf);
    component_rtype_format(t, buf, 12);
    CHECK_STR(buf, "record{a...");
    CHECK(buf[12] == 'Z');
    component_rtype_format(t, buf, 1);
    CHECK_STR(buf, "");
    component_rtype_pool_free(pool);
}

/* Parsed types carry their canonical-ABI layout. */
static void test_parsed_types_are_laid_out(void)
{
    component_rtype_pool *pool = component_rtype_pool_new();
    util_error *err = NULL;
    const component_rtype *t = component_sig_parse_type(
        pool, NULL, "t", "record{seconds: u64, nanoseconds: u32}", &err);
    CHECK(t != NULL);
    if (t) {
        CHECK_INT(t->size, 16);
        CHECK_INT(t->align, 8);
        CHECK_INT(t->nflat, 2);
    }
    const component_rfunc *f = component_sig_parse_func(
        pool, NULL, "f", "func(a: string, b: list<u8>) -> result<u64, string>", &err);
    CHECK(f != NULL);
    if (f) {
        CHECK(!f->params_in_memory);
        CHECK(f->result_in_memory);
        CHECK_INT(f->nflat_params, 4);
    }
    component_rtype_pool_free(pool);
}

/* ---- named types and resources -------------------------------------------- */

static void test_names_within_interface(void)
{
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    const char *io = "wasi:io/streams@0.2.6";
    component_resource_type *error = component_linker_define_resource(l, "wasi:io/error@0.2.6",
                                                                      "error", NULL, &err);
    CHECK(error != NULL);
    component_resource_type *out = component_linker_define_resource(l, io, "output-stream",
                                                                    NULL, &err);
    CHECK(out != NULL);
    /* not visible in streams until aliased */
    char *msg = take_error(component_linker_define_type(
                               l, io, "stream-error",
                               "variant{last-operation-failed(own<error>), closed}", &err),
                           &err);
    CHECK_STR(msg, "wasi:io/streams@0.2.6: type stream-error at 34: unknown resource `error`");
    free(msg);
    CHECK_INT(component_linker_alias_resource(l, io, "error", error, &err), 0);
    CHECK_INT(component_linker_define_type(l, io, "stream-error",
                                           "variant{last-operation-failed(own<error>), closed}",
                                           &err),
              0);
    CHECK_INT(component_linker_define_func(
                  l, io, "[method]output-stream.write",
                  "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, stream-error>",
                  noop_fn, NULL, &err),
              0);
    msg = take_error(component_linker_define_func(
                         l, io, "[method]output-stream.flush",
                         "func(self: borrow<output-stream>) -> result<_, stream-eror>", noop_fn,
                         NULL, &err),
                     &err);
    CHECK_STR(msg, "wasi:io/streams@0.2.6: signature of [method]output-stream.flush at 47: "
                   "unknown type `stream-eror`");
    free(msg);

    const component_host_interface *i = component_linker_find(l, io);
    CHECK(i != NULL);
    const component_host_func *f = component_host_interface_func(i, "[method]output-stream.write");
    CHECK(f != NULL);
    if (f) {
        char buf[256];
        component_rfunc_format(&f->type, buf, sizeof buf);
        CHECK_STR(buf, "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, "
                       "variant{last-operation-failed(own<error>), closed}>");
        CHECK(f->type.params[0].type->resource == out);
        CHECK(f->type.result->b->fields[0].type->resource == error);
    }
    CHECK(component_host_interface_resource(i, "error") == error);
    CHECK(component_host_interface_type(i, "stream-error") != NULL);
    CHECK(component_host_interface_type(i, "output-stream") == NULL);

    /* named types do not cross interfaces either */
    CHECK_INT(component_linker_define_type(l, "wasi:io/poll@0.2.6", "stream-error", "u8", &err), 0);
    msg = take_error(component_linker_define_func(l, "wasi:io/other@0.2.6", "f",
                                                  "func() -> stream-error", noop_fn, NULL, &err),
                     &err);
    CHECK_STR(msg, "wasi:io/other@0.2.6: signature of f at 10: unknown type `stream-error`");
    free(msg);
    /* and each interface's name means its own type */
    CHECK_INT(component_linker_define_func(l, "wasi:io/poll@0.2.6", "f", "func() -> stream-error",
                                           noop_fn, NULL, &err),
              0);
    const component_host_func *pf =
        component_host_interface_func(component_linker_find(l, "wasi:io/poll@0.2.6"), "f");
    CHECK(pf && pf->type.result->kind == COMPONENT_TYPE_PRIM);

    /* a resource named like a keyword is written %name, and formatted so */
    CHECK(component_linker_define_resource(l, io, "list", NULL, &err) != NULL);
    CHECK_INT(component_linker_define_func(l, io, "kw", "func(x: borrow<%list>) -> %list",
                                           noop_fn, NULL, &err),
              0);
    f = component_host_interface_func(i, "kw");
    if (f) {
        char buf[128];
        component_rfunc_format(&f->type, buf, sizeof buf);
        CHECK_STR(buf, "func(x: borrow<%list>) -> own<%list>");
    }

    /* a bare resource name means own<resource>, as in WIT */
    CHECK_INT(component_linker_define_func(l, io, "get", "func() -> output-stream", noop_fn,
                                           NULL, &err),
              0);
    f = component_host_interface_func(i, "get");
    CHECK(f && f->type.result->kind == COMPONENT_TYPE_OWN && f->type.result->resource == out);

    /* a resource in own<> must be a resource, a type name a type */
    msg = take_error(component_linker_define_type(l, io, "x", "own<stream-error>", &err), &err);
    CHECK_STR(msg, "wasi:io/streams@0.2.6: type x at 4: `stream-error` is a type, not a resource");
    free(msg);
    component_linker_free(l);
}

static void test_name_clashes_and_redefinition(void)
{
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    const char *I = "test:pkg/i@1.0.0";
    component_resource_type *r = component_linker_define_resource(l, I, "res", NULL, &err);
    CHECK(r != NULL);
    /* the same resource twice: a clash with a new, different type */
    char *msg = take_error(component_linker_define_resource(l, I, "res", NULL, &err) ? 0 : -1,
                           &err);
    CHECK_STR(msg, "test:pkg/i@1.0.0: resource res is already defined as another type");
    free(msg);
    /* aliasing the same type again is no clash */
    CHECK_INT(component_linker_alias_resource(l, I, "res", r, &err), 0);
    component_resource_type *other = component_linker_define_resource(l, "test:pkg/j@1.0.0",
                                                                      "res", NULL, &err);
    CHECK(other != NULL && other != r);
    msg = take_error(component_linker_alias_resource(l, I, "res", other, &err), &err);
    CHECK_STR(msg, "test:pkg/i@1.0.0: resource res is already defined as another type");
    free(msg);
    /* types and resources share names */
    msg = take_error(component_linker_define_type(l, I, "res", "u8", &err), &err);
    CHECK_STR(msg, "test:pkg/i@1.0.0: type res: the name is already a resource");
    free(msg);
    CHECK_INT(component_linker_define_type(l, I, "t", "u8", &err), 0);
    msg = take_error(component_linker_define_resource(l, I, "t", NULL, &err) ? 0 : -1, &err);
    CHECK_STR(msg, "test:pkg/i@1.0.0: resource t: the name is already a type");
    free(msg);
    msg = take_error(component_linker_define_type(l, I, "Not_kebab", "u8", &err), &err);
    CHECK_CONTAINS(msg, "type name \"Not_kebab\" is not a kebab-case label");
    free(msg);
    msg = take_error(component_linker_define_func(l, I, "bad name", "func()", noop_fn, NULL, &err),
                     &err);
    CHECK_CONTAINS(msg, "test:pkg/i@1.0.0: function");
    free(msg);
    msg = take_error(component_linker_define_func(l, "no-colon/x@1", "f", "func()", noop_fn, NULL,
                                                  &err),
                     &err);
    CHECK(msg[0] != '\0');
    free(msg);

    /* redefinition replaces: types for later signatures, functions whole */
    CHECK_INT(component_linker_define_func(l, I, "f", "func() -> t", noop_fn, NULL, &err), 0);
    CHECK_INT(component_linker_define_type(l, I, "t", "string", &err), 0);
    CHECK_INT(component_linker_define_func(l, I, "g", "func() -> t", noop_fn, NULL, &err), 0);
    const component_host_interface *i = component_linker_find(l, I);
    const component_host_func *f = component_host_interface_func(i, "f");
    const component_host_func *g = component_host_interface_func(i, "g");
    CHECK(f && f->type.result->prim == COMPONENT_PRIM_U8);
    CHECK(g && g->type.result->prim == COMPONENT_PRIM_STRING);
    CHECK_INT(component_linker_define_func(l, I, "f", "func(x: t)", noop_fn, NULL, &err), 0);
    f = component_host_interface_func(i, "f");
    CHECK(f && f->type.nparams == 1 && !f->type.result);
    component_linker_free(l);
}

/* Interfaces as the WASI 0.2 hosts declare them (text after the WIT of
 * wasi-io and wasi-filesystem 0.2.12), with a `use` made by aliasing. */
static void test_wasi_shapes(void)
{
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    const char *errs = "wasi:io/error@0.2.12", *poll = "wasi:io/poll@0.2.12";
    const char *io = "wasi:io/streams@0.2.12", *fs = "wasi:filesystem/types@0.2.12";
    component_resource_type *error = component_linker_define_resource(l, errs, "error", NULL, &err);
    component_resource_type *pollable =
        component_linker_define_resource(l, poll, "pollable", NULL, &err);
    CHECK(error && pollable);
    struct {
        const char *iface, *name, *sig;
    } funcs[] = {
        {errs, "[method]error.to-debug-string", "func(self: borrow<error>) -> string"},
        {poll, "poll", "func(in: list<borrow<pollable>>) -> list<u32>"},
        {poll, "[method]pollable.block", "func(self: borrow<pollable>)"},
        {io, "[method]input-stream.read",
         "func(self: borrow<input-stream>, len: u64) -> result<list<u8>, stream-error>"},
        {io, "[method]output-stream.check-write",
         "func(self: borrow<output-stream>) -> result<u64, stream-error>"},
        {io, "[method]output-stream.splice",
         "func(self: borrow<output-stream>, src: borrow<input-stream>, len: u64) -> "
         "result<u64, stream-error>"},
        {io, "[method]output-stream.subscribe", "func(self: borrow<output-stream>) -> pollable"},
        {fs, "[method]descriptor.stat",
         "func(self: borrow<descriptor>) -> result<descriptor-stat, error-code>"},
        {fs, "[method]descriptor.read-directory",
         "func(self: borrow<descriptor>) -> result<directory-entry-stream, error-code>"},
        {fs, "[method]directory-entry-stream.read-directory-entry",
         "func(self: borrow<directory-entry-stream>) -> result<option<directory-entry>, "
         "error-code>"},
        {fs, "[method]descriptor.open-at",
         "func(self: borrow<descriptor>, path-flags: path-flags, path: string, open-flags: "
         "open-flags, %flags: descriptor-flags) -> result<descriptor, error-code>"},
    };
    CHECK_INT(component_linker_alias_resource(l, io, "error", error, &err), 0);
    CHECK_INT(component_linker_alias_resource(l, io, "pollable", pollable, &err), 0);
    CHECK(component_linker_define_resource(l, io, "input-stream", NULL, &err) != NULL);
    CHECK(component_linker_define_resource(l, io, "output-stream", NULL, &err) != NULL);
    CHECK_INT(component_linker_define_type(l, io, "stream-error",
                                           "variant { last-operation-failed(error), closed }",
                                           &err),
              0);
    CHECK(component_linker_define_resource(l, fs, "descriptor", NULL, &err) != NULL);
    CHECK(component_linker_define_resource(l, fs, "directory-entry-stream", NULL, &err) != NULL);
    const char *types[][2] = {
        {"datetime", "record { seconds: u64, nanoseconds: u32 }"},
        {"filesize", "u64"},
        {"link-count", "u64"},
        {"descriptor-type", "enum { unknown, block-device, character-device, directory, fifo, "
                            "symbolic-link, regular-file, socket }"},
        {"descriptor-stat", "record { %type: descriptor-type, link-count: link-count, size: "
                            "filesize, data-access-timestamp: option<datetime>, "
                            "data-modification-timestamp: option<datetime>, "
                            "status-change-timestamp: option<datetime> }"},
        {"directory-entry", "record { %type: descriptor-type, name: string }"},
        {"error-code", "enum { access, would-block, already, bad-descriptor, busy }"},
        {"path-flags", "flags { symlink-follow }"},
        {"open-flags", "flags { create, directory, exclusive, truncate }"},
        {"descriptor-flags", "flags { read, write, file-integrity-sync, data-integrity-sync, "
                             "requested-write-sync, mutate-directory }"},
    };
    for (size_t k = 0; k < UTIL_ARRAY_LEN(types); k++)
        if (component_linker_define_type(l, fs, types[k][0], types[k][1], &err) < 0) {
            fprintf(stderr, "%s\n", err->msg);
            util_error_free(&err);
            CHECK(0);
        }
    for (size_t k = 0; k < UTIL_ARRAY_LEN(funcs); k++)
        if (component_linker_define_func(l, funcs[k].iface, funcs[k].name, funcs[k].sig, noop_fn,
                                         NULL, &err) < 0) {
            fprintf(stderr, "%s\n", err->msg);
            util_error_free(&err);
            CHECK(0);
        }
    const component_host_func *stat = component_host_interface_func(
        component_linker_find(l, "wasi:filesystem/types@0.2.0"), "[method]descriptor.stat");
    CHECK(stat != NULL);
    if (stat) {
        char buf[1024];
        component_rfunc_format(&stat->type, buf, sizeof buf);
        CHECK_STR(buf, "func(self: borrow<descriptor>) -> result<record{type: enum{unknown, "
                       "block-device, character-device, directory, fifo, symbolic-link, "
                       "regular-file, socket}, link-count: u64, size: u64, "
                       "data-access-timestamp: option<record{seconds: u64, nanoseconds: u32}>, "
                       "data-modification-timestamp: option<record{seconds: u64, nanoseconds: "
                       "u32}>, status-change-timestamp: option<record{seconds: u64, "
                       "nanoseconds: u32}>}, enum{access, would-block, already, bad-descriptor, "
                       "busy}>");
        /* the canonical ABI's view: a result this big goes through memory */
        CHECK(stat->type.result_in_memory);
        CHECK_STR(stat->type.lower_sig, "ii:");
    }
    const component_host_func *sub = component_host_interface_func(
        component_linker_find(l, io), "[method]output-stream.subscribe");
    CHECK(sub && sub->type.result->kind == COMPONENT_TYPE_OWN &&
          sub->type.result->resource == pollable);
    component_linker_free(l);
}

/* ---- semver -------------------------------------------------------------- */

static const char *found(const component_linker *l, const char *name)
{
    const component_host_interface *i = component_linker_find(l, name);
    return i ? component_host_interface_name(i) : "(none)";
}

static component_linker *linker_with(const char *const *names, size_t n)
{
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    for (size_t k = 0; k < n; k++)
        if (component_linker_define_func(l, names[k], "f", "func()", noop_fn, NULL, &err) < 0) {
            fprintf(stderr, "%s\n", err->msg);
            util_error_free(&err);
        }
    return l;
}

static void test_semver_keys(void)
{
    char key[64];
    const char *cases[][2] = {
        {"x@1.2.3", "x@1"},
        {"x@0.2.3", "x@0.2"},
        {"x@0.0.3", "x@0.0.3"},
        {"x@0.2.0-rc-2023-10-18", "x@0.2.0-rc-2023-10-18"},
        {"x@1.0.0+build", "x@1"},
        {"x@0.3.1+b.7-x", "x@0.3"},
        {"x@0.3.1+", "x@0.3.1+"},
        {"x@0.0.1+b", "x@0.0.1+b"},
        {"x@1.0.0-pre+b", "x@1.0.0-pre+b"},
        {"x", "x"},
        {"x@01.2.3", "x@01.2.3"},
        {"wasi:io/streams@0.2.12", "wasi:io/streams@0.2"},
    };
    for (size_t k = 0; k < UTIL_ARRAY_LEN(cases); k++) {
        component_semver_key(cases[k][0], key, sizeof key);
        CHECK_STR(key, cases[k][1]);
    }
}

static void test_semver_lookup(void)
{
    const char *hosts[] = {"wasi:io/streams@0.2.6", "wasi:cli/stdout@0.2.3",
                           "wasi:cli/stdout@0.2.9", "t:p/one@1.0.0",
                           "t:p/zero@0.0.1",        "wasi:http/types@0.2.0-rc-2023-10-18",
                           "t:p/plain",             "t:p/build@1.0.0+x"};
    component_linker *l = linker_with(hosts, UTIL_ARRAY_LEN(hosts));
    CHECK_STR(found(l, "wasi:io/streams@0.2.0"), "wasi:io/streams@0.2.6");
    CHECK_STR(found(l, "wasi:io/streams@0.2.12"), "wasi:io/streams@0.2.6");
    CHECK_STR(found(l, "wasi:io/streams@0.2.6"), "wasi:io/streams@0.2.6");
    CHECK_STR(found(l, "wasi:io/streams@0.3.0"), "(none)");
    CHECK_STR(found(l, "wasi:io/streams"), "(none)");
    CHECK_STR(found(l, "wasi:io/other@0.2.6"), "(none)");
    /* the newest of one key wins; an exact name is taken as it is
     * (wasmtime's NameMap looks the exact name up first) */
    CHECK_STR(found(l, "wasi:cli/stdout@0.2.0"), "wasi:cli/stdout@0.2.9");
    CHECK_STR(found(l, "wasi:cli/stdout@0.2.5"), "wasi:cli/stdout@0.2.9");
    CHECK_STR(found(l, "wasi:cli/stdout@0.2.12"), "wasi:cli/stdout@0.2.9");
    CHECK_STR(found(l, "wasi:cli/stdout@0.2.3"), "wasi:cli/stdout@0.2.3");
    CHECK_STR(found(l, "t:p/one@1.2.3"), "t:p/one@1.0.0");
    CHECK_STR(found(l, "t:p/one@2.0.0"), "(none)");
    CHECK_STR(found(l, "t:p/one@0.1.0"), "(none)");
    CHECK_STR(found(l, "t:p/zero@0.0.1"), "t:p/zero@0.0.1");
    CHECK_STR(found(l, "t:p/zero@0.0.2"), "(none)");
    CHECK_STR(found(l, "wasi:http/types@0.2.0-rc-2023-10-18"),
              "wasi:http/types@0.2.0-rc-2023-10-18");
    CHECK_STR(found(l, "wasi:http/types@0.2.0"), "(none)");
    CHECK_STR(found(l, "wasi:http/types@0.2.0-rc-2023-11-10"), "(none)");
    CHECK_STR(found(l, "t:p/plain"), "t:p/plain");
    CHECK_STR(found(l, "t:p/plain@1.0.0"), "(none)");
    /* build metadata is no pre-release: keyed as wasmtime keys it */
    CHECK_STR(found(l, "t:p/build@1.0.0+x"), "t:p/build@1.0.0+x");
    CHECK_STR(found(l, "t:p/build@1.0.0"), "t:p/build@1.0.0+x");
    CHECK_STR(found(l, "t:p/build@1.3.0+y"), "t:p/build@1.0.0+x");
    CHECK(component_linker_find(l, NULL) == NULL);
    CHECK_INT(component_linker_interface_count(l), UTIL_ARRAY_LEN(hosts));
    component_linker_free(l);

    /* the order of registration does not matter: newest by precedence,
     * numerically (0.2.10 is newer than 0.2.9) */
    const char *reversed[] = {"x:y/z@0.2.10", "x:y/z@0.2.9", "x:y/z@0.2.2"};
    l = linker_with(reversed, 3);
    CHECK_STR(found(l, "x:y/z@0.2.0"), "x:y/z@0.2.10");
    component_linker_free(l);
    /* a pre-release host never serves a release import, nor the reverse */
    const char *pre[] = {"x:y/z@0.2.0-rc-2023-10-18"};
    l = linker_with(pre, 1);
    CHECK_STR(found(l, "x:y/z@0.2.0"), "(none)");
    CHECK_STR(found(l, "x:y/z@0.2.1"), "(none)");
    component_linker_free(l);
}

static void test_top_level_functions(void)
{
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    CHECK_INT(component_linker_define_func(l, NULL, "greet", "func(name: string) -> string",
                                           noop_fn, NULL, &err),
              0);
    const component_host_interface *top = component_linker_find(l, NULL);
    CHECK(top != NULL);
    CHECK(top && component_host_interface_func(top, "greet") != NULL);
    CHECK(component_linker_find(l, "greet") == NULL);
    component_linker_free(l);
}

/* ---- equality ------------------------------------------------------------ */

static const component_rfunc *sig(component_rtype_pool *pool,
                                  const component_host_interface *scope, const char *text)
{
    util_error *err = NULL;
    const component_rfunc *f = component_sig_parse_func(pool, scope, "sig", text, &err);
    if (!f) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
    }
    return f;
}

/* Compares two signatures; returns the `why` text ("" when equal). */
static char *func_diff(const char *a, const char *b)
{
    component_rtype_pool *pool = component_rtype_pool_new();
    const component_rfunc *fa = sig(pool, NULL, a), *fb = sig(pool, NULL, b);
    char why[512] = "(not compared)";
    if (fa && fb && component_rfunc_equal(fa, fb, why, sizeof why))
        CHECK_STR(why, "");
    component_rtype_pool_free(pool);
    return util_xstrdup(why);
}

#define CHECK_DIFF(a, b, expect)                                                             \
    do {                                                                                     \
        char *d_ = func_diff(a, b);                                                          \
        CHECK_STR(d_, expect);                                                               \
        free(d_);                                                                            \
    } while (0)

static void test_equality(void)
{
    /* parameter names are not compared, types are */
    CHECK_DIFF("func(a: u32, b: list<u8>) -> string", "func(x: u32, y: list<u8>) -> string", "");
    CHECK_DIFF("func(a: u32, contents: list<u8>)", "func(a: u32, contents: string)",
               "param 2 (contents): list<u8> vs string");
    CHECK_DIFF("func(a: u32)", "func(a: u32, b: u32)", "1 parameter vs 2");
    CHECK_DIFF("func() -> u32", "func()", "result: u32 vs none");
    CHECK_DIFF("func()", "func() -> u32", "result: none vs u32");
    CHECK_DIFF("func() -> result<u32, string>", "func() -> result<u64, string>",
               "result: ok type: u32 vs u64");
    CHECK_DIFF("func() -> result<u32, string>", "func() -> result<u32, u8>",
               "result: error type: string vs u8");
    CHECK_DIFF("func() -> result<_, string>", "func() -> result<u32, string>",
               "result: result<_, string> vs result<u32, string>");
    CHECK_DIFF("func() -> result", "func() -> result<_, u8>", "result: result vs result<_, u8>");
    CHECK_DIFF("func() -> option<list<u8>>", "func() -> option<list<s8>>",
               "result: some type: element: u8 vs s8");
    CHECK_DIFF("func() -> record{a: u8, b: u8}", "func() -> record{a: u8, c: u8}",
               "result: record{a: u8, b: u8} vs record{a: u8, c: u8}");
    CHECK_DIFF("func() -> record{a: u8, b: u8}", "func() -> record{a: u8, b: u16}",
               "result: field 2 (b): u8 vs u16");
    CHECK_DIFF("func() -> record{a: u8}", "func() -> record{a: u8, b: u8}",
               "result: record{a: u8} vs record{a: u8, b: u8}");
    CHECK_DIFF("func() -> variant{a, b(u8)}", "func() -> variant{a(u8), b(u8)}",
               "result: variant{a, b(u8)} vs variant{a(u8), b(u8)}");
    CHECK_DIFF("func() -> variant{a, b(u8)}", "func() -> variant{a, b(string)}",
               "result: case 2 (b): u8 vs string");
    CHECK_DIFF("func() -> enum{a, b}", "func() -> enum{b, a}", "result: enum{a, b} vs enum{b, a}");
    CHECK_DIFF("func() -> flags{a, b}", "func() -> flags{a, b, c}",
               "result: flags{a, b} vs flags{a, b, c}");
    CHECK_DIFF("func() -> enum{a}", "func() -> variant{a}", "result: enum{a} vs variant{a}");
    CHECK_DIFF("func() -> tuple<u8, u8>", "func() -> tuple<u8, char>",
               "result: element 2: u8 vs char");
    CHECK_DIFF("func() -> list<tuple<u8>>", "func() -> list<tuple<u8>>", "");

    /* resources by identity, not by name */
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    component_resource_type *r1 = component_linker_define_resource(l, "a:b/c", "res", NULL, &err);
    component_resource_type *r2 = component_linker_define_resource(l, "a:b/d", "res", NULL, &err);
    CHECK(r1 && r2);
    CHECK_INT(component_linker_alias_resource(l, "a:b/e", "res", r1, &err), 0);
    component_rtype_pool *pool = component_rtype_pool_new();
    const component_host_interface *c = component_linker_find(l, "a:b/c");
    const component_host_interface *d = component_linker_find(l, "a:b/d");
    const component_host_interface *e = component_linker_find(l, "a:b/e");
    const component_rfunc *fc = sig(pool, c, "func(self: borrow<res>) -> own<res>");
    const component_rfunc *fd = sig(pool, d, "func(self: borrow<res>) -> own<res>");
    const component_rfunc *fe = sig(pool, e, "func(x: borrow<res>) -> own<res>");
    const component_rfunc *fo = sig(pool, c, "func(self: own<res>) -> own<res>");
    char why[256];
    CHECK(fc && fd && fe && fo);
    if (fc && fd && fe && fo) {
        CHECK(!component_rfunc_equal(fc, fd, why, sizeof why));
        CHECK_STR(why, "param 1 (self): borrow<res> vs borrow<res> (different resource types)");
        CHECK(component_rfunc_equal(fc, fe, why, sizeof why));
        CHECK(!component_rfunc_equal(fc, fo, why, sizeof why));
        CHECK_STR(why, "param 1 (self): borrow<res> vs own<res>");
        CHECK(!component_rfunc_equal(fc, fd, NULL, 0));
        /* a short `why` is cut, never overrun */
        char small[8];
        CHECK(!component_rtype_equal(fc->params[0].type, fd->params[0].type, small, sizeof small));
        CHECK_INT(strlen(small), 7);
    }
    component_rtype_pool_free(pool);
    component_linker_free(l);
}

/* ---- host calls ---------------------------------------------------------- */

static void test_call_context(void)
{
    int data = 7;
    component_call *call = component_call_new(&data);
    CHECK(component_call_data(call) == &data);
    CHECK(component_call_store(call) == NULL);
    CHECK_STR(component_call_message(call), "");
    CHECK_INT(component_call_exit_code(call), -1);
    /* zeroed, aligned, distinct */
    unsigned char *a = component_call_alloc(call, 3), *b = component_call_alloc(call, 100);
    CHECK(a && b && a != b);
    CHECK(((uintptr_t)a & 7) == 0 && ((uintptr_t)b & 7) == 0);
    CHECK(a[0] == 0 && a[2] == 0 && b[99] == 0);
    component_val *v = component_call_vals(call, 4);
    CHECK(v && v[3].kind == 0 && v[3].of.u == 0);
    /* the cap: a guest cannot make one call take unbounded memory */
    CHECK(component_call_alloc(call, (size_t)65 << 20) == NULL);
    CHECK(component_call_vals(call, SIZE_MAX / 4) == NULL);
    CHECK(component_call_alloc(call, (size_t)32 << 20) != NULL);

    CHECK_INT(component_call_trap(call, "bad handle %d in %s", 3, "write"), -1);
    CHECK_STR(component_call_message(call), "bad handle 3 in write");
    CHECK_INT(component_call_exit_code(call), -1);
    component_call_reset(call);
    CHECK_STR(component_call_message(call), "");
    CHECK_INT(component_call_exit(call, 42), -1);
    CHECK_INT(component_call_exit_code(call), 42);
    CHECK_STR(component_call_message(call), "exit with code 42");
    component_call_reset(call);
    CHECK_INT(component_call_exit_code(call), -1);
    /* after a reset the arena serves the whole cap again */
    CHECK(component_call_alloc(call, (size_t)60 << 20) != NULL);
    component_call_free(call);
}

/* wasi:filesystem-like: read-directory -> list<record{name, size}> built
 * in the call's arena from the env's entries. */
typedef struct dir_entry {
    const char *name;
    uint64_t size;
} dir_entry;

static int list_dir(component_call *call, void *env, const component_val *args, size_t nargs,
                    component_val *result)
{
    const dir_entry *entries = env;
    (void)nargs;
    size_t n = 0;
    while (entries[n].name)
        n++;
    uint64_t min = args[0].of.u;
    component_val *items = component_call_vals(call, n);
    if (!items)
        return component_call_trap(call, "out of memory");
    size_t kept = 0;
    for (size_t k = 0; k < n; k++) {
        if (entries[k].size < min)
            continue;
        component_val *fields = component_call_vals(call, 2);
        if (!fields)
            return component_call_trap(call, "out of memory");
        size_t len = strlen(entries[k].name);
        char *name = component_call_alloc(call, len);
        memcpy(name, entries[k].name, len);
        fields[0] = (component_val){.kind = COMPONENT_VAL_STRING, .of.str = {name, len}};
        fields[1] = (component_val){.kind = COMPONENT_VAL_U64, .of.u = entries[k].size};
        items[kept++] = (component_val){.kind = COMPONENT_VAL_RECORD,
                                        .of.record = {.fields = fields, .n = 2}};
    }
    *result = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = items, .n = kept}};
    return 0;
}

static int trap_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    (void)env, (void)nargs, (void)result;
    return component_call_trap(call, "handle %" PRIu64 " is not a stream", args[0].of.u);
}

static int exit_fn(component_call *call, void *env, const component_val *args, size_t nargs,
                   component_val *result)
{
    (void)env, (void)nargs, (void)result;
    return component_call_exit(call, args[0].of.variant.disc == 0 ? 0 : 1);
}

/* A host bug: a result that is not of the declared type. */
static int wrong_result_fn(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs;
    *result = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {.disc = 2}};
    return 0;
}

static int silent_fail_fn(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    (void)call, (void)env, (void)args, (void)nargs, (void)result;
    return -1;
}

static void test_linker_call(void)
{
    static const dir_entry entries[] = {{"a.txt", 10}, {"big.bin", 5000}, {"c", 700}, {NULL, 0}};
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    const char *fs = "t:fs/dir@0.2.6";
    CHECK_INT(component_linker_define_type(l, fs, "entry", "record{name: string, size: u64}", &err),
              0);
    CHECK_INT(component_linker_define_func(l, fs, "list", "func(min-size: u64) -> list<entry>",
                                           list_dir, (void *)entries, &err),
              0);
    CHECK_INT(component_linker_define_func(l, fs, "check", "func(handle: u64)", trap_fn, NULL,
                                           &err),
              0);
    CHECK_INT(component_linker_define_func(l, "t:cli/exit@0.2.6", "exit",
                                           "func(status: result)", exit_fn, NULL, &err),
              0);
    CHECK_INT(component_linker_define_func(l, fs, "wrong", "func() -> option<u8>",
                                           wrong_result_fn, NULL, &err),
              0);
    CHECK_INT(component_linker_define_func(l, fs, "silent", "func()", silent_fail_fn, NULL, &err),
              0);

    component_call *call = component_call_new(NULL);
    component_val arg = {.kind = COMPONENT_VAL_U64, .of.u = 500};
    component_val result;
    /* through the semver rule: an import of 0.2.0 reaches the 0.2.6 host */
    CHECK_INT(component_linker_call(l, "t:fs/dir@0.2.0", "list", call, &arg, 1, &result, &err), 0);
    CHECK_INT(result.kind, COMPONENT_VAL_LIST);
    CHECK_INT(result.of.list.n, 2);
    if (result.of.list.n == 2) {
        const component_val *e = &result.of.list.items[1];
        CHECK_INT(e->kind, COMPONENT_VAL_RECORD);
        CHECK_INT(e->of.record.fields[0].of.str.len, 1);
        CHECK(memcmp(e->of.record.fields[0].of.str.ptr, "c", 1) == 0);
        CHECK_INT(e->of.record.fields[1].of.u, 700);
        CHECK(memcmp(result.of.list.items[0].of.record.fields[0].of.str.ptr, "big.bin", 7) == 0);
    }

    /* a trap: its message is the error */
    arg.of.u = 9;
    char *msg = take_error(component_linker_call(l, fs, "check", call, &arg, 1, NULL, &err), &err);
    CHECK_STR(msg, "handle 9 is not a stream");
    free(msg);

    /* an exit: the code stays readable in the context */
    component_val status = {.kind = COMPONENT_VAL_VARIANT, .of.variant = {.disc = 1}};
    msg = take_error(component_linker_call(l, "t:cli/exit@0.2.0", "exit", call, &status, 1, NULL,
                                           &err),
                     &err);
    CHECK_STR(msg, "exit with code 1");
    free(msg);
    CHECK_INT(component_call_exit_code(call), 1);

    /* the same context serves a next call: the trap state is cleared */
    arg.of.u = 0;
    CHECK_INT(component_linker_call(l, fs, "list", call, &arg, 1, &result, &err), 0);
    CHECK_INT(result.of.list.n, 3);
    CHECK_INT(component_call_exit_code(call), -1);

    /* what cannot be called */
    msg = take_error(component_linker_call(l, "t:fs/dir@0.3.0", "list", call, &arg, 1, &result,
                                           &err),
                     &err);
    CHECK_STR(msg, "t:fs/dir@0.3.0: list: no such interface in the linker");
    free(msg);
    msg = take_error(component_linker_call(l, fs, "lost", call, &arg, 1, &result, &err), &err);
    CHECK_STR(msg, "t:fs/dir@0.2.6: lost: no such function in the interface");
    free(msg);
    msg = take_error(component_linker_call(l, fs, "list", call, NULL, 0, &result, &err), &err);
    CHECK_STR(msg, "t:fs/dir@0.2.6: list: 0 arguments given, the function takes 1");
    free(msg);
    component_val wrong = {.kind = COMPONENT_VAL_STRING, .of.str = {"x", 1}};
    msg = take_error(component_linker_call(l, fs, "list", call, &wrong, 1, &result, &err), &err);
    CHECK_STR(msg, "t:fs/dir@0.2.6: list: argument 1 (min-size): value of another type (type u64)");
    free(msg);
    msg = take_error(component_linker_call(l, fs, "wrong", call, NULL, 0, &result, &err), &err);
    CHECK_STR(msg, "t:fs/dir@0.2.6: wrong: result: case index out of range (type option<u8>)");
    free(msg);
    msg = take_error(component_linker_call(l, fs, "list", NULL, &arg, 1, &result, &err), &err);
    CHECK_STR(msg, "t:fs/dir@0.2.6: list: no call context or no arguments given");
    free(msg);
    msg = take_error(component_linker_call(l, fs, "list", call, NULL, 1, &result, &err), &err);
    CHECK_STR(msg, "t:fs/dir@0.2.6: list: no call context or no arguments given");
    free(msg);
    msg = take_error(component_linker_call(l, fs, "silent", call, NULL, 0, NULL, &err), &err);
    CHECK_STR(msg, "t:fs/dir@0.2.6: silent: the host function failed without a trap");
    free(msg);
    component_call_free(call);
    component_linker_free(l);
}

/* Values given to a call are checked against the parameter types all the
 * way down. */
static void test_call_checks_values(void)
{
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    const char *I = "t:v/v";
    component_resource_type *r = component_linker_define_resource(l, I, "r", NULL, &err);
    CHECK_INT(component_linker_define_func(
                  l, I, "f",
                  "func(a: list<record{s: string, c: char}>, b: flags{x, y}, h: borrow<r>, "
                  "o: result<u8, enum{e}>)",
                  noop_fn, NULL, &err),
              0);
    component_call *call = component_call_new(NULL);
    component_val fields[2] = {{.kind = COMPONENT_VAL_STRING, .of.str = {"ok", 2}},
                               {.kind = COMPONENT_VAL_CHAR, .of.ch = 'x'}};
    component_val item = {.kind = COMPONENT_VAL_RECORD, .of.record = {fields, 2}};
    component_val ecase = {.kind = COMPONENT_VAL_VARIANT, .of.variant = {.disc = 0}};
    component_val args[4] = {
        {.kind = COMPONENT_VAL_LIST, .of.list = {.items = &item, .n = 1}},
        {.kind = COMPONENT_VAL_FLAGS, .of.flags = 3},
        {.kind = COMPONENT_VAL_BORROW, .of.resource = {r, 5}},
        {.kind = COMPONENT_VAL_VARIANT, .of.variant = {.disc = 1, .payload = &ecase}},
    };
    CHECK_INT(component_linker_call(l, I, "f", call, args, 4, NULL, &err), 0);
    fields[0].of.str.ptr = "\xc0\x80";
    char *msg = take_error(component_linker_call(l, I, "f", call, args, 4, NULL, &err), &err);
    CHECK_STR(msg, "t:v/v: f: argument 1 (a): element 0: s: string that is not UTF-8 (type string)");
    free(msg);
    fields[0].of.str.ptr = "ok";
    fields[1].of.ch = 0xd800;
    msg = take_error(component_linker_call(l, I, "f", call, args, 4, NULL, &err), &err);
    CHECK_CONTAINS(msg, "element 0: c: not a Unicode scalar value");
    free(msg);
    fields[1].of.ch = 'x';
    args[1].of.flags = 4;
    msg = take_error(component_linker_call(l, I, "f", call, args, 4, NULL, &err), &err);
    CHECK_CONTAINS(msg, "argument 2 (b): flag bits past the last label");
    free(msg);
    args[1].of.flags = 1;
    args[2].of.resource.type = NULL;
    msg = take_error(component_linker_call(l, I, "f", call, args, 4, NULL, &err), &err);
    CHECK_CONTAINS(msg, "argument 3 (h): handle of another resource type");
    free(msg);
    args[2].of.resource.type = r;
    args[3].of.variant.payload = NULL;
    msg = take_error(component_linker_call(l, I, "f", call, args, 4, NULL, &err), &err);
    CHECK_CONTAINS(msg, "argument 4 (o): case without its payload");
    free(msg);
    component_call_free(call);
    component_linker_free(l);
}

/* A linker kept by a component_pre outlives component_linker_free. */
static void test_linker_references(void)
{
    component_linker *l = component_linker_new();
    util_error *err = NULL;
    component_resource_type *r = component_linker_define_resource(l, "a:b/c", "res", NULL, &err);
    const component_linker *kept = component_linker_retain(l);
    component_linker_free(l);
    /* still usable: ASan would report a use after free otherwise */
    CHECK_STR(r->name, "res");
    CHECK(component_linker_find(kept, "a:b/c") != NULL);
    component_linker_release(kept);
}

int main(void)
{
    RUN(test_roundtrip_every_form);
    RUN(test_parse_errors);
    RUN(test_format_truncates);
    RUN(test_parsed_types_are_laid_out);
    RUN(test_names_within_interface);
    RUN(test_name_clashes_and_redefinition);
    RUN(test_wasi_shapes);
    RUN(test_semver_keys);
    RUN(test_semver_lookup);
    RUN(test_top_level_functions);
    RUN(test_equality);
    RUN(test_call_context);
    RUN(test_linker_call);
    RUN(test_call_checks_values);
    RUN(test_linker_references);
    return TEST_SUMMARY();
}
