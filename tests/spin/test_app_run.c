/*
 * test_app_run.c - spin.h as the container layer uses it: the app reads
 * its settings from the env list it is given (never the process env),
 * announces readiness on ready_fd, prints its routes on stdout_fd, serves,
 * and returns 0 after spin_app_stop().  spin_app_check links every Wagi
 * module at load (hand-assembled modules with imports the host lacks are
 * refused, naming the import) and accepts apps whose files hold links
 * the host must skip.  Each component's imports are resolved once, at
 * load, and every request instantiates from that resolution.  Also what a
 * request leaves behind in the process
 * (the executor's scratch files) and what it logs.
 */
#include "spin.h"
#include "test.h"
#include "wagi_link.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef APP_DIR
#error "APP_DIR must point at the assembled spin-wagi example"
#endif
#ifndef HOSTILE_WASM
#error "HOSTILE_WASM must point at tests/spin/programs/hostile.c built to Wasm"
#endif

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    return ntohs(sa.sin_port);
}

typedef struct {
    spin_run_options opts;
    int rc;
    char err[512];
} run_args;

static void *run_thread(void *p)
{
    run_args *a = p;
    util_error *err = NULL;
    a->rc = spin_app_run(&a->opts, &err);
    snprintf(a->err, sizeof(a->err), "%s", err ? err->msg : "");
    util_error_free(&err);
    return NULL;
}

static bool read_line_with_timeout(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20000) <= 0)
            return false;
        if (read(fd, buf + len, 1) != 1)
            return false;
        if (buf[len++] == '\n')
            break;
    }
    buf[len] = '\0';
    return true;
}

static int http_request(int port, const char *method, const char *path, const char *req_body,
                        size_t req_len, char *body, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    char req[256];
    snprintf(req, sizeof(req),
             "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
             method, path, req_len);
    util_write_all(fd, req, strlen(req));
    if (req_len)
        util_write_all(fd, req_body, req_len);
    static char buf[65536];
    size_t len = 0;
    ssize_t n;
    while (len + 1 < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    const char *b = strstr(buf, "\r\n\r\n");
    snprintf(body, cap, "%s", b ? b + 4 : "");
    return status;
}

static int http_get(int port, const char *path, char *body, size_t cap)
{
    return http_request(port, "GET", path, NULL, 0, body, cap);
}

static void test_run_serves_with_given_env_and_stops(void)
{
    int port = free_port();
    /* The process env says something else: it must not be used. */
    setenv("SPIN_HTTP_LISTEN_ADDR", "127.0.0.1:1", 1);
    setenv("SPIN_COMPONENTS_TO_RETAIN", "nope", 1);

    char listen_kv[64];
    snprintf(listen_kv, sizeof(listen_kv), "SPIN_HTTP_LISTEN_ADDR=127.0.0.1:%d", port);
    const char *env[] = {listen_kv, "HOSTNAME=pod-1", NULL};
    int out[2], ready[2];
    CHECK(pipe(out) == 0 && pipe(ready) == 0);

    run_args a = {.rc = -2};
    spin_run_options_init(&a.opts);
    a.opts.app_path = APP_DIR;
    a.opts.env = env;
    a.opts.stdout_fd = out[1];
    a.opts.ready_fd = ready[1];
    a.opts.handle_signals = false;
    pthread_t t;
    pthread_create(&t, NULL, run_thread, &a);

    char line[256];
    CHECK(read_line_with_timeout(ready[0], line, sizeof(line)));
    CHECK_STR(line, "ready\n");
    /* The banner: an empty line, then "Serving http://...". */
    char want[64];
    snprintf(want, sizeof(want), "Serving http://127.0.0.1:%d\n", port);
    bool seen = false;
    for (int i = 0; i < 4 && !seen; i++)
        seen = read_line_with_timeout(out[0], line, sizeof(line)) && strcmp(line, want) == 0;
    CHECK(seen);

    char body[4096];
    CHECK_INT(http_get(port, "/hello", body, sizeof(body)), 200);
    CHECK(strncmp(body, "Hello from Wagi!", 16) == 0);
    CHECK_INT(http_get(port, "/api/env/SPIN_HTTP_LISTEN_ADDR", body, sizeof(body)), 200);
    CHECK_STR(body, "(unset)\n");

    spin_app_stop();
    pthread_join(t, NULL);
    CHECK_INT(a.rc, 0);
    CHECK_STR(a.err, "");
    CHECK(http_get(port, "/hello", body, sizeof(body)) < 0);
    close(out[0]);
    close(out[1]);
    close(ready[0]);
    close(ready[1]);
    unsetenv("SPIN_HTTP_LISTEN_ADDR");
    unsetenv("SPIN_COMPONENTS_TO_RETAIN");
}

static void test_check_reports_problems(void)
{
    spin_run_options o;
    spin_run_options_init(&o);
    util_error *err = NULL;
    o.app_path = APP_DIR;
    CHECK_INT(spin_app_check(&o, &err), 0);

    const char *env[] = {"SPIN_COMPONENTS_TO_RETAIN=hello,ghost", NULL};
    o.env = env;
    CHECK_INT(spin_app_check(&o, &err), -1);
    CHECK(err && strstr(err->msg, "\"ghost\"") != NULL);
    util_error_free(&err);

    o.env = NULL;
    o.app_path = "/nonexistent/app";
    CHECK_INT(spin_app_check(&o, &err), -1);
    CHECK(err && strstr(err->msg, "/nonexistent/app") != NULL);
    util_error_free(&err);
}

/* ---- link check at load ------------------------------------------------- */

static void section(util_buf *m, uint8_t id, const util_buf *body)
{
    uint8_t head[2] = {id, (uint8_t)body->len}; /* every body here is < 128 bytes */
    util_buf_append(m, head, 2);
    util_buf_append(m, body->data, body->len);
}

static void name(util_buf *b, const char *s)
{
    uint8_t n = (uint8_t)strlen(s);
    util_buf_append(b, &n, 1);
    util_buf_append(b, s, n);
}

/* A WASI command with one import, imod::iname described by `desc` (kind
 * byte and type; type 0 is `functype`), and an empty exported _start. */
static void write_module(const char *path, const char *imod, const char *iname,
                         const char *desc, size_t desc_len, const char *functype, size_t ft_len)
{
    util_buf m = {0}, b = {0};
    util_buf_append(&m, "\0asm\1\0\0\0", 8);
    util_buf_append(&b, "\2", 1); /* types: functype, () -> () */
    util_buf_append(&b, functype, ft_len);
    util_buf_append(&b, "\x60\0\0", 3);
    section(&m, 1, &b);
    b.len = 0;
    util_buf_append(&b, "\1", 1); /* imports */
    name(&b, imod);
    name(&b, iname);
    util_buf_append(&b, desc, desc_len);
    section(&m, 2, &b);
    b.len = 0;
    util_buf_append(&b, "\1\1", 2); /* one function, of type 1 */
    section(&m, 3, &b);
    b.len = 0;
    util_buf_append(&b, "\1", 1); /* exports: _start, after an imported function */
    name(&b, "_start");
    util_buf_append(&b, desc[0] == 0 ? "\0\1" : "\0\0", 2);
    section(&m, 7, &b);
    b.len = 0;
    util_buf_append(&b, "\1\2\0\x0b", 4); /* code: no locals, end */
    section(&m, 10, &b);
    util_error *err = NULL;
    CHECK_INT(util_write_file_atomic(path, m.data, m.len, 0644, &err), 0);
    util_error_free(&err);
    util_buf_free(&m);
    util_buf_free(&b);
}

static const char app_toml[] = "spin_manifest_version = 2\n[application]\nname = \"l\"\n"
                               "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"mod\"\n"
                               "executor = { type = \"wagi\" }\n[component.mod]\n"
                               "source = \"m.wasm\"\n%s";

static char *check_app(const char *dir, const char *extra)
{
    cleanup_free char *toml = util_xasprintf(app_toml, extra);
    cleanup_free char *path = util_xasprintf("%s/spin.toml", dir);
    util_error *err = NULL;
    CHECK_INT(util_write_file_atomic(path, toml, strlen(toml), 0644, &err), 0);
    util_error_free(&err);
    spin_run_options o;
    spin_run_options_init(&o);
    o.app_path = dir;
    char *msg = spin_app_check(&o, &err) == 0 ? util_xstrdup("ok") : util_xstrdup(err->msg);
    util_error_free(&err);
    return msg;
}

#define NOT_PROVIDED                                                                         \
    "is not provided by the host: the Wagi executor provides only WASI preview 1 functions " \
    "(wasi_snapshot_preview1, wasi_unstable)"

static void test_check_links_every_import(void)
{
    char dir[] = "/tmp/test_app_link_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    cleanup_free char *wasm = util_xasprintf("%s/m.wasm", dir);
#define I32_TO_I32 "\x60\1\x7f\1\x7f", 5
#define I32_TO_NONE "\x60\1\x7f\0", 4
    struct {
        const char *mod, *name, *desc;
        size_t desc_len;
        const char *type;
        size_t type_len;
        const char *want;
    } cases[] = {
        {"env", "foo", "\0\0", 2, I32_TO_I32,
         "component 'mod': cannot link its module: import env::foo (func (param i32) (result "
         "i32)) " NOT_PROVIDED},
        {"wasi_snapshot_preview1", "no_such_call", "\0\1", 2, I32_TO_I32,
         "component 'mod': cannot link its module: import wasi_snapshot_preview1::no_such_call "
         "(func) " NOT_PROVIDED},
        {"wasi_snapshot_preview1", "fd_write", "\0\0", 2, I32_TO_NONE,
         "component 'mod': cannot link its module: import wasi_snapshot_preview1::fd_write (func "
         "(param i32)) does not match the host's func (param i32 i32 i32 i32) (result i32)"},
        {"env", "memory", "\2\0\1", 3, I32_TO_I32,
         "component 'mod': cannot link its module: import env::memory (memory) " NOT_PROVIDED},
        /* What the host has, with the right type, links. */
        {"wasi_snapshot_preview1", "proc_exit", "\0\0", 2, I32_TO_NONE, "ok"},
        /* The legacy module name links as well. */
        {"wasi_unstable", "fd_seek", "\0\0", 2, "\x60\4\x7f\x7e\x7f\x7f\1\x7f", 8, "ok"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(cases); i++) {
        write_module(wasm, cases[i].mod, cases[i].name, cases[i].desc, cases[i].desc_len,
                     cases[i].type, cases[i].type_len);
        cleanup_free char *got = check_app(dir, "");
        CHECK_STR(got, cases[i].want);
    }
    cleanup_free char *cmd = util_xasprintf("rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
}

/* A dangling link, a FIFO and links out of the app among a component's
 * files are skipped: start-up goes on. */
static void test_check_accepts_files_with_links_to_skip(void)
{
    char dir[] = "/tmp/test_app_links_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    cleanup_free char *wasm = util_xasprintf("%s/m.wasm", dir);
    write_module(wasm, "wasi_snapshot_preview1", "proc_exit", "\0\0", 2, "\x60\1\x7f\0", 4);
    cleanup_free char *site = util_xasprintf("%s/site", dir);
    CHECK_INT(mkdir(site, 0755), 0);
    cleanup_free char *index = util_xasprintf("%s/index.html", site);
    util_error *err = NULL;
    CHECK_INT(util_write_file_atomic(index, "hi\n", 3, 0644, &err), 0);
    cleanup_free char *dangling = util_xasprintf("%s/dangling", site);
    CHECK_INT(symlink("nowhere", dangling), 0);
    cleanup_free char *root = util_xasprintf("%s/root", site);
    CHECK_INT(symlink("/", root), 0);
    cleanup_free char *fifo = util_xasprintf("%s/fifo", site);
    CHECK_INT(mkfifo(fifo, 0644), 0);
    cleanup_free char *got =
        check_app(dir, "files = [{ source = \"site\", destination = \"/www\" }]\n");
    CHECK_STR(got, "ok");
    cleanup_free char *cmd = util_xasprintf("rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
}

/* ---- an app running in a thread of this process ------------------------ */

typedef struct running_app {
    run_args a;
    pthread_t thread;
    int port;
    int ready[2];
    int devnull;
    char listen_kv[64];
    const char *env[3];
} running_app;

static bool app_start(running_app *r, const char *app, const char *extra_env, int stderr_fd)
{
    memset(r, 0, sizeof(*r));
    r->port = free_port();
    snprintf(r->listen_kv, sizeof(r->listen_kv), "SPIN_HTTP_LISTEN_ADDR=127.0.0.1:%d", r->port);
    r->env[0] = r->listen_kv;
    r->env[1] = extra_env;
    r->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (pipe(r->ready) < 0)
        return false;
    r->a.rc = -2;
    spin_run_options_init(&r->a.opts);
    r->a.opts.app_path = app;
    r->a.opts.env = r->env;
    r->a.opts.stdout_fd = r->devnull;
    r->a.opts.stderr_fd = stderr_fd;
    r->a.opts.ready_fd = r->ready[1];
    r->a.opts.handle_signals = false;
    pthread_create(&r->thread, NULL, run_thread, &r->a);
    char line[64];
    return read_line_with_timeout(r->ready[0], line, sizeof(line));
}

static int app_stop(running_app *r)
{
    spin_app_stop();
    pthread_join(r->thread, NULL);
    close(r->ready[0]);
    close(r->ready[1]);
    close(r->devnull);
    return r->a.rc;
}

/* Total size of this process's memfds whose name contains `name`, and how
 * many there are. */
static long long memfd_bytes(const char *name, int *count)
{
    long long total = 0;
    *count = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[300], target[256];
        snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        struct stat st;
        if (strstr(target, "memfd:") && strstr(target, name) && fstat(atoi(e->d_name), &st) == 0) {
            total += st.st_size;
            (*count)++;
        }
    }
    closedir(d);
    return total;
}

static char *fd_text(int fd)
{
    off_t len = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
    if (len > 0 && pread(fd, text, (size_t)len, 0) != len)
        text[0] = '\0';
    return text;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* The hostile test component at /guest/... in a fresh app directory. */
static bool write_hostile_app(char *dir)
{
    if (!mkdtemp(dir))
        return false;
    char path[256];
    snprintf(path, sizeof(path), "%s/spin.toml", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f, "spin_manifest_version = 2\n[application]\nname = \"hostile\"\n"
               "[[trigger.http]]\nroute = \"/guest/...\"\ncomponent = \"hostile\"\n"
               "executor = { type = \"wagi\" }\n[component.hostile]\nsource = \"%s\"\n",
            HOSTILE_WASM);
    fclose(f);
    return true;
}

static void remove_hostile_app(const char *dir)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/spin.toml", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- what a request leaves behind, and what it logs ---------------------- */

static void test_scratch_files_are_emptied_after_each_request(void)
{
    running_app r;
    CHECK(app_start(&r, APP_DIR, NULL, 2));
    static char big[1 << 20];
    memset(big, 'b', sizeof(big));
    char body[256];
    CHECK_INT(http_request(r.port, "POST", "/api/echo", big, sizeof(big), body, sizeof(body)),
              200);
    CHECK(strncmp(body, "method=POST", 11) == 0);
    /* The body and the response were in the worker's memfds; they are
     * released once the request is over, not kept until the next one. */
    int n = 0;
    CHECK_INT(memfd_bytes("wagi-stdin", &n), 0);
    CHECK(n >= 1);
    CHECK_INT(memfd_bytes("wagi-stdout", &n), 0);
    CHECK(n >= 1);
    CHECK_INT(app_stop(&r), 0);
}

/* Start-up resolves each used component's imports once; requests, however
 * many and to whichever component, resolve nothing more. */
static void test_one_resolution_serves_every_request(void)
{
    size_t before = spin_wagi_link_count();
    running_app r;
    CHECK(app_start(&r, APP_DIR, NULL, 2));
    size_t loaded = spin_wagi_link_count();
    CHECK(loaded > before);
    char body[256];
    for (int i = 0; i < 8; i++) {
        CHECK_INT(http_get(r.port, "/hello", body, sizeof(body)), 200);
        CHECK_INT(http_request(r.port, "POST", "/api/echo", "x", 1, body, sizeof(body)), 200);
    }
    CHECK_INT((int)(spin_wagi_link_count() - loaded), 0);
    CHECK_INT(app_stop(&r), 0);
}

static void test_stdout_flood_is_cut_at_the_limit_and_released(void)
{
    char dir[] = "/tmp/spin-hostile-XXXXXX";
    CHECK(write_hostile_app(dir));
    int guest_err = memfd_create("guest-stderr", MFD_CLOEXEC);
    running_app r;
    CHECK(app_start(&r, dir, NULL, guest_err));
    char body[256];
    /* 10 MiB is a response like any other. */
    CHECK_INT(http_get(r.port, "/guest/flood?10", body, sizeof(body)), 200);
    /* 300 MiB: the write that would pass 256 MiB stops the guest. */
    CHECK_INT(http_get(r.port, "/guest/flood?300", body, sizeof(body)), 500);
    CHECK_STR(body, "");
    int n = 0;
    CHECK_INT(memfd_bytes("wagi-stdout", &n), 0);
    CHECK(n >= 1);
    CHECK_INT(app_stop(&r), 0);
    char *err = fd_text(guest_err);
    /* Only the 10 MiB guest got to its end. */
    CHECK_STR(err, "flood finished\n");
    free(err);
    close(guest_err);
    remove_hostile_app(dir);
}

static char *trap_log(util_log_level level)
{
    int log_fd = memfd_create("log", MFD_CLOEXEC);
    util_log_level before = util_log_get_level();
    util_log_set_level(level);
    util_log_set_fd(log_fd);
    running_app r;
    CHECK(app_start(&r, APP_DIR, NULL, 2));
    char body[256];
    CHECK_INT(http_get(r.port, "/static/_trap", body, sizeof(body)), 500);
    CHECK_INT(app_stop(&r), 0);
    util_log_set_fd(2);
    util_log_set_level(before);
    char *text = fd_text(log_fd);
    close(log_fd);
    return text;
}

static void test_a_trap_logs_one_line_and_the_backtrace_only_at_debug(void)
{
    char *log = trap_log(UTIL_LOG_ERROR);
    CHECK_INT(count_lines(log), 1);
    CHECK(strstr(log, "component 'files'") != NULL);
    CHECK(strstr(log, "unreachable") != NULL);
    CHECK(strstr(log, "#0") == NULL);
    free(log);

    log = trap_log(UTIL_LOG_DEBUG);
    CHECK(strstr(log, "component 'files'") != NULL);
    CHECK(strstr(log, "backtrace") != NULL);
    CHECK(strstr(log, "#0") != NULL);
    free(log);
}

int main(void)
{
    RUN(test_run_serves_with_given_env_and_stops);
    RUN(test_check_reports_problems);
    RUN(test_check_links_every_import);
    RUN(test_one_resolution_serves_every_request);
    RUN(test_check_accepts_files_with_links_to_skip);
    RUN(test_scratch_files_are_emptied_after_each_request);
    RUN(test_stdout_flood_is_cut_at_the_limit_and_released);
    RUN(test_a_trap_logs_one_line_and_the_backtrace_only_at_debug);
    return TEST_SUMMARY();
}
