/*
 * http_body.c - wasi:http bodies: incoming-body and future-trailers over
 * an input stream, outgoing-body over a "pipe" stream, and their host
 * functions.
 *
 * Incoming: the embedder's byte source is wrapped in a guard, so that the
 * handler door can close the source when a call ends without the guest
 * having taken the stream (%stream marks the guard taken).  finish turns
 * the body into a future-trailers that is ready at once: trailers are
 * what the source recorded (none for the requests an embedder hands in).
 *
 * Outgoing: a guest may write a response body before response-outparam.set
 * says where it goes (and may even finish it before), so the body's stream
 * is a pipe whose state outlives the guest's handles: bytes written before
 * a sink is attached wait in memory (up to PENDING_MAX; check-write says 0
 * beyond, as wasmtime's body channel does when full), and the end (finish
 * with trailers, or abandonment) is delivered once both the end and the
 * sink are known.  As in wasmtime, whose body stream is a channel that
 * exists before set, the pipe's permit stands (a write needs no
 * check-write while the pipe has room: StarlingMonkey writes its own
 * error response so) and outlives set: bytes the pipe allowed before a
 * sink was attached are taken after, waiting for the sink if it must.  The pipe counts the bytes: a write past the declared
 * content-length fails (EFBIG, which http-error-code reads back as the
 * body-size error-code) and a finish with another count is an error-code
 * HTTP-{request,response}-body-size and abandons the body, as wasmtime's
 * HostOutgoingBody does.  The pipe is reference counted through its
 * wasi2_stream: the body handle, the guest's output-stream, and the
 * response waiting for set each hold one.
 */
#include "http_host.h"

#define SELF(args, T) ((T *)(args)[0].of.resource.rep)
#define PENDING_MAX (1024 * 1024)

#include <limits.h>

/* ---- incoming: the guard over the embedder's source ------------------------ */

typedef struct source_guard {
    const wasi2_stream_ops *ops; /* NULL: an empty body, or closed early */
    void *self;
    bool taken; /* the guest took the stream (%stream) */
} source_guard;

static void guard_close_source(source_guard *g)
{
    if (g->ops && g->ops->close)
        g->ops->close(g->self);
    g->ops = NULL;
}

static ssize_t guard_read(void *self, void *buf, size_t len)
{
    source_guard *g = self;
    if (g->ops == NULL || g->ops->read == NULL)
        return WASI2_STREAM_CLOSED;
    return g->ops->read(g->self, buf, len);
}

static bool guard_ready(void *self, int *fd, short *events)
{
    source_guard *g = self;
    if (g->ops == NULL || g->ops->ready == NULL)
        return true;
    return g->ops->ready(g->self, fd, events);
}

static void guard_close(void *self)
{
    guard_close_source(self);
    free(self);
}

static const wasi2_stream_ops guard_ops = {
    .name = "request body",
    .read = guard_read,
    .ready = guard_ready,
    .close = guard_close,
};

wasi2_http_incoming_body *wasi2_http_incoming_body_new(const wasi2_stream_ops *ops, void *self)
{
    source_guard *g = util_xcalloc(1, sizeof(*g));
    g->ops = ops;
    g->self = self;
    wasi2_http_incoming_body *b = util_xcalloc(1, sizeof(*b));
    b->stream = wasi2_stream_new(&guard_ops, g);
    return b;
}

void wasi2_http_incoming_body_free(wasi2_http_incoming_body *b)
{
    if (b == NULL)
        return;
    wasi2_stream_release(b->stream);
    wasi2_http_fields_free(b->trailers);
    free(b->error.text);
    free(b);
}

void wasi2_http_source_end_call(wasi2_stream *s)
{
    if (s->ops == &guard_ops) {
        source_guard *g = s->self;
        if (!g->taken) {
            guard_close_source(g);
            s->closed = true;
        }
    }
    wasi2_stream_release(s);
}

/* ---- outgoing: the pipe -------------------------------------------------------- */

typedef struct body_pipe {
    bool request;
    int64_t content_length; /* -1: none declared */
    uint64_t written;
    wasi2_http_outgoing_body *body; /* the handle's struct, NULL once freed */
    /* before a sink is attached */
    uint8_t *pending;
    size_t pending_len;
    /* the sink */
    bool attached;
    uint64_t until;      /* how long a write may wait for the sink */
    wasi2_stream *inner; /* over the sink's ops; NULL after the end */
    wasi2_http_body_sink sink;
    /* the guest's end */
    bool ended, finished, delivered;
    wasi2_http_fields *trailers;
    int push_errnum; /* why the last pipe_push failed */
} body_pipe;

/* Gives the sink the end, once both are known, and closes its stream. */
static void pipe_deliver(body_pipe *p)
{
    if (!p->attached || !p->ended || p->delivered)
        return;
    p->delivered = true;
    if (p->sink.end)
        p->sink.end(p->sink.self, p->finished, p->trailers);
    wasi2_stream_release(p->inner);
    p->inner = NULL;
}

static ssize_t io_rc(wasi2_io io, int errnum)
{
    if (io == WASI2_IO_OK)
        return 0;
    if (io == WASI2_IO_CLOSED)
        return WASI2_STREAM_CLOSED;
    errno = errnum ? errnum : EIO;
    return -1;
}

/* Gives the sink len bytes the pipe took (buf NULL: zeroes): what its
 * permit allows at once, and for the rest waits (until p->until) until
 * the sink is ready again, so a permit the pipe gave, before set or in
 * larger pieces than the sink's, is honoured. */
static wasi2_io pipe_push(body_pipe *p, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint64_t permit;
        wasi2_io io = wasi2_stream_check_write(p->inner, &permit, &p->push_errnum);
        if (io == WASI2_IO_OK && permit == 0)
            io = wasi2_stream_wait(p->inner, p->until, &p->push_errnum);
        if (io != WASI2_IO_OK)
            return io;
        size_t chunk = len - done < permit ? len - done : (size_t)permit;
        io = wasi2_stream_write(p->inner, buf ? buf + done : NULL, chunk, &p->push_errnum);
        if (io != WASI2_IO_OK)
            return io;
        done += chunk;
    }
    return WASI2_IO_OK;
}

static ssize_t pipe_check_write(void *self)
{
    body_pipe *p = self;
    if (p->ended)
        return WASI2_STREAM_CLOSED;
    if (!p->attached)
        return PENDING_MAX - (ssize_t)p->pending_len;
    uint64_t permit = 0;
    int errnum = 0;
    wasi2_io io = wasi2_stream_check_write(p->inner, &permit, &errnum);
    if (io != WASI2_IO_OK)
        return io_rc(io, errnum);
    return permit > SSIZE_MAX ? SSIZE_MAX : (ssize_t)permit;
}

static ssize_t pipe_write(void *self, const void *buf, size_t len)
{
    body_pipe *p = self;
    if (p->ended)
        return WASI2_STREAM_CLOSED;
    p->written += len;
    if (p->body)
        p->body->written = p->written;
    if (p->content_length >= 0 && p->written > (uint64_t)p->content_length) {
        errno = EFBIG;
        return -1;
    }
    if (!p->attached) {
        p->pending = util_xrealloc(p->pending, p->pending_len + len);
        if (buf)
            memcpy(p->pending + p->pending_len, buf, len);
        else
            memset(p->pending + p->pending_len, 0, len);
        p->pending_len += len;
        return 0;
    }
    return io_rc(pipe_push(p, buf, len), p->push_errnum);
}

static ssize_t pipe_flush(void *self)
{
    body_pipe *p = self;
    if (p->ended)
        return WASI2_STREAM_CLOSED;
    if (!p->attached)
        return 0;
    int errnum = 0;
    return io_rc(wasi2_stream_flush(p->inner, WASI2_NO_WAIT, &errnum), errnum);
}

static bool pipe_ready(void *self, int *fd, short *events)
{
    body_pipe *p = self;
    if (p->ended)
        return true;
    if (!p->attached)
        return p->pending_len < PENDING_MAX; /* else only set() makes room */
    return wasi2_stream_ready(p->inner, fd, events);
}

static void pipe_close(void *self)
{
    body_pipe *p = self;
    p->ended = true; /* unfinished if it was not: abandoned */
    pipe_deliver(p);
    wasi2_stream_release(p->inner);
    wasi2_http_fields_free(p->trailers);
    free(p->pending);
    free(p);
}

static const wasi2_stream_ops response_pipe_ops = {
    .name = "response body",
    .check_write = pipe_check_write,
    .write = pipe_write,
    .flush = pipe_flush,
    .ready = pipe_ready,
    .close = pipe_close,
};

static const wasi2_stream_ops request_pipe_ops = {
    .name = "request body",
    .check_write = pipe_check_write,
    .write = pipe_write,
    .flush = pipe_flush,
    .ready = pipe_ready,
    .close = pipe_close,
};

static body_pipe *pipe_of(wasi2_stream *s)
{
    return s->ops == &response_pipe_ops || s->ops == &request_pipe_ops ? s->self : NULL;
}

wasi2_http_outgoing_body *wasi2_http_outgoing_body_new(int64_t content_length, bool request)
{
    body_pipe *p = util_xcalloc(1, sizeof(*p));
    p->request = request;
    p->content_length = content_length;
    wasi2_http_outgoing_body *b = util_xcalloc(1, sizeof(*b));
    b->content_length = content_length;
    b->stream = wasi2_stream_new(request ? &request_pipe_ops : &response_pipe_ops, p);
    b->stream->standing_permit = true;
    p->body = b;
    return b;
}

void wasi2_http_outgoing_body_attach(wasi2_stream *body_stream, const wasi2_stream_ops *ops,
                                     void *self, wasi2_http_body_sink sink, uint64_t until)
{
    body_pipe *p = pipe_of(body_stream);
    if (p == NULL || p->attached)
        return;
    p->attached = true;
    p->sink = sink;
    p->until = until;
    p->inner = ops ? wasi2_stream_new(ops, self) : NULL;
    /* the bytes written before: out now */
    if (p->inner && p->pending_len > 0 &&
        (pipe_push(p, p->pending, p->pending_len) != WASI2_IO_OK ||
         wasi2_stream_flush(p->inner, until, &p->push_errnum) != WASI2_IO_OK))
        p->inner->closed = true;
    free(p->pending);
    p->pending = NULL;
    p->pending_len = 0;
    if (p->inner == NULL) { /* the sink refused: the body is lost */
        p->ended = true;
        p->finished = false;
    }
    pipe_deliver(p);
}

wasi2_stream *wasi2_http_counting_stream(wasi2_http_outgoing_body *body,
                                         const wasi2_stream_ops *ops, void *self)
{
    wasi2_http_outgoing_body_attach(body->stream, ops, self, body->sink, WASI2_WAIT_FOREVER);
    wasi2_stream_ref(body->stream);
    return body->stream;
}

int wasi2_http_outgoing_body_end(wasi2_http_outgoing_body *b, bool finished,
                                 wasi2_http_fields *trailers, uint64_t *written)
{
    body_pipe *p = pipe_of(b->stream);
    int error = -1;
    *written = p->written;
    if (b->ended || p->ended) {
        /* the sink refused the body, or it ended already: nothing to
         * deliver, and (as wasmtime ignores a receiver gone) no error */
        wasi2_http_fields_free(trailers);
        return -1;
    }
    b->ended = true;
    if (finished && p->content_length >= 0 && p->written != (uint64_t)p->content_length) {
        error = p->request ? WASI2_HTTP_REQUEST_BODY_SIZE : WASI2_HTTP_RESPONSE_BODY_SIZE;
        finished = false;
    }
    if (!finished) {
        wasi2_http_fields_free(trailers);
        trailers = NULL;
    }
    p->ended = true;
    p->finished = finished;
    p->trailers = trailers;
    pipe_deliver(p);
    return error;
}

void wasi2_http_outgoing_body_free(wasi2_http_outgoing_body *b)
{
    if (b == NULL)
        return;
    uint64_t written;
    if (!b->ended)
        wasi2_http_outgoing_body_end(b, false, NULL, &written);
    pipe_of(b->stream)->body = NULL;
    wasi2_stream_release(b->stream);
    free(b);
}

int wasi2_http_body_result(component_call *call, const wasi2_host *h,
                           const wasi2_http_fields *headers, bool request, bool *taken,
                           wasi2_stream **pipe, component_val *result)
{
    int64_t length = wasi2_http_content_length(headers);
    if (*taken || length == -2)
        return wasi2_variant(call, 1, NULL, result);
    *taken = true;
    wasi2_http_outgoing_body *b = wasi2_http_outgoing_body_new(length, request);
    *pipe = b->stream;
    wasi2_stream_ref(b->stream);
    component_val own = wasi2_own(h->http->outgoing_body, b);
    return wasi2_variant(call, 0, &own, result);
}

/* True for a wasi:io error made by a write past the declared length of a
 * request (*request) or response body. */
bool wasi2_http_body_size_error(const wasi2_error *e, bool *request)
{
    if (e->errnum != EFBIG)
        return false;
    *request = strncmp(e->message, "request body", 12) == 0;
    return *request || strncmp(e->message, "response body", 13) == 0;
}

/* ---- content-length ------------------------------------------------------------ */

int64_t wasi2_http_content_length(const wasi2_http_fields *f)
{
    int64_t length = -1;
    for (size_t i = 0; i < f->len; i++) {
        const wasi2_http_entry *e = &f->items[i];
        if (strcmp(e->name, "content-length") != 0)
            continue;
        if (e->value_len == 0 || e->value_len > 18)
            return -2;
        int64_t v = 0;
        for (size_t k = 0; k < e->value_len; k++) {
            if (e->value[k] < '0' || e->value[k] > '9')
                return -2;
            v = v * 10 + (e->value[k] - '0');
        }
        if (length >= 0 && v != length)
            return -2;
        length = v;
    }
    return length;
}

/* ---- host functions: incoming-body, future-trailers ------------------------------ */

typedef struct future_trailers {
    wasi2_http_incoming_body *body;
    bool consumed;
} future_trailers;

void wasi2_http_future_trailers_free(void *f)
{
    future_trailers *t = f;
    if (t == NULL)
        return;
    wasi2_http_incoming_body_free(t->body);
    free(t);
}

static const wasi2_host *host_of(void *env)
{
    return env;
}

static int body_stream(component_call *call, void *env, const component_val *args, size_t nargs,
                       component_val *result)
{
    wasi2_http_incoming_body *b = SELF(args, wasi2_http_incoming_body);
    if (b->stream_taken || b->stream == NULL)
        return wasi2_variant(call, 1, NULL, result);
    b->stream_taken = true;
    wasi2_stream *s = b->stream;
    b->stream = NULL;
    if (s->ops == &guard_ops)
        ((source_guard *)s->self)->taken = true;
    component_val own = wasi2_own(host_of(env)->input_stream, s);
    return wasi2_variant(call, 0, &own, result);
}

static int body_finish(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    future_trailers *t = util_xcalloc(1, sizeof(*t));
    t->body = SELF(args, wasi2_http_incoming_body);
    *result = wasi2_own(host_of(env)->http->future_trailers, t);
    return 0;
}

static int trailers_subscribe(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    *result = wasi2_own(host_of(env)->pollable, wasi2_pollable_timer(0)); /* ready at once */
    return 0;
}

/* option<result<result<option<trailers>, error-code>>>: some(err) once
 * taken; else some(ok(...)). */
static int trailers_get(component_call *call, void *env, const component_val *args,
                        size_t nargs, component_val *result)
{
    future_trailers *t = SELF(args, future_trailers);
    component_val inner, outer;
    if (t->consumed) {
        if (wasi2_variant(call, 1, NULL, &outer) < 0)
            return -1;
        return wasi2_variant(call, 1, &outer, result);
    }
    t->consumed = true;
    wasi2_http_incoming_body *b = t->body;
    if (b->failed) {
        component_val code;
        if (wasi2_http_error_val(call, &b->error, &code) < 0 ||
            wasi2_variant(call, 1, &code, &inner) < 0)
            return -1;
    } else {
        component_val opt;
        int rc;
        if (b->trailers) {
            wasi2_http_fields_strip_forbidden(b->trailers);
            component_val own = wasi2_own(host_of(env)->http->fields, b->trailers);
            b->trailers = NULL;
            rc = wasi2_variant(call, 1, &own, &opt);
        } else {
            rc = wasi2_variant(call, 0, NULL, &opt);
        }
        if (rc < 0 || wasi2_variant(call, 0, &opt, &inner) < 0)
            return -1;
    }
    if (wasi2_variant(call, 0, &inner, &outer) < 0)
        return -1;
    return wasi2_variant(call, 1, &outer, result);
}

/* ---- host functions: outgoing-body ---------------------------------------------- */

static int outbody_write(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    wasi2_http_outgoing_body *b = SELF(args, wasi2_http_outgoing_body);
    if (b->write_taken || b->ended)
        return wasi2_variant(call, 1, NULL, result);
    b->write_taken = true;
    wasi2_stream_ref(b->stream);
    component_val own = wasi2_own(host_of(env)->output_stream, b->stream);
    return wasi2_variant(call, 0, &own, result);
}

static int outbody_finish(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    wasi2_http_outgoing_body *b = SELF(args, wasi2_http_outgoing_body);
    wasi2_http_fields *trailers = NULL;
    if (args[1].of.variant.disc == 1)
        trailers = (wasi2_http_fields *)args[1].of.variant.payload->of.resource.rep;
    uint64_t written;
    int error = wasi2_http_outgoing_body_end(b, true, trailers, &written);
    wasi2_http_outgoing_body_free(b);
    if (error < 0)
        return wasi2_variant(call, 0, NULL, result);
    wasi2_http_error e = {.code = (uint32_t)error, .has_size = true, .size = written};
    component_val code;
    if (wasi2_http_error_val(call, &e, &code) < 0)
        return -1;
    return wasi2_variant(call, 1, &code, result);
}

static const wasi2_func body_funcs[] = {
    {"[method]incoming-body.stream",
     "func(self: borrow<incoming-body>) -> result<own<input-stream>>", body_stream},
    {"[static]incoming-body.finish", "func(this: own<incoming-body>) -> own<future-trailers>",
     body_finish},
    {"[method]future-trailers.subscribe", "func(self: borrow<future-trailers>) -> own<pollable>",
     trailers_subscribe},
    {"[method]future-trailers.get",
     "func(self: borrow<future-trailers>) -> "
     "option<result<result<option<own<fields>>, error-code>>>",
     trailers_get},
    {"[method]outgoing-body.write",
     "func(self: borrow<outgoing-body>) -> result<own<output-stream>>", outbody_write},
    {"[static]outgoing-body.finish",
     "func(this: own<outgoing-body>, trailers: option<own<fields>>) -> result<_, error-code>",
     outbody_finish},
};

const wasi2_func_table wasi2_http_body_table = {body_funcs, UTIL_ARRAY_LEN(body_funcs)};
