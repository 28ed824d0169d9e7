/*
 * http_hello.c - a wasi:http component written straight against the
 * canonical ABI: no libc, no bindings generator, no preview-1 adapter.
 *
 * Why by hand: it is the smallest complete wasi:http handler there can be
 * (one core module, a dozen imports), so the example app shows what a
 * component costs when nothing but the handler is in it, and it is built
 * with nothing but Debian's clang and jco (`jco embed` adds the WIT world,
 * `jco new` wraps the module into a component).
 *
 * Every import below is a canonical-ABI lowering of a wasi:http or wasi:io
 * function: resources are i32 handles, results that do not fit in one
 * core value come back through a pointer to a return area, and strings the
 * host returns are placed in our memory through cabi_realloc (a bump
 * allocator: an instance serves one request and is thrown away).
 *
 * The answer: 200, text/plain, "Hello from a wasi:http component in C!"
 * followed by the request's method and path.
 */
#include <stddef.h>
#include <stdint.h>

#define HTTP(name) __attribute__((import_module("wasi:http/types@0.2.12"), import_name(name)))
#define IO(name) __attribute__((import_module("wasi:io/streams@0.2.12"), import_name(name)))

HTTP("[method]incoming-request.method") void req_method(int32_t req, void *ret);
HTTP("[method]incoming-request.path-with-query") void req_path(int32_t req, void *ret);
HTTP("[resource-drop]incoming-request") void req_drop(int32_t req);
HTTP("[constructor]fields") int32_t fields_new(void);
HTTP("[method]fields.append")
void fields_append(int32_t f, const char *name, size_t name_len, const void *value,
                   size_t value_len, void *ret);
HTTP("[constructor]outgoing-response") int32_t response_new(int32_t headers);
HTTP("[method]outgoing-response.body") void response_body(int32_t resp, void *ret);
HTTP("[method]outgoing-body.write") void body_write(int32_t body, void *ret);
HTTP("[static]outgoing-body.finish")
void body_finish(int32_t body, int32_t has_trailers, int32_t trailers, void *ret);
/* response: result<own<outgoing-response>, error-code>, flattened: the
 * case, then the joined flattening of the handle and error-code's cases
 * (i32, i32, i64, four i32). */
HTTP("[static]response-outparam.set")
void outparam_set(int32_t param, int32_t is_err, int32_t a, int32_t b, int64_t c, int32_t d,
                  int32_t e, int32_t f, int32_t g);
IO("[method]output-stream.blocking-write-and-flush")
void stream_write(int32_t s, const void *buf, size_t len, void *ret);
IO("[resource-drop]output-stream") void stream_drop(int32_t s);

static _Alignas(16) uint8_t heap[64 * 1024];
static size_t heap_used;

__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t old_size,
                                                                size_t align, size_t size)
{
    (void)old;
    (void)old_size;
    size_t at = (heap_used + align - 1) & ~(align - 1);
    if (at + size > sizeof heap)
        __builtin_trap();
    heap_used = at + size;
    return heap + at;
}

/* Method names in wasi:http's variant order; case 9 is other(string). */
static const char *const methods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                      "CONNECT", "OPTIONS", "TRACE", "PATCH"};

static char text[2048];
static size_t text_len;

static void append(const char *s, size_t n)
{
    for (size_t i = 0; i < n && text_len < sizeof text; i++)
        text[text_len++] = s[i];
}

static void append_str(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    append(s, n);
}

/* A result<own<T>> in a return area: the case byte, then the handle. */
struct handle_result {
    uint8_t is_err;
    int32_t handle;
};

static void describe_request(int32_t req)
{
    struct {
        uint8_t tag;
        const char *ptr;
        size_t len;
    } method, path;
    req_method(req, &method);
    req_path(req, &path);
    append_str("Hello from a wasi:http component in C!\nmethod: ");
    if (method.tag < 9)
        append_str(methods[method.tag]);
    else
        append(method.ptr, method.len);
    append_str("\npath: ");
    if (path.tag)
        append(path.ptr, path.len);
    append_str("\n");
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle"))) void
handle(int32_t req, int32_t outparam)
{
    describe_request(req);
    req_drop(req);

    _Alignas(8) uint8_t ret[64];
    int32_t headers = fields_new();
    static const char ctype[] = "text/plain";
    fields_append(headers, "content-type", 12, ctype, sizeof ctype - 1, ret);
    int32_t resp = response_new(headers);

    struct handle_result body, stream;
    response_body(resp, &body);
    body_write(body.handle, &stream);
    outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);

    stream_write(stream.handle, text, text_len, ret);
    stream_drop(stream.handle);
    body_finish(body.handle, 0, 0, ret);
}
