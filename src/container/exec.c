/*
 * exec.c - additional processes in a running container (containerd's
 * Exec + Start(exec_id)).
 *
 * An exec goes through the same helper/handshake as the init (launch.c):
 * the helper joins every namespace of the init by /proc/<pid>/ns (user
 * first, mount last) and sits in the container's cgroup, so the process
 * sees the container's root, pids and network, is counted in its stats and
 * dies with delete.  It gets the container's seccomp filter and its own
 * user, cwd, env, capabilities and rlimits from the Process JSON.
 */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static container_exec_rec *find(const container *c, const char *exec_id)
{
    for (container_exec_rec *e = c->execs; e && exec_id; e = e->next)
        if (strcmp(e->id, exec_id) == 0)
            return e;
    return NULL;
}

int container_exec_create(container *c, const char *exec_id, const char *process_json,
                          const container_stdio *stdio, util_error **err)
{
    if (exec_id == NULL || exec_id[0] == '\0')
        return util_error_set(err, 0, "exec id must not be empty");
    pthread_mutex_lock(&container_registry_lock);
    bool exists = find(c, exec_id) != NULL;
    container_status_kind st = c->status;
    pid_t target = c->pid;
    pthread_mutex_unlock(&container_registry_lock);
    if (exists)
        return util_error_set(err, EEXIST, "exec %s already exists in container %s", exec_id,
                              c->id);
    if (st != CONTAINER_RUNNING)
        return util_error_set(err, 0, "container %s is not running", c->id);

    container_exec_rec *e = util_xcalloc(1, sizeof(*e));
    e->sync_fd = -1;
    e->stdin_writer = -1;
    e->exit_status = -1;
    if (container_spec_parse_process_json(process_json ? process_json : "", &e->process, err) < 0) {
        free(e); /* the parser freed what it had made */
        return util_error_wrap(err, "exec %s", exec_id);
    }
    if (e->process.terminal) {
        container_spec_process_free(&e->process);
        free(e);
        return util_error_set(err, 0, "exec %s: process.terminal: terminals are not supported",
                              exec_id);
    }
    int fds[3];
    container_stdio none = {0};
    if (container_open_stdio(stdio ? stdio : &none, fds, &e->stdin_writer, err) < 0) {
        container_spec_process_free(&e->process);
        free(e);
        return util_error_wrap(err, "exec %s", exec_id);
    }
    child_config cc = {
        .spec = &c->spec,
        .process = &e->process,
        .seccomp = &c->seccomp,
        .stdio = {fds[0], fds[1], fds[2]},
        .is_exec = true,
        .target_pid = target,
    };
    const container_handler *handler;
    pid_t pid = container_launch_process(&cc, &c->cg, NULL, &e->sync_fd, &handler, err);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    if (pid < 0) {
        if (e->stdin_writer >= 0)
            close(e->stdin_writer);
        container_spec_process_free(&e->process);
        free(e);
        return util_error_wrap(err, "exec %s in container %s", exec_id, c->id);
    }
    e->id = util_xstrdup(exec_id);
    e->pid = pid;
    e->status = CONTAINER_CREATED;
    pthread_mutex_lock(&container_registry_lock);
    e->next = c->execs;
    c->execs = e;
    pthread_mutex_unlock(&container_registry_lock);
    return 0;
}

pid_t container_exec_start(container *c, const char *exec_id, util_error **err)
{
    pthread_mutex_lock(&container_registry_lock);
    container_exec_rec *e = find(c, exec_id);
    bool ok = e && e->status == CONTAINER_CREATED && e->sync_fd >= 0;
    int fd = ok ? e->sync_fd : -1;
    if (ok)
        e->sync_fd = -1;
    pthread_mutex_unlock(&container_registry_lock);
    if (e == NULL)
        return util_error_set(err, ENOENT, "exec %s not found in container %s",
                              exec_id ? exec_id : "", c->id);
    if (!ok)
        return util_error_set(err, 0, "exec %s: already started", exec_id);
    int r = container_release_process(fd, err);
    close(fd);
    container_close_stdin(c, exec_id, NULL); /* as container_start */
    if (r < 0)
        return util_error_wrap(err, "start exec %s", exec_id);
    pthread_mutex_lock(&container_registry_lock);
    if (e->status == CONTAINER_CREATED)
        e->status = CONTAINER_RUNNING;
    pid_t pid = e->pid;
    pthread_mutex_unlock(&container_registry_lock);
    return pid;
}

int container_exec_kill(container *c, const char *exec_id, int sig, util_error **err)
{
    pthread_mutex_lock(&container_registry_lock);
    container_exec_rec *e = find(c, exec_id);
    pid_t pid = e ? e->pid : 0;
    bool stopped = e && e->status == CONTAINER_STOPPED;
    pthread_mutex_unlock(&container_registry_lock);
    if (e == NULL)
        return util_error_set(err, ENOENT, "exec %s not found in container %s",
                              exec_id ? exec_id : "", c->id);
    if (stopped)
        return util_error_set(err, ESRCH, "exec %s: process already finished", exec_id);
    if (kill(pid, sig) < 0)
        return util_error_set(err, errno, "exec %s: kill %d", exec_id, sig);
    return 0;
}

pid_t container_exec_pid(const container *c, const char *exec_id)
{
    pthread_mutex_lock(&container_registry_lock);
    container_exec_rec *e = find(c, exec_id);
    pid_t pid = e ? e->pid : 0;
    pthread_mutex_unlock(&container_registry_lock);
    return pid;
}

container_status_kind container_exec_status(const container *c, const char *exec_id)
{
    pthread_mutex_lock(&container_registry_lock);
    container_exec_rec *e = find(c, exec_id);
    container_status_kind s = e ? e->status : CONTAINER_STOPPED;
    pthread_mutex_unlock(&container_registry_lock);
    return s;
}

int container_exec_exit_status(const container *c, const char *exec_id)
{
    pthread_mutex_lock(&container_registry_lock);
    container_exec_rec *e = find(c, exec_id);
    int s = e && e->status == CONTAINER_STOPPED ? e->exit_status : -1;
    pthread_mutex_unlock(&container_registry_lock);
    return s;
}

int container_exec_delete(container *c, const char *exec_id, util_error **err)
{
    pthread_mutex_lock(&container_registry_lock);
    container_exec_rec **pp = &c->execs;
    while (*pp && strcmp((*pp)->id, exec_id ? exec_id : "") != 0)
        pp = &(*pp)->next;
    container_exec_rec *e = *pp;
    if (e)
        *pp = e->next;
    pthread_mutex_unlock(&container_registry_lock);
    if (e == NULL)
        return util_error_set(err, ENOENT, "exec %s not found in container %s",
                              exec_id ? exec_id : "", c->id);
    if (e->status != CONTAINER_STOPPED && e->pid > 0)
        kill(e->pid, SIGKILL);
    if (e->sync_fd >= 0)
        close(e->sync_fd);
    if (e->stdin_writer >= 0)
        close(e->stdin_writer);
    container_spec_process_free(&e->process);
    free(e->id);
    free(e);
    return 0;
}

int container_close_stdin(container *c, const char *exec_id, util_error **err)
{
    pthread_mutex_lock(&container_registry_lock);
    int *writer = &c->stdin_writer;
    if (exec_id && exec_id[0]) {
        container_exec_rec *e = find(c, exec_id);
        writer = e ? &e->stdin_writer : NULL;
    }
    int fd = writer ? *writer : -1;
    if (writer)
        *writer = -1;
    pthread_mutex_unlock(&container_registry_lock);
    if (writer == NULL)
        return util_error_set(err, ENOENT, "exec %s not found in container %s", exec_id, c->id);
    if (fd >= 0)
        close(fd);
    return 0;
}
