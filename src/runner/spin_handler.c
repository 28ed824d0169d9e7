/*
 * spin_handler.c - the container handler for Spin apps (runner.h).
 *
 * A Spin image (FROM scratch, spin.toml and the components as files, as
 * runwasi expects) runs with process.args ["/"].  The decision is made on
 * arg0 alone, before any file is looked at, so "/" is never mistaken for a
 * directory to execve.  libmicrohttpd is opened in prepare, in the shim:
 * the container process inherits the loaded library across the fork and
 * never needs the host's file after pivot_root.
 */
#include "runner.h"
#include "spin.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_spin_app(const container_program *prog)
{
    return prog->n_args > 0 && strcmp(prog->args[0], "/") == 0;
}

static int spin_prepare(const container_program *prog, void **state, util_error **err)
{
    return is_spin_app(prog) ? spin_http_load(err) : 0;
}

static int spin_can_handle(void *state, const container_program *prog, util_error **err)
{
    if (!is_spin_app(prog))
        return 0;
    struct stat st;
    if (stat("/spin.toml", &st) < 0 || !S_ISREG(st.st_mode))
        return util_error_set(err, 0,
                              "process.args[0] \"/\": not a Spin app (no /spin.toml in the "
                              "rootfs)");
    return 1;
}

static int spin_run(void *state, void *work, const container_program *prog)
{
    spin_run_options opts;
    spin_run_options_init(&opts);
    opts.app_path = "/";
    opts.root_dir = "/"; /* the image's /runtime-config.toml, as in containerd-shim-spin */
    opts.env = (const char *const *)prog->env;
    opts.stdout_fd = 1;
    opts.stderr_fd = 2;
    opts.handle_signals = true;
    /* The app's own log is what `kubectl logs` shows: it keeps warnings
     * (refused requests, skipped files, traps) even when the shim itself
     * logs only errors; they are rare, unlike the per-request lines that
     * made containerd-shim-spin quiet by default. */
    if (util_log_get_level() < UTIL_LOG_WARN)
        util_log_set_level(UTIL_LOG_WARN);
    util_error *err = NULL;
    int status = spin_app_run(&opts, &err);
    if (status < 0) {
        dprintf(2, "spin: %s\n", err ? err->msg : "could not start");
        util_error_free(&err);
        return 137;
    }
    return status;
}

const container_handler runner_spin_handler = {
    .name = "spin",
    .runs = "Spin app",
    .prepare = spin_prepare,
    .can_handle = spin_can_handle,
    .run = spin_run,
};
