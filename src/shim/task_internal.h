/*
 * task_internal.h - the Task service's state, shared by task_*.c.
 *
 * Locking: the service mutex guards the task list, every task's and exec's
 * bookkeeping fields (pids, exit records, event flags) and is what Wait
 * sleeps on (one condition variable, broadcast on every exit).  A task's
 * `op` mutex serialises calls into the container layer for that container
 * (the layer's rule); it is never taken while holding the service mutex.
 * Tasks are reference counted so a Wait can outlive a Delete.
 */
#ifndef SHIM_TASK_INTERNAL_H
#define SHIM_TASK_INTERNAL_H

#include "container.h"
#include "proto.h"
#include "shim_internal.h"
#include "ttrpc.h"

#include <pthread.h>

typedef struct proc_rec {
    pid_t pid;
    bool started;
    bool exited;
    int exit_status;
    uint64_t exited_at; /* ns since the epoch */
    bool start_published; /* TaskStart / TaskExecStarted went out */
    bool exit_pending;    /* exited before its start event: publish after it */
} proc_rec;

typedef struct exec_proc {
    char *id;
    char *stdin_path, *stdout_path, *stderr_path;
    bool terminal;
    bool deleting; /* a Delete owns it now */
    /* an Exec or Start call works on it outside the service lock: a
     * Delete must not free it meanwhile (it answers FailedPrecondition) */
    bool busy;
    proc_rec p;
    struct exec_proc *next;
} exec_proc;

typedef struct task {
    char *id;
    char *bundle;
    char *stdin_path, *stdout_path, *stderr_path;
    bool terminal;
    container *c; /* NULL while Create runs */
    shim_runtime_options opts;
    pthread_mutex_t op;
    int refs;
    bool deleted;
    proc_rec p;
    exec_proc *execs;
    struct task *next;
} task;

struct shim_service {
    char *ns;
    char *address; /* containerd's gRPC socket (-address), or NULL */
    shim_events *ev;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    task *tasks;
    bool shutdown;
    void (*on_exit)(void *);
    void *on_exit_arg;
};

/* A handler: request bytes in, response bytes out (or *st filled, -1). */
typedef int (*task_method)(shim_service *s, const ttrpc_call *call, uint8_t **resp,
                           size_t *resp_len, ttrpc_status *st);

/* task_service.c */
/* +1 ref or NULL+NotFound */
task *shim_task_get(shim_service *s, const char *id, ttrpc_status *st);
void shim_task_free(task *t);
void shim_task_put(shim_service *s, task *t);
exec_proc *shim_task_find_exec(task *t, const char *exec_id); /* service lock held */
void shim_task_unlink_exec_locked(task *t, exec_proc *e); /* takes e off t's list */
void shim_exec_proc_free(exec_proc *e);
/* Records an exit seen by the reaper or discovered through the container
 * layer and publishes TaskExit when its start event is out (lock held). */
void shim_task_note_exit_locked(shim_service *s, task *t, exec_proc *e, int status);
/* Brings t's records up to date with the container layer (lock held). */
void shim_task_sync_locked(shim_service *s, task *t);
void shim_task_publish_exit_locked(shim_service *s, task *t, exec_proc *e);
int shim_task_reply(const ProtobufCMessage *msg, uint8_t **resp, size_t *resp_len);
int shim_task_reply_empty(uint8_t **resp, size_t *resp_len);
int shim_task_error(ttrpc_status *st, util_error **err, const char *what);

/* artifact.c: the prepare_rootfs hook of Create (container.h) that
 * brings a Spin OCI artifact into an empty rootfs. */
typedef struct shim_artifact_ctx {
    const char *address, *ns, *id;
} shim_artifact_ctx;
int shim_artifact_prepare_rootfs(void *ctx, const char *rootfs_dir, util_error **err);

/* task_lifecycle.c */
int shim_task_create(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_start(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_wait(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_state(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_kill(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_delete(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
/* shim_task_exec.c */
int shim_task_exec(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
/* task_misc.c */
int shim_task_stats(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_pids(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_pause(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_resume(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_update(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_close_io(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_resize_pty(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_connect(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_shutdown(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);
int shim_task_checkpoint(shim_service *, const ttrpc_call *, uint8_t **, size_t *, ttrpc_status *);

#endif
