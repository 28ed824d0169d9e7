/*
 * start.c - the `start` action: find or launch the pod's shim daemon and
 * print its address.
 *
 * The parent binds the socket itself before the daemon exists, so the
 * address it prints is connectable the moment `start` exits, with no
 * readiness handshake.  The daemon is a plain fork of `start`, not a
 * re-exec of /proc/self/exe with the socket as fd 3 like the Go shims:
 * `start` is single-threaded and has done nothing but parse flags, so
 * nothing unsafe is inherited, and skipping the second exec and dynamic
 * link saves a process start per pod on containerd's critical path.  The
 * state files (address here, init.pid at Create) are renamed into place
 * without fsync: see shim_write_state_file.  The daemon
 * still accepts fd 3 or -socket when run directly.  It runs in its own
 * session with stdio on /dev/null, because containerd reads `start`'s
 * combined output until EOF: a daemon holding that pipe would hang
 * containerd.
 */
#include "shim_internal.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int shim_write_state_file(const char *path, const char *text, util_error **err)
{
    return util_replace_file(path, text, strlen(text), 0644, false, err);
}

static void read_stdin_options(void)
{
    if (isatty(STDIN_FILENO))
        return;
    util_buf b = {0};
    char chunk[4096];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || b.len > (1u << 20))
            break;
        util_buf_append(&b, chunk, (size_t)n);
    }
    if (b.len > 0) {
        /* Reported by the daemon once its log is set up: whatever `start`
         * printed would land in the address containerd reads. */
        shim_runtime_options o;
        shim_options_parse((const uint8_t *)b.data, b.len, &o);
        shim_options_keep_for_daemon(&o);
    }
    util_buf_free(&b);
}

static void adjust_oom_score(pid_t child)
{
    /* like the Go shim: one point more killable than containerd itself */
    char path[64], buf[32];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)getppid());
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    int score = atoi(buf) + 1;
    if (score > 1000)
        score = 1000;
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)child);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    int len = snprintf(buf, sizeof buf, "%d", score);
    if (write(fd, buf, (size_t)len) < 0)
        util_log_debug("start: oom_score_adj: %s", strerror(errno));
    close(fd);
}

static pid_t spawn_daemon(const shim_flags *f, int listen_fd, util_error **err)
{
    pid_t pid = fork();
    if (pid < 0)
        return util_error_set(err, errno, "fork");
    if (pid > 0)
        return pid;
    /* The daemon: `start` is single-threaded, so the forked child may go
     * on normally. */
    setsid();
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
        _exit(127);
    close(null);
    /* ps should show containerd's flags, not a `start` that is long over */
    if (f->action)
        memset((char *)f->action, '\0', strlen(f->action));
    shim_flags df = *f;
    df.action = NULL;
    util_error *e = NULL;
    shim_serve_listener(&df, listen_fd, &e);
    util_error_report(&e, "containerd-shim-spin-v2");
    _exit(1);
}

int shim_action_start(const shim_flags *f, util_error **err)
{
    read_stdin_options();
    const char *bundle = f->bundle ? f->bundle : ".";
    cleanup_free char *config = util_xasprintf("%s/config.json", bundle);
    cleanup_free char *group = shim_group_key(config, f->id);
    cleanup_free char *addr = shim_socket_address(NULL, f->address, f->ns, group);
    cleanup_free char *addr_file = util_xasprintf("%s/address", bundle);

    int fd = shim_socket_listen(addr, err);
    if (fd == -1)
        return util_error_wrap(err, "start %s", f->id);
    if (fd == -2) {
        /* another container of this pod: its shim serves us too */
        if (shim_write_state_file(addr_file, addr, err) < 0)
            return -1;
        fputs(addr, stdout);
        fflush(stdout);
        return 0;
    }
    pid_t pid = spawn_daemon(f, fd, err);
    close(fd);
    if (pid < 0 || shim_write_state_file(addr_file, addr, err) < 0) {
        if (pid > 0)
            kill(pid, SIGKILL);
        unlink(addr + strlen("unix://"));
        return util_error_wrap(err, "start %s", f->id);
    }
    adjust_oom_score(pid);
    fputs(addr, stdout);
    fflush(stdout);
    return 0;
}
