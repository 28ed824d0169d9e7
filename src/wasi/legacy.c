/*
 * legacy.c - the four functions whose ABI changed between `wasi_unstable`
 * (snapshot 0) and preview 1: fd_seek (whence numbering), the filestat
 * layout (32-bit nlink) and the clock subscription (an extra identifier
 * field).  Each adapts its arguments and calls the preview 1 code.
 */
#include "wasi_internal.h"

WASI_FN(legacy_fd_seek)
{
    /* snapshot 0: CUR = 0, END = 1, SET = 2 */
    static const int32_t map[] = {WHENCE_CUR, WHENCE_END, WHENCE_SET};
    wasm_val a[4] = {args[0], args[1], args[2], args[3]};
    if ((uint32_t)a[2].i32 >= 3)
        return RET(WE_INVAL);
    a[2].i32 = map[a[2].i32];
    return wasi_fn_fd_seek(caller, env, a, results);
}

WASI_FN(legacy_fd_filestat_get)
{
    return RET(wasi_fd_filestat(caller, env, ARG32(0), ARG32(1), true));
}

WASI_FN(legacy_path_filestat_get)
{
    return RET(wasi_path_filestat(caller, env, ARG32(0), ARG32(1), ARG32(2), ARG32(3), ARG32(4),
                                  true));
}

WASI_FN(legacy_poll_oneoff)
{
    enum { OLD = 56, NEW = 48 };
    gmem m = gmem_of(caller);
    uint32_t nsubs = ARG32(2);
    if (nsubs == 0)
        return RET(WE_INVAL);
    const uint8_t *ip = gmem_at(&m, ARG32(0), (uint64_t)nsubs * OLD);
    if (ip == NULL)
        return RET(WE_FAULT);
    cleanup_free uint8_t *subs = util_xcalloc(nsubs, NEW);
    for (uint32_t i = 0; i < nsubs; i++) {
        const uint8_t *o = ip + (size_t)i * OLD;
        uint8_t *n = subs + (size_t)i * NEW;
        memcpy(n, o, 16); /* userdata, tag */
        if (o[8] == EV_CLOCK)
            memcpy(n + 16, o + 24, 32); /* skip the identifier */
        else
            memcpy(n + 16, o + 16, 4);
    }
    int rc = wasi_poll(env, &m, subs, nsubs, ARG32(1), ARG32(3));
    return rc == WASI_DEADLINE ? wasi_stop_at_deadline(caller, env) : RET(rc);
}
