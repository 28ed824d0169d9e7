/*
 * ttrpc.h - containerd's ttrpc protocol: frames, a concurrent server and a
 * small synchronous client (internal to the shim layer).
 *
 * A frame is a 10-byte header (data length u32 BE, stream id u32 BE, type
 * u8, flags u8) and at most 4 MiB of data.  A unary call is one Request
 * frame (a ttrpc.Request protobuf) answered by one Response frame on the
 * same stream id.  The server never assumes replies go out in request
 * order: containerd parks a Wait on one stream for a task's whole life and
 * keeps calling State/Kill/... on others over the same connection.
 */
#ifndef SHIM_TTRPC_H
#define SHIM_TTRPC_H

#include "util.h"

#define TTRPC_HEADER_LEN 10
#define TTRPC_MAX_DATA (4u << 20)

enum { TTRPC_TYPE_REQUEST = 1, TTRPC_TYPE_RESPONSE = 2, TTRPC_TYPE_DATA = 3 };

/* google.rpc.Code values the shim uses */
enum {
    TTRPC_OK = 0,
    TTRPC_CANCELLED = 1,
    TTRPC_UNKNOWN = 2,
    TTRPC_INVALID_ARGUMENT = 3,
    TTRPC_DEADLINE_EXCEEDED = 4,
    TTRPC_NOT_FOUND = 5,
    TTRPC_ALREADY_EXISTS = 6,
    TTRPC_RESOURCE_EXHAUSTED = 8,
    TTRPC_FAILED_PRECONDITION = 9,
    TTRPC_UNIMPLEMENTED = 12,
    TTRPC_INTERNAL = 13,
    TTRPC_UNAVAILABLE = 14,
};

typedef struct ttrpc_header {
    uint32_t length;
    uint32_t stream_id;
    uint8_t type;
    uint8_t flags;
} ttrpc_header;

void shim_ttrpc_header_encode(const ttrpc_header *h, uint8_t out[TTRPC_HEADER_LEN]);
void shim_ttrpc_header_decode(const uint8_t in[TTRPC_HEADER_LEN], ttrpc_header *h);

/* ---- incremental frame reader ------------------------------------------ */

typedef struct ttrpc_frame {
    ttrpc_header h;
    uint8_t *data;   /* h.length bytes (malloc'd), NULL when oversized */
    bool oversized;  /* data exceeded TTRPC_MAX_DATA and was discarded */
} ttrpc_frame;

typedef struct ttrpc_reader {
    uint8_t hdr[TTRPC_HEADER_LEN];
    size_t hdr_got;
    ttrpc_header h;
    uint8_t *data;
    size_t data_got;
    bool discarding;
} ttrpc_reader;

/* Consumes bytes from buf (as many as belong to the current frame) and
 * reports in *consumed how many.  Returns 1 and fills *frame when a frame is
 * complete (the caller owns frame->data), 0 when more bytes are needed.
 * Oversized frames are skipped without buffering and returned with
 * oversized=true so the server can answer ResourceExhausted. */
int shim_ttrpc_reader_feed(ttrpc_reader *r, const uint8_t *buf, size_t len, size_t *consumed,
                           ttrpc_frame *frame);
void shim_ttrpc_reader_free(ttrpc_reader *r);

/* Writes one frame with a single writev-like buffer; returns 0 or -1 (errno). */
int shim_ttrpc_write_frame(int fd, uint32_t stream_id, uint8_t type, uint8_t flags,
                           const void *data, size_t len);

/* ---- server ------------------------------------------------------------ */

typedef struct ttrpc_status {
    int code;
    char *message; /* malloc'd or NULL */
} ttrpc_status;

/* Sets a status and returns -1, like util_error_set. */
int shim_ttrpc_status_set(ttrpc_status *st, int code, const char *fmt, ...) UTIL_PRINTF(3, 4);

typedef struct ttrpc_call {
    const char *service;
    const char *method;
    const uint8_t *payload;
    size_t payload_len;
    const char *ns; /* containerd-namespace-ttrpc metadata, or NULL */
} ttrpc_call;

/* A handler fills *resp (malloc'd) on success and returns 0, or fills *st
 * and returns -1.  Handlers run on their own thread and may block. */
typedef int (*ttrpc_handler)(void *ctx, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                             ttrpc_status *st);

typedef struct ttrpc_server ttrpc_server;

/* Takes ownership of listen_fd. */
ttrpc_server *shim_ttrpc_server_new(int listen_fd, ttrpc_handler handler, void *ctx);
/* Accepts and serves connections until shim_ttrpc_server_stop; returns 0. */
int shim_ttrpc_server_run(ttrpc_server *s);
/* Async-signal-safe and thread-safe: makes shim_ttrpc_server_run return. */
void shim_ttrpc_server_stop(ttrpc_server *s);
/* Closes the listener; call after run returned.  In-flight request threads
 * keep their connection alive until they finish. */
void shim_ttrpc_server_free(ttrpc_server *s);
/* Number of requests being handled right now (for Shutdown draining). */
int shim_ttrpc_server_inflight(ttrpc_server *s);

/* ---- client ------------------------------------------------------------ */

typedef struct ttrpc_client {
    int fd;
    uint32_t next_stream;
    ttrpc_reader reader;
} ttrpc_client;

/* addr is a socket path, optionally prefixed with unix:// */
int shim_ttrpc_client_connect(ttrpc_client *c, const char *addr, util_error **err);
void shim_ttrpc_client_close(ttrpc_client *c);
/* One unary call.  Returns 0 with the reply payload in *resp (malloc'd) and
 * the reply status in *st (code 0 = OK), or -1 on a transport error. */
int shim_ttrpc_client_call(ttrpc_client *c, const char *service, const char *method, const char *ns,
                           const void *req, size_t req_len, uint8_t **resp, size_t *resp_len,
                           ttrpc_status *st, util_error **err);
/* Sends a request frame and returns its stream id (for tests that
 * interleave streams); -1 on error. */
int64_t shim_ttrpc_client_send(ttrpc_client *c, const char *service, const char *method,
                               const char *ns, const void *req, size_t req_len, util_error **err);
/* Reads the next response frame of any stream. */
int shim_ttrpc_client_recv(ttrpc_client *c, uint32_t *stream_id, uint8_t **resp, size_t *resp_len,
                           ttrpc_status *st, util_error **err);

/* Connects a SOCK_STREAM unix socket; returns fd or -1. */
int shim_ttrpc_dial(const char *addr, util_error **err);

#endif
