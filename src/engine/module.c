/*
 * module.c - wasm_module life cycle and introspection (wasm.h).
 *
 * wasm_module_new copies the bytes (wasm_module_new_take adopts a buffer
 * instead), decodes and validates everything
 * (decode.c, validate.c) and hands out a reference-counted, immutable
 * module; only the translator's per-function code slots change later, and
 * those are published atomically by their owner (translate.c).  All
 * strings handed out (import/export names, signatures) point into the
 * module and live as long as it does.
 */
#include <string.h>

#include "decode.h"
#include "module.h"

/* Frees a function's translated code (translate.c). */
void wasm_rt_code_release(void *code);

void wasm_wm_clear(wasm_module *m)
{
    for (uint32_t i = 0; i < m->ntypes; i++) {
        free(m->types[i].types);
        free(m->types[i].sig);
    }
    free(m->types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        free(m->imports[i].module);
        free(m->imports[i].name);
    }
    free(m->imports);
    free(m->func_type);
    uint32_t ndef = m->nfuncs - m->n_imported_funcs;
    for (uint32_t i = 0; i < m->nbodies; i++)
        free(m->funcs[i].local_groups);
    free(m->funcs);
    if (m->code) {
        for (uint32_t i = 0; i < ndef; i++) {
            struct rt_code *c = atomic_load(&m->code[i]);
            if (c)
                wasm_rt_code_release(c);
        }
    }
    free(m->code);
    free(m->tables);
    free(m->mems);
    free(m->globals);
    for (uint32_t i = 0; i < m->nexports; i++) {
        free(m->exports[i].name);
        if (m->export_sigs)
            free(m->export_sigs[i]);
    }
    free(m->exports);
    free(m->export_sigs);
    for (uint32_t i = 0; i < m->nelems; i++) {
        free(m->elems[i].func_indices);
        free(m->elems[i].exprs);
    }
    free(m->elems);
    free(m->datas);
    wasm_wm_image_free(m);
    if (m->func_names)
        for (uint32_t i = 0; i < m->nfuncs; i++)
            free(m->func_names[i]);
    free(m->func_names);
    free(m->func_declared);
    free(m->bytes);
    memset(m, 0, sizeof *m);
}

wasm_module *wasm_module_new(const uint8_t *bytes, size_t len, const wasm_features *features,
                             wasm_result *res)
{
    if (len > UINT32_MAX - 1)
        return wasm_module_new_take(NULL, len, features, res);
    uint8_t *copy = util_xmalloc(len ? len : 1);
    util_prefault(copy, len);
    if (len)
        memcpy(copy, bytes, len);
    return wasm_module_new_take(copy, len, features, res);
}

wasm_module *wasm_module_new_take(uint8_t *bytes, size_t len, const wasm_features *features,
                                  wasm_result *res)
{
    wasm_result local;
    if (!res)
        res = &local;
    wasm_result_init(res);
    if (len > UINT32_MAX - 1) {
        free(bytes);
        res->kind = WASM_MALFORMED;
        snprintf(res->message, sizeof res->message, "module too large (%zu bytes)", len);
        return NULL;
    }
    wasm_module *m = util_xcalloc(1, sizeof *m);
    atomic_init(&m->refcount, 1);
    if (features)
        m->features = *features;
    m->bytes = bytes ? bytes : util_xmalloc(1);
    m->len = len;
    if (wasm_wm_decode(m, res) < 0) {
        wasm_wm_clear(m);
        free(m);
        return NULL;
    }
    m->export_sigs = util_xcalloc(m->nexports ? m->nexports : 1, sizeof *m->export_sigs);
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == WASM_EXTERN_FUNC)
            m->export_sigs[i] =
                util_xstrdup(m->types[m->func_type[m->exports[i].index]].sig);
    wasm_wm_image_build(m);
    wasm_result_init(res);
    return m;
}

wasm_module *wasm_module_ref(wasm_module *m)
{
    if (m)
        atomic_fetch_add(&m->refcount, 1);
    return m;
}

void wasm_module_free(wasm_module *m)
{
    if (!m || atomic_fetch_sub(&m->refcount, 1) != 1)
        return;
    wasm_wm_clear(m);
    free(m);
}

size_t wasm_module_import_count(const wasm_module *m)
{
    return m->nimports;
}

wasm_import_desc wasm_module_import(const wasm_module *m, size_t i)
{
    const wm_import *im = &m->imports[i];
    return (wasm_import_desc){.module = im->module, .name = im->name, .kind = im->kind};
}

const char *wasm_module_import_signature(const wasm_module *m, size_t i)
{
    const wm_import *im = &m->imports[i];
    return im->kind == WASM_EXTERN_FUNC ? m->types[im->desc.func_type].sig : NULL;
}

size_t wasm_module_export_count(const wasm_module *m)
{
    return m->nexports;
}

wasm_export_desc wasm_module_export(const wasm_module *m, size_t i)
{
    return (wasm_export_desc){
        .name = m->exports[i].name, .name_len = m->exports[i].name_len, .kind = m->exports[i].kind};
}

const char *wasm_module_export_signature(const wasm_module *m, const char *name)
{
    for (uint32_t i = 0; i < m->nexports; i++)
        if (strcmp(m->exports[i].name, name) == 0)
            return m->export_sigs[i];
    return NULL;
}

const char *wasm_wm_func_name(const wasm_module *m, uint32_t idx)
{
    if (!m->func_names || idx >= m->nfuncs)
        return NULL;
    return m->func_names[idx];
}
