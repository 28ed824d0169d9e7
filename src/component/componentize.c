/*
 * componentize.c - a component made from a core module that carries its
 * WIT world (wit-bindgen's `component-type*` custom sections): what Spin
 * does at load for modules built with the Rust spin-sdk 2.x and other
 * wit-bindgen SDKs (crates/componentize, wit-component's ComponentEncoder).
 *
 * Why and how.  Spin gives such a module the preview-1 reactor adapter, a
 * second core module built from Rust sources that turns its
 * `wasi_snapshot_preview1` imports into WASI 0.2 calls.  No adapter can
 * ship here (all code is written in this tree), so those imports are
 * left to the embedder (component_core_host: the Spin host serves them
 * with its own preview 1, configured like the component's WASI 0.2
 * context), and everything else is what wit-component would produce:
 *   - every import whose module name is an interface of the world
 *     (`wasi:http/types@0.2.0-rc-2023-10-18`) is a canon lower of that
 *     interface's function (string encoding from the section, the
 *     module's memory, realloc = cabi_import_realloc or cabi_realloc);
 *     `[resource-drop]R` is canon resource.drop of the interface's R;
 *     module `$root` names the world's own function imports;
 *   - every export `iface#func` (or a world-level function's name) is a
 *     canon lift with the same options (realloc = cabi_export_realloc or
 *     cabi_realloc) and post-return `cabi_post_<export>` when present,
 *     gathered into an exported instance per interface;
 *   - `_initialize`, if exported, runs once the imports are in place.
 * The lowered functions need the module's memory, which exists only once
 * the module is instantiated: as wit-component does, a shim module
 * exports a funcref table and one function per import that calls through
 * it; the main module imports those; after it is instantiated the lowered
 * functions are put into the table by a fixup module's element segment.
 *
 * The component is synthesised as a binary and given to the existing
 * decoder and linker (component_pre_new), rather than built as decoded
 * structures: every check the runtime makes of real components (types of
 * imports against the host's, canonical-ABI options, resources) applies
 * unchanged, the result can be printed and inspected with wasm-tools, and
 * this file depends on nothing of the runtime's internals.  The world's
 * types are re-encoded (componentize_emit.c) so that only the interfaces
 * and functions the module uses are imported, as after wit-component's
 * pruning: a host need not have every interface a world names.
 */
#include "componentize.h"

#include "instance_internal.h"

#include <string.h>

#define RESOURCE_DROP "[resource-drop]"

typedef enum { ITEM_LOWER, ITEM_DROP } item_kind;

/* One import of the module that the world serves. */
typedef struct cz_item {
    const char *module, *field, *sig;
    item_kind kind;
    size_t world;
    const component_extern *imp; /* the world's instance import; NULL: $root */
    const component_extern *fn;  /* the function (ITEM_LOWER) */
    uint32_t func;               /* its component func index */
    uint32_t shim;               /* the shim's function for it */
    uint32_t core;               /* the lowered / dropping core func */
} cz_item;

/* One export of the module that the world declares. */
typedef struct cz_lift {
    const char *core_name; /* "wasi:http/incoming-handler@...#handle" or "run" */
    size_t world;
    const component_extern *iface; /* the world's instance export; NULL: a world function */
    const component_extern *fn;
} cz_lift;

typedef struct cz_plan {
    const uint8_t *bytes;
    size_t len;
    wasm_module *wm;
    cz_world *worlds;
    size_t nworlds;
    cz_scope *pkg_scopes, *world_scopes;
    cz_item *items;
    size_t nitems, nlower;
    cz_lift *lifts;
    size_t nlifts;
    bool memory, initialize;
    const char *import_realloc, *export_realloc;
    const component_core_host *host;
    cz_emit e;
} cz_plan;

static bool exports(const cz_plan *p, const char *name)
{
    return wasm_module_export_signature(p->wm, name) != NULL;
}

static bool exports_memory(const wasm_module *m)
{
    for (size_t i = 0; i < wasm_module_export_count(m); i++) {
        wasm_export_desc d = wasm_module_export(m, i);
        if (d.kind == WASM_EXTERN_MEMORY && strcmp(d.name, "memory") == 0)
            return true;
    }
    return false;
}

/* ---- the plan: which imports and exports the world serves ------------------ */

static const component_extern *world_instance_import(const cz_plan *p, const char *name,
                                                     size_t *world)
{
    for (size_t w = 0; w < p->nworlds; w++) {
        const component_extern *e = component_cz_world_import(p->worlds[w].world, name);
        if (e && e->desc.sort == COMPONENT_SORT_INSTANCE) {
            *world = w;
            return e;
        }
    }
    return NULL;
}

static const component_extern *world_func(const cz_plan *p, bool import, const char *name,
                                          size_t *world)
{
    for (size_t w = 0; w < p->nworlds; w++) {
        const component_decls *d = p->worlds[w].world;
        const component_extern *e = import ? component_cz_world_import(d, name)
                                           : component_cz_world_export(d, name);
        if (e && e->desc.sort == COMPONENT_SORT_FUNC) {
            *world = w;
            return e;
        }
    }
    return NULL;
}

static bool has_resource(const component_decls *it, const char *name)
{
    for (uint32_t i = 0; i < it->nexports; i++)
        if (it->exports[i].desc.sort == COMPONENT_SORT_TYPE && it->exports[i].desc.sub_resource &&
            strcmp(it->exports[i].name.text, name) == 0)
            return true;
    return false;
}

/* An import of an interface of the world: its function or resource drop. */
static int plan_interface_import(cz_plan *p, cz_item *it, util_error **err)
{
    const component_type *ty = component_cz_instance_type(p->worlds[it->world].world, it->imp);
    if (!ty)
        return util_error_set(err, 0, "import %s: the world's %s is no instance", it->module,
                              it->module);
    if (strncmp(it->field, RESOURCE_DROP, strlen(RESOURCE_DROP)) == 0) {
        it->kind = ITEM_DROP;
        if (!has_resource(ty->decls, it->field + strlen(RESOURCE_DROP)))
            return util_error_set(err, 0, "import %s %s: the world's interface %s has no "
                                  "resource %s", it->module, it->field, it->module,
                                  it->field + strlen(RESOURCE_DROP));
        return 0;
    }
    it->fn = component_cz_func(ty->decls, it->field);
    if (!it->fn)
        return util_error_set(err, 0, "import %s %s: the world's interface %s has no function "
                              "%s", it->module, it->field, it->module, it->field);
    return 0;
}

static int plan_import(cz_plan *p, wasm_import_desc d, const char *sig, util_error **err)
{
    cz_item it = {.module = d.module, .field = d.name, .sig = sig, .kind = ITEM_LOWER};
    bool root = strcmp(d.module, "$root") == 0;
    if (!root)
        it.imp = world_instance_import(p, d.module, &it.world);
    if (!root && !it.imp) {
        if (strncmp(d.module, "[export]", 8) == 0)
            return util_error_set(err, 0, "import %s %s: resources the module exports are not "
                                  "supported", d.module, d.name);
        if (sig && p->host && p->host->serves &&
            p->host->serves(p->host->env, d.module, d.name, sig))
            return 0; /* the embedder's */
        return util_error_set(err, 0, "import %s %s%s%s: %s is no interface of the module's "
                              "world%s", d.module, d.name, sig ? " " : "", sig ? sig : "",
                              d.module, p->host && p->host->serves
                                            ? ", and the host does not provide it"
                                            : " (and no host serves other imports)");
    }
    if (d.kind != WASM_EXTERN_FUNC)
        return util_error_set(err, 0, "import %s %s: only functions can come from the world",
                              d.module, d.name);
    if (root && !(it.fn = world_func(p, true, d.name, &it.world)))
        return util_error_set(err, 0, "import $root %s: the module's world imports no function "
                              "%s", d.name, d.name);
    if (!root && plan_interface_import(p, &it, err) < 0)
        return -1;
    p->items = util_xrealloc(p->items, (p->nitems + 1) * sizeof *p->items);
    p->items[p->nitems++] = it;
    p->nlower += it.kind == ITEM_LOWER;
    return 0;
}

static int plan_export(cz_plan *p, const char *name, util_error **err)
{
    cz_lift l = {.core_name = name};
    if (strncmp(name, "cabi_", 5) == 0)
        return 0; /* realloc, post-returns: options of the lifts */
    const char *hash = strchr(name, '#');
    if (!hash) {
        if (!(l.fn = world_func(p, false, name, &l.world)))
            return 0; /* not the world's: memory, cabi_realloc, ... */
    } else {
        cleanup_free char *iface = util_xstrndup(name, (size_t)(hash - name));
        for (size_t w = 0; w < p->nworlds && !l.iface; w++) {
            const component_extern *e = component_cz_world_export(p->worlds[w].world, iface);
            if (e && e->desc.sort == COMPONENT_SORT_INSTANCE) {
                l.iface = e;
                l.world = w;
            }
        }
        if (!l.iface)
            return util_error_set(err, 0, "export %s: the module's world exports no interface "
                                  "%s", name, iface);
        const component_type *ty = component_cz_instance_type(p->worlds[l.world].world, l.iface);
        if (!ty || !(l.fn = component_cz_func(ty->decls, hash + 1)))
            return util_error_set(err, 0, "export %s: the world's interface %s has no function "
                                  "%s", name, iface, hash + 1);
    }
    p->lifts = util_xrealloc(p->lifts, (p->nlifts + 1) * sizeof *p->lifts);
    p->lifts[p->nlifts++] = l;
    return 0;
}

/* The scope a function's type index is in, and the function type. */
static const component_type *func_type(const cz_plan *p, size_t world,
                                       const component_extern *iface_ext,
                                       const component_extern *fn, cz_scope *in,
                                       const cz_scope **scope)
{
    const cz_scope *ws = &p->world_scopes[world];
    *scope = ws;
    if (iface_ext) {
        const component_type *ty = component_cz_instance_type(ws->d, iface_ext);
        if (!ty)
            return NULL;
        *in = (cz_scope){ty->decls, ws};
        *scope = in;
    }
    if (fn->desc.index >= (*scope)->d->ntypes)
        return NULL;
    const component_type *t = &(*scope)->d->types[fn->desc.index];
    return t->kind == COMPONENT_TYPE_FUNC ? t : NULL;
}

/* Memory and realloc, when the function's values need them: lowering
 * writes results into the module (realloc when they hold pointers),
 * lifting writes parameters. */
static int check_abi(const cz_plan *p, size_t world, const component_extern *iface_ext,
                     const component_extern *fn, bool lower, const char *what,
                     util_error **err)
{
    cz_scope in;
    const cz_scope *s;
    const component_type *t = func_type(p, world, iface_ext, fn, &in, &s);
    if (!t)
        return util_error_set(err, 0, "%s: not of a function type", what);
    bool params = false, results = t->has_a && component_cz_has_pointers(s, t->a);
    for (uint32_t i = 0; i < t->nfields; i++)
        params = params || component_cz_has_pointers(s, t->fields[i].type);
    if ((params || results) && !p->memory)
        return util_error_set(err, 0, "%s passes strings or lists, but the module exports no "
                              "memory", what);
    const char *realloc_fn = lower ? p->import_realloc : p->export_realloc;
    if ((lower ? results : params) && !realloc_fn)
        return util_error_set(err, 0, "%s needs cabi_realloc (it passes strings or lists into "
                              "the module), which the module does not export", what);
    return 0;
}

static int plan_module(cz_plan *p, util_error **err)
{
    for (size_t i = 0; i < wasm_module_import_count(p->wm); i++)
        if (plan_import(p, wasm_module_import(p->wm, i), wasm_module_import_signature(p->wm, i),
                        err) < 0)
            return -1;
    p->memory = exports_memory(p->wm);
    p->import_realloc = exports(p, "cabi_import_realloc") ? "cabi_import_realloc"
                        : exports(p, "cabi_realloc")      ? "cabi_realloc"
                                                          : NULL;
    p->export_realloc = exports(p, "cabi_export_realloc") ? "cabi_export_realloc"
                        : exports(p, "cabi_realloc")      ? "cabi_realloc"
                                                          : NULL;
    p->initialize = wasm_module_export_signature(p->wm, "_initialize") != NULL;
    for (size_t i = 0; i < wasm_module_export_count(p->wm); i++) {
        wasm_export_desc d = wasm_module_export(p->wm, i);
        if (d.kind == WASM_EXTERN_FUNC && plan_export(p, d.name, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < p->nitems; i++) {
        const cz_item *it = &p->items[i];
        cleanup_free char *what = util_xasprintf("import %s %s", it->module, it->field);
        if (it->kind == ITEM_LOWER && check_abi(p, it->world, it->imp, it->fn, true, what, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < p->nlifts; i++) {
        const cz_lift *l = &p->lifts[i];
        cleanup_free char *what = util_xasprintf("export %s", l->core_name);
        if (check_abi(p, l->world, l->iface, l->fn, false, what, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- writing the component ---------------------------------------------------- */

static bool used(void *env, const char *iface, const char *func)
{
    const cz_plan *p = env;
    for (size_t i = 0; i < p->nitems; i++)
        if (p->items[i].imp && strcmp(p->items[i].module, iface) == 0 &&
            strcmp(p->items[i].field, func) == 0)
            return true;
    return false;
}

static void put_byte(util_buf *b, uint8_t v)
{
    util_buf_append(b, &v, 1);
}

static void core_module_section(cz_emit *e, const uint8_t *bytes, size_t len)
{
    put_byte(&e->out, 0x01);
    component_cz_u32(&e->out, (uint32_t)len);
    util_buf_append(&e->out, bytes, len);
}

static void helper_modules(cz_plan *p)
{
    core_module_section(&p->e, p->bytes, p->len);
    if (p->nlower) {
        const char **sigs = util_xcalloc(p->nlower, sizeof *sigs);
        for (size_t i = 0, k = 0; i < p->nitems; i++)
            if (p->items[i].kind == ITEM_LOWER)
                sigs[k++] = p->items[i].sig;
        util_buf m = {0};
        component_cz_shim_module(&m, sigs, p->nlower);
        core_module_section(&p->e, (const uint8_t *)m.data, m.len);
        util_buf_free(&m);
        component_cz_fixup_module(&m, sigs, p->nlower);
        core_module_section(&p->e, (const uint8_t *)m.data, m.len);
        util_buf_free(&m);
        free(sigs);
    }
    if (p->initialize) {
        util_buf m = {0};
        component_cz_init_module(&m);
        core_module_section(&p->e, (const uint8_t *)m.data, m.len);
        util_buf_free(&m);
    }
}

/* The component-level function (or resource drop) behind each import. */
static int import_funcs(cz_plan *p, util_error **err)
{
    cz_emit *e = &p->e;
    for (size_t i = 0; i < p->nitems; i++) {
        cz_item *it = &p->items[i];
        const cz_scope *ws = &p->world_scopes[it->world];
        if (!it->imp) { /* $root: import the function itself */
            uint32_t type;
            if (component_cz_type(e, ws, it->fn->desc.index, &type, err) < 0)
                return util_error_wrap(err, "import $root %s", it->field);
            util_buf im = {0};
            put_byte(&im, 0x00);
            component_cz_name(&im, it->field);
            put_byte(&im, 0x01);
            component_cz_u32(&im, type);
            component_cz_section1(e, 10, &im);
            it->func = e->nfuncs++;
            continue;
        }
        uint32_t inst;
        if (component_cz_import(e, ws, it->imp, &inst, err) < 0)
            return util_error_wrap(err, "custom section %s", p->worlds[it->world].section);
        if (it->kind == ITEM_LOWER) {
            it->func = component_cz_alias_export(e, inst, it->field, false);
            continue;
        }
        uint32_t res = component_cz_alias_export(e, inst, it->field + strlen(RESOURCE_DROP), true);
        util_buf c = {0};
        put_byte(&c, 0x03);
        component_cz_u32(&c, res);
        component_cz_section1(e, 8, &c);
        it->core = e->ncore_funcs++;
    }
    return 0;
}

static uint32_t core_instantiate(cz_emit *e, uint32_t module, const char *const *names,
                                 const uint32_t *insts, size_t n)
{
    util_buf c = {0};
    put_byte(&c, 0x00);
    component_cz_u32(&c, module);
    component_cz_u32(&c, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        component_cz_name(&c, names[i]);
        put_byte(&c, 0x12);
        component_cz_u32(&c, insts[i]);
    }
    component_cz_section1(e, 2, &c);
    return e->ncore_instances++;
}

/* A core instance of inline exports: names[i] -> core sort sorts[i] idx[i]. */
static uint32_t core_inline(cz_emit *e, const char *const *names, const uint8_t *sorts,
                            const uint32_t *idx, size_t n)
{
    util_buf c = {0};
    put_byte(&c, 0x01);
    component_cz_u32(&c, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        component_cz_name(&c, names[i]);
        put_byte(&c, sorts[i]);
        component_cz_u32(&c, idx[i]);
    }
    component_cz_section1(e, 2, &c);
    return e->ncore_instances++;
}

/* The instance the module imports module name `module` from. */
static uint32_t import_instance(cz_plan *p, const char *module)
{
    size_t n = 0;
    const char **names = util_xcalloc(p->nitems, sizeof *names);
    uint8_t *sorts = util_xcalloc(p->nitems, 1);
    uint32_t *idx = util_xcalloc(p->nitems, sizeof *idx);
    for (size_t i = 0; i < p->nitems; i++) {
        const cz_item *it = &p->items[i];
        if (strcmp(it->module, module) != 0)
            continue;
        names[n] = it->field;
        idx[n++] = it->kind == ITEM_LOWER ? it->shim : it->core;
    }
    uint32_t inst = core_inline(&p->e, names, sorts, idx, n);
    free(names);
    free(sorts);
    free(idx);
    return inst;
}

static bool seen_before(const cz_plan *p, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (strcmp(p->items[k].module, p->items[i].module) == 0)
            return true;
    return false;
}

/* The main module, its imports from the shim and the resource drops. */
static uint32_t main_instance(cz_plan *p, uint32_t shim)
{
    char num[24];
    for (size_t i = 0, k = 0; i < p->nitems; i++)
        if (p->items[i].kind == ITEM_LOWER) {
            snprintf(num, sizeof num, "%zu", k++);
            p->items[i].shim = component_cz_alias_core(&p->e, shim, num, 0x00);
        }
    const char **names = util_xcalloc(p->nitems + 1, sizeof *names);
    uint32_t *insts = util_xcalloc(p->nitems + 1, sizeof *insts);
    size_t n = 0;
    for (size_t i = 0; i < p->nitems; i++) {
        if (seen_before(p, i))
            continue;
        names[n] = p->items[i].module;
        insts[n++] = import_instance(p, p->items[i].module);
    }
    uint32_t main = core_instantiate(&p->e, 0, names, insts, n);
    free(names);
    free(insts);
    return main;
}

static void put_options(const cz_plan *p, util_buf *c, size_t world, uint32_t memory_present,
                        bool has_realloc, uint32_t realloc_fn)
{
    component_cz_u32(c, (memory_present ? 1u : 0u) + (has_realloc ? 1u : 0u) + 1u);
    put_byte(c, (uint8_t)p->worlds[world].encoding);
    if (memory_present) {
        put_byte(c, 0x03);
        component_cz_u32(c, 0);
    }
    if (has_realloc) {
        put_byte(c, 0x04);
        component_cz_u32(c, realloc_fn);
    }
}

/* canon lower of every imported function, then the fixup fills the
 * shim's table with them. */
static void lower_and_fix(cz_plan *p, uint32_t main, uint32_t shim)
{
    cz_emit *e = &p->e;
    uint32_t realloc_fn = p->import_realloc ? component_cz_alias_core(e, main, p->import_realloc, 0)
                                            : 0;
    for (size_t i = 0; i < p->nitems; i++) {
        cz_item *it = &p->items[i];
        if (it->kind != ITEM_LOWER)
            continue;
        util_buf c = {0};
        put_byte(&c, 0x01);
        put_byte(&c, 0x00);
        component_cz_u32(&c, it->func);
        put_options(p, &c, it->world, p->memory, p->import_realloc != NULL, realloc_fn);
        component_cz_section1(e, 8, &c);
        it->core = e->ncore_funcs++;
    }
    component_cz_alias_core(e, shim, "$imports", 0x01); /* core table 0 */
    size_t n = p->nlower + 1;
    char **names = util_xcalloc(n, sizeof *names);
    uint8_t *sorts = util_xcalloc(n, 1);
    uint32_t *idx = util_xcalloc(n, sizeof *idx);
    names[0] = util_xstrdup("$imports");
    sorts[0] = 0x01;
    for (size_t i = 0, k = 1; i < p->nitems; i++)
        if (p->items[i].kind == ITEM_LOWER) {
            names[k] = util_xasprintf("%zu", k - 1);
            idx[k++] = p->items[i].core;
        }
    uint32_t args = core_inline(e, (const char *const *)names, sorts, idx, n);
    const char *empty = "";
    core_instantiate(e, 2, &empty, &args, 1);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(sorts);
    free(idx);
}

static void run_initialize(cz_plan *p, uint32_t main)
{
    cz_emit *e = &p->e;
    uint32_t f = component_cz_alias_core(e, main, "_initialize", 0x00);
    const char *name = "f", *empty = "";
    uint8_t sort = 0x00;
    uint32_t args = core_inline(e, &name, &sort, &f, 1);
    core_instantiate(e, p->nlower ? 3 : 1, &empty, &args, 1);
}

static int lift_one(cz_plan *p, const cz_lift *l, uint32_t main, uint32_t *func,
                    util_error **err)
{
    cz_emit *e = &p->e;
    cz_scope in;
    const cz_scope *s;
    func_type(p, l->world, l->iface, l->fn, &in, &s);
    uint32_t type;
    if (component_cz_type(e, s, l->fn->desc.index, &type, err) < 0)
        return util_error_wrap(err, "export %s", l->core_name);
    uint32_t core = component_cz_alias_core(e, main, l->core_name, 0x00);
    cleanup_free char *post_name = util_xasprintf("cabi_post_%s", l->core_name);
    bool has_post = exports(p, post_name);
    uint32_t post = has_post ? component_cz_alias_core(e, main, post_name, 0x00) : 0;
    uint32_t realloc_fn = p->export_realloc ? component_cz_alias_core(e, main, p->export_realloc, 0)
                                            : 0;
    util_buf c = {0};
    put_byte(&c, 0x00);
    put_byte(&c, 0x00);
    component_cz_u32(&c, core);
    util_buf opts = {0};
    put_options(p, &opts, l->world, p->memory, p->export_realloc != NULL, realloc_fn);
    if (has_post) { /* one option more: patch the count (it is one byte, < 0x80) */
        opts.data[0]++;
        put_byte(&opts, 0x05);
        component_cz_u32(&opts, post);
    }
    util_buf_append(&c, opts.data, opts.len);
    util_buf_free(&opts);
    component_cz_u32(&c, type);
    component_cz_section1(e, 8, &c);
    *func = e->nfuncs++;
    return 0;
}

static void export_item(cz_emit *e, const char *name, uint8_t sort, uint32_t idx)
{
    util_buf x = {0};
    put_byte(&x, 0x00);
    component_cz_name(&x, name);
    put_byte(&x, sort);
    component_cz_u32(&x, idx);
    put_byte(&x, 0x00); /* no ascription */
    component_cz_section1(e, 11, &x);
    if (sort == 0x05)
        e->ninstances++;
    else
        e->nfuncs++;
}

/* The lifted exports: world functions as such, interface functions in an
 * instance per interface. */
static int lift_exports(cz_plan *p, uint32_t main, util_error **err)
{
    cz_emit *e = &p->e;
    for (size_t i = 0; i < p->nlifts; i++) {
        const cz_lift *l = &p->lifts[i];
        bool first = true;
        for (size_t k = 0; k < i; k++)
            first = first && !(l->iface && p->lifts[k].iface == l->iface);
        if (!first)
            continue;
        if (!l->iface) {
            uint32_t f;
            if (lift_one(p, l, main, &f, err) < 0)
                return -1;
            export_item(e, l->fn->name.text, 0x01, f);
            continue;
        }
        util_buf inst = {0};
        uint32_t n = 0;
        util_buf body = {0};
        for (size_t k = i; k < p->nlifts; k++) {
            if (p->lifts[k].iface != l->iface)
                continue;
            uint32_t f;
            if (lift_one(p, &p->lifts[k], main, &f, err) < 0) {
                util_buf_free(&body);
                return -1;
            }
            put_byte(&body, 0x00);
            component_cz_name(&body, p->lifts[k].fn->name.text);
            put_byte(&body, 0x01);
            component_cz_u32(&body, f);
            n++;
        }
        put_byte(&inst, 0x01);
        component_cz_u32(&inst, n);
        util_buf_append(&inst, body.data, body.len);
        util_buf_free(&body);
        component_cz_section1(e, 5, &inst);
        export_item(e, l->iface->name.text, 0x05, e->ninstances++);
    }
    return 0;
}

static int write_component(cz_plan *p, util_error **err)
{
    cz_emit *e = &p->e;
    e->used = used;
    e->used_env = p;
    helper_modules(p);
    if (import_funcs(p, err) < 0)
        return -1;
    uint32_t shim = p->nlower ? core_instantiate(e, 1, NULL, NULL, 0) : 0;
    uint32_t main = main_instance(p, shim);
    if (p->memory)
        component_cz_alias_core(e, main, "memory", 0x02);
    if (p->nlower)
        lower_and_fix(p, main, shim);
    if (p->initialize)
        run_initialize(p, main);
    return lift_exports(p, main, err);
}

/* ---- the door ------------------------------------------------------------------- */

static void plan_free(cz_plan *p)
{
    wasm_module_free(p->wm);
    component_cz_free_worlds(p->worlds, p->nworlds);
    free(p->pkg_scopes);
    free(p->world_scopes);
    free(p->items);
    free(p->lifts);
    component_cz_emit_free(&p->e);
}

static int plan_read(cz_plan *p, util_error **err)
{
    wasm_features features = {.tail_call = true};
    wasm_result res;
    wasm_result_init(&res);
    p->wm = wasm_module_new(p->bytes, p->len, &features, &res);
    if (!p->wm)
        return util_error_set(err, 0, "core module: %s", res.message);
    if (component_cz_read_worlds(p->bytes, p->len, &p->worlds, &p->nworlds, err) < 0)
        return -1;
    if (!p->nworlds)
        return util_error_set(err, 0, "core module: no component-type custom section");
    p->pkg_scopes = util_xcalloc(p->nworlds, sizeof *p->pkg_scopes);
    p->world_scopes = util_xcalloc(p->nworlds, sizeof *p->world_scopes);
    for (size_t w = 0; w < p->nworlds; w++) {
        p->pkg_scopes[w] = (cz_scope){p->worlds[w].pkg_decls, NULL};
        p->world_scopes[w] = (cz_scope){p->worlds[w].world, &p->pkg_scopes[w]};
    }
    return 0;
}

int component_from_module(const uint8_t *bytes, size_t len, const component_core_host *host,
                          uint8_t **out, size_t *out_len, util_error **err)
{
    static const uint8_t preamble[8] = {0, 'a', 's', 'm', 0x0d, 0, 0x01, 0};
    cz_plan p = {.bytes = bytes, .len = len, .host = host};
    *out = NULL;
    *out_len = 0;
    if (plan_read(&p, err) < 0 || plan_module(&p, err) < 0 || write_component(&p, err) < 0) {
        plan_free(&p);
        return -1;
    }
    uint8_t *bin = util_xmalloc(sizeof preamble + p.e.out.len);
    memcpy(bin, preamble, sizeof preamble);
    memcpy(bin + sizeof preamble, p.e.out.data, p.e.out.len);
    *out = bin;
    *out_len = sizeof preamble + p.e.out.len;
    plan_free(&p);
    return 0;
}

component_pre *component_pre_new_module(const uint8_t *bytes, size_t len,
                                        const component_linker *l,
                                        const component_core_host *host, util_error **err)
{
    uint8_t *bin;
    size_t n;
    if (component_from_module(bytes, len, host, &bin, &n, err) < 0)
        return NULL;
    return component_pre_new_take_core(bin, n, l, host, err);
}
