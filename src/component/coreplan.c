/*
 * coreplan.c - how a component's core instances link, worked out once per
 * component_pre instead of by name in every instance (issue #15).
 *
 * A core instance definition `(instance (instantiate $m (with "env"
 * (instance $i)) ...))` says by name which argument serves which import
 * module, and the import's field names the export of that argument.  Both
 * names and everything they lead to are fixed by the component: the
 * argument is a core instance definition whose module (or inline export
 * list) is known before any instance exists.  So at pre time each import
 * of each instantiated module becomes a pair of numbers, (argument, export
 * number of that argument's module instance / position in its inline
 * list), and each alias of a core export an export number; an
 * instantiation then fills the engine's import vector by position
 * (wasm_instantiate_externs) and reads exports by position, never hashing
 * or comparing a name.
 *
 * What cannot be worked out statically (an import no argument serves, a
 * module the embedder completes with its own imports, an argument that is
 * no core instance definition) keeps no plan: instantiate.c links that
 * definition by name as before, which also reports the error exactly as
 * before.  The choice among arguments follows the linker the name path
 * builds: a later argument of the same name replaces an earlier one's
 * definitions, field by field.
 */
#include "instance_internal.h"

#include <string.h>

#define NO_EXPORT UINT32_MAX

static void *plan_alloc(component_pre *pre, size_t size)
{
    void *p = component_rtype_pool_alloc(pre->pool, size ? size : 1);
    if (!p)
        abort(); /* out of memory, as util_xmalloc does */
    memset(p, 0, size ? size : 1);
    return p;
}

/* The module core module index `idx` of p names, following exports and
 * outer aliases as instantiate.c's module_of does; NULL when it is not
 * statically an embedded module. */
static wasm_module *static_module(pcomp *p, uint32_t idx)
{
    for (int hops = 0; p && hops < 64; hops++) {
        if (idx >= component_count(p->c, COMPONENT_SORT_CORE_MODULE))
            return NULL;
        pdef d = p->defs[COMPONENT_SORT_CORE_MODULE][idx];
        if (d.kind == PDEF_MODULE)
            return component_pre_module(p->pre, p->c, d.ref, NULL);
        if (d.kind == PDEF_EXPORT) {
            idx = p->c->exports[d.ref].index;
            continue;
        }
        if (d.kind != PDEF_ALIAS || p->c->aliases[d.ref].kind != COMPONENT_ALIAS_OUTER)
            return NULL;
        const component_alias *a = &p->c->aliases[d.ref];
        for (uint32_t i = 0; i < a->outer_count && p; i++)
            p = p->outer;
        idx = a->outer_index;
    }
    return NULL;
}

/* The core instance definition behind core instance index `idx`, or NULL. */
static const component_instance_def *core_def(const pcomp *p, uint32_t idx)
{
    if (idx >= component_count(p->c, COMPONENT_SORT_CORE_INSTANCE))
        return NULL;
    pdef d = p->defs[COMPONENT_SORT_CORE_INSTANCE][idx];
    if (d.kind != PDEF_INSTANCE || !p->c->instances[d.ref].core)
        return NULL;
    return &p->c->instances[d.ref];
}

/* Export number of `name` in module m, or NO_EXPORT. */
static uint32_t export_number(const wasm_module *m, const char *name)
{
    size_t n = wasm_module_export_count(m);
    for (size_t i = 0; i < n; i++)
        if (strcmp(wasm_module_export(m, i).name, name) == 0)
            return (uint32_t)i;
    return NO_EXPORT;
}

/* Where core instance definition `def` (of p) has `name`: an export
 * number of its module, or the last inline argument of that name (the
 * linker keeps the last definition); NO_EXPORT if nowhere. */
static uint32_t member_of(pcomp *p, const component_instance_def *def, const char *name)
{
    if (def->instantiate) {
        wasm_module *m = static_module(p, def->of);
        return m ? export_number(m, name) : NO_EXPORT;
    }
    for (uint32_t k = def->nargs; k-- > 0;)
        if (strcmp(def->args[k].name, name) == 0)
            return k;
    return NO_EXPORT;
}

static core_plan *plan_instance(pcomp *p, const component_instance_def *def)
{
    const component_core_host *host = &p->pre->core_host;
    if (host->define && p == p->pre->top && def->of == 0)
        return NULL; /* the embedder adds imports by name */
    wasm_module *m = static_module(p, def->of);
    if (!m)
        return NULL;
    for (uint32_t k = 0; k < def->nargs; k++)
        if (!core_def(p, def->args[k].index))
            return NULL;
    size_t n = wasm_module_import_count(m);
    core_plan *plan = plan_alloc(p->pre, sizeof *plan);
    plan->m = m;
    plan->nimports = (uint32_t)n;
    plan->src = plan_alloc(p->pre, n * sizeof *plan->src);
    for (size_t i = 0; i < n; i++) {
        wasm_import_desc d = wasm_module_import(m, i);
        uint32_t at = NO_EXPORT, k = def->nargs;
        while (at == NO_EXPORT && k-- > 0)
            if (strcmp(def->args[k].name, d.module) == 0)
                at = member_of(p, core_def(p, def->args[k].index), d.name);
        if (at == NO_EXPORT)
            return NULL; /* unlinkable: the name path says so */
        plan->src[i] = (core_import_src){.arg = k, .at = at};
    }
    return plan;
}

void component_pcomp_plan(pcomp *p)
{
    const component *c = p->c;
    p->core_plans = plan_alloc(p->pre, c->ninstances * sizeof *p->core_plans);
    for (uint32_t d = 0; d < c->ninstances; d++) {
        const component_instance_def *def = &c->instances[d];
        if (def->core && def->instantiate)
            p->core_plans[d] = plan_instance(p, def);
    }
    p->alias_hint = plan_alloc(p->pre, c->naliases * sizeof *p->alias_hint);
    for (uint32_t i = 0; i < c->naliases; i++)
        atomic_init(&p->alias_hint[i], UINT32_MAX);
    p->alias_export = plan_alloc(p->pre, c->naliases * sizeof *p->alias_export);
    for (uint32_t i = 0; i < c->naliases; i++) {
        const component_alias *a = &c->aliases[i];
        const component_instance_def *def = NULL;
        p->alias_export[i] = NO_EXPORT;
        if (a->kind == COMPONENT_ALIAS_CORE_EXPORT && (def = core_def(p, a->instance)) &&
            def->instantiate)
            p->alias_export[i] = member_of(p, def, a->name);
    }
}
