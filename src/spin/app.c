/*
 * app.c - spin_app_run / spin_app_check: from spin.toml to a serving HTTP
 * trigger, and a graceful stop.
 *
 * Start-up does every check before binding the port, so a broken app fails
 * fast with one message naming the problem (Spin's order): manifest,
 * runtime config, SPIN_COMPONENTS_TO_RETAIN, trigger types, variables,
 * then per component its log files, its `files`, its compiled module and
 * its executor, and finally the routing table.
 *
 * Component `files` are materialised once (files_stage.c: a private
 * staging directory, or one clean directory as is) and preopened
 * read-only as the guest's "/".  The staging directory is removed when
 * the app stops, also when a stop had to abandon guests that would not
 * end.
 *
 * Stopping: spin_app_stop() (called by our SIGTERM/SIGINT/SIGHUP handler,
 * or by an embedder) writes to a self-pipe the serving thread polls.  The
 * server then gives requests in progress a grace period, logs and
 * interrupts what is still running after it, and the app is freed.
 */
#include "app_internal.h"
#include "http_server.h"
#include "wagi_link.h"
#include "wasi.h"
#include "wasm.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- stop signalling --------------------------------------------------- */

static int stop_pipe[2] = {-1, -1};
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;
static atomic_bool stop_requested;

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

static void on_signal(int sig)
{
    (void)sig;
    spin_app_stop();
}

/* ---- the loaded app ---------------------------------------------------- */

typedef struct loaded_app {
    spin_manifest *manifest;
    spin_runtime_config rc;
    spin_resolved_vars vars;
    spin_component_runtime *comps; /* one per component used by a trigger */
    size_t ncomps;
    spin_http_trigger trigger;
    char *staging_dir; /* root of the `files` staging dirs, NULL if none */
    char *app_id;
} loaded_app;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP || flag == FTW_D)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void remove_staging(loaded_app *a)
{
    if (a->staging_dir) {
        nftw(a->staging_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(a->staging_dir);
        a->staging_dir = NULL;
    }
}

static void loaded_app_free(loaded_app *a)
{
    for (size_t i = 0; i < a->trigger.ntargets; i++) {
        spin_http_target *t = &a->trigger.targets[i];
        if (t->exec.ops && t->exec.ops->free)
            t->exec.ops->free(t->exec.self);
    }
    free(a->trigger.targets);
    spin_router_free(a->trigger.router);
    for (size_t i = 0; i < a->ncomps; i++) {
        spin_component_runtime *c = &a->comps[i];
        if (c->module)
            wasm_module_free(c->module);
        for (size_t j = 0; j < c->nenv; j++)
            free(c->env[j]);
        free(c->env);
        free((char *)c->files_dir);
        if (c->owns_fds) {
            if (c->stdout_fd >= 0)
                close(c->stdout_fd);
            if (c->stderr_fd >= 0)
                close(c->stderr_fd);
        }
    }
    free(a->comps);
    remove_staging(a);
    spin_resolved_vars_clear(&a->vars);
    spin_runtime_config_clear(&a->rc);
    spin_manifest_free(a->manifest);
    free(a->app_id);
}

/* ---- components -------------------------------------------------------- */

static char *host_path(const spin_manifest *m, const char *p)
{
    if (p[0] == '/')
        return util_xstrdup(p);
    return util_xasprintf("%s/%s", m->dir, p);
}

/* The component's `files`, checked and staged by files_stage.c. */
static int stage_files(loaded_app *a, const spin_component *c, spin_component_runtime *rt,
                       util_error **err)
{
    char *dir = NULL;
    if (spin_component_files_dir(a->manifest, c, &a->staging_dir, &dir, err) < 0)
        return -1;
    rt->files_dir = dir;
    return 0;
}

static int open_log(const char *dir, const char *id, const char *suffix, util_error **err)
{
    cleanup_free char *safe = util_xstrdup(id);
    for (char *p = safe; *p; p++)
        if (*p == '/' || *p == '\\')
            *p = '_';
    cleanup_free char *path = util_xasprintf("%s/%s_%s.txt", dir, safe, suffix);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return util_error_set(err, errno, "Failed to open log file \"%s\"", path);
    return fd;
}

static bool is_component_binary(const char *data, size_t len)
{
    /* Core modules have version 1 and layer 0; components layer 1. */
    return len >= 8 && memcmp(data, "\0asm", 4) == 0 && (uint8_t)data[6] == 0x01 &&
           data[7] == 0x00 && (uint8_t)data[4] != 0x01;
}

static int compile_component(loaded_app *a, const spin_component *c, spin_component_runtime *rt,
                             util_error **err)
{
    if (c->source.kind != SPIN_SOURCE_FILE)
        return util_error_set(err, 0,
                              "component '%s': only local file sources are supported "
                              "(source is a %s)",
                              c->id, c->source.kind == SPIN_SOURCE_URL ? "URL" : "registry package");
    cleanup_free char *path = host_path(a->manifest, c->source.path);
    cleanup_free char *bytes = NULL;
    size_t len = 0;
    if (util_read_file(path, &bytes, &len, err) < 0)
        return util_error_wrap(err, "component '%s': cannot read its source", c->id);
    if (is_component_binary(bytes, len))
        return util_error_set(err, 0,
                              "component '%s': %s is a WebAssembly component; this host runs "
                              "core modules (Wagi executor) only so far",
                              c->id, path);
    /* Features and messages: the policy every path shares (wasi.h). */
    rt->module = wasi_program_compile((uint8_t *)bytes, len, path, err);
    bytes = NULL; /* the module's now */
    if (!rt->module)
        return util_error_wrap(err, "component '%s'", c->id);
    return 0;
}

static spin_component_runtime *component_runtime(loaded_app *a, const spin_run_options *opts,
                                                 const char *id, util_error **err)
{
    for (size_t i = 0; i < a->ncomps; i++)
        if (strcmp(a->comps[i].id, id) == 0)
            return &a->comps[i];
    const spin_component *c = spin_manifest_component(a->manifest, id);
    if (!c) {
        util_error_set(err, 0, "trigger refers to unknown component '%s'", id);
        return NULL;
    }
    /* comps was sized for every component: targets keep pointers into it. */
    spin_component_runtime *rt = &a->comps[a->ncomps++];
    memset(rt, 0, sizeof(*rt));
    rt->id = c->id;
    rt->stdout_fd = opts->stdout_fd;
    rt->stderr_fd = opts->stderr_fd;
    rt->max_memory_bytes = a->rc.max_instance_memory;

    /* Variables referenced by the component must resolve now, even though
     * Wagi guests cannot read them (Spin exposes them only through the
     * variables host interface). */
    spin_kv *cv = NULL;
    size_t ncv = 0;
    if (spin_component_variables_render(c, &a->vars, &cv, &ncv, err) < 0)
        return NULL;
    spin_kv_array_free(cv, ncv);

    size_t nextra = 0;
    for (const char *const *p = opts->component_env; p && *p; p++)
        nextra++;
    rt->env = util_xcalloc(c->n_environment + nextra + 1, sizeof(char *));
    for (size_t i = 0; i < c->n_environment; i++)
        rt->env[rt->nenv++] =
            util_xasprintf("%s=%s", c->environment[i].key, c->environment[i].value);
    /* Later entries win when the executor builds the guest env. */
    for (const char *const *p = opts->component_env; p && *p; p++)
        rt->env[rt->nenv++] = util_xstrdup(*p);

    if (a->rc.log_dir) {
        rt->owns_fds = true;
        rt->stdout_fd = rt->stderr_fd = -1;
        rt->stdout_fd = open_log(a->rc.log_dir, c->id, "stdout", err);
        if (rt->stdout_fd < 0)
            return NULL;
        rt->stderr_fd = open_log(a->rc.log_dir, c->id, "stderr", err);
        if (rt->stderr_fd < 0)
            return NULL;
    }
    if (stage_files(a, c, rt, err) < 0)
        return NULL;
    if (compile_component(a, c, rt, err) < 0)
        return NULL;
    return rt;
}

/* ---- start-up ---------------------------------------------------------- */

static bool retained(const char *list, const char *id)
{
    if (!list)
        return true;
    size_t n = strlen(id);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len > 0 && *p == ' ') {
            p++;
            len--;
        }
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len == n && strncmp(p, id, n) == 0)
            return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

static int check_retain_list(const spin_manifest *m, const char *list, util_error **err)
{
    cleanup_free char *copy = util_xstrdup(list);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len > 0 && tok[len - 1] == ' ')
            tok[--len] = '\0';
        if (!*tok)
            continue;
        if (!spin_manifest_component(m, tok))
            return util_error_set(err, 0,
                                  "SPIN_COMPONENTS_TO_RETAIN: Specified component \"%s\" not "
                                  "found in application",
                                  tok);
    }
    return 0;
}

static char *rooted(const spin_run_options *opts, const char *path)
{
    const char *root = opts->root_dir;
    if (!root || strcmp(root, "/") == 0 || path[0] != '/')
        return util_xstrdup(path);
    return util_xasprintf("%s%s", root, path);
}

static int load_app(loaded_app *a, const spin_run_options *opts, util_error **err)
{
    memset(a, 0, sizeof(*a));
    const char *const *env = opts->env;
    if (!opts->app_path)
        return util_error_set(err, 0, "no application given (a directory with spin.toml, or "
                                      "a manifest file)");
    a->manifest = spin_manifest_load(opts->app_path, err);
    if (!a->manifest)
        return -1;
    const char *hn = spin_env_lookup(env, "HOSTNAME");
    a->app_id = util_xstrdup(hn && *hn ? hn : "unknown");

    if (spin_runtime_config_load(opts, &a->rc, err) < 0)
        return -1;
    if (a->rc.log_dir) {
        char *r = rooted(opts, a->rc.log_dir);
        free(a->rc.log_dir);
        a->rc.log_dir = r;
        if (util_mkdir_p(a->rc.log_dir, 0755, err) < 0)
            return util_error_wrap(err, "Failed to create log dir \"%s\"", a->rc.log_dir);
    }

    if (spin_request_timeout(opts, &a->trigger.request_timeout_ms, err) < 0)
        return -1;

    const char *retain = spin_env_lookup(env, "SPIN_COMPONENTS_TO_RETAIN");
    if (retain && !*retain)
        retain = NULL;
    if (retain && check_retain_list(a->manifest, retain, err) < 0)
        return -1;

    if (spin_variables_resolve(a->manifest, env, &a->rc, &a->vars, err) < 0)
        return -1;

    const spin_manifest *m = a->manifest;
    spin_route_spec *specs = util_xcalloc(m->n_triggers + 1, sizeof(*specs));
    a->trigger.targets = util_xcalloc(m->n_triggers + 1, sizeof(spin_http_target));
    a->comps = util_xcalloc(m->n_components + 1, sizeof(spin_component_runtime));
    a->trigger.app_name = m->name;
    a->trigger.app_version = m->version;
    size_t nspecs = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < m->n_triggers; i++) {
        const spin_trigger *t = &m->triggers[i];
        if (retain && (!t->component || !retained(retain, t->component)))
            continue;
        if (strcmp(t->type, "http") != 0) {
            rc = util_error_set(err, 0,
                                "trigger '%s': trigger type '%s' is not supported by this host "
                                "yet (only 'http')",
                                t->id, t->type);
            break;
        }
        spin_http_target *target = &a->trigger.targets[a->trigger.ntargets];
        target->trigger_id = t->id;
        if (t->static_response) {
            target->static_response = t->static_response;
        } else {
            spin_component_runtime *rt = component_runtime(a, opts, t->component, err);
            if (!rt) {
                rc = -1;
                break;
            }
            target->comp = rt;
            if (t->executor.kind != SPIN_EXECUTOR_WAGI) {
                rc = util_error_set(
                    err, 0,
                    "component '%s' uses the Spin HTTP executor (wasi:http/incoming-handler "
                    "or fermyon:spin/inbound-http), which this host does not support yet; "
                    "only executor = { type = \"wagi\" } runs",
                    t->component);
                break;
            }
            if (t->executor.entrypoint && strcmp(t->executor.entrypoint, "_start") != 0) {
                rc = util_error_set(err, 0,
                                    "Wagi component '%s' cannot use deprecated 'entrypoint' "
                                    "field",
                                    t->component);
                break;
            }
            if (!wasm_module_export_signature(rt->module, "_start")) {
                rc = util_error_set(err, 0,
                                    "component '%s': failed to find wasi command interface for "
                                    "wagi executor (no '_start' export)",
                                    t->component);
                break;
            }
            if (spin_wagi_link_check(t->component, rt->module, err) < 0) {
                rc = -1;
                break;
            }
            if (wagi_executor_new(t->executor.argv, &target->exec, err) < 0) {
                rc = -1;
                break;
            }
        }
        specs[nspecs].route = t->route;
        specs[nspecs].is_private = t->route_private;
        specs[nspecs].key = t->component ? t->component : t->id;
        specs[nspecs].target = a->trigger.ntargets;
        nspecs++;
        a->trigger.ntargets++;
    }
    if (rc == 0) {
        spin_route_duplicate *dups = NULL;
        size_t ndups = 0;
        a->trigger.router = spin_router_build(specs, nspecs, &dups, &ndups, err);
        if (!a->trigger.router) {
            rc = -1;
        } else {
            if (ndups) {
                util_log_error("The following component routes are duplicates and will never "
                               "be used:");
                for (size_t i = 0; i < ndups; i++)
                    util_log_error("  %s: %s (duplicate of %s)", dups[i].replaced_key,
                                   dups[i].route, dups[i].effective_key);
            }
            spin_route_duplicates_free(dups, ndups);
            if (spin_router_has_reserved(a->trigger.router))
                util_log_error("Routes under /.well-known/spin/ are handled by the Spin "
                               "runtime and will never be reached");
        }
    }
    free(specs);
    return rc;
}

int spin_app_check(const spin_run_options *opts, util_error **err)
{
    loaded_app a;
    int rc = load_app(&a, opts, err);
    loaded_app_free(&a);
    return rc;
}

/* ---- serving ----------------------------------------------------------- */

static void print_startup(const loaded_app *a, int fd, const char *bound)
{
    util_buf b = {0};
    if (a->rc.log_dir)
        util_buf_printf(&b, "Logging component stdio to \"%s/\"\n", a->rc.log_dir);
    util_buf_printf(&b, "\nServing http://%s\nAvailable Routes:\n", bound);
    const spin_router *r = a->trigger.router;
    for (size_t i = 0; i < spin_router_count(r); i++) {
        const char *key = NULL;
        const char *disp = spin_router_display(r, i, &key);
        util_buf_printf(&b, "  %s: http://%s%s\n", key, bound, disp);
        const spin_component *c = spin_manifest_component(a->manifest, key);
        if (c && c->description)
            util_buf_printf(&b, "    %s\n", c->description);
    }
    if (fd >= 0 && b.len)
        util_write_all(fd, b.data, b.len);
    util_buf_free(&b);
}

int spin_app_run(const spin_run_options *opts, util_error **err)
{
    pthread_once(&stop_once, stop_pipe_init);
    if (stop_pipe[0] < 0)
        return util_error_set(err, errno, "creating the stop pipe");
    /* Drain stale wake-ups from an earlier run in this process. */
    char drain[64];
    while (read(stop_pipe[0], drain, sizeof(drain)) > 0) {
    }
    atomic_store(&stop_requested, false);

    struct sigaction old[3], old_pipe, sa;
    const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
    if (opts->handle_signals) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        for (int i = 0; i < 3; i++)
            sigaction(sigs[i], &sa, &old[i]);
    }
    /* A guest writing to a closed stdio FIFO must fail its write, not kill
     * the app (Rust programs such as Spin ignore SIGPIPE the same way). */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_pipe);
    /* Every connection is a descriptor: allow as many as we may. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    loaded_app a;
    int rc = load_app(&a, opts, err);
    int listen_fd = -1;
    cleanup_free char *bound = NULL;
    if (rc == 0) {
        const char *addr = opts->listen_addr;
        if (!addr)
            addr = spin_env_lookup(opts->env, "SPIN_HTTP_LISTEN_ADDR");
        if (!addr || !*addr)
            addr = "0.0.0.0:80";
        listen_fd = spin_http_listen(addr, &bound, err);
        if (listen_fd < 0)
            rc = -1;
    }
    spin_http_server *srv = NULL;
    bool abandoned = false;
    if (rc == 0) {
        spin_http_server_config cfg = {
            .listen_fd = listen_fd,
            .workers = opts->workers,
            .request_timeout_ms = a.trigger.request_timeout_ms,
            .handler = spin_http_trigger_handle,
            .fast_handler = spin_http_trigger_fast,
            .ctx = &a.trigger,
        };
        srv = spin_http_server_start(&cfg, err);
        if (!srv) {
            close(listen_fd);
            rc = -1;
        }
    }
    if (rc == 0) {
        util_log_info("app '%s' (id %s) serving on %s", a.manifest->name ? a.manifest->name : "",
                      a.app_id, bound);
        print_startup(&a, opts->stdout_fd, bound);
        if (opts->ready_fd >= 0)
            util_write_all(opts->ready_fd, "ready\n", 6);
        while (!atomic_load(&stop_requested)) {
            struct pollfd p = {stop_pipe[0], POLLIN, 0};
            int n = poll(&p, 1, 1000);
            if (n > 0)
                while (read(stop_pipe[0], drain, sizeof(drain)) > 0) {
                }
        }
        util_log_info("stopping: letting requests in progress finish");
        abandoned = !spin_http_server_stop(srv, 10000);
    }
    /* Guests still running use the app's modules: leave them be, but the
     * staging directory goes whatever happens (the process is about to
     * exit, and temporary copies of the app's files must not pile up). */
    if (!abandoned)
        loaded_app_free(&a);
    else
        remove_staging(&a);
    if (opts->handle_signals)
        for (int i = 0; i < 3; i++)
            sigaction(sigs[i], &old[i], NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    return rc < 0 ? -1 : 0;
}
