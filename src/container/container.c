/*
 * container.c - the public life cycle (create, start, kill, delete) and
 * the process-wide registry that maps reaped pids back to containers.
 *
 * container_create() does, in order: parse config.json, mount the rootfs
 * mounts, compile seccomp, create the cgroup with its limits, open stdio,
 * then launch the init (launch.c), and undoes all of it in reverse on any
 * failure.  The registry lock guards the fields a reaper thread changes
 * (pid, status, exit status, the exec list), so container_process_exited()
 * can run concurrently with the shim's RPC threads.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

pthread_mutex_t container_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static container *registry;

void container_registry_add(container *c)
{
    pthread_mutex_lock(&container_registry_lock);
    c->next_registered = registry;
    registry = c;
    pthread_mutex_unlock(&container_registry_lock);
}

void container_registry_remove(container *c)
{
    pthread_mutex_lock(&container_registry_lock);
    for (container **p = &registry; *p; p = &(*p)->next_registered) {
        if (*p == c) {
            *p = c->next_registered;
            break;
        }
    }
    pthread_mutex_unlock(&container_registry_lock);
}

int container_wait_status_to_exit(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return 255;
}

static container *lookup_locked(pid_t pid, container_exec_rec **exec)
{
    *exec = NULL;
    for (container *c = registry; c; c = c->next_registered) {
        if (c->pid == pid)
            return c;
        for (container_exec_rec *e = c->execs; e; e = e->next) {
            if (e->pid == pid) {
                *exec = e;
                return c;
            }
        }
    }
    return NULL;
}

container *container_process_exited(pid_t pid, int wait_status, const char **exec_id,
                                    int *exit_status)
{
    if (pid <= 0)
        return NULL;
    int status = container_wait_status_to_exit(wait_status);
    pthread_mutex_lock(&container_registry_lock);
    container_exec_rec *e;
    container *c = lookup_locked(pid, &e);
    if (c != NULL) {
        if (e) {
            e->status = CONTAINER_STOPPED;
            e->exit_status = status;
        } else {
            c->status = CONTAINER_STOPPED;
            c->exit_status = status;
        }
        if (exec_id)
            *exec_id = e ? e->id : NULL;
        if (exit_status)
            *exit_status = status;
    }
    pthread_mutex_unlock(&container_registry_lock);
    return c;
}

container *container_lookup_pid(pid_t pid, const char **exec_id)
{
    if (pid <= 0)
        return NULL;
    pthread_mutex_lock(&container_registry_lock);
    container_exec_rec *e;
    container *c = lookup_locked(pid, &e);
    if (c && exec_id)
        *exec_id = e ? e->id : NULL;
    pthread_mutex_unlock(&container_registry_lock);
    return c;
}

static const char *stdio_file_path(const char *path, const char *what, util_error **err)
{
    if (path == NULL || path[0] == '\0')
        return "/dev/null";
    /* containerd may hand URIs for logging plugins; only plain paths and
     * file:// are files we can open */
    if (strncmp(path, "file://", 7) == 0)
        return path + 7;
    if (strstr(path, "://") != NULL) {
        util_error_set(err, 0, "%s: unsupported stdio URI %s", what, path);
        return NULL;
    }
    return path;
}

static int open_output(const char *path, int *fd, const char *what, util_error **err)
{
    path = stdio_file_path(path, what, err);
    if (path == NULL)
        return -1;
    /* O_RDWR: opening a FIFO never blocks waiting for the other end;
     * O_APPEND, so stdout and stderr sharing one file do not overwrite
     * each other */
    *fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_CREAT | O_APPEND, 0640);
    if (*fd < 0)
        return util_error_set(err, errno, "%s %s", what, path);
    return 0;
}

/* The read end must not also be a write end (O_RDWR), or the process never
 * sees EOF.  A read-only open with O_NONBLOCK returns at once even when no
 * writer is there yet; the layer then opens a write end of its own (which
 * cannot block: a reader exists), so the process sees no premature EOF
 * before containerd's writer connects (containerd opens it as soon as a
 * reader appears, i.e. during Create).  Ours is dropped at Start, or
 * earlier by CloseIO (container_close_stdin); the process then sees EOF
 * once containerd has closed its end.  Waiting for CloseIO alone, as
 * runc-based shims do, loses EOF when a client reaches EOF before it can
 * send CloseIO (ctr with a short stdin). */
static int open_input(const char *path, int *fd, int *writer, util_error **err)
{
    path = stdio_file_path(path, "stdin", err);
    if (path == NULL)
        return -1;
    *fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_CREAT, 0640);
    if (*fd < 0)
        return util_error_set(err, errno, "stdin %s", path);
    struct stat st;
    if (fstat(*fd, &st) < 0)
        return util_error_set(err, errno, "stdin %s", path);
    if (S_ISFIFO(st.st_mode)) {
        /* through our own fd, so both ends are of the same FIFO */
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", *fd);
        *writer = open(self, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (*writer < 0)
            return util_error_set(err, errno, "stdin %s: open the write end", path);
    }
    int flags = fcntl(*fd, F_GETFL);
    if (flags < 0 || fcntl(*fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
        return util_error_set(err, errno, "stdin %s", path);
    return 0;
}

int container_open_stdio(const container_stdio *io, int fds[3], int *stdin_writer,
                         util_error **err)
{
    fds[0] = fds[1] = fds[2] = -1;
    *stdin_writer = -1;
    if (io->terminal)
        return util_error_set(err, 0, "terminal: not supported (no console support)");
    if (open_input(io->stdin_path, &fds[0], stdin_writer, err) < 0 ||
        open_output(io->stdout_path, &fds[1], "stdout", err) < 0 ||
        open_output(io->stderr_path, &fds[2], "stderr", err) < 0) {
        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        if (*stdin_writer >= 0)
            close(*stdin_writer);
        *stdin_writer = -1;
        return -1;
    }
    return 0;
}

static void close_stdio(int fds[3])
{
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

static void container_destroy_partial(container *c)
{
    if (c->stdin_writer >= 0)
        close(c->stdin_writer);
    if (c->cg_created) {
        container_cgroup_kill_all(&c->cg, SIGKILL, NULL);
        container_cgroup_destroy(&c->cg, NULL);
    }
    if (c->rootfs_mounted)
        container_unmount_tree(c->rootfs_dir, NULL);
    container_cgroup_free(&c->cg);
    container_seccomp_program_free(&c->seccomp);
    container_spec_free(&c->spec);
    free(c->id);
    free(c->bundle);
    free(c->rootfs_dir);
    free(c);
}

static int valid_id(const char *id)
{
    if (id == NULL || id[0] == '\0' || strchr(id, '/') != NULL || strcmp(id, ".") == 0 ||
        strcmp(id, "..") == 0)
        return 0;
    return 1;
}

container *container_create(const container_create_options *opts, util_error **err)
{
    if (opts == NULL || !valid_id(opts->id)) {
        util_error_set(err, 0, "container id \"%s\" is not valid",
                       opts && opts->id ? opts->id : "");
        return NULL;
    }
    if (opts->bundle == NULL || opts->bundle[0] != '/') {
        util_error_set(err, 0, "bundle: expected an absolute path");
        return NULL;
    }
    if (opts->stdio.terminal) {
        util_error_set(err, 0, "terminal: not supported (no console support)");
        return NULL;
    }
    container *c = util_xcalloc(1, sizeof(*c));
    c->id = util_xstrdup(opts->id);
    c->bundle = util_xstrdup(opts->bundle);
    c->sync_fd = -1;
    c->stdin_writer = -1;
    c->exit_status = -1;

    cleanup_free char *cfg_path = util_xasprintf("%s/config.json", opts->bundle);
    cleanup_free char *text = NULL;
    cleanup_free char *cg_path = NULL; /* declared before the first goto */
    size_t len;
    int fds[3] = {-1, -1, -1};
    if (util_read_file(cfg_path, &text, &len, err) < 0)
        goto fail;
    if (container_spec_parse(text, opts->bundle, &c->spec, err) < 0) {
        util_error_wrap(err, "%s", cfg_path);
        goto fail;
    }
    c->rootfs_dir = util_xstrdup(c->spec.root_path);
    if (opts->n_rootfs > 0) {
        if (container_rootfs_mount_all(opts->rootfs, opts->n_rootfs, c->rootfs_dir, err) < 0)
            goto fail;
        c->rootfs_mounted = true;
    }
    struct stat st;
    if (stat(c->rootfs_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        util_error_set(err, errno ? errno : ENOTDIR, "root.path %s", c->rootfs_dir);
        goto fail;
    }
    if (opts->prepare_rootfs != NULL) {
        container_prepare_lock(); /* it may dlopen: see launch.c */
        int r = opts->prepare_rootfs(opts->prepare_rootfs_ctx, c->rootfs_dir, err);
        container_prepare_unlock();
        if (r < 0) {
            util_error_wrap(err, "prepare rootfs");
            goto fail;
        }
    }
    if (container_seccomp_compile(c->spec.seccomp, &c->seccomp, err) < 0) {
        util_error_wrap(err, "%s", cfg_path);
        goto fail;
    }
    cg_path = container_cgroup_resolve_path(c->spec.cgroups_path, c->id, err);
    if (cg_path == NULL) {
        util_error_wrap(err, "%s: linux", cfg_path);
        goto fail;
    }
    if (container_cgroup_create(&c->cg, cg_path, &c->spec.resources, err) < 0)
        goto fail;
    c->cg_created = true;
    if (container_open_stdio(&opts->stdio, fds, &c->stdin_writer, err) < 0)
        goto fail;

    child_config cc = {
        .spec = &c->spec,
        .process = &c->spec.process,
        .seccomp = &c->seccomp,
        .stdio = {fds[0], fds[1], fds[2]},
        .is_exec = false,
    };
    pid_t pid = container_launch_process(&cc, &c->cg, &c->spec, &c->sync_fd, &c->handler, err);
    close_stdio(fds);
    if (pid < 0) {
        util_error_wrap(err, "create container %s", c->id);
        goto fail;
    }
    c->pid = pid;
    c->status = CONTAINER_CREATED;
    container_registry_add(c);
    return c;

fail:
    close_stdio(fds);
    container_destroy_partial(c);
    return NULL;
}

pid_t container_start(container *c, util_error **err)
{
    pthread_mutex_lock(&container_registry_lock);
    container_status_kind st = c->status;
    pthread_mutex_unlock(&container_registry_lock);
    if (st != CONTAINER_CREATED || c->sync_fd < 0)
        return util_error_set(err, 0, "container %s: cannot start, it is not in the created state",
                              c->id);
    int r = container_release_process(c->sync_fd, err);
    close(c->sync_fd);
    c->sync_fd = -1;
    /* containerd's writer connected when Create opened the read end */
    container_close_stdin(c, NULL, NULL);
    if (r < 0)
        return util_error_wrap(err, "start container %s", c->id);
    pthread_mutex_lock(&container_registry_lock);
    if (c->status == CONTAINER_CREATED)
        c->status = CONTAINER_RUNNING;
    pthread_mutex_unlock(&container_registry_lock);
    return c->pid;
}

int container_kill(container *c, int sig, bool all, util_error **err)
{
    pthread_mutex_lock(&container_registry_lock);
    container_status_kind st = c->status;
    pid_t pid = c->pid;
    pthread_mutex_unlock(&container_registry_lock);
    if (all)
        return container_cgroup_kill_all(&c->cg, sig, err);
    if (st == CONTAINER_STOPPED || pid <= 0)
        return util_error_set(err, ESRCH, "container %s: process already finished", c->id);
    if (kill(pid, sig) < 0)
        return util_error_set(err, errno, "container %s: kill %d", c->id, sig);
    return 0;
}

int container_delete(container *c, util_error **err)
{
    int rc = 0;
    if (c->sync_fd >= 0) {
        close(c->sync_fd);
        c->sync_fd = -1;
    }
    pthread_mutex_lock(&container_registry_lock);
    for (container_exec_rec *e = c->execs; e; e = e->next) {
        if (e->sync_fd >= 0) {
            close(e->sync_fd);
            e->sync_fd = -1;
        }
    }
    pid_t pid = c->status != CONTAINER_STOPPED ? c->pid : 0;
    pthread_mutex_unlock(&container_registry_lock);
    /* a paused container cannot die until thawed */
    if (pid > 0)
        kill(pid, SIGKILL);
    if (c->cg_created) {
        container_cgroup_freeze(&c->cg, false, NULL);
        if (container_cgroup_kill_all(&c->cg, SIGKILL, err) < 0)
            rc = -1;
        if (rc == 0 && container_cgroup_destroy(&c->cg, err) < 0)
            rc = -1;
        if (rc == 0)
            c->cg_created = false;
    }
    if (c->rootfs_mounted) {
        if (container_unmount_tree(c->rootfs_dir, rc == 0 ? err : NULL) < 0)
            rc = -1;
        else
            c->rootfs_mounted = false;
    }
    return rc;
}

void container_free(container *c)
{
    if (c == NULL)
        return;
    container_registry_remove(c);
    container_exec_rec *e = c->execs;
    while (e) {
        container_exec_rec *next = e->next;
        if (e->sync_fd >= 0)
            close(e->sync_fd);
        if (e->stdin_writer >= 0)
            close(e->stdin_writer);
        container_spec_process_free(&e->process);
        free(e->id);
        free(e);
        e = next;
    }
    if (c->sync_fd >= 0)
        close(c->sync_fd);
    if (c->stdin_writer >= 0)
        close(c->stdin_writer);
    container_cgroup_free(&c->cg);
    container_seccomp_program_free(&c->seccomp);
    container_spec_free(&c->spec);
    free(c->id);
    free(c->bundle);
    free(c->rootfs_dir);
    free(c);
}

int container_cleanup_bundle(const char *id, const char *bundle, util_error **err)
{
    if (!valid_id(id) || bundle == NULL)
        return util_error_set(err, 0, "cleanup: invalid id or bundle");
    cleanup_free char *cfg_path = util_xasprintf("%s/config.json", bundle);
    cleanup_free char *text = NULL;
    size_t len;
    spec s;
    memset(&s, 0, sizeof(s));
    cleanup_free char *root = NULL;
    cleanup_free char *cg_path = NULL;
    if (util_read_file(cfg_path, &text, &len, NULL) == 0 &&
        container_spec_parse(text, bundle, &s, NULL) == 0) {
        root = util_xstrdup(s.root_path);
        cg_path = container_cgroup_resolve_path(s.cgroups_path, id, NULL);
    }
    container_spec_free(&s);
    if (root == NULL)
        root = util_xasprintf("%s/rootfs", bundle);
    if (cg_path == NULL)
        cg_path = util_xasprintf("/%s", id);
    int rc = 0;
    cgroup cg;
    if (container_cgroup_open(&cg, cg_path, NULL) == 0) {
        if (cg.n_dirs > 0) {
            container_cgroup_freeze(&cg, false, NULL);
            if (container_cgroup_kill_all(&cg, SIGKILL, err) < 0 ||
                container_cgroup_destroy(&cg, err) < 0)
                rc = -1;
        }
        container_cgroup_free(&cg);
    }
    if (container_unmount_tree(root, rc == 0 ? err : NULL) < 0)
        rc = -1;
    return rc;
}

const char *container_id(const container *c)
{
    return c->id;
}

const char *container_bundle(const container *c)
{
    return c->bundle;
}

pid_t container_pid(const container *c)
{
    pthread_mutex_lock(&container_registry_lock);
    pid_t p = c->pid;
    pthread_mutex_unlock(&container_registry_lock);
    return p;
}

container_status_kind container_status(const container *c)
{
    pthread_mutex_lock(&container_registry_lock);
    container_status_kind s = c->status;
    pthread_mutex_unlock(&container_registry_lock);
    return s;
}

int container_exit_status(const container *c)
{
    pthread_mutex_lock(&container_registry_lock);
    int s = c->status == CONTAINER_STOPPED ? c->exit_status : -1;
    pthread_mutex_unlock(&container_registry_lock);
    return s;
}

const char *container_handler_name(const container *c)
{
    return c->handler ? c->handler->name : NULL;
}

const char *container_annotation(const container *c, const char *key)
{
    json_object *v = NULL;
    if (c->spec.annotations == NULL || !json_object_object_get_ex(c->spec.annotations, key, &v))
        return NULL;
    return json_object_get_string(v);
}

int container_stats_read(container *c, container_stats *stats, util_error **err)
{
    return container_cgroup_stats(&c->cg, stats, err);
}

int container_pids(container *c, pid_t **pids, size_t *n_pids, util_error **err)
{
    return container_cgroup_read_pids(&c->cg, pids, n_pids, err);
}

int container_pause(container *c, util_error **err)
{
    if (container_status(c) != CONTAINER_RUNNING)
        return util_error_set(err, 0, "container %s: cannot pause, it is not running", c->id);
    if (container_cgroup_freeze(&c->cg, true, err) < 0)
        return -1;
    pthread_mutex_lock(&container_registry_lock);
    if (c->status == CONTAINER_RUNNING)
        c->status = CONTAINER_PAUSED;
    pthread_mutex_unlock(&container_registry_lock);
    return 0;
}

int container_resume(container *c, util_error **err)
{
    if (container_status(c) != CONTAINER_PAUSED)
        return util_error_set(err, 0, "container %s: cannot resume, it is not paused", c->id);
    if (container_cgroup_freeze(&c->cg, false, err) < 0)
        return -1;
    pthread_mutex_lock(&container_registry_lock);
    if (c->status == CONTAINER_PAUSED)
        c->status = CONTAINER_RUNNING;
    pthread_mutex_unlock(&container_registry_lock);
    return 0;
}

int container_update(container *c, const char *resources_json, util_error **err)
{
    enum json_tokener_error jerr;
    json_object *obj = json_tokener_parse_verbose(resources_json ? resources_json : "",
                                                  &jerr);
    if (obj == NULL)
        return util_error_set(err, 0, "resources: invalid JSON: %s",
                              json_tokener_error_desc(jerr));
    spec_resources r;
    int rc = container_spec_parse_resources(obj, &r, err);
    json_object_put(obj);
    if (rc == 0)
        rc = container_cgroup_apply(&c->cg, &r, err);
    container_spec_resources_free(&r);
    return rc;
}
