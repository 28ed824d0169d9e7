/*
 * wasi_handler.c - the container handler for WASI command modules
 * (runner.h).
 *
 * The choice is made on the file itself, as the container process sees it,
 * rather than on image metadata we do not have: the "\0asm" magic, or a
 * ".wasm" name on a file that is not an ELF or `#!` program (so a module
 * with a broken header still reaches the engine, which says what is wrong).
 * The module is read and validated in load, before Create returns, and run
 * in this same process: the engine sees the container's root as "/" and
 * its stdio as 0/1/2, exactly where execve would have run a program.
 */
#include "runner.h"
#include "wasi.h"
#include "wasm.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static bool ends_with(const char *s, const char *suffix)
{
    size_t l = strlen(s), sl = strlen(suffix);
    return l >= sl && strcmp(s + l - sl, suffix) == 0;
}

static bool wasi_needs_no_exec_bit(const char *file_name)
{
    return ends_with(file_name, ".wasm");
}

static int wasi_can_handle(void *state, const container_program *prog, util_error **err)
{
    if (prog->path == NULL)
        return 0;
    if (prog->n_head == 4 && memcmp(prog->head, "\0asm", 4) == 0)
        return 1;
    return !prog->native && ends_with(prog->path, ".wasm");
}

static int wasi_load(void *state, const container_program *prog, void **work, util_error **err)
{
    char *bytes = NULL;
    size_t len = 0;
    if (util_read_file(prog->path, &bytes, &len, err) < 0)
        return util_error_wrap(err, "process.args[0]");
    wasm_features features = {0};
    wasm_result res;
    wasm_result_init(&res);
    *work = wasm_module_new_take((uint8_t *)bytes, len, &features, &res);
    if (*work == NULL)
        return util_error_set(err, 0, "%s: %s module: %s", prog->path,
                              res.kind == WASM_MALFORMED ? "malformed" : "invalid", res.message);
    return 0;
}

static void exit_on_signal(int sig)
{
    _exit(128 + sig);
}

static void report_failure(const char *arg0, const util_error *err, const wasm_result *res)
{
    if (err != NULL) {
        dprintf(2, "%s: %s\n", arg0, err->msg);
        return;
    }
    const char *what = res->kind == WASM_TRAP          ? "wasm trap"
                       : res->kind == WASM_UNLINKABLE  ? "cannot link"
                       : res->kind == WASM_RESOURCE    ? "resource limit"
                       : res->kind == WASM_INTERRUPTED ? "interrupted"
                                                       : "failed";
    dprintf(2, "%s: %s: %s\n", arg0, what, res->message);
    if (res->backtrace[0])
        dprintf(2, "wasm backtrace:\n%s\n", res->backtrace);
}

static int wasi_run(void *state, void *work, const container_program *prog)
{
    /* As pid 1 of its namespace the process ignores signals it has no
     * handler for; a Wasm command should still stop on SIGTERM/SIGINT. */
    signal(SIGTERM, exit_on_signal);
    signal(SIGINT, exit_on_signal);
    signal(SIGHUP, exit_on_signal);

    wasm_module *module = work;
    wasi_preopen root = {.host_path = "/", .guest_path = "/", .read_only = false};
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = (const char *const *)prog->args;
    cfg.argc = prog->n_args;
    cfg.env = (const char *const *)prog->env;
    cfg.envc = prog->n_env;
    cfg.preopens = &root;
    cfg.npreopens = 1;
    wasm_result res;
    wasm_result_init(&res);
    int code = 0;
    util_error *err = NULL;
    int r = wasi_run_command(module, &cfg, NULL, NULL, &res, &code, &err);
    wasm_module_free(module);
    if (r == 0)
        return code & 0xff;
    report_failure(prog->args[0], err, &res);
    util_error_free(&err);
    return 134;
}

const container_handler runner_wasi_handler = {
    .name = "wasi",
    .runs = "Wasm module",
    .needs_no_exec_bit = wasi_needs_no_exec_bit,
    .can_handle = wasi_can_handle,
    .load = wasi_load,
    .run = wasi_run,
};
