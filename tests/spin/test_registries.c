/*
 * test_registries.c - the trigger and executor registries of the Spin host
 * (app_internal.h, http_executor.h): an app naming a trigger type or an
 * executor type nobody handles is refused with the type and what is
 * supported; a trigger type or an executor registered by this test binary
 * is found by the loader, gets the app's entries, and (the executor) answers
 * a routed request of a running app.
 */
#include "app_internal.h"
#include "spin.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* An empty core module: valid, exports nothing. */
static const char empty_module[] = "\0asm\x01\0\0\0";

static char *make_app(const char *triggers)
{
    char tmpl[] = "/tmp/spin-registries-XXXXXX";
    char *dir = util_xstrdup(mkdtemp(tmpl));
    cleanup_free char *wasm = util_xasprintf("%s/m.wasm", dir);
    util_error *err = NULL;
    CHECK(util_write_file_atomic(wasm, empty_module, 8, 0644, &err) == 0);
    cleanup_free char *toml = util_xasprintf("spin_manifest_version = 2\n"
                                             "[application]\nname = \"reg\"\n%s"
                                             "[component.c]\nsource = \"m.wasm\"\n",
                                             triggers);
    cleanup_free char *path = util_xasprintf("%s/spin.toml", dir);
    CHECK(util_write_file_atomic(path, toml, strlen(toml), 0644, &err) == 0);
    util_error_free(&err);
    return dir;
}

static void remove_app(char *dir)
{
    cleanup_free char *cmd = util_xasprintf("rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    free(dir);
}

/* The error spin_app_check gives for the app (NULL if it passes). */
static char *check_error(const char *dir)
{
    spin_run_options opts;
    spin_run_options_init(&opts);
    opts.app_path = dir;
    util_error *err = NULL;
    if (spin_app_check(&opts, &err) == 0)
        return NULL;
    char *msg = util_xstrdup(err ? err->msg : "(no message)");
    util_error_free(&err);
    return msg;
}

static const char sqs_trigger[] = "[[trigger.sqs]]\nqueue_url = \"q\"\ncomponent = \"c\"\n";
static const char cron_trigger[] = "[[trigger.cron]]\ncron_expression = \"* * *\"\n"
                                   "component = \"c\"\n";

static void test_unknown_trigger_type_names_it_and_the_supported_ones(void)
{
    char *dir = make_app(sqs_trigger);
    cleanup_free char *msg = check_error(dir);
    CHECK(msg && strstr(msg, "trigger type 'sqs' is not supported by this host yet "
                             "(supported: 'http', 'command', 'redis')"));
    remove_app(dir);
}

/* ---- a trigger type of this test ------------------------------------------ */

typedef struct fake_trigger {
    size_t n;
    char ids[4][64];
    char components[4][64];
    bool component_compiled;
} fake_trigger;

static fake_trigger last_fake;

static int fake_load(spin_loaded_app *app, const spin_locked_trigger *const *entries, size_t n,
                     void **self, util_error **err)
{
    fake_trigger *f = util_xcalloc(1, sizeof(*f));
    *self = f;
    for (size_t i = 0; i < n && i < 4; i++) {
        snprintf(f->ids[i], sizeof(f->ids[i]), "%s", entries[i]->id);
        const char *component = spin_trigger_component(entries[i]);
        snprintf(f->components[i], sizeof(f->components[i]), "%s", component);
        spin_component_runtime *rt = spin_app_component(app, component, err);
        if (!rt)
            return -1;
        f->component_compiled = rt->module != NULL;
    }
    f->n = n;
    last_fake = *f;
    return 0;
}

static int fake_start(void *self, util_buf *banner, util_error **err)
{
    (void)self;
    (void)err;
    util_buf_printf(banner, "redis: listening\n");
    return 0;
}

static bool fake_stop(void *self)
{
    (void)self;
    return true;
}

static void fake_free(void *self)
{
    free(self);
}

static const spin_trigger_ops fake_redis = {
    .type = "redis", .load = fake_load, .start = fake_start, .stop = fake_stop, .free = fake_free};

static void test_registered_trigger_type_loads_its_entries(void)
{
    util_error *err = NULL;
    CHECK(spin_trigger_register(&fake_redis, &err) == 0);
    char *dir = make_app("[[trigger.redis]]\nid = \"first\"\nchannel = \"a\"\ncomponent = \"c\"\n"
                         "[[trigger.http]]\nroute = \"/s\"\n"
                         "static_response = { body = \"s\" }\n"
                         "[[trigger.redis]]\nid = \"second\"\nchannel = \"b\"\ncomponent = \"c\"\n");
    memset(&last_fake, 0, sizeof(last_fake));
    cleanup_free char *msg = check_error(dir);
    CHECK_STR(msg ? msg : "passed", "passed");
    /* Both redis triggers, in manifest order, with their component ready. */
    CHECK_INT(last_fake.n, 2);
    CHECK_STR(last_fake.ids[0], "first");
    CHECK_STR(last_fake.ids[1], "second");
    CHECK_STR(last_fake.components[1], "c");
    CHECK(last_fake.component_compiled);
    remove_app(dir);

    /* Another unknown type is refused, naming every supported one. */
    dir = make_app(cron_trigger);
    cleanup_free char *cron = check_error(dir);
    CHECK(cron && strstr(cron, "trigger type 'cron' is not supported by this host yet "
                               "(supported: 'http', 'command', 'redis')"));
    remove_app(dir);
    util_error_free(&err);
}

/* ---- executors ------------------------------------------------------------- */

static const char http_route[] = "[[trigger.http]]\nroute = \"/hello/...\"\ncomponent = \"c\"\n";

static void test_unsupported_executor_type_names_what_runs(void)
{
    /* The default executor (Spin HTTP) follows the exports: a Wagi
     * module has no handler it knows. */
    char *dir = make_app(http_route);
    cleanup_free char *msg = check_error(dir);
    CHECK(msg && strstr(msg, "component 'c': Expected component to export one of "
                             "`wasi:http/incoming-handler@0.2.0-rc-2023-10-18`"));
    remove_app(dir);

    /* A type the host knows of but does not run. */
    spin_component_runtime comp = {.id = "c"};
    spin_http_executor_setup setup = {.comp = &comp};
    spin_http_executor_instance inst = {0};
    util_error *err = NULL;
    CHECK_INT(spin_http_executor_create("wasip3-unstable", &setup, &inst, &err), -1);
    CHECK_STR(err ? err->msg : NULL,
              "component 'c' uses the WASIp3 HTTP executor (wasip3-unstable), which this host "
              "does not support yet; only executor = { type = \"wagi\" }, { type = \"http\" } "
              "runs");
    util_error_free(&err);

    /* A type the host has never heard of (a newer locked app). */
    CHECK_INT(spin_http_executor_create("wasip9", &setup, &inst, &err), -1);
    CHECK_STR(err ? err->msg : NULL, "component 'c': executor type 'wasip9' is unknown to this "
                                     "host; only executor = { type = \"wagi\" }, "
                                     "{ type = \"http\" } runs");
    CHECK(inst.ops == NULL);
    util_error_free(&err);
}

/* Answers with what the trigger handed it: component, route and path info. */
static int echo_handle(void *self, const spin_component_runtime *comp,
                       const spin_http_request *req, const spin_route_match *m,
                       spin_http_response *resp, util_error **err)
{
    (void)err;
    resp->status = 201;
    spin_http_response_add_header(resp, "x-executor", self);
    util_buf_printf(&resp->body, "component=%s route=%s path_info=%s method=%s", comp->id,
                    m->raw_route, m->path_info, req->method);
    return 0;
}

static void echo_free(void *self)
{
    (void)self;
}

static const spin_http_executor_ops echo_ops = {
    .name = "echo", .handle = echo_handle, .free = echo_free};

static int echo_create(const spin_http_executor_setup *setup, spin_http_executor_instance *out,
                       util_error **err)
{
    (void)setup;
    (void)err;
    out->ops = &echo_ops;
    out->self = (void *)"echo";
    return 0;
}

static const spin_http_executor_kind echo_kind = {
    .type = "http", .what = "the echo executor of this test", .create = echo_create};

typedef struct {
    spin_run_options opts;
    int rc;
} run_args;

static void *run_thread(void *p)
{
    run_args *a = p;
    util_error *err = NULL;
    a->rc = spin_app_run(&a->opts, &err);
    if (err)
        fprintf(stderr, "spin_app_run: %s\n", err->msg);
    util_error_free(&err);
    return NULL;
}

/* Reads what is available on fd within a generous bound. */
static void read_some(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    struct pollfd p = {fd, POLLIN, 0};
    while (len + 1 < cap && poll(&p, 1, len ? 200 : 20000) > 0) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
}

static void http_get(int port, const char *path, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    out[0] = '\0';
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        char req[256];
        snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                 path);
        util_write_all(fd, req, strlen(req));
        size_t len = 0;
        ssize_t n;
        while (len + 1 < cap && (n = read(fd, out + len, cap - 1 - len)) > 0)
            len += (size_t)n;
        out[len] = '\0';
    }
    close(fd);
}

static void test_registered_executor_handles_a_routed_request(void)
{
    util_error *err = NULL;
    CHECK(spin_http_executor_register(&echo_kind, &err) == 0);
    char *dir = make_app(http_route);
    int out[2], ready[2];
    CHECK(pipe(out) == 0 && pipe(ready) == 0);
    run_args a = {.rc = -2};
    spin_run_options_init(&a.opts);
    a.opts.app_path = dir;
    a.opts.listen_addr = "127.0.0.1:0";
    a.opts.stdout_fd = out[1];
    a.opts.ready_fd = ready[1];
    a.opts.handle_signals = false;
    pthread_t t;
    pthread_create(&t, NULL, run_thread, &a);

    char line[16];
    read_some(ready[0], line, sizeof(line));
    CHECK_STR(line, "ready\n");
    char banner[1024];
    read_some(out[0], banner, sizeof(banner));
    const char *serving = strstr(banner, "Serving http://127.0.0.1:");
    int port = serving ? atoi(serving + strlen("Serving http://127.0.0.1:")) : 0;
    CHECK(port > 0);

    char resp[4096];
    http_get(port, "/hello/a/b", resp, sizeof(resp));
    CHECK(strncmp(resp, "HTTP/1.1 201", 12) == 0);
    CHECK(strstr(resp, "\r\nx-executor: echo\r\n") || strstr(resp, "\r\nX-Executor: echo\r\n"));
    const char *body = strstr(resp, "\r\n\r\n");
    CHECK_STR(body ? body + 4 : NULL,
              "component=c route=/hello/... path_info=/a/b method=GET");
    /* Unrouted paths never reach the executor. */
    http_get(port, "/other", resp, sizeof(resp));
    CHECK(strncmp(resp, "HTTP/1.1 404", 12) == 0);

    spin_app_stop();
    pthread_join(t, NULL);
    CHECK_INT(a.rc, 0);
    close(out[0]);
    close(out[1]);
    close(ready[0]);
    close(ready[1]);
    remove_app(dir);
    util_error_free(&err);
}

int main(void)
{
    RUN(test_unknown_trigger_type_names_it_and_the_supported_ones);
    RUN(test_unsupported_executor_type_names_what_runs);
    RUN(test_registered_trigger_type_loads_its_entries);
    RUN(test_registered_executor_handles_a_routed_request);
    return TEST_SUMMARY();
}
