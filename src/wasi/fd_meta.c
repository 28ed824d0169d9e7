/*
 * fd_meta.c - descriptor bookkeeping and metadata: fd_close, fd_renumber,
 * fd_fdstat_*, fd_filestat_*, fd_prestat_*, fd_advise, fd_allocate,
 * fd_sync, fd_datasync.
 *
 * Rights are enforced here as preview 1 defines them (a descriptor's rights
 * only ever shrink), and fdstat reports the flags the guest asked for, not
 * what fcntl returns, because Linux folds O_RSYNC into O_SYNC.
 */
#include "wasi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t ns(const struct timespec *t)
{
    return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

void wasi_store_filestat(uint8_t *p, const struct stat *st, bool legacy)
{
    /* Snapshot 0 had a 32-bit nlink, which moves everything after it. */
    size_t o = legacy ? 8 : 0;
    memset(p, 0, WASI_FILESTAT_SIZE(legacy));
    st64(p + 0, (uint64_t)st->st_dev);
    st64(p + 8, (uint64_t)st->st_ino);
    st8(p + 16, hostio_filetype_from_mode(st->st_mode));
    if (legacy)
        st32(p + 20, (uint32_t)st->st_nlink);
    else
        st64(p + 24, (uint64_t)st->st_nlink);
    st64(p + 32 - o, (uint64_t)st->st_size);
    st64(p + 40 - o, ns(&st->st_atim));
    st64(p + 48 - o, ns(&st->st_mtim));
    st64(p + 56 - o, ns(&st->st_ctim));
}

WASI_FN(fd_close)
{
    (void)caller;
    hostio_fd *f = wasi_fd_get(env, ARG32(0));
    if (f == NULL)
        return RET(WE_BADF);
    hostio_fd_release(f);
    return RET(WE_SUCCESS);
}

WASI_FN(fd_renumber)
{
    (void)caller;
    wasi_ctx *ctx = env;
    return RET(wasi_errno_from_host(hostio_fd_renumber(&ctx->fdt, ARG32(0), ARG32(1))));
}

WASI_FN(fd_fdstat_get)
{
    gmem m = gmem_of(caller);
    hostio_fd *f = wasi_fd_get(env, ARG32(0));
    if (f == NULL)
        return RET(WE_BADF);
    uint8_t *p = gmem_at(&m, ARG32(1), 24);
    if (p == NULL)
        return RET(WE_FAULT);
    memset(p, 0, 24);
    st8(p, f->filetype);
    st16(p + 2, f->fdflags);
    st64(p + 8, f->rights_base);
    st64(p + 16, f->rights_inheriting);
    return RET(WE_SUCCESS);
}

WASI_FN(fd_fdstat_set_flags)
{
    (void)caller;
    hostio_fd *f;
    int rc = wasi_fd_check(env, ARG32(0), RIGHT_FD_FDSTAT_SET_FLAGS, &f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    uint32_t flags = ARG32(1);
    if (flags & ~(uint32_t)(FDFLAG_APPEND | FDFLAG_DSYNC | FDFLAG_NONBLOCK | FDFLAG_RSYNC |
                            FDFLAG_SYNC))
        return RET(WE_INVAL);
    /* Linux cannot change the sync flags of an open descriptor. */
    if ((flags ^ f->fdflags) & (FDFLAG_DSYNC | FDFLAG_RSYNC | FDFLAG_SYNC))
        return RET(WE_NOTSUP);
    /* The embedder's descriptors share their open file description with
     * the host (a terminal, the container's FIFO): their flags stay as they
     * are and non-blocking mode is emulated in fd_io.c. */
    if (f->kind == HOSTIO_FD_HOST && !f->borrowed) {
        int fl = fcntl(f->host, F_GETFL);
        if (fl < 0)
            return RET(wasi_errno_from_host(errno));
        fl &= ~(O_APPEND | O_NONBLOCK);
        if (flags & FDFLAG_APPEND)
            fl |= O_APPEND;
        if (flags & FDFLAG_NONBLOCK)
            fl |= O_NONBLOCK;
        if (fcntl(f->host, F_SETFL, fl) < 0)
            return RET(wasi_errno_from_host(errno));
    }
    f->fdflags = (uint16_t)flags;
    return RET(WE_SUCCESS);
}

WASI_FN(fd_fdstat_set_rights)
{
    (void)caller;
    hostio_fd *f = wasi_fd_get(env, ARG32(0));
    if (f == NULL)
        return RET(WE_BADF);
    uint64_t base = ARG64(1), inh = ARG64(2);
    if ((base & ~f->rights_base) || (inh & ~f->rights_inheriting))
        return RET(WE_NOTCAPABLE);
    f->rights_base = base;
    f->rights_inheriting = inh;
    return RET(WE_SUCCESS);
}

int wasi_fd_filestat(wasm_caller *caller, wasi_ctx *ctx, uint32_t fd, uint32_t ptr, bool legacy)
{
    gmem m = gmem_of(caller);
    hostio_fd *f;
    int rc = wasi_fd_check(ctx, fd, RIGHT_FD_FILESTAT_GET, &f);
    if (rc != WE_SUCCESS)
        return rc;
    uint8_t *p = gmem_at(&m, ptr, WASI_FILESTAT_SIZE(legacy));
    if (p == NULL)
        return WE_FAULT;
    struct stat st;
    memset(&st, 0, sizeof(st));
    if (f->kind == HOSTIO_FD_NULL)
        st.st_mode = S_IFCHR;
    else if (fstat(f->host, &st) < 0)
        return wasi_errno_from_host(errno);
    wasi_store_filestat(p, &st, legacy);
    return WE_SUCCESS;
}

WASI_FN(fd_filestat_get)
{
    return RET(wasi_fd_filestat(caller, env, ARG32(0), ARG32(1), false));
}

WASI_FN(fd_filestat_set_size)
{
    (void)caller;
    hostio_fd *f;
    int rc = wasi_fd_check(env, ARG32(0), RIGHT_FD_FILESTAT_SET_SIZE, &f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    if (ARG64(1) > INT64_MAX)
        return RET(WE_INVAL);
    if (f->kind == HOSTIO_FD_HOST && ftruncate(f->host, (off_t)ARG64(1)) < 0)
        return RET(wasi_errno_from_host(errno));
    return RET(WE_SUCCESS);
}

/* Shared with path_filestat_set_times: fills ts[2] from the WASI triple. */
int wasi_times_from(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2])
{
    if (fst & ~(uint32_t)(FST_ATIM | FST_ATIM_NOW | FST_MTIM | FST_MTIM_NOW))
        return WE_INVAL;
    if ((fst & FST_ATIM) && (fst & FST_ATIM_NOW))
        return WE_INVAL;
    if ((fst & FST_MTIM) && (fst & FST_MTIM_NOW))
        return WE_INVAL;
    ts[0].tv_sec = 0;
    ts[1].tv_sec = 0;
    ts[0].tv_nsec = (fst & FST_ATIM_NOW) ? UTIME_NOW : UTIME_OMIT;
    ts[1].tv_nsec = (fst & FST_MTIM_NOW) ? UTIME_NOW : UTIME_OMIT;
    if (fst & FST_ATIM) {
        ts[0].tv_sec = (time_t)(atim / 1000000000u);
        ts[0].tv_nsec = (long)(atim % 1000000000u);
    }
    if (fst & FST_MTIM) {
        ts[1].tv_sec = (time_t)(mtim / 1000000000u);
        ts[1].tv_nsec = (long)(mtim % 1000000000u);
    }
    return WE_SUCCESS;
}

WASI_FN(fd_filestat_set_times)
{
    (void)caller;
    hostio_fd *f;
    int rc = wasi_fd_check(env, ARG32(0), RIGHT_FD_FILESTAT_SET_TIMES, &f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    struct timespec ts[2];
    if ((rc = wasi_times_from(ARG64(1), ARG64(2), ARG32(3), ts)) != WE_SUCCESS)
        return RET(rc);
    if (f->kind == HOSTIO_FD_HOST && futimens(f->host, ts) < 0)
        return RET(wasi_errno_from_host(errno));
    return RET(WE_SUCCESS);
}

WASI_FN(fd_prestat_get)
{
    gmem m = gmem_of(caller);
    hostio_fd *f = wasi_fd_get(env, ARG32(0));
    if (f == NULL || f->preopen == NULL)
        return RET(WE_BADF);
    uint8_t *p = gmem_at(&m, ARG32(1), 8);
    if (p == NULL)
        return RET(WE_FAULT);
    memset(p, 0, 8);
    st32(p + 4, (uint32_t)strlen(f->preopen));
    return RET(WE_SUCCESS);
}

WASI_FN(fd_prestat_dir_name)
{
    gmem m = gmem_of(caller);
    hostio_fd *f = wasi_fd_get(env, ARG32(0));
    if (f == NULL || f->preopen == NULL)
        return RET(WE_BADF);
    size_t len = strlen(f->preopen);
    if (ARG32(2) < len)
        return RET(WE_NAMETOOLONG);
    uint8_t *p = gmem_at(&m, ARG32(1), len);
    if (p == NULL)
        return RET(WE_FAULT);
    memcpy(p, f->preopen, len);
    return RET(WE_SUCCESS);
}

WASI_FN(fd_advise)
{
    (void)caller;
    hostio_fd *f;
    int rc = wasi_fd_check(env, ARG32(0), RIGHT_FD_ADVISE, &f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    static const int advice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                 POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    uint32_t a = ARG32(3);
    if (a >= UTIL_ARRAY_LEN(advice))
        return RET(WE_INVAL);
    if (ARG64(1) > INT64_MAX || ARG64(2) > INT64_MAX)
        return RET(WE_INVAL);
    if (f->kind != HOSTIO_FD_HOST || f->filetype == FT_DIR)
        return RET(f->filetype == FT_DIR ? WE_BADF : WE_SUCCESS);
    int e = posix_fadvise(f->host, (off_t)ARG64(1), (off_t)ARG64(2), advice[a]);
    return RET(e == 0 ? WE_SUCCESS : wasi_errno_from_host(e));
}

WASI_FN(fd_allocate)
{
    (void)caller;
    hostio_fd *f;
    int rc = wasi_fd_check(env, ARG32(0), RIGHT_FD_ALLOCATE, &f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    uint64_t off = ARG64(1), len = ARG64(2);
    if (off > INT64_MAX || len > INT64_MAX || off + len > INT64_MAX)
        return RET(WE_INVAL);
    if (f->kind != HOSTIO_FD_HOST)
        return RET(WE_BADF);
    int e = posix_fallocate(f->host, (off_t)off, (off_t)len);
    if (e == EOPNOTSUPP) { /* file systems without fallocate: extend by hand */
        struct stat st;
        if (fstat(f->host, &st) < 0)
            return RET(wasi_errno_from_host(errno));
        if ((uint64_t)st.st_size < off + len && ftruncate(f->host, (off_t)(off + len)) < 0)
            return RET(wasi_errno_from_host(errno));
        e = 0;
    }
    return RET(e == 0 ? WE_SUCCESS : wasi_errno_from_host(e));
}

WASI_FN(fd_sync)
{
    (void)caller;
    hostio_fd *f;
    int rc = wasi_fd_check(env, ARG32(0), RIGHT_FD_SYNC, &f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    if (f->kind == HOSTIO_FD_HOST && fsync(f->host) < 0 && errno != EINVAL)
        return RET(wasi_errno_from_host(errno));
    return RET(WE_SUCCESS);
}

WASI_FN(fd_datasync)
{
    (void)caller;
    hostio_fd *f;
    int rc = wasi_fd_check(env, ARG32(0), RIGHT_FD_DATASYNC, &f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    if (f->kind == HOSTIO_FD_HOST && fdatasync(f->host) < 0 && errno != EINVAL)
        return RET(wasi_errno_from_host(errno));
    return RET(WE_SUCCESS);
}
