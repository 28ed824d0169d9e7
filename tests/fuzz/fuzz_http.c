/*
 * fuzz_http.c - the HTTP trigger's parsers of untrusted text: a Wagi
 * guest's CGI output (wagi_compose_response) and request paths against a
 * routing table built from arbitrary route patterns.
 *
 * Input: byte 0 picks the target; for the router, the rest is split at
 * '\n' into route patterns, and the last line is the path.  Invariants:
 * no crash; a response always has a status in 100..999; a match's
 * path_info is empty or starts with '/'.
 */
#include "http_executor.h"
#include "routes.h"

#include <assert.h>
#include <string.h>

static void fuzz_cgi(const uint8_t *data, size_t size)
{
    spin_http_response resp = {0};
    util_error *err = NULL;
    int rc = wagi_compose_response(data, size, &resp, &err);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        fuzz_cgi(data + 1, size - 1);
    else
        fuzz_routes(data + 1, size - 1);
    return 0;
}
