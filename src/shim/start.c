/*
 * start.c - the `start` action: find or launch the pod's shim daemon and
 * print its address.
 *
 * The parent binds the socket itself and hands it to the daemon as fd 3
 * (the Go shims' convention), so the address it prints is connectable the
 * moment `start` exits, with no readiness handshake.  The daemon is a
 * fresh exec of /proc/self/exe rather than a bare fork: it starts with a
 * clean address space and no inherited state of this short-lived process,
 * shows containerd's usual flags in ps, and costs only one exec per pod.
 * It runs in its own session with stdio on /dev/null, because containerd
 * reads `start`'s combined output until EOF: a daemon holding that pipe
 * would hang containerd.
 */
#include "shim_internal.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
        shim_runtime_options o;
        shim_options_parse((const uint8_t *)b.data, b.len, &o);
        if (o.present)
            util_log_debug("start: options type_url=%s config_path=%s systemd_cgroup=%d",
                           o.type_url, o.config_path, o.systemd_cgroup);
        shim_options_free(&o);
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
    const char *argv[16];
    int n = 0;
    argv[n++] = f->argv0;
    argv[n++] = "-namespace";
    argv[n++] = f->ns;
    argv[n++] = "-id";
    argv[n++] = f->id;
    argv[n++] = "-address";
    argv[n++] = f->address;
    if (f->publish_binary) {
        argv[n++] = "-publish-binary";
        argv[n++] = f->publish_binary;
    }
    if (f->debug)
        argv[n++] = "-debug";
    argv[n] = NULL;

    pid_t pid = fork();
    if (pid < 0)
        return util_error_set(err, errno, "fork");
    if (pid > 0)
        return pid;
    /* child: only async-signal-safe calls from here on */
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null < 0)
        _exit(127);
    if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
        _exit(127);
    if (listen_fd == 3) {
        int fl = fcntl(3, F_GETFD);
        if (fl < 0 || fcntl(3, F_SETFD, fl & ~FD_CLOEXEC) < 0)
            _exit(127);
    } else if (dup2(listen_fd, 3) < 0) { /* dup2 clears FD_CLOEXEC */
        _exit(127);
    }
    if (null > 3)
        close(null);
    execv("/proc/self/exe", (char *const *)argv);
    _exit(127);
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
        if (util_write_file_atomic(addr_file, addr, strlen(addr), 0644, err) < 0)
            return -1;
        fputs(addr, stdout);
        fflush(stdout);
        return 0;
    }
    pid_t pid = spawn_daemon(f, fd, err);
    close(fd);
    if (pid < 0 || util_write_file_atomic(addr_file, addr, strlen(addr), 0644, err) < 0) {
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
