/*
 * resolve.c - static resolution: what each index of each sort of a
 * component is, once its imports are bound (to the host's interfaces at
 * the top, to the arguments of the instantiation for nested components).
 *
 * Design: each component instantiation gets a pcomp (instance_internal.h).
 * A first pass maps every index of every sort to the definition that made
 * it (the decoder keeps definitions per kind, each with the index it
 * defines).  Items are then resolved on demand through that map and
 * cached, so a definition is resolved once whatever order it is asked
 * in, and a cycle guard refuses what could only come from broken input.
 * Types end as direct pointers: value types as component_rtype nodes laid
 * out once, function types as laid-out component_rfunc, resources as
 * their identity (host resources from the linker, guest resources made
 * here per instantiation).  Imports from the host are type-checked here,
 * once, with component_rfunc_equal.
 */
#include "instance_internal.h"

#include <string.h>

static void *palloc(const component_pre *pre, size_t size)
{
    void *p = component_rtype_pool_alloc(pre->pool, size);
    if (!p)
        abort(); /* out of memory: as util_xmalloc does */
    return p;
}

static const char *pstr(const component_pre *pre, const char *s)
{
    return component_rtype_pool_strdup(pre->pool, s, strlen(s));
}

/* ---- the definition map ------------------------------------------------ */

static void set_def(pcomp *p, component_sort sort, uint32_t idx, pdef_kind kind, uint32_t ref)
{
    if (idx < component_count(p->c, sort) || (sort == COMPONENT_SORT_TYPE && idx < p->c->ntypes))
        p->defs[sort][idx] = (pdef){kind, ref};
}

/* Indices nobody else claims are, in order, the embedded modules and the
 * nested components (the decoder does not record which index each got). */
static void fill_holes(pcomp *p, component_sort sort, pdef_kind kind, uint32_t n)
{
    uint32_t next = 0;
    for (uint32_t i = 0; i < component_count(p->c, sort) && next < n; i++)
        if (p->defs[sort][i].kind == PDEF_NONE)
            p->defs[sort][i] = (pdef){kind, next++};
}

static void build_defs(pcomp *p)
{
    const component *c = p->c;
    for (int s = 0; s < COMPONENT_SORT_COUNT; s++) {
        uint32_t n = s == COMPONENT_SORT_TYPE ? c->ntypes : component_count(c, (component_sort)s);
        p->defs[s] = palloc(p->pre, (n ? n : 1) * sizeof(pdef));
        p->items[s] = palloc(p->pre, (n ? n : 1) * sizeof(sitem *));
    }
    for (uint32_t i = 0; i < c->ntypes; i++)
        p->defs[COMPONENT_SORT_TYPE][i] = (pdef){PDEF_TYPE, i};
    for (uint32_t i = 0; i < c->nimports; i++)
        set_def(p, c->imports[i].desc.sort, c->imports[i].index, PDEF_IMPORT, i);
    for (uint32_t i = 0; i < c->naliases; i++)
        set_def(p, c->aliases[i].sort, c->aliases[i].index, PDEF_ALIAS, i);
    for (uint32_t i = 0; i < c->ncanons; i++)
        set_def(p, c->canons[i].kind == COMPONENT_CANON_LIFT ? COMPONENT_SORT_FUNC
                                                             : COMPONENT_SORT_CORE_FUNC,
                c->canons[i].result, PDEF_CANON, i);
    for (uint32_t i = 0; i < c->ninstances; i++)
        set_def(p, c->instances[i].core ? COMPONENT_SORT_CORE_INSTANCE : COMPONENT_SORT_INSTANCE,
                c->instances[i].index, PDEF_INSTANCE, i);
    for (uint32_t i = 0; i < c->nexports; i++)
        set_def(p, c->exports[i].sort, c->exports[i].defines, PDEF_EXPORT, i);
    fill_holes(p, COMPONENT_SORT_CORE_MODULE, PDEF_MODULE, c->nmodules);
    fill_holes(p, COMPONENT_SORT_COMPONENT, PDEF_NESTED, c->nnested);
}

static const char *where(const pcomp *p)
{
    return p->path;
}

/* ---- types --------------------------------------------------------------- */

static tscope *new_tscope(const component_pre *pre, tscope *parent, const component_decls *d)
{
    tscope *s = palloc(pre, sizeof *s);
    s->parent = parent;
    s->types = d->types;
    s->ntypes = d->ntypes;
    s->cache = palloc(pre, (d->ntypes ? d->ntypes : 1) * sizeof(stype *));
    s->busy = palloc(pre, d->ntypes ? d->ntypes : 1);
    return s;
}

static component_pre *scope_pre(const tscope *s)
{
    while (!s->comp)
        s = s->parent;
    return s->comp->pre;
}

static stype *new_stype(const component_pre *pre, stype_kind kind)
{
    stype *t = palloc(pre, sizeof *t);
    t->kind = kind;
    return t;
}

static const component_rtype *valtype(tscope *s, component_valtype v, util_error **err)
{
    if (v.prim != COMPONENT_PRIM_NONE) {
        const component_rtype *t = component_rtype_prim(v.prim);
        if (!t)
            util_error_set(err, 0, "type 0x%02x is not supported", v.prim);
        return t;
    }
    stype *t = component_pcomp_type(s, v.index, err);
    if (!t)
        return NULL;
    if (t->kind != STYPE_VALUE) {
        util_error_set(err, 0, "type %" PRIu32 " is not a value type", v.index);
        return NULL;
    }
    return t->val;
}

static int fields(tscope *s, const component_type *ct, component_rtype *rt, util_error **err)
{
    const component_pre *pre = scope_pre(s);
    rt->nfields = ct->nfields;
    rt->fields = palloc(pre, (ct->nfields ? ct->nfields : 1) * sizeof(component_rfield));
    for (uint32_t i = 0; i < ct->nfields; i++) {
        const component_field *f = &ct->fields[i];
        rt->fields[i].label = f->label ? pstr(pre, f->label) : NULL;
        if (f->has_type && !(rt->fields[i].type = valtype(s, f->type, err)))
            return -1;
    }
    return 0;
}

static component_resource_type *resource_of(tscope *s, uint32_t idx, util_error **err)
{
    stype *t = component_pcomp_type(s, idx, err);
    if (!t)
        return NULL;
    if (t->kind != STYPE_RESOURCE) {
        util_error_set(err, 0, "own/borrow of type %" PRIu32 ", which is no resource", idx);
        return NULL;
    }
    return t->res;
}

static stype *value_type(tscope *s, const component_type *ct, util_error **err)
{
    const component_pre *pre = scope_pre(s);
    if (ct->kind == COMPONENT_TYPE_PRIM) {
        stype *t = new_stype(pre, STYPE_VALUE);
        if (!(t->val = component_rtype_prim(ct->prim))) {
            util_error_set(err, 0, "type 0x%02x is not supported", ct->prim);
            return NULL;
        }
        return t;
    }
    component_rtype *rt = palloc(pre, sizeof *rt);
    rt->kind = ct->kind;
    switch (ct->kind) {
    case COMPONENT_TYPE_RECORD:
    case COMPONENT_TYPE_VARIANT:
    case COMPONENT_TYPE_TUPLE:
    case COMPONENT_TYPE_FLAGS:
    case COMPONENT_TYPE_ENUM:
        if (fields(s, ct, rt, err) < 0)
            return NULL;
        break;
    case COMPONENT_TYPE_LIST:
        if (ct->length) {
            util_error_set(err, 0, "fixed-length lists are not supported");
            return NULL;
        }
        /* fall through */
    case COMPONENT_TYPE_OPTION:
        if (!(rt->a = valtype(s, ct->a, err)))
            return NULL;
        break;
    case COMPONENT_TYPE_RESULT:
        if ((ct->has_a && !(rt->a = valtype(s, ct->a, err))) ||
            (ct->has_b && !(rt->b = valtype(s, ct->b, err))))
            return NULL;
        break;
    case COMPONENT_TYPE_OWN:
    case COMPONENT_TYPE_BORROW:
        if (!(rt->resource = resource_of(s, ct->index, err)))
            return NULL;
        break;
    default:
        util_error_set(err, 0, "%s types are not supported",
                       ct->kind == COMPONENT_TYPE_MAP ? "map" : "stream and future");
        return NULL;
    }
    if (component_rtype_layout(rt, err) < 0)
        return NULL;
    stype *t = new_stype(pre, STYPE_VALUE);
    t->val = rt;
    return t;
}

static stype *func_type(tscope *s, const component_type *ct, util_error **err)
{
    const component_pre *pre = scope_pre(s);
    if (ct->async) {
        util_error_set(err, 0, "async functions are not supported");
        return NULL;
    }
    component_rfunc *f = palloc(pre, sizeof *f);
    f->nparams = ct->nfields;
    f->params = palloc(pre, (ct->nfields ? ct->nfields : 1) * sizeof(component_rfield));
    for (uint32_t i = 0; i < ct->nfields; i++) {
        f->params[i].label = pstr(pre, ct->fields[i].label ? ct->fields[i].label : "");
        if (!(f->params[i].type = valtype(s, ct->fields[i].type, err)))
            return NULL;
    }
    if (ct->has_a && !(f->result = valtype(s, ct->a, err)))
        return NULL;
    if (component_rfunc_layout(f, err) < 0)
        return NULL;
    stype *t = new_stype(pre, STYPE_FUNC);
    t->func = f;
    return t;
}

/* The name a component gives a resource it defines: its export's. */
static const char *resource_name(const pcomp *p, uint32_t idx)
{
    for (uint32_t i = 0; i < p->c->nexports; i++) {
        const component_extern *e = &p->c->exports[i];
        if (e->sort == COMPONENT_SORT_TYPE && e->index == idx)
            return e->name.text;
    }
    return "resource";
}

static stype *resource_type(tscope *s, uint32_t idx, util_error **err)
{
    const component_pre *pre = scope_pre(s);
    if (!s->comp) {
        util_error_set(err, 0, "a resource defined inside a type");
        return NULL;
    }
    component_resource_type *r = palloc(pre, sizeof *r);
    r->name = pstr(pre, resource_name(s->comp, idx));
    r->guest_def = &s->types[idx];
    s->comp->own_res[idx] = r;
    stype *t = new_stype(pre, STYPE_RESOURCE);
    t->res = r;
    return t;
}

static stype *item_type(sitem *it, const char *name, util_error **err)
{
    if (!it)
        return NULL;
    if (it->sort != COMPONENT_SORT_TYPE) {
        util_error_set(err, 0, "%s is a %s, not a type", name, component_sort_name(it->sort));
        return NULL;
    }
    return it->type;
}

static sitem *import_item(pcomp *p, uint32_t i, util_error **err);

static stype *alias_type(tscope *s, const component_type *ct, util_error **err)
{
    if (ct->alias_kind == COMPONENT_ALIAS_OUTER) {
        tscope *o = s;
        for (uint32_t i = 0; i < ct->alias_outer_count && o; i++)
            o = o->parent;
        if (!o) {
            util_error_set(err, 0, "outer alias leaves every scope");
            return NULL;
        }
        return component_pcomp_type(o, ct->alias_outer_index, err);
    }
    if (!s->comp) {
        util_error_set(err, 0, "export alias of type %s inside a type is not supported",
                       ct->alias_name);
        return NULL;
    }
    sitem *inst = component_pcomp_item(s->comp, COMPONENT_SORT_INSTANCE, ct->alias_instance, err);
    if (!inst)
        return NULL;
    const sitem *it = component_sinst_find(inst->inst, ct->alias_name);
    if (!it) {
        util_error_set(err, 0, "instance %" PRIu32 " has no export %s", ct->alias_instance,
                       ct->alias_name);
        return NULL;
    }
    return item_type((sitem *)it, ct->alias_name, err);
}

static stype *resolve_entry(tscope *s, uint32_t idx, util_error **err)
{
    const component_type *ct = &s->types[idx];
    const component_pre *pre = scope_pre(s);
    switch (ct->kind) {
    case COMPONENT_TYPE_IMPORT_EQ:
        return component_pcomp_type(s, ct->index, err);
    case COMPONENT_TYPE_IMPORT_SUB:
        if (s->comp && s->comp->defs[COMPONENT_SORT_TYPE][idx].kind == PDEF_IMPORT)
            return item_type(component_pcomp_item(s->comp, COMPONENT_SORT_TYPE, idx, err),
                             "import", err);
        else {
            /* an abstract resource of a type nobody binds (a component
             * type's import): an identity of its own */
            stype *t = new_stype(pre, STYPE_RESOURCE);
            t->res = palloc(pre, sizeof *t->res);
            t->res->name = "abstract";
            return t;
        }
    case COMPONENT_TYPE_ALIAS:
        return alias_type(s, ct, err);
    case COMPONENT_TYPE_RESOURCE:
        return resource_type(s, idx, err);
    case COMPONENT_TYPE_FUNC:
        return func_type(s, ct, err);
    case COMPONENT_TYPE_INSTANCE:
    case COMPONENT_TYPE_COMPONENT: {
        stype *t = new_stype(pre, ct->kind == COMPONENT_TYPE_INSTANCE ? STYPE_INSTANCE
                                                                       : STYPE_COMPONENT);
        t->decls = ct->decls;
        t->scope = s;
        return t;
    }
    default:
        return value_type(s, ct, err);
    }
}

stype *component_pcomp_type(tscope *s, uint32_t idx, util_error **err)
{
    if (idx >= s->ntypes) {
        util_error_set(err, 0, "type index %" PRIu32 " out of range", idx);
        return NULL;
    }
    if (s->cache[idx])
        return s->cache[idx];
    if (s->busy[idx]) {
        util_error_set(err, 0, "type %" PRIu32 " is defined in terms of itself", idx);
        return NULL;
    }
    component_pre *pre = scope_pre(s);
    if (pre->depth >= COMPONENT_MAX_RESOLVE_DEPTH)
        return util_error_set(err, 0, "type %" PRIu32 ": definitions nested deeper than %d", idx,
                              COMPONENT_MAX_RESOLVE_DEPTH), NULL;
    s->busy[idx] = 1;
    pre->depth++;
    stype *t = resolve_entry(s, idx, err);
    pre->depth--;
    s->busy[idx] = 0;
    if (!t) {
        /* the outermost type names itself; inner ones would repeat it */
        if (pre->depth == 0)
            util_error_wrap(err, "type %" PRIu32, idx);
        return NULL;
    }
    s->cache[idx] = t;
    return t;
}

/* ---- instance shapes ----------------------------------------------------- */

const sitem *component_sinst_find(const sinst *s, const char *name)
{
    for (uint32_t i = 0; s && i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return &s->items[i];
    return NULL;
}

static sinst *new_sinst(const component_pre *pre, uint32_t n)
{
    sinst *s = palloc(pre, sizeof *s);
    s->names = palloc(pre, (n ? n : 1) * sizeof(char *));
    s->items = palloc(pre, (n ? n : 1) * sizeof(sitem));
    return s;
}

static const char *interface_of(const component_extern *e)
{
    return e->name.text;
}

/* A resource as an import declares it (component_visit_imports). */
static component_resource_type *declared_resource(const component_pre *pre, const char *name)
{
    component_resource_type *r = palloc(pre, sizeof *r);
    r->name = pstr(pre, name);
    r->host = true;
    return r;
}

static void visit_type(const component_pre *pre, const char *iface, const char *name,
                       const stype *t)
{
    if (t->kind == STYPE_RESOURCE)
        pre->visit(pre->visit_env, iface, name, NULL, t->res, NULL);
    else if (t->kind == STYPE_VALUE)
        pre->visit(pre->visit_env, iface, name, NULL, NULL, t->val);
}

/* One function of a host interface, checked against the type the
 * component expects. */
static int bind_host_func(const component_host_interface *iface, const char *iname,
                          const char *fname, component_rfunc *want, sitem *out, util_error **err)
{
    const component_host_func *h = iface ? component_host_interface_func(iface, fname) : NULL;
    if (!h)
        return util_error_set(err, 0, "import %s: function %s: the host has no such function",
                              iname, fname);
    char why[256] = "";
    if (!component_rfunc_equal(&h->type, want, why, sizeof why)) {
        char hs[512], ws[512];
        component_rfunc_format(&h->type, hs, sizeof hs);
        component_rfunc_format(want, ws, sizeof ws);
        return util_error_set(err, 0, "import %s: function %s: the host has %s, the component "
                              "expects %s (%s)", iname, fname, hs, ws, why);
    }
    out->sort = COMPONENT_SORT_FUNC;
    out->func = want;
    out->host = h;
    return 0;
}

static void no_interface_error(const component_linker *l, const char *name, util_error **err)
{
    char key[256], have[512] = "";
    size_t len = 0;
    component_semver_key(name, key, sizeof key);
    const char *at = strchr(key, '@');
    size_t base = at ? (size_t)(at - key) : strlen(key);
    for (size_t i = 0; l && i < component_linker_interface_count(l); i++) {
        const char *n = component_host_interface_name(component_linker_interface_at(l, i));
        if (n && strncmp(n, key, base) == 0 && (n[base] == '@' || n[base] == '\0') &&
            len + strlen(n) + 3 < sizeof have)
            len += (size_t)snprintf(have + len, sizeof have - len, "%s%s", len ? ", " : "", n);
    }
    if (len)
        util_error_set(err, 0, "import %s: the host has no such interface version (it has %s)",
                       name, have);
    else
        util_error_set(err, 0, "import %s: the host has no such interface", name);
}

/* An instance import the host serves: sub resources bind to the host's
 * resource types of the same names, functions are checked. */
static sinst *host_instance(pcomp *p, const component_extern *imp, util_error **err)
{
    const component_pre *pre = p->pre;
    const char *name = interface_of(imp);
    const component_host_interface *iface =
        pre->visit ? NULL : component_linker_find(pre->linker, name);
    if (!iface && !pre->visit)
        return no_interface_error(pre->linker, name, err), NULL;
    stype *it = component_pcomp_type(&p->body, imp->desc.index, err);
    if (!it)
        return NULL;
    if (it->kind != STYPE_INSTANCE)
        return util_error_set(err, 0, "import %s: not of an instance type", name), NULL;
    const component_decls *d = it->decls;
    tscope *ts = new_tscope(pre, it->scope, d);
    for (uint32_t i = 0; i < d->nexports; i++) {
        const component_extern *e = &d->exports[i];
        if (e->desc.sort != COMPONENT_SORT_TYPE || !e->desc.sub_resource || e->index >= d->ntypes)
            continue;
        component_resource_type *r = iface ? component_host_interface_resource(iface, e->name.text)
                                           : declared_resource(pre, e->name.text);
        if (!r)
            return util_error_set(err, 0, "import %s: the host has no resource %s", name,
                                  e->name.text), NULL;
        stype *t = new_stype(pre, STYPE_RESOURCE);
        t->res = r;
        ts->cache[e->index] = t;
    }
    sinst *s = new_sinst(pre, d->nexports);
    s->host = iface;
    for (uint32_t i = 0; i < d->nexports; i++) {
        const component_extern *e = &d->exports[i];
        sitem *out = &s->items[s->n];
        s->names[s->n] = e->name.text;
        if (e->desc.sort == COMPONENT_SORT_TYPE) {
            out->sort = COMPONENT_SORT_TYPE;
            if (!(out->type = component_pcomp_type(ts, e->index, err)))
                return (void)util_error_wrap(err, "import %s: %s", name, e->name.text), NULL;
            if (pre->visit)
                visit_type(pre, name, e->name.text, out->type);
        } else if (e->desc.sort == COMPONENT_SORT_FUNC) {
            stype *ft = component_pcomp_type(ts, e->desc.index, err);
            if (!ft)
                return (void)util_error_wrap(err, "import %s: %s", name, e->name.text), NULL;
            if (ft->kind != STYPE_FUNC)
                return util_error_set(err, 0, "import %s: %s is no function type", name,
                                      e->name.text), NULL;
            if (pre->visit) {
                out->sort = COMPONENT_SORT_FUNC;
                out->func = ft->func;
                pre->visit(pre->visit_env, name, e->name.text, ft->func, NULL, NULL);
            } else if (bind_host_func(iface, name, e->name.text, ft->func, out, err) < 0) {
                return NULL;
            }
        } else {
            return util_error_set(err, 0, "import %s: exports a %s, which the host cannot "
                                  "provide", name, component_sort_name(e->desc.sort)), NULL;
        }
        s->n++;
    }
    return s;
}

/* A top-level import served by the host. */
static sitem *host_import(pcomp *p, const component_extern *imp, util_error **err)
{
    const component_pre *pre = p->pre;
    sitem *it = palloc(pre, sizeof *it);
    it->sort = imp->desc.sort;
    switch (imp->desc.sort) {
    case COMPONENT_SORT_INSTANCE:
        return (it->inst = host_instance(p, imp, err)) ? it : NULL;
    case COMPONENT_SORT_FUNC: {
        stype *ft = component_pcomp_type(&p->body, imp->desc.index, err);
        if (!ft)
            return NULL;
        if (ft->kind != STYPE_FUNC)
            return util_error_set(err, 0, "import %s: no function type", imp->name.text), NULL;
        if (pre->visit) {
            it->func = ft->func;
            pre->visit(pre->visit_env, NULL, imp->name.text, ft->func, NULL, NULL);
            return it;
        }
        const component_host_interface *top = component_linker_find(pre->linker, NULL);
        return bind_host_func(top, imp->name.text, imp->name.text, ft->func, it, err) < 0 ? NULL
                                                                                          : it;
    }
    case COMPONENT_SORT_TYPE: {
        const component_host_interface *top =
            pre->visit ? NULL : component_linker_find(pre->linker, NULL);
        component_resource_type *r =
            top ? component_host_interface_resource(top, imp->name.text) : NULL;
        if (pre->visit && imp->desc.sub_resource) {
            r = declared_resource(pre, imp->name.text);
            pre->visit(pre->visit_env, NULL, imp->name.text, NULL, r, NULL);
        }
        if (!imp->desc.sub_resource) {
            if (!(it->type = component_pcomp_type(&p->body, imp->desc.index, err)))
                return NULL;
            if (pre->visit)
                visit_type(pre, NULL, imp->name.text, it->type);
            return it;
        }
        if (!r)
            return util_error_set(err, 0, "import %s: the host has no such resource",
                                  imp->name.text), NULL;
        it->type = new_stype(pre, STYPE_RESOURCE);
        it->type->res = r;
        return it;
    }
    default:
        return util_error_set(err, 0, "import %s: a %s cannot be imported from the host",
                              imp->name.text, component_sort_name(imp->desc.sort)), NULL;
    }
}

static int check_func(const char *iname, const char *fname, const component_rfunc *given,
                      const component_rfunc *want, util_error **err)
{
    char why[256] = "";
    if (component_rfunc_equal(given, want, why, sizeof why))
        return 0;
    char gs[512], ws[512];
    component_rfunc_format(given, gs, sizeof gs);
    component_rfunc_format(want, ws, sizeof ws);
    return util_error_set(err, 0, "import %s%s%s: given %s, expects %s (%s)", iname,
                          fname ? ": function " : "", fname ? fname : "", gs, ws, why);
}

/* An argument of an instantiation against the import it satisfies: a
 * function's type, or an instance's functions and resources by name
 * (its resources then stand for the import's). */
static int check_arg(pcomp *p, const component_extern *imp, const sitem *arg, util_error **err)
{
    const char *iname = imp->name.text;
    if (imp->desc.sort == COMPONENT_SORT_FUNC) {
        stype *ft = component_pcomp_type(&p->body, imp->desc.index, err);
        if (!ft)
            return -1;
        if (ft->kind != STYPE_FUNC)
            return util_error_set(err, 0, "import %s: no function type", iname);
        return check_func(iname, NULL, arg->func, ft->func, err);
    }
    if (imp->desc.sort != COMPONENT_SORT_INSTANCE)
        return 0;
    stype *it = component_pcomp_type(&p->body, imp->desc.index, err);
    if (!it)
        return -1;
    if (it->kind != STYPE_INSTANCE)
        return util_error_set(err, 0, "import %s: not of an instance type", iname);
    const component_decls *d = it->decls;
    tscope *ts = new_tscope(p->pre, it->scope, d);
    for (uint32_t i = 0; i < d->nexports; i++) {
        const component_extern *e = &d->exports[i];
        const sitem *x = component_sinst_find(arg->inst, e->name.text);
        if (e->desc.sort != COMPONENT_SORT_TYPE && e->desc.sort != COMPONENT_SORT_FUNC)
            continue;
        if (!x || x->sort != e->desc.sort)
            return util_error_set(err, 0, "import %s: the argument has no %s %s", iname,
                                  component_sort_name(e->desc.sort), e->name.text);
        if (e->desc.sort == COMPONENT_SORT_TYPE) {
            if (e->desc.sub_resource && e->index < d->ntypes) {
                if (x->type->kind != STYPE_RESOURCE)
                    return util_error_set(err, 0, "import %s: %s is no resource", iname,
                                          e->name.text);
                ts->cache[e->index] = x->type;
            }
            continue;
        }
        stype *ft = component_pcomp_type(ts, e->desc.index, err);
        if (!ft)
            return -1;
        if (ft->kind != STYPE_FUNC)
            return util_error_set(err, 0, "import %s: %s is no function type", iname,
                                  e->name.text);
        if (check_func(iname, e->name.text, x->func, ft->func, err) < 0)
            return -1;
    }
    return 0;
}

/* A nested component's import: the argument its instantiation gives. */
static sitem *arg_import(pcomp *p, const component_extern *imp, util_error **err)
{
    const component_instance_def *def = &p->parent->c->instances[p->parent_def];
    for (uint32_t i = 0; i < def->nargs; i++) {
        if (strcmp(def->args[i].name, imp->name.text) != 0)
            continue;
        if (def->args[i].sort != imp->desc.sort)
            return util_error_set(err, 0, "import %s: given a %s, expects a %s", imp->name.text,
                                  component_sort_name(def->args[i].sort),
                                  component_sort_name(imp->desc.sort)), NULL;
        sitem *arg = component_pcomp_item(p->parent, def->args[i].sort, def->args[i].index, err);
        return arg && check_arg(p, imp, arg, err) == 0 ? arg : NULL;
    }
    return util_error_set(err, 0, "import %s: no argument of that name", imp->name.text), NULL;
}

static sitem *import_item(pcomp *p, uint32_t i, util_error **err)
{
    const component_extern *imp = &p->c->imports[i];
    return p->parent ? arg_import(p, imp, err) : host_import(p, imp, err);
}

/* ---- items of every sort -------------------------------------------------- */

static sitem *alias_item(pcomp *p, const component_alias *a, util_error **err)
{
    if (a->kind == COMPONENT_ALIAS_OUTER) {
        pcomp *o = p;
        for (uint32_t i = 0; i < a->outer_count && o; i++)
            o = o->outer;
        if (!o)
            return util_error_set(err, 0, "outer alias leaves every scope"), NULL;
        return component_pcomp_item(o, a->sort, a->outer_index, err);
    }
    if (a->kind == COMPONENT_ALIAS_CORE_EXPORT)
        return NULL; /* core items have no static part */
    sitem *inst = component_pcomp_item(p, COMPONENT_SORT_INSTANCE, a->instance, err);
    if (!inst)
        return NULL;
    const sitem *it = component_sinst_find(inst->inst, a->name);
    if (!it)
        return util_error_set(err, 0, "instance %" PRIu32 " has no export %s", a->instance,
                              a->name), NULL;
    if (it->sort != a->sort)
        return util_error_set(err, 0, "export %s of instance %" PRIu32 " is a %s, not a %s",
                              a->name, a->instance, component_sort_name(it->sort),
                              component_sort_name(a->sort)), NULL;
    return (sitem *)it;
}

static sitem *lift_item(pcomp *p, const component_canon *cn, util_error **err)
{
    stype *t = component_pcomp_type(&p->body, cn->type, err);
    if (!t)
        return NULL;
    if (t->kind != STYPE_FUNC)
        return util_error_set(err, 0, "canon lift to type %" PRIu32 ", no function type",
                              cn->type), NULL;
    sitem *it = palloc(p->pre, sizeof *it);
    it->sort = COMPONENT_SORT_FUNC;
    it->func = t->func;
    return it;
}

static int build_child(pcomp *p, uint32_t d, const sitem *comp, util_error **err);

static sitem *instance_item(pcomp *p, uint32_t d, util_error **err)
{
    const component_instance_def *def = &p->c->instances[d];
    if (def->core)
        return NULL;
    sitem *it = palloc(p->pre, sizeof *it);
    it->sort = COMPONENT_SORT_INSTANCE;
    if (!def->instantiate) {
        it->inst = new_sinst(p->pre, def->nargs);
        for (uint32_t i = 0; i < def->nargs; i++) {
            sitem *a = component_pcomp_item(p, def->args[i].sort, def->args[i].index, err);
            if (!a)
                return NULL;
            it->inst->names[i] = def->args[i].name;
            it->inst->items[i] = *a;
        }
        it->inst->n = def->nargs;
        return it;
    }
    sitem *comp = component_pcomp_item(p, COMPONENT_SORT_COMPONENT, def->of, err);
    if (!comp || build_child(p, d, comp, err) < 0)
        return NULL;
    pcomp *child = p->children[d];
    it->inst = new_sinst(p->pre, child->c->nexports);
    for (uint32_t i = 0; i < child->c->nexports; i++) {
        const component_extern *e = &child->c->exports[i];
        sitem *x = component_pcomp_item(child, e->sort, e->index, err);
        if (!x) {
            if (!err || *err) /* core modules have no static item and no error */
                return NULL;
            x = palloc(p->pre, sizeof *x);
            x->sort = e->sort;
        }
        it->inst->names[i] = e->name.text;
        it->inst->items[i] = *x;
    }
    it->inst->n = child->c->nexports;
    return it;
}

static sitem *resolve_item(pcomp *p, component_sort sort, uint32_t idx, util_error **err)
{
    pdef d = p->defs[sort][idx];
    const component *c = p->c;
    sitem *it;
    switch (d.kind) {
    case PDEF_IMPORT:
        return import_item(p, d.ref, err);
    case PDEF_ALIAS:
        return alias_item(p, &c->aliases[d.ref], err);
    case PDEF_CANON:
        return sort == COMPONENT_SORT_FUNC ? lift_item(p, &c->canons[d.ref], err) : NULL;
    case PDEF_INSTANCE:
        return instance_item(p, d.ref, err);
    case PDEF_EXPORT:
        return component_pcomp_item(p, c->exports[d.ref].sort, c->exports[d.ref].index, err);
    case PDEF_NESTED:
        it = palloc(p->pre, sizeof *it);
        it->sort = COMPONENT_SORT_COMPONENT;
        it->comp = c->nested[d.ref];
        it->comp_scope = p;
        return it;
    case PDEF_TYPE:
        it = palloc(p->pre, sizeof *it);
        it->sort = COMPONENT_SORT_TYPE;
        return (it->type = component_pcomp_type(&p->body, idx, err)) ? it : NULL;
    default:
        return NULL;
    }
}

/* NULL with *err unset: an item with no static part (core items). */
sitem *component_pcomp_item(pcomp *p, component_sort sort, uint32_t idx, util_error **err)
{
    uint32_t n = sort == COMPONENT_SORT_TYPE ? p->c->ntypes : component_count(p->c, sort);
    if (idx >= n)
        return util_error_set(err, 0, "%s index %" PRIu32 " out of range",
                              component_sort_name(sort), idx), NULL;
    if (sort < COMPONENT_SORT_FUNC)
        return NULL;
    if (p->items[sort][idx])
        return p->items[sort][idx];
    if (sort == COMPONENT_SORT_TYPE && p->defs[sort][idx].kind == PDEF_IMPORT) {
        /* through the import, once: a resource import gets one identity */
        sitem *it = import_item(p, p->defs[sort][idx].ref, err);
        return it ? (p->items[sort][idx] = it) : NULL;
    }
    if (sort == COMPONENT_SORT_TYPE) {
        stype *t = component_pcomp_type(&p->body, idx, err);
        if (!t)
            return NULL;
        sitem *it = palloc(p->pre, sizeof *it);
        it->sort = sort;
        it->type = t;
        return p->items[sort][idx] = it;
    }
    if (p->pre->depth >= COMPONENT_MAX_RESOLVE_DEPTH)
        return util_error_set(err, 0, "%s %" PRIu32 ": definitions nested deeper than %d",
                              component_sort_name(sort), idx, COMPONENT_MAX_RESOLVE_DEPTH), NULL;
    p->pre->depth++;
    sitem *it = resolve_item(p, sort, idx, err);
    p->pre->depth--;
    if (!it) {
        if (err && !*err)
            util_error_set(err, 0, "%s %" PRIu32 " has no definition", component_sort_name(sort),
                           idx);
        return NULL;
    }
    return p->items[sort][idx] = it;
}

/* ---- modules --------------------------------------------------------------- */

wasm_module *component_pre_module(component_pre *pre, const component *c, uint32_t num,
                                  util_error **err)
{
    for (size_t i = 0; i < pre->nmodules; i++)
        if (pre->modules[i].c == c && pre->modules[i].num == num)
            return pre->modules[i].m;
    component_module_range r = component_module_at(c, num);
    /* the features every WASI program of this project is compiled with
     * (wasi_program_features: tail calls); the component layer cannot
     * include the wasi door */
    wasm_features features = {.tail_call = true};
    wasm_result res;
    wasm_result_init(&res);
    wasm_module *m = wasm_module_new(pre->bytes + r.offset, r.len, &features, &res);
    if (!m)
        return util_error_set(err, 0, "core module %" PRIu32 " at offset 0x%zx: %s", num,
                              r.offset, res.message), NULL;
    if (pre->nmodules == pre->modules_cap) {
        pre->modules_cap = pre->modules_cap ? pre->modules_cap * 2 : 8;
        pre->modules = util_xrealloc(pre->modules, pre->modules_cap * sizeof *pre->modules);
    }
    pre->modules[pre->nmodules++] = (struct pre_module){c, num, m};
    return m;
}

/* ---- building a pcomp ------------------------------------------------------- */

static pcomp *new_pcomp(component_pre *pre, const component *c, pcomp *outer, pcomp *parent,
                        uint32_t parent_def, const char *path)
{
    pcomp *p = palloc(pre, sizeof *p);
    p->pre = pre;
    p->c = c;
    p->outer = outer;
    p->parent = parent;
    p->parent_def = parent_def;
    p->path = pstr(pre, path);
    p->body.comp = p;
    p->body.parent = outer ? &outer->body : NULL;
    p->body.types = c->types;
    p->body.ntypes = c->ntypes;
    p->body.cache = palloc(pre, (c->ntypes ? c->ntypes : 1) * sizeof(stype *));
    p->body.busy = palloc(pre, c->ntypes ? c->ntypes : 1);
    p->children = palloc(pre, (c->ninstances ? c->ninstances : 1) * sizeof(pcomp *));
    p->own_res = palloc(pre, (c->ntypes ? c->ntypes : 1) * sizeof(component_resource_type *));
    p->core_plans = NULL;
    p->alias_export = NULL;
    p->alias_hint = NULL;
    build_defs(p);
    return p;
}

static int build_child(pcomp *p, uint32_t d, const sitem *comp, util_error **err)
{
    if (p->children[d])
        return 0;
    char path[256];
    snprintf(path, sizeof path, "%s%sinstance %" PRIu32, p->path, *p->path ? " > " : "",
             p->c->instances[d].index);
    int depth = 0;
    for (pcomp *q = p; q; q = q->parent)
        depth++;
    if (depth > COMPONENT_MAX_DEPTH)
        return util_error_set(err, 0, "%s: components instantiated deeper than %d", path,
                              COMPONENT_MAX_DEPTH);
    pcomp *child = new_pcomp(p->pre, comp->comp, comp->comp_scope, p, d, path);
    p->children[d] = child;
    if (component_pcomp_build(p->pre, child, err) < 0) {
        p->children[d] = NULL;
        return util_error_wrap(err, "instance %" PRIu32, p->c->instances[d].index);
    }
    return 0;
}

static int each_item(pcomp *p, component_sort sort, pdef_kind kind, util_error **err)
{
    uint32_t n = sort == COMPONENT_SORT_TYPE ? p->c->ntypes : component_count(p->c, sort);
    for (uint32_t i = 0; i < n; i++) {
        if (p->defs[sort][i].kind != kind)
            continue;
        if (!component_pcomp_item(p, sort, i, err) && err && *err)
            return -1;
    }
    return 0;
}

/* Resolves everything a run of the component could need: imports first
 * (so an unresolved import is the error reported), then every function,
 * instance (building nested pcomps), canon and type. */
int component_pcomp_build(component_pre *pre, pcomp *p, util_error **err)
{
    const component *c = p->c;
    for (uint32_t i = 0; i < c->nimports; i++) {
        const component_extern *imp = &c->imports[i];
        if (imp->desc.sort < COMPONENT_SORT_FUNC || imp->desc.sort == COMPONENT_SORT_VALUE)
            return util_error_set(err, 0, "import %s: a %s cannot be imported", imp->name.text,
                                  component_sort_name(imp->desc.sort));
        if (!component_pcomp_item(p, imp->desc.sort, imp->index, err))
            return -1;
    }
    for (uint32_t i = 0; i < c->ncanons; i++) {
        const component_canon *cn = &c->canons[i];
        if (cn->kind == COMPONENT_CANON_LIFT &&
            !component_pcomp_item(p, COMPONENT_SORT_FUNC, cn->result, err))
            return util_error_wrap(err, "%s%scanon lift (func %" PRIu32 ")", where(p),
                                   *where(p) ? ": " : "", cn->result);
        if (cn->kind == COMPONENT_CANON_LOWER &&
            !component_pcomp_item(p, COMPONENT_SORT_FUNC, cn->func, err))
            return util_error_wrap(err, "%s%scanon lower (func %" PRIu32 ")", where(p),
                                   *where(p) ? ": " : "", cn->func);
        if ((cn->kind == COMPONENT_CANON_RESOURCE_NEW || cn->kind == COMPONENT_CANON_RESOURCE_DROP ||
             cn->kind == COMPONENT_CANON_RESOURCE_REP) &&
            !resource_of(&p->body, cn->type, err))
            return util_error_wrap(err, "%s%scanon %s", where(p), *where(p) ? ": " : "",
                                   component_canon_name(cn->kind));
        if (cn->kind > COMPONENT_CANON_RESOURCE_REP)
            return util_error_set(err, 0, "%s%scanon %s is not supported", where(p),
                                  *where(p) ? ": " : "", component_canon_name(cn->kind));
    }
    /* every resource the component defines gets its identity now: the
     * instance's handle table is told them when it is made */
    for (uint32_t i = 0; i < c->ntypes; i++)
        if (c->types[i].kind == COMPONENT_TYPE_RESOURCE && !component_pcomp_type(&p->body, i, err))
            return -1;
    if (each_item(p, COMPONENT_SORT_INSTANCE, PDEF_INSTANCE, err) < 0 ||
        each_item(p, COMPONENT_SORT_FUNC, PDEF_ALIAS, err) < 0 ||
        each_item(p, COMPONENT_SORT_INSTANCE, PDEF_ALIAS, err) < 0)
        return -1;
    for (uint32_t i = 0; i < c->nexports; i++) {
        const component_extern *e = &c->exports[i];
        if (e->sort == COMPONENT_SORT_CORE_MODULE)
            continue;
        if (!component_pcomp_item(p, e->sort, e->index, err))
            return util_error_wrap(err, "%s%sexport %s", where(p), *where(p) ? ": " : "",
                                   e->name.text);
    }
    for (uint32_t i = 0; i < c->nmodules; i++)
        if (!component_pre_module(pre, c, i, err))
            return -1;
    component_pcomp_plan(p);
    return 0;
}

pcomp *component_pcomp_top(component_pre *pre)
{
    return new_pcomp(pre, pre->c, NULL, NULL, 0, "");
}
