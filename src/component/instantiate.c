/*
 * instantiate.c - component_instantiate: runs the plan of a component_pre
 * (the pcomp tree of resolve.c) in a store.
 *
 * Design: one rinst per pcomp.  Every index of every sort is evaluated on
 * demand through the definition map and memoised (rval), so a definition
 * is made once, after whatever it uses; the instance definitions are
 * forced in definition order, so core modules are instantiated (and
 * their start functions run) in the order the component wrote them, and
 * a nested component is instantiated, with its own handle table, where
 * its instance definition stands.  Core instances get their imports from
 * a wasm_linker filled with the `with` arguments; canon lower and the
 * resource built-ins become host functions of the store (trampoline.c);
 * canon lift makes a cfunc that exports.c and trampolines call.
 */
#include "instance_internal.h"

#include <stdarg.h>
#include <string.h>

/* Lifted values of one host call or export result: plenty for real
 * programs, and a guest cannot make the host allocate past it. */
#define CALL_ARENA_CAP (64u << 20)

int component_rinst_trap(wasm_result *res, wasm_result_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    res->kind = kind;
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* The instance graph's memory: bump chunks freed together with the
 * instance.  Zeroed, as every structure of the graph starts empty. */
typedef struct inst_chunk {
    struct inst_chunk *next;
    size_t size, used;
    max_align_t data[];
} inst_chunk;

void *component_instance_alloc(component_instance *inst, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    inst_chunk *c = inst->chunks;
    if (!c || c->size - c->used < size) {
        size_t want = c ? c->size * 2 : atomic_load_explicit(&inst->pre->inst_bytes,
                                                               memory_order_relaxed);
        if (want < 4096)
            want = 4096;
        if (want < size)
            want = size;
        c = util_xcalloc(1, sizeof *c + want);
        c->size = want;
        c->next = inst->chunks;
        inst->chunks = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    inst->graph_bytes += size;
    return p;
}

static uint32_t sort_count(const pcomp *p, component_sort sort)
{
    return sort == COMPONENT_SORT_TYPE ? p->c->ntypes : component_count(p->c, sort);
}

static rinst *new_rinst(component_instance *inst, pcomp *p, rinst *parent, uint32_t def)
{
    /* the rinst, its values of every sort and its children in one block */
    size_t nvals = 0;
    for (int s = 0; s < COMPONENT_SORT_COUNT; s++)
        nvals += sort_count(p, (component_sort)s);
    rinst *r = component_instance_alloc(inst, sizeof *r + nvals * sizeof(rval) +
                                                  p->c->ninstances * sizeof(rinst *));
    r->top = inst;
    r->p = p;
    r->parent = parent;
    r->parent_def = def;
    rval *vals = (rval *)(r + 1);
    for (int s = 0; s < COMPONENT_SORT_COUNT; s++) {
        r->vals[s] = vals;
        vals += sort_count(p, (component_sort)s);
    }
    r->children = (rinst **)vals;
    r->handles = component_handles_new();
    for (uint32_t k = 0; k < p->c->ntypes; k++)
        if (p->own_res[k])
            component_handles_define_type(r->handles, p->own_res[k]);
    r->may_enter = true;
    r->may_leave = true;
    if (inst->nall == inst->all_cap) {
        inst->all_cap = inst->all_cap ? inst->all_cap * 2 : 8;
        inst->all = util_xrealloc(inst->all, inst->all_cap * sizeof(rinst *));
    }
    inst->all[inst->nall++] = r;
    return r;
}

/* ---- the static parts: modules and types ---------------------------------- */

static wasm_module *module_of(pcomp *p, uint32_t idx, wasm_result *res)
{
    for (int hops = 0; p && hops < 64; hops++) {
        if (idx >= sort_count(p, COMPONENT_SORT_CORE_MODULE))
            break;
        pdef d = p->defs[COMPONENT_SORT_CORE_MODULE][idx];
        if (d.kind == PDEF_MODULE) {
            util_error *e = NULL;
            wasm_module *m = component_pre_module(p->pre, p->c, d.ref, &e);
            if (!m) {
                component_rinst_trap(res, WASM_INVALID, "%s", e->msg);
                util_error_free(&e);
            }
            return m;
        }
        if (d.kind == PDEF_EXPORT) {
            idx = p->c->exports[d.ref].index;
            continue;
        }
        if (d.kind != PDEF_ALIAS || p->c->aliases[d.ref].kind != COMPONENT_ALIAS_OUTER)
            break;
        const component_alias *a = &p->c->aliases[d.ref];
        for (uint32_t i = 0; i < a->outer_count && p; i++)
            p = p->outer;
        idx = a->outer_index;
    }
    component_rinst_trap(res, WASM_UNLINKABLE, "core module %" PRIu32 ": only embedded modules "
                         "and outer aliases of them can be instantiated", idx);
    return NULL;
}

static component_resource_type *resource_at(pcomp *p, uint32_t type, wasm_result *res)
{
    util_error *e = NULL;
    stype *t = component_pcomp_type(&p->body, type, &e);
    if (!t || t->kind != STYPE_RESOURCE) {
        component_rinst_trap(res, WASM_UNLINKABLE, "type %" PRIu32 ": %s", type,
                             e ? e->msg : "not a resource");
        util_error_free(&e);
        return NULL;
    }
    return t->res;
}

/* ---- instances as values ----------------------------------------------------- */

static rval *copy_into(rval *v, const rval *from)
{
    bool done = v->done, busy = v->busy;
    *v = *from;
    v->done = done;
    v->busy = busy;
    return v;
}

/* The position of `name` among an instance value's members: host items,
 * a child's exports or an inline instance's arguments; `hint` (may be
 * NULL) is tried first and updated, so that an alias finds its member
 * with one comparison in every instance after the first.  The hint lives
 * in the pre, shared by threads: it is only a guess, checked each time. */
static bool member_at(const void *base, size_t stride, uint32_t n, const char *name,
                      _Atomic uint32_t *hint, uint32_t *at)
{
#define NAME(i) (*(const char *const *)((const char *)base + (size_t)(i) * stride))
    if (n == 0)
        return false;
    uint32_t h = hint ? atomic_load_explicit(hint, memory_order_relaxed) : UINT32_MAX;
    if (h < n && strcmp(NAME(h), name) == 0) {
        *at = h;
        return true;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (strcmp(NAME(i), name) != 0)
            continue;
        if (hint)
            atomic_store_explicit(hint, i, memory_order_relaxed);
        *at = i;
        return true;
    }
    return false;
#undef NAME
}

rval *component_rinstval_find_hinted(rinstval *v, const char *name, _Atomic uint32_t *hint,
                                     wasm_result *res)
{
    uint32_t i;
    if (v->host_shape) {
        const sinst *s = v->host_shape;
        if (s->n && member_at(s->names, sizeof *s->names, s->n, name, hint, &i))
            return &v->host_vals[i]; /* made with the import */
    } else if (v->child) {
        const component *c = v->child->p->c;
        if (c->nexports && member_at(&c->exports[0].name.text, sizeof c->exports[0],
                                     c->nexports, name, hint, &i))
            return component_rinst_eval(v->child, c->exports[i].sort, c->exports[i].index, res);
    } else if (v->inline_in) {
        const component_instance_def *def = &v->inline_in->p->c->instances[v->def];
        if (def->nargs &&
            member_at(&def->args[0].name, sizeof def->args[0], def->nargs, name, hint, &i))
            return component_rinst_eval(v->inline_in, def->args[i].sort, def->args[i].index,
                                        res);
    }
    component_rinst_trap(res, WASM_UNLINKABLE, "instance has no export %s", name);
    return NULL;
}

rval *component_rinstval_find(rinstval *v, const char *name, wasm_result *res)
{
    return component_rinstval_find_hinted(v, name, NULL, res);
}

/* ---- definitions --------------------------------------------------------------- */

static int eval_import(rinst *r, uint32_t i, rval *v, wasm_result *res)
{
    pcomp *p = r->p;
    const component_extern *imp = &p->c->imports[i];
    if (r->parent) {
        const component_instance_def *def = &r->parent->p->c->instances[r->parent_def];
        for (uint32_t k = 0; k < def->nargs; k++) {
            if (strcmp(def->args[k].name, imp->name.text) != 0)
                continue;
            rval *a = component_rinst_eval(r->parent, def->args[k].sort, def->args[k].index, res);
            return a ? (copy_into(v, a), 0) : -1;
        }
        return component_rinst_trap(res, WASM_UNLINKABLE, "import %s: no argument",
                                    imp->name.text);
    }
    util_error *e = NULL;
    sitem *it = component_pcomp_item(p, imp->desc.sort, imp->index, &e);
    if (!it) {
        component_rinst_trap(res, WASM_UNLINKABLE, "import %s: %s", imp->name.text,
                             e ? e->msg : "unresolved");
        util_error_free(&e);
        return -1;
    }
    if (it->sort == COMPONENT_SORT_FUNC) {
        v->func = component_instance_alloc(r->top, sizeof(cfunc));
        v->func->host = it->host;
        v->func->type = &it->host->type;
    } else if (it->sort == COMPONENT_SORT_INSTANCE) {
        v->inst = component_instance_alloc(r->top, sizeof(rinstval));
        v->inst->host_shape = it->inst;
        v->inst->host_vals = component_instance_alloc(r->top, it->inst->n * sizeof(rval));
        for (uint32_t k = 0; k < it->inst->n; k++) {
            const sitem *x = &it->inst->items[k];
            rval *hv = &v->inst->host_vals[k];
            hv->sort = x->sort;
            hv->done = true;
            if (x->sort == COMPONENT_SORT_FUNC) {
                hv->func = component_instance_alloc(r->top, sizeof(cfunc));
                hv->func->host = x->host;
                hv->func->type = &x->host->type;
            }
        }
    }
    return 0;
}

static int eval_alias(rinst *r, const component_alias *a, rval *v, wasm_result *res)
{
    if (a->kind == COMPONENT_ALIAS_OUTER) {
        if (a->sort == COMPONENT_SORT_CORE_MODULE)
            return (v->module = module_of(r->p, a->index, res)) ? 0 : -1;
        return 0; /* types and components: static */
    }
    if (a->kind == COMPONENT_ALIAS_EXPORT) {
        if (a->sort == COMPONENT_SORT_TYPE || a->sort == COMPONENT_SORT_COMPONENT)
            return 0;
        rval *iv = component_rinst_eval(r, COMPONENT_SORT_INSTANCE, a->instance, res);
        if (!iv)
            return -1;
        _Atomic uint32_t *hint = r->p->alias_hint ? &r->p->alias_hint[a - r->p->c->aliases] : NULL;
        rval *x = component_rinstval_find_hinted(iv->inst, a->name, hint, res);
        return x ? (copy_into(v, x), 0) : -1;
    }
    rval *cv = component_rinst_eval(r, COMPONENT_SORT_CORE_INSTANCE, a->instance, res);
    if (!cv)
        return -1;
    uint32_t at = r->p->alias_export ? r->p->alias_export[a - r->p->c->aliases] : UINT32_MAX;
    if (cv->core->inst && at != UINT32_MAX) {
        if (!wasm_instance_export_at(cv->core->inst, at, &v->ext))
            return component_rinst_trap(res, WASM_UNLINKABLE, "core instance %" PRIu32
                                        " has no export %s", a->instance, a->name);
    } else if (cv->core->inst) {
        if (!wasm_instance_export(cv->core->inst, a->name, &v->ext))
            return component_rinst_trap(res, WASM_UNLINKABLE, "core instance %" PRIu32
                                        " has no export %s", a->instance, a->name);
    } else {
        rinst *in = cv->core->inline_in;
        const component_instance_def *def = &in->p->c->instances[cv->core->def];
        uint32_t k = 0;
        while (k < def->nargs && strcmp(def->args[k].name, a->name) != 0)
            k++;
        if (k == def->nargs)
            return component_rinst_trap(res, WASM_UNLINKABLE, "core instance %" PRIu32
                                        " has no export %s", a->instance, a->name);
        rval *x = component_rinst_eval(in, def->args[k].sort, def->args[k].index, res);
        if (!x)
            return -1;
        v->ext = x->ext;
    }
    static const wasm_extern_kind kinds[] = {WASM_EXTERN_FUNC, WASM_EXTERN_TABLE,
                                             WASM_EXTERN_MEMORY, WASM_EXTERN_GLOBAL};
    if (a->sort <= COMPONENT_SORT_CORE_GLOBAL && v->ext.kind != kinds[a->sort])
        return component_rinst_trap(res, WASM_UNLINKABLE, "export %s of core instance %" PRIu32
                                    " is no %s", a->name, a->instance,
                                    component_sort_name(a->sort));
    return 0;
}

static int core_item(rinst *r, component_sort sort, uint32_t idx, wasm_extern *out,
                     wasm_result *res)
{
    rval *x = component_rinst_eval(r, sort, idx, res);
    if (!x)
        return -1;
    *out = x->ext;
    return 0;
}

static int eval_lift(rinst *r, const component_canon *cn, rval *v, wasm_result *res)
{
    util_error *e = NULL;
    sitem *it = component_pcomp_item(r->p, COMPONENT_SORT_FUNC, cn->result, &e);
    if (!it) {
        component_rinst_trap(res, WASM_UNLINKABLE, "canon lift: %s", e ? e->msg : "no type");
        util_error_free(&e);
        return -1;
    }
    cfunc *f = component_instance_alloc(r->top, sizeof *f);
    wasm_extern x;
    f->type = it->func;
    f->owner = r;
    f->encoding = cn->encoding;
    if (core_item(r, COMPONENT_SORT_CORE_FUNC, cn->func, &x, res) < 0)
        return -1;
    f->core = x.of.func;
    if (cn->has_memory) {
        if (core_item(r, COMPONENT_SORT_CORE_MEMORY, cn->memory, &x, res) < 0)
            return -1;
        f->memory = x.of.memory;
    }
    if (cn->has_realloc) {
        if (core_item(r, COMPONENT_SORT_CORE_FUNC, cn->realloc, &x, res) < 0)
            return -1;
        f->realloc = x.of.func;
    }
    if (cn->has_post_return) {
        if (core_item(r, COMPONENT_SORT_CORE_FUNC, cn->post_return, &x, res) < 0)
            return -1;
        f->post_return = x.of.func;
    }
    const char *sig = wasm_func_signature(f->core);
    if (!sig || strcmp(sig, f->type->lift_sig) != 0)
        return component_rinst_trap(res, WASM_UNLINKABLE, "canon lift (func %" PRIu32 "): the "
                                    "core function has type %s, the function type needs %s",
                                    cn->result, sig ? sig : "?", f->type->lift_sig);
    v->func = f;
    return 0;
}

static int eval_lower(rinst *r, const component_canon *cn, rval *v, wasm_result *res)
{
    rval *callee = component_rinst_eval(r, COMPONENT_SORT_FUNC, cn->func, res);
    if (!callee)
        return -1;
    v->ext.kind = WASM_EXTERN_FUNC;
    v->ext.of.func = component_lower_func(r, cn, callee->func, res);
    return v->ext.of.func ? 0 : -1;
}

static int eval_canon(rinst *r, const component_canon *cn, rval *v, wasm_result *res)
{
    switch (cn->kind) {
    case COMPONENT_CANON_LIFT:
        return eval_lift(r, cn, v, res);
    case COMPONENT_CANON_LOWER:
        return eval_lower(r, cn, v, res);
    case COMPONENT_CANON_RESOURCE_NEW:
    case COMPONENT_CANON_RESOURCE_DROP:
    case COMPONENT_CANON_RESOURCE_REP: {
        component_resource_type *t = resource_at(r->p, cn->type, res);
        if (!t)
            return -1;
        v->ext.kind = WASM_EXTERN_FUNC;
        v->ext.of.func = component_resource_builtin(r, cn, t, res);
        return v->ext.of.func ? 0 : -1;
    }
    default:
        return component_rinst_trap(res, WASM_UNLINKABLE, "canon %s is not supported",
                                    component_canon_name(cn->kind));
    }
}

static int run_rinst(rinst *r, wasm_result *res);

/* The arguments of core instance definition `def`, evaluated in order as
 * the name path evaluates them (inline ones with all their members), so
 * both paths make the same definitions and meet the same errors. */
static int eval_core_args(rinst *r, const component_instance_def *def, rval **out,
                          wasm_result *res)
{
    for (uint32_t i = 0; i < def->nargs; i++) {
        rval *a = component_rinst_eval(r, COMPONENT_SORT_CORE_INSTANCE, def->args[i].index, res);
        if (!a)
            return -1;
        out[i] = a;
        if (a->core->inst)
            continue;
        rinst *in = a->core->inline_in;
        const component_instance_def *idef = &in->p->c->instances[a->core->def];
        for (uint32_t k = 0; k < idef->nargs; k++)
            if (!component_rinst_eval(in, idef->args[k].sort, idef->args[k].index, res))
                return -1;
    }
    return 0;
}

/* The import vector of a planned definition (coreplan.c), by position. */
static int planned_imports(const core_plan *plan, rval **args, wasm_extern *imps,
                           wasm_result *res)
{
    for (uint32_t i = 0; i < plan->nimports; i++) {
        const core_import_src *src = &plan->src[i];
        rcore *a = args[src->arg]->core;
        if (a->inst) {
            if (!wasm_instance_export_at(a->inst, src->at, &imps[i]))
                return component_rinst_trap(res, WASM_UNLINKABLE, "import %" PRIu32 ": no "
                                            "export %" PRIu32, i, src->at);
            continue;
        }
        const component_arg *arg = &a->inline_in->p->c->instances[a->def].args[src->at];
        rval *x = component_rinst_eval(a->inline_in, arg->sort, arg->index, res);
        if (!x)
            return -1;
        imps[i] = x->ext;
    }
    return 0;
}

/* The name path: a linker filled with the arguments' members. */
static wasm_linker *linker_of_args(rinst *r, const component_instance_def *def, rval **args,
                                   wasm_module *m, wasm_result *res)
{
    wasm_linker *l = wasm_linker_new();
    for (uint32_t i = 0; i < def->nargs; i++) {
        rval *a = args[i];
        if (a->core->inst) {
            wasm_linker_define_instance(l, def->args[i].name, a->core->inst);
            continue;
        }
        rinst *in = a->core->inline_in;
        const component_instance_def *idef = &in->p->c->instances[a->core->def];
        for (uint32_t k = 0; k < idef->nargs; k++) {
            rval *x = component_rinst_eval(in, idef->args[k].sort, idef->args[k].index, res);
            if (!x) {
                wasm_linker_free(l);
                return NULL;
            }
            wasm_linker_define(l, def->args[i].name, idef->args[k].name, x->ext);
        }
    }
    /* a module made into a component: the embedder's imports (preview 1) */
    const component_core_host *host = &r->top->pre->core_host;
    if (host->define && r->p == r->top->pre->top && def->of == 0 &&
        host->define(host->env, l, r->top->store, m, r->top->data, res) < 0) {
        wasm_linker_free(l);
        return NULL;
    }
    return l;
}

static int instantiate_core(rinst *r, uint32_t d, const component_instance_def *def, rval *v,
                            wasm_result *res)
{
    wasm_module *m = module_of(r->p, def->of, res);
    if (!m)
        return -1;
    rval *small[16];
    rval **args = def->nargs <= 16 ? small : util_xcalloc(def->nargs, sizeof *args);
    const core_plan *plan = r->p->core_plans ? r->p->core_plans[d] : NULL;
    wasm_instance *inst = NULL;
    if (eval_core_args(r, def, args, res) == 0) {
        if (plan) {
            wasm_extern *imps = util_xcalloc(plan->nimports ? plan->nimports : 1, sizeof *imps);
            if (planned_imports(plan, args, imps, res) == 0)
                inst = wasm_instantiate_externs(r->top->store, m, imps, plan->nimports, res);
            free(imps);
        } else {
            wasm_linker *l = linker_of_args(r, def, args, m, res);
            if (l)
                inst = wasm_instantiate(r->top->store, m, l, res);
            wasm_linker_free(l);
        }
    }
    if (args != small)
        free(args);
    if (!inst) {
        char msg[sizeof res->message];
        memcpy(msg, res->message, sizeof msg);
        int n = snprintf(res->message, sizeof res->message, "core instance %" PRIu32 ": ",
                         def->index);
        if (n > 0 && (size_t)n < sizeof res->message)
            memcpy(res->message + n, msg, sizeof res->message - (size_t)n - 1);
        res->message[sizeof res->message - 1] = '\0';
        return -1;
    }
    v->core = component_instance_alloc(r->top, sizeof(rcore));
    v->core->inst = inst;
    return 0;
}

static int eval_instance(rinst *r, uint32_t d, rval *v, wasm_result *res)
{
    const component_instance_def *def = &r->p->c->instances[d];
    if (def->core && def->instantiate)
        return instantiate_core(r, d, def, v, res);
    if (def->core) {
        v->core = component_instance_alloc(r->top, sizeof(rcore));
        v->core->inline_in = r;
        v->core->def = d;
        return 0;
    }
    v->inst = component_instance_alloc(r->top, sizeof(rinstval));
    if (!def->instantiate) {
        v->inst->inline_in = r;
        v->inst->def = d;
        return 0;
    }
    pcomp *cp = r->p->children[d];
    if (!cp)
        return component_rinst_trap(res, WASM_UNLINKABLE, "instance %" PRIu32 " was not "
                                    "resolved", def->index);
    rinst *child = new_rinst(r->top, cp, r, d);
    r->children[d] = child;
    v->inst->child = child;
    return run_rinst(child, res);
}

static int eval_def(rinst *r, component_sort sort, uint32_t idx, rval *v, wasm_result *res)
{
    pcomp *p = r->p;
    pdef d = p->defs[sort][idx];
    switch (d.kind) {
    case PDEF_IMPORT:
        return eval_import(r, d.ref, v, res);
    case PDEF_ALIAS:
        return eval_alias(r, &p->c->aliases[d.ref], v, res);
    case PDEF_CANON:
        return eval_canon(r, &p->c->canons[d.ref], v, res);
    case PDEF_INSTANCE:
        return eval_instance(r, d.ref, v, res);
    case PDEF_EXPORT: {
        const component_extern *e = &p->c->exports[d.ref];
        rval *x = component_rinst_eval(r, e->sort, e->index, res);
        return x ? (copy_into(v, x), 0) : -1;
    }
    case PDEF_MODULE:
        return (v->module = module_of(p, idx, res)) ? 0 : -1;
    default:
        return 0; /* types, nested components: static only */
    }
}

rval *component_rinst_eval(rinst *r, component_sort sort, uint32_t idx, wasm_result *res)
{
    if (idx >= sort_count(r->p, sort))
        return component_rinst_trap(res, WASM_UNLINKABLE, "%s %" PRIu32 " out of range",
                                    component_sort_name(sort), idx), NULL;
    rval *v = &r->vals[sort][idx];
    if (v->done)
        return v;
    if (v->busy)
        return component_rinst_trap(res, WASM_UNLINKABLE, "%s %" PRIu32 " depends on itself",
                                    component_sort_name(sort), idx), NULL;
    if (r->top->eval_depth >= COMPONENT_MAX_RESOLVE_DEPTH)
        return component_rinst_trap(res, WASM_UNLINKABLE, "%s %" PRIu32 ": definitions nested "
                                    "deeper than %d", component_sort_name(sort), idx,
                                    COMPONENT_MAX_RESOLVE_DEPTH), NULL;
    v->busy = true;
    r->top->eval_depth++;
    int rc = eval_def(r, sort, idx, v, res);
    r->top->eval_depth--;
    v->busy = false;
    if (rc < 0)
        return NULL;
    v->sort = sort;
    v->done = true;
    return v;
}

/* The instance definitions, in the order the component wrote them. */
static int run_rinst(rinst *r, wasm_result *res)
{
    const component *c = r->p->c;
    for (uint32_t i = 0; i < c->ninstances; i++) {
        const component_instance_def *def = &c->instances[i];
        component_sort sort = def->core ? COMPONENT_SORT_CORE_INSTANCE : COMPONENT_SORT_INSTANCE;
        if (!component_rinst_eval(r, sort, def->index, res))
            return -1;
    }
    return 0;
}

int component_resource_dtor(component_instance *inst, component_resource_type *t,
                            rinst **owner, wasm_func **dtor, wasm_result *res)
{
    for (size_t i = 0; i < inst->nall; i++) {
        rinst *r = inst->all[i];
        for (uint32_t k = 0; k < r->p->c->ntypes; k++) {
            if (r->p->own_res[k] != t)
                continue;
            const component_type *ct = &r->p->c->types[k];
            *owner = r;
            *dtor = NULL;
            if (!ct->has_dtor)
                return 0;
            wasm_extern x;
            if (core_item(r, COMPONENT_SORT_CORE_FUNC, ct->dtor, &x, res) < 0)
                return -1;
            *dtor = x.of.func;
            return 0;
        }
    }
    return component_rinst_trap(res, WASM_TRAP, "resource %s belongs to no instance here",
                                t->name);
}

component_instance *component_instantiate(const component_pre *pre, wasm_store *store,
                                          void *data, wasm_result *res)
{
    wasm_result_init(res);
    component_instance *inst = util_xcalloc(1, sizeof *inst);
    inst->pre = pre;
    inst->store = store;
    inst->data = data;
    inst->call_arena = component_arena_new(CALL_ARENA_CAP);
    inst->result_arena = component_arena_new(CALL_ARENA_CAP);
    inst->root = new_rinst(inst, pre->top, NULL, 0);
    if (run_rinst(inst->root, res) < 0) {
        component_instance_free(inst);
        return NULL;
    }
    /* a hint for the next instance's first chunk: the pre is shared by
     * threads but otherwise read-only, and the hint is only a size */
    component_pre *hint = (component_pre *)pre;
    atomic_store_explicit(&hint->inst_bytes, inst->graph_bytes, memory_order_relaxed);
    return inst;
}

void component_instance_free(component_instance *inst)
{
    if (!inst)
        return;
    /* guest resources still held: their defining instances destroy them
     * (host ones are destroyed by the tables) */
    for (size_t i = inst->nall; i-- > 0;) {
        uint32_t h = 0;
        component_resource_type *t;
        uintptr_t rep;
        while (inst->all[i]->handles &&
               component_handles_next_own(inst->all[i]->handles, &h, &t, &rep)) {
            wasm_result res;
            wasm_result_init(&res);
            if (!t->host)
                (void)component_drop_own(inst, NULL, t, rep, &res);
        }
    }
    for (size_t i = inst->nall; i-- > 0;)
        component_handles_free(inst->all[i]->handles);
    free(inst->all);
    while (inst->chunks) {
        inst_chunk *next = inst->chunks->next;
        free(inst->chunks);
        inst->chunks = next;
    }
    for (size_t i = 0; i < inst->nfuncs; i++)
        free(inst->funcs[i]);
    free(inst->funcs);
    component_arena_free(inst->call_arena);
    component_arena_free(inst->result_arena);
    free(inst);
}
