/*
 * exports.c - what the host sees of an instance: its exported functions
 * (top-level, or inside an exported instance matched by semver as imports
 * are), calls into them, post-return, and dropping guest resources the
 * host holds.
 *
 * Design: a component_func wraps the run-time cfunc of the export and its
 * signature text; it is made on first lookup and lives as long as the
 * instance.  A call's lifted result lives in the instance's result arena
 * until component_func_post_return, which must come before the next call
 * (the component model's rule: post-return ends the call, and the
 * instance may not be entered again before).
 */
#include "instance_internal.h"

#include <string.h>

static bool same_interface(const char *a, const char *b)
{
    char ka[512], kb[512];
    component_semver_key(a, ka, sizeof ka);
    component_semver_key(b, kb, sizeof kb);
    return strcmp(ka, kb) == 0;
}

static const component_func *wrap(component_instance *inst, cfunc *f)
{
    for (size_t i = 0; i < inst->nfuncs; i++)
        if (inst->funcs[i]->f == f)
            return inst->funcs[i];
    if (inst->nfuncs == inst->funcs_cap) {
        inst->funcs_cap = inst->funcs_cap ? inst->funcs_cap * 2 : 8;
        inst->funcs = util_xrealloc(inst->funcs, inst->funcs_cap * sizeof *inst->funcs);
    }
    component_func *cf = util_xcalloc(1, sizeof *cf);
    cf->f = f;
    component_rfunc_format(f->type, cf->signature, sizeof cf->signature);
    inst->funcs[inst->nfuncs++] = cf;
    return cf;
}

static cfunc *exported_func(component_instance *inst, const char *interface, const char *name)
{
    rinst *root = inst->root;
    const component *c = root->p->c;
    wasm_result res;
    wasm_result_init(&res);
    for (uint32_t i = 0; i < c->nexports; i++) {
        const component_extern *e = &c->exports[i];
        if (!interface) {
            if (e->sort != COMPONENT_SORT_FUNC || strcmp(e->name.text, name) != 0)
                continue;
            rval *v = component_rinst_eval(root, COMPONENT_SORT_FUNC, e->index, &res);
            return v ? v->func : NULL;
        }
        if (e->sort != COMPONENT_SORT_INSTANCE || !same_interface(e->name.text, interface))
            continue;
        rval *iv = component_rinst_eval(root, COMPONENT_SORT_INSTANCE, e->index, &res);
        rval *v = iv ? component_rinstval_find(iv->inst, name, &res) : NULL;
        return v && v->sort == COMPONENT_SORT_FUNC ? v->func : NULL;
    }
    return NULL;
}

const component_func *component_instance_func(component_instance *inst, const char *interface,
                                              const char *name)
{
    cfunc *f = exported_func(inst, interface, name);
    return f ? wrap(inst, f) : NULL;
}

const char *component_func_signature(const component_func *f)
{
    return f->signature;
}

int component_func_call(component_instance *inst, const component_func *f,
                        const component_val *args, size_t nargs, component_val *result,
                        wasm_result *res)
{
    wasm_result_init(res);
    const component_rfunc *t = f->f->type;
    if (inst->pending)
        return component_rinst_trap(res, WASM_TRAP, "post-return of the previous call has not "
                                    "run");
    if (nargs != t->nparams)
        return component_rinst_trap(res, WASM_TRAP, "%zu arguments given, the function takes "
                                    "%" PRIu32, nargs, t->nparams);
    component_val scratch;
    if (!result)
        result = &scratch;
    memset(result, 0, sizeof *result);
    component_arena_reset(inst->result_arena);
    if (f->f->host) {
        component_call call = {.arena = inst->result_arena, .data = inst->data,
                               .store = inst->store, .exit_code = -1};
        int rc = f->f->host->fn(&call, f->f->host->env, args, nargs, t->result ? result : NULL);
        if (call.exited) {
            res->kind = WASM_EXIT;
            res->exit_code = call.exit_code;
            return -1;
        }
        if (rc < 0 || call.trapped)
            return component_rinst_trap(res, WASM_TRAP, "%s", call.message);
    } else if (component_call_lifted(f->f, inst->result_arena, args, result,
                                     inst->pending_results, res) < 0) {
        return -1;
    }
    inst->pending = f;
    return 0;
}

int component_func_post_return(component_instance *inst, const component_func *f,
                               wasm_result *res)
{
    wasm_result_init(res);
    if (inst->pending != f)
        return component_rinst_trap(res, WASM_TRAP, "post-return without a call of this "
                                    "function");
    inst->pending = NULL;
    int rc = f->f->host ? 0 : component_run_post_return(f->f, inst->pending_results, res);
    component_arena_reset(inst->result_arena);
    return rc;
}

int component_resource_drop(component_instance *inst, const component_val *own, wasm_result *res)
{
    wasm_result_init(res);
    if (own->kind != COMPONENT_VAL_OWN || !own->of.resource.type)
        return component_rinst_trap(res, WASM_TRAP, "component_resource_drop of a value that "
                                    "is no own handle");
    return component_drop_own(inst, NULL, own->of.resource.type, own->of.resource.rep, res);
}
