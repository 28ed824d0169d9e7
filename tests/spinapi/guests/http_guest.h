/*
 * http_guest.h - the wasi:http half of this directory's test components,
 * written straight against the canonical ABI like examples/http-hello:
 * each component builds a text in `text` (append / append_num) and
 * respond() sends it as a 200 text/plain answer.  A bump allocator is the
 * component's cabi_realloc: an instance serves one request.
 */
#ifndef TESTS_SPINAPI_GUESTS_HTTP_GUEST_H
#define TESTS_SPINAPI_GUESTS_HTTP_GUEST_H

#include <stddef.h>
#include <stdint.h>

#define HTTP(name) __attribute__((import_module("wasi:http/types@0.2.12"), import_name(name)))
#define IO(name) __attribute__((import_module("wasi:io/streams@0.2.12"), import_name(name)))

HTTP("[resource-drop]incoming-request") void req_drop(int32_t req);
HTTP("[constructor]fields") int32_t fields_new(void);
HTTP("[constructor]outgoing-response") int32_t response_new(int32_t headers);
HTTP("[method]outgoing-response.body") void response_body(int32_t resp, void *ret);
HTTP("[method]outgoing-body.write") void body_write(int32_t body, void *ret);
HTTP("[static]outgoing-body.finish")
void body_finish(int32_t body, int32_t has_trailers, int32_t trailers, void *ret);
HTTP("[static]response-outparam.set")
void outparam_set(int32_t param, int32_t is_err, int32_t a, int32_t b, int64_t c, int32_t d,
                  int32_t e, int32_t f, int32_t g);
IO("[method]output-stream.blocking-write-and-flush")
void stream_write(int32_t s, const void *buf, size_t len, void *ret);
IO("[resource-drop]output-stream") void stream_drop(int32_t s);

static _Alignas(16) uint8_t heap[256 * 1024];
static size_t heap_used;

__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t old_size,
                                                                size_t align, size_t size)
{
    (void)old, (void)old_size;
    size_t at = (heap_used + align - 1) & ~(align - 1);
    if (at + size > sizeof heap)
        __builtin_trap();
    heap_used = at + size;
    return heap + at;
}

static char text[4096];
static size_t text_len;

static size_t cstrlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void append(const void *s, size_t n)
{
    for (size_t i = 0; i < n && text_len < sizeof text; i++)
        text[text_len++] = ((const char *)s)[i];
}

static void append_str(const char *s)
{
    append(s, cstrlen(s));
}

static void append_num(int64_t v)
{
    char buf[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        buf[sizeof buf - 1 - n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        buf[sizeof buf - 1 - n++] = '-';
    append(buf + sizeof buf - n, n);
}

/* A result<own<T>> in a return area: the case byte, then the handle. */
struct handle_result {
    uint8_t is_err;
    int32_t handle;
};

/* Answers 200 text/plain with `text`. */
static void respond(int32_t outparam)
{
    _Alignas(8) uint8_t ret[64];
    int32_t resp = response_new(fields_new());
    struct handle_result body, stream;
    response_body(resp, &body);
    body_write(body.handle, &stream);
    outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
    stream_write(stream.handle, text, text_len, ret);
    stream_drop(stream.handle);
    body_finish(body.handle, 0, 0, ret);
}

/* A string-carrying error variant as the host lowered it. */
struct error_string {
    uint8_t tag;
    const char *ptr;
    size_t len;
};

#define VARS(name) __attribute__((import_module("fermyon:spin/variables@2.0.0"), import_name(name)))
VARS("get") void var_get(const char *name, size_t len, void *ret);

/* The Spin variable `name` (in the component's memory); "" if unset. */
static const char *variable(const char *name, size_t *len)
{
    struct {
        uint8_t is_err;
        union {
            struct {
                const char *ptr;
                size_t len;
            } ok;
            struct error_string err;
        } u;
    } r;
    var_get(name, cstrlen(name), &r);
    *len = r.is_err ? 0 : r.u.ok.len;
    return r.is_err ? "" : r.u.ok.ptr;
}

#endif
