/*
 * http_stream.h - a bounded byte queue between the HTTP server's I/O
 * thread and a guest running on a worker (internal to src/spin): the
 * request body flowing in as the client sends it, or the response body
 * flowing out as the guest writes it.
 *
 * One side is the server (libmicrohttpd's upload or content-reader
 * callback), which never blocks: when it cannot go on (the queue is full
 * on the way in, empty on the way out) it suspends its connection and is
 * woken through `wake` (which resumes it) once the other side moved.  The
 * other side is the guest, which waits in wasi:io poll: the stream's
 * eventfd is readable exactly while the guest side can make progress
 * (bytes or the end to read; room to write, or a reader gone).
 */
#ifndef SPIN_HTTP_STREAM_H
#define SPIN_HTTP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct spin_http_stream spin_http_stream;

/* guest_reads: the guest consumes (a request body), else it produces (a
 * response body).  Two references: the server's and the guest side's. */
spin_http_stream *spin_http_stream_new(size_t capacity, bool guest_reads);
void spin_http_stream_release(spin_http_stream *s);
/* One more reference (released with spin_http_stream_release). */
void spin_http_stream_ref(spin_http_stream *s);
/* How the server side is woken after it asked to wait (wake_server). */
void spin_http_stream_set_wake(spin_http_stream *s, void (*wake)(void *), void *arg);

/* For now the queue may hold up to `up_to` bytes (more than its
 * capacity: it grows); 0: its capacity again. */
void spin_http_stream_set_elastic(spin_http_stream *s, size_t up_to);

/* Producer: copies what fits now and returns the count. */
size_t spin_http_stream_put(spin_http_stream *s, const void *data, size_t len);
/* Producer: how many bytes put takes now; -1 when the consumer is gone. */
ssize_t spin_http_stream_room(spin_http_stream *s);
/* Producer: the end (ok) or a broken stream (the consumer sees an error). */
void spin_http_stream_end(spin_http_stream *s, bool ok);
/* Producer: the end, with trailer fields (copied): n names and values. */
void spin_http_stream_end_with_trailers(spin_http_stream *s, const char *const *names,
                                        const char *const *values, size_t n);

/* Consumer: moves up to len bytes; 0 when none are there now; -2 at the
 * end; -1 when the producer broke it. */
ssize_t spin_http_stream_get(spin_http_stream *s, void *buf, size_t len);
/* Consumer, once get said the end: the trailers that came with it (*n
 * pairs, name then value, owned by the stream; NULL when none). */
const char *const *spin_http_stream_trailers(spin_http_stream *s, size_t *n);
/* Consumer: gone; the producer's room is -1 from now on. */
void spin_http_stream_cancel(spin_http_stream *s);

/* Server side: true when it cannot progress now, and then it is marked
 * waiting (the caller suspends its connection; wake resumes it). */
bool spin_http_stream_server_must_wait(spin_http_stream *s);

/* Guest side: false when it can progress now; else true with *fd, a
 * descriptor poll(2) finds readable once it can. */
bool spin_http_stream_guest_wait(spin_http_stream *s, int *fd);
/* True when a producer broke the stream (the request body went over the
 * limit, or its client vanished). */
bool spin_http_stream_failed(spin_http_stream *s);

#endif
