/*
 * http_server.h - the HTTP/1.1 front end of the HTTP trigger (internal to
 * src/spin).
 *
 * Connections are handled by libmicrohttpd (epoll, a small pool of I/O
 * threads, keep-alive, chunked request bodies, 100-continue, idle timeouts,
 * connection limit, 431 for oversized headers).  A complete request (body
 * included) is first offered to the fast handler on the I/O thread, which
 * answers what needs no guest (health, 404, static responses) at once;
 * anything else goes to a fixed pool of worker threads that run the
 * handler, so a slow Wasm guest never stalls other connections' I/O and a
 * pool full of stuck guests never blocks a health check.
 *
 * Bodies can also stream (stream_request, spin_http_job_start_response):
 * the request body reaches the handler through a bounded queue as the
 * client sends it, and the response body goes out as the handler writes
 * it, so neither is held whole.
 *
 * Each request handed to a worker is a job with a deadline (the request
 * timeout) and a cancel hook: the handler registers how to stop its work
 * early, and the server calls it when the client goes away or when a stop
 * gives up waiting for it.
 */
#ifndef SPIN_HTTP_SERVER_H
#define SPIN_HTTP_SERVER_H

#include "http_types.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>

/* Fills `resp` (status preset to 200, no headers, empty body). */
typedef void (*spin_http_handler)(void *ctx, const spin_http_request *req,
                                  spin_http_response *resp);
/* Runs on an I/O thread and must not block: answers the request and
 * returns true when no worker is needed, else returns false (leaving
 * `resp` as it found it) and the request is queued for the handler. */
typedef bool (*spin_http_fast_handler)(void *ctx, const spin_http_request *req,
                                       spin_http_response *resp);

typedef struct spin_http_server_config {
    int listen_fd;             /* bound and listening; the server takes it */
    unsigned io_threads;       /* 0 = number of CPUs */
    unsigned workers;          /* 0 = 2 x number of CPUs, at least 4 */
    size_t max_header_bytes;   /* 0 = 64 KiB; larger -> 431 */
    size_t max_body_bytes;     /* 0 = 64 MiB; larger -> 413 */
    unsigned idle_timeout_s;   /* 0 = 60 */
    unsigned max_connections;  /* 0 = 10000 */
    unsigned head_timeout_ms;  /* 0 = 10000: the request head must be complete this long after
                                  the connection (or its request line) began; else 408 + close */
    /* Request bodies held in memory by all requests together, counted as
     * allocated; a body that does not fit is refused with 503 and
     * Retry-After.  0 = 256 MiB (at least max_body_bytes). */
    size_t max_buffered_body_bytes;
    uint64_t request_timeout_ms; /* deadline of each request; 0 = none */
    /* Asked once a request's head is in (no body yet): true to hand the
     * request to a worker now with its body as a stream
     * (req->body_stream) the handler reads as the client sends it, the
     * upload held back while the queue is full; false (or NULL) to
     * buffer the body first, as Wagi and the Spin 1 executors need.  A
     * streamed body over max_body_bytes breaks the stream and is answered
     * 413 unless the handler answered first. */
    bool (*stream_request)(void *ctx, const spin_http_request *req);
    size_t stream_bytes; /* each direction's queue; 0 = 256 KiB */
    spin_http_handler handler;
    spin_http_fast_handler fast_handler; /* NULL = every request to a worker */
    void *ctx;                           /* for both handlers */
} spin_http_server_config;

typedef struct spin_http_server spin_http_server;

spin_http_server *spin_http_server_start(const spin_http_server_config *cfg, util_error **err);
/* Stops accepting, lets requests in progress finish (at most `grace_ms`),
 * then logs each request still queued or running (method, path, label,
 * how long it ran) and cancels it, waits a little more (at most
 * min(grace_ms, 2 s)) for the cancelled handlers to return, closes every
 * connection and frees the server.  Returns false if a handler was still
 * running after that: then nothing is freed (the handler may still use
 * it) and the caller should exit. */
bool spin_http_server_stop(spin_http_server *s, unsigned grace_ms);

/* Bytes of request bodies held in memory right now (the budget's count). */
size_t spin_http_server_buffered_body_bytes(spin_http_server *s);

/* Parses "host:port" ("0.0.0.0:80", "[::1]:3000", "localhost:3000"),
 * resolves it and returns a listening socket bound to the first address
 * that works; *bound (if non-NULL) receives "host:port" as actually bound
 * (the real port when 0 was asked). */
int spin_http_listen(const char *addr, char **bound, util_error **err);

#endif
