/*
 * wasi2_internal.h - private to src/wasi2: the context, the state shared by
 * the host functions of one registration, and the C side of wasi:io
 * (streams, pollables, errors) that every interface of the layer uses.
 *
 * The host functions (io_host.c, cli.c, clocks_random.c, and the
 * filesystem and sockets files) are thin: they turn component values into
 * calls of the functions below and their outcome back into values.
 */
#ifndef WASI2_INTERNAL_H
#define WASI2_INTERNAL_H

#include "wasi2.h"

#include <errno.h>
#include <string.h>

/* The version every interface is registered at (the linker's semver rule
 * serves 0.2.0 .. 0.2.12 imports with it). */
#define WASI2_VERSION "0.2.12"
#define WASI2_IFACE(name) name "@" WASI2_VERSION

/* The most one read, skip or splice moves, and what blocking-write-and-flush
 * and blocking-write-zeroes-and-flush accept (the WIT: 4096). */
#define WASI2_READ_MAX (64 * 1024)
#define WASI2_BLOCKING_WRITE_MAX 4096

/* ---- the context ------------------------------------------------------- */

typedef struct wasi2_ctx_preopen {
    char *host_path;
    char *guest_path;
    bool read_only;
    int dirfd; /* opened by wasi2_ctx_new (O_DIRECTORY), closed by free */
} wasi2_ctx_preopen;

struct wasi2_ctx {
    char **argv; /* copies */
    size_t argc;
    char **env; /* "NAME=value" copies */
    size_t envc;
    int stdin_fd, stdout_fd, stderr_fd; /* the embedder's: never closed */
    wasi2_ctx_preopen *preopens;
    size_t npreopens;
    bool allow_network;
    uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0: blocking calls may wait for ever */
    bool deadline_hit;    /* a blocking call gave up at deadline_ns */
    uint64_t insecure_seed[2]; /* drawn once: insecure-seed returns it every time */
    bool (*outbound_allowed)(void *self, const char *scheme, const char *host, uint16_t port);
    void *outbound_self;
    int (*local_request)(void *self, const struct wasi2_http_incoming *req,
                         const struct wasi2_http_responder_ops *resp, void *resp_self);
    void *local_self;
};

/* ---- one registration's shared state ----------------------------------- */

/* The env of every host function wasi2_define registers: how to find the
 * ctx, and the resource types the functions hand out.  Freed with the
 * linker's resource types (component_linker_keep). */
typedef struct wasi2_host {
    wasi2_ctx *(*get_ctx)(void *data);
    component_resource_type *error;
    component_resource_type *pollable;
    component_resource_type *input_stream;
    component_resource_type *output_stream;
    component_resource_type *terminal_input;
    component_resource_type *terminal_output;
    struct wasi2_fsnet_reg *fsnet; /* filesystem's and sockets' (set by wasi2_define_fsnet) */
    struct wasi2_http_types *http; /* wasi:http's (set by wasi2_define_http) */
} wasi2_host;

wasi2_ctx *wasi2_host_ctx(const wasi2_host *h, component_call *call);

/* One host function of a table (define.c registers them in order). */
typedef struct wasi2_func {
    const char *name;
    const char *signature;
    component_host_fn fn;
} wasi2_func;

int wasi2_define_funcs(component_linker *l, const char *iface, const wasi2_func *funcs,
                       size_t n, wasi2_host *h, util_error **err);

/* ---- the pre-release names (rc.c, rc_fsnet.c) ------------------------ */

/* A table of 0.2 functions, which the pre-release registrations reuse
 * wherever a function kept its meaning. */
typedef struct wasi2_func_table {
    const wasi2_func *funcs;
    size_t n;
} wasi2_func_table;

extern const wasi2_func_table wasi2_io_error_table, wasi2_io_poll_table, wasi2_io_streams_table;
extern const wasi2_func_table wasi2_monotonic_table, wasi2_wall_table;
extern const wasi2_func_table wasi2_random_table, wasi2_insecure_table, wasi2_insecure_seed_table;
extern const wasi2_func_table wasi2_environment_table, wasi2_exit_table, wasi2_stdin_table,
    wasi2_stdout_table, wasi2_stderr_table, wasi2_terminal_stdin_table,
    wasi2_terminal_stdout_table, wasi2_terminal_stderr_table;

/* One function of a pre-release interface: its own signature, or the 0.2
 * function's (NULL); its own C function, or the 0.2 function named `from`
 * (or `name` when `from` is NULL) of the base table (fn NULL). */
typedef struct wasi2_rc_func {
    const char *name;
    const char *signature;
    component_host_fn fn;
    const char *from;
} wasi2_rc_func;

#define WASI2_RC1 "0.2.0-rc-2023-10-18"
#define WASI2_RC2 "0.2.0-rc-2023-11-10"

/* "name@version" into buf (64 bytes). */
const char *wasi2_rc_iface(char *buf, const char *name, const char *version);
/* Registers funcs in iface, filling in what they take from `base`; env is
 * every function's. */
int wasi2_define_rc_funcs(component_linker *l, const char *iface, const wasi2_func_table *base,
                          const wasi2_rc_func *funcs, size_t n, void *env, util_error **err);
/* Every pre-release interface (rc.c), after the 0.2 ones. */
int wasi2_define_rc(component_linker *l, wasi2_host *h, util_error **err);

/* ---- values (io_host.c) ---------------------------------------------- */

component_val wasi2_own(component_resource_type *type, const void *rep);
/* A variant / option / result value with an optional payload (copied into
 * the call's memory). */
int wasi2_variant(component_call *call, uint32_t disc, const component_val *payload,
                  component_val *out);

/* The bytes of a list<u8>: guests' lists come packed (`raw`); a host
 * caller may give `items`, packed into the call's memory.  NULL only when
 * that memory is exhausted (the caller traps). */
const uint8_t *wasi2_list_bytes(component_call *call, const component_val *list);

/* The registrations of each file, called by wasi2_define in order. */
int wasi2_define_io(component_linker *l, wasi2_host *h, util_error **err);
int wasi2_define_cli(component_linker *l, wasi2_host *h, util_error **err);
int wasi2_define_clocks(component_linker *l, wasi2_host *h, util_error **err);
int wasi2_define_random(component_linker *l, wasi2_host *h, util_error **err);

/* ---- wasi:io/error ------------------------------------------------------ */

/* The rep of an error resource: the host errno (wasi:filesystem's
 * filesystem-error-code maps it) and a message for to-debug-string. */
typedef struct wasi2_error {
    int errnum;
    char *message;
} wasi2_error;

wasi2_error *wasi2_error_new(int errnum, const char *what);
void wasi2_error_free(wasi2_error *e);

/* ---- streams (stream.c) ------------------------------------------------- */

struct wasi2_stream {
    const wasi2_stream_ops *ops;
    void *self;
    uint32_t refs;   /* the guest's handle and each pollable subscribed */
    bool closed;     /* the end, the peer gone, or an error reported: closed for ever */
    uint64_t permit; /* output: what check-write allowed, less what was written since */
    /* output: the permit stands without a check-write (wasi:http bodies,
     * whose writes wasmtime takes while its channel has room): a write
     * beyond what is left asks check_write again before it traps */
    bool standing_permit;
};

/* What a stream operation came to, as wasi:io's stream-error sees it. */
typedef enum wasi2_io {
    WASI2_IO_OK,
    WASI2_IO_CLOSED,
    WASI2_IO_FAILED, /* last-operation-failed: *errnum says why */
    WASI2_IO_TRAP,   /* the guest broke a precondition (a write beyond the permit) */
    WASI2_IO_DEADLINE, /* a wait reached the ctx's deadline_ns */
} wasi2_io;

/* How long a blocking op may wait: `until` is a CLOCK_MONOTONIC deadline,
 * WASI2_NO_WAIT makes the op non-blocking, WASI2_WAIT_FOREVER has none. */
#define WASI2_NO_WAIT 0
#define WASI2_WAIT_FOREVER UINT64_MAX
/* The ctx's deadline as an `until`. */
uint64_t wasi2_ctx_until(const wasi2_ctx *ctx);

void wasi2_stream_ref(wasi2_stream *s);

/* Reads up to len bytes into buf; *n = 0 when nothing is ready (blocking,
 * i.e. until != WASI2_NO_WAIT: waits for at least one byte or the end). */
wasi2_io wasi2_stream_read(wasi2_stream *s, void *buf, size_t len, uint64_t until, size_t *n,
                           int *errnum);
wasi2_io wasi2_stream_check_write(wasi2_stream *s, uint64_t *permit, int *errnum);
/* Writes len bytes (buf NULL: zeroes) within the permit, else TRAP. */
wasi2_io wasi2_stream_write(wasi2_stream *s, const void *buf, size_t len, int *errnum);
wasi2_io wasi2_stream_flush(wasi2_stream *s, uint64_t until, int *errnum);
/* blocking-write-and-flush / blocking-write-zeroes-and-flush: waits for
 * permits until all len (<= WASI2_BLOCKING_WRITE_MAX, else TRAP) bytes are
 * written, then flushes and waits for the flush. */
wasi2_io wasi2_stream_blocking_write(wasi2_stream *s, const void *buf, size_t len,
                                     uint64_t until, int *errnum);
/* splice / blocking-splice: moves up to len bytes from src to s; *n moved. */
wasi2_io wasi2_stream_splice(wasi2_stream *s, wasi2_stream *src, uint64_t len, uint64_t until,
                             uint64_t *n, int *errnum);
/* True if an op would make progress now; else the fd and events to wait on. */
bool wasi2_stream_ready(wasi2_stream *s, int *fd, short *events);

/* result<T, stream-error> for the outcome of op on s (ok: T's value, NULL
 * for result<_, ...>); a TRAP outcome traps the call. */
int wasi2_stream_result(component_call *call, const wasi2_host *h, wasi2_stream *s,
                        wasi2_io io, int errnum, const char *op, const component_val *ok,
                        component_val *result);

/* Traps a call whose wait reached the ctx's deadline, and records it. */
int wasi2_deadline_trap(component_call *call, const wasi2_host *h, const char *op);

/* ---- pollables (poll.c) ------------------------------------------------- */

typedef struct wasi2_pollable wasi2_pollable;

/* Ready once the monotonic clock reaches deadline_ns. */
wasi2_pollable *wasi2_pollable_timer(uint64_t deadline_ns);
/* Ready when the stream is (holds a reference to it). */
wasi2_pollable *wasi2_pollable_stream(wasi2_stream *s);
void wasi2_pollable_free(wasi2_pollable *p);
/* Without waiting. */
bool wasi2_pollable_ready(wasi2_pollable *p);
/* poll(2) one descriptor without waiting (EINTR retried): poll's result
 * (1 ready, 0 not, -1 and errno), its revents in *revents (0 unless 1). */
int wasi2_poll_now(int fd, short events, short *revents);
/* Waits (poll(2) on every descriptor, the nearest deadline as timeout;
 * never spinning) until at least one of the n is ready, then writes the
 * indexes of all ready ones into ready_out (n entries of room) and returns
 * their count; 0 if `until` came first; -1 with errno if poll(2) failed. */
ssize_t wasi2_poll(wasi2_pollable *const *ps, size_t n, uint32_t *ready_out, uint64_t until);
/* wasi2_poll on one stream's readiness (the blocking variants): OK,
 * DEADLINE, or FAILED with *errnum. */
wasi2_io wasi2_stream_wait(wasi2_stream *s, uint64_t until, int *errnum);

#endif
