/*
 * sock.c - sock_accept, sock_recv, sock_send, sock_shutdown.
 *
 * Preview 1 cannot create sockets; these act only on stream sockets an
 * embedder handed in (as stdio).  Sends use MSG_NOSIGNAL so a peer going
 * away is errno `pipe` for the guest, never SIGPIPE for the host.  Under a
 * deadline a call waits for readiness first (wasi_wait_ready) and then
 * transfers only what cannot block, like fd_read and fd_write do.
 */
#include "wasi_internal.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int sock_check(wasi_ctx *ctx, uint32_t fd, uint64_t rights, hostio_fd **out)
{
    hostio_fd *f = wasi_fd_get(ctx, fd);
    if (f == NULL)
        return WE_BADF;
    if (f->kind != HOSTIO_FD_HOST ||
        (f->filetype != FT_SOCK_STREAM && f->filetype != FT_SOCK_DGRAM))
        return WE_NOTSOCK;
    if ((f->rights_base & rights) != rights)
        return WE_NOTCAPABLE;
    *out = f;
    return WE_SUCCESS;
}

/* Blocking calls wait for readiness within the deadline (the guest's own
 * non-blocking mode does not wait at all). */
static int sock_wait(wasi_ctx *ctx, const hostio_fd *f, short events)
{
    if (f->fdflags & FDFLAG_NONBLOCK)
        return WE_SUCCESS;
    return wasi_wait_ready(ctx, f->host, events) == WASI_DEADLINE ? WASI_DEADLINE : WE_SUCCESS;
}

#define RET_WAIT(caller, ctx, e) \
    ((e) == WASI_DEADLINE ? wasi_stop_at_deadline(caller, ctx) : RET(e))

WASI_FN(sock_accept)
{
    gmem m = gmem_of(caller);
    hostio_fd *f;
    int rc = sock_check(env, ARG32(0), RIGHT_SOCK_ACCEPT, &f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    uint32_t flags = ARG32(1);
    if (flags & ~(uint32_t)FDFLAG_NONBLOCK)
        return RET(WE_INVAL);
    if (!gmem_ok(&m, ARG32(2), 4))
        return RET(WE_FAULT);
    if ((rc = sock_wait(env, f, POLLIN)) != WE_SUCCESS)
        return RET_WAIT(caller, env, rc);
    int s = accept4(f->host, NULL, NULL,
                    SOCK_CLOEXEC | ((flags & FDFLAG_NONBLOCK) ? SOCK_NONBLOCK : 0));
    if (s < 0)
        return RET(wasi_errno_from_host(errno));
    hostio_fd nf = {0};
    nf.kind = HOSTIO_FD_HOST;
    nf.host = s;
    nf.filetype = FT_SOCK_STREAM;
    nf.fdflags = (uint16_t)flags;
    nf.rights_base = RIGHTS_SOCK & ~RIGHT_SOCK_ACCEPT;
    uint32_t gfd;
    if ((rc = wasi_fd_insert(env, &nf, &gfd)) != WE_SUCCESS) {
        close(s);
        return RET(rc);
    }
    return RET(gmem_put32(&m, ARG32(2), gfd));
}

WASI_FN(sock_recv)
{
    gmem m = gmem_of(caller);
    hostio_fd *f;
    int rc = sock_check(env, ARG32(0), RIGHT_FD_READ, &f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    uint32_t riflags = ARG32(3);
    if (riflags & ~3u)
        return RET(WE_INVAL);
    if (!gmem_ok(&m, ARG32(4), 4) || !gmem_ok(&m, ARG32(5), 2))
        return RET(WE_FAULT);
    cleanup_free struct iovec *v = NULL;
    if ((rc = wasi_iovs_load(&m, ARG32(1), ARG32(2), &v)) != WE_SUCCESS)
        return RET(rc);
    if ((rc = sock_wait(env, f, POLLIN)) != WE_SUCCESS)
        return RET_WAIT(caller, env, rc);
    struct msghdr msg = {.msg_iov = v, .msg_iovlen = ARG32(2) > 1024 ? 1024 : ARG32(2)};
    /* Under a deadline "wait for all" cannot be honoured: what is there is
     * returned, as after a signal. */
    bool waitall = (riflags & 2) && wasi_ctx_deadline(env) == 0;
    int fl = ((riflags & 1) ? MSG_PEEK : 0) | (waitall ? MSG_WAITALL : 0);
    ssize_t n;
    do
        n = recvmsg(f->host, &msg, fl);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return RET(wasi_errno_from_host(errno));
    gmem_put32(&m, ARG32(4), (uint32_t)n);
    st16(gmem_at(&m, ARG32(5), 2), (msg.msg_flags & MSG_TRUNC) ? 1 : 0);
    return RET(WE_SUCCESS);
}

WASI_FN(sock_send)
{
    gmem m = gmem_of(caller);
    hostio_fd *f;
    int rc = sock_check(env, ARG32(0), RIGHT_FD_WRITE, &f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    if (ARG32(3) != 0)
        return RET(WE_INVAL);
    if (!gmem_ok(&m, ARG32(4), 4))
        return RET(WE_FAULT);
    cleanup_free struct iovec *v = NULL;
    if ((rc = wasi_iovs_load(&m, ARG32(1), ARG32(2), &v)) != WE_SUCCESS)
        return RET(rc);
    struct msghdr msg = {.msg_iov = v, .msg_iovlen = ARG32(2) > 1024 ? 1024 : ARG32(2)};
    if ((rc = sock_wait(env, f, POLLOUT)) != WE_SUCCESS)
        return RET_WAIT(caller, env, rc);
    if (wasi_ctx_deadline(env) != 0 && !(f->fdflags & FDFLAG_NONBLOCK))
        msg.msg_iovlen = wasi_iovs_cap(v, (uint32_t)msg.msg_iovlen, PIPE_BUF);
    ssize_t n;
    do
        n = sendmsg(f->host, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return RET(wasi_errno_from_host(errno));
    return RET(gmem_put32(&m, ARG32(4), (uint32_t)n));
}

WASI_FN(sock_shutdown)
{
    (void)caller;
    hostio_fd *f;
    int rc = sock_check(env, ARG32(0), RIGHT_SOCK_SHUTDOWN, &f);
    if (rc != WE_SUCCESS)
        return RET(rc);
    int how;
    switch (ARG32(1)) {
    case 1: how = SHUT_RD; break;
    case 2: how = SHUT_WR; break;
    case 3: how = SHUT_RDWR; break;
    default: return RET(WE_INVAL);
    }
    if (shutdown(f->host, how) < 0)
        return RET(wasi_errno_from_host(errno));
    return RET(WE_SUCCESS);
}
