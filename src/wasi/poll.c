/*
 * poll.c - poll_oneoff: clock timeouts and fd readiness in one wait.
 *
 * Subscriptions are checked up front: a bad fd or clock id, a regular file
 * (always ready, as POSIX says) or the null device produce an event at
 * once and turn the wait into a non-blocking check.  Otherwise one ppoll(2)
 * waits for the descriptors with the nearest clock timeout; every clock is
 * converted to "nanoseconds from now on the monotonic clock".  The wait
 * never passes the ctx's deadline, so `run --timeout` and Spin's request
 * timeout stop a sleeping guest too: at the deadline the guest ends with the
 * trap "deadline exceeded" instead of sleeping on.
 */
#include "wasi_internal.h"

#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SUB_SIZE 48
#define EVENT_SIZE 32

static uint64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct sub {
    uint64_t userdata;
    uint8_t type;
    uint16_t error;     /* set: the event is ready with this error */
    bool ready;
    uint64_t due;       /* clock: monotonic ns when it fires */
    int pfd;            /* index into the pollfd array, or -1 */
    int host;
    uint64_t nbytes;
    uint16_t flags;
} sub;

static void parse_clock(sub *s, const uint8_t *p, uint64_t mono_now)
{
    clockid_t c;
    uint32_t id = ld32(p + 16);
    uint64_t timeout = ld64(p + 24);
    uint16_t flags = ld16(p + 40);
    if (wasi_clock_host(id, &c) != WE_SUCCESS) {
        s->error = WE_INVAL;
        s->ready = true;
        return;
    }
    uint64_t rel = timeout;
    if (flags & SUBCLOCK_ABSTIME) {
        uint64_t n = now_ns(c);
        rel = timeout > n ? timeout - n : 0;
    }
    s->due = mono_now + rel < mono_now ? UINT64_MAX : mono_now + rel;
    if (rel == 0)
        s->ready = true;
}

static void parse_fd(wasi_ctx *ctx, sub *s, const uint8_t *p, struct pollfd *pfds, int *npfd)
{
    hostio_fd *f = wasi_fd_get(ctx, ld32(p + 16));
    if (f == NULL) {
        s->error = WE_BADF;
        s->ready = true;
        return;
    }
    if (!(f->rights_base & RIGHT_POLL_FD_READWRITE)) {
        s->error = WE_NOTCAPABLE;
        s->ready = true;
        return;
    }
    if (f->kind == HOSTIO_FD_NULL) {
        s->ready = true;
        return;
    }
    if (f->filetype == FT_REG) {
        s->ready = true;
        if (s->type == EV_FD_READ) {
            struct stat st;
            off_t pos = lseek(f->host, 0, SEEK_CUR);
            if (fstat(f->host, &st) == 0 && pos >= 0 && st.st_size > pos)
                s->nbytes = (uint64_t)(st.st_size - pos);
        }
        return;
    }
    s->host = f->host;
    s->pfd = (*npfd)++;
    pfds[s->pfd].fd = f->host;
    pfds[s->pfd].events = s->type == EV_FD_READ ? POLLIN : POLLOUT;
    pfds[s->pfd].revents = 0;
}

WASI_FN(poll_oneoff)
{
    gmem m = gmem_of(caller);
    uint32_t nsubs = ARG32(2);
    if (nsubs == 0)
        return RET(WE_INVAL);
    const uint8_t *ip = gmem_at(&m, ARG32(0), (uint64_t)nsubs * SUB_SIZE);
    if (ip == NULL)
        return RET(WE_FAULT);
    int rc = wasi_poll(env, &m, ip, nsubs, ARG32(1), ARG32(3));
    return rc == WASI_DEADLINE ? wasi_stop_at_deadline(caller, env) : RET(rc);
}

int wasi_poll(wasi_ctx *ctx, const gmem *gm, const uint8_t *ip, uint32_t nsubs, uint32_t outp,
              uint32_t nev_ptr)
{
    gmem m = *gm;
    if (nsubs == 0)
        return WE_INVAL;
    uint8_t *op = gmem_at(&m, outp, (uint64_t)nsubs * EVENT_SIZE);
    if (op == NULL || !gmem_ok(&m, nev_ptr, 4))
        return WE_FAULT;

    cleanup_free sub *subs = util_xcalloc(nsubs, sizeof(sub));
    cleanup_free struct pollfd *pfds = util_xcalloc(nsubs, sizeof(struct pollfd));
    int npfd = 0;
    bool any_ready = false;
    uint64_t start = now_ns(CLOCK_MONOTONIC), nearest = UINT64_MAX;
    for (uint32_t i = 0; i < nsubs; i++) {
        const uint8_t *p = ip + (size_t)i * SUB_SIZE;
        sub *s = &subs[i];
        s->userdata = ld64(p);
        s->type = p[8];
        s->pfd = -1;
        switch (s->type) {
        case EV_CLOCK:
            parse_clock(s, p, start);
            if (!s->ready && s->error == 0 && s->due < nearest)
                nearest = s->due;
            break;
        case EV_FD_READ:
        case EV_FD_WRITE:
            parse_fd(ctx, s, p, pfds, &npfd);
            break;
        default:
            return WE_INVAL;
        }
        any_ready |= s->ready;
    }

    uint64_t deadline = wasi_ctx_deadline(ctx);
    for (;;) {
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        struct timespec ts, *tsp = NULL;
        uint64_t until = nearest;
        if (deadline != 0 && deadline < until)
            until = deadline;
        if (any_ready) {
            ts = (struct timespec){0, 0};
            tsp = &ts;
        } else if (until != UINT64_MAX) {
            uint64_t wait = until > now ? until - now : 0;
            ts.tv_sec = (time_t)(wait / 1000000000u);
            ts.tv_nsec = (long)(wait % 1000000000u);
            tsp = &ts;
        }
        int n = ppoll(pfds, (nfds_t)npfd, tsp, NULL);
        if (n < 0 && errno != EINTR)
            return wasi_errno_from_host(errno);
        now = now_ns(CLOCK_MONOTONIC);
        bool got = any_ready;
        for (uint32_t i = 0; i < nsubs; i++) {
            sub *s = &subs[i];
            if (s->ready)
                continue;
            if (s->type == EV_CLOCK) {
                if (now >= s->due)
                    s->ready = got = true;
            } else if (s->pfd >= 0 && n > 0 && pfds[s->pfd].revents) {
                short r = pfds[s->pfd].revents;
                s->ready = got = true;
                if (r & POLLNVAL)
                    s->error = WE_BADF;
                if (r & (POLLHUP | POLLERR))
                    s->flags = EVRW_HANGUP;
                int avail = 0;
                if (s->type == EV_FD_READ && ioctl(s->host, FIONREAD, &avail) == 0 && avail > 0)
                    s->nbytes = (uint64_t)avail;
            }
        }
        if (got)
            break;
        if (deadline != 0 && now >= deadline)
            return WASI_DEADLINE;
    }

    uint32_t nev = 0;
    for (uint32_t i = 0; i < nsubs; i++) {
        sub *s = &subs[i];
        if (!s->ready)
            continue;
        uint8_t *e = op + (size_t)nev * EVENT_SIZE;
        memset(e, 0, EVENT_SIZE);
        st64(e, s->userdata);
        st16(e + 8, s->error);
        st8(e + 10, s->type);
        if (s->type != EV_CLOCK) {
            st64(e + 16, s->nbytes);
            st16(e + 24, s->flags);
        }
        nev++;
    }
    return gmem_put32(&m, nev_ptr, nev);
}
