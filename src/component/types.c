/*
 * types.c - the type definitions of a component: value types (bool ...
 * string, list, record, tuple, variant, enum, option, result, flags, own,
 * borrow, and the async-era stream/future/map), function types, component
 * and instance types with their declarators, resource types, core types
 * (function and module types), extern descriptors, and aliases, which
 * component bodies and type declarators share.
 *
 * Each definition is read into a local value and appended to the scope's
 * type space only when complete, so a type can only refer to earlier ones
 * and an error never leaves a half-built entry behind.  Declarators of a
 * component or instance type get a fresh scope whose parent is the
 * enclosing one, which is what outer aliases count.
 */
#include "component_internal.h"

#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static bool is_prim(uint8_t b)
{
    return (b >= COMPONENT_PRIM_STRING && b <= COMPONENT_PRIM_BOOL) ||
           b == COMPONENT_PRIM_ERROR_CONTEXT;
}

static const component_type *resolve(const comp_scope *s, uint32_t idx)
{
    return component_scope_resolve(s, idx);
}

static bool is_value_kind(component_type_kind k)
{
    return k <= COMPONENT_TYPE_MAP || k == COMPONENT_TYPE_ALIAS || k == COMPONENT_TYPE_IMPORT_EQ;
}

static int check_type_index(comp_reader *r, const comp_scope *s, uint32_t idx)
{
    return component_check_index(r, s, COMPONENT_SORT_TYPE, idx);
}

/* ---- value types ---------------------------------------------------------- */

int component_read_valtype(comp_reader *r, const comp_scope *s, component_valtype *out)
{
    size_t at = r->pos;
    int64_t v;
    if (component_s33(r, &v) < 0)
        return -1;
    memset(out, 0, sizeof(*out));
    if (v < 0) {
        uint8_t code = (uint8_t)(v + 0x80);
        if (v < -64 || !is_prim(code))
            return component_fail_at(r, at, "unknown value type 0x%02x", r->data[at]);
        out->prim = code;
        return 0;
    }
    out->index = (uint32_t)v;
    if (check_type_index(r, s, out->index) < 0)
        return -1;
    if (!is_value_kind(resolve(s, out->index)->kind))
        return component_fail_at(r, at, "type index %" PRIu32 " is not a value type", out->index);
    return 0;
}

static int read_opt_valtype(comp_reader *r, const comp_scope *s, bool *has, component_valtype *out)
{
    uint8_t b;
    if (component_byte(r, &b) < 0)
        return -1;
    if (b > 1)
        return component_fail_at(r, r->pos - 1, "bad option flag 0x%02x", b);
    *has = b == 1;
    return *has ? component_read_valtype(r, s, out) : 0;
}

static int read_label(comp_reader *r, char **out)
{
    size_t at = r->pos;
    const char *s;
    uint32_t len;
    if (component_read_name(r, &s, &len) < 0)
        return -1;
    if (!component_label_valid(s, len))
        return component_fail_at(r, at, "bad label \"%.*s\"", (int)len, s);
    *out = util_xstrndup(s, len);
    return 0;
}

/* vec(labelvaltype), vec(valtype), vec(case) or vec(labellit) into fields. */
typedef enum { FIELDS_LABELLED, FIELDS_TYPES, FIELDS_CASES, FIELDS_LABELS } fields_form;

static int read_fields(comp_reader *r, const comp_scope *s, fields_form form, component_type *t)
{
    uint32_t n;
    if (component_vec_count(r, 1, &n) < 0)
        return -1;
    t->fields = util_xcalloc(n ? n : 1, sizeof(component_field));
    for (uint32_t i = 0; i < n; i++) {
        component_field *f = &t->fields[i];
        t->nfields = i + 1;
        if (form != FIELDS_TYPES && read_label(r, &f->label) < 0)
            return -1;
        if (form == FIELDS_LABELLED || form == FIELDS_TYPES) {
            f->has_type = true;
            if (component_read_valtype(r, s, &f->type) < 0)
                return -1;
        } else if (form == FIELDS_CASES) {
            uint8_t refines;
            if (read_opt_valtype(r, s, &f->has_type, &f->type) < 0 || component_byte(r, &refines) < 0)
                return -1;
            if (refines != 0)
                return component_fail_at(r, r->pos - 1, "variant case refinement is not supported");
        }
    }
    return 0;
}

static int need_some(comp_reader *r, size_t at, const component_type *t, const char *what,
                     uint32_t max)
{
    if (t->nfields == 0)
        return component_fail_at(r, at, "%s with no %s", what,
                            t->kind == COMPONENT_TYPE_RECORD ? "fields" : "cases");
    if (max && t->nfields > max)
        return component_fail_at(r, at, "%s with %" PRIu32 " labels (at most %" PRIu32 ")", what,
                            t->nfields, max);
    return 0;
}

static int read_handle(comp_reader *r, const comp_scope *s, component_type *t)
{
    size_t at = r->pos;
    if (component_u32(r, &t->index) < 0 || check_type_index(r, s, t->index) < 0)
        return -1;
    component_type_kind k = resolve(s, t->index)->kind;
    if (k != COMPONENT_TYPE_RESOURCE && k != COMPONENT_TYPE_IMPORT_SUB &&
        k != COMPONENT_TYPE_ALIAS && k != COMPONENT_TYPE_IMPORT_EQ)
        return component_fail_at(r, at, "%s of type %" PRIu32 ", which is not a resource",
                            t->kind == COMPONENT_TYPE_OWN ? "own" : "borrow", t->index);
    return 0;
}

static int read_defvaltype(comp_reader *r, const comp_scope *s, uint8_t op, component_type *t)
{
    size_t at = r->pos - 1;
    if (is_prim(op)) {
        t->kind = COMPONENT_TYPE_PRIM;
        t->prim = op;
        return 0;
    }
    switch (op) {
    case 0x72:
        t->kind = COMPONENT_TYPE_RECORD;
        return read_fields(r, s, FIELDS_LABELLED, t) < 0 ? -1 : need_some(r, at, t, "record", 0);
    case 0x71:
        t->kind = COMPONENT_TYPE_VARIANT;
        return read_fields(r, s, FIELDS_CASES, t) < 0 ? -1 : need_some(r, at, t, "variant", 0);
    case 0x70:
        t->kind = COMPONENT_TYPE_LIST;
        t->has_a = true;
        return component_read_valtype(r, s, &t->a);
    case 0x67:
        t->kind = COMPONENT_TYPE_LIST;
        t->has_a = true;
        if (component_read_valtype(r, s, &t->a) < 0 || component_u32(r, &t->length) < 0)
            return -1;
        return t->length ? 0 : component_fail_at(r, at, "fixed-length list of length 0");
    case 0x6f:
        t->kind = COMPONENT_TYPE_TUPLE;
        return read_fields(r, s, FIELDS_TYPES, t) < 0 ? -1 : need_some(r, at, t, "tuple", 0);
    case 0x6e:
        t->kind = COMPONENT_TYPE_FLAGS;
        return read_fields(r, s, FIELDS_LABELS, t) < 0 ? -1 : need_some(r, at, t, "flags", 32);
    case 0x6d:
        t->kind = COMPONENT_TYPE_ENUM;
        return read_fields(r, s, FIELDS_LABELS, t) < 0 ? -1 : need_some(r, at, t, "enum", 0);
    case 0x6b:
        t->kind = COMPONENT_TYPE_OPTION;
        t->has_a = true;
        return component_read_valtype(r, s, &t->a);
    case 0x6a:
        t->kind = COMPONENT_TYPE_RESULT;
        if (read_opt_valtype(r, s, &t->has_a, &t->a) < 0)
            return -1;
        return read_opt_valtype(r, s, &t->has_b, &t->b);
    case 0x69:
        t->kind = COMPONENT_TYPE_OWN;
        return read_handle(r, s, t);
    case 0x68:
        t->kind = COMPONENT_TYPE_BORROW;
        return read_handle(r, s, t);
    case 0x66:
    case 0x65:
        t->kind = op == 0x66 ? COMPONENT_TYPE_STREAM : COMPONENT_TYPE_FUTURE;
        return read_opt_valtype(r, s, &t->has_a, &t->a);
    case 0x63:
        t->kind = COMPONENT_TYPE_MAP;
        t->has_a = t->has_b = true;
        if (component_read_valtype(r, s, &t->a) < 0)
            return -1;
        return component_read_valtype(r, s, &t->b);
    default:
        return component_fail_at(r, at, "unknown defvaltype 0x%02x", op);
    }
}

static int read_functype(comp_reader *r, const comp_scope *s, uint8_t op, component_type *t)
{
    uint8_t tag;
    t->kind = COMPONENT_TYPE_FUNC;
    t->async = op == 0x43;
    if (read_fields(r, s, FIELDS_LABELLED, t) < 0 || component_byte(r, &tag) < 0)
        return -1;
    if (tag == 0x00) {
        t->has_a = true;
        return component_read_valtype(r, s, &t->a);
    }
    if (tag == 0x01) {
        uint8_t zero;
        if (component_byte(r, &zero) < 0)
            return -1;
        if (zero == 0x00)
            return 0;
        return component_fail_at(r, r->pos - 1, "named results are not supported (0x01 0x%02x)",
                            zero);
    }
    return component_fail_at(r, r->pos - 1, "bad result list 0x%02x", tag);
}

/* ---- core types ------------------------------------------------------- */

static int read_core_valtype(comp_reader *r, uint8_t *out)
{
    size_t at = r->pos;
    if (component_byte(r, out) < 0)
        return -1;
    switch (*out) {
    case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x7b: case 0x70: case 0x6f:
        return 0;
    case 0x63:
    case 0x64: {
        int64_t heap;
        return component_s33(r, &heap);
    }
    default:
        return component_fail_at(r, at, "unknown core value type 0x%02x", *out);
    }
}

static int read_limits(comp_reader *r)
{
    uint8_t flags;
    uint64_t v;
    if (component_byte(r, &flags) < 0)
        return -1;
    if (flags > 0x07)
        return component_fail_at(r, r->pos - 1, "bad limits flags 0x%02x", flags);
    if (component_u64(r, &v) < 0)
        return -1;
    return (flags & 1) ? component_u64(r, &v) : 0;
}

/* core:externtype; type indices are checked against the scope (a module type). */
static int read_core_externtype(comp_reader *r, const comp_scope *s)
{
    uint8_t kind, b;
    uint32_t idx;
    if (component_byte(r, &kind) < 0)
        return -1;
    switch (kind) {
    case 0x00:
        if (component_u32(r, &idx) < 0)
            return -1;
        return component_check_index(r, s, COMPONENT_SORT_CORE_TYPE, idx);
    case 0x01:
        return read_core_valtype(r, &b) < 0 ? -1 : read_limits(r);
    case 0x02:
        return read_limits(r);
    case 0x03:
        if (read_core_valtype(r, &b) < 0 || component_byte(r, &b) < 0)
            return -1;
        return b <= 1 ? 0 : component_fail_at(r, r->pos - 1, "bad global mutability 0x%02x", b);
    case 0x04:
        if (component_byte(r, &b) < 0 || component_u32(r, &idx) < 0)
            return -1;
        if (b != 0)
            return component_fail(r, "bad tag attribute 0x%02x", b);
        return component_check_index(r, s, COMPONENT_SORT_CORE_TYPE, idx);
    default:
        return component_fail_at(r, r->pos - 1, "unknown core extern type 0x%02x", kind);
    }
}

static int read_core_functype(comp_reader *r)
{
    for (int side = 0; side < 2; side++) {
        uint32_t n;
        uint8_t b;
        if (component_vec_count(r, 1, &n) < 0)
            return -1;
        for (uint32_t i = 0; i < n; i++)
            if (read_core_valtype(r, &b) < 0)
                return -1;
    }
    return 0;
}

static int read_core_alias_in_module(comp_reader *r, comp_scope *m)
{
    uint8_t sort, kind;
    uint32_t ct, idx;
    if (component_byte(r, &sort) < 0 || component_byte(r, &kind) < 0)
        return -1;
    if (sort != 0x10 || kind != 0x01)
        return component_fail_at(r, r->pos - 2, "module type alias must be an outer type alias");
    if (component_u32(r, &ct) < 0 || component_u32(r, &idx) < 0)
        return -1;
    const comp_scope *target = m;
    for (uint32_t i = 0; i < ct && target; i++)
        target = target->parent;
    if (!target)
        return component_fail(r, "outer alias count %" PRIu32 " leaves every scope", ct);
    if (component_check_index(r, target, COMPONENT_SORT_CORE_TYPE, idx) < 0)
        return -1;
    m->counts[COMPONENT_SORT_CORE_TYPE]++;
    return 0;
}

static int read_core_functype_decl(comp_reader *r, comp_scope *m)
{
    uint8_t op;
    if (component_byte(r, &op) < 0)
        return -1;
    if (op != 0x60)
        return component_fail_at(r, r->pos - 1, "core type 0x%02x not allowed in a module type", op);
    if (read_core_functype(r) < 0)
        return -1;
    m->counts[COMPONENT_SORT_CORE_TYPE]++;
    return 0;
}

static int read_moduletype(comp_reader *r, comp_scope *s)
{
    component_type *no_types = NULL;
    uint32_t no_ntypes = 0;
    comp_scope m = {.parent = s, .is_type = true, .types = &no_types, .ntypes = &no_ntypes,
                    .depth = s->depth + 1};
    uint32_t n;
    if (component_vec_count(r, 1, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t tag;
        const char *name;
        uint32_t len;
        if (component_byte(r, &tag) < 0)
            return -1;
        switch (tag) {
        case 0x00: /* import: module, name, externtype */
            if (component_read_name(r, &name, &len) < 0 || component_read_name(r, &name, &len) < 0 ||
                read_core_externtype(r, &m) < 0)
                return -1;
            break;
        case 0x01:
            if (read_core_functype_decl(r, &m) < 0)
                return -1;
            break;
        case 0x02:
            if (read_core_alias_in_module(r, &m) < 0)
                return -1;
            break;
        case 0x03:
            if (component_read_name(r, &name, &len) < 0 || read_core_externtype(r, &m) < 0)
                return -1;
            break;
        default:
            return component_fail_at(r, r->pos - 1, "unknown module type declarator 0x%02x", tag);
        }
    }
    return 0;
}

int component_read_core_type(comp_reader *r, comp_scope *s)
{
    uint8_t op;
    if (component_byte(r, &op) < 0)
        return -1;
    switch (op) {
    case 0x60:
        if (read_core_functype(r) < 0)
            return -1;
        break;
    case 0x50:
        if (read_moduletype(r, s) < 0)
            return -1;
        break;
    case 0x00: case 0x4e: case 0x4f: case 0x5f: case 0x5e:
        return component_fail_at(r, r->pos - 1, "core GC type 0x%02x is not supported", op);
    default:
        return component_fail_at(r, r->pos - 1, "unknown core type 0x%02x", op);
    }
    s->counts[COMPONENT_SORT_CORE_TYPE]++;
    return 0;
}

/* ---- sorts, extern descriptors and names ---------------------------------- */

int component_read_sort(comp_reader *r, component_sort *out)
{
    uint8_t b;
    if (component_byte(r, &b) < 0)
        return -1;
    static const component_sort plain[] = {0, COMPONENT_SORT_FUNC, COMPONENT_SORT_VALUE,
                                           COMPONENT_SORT_TYPE, COMPONENT_SORT_COMPONENT,
                                           COMPONENT_SORT_INSTANCE};
    if (b >= 0x01 && b <= 0x05) {
        *out = plain[b];
        return 0;
    }
    if (b != 0x00)
        return component_fail_at(r, r->pos - 1, "unknown sort 0x%02x", b);
    if (component_byte(r, &b) < 0)
        return -1;
    if (b <= 0x04)
        *out = (component_sort)(COMPONENT_SORT_CORE_FUNC + b);
    else if (b >= 0x10 && b <= 0x12)
        *out = (component_sort)(COMPONENT_SORT_CORE_TYPE + (b - 0x10));
    else
        return component_fail_at(r, r->pos - 1, "unknown core sort 0x%02x", b);
    return 0;
}

static int expect_type_kind(comp_reader *r, const comp_scope *s, size_t at, uint32_t idx,
                            component_type_kind want, const char *what)
{
    if (check_type_index(r, s, idx) < 0)
        return -1;
    component_type_kind k = resolve(s, idx)->kind;
    if (k != want && k != COMPONENT_TYPE_ALIAS && k != COMPONENT_TYPE_IMPORT_EQ)
        return component_fail_at(r, at, "type %" PRIu32 " is not a %s type", idx, what);
    return 0;
}

int component_read_externdesc(comp_reader *r, comp_scope *s, component_externdesc *d)
{
    uint8_t kind, b;
    size_t at = r->pos;
    memset(d, 0, sizeof(*d));
    if (component_byte(r, &kind) < 0)
        return -1;
    switch (kind) {
    case 0x00:
        if (component_byte(r, &b) < 0)
            return -1;
        if (b != 0x11)
            return component_fail_at(r, r->pos - 1, "core extern 0x%02x is not a module", b);
        d->sort = COMPONENT_SORT_CORE_MODULE;
        if (component_u32(r, &d->index) < 0)
            return -1;
        return component_check_index(r, s, COMPONENT_SORT_CORE_TYPE, d->index);
    case 0x01:
        d->sort = COMPONENT_SORT_FUNC;
        if (component_u32(r, &d->index) < 0)
            return -1;
        return expect_type_kind(r, s, at, d->index, COMPONENT_TYPE_FUNC, "function");
    case 0x02:
        d->sort = COMPONENT_SORT_VALUE;
        if (component_byte(r, &b) < 0)
            return -1;
        if (b == 0x00) {
            d->value_eq = true;
            if (component_u32(r, &d->index) < 0)
                return -1;
            return component_check_index(r, s, COMPONENT_SORT_VALUE, d->index);
        }
        if (b == 0x01)
            return component_read_valtype(r, s, &d->valtype);
        return component_fail_at(r, r->pos - 1, "bad value bound 0x%02x", b);
    case 0x03:
        d->sort = COMPONENT_SORT_TYPE;
        if (component_byte(r, &b) < 0)
            return -1;
        if (b == 0x01) {
            d->sub_resource = true;
            return 0;
        }
        if (b != 0x00)
            return component_fail_at(r, r->pos - 1, "bad type bound 0x%02x", b);
        if (component_u32(r, &d->index) < 0)
            return -1;
        return check_type_index(r, s, d->index);
    case 0x04:
    case 0x05:
        d->sort = kind == 0x04 ? COMPONENT_SORT_COMPONENT : COMPONENT_SORT_INSTANCE;
        if (component_u32(r, &d->index) < 0)
            return -1;
        return expect_type_kind(r, s, at, d->index,
                                kind == 0x04 ? COMPONENT_TYPE_COMPONENT : COMPONENT_TYPE_INSTANCE,
                                kind == 0x04 ? "component" : "instance");
    default:
        return component_fail_at(r, at, "unknown extern kind 0x%02x", kind);
    }
}

uint32_t component_scope_add_extern(comp_scope *s, const component_externdesc *d)
{
    if (d->sort == COMPONENT_SORT_TYPE && d->sub_resource) {
        component_scope_add_type(s, COMPONENT_TYPE_IMPORT_SUB);
        return *s->ntypes - 1;
    }
    if (d->sort == COMPONENT_SORT_TYPE)
        return component_scope_add_eq(s, d->index);
    return s->counts[d->sort]++;
}

int component_read_extern_name(comp_reader *r, component_name *name)
{
    size_t at = r->pos;
    uint8_t form;
    const char *text;
    uint32_t len;
    util_error *perr = NULL;
    if (component_byte(r, &form) < 0)
        return -1;
    if (form > 0x01)
        return component_fail_at(r, at, "unknown name form 0x%02x", form);
    if (component_read_name(r, &text, &len) < 0)
        return -1;
    if (component_name_parse(text, len, name, &perr) < 0) {
        component_fail_at(r, at, "%s", perr->msg);
        util_error_free(&perr);
        return -1;
    }
    return 0;
}

void component_extern_clear(component_extern *e)
{
    component_name_clear(&e->name);
}

/* ---- aliases ---------------------------------------------------------- */

static bool is_core_sort(component_sort s)
{
    return s <= COMPONENT_SORT_CORE_INSTANCE;
}

/* A type alias keeps its target in the type entry: inside declarators
 * nothing else records it, and linking must follow it. */
static uint32_t add_sort(comp_scope *s, component_sort sort, const component_alias *a,
                         const char *name, uint32_t len)
{
    if (sort != COMPONENT_SORT_TYPE)
        return s->counts[sort]++;
    component_type *t = component_scope_add_type(s, COMPONENT_TYPE_ALIAS);
    t->alias_kind = a->kind;
    t->alias_instance = a->instance;
    t->alias_outer_count = a->outer_count;
    t->alias_outer_index = a->outer_index;
    if (name)
        t->alias_name = util_xstrndup(name, len);
    return *s->ntypes - 1;
}

static int read_outer_alias(comp_reader *r, comp_scope *s, component_sort sort, bool in_type,
                            component_alias *a)
{
    uint32_t ct, idx;
    size_t at = r->pos;
    bool allowed = sort == COMPONENT_SORT_TYPE || sort == COMPONENT_SORT_CORE_TYPE ||
                   (!in_type && (sort == COMPONENT_SORT_CORE_MODULE ||
                                 sort == COMPONENT_SORT_COMPONENT));
    if (!allowed)
        return component_fail_at(r, at, "outer alias of a %s", component_sort_name(sort));
    if (component_u32(r, &ct) < 0 || component_u32(r, &idx) < 0)
        return -1;
    const comp_scope *target = s;
    for (uint32_t i = 0; i < ct && target; i++)
        target = target->parent;
    if (!target)
        return component_fail_at(r, at, "outer alias count %" PRIu32 " leaves every scope", ct);
    if (component_check_index(r, target, sort, idx) < 0)
        return -1;
    a->kind = COMPONENT_ALIAS_OUTER;
    a->outer_count = ct;
    a->outer_index = idx;
    a->index = add_sort(s, sort, a, NULL, 0);
    return 0;
}

int component_read_alias(comp_reader *r, comp_scope *s, bool in_type, component_alias *out)
{
    component_alias local, *a = out ? out : &local;
    component_sort sort;
    uint8_t tag;
    uint32_t idx;
    const char *name;
    uint32_t len;
    size_t at = r->pos;
    memset(a, 0, sizeof(*a));
    if (component_read_sort(r, &sort) < 0 || component_byte(r, &tag) < 0)
        return -1;
    a->sort = sort;
    switch (tag) {
    case 0x00:
        if (in_type && sort != COMPONENT_SORT_TYPE && sort != COMPONENT_SORT_INSTANCE)
            return component_fail_at(r, at, "export alias of a %s in a type",
                                component_sort_name(sort));
        if (component_u32(r, &idx) < 0 || component_check_index(r, s, COMPONENT_SORT_INSTANCE, idx) < 0 ||
            component_read_name(r, &name, &len) < 0)
            return -1;
        a->kind = COMPONENT_ALIAS_EXPORT;
        break;
    case 0x01:
        if (!is_core_sort(sort) || sort == COMPONENT_SORT_CORE_TYPE ||
            sort == COMPONENT_SORT_CORE_MODULE || sort == COMPONENT_SORT_CORE_INSTANCE || in_type)
            return component_fail_at(r, at, "core export alias of a %s", component_sort_name(sort));
        if (component_u32(r, &idx) < 0 ||
            component_check_index(r, s, COMPONENT_SORT_CORE_INSTANCE, idx) < 0 ||
            component_read_name(r, &name, &len) < 0)
            return -1;
        a->kind = COMPONENT_ALIAS_CORE_EXPORT;
        break;
    case 0x02:
        return read_outer_alias(r, s, sort, in_type, a);
    default:
        return component_fail_at(r, r->pos - 1, "unknown alias target 0x%02x", tag);
    }
    a->instance = idx;
    a->index = add_sort(s, sort, a, name, len);
    if (out)
        out->name = util_xstrndup(name, len);
    return 0;
}

/* ---- component and instance types, resources, the type section entry ------ */

static int read_decl_extern(comp_reader *r, comp_scope *inner, component_extern **list,
                            uint32_t *n, uint32_t *cap)
{
    component_extern e = {0};
    if (component_read_extern_name(r, &e.name) < 0)
        return -1;
    if (component_read_externdesc(r, inner, &e.desc) < 0) {
        component_extern_clear(&e);
        return -1;
    }
    e.has_desc = true;
    e.sort = e.desc.sort;
    e.index = component_scope_add_extern(inner, &e.desc);
    *list = component_grow(*list, cap, *n, sizeof(component_extern));
    (*list)[(*n)++] = e;
    return 0;
}

static int read_decls(comp_reader *r, comp_scope *s, bool is_component_type, component_decls *d)
{
    uint32_t n, imports_cap = 0, exports_cap = 0;
    comp_scope inner = {.parent = s, .is_type = true, .types = &d->types, .ntypes = &d->ntypes,
                        .depth = s->depth + 1};
    if (inner.depth > COMPONENT_MAX_DEPTH)
        return component_fail(r, "types nested deeper than %d", COMPONENT_MAX_DEPTH);
    if (component_vec_count(r, 1, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t tag;
        int rc;
        if (component_byte(r, &tag) < 0)
            return -1;
        switch (tag) {
        case 0x00:
            rc = component_read_core_type(r, &inner);
            break;
        case 0x01:
            rc = component_read_type(r, &inner);
            break;
        case 0x02:
            rc = component_read_alias(r, &inner, true, NULL);
            break;
        case 0x03:
            if (!is_component_type)
                return component_fail_at(r, r->pos - 1, "import declarator in an instance type");
            rc = read_decl_extern(r, &inner, &d->imports, &d->nimports, &imports_cap);
            break;
        case 0x04:
            rc = read_decl_extern(r, &inner, &d->exports, &d->nexports, &exports_cap);
            break;
        default:
            return component_fail_at(r, r->pos - 1, "unknown declarator 0x%02x", tag);
        }
        if (rc < 0)
            return -1;
    }
    d->ncore_types = inner.counts[COMPONENT_SORT_CORE_TYPE];
    return 0;
}

static int read_resource(comp_reader *r, comp_scope *s, component_type *t)
{
    size_t at = r->pos - 1;
    uint8_t has;
    t->kind = COMPONENT_TYPE_RESOURCE;
    if (s->is_type)
        return component_fail_at(r, at, "resource type defined inside a component or instance type");
    if (read_core_valtype(r, &t->rep) < 0)
        return -1;
    if (t->rep != 0x7f)
        return component_fail_at(r, at + 1, "resource representation 0x%02x is not i32", t->rep);
    if (component_byte(r, &has) < 0)
        return -1;
    if (has > 1)
        return component_fail_at(r, r->pos - 1, "bad option flag 0x%02x", has);
    t->has_dtor = has;
    if (has && (component_u32(r, &t->dtor) < 0 ||
                component_check_index(r, s, COMPONENT_SORT_CORE_FUNC, t->dtor) < 0))
        return -1;
    return 0;
}

int component_read_type(comp_reader *r, comp_scope *s)
{
    component_type t = {0};
    uint8_t op;
    int rc;
    if (component_byte(r, &op) < 0)
        return -1;
    switch (op) {
    case 0x40:
    case 0x43:
        rc = read_functype(r, s, op, &t);
        break;
    case 0x41:
    case 0x42:
        t.kind = op == 0x41 ? COMPONENT_TYPE_COMPONENT : COMPONENT_TYPE_INSTANCE;
        t.decls = util_xcalloc(1, sizeof(component_decls));
        rc = read_decls(r, s, op == 0x41, t.decls);
        break;
    case 0x3f:
        rc = read_resource(r, s, &t);
        break;
    default:
        rc = read_defvaltype(r, s, op, &t);
        break;
    }
    if (rc < 0) {
        component_type_clear(&t);
        return -1;
    }
    *component_scope_add_type(s, t.kind) = t;
    return 0;
}

void component_decls_free(component_decls *d)
{
    if (!d)
        return;
    for (uint32_t i = 0; i < d->ntypes; i++)
        component_type_clear(&d->types[i]);
    free(d->types);
    for (uint32_t i = 0; i < d->nimports; i++)
        component_extern_clear(&d->imports[i]);
    free(d->imports);
    for (uint32_t i = 0; i < d->nexports; i++)
        component_extern_clear(&d->exports[i]);
    free(d->exports);
    free(d);
}

void component_type_clear(component_type *t)
{
    for (uint32_t i = 0; i < t->nfields; i++)
        free(t->fields[i].label);
    free(t->fields);
    component_decls_free(t->decls);
    free(t->alias_name);
    memset(t, 0, sizeof(*t));
}
