/*
 * abi_string.c - strings in the canonical ABI: lifting from the guest's
 * encoding (utf8, utf16, latin1+utf16) into the host's UTF-8, and lowering
 * back.
 *
 * Lifting validates every string (UTF-8 by the Unicode rules: no overlong
 * forms, no surrogates, nothing past U+10FFFF; UTF-16 with paired
 * surrogates) and traps at the first bad byte, naming its address.  Valid
 * UTF-8 (and pure-ASCII latin1) is passed as a pointer into guest memory;
 * everything else is transcoded into the call's arena.
 *
 * Lowering differs from the spec's algorithms in one way that the spec
 * allows (it only fixes the results, not the realloc calls' sizes for
 * non-trapping reallocs): the host's string is measured first, so realloc
 * is called once, with the exact size, instead of a worst case followed by
 * a shrink.  The encodings chosen are the spec's: latin1+utf16 stores
 * latin1 when every code point is below 256, else UTF-16 with the tag bit
 * set in the length.
 */
#include "abi_internal.h"

#include <stdio.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s[*i] (n bytes in all): false if it is
 * not valid. */
static bool utf8_next(const uint8_t *s, size_t n, size_t *i, uint32_t *cp)
{
    uint8_t b = s[*i];
    if (b < 0x80) {
        *cp = b;
        *i += 1;
        return true;
    }
    size_t len;
    uint32_t c, min;
    if (b >= 0xc2 && b <= 0xdf) {
        len = 2, c = b & 0x1f, min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3, c = b & 0x0f, min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4, c = b & 0x07, min = 0x10000;
    } else {
        return false;
    }
    if (n - *i < len)
        return false;
    for (size_t k = 1; k < len; k++) {
        uint8_t cb = s[*i + k];
        if ((cb & 0xc0) != 0x80)
            return false;
        c = (c << 6) | (cb & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return false;
    *cp = c;
    *i += len;
    return true;
}

static size_t utf8_len(uint32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static char *utf8_put(char *p, uint32_t cp)
{
    if (cp < 0x80) {
        *p++ = (char)cp;
    } else if (cp < 0x800) {
        *p++ = (char)(0xc0 | (cp >> 6));
        *p++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *p++ = (char)(0xe0 | (cp >> 12));
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *p++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *p++ = (char)(0xf0 | (cp >> 18));
        *p++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *p++ = (char)(0x80 | (cp & 0x3f));
    }
    return p;
}

/* ---- lifting ----------------------------------------------------------- */

static char *arena_text(component_abi_cx *cx, size_t len)
{
    char *p = component_arena_alloc(cx->arena, len ? len : 1);
    if (!p)
        component_abi_trap(cx, "out of memory: a string of %zu bytes passes the call's arena "
                               "limit", len);
    return p;
}

static int lift_utf8(component_abi_cx *cx, const uint8_t *s, uint32_t ptr, size_t n,
                     component_val *out)
{
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t at = i;
        if (!utf8_next(s, n, &i, &cp))
            return component_abi_trap(cx, "invalid UTF-8 in string at 0x%llx",
                                      (unsigned long long)ptr + at);
    }
    out->of.str.ptr = (const char *)s;
    out->of.str.len = n;
    return 0;
}

static int lift_latin1(component_abi_cx *cx, const uint8_t *s, size_t n, component_val *out)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += s[i] < 0x80 ? 1 : 2;
    if (len == n) {
        out->of.str.ptr = (const char *)s;
        out->of.str.len = n;
        return 0;
    }
    char *text = arena_text(cx, len);
    if (!text)
        return -1;
    char *p = text;
    for (size_t i = 0; i < n; i++)
        p = utf8_put(p, s[i]);
    out->of.str.ptr = text;
    out->of.str.len = len;
    return 0;
}

/* The code point of the UTF-16 unit(s) at unit *i, or a trap naming the
 * unpaired surrogate's address. */
static int utf16_next(component_abi_cx *cx, const uint8_t *s, uint32_t ptr, size_t units,
                      size_t *i, uint32_t *cp)
{
    uint32_t u = s[2 * *i] | (uint32_t)s[2 * *i + 1] << 8;
    if (u < 0xd800 || u > 0xdfff) {
        *cp = u;
        *i += 1;
        return 0;
    }
    if (u <= 0xdbff && *i + 1 < units) {
        uint32_t lo = s[2 * *i + 2] | (uint32_t)s[2 * *i + 3] << 8;
        if (lo >= 0xdc00 && lo <= 0xdfff) {
            *cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            *i += 2;
            return 0;
        }
    }
    return component_abi_trap(cx, "invalid UTF-16 in string at 0x%llx: unpaired surrogate 0x%x",
                              (unsigned long long)ptr + 2 * *i, u);
}

static int lift_utf16(component_abi_cx *cx, const uint8_t *s, uint32_t ptr, size_t units,
                      component_val *out)
{
    size_t len = 0, i = 0;
    uint32_t cp;
    while (i < units) {
        if (utf16_next(cx, s, ptr, units, &i, &cp) < 0)
            return -1;
        len += utf8_len(cp);
    }
    char *text = arena_text(cx, len);
    if (!text)
        return -1;
    char *p = text;
    for (i = 0; i < units;) {
        utf16_next(cx, s, ptr, units, &i, &cp);
        p = utf8_put(p, cp);
    }
    out->of.str.ptr = text;
    out->of.str.len = len;
    return 0;
}

int component_abi_lift_string(component_abi_cx *cx, uint32_t ptr, uint32_t tagged,
                              component_val *out)
{
    uint64_t bytes;
    uint32_t align = 2;
    bool utf16 = false;
    switch (cx->encoding) {
    case COMPONENT_STRING_UTF16:
        bytes = 2 * (uint64_t)tagged;
        utf16 = true;
        break;
    case COMPONENT_STRING_LATIN1_UTF16:
        utf16 = tagged & COMPONENT_ABI_UTF16_TAG;
        bytes = utf16 ? 2 * (uint64_t)(tagged ^ COMPONENT_ABI_UTF16_TAG) : tagged;
        break;
    default:
        bytes = tagged;
        align = 1;
        break;
    }
    if (bytes > COMPONENT_ABI_MAX_STRING_BYTES)
        return component_abi_trap(cx, "string of %llu bytes at 0x%x is longer than the limit "
                                      "of %u bytes", (unsigned long long)bytes, ptr,
                                  COMPONENT_ABI_MAX_STRING_BYTES);
    char what[64];
    snprintf(what, sizeof what, "%s string of %llu bytes",
             utf16 ? "UTF-16" : align == 2 ? "latin1" : "UTF-8", (unsigned long long)bytes);
    if (component_abi_check_range(cx, ptr, bytes, align, what) < 0)
        return -1;
    const uint8_t *s = wasm_memory_data(cx->memory) + ptr;
    out->kind = COMPONENT_VAL_STRING;
    if (utf16)
        return lift_utf16(cx, s, ptr, (size_t)bytes / 2, out);
    if (align == 2)
        return lift_latin1(cx, s, (size_t)bytes, out);
    return lift_utf8(cx, s, ptr, (size_t)bytes, out);
}

/* ---- lowering ---------------------------------------------------------- */

typedef struct string_measure {
    size_t code_points;
    size_t utf16_units;
    uint32_t max_cp;
} string_measure;

static int measure(component_abi_cx *cx, const uint8_t *s, size_t n, string_measure *m)
{
    *m = (string_measure){0};
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t at = i;
        if (!utf8_next(s, n, &i, &cp))
            return component_abi_trap(cx, "cannot lower a string that is not valid UTF-8 "
                                          "(byte %zu)", at);
        m->code_points++;
        m->utf16_units += cp >= 0x10000 ? 2 : 1;
        if (cp > m->max_cp)
            m->max_cp = cp;
    }
    return 0;
}

static void put_utf16(uint8_t *dst, const uint8_t *s, size_t n)
{
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        utf8_next(s, n, &i, &cp);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            uint32_t hi = 0xd800 + (cp >> 10), lo = 0xdc00 + (cp & 0x3ff);
            *dst++ = (uint8_t)hi, *dst++ = (uint8_t)(hi >> 8);
            *dst++ = (uint8_t)lo, *dst++ = (uint8_t)(lo >> 8);
        } else {
            *dst++ = (uint8_t)cp, *dst++ = (uint8_t)(cp >> 8);
        }
    }
}

static void put_latin1(uint8_t *dst, const uint8_t *s, size_t n)
{
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        utf8_next(s, n, &i, &cp);
        *dst++ = (uint8_t)cp;
    }
}

int component_abi_lower_string(component_abi_cx *cx, const component_val *v, uint32_t *ptr,
                               uint32_t *tagged)
{
    if (v->kind != COMPONENT_VAL_STRING)
        return component_abi_trap(cx, "cannot lower a non-string value as string");
    const uint8_t *s = (const uint8_t *)v->of.str.ptr;
    size_t n = v->of.str.len;
    if (n && !s)
        return component_abi_trap(cx, "cannot lower a string of %zu bytes without bytes", n);
    string_measure m;
    if (measure(cx, s, n, &m) < 0)
        return -1;
    enum { AS_UTF8, AS_UTF16, AS_LATIN1 } as = AS_UTF8;
    uint64_t bytes = n;
    uint32_t align = 1, units = (uint32_t)n;
    if (cx->encoding == COMPONENT_STRING_UTF16 ||
        (cx->encoding == COMPONENT_STRING_LATIN1_UTF16 && m.max_cp >= 0x100)) {
        as = AS_UTF16;
        bytes = 2 * (uint64_t)m.utf16_units;
        align = 2;
        units = (uint32_t)m.utf16_units;
    } else if (cx->encoding == COMPONENT_STRING_LATIN1_UTF16) {
        as = AS_LATIN1;
        bytes = m.code_points;
        align = 2;
        units = (uint32_t)m.code_points;
    }
    if (bytes > COMPONENT_ABI_MAX_STRING_BYTES)
        return component_abi_trap(cx, "string of %llu bytes is longer than the limit of %u "
                                      "bytes", (unsigned long long)bytes,
                                  COMPONENT_ABI_MAX_STRING_BYTES);
    char what[64];
    snprintf(what, sizeof what, "a string of %llu bytes", (unsigned long long)bytes);
    uint32_t p;
    if (component_abi_alloc(cx, align, bytes, what, &p) < 0)
        return -1;
    uint8_t *dst = wasm_memory_data(cx->memory) + p;
    switch (as) {
    case AS_UTF16:
        put_utf16(dst, s, n);
        if (cx->encoding == COMPONENT_STRING_LATIN1_UTF16)
            units |= COMPONENT_ABI_UTF16_TAG;
        break;
    case AS_LATIN1:
        put_latin1(dst, s, n);
        break;
    default:
        if (n)
            memcpy(dst, s, n);
        break;
    }
    *ptr = p;
    *tagged = units;
    return 0;
}
