/*
 * http_stream.c - the bounded byte queue of http_stream.h.
 *
 * Why not a pipe(2): the server side must never block and must learn when
 * to resume a suspended connection, and the guest side must be told
 * "broken" apart from "ended"; a ring under a mutex says both, and one
 * eventfd gives the guest a descriptor to poll.  The eventfd's counter is
 * kept non-zero exactly while the guest side can progress (recomputed
 * after every change, under the lock), so a poll never misses a wake-up
 * and never spins.
 *
 * The eventfd is made only when the guest first has to wait (most small
 * bodies never do).  The server side asks server_must_wait before it suspends; the flag it
 * sets is cleared, and wake called (outside the lock), by the first change
 * on the guest side that lets the server go on.  libmicrohttpd takes a
 * resume that comes before its suspend as cancelling it, so that order is
 * harmless.
 *
 * A response body may have to wait for the request body: libmicrohttpd
 * sends no response before the request is complete.  A guest that writes
 * as it reads (an echo) would then fill both queues and wait for ever, so
 * while the request is still arriving the response queue is elastic: it
 * grows up to the request body limit (set_elastic), the same bound a
 * buffered request body had.
 *
 * A response body may end with trailer fields: they are set with the end,
 * under the lock, so the consumer that sees the end sees them too.
 */
#include "http_stream.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct spin_http_stream {
    pthread_mutex_t lock;
    uint8_t *buf;
    size_t size, head, len; /* a ring of size bytes: len bytes from head */
    size_t cap;     /* how many bytes it holds before the producer waits */
    size_t elastic; /* for now, up to this many (0: cap) */
    bool guest_reads;
    bool ended, broken, cancelled;
    bool server_waiting;
    int evfd;
    bool signalled; /* the eventfd's counter is non-zero */
    void (*wake)(void *);
    void *wake_arg;
    int refs;
    char **trailers; /* name, value, name, value, ... (set with the end) */
    size_t ntrailers;
};

spin_http_stream *spin_http_stream_new(size_t capacity, bool guest_reads)
{
    spin_http_stream *s = util_xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->cap = capacity ? capacity : 1;
    s->size = s->cap < 16384 ? s->cap : 16384; /* grows as needed, up to the limit */
    s->buf = util_xmalloc(s->size);
    s->guest_reads = guest_reads;
    s->evfd = -1; /* made when the guest first has to wait */
    s->refs = 2;
    return s;
}

void spin_http_stream_release(spin_http_stream *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&s->lock);
    if (!last)
        return;
    if (s->evfd >= 0)
        close(s->evfd);
    pthread_mutex_destroy(&s->lock);
    for (size_t i = 0; i < 2 * s->ntrailers; i++)
        free(s->trailers[i]);
    free(s->trailers);
    free(s->buf);
    free(s);
}

void spin_http_stream_ref(spin_http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    s->refs++;
    pthread_mutex_unlock(&s->lock);
}

void spin_http_stream_set_wake(spin_http_stream *s, void (*wake)(void *), void *arg)
{
    pthread_mutex_lock(&s->lock);
    s->wake = wake;
    s->wake_arg = arg;
    pthread_mutex_unlock(&s->lock);
}

/* How many bytes the queue may hold now.  (lock held) */
static size_t limit(const spin_http_stream *s)
{
    return s->elastic > s->cap ? s->elastic : s->cap;
}

/* Can the guest side progress?  (lock held) */
static bool guest_ready(const spin_http_stream *s)
{
    if (s->guest_reads)
        return s->len > 0 || s->ended || s->broken;
    return s->len < limit(s) || s->cancelled;
}

/* Can the server side progress?  (lock held) */
static bool server_ready(const spin_http_stream *s)
{
    if (s->guest_reads) /* it produces */
        return s->len < limit(s) || s->cancelled;
    return s->len > 0 || s->ended || s->broken;
}

/* Makes the ring hold `need` bytes (need <= limit), keeping its order.
 * (lock held) */
static void grow(spin_http_stream *s, size_t need)
{
    if (need <= s->size)
        return;
    size_t size = s->size * 2 > need ? s->size * 2 : need;
    if (size > limit(s))
        size = limit(s);
    uint8_t *buf = util_xmalloc(size);
    for (size_t done = 0; done < s->len;) {
        size_t at = (s->head + done) % s->size;
        size_t run = s->size - at < s->len - done ? s->size - at : s->len - done;
        memcpy(buf + done, s->buf + at, run);
        done += run;
    }
    free(s->buf);
    s->buf = buf;
    s->size = size;
    s->head = 0;
}


/* After a change (lock held): the eventfd follows guest_ready, and a
 * waiting server that may now go on is returned its wake (called by the
 * caller after unlocking). */
static void (*after_change(spin_http_stream *s, void **arg))(void *)
{
    bool ready = guest_ready(s);
    if (s->evfd >= 0 && ready != s->signalled) {
        uint64_t v = 1;
        ssize_t n = ready ? write(s->evfd, &v, sizeof(v)) : read(s->evfd, &v, sizeof(v));
        (void)n;
        s->signalled = ready;
    }
    if (!s->server_waiting || !server_ready(s))
        return NULL;
    s->server_waiting = false;
    *arg = s->wake_arg;
    return s->wake;
}

static void unlock_and_wake(spin_http_stream *s)
{
    void *arg = NULL;
    void (*wake)(void *) = after_change(s, &arg);
    pthread_mutex_unlock(&s->lock);
    if (wake)
        wake(arg);
}

void spin_http_stream_set_elastic(spin_http_stream *s, size_t up_to)
{
    pthread_mutex_lock(&s->lock);
    s->elastic = up_to;
    unlock_and_wake(s);
}

size_t spin_http_stream_put(spin_http_stream *s, const void *data, size_t len)
{
    pthread_mutex_lock(&s->lock);
    size_t n = 0;
    if (!s->ended && !s->broken && !s->cancelled && s->len < limit(s)) {
        n = limit(s) - s->len < len ? limit(s) - s->len : len;
        grow(s, s->len + n);
        for (size_t done = 0; done < n;) {
            size_t tail = (s->head + s->len) % s->size;
            size_t run = s->size - tail < n - done ? s->size - tail : n - done;
            if (data)
                memcpy(s->buf + tail, (const uint8_t *)data + done, run);
            else
                memset(s->buf + tail, 0, run);
            s->len += run;
            done += run;
        }
    }
    unlock_and_wake(s);
    return n;
}

ssize_t spin_http_stream_room(spin_http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    ssize_t room = s->cancelled ? -1 : s->len < limit(s) ? (ssize_t)(limit(s) - s->len) : 0;
    pthread_mutex_unlock(&s->lock);
    return room;
}

void spin_http_stream_end(spin_http_stream *s, bool ok)
{
    pthread_mutex_lock(&s->lock);
    if (!s->ended && !s->broken) {
        if (ok)
            s->ended = true;
        else
            s->broken = true;
    }
    unlock_and_wake(s);
}

void spin_http_stream_end_with_trailers(spin_http_stream *s, const char *const *names,
                                        const char *const *values, size_t n)
{
    pthread_mutex_lock(&s->lock);
    if (!s->ended && !s->broken && s->trailers == NULL && n > 0) {
        s->trailers = util_xcalloc(2 * n, sizeof(*s->trailers));
        for (size_t i = 0; i < n; i++) {
            s->trailers[2 * i] = util_xstrdup(names[i]);
            s->trailers[2 * i + 1] = util_xstrdup(values[i]);
        }
        s->ntrailers = n;
    }
    pthread_mutex_unlock(&s->lock);
    spin_http_stream_end(s, true);
}

const char *const *spin_http_stream_trailers(spin_http_stream *s, size_t *n)
{
    pthread_mutex_lock(&s->lock);
    *n = s->ended ? s->ntrailers : 0;
    const char *const *t = *n ? (const char *const *)s->trailers : NULL;
    pthread_mutex_unlock(&s->lock);
    return t;
}

ssize_t spin_http_stream_get(spin_http_stream *s, void *buf, size_t len)
{
    pthread_mutex_lock(&s->lock);
    ssize_t rc;
    if (s->len == 0) {
        rc = s->broken ? -1 : s->ended ? -2 : 0;
    } else {
        size_t n = s->len < len ? s->len : len;
        for (size_t done = 0; done < n;) {
            size_t run = s->size - s->head < n - done ? s->size - s->head : n - done;
            memcpy((uint8_t *)buf + done, s->buf + s->head, run);
            s->head = (s->head + run) % s->size;
            s->len -= run;
            done += run;
        }
        rc = (ssize_t)n;
    }
    unlock_and_wake(s);
    return rc;
}

void spin_http_stream_cancel(spin_http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    s->cancelled = true;
    s->len = 0;
    unlock_and_wake(s);
}

bool spin_http_stream_server_must_wait(spin_http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    bool wait = !server_ready(s);
    s->server_waiting = wait;
    pthread_mutex_unlock(&s->lock);
    return wait;
}

bool spin_http_stream_guest_wait(spin_http_stream *s, int *fd)
{
    pthread_mutex_lock(&s->lock);
    bool ready = guest_ready(s);
    if (!ready && s->evfd < 0) {
        s->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        s->signalled = false;
    }
    *fd = s->evfd;
    pthread_mutex_unlock(&s->lock);
    return !ready;
}

bool spin_http_stream_failed(spin_http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    bool broken = s->broken;
    pthread_mutex_unlock(&s->lock);
    return broken;
}
