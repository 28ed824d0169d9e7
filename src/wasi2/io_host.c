/*
 * io_host.c - wasi:io/error, wasi:io/poll and wasi:io/streams as host
 * functions: component values in, stream.c and poll.c do the work, values
 * out.
 *
 * Resources are host pointers: an error's rep is a wasi2_error, a
 * pollable's a wasi2_pollable, a stream's a wasi2_stream (both stream
 * types); the resource destructors free them (a stream only when its last
 * pollable is gone too).  The signatures are wasi:io@0.2.12's WIT, written
 * in the linker's signature syntax.
 */
#include "wasi2_internal.h"

#define SELF(args, T) ((T *)(args)[0].of.resource.rep)

/* ---- values ------------------------------------------------------------- */

component_val wasi2_own(component_resource_type *type, const void *rep)
{
    return (component_val){.kind = COMPONENT_VAL_OWN,
                           .of.resource = {.type = type, .rep = (uintptr_t)rep}};
}

int wasi2_variant(component_call *call, uint32_t disc, const component_val *payload,
                  component_val *out)
{
    component_val *p = NULL;
    if (payload) {
        p = component_call_vals(call, 1);
        if (p == NULL)
            return component_call_trap(call, "out of call memory");
        *p = *payload;
    }
    *out = (component_val){.kind = COMPONENT_VAL_VARIANT, .of.variant = {disc, p}};
    return 0;
}

/* result<T, stream-error> for the outcome of a stream op. */
int wasi2_stream_result(component_call *call, const wasi2_host *h, wasi2_stream *s,
                        wasi2_io io, int errnum, const char *op, const component_val *ok,
                        component_val *result)
{
    component_val err;
    switch (io) {
    case WASI2_IO_OK:
        return wasi2_variant(call, 0, ok, result);
    case WASI2_IO_DEADLINE:
        return wasi2_deadline_trap(call, h, op);
    case WASI2_IO_TRAP:
        return component_call_trap(call, "%s: %s", op,
                                   strncmp(op, "blocking", 8) == 0
                                       ? "more than 4096 bytes at once"
                                       : "more bytes than check-write permitted");
    case WASI2_IO_CLOSED:
        if (wasi2_variant(call, 1, NULL, &err) < 0)
            return -1;
        return wasi2_variant(call, 1, &err, result);
    case WASI2_IO_FAILED:
        break;
    }
    char what[96];
    snprintf(what, sizeof(what), "%s %s", s->ops->name ? s->ops->name : "stream", op);
    component_val e = wasi2_own(h->error, wasi2_error_new(errnum, what));
    if (wasi2_variant(call, 0, &e, &err) < 0)
        return -1;
    return wasi2_variant(call, 1, &err, result);
}

int wasi2_deadline_trap(component_call *call, const wasi2_host *h, const char *op)
{
    wasi2_host_ctx(h, call)->deadline_hit = true;
    return component_call_trap(call, "%s: the deadline passed while waiting", op);
}

/* ---- wasi:io/error ------------------------------------------------------- */

static int error_to_debug_string(component_call *call, void *env, const component_val *args,
                                 size_t nargs, component_val *result)
{
    const wasi2_error *e = SELF(args, wasi2_error);
    *result = (component_val){.kind = COMPONENT_VAL_STRING,
                              .of.str = {e->message, strlen(e->message)}};
    return 0;
}

static const wasi2_func error_funcs[] = {
    {"[method]error.to-debug-string", "func(self: borrow<error>) -> string",
     error_to_debug_string},
};

/* ---- wasi:io/poll ---------------------------------------------------------- */

static int pollable_ready(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    *result = (component_val){.kind = COMPONENT_VAL_BOOL,
                              .of.b = wasi2_pollable_ready(SELF(args, wasi2_pollable))};
    return 0;
}

static int pollable_block(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    wasi2_pollable *p = SELF(args, wasi2_pollable);
    uint32_t index;
    ssize_t count = wasi2_poll(&p, 1, &index, wasi2_ctx_until(wasi2_host_ctx(env, call)));
    if (count < 0)
        return component_call_trap(call, "pollable.block: poll: %s", strerror(errno));
    return count == 0 ? wasi2_deadline_trap(call, env, "pollable.block") : 0;
}

static int poll_many(component_call *call, void *env, const component_val *args, size_t nargs,
                     component_val *result)
{
    size_t n = args[0].of.list.n;
    if (n == 0)
        return component_call_trap(call, "poll: the list of pollables is empty");
    if (n > UINT32_MAX)
        return component_call_trap(call, "poll: more pollables than a u32 can index");
    wasi2_pollable **ps = component_call_alloc(call, n * sizeof(*ps));
    uint32_t *ready = component_call_alloc(call, n * sizeof(*ready));
    if (ps == NULL || ready == NULL)
        return component_call_trap(call, "poll: %zu pollables do not fit the call's memory", n);
    for (size_t i = 0; i < n; i++)
        ps[i] = (wasi2_pollable *)args[0].of.list.items[i].of.resource.rep;
    ssize_t count = wasi2_poll(ps, n, ready, wasi2_ctx_until(wasi2_host_ctx(env, call)));
    if (count < 0)
        return component_call_trap(call, "poll: %s", strerror(errno));
    if (count == 0)
        return wasi2_deadline_trap(call, env, "poll");
    *result = (component_val){.kind = COMPONENT_VAL_LIST,
                              .of.list = {.raw = ready, .n = (size_t)count}};
    return 0;
}

static const wasi2_func poll_funcs[] = {
    {"[method]pollable.ready", "func(self: borrow<pollable>) -> bool", pollable_ready},
    {"[method]pollable.block", "func(self: borrow<pollable>)", pollable_block},
    {"poll", "func(in: list<borrow<pollable>>) -> list<u32>", poll_many},
};

/* How long a stream op may wait: not at all, or until the ctx's deadline. */
static uint64_t until_of(void *env, component_call *call, bool blocking)
{
    return blocking ? wasi2_ctx_until(wasi2_host_ctx(env, call)) : WASI2_NO_WAIT;
}

/* ---- wasi:io/streams: input ---------------------------------------------- */

static int read_common(component_call *call, void *env, const component_val *args,
                       component_val *result, bool blocking, bool skip, const char *op)
{
    wasi2_stream *s = SELF(args, wasi2_stream);
    uint64_t want = args[1].of.u;
    size_t len = want < WASI2_READ_MAX ? (size_t)want : WASI2_READ_MAX;
    void *buf = NULL;
    if (len > 0) {
        buf = skip ? util_xmalloc(len) : component_call_alloc(call, len);
        if (buf == NULL)
            return component_call_trap(call, "%s: %zu bytes do not fit the call's memory", op,
                                       len);
    }
    size_t n = 0;
    int errnum = 0;
    wasi2_io io = wasi2_stream_read(s, buf, len, until_of(env, call, blocking), &n, &errnum);
    component_val ok;
    if (skip) {
        free(buf);
        ok = (component_val){.kind = COMPONENT_VAL_U64, .of.u = n};
    } else {
        ok = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.raw = buf, .n = n}};
    }
    return wasi2_stream_result(call, env, s, io, errnum, op, &ok, result);
}

static int input_read(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    return read_common(call, env, args, result, false, false, "read");
}

static int input_blocking_read(component_call *call, void *env, const component_val *args,
                               size_t nargs, component_val *result)
{
    return read_common(call, env, args, result, true, false, "blocking-read");
}

static int input_skip(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    return read_common(call, env, args, result, false, true, "skip");
}

static int input_blocking_skip(component_call *call, void *env, const component_val *args,
                               size_t nargs, component_val *result)
{
    return read_common(call, env, args, result, true, true, "blocking-skip");
}

static int stream_subscribe(component_call *call, void *env, const component_val *args,
                            size_t nargs, component_val *result)
{
    const wasi2_host *h = env;
    *result = wasi2_own(h->pollable, wasi2_pollable_stream(SELF(args, wasi2_stream)));
    return 0;
}

/* ---- wasi:io/streams: output ----------------------------------------------- */

static int output_check_write(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    wasi2_stream *s = SELF(args, wasi2_stream);
    uint64_t permit = 0;
    int errnum = 0;
    wasi2_io io = wasi2_stream_check_write(s, &permit, &errnum);
    component_val ok = {.kind = COMPONENT_VAL_U64, .of.u = permit};
    return wasi2_stream_result(call, env, s, io, errnum, "check-write", &ok, result);
}

/* The bytes of a list<u8>: guests' lists come packed (`raw`); a host
 * caller may give `items`, packed here into the call's memory.  NULL only
 * when that memory is exhausted (the caller traps). */
const uint8_t *wasi2_list_bytes(component_call *call, const component_val *list)
{
    static const uint8_t none[1];
    if (list->of.list.raw || list->of.list.n == 0)
        return list->of.list.raw ? list->of.list.raw : none;
    uint8_t *p = component_call_alloc(call, list->of.list.n);
    if (p)
        for (size_t i = 0; i < list->of.list.n; i++)
            p[i] = (uint8_t)list->of.list.items[i].of.u;
    return p;
}

static int output_write(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    wasi2_stream *s = SELF(args, wasi2_stream);
    const uint8_t *bytes = wasi2_list_bytes(call, &args[1]);
    if (bytes == NULL)
        return component_call_trap(call, "write: out of call memory");
    int errnum = 0;
    wasi2_io io = wasi2_stream_write(s, bytes, args[1].of.list.n, &errnum);
    return wasi2_stream_result(call, env, s, io, errnum, "write", NULL, result);
}

static int output_blocking_write_and_flush(component_call *call, void *env,
                                           const component_val *args, size_t nargs,
                                           component_val *result)
{
    wasi2_stream *s = SELF(args, wasi2_stream);
    const uint8_t *bytes = wasi2_list_bytes(call, &args[1]);
    if (bytes == NULL)
        return component_call_trap(call, "blocking-write-and-flush: out of call memory");
    int errnum = 0;
    wasi2_io io = wasi2_stream_blocking_write(s, bytes, args[1].of.list.n,
                                              until_of(env, call, true), &errnum);
    return wasi2_stream_result(call, env, s, io, errnum, "blocking-write-and-flush", NULL,
                               result);
}

static int flush_common(component_call *call, void *env, const component_val *args,
                        component_val *result, bool blocking)
{
    wasi2_stream *s = SELF(args, wasi2_stream);
    int errnum = 0;
    wasi2_io io = wasi2_stream_flush(s, until_of(env, call, blocking), &errnum);
    return wasi2_stream_result(call, env, s, io, errnum, blocking ? "blocking-flush" : "flush",
                               NULL, result);
}

static int output_flush(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    return flush_common(call, env, args, result, false);
}

static int output_blocking_flush(component_call *call, void *env, const component_val *args,
                                 size_t nargs, component_val *result)
{
    return flush_common(call, env, args, result, true);
}

static int output_write_zeroes(component_call *call, void *env, const component_val *args,
                               size_t nargs, component_val *result)
{
    wasi2_stream *s = SELF(args, wasi2_stream);
    int errnum = 0;
    uint64_t len = args[1].of.u;
    wasi2_io io = len > SIZE_MAX ? WASI2_IO_TRAP
                                 : wasi2_stream_write(s, NULL, (size_t)len, &errnum);
    return wasi2_stream_result(call, env, s, io, errnum, "write-zeroes", NULL, result);
}

static int output_blocking_write_zeroes_and_flush(component_call *call, void *env,
                                                  const component_val *args, size_t nargs,
                                                  component_val *result)
{
    wasi2_stream *s = SELF(args, wasi2_stream);
    int errnum = 0;
    uint64_t len = args[1].of.u;
    wasi2_io io = len > WASI2_BLOCKING_WRITE_MAX
                      ? WASI2_IO_TRAP
                      : wasi2_stream_blocking_write(s, NULL, (size_t)len,
                                                    until_of(env, call, true), &errnum);
    return wasi2_stream_result(call, env, s, io, errnum, "blocking-write-zeroes-and-flush",
                               NULL, result);
}

static int splice_common(component_call *call, void *env, const component_val *args,
                         component_val *result, bool blocking)
{
    wasi2_stream *s = SELF(args, wasi2_stream);
    wasi2_stream *src = (wasi2_stream *)args[1].of.resource.rep;
    uint64_t n = 0;
    int errnum = 0;
    wasi2_io io = wasi2_stream_splice(s, src, args[2].of.u, until_of(env, call, blocking), &n,
                                      &errnum);
    component_val ok = {.kind = COMPONENT_VAL_U64, .of.u = n};
    return wasi2_stream_result(call, env, s, io, errnum, blocking ? "blocking-splice" : "splice",
                               &ok, result);
}

static int output_splice(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    return splice_common(call, env, args, result, false);
}

static int output_blocking_splice(component_call *call, void *env, const component_val *args,
                                  size_t nargs, component_val *result)
{
    return splice_common(call, env, args, result, true);
}

#define READ_RESULT "result<list<u8>, stream-error>"
#define COUNT_RESULT "result<u64, stream-error>"
#define UNIT_RESULT "result<_, stream-error>"
#define IN_SELF "func(self: borrow<input-stream>"
#define OUT_SELF "func(self: borrow<output-stream>"

static const wasi2_func stream_funcs[] = {
    {"[method]input-stream.read", IN_SELF ", len: u64) -> " READ_RESULT, input_read},
    {"[method]input-stream.blocking-read", IN_SELF ", len: u64) -> " READ_RESULT,
     input_blocking_read},
    {"[method]input-stream.skip", IN_SELF ", len: u64) -> " COUNT_RESULT, input_skip},
    {"[method]input-stream.blocking-skip", IN_SELF ", len: u64) -> " COUNT_RESULT,
     input_blocking_skip},
    {"[method]input-stream.subscribe", IN_SELF ") -> own<pollable>", stream_subscribe},
    {"[method]output-stream.check-write", OUT_SELF ") -> " COUNT_RESULT, output_check_write},
    {"[method]output-stream.write", OUT_SELF ", contents: list<u8>) -> " UNIT_RESULT,
     output_write},
    {"[method]output-stream.blocking-write-and-flush",
     OUT_SELF ", contents: list<u8>) -> " UNIT_RESULT, output_blocking_write_and_flush},
    {"[method]output-stream.flush", OUT_SELF ") -> " UNIT_RESULT, output_flush},
    {"[method]output-stream.blocking-flush", OUT_SELF ") -> " UNIT_RESULT,
     output_blocking_flush},
    {"[method]output-stream.subscribe", OUT_SELF ") -> own<pollable>", stream_subscribe},
    {"[method]output-stream.write-zeroes", OUT_SELF ", len: u64) -> " UNIT_RESULT,
     output_write_zeroes},
    {"[method]output-stream.blocking-write-zeroes-and-flush",
     OUT_SELF ", len: u64) -> " UNIT_RESULT, output_blocking_write_zeroes_and_flush},
    {"[method]output-stream.splice",
     OUT_SELF ", src: borrow<input-stream>, len: u64) -> " COUNT_RESULT, output_splice},
    {"[method]output-stream.blocking-splice",
     OUT_SELF ", src: borrow<input-stream>, len: u64) -> " COUNT_RESULT,
     output_blocking_splice},
};

/* ---- registration ---------------------------------------------------------- */

static void error_dtor(uintptr_t rep)
{
    wasi2_error_free((wasi2_error *)rep);
}

static void pollable_dtor(uintptr_t rep)
{
    wasi2_pollable_free((wasi2_pollable *)rep);
}

static void stream_dtor(uintptr_t rep)
{
    wasi2_stream_release((wasi2_stream *)rep);
}

#define IO_ERROR WASI2_IFACE("wasi:io/error")
#define IO_POLL WASI2_IFACE("wasi:io/poll")
#define IO_STREAMS WASI2_IFACE("wasi:io/streams")

int wasi2_define_io(component_linker *l, wasi2_host *h, util_error **err)
{
    h->error = component_linker_define_resource(l, IO_ERROR, "error", error_dtor, err);
    if (h->error == NULL ||
        wasi2_define_funcs(l, IO_ERROR, error_funcs, UTIL_ARRAY_LEN(error_funcs), h, err) < 0)
        return -1;
    h->pollable = component_linker_define_resource(l, IO_POLL, "pollable", pollable_dtor, err);
    if (h->pollable == NULL ||
        wasi2_define_funcs(l, IO_POLL, poll_funcs, UTIL_ARRAY_LEN(poll_funcs), h, err) < 0)
        return -1;
    if (component_linker_alias_resource(l, IO_STREAMS, "error", h->error, err) < 0 ||
        component_linker_alias_resource(l, IO_STREAMS, "pollable", h->pollable, err) < 0)
        return -1;
    h->input_stream =
        component_linker_define_resource(l, IO_STREAMS, "input-stream", stream_dtor, err);
    if (h->input_stream == NULL)
        return -1;
    h->output_stream =
        component_linker_define_resource(l, IO_STREAMS, "output-stream", stream_dtor, err);
    if (h->output_stream == NULL)
        return -1;
    if (component_linker_define_type(l, IO_STREAMS, "stream-error",
                                     "variant{last-operation-failed(own<error>), closed}",
                                     err) < 0)
        return -1;
    return wasi2_define_funcs(l, IO_STREAMS, stream_funcs, UTIL_ARRAY_LEN(stream_funcs), h,
                              err);
}

/* The tables, for the pre-release registrations (rc.c). */
const wasi2_func_table wasi2_io_error_table = {error_funcs, UTIL_ARRAY_LEN(error_funcs)};
const wasi2_func_table wasi2_io_poll_table = {poll_funcs, UTIL_ARRAY_LEN(poll_funcs)};
const wasi2_func_table wasi2_io_streams_table = {stream_funcs, UTIL_ARRAY_LEN(stream_funcs)};
