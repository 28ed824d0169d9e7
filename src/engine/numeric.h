/*
 * numeric.h - the numeric rules both tiers share (moved out of interp.c so
 * the compiler's float helpers compute exactly what the interpreter does):
 * rounding to nearest-even without libm, NaN-propagating min/max with the
 * sign of zero, rotations, and the saturating truncations.
 */
#ifndef ENGINE_NUMERIC_H
#define ENGINE_NUMERIC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* f32/f64.nearest (round half to even) without libm's nearbyint, which the
 * compiler cannot inline before SSE4.1 and which was all that made the
 * binary load libm: adding and subtracting 2^23 (2^52) rounds to an integer
 * in the current rounding mode, round-to-nearest-even (the engine never
 * changes it); magnitudes that large are integers already, and copysign
 * keeps the sign of zero results (-0.4 -> -0.0). */
static inline float f32_nearest(float x)
{
    if (isnan(x))
        return x + x;
    float a = fabsf(x);
    return a < 0x1p23f ? copysignf((a + 0x1p23f) - 0x1p23f, x) : x;
}

static inline double f64_nearest(double x)
{
    if (isnan(x))
        return x + x;
    double a = fabs(x);
    return a < 0x1p52 ? copysign((a + 0x1p52) - 0x1p52, x) : x;
}

static inline uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline uint64_t f64_bits(double f)
{
    uint64_t u;
    memcpy(&u, &f, 8);
    return u;
}
static inline double bits_f64(uint64_t u)
{
    double f;
    memcpy(&f, &u, 8);
    return f;
}

static inline float min32(float a, float b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline float max32(float a, float b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}
static inline double min64(double a, double b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline double max64(double a, double b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

static inline uint32_t rotl32(uint32_t x, uint32_t n)
{
    n &= 31;
    return n ? (x << n) | (x >> (32 - n)) : x;
}
static inline uint32_t rotr32(uint32_t x, uint32_t n)
{
    n &= 31;
    return n ? (x >> n) | (x << (32 - n)) : x;
}
static inline uint64_t rotl64(uint64_t x, uint64_t n)
{
    n &= 63;
    return n ? (x << n) | (x >> (64 - n)) : x;
}
static inline uint64_t rotr64(uint64_t x, uint64_t n)
{
    n &= 63;
    return n ? (x >> n) | (x << (64 - n)) : x;
}

/* saturating truncations */
static inline int32_t sat_i32_f64(double x)
{
    if (isnan(x))
        return 0;
    if (x <= -2147483648.0)
        return INT32_MIN;
    if (x >= 2147483647.0)
        return INT32_MAX;
    return (int32_t)x;
}
static inline uint32_t sat_u32_f64(double x)
{
    if (isnan(x) || x <= 0)
        return 0;
    if (x >= 4294967295.0)
        return UINT32_MAX;
    return (uint32_t)x;
}
static inline int64_t sat_i64_f64(double x)
{
    if (isnan(x))
        return 0;
    if (x < -9223372036854775808.0)
        return INT64_MIN;
    if (x >= 9223372036854775808.0)
        return INT64_MAX;
    return (int64_t)x;
}
static inline uint64_t sat_u64_f64(double x)
{
    if (isnan(x) || x <= 0)
        return 0;
    if (x >= 18446744073709551616.0)
        return UINT64_MAX;
    return (uint64_t)x;
}

#endif
