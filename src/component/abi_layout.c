/*
 * abi_layout.c - the canonical ABI's layout of resolved types: size and
 * alignment in linear memory, and flattening into core values
 * (CanonicalABI.md: alignment, elem_size, flatten_type, flatten_functype).
 *
 * Computed once per type, when linking builds it, so lifting and lowering
 * only read t->size, t->align and t->flat.  Sizes are computed in 64 bits
 * and refused past 4 GiB (no 32-bit memory could hold such a value); depth
 * is bounded by COMPONENT_MAX_TYPE_DEPTH so the recursive walks of lifting
 * and lowering cannot exhaust the stack, whatever a component declares.
 */
#include "rtype.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t align_to(uint64_t n, uint32_t align)
{
    return (n + align - 1) / align * align;
}

/* The discriminant of a variant with n cases: u8, u16 or u32. */
static uint32_t discriminant_size(uint32_t ncases)
{
    if (ncases <= 0x100)
        return 1;
    if (ncases <= 0x10000)
        return 2;
    return 4;
}

static uint32_t flag_words(uint32_t nlabels)
{
    return (nlabels + 31) / 32;
}

/* Appends one core type to t's flattening (counting past what is kept). */
static void flat_push(component_rtype *t, wasm_valtype v)
{
    if (t->nflat < COMPONENT_MAX_FLAT_KEPT)
        t->flat[t->nflat] = v;
    t->nflat++;
}

/* The spec's join of two cases' core types at one position. */
static wasm_valtype flat_join(wasm_valtype a, wasm_valtype b)
{
    if (a == b)
        return a;
    if ((a == WASM_I32 && b == WASM_F32) || (a == WASM_F32 && b == WASM_I32))
        return WASM_I32;
    return WASM_I64;
}

static int layout_child(const component_rtype *child, uint32_t depth, util_error **err);

static int layout_at(component_rtype *t, uint32_t depth, util_error **err);

/* Children are laid out before their parents; a child the resolver built
 * and laid out already is not walked again. */
static int layout_child(const component_rtype *child, uint32_t depth, util_error **err)
{
    if (!child || child->align != 0)
        return 0;
    return layout_at((component_rtype *)child, depth + 1, err);
}

static uint32_t child_depth(const component_rtype *child)
{
    return child ? child->depth : 0;
}

static void layout_record(component_rtype *t, uint64_t *size, uint32_t *align)
{
    uint64_t s = 0;
    uint32_t a = 1;
    for (uint32_t i = 0; i < t->nfields; i++) {
        const component_rtype *f = t->fields[i].type;
        s = align_to(s, f->align) + f->size;
        if (f->align > a)
            a = f->align;
        for (uint32_t k = 0; k < f->nflat; k++)
            flat_push(t, k < COMPONENT_MAX_FLAT_KEPT ? f->flat[k] : WASM_I32);
    }
    *size = align_to(s, a);
    *align = a;
}

/* Variants, enums, options and results: cases with optional payloads. */
static void layout_cases(component_rtype *t, const component_rtype *const *payloads,
                         uint32_t ncases, uint64_t *size, uint32_t *align)
{
    uint32_t disc = discriminant_size(ncases);
    uint32_t case_align = 1;
    uint64_t case_size = 0;
    uint32_t nflat = 0;
    wasm_valtype joined[COMPONENT_MAX_FLAT_KEPT];
    for (uint32_t c = 0; c < ncases; c++) {
        const component_rtype *p = payloads[c];
        if (!p)
            continue;
        if (p->align > case_align)
            case_align = p->align;
        if (p->size > case_size)
            case_size = p->size;
        for (uint32_t k = 0; k < p->nflat; k++) {
            wasm_valtype v = k < COMPONENT_MAX_FLAT_KEPT ? p->flat[k] : WASM_I64;
            if (k < nflat) {
                if (k < COMPONENT_MAX_FLAT_KEPT)
                    joined[k] = flat_join(joined[k], v);
            } else {
                if (k < COMPONENT_MAX_FLAT_KEPT)
                    joined[k] = v;
                nflat = k + 1;
            }
        }
    }
    uint32_t a = disc > case_align ? disc : case_align;
    *size = align_to(align_to(disc, case_align) + case_size, a);
    *align = a;
    flat_push(t, WASM_I32);
    for (uint32_t k = 0; k < nflat; k++)
        flat_push(t, k < COMPONENT_MAX_FLAT_KEPT ? joined[k] : WASM_I64);
}

static int layout_at(component_rtype *t, uint32_t depth, util_error **err)
{
    if (depth > COMPONENT_MAX_TYPE_DEPTH)
        return util_error_set(err, 0, "type nesting deeper than %d levels",
                              COMPONENT_MAX_TYPE_DEPTH);
    if (t->kind == COMPONENT_TYPE_PRIM) {
        const component_rtype *p = component_rtype_prim(t->prim);
        if (!p)
            return util_error_set(err, 0, "primitive type 0x%02x has no canonical ABI layout",
                                  (unsigned)t->prim);
        *t = *p;
        return 0;
    }
    if (layout_child(t->a, depth, err) < 0 || layout_child(t->b, depth, err) < 0)
        return -1;
    uint32_t deepest = child_depth(t->a) > child_depth(t->b) ? child_depth(t->a)
                                                             : child_depth(t->b);
    for (uint32_t i = 0; i < t->nfields; i++) {
        if (layout_child(t->fields[i].type, depth, err) < 0)
            return -1;
        if (child_depth(t->fields[i].type) > deepest)
            deepest = child_depth(t->fields[i].type);
    }
    t->depth = deepest + 1;
    if (t->depth > COMPONENT_MAX_TYPE_DEPTH)
        return util_error_set(err, 0, "type nesting deeper than %d levels",
                              COMPONENT_MAX_TYPE_DEPTH);

    uint64_t size = 0;
    uint32_t align = 1;
    t->nflat = 0;
    switch (t->kind) {
    case COMPONENT_TYPE_RECORD:
    case COMPONENT_TYPE_TUPLE:
        layout_record(t, &size, &align);
        break;
    case COMPONENT_TYPE_LIST:
        size = 8;
        align = 4;
        flat_push(t, WASM_I32);
        flat_push(t, WASM_I32);
        break;
    case COMPONENT_TYPE_FLAGS: {
        uint32_t n = t->nfields;
        if (n == 0 || n > 64)
            return util_error_set(err, 0, "flags with %u labels (1 to 64 are supported)", n);
        size = n <= 8 ? 1 : n <= 16 ? 2 : 4 * (uint64_t)flag_words(n);
        align = n <= 8 ? 1 : n <= 16 ? 2 : 4;
        for (uint32_t w = 0; w < flag_words(n); w++)
            flat_push(t, WASM_I32);
        break;
    }
    case COMPONENT_TYPE_OWN:
    case COMPONENT_TYPE_BORROW:
        size = 4;
        align = 4;
        flat_push(t, WASM_I32);
        break;
    case COMPONENT_TYPE_OPTION: {
        const component_rtype *cases[2] = {NULL, t->a};
        layout_cases(t, cases, 2, &size, &align);
        break;
    }
    case COMPONENT_TYPE_RESULT: {
        const component_rtype *cases[2] = {t->a, t->b};
        layout_cases(t, cases, 2, &size, &align);
        break;
    }
    case COMPONENT_TYPE_VARIANT:
    case COMPONENT_TYPE_ENUM: {
        if (t->nfields == 0)
            return util_error_set(err, 0, "%s without cases",
                                  t->kind == COMPONENT_TYPE_ENUM ? "enum" : "variant");
        const component_rtype *few[8];
        const component_rtype **cases = t->nfields <= 8
                                            ? few
                                            : util_xcalloc(t->nfields, sizeof *cases);
        for (uint32_t i = 0; i < t->nfields; i++)
            cases[i] = t->fields[i].type;
        layout_cases(t, cases, t->nfields, &size, &align);
        if (cases != few)
            free((void *)cases);
        break;
    }
    default:
        return util_error_set(err, 0, "type kind %d is not a value type", (int)t->kind);
    }
    if (size > UINT32_MAX)
        return util_error_set(err, 0, "a value of this type takes %llu bytes, more than a "
                              "32-bit memory holds", (unsigned long long)size);
    t->size = (uint32_t)size;
    t->align = align;
    return 0;
}

int component_rtype_layout(component_rtype *t, util_error **err)
{
    return layout_at(t, 1, err);
}

static char sig_letter(wasm_valtype v)
{
    switch (v) {
    case WASM_I64:
        return 'I';
    case WASM_F32:
        return 'f';
    case WASM_F64:
        return 'F';
    default:
        return 'i';
    }
}

/* Appends the flat types of every parameter to `sig` (which has room for
 * MAX_FLAT_PARAMS letters); false when they do not fit. */
static bool append_param_letters(const component_rfunc *f, char *sig, size_t *len)
{
    size_t n = 0;
    for (uint32_t i = 0; i < f->nparams; i++) {
        const component_rtype *p = f->params[i].type;
        if (p->nflat > COMPONENT_MAX_FLAT_PARAMS - n)
            return false;
        for (uint32_t k = 0; k < p->nflat; k++)
            sig[(*len)++] = sig_letter(p->flat[k]);
        n += p->nflat;
    }
    return true;
}

int component_rfunc_layout(component_rfunc *f, util_error **err)
{
    uint64_t flat_params = 0;
    for (uint32_t i = 0; i < f->nparams; i++) {
        component_rtype *p = (component_rtype *)f->params[i].type;
        if (p->align == 0 && component_rtype_layout(p, err) < 0)
            return -1;
        flat_params += p->nflat;
    }
    if (f->result && f->result->align == 0 &&
        component_rtype_layout((component_rtype *)f->result, err) < 0)
        return -1;

    f->params_in_memory = flat_params > COMPONENT_MAX_FLAT_PARAMS;
    f->nflat_params = f->params_in_memory ? 1 : (uint32_t)flat_params;
    uint32_t result_flat = f->result ? f->result->nflat : 0;
    f->result_in_memory = result_flat > COMPONENT_MAX_FLAT_RESULTS;
    f->nflat_results = f->result_in_memory ? 1 : result_flat;

    char params[COMPONENT_MAX_FLAT_PARAMS + 2];
    size_t np = 0;
    if (f->params_in_memory)
        params[np++] = 'i';
    else
        append_param_letters(f, params, &np);
    params[np] = '\0';
    char result[2] = {0};
    if (f->result_in_memory)
        result[0] = 'i';
    else if (result_flat == 1)
        result[0] = sig_letter(f->result->flat[0]);

    snprintf(f->lift_sig, sizeof f->lift_sig, "%s:%s", params, result);
    if (f->result_in_memory)
        snprintf(f->lower_sig, sizeof f->lower_sig, "%si:", params);
    else
        snprintf(f->lower_sig, sizeof f->lower_sig, "%s:%s", params, result);
    return 0;
}
