/*
 * run.c - the one policy for running a WASI program (wasi.h, "one
 * policy"), and the mechanism under it.
 *
 * `run`, WASI containers and Spin's Wagi executor used to carry their own
 * copies of this: which features a module is compiled with, how _start is
 * called, what a trap or a timeout becomes.  The copies drifted (tail calls
 * were off in containers only), so there is now one of each decision:
 *
 *   run_entry       the mechanism: fresh ctx, store and linker (or the
 *                   caller's resolution of the imports); deadline on
 *                   both; the store handed to a watcher; instantiate, a
 *                   reactor's _initialize, the entry.  It reports raw facts
 *                   (the engine's result, finished, cancelled, deadline hit).
 *   classify        the policy: those facts -> an end, an exit status and
 *                   a message (the table in wasi.h).
 *
 * wasi_run_command keeps its older contract (the engine's result, for
 * embedders that want the raw kinds) on top of the same run_entry.
 * proc_exit arrives from the engine as WASM_EXIT and counts as finishing,
 * because for a command exiting is success, not an error.
 */
#include "component.h"
#include "wasi_internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

wasm_features wasi_program_features(void)
{
    return (wasm_features){.tail_call = true};
}

/* ---- loading ------------------------------------------------------------ */

wasm_module *wasi_program_compile(uint8_t *bytes, size_t len, const char *name,
                                  util_error **err)
{
    if (component_is_component(bytes, len)) {
        free(bytes);
        util_error_set(err, 0, "%s is a WebAssembly component; this path takes core modules "
                       "only (wasi_command_compile takes both)", name);
        return NULL;
    }
    wasm_features features = wasi_program_features();
    wasm_result res;
    wasm_result_init(&res);
    wasm_module *module = wasm_module_new_take(bytes, len, &features, &res);
    if (module == NULL)
        util_error_set(err, 0, "%s: %s module: %s", name,
                       res.kind == WASM_MALFORMED ? "malformed" : "invalid", res.message);
    return module;
}

/* ---- the mechanism ------------------------------------------------------- */

/* The entry must take nothing; what it returns is dropped. */
static wasm_func *entry_function(wasm_instance *inst, const char *entry, size_t *nresults,
                                 util_error **err)
{
    wasm_func *fn = wasm_instance_func(inst, entry);
    if (fn == NULL) {
        util_error_set(err, 0, "the module exports no function '%s'", entry);
        return NULL;
    }
    const char *sig = wasm_func_signature(fn);
    if (sig == NULL || sig[0] != ':') {
        util_error_set(err, 0, "'%s' takes parameters (%s); only a function without parameters "
                       "can be invoked", entry, sig ? sig : "?");
        return NULL;
    }
    *nresults = strlen(sig + 1);
    return fn;
}

/* Instantiates and calls; returns -1 only for a host-side failure (*err),
 * otherwise 0 with `res` and `facts` describing the run. */
static int call_entry(wasm_store *store, wasm_module *module, const wasm_linker *linker,
                      const wasm_resolution *resolution, const char *entry, wasm_result *res,
                      run_facts *facts, util_error **err)
{
    wasm_instance *inst = resolution ? wasm_instantiate_resolved(store, module, resolution, res)
                                     : wasm_instantiate(store, module, linker, res);
    if (inst == NULL)
        return 0;
    /* A reactor's libc is set up by _initialize, to be called before any
     * other export (the WASI application ABI). */
    wasm_func *init = wasm_instance_func(inst, "_initialize");
    if (init != NULL && strcmp(entry, "_initialize") != 0 &&
        wasm_func_call(store, init, NULL, 0, NULL, 0, res) != 0)
        return 0;
    size_t nresults = 0;
    wasm_func *fn = entry_function(inst, entry, &nresults, err);
    if (fn == NULL)
        return -1;
    wasm_val results[16];
    if (nresults > UTIL_ARRAY_LEN(results))
        return util_error_set(err, 0, "'%s' returns too many values", entry);
    facts->finished = wasm_func_call(store, fn, NULL, 0, results, nresults, res) == 0;
    return 0;
}

static int run_entry(wasm_module *module, const wasi_config *config, const char *invoke,
                     const wasm_store_config *store_config, const wasi_program_options *watch,
                     wasm_result *res, run_facts *facts, util_error **err)
{
    wasm_result_init(res);
    *facts = (run_facts){0};
    wasi_ctx *ctx = wasi_ctx_new(config, err);
    if (ctx == NULL)
        return -1;
    wasm_store_config sc = {0};
    if (store_config != NULL)
        sc = *store_config;
    const wasm_resolution *resolution = watch ? watch->resolution : NULL;
    if (resolution)
        sc.user_data = ctx; /* where wasi_define_for_stores' functions find it */
    wasm_store *store = wasm_store_new(&sc);
    wasm_linker *linker = NULL;
    if (!resolution) {
        linker = wasm_linker_new();
        wasi_define_imports(linker, store, ctx, module);
    }
    if (config->deadline_ns != 0)
        wasm_store_set_deadline(store, config->deadline_ns);

    int rc = 0;
    bool watched = watch != NULL && watch->watch != NULL;
    facts->cancelled = watched && watch->watch(watch->watch_arg, store);
    if (!facts->cancelled)
        rc = call_entry(store, module, linker, resolution, invoke ? invoke : "_start", res, facts,
                        err);
    if (watched && watch->unwatch != NULL && watch->unwatch(watch->watch_arg))
        facts->cancelled = true;
    wasi_program_note_exit(facts, res);
    facts->deadline_hit = wasi_ctx_deadline_hit(ctx);
    wasm_linker_free(linker);
    wasm_store_free(store);
    wasi_ctx_free(ctx);
    return rc;
}

int wasi_run_command(wasm_module *module, const wasi_config *config, const char *invoke,
                     const wasm_store_config *store_config, wasm_result *res, int *exit_code,
                     util_error **err)
{
    run_facts facts;
    int rc = run_entry(module, config, invoke, store_config, NULL, res, &facts, err);
    *exit_code = facts.exit_code;
    if (rc < 0)
        return -1;
    if (facts.finished)
        return 0;
    if (res->kind == WASM_TRAP && facts.deadline_hit)
        res->kind = WASM_INTERRUPTED; /* stopped while blocked in a WASI call */
    return -1;
}

/* ---- the policy ---------------------------------------------------------- */

/* A status the OS cannot carry must not read as success. */
static int exit_status(int exit_code)
{
    return exit_code >= 0 && exit_code <= 255 ? exit_code : 1;
}

static char *not_started_message(const wasm_result *res, const wasi_program_options *o)
{
    const char *what = res->kind == WASM_UNLINKABLE ? "unlinkable"
                       : res->kind == WASM_RESOURCE ? "cannot instantiate"
                                                    : "cannot start";
    /* The engine says "cap" when the embedder's memory cap refused it. */
    bool capped = res->kind == WASM_RESOURCE && o->max_memory_bytes != 0 &&
                  o->max_memory_source != NULL && strstr(res->message, "cap") != NULL;
    return util_xasprintf("%s%s%s: %s%s%s%s", o->name ? o->name : "", o->name ? ": " : "",
                          what, res->message, capped ? " (" : "",
                          capped ? o->max_memory_source : "", capped ? ")" : "");
}

void wasi_program_classify(const run_facts *facts, const wasm_result *res,
                           const wasi_program_options *o, wasi_program_outcome *out)
{
    if (facts->finished) {
        out->end = WASI_PROGRAM_EXITED;
        out->exit_code = facts->exit_code;
        out->status = exit_status(facts->exit_code);
        if (facts->exit_code != 0)
            out->message = util_xasprintf("the guest exited with code %d", facts->exit_code);
        return;
    }
    snprintf(out->backtrace, sizeof(out->backtrace), "%s", res->backtrace);
    out->status = WASI_STATUS_TRAPPED;
    if (facts->cancelled && (res->kind == WASM_INTERRUPTED || res->kind == WASM_OK)) {
        out->end = WASI_PROGRAM_CANCELLED; /* WASM_OK: cancelled before it started */
        out->message = util_xstrdup("the run was cancelled");
    } else if (res->kind == WASM_INTERRUPTED || (res->kind == WASM_TRAP && facts->deadline_hit)) {
        out->end = WASI_PROGRAM_TIMED_OUT;
        out->message = o->timeout_ms != 0
                           ? util_xasprintf("interrupted after the %llu ms timeout",
                                            (unsigned long long)o->timeout_ms)
                           : util_xstrdup("interrupted at its deadline");
    } else if (res->kind == WASM_TRAP) {
        out->end = WASI_PROGRAM_TRAPPED;
        out->message = util_xasprintf("the guest trapped: %s",
                                      res->message[0] ? res->message : "unknown trap");
    } else {
        out->end = WASI_PROGRAM_NOT_STARTED;
        out->status = WASI_STATUS_NOT_STARTED;
        out->backtrace[0] = '\0';
        out->message = not_started_message(res, o);
    }
}

/* The deadline `timeout_ms` from now; one centuries away is no deadline. */
static uint64_t deadline_after(uint64_t timeout_ms)
{
    uint64_t now = util_monotonic_ns(), left = UINT64_MAX - now;
    return timeout_ms < left / 1000000u ? now + timeout_ms * 1000000u : 0;
}

int wasi_program_run(wasm_module *module, const wasi_config *config,
                     const wasi_program_options *opts, wasi_program_outcome *out)
{
    wasi_config cfg;
    const wasi_program_options *o = wasi_program_begin(config, opts, &cfg, out);
    wasm_store_config sc = {.max_memory_bytes = o->max_memory_bytes};

    wasm_result res;
    run_facts facts;
    util_error *err = NULL;
    if (run_entry(module, &cfg, o->invoke, &sc, o, &res, &facts, &err) < 0)
        return wasi_program_not_started(out, &err);
    wasi_program_classify(&facts, &res, o, out);
    return out->status;
}

const wasi_program_options *wasi_program_begin(const wasi_config *config,
                                               const wasi_program_options *opts,
                                               wasi_config *cfg, wasi_program_outcome *out)
{
    static const wasi_program_options defaults = {0};
    const wasi_program_options *o = opts ? opts : &defaults;
    *out = (wasi_program_outcome){0};
    *cfg = *config;
    if (cfg->deadline_ns == 0 && o->timeout_ms != 0)
        cfg->deadline_ns = deadline_after(o->timeout_ms);
    return o;
}

void wasi_program_note_exit(run_facts *facts, const wasm_result *res)
{
    /* for a command, exiting is finishing, not an error */
    if (!facts->finished && res->kind == WASM_EXIT) {
        facts->finished = true;
        facts->exit_code = res->exit_code;
    }
}

int wasi_program_not_started(wasi_program_outcome *out, util_error **err)
{
    out->end = WASI_PROGRAM_NOT_STARTED;
    out->status = WASI_STATUS_NOT_STARTED;
    out->message = util_xstrdup((*err)->msg);
    util_error_free(err);
    return out->status;
}

void wasi_program_outcome_free(wasi_program_outcome *out)
{
    free(out->message);
    out->message = NULL;
}

void wasi_program_report(const wasi_program_outcome *out, int fd, const char *prefix)
{
    if (out->message == NULL || out->end == WASI_PROGRAM_EXITED)
        return; /* an exit code speaks for itself */
    dprintf(fd, "%s: %s\n", prefix, out->message);
    size_t n = strlen(out->backtrace);
    if (n != 0)
        dprintf(fd, "backtrace:\n%s%s", out->backtrace,
                out->backtrace[n - 1] == '\n' ? "" : "\n");
}
