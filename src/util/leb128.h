/*
 * leb128.h - LEB128 readers (static inline: the Wasm decoder, validator
 * and translator call them per immediate, and the component-model decoder
 * will too).  A door of src/util beside util.h.
 *
 * The checked readers accept exactly what the Wasm spec accepts: padded
 * ("overlong") encodings up to ceil(N/7) bytes, where the unused bits of
 * the last byte must be zero (unsigned) or copies of the sign bit
 * (signed).  They return UTIL_LEB128_OK or a negative code naming the
 * spec's complaint, so a caller can report "unexpected end", "integer
 * representation too long" (more than ceil(N/7) bytes) or "integer too
 * large" (bad unused bits).  On failure *pp is left where it was.
 *
 * The util_leb128_fast_* readers are for input already validated (the
 * translator, constant expressions): no end pointer, no checks.
 */
#ifndef UTIL_LEB128_H
#define UTIL_LEB128_H

#include <stdint.h>

enum {
    UTIL_LEB128_OK = 0,
    UTIL_LEB128_END = -1,      /* ran off the end of the input */
    UTIL_LEB128_TOO_LONG = -2, /* "integer representation too long" */
    UTIL_LEB128_TOO_LARGE = -3 /* "integer too large" */
};

static inline const char *util_leb128_strerror(int code)
{
    switch (code) {
    case UTIL_LEB128_END: return "unexpected end";
    case UTIL_LEB128_TOO_LONG: return "integer representation too long";
    case UTIL_LEB128_TOO_LARGE: return "integer too large";
    default: return "ok";
    }
}

/* Reads an unsigned integer of `bits` bits (1..64). */
static inline int util_leb128_read_uN(const uint8_t **pp, const uint8_t *end, unsigned bits,
                                      uint64_t *out)
{
    const uint8_t *p = *pp;
    unsigned maxbytes = (bits + 6) / 7;
    uint64_t v = 0;
    *out = 0;
    for (unsigned i = 0;; i++) {
        if (p >= end)
            return UTIL_LEB128_END;
        uint8_t b = *p++;
        if (i == maxbytes - 1) {
            if (b & 0x80)
                return UTIL_LEB128_TOO_LONG;
            unsigned used = bits - 7 * i; /* value bits in this byte */
            if (used < 7 && (b >> used) != 0)
                return UTIL_LEB128_TOO_LARGE;
            v |= (uint64_t)b << (7 * i);
            break;
        }
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80))
            break;
    }
    *pp = p;
    *out = v;
    return UTIL_LEB128_OK;
}

/* Reads a signed integer of `bits` bits (1..64), sign-extended to 64. */
static inline int util_leb128_read_sN(const uint8_t **pp, const uint8_t *end, unsigned bits,
                                      int64_t *out)
{
    const uint8_t *p = *pp;
    unsigned maxbytes = (bits + 6) / 7;
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    *out = 0;
    for (unsigned i = 0;; i++) {
        if (p >= end)
            return UTIL_LEB128_END;
        b = *p++;
        if (i == maxbytes - 1) {
            if (b & 0x80)
                return UTIL_LEB128_TOO_LONG;
            unsigned used = bits - 7 * i; /* value bits, the sign bit included */
            if (used < 7) {
                /* bits used-1 .. 6 must all be equal (sign extension) */
                uint8_t top = (uint8_t)(b >> (used - 1));
                uint8_t all = (uint8_t)((1u << (8 - used)) - 1);
                if (top != 0 && top != all)
                    return UTIL_LEB128_TOO_LARGE;
            }
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
    *pp = p;
    *out = (int64_t)v;
    return UTIL_LEB128_OK;
}

static inline int util_leb128_read_u32(const uint8_t **pp, const uint8_t *end, uint32_t *out)
{
    uint64_t v;
    int rc = util_leb128_read_uN(pp, end, 32, &v);
    *out = (uint32_t)v;
    return rc;
}

static inline int util_leb128_read_u64(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    return util_leb128_read_uN(pp, end, 64, out);
}

static inline int util_leb128_read_s32(const uint8_t **pp, const uint8_t *end, int32_t *out)
{
    int64_t v;
    int rc = util_leb128_read_sN(pp, end, 32, &v);
    *out = (int32_t)v;
    return rc;
}

/* Wasm block types are s33: a negative value is a value type or empty. */
static inline int util_leb128_read_s33(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    return util_leb128_read_sN(pp, end, 33, out);
}

static inline int util_leb128_read_s64(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    return util_leb128_read_sN(pp, end, 64, out);
}

/* ---- unchecked readers for validated input ----------------------------- */

static inline uint64_t util_leb128_fast_u64(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = *p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    *pp = p;
    return v;
}

static inline uint32_t util_leb128_fast_u32(const uint8_t **pp)
{
    return (uint32_t)util_leb128_fast_u64(pp);
}

static inline int64_t util_leb128_fast_s64(const uint8_t **pp)
{
    const uint8_t *start = *pp;
    uint64_t v = util_leb128_fast_u64(pp);
    /* sign-extend from the last byte's bit 6, if any value bits are left */
    unsigned shift = 7u * (unsigned)(*pp - start);
    if (shift < 64 && ((*pp)[-1] & 0x40))
        v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

static inline int32_t util_leb128_fast_s32(const uint8_t **pp)
{
    return (int32_t)util_leb128_fast_s64(pp);
}

#endif
