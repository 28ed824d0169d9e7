/*
 * http_fields.c - wasi:http's `fields` (headers and trailers): the C side
 * (an ordered list of lower-cased names and byte values) and its host
 * functions.
 *
 * The rules are wasmtime-wasi-http's, which the WIT leaves to the host:
 *  - a name must parse as an HTTP token (RFC 9110 tchar, 1 .. 65535
 *    bytes, any case: stored and read back lower-cased, as http::HeaderName
 *    does); a value is any bytes but control characters other than HTAB
 *    (http::HeaderValue); either failing is header-error.invalid-syntax;
 *  - the hop-by-hop and connection-level names wasmtime forbids by default
 *    (DEFAULT_FORBIDDEN_HEADERS) are header-error.forbidden for every
 *    change a guest makes, checked after the syntax and before mutability;
 *  - fields a request or response hands out (`headers()`) are copies
 *    marked immutable: set, append and delete answer immutable;
 *  - get and has of a name that is not a token find nothing (no error).
 * A list is small (tens of entries), so lookups scan it.
 */
#include "http_host.h"

#include <ctype.h>

#define SELF(args) ((wasi2_http_fields *)(args)[0].of.resource.rep)
#define NAME_MAX_LEN 65535

/* ---- the C side ------------------------------------------------------------ */

wasi2_http_fields *wasi2_http_fields_new(void)
{
    return util_xcalloc(1, sizeof(wasi2_http_fields));
}

void wasi2_http_fields_free(wasi2_http_fields *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->len; i++) {
        free(f->items[i].name);
        free(f->items[i].value);
    }
    free(f->items);
    free(f);
}

void wasi2_http_fields_add(wasi2_http_fields *f, const char *name, size_t name_len,
                           const uint8_t *value, size_t value_len)
{
    if (f->len == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->items = util_xrealloc(f->items, f->cap * sizeof(*f->items));
    }
    wasi2_http_entry *e = &f->items[f->len++];
    e->name = util_xstrndup(name, name_len);
    for (char *c = e->name; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    e->value = util_xmalloc(value_len ? value_len : 1);
    if (value_len)
        memcpy(e->value, value, value_len);
    e->value_len = value_len;
}

wasi2_http_fields *wasi2_http_fields_clone(const wasi2_http_fields *f, bool immutable)
{
    wasi2_http_fields *c = wasi2_http_fields_new();
    for (size_t i = 0; f && i < f->len; i++)
        wasi2_http_fields_add(c, f->items[i].name, strlen(f->items[i].name), f->items[i].value,
                              f->items[i].value_len);
    c->immutable = immutable;
    return c;
}

const wasi2_http_entry *wasi2_http_fields_find(const wasi2_http_fields *f, const char *name)
{
    for (size_t i = 0; f && i < f->len; i++)
        if (strcasecmp(f->items[i].name, name) == 0)
            return &f->items[i];
    return NULL;
}

/* Does `name` (name_len bytes, not NUL-terminated) equal the entry's
 * lower-case name, ignoring case? */
static bool name_is(const wasi2_http_entry *e, const char *name, size_t name_len)
{
    return strlen(e->name) == name_len && strncasecmp(e->name, name, name_len) == 0;
}

static void remove_all(wasi2_http_fields *f, const char *name, size_t name_len)
{
    size_t kept = 0;
    for (size_t i = 0; i < f->len; i++) {
        if (name_is(&f->items[i], name, name_len)) {
            free(f->items[i].name);
            free(f->items[i].value);
        } else {
            f->items[kept++] = f->items[i];
        }
    }
    f->len = kept;
}

/* ---- validation ---------------------------------------------------------------- */

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool name_valid(const char *name, size_t len)
{
    if (len == 0 || len > NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_tchar((unsigned char)name[i]))
            return false;
    return true;
}

static bool value_valid(const uint8_t *v, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
            return false;
    return true;
}

/* wasmtime's DEFAULT_FORBIDDEN_HEADERS. */
static const char *const forbidden_names[] = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "transfer-encoding", "upgrade", "host", "http2-settings",
};

bool wasi2_http_forbidden(const char *name, size_t len)
{
    for (size_t i = 0; i < UTIL_ARRAY_LEN(forbidden_names); i++)
        if (strlen(forbidden_names[i]) == len && strncasecmp(forbidden_names[i], name, len) == 0)
            return true;
    return false;
}

int wasi2_http_check(const char *name, size_t name_len, const uint8_t *value, size_t value_len)
{
    if (!name_valid(name, name_len))
        return WASI2_HEADER_INVALID_SYNTAX;
    if (wasi2_http_forbidden(name, name_len))
        return WASI2_HEADER_FORBIDDEN;
    if (value && !value_valid(value, value_len))
        return WASI2_HEADER_INVALID_SYNTAX;
    return -1;
}

void wasi2_http_fields_strip_forbidden(wasi2_http_fields *f)
{
    for (size_t i = 0; i < UTIL_ARRAY_LEN(forbidden_names); i++)
        remove_all(f, forbidden_names[i], strlen(forbidden_names[i]));
}

/* ---- values -------------------------------------------------------------------- */

/* result<_, header-error>: ok, or the case. */
static int header_result(component_call *call, int error, component_val *result)
{
    if (error < 0)
        return wasi2_variant(call, 0, NULL, result);
    component_val e = {.kind = COMPONENT_VAL_VARIANT, .of.variant = {(uint32_t)error, NULL}};
    return wasi2_variant(call, 1, &e, result);
}

/* list<tuple<field-name, field-value>> or list<field-value> of f's entries
 * (all, or those named `name`). */
static int entries_val(component_call *call, const wasi2_http_fields *f, const char *name,
                       size_t name_len, bool with_names, component_val *result)
{
    size_t n = 0;
    for (size_t i = 0; i < f->len; i++)
        n += name == NULL || name_is(&f->items[i], name, name_len);
    component_val *items = component_call_vals(call, n ? n : 1);
    component_val *pairs = with_names ? component_call_vals(call, 2 * (n ? n : 1)) : NULL;
    if (items == NULL || (with_names && pairs == NULL))
        return component_call_trap(call, "fields: %zu entries do not fit the call's memory", n);
    size_t k = 0;
    for (size_t i = 0; i < f->len; i++) {
        const wasi2_http_entry *e = &f->items[i];
        if (name && !name_is(e, name, name_len))
            continue;
        component_val value = {.kind = COMPONENT_VAL_LIST,
                               .of.list = {NULL, e->value, e->value_len}};
        if (with_names) {
            pairs[2 * k] = (component_val){.kind = COMPONENT_VAL_STRING,
                                           .of.str = {e->name, strlen(e->name)}};
            pairs[2 * k + 1] = value;
            items[k] = (component_val){.kind = COMPONENT_VAL_RECORD,
                                       .of.record = {&pairs[2 * k], 2}};
        } else {
            items[k] = value;
        }
        k++;
    }
    *result = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {items, NULL, n}};
    return 0;
}

/* ---- host functions ------------------------------------------------------------ */

static const wasi2_http_types *types_of(void *env)
{
    return ((const wasi2_host *)env)->http;
}

static int fields_new(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    *result = wasi2_own(types_of(env)->fields, wasi2_http_fields_new());
    return 0;
}

/* Checks and copies list<tuple<field-name, field-value>> into new fields;
 * NULL with *error the header-error case (or -2: out of call memory). */
wasi2_http_fields *wasi2_http_fields_from_list(component_call *call, const component_val *list,
                                               int *error)
{
    wasi2_http_fields *f = wasi2_http_fields_new();
    for (size_t i = 0; i < list->of.list.n; i++) {
        const component_val *pair = list->of.list.items[i].of.record.fields;
        const uint8_t *value = wasi2_list_bytes(call, &pair[1]);
        *error = value == NULL ? -2
                               : wasi2_http_check(pair[0].of.str.ptr, pair[0].of.str.len, value,
                                                  pair[1].of.list.n);
        if (*error != -1) {
            wasi2_http_fields_free(f);
            return NULL;
        }
        wasi2_http_fields_add(f, pair[0].of.str.ptr, pair[0].of.str.len, value,
                              pair[1].of.list.n);
    }
    return f;
}

static int fields_from_list(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    int error;
    wasi2_http_fields *f = wasi2_http_fields_from_list(call, &args[0], &error);
    if (f == NULL && error == -2)
        return component_call_trap(call, "fields.from-list: out of call memory");
    if (f == NULL)
        return header_result(call, error, result);
    component_val own = wasi2_own(types_of(env)->fields, f);
    return wasi2_variant(call, 0, &own, result);
}

static int fields_get(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    return entries_val(call, SELF(args), args[1].of.str.ptr, args[1].of.str.len, false, result);
}

static int fields_has(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    const wasi2_http_fields *f = SELF(args);
    bool has = false;
    for (size_t i = 0; i < f->len && !has; i++)
        has = name_is(&f->items[i], args[1].of.str.ptr, args[1].of.str.len);
    *result = (component_val){.kind = COMPONENT_VAL_BOOL, .of.b = has};
    return 0;
}

/* The checks every change makes, in wasmtime's order: syntax of the name,
 * forbidden, syntax of each value, then mutability. */
static int change_check(const wasi2_http_fields *f, const component_val *name,
                        const uint8_t *const *values, const size_t *lens, size_t n)
{
    int e = wasi2_http_check(name->of.str.ptr, name->of.str.len, NULL, 0);
    for (size_t i = 0; e < 0 && i < n; i++)
        e = value_valid(values[i], lens[i]) ? -1 : WASI2_HEADER_INVALID_SYNTAX;
    if (e < 0 && f->immutable)
        e = WASI2_HEADER_IMMUTABLE;
    return e;
}

static int fields_set(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    wasi2_http_fields *f = SELF(args);
    const component_val *name = &args[1];
    size_t n = args[2].of.list.n;
    const uint8_t **values = component_call_alloc(call, (n ? n : 1) * sizeof(*values));
    size_t *lens = component_call_alloc(call, (n ? n : 1) * sizeof(*lens));
    if (values == NULL || lens == NULL)
        return component_call_trap(call, "fields.set: out of call memory");
    for (size_t i = 0; i < n; i++) {
        values[i] = wasi2_list_bytes(call, &args[2].of.list.items[i]);
        lens[i] = args[2].of.list.items[i].of.list.n;
        if (values[i] == NULL)
            return component_call_trap(call, "fields.set: out of call memory");
    }
    int e = change_check(f, name, values, lens, n);
    if (e < 0) {
        remove_all(f, name->of.str.ptr, name->of.str.len);
        for (size_t i = 0; i < n; i++)
            wasi2_http_fields_add(f, name->of.str.ptr, name->of.str.len, values[i], lens[i]);
    }
    return header_result(call, e, result);
}

static int fields_delete(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    wasi2_http_fields *f = SELF(args);
    int e = change_check(f, &args[1], NULL, NULL, 0);
    if (e < 0)
        remove_all(f, args[1].of.str.ptr, args[1].of.str.len);
    return header_result(call, e, result);
}

static int fields_append(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    wasi2_http_fields *f = SELF(args);
    const uint8_t *value = wasi2_list_bytes(call, &args[2]);
    if (value == NULL)
        return component_call_trap(call, "fields.append: out of call memory");
    size_t len = args[2].of.list.n;
    int e = change_check(f, &args[1], &value, &len, 1);
    if (e < 0)
        wasi2_http_fields_add(f, args[1].of.str.ptr, args[1].of.str.len, value, len);
    return header_result(call, e, result);
}

static int fields_entries(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    return entries_val(call, SELF(args), NULL, 0, true, result);
}

static int fields_clone(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    *result = wasi2_own(types_of(env)->fields, wasi2_http_fields_clone(SELF(args), false));
    return 0;
}

#define FSELF "func(self: borrow<fields>"
#define ENTRIES "list<tuple<string, list<u8>>>"

static const wasi2_func fields_funcs[] = {
    {"[constructor]fields", "func() -> own<fields>", fields_new},
    {"[static]fields.from-list", "func(entries: " ENTRIES ") -> result<own<fields>, header-error>",
     fields_from_list},
    {"[method]fields.get", FSELF ", name: string) -> list<list<u8>>", fields_get},
    {"[method]fields.has", FSELF ", name: string) -> bool", fields_has},
    {"[method]fields.set", FSELF ", name: string, value: list<list<u8>>) -> result<_, header-error>",
     fields_set},
    {"[method]fields.delete", FSELF ", name: string) -> result<_, header-error>", fields_delete},
    {"[method]fields.append", FSELF ", name: string, value: list<u8>) -> result<_, header-error>",
     fields_append},
    {"[method]fields.entries", FSELF ") -> " ENTRIES, fields_entries},
    {"[method]fields.clone", FSELF ") -> own<fields>", fields_clone},
};

const wasi2_func_table wasi2_http_fields_table = {fields_funcs, UTIL_ARRAY_LEN(fields_funcs)};
