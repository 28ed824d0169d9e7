/*
 * test_leb128.c - the LEB128 readers of src/util (leb128.h): the padded
 * encodings the Wasm spec allows, the ones it rejects (too many bytes,
 * unused bits that are not zero or copies of the sign), truncation, the
 * signed ends of each width, and the unchecked readers on valid input.
 */
#include "leb128.h"
#include "test.h"

#include <stddef.h>
#include <stdint.h>

/* Reads one u32 from b[0..n); *used = bytes consumed (0 on failure). */
static int u32_of(const uint8_t *b, size_t n, uint32_t *out, size_t *used)
{
    const uint8_t *p = b;
    int rc = util_leb128_read_u32(&p, b + n, out);
    *used = (size_t)(p - b);
    return rc;
}

static int u64_of(const uint8_t *b, size_t n, uint64_t *out)
{
    const uint8_t *p = b;
    return util_leb128_read_u64(&p, b + n, out);
}

static int s32_of(const uint8_t *b, size_t n, int32_t *out)
{
    const uint8_t *p = b;
    return util_leb128_read_s32(&p, b + n, out);
}

static int s64_of(const uint8_t *b, size_t n, int64_t *out)
{
    const uint8_t *p = b;
    return util_leb128_read_s64(&p, b + n, out);
}

static void test_u32_values_and_padding(void)
{
    uint32_t v;
    size_t used;
    CHECK_INT(u32_of((const uint8_t[]){0x00}, 1, &v, &used), UTIL_LEB128_OK);
    CHECK_INT(v, 0);
    CHECK_INT(u32_of((const uint8_t[]){0xE5, 0x8E, 0x26}, 3, &v, &used), UTIL_LEB128_OK);
    CHECK_INT(v, 624485);
    CHECK_INT(used, 3);
    /* the reader stops at the first byte without the continuation bit */
    CHECK_INT(u32_of((const uint8_t[]){0x7F, 0x01}, 2, &v, &used), UTIL_LEB128_OK);
    CHECK_INT(v, 127);
    CHECK_INT(used, 1);
    /* overlong but within ceil(32/7) = 5 bytes: zero and 3 padded */
    CHECK_INT(u32_of((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x00}, 5, &v, &used),
              UTIL_LEB128_OK);
    CHECK_INT(v, 0);
    CHECK_INT(used, 5);
    CHECK_INT(u32_of((const uint8_t[]){0x83, 0x80, 0x80, 0x80, 0x00}, 5, &v, &used),
              UTIL_LEB128_OK);
    CHECK_INT(v, 3);
    CHECK_INT(u32_of((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 5, &v, &used),
              UTIL_LEB128_OK);
    CHECK_INT(v, UINT32_MAX);
}

static void test_u32_rejects(void)
{
    uint32_t v = 7;
    size_t used = 9;
    /* unused bits of the fifth byte set: a value above UINT32_MAX */
    CHECK_INT(u32_of((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, 5, &v, &used),
              UTIL_LEB128_TOO_LARGE);
    CHECK_INT(used, 0); /* nothing consumed on failure */
    CHECK_INT(u32_of((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x70}, 5, &v, &used),
              UTIL_LEB128_TOO_LARGE);
    /* overlong past five bytes: the fifth still has the continuation bit */
    CHECK_INT(u32_of((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 6, &v, &used),
              UTIL_LEB128_TOO_LONG);
    /* truncated, and empty input */
    CHECK_INT(u32_of((const uint8_t[]){0x80, 0x80}, 2, &v, &used), UTIL_LEB128_END);
    CHECK_INT(u32_of((const uint8_t[]){0}, 0, &v, &used), UTIL_LEB128_END);
    CHECK_STR(util_leb128_strerror(UTIL_LEB128_END), "unexpected end");
    CHECK_STR(util_leb128_strerror(UTIL_LEB128_TOO_LONG), "integer representation too long");
    CHECK_STR(util_leb128_strerror(UTIL_LEB128_TOO_LARGE), "integer too large");
}

static void test_u64_and_narrow_widths(void)
{
    uint64_t v;
    const uint8_t max64[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    CHECK_INT(u64_of(max64, 10, &v), UTIL_LEB128_OK);
    CHECK(v == UINT64_MAX);
    const uint8_t over64[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02};
    CHECK_INT(u64_of(over64, 10, &v), UTIL_LEB128_TOO_LARGE);
    const uint8_t long64[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    CHECK_INT(u64_of(long64, 11, &v), UTIL_LEB128_TOO_LONG);
    /* a 1-bit integer (the memory flags of Wasm 1.0): one byte, 0 or 1 */
    const uint8_t *p = (const uint8_t[]){0x01};
    CHECK_INT(util_leb128_read_uN(&p, p + 1, 1, &v), UTIL_LEB128_OK);
    CHECK_INT(v, 1);
    p = (const uint8_t[]){0x02};
    CHECK_INT(util_leb128_read_uN(&p, p + 1, 1, &v), UTIL_LEB128_TOO_LARGE);
    p = (const uint8_t[]){0x81, 0x00};
    CHECK_INT(util_leb128_read_uN(&p, p + 2, 1, &v), UTIL_LEB128_TOO_LONG);
}

static void test_signed_ends(void)
{
    int32_t v;
    int64_t w;
    CHECK_INT(s32_of((const uint8_t[]){0x7F}, 1, &v), UTIL_LEB128_OK);
    CHECK_INT(v, -1);
    CHECK_INT(s32_of((const uint8_t[]){0x3F}, 1, &v), UTIL_LEB128_OK);
    CHECK_INT(v, 63);
    CHECK_INT(s32_of((const uint8_t[]){0x40}, 1, &v), UTIL_LEB128_OK);
    CHECK_INT(v, -64);
    CHECK_INT(s32_of((const uint8_t[]){0xC0, 0xBB, 0x78}, 3, &v), UTIL_LEB128_OK);
    CHECK_INT(v, -123456);
    /* -1 padded to five bytes: the unused bits copy the sign */
    CHECK_INT(s32_of((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, 5, &v), UTIL_LEB128_OK);
    CHECK_INT(v, -1);
    CHECK_INT(s32_of((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x78}, 5, &v), UTIL_LEB128_OK);
    CHECK_INT(v, INT32_MIN);
    CHECK_INT(s32_of((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x07}, 5, &v), UTIL_LEB128_OK);
    CHECK_INT(v, INT32_MAX);
    /* unused bits disagree with the sign bit: one past each end */
    CHECK_INT(s32_of((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x4F}, 5, &v),
              UTIL_LEB128_TOO_LARGE);
    CHECK_INT(s32_of((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x08}, 5, &v),
              UTIL_LEB128_TOO_LARGE);
    CHECK_INT(s32_of((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, 6, &v),
              UTIL_LEB128_TOO_LONG);
    CHECK_INT(s32_of((const uint8_t[]){0xFF}, 1, &v), UTIL_LEB128_END);
    /* i64: ten bytes, one value bit in the last */
    const uint8_t minus1[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    CHECK_INT(s64_of(minus1, 10, &w), UTIL_LEB128_OK);
    CHECK_INT(w, -1);
    const uint8_t min64[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F};
    CHECK_INT(s64_of(min64, 10, &w), UTIL_LEB128_OK);
    CHECK(w == INT64_MIN);
    const uint8_t max64[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
    CHECK_INT(s64_of(max64, 10, &w), UTIL_LEB128_OK);
    CHECK(w == INT64_MAX);
    const uint8_t bad64[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x41};
    CHECK_INT(s64_of(bad64, 10, &w), UTIL_LEB128_TOO_LARGE);
    /* block types are s33: 0x40 is -64 (empty); the ends are 2^32-1 and
     * -2^32, and the fifth byte's bit 4 is the sign its bits 5-6 copy */
    const uint8_t *p = (const uint8_t[]){0x40};
    CHECK_INT(util_leb128_read_s33(&p, p + 1, &w), UTIL_LEB128_OK);
    CHECK_INT(w, -64);
    p = (const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    CHECK_INT(util_leb128_read_s33(&p, p + 5, &w), UTIL_LEB128_OK);
    CHECK_INT(w, (INT64_C(1) << 32) - 1);
    p = (const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x70};
    CHECK_INT(util_leb128_read_s33(&p, p + 5, &w), UTIL_LEB128_OK);
    CHECK_INT(w, -(INT64_C(1) << 32));
    p = (const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x10};
    CHECK_INT(util_leb128_read_s33(&p, p + 5, &w), UTIL_LEB128_TOO_LARGE);
}

static void test_fast_readers_agree(void)
{
    const uint8_t *p = (const uint8_t[]){0xC0, 0xBB, 0x78};
    CHECK_INT(util_leb128_fast_s32(&p), -123456);
    p = (const uint8_t[]){0x83, 0x80, 0x80, 0x80, 0x00};
    CHECK_INT(util_leb128_fast_u32(&p), 3);
    const uint8_t min64[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F};
    p = min64;
    CHECK(util_leb128_fast_s64(&p) == INT64_MIN);
    CHECK(p == min64 + 10);
    const uint8_t max64[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    p = max64;
    CHECK(util_leb128_fast_u64(&p) == UINT64_MAX);
}

int main(void)
{
    RUN(test_u32_values_and_padding);
    RUN(test_u32_rejects);
    RUN(test_u64_and_narrow_widths);
    RUN(test_signed_ends);
    RUN(test_fast_readers_agree);
    return TEST_SUMMARY();
}
