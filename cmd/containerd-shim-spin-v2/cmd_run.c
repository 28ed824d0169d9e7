/*
 * cmd_run.c - the `run` sub-command: run a WASI command module, like
 * `wasmtime run`.
 *
 * The guest gets our stdio, the arguments after FILE (argv[0] is FILE as
 * typed), only the environment given with --env, and only the directories
 * given with --dir/--ro-dir.  The process exit status is the guest's:
 * its proc_exit code or 0; 134 (what a shell shows for SIGABRT, and what
 * wasmtime uses) when it traps or is interrupted; 1 when the module cannot
 * be loaded, linked or started.
 */
#include "commands.h"
#include "util.h"
#include "wasi.h"
#include "wasm.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#define EXIT_TRAP 134

static void usage(FILE *out)
{
    fprintf(out,
            "usage: containerd-shim-spin-v2 run [OPTIONS] FILE.wasm [ARGS...]\n"
            "\n"
            "Runs a WASI (preview 1) command module.\n"
            "\n"
            "options:\n"
            "  --dir HOST[::GUEST]     preopen directory HOST as GUEST (default: HOST)\n"
            "  --ro-dir HOST[::GUEST]  the same, read-only\n"
            "  --env K=V               set an environment variable (--env K copies ours)\n"
            "  --invoke FUNC           call export FUNC (no parameters) instead of _start\n"
            "  --timeout MS            interrupt the program after MS milliseconds\n"
            "\n"
            "exit status: the program's exit code; 134 if it traps or is interrupted\n"
            "(\"Error: <message>\" and a backtrace go to stderr); 1 if FILE cannot be\n"
            "loaded or linked.\n"
            "\n"
            "environment: WASI_NO_OPENAT2=1 resolves guest paths without openat2(2)\n"
            "(for seccomp policies that forbid it).\n");
}

/* Growable arrays of the option values. */
typedef struct run_opts {
    const char **env;
    size_t nenv;
    char **env_owned;
    size_t nenv_owned;
    wasi_preopen *dirs;
    size_t ndirs;
    char **dir_strings;
    size_t ndir_strings;
    const char *invoke;
    uint64_t timeout_ms;
} run_opts;

static void opts_free(run_opts *o)
{
    for (size_t i = 0; i < o->nenv_owned; i++)
        free(o->env_owned[i]);
    for (size_t i = 0; i < o->ndir_strings; i++)
        free(o->dir_strings[i]);
    free(o->env_owned);
    free(o->dir_strings);
    free(o->env);
    free(o->dirs);
}

static char *keep_string(run_opts *o, char *s)
{
    o->dir_strings = util_xrealloc(o->dir_strings, (o->ndir_strings + 1) * sizeof(char *));
    o->dir_strings[o->ndir_strings++] = s;
    return s;
}

static int add_dir(run_opts *o, const char *spec, bool read_only)
{
    if (spec[0] == '\0') {
        fprintf(stderr, "Error: --dir needs a directory\n");
        return -1;
    }
    const char *sep = strstr(spec, "::");
    wasi_preopen p = {.read_only = read_only};
    if (sep != NULL) {
        p.host_path = keep_string(o, util_xstrndup(spec, (size_t)(sep - spec)));
        p.guest_path = sep + 2;
        if (p.host_path[0] == '\0' || p.guest_path[0] == '\0') {
            fprintf(stderr, "Error: --dir %s: expected HOST::GUEST\n", spec);
            return -1;
        }
    } else {
        p.host_path = spec;
        p.guest_path = spec;
    }
    o->dirs = util_xrealloc(o->dirs, (o->ndirs + 1) * sizeof(wasi_preopen));
    o->dirs[o->ndirs++] = p;
    return 0;
}

static void add_env(run_opts *o, const char *kv)
{
    const char *s = kv;
    if (strchr(kv, '=') == NULL) { /* --env NAME: pass ours through, if set */
        const char *v = getenv(kv);
        if (v == NULL)
            return;
        char *owned = util_xasprintf("%s=%s", kv, v);
        o->env_owned = util_xrealloc(o->env_owned, (o->nenv_owned + 1) * sizeof(char *));
        o->env_owned[o->nenv_owned++] = owned;
        s = owned;
    }
    o->env = util_xrealloc(o->env, (o->nenv + 1) * sizeof(char *));
    o->env[o->nenv++] = s;
}

/* Accepts "--opt VALUE" and "--opt=VALUE"; returns the value or NULL. */
static const char *opt_value(const char *name, int argc, char **argv, int *i)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "Error: %s needs a value\n", name);
        return "";
    }
    return argv[++*i];
}

static int parse(run_opts *o, int argc, char **argv, int *file_index)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        }
        if ((v = opt_value("--dir", argc, argv, &i)) != NULL) {
            if (add_dir(o, v, false) < 0)
                return -1;
        } else if ((v = opt_value("--ro-dir", argc, argv, &i)) != NULL) {
            if (add_dir(o, v, true) < 0)
                return -1;
        } else if ((v = opt_value("--env", argc, argv, &i)) != NULL) {
            if (v[0] == '\0' || v[0] == '=') {
                fprintf(stderr, "Error: --env needs K=V\n");
                return -1;
            }
            add_env(o, v);
        } else if ((v = opt_value("--invoke", argc, argv, &i)) != NULL) {
            if (v[0] == '\0')
                return -1;
            o->invoke = v;
        } else if ((v = opt_value("--timeout", argc, argv, &i)) != NULL) {
            char *end;
            errno = 0;
            unsigned long long ms = strtoull(v, &end, 10);
            if (v[0] == '\0' || *end != '\0' || errno != 0 || ms == 0 || v[0] == '-') {
                fprintf(stderr, "Error: --timeout: '%s' is not a positive number of ms\n", v);
                return -1;
            }
            o->timeout_ms = ms;
        } else {
            fprintf(stderr, "Error: unknown option '%s'\n", a);
            return -1;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "Error: no FILE.wasm given\n");
        return -1;
    }
    *file_index = i;
    return 0;
}

static const char *kind_name(wasm_result_kind k)
{
    switch (k) {
    case WASM_MALFORMED: return "malformed module";
    case WASM_INVALID: return "invalid module";
    case WASM_UNLINKABLE: return "unlinkable";
    case WASM_TRAP: return "trap";
    case WASM_INTERRUPTED: return "interrupted";
    case WASM_RESOURCE: return "resource limit";
    default: return "error";
    }
}

static int run_file(run_opts *o, const char *file, int gargc, char **gargv)
{
    util_error *err = NULL;
    /* Most of this process's memory is fresh: one populated step for the
     * module's decoded form and translated code beats a page fault per
     * page, which costs tens of microseconds in a VM. */
    util_heap_prefault(120 * 1024);
    cleanup_free char *bytes = NULL;
    size_t len = 0;
    if (util_read_file(file, &bytes, &len, &err) < 0) {
        util_error_report(&err, "Error");
        return 1;
    }
    wasm_result res;
    wasm_result_init(&res);
    wasm_features features = {.tail_call = true};
    wasm_module *module = wasm_module_new_take((uint8_t *)bytes, len, &features, &res);
    bytes = NULL; /* the module's now */
    if (module == NULL) {
        fprintf(stderr, "Error: %s: %s: %s\n", file, kind_name(res.kind), res.message);
        return 1;
    }

    /* A closed stdout is the guest's problem (errno `pipe`), as for a Rust
     * program, not a signal that kills the runtime. */
    signal(SIGPIPE, SIG_IGN);
    const char *no2 = getenv("WASI_NO_OPENAT2");
    if (no2 != NULL && strcmp(no2, "1") == 0)
        wasi_set_openat2(false);

    wasi_config cfg;
    wasi_config_init(&cfg);
    cfg.argv = (const char *const *)gargv;
    cfg.argc = (size_t)gargc;
    cfg.env = o->env;
    cfg.envc = o->nenv;
    cfg.preopens = o->dirs;
    cfg.npreopens = o->ndirs;
    if (o->timeout_ms)
        cfg.deadline_ns = util_monotonic_ns() + o->timeout_ms * 1000000u;

    int exit_code = 0;
    int rc = wasi_run_command(module, &cfg, o->invoke, NULL, &res, &exit_code, &err);
    wasm_module_free(module);
    fflush(stdout);
    if (rc == 0) /* a status the OS cannot carry must not read as success */
        return exit_code >= 0 && exit_code <= 255 ? exit_code : 1;
    if (err != NULL) {
        util_error_report(&err, "Error");
        return 1;
    }
    switch (res.kind) {
    case WASM_TRAP:
    case WASM_RESOURCE:
        fprintf(stderr, "Error: %s\n", res.message);
        if (res.backtrace[0])
            fprintf(stderr, "backtrace:\n%s%s", res.backtrace,
                    res.backtrace[strlen(res.backtrace) - 1] == '\n' ? "" : "\n");
        return EXIT_TRAP;
    case WASM_INTERRUPTED:
        fprintf(stderr, "Error: interrupted after the %llu ms timeout\n",
                (unsigned long long)o->timeout_ms);
        if (res.backtrace[0])
            fprintf(stderr, "backtrace:\n%s%s", res.backtrace,
                    res.backtrace[strlen(res.backtrace) - 1] == '\n' ? "" : "\n");
        return EXIT_TRAP;
    default:
        fprintf(stderr, "Error: %s: %s: %s\n", file, kind_name(res.kind), res.message);
        return 1;
    }
}

int cmd_run(int argc, char **argv)
{
    run_opts o = {0};
    int file_index = 0;
    int rc = parse(&o, argc, argv, &file_index);
    if (rc != 0) {
        if (rc < 0)
            usage(stderr);
        opts_free(&o);
        return rc < 0 ? 1 : 0;
    }
    rc = run_file(&o, argv[file_index], argc - file_index, argv + file_index);
    opts_free(&o);
    return rc;
}
