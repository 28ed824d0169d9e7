/*
 * rtype_text.c - resolved types back to text, and the structural equality
 * imports are checked by.
 *
 * Formatting writes the syntax sigparse.c reads, normalised (one blank
 * after `,` and `:`, named types written out, a bare resource name as
 * own<name>), so format(parse(x)) is x in canonical form and messages
 * print types the way the host declared them.  Output is truncated to the
 * buffer (ending in "..."), and a walk stops as soon as the buffer is
 * full, so the depth of the recursion is bounded by the buffer, not by
 * the type.
 *
 * Equality is wasmtime's rule for component function types: the same
 * kinds, the same labels in the same order (record fields, variant cases
 * with the same payload presence, enum and flags labels), equal children,
 * and resources by identity.  Parameter names of functions are not part
 * of it (wasmtime compares only their types).  On a difference, `why`
 * gets the path to it and both sides: "param 2 (contents): list<u8> vs
 * string", "result: ok type: u32 vs u64".
 */
#include "rtype.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- formatting ---------------------------------------------------------- */

typedef struct out {
    char *buf;
    size_t cap, len;
    bool full;
} out;

static void put(out *o, const char *s)
{
    if (o->full)
        return;
    size_t n = strlen(s);
    if (o->len + n >= o->cap) {
        n = o->cap - 1 - o->len;
        o->full = true;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void finish(out *o)
{
    if (o->full && o->cap >= 4)
        memcpy(o->buf + o->cap - 4, "...", 4);
}

const char *component_prim_name(component_prim prim)
{
    switch (prim) {
    case COMPONENT_PRIM_BOOL: return "bool";
    case COMPONENT_PRIM_S8: return "s8";
    case COMPONENT_PRIM_U8: return "u8";
    case COMPONENT_PRIM_S16: return "s16";
    case COMPONENT_PRIM_U16: return "u16";
    case COMPONENT_PRIM_S32: return "s32";
    case COMPONENT_PRIM_U32: return "u32";
    case COMPONENT_PRIM_S64: return "s64";
    case COMPONENT_PRIM_U64: return "u64";
    case COMPONENT_PRIM_F32: return "f32";
    case COMPONENT_PRIM_F64: return "f64";
    case COMPONENT_PRIM_CHAR: return "char";
    case COMPONENT_PRIM_STRING: return "string";
    case COMPONENT_PRIM_ERROR_CONTEXT: return "error-context";
    case COMPONENT_PRIM_NONE: break;
    }
    return "?";
}

static void format_type(out *o, const component_rtype *t);

static void format_fields(out *o, const component_rtype *t, const char *open, char close)
{
    put(o, open);
    for (uint32_t i = 0; i < t->nfields && !o->full; i++) {
        const component_rfield *f = &t->fields[i];
        if (i > 0)
            put(o, ", ");
        if (f->label)
            put(o, f->label);
        if (!f->type)
            continue;
        if (t->kind == COMPONENT_TYPE_RECORD) {
            put(o, ": ");
            format_type(o, f->type);
        } else if (t->kind == COMPONENT_TYPE_VARIANT) {
            put(o, "(");
            format_type(o, f->type);
            put(o, ")");
        } else {
            format_type(o, f->type); /* tuple */
        }
    }
    put(o, (char[]){close, '\0'});
}

/* A resource named like a keyword is written %name, as the parser (and
 * WIT) reads it. */
static bool is_keyword(const char *name)
{
    static const char *const KEYWORDS[] = {
        "bool",  "s8",     "u8",     "s16",    "u16",  "s32",  "u32",  "s64",   "u64",
        "f32",   "f64",    "char",   "string", "list", "option", "tuple", "result",
        "record", "variant", "enum", "flags",  "own",  "borrow", "func", "_"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(KEYWORDS); i++)
        if (strcmp(name, KEYWORDS[i]) == 0)
            return true;
    return false;
}

static void format_handle(out *o, const char *kind, const component_resource_type *r)
{
    put(o, kind);
    put(o, "<");
    if (r && r->name && is_keyword(r->name))
        put(o, "%");
    put(o, r && r->name ? r->name : "?");
    put(o, ">");
}

static void format_type(out *o, const component_rtype *t)
{
    if (o->full)
        return;
    if (!t) {
        put(o, "_");
        return;
    }
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM:
        put(o, component_prim_name(t->prim));
        return;
    case COMPONENT_TYPE_LIST:
    case COMPONENT_TYPE_OPTION:
        put(o, t->kind == COMPONENT_TYPE_LIST ? "list<" : "option<");
        format_type(o, t->a);
        put(o, ">");
        return;
    case COMPONENT_TYPE_RESULT:
        if (!t->a && !t->b) {
            put(o, "result");
            return;
        }
        put(o, "result<");
        format_type(o, t->a);
        if (t->b) {
            put(o, ", ");
            format_type(o, t->b);
        }
        put(o, ">");
        return;
    case COMPONENT_TYPE_TUPLE: format_fields(o, t, "tuple<", '>'); return;
    case COMPONENT_TYPE_RECORD: format_fields(o, t, "record{", '}'); return;
    case COMPONENT_TYPE_VARIANT: format_fields(o, t, "variant{", '}'); return;
    case COMPONENT_TYPE_ENUM: format_fields(o, t, "enum{", '}'); return;
    case COMPONENT_TYPE_FLAGS: format_fields(o, t, "flags{", '}'); return;
    case COMPONENT_TYPE_OWN: format_handle(o, "own", t->resource); return;
    case COMPONENT_TYPE_BORROW: format_handle(o, "borrow", t->resource); return;
    default:
        /* Not a value type the runtime resolves; named for messages. */
        put(o, t->kind == COMPONENT_TYPE_STREAM   ? "stream<...>"
               : t->kind == COMPONENT_TYPE_FUTURE ? "future<...>"
                                                  : "?");
        return;
    }
}

static void format_func(out *o, const component_rfunc *f)
{
    put(o, "func(");
    for (uint32_t i = 0; i < f->nparams && !o->full; i++) {
        if (i > 0)
            put(o, ", ");
        put(o, f->params[i].label ? f->params[i].label : "?");
        put(o, ": ");
        format_type(o, f->params[i].type);
    }
    put(o, ")");
    if (f->result) {
        put(o, " -> ");
        format_type(o, f->result);
    }
}

void component_rtype_format(const component_rtype *t, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    out o = {.buf = buf, .cap = cap};
    buf[0] = '\0';
    if (cap > 1)
        format_type(&o, t);
    finish(&o);
}

void component_rfunc_format(const component_rfunc *f, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    out o = {.buf = buf, .cap = cap};
    buf[0] = '\0';
    if (cap > 1)
        format_func(&o, f);
    finish(&o);
}

/* ---- equality ------------------------------------------------------------ */

/* Where the comparison is: "param 2 (contents): ok type: " grows as it
 * descends and shrinks as it returns, so the first difference is told
 * with the whole path. */
typedef struct cmp {
    char path[512];
    size_t len;
    char *why;
    size_t cap;
} cmp;

static size_t path_push(cmp *c, const char *fmt, ...) UTIL_PRINTF(2, 3);

static size_t path_push(cmp *c, const char *fmt, ...)
{
    size_t saved = c->len;
    if (!c->why)
        return saved;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->path + c->len, sizeof c->path - c->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        c->len += (size_t)n < sizeof c->path - c->len ? (size_t)n : sizeof c->path - 1 - c->len;
    return saved;
}

static void path_pop(cmp *c, size_t saved)
{
    c->len = saved;
    c->path[saved] = '\0';
}

/* Records the difference at this node: the path, then both types. */
static bool differ(cmp *c, const component_rtype *a, const component_rtype *b, const char *note)
{
    if (!c->why)
        return false;
    char fa[200], fb[200];
    component_rtype_format(a, fa, sizeof fa);
    component_rtype_format(b, fb, sizeof fb);
    snprintf(c->why, c->cap, "%s%s vs %s%s", c->path, a ? fa : "none", b ? fb : "none",
             note ? note : "");
    return false;
}

static bool type_equal(cmp *c, const component_rtype *a, const component_rtype *b);

/* A child (list element, ok type, field ...) under a path segment. */
static bool child_equal(cmp *c, const char *segment, const component_rtype *a,
                        const component_rtype *b)
{
    size_t saved = path_push(c, "%s: ", segment);
    bool eq = type_equal(c, a, b);
    path_pop(c, saved);
    return eq;
}

static bool labels_equal(const component_rfield *x, const component_rfield *y)
{
    if (!x->label || !y->label)
        return x->label == y->label;
    return strcmp(x->label, y->label) == 0;
}

static bool fields_equal(cmp *c, const component_rtype *a, const component_rtype *b)
{
    if (a->nfields != b->nfields)
        return differ(c, a, b, NULL);
    /* The shape first (labels, payload presence), so a renamed case is
     * told as such rather than as a payload difference further on. */
    for (uint32_t i = 0; i < a->nfields; i++)
        if (!labels_equal(&a->fields[i], &b->fields[i]) ||
            (!a->fields[i].type) != (!b->fields[i].type))
            return differ(c, a, b, NULL);
    const char *what = a->kind == COMPONENT_TYPE_VARIANT ? "case" : a->kind == COMPONENT_TYPE_TUPLE ? "element" : "field";
    for (uint32_t i = 0; i < a->nfields; i++) {
        if (!a->fields[i].type)
            continue;
        char segment[160];
        if (a->fields[i].label)
            snprintf(segment, sizeof segment, "%s %u (%s)", what, i + 1, a->fields[i].label);
        else
            snprintf(segment, sizeof segment, "%s %u", what, i + 1);
        if (!child_equal(c, segment, a->fields[i].type, b->fields[i].type))
            return false;
    }
    return true;
}

static bool type_equal(cmp *c, const component_rtype *a, const component_rtype *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->kind != b->kind)
        return differ(c, a, b, NULL);
    switch (a->kind) {
    case COMPONENT_TYPE_PRIM:
        return a->prim == b->prim ? true : differ(c, a, b, NULL);
    case COMPONENT_TYPE_LIST:
        return child_equal(c, "element", a->a, b->a);
    case COMPONENT_TYPE_OPTION:
        return child_equal(c, "some type", a->a, b->a);
    case COMPONENT_TYPE_RESULT:
        if ((!a->a) != (!b->a) || (!a->b) != (!b->b))
            return differ(c, a, b, NULL);
        return (!a->a || child_equal(c, "ok type", a->a, b->a)) &&
               (!a->b || child_equal(c, "error type", a->b, b->b));
    case COMPONENT_TYPE_TUPLE:
    case COMPONENT_TYPE_RECORD:
    case COMPONENT_TYPE_VARIANT:
    case COMPONENT_TYPE_ENUM:
    case COMPONENT_TYPE_FLAGS:
        return fields_equal(c, a, b);
    case COMPONENT_TYPE_OWN:
    case COMPONENT_TYPE_BORROW:
        if (a->resource == b->resource)
            return true;
        return differ(c, a, b,
                      a->resource && b->resource && a->resource->name && b->resource->name &&
                              strcmp(a->resource->name, b->resource->name) == 0
                          ? " (different resource types)"
                          : NULL);
    default:
        /* Kinds the runtime does not resolve: never equal unless shared. */
        return differ(c, a, b, NULL);
    }
}

static void cmp_init(cmp *c, char *why, size_t cap)
{
    c->path[0] = '\0';
    c->len = 0;
    c->why = cap ? why : NULL;
    c->cap = cap;
    if (c->why)
        c->why[0] = '\0';
}

bool component_rtype_equal(const component_rtype *a, const component_rtype *b, char *why,
                           size_t cap)
{
    cmp c;
    cmp_init(&c, why, cap);
    return type_equal(&c, a, b);
}

bool component_rfunc_equal(const component_rfunc *a, const component_rfunc *b, char *why,
                           size_t cap)
{
    cmp c;
    cmp_init(&c, why, cap);
    if (a->nparams != b->nparams) {
        if (c.why)
            snprintf(why, cap, "%u parameter%s vs %u", a->nparams, a->nparams == 1 ? "" : "s",
                     b->nparams);
        return false;
    }
    for (uint32_t i = 0; i < a->nparams; i++) {
        char segment[160];
        if (a->params[i].label)
            snprintf(segment, sizeof segment, "param %u (%s)", i + 1, a->params[i].label);
        else
            snprintf(segment, sizeof segment, "param %u", i + 1);
        if (!child_equal(&c, segment, a->params[i].type, b->params[i].type))
            return false;
    }
    if (!a->result && !b->result)
        return true;
    return child_equal(&c, "result", a->result, b->result);
}
