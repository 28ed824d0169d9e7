/*
 * task_lifecycle.c - Create, Start, Wait, State, Kill and Delete: the calls
 * every container goes through, for the init process and (with exec_id)
 * for exec processes.
 */
#include "task_internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#define BAD_REQUEST(st, call) \
    shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "malformed %s request", (call)->method)

static char *dup_or_empty(const char *s)
{
    return util_xstrdup(s ? s : "");
}

static void write_init_pid(const char *bundle, pid_t pid)
{
    cleanup_free char *path = util_xasprintf("%s/init.pid", bundle);
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)pid);
    util_error *err = NULL;
    if (shim_write_state_file(path, buf, &err) < 0) {
        util_log_warn("%s", err->msg);
        util_error_free(&err);
    }
}

static void publish_create(shim_service *s, task *t, Containerd__Task__V2__CreateTaskRequest *req,
                           pid_t pid)
{
    Containerd__Events__TaskCreate ev = CONTAINERD__EVENTS__TASK_CREATE__INIT;
    Containerd__Events__TaskIO io = CONTAINERD__EVENTS__TASK_IO__INIT;
    io.stdin = t->stdin_path;
    io.stdout = t->stdout_path;
    io.stderr = t->stderr_path;
    io.terminal = t->terminal;
    ev.container_id = t->id;
    ev.bundle = t->bundle;
    ev.rootfs = req->rootfs;
    ev.n_rootfs = req->n_rootfs;
    ev.io = &io;
    ev.checkpoint = (char *)"";
    ev.pid = (uint32_t)pid;
    shim_events_publish(s->ev, "/tasks/create", "containerd.events.TaskCreate", &ev.base);
}

int shim_task_create(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                     ttrpc_status *st)
{
    util_trace_mark("shim-create");
    Containerd__Task__V2__CreateTaskRequest *req =
        containerd__task__v2__create_task_request__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL)
        return BAD_REQUEST(st, call);
    int rc = -1;
    if (req->id == NULL || req->id[0] == '\0') {
        shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "create: id is empty");
        goto out;
    }
    if (req->bundle == NULL || req->bundle[0] == '\0') {
        shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "create %s: bundle is empty", req->id);
        goto out;
    }
    if ((req->checkpoint && req->checkpoint[0]) ||
        (req->parent_checkpoint && req->parent_checkpoint[0])) {
        shim_ttrpc_status_set(st, TTRPC_UNIMPLEMENTED,
                              "create %s: checkpoint restore is not supported", req->id);
        goto out;
    }

    /* Register the id first so a concurrent duplicate Create fails fast,
     * before the slow container set-up. */
    task *t = util_xcalloc(1, sizeof *t);
    t->id = util_xstrdup(req->id);
    t->bundle = util_xstrdup(req->bundle);
    t->stdin_path = dup_or_empty(req->stdin);
    t->stdout_path = dup_or_empty(req->stdout);
    t->stderr_path = dup_or_empty(req->stderr);
    t->terminal = req->terminal;
    pthread_mutex_init(&t->op, NULL);
    t->refs = 1; /* the registry's reference */
    if (req->options) {
        shim_options_parse_any(req->options->type_url, req->options->value.data,
                               req->options->value.len, &t->opts);
        shim_options_report(&t->opts, t->id);
    }
    pthread_mutex_lock(&s->lock);
    for (task *o = s->tasks; o; o = o->next) {
        if (strcmp(o->id, t->id) == 0) {
            pthread_mutex_unlock(&s->lock);
            shim_ttrpc_status_set(st, TTRPC_ALREADY_EXISTS, "task %s already exists", t->id);
            shim_task_free(t);
            goto out;
        }
    }
    t->next = s->tasks;
    s->tasks = t;
    t->refs++; /* ours, for the rest of this call */
    pthread_mutex_unlock(&s->lock);

    container_mount *mounts = util_xcalloc(req->n_rootfs + 1, sizeof *mounts);
    for (size_t i = 0; i < req->n_rootfs; i++) {
        mounts[i].type = req->rootfs[i]->type;
        mounts[i].source = req->rootfs[i]->source;
        mounts[i].options = (const char *const *)req->rootfs[i]->options;
        mounts[i].n_options = req->rootfs[i]->n_options;
    }
    shim_artifact_ctx artifact = {.address = s->address, .ns = s->ns, .id = t->id};
    container_create_options co = {
        .id = t->id,
        .bundle = t->bundle,
        .rootfs = mounts,
        .n_rootfs = req->n_rootfs,
        .stdio = {t->stdin_path, t->stdout_path, t->stderr_path, t->terminal},
        .prepare_rootfs = shim_artifact_prepare_rootfs,
        .prepare_rootfs_ctx = &artifact,
    };
    util_error *err = NULL;
    pthread_mutex_lock(&t->op);
    container *c = container_create(&co, &err);
    pthread_mutex_unlock(&t->op);
    free(mounts);
    if (c == NULL) {
        shim_task_error(st, &err, "create");
        pthread_mutex_lock(&s->lock);
        for (task **pp = &s->tasks; *pp; pp = &(*pp)->next) {
            if (*pp == t) {
                *pp = t->next;
                t->refs--;
                break;
            }
        }
        pthread_mutex_unlock(&s->lock);
        shim_task_put(s, t);
        goto out;
    }
    pid_t pid = container_pid(c);
    pthread_mutex_lock(&s->lock);
    t->c = c;
    t->p.pid = pid;
    publish_create(s, t, req, pid);
    shim_task_sync_locked(s, t);
    pthread_mutex_unlock(&s->lock);
    write_init_pid(t->bundle, pid);
    shim_task_put(s, t);

    Containerd__Task__V2__CreateTaskResponse r = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
    r.pid = (uint32_t)pid;
    rc = shim_task_reply(&r.base, resp, resp_len);
out:
    containerd__task__v2__create_task_request__free_unpacked(req, NULL);
    return rc;
}

/* Finds an exec for a Start or Delete, which work on it outside the
 * service lock, and marks it theirs (busy, or deleting) so that no other
 * call frees it meanwhile.  An exec that an Exec or Start is busy with
 * answers FailedPrecondition: freeing it would pull it from under that
 * call (containerd retries or reports the conflict). */
static exec_proc *claim_exec(shim_service *s, task *t, const char *exec_id, bool deleting,
                             ttrpc_status *st)
{
    pthread_mutex_lock(&s->lock);
    exec_proc *e = shim_task_find_exec(t, exec_id);
    bool gone = e == NULL || e->deleting, busy = e && e->busy;
    if (!gone && !busy)
        *(deleting ? &e->deleting : &e->busy) = true;
    pthread_mutex_unlock(&s->lock);
    if (gone)
        shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "exec %s of task %s not found", exec_id, t->id);
    else if (busy)
        shim_ttrpc_status_set(st, TTRPC_FAILED_PRECONDITION,
                              "exec %s of task %s is being created or started", exec_id, t->id);
    return gone || busy ? NULL : e;
}

static int start_exec(shim_service *s, task *t, const char *exec_id, uint8_t **resp,
                      size_t *resp_len, ttrpc_status *st)
{
    exec_proc *e = claim_exec(s, t, exec_id, false, st);
    if (e == NULL)
        return -1;
    util_error *err = NULL;
    pthread_mutex_lock(&t->op);
    pid_t pid = container_exec_start(t->c, exec_id, &err);
    pthread_mutex_unlock(&t->op);
    pthread_mutex_lock(&s->lock);
    e->busy = false;
    if (pid < 0) {
        pthread_mutex_unlock(&s->lock);
        return shim_task_error(st, &err, "start exec");
    }
    e->p.pid = pid;
    e->p.started = true;
    Containerd__Events__TaskExecStarted ev = CONTAINERD__EVENTS__TASK_EXEC_STARTED__INIT;
    ev.container_id = t->id;
    ev.exec_id = e->id;
    ev.pid = (uint32_t)pid;
    shim_events_publish(s->ev, "/tasks/exec-started", "containerd.events.TaskExecStarted",
                        &ev.base);
    e->p.start_published = true;
    if (!e->p.exited && container_exec_status(t->c, exec_id) == CONTAINER_STOPPED)
        shim_task_note_exit_locked(s, t, e, container_exec_exit_status(t->c, exec_id));
    else if (e->p.exited)
        shim_task_publish_exit_locked(s, t, e);
    pthread_mutex_unlock(&s->lock);
    Containerd__Task__V2__StartResponse r = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
    r.pid = (uint32_t)pid;
    return shim_task_reply(&r.base, resp, resp_len);
}

int shim_task_start(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                    ttrpc_status *st)
{
    util_trace_mark("shim-start");
    Containerd__Task__V2__StartRequest *req =
        containerd__task__v2__start_request__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL)
        return BAD_REQUEST(st, call);
    int rc = -1;
    task *t = shim_task_get(s, req->id, st);
    if (t == NULL)
        goto out;
    if (req->exec_id && req->exec_id[0]) {
        rc = start_exec(s, t, req->exec_id, resp, resp_len, st);
        shim_task_put(s, t);
        goto out;
    }
    util_error *err = NULL;
    pthread_mutex_lock(&t->op);
    pid_t pid = t->p.started ? -2 : container_start(t->c, &err);
    pthread_mutex_unlock(&t->op);
    if (pid == -2) {
        shim_ttrpc_status_set(st, TTRPC_FAILED_PRECONDITION, "task %s already started", t->id);
        shim_task_put(s, t);
        goto out;
    }
    if (pid < 0) {
        shim_task_error(st, &err, "start");
        shim_task_put(s, t);
        goto out;
    }
    pthread_mutex_lock(&s->lock);
    t->p.pid = pid;
    t->p.started = true;
    Containerd__Events__TaskStart ev = CONTAINERD__EVENTS__TASK_START__INIT;
    ev.container_id = t->id;
    ev.pid = (uint32_t)pid;
    shim_events_publish(s->ev, "/tasks/start", "containerd.events.TaskStart", &ev.base);
    t->p.start_published = true;
    if (t->p.exited)
        shim_task_publish_exit_locked(s, t, NULL);
    else
        shim_task_sync_locked(s, t);
    pthread_mutex_unlock(&s->lock);
    shim_task_put(s, t);
    Containerd__Task__V2__StartResponse r = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
    r.pid = (uint32_t)pid;
    rc = shim_task_reply(&r.base, resp, resp_len);
out:
    containerd__task__v2__start_request__free_unpacked(req, NULL);
    return rc;
}

/* Exit record of the init or an exec, re-synced with the container layer. */
static proc_rec *lookup_proc_locked(shim_service *s, task *t, const char *exec_id,
                                    exec_proc **ep)
{
    *ep = NULL;
    if (exec_id == NULL || exec_id[0] == '\0') {
        shim_task_sync_locked(s, t);
        return &t->p;
    }
    exec_proc *e = shim_task_find_exec(t, exec_id);
    if (e == NULL)
        return NULL;
    if (!e->p.exited && e->p.started && t->c &&
        container_exec_status(t->c, exec_id) == CONTAINER_STOPPED)
        shim_task_note_exit_locked(s, t, e, container_exec_exit_status(t->c, exec_id));
    *ep = e;
    return &e->p;
}

int shim_task_wait(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                   ttrpc_status *st)
{
    Containerd__Task__V2__WaitRequest *req =
        containerd__task__v2__wait_request__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL)
        return BAD_REQUEST(st, call);
    int rc = -1;
    task *t = shim_task_get(s, req->id, st);
    if (t == NULL)
        goto out;
    pthread_mutex_lock(&s->lock);
    exec_proc *e;
    proc_rec *p;
    for (;;) {
        p = lookup_proc_locked(s, t, req->exec_id, &e);
        if (p == NULL || p->exited || t->deleted)
            break;
        /* a timed wait re-checks the container layer now and then, in case
         * an exit was recorded there without reaching us */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->changed, &s->lock, &ts);
    }
    Containerd__Task__V2__WaitResponse r = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
    pb_timestamp ts;
    if (p == NULL) {
        shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "exec %s of task %s not found", req->exec_id,
                              t->id);
    } else {
        bool done = p->exited;
        r.exit_status = done ? (uint32_t)p->exit_status : 128 + SIGKILL;
        shim_pb_timestamp_set(&ts, done ? p->exited_at : util_realtime_ns());
        r.exited_at = &ts;
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    shim_task_put(s, t);
    if (rc == 0)
        rc = shim_task_reply(&r.base, resp, resp_len);
out:
    containerd__task__v2__wait_request__free_unpacked(req, NULL);
    return rc;
}

static Containerd__Task__V2__Status map_status(container_status_kind k)
{
    switch (k) {
    case CONTAINER_CREATED: return CONTAINERD__TASK__V2__STATUS__CREATED;
    case CONTAINER_RUNNING: return CONTAINERD__TASK__V2__STATUS__RUNNING;
    case CONTAINER_PAUSED: return CONTAINERD__TASK__V2__STATUS__PAUSED;
    case CONTAINER_STOPPED: return CONTAINERD__TASK__V2__STATUS__STOPPED;
    }
    return CONTAINERD__TASK__V2__STATUS__UNKNOWN;
}

int shim_task_state(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                    ttrpc_status *st)
{
    Containerd__Task__V2__StateRequest *req =
        containerd__task__v2__state_request__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL)
        return BAD_REQUEST(st, call);
    int rc = -1;
    task *t = shim_task_get(s, req->id, st);
    if (t == NULL)
        goto out;
    Containerd__Task__V2__StateResponse r = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
    pb_timestamp ts;
    pthread_mutex_lock(&s->lock);
    exec_proc *e;
    proc_rec *p = lookup_proc_locked(s, t, req->exec_id, &e);
    if (p == NULL) {
        shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "exec %s of task %s not found", req->exec_id,
                              t->id);
    } else if (t->c == NULL) {
        shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "task %s is still being created", t->id);
    } else {
        r.id = t->id;
        r.bundle = t->bundle;
        r.pid = (uint32_t)p->pid;
        r.exec_id = e ? e->id : (char *)"";
        r.stdin = e ? e->stdin_path : t->stdin_path;
        r.stdout = e ? e->stdout_path : t->stdout_path;
        r.stderr = e ? e->stderr_path : t->stderr_path;
        r.terminal = e ? e->terminal : t->terminal;
        if (p->exited) {
            r.status = CONTAINERD__TASK__V2__STATUS__STOPPED;
            r.exit_status = (uint32_t)p->exit_status;
            shim_pb_timestamp_set(&ts, p->exited_at);
            r.exited_at = &ts;
        } else if (e) {
            r.status = e->p.started ? CONTAINERD__TASK__V2__STATUS__RUNNING
                                    : CONTAINERD__TASK__V2__STATUS__CREATED;
        } else {
            r.status = map_status(container_status(t->c));
        }
        rc = shim_task_reply(&r.base, resp, resp_len);
    }
    pthread_mutex_unlock(&s->lock);
    shim_task_put(s, t);
out:
    containerd__task__v2__state_request__free_unpacked(req, NULL);
    return rc;
}

int shim_task_kill(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                   ttrpc_status *st)
{
    Containerd__Task__V2__KillRequest *req =
        containerd__task__v2__kill_request__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL)
        return BAD_REQUEST(st, call);
    int rc = -1;
    task *t = shim_task_get(s, req->id, st);
    if (t == NULL)
        goto out;
    if (req->signal == 0 || req->signal >= 65) {
        shim_ttrpc_status_set(st, TTRPC_INVALID_ARGUMENT, "kill %s: invalid signal %u", t->id,
                              req->signal);
        shim_task_put(s, t);
        goto out;
    }
    bool is_exec = req->exec_id && req->exec_id[0];
    pthread_mutex_lock(&s->lock);
    exec_proc *e;
    proc_rec *p = lookup_proc_locked(s, t, req->exec_id, &e);
    bool exited = p && p->exited;
    pthread_mutex_unlock(&s->lock);
    util_error *err = NULL;
    if (p == NULL) {
        shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "exec %s of task %s not found", req->exec_id,
                              t->id);
    } else if (t->c == NULL) {
        shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "task %s is still being created", t->id);
    } else if (exited && !req->all) {
        /* containerd tolerates NotFound here: the process is gone */
        shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "process already finished");
    } else {
        pthread_mutex_lock(&t->op);
        int k = is_exec ? container_exec_kill(t->c, req->exec_id, (int)req->signal, &err)
                        : container_kill(t->c, (int)req->signal, req->all, &err);
        pthread_mutex_unlock(&t->op);
        if (k < 0 && err->status == ESRCH && req->all && !is_exec) {
            util_error_free(&err); /* nothing left to signal */
            k = 0;
        }
        if (k < 0) {
            if (err->status == ESRCH) {
                shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "process already finished");
                util_error_free(&err);
            } else {
                shim_task_error(st, &err, "kill");
            }
        } else {
            rc = shim_task_reply_empty(resp, resp_len);
        }
    }
    shim_task_put(s, t);
out:
    containerd__task__v2__kill_request__free_unpacked(req, NULL);
    return rc;
}

/* Waits (bounded) for the reaper to record an exit after a kill. */
static void await_exit_locked(shim_service *s, task *t, proc_rec *p, const char *exec_id)
{
    exec_proc *e;
    for (int i = 0; i < 40 && !p->exited; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->changed, &s->lock, &ts);
        lookup_proc_locked(s, t, exec_id, &e);
    }
}

static void publish_delete(shim_service *s, task *t, const proc_rec *p, uint32_t status,
                           uint64_t at)
{
    Containerd__Events__TaskDelete ev = CONTAINERD__EVENTS__TASK_DELETE__INIT;
    pb_timestamp ts;
    shim_pb_timestamp_set(&ts, at);
    ev.container_id = t->id;
    ev.id = (char *)"";
    ev.pid = (uint32_t)p->pid;
    ev.exit_status = status;
    ev.exited_at = &ts;
    shim_events_publish(s->ev, "/tasks/delete", "containerd.events.TaskDelete", &ev.base);
}

static int delete_exec(shim_service *s, task *t, const char *exec_id, uint8_t **resp,
                       size_t *resp_len, ttrpc_status *st)
{
    exec_proc *e = claim_exec(s, t, exec_id, true, st);
    if (e == NULL)
        return -1;
    util_error *err = NULL;
    pthread_mutex_lock(&t->op);
    int rc = container_exec_delete(t->c, exec_id, &err);
    pthread_mutex_unlock(&t->op);
    if (rc < 0) {
        pthread_mutex_lock(&s->lock);
        e->deleting = false;
        pthread_mutex_unlock(&s->lock);
        return shim_task_error(st, &err, "delete exec");
    }
    pthread_mutex_lock(&s->lock);
    if (e->p.started)
        await_exit_locked(s, t, &e->p, exec_id);
    uint32_t status = e->p.exited ? (uint32_t)e->p.exit_status : 128 + SIGKILL;
    uint64_t at = e->p.exited ? e->p.exited_at : util_realtime_ns();
    Containerd__Task__V2__DeleteResponse r = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
    pb_timestamp ts;
    shim_pb_timestamp_set(&ts, at);
    r.pid = (uint32_t)e->p.pid;
    r.exit_status = status;
    r.exited_at = &ts;
    /* like the runc shim: TaskDelete is about tasks; an exec's end was
     * already told by its TaskExit */
    shim_task_unlink_exec_locked(t, e);
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    shim_task_reply(&r.base, resp, resp_len);
    shim_exec_proc_free(e);
    return 0;
}

int shim_task_delete(shim_service *s, const ttrpc_call *call, uint8_t **resp, size_t *resp_len,
                     ttrpc_status *st)
{
    Containerd__Task__V2__DeleteRequest *req =
        containerd__task__v2__delete_request__unpack(NULL, call->payload_len, call->payload);
    if (req == NULL)
        return BAD_REQUEST(st, call);
    int rc = -1;
    task *t = shim_task_get(s, req->id, st);
    if (t == NULL)
        goto out;
    if (req->exec_id && req->exec_id[0]) {
        rc = delete_exec(s, t, req->exec_id, resp, resp_len, st);
        shim_task_put(s, t);
        goto out;
    }
    if (t->c == NULL) {
        shim_ttrpc_status_set(st, TTRPC_FAILED_PRECONDITION, "task %s is still being created",
                              t->id);
        shim_task_put(s, t);
        goto out;
    }
    util_error *err = NULL;
    pthread_mutex_lock(&t->op);
    int d = t->deleted ? 0 : container_delete(t->c, &err);
    pthread_mutex_unlock(&t->op);
    if (d < 0) {
        shim_task_error(st, &err, "delete");
        shim_task_put(s, t);
        goto out;
    }
    pthread_mutex_lock(&s->lock);
    bool was_deleted = t->deleted;
    t->deleted = true;
    shim_task_sync_locked(s, t);
    await_exit_locked(s, t, &t->p, NULL);
    uint32_t status = t->p.exited ? (uint32_t)t->p.exit_status : 128 + SIGKILL;
    uint64_t at = t->p.exited ? t->p.exited_at : util_realtime_ns();
    Containerd__Task__V2__DeleteResponse r = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
    pb_timestamp ts;
    shim_pb_timestamp_set(&ts, at);
    r.pid = (uint32_t)t->p.pid;
    r.exit_status = status;
    r.exited_at = &ts;
    bool unlinked = false;
    for (task **pp = &s->tasks; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            t->refs--; /* the registry's reference */
            unlinked = true;
            break;
        }
    }
    if (unlinked && !was_deleted)
        publish_delete(s, t, &t->p, status, at);
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    if (!unlinked) {
        shim_ttrpc_status_set(st, TTRPC_NOT_FOUND, "task %s not found", t->id);
        shim_task_put(s, t);
        goto out;
    }
    shim_task_put(s, t);
    rc = shim_task_reply(&r.base, resp, resp_len);
out:
    containerd__task__v2__delete_request__free_unpacked(req, NULL);
    return rc;
}
