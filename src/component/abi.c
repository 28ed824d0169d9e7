/*
 * abi.c - the canonical ABI (CanonicalABI.md of WebAssembly/component-model)
 * over resolved types: flat lifting and lowering, loading and storing in
 * linear memory, and the four whole-function entry points.  Strings live
 * in abi_string.c.
 *
 * Design:
 *  - Every type is walked by one switch per direction, driven by the
 *    layout component_rtype_layout computed (size, align, flattening);
 *    field offsets and variant payload offsets are derived from the
 *    children's layout on the way, as the spec derives them.
 *  - Options, results and enums are variants here (the spec's
 *    despecialisation); tuples are records.
 *  - Memory is never cached across a realloc: lowering re-reads the base
 *    for every write, because realloc may grow (and move) it.  A range is
 *    checked once before a value is loaded or stored; the parts inside it
 *    need no further check, and memory never shrinks.
 *  - Lifted values live in the call's arena.  Lists of numbers are not
 *    copied: `raw` points into guest memory (float lists whose bytes hold
 *    a non-canonical NaN are copied and canonicalised, as lifting floats
 *    requires).
 *  - Flat variants: the payload is lifted from (lowered into) a temporary
 *    array of the case's own flat types, converted from (to) the joined
 *    types of the variant exactly as the spec's CoerceValueIter and
 *    lower_flat_variant do, so nested variants compose.
 *  - Values the host gives to lower are checked too (kind, integer range,
 *    chars, discriminants, resource types): a host bug is a clear trap,
 *    never memory corruption.
 */
#include "abi_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CANONICAL_NAN32 0x7fc00000u
#define CANONICAL_NAN64 0x7ff8000000000000ull

int component_abi_trap(component_abi_cx *cx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cx->res) {
        cx->res->kind = WASM_TRAP;
        vsnprintf(cx->res->message, sizeof cx->res->message, fmt, ap);
        cx->res->backtrace[0] = '\0';
    }
    va_end(ap);
    return -1;
}

/* ---- names for messages ------------------------------------------------ */

static const char *type_name(const component_rtype *t)
{
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM: return component_prim_name(t->prim);
    case COMPONENT_TYPE_RECORD: return "record";
    case COMPONENT_TYPE_VARIANT: return "variant";
    case COMPONENT_TYPE_LIST: return "list";
    case COMPONENT_TYPE_TUPLE: return "tuple";
    case COMPONENT_TYPE_FLAGS: return "flags";
    case COMPONENT_TYPE_ENUM: return "enum";
    case COMPONENT_TYPE_OPTION: return "option";
    case COMPONENT_TYPE_RESULT: return "result";
    case COMPONENT_TYPE_OWN: return "own";
    case COMPONENT_TYPE_BORROW: return "borrow";
    default: return "unsupported type";
    }
}

static const char *val_kind_name(component_val_kind k)
{
    static const char *const names[] = {
        "bool", "s8",  "u8",     "s16",    "u16",     "s32",   "u32", "s64",
        "u64",  "f32", "f64",    "char",   "string",  "list",  "record",
        "variant", "flags", "own", "borrow",
    };
    return (size_t)k < sizeof names / sizeof names[0] ? names[k] : "invalid value";
}

static const char *resource_name(const component_resource_type *r)
{
    return r && r->name ? r->name : "(unnamed resource)";
}

/* ---- memory ------------------------------------------------------------ */

uint8_t *component_abi_memory(component_abi_cx *cx, uint64_t *size)
{
    if (!cx->memory) {
        component_abi_trap(cx, "the canonical options have no memory, but this value needs one");
        return NULL;
    }
    *size = wasm_memory_size(cx->memory);
    return wasm_memory_data(cx->memory);
}

int component_abi_check_range(component_abi_cx *cx, uint32_t ptr, uint64_t bytes, uint32_t align,
                              const char *what_fmt, ...)
{
    uint64_t size;
    if (!component_abi_memory(cx, &size))
        return -1;
    bool misaligned = align > 1 && ptr % align;
    if (!misaligned && (uint64_t)ptr + bytes <= size)
        return 0;
    /* The value's description is formatted only now: this check runs for
     * every string and list lifted. */
    char what[128];
    va_list ap;
    va_start(ap, what_fmt);
    vsnprintf(what, sizeof what, what_fmt, ap);
    va_end(ap);
    if (misaligned)
        return component_abi_trap(cx, "misaligned pointer 0x%x for %s (alignment %u)", ptr, what,
                                  align);
    return component_abi_trap(cx, "out of bounds: %s at 0x%x (memory is %llu bytes)", what, ptr,
                              (unsigned long long)size);
}

int component_abi_alloc(component_abi_cx *cx, uint32_t align, uint64_t size, const char *what,
                        uint32_t *ptr)
{
    if (!cx->realloc)
        return component_abi_trap(cx, "lowering %s needs realloc, and the canonical options have "
                                      "none", what);
    if (size > UINT32_MAX)
        return component_abi_trap(cx, "%s of %llu bytes does not fit in a 32-bit memory", what,
                                  (unsigned long long)size);
    wasm_val args[4] = {{.i32 = 0}, {.i32 = 0}, {.i32 = (int32_t)align},
                        {.i32 = (int32_t)(uint32_t)size}};
    wasm_val r = {.i64 = 0};
    bool could_leave = cx->may_leave ? *cx->may_leave : false;
    if (cx->may_leave)
        *cx->may_leave = false;
    int rc = wasm_func_call(cx->store, cx->realloc, args, 4, &r, 1, cx->res);
    if (cx->may_leave)
        *cx->may_leave = could_leave;
    if (rc < 0) {
        if (cx->res->kind == WASM_TRAP) {
            char why[sizeof cx->res->message];
            snprintf(why, sizeof why, "%s", cx->res->message);
            char trace[sizeof cx->res->backtrace];
            snprintf(trace, sizeof trace, "%s", cx->res->backtrace);
            component_abi_trap(cx, "realloc for %s trapped: %s", what, why);
            snprintf(cx->res->backtrace, sizeof cx->res->backtrace, "%s", trace);
        }
        return -1;
    }
    uint32_t p = (uint32_t)r.i32;
    uint64_t memsize;
    if (!component_abi_memory(cx, &memsize))
        return -1;
    if (align > 1 && p % align)
        return component_abi_trap(cx, "realloc returned misaligned pointer 0x%x for %s "
                                      "(alignment %u)", p, what, align);
    if ((uint64_t)p + size > memsize)
        return component_abi_trap(cx, "realloc returned out-of-bounds pointer 0x%x for %s of "
                                      "%llu bytes (memory is %llu bytes)", p, what,
                                  (unsigned long long)size, (unsigned long long)memsize);
    *ptr = p;
    return 0;
}

static uint32_t align_to(uint32_t off, uint32_t align)
{
    return align > 1 ? (off + align - 1) / align * align : off;
}

static uint64_t read_le(const uint8_t *p, uint32_t n)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Writes with the memory's base read now: a realloc before may have moved
 * it.  The range was checked before. */
static void write_le(component_abi_cx *cx, uint32_t ptr, uint64_t v, uint32_t n)
{
    uint8_t *p = wasm_memory_data(cx->memory) + ptr;
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static component_val *alloc_vals(component_abi_cx *cx, uint64_t n, const char *what)
{
    if (n == 0)
        n = 1;
    /* Bounded well below what the arena's doubling could overflow on. */
    if (n > ((uint64_t)1 << 31) / sizeof(component_val)) {
        component_abi_trap(cx, "%s of %llu elements is too long to lift", what,
                           (unsigned long long)n);
        return NULL;
    }
    component_val *v = component_arena_alloc(cx->arena, (size_t)n * sizeof *v);
    if (!v)
        component_abi_trap(cx, "out of memory: %s of %llu elements passes the call's arena "
                               "limit", what, (unsigned long long)n);
    return v;
}

/* ---- shapes shared by every direction ---------------------------------- */

static uint32_t case_count(const component_rtype *t)
{
    return t->kind == COMPONENT_TYPE_OPTION || t->kind == COMPONENT_TYPE_RESULT ? 2 : t->nfields;
}

/* The payload type of case i (NULL: none). */
static const component_rtype *case_type(const component_rtype *t, uint32_t i)
{
    switch (t->kind) {
    case COMPONENT_TYPE_OPTION: return i == 1 ? t->a : NULL;
    case COMPONENT_TYPE_RESULT: return i == 0 ? t->a : t->b;
    case COMPONENT_TYPE_ENUM: return NULL;
    default: return t->fields[i].type;
    }
}

/* The spec's discriminant_type: u8 up to 256 cases, u16 up to 65536. */
static uint32_t disc_size(uint32_t ncases)
{
    return ncases <= 256 ? 1 : ncases <= 65536 ? 2 : 4;
}

static uint32_t payload_offset(const component_rtype *t)
{
    uint32_t align = 1;
    for (uint32_t i = 0; i < case_count(t); i++) {
        const component_rtype *c = case_type(t, i);
        if (c && c->align > align)
            align = c->align;
    }
    return align_to(disc_size(case_count(t)), align);
}

static const char *variant_what(const component_rtype *t)
{
    return t->kind == COMPONENT_TYPE_ENUM ? "enum" : t->kind == COMPONENT_TYPE_OPTION ? "option"
           : t->kind == COMPONENT_TYPE_RESULT ? "result" : "variant";
}

static int bad_disc(component_abi_cx *cx, const component_rtype *t, uint64_t disc)
{
    return component_abi_trap(cx, "discriminant %llu out of range for %s with %u cases",
                              (unsigned long long)disc, variant_what(t), case_count(t));
}

static bool is_number_prim(const component_rtype *t)
{
    if (t->kind != COMPONENT_TYPE_PRIM)
        return false;
    switch (t->prim) {
    case COMPONENT_PRIM_S8: case COMPONENT_PRIM_U8: case COMPONENT_PRIM_S16:
    case COMPONENT_PRIM_U16: case COMPONENT_PRIM_S32: case COMPONENT_PRIM_U32:
    case COMPONENT_PRIM_S64: case COMPONENT_PRIM_U64: case COMPONENT_PRIM_F32:
    case COMPONENT_PRIM_F64:
        return true;
    default:
        return false;
    }
}

/* The flags' label bits; bits past the labels are ignored on lifting
 * (unpack_flags_from_int reads only the labels) and cannot be lowered. */
static uint64_t flags_mask(const component_rtype *t)
{
    return t->nfields >= 64 ? UINT64_MAX : ((uint64_t)1 << t->nfields) - 1;
}

static uint32_t f32_canonical(uint32_t bits)
{
    return (bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) ? CANONICAL_NAN32 : bits;
}

static uint64_t f64_canonical(uint64_t bits)
{
    return (bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull &&
                   (bits & 0x000fffffffffffffull)
               ? CANONICAL_NAN64
               : bits;
}

/* `at`: the address it was loaded from, or -1 (flat), or -2 (from the
 * host). */
static int check_char(component_abi_cx *cx, uint64_t c, int64_t at)
{
    if (c < 0xd800 || (c > 0xdfff && c < 0x110000))
        return 0;
    char where[32];
    if (at >= 0)
        snprintf(where, sizeof where, "at 0x%llx", (unsigned long long)at);
    else
        snprintf(where, sizeof where, "%s", at == -1 ? "(flat)" : "given by the host");
    if (c >= 0x110000)
        return component_abi_trap(cx, "invalid char 0x%llx %s: past U+10FFFF",
                                  (unsigned long long)c, where);
    return component_abi_trap(cx, "invalid char 0x%llx %s: a surrogate", (unsigned long long)c,
                              where);
}

/* ---- integers and floats from raw bits --------------------------------- */

/* A primitive from the low bits of `bits`: integers take the bits they
 * need and sign-extend or not, floats canonicalise NaNs. */
static int prim_from_bits(component_abi_cx *cx, component_prim p, uint64_t bits,
                          component_val *out, int64_t at)
{
    switch (p) {
    case COMPONENT_PRIM_BOOL: out->kind = COMPONENT_VAL_BOOL; out->of.b = bits != 0; break;
    case COMPONENT_PRIM_S8: out->kind = COMPONENT_VAL_S8; out->of.s = (int8_t)bits; break;
    case COMPONENT_PRIM_U8: out->kind = COMPONENT_VAL_U8; out->of.u = (uint8_t)bits; break;
    case COMPONENT_PRIM_S16: out->kind = COMPONENT_VAL_S16; out->of.s = (int16_t)bits; break;
    case COMPONENT_PRIM_U16: out->kind = COMPONENT_VAL_U16; out->of.u = (uint16_t)bits; break;
    case COMPONENT_PRIM_S32: out->kind = COMPONENT_VAL_S32; out->of.s = (int32_t)bits; break;
    case COMPONENT_PRIM_U32: out->kind = COMPONENT_VAL_U32; out->of.u = (uint32_t)bits; break;
    case COMPONENT_PRIM_S64: out->kind = COMPONENT_VAL_S64; out->of.s = (int64_t)bits; break;
    case COMPONENT_PRIM_U64: out->kind = COMPONENT_VAL_U64; out->of.u = bits; break;
    case COMPONENT_PRIM_F32: {
        uint32_t b = f32_canonical((uint32_t)bits);
        out->kind = COMPONENT_VAL_F32;
        memcpy(&out->of.f32, &b, 4);
        break;
    }
    case COMPONENT_PRIM_F64: {
        uint64_t b = f64_canonical(bits);
        out->kind = COMPONENT_VAL_F64;
        memcpy(&out->of.f64, &b, 8);
        break;
    }
    case COMPONENT_PRIM_CHAR:
        if (check_char(cx, (uint32_t)bits, at) < 0)
            return -1;
        out->kind = COMPONENT_VAL_CHAR;
        out->of.ch = (uint32_t)bits;
        break;
    default:
        return component_abi_trap(cx, "cannot lift a value of type %s", component_prim_name(p));
    }
    return 0;
}

component_val_kind component_prim_val_kind(component_prim p)
{
    switch (p) {
    case COMPONENT_PRIM_BOOL: return COMPONENT_VAL_BOOL;
    case COMPONENT_PRIM_S8: return COMPONENT_VAL_S8;
    case COMPONENT_PRIM_U8: return COMPONENT_VAL_U8;
    case COMPONENT_PRIM_S16: return COMPONENT_VAL_S16;
    case COMPONENT_PRIM_U16: return COMPONENT_VAL_U16;
    case COMPONENT_PRIM_S32: return COMPONENT_VAL_S32;
    case COMPONENT_PRIM_U32: return COMPONENT_VAL_U32;
    case COMPONENT_PRIM_S64: return COMPONENT_VAL_S64;
    case COMPONENT_PRIM_U64: return COMPONENT_VAL_U64;
    case COMPONENT_PRIM_F32: return COMPONENT_VAL_F32;
    case COMPONENT_PRIM_F64: return COMPONENT_VAL_F64;
    case COMPONENT_PRIM_CHAR: return COMPONENT_VAL_CHAR;
    default: return COMPONENT_VAL_STRING;
    }
}

static int wrong_kind(component_abi_cx *cx, const component_rtype *t, const component_val *v)
{
    return component_abi_trap(cx, "cannot lower a %s value as %s", val_kind_name(v->kind),
                              type_name(t));
}

/* The bits of a host primitive as the spec lowers it (integers range
 * checked, floats with NaNs canonical: the deterministic profile). */
static int prim_to_bits(component_abi_cx *cx, const component_rtype *t, const component_val *v,
                        uint64_t *bits)
{
    component_prim p = t->prim;
    if (v->kind != component_prim_val_kind(p))
        return wrong_kind(cx, t, v);
    int64_t lo = 0, hi = 0;
    uint64_t umax = 0;
    switch (p) {
    case COMPONENT_PRIM_BOOL: *bits = v->of.b ? 1 : 0; return 0;
    case COMPONENT_PRIM_S8: lo = INT8_MIN; hi = INT8_MAX; break;
    case COMPONENT_PRIM_S16: lo = INT16_MIN; hi = INT16_MAX; break;
    case COMPONENT_PRIM_S32: lo = INT32_MIN; hi = INT32_MAX; break;
    case COMPONENT_PRIM_S64: *bits = (uint64_t)v->of.s; return 0;
    case COMPONENT_PRIM_U8: umax = UINT8_MAX; break;
    case COMPONENT_PRIM_U16: umax = UINT16_MAX; break;
    case COMPONENT_PRIM_U32: umax = UINT32_MAX; break;
    case COMPONENT_PRIM_U64: *bits = v->of.u; return 0;
    case COMPONENT_PRIM_F32: {
        uint32_t b;
        memcpy(&b, &v->of.f32, 4);
        *bits = f32_canonical(b);
        return 0;
    }
    case COMPONENT_PRIM_F64: {
        uint64_t b;
        memcpy(&b, &v->of.f64, 8);
        *bits = f64_canonical(b);
        return 0;
    }
    case COMPONENT_PRIM_CHAR:
        if (check_char(cx, v->of.ch, -2) < 0)
            return -1;
        *bits = v->of.ch;
        return 0;
    default:
        return component_abi_trap(cx, "cannot lower a value of type %s", component_prim_name(p));
    }
    if (umax) {
        if (v->of.u > umax)
            return component_abi_trap(cx, "value %llu out of range for %s",
                                      (unsigned long long)v->of.u, component_prim_name(p));
        *bits = v->of.u;
        return 0;
    }
    if (v->of.s < lo || v->of.s > hi)
        return component_abi_trap(cx, "value %lld out of range for %s", (long long)v->of.s,
                                  component_prim_name(p));
    *bits = (uint64_t)v->of.s;
    return 0;
}

/* ---- loading ----------------------------------------------------------- */

static int load_at(component_abi_cx *cx, const component_rtype *t, uint32_t ptr,
                   component_val *out);

static int lift_list_range(component_abi_cx *cx, const component_rtype *elem, uint32_t ptr,
                           uint32_t n, component_val *out)
{
    uint64_t bytes = (uint64_t)n * elem->size;
    if (bytes > COMPONENT_ABI_MAX_LIST_BYTES)
        return component_abi_trap(cx, "list of %u x %u bytes at 0x%x is longer than the limit "
                                      "of %u bytes", n, elem->size, ptr,
                                  COMPONENT_ABI_MAX_LIST_BYTES);
    if (component_abi_check_range(cx, ptr, bytes, elem->align, "list of %u x %u bytes", n,
                                  elem->size) < 0)
        return -1;
    out->kind = COMPONENT_VAL_LIST;
    out->of.list.n = n;
    out->of.list.items = NULL;
    out->of.list.raw = NULL;
    const uint8_t *mem = wasm_memory_data(cx->memory) + ptr;
    if (is_number_prim(elem)) {
        out->of.list.raw = mem;
        bool f32 = elem->prim == COMPONENT_PRIM_F32, f64 = elem->prim == COMPONENT_PRIM_F64;
        if (!f32 && !f64)
            return 0;
        /* Lifting a float canonicalises NaNs: copy only if one needs it. */
        for (uint32_t i = 0; i < n; i++) {
            uint64_t b = read_le(mem + (uint64_t)i * elem->size, elem->size);
            if (f32 ? f32_canonical((uint32_t)b) != b : f64_canonical(b) != b) {
                uint8_t *copy = component_arena_alloc(cx->arena, (size_t)bytes);
                if (!copy)
                    return component_abi_trap(cx, "out of memory: list of %u x %u bytes passes "
                                                  "the call's arena limit", n, elem->size);
                memcpy(copy, mem, (size_t)bytes);
                for (uint32_t j = i; j < n; j++) {
                    uint8_t *e = copy + (uint64_t)j * elem->size;
                    uint64_t eb = read_le(e, elem->size);
                    eb = f32 ? f32_canonical((uint32_t)eb) : f64_canonical(eb);
                    for (uint32_t k = 0; k < elem->size; k++)
                        e[k] = (uint8_t)(eb >> (8 * k));
                }
                out->of.list.raw = copy;
                break;
            }
        }
        return 0;
    }
    component_val *items = alloc_vals(cx, n, "list");
    if (!items)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (load_at(cx, elem, ptr + i * elem->size, &items[i]) < 0)
            return -1;
    out->of.list.items = items;
    return 0;
}

static int lift_own_or_borrow(component_abi_cx *cx, const component_rtype *t, uint32_t handle,
                              component_val *out)
{
    uintptr_t rep;
    if (!cx->handles)
        return component_abi_trap(cx, "no handle table to lift %s<%s> from", type_name(t),
                                  resource_name(t->resource));
    int rc = t->kind == COMPONENT_TYPE_OWN
                 ? component_handles_take_own(cx->handles, handle, t->resource, &rep, cx->res)
                 : component_handles_lend(cx->handles, handle, t->resource, cx->scope, &rep,
                                          cx->res);
    if (rc < 0)
        return -1;
    out->kind = t->kind == COMPONENT_TYPE_OWN ? COMPONENT_VAL_OWN : COMPONENT_VAL_BORROW;
    out->of.resource.type = t->resource;
    out->of.resource.rep = rep;
    return 0;
}

static int load_fields(component_abi_cx *cx, const component_rtype *t, uint32_t ptr,
                       component_val *out)
{
    component_val *fields = alloc_vals(cx, t->nfields, type_name(t));
    if (!fields)
        return -1;
    uint32_t off = 0;
    for (uint32_t i = 0; i < t->nfields; i++) {
        const component_rtype *f = t->fields[i].type;
        off = align_to(off, f->align);
        if (load_at(cx, f, ptr + off, &fields[i]) < 0)
            return -1;
        off += f->size;
    }
    out->kind = COMPONENT_VAL_RECORD;
    out->of.record.fields = fields;
    out->of.record.n = t->nfields;
    return 0;
}

static int load_variant(component_abi_cx *cx, const component_rtype *t, uint32_t ptr,
                        component_val *out)
{
    const uint8_t *mem = wasm_memory_data(cx->memory);
    uint32_t ncases = case_count(t);
    uint64_t disc = read_le(mem + ptr, disc_size(ncases));
    if (disc >= ncases)
        return bad_disc(cx, t, disc);
    out->kind = COMPONENT_VAL_VARIANT;
    out->of.variant.disc = (uint32_t)disc;
    out->of.variant.payload = NULL;
    const component_rtype *c = case_type(t, (uint32_t)disc);
    if (!c)
        return 0;
    component_val *payload = alloc_vals(cx, 1, "variant");
    if (!payload)
        return -1;
    out->of.variant.payload = payload;
    return load_at(cx, c, ptr + payload_offset(t), payload);
}

/* `t` at `ptr`, whose whole range was checked. */
static int load_at(component_abi_cx *cx, const component_rtype *t, uint32_t ptr,
                   component_val *out)
{
    const uint8_t *mem = wasm_memory_data(cx->memory);
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM:
        if (t->prim == COMPONENT_PRIM_STRING)
            return component_abi_lift_string(cx, (uint32_t)read_le(mem + ptr, 4),
                                             (uint32_t)read_le(mem + ptr + 4, 4), out);
        return prim_from_bits(cx, t->prim, read_le(mem + ptr, t->size), out, ptr);
    case COMPONENT_TYPE_LIST:
        return lift_list_range(cx, t->a, (uint32_t)read_le(mem + ptr, 4),
                               (uint32_t)read_le(mem + ptr + 4, 4), out);
    case COMPONENT_TYPE_RECORD:
    case COMPONENT_TYPE_TUPLE:
        return load_fields(cx, t, ptr, out);
    case COMPONENT_TYPE_VARIANT:
    case COMPONENT_TYPE_ENUM:
    case COMPONENT_TYPE_OPTION:
    case COMPONENT_TYPE_RESULT:
        return load_variant(cx, t, ptr, out);
    case COMPONENT_TYPE_FLAGS:
        out->kind = COMPONENT_VAL_FLAGS;
        out->of.flags = read_le(mem + ptr, t->size) & flags_mask(t);
        return 0;
    case COMPONENT_TYPE_OWN:
    case COMPONENT_TYPE_BORROW:
        return lift_own_or_borrow(cx, t, (uint32_t)read_le(mem + ptr, 4), out);
    default:
        return component_abi_trap(cx, "cannot lift a value of type %s", type_name(t));
    }
}

int component_abi_load(component_abi_cx *cx, const component_rtype *t, uint32_t ptr,
                       component_val *out)
{
    if (component_abi_check_range(cx, ptr, t->size, t->align, "%s", type_name(t)) < 0)
        return -1;
    return load_at(cx, t, ptr, out);
}

/* ---- storing ----------------------------------------------------------- */

static int store_at(component_abi_cx *cx, const component_rtype *t, const component_val *v,
                    uint32_t ptr);

/* Lowers a list into a fresh allocation: (pointer, length). */
static int lower_list(component_abi_cx *cx, const component_rtype *t, const component_val *v,
                      uint32_t *out_ptr, uint32_t *out_len)
{
    const component_rtype *elem = t->a;
    if (v->kind != COMPONENT_VAL_LIST)
        return wrong_kind(cx, t, v);
    size_t n = v->of.list.n;
    bool raw = v->of.list.raw && !v->of.list.items;
    if (raw && !is_number_prim(elem))
        return component_abi_trap(cx, "a list of %s cannot be given as raw bytes",
                                  type_name(elem));
    if (n && !raw && !v->of.list.items)
        return component_abi_trap(cx, "list of %zu elements without elements", n);
    uint64_t bytes = (uint64_t)n * elem->size;
    char what[96];
    snprintf(what, sizeof what, "list of %zu x %u bytes", n, elem->size);
    /* The spec bounds only what realloc can be asked for here; the
     * MAX_LIST_BYTE_LENGTH limit applies when a list is lifted. */
    if (n > UINT32_MAX || bytes > UINT32_MAX)
        return component_abi_trap(cx, "%s does not fit in a 32-bit memory", what);
    uint32_t ptr;
    if (component_abi_alloc(cx, elem->align, bytes, what, &ptr) < 0)
        return -1;
    if (raw) {
        uint8_t *dst = wasm_memory_data(cx->memory) + ptr;
        memcpy(dst, v->of.list.raw, (size_t)bytes);
        if (elem->prim == COMPONENT_PRIM_F32 || elem->prim == COMPONENT_PRIM_F64) {
            for (size_t i = 0; i < n; i++) {
                uint8_t *e = dst + i * elem->size;
                uint64_t b = read_le(e, elem->size);
                b = elem->size == 4 ? f32_canonical((uint32_t)b) : f64_canonical(b);
                for (uint32_t k = 0; k < elem->size; k++)
                    e[k] = (uint8_t)(b >> (8 * k));
            }
        }
    } else {
        for (size_t i = 0; i < n; i++)
            if (store_at(cx, elem, &v->of.list.items[i], ptr + (uint32_t)i * elem->size) < 0)
                return -1;
    }
    *out_ptr = ptr;
    *out_len = (uint32_t)n;
    return 0;
}

static int check_fields(component_abi_cx *cx, const component_rtype *t, const component_val *v)
{
    if (v->kind != COMPONENT_VAL_RECORD)
        return wrong_kind(cx, t, v);
    if (v->of.record.n != t->nfields)
        return component_abi_trap(cx, "%s of %u fields given %zu values", type_name(t),
                                  t->nfields, v->of.record.n);
    return 0;
}

/* The case of a host variant value, checked: its payload type or NULL. */
static int check_case(component_abi_cx *cx, const component_rtype *t, const component_val *v,
                      const component_rtype **c)
{
    if (v->kind != COMPONENT_VAL_VARIANT)
        return wrong_kind(cx, t, v);
    if (v->of.variant.disc >= case_count(t))
        return bad_disc(cx, t, v->of.variant.disc);
    *c = case_type(t, v->of.variant.disc);
    if (*c && !v->of.variant.payload)
        return component_abi_trap(cx, "case %u of %s needs a payload, the value has none",
                                  v->of.variant.disc, variant_what(t));
    return 0;
}

static int lower_handle(component_abi_cx *cx, const component_rtype *t, const component_val *v,
                        uint32_t *out)
{
    bool ok_kind = t->kind == COMPONENT_TYPE_OWN
                       ? v->kind == COMPONENT_VAL_OWN
                       : v->kind == COMPONENT_VAL_BORROW || v->kind == COMPONENT_VAL_OWN;
    if (!ok_kind)
        return wrong_kind(cx, t, v);
    if (v->of.resource.type != t->resource)
        return component_abi_trap(cx, "cannot lower a %s as %s<%s>",
                                  resource_name(v->of.resource.type), type_name(t),
                                  resource_name(t->resource));
    if (!cx->handles)
        return component_abi_trap(cx, "no handle table to lower %s<%s> into", type_name(t),
                                  resource_name(t->resource));
    uint32_t h;
    if (t->kind == COMPONENT_TYPE_OWN) {
        h = component_handles_new_own(cx->handles, t->resource, v->of.resource.rep);
    } else if (component_handles_defines(cx->handles, t->resource)) {
        /* The spec's lower_borrow: the defining instance gets the rep. */
        *out = (uint32_t)v->of.resource.rep;
        return 0;
    } else {
        h = component_handles_new_borrow(cx->handles, t->resource, v->of.resource.rep,
                                         cx->scope);
    }
    if (h == 0)
        return component_abi_trap(cx, "handle table full lowering %s<%s>", type_name(t),
                                  resource_name(t->resource));
    *out = h;
    return 0;
}

static int store_at(component_abi_cx *cx, const component_rtype *t, const component_val *v,
                    uint32_t ptr)
{
    uint64_t bits;
    uint32_t a, b;
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM:
        if (t->prim == COMPONENT_PRIM_STRING) {
            if (component_abi_lower_string(cx, v, &a, &b) < 0)
                return -1;
            write_le(cx, ptr, a, 4);
            write_le(cx, ptr + 4, b, 4);
            return 0;
        }
        if (prim_to_bits(cx, t, v, &bits) < 0)
            return -1;
        write_le(cx, ptr, bits, t->size);
        return 0;
    case COMPONENT_TYPE_LIST:
        if (lower_list(cx, t, v, &a, &b) < 0)
            return -1;
        write_le(cx, ptr, a, 4);
        write_le(cx, ptr + 4, b, 4);
        return 0;
    case COMPONENT_TYPE_RECORD:
    case COMPONENT_TYPE_TUPLE: {
        if (check_fields(cx, t, v) < 0)
            return -1;
        uint32_t off = 0;
        for (uint32_t i = 0; i < t->nfields; i++) {
            const component_rtype *f = t->fields[i].type;
            off = align_to(off, f->align);
            if (store_at(cx, f, &v->of.record.fields[i], ptr + off) < 0)
                return -1;
            off += f->size;
        }
        return 0;
    }
    case COMPONENT_TYPE_VARIANT:
    case COMPONENT_TYPE_ENUM:
    case COMPONENT_TYPE_OPTION:
    case COMPONENT_TYPE_RESULT: {
        const component_rtype *c;
        if (check_case(cx, t, v, &c) < 0)
            return -1;
        write_le(cx, ptr, v->of.variant.disc, disc_size(case_count(t)));
        return c ? store_at(cx, c, v->of.variant.payload, ptr + payload_offset(t)) : 0;
    }
    case COMPONENT_TYPE_FLAGS:
        if (v->kind != COMPONENT_VAL_FLAGS)
            return wrong_kind(cx, t, v);
        write_le(cx, ptr, v->of.flags & flags_mask(t), t->size);
        return 0;
    case COMPONENT_TYPE_OWN:
    case COMPONENT_TYPE_BORROW:
        if (lower_handle(cx, t, v, &a) < 0)
            return -1;
        write_le(cx, ptr, a, 4);
        return 0;
    default:
        return component_abi_trap(cx, "cannot lower a value of type %s", type_name(t));
    }
}

int component_abi_store(component_abi_cx *cx, const component_rtype *t, const component_val *v,
                        uint32_t ptr)
{
    if (component_abi_check_range(cx, ptr, t->size, t->align, "%s", type_name(t)) < 0)
        return -1;
    return store_at(cx, t, v, ptr);
}

/* ---- flat lifting ------------------------------------------------------ */

static int flat_too_long(component_abi_cx *cx, const component_rtype *t)
{
    return component_abi_trap(cx, "%s flattens to %u core values, more than can be passed flat",
                              type_name(t), t->nflat);
}

/* The variant's payload flat values converted from the joined types to
 * the case's own (the spec's CoerceValueIter). */
static void coerce_from_joined(const component_rtype *t, const component_rtype *c,
                               const wasm_val *joined, wasm_val *tmp)
{
    for (uint32_t i = 0; i < c->nflat; i++) {
        wasm_valtype have = t->flat[1 + i], want = c->flat[i];
        wasm_val v = joined[i], o;
        memset(&o, 0, sizeof o);
        if (have == want)
            o = v;
        else if (have == WASM_I32 && want == WASM_F32)
            o.f32_bits = (uint32_t)v.i32;
        else if (have == WASM_I64 && want == WASM_I32)
            o.i32 = (int32_t)(uint32_t)(uint64_t)v.i64;
        else if (have == WASM_I64 && want == WASM_F32)
            o.f32_bits = (uint32_t)(uint64_t)v.i64;
        else if (have == WASM_I64 && want == WASM_F64)
            o.f64_bits = (uint64_t)v.i64;
        tmp[i] = o;
    }
}

int component_abi_lift_flat(component_abi_cx *cx, const component_rtype *t, const wasm_val *flat,
                            size_t *pos, component_val *out)
{
    if (t->nflat > COMPONENT_MAX_FLAT_KEPT)
        return flat_too_long(cx, t);
    const wasm_val *v = &flat[*pos];
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM:
        if (t->prim == COMPONENT_PRIM_STRING) {
            *pos += 2;
            return component_abi_lift_string(cx, (uint32_t)v[0].i32, (uint32_t)v[1].i32, out);
        }
        *pos += 1;
        switch (t->flat[0]) {
        case WASM_I64: return prim_from_bits(cx, t->prim, (uint64_t)v->i64, out, -1);
        case WASM_F32: return prim_from_bits(cx, t->prim, v->f32_bits, out, -1);
        case WASM_F64: return prim_from_bits(cx, t->prim, v->f64_bits, out, -1);
        default: return prim_from_bits(cx, t->prim, (uint32_t)v->i32, out, -1);
        }
    case COMPONENT_TYPE_LIST:
        *pos += 2;
        return lift_list_range(cx, t->a, (uint32_t)v[0].i32, (uint32_t)v[1].i32, out);
    case COMPONENT_TYPE_RECORD:
    case COMPONENT_TYPE_TUPLE: {
        component_val *fields = alloc_vals(cx, t->nfields, type_name(t));
        if (!fields)
            return -1;
        for (uint32_t i = 0; i < t->nfields; i++)
            if (component_abi_lift_flat(cx, t->fields[i].type, flat, pos, &fields[i]) < 0)
                return -1;
        out->kind = COMPONENT_VAL_RECORD;
        out->of.record.fields = fields;
        out->of.record.n = t->nfields;
        return 0;
    }
    case COMPONENT_TYPE_VARIANT:
    case COMPONENT_TYPE_ENUM:
    case COMPONENT_TYPE_OPTION:
    case COMPONENT_TYPE_RESULT: {
        uint32_t disc = (uint32_t)v[0].i32;
        if (disc >= case_count(t))
            return bad_disc(cx, t, disc);
        *pos += t->nflat;
        out->kind = COMPONENT_VAL_VARIANT;
        out->of.variant.disc = disc;
        out->of.variant.payload = NULL;
        const component_rtype *c = case_type(t, disc);
        if (!c)
            return 0;
        component_val *payload = alloc_vals(cx, 1, "variant");
        if (!payload)
            return -1;
        wasm_val tmp[COMPONENT_MAX_FLAT_KEPT];
        coerce_from_joined(t, c, &v[1], tmp);
        size_t p = 0;
        out->of.variant.payload = payload;
        return component_abi_lift_flat(cx, c, tmp, &p, payload);
    }
    case COMPONENT_TYPE_FLAGS: {
        uint64_t bits = 0;
        for (uint32_t i = 0; i < t->nflat && i < 2; i++)
            bits |= (uint64_t)(uint32_t)v[i].i32 << (32 * i);
        *pos += t->nflat;
        out->kind = COMPONENT_VAL_FLAGS;
        out->of.flags = bits & flags_mask(t);
        return 0;
    }
    case COMPONENT_TYPE_OWN:
    case COMPONENT_TYPE_BORROW:
        *pos += 1;
        return lift_own_or_borrow(cx, t, (uint32_t)v->i32, out);
    default:
        return component_abi_trap(cx, "cannot lift a value of type %s", type_name(t));
    }
}

/* ---- flat lowering ----------------------------------------------------- */

/* The case's own flat values converted to the variant's joined types
 * (lower_flat_variant's coercions), zeros past the payload. */
static void coerce_to_joined(const component_rtype *t, const component_rtype *c,
                             const wasm_val *tmp, wasm_val *joined)
{
    for (uint32_t i = 0; i + 1 < t->nflat; i++) {
        wasm_val o;
        memset(&o, 0, sizeof o);
        if (c && i < c->nflat) {
            wasm_valtype have = c->flat[i], want = t->flat[1 + i];
            wasm_val v = tmp[i];
            if (have == want)
                o = v;
            else if (have == WASM_F32 && want == WASM_I32)
                o.i32 = (int32_t)v.f32_bits;
            else if (have == WASM_I32 && want == WASM_I64)
                o.i64 = (int64_t)(uint64_t)(uint32_t)v.i32;
            else if (have == WASM_F32 && want == WASM_I64)
                o.i64 = (int64_t)(uint64_t)v.f32_bits;
            else if (have == WASM_F64 && want == WASM_I64)
                o.i64 = (int64_t)v.f64_bits;
        }
        joined[i] = o;
    }
}

static void put_i32(wasm_val *flat, size_t *pos, uint32_t x)
{
    memset(&flat[*pos], 0, sizeof flat[*pos]);
    flat[(*pos)++].i32 = (int32_t)x;
}

int component_abi_lower_flat(component_abi_cx *cx, const component_rtype *t,
                             const component_val *v, wasm_val *flat, size_t *pos)
{
    if (t->nflat > COMPONENT_MAX_FLAT_KEPT)
        return flat_too_long(cx, t);
    uint64_t bits;
    uint32_t a, b;
    switch (t->kind) {
    case COMPONENT_TYPE_PRIM:
        if (t->prim == COMPONENT_PRIM_STRING) {
            if (component_abi_lower_string(cx, v, &a, &b) < 0)
                return -1;
            put_i32(flat, pos, a);
            put_i32(flat, pos, b);
            return 0;
        }
        if (prim_to_bits(cx, t, v, &bits) < 0)
            return -1;
        memset(&flat[*pos], 0, sizeof flat[*pos]);
        switch (t->flat[0]) {
        case WASM_I64: flat[*pos].i64 = (int64_t)bits; break;
        case WASM_F32: flat[*pos].f32_bits = (uint32_t)bits; break;
        case WASM_F64: flat[*pos].f64_bits = bits; break;
        default: flat[*pos].i32 = (int32_t)(uint32_t)bits; break;
        }
        *pos += 1;
        return 0;
    case COMPONENT_TYPE_LIST:
        if (lower_list(cx, t, v, &a, &b) < 0)
            return -1;
        put_i32(flat, pos, a);
        put_i32(flat, pos, b);
        return 0;
    case COMPONENT_TYPE_RECORD:
    case COMPONENT_TYPE_TUPLE:
        if (check_fields(cx, t, v) < 0)
            return -1;
        for (uint32_t i = 0; i < t->nfields; i++)
            if (component_abi_lower_flat(cx, t->fields[i].type, &v->of.record.fields[i], flat,
                                         pos) < 0)
                return -1;
        return 0;
    case COMPONENT_TYPE_VARIANT:
    case COMPONENT_TYPE_ENUM:
    case COMPONENT_TYPE_OPTION:
    case COMPONENT_TYPE_RESULT: {
        const component_rtype *c;
        if (check_case(cx, t, v, &c) < 0)
            return -1;
        wasm_val tmp[COMPONENT_MAX_FLAT_KEPT];
        size_t p = 0;
        if (c && component_abi_lower_flat(cx, c, v->of.variant.payload, tmp, &p) < 0)
            return -1;
        put_i32(flat, pos, v->of.variant.disc);
        coerce_to_joined(t, c, tmp, &flat[*pos]);
        *pos += t->nflat - 1;
        return 0;
    }
    case COMPONENT_TYPE_FLAGS: {
        if (v->kind != COMPONENT_VAL_FLAGS)
            return wrong_kind(cx, t, v);
        uint64_t f = v->of.flags & flags_mask(t);
        for (uint32_t i = 0; i < t->nflat; i++)
            put_i32(flat, pos, i < 2 ? (uint32_t)(f >> (32 * i)) : 0);
        return 0;
    }
    case COMPONENT_TYPE_OWN:
    case COMPONENT_TYPE_BORROW:
        if (lower_handle(cx, t, v, &a) < 0)
            return -1;
        put_i32(flat, pos, a);
        return 0;
    default:
        return component_abi_trap(cx, "cannot lower a value of type %s", type_name(t));
    }
}

/* ---- whole functions --------------------------------------------------- */

/* The parameters as the tuple they are spilled as: its alignment and size
 * (elem_size_record / alignment_record). */
static void params_layout(const component_rfunc *f, uint32_t *align, uint32_t *size)
{
    uint32_t a = 1, off = 0;
    for (uint32_t i = 0; i < f->nparams; i++) {
        const component_rtype *p = f->params[i].type;
        if (p->align > a)
            a = p->align;
        off = align_to(off, p->align) + p->size;
    }
    *align = a;
    *size = align_to(off, a);
}

int component_abi_lift_params(component_abi_cx *cx, const component_rfunc *f,
                              const wasm_val *core, component_val *out)
{
    if (!f->params_in_memory) {
        size_t pos = 0;
        for (uint32_t i = 0; i < f->nparams; i++)
            if (component_abi_lift_flat(cx, f->params[i].type, core, &pos, &out[i]) < 0)
                return -1;
        return 0;
    }
    uint32_t align, size, ptr = (uint32_t)core[0].i32;
    params_layout(f, &align, &size);
    if (component_abi_check_range(cx, ptr, size, align, "the parameters") < 0)
        return -1;
    uint32_t off = 0;
    for (uint32_t i = 0; i < f->nparams; i++) {
        const component_rtype *p = f->params[i].type;
        off = align_to(off, p->align);
        if (load_at(cx, p, ptr + off, &out[i]) < 0)
            return -1;
        off += p->size;
    }
    return 0;
}

int component_abi_lower_params(component_abi_cx *cx, const component_rfunc *f,
                               const component_val *args, wasm_val *core)
{
    if (!f->params_in_memory) {
        size_t pos = 0;
        for (uint32_t i = 0; i < f->nparams; i++)
            if (component_abi_lower_flat(cx, f->params[i].type, &args[i], core, &pos) < 0)
                return -1;
        return 0;
    }
    uint32_t align, size, ptr;
    params_layout(f, &align, &size);
    if (component_abi_alloc(cx, align, size, "the parameters", &ptr) < 0)
        return -1;
    uint32_t off = 0;
    for (uint32_t i = 0; i < f->nparams; i++) {
        const component_rtype *p = f->params[i].type;
        off = align_to(off, p->align);
        if (store_at(cx, p, &args[i], ptr + off) < 0)
            return -1;
        off += p->size;
    }
    memset(&core[0], 0, sizeof core[0]);
    core[0].i32 = (int32_t)ptr;
    return 0;
}

int component_abi_lift_result(component_abi_cx *cx, const component_rfunc *f,
                              const wasm_val *core, component_val *out)
{
    if (!f->result)
        return 0;
    if (f->result_in_memory)
        return component_abi_load(cx, f->result, (uint32_t)core[0].i32, out);
    size_t pos = 0;
    return component_abi_lift_flat(cx, f->result, core, &pos, out);
}

int component_abi_lower_result(component_abi_cx *cx, const component_rfunc *f,
                               const component_val *v, wasm_val *core, uint32_t retptr)
{
    if (!f->result)
        return 0;
    if (f->result_in_memory)
        return component_abi_store(cx, f->result, v, retptr);
    size_t pos = 0;
    return component_abi_lower_flat(cx, f->result, v, core, &pos);
}
