/*
 * test_http_framing.c - request heads RFC 9110/9112 say to refuse (issue
 * #10 item 5): the checker's rules, driven directly.
 */
#include "http_request_check.h"
#include "test.h"

#include <stdio.h>

/* ---- the checker on its own ---------------------------------------------- */

typedef struct {
    const char *method, *target;
    bool http11;
    const char *fields; /* "Name: value\n..." */
    unsigned status;
} head_case;

static unsigned check(const head_case *c, spin_http_verdict *v)
{
    spin_http_field f[16];
    size_t n = 0;
    char *text = util_xstrdup(c->fields);
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && n < 16;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        char *value = colon + 1;
        while (*value == ' ')
            value++;
        f[n++] = (spin_http_field){line, (size_t)(colon - line), value, strlen(value)};
    }
    spin_http_head h = {c->method, c->target, strlen(c->target), c->http11, f, n};
    spin_http_check_head(&h, v);
    free(text);
    return v->status;
}

static void test_checker_rules(void)
{
    static const head_case cases[] = {
        {"GET", "/", true, "Host: h", 0},
        {"OPTIONS", "*", true, "Host: h", 0},
        {"GET", "*", true, "Host: h", 400},
        {"CONNECT", "h:443", true, "Host: h:443", 0},
        {"G\x01T", "/", true, "Host: h", 400},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: chunked, chunked", 400},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: gzip\nTransfer-Encoding: chunked", 501},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: chunked;x=1", 400},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: ,", 400},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: ,chunked", 400},
        {"GET", "/", true, "Host: h\nTransfer-Encoding: Chunked", 0},
        {"GET", "/", false, "Transfer-Encoding: chunked", 400},
        {"GET", "/", true, "Host: h\nContent-Length: 5\nContent-Length: 5", 0},
        {"GET", "/", true, "Host: h\nContent-Length: 5\nContent-Length: 6", 400},
        {"GET", "/", true, "Host: h\nContent-Length: -5", 400},
        {"GET", "/", true, "Host: [::1", 400},
        {"GET", "/", true, "Host: h:", 0},
        {"GET", "/", true, "Host: h:8x", 400},
        {"GET", "/", true, "Host: %zz", 400},
        {"GET", "/", true, "Host: h \t", 0},
        {"GET", "http://h:1/", true, "Host: a b", 0}, /* the Host is ignored then */
        {"GET", "http://[::1]:8080/x", true, "Host: h", 0},
        {"GET", "http", true, "Host: h", 400},
        {"GET", "http:", true, "Host: h", 400},
        {"GET", "http:/", true, "Host: h", 400},
        {"GET", "/", true, "Host: h\nX\x7f: 1", 400},
        {"GET", "/", true, "Host: h\nX: a\x7f", 400},
        {"GET", "/", true, "Host: h\n: 1", 400},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        spin_http_verdict v;
        unsigned got = check(&cases[i], &v);
        if (got != cases[i].status)
            fprintf(stderr, "case %zu (%s %s | %s): %u (%s)\n", i, cases[i].method,
                    cases[i].target, cases[i].fields, got, v.reason);
        CHECK_INT(got, cases[i].status);
        spin_http_verdict_clear(&v);
    }
    spin_http_verdict v;
    head_case abs = {"GET", "http://H.example:80?q=1", true, "Host: x", 0};
    CHECK_INT(check(&abs, &v), 0);
    CHECK_STR(v.origin, "/?q=1");
    CHECK_STR(v.authority, "H.example:80");
    spin_http_verdict_clear(&v);
}

static void test_absolute_form_host_replaces_the_host_headers(void)
{
    spin_http_header *h = util_xcalloc(2, sizeof(*h));
    size_t n = 2;
    h[0] = (spin_http_header){util_xstrdup("host"), util_xstrdup("old")};
    h[1] = (spin_http_header){util_xstrdup("Accept"), util_xstrdup("*/*")};
    spin_http_headers_set_host(&h, &n, "new:1");
    CHECK_INT(n, 2);
    CHECK_STR(h[0].value, "new:1");
    spin_http_headers_set_host(&h, &n, NULL);
    CHECK_STR(h[0].value, "new:1");
    free(h[0].name);
    free(h[0].value);
    h[0] = h[1];
    n = 1;
    spin_http_headers_set_host(&h, &n, "added");
    CHECK_INT(n, 2);
    CHECK_STR(h[1].name, "Host");
    CHECK_STR(h[1].value, "added");
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

int main(void)
{
    RUN(test_checker_rules);
    RUN(test_absolute_form_host_replaces_the_host_headers);
    return TEST_SUMMARY();
}
