/*
 * http_handler.c - the handler door (wasi2.h): find a component's
 * wasi:http/incoming-handler export once, then call its `handle` with one
 * request per call.
 *
 * The export is accepted at any 0.2.x (what the linker's semver rule
 * would serve) or at the two pre-release names Spin still serves, and
 * must be the only one.  A call makes the two host resources `handle`
 * takes (own<incoming-request> over the embedder's request,
 * own<response-outparam> over its responder) and runs the export and its
 * post-return.
 *
 * Between the guest and the embedder's responder sits a session, so that
 * nothing reaches the responder after wasi2_http_handle returns: a guest
 * may keep its body stream or body handle past the end of `handle` (they
 * die with the instance, later); the session then ends an unfinished body
 * as abandoned when the call ends and turns later calls into no-ops.  The
 * same for the request body: its source is closed when the call ends if
 * the guest never took its stream.
 */
#include "http_host.h"

struct wasi2_http_handler {
    const wasi2_host *host;
    char *iface; /* the export's name, e.g. "wasi:http/incoming-handler@0.2.3" */
};

/* ---- finding the export -------------------------------------------------- */

static bool version_served(const char *v)
{
    if (v == NULL)
        return false;
    if (strcmp(v, WASI2_RC1) == 0 || strcmp(v, WASI2_RC2) == 0)
        return true;
    return strncmp(v, "0.2.", 4) == 0 && strchr(v, '-') == NULL && strchr(v, '+') == NULL;
}

static bool is_handler(const component_name *n)
{
    return n->kind == COMPONENT_NAME_INTERFACE && n->ns && strcmp(n->ns, "wasi") == 0 &&
           n->package && strcmp(n->package, "http") == 0 && n->interface &&
           strcmp(n->interface, "incoming-handler") == 0;
}

/* "a, b, c" of the component's export names (or "nothing"). */
static char *export_list(const component *c)
{
    util_buf b = {0};
    for (size_t i = 0; i < component_export_count(c); i++) {
        if (b.len)
            util_buf_append_str(&b, ", ");
        util_buf_append_str(&b, component_export(c, i)->name.text);
    }
    if (b.len == 0)
        util_buf_append_str(&b, "nothing");
    return util_buf_steal(&b, NULL);
}

wasi2_http_handler *wasi2_http_handler_new(const wasi2_registration *reg,
                                           const component_pre *pre, util_error **err)
{
    const component *c = component_pre_component(pre);
    const char *found = NULL;
    size_t count = 0;
    for (size_t i = 0; i < component_export_count(c); i++) {
        const component_name *n = &component_export(c, i)->name;
        if (is_handler(n) && version_served(n->version)) {
            found = n->text;
            count++;
        }
    }
    if (count == 0) {
        cleanup_free char *list = export_list(c);
        util_error_set(err, 0,
                       "component exports no wasi:http/incoming-handler (0.2.x, "
                       "0.2.0-rc-2023-10-18 or -rc-2023-11-10); it exports %s",
                       list);
        return NULL;
    }
    if (count > 1) {
        cleanup_free char *list = export_list(c);
        util_error_set(err, 0, "component exports wasi:http/incoming-handler %zu times; it "
                               "exports %s", count, list);
        return NULL;
    }
    if (reg == NULL || reg->http == NULL) {
        util_error_set(err, 0, "the registration has no wasi:http (use wasi2_define_reg)");
        return NULL;
    }
    wasi2_http_handler *h = util_xcalloc(1, sizeof(*h));
    h->host = reg;
    h->iface = util_xstrdup(found);
    return h;
}

void wasi2_http_handler_free(wasi2_http_handler *h)
{
    if (h == NULL)
        return;
    free(h->iface);
    free(h);
}

const char *wasi2_http_handler_interface(const wasi2_http_handler *h)
{
    return h->iface;
}

/* ---- the session between the guest and the responder ------------------------- */

typedef struct session {
    const wasi2_http_responder_ops *ops;
    void *self;
    unsigned refs;     /* the call, and the response body's stream while open */
    bool over;         /* the call ended: the responder is not called again */
    bool body_open;    /* start gave a body stream that is not closed yet */
    const wasi2_stream_ops *body_ops;
    void *body_self;
} session;

static void session_release(session *s)
{
    if (--s->refs == 0)
        free(s);
}

/* Closes the responder's body stream, once. */
static void session_close_body(session *s)
{
    if (!s->body_open)
        return;
    s->body_open = false;
    if (s->body_ops->close)
        s->body_ops->close(s->body_self);
}

static ssize_t sbody_check_write(void *self)
{
    session *s = self;
    if (!s->body_open || s->body_ops->check_write == NULL)
        return WASI2_STREAM_CLOSED;
    return s->body_ops->check_write(s->body_self);
}

static ssize_t sbody_write(void *self, const void *buf, size_t len)
{
    session *s = self;
    if (!s->body_open || s->body_ops->write == NULL)
        return WASI2_STREAM_CLOSED;
    return s->body_ops->write(s->body_self, buf, len);
}

static ssize_t sbody_flush(void *self)
{
    session *s = self;
    if (!s->body_open)
        return WASI2_STREAM_CLOSED;
    return s->body_ops->flush ? s->body_ops->flush(s->body_self) : 0;
}

static bool sbody_ready(void *self, int *fd, short *events)
{
    session *s = self;
    if (!s->body_open || s->body_ops->ready == NULL)
        return true;
    return s->body_ops->ready(s->body_self, fd, events);
}

static void sbody_close(void *self)
{
    session *s = self;
    session_close_body(s);
    session_release(s);
}

static const wasi2_stream_ops session_body_ops = {
    .name = "response body",
    .check_write = sbody_check_write,
    .write = sbody_write,
    .flush = sbody_flush,
    .ready = sbody_ready,
    .close = sbody_close,
};

static int session_start(void *self, uint16_t status, const wasi2_http_field *headers, size_t n,
                         const wasi2_stream_ops **body_ops, void **body_self)
{
    session *s = self;
    *body_ops = NULL;
    if (s->over)
        return -1;
    const wasi2_stream_ops *ops = NULL;
    void *bself = NULL;
    if (s->ops->start(s->self, status, headers, n, &ops, &bself) < 0 || ops == NULL)
        return -1;
    s->body_ops = ops;
    s->body_self = bself;
    s->body_open = true;
    s->refs++;
    *body_ops = &session_body_ops;
    *body_self = s;
    return 0;
}

static void session_finish(void *self, const wasi2_http_field *trailers, size_t n)
{
    session *s = self;
    if (!s->over && s->body_open && s->ops->finish)
        s->ops->finish(s->self, trailers, n);
}

static void session_error(void *self, const char *error_code)
{
    session *s = self;
    if (!s->over && s->ops->error)
        s->ops->error(s->self, error_code);
}

static const wasi2_http_responder_ops session_ops = {
    .start = session_start,
    .finish = session_finish,
    .error = session_error,
};

/* ---- one call ---------------------------------------------------------------------- */

static int fail(wasm_result *res, const char *fmt, const char *arg)
{
    wasm_result_init(res);
    res->kind = WASM_TRAP;
    snprintf(res->message, sizeof(res->message), fmt, arg);
    return -1;
}

int wasi2_http_handle(const wasi2_http_handler *h, component_instance *inst,
                      const wasi2_http_incoming *req, const wasi2_http_responder_ops *resp,
                      void *resp_self, wasm_result *res)
{
    const component_func *f = component_instance_func(inst, h->iface, "handle");
    if (f == NULL)
        return fail(res, "the instance has no function handle in %s", h->iface);
    const wasi2_http_types *t = h->host->http;

    wasi2_http_incoming_request *r = wasi2_http_incoming_request_new(req);
    wasi2_stream *source = r->body->stream;
    wasi2_stream_ref(source); /* closed at the end of the call unless taken */

    session *s = util_xcalloc(1, sizeof(*s));
    *s = (session){.ops = resp, .self = resp_self, .refs = 1};
    wasi2_http_outparam *p = util_xcalloc(1, sizeof(*p));
    p->ops = &session_ops;
    p->self = s;

    component_val args[2] = {wasi2_own(t->incoming_request, r),
                             wasi2_own(t->response_outparam, p)};
    int rc = component_func_call(inst, f, args, 2, NULL, res);
    if (rc == 0)
        rc = component_func_post_return(inst, f, res);

    wasi2_http_source_end_call(source);
    s->over = true;
    session_close_body(s); /* unfinished by now: abandoned */
    session_release(s);
    return rc;
}
