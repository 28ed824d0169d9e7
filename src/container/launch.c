/*
 * launch.c - the shim's side of starting a container process: fork the
 * helper, put it in the cgroup, answer its requests, collect the pid and
 * the READY (or an error), and later release the process with START.
 *
 * The helper is a plain fork() child (glibc's fork keeps malloc usable in
 * the child of a multi-threaded shim).  It is waited for here; if the
 * shim's reaper got it first, waitpid fails with ECHILD, which is fine.
 * Before the fork every handler's prepare runs (handler.c).
 *
 * Why forks and prepares exclude each other (container_prepare_lock): a
 * prepare (or the Create's prepare_rootfs hook) may dlopen a library,
 * and a fork made by another thread while dlopen holds the dynamic
 * loader's lock and half-built state leaves the child with that lock
 * taken for ever: the exec's helper then hangs, and with it the task's
 * RPC.  So the fork takes the lock shared (forks still run side by side)
 * and the steps that may load libraries take it exclusively.
 *
 * Messages from the helper and from the container process share the
 * socket and may interleave, so the loop simply collects until it has
 * both a pid and a verdict.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_rwlock_t prepare_lock = PTHREAD_RWLOCK_INITIALIZER;

void container_prepare_lock(void)
{
    pthread_rwlock_wrlock(&prepare_lock);
}

void container_prepare_unlock(void)
{
    pthread_rwlock_unlock(&prepare_lock);
}

static int write_map(pid_t pid, const char *file, const spec_idmap *maps, size_t n,
                     util_error **err)
{
    util_buf b = {0};
    for (size_t i = 0; i < n; i++)
        util_buf_printf(&b, "%u %u %u\n", maps[i].container_id, maps[i].host_id, maps[i].size);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0 || (b.len && write(fd, b.data, b.len) < 0))
        rc = util_error_set(err, errno, "write %s", path);
    if (fd >= 0)
        close(fd);
    util_buf_free(&b);
    return rc;
}

static void reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* The handler that READY names (index + 1, 0 = execve). */
static int note_handler(int value, const container_handler **handler, util_error **err)
{
    if (value < 0 || (size_t)value > container_handler_count())
        return util_error_set(err, EPROTO, "the container process names handler %d", value);
    *handler = value == 0 ? NULL : container_handler_at((size_t)value - 1);
    return 0;
}

static pid_t launch_prepared(const child_config *cfg, cgroup *cg, const spec *sp, int *sync_fd,
                             const container_handler **handler, util_error **err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return util_error_set(err, errno, "socketpair");
    child_config ccfg = *cfg;
    ccfg.sync_fd = sv[1];

    pthread_rwlock_rdlock(&prepare_lock);
    pid_t helper = fork();
    if (helper != 0) /* the child never returns to code that unlocks */
        pthread_rwlock_unlock(&prepare_lock);
    if (helper < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return util_error_set(err, e, "fork");
    }
    if (helper == 0) {
        close(sv[0]);
        container_child_helper(&ccfg);
    }
    close(sv[1]);
    /* a process stuck in setup (a hung NFS mount, say) must not hang the
     * shim's Create forever: give up after two minutes */
    struct timeval tv = {.tv_sec = 120};
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    pid_t pid = 0;
    bool ready = false;
    util_error *failure = NULL;
    if (cg && container_cgroup_enter(cg, helper, &failure) < 0)
        goto fail;
    if (container_sync_send(sv[0], SYNC_GO, 0, NULL) < 0) {
        util_error_set(&failure, errno, "sync with the container helper");
        goto fail;
    }
    while (!(pid > 0 && ready)) {
        sync_msg m;
        if (container_sync_recv(sv[0], &m) < 0) {
            if (errno == 0)
                util_error_set(&failure, 0, "the container process exited during setup");
            else if (errno == EAGAIN || errno == EWOULDBLOCK)
                util_error_set(&failure, 0, "timed out waiting for the container process");
            else
                util_error_set(&failure, errno, "sync with the container process");
            goto fail;
        }
        switch (m.type) {
        case SYNC_USERNS:
            if (sp == NULL || write_map(helper, "uid_map", sp->uid_maps, sp->n_uid_maps,
                                        &failure) < 0 ||
                write_map(helper, "gid_map", sp->gid_maps, sp->n_gid_maps, &failure) < 0) {
                if (failure == NULL)
                    util_error_set(&failure, 0, "user namespace without mappings");
                goto fail;
            }
            container_sync_send(sv[0], SYNC_MAPPED, 0, NULL);
            break;
        case SYNC_PID:
            pid = m.value;
            break;
        case SYNC_READY:
            ready = true;
            if (note_handler(m.value, handler, &failure) < 0)
                goto fail;
            break;
        case SYNC_ERROR:
            failure = util_xcalloc(1, sizeof(*failure));
            failure->status = m.value;
            failure->msg = util_xstrdup(m.text);
            goto fail;
        default:
            util_error_set(&failure, EPROTO, "unexpected sync message %d", m.type);
            goto fail;
        }
    }
    reap(helper);
    *sync_fd = sv[0];
    return pid;

fail:
    /* The helper may not have told us the pid of what it cloned yet (the
     * process's error can overtake the helper's message).  Killing the
     * helper now would leave that process unreaped, a zombie in the pid
     * namespace whose init then never finishes exiting.  So: let every
     * child see EOF (the helper and the process exit on it), and read
     * until all of them have closed the socket, collecting the pid. */
    shutdown(sv[0], SHUT_WR);
    if (pid == 0) {
        sync_msg m;
        while (container_sync_recv(sv[0], &m) == 0) /* ends at EOF or the timeout */
            if (m.type == SYNC_PID)
                pid = m.value;
    }
    kill(helper, SIGKILL);
    reap(helper);
    if (pid > 0) {
        kill(pid, SIGKILL);
        reap(pid);
    }
    close(sv[0]);
    *err = failure;
    return -1;
}

pid_t container_launch_process(const child_config *cfg, cgroup *cg, const spec *sp, int *sync_fd,
                               const container_handler **handler, util_error **err)
{
    /* What must happen outside the container happens here, before the
     * fork (a Spin app's HTTP library, say: after pivot_root the host's
     * copy is out of sight); the forked processes inherit it. */
    handler_states hs;
    container_prepare_lock();
    int prepared = container_handlers_prepare(cfg->process, cfg->spec->root_path, &hs, err);
    container_prepare_unlock();
    if (prepared < 0)
        return -1;
    child_config ccfg = *cfg;
    ccfg.handlers = &hs;
    pid_t pid = launch_prepared(&ccfg, cg, sp, sync_fd, handler, err);
    container_handlers_release(&hs);
    return pid;
}

int container_release_process(int sync_fd, util_error **err)
{
    if (container_sync_send(sync_fd, SYNC_START, 0, NULL) < 0)
        return util_error_set(err, errno, "the container process is gone");
    sync_msg m;
    if (container_sync_recv(sync_fd, &m) == 0) {
        if (m.type == SYNC_ERROR)
            return util_error_set(err, 0, "%s", m.text);
        return util_error_set(err, EPROTO, "unexpected sync message %d", m.type);
    }
    if (errno != 0)
        return util_error_set(err, errno, "sync with the container process");
    return 0;
}
