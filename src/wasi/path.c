/*
 * path.c - the guest's side of paths: a path in guest memory becomes a
 * host string here, and src/hostio resolves it beneath the directory
 * capability (see hostio.h for how escapes are refused).
 */
#include "wasi_internal.h"

int wasi_path_load(const gmem *m, uint32_t ptr, uint32_t len, char **out)
{
    const uint8_t *p = gmem_at(m, ptr, len);
    if (p == NULL)
        return WE_FAULT;
    if (memchr(p, '\0', len) != NULL)
        return WE_ILSEQ;
    *out = util_xstrndup((const char *)p, len);
    return WE_SUCCESS;
}

void wasi_set_openat2(bool enabled)
{
    hostio_set_openat2(enabled);
}
