/*
 * http_server.h - the HTTP/1.1 front end of the HTTP trigger (internal to
 * src/spin).
 *
 * Connections are handled by libmicrohttpd (epoll, a small pool of I/O
 * threads, keep-alive, chunked request bodies, 100-continue, idle timeouts,
 * connection limit, 431 for oversized headers).  A complete request (body
 * included) is handed to a fixed pool of worker threads that run the
 * handler, so a slow Wasm guest never stalls other connections' I/O.
 */
#ifndef SPIN_HTTP_SERVER_H
#define SPIN_HTTP_SERVER_H

#include "util.h"

#include <stdint.h>

typedef struct spin_http_header {
    char *name;
    char *value;
} spin_http_header;

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

/* Fills `resp` (status preset to 200, no headers, empty body). */
typedef void (*spin_http_handler)(void *ctx, const spin_http_request *req,
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
    spin_http_handler handler;
    void *ctx;
} spin_http_server_config;

typedef struct spin_http_server spin_http_server;

spin_http_server *spin_http_server_start(const spin_http_server_config *cfg, util_error **err);
/* Stops accepting, lets requests in progress finish (at most `grace_ms`),
 * closes every connection and frees the server.  Returns false if a
 * handler was still running when the grace period ended: then nothing is
 * freed (the handler may still use it) and the caller should exit. */
bool spin_http_server_stop(spin_http_server *s, unsigned grace_ms);

/* Parses "host:port" ("0.0.0.0:80", "[::1]:3000", "localhost:3000"),
 * resolves it and returns a listening socket bound to the first address
 * that works; *bound (if non-NULL) receives "host:port" as actually bound
 * (the real port when 0 was asked). */
int spin_http_listen(const char *addr, char **bound, util_error **err);

/* Reason phrase for a status code ("Not Found"), "" if unknown. */
const char *spin_http_reason(int status);

#endif
