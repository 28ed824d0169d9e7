/*
 * trampoline.c - the core functions a component's core modules call to
 * leave it: canon lower (into the host, or into another component
 * instance's lifted function) and the resource built-ins over the
 * instance's handle table; and calls into lifted functions.
 *
 * Design: each such core function is a host function of the store
 * (wasm_func_new_host) whose env records what the canon definition said:
 * the callee, the lowering options (memory, realloc, string encoding) and
 * the lowering instance (its handle table, its may-enter flag).  A call
 * lifts the core arguments into the instance's call arena, runs the
 * callee (a host function through a component_call, or a guest function:
 * lower into it, call, lift back, post-return), lowers the result into
 * the caller and ends the call's borrow scope.  The call arena is emptied
 * when the outermost trampoline returns, so a guest calling the host in a
 * loop uses the same few chunks.
 */
#include "instance_internal.h"

#include <string.h>

typedef struct lower_env {
    rinst *r;
    cfunc *callee;
    wasm_memory *memory;
    wasm_func *realloc;
    component_string_encoding encoding;
    uint32_t ncore_params;
} lower_env;

static uint32_t sig_params(const char *sig)
{
    const char *colon = strchr(sig, ':');
    return colon ? (uint32_t)(colon - sig) : 0;
}

/* A trap or exit of `res` passed on to the guest that called. */
static int pass_on(wasm_caller *caller, const wasm_result *res)
{
    if (res->kind == WASM_EXIT)
        return wasm_caller_exit(caller, res->exit_code);
    return wasm_caller_trap(caller, "%s", res->message[0] ? res->message : "trap");
}

static int call_host(component_instance *inst, const cfunc *f, const component_val *args,
                     component_val *result, wasm_result *res)
{
    component_call call = {.arena = inst->call_arena, .data = inst->data, .store = inst->store,
                           .exit_code = -1};
    int rc = f->host->fn(&call, f->host->env, args, f->type->nparams,
                         f->type->result ? result : NULL);
    if (call.exited) {
        res->kind = WASM_EXIT;
        res->exit_code = call.exit_code;
        snprintf(res->message, sizeof res->message, "exit %d", call.exit_code);
        return -1;
    }
    if (rc < 0 || call.trapped)
        return component_rinst_trap(res, WASM_TRAP, "%s",
                                    call.message[0] ? call.message : "host function failed");
    return 0;
}

static int run_callee(component_instance *inst, cfunc *f, const component_val *args,
                      component_val *result, wasm_result *res)
{
    if (f->host)
        return call_host(inst, f, args, result, res);
    wasm_val core_results[COMPONENT_MAX_FLAT_RESULTS];
    if (component_call_lifted(f, inst->call_arena, args, result, core_results, res) < 0)
        return -1;
    return component_run_post_return(f, core_results, res);
}

static int lower_trampoline(wasm_caller *caller, void *env, const wasm_val *args,
                            wasm_val *results)
{
    lower_env *e = env;
    component_instance *inst = e->r->top;
    const component_rfunc *f = e->callee->type;
    wasm_result res;
    wasm_result_init(&res);
    uint32_t scope = ++inst->next_scope;
    component_abi_cx cx = {.store = inst->store, .memory = e->memory, .realloc = e->realloc,
                           .encoding = e->encoding, .arena = inst->call_arena,
                           .handles = e->r->handles, .scope = scope, .res = &res,
                           .may_leave = &e->r->may_leave};
    /* a guest's realloc or post-return must not call out (may_leave) */
    if (!e->r->may_leave) {
        component_rinst_trap(&res, WASM_TRAP, "cannot leave component instance: an import "
                             "called from realloc or post-return");
        return pass_on(caller, &res);
    }
    component_val *vals = component_arena_alloc(inst->call_arena,
                                                 (f->nparams ? f->nparams : 1) * sizeof *vals);
    component_val result;
    memset(&result, 0, sizeof result);
    int rc = -1;
    inst->trampoline_depth++;
    if (!vals) {
        component_rinst_trap(&res, WASM_TRAP, "out of memory for arguments");
        goto out;
    }
    if (component_abi_lift_params(&cx, f, args, vals) < 0 ||
        run_callee(inst, e->callee, vals, &result, &res) < 0)
        goto out;
    uint32_t retptr = f->result_in_memory ? (uint32_t)args[e->ncore_params - 1].i32 : 0;
    if (f->result && component_abi_lower_result(&cx, f, &result, results, retptr) < 0)
        goto out;
    if (component_handles_end_call(e->r->handles, scope, &res) < 0)
        goto out;
    rc = 0;
out:
    if (--inst->trampoline_depth == 0)
        component_arena_reset(inst->call_arena);
    return rc < 0 ? pass_on(caller, &res) : 0;
}

wasm_func *component_lower_func(rinst *r, const component_canon *cn, cfunc *callee,
                                wasm_result *res)
{
    /* in the instance's arena: the store's function outlives no call the
     * instance can take (it is freed first), so nothing frees it alone */
    lower_env *e = component_instance_alloc(r->top, sizeof *e);
    e->r = r;
    e->callee = callee;
    e->encoding = cn->encoding;
    if (cn->has_memory) {
        rval *m = component_rinst_eval(r, COMPONENT_SORT_CORE_MEMORY, cn->memory, res);
        if (!m)
            goto fail;
        e->memory = m->ext.of.memory;
    }
    if (cn->has_realloc) {
        rval *f = component_rinst_eval(r, COMPONENT_SORT_CORE_FUNC, cn->realloc, res);
        if (!f)
            goto fail;
        e->realloc = f->ext.of.func;
    }
    e->ncore_params = sig_params(callee->type->lower_sig);
    wasm_func *fn = wasm_func_new_host(r->top->store, callee->type->lower_sig, lower_trampoline,
                                       e, NULL);
    if (!fn) {
        component_rinst_trap(res, WASM_UNLINKABLE, "canon lower: bad signature %s",
                             callee->type->lower_sig);
        goto fail;
    }
    return fn;
fail:
    return NULL;
}

/* ---- calls into lifted functions ------------------------------------------------- */

int component_call_lifted(cfunc *f, component_arena *arena, const component_val *args,
                          component_val *result, wasm_val *core_results, wasm_result *res)
{
    rinst *o = f->owner;
    component_instance *inst = o->top;
    const component_rfunc *t = f->type;
    if (!o->may_enter)
        return component_rinst_trap(res, WASM_TRAP, "cannot enter component instance");
    o->may_enter = false;
    uint32_t scope = ++inst->next_scope;
    component_abi_cx cx = {.store = inst->store, .memory = f->memory, .realloc = f->realloc,
                           .encoding = f->encoding, .arena = arena, .handles = o->handles,
                           .scope = scope, .res = res, .may_leave = &o->may_leave};
    wasm_val core[COMPONENT_MAX_FLAT_PARAMS + 1];
    memset(core, 0, sizeof core);
    if (component_abi_lower_params(&cx, t, args, core) < 0)
        return -1;
    if (wasm_func_call(inst->store, f->core, core, t->nflat_params, core_results,
                       t->nflat_results, res) < 0)
        return -1;
    if (t->result && component_abi_lift_result(&cx, t, core_results, result) < 0)
        return -1;
    return component_handles_end_call(o->handles, scope, res);
}

int component_run_post_return(cfunc *f, wasm_val *core_results, wasm_result *res)
{
    rinst *o = f->owner;
    if (f->post_return) {
        o->may_leave = false;
        int rc = wasm_func_call(o->top->store, f->post_return, core_results,
                                f->type->nflat_results, NULL, 0, res);
        o->may_leave = true;
        if (rc < 0)
            return -1;
    }
    o->may_enter = true;
    return 0;
}

/* ---- resources ---------------------------------------------------------------------- */

int component_drop_own(component_instance *inst, rinst *from, component_resource_type *t,
                       uintptr_t rep, wasm_result *res)
{
    if (t->host) {
        if (t->host_dtor)
            t->host_dtor(rep);
        return 0;
    }
    rinst *owner;
    wasm_func *dtor;
    if (component_resource_dtor(inst, t, &owner, &dtor, res) < 0)
        return -1;
    if (!dtor)
        return 0;
    /* the defining instance runs its own destructor even while it is on
     * the stack; any other must be enterable (the spec's may_enter) */
    if (owner != from && !owner->may_enter)
        return component_rinst_trap(res, WASM_TRAP, "cannot enter component instance");
    wasm_val arg = {.i32 = (int32_t)rep};
    return wasm_func_call(inst->store, dtor, &arg, 1, NULL, 0, res);
}

typedef struct resource_env {
    rinst *r;
    component_resource_type *t;
} resource_env;

static int resource_new(wasm_caller *caller, void *env, const wasm_val *args, wasm_val *results)
{
    resource_env *e = env;
    uint32_t h = component_handles_new_own(e->r->handles, e->t, (uint32_t)args[0].i32);
    if (!h)
        return wasm_caller_trap(caller, "resource table of %s is full", e->t->name);
    results[0].i32 = (int32_t)h;
    return 0;
}

static int resource_rep(wasm_caller *caller, void *env, const wasm_val *args, wasm_val *results)
{
    resource_env *e = env;
    wasm_result res;
    uintptr_t rep;
    wasm_result_init(&res);
    if (component_handles_rep(e->r->handles, (uint32_t)args[0].i32, e->t, &rep, &res) < 0)
        return pass_on(caller, &res);
    results[0].i32 = (int32_t)(uint32_t)rep;
    return 0;
}

static int resource_drop(wasm_caller *caller, void *env, const wasm_val *args, wasm_val *results)
{
    (void)results;
    resource_env *e = env;
    wasm_result res;
    uintptr_t rep;
    bool run_dtor = false;
    wasm_result_init(&res);
    if (component_handles_drop(e->r->handles, (uint32_t)args[0].i32, e->t, &rep, &run_dtor,
                               &res) < 0 ||
        (run_dtor && component_drop_own(e->r->top, e->r, e->t, rep, &res) < 0))
        return pass_on(caller, &res);
    return 0;
}

wasm_func *component_resource_builtin(rinst *r, const component_canon *cn,
                                      component_resource_type *t, wasm_result *res)
{
    if (!t->host && t->guest_def && t->guest_def->rep != 0x7f && cn->kind != COMPONENT_CANON_RESOURCE_DROP) {
        component_rinst_trap(res, WASM_UNLINKABLE, "resource %s: only i32 representations "
                             "are supported", t->name);
        return NULL;
    }
    resource_env *e = component_instance_alloc(r->top, sizeof *e);
    e->r = r;
    e->t = t;
    wasm_host_fn fn = cn->kind == COMPONENT_CANON_RESOURCE_NEW   ? resource_new
                      : cn->kind == COMPONENT_CANON_RESOURCE_REP ? resource_rep
                                                                 : resource_drop;
    const char *sig = cn->kind == COMPONENT_CANON_RESOURCE_DROP ? "i:" : "i:i";
    return wasm_func_new_host(r->top->store, sig, fn, e, NULL);
}
