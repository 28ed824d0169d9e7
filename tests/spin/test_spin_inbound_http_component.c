/*
 * test_spin_inbound_http_component.c - a component exporting Spin 1's
 * fermyon:spin/inbound-http (wat/spin_inbound_http_component.wat) served by
 * the "http" executor: the request record reaches it as component values
 * (method as the enum, uri, the client's headers plus Spin's, the body) and
 * its response record becomes the HTTP response under Spin's rules; a trap
 * is an executor error and the next request still works.
 */
#include "component.h"
#include "http_executor.h"
#include "test.h"

#include <string.h>

static spin_http_header headers[] = {{"Host", "localhost:3000"}, {"X-One", "1"}};

static spin_http_request request(const char *method, const char *target, const char *body)
{
    return (spin_http_request){
        .method = method,
        .target = target,
        .path = target,
        .headers = headers,
        .nheaders = 2,
        .body = (const uint8_t *)body,
        .body_len = strlen(body),
        .client_addr = "127.0.0.1:5000",
    };
}

static const char *header(const spin_http_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static void test_component_answers_from_the_request(void)
{
    util_error *err = NULL;
    cleanup_free char *bytes = NULL;
    size_t len = 0;
    CHECK_INT(util_read_file(COMPONENT_WASM, &bytes, &len, &err), 0);
    component_linker *l = component_linker_new();
    component_pre *pre = component_pre_new((const uint8_t *)bytes, len, l, &err);
    CHECK(pre != NULL);
    if (!pre) {
        fprintf(stderr, "%s\n", err->msg);
        util_error_free(&err);
        component_linker_free(l);
        return;
    }
    spin_component_runtime comp = {.id = "c", .pre = pre, .stdout_fd = -1, .stderr_fd = -1};
    spin_http_executor_setup setup = {.comp = &comp};
    spin_http_executor_instance exec = {0};
    CHECK_INT(spin_http_executor_create("http", &setup, &exec, &err), 0);
    spin_route_match m = {.based_route = "/...", .raw_route = "/...", .raw_route_or_prefix = "/",
                          .based_route_or_prefix = "/", .path_info = "/a"};

    /* POST (enum index 1) -> 201; two client headers + seven of Spin's */
    spin_http_request req = request("POST", "/a?b=c", "payload");
    spin_http_response resp = {0};
    CHECK_INT(exec.ops->handle(exec.self, &comp, &req, &m, &resp, &err), 0);
    CHECK_INT(resp.status, 201);
    CHECK_STR(header(&resp, "x-uri"), "/a?b=c");
    CHECK_STR(header(&resp, "x-count"), "9");
    CHECK(resp.body.len == 7 && memcmp(resp.body.data, "payload", 7) == 0);
    spin_http_response_clear(&resp);

    /* a trap is an executor error naming it; the next request is served */
    req = request("GET", "/trap", "");
    memset(&resp, 0, sizeof(resp));
    CHECK_INT(exec.ops->handle(exec.self, &comp, &req, &m, &resp, &err), SPIN_EXEC_FAILED);
    CHECK_STR(err ? err->msg : NULL, "component 'c': the guest trapped: unreachable");
    util_error_free(&err);
    spin_http_response_clear(&resp);

    /* OPTIONS (6) -> 206, an empty body comes back as none */
    req = request("OPTIONS", "/x", "");
    memset(&resp, 0, sizeof(resp));
    CHECK_INT(exec.ops->handle(exec.self, &comp, &req, &m, &resp, &err), 0);
    CHECK_INT(resp.status, 206);
    CHECK_INT(resp.body.len, 0);
    spin_http_response_clear(&resp);

    /* a method outside the enum never reaches the guest */
    req = request("TRACE", "/x", "");
    memset(&resp, 0, sizeof(resp));
    CHECK_INT(exec.ops->handle(exec.self, &comp, &req, &m, &resp, &err), 0);
    CHECK_INT(resp.status, 405);
    spin_http_response_clear(&resp);

    exec.ops->free(exec.self);
    component_pre_free(pre);
    component_linker_free(l);
}

int main(void)
{
    RUN(test_component_answers_from_the_request);
    return TEST_SUMMARY();
}
