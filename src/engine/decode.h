/*
 * decode.h - the byte reader shared by the front half of the engine
 * (decode.c reads sections, validate.c reads and checks expressions).
 * Private to decode.c / validate.c / module.c.
 *
 * Like the spec's reference decoder, every read is bounded by the end of
 * the whole binary, not by the end of the current section or function:
 * sizes are checked after the fact ("section size mismatch"), which is
 * what makes the spec report e.g. "END opcode expected" when a body runs
 * into the next one.  Malformed input aborts decoding at once (wasm_rd_malformed
 * returns -1 and every caller propagates it).  Validation errors do not:
 * the first one is remembered (wasm_rd_invalid) and decoding goes on, because a
 * malformed byte anywhere later in the module takes precedence over it.
 */
#ifndef ENGINE_DECODE_H
#define ENGINE_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "leb128.h"
#include "module.h"
#include "util.h"

/* Local types beyond this many per function are refused (an
 * implementation limit: each local costs a frame slot at run time). */
#define WM_MAX_LOCALS 65536u

typedef struct wm_validator wm_validator; /* validate.c */

typedef struct wm_reader {
    wasm_module *m;
    const uint8_t *base, *p, *end; /* end = end of the whole binary */
    wasm_result *res;
    bool invalid;            /* a validation error is pending in res */
    bool uses_data_index;    /* memory.init / data.drop seen (needs datacount) */
    uint32_t first_data_index; /* ... and the index it used */
    wm_validator *val;       /* reusable expression validator scratch */
    int64_t func_index;      /* function whose body is being read, or -1 */
} wm_reader;

int wasm_rd_malformed(wm_reader *r, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* Records the first validation error; always returns 0 so decoding goes on. */
int wasm_rd_invalid(wm_reader *r, const char *fmt, ...) UTIL_PRINTF(2, 3);

static inline int rd_eof(wm_reader *r)
{
    return wasm_rd_malformed(r, "unexpected end of section or function");
}

static inline int rd_leb_error(wm_reader *r, int code)
{
    if (code == UTIL_LEB128_END)
        return rd_eof(r);
    return wasm_rd_malformed(r, "%s", util_leb128_strerror(code));
}

static inline int rd_u8(wm_reader *r, uint8_t *out)
{
    if (r->p >= r->end) {
        *out = 0;
        return rd_eof(r);
    }
    *out = *r->p++;
    return 0;
}

static inline int rd_u32(wm_reader *r, uint32_t *out)
{
    if (UTIL_LIKELY(r->p < r->end && *r->p < 0x80)) { /* the common one-byte case */
        *out = *r->p++;
        return 0;
    }
    int rc = util_leb128_read_u32(&r->p, r->end, out);
    return rc == UTIL_LEB128_OK ? 0 : rd_leb_error(r, rc);
}

static inline int rd_s32(wm_reader *r, int32_t *out)
{
    if (UTIL_LIKELY(r->p < r->end && *r->p < 0x80)) {
        *out = (int32_t)((uint32_t)*r->p++ << 25) >> 25; /* sign-extend 7 bits */
        return 0;
    }
    int rc = util_leb128_read_s32(&r->p, r->end, out);
    return rc == UTIL_LEB128_OK ? 0 : rd_leb_error(r, rc);
}

static inline int rd_s64(wm_reader *r, int64_t *out)
{
    int rc = util_leb128_read_s64(&r->p, r->end, out);
    return rc == UTIL_LEB128_OK ? 0 : rd_leb_error(r, rc);
}

static inline int rd_skip(wm_reader *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return rd_eof(r);
    r->p += n;
    return 0;
}

/* A section or code entry size: must not exceed the bytes left. */
static inline int rd_len(wm_reader *r, uint32_t *out)
{
    if (rd_u32(r, out) < 0)
        return -1;
    if (*out > (size_t)(r->end - r->p))
        return wasm_rd_malformed(r, "length out of bounds");
    return 0;
}

/* A vector count.  Unlike byte lengths it is not checked against the bytes
 * left (the spec then reports the end of input while reading elements);
 * arrays are sized with rd_vec_cap, and loops call rd_eof once they pass
 * it: every element takes at least one byte, so that is where the input
 * would have ended anyway. */
static inline int rd_vec(wm_reader *r, uint32_t *out)
{
    return rd_u32(r, out);
}

static inline uint32_t rd_vec_cap(const wm_reader *r, uint32_t n)
{
    size_t left = (size_t)(r->end - r->p);
    return n < left ? n : (uint32_t)left;
}

/* A data segment's length: running past the end of the
 * input is reported as such, like any other read. */
static inline int rd_bytes_len(wm_reader *r, uint32_t *out)
{
    if (rd_u32(r, out) < 0)
        return -1;
    if (*out > (size_t)(r->end - r->p))
        return rd_eof(r);
    return 0;
}

static inline uint32_t rd_pos(const wm_reader *r)
{
    return (uint32_t)(r->p - r->base);
}

/* Is `t` a value type we support (SIMD's v128 is reported separately)? */
static inline bool wm_is_valtype(uint8_t t)
{
    return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64 ||
           t == WASM_FUNCREF || t == WASM_EXTERNREF;
}

static inline bool wm_is_reftype(uint8_t t)
{
    return t == WASM_FUNCREF || t == WASM_EXTERNREF;
}

/* Reads a value type byte ("malformed value type"; v128 -> unsupported). */
int wasm_rd_valtype(wm_reader *r, uint8_t *out);

/* ---- expressions (validate.c) ------------------------------------------ */

typedef enum wm_expr_kind {
    WM_EXPR_BODY,  /* a function body */
    WM_EXPR_CONST, /* a constant expression */
} wm_expr_kind;

typedef struct wm_expr_info {
    wm_expr_kind kind;
    /* BODY: the function's type and locals. */
    const wm_functype *type; /* NULL if the type index was invalid */
    const wm_local_group *locals;
    uint32_t nlocal_groups, nlocals;
    /* CONST: the single result type, and how many globals are visible
     * (only the imported ones inside the global section). */
    uint8_t const_type;
    uint32_t const_nglobals;
    /* outputs (BODY) */
    uint32_t max_stack, max_depth;
} wm_expr_info;

/* Reads and validates one expression up to and including its final end. */
int wasm_wm_validate_expr(wm_reader *r, wm_expr_info *info);
void wasm_wm_validator_free(wm_validator *v);

#endif
