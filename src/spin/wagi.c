/*
 * wagi.c - the Wagi executor: one WASI command run per request.
 *
 * The component's module is compiled, and its imports resolved
 * (wagi_link.c), once at start-up; each request gets a fresh store and
 * instance made from that resolution, with its own WASI context as the
 * store's user_data, so requests share nothing and no request builds a
 * linker or looks a name up.  The run is done
 * by the policy every path shares (wasi_program_run), with the store put
 * in reach of the request's cancel hook: when the client goes away or a
 * stop gives up on the request, another thread interrupts the guest.  The
 * request deadline is set on the store (loops and calls) and on the WASI
 * context (blocking calls such as sleeps), so a guest never outlives it.
 *
 * The request body reaches the guest's stdin and its stdout is captured
 * through two memfds kept per worker thread (stdout's length is the file
 * position the guest's writes left): no pipe plumbing, no helper threads,
 * and a guest that writes a large response cannot block on a full pipe.
 * Memory: stdout is capped as the guest writes (WASI's stdout_limit: the
 * write that would pass 256 MiB traps), and both files are truncated to
 * nothing after every request, so their pages go back to the kernel and
 * no guest can read an earlier response.  What is read back is bounded by
 * the bytes really written and by the same limit.
 *
 * A component (a WASI 0.2 command) runs its wasi:cli/run the same way,
 * with the same files as stdin and stdout (wagi_component.c).
 *
 * A guest that exits 0 (returning from _start or proc_exit(0)) has its
 * output turned into the response (wagi_cgi.c).  A trap or a non-zero exit
 * is an executor error: the trigger logs it (one line; the backtrace at
 * debug level) and answers 500.
 */
#include "http_executor.h"
#include "wagi_link.h"
#include "wasi.h"

#include <errno.h>
#include <fcntl.h>
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

/* Creates or rewinds a scratch file; `empty` truncates it as well (stdout:
 * no byte of an earlier response may stay readable, even if emptying it
 * after the last request failed). */
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

/* A component's stdout is a WASI 0.2 stream over a descriptor, which has
 * no stdout_limit: its limit is the file's.  Each request gets a fresh
 * memfd sized to the limit (sparse: no page until written) and sealed
 * against growing, so a write past the limit fails in the guest instead of
 * taking the host's memory; an output that reaches the limit is refused
 * as one that exceeds it.  Closing it gives every page back. */
static int capped_stdout(util_error **err)
{
    int fd = memfd_create("wagi-stdout-capped", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return util_error_set(err, errno, "memfd_create");
    if (ftruncate(fd, (off_t)WAGI_MAX_OUTPUT) < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) < 0) {
        int e = errno;
        close(fd);
        return util_error_set(err, e, "capping the guest's stdout");
    }
    return fd;
}

/* The guest's output is what lies before the file position it left;
 * `capped`: the file is capped_stdout's, where reaching the limit means
 * passing it. */
static int read_output(int fd, bool capped, util_buf *out, util_error **err)
{
    off_t end = lseek(fd, 0, SEEK_CUR);
    struct stat st;
    if (end < 0 || fstat(fd, &st) < 0)
        return util_error_set(err, errno, "locating the end of the guest's stdout");
    /* Past the end of what was written there is nothing to read. */
    if (end > st.st_size)
        end = st.st_size;
    if ((uint64_t)end > WAGI_MAX_OUTPUT || (capped && (uint64_t)end == WAGI_MAX_OUTPUT))
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

/* Puts the request body on the guest's stdin: exactly the body, so the
 * guest sees end-of-file after it. */
static int fill_stdin(int in_fd, const spin_http_request *req, util_error **err)
{
    if (ftruncate(in_fd, (off_t)req->body_len) < 0)
        return util_error_set(err, errno, "sizing the request body file");
    if (req->body_len > 0 &&
        (util_write_all(in_fd, req->body, req->body_len) < 0 || lseek(in_fd, 0, SEEK_SET) < 0))
        return util_error_set(err, errno, "passing the request body");
    return 0;
}

/* Between requests the scratch files hold nothing: their pages go back to
 * the kernel, and no byte of this request is left for anyone. */
static void release_scratch(scratch *sc)
{
    if (sc->in_fd >= 0 && ftruncate(sc->in_fd, 0) < 0)
        util_log_warn("wagi: emptying the stdin file: %s", strerror(errno));
    if (sc->out_fd >= 0 && ftruncate(sc->out_fd, 0) < 0)
        util_log_warn("wagi: emptying the stdout file: %s", strerror(errno));
}

static void interrupt_store(void *store)
{
    wasm_store_interrupt(store);
}

/* The request's cancel hook reaches the guest's store while it runs, so
 * another thread can interrupt it (the policy's watch, wasi.h). */
static bool watch_job(void *job, wasm_store *store)
{
    return job && spin_http_job_on_cancel(job, interrupt_store, store) != 0;
}

static bool unwatch_job(void *job)
{
    if (!job)
        return false;
    spin_http_job_clear_cancel(job);
    return spin_http_job_cancelled(job) != 0;
}

/* Wagi's side of the policy: only an exit 0 has a response; a timeout is
 * 504, a cancelled request 503, anything else 500 with the policy's
 * message (one log line; a trap's backtrace only at debug level). */
static int outcome_to_result(const spin_component_runtime *comp,
                             const wasi_program_outcome *outcome, util_error **err)
{
    switch (outcome->end) {
    case WASI_PROGRAM_TIMED_OUT:
        return SPIN_EXEC_TIMED_OUT;
    case WASI_PROGRAM_CANCELLED:
        return SPIN_EXEC_CANCELLED;
    case WASI_PROGRAM_EXITED:
        if (outcome->exit_code == 0)
            return 0;
        break;
    case WASI_PROGRAM_TRAPPED:
    case WASI_PROGRAM_NOT_STARTED:
        if (outcome->backtrace[0])
            util_log_debug("component '%s' %s; backtrace:\n%s", comp->id, outcome->message,
                           outcome->backtrace);
        break;
    }
    util_error_set(err, 0, "%s", outcome->message);
    return SPIN_EXEC_FAILED;
}

static int wagi_run(wagi_executor *w, scratch *sc, int capped_fd,
                    const spin_component_runtime *comp, const spin_http_request *req,
                    const spin_route_match *m, spin_http_response *resp, util_error **err)
{
    int in_fd = scratch_fd(&sc->in_fd, "wagi-stdin", false, err);
    if (in_fd < 0)
        return SPIN_EXEC_FAILED;
    int out_fd = capped_fd >= 0 ? capped_fd : scratch_fd(&sc->out_fd, "wagi-stdout", true, err);
    if (out_fd < 0 || fill_stdin(in_fd, req, err) < 0)
        return SPIN_EXEC_FAILED;

    /* Component env first, then CGI: the CGI variables win on a clash. */
    util_env env = {0};
    for (size_t i = 0; i < comp->nenv; i++) {
        const char *eq = strchr(comp->env[i], '=');
        if (!eq)
            continue;
        cleanup_free char *k = util_xstrndup(comp->env[i], (size_t)(eq - comp->env[i]));
        util_env_set(&env, k, eq + 1);
    }
    spin_wagi_build_env(req, m, spin_http_request_header(req, "host"), &env);
    size_t argc = 0;
    char **argv = spin_wagi_build_argv(w->argv_tmpl, req, &argc);

    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = (const char *const *)argv;
    cfg.argc = argc;
    cfg.env = (const char *const *)env.items;
    cfg.envc = env.len;
    cfg.stdin_fd = in_fd;
    cfg.stdout_fd = out_fd;
    cfg.stderr_fd = comp->stderr_fd;
    cfg.deadline_ns = req->deadline_ns;
    cfg.stdout_limit = WAGI_MAX_OUTPUT;
    wasi_preopen pre = {comp->files_dir, "/", true};
    if (comp->files_dir) {
        cfg.preopens = &pre;
        cfg.npreopens = 1;
    }

    int rc;
    uint64_t t0 = util_monotonic_ns();
    if (comp->pre) {
        rc = spin_wagi_component_run(comp, &cfg, req->job, err);
    } else {
        wasi_program_options opts = {
            .max_memory_bytes = comp->max_memory_bytes,
            .max_memory_source = "SPIN_MAX_INSTANCE_MEMORY",
            .watch = watch_job,
            .unwatch = unwatch_job,
            .watch_arg = req->job,
            .resolution = comp->wagi_resolution, /* resolved once, at load */
        };
        wasi_program_outcome outcome;
        wasi_program_run(comp->module, &cfg, &opts, &outcome);
        rc = outcome_to_result(comp, &outcome, err);
        wasi_program_outcome_free(&outcome);
    }
    util_log_debug("wagi: component '%s' ran in %.3f ms", comp->id,
                   (double)(util_monotonic_ns() - t0) / 1e6);
    spin_wagi_free_argv(argv);
    util_env_free(&env);
    if (rc != 0)
        return rc;

    util_buf out = {0};
    if (read_output(out_fd, capped_fd >= 0, &out, err) < 0) {
        util_buf_free(&out);
        return SPIN_EXEC_FAILED;
    }
    rc = spin_wagi_compose_response((const uint8_t *)(out.data ? out.data : ""), out.len, resp,
                                    err);
    util_buf_free(&out);
    if (rc < 0) {
        util_error_wrap(err, "component '%s'", comp->id);
        return SPIN_EXEC_FAILED;
    }
    return 0;
}

static int wagi_handle(void *self, const spin_component_runtime *comp,
                       const spin_http_request *req, const spin_route_match *m,
                       spin_http_response *resp, util_error **err)
{
    scratch *sc = thread_scratch();
    int capped_fd = -1;
    if (comp->pre && (capped_fd = capped_stdout(err)) < 0)
        return SPIN_EXEC_FAILED;
    int rc = wagi_run(self, sc, capped_fd, comp, req, m, resp, err);
    if (capped_fd >= 0)
        close(capped_fd);
    release_scratch(sc);
    return rc;
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

int spin_wagi_executor_new(const char *argv_tmpl, spin_http_executor_instance *out,
                           util_error **err)
{
    (void)err;
    wagi_executor *w = util_xcalloc(1, sizeof(*w));
    w->argv_tmpl = util_xstrdup(argv_tmpl ? argv_tmpl : "${SCRIPT_NAME} ${ARGS}");
    out->ops = &wagi_ops;
    out->self = w;
    return 0;
}
