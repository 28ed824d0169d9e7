/*
 * wasi_http_executor.c - the executor for components exporting
 * wasi:http/incoming-handler (any 0.2.x, or the two pre-release names): a
 * Spin 2+ HTTP component, or any wasi:http proxy component.
 *
 * The component was linked once at load (app_load.c: comp->pre) and its
 * handler export is found once, when the executor is made
 * (wasi2_http_handler_new), so a component that exports no handler, or
 * more than one, fails at start-up.  Each request then gets what Spin
 * gives it: a fresh store (the memory cap of SPIN_MAX_INSTANCE_MEMORY, the
 * request deadline) and a fresh instance, with a wasi2_ctx of its own (the
 * component's env, its files read-only at "/", its log fds, the deadline
 * for calls that wait) as the instance data, so requests share nothing:
 * a guest that can answer only once per instance (StarlingMonkey's
 * respondWith) answers every request.
 *
 * The request reaches the guest as Spin passes it (crates/trigger-http:
 * prepare_request): the client's headers without Connection, plus the
 * spin-* headers (spin-full-url, spin-path-info, spin-matched-route, ...,
 * spin-path-match-*) of spin_default_headers_compute, with the scheme
 * "http", the Host header as authority and the raw target as
 * path-with-query; the body is a stream over the request's bytes as the
 * client sends them (req->body_stream: the server's bounded queue; a
 * read fails once the body went over the size limit), or over the whole
 * body for a request served in-process.  The response comes back through
 * a responder: for a request from the server, the head goes out when the
 * guest sets the outparam (spin_http_job_start_response) and the body as
 * the guest writes it, its check-write permit the room in the queue to
 * the client (so a slow client slows the guest, and nothing is held
 * whole); in-process, the spin_http_response is filled (its body capped
 * at SPIN_WASI_HTTP_MAX_BODY; beyond, writes fail and the answer is 500).
 * Trailers (outgoing-body.finish with some(trailers)) end the streamed
 * body and go out as the footers of a chunked response (http_server.c adds
 * them when its content reader reaches the end); a guest that wrote no
 * byte but sends trailers still gets a streamed response for them.  A
 * response with a Content-Length, to an HTTP/1.0 client, or served
 * in-process has no trailer section: they are dropped there.  Every way
 * the guest can fail to answer is a 500 with
 * the reason in the trigger's log line, as Spin answers "guest failed to
 * produce a response": returning without setting the outparam, setting it
 * to an error-code, dropping the body without finishing it, trapping
 * before the body is finished (once the head went out, the connection is
 * closed mid-body instead, as Spin aborts such a body).  The deadline stopping the guest is 504,
 * and the request's cancel hook (client gone, server stopping) interrupts
 * the store from the server's thread, as in wagi.c.
 */
#include "component.h"
#include "http_executor.h"
#include "local_http.h"
#include "outbound_hosts.h"
#include "spinapi.h"
#include "wasi2.h"
#include "wasm.h"

#include "http_stream.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <strings.h>

/* The most response body held in memory; a guest writing more gets 500. */
#define SPIN_WASI_HTTP_MAX_BODY ((size_t)256 << 20)
/* How much one write may bring (check-write's permit). */
#define WRITE_PERMIT ((size_t)64 << 10)

typedef struct wasi_http_executor {
    wasi2_http_handler *handler;
} wasi_http_executor;

/* One request's exchange with the guest.  It outlives the instance: the
 * streams over it may be closed while the instance is freed. */
typedef struct exchange {
    const uint8_t *body; /* the request body, read by the guest */
    size_t body_len, body_off;
    spin_http_stream *body_stream; /* or the body as it arrives (the server's) */
    spin_http_job *job;       /* streams the response when set */
    bool streaming;           /* the response goes out as written: */
    spin_http_stream *out;    /* its body, once its head went out */
    spin_http_response *resp;
    bool started;  /* response-outparam.set with a response */
    bool finished; /* outgoing-body.finish */
    bool too_big;  /* the guest wrote more than SPIN_WASI_HTTP_MAX_BODY */
    char *error_code; /* response-outparam.set with an error-code */
} exchange;

/* ---- the request body: an input stream over req->body ------------------ */

static ssize_t body_read(void *self, void *buf, size_t len)
{
    exchange *x = self;
    if (x->body_off == x->body_len)
        return WASI2_STREAM_CLOSED;
    size_t n = x->body_len - x->body_off < len ? x->body_len - x->body_off : len;
    memcpy(buf, x->body + x->body_off, n);
    x->body_off += n;
    return (ssize_t)n;
}

static void stream_close_nothing(void *self)
{
    (void)self; /* the exchange lives until the request is done */
}

static const wasi2_stream_ops request_body_ops = {
    .name = "request body",
    .read = body_read,
    .close = stream_close_nothing,
};

/* ---- or the request body as the client sends it ---------------------------- */

/* Both directions wait on the queue's eventfd, readable while the guest
 * side can progress. */
static bool queue_ready(spin_http_stream *q, int *fd, short *events)
{
    if (!spin_http_stream_guest_wait(q, fd))
        return true;
    *events = POLLIN;
    return false;
}

static ssize_t upload_read(void *self, void *buf, size_t len)
{
    ssize_t n = spin_http_stream_get(((exchange *)self)->body_stream, buf, len);
    if (n == -2)
        return WASI2_STREAM_CLOSED;
    if (n == -1)
        errno = EMSGSIZE; /* over the size limit, or the client went away */
    return n;
}

static bool upload_ready(void *self, int *fd, short *events)
{
    return queue_ready(((exchange *)self)->body_stream, fd, events);
}

static const wasi2_stream_ops upload_ops = {
    .name = "request body",
    .read = upload_read,
    .ready = upload_ready,
    .close = stream_close_nothing,
};

/* ---- the response body: an output stream into resp->body --------------- */

static ssize_t sink_check_write(void *self)
{
    exchange *x = self;
    size_t room = SPIN_WASI_HTTP_MAX_BODY - x->resp->body.len;
    if (room == 0) {
        x->too_big = true;
        errno = EFBIG;
        return -1;
    }
    return (ssize_t)(room < WRITE_PERMIT ? room : WRITE_PERMIT);
}

static ssize_t sink_write(void *self, const void *buf, size_t len)
{
    exchange *x = self;
    if (len > SPIN_WASI_HTTP_MAX_BODY - x->resp->body.len) {
        x->too_big = true;
        errno = EFBIG;
        return -1;
    }
    if (buf) {
        util_buf_append(&x->resp->body, buf, len);
    } else {
        util_buf_reserve(&x->resp->body, x->resp->body.len + len);
        memset(x->resp->body.data + x->resp->body.len, 0, len);
        x->resp->body.len += len;
    }
    return 0;
}

static const wasi2_stream_ops response_body_ops = {
    .name = "response body",
    .check_write = sink_check_write,
    .write = sink_write,
    .close = stream_close_nothing,
};

/* ---- or straight to the client: the guest's permit is the queue's room ---
 *
 * The head goes out with the first bytes (or the finish): a guest whose
 * first write fails (more than its content-length) still gets a 500. */

/* The head, with the first bytes in the queue already (the server then
 * finds them there at once instead of waiting to be woken). */
static bool out_start(exchange *x, const void *first, size_t len)
{
    if (x->out == NULL)
        x->out = spin_http_job_start_response(x->job, x->resp, first, len);
    return x->out != NULL;
}

static ssize_t out_check_write(void *self)
{
    exchange *x = self;
    if (x->out == NULL) /* the first write starts the response: the queue is empty */
        return (ssize_t)WRITE_PERMIT;
    ssize_t room = spin_http_stream_room(x->out);
    return room < 0 ? WASI2_STREAM_CLOSED : room;
}

static ssize_t out_write(void *self, const void *buf, size_t len)
{
    exchange *x = self;
    if (len == 0)
        return 0;
    if (x->out == NULL)
        return out_start(x, buf, len) ? 0 : WASI2_STREAM_CLOSED;
    if (spin_http_stream_put(x->out, buf, len) < len) /* the client went away */
        return WASI2_STREAM_CLOSED;
    return 0;
}

static bool out_ready(void *self, int *fd, short *events)
{
    exchange *x = self;
    return x->out == NULL || queue_ready(x->out, fd, events);
}

static const wasi2_stream_ops response_out_ops = {
    .name = "response body",
    .check_write = out_check_write,
    .write = out_write,
    .ready = out_ready,
    .close = stream_close_nothing,
};

/* ---- the responder ------------------------------------------------------ */

static int respond_start(void *self, uint16_t status, const wasi2_http_field *headers, size_t n,
                         const wasi2_stream_ops **body_ops, void **body_self)
{
    exchange *x = self;
    x->started = true;
    x->resp->status = status;
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *value = util_xstrndup((const char *)headers[i].value,
                                                 headers[i].value_len);
        spin_http_response_add_header(x->resp, headers[i].name, value);
    }
    /* a worker's request: the head goes out with the body's first bytes */
    x->streaming = x->job != NULL;
    *body_ops = x->streaming ? &response_out_ops : &response_body_ops;
    *body_self = x;
    return 0;
}

/* Ends the streamed body with the trailers, as strings (a value holding a
 * NUL cannot be a footer: it is cut there, and an empty one is refused by
 * the server with a warning). */
static void out_end_with_trailers(exchange *x, const wasi2_http_field *trailers, size_t n)
{
    const char **names = util_xcalloc(n, sizeof(*names));
    char **values = util_xcalloc(n, sizeof(*values));
    for (size_t i = 0; i < n; i++) {
        names[i] = trailers[i].name;
        values[i] = util_xstrndup((const char *)trailers[i].value, trailers[i].value_len);
    }
    spin_http_stream_end_with_trailers(x->out, names, (const char *const *)values, n);
    for (size_t i = 0; i < n; i++)
        free(values[i]);
    free(values);
    free(names);
}

static void respond_finish(void *self, const wasi2_http_field *trailers, size_t n)
{
    exchange *x = self;
    x->finished = true;
    if (n > 0 && x->streaming && x->out == NULL) /* trailers need the streamed (chunked) way */
        out_start(x, NULL, 0);
    if (x->out == NULL) /* no byte was written: the head goes out as a buffered response */
        return;
    if (n > 0)
        out_end_with_trailers(x, trailers, n);
    else
        spin_http_stream_end(x->out, true);
}

static void respond_error(void *self, const char *error_code)
{
    exchange *x = self;
    free(x->error_code);
    x->error_code = util_xstrdup(error_code);
}

static const wasi2_http_responder_ops responder_ops = {
    .start = respond_start,
    .finish = respond_finish,
    .error = respond_error,
};

/* ---- the request as the guest sees it ----------------------------------- */

/* The client's headers (without Connection, which is about this hop
 * only) and then the spin-* headers.  The fields borrow from req and
 * *defaults. */
static wasi2_http_field *request_fields(const spin_http_request *req,
                                        const spin_default_headers *defaults, char **names,
                                        size_t *n)
{
    wasi2_http_field *f = util_xcalloc(req->nheaders + defaults->len + 1, sizeof(*f));
    size_t k = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        const spin_http_header *h = &req->headers[i];
        if (strcasecmp(h->name, "connection") == 0)
            continue;
        f[k++] = (wasi2_http_field){h->name, (const uint8_t *)h->value, strlen(h->value)};
    }
    for (size_t i = 0; i < defaults->len; i++) {
        /* SPIN_FULL_URL -> spin-full-url, as Spin's prepare_header_key. */
        char *name = util_xstrdup(defaults->items[i].header_name);
        for (char *p = name; *p; p++)
            *p = *p == '_' ? '-' : (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        names[i] = name;
        const char *v = defaults->items[i].value;
        f[k++] = (wasi2_http_field){name, (const uint8_t *)v, strlen(v)};
    }
    *n = k;
    return f;
}

/* ---- one request -------------------------------------------------------- */

static void interrupt_store(void *store)
{
    wasm_store_interrupt(store);
}

void spin_component_wasi2_config(const spin_component_runtime *comp, uint64_t deadline_ns,
                                 wasi2_config *cfg, wasi2_preopen *files)
{
    wasi2_config_init(cfg);
    cfg->env = (const char *const *)comp->env;
    cfg->envc = comp->nenv;
    cfg->stdin_fd = -1;
    cfg->stdout_fd = comp->stdout_fd;
    cfg->stderr_fd = comp->stderr_fd;
    *files = (wasi2_preopen){comp->files_dir, "/", true};
    if (comp->files_dir) {
        cfg->preopens = files;
        cfg->npreopens = 1;
    }
    cfg->deadline_ns = deadline_ns;
    /* Outgoing requests go where allowed_outbound_hosts allows. */
    cfg->outbound_allowed = spin_outbound_hosts_allowed_cb;
    cfg->outbound_self = comp->outbound;
}

static int make_ctx(const spin_component_runtime *comp, const spin_http_request *req,
                    wasi2_ctx **out, util_error **err)
{
    wasi2_config cfg;
    wasi2_preopen files;
    spin_component_wasi2_config(comp, req->deadline_ns, &cfg, &files);
    /* Requests to the app itself are served in-process. */
    cfg.local_request = spin_local_http_request;
    cfg.local_self = (void *)req;
    *out = wasi2_ctx_new(&cfg, err);
    if (!*out)
        return util_error_wrap(err, "component '%s': making its WASI context", comp->id);
    return 0;
}

/* What a trap, exit or limit means for the answer. */
static int guest_failed(const spin_component_runtime *comp, const wasm_result *res,
                        bool instantiating, util_error **err)
{
    if (res->backtrace[0])
        util_log_debug("component '%s': backtrace:\n%s", comp->id, res->backtrace);
    switch (res->kind) {
    case WASM_EXIT:
        util_error_set(err, 0, "the guest exited with code %d", res->exit_code);
        break;
    case WASM_RESOURCE:
        util_error_set(err, 0, "%s: %s%s", instantiating ? "cannot instantiate" : "the guest hit a limit",
                       res->message,
                       comp->max_memory_bytes ? " (SPIN_MAX_INSTANCE_MEMORY)" : "");
        break;
    default:
        util_error_set(err, 0, "%s: %s", instantiating ? "cannot instantiate" : "the guest trapped",
                       res->message);
    }
    return SPIN_EXEC_FAILED;
}

/* The answer, from what the guest did (the run is over). */
static int outcome(const spin_component_runtime *comp, const exchange *x, int rc,
                   bool instantiated, const wasm_result *res, bool cancelled, bool deadline_hit,
                   util_error **err)
{
    bool answered = x->started && x->finished && !x->too_big && !x->error_code;
    if (answered) {
        if (rc < 0) /* Spin has sent the response by then; so do we */
            util_log_warn("component '%s': error after the response was complete: %s", comp->id,
                          res->message);
        return 0;
    }
    if (cancelled)
        return SPIN_EXEC_CANCELLED;
    if (deadline_hit || res->kind == WASM_INTERRUPTED)
        return SPIN_EXEC_TIMED_OUT;
    if (!instantiated || rc < 0)
        return guest_failed(comp, res, !instantiated, err);
    if (x->error_code)
        util_error_set(err, 0, "the guest answered with error-code %s", x->error_code);
    else if (x->too_big)
        util_error_set(err, 0, "the response body exceeds the %zu MiB limit",
                       SPIN_WASI_HTTP_MAX_BODY >> 20);
    else if (!x->started)
        util_error_set(err, 0, "guest failed to produce a response prior to returning");
    else
        util_error_set(err, 0, "the guest dropped the response body without finishing it");
    return SPIN_EXEC_FAILED;
}

/* What became of one call of the guest. */
typedef struct guest_run {
    int rc;            /* wasi2_http_handle's, -1 if it was not called */
    bool instantiated;
    bool cancelled;    /* through the request's job */
    wasm_result res;
} guest_run;

/* A fresh store (memory cap, deadline, in reach of the cancel hook) and
 * instance for one request, its Spin host API context, and the call. */
static void run_in_fresh_instance(const wasi_http_executor *w, const spin_component_runtime *comp,
                                  const spin_http_request *req, wasi2_ctx *ctx,
                                  const wasi2_http_incoming *in, exchange *x, guest_run *run)
{
    wasm_store_config sc = {.max_memory_bytes = comp->max_memory_bytes};
    wasm_store *store = wasm_store_new(&sc);
    if (req->deadline_ns)
        wasm_store_set_deadline(store, req->deadline_ns);
    wasm_result_init(&run->res);
    run->rc = -1;
    run->cancelled = req->job && spin_http_job_on_cancel(req->job, interrupt_store, store) != 0;
    if (run->cancelled) {
        wasm_store_free(store);
        return;
    }
    spinapi_ctx *api = comp->api ? spinapi_ctx_new(comp->api) : NULL;
    if (api) /* SQL and network clients (redis) stop at the request deadline */
        spinapi_ctx_set_deadline(api, req->deadline_ns);
    spin_instance_data data = {.wasi2 = ctx, .api = api};
    uint64_t t0 = util_monotonic_ns();
    component_instance *inst = component_instantiate(comp->pre, store, &data, &run->res);
    if (inst) {
        run->instantiated = true;
        run->rc = wasi2_http_handle(w->handler, inst, in, &responder_ops, x, &run->res);
        component_instance_free(inst);
    }
    util_log_debug("wasi-http: component '%s' ran in %.3f ms", comp->id,
                   (double)(util_monotonic_ns() - t0) / 1e6);
    if (req->job) {
        spin_http_job_clear_cancel(req->job);
        run->cancelled = spin_http_job_cancelled(req->job) != 0;
    }
    wasm_store_free(store);
    spinapi_ctx_free(api);
}

static int wasi_http_handle(void *self, const spin_component_runtime *comp,
                            const spin_http_request *req, const spin_route_match *m,
                            spin_http_response *resp, util_error **err)
{
    wasi_http_executor *w = self;
    wasi2_ctx *ctx = NULL;
    if (make_ctx(comp, req, &ctx, err) < 0)
        return SPIN_EXEC_FAILED;

    const char *host = spin_http_request_header(req, "host");
    spin_default_headers defaults;
    spin_default_headers_compute(req, m, host, &defaults);
    char **names = util_xcalloc(defaults.len + 1, sizeof(*names));
    size_t nfields = 0;
    wasi2_http_field *fields = request_fields(req, &defaults, names, &nfields);
    exchange x = {.body = req->body,
                  .body_len = req->body_len,
                  .body_stream = req->body_stream,
                  .job = req->job,
                  .resp = resp};
    wasi2_http_incoming in = {
        .method = req->method,
        .scheme = "http",
        .authority = host,
        .path_with_query = req->target,
        .headers = fields,
        .nheaders = nfields,
        .body_ops = req->body_stream ? &upload_ops : &request_body_ops,
        .body_self = &x,
    };

    guest_run run = {0};
    run_in_fresh_instance(w, comp, req, ctx, &in, &x, &run);
    bool deadline_hit = wasi2_ctx_deadline_hit(ctx);
    wasi2_ctx_free(ctx);
    int result = outcome(comp, &x, run.rc, run.instantiated, &run.res, run.cancelled,
                         deadline_hit, err);
    if (result != 0)
        spin_http_response_clear(resp);
    if (x.out) { /* unfinished: the client's connection is closed mid-body */
        spin_http_stream_end(x.out, result == 0);
        spin_http_stream_release(x.out);
    }
    free(x.error_code);
    free(fields);
    for (size_t i = 0; i < defaults.len; i++)
        free(names[i]);
    free(names);
    spin_default_headers_free(&defaults);
    return result;
}

static void wasi_http_free(void *self)
{
    wasi_http_executor *w = self;
    if (!w)
        return;
    wasi2_http_handler_free(w->handler);
    free(w);
}

static const spin_http_executor_ops wasi_http_ops = {
    .name = "wasi-http",
    .handle = wasi_http_handle,
    .free = wasi_http_free,
    .streams_body = true,
};

int spin_wasi_http_executor_create(const spin_http_executor_setup *setup,
                                   spin_http_executor_instance *out, util_error **err)
{
    const spin_component_runtime *comp = setup->comp;
    if (!comp->pre)
        return util_error_set(err, 0, "component '%s' is a core module, not a wasi:http component",
                              comp->id);
    wasi2_http_handler *h = wasi2_http_handler_new(comp->wasi2, comp->pre, err);
    if (!h)
        return util_error_wrap(err, "component '%s'", comp->id);
    wasi_http_executor *w = util_xcalloc(1, sizeof(*w));
    w->handler = h;
    out->ops = &wasi_http_ops;
    out->self = w;
    util_log_debug("component '%s': serving %s", comp->id, wasi2_http_handler_interface(h));
    return 0;
}
