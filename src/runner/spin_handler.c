/*
 * spin_handler.c - the container handler for Spin apps (runner.h).
 *
 * Two kinds of container are Spin apps:
 *   - a Spin image (FROM scratch, spin.toml and the components as files, as
 *     runwasi expects) runs with process.args ["/"]: decided on arg0 first,
 *     so "/" is never mistaken for a directory to execve, then /spin.toml;
 *   - an OCI artifact (src/oci installed its layers into the empty rootfs:
 *     /spin.json and the digest cache) has /spin.json, whatever its args:
 *     Kubernetes passes command ["/"], containerd-shim-spin's conformance
 *     harness "bogus-arg".  Only a native arg0 (ELF or `#!`) is left to
 *     execve, as runwasi runs such a container as a Linux one.
 * A rootfs with both (an image that ships a spin.json) run with "/" is the
 * spin.toml app, as in containerd-shim-spin, which reads /spin.json only
 * for artifact layers.
 *
 * Paths are taken below prog->rootfs: the host path of the root in
 * prepare, "/" in the container process.  libmicrohttpd is opened in
 * prepare, in the shim: the container process inherits the loaded library
 * across the fork and never needs the host's file after pivot_root.
 */
#include "runner.h"
#include "spin.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum { NOT_SPIN, SPIN_TOML, SPIN_LOCKED } spin_kind;

static bool arg0_is_root(const container_program *prog)
{
    return prog->n_args > 0 && strcmp(prog->args[0], "/") == 0;
}

/* A regular file (not a link to one) at <rootfs>/<name>. */
static bool root_has_file(const container_program *prog, const char *name)
{
    const char *root = prog->rootfs ? prog->rootfs : "/";
    size_t n = strlen(root);
    cleanup_free char *path = util_xasprintf("%s%s%s", root, n && root[n - 1] == '/' ? "" : "/",
                                             name);
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static spin_kind kind_of(const container_program *prog)
{
    if (arg0_is_root(prog) && root_has_file(prog, "spin.toml"))
        return SPIN_TOML;
    if (!prog->native && root_has_file(prog, "spin.json"))
        return SPIN_LOCKED;
    return NOT_SPIN;
}

static int spin_prepare(const container_program *prog, void **state, util_error **err)
{
    (void)state;
    /* In prepare `native` is not known yet: an artifact's rootfs is enough. */
    if (arg0_is_root(prog) || root_has_file(prog, "spin.json"))
        return spin_http_load(err);
    return 0;
}

static int spin_can_handle(void *state, const container_program *prog, util_error **err)
{
    (void)state;
    if (kind_of(prog) != NOT_SPIN)
        return 1;
    if (!arg0_is_root(prog))
        return 0;
    return util_error_set(err, 0,
                          "process.args[0] \"/\": not a Spin app (no /spin.toml or /spin.json "
                          "in the rootfs)");
}

static int spin_run(void *state, void *work, const container_program *prog)
{
    (void)state, (void)work;
    spin_run_options opts;
    spin_run_options_init(&opts);
    if (kind_of(prog) == SPIN_LOCKED)
        opts.locked_app_path = "/spin.json"; /* an artifact: its cache is /.cache */
    else
        opts.app_path = "/";
    opts.root_dir = "/"; /* the image's /runtime-config.toml, as in containerd-shim-spin */
    opts.env = (const char *const *)prog->env;
    opts.stdin_fd = 0;
    opts.stdout_fd = 1;
    opts.stderr_fd = 2;
    /* A command trigger's guest gets every process arg after its component
     * id, "/" included, as containerd-shim-spin passes ctx.args(). */
    opts.trigger_args = (const char *const *)prog->args;
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
