/*
 * cmd_run.c - the `run` sub-command: run a WASI command module, like
 * `wasmtime run`.
 *
 * The guest gets our stdio, the arguments after FILE (argv[0] is FILE as
 * typed, or --argv0), only the environment given with --env (the last value
 * of a name wins, as in wasmtime and `up`), and only the directories given
 * with --dir/--ro-dir.
 *
 * Exit status, chosen to match wasmtime where it has one, documented in
 * `run --help` (run_exit_status below) and decided by the policy all paths
 * share (wasi.h, "one policy"):
 *   N    the guest's proc_exit code, or 0 when it returns;
 *   1    FILE could not be loaded or started: unreadable, malformed,
 *        invalid, unlinkable, an export unfit for --invoke or --invoke
 *        arguments its parameters do not accept,
 *        or an instantiation beyond a resource limit (wasmtime reports all
 *        of these as errors with status 1);
 *   2    a usage error;
 *   134  a trap, or the --timeout deadline (what a shell shows for SIGABRT,
 *        and wasmtime's status for a trap, its timeouts included).
 */
#include "commands.h"
#include "util.h"
#include "wasi.h"
#include "wasm.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

enum run_option_id {
    RUN_DIR,
    RUN_RO_DIR,
    RUN_ENV,
    RUN_INVOKE,
    RUN_TIMEOUT,
    RUN_MAX_MEMORY,
    RUN_ARGV0,
};

static const cli_option run_options[] = {
    {RUN_DIR, "--dir", NULL, "HOST[::GUEST]", true,
     "give the program the host directory HOST, seen as GUEST (default: the same path)"},
    {RUN_RO_DIR, "--ro-dir", NULL, "HOST[::GUEST]", true,
     "the same, read-only: every write, create, rename and unlink below it fails"},
    {RUN_ENV, "--env", NULL, "K=V|K", true,
     "set the program's environment variable K to V (K alone: our value of K, if set); "
     "for a name given twice the last value wins"},
    {RUN_INVOKE, "--invoke", NULL, "FUNC|'FUNC(ARGS)'", false,
     "call the export FUNC instead of _start (a module: no parameters; a reactor's "
     "_initialize runs first) or wasi:cli/run (a component: ARGS written in WAVE, the "
     "WebAssembly Value Encoding, e.g. --invoke 'add(40, 2)' or 'f(\"text\", [1, 2], "
     "{a: 1}, some(3), ok(4), red)'; its result is printed in WAVE on stdout)"},
    {RUN_TIMEOUT, "--timeout", NULL, "MS", false,
     "stop the program after MS milliseconds, also while it sleeps or waits for input or "
     "output"},
    {RUN_MAX_MEMORY, "--max-memory-size", NULL, "BYTES", false,
     "cap each linear memory at BYTES (suffix K, M or G: KiB, MiB, GiB; wasmtime's -W "
     "max-memory-size): memory.grow beyond it fails (malloc returns NULL), a larger initial "
     "memory fails at start"},
    {RUN_ARGV0, "--argv0", NULL, "NAME", false,
     "the program's argv[0] (default: FILE as typed)"},
};

static const cli_item run_environment[] = {
    {"WASI_NO_OPENAT2=1",
     "resolve the program's paths without openat2(2), for seccomp policies that forbid it"},
};

static const cli_item run_exit_status[] = {
    {"N", "the program's exit code: its proc_exit(N) or wasi:cli/exit, or 0 when it returns "
          "(a code above 255 reads as 1; a component's run returning err is 1)"},
    {"1", "FILE could not be loaded or started: it cannot be read, is malformed or invalid, "
          "imports something WASI does not provide, has no suitable export to call (or --invoke's "
          "arguments do not fit its parameters), or needs "
          "more memory or table space than allowed; or a --dir cannot be opened (\"Error: ...\" "
          "on stderr)"},
    {"2", "a usage error: unknown option, bad value, no FILE"},
    {"134", "the program trapped, or --timeout stopped it: \"Error: <why>\" and a backtrace on "
            "stderr (what a shell shows for SIGABRT; wasmtime's status for traps)"},
};

const cli_command cmd_run_spec = {
    .name = "run",
    .operands = "FILE.wasm [ARGS...]",
    .summary = "Run a WebAssembly program (a WASI preview 1 command module or a WASI 0.2 command component), like wasmtime run.",
    .details = "The program gets this process's stdin, stdout and stderr, the ARGS after FILE, "
               "only the environment variables given with --env and only the directories given "
               "with --dir and --ro-dir. Options end at FILE: what follows is the program's.",
    .options = run_options,
    .noptions = UTIL_ARRAY_LEN(run_options),
    .environment = run_environment,
    .nenvironment = UTIL_ARRAY_LEN(run_environment),
    .exit_status = run_exit_status,
    .nexit_status = UTIL_ARRAY_LEN(run_exit_status),
};

/* What the options say, in the arrays the WASI config points into. */
typedef struct run_opts {
    util_env env;
    char **owned; /* strings the arrays point into */
    size_t nowned;
    wasi_preopen *dirs;
    size_t ndirs;
    const char *invoke;
    const char *argv0;
    uint64_t timeout_ms;
    uint64_t max_memory;
} run_opts;

static void opts_free(run_opts *o)
{
    for (size_t i = 0; i < o->nowned; i++)
        free(o->owned[i]);
    free(o->owned);
    util_env_free(&o->env);
    free(o->dirs);
}

static char *keep_string(run_opts *o, char *s)
{
    o->owned = util_xrealloc(o->owned, (o->nowned + 1) * sizeof(char *));
    o->owned[o->nowned++] = s;
    return s;
}

static int add_dir(run_opts *o, const char *flag, const char *spec, bool read_only)
{
    if (spec[0] == '\0')
        return cli_usage_error(&cmd_run_spec, "%s needs a directory", flag);
    const char *sep = strstr(spec, "::");
    wasi_preopen p = {.read_only = read_only};
    if (sep != NULL) {
        p.host_path = keep_string(o, util_xstrndup(spec, (size_t)(sep - spec)));
        p.guest_path = sep + 2;
        if (p.host_path[0] == '\0' || p.guest_path[0] == '\0')
            return cli_usage_error(&cmd_run_spec, "%s %s: expected HOST::GUEST", flag, spec);
    } else {
        p.host_path = spec;
        p.guest_path = spec;
    }
    o->dirs = util_xrealloc(o->dirs, (o->ndirs + 1) * sizeof(wasi_preopen));
    o->dirs[o->ndirs++] = p;
    return 0;
}

/* "K=V" sets K (replacing an earlier value); "K" copies ours if we have one. */
static int add_env(run_opts *o, const char *kv)
{
    if (kv[0] == '\0' || kv[0] == '=')
        return cli_usage_error(&cmd_run_spec, "--env needs K=V or K (got '%s')", kv);
    if (strchr(kv, '=') == NULL) {
        const char *v = getenv(kv);
        if (v != NULL)
            util_env_set(&o->env, kv, v);
        return 0;
    }
    return util_env_put(&o->env, kv, NULL);
}

/* A positive decimal number; with `suffixes`, optionally times K, M or G
 * (KiB, MiB, GiB). */
static int parse_number(const char *flag, const char *v, bool suffixes, uint64_t *out)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {{"K", 10}, {"KiB", 10}, {"M", 20}, {"MiB", 20}, {"G", 30}, {"GiB", 30}};
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned shift = 0;
    for (size_t i = 0; suffixes && end != v && i < UTIL_ARRAY_LEN(units); i++)
        if (strcmp(end, units[i].suffix) == 0) {
            shift = units[i].shift;
            end += strlen(end);
        }
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n == 0 ||
        n > (UINT64_MAX >> shift))
        return cli_usage_error(&cmd_run_spec, "%s: '%s' is not a positive %s", flag, v,
                               suffixes ? "number of bytes" : "number of milliseconds");
    *out = (uint64_t)n << shift;
    return 0;
}

/* Returns 0 with *file_index set, 1 after printing the help, or the usage
 * error's exit status. */
static int parse(run_opts *o, int argc, char **argv, int *file_index)
{
    cli_parser p;
    cli_parser_init(&p, &cmd_run_spec, argc, argv);
    const cli_option *opt;
    const char *v;
    int step = CLI_END, rc = 0;
    while (rc == 0 && (step = cli_next(&p, &opt, &v)) == CLI_OPTION) {
        switch ((enum run_option_id)opt->id) {
        case RUN_DIR: rc = add_dir(o, opt->name, v, false); break;
        case RUN_RO_DIR: rc = add_dir(o, opt->name, v, true); break;
        case RUN_ENV: rc = add_env(o, v); break;
        case RUN_INVOKE:
            if (v[0] == '\0')
                rc = cli_usage_error(&cmd_run_spec, "--invoke needs a function name");
            o->invoke = v;
            break;
        case RUN_TIMEOUT: rc = parse_number(opt->name, v, false, &o->timeout_ms); break;
        case RUN_MAX_MEMORY: rc = parse_number(opt->name, v, true, &o->max_memory); break;
        case RUN_ARGV0: o->argv0 = v; break;
        }
    }
    if (rc != 0)
        return rc;
    if (step == CLI_ERROR)
        return CLI_EXIT_USAGE;
    if (step == CLI_HELP) {
        cli_print_help(&cmd_run_spec, stdout);
        return 1;
    }
    if (p.next >= argc)
        return cli_usage_error(&cmd_run_spec, "no FILE.wasm given");
    *file_index = p.next;
    return 0;
}

static wasi_command *load(const char *file)
{
    util_error *err = NULL;
    char *bytes = NULL;
    size_t len = 0;
    wasi_command *command = NULL;
    if (util_read_file(file, &bytes, &len, &err) == 0)
        command = wasi_command_compile((uint8_t *)bytes, len, file, &err);
    if (command == NULL)
        util_error_report(&err, "Error");
    return command;
}

static int run_file(run_opts *o, const char *file, int gargc, char **gargv)
{
    /* Most of this process's memory is fresh: one populated step for the
     * module's decoded form and translated code beats a page fault per
     * page, which costs tens of microseconds in a VM. */
    util_heap_prefault(120 * 1024);
    wasi_command *command = load(file);
    if (command == NULL)
        return WASI_STATUS_NOT_STARTED;

    /* A closed stdout is the guest's problem (errno `pipe`), as for a Rust
     * program, not a signal that kills the runtime. */
    signal(SIGPIPE, SIG_IGN);
    const char *no2 = getenv("WASI_NO_OPENAT2");
    if (no2 != NULL && strcmp(no2, "1") == 0)
        wasi_set_openat2(false);

    if (o->argv0)
        gargv[0] = (char *)o->argv0;
    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = (const char *const *)gargv;
    cfg.argc = (size_t)gargc;
    cfg.env = (const char *const *)o->env.items;
    cfg.envc = o->env.len;
    cfg.preopens = o->dirs;
    cfg.npreopens = o->ndirs;
    /* Features, deadline, memory cap, exit status and messages are the
     * policy every path shares (wasi.h, "one policy"). */
    wasi_program_options opts = {
        .name = file,
        .invoke = o->invoke,
        .timeout_ms = o->timeout_ms,
        .max_memory_bytes = o->max_memory,
        .max_memory_source = "--max-memory-size",
    };
    wasi_program_outcome outcome;
    int status = wasi_command_run(command, &cfg, &opts, &outcome);
    wasi_command_free(command);
    fflush(stdout);
    wasi_program_report(&outcome, 2, "Error");
    wasi_program_outcome_free(&outcome);
    return status;
}

int cmd_run(int argc, char **argv)
{
    run_opts o = {0};
    int file_index = 0;
    int rc = parse(&o, argc, argv, &file_index);
    if (rc == 0)
        rc = run_file(&o, argv[file_index], argc - file_index, argv + file_index);
    else if (rc == 1) /* the help was printed */
        rc = 0;
    opts_free(&o);
    return rc;
}
