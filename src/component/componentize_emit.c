/*
 * componentize_emit.c - writes the binary of the component made from a
 * wit-bindgen core module (componentize.c): types of the module's WIT
 * world re-encoded at the new component's top level, the imports of the
 * interfaces it uses, aliases, and the two small core modules of
 * wit-component's scheme for lowering imports that need the module's own
 * memory (which exists only once the module is instantiated).
 *
 * Types are carried over from the decoded world, not copied as bytes: the
 * new component imports only the interfaces the module uses (a world
 * names many, say Spin's llm and mysql, that a host need not have), so
 * every index changes.  component_cz_type writes a type on first use,
 * after whatever it refers to, and remembers its new index per (scope,
 * index); an imported interface's instance type is re-encoded declarator
 * by declarator with its own indices kept (they are local to it), its
 * outer aliases pointing at the new top-level types, and only the
 * functions the module calls declared (the host must provide exactly
 * those, as after wit-component's pruning).  Each definition is written
 * as a section of one entry, which the format allows and keeps the index
 * bookkeeping next to the write.
 */
#include "componentize.h"

#include <string.h>

void component_cz_u32(util_buf *b, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (v)
            byte |= 0x80;
        util_buf_append(b, &byte, 1);
    } while (v);
}

/* A non-negative s33 (a type index where a valtype may stand). */
static void put_s33_index(util_buf *b, uint32_t v)
{
    uint64_t x = v;
    for (;;) {
        uint8_t byte = x & 0x7f;
        x >>= 7;
        bool done = x == 0 && !(byte & 0x40);
        if (!done)
            byte |= 0x80;
        util_buf_append(b, &byte, 1);
        if (done)
            return;
    }
}

static void put_byte(util_buf *b, uint8_t v)
{
    util_buf_append(b, &v, 1);
}

void component_cz_name(util_buf *b, const char *s)
{
    size_t n = strlen(s);
    component_cz_u32(b, (uint32_t)n);
    util_buf_append(b, s, n);
}

static void put_section(util_buf *out, uint8_t id, const util_buf *body)
{
    put_byte(out, id);
    component_cz_u32(out, (uint32_t)body->len);
    util_buf_append(out, body->data, body->len);
}

void component_cz_section1(cz_emit *e, uint8_t id, util_buf *entry)
{
    util_buf body = {0};
    put_byte(&body, 1);
    util_buf_append(&body, entry->data, entry->len);
    put_section(&e->out, id, &body);
    util_buf_free(&body);
    util_buf_free(entry);
}

void component_cz_emit_free(cz_emit *e)
{
    util_buf_free(&e->out);
    for (size_t i = 0; i < e->nmaps; i++)
        free(e->maps[i].top);
    free(e->maps);
    free(e->imports);
}

/* ---- aliases -------------------------------------------------------------- */

uint32_t component_cz_alias_export(cz_emit *e, uint32_t inst, const char *name, bool type)
{
    util_buf a = {0};
    put_byte(&a, type ? 0x03 : 0x01); /* sort type / func */
    put_byte(&a, 0x00);               /* export of an instance */
    component_cz_u32(&a, inst);
    component_cz_name(&a, name);
    component_cz_section1(e, 6, &a);
    return type ? e->ntypes++ : e->nfuncs++;
}

uint32_t component_cz_alias_core(cz_emit *e, uint32_t inst, const char *name, uint8_t core_sort)
{
    util_buf a = {0};
    put_byte(&a, 0x00); /* core sort */
    put_byte(&a, core_sort);
    put_byte(&a, 0x01); /* core export */
    component_cz_u32(&a, inst);
    component_cz_name(&a, name);
    component_cz_section1(e, 6, &a);
    return core_sort == 0x00 ? e->ncore_funcs++ : 0;
}

/* ---- types ------------------------------------------------------------------ */

static uint32_t *map_slot(cz_emit *e, const component_decls *d, uint32_t idx)
{
    for (size_t i = 0; i < e->nmaps; i++)
        if (e->maps[i].d == d)
            return &e->maps[i].top[idx];
    e->maps = util_xrealloc(e->maps, (e->nmaps + 1) * sizeof *e->maps);
    cz_map *m = &e->maps[e->nmaps++];
    m->d = d;
    m->top = util_xmalloc((d->ntypes ? d->ntypes : 1) * sizeof *m->top);
    for (uint32_t k = 0; k < d->ntypes; k++)
        m->top[k] = CZ_NONE;
    return &m->top[idx];
}

/* How a deftype refers to other types: through the new top-level indices
 * (`s` set) or unchanged, inside a re-encoded instance type (`s` NULL). */
typedef struct ref_ctx {
    cz_emit *e;
    const cz_scope *s;
    util_error **err;
} ref_ctx;

static int put_ref(ref_ctx *c, util_buf *b, uint32_t idx, bool valtype)
{
    uint32_t top = idx;
    if (c->s && component_cz_type(c->e, c->s, idx, &top, c->err) < 0)
        return -1;
    if (valtype)
        put_s33_index(b, top);
    else
        component_cz_u32(b, top);
    return 0;
}

static int put_valtype(ref_ctx *c, util_buf *b, component_valtype v)
{
    if (v.prim) {
        put_byte(b, (uint8_t)v.prim);
        return 0;
    }
    return put_ref(c, b, v.index, true);
}

static int put_opt_valtype(ref_ctx *c, util_buf *b, bool has, component_valtype v)
{
    put_byte(b, has ? 1 : 0);
    return has ? put_valtype(c, b, v) : 0;
}

static int put_fields(ref_ctx *c, util_buf *b, const component_type *t, bool labels,
                      bool types, bool optional)
{
    component_cz_u32(b, t->nfields);
    for (uint32_t i = 0; i < t->nfields; i++) {
        const component_field *f = &t->fields[i];
        if (labels)
            component_cz_name(b, f->label ? f->label : "");
        int rc = 0;
        if (optional)
            rc = put_opt_valtype(c, b, f->has_type, f->type);
        else if (types)
            rc = put_valtype(c, b, f->type);
        if (rc < 0)
            return -1;
        if (optional)
            put_byte(b, 0x00); /* a case refines none */
    }
    return 0;
}

static int put_functype(ref_ctx *c, util_buf *b, const component_type *t)
{
    if (t->async)
        return util_error_set(c->err, 0, "async function types are not supported");
    put_byte(b, 0x40);
    if (put_fields(c, b, t, true, true, false) < 0)
        return -1;
    if (t->has_a) {
        put_byte(b, 0x00);
        return put_valtype(c, b, t->a);
    }
    put_byte(b, 0x01);
    put_byte(b, 0x00);
    return 0;
}

/* A value or function type definition. */
static int put_deftype(ref_ctx *c, util_buf *b, const component_type *t)
{
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM:
        put_byte(b, (uint8_t)t->prim);
        return 0;
    case COMPONENT_TYPE_RECORD:
        put_byte(b, 0x72);
        return put_fields(c, b, t, true, true, false);
    case COMPONENT_TYPE_VARIANT:
        put_byte(b, 0x71);
        return put_fields(c, b, t, true, true, true);
    case COMPONENT_TYPE_LIST:
        put_byte(b, t->length ? 0x67 : 0x70);
        if (put_valtype(c, b, t->a) < 0)
            return -1;
        if (t->length)
            component_cz_u32(b, t->length);
        return 0;
    case COMPONENT_TYPE_TUPLE:
        put_byte(b, 0x6f);
        return put_fields(c, b, t, false, true, false);
    case COMPONENT_TYPE_FLAGS:
        put_byte(b, 0x6e);
        return put_fields(c, b, t, true, false, false);
    case COMPONENT_TYPE_ENUM:
        put_byte(b, 0x6d);
        return put_fields(c, b, t, true, false, false);
    case COMPONENT_TYPE_OPTION:
        put_byte(b, 0x6b);
        return put_valtype(c, b, t->a);
    case COMPONENT_TYPE_RESULT:
        put_byte(b, 0x6a);
        if (put_opt_valtype(c, b, t->has_a, t->a) < 0)
            return -1;
        return put_opt_valtype(c, b, t->has_b, t->b);
    case COMPONENT_TYPE_OWN:
    case COMPONENT_TYPE_BORROW:
        put_byte(b, t->kind == COMPONENT_TYPE_OWN ? 0x69 : 0x68);
        return put_ref(c, b, t->index, false);
    case COMPONENT_TYPE_FUNC:
        return put_functype(c, b, t);
    default:
        return util_error_set(c->err, 0, "a type of kind %d cannot be carried over", (int)t->kind);
    }
}

/* The export declarator of an instance type that defines type index k. */
static const component_extern *type_export(const component_decls *d, uint32_t k)
{
    for (uint32_t i = 0; i < d->nexports; i++)
        if (d->exports[i].desc.sort == COMPONENT_SORT_TYPE && d->exports[i].index == k)
            return &d->exports[i];
    return NULL;
}

/* One type declarator of a re-encoded instance type (scope `in`). */
static int put_instance_decl(cz_emit *e, const cz_scope *in, uint32_t k, util_buf *b,
                             util_error **err)
{
    const component_type *t = &in->d->types[k];
    ref_ctx local = {e, NULL, err};
    if (t->kind == COMPONENT_TYPE_ALIAS) {
        if (t->alias_kind != COMPONENT_ALIAS_OUTER)
            return util_error_set(err, 0, "an export alias inside an interface type");
        uint32_t top = t->alias_outer_index;
        if (t->alias_outer_count > 0) {
            const cz_scope *o = component_cz_outer(in, t->alias_outer_count);
            if (!o || component_cz_type(e, o, t->alias_outer_index, &top, err) < 0)
                return o ? -1 : util_error_set(err, 0, "an outer alias leaves the world");
        }
        put_byte(b, 0x02);
        put_byte(b, 0x03);
        put_byte(b, 0x02);
        component_cz_u32(b, t->alias_outer_count > 0 ? 1 : 0);
        component_cz_u32(b, top);
        return 0;
    }
    if (t->kind == COMPONENT_TYPE_IMPORT_EQ || t->kind == COMPONENT_TYPE_IMPORT_SUB) {
        const component_extern *x = type_export(in->d, k);
        if (!x)
            return util_error_set(err, 0, "type %" PRIu32 " of an interface has no export", k);
        put_byte(b, 0x04);
        put_byte(b, 0x00);
        component_cz_name(b, x->name.text);
        put_byte(b, 0x03);
        if (t->kind == COMPONENT_TYPE_IMPORT_SUB) {
            put_byte(b, 0x01);
        } else {
            put_byte(b, 0x00);
            component_cz_u32(b, t->index);
        }
        return 0;
    }
    put_byte(b, 0x01);
    return put_deftype(&local, b, t);
}

/* An imported interface's instance type, re-encoded: its types in index
 * order (each index is defined by exactly one declarator, so they keep
 * their numbers), then the functions the module uses. */
static int put_instance_type(cz_emit *e, const cz_scope *outer, const char *iface,
                             const component_type *it, util_buf *b, util_error **err)
{
    cz_scope in = {it->decls, outer};
    const component_decls *d = it->decls;
    if (d->ncore_types)
        return util_error_set(err, 0, "interface %s: core types are not supported", iface);
    util_buf body = {0};
    uint32_t n = 0;
    /* an outer alias writes the type it names at the top level first */
    for (uint32_t k = 0; k < d->ntypes; k++) {
        if (put_instance_decl(e, &in, k, &body, err) < 0) {
            util_buf_free(&body);
            return util_error_wrap(err, "interface %s", iface);
        }
        n++;
    }
    for (uint32_t i = 0; i < d->nexports; i++) {
        const component_extern *x = &d->exports[i];
        if (x->desc.sort != COMPONENT_SORT_FUNC)
            continue;
        if (e->used && !e->used(e->used_env, iface, x->name.text))
            continue;
        put_byte(&body, 0x04);
        put_byte(&body, 0x00);
        component_cz_name(&body, x->name.text);
        put_byte(&body, 0x01);
        component_cz_u32(&body, x->desc.index);
        n++;
    }
    put_byte(b, 0x42);
    component_cz_u32(b, n);
    util_buf_append(b, body.data, body.len);
    util_buf_free(&body);
    return 0;
}

/* The instance import of the world whose instance index is idx. */
static const component_extern *instance_import(const component_decls *d, uint32_t idx)
{
    for (uint32_t i = 0; i < d->nimports; i++)
        if (d->imports[i].desc.sort == COMPONENT_SORT_INSTANCE && d->imports[i].index == idx)
            return &d->imports[i];
    return NULL;
}

static int alias_type(cz_emit *e, const cz_scope *s, const component_type *t, uint32_t *out,
                      util_error **err)
{
    if (t->alias_kind == COMPONENT_ALIAS_OUTER) {
        const cz_scope *o = component_cz_outer(s, t->alias_outer_count);
        if (!o)
            return util_error_set(err, 0, "an outer alias leaves the package");
        return component_cz_type(e, o, t->alias_outer_index, out, err);
    }
    const component_extern *imp = instance_import(s->d, t->alias_instance);
    if (!imp)
        return util_error_set(err, 0, "type %s is aliased from instance %" PRIu32
                              ", which is no import of the world", t->alias_name,
                              t->alias_instance);
    uint32_t inst;
    if (component_cz_import(e, s, imp, &inst, err) < 0)
        return -1;
    *out = component_cz_alias_export(e, inst, t->alias_name, true);
    return 0;
}

int component_cz_type(cz_emit *e, const cz_scope *s, uint32_t idx, uint32_t *out,
                      util_error **err)
{
    if (idx >= s->d->ntypes)
        return util_error_set(err, 0, "type index %" PRIu32 " out of range", idx);
    uint32_t *slot = map_slot(e, s->d, idx);
    if (*slot != CZ_NONE) {
        *out = *slot;
        return 0;
    }
    const component_type *t = &s->d->types[idx];
    if (e->depth >= CZ_MAX_DEPTH)
        return util_error_set(err, 0, "types refer to types more than %d deep", CZ_MAX_DEPTH);
    e->depth++;
    int rc;
    switch (t->kind) {
    case COMPONENT_TYPE_ALIAS:
        rc = alias_type(e, s, t, out, err);
        break;
    case COMPONENT_TYPE_IMPORT_EQ:
        rc = component_cz_type(e, s, t->index, out, err);
        break;
    case COMPONENT_TYPE_IMPORT_SUB:
        rc = util_error_set(err, 0, "resources the module defines or the world imports at its "
                            "top level are not supported");
        break;
    case COMPONENT_TYPE_INSTANCE:
    case COMPONENT_TYPE_COMPONENT:
    case COMPONENT_TYPE_RESOURCE:
        rc = util_error_set(err, 0, "type %" PRIu32 " cannot be used here", idx);
        break;
    default: {
        ref_ctx c = {e, s, err};
        util_buf b = {0};
        rc = put_deftype(&c, &b, t);
        if (rc == 0) {
            component_cz_section1(e, 7, &b);
            *out = e->ntypes++;
        }
        util_buf_free(&b);
        break;
    }
    }
    e->depth--;
    if (rc < 0)
        return -1;
    /* the slot pointer may have moved while writing what t refers to */
    *map_slot(e, s->d, idx) = *out;
    return 0;
}

int component_cz_import(cz_emit *e, const cz_scope *s, const component_extern *imp,
                        uint32_t *out, util_error **err)
{
    for (size_t i = 0; i < e->nimports; i++)
        if (strcmp(e->imports[i].name, imp->name.text) == 0) {
            *out = e->imports[i].inst;
            return 0;
        }
    const component_type *it = component_cz_instance_type(s->d, imp);
    if (!it)
        return util_error_set(err, 0, "import %s: not of an instance type", imp->name.text);
    util_buf ty = {0};
    if (put_instance_type(e, s, imp->name.text, it, &ty, err) < 0) {
        util_buf_free(&ty);
        return -1;
    }
    component_cz_section1(e, 7, &ty);
    uint32_t tidx = e->ntypes++;
    util_buf im = {0};
    put_byte(&im, 0x00);
    component_cz_name(&im, imp->name.text);
    put_byte(&im, 0x05);
    component_cz_u32(&im, tidx);
    component_cz_section1(e, 10, &im);
    e->imports = util_xrealloc(e->imports, (e->nimports + 1) * sizeof *e->imports);
    e->imports[e->nimports].name = imp->name.text;
    e->imports[e->nimports++].inst = *out = e->ninstances++;
    return 0;
}

/* ---- the helper core modules ---------------------------------------------- */

static const uint8_t CORE_PREAMBLE[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};

static void put_core_valtypes(util_buf *b, const char *letters, size_t n)
{
    component_cz_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        switch (letters[i]) {
        case 'I': put_byte(b, 0x7e); break;
        case 'f': put_byte(b, 0x7d); break;
        case 'F': put_byte(b, 0x7c); break;
        default: put_byte(b, 0x7f); break;
        }
    }
}

static void put_core_functype(util_buf *b, const char *sig)
{
    const char *colon = strchr(sig, ':');
    size_t np = colon ? (size_t)(colon - sig) : strlen(sig);
    put_byte(b, 0x60);
    put_core_valtypes(b, sig, np);
    put_core_valtypes(b, colon ? colon + 1 : "", colon ? strlen(colon + 1) : 0);
}

static void put_type_section(util_buf *m, const char *const *sigs, size_t n)
{
    util_buf s = {0};
    component_cz_u32(&s, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        put_core_functype(&s, sigs[i]);
    put_section(m, 1, &s);
    util_buf_free(&s);
}

static void put_index_name(util_buf *b, size_t i)
{
    char name[24];
    snprintf(name, sizeof name, "%zu", i);
    component_cz_name(b, name);
}

void component_cz_shim_module(util_buf *m, const char *const *sigs, size_t n)
{
    util_buf s = {0};
    util_buf_append(m, CORE_PREAMBLE, sizeof CORE_PREAMBLE);
    put_type_section(m, sigs, n);
    component_cz_u32(&s, (uint32_t)n); /* functions */
    for (size_t i = 0; i < n; i++)
        component_cz_u32(&s, (uint32_t)i);
    put_section(m, 3, &s);
    util_buf_free(&s);
    put_byte(&s, 1); /* table: funcref, min = max = n */
    put_byte(&s, 0x70);
    put_byte(&s, 0x01);
    component_cz_u32(&s, (uint32_t)n);
    component_cz_u32(&s, (uint32_t)n);
    put_section(m, 4, &s);
    util_buf_free(&s);
    component_cz_u32(&s, (uint32_t)n + 1); /* exports */
    component_cz_name(&s, "$imports");
    put_byte(&s, 0x01);
    put_byte(&s, 0x00);
    for (size_t i = 0; i < n; i++) {
        put_index_name(&s, i);
        put_byte(&s, 0x00);
        component_cz_u32(&s, (uint32_t)i);
    }
    put_section(m, 7, &s);
    util_buf_free(&s);
    component_cz_u32(&s, (uint32_t)n); /* code: forward every param, call_indirect */
    for (size_t i = 0; i < n; i++) {
        util_buf body = {0};
        const char *colon = strchr(sigs[i], ':');
        size_t np = colon ? (size_t)(colon - sigs[i]) : strlen(sigs[i]);
        put_byte(&body, 0x00); /* no locals */
        for (size_t k = 0; k < np; k++) {
            put_byte(&body, 0x20);
            component_cz_u32(&body, (uint32_t)k);
        }
        put_byte(&body, 0x41); /* i32.const i (small positive: signed LEB) */
        put_s33_index(&body, (uint32_t)i);
        put_byte(&body, 0x11);
        component_cz_u32(&body, (uint32_t)i);
        put_byte(&body, 0x00);
        put_byte(&body, 0x0b);
        component_cz_u32(&s, (uint32_t)body.len);
        util_buf_append(&s, body.data, body.len);
        util_buf_free(&body);
    }
    put_section(m, 10, &s);
    util_buf_free(&s);
}

void component_cz_fixup_module(util_buf *m, const char *const *sigs, size_t n)
{
    util_buf s = {0};
    util_buf_append(m, CORE_PREAMBLE, sizeof CORE_PREAMBLE);
    put_type_section(m, sigs, n);
    component_cz_u32(&s, (uint32_t)n + 1); /* imports */
    component_cz_name(&s, "");
    component_cz_name(&s, "$imports");
    put_byte(&s, 0x01);
    put_byte(&s, 0x70);
    put_byte(&s, 0x01);
    component_cz_u32(&s, (uint32_t)n);
    component_cz_u32(&s, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        component_cz_name(&s, "");
        put_index_name(&s, i);
        put_byte(&s, 0x00);
        component_cz_u32(&s, (uint32_t)i);
    }
    put_section(m, 2, &s);
    util_buf_free(&s);
    put_byte(&s, 1); /* one active segment at offset 0 of table 0 */
    put_byte(&s, 0x00);
    put_byte(&s, 0x41);
    put_byte(&s, 0x00);
    put_byte(&s, 0x0b);
    component_cz_u32(&s, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        component_cz_u32(&s, (uint32_t)i);
    put_section(m, 9, &s);
    util_buf_free(&s);
}

void component_cz_init_module(util_buf *m)
{
    static const uint8_t body[] = {
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                  /* type () -> () */
        0x02, 0x06, 0x01, 0x00, 0x01, 'f', 0x00, 0x00,       /* import "" "f" */
        0x08, 0x01, 0x00,                                    /* start 0 */
    };
    util_buf_append(m, CORE_PREAMBLE, sizeof CORE_PREAMBLE);
    util_buf_append(m, body, sizeof body);
}
