/*
 * fuzz_http_fields.c - libFuzzer target for wasi:http's fields
 * (src/wasi2/http_fields.c) as a guest reaches them: arbitrary bytes
 * become a list of (name, value) entries for [static]fields.from-list,
 * through component_linker_call (which checks every value against the
 * WIT signature).  The outcome is checked against the rules written out
 * again here: ok only if every name is a token that is not forbidden and
 * every value free of control bytes but HTAB, and then the entries read
 * back in order, lower-cased; otherwise the first bad entry's
 * header-error.  Then get, has, append, delete and clone run on the
 * result with the input's names, and must agree with entries.
 *
 * Input: repeated [name length][name][value length][value] (lengths one
 * byte each); a truncated tail is dropped.
 */
#include "http_host.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define FAIL()                                                                             \
    do {                                                                                   \
        fprintf(stderr, "fuzz_http_fields: invariant at line %d broken\n", __LINE__);      \
        __builtin_trap();                                                                  \
    } while (0)

#define TYPES "wasi:http/types@0.2.0"
#define MAX_ENTRIES 64

static component_linker *linker;
static const wasi2_registration *reg;
static wasi2_ctx *ctx;

typedef struct entry {
    const char *name;
    size_t name_len;
    const uint8_t *value;
    size_t value_len;
} entry;

static bool token(const entry *e)
{
    if (e->name_len == 0)
        return false;
    for (size_t i = 0; i < e->name_len; i++) {
        unsigned char c = (unsigned char)e->name[i];
        if (!isalnum(c) && (c == 0 || strchr("!#$%&'*+-.^_`|~", c) == NULL))
            return false;
    }
    return true;
}

static bool forbidden(const entry *e)
{
    static const char *const names[] = {"connection", "keep-alive", "proxy-authenticate",
                                        "proxy-authorization", "proxy-connection",
                                        "transfer-encoding", "upgrade", "host",
                                        "http2-settings"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == e->name_len && strncasecmp(names[i], e->name, e->name_len) == 0)
            return true;
    return false;
}

static bool value_ok(const entry *e)
{
    for (size_t i = 0; i < e->value_len; i++)
        if ((e->value[i] < 0x20 && e->value[i] != '\t') || e->value[i] == 0x7f)
            return false;
    return true;
}

/* The header-error the rules give, or -1. */
static int expected(const entry *es, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!token(&es[i]))
            return WASI2_HEADER_INVALID_SYNTAX;
        if (forbidden(&es[i]))
            return WASI2_HEADER_FORBIDDEN;
        if (!value_ok(&es[i]))
            return WASI2_HEADER_INVALID_SYNTAX;
    }
    return -1;
}

static size_t parse(const uint8_t *data, size_t size, entry *es)
{
    size_t n = 0, at = 0;
    while (n < MAX_ENTRIES && at < size) {
        size_t nl = data[at++];
        if (at + nl >= size)
            break;
        es[n].name = (const char *)data + at;
        es[n].name_len = nl;
        at += nl;
        size_t vl = data[at++];
        if (at + vl > size)
            break;
        es[n].value = data + at;
        es[n].value_len = vl;
        at += vl;
        n++;
    }
    return n;
}

static void call(component_call *c, const char *name, const component_val *args, size_t nargs,
                 component_val *result)
{
    util_error *err = NULL;
    if (component_linker_call(linker, TYPES, name, c, args, nargs, result, &err) < 0) {
        fprintf(stderr, "%s: %s\n", name, err ? err->msg : "?");
        FAIL();
    }
}

/* The entries equal the input's, in order, lower-cased. */
static void check_entries(component_call *c, const component_val *self, const entry *es,
                          size_t n)
{
    component_val r;
    call(c, "[method]fields.entries", self, 1, &r);
    if (r.of.list.n != n)
        FAIL();
    for (size_t i = 0; i < n; i++) {
        const component_val *p = r.of.list.items[i].of.record.fields;
        if (p[0].of.str.len != es[i].name_len || p[1].of.list.n != es[i].value_len)
            FAIL();
        for (size_t k = 0; k < es[i].name_len; k++)
            if (p[0].of.str.ptr[k] != tolower((unsigned char)es[i].name[k]))
                FAIL();
        if (es[i].value_len && memcmp(p[1].of.list.raw, es[i].value, es[i].value_len) != 0)
            FAIL();
    }
}

static component_val str_val(const char *s, size_t len)
{
    return (component_val){.kind = COMPONENT_VAL_STRING, .of.str = {s, len}};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (linker == NULL) {
        wasi2_config cfg;
        wasi2_config_init(&cfg);
        util_error *err = NULL;
        ctx = wasi2_ctx_new(&cfg, &err);
        linker = component_linker_new();
        if (ctx == NULL || wasi2_define_reg(linker, NULL, &reg, &err) < 0)
            abort();
    }
    entry es[MAX_ENTRIES];
    size_t n = parse(data, size, es);
    component_val pairs[2 * MAX_ENTRIES], items[MAX_ENTRIES];
    for (size_t i = 0; i < n; i++) {
        pairs[2 * i] = str_val(es[i].name, es[i].name_len);
        pairs[2 * i + 1] = (component_val){.kind = COMPONENT_VAL_LIST,
                                           .of.list = {NULL, es[i].value, es[i].value_len}};
        items[i] = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {&pairs[2 * i], 2}};
    }
    /* component strings are UTF-8: entries whose name is not are not a
     * guest's input; the linker would refuse them */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < es[i].name_len; k++)
            if ((unsigned char)es[i].name[k] >= 0x80)
                return 0;
    component_call *c = component_call_new(ctx);
    component_val list = {.kind = COMPONENT_VAL_LIST, .of.list = {items, NULL, n}}, r;
    call(c, "[static]fields.from-list", &list, 1, &r);
    int want = expected(es, n);
    if (want >= 0) {
        if (r.of.variant.disc != 1 || r.of.variant.payload->of.variant.disc != (uint32_t)want)
            FAIL();
        component_call_free(c);
        return 0;
    }
    if (r.of.variant.disc != 0)
        FAIL();
    wasi2_http_fields *f = (wasi2_http_fields *)r.of.variant.payload->of.resource.rep;
    component_val self = {.kind = COMPONENT_VAL_BORROW,
                          .of.resource = {reg->http->fields, (uintptr_t)f}};
    check_entries(c, &self, es, n);
    /* get and has of each name agree with the entries */
    for (size_t i = 0; i < n; i++) {
        component_val args[3] = {self, str_val(es[i].name, es[i].name_len)};
        call(c, "[method]fields.has", args, 2, &r);
        if (!r.of.b)
            FAIL();
        call(c, "[method]fields.get", args, 2, &r);
        size_t same = 0;
        for (size_t k = 0; k < n; k++)
            same += es[k].name_len == es[i].name_len &&
                    strncasecmp(es[k].name, es[i].name, es[i].name_len) == 0;
        if (r.of.list.n != same)
            FAIL();
    }
    /* clone is equal; appending to it leaves f alone */
    call(c, "[method]fields.clone", &self, 1, &r);
    wasi2_http_fields *copy = (wasi2_http_fields *)r.of.resource.rep;
    component_val cself = self;
    cself.of.resource.rep = (uintptr_t)copy;
    check_entries(c, &cself, es, n);
    if (n > 0) {
        component_val args[3] = {cself, str_val(es[0].name, es[0].name_len),
                                 {.kind = COMPONENT_VAL_LIST, .of.list = {NULL, es[0].value,
                                                                          es[0].value_len}}};
        call(c, "[method]fields.append", args, 3, &r);
        if (r.of.variant.disc != 0 || copy->len != n + 1)
            FAIL();
        call(c, "[method]fields.delete", args, 2, &r);
        if (r.of.variant.disc != 0)
            FAIL();
        for (size_t k = 0; k < copy->len; k++)
            if (strlen(copy->items[k].name) == es[0].name_len &&
                strncasecmp(copy->items[k].name, es[0].name, es[0].name_len) == 0)
                FAIL();
        check_entries(c, &self, es, n);
    }
    wasi2_http_fields_free(copy);
    wasi2_http_fields_free(f);
    component_call_free(c);
    return 0;
}
