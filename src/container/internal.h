/*
 * internal.h - what the files of src/container share: the parsed OCI spec,
 * the cgroup handle, the container and exec records and the sync protocol
 * between the shim and the processes it forks.  Not a public header.
 *
 * The spec is parsed completely in the parent, before any fork, into plain
 * C structs: the forked children then only make system calls, and every
 * configuration error is reported from container_create() with the name of
 * the offending field.
 */
#ifndef CONTAINER_INTERNAL_H
#define CONTAINER_INTERNAL_H

#include "container.h"

#include <json-c/json.h>
#include <pthread.h>
#include <sys/resource.h>

/* ---- parsed OCI runtime spec ------------------------------------------ */

typedef struct spec_rlimit {
    int resource;
    uint64_t soft, hard;
} spec_rlimit;

/* Capability sets as bit masks (bit n = capability n). */
typedef struct spec_caps {
    bool present;
    uint64_t bounding, effective, permitted, inheritable, ambient;
} spec_caps;

typedef struct spec_process {
    char **args; /* NULL-terminated */
    size_t n_args;
    char **env;  /* NULL-terminated */
    size_t n_env;
    char *cwd;
    uid_t uid;
    gid_t gid;
    gid_t *gids;
    size_t n_gids;
    bool terminal;
    bool no_new_privs;
    bool has_oom_score_adj;
    int oom_score_adj;
    spec_caps caps;
    spec_rlimit *rlimits;
    size_t n_rlimits;
} spec_process;

typedef struct spec_mount {
    char *destination;
    char *type;
    char *source;
    unsigned long flags;       /* MS_* for mount(2) */
    unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (|MS_REC), or 0 */
    bool bind;
    char *data; /* the options that are not flags, comma separated, or NULL */
} spec_mount;

typedef struct spec_namespace {
    int type;   /* CLONE_NEW* */
    char *path; /* join this one, or NULL = create */
} spec_namespace;

typedef struct spec_device {
    char *path;
    char type; /* 'c', 'b', 'u', 'p' */
    unsigned major, minor;
    unsigned mode;
    uid_t uid;
    gid_t gid;
} spec_device;

typedef struct spec_idmap {
    unsigned container_id, host_id, size;
} spec_idmap;

typedef struct spec_resources {
    bool has_memory_limit, has_memory_swap, has_memory_reservation;
    int64_t memory_limit, memory_swap, memory_reservation;
    bool has_cpu_shares, has_cpu_quota, has_cpu_period;
    uint64_t cpu_shares, cpu_period;
    int64_t cpu_quota;
    char *cpuset_cpus, *cpuset_mems;
    bool has_pids_limit;
    int64_t pids_limit;
    char **device_rules; /* "a|c|b MAJ:MIN access" lines, allow/deny by prefix '+'/'-' */
    size_t n_device_rules;
} spec_resources;

typedef struct spec_sysctl {
    char *key, *value;
} spec_sysctl;

typedef struct spec {
    spec_process process;
    char *root_path; /* absolute */
    bool root_readonly;
    char *hostname;
    char *domainname;
    spec_mount *mounts;
    size_t n_mounts;
    spec_namespace *namespaces;
    size_t n_namespaces;
    spec_device *devices;
    size_t n_devices;
    spec_idmap *uid_maps, *gid_maps;
    size_t n_uid_maps, n_gid_maps;
    char *cgroups_path;
    spec_resources resources;
    char **masked_paths, **readonly_paths;
    size_t n_masked_paths, n_readonly_paths;
    spec_sysctl *sysctls;
    size_t n_sysctls;
    unsigned long rootfs_propagation; /* 0 = default (rslave) */
    json_object *seccomp;             /* borrowed from json; NULL = none */
    json_object *annotations;
    json_object *json;                /* owns everything borrowed */
} spec;

/* Parses a whole config.json text; errors read "<field>: <problem>". */
int container_spec_parse(const char *text, const char *bundle, spec *out, util_error **err);
/* Parses one runtime-spec Process object (ExecProcessRequest.spec). */
int container_spec_parse_process_json(const char *text, spec_process *out, util_error **err);
int container_spec_parse_process(json_object *obj, spec_process *out, util_error **err);
int container_spec_parse_resources(json_object *obj, spec_resources *out, util_error **err);
void container_spec_process_free(spec_process *p);
void container_spec_resources_free(spec_resources *r);
void container_spec_free(spec *s);
/* The namespace of the given CLONE_NEW* type, or NULL if not listed. */
const spec_namespace *container_spec_find_namespace(const spec *s, int type);

/* ---- seccomp ----------------------------------------------------------- */

/* A compiled BPF program for prctl(PR_SET_SECCOMP), made in the parent so
 * the child only loads it. */
typedef struct seccomp_program {
    void *filter; /* struct sock_filter[] */
    size_t len;   /* number of instructions */
} seccomp_program;

int container_seccomp_compile(json_object *profile, seccomp_program *out, util_error **err);
/* Async-signal-safe; returns -errno. */
int container_seccomp_install(const seccomp_program *prog);
void container_seccomp_program_free(seccomp_program *prog);

/* ---- cgroups ----------------------------------------------------------- */

/* Turns cgroupsPath (either form) into a cgroupfs path beginning with '/'. */
char *container_cgroup_resolve_path(const char *cgroups_path, const char *id, util_error **err);

typedef struct cgroup_dir {
    char *controller; /* "memory", "cpu,cpuacct", "name=systemd", "" for v2 */
    char *path;       /* absolute directory */
} cgroup_dir;

typedef struct cgroup {
    bool v2;          /* unified-only host */
    char *rel_path;   /* the cgroupfs path */
    cgroup_dir *dirs; /* one per hierarchy */
    size_t n_dirs;
} cgroup;

/* Creates the directories in every hierarchy and applies the resources. */
int container_cgroup_create(cgroup *cg, const char *rel_path, const spec_resources *res,
                            util_error **err);
/* Opens an existing cgroup (no directories created); missing hierarchies
 * are skipped. */
int container_cgroup_open(cgroup *cg, const char *rel_path, util_error **err);
int container_cgroup_apply(cgroup *cg, const spec_resources *res, util_error **err);
int container_cgroup_enter(cgroup *cg, pid_t pid, util_error **err);
int container_cgroup_read_pids(cgroup *cg, pid_t **pids, size_t *n, util_error **err);
/* SIGKILLs everything in it and waits (bounded) until it is empty. */
int container_cgroup_kill_all(cgroup *cg, int sig, util_error **err);
int container_cgroup_freeze(cgroup *cg, bool frozen, util_error **err);
int container_cgroup_stats(cgroup *cg, container_stats *st, util_error **err);
int container_cgroup_destroy(cgroup *cg, util_error **err);
void container_cgroup_free(cgroup *cg);
/* The directory of one controller, or NULL. */
const char *container_cgroup_dir_for(const cgroup *cg, const char *controller);

/* ---- mounts on the host side ------------------------------------------ */

/* Splits mount options into MS_* flags and the data string. */
void container_mount_parse_options(const char *const *opts, size_t n, unsigned long *flags,
                                   unsigned long *propagation, bool *bind, char **data);
int container_rootfs_mount_all(const container_mount *mounts, size_t n, const char *target,
                               util_error **err);
/* Unmounts everything mounted at or below `path` (deepest first). */
int container_unmount_tree(const char *path, util_error **err);

/* ---- the container's filesystem (in its mount namespace) --------------- */

/* Mounts, devices, pivot_root, masked/readonly paths, sysctls; reports a
 * failure through container_sync_fail. */
void container_rootfs_setup(int sync_fd, const spec *s);

/* ---- handlers (handler.c) ---------------------------------------------- */

size_t container_handler_count(void);
const container_handler *container_handler_at(size_t i);

/* What every handler's prepare made for one process launch. */
typedef struct handler_states {
    void *state[CONTAINER_MAX_HANDLERS];
    size_t n;
} handler_states;

/* Runs each handler's prepare, in the caller, before the fork; on failure
 * frees what the earlier ones made. */
int container_handlers_prepare(const spec_process *p, const char *rootfs, handler_states *hs,
                               util_error **err);
void container_handlers_release(handler_states *hs);

/* ---- what to run (run.c, in the container process) -------------------- */

typedef struct run_target {
    container_program prog; /* what the handlers see */
    char *path;             /* the resolved file, or NULL */
    unsigned char head[4];
    int handler;            /* index of the claiming handler, or -1: execve */
    void *work;             /* the handler's load */
} run_target;

/* Resolves arg0 (inside the container's root, in the process's cwd), asks
 * the handlers and, when one claims the process, lets it load what it will
 * run, so that a broken program fails container_create, not start.  Runs in
 * the container process after pivot_root. */
int container_run_resolve(const spec_process *p, const handler_states *hs, run_target *t,
                          util_error **err);
/* Never returns: execve's, or lets the handler run and exits with its
 * status. */
void container_run_process(const spec_process *p, const handler_states *hs, run_target *t,
                           int sync_fd) __attribute__((noreturn));

/* ---- the forked processes --------------------------------------------- */

/* Sync messages: the child sends its state; the parent releases it. */
enum {
    SYNC_GO = 1,      /* parent -> helper: placed in cgroup, go on */
    SYNC_USERNS,      /* helper -> parent: write my uid/gid maps */
    SYNC_MAPPED,      /* parent -> helper */
    SYNC_PID,         /* helper -> parent: the pid of the process */
    SYNC_READY,       /* process -> parent: set up, waiting */
    SYNC_START,       /* parent -> process */
    SYNC_ERROR,       /* any child -> parent: text follows */
};

typedef struct sync_msg {
    int type;
    int value;
    char text[1024];
} sync_msg;

int container_sync_send(int fd, int type, int value, const char *text);
/* Returns 0, or -1 with errno (0 on EOF). */
int container_sync_recv(int fd, sync_msg *m);
/* Sends SYNC_ERROR "<what>: <strerror>" and _exits(1). */
void container_sync_fail(int fd, int errnum, const char *fmt, ...) __attribute__((noreturn))
    UTIL_PRINTF(3, 4);

/* What a child needs; everything already prepared by the parent. */
typedef struct child_config {
    const spec *spec;            /* full spec (init) */
    const spec_process *process; /* the process to run */
    const seccomp_program *seccomp;
    const handler_states *handlers; /* what the handlers' prepare made */
    int stdio[3];
    int sync_fd;
    bool is_exec;
    pid_t target_pid; /* exec: the init whose namespaces are joined */
} child_config;

/* The helper: namespaces, then CLONE_PARENT of the real process. */
void container_child_helper(const child_config *cfg) __attribute__((noreturn));
/* Container init setup (mount ns, rootfs, ...), in the new process. */
void container_child_init_setup(const child_config *cfg);
/* Process attributes common to init and exec: rlimits, user, caps,
 * no_new_privs, seccomp. */
/* `handler`: index of the claiming handler + 1, or 0 for execve (told to
 * the shim with READY). */
void container_child_finalize(const child_config *cfg, int handler);

/* Runs the handlers' prepare, launches a helper for `cfg`, drives the
 * protocol up to READY and returns the process's pid, with *sync_fd the
 * socket to release it by and *handler the handler that will run it (NULL:
 * execve); on failure kills and reaps what it made.
 * `sp` (may be NULL) supplies uid/gid maps for a new user namespace. */
/* Held (exclusively) around work that may dlopen in the shim process,
 * which forks may not overlap (launch.c says why). */
void container_prepare_lock(void);
void container_prepare_unlock(void);
pid_t container_launch_process(const child_config *cfg, cgroup *cg, const spec *sp, int *sync_fd,
                               const container_handler **handler, util_error **err);
/* Sends START and waits for EOF (running) or an error text. */
int container_release_process(int sync_fd, util_error **err);

/* ---- records ----------------------------------------------------------- */

typedef struct container_exec_rec {
    char *id;
    spec_process process;
    pid_t pid;
    int sync_fd;
    int stdin_writer; /* the shim's write end of a stdin FIFO, or -1 */
    int exit_status;
    container_status_kind status;
    struct container_exec_rec *next;
} container_exec_rec;

struct container {
    char *id;
    char *bundle;
    char *rootfs_dir;
    bool rootfs_mounted;
    spec spec;
    seccomp_program seccomp;
    cgroup cg;
    bool cg_created;
    const container_handler *handler; /* runs the init, or NULL: execve */
    pid_t pid;
    int sync_fd;
    int stdin_writer; /* the shim's write end of a stdin FIFO, or -1 */
    int exit_status;
    container_status_kind status;
    container_exec_rec *execs;
    struct container *next_registered;
};

/* The registry protects status/pid/exit fields of every container. */
extern pthread_mutex_t container_registry_lock;
void container_registry_add(container *c);
void container_registry_remove(container *c);

/* Opens the three stdio files; for a stdin FIFO also a write end the
 * caller keeps until CloseIO (*stdin_writer, else -1). */
int container_open_stdio(const container_stdio *io, int fds[3], int *stdin_writer,
                         util_error **err);

#endif
