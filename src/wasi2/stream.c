/*
 * stream.c - wasi:io streams over the wasi2_stream_ops vtable (wasi2.h),
 * and errors.
 *
 * The WIT's rules live here once, whatever moves the bytes:
 *  - "closed" is sticky: after the end of an input, a peer gone, or one
 *    reported failure (last-operation-failed), every op answers closed;
 *  - output goes by permits: check-write grants n bytes, writes spend
 *    them, and a write beyond what is left traps (the guest broke the
 *    WIT's precondition); a flush or a new check-write grants anew.  A
 *    stream whose permit stands (standing_permit: wasi:http bodies)
 *    re-asks check_write for a write beyond what is left, and traps only
 *    if the write does not fit what the stream takes now;
 *  - blocking variants are the non-blocking op, retried after waiting for
 *    readiness with poll(2) (wasi2_stream_wait), never a busy loop, and
 *    never past the ctx's deadline (`until`; WASI2_IO_DEADLINE).
 * A stream is reference counted: the guest's handle and every pollable
 * subscribed to it hold one, so a pollable may outlive its handle.
 */
#include "wasi2_internal.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------- */

wasi2_error *wasi2_error_new(int errnum, const char *what)
{
    wasi2_error *e = util_xmalloc(sizeof(*e));
    e->errnum = errnum;
    e->message = util_xasprintf("%s: %s", what, strerror(errnum));
    return e;
}

void wasi2_error_free(wasi2_error *e)
{
    if (e == NULL)
        return;
    free(e->message);
    free(e);
}

/* ---- reference counting -------------------------------------------------- */

wasi2_stream *wasi2_stream_new(const wasi2_stream_ops *ops, void *self)
{
    wasi2_stream *s = util_xcalloc(1, sizeof(*s));
    s->ops = ops;
    s->self = self;
    s->refs = 1;
    return s;
}

void wasi2_stream_ref(wasi2_stream *s)
{
    s->refs++;
}

void wasi2_stream_release(wasi2_stream *s)
{
    if (s == NULL || --s->refs > 0)
        return;
    if (s->ops->close)
        s->ops->close(s->self);
    free(s);
}

/* ---- outcomes -------------------------------------------------------------- */

/* Maps an op's negative return: CLOSED, or a failure that closes the stream
 * after it is reported once. */
static wasi2_io failed(wasi2_stream *s, ssize_t rc, int *errnum)
{
    s->closed = true;
    if (rc == WASI2_STREAM_CLOSED)
        return WASI2_IO_CLOSED;
    *errnum = errno ? errno : EIO;
    return WASI2_IO_FAILED;
}

bool wasi2_stream_ready(wasi2_stream *s, int *fd, short *events)
{
    *fd = -1;
    *events = 0;
    if (s->closed || s->ops->ready == NULL)
        return true;
    return s->ops->ready(s->self, fd, events);
}

/* ---- input ------------------------------------------------------------------ */

wasi2_io wasi2_stream_read(wasi2_stream *s, void *buf, size_t len, uint64_t until, size_t *n,
                           int *errnum)
{
    *n = 0;
    if (s->closed)
        return WASI2_IO_CLOSED;
    if (s->ops->read == NULL) {
        *errnum = EBADF;
        return WASI2_IO_FAILED;
    }
    if (len == 0)
        return WASI2_IO_OK;
    for (;;) {
        errno = 0;
        ssize_t rc = s->ops->read(s->self, buf, len);
        if (rc < 0)
            return failed(s, rc, errnum);
        if (rc > 0 || until == WASI2_NO_WAIT) {
            *n = (size_t)rc;
            return WASI2_IO_OK;
        }
        wasi2_io io = wasi2_stream_wait(s, until, errnum);
        if (io != WASI2_IO_OK)
            return io;
    }
}

/* ---- output ------------------------------------------------------------------ */

wasi2_io wasi2_stream_check_write(wasi2_stream *s, uint64_t *permit, int *errnum)
{
    *permit = 0;
    if (s->closed)
        return WASI2_IO_CLOSED;
    if (s->ops->check_write == NULL) {
        *errnum = EBADF;
        return WASI2_IO_FAILED;
    }
    errno = 0;
    ssize_t rc = s->ops->check_write(s->self);
    if (rc < 0)
        return failed(s, rc, errnum);
    s->permit = (uint64_t)rc;
    *permit = s->permit;
    return WASI2_IO_OK;
}

/* For a write beyond the permit left: what a standing permit is now. */
static wasi2_io refresh_standing_permit(wasi2_stream *s, int *errnum)
{
    errno = 0;
    ssize_t rc = s->ops->check_write(s->self);
    if (rc < 0)
        return failed(s, rc, errnum);
    s->permit = (uint64_t)rc;
    return WASI2_IO_OK;
}

wasi2_io wasi2_stream_write(wasi2_stream *s, const void *buf, size_t len, int *errnum)
{
    if (s->closed)
        return WASI2_IO_CLOSED;
    if (len > s->permit && s->standing_permit && s->ops->check_write) {
        wasi2_io io = refresh_standing_permit(s, errnum);
        if (io != WASI2_IO_OK)
            return io;
    }
    if (len > s->permit)
        return WASI2_IO_TRAP;
    if (len == 0)
        return WASI2_IO_OK;
    errno = 0;
    ssize_t rc = s->ops->write(s->self, buf, len);
    if (rc < 0)
        return failed(s, rc, errnum);
    s->permit -= len;
    return WASI2_IO_OK;
}

wasi2_io wasi2_stream_flush(wasi2_stream *s, uint64_t until, int *errnum)
{
    if (s->closed)
        return WASI2_IO_CLOSED;
    if (s->ops->check_write == NULL) {
        *errnum = EBADF;
        return WASI2_IO_FAILED;
    }
    if (s->ops->flush) {
        errno = 0;
        ssize_t rc = s->ops->flush(s->self);
        if (rc < 0)
            return failed(s, rc, errnum);
    }
    /* a flush ends the permits given so far: check-write grants anew */
    s->permit = 0;
    if (until == WASI2_NO_WAIT)
        return WASI2_IO_OK;
    return wasi2_stream_wait(s, until, errnum);
}

wasi2_io wasi2_stream_blocking_write(wasi2_stream *s, const void *buf, size_t len,
                                     uint64_t until, int *errnum)
{
    if (len > WASI2_BLOCKING_WRITE_MAX)
        return WASI2_IO_TRAP;
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        uint64_t permit;
        wasi2_io io = wasi2_stream_check_write(s, &permit, errnum);
        if (io != WASI2_IO_OK)
            return io;
        if (permit == 0) {
            io = wasi2_stream_wait(s, until, errnum);
            if (io != WASI2_IO_OK)
                return io;
            continue;
        }
        size_t chunk = len - done < permit ? len - done : (size_t)permit;
        io = wasi2_stream_write(s, p ? p + done : NULL, chunk, errnum);
        if (io != WASI2_IO_OK)
            return io;
        done += chunk;
    }
    return wasi2_stream_flush(s, until, errnum);
}

/* ---- splice ------------------------------------------------------------------ */

wasi2_io wasi2_stream_splice(wasi2_stream *s, wasi2_stream *src, uint64_t len, uint64_t until,
                             uint64_t *n, int *errnum)
{
    *n = 0;
    uint64_t permit;
    for (;;) {
        wasi2_io io = wasi2_stream_check_write(s, &permit, errnum);
        if (io != WASI2_IO_OK)
            return io;
        if (permit > 0 || until == WASI2_NO_WAIT || len == 0)
            break;
        io = wasi2_stream_wait(s, until, errnum);
        if (io != WASI2_IO_OK)
            return io;
    }
    size_t want = len < permit ? (size_t)len : (size_t)permit;
    if (want > WASI2_READ_MAX)
        want = WASI2_READ_MAX;
    if (want == 0)
        return src->closed ? WASI2_IO_CLOSED : WASI2_IO_OK;
    uint8_t *buf = util_xmalloc(want);
    size_t got;
    wasi2_io io = wasi2_stream_read(src, buf, want, until, &got, errnum);
    if (io == WASI2_IO_OK && got > 0)
        io = wasi2_stream_write(s, buf, got, errnum);
    free(buf);
    if (io == WASI2_IO_OK)
        *n = got;
    return io;
}

/* ---- streams over descriptors ---------------------------------------------- */

typedef struct fd_stream {
    int fd;
    bool own_fd;
    bool waits; /* a pipe, socket or terminal: poll(2) says when it is ready */
} fd_stream;

/* Without blocking: poll(2) with a zero timeout. */
static bool fd_ready_now(int fd, short events)
{
    short revents;
    return wasi2_poll_now(fd, events, &revents) != 0; /* an error: let the op report it */
}

static ssize_t fd_read(void *self, void *buf, size_t len)
{
    fd_stream *f = self;
    if (f->fd < 0)
        return WASI2_STREAM_CLOSED;
    if (f->waits && !fd_ready_now(f->fd, POLLIN))
        return 0;
    for (;;) {
        ssize_t n = read(f->fd, buf, len);
        if (n > 0)
            return n;
        if (n == 0)
            return WASI2_STREAM_CLOSED;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

/* Pipes: PIPE_BUF bytes once POLLOUT says there is room, which a write
 * takes without blocking; elsewhere writes do not wait for a reader. */
#define FD_PIPE_PERMIT 4096
#define FD_FILE_PERMIT (1024 * 1024)

static ssize_t fd_check_write(void *self)
{
    fd_stream *f = self;
    if (f->fd < 0 || !f->waits)
        return FD_FILE_PERMIT;
    short revents;
    int rc = wasi2_poll_now(f->fd, POLLOUT, &revents);
    if (rc < 0)
        return -1;
    if (revents & (POLLERR | POLLHUP))
        return WASI2_STREAM_CLOSED; /* the reader is gone */
    if (revents & POLLNVAL) {
        errno = EBADF;
        return -1;
    }
    return rc > 0 ? FD_PIPE_PERMIT : 0;
}

static ssize_t fd_write(void *self, const void *buf, size_t len)
{
    fd_stream *f = self;
    if (f->fd < 0)
        return 0;
    static const uint8_t zeroes[4096];
    while (len > 0) {
        const void *p = buf ? buf : zeroes;
        size_t chunk = buf || len < sizeof(zeroes) ? len : sizeof(zeroes);
        ssize_t n = write(f->fd, p, chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EPIPE)
            return WASI2_STREAM_CLOSED;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* a non-blocking descriptor filled up by someone else: wait */
            struct pollfd pfd = {.fd = f->fd, .events = POLLOUT};
            (void)poll(&pfd, 1, -1);
            continue;
        }
        if (n < 0)
            return -1;
        if (buf)
            buf = (const uint8_t *)buf + n;
        len -= (size_t)n;
    }
    return 0;
}

static bool fd_ready(void *self, int *fd, short *events, short want)
{
    fd_stream *f = self;
    if (f->fd < 0 || !f->waits)
        return true;
    *fd = f->fd;
    *events = want;
    return false;
}

static bool fd_ready_in(void *self, int *fd, short *events)
{
    return fd_ready(self, fd, events, POLLIN);
}

static bool fd_ready_out(void *self, int *fd, short *events)
{
    return fd_ready(self, fd, events, POLLOUT);
}

static void fd_close(void *self)
{
    fd_stream *f = self;
    if (f->own_fd && f->fd >= 0)
        close(f->fd);
    free(f);
}

static const wasi2_stream_ops fd_input_ops = {
    .name = "input",
    .read = fd_read,
    .ready = fd_ready_in,
    .close = fd_close,
};

static const wasi2_stream_ops fd_output_ops = {
    .name = "output",
    .check_write = fd_check_write,
    .write = fd_write,
    .ready = fd_ready_out,
    .close = fd_close,
};

/* Input waits unless reads never block (regular files); output waits on
 * pipes and sockets, whose readers may be slow (a terminal takes what it
 * is given). */
wasi2_stream *wasi2_fd_stream_new(int fd, bool output, bool own_fd)
{
    fd_stream *f = util_xcalloc(1, sizeof(*f));
    f->fd = fd;
    f->own_fd = own_fd;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0)
        f->waits = output ? S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)
                          : !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
    return wasi2_stream_new(output ? &fd_output_ops : &fd_input_ops, f);
}
