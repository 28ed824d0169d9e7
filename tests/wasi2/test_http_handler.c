/*
 * test_http_handler.c - the handler door end to end: real HTTP components
 * of the corpus and small WAT components for the corners, each called
 * through wasi2_http_handle with a responder that collects what reaches
 * it (status, headers, body bytes, finish / error, the body stream's
 * close) and a request body source that records whether it was closed.
 */
#include "http_host.h"
#include "test.h"
#include "wasm.h"

#include <signal.h>

/* ---- a responder that collects -------------------------------------------- */

typedef struct collected {
    int starts, finishes, errors, closes;
    uint16_t status;
    char headers[1024]; /* "name: value\n" ... */
    char trailers[256];
    char error[256];
    util_buf body;
    bool refuse; /* start returns -1 */
} collected;

static void fields_text(char *out, size_t cap, const wasi2_http_field *f, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s: %.*s\n", f[i].name,
                                (int)f[i].value_len, (const char *)f[i].value);
}

static ssize_t c_check_write(void *self)
{
    return 4096;
}

static ssize_t c_write(void *self, const void *buf, size_t len)
{
    collected *c = self;
    if (buf)
        util_buf_append(&c->body, buf, len);
    return 0;
}

static void c_close(void *self)
{
    ((collected *)self)->closes++;
}

static const wasi2_stream_ops collect_ops = {
    .name = "collector", .check_write = c_check_write, .write = c_write, .close = c_close};

static int c_start(void *self, uint16_t status, const wasi2_http_field *headers, size_t n,
                   const wasi2_stream_ops **body_ops, void **body_self)
{
    collected *c = self;
    c->starts++;
    c->status = status;
    fields_text(c->headers, sizeof(c->headers), headers, n);
    if (c->refuse)
        return -1;
    *body_ops = &collect_ops;
    *body_self = c;
    return 0;
}

static void c_finish(void *self, const wasi2_http_field *trailers, size_t n)
{
    collected *c = self;
    c->finishes++;
    fields_text(c->trailers, sizeof(c->trailers), trailers, n);
}

static void c_error(void *self, const char *code)
{
    collected *c = self;
    c->errors++;
    snprintf(c->error, sizeof(c->error), "%s", code);
}

static const wasi2_http_responder_ops collector = {c_start, c_finish, c_error};

/* ---- a request body source -------------------------------------------------- */

typedef struct source {
    const char *data;
    size_t off;
    int closes;
} source;

static ssize_t s_read(void *self, void *buf, size_t len)
{
    source *s = self;
    size_t left = strlen(s->data) - s->off;
    if (left == 0)
        return WASI2_STREAM_CLOSED;
    size_t n = len < left ? len : left;
    memcpy(buf, s->data + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

static void s_close(void *self)
{
    ((source *)self)->closes++;
}

static const wasi2_stream_ops source_ops = {.name = "src", .read = s_read, .close = s_close};

/* ---- running a component ------------------------------------------------------ */

typedef struct app {
    wasi2_ctx *ctx;
    component_linker *l;
    const wasi2_registration *reg;
    component_pre *pre;
    wasi2_http_handler *handler;
    char error[512];
} app;

static bool app_load(app *a, const char *path)
{
    memset(a, 0, sizeof(*a));
    wasi2_config c;
    wasi2_config_init(&c);
    c.stdin_fd = c.stdout_fd = c.stderr_fd = -1;
    util_error *err = NULL;
    a->ctx = wasi2_ctx_new(&c, &err);
    a->l = component_linker_new();
    if (a->ctx == NULL || wasi2_define_reg(a->l, NULL, &a->reg, &err) < 0)
        abort();
    char *data = NULL;
    size_t len = 0;
    if (util_read_file(path, &data, &len, &err) == 0)
        a->pre = component_pre_new_take((uint8_t *)data, len, a->l, &err);
    if (a->pre)
        a->handler = wasi2_http_handler_new(a->reg, a->pre, &err);
    if (err) {
        snprintf(a->error, sizeof(a->error), "%s", err->msg);
        util_error_free(&err);
    }
    return a->handler != NULL;
}

static void app_free(app *a)
{
    wasi2_http_handler_free(a->handler);
    component_pre_free(a->pre);
    component_linker_free(a->l);
    wasi2_ctx_free(a->ctx);
}

/* One request on a fresh instance; returns wasi2_http_handle's result. */
static int app_handle(app *a, const wasi2_http_incoming *req, collected *c, wasm_result *res)
{
    wasm_store *store = wasm_store_new(NULL);
    component_instance *inst = component_instantiate(a->pre, store, a->ctx, res);
    int rc = -1;
    if (inst) {
        rc = wasi2_http_handle(a->handler, inst, req, &collector, c, res);
        component_instance_free(inst);
    }
    wasm_store_free(store);
    return rc;
}

static const wasi2_http_incoming get_req = {.method = "GET", .scheme = "http",
                                            .authority = "localhost:3000",
                                            .path_with_query = "/hello?x=1"};

#define REAL(name) COMPONENTS_DIR "/real/" name
#define WAT(name) WASM_DIR "/" name ".wasm"

/* ---- real components ------------------------------------------------------------- */

static void test_c_http(void)
{
    app a;
    CHECK(app_load(&a, REAL("c-http.wasm")));
    if (a.handler == NULL) {
        fprintf(stderr, "  %s\n", a.error);
        app_free(&a);
        return;
    }
    CHECK_STR(wasi2_http_handler_interface(a.handler), "wasi:http/incoming-handler@0.2.0");
    for (int i = 0; i < 2; i++) {
        collected c = {0};
        wasm_result res;
        wasi2_http_incoming req = get_req;
        req.method = i ? "PROPFIND" : "GET";
        CHECK_INT(app_handle(&a, &req, &c, &res), 0);
        CHECK_INT(c.starts, 1);
        CHECK_INT(c.status, 200);
        CHECK(strstr(c.headers, "content-type: text/plain\n") != NULL);
        CHECK(strstr(c.headers, "x-wasm-lang: C\n") != NULL);
        CHECK_STR(c.body.data ? c.body.data : "",
                  i ? "hello from C wasi:http\nmethod: PROPFIND\npath: /hello?x=1\n"
                    : "hello from C wasi:http\nmethod: GET\npath: /hello?x=1\n");
        CHECK_INT(c.finishes, 1);
        CHECK_INT(c.closes, 1);
        CHECK_INT(c.errors, 0);
        util_buf_free(&c.body);
    }
    app_free(&a);
}

static void test_runwasi_hello(void)
{
    app a;
    CHECK(app_load(&a, REAL("gh-runwasi-hello_wasi_http.rust.wasm")));
    if (a.handler == NULL) {
        fprintf(stderr, "  %s\n", a.error);
        app_free(&a);
        return;
    }
    collected c = {0};
    wasm_result res;
    source src = {.data = "ignored body"};
    wasi2_http_incoming req = get_req;
    req.body_ops = &source_ops;
    req.body_self = &src;
    CHECK_INT(app_handle(&a, &req, &c, &res), 0);
    CHECK_INT(c.status, 200);
    CHECK_STR(c.body.data ? c.body.data : "",
              "Hello, this is your first wasi:http/proxy world!\n");
    CHECK_INT(c.finishes, 1);
    CHECK_INT(c.closes, 1);
    CHECK_INT(src.closes, 1); /* never read: closed when the call ended */
    util_buf_free(&c.body);
    app_free(&a);
}

/* A component without the export: the error names what it exports. */
static void test_no_handler_export(void)
{
    app a;
    CHECK(!app_load(&a, REAL("c-hello-cmd.wasm")));
    CHECK(strstr(a.error, "exports no wasi:http/incoming-handler") != NULL);
    CHECK(strstr(a.error, "wasi:cli/run@0.2.12") != NULL);
    app_free(&a);
}

/* Two exports of the interface: ambiguous, refused, naming both. */
static void test_two_handler_exports(void)
{
    app a;
    CHECK(!app_load(&a, WAT("wasi2_http_two_handlers")));
    CHECK(strstr(a.error, "exports wasi:http/incoming-handler 2 times") != NULL);
    CHECK(strstr(a.error, "wasi:http/incoming-handler@0.2.0, wasi:http/incoming-handler@0.2.3") !=
          NULL);
    if (a.error[0])
        fprintf(stderr, "  (expected) %s\n", a.error);
    app_free(&a);
}

/* ---- the corners (wat/http_corners.wat) --------------------------------------------- */

/* One request to the corners component at path `path` (body: src). */
static int corner_with(const char *path, source *src, collected *c, wasm_result *res)
{
    app a;
    if (!app_load(&a, WAT("wasi2_http_corners"))) {
        fprintf(stderr, "  %s\n", a.error);
        app_free(&a);
        return -2;
    }
    wasi2_http_incoming req = get_req;
    req.path_with_query = path;
    if (src) {
        req.body_ops = &source_ops;
        req.body_self = src;
    }
    int rc = app_handle(&a, &req, c, res);
    if (rc < 0)
        fprintf(stderr, "  %s: %s\n", path, res->message);
    app_free(&a);
    return rc;
}

static int corner(const char *path, collected *c, wasm_result *res)
{
    return corner_with(path, NULL, c, res);
}

/* The request body read to its end (3 bytes at a time), its trailers
 * future: some(ok(ok(none))) once, then some(err). */
static void test_request_body_echo(void)
{
    collected c = {0};
    wasm_result res;
    source src = {.data = "a request body of some length"};
    CHECK_INT(corner_with("/r", &src, &c, &res), 0);
    CHECK_STR(c.body.data ? c.body.data : "", "a request body of some length");
    CHECK_INT(c.finishes, 1);
    CHECK_INT(src.closes, 1);
    util_buf_free(&c.body);
}

static void test_content_length_exact(void)
{
    collected c = {0};
    wasm_result res;
    CHECK_INT(corner("/x", &c, &res), 0);
    CHECK_INT(c.status, 200);
    CHECK_STR(c.headers, "content-length: 5\n");
    CHECK_STR(c.body.data ? c.body.data : "", "hello");
    CHECK_INT(c.finishes, 1);
    CHECK_INT(c.closes, 1);
    util_buf_free(&c.body);
}

/* Fewer bytes than content-length: finish is HTTP-response-body-size (the
 * guest traps otherwise) and the responder sees the body abandoned. */
static void test_body_shorter_than_content_length(void)
{
    collected c = {0};
    wasm_result res;
    CHECK_INT(corner("/s", &c, &res), 0);
    CHECK_INT(c.starts, 1);
    CHECK_STR(c.body.data ? c.body.data : "", "hi");
    CHECK_INT(c.finishes, 0);
    CHECK_INT(c.closes, 1);
    util_buf_free(&c.body);
}

/* More bytes than content-length: the write fails (http-error-code says
 * HTTP-response-body-size), none of it reaches the responder, finish fails. */
static void test_body_longer_than_content_length(void)
{
    collected c = {0};
    wasm_result res;
    CHECK_INT(corner("/l", &c, &res), 0);
    CHECK_INT(c.starts, 1);
    CHECK_STR(c.body.data ? c.body.data : "", "");
    CHECK_INT(c.finishes, 0);
    CHECK_INT(c.closes, 1);
    util_buf_free(&c.body);
}

/* Never set, and the request never dropped: the responder is untouched,
 * and the body source is closed when the call ends, before the instance
 * (which still holds the request) is freed. */
static void test_outparam_never_set(void)
{
    app a;
    CHECK(app_load(&a, WAT("wasi2_http_corners")));
    if (a.handler == NULL) {
        app_free(&a);
        return;
    }
    collected c = {0};
    source src = {.data = "unread"};
    wasi2_http_incoming req = get_req;
    req.path_with_query = "/n";
    req.body_ops = &source_ops;
    req.body_self = &src;
    wasm_result res;
    wasm_store *store = wasm_store_new(NULL);
    component_instance *inst = component_instantiate(a.pre, store, a.ctx, &res);
    CHECK(inst != NULL);
    if (inst) {
        CHECK_INT(wasi2_http_handle(a.handler, inst, &req, &collector, &c, &res), 0);
        CHECK_INT(src.closes, 1);
        component_instance_free(inst);
    }
    CHECK_INT(src.closes, 1);
    CHECK_INT(c.starts + c.errors + c.finishes + c.closes, 0);
    wasm_store_free(store);
    app_free(&a);
}

static void test_set_with_error_code(void)
{
    collected c = {0};
    wasm_result res;
    CHECK_INT(corner("/e", &c, &res), 0);
    CHECK_INT(c.starts, 0);
    CHECK_INT(c.errors, 1);
    CHECK_STR(c.error, "internal-error: boom");
}

static void test_body_dropped_unfinished(void)
{
    collected c = {0};
    wasm_result res;
    CHECK_INT(corner("/d", &c, &res), 0);
    CHECK_INT(c.starts, 1);
    CHECK_STR(c.body.data ? c.body.data : "", "partial");
    CHECK_INT(c.finishes, 0);
    CHECK_INT(c.closes, 1);
    util_buf_free(&c.body);
}

static void test_trailers(void)
{
    collected c = {0};
    wasm_result res;
    CHECK_INT(corner("/t", &c, &res), 0);
    CHECK_STR(c.body.data ? c.body.data : "", "x");
    CHECK_INT(c.finishes, 1);
    CHECK_STR(c.trailers, "x-trailer: done\n");
    CHECK_INT(c.closes, 1);
    util_buf_free(&c.body);
}

/* Written and finished before set: the bytes wait for the responder. */
static void test_body_before_set(void)
{
    collected c = {0};
    wasm_result res;
    CHECK_INT(corner("/w", &c, &res), 0);
    CHECK_INT(c.starts, 1);
    CHECK_STR(c.body.data ? c.body.data : "", "early");
    CHECK_INT(c.finishes, 1);
    CHECK_INT(c.closes, 1);
    util_buf_free(&c.body);
}

/* No body() at all: an empty body, finished. */
static void test_response_without_body(void)
{
    collected c = {0};
    wasm_result res;
    CHECK_INT(corner("/2", &c, &res), 0);
    CHECK_INT(c.status, 201);
    CHECK_INT(c.body.len, 0);
    CHECK_INT(c.finishes, 1);
    CHECK_INT(c.closes, 1);
}

/* A responder that refuses start: the guest's writes fail, nothing is
 * called after, nothing crashes. */
static void test_responder_refuses(void)
{
    collected c = {.refuse = true};
    wasm_result res;
    /* the guest traps: its write must succeed on /x */
    CHECK_INT(corner("/x", &c, &res), -1);
    CHECK_INT(c.starts, 1);
    CHECK_INT(c.finishes + c.closes, 0);
    /* written and finished before set: the refusal loses the body, the
     * guest's calls all succeeded */
    collected w = {.refuse = true};
    CHECK_INT(corner("/w", &w, &res), 0);
    CHECK_INT(w.starts, 1);
    CHECK_INT(w.finishes + w.closes + w.errors, 0);
    CHECK_INT(w.body.len, 0);
}

/* ---- the pre-release names (wat/http_rc1018.wat) -------------------------------------- */

static void test_rc1018_handler(void)
{
    app a;
    CHECK(app_load(&a, WAT("wasi2_http_rc1018")));
    if (a.handler == NULL) {
        fprintf(stderr, "  %s\n", a.error);
        app_free(&a);
        return;
    }
    CHECK_STR(wasi2_http_handler_interface(a.handler),
              "wasi:http/incoming-handler@0.2.0-rc-2023-10-18");
    collected c = {0};
    wasm_result res;
    CHECK_INT(app_handle(&a, &get_req, &c, &res), 0);
    CHECK_INT(c.status, 202);
    CHECK_STR(c.headers, "x-rc: 1018\n");
    CHECK_STR(c.body.data ? c.body.data : "", "rc body");
    CHECK_INT(c.finishes, 1);
    CHECK_INT(c.closes, 1);
    util_buf_free(&c.body);
    /* the old error variant reaches the responder as internal-error */
    collected e = {0};
    wasi2_http_incoming req = get_req;
    req.path_with_query = "/err";
    CHECK_INT(app_handle(&a, &req, &e, &res), 0);
    CHECK_INT(e.errors, 1);
    CHECK_STR(e.error, "internal-error: protocol error: bad");
    app_free(&a);
}

static void test_rc1110_handler(void)
{
    app a;
    CHECK(app_load(&a, WAT("wasi2_http_rc1110")));
    if (a.handler == NULL) {
        fprintf(stderr, "  %s\n", a.error);
        app_free(&a);
        return;
    }
    CHECK_STR(wasi2_http_handler_interface(a.handler),
              "wasi:http/incoming-handler@0.2.0-rc-2023-11-10");
    collected c = {0};
    wasm_result res;
    CHECK_INT(app_handle(&a, &get_req, &c, &res), 0);
    CHECK_INT(c.status, 203);
    CHECK_STR(c.headers, "x-rc: 1110\n");
    CHECK_STR(c.body.data ? c.body.data : "", "rc2 body");
    CHECK_INT(c.finishes, 1);
    CHECK_INT(c.closes, 1);
    util_buf_free(&c.body);
    app_free(&a);
}

/* ---- the body pipe's permits, at the stream layer ----------------------------
 *
 * A sink that takes 16 bytes per check-write: smaller than what the pipe
 * allowed before it was attached. */

typedef struct narrow_sink {
    util_buf got;
    bool ended, finished;
} narrow_sink;

static ssize_t narrow_check_write(void *self)
{
    return 16;
}

static ssize_t narrow_write(void *self, const void *buf, size_t len)
{
    CHECK(len <= 16); /* the pipe keeps to this sink's permit */
    util_buf_append(&((narrow_sink *)self)->got, buf, len);
    return 0;
}

static void narrow_close(void *self)
{
}

static void narrow_end(void *self, bool finished, const wasi2_http_fields *trailers)
{
    narrow_sink *n = self;
    n->ended = true;
    n->finished = finished;
}

static const wasi2_stream_ops narrow_ops = {
    .name = "narrow", .check_write = narrow_check_write, .write = narrow_write,
    .close = narrow_close};

/* StarlingMonkey's error response: outgoing-body.write, then write
 * without check-write (wasmtime's body channel takes it), then set; and
 * a guest's check-write before set, spent after set in one write larger
 * than the sink's permit.  A write beyond what the stream takes still
 * traps, and other streams keep the strict rule. */
static void test_body_pipe_permits(void)
{
    static const char msg[] = "ERROR: no fetch-event handler triggered, was one registered?";
    char big[100];
    memset(big, 'x', sizeof(big));
    wasi2_http_outgoing_body *b = wasi2_http_outgoing_body_new(-1, false);
    wasi2_stream *s = b->stream;
    int errnum = 0;
    uint64_t permit = 0;
    CHECK_INT(wasi2_stream_write(s, msg, 60, &errnum), WASI2_IO_OK);
    CHECK_INT(wasi2_stream_check_write(s, &permit, &errnum), WASI2_IO_OK);
    CHECK(permit >= sizeof(big));
    narrow_sink n = {0};
    wasi2_http_outgoing_body_attach(s, &narrow_ops, &n, (wasi2_http_body_sink){narrow_end, &n},
                                    WASI2_WAIT_FOREVER);
    CHECK_INT(wasi2_stream_write(s, big, sizeof(big), &errnum), WASI2_IO_OK);
    CHECK(n.got.len == 160 && memcmp(n.got.data, msg, 60) == 0 &&
          memcmp(n.got.data + 60, big, sizeof(big)) == 0);
    /* now the pipe's permit is the sink's: 17 bytes do not fit */
    CHECK_INT(wasi2_stream_check_write(s, &permit, &errnum), WASI2_IO_OK);
    CHECK_INT(permit, 16);
    CHECK_INT(wasi2_stream_write(s, big, 17, &errnum), WASI2_IO_TRAP);
    CHECK_INT(wasi2_stream_write(s, big, 16, &errnum), WASI2_IO_OK);
    uint64_t written;
    CHECK_INT(wasi2_http_outgoing_body_end(b, true, NULL, &written), -1);
    CHECK(n.ended && n.finished && written == 176);
    wasi2_http_outgoing_body_free(b);
    free(n.got.data);
    /* a stream without a standing permit: no check-write, no write */
    wasi2_stream *plain = wasi2_stream_new(&narrow_ops, &n);
    CHECK_INT(wasi2_stream_write(plain, "x", 1, &errnum), WASI2_IO_TRAP);
    wasi2_stream_release(plain);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_c_http);
    RUN(test_runwasi_hello);
    RUN(test_no_handler_export);
    RUN(test_two_handler_exports);
    RUN(test_content_length_exact);
    RUN(test_request_body_echo);
    RUN(test_body_shorter_than_content_length);
    RUN(test_body_longer_than_content_length);
    RUN(test_outparam_never_set);
    RUN(test_set_with_error_code);
    RUN(test_body_dropped_unfinished);
    RUN(test_trailers);
    RUN(test_body_before_set);
    RUN(test_response_without_body);
    RUN(test_responder_refuses);
    RUN(test_rc1018_handler);
    RUN(test_rc1110_handler);
    RUN(test_body_pipe_permits);
    return TEST_SUMMARY();
}
