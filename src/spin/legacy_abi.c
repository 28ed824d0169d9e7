/*
 * legacy_abi.c - the canonical ABI as wit-bindgen 0.2 guests (Spin 1
 * ABI modules) use it at their imports, for the host functions of
 * legacy_imports.c: types read from WIT-like text once at start-up, flat
 * arguments lifted into src/component's values, results stored into the
 * guest's memory.
 *
 * Why a second, small ABI here rather than src/component's: the runtime
 * lifts and lowers between a component's core instances and the host, and
 * its types and trampolines are private to it (door rule).  An old-ABI
 * module is no component; its imports are plain core functions whose
 * layout wit-bindgen 0.2 fixed.  That layout is the canonical ABI's
 * (strings and lists are (ptr, len) of i32, a variant is its discriminant
 * then the joined flat payload, records pack fields at their alignment),
 * so the values are the very ones src/spinapi's host functions take, and
 * the legacy imports reach those functions unchanged through
 * component_linker_call.  Only the moves in and out of guest memory live
 * here, with every guest pointer checked: a bad one traps the guest with
 * the import's name, never a read or write outside its memory.
 *
 * Lifting works on the flat arguments as 64-bit patterns: a variant's
 * case payload takes the low 32 bits of a joined slot for an i32 or f32
 * and all 64 for an i64 or f64, which is the canonical ABI's join rule
 * read backwards.
 */
#include "legacy_abi.h"

#include <ctype.h>
#include <string.h>

/* ---- types -------------------------------------------------------------- */

typedef struct parser {
    const char *start, *p;
    const spin_legacy_named *names;
    util_error **err;
    int depth;
} parser;

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1) / a * a;
}

static void layout(spin_legacy_type *t)
{
    static const uint8_t prim_size[] = {[SPIN_LT_BOOL] = 1, [SPIN_LT_S8] = 1, [SPIN_LT_U8] = 1,
                                        [SPIN_LT_S16] = 2, [SPIN_LT_U16] = 2, [SPIN_LT_S32] = 4,
                                        [SPIN_LT_U32] = 4, [SPIN_LT_S64] = 8, [SPIN_LT_U64] = 8,
                                        [SPIN_LT_F32] = 4, [SPIN_LT_F64] = 8};
    switch (t->kind) {
    case SPIN_LT_STRING:
    case SPIN_LT_LIST:
        t->size = 8, t->align = 4, t->nflat = 2;
        return;
    case SPIN_LT_RECORD: {
        uint32_t off = 0, align = 1;
        size_t nflat = 0;
        for (size_t i = 0; i < t->n; i++) {
            off = align_up(off, t->members[i]->align) + t->members[i]->size;
            align = t->members[i]->align > align ? t->members[i]->align : align;
            nflat += t->members[i]->nflat;
        }
        t->size = align_up(off, align), t->align = align, t->nflat = nflat;
        return;
    }
    case SPIN_LT_VARIANT: {
        uint32_t disc = t->n <= 256 ? 1 : t->n <= 65536 ? 2 : 4;
        uint32_t align = disc, max_size = 0;
        size_t nflat = 0;
        for (size_t i = 0; i < t->n; i++) {
            const spin_legacy_type *c = t->members[i];
            if (c == NULL)
                continue;
            align = c->align > align ? c->align : align;
            max_size = c->size > max_size ? c->size : max_size;
            nflat = c->nflat > nflat ? c->nflat : nflat;
        }
        t->payload_at = align_up(disc, align);
        t->size = align_up(t->payload_at + max_size, align), t->align = align;
        t->nflat = 1 + nflat;
        return;
    }
    default:
        t->size = t->align = prim_size[t->kind], t->nflat = 1;
        return;
    }
}

static spin_legacy_type *new_type(spin_legacy_kind kind)
{
    spin_legacy_type *t = util_xcalloc(1, sizeof(*t));
    t->kind = kind;
    return t;
}

void spin_legacy_type_free(spin_legacy_type *t)
{
    if (t == NULL)
        return;
    spin_legacy_type_free(t->elem);
    for (size_t i = 0; i < t->n; i++)
        spin_legacy_type_free(t->members[i]);
    free(t->members);
    free(t);
}

static void add_member(spin_legacy_type *t, spin_legacy_type *m)
{
    t->members = util_xrealloc(t->members, (t->n + 1) * sizeof(*t->members));
    t->members[t->n++] = m;
}

static void skip_blanks(parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static int fail(parser *ps, const char *expected)
{
    return util_error_set(ps->err, 0, "legacy type \"%s\", offset %zu: expected %s", ps->start,
                          (size_t)(ps->p - ps->start), expected);
}

static int expect(parser *ps, char c)
{
    skip_blanks(ps);
    if (*ps->p != c) {
        char what[4] = {'\'', c, '\'', 0};
        return fail(ps, what);
    }
    ps->p++;
    return 0;
}

/* A word ([a-z0-9_-]+) into buf; 0 or -1. */
static int word(parser *ps, char *buf, size_t size)
{
    skip_blanks(ps);
    size_t n = 0;
    while (isalnum((unsigned char)ps->p[n]) || ps->p[n] == '-' || ps->p[n] == '_')
        n++;
    if (n == 0 || n >= size)
        return fail(ps, "a name");
    memcpy(buf, ps->p, n);
    buf[n] = '\0';
    ps->p += n;
    return 0;
}

static bool next_is(parser *ps, char c)
{
    skip_blanks(ps);
    if (*ps->p != c)
        return false;
    ps->p++;
    return true;
}

static spin_legacy_type *parse(parser *ps);

/* <T, ...> into t's members (or, `underscore_ok`, "_" as NULL). */
static int parse_args(parser *ps, spin_legacy_type *t, bool underscore_ok)
{
    if (expect(ps, '<') < 0)
        return -1;
    do {
        skip_blanks(ps);
        if (underscore_ok && *ps->p == '_') {
            ps->p++;
            add_member(t, NULL);
            continue;
        }
        spin_legacy_type *m = parse(ps);
        if (m == NULL)
            return -1;
        add_member(t, m);
    } while (next_is(ps, ','));
    return expect(ps, '>');
}

/* {label[: T | (T)], ...}: record fields (`colon`) or variant cases. */
static int parse_labelled(parser *ps, spin_legacy_type *t, bool colon, bool payloads)
{
    if (expect(ps, '{') < 0)
        return -1;
    do {
        char label[64];
        if (word(ps, label, sizeof(label)) < 0)
            return -1;
        spin_legacy_type *m = NULL;
        if (colon) {
            if (expect(ps, ':') < 0 || (m = parse(ps)) == NULL)
                return -1;
        } else if (payloads && next_is(ps, '(')) {
            if ((m = parse(ps)) == NULL)
                return -1;
            if (expect(ps, ')') < 0) {
                spin_legacy_type_free(m);
                return -1;
            }
        }
        add_member(t, m);
    } while (next_is(ps, ','));
    return expect(ps, '}');
}

static spin_legacy_type *parse_named(parser *ps, const char *name)
{
    for (const spin_legacy_named *n = ps->names; n && n->name; n++) {
        if (strcmp(n->name, name) != 0)
            continue;
        if (ps->depth > 16) {
            fail(ps, "a type that does not name itself");
            return NULL;
        }
        parser sub = {n->text, n->text, ps->names, ps->err, ps->depth + 1};
        spin_legacy_type *t = parse(&sub);
        if (t && (skip_blanks(&sub), *sub.p != '\0')) {
            fail(&sub, "the end");
            spin_legacy_type_free(t);
            return NULL;
        }
        return t;
    }
    fail(ps, "a known type");
    return NULL;
}

static spin_legacy_type *parse(parser *ps)
{
    static const struct {
        const char *name;
        spin_legacy_kind kind;
    } prims[] = {{"bool", SPIN_LT_BOOL}, {"s8", SPIN_LT_S8},   {"u8", SPIN_LT_U8},
                 {"s16", SPIN_LT_S16},   {"u16", SPIN_LT_U16}, {"s32", SPIN_LT_S32},
                 {"u32", SPIN_LT_U32},   {"s64", SPIN_LT_S64}, {"u64", SPIN_LT_U64},
                 {"f32", SPIN_LT_F32},   {"f64", SPIN_LT_F64}, {"string", SPIN_LT_STRING}};
    char w[64];
    if (word(ps, w, sizeof(w)) < 0)
        return NULL;
    for (size_t i = 0; i < UTIL_ARRAY_LEN(prims); i++)
        if (strcmp(w, prims[i].name) == 0) {
            spin_legacy_type *t = new_type(prims[i].kind);
            layout(t);
            return t;
        }
    spin_legacy_type *t = NULL;
    int rc = 0;
    if (strcmp(w, "list") == 0) {
        t = new_type(SPIN_LT_LIST);
        rc = parse_args(ps, t, false);
        if (rc == 0 && t->n != 1)
            rc = fail(ps, "one element type");
        if (rc == 0) {
            t->elem = t->members[0];
            t->n = 0;
        }
    } else if (strcmp(w, "option") == 0) {
        t = new_type(SPIN_LT_VARIANT);
        add_member(t, NULL);
        rc = parse_args(ps, t, false);
        if (rc == 0 && t->n != 2)
            rc = fail(ps, "one type");
    } else if (strcmp(w, "result") == 0) {
        t = new_type(SPIN_LT_VARIANT);
        skip_blanks(ps);
        if (*ps->p == '<')
            rc = parse_args(ps, t, true);
        while (rc == 0 && t->n < 2)
            add_member(t, NULL);
        if (rc == 0 && t->n != 2)
            rc = fail(ps, "result<ok, error>");
    } else if (strcmp(w, "tuple") == 0) {
        t = new_type(SPIN_LT_RECORD);
        rc = parse_args(ps, t, false);
    } else if (strcmp(w, "record") == 0) {
        t = new_type(SPIN_LT_RECORD);
        rc = parse_labelled(ps, t, true, false);
    } else if (strcmp(w, "variant") == 0 || strcmp(w, "enum") == 0) {
        t = new_type(SPIN_LT_VARIANT);
        rc = parse_labelled(ps, t, false, w[0] == 'v');
    } else {
        return parse_named(ps, w);
    }
    if (rc < 0) {
        spin_legacy_type_free(t);
        return NULL;
    }
    layout(t);
    return t;
}

spin_legacy_type *spin_legacy_type_parse(const char *text, const spin_legacy_named *names,
                                         util_error **err)
{
    parser ps = {text, text, names, err, 0};
    spin_legacy_type *t = parse(&ps);
    if (t && (skip_blanks(&ps), *ps.p != '\0')) {
        fail(&ps, "the end");
        spin_legacy_type_free(t);
        return NULL;
    }
    return t;
}

/* ---- flat signatures -------------------------------------------------------- */

static char join(char a, char b)
{
    if (a == b)
        return a;
    if ((a == 'i' && b == 'f') || (a == 'f' && b == 'i'))
        return 'i';
    return 'I';
}

/* Appends t's flat core types to out (room for t->nflat more). */
static void flatten(const spin_legacy_type *t, char *out)
{
    switch (t->kind) {
    case SPIN_LT_S64:
    case SPIN_LT_U64:
        out[0] = 'I';
        return;
    case SPIN_LT_F32:
        out[0] = 'f';
        return;
    case SPIN_LT_F64:
        out[0] = 'F';
        return;
    case SPIN_LT_STRING:
    case SPIN_LT_LIST:
        out[0] = out[1] = 'i';
        return;
    case SPIN_LT_RECORD:
        for (size_t i = 0; i < t->n; i++) {
            flatten(t->members[i], out);
            out += t->members[i]->nflat;
        }
        return;
    case SPIN_LT_VARIANT: {
        out[0] = 'i';
        char *joined = out + 1;
        size_t have = 0;
        char buf[64];
        for (size_t i = 0; i < t->n; i++) {
            const spin_legacy_type *c = t->members[i];
            if (c == NULL || c->nflat > sizeof(buf))
                continue;
            flatten(c, buf);
            for (size_t k = 0; k < c->nflat; k++)
                joined[k] = k < have ? join(joined[k], buf[k]) : buf[k];
            have = c->nflat > have ? c->nflat : have;
        }
        return;
    }
    default:
        out[0] = 'i';
        return;
    }
}

#define MAX_FLAT_PARAMS 16

char *spin_legacy_flat_sig(const spin_legacy_type *params, const spin_legacy_type *result)
{
    if (params->nflat > MAX_FLAT_PARAMS)
        return NULL;
    char *sig = util_xcalloc(params->nflat + 4, 1);
    flatten(params, sig);
    strcat(sig, result ? "i:" : ":");
    return sig;
}

/* ---- lifting ------------------------------------------------------------------ */

typedef struct lifter {
    const spin_legacy_guest *g;
    component_call *call;
    const uint8_t *mem;
    uint64_t size;
} lifter;

static uint64_t load_le(const uint8_t *p, uint32_t n)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static bool utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                                   : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || n - i < len)
            return false;
        uint32_t cp = len == 1 ? c : c & (0xff >> (len + 1));
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

static int trap(const lifter *lf, const char *what)
{
    return wasm_caller_trap(lf->g->caller, "%s: %s", lf->g->what, what);
}

static bool is_number(spin_legacy_kind k)
{
    return k >= SPIN_LT_S8 && k <= SPIN_LT_F64;
}

static component_val_kind val_kind(spin_legacy_kind k)
{
    static const component_val_kind kinds[] = {
        [SPIN_LT_BOOL] = COMPONENT_VAL_BOOL,     [SPIN_LT_S8] = COMPONENT_VAL_S8,
        [SPIN_LT_U8] = COMPONENT_VAL_U8,         [SPIN_LT_S16] = COMPONENT_VAL_S16,
        [SPIN_LT_U16] = COMPONENT_VAL_U16,       [SPIN_LT_S32] = COMPONENT_VAL_S32,
        [SPIN_LT_U32] = COMPONENT_VAL_U32,       [SPIN_LT_S64] = COMPONENT_VAL_S64,
        [SPIN_LT_U64] = COMPONENT_VAL_U64,       [SPIN_LT_F32] = COMPONENT_VAL_F32,
        [SPIN_LT_F64] = COMPONENT_VAL_F64,       [SPIN_LT_STRING] = COMPONENT_VAL_STRING,
        [SPIN_LT_LIST] = COMPONENT_VAL_LIST,     [SPIN_LT_RECORD] = COMPONENT_VAL_RECORD,
        [SPIN_LT_VARIANT] = COMPONENT_VAL_VARIANT};
    return kinds[k];
}

/* A number of kind k from its bit pattern (low bits for the narrow ones). */
static component_val number(spin_legacy_kind k, uint64_t bits)
{
    component_val v = {.kind = val_kind(k)};
    switch (k) {
    case SPIN_LT_BOOL: v.of.b = (uint32_t)bits != 0; break;
    case SPIN_LT_S8: v.of.s = (int8_t)bits; break;
    case SPIN_LT_U8: v.of.u = (uint8_t)bits; break;
    case SPIN_LT_S16: v.of.s = (int16_t)bits; break;
    case SPIN_LT_U16: v.of.u = (uint16_t)bits; break;
    case SPIN_LT_S32: v.of.s = (int32_t)bits; break;
    case SPIN_LT_U32: v.of.u = (uint32_t)bits; break;
    case SPIN_LT_S64: v.of.s = (int64_t)bits; break;
    case SPIN_LT_U64: v.of.u = bits; break;
    case SPIN_LT_F32: {
        uint32_t b = (uint32_t)bits;
        memcpy(&v.of.f32, &b, 4);
        break;
    }
    case SPIN_LT_F64: memcpy(&v.of.f64, &bits, 8); break;
    default: break;
    }
    return v;
}

static int load(const lifter *lf, const spin_legacy_type *t, uint32_t at, component_val *out);

/* The string or list whose (ptr, len) are given. */
static int lift_span(const lifter *lf, const spin_legacy_type *t, uint32_t ptr, uint32_t len,
                     component_val *out)
{
    if (t->kind == SPIN_LT_STRING) {
        if ((uint64_t)ptr + len > lf->size)
            return trap(lf, "a string argument lies outside memory");
        if (!utf8_ok(lf->mem + ptr, len))
            return trap(lf, "a string argument is not UTF-8");
        *out = (component_val){.kind = COMPONENT_VAL_STRING,
                               .of.str = {(const char *)lf->mem + ptr, len}};
        return 0;
    }
    const spin_legacy_type *e = t->elem;
    if (ptr % e->align != 0 || (uint64_t)ptr + (uint64_t)len * e->size > lf->size)
        return trap(lf, "a list argument lies outside memory or is misaligned");
    *out = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.n = len}};
    if (is_number(e->kind)) {
        out->of.list.raw = lf->mem + ptr;
        return 0;
    }
    component_val *items = component_call_vals(lf->call, len ? len : 1);
    if (items == NULL)
        return trap(lf, "a list argument is too large");
    for (uint32_t i = 0; i < len; i++)
        if (load(lf, e, ptr + i * e->size, &items[i]) < 0)
            return -1;
    out->of.list.items = items;
    return 0;
}

static int variant_of(const lifter *lf, const spin_legacy_type *t, uint32_t disc,
                      component_val **payload, component_val *out)
{
    if (disc >= t->n)
        return trap(lf, "a variant argument has a discriminant out of range");
    *payload = NULL;
    if (t->members[disc]) {
        *payload = component_call_vals(lf->call, 1);
        if (*payload == NULL)
            return trap(lf, "out of call memory");
    }
    *out = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {disc, *payload}};
    return 0;
}

static int record_of(const lifter *lf, const spin_legacy_type *t, component_val *out)
{
    component_val *fields = component_call_vals(lf->call, t->n ? t->n : 1);
    if (fields == NULL)
        return trap(lf, "out of call memory");
    *out = (component_val){.kind = COMPONENT_VAL_RECORD, .of.record = {fields, t->n}};
    return 0;
}

static int load(const lifter *lf, const spin_legacy_type *t, uint32_t at, component_val *out)
{
    if ((uint64_t)at + t->size > lf->size)
        return trap(lf, "an argument lies outside memory");
    const uint8_t *p = lf->mem + at;
    switch (t->kind) {
    case SPIN_LT_STRING:
    case SPIN_LT_LIST:
        return lift_span(lf, t, (uint32_t)load_le(p, 4), (uint32_t)load_le(p + 4, 4), out);
    case SPIN_LT_RECORD: {
        if (record_of(lf, t, out) < 0)
            return -1;
        uint32_t off = 0;
        for (size_t i = 0; i < t->n; i++) {
            off = align_up(off, t->members[i]->align);
            if (load(lf, t->members[i], at + off, &out->of.record.fields[i]) < 0)
                return -1;
            off += t->members[i]->size;
        }
        return 0;
    }
    case SPIN_LT_VARIANT: {
        uint32_t disc = (uint32_t)load_le(p, t->n <= 256 ? 1 : t->n <= 65536 ? 2 : 4);
        component_val *payload;
        if (variant_of(lf, t, disc, &payload, out) < 0)
            return -1;
        return payload ? load(lf, t->members[disc], at + t->payload_at, payload) : 0;
    }
    default:
        *out = number(t->kind, load_le(p, t->size));
        return 0;
    }
}

static int lift_flat(const lifter *lf, const spin_legacy_type *t, const uint64_t *bits,
                     size_t *pos, component_val *out)
{
    switch (t->kind) {
    case SPIN_LT_STRING:
    case SPIN_LT_LIST: {
        uint32_t ptr = (uint32_t)bits[*pos], len = (uint32_t)bits[*pos + 1];
        *pos += 2;
        return lift_span(lf, t, ptr, len, out);
    }
    case SPIN_LT_RECORD:
        if (record_of(lf, t, out) < 0)
            return -1;
        for (size_t i = 0; i < t->n; i++)
            if (lift_flat(lf, t->members[i], bits, pos, &out->of.record.fields[i]) < 0)
                return -1;
        return 0;
    case SPIN_LT_VARIANT: {
        size_t end = *pos + t->nflat;
        uint32_t disc = (uint32_t)bits[(*pos)++];
        component_val *payload;
        if (variant_of(lf, t, disc, &payload, out) < 0)
            return -1;
        if (payload && lift_flat(lf, t->members[disc], bits, pos, payload) < 0)
            return -1;
        *pos = end;
        return 0;
    }
    default:
        *out = number(t->kind, bits[(*pos)++]);
        return 0;
    }
}

int spin_legacy_lift_params(const spin_legacy_guest *g, const spin_legacy_type *params,
                            const wasm_val *args, component_call *call, component_val **out)
{
    lifter lf = {.g = g, .call = call};
    lf.mem = wasm_caller_memory(g->caller, &lf.size);
    if (lf.mem == NULL)
        return wasm_caller_trap(g->caller, "%s: the module has no memory", g->what);
    char sig[MAX_FLAT_PARAMS + 1] = {0};
    flatten(params, sig);
    uint64_t bits[MAX_FLAT_PARAMS];
    for (size_t i = 0; i < params->nflat; i++)
        bits[i] = sig[i] == 'i' ? (uint32_t)args[i].i32
                  : sig[i] == 'f' ? args[i].f32_bits
                  : sig[i] == 'F' ? args[i].f64_bits
                                  : (uint64_t)args[i].i64;
    component_val rec;
    size_t pos = 0;
    if (lift_flat(&lf, params, bits, &pos, &rec) < 0)
        return -1;
    *out = rec.of.record.fields;
    return 0;
}

/* ---- storing ------------------------------------------------------------------- */

static int store_trap(const spin_legacy_guest *g, const char *what)
{
    return wasm_caller_trap(g->caller, "%s: %s", g->what, what);
}

/* Room for `size` bytes aligned to `align` in the guest. */
static int64_t guest_alloc(const spin_legacy_guest *g, uint32_t align, uint64_t size)
{
    if (size == 0)
        return align; /* nothing to hold: any aligned address, as wit-bindgen uses */
    if (size > UINT32_MAX)
        return store_trap(g, "the result does not fit in 32-bit memory");
    wasm_func *realloc_fn =
        wasm_instance_func(wasm_caller_instance(g->caller), "canonical_abi_realloc");
    if (realloc_fn == NULL)
        return store_trap(g, "the module exports no canonical_abi_realloc");
    wasm_val a[4] = {{.i32 = 0}, {.i32 = 0}, {.i32 = (int32_t)align}, {.i32 = (int32_t)size}};
    wasm_val ret;
    wasm_result res;
    wasm_result_init(&res);
    if (wasm_func_call(wasm_caller_store(g->caller), realloc_fn, a, 4, &ret, 1, &res) != 0)
        return wasm_caller_trap(g->caller, "%s: canonical_abi_realloc failed: %s", g->what,
                                res.message);
    uint32_t at = (uint32_t)ret.i32;
    uint64_t mem_size = 0;
    wasm_caller_memory(g->caller, &mem_size);
    if (at % align != 0 || (uint64_t)at + size > mem_size)
        return store_trap(g, "canonical_abi_realloc answered outside memory or misaligned");
    return at;
}

static void store_le(const spin_legacy_guest *g, uint32_t at, uint64_t v, uint32_t n)
{
    uint64_t size;
    uint8_t *p = wasm_caller_memory(g->caller, &size) + at;
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t bits_of(spin_legacy_kind k, const component_val *v)
{
    switch (k) {
    case SPIN_LT_BOOL: return v->of.b;
    case SPIN_LT_S8: case SPIN_LT_S16: case SPIN_LT_S32: case SPIN_LT_S64:
        return (uint64_t)v->of.s;
    case SPIN_LT_F32: {
        uint32_t b;
        memcpy(&b, &v->of.f32, 4);
        return b;
    }
    case SPIN_LT_F64: {
        uint64_t b;
        memcpy(&b, &v->of.f64, 8);
        return b;
    }
    default: return v->of.u;
    }
}

static int store(const spin_legacy_guest *g, const spin_legacy_type *t, const component_val *v,
                 uint32_t at);

static int store_list(const spin_legacy_guest *g, const spin_legacy_type *t,
                      const component_val *v, uint32_t at)
{
    const spin_legacy_type *e = t->elem;
    size_t n = v->of.list.n;
    int64_t block = guest_alloc(g, e->align, (uint64_t)n * e->size);
    if (block < 0)
        return -1;
    if (v->of.list.items == NULL && n > 0) {
        uint64_t size;
        memcpy(wasm_caller_memory(g->caller, &size) + block, v->of.list.raw, n * e->size);
    } else {
        for (size_t i = 0; i < n; i++)
            if (store(g, e, &v->of.list.items[i], (uint32_t)block + (uint32_t)i * e->size) < 0)
                return -1;
    }
    store_le(g, at, (uint64_t)block, 4);
    store_le(g, at + 4, n, 4);
    return 0;
}

static int store(const spin_legacy_guest *g, const spin_legacy_type *t, const component_val *v,
                 uint32_t at)
{
    switch (t->kind) {
    case SPIN_LT_STRING: {
        int64_t p = guest_alloc(g, 1, v->of.str.len);
        if (p < 0)
            return -1;
        uint64_t size;
        if (v->of.str.len)
            memcpy(wasm_caller_memory(g->caller, &size) + p, v->of.str.ptr, v->of.str.len);
        store_le(g, at, (uint64_t)p, 4);
        store_le(g, at + 4, v->of.str.len, 4);
        return 0;
    }
    case SPIN_LT_LIST:
        return store_list(g, t, v, at);
    case SPIN_LT_RECORD: {
        uint32_t off = 0;
        for (size_t i = 0; i < t->n; i++) {
            off = align_up(off, t->members[i]->align);
            if (store(g, t->members[i], &v->of.record.fields[i], at + off) < 0)
                return -1;
            off += t->members[i]->size;
        }
        return 0;
    }
    case SPIN_LT_VARIANT: {
        uint32_t disc = v->of.variant.disc;
        if (disc >= t->n)
            return store_trap(g, "the host answered a variant case out of range");
        store_le(g, at, disc, t->n <= 256 ? 1 : t->n <= 65536 ? 2 : 4);
        if (t->members[disc] && v->of.variant.payload)
            return store(g, t->members[disc], v->of.variant.payload, at + t->payload_at);
        return 0;
    }
    default:
        store_le(g, at, bits_of(t->kind, v), t->size);
        return 0;
    }
}

int spin_legacy_store(const spin_legacy_guest *g, const spin_legacy_type *t,
                      const component_val *v, uint32_t at)
{
    uint64_t size = 0;
    uint8_t *mem = wasm_caller_memory(g->caller, &size);
    if (mem == NULL || at % t->align != 0 || (uint64_t)at + t->size > size)
        return wasm_caller_trap(g->caller, "%s: bad return pointer %u", g->what, at);
    memset(mem + at, 0, t->size);
    return store(g, t, v, at);
}
