/*
 * container.h - the Linux container sandbox, and the only door into
 * src/container.
 *
 * A container is made in-process, by forking, the way crun does it: no
 * runc, no second runtime binary.  The life cycle follows containerd's Task
 * API one to one, so the shim maps each RPC onto one call here:
 *
 *   Create   container_create()   mounts the rootfs mounts on
 *                                 <bundle>/rootfs, reads <bundle>/config.json,
 *                                 creates the cgroup and forks the container
 *                                 init, which joins/creates namespaces, does
 *                                 mounts, pivot_root, ... and then WAITS.
 *                                 Setup errors (bad config.json, missing
 *                                 executable, failing mount) are returned
 *                                 here, naming what is wrong.
 *   Start    container_start()    releases the init: it execs arg0, or a
 *                                 handler runs it in-process.
 *   Kill     container_kill()     signal the init (or every process in the
 *                                 cgroup when `all`).
 *   Exec     container_exec_create() + container_exec_start()
 *   Delete   container_delete()   kills leftovers, unmounts, removes the
 *                                 cgroup; then container_free().
 *   Stats, Pids, Pause, Resume, Update: the functions of the same name.
 *
 * Reaping: the shim is the child subreaper and the ONLY caller of
 * waitpid(-1, ...).  Every container init and exec process is a direct
 * child of the calling process (the layer forks a short-lived helper that
 * sets up namespaces and creates the process with CLONE_PARENT; the layer
 * waits for that helper itself and tolerates ECHILD, so the shim's reaper
 * must simply ignore pids it does not know).  When the shim reaps a pid it
 * calls container_process_exited(), which finds the container/exec the pid
 * belongs to and records the exit status there.
 *
 * What runs at the end of a container process: the layer execve's
 * process.args[0], resolved through PATH (the container's env) inside the
 * container's root to an ELF or `#!` file (pause, busybox, sidecars),
 * unless a registered handler claims the process and runs it in-process
 * (see "handlers" below).  The layer knows nothing about what handlers run:
 * the binary registers them (src/runner: WASI modules and Spin apps).
 *
 * cgroupsPath: cgroupfs form "/a/b/c" (relative to each hierarchy's root)
 * or systemd form "slice:prefix:name".  Without a systemd D-Bus connection
 * the systemd form is mapped to the cgroupfs path systemd itself would use:
 * "a-b-c.slice:cri:id" -> "/a.slice/a-b.slice/a-b-c.slice/cri-id.scope"
 * (an empty slice means "system.slice"; a name ending in ".slice" is used
 * as-is, with no prefix).  cgroup v1, v2 and the hybrid layout are handled.
 *
 * Not supported (ignored or refused with an error naming the field):
 * terminals (process.terminal / stdio.terminal), OCI hooks, AppArmor and
 * SELinux labels, device rules on cgroup v2 (they need BPF; v1 devices
 * rules are applied), checkpoint/restore.  A user namespace needs a rootfs
 * the mapped root can reach, as with runc.
 *
 * Thread safety: the functions may be called from several threads for
 * different containers; calls on one container must be serialised by the
 * caller, except container_process_exited(), container_pid() and
 * container_status(), which may run concurrently with anything.
 */
#ifndef CONTAINER_CONTAINER_H
#define CONTAINER_CONTAINER_H

#include "util.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct container container;

/* One entry of CreateTaskRequest.rootfs, e.g. {"overlay", "overlay",
 * ["lowerdir=...", "upperdir=...", "workdir=..."]}.  Options that are mount
 * flags (ro, nosuid, nodev, noexec, bind, rbind, ...) become flags, the rest
 * the data string. */
typedef struct container_mount {
    const char *type;
    const char *source;
    const char *const *options;
    size_t n_options;
} container_mount;

/* Host paths (containerd's FIFOs or plain files), opened so that opening a
 * FIFO never blocks (stdin: see container_close_stdin); NULL or "" =
 * /dev/null.  terminal = true is rejected
 * with a clear error (no console support). */
typedef struct container_stdio {
    const char *stdin_path;
    const char *stdout_path;
    const char *stderr_path;
    bool terminal;
} container_stdio;

typedef struct container_create_options {
    const char *id;     /* required */
    const char *bundle; /* required: holds config.json and rootfs/ */
    const container_mount *rootfs; /* may be empty: rootfs already in place */
    size_t n_rootfs;
    container_stdio stdio;
    /* Optional hook: runs in the caller once the rootfs mounts are in
     * place and before anything else looks at the root (no handler's
     * prepare, no fork yet), with the host path of the container's root
     * directory.  The layer does not know what it does; it may write into
     * the root (e.g. content the image left out).  A failure fails Create,
     * named "prepare rootfs: ...", and undoes what Create did (it is the
     * hook's own job to remove what it wrote). */
    int (*prepare_rootfs)(void *ctx, const char *rootfs_dir, util_error **err);
    void *prepare_rootfs_ctx;
} container_create_options;

typedef enum container_status_kind {
    CONTAINER_CREATED = 0, /* init set up, waiting for start */
    CONTAINER_RUNNING,
    CONTAINER_PAUSED,
    CONTAINER_STOPPED,     /* the process exited (exit status recorded) */
} container_status_kind;

/* ---- life cycle -------------------------------------------------------- */

/* Creates the container and leaves its init waiting for container_start().
 * On failure everything done so far is undone (rootfs unmounted, cgroup
 * removed, init killed and reaped) and *err names the problem, e.g.
 * "config.json: process.args: expected a non-empty array". */
container *container_create(const container_create_options *opts, util_error **err);

/* Releases the init.  Returns its pid (as seen by the caller), or -1. */
pid_t container_start(container *c, util_error **err);

/* Signals the init process; with `all`, every process in the container's
 * cgroup (also exec processes).  Signalling a process that has exited fails
 * with status ESRCH and "process already finished". */
int container_kill(container *c, int sig, bool all, util_error **err);

/* Kills whatever is left (SIGKILL to the cgroup, waiting until it is
 * empty), unmounts the container's rootfs mounts and removes the cgroup.
 * Safe to call in any state and more than once.  Does not free `c`. */
int container_delete(container *c, util_error **err);

/* Removes `c` from the pid registry and frees it (call after delete). */
void container_free(container *c);

/* For the shim's `delete` binary action, when no in-memory state exists:
 * reads <bundle>/config.json, SIGKILLs what is left in the container's
 * cgroup, removes the cgroup and unmounts <bundle>/rootfs.  Missing things
 * are not errors. */
int container_cleanup_bundle(const char *id, const char *bundle, util_error **err);

/* ---- queries ----------------------------------------------------------- */

const char *container_id(const container *c);
const char *container_bundle(const container *c);
/* Host pid of the init (valid from create on), or 0. */
pid_t container_pid(const container *c);
container_status_kind container_status(const container *c);
/* The init's exit status (code, or 128+signal) once STOPPED, else -1. */
int container_exit_status(const container *c);
/* The name of the handler that runs the init ("wasi", "spin"), or NULL
 * when the init is execve'd.  Valid from create on. */
const char *container_handler_name(const container *c);
/* An annotation of config.json, or NULL. */
const char *container_annotation(const container *c, const char *key);

/* ---- exit handling ----------------------------------------------------- */

/* Maps a waitpid() status to the exit status containerd reports: the exit
 * code, or 128 + signal number. */
int container_wait_status_to_exit(int wait_status);

/* Called by the shim's reaper for every reaped pid.  If the pid is a
 * container init or exec process, records the exit (status STOPPED) and
 * returns the container, with *exec_id = NULL for the init or the exec id
 * (owned by the container; valid until the exec or container is freed)
 * and *exit_status = the mapped status.  Returns NULL for unknown pids. */
container *container_process_exited(pid_t pid, int wait_status, const char **exec_id,
                                    int *exit_status);

/* Looks a pid up without changing anything (same outputs as above). */
container *container_lookup_pid(pid_t pid, const char **exec_id);

/* ---- exec -------------------------------------------------------------- */

/* Creates an additional process in the running container from a runtime-
 * spec Process JSON (ExecProcessRequest.spec): it joins all the init's
 * namespaces and its cgroup, applies user, cwd, env, capabilities, rlimits,
 * no_new_privs and the container's seccomp, and waits for exec_start.
 * Unknown executables are reported here. */
int container_exec_create(container *c, const char *exec_id, const char *process_json,
                          const container_stdio *stdio, util_error **err);
/* Releases it; returns its pid. */
pid_t container_exec_start(container *c, const char *exec_id, util_error **err);
int container_exec_kill(container *c, const char *exec_id, int sig, util_error **err);
/* 0 if unknown or not started. */
pid_t container_exec_pid(const container *c, const char *exec_id);
container_status_kind container_exec_status(const container *c, const char *exec_id);
/* Exit status once stopped, else -1. */
int container_exec_exit_status(const container *c, const char *exec_id);
/* Kills it if still running and forgets it. */
int container_exec_delete(container *c, const char *exec_id, util_error **err);

/* CloseIO with stdin: closes the layer's own write end of the stdin FIFO
 * of the init (exec_id NULL or "") or of an exec (kept from create to start
 * so that no EOF is seen before containerd's writer connects), so the
 * process reads EOF once containerd has closed its end too.  Nothing to
 * do without a stdin FIFO, or when done before.  Unknown exec: ENOENT. */
int container_close_stdin(container *c, const char *exec_id, util_error **err);

/* ---- resources --------------------------------------------------------- */

/* Metrics read from the container's cgroup, in the units containerd's
 * cgroups Metrics protobufs use.  A value the kernel does not provide stays
 * 0; "no limit" is UINT64_MAX. */
typedef struct container_stats {
    bool cgroup_v2; /* which Metrics message to encode */

    uint64_t cpu_usage_usec;  /* total */
    uint64_t cpu_user_usec;
    uint64_t cpu_system_usec;
    uint64_t cpu_nr_periods;
    uint64_t cpu_nr_throttled;
    uint64_t cpu_throttled_usec;

    uint64_t memory_usage;     /* bytes */
    uint64_t memory_limit;
    uint64_t memory_max_usage; /* v1 max_usage_in_bytes; v2 memory.peak if present */
    uint64_t memory_rss;       /* v1 total_rss */
    uint64_t memory_cache;     /* v1 total_cache; v2 file */
    uint64_t memory_inactive_file;
    uint64_t memory_anon;      /* v2 anon; v1 total_rss */
    uint64_t memory_swap_usage;
    uint64_t memory_swap_limit;
    uint64_t memory_oom_kills; /* v1 oom_kill in memory.oom_control; v2 memory.events */

    uint64_t pids_current;
    uint64_t pids_limit;

    uint64_t io_read_bytes; /* summed over devices */
    uint64_t io_write_bytes;
    uint64_t io_read_ops;
    uint64_t io_write_ops;
} container_stats;

int container_stats_read(container *c, container_stats *stats, util_error **err);

/* Every pid in the container's cgroup (host pids), caller frees *pids. */
int container_pids(container *c, pid_t **pids, size_t *n_pids, util_error **err);

/* Freezes / thaws the cgroup (freezer v1 or cgroup.freeze v2). */
int container_pause(container *c, util_error **err);
int container_resume(container *c, util_error **err);

/* Applies a runtime-spec LinuxResources JSON (memory, cpu, pids). */
int container_update(container *c, const char *resources_json, util_error **err);

/* ---- handlers ---------------------------------------------------------
 *
 * A handler runs a process in-process instead of execve, inside the fully
 * set-up container process (crun's custom handlers are the model).  The
 * binary registers handlers at start-up; for every process (init or exec)
 * the layer asks them in registration order, and the first that claims the
 * process runs it.  When none claims it, arg0 is execve'd; a file that is
 * neither ELF nor `#!` and that no handler claims fails Create with an
 * error naming it.
 *
 * The steps, and where each runs:
 *   prepare     optional; in the caller (the shim) before the fork, for
 *               EVERY handler, claimed or not: work that cannot be done
 *               inside the container, e.g. loading a host library the
 *               workload needs after pivot_root (the forked process
 *               inherits it).  Decide from the process alone whether there
 *               is anything to do.  `*state` (may stay NULL) is inherited
 *               by the forked process and given to the steps below; the
 *               caller frees it with free_state once the process is set
 *               up.  An error fails Create (or Exec).
 *   can_handle  in the container process, after mounts, pivot_root and
 *               chdir(process.cwd), so paths mean what the workload will
 *               see: 1 = claims the process, 0 = not, -1 = claims it but
 *               it cannot run (Create fails with *err).
 *   load        optional; after a claim, still before Create returns: read
 *               and check what will run, so a broken program fails Create,
 *               not Start.  `*work` goes to run.
 *   run         after Start, with the process's final user, capabilities,
 *               rlimits, no_new_privs and seccomp filter; stdio on 0/1/2.
 *               No execve happened, so the C environment is still the
 *               caller's: the workload's is prog->env.  Returns the exit
 *               status (0-255); the process then _exits with it.
 */

/* A process as the handlers see it. */
typedef struct container_program {
    char *const *args; /* process.args, NULL-terminated, n_args >= 1 */
    size_t n_args;
    char *const *env; /* process.env, NULL-terminated */
    size_t n_env;
    const char *cwd;
    /* prepare: the container's root directory on the host; afterwards "/" */
    const char *rootfs;
    /* In the container process only (NULL, 0 and false in prepare): */
    const char *path;          /* args[0] as a regular file (found through
                                  PATH when it has no '/'), or NULL */
    const unsigned char *head; /* the first n_head (<= 4) bytes of path */
    size_t n_head;
    bool native;               /* head is "\x7fELF" or "#!": execve runs it */
} container_program;

typedef struct container_handler {
    const char *name; /* unique, short: container_handler_name(), errors */
    const char *runs; /* what it runs, for the error when nothing runs a
                         file: "Wasm module" (NULL: the name) */
    /* Optional: a PATH search takes the first regular file that is
     * executable or whose name this accepts (a program that is read, not
     * execve'd, need not be executable). */
    bool (*needs_no_exec_bit)(const char *file_name);
    int (*prepare)(const container_program *prog, void **state, util_error **err);
    void (*free_state)(void *state);
    int (*can_handle)(void *state, const container_program *prog, util_error **err);
    int (*load)(void *state, const container_program *prog, void **work, util_error **err);
    int (*run)(void *state, void *work, const container_program *prog);
} container_handler;

#define CONTAINER_MAX_HANDLERS 8

/* Adds `h` (kept by pointer, so a static object) after those registered
 * before; fails when it lacks can_handle or run, when its name is taken or
 * when CONTAINER_MAX_HANDLERS are registered.  Call at start-up, before
 * any container is created: the registry is not locked. */
int container_handler_register(const container_handler *h, util_error **err);

#endif
