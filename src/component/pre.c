/*
 * pre.c - component_pre: a component decoded, its core modules compiled
 * and its imports resolved against a linker, ready to be instantiated into
 * any number of stores.
 *
 * Design: the pre owns a copy of the bytes (core modules are ranges of
 * them), the decoded model, one type pool holding every resolved type, and
 * the compiled modules; resolve.c builds the plan (the pcomp tree) into
 * the pool.  The linker is read during component_pre_new; the plan points
 * at its host functions and resource types, so the pre holds a reference
 * on it (component_linker_retain) until it is freed.
 */
#include "instance_internal.h"

#include <string.h>

void component_pre_free(component_pre *pre)
{
    if (!pre)
        return;
    for (size_t i = 0; i < pre->nmodules; i++)
        wasm_module_free(pre->modules[i].m);
    free(pre->modules);
    component_rtype_pool_free(pre->pool);
    component_free(pre->c);
    if (pre->held)
        component_linker_release(pre->held);
    free(pre->bytes);
    free(pre);
}

const component *component_pre_component(const component_pre *pre)
{
    return pre->c;
}

/* A pre holding its own copy of the binary (the model points into it) and
 * an empty type pool: what building a pre and only visiting its imports
 * both start from. */
/* A pre holding `owned` (taken over: a malloc'd buffer of len bytes). */
static component_pre *pre_alloc_take(uint8_t *owned, size_t len)
{
    component_pre *pre = util_xcalloc(1, sizeof *pre);
    pre->bytes = owned;
    pre->len = len;
    pre->pool = component_rtype_pool_new();
    return pre;
}

static uint8_t *copy_bytes(const uint8_t *bytes, size_t len)
{
    uint8_t *copy = util_xmalloc(len ? len : 1);
    if (len)
        memcpy(copy, bytes, len);
    return copy;
}

static component_pre *pre_alloc(const uint8_t *bytes, size_t len)
{
    return pre_alloc_take(copy_bytes(bytes, len), len);
}

component_pre *component_pre_new(const uint8_t *bytes, size_t len, const component_linker *l,
                                 util_error **err)
{
    return component_pre_new_take(copy_bytes(bytes, len), len, l, err);
}

component_pre *component_pre_new_take(uint8_t *bytes, size_t len, const component_linker *l,
                                      util_error **err)
{
    return component_pre_new_take_core(bytes, len, l, NULL, err);
}

component_pre *component_pre_new_take_core(uint8_t *bytes, size_t len, const component_linker *l,
                                           const component_core_host *host, util_error **err)
{
    util_error *e = NULL;
    component_pre *pre = pre_alloc_take(bytes ? bytes : util_xmalloc(1), len);
    pre->linker = l;
    if (host)
        pre->core_host = *host;
    if (component_decode(pre->bytes, len, &pre->c, &e) < 0) {
        util_error_wrap(&e, "malformed component");
        goto fail;
    }
    pre->top = component_pcomp_top(pre);
    if (component_pcomp_build(pre, pre->top, &e) < 0)
        goto fail;
    pre->linker = NULL;
    if (l)
        pre->held = component_linker_retain(l);
    return pre;
fail:
    component_pre_free(pre);
    if (err)
        *err = e;
    else
        util_error_free(&e);
    return NULL;
}

int component_visit_imports(const uint8_t *bytes, size_t len,
                            void (*visit)(void *env, const char *interface, const char *name,
                                          const component_rfunc *func,
                                          component_resource_type *res,
                                          const component_rtype *vtype),
                            void *env, util_error **err)
{
    component_pre *pre = pre_alloc(bytes, len);
    pre->visit = visit;
    pre->visit_env = env;
    int rc = -1;
    if (component_decode(pre->bytes, len, &pre->c, err) == 0) {
        pcomp *top = component_pcomp_top(pre);
        rc = 0;
        for (uint32_t i = 0; i < pre->c->nimports && rc == 0; i++) {
            const component_extern *imp = &pre->c->imports[i];
            if (!component_pcomp_item(top, imp->desc.sort, imp->index, err))
                rc = -1;
        }
    }
    component_pre_free(pre);
    return rc;
}
