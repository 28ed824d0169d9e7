/*
 * fd_io.c - moving bytes: fd_read, fd_write, fd_pread, fd_pwrite, fd_seek,
 * fd_tell.
 *
 * Guest iovecs are translated into host iovecs that point straight into
 * guest memory (after bounds checks), so a read or write is one readv/
 * writev without copies.  More than IOV_MAX buffers are cut to IOV_MAX: a
 * short transfer is legal and the guest's libc loops.
 *
 * A descriptor may carry a write budget (wasi_config.stdout_limit): a
 * write that does not fit writes nothing and traps, so the embedder's
 * buffer stops growing at the limit instead of after the guest is done.
 */
#include "wasi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

int wasi_iovs_load(const gmem *m, uint32_t iovs, uint32_t n, struct iovec **out)
{
    if (n > IOV_MAX)
        n = IOV_MAX;
    const uint8_t *arr = gmem_at(m, iovs, (uint64_t)n * 8);
    if (arr == NULL)
        return WE_FAULT;
    struct iovec *v = util_xcalloc(n ? n : 1, sizeof(*v));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t ptr = ld32(arr + 8 * i), len = ld32(arr + 8 * i + 4);
        uint8_t *p = gmem_at(m, ptr, len);
        if (p == NULL) {
            free(v);
            return WE_FAULT;
        }
        v[i].iov_base = p;
        v[i].iov_len = len;
    }
    *out = v;
    return WE_SUCCESS;
}

uint32_t wasi_iovs_cap(struct iovec *v, uint32_t n, size_t max)
{
    for (uint32_t i = 0; i < n; i++) {
        if (v[i].iov_len >= max) {
            v[i].iov_len = max;
            return i + 1;
        }
        max -= v[i].iov_len;
    }
    return n;
}

static size_t iovs_total(const struct iovec *v, uint32_t n)
{
    size_t t = 0;
    for (uint32_t i = 0; i < n && i < IOV_MAX; i++)
        t += v[i].iov_len;
    return t;
}

/* One implementation for the four transfer calls. */
static int transfer(wasm_caller *caller, wasi_ctx *ctx, uint32_t fd, uint32_t iovs,
                    uint32_t niovs, bool write, bool positioned, uint64_t offset,
                    uint32_t result_ptr)
{
    gmem m = gmem_of(caller);
    hostio_fd *f;
    uint64_t need = (write ? RIGHT_FD_WRITE : RIGHT_FD_READ) | (positioned ? RIGHT_FD_SEEK : 0);
    int rc = wasi_fd_check(ctx, fd, need, &f);
    if (rc != WE_SUCCESS)
        return rc;
    if (!gmem_ok(&m, result_ptr, 4))
        return WE_FAULT;
    if (f->filetype == FT_DIR)
        return WE_ISDIR;
    if (positioned && offset > INT64_MAX)
        return WE_INVAL;
    cleanup_free struct iovec *v = NULL;
    if ((rc = wasi_iovs_load(&m, iovs, niovs, &v)) != WE_SUCCESS)
        return rc;
    uint32_t n = niovs > IOV_MAX ? IOV_MAX : niovs;
    if (write && f->write_limited && iovs_total(v, n) > f->write_left)
        return WASI_WRITE_LIMIT;
    ssize_t got;
    if (f->kind == HOSTIO_FD_HOST && f->filetype != FT_REG) {
        if (f->fdflags & FDFLAG_NONBLOCK) {
            if (f->borrowed) { /* emulated: see fd_fdstat_set_flags */
                struct pollfd p = {.fd = f->host, .events = write ? POLLOUT : POLLIN};
                if (poll(&p, 1, 0) == 0)
                    return WE_AGAIN;
            }
        } else if (wasi_wait_ready(ctx, f->host, write ? POLLOUT : POLLIN) == WASI_DEADLINE) {
            return WASI_DEADLINE;
        } else if (write && wasi_ctx_deadline(ctx) != 0) {
            n = wasi_iovs_cap(v, n, PIPE_BUF); /* a full write could block past it */
        }
    }
    if (f->kind == HOSTIO_FD_NULL) {
        got = write ? (ssize_t)iovs_total(v, n) : 0;
    } else {
        do {
            if (positioned)
                got = write ? pwritev(f->host, v, (int)n, (off_t)offset)
                            : preadv(f->host, v, (int)n, (off_t)offset);
            else
                got = write ? writev(f->host, v, (int)n) : readv(f->host, v, (int)n);
        } while (got < 0 && errno == EINTR);
        if (got < 0)
            return wasi_errno_from_host(errno);
    }
    if (write && f->write_limited)
        f->write_left -= (uint64_t)got;
    return gmem_put32(&m, result_ptr, (uint32_t)got);
}

/* A transfer stopped by the deadline or past a write limit ends the
 * guest; anything else is an errno. */
#define RET_IO(caller, ctx, e) \
    ((e) == WASI_DEADLINE        ? wasi_stop_at_deadline(caller, ctx) \
     : (e) == WASI_WRITE_LIMIT ? stop_at_write_limit(caller, ctx) \
                               : RET(e))

static int stop_at_write_limit(wasm_caller *caller, const wasi_ctx *ctx)
{
    return wasm_caller_trap(caller, "stdout limit of %llu bytes exceeded",
                            (unsigned long long)ctx->stdout_limit);
}

WASI_FN(fd_read)
{
    int rc = transfer(caller, env, ARG32(0), ARG32(1), ARG32(2), false, false, 0, ARG32(3));
    return RET_IO(caller, env, rc);
}

WASI_FN(fd_write)
{
    int rc = transfer(caller, env, ARG32(0), ARG32(1), ARG32(2), true, false, 0, ARG32(3));
    return RET_IO(caller, env, rc);
}

WASI_FN(fd_pread)
{
    int rc = transfer(caller, env, ARG32(0), ARG32(1), ARG32(2), false, true, ARG64(3),
                      ARG32(4));
    return RET_IO(caller, env, rc);
}

WASI_FN(fd_pwrite)
{
    wasi_ctx *ctx = env;
    hostio_fd *f = wasi_fd_get(ctx, ARG32(0));
    /* Linux pwrite on an O_APPEND descriptor appends anyway; WASI says the
     * offset wins, so drop O_APPEND for the duration of the call. */
    if (f != NULL && f->kind == HOSTIO_FD_HOST && (f->fdflags & FDFLAG_APPEND) &&
        (f->rights_base & (RIGHT_FD_WRITE | RIGHT_FD_SEEK)) == (RIGHT_FD_WRITE | RIGHT_FD_SEEK)) {
        int fl = fcntl(f->host, F_GETFL);
        if (fl >= 0 && (fl & O_APPEND)) {
            fcntl(f->host, F_SETFL, fl & ~O_APPEND);
            int rc = transfer(caller, env, ARG32(0), ARG32(1), ARG32(2), true, true, ARG64(3),
                              ARG32(4));
            fcntl(f->host, F_SETFL, fl);
            return RET_IO(caller, env, rc);
        }
    }
    int rc = transfer(caller, env, ARG32(0), ARG32(1), ARG32(2), true, true, ARG64(3),
                      ARG32(4));
    return RET_IO(caller, env, rc);
}

static int do_seek(wasm_caller *caller, wasi_ctx *ctx, uint32_t fd, int64_t offset,
                   uint32_t whence, uint32_t result_ptr)
{
    gmem m = gmem_of(caller);
    hostio_fd *f;
    uint64_t need = (offset == 0 && whence == WHENCE_CUR) ? RIGHT_FD_TELL : RIGHT_FD_SEEK;
    int rc = wasi_fd_check(ctx, fd, need, &f);
    if (rc != WE_SUCCESS)
        return rc;
    int w;
    switch (whence) {
    case WHENCE_SET: w = SEEK_SET; break;
    case WHENCE_CUR: w = SEEK_CUR; break;
    case WHENCE_END: w = SEEK_END; break;
    default: return WE_INVAL;
    }
    if (!gmem_ok(&m, result_ptr, 8))
        return WE_FAULT;
    if (f->kind == HOSTIO_FD_NULL)
        return gmem_put64(&m, result_ptr, 0);
    off_t pos = lseek(f->host, (off_t)offset, w);
    if (pos < 0)
        return wasi_errno_from_host(errno);
    return gmem_put64(&m, result_ptr, (uint64_t)pos);
}

WASI_FN(fd_seek)
{
    return RET(do_seek(caller, env, ARG32(0), args[1].i64, ARG32(2), ARG32(3)));
}

WASI_FN(fd_tell)
{
    return RET(do_seek(caller, env, ARG32(0), 0, WHENCE_CUR, ARG32(1)));
}
