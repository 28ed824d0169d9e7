/*
 * trailers_app.c - a wasi:http component that ends its response body with
 * trailers (outgoing-body.finish with some(trailers)), for
 * tests/spin/test_up_trailers.py.  C against the canonical ABI, like
 * tests/spinapi/guests (whose http_guest.h it shares).
 *
 * By path:
 *   /body            "hello\n" then the trailers x-checksum: abc123,
 *                    x-count: 2 and content-length: 99 (a framing field,
 *                    which the server leaves out)
 *   /no-body         no byte of body, only the trailers
 *   /content-length  a declared Content-Length: 6 with the same body and
 *                    trailers (a body that is not chunked has no trailer
 *                    section)
 *   /                "hello\n" and finish without trailers
 *   anything else    as /body
 */
/* The shared header defines helpers not every component uses. */
#pragma clang diagnostic ignored "-Wunused-function"
#include "../../spinapi/guests/http_guest.h"

HTTP("[method]incoming-request.path-with-query") void req_path(int32_t req, void *ret);
HTTP("[method]fields.append")
void fields_append(int32_t f, const char *name, size_t name_len, const void *value,
                   size_t value_len, void *ret);

static int same(const char *a, size_t n, const char *b)
{
    size_t m = cstrlen(b);
    if (n != m)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static void add_field(int32_t fields, const char *name, const char *value)
{
    _Alignas(8) uint8_t ret[32];
    fields_append(fields, name, cstrlen(name), value, cstrlen(value), ret);
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle"))) void
handle(int32_t req, int32_t outparam)
{
    struct {
        uint8_t tag;
        const char *ptr;
        size_t len;
    } path;
    req_path(req, &path);
    req_drop(req);
    int with_trailers = path.tag && !same(path.ptr, path.len, "/");
    int body_bytes = !(path.tag && same(path.ptr, path.len, "/no-body"));
    int declared = path.tag && same(path.ptr, path.len, "/content-length");

    _Alignas(8) uint8_t ret[64];
    int32_t headers = fields_new();
    add_field(headers, "content-type", "text/plain");
    if (declared)
        add_field(headers, "content-length", "6");
    int32_t resp = response_new(headers);
    struct handle_result body, stream;
    response_body(resp, &body);
    body_write(body.handle, &stream);
    outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
    if (body_bytes)
        stream_write(stream.handle, "hello\n", 6, ret);
    stream_drop(stream.handle);
    if (!with_trailers) {
        body_finish(body.handle, 0, 0, ret);
        return;
    }
    int32_t trailers = fields_new();
    add_field(trailers, "x-checksum", "abc123");
    add_field(trailers, "x-count", "2");
    add_field(trailers, "content-length", "99");
    body_finish(body.handle, 1, trailers, ret);
}
