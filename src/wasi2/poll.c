/*
 * poll.c - wasi:io pollables and the wait over many of them.
 *
 * A pollable is a deadline on the monotonic clock (wasi:clocks' subscribe-*)
 * or a stream's readiness (subscribe on a stream, which it keeps alive by a
 * reference).  wasi2_poll asks each whether it is ready now; if none is, it
 * sleeps in one ppoll(2) over the descriptors of all the streams with the
 * nearest deadline as its timeout, then asks again.  The only loop is over
 * wake-ups (a descriptor said ready, a deadline passed, a signal): waiting
 * never spins.
 */
#include "wasi2_internal.h"

#include <poll.h>
#include <time.h>

typedef enum { POLLABLE_TIMER, POLLABLE_STREAM } pollable_kind;

struct wasi2_pollable {
    pollable_kind kind;
    uint64_t deadline_ns;  /* TIMER */
    wasi2_stream *stream;  /* STREAM: one reference */
};

wasi2_pollable *wasi2_pollable_timer(uint64_t deadline_ns)
{
    wasi2_pollable *p = util_xcalloc(1, sizeof(*p));
    p->kind = POLLABLE_TIMER;
    p->deadline_ns = deadline_ns;
    return p;
}

wasi2_pollable *wasi2_pollable_stream(wasi2_stream *s)
{
    wasi2_pollable *p = util_xcalloc(1, sizeof(*p));
    p->kind = POLLABLE_STREAM;
    p->stream = s;
    wasi2_stream_ref(s);
    return p;
}

void wasi2_pollable_free(wasi2_pollable *p)
{
    if (p == NULL)
        return;
    if (p->kind == POLLABLE_STREAM)
        wasi2_stream_release(p->stream);
    free(p);
}

/* Ready now without asking the kernel; else fills what to wait on. */
static bool ready_without_wait(wasi2_pollable *p, uint64_t now, struct pollfd *pfd)
{
    pfd->fd = -1;
    pfd->events = 0;
    pfd->revents = 0;
    if (p->kind == POLLABLE_TIMER)
        return now >= p->deadline_ns;
    return wasi2_stream_ready(p->stream, &pfd->fd, &pfd->events);
}

bool wasi2_pollable_ready(wasi2_pollable *p)
{
    struct pollfd pfd;
    if (ready_without_wait(p, util_monotonic_ns(), &pfd))
        return true;
    if (pfd.fd < 0)
        return false;
    short revents;
    return wasi2_poll_now(pfd.fd, pfd.events, &revents) != 0;
}

int wasi2_poll_now(int fd, short events, short *revents)
{
    struct pollfd p = {.fd = fd, .events = events};
    int rc;
    do {
        rc = poll(&p, 1, 0);
    } while (rc < 0 && errno == EINTR);
    *revents = rc > 0 ? p.revents : 0;
    return rc;
}

/* The nearest deadline among the timers, or UINT64_MAX. */
static uint64_t nearest_deadline(wasi2_pollable *const *ps, size_t n)
{
    uint64_t d = UINT64_MAX;
    for (size_t i = 0; i < n; i++)
        if (ps[i]->kind == POLLABLE_TIMER && ps[i]->deadline_ns < d)
            d = ps[i]->deadline_ns;
    return d;
}

/* One round: the ready ones into ready_out (their count), or 0 after one
 * sleep that something ended; -1 if ppoll failed. */
static ssize_t poll_round(wasi2_pollable *const *ps, size_t n, struct pollfd *fds,
                          uint32_t *ready_out, uint64_t until)
{
    uint64_t now = util_monotonic_ns();
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (ready_without_wait(ps[i], now, &fds[i]))
            ready_out[count++] = (uint32_t)i;
    uint64_t deadline = nearest_deadline(ps, n);
    if (until < deadline)
        deadline = until;
    struct timespec ts, *timeout = NULL;
    if (count > 0) {
        ts = (struct timespec){0, 0}; /* collect the descriptors ready too */
        timeout = &ts;
    } else if (deadline != UINT64_MAX) {
        uint64_t left = deadline > now ? deadline - now : 0;
        ts = (struct timespec){.tv_sec = (time_t)(left / 1000000000u),
                               .tv_nsec = (long)(left % 1000000000u)};
        timeout = &ts;
    }
    int rc = ppoll(fds, n, timeout, NULL);
    if (rc < 0 && errno != EINTR)
        return -1;
    if (rc <= 0)
        return (ssize_t)count;
    count = 0;
    now = util_monotonic_ns();
    for (size_t i = 0; i < n; i++) {
        struct pollfd unused;
        if (fds[i].revents != 0 || ready_without_wait(ps[i], now, &unused))
            ready_out[count++] = (uint32_t)i;
    }
    return (ssize_t)count;
}

ssize_t wasi2_poll(wasi2_pollable *const *ps, size_t n, uint32_t *ready_out, uint64_t until)
{
    if (n == 0)
        return 0;
    struct pollfd *fds = util_xcalloc(n, sizeof(*fds));
    ssize_t count;
    for (;;) {
        count = poll_round(ps, n, fds, ready_out, until);
        if (count != 0 || util_monotonic_ns() >= until)
            break;
    }
    free(fds);
    return count;
}

wasi2_io wasi2_stream_wait(wasi2_stream *s, uint64_t until, int *errnum)
{
    wasi2_pollable p = {.kind = POLLABLE_STREAM, .stream = s};
    wasi2_pollable *one = &p;
    uint32_t index;
    ssize_t count = wasi2_poll(&one, 1, &index, until);
    if (count < 0) {
        *errnum = errno;
        return WASI2_IO_FAILED;
    }
    return count == 0 ? WASI2_IO_DEADLINE : WASI2_IO_OK;
}
