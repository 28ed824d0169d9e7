/*
 * fuzz_module.c - libFuzzer target for the engine's front half: decode and
 * validate arbitrary bytes with wasm_module_new.
 *
 * Any input must either yield a module or fail as malformed/invalid with a
 * message; never crash, leak or read out of bounds (ASan/UBSan watch).  An
 * accepted module must satisfy the invariants the back half relies on
 * (module.h): every byte range lies inside the module's copy of the
 * binary, bodies and constant expressions end with 0x0B, indices are in
 * range.  Decoding is deterministic: the same bytes decode the same way
 * twice.  A violation aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_range(const wasm_module *m, wm_range r, bool is_expr)
{
    if (r.start > r.end || r.end > m->len)
        abort();
    if (is_expr && (r.end == r.start || m->bytes[r.end - 1] != 0x0B))
        abort();
}

static void check_module(const wasm_module *m)
{
    if (m->n_imported_funcs > m->nfuncs || m->nbodies != m->nfuncs - m->n_imported_funcs)
        abort();
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->func_type[i] >= m->ntypes)
            abort();
    for (uint32_t i = 0; i < m->nbodies; i++) {
        check_range(m, m->funcs[i].body, true);
        if (m->funcs[i].max_depth < 1)
            abort();
    }
    for (uint32_t i = m->n_imported_globals; i < m->nglobals; i++)
        check_range(m, m->globals[i].init, true);
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wm_export *e = &m->exports[i];
        uint32_t limit = e->kind == WASM_EXTERN_FUNC     ? m->nfuncs
                         : e->kind == WASM_EXTERN_TABLE  ? m->ntables
                         : e->kind == WASM_EXTERN_MEMORY ? m->nmems
                                                         : m->nglobals;
        if (e->index >= limit)
            abort();
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wm_elem *e = &m->elems[i];
        if (e->mode == WM_SEG_ACTIVE) {
            if (e->table >= m->ntables)
                abort();
            check_range(m, e->offset, true);
        }
        for (uint32_t k = 0; k < e->count; k++) {
            if (e->func_indices && e->func_indices[k] >= m->nfuncs)
                abort();
            if (e->exprs)
                check_range(m, e->exprs[k], true);
        }
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        check_range(m, m->datas[i].bytes, false);
        if (m->datas[i].mode == WM_SEG_ACTIVE) {
            if (m->datas[i].memory >= m->nmems)
                abort();
            check_range(m, m->datas[i].offset, true);
        }
    }
    if (m->start >= (int64_t)m->nfuncs)
        abort();
    if (m->nmems > 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wasm_result r1, r2;
    wasm_module *m = wasm_module_new(data, size, NULL, &r1);
    wasm_module *again = wasm_module_new(data, size, NULL, &r2);
    if ((m == NULL) != (again == NULL))
        abort();
    if (!m) {
        if ((r1.kind != WASM_MALFORMED && r1.kind != WASM_INVALID) || r1.message[0] == '\0')
            abort();
        if (r1.kind != r2.kind || strcmp(r1.message, r2.message) != 0)
            abort();
        return 0;
    }
    check_module(m);
    wasm_module_free(again);
    wasm_module_free(m);
    return 0;
}
