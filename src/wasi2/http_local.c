/*
 * http_local.c - outgoing requests served in-process by the embedder
 * (wasi2_config.local_request): Spin's requests to the app itself and to
 * `<component>.spin.internal`, which never touch the network.
 *
 * The embedder runs the other component synchronously on the guest's
 * thread, so the exchange is held in memory: the request's body is
 * gathered from the outgoing-body pipe (http_body.c) and the request runs
 * when the guest finishes that body - at handle() when there is none or
 * it was finished before, else inside outgoing-body.finish.  The response
 * (status, headers, body) is gathered through a responder as the other
 * component produces it; the guest then sees a future that is resolved
 * and an incoming-response whose body stream reads the gathered bytes,
 * through the same resources as a response from the network.
 */
#include "http_local.h"
#include "http_host.h"

#include <errno.h>

/* The most response body held for the guest; beyond, the response fails. */
#define LOCAL_MAX_BODY ((size_t)256 << 20)
#define WRITE_PERMIT ((size_t)64 << 10)

struct wasi2_http_local {
    uint32_t refs; /* the future and responses, the body sink, body sources */
    wasi2_ctx *ctx;
    char *method, *scheme, *authority, *path;
    wasi2_http_fields *headers;
    util_buf req_body;
    bool done; /* the response (or failure) is known */
    bool failed;
    wasi2_http_error error;
    bool started, finished, too_big;
    uint16_t status;
    wasi2_http_fields *resp_headers;
    util_buf resp_body;
    bool body_given; /* body_source was called */
};

static wasi2_http_local *local_ref(wasi2_http_local *l)
{
    l->refs++;
    return l;
}

void wasi2_http_local_ref(wasi2_http_local *l)
{
    l->refs++;
}

void wasi2_http_local_release(wasi2_http_local *l)
{
    if (l == NULL || --l->refs > 0)
        return;
    free(l->method);
    free(l->scheme);
    free(l->authority);
    free(l->path);
    wasi2_http_fields_free(l->headers);
    util_buf_free(&l->req_body);
    free(l->error.text);
    wasi2_http_fields_free(l->resp_headers);
    util_buf_free(&l->resp_body);
    free(l);
}

static void fail(wasi2_http_local *l, uint32_t code, const char *text)
{
    l->done = true;
    l->failed = true;
    l->error.code = code;
    l->error.text = text ? util_xstrdup(text) : NULL;
}

/* ---- the request body the other component reads --------------------------- */

typedef struct body_reader {
    wasi2_http_local *l;
    const util_buf *buf;
    size_t off;
    bool broken; /* the response was cut short: the end is an error */
} body_reader;

static ssize_t reader_read(void *self, void *buf, size_t len)
{
    body_reader *r = self;
    if (r->off == r->buf->len) {
        if (r->broken) {
            errno = EIO;
            return -1;
        }
        return WASI2_STREAM_CLOSED;
    }
    size_t n = r->buf->len - r->off < len ? r->buf->len - r->off : len;
    memcpy(buf, r->buf->data + r->off, n);
    r->off += n;
    return (ssize_t)n;
}

static void reader_close(void *self)
{
    body_reader *r = self;
    wasi2_http_local_release(r->l);
    free(r);
}

static const wasi2_stream_ops reader_ops = {
    .name = "local-body", .read = reader_read, .close = reader_close};

static body_reader *reader_new(wasi2_http_local *l, const util_buf *buf, bool broken)
{
    body_reader *r = util_xcalloc(1, sizeof(*r));
    r->l = local_ref(l);
    r->buf = buf;
    r->broken = broken;
    return r;
}

/* ---- the responder the other component answers through -------------------- */

static ssize_t resp_check_write(void *self)
{
    wasi2_http_local *l = self;
    return l->too_big ? WASI2_STREAM_CLOSED : (ssize_t)WRITE_PERMIT;
}

static ssize_t resp_write(void *self, const void *buf, size_t len)
{
    wasi2_http_local *l = self;
    if (l->resp_body.len + len > LOCAL_MAX_BODY) {
        l->too_big = true;
        return WASI2_STREAM_CLOSED;
    }
    if (buf)
        util_buf_append(&l->resp_body, buf, len);
    else
        for (size_t i = 0; i < len; i++)
            util_buf_append(&l->resp_body, "", 1);
    return 0;
}

static void resp_close(void *self)
{
    wasi2_http_local_release(self);
}

static const wasi2_stream_ops resp_body_ops = {.name = "local-response",
                                               .check_write = resp_check_write,
                                               .write = resp_write,
                                               .close = resp_close};

static int resp_start(void *self, uint16_t status, const wasi2_http_field *headers, size_t n,
                      const wasi2_stream_ops **body_ops, void **body_self)
{
    wasi2_http_local *l = self;
    if (l->started)
        return -1;
    l->started = true;
    l->status = status;
    l->resp_headers = wasi2_http_fields_new();
    for (size_t i = 0; i < n; i++)
        wasi2_http_fields_add(l->resp_headers, headers[i].name, strlen(headers[i].name),
                              headers[i].value, headers[i].value_len);
    *body_ops = &resp_body_ops;
    *body_self = local_ref(l);
    return 0;
}

static void resp_finish(void *self, const wasi2_http_field *trailers, size_t n)
{
    wasi2_http_local *l = self;
    l->finished = true;
}

static void resp_error(void *self, const char *error_code)
{
    wasi2_http_local *l = self;
    if (!l->done)
        fail(l, WASI2_HTTP_INTERNAL_ERROR, error_code);
}

static const wasi2_http_responder_ops responder = {
    .start = resp_start, .finish = resp_finish, .error = resp_error};

/* ---- running the request -------------------------------------------------- */

static void run(wasi2_http_local *l)
{
    size_t n = l->headers->len;
    wasi2_http_field *fields = util_xcalloc(n ? n : 1, sizeof(*fields));
    for (size_t i = 0; i < n; i++)
        fields[i] = (wasi2_http_field){l->headers->items[i].name, l->headers->items[i].value,
                                       l->headers->items[i].value_len};
    body_reader *body = reader_new(l, &l->req_body, false);
    wasi2_http_incoming in = {
        .method = l->method,
        .scheme = l->scheme,
        .authority = l->authority,
        .path_with_query = l->path ? l->path : "/",
        .headers = fields,
        .nheaders = n,
        .body_ops = &reader_ops,
        .body_self = body,
    };
    int rc = l->ctx->local_request(l->ctx->local_self, &in, &responder, l);
    free(fields);
    if (rc == WASI2_HTTP_LOCAL_PASS) /* it said local before: it took nothing */
        reader_close(body);
    if (l->done)
        return;
    if (rc == WASI2_HTTP_LOCAL_LOOP_DETECTED)
        fail(l, WASI2_HTTP_LOOP_DETECTED, NULL);
    else if (rc != WASI2_HTTP_LOCAL_SERVED)
        fail(l, WASI2_HTTP_INTERNAL_ERROR, "the local request failed");
    else if (!l->started)
        fail(l, WASI2_HTTP_INTERNAL_ERROR, "the component produced no response");
    else if (l->too_big)
        fail(l, WASI2_HTTP_RESPONSE_BODY_SIZE, NULL);
    l->done = true;
}

/* ---- the request body, gathered from the guest ------------------------------ */

static ssize_t gather_check_write(void *self)
{
    return (ssize_t)WRITE_PERMIT;
}

static ssize_t gather_write(void *self, const void *buf, size_t len)
{
    wasi2_http_local *l = self;
    if (buf)
        util_buf_append(&l->req_body, buf, len);
    return 0;
}

static const wasi2_stream_ops gather_ops = {.name = "local-request",
                                            .check_write = gather_check_write,
                                            .write = gather_write,
                                            .close = resp_close};

static void body_end(void *self, bool finished, const wasi2_http_fields *trailers)
{
    wasi2_http_local *l = self;
    if (l->done)
        return;
    if (!finished)
        fail(l, WASI2_HTTP_INTERNAL_ERROR, "the request body was not finished");
    else
        run(l);
}

static int probe(const wasi2_ctx *ctx, const wasi2_http_outgoing_request *r, const char *method,
                 const char *scheme)
{
    if (ctx->local_request == NULL)
        return WASI2_HTTP_LOCAL_PASS;
    wasi2_http_incoming head = {.method = method,
                                .scheme = scheme,
                                .authority = r->authority,
                                .path_with_query = r->path_with_query};
    return ctx->local_request(ctx->local_self, &head, NULL, NULL);
}

bool wasi2_http_local_is_self(const wasi2_ctx *ctx, const wasi2_http_outgoing_request *r,
                              const char *scheme)
{
    return probe(ctx, r, "GET", scheme) == WASI2_HTTP_LOCAL_SELF;
}

wasi2_http_local *wasi2_http_local_start(wasi2_ctx *ctx, const wasi2_http_outgoing_request *r,
                                         const char *method, const char *scheme)
{
    int kind = probe(ctx, r, method, scheme);
    if (kind != WASI2_HTTP_LOCAL_SERVED && kind != WASI2_HTTP_LOCAL_SELF)
        return NULL;
    wasi2_http_local *l = util_xcalloc(1, sizeof(*l));
    l->refs = 1;
    l->ctx = ctx;
    l->method = util_xstrdup(method);
    l->scheme = util_xstrdup(scheme);
    l->authority = r->authority ? util_xstrdup(r->authority) : NULL;
    l->path = r->path_with_query ? util_xstrdup(r->path_with_query) : NULL;
    l->headers = wasi2_http_fields_clone(r->headers, true);
    if (r->body_pipe == NULL) {
        run(l);
        return l;
    }
    wasi2_http_body_sink sink = {.end = body_end, .self = l};
    wasi2_http_outgoing_body_attach(r->body_pipe, &gather_ops, local_ref(l), sink,
                                    wasi2_ctx_until(ctx));
    return l;
}

/* ---- what the guest sees ------------------------------------------------------ */

static bool head_ready(void *self, int *fd, short *events)
{
    wasi2_http_local *l = self;
    *fd = -1;
    return l->done;
}

static ssize_t head_read(void *self, void *buf, size_t len)
{
    return ((wasi2_http_local *)self)->done ? WASI2_STREAM_CLOSED : 0;
}

static const wasi2_stream_ops head_ops = {
    .name = "local-head", .read = head_read, .ready = head_ready, .close = resp_close};

wasi2_stream *wasi2_http_local_head_stream(wasi2_http_local *l)
{
    return wasi2_stream_new(&head_ops, local_ref(l));
}

bool wasi2_http_local_head(wasi2_http_local *l, uint16_t *status, wasi2_http_fields **headers,
                           bool *failed, wasi2_http_error *error)
{
    if (!l->done)
        return false;
    *failed = l->failed;
    if (l->failed) {
        *error = l->error;
        error->text = l->error.text ? util_xstrdup(l->error.text) : NULL;
        return true;
    }
    *status = l->status;
    *headers = wasi2_http_fields_clone(l->resp_headers, false);
    return true;
}

void wasi2_http_local_body_source(wasi2_http_local *l, const wasi2_stream_ops **ops, void **self)
{
    if (l->body_given) {
        *ops = NULL;
        *self = NULL;
        return;
    }
    l->body_given = true;
    *ops = &reader_ops;
    *self = reader_new(l, &l->resp_body, !l->finished);
}
