/*
 * instance.c - instantiation, following the spec's order: resolve and
 * type-check every import (nothing is allocated if one fails), then create
 * functions, tables, memories and globals (globals evaluated from constant
 * expressions, which may read imported and earlier globals and take
 * function references), then apply active element segments and active data
 * segments in module order - a segment that does not fit traps and leaves
 * the effects of earlier segments in place, as Wasm 2.0 says - and finally
 * run the start function.
 *
 * Defined functions of an instance are allocated in one array; their
 * function types come from the store's interned types, so creating an
 * instance of a 12,000-function module costs one allocation for them.
 * Function bodies are not touched here (they are translated at first call).
 */
#include <string.h>

#include "leb128.h"
#include "runtime.h"

/* ---- constant expressions --------------------------------------------- */

/* Evaluates a validated constant expression.  Extended-const puts no bound
 * on how many operands it stacks, so the stack grows past its first 16. */
static rt_slot eval_const(wasm_instance *inst, const uint8_t *p)
{
    rt_slot small[16], *st = small, out;
    size_t sp = 0, cap = sizeof small / sizeof small[0];
    memset(small, 0, sizeof small);
    for (;;) {
        if (sp == cap) { /* every instruction pushes at most one */
            rt_slot *bigger = util_xcalloc(cap * 2, sizeof *bigger);
            memcpy(bigger, st, cap * sizeof *st);
            if (st != small)
                free(st);
            st = bigger;
            cap *= 2;
        }
        uint8_t op = *p++;
        switch (op) {
        case 0x41: st[sp++].u64 = (uint32_t)util_leb128_fast_s32(&p); continue;
        case 0x42: st[sp++].i64 = util_leb128_fast_s64(&p); continue;
        case 0x43: st[sp].u64 = 0; memcpy(&st[sp++].u32, p, 4); p += 4; continue;
        case 0x44: memcpy(&st[sp++].u64, p, 8); p += 8; continue;
        case 0x23: st[sp++] = inst->globals[util_leb128_fast_u32(&p)]->val; continue;
        case 0xD0: p++; st[sp++].ref = NULL; continue;
        case 0xD2: st[sp++].ref = inst->funcs[util_leb128_fast_u32(&p)]; continue;
        case 0x6A: sp--; st[sp - 1].u64 = (uint32_t)(st[sp - 1].u32 + st[sp].u32); continue;
        case 0x6B: sp--; st[sp - 1].u64 = (uint32_t)(st[sp - 1].u32 - st[sp].u32); continue;
        case 0x6C: sp--; st[sp - 1].u64 = (uint32_t)(st[sp - 1].u32 * st[sp].u32); continue;
        case 0x7C: sp--; st[sp - 1].u64 = st[sp - 1].u64 + st[sp].u64; continue;
        case 0x7D: sp--; st[sp - 1].u64 = st[sp - 1].u64 - st[sp].u64; continue;
        case 0x7E: sp--; st[sp - 1].u64 = st[sp - 1].u64 * st[sp].u64; continue;
        default: /* end (0x0B); nothing else passes validation */
            break;
        }
        break;
    }
    out = sp > 0 ? st[sp - 1] : st[0];
    if (st != small)
        free(st);
    return out;
}

/* ---- import matching ---------------------------------------------------- */

static bool limits_match(uint64_t have_min, bool have_has_max, uint64_t have_max,
                         const mv_limits *want)
{
    if (have_min < want->min)
        return false;
    if (want->has_max) {
        if (!have_has_max || have_max > want->max)
            return false;
    }
    return true;
}

static const char *kind_name(wasm_extern_kind k)
{
    switch (k) {
    case WASM_EXTERN_FUNC: return "function";
    case WASM_EXTERN_TABLE: return "table";
    case WASM_EXTERN_MEMORY: return "memory";
    default: return "global";
    }
}

static bool import_matches(wasm_store *s, const wasm_extern *e, const mv_extern_type *want,
                           uint32_t want_type_id)
{
    if (e->kind != want->kind)
        return false;
    switch (e->kind) {
    case WASM_EXTERN_FUNC:
        return e->of.func && e->of.func->store == s && e->of.func->type_id == want_type_id;
    case WASM_EXTERN_TABLE: {
        wasm_table *t = e->of.table;
        return t && t->store == s && t->elem_type == want->valtype &&
               limits_match(t->size, t->has_max, t->max, &want->limits);
    }
    case WASM_EXTERN_MEMORY: {
        wasm_memory *m = e->of.memory;
        return m && m->store == s &&
               limits_match(m->size / RT_PAGE_SIZE, m->has_max, m->max_pages, &want->limits);
    }
    case WASM_EXTERN_GLOBAL: {
        wasm_global *g = e->of.global;
        return g && g->store == s && g->type == want->valtype && g->mutable_ == want->mutable_;
    }
    }
    return false;
}

/* The store's type ids of the module's function types [ntypes]. */
static uint32_t *intern_types(wasm_store *s, const wasm_module *m)
{
    return wasm_rt_store_intern_module_types(s, m);
}

static bool unlinkable(wasm_result *res, const wasm_module *m, uint32_t i, bool unknown)
{
    wasm_import_desc d = wasm_module_import(m, i);
    mv_extern_type want;
    wasm_mv_import_type(m, i, &want);
    if (unknown)
        wasm_rt_result_set(res, WASM_UNLINKABLE, "unknown import: %s::%s (%s)", d.module, d.name,
                           kind_name(want.kind));
    else
        wasm_rt_result_set(res, WASM_UNLINKABLE, "incompatible import type: %s::%s (%s)", d.module,
                           d.name, kind_name(want.kind));
    return false;
}

/* A store-free host function fits a function import of the same signature. */
static bool host_def_matches(const wasm_module *m, const rt_link_def *d, const mv_extern_type *want)
{
    return want->kind == WASM_EXTERN_FUNC && strcmp(d->sig, m->types[want->type_idx].sig) == 0;
}

/* Looks import i up in the linker and checks its type (a store's extern
 * must be of store s); on failure fills res (WASM_UNLINKABLE) and returns
 * NULL. */
static const rt_link_def *resolve_import(wasm_store *s, const wasm_module *m,
                                         const wasm_linker *l, const uint32_t *type_ids,
                                         uint32_t i, wasm_result *res)
{
    wasm_import_desc d = wasm_module_import(m, i);
    mv_extern_type want;
    wasm_mv_import_type(m, i, &want);
    const rt_link_def *def = l ? wasm_rt_linker_find(l, d.module, d.name) : NULL;
    if (!def) {
        unlinkable(res, m, i, true);
        return NULL;
    }
    uint32_t tid = want.kind == WASM_EXTERN_FUNC ? type_ids[want.type_idx] : 0;
    bool ok = def->host ? host_def_matches(m, def, &want) : import_matches(s, &def->ext, &want, tid);
    if (!ok) {
        unlinkable(res, m, i, false);
        return NULL;
    }
    return def;
}

/* What the instance in s imports for a definition: a store's extern as is,
 * a store-free host function made in s now. */
static wasm_extern def_extern(wasm_store *s, const rt_link_def *d)
{
    if (!d->host)
        return d->ext;
    void *env = d->env ? d->env : s->config.user_data;
    wasm_extern e = {.kind = WASM_EXTERN_FUNC,
                     .of.func = wasm_func_new_host(s, d->sig, d->fn, env, NULL)};
    return e;
}

int wasm_linker_check(wasm_store *s, const wasm_module *m, const wasm_linker *l,
                      size_t *bad_import, wasm_result *res)
{
    wasm_result local;
    if (!res)
        res = &local;
    wasm_result_init(res);
    uint32_t *type_ids = intern_types(s, m);
    int rc = 0;
    for (uint32_t i = 0; i < wasm_mv_num_imports(m); i++) {
        if (!resolve_import(s, m, l, type_ids, i, res)) {
            if (bad_import)
                *bad_import = i;
            rc = -1;
            break;
        }
    }
    free(type_ids);
    return rc;
}

/* ---- resolutions: a module's imports looked up once -------------------- */

struct wasm_resolution {
    wasm_module *module; /* a reference */
    uint32_t n;
    rt_link_def *defs; /* per import; sig copies owned */
};

void wasm_resolution_free(wasm_resolution *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->n; i++)
        free(r->defs[i].sig);
    free(r->defs);
    wasm_module_free(r->module);
    free(r);
}

wasm_resolution *wasm_linker_resolve(const wasm_linker *l, wasm_module *m, wasm_result *res)
{
    return wasm_linker_resolve_at(l, m, NULL, res);
}

wasm_resolution *wasm_linker_resolve_at(const wasm_linker *l, wasm_module *m, size_t *bad_import,
                                        wasm_result *res)
{
    wasm_result local;
    if (!res)
        res = &local;
    wasm_result_init(res);
    wasm_resolution *r = util_xcalloc(1, sizeof *r);
    r->module = wasm_module_ref(m);
    r->n = wasm_mv_num_imports(m);
    r->defs = util_xcalloc(r->n ? r->n : 1, sizeof(rt_link_def));
    for (uint32_t i = 0; i < r->n; i++) {
        wasm_import_desc d = wasm_module_import(m, i);
        mv_extern_type want;
        wasm_mv_import_type(m, i, &want);
        const rt_link_def *def = l ? wasm_rt_linker_find(l, d.module, d.name) : NULL;
        /* a store's extern is checked fully when its store is known */
        bool ok = def && (def->host ? host_def_matches(m, def, &want)
                                    : def->ext.kind == want.kind);
        if (!ok) {
            unlinkable(res, m, i, def == NULL);
            if (bad_import)
                *bad_import = i;
            wasm_resolution_free(r);
            return NULL;
        }
        r->defs[i] = *def;
        r->defs[i].sig = def->sig ? util_xstrdup(def->sig) : NULL;
    }
    return r;
}

/* ---- instantiation ------------------------------------------------------ */

static bool trap_result(wasm_result *res, const char *msg)
{
    wasm_rt_result_set(res, WASM_TRAP, "%s", msg);
    return false;
}

/* Maps the module's memory image over its (own, sole) memory in place of
 * copying the active data segments, which then count as applied and
 * dropped; false when there is no image or it cannot be mapped. */
static bool map_memory_image(wasm_instance *inst)
{
    int fd;
    size_t len;
    if (!wasm_mv_image(inst->module, &fd, &len) || inst->nmems != 1 ||
        !wasm_rt_memory_map_image(inst->mems[0], fd, len))
        return false;
    const bool *applied = wasm_mv_image_applied(inst->module);
    if (inst->ndatas)
        memcpy(inst->data_dropped, applied, inst->ndatas * sizeof(bool));
    return true;
}

/* Applies active segments, drops declarative ones (spec 2.0 order). */
static bool init_segments(wasm_instance *inst, wasm_result *res)
{
    wasm_module *m = inst->module;
    for (uint32_t i = 0; i < inst->nelems; i++) {
        int mode;
        uint32_t table, count;
        const uint8_t *off_expr;
        uint8_t et;
        wasm_mv_elem(m, i, &mode, &table, &off_expr, &et, &count);
        if (mode == MV_ACTIVE) {
            uint64_t off = eval_const(inst, off_expr).u32;
            wasm_table *t = inst->tables[table];
            rt_elem *e = &inst->elems[i];
            if (off + e->len > t->size)
                return trap_result(res, "out of bounds table access");
            if (e->len)
                memcpy(t->elems + off, e->refs, e->len * sizeof(void *));
            e->len = 0;
        } else if (mode == MV_DECLARATIVE) {
            inst->elems[i].len = 0;
        }
    }
    if (map_memory_image(inst))
        return true;
    for (uint32_t i = 0; i < inst->ndatas; i++) {
        int mode;
        uint32_t mem;
        const uint8_t *off_expr;
        wasm_mv_data_seg(m, i, &mode, &mem, &off_expr);
        if (mode != MV_ACTIVE)
            continue;
        const uint8_t *bytes;
        size_t len;
        wasm_mv_data(m, i, &bytes, &len);
        uint64_t off = eval_const(inst, off_expr).u32;
        wasm_memory *mm = inst->mems[mem];
        if (off + len > mm->size)
            return trap_result(res, "out of bounds memory access");
        if (len)
            memcpy(mm->base + off, bytes, len);
        inst->data_dropped[i] = true;
    }
    return true;
}

/* Instantiates m in s with its imports resolved to `imps` (owned, like
 * type_ids, by the instance from here on). */
static wasm_instance *instantiate(wasm_store *s, wasm_module *m, uint32_t *type_ids,
                                  wasm_extern *imps, wasm_result *res)
{
    uint32_t nimports = wasm_mv_num_imports(m);
    wasm_instance *inst = util_xcalloc(1, sizeof *inst);
    inst->store = s;
    inst->module = wasm_module_ref(m);
    inst->type_ids = type_ids;
    wasm_rt_vec_push(&s->instances, inst);
    inst->nfuncs = wasm_mv_num_funcs(m);
    inst->ntables = wasm_mv_num_tables(m);
    inst->nmems = wasm_mv_num_mems(m);
    inst->nglobals = wasm_mv_num_globals(m);
    /* the function index (every entry written below) may come from the
     * thread's pool: a big module's is too large to zero per instance */
    inst->funcs = wasm_rt_block_take((inst->nfuncs + 1) * sizeof(wasm_func *));
    inst->funcs[inst->nfuncs] = NULL;
    inst->tables = util_xcalloc(inst->ntables + 1, sizeof(wasm_table *));
    inst->mems = util_xcalloc(inst->nmems + 1, sizeof(wasm_memory *));
    inst->globals = util_xcalloc(inst->nglobals + 1, sizeof(wasm_global *));

    uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
    for (uint32_t i = 0; i < nimports; i++) {
        switch (imps[i].kind) {
        case WASM_EXTERN_FUNC: inst->funcs[nf++] = imps[i].of.func; break;
        case WASM_EXTERN_TABLE: inst->tables[nt++] = imps[i].of.table; break;
        case WASM_EXTERN_MEMORY: inst->mems[nm++] = imps[i].of.memory; break;
        case WASM_EXTERN_GLOBAL: inst->globals[ng++] = imps[i].of.global; break;
        }
    }
    free(imps);
    imps = NULL;

    /* each defined function is a copy of its type's prototype (a pooled
     * block holds an earlier instance's functions: all of it is written) */
    uint32_t ndef = inst->nfuncs - nf, ntypes = wasm_mv_num_types(m);
    inst->own_funcs = wasm_rt_block_take((ndef ? ndef : 1) * sizeof(wasm_func));
    inst->nown_funcs = ndef;
    wasm_func *protos = util_xcalloc(ntypes ? ntypes : 1, sizeof *protos);
    for (uint32_t t = 0; t < ntypes; t++) {
        wasm_rt_func_init(s, &protos[t], type_ids[t]);
        protos[t].inst = inst;
    }
    for (uint32_t i = nf; i < inst->nfuncs; i++) {
        wasm_func *f = &inst->own_funcs[i - nf];
        *f = protos[wasm_mv_func_type(m, i)];
        f->func_idx = i;
        inst->funcs[i] = f;
    }
    free(protos);
    for (uint32_t i = nt; i < inst->ntables; i++) {
        uint8_t et;
        mv_limits lim;
        wasm_mv_table(m, i, &et, &lim);
        if (lim.min > 10000000u) {
            wasm_rt_result_set(res, WASM_RESOURCE, "table of %llu elements is too large",
                               (unsigned long long)lim.min);
            return NULL;
        }
        inst->tables[i] = wasm_rt_table_new(s, et, (uint32_t)lim.min,
                                            lim.has_max && lim.max < UINT32_MAX ? (uint32_t)lim.max
                                                                           : UINT32_MAX,
                                            lim.has_max, NULL);
    }
    for (uint32_t i = nm; i < inst->nmems; i++) {
        mv_limits lim;
        wasm_mv_mem(m, i, &lim);
        inst->mems[i] = wasm_rt_memory_new(s, lim.min, lim.max, lim.has_max, res);
        if (!inst->mems[i])
            return NULL;
    }
    for (uint32_t i = ng; i < inst->nglobals; i++) {
        uint8_t vt;
        bool mut;
        const uint8_t *init;
        wasm_mv_global(m, i, &vt, &mut, &init);
        wasm_global *g = util_xcalloc(1, sizeof *g);
        g->store = s;
        g->type = vt;
        g->mutable_ = mut;
        g->val = eval_const(inst, init);
        wasm_rt_vec_push(&s->globals, g);
        inst->globals[i] = g;
    }

    inst->nexports = (uint32_t)wasm_module_export_count(m);
    inst->exports = util_xcalloc(inst->nexports + 1, sizeof(wasm_extern));
    for (uint32_t i = 0; i < inst->nexports; i++) {
        const char *name;
        wasm_extern_kind kind;
        uint32_t idx;
        wasm_mv_export(m, i, &name, &kind, &idx);
        wasm_extern *e = &inst->exports[i];
        e->kind = kind;
        switch (kind) {
        case WASM_EXTERN_FUNC: e->of.func = inst->funcs[idx]; break;
        case WASM_EXTERN_TABLE: e->of.table = inst->tables[idx]; break;
        case WASM_EXTERN_MEMORY: e->of.memory = inst->mems[idx]; break;
        case WASM_EXTERN_GLOBAL: e->of.global = inst->globals[idx]; break;
        }
    }

    /* element segments: evaluate their references now */
    inst->nelems = wasm_mv_num_elems(m);
    inst->elems = util_xcalloc(inst->nelems + 1, sizeof(rt_elem));
    for (uint32_t i = 0; i < inst->nelems; i++) {
        int mode;
        uint32_t table, count;
        const uint8_t *off;
        uint8_t et;
        wasm_mv_elem(m, i, &mode, &table, &off, &et, &count);
        rt_elem *e = &inst->elems[i];
        e->len = count;
        e->refs = wasm_rt_block_take((count ? count : 1) * sizeof(void *));
        e->refs[0] = NULL;
        for (uint32_t j = 0; j < count; j++) {
            const uint8_t *expr;
            uint32_t fi;
            wasm_mv_elem_item(m, i, j, &expr, &fi);
            e->refs[j] = expr ? eval_const(inst, expr).ref : (void *)inst->funcs[fi];
        }
    }
    inst->ndatas = wasm_mv_num_datas(m);
    inst->data_dropped = util_xcalloc(inst->ndatas + 1, sizeof(bool));

    if (!init_segments(inst, res))
        return NULL;

    int64_t start = wasm_mv_start(m);
    if (start >= 0) {
        if (wasm_func_call(s, inst->funcs[start], NULL, 0, NULL, 0, res) < 0)
            return NULL;
    }
    return inst;
}

wasm_instance *wasm_instantiate(wasm_store *s, wasm_module *m, const wasm_linker *l,
                                wasm_result *res)
{
    wasm_result local;
    if (!res)
        res = &local;
    wasm_result_init(res);
    uint32_t *type_ids = intern_types(s, m);
    /* resolve every import before making or allocating anything */
    uint32_t nimports = wasm_mv_num_imports(m);
    const rt_link_def **defs = util_xcalloc(nimports ? nimports : 1, sizeof(*defs));
    for (uint32_t i = 0; i < nimports; i++) {
        if (!(defs[i] = resolve_import(s, m, l, type_ids, i, res))) {
            free(defs);
            free(type_ids);
            return NULL;
        }
    }
    wasm_extern *imps = util_xcalloc(nimports ? nimports : 1, sizeof(wasm_extern));
    for (uint32_t i = 0; i < nimports; i++)
        imps[i] = def_extern(s, defs[i]);
    free(defs);
    return instantiate(s, m, type_ids, imps, res);
}

wasm_instance *wasm_instantiate_resolved(wasm_store *s, wasm_module *m,
                                         const wasm_resolution *r, wasm_result *res)
{
    wasm_result local;
    if (!res)
        res = &local;
    wasm_result_init(res);
    if (r->module != m) {
        wasm_rt_result_set(res, WASM_UNLINKABLE, "the imports were resolved for another module");
        return NULL;
    }
    uint32_t *type_ids = intern_types(s, m);
    for (uint32_t i = 0; i < r->n; i++) {
        mv_extern_type want;
        wasm_mv_import_type(m, i, &want);
        uint32_t tid = want.kind == WASM_EXTERN_FUNC ? type_ids[want.type_idx] : 0;
        if (!r->defs[i].host && !import_matches(s, &r->defs[i].ext, &want, tid)) {
            free(type_ids);
            unlinkable(res, m, i, false);
            return NULL;
        }
    }
    wasm_extern *imps = util_xcalloc(r->n ? r->n : 1, sizeof(wasm_extern));
    for (uint32_t i = 0; i < r->n; i++)
        imps[i] = def_extern(s, &r->defs[i]);
    return instantiate(s, m, type_ids, imps, res);
}

wasm_instance *wasm_instantiate_externs(wasm_store *s, wasm_module *m, const wasm_extern *imports,
                                        size_t n, wasm_result *res)
{
    wasm_result local;
    if (!res)
        res = &local;
    wasm_result_init(res);
    uint32_t nimports = wasm_mv_num_imports(m);
    if (n != nimports) {
        wasm_rt_result_set(res, WASM_UNLINKABLE, "%zu imports given, the module has %u", n,
                           (unsigned)nimports);
        return NULL;
    }
    uint32_t *type_ids = intern_types(s, m);
    for (uint32_t i = 0; i < nimports; i++) {
        mv_extern_type want;
        wasm_mv_import_type(m, i, &want);
        uint32_t tid = want.kind == WASM_EXTERN_FUNC ? type_ids[want.type_idx] : 0;
        if (!import_matches(s, &imports[i], &want, tid)) {
            free(type_ids);
            unlinkable(res, m, i, false);
            return NULL;
        }
    }
    wasm_extern *imps = util_xcalloc(nimports ? nimports : 1, sizeof(wasm_extern));
    if (nimports)
        memcpy(imps, imports, nimports * sizeof *imps);
    return instantiate(s, m, type_ids, imps, res);
}

bool wasm_instance_export_at(const wasm_instance *inst, size_t i, wasm_extern *out)
{
    if (i >= inst->nexports)
        return false;
    *out = inst->exports[i];
    return true;
}

bool wasm_instance_export_n(wasm_instance *inst, const char *name, size_t len, wasm_extern *out)
{
    for (uint32_t i = 0; i < inst->nexports; i++) {
        size_t elen;
        const char *ename = wasm_mv_export_name(inst->module, i, &elen);
        if (elen == len && memcmp(ename, name, len) == 0) {
            *out = inst->exports[i];
            return true;
        }
    }
    return false;
}

bool wasm_instance_export(wasm_instance *inst, const char *name, wasm_extern *out)
{
    return wasm_instance_export_n(inst, name, strlen(name), out);
}

wasm_func *wasm_instance_func(wasm_instance *inst, const char *name)
{
    wasm_extern e;
    if (!wasm_instance_export(inst, name, &e) || e.kind != WASM_EXTERN_FUNC)
        return NULL;
    return e.of.func;
}

wasm_memory *wasm_instance_memory(wasm_instance *inst, const char *name)
{
    wasm_extern e;
    if (!wasm_instance_export(inst, name, &e) || e.kind != WASM_EXTERN_MEMORY)
        return NULL;
    return e.of.memory;
}

wasm_module *wasm_instance_module(wasm_instance *inst)
{
    return inst->module;
}
