/*
 * wasi2.h - the door of src/wasi2: the WASI 0.2 host (wasi:io, clocks,
 * random, filesystem, cli, sockets), served to components through
 * src/component's linker.
 *
 * One registration serves every 0.2.x a component may import: the host
 * registers each interface at the newest 0.2 version it implements and the
 * linker's semver rule binds 0.2.0 .. 0.2.x imports to it, so components
 * that mix patch versions share one set of resource types.  Pre-release
 * names that Spin still links (0.2.0-rc-2023-10-18, -rc-2023-11-10) are
 * registered separately, exactly.
 *
 * Files and directories go through src/hostio, the same capability-safe
 * path resolution preview 1 uses: nothing a guest names can leave its
 * preopens.  Sockets are present so that components link, and refuse
 * every operation unless the embedder allows networking.
 */
#ifndef WASI2_WASI2_H
#define WASI2_WASI2_H

#include "component.h"
#include "util.h"

typedef struct wasi2_ctx wasi2_ctx;

typedef struct wasi2_preopen {
    const char *host_path;  /* directory on the host */
    const char *guest_path; /* name the guest sees (get-directories), e.g. "/" */
    bool read_only;
} wasi2_preopen;

struct wasi2_http_incoming;
struct wasi2_http_responder_ops;

typedef struct wasi2_config {
    const char *const *argv; /* get-arguments */
    size_t argc;
    const char *const *env;  /* "NAME=value" (get-environment) */
    size_t envc;
    int stdin_fd, stdout_fd, stderr_fd; /* -1: an empty stdin / a discarding sink */
    const wasi2_preopen *preopens;
    size_t npreopens;
    bool allow_network; /* wasi:sockets and ip-name-lookup; off: every call is access-denied */
    /* CLOCK_MONOTONIC ns after which blocking calls (poll, blocking reads
     * and writes) give up; 0 = none.  The store's deadline stops running
     * code; this stops a guest that waits. */
    uint64_t deadline_ns;
    /* wasi:http/outgoing-handler (and the embedder's own clients): may the
     * guest send a request to scheme://host:port?  `scheme` is lower-case
     * ("http", "https"), `host` as the URL spells it (a name or an address,
     * IPv6 without brackets).  NULL: every outgoing request is refused
     * with error-code HTTP-request-denied, as Spin refuses a host not in
     * allowed_outbound_hosts. */
    bool (*outbound_allowed)(void *self, const char *scheme, const char *host, uint16_t port);
    void *outbound_self;
    /* Requests the embedder serves in-process (Spin: a relative request to
     * the app itself, http://<component>.spin.internal/...).  Asked after
     * outbound_allowed said yes, before any network: returns
     * WASI2_HTTP_LOCAL_PASS when the request is not local (it goes out on
     * the network; one without authority is then HTTP-request-URI-invalid),
     * else serves it synchronously on the calling thread, answering through
     * `resp` (start, writes, finish) and returns WASI2_HTTP_LOCAL_SERVED,
     * or one of the failures below.  resp NULL: only asked whether the
     * request is local (SERVED) or not (PASS), from its head (no body);
     * SELF: local, and with its authority a request to the app itself
     * (the origin the guest was reached at), so the policy is asked for
     * `self` (outbound_allowed with host NULL), as for no authority.
     * The request's body is complete (the guest finished it) and read
     * through req->body_ops; the hook calls its close once.  The response
     * body is held by this layer until the guest reads it through its
     * incoming-response like any other.  NULL: nothing is local. */
    int (*local_request)(void *self, const struct wasi2_http_incoming *req,
                         const struct wasi2_http_responder_ops *resp, void *resp_self);
    void *local_self;
} wasi2_config;

/* local_request's results: the guest's future resolves to the response,
 * or to error-code loop-detected / internal-error. */
enum {
    WASI2_HTTP_LOCAL_PASS = -1,
    WASI2_HTTP_LOCAL_SERVED = 0,
    WASI2_HTTP_LOCAL_LOOP_DETECTED = 1,
    WASI2_HTTP_LOCAL_FAILED = 2,
    WASI2_HTTP_LOCAL_SELF = 3,
};

static inline void wasi2_config_init(wasi2_config *c)
{
    *c = (wasi2_config){.stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2};
}

wasi2_ctx *wasi2_ctx_new(const wasi2_config *config, util_error **err);
void wasi2_ctx_free(wasi2_ctx *ctx);
/* True once a blocking call returned early because of deadline_ns. */
bool wasi2_ctx_deadline_hit(const wasi2_ctx *ctx);

/* ---- streams: one small vtable behind every wasi:io stream -------------
 *
 * wasi:io/streams is implemented once, here, over any byte source or sink
 * that fills a wasi2_stream_ops: stdio (this layer), files and sockets
 * (src/wasi2's filesystem and sockets), and later wasi:http bodies (the
 * Spin layer).  The layer keeps the WIT's rules above the vtable - the
 * check-write permit (a write beyond it traps), the blocking variants
 * (wait for readiness, then retry), "closed" for ever after the end or an
 * error, splice, and the pollables of subscribe - so an implementation
 * only moves bytes and says when it is ready.
 *
 * Every op is non-blocking: it moves what it can now and returns.  Ops
 * return a count or 0, WASI2_STREAM_CLOSED at the end of the stream (input)
 * or when the peer is gone (output), or -1 with errno set (the guest gets
 * it as last-operation-failed with a wasi:io/error).  A NULL op: the
 * stream cannot do that (an input stream has no write), except as noted. */
#define WASI2_STREAM_CLOSED (-2)

typedef struct wasi2_stream_ops {
    const char *name; /* "stdout", "file", ...: for error messages */
    /* Input: moves up to len (> 0) bytes into buf; 0 = nothing ready now. */
    ssize_t (*read)(void *self, void *buf, size_t len);
    /* Output: how many bytes write takes now without blocking; 0 = none
     * until the stream is ready again. */
    ssize_t (*check_write)(void *self);
    /* Output: takes all len bytes (never more than check_write allowed);
     * buf NULL = len zero bytes.  Returns 0. */
    ssize_t (*write)(void *self, const void *buf, size_t len);
    /* Output: starts pushing out buffered bytes (check_write says 0 until
     * done).  NULL: writes are not buffered, flushing is a no-op. */
    ssize_t (*flush)(void *self);
    /* For wasi:io/poll: true if an op would make progress now (input:
     * bytes or the end; output: check_write > 0, or an error to report);
     * else false with the descriptor and poll(2) events to wait for
     * (*fd -1: nothing to wait for, only a timer can end the wait).
     * NULL: always ready. */
    bool (*ready)(void *self, int *fd, short *events);
    /* Releases self, once, when the last handle and pollable are gone. */
    void (*close)(void *self);
} wasi2_stream_ops;

typedef struct wasi2_stream wasi2_stream;

/* A stream over (ops, self); its one reference is released by
 * wasi2_stream_release (the resource's destructor does it for the guest). */
wasi2_stream *wasi2_stream_new(const wasi2_stream_ops *ops, void *self);
void wasi2_stream_release(wasi2_stream *s);

/* A stream over a descriptor, read (output false) or written.  Reads of
 * anything but a regular file wait for poll(2) readiness; writes to pipes
 * and sockets are given PIPE_BUF bytes once poll(2) says there is room, so
 * a write never blocks; regular files and terminals are always ready.
 * fd -1: an empty input / a sink that discards.  own_fd: closed with the
 * stream (else the embedder's, left open). */
wasi2_stream *wasi2_fd_stream_new(int fd, bool output, bool own_fd);

/* Registers every WASI 0.2 interface in `l`.  Host functions find their
 * context as get_ctx(component_call_data(call)); get_ctx NULL means the
 * instance's data is the wasi2_ctx itself. */
int wasi2_define(component_linker *l, wasi2_ctx *(*get_ctx)(void *data), util_error **err);

/* The same, and *reg names this registration (its resource types) for the
 * functions below that hand the guest host resources (an incoming
 * request).  *reg lives as long as the linker and every component_pre
 * made with it; it is not freed by the caller. */
typedef struct wasi2_host wasi2_registration;
int wasi2_define_reg(component_linker *l, wasi2_ctx *(*get_ctx)(void *data),
                     const wasi2_registration **reg, util_error **err);

/* ---- wasi:http (http_*.c) ---------------------------------------------
 *
 * wasi:http/types and outgoing-handler are registered by wasi2_define at
 * 0.2.12 (serving every 0.2.x) and at the two pre-release names.  The
 * incoming side is driven by the embedder (Spin's HTTP trigger): it finds
 * a component's incoming-handler export once, then for each request gives
 * the request's head and a body source and receives the response's head
 * and body through a responder, as the guest produces them, so neither
 * body has to be held whole. */

typedef struct wasi2_http_field {
    const char *name; /* as received; the guest sees it lower-cased */
    const uint8_t *value;
    size_t value_len;
} wasi2_http_field;

/* One incoming request.  Everything is borrowed for the call. */
typedef struct wasi2_http_incoming {
    const char *method;          /* "GET", or any token (method.other) */
    const char *scheme;          /* "http" / "https" / other; NULL: none */
    const char *authority;       /* "host:port"; NULL: none */
    const char *path_with_query; /* "/a/b?x=1"; NULL: none */
    const wasi2_http_field *headers;
    size_t nheaders;
    /* The body, read through a stream over (body_ops, body_self) (input
     * ops: read, ready, close; close is called once the guest is done with
     * it, or when the call ends if it never took it).  body_ops NULL: an
     * empty body. */
    const wasi2_stream_ops *body_ops;
    void *body_self;
} wasi2_http_incoming;

/* Where the response goes.  Called on the thread running the guest. */
typedef struct wasi2_http_responder_ops {
    /* response-outparam.set with an outgoing-response: its status and
     * headers (valid for the call).  Returns the output stream ops the
     * body is written to (*body_ops / *body_self; the stream's close is
     * called once when the body ends or is abandoned), or -1 to refuse
     * (the body's writes then fail as closed). */
    int (*start)(void *self, uint16_t status, const wasi2_http_field *headers, size_t n,
                 const wasi2_stream_ops **body_ops, void **body_self);
    /* outgoing-body.finish: the body is complete (trailers may be none).
     * Not called when the guest drops the body unfinished: the embedder
     * must then treat the response as broken (Spin aborts it). */
    void (*finish)(void *self, const wasi2_http_field *trailers, size_t n);
    /* response-outparam.set with an error-code (its case name and text,
     * e.g. "internal-error: boom"): the embedder answers 500. */
    void (*error)(void *self, const char *error_code);
} wasi2_http_responder_ops;

/* The incoming-handler export of one component: wasi:http/incoming-handler
 * at any 0.2.x, or at 0.2.0-rc-2023-10-18 / -rc-2023-11-10 (Spin's
 * HandlerType), found once per component_pre. */
typedef struct wasi2_http_handler wasi2_http_handler;

/* NULL with *err ("component exports no wasi:http/incoming-handler; it
 * exports ...") when the component has none, or more than one. */
wasi2_http_handler *wasi2_http_handler_new(const wasi2_registration *reg,
                                           const component_pre *pre, util_error **err);
void wasi2_http_handler_free(wasi2_http_handler *h);
/* The interface name the component exports ("wasi:http/incoming-handler@0.2.3"). */
const char *wasi2_http_handler_interface(const wasi2_http_handler *h);

/* Calls `handle` on a fresh instance of the handler's component with one
 * request.  Returns 0 when the guest returned (whether or not it set the
 * response: a guest that returns without calling response-outparam.set
 * leaves the responder untouched, and the embedder answers 500); -1 with
 * `res` for a trap, exit or limit. */
int wasi2_http_handle(const wasi2_http_handler *h, component_instance *inst,
                      const wasi2_http_incoming *req, const wasi2_http_responder_ops *resp,
                      void *resp_self, wasm_result *res);

/* ---- a blocking request (http_blocking.c) --------------------------------
 *
 * For hosts of older ABIs whose guests send a whole request and wait for
 * the whole response (Spin 1's wasi-outbound-http): the same client,
 * policy and in-process chaining as outgoing-handler, without resources.
 * `policy` gives outbound_allowed, local_request and deadline_ns (its
 * other fields are not used).  The URL is absolute, or relative ("/x":
 * the app itself, allowed by the policy's `self` (host NULL) and served
 * through local_request).  Request headers a guest may not set (host,
 * connection, transfer-encoding, ...: wasi2's forbidden names) are
 * dropped; a response header whose value is not visible ASCII is left out.
 *
 * Returns WASI2_HTTP_BLOCKING_OK with *resp filled (the caller clears it),
 * else the failure's kind with *err saying what went wrong:
 *   DENIED       the policy does not allow the destination, or the URL is
 *                too broken for the policy to read a host from it
 *   INVALID_URL  allowed, but not a URL a request can be sent to (no
 *                scheme, characters a URI cannot hold, a relative URL
 *                with nothing to serve it)
 *   FAILED       the request was sent, or tried, and failed (connection,
 *                protocol, a scheme other than http(s), the deadline, a
 *                response body over 128 MiB) */
enum {
    WASI2_HTTP_BLOCKING_OK = 0,
    WASI2_HTTP_BLOCKING_DENIED = 1,
    WASI2_HTTP_BLOCKING_INVALID_URL = 2,
    WASI2_HTTP_BLOCKING_FAILED = 3,
};

typedef struct wasi2_http_blocking_request {
    const char *method; /* "GET", "POST", ... */
    const char *url;
    const wasi2_http_field *headers;
    size_t nheaders;
    const uint8_t *body; /* NULL: no body */
    size_t body_len;
} wasi2_http_blocking_request;

typedef struct wasi2_http_owned_field {
    char *name;  /* lower-case */
    char *value; /* visible ASCII, NUL-terminated */
} wasi2_http_owned_field;

typedef struct wasi2_http_blocking_response {
    uint16_t status;
    wasi2_http_owned_field *headers;
    size_t nheaders;
    uint8_t *body;
    size_t body_len;
} wasi2_http_blocking_response;

int wasi2_http_blocking(const wasi2_config *policy, const wasi2_http_blocking_request *req,
                        wasi2_http_blocking_response *resp, util_error **err);
void wasi2_http_blocking_response_clear(wasi2_http_blocking_response *resp);

/* wasi:http/outgoing-handler's client (libcurl, loaded on first use) and
 * the host's CA certificates, loaded now: a process about to pivot into
 * a container root (where neither is in sight) calls this first, as it
 * loads the HTTP server.  Never fails: what could not be loaded is the
 * error of the first outgoing request (internal-error naming it). */
void wasi2_http_outgoing_preload(void);

/* Tracing of outgoing requests, for an embedder that records them (src/spin
 * when OpenTelemetry is on; wasi2 knows nothing of spans).  `start` runs on
 * the guest's thread as a request starts and returns its token; it may
 * write the W3C traceparent to send into `traceparent` (empty: none) and
 * point *tracestate at a tracestate to send: these then replace the
 * guest's own.  `end` runs once on the transfer's thread when it is over:
 * `status` is the response's (0 when the request failed, with `error`).
 * Set before any request starts; NULL turns tracing off. */
#define WASI2_TRACEPARENT_SIZE 64
typedef struct wasi2_http_trace_hooks {
    void *(*start)(const char *method, const char *url,
                   char traceparent[WASI2_TRACEPARENT_SIZE], const char **tracestate);
    void (*end)(void *token, unsigned status, const char *error);
} wasi2_http_trace_hooks;
void wasi2_http_set_trace_hooks(const wasi2_http_trace_hooks *hooks);

#endif
