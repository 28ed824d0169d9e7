/*
 * wave.c - WAVE, the WebAssembly Value Encoding (the text of wasmtime's
 * `--invoke 'f(1, "x")'` and of wasm-tools), read into component_val and
 * written back, so that `run --invoke` can call any exported function and
 * print what it returns.
 *
 * Design: the reader is a recursive descent directed by the resolved type
 * (component_rtype): the type says what may come next, so no untyped tree
 * is built and every error can say what was expected ("argument 2 at 7:
 * expected s32, found \"x\"").  Recursion follows the type, whose depth
 * the resolver already bounds (COMPONENT_MAX_TYPE_DEPTH); the reader
 * checks it again so that it never depends on that.  Values live in a
 * component_arena the caller owns, as lifted values do.
 *
 * The syntax follows the WAVE README: `true`/`false`; decimal integers;
 * floats with `nan`, `inf`, `-inf`; 'c' and "s" with the escapes \' \" \\
 * \t \n \r \u{hex}; [list]; (tuple); {field: v} with fields in any order
 * and option fields omissible ({:} is the empty record); case /
 * case(payload) for variants and enums; some(x) / none and ok(x) / err(e)
 * / ok / err, with a bare payload standing for some(x) or ok(x); {flag,
 * ...} for flags; labels equal to a keyword are written with a leading %;
 * `//` comments run to the end of the line.  Resources have no text.
 */
#include "wave.h"

#include "instance_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const keywords[] = {"true", "false", "inf", "nan", "some", "none", "ok", "err"};

typedef struct reader {
    const char *s;
    size_t len, pos;
    component_arena *arena;
    char where[32]; /* "argument 2", or "value" */
    unsigned depth;
    size_t mismatch_at; /* where the last "expected X, found Y" was */
    util_error **err;
} reader;

/* ---- lexical helpers --------------------------------------------------- */

static bool is_label_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-';
}

static bool is_number_char(char c)
{
    return is_label_char(c) || c == '.' || c == '+' || c == '_';
}

static void skip_blanks(reader *r)
{
    while (r->pos < r->len) {
        char c = r->s[r->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            r->pos++;
        } else if (c == '/' && r->pos + 1 < r->len && r->s[r->pos + 1] == '/') {
            while (r->pos < r->len && r->s[r->pos] != '\n')
                r->pos++;
        } else {
            break;
        }
    }
}

static char peek(reader *r)
{
    skip_blanks(r);
    return r->pos < r->len ? r->s[r->pos] : '\0';
}

/* The token at `pos`, for messages: a quoted literal, a word or number,
 * one punctuation character, or "the end". */
static void describe(const reader *r, size_t pos, char *buf, size_t cap)
{
    if (pos >= r->len) {
        snprintf(buf, cap, "the end");
        return;
    }
    char c = r->s[pos];
    size_t end = pos + 1;
    if (c == '"' || c == '\'') {
        while (end < r->len && r->s[end] != c)
            end += r->s[end] == '\\' && end + 1 < r->len ? 2 : 1;
        end = end < r->len ? end + 1 : r->len;
    } else if (is_number_char(c) || c == '%') {
        while (end < r->len && is_number_char(r->s[end]))
            end++;
    } else {
        snprintf(buf, cap, "'%c'", c);
        return;
    }
    size_t n = end - pos;
    if (n > 40)
        snprintf(buf, cap, "%.37s...", r->s + pos);
    else
        snprintf(buf, cap, "%.*s", (int)n, r->s + pos);
}

static int fail(reader *r, size_t pos, const char *fmt, ...) UTIL_PRINTF(3, 4);
static int fail(reader *r, size_t pos, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return util_error_set(r->err, 0, "%s at %zu: %s", r->where, pos, msg);
}

static int expected(reader *r, size_t pos, const char *what)
{
    char found[64];
    describe(r, pos, found, sizeof found);
    r->mismatch_at = pos;
    return fail(r, pos, "expected %s, found %s", what, found);
}

static int expected_type(reader *r, size_t pos, const component_rtype *t)
{
    char name[256];
    component_rtype_format(t, name, sizeof name);
    return expected(r, pos, name);
}

static int expect_char(reader *r, char c)
{
    if (peek(r) != c) {
        char what[8];
        snprintf(what, sizeof what, "'%c'", c);
        return expected(r, r->pos, what);
    }
    r->pos++;
    return 0;
}

/* A label or keyword at the cursor: [%]word.  *escaped says whether a %
 * came first (then it is never a keyword).  Returns its length, 0 if the
 * cursor is not at one. */
static size_t read_name(reader *r, const char **name, bool *escaped)
{
    skip_blanks(r);
    size_t p = r->pos;
    *escaped = p < r->len && r->s[p] == '%';
    if (*escaped)
        p++;
    size_t start = p;
    while (p < r->len && is_label_char(r->s[p]))
        p++;
    if (p == start)
        return 0;
    *name = r->s + start;
    r->pos = p;
    return p - start;
}

static bool name_is(const char *name, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(name, word, n) == 0;
}

static bool is_keyword(const char *label)
{
    for (size_t i = 0; i < UTIL_ARRAY_LEN(keywords); i++)
        if (strcmp(label, keywords[i]) == 0)
            return true;
    return false;
}

static int find_label(const component_rtype *t, const char *name, size_t n)
{
    for (uint32_t i = 0; i < t->nfields; i++)
        if (t->fields[i].label && name_is(name, n, t->fields[i].label))
            return (int)i;
    return -1;
}

static component_val *alloc_vals(reader *r, size_t n)
{
    component_val *v = component_arena_alloc(r->arena, (n ? n : 1) * sizeof *v);
    if (v == NULL)
        fail(r, r->pos, "the value is too large");
    return v;
}

/* ---- numbers, chars, strings ------------------------------------------- */

/* The extent of a number-like token at the cursor. */
static size_t number_token(reader *r)
{
    skip_blanks(r);
    size_t p = r->pos;
    if (p < r->len && r->s[p] == '-')
        p++;
    while (p < r->len && is_number_char(r->s[p]))
        p++;
    return p - r->pos;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int read_integer(reader *r, const component_rtype *t, component_val *out)
{
    static const struct {
        component_prim prim;
        component_val_kind kind;
        const char *name;
        int64_t min;
        uint64_t max;
    } ints[] = {
        {COMPONENT_PRIM_S8, COMPONENT_VAL_S8, "s8", INT8_MIN, INT8_MAX},
        {COMPONENT_PRIM_U8, COMPONENT_VAL_U8, "u8", 0, UINT8_MAX},
        {COMPONENT_PRIM_S16, COMPONENT_VAL_S16, "s16", INT16_MIN, INT16_MAX},
        {COMPONENT_PRIM_U16, COMPONENT_VAL_U16, "u16", 0, UINT16_MAX},
        {COMPONENT_PRIM_S32, COMPONENT_VAL_S32, "s32", INT32_MIN, INT32_MAX},
        {COMPONENT_PRIM_U32, COMPONENT_VAL_U32, "u32", 0, UINT32_MAX},
        {COMPONENT_PRIM_S64, COMPONENT_VAL_S64, "s64", INT64_MIN, INT64_MAX},
        {COMPONENT_PRIM_U64, COMPONENT_VAL_U64, "u64", 0, UINT64_MAX},
    };
    size_t i = 0;
    while (ints[i].prim != t->prim)
        i++;
    size_t n = number_token(r), start = r->pos;
    const char *s = r->s + start;
    bool neg = n > 0 && s[0] == '-';
    if (!all_digits(s + neg, n - neg))
        return expected(r, start, ints[i].name);
    uint64_t mag = 0;
    bool over = false;
    for (size_t k = neg; k < n; k++) {
        unsigned d = (unsigned)(s[k] - '0');
        over |= mag > (UINT64_MAX - d) / 10;
        mag = mag * 10 + d;
    }
    bool fits = !over && (neg ? (ints[i].min < 0 && mag <= (uint64_t)INT64_MAX + 1 &&
                                 -(int64_t)(mag - 1) - 1 >= ints[i].min)
                              : mag <= ints[i].max);
    if (!fits)
        return fail(r, start, "%.*s is out of range for %s (%" PRId64 "..%" PRIu64 ")", (int)n,
                    s, ints[i].name, ints[i].min, ints[i].max);
    out->kind = ints[i].kind;
    if (ints[i].min < 0)
        out->of.s = neg ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
    else
        out->of.u = mag;
    r->pos = start + n;
    return 0;
}

/* -?digits[.digits][(e|E)[+|-]digits] */
static bool float_syntax(const char *s, size_t n)
{
    size_t i = s[0] == '-' ? 1 : 0, d = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == d)
        return false;
    if (i < n && s[i] == '.') {
        size_t f = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == f)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e)
            return false;
    }
    return i == n;
}

static int read_float(reader *r, const component_rtype *t, component_val *out)
{
    bool f32 = t->prim == COMPONENT_PRIM_F32;
    const char *name = f32 ? "f32" : "f64";
    size_t n = number_token(r), start = r->pos;
    const char *s = r->s + start;
    double v;
    if (name_is(s, n, "nan")) {
        v = NAN;
    } else if (name_is(s, n, "inf")) {
        v = INFINITY;
    } else if (name_is(s, n, "-inf")) {
        v = -INFINITY;
    } else if (n > 0 && n < 400 && float_syntax(s, n)) {
        char tmp[400];
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        v = f32 ? (double)strtof(tmp, NULL) : strtod(tmp, NULL);
        if (isinf(v))
            return fail(r, start, "%s is out of range for %s", tmp, name);
    } else {
        return expected(r, start, name);
    }
    out->kind = f32 ? COMPONENT_VAL_F32 : COMPONENT_VAL_F64;
    if (f32)
        out->of.f32 = (float)v;
    else
        out->of.f64 = v;
    r->pos = start + n;
    return 0;
}

/* One UTF-8 scalar at s[*i] (advancing *i); -1 when the bytes are not
 * valid UTF-8. */
static int32_t utf8_next(const char *s, size_t len, size_t *i)
{
    const uint8_t *u = (const uint8_t *)s;
    uint8_t b = u[*i];
    int n = b < 0x80 ? 0 : (b & 0xe0) == 0xc0 ? 1 : (b & 0xf0) == 0xe0 ? 2
          : (b & 0xf8) == 0xf0 ? 3 : -1;
    if (n < 0 || *i + (size_t)n >= len)
        return -1;
    uint32_t c = n == 0 ? b : (uint32_t)(b & (0x3f >> n));
    for (int k = 1; k <= n; k++) {
        uint8_t x = u[*i + (size_t)k];
        if ((x & 0xc0) != 0x80)
            return -1;
        c = (c << 6) | (x & 0x3f);
    }
    static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return -1;
    *i += (size_t)n + 1;
    return (int32_t)c;
}

static void utf8_put(util_buf *b, uint32_t c)
{
    char tmp[4];
    size_t n;
    if (c < 0x80) {
        tmp[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        tmp[0] = (char)(0xc0 | (c >> 6));
        tmp[1] = (char)(0x80 | (c & 0x3f));
        n = 2;
    } else if (c < 0x10000) {
        tmp[0] = (char)(0xe0 | (c >> 12));
        tmp[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        tmp[2] = (char)(0x80 | (c & 0x3f));
        n = 3;
    } else {
        tmp[0] = (char)(0xf0 | (c >> 18));
        tmp[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        tmp[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        tmp[3] = (char)(0x80 | (c & 0x3f));
        n = 4;
    }
    util_buf_append(b, tmp, n);
}

/* One character of a char or string literal, escapes decoded; -1 after
 * setting the error. */
static int32_t literal_char(reader *r)
{
    size_t at = r->pos;
    if (r->s[at] != '\\') {
        int32_t c = utf8_next(r->s, r->len, &r->pos);
        if (c < 0)
            fail(r, at, "invalid UTF-8");
        return c;
    }
    if (at + 1 >= r->len)
        return fail(r, at, "unfinished escape");
    char e = r->s[at + 1];
    r->pos = at + 2;
    switch (e) {
    case '\\': return '\\';
    case '\'': return '\'';
    case '"': return '"';
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'u': break;
    default: return fail(r, at, "unknown escape \\%c (expected \\\\ \\' \\\" \\n \\t \\r or "
                         "\\u{hex})", e);
    }
    size_t p = r->pos, digits = 0;
    uint32_t c = 0;
    if (p >= r->len || r->s[p] != '{')
        return fail(r, at, "expected \\u{hex}");
    for (p++; p < r->len && r->s[p] != '}'; p++, digits++) {
        char h = r->s[p];
        int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
              : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (d < 0 || digits >= 6)
            return fail(r, at, "expected \\u{hex} with 1 to 6 hex digits");
        c = c * 16 + (uint32_t)d;
    }
    if (p >= r->len || digits == 0)
        return fail(r, at, "expected \\u{hex} with 1 to 6 hex digits");
    if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return fail(r, at, "\\u{%" PRIx32 "} is not a Unicode scalar value", c);
    r->pos = p + 1;
    return (int32_t)c;
}

static int read_char(reader *r, component_val *out)
{
    size_t start = r->pos;
    if (peek(r) != '\'')
        return expected(r, start, "char");
    r->pos++;
    if (r->pos >= r->len || r->s[r->pos] == '\'')
        return fail(r, start, "expected one character between the quotes");
    int32_t c = literal_char(r);
    if (c < 0)
        return -1;
    if (r->pos >= r->len || r->s[r->pos] != '\'')
        return fail(r, start, "expected one character between the quotes");
    r->pos++;
    out->kind = COMPONENT_VAL_CHAR;
    out->of.ch = (uint32_t)c;
    return 0;
}

static int read_string(reader *r, component_val *out)
{
    size_t start = r->pos;
    if (peek(r) != '"')
        return expected(r, start, "string");
    r->pos++;
    util_buf b = {0};
    while (r->pos < r->len && r->s[r->pos] != '"') {
        int32_t c = literal_char(r);
        if (c < 0) {
            util_buf_free(&b);
            return -1;
        }
        utf8_put(&b, (uint32_t)c);
    }
    if (r->pos >= r->len) {
        util_buf_free(&b);
        return fail(r, start, "unterminated string");
    }
    r->pos++;
    char *p = component_arena_alloc(r->arena, b.len ? b.len : 1);
    if (p && b.len)
        memcpy(p, b.data, b.len);
    out->kind = COMPONENT_VAL_STRING;
    out->of.str.ptr = p;
    out->of.str.len = b.len;
    util_buf_free(&b);
    return p ? 0 : fail(r, start, "the value is too large");
}

static int read_prim(reader *r, const component_rtype *t, component_val *out)
{
    switch (t->prim) {
    case COMPONENT_PRIM_BOOL: {
        size_t start = (skip_blanks(r), r->pos);
        const char *name;
        bool esc;
        size_t n = read_name(r, &name, &esc);
        if (n == 0 || esc || !(name_is(name, n, "true") || name_is(name, n, "false"))) {
            r->pos = start;
            return expected(r, start, "bool");
        }
        out->kind = COMPONENT_VAL_BOOL;
        out->of.b = name_is(name, n, "true");
        return 0;
    }
    case COMPONENT_PRIM_F32:
    case COMPONENT_PRIM_F64: return read_float(r, t, out);
    case COMPONENT_PRIM_CHAR: return read_char(r, out);
    case COMPONENT_PRIM_STRING: return read_string(r, out);
    case COMPONENT_PRIM_S8: case COMPONENT_PRIM_U8: case COMPONENT_PRIM_S16:
    case COMPONENT_PRIM_U16: case COMPONENT_PRIM_S32: case COMPONENT_PRIM_U32:
    case COMPONENT_PRIM_S64: case COMPONENT_PRIM_U64: return read_integer(r, t, out);
    default: return fail(r, r->pos, "values of this type have no WAVE text");
    }
}

/* ---- compound values --------------------------------------------------- */

static int read_value(reader *r, const component_rtype *t, component_val *out);

/* Items separated by commas up to `close` (a trailing comma allowed),
 * each read by `item`; *count receives how many. */
static int read_sequence(reader *r, char close, int (*item)(reader *r, void *env, size_t i),
                         void *env, size_t *count)
{
    size_t n = 0;
    while (peek(r) != close) {
        if (n > 0 && expect_char(r, ',') < 0)
            return -1;
        if (n > 0 && peek(r) == close)
            break;
        if (item(r, env, n) < 0)
            return -1;
        n++;
    }
    r->pos++;
    *count = n;
    return 0;
}

typedef struct list_env {
    const component_rtype *elem;
    component_val *items;
    size_t cap;
} list_env;

static int list_item(reader *r, void *env, size_t i)
{
    list_env *l = env;
    if (i == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        component_val *grown = component_arena_alloc(r->arena, l->cap * sizeof *grown);
        if (grown == NULL)
            return fail(r, r->pos, "the value is too large");
        if (i)
            memcpy(grown, l->items, i * sizeof *grown);
        l->items = grown;
    }
    return read_value(r, l->elem, &l->items[i]);
}

static int read_list(reader *r, const component_rtype *t, component_val *out)
{
    if (peek(r) != '[')
        return expected_type(r, r->pos, t);
    r->pos++;
    list_env l = {.elem = t->a};
    size_t n;
    if (read_sequence(r, ']', list_item, &l, &n) < 0)
        return -1;
    out->kind = COMPONENT_VAL_LIST;
    out->of.list.items = n ? l.items : alloc_vals(r, 0);
    out->of.list.n = n;
    return out->of.list.items ? 0 : -1;
}

typedef struct tuple_env {
    const component_rtype *t;
    component_val *fields;
} tuple_env;

static int tuple_item(reader *r, void *env, size_t i)
{
    tuple_env *e = env;
    if (i >= e->t->nfields) {
        char what[64];
        snprintf(what, sizeof what, "')' after %" PRIu32 " values", e->t->nfields);
        return expected(r, r->pos, what);
    }
    return read_value(r, e->t->fields[i].type, &e->fields[i]);
}

static int read_tuple(reader *r, const component_rtype *t, component_val *out)
{
    if (peek(r) != '(')
        return expected_type(r, r->pos, t);
    size_t start = r->pos++;
    tuple_env e = {.t = t, .fields = alloc_vals(r, t->nfields)};
    size_t n;
    if (e.fields == NULL || read_sequence(r, ')', tuple_item, &e, &n) < 0)
        return -1;
    if (n != t->nfields) {
        char name[256];
        component_rtype_format(t, name, sizeof name);
        return fail(r, start, "%s takes %" PRIu32 " values, found %zu", name, t->nfields, n);
    }
    out->kind = COMPONENT_VAL_RECORD;
    out->of.record.fields = e.fields;
    out->of.record.n = n;
    return 0;
}

typedef struct record_env {
    const component_rtype *t;
    component_val *fields;
    bool *seen;
} record_env;

static int record_item(reader *r, void *env, size_t i)
{
    (void)i;
    record_env *e = env;
    size_t at = (skip_blanks(r), r->pos);
    const char *name;
    bool esc;
    size_t n = read_name(r, &name, &esc);
    if (n == 0)
        return expected(r, at, "a field name");
    int f = find_label(e->t, name, n);
    if (f < 0) {
        char rec[256];
        component_rtype_format(e->t, rec, sizeof rec);
        return fail(r, at, "no field %.*s in %s", (int)n, name, rec);
    }
    if (e->seen[f])
        return fail(r, at, "field %.*s given twice", (int)n, name);
    e->seen[f] = true;
    if (expect_char(r, ':') < 0)
        return -1;
    return read_value(r, e->t->fields[f].type, &e->fields[f]);
}

static int read_record(reader *r, const component_rtype *t, component_val *out)
{
    if (peek(r) != '{')
        return expected_type(r, r->pos, t);
    size_t start = r->pos++;
    record_env e = {.t = t, .fields = alloc_vals(r, t->nfields)};
    e.seen = component_arena_alloc(r->arena, t->nfields + 1);
    if (e.fields == NULL || e.seen == NULL)
        return -1;
    if (peek(r) == ':') { /* {:}, the empty record */
        r->pos++;
        if (expect_char(r, '}') < 0)
            return -1;
    } else {
        size_t n;
        if (read_sequence(r, '}', record_item, &e, &n) < 0)
            return -1;
    }
    for (uint32_t i = 0; i < t->nfields; i++) {
        if (e.seen[i])
            continue;
        if (t->fields[i].type->kind != COMPONENT_TYPE_OPTION) {
            char ft[256];
            component_rtype_format(t->fields[i].type, ft, sizeof ft);
            return fail(r, start, "missing field %s (%s)", t->fields[i].label, ft);
        }
        e.fields[i] = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant.disc = 0};
    }
    out->kind = COMPONENT_VAL_RECORD;
    out->of.record.fields = e.fields;
    out->of.record.n = t->nfields;
    return 0;
}

typedef struct flags_env {
    const component_rtype *t;
    uint64_t bits;
} flags_env;

static int flags_item(reader *r, void *env, size_t i)
{
    (void)i;
    flags_env *e = env;
    size_t at = (skip_blanks(r), r->pos);
    const char *name;
    bool esc;
    size_t n = read_name(r, &name, &esc);
    if (n == 0)
        return expected(r, at, "a flag name");
    int f = find_label(e->t, name, n);
    if (f < 0) {
        char ft[256];
        component_rtype_format(e->t, ft, sizeof ft);
        return fail(r, at, "no flag %.*s in %s", (int)n, name, ft);
    }
    e->bits |= UINT64_C(1) << f;
    return 0;
}

static int read_flags(reader *r, const component_rtype *t, component_val *out)
{
    if (peek(r) != '{')
        return expected_type(r, r->pos, t);
    r->pos++;
    flags_env e = {.t = t};
    size_t n;
    if (read_sequence(r, '}', flags_item, &e, &n) < 0)
        return -1;
    out->kind = COMPONENT_VAL_FLAGS;
    out->of.flags = e.bits;
    return 0;
}

/* `name` or `name(payload)` where a payload type is given. */
static int read_case_payload(reader *r, const char *label, const component_rtype *payload,
                             component_val *out)
{
    size_t at = r->pos;
    bool open = peek(r) == '(';
    if (payload == NULL) {
        if (open)
            return fail(r, r->pos, "case %s takes no payload", label);
        r->pos = at;
        out->of.variant.payload = NULL;
        return 0;
    }
    if (!open) {
        char what[128];
        snprintf(what, sizeof what, "'(' (case %s takes a payload)", label);
        return expected(r, r->pos, what);
    }
    r->pos++;
    out->of.variant.payload = alloc_vals(r, 1);
    if (out->of.variant.payload == NULL || read_value(r, payload, out->of.variant.payload) < 0)
        return -1;
    return expect_char(r, ')');
}

static int read_cases(reader *r, const component_rtype *t, component_val *out)
{
    size_t at = (skip_blanks(r), r->pos);
    const char *name;
    bool esc;
    size_t n = read_name(r, &name, &esc);
    int c = n ? find_label(t, name, n) : -1;
    if (c < 0 || (!esc && is_keyword(t->fields[c].label))) {
        r->pos = at;
        return expected_type(r, at, t);
    }
    out->kind = COMPONENT_VAL_VARIANT;
    out->of.variant.disc = (uint32_t)c;
    return read_case_payload(r, t->fields[c].label, t->fields[c].type, out);
}

/* option and result: explicit keyword forms, or a bare payload. */
static int read_keyword_cases(reader *r, const component_rtype *t, const char *first,
                              const char *second, component_val *out)
{
    bool option = t->kind == COMPONENT_TYPE_OPTION;
    /* option: 0 none, 1 some(a); result: 0 ok(a), 1 err(b) */
    const component_rtype *payload[2] = {option ? NULL : t->a, option ? t->a : t->b};
    const char *names[2] = {option ? second : first, option ? first : second};
    size_t at = (skip_blanks(r), r->pos);
    const char *name;
    bool esc;
    size_t n = read_name(r, &name, &esc);
    out->kind = COMPONENT_VAL_VARIANT;
    for (uint32_t c = 0; n && !esc && c < 2; c++)
        if (name_is(name, n, names[c])) {
            out->of.variant.disc = c;
            return read_case_payload(r, names[c], payload[c], out);
        }
    r->pos = at;
    /* the shorthand: a bare value is some(x) / ok(x) */
    const component_rtype *bare = t->a;
    if (bare == NULL)
        return expected_type(r, at, t);
    out->of.variant.disc = option ? 1 : 0;
    out->of.variant.payload = alloc_vals(r, 1);
    if (out->of.variant.payload == NULL)
        return -1;
    util_error *why = NULL;
    util_error **keep = r->err;
    r->err = &why;
    r->mismatch_at = SIZE_MAX;
    int rc = read_value(r, bare, out->of.variant.payload);
    r->err = keep;
    if (rc < 0 && r->mismatch_at == at) { /* not even the payload's kind of token */
        util_error_free(&why);
        return expected_type(r, at, t);
    }
    if (rc < 0) {
        util_error_set(keep, 0, "%s", why->msg);
        util_error_free(&why);
    }
    return rc;
}

static int read_value(reader *r, const component_rtype *t, component_val *out)
{
    if (++r->depth > COMPONENT_MAX_TYPE_DEPTH)
        return fail(r, r->pos, "values nest more than %d deep", COMPONENT_MAX_TYPE_DEPTH);
    skip_blanks(r);
    memset(out, 0, sizeof *out);
    int rc;
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM: rc = read_prim(r, t, out); break;
    case COMPONENT_TYPE_LIST: rc = read_list(r, t, out); break;
    case COMPONENT_TYPE_TUPLE: rc = read_tuple(r, t, out); break;
    case COMPONENT_TYPE_RECORD: rc = read_record(r, t, out); break;
    case COMPONENT_TYPE_FLAGS: rc = read_flags(r, t, out); break;
    case COMPONENT_TYPE_VARIANT:
    case COMPONENT_TYPE_ENUM: rc = read_cases(r, t, out); break;
    case COMPONENT_TYPE_OPTION: rc = read_keyword_cases(r, t, "some", "none", out); break;
    case COMPONENT_TYPE_RESULT: rc = read_keyword_cases(r, t, "ok", "err", out); break;
    default: {
        char name[256];
        component_rtype_format(t, name, sizeof name);
        rc = fail(r, r->pos, "%s is a resource handle, which WAVE cannot write", name);
    }
    }
    r->depth--;
    return rc;
}

/* ---- reading: entry points --------------------------------------------- */

static int read_end(reader *r)
{
    if (peek(r) != '\0')
        return expected(r, r->pos, "the end of the value");
    return 0;
}

int component_wave_read(const component_rtype *t, const char *text, component_arena *a,
                        component_val *out, util_error **err)
{
    reader r = {.s = text, .len = strlen(text), .arena = a, .err = err, .mismatch_at = SIZE_MAX};
    snprintf(r.where, sizeof r.where, "value");
    if (read_value(&r, t, out) < 0)
        return -1;
    return read_end(&r);
}

/* How many comma-separated values stand at the top level of `text` (a
 * trailing comma allowed), so that a wrong count is reported as such;
 * SIZE_MAX when brackets or quotes do not balance (the reader then says
 * where). */
static size_t count_args(const char *s)
{
    size_t n = 0, depth = 0;
    bool pending = false; /* a value started since the last comma */
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (c == '/' && s[i + 1] == '/') {
            while (s[i + 1] && s[i + 1] != '\n')
                i++;
        } else if (c == '"' || c == '\'') {
            pending = true;
            for (i++; s[i] && s[i] != c; i++)
                if (s[i] == '\\' && s[i + 1])
                    i++;
            if (!s[i])
                return SIZE_MAX;
        } else if (c == '(' || c == '[' || c == '{') {
            pending = true;
            depth++;
        } else if (c == ')' || c == ']' || c == '}') {
            if (depth == 0)
                return SIZE_MAX;
            depth--;
        } else if (c == ',' && depth == 0) {
            n += pending;
            pending = false;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            pending = true;
        }
    }
    return depth ? SIZE_MAX : n + pending;
}

int component_wave_read_args(const component_rfunc *f, const char *text, component_arena *a,
                             component_val **args, util_error **err)
{
    size_t given = count_args(text);
    if (given != SIZE_MAX && given != f->nparams) {
        char sig[512];
        component_rfunc_format(f, sig, sizeof sig);
        return util_error_set(err, 0, "%s takes %" PRIu32 " argument%s, %zu given", sig,
                              f->nparams, f->nparams == 1 ? "" : "s", given);
    }
    reader r = {.s = text, .len = strlen(text), .arena = a, .err = err,
                .mismatch_at = SIZE_MAX};
    snprintf(r.where, sizeof r.where, "argument 1");
    *args = alloc_vals(&r, f->nparams);
    if (*args == NULL)
        return -1;
    for (uint32_t i = 0; i < f->nparams; i++) {
        snprintf(r.where, sizeof r.where, "argument %" PRIu32, i + 1);
        if (i > 0 && expect_char(&r, ',') < 0)
            return -1;
        if (read_value(&r, f->params[i].type, &(*args)[i]) < 0)
            return -1;
    }
    if (peek(&r) == ',')
        r.pos++;
    return read_end(&r);
}

/* ---- writing ----------------------------------------------------------- */

static void write_label(util_buf *b, const char *label)
{
    if (is_keyword(label))
        util_buf_append_str(b, "%");
    util_buf_append_str(b, label);
}

static void write_float(util_buf *b, double v, bool f32)
{
    if (isnan(v)) {
        util_buf_append_str(b, "nan");
    } else if (isinf(v)) {
        util_buf_append_str(b, v < 0 ? "-inf" : "inf");
    } else {
        /* the shortest text that reads back as the same value */
        char tmp[64];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, v);
            if (f32 ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
                break;
        }
        util_buf_append_str(b, tmp);
    }
}

static void write_char_literal(util_buf *b, uint32_t c, char quote)
{
    switch (c) {
    case '\\': util_buf_append_str(b, "\\\\"); return;
    case '\n': util_buf_append_str(b, "\\n"); return;
    case '\t': util_buf_append_str(b, "\\t"); return;
    case '\r': util_buf_append_str(b, "\\r"); return;
    default: break;
    }
    if (c == (uint32_t)quote)
        util_buf_printf(b, "\\%c", quote);
    else if (c < 0x20 || c == 0x7f)
        util_buf_printf(b, "\\u{%" PRIx32 "}", c);
    else
        utf8_put(b, c);
}

static void write_string(util_buf *b, const char *s, size_t len)
{
    util_buf_append_str(b, "\"");
    for (size_t i = 0; i < len;) {
        size_t at = i;
        int32_t c = utf8_next(s, len, &i);
        if (c < 0) { /* lifted strings are valid; never loop on a bad byte */
            c = 0xfffd;
            i = at + 1;
        }
        write_char_literal(b, (uint32_t)c, '"');
    }
    util_buf_append_str(b, "\"");
}

/* Element i of a list of numbers packed as the canonical ABI stores them. */
static component_val raw_element(const component_rtype *elem, const void *raw, size_t i)
{
    const uint8_t *p = (const uint8_t *)raw + i * elem->size;
    uint64_t u = 0;
    for (uint32_t k = 0; k < elem->size; k++)
        u |= (uint64_t)p[k] << (8 * k);
    component_val v = {0};
    switch (elem->prim) {
    case COMPONENT_PRIM_S8: v.kind = COMPONENT_VAL_S8; v.of.s = (int8_t)u; break;
    case COMPONENT_PRIM_U8: v.kind = COMPONENT_VAL_U8; v.of.u = u; break;
    case COMPONENT_PRIM_S16: v.kind = COMPONENT_VAL_S16; v.of.s = (int16_t)u; break;
    case COMPONENT_PRIM_U16: v.kind = COMPONENT_VAL_U16; v.of.u = u; break;
    case COMPONENT_PRIM_S32: v.kind = COMPONENT_VAL_S32; v.of.s = (int32_t)u; break;
    case COMPONENT_PRIM_U32: v.kind = COMPONENT_VAL_U32; v.of.u = u; break;
    case COMPONENT_PRIM_S64: v.kind = COMPONENT_VAL_S64; v.of.s = (int64_t)u; break;
    case COMPONENT_PRIM_F32: {
        uint32_t bits = (uint32_t)u;
        v.kind = COMPONENT_VAL_F32;
        memcpy(&v.of.f32, &bits, 4);
        break;
    }
    case COMPONENT_PRIM_F64: v.kind = COMPONENT_VAL_F64; memcpy(&v.of.f64, &u, 8); break;
    default: v.kind = COMPONENT_VAL_U64; v.of.u = u; break;
    }
    return v;
}

static void write_prim(const component_rtype *t, const component_val *v, util_buf *b)
{
    switch (t->prim) {
    case COMPONENT_PRIM_BOOL: util_buf_append_str(b, v->of.b ? "true" : "false"); break;
    case COMPONENT_PRIM_S8: case COMPONENT_PRIM_S16: case COMPONENT_PRIM_S32:
    case COMPONENT_PRIM_S64: util_buf_printf(b, "%" PRId64, v->of.s); break;
    case COMPONENT_PRIM_F32: write_float(b, v->of.f32, true); break;
    case COMPONENT_PRIM_F64: write_float(b, v->of.f64, false); break;
    case COMPONENT_PRIM_CHAR:
        util_buf_append_str(b, "'");
        write_char_literal(b, v->of.ch, '\'');
        util_buf_append_str(b, "'");
        break;
    case COMPONENT_PRIM_STRING: write_string(b, v->of.str.ptr, v->of.str.len); break;
    default: util_buf_printf(b, "%" PRIu64, v->of.u); break;
    }
}

static void write_case(const char *label, bool escape, const component_rtype *pt,
                       const component_val *payload, util_buf *b)
{
    if (escape)
        write_label(b, label);
    else
        util_buf_append_str(b, label);
    if (pt && payload) {
        util_buf_append_str(b, "(");
        component_wave_write(pt, payload, b);
        util_buf_append_str(b, ")");
    }
}

void component_wave_write(const component_rtype *t, const component_val *v, util_buf *b)
{
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM: write_prim(t, v, b); break;
    case COMPONENT_TYPE_LIST:
        util_buf_append_str(b, "[");
        for (size_t i = 0; i < v->of.list.n; i++) {
            if (i)
                util_buf_append_str(b, ", ");
            if (v->of.list.items) {
                component_wave_write(t->a, &v->of.list.items[i], b);
            } else {
                component_val e = raw_element(t->a, v->of.list.raw, i);
                component_wave_write(t->a, &e, b);
            }
        }
        util_buf_append_str(b, "]");
        break;
    case COMPONENT_TYPE_TUPLE:
        util_buf_append_str(b, "(");
        for (uint32_t i = 0; i < t->nfields; i++) {
            if (i)
                util_buf_append_str(b, ", ");
            component_wave_write(t->fields[i].type, &v->of.record.fields[i], b);
        }
        util_buf_append_str(b, ")");
        break;
    case COMPONENT_TYPE_RECORD:
        util_buf_append_str(b, t->nfields ? "{" : "{:");
        for (uint32_t i = 0; i < t->nfields; i++) {
            util_buf_append_str(b, i ? ", " : "");
            util_buf_append_str(b, t->fields[i].label); /* never ambiguous before ':' */
            util_buf_append_str(b, ": ");
            component_wave_write(t->fields[i].type, &v->of.record.fields[i], b);
        }
        util_buf_append_str(b, "}");
        break;
    case COMPONENT_TYPE_FLAGS: {
        util_buf_append_str(b, "{");
        bool first = true;
        for (uint32_t i = 0; i < t->nfields && i < 64; i++)
            if (v->of.flags & (UINT64_C(1) << i)) {
                util_buf_append_str(b, first ? "" : ", ");
                util_buf_append_str(b, t->fields[i].label); /* only labels stand in {} */
                first = false;
            }
        util_buf_append_str(b, "}");
        break;
    }
    case COMPONENT_TYPE_VARIANT:
    case COMPONENT_TYPE_ENUM: {
        uint32_t d = v->of.variant.disc;
        if (d < t->nfields)
            write_case(t->fields[d].label, true, t->fields[d].type, v->of.variant.payload, b);
        break;
    }
    case COMPONENT_TYPE_OPTION:
        if (v->of.variant.disc == 0)
            util_buf_append_str(b, "none");
        else
            write_case("some", false, t->a, v->of.variant.payload, b);
        break;
    case COMPONENT_TYPE_RESULT:
        if (v->of.variant.disc == 0)
            write_case("ok", false, t->a, v->of.variant.payload, b);
        else
            write_case("err", false, t->b, v->of.variant.payload, b);
        break;
    default: util_buf_append_str(b, "<resource>"); break;
    }
}

bool component_wave_has_resource(const component_rtype *t)
{
    if (t == NULL)
        return false;
    if (t->kind == COMPONENT_TYPE_OWN || t->kind == COMPONENT_TYPE_BORROW)
        return true;
    if (component_wave_has_resource(t->a) || component_wave_has_resource(t->b))
        return true;
    for (uint32_t i = 0; i < t->nfields; i++)
        if (component_wave_has_resource(t->fields[i].type))
            return true;
    return false;
}

/* ---- the door ---------------------------------------------------------- */

static int refuse_resources(const component_rfunc *t, util_error **err)
{
    char sig[512];
    for (uint32_t i = 0; i < t->nparams; i++)
        if (component_wave_has_resource(t->params[i].type)) {
            component_rfunc_format(t, sig, sizeof sig);
            return util_error_set(err, 0, "%s: parameter %s is a resource handle, which cannot "
                                  "be written as text", sig, t->params[i].label);
        }
    if (component_wave_has_resource(t->result)) {
        component_rfunc_format(t, sig, sizeof sig);
        return util_error_set(err, 0, "%s returns a resource handle, which cannot be printed",
                              sig);
    }
    return 0;
}

int component_func_call_text(component_instance *inst, const component_func *f,
                             const char *args, char **result_text, wasm_result *res,
                             util_error **err)
{
    const component_rfunc *t = f->f->type;
    wasm_result_init(res);
    *result_text = NULL;
    if (refuse_resources(t, err) < 0)
        return -1;
    component_arena *arena = component_arena_new((size_t)64 << 20);
    component_val *vals = NULL, result;
    int rc = component_wave_read_args(t, args ? args : "", arena, &vals, err);
    if (rc == 0)
        rc = component_func_call(inst, f, vals, t->nparams, t->result ? &result : NULL, res);
    if (rc == 0) {
        if (t->result) {
            util_buf b = {0};
            component_wave_write(t->result, &result, &b);
            *result_text = b.data ? util_buf_steal(&b, NULL) : util_xstrndup("", 0);
        }
        rc = component_func_post_return(inst, f, res);
        if (rc < 0) {
            free(*result_text);
            *result_text = NULL;
        }
    }
    component_arena_free(arena);
    return rc;
}
