/*
 * run.c - decides what the container process runs, and runs it.
 *
 * Runs in the container process after mounts, pivot_root and
 * chdir(process.cwd), so arg0 is looked up exactly where the workload will
 * see it (image symlinks, bind-mounted volumes, an exec's view of a running
 * container).  The decision, in order:
 *   1. arg0 is found as a regular file: as written when it contains a '/',
 *      else through PATH (the process's env, or the usual default), taking
 *      the first file that is executable or that a handler reads rather
 *      than execve's (needs_no_exec_bit); its first bytes are read;
 *   2. the handlers, in registration order, may claim the process, also
 *      when nothing was found (a handler may claim arg0 itself);
 *   3. otherwise an ELF or `#!` file is execve'd (pause, busybox,
 *      sidecars); anything else fails with an error naming the file.
 * A claiming handler loads what it will run here, before READY, so a
 * broken program fails Create.  After START the handler runs in this
 * process and its result becomes the exit status; the shim learns that the
 * process runs from EOF on the sync socket, as it does after an execve.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(char *const *env, const char *key)
{
    size_t kl = strlen(key);
    for (; env && *env; env++)
        if (strncmp(*env, key, kl) == 0 && (*env)[kl] == '=')
            return *env + kl + 1;
    return NULL;
}

static bool is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether some handler reads files of this name instead of execve'ing
 * them, so they need not be executable. */
static bool needs_no_exec_bit(const char *name)
{
    for (size_t i = 0; i < container_handler_count(); i++) {
        const container_handler *h = container_handler_at(i);
        if (h->needs_no_exec_bit != NULL && h->needs_no_exec_bit(name))
            return true;
    }
    return false;
}

static char *search_path(const char *name, const char *path_var)
{
    bool any_file = needs_no_exec_bit(name);
    const char *p = path_var;
    while (p && *p) {
        const char *e = strchr(p, ':');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char *cand = util_xasprintf("%.*s/%s", (int)l, l ? p : ".", name);
        if (is_regular(cand) && (any_file || access(cand, X_OK) == 0))
            return cand;
        free(cand);
        p += l + (e ? 1 : 0);
    }
    return NULL;
}

/* Step 1: arg0 as a regular file, or an error saying why there is none. */
static int find_program(const spec_process *p, char **path, util_error **err)
{
    const char *arg0 = p->args[0];
    if (strchr(arg0, '/') != NULL) {
        if (!is_regular(arg0))
            return util_error_set(err, errno ? errno : EISDIR, "process.args[0] %s", arg0);
        *path = util_xstrdup(arg0);
        return 0;
    }
    const char *pv = env_get(p->env, "PATH");
    *path = search_path(arg0, pv ? pv : DEFAULT_PATH);
    if (*path == NULL)
        return util_error_set(err, 0, "process.args[0] \"%s\": executable file not found in $PATH",
                              arg0);
    return 0;
}

static int read_head(run_target *t, util_error **err)
{
    int fd = open(t->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return util_error_set(err, errno, "process.args[0] %s", t->path);
    ssize_t n = read(fd, t->head, sizeof(t->head));
    close(fd);
    t->prog.path = t->path;
    t->prog.head = t->head;
    t->prog.n_head = n > 0 ? (size_t)n : 0;
    t->prog.native = (n == 4 && memcmp(t->head, "\x7f" "ELF", 4) == 0) ||
                     (n >= 2 && t->head[0] == '#' && t->head[1] == '!');
    return 0;
}

/* Step 2: the index of the first handler that claims the process, -1 when
 * none does, -2 when the claiming one says it cannot run it. */
static int choose_handler(const handler_states *hs, const container_program *prog,
                          util_error **err)
{
    for (size_t i = 0; i < container_handler_count(); i++) {
        const container_handler *h = container_handler_at(i);
        int r = h->can_handle(i < hs->n ? hs->state[i] : NULL, prog, err);
        if (r < 0)
            return -2;
        if (r > 0)
            return (int)i;
    }
    return -1;
}

static int load_claimed(const handler_states *hs, run_target *t, util_error **err)
{
    const container_handler *h = container_handler_at((size_t)t->handler);
    if (h->load == NULL)
        return 0;
    size_t i = (size_t)t->handler;
    return h->load(i < hs->n ? hs->state[i] : NULL, &t->prog, &t->work, err);
}

/* Step 3, when no handler claims the process: an error that says what the
 * file is not, naming what the registered handlers run. */
static int not_runnable(const run_target *t, util_error **err)
{
    util_buf what = {0};
    util_buf_printf(&what, "an ELF or #! program");
    size_t n = container_handler_count();
    for (size_t i = 0; i < n; i++)
        util_buf_printf(&what, "%s%s", i + 1 == n ? " or " : ", ",
                        container_handler_at(i)->runs ? container_handler_at(i)->runs
                                                      : container_handler_at(i)->name);
    util_error_set(err, ENOEXEC, "process.args[0] %s: not %.*s", t->path, (int)what.len,
                   what.data);
    util_buf_free(&what);
    return -1;
}

int container_run_resolve(const spec_process *p, const handler_states *hs, run_target *t,
                          util_error **err)
{
    memset(t, 0, sizeof(*t));
    t->handler = -1;
    t->prog = (container_program){
        .args = p->args,
        .n_args = p->n_args,
        .env = p->env,
        .n_env = p->n_env,
        .cwd = p->cwd,
        .rootfs = "/",
    };
    util_error *not_found = NULL;
    if (find_program(p, &t->path, &not_found) == 0 && read_head(t, err) < 0)
        return -1;
    int h = choose_handler(hs, &t->prog, err);
    if (h >= 0 || h == -2) {
        util_error_free(&not_found);
        if (h == -2)
            return -1;
        t->handler = h;
        return load_claimed(hs, t, err);
    }
    if (not_found != NULL) {
        if (err != NULL)
            *err = steal_pointer(&not_found);
        util_error_free(&not_found);
        return -1;
    }
    if (!t->prog.native)
        return not_runnable(t, err);
    if (access(t->path, X_OK) < 0)
        return util_error_set(err, errno, "process.args[0] %s", t->path);
    return 0;
}

void container_run_process(const spec_process *p, const handler_states *hs, run_target *t,
                           int sync_fd)
{
    if (t->handler < 0) {
        execve(t->path, p->args, p->env);
        container_sync_fail(sync_fd, errno, "exec %s", t->path);
    }
    /* in-process: tell the shim we are running (EOF on the socket) */
    close(sync_fd);
    size_t i = (size_t)t->handler;
    const container_handler *h = container_handler_at(i);
    int status = h->run(i < hs->n ? hs->state[i] : NULL, t->work, &t->prog);
    _exit(status & 0xff);
}
