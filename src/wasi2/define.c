/*
 * define.c - wasi2_define: every WASI 0.2 interface of the layer into a
 * component linker, in dependency order (wasi:io first: the others `use`
 * its resource types).  The pre-release names (rc.c, rc_fsnet.c) come
 * last: they alias the resource types the 0.2 registration made.
 *
 * One wasi2_host per registration is the env of all its host functions: it
 * finds the instance's ctx (get_ctx) and holds the resource types the
 * functions hand out (an own<pollable> needs its type).  The linker keeps
 * it as long as those types live (component_linker_keep).
 */
#include "fsnet.h"
#include "http_internal.h"

wasi2_ctx *wasi2_host_ctx(const wasi2_host *h, component_call *call)
{
    void *data = component_call_data(call);
    return h->get_ctx ? h->get_ctx(data) : data;
}

int wasi2_define_funcs(component_linker *l, const char *iface, const wasi2_func *funcs,
                       size_t n, wasi2_host *h, util_error **err)
{
    for (size_t i = 0; i < n; i++)
        if (component_linker_define_func(l, iface, funcs[i].name, funcs[i].signature,
                                         funcs[i].fn, h, err) < 0)
            return -1;
    return 0;
}

int wasi2_define_reg(component_linker *l, wasi2_ctx *(*get_ctx)(void *data),
                     const wasi2_registration **reg, util_error **err)
{
    wasi2_host *h = util_xcalloc(1, sizeof(*h));
    h->get_ctx = get_ctx;
    component_linker_keep(l, h, free);
    if (wasi2_define_io(l, h, err) < 0 || wasi2_define_clocks(l, h, err) < 0 ||
        wasi2_define_random(l, h, err) < 0 || wasi2_define_cli(l, h, err) < 0 ||
        wasi2_define_fsnet(l, h, err) < 0 || wasi2_define_rc(l, h, err) < 0 ||
        wasi2_define_http(l, h, err) < 0)
        return util_error_wrap(err, "wasi2");
    if (reg)
        *reg = h;
    return 0;
}

int wasi2_define(component_linker *l, wasi2_ctx *(*get_ctx)(void *data), util_error **err)
{
    return wasi2_define_reg(l, get_ctx, NULL, err);
}
