/*
 * fuzz_http.c - the HTTP trigger's parsers of untrusted text: a Wagi
 * guest's CGI output (spin_wagi_compose_response), request paths against a
 * routing table built from arbitrary route patterns, and the request-head
 * checker (spin_http_check_head).
 *
 * Input: byte 0 picks the target (modulo 3); for the router, the rest is
 * split at '\n' into route patterns, and the last line is the path; for
 * the head checker, the first line is "METHOD TARGET" (split at the first
 * space; byte 1 says HTTP/1.0 or 1.1) and each further line is a field,
 * split at its first ':'.  Invariants: no crash; a response always has a
 * status in 100..999; a match's path_info is empty or starts with '/'; a
 * head is refused with 400 or 501 and a printable reason, or accepted and
 * then has a token method, a target of visible ASCII in origin, absolute,
 * authority or asterisk form (absolute form rewritten to a path and an
 * authority), token field names, no control bytes in values, at most one
 * Host (exactly one in HTTP/1.1) and at most one framing.
 */
#include "http_executor.h"
#include "http_request_check.h"
#include "routes.h"

#include <assert.h>
#include <string.h>
#include <strings.h>

static void fuzz_cgi(const uint8_t *data, size_t size)
{
    spin_http_response resp = {0};
    util_error *err = NULL;
    int rc = spin_wagi_compose_response(data, size, &resp, &err);
    assert(rc == 0 || (rc == -1 && size == 0));
    if (rc == 0)
        assert(resp.status >= 100 && resp.status <= 999);
    util_error_free(&err);
    spin_http_response_clear(&resp);
}

static void fuzz_routes(const uint8_t *data, size_t size)
{
    char *text = util_xstrndup((const char *)data, size);
    spin_route_spec specs[16];
    size_t n = 0;
    char *save = NULL, *last = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (last && n < 16) {
            specs[n] = (spin_route_spec){last, last[0] == '!', "k", n};
            n++;
        }
        last = line;
    }
    util_error *err = NULL;
    spin_router *r = spin_router_build(specs, n, NULL, NULL, &err);
    if (r && last) {
        spin_route_match m;
        if (spin_router_match(r, last, &m)) {
            assert(m.target < n);
            assert(m.path_info[0] == '\0' || m.path_info[0] == '/');
            spin_route_match_clear(&m);
        }
    }
    spin_router_free(r);
    util_error_free(&err);
    free(text);
}

static size_t count_fields(const spin_http_head *h, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < h->nfields; i++)
        n += h->fields[i].name_len == strlen(name) &&
             strncasecmp(h->fields[i].name, name, h->fields[i].name_len) == 0;
    return n;
}

static void assert_acceptable(const spin_http_head *h, const spin_http_verdict *v)
{
    for (const char *m = h->method; *m; m++)
        assert(spin_http_token_char((unsigned char)*m));
    assert(h->method[0] != '\0');
    for (size_t i = 0; i < h->target_len; i++)
        assert(h->target[i] > 0x20 && h->target[i] < 0x7f && h->target[i] != '#');
    assert((v->origin == NULL) == (v->authority == NULL));
    if (v->origin)
        assert(v->origin[0] == '/' && v->authority[0] != '\0');
    for (size_t i = 0; i < h->nfields; i++) {
        const spin_http_field *f = &h->fields[i];
        assert(f->name_len > 0);
        for (size_t j = 0; j < f->name_len; j++)
            assert(spin_http_token_char((unsigned char)f->name[j]));
        for (size_t j = 0; j < f->value_len; j++) {
            unsigned char c = (unsigned char)f->value[j];
            assert((c >= 0x20 || c == '\t') && c != 0x7f);
        }
    }
    size_t hosts = count_fields(h, "Host");
    assert(hosts <= 1 && (hosts == 1 || !h->http11));
    size_t te = count_fields(h, "Transfer-Encoding");
    assert(te <= 1 && (te == 0 || count_fields(h, "Content-Length") == 0));
}

static void fuzz_head(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    bool http11 = data[0] & 1;
    /* Exactly the input's bytes, no terminator: ASan sees any over-read. */
    size_t len = size - 1;
    char *text = util_xmalloc(len ? len : 1);
    memcpy(text, data + 1, len);
    spin_http_field fields[32];
    size_t nfields = 0;
    char *line_end = memchr(text, '\n', len);
    size_t first_len = line_end ? (size_t)(line_end - text) : len;
    char *space = memchr(text, ' ', first_len);
    size_t method_len = space ? (size_t)(space - text) : first_len;
    char *method = util_xstrndup(text, method_len); /* a C string: cut at a NUL */
    const char *target = space ? space + 1 : "";
    size_t target_len = space ? first_len - method_len - 1 : 0;
    for (char *p = line_end ? line_end + 1 : NULL; p && p < text + len && nfields < 32;) {
        char *end = memchr(p, '\n', (size_t)(text + len - p));
        size_t n = end ? (size_t)(end - p) : (size_t)(text + len - p);
        char *colon = memchr(p, ':', n);
        if (colon) {
            char *value = colon + 1;
            while (value < p + n && (*value == ' ' || *value == '\t'))
                value++;
            fields[nfields++] = (spin_http_field){p, (size_t)(colon - p), value,
                                                  (size_t)(p + n - value)};
        }
        p = end ? end + 1 : NULL;
    }
    spin_http_head h = {method, target, target_len, http11, fields, nfields};
    spin_http_verdict v;
    spin_http_check_head(&h, &v);
    if (v.status == 0) {
        assert_acceptable(&h, &v);
    } else {
        assert(v.status == 400 || v.status == 501);
        assert(v.reason[0] != '\0' && !v.origin && !v.authority);
        for (const char *r = v.reason; *r; r++)
            assert(*r >= 0x20 && *r < 0x7f);
    }
    spin_http_verdict_clear(&v);
    free(method);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0: fuzz_routes(data + 1, size - 1); break;
    case 1: fuzz_cgi(data + 1, size - 1); break;
    default: fuzz_head(data + 1, size - 1); break;
    }
    return 0;
}
