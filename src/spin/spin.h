/*
 * spin.h - the Spin host: loads a Spin app (spin.toml) and serves its
 * triggers.  The only door into src/spin.
 *
 * One call runs an app to completion, the way `spin up` does:
 * spin_app_run() loads the manifest, resolves variables and runtime
 * configuration, compiles every component once, binds the HTTP listener,
 * then serves until SIGTERM, SIGINT or SIGHUP (or spin_app_stop()).  A
 * graceful stop lets in-flight requests finish and returns exit status 0.
 *
 * Everything the app may read from its surroundings comes through the
 * options, never from the calling process's own environment, so the
 * container layer can pass the OCI process env and stdio of a container
 * while running in a process that has a different env:
 *
 *   env                  the "K=V" list Spin would see as its process env:
 *                        SPIN_HTTP_LISTEN_ADDR, SPIN_VARIABLE_<NAME>,
 *                        <NAME> for each declared app variable (upper-cased),
 *                        SPIN_RUNTIME_CONFIG_FILE, SPIN_LOG_DIR,
 *                        SPIN_COMPONENTS_TO_RETAIN, SPIN_MAX_INSTANCE_MEMORY,
 *                        SPIN_HTTP_REQUEST_TIMEOUT (see request_timeout_ms),
 *                        HOSTNAME (the app id).  Nothing else of it reaches
 *                        components: their env is the manifest's
 *                        `environment` plus what the executor adds (CGI).
 *   stdout_fd/stderr_fd  where component output goes when no log dir is set;
 *                        start-up and request errors are logged on stderr_fd.
 *   root_dir             the image root: its runtime-config.toml is read when
 *                        SPIN_RUNTIME_CONFIG_FILE names none, and absolute
 *                        paths of the runtime config resolve in it ("/" in a
 *                        container after pivot_root).  NULL = not in an image
 *                        (`up` on a host, like `spin up`): no implicit
 *                        runtime config.
 *
 * Errors: start-up problems (bad manifest, unknown component in
 * SPIN_COMPONENTS_TO_RETAIN, missing required variable, address in use,
 * invalid Wasm) return -1 with *err naming what is wrong.  The caller prints
 * it where the user sees it (the container's stderr, so `kubectl logs`
 * shows it) and picks the exit code (runwasi uses 137).
 */
#ifndef SPIN_SPIN_H
#define SPIN_SPIN_H

#include "util.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct spin_run_options {
    /* A directory holding spin.toml, or the path of a manifest file.
     * Relative component sources and `files` resolve against the
     * manifest's directory. */
    const char *app_path;
    /* Or a LockedApp JSON file to run instead of a manifest (app_path is
     * then ignored): the /spin.json an OCI artifact installs (oci.h), or a
     * spin.lock.  Content refs resolve as containerd-shim-spin resolves
     * them, in the cache beside the file (<dir>/.cache/registry):
     *   - a component source by `digest`: wasm/<digest> (else data/<digest>,
     *     as Spin's cache falls back), or its `inline` bytes;
     *   - `files` entries { digest | inline, path }: placed at `path` below
     *     the component's "/" (data/<digest> hard-linked, else copied, or
     *     the inline bytes written, into the staging tree); `path` must be
     *     relative with only normal components (no "", ".", ".." or leading
     *     '/'), as Spin's is_safe_to_join requires;
     *   - `source` (file://) entries as for a manifest, below the file's
     *     directory.
     * A digest with no file in the cache fails start-up naming the
     * component and the digest; non-empty `dependencies` are refused (not
     * supported yet).  Everything else (variables, runtime config,
     * SPIN_COMPONENTS_TO_RETAIN, the state dir .spin beside the file, or
     * root_dir's /.spin) applies as for a manifest.  NULL = use app_path. */
    const char *locked_app_path;
    /* "host:port": IPv4 ("0.0.0.0:80"), IPv6 ("[::1]:3000") or a name
     * ("localhost:3000").  NULL = SPIN_HTTP_LISTEN_ADDR from `env`, else
     * "0.0.0.0:80". */
    const char *listen_addr;
    /* NULL-terminated "K=V" array (see above); NULL = empty. */
    const char *const *env;
    /* NULL-terminated "K=V" array added to every component's environment
     * (`spin up --env`), overriding the manifest's; NULL = none. */
    const char *const *component_env;
    /* Component stdout/stderr when no log_dir is configured. */
    int stdout_fd;
    int stderr_fd;
    /* The stdin a command trigger's guest inherits (other triggers' guests
     * get an empty stdin). */
    int stdin_fd;
    /* The arguments a command trigger's guest gets after its component id
     * (argv[0]), as containerd-shim-spin passes the container's process
     * args and `spin up` its trailing arguments; other triggers ignore
     * them.  NULL-terminated; NULL = none. */
    const char *const *trigger_args;
    /* See above; NULL = no image root. */
    const char *root_dir;
    /* If >= 0, "ready\n" is written here (and the fd left open) once the
     * listener is bound and requests are served: lets callers and tests
     * wait for readiness without polling. */
    int ready_fd;
    /* Install handlers for SIGTERM, SIGINT and SIGHUP for the duration of
     * the run (restored afterwards).  Off for embedders that route signals
     * themselves and call spin_app_stop(). */
    bool handle_signals;
    /* The deadline of each HTTP request, in ms: a guest still running then
     * is stopped and the request answered 504 Gateway Timeout.  0 = no
     * deadline; < 0 = SPIN_HTTP_REQUEST_TIMEOUT from `env` (a duration,
     * see spin_parse_duration_ms), else SPIN_DEFAULT_REQUEST_TIMEOUT_MS. */
    int64_t request_timeout_ms;
    /* Threads running guests (at most this many requests run at once; the
     * rest wait in a queue).  0 = twice the CPUs, at least 4. */
    unsigned workers;
} spin_run_options;

#define SPIN_DEFAULT_REQUEST_TIMEOUT_MS 60000

/* Defaults: stdin_fd 0, stdout_fd 1, stderr_fd 2, ready_fd -1, handle_signals true,
 * request_timeout_ms -1, everything else NULL or 0. */
void spin_run_options_init(spin_run_options *opts);

/* Runs the app until stopped or until one of its triggers ends (a command
 * trigger's guest returning; the other triggers are then stopped as after
 * a signal); returns the exit status to use (0 after a graceful stop, the
 * guest's status when a command trigger ended it), or -1 with *err set if
 * it could not start. */
int spin_app_run(const spin_run_options *opts, util_error **err);

/* Does every start-up step except binding the listener and serving
 * (manifest, variables, runtime config, retained components, compiling each
 * component): returns 0 if spin_app_run would start, else -1 with *err. */
int spin_app_check(const spin_run_options *opts, util_error **err);

/* Loads the HTTP server library (libmicrohttpd, opened with dlopen on first
 * use so that processes which serve nothing never load it).  spin_app_run
 * does this itself; call it first when the app will run where the host's
 * libraries are not visible (a container process after pivot_root): the
 * loaded library survives fork.  Returns -1 with *err naming the library
 * and the Debian package to install if it cannot be loaded. */
int spin_http_load(util_error **err);

/* The shared libraries a Spin app can need, to load before pivot_root. */
#define SPIN_LIB_HTTP_SERVER 1u /* libmicrohttpd: an http trigger */
#define SPIN_LIB_HTTP_CLIENT 2u /* libcurl: outgoing HTTP to other hosts */
#define SPIN_LIB_POSTGRES 4u    /* libpq */
#define SPIN_LIB_MYSQL 8u       /* MariaDB Connector/C */
#define SPIN_LIB_MQTT 16u       /* libmosquitto */
#define SPIN_LIB_ALL 31u

/* Which of them the app can use, from the text of its manifest (spin.toml,
 * or a locked app's JSON when `locked_json`) and of its runtime config
 * (NULL if none): the http trigger, and the schemes its components'
 * allowed_outbound_hosts name.  Pure, and conservative: a manifest that
 * does not parse, an entry or trigger type it does not know, or a runtime
 * config beyond SQLite/redis stores and env variables asks for every
 * client (a NULL manifest: everything). */
unsigned spin_app_libraries(const char *manifest, size_t manifest_len, bool locked_json,
                            const char *runtime_config, size_t runtime_config_len);

/* Loads the libraries `libs` names (SPIN_LIB_*): only a missing
 * libmicrohttpd is an error (-1, *err naming it); a missing client is
 * reported when a guest uses it.  spin_http_load() is SPIN_LIB_ALL. */
int spin_preload_libraries(unsigned libs, util_error **err);

/* Parses a duration: digits followed by "ms", "s" or "m" ("500ms",
 * "30s", "2m"); plain digits are seconds; "0" is zero (no deadline).  At
 * most a day.  Returns -1 with *err quoting the text otherwise. */
int spin_parse_duration_ms(const char *text, uint64_t *ms, util_error **err);

/* Asks every running spin_app_run in this process to stop gracefully.
 * Async-signal-safe and thread-safe. */
void spin_app_stop(void);

#endif
