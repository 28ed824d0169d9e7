/*
 * reader.c - the bounded byte reader of the component decoder, and the
 * index-space scopes.
 *
 * Every read checks the bytes left first, so a truncated or lying input ends
 * in an error, never a read past the end; LEB128 numbers are refused when
 * they run longer or larger than their type allows (the core spec's rule).
 * Errors carry the section being read and the absolute offset of the byte
 * at fault, which is what a user needs to find it with a hex dump.
 */
#include "component_internal.h"

#include <string.h>

static int fail_v(comp_reader *r, size_t pos, const char *fmt, va_list ap)
{
    cleanup_free char *msg = util_xvasprintf(fmt, ap);
    return util_error_set(r->err, 0, "%s at offset 0x%zx: %s", r->section, r->base + pos,
                          msg);
}

int component_fail(comp_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(r, r->pos, fmt, ap);
    va_end(ap);
    return -1;
}

int component_fail_at(comp_reader *r, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(r, pos, fmt, ap);
    va_end(ap);
    return -1;
}

size_t component_left(const comp_reader *r)
{
    return r->len - r->pos;
}

int component_byte(comp_reader *r, uint8_t *out)
{
    if (r->pos >= r->len)
        return component_fail(r, "unexpected end of input");
    *out = r->data[r->pos++];
    return 0;
}

/* Unsigned LEB128 of at most `bits` bits. */
static int read_uleb(comp_reader *r, unsigned bits, uint64_t *out)
{
    size_t start = r->last = r->pos;
    uint64_t value = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint8_t b;
        if (shift >= bits)
            return component_fail_at(r, start, "integer too long for u%u", bits);
        if (r->pos >= r->len)
            return component_fail_at(r, start, "unexpected end of input in an integer");
        b = r->data[r->pos++];
        if (bits - shift < 7 && (b & 0x7f) >> (bits - shift))
            return component_fail_at(r, start, "integer too large for u%u", bits);
        value |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    *out = value;
    return 0;
}

int component_u32(comp_reader *r, uint32_t *out)
{
    uint64_t v;
    if (read_uleb(r, 32, &v) < 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int component_u64(comp_reader *r, uint64_t *out)
{
    return read_uleb(r, 64, out);
}

int component_s33(comp_reader *r, int64_t *out)
{
    size_t start = r->pos;
    int64_t value = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        if (r->pos >= r->len)
            return component_fail_at(r, start, "unexpected end of input in an integer");
        if (shift >= 35)
            return component_fail_at(r, start, "integer too large for s33");
        b = r->data[r->pos++];
        value |= (int64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40))
        value |= -((int64_t)1 << shift);
    if (value < -((int64_t)1 << 32) || value >= ((int64_t)1 << 32))
        return component_fail_at(r, start, "integer too large for s33");
    *out = value;
    return 0;
}

int component_vec_count(comp_reader *r, size_t min_size, uint32_t *out)
{
    size_t start = r->pos;
    if (component_u32(r, out) < 0)
        return -1;
    if (min_size && *out > component_left(r) / min_size)
        return component_fail_at(r, start, "count %" PRIu32 " exceeds the %zu bytes left", *out,
                            component_left(r));
    return 0;
}

bool component_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0)
            n = 1, cp = c & 0x1f;
        else if ((c & 0xf0) == 0xe0)
            n = 2, cp = c & 0x0f;
        else if ((c & 0xf8) == 0xf0)
            n = 3, cp = c & 0x07;
        else
            return false;
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const uint32_t least[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

int component_read_name(comp_reader *r, const char **s, uint32_t *len)
{
    size_t start = r->pos;
    if (component_vec_count(r, 1, len) < 0)
        return -1;
    if (!component_utf8_valid(r->data + r->pos, *len))
        return component_fail_at(r, start, "name is not valid UTF-8");
    *s = (const char *)r->data + r->pos;
    r->pos += *len;
    return 0;
}

void *component_grow(void *array, uint32_t *cap, uint32_t n, size_t size)
{
    if (n < *cap)
        return array;
    uint32_t want = *cap ? *cap * 2 : 8;
    array = util_xrealloc(array, (size_t)want * size);
    memset((char *)array + (size_t)*cap * size, 0, (size_t)(want - *cap) * size);
    *cap = want;
    return array;
}

component_type *component_scope_add_type(comp_scope *s, component_type_kind kind)
{
    *s->types = component_grow(*s->types, &s->types_cap, *s->ntypes, sizeof(component_type));
    component_type *t = &(*s->types)[(*s->ntypes)++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    s->counts[COMPONENT_SORT_TYPE] = *s->ntypes;
    return t;
}

uint32_t component_scope_add_eq(comp_scope *s, uint32_t idx)
{
    const component_type *target = &(*s->types)[idx];
    uint32_t root = target->kind == COMPONENT_TYPE_IMPORT_EQ ? target->index : idx;
    component_scope_add_type(s, COMPONENT_TYPE_IMPORT_EQ)->index = root;
    return *s->ntypes - 1;
}

const component_type *component_scope_resolve(const comp_scope *s, uint32_t idx)
{
    const component_type *t = &(*s->types)[idx];
    return t->kind == COMPONENT_TYPE_IMPORT_EQ ? &(*s->types)[t->index] : t;
}

int component_check_index(comp_reader *r, const comp_scope *s, component_sort sort, uint32_t idx)
{
    if (idx >= s->counts[sort])
        return component_fail_at(r, r->last, "%s index %" PRIu32 " out of range (%" PRIu32 " defined)",
                         component_sort_name(sort), idx, s->counts[sort]);
    return 0;
}

const char *component_sort_name(component_sort sort)
{
    static const char *const names[COMPONENT_SORT_COUNT] = {
        "core func",  "core table", "core memory",    "core global", "core tag",
        "core type",  "core module", "core instance", "func",        "value",
        "type",       "component",  "instance",
    };
    return (unsigned)sort < COMPONENT_SORT_COUNT ? names[sort] : "unknown sort";
}
