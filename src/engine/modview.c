/*
 * modview.c - the mv_* accessors (declared in runtime.h) through which the
 * back half (translator, instantiation) reads a decoded module.
 *
 * They are thin views over struct wasm_module (module.h): the module is
 * validated and immutable, so nothing here checks indices or allocates.
 * Keeping the back half on these accessors lets the representation change
 * without touching the interpreter.
 */
#include "module.h"
#include "runtime.h"

uint32_t wasm_mv_func_type(const wasm_module *m, uint32_t func_idx)
{
    return m->func_type[func_idx];
}

void wasm_mv_type_arity(const wasm_module *m, uint32_t type_idx, uint32_t *np, uint32_t *nr)
{
    *np = m->types[type_idx].nparams;
    *nr = m->types[type_idx].nresults;
}

void wasm_mv_body(const wasm_module *m, uint32_t func_idx, const uint8_t **expr,
                  const uint8_t **end,
                  uint32_t *ndeclared_locals)
{
    const wm_func *f = &m->funcs[func_idx - m->n_imported_funcs];
    *expr = m->bytes + f->body.start;
    *end = m->bytes + f->body.end;
    *ndeclared_locals = f->nlocals;
}

_Atomic(rt_code *) *wasm_mv_code_slot(wasm_module *m, uint32_t func_idx)
{
    return &m->code[func_idx - m->n_imported_funcs];
}

void wasm_mv_data(const wasm_module *m, uint32_t seg, const uint8_t **bytes, size_t *len)
{
    const wm_data *d = &m->datas[seg];
    *bytes = m->bytes + d->bytes.start;
    *len = d->bytes.end - d->bytes.start;
}

const char *wasm_mv_func_name(const wasm_module *m, uint32_t func_idx)
{
    return wasm_wm_func_name(m, func_idx);
}

uint32_t wasm_mv_num_types(const wasm_module *m)
{
    return m->ntypes;
}

uint32_t wasm_mv_num_imports(const wasm_module *m)
{
    return m->nimports;
}

static void limits_out(const wm_limits *l, mv_limits *out)
{
    out->min = l->min;
    out->max = l->has_max ? l->max : UINT64_MAX;
    out->has_max = l->has_max;
}

void wasm_mv_import_type(const wasm_module *m, uint32_t i, mv_extern_type *out)
{
    const wm_import *im = &m->imports[i];
    *out = (mv_extern_type){.kind = im->kind};
    switch (im->kind) {
    case WASM_EXTERN_FUNC:
        out->type_idx = im->desc.func_type;
        break;
    case WASM_EXTERN_TABLE:
        out->valtype = im->desc.table.elem_type;
        limits_out(&im->desc.table.limits, &out->limits);
        break;
    case WASM_EXTERN_MEMORY:
        limits_out(&im->desc.memory, &out->limits);
        break;
    case WASM_EXTERN_GLOBAL:
        out->valtype = im->desc.global.valtype;
        out->mutable_ = im->desc.global.mutable_;
        break;
    }
}

uint32_t wasm_mv_num_funcs(const wasm_module *m)
{
    return m->nfuncs;
}

uint32_t wasm_mv_num_imported_funcs(const wasm_module *m)
{
    return m->n_imported_funcs;
}

uint32_t wasm_mv_num_tables(const wasm_module *m)
{
    return m->ntables;
}

uint32_t wasm_mv_num_mems(const wasm_module *m)
{
    return m->nmems;
}

uint32_t wasm_mv_num_globals(const wasm_module *m)
{
    return m->nglobals;
}

void wasm_mv_table(const wasm_module *m, uint32_t idx, uint8_t *elem_type, mv_limits *lim)
{
    *elem_type = m->tables[idx].type.elem_type;
    limits_out(&m->tables[idx].type.limits, lim);
}

void wasm_mv_mem(const wasm_module *m, uint32_t idx, mv_limits *lim)
{
    limits_out(&m->mems[idx].limits, lim);
}

void wasm_mv_global(const wasm_module *m, uint32_t idx, uint8_t *valtype, bool *mutable_,
                    const uint8_t **init_expr)
{
    const wm_global *g = &m->globals[idx];
    *valtype = g->type.valtype;
    *mutable_ = g->type.mutable_;
    *init_expr = g->imported ? NULL : m->bytes + g->init.start;
}

void wasm_mv_export(const wasm_module *m, uint32_t i, const char **name, wasm_extern_kind *kind,
                    uint32_t *index)
{
    *name = m->exports[i].name;
    *kind = m->exports[i].kind;
    *index = m->exports[i].index;
}

const char *wasm_mv_export_name(const wasm_module *m, uint32_t i, size_t *len)
{
    *len = m->exports[i].name_len;
    return m->exports[i].name;
}

int64_t wasm_mv_start(const wasm_module *m)
{
    return m->start;
}

uint32_t wasm_mv_num_elems(const wasm_module *m)
{
    return m->nelems;
}

void wasm_mv_elem(const wasm_module *m, uint32_t i, int *mode, uint32_t *table,
                  const uint8_t **offset_expr, uint8_t *elem_type, uint32_t *count)
{
    const wm_elem *e = &m->elems[i];
    *mode = (int)e->mode;
    *table = e->table;
    *offset_expr = e->mode == WM_SEG_ACTIVE ? m->bytes + e->offset.start : NULL;
    *elem_type = e->elem_type;
    *count = e->count;
}

void wasm_mv_elem_item(const wasm_module *m, uint32_t i, uint32_t j, const uint8_t **expr,
                       uint32_t *func_idx)
{
    const wm_elem *e = &m->elems[i];
    if (e->func_indices) {
        *expr = NULL;
        *func_idx = e->func_indices[j];
    } else {
        *expr = m->bytes + e->exprs[j].start;
        *func_idx = 0;
    }
}

uint32_t wasm_mv_num_datas(const wasm_module *m)
{
    return m->ndatas;
}

void wasm_mv_data_seg(const wasm_module *m, uint32_t i, int *mode, uint32_t *mem,
                      const uint8_t **offset_expr)
{
    const wm_data *d = &m->datas[i];
    *mode = (int)d->mode;
    *mem = d->memory;
    *offset_expr = d->mode == WM_SEG_ACTIVE ? m->bytes + d->offset.start : NULL;
}

bool wasm_mv_image(const wasm_module *m, int *fd, size_t *len)
{
    *fd = m->image_fd;
    *len = m->image_len;
    return m->image_len != 0;
}
