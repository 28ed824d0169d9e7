/*
 * wasi_handler.c - the container handler for WASI commands, preview-1
 * modules and WASI 0.2 components (runner.h).
 *
 * The choice is made on the file itself, as the container process sees it,
 * rather than on image metadata we do not have: the "\0asm" magic, or a
 * ".wasm" name on a file that is not an ELF or `#!` program (so a module
 * with a broken header still reaches the engine, which says what is wrong).
 * The module is read and validated in load, before Create returns, and run
 * in this same process: the engine sees the container's root as "/" and
 * its stdio as 0/1/2, exactly where execve would have run a program.
 * Features, exit status and messages are not decided here but by the
 * policy `run` and Spin share (wasi.h, "one policy").
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
    /* The features and the message are the policy every path shares. */
    *work = wasi_command_compile((uint8_t *)bytes, len, prog->path, err);
    return *work != NULL ? 0 : -1;
}

static void exit_on_signal(int sig)
{
    _exit(128 + sig);
}

static int wasi_run(void *state, void *work, const container_program *prog)
{
    /* As pid 1 of its namespace the process ignores signals it has no
     * handler for; a Wasm command should still stop on SIGTERM/SIGINT. */
    signal(SIGTERM, exit_on_signal);
    signal(SIGINT, exit_on_signal);
    signal(SIGHUP, exit_on_signal);

    wasi_command *command = work;
    wasi_preopen root = {.host_path = "/", .guest_path = "/", .read_only = false};
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = (const char *const *)prog->args;
    cfg.argc = prog->n_args;
    cfg.env = (const char *const *)prog->env;
    cfg.envc = prog->n_env;
    cfg.preopens = &root;
    cfg.npreopens = 1;
    wasi_program_options opts = {.name = prog->path};
    wasi_program_outcome outcome;
    int status = wasi_command_run(command, &cfg, &opts, &outcome);
    wasi_command_free(command);
    wasi_program_report(&outcome, 2, prog->args[0]);
    wasi_program_outcome_free(&outcome);
    return status;
}

const container_handler runner_wasi_handler = {
    .name = "wasi",
    .runs = "Wasm command",
    .needs_no_exec_bit = wasi_needs_no_exec_bit,
    .can_handle = wasi_can_handle,
    .load = wasi_load,
    .run = wasi_run,
};
