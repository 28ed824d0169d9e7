/*
 * sigparse.c - the host's WIT-like type and signature text (component.h,
 * "the linker") parsed into resolved types.
 *
 * The host describes each function as text ("func(self: borrow<stream>,
 * len: u64) -> result<list<u8>, stream-error>") rather than as C
 * structures: short, readable, and the same syntax every error message
 * prints (rtype_text.c), so a mismatch reads like the declaration it
 * concerns.  The parser is a plain recursive descent over a scanner that
 * skips blanks; it builds component_rtype nodes in the caller's pool and
 * lays them out before returning, so what it returns is ready for the
 * canonical ABI.
 *
 * Names resolve only in the interface being defined (its named types and
 * resources, own or aliased): a type of another interface is reachable
 * only through component_linker_alias_resource, as a WIT `use` makes it.
 * Nesting is bounded (COMPONENT_SIG_MAX_DEPTH) so that no text can
 * exhaust the stack; every error names the byte offset and what was
 * expected there.
 */
#include "component_internal.h"
#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct parser {
    const char *s;
    size_t len, pos;
    component_rtype_pool *pool;
    const component_host_interface *scope;
    const char *what;
    unsigned depth;
    util_error **err;
} parser;

/* A word of the text: a keyword, a label or a name. */
typedef struct word {
    const char *s;
    size_t len;
    size_t at;    /* offset in the text */
    bool escaped; /* written %name: never a keyword */
} word;

static const struct {
    const char *name;
    component_prim prim;
} PRIM_NAMES[] = {
    {"bool", COMPONENT_PRIM_BOOL}, {"s8", COMPONENT_PRIM_S8},         {"u8", COMPONENT_PRIM_U8},
    {"s16", COMPONENT_PRIM_S16},   {"u16", COMPONENT_PRIM_U16},       {"s32", COMPONENT_PRIM_S32},
    {"u32", COMPONENT_PRIM_U32},   {"s64", COMPONENT_PRIM_S64},       {"u64", COMPONENT_PRIM_U64},
    {"f32", COMPONENT_PRIM_F32},   {"f64", COMPONENT_PRIM_F64},       {"char", COMPONENT_PRIM_CHAR},
    {"string", COMPONENT_PRIM_STRING},
};

/* ---- scanning ------------------------------------------------------------ */

static int fail_at(parser *p, size_t at, const char *fmt, ...) UTIL_PRINTF(3, 4);

static int fail_at(parser *p, size_t at, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return util_error_set(p->err, 0, "%s at %zu: %s", p->what, at, msg);
}

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

static void skip_blanks(parser *p)
{
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
            p->s[p->pos] == '\r'))
        p->pos++;
}

/* What stands at the current position, for "expected X, found Y". */
static const char *describe_here(parser *p, char *buf, size_t cap)
{
    skip_blanks(p);
    if (p->pos >= p->len)
        return "end of text";
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c < 0x20 || c >= 0x7f) { /* control or non-ASCII: never quoted raw */
        snprintf(buf, cap, "byte 0x%02x", c);
        return buf;
    }
    size_t n = 0;
    while (p->pos + n < p->len && is_word_char(p->s[p->pos + n]) && n < 40)
        n++;
    if (n == 0)
        n = 1;
    snprintf(buf, cap, "`%.*s`", (int)n, p->s + p->pos);
    return buf;
}

static int expected(parser *p, const char *what)
{
    char found[64];
    const char *here = describe_here(p, found, sizeof found);
    return fail_at(p, p->pos, "expected %s, found %s", what, here);
}

/* Consumes `c` if it is the next character after blanks. */
static bool eat(parser *p, char c)
{
    skip_blanks(p);
    if (p->pos < p->len && p->s[p->pos] == c) {
        p->pos++;
        return true;
    }
    return false;
}

static int expect(parser *p, char c)
{
    if (eat(p, c))
        return 0;
    char what[8];
    snprintf(what, sizeof what, "`%c`", c);
    return expected(p, what);
}

/* Reads a word (maybe %-escaped); false (nothing consumed) if there is none. */
static bool read_word(parser *p, word *w)
{
    skip_blanks(p);
    size_t start = p->pos;
    bool escaped = start < p->len && p->s[start] == '%';
    size_t pos = start + (escaped ? 1 : 0);
    while (pos < p->len && is_word_char(p->s[pos]))
        pos++;
    size_t from = start + (escaped ? 1 : 0);
    if (pos == from)
        return false;
    *w = (word){.s = p->s + from, .len = pos - from, .at = start, .escaped = escaped};
    p->pos = pos;
    return true;
}

static bool word_is(const word *w, const char *kw)
{
    return !w->escaped && strlen(kw) == w->len && memcmp(w->s, kw, w->len) == 0;
}

/* A kebab-case label (record field, case, enum/flags label, parameter). */
static int read_label(parser *p, word *w)
{
    if (!read_word(p, w))
        return expected(p, "a label");
    if (!component_label_valid(w->s, w->len))
        return fail_at(p, w->at, "`%.*s` is not a kebab-case label", (int)w->len, w->s);
    return 0;
}

/* ---- nodes --------------------------------------------------------------- */

static component_rtype *new_node(parser *p, component_type_kind kind)
{
    component_rtype *t = component_rtype_pool_alloc(p->pool, sizeof *t);
    if (!t) {
        util_error_set(p->err, 0, "%s: out of memory", p->what);
        return NULL;
    }
    t->kind = kind;
    return t;
}

/* A growing list of fields while they are parsed; copied into the pool
 * when complete. */
typedef struct field_list {
    component_rfield *items;
    size_t n, cap;
    size_t *at; /* offset of each label, for duplicate errors */
} field_list;

static void field_list_free(field_list *fl)
{
    free(fl->items);
    free(fl->at);
}

static int field_list_add(parser *p, field_list *fl, const word *label,
                          const component_rtype *type)
{
    char *text = NULL;
    if (label) {
        for (size_t i = 0; i < fl->n; i++)
            if (strlen(fl->items[i].label) == label->len &&
                memcmp(fl->items[i].label, label->s, label->len) == 0)
                return fail_at(p, label->at, "duplicate label `%.*s`", (int)label->len,
                               label->s);
        text = component_rtype_pool_strdup(p->pool, label->s, label->len);
        if (!text)
            return util_error_set(p->err, 0, "%s: out of memory", p->what);
    }
    if (fl->n == fl->cap) {
        fl->cap = fl->cap ? fl->cap * 2 : 8;
        fl->items = util_xrealloc(fl->items, fl->cap * sizeof *fl->items);
        fl->at = util_xrealloc(fl->at, fl->cap * sizeof *fl->at);
    }
    fl->items[fl->n] = (component_rfield){.label = text, .type = type};
    fl->at[fl->n] = label ? label->at : 0;
    fl->n++;
    return 0;
}

static int field_list_store(parser *p, field_list *fl, component_rfield **out, uint32_t *n)
{
    if (fl->n > UINT32_MAX)
        return util_error_set(p->err, 0, "%s: too many fields", p->what);
    if (fl->n == 0) { /* func(): no parameters */
        *out = NULL;
        *n = 0;
        return 0;
    }
    component_rfield *items = component_rtype_pool_alloc(p->pool, fl->n * sizeof *items);
    if (!items)
        return util_error_set(p->err, 0, "%s: out of memory", p->what);
    memcpy(items, fl->items, fl->n * sizeof *items);
    *out = items;
    *n = (uint32_t)fl->n;
    return 0;
}

/* ---- types --------------------------------------------------------------- */

static const component_rtype *parse_type(parser *p);

/* `<` type `>` */
static const component_rtype *parse_one_child(parser *p)
{
    if (expect(p, '<') < 0)
        return NULL;
    const component_rtype *t = parse_type(p);
    if (!t || expect(p, '>') < 0)
        return NULL;
    return t;
}

/* Whether a list closes here: `close` after the last item, a trailing
 * comma allowed as in WIT. */
static bool list_closes(parser *p, char close)
{
    return eat(p, close);
}

static component_rtype *parse_tuple(parser *p)
{
    field_list fl = {0};
    component_rtype *t = NULL;
    if (expect(p, '<') < 0)
        goto out;
    do {
        if (fl.n > 0 && list_closes(p, '>'))
            goto close;
        const component_rtype *e = parse_type(p);
        if (!e || field_list_add(p, &fl, NULL, e) < 0)
            goto out;
    } while (eat(p, ','));
    if (expect(p, '>') < 0)
        goto out;
close:
    t = new_node(p, COMPONENT_TYPE_TUPLE);
    if (t && field_list_store(p, &fl, &t->fields, &t->nfields) < 0)
        t = NULL;
out:
    field_list_free(&fl);
    return t;
}

static component_rtype *parse_result(parser *p)
{
    component_rtype *t = new_node(p, COMPONENT_TYPE_RESULT);
    if (!t || !eat(p, '<'))
        return t; /* bare `result`: neither ok nor error type */
    skip_blanks(p);
    size_t save = p->pos;
    word w;
    if (read_word(p, &w) && word_is(&w, "_")) {
        t->a = NULL;
    } else {
        p->pos = save;
        if (!(t->a = parse_type(p)))
            return NULL;
    }
    if (eat(p, ',') && !(t->b = parse_type(p)))
        return NULL;
    if (expect(p, '>') < 0)
        return NULL;
    return t;
}

/* record{...}, variant{...}, enum{...}, flags{...}: labels, with a type
 * after `:` (record) or in parentheses (variant, optional). */
static component_rtype *parse_labelled(parser *p, component_type_kind kind)
{
    field_list fl = {0};
    component_rtype *t = NULL;
    if (expect(p, '{') < 0)
        goto out;
    do {
        if (fl.n > 0 && list_closes(p, '}'))
            goto close;
        word label;
        const component_rtype *type = NULL;
        if (read_label(p, &label) < 0)
            goto out;
        if (kind == COMPONENT_TYPE_RECORD) {
            if (expect(p, ':') < 0 || !(type = parse_type(p)))
                goto out;
        } else if (kind == COMPONENT_TYPE_VARIANT && eat(p, '(')) {
            if (!(type = parse_type(p)) || expect(p, ')') < 0)
                goto out;
        }
        if (field_list_add(p, &fl, &label, type) < 0)
            goto out;
        if (kind == COMPONENT_TYPE_FLAGS && fl.n > 64) {
            fail_at(p, label.at, "flags with more than 64 labels");
            goto out;
        }
    } while (eat(p, ','));
    if (expect(p, '}') < 0)
        goto out;
close:
    t = new_node(p, kind);
    if (t && field_list_store(p, &fl, &t->fields, &t->nfields) < 0)
        t = NULL;
out:
    field_list_free(&fl);
    return t;
}

/* Looks a name up in the scope (names are NUL-terminated there). */
static bool scope_lookup(parser *p, const word *w, component_resource_type **res,
                         const component_rtype **type)
{
    *res = NULL;
    *type = NULL;
    if (!p->scope || w->len >= 256)
        return false;
    char name[256];
    memcpy(name, w->s, w->len);
    name[w->len] = '\0';
    *res = component_host_interface_resource(p->scope, name);
    if (!*res)
        *type = component_host_interface_type(p->scope, name);
    return *res || *type;
}

/* own<name> / borrow<name> */
static component_rtype *parse_handle(parser *p, component_type_kind kind)
{
    word w;
    if (expect(p, '<') < 0)
        return NULL;
    if (!read_word(p, &w)) {
        expected(p, "a resource name");
        return NULL;
    }
    component_resource_type *res;
    const component_rtype *type;
    if (!scope_lookup(p, &w, &res, &type)) {
        fail_at(p, w.at, "unknown resource `%.*s`", (int)w.len, w.s);
        return NULL;
    }
    if (!res) {
        fail_at(p, w.at, "`%.*s` is a type, not a resource", (int)w.len, w.s);
        return NULL;
    }
    if (expect(p, '>') < 0)
        return NULL;
    component_rtype *t = new_node(p, kind);
    if (t)
        t->resource = res;
    return t;
}

/* A name: a named type as it is, a resource as own<resource> (as in WIT). */
static const component_rtype *parse_name(parser *p, const word *w)
{
    component_resource_type *res;
    const component_rtype *type;
    if (!scope_lookup(p, w, &res, &type)) {
        fail_at(p, w->at, "unknown type `%.*s`", (int)w->len, w->s);
        return NULL;
    }
    if (type)
        return type;
    component_rtype *t = new_node(p, COMPONENT_TYPE_OWN);
    if (t)
        t->resource = res;
    return t;
}

static const component_rtype *parse_keyword_type(parser *p, const word *w)
{
    for (size_t i = 0; i < UTIL_ARRAY_LEN(PRIM_NAMES); i++)
        if (word_is(w, PRIM_NAMES[i].name))
            return component_rtype_prim(PRIM_NAMES[i].prim);
    if (word_is(w, "list") || word_is(w, "option")) {
        component_rtype *t =
            new_node(p, word_is(w, "list") ? COMPONENT_TYPE_LIST : COMPONENT_TYPE_OPTION);
        if (t && !(t->a = parse_one_child(p)))
            return NULL;
        return t;
    }
    if (word_is(w, "tuple"))
        return parse_tuple(p);
    if (word_is(w, "result"))
        return parse_result(p);
    if (word_is(w, "record"))
        return parse_labelled(p, COMPONENT_TYPE_RECORD);
    if (word_is(w, "variant"))
        return parse_labelled(p, COMPONENT_TYPE_VARIANT);
    if (word_is(w, "enum"))
        return parse_labelled(p, COMPONENT_TYPE_ENUM);
    if (word_is(w, "flags"))
        return parse_labelled(p, COMPONENT_TYPE_FLAGS);
    if (word_is(w, "own"))
        return parse_handle(p, COMPONENT_TYPE_OWN);
    if (word_is(w, "borrow"))
        return parse_handle(p, COMPONENT_TYPE_BORROW);
    return parse_name(p, w);
}

static const component_rtype *parse_type(parser *p)
{
    word w;
    if (!read_word(p, &w)) {
        expected(p, "a type");
        return NULL;
    }
    if (p->depth >= COMPONENT_SIG_MAX_DEPTH) {
        fail_at(p, w.at, "types nested deeper than %d", COMPONENT_SIG_MAX_DEPTH);
        return NULL;
    }
    p->depth++;
    const component_rtype *t = parse_keyword_type(p, &w);
    p->depth--;
    return t;
}

static int expect_end(parser *p)
{
    skip_blanks(p);
    if (p->pos < p->len)
        return expected(p, "end of text");
    return 0;
}

/* ---- entry points -------------------------------------------------------- */

static parser parser_init(component_rtype_pool *pool, const component_host_interface *scope,
                          const char *what, const char *text, util_error **err)
{
    return (parser){.s = text, .len = strlen(text), .pool = pool, .scope = scope,
                    .what = what, .err = err};
}

component_rtype *component_sig_parse_type(component_rtype_pool *pool,
                                          const component_host_interface *scope,
                                          const char *what, const char *text, util_error **err)
{
    parser p = parser_init(pool, scope, what, text, err);
    const component_rtype *t = parse_type(&p);
    if (!t || expect_end(&p) < 0)
        return NULL;
    /* Named types and primitives come back as they are (shared nodes,
     * already laid out); a named type is given a node of its own so that
     * the caller may keep it without aliasing another name's node. */
    component_rtype *copy = component_rtype_pool_alloc(pool, sizeof *copy);
    if (!copy) {
        util_error_set(err, 0, "%s: out of memory", what);
        return NULL;
    }
    *copy = *t;
    if (component_rtype_layout(copy, err) < 0) {
        util_error_wrap(err, "%s", what);
        return NULL;
    }
    return copy;
}

/* Whether a borrow handle is anywhere in `t` (named types included);
 * depth is bounded by the layout's limit, which every node passed. */
static bool has_borrow(const component_rtype *t, unsigned depth)
{
    if (!t || depth > COMPONENT_MAX_TYPE_DEPTH)
        return false;
    if (t->kind == COMPONENT_TYPE_BORROW)
        return true;
    if (has_borrow(t->a, depth + 1) || has_borrow(t->b, depth + 1))
        return true;
    for (uint32_t i = 0; i < t->nfields; i++)
        if (has_borrow(t->fields[i].type, depth + 1))
            return true;
    return false;
}

static int parse_params(parser *p, component_rfunc *f)
{
    field_list fl = {0};
    int rc = -1;
    if (expect(p, '(') < 0)
        goto out;
    if (!eat(p, ')')) {
        do {
            if (fl.n > 0 && list_closes(p, ')'))
                goto close;
            word label;
            const component_rtype *type;
            if (read_label(p, &label) < 0 || expect(p, ':') < 0 || !(type = parse_type(p)) ||
                field_list_add(p, &fl, &label, type) < 0)
                goto out;
        } while (eat(p, ','));
        if (expect(p, ')') < 0)
            goto out;
    }
close:
    rc = field_list_store(p, &fl, &f->params, &f->nparams);
out:
    field_list_free(&fl);
    return rc;
}

component_rfunc *component_sig_parse_func(component_rtype_pool *pool,
                                          const component_host_interface *scope,
                                          const char *what, const char *text, util_error **err)
{
    parser p = parser_init(pool, scope, what, text, err);
    word w;
    if (!read_word(&p, &w) || !word_is(&w, "func")) {
        p.pos = 0;
        expected(&p, "`func(`");
        return NULL;
    }
    component_rfunc *f = component_rtype_pool_alloc(pool, sizeof *f);
    if (!f) {
        util_error_set(err, 0, "%s: out of memory", what);
        return NULL;
    }
    if (parse_params(&p, f) < 0)
        return NULL;
    skip_blanks(&p);
    if (p.pos + 1 < p.len && p.s[p.pos] == '-' && p.s[p.pos + 1] == '>') {
        p.pos += 2;
        skip_blanks(&p);
        size_t at = p.pos;
        if (!(f->result = parse_type(&p)))
            return NULL;
        /* The component model lends handles only to a call's callee. */
        if (has_borrow(f->result, 0)) {
            fail_at(&p, at, "a result cannot hold a borrow<...> handle");
            return NULL;
        }
    }
    if (expect_end(&p) < 0)
        return NULL;
    if (component_rfunc_layout(f, err) < 0) {
        util_error_wrap(err, "%s", what);
        return NULL;
    }
    return f;
}
