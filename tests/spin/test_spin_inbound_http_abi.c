/*
 * test_spin_inbound_http_abi.c - Spin 1's inbound-http records
 * (inbound_http_abi.c) apart from any guest: the request Spin builds, its
 * wit-bindgen 0.2 layout in a fake guest memory, the response read back
 * from a return area (every bad pointer an error, never a read outside
 * memory) and Spin's rules for turning it into an HTTP response.
 */
#include "inbound_http.h"
#include "test.h"

#include <string.h>

/* ---- a fake guest: a bump allocator over a buffer ------------------------ */

typedef struct fake_guest {
    uint8_t mem[4096];
    uint32_t next;
    int allocs;
    int64_t force; /* >= 0: what alloc returns instead */
} fake_guest;

static int64_t fake_alloc(void *arg, uint32_t align, uint32_t size, util_error **err)
{
    fake_guest *g = arg;
    (void)err;
    g->allocs++;
    if (g->force >= 0)
        return g->force;
    uint32_t p = (g->next + align - 1) / align * align;
    g->next = p + size;
    return p;
}

static uint8_t *fake_memory(void *arg, uint64_t *size)
{
    fake_guest *g = arg;
    *size = sizeof(g->mem);
    return g->mem;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static bool guest_string_is(const fake_guest *g, uint32_t ptr, uint32_t len, const char *want)
{
    return len == strlen(want) && ptr + len <= sizeof(g->mem) &&
           memcmp(g->mem + ptr, want, len) == 0;
}

/* ---- the request ----------------------------------------------------------- */

static spin_http_header req_headers[] = {
    {"Host", "example.com:3000"},
    {"X-Custom", "v\xc3\xa9"}, /* UTF-8 */
};

static spin_http_request make_request(const char *method)
{
    static const uint8_t body[] = "ping";
    return (spin_http_request){
        .method = method,
        .target = "/api/x?y=1",
        .path = "/api/x",
        .query = "y=1",
        .headers = req_headers,
        .nheaders = 2,
        .body = body,
        .body_len = 4,
        .client_addr = "127.0.0.1:4000",
    };
}

static spin_route_match make_match(void)
{
    return (spin_route_match){
        .based_route = "/api/...",
        .raw_route = "/api/...",
        .based_route_or_prefix = "/api",
        .raw_route_or_prefix = "/api",
        .path_info = "/x",
    };
}

static const char *header_of(const spin_inbound_request *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static void test_request_has_lowercase_headers_then_spins(void)
{
    spin_http_request req = make_request("PATCH");
    spin_route_match m = make_match();
    spin_inbound_request r;
    util_error *err = NULL;
    CHECK_INT(spin_inbound_request_build(&req, &m, &r, &err), 0);
    CHECK_INT(r.method, SPIN_INBOUND_PATCH);
    CHECK_STR(r.uri, "/api/x?y=1");
    CHECK_STR(r.headers[0].name, "host");
    CHECK_STR(r.headers[1].name, "x-custom");
    CHECK_STR(r.headers[1].value, "v\xc3\xa9");
    CHECK_STR(header_of(&r, "spin-full-url"), "http://example.com:3000/api/x?y=1");
    CHECK_STR(header_of(&r, "spin-path-info"), "/x");
    CHECK_STR(header_of(&r, "spin-matched-route"), "/api/...");
    CHECK_STR(header_of(&r, "spin-component-route"), "/api");
    CHECK_STR(header_of(&r, "spin-raw-component-route"), "/api/...");
    CHECK_STR(header_of(&r, "spin-base-path"), "/");
    CHECK_STR(header_of(&r, "spin-client-addr"), "127.0.0.1:4000");
    CHECK_INT(r.nheaders, 9);
    CHECK_INT(r.body_len, 4);
    spin_inbound_request_free(&r);
}

static void test_request_refuses_other_methods_and_bad_values(void)
{
    spin_route_match m = make_match();
    spin_inbound_request r;
    util_error *err = NULL;
    /* a method outside the enum: Spin's 405 */
    spin_http_request req = make_request("PROPFIND");
    CHECK_INT(spin_inbound_request_build(&req, &m, &r, &err), 1);
    CHECK(err == NULL);
    req = make_request("get"); /* methods are case-sensitive */
    CHECK_INT(spin_inbound_request_build(&req, &m, &r, &err), 1);
    /* a header value that is not UTF-8 fails the request */
    spin_http_header bad[] = {{"Host", "h"}, {"X-Bin", "\xff\xfe"}};
    req = make_request("GET");
    req.headers = bad;
    CHECK_INT(spin_inbound_request_build(&req, &m, &r, &err), -1);
    CHECK_STR(err ? err->msg : NULL, "the value of request header 'X-Bin' is not UTF-8");
    CHECK_INT(r.nheaders, 0);
    util_error_free(&err);
}

static void test_lowering_lays_out_the_flat_parameters(void)
{
    spin_http_request req = make_request("POST");
    spin_route_match m = make_match();
    spin_inbound_request r;
    util_error *err = NULL;
    CHECK_INT(spin_inbound_request_build(&req, &m, &r, &err), 0);
    fake_guest g = {.next = 8, .force = -1};
    spin_inbound_guest access = {fake_alloc, fake_memory, &g};
    uint32_t flat[SPIN_INBOUND_FLAT_PARAMS];
    CHECK_INT(spin_inbound_lower_request(&access, &r, flat, &err), 0);
    CHECK_INT(flat[0], SPIN_INBOUND_POST);
    CHECK(guest_string_is(&g, flat[1], flat[2], "/api/x?y=1"));
    /* headers: (name ptr, name len, value ptr, value len) per tuple */
    CHECK_INT(flat[4], r.nheaders);
    CHECK_INT(flat[3] % 4, 0);
    const uint8_t *t = g.mem + flat[3];
    CHECK(guest_string_is(&g, rd32(t), rd32(t + 4), "host"));
    CHECK(guest_string_is(&g, rd32(t + 8), rd32(t + 12), "example.com:3000"));
    t += 16 * 5; /* 2 client headers, then path-info, full-url, matched-route, base-path */
    CHECK(guest_string_is(&g, rd32(t), rd32(t + 4), "spin-base-path"));
    CHECK(guest_string_is(&g, rd32(t + 8), rd32(t + 12), "/"));
    CHECK_INT(flat[6], 0); /* params: empty */
    CHECK_INT(flat[7], 1); /* body: some */
    CHECK(guest_string_is(&g, flat[8], flat[9], "ping"));
    /* every string and list its own allocation */
    CHECK_INT(g.allocs, 1 + 2 * 9 + 1 + 1);
    spin_inbound_request_free(&r);
}

static void test_lowering_refuses_an_allocation_outside_memory(void)
{
    spin_http_request req = make_request("GET");
    spin_route_match m = make_match();
    spin_inbound_request r;
    util_error *err = NULL;
    CHECK_INT(spin_inbound_request_build(&req, &m, &r, &err), 0);
    fake_guest g = {.force = 4090}; /* "/api/x?y=1" does not fit there */
    spin_inbound_guest access = {fake_alloc, fake_memory, &g};
    uint32_t flat[SPIN_INBOUND_FLAT_PARAMS];
    CHECK_INT(spin_inbound_lower_request(&access, &r, flat, &err), -1);
    CHECK(err && strstr(err->msg, "passing the request to the guest: canonical_abi_realloc "
                                  "returned 4090 for 10 bytes, outside the guest's memory"));
    util_error_free(&err);
    spin_inbound_request_free(&r);
}

/* ---- the response ---------------------------------------------------------- */

/* A good response at 64: 201, headers [("Content-Type","text/plain"),
 * ("x-a","1")], body "hello". */
static void write_response(uint8_t *mem)
{
    memcpy(mem + 200, "Content-Typetext/plainx-a1hello", 31);
    uint8_t *list = mem + 128;
    wr32(list, 200), wr32(list + 4, 12), wr32(list + 8, 212), wr32(list + 12, 10);
    wr32(list + 16, 222), wr32(list + 20, 3), wr32(list + 24, 225), wr32(list + 28, 1);
    uint8_t *rec = mem + 64;
    rec[0] = 201, rec[1] = 0;
    rec[4] = 1, wr32(rec + 8, 128), wr32(rec + 12, 2);
    rec[16] = 1, wr32(rec + 20, 226), wr32(rec + 24, 5);
}

static void test_lifting_reads_the_return_area(void)
{
    uint8_t mem[1024] = {0};
    write_response(mem);
    spin_inbound_response out;
    util_error *err = NULL;
    CHECK_INT(spin_inbound_lift_response(mem, sizeof(mem), 64, &out, &err), 0);
    CHECK_INT(out.status, 201);
    CHECK(out.has_headers);
    CHECK_INT(out.nheaders, 2);
    CHECK_STR(out.headers[0].name, "Content-Type");
    CHECK_STR(out.headers[0].value, "text/plain");
    CHECK_STR(out.headers[1].value, "1");
    CHECK(out.has_body && out.body_len == 5 && memcmp(out.body, "hello", 5) == 0);
    spin_inbound_response_free(&out);

    /* none and none */
    mem[64 + 4] = 0, mem[64 + 16] = 0;
    CHECK_INT(spin_inbound_lift_response(mem, sizeof(mem), 64, &out, &err), 0);
    CHECK(!out.has_headers && !out.has_body && out.nheaders == 0 && out.body == NULL);
    spin_inbound_response_free(&out);
}

/* Lifts with one word of the good response changed; returns the error. */
static char *lift_error(size_t at, uint32_t value, bool byte, uint32_t retptr)
{
    static char msg[512];
    uint8_t mem[1024] = {0};
    write_response(mem);
    if (byte)
        mem[at] = (uint8_t)value;
    else
        wr32(mem + at, value);
    spin_inbound_response out;
    util_error *err = NULL;
    int rc = spin_inbound_lift_response(mem, sizeof(mem), retptr, &out, &err);
    snprintf(msg, sizeof(msg), "%s", rc == 0 ? "lifted" : err ? err->msg : "no message");
    if (rc == 0)
        spin_inbound_response_free(&out);
    util_error_free(&err);
    return msg;
}

static void test_lifting_refuses_every_bad_pointer(void)
{
    CHECK_STR(lift_error(0, 0, true, 1020),
              "the response record: 28 bytes at 1020 lie outside the guest's memory (1024 bytes)");
    CHECK_STR(lift_error(0, 0, true, 0xfffffff0u),
              "the response record: 28 bytes at 4294967280 lie outside the guest's memory "
              "(1024 bytes)");
    CHECK_STR(lift_error(0, 0, true, 66), "the response record: pointer 66 is not aligned to 4");
    CHECK_STR(lift_error(64 + 4, 2, true, 64),
              "response headers: option tag 2 is neither none nor some");
    CHECK_STR(lift_error(64 + 16, 7, true, 64),
              "response body: option tag 7 is neither none nor some");
    CHECK_STR(lift_error(64 + 8, 1000, false, 64),
              "response headers: 32 bytes at 1000 lie outside the guest's memory (1024 bytes)");
    /* a count whose byte size wraps 32 bits is still caught */
    CHECK_STR(lift_error(64 + 12, 0x10000001u, false, 64),
              "response headers: 4294967312 bytes at 128 lie outside the guest's memory "
              "(1024 bytes)");
    CHECK_STR(lift_error(128 + 4, 5000, false, 64),
              "response header 0 name: 5000 bytes at 200 lie outside the guest's memory "
              "(1024 bytes)");
    CHECK_STR(lift_error(128 + 24, 0xffffffffu, false, 64),
              "response header 1 value: 1 bytes at 4294967295 lie outside the guest's memory "
              "(1024 bytes)");
    CHECK_STR(lift_error(200, 0xff, true, 64),
              "response header 0 name is not a UTF-8 string without NUL bytes");
    CHECK_STR(lift_error(64 + 24, 900, false, 64),
              "response body: 900 bytes at 226 lie outside the guest's memory (1024 bytes)");
}

/* ---- Spin's rules -------------------------------------------------------------- */

static spin_inbound_response response_with(uint16_t status, spin_http_header *h, size_t n)
{
    spin_inbound_response r = {.status = status, .has_headers = n > 0, .has_body = true};
    r.headers = util_xcalloc(n + 1, sizeof(*r.headers));
    for (size_t i = 0; i < n; i++) {
        r.headers[i].name = util_xstrdup(h[i].name);
        r.headers[i].value = util_xstrdup(h[i].value);
    }
    r.nheaders = n;
    r.body = (uint8_t *)util_xstrdup("body");
    r.body_len = 4;
    return r;
}

static void test_finish_follows_spin(void)
{
    util_error *err = NULL;
    spin_http_header h[] = {{"Foo", "1"}, {"Content-Type", "text/plain"}, {"foo", "2"}};
    spin_inbound_response r = response_with(202, h, 3);
    spin_http_response resp = {0};
    CHECK_INT(spin_inbound_response_finish(&r, "c", &resp, &err), 0);
    CHECK_INT(resp.status, 202);
    /* lower case; the later foo replaced the earlier */
    CHECK_INT(resp.nheaders, 2);
    CHECK_STR(resp.headers[0].name, "content-type");
    CHECK_STR(resp.headers[1].name, "foo");
    CHECK_STR(resp.headers[1].value, "2");
    CHECK(resp.body.len == 4 && memcmp(resp.body.data, "body", 4) == 0);
    spin_http_response_clear(&resp);
    spin_inbound_response_free(&r);

    /* a status outside 100..600: 500 with nothing else */
    r = response_with(99, h, 1);
    memset(&resp, 0, sizeof(resp));
    CHECK_INT(spin_inbound_response_finish(&r, "c", &resp, &err), 0);
    CHECK_INT(resp.status, 500);
    CHECK_INT(resp.nheaders, 0);
    CHECK_INT(resp.body.len, 0);
    spin_http_response_clear(&resp);
    spin_inbound_response_free(&r);

    /* a name or value HTTP cannot carry fails the request */
    spin_http_header bad_name[] = {{"bad name", "x"}};
    r = response_with(200, bad_name, 1);
    memset(&resp, 0, sizeof(resp));
    CHECK_INT(spin_inbound_response_finish(&r, "c", &resp, &err), -1);
    CHECK_STR(err ? err->msg : NULL, "component 'c': invalid response header name 'bad name'");
    util_error_free(&err);
    spin_http_response_clear(&resp);
    spin_inbound_response_free(&r);
    spin_http_header bad_value[] = {{"x", "a\r\nb"}};
    r = response_with(200, bad_value, 1);
    CHECK_INT(spin_inbound_response_finish(&r, "c", &resp, &err), -1);
    CHECK_STR(err ? err->msg : NULL, "component 'c': invalid value of response header 'x'");
    util_error_free(&err);
    spin_http_response_clear(&resp);
    spin_inbound_response_free(&r);
}

int main(void)
{
    RUN(test_request_has_lowercase_headers_then_spins);
    RUN(test_request_refuses_other_methods_and_bad_values);
    RUN(test_lowering_lays_out_the_flat_parameters);
    RUN(test_lowering_refuses_an_allocation_outside_memory);
    RUN(test_lifting_reads_the_return_area);
    RUN(test_lifting_refuses_every_bad_pointer);
    RUN(test_finish_follows_spin);
    return TEST_SUMMARY();
}
