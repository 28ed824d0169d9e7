/*
 * inbound_http_abi.c - Spin 1's inbound-http records: building the request
 * Spin hands a guest, moving it into guest memory the way wit-bindgen 0.2
 * expects, and reading the response back with every pointer checked.
 *
 * The layouts are the canonical ABI's for http-types.wit: a string or
 * list is (ptr, len) of i32s, a tuple<string, string> is 16 bytes aligned
 * to 4, option<T> is a u8 tag then T at T's alignment.  The export takes
 * the request flattened into ten i32s and returns a pointer to a return
 * area holding the response record (28 bytes, aligned to 4).
 *
 * Reading a response trusts nothing the guest wrote: a guest is as able to
 * return a wild pointer as a good one, and the answer to that is a 500 with
 * a message saying which field was bad, never a read outside its memory.
 * What Spin's executor does with the record (spin.rs in trigger-http) is
 * here too, so the core-module and the component paths cannot differ.
 */
#include "http_request_check.h"
#include "inbound_http.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* ---- the request ------------------------------------------------------- */

static int method_of(const char *m)
{
    static const char *const names[] = {"GET",   "POST", "PUT",    "DELETE",
                                        "PATCH", "HEAD", "OPTIONS"};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(names); i++)
        if (strcmp(m, names[i]) == 0)
            return (int)i;
    return -1;
}

static bool valid_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* overlong forms, surrogates and what lies past U+10FFFF */
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

static void add_header(spin_inbound_request *r, char *name, char *value)
{
    r->headers = util_xrealloc(r->headers, (r->nheaders + 1) * sizeof(*r->headers));
    r->headers[r->nheaders].name = name;
    r->headers[r->nheaders].value = value;
    r->nheaders++;
}

int spin_inbound_request_build(const spin_http_request *req, const spin_route_match *m,
                               spin_inbound_request *out, util_error **err)
{
    *out = (spin_inbound_request){0};
    int method = method_of(req->method);
    if (method < 0)
        return 1;
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *v = req->headers[i].value;
        if (!valid_utf8((const uint8_t *)v, strlen(v))) {
            spin_inbound_request_free(out);
            return util_error_set(err, 0, "the value of request header '%s' is not UTF-8",
                                  req->headers[i].name);
        }
        /* Spin passes the names as its HTTP library spells them: lower case. */
        char *name = util_xstrdup(req->headers[i].name);
        for (char *p = name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        add_header(out, name, util_xstrdup(v));
    }
    spin_default_headers defaults;
    spin_default_headers_compute(req, m, spin_http_request_header(req, "host"), &defaults);
    for (size_t i = 0; i < defaults.len; i++) {
        add_header(out, defaults.items[i].header_name, defaults.items[i].value);
        defaults.items[i].header_name = defaults.items[i].value = NULL;
    }
    spin_default_headers_free(&defaults);
    out->method = (spin_inbound_method)method;
    out->uri = req->target;
    out->body = req->body;
    out->body_len = req->body_len;
    return 0;
}

void spin_inbound_request_free(spin_inbound_request *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    *r = (spin_inbound_request){0};
}

/* ---- lowering ------------------------------------------------------------ */

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Room for `size` bytes in the guest, checked against its memory: the
 * guest's allocator is guest code and may answer anything. */
static int64_t guest_alloc(const spin_inbound_guest *g, uint32_t align, uint64_t size,
                           util_error **err)
{
    if (size == 0)
        return align; /* nothing to hold: any aligned address, as wit-bindgen uses */
    if (size > UINT32_MAX)
        return util_error_set(err, 0, "the request does not fit in 32-bit guest memory");
    int64_t ptr = g->alloc(g->arg, align, (uint32_t)size, err);
    if (ptr < 0)
        return -1;
    uint64_t mem_size = 0;
    g->memory(g->arg, &mem_size);
    if ((uint64_t)ptr % align != 0 || (uint64_t)ptr + size > mem_size)
        return util_error_set(err, 0,
                              "canonical_abi_realloc returned %lld for %llu bytes, outside the "
                              "guest's memory (%llu bytes) or misaligned",
                              (long long)ptr, (unsigned long long)size,
                              (unsigned long long)mem_size);
    return ptr;
}

/* Copies `len` bytes into a fresh guest allocation; its address in *ptr. */
static int lower_bytes(const spin_inbound_guest *g, const void *data, size_t len, uint32_t *ptr,
                       util_error **err)
{
    int64_t at = guest_alloc(g, 1, len, err);
    if (at < 0)
        return -1;
    if (len > 0) {
        uint64_t size;
        memcpy(g->memory(g->arg, &size) + at, data, len);
    }
    *ptr = (uint32_t)at;
    return 0;
}

static int lower_headers(const spin_inbound_guest *g, const spin_inbound_request *r,
                         uint32_t *ptr, util_error **err)
{
    /* The strings first: each allocation may move memory, so the tuple
     * array is written only once every address is known. */
    size_t n = r->nheaders;
    uint32_t *addrs = util_xcalloc(n ? 2 * n : 1, sizeof(*addrs));
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = lower_bytes(g, r->headers[i].name, strlen(r->headers[i].name), &addrs[2 * i], err);
        if (rc == 0)
            rc = lower_bytes(g, r->headers[i].value, strlen(r->headers[i].value),
                             &addrs[2 * i + 1], err);
    }
    int64_t list = rc == 0 ? guest_alloc(g, 4, (uint64_t)n * 16, err) : -1;
    if (list >= 0) {
        uint64_t size;
        uint8_t *mem = g->memory(g->arg, &size);
        for (size_t i = 0; i < n; i++) {
            uint8_t *t = mem + list + 16 * i;
            put_u32(t, addrs[2 * i]);
            put_u32(t + 4, (uint32_t)strlen(r->headers[i].name));
            put_u32(t + 8, addrs[2 * i + 1]);
            put_u32(t + 12, (uint32_t)strlen(r->headers[i].value));
        }
        *ptr = (uint32_t)list;
    }
    free(addrs);
    return list < 0 ? -1 : 0;
}

int spin_inbound_lower_request(const spin_inbound_guest *g, const spin_inbound_request *r,
                               uint32_t flat[SPIN_INBOUND_FLAT_PARAMS], util_error **err)
{
    uint32_t uri = 0, headers = 0, body = 0;
    if (lower_bytes(g, r->uri, strlen(r->uri), &uri, err) < 0 ||
        lower_headers(g, r, &headers, err) < 0 ||
        lower_bytes(g, r->body, r->body_len, &body, err) < 0)
        return util_error_wrap(err, "passing the request to the guest");
    uint32_t v[SPIN_INBOUND_FLAT_PARAMS] = {
        (uint32_t)r->method,
        uri, (uint32_t)strlen(r->uri),
        headers, (uint32_t)r->nheaders,
        4, 0, /* params: always empty */
        1, body, (uint32_t)r->body_len, /* body: some(bytes) */
    };
    memcpy(flat, v, sizeof(v));
    return 0;
}

/* ---- lifting ------------------------------------------------------------- */

#define RESPONSE_SIZE 28

/* [ptr, ptr + count * elem) inside memory and aligned, or an error naming
 * `what`. */
static int check_range(uint64_t size, uint32_t ptr, uint32_t count, uint32_t elem,
                       uint32_t align, const char *what, util_error **err)
{
    uint64_t bytes = (uint64_t)count * elem;
    if (ptr % align != 0)
        return util_error_set(err, 0, "%s: pointer %u is not aligned to %u", what, ptr, align);
    if ((uint64_t)ptr + bytes > size)
        return util_error_set(err, 0,
                              "%s: %llu bytes at %u lie outside the guest's memory (%llu bytes)",
                              what, (unsigned long long)bytes, ptr, (unsigned long long)size);
    return 0;
}

static int lift_string(const uint8_t *mem, uint64_t size, const uint8_t *at, const char *what,
                       size_t index, char **out, util_error **err)
{
    uint32_t ptr = get_u32(at), len = get_u32(at + 4);
    cleanup_free char *name = util_xasprintf("response header %zu %s", index, what);
    if (check_range(size, ptr, len, 1, 1, name, err) < 0)
        return -1;
    if (!valid_utf8(mem + ptr, len) || memchr(mem + ptr, 0, len))
        return util_error_set(err, 0, "%s is not a UTF-8 string without NUL bytes", name);
    *out = util_xstrndup((const char *)mem + ptr, len);
    return 0;
}

static int option_tag(uint8_t tag, const char *what, util_error **err)
{
    if (tag > 1)
        return util_error_set(err, 0, "response %s: option tag %u is neither none nor some",
                              what, tag);
    return tag;
}

static int lift_headers(const uint8_t *mem, uint64_t size, const uint8_t *rec,
                        spin_inbound_response *out, util_error **err)
{
    uint32_t ptr = get_u32(rec + 8), n = get_u32(rec + 12);
    if (check_range(size, ptr, n, 16, 4, "response headers", err) < 0)
        return -1;
    out->headers = util_xcalloc(n ? n : 1, sizeof(*out->headers));
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *t = mem + ptr + 16 * (uint64_t)i;
        if (lift_string(mem, size, t, "name", i, &out->headers[i].name, err) < 0 ||
            lift_string(mem, size, t + 8, "value", i, &out->headers[i].value, err) < 0)
            return -1;
        out->nheaders = i + 1;
    }
    return 0;
}

int spin_inbound_lift_response(const uint8_t *mem, uint64_t size, uint32_t retptr,
                               spin_inbound_response *out, util_error **err)
{
    *out = (spin_inbound_response){0};
    if (check_range(size, retptr, 1, RESPONSE_SIZE, 4, "the response record", err) < 0)
        return -1;
    const uint8_t *rec = mem + retptr;
    out->status = (uint16_t)(rec[0] | rec[1] << 8);
    int has_headers = option_tag(rec[4], "headers", err);
    int has_body = has_headers < 0 ? -1 : option_tag(rec[16], "body", err);
    if (has_body < 0)
        return -1;
    out->has_headers = has_headers;
    if (has_headers && lift_headers(mem, size, rec, out, err) < 0) {
        spin_inbound_response_free(out);
        return -1;
    }
    out->has_body = has_body;
    if (has_body) {
        uint32_t ptr = get_u32(rec + 20), len = get_u32(rec + 24);
        if (check_range(size, ptr, len, 1, 1, "response body", err) < 0) {
            spin_inbound_response_free(out);
            return -1;
        }
        out->body = util_xmalloc(len ? len : 1);
        memcpy(out->body, mem + ptr, len);
        out->body_len = len;
    }
    return 0;
}

void spin_inbound_response_free(spin_inbound_response *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    *r = (spin_inbound_response){0};
}

/* ---- Spin's rules for the response --------------------------------------- */

/* What an HTTP header value may hold here: visible ASCII, space and tab
 * (the bytes Spin's HTTP library accepts from a string). */
static bool valid_value(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p != '\t' && (*p < 0x20 || *p > 0x7e))
            return false;
    return true;
}

static bool valid_name(const char *n)
{
    if (!*n)
        return false;
    for (const unsigned char *p = (const unsigned char *)n; *p; p++)
        if (!spin_http_token_char(*p))
            return false;
    return true;
}

/* A header replaces any earlier one of the same name (Spin inserts). */
static void insert_header(spin_http_response *resp, const char *name, const char *value)
{
    size_t kept = 0;
    for (size_t i = 0; i < resp->nheaders; i++) {
        if (strcasecmp(resp->headers[i].name, name) == 0) {
            free(resp->headers[i].name);
            free(resp->headers[i].value);
        } else {
            resp->headers[kept++] = resp->headers[i];
        }
    }
    resp->nheaders = kept;
    spin_http_response_add_header(resp, name, value);
}

int spin_inbound_response_finish(spin_inbound_response *r, const char *component,
                                 spin_http_response *resp, util_error **err)
{
    if (r->status < 100 || r->status > 600) {
        util_log_error("component '%s': malformed HTTP status code %u", component, r->status);
        resp->status = 500;
        return 0;
    }
    for (size_t i = 0; i < r->nheaders; i++) {
        const spin_http_header *h = &r->headers[i];
        if (!valid_name(h->name))
            return util_error_set(err, 0, "component '%s': invalid response header name '%s'",
                                  component, h->name);
        if (!valid_value(h->value))
            return util_error_set(err, 0,
                                  "component '%s': invalid value of response header '%s'",
                                  component, h->name);
    }
    resp->status = r->status;
    for (size_t i = 0; i < r->nheaders; i++) {
        /* lower case, as Spin's header map spells every name */
        cleanup_free char *name = util_xstrdup(r->headers[i].name);
        for (char *p = name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        insert_header(resp, name, r->headers[i].value);
    }
    if (r->has_body && r->body_len > 0)
        util_buf_append(&resp->body, r->body, r->body_len);
    return 0;
}
