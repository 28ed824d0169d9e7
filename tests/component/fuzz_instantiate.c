/*
 * fuzz_instantiate.c - libFuzzer target for linking and instantiation
 * (resolve.c, pre.c, instantiate.c): any component must be refused with
 * an error or link and instantiate (running its start functions under a
 * deadline and a memory cap) against a linker that serves exactly what it
 * imports, without crashing, leaking or recursing without bound.  Seeds:
 * the shared corpus of components.
 */
#include "instance_internal.h"

#include <string.h>
#include <time.h>

static int refuse(component_call *call, void *env, const component_val *args, size_t nargs,
                  component_val *result)
{
    (void)env, (void)args, (void)nargs, (void)result;
    return component_call_trap(call, "fuzz host");
}

typedef struct serve {
    component_linker *l;
    component_resource_type *declared[64], *host[64];
    size_t n;
} serve;

static void visit(void *env, const char *interface, const char *name, const component_rfunc *func,
                  component_resource_type *res, const component_rtype *vtype)
{
    serve *s = env;
    util_error *err = NULL;
    char text[2048];
    if (vtype) {
        component_rtype_format(vtype, text, sizeof text);
        (void)component_linker_define_type(s->l, interface, name, text, &err);
    } else if (res) {
        for (size_t i = 0; i < s->n; i++)
            if (s->declared[i] == res) {
                (void)component_linker_alias_resource(s->l, interface, name, s->host[i], &err);
                util_error_free(&err);
                return;
            }
        component_resource_type *h =
            component_linker_define_resource(s->l, interface, name, NULL, &err);
        if (h && s->n < 64) {
            s->declared[s->n] = res;
            s->host[s->n++] = h;
        }
    } else {
        component_rfunc_format(func, text, sizeof text);
        (void)component_linker_define_func(s->l, interface, name, text, refuse, NULL, &err);
    }
    util_error_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!component_is_component(data, size))
        return 0;
    serve s = {.l = component_linker_new()};
    util_error *err = NULL;
    component_pre *pre = NULL;
    if (component_visit_imports(data, size, visit, &s, &err) == 0)
        pre = component_pre_new(data, size, s.l, &err);
    util_error_free(&err);
    component_linker_free(s.l);
    if (!pre)
        return 0;
    wasm_store_config cfg = {.max_call_depth = 2000, .max_memory_bytes = 64u << 20};
    wasm_store *store = wasm_store_new(&cfg);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    wasm_store_set_deadline(store, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec +
                                       200000000u);
    wasm_result res;
    component_instance *inst = component_instantiate(pre, store, NULL, &res);
    component_instance_free(inst);
    wasm_store_free(store);
    component_pre_free(pre);
    return 0;
}
