/*
 * run_component.c - commands of either kind (wasi.h): the run policy
 * ("one policy") for components, WASI 0.2 commands, beside modules.
 *
 * Only the mechanism differs from run.c: the program is a component_pre
 * linked once against the WASI 0.2 host, each run gets a wasi2_ctx made
 * from the same wasi_config a module gets, and the entry is wasi:cli/run,
 * or the function --invoke names, "name" or "name(args)" with arguments in
 * WAVE (component_func_call_text), whose result is printed as WAVE.
 * The facts it gathers go through the same classification, so a trap, a
 * timeout or an exit reads the same whether the program is a module or a
 * component.
 */
#include "component.h"
#include "wasi2.h"
#include "wasi_internal.h"

#include <stdlib.h>
#include <string.h>

struct wasi_command {
    wasm_module *module;  /* one of the two */
    component_pre *pre;
};

static component_pre *compile_component(uint8_t *bytes, size_t len, const char *name,
                                        util_error **err)
{
    component_linker *linker = component_linker_new();
    util_error *why = NULL;
    component_pre *pre = NULL;
    if (wasi2_define(linker, NULL, &why) == 0)
        pre = component_pre_new_take(bytes, len, linker, &why); /* takes the bytes */
    else
        free(bytes);
    component_linker_free(linker);
    if (pre == NULL) {
        util_error_set(err, 0, "%s: %s", name, why ? why->msg : "cannot load the component");
        util_error_free(&why);
    }
    return pre;
}

wasi_command *wasi_command_compile(uint8_t *bytes, size_t len, const char *name,
                                   util_error **err)
{
    wasi_command *c = util_xcalloc(1, sizeof *c);
    if (component_is_component(bytes, len))
        c->pre = compile_component(bytes, len, name, err);
    else
        c->module = wasi_program_compile(bytes, len, name, err);
    if (c->pre == NULL && c->module == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

bool wasi_command_is_component(const wasi_command *c)
{
    return c->pre != NULL;
}

void wasi_command_free(wasi_command *c)
{
    if (c == NULL)
        return;
    component_pre_free(c->pre);
    wasm_module_free(c->module);
    free(c);
}

static int make_ctx(const wasi_config *config, wasi2_ctx **out, util_error **err)
{
    wasi2_preopen *dirs = util_xcalloc(config->npreopens + 1, sizeof *dirs);
    for (size_t i = 0; i < config->npreopens; i++)
        dirs[i] = (wasi2_preopen){.host_path = config->preopens[i].host_path,
                                  .guest_path = config->preopens[i].guest_path,
                                  .read_only = config->preopens[i].read_only};
    wasi2_config w;
    wasi2_config_init(&w);
    w.argv = config->argv;
    w.argc = config->argc;
    w.env = config->env;
    w.envc = config->envc;
    w.stdin_fd = config->stdin_fd;
    w.stdout_fd = config->stdout_fd;
    w.stderr_fd = config->stderr_fd;
    w.preopens = dirs;
    w.npreopens = config->npreopens;
    w.deadline_ns = config->deadline_ns;
    *out = wasi2_ctx_new(&w, err);
    free(dirs);
    return *out ? 0 : -1;
}

/* The entry: wasi:cli/run. */
static const component_func *run_function(component_instance *inst, util_error **err)
{
    const component_func *f = component_instance_func(inst, "wasi:cli/run@0.2.0", "run");
    if (f == NULL)
        util_error_set(err, 0, "the component exports no wasi:cli/run (it is not a command; "
                       "--invoke calls one of its functions)");
    return f;
}

/* Calls wasi:cli/run; its result<_, _>'s err is the command's failure. */
static void call_run(component_instance *inst, const component_func *f, wasm_result *res,
                     run_facts *facts)
{
    bool returns = strstr(component_func_signature(f), "->") != NULL;
    component_val result;
    if (component_func_call(inst, f, NULL, 0, returns ? &result : NULL, res) != 0)
        return;
    facts->finished = true;
    bool failed = returns && result.kind == COMPONENT_VAL_VARIANT && result.of.variant.disc == 1;
    facts->exit_code = failed ? 1 : 0;
    if (component_func_post_return(inst, f, res) != 0)
        facts->finished = false;
}

/* --invoke "name" or "name(args)", args in WAVE (wasmtime's syntax): the
 * name, and the text between the parentheses (NULL when there are none). */
static int split_invoke(const char *invoke, char **name, char **args, util_error **err)
{
    const char *open = strchr(invoke, '(');
    size_t end = strlen(invoke);
    while (end > 0 && (invoke[end - 1] == ' ' || invoke[end - 1] == '\t'))
        end--;
    if (open == NULL) {
        *name = util_xstrndup(invoke, end);
        *args = NULL;
        return 0;
    }
    if (end == 0 || invoke[end - 1] != ')')
        return util_error_set(err, 0, "--invoke '%s': expected NAME or NAME(ARGS) with a "
                              "closing ')' at the end", invoke);
    size_t n = (size_t)(open - invoke);
    while (n > 0 && invoke[n - 1] == ' ')
        n--;
    *name = util_xstrndup(invoke, n);
    *args = util_xstrndup(open + 1, (size_t)(invoke + end - 1 - (open + 1)));
    return 0;
}

/* Calls the function --invoke names with its WAVE arguments and prints
 * its result as WAVE and a newline on the program's stdout. */
static int call_invoke(component_instance *inst, const wasi_config *config, const char *invoke,
                       wasm_result *res, run_facts *facts, util_error **err)
{
    char *name = NULL, *args = NULL, *text = NULL;
    if (split_invoke(invoke, &name, &args, err) < 0)
        return -1;
    int rc = -1;
    const component_func *f = component_instance_func(inst, NULL, name);
    if (f == NULL) {
        util_error_set(err, 0, "the component exports no function '%s'", name);
    } else if (args == NULL && strncmp(component_func_signature(f), "func()", 6) != 0) {
        util_error_set(err, 0, "'%s' takes parameters (%s); give them as --invoke '%s(...)'",
                       name, component_func_signature(f), name);
    } else if (component_func_call_text(inst, f, args ? args : "", &text, res, err) == 0) {
        facts->finished = true;
        facts->exit_code = 0;
        if (text != NULL) {
            util_write_all(config->stdout_fd, text, strlen(text));
            util_write_all(config->stdout_fd, "\n", 1);
        }
        rc = 0;
    } else if (*err == NULL) {
        rc = 0; /* a trap or exit: `res` tells it */
    } else {
        util_error_wrap(err, "--invoke %s", invoke);
    }
    free(text);
    free(args);
    free(name);
    return rc;
}

/* Instantiates and calls; -1 only for a host-side failure (*err). */
static int call_entry(const wasi_command *c, wasm_store *store, wasi2_ctx *ctx,
                      const wasi_config *config, const char *invoke, wasm_result *res,
                      run_facts *facts, util_error **err)
{
    component_instance *inst = component_instantiate(c->pre, store, ctx, res);
    if (inst == NULL)
        return 0;
    int rc = 0;
    if (invoke != NULL) {
        rc = call_invoke(inst, config, invoke, res, facts, err);
    } else {
        const component_func *f = run_function(inst, err);
        if (f != NULL)
            call_run(inst, f, res, facts);
        else
            rc = -1;
    }
    component_instance_free(inst);
    return rc;
}

static int run_component(const wasi_command *c, const wasi_config *config,
                         const wasi_program_options *opts, wasi_program_outcome *out)
{
    wasi_config cfg;
    const wasi_program_options *o = wasi_program_begin(config, opts, &cfg, out);

    util_error *err = NULL;
    wasi2_ctx *ctx = NULL;
    if (make_ctx(&cfg, &ctx, &err) < 0)
        return wasi_program_not_started(out, &err);
    wasm_store_config sc = {.max_memory_bytes = o->max_memory_bytes};
    wasm_store *store = wasm_store_new(&sc);
    if (cfg.deadline_ns != 0)
        wasm_store_set_deadline(store, cfg.deadline_ns);

    wasm_result res;
    wasm_result_init(&res);
    run_facts facts = {0};
    int rc = 0;
    bool watched = o->watch != NULL;
    facts.cancelled = watched && o->watch(o->watch_arg, store);
    if (!facts.cancelled)
        rc = call_entry(c, store, ctx, &cfg, o->invoke, &res, &facts, &err);
    if (watched && o->unwatch != NULL && o->unwatch(o->watch_arg))
        facts.cancelled = true;
    wasi_program_note_exit(&facts, &res);
    facts.deadline_hit = wasi2_ctx_deadline_hit(ctx);
    wasm_store_free(store);
    wasi2_ctx_free(ctx);
    if (rc < 0)
        return wasi_program_not_started(out, &err);
    wasi_program_classify(&facts, &res, o, out);
    return out->status;
}

int wasi_command_run(const wasi_command *c, const wasi_config *config,
                     const wasi_program_options *opts, wasi_program_outcome *out)
{
    return c->pre ? run_component(c, config, opts, out)
                  : wasi_program_run(c->module, config, opts, out);
}
