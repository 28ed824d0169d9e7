/*
 * cli.c - wasi:cli: environment, exit, stdin/stdout/stderr and the
 * terminal interfaces, from the wasi2_ctx.
 *
 * Values point straight at the ctx's copies (they outlive the call); only
 * the list and tuple nodes come from the call's memory.  Each get-stdin /
 * get-stdout / get-stderr hands out a new stream over the embedder's
 * descriptor, which the stream never closes, as wasmtime hands out a new
 * stream per call.  Terminals: a stdio descriptor that is a tty gets a
 * terminal resource (it carries nothing; wasi:cli defines no methods on it
 * yet), anything else none, which is what wasmtime answers for non-ttys.
 */
#include "wasi2_internal.h"

#include <unistd.h>

static component_val string_val(const char *s, size_t len)
{
    return (component_val){.kind = COMPONENT_VAL_STRING, .of.str = {s, len}};
}

/* ---- wasi:cli/environment -------------------------------------------------- */

static int get_environment(component_call *call, void *env, const component_val *args,
                           size_t nargs, component_val *result)
{
    const wasi2_ctx *ctx = wasi2_host_ctx(env, call);
    component_val *items = component_call_vals(call, ctx->envc ? 3 * ctx->envc : 1);
    if (items == NULL)
        return component_call_trap(call, "get-environment: out of call memory");
    component_val *pairs = items + ctx->envc;
    for (size_t i = 0; i < ctx->envc; i++) {
        const char *kv = ctx->env[i];
        const char *eq = strchr(kv, '='); /* wasi2_ctx_new checked there is one */
        pairs[2 * i] = string_val(kv, (size_t)(eq - kv));
        pairs[2 * i + 1] = string_val(eq + 1, strlen(eq + 1));
        items[i] = (component_val){.kind = COMPONENT_VAL_RECORD,
                                   .of.record = {&pairs[2 * i], 2}};
    }
    *result = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = items,
                                                                      .n = ctx->envc}};
    return 0;
}

static int get_arguments(component_call *call, void *env, const component_val *args,
                         size_t nargs, component_val *result)
{
    const wasi2_ctx *ctx = wasi2_host_ctx(env, call);
    component_val *items = component_call_vals(call, ctx->argc ? ctx->argc : 1);
    if (items == NULL)
        return component_call_trap(call, "get-arguments: out of call memory");
    for (size_t i = 0; i < ctx->argc; i++)
        items[i] = string_val(ctx->argv[i], strlen(ctx->argv[i]));
    *result = (component_val){.kind = COMPONENT_VAL_LIST, .of.list = {.items = items,
                                                                      .n = ctx->argc}};
    return 0;
}

/* The guest's directories are its preopens; it has no current one. */
static int initial_cwd(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    return wasi2_variant(call, 0, NULL, result);
}

static const wasi2_func environment_funcs[] = {
    {"get-environment", "func() -> list<tuple<string, string>>", get_environment},
    {"get-arguments", "func() -> list<string>", get_arguments},
    {"initial-cwd", "func() -> option<string>", initial_cwd},
};

/* ---- wasi:cli/exit ------------------------------------------------------------ */

static int exit_result(component_call *call, void *env, const component_val *args,
                       size_t nargs, component_val *result)
{
    return component_call_exit(call, args[0].of.variant.disc == 0 ? 0 : 1);
}

static int exit_with_code(component_call *call, void *env, const component_val *args,
                          size_t nargs, component_val *result)
{
    return component_call_exit(call, (int)(uint8_t)args[0].of.u);
}

static const wasi2_func exit_funcs[] = {
    {"exit", "func(status: result)", exit_result},
    {"exit-with-code", "func(status-code: u8)", exit_with_code},
};

/* ---- wasi:cli/stdin, stdout, stderr -------------------------------------------- */

static int get_stdin(component_call *call, void *env, const component_val *args, size_t nargs,
                     component_val *result)
{
    const wasi2_host *h = env;
    const wasi2_ctx *ctx = wasi2_host_ctx(h, call);
    *result = wasi2_own(h->input_stream, wasi2_fd_stream_new(ctx->stdin_fd, false, false));
    return 0;
}

static int get_stdout(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    const wasi2_host *h = env;
    const wasi2_ctx *ctx = wasi2_host_ctx(h, call);
    *result = wasi2_own(h->output_stream, wasi2_fd_stream_new(ctx->stdout_fd, true, false));
    return 0;
}

static int get_stderr(component_call *call, void *env, const component_val *args, size_t nargs,
                      component_val *result)
{
    const wasi2_host *h = env;
    const wasi2_ctx *ctx = wasi2_host_ctx(h, call);
    *result = wasi2_own(h->output_stream, wasi2_fd_stream_new(ctx->stderr_fd, true, false));
    return 0;
}

static const wasi2_func stdin_funcs[] = {
    {"get-stdin", "func() -> own<input-stream>", get_stdin},
};
static const wasi2_func stdout_funcs[] = {
    {"get-stdout", "func() -> own<output-stream>", get_stdout},
};
static const wasi2_func stderr_funcs[] = {
    {"get-stderr", "func() -> own<output-stream>", get_stderr},
};

/* ---- wasi:cli/terminal-* -------------------------------------------------------- */

/* A terminal resource carries nothing; its rep only has to be non-zero. */
#define TERMINAL_REP ((const void *)1)

static int terminal_option(component_call *call, int fd, component_resource_type *type,
                           component_val *result)
{
    if (fd < 0 || !isatty(fd))
        return wasi2_variant(call, 0, NULL, result);
    component_val own = wasi2_own(type, TERMINAL_REP);
    return wasi2_variant(call, 1, &own, result);
}

static int get_terminal_stdin(component_call *call, void *env, const component_val *args,
                              size_t nargs, component_val *result)
{
    const wasi2_host *h = env;
    return terminal_option(call, wasi2_host_ctx(h, call)->stdin_fd, h->terminal_input, result);
}

static int get_terminal_stdout(component_call *call, void *env, const component_val *args,
                               size_t nargs, component_val *result)
{
    const wasi2_host *h = env;
    return terminal_option(call, wasi2_host_ctx(h, call)->stdout_fd, h->terminal_output,
                           result);
}

static int get_terminal_stderr(component_call *call, void *env, const component_val *args,
                               size_t nargs, component_val *result)
{
    const wasi2_host *h = env;
    return terminal_option(call, wasi2_host_ctx(h, call)->stderr_fd, h->terminal_output,
                           result);
}

static const wasi2_func terminal_stdin_funcs[] = {
    {"get-terminal-stdin", "func() -> option<own<terminal-input>>", get_terminal_stdin},
};
static const wasi2_func terminal_stdout_funcs[] = {
    {"get-terminal-stdout", "func() -> option<own<terminal-output>>", get_terminal_stdout},
};
static const wasi2_func terminal_stderr_funcs[] = {
    {"get-terminal-stderr", "func() -> option<own<terminal-output>>", get_terminal_stderr},
};

/* ---- registration ------------------------------------------------------------------ */

#define CLI(name) WASI2_IFACE("wasi:cli/" name)
#define DEFINE(iface, funcs) wasi2_define_funcs(l, iface, funcs, UTIL_ARRAY_LEN(funcs), h, err)

int wasi2_define_cli(component_linker *l, wasi2_host *h, util_error **err)
{
    if (DEFINE(CLI("environment"), environment_funcs) < 0 || DEFINE(CLI("exit"), exit_funcs) < 0)
        return -1;
    if (component_linker_alias_resource(l, CLI("stdin"), "input-stream", h->input_stream,
                                        err) < 0 ||
        component_linker_alias_resource(l, CLI("stdout"), "output-stream", h->output_stream,
                                        err) < 0 ||
        component_linker_alias_resource(l, CLI("stderr"), "output-stream", h->output_stream,
                                        err) < 0)
        return -1;
    if (DEFINE(CLI("stdin"), stdin_funcs) < 0 || DEFINE(CLI("stdout"), stdout_funcs) < 0 ||
        DEFINE(CLI("stderr"), stderr_funcs) < 0)
        return -1;
    h->terminal_input =
        component_linker_define_resource(l, CLI("terminal-input"), "terminal-input", NULL, err);
    if (h->terminal_input == NULL)
        return -1;
    h->terminal_output = component_linker_define_resource(l, CLI("terminal-output"),
                                                          "terminal-output", NULL, err);
    if (h->terminal_output == NULL)
        return -1;
    if (component_linker_alias_resource(l, CLI("terminal-stdin"), "terminal-input",
                                        h->terminal_input, err) < 0 ||
        component_linker_alias_resource(l, CLI("terminal-stdout"), "terminal-output",
                                        h->terminal_output, err) < 0 ||
        component_linker_alias_resource(l, CLI("terminal-stderr"), "terminal-output",
                                        h->terminal_output, err) < 0)
        return -1;
    if (DEFINE(CLI("terminal-stdin"), terminal_stdin_funcs) < 0 ||
        DEFINE(CLI("terminal-stdout"), terminal_stdout_funcs) < 0 ||
        DEFINE(CLI("terminal-stderr"), terminal_stderr_funcs) < 0)
        return -1;
    return 0;
}

/* The tables, for the pre-release registrations (rc.c). */
#define TABLE(funcs) {funcs, UTIL_ARRAY_LEN(funcs)}
const wasi2_func_table wasi2_environment_table = TABLE(environment_funcs);
const wasi2_func_table wasi2_exit_table = TABLE(exit_funcs);
const wasi2_func_table wasi2_stdin_table = TABLE(stdin_funcs);
const wasi2_func_table wasi2_stdout_table = TABLE(stdout_funcs);
const wasi2_func_table wasi2_stderr_table = TABLE(stderr_funcs);
const wasi2_func_table wasi2_terminal_stdin_table = TABLE(terminal_stdin_funcs);
const wasi2_func_table wasi2_terminal_stdout_table = TABLE(terminal_stdout_funcs);
const wasi2_func_table wasi2_terminal_stderr_table = TABLE(terminal_stderr_funcs);
