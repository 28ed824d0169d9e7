/*
 * sha256.c - SHA-256, for names containerd derives from digests (the
 * shim's socket address) and for content digests ("sha256:<hex>", OCI
 * layers, Spin's locked-app sources).
 *
 * The hashing itself is nettle's (a small, widely reviewed C library that
 * Debian also ships as an archive, so it is linked into the binary and adds
 * nothing to install); this file adapts it to the util_ idiom and keeps
 * nettle's header out of util.h.  The streaming state is heap-allocated so
 * its layout stays nettle's business: a blob is hashed as it is read, a
 * short string in one call.
 */
#include "util.h"

#include <nettle/sha2.h>

struct util_sha256_ctx {
    struct sha256_ctx ctx;
};

util_sha256_ctx *util_sha256_new(void)
{
    util_sha256_ctx *h = util_xmalloc(sizeof(*h));
    sha256_init(&h->ctx);
    return h;
}

void util_sha256_update(util_sha256_ctx *h, const void *data, size_t len)
{
    sha256_update(&h->ctx, len, data);
}

void util_sha256_final(util_sha256_ctx *h, uint8_t out[UTIL_SHA256_SIZE])
{
    sha256_digest(&h->ctx, SHA256_DIGEST_SIZE, out); /* also resets the state */
}

void util_sha256_free(util_sha256_ctx *h)
{
    free(h);
}

void util_sha256(const void *data, size_t len, uint8_t out[UTIL_SHA256_SIZE])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

void util_sha256_to_hex(const uint8_t digest[UTIL_SHA256_SIZE], char out[UTIL_SHA256_HEX_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < UTIL_SHA256_SIZE; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[2 * UTIL_SHA256_SIZE] = '\0';
}

void util_sha256_hex(const void *data, size_t len, char out[UTIL_SHA256_HEX_SIZE])
{
    uint8_t d[UTIL_SHA256_SIZE];
    util_sha256(data, len, d);
    util_sha256_to_hex(d, out);
}
