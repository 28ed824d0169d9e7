/*
 * run.c - decides what the container process runs, and runs it.
 *
 * The decision mirrors runwasi's executor choice, made on the file itself
 * rather than on image metadata we do not have:
 *   arg0 "/" and /spin.toml present          -> the Spin host, in-process
 *   arg0 resolved via PATH to "\0asm..."     -> a WASI command, in-process
 *     (or arg0 ending in ".wasm")
 *   "\x7fELF..." or "#!..."                  -> execve (pause, busybox, sidecars)
 * so a pod's pause container and sidecars run natively next to Wasm apps.
 *
 * In-process means inside this fully set-up container process (namespaces,
 * cgroup, rootfs, user, capabilities and seccomp already applied), exactly
 * where execve would have run the program: the engine sees the container's
 * root as "/" and its stdio as 0/1/2.  Exit statuses: the guest's exit
 * code; a trap or other run-time failure prints the message and backtrace
 * on stderr and exits 134 (like an abort); a Spin app that cannot start
 * prints why and exits 137, as runwasi does.
 */
#include "internal.h"
#include "spin.h"
#include "wasi.h"
#include "wasm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(char *const *env, const char *key)
{
    size_t kl = strlen(key);
    for (; env && *env; env++)
        if (strncmp(*env, key, kl) == 0 && (*env)[kl] == '=')
            return *env + kl + 1;
    return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t l = strlen(s), sl = strlen(suffix);
    return l >= sl && strcmp(s + l - sl, suffix) == 0;
}

static bool is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *search_path(const char *name, const char *path_var)
{
    const char *p = path_var;
    while (p && *p) {
        const char *e = strchr(p, ':');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char *cand = util_xasprintf("%.*s/%s", (int)l, l ? p : ".", name);
        if (is_regular(cand) && access(cand, X_OK) == 0)
            return cand;
        /* a Wasm module need not be executable */
        if (ends_with(name, ".wasm") && is_regular(cand))
            return cand;
        free(cand);
        p += l + (e ? 1 : 0);
    }
    return NULL;
}

static int load_module(const char *path, run_target *t, util_error **err)
{
    char *bytes = NULL;
    size_t len = 0;
    if (util_read_file(path, &bytes, &len, err) < 0)
        return util_error_wrap(err, "process.args[0]");
    wasm_features features = {0};
    wasm_result res;
    wasm_result_init(&res);
    t->module = wasm_module_new_take((uint8_t *)bytes, len, &features, &res);
    if (t->module == NULL)
        return util_error_set(err, 0, "%s: %s module: %s", path,
                              res.kind == WASM_MALFORMED ? "malformed" : "invalid", res.message);
    return 0;
}

int run_resolve(const spec_process *p, run_target *t, util_error **err)
{
    const char *arg0 = p->args[0];
    memset(t, 0, sizeof(*t));
    if (strcmp(arg0, "/") == 0) {
        if (!is_regular("/spin.toml"))
            return util_error_set(err, 0,
                                  "process.args[0] \"/\": not a Spin app (no /spin.toml in the "
                                  "rootfs)");
        t->kind = CONTAINER_KIND_SPIN;
        t->path = util_xstrdup("/");
        return 0;
    }
    if (strchr(arg0, '/') != NULL) {
        if (!is_regular(arg0))
            return util_error_set(err, errno ? errno : EISDIR, "process.args[0] %s", arg0);
        t->path = util_xstrdup(arg0);
    } else {
        const char *pv = env_get(p->env, "PATH");
        t->path = search_path(arg0, pv ? pv : DEFAULT_PATH);
        if (t->path == NULL)
            return util_error_set(err, 0,
                                  "process.args[0] \"%s\": executable file not found in $PATH",
                                  arg0);
    }

    unsigned char magic[4] = {0};
    int fd = open(t->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return util_error_set(err, errno, "process.args[0] %s", t->path);
    ssize_t n = read(fd, magic, sizeof(magic));
    close(fd);
    if (n == 4 && memcmp(magic, "\0asm", 4) == 0) {
        t->kind = CONTAINER_KIND_WASI;
    } else if ((n == 4 && memcmp(magic, "\x7f" "ELF", 4) == 0) ||
               (n >= 2 && magic[0] == '#' && magic[1] == '!')) {
        t->kind = CONTAINER_KIND_NATIVE;
        if (access(t->path, X_OK) < 0)
            return util_error_set(err, errno, "process.args[0] %s", t->path);
        return 0;
    } else if (ends_with(t->path, ".wasm")) {
        t->kind = CONTAINER_KIND_WASI; /* the engine will say what is wrong */
    } else {
        return util_error_set(err, ENOEXEC,
                              "process.args[0] %s: not an ELF or #! program, Wasm module or "
                              "Spin app",
                              t->path);
    }
    return load_module(t->path, t, err);
}

static void exit_on_signal(int sig)
{
    _exit(128 + sig);
}

static void run_wasi(const spec_process *p, run_target *t)
{
    /* As pid 1 of its namespace the process ignores signals it has no
     * handler for; a Wasm command should still stop on SIGTERM/SIGINT. */
    signal(SIGTERM, exit_on_signal);
    signal(SIGINT, exit_on_signal);
    signal(SIGHUP, exit_on_signal);

    wasi_preopen root = {.host_path = "/", .guest_path = "/", .read_only = false};
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = (const char *const *)p->args;
    cfg.argc = p->n_args;
    cfg.env = (const char *const *)p->env;
    cfg.envc = p->n_env;
    cfg.preopens = &root;
    cfg.npreopens = 1;
    wasm_result res;
    wasm_result_init(&res);
    int code = 0;
    util_error *err = NULL;
    int r = wasi_run_command(t->module, &cfg, NULL, NULL, &res, &code, &err);
    wasm_module_free(t->module);
    if (r == 0)
        _exit(code & 0xff);
    if (err != NULL) {
        dprintf(2, "%s: %s\n", p->args[0], err->msg);
    } else {
        const char *what = res.kind == WASM_TRAP          ? "wasm trap"
                           : res.kind == WASM_UNLINKABLE  ? "cannot link"
                           : res.kind == WASM_RESOURCE    ? "resource limit"
                           : res.kind == WASM_INTERRUPTED ? "interrupted"
                                                          : "failed";
        dprintf(2, "%s: %s: %s\n", p->args[0], what, res.message);
        if (res.backtrace[0])
            dprintf(2, "wasm backtrace:\n%s\n", res.backtrace);
    }
    _exit(134);
}

static void run_spin(const spec_process *p)
{
    spin_run_options opts;
    spin_run_options_init(&opts);
    opts.app_path = "/";
    opts.root_dir = "/"; /* the image's /runtime-config.toml, as in containerd-shim-spin */
    opts.env = (const char *const *)p->env;
    opts.stdout_fd = 1;
    opts.stderr_fd = 2;
    opts.handle_signals = true;
    util_error *err = NULL;
    int status = spin_app_run(&opts, &err);
    if (status < 0) {
        dprintf(2, "spin: %s\n", err ? err->msg : "could not start");
        _exit(137);
    }
    _exit(status & 0xff);
}

void run_process(const spec_process *p, run_target *t, int sync_fd)
{
    if (t->kind == CONTAINER_KIND_NATIVE) {
        execve(t->path, p->args, p->env);
        sync_fail(sync_fd, errno, "exec %s", t->path);
    }
    /* in-process: tell the shim we are running (EOF on the socket) */
    close(sync_fd);
    if (t->kind == CONTAINER_KIND_WASI)
        run_wasi(p, t);
    run_spin(p);
    _exit(137);
}
