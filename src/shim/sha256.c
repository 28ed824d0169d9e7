/*
 * sha256.c - SHA-256 for naming shim sockets the way containerd does.
 *
 * The hashing itself is nettle's (a small, widely reviewed C library that
 * Debian ships as an archive too, so it is linked into the binary and adds
 * nothing to install); this file only adapts it to the shim's two helpers.
 */
#include "shim_internal.h"

#include <nettle/sha2.h>

void shim_sha256(const void *data, size_t len, uint8_t out[32])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

void shim_sha256_hex(const void *data, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t d[SHA256_DIGEST_SIZE];
    shim_sha256(data, len, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[64] = '\0';
}
