/*
 * command_trigger.c - the `command` trigger (spin-trigger-command, which
 * containerd-shim-spin links in): `[[trigger.command]] component = "x"`
 * runs the component once as a program, and the app ends with it.
 *
 * What Spin's trigger does, kept here: the guest is a WASI 0.2 command
 * component (its wasi:cli/run) or a preview-1 module (its `_start`, with
 * nothing but preview-1 imports); its argv is the component id followed by
 * the run's trigger arguments (`up`'s trailing arguments, a container's
 * process args), its environment the component's, its stdin the run's own
 * (inherited) and its stdout/stderr the component's (the app's, or the log
 * directory's files).  There is no deadline: a command runs as long as it
 * wants.  Its exit status follows the policy every program path of this
 * binary shares (wasi.h): `run` returning ok or exit(0) is 0, err is 1,
 * exit(N) is N, a trap 134 with the message and backtrace on stderr.  The
 * run's status becomes the app's (spin_app_trigger_ended), and the app's
 * other triggers are stopped.
 *
 * The guest runs on a thread of its own, started by start(), so that other
 * trigger types of the app serve meanwhile and a stop signal is noticed:
 * stop() interrupts the guest's store and joins the thread.  Spin runs the
 * first command trigger only; an app with more than one is refused at load
 * rather than running one of them silently.
 */
#include "app_internal.h"
#include "component.h"
#include "spinapi.h"
#include "wagi_link.h"
#include "wasi.h"
#include "wasi2.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define COMMAND_TYPE "command"
/* How long a stop waits for the interrupted guest (one blocked reading its
 * stdin does not see the interrupt) before leaving it behind. */
#define STOP_GRACE_MS 5000

typedef struct command_trigger {
    const spin_loaded_app *app;
    spin_component_runtime *comp;
    char **argv; /* component id, then the trigger arguments */
    size_t argc;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards store and stopping */
    wasm_store *store;    /* the guest's store while it runs */
    bool stopping;
} command_trigger;

/* ---- loading -------------------------------------------------------------- */

static int check_config(const spin_locked_trigger *t, util_error **err)
{
    if (!t->config || !json_object_is_type(t->config, json_type_object))
        return util_error_set(err, 0, "trigger '%s': a command trigger needs a `component`",
                              t->id);
    json_object_object_foreach(t->config, key, val)
    {
        (void)val;
        if (strcmp(key, "component") != 0)
            return util_error_set(err, 0,
                                  "trigger '%s': unknown command trigger field '%s' (expected "
                                  "`component`)",
                                  t->id, key);
    }
    if (!spin_trigger_component(t))
        return util_error_set(err, 0, "trigger '%s': `component` must be a component id",
                              t->id);
    return 0;
}

/* A module must be a preview-1 command; a component must export
 * wasi:cli/run, as Spin's trigger requires. */
static int check_guest(spin_component_runtime *comp, util_error **err)
{
    if (comp->pre) {
        if (!component_find_interface_export(component_pre_component(comp->pre), "wasi:cli/run"))
            return util_error_set(err, 0,
                                  "component '%s': a command trigger's component must target "
                                  "the wasi:cli command world (it exports no wasi:cli/run)",
                                  comp->id);
        return 0;
    }
    if (!wasm_module_export_signature(comp->module, "_start"))
        return util_error_set(err, 0,
                              "component '%s': a command trigger's module must export _start",
                              comp->id);
    if (comp->wagi_resolution)
        return 0;
    /* Only preview-1 imports, as Spin's command trigger links modules. */
    return spin_wagi_link(comp->id, comp->module, &comp->wagi_resolution, err);
}

static void build_argv(command_trigger *ct, const char *const *args)
{
    size_t n = 0;
    while (args && args[n])
        n++;
    ct->argv = util_xcalloc(n + 2, sizeof(char *));
    ct->argv[ct->argc++] = util_xstrdup(ct->comp->id);
    for (size_t i = 0; i < n; i++)
        ct->argv[ct->argc++] = util_xstrdup(args[i]);
}

static void command_free(void *self)
{
    command_trigger *ct = self;
    if (!ct)
        return;
    for (size_t i = 0; i < ct->argc; i++)
        free(ct->argv[i]);
    free(ct->argv);
    pthread_mutex_destroy(&ct->lock);
    free(ct);
}

static int command_load(spin_loaded_app *app, const spin_locked_trigger *const *entries,
                        size_t n, void **self, util_error **err)
{
    command_trigger *ct = util_xcalloc(1, sizeof(*ct));
    pthread_mutex_init(&ct->lock, NULL);
    *self = ct;
    ct->app = app;
    if (n > 1)
        return util_error_set(err, 0,
                              "triggers '%s' and '%s': an app runs one command trigger, this "
                              "one has %zu",
                              entries[0]->id, entries[1]->id, n);
    if (check_config(entries[0], err) < 0)
        return -1;
    ct->comp = spin_app_component(app, spin_trigger_component(entries[0]), err);
    if (!ct->comp || check_guest(ct->comp, err) < 0)
        return -1;
    build_argv(ct, app->opts->trigger_args);
    return 0;
}

/* ---- running ---------------------------------------------------------------- */

/* The store is kept where stop() finds it; a stop that came first cancels
 * the run before it starts. */
static bool watch_store(void *arg, wasm_store *store)
{
    command_trigger *ct = arg;
    pthread_mutex_lock(&ct->lock);
    ct->store = store;
    bool stopping = ct->stopping;
    pthread_mutex_unlock(&ct->lock);
    return stopping;
}

static bool unwatch_store(void *arg)
{
    command_trigger *ct = arg;
    pthread_mutex_lock(&ct->lock);
    ct->store = NULL;
    bool stopping = ct->stopping;
    pthread_mutex_unlock(&ct->lock);
    return stopping;
}

static void guest_config(const command_trigger *ct, wasi_config *cfg, wasi_preopen *files)
{
    const spin_component_runtime *comp = ct->comp;
    wasi_config_init(cfg);
    cfg->argv = (const char *const *)ct->argv;
    cfg->argc = ct->argc;
    cfg->env = (const char *const *)comp->env;
    cfg->envc = comp->nenv;
    cfg->stdin_fd = ct->app->opts->stdin_fd;
    cfg->stdout_fd = comp->stdout_fd;
    cfg->stderr_fd = comp->stderr_fd;
    *files = (wasi_preopen){comp->files_dir, "/", true};
    if (comp->files_dir) {
        cfg->preopens = files;
        cfg->npreopens = 1;
    }
}

static void run_module(command_trigger *ct, const wasi_config *cfg, wasi_program_outcome *out)
{
    wasi_program_options opts = {
        .name = ct->comp->id,
        .max_memory_bytes = ct->comp->max_memory_bytes,
        .max_memory_source = "SPIN_MAX_INSTANCE_MEMORY",
        .watch = watch_store,
        .unwatch = unwatch_store,
        .watch_arg = ct,
        .resolution = ct->comp->wagi_resolution,
    };
    wasi_program_run(ct->comp->module, cfg, &opts, out);
}

/* The outcome of a component's run in the policy's terms (wasi.h). */
static void component_outcome(const wasm_result *res, int rc, bool ok, bool stopped,
                              wasi_program_outcome *out)
{
    memset(out, 0, sizeof(*out));
    if (stopped) {
        out->end = WASI_PROGRAM_CANCELLED;
        out->status = WASI_STATUS_TRAPPED;
        out->message = util_xstrdup("the run was cancelled");
    } else if (res->kind == WASM_EXIT || (rc == 0 && res->kind == WASM_OK)) {
        int code = res->kind == WASM_EXIT ? res->exit_code : ok ? 0 : 1;
        out->end = WASI_PROGRAM_EXITED;
        out->exit_code = code;
        out->status = code < 0 || code > 255 ? 1 : code;
        const char *why = res->kind == WASM_EXIT ? "" : " (wasi:cli/run returned err)";
        if (code != 0)
            out->message = util_xasprintf("the guest exited with code %d%s", code, why);
    } else {
        out->end = WASI_PROGRAM_TRAPPED;
        out->status = WASI_STATUS_TRAPPED;
        out->message = util_xasprintf("the guest trapped: %s",
                                      res->message[0] ? res->message : "unknown trap");
        snprintf(out->backtrace, sizeof(out->backtrace), "%s", res->backtrace);
    }
}

static void run_component(command_trigger *ct, const wasi_config *c, wasi_program_outcome *out)
{
    const spin_component_runtime *comp = ct->comp;
    wasi2_preopen files;
    wasi2_config w;
    spin_component_wasi2_config(comp, 0, &w, &files);
    w.argv = c->argv;
    w.argc = c->argc;
    w.stdin_fd = c->stdin_fd;
    util_error *err = NULL;
    wasi2_ctx *ctx = wasi2_ctx_new(&w, &err);
    if (!ctx) {
        memset(out, 0, sizeof(*out));
        out->end = WASI_PROGRAM_NOT_STARTED;
        out->status = WASI_STATUS_NOT_STARTED;
        out->message = util_xstrdup(err ? err->msg : "cannot set up WASI");
        util_error_free(&err);
        return;
    }
    wasm_store_config sc = {.max_memory_bytes = comp->max_memory_bytes};
    wasm_store *store = wasm_store_new(&sc);
    spinapi_ctx *api = comp->api ? spinapi_ctx_new(comp->api) : NULL;
    wasm_result res;
    wasm_result_init(&res);
    bool ok = false;
    int rc = -1;
    bool cancelled = watch_store(ct, store);
    if (!cancelled) {
        spin_instance_data data = {.wasi2 = ctx, .api = api};
        component_instance *inst = component_instantiate(comp->pre, store, &data, &res);
        if (inst) {
            rc = spin_component_call_run(inst, &ok, &res);
            component_instance_free(inst);
        }
    }
    bool stopped = unwatch_store(ct) && (cancelled || res.kind == WASM_INTERRUPTED);
    component_outcome(&res, rc, ok, stopped, out);
    wasm_store_free(store);
    spinapi_ctx_free(api);
    wasi2_ctx_free(ctx);
}

static void *command_thread(void *arg)
{
    command_trigger *ct = arg;
    wasi_config cfg;
    wasi_preopen files;
    guest_config(ct, &cfg, &files);
    wasi_program_outcome outcome;
    if (ct->comp->pre)
        run_component(ct, &cfg, &outcome);
    else
        run_module(ct, &cfg, &outcome);
    if (outcome.end != WASI_PROGRAM_CANCELLED) {
        cleanup_free char *prefix = util_xasprintf("component '%s'", ct->comp->id);
        wasi_program_report(&outcome, ct->app->opts->stderr_fd, prefix);
        spin_app_trigger_ended(COMMAND_TYPE, outcome.status);
    }
    wasi_program_outcome_free(&outcome);
    return NULL;
}

static int command_start(void *self, util_buf *banner, util_error **err)
{
    (void)banner;
    command_trigger *ct = self;
    int e = pthread_create(&ct->thread, NULL, command_thread, ct);
    if (e != 0)
        return util_error_set(err, e, "command trigger: starting its thread");
    ct->started = true;
    return 0;
}

/* A stop (signal, or another trigger ended) interrupts a guest still
 * running; one that has ended is only joined. */
static bool command_stop(void *self)
{
    command_trigger *ct = self;
    if (!ct->started)
        return true;
    pthread_mutex_lock(&ct->lock);
    ct->stopping = true;
    if (ct->store)
        wasm_store_interrupt(ct->store);
    pthread_mutex_unlock(&ct->lock);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += STOP_GRACE_MS / 1000;
    if (pthread_timedjoin_np(ct->thread, NULL, &until) == ETIMEDOUT) {
        util_log_error("component '%s' did not stop within %d ms (blocked in a host call?): "
                       "leaving it",
                       ct->comp->id, STOP_GRACE_MS);
        return false;
    }
    ct->started = false;
    return true;
}

const spin_trigger_ops spin_command_trigger_ops = {
    .type = COMMAND_TYPE,
    .load = command_load,
    .start = command_start,
    .stop = command_stop,
    .free = command_free,
};
