/*
 * wagi.c - the Wagi executor: one WASI command run per request.
 *
 * The component's module is compiled once at start-up; each request gets
 * a fresh store and instance (wasi_run_command), so requests share nothing.
 * The request body reaches the guest's stdin and its stdout is captured
 * through two memfds kept per worker thread and rewound for every request
 * (stdout's length is the file position the guest's writes left):
 * no pipe plumbing, no helper threads, and a guest that writes a large
 * response cannot block on a full pipe.  stdout is emptied before each run,
 * not only rewound: the guest may read or seek its stdout, and must never
 * see the previous request's response (another client's data).  What is
 * read back is bounded by the bytes really written and by a size limit, so
 * a guest that seeks far ahead gets a 500 instead of making the host try
 * to allocate terabytes.
 *
 * A guest that exits 0 (returning from _start or proc_exit(0)) has its
 * output turned into the response (wagi_cgi.c).  A trap or a non-zero exit
 * is an executor error: the trigger logs it and answers 500.
 */
#include "http_executor.h"
#include "wasi.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct wagi_executor {
    char *argv_tmpl;
} wagi_executor;

/* Per-thread scratch files; created on first use, reused afterwards and
 * closed when the worker thread ends. */
typedef struct scratch {
    int in_fd, out_fd;
} scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_destroy(void *p)
{
    scratch *s = p;
    if (s->in_fd >= 0)
        close(s->in_fd);
    if (s->out_fd >= 0)
        close(s->out_fd);
    free(s);
}

static void scratch_key_init(void)
{
    pthread_key_create(&scratch_key, scratch_destroy);
}

static scratch *thread_scratch(void)
{
    pthread_once(&scratch_once, scratch_key_init);
    scratch *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = util_xmalloc(sizeof(*s));
        s->in_fd = s->out_fd = -1;
        pthread_setspecific(scratch_key, s);
    }
    return s;
}

/* The most guest output read back into memory; more is an error. */
#define WAGI_MAX_OUTPUT ((size_t)256 << 20)

/* Rewinds a scratch file, keeping its pages for stdin (which is overwritten
 * whole with the next body); stdout is truncated (`empty`) so no byte of an
 * earlier response stays readable. */
static int scratch_fd(int *slot, const char *name, bool empty, util_error **err)
{
    if (*slot < 0) {
        *slot = memfd_create(name, MFD_CLOEXEC);
        if (*slot < 0)
            return util_error_set(err, errno, "memfd_create");
    }
    if (lseek(*slot, 0, SEEK_SET) < 0)
        return util_error_set(err, errno, "rewinding %s", name);
    if (empty && ftruncate(*slot, 0) < 0)
        return util_error_set(err, errno, "emptying %s", name);
    return *slot;
}

/* The guest's output is what lies before the file position it left. */
static int read_output(int fd, util_buf *out, util_error **err)
{
    off_t end = lseek(fd, 0, SEEK_CUR);
    struct stat st;
    if (end < 0 || fstat(fd, &st) < 0)
        return util_error_set(err, errno, "locating the end of the guest's stdout");
    /* Past the end of what was written there is nothing to read. */
    if (end > st.st_size)
        end = st.st_size;
    if ((uint64_t)end > WAGI_MAX_OUTPUT)
        return util_error_set(err, 0,
                              "the guest's stdout (%lld bytes) exceeds the %zu MiB limit",
                              (long long)end, WAGI_MAX_OUTPUT >> 20);
    size_t len = (size_t)end;
    util_buf_reserve(out, len + 1);
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, out->data + got, len - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return util_error_set(err, n < 0 ? errno : 0, "reading the guest's stdout");
        got += (size_t)n;
    }
    out->len = got;
    out->data[got] = '\0';
    return 0;
}

static int wagi_handle(void *self, const spin_component_runtime *comp,
                       const spin_http_request *req, const spin_route_match *m,
                       spin_http_response *resp, util_error **err)
{
    wagi_executor *w = self;
    scratch *sc_fds = thread_scratch();
    int in_fd = scratch_fd(&sc_fds->in_fd, "wagi-stdin", false, err);
    if (in_fd < 0)
        return -1;
    int out_fd = scratch_fd(&sc_fds->out_fd, "wagi-stdout", true, err);
    if (out_fd < 0)
        return -1;
    /* stdin holds exactly the body, so the guest sees end-of-file there. */
    struct stat st;
    if (fstat(in_fd, &st) < 0 || ((size_t)st.st_size != req->body_len &&
                                  ftruncate(in_fd, (off_t)req->body_len) < 0))
        return util_error_set(err, errno, "sizing the request body file");
    if (req->body_len > 0 &&
        (util_write_all(in_fd, req->body, req->body_len) < 0 || lseek(in_fd, 0, SEEK_SET) < 0))
        return util_error_set(err, errno, "passing the request body");

    /* Component env first, then CGI: the CGI variables win on a clash. */
    spin_env env = {0};
    for (size_t i = 0; i < comp->nenv; i++) {
        const char *eq = strchr(comp->env[i], '=');
        if (!eq)
            continue;
        cleanup_free char *k = util_xstrndup(comp->env[i], (size_t)(eq - comp->env[i]));
        spin_env_set(&env, k, eq + 1);
    }
    wagi_build_env(req, m, spin_http_request_header(req, "host"), &env);
    size_t argc = 0;
    char **argv = wagi_build_argv(w->argv_tmpl, req, &argc);

    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = (const char *const *)argv;
    cfg.argc = argc;
    cfg.env = (const char *const *)env.items;
    cfg.envc = env.len;
    cfg.stdin_fd = in_fd;
    cfg.stdout_fd = out_fd;
    cfg.stderr_fd = comp->stderr_fd;
    wasi_preopen pre = {comp->files_dir, "/", true};
    if (comp->files_dir) {
        cfg.preopens = &pre;
        cfg.npreopens = 1;
    }
    wasm_store_config sc = {0};
    sc.max_memory_bytes = comp->max_memory_bytes;

    wasm_result res;
    wasm_result_init(&res);
    int exit_code = 0;
    uint64_t t0 = util_monotonic_ns();
    int rc = wasi_run_command(comp->module, &cfg, "_start", &sc, &res, &exit_code, err);
    util_log_debug("wagi: component '%s' ran in %.3f ms", comp->id,
                   (double)(util_monotonic_ns() - t0) / 1e6);
    wagi_free_argv(argv);
    spin_env_free(&env);
    if (rc < 0) {
        if (err && *err)
            return -1;
        if (res.backtrace[0])
            return util_error_set(err, 0, "%s\n%s", res.message, res.backtrace);
        return util_error_set(err, 0, "%s", res.message[0] ? res.message : "guest failed");
    }
    if (exit_code != 0)
        return util_error_set(err, 0, "the guest exited with code %d", exit_code);

    util_buf out = {0};
    if (read_output(out_fd, &out, err) < 0) {
        util_buf_free(&out);
        return -1;
    }
    rc = wagi_compose_response((const uint8_t *)(out.data ? out.data : ""), out.len, resp, err);
    util_buf_free(&out);
    if (rc < 0)
        return util_error_wrap(err, "component '%s'", comp->id);
    return 0;
}

static void wagi_free(void *self)
{
    wagi_executor *w = self;
    if (!w)
        return;
    free(w->argv_tmpl);
    free(w);
}

static const spin_http_executor_ops wagi_ops = {
    .name = "wagi",
    .handle = wagi_handle,
    .free = wagi_free,
};

int wagi_executor_new(const char *argv_tmpl, spin_http_executor_instance *out,
                      util_error **err)
{
    (void)err;
    wagi_executor *w = util_xcalloc(1, sizeof(*w));
    w->argv_tmpl = util_xstrdup(argv_tmpl ? argv_tmpl : "${SCRIPT_NAME} ${ARGS}");
    out->ops = &wagi_ops;
    out->self = w;
    return 0;
}
