/*
 * app_serve.c - spin_app_run: load the app (app_load.c), start every
 * trigger, wait for a stop, stop the triggers and free the app.
 *
 * Triggers come from the registry as ops (app_internal.h): this file only
 * starts them in order, prints what they announce, and stops them in
 * reverse order, so a trigger type added to the registry is served
 * without changes here.  The banner (log directory, then each trigger's
 * addresses and routes) is printed once every trigger is running, and
 * "ready" is written after it.
 *
 * Stopping: spin_app_stop() (called by our SIGTERM/SIGINT/SIGHUP handler,
 * or by an embedder) writes to a self-pipe the serving thread polls.  A
 * trigger whose work ends on its own (the command trigger) stops the app
 * the same way through spin_app_trigger_ended, and its status becomes the
 * run's: as in containerd-shim-spin, the app ends when its first trigger
 * ends.  Each trigger then gives work in progress a grace period and
 * interrupts what is still running after it.  When a trigger had to
 * abandon guests that would not end, the app stays allocated (they use its
 * modules) but the staging directory of the components' files is removed
 * all the same: the process is about to exit, and copies of the app's
 * files must not pile up.
 */
#include "app_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---- stop signalling --------------------------------------------------- */

static int stop_pipe[2] = {-1, -1};
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;
static atomic_bool stop_requested;
/* A trigger ended the run (spin_app_trigger_ended): its status. */
static atomic_bool trigger_ended;
static atomic_int ended_status;

static void stop_pipe_init(void)
{
    if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        stop_pipe[0] = stop_pipe[1] = -1;
}

void spin_app_stop(void)
{
    atomic_store(&stop_requested, true);
    if (stop_pipe[1] >= 0) {
        int saved = errno;
        ssize_t n = write(stop_pipe[1], "x", 1);
        (void)n;
        errno = saved;
    }
}

void spin_app_trigger_ended(const char *type, int status)
{
    bool expected = false;
    if (!atomic_compare_exchange_strong(&trigger_ended, &expected, true))
        return;
    atomic_store(&ended_status, status);
    util_log_info("trigger type '%s' exited (status %d): stopping the app", type, status);
    spin_app_stop();
}

static void on_signal(int sig)
{
    (void)sig;
    spin_app_stop();
}

/* ---- process settings for the run ------------------------------------ */

typedef struct saved_signals {
    struct sigaction old[3], old_pipe;
    bool handled;
} saved_signals;

static const int stop_signals[3] = {SIGTERM, SIGINT, SIGHUP};

static void signals_install(bool handle, saved_signals *saved)
{
    struct sigaction sa;
    saved->handled = handle;
    if (handle) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        for (int i = 0; i < 3; i++)
            sigaction(stop_signals[i], &sa, &saved->old[i]);
    }
    /* A guest writing to a closed stdio FIFO must fail its write, not kill
     * the app (Rust programs such as Spin ignore SIGPIPE the same way). */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &saved->old_pipe);
}

static void signals_restore(const saved_signals *saved)
{
    if (saved->handled)
        for (int i = 0; i < 3; i++)
            sigaction(stop_signals[i], &saved->old[i], NULL);
    sigaction(SIGPIPE, &saved->old_pipe, NULL);
}

/* Every connection is a descriptor: allow as many as we may. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void drain_stop_pipe(void)
{
    char drain[64];
    while (read(stop_pipe[0], drain, sizeof(drain)) > 0) {
    }
}

/* ---- serving ----------------------------------------------------------- */

/* Starts the triggers in order; on failure stops those already started. */
static int start_triggers(spin_loaded_app *a, util_buf *banner, util_error **err)
{
    for (size_t i = 0; i < a->ntriggers; i++) {
        spin_loaded_trigger *t = &a->triggers[i];
        if (t->ops->start(t->self, banner, err) < 0) {
            while (i-- > 0)
                a->triggers[i].ops->stop(a->triggers[i].self);
            return -1;
        }
    }
    return 0;
}

/* Returns false if some trigger abandoned work that may still run. */
static bool stop_triggers(spin_loaded_app *a)
{
    bool finished = true;
    for (size_t i = a->ntriggers; i-- > 0;)
        finished = a->triggers[i].ops->stop(a->triggers[i].self) && finished;
    return finished;
}

static void announce(const spin_loaded_app *a, const util_buf *triggers)
{
    const spin_run_options *opts = a->opts;
    util_buf b = {0};
    if (a->rc.log_dir)
        util_buf_printf(&b, "Logging component stdio to \"%s/\"\n", a->rc.log_dir);
    if (triggers->len)
        util_buf_printf(&b, "%s", triggers->data);
    if (opts->stdout_fd >= 0 && b.len)
        util_write_all(opts->stdout_fd, b.data, b.len);
    util_buf_free(&b);
    util_trace_mark("app-ready");
    if (opts->ready_fd >= 0)
        util_write_all(opts->ready_fd, "ready\n", 6);
}

static void wait_for_stop(void)
{
    while (!atomic_load(&stop_requested)) {
        struct pollfd p = {stop_pipe[0], POLLIN, 0};
        if (poll(&p, 1, 1000) > 0)
            drain_stop_pipe();
    }
}

int spin_app_run(const spin_run_options *opts, util_error **err)
{
    pthread_once(&stop_once, stop_pipe_init);
    if (stop_pipe[0] < 0)
        return util_error_set(err, errno, "creating the stop pipe");
    /* Drain stale wake-ups from an earlier run in this process. */
    drain_stop_pipe();
    atomic_store(&stop_requested, false);
    atomic_store(&trigger_ended, false);
    atomic_store(&ended_status, 0);
    saved_signals saved;
    signals_install(opts->handle_signals, &saved);
    raise_fd_limit();

    util_trace_mark("spin-app-run");
    spin_loaded_app a;
    util_buf banner = {0};
    int rc = spin_loaded_app_load(&a, opts, err);
    if (rc == 0)
        rc = start_triggers(&a, &banner, err);
    bool finished = true;
    if (rc == 0) {
        announce(&a, &banner);
        wait_for_stop();
        util_log_info("stopping: letting requests in progress finish");
        finished = stop_triggers(&a);
    }
    util_buf_free(&banner);
    if (finished)
        spin_loaded_app_free(&a);
    else
        spin_staging_remove(&a.staging_dir);
    signals_restore(&saved);
    if (rc < 0)
        return -1;
    return atomic_load(&trigger_ended) ? atomic_load(&ended_status) : 0;
}
