/*
 * test_wagi_cgi.c - the Wagi executor's CGI protocol: the environment and
 * argv a request produces, and how program output becomes a response.
 */
#include "http_executor.h"
#include "test.h"

static spin_http_header hdrs[] = {
    {"Host", "example.com:3000"},
    {"Content-Type", "text/plain"},
    {"X-Custom-Thing", "v1"},
    {"Authorization", "secret"},
    {"Connection", "keep-alive"},
};

static spin_http_request make_req(void)
{
    spin_http_request r = {
        .method = "POST",
        .version = "HTTP/1.1",
        .target = "/env/a%20b?x=1&y=2",
        .path = "/env/a%20b",
        .query = "x=1&y=2",
        .headers = hdrs,
        .nheaders = UTIL_ARRAY_LEN(hdrs),
        .body = (const uint8_t *)"hello",
        .body_len = 5,
        .client_ip = "127.0.0.1",
        .client_port = 5555,
        .client_addr = "127.0.0.1:5555",
    };
    return r;
}

static spin_router *router(void)
{
    spin_route_spec specs[] = {{"/env/...", false, "env", 0}, {"/users/:id", false, "users", 1}};
    util_error *err = NULL;
    return spin_router_build(specs, 2, NULL, NULL, &err);
}

static void test_cgi_environment(void)
{
    spin_router *r = router();
    spin_http_request req = make_req();
    spin_route_match m;
    CHECK(spin_router_match(r, req.path, &m));
    util_env env = {0};
    spin_wagi_build_env(&req, &m, "example.com:3000", &env);
    CHECK_STR(util_env_get(&env, "GATEWAY_INTERFACE"), "CGI/1.1");
    CHECK_STR(util_env_get(&env, "SERVER_SOFTWARE"), "WAGI/1");
    CHECK_STR(util_env_get(&env, "SERVER_PROTOCOL"), "HTTP/1.1");
    CHECK_STR(util_env_get(&env, "REQUEST_METHOD"), "POST");
    CHECK_STR(util_env_get(&env, "QUERY_STRING"), "x=1&y=2");
    CHECK_STR(util_env_get(&env, "SCRIPT_NAME"), "/env");
    CHECK_STR(util_env_get(&env, "PATH_INFO"), "/a%20b");
    CHECK_STR(util_env_get(&env, "X_RAW_PATH_INFO"), "/a%20b");
    CHECK_STR(util_env_get(&env, "PATH_TRANSLATED"), "/a b");
    CHECK_STR(util_env_get(&env, "X_FULL_URL"), "http://example.com:3000/env/a%20b?x=1&y=2");
    CHECK_STR(util_env_get(&env, "X_MATCHED_ROUTE"), "/env/...");
    CHECK_STR(util_env_get(&env, "X_COMPONENT_ROUTE"), "/env");
    CHECK_STR(util_env_get(&env, "X_RAW_COMPONENT_ROUTE"), "/env/...");
    CHECK_STR(util_env_get(&env, "X_BASE_PATH"), "/");
    CHECK_STR(util_env_get(&env, "X_CLIENT_ADDR"), "127.0.0.1:5555");
    CHECK_STR(util_env_get(&env, "REMOTE_ADDR"), "127.0.0.1");
    CHECK_STR(util_env_get(&env, "REMOTE_HOST"), "127.0.0.1");
    CHECK_STR(util_env_get(&env, "SERVER_NAME"), "example.com");
    CHECK_STR(util_env_get(&env, "SERVER_PORT"), "3000");
    CHECK_STR(util_env_get(&env, "CONTENT_LENGTH"), "5");
    CHECK_STR(util_env_get(&env, "CONTENT_TYPE"), "text/plain");
    CHECK_STR(util_env_get(&env, "HTTP_X_CUSTOM_THING"), "v1");
    CHECK_STR(util_env_get(&env, "HTTP_HOST"), "example.com:3000");
    CHECK(util_env_get(&env, "HTTP_AUTHORIZATION") == NULL);
    CHECK(util_env_get(&env, "HTTP_CONNECTION") == NULL);
    util_env_free(&env);
    spin_route_match_clear(&m);

    /* Named segments become X_PATH_MATCH_<NAME>; no Host port -> 80. */
    req.path = "/users/42";
    req.target = "/users/42";
    req.query = NULL;
    CHECK(spin_router_match(r, req.path, &m));
    spin_wagi_build_env(&req, &m, "example.com", &env);
    CHECK_STR(util_env_get(&env, "X_PATH_MATCH_ID"), "42");
    CHECK_STR(util_env_get(&env, "SERVER_PORT"), "80");
    CHECK_STR(util_env_get(&env, "QUERY_STRING"), "");
    CHECK_STR(util_env_get(&env, "PATH_INFO"), "");
    CHECK_STR(util_env_get(&env, "SCRIPT_NAME"), "/users/:id");
    util_env_free(&env);
    spin_route_match_clear(&m);
    spin_router_free(r);
}

static void test_argv_from_template(void)
{
    spin_http_request req = make_req();
    size_t argc = 0;
    char **argv = spin_wagi_build_argv(NULL, &req, &argc);
    CHECK_INT(argc, 3);
    CHECK_STR(argv[0], "/env/a%20b");
    CHECK_STR(argv[1], "x=1");
    CHECK_STR(argv[2], "y=2");
    spin_wagi_free_argv(argv);

    /* No query: ${ARGS} is empty, leaving an empty last argument as Spin does. */
    req.query = NULL;
    argv = spin_wagi_build_argv(NULL, &req, &argc);
    CHECK_INT(argc, 2);
    CHECK_STR(argv[1], "");
    spin_wagi_free_argv(argv);

    argv = spin_wagi_build_argv("prog --path ${SCRIPT_NAME}", &req, &argc);
    CHECK_INT(argc, 3);
    CHECK_STR(argv[0], "prog");
    CHECK_STR(argv[2], "/env/a%20b");
    spin_wagi_free_argv(argv);
}

static const char *header(const spin_http_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static int compose(const char *out, spin_http_response *r)
{
    util_error *err = NULL;
    memset(r, 0, sizeof(*r));
    int rc = spin_wagi_compose_response((const uint8_t *)out, strlen(out), r, &err);
    util_error_free(&err);
    return rc;
}

static void test_output_to_response(void)
{
    spin_http_response r;
    CHECK_INT(compose("Content-Type: text/plain\nX-Extra: 1\n\nHello\nWorld\n", &r), 0);
    CHECK_INT(r.status, 200);
    CHECK_STR(header(&r, "content-type"), "text/plain");
    CHECK_STR(header(&r, "x-extra"), "1");
    CHECK_STR(r.body.data, "Hello\nWorld\n");
    spin_http_response_clear(&r);

    /* CRLF line ends in the header block; body bytes untouched. */
    CHECK_INT(compose("Content-Type: text/html\r\n\r\nA\r\nB", &r), 0);
    CHECK_STR(header(&r, "content-type"), "text/html");
    CHECK_STR(r.body.data, "A\r\nB");
    spin_http_response_clear(&r);

    CHECK_INT(compose("Status: 404 Not Found\n\n", &r), 0);
    CHECK_INT(r.status, 404);
    CHECK_INT(r.body.len, 0);
    spin_http_response_clear(&r);

    CHECK_INT(compose("Location: /hello\n\n", &r), 0);
    CHECK_INT(r.status, 302);
    CHECK_STR(header(&r, "location"), "/hello");
    spin_http_response_clear(&r);

    CHECK_INT(compose("Status: 301\nLocation: /x\n\n", &r), 0);
    CHECK_INT(r.status, 301);
    spin_http_response_clear(&r);
    CHECK_INT(compose("Location: /x\nStatus: 307\n\n", &r), 0);
    CHECK_INT(r.status, 307);
    spin_http_response_clear(&r);

    CHECK_INT(compose("Status: abc\n\n", &r), 0);
    CHECK_INT(r.status, 502);
    spin_http_response_clear(&r);
}

static void test_malformed_output_is_500(void)
{
    spin_http_response r;
    /* No blank line: no headers at all. */
    CHECK_INT(compose("just some text\n", &r), 0);
    CHECK_INT(r.status, 500);
    CHECK(r.body.data && strstr(r.body.data, "'location' or 'content-type'") != NULL);
    spin_http_response_clear(&r);
    /* Headers, but none that makes a response. */
    CHECK_INT(compose("X-Only: 1\n\nbody", &r), 0);
    CHECK_INT(r.status, 500);
    spin_http_response_clear(&r);
    /* Nothing written at all is an executor error. */
    util_error *err = NULL;
    memset(&r, 0, sizeof(r));
    CHECK_INT(spin_wagi_compose_response((const uint8_t *)"", 0, &r, &err), -1);
    CHECK(err && strstr(err->msg, "did not write to stdout") != NULL);
    util_error_free(&err);
    spin_http_response_clear(&r);
}

static void test_default_headers_spellings(void)
{
    spin_router *r = router();
    spin_http_request req = make_req();
    spin_route_match m;
    CHECK(spin_router_match(r, req.path, &m));
    spin_default_headers dh;
    spin_default_headers_compute(&req, &m, "h:1", &dh);
    bool seen_full = false, seen_info = false;
    for (size_t i = 0; i < dh.len; i++) {
        if (strcmp(dh.items[i].header_name, "spin-full-url") == 0) {
            seen_full = true;
            CHECK_STR(dh.items[i].value, "http://h:1/env/a%20b?x=1&y=2");
        }
        if (strcmp(dh.items[i].header_name, "spin-path-info") == 0) {
            seen_info = true;
            CHECK_STR(dh.items[i].cgi_name, "PATH_INFO");
        }
    }
    CHECK(seen_full && seen_info);
    spin_default_headers_free(&dh);
    spin_route_match_clear(&m);
    spin_router_free(r);
}

int main(void)
{
    RUN(test_cgi_environment);
    RUN(test_argv_from_template);
    RUN(test_output_to_response);
    RUN(test_malformed_output_is_500);
    RUN(test_default_headers_spellings);
    return TEST_SUMMARY();
}
