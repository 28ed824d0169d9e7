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
 * prepare, "/" in the container process.  The shared libraries the app
 * needs (libmicrohttpd, and the clients of the hosts it may reach) are
 * opened in prepare, in the shim: the container process inherits them
 * across the fork and never needs the host's files after pivot_root.
 * Which ones, spin_app_libraries() decides from the manifest and runtime
 * config read here (a fresh shim spent ~30 ms loading every client for
 * apps that use none); the container process then seals loading, so a
 * library it was not given fails with a message instead of being looked
 * for among the image's files.
 */
#include "runner.h"
#include "spin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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

/* Largest manifest or runtime config read to decide what to preload;
 * a bigger one loads everything. */
#define PRELOAD_MAX_FILE (16u << 20)

/* Opens the regular file at path for reading, never following a link and
 * never opening anything else: the image's files are read here on the
 * host, as root, and opening a device node can act by itself (a watchdog
 * starts, a tty becomes the shim's controlling terminal), so the name is
 * first taken as an O_PATH handle, checked, and only then opened through
 * that handle (the same inode, whatever is renamed meanwhile). */
static int open_regular(const char *path, struct stat *st)
{
    int pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (pfd < 0)
        return -1;
    int fd = -1;
    if (fstat(pfd, st) == 0 && S_ISREG(st->st_mode)) {
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
        fd = open(self, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    } else {
        errno = EINVAL;
    }
    int saved = errno;
    close(pfd);
    errno = saved;
    return fd;
}

/* Reads <rootfs>/<name> if it is a regular file no bigger than
 * PRELOAD_MAX_FILE (never following a link, never opening a FIFO or a
 * device): 1 with *data malloc'd, 0 if there is no such name, -1 otherwise. */
static int read_root_file(const container_program *prog, const char *name, char **data,
                          size_t *len)
{
    const char *root = prog->rootfs ? prog->rootfs : "/";
    size_t n = strlen(root);
    cleanup_free char *path = util_xasprintf("%s%s%s", root, n && root[n - 1] == '/' ? "" : "/",
                                             name);
    struct stat st;
    int fd = open_regular(path, &st);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    int rc = -1;
    if ((uint64_t)st.st_size <= PRELOAD_MAX_FILE) {
        char *buf = util_xmalloc((size_t)st.st_size + 1);
        ssize_t got = read(fd, buf, (size_t)st.st_size + 1);
        if (got == st.st_size) {
            buf[got] = '\0';
            *data = buf;
            *len = (size_t)got;
            rc = 1;
        } else {
            free(buf);
        }
    }
    close(fd);
    return rc;
}

static bool env_has(const container_program *prog, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; prog->env && prog->env[i]; i++)
        if (strncmp(prog->env[i], key, n) == 0 && prog->env[i][n] == '=')
            return true;
    return false;
}

/* What to load for the app in prog->rootfs (its manifest is `name`). */
static unsigned libraries_for(const container_program *prog, const char *name, bool locked)
{
    cleanup_free char *manifest = NULL, *rc = NULL;
    size_t manifest_len = 0, rc_len = 0;
    if (read_root_file(prog, name, &manifest, &manifest_len) <= 0 ||
        env_has(prog, "SPIN_RUNTIME_CONFIG_FILE") ||
        read_root_file(prog, "runtime-config.toml", &rc, &rc_len) < 0)
        return SPIN_LIB_ALL;
    unsigned libs = spin_app_libraries(manifest, manifest_len, locked, rc, rc_len);
    /* the OTLP exporter sends through libcurl, which cannot load later */
    if (env_has(prog, "OTEL_EXPORTER_OTLP_ENDPOINT") ||
        env_has(prog, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        libs |= SPIN_LIB_HTTP_CLIENT;
    return libs;
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
    unsigned libs = 0;
    if (arg0_is_root(prog) && root_has_file(prog, "spin.toml"))
        libs = libraries_for(prog, "spin.toml", false);
    else if (root_has_file(prog, "spin.json"))
        libs = libraries_for(prog, "spin.json", true);
    else if (arg0_is_root(prog))
        libs = SPIN_LIB_ALL;
    else
        return 0;
    util_log_debug("spin: preloading libraries 0x%x for the app", libs);
    int rc = spin_preload_libraries(libs, err);
    util_trace_mark("spin-libraries-loaded");
    return rc;
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
    util_dl_seal("the shim loads before the container starts only the libraries the app's "
                 "manifest asks for (an http trigger; the schemes of allowed_outbound_hosts)");
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
