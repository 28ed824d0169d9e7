/*
 * serve.c - the long-lived shim daemon: logging to the bundle's `log`
 * FIFO, child-subreaper reaping, the ttrpc server and an orderly exit.
 *
 * Signals are caught with handlers, never blocked or ignored: a blocked
 * mask or SIG_IGN would be inherited by the container processes we fork
 * and exec (a container init that cannot see SIGTERM), whereas handlers
 * reset to the default on exec.  The SIGCHLD handler only writes a byte to
 * a pipe; the reaper thread does the waitpid(-1) loop and reports every
 * pid to the Task service, which asks the container layer whose it was.
 */
#include "proto.h"
#include "shim_internal.h"
#include "ttrpc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int sigchld_pipe[2] = {-1, -1};

static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t n = write(sigchld_pipe[1], "c", 1);
    (void)n;
    errno = saved;
}

static void on_ignored_signal(int sig)
{
    (void)sig; /* SIGTERM/SIGINT/SIGPIPE: the shim outlives them; see above */
}

typedef struct reaper_ctx {
    shim_service *svc;
} reaper_ctx;

static void *reaper(void *arg)
{
    reaper_ctx *r = arg;
    char buf[64];
    for (;;) {
        ssize_t n = read(sigchld_pipe[0], buf, sizeof buf);
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            break;
        for (;;) {
            int status;
            pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
            if (pid <= 0)
                break;
            util_log_debug("reaped pid %d status 0x%x", (int)pid, status);
            shim_service_reaped(r->svc, pid, status);
        }
    }
    return NULL;
}

static int setup_signals(util_error **err)
{
    if (pipe2(sigchld_pipe, O_CLOEXEC) < 0)
        return util_error_set(err, errno, "pipe");
    /* the handler must never block on a full pipe; one pending byte is
     * enough to make the reaper loop over waitpid */
    fcntl(sigchld_pipe[1], F_SETFL, O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) < 0)
        return util_error_set(err, errno, "sigaction SIGCHLD");
    sa.sa_handler = on_ignored_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    return 0;
}

static void setup_log(const char *bundle, bool debug)
{
    /* containerd's -debug flag wins; else the operator's LogLevel option;
     * else error, because logging per request is expensive. */
    const shim_runtime_options *opts = shim_options_for_daemon();
    if (debug)
        util_log_set_level(UTIL_LOG_DEBUG);
    else
        util_log_set_level(opts && opts->log_level_set ? opts->log_level : UTIL_LOG_ERROR);
    cleanup_free char *path = util_xasprintf("%s/log", bundle);
    /* containerd opened the read side before starting us.  Non-blocking so
     * a containerd that stops reading costs us log lines, not a hang. */
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 && fd != STDERR_FILENO) { /* no FIFO (tests, manual runs): keep stderr */
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    util_log_set_fd(STDERR_FILENO);
    if (opts)
        shim_options_report(opts, "start");
}

static void stop_server(void *arg)
{
    shim_ttrpc_server_stop(arg);
}

static char *socket_path_of(int fd)
{
    struct sockaddr_un sa;
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 || sa.sun_path[0] == '\0')
        return NULL;
    return util_xstrndup(sa.sun_path, sizeof sa.sun_path);
}

int shim_serve(const shim_flags *f, util_error **err)
{
    int lfd;
    if (f->socket && f->socket[0]) {
        lfd = shim_socket_listen(f->socket, err);
        if (lfd == -2)
            return util_error_set(err, EADDRINUSE, "serve: %s is in use by a live shim",
                                  f->socket);
        if (lfd < 0)
            return -1;
    } else {
        int type = 0;
        socklen_t tl = sizeof type;
        if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM)
            return util_error_set(err, 0,
                                  "serve: fd 3 is not a listening socket (run `start`, or "
                                  "pass -socket)");
        lfd = 3;
        fcntl(lfd, F_SETFD, FD_CLOEXEC);
    }
    return shim_serve_listener(f, lfd, err);
}

int shim_serve_listener(const shim_flags *f, int lfd, util_error **err)
{
    const char *bundle = f->bundle ? f->bundle : ".";
    setup_log(bundle, f->debug);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        return util_error_set(err, errno, "PR_SET_CHILD_SUBREAPER");
    cleanup_free char *sock_path = socket_path_of(lfd);
    if (setup_signals(err) < 0)
        return -1;

    shim_events *ev = shim_events_new(getenv("TTRPC_ADDRESS"), f->ns);
    shim_service *svc = shim_service_new(f->ns, bundle, ev);
    shim_service_set_containerd_address(svc, f->address);
    ttrpc_server *server = shim_ttrpc_server_new(lfd, shim_service_handle, svc);
    if (server == NULL)
        return util_error_set(err, errno, "serve: ttrpc server");
    shim_service_on_exit(svc, stop_server, server);

    static reaper_ctx rctx;
    rctx.svc = svc;
    pthread_t rt;
    if (pthread_create(&rt, NULL, reaper, &rctx) != 0)
        return util_error_set(err, 0, "serve: cannot start the reaper thread");
    pthread_detach(rt);
    util_log_debug("serving %s (pid %d)", sock_path ? sock_path : "fd 3", (int)getpid());
    util_trace_mark("shim-serving");

    shim_ttrpc_server_run(server);

    /* Shutdown was accepted: let its reply (and any last call) go out,
     * deliver queued events, and leave no socket behind. */
    if (sock_path)
        unlink(sock_path);
    for (int i = 0; i < 200 && shim_ttrpc_server_inflight(server) > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    size_t left = shim_events_flush(ev, 3000);
    if (left)
        util_log_error("exit: %zu events not delivered", left);
    util_log_debug("shim exiting");
    _exit(0);
}

int shim_main(int argc, char **argv)
{
    shim_flags f;
    util_error *err = NULL;
    if (shim_parse_flags(argc, argv, &f, &err) < 0) {
        util_error_report(&err, "containerd-shim-spin-v2");
        return 1;
    }
    if (f.debug)
        util_log_set_level(UTIL_LOG_DEBUG);
    int rc;
    if (f.info)
        rc = shim_action_info(&err);
    else if (f.action == NULL)
        rc = shim_serve(&f, &err);
    else if (strcmp(f.action, "start") == 0)
        rc = shim_action_start(&f, &err);
    else
        rc = shim_action_delete(&f, &err);
    if (rc < 0) {
        util_error_report(&err, "containerd-shim-spin-v2");
        return 1;
    }
    return 0;
}
