/*
 * cmd_up.c - the `up` sub-command: run a Spin app from a directory or a
 * spin.toml, like `spin up`.
 *
 *   containerd-shim-spin-v2 up [--from DIR|FILE] [--listen ADDR]
 *       [--env K=V]... [--runtime-config-file FILE] [--log-dir DIR]
 *       [--log-level LEVEL] [--check]
 *
 * As with `spin up`: --from defaults to the current directory, --listen
 * to $SPIN_HTTP_LISTEN_ADDR or 127.0.0.1:3000, and --env adds a variable
 * to every component's environment.  The process environment is the app's
 * environment (SPIN_VARIABLE_*, SPIN_LOG_DIR, ...).  SIGTERM, SIGINT and
 * SIGHUP stop it gracefully with exit status 0; a start-up error is
 * printed on stderr with exit status 1.  --check validates without
 * serving.
 */
#include "commands.h"
#include "spin.h"
#include "util.h"

#include <string.h>

extern char **environ;

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "containerd-shim-spin-v2 up: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: containerd-shim-spin-v2 up [--from DIR|FILE] [--listen ADDR] "
                    "[--env K=V]... [--runtime-config-file FILE] [--log-dir DIR] "
                    "[--log-level LEVEL] [--check]\n");
    return 2;
}

/* Accepts "--opt VALUE" and "--opt=VALUE"; returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *long_name,
                             const char *short_name)
{
    const char *a = argv[*i];
    size_t n = strlen(long_name);
    if (strncmp(a, long_name, n) == 0 && a[n] == '=')
        return a + n + 1;
    if (strcmp(a, long_name) == 0 || (short_name && strcmp(a, short_name) == 0)) {
        if (*i + 1 >= argc)
            return NULL;
        return argv[++*i];
    }
    return NULL;
}

static bool is_opt(const char *a, const char *long_name, const char *short_name)
{
    size_t n = strlen(long_name);
    return strcmp(a, long_name) == 0 || (strncmp(a, long_name, n) == 0 && a[n] == '=') ||
           (short_name && strcmp(a, short_name) == 0);
}

int cmd_up(int argc, char **argv)
{
    const char *from = ".", *listen = NULL, *rc_file = NULL, *log_dir = NULL;
    bool check = false;
    size_t nenv = 0;
    int64_t request_timeout_ms = -1; /* -1: SPIN_HTTP_REQUEST_TIMEOUT or the default */
    unsigned workers = 0;
    cleanup_free const char **comp_env = util_xcalloc((size_t)argc + 1, sizeof(char *));

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v;
        if (is_opt(a, "--from", "-f")) {
            if (!(v = opt_value(argc, argv, &i, "--from", "-f")))
                return usage_error("%s needs a value", a);
            from = v;
        } else if (is_opt(a, "--listen", NULL)) {
            if (!(v = opt_value(argc, argv, &i, "--listen", NULL)))
                return usage_error("%s needs a value", a);
            listen = v;
        } else if (is_opt(a, "--env", "-e")) {
            if (!(v = opt_value(argc, argv, &i, "--env", "-e")))
                return usage_error("%s needs a value", a);
            if (!strchr(v, '=') || v[0] == '=')
                return usage_error("--env expects KEY=VALUE, got '%s'", v);
            comp_env[nenv++] = v;
        } else if (is_opt(a, "--runtime-config-file", NULL)) {
            if (!(v = opt_value(argc, argv, &i, "--runtime-config-file", NULL)))
                return usage_error("%s needs a value", a);
            rc_file = v;
        } else if (is_opt(a, "--log-dir", NULL)) {
            if (!(v = opt_value(argc, argv, &i, "--log-dir", NULL)))
                return usage_error("%s needs a value", a);
            log_dir = v;
        } else if (is_opt(a, "--log-level", NULL)) {
            if (!(v = opt_value(argc, argv, &i, "--log-level", NULL)))
                return usage_error("%s needs a value", a);
            util_log_level level;
            if (util_log_parse_level(v, &level) < 0)
                return usage_error("unknown log level '%s' (error, warn, info, debug)", v);
            util_log_set_level(level);
        } else if (is_opt(a, "--request-timeout", NULL)) {
            if (!(v = opt_value(argc, argv, &i, "--request-timeout", NULL)))
                return usage_error("%s needs a value", a);
            util_error *derr = NULL;
            uint64_t ms = 0;
            if (spin_parse_duration_ms(v, &ms, &derr) < 0) {
                fprintf(stderr, "containerd-shim-spin-v2 up: --request-timeout: %s\n", derr->msg);
                util_error_free(&derr);
                return 2;
            }
            request_timeout_ms = (int64_t)ms;
        } else if (is_opt(a, "--workers", NULL)) {
            if (!(v = opt_value(argc, argv, &i, "--workers", NULL)))
                return usage_error("%s needs a value", a);
            char *end = NULL;
            unsigned long n = strtoul(v, &end, 10);
            if (!*v || *end || v[0] == '-' || n < 1 || n > 1024)
                return usage_error("--workers expects a number from 1 to 1024, got '%s'", v);
            workers = (unsigned)n;
        } else if (strcmp(a, "--check") == 0) {
            check = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage_error("%s", "runs a Spin application");
            return 0;
        } else {
            return usage_error("unknown argument '%s'", a);
        }
    }

    /* The app's environment: ours, plus what the flags set (last wins). */
    size_t n = 0;
    while (environ && environ[n])
        n++;
    cleanup_free const char **env = util_xcalloc(n + 4, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        env[i] = environ[i];
    cleanup_free char *rc_kv = rc_file ? util_xasprintf("SPIN_RUNTIME_CONFIG_FILE=%s", rc_file)
                                       : NULL;
    cleanup_free char *log_kv = log_dir ? util_xasprintf("SPIN_LOG_DIR=%s", log_dir) : NULL;
    if (rc_kv)
        env[n++] = rc_kv;
    if (log_kv)
        env[n++] = log_kv;

    spin_run_options opts;
    spin_run_options_init(&opts);
    opts.app_path = from;
    opts.env = env;
    opts.component_env = comp_env;
    opts.listen_addr = listen;
    opts.request_timeout_ms = request_timeout_ms;
    opts.workers = workers;
    if (!listen && !getenv("SPIN_HTTP_LISTEN_ADDR"))
        opts.listen_addr = "127.0.0.1:3000";
    /* As in the shim, /runtime-config.toml is used when it exists. */

    util_error *err = NULL;
    int rc = check ? spin_app_check(&opts, &err) : spin_app_run(&opts, &err);
    if (rc < 0) {
        fprintf(stderr, "Error: %s\n", err ? err->msg : "unknown error");
        util_error_free(&err);
        return 1;
    }
    if (check)
        printf("%s: ok\n", from);
    return rc;
}
