/*
 * decode.c - reads the sections of a binary module into struct wasm_module
 * and checks everything the spec checks outside function bodies.
 *
 * One pass over the bytes, section by section, in the spec's order (custom
 * sections anywhere).  Every read is bounded by the end of the binary and
 * sizes are compared afterwards, exactly like the reference decoder, so the
 * reported error is the one the spec test suite expects ("section size
 * mismatch", "length out of bounds", "unexpected end ...").  Module-level
 * validation (index ranges, limits, duplicate exports, constant
 * expressions) happens as soon as the information is there, but only as a
 * pending error: decoding always runs to the end, since a malformed byte
 * anywhere outranks an invalid construct (see decode.h).  The checks the
 * spec makes after the last section (function/code counts, data count)
 * come last, then the pending validation error, if any, is reported.
 *
 * Function bodies are validated as their code entries are read (validate.c)
 * and everything a body can refer to (types, functions, tables, memories,
 * globals, element segments, the data count, declared function references)
 * precedes the code section, so a single pass suffices.
 */
#include <stdarg.h>
#include <string.h>

#include "decode.h"
#include "opcodes.h"

enum { SEC_CUSTOM = 0, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY, SEC_GLOBAL,
       SEC_EXPORT, SEC_START, SEC_ELEMENT, SEC_CODE, SEC_DATA, SEC_DATACOUNT };

/* Position of each section id in the required order (data count sits
 * between element and code). */
static const uint8_t k_rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

typedef struct dec {
    wm_reader r;
    uint32_t cap_func_type, cap_tables, cap_mems, cap_globals;
    uint32_t n_defined_funcs; /* from the function section */
    uint32_t n_code;          /* from the code section */
    bool has_name_section;
    bool has_data_section;
    wm_range name_section;
} dec;

/* Appends where the problem is.  The spec's text stays a prefix of the
 * message, which is how the spec's own test harness compares messages. */
static void add_context(wm_reader *r, bool offset)
{
    char *msg = r->res->message;
    size_t len = strlen(msg), cap = sizeof r->res->message;
    if (r->func_index >= 0 && offset)
        snprintf(msg + len, cap - len, " (function %lld, byte 0x%x)", (long long)r->func_index,
                 rd_pos(r));
    else if (r->func_index >= 0)
        snprintf(msg + len, cap - len, " (function %lld)", (long long)r->func_index);
    else if (offset)
        snprintf(msg + len, cap - len, " (byte 0x%x)", rd_pos(r));
}

int wasm_rd_malformed(wm_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->res->message, sizeof r->res->message, fmt, ap);
    va_end(ap);
    r->res->kind = WASM_MALFORMED;
    add_context(r, true);
    return -1;
}

int wasm_rd_invalid(wm_reader *r, const char *fmt, ...)
{
    if (r->invalid)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->res->message, sizeof r->res->message, fmt, ap);
    va_end(ap);
    r->res->kind = WASM_INVALID;
    r->invalid = true;
    add_context(r, false);
    return 0;
}

int wasm_rd_valtype(wm_reader *r, uint8_t *out)
{
    if (rd_u8(r, out) < 0)
        return -1;
    if (*out == WASM_V128)
        return wasm_rd_malformed(r, "SIMD (v128) is not supported");
    if (!wm_is_valtype(*out))
        return wasm_rd_malformed(r, "malformed value type");
    return 0;
}

/* ---- small readers -------------------------------------------------------- */

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

static int rd_name_len(wm_reader *r, char **out, uint32_t *len)
{
    uint32_t n;
    if (rd_len(r, &n) < 0)
        return -1;
    *len = n;
    if (!utf8_valid(r->p, n))
        return wasm_rd_malformed(r, "malformed UTF-8 encoding");
    if (out)
        *out = util_xstrndup((const char *)r->p, n);
    r->p += n;
    return 0;
}

static int rd_name(wm_reader *r, char **out)
{
    uint32_t len;
    return rd_name_len(r, out, &len);
}

static int rd_reftype(wm_reader *r, uint8_t *out)
{
    if (rd_u8(r, out) < 0)
        return -1;
    if (!wm_is_reftype(*out))
        return wasm_rd_malformed(r, "malformed reference type");
    return 0;
}

static int rd_limits(wm_reader *r, wm_limits *l)
{
    uint64_t flags;
    uint32_t v;
    int rc = util_leb128_read_uN(&r->p, r->end, 1, &flags); /* a 1-bit LEB, as the spec reads it */
    if (rc != UTIL_LEB128_OK)
        return rd_leb_error(r, rc);
    *l = (wm_limits){0};
    if (rd_u32(r, &v) < 0)
        return -1;
    l->min = v;
    if (flags & 1) {
        if (rd_u32(r, &v) < 0)
            return -1;
        l->max = v;
        l->has_max = true;
    }
    return 0;
}

static void check_table_limits(wm_reader *r, const wm_limits *l)
{
    if (l->has_max && l->min > l->max)
        wasm_rd_invalid(r, "size minimum must not be greater than maximum");
}

static void check_memory_limits(wm_reader *r, const wm_limits *l)
{
    if (l->min > 65536 || (l->has_max && l->max > 65536))
        wasm_rd_invalid(r, "memory size must be at most 65536 pages (4GiB)");
    else if (l->has_max && l->min > l->max)
        wasm_rd_invalid(r, "size minimum must not be greater than maximum");
}

static int rd_tabletype(wm_reader *r, wm_tabletype *t)
{
    if (rd_reftype(r, &t->elem_type) < 0 || rd_limits(r, &t->limits) < 0)
        return -1;
    check_table_limits(r, &t->limits);
    return 0;
}

static int rd_memtype(wm_reader *r, wm_limits *l)
{
    if (rd_limits(r, l) < 0)
        return -1;
    check_memory_limits(r, l);
    return 0;
}

static int rd_globaltype(wm_reader *r, wm_globaltype *g)
{
    /* Defined on every path: gcc -O3 cannot see that callers use *g only
     * on success, and warns (-Wmaybe-uninitialized) where they copy it. */
    *g = (wm_globaltype){0};
    uint8_t mut;
    if (wasm_rd_valtype(r, &g->valtype) < 0 || rd_u8(r, &mut) < 0)
        return -1;
    if (mut > 1)
        return wasm_rd_malformed(r, "malformed mutability");
    g->mutable_ = mut == 1;
    return 0;
}

/* Reads a constant expression of type `t` into `range`. */
static int rd_const_expr(dec *d, uint8_t t, uint32_t nglobals, wm_range *range)
{
    wm_expr_info info = {.kind = WM_EXPR_CONST, .const_type = t, .const_nglobals = nglobals};
    range->start = rd_pos(&d->r);
    if (wasm_wm_validate_expr(&d->r, &info) < 0)
        return -1;
    range->end = rd_pos(&d->r);
    return 0;
}

/* ---- vectors -------------------------------------------------------------- */

/* Reads a vector's count and allocates its array with room for as many
 * entries as there are bytes left (each takes at least one): a huge count
 * in a small file allocates little, and a loop that gets past *room has
 * reached the end of the input.  NULL if the count cannot be read. */
static void *rd_vec_room(wm_reader *r, uint32_t *n, uint32_t *room, size_t elem)
{
    if (rd_vec(r, n) < 0)
        return NULL;
    *room = rd_vec_cap(r, *n);
    return util_xcalloc(*room ? *room : 1, elem);
}

/* The entries of a section's vector, whose array rd_vec_room made: entry()
 * reads entry i and counts it in the module before filling it in, so what
 * a failure leaves half read is still freed by wasm_wm_clear. */
typedef int (*entry_reader)(dec *d, uint32_t i);

static int rd_entries(dec *d, uint32_t n, uint32_t room, entry_reader entry)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i >= room)
            return rd_eof(&d->r);
        if (entry(d, i) < 0)
            return -1;
    }
    return 0;
}

/* ---- growable index spaces ------------------------------------------------ */

static void *grow(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    uint32_t c = *cap ? *cap : 8;
    while (c < need)
        c = c > UINT32_MAX / 2 ? need : c * 2;
    *cap = c;
    return util_xrealloc(p, (size_t)c * elem);
}

static void add_func(dec *d, uint32_t type_idx)
{
    wasm_module *m = d->r.m;
    m->func_type = grow(m->func_type, &d->cap_func_type, m->nfuncs + 1, sizeof *m->func_type);
    m->func_type[m->nfuncs++] = type_idx;
}

static void add_table(dec *d, const wm_tabletype *t, bool imported)
{
    wasm_module *m = d->r.m;
    m->tables = grow(m->tables, &d->cap_tables, m->ntables + 1, sizeof *m->tables);
    m->tables[m->ntables++] = (wm_table){.type = *t, .imported = imported};
}

static void add_memory(dec *d, const wm_limits *l, bool imported)
{
    wasm_module *m = d->r.m;
    m->mems = grow(m->mems, &d->cap_mems, m->nmems + 1, sizeof *m->mems);
    m->mems[m->nmems++] = (wm_memory){.limits = *l, .imported = imported};
}

static wm_global *add_global(dec *d, const wm_globaltype *t, bool imported)
{
    wasm_module *m = d->r.m;
    m->globals = grow(m->globals, &d->cap_globals, m->nglobals + 1, sizeof *m->globals);
    m->globals[m->nglobals] = (wm_global){.type = *t, .imported = imported};
    return &m->globals[m->nglobals++];
}

/* ---- sections ------------------------------------------------------------- */

static char *signature_of(const wm_functype *ft)
{
    char *s = util_xmalloc(ft->nparams + ft->nresults + 2);
    size_t k = 0;
    for (uint32_t i = 0; i < ft->nparams + ft->nresults; i++) {
        if (i == ft->nparams)
            s[k++] = ':';
        switch (ft->types[i]) {
        case WASM_I32: s[k++] = 'i'; break;
        case WASM_I64: s[k++] = 'I'; break;
        case WASM_F32: s[k++] = 'f'; break;
        case WASM_F64: s[k++] = 'F'; break;
        case WASM_FUNCREF: s[k++] = 'r'; break;
        case WASM_EXTERNREF: s[k++] = 'e'; break;
        default: s[k++] = 'v'; break;
        }
    }
    if (ft->nresults == 0)
        s[k++] = ':';
    s[k] = '\0';
    return s;
}

/* Checks a vector of n value types in place; *start is where it begins. */
static int rd_valtypes(wm_reader *r, uint32_t *n, const uint8_t **start)
{
    if (rd_vec(r, n) < 0)
        return -1;
    *start = r->p;
    for (uint32_t k = 0; k < *n; k++) {
        uint8_t t;
        if (wasm_rd_valtype(r, &t) < 0)
            return -1;
    }
    return 0;
}

static int type_entry(dec *d, uint32_t i)
{
    wm_reader *r = &d->r;
    wasm_module *m = r->m;
    int64_t form;
    uint32_t np, nr;
    const uint8_t *pp, *rp;
    (void)i;
    int rc = util_leb128_read_sN(&r->p, r->end, 7, &form);
    if (rc != UTIL_LEB128_OK)
        return rd_leb_error(r, rc);
    if (form != -0x20)
        return wasm_rd_malformed(r, "malformed function type");
    if (rd_valtypes(r, &np, &pp) < 0 || rd_valtypes(r, &nr, &rp) < 0)
        return -1;
    wm_functype *ft = &m->types[m->ntypes++];
    ft->nparams = np;
    ft->nresults = nr;
    ft->types = util_xmalloc(np + nr + 1);
    memcpy(ft->types, pp, np);
    memcpy(ft->types + np, rp, nr);
    ft->sig = signature_of(ft);
    return 0;
}

static int sec_type(dec *d)
{
    wasm_module *m = d->r.m;
    uint32_t n, room;
    if (!(m->types = rd_vec_room(&d->r, &n, &room, sizeof *m->types)))
        return -1;
    return rd_entries(d, n, room, type_entry);
}

static int import_entry(dec *d, uint32_t i)
{
    wm_reader *r = &d->r;
    wasm_module *m = r->m;
    (void)i;
    wm_import *im = &m->imports[m->nimports++];
    uint8_t kind;
    if (rd_name(r, &im->module) < 0 || rd_name(r, &im->name) < 0 || rd_u8(r, &kind) < 0)
        return -1;
    switch (kind) {
    case 0:
        im->kind = WASM_EXTERN_FUNC;
        if (rd_u32(r, &im->desc.func_type) < 0)
            return -1;
        if (im->desc.func_type >= m->ntypes)
            wasm_rd_invalid(r, "unknown type %u", im->desc.func_type);
        im->index = m->nfuncs;
        add_func(d, im->desc.func_type);
        m->n_imported_funcs++;
        break;
    case 1:
        im->kind = WASM_EXTERN_TABLE;
        if (rd_tabletype(r, &im->desc.table) < 0)
            return -1;
        im->index = m->ntables;
        add_table(d, &im->desc.table, true);
        m->n_imported_tables++;
        break;
    case 2:
        im->kind = WASM_EXTERN_MEMORY;
        if (rd_memtype(r, &im->desc.memory) < 0)
            return -1;
        im->index = m->nmems;
        add_memory(d, &im->desc.memory, true);
        m->n_imported_mems++;
        break;
    case 3:
        im->kind = WASM_EXTERN_GLOBAL;
        if (rd_globaltype(r, &im->desc.global) < 0)
            return -1;
        im->index = m->nglobals;
        add_global(d, &im->desc.global, true);
        m->n_imported_globals++;
        break;
    default:
        return wasm_rd_malformed(r, "malformed import kind");
    }
    return 0;
}

static int sec_import(dec *d)
{
    wasm_module *m = d->r.m;
    uint32_t n, room;
    if (!(m->imports = rd_vec_room(&d->r, &n, &room, sizeof *m->imports)))
        return -1;
    return rd_entries(d, n, room, import_entry);
}

static int sec_function(dec *d)
{
    wm_reader *r = &d->r;
    wasm_module *m = r->m;
    uint32_t n;
    if (rd_vec(r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t;
        if (rd_u32(r, &t) < 0)
            return -1;
        if (t >= m->ntypes)
            wasm_rd_invalid(r, "unknown type %u", t);
        add_func(d, t);
    }
    d->n_defined_funcs = n;
    return 0;
}

static int sec_table(dec *d)
{
    uint32_t n;
    if (rd_vec(&d->r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        wm_tabletype t;
        if (rd_tabletype(&d->r, &t) < 0)
            return -1;
        add_table(d, &t, false);
    }
    return 0;
}

static int sec_memory(dec *d)
{
    uint32_t n;
    if (rd_vec(&d->r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        wm_limits l;
        if (rd_memtype(&d->r, &l) < 0)
            return -1;
        add_memory(d, &l, false);
    }
    return 0;
}

static int sec_global(dec *d)
{
    wm_reader *r = &d->r;
    uint32_t n;
    if (rd_vec(r, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        wm_globaltype t;
        if (rd_globaltype(r, &t) < 0)
            return -1;
        wm_range init;
        if (rd_const_expr(d, t.valtype, r->m->n_imported_globals, &init) < 0)
            return -1;
        add_global(d, &t, false)->init = init;
    }
    return 0;
}

static int cmp_exports(const void *a, const void *b)
{
    const wm_export *x = *(const wm_export *const *)a, *y = *(const wm_export *const *)b;
    uint32_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static int export_entry(dec *d, uint32_t i)
{
    wm_reader *r = &d->r;
    wasm_module *m = r->m;
    (void)i;
    wm_export *e = &m->exports[m->nexports++];
    uint8_t kind;
    if (rd_name_len(r, NULL, &e->name_len) < 0)
        return -1;
    /* keep the bytes, NULs included, for the duplicate check */
    e->name = util_xmalloc(e->name_len + 1);
    memcpy(e->name, r->p - e->name_len, e->name_len);
    e->name[e->name_len] = '\0';
    if (rd_u8(r, &kind) < 0)
        return -1;
    if (kind > 3)
        return wasm_rd_malformed(r, "malformed export kind");
    if (rd_u32(r, &e->index) < 0)
        return -1;
    e->kind = (wasm_extern_kind)kind;
    static const char *const what[] = {"function", "table", "memory", "global"};
    uint32_t limit = kind == 0 ? m->nfuncs : kind == 1 ? m->ntables
                   : kind == 2 ? m->nmems : m->nglobals;
    if (e->index >= limit)
        wasm_rd_invalid(r, "unknown %s %u", what[kind], e->index);
    else if (kind == 0)
        m->func_declared[e->index] = 1;
    return 0;
}

static int sec_export(dec *d)
{
    wm_reader *r = &d->r;
    wasm_module *m = r->m;
    uint32_t n, room;
    if (!(m->exports = rd_vec_room(r, &n, &room, sizeof *m->exports)))
        return -1;
    if (rd_entries(d, n, room, export_entry) < 0)
        return -1;
    wm_export **sorted = util_xmalloc((n ? n : 1) * sizeof *sorted);
    for (uint32_t i = 0; i < n; i++)
        sorted[i] = &m->exports[i];
    qsort(sorted, n, sizeof *sorted, cmp_exports);
    for (uint32_t i = 1; i < n; i++)
        if (cmp_exports(&sorted[i - 1], &sorted[i]) == 0) {
            wasm_rd_invalid(r, "duplicate export name");
            break;
        }
    free(sorted);
    return 0;
}

static int sec_start(dec *d)
{
    wm_reader *r = &d->r;
    wasm_module *m = r->m;
    uint32_t f;
    if (rd_u32(r, &f) < 0)
        return -1;
    m->start = f;
    if (f >= m->nfuncs) {
        wasm_rd_invalid(r, "unknown function %u", f);
    } else if (m->func_type[f] < m->ntypes) {
        const wm_functype *ft = &m->types[m->func_type[f]];
        if (ft->nparams || ft->nresults)
            wasm_rd_invalid(r, "start function");
    }
    return 0;
}

static int elem_entry(dec *d, uint32_t i)
{
    wm_reader *r = &d->r;
    wasm_module *m = r->m;
    (void)i;
    wm_elem *e = &m->elems[m->nelems++];
    uint32_t flags;
    if (rd_u32(r, &flags) < 0)
        return -1;
    if (flags > 7)
        return wasm_rd_malformed(r, "malformed elements segment kind");
    bool passive_or_decl = flags & 1;
    bool explicit_table = (flags & 3) == 2;
    bool exprs = flags & 4;
    e->mode = !passive_or_decl ? WM_SEG_ACTIVE
              : (flags & 2)    ? WM_SEG_DECLARATIVE
                               : WM_SEG_PASSIVE;
    e->elem_type = WASM_FUNCREF;
    if (explicit_table && rd_u32(r, &e->table) < 0)
        return -1;
    if (e->mode == WM_SEG_ACTIVE &&
        rd_const_expr(d, WASM_I32, m->n_imported_globals, &e->offset) < 0)
        return -1;
    if (passive_or_decl || explicit_table) {
        if (exprs) {
            if (rd_reftype(r, &e->elem_type) < 0)
                return -1;
        } else {
            uint8_t kind;
            if (rd_u8(r, &kind) < 0)
                return -1;
            if (kind != 0)
                return wasm_rd_malformed(r, "malformed elements segment kind");
        }
    }
    uint32_t room;
    if (exprs) {
        if (!(e->exprs = rd_vec_room(r, &e->count, &room, sizeof *e->exprs)))
            return -1;
        for (uint32_t k = 0; k < e->count; k++) {
            if (k >= room)
                return rd_eof(r);
            if (rd_const_expr(d, e->elem_type, m->n_imported_globals, &e->exprs[k]) < 0)
                return -1;
        }
    } else {
        if (!(e->func_indices = rd_vec_room(r, &e->count, &room, sizeof *e->func_indices)))
            return -1;
        for (uint32_t k = 0; k < e->count; k++) {
            uint32_t f;
            if (k >= room)
                return rd_eof(r);
            if (rd_u32(r, &f) < 0)
                return -1;
            e->func_indices[k] = f;
            if (f >= m->nfuncs)
                wasm_rd_invalid(r, "unknown function %u", f);
            else
                m->func_declared[f] = 1;
        }
    }
    if (e->mode == WM_SEG_ACTIVE) {
        if (e->table >= m->ntables)
            wasm_rd_invalid(r, "unknown table %u", e->table);
        else if (m->tables[e->table].type.elem_type != e->elem_type)
            wasm_rd_invalid(r, "type mismatch");
    }
    return 0;
}

static int sec_element(dec *d)
{
    wasm_module *m = d->r.m;
    uint32_t n, room;
    if (!(m->elems = rd_vec_room(&d->r, &n, &room, sizeof *m->elems)))
        return -1;
    return rd_entries(d, n, room, elem_entry);
}

static int sec_datacount(dec *d)
{
    wasm_module *m = d->r.m;
    if (rd_u32(&d->r, &m->datacount) < 0)
        return -1;
    m->has_datacount = true;
    return 0;
}

static int code_entry(dec *d, uint32_t i)
{
    wm_reader *r = &d->r;
    wasm_module *m = r->m;
    /* A count mismatch is reported after the last section (as the spec
     * does); the bodies are still decoded, but not type-checked. */
    bool counts_match = d->n_code == d->n_defined_funcs;
    wm_func *f = &m->funcs[m->nbodies++];
    uint32_t size, ngroups, room;
    r->func_index = (int64_t)m->n_imported_funcs + i;
    if (rd_len(r, &size) < 0)
        return -1;
    const uint8_t *start = r->p;
    if (!(f->local_groups = rd_vec_room(r, &ngroups, &room, sizeof *f->local_groups)))
        return -1;
    uint64_t total = 0;
    for (uint32_t g = 0; g < ngroups; g++) {
        if (g >= room)
            return rd_eof(r);
        wm_local_group *lg = &f->local_groups[f->nlocal_groups++];
        if (rd_u32(r, &lg->count) < 0 || wasm_rd_valtype(r, &lg->valtype) < 0)
            return -1;
        total += lg->count;
    }
    if (total > UINT32_MAX)
        return wasm_rd_malformed(r, "too many locals");
    if (total > WM_MAX_LOCALS)
        return wasm_rd_malformed(r, "too many locals (%llu, at most %u supported)",
                                 (unsigned long long)total, WM_MAX_LOCALS);
    f->nlocals = (uint32_t)total;
    const wm_functype *ft = NULL;
    if (counts_match) {
        f->type_idx = m->func_type[m->n_imported_funcs + i];
        if (f->type_idx < m->ntypes)
            ft = &m->types[f->type_idx];
    }
    wm_expr_info info = {.kind = WM_EXPR_BODY,
                         .type = ft,
                         .locals = f->local_groups,
                         .nlocal_groups = f->nlocal_groups,
                         .nlocals = f->nlocals};
    f->body.start = rd_pos(r);
    if (wasm_wm_validate_expr(r, &info) < 0)
        return -1;
    f->body.end = rd_pos(r);
    f->max_stack = info.max_stack;
    f->max_depth = info.max_depth;
    if (r->p != start + size)
        return wasm_rd_malformed(r, "section size mismatch");
    r->func_index = -1;
    return 0;
}

static int sec_code(dec *d)
{
    wasm_module *m = d->r.m;
    uint32_t room;
    if (!(m->funcs = rd_vec_room(&d->r, &d->n_code, &room, sizeof *m->funcs)))
        return -1;
    return rd_entries(d, d->n_code, room, code_entry);
}

static int data_entry(dec *d, uint32_t i)
{
    wm_reader *r = &d->r;
    wasm_module *m = r->m;
    (void)i;
    wm_data *ds = &m->datas[m->ndatas++];
    uint32_t flags, len;
    if (rd_u32(r, &flags) < 0)
        return -1;
    if (flags > 2)
        return wasm_rd_malformed(r, "malformed data segment kind");
    ds->mode = flags == 1 ? WM_SEG_PASSIVE : WM_SEG_ACTIVE;
    if (flags == 2 && rd_u32(r, &ds->memory) < 0)
        return -1;
    if (ds->mode == WM_SEG_ACTIVE) {
        if (rd_const_expr(d, WASM_I32, m->n_imported_globals, &ds->offset) < 0)
            return -1;
        if (ds->memory >= m->nmems)
            wasm_rd_invalid(r, "unknown memory %u", ds->memory);
    }
    if (rd_bytes_len(r, &len) < 0)
        return -1;
    ds->bytes.start = rd_pos(r);
    r->p += len;
    ds->bytes.end = rd_pos(r);
    return 0;
}

static int sec_data(dec *d)
{
    wasm_module *m = d->r.m;
    uint32_t n, room;
    if (!(m->datas = rd_vec_room(&d->r, &n, &room, sizeof *m->datas)))
        return -1;
    return rd_entries(d, n, room, data_entry);
}

static int sec_custom(dec *d, const uint8_t *start, uint32_t size)
{
    wm_reader *r = &d->r;
    uint32_t n;
    if (rd_len(r, &n) < 0)
        return -1;
    const uint8_t *name = r->p;
    if (!utf8_valid(name, n))
        return wasm_rd_malformed(r, "malformed UTF-8 encoding");
    r->p += n;
    if ((size_t)(r->p - start) > size)
        return wasm_rd_malformed(r, "unexpected end");
    if (n == 4 && memcmp(name, "name", 4) == 0) {
        d->has_name_section = true;
        d->name_section = (wm_range){rd_pos(r), (uint32_t)(start + size - r->base)};
    }
    r->p = start + size;
    return 0;
}

/* The "name" custom section, subsection 1 (function names).  Best effort:
 * the spec does not validate it, so anything odd just stops the parse. */
static void parse_names(dec *d)
{
    wasm_module *m = d->r.m;
    const uint8_t *p = d->r.base + d->name_section.start;
    const uint8_t *end = d->r.base + d->name_section.end;
    while (p < end) {
        uint8_t id = *p++;
        uint32_t size, n;
        if (util_leb128_read_u32(&p, end, &size) != UTIL_LEB128_OK || size > (size_t)(end - p))
            return;
        const uint8_t *sub_end = p + size;
        if (id != 1) {
            p = sub_end;
            continue;
        }
        if (util_leb128_read_u32(&p, sub_end, &n) != UTIL_LEB128_OK)
            return;
        if (!m->func_names && m->nfuncs)
            m->func_names = util_xcalloc(m->nfuncs, sizeof *m->func_names);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t idx, len;
            if (util_leb128_read_u32(&p, sub_end, &idx) != UTIL_LEB128_OK ||
                util_leb128_read_u32(&p, sub_end, &len) != UTIL_LEB128_OK || len > (size_t)(sub_end - p))
                return;
            if (idx < m->nfuncs && !m->func_names[idx] && utf8_valid(p, len))
                m->func_names[idx] = util_xstrndup((const char *)p, len);
            p += len;
        }
        return;
    }
}

/* ---- the module ----------------------------------------------------------- */

static int header(wm_reader *r)
{
    static const uint8_t magic[4] = {0x00, 'a', 's', 'm'};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    size_t len = (size_t)(r->end - r->base);
    if (len < 4)
        return wasm_rd_malformed(r, "unexpected end");
    if (memcmp(r->base, magic, 4) != 0)
        return wasm_rd_malformed(r, "magic header not detected");
    if (len < 8)
        return wasm_rd_malformed(r, "unexpected end");
    if (memcmp(r->base + 4, version, 4) != 0)
        return wasm_rd_malformed(r, "unknown binary version");
    r->p = r->base + 8;
    return 0;
}

static int sections(dec *d)
{
    wm_reader *r = &d->r;
    wasm_module *m = r->m;
    uint8_t last_rank = 0;
    while (r->p < r->end) {
        uint8_t id = *r->p;
        if (id > SEC_DATACOUNT)
            return wasm_rd_malformed(r, "malformed section id %u", id);
        if (id != SEC_CUSTOM) {
            if (k_rank[id] <= last_rank)
                return wasm_rd_malformed(r, "unexpected content after last section");
            last_rank = k_rank[id];
        }
        r->p++;
        uint32_t size;
        if (rd_len(r, &size) < 0)
            return -1;
        const uint8_t *start = r->p;
        if (id > SEC_FUNCTION && !m->func_declared)
            m->func_declared = util_xcalloc(m->nfuncs ? m->nfuncs : 1, 1);
        int rc;
        switch (id) {
        case SEC_CUSTOM: rc = sec_custom(d, start, size); break;
        case SEC_TYPE: rc = sec_type(d); break;
        case SEC_IMPORT: rc = sec_import(d); break;
        case SEC_FUNCTION: rc = sec_function(d); break;
        case SEC_TABLE: rc = sec_table(d); break;
        case SEC_MEMORY: rc = sec_memory(d); break;
        case SEC_GLOBAL: rc = sec_global(d); break;
        case SEC_EXPORT: rc = sec_export(d); break;
        case SEC_START: rc = sec_start(d); break;
        case SEC_ELEMENT: rc = sec_element(d); break;
        case SEC_CODE: rc = sec_code(d); break;
        case SEC_DATA: rc = sec_data(d), d->has_data_section = true; break;
        default: rc = sec_datacount(d); break;
        }
        if (rc < 0)
            return -1;
        if (r->p != start + size)
            return wasm_rd_malformed(r, "section size mismatch");
        r->func_index = -1;
    }
    return 0;
}

int wasm_wm_decode(wasm_module *m, wasm_result *res)
{
    dec d = {.r = {.m = m,
                   .base = m->bytes,
                   .p = m->bytes,
                   .end = m->bytes + m->len,
                   .res = res,
                   .func_index = -1}};
    m->start = -1;
    int rc = -1;
    if (header(&d.r) < 0 || sections(&d) < 0)
        goto out;
    if (!m->func_declared)
        m->func_declared = util_xcalloc(m->nfuncs ? m->nfuncs : 1, 1);
    if (m->nmems > 1 && !m->features.multi_memory)
        wasm_rd_invalid(&d.r, "multiple memories");
    if (d.n_defined_funcs != d.n_code) {
        wasm_rd_malformed(&d.r, "function and code section have inconsistent lengths");
        goto out;
    }
    if (m->has_datacount && m->datacount != m->ndatas) {
        wasm_rd_malformed(&d.r, "data count and data section have inconsistent lengths");
        goto out;
    }
    /* The spec requires a data count section for memory.init/data.drop;
     * without any data section the index is simply out of range, which
     * is what the (text-derived) spec tests expect for that case. */
    if (!m->has_datacount && d.r.uses_data_index) {
        if (d.has_data_section) {
            wasm_rd_malformed(&d.r, "data count section required");
            goto out;
        }
        wasm_rd_invalid(&d.r, "unknown data segment %u", d.r.first_data_index);
    }
    if (d.r.invalid)
        goto out;
    if (d.has_name_section)
        parse_names(&d);
    uint32_t ndef = m->nfuncs - m->n_imported_funcs;
    m->code = util_xcalloc(ndef ? ndef : 1, sizeof *m->code);
    rc = 0;
out:
    wasm_wm_validator_free(d.r.val);
    return rc;
}
