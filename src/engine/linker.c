/*
 * linker.c - name -> extern definitions for resolving imports.
 *
 * A small open-addressing hash table keyed by (module, name); a Spin host
 * defines a few hundred names and instantiates once per request, so each
 * import resolves in O(1).  Later definitions replace earlier ones.
 *
 * A definition is one of two things.  An extern is borrowed: it belongs to
 * its store, and only a module instantiated into that store can import it.
 * A host function defined with wasm_linker_define_func belongs to no
 * store: it is (signature, fn, env), and instantiation makes a wasm_func
 * of it in whichever store the instance goes to, so one linker (and one
 * wasm_resolution of a module's imports, see instance.c) serves a store
 * per request.
 */
#include <string.h>

#include "runtime.h"

typedef struct link_entry {
    char *module;
    char *name;
    rt_link_def def; /* def.sig is owned */
} link_entry;

struct wasm_linker {
    link_entry *slots;
    size_t cap, len;
};

static uint64_t hash2(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ull;
    for (; *a; a++)
        h = (h ^ (uint8_t)*a) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (; *b; b++)
        h = (h ^ (uint8_t)*b) * 1099511628211ull;
    return h;
}

wasm_linker *wasm_linker_new(void)
{
    wasm_linker *l = util_xcalloc(1, sizeof *l);
    l->cap = 64;
    l->slots = util_xcalloc(l->cap, sizeof(link_entry));
    return l;
}

void wasm_linker_free(wasm_linker *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->cap; i++) {
        free(l->slots[i].module);
        free(l->slots[i].name);
        free(l->slots[i].def.sig);
    }
    free(l->slots);
    free(l);
}

static link_entry *find_slot(link_entry *slots, size_t cap, const char *module, const char *name)
{
    size_t i = hash2(module, name) & (cap - 1);
    for (;;) {
        link_entry *e = &slots[i];
        if (!e->module || (strcmp(e->module, module) == 0 && strcmp(e->name, name) == 0))
            return e;
        i = (i + 1) & (cap - 1);
    }
}

/* The entry for (module, name), made if new (its old definition freed). */
static link_entry *entry_for(wasm_linker *l, const char *module, const char *name)
{
    if ((l->len + 1) * 2 > l->cap) {
        size_t ncap = l->cap * 2;
        link_entry *ns = util_xcalloc(ncap, sizeof(link_entry));
        for (size_t i = 0; i < l->cap; i++)
            if (l->slots[i].module)
                *find_slot(ns, ncap, l->slots[i].module, l->slots[i].name) = l->slots[i];
        free(l->slots);
        l->slots = ns;
        l->cap = ncap;
    }
    link_entry *e = find_slot(l->slots, l->cap, module, name);
    if (!e->module) {
        e->module = util_xstrdup(module);
        e->name = util_xstrdup(name);
        l->len++;
    }
    free(e->def.sig);
    memset(&e->def, 0, sizeof(e->def));
    return e;
}

void wasm_linker_define(wasm_linker *l, const char *module, const char *name, wasm_extern ext)
{
    entry_for(l, module, name)->def.ext = ext;
}

int wasm_linker_define_func(wasm_linker *l, const char *module, const char *name,
                            const char *signature, wasm_host_fn fn, void *env)
{
    uint8_t *types;
    uint32_t np, nr;
    if (!fn || !signature || !wasm_rt_sig_parse(signature, &types, &np, &nr)) {
        util_log_error("wasm_linker_define_func %s::%s: malformed signature \"%s\"", module,
                       name, signature ? signature : "(null)");
        return -1;
    }
    free(types);
    rt_link_def *d = &entry_for(l, module, name)->def;
    d->host = true;
    d->sig = util_xstrdup(signature);
    d->fn = fn;
    d->env = env;
    return 0;
}

void wasm_linker_define_instance(wasm_linker *l, const char *module, wasm_instance *inst)
{
    for (uint32_t i = 0; i < inst->nexports; i++) {
        wasm_export_desc d = wasm_module_export(inst->module, i);
        wasm_linker_define(l, module, d.name, inst->exports[i]);
    }
}

wasm_func *wasm_linker_define_host(wasm_linker *l, wasm_store *s, const char *module,
                                   const char *name, const char *signature, wasm_host_fn fn,
                                   void *env)
{
    wasm_func *f = wasm_func_new_host(s, signature, fn, env, NULL);
    if (!f)
        return NULL;
    wasm_extern ext = {.kind = WASM_EXTERN_FUNC, .of.func = f};
    wasm_linker_define(l, module, name, ext);
    return f;
}

const rt_link_def *wasm_rt_linker_find(const wasm_linker *l, const char *module, const char *name)
{
    link_entry *e = find_slot(l->slots, l->cap, module, name);
    return e->module ? &e->def : NULL;
}

bool wasm_linker_get(const wasm_linker *l, const char *module, const char *name, wasm_extern *out)
{
    const rt_link_def *d = wasm_rt_linker_find(l, module, name);
    if (!d || d->host)
        return false;
    *out = d->ext;
    return true;
}

const char *wasm_linker_func_signature(const wasm_linker *l, const char *module,
                                       const char *name)
{
    const rt_link_def *d = wasm_rt_linker_find(l, module, name);
    if (!d)
        return NULL;
    if (d->host)
        return d->sig;
    return d->ext.kind == WASM_EXTERN_FUNC ? wasm_func_signature(d->ext.of.func) : NULL;
}
