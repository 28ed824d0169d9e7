/*
 * http_types.h - what an HTTP request and its response are inside src/spin
 * (internal), apart from the server that produces them.
 *
 * The server (http_server.c) fills a spin_http_request and sends back a
 * spin_http_response; the HTTP trigger and every executor only read the one
 * and fill the other, so they include this header and never the server's.
 * A request handed to a worker carries its job: the handle through which
 * work on it learns that it was cancelled (client gone, server stopping)
 * and registers how to stop early.  The job's functions are the server's,
 * declared here because every executor running a guest needs them.
 */
#ifndef SPIN_HTTP_TYPES_H
#define SPIN_HTTP_TYPES_H

#include "util.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct spin_http_header {
    char *name;
    char *value;
} spin_http_header;

typedef struct spin_http_job spin_http_job;
typedef struct spin_http_stream spin_http_stream; /* http_stream.h */

typedef struct spin_http_request {
    const char *method;  /* "GET" */
    const char *version; /* "HTTP/1.1" */
    const char *target;  /* raw request target: "/a%20b?x=1" */
    const char *path;    /* raw path part of target, never empty */
    const char *query;   /* raw text after '?', NULL when there is no '?' */
    const spin_http_header *headers; /* names as the client sent them */
    size_t nheaders;
    const uint8_t *body;
    size_t body_len;
    const char *client_ip;   /* "127.0.0.1", "::1" */
    uint16_t client_port;
    const char *client_addr; /* "127.0.0.1:5000", "[::1]:5000" */
    /* CLOCK_MONOTONIC ns by which the answer is due (0 = no deadline):
     * work still running then should be stopped and answered 504. */
    uint64_t deadline_ns;
    /* The job a worker runs this request as; NULL in the fast handler. */
    spin_http_job *job;
    /* The body as the client sends it, when the server streams it (the
     * route's executor reads as it goes; body/body_len are then empty):
     * read with spin_http_stream_get (-1: the body broke, over the size
     * limit or its client gone).  NULL: the body is whole in body. */
    spin_http_stream *body_stream;
} spin_http_request;

/* Case-insensitive lookup of the first header with this name, or NULL. */
const char *spin_http_request_header(const spin_http_request *req, const char *name);

typedef struct spin_http_response {
    int status;
    spin_http_header *headers;
    size_t nheaders;
    util_buf body;
} spin_http_response;

void spin_http_response_add_header(spin_http_response *resp, const char *name,
                                   const char *value);
void spin_http_response_clear(spin_http_response *resp);

/* ---- jobs: what a worker runs ------------------------------------------ */

typedef enum spin_http_cancel {
    SPIN_HTTP_NOT_CANCELLED = 0,
    SPIN_HTTP_CLIENT_GONE, /* the client closed its connection */
    SPIN_HTTP_STOPPING,    /* the server stopped and the grace period ended */
} spin_http_cancel;

/* Names what the job runs ("component 'x'") for the line a stop logs
 * about work it abandons.  Copied. */
void spin_http_job_set_label(spin_http_job *job, const char *label);
/* Until spin_http_job_clear_cancel, `fn(arg)` is called (once, from
 * another thread, so it must be thread-safe and quick: e.g.
 * wasm_store_interrupt) when the job is cancelled.  Returns the reason if
 * the job was cancelled already; then nothing is registered. */
spin_http_cancel spin_http_job_on_cancel(spin_http_job *job, void (*fn)(void *), void *arg);
/* After it returns, the cancel hook is neither running nor called again. */
void spin_http_job_clear_cancel(spin_http_job *job);
spin_http_cancel spin_http_job_cancelled(spin_http_job *job);
/* Sends the job's response head now (resp's status and headers; its body
 * is not used) and returns the stream its body goes out through as it is
 * written, framed by the Content-Length among the headers (when valid)
 * or chunked, with the body's first bytes (first_len, at most 64 KiB:
 * buf NULL = zeroes) queued before the head is handed over.  The caller writes with spin_http_stream_put (room: how
 * much now; -1: the client is gone), ends with spin_http_stream_end(ok;
 * not ok = the connection is closed, the body incomplete) and releases
 * it.  Once called, the resp the handler fills is ignored.  NULL when
 * the job cannot stream (job NULL: a request served in-process). */
spin_http_stream *spin_http_job_start_response(spin_http_job *job, const spin_http_response *head,
                                               const void *first, size_t first_len);

/* Reason phrase for a status code ("Not Found"), "" if unknown. */
const char *spin_http_reason(int status);

#endif
