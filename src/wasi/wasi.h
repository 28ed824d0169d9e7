/*
 * wasi.h - WASI preview 1 (`wasi_snapshot_preview1`) for our engine, and the
 * only door into src/wasi.
 *
 * A wasi_ctx is the guest's view of the host: its argv, environment, three
 * stdio descriptors chosen by the embedder, and a capability table of
 * preopened directories.  Nothing outside the preopens is reachable: every
 * path a guest names is resolved beneath one of them (openat2
 * RESOLVE_BENEATH where the kernel has it, a careful component walk
 * otherwise), so `..`, absolute paths and symlinks cannot escape.
 *
 * Life cycle, cheap enough for one instance per HTTP request:
 *
 *   wasi_ctx *ctx = wasi_ctx_new(&cfg, &err);    // opens the preopens
 *   wasm_store *s = wasm_store_new(...);
 *   wasm_linker *l = wasm_linker_new();
 *   wasi_define(l, s, ctx);                        // host functions in s
 *   ... wasm_instantiate(s, module, l, &res), call "_start" ...
 *   wasm_store_free(s); wasm_linker_free(l);
 *   wasi_ctx_free(ctx);                            // after the store
 *
 * or, for a plain command, wasi_run_command() does all of it, and
 * wasi_program_run() does it the way every path of this binary agrees on.
 *
 * The ctx must outlive the store it is defined in.  One ctx serves one
 * store (and the instances in it) on one thread.
 *
 * Descriptors handed in by the embedder (stdio) are borrowed: the ctx never
 * closes them, even when the guest calls fd_close on them, so the embedder
 * can hand in container FIFOs, pipes or memfds and read them afterwards.
 * A guest writing to a pipe nobody reads raises SIGPIPE in the host unless
 * the embedder ignores it (the `run` command does; the guest then gets
 * errno `pipe`).  A read-only preopen answers `rofs` to every write.
 */
#ifndef WASI_WASI_H
#define WASI_WASI_H

#include "util.h"
#include "wasm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wasi_ctx wasi_ctx;

typedef struct wasi_preopen {
    const char *host_path;  /* directory on the host */
    const char *guest_path; /* name the guest sees (fd_prestat_dir_name), e.g. "/" or "." */
    bool read_only;         /* refuse every write, create, rename, unlink below it */
} wasi_preopen;

typedef struct wasi_config {
    /* Guest argv; argv[0] is conventionally the program name. */
    const char *const *argv;
    size_t argc;
    /* Guest environment as "KEY=VALUE" strings, exactly what environ_get returns. */
    const char *const *env;
    size_t envc;
    /* Host descriptors backing guest fds 0, 1, 2 (borrowed, never closed).
     * -1 = a null device: reads see end-of-file, writes are discarded. */
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /* Guest fds 3, 4, ... in this order. */
    const wasi_preopen *preopens;
    size_t npreopens;
    /* CLOCK_MONOTONIC deadline in ns (0 = none).  wasi_run_command sets it on
     * the store.  Calls that block (poll_oneoff, reads from pipes and
     * sockets) never wait past it: a guest still blocked at the deadline is
     * stopped with a trap "deadline exceeded" (see wasi_ctx_deadline_hit). */
    uint64_t deadline_ns;
    /* The most bytes the guest may write to its stdout in all (0 = no
     * limit), enforced as it writes: the write that would pass it writes
     * nothing and stops the guest with the trap "stdout limit of N bytes
     * exceeded".  An embedder that collects stdout in memory (a memfd)
     * then never holds more than this, whatever the guest does.  The
     * budget belongs to the descriptor, so renumbering it keeps it. */
    uint64_t stdout_limit;
} wasi_config;

/* Zeroes the config and points stdio at the process's own 0, 1, 2. */
static inline void wasi_config_init(wasi_config *c)
{
    *c = (wasi_config){0};
    c->stdin_fd = 0;
    c->stdout_fd = 1;
    c->stderr_fd = 2;
}

/* Copies everything it needs from `config` (the caller may free it) and
 * opens the preopened directories.  Fails, naming the directory, if one
 * cannot be opened. */
wasi_ctx *wasi_ctx_new(const wasi_config *config, util_error **err);
void wasi_ctx_free(wasi_ctx *ctx);

/* True once a blocking call stopped the guest at the deadline: the trap
 * then reported is really an interruption (wasi_run_command reports it as
 * WASM_INTERRUPTED). */
bool wasi_ctx_deadline_hit(const wasi_ctx *ctx);
/* The ctx's CLOCK_MONOTONIC deadline in ns (0 = none), for host functions
 * outside this layer that wait too (Spin 1's outbound-redis). */
uint64_t wasi_ctx_deadline(const wasi_ctx *ctx);

/* Defines every preview 1 function in `store` under the module names
 * `wasi_snapshot_preview1` and (legacy) `wasi_unstable`.  Returns 0. */
int wasi_define(wasm_linker *linker, wasm_store *store, wasi_ctx *ctx);

/* The same, limited to the WASI functions `module` imports (cheaper for a
 * store per request).  Imports of unknown WASI names are left undefined so
 * instantiation reports them as unlinkable. */
int wasi_define_imports(wasm_linker *linker, wasm_store *store, wasi_ctx *ctx,
                        const wasm_module *module);

/* Defines every preview 1 function (both module names) in `linker` as a
 * host function of no store, whose ctx is the user_data of the store it
 * runs in: build the linker once, resolve a module once
 * (wasm_linker_resolve), then per run make a ctx, a store with
 * wasm_store_config.user_data = ctx and wasm_instantiate_resolved.  A
 * store without a ctx as user_data must not run these functions. */
int wasi_define_for_stores(wasm_linker *linker);

/* Instantiates `module` in a fresh store, runs `invoke` (NULL = "_start";
 * a reactor's `_initialize` runs first) and reports the outcome:
 *   returns 0:  the program finished; *exit_code is 0 or its proc_exit code
 *               (res->kind WASM_OK or WASM_EXIT);
 *   returns -1: it did not: res->kind says why (WASM_UNLINKABLE, WASM_TRAP,
 *               WASM_INTERRUPTED, WASM_RESOURCE) with message and backtrace,
 *               or *err is set for a host-side failure (bad preopen, missing
 *               export).
 * `store_config` may be NULL. */
int wasi_run_command(wasm_module *module, const wasi_config *config, const char *invoke,
                     const wasm_store_config *store_config, wasm_result *res, int *exit_code,
                     util_error **err);

/* ---- one policy for running a WASI program (run.c) ------------------
 *
 * `run`, WASI containers and Spin's Wagi executor all run a WASI command, so
 * what they must agree on is decided here, once:
 *
 *   features  wasi_program_features(): the proposals every path enables
 *             (tail calls: toolchains emit return_call for -mtail-call);
 *   loading   wasi_program_compile(): refuses a component binary, decodes and
 *             validates with those features; one text for every failure:
 *             "NAME: malformed module: ...", "NAME: invalid module: ...";
 *   running   wasi_program_run(): a fresh store with the memory cap, the
 *             deadline on store and ctx, a reactor's _initialize, then the
 *             entry, optionally watched so another thread can stop it;
 *   outcome   the exit status and the one message every path shows:
 *
 *     end          status  message
 *     EXITED       N       (exit 0: none) "the guest exited with code N";
 *                          a code the OS cannot carry (<0, >255) is 1
 *     TRAPPED      134     "the guest trapped: <trap>"  + backtrace
 *     TIMED_OUT    134     "interrupted after the MS ms timeout" (or "at
 *                          its deadline") + backtrace
 *     CANCELLED    134     "the run was cancelled"
 *     NOT_STARTED  1       "NAME: unlinkable: ...", "NAME: cannot
 *                          instantiate: ... (SETTING)", or a host error
 *                          ("the module exports no function '_start'",
 *                          a preopen that cannot be opened)
 *
 * 134 is what a shell shows for SIGABRT and wasmtime's status for a trap.
 * How a path shows the message is its own: `run` and containers print
 * "PREFIX: message" and the backtrace on stderr (wasi_program_report), the
 * Wagi executor logs one line, the backtrace only at debug level. */

#define WASI_STATUS_NOT_STARTED 1
#define WASI_STATUS_TRAPPED 134

wasm_features wasi_program_features(void);

/* Decodes and validates `bytes` (taken over: freed with the module or at
 * once on failure) with wasi_program_features().  `name` (the file, as the
 * user knows it) opens the message of every failure. */
wasm_module *wasi_program_compile(uint8_t *bytes, size_t len, const char *name,
                                  util_error **err);

typedef struct wasi_program_options {
    const char *name;   /* opens NOT_STARTED messages ("FILE: unlinkable: ..."); may be NULL */
    const char *invoke; /* the export to call; NULL = "_start" */
    /* Stop the guest this long after the start (0 = never), also while it
     * blocks in a WASI call; used only when config->deadline_ns is 0. */
    uint64_t timeout_ms;
    uint64_t max_memory_bytes;     /* cap of each linear memory, 0 = none */
    const char *max_memory_source; /* the setting behind the cap, named when
                                      it stops the start ("--max-memory-size") */
    /* Optional, for an embedder whose other threads may stop the guest
     * (wasm_store_interrupt): watch gets the fresh store before anything
     * runs and returns true if the run is cancelled already (then nothing
     * runs); unwatch is called once the guest stopped, before the store is
     * freed, and returns true if the run was cancelled meanwhile. */
    bool (*watch)(void *arg, wasm_store *store);
    bool (*unwatch)(void *arg);
    void *watch_arg;
    /* Optional: the module's imports resolved once by the caller through a
     * linker holding wasi_define_for_stores (wasm_linker_resolve), for a
     * host that runs one module many times.  The run then makes no linker:
     * its store's user_data is the run's ctx and the instance comes from
     * wasm_instantiate_resolved.  NULL: a linker of this run's own. */
    const wasm_resolution *resolution;
} wasi_program_options;

typedef enum wasi_program_end {
    WASI_PROGRAM_EXITED,      /* the entry returned or the guest called proc_exit */
    WASI_PROGRAM_TRAPPED,
    WASI_PROGRAM_TIMED_OUT,   /* the deadline stopped it (a loop or a blocking call) */
    WASI_PROGRAM_CANCELLED,   /* stopped through the watched store */
    WASI_PROGRAM_NOT_STARTED, /* it could not be instantiated or called */
} wasi_program_end;

typedef struct wasi_program_outcome {
    wasi_program_end end;
    int exit_code; /* EXITED: the guest's own code */
    int status;    /* the exit status the table above gives it */
    char *message; /* the table's text, or NULL (exit 0); owned */
    char backtrace[2048]; /* TRAPPED, TIMED_OUT: one frame a line, or "" */
} wasi_program_outcome;

/* Runs `module` as `config` and `opts` say (opts may be NULL) and fills
 * *out; returns out->status.  Free the outcome with
 * wasi_program_outcome_free. */
int wasi_program_run(wasm_module *module, const wasi_config *config,
                     const wasi_program_options *opts, wasi_program_outcome *out);
void wasi_program_outcome_free(wasi_program_outcome *out);

/* Writes "PREFIX: message" and the backtrace (if any) to `fd`: what `run`
 * and a WASI container show on stderr.  Nothing for EXITED: an exit code
 * speaks for itself. */
void wasi_program_report(const wasi_program_outcome *out, int fd, const char *prefix);

/* ---- commands of either kind: modules and components ----------------
 *
 * A WASI command is a preview-1 module or a WASI 0.2 component; `run` and
 * WASI containers take either and let the binary decide.  A component is
 * linked against the WASI 0.2 host (src/wasi2) once, when compiled, and
 * each run instantiates it in a fresh store with a WASI 0.2 context made
 * from the same wasi_config a module gets.  Its entry is the export
 * wasi:cli/run@0.2.x `run` (any 0.2 version): returning ok is exit 0 and
 * err exit 1 (WASI 0.2 has no other codes there), and wasi:cli/exit ends
 * it with its code, as proc_exit does.  Traps, timeouts, cancellation and
 * start failures read as the table above says, for both kinds. */
typedef struct wasi_command wasi_command;

/* Decodes, validates and compiles `bytes` (taken over) as a module, or
 * as a component linked against WASI 0.2.  Failures open with `name`:
 * "NAME: malformed module: ...", "NAME: unlinkable: import wasi:...". */
wasi_command *wasi_command_compile(uint8_t *bytes, size_t len, const char *name,
                                   util_error **err);
bool wasi_command_is_component(const wasi_command *c);
void wasi_command_free(wasi_command *c);
/* wasi_program_run for either kind.  For a component opts->invoke is
 * "name" or "name(args)" with the arguments in WAVE (as wasmtime's
 * --invoke): a function exported at its top level, called instead of
 * wasi:cli/run, whose result is printed as WAVE and a newline on
 * config->stdout_fd; opts->resolution is for modules only. */
int wasi_command_run(const wasi_command *c, const wasi_config *config,
                     const wasi_program_options *opts, wasi_program_outcome *out);

/* Paths are resolved with openat2(RESOLVE_BENEATH) where the kernel has it
 * and with a component walk otherwise; both refuse the same escapes.
 * Switching openat2 off (process-wide) is for seccomp policies that kill
 * on unknown system calls, and lets tests exercise the walk. */
void wasi_set_openat2(bool enabled);

/* The WASI errno name for a number ("badf", "noent", ...), for messages. */
const char *wasi_errno_name(int wasi_errno);

#endif
