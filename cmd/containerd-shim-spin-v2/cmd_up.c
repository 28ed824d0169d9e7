/*
 * cmd_up.c - the `up` sub-command: run a Spin app from a directory or a
 * spin.toml, like `spin up`.
 *
 * As with `spin up`: --from defaults to the current directory, --listen
 * to $SPIN_HTTP_LISTEN_ADDR or 127.0.0.1:3000, --env adds a variable to
 * every component's environment, and a runtime config file is read only
 * when one is named (--runtime-config-file or $SPIN_RUNTIME_CONFIG_FILE):
 * the fixed /runtime-config.toml belongs to a container's image, where the
 * container layer asks for it.  The process environment is the app's
 * environment (SPIN_VARIABLE_*, SPIN_LOG_DIR, ...).  SIGTERM, SIGINT and
 * SIGHUP stop it gracefully with exit status 0; a start-up error is
 * printed on stderr with exit status 1; a usage error exits 2.  --check
 * validates without serving.
 *
 * Options, environment variables and exit codes are rows of the tables
 * below, which are also the help; a new flag is one row in up_options and
 * one case in parse().
 */
#include "commands.h"
#include "spin.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* A new option: an id here, a row in up_options (its place in the usage
 * and help), a case in parse(), a field in up_args if it carries a value. */
enum up_option_id {
    UP_FROM,
    UP_LISTEN,
    UP_ENV,
    UP_RUNTIME_CONFIG,
    UP_LOG_DIR,
    UP_LOG_LEVEL,
    UP_REQUEST_TIMEOUT,
    UP_WORKERS,
    UP_CHECK,
};

static const cli_option up_options[] = {
    {UP_FROM, "--from", "-f", "DIR|FILE", false,
     "the app: a directory holding spin.toml, or a manifest file, or a locked app file "
     "named *.json (an installed OCI artifact's spin.json, its content in .cache/ beside it) "
     "(default: the current directory)"},
    {UP_LISTEN, "--listen", NULL, "ADDR", false,
     "serve HTTP on ADDR: IPv4 (0.0.0.0:80), [IPv6]:port or name:port (default: "
     "$SPIN_HTTP_LISTEN_ADDR, else 127.0.0.1:3000)"},
    {UP_ENV, "--env", "-e", "K=V", true,
     "add K=V to every component's environment, over the manifest's; for a name given twice "
     "the last value wins"},
    {UP_RUNTIME_CONFIG, "--runtime-config-file", NULL, "FILE", false,
     "read the runtime config (state_dir, log_dir, max_instance_memory, variables providers) "
     "from FILE; without it (or $SPIN_RUNTIME_CONFIG_FILE) none is read"},
    {UP_LOG_DIR, "--log-dir", NULL, "DIR", false,
     "write each component's output to DIR/<component>_stdout.txt and _stderr.txt (default: "
     "this process's stdout and stderr)"},
    {UP_LOG_LEVEL, "--log-level", NULL, "LEVEL", false,
     "what the host itself logs on stderr: error, warn (the default: refused requests, skipped "
     "files, traps), info or debug"},
    {UP_REQUEST_TIMEOUT, "--request-timeout", NULL, "DURATION", false,
     "the deadline of each HTTP request (30s, 500ms, 2m; a plain number is seconds; 0 = none): "
     "a guest still running then is stopped and the request answered 504 (default: "
     "$SPIN_HTTP_REQUEST_TIMEOUT, else 60s)"},
    {UP_WORKERS, "--workers", NULL, "N", false,
     "threads running guests, 1 to 1024; further requests wait in a queue (default: twice the "
     "CPUs, at least 4)"},
    {UP_CHECK, "--check", NULL, NULL, false,
     "load the manifest, variables and runtime config and compile every component, print "
     "\"PATH: ok\" and exit, without serving"},
};

/* One row per variable the app reads from this process's environment (a
 * new SPIN_* knob gets its row here). */
static const cli_item up_environment[] = {
    {"SPIN_HTTP_LISTEN_ADDR", "the address to serve on when --listen is not given"},
    {"SPIN_VARIABLE_<NAME>", "the value of app variable <name> (upper-cased; a plain <NAME> "
                             "also works and takes precedence)"},
    {"SPIN_RUNTIME_CONFIG_FILE", "the runtime config file when --runtime-config-file is not "
                                 "given"},
    {"SPIN_LOG_DIR", "the component log directory when --log-dir is not given"},
    {"SPIN_COMPONENTS_TO_RETAIN", "comma-separated component ids: serve only their routes"},
    {"SPIN_MAX_INSTANCE_MEMORY", "cap in bytes of each component instance's linear memory"},
    {"SPIN_HTTP_REQUEST_TIMEOUT", "the request deadline when --request-timeout is not given "
                                  "(same syntax)"},
};

static const cli_item up_exit_status[] = {
    {"0", "stopped by SIGTERM, SIGINT or SIGHUP once in-flight requests finished; or --check "
          "found nothing wrong"},
    {"1", "the app could not start (bad manifest, missing file or variable, invalid Wasm, "
          "address in use): \"Error: ...\" on stderr says what is wrong"},
    {"N", "an app with a command trigger ends with its guest: the guest's exit status (134 "
          "for a trap); ARGS are the guest's arguments after its component id"},
    {"2", "a usage error: unknown option, missing or bad value"},
};

const cli_command cmd_up_spec = {
    .name = "up",
    .operands = "[-- ARGS...]",
    .summary = "Run a Spin app's triggers (http, redis, command), like spin up.",
    .details = "Components run with the Wagi executor (WASI preview 1 programs speaking CGI). "
               "The app's variables come from this process's environment; components see only "
               "their manifest environment, --env and what CGI adds.",
    .options = up_options,
    .noptions = UTIL_ARRAY_LEN(up_options),
    .environment = up_environment,
    .nenvironment = UTIL_ARRAY_LEN(up_environment),
    .exit_status = up_exit_status,
    .nexit_status = UTIL_ARRAY_LEN(up_exit_status),
};

typedef struct up_args {
    const char *from;
    const char *listen;
    const char *runtime_config;
    const char *log_dir;
    bool check;
    int64_t request_timeout_ms; /* -1: SPIN_HTTP_REQUEST_TIMEOUT or the default */
    unsigned workers;           /* 0: the server's default */
    const char **component_env; /* NULL-terminated */
    size_t ncomponent_env;
    const char *const *trigger_args; /* the operands, NULL-terminated */
} up_args;

/* Returns 0, 1 after printing the help, or the usage error's exit status. */
static int parse(up_args *a, int argc, char **argv)
{
    cli_parser p;
    cli_parser_init(&p, &cmd_up_spec, argc, argv);
    const cli_option *opt;
    const char *v;
    int step;
    while ((step = cli_next(&p, &opt, &v)) == CLI_OPTION) {
        switch ((enum up_option_id)opt->id) {
        case UP_FROM: a->from = v; break;
        case UP_LISTEN: a->listen = v; break;
        case UP_ENV:
            if (!strchr(v, '=') || v[0] == '=')
                return cli_usage_error(&cmd_up_spec, "--env expects KEY=VALUE, got '%s'", v);
            a->component_env[a->ncomponent_env++] = v;
            break;
        case UP_RUNTIME_CONFIG: a->runtime_config = v; break;
        case UP_LOG_DIR: a->log_dir = v; break;
        case UP_LOG_LEVEL: {
            util_log_level level;
            if (util_log_parse_level(v, &level) < 0)
                return cli_usage_error(&cmd_up_spec,
                                       "unknown log level '%s' (error, warn, info, debug)", v);
            util_log_set_level(level);
            break;
        }
        case UP_REQUEST_TIMEOUT: {
            util_error *derr = NULL;
            uint64_t ms = 0;
            if (spin_parse_duration_ms(v, &ms, &derr) < 0) {
                int rc = cli_usage_error(&cmd_up_spec, "--request-timeout: %s", derr->msg);
                util_error_free(&derr);
                return rc;
            }
            a->request_timeout_ms = (int64_t)ms;
            break;
        }
        case UP_WORKERS: {
            char *end = NULL;
            unsigned long n = strtoul(v, &end, 10);
            if (!*v || *end || v[0] == '-' || n < 1 || n > 1024)
                return cli_usage_error(&cmd_up_spec,
                                       "--workers expects a number from 1 to 1024, got '%s'", v);
            a->workers = (unsigned)n;
            break;
        }
        case UP_CHECK: a->check = true; break;
        }
    }
    if (step == CLI_ERROR)
        return CLI_EXIT_USAGE;
    if (step == CLI_HELP) {
        cli_print_help(&cmd_up_spec, stdout);
        return 1;
    }
    /* What follows "--" goes to a command trigger's guest, after its
     * component id (`spin up` passes trailing arguments on); a stray word
     * before it is a mistake (the app is --from). */
    if (p.next < argc && (p.next == 0 || strcmp(argv[p.next - 1], "--") != 0))
        return cli_usage_error(&cmd_up_spec,
                               "unexpected argument '%s' (the app is --from; a command "
                               "trigger's arguments follow --)",
                               argv[p.next]);
    a->trigger_args = (const char *const *)argv + p.next;
    return 0;
}

static char *manifest_of(const char *from)
{
    struct stat st;
    if (stat(from, &st) == 0 && S_ISDIR(st.st_mode))
        return util_xasprintf("%s/spin.toml", from);
    return util_xstrdup(from);
}

/* `up --from examples/spin-wagi` from a checkout: the example's Wasm files
 * are build outputs, assembled with its manifest into <build>/apps/<name>,
 * never into the source tree.  When the running binary sits in such a
 * build (<build>/cmd/containerd-shim-spin-v2/) and a copy of this very
 * manifest is there, say so instead of leaving a bare "No such file". */
static void hint_at_built_copy(const char *from)
{
    cleanup_free char *manifest = manifest_of(from);
    cleanup_free char *exe = realpath("/proc/self/exe", NULL);
    cleanup_free char *real = realpath(manifest, NULL);
    if (exe == NULL || real == NULL)
        return;
    for (int up = 0; up < 3; up++) { /* binary, its directory, cmd/ */
        char *slash = strrchr(exe, '/');
        if (slash == NULL || slash == exe)
            return;
        *slash = '\0';
    }
    char *app_dir_end = strrchr(real, '/');
    *app_dir_end = '\0';
    const char *name = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
    cleanup_free char *copy_dir = util_xasprintf("%s/apps/%s", exe, name);
    cleanup_free char *copy = util_xasprintf("%s/spin.toml", copy_dir);
    cleanup_free char *ours = NULL, *theirs = NULL;
    size_t nours = 0, ntheirs = 0;
    util_error *err = NULL;
    if (util_read_file(manifest, &ours, &nours, &err) < 0 ||
        util_read_file(copy, &theirs, &ntheirs, &err) < 0) {
        util_error_free(&err);
        return;
    }
    if (nours != ntheirs || memcmp(ours, theirs, nours) != 0 || strcmp(real, copy_dir) == 0)
        return;
    fprintf(stderr,
            "hint: %s is the source of an example whose Wasm files the build writes elsewhere; "
            "the built app is %s:\n  containerd-shim-spin-v2 up --from %s\n",
            from, copy_dir, copy_dir);
}

int cmd_up(int argc, char **argv)
{
    util_trace_mark("up-main"); /* the binary has started (exec, loader, main) */
    cleanup_free const char **comp_env = util_xcalloc((size_t)argc + 1, sizeof(char *));
    up_args a = {.from = ".", .request_timeout_ms = -1, .component_env = comp_env};
    /* Warnings are what an operator acts on (a refused request, a skipped
     * file); they are rare, unlike per-request info lines. */
    util_log_set_level(UTIL_LOG_WARN);
    int rc = parse(&a, argc, argv);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    /* Checked here so that the error names the flag the user typed, not
     * the environment variable it is passed on as. */
    if (a.runtime_config && access(a.runtime_config, R_OK) != 0) {
        fprintf(stderr, "Error: --runtime-config-file %s: %s\n", a.runtime_config,
                strerror(errno));
        return 1;
    }

    /* The app's environment: ours, plus what the flags set (last wins). */
    size_t n = 0;
    while (environ && environ[n])
        n++;
    cleanup_free const char **env = util_xcalloc(n + 4, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        env[i] = environ[i];
    cleanup_free char *rc_kv =
        a.runtime_config ? util_xasprintf("SPIN_RUNTIME_CONFIG_FILE=%s", a.runtime_config) : NULL;
    cleanup_free char *log_kv = a.log_dir ? util_xasprintf("SPIN_LOG_DIR=%s", a.log_dir) : NULL;
    if (rc_kv)
        env[n++] = rc_kv;
    if (log_kv)
        env[n++] = log_kv;

    spin_run_options opts;
    spin_run_options_init(&opts);
    size_t from_len = strlen(a.from);
    if (from_len > 5 && strcmp(a.from + from_len - 5, ".json") == 0)
        opts.locked_app_path = a.from; /* a LockedApp, e.g. an installed artifact */
    else
        opts.app_path = a.from;
    opts.env = env;
    opts.component_env = comp_env;
    opts.listen_addr = a.listen;
    opts.request_timeout_ms = a.request_timeout_ms;
    opts.workers = a.workers;
    opts.trigger_args = a.trigger_args;
    if (!a.listen && !getenv("SPIN_HTTP_LISTEN_ADDR"))
        opts.listen_addr = "127.0.0.1:3000";
    /* opts.root_dir stays NULL: on a host there is no image root whose
     * /runtime-config.toml would be the app's. */

    util_error *err = NULL;
    rc = a.check ? spin_app_check(&opts, &err) : spin_app_run(&opts, &err);
    if (rc < 0) {
        fprintf(stderr, "Error: %s\n", err ? err->msg : "unknown error");
        if (err && err->status == ENOENT)
            hint_at_built_copy(a.from);
        util_error_free(&err);
        return 1;
    }
    if (a.check)
        printf("%s: ok\n", a.from);
    return rc;
}
